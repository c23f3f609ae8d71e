/* Unit tests for import/: the OVF and VMX readers over the collected
 * corpus (tests/data/import, see PROVENANCE), hostile descriptors, units,
 * and the plan / config writer (read back with cfgparse). */
#include <dirent.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "cfgparse/cfg.h"
#include "common/util.h"
#include "import/plan.h"
#include "import/vm.h"

static char *datadir;

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    strbuf sb = { 0 };
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        sb_append(&sb, buf, n);
    fclose(f);
    *len = sb.len;
    return sb.s ? sb_steal(&sb) : xstrdup("");
}

static bool has_diag(const vxl_diags *d, enum vxl_severity sev, const char *sub)
{
    for (size_t i = 0; i < d->n; i++)
        if (d->v[i].sev == sev && strstr(d->v[i].msg, sub))
            return true;
    return false;
}

static bool any_diag(const vxl_diags *d, const char *sub)
{
    return has_diag(d, VXL_ERROR, sub) || has_diag(d, VXL_WARNING, sub);
}

static int parse_ovf_file(const char *name, struct vimport_vm **vms,
                          size_t *n, vxl_diags *d)
{
    char *path = xasprintf("%s/ovf/%s", datadir, name);
    size_t len;
    char *buf = slurp(path, &len);
    int rc = vimport_ovf_parse(buf, len, name, vms, n, d);
    free(buf);
    free(path);
    return rc;
}

static int parse_ovf_text(const char *text, struct vimport_vm **vms, size_t *n,
                          vxl_diags *d)
{
    return vimport_ovf_parse(text, strlen(text), "t.ovf", vms, n, d);
}

/* ---------------------------------------------------------------- */

static void units(void **state)
{
    static const struct { const char *u; uint64_t m; } ok[] = {
        { "byte", 1 }, { "byte * 2^20", 1u << 20 }, { "byte * 2 ^ 30", 1u << 30 },
        { "byte*2^30", 1u << 30 }, { "byte*1024*1024", 1u << 20 },
        { "MegaBytes", 1u << 20 }, { "MB", 1u << 20 }, { "GB", 1u << 30 },
        { "KB", 1024 }, { "byte * 10^3", 1000 }, { "GigaBytes", 1u << 30 },
        { "bytes", 1 },
    };
    for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
        uint64_t m = 0;
        assert_true(vimport_parse_units(ok[i].u, &m));
        assert_int_equal(m, ok[i].m);
    }
    static const char *const bad[] = { "hertz * 10^6", "byte * 2^99",
        "byte * ", "furlongs", "byte / 2", "byte * 2^" };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        uint64_t m;
        assert_false(vimport_parse_units(bad[i], &m));
    }
}

/* Every OVF Tool "Pos" fixture and the real exports are read. */
static void corpus_pos(void **state)
{
    char *dir = xasprintf("%s/ovf", datadir);
    DIR *dp = opendir(dir);
    assert_non_null(dp);
    struct dirent *e;
    int n = 0;
    while ((e = readdir(dp))) {
        if (!strstr(e->d_name, "__Pos__") || !strstr(e->d_name, ".ovf"))
            continue;
        struct vimport_vm *vms;
        size_t nv;
        vxl_diags d = { 0 };
        int rc = parse_ovf_file(e->d_name, &vms, &nv, &d);
        if (rc != 0)
            vxl_diags_print(&d, stderr);
        assert_int_equal(rc, 0);
        assert_true(nv >= 1);
        assert_int_equal(d.nerrors, 0);
        vimport_vms_free(vms, nv);
        vxl_diags_free(&d);
        n++;
    }
    closedir(dp);
    free(dir);
    assert_true(n >= 50);
}

/* Every "Neg" fixture gets its specific diagnostic (NEG-EXPECTED.tsv). */
static void corpus_neg(void **state)
{
    char *path = xasprintf("%s/ovf/NEG-EXPECTED.tsv", datadir);
    size_t len;
    char *tsv = slurp(path, &len);
    int n = 0, content = 0;
    for (char *line = strtok(tsv, "\n"); line; line = strtok(NULL, "\n")) {
        if (line[0] == '#')
            continue;
        char *tab = strchr(line, '\t');
        assert_non_null(tab);
        *tab = 0;
        const char *want = tab + 1;
        struct vimport_vm *vms;
        size_t nv;
        vxl_diags d = { 0 };
        int rc = parse_ovf_file(line, &vms, &nv, &d);
        if (strcmp(want, "CONTENT") == 0) {
            /* valid XML; the plan must refuse or warn */
            assert_int_equal(rc, 0);
            struct vimport_opts o = { .outdir = "/tmp", .format = "qcow2" };
            for (size_t i = 0; i < nv; i++) {
                struct vimport_plan p;
                vxl_diags pd = { 0 };
                int prc = vimport_plan_build(&vms[i], line, &o, i, nv, &p, &pd);
                assert_true(prc < 0 || pd.n > 0);
                if (prc == 0)
                    vimport_plan_dispose(&p);
                vxl_diags_free(&pd);
            }
            content++;
        } else {
            if (!any_diag(&d, want)) {
                fprintf(stderr, "%s: expected '%s'\n", line, want);
                vxl_diags_print(&d, stderr);
            }
            assert_true(any_diag(&d, want));
        }
        if (rc == 0)
            vimport_vms_free(vms, nv);
        vxl_diags_free(&d);
        n++;
    }
    free(tsv);
    free(path);
    assert_true(n >= 30);
    assert_true(content <= 10);
}

/* A VMware ovftool/ESX export: the mapping of every item. */
static void esx_export(void **state)
{
    struct vimport_vm *vms;
    size_t n;
    vxl_diags d = { 0 };
    assert_int_equal(parse_ovf_file("Alpha-demo__Ubuntu-12.04.2-64-Server-Tools"
                                    "__Ubuntu-12.04.2-64-Server-Tools.ovf",
                                    &vms, &n, &d), 0);
    assert_int_equal(n, 1);
    assert_string_equal(vms[0].name, "Ubuntu-12.04.2-64-Server-Tools");
    assert_string_equal(vms[0].os, "ubuntu64Guest");
    assert_int_equal(vms[0].memory, 2048ull << 20);
    assert_int_equal(vms[0].vcpus, 4);
    assert_int_equal(vms[0].ndisks, 2);
    assert_int_equal(vms[0].disks[0].bus, VIMPORT_BUS_SCSI);
    assert_false(vms[0].disks[0].cdrom);
    assert_int_equal(vms[0].disks[0].capacity, 40ull << 30);
    assert_string_equal(vms[0].disks[0].file,
                        "Ubuntu-12.04.2-64-Server-Tools-disk1.vmdk");
    assert_true(vms[0].disks[1].cdrom);
    assert_int_equal(vms[0].disks[1].bus, VIMPORT_BUS_IDE);
    assert_int_equal(vms[0].disks[1].ctrl, 1);
    assert_int_equal(vms[0].nnics, 1);
    assert_string_equal(vms[0].nics[0].model, "E1000");
    assert_string_equal(vms[0].nics[0].network, "Private");
    assert_true(has_diag(&d, VXL_WARNING, "floppy"));
    vimport_vms_free(vms, n);
    vxl_diags_free(&d);
}

/* A VirtualSystemCollection: one VM per system. */
static void collection(void **state)
{
    struct vimport_vm *vms;
    size_t n;
    vxl_diags d = { 0 };
    assert_int_equal(parse_ovf_file("Alpha-demo__vApp_with_2vms__vApp_with_2vms.ovf",
                                    &vms, &n, &d), 0);
    assert_int_equal(n, 2);
    assert_string_not_equal(vms[0].name, vms[1].name);
    for (size_t i = 0; i < n; i++) {
        assert_true(vms[i].memory > 0);
        assert_true(vms[i].vcpus > 0);
        assert_true(vms[i].ndisks >= 1);
    }
    vimport_vms_free(vms, n);
    vxl_diags_free(&d);
}

/* VirtualBox exports (MegaBytes, SATA AHCI) against virt-v2v's reading. */
static void virtualbox_exports(void **state)
{
    struct vimport_vm *vms;
    size_t n;
    vxl_diags d = { 0 };
    assert_int_equal(parse_ovf_file("virtv2v-test-i-ova-two-disks.ovf", &vms,
                                    &n, &d), 0);
    /* expected/virtv2v-test-i-ova-two-disks.expected.txt */
    char *path = xasprintf("%s/expected/virtv2v-test-i-ova-two-disks.expected.txt",
                           datadir);
    size_t len;
    char *exp = slurp(path, &len);
    unsigned long long mem = 0;
    unsigned cpus = 0;
    const char *m = strstr(exp, "memory: ");
    assert_non_null(m);
    sscanf(m, "memory: %llu", &mem);
    const char *c = strstr(exp, "nr vCPUs: ");
    assert_non_null(c);
    sscanf(c, "nr vCPUs: %u", &cpus);
    assert_int_equal(vms[0].memory, mem);
    assert_int_equal(vms[0].vcpus, cpus);
    size_t hd = 0;
    for (size_t i = 0; i < vms[0].ndisks; i++)
        hd += !vms[0].disks[i].cdrom;
    assert_int_equal(hd, 2);
    free(exp);
    free(path);
    vimport_vms_free(vms, n);
    vxl_diags_free(&d);

    assert_int_equal(parse_ovf_file("ovftooltests__LaxMode__Pos__vbox5_all_"
                                    "storage_controllers__vbox5.ovf", &vms, &n,
                                    &d), 0);
    bool sata = false;
    for (size_t i = 0; i < vms[0].ndisks; i++)
        sata |= vms[0].disks[i].bus == VIMPORT_BUS_SATA;
    assert_true(sata);
    vimport_vms_free(vms, n);
    vxl_diags_free(&d);
}

/* EFI firmware, chunked and gzip files. */
static void efi_chunks_gzip(void **state)
{
    struct vimport_vm *vms;
    size_t n;
    vxl_diags d = { 0 };
    assert_int_equal(parse_ovf_file("govmomi-ttylinux-pc_i486-16.1.ovf", &vms,
                                    &n, &d), 0);
    assert_true(vms[0].efi);
    vimport_vms_free(vms, n);
    vxl_diags_free(&d);

    static const char *tmpl =
        "<Envelope xmlns='http://schemas.dmtf.org/ovf/envelope/1' "
        "xmlns:ovf='http://schemas.dmtf.org/ovf/envelope/1' "
        "xmlns:rasd='http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData'>"
        "<References><File ovf:id='f1' ovf:href='d.vmdk' ovf:size='2500' "
        "ovf:chunkSize='1000' ovf:compression='gzip'/></References>"
        "<DiskSection><Disk ovf:diskId='d1' ovf:fileRef='f1' ovf:capacity='1' "
        "ovf:capacityAllocationUnits='GB'/></DiskSection>"
        "<VirtualSystem ovf:id='v'><VirtualHardwareSection>"
        "<Item><rasd:InstanceID>1</rasd:InstanceID><rasd:ResourceType>3</rasd:ResourceType><rasd:VirtualQuantity>2</rasd:VirtualQuantity></Item>"
        "<Item><rasd:InstanceID>2</rasd:InstanceID><rasd:ResourceType>4</rasd:ResourceType><rasd:AllocationUnits>byte * 2^30</rasd:AllocationUnits><rasd:VirtualQuantity>3</rasd:VirtualQuantity></Item>"
        "<Item><rasd:InstanceID>3</rasd:InstanceID><rasd:ResourceType>20</rasd:ResourceType><rasd:ResourceSubType>vmware.nvme.controller</rasd:ResourceSubType></Item>"
        "<Item><rasd:InstanceID>4</rasd:InstanceID><rasd:ResourceType>17</rasd:ResourceType><rasd:Parent>3</rasd:Parent><rasd:AddressOnParent>0</rasd:AddressOnParent><rasd:HostResource>ovf:/disk/d1</rasd:HostResource></Item>"
        "<Item><rasd:InstanceID>5</rasd:InstanceID><rasd:ResourceType>10</rasd:ResourceType><rasd:ResourceSubType>VmxNet3</rasd:ResourceSubType><rasd:Address>00:50:56:01:02:03</rasd:Address></Item>"
        "</VirtualHardwareSection></VirtualSystem></Envelope>";
    assert_int_equal(parse_ovf_text(tmpl, &vms, &n, &d), 0);
    assert_int_equal(vms[0].memory, 3ull << 30);
    assert_int_equal(vms[0].vcpus, 2);
    assert_int_equal(vms[0].ndisks, 1);
    assert_int_equal(vms[0].disks[0].bus, VIMPORT_BUS_NVME);
    assert_int_equal(vms[0].disks[0].capacity, 1ull << 30);
    assert_true(vms[0].disks[0].gzip);
    assert_int_equal(vms[0].disks[0].nchunks, 3);
    assert_string_equal(vms[0].disks[0].chunks[2], "d.vmdk.000000002");
    assert_string_equal(vms[0].nics[0].mac, "00:50:56:01:02:03");
    vimport_vms_free(vms, n);
    vxl_diags_free(&d);
}

/* Boot order: vmw:BootOrderSection (OVF) and bios.hddOrder (VMX) pick
 * the disk that becomes hda. */
static void boot_order(void **state)
{
    static const char *ovf =
        "<Envelope xmlns='http://schemas.dmtf.org/ovf/envelope/1' "
        "xmlns:ovf='http://schemas.dmtf.org/ovf/envelope/1' "
        "xmlns:vmw='http://www.vmware.com/schema/ovf' "
        "xmlns:rasd='http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData'>"
        "<References><File ovf:id='f1' ovf:href='a.vmdk'/><File ovf:id='f2' ovf:href='b.vmdk'/></References>"
        "<DiskSection><Disk ovf:diskId='d1' ovf:fileRef='f1' ovf:capacity='1' ovf:capacityAllocationUnits='byte * 2^30'/>"
        "<Disk ovf:diskId='d2' ovf:fileRef='f2' ovf:capacity='2' ovf:capacityAllocationUnits='byte * 2^30'/></DiskSection>"
        "<VirtualSystem ovf:id='v'><VirtualHardwareSection>"
        "<Item><rasd:InstanceID>3</rasd:InstanceID><rasd:ResourceType>6</rasd:ResourceType></Item>"
        "<Item><rasd:InstanceID>8</rasd:InstanceID><rasd:ResourceType>17</rasd:ResourceType><rasd:Parent>3</rasd:Parent><rasd:AddressOnParent>0</rasd:AddressOnParent><rasd:HostResource>ovf:/disk/d1</rasd:HostResource></Item>"
        "<Item><rasd:InstanceID>9</rasd:InstanceID><rasd:ResourceType>17</rasd:ResourceType><rasd:Parent>3</rasd:Parent><rasd:AddressOnParent>1</rasd:AddressOnParent><rasd:HostResource>ovf:/disk/d2</rasd:HostResource></Item>"
        "</VirtualHardwareSection>"
        "<vmw:BootOrderSection vmw:type='disk' vmw:instanceId='9'><Info>boot</Info></vmw:BootOrderSection>"
        "</VirtualSystem></Envelope>";
    struct vimport_vm *vms;
    size_t n;
    vxl_diags d = { 0 };
    assert_int_equal(parse_ovf_text(ovf, &vms, &n, &d), 0);
    assert_int_equal(vms[0].ndisks, 2);
    assert_int_equal(vms[0].disks[0].boot, 0);
    assert_int_equal(vms[0].disks[1].boot, 1);
    struct vimport_opts o = { .outdir = "/o", .format = "raw" };
    struct vimport_plan p;
    assert_int_equal(vimport_plan_build(&vms[0], "s.ovf", &o, 0, 1, &p, &d), 0);
    assert_string_equal(p.disks[0].ref.members[0], "b.vmdk");
    assert_string_equal(p.disks[0].vdev, "hda");
    assert_string_equal(p.disks[0].dst, "/o/v-disk1.img");
    assert_int_equal(p.disks[0].capacity, 2ull << 30);
    vimport_plan_dispose(&p);
    vimport_vms_free(vms, n);
    vxl_diags_free(&d);

    struct vimport_vm vm;
    const char *vmx =
        "memsize = \"64\"\nbios.hddOrder = \"scsi0:1\"\n"
        "scsi0.present = \"TRUE\"\n"
        "scsi0:0.present = \"TRUE\"\nscsi0:0.fileName = \"a.vmdk\"\n"
        "scsi0:1.present = \"TRUE\"\nscsi0:1.fileName = \"b.vmdk\"\n";
    assert_int_equal(vimport_vmx_parse(vmx, strlen(vmx), "t.vmx", &vm, &d), 0);
    assert_int_equal(vimport_plan_build(&vm, "t.vmx", &o, 0, 1, &p, &d), 0);
    assert_string_equal(p.disks[0].ref.members[0], "b.vmdk");
    assert_string_equal(p.disks[1].ref.members[0], "a.vmdk");
    vimport_plan_dispose(&p);
    vimport_vm_dispose(&vm);
    vxl_diags_free(&d);
}

/* External entities, expansion bombs, DOCTYPEs, non-OVF and absurd sizes
 * are refused with a clear error. */
static void hostile_ovf(void **state)
{
    static const struct { const char *text, *msg; } cases[] = {
        { "<?xml version='1.0'?><!DOCTYPE e [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>"
          "<Envelope xmlns='http://schemas.dmtf.org/ovf/envelope/1'>&x;</Envelope>",
          "DOCTYPE" },
        { "<?xml version='1.0'?><!DOCTYPE l [<!ENTITY a 'aaaaaaaaaa'>"
          "<!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;'>"
          "<!ENTITY c '&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;'>]><Envelope>&c;</Envelope>",
          "DOCTYPE" },
        { "<Envelope xmlns='http://example.com/'/>", "not in an OVF namespace" },
        { "<html/>", "not an OVF descriptor" },
        { "<Envelope xmlns='http://schemas.dmtf.org/ovf/envelope/1'", "malformed XML" },
        { "", "malformed XML" },
        { "<Envelope xmlns='http://schemas.dmtf.org/ovf/envelope/1' "
          "xmlns:ovf='http://schemas.dmtf.org/ovf/envelope/1'><DiskSection>"
          "<Disk ovf:diskId='d' ovf:capacity='99999999' "
          "ovf:capacityAllocationUnits='byte * 2^40'/></DiskSection></Envelope>",
          "larger than" },
        { "<Envelope xmlns='http://schemas.dmtf.org/ovf/envelope/1' "
          "xmlns:ovf='http://schemas.dmtf.org/ovf/envelope/1' "
          "xmlns:rasd='r'><VirtualSystem ovf:id='v'><VirtualHardwareSection>"
          "<Item><rasd:InstanceID>1</rasd:InstanceID><rasd:ResourceType>4</rasd:ResourceType>"
          "<rasd:AllocationUnits>byte * 2^40</rasd:AllocationUnits>"
          "<rasd:VirtualQuantity>18446744073709551615</rasd:VirtualQuantity></Item>"
          "</VirtualHardwareSection></VirtualSystem></Envelope>",
          "out of range" },
        { "<Envelope xmlns='http://schemas.dmtf.org/ovf/envelope/1' "
          "xmlns:ovf='http://schemas.dmtf.org/ovf/envelope/1' "
          "xmlns:rasd='r'><VirtualSystem ovf:id='v'><VirtualHardwareSection>"
          "<Item><rasd:InstanceID>1</rasd:InstanceID><rasd:ResourceType>3</rasd:ResourceType>"
          "<rasd:VirtualQuantity>1000000</rasd:VirtualQuantity></Item>"
          "</VirtualHardwareSection></VirtualSystem></Envelope>",
          "virtual CPUs is more than" },
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct vimport_vm *vms;
        size_t n;
        vxl_diags d = { 0 };
        int rc = parse_ovf_text(cases[i].text, &vms, &n, &d);
        assert_true(rc < 0);
        if (!has_diag(&d, VXL_ERROR, cases[i].msg)) {
            fprintf(stderr, "case %zu: expected '%s'\n", i, cases[i].msg);
            vxl_diags_print(&d, stderr);
        }
        assert_true(has_diag(&d, VXL_ERROR, cases[i].msg));
        vxl_diags_free(&d);
    }
    /* deep nesting of collections is bounded */
    strbuf sb = { 0 };
    sb_puts(&sb, "<Envelope xmlns='http://schemas.dmtf.org/ovf/envelope/1'>");
    for (int i = 0; i < 40; i++)
        sb_puts(&sb, "<VirtualSystemCollection>");
    for (int i = 0; i < 40; i++)
        sb_puts(&sb, "</VirtualSystemCollection>");
    sb_puts(&sb, "</Envelope>");
    struct vimport_vm *vms;
    size_t n;
    vxl_diags d = { 0 };
    assert_true(parse_ovf_text(sb.s, &vms, &n, &d) < 0);
    assert_true(has_diag(&d, VXL_ERROR, "nested more than"));
    vxl_diags_free(&d);
    sb_free(&sb);
}

/* ---------------------------------------------------------------- */
/* VMX                                                                */

static int parse_vmx_text(const char *t, struct vimport_vm *vm, vxl_diags *d)
{
    return vimport_vmx_parse(t, strlen(t), "t.vmx", vm, d);
}

static void vmx_syntax(void **state)
{
    struct vimport_vm vm;
    vxl_diags d = { 0 };
    const char *t =
        ".encoding = \"UTF-8\"\r\n"
        "# a comment\n"
        "displayName = \"say |22hi|22 |7C x\"\n"
        "MEMSIZE = 512\n"
        "memsize = \"1024\"   # later one wins\n"
        "numvcpus = \"2\"\n"
        "firmware = \"efi\"\n"
        "guestOS = \"other-64\"\n"
        "scsi0.present = \"TRUE\"\n"
        "scsi0:1.present = \"TRUE\"\n"
        "scsi0:1.fileName = \"b.vmdk\"\n"
        "scsi0:0.present = \"TRUE\"\n"
        "scsi0:0.fileName = \"a.vmdk\"\n"
        "scsi0:2.present = \"FALSE\"\n"
        "scsi0:2.fileName = \"gone.vmdk\"\n"
        "sata0:0.present = \"TRUE\"\n"
        "sata0:0.fileName = \"on-absent-controller.vmdk\"\n"
        "ide1:0.present = \"TRUE\"\n"
        "ide1:0.deviceType = \"cdrom-image\"\n"
        "ide1:0.fileName = \"/isos/x.iso\"\n"
        "ide0:0.present = \"TRUE\"\n"
        "ide0:0.deviceType = \"cdrom-raw\"\n"
        "ethernet0.present = \"TRUE\"\n"
        "ethernet0.virtualDev = \"e1000\"\n"
        "ethernet0.addressType = \"generated\"\n"
        "ethernet0.generatedAddress = \"00:0C:29:AA:BB:CC\"\n"
        "ethernet0.networkName = \"br0\"\n"
        "ethernet1.present = \"TRUE\"\n"
        "ethernet1.addressType = \"static\"\n"
        "ethernet1.address = \"00:50:56:00:00:01\"\n"
        "ethernet1.generatedAddress = \"00:0c:29:00:00:99\"\n"
        "ethernet2.present = \"FALSE\"\n"
        "not a key value line\n";
    assert_int_equal(parse_vmx_text(t, &vm, &d), 0);
    assert_string_equal(vm.name, "say \"hi\" | x");
    assert_int_equal(vm.memory, 1024ull << 20);
    assert_true(has_diag(&d, VXL_WARNING, "given again"));
    assert_int_equal(vm.vcpus, 2);
    assert_true(vm.efi);
    assert_string_equal(vm.os, "other-64");
    /* ide0:0 cdrom, ide1:0 cdrom, scsi0:0, scsi0:1 (bus order) */
    assert_int_equal(vm.ndisks, 4);
    assert_true(vm.disks[0].cdrom && vm.disks[1].cdrom);
    assert_string_equal(vm.disks[0].origin, "ide0:0");
    assert_string_equal(vm.disks[2].file, "a.vmdk");
    assert_string_equal(vm.disks[3].file, "b.vmdk");
    assert_true(has_diag(&d, VXL_WARNING, "controller sata0 is not present"));
    assert_true(has_diag(&d, VXL_WARNING, "not 'key = \"value\"'"));
    assert_int_equal(vm.nnics, 2);
    assert_string_equal(vm.nics[0].mac, "00:0c:29:aa:bb:cc");
    assert_string_equal(vm.nics[0].network, "br0");
    assert_string_equal(vm.nics[1].mac, "00:50:56:00:00:01");
    assert_string_equal(vm.nics[1].model, "vlance");
    vimport_vm_dispose(&vm);
    vxl_diags_free(&d);

    static const char *const bad[] = { "", "# only a comment\n",
        "memsize = \"lots\"\n", "numvcpus = \"0\"\n",
        "memsize = \"99999999999999999\"\n" };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        assert_true(parse_vmx_text(bad[i], &vm, &d) < 0);
        assert_true(d.nerrors > 0);
        vxl_diags_free(&d);
    }
}

static const char *field(const char *text, const char *key)
{
    const char *p = strstr(text, key);
    return p ? p + strlen(key) : NULL;
}

/* virt-v2v's --print-source of the same .vmx files is the oracle. */
static void vmx_vs_virtv2v(void **state)
{
    for (int k = 1; k <= 7; k++) {
        char *vp = xasprintf("%s/vmx/virtv2v-test-i-vmx-%d.vmx", datadir, k);
        char *ep = xasprintf("%s/expected/virtv2v-test-i-vmx-%d.expected.txt",
                             datadir, k);
        size_t vl, el;
        char *v = slurp(vp, &vl), *e = slurp(ep, &el);
        struct vimport_vm vm;
        vxl_diags d = { 0 };
        assert_int_equal(vimport_vmx_parse(v, vl, "x.vmx", &vm, &d), 0);
        unsigned long long mem;
        unsigned cpus;
        assert_int_equal(sscanf(field(e, "memory: "), "%llu", &mem), 1);
        assert_int_equal(sscanf(field(e, "nr vCPUs: "), "%u", &cpus), 1);
        assert_int_equal(vm.memory, mem);
        assert_int_equal(vm.vcpus, cpus);
        const char *fw = field(e, "firmware: ");
        assert_int_equal(vm.efi, strncmp(fw, "uefi", 4) == 0);
        /* count disks ("\tN [bus]") and removable media lines */
        const char *ds = strstr(e, "\ndisks:\n"), *rm = strstr(e, "removable media:\n"),
                   *ni = strstr(e, "NICs:\n");
        assert_non_null(ds);
        size_t ndisk = 0, ncd = 0;
        for (const char *p = ds; p && p < rm; p = strchr(p + 1, '\n'))
            ndisk += p[1] == '\t' && p[2] >= '0' && p[2] <= '9';
        for (const char *p = rm; p && p < ni; p = strchr(p + 1, '\n'))
            ncd += strncmp(p + 1, "\tCD-ROM", 7) == 0;
        /* virt-v2v does not list SATA CD-ROMs (vmx-2, -6, -7 have one
         * each); the comparison counts IDE ones */
        size_t hd = 0, cd = 0;
        for (size_t i = 0; i < vm.ndisks; i++) {
            hd += !vm.disks[i].cdrom;
            cd += vm.disks[i].cdrom && vm.disks[i].bus == VIMPORT_BUS_IDE;
        }
        assert_int_equal(hd, ndisk);
        assert_int_equal(cd, ncd);
        const char *mac = strstr(ni, "mac: ");
        if (mac) {
            assert_true(vm.nnics >= 1);
            assert_non_null(vm.nics[0].mac);
            assert_memory_equal(vm.nics[0].mac, mac + 5, 17);
        }
        vimport_vm_dispose(&vm);
        vxl_diags_free(&d);
        free(v); free(e); free(vp); free(ep);
    }
}

/* Count occurrences of a substring. */
static size_t count_of(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

/* libvirt's vmx2xml and virt-convert's ovf2libvirt outputs for the same
 * inputs are oracles: memory, vCPUs, hard disks (both), CD-ROMs, MACs in
 * order and EFI (libvirt; virt-convert drops CD-ROMs and MACs). */
static void vs_libvirt(void **state)
{
    static const struct { const char *src, *xml; bool libvirt; } c[] = {
        { "vmx/libvirt-esx-in-the-wild-12.vmx", "libvirt-esx-in-the-wild-12.xml", true },
        { "vmx/libvirt-esx-in-the-wild-17.vmx", "libvirt-esx-in-the-wild-17.xml", true },
        { "vmx/libvirt-fusion-in-the-wild-1.vmx", "libvirt-fusion-in-the-wild-1.xml", true },
        { "ovf/virtmanager-test1.ovf", "virtmanager-ovf2libvirt_test1.libvirt.xml", false },
        { "ovf/virtmanager-test2.ovf", "virtmanager-ovf2libvirt_test2.libvirt.xml", false },
        { "ovf/virtmanager-test_gzip.ovf", "virtmanager-ovf2libvirt_test_gzip.libvirt.xml", false },
    };
    for (size_t k = 0; k < ARRAY_SIZE(c); k++) {
        char *sp = xasprintf("%s/%s", datadir, c[k].src);
        char *xp = xasprintf("%s/expected/%s", datadir, c[k].xml);
        size_t sl, xl;
        char *src = slurp(sp, &sl), *xml = slurp(xp, &xl);
        struct vimport_vm *vms = NULL, one;
        size_t n = 1;
        vxl_diags d = { 0 };
        if (strstr(c[k].src, ".vmx")) {
            assert_int_equal(vimport_vmx_parse(src, sl, "x.vmx", &one, &d), 0);
            vms = &one;
        } else {
            assert_int_equal(vimport_ovf_parse(src, sl, "x.ovf", &vms, &n, &d), 0);
            assert_int_equal(n, 1);
        }
        const char *m = strstr(xml, "<memory");
        assert_non_null(m);
        unsigned long long kib = strtoull(strchr(m, '>') + 1, NULL, 10);
        assert_int_equal(vms[0].memory, kib << 10);
        const char *v = strstr(xml, "<vcpu");
        assert_int_equal(vms[0].vcpus, strtoul(strchr(v, '>') + 1, NULL, 10));
        size_t hd = 0, cd = 0;
        for (size_t i = 0; i < vms[0].ndisks; i++) {
            hd += !vms[0].disks[i].cdrom;
            cd += vms[0].disks[i].cdrom;
        }
        assert_int_equal(hd, count_of(xml, "device='disk'") +
                             count_of(xml, "device=\"disk\""));
        if (c[k].libvirt) {
            assert_int_equal(cd, count_of(xml, "device='cdrom'"));
            assert_int_equal(vms[0].efi, strstr(xml, "firmware='efi'") != NULL);
            const char *p = xml;
            size_t i = 0;
            while ((p = strstr(p, "mac address='"))) {
                p += 13;
                assert_true(i < vms[0].nnics);
                assert_memory_equal(vms[0].nics[i].mac, p, 17);
                i++;
            }
            assert_int_equal(i, vms[0].nnics);
        }
        if (vms == &one)
            vimport_vm_dispose(&one);
        else
            vimport_vms_free(vms, n);
        vxl_diags_free(&d);
        free(src); free(xml); free(sp); free(xp);
    }
}

/* Every .vmx of the corpus is read without an error. */
static void vmx_corpus(void **state)
{
    char *dir = xasprintf("%s/vmx", datadir);
    DIR *dp = opendir(dir);
    assert_non_null(dp);
    struct dirent *e;
    int n = 0;
    while ((e = readdir(dp))) {
        if (!strstr(e->d_name, ".vmx"))
            continue;
        char *p = xasprintf("%s/%s", dir, e->d_name);
        size_t len;
        char *buf = slurp(p, &len);
        struct vimport_vm vm;
        vxl_diags d = { 0 };
        assert_int_equal(vimport_vmx_parse(buf, len, e->d_name, &vm, &d), 0);
        assert_int_equal(d.nerrors, 0);
        assert_true(vm.vcpus > 0);
        vimport_vm_dispose(&vm);
        vxl_diags_free(&d);
        free(buf);
        free(p);
        n++;
    }
    closedir(dp);
    free(dir);
    assert_true(n >= 20);
}

/* ---------------------------------------------------------------- */
/* plan and config                                                    */

static void names(void **state)
{
    static const struct { const char *in, *out; } c[] = {
        { "Ubuntu 12.04 Server", "Ubuntu-12.04-Server" },
        { "RHEL 7.1 UEFI", "RHEL-7.1-UEFI" },
        { "1234", "vm-1234" }, { "", "vm-" }, { "a/b\\c", "a-b-c" },
        { "  --x--  ", "x" }, { "Test-Mig-VM-1 (01ce)", "Test-Mig-VM-1-01ce" },
    };
    for (size_t i = 0; i < ARRAY_SIZE(c); i++) {
        char *s = vimport_sanitise_name(c[i].in);
        assert_string_equal(s, c[i].out);
        free(s);
    }
    char *longn = vimport_sanitise_name("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                                        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    assert_true(strlen(longn) <= 64);
    free(longn);
}

static void plan_and_cfg(void **state)
{
    struct vimport_vm vm = { 0 };
    vm.name = xstrdup("My VM");
    vm.memory = (2048ull << 20) + 1;
    vm.vcpus = 3;
    vm.efi = true;
    struct vimport_disk *dk;
    dk = vimport_vm_add_disk(&vm);          /* CD-ROM first in source */
    *dk = (struct vimport_disk){ .bus = VIMPORT_BUS_IDE, .ctrl = 1, .cdrom = true,
                                 .file = xstrdup("x.iso"), .origin = xstrdup("cd") };
    dk = vimport_vm_add_disk(&vm);
    *dk = (struct vimport_disk){ .bus = VIMPORT_BUS_SCSI, .unit = 1,
                                 .file = xstrdup("data.vmdk"), .origin = xstrdup("data") };
    dk = vimport_vm_add_disk(&vm);
    *dk = (struct vimport_disk){ .bus = VIMPORT_BUS_SATA, .unit = 0,
                                 .file = xstrdup("sata.vmdk"), .origin = xstrdup("sata") };
    dk = vimport_vm_add_disk(&vm);          /* boot disk, by boot order */
    *dk = (struct vimport_disk){ .bus = VIMPORT_BUS_SCSI, .unit = 0, .boot = 1,
                                 .file = xstrdup("boot.vmdk"), .origin = xstrdup("boot") };
    struct vimport_nic *nic = vimport_vm_add_nic(&vm);
    nic->mac = xstrdup("00:50:56:AA:BB:CC");
    nic->model = xstrdup("vmxnet3");
    nic->network = xstrdup("VM Network");
    nic = vimport_vm_add_nic(&vm);
    nic->mac = xstrdup("01:00:5e:00:00:01");    /* multicast: refused */
    nic->model = xstrdup("E1000");

    struct vimport_opts o = { .outdir = "/tmp/out", .format = "qcow2",
                              .bridge = "xenbr1" };
    struct vimport_plan p;
    vxl_diags d = { 0 };
    assert_int_equal(vimport_plan_build(&vm, "src.ovf", &o, 0, 1, &p, &d), 0);
    assert_string_equal(p.name, "My-VM");
    assert_int_equal(p.memory_mb, 2049);
    assert_true(has_diag(&d, VXL_WARNING, "rounded up"));
    assert_true(has_diag(&d, VXL_WARNING, "CD-ROM medium 'x.iso'"));
    assert_true(has_diag(&d, VXL_WARNING, "vmxnet3"));
    assert_true(has_diag(&d, VXL_WARNING, "multicast"));
    assert_int_equal(p.ndisks, 4);
    assert_string_equal(p.disks[0].origin, "boot");
    assert_string_equal(p.disks[0].vdev, "hda");
    assert_string_equal(p.disks[1].origin, "sata");     /* SATA before SCSI */
    assert_string_equal(p.disks[2].origin, "data");
    assert_true(p.disks[3].cdrom);
    assert_string_equal(p.disks[3].vdev, "hdd");
    assert_string_equal(p.disks[0].dst, "/tmp/out/My-VM-disk1.qcow2");

    char *text = vimport_cfg_render(&p);
    cfg_config *cfg = cfg_init("My-VM.cfg");
    vxl_diags cd = { 0 };
    assert_int_equal(cfg_readdata(cfg, text, strlen(text), &cd), 0);
    const char *s;
    long l;
    assert_int_equal(cfg_get_string(cfg, "type", &s, 0, &cd), 0);
    assert_string_equal(s, "hvm");
    assert_int_equal(cfg_get_string(cfg, "bios", &s, 0, &cd), 0);
    assert_string_equal(s, "ovmf");
    assert_int_equal(cfg_get_long(cfg, "memory", &l, 0, &cd), 0);
    assert_int_equal(l, 2049);
    assert_int_equal(cfg_get_long(cfg, "vcpus", &l, 0, &cd), 0);
    assert_int_equal(l, 3);
    const cfg_list *disks;
    int nd;
    assert_int_equal(cfg_get_list(cfg, "disk", &disks, &nd, 0, &cd), 0);
    assert_int_equal(nd, 4);
    assert_string_equal(cfg_listitem(disks, 0), "format=qcow2, vdev=hda, "
                        "access=rw, target=/tmp/out/My-VM-disk1.qcow2");
    assert_non_null(strstr(cfg_listitem(disks, 3), "devtype=cdrom"));
    const cfg_list *vifs;
    int nv;
    assert_int_equal(cfg_get_list(cfg, "vif", &vifs, &nv, 0, &cd), 0);
    assert_int_equal(nv, 2);
    assert_string_equal(cfg_listitem(vifs, 0),
                        "mac=00:50:56:aa:bb:cc, bridge=xenbr1, model=e1000");
    assert_string_equal(cfg_listitem(vifs, 1), "bridge=xenbr1, model=e1000");
    cfg_destroy(cfg);
    vxl_diags_free(&cd);
    free(text);
    vimport_plan_dispose(&p);
    vxl_diags_free(&d);

    /* a disk outside the appliance is an error naming it */
    free(vm.disks[1].file);
    vm.disks[1].file = xstrdup("../../etc/shadow");
    assert_true(vimport_plan_build(&vm, "src.ovf", &o, 0, 1, &p, &d) < 0);
    assert_true(has_diag(&d, VXL_ERROR, "'../../etc/shadow' is outside"));
    vxl_diags_free(&d);
    free(vm.disks[1].file);
    vm.disks[1].file = xstrdup("/vmfs/volumes/x/disk.vmdk");
    assert_true(vimport_plan_build(&vm, "src.ovf", &o, 0, 1, &p, &d) < 0);
    vxl_diags_free(&d);
    vimport_vm_dispose(&vm);
}

int main(void)
{
    char *cwd = getcwd(NULL, 0);
    datadir = xasprintf("%s/tests/data/import", cwd);
    free(cwd);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(units),
        cmocka_unit_test(corpus_pos),
        cmocka_unit_test(corpus_neg),
        cmocka_unit_test(esx_export),
        cmocka_unit_test(collection),
        cmocka_unit_test(virtualbox_exports),
        cmocka_unit_test(efi_chunks_gzip),
        cmocka_unit_test(boot_order),
        cmocka_unit_test(hostile_ovf),
        cmocka_unit_test(vmx_syntax),
        cmocka_unit_test(vmx_vs_virtv2v),
        cmocka_unit_test(vmx_corpus),
        cmocka_unit_test(vs_libvirt),
        cmocka_unit_test(names),
        cmocka_unit_test(plan_and_cfg),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    free(datadir);
    return rc;
}

/* Unit tests for backend/qemu_argv.c: the QEMU command lines of
 * representative domain configs, and the warnings/errors for what QEMU
 * cannot do. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "backend/qemu_argv.h"
#include "cfgparse/cfg.h"
#include "cfgparse/devices.h"
#include "cfgparse/domain.h"
#include "common/util.h"

static char tmpdir[64];
static char *img_raw, *img_qcow2, *iso, *kernel, *initrd;

static char *make_file(const char *name, const void *data, size_t len)
{
    char *p = xasprintf("%s/%s", tmpdir, name);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
    return p;
}

static int setup(void **state)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/vxl-argv-test.XXXXXX");
    assert_non_null(mkdtemp(tmpdir));
    static const char zero[512];
    static const char qcow2[8] = { 'Q', 'F', 'I', '\xfb', 0, 0, 0, 3 };
    img_raw = make_file("disk,1.img", zero, sizeof zero);
    img_qcow2 = make_file("disk.qcow2", qcow2, sizeof qcow2);
    iso = make_file("cd.iso", zero, sizeof zero);
    kernel = make_file("vmlinuz", zero, sizeof zero);
    initrd = make_file("initrd", zero, sizeof zero);
    return 0;
}

static int teardown(void **state)
{
    char *cmd = xasprintf("rm -rf '%s'", tmpdir);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    free(img_raw);
    free(img_qcow2);
    free(iso);
    free(kernel);
    free(initrd);
    return 0;
}

/* The option following `opt' whose value starts with `prefix' (the n-th
 * such, from 0), or NULL. */
static const char *opt_val(const vxl_argv *a, const char *opt,
                           const char *prefix, int nth)
{
    for (int i = 1; i + 1 < a->n; i++)
        if (!strcmp(a->v[i], opt) &&
            !strncmp(a->v[i + 1], prefix, strlen(prefix)) && nth-- == 0)
            return a->v[i + 1];
    return NULL;
}

static int count_opt(const vxl_argv *a, const char *opt)
{
    int n = 0;
    for (int i = 1; i < a->n; i++)
        n += !strcmp(a->v[i], opt);
    return n;
}

static bool has_diag(const vxl_diags *d, enum vxl_severity sev,
                     const char *needle)
{
    for (size_t i = 0; i < d->n; i++)
        if (d->v[i].sev == sev && strstr(d->v[i].msg, needle))
            return true;
    return false;
}

static void hvm_config(vxl_domain_config *c, const char *name)
{
    vxl_domain_config_init(c);
    c->c_info.type = VXL_DOMAIN_TYPE_HVM;
    vxl_domain_build_info_init_type(&c->b_info, VXL_DOMAIN_TYPE_HVM);
    c->c_info.name = xstrdup(name);
}

static vxl_device_disk *add_disk(vxl_domain_config *c, const char *path,
                                 const char *vdev, vxl_disk_format fmt)
{
    vxl_device_disk *k = vxl_domain_config_add_disk(c);
    k->pdev_path = path ? xstrdup(path) : NULL;
    k->vdev = xstrdup(vdev);
    k->format = fmt;
    k->readwrite = 1;
    return k;
}

static const vxl_qemu_argv_opts base_opts = {
    .qmp_paths = { "/run/vxl/dom/1/qmp-mon.sock", "/run/vxl/dom/1/qmp.sock" },
    .console_path = "/run/vxl/dom/1/console.sock",
    .console_log = "/run/vxl/dom/1/console.log",
};

/* A WinXP-like HVM guest: memory, vcpus, IDE disk + cdrom, boot order,
 * a nic with a fixed MAC, stdvga + videoram, vnc, usb tablet, localtime. */
static void hvm_winxp_like(void **state)
{
    vxl_domain_config c;
    vxl_qemu_post post;
    vxl_argv a;
    vxl_diags d = {0};

    hvm_config(&c, "WinXP");
    vxl_uuid_from_string(&c.c_info.uuid, "12345678-9abc-def0-1234-56789abcdef0");
    c.b_info.max_memkb = c.b_info.target_memkb = 512 * 1024;
    c.b_info.max_vcpus = 2;
    vxl_bitmap_alloc(&c.b_info.avail_vcpus, 2);
    vxl_bitmap_set(&c.b_info.avail_vcpus, 0);
    vxl_bitmap_set(&c.b_info.avail_vcpus, 1);
    add_disk(&c, img_raw, "hda", VXL_DISK_FORMAT_RAW);
    vxl_device_disk *cd = add_disk(&c, iso, "hdc", VXL_DISK_FORMAT_RAW);
    cd->is_cdrom = 1;
    cd->readwrite = 0;
    c.b_info.u.hvm.boot = xstrdup("dc");
    vxl_device_nic *n = vxl_domain_config_add_nic(&c);
    n->model = xstrdup("e1000");
    uint8_t mac[6] = { 0x00, 0x16, 0x3e, 0x11, 0x22, 0x33 };
    memcpy(n->mac, mac, 6);
    c.b_info.u.hvm.vga.kind = VXL_VGA_INTERFACE_TYPE_STD;
    c.b_info.video_memkb = 16 * 1024;
    vxl_defbool_set(&c.b_info.u.hvm.vnc.enable, true);
    c.b_info.u.hvm.vnc.listen = xstrdup("0.0.0.0");
    c.b_info.u.hvm.vnc.display = 3;
    vxl_defbool_set(&c.b_info.u.hvm.vnc.findunused, false);
    vxl_defbool_set(&c.b_info.u.hvm.usb, true);
    c.b_info.u.hvm.usbdevice = xstrdup("tablet");
    vxl_defbool_set(&c.b_info.localtime, true);

    assert_int_equal(vxl_qemu_argv(&c, &base_opts, &a, &post, &d), 0);
    assert_int_equal(d.n, 0);
    assert_string_equal(a.v[0], "qemu-system-x86_64");
    assert_null(a.v[a.n]);
    assert_string_equal(opt_val(&a, "-name", "", 0), "guest=WinXP,debug-threads=on");
    assert_string_equal(opt_val(&a, "-uuid", "", 0),
                        "12345678-9abc-def0-1234-56789abcdef0");
    assert_string_equal(opt_val(&a, "-machine", "", 0), "pc,accel=tcg");
    assert_string_equal(opt_val(&a, "-m", "", 0), "512");
    assert_string_equal(opt_val(&a, "-smp", "", 0), "2,maxcpus=2");
    assert_int_equal(count_opt(&a, "-nodefaults"), 1);
    /* disks: file names with commas are escaped */
    char *want = xasprintf("if=none,id=disk0,file=%s/disk,,1.img,format=raw",
                           tmpdir);
    assert_string_equal(opt_val(&a, "-drive", "if=none,id=disk0", 0), want);
    free(want);
    want = xasprintf("if=none,id=disk1,file=%s,format=raw,media=cdrom,"
                     "readonly=on", iso);
    assert_string_equal(opt_val(&a, "-drive", "if=none,id=disk1", 0), want);
    free(want);
    assert_string_equal(opt_val(&a, "-device", "ide-hd", 0),
                        "ide-hd,drive=disk0,bus=ide.0,unit=0");
    assert_string_equal(opt_val(&a, "-device", "ide-cd", 0),
                        "ide-cd,drive=disk1,bus=ide.1,unit=0");
    assert_string_equal(opt_val(&a, "-boot", "", 0), "order=dc");
    assert_string_equal(opt_val(&a, "-netdev", "", 0), "user,id=net0");
    assert_string_equal(opt_val(&a, "-device", "e1000", 0),
                        "e1000,netdev=net0,mac=00:16:3e:11:22:33");
    assert_string_equal(opt_val(&a, "-vga", "", 0), "std");
    assert_string_equal(opt_val(&a, "-global", "", 0), "VGA.vgamem_mb=16");
    assert_string_equal(opt_val(&a, "-vnc", "", 0), "0.0.0.0:3");
    assert_null(opt_val(&a, "-display", "", 0));
    assert_string_equal(opt_val(&a, "-device", "piix3-usb-uhci", 0),
                        "piix3-usb-uhci,id=usb");
    assert_string_equal(opt_val(&a, "-device", "usb-tablet", 0),
                        "usb-tablet,bus=usb.0");
    assert_string_equal(opt_val(&a, "-rtc", "", 0), "base=localtime");
    /* QMP and console sockets */
    assert_string_equal(opt_val(&a, "-chardev", "socket,id=qmp1", 0),
                        "socket,id=qmp1,path=/run/vxl/dom/1/qmp.sock,"
                        "server=on,wait=off");
    assert_int_equal(count_opt(&a, "-mon"), 2);
    assert_string_equal(opt_val(&a, "-chardev", "socket,id=con0", 0),
                        "socket,id=con0,path=/run/vxl/dom/1/console.sock,"
                        "server=on,wait=off,logfile=/run/vxl/dom/1/"
                        "console.log,logappend=on");
    assert_string_equal(opt_val(&a, "-serial", "", 0), "chardev:con0");
    assert_int_equal(count_opt(&a, "-S"), 0);
    assert_non_null(opt_val(&a, "-device", "pvpanic", 0));
    assert_null(post.vnc_password);

    char *line = vxl_argv_join(&a);
    assert_non_null(strstr(line, "qemu-system-x86_64 -name guest=WinXP,"));
    vxl_argv_free(&a);
    free(line);
    vxl_domain_config_dispose(&c);
}

/* libxl's defaults for a config that sets almost nothing: 32 MiB, one
 * vcpu, cirrus, vnc on 127.0.0.1 finding a free port, utc clock. */
static void hvm_defaults(void **state)
{
    vxl_domain_config c;
    vxl_qemu_post post;
    vxl_argv a;
    vxl_diags d = {0};
    vxl_qemu_argv_opts o = base_opts;

    hvm_config(&c, "tiny");
    o.accel = "kvm";
    o.start_paused = true;
    o.no_shutdown = true;
    o.qemu = "/opt/qemu/bin/qemu-system-x86_64";
    assert_int_equal(vxl_qemu_argv(&c, &o, &a, &post, &d), 0);
    assert_int_equal(d.n, 0);
    assert_string_equal(a.v[0], "/opt/qemu/bin/qemu-system-x86_64");
    assert_null(opt_val(&a, "-uuid", "", 0));
    assert_string_equal(opt_val(&a, "-machine", "", 0), "pc,accel=kvm");
    assert_string_equal(opt_val(&a, "-cpu", "", 0), "host");
    assert_string_equal(opt_val(&a, "-m", "", 0), "32");
    assert_string_equal(opt_val(&a, "-smp", "", 0), "1,maxcpus=1");
    assert_string_equal(opt_val(&a, "-vga", "", 0), "cirrus");
    assert_string_equal(opt_val(&a, "-vnc", "", 0), "127.0.0.1:0,to=99");
    assert_string_equal(opt_val(&a, "-rtc", "", 0), "base=utc");
    assert_int_equal(count_opt(&a, "-S"), 1);
    assert_string_equal(opt_val(&a, "-action", "", 0),
                        "reboot=shutdown,shutdown=pause");
    assert_null(opt_val(&a, "-boot", "", 0));
    assert_null(opt_val(&a, "-device", "piix3", 0));
    vxl_argv_free(&a);

    /* nographic: no vnc, display none; acpi=0, hpet=0 */
    vxl_defbool_set(&c.b_info.u.hvm.nographic, true);
    vxl_defbool_set(&c.b_info.u.hvm.acpi, false);
    vxl_defbool_set(&c.b_info.u.hvm.hpet, false);
    c.b_info.u.hvm.vga.kind = VXL_VGA_INTERFACE_TYPE_NONE;
    assert_int_equal(vxl_qemu_argv(&c, &base_opts, &a, &post, &d), 0);
    assert_null(opt_val(&a, "-vnc", "", 0));
    assert_string_equal(opt_val(&a, "-display", "", 0), "none");
    assert_string_equal(opt_val(&a, "-vga", "", 0), "none");
    assert_string_equal(opt_val(&a, "-machine", "", 0),
                        "pc,accel=tcg,acpi=off,hpet=off");
    vxl_argv_free(&a);
    vxl_domain_config_dispose(&c);
}

/* vdev → bus: sd* on AHCI, xvd* virtio-blk, hdtype=ahci moves hd* too;
 * read-only disks, empty cdrom, qcow2 sniffed when format is unknown. */
static void disk_buses_and_formats(void **state)
{
    vxl_domain_config c;
    vxl_qemu_post post;
    vxl_argv a;
    vxl_diags d = {0};

    hvm_config(&c, "disks");
    add_disk(&c, img_qcow2, "xvda", VXL_DISK_FORMAT_QCOW2);
    vxl_device_disk *ro = add_disk(&c, img_raw, "sdb", VXL_DISK_FORMAT_RAW);
    ro->readwrite = 0;
    vxl_device_disk *cd = add_disk(&c, NULL, "hdd", VXL_DISK_FORMAT_EMPTY);
    cd->is_cdrom = 1;
    add_disk(&c, img_qcow2, "xvdab", VXL_DISK_FORMAT_UNKNOWN);
    add_disk(&c, img_raw, "hdb", VXL_DISK_FORMAT_VHD);
    add_disk(&c, img_raw, "xvdc", VXL_DISK_FORMAT_RAW)->readwrite = 0;

    assert_int_equal(vxl_qemu_argv(&c, &base_opts, &a, &post, &d), 0);
    assert_int_equal(d.n, 1);
    assert_true(has_diag(&d, VXL_WARNING, "vdev=sdb: IDE/AHCI disks cannot "
                         "be read-only"));
    vxl_diags_free(&d);
    assert_string_equal(opt_val(&a, "-device", "virtio-blk-pci", 0),
                        "virtio-blk-pci,drive=disk0");
    assert_non_null(strstr(opt_val(&a, "-drive", "if=none,id=disk0", 0),
                           ",format=qcow2"));
    assert_string_equal(opt_val(&a, "-device", "ahci", 0), "ahci,id=ahci0");
    assert_string_equal(opt_val(&a, "-device", "ide-hd,drive=disk1", 0),
                        "ide-hd,drive=disk1,bus=ahci0.1");
    assert_non_null(strstr(opt_val(&a, "-drive", "if=none,id=disk1", 0),
                           ",snapshot=on"));
    assert_null(strstr(opt_val(&a, "-drive", "if=none,id=disk1", 0),
                       "readonly"));
    assert_string_equal(opt_val(&a, "-drive", "if=none,id=disk2", 0),
                        "if=none,id=disk2,media=cdrom,readonly=on");
    assert_string_equal(opt_val(&a, "-device", "ide-cd", 0),
                        "ide-cd,drive=disk2,bus=ide.1,unit=1");
    assert_non_null(strstr(opt_val(&a, "-drive", "if=none,id=disk3", 0),
                           ",format=qcow2"));
    assert_non_null(strstr(opt_val(&a, "-drive", "if=none,id=disk4", 0),
                           ",format=vpc"));
    assert_string_equal(opt_val(&a, "-device", "ide-hd,drive=disk4", 0),
                        "ide-hd,drive=disk4,bus=ide.0,unit=1");
    assert_non_null(strstr(opt_val(&a, "-drive", "if=none,id=disk5", 0),
                           ",format=raw,readonly=on"));
    vxl_argv_free(&a);

    /* A declared (or defaulted) raw format is never reinterpreted, even
     * for a .vmdk or .qcow2 with that format's contents: a guest could
     * plant an image header (with a backing file) in its own raw disk.
     * format=vmdk, vxl's extension, is used as declared. */
    static const char vmdk_magic[8] = { 'K', 'D', 'M', 'V', 1, 0, 0, 0 };
    static const char qcow2_magic[8] = { 'Q', 'F', 'I', (char)0xfb, 0, 0, 0, 3 };
    char *vmdk = make_file("guest.vmdk", vmdk_magic, sizeof vmdk_magic);
    char *q2 = make_file("guest.qcow2", qcow2_magic, sizeof qcow2_magic);
    vxl_domain_config c2;
    hvm_config(&c2, "vmdk");
    add_disk(&c2, vmdk, "hda", VXL_DISK_FORMAT_RAW);
    add_disk(&c2, q2, "hdb", VXL_DISK_FORMAT_RAW);
    add_disk(&c2, vmdk, "hdc", VXL_DISK_FORMAT_UNKNOWN)->vxl_format = "vmdk";
    vxl_diags_free(&d);
    assert_int_equal(vxl_qemu_argv(&c2, &base_opts, &a, &post, &d), 0);
    assert_non_null(strstr(opt_val(&a, "-drive", "if=none,id=disk0", 0),
                           ",format=raw"));
    assert_non_null(strstr(opt_val(&a, "-drive", "if=none,id=disk1", 0),
                           ",format=raw"));
    assert_non_null(strstr(opt_val(&a, "-drive", "if=none,id=disk2", 0),
                           ",format=vmdk"));
    assert_false(has_diag(&d, VXL_WARNING, "is a vmdk image"));
    vxl_diags_free(&d);
    vxl_argv_free(&a);
    vxl_domain_config_dispose(&c2);
    free(vmdk);
    free(q2);

    c.b_info.u.hvm.hdtype = VXL_HDTYPE_AHCI;
    assert_int_equal(vxl_qemu_argv(&c, &base_opts, &a, &post, &d), 0);
    assert_string_equal(opt_val(&a, "-device", "ide-hd,drive=disk4", 0),
                        "ide-hd,drive=disk4,bus=ahci0.1");
    assert_int_equal(count_opt(&a, "-device") > 0, 1);
    assert_null(opt_val(&a, "-device", "ahci", 1));     /* one controller */
    vxl_argv_free(&a);
    vxl_diags_free(&d);
    vxl_domain_config_dispose(&c);
}

/* A missing disk file, a bad vdev, an empty non-cdrom: errors naming the
 * disk, no argv. */
static void disk_errors(void **state)
{
    vxl_domain_config c;
    vxl_qemu_post post;
    vxl_argv a = {0};
    vxl_diags d = {0};

    hvm_config(&c, "bad");
    add_disk(&c, "/nonexistent/disk.img", "hda", VXL_DISK_FORMAT_RAW);
    add_disk(&c, img_raw, "fd0", VXL_DISK_FORMAT_RAW);
    add_disk(&c, NULL, "hdb", VXL_DISK_FORMAT_EMPTY);
    add_disk(&c, img_raw, "hde", VXL_DISK_FORMAT_RAW);
    assert_int_equal(vxl_qemu_argv(&c, &base_opts, &a, &post, &d), -EINVAL);
    assert_null(a.v);
    assert_int_equal(d.nerrors, 4);
    assert_true(has_diag(&d, VXL_ERROR, "vdev=hda: cannot access target "
                         "/nonexistent/disk.img"));
    assert_true(has_diag(&d, VXL_ERROR, "vdev=fd0: not a device name"));
    assert_true(has_diag(&d, VXL_ERROR, "vdev=hdb: no target"));
    assert_true(has_diag(&d, VXL_ERROR, "vdev=hde: at most 4 hd disks"));
    vxl_diags_free(&d);
    vxl_domain_config_dispose(&c);
}

/* PV and PVH: direct kernel boot, hvc0 console, virtio devices. */
static void pv_direct_kernel_boot(void **state)
{
    vxl_domain_config c;
    vxl_qemu_post post;
    vxl_argv a;
    vxl_diags d = {0};

    vxl_domain_config_init(&c);
    c.c_info.type = VXL_DOMAIN_TYPE_PVH;
    vxl_domain_build_info_init_type(&c.b_info, VXL_DOMAIN_TYPE_PVH);
    c.c_info.name = xstrdup("alpine");
    c.b_info.kernel = xstrdup(kernel);
    c.b_info.ramdisk = xstrdup(initrd);
    c.b_info.cmdline = xstrdup("console=hvc0 root=/dev/xvda1");
    c.b_info.max_memkb = 256 * 1024;
    c.b_info.target_memkb = 128 * 1024;
    add_disk(&c, img_raw, "xvda", VXL_DISK_FORMAT_RAW);
    vxl_domain_config_add_nic(&c);

    assert_int_equal(vxl_qemu_argv(&c, &base_opts, &a, &post, &d), 0);
    assert_string_equal(opt_val(&a, "-kernel", "", 0), kernel);
    assert_string_equal(opt_val(&a, "-initrd", "", 0), initrd);
    assert_string_equal(opt_val(&a, "-append", "", 0),
                        "console=hvc0 root=/dev/xvda1");
    assert_string_equal(opt_val(&a, "-m", "", 0), "128");
    assert_true(has_diag(&d, VXL_WARNING, "does not balloon"));
    assert_string_equal(opt_val(&a, "-device", "virtconsole", 0),
                        "virtconsole,chardev=con0,bus=vser0.0");
    assert_null(opt_val(&a, "-serial", "", 0));
    assert_string_equal(opt_val(&a, "-vga", "", 0), "none");
    assert_string_equal(opt_val(&a, "-display", "", 0), "none");
    assert_non_null(opt_val(&a, "-device", "virtio-net-pci,netdev=net0,"
                            "mac=00:16:3e:", 0));
    vxl_argv_free(&a);
    vxl_diags_free(&d);

    /* PV without a kernel but a bootloader: a clear error */
    c.c_info.type = VXL_DOMAIN_TYPE_PV;
    vxl_domain_build_info_init_type(&c.b_info, VXL_DOMAIN_TYPE_PV);
    free(c.b_info.kernel);
    c.b_info.kernel = NULL;
    c.b_info.bootloader = xstrdup("pygrub");
    assert_int_equal(vxl_qemu_argv(&c, &base_opts, &a, &post, &d), -EINVAL);
    assert_true(has_diag(&d, VXL_ERROR, "bootloader=\"pygrub\""));
    vxl_diags_free(&d);

    /* a missing kernel file */
    c.b_info.kernel = xstrdup("/nonexistent/vmlinuz");
    assert_int_equal(vxl_qemu_argv(&c, &base_opts, &a, &post, &d), -ENOENT);
    assert_true(has_diag(&d, VXL_ERROR, "kernel=\"/nonexistent/vmlinuz\""));
    vxl_diags_free(&d);
    vxl_domain_config_dispose(&c);
}

/* Options QEMU cannot honour are warned about, one warning each. */
static void unsupported_options_warn(void **state)
{
    vxl_domain_config c;
    vxl_qemu_post post;
    vxl_argv a;
    vxl_diags d = {0};

    hvm_config(&c, "odd");
    vxl_domain_config_add_pcidev(&c);
    vxl_domain_config_add_vtpm(&c);
    vxl_defbool_set(&c.b_info.u.hvm.viridian, true);
    c.b_info.u.hvm.bios = VXL_BIOS_TYPE_ROMBIOS;
    c.b_info.u.hvm.usbdevice = xstrdup("host:1234:5678");
    c.b_info.u.hvm.soundhw = xstrdup("gus");
    vxl_device_nic *n = vxl_domain_config_add_nic(&c);
    n->bridge = xstrdup("xenbr0");
    n->script = xstrdup("vif-bridge");
    assert_int_equal(vxl_qemu_argv(&c, &base_opts, &a, &post, &d), 0);
    assert_int_equal(d.nerrors, 0);
    assert_true(has_diag(&d, VXL_WARNING, "PCI passthrough"));
    assert_true(has_diag(&d, VXL_WARNING, "vtpm="));
    assert_true(has_diag(&d, VXL_WARNING, "viridian"));
    assert_true(has_diag(&d, VXL_WARNING, "rombios"));
    assert_true(has_diag(&d, VXL_WARNING, "usbdevice=\"host:1234:5678\""));
    assert_true(has_diag(&d, VXL_WARNING, "soundhw=\"gus\""));
    assert_true(has_diag(&d, VXL_WARNING, "bridge=xenbr0 needs root"));
    assert_true(has_diag(&d, VXL_WARNING, "script=vif-bridge"));
    assert_int_equal(d.n, 8);
    assert_string_equal(opt_val(&a, "-netdev", "", 0), "user,id=net0");
    assert_string_equal(opt_val(&a, "-device", "rtl8139", 0) ?
                        "ok" : "missing", "ok");
    vxl_argv_free(&a);
    vxl_diags_free(&d);

    /* privileged: bridge= becomes a bridge netdev when the bridge exists */
    vxl_qemu_argv_opts o = base_opts;
    o.privileged = true;
    free(n->bridge);
    n->bridge = xstrdup("vxl-no-such-br0");
    assert_int_equal(vxl_qemu_argv(&c, &o, &a, &post, &d), 0);
    assert_string_equal(opt_val(&a, "-netdev", "", 0), "user,id=net0");
    assert_true(has_diag(&d, VXL_WARNING, "there is no bridge vxl-no-such-br0"));
    vxl_argv_free(&a);
    vxl_diags_free(&d);
    /* a bridge this host has, if any */
    FILE *pf = popen("ls /sys/class/net/*/bridge 2>/dev/null | head -1 | "
                     "cut -d/ -f5", "r");
    char br[64] = "";
    if (pf && fgets(br, sizeof br, pf))
        br[strcspn(br, "\n")] = 0;
    if (pf)
        pclose(pf);
    if (*br) {
        free(n->bridge);
        n->bridge = xstrdup(br);
        assert_int_equal(vxl_qemu_argv(&c, &o, &a, &post, &d), 0);
        char *want = xasprintf("bridge,id=net0,br=%s", br);
        assert_string_equal(opt_val(&a, "-netdev", "", 0), want);
        free(want);
        vxl_argv_free(&a);
        vxl_diags_free(&d);
    }
    vxl_domain_config_dispose(&c);
}

/* sdl needs a display; vnc password is set after start; OVMF needs a
 * firmware file; serial lists; rtc offsets; extra args verbatim. */
static void display_firmware_serial_extra(void **state)
{
    vxl_domain_config c;
    vxl_qemu_post post;
    vxl_argv a;
    vxl_diags d = {0};
    vxl_qemu_argv_opts o = base_opts;

    hvm_config(&c, "gfx");
    vxl_defbool_set(&c.b_info.u.hvm.sdl.enable, true);
    assert_int_equal(vxl_qemu_argv(&c, &o, &a, &post, &d), -EINVAL);
    assert_true(has_diag(&d, VXL_ERROR, "no display"));
    vxl_diags_free(&d);
    o.display_env = ":0";
    assert_int_equal(vxl_qemu_argv(&c, &o, &a, &post, &d), 0);
    assert_string_equal(opt_val(&a, "-display", "", 0), "sdl");
    assert_null(opt_val(&a, "-vnc", "", 0));        /* sdl replaces vnc */
    vxl_argv_free(&a);
    vxl_defbool_set(&c.b_info.u.hvm.sdl.enable, false);

    c.b_info.u.hvm.vnc.passwd = xstrdup("s3cret");
    c.b_info.u.hvm.vnc.listen = xstrdup("127.0.0.1:5");
    assert_int_equal(vxl_qemu_argv(&c, &o, &a, &post, &d), 0);
    assert_string_equal(opt_val(&a, "-vnc", "", 0),
                        "127.0.0.1:5,to=99,password=on");
    assert_string_equal(post.vnc_password, "s3cret");
    vxl_qemu_post_dispose(&post);
    vxl_argv_free(&a);

    c.b_info.u.hvm.bios = VXL_BIOS_TYPE_OVMF;
    o.ovmf_path = "/nonexistent/OVMF.fd";
    assert_int_equal(vxl_qemu_argv(&c, &o, &a, &post, &d), -ENOENT);
    assert_true(has_diag(&d, VXL_ERROR, "no OVMF firmware"));
    vxl_diags_free(&d);
    o.ovmf_path = img_raw;                  /* any readable file will do */
    assert_int_equal(vxl_qemu_argv(&c, &o, &a, &post, &d), 0);
    char *want = xasprintf("if=pflash,format=raw,unit=0,readonly=on,"
                           "file=%s/disk,,1.img", tmpdir);
    assert_string_equal(opt_val(&a, "-drive", "if=pflash", 0), want);
    free(want);
    vxl_argv_free(&a);
    vxl_qemu_post_dispose(&post);
    c.b_info.u.hvm.bios = VXL_BIOS_TYPE_UNKNOWN;

    vxl_string_list_append(&c.b_info.u.hvm.serial_list, "pty");
    vxl_string_list_append(&c.b_info.u.hvm.serial_list, "file:/tmp/com2.log");
    c.b_info.rtc_timeoffset = 3600;
    c.b_info.u.hvm.boot = xstrdup("cx");
    assert_int_equal(vxl_qemu_argv(&c, &o, &a, &post, &d), -EINVAL);
    assert_true(has_diag(&d, VXL_ERROR, "boot=\"cx\""));
    vxl_diags_free(&d);
    free(c.b_info.u.hvm.boot);
    c.b_info.u.hvm.boot = xstrdup("n");
    vxl_string_list_append(&c.b_info.extra_hvm, "-device");
    vxl_string_list_append(&c.b_info.extra_hvm, "pvpanic");
    assert_int_equal(vxl_qemu_argv(&c, &o, &a, &post, &d), 0);
    assert_string_equal(opt_val(&a, "-serial", "", 0), "chardev:con0");
    assert_string_equal(opt_val(&a, "-serial", "", 1), "file:/tmp/com2.log");
    const char *rtc = opt_val(&a, "-rtc", "base=", 0);
    assert_non_null(rtc);
    assert_int_equal(strlen(rtc), strlen("base=2026-01-01T00:00:00"));
    assert_string_equal(a.v[a.n - 2], "-device");
    assert_string_equal(a.v[a.n - 1], "pvpanic");
    vxl_argv_free(&a);
    vxl_qemu_post_dispose(&post);
    vxl_domain_config_dispose(&c);
}

static void argv_join_quotes(void **state)
{
    vxl_argv a = {0};
    vxl_argv_add(&a, "qemu");
    vxl_argv_add(&a, "-append");
    vxl_argv_add(&a, "console=ttyS0 it's");
    vxl_argv_add(&a, "");
    char *s = vxl_argv_join(&a);
    assert_string_equal(s, "qemu -append 'console=ttyS0 it'\\''s' ''");
    free(s);
    vxl_argv_free(&a);
}

/* Parse xl.cfg text with vxl's real parser (xl's semantics). */
static void parse_text(const char *text, vxl_domain_config *c)
{
    static const struct vxl_host host = { 4, 1, 8192 };
    vxl_diags d = {0};
    cfg_config *cfg = cfg_init("guest.cfg");

    assert_int_equal(cfg_readdata(cfg, text, strlen(text), &d), 0);
    vxl_domain_config_init(c);
    int rc = vxl_parse_domain_config(cfg, &host, NULL, c, &d);  /* xl.conf defaults */
    /* until vxl_parse_domain_config reads the device lists itself
     * (HAVE_DEVICES in cfgparse/domain.c), read them here */
    if (!rc && !c->num_disks && !c->num_nics)
        rc = vxl_parse_devices(cfg, &host, NULL, c, &d);
    if (rc) {
        vxl_diags_print(&d, stderr);
        fail();
    }
    vxl_diags_free(&d);
    cfg_destroy(cfg);
}

/* examples/WinXP_Xen.hvm through the parser: what xl would build */
static void example_winxp_through_parser(void **state)
{
    char *text = xasprintf(
        "builder = \"hvm\"\nname = \"WinXP_Xen\"\nmemory = 2048\n"
        "vcpus = 2\ndisk = [ 'format=qcow2, vdev=hda, access=rw, "
        "target=%s' ]\nvif = [ 'model=rtl8139' ]\nboot = \"c\"\n"
        "acpi = 1\nusbdevice = \"tablet\"\nsdl = 1\nvnc = 0\n", img_qcow2);
    vxl_domain_config c;
    vxl_qemu_post post;
    vxl_argv a;
    vxl_diags d = {0};

    parse_text(text, &c);
    /* sdl without a display: a clear error */
    assert_int_equal(vxl_qemu_argv(&c, &base_opts, &a, &post, &d), -EINVAL);
    assert_true(has_diag(&d, VXL_ERROR, "sdl=1: there is no display"));
    vxl_diags_free(&d);
    vxl_qemu_argv_opts o = base_opts;
    o.display_env = ":1";
    assert_int_equal(vxl_qemu_argv(&c, &o, &a, &post, &d), 0);
    assert_int_equal(d.n, 0);
    assert_string_equal(opt_val(&a, "-m", "", 0), "2048");
    assert_string_equal(opt_val(&a, "-smp", "", 0), "2,maxcpus=2");
    assert_string_equal(opt_val(&a, "-machine", "", 0), "pc,accel=tcg");
    char *want = xasprintf("if=none,id=disk0,file=%s,format=qcow2", img_qcow2);
    assert_string_equal(opt_val(&a, "-drive", "if=none,id=disk0", 0), want);
    free(want);
    assert_string_equal(opt_val(&a, "-device", "ide-hd", 0),
                        "ide-hd,drive=disk0,bus=ide.0,unit=0");
    assert_non_null(opt_val(&a, "-device", "rtl8139,netdev=net0,mac=00:16:3e:",
                            0));
    assert_string_equal(opt_val(&a, "-boot", "", 0), "order=c");
    assert_non_null(opt_val(&a, "-device", "usb-tablet", 0));
    assert_string_equal(opt_val(&a, "-display", "", 0), "sdl");
    assert_null(opt_val(&a, "-vnc", "", 0));
    assert_string_equal(opt_val(&a, "-vga", "", 0), "cirrus");
    vxl_argv_free(&a);
    vxl_qemu_post_dispose(&post);
    vxl_domain_config_dispose(&c);
    free(text);
}

/* examples/alpine.pvh through the parser: direct kernel boot, virtio,
 * and warnings for what QEMU does not do (pinning, bridge as non-root) */
static void example_alpine_pvh_through_parser(void **state)
{
    char *text = xasprintf(
        "name = \"alpine-pvh\"\ntype = \"pvh\"\nkernel = \"%s\"\n"
        "ramdisk = \"%s\"\ncmdline = \"console=hvc0 root=/dev/xvda\"\n"
        "memory = 256\nvcpus = 2\ncpus = \"0-3\"\n"
        "disk = [ 'format=raw, vdev=xvda, access=rw, target=%s' ]\n"
        "vif = [ 'mac=00:16:3e:12:34:56,bridge=xenbr0' ]\n",
        kernel, initrd, img_raw);
    vxl_domain_config c;
    vxl_qemu_post post;
    vxl_argv a;
    vxl_diags d = {0};

    parse_text(text, &c);
    assert_int_equal(vxl_qemu_argv(&c, &base_opts, &a, &post, &d), 0);
    assert_int_equal(d.nerrors, 0);
    assert_true(has_diag(&d, VXL_WARNING, "vCPU pinning"));
    assert_true(has_diag(&d, VXL_WARNING, "bridge=xenbr0 needs root"));
    assert_string_equal(opt_val(&a, "-kernel", "", 0), kernel);
    assert_string_equal(opt_val(&a, "-initrd", "", 0), initrd);
    assert_string_equal(opt_val(&a, "-append", "", 0),
                        "console=hvc0 root=/dev/xvda");
    assert_string_equal(opt_val(&a, "-m", "", 0), "256");
    assert_string_equal(opt_val(&a, "-smp", "", 0), "2,maxcpus=2");
    assert_string_equal(opt_val(&a, "-device", "virtio-blk-pci", 0),
                        "virtio-blk-pci,drive=disk0");
    assert_string_equal(opt_val(&a, "-device", "virtio-net-pci", 0),
                        "virtio-net-pci,netdev=net0,mac=00:16:3e:12:34:56");
    assert_non_null(opt_val(&a, "-device", "virtconsole", 0));
    vxl_argv_free(&a);
    vxl_diags_free(&d);
    vxl_domain_config_dispose(&c);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hvm_winxp_like),
        cmocka_unit_test(hvm_defaults),
        cmocka_unit_test(disk_buses_and_formats),
        cmocka_unit_test(disk_errors),
        cmocka_unit_test(pv_direct_kernel_boot),
        cmocka_unit_test(unsupported_options_warn),
        cmocka_unit_test(display_firmware_serial_extra),
        cmocka_unit_test(argv_join_quotes),
        cmocka_unit_test(example_winxp_through_parser),
        cmocka_unit_test(example_alpine_pvh_through_parser),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

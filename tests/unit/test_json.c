/* Unit tests for cfgparse/json.c: configs built in C must print exactly
 * what Xen 4.17's xl printed for the matching xl.cfg files in
 * tests/data/json/ (see PROVENANCE there). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cfgparse/json.h"
#include "cfgparse/model.h"
#include "common/util.h"

static char *slurp(const char *name)
{
    const char *top = getenv("VXL_TOP");
    char *path = xasprintf("%s/tests/data/json/%s", top ? top : ".", name);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    free(path);
    strbuf sb = {0};
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        sb_append(&sb, buf, n);
    fclose(f);
    return sb_steal(&sb);
}

static void expect_json(char *got, const char *file)
{
    char *want = slurp(file);
    assert_non_null(got);
    if (strcmp(got, want)) {
        fprintf(stderr, "--- got\n%s--- want\n%s", got, want);
        fail_msg("%s differs", file);
    }
    free(want);
    free(got);
}

static char *dup(const char *s) { return xstrdup(s); }

static void set_uuid(vxl_uuid *u, const char *s)
{
    assert_int_equal(vxl_uuid_from_string(u, s), 0);
}

static void bitmap_of(vxl_bitmap *b, int nbits, const int *bits, int n)
{
    vxl_bitmap_alloc(b, nbits);
    for (int i = 0; i < n; i++)
        vxl_bitmap_set(b, bits[i]);
}

/* xl's common defaults for a created domain */
static void common(vxl_domain_config *d, vxl_domain_type t, const char *name)
{
    d->c_info.type = t;
    d->c_info.name = dup(name);
    vxl_defbool_set(&d->c_info.run_hotplug_scripts, true);
    vxl_defbool_set(&d->b_info.claim_mode, true);
    vxl_domain_build_info_init_type(&d->b_info, t);
    d->on_reboot = VXL_ACTION_ON_SHUTDOWN_RESTART;
    d->on_soft_reset = VXL_ACTION_ON_SHUTDOWN_SOFT_RESET;
}

static void json_hvm(void **state)
{
    vxl_domain_config d;
    vxl_domain_config_init(&d);
    vxl_domain_build_info *b = &d.b_info;
    common(&d, VXL_DOMAIN_TYPE_HVM, "win");
    set_uuid(&d.c_info.uuid, "5a4c8f3e-0b1d-4c7e-9f00-123456789abc");

    b->max_vcpus = 4;
    bitmap_of(&b->avail_vcpus, 4, (int[]){0, 1}, 2);
    for (int i = 0; i < 4; i++) {
        vxl_bitmap *m = VXL_ARRAY_EXTEND(b->vcpu_hard_affinity,
                                         b->num_vcpu_hard_affinity,
                                         vxl_bitmap_init);
        bitmap_of(m, 16, (int[]){2, 3}, 2);
    }
    b->tsc_mode = VXL_TSC_MODE_NATIVE;
    b->max_memkb = 4194304;
    b->target_memkb = 2097152;
    b->rtc_timeoffset = 3600;
    vxl_defbool_set(&b->localtime, true);
    vxl_cpuid_leaf *l = vxl_cpuid_policy_leaf(&b->cpuid, 1,
                                              VXL_CPUID_INPUT_UNUSED);
    l->policy[2] = dup("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx1");
    l->policy[3] = dup("xx0xxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    vxl_string_list_append(&b->extra_hvm, "-a");
    vxl_string_list_append(&b->extra_hvm, "-b");
    b->sched_params.weight = 512;
    b->sched_params.cap = 50;
    vxl_defbool_set(&b->acpi, true);
    b->timer_mode = VXL_TIMER_MODE_NO_DELAY_FOR_MISSED_TICKS;
    vxl_defbool_set(&b->nested_hvm, true);
    b->u.hvm.bios = VXL_BIOS_TYPE_OVMF;
    bitmap_of(&b->u.hvm.viridian_enable, 13, (int[]){0, 1}, 2);
    bitmap_of(&b->u.hvm.viridian_disable, 13, (int[]){2}, 1);
    vxl_defbool_set(&b->u.hvm.hpet, false);
    b->u.hvm.hdtype = VXL_HDTYPE_AHCI;
    b->u.hvm.vga.kind = VXL_VGA_INTERFACE_TYPE_STD;
    vxl_defbool_set(&b->u.hvm.vnc.enable, true);
    b->u.hvm.vnc.listen = dup("0.0.0.0");
    b->u.hvm.vnc.display = 3;
    vxl_defbool_set(&b->u.hvm.sdl.enable, false);
    vxl_defbool_set(&b->u.hvm.spice.enable, true);
    b->u.hvm.spice.port = 6000;
    b->u.hvm.spice.host = dup("127.0.0.1");
    vxl_defbool_set(&b->u.hvm.spice.disable_ticketing, true);
    b->u.hvm.boot = dup("dc");
    vxl_defbool_set(&b->u.hvm.usb, true);
    b->u.hvm.soundhw = dup("hda");
    vxl_defbool_set(&b->u.hvm.xen_platform_pci, true);
    vxl_string_list_append(&b->u.hvm.usbdevice_list, "tablet");
    static const uint8_t genid[16] = { 3, 245, 187, 96, 137, 53, 153, 1,
                                       216, 159, 114, 106, 210, 163, 254,
                                       73 };
    memcpy(b->u.hvm.ms_vm_genid.bytes, genid, 16);
    vxl_string_list_append(&b->u.hvm.serial_list, "pty");
    vxl_string_list_append(&b->u.hvm.serial_list, "file:/tmp/x");

    vxl_device_disk *k = vxl_domain_config_add_disk(&d);
    k->pdev_path = dup("/dev/vg/win");
    k->vdev = dup("hda");
    k->format = VXL_DISK_FORMAT_RAW;
    k->readwrite = 1;
    k = vxl_domain_config_add_disk(&d);
    k->pdev_path = dup("/iso/x.iso");
    k->vdev = dup("hdc");
    k->format = VXL_DISK_FORMAT_RAW;
    k->removable = 1;
    k->is_cdrom = 1;

    vxl_device_nic *n = vxl_domain_config_add_nic(&d);
    n->devid = 0;
    n->model = dup("e1000");
    static const uint8_t mac[6] = { 0x00, 0x16, 0x3e, 0xaa, 0xbb, 0xcc };
    memcpy(n->mac, mac, 6);
    n->bridge = dup("xenbr0");
    n = vxl_domain_config_add_nic(&d);
    n->devid = 1;
    n->nictype = VXL_NIC_TYPE_VIF_IOEMU;
    n->rate_bytes_per_interval = 62500;
    n->rate_interval_usecs = 50000;

    d.on_poweroff = VXL_ACTION_ON_SHUTDOWN_RESTART;
    d.on_crash = VXL_ACTION_ON_SHUTDOWN_PRESERVE;

    expect_json(vxl_domain_config_to_json(&d), "hvm.json");
    vxl_domain_config_dispose(&d);
}

static void json_pv(void **state)
{
    vxl_domain_config d;
    vxl_domain_config_init(&d);
    vxl_domain_build_info *b = &d.b_info;
    common(&d, VXL_DOMAIN_TYPE_PV, "pv1");
    set_uuid(&d.c_info.uuid, "ee2c03b1-1054-4e1b-bc75-fa5a78531141");
    d.c_info.ssid_label = dup("system_u:system_r:domU_t");
    d.c_info.pool_name = dup("Pool-0");
    vxl_defbool_set(&d.c_info.driver_domain, true);

    b->max_vcpus = 3;
    bitmap_of(&b->avail_vcpus, 3, (int[]){0, 1, 2}, 3);
    b->max_memkb = b->target_memkb = 262144;
    b->max_grant_version = 1;
    b->cmdline = dup("root=/dev/xvda1 ro");
    b->ramdisk = dup("/boot/initrd");
    b->bootloader = dup("pygrub");
    vxl_string_list_append(&b->bootloader_args, "-q");
    vxl_string_list_append(&b->bootloader_args, "--entry=1");
    vxl_defbool_set(&b->u.pv.e820_host, true);
    b->u.pv.features = "ignored: const";
    b->altp2m = VXL_ALTP2M_MODE_EXTERNAL;
    vxl_defbool_set(&b->vpmu, true);

    vxl_device_disk *k = vxl_domain_config_add_disk(&d);
    k->pdev_path = dup("/img.qcow2,format=qcow2,discard");
    k->vdev = dup("xvda");
    k->format = VXL_DISK_FORMAT_RAW;
    k->readwrite = 1;
    k = vxl_domain_config_add_disk(&d);
    k->pdev_path = dup("/dev/sdb");
    k->vdev = dup("xvdb");
    k->format = VXL_DISK_FORMAT_RAW;

    vxl_device_nic *n = vxl_domain_config_add_nic(&d);
    n->devid = 0;
    n = vxl_domain_config_add_nic(&d);
    n->devid = 1;
    n->mtu = 9000;
    n->ip = dup("10.0.0.2");
    n->ifname = dup("v1");
    n->script = dup("vif-route");

    vxl_device_usbctrl *uc = vxl_domain_config_add_usbctrl(&d);
    uc->type = VXL_USBCTRL_TYPE_PV;
    uc->devid = 0;
    uc->version = 1;
    uc->ports = 2;
    vxl_device_usbdev *ud = vxl_domain_config_add_usbdev(&d);
    vxl_device_usbdev_init_type(ud, VXL_USBDEV_TYPE_HOSTDEV);
    ud->u.hostdev.hostbus = 1;
    ud->u.hostdev.hostaddr = 3;

    d.on_reboot = VXL_ACTION_ON_SHUTDOWN_DESTROY;
    d.on_watchdog = VXL_ACTION_ON_SHUTDOWN_COREDUMP_RESTART;

    expect_json(vxl_domain_config_to_json(&d), "pv.json");
    vxl_domain_config_dispose(&d);
}

static void json_misc_devices(void **state)
{
    vxl_domain_config d;
    vxl_domain_config_init(&d);
    vxl_domain_build_info *b = &d.b_info;
    common(&d, VXL_DOMAIN_TYPE_PVH, "misc");
    set_uuid(&d.c_info.uuid, "0c4ddef5-8522-4c00-9957-302b13af6c43");

    b->max_vcpus = 2;
    bitmap_of(&b->avail_vcpus, 2, (int[]){0, 1}, 2);
    vxl_defbool_set(&b->numa_placement, false);
    b->max_memkb = b->target_memkb = 1048576;
    for (int i = 0; i < 2; i++) {
        vxl_vnode_info *v = vxl_build_info_add_vnuma_node(b);
        v->memkb = 524288;
        v->num_distances = 2;
        v->distances = xcalloc(2, sizeof(uint32_t));
        v->distances[0] = i ? 20 : 10;
        v->distances[1] = i ? 10 : 20;
        v->pnode = (uint32_t)i;
        bitmap_of(&v->vcpus, 2, (int[]){i}, 1);
    }
    b->max_grant_frames = 64;
    b->device_model_user = dup("qemu");
    vxl_ioport_range *io = vxl_build_info_add_ioport(b);
    io->first = 760;
    io->number = 8;
    vxl_build_info_add_irq(b, 5);
    vxl_build_info_add_irq(b, 7);
    vxl_iomem_range *im = vxl_build_info_add_iomem(b);
    im->start = 1040384;
    im->number = 2;
    im->gfn = 1036288;
    b->kernel = dup("/boot/vmlinuz");
    b->cmdline = dup("console=hvc0");
    vxl_defbool_set(&b->u.pvh.pvshim, true);

    vxl_device_pci *p = vxl_domain_config_add_pcidev(&d);
    p->bus = 3;
    p->vfunc_mask = 1;
    p->permissive = true;
    p->rdm_policy = VXL_RDM_RESERVE_POLICY_STRICT;
    p = vxl_domain_config_add_pcidev(&d);
    p->func = 1;
    p->bus = 4;
    p->vfunc_mask = 1;
    p->seize = true;
    p->rdm_policy = VXL_RDM_RESERVE_POLICY_RELAXED;

    vxl_domain_config_add_dtdev(&d)->path = dup("/soc/dma");

    vxl_device_vfb *fb = vxl_domain_config_add_vfb(&d);
    fb->devid = 0;
    vxl_defbool_set(&fb->vnc.enable, true);
    fb->vnc.listen = dup("127.0.0.1");
    fb->keymap = dup("de");

    vxl_domain_config_add_vkb(&d)->devid = 0;
    vxl_device_vkb *kb = vxl_domain_config_add_vkb(&d);
    kb->devid = 1;
    kb->backend_type = VXL_VKB_BACKEND_LINUX;
    kb->unique_id = dup("K0");
    kb->feature_abs_pointer = true;
    kb->width = 800;

    vxl_device_vtpm *tpm = vxl_domain_config_add_vtpm(&d);
    tpm->backend_domname = dup("tpmdom");
    tpm->devid = 0;
    set_uuid(&tpm->uuid, "12345678-1234-1234-1234-123456789abc");

    vxl_device_p9 *p9 = vxl_domain_config_add_p9(&d);
    p9->backend_domname = dup("0");
    p9->tag = dup("share");
    p9->path = dup("/srv");
    p9->security_model = dup("none");

    vxl_device_pvcallsif *pc = vxl_domain_config_add_pvcallsif(&d);
    pc->backend_domname = dup("0");
    pc->devid = 0;

    vxl_device_vdispl *vd = vxl_domain_config_add_vdispl(&d);
    vd->backend_domname = dup("0");
    vd->devid = 0;
    vd->be_alloc = true;
    vxl_connector_param *c = vxl_device_vdispl_add_connector(vd);
    c->unique_id = dup("id0");
    c->width = 1920;
    c->height = 1080;
    c = vxl_device_vdispl_add_connector(vd);
    c->unique_id = dup("id1");
    c->width = 800;
    c->height = 600;

    vxl_device_channel *ch = vxl_domain_config_add_channel(&d);
    ch->devid = 0;
    ch->name = dup("org.qemu.guest_agent.0");
    vxl_device_channel_init_connection(ch, VXL_CHANNEL_CONNECTION_SOCKET);
    ch->u.socket.path = dup("/tmp/qga");
    ch = vxl_domain_config_add_channel(&d);
    ch->devid = 1;
    ch->name = dup("c2");
    vxl_device_channel_init_connection(ch, VXL_CHANNEL_CONNECTION_PTY);

    vxl_device_usbctrl *uc = vxl_domain_config_add_usbctrl(&d);
    uc->devid = 0;
    uc->version = 2;
    uc->ports = 4;
    /* a usbdev whose type was never set: libxl prints no union at all */
    vxl_domain_config_add_usbdev(&d);

    expect_json(vxl_domain_config_to_json(&d), "misc.json");
    vxl_domain_config_dispose(&d);
}

static void json_vsnd_cpuid(void **state)
{
    vxl_domain_config d;
    vxl_domain_config_init(&d);
    vxl_domain_build_info *b = &d.b_info;
    common(&d, VXL_DOMAIN_TYPE_PV, "s");
    set_uuid(&d.c_info.uuid, "ebc92a51-88b7-470b-9f44-ce5621a03698");
    b->max_memkb = b->target_memkb = 65536;
    vxl_cpuid_leaf *l = vxl_cpuid_policy_leaf(&b->cpuid, 0x80000001,
                                              VXL_CPUID_INPUT_UNUSED);
    l->policy[2] = dup("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx1x");
    l = vxl_cpuid_policy_leaf(&b->cpuid, 7, 0);
    l->policy[1] = dup("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx0");
    b->kernel = dup("/k");

    vxl_device_vsnd *v = vxl_domain_config_add_vsnd(&d);
    v->backend_domname = dup("0");
    v->devid = 0;
    v->short_name = dup("SN");
    v->long_name = dup("LN");
    v->params.num_sample_rates = 2;
    v->params.sample_rates = xcalloc(2, sizeof(uint32_t));
    v->params.sample_rates[0] = 8000;
    v->params.sample_rates[1] = 44100;
    v->params.num_sample_formats = 2;
    v->params.sample_formats = xcalloc(2, sizeof(vxl_vsnd_pcm_format));
    v->params.sample_formats[0] = VXL_VSND_PCM_FORMAT_S16_LE;
    v->params.sample_formats[1] = VXL_VSND_PCM_FORMAT_U8;
    v->params.buffer_size = 1024;
    vxl_vsnd_pcm *pcm = vxl_device_vsnd_add_pcm(v);
    pcm->name = dup("p0");
    vxl_vsnd_stream *st = vxl_vsnd_pcm_add_stream(pcm);
    st->unique_id = dup("st0");
    st->type = VXL_VSND_STREAM_TYPE_P;
    st->params.channels_max = 2;

    expect_json(vxl_domain_config_to_json(&d), "vsnd.json");
    vxl_domain_config_dispose(&d);
}

static void json_disk_attach(void **state)
{
    vxl_device_disk k;
    vxl_device_disk_init(&k);
    k.pdev_path = dup("/dev/vg/x");
    k.vdev = dup("xvdc");
    k.backend = VXL_DISK_BACKEND_PHY;
    k.format = VXL_DISK_FORMAT_RAW;
    k.script = dup("block-x");
    k.removable = 1;
    k.is_cdrom = 1;
    k.direct_io_safe = true;
    vxl_defbool_set(&k.colo_enable, true);
    k.colo_host = dup("h");
    k.colo_port = 9;
    k.colo_export = dup("e");
    k.active_disk = dup("a");
    k.hidden_disk = dup("hd");
    char *j = vxl_device_disk_to_json(&k);
    expect_json(xasprintf("disk: %s\n", j), "disk-attach.out");
    free(j);
    vxl_device_disk_dispose(&k);
}

static void json_nic_attach(void **state)
{
    vxl_device_nic n;
    vxl_device_nic_init(&n);
    n.backend_domname = dup("dom1");
    n.model = dup("rtl8139");
    static const uint8_t mac[6] = { 0xaa, 0, 0, 0, 0, 1 };
    memcpy(n.mac, mac, 6);
    n.bridge = dup("br0");
    n.nictype = VXL_NIC_TYPE_VIF;
    n.rate_bytes_per_interval = 20000;
    n.rate_interval_usecs = 20000;
    n.gatewaydev = dup("eth0");
    char *j = vxl_device_nic_to_json(&n);
    expect_json(xasprintf("vif: %s\n", j), "nic-attach.out");
    free(j);
    vxl_device_nic_dispose(&n);
}

/* Rules not covered by the oracle files above. */
static void json_rules(void **state)
{
    vxl_domain_config d;
    vxl_domain_config_init(&d);
    char *j = vxl_domain_config_to_json(&d);
    /* fresh config: invalid type prints "type.invalid": {} in b_info and
     * the "invalid" c_info type is skipped (== init value) */
    assert_non_null(strstr(j, "\"type.invalid\": {\n\n        }"));
    assert_null(strstr(j, "\"type\": "));
    assert_null(strstr(j, "on_poweroff"));
    free(j);

    /* uint64 beyond 2^63 prints as an unsigned decimal; key/value lists
     * print null values; a value with no enum name prints null */
    vxl_domain_config_add_rdm(&d)->start = 0xfffffffffffff000ULL;
    vxl_key_value_list_append(&d.c_info.platformdata, "k", NULL);
    d.b_info.tee = (vxl_tee_type)7;
    j = vxl_domain_config_to_json(&d);
    assert_non_null(strstr(j, "\"start\": 18446744073709547520"));
    assert_non_null(strstr(j, "\"platformdata\": {\n            \"k\": null"));
    assert_non_null(strstr(j, "\"tee\": null"));
    /* strings are escaped by yajl */
    free(j);
    d.c_info.name = dup("a\"b\\c\n");
    j = vxl_domain_config_to_json(&d);
    assert_non_null(strstr(j, "\"name\": \"a\\\"b\\\\c\\n\""));
    free(j);
    vxl_domain_config_dispose(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(json_hvm),
        cmocka_unit_test(json_pv),
        cmocka_unit_test(json_misc_devices),
        cmocka_unit_test(json_vsnd_cpuid),
        cmocka_unit_test(json_disk_attach),
        cmocka_unit_test(json_nic_attach),
        cmocka_unit_test(json_rules),
    };
    return cmocka_run_group_tests_name("json", tests, NULL, NULL);
}

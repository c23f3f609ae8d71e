/* Unit tests for cfgparse/domain.c: xl.cfg options (other than device
 * lists) → domain model, and xl's rejections with their positions.
 * Expected values follow Xen 4.17's xl (checked against xl -N create). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cfgparse/cfg.h"
#include "cfgparse/domain.h"
#include "cfgparse/model.h"

static const struct vxl_host host = { .nr_cpus = 16, .nr_nodes = 2,
                                      .memory_mib = 32768 };
static const struct vxl_xlconf xlconf = {
    .autoballoon = -1, .run_hotplug_scripts = 1, .claim_mode = 1,
    .max_grant_frames = -1, .max_maptrack_frames = -1,
    .max_grant_version = -1,
};

struct t {
    cfg_config *cfg;
    vxl_domain_config d;
    vxl_diags dg;
    int rc;
};

static void parse_with(struct t *t, const char *text,
                       const struct vxl_xlconf *xc)
{
    memset(t, 0, sizeof(*t));
    t->cfg = cfg_init("t.cfg");
    assert_int_equal(cfg_readdata(t->cfg, text, strlen(text), &t->dg), 0);
    vxl_domain_config_init(&t->d);
    t->rc = vxl_parse_domain_config(t->cfg, &host, xc, &t->d, &t->dg);
}

static void parse(struct t *t, const char *text)
{
    parse_with(t, text, &xlconf);
}

static void done(struct t *t)
{
    vxl_domain_config_dispose(&t->d);
    cfg_destroy(t->cfg);
    vxl_diags_free(&t->dg);
}

/* The first error must be `msg' at line:col (0:0 = no line). */
static void assert_error(struct t *t, int rc, const char *msg, int line,
                         int col)
{
    assert_int_equal(t->rc, rc);
    for (size_t i = 0; i < t->dg.n; i++) {
        if (t->dg.v[i].sev != VXL_ERROR)
            continue;
        assert_string_equal(t->dg.v[i].msg, msg);
        assert_int_equal(t->dg.v[i].line, line);
        assert_int_equal(t->dg.v[i].col, col);
        assert_non_null(t->dg.v[i].file);
        assert_string_equal(t->dg.v[i].file, "t.cfg");
        return;
    }
    fail_msg("no error reported (wanted \"%s\")", msg);
}

static int has_warning(const struct t *t, const char *needle)
{
    for (size_t i = 0; i < t->dg.n; i++)
        if (t->dg.v[i].sev == VXL_WARNING && strstr(t->dg.v[i].msg, needle))
            return 1;
    return 0;
}

/* The set bits of a bitmap as "0,1,5". */
static char *bits(const vxl_bitmap *b)
{
    static char buf[512];
    size_t n = 0;

    buf[0] = '\0';
    for (int i = 0; i < vxl_bitmap_nr_bits(b); i++)
        if (vxl_bitmap_test(b, i))
            n += snprintf(buf + n, sizeof(buf) - n, "%s%d", n ? "," : "", i);
    return buf;
}

#define PV "name=\"g\"\nkernel=\"/k\"\n"
#define HVM "name=\"g\"\ntype=\"hvm\"\n"

/* ---- type, name, uuid ----------------------------------------------- */

static void type_and_builder(void **state)
{
    struct t t;

    parse(&t, "name=\"g\"\nbuilder=\"hvm\"\n");
    assert_int_equal(t.rc, 0);
    assert_int_equal(t.d.c_info.type, VXL_DOMAIN_TYPE_HVM);
    assert_int_equal(t.d.b_info.type, VXL_DOMAIN_TYPE_HVM);
    done(&t);

    /* xl accepts any prefix: "p" is pv, "pvh" only pvh. */
    parse(&t, PV "type=\"p\"\n");
    assert_int_equal(t.d.c_info.type, VXL_DOMAIN_TYPE_PV);
    done(&t);
    parse(&t, PV "type=\"pvh\"\n");
    assert_int_equal(t.d.c_info.type, VXL_DOMAIN_TYPE_PVH);
    done(&t);

    parse(&t, PV);
    assert_int_equal(t.d.c_info.type, VXL_DOMAIN_TYPE_PV);  /* x86 default */
    assert_true(vxl_defbool_val(t.d.c_info.run_hotplug_scripts));
    done(&t);
}

static void type_errors(void **state)
{
    struct t t;

    parse(&t, PV "type = \"xen\"\n");
    assert_error(&t, 1, "Invalid domain type xen.", 3, 8);
    assert_non_null(t.dg.v[t.dg.n - 1].hint);
    done(&t);

    parse(&t, "name=\"g\"\ntype=\"hvm\"\nbuilder=\"generic\"\n");
    assert_error(&t, 1,
                 "Contradicting \"builder\" and \"type\" options specified.",
                 3, 9);
    done(&t);
}

static void name_and_uuid(void **state)
{
    struct t t;
    char s[VXL_UUID_FMTLEN + 1];

    /* Nothing to point at: the file's first setting. */
    parse(&t, "kernel=\"/k\"\nmemory=128\n");
    assert_error(&t, 1, "Domain name must be specified.", 1, 1);
    done(&t);

    parse(&t, "kernel=\"/k\"\nname=[\"g\"]\n");
    assert_error(&t, 1, "Domain name must be specified.", 2, 1);
    done(&t);

    parse(&t, PV "uuid=\"C7A5FDB2-CDAF-9455-926A-D65C16DB1809\"\n");
    assert_int_equal(t.rc, 0);
    vxl_uuid_to_string(&t.d.c_info.uuid, s);
    assert_string_equal(s, "c7a5fdb2-cdaf-9455-926a-d65c16db1809");
    done(&t);

    parse(&t, PV "uuid=\"c7a5fdb2-cdaf\"\n");
    assert_error(&t, 1, "Failed to parse UUID: c7a5fdb2-cdaf", 3, 6);
    done(&t);

    parse(&t, PV);           /* none given: a random one */
    assert_false(vxl_uuid_is_nil(&t.d.c_info.uuid));
    done(&t);
}

static void seclabels_and_pool(void **state)
{
    struct t t;

    parse(&t, PV "seclabel=\"a:b:c\"\npool=\"p1\"\n");
    assert_string_equal(t.d.c_info.ssid_label, "a:b:c");
    assert_null(t.d.b_info.exec_ssid_label);
    assert_string_equal(t.d.c_info.pool_name, "p1");
    done(&t);

    parse(&t, PV "seclabel=\"exec\"\ninit_seclabel=\"init\"\n");
    assert_string_equal(t.d.c_info.ssid_label, "init");
    assert_string_equal(t.d.b_info.exec_ssid_label, "exec");
    done(&t);
}

static void pv_needs_kernel(void **state)
{
    struct t t;

    parse(&t, "name=\"g\"\nmemory=256\n");
    assert_error(&t, 1, "Neither kernel nor bootloader specified", 1, 1);
    done(&t);

    parse(&t, "name=\"g\"\nmemory=256\n  type=\"pvh\"\n");
    assert_error(&t, 1, "Neither kernel nor bootloader specified", 3, 3);
    done(&t);

    parse(&t, "name=\"g\"\nbootloader=\"pygrub\"\n"
              "bootloader_args=\"-q  --x\"\n");
    assert_int_equal(t.rc, 0);
    assert_int_equal(vxl_string_list_length(&t.d.b_info.bootloader_args), 2);
    assert_string_equal(t.d.b_info.bootloader_args[1], "--x");
    assert_true(has_warning(&t, "deprecated"));
    done(&t);

    parse(&t, "name=\"g\"\nfirmware=\"pvgrub64\"\n");
    assert_string_equal(t.d.b_info.kernel,
                        VXL_XENFIRMWAREDIR "/pvgrub64.bin");
    done(&t);

    parse(&t, PV "firmware=\"pvgrub64\"\n");
    assert_error(&t, 1, "ERROR: both kernel and firmware specified", 3, 10);
    done(&t);

    parse(&t, "name=\"g\"\nfirmware=\"ovmf\"\n");
    assert_error(&t, 1,
                 "ERROR: only pvgrub{32|64} supported as firmware options",
                 2, 10);
    done(&t);
}

static void cmdline_root_extra(void **state)
{
    struct t t;

    parse(&t, PV "root=\"/dev/xvda1 ro\"\nextra=\"quiet\"\n");
    assert_string_equal(t.d.b_info.cmdline, "root=/dev/xvda1 ro quiet");
    done(&t);

    parse(&t, PV "cmdline=\"c\"\nroot=\"/dev/x\"\n");
    assert_string_equal(t.d.b_info.cmdline, "c");
    assert_true(has_warning(&t, "ignoring root= and extra="));
    done(&t);
}

/* ---- memory and vCPUs ----------------------------------------------- */

static void memory_and_vcpus(void **state)
{
    struct t t;

    parse(&t, PV "memory=\"512\"\nvcpus=3\n");
    assert_int_equal(t.rc, 0);
    assert_int_equal(t.d.b_info.target_memkb, 512 * 1024);
    assert_int_equal(t.d.b_info.max_memkb, 512 * 1024);
    assert_int_equal(t.d.b_info.max_vcpus, 3);
    assert_string_equal(bits(&t.d.b_info.avail_vcpus), "0,1,2");
    done(&t);

    parse(&t, PV "memory=512\nmaxmem=1024\nvcpus=2\nmaxvcpus=4\n");
    assert_int_equal(t.d.b_info.max_memkb, 1024 * 1024);
    assert_int_equal(t.d.b_info.max_vcpus, 4);
    done(&t);

    parse(&t, PV "vcpus=4\nmaxvcpus=2\n");
    assert_error(&t, 1, "xl: maxvcpus < vcpus", 4, 1);
    done(&t);
}

static void sched_and_grants(void **state)
{
    struct t t;
    struct vxl_xlconf xc = xlconf;

    parse(&t, PV "cpu_weight=512\ncap=50\n");
    assert_int_equal(t.d.b_info.sched_params.weight, 512);
    assert_int_equal(t.d.b_info.sched_params.cap, 50);
    assert_int_equal(t.d.b_info.sched_params.period, -1);
    assert_int_equal(t.d.b_info.max_grant_frames, VXL_MAX_GRANT_DEFAULT);
    assert_true(vxl_defbool_val(t.d.b_info.claim_mode));
    done(&t);

    xc.max_grant_frames = 64;
    xc.claim_mode = 0;
    parse_with(&t, PV "max_maptrack_frames=1024\n", &xc);
    assert_int_equal(t.d.b_info.max_grant_frames, 64);
    assert_int_equal(t.d.b_info.max_maptrack_frames, 1024);
    assert_false(vxl_defbool_val(t.d.b_info.claim_mode));
    done(&t);

    parse(&t, PV "max_grant_frames=\"-1\"\n");
    assert_error(&t, 1, "invalid value for \"max_grant_frames\"", 3, 18);
    done(&t);
}

static void vnuma_nodes(void **state)
{
    struct t t;

    parse(&t, PV "memory=128\nvnuma=[[\"pnode=1\",\"size=64\","
              "\"vcpus=0-1,3\",\"vdistances=10,20\"],\n"
              "[\"pnode=0\", \"size=64\", \"vcpus=2\", "
              "\"vdistances=20,10\"]]\n");
    assert_int_equal(t.rc, 0);
    assert_int_equal(t.d.b_info.num_vnuma_nodes, 2);
    assert_int_equal(t.d.b_info.max_vcpus, 4);
    assert_int_equal(t.d.b_info.max_memkb, 128 * 1024);
    assert_int_equal(t.d.b_info.vnuma_nodes[0].pnode, 1);
    assert_int_equal(t.d.b_info.vnuma_nodes[0].memkb, 64 * 1024);
    assert_string_equal(bits(&t.d.b_info.vnuma_nodes[0].vcpus), "0,1,3");
    assert_string_equal(bits(&t.d.b_info.vnuma_nodes[1].vcpus), "2");
    assert_int_equal(t.d.b_info.vnuma_nodes[1].num_distances, 2);
    assert_int_equal(t.d.b_info.vnuma_nodes[1].distances[0], 20);
    assert_false(vxl_defbool_val(t.d.b_info.numa_placement));
    done(&t);
}

static void vnuma_errors(void **state)
{
    struct t t;

    /* The corpus' libvirt configs name pnode 2 on a 2-node host. */
    parse(&t, PV "vnuma = [ [ \"pnode=0\", \"size=64\", \"vcpus=0\" ],\n"
              "          [ \"pnode=2\", \"size=64\", \"vcpus=1\" ] ]\n");
    assert_error(&t, 1, "xl: invalid pnode number: 2", 4, 13);
    assert_string_equal(t.dg.v[t.dg.n - 1].hint,
                        "this host has NUMA nodes 0-1");
    done(&t);

    parse(&t, PV "maxvcpus=4\nvnuma=[[\"size=64\",\"vcpus=0-2\"]]\n");
    assert_error(&t, 1, "xl: vnuma vcpus and maxvcpus= mismatch", 4, 7);
    done(&t);

    parse(&t, PV "maxmem=100\nvnuma=[[\"size=64\",\"vcpus=0\"]]\n");
    assert_error(&t, 1, "xl: maxmem and vnuma memory size mismatch", 4, 7);
    done(&t);

    parse(&t, PV "vnuma=[[\"size\"]]\n");
    assert_error(&t, 1, "xl: failed to split \"size\" into pair", 3, 9);
    done(&t);
}

static void cpu_affinity(void **state)
{
    struct t t;

    parse(&t, PV "vcpus=2\ncpus=\"2-3\"\n");
    assert_int_equal(t.rc, 0);
    assert_int_equal(t.d.b_info.num_vcpu_hard_affinity, 2);
    assert_string_equal(bits(&t.d.b_info.vcpu_hard_affinity[1]), "2,3");
    assert_int_equal(vxl_bitmap_nr_bits(&t.d.b_info.vcpu_hard_affinity[0]),
                     16);
    /* A single hard map leaves NUMA placement alone. */
    assert_true(vxl_defbool_is_default(t.d.b_info.numa_placement));
    done(&t);

    /* Lists are per vCPU; extra entries are dropped. */
    parse(&t, PV "vcpus=2\ncpus=[\"0\",\"all,^0\",\"5\"]\n"
              "cpus_soft=\"nodes:1,^9\"\n");
    assert_int_equal(t.rc, 0);
    assert_int_equal(t.d.b_info.num_vcpu_hard_affinity, 2);
    assert_string_equal(bits(&t.d.b_info.vcpu_hard_affinity[0]), "0");
    assert_string_equal(bits(&t.d.b_info.vcpu_hard_affinity[1]),
                        "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15");
    /* Xen's intended answer: node 1 is CPUs 8-15 (xl 4.17 loses them). */
    assert_string_equal(bits(&t.d.b_info.vcpu_soft_affinity[0]),
                        "8,10,11,12,13,14,15");
    assert_false(vxl_defbool_val(t.d.b_info.numa_placement));
    done(&t);

    parse(&t, PV "vcpus=1\ncpus=\"^all\"\n");
    assert_int_equal(t.rc, 1);
    assert_int_equal(t.dg.v[t.dg.n - 1].line, 4);
    done(&t);
}

static void global_masks(void **state)
{
    struct t t;
    struct vxl_xlconf xc = xlconf;

    xc.vm_pv_cpumask = "0-3";
    parse_with(&t, PV "vcpus=2\n", &xc);
    assert_int_equal(vxl_apply_global_affinity_masks(t.cfg, &t.d, &host, &xc,
                                                     &t.dg), 0);
    assert_int_equal(t.d.b_info.num_vcpu_hard_affinity, 2);
    assert_string_equal(bits(&t.d.b_info.vcpu_hard_affinity[1]), "0,1,2,3");
    done(&t);

    parse_with(&t, PV "vcpus=1\ncpus=\"8\"\n", &xc);
    assert_int_equal(vxl_apply_global_affinity_masks(t.cfg, &t.d, &host, &xc,
                                                     &t.dg), 1);
    assert_error(&t, 0, "vcpu hard affinity map is empty", 4, 6);
    done(&t);
}

/* ---- actions, modes -------------------------------------------------- */

static void shutdown_actions(void **state)
{
    struct t t;

    parse(&t, PV);
    assert_int_equal(t.d.on_poweroff, VXL_ACTION_ON_SHUTDOWN_DESTROY);
    assert_int_equal(t.d.on_reboot, VXL_ACTION_ON_SHUTDOWN_RESTART);
    assert_int_equal(t.d.on_soft_reset, VXL_ACTION_ON_SHUTDOWN_SOFT_RESET);
    done(&t);

    parse(&t, PV "on_crash=\"coredump-restart\"\non_reboot='rename-restart'\n");
    assert_int_equal(t.d.on_crash, VXL_ACTION_ON_SHUTDOWN_COREDUMP_RESTART);
    assert_int_equal(t.d.on_reboot, VXL_ACTION_ON_SHUTDOWN_RESTART_RENAME);
    done(&t);

    parse(&t, PV "on_reboot=\"reboot\"\n");
    assert_error(&t, 1, "Unknown on_reboot action \"reboot\" specified", 3,
                 11);
    done(&t);
}

static void tsc_timer_altp2m(void **state)
{
    struct t t;

    parse(&t, PV "tsc_mode=1\n");
    assert_int_equal(t.rc, 0);
    assert_int_equal(t.d.b_info.tsc_mode, VXL_TSC_MODE_ALWAYS_EMULATE);
    assert_true(has_warning(&t, "e.g. tsc_mode=\"always_emulate\""));
    done(&t);

    parse(&t, PV "tsc_mode=\"Native\"\n");    /* libxl ignores case */
    assert_int_equal(t.d.b_info.tsc_mode, VXL_TSC_MODE_NATIVE);
    done(&t);

    parse(&t, PV "tsc_mode=7\n");
    assert_error(&t, 1, "ERROR: invalid value 7 for \"tsc_mode\"", 3, 10);
    done(&t);

    parse(&t, PV "timer_mode=\"no_missed_ticks_pending\"\n");
    assert_error(&t, 3, "ERROR: \"timer_mode\" option is not supported for "
                 "PV guests.", 3, 12);
    done(&t);

    parse(&t, HVM "timer_mode=\"no_missed_ticks_pending\"\naltp2m=\"mixed\"\n");
    assert_int_equal(t.rc, 0);
    assert_int_equal(t.d.b_info.timer_mode,
                     VXL_TIMER_MODE_NO_MISSED_TICKS_PENDING);
    assert_int_equal(t.d.b_info.altp2m, VXL_ALTP2M_MODE_MIXED);
    done(&t);

    parse(&t, HVM "altp2m=\"on\"\n");
    assert_error(&t, 1, "ERROR: invalid value \"on\" for \"altp2m\"", 3, 8);
    done(&t);
}

/* ---- HVM ------------------------------------------------------------ */

static void hvm_basics(void **state)
{
    struct t t;

    parse(&t, HVM "pae=1\nacpi=0\napic=1\nhpet=0\nnx=1\nnestedhvm=1\n"
              "boot=\"dc\"\nvideoram=16\nshadow_memory=8\nlocaltime=1\n"
              "rtc_timeoffset=3600\nkernel=\"/usr/lib/xen/boot/hvmloader\"\n");
    assert_int_equal(t.rc, 0);
    assert_true(vxl_defbool_val(t.d.b_info.u.hvm.pae));
    assert_false(vxl_defbool_val(t.d.b_info.acpi));
    assert_true(vxl_defbool_val(t.d.b_info.apic));
    assert_false(vxl_defbool_val(t.d.b_info.u.hvm.hpet));
    assert_true(vxl_defbool_val(t.d.b_info.nested_hvm));
    assert_string_equal(t.d.b_info.u.hvm.boot, "dc");
    assert_int_equal(t.d.b_info.video_memkb, 16 * 1024);
    assert_int_equal(t.d.b_info.shadow_memkb, 8 * 1024);
    assert_int_equal(t.d.b_info.rtc_timeoffset, 3600);
    assert_null(t.d.b_info.kernel);         /* hvmloader is ignored */
    assert_true(has_warning(&t, "firmware_override"));
    done(&t);
}

static void hvm_firmware(void **state)
{
    struct t t;

    parse(&t, HVM "firmware=\"uefi\"\n");
    assert_int_equal(t.d.b_info.u.hvm.bios, VXL_BIOS_TYPE_OVMF);
    assert_null(t.d.b_info.u.hvm.firmware);
    done(&t);

    parse(&t, HVM "firmware=\"seabios\"\n");
    assert_int_equal(t.d.b_info.u.hvm.bios, VXL_BIOS_TYPE_SEABIOS);
    done(&t);

    parse(&t, HVM "firmware=\"/opt/fw.bin\"\n");
    assert_string_equal(t.d.b_info.u.hvm.firmware, "/opt/fw.bin");
    done(&t);

    parse(&t, HVM "bios=\"coreboot\"\n");
    assert_error(&t, 1, "ERROR: invalid value \"coreboot\" for \"bios\"",
                 3, 6);
    done(&t);
}

static void hvm_viridian(void **state)
{
    struct t t;

    parse(&t, HVM "viridian=[\"defaults\",\"!apic_assist\",\"stimer\"]\n");
    assert_int_equal(t.rc, 0);
    assert_true(vxl_defbool_val(t.d.b_info.u.hvm.viridian));
    assert_string_equal(bits(&t.d.b_info.u.hvm.viridian_enable), "8");
    assert_string_equal(bits(&t.d.b_info.u.hvm.viridian_disable), "5");
    assert_int_equal(vxl_bitmap_nr_bits(&t.d.b_info.u.hvm.viridian_enable),
                     64);
    done(&t);

    parse(&t, HVM "viridian=1\n");
    assert_true(vxl_defbool_val(t.d.b_info.u.hvm.viridian));
    done(&t);

    parse(&t, HVM "viridian=[\"base\",\"turbo\"]\n");
    assert_error(&t, 3, "xl: unknown viridian enlightenment 'turbo'", 3, 18);
    done(&t);
}

static void hvm_limits(void **state)
{
    struct t t;

    parse(&t, HVM "mmio_hole=1024\nrdm_mem_boundary=1024\n"
              "mca_caps=[\"lmce\"]\n");
    assert_int_equal(t.rc, 0);
    assert_int_equal(t.d.b_info.u.hvm.mmio_hole_memkb, 1024 * 1024);
    assert_int_equal(t.d.b_info.u.hvm.rdm_mem_boundary_memkb, 1024 * 1024);
    assert_int_equal(t.d.b_info.u.hvm.mca_caps, 1);
    done(&t);

    parse(&t, HVM "mmio_hole=100\n");
    assert_error(&t, 1, "ERROR: invalid value 100 for \"mmio_hole\"", 3, 11);
    done(&t);

    parse(&t, HVM "ms_vm_genid=\"yes\"\n");
    assert_error(&t, 1, "ERROR: \"ms_vm_genid\" option must be \"generate\" "
                 "or \"none\"", 3, 13);
    done(&t);

    parse(&t, HVM "ms_vm_genid=\"generate\"\n");
    assert_false(vxl_ms_vm_genid_is_zero(&t.d.b_info.u.hvm.ms_vm_genid));
    done(&t);
}

static void hvm_display(void **state)
{
    struct t t;

    parse(&t, HVM "vnc=1\nvnclisten=\"0.0.0.0\"\nvncdisplay=2\nsdl=0\n"
              "stdvga=1\nkeymap=\"de\"\nspice=1\nspiceport=6000\n"
              "gfx_passthru=\"igd\"\nserial=[\"pty\",\"null\"]\n"
              "usbdevice=\"tablet\"\nhdtype=\"ahci\"\n"
              "vendor_device=\"xenserver\"\n");
    assert_int_equal(t.rc, 0);
    assert_true(vxl_defbool_val(t.d.b_info.u.hvm.vnc.enable));
    assert_string_equal(t.d.b_info.u.hvm.vnc.listen, "0.0.0.0");
    assert_int_equal(t.d.b_info.u.hvm.vnc.display, 2);
    assert_false(vxl_defbool_val(t.d.b_info.u.hvm.sdl.enable));
    assert_int_equal(t.d.b_info.u.hvm.vga.kind, VXL_VGA_INTERFACE_TYPE_STD);
    assert_string_equal(t.d.b_info.u.hvm.keymap, "de");
    assert_int_equal(t.d.b_info.u.hvm.spice.port, 6000);
    assert_true(vxl_defbool_val(t.d.b_info.u.hvm.gfx_passthru));
    assert_int_equal(t.d.b_info.u.hvm.gfx_passthru_kind,
                     VXL_GFX_PASSTHRU_KIND_IGD);
    assert_int_equal(vxl_string_list_length(&t.d.b_info.u.hvm.serial_list), 2);
    assert_null(t.d.b_info.u.hvm.serial);
    assert_string_equal(t.d.b_info.u.hvm.usbdevice, "tablet");
    assert_int_equal(t.d.b_info.u.hvm.hdtype, VXL_HDTYPE_AHCI);
    assert_int_equal(t.d.b_info.u.hvm.vendor_device,
                     VXL_VENDOR_DEVICE_XENSERVER);
    done(&t);

    parse(&t, HVM "vnclisten=\"0.0.0.0:1\"\nvncdisplay=2\n");
    assert_error(&t, 1, "ERROR: Display specified both in vnclisten and "
                 "vncdisplay!", 4, 12);
    done(&t);

    parse(&t, HVM "vga=\"vmware\"\n");
    assert_error(&t, 1, "Unknown vga \"vmware\" specified", 3, 5);
    done(&t);
}

static void pv_top_level_vnc(void **state)
{
    struct t t;

    parse(&t, PV "vnc=1\nvnclisten=\"127.0.0.1\"\nkeymap=\"fr\"\n");
    assert_int_equal(t.rc, 0);
    assert_int_equal(t.d.num_vfbs, 1);
    assert_int_equal(t.d.num_vkbs, 1);
    assert_int_equal(t.d.vfbs[0].devid, 0);
    assert_int_equal(t.d.vkbs[0].devid, 0);
    assert_true(vxl_defbool_val(t.d.vfbs[0].vnc.enable));
    assert_string_equal(t.d.vfbs[0].vnc.listen, "127.0.0.1");
    assert_string_equal(t.d.vfbs[0].keymap, "fr");
    done(&t);

    parse(&t, PV "vnc=0\n");
    assert_int_equal(t.d.num_vfbs, 0);
    done(&t);
}

/* ---- device model, cpuid, resources ---------------------------------- */

static void device_model_options(void **state)
{
    struct t t;

    parse(&t, HVM "device_model_version=\"qemu-xen-traditional\"\n"
              "device_model_override=\"/q\"\n"
              "device_model_stubdomain_override=1\n"
              "device_model_args_hvm=[\"-a\",\"b\"]\nstubdomain_memory=64\n");
    assert_int_equal(t.rc, 0);
    assert_int_equal(t.d.b_info.device_model_version,
                     VXL_DEVICE_MODEL_VERSION_QEMU_XEN_TRADITIONAL);
    assert_string_equal(t.d.b_info.device_model, "/q");
    assert_true(vxl_defbool_val(t.d.b_info.device_model_stubdomain));
    assert_string_equal(t.d.b_info.extra_hvm[1], "b");
    assert_int_equal(t.d.b_info.stubdomain_memkb, 64 * 1024);
    done(&t);

    parse(&t, HVM "device_model_version=\"qemu\"\n");
    assert_error(&t, 1, "Unknown device_model_version \"qemu\" specified",
                 3, 22);
    done(&t);

    parse(&t, HVM "device_model_args=\"-x\"\n");
    assert_error(&t, 3, "xl: Unable to parse device_model_args.", 3, 19);
    done(&t);
}

static void cpuid_forms(void **state)
{
    struct t t;
    const vxl_cpuid_policy_list *c;

    parse(&t, PV "cpuid=\"host,tm=0,sse3=1,page1gb=x,bogus=1\"\n");
    assert_int_equal(t.rc, 0);     /* xl reports bad flags and goes on */
    assert_true(has_warning(&t, "unknown CPUID flag name"));
    c = &t.d.b_info.cpuid;
    assert_int_equal(c->num_cpuid, 2);
    assert_int_equal(c->cpuid[0].input[0], 1);
    assert_int_equal(c->cpuid[0].input[1], VXL_CPUID_INPUT_UNUSED);
    assert_string_equal(c->cpuid[0].policy[2],
                        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx1");
    assert_string_equal(c->cpuid[0].policy[3],
                        "xx0xxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    assert_int_equal(c->cpuid[1].input[0], 0x80000001);
    assert_string_equal(c->cpuid[1].policy[3],
                        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    done(&t);

    parse(&t, PV "cpuid=[\"0x7,0:ebx=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx01,"
              "ecx=0000000000000000000000000000000k\"]\n");
    c = &t.d.b_info.cpuid;
    assert_int_equal(c->num_cpuid, 1);
    assert_int_equal(c->cpuid[0].input[1], 0);
    assert_string_equal(c->cpuid[0].policy[1],
                        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx01");
    assert_string_equal(c->cpuid[0].policy[2],
                        "0000000000000000000000000000000k");
    done(&t);

    parse(&t, PV "cpuid=\"host,family=0x17,model=0x31\"\n");
    c = &t.d.b_info.cpuid;
    /* family 0x17 = 0xf + extended 0x08; model 0x31 = 3 (ext) / 1 */
    assert_string_equal(c->cpuid[0].policy[0],
                        "xxxx000010000011xxxx11110001xxxx");
    done(&t);

    /* A featureset name living in the ARCH_CAPS MSR. */
    parse(&t, PV "cpuid=\"host,rdcl-no=1\"\n");
    c = &t.d.b_info.cpuid;
    assert_int_equal(c->num_cpuid, 0);
    assert_int_equal(c->num_msr, 1);
    assert_int_equal(c->msr[0].index, 0x10a);
    assert_int_equal(c->msr[0].policy[63], '1');
    done(&t);
}

static void resources(void **state)
{
    struct t t;
    const vxl_domain_build_info *b;

    parse(&t, PV "ioports=[\"2f8-2ff\",\"3f8\"]\nirqs=[\"3\",\"4\"]\n"
              "iomem=[\"fe000,2\",\"fe100,1@8000\"]\n");
    assert_int_equal(t.rc, 0);
    b = &t.d.b_info;
    assert_int_equal(b->num_ioports, 2);
    assert_int_equal(b->ioports[0].first, 0x2f8);
    assert_int_equal(b->ioports[0].number, 8);
    assert_int_equal(b->ioports[1].number, 1);
    assert_int_equal(b->num_irqs, 2);
    assert_int_equal(b->irqs[1], 4);
    assert_int_equal(b->num_iomem, 2);
    assert_int_equal(b->iomem[0].gfn, VXL_INVALID_GFN);
    assert_int_equal(b->iomem[1].gfn, 0x8000);
    done(&t);

    parse(&t, PV "irqs=[\"3\",\n  \"x4\"]\n");
    assert_error(&t, 1, "xl: Invalid argument parsing irq: x4", 4, 3);
    done(&t);

    parse(&t, PV "iomem=[\"fe000\"]\n");
    assert_error(&t, 1, "xl: Invalid argument parsing iomem: fe000", 3, 8);
    done(&t);
}

static void misc_flags(void **state)
{
    struct t t;

    parse(&t, PV "nomigrate=1\ndriver_domain=1\npassthrough=\"sync_pt\"\n"
              "e820_host=1\nmax_event_channels=2047\nvpmu=1\n"
              "msr_relaxed=1\nxend_suspend_evtchn_compat=1\n"
              "vuart=\"sbsa_uart\"\ngic_version=\"v3\"\ntee=\"optee\"\n");
    assert_int_equal(t.rc, 0);
    assert_true(vxl_defbool_val(t.d.b_info.disable_migrate));
    assert_true(vxl_defbool_val(t.d.c_info.driver_domain));
    assert_int_equal(t.d.c_info.passthrough, VXL_PASSTHROUGH_SYNC_PT);
    assert_true(vxl_defbool_val(t.d.b_info.u.pv.e820_host));
    assert_int_equal(t.d.b_info.event_channels, 2047);
    assert_true(vxl_defbool_val(t.d.b_info.vpmu));
    assert_true(vxl_defbool_val(t.d.b_info.arch_x86.msr_relaxed));
    assert_true(has_warning(&t, "msr_relaxed will be removed"));
    assert_int_equal(t.d.b_info.arch_arm.vuart, VXL_VUART_TYPE_SBSA_UART);
    assert_int_equal(t.d.b_info.arch_arm.gic_version, VXL_GIC_VERSION_V3);
    assert_int_equal(t.d.b_info.tee, VXL_TEE_TYPE_OPTEE);
    done(&t);

    parse(&t, PV "passthrough=\"maybe\"\n");
    assert_error(&t, 1, "ERROR: unknown passthrough option 'maybe'", 3, 13);
    done(&t);

    parse(&t, PV "gic_version=\"v4\"\n");
    assert_error(&t, 3, "Unknown gic_version \"v4\" specified", 3, 13);
    done(&t);
}

static void pvh_shim(void **state)
{
    struct t t;

    parse(&t, "name=\"g\"\ntype=\"pvh\"\nkernel=\"/k\"\npvshim=1\n"
              "pvshim_extra=\"loglvl=all\"\n");
    assert_int_equal(t.rc, 0);
    assert_true(vxl_defbool_val(t.d.b_info.u.pvh.pvshim));
    assert_string_equal(t.d.b_info.u.pvh.pvshim_extra, "loglvl=all");
    done(&t);
}

/* Device lists are read where xl reads them, so the first error of a
 * config with several is xl's (and so is the exit status). */
static void error_order(void **state)
{
    struct t t;

    parse(&t, PV "tsc_mode=\"x\"\npci=[\"zz\"]\n");
    assert_int_equal(t.rc, 6);                  /* pci= comes first */
    assert_int_equal(t.dg.v[t.dg.n - 1].line, 4);
    done(&t);

    parse(&t, PV "tsc_mode=\"x\"\ndisk=[\"/d,raw,xvda,rw,bogus\"]\n");
    assert_error(&t, 1, "ERROR: invalid value \"x\" for \"tsc_mode\"", 3, 10);
    done(&t);

    parse(&t, PV "device_model_version=\"x\"\n"
              "disk=[\"/d,raw,xvda,rw,bogus\"]\n");
    assert_int_equal(t.rc, 1);                  /* disk= comes first */
    assert_int_equal(t.dg.v[t.dg.n - 1].line, 4);
    done(&t);

    parse(&t, PV "vkb=[\"x\"]\ntee=\"x\"\n");
    assert_error(&t, 3, "Unknown tee \"x\" specified", 4, 5);
    done(&t);
}

/* A PV guest's top-level vnc= makes the first vfb/vkb pair, ahead of the
 * vkb= entries. */
static void pv_vnc_before_vkb_list(void **state)
{
    struct t t;

    parse(&t, PV "vnc=1\nvkb=[\"backend-type=linux\"]\n");
    assert_int_equal(t.rc, 0);
    assert_int_equal(t.d.num_vkbs, 2);
    assert_int_equal(t.d.vkbs[0].devid, 0);
    assert_int_equal(t.d.vkbs[0].backend_type, VXL_VKB_BACKEND_UNKNOWN);
    assert_int_equal(t.d.vkbs[1].devid, 1);
    assert_int_equal(t.d.vkbs[1].backend_type, VXL_VKB_BACKEND_LINUX);
    done(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(type_and_builder),
        cmocka_unit_test(type_errors),
        cmocka_unit_test(name_and_uuid),
        cmocka_unit_test(seclabels_and_pool),
        cmocka_unit_test(pv_needs_kernel),
        cmocka_unit_test(cmdline_root_extra),
        cmocka_unit_test(memory_and_vcpus),
        cmocka_unit_test(sched_and_grants),
        cmocka_unit_test(vnuma_nodes),
        cmocka_unit_test(vnuma_errors),
        cmocka_unit_test(cpu_affinity),
        cmocka_unit_test(global_masks),
        cmocka_unit_test(shutdown_actions),
        cmocka_unit_test(tsc_timer_altp2m),
        cmocka_unit_test(hvm_basics),
        cmocka_unit_test(hvm_firmware),
        cmocka_unit_test(hvm_viridian),
        cmocka_unit_test(hvm_limits),
        cmocka_unit_test(hvm_display),
        cmocka_unit_test(pv_top_level_vnc),
        cmocka_unit_test(device_model_options),
        cmocka_unit_test(cpuid_forms),
        cmocka_unit_test(resources),
        cmocka_unit_test(misc_flags),
        cmocka_unit_test(pvh_shim),
        cmocka_unit_test(error_order),
        cmocka_unit_test(pv_vnc_before_vkb_list),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

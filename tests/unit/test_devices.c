/* Unit tests for cfgparse/devices.c: the device lists of a config, their
 * order, devids, defaults, exit statuses and error positions.  The
 * expectations were checked against Xen 4.17's `xl -N create' output. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cfgparse/devices.h"

static const struct vxl_host host = { 16, 2, 32768 };

struct run {
    cfg_config *cfg;
    vxl_domain_config d;
    vxl_diags diags;
    int rc;
};

/* Read text as guest.cfg and parse its devices for a guest of `type'. */
static void run(struct run *r, vxl_domain_type type, const char *text,
                const struct vxl_xlconf *xlconf)
{
    memset(&r->diags, 0, sizeof(r->diags));
    r->cfg = cfg_init("guest.cfg");
    assert_int_equal(cfg_readdata(r->cfg, text, strlen(text), &r->diags), 0);
    vxl_domain_config_init(&r->d);
    r->d.c_info.type = type;
    vxl_domain_build_info_init_type(&r->d.b_info, type);
    r->rc = vxl_parse_devices(r->cfg, &host, xlconf, &r->d, &r->diags);
}

static void done(struct run *r)
{
    vxl_domain_config_dispose(&r->d);
    cfg_destroy(r->cfg);
    vxl_diags_free(&r->diags);
}

static void devids_and_order(void **state)
{
    struct run r;
    run(&r, VXL_DOMAIN_TYPE_PV,
        "disk = [ 'phy:/dev/vg/a,xvda,w', '/b.img,qcow2,xvdb,r' ]\n"
        "vif = [ 'bridge=br0', '', 'devid=9,mac=00:16:3e:00:00:01' ]\n"
        "vtpm = [ 'backend=t1', 'backend=t2' ]\n"
        "p9 = [ 'tag=a,path=/a,security_model=none' ]\n"
        "vfb = [ 'vnc=1' ]\n"
        "vkb = [ 'backend-type=linux' ]\n"
        "channel = [ 'name=c0,connection=pty' ]\n"
        "usbctrl = [ 'version=2' ]\n"
        "usbdev = [ 'hostbus=1,hostaddr=2' ]\n"
        "dtdev = [ '/soc/x' ]\n", NULL);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.diags.nerrors, 0);
    assert_int_equal(r.d.num_disks, 2);
    assert_int_equal(r.d.disks[1].format, VXL_DISK_FORMAT_QCOW2);
    assert_int_equal(r.d.num_nics, 3);
    assert_int_equal(r.d.nics[0].devid, 0);
    assert_string_equal(r.d.nics[0].bridge, "br0");
    assert_int_equal(r.d.nics[1].devid, 1);
    assert_int_equal(r.d.nics[2].devid, 9);
    assert_int_equal(r.d.vtpms[1].devid, 1);
    assert_int_equal(r.d.p9s[0].devid, -1);     /* xl re-inits p9s */
    assert_int_equal(r.d.num_vfbs, 1);
    assert_int_equal(r.d.num_vkbs, 2);          /* vfb's own, then vkb= */
    assert_int_equal(r.d.vkbs[0].backend_type, VXL_VKB_BACKEND_UNKNOWN);
    assert_int_equal(r.d.vkbs[1].devid, 1);
    assert_int_equal(r.d.vkbs[1].backend_type, VXL_VKB_BACKEND_LINUX);
    assert_int_equal(r.d.channels[0].devid, 0);
    assert_int_equal(r.d.usbctrls[0].devid, 0);
    assert_int_equal(r.d.usbdevs[0].u.hostdev.hostaddr, 2);
    assert_string_equal(r.d.dtdevs[0].path, "/soc/x");
    done(&r);
}

static void vif_defaults_from_xlconf(void **state)
{
    struct vxl_xlconf xc;
    struct run r;
    memset(&xc, 0, sizeof(xc));
    xc.default_bridge = "xenbr0";
    xc.default_vifscript = "vif-openvswitch";
    run(&r, VXL_DOMAIN_TYPE_HVM, "vif = [ 'mac=00:16:3e:00:00:01', "
        "'bridge=br1,foo' ]\n", &xc);
    assert_int_equal(r.rc, 0);
    assert_string_equal(r.d.nics[0].bridge, "xenbr0");
    assert_string_equal(r.d.nics[0].script, "vif-openvswitch");
    assert_string_equal(r.d.nics[1].bridge, "br1");
    /* `foo' only warns, at the item's position */
    assert_int_equal(r.diags.nerrors, 0);
    assert_int_equal(r.diags.n, 1);
    assert_int_equal(r.diags.v[0].line, 1);
    assert_int_equal(r.diags.v[0].col, 34);
    done(&r);
}

static void pci_globals_and_rdm(void **state)
{
    struct run r;
    run(&r, VXL_DOMAIN_TYPE_PV,
        "pci_permissive = 1\npci_seize = 1\n"
        "pci = [ '01:00.0', '02:00.0,permissive=0,rdm_policy=relaxed' ]\n",
        NULL);
    assert_int_equal(r.rc, 0);
    assert_true(r.d.pcidevs[0].permissive);
    assert_true(r.d.pcidevs[0].seize);
    assert_false(r.d.pcidevs[0].msitranslate);
    /* as xl 4.17: PV devices default to "strict", e820_host turns on */
    assert_int_equal(r.d.pcidevs[0].rdm_policy, VXL_RDM_RESERVE_POLICY_STRICT);
    assert_false(r.d.pcidevs[1].permissive);
    assert_int_equal(r.d.pcidevs[1].rdm_policy,
                     VXL_RDM_RESERVE_POLICY_RELAXED);
    assert_true(vxl_defbool_val(r.d.b_info.u.pv.e820_host));
    done(&r);

    run(&r, VXL_DOMAIN_TYPE_HVM, "rdm = 'strategy=host'\n"
        "pci = [ '01:00.0' ]\n", NULL);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.d.b_info.u.hvm.rdm.strategy,
                     VXL_RDM_RESERVE_STRATEGY_HOST);
    assert_int_equal(r.d.pcidevs[0].rdm_policy,
                     VXL_RDM_RESERVE_POLICY_INVALID);
    done(&r);

    /* xl 4.17 drops an rdm= naming a policy; vxl too, with a warning */
    run(&r, VXL_DOMAIN_TYPE_HVM, "rdm = 'strategy=host,policy=relaxed'\n",
        NULL);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.d.b_info.u.hvm.rdm.strategy,
                     VXL_RDM_RESERVE_STRATEGY_IGNORE);
    assert_int_equal(r.diags.n, 1);
    assert_int_equal(r.diags.v[0].sev, VXL_WARNING);
    done(&r);
}

static void errors_and_exit_statuses(void **state)
{
    struct run r;
    run(&r, VXL_DOMAIN_TYPE_HVM, "name = 'x'\n"
        "disk = [ '/a,,hda',\n"
        "         'format=QCOW2,vdev=hdb,target=/b' ]\n", NULL);
    assert_int_equal(r.rc, 1);
    assert_int_equal(r.diags.nerrors, 1);
    assert_string_equal(r.diags.v[0].file, "guest.cfg");
    assert_int_equal(r.diags.v[0].line, 3);
    assert_int_equal(r.diags.v[0].col, 10);
    assert_string_equal(r.diags.v[0].hint, "did you mean `qcow2'?");
    done(&r);

    run(&r, VXL_DOMAIN_TYPE_HVM, "pci = [ '36:00.0@20' ]\n", NULL);
    assert_int_equal(r.rc, 6);
    assert_int_equal(r.diags.v[0].col, 9);
    done(&r);
    run(&r, VXL_DOMAIN_TYPE_HVM, "pci = [ '1:0.0,rdm_policy=loose' ]\n", NULL);
    assert_int_equal(r.rc, 3);
    done(&r);
    run(&r, VXL_DOMAIN_TYPE_HVM, "vif = [ 'rate=1MB' ]\n", NULL);
    assert_int_equal(r.rc, 1);
    done(&r);
    run(&r, VXL_DOMAIN_TYPE_HVM, "vsnd = [ 'CARD' ]\n", NULL);
    assert_int_equal(r.rc, 1);
    done(&r);
    run(&r, VXL_DOMAIN_TYPE_HVM, "vkb = [ '' ]\n", NULL);
    assert_int_equal(r.rc, 1);
    done(&r);
}

static void vsnd_cards(void **state)
{
    struct run r;
    run(&r, VXL_DOMAIN_TYPE_HVM,
        "vsnd = [ [ 'CARD, short-name=Main', 'PCM, name=p0',\n"
        "           'STREAM, unique-id=s0, type=c' ],\n"
        "         [ 'CARD, short-name=Second' ] ]\n", NULL);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.d.num_vsnds, 2);
    assert_int_equal(r.d.vsnds[1].devid, 1);
    assert_string_equal(r.d.vsnds[1].short_name, "Second");
    assert_int_equal(r.d.vsnds[0].pcms[0].streams[0].type,
                     VXL_VSND_STREAM_TYPE_C);
    done(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(devids_and_order),
        cmocka_unit_test(vif_defaults_from_xlconf),
        cmocka_unit_test(pci_globals_and_rdm),
        cmocka_unit_test(errors_and_exit_statuses),
        cmocka_unit_test(vsnd_cards),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

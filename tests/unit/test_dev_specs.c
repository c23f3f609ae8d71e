/* Unit tests for the small device-item parsers (cfgparse/dev_specs.h):
 * p9, vtpm, pvcalls, channel, usbctrl, usbdev, vfb, vkb, vdispl, vsnd. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cfgparse/dev_specs.h"

static const cfg_pos here = { "dev.cfg", 9, 3 };

/* the only error of d, checked for position and hint */
static void one_error(vxl_diags *d, const char *msg)
{
    assert_int_equal(d->nerrors, 1);
    assert_string_equal(d->v[d->n - 1].msg, msg);
    assert_string_equal(d->v[d->n - 1].file, "dev.cfg");
    assert_int_equal(d->v[d->n - 1].line, 9);
    assert_non_null(d->v[d->n - 1].hint);
    vxl_diags_free(d);
}

static void p9_vtpm_pvcalls(void **state)
{
    vxl_diags d = {0};
    vxl_device_p9 p9;
    vxl_device_p9_init(&p9);
    assert_int_equal(vxl_parse_p9_item(&p9, "tag=share, path=/srv/x,"
                                       "security_model=none,backend=d1",
                                       &here, &d), 0);
    assert_string_equal(p9.tag, "share");
    assert_string_equal(p9.path, "/srv/x");
    assert_string_equal(p9.security_model, "none");
    assert_string_equal(p9.backend_domname, "d1");
    vxl_device_p9_dispose(&p9);

    /* a token without `=' ends the item, as in xl: tag= is never seen */
    vxl_device_p9_init(&p9);
    assert_int_equal(vxl_parse_p9_item(&p9, "path=/x,security_model=none,"
                                       "junk,tag=t", &here, &d), -1);
    one_error(&d, "9pfs spec missing required field ( tag) in "
              "`path=/x,security_model=none,junk,tag=t'");
    vxl_device_p9_dispose(&p9);
    vxl_device_p9_init(&p9);
    assert_int_equal(vxl_parse_p9_item(&p9, "tga=x", &here, &d), -1);
    one_error(&d, "unknown string `tga' in 9pfs spec");
    vxl_device_p9_dispose(&p9);

    vxl_device_vtpm vtpm;
    vxl_device_vtpm_init(&vtpm);
    assert_int_equal(vxl_parse_vtpm_item(&vtpm, "backend=vtpmdom,uuid="
                                         "b8b4a2d2-2b41-4b83-9a5b-2e1c3f0d7a10",
                                         &here, &d), 0);
    assert_string_equal(vtpm.backend_domname, "vtpmdom");
    assert_int_equal(vtpm.uuid.uuid[0], 0xb8);
    vxl_device_vtpm_dispose(&vtpm);
    vxl_device_vtpm_init(&vtpm);
    assert_int_equal(vxl_parse_vtpm_item(&vtpm, "uuid=1234", &here, &d), -1);
    one_error(&d, "failed to parse vtpm UUID `1234'");
    vxl_device_vtpm_dispose(&vtpm);
    vxl_device_vtpm_init(&vtpm);
    assert_int_equal(vxl_parse_vtpm_item(&vtpm, "", &here, &d), -1);
    one_error(&d, "vtpm spec missing required backend field in `'");
    vxl_device_vtpm_dispose(&vtpm);

    vxl_device_pvcallsif pv;
    vxl_device_pvcallsif_init(&pv);
    assert_int_equal(vxl_parse_pvcalls_item(&pv, "backend=b", &here, &d), 0);
    assert_string_equal(pv.backend_domname, "b");
    assert_int_equal(vxl_parse_pvcalls_item(&pv, "backnd=b", &here, &d), -1);
    assert_string_equal(d.v[0].hint, "did you mean `backend'?");
    one_error(&d, "unknown string `backnd' in pvcalls spec");
    vxl_device_pvcallsif_dispose(&pv);
}

static void channels(void **state)
{
    vxl_diags d = {0};
    vxl_device_channel c;

    vxl_device_channel_init(&c);
    assert_int_equal(vxl_parse_channel_item(&c, " name = org.qemu.ga , "
                                            "connection=socket,path=/run/s=1,"
                                            "color=red", &here, &d), 0);
    assert_string_equal(c.name, "org.qemu.ga");
    assert_int_equal(c.connection, VXL_CHANNEL_CONNECTION_SOCKET);
    assert_string_equal(c.u.socket.path, "/run/s");  /* xl's pair split */
    assert_int_equal(d.nerrors, 0);
    assert_int_equal(d.n, 1);                       /* color: a warning */
    vxl_diags_free(&d);
    vxl_device_channel_dispose(&c);

    vxl_device_channel_init(&c);
    assert_int_equal(vxl_parse_channel_item(&c, "name=x,connection=socket",
                                            &here, &d), -1);
    one_error(&d, "channel connection 'socket' requires path=..");
    vxl_device_channel_dispose(&c);
    vxl_device_channel_init(&c);
    assert_int_equal(vxl_parse_channel_item(&c, "name=x", &here, &d), -1);
    one_error(&d, "channel has unknown 'connection' in `name=x'");
    vxl_device_channel_dispose(&c);
    vxl_device_channel_init(&c);
    assert_int_equal(vxl_parse_channel_item(&c, "", &here, &d), -1);
    vxl_diags_free(&d);
    assert_int_equal(vxl_parse_channel_item(&c, "name", &here, &d), -1);
    one_error(&d, "failed to parse channel configuration `name'");
    vxl_device_channel_dispose(&c);
}

static void usb(void **state)
{
    vxl_diags d = {0};
    vxl_device_usbctrl uc;
    vxl_device_usbctrl_init(&uc);
    assert_int_equal(vxl_parse_usbctrl_item(&uc, "type=qusb, version=3,"
                                            "ports=15", &here, &d), 0);
    assert_int_equal(uc.type, VXL_USBCTRL_TYPE_QUSB);
    assert_int_equal(uc.version, 3);
    assert_int_equal(uc.ports, 15);
    assert_int_equal(vxl_parse_usbctrl_item(&uc, "type=xhci", &here, &d), -1);
    one_error(&d, "invalid usb controller type `xhci'");
    vxl_device_usbctrl_dispose(&uc);

    vxl_device_usbdev ud;
    vxl_device_usbdev_init(&ud);
    assert_int_equal(vxl_parse_usbdev_item(&ud, "hostbus=0x2,hostaddr=010,"
                                           "type=hostdev,controller=1,port=2",
                                           &here, &d), 0);
    assert_int_equal(ud.type, VXL_USBDEV_TYPE_HOSTDEV);
    assert_int_equal(ud.u.hostdev.hostbus, 2);
    assert_int_equal(ud.u.hostdev.hostaddr, 8);     /* strtoul base 0 */
    assert_int_equal(ud.ctrl, 1);
    assert_int_equal(ud.port, 2);
    assert_int_equal(vxl_parse_usbdev_item(&ud, "bus=1", &here, &d), -1);
    one_error(&d, "unknown string `bus=1' in usbdev spec");
    vxl_device_usbdev_dispose(&ud);
}

static void vfb_vkb(void **state)
{
    vxl_diags d = {0};
    vxl_device_vfb vfb;
    vxl_device_vfb_init(&vfb);
    assert_int_equal(vxl_parse_vfb_item(&vfb, "vnc=1,vnclisten=0.0.0.0,"
                                        "vncdisplay=3,vncunused=0,sdl=0,"
                                        "keymap=de,type=vnc,stop,vncpasswd=x",
                                        &here, &d), 0);
    assert_true(vxl_defbool_val(vfb.vnc.enable));
    assert_string_equal(vfb.vnc.listen, "0.0.0.0");
    assert_int_equal(vfb.vnc.display, 3);
    assert_false(vxl_defbool_val(vfb.vnc.findunused));
    assert_false(vxl_defbool_val(vfb.sdl.enable));
    assert_string_equal(vfb.keymap, "de");
    assert_null(vfb.vnc.passwd);        /* after `stop': ignored */
    assert_int_equal(d.nerrors, 0);
    assert_int_equal(d.n, 2);           /* type=, stop: warnings */
    vxl_diags_free(&d);
    vxl_device_vfb_dispose(&vfb);

    vxl_device_vkb vkb;
    vxl_device_vkb_init(&vkb);
    assert_int_equal(vxl_parse_vkb_item(&vkb, "backend-type=linux,"
                                        "unique-id=k0,multi-touch-width=10,"
                                        "width=800", &here, &d), 0);
    assert_int_equal(vkb.backend_type, VXL_VKB_BACKEND_LINUX);
    assert_string_equal(vkb.unique_id, "k0");
    assert_true(vkb.feature_multi_touch);
    assert_int_equal(vkb.width, 800);
    vxl_device_vkb_dispose(&vkb);
    vxl_device_vkb_init(&vkb);
    assert_int_equal(vxl_parse_vkb_item(&vkb, "", &here, &d), -1);
    one_error(&d, "backend-type should be set in vkb spec `'");
    assert_int_equal(vxl_parse_vkb_item(&vkb, "backend-type=qemu,"
                                        "feature-multi-touch=1", &here, &d),
                     -1);
    one_error(&d, "multi-touch-width, multi-touch-height, "
              "multi-touch-num-contacts should be set for multi touch in "
              "vkb spec");
    vxl_device_vkb_dispose(&vkb);
}

static void vdispl(void **state)
{
    vxl_diags d = {0};
    vxl_device_vdispl v;
    vxl_device_vdispl_init(&v);
    assert_int_equal(vxl_parse_vdispl_item(&v, "backend=dom1,be-alloc=1,"
                                           "connectors=id0:1920x1080;"
                                           "id1:800x600", &here, &d), 0);
    assert_true(v.be_alloc);
    assert_int_equal(v.num_connectors, 2);
    assert_string_equal(v.connectors[1].unique_id, "id1");
    assert_int_equal(v.connectors[0].width, 1920);
    assert_int_equal(v.connectors[1].height, 600);
    vxl_device_vdispl_dispose(&v);

    vxl_device_vdispl_init(&v);
    assert_int_equal(vxl_parse_vdispl_item(&v, "backend=dom1", &here, &d),
                     -1);
    one_error(&d, "at least one connector should be specified in "
              "`backend=dom1'");
    assert_int_equal(vxl_parse_vdispl_item(&v, "connectors=id0:800", &here,
                                           &d), -1);
    one_error(&d, "vdispl: can't parse connector `id0:800'");
    assert_int_equal(vxl_parse_vdispl_item(&v, "connectors=", &here, &d),
                     -1);
    one_error(&d, "vdispl: empty connectors=");
    vxl_device_vdispl_dispose(&v);

    /* as xl 4.17: a non-numeric resolution only warns, and leaves that
     * connector and the ones after it empty */
    vxl_device_vdispl_init(&v);
    assert_int_equal(vxl_parse_vdispl_item(&v, "connectors=id0:big;"
                                           "id1:800x600", &here, &d), 0);
    assert_int_equal(d.nerrors, 0);
    assert_int_equal(d.n, 1);
    assert_int_equal(v.num_connectors, 2);
    assert_string_equal(v.connectors[0].unique_id, "id0");
    assert_int_equal(v.connectors[0].width, 0);
    assert_null(v.connectors[1].unique_id);
    vxl_diags_free(&d);
    vxl_device_vdispl_dispose(&v);
}

static void vsnd(void **state)
{
    vxl_diags d = {0};
    vxl_device_vsnd s;
    vxl_device_vsnd_init(&s);
    assert_int_equal(vxl_parse_vsnd_item(&s, "CARD, short-name=Main, "
                                         "sample-formats=s16_le;S8, "
                                         "sample-rates=8000;44100",
                                         &here, &d), 0);
    assert_int_equal(vxl_parse_vsnd_item(&s, "stream, unique-id=0, type=p",
                                         &here, &d), 0);
    assert_int_equal(vxl_parse_vsnd_item(&s, "PCM, name=Second, "
                                         "buffer-size=1024", &here, &d), 0);
    assert_string_equal(s.short_name, "Main");
    assert_int_equal(s.params.num_sample_formats, 2);
    assert_int_equal(s.params.sample_formats[1], VXL_VSND_PCM_FORMAT_S8);
    assert_int_equal(s.params.sample_rates[1], 44100);
    assert_int_equal(s.num_vsnd_pcms, 2);  /* stream made the first one */
    assert_int_equal(s.pcms[0].num_vsnd_streams, 1);
    assert_int_equal(s.pcms[0].streams[0].type, VXL_VSND_STREAM_TYPE_P);
    assert_string_equal(s.pcms[1].name, "Second");
    assert_int_equal(s.pcms[1].params.buffer_size, 1024);

    assert_int_equal(vxl_parse_vsnd_item(&s, "DEVICE, x=1", &here, &d), -1);
    one_error(&d, "vsnd: invalid key `DEVICE'");
    assert_int_equal(vxl_parse_vsnd_item(&s, "PCM, nmae=x", &here, &d), -1);
    one_error(&d, "vsnd: invalid parameter `nmae=x'");
    assert_int_equal(vxl_parse_vsnd_item(&s, "CARD, sample-formats=s17",
                                         &here, &d), -1);
    one_error(&d, "vsnd: invalid pcm format `s17'");
    assert_int_equal(vxl_parse_vsnd_item(&s, "STREAM, type=x", &here, &d),
                     -1);
    one_error(&d, "vsnd: invalid stream type `x'");
    vxl_device_vsnd_dispose(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(p9_vtpm_pvcalls),
        cmocka_unit_test(channels),
        cmocka_unit_test(usb),
        cmocka_unit_test(vfb_vkb),
        cmocka_unit_test(vdispl),
        cmocka_unit_test(vsnd),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests for cfgparse/disk_spec.c beyond the conformance vectors:
 * the parsed fields, exact error messages, hints and positions.  Field
 * expectations were checked against Xen 4.17's xl (xl-oracle). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cfgparse/disk_spec.h"

static const cfg_pos here = { "guest.cfg", 12, 5 };

/* parse one spec string; returns rc, fills *disk and *d */
static int parse1(const char *spec, vxl_device_disk *disk, vxl_diags *d)
{
    vxl_device_disk_init(disk);
    return vxl_parse_disk_spec(1, &spec, &here, disk, d);
}

static void legacy_prefixes(void **state)
{
    vxl_device_disk disk;
    vxl_diags d = {0};

    assert_int_equal(parse1("tap:qcow2:/x.qcow2,xvda,w", &disk, &d), 0);
    assert_string_equal(disk.pdev_path, "/x.qcow2");
    assert_string_equal(disk.vdev, "xvda");
    assert_int_equal(disk.format, VXL_DISK_FORMAT_QCOW2);
    assert_int_equal(disk.backend, VXL_DISK_BACKEND_UNKNOWN);
    assert_int_equal(disk.readwrite, 1);
    vxl_device_disk_dispose(&disk);

    assert_int_equal(parse1("nbd:host:1234,xvda,r", &disk, &d), 0);
    assert_string_equal(disk.pdev_path, "host:1234");
    assert_string_equal(disk.script, "block-nbd");
    assert_int_equal(disk.readwrite, 0);
    vxl_device_disk_dispose(&disk);

    /* after a prefix the second positional is the vdev, not the format */
    assert_int_equal(parse1("phy:/dev/sdb,hdb:cdrom", &disk, &d), 0);
    assert_string_equal(disk.vdev, "hdb");
    assert_int_equal(disk.is_cdrom, 1);
    assert_int_equal(disk.removable, 1);
    assert_int_equal(disk.format, VXL_DISK_FORMAT_RAW);
    vxl_device_disk_dispose(&disk);
    assert_int_equal(d.n, 0);
}

static void keys_and_target(void **state)
{
    vxl_device_disk disk;
    vxl_diags d = {0};

    assert_int_equal(parse1(" backend=dom1, backendtype=qdisk,"
                            "specification=virtio,direct-io-safe,no-discard,"
                            "untrusted,vdev=xvdb,access=ro,target=/a,b=c,",
                            &disk, &d), 0);
    assert_string_equal(disk.backend_domname, "dom1");
    assert_int_equal(disk.backend, VXL_DISK_BACKEND_QDISK);
    assert_int_equal(disk.specification, VXL_DISK_SPECIFICATION_VIRTIO);
    assert_true(disk.direct_io_safe);
    assert_true(vxl_defbool_is_default(disk.colo_enable));
    assert_false(vxl_defbool_val(disk.discard_enable));
    assert_false(vxl_defbool_val(disk.trusted));
    assert_int_equal(disk.readwrite, 0);
    assert_string_equal(disk.pdev_path, "/a,b=c");  /* trailing , dropped */
    vxl_device_disk_dispose(&disk);

    assert_int_equal(parse1("colo,colo-host=h,colo-port=9000,colo-export=e,"
                            "active-disk=a,hidden-disk=b,vdev=xvda,target=/x",
                            &disk, &d), 0);
    assert_true(vxl_defbool_val(disk.colo_enable));
    assert_string_equal(disk.colo_host, "h");
    assert_int_equal(disk.colo_port, 9000);
    assert_string_equal(disk.colo_export, "e");
    assert_string_equal(disk.active_disk, "a");
    assert_string_equal(disk.hidden_disk, "b");
    vxl_device_disk_dispose(&disk);
    assert_int_equal(d.n, 0);
}

static void several_strings_share_positional_state(void **state)
{
    const char *specs[] = { "/x,,", "hda", "w" };
    vxl_device_disk disk;
    vxl_diags d = {0};

    vxl_device_disk_init(&disk);
    assert_int_equal(vxl_parse_disk_spec(3, specs, &vxl_loc_cmdline, &disk,
                                         &d), 0);
    assert_string_equal(disk.pdev_path, "/x");
    assert_string_equal(disk.vdev, "hda");
    vxl_device_disk_dispose(&disk);

    const char *four[] = { "/x,,", "hda", "w", "r" };
    vxl_device_disk_init(&disk);
    assert_int_equal(vxl_parse_disk_spec(4, four, &vxl_loc_cmdline, &disk,
                                         &d), -1);
    assert_string_equal(d.v[0].file, "command line");
    assert_int_equal(d.v[0].line, 0);
    assert_string_equal(d.v[0].msg, "disk specification: too many "
                        "positional parameters: near `r' in `r'");
    vxl_device_disk_dispose(&disk);
    vxl_diags_free(&d);
}

/* vxl extension: format=vmdk / format=vdi (for `vxl create --convert');
 * libxl's format stays unknown, and what the spec set is recorded */
static void vxl_formats_and_given(void **state)
{
    vxl_device_disk disk;
    vxl_diags d = {0};

    assert_int_equal(parse1("format=vmdk,vdev=xvda,target=/a.vmdk", &disk,
                            &d), 0);
    assert_string_equal(disk.vxl_format, "vmdk");
    assert_int_equal(disk.format, VXL_DISK_FORMAT_UNKNOWN);
    assert_int_equal(disk.vxl_given, VXL_DISK_GIVEN_FORMAT);
    vxl_device_disk_dispose(&disk);

    assert_int_equal(parse1("/a.vdi,vdi,hda,w", &disk, &d), 0);
    assert_string_equal(disk.vxl_format, "vdi");
    assert_string_equal(disk.vdev, "hda");
    assert_int_equal(disk.vxl_given, VXL_DISK_GIVEN_FORMAT |
                     VXL_DISK_GIVEN_ACCESS | VXL_DISK_GIVEN_RW);
    vxl_device_disk_dispose(&disk);

    /* the empty positional format is the default, not a given one */
    assert_int_equal(parse1("/a.img,,xvda", &disk, &d), 0);
    assert_null(disk.vxl_format);
    assert_int_equal(disk.format, VXL_DISK_FORMAT_RAW);
    assert_int_equal(disk.vxl_given, 0);
    vxl_device_disk_dispose(&disk);

    /* `snapshot' (vxl extension): a temporary overlay for this disk */
    assert_int_equal(parse1("vdev=xvda,snapshot,target=/a.img", &disk, &d),
                     0);
    assert_true(disk.vxl_snapshot);
    assert_string_equal(disk.pdev_path, "/a.img");
    vxl_device_disk_dispose(&disk);
    assert_int_equal(parse1("/a.img,raw,xvda,rw,snapshot", &disk, &d), 0);
    assert_true(disk.vxl_snapshot);
    vxl_device_disk_dispose(&disk);

    /* an empty cdrom has no format to convert */
    assert_int_equal(parse1("format=vmdk,vdev=hdc,devtype=cdrom", &disk,
                            &d), 0);
    assert_null(disk.vxl_format);
    assert_int_equal(disk.format, VXL_DISK_FORMAT_EMPTY);
    vxl_device_disk_dispose(&disk);
    assert_int_equal(d.n, 0);
}

/* parse spec expecting failure; check the first error's message and hint */
static void expect_error(const char *spec, const char *msg, const char *hint)
{
    vxl_device_disk disk;
    vxl_diags d = {0};

    assert_int_equal(parse1(spec, &disk, &d), -1);
    assert_true(d.nerrors >= 1);
    assert_string_equal(d.v[0].file, "guest.cfg");
    assert_int_equal(d.v[0].line, 12);
    assert_int_equal(d.v[0].col, 5);
    assert_string_equal(d.v[0].msg, msg);
    if (hint) {
        assert_non_null(d.v[0].hint);
        assert_string_equal(d.v[0].hint, hint);
    }
    vxl_device_disk_dispose(&disk);
    vxl_diags_free(&d);
}

static void errors(void **state)
{
    expect_error("format=QCOW2,vdev=xvda,target=/x",
                 "disk specification: unknown value for format: near "
                 "`QCOW2' in `format=QCOW2,vdev=xvda,target=/x'",
                 "did you mean `qcow2'?");
    expect_error("vdev=xvda,format=vhdx,target=/x",
                 "disk specification: unknown value for format: near `vhdx' "
                 "in `vdev=xvda,format=vhdx,target=/x'",
                 "did you mean `vhd'?");
    expect_error("vdev=xvda,format=vmdk,format=raw,target=/x",
                 "disk specification: format respecified: near `raw' in "
                 "`vdev=xvda,format=vmdk,format=raw,target=/x'",
                 "give each parameter only once");
    expect_error("vdev=xvda,format=qcow2,format=vdi,target=/x",
                 "disk specification: format respecified: near `vdi' in "
                 "`vdev=xvda,format=qcow2,format=vdi,target=/x'",
                 "give each parameter only once");
    expect_error("vdevs=xvda,target=/x",
                 "disk specification: unknown parameter: near `vdevs=x' in "
                 "`vdevs=xvda,target=/x'", "did you mean `vdev'?");
    expect_error("/x,hda",
                 "disk specification: unknown value for format: near `hda' "
                 "in `/x,hda'",
                 "the positional form is TARGET,FORMAT,VDEV,ACCESS; write "
                 "`/x,,hda' to keep the default format, or use vdev=hda");
    expect_error("/x,,hda,rx", "disk specification: unknown value for "
                 "access: near `rx' in `/x,,hda,rx'", "did you mean `r'?");
    expect_error("vdev=xvda,access=write,target=/x",
                 "disk specification: unknown value for access: near "
                 "`write' in `vdev=xvda,access=write,target=/x'",
                 "valid access modes: r, ro, w, rw");
    expect_error("devtype=floppy,vdev=xvda,target=/x",
                 "disk specification: unknown value for type: near "
                 "`devtype=floppy,' in `devtype=floppy,vdev=xvda,target=/x'",
                 "valid device types: disk, cdrom");
    expect_error("vdev=xvda,vdev=xvdb,target=/x",
                 "disk specification: vdev respecified: near `xvdb' in "
                 "`vdev=xvda,vdev=xvdb,target=/x'",
                 "give each parameter only once");
    expect_error("vdev=xvda,format=raw,format=qcow2,target=/x",
                 "disk specification: format respecified: near `qcow2' in "
                 "`vdev=xvda,format=raw,format=qcow2,target=/x'", NULL);
    expect_error("foo:/x,xvda",
                 "disk specification: unknown deprecated disk prefix: near "
                 "`foo:' in `foo:/x,xvda'", NULL);
    expect_error("Vdev=xvda,target=/x",
                 "disk specification: bad disk syntax: near `=xvda,target=/x'"
                 " in `Vdev=xvda,target=/x'", NULL);
    expect_error("target=/x,vdev=xvda",
                 "disk specification: no vdev specified in "
                 "`target=/x,vdev=xvda'", "name the guest's device, e.g. "
                 "vdev=xvda");
    expect_error("vdev=xvda", "disk specification: no target specified "
                 "(and device not removable) in `vdev=xvda'",
                 "give target=PATH, or devtype=cdrom for an empty "
                 "removable drive");
    expect_error("colo-port=x,vdev=xvda,target=/x",
                 "disk specification: unknown value for colo_port: near `x' "
                 "in `colo-port=x,vdev=xvda,target=/x'", NULL);
    expect_error("vdev=xvda,backendtype=tapdisk2,target=/x",
                 "disk specification: unknown value for backendtype: near "
                 "`tapdisk2' in `vdev=xvda,backendtype=tapdisk2,target=/x'",
                 "valid backend types: phy, tap, qdisk, standalone");
}

static void target_swallows_the_rest_but_not_pdev_reset(void **state)
{
    vxl_device_disk disk;
    vxl_diags d = {0};

    /* an empty earlier value may be overwritten without complaint */
    assert_int_equal(parse1("vdev=,vdev=xvdb,target=", &disk, &d), 0);
    assert_string_equal(disk.vdev, "xvdb");
    assert_string_equal(disk.pdev_path, "");
    assert_int_equal(disk.format, VXL_DISK_FORMAT_RAW);
    vxl_device_disk_dispose(&disk);
    assert_int_equal(d.n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(legacy_prefixes),
        cmocka_unit_test(keys_and_target),
        cmocka_unit_test(several_strings_share_positional_state),
        cmocka_unit_test(vxl_formats_and_given),
        cmocka_unit_test(errors),
        cmocka_unit_test(target_swallows_the_rest_but_not_pdev_reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

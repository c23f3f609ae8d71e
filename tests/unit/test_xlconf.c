/* Unit tests for cfgparse/xlconf.c: xl.conf keys, defaults, deprecated
 * spellings and the fatal max_grant_* errors of xl's parse_global_config. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "cfgparse/xlconf.h"

static char *write_tmp(const char *text)
{
    char *path = strdup("/tmp/vxl-xlconf-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static int load_text(struct vxl_xlconf *c, const char *text, vxl_diags *d)
{
    char *path = write_tmp(text);
    int rc = vxl_xlconf_load_file(c, path, d);
    unlink(path);
    free(path);
    return rc;
}

static void missing_file_gives_defaults(void **state)
{
    struct vxl_xlconf c;
    vxl_diags d = {0};
    assert_int_equal(vxl_xlconf_load_file(&c, "/nonexistent/xl.conf", &d), 0);
    assert_int_equal(d.n, 0);
    assert_int_equal(c.autoballoon, -1);
    assert_int_equal(c.run_hotplug_scripts, 1);
    assert_int_equal(c.claim_mode, 1);
    assert_int_equal(c.max_grant_frames, -1);
    assert_int_equal(c.max_maptrack_frames, -1);
    assert_int_equal(c.max_grant_version, -1);
    assert_int_equal(c.output_format_json, 1);
    assert_null(c.default_bridge);
    assert_null(c.vm_cpumask);
    vxl_xlconf_dispose(&c);
}

static void keys_are_read(void **state)
{
    struct vxl_xlconf c;
    vxl_diags d = {0};
    assert_int_equal(load_text(&c,
        "# comment\n"
        "autoballoon=\"off\"\n"
        "run_hotplug_scripts=0\n"
        "claim_mode=0\n"
        "lockfile=\"/run/xl.lock\"\n"
        "vif.default.script=\"vif-nat\"\n"
        "vif.default.bridge=\"br9\"\n"
        "vif.default.gatewaydev=\"eth1\"\n"
        "vif.default.backend=\"netdom\"\n"
        "blkdev_start=\"xvdc\"\n"
        "remus.default.netbufscript=\"nb\"\n"
        "colo.default.proxyscript=\"cp\"\n"
        "max_grant_frames=64\n"
        "max_maptrack_frames=2048\n"
        "max_grant_version=1\n"
        "vm.cpumask=\"0-3\"\n"
        "vm.hvm.cpumask=\"4-7\"\n"
        "vm.pv.cpumask=\"8\"\n"
        "domid_policy=\"random\"\n"
        "output_format=\"sxp\"\n", &d), 0);
    assert_int_equal(d.nerrors, 0);
    assert_int_equal(c.autoballoon, 0);
    assert_int_equal(c.run_hotplug_scripts, 0);
    assert_int_equal(c.claim_mode, 0);
    assert_string_equal(c.lockfile, "/run/xl.lock");
    assert_string_equal(c.default_vifscript, "vif-nat");
    assert_string_equal(c.default_bridge, "br9");
    assert_string_equal(c.default_gatewaydev, "eth1");
    assert_string_equal(c.default_vifbackend, "netdom");
    assert_string_equal(c.blkdev_start, "xvdc");
    assert_string_equal(c.default_remus_netbufscript, "nb");
    assert_string_equal(c.default_colo_proxy_script, "cp");
    assert_int_equal(c.max_grant_frames, 64);
    assert_int_equal(c.max_maptrack_frames, 2048);
    assert_int_equal(c.max_grant_version, 1);
    assert_string_equal(c.vm_cpumask, "0-3");
    assert_string_equal(c.vm_hvm_cpumask, "4-7");
    assert_string_equal(c.vm_pv_cpumask, "8");
    assert_int_equal(c.domid_policy_random, 1);
    assert_int_equal(c.output_format_json, 0);
    vxl_xlconf_dispose(&c);
    vxl_diags_free(&d);
}

static void deprecated_spellings(void **state)
{
    struct vxl_xlconf c;
    vxl_diags d = {0};
    /* the new spelling wins whatever the order; the old one warns */
    assert_int_equal(load_text(&c,
        "vif.default.bridge=\"new\"\n"
        "defaultbridge=\"old\"\n"
        "vifscript=\"oldscript\"\n", &d), 0);
    assert_string_equal(c.default_bridge, "new");
    assert_string_equal(c.default_vifscript, "oldscript");
    assert_int_equal(d.nerrors, 0);
    assert_int_equal(d.n, 2);
    assert_non_null(strstr(d.v[0].msg, "vifscript is deprecated"));
    assert_non_null(strstr(d.v[1].msg, "defaultbridge is deprecated"));
    vxl_xlconf_dispose(&c);
    vxl_diags_free(&d);
}

static void bad_values(void **state)
{
    struct vxl_xlconf c;
    vxl_diags d = {0};
    /* an unknown autoballoon value only warns and keeps the default */
    assert_int_equal(load_text(&c, "autoballoon=\"maybe\"\n", &d), 0);
    assert_int_equal(c.autoballoon, -1);
    assert_int_equal(d.nerrors, 0);
    assert_true(d.n >= 1);
    vxl_xlconf_dispose(&c);
    vxl_diags_free(&d);

    /* a negative max_grant_frames makes xl exit */
    assert_int_equal(load_text(&c, "max_grant_frames=-1\n", &d), -1);
    assert_true(d.nerrors >= 1);
    vxl_xlconf_dispose(&c);
    vxl_diags_free(&d);

    /* so does a syntax error */
    assert_int_equal(load_text(&c, "claim_mode = = 1\n", &d), -1);
    assert_true(d.nerrors >= 1);
    vxl_xlconf_dispose(&c);
    vxl_diags_free(&d);
}

static void env_selects_file(void **state)
{
    struct vxl_xlconf c;
    vxl_diags d = {0};
    char *path = write_tmp("vif.default.bridge=\"fromenv\"\n");
    setenv("VXL_XL_CONF", path, 1);
    assert_int_equal(vxl_xlconf_load(&c, &d), 0);
    assert_string_equal(c.default_bridge, "fromenv");
    unsetenv("VXL_XL_CONF");
    unlink(path);
    free(path);
    vxl_xlconf_dispose(&c);
    vxl_diags_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(missing_file_gives_defaults),
        cmocka_unit_test(keys_are_read),
        cmocka_unit_test(deprecated_spellings),
        cmocka_unit_test(bad_values),
        cmocka_unit_test(env_selects_file),
    };
    return cmocka_run_group_tests_name("xlconf", tests, NULL, NULL);
}

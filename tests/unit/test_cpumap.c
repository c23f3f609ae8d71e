/* Unit tests for cfgparse/cpumap.c: CPU set specs and their printing.
 * Expected maps follow xl 4.17's semantics (and Xen's intended answer for
 * nodes:N on CPUs >= 8, see cpumap.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cfgparse/cpumap.h"

static const struct vxl_host host16 = { 16, 2, 32768 };
static const struct vxl_host host12x3 = { 12, 3, 4096 };

/* parse spec on host, return the formatted map (or "ERR") */
static char *map_of(const char *spec, const struct vxl_host *h)
{
    vxl_bitmap b;
    vxl_diags d = {0};
    vxl_bitmap_init(&b);
    int rc = vxl_parse_cpumap(spec, h, &b, &d);
    char *s = rc ? strdup("ERR") : vxl_cpumap_format(&b, h->nr_cpus);
    assert_int_equal(rc ? 1 : 0, d.nerrors ? 1 : 0);
    vxl_bitmap_dispose(&b);
    vxl_diags_free(&d);
    return s;
}

static void check(const char *spec, const struct vxl_host *h,
                  const char *want)
{
    char *got = map_of(spec, h);
    if (strcmp(got, want))
        fail_msg("cpumap `%s': got `%s', want `%s'", spec, got, want);
    free(got);
}

static void cpus_and_ranges(void **state)
{
    check("all", &host16, "all");
    check("0", &host16, "0");
    check("0-3,8", &host16, "0-3,8");
    check("3-5,4-7", &host16, "3-7");
    check("0-15", &host16, "all");
    check("1-15", &host16, "1-15");
    check("all,^12", &host16, "0-11,13-15");
    check("all,^0", &host16, "1-15");
    check("^0", &host16, "none");
    check("", &host16, "none");
    check(",,2,,", &host16, "2");
    check("20", &host16, "none");          /* no such CPU: ignored */
    check("14-40", &host16, "14-15");
    check("0-4294967294", &host16, "all");  /* huge range, clipped */
}

static void nodes(void **state)
{
    check("nodes:0", &host16, "0-7");
    check("nodes:1", &host16, "8-15");      /* xl 4.17 says none */
    check("node:1", &host16, "8-15");
    check("nodes:0-1", &host16, "all");
    check("nodes:all", &host16, "all");
    check("all,^nodes:1", &host16, "0-7");
    check("nodes:1,^9", &host16, "8,10-15");
    check("nodes:5", &host16, "none");      /* no such node */
    check("nodes:1", &host12x3, "4-7");
    check("nodes:2,0", &host12x3, "0,8-11");
    check("^nodes:all", &host16, "ERR");
}

static void errors_have_messages_and_hints(void **state)
{
    vxl_bitmap b;
    vxl_diags d = {0};
    cfg_pos at = { "guest.cfg", 7, 8 };

    vxl_bitmap_init(&b);
    assert_int_equal(vxl_parse_cpumap_at("0-3,foo", &host16, &b, &at, &d),
                     -1);
    assert_int_equal(d.nerrors, 1);
    assert_string_equal(d.v[0].msg, "invalid pcpu range: `foo'");
    assert_string_equal(d.v[0].file, "guest.cfg");
    assert_int_equal(d.v[0].line, 7);
    assert_int_equal(d.v[0].col, 8);
    assert_non_null(d.v[0].hint);
    vxl_diags_free(&d);

    assert_int_equal(vxl_parse_cpumap("^all", &host16, &b, &d), -1);
    assert_string_equal(d.v[0].msg,
                        "can't combine \"^\" and \"all\" in `^all'");
    vxl_diags_free(&d);

    const char *bad[] = { "3-1", "-1", "1-", "a", "1-2x", "nodes:", "^" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(vxl_parse_cpumap(bad[i], &host16, &b, &d), -1);
        assert_int_equal(d.nerrors, 1);
        vxl_diags_free(&d);
    }
    vxl_bitmap_dispose(&b);
}

static void adds_to_an_existing_map(void **state)
{
    vxl_bitmap b;
    vxl_diags d = {0};
    vxl_bitmap_init(&b);
    vxl_bitmap_alloc(&b, 16);
    vxl_bitmap_set(&b, 15);
    assert_int_equal(vxl_parse_cpumap("1", &host16, &b, &d), 0);
    char *s = vxl_cpumap_format(&b, 16);
    assert_string_equal(s, "1,15");
    free(s);
    vxl_bitmap_dispose(&b);
}

static void format_like_xl(void **state)
{
    vxl_bitmap b;
    vxl_bitmap_init(&b);
    vxl_bitmap_alloc(&b, 16);
    char *s = vxl_cpumap_format(&b, 16);
    assert_string_equal(s, "none");
    free(s);
    vxl_bitmap_set(&b, 0);
    s = vxl_cpumap_format(&b, 1);       /* only bit 0, all of 1 CPU */
    assert_string_equal(s, "all");
    free(s);
    vxl_bitmap_set(&b, 2);
    vxl_bitmap_set(&b, 3);
    vxl_bitmap_set(&b, 15);
    s = vxl_cpumap_format(&b, 16);
    assert_string_equal(s, "0,2-3,15");
    free(s);
    vxl_bitmap_dispose(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cpus_and_ranges),
        cmocka_unit_test(nodes),
        cmocka_unit_test(errors_have_messages_and_hints),
        cmocka_unit_test(adds_to_an_existing_map),
        cmocka_unit_test(format_like_xl),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

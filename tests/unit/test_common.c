/* Unit tests for common/: diagnostics and string buffers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/diag.h"
#include "common/util.h"

static void diag_format_with_position_and_hint(void **state)
{
    vxl_diags d = {0};
    vxl_diag_add(&d, VXL_ERROR, "a.cfg", 3, 14, "did you mean `qcow2'?",
                 "unknown disk format `%s'", "QCOW2");
    vxl_diag_add(&d, VXL_WARNING, NULL, 0, 0, NULL, "plain");
    assert_int_equal(d.n, 2);
    assert_int_equal(d.nerrors, 1);
    char *s = vxl_diag_format(&d.v[0]);
    assert_string_equal(s, "a.cfg:3:14: error: unknown disk format `QCOW2'\n"
                           "  hint: did you mean `qcow2'?");
    free(s);
    s = vxl_diag_format(&d.v[1]);
    assert_string_equal(s, "warning: plain");
    free(s);
    vxl_diags_free(&d);
    assert_int_equal(d.n, 0);
}

static void diag_line_without_column(void **state)
{
    vxl_diags d = {0};
    vxl_diag_add(&d, VXL_NOTE, "x", 7, 0, NULL, "n");
    char *s = vxl_diag_format(&d.v[0]);
    assert_string_equal(s, "x:7: note: n");
    free(s);
    vxl_diags_free(&d);
}

static void strbuf_empty_append_from_null(void **state)
{
    strbuf sb = {0};
    sb_append(&sb, NULL, 0);            /* no UB: NULL source, length 0 */
    assert_non_null(sb.s);
    assert_string_equal(sb.s, "");
    sb_puts(&sb, "ab");
    sb_append(&sb, NULL, 0);
    assert_string_equal(sb.s, "ab");
    sb_free(&sb);
}

static void strbuf_grows_and_steals(void **state)
{
    strbuf sb = {0};
    for (int i = 0; i < 1000; i++)
        sb_printf(&sb, "%d,", i % 10);
    assert_int_equal(sb.len, 2000);
    assert_int_equal(strlen(sb.s), 2000);
    char *s = sb_steal(&sb);
    assert_null(sb.s);
    assert_memory_equal(s, "0,1,2,", 6);
    free(s);
    s = sb_steal(&sb);          /* empty buffer gives "" not NULL */
    assert_string_equal(s, "");
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(diag_format_with_position_and_hint),
        cmocka_unit_test(diag_line_without_column),
        cmocka_unit_test(strbuf_grows_and_steals),
        cmocka_unit_test(strbuf_empty_append_from_null),
    };
    return cmocka_run_group_tests_name("common", tests, NULL, NULL);
}

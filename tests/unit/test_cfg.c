/* Unit tests for the xl.cfg reader (cfgparse/cfg.h): grammar, values,
 * lookups, positions, diagnostics and command-line overrides.  The
 * expectations are libxlu 4.17's behaviour, which test_cfg_xlu.c checks
 * against the real library. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cfgparse/cfg.h"
#include "common/diag.h"

/* Parse text; returns the config (rc in *rc), diagnostics in *d. */
static cfg_config *parse_len(const char *text, size_t len, int *rc,
                             vxl_diags *d)
{
    cfg_config *c = cfg_init("t.cfg");
    *rc = cfg_readdata(c, text, len, d);
    return c;
}

static cfg_config *parse(const char *text, int *rc, vxl_diags *d)
{
    return parse_len(text, strlen(text), rc, d);
}

static int accepts(const char *text)
{
    vxl_diags d = {0};
    int rc;
    cfg_config *c = parse(text, &rc, &d);
    /* failure and error diagnostics go together */
    assert_int_equal(rc != 0, d.nerrors != 0);
    cfg_destroy(c);
    vxl_diags_free(&d);
    return rc == 0;
}

static const char *str_of(cfg_config *c, const char *name)
{
    const char *s = NULL;
    int e = cfg_get_string(c, name, &s, 1, NULL);
    return e ? NULL : s;
}

static void accept_reject(void **state)
{
    static const char *const ok[] = {
        "", "\n", ";", ";;\n;", "# c\n", "x = 1", "x = 1\n", "x = 1;y = 2",
        "x = 'a'", "x = \"a\"", "a.b_c9 = 1\n", "x = []\n", "x = [\n]\n",
        "x = [1,]\n", "x = [1\n,\n2\n,\n]\n", "x = [[1,[2]],[]]\n",
        "x = [ # c\n 'a', # d\n]\n", "x += [1]\n", "x = 1 # c\n",
        "x = 1\n$", "x = 1 +", "x = 12abc\n", "x = 0x\n", "x = \"\\012\"\n",
    };
    static const char *const bad[] = {
        "# no newline", "x = 1\n#c", "x", "x =", "x = y\n", "X = 1\n",
        "_x = 1\n", "x-y = 1\n", "x = -1\n", "x = 1, 2\n", "x = [ , ]\n",
        "x = [1,,2]\n", "x = [1 2]\n", "x = [1", "x = 1\r\n", "x = 1 $\n",
        "x = \"a\\x41\"\n", "x = \"\\0\"\n", "x = \"\\8\"\n", "x = \"\\q\"\n",
        "x = 'abc\n", "x = \"a\"\nx += [1]\n", "x = [1]\nx += \"a\"\n",
        "x = 0x1F\n", "x = 1.5\n", "x = 1 y = 2\n",
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        if (!accepts(ok[i]))
            fail_msg("should accept: %s", ok[i]);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (accepts(bad[i]))
            fail_msg("should reject: %s", bad[i]);
}

static void strings_and_escapes(void **state)
{
    int rc;
    cfg_config *c = parse("a = 'it\\'s'\nb = \"x\\ty\\n\"\nc = \"q\\\"\\\\\"\n"
                          "d = 'a\"b'\ne = \"a\\012b\"\nf = \"a\\1 2b\"\n"
                          "g = \"\\a\\b\\f\\r\\v\"\n",
                          &rc, NULL);
    assert_int_equal(rc, 0);
    assert_string_equal(str_of(c, "a"), "it's");
    assert_string_equal(str_of(c, "b"), "x\ty\n");
    assert_string_equal(str_of(c, "c"), "q\"\\");
    assert_string_equal(str_of(c, "d"), "a\"b");
    /* libxlu parses octal escapes and then drops them */
    assert_string_equal(str_of(c, "e"), "ab");
    assert_string_equal(str_of(c, "f"), "ab");
    assert_string_equal(str_of(c, "g"), "\a\b\f\r\v");
    cfg_destroy(c);
}

static void numbers(void **state)
{
    int rc;
    long l = 42;
    cfg_config *c = parse("a = 0x1f\nb = 010\nc = \" -5\"\nd = 08\ne = 1e5\n"
                          "f = 99999999999999999999\ng = \"\"\nh = [1]\n"
                          "i = 7\ni += 1\n",
                          &rc, NULL);
    assert_int_equal(rc, 0);
    assert_int_equal(cfg_get_long(c, "a", &l, 1, NULL), 0);
    assert_int_equal(l, 31);
    assert_int_equal(cfg_get_long(c, "b", &l, 1, NULL), 0);
    assert_int_equal(l, 8);
    assert_int_equal(cfg_get_long(c, "c", &l, 1, NULL), 0);
    assert_int_equal(l, -5);
    l = 42;
    assert_int_equal(cfg_get_long(c, "d", &l, 1, NULL), EINVAL);
    assert_int_equal(cfg_get_long(c, "e", &l, 1, NULL), EINVAL);
    assert_int_equal(cfg_get_long(c, "f", &l, 1, NULL), ERANGE);
    assert_int_equal(cfg_get_long(c, "g", &l, 1, NULL), EINVAL);
    assert_int_equal(cfg_get_long(c, "h", &l, 1, NULL), EINVAL);
    assert_int_equal(cfg_get_long(c, "nope", &l, 1, NULL), ESRCH);
    /* "i = 7; i += 1" is the string "71", and += refuses numbers */
    assert_string_equal(str_of(c, "i"), "71");
    assert_int_equal(cfg_get_long(c, "i", &l, 1, NULL), EINVAL);
    assert_int_equal(l, 42);
    assert_int_equal(cfg_get_bounded_long(c, "a", 0, 30, &l, 1, NULL),
                     EINVAL);
    assert_int_equal(cfg_get_bounded_long(c, "a", 31, 31, &l, 1, NULL), 0);
    int b = -1;
    assert_int_equal(cfg_get_defbool(c, "a", &b, 1, NULL), 0);
    assert_int_equal(b, 1);
    b = -1;
    assert_int_equal(cfg_get_defbool(c, "nope", &b, 1, NULL), ESRCH);
    assert_int_equal(b, -1);
    cfg_destroy(c);
}

static void lists_and_addition(void **state)
{
    int rc, n;
    const cfg_list *l;
    cfg_config *c = parse("x = [ 'a', [ 'b', 'c' ], \"d\" ]\n"
                          "y = [1]\ny += [2, 3]\ny += []\n"
                          "s = 'a'\ns += 'b'\ns += \"c\"\n"
                          "z += ['new']\nw = 1\nw = [2]\n",
                          &rc, NULL);
    assert_int_equal(rc, 0);
    assert_int_equal(cfg_get_list(c, "x", &l, &n, 1, NULL), 0);
    assert_int_equal(n, 3);
    assert_string_equal(cfg_listitem(l, 0), "a");
    assert_null(cfg_listitem(l, 1));         /* a nested list */
    assert_null(cfg_listitem(l, 3));
    assert_null(cfg_listitem(l, -1));
    const cfg_value *v = cfg_list_get(l, 1);
    assert_int_equal(cfg_value_type(v), CFG_LIST);
    const cfg_list *inner;
    assert_int_equal(cfg_value_get_list(c, v, &inner, 1, NULL), 0);
    assert_string_equal(cfg_listitem(inner, 1), "c");
    const char *s;
    assert_int_equal(cfg_value_get_string(c, v, &s, 1, NULL), EINVAL);
    assert_null(s);

    char **sl;
    assert_int_equal(cfg_get_list_as_string_list(c, "x", &sl, &n, 1, NULL),
                     0);
    assert_int_equal(n, 3);
    assert_string_equal(sl[0], "a");
    assert_null(sl[1]);
    assert_string_equal(sl[2], "d");
    assert_null(sl[3]);
    cfg_string_list_free(sl, n);

    assert_int_equal(cfg_get_list(c, "y", &l, &n, 1, NULL), 0);
    assert_int_equal(n, 3);
    assert_string_equal(cfg_listitem(l, 2), "3");
    assert_string_equal(str_of(c, "s"), "abc");
    assert_int_equal(cfg_get_list(c, "z", NULL, &n, 1, NULL), 0);
    assert_int_equal(n, 1);
    enum cfg_op op;
    assert_int_equal(cfg_setting_op(c, "z", &op), 0);
    assert_int_equal(op, CFG_OP_ADDITION);
    /* last one wins */
    assert_int_equal(cfg_get_list(c, "w", NULL, &n, 1, NULL), 0);
    assert_int_equal(cfg_get_string(c, "w", &s, 1, NULL), EINVAL);
    assert_int_equal(cfg_get_list(c, "s", NULL, NULL, 1, NULL), EINVAL);
    assert_int_equal(cfg_nsettings(c), 10);
    assert_string_equal(cfg_setting_name(c, 0, NULL), "x");
    assert_null(cfg_setting_name(c, 10, NULL));
    cfg_destroy(c);
}

static void replace_string(void **state)
{
    int rc;
    cfg_config *c = parse("k = 'v'\n", &rc, NULL);
    char *s = strdup("old");
    assert_int_equal(cfg_replace_string(c, "k", &s, 1, NULL), 0);
    assert_string_equal(s, "v");
    assert_int_equal(cfg_replace_string(c, "none", &s, 1, NULL), ESRCH);
    assert_string_equal(s, "v");
    free(s);
    cfg_destroy(c);
}

static void positions(void **state)
{
    int rc;
    cfg_config *c = parse("# head\nname = 'g'\n  disk = [ 'a',\n\t'b' ]\n",
                          &rc, NULL);
    assert_int_equal(rc, 0);
    cfg_pos p;
    assert_int_equal(cfg_setting_pos(c, "name", &p), 0);
    assert_string_equal(p.file, "t.cfg");
    assert_int_equal(p.line, 2);
    assert_int_equal(p.col, 1);
    assert_int_equal(cfg_setting_value_pos(c, "name", &p), 0);
    assert_int_equal(p.col, 8);
    assert_int_equal(cfg_setting_pos(c, "disk", &p), 0);
    assert_int_equal(p.line, 3);
    assert_int_equal(p.col, 3);
    const cfg_list *l;
    assert_int_equal(cfg_get_list(c, "disk", &l, NULL, 1, NULL), 0);
    assert_int_equal(cfg_list_item_pos(l, 0, &p), 0);
    assert_int_equal(p.line, 3);
    assert_int_equal(p.col, 12);
    assert_int_equal(cfg_list_item_pos(l, 1, &p), 0);
    assert_int_equal(p.line, 4);
    assert_int_equal(p.col, 2);
    assert_int_equal(cfg_list_item_pos(l, 2, &p), ESRCH);
    assert_int_equal(cfg_setting_pos(c, "nope", &p), ESRCH);
    assert_string_equal(cfg_filename(c), "t.cfg");
    cfg_destroy(c);
}

/* The first diagnostic of a failed parse, formatted. */
static char *first_error(const char *text)
{
    vxl_diags d = {0};
    int rc;
    cfg_config *c = parse(text, &rc, &d);
    assert_int_not_equal(rc, 0);
    char *s = NULL;
    for (size_t i = 0; i < d.n && !s; i++)
        if (d.v[i].sev == VXL_ERROR)
            s = vxl_diag_format(&d.v[i]);
    cfg_destroy(c);
    vxl_diags_free(&d);
    assert_non_null(s);
    return s;
}

static void error_messages(void **state)
{
    static const struct { const char *text, *msg; } cases[] = {
        { "memory = 1\nos.x = 2\nfoo bar\n",
          "t.cfg:3:5: error: unexpected name `bar' after `foo', "
          "expecting `=' or `+='" },
        { "x = hvm\n",
          "t.cfg:1:5: error: unexpected name `hvm', expecting a value "
          "(a quoted string, a number or `[')\n"
          "  hint: strings must be quoted, e.g. name = \"value\"" },
        { "x = 1, 2\n",
          "t.cfg:1:6: error: unexpected `,', expecting a newline or `;' "
          "after the value\n"
          "  hint: a list needs brackets: name = [ a, b ]" },
        { "a = 1\n#boot = 'd'",
          "t.cfg:2:1: error: comment on the last line has no newline "
          "after it\n"
          "  hint: libxlu (and so xl) rejects this; end the file with a "
          "newline" },
        { "x = [ 'a' 'b' ]\n",
          "t.cfg:1:11: error: unexpected string `'b'', expecting `,' or "
          "`]' in the list\n  hint: list items are separated by `,'" },
        { "x = 1\r\n",
          "t.cfg:1:6: error: carriage return (DOS line ending)\n"
          "  hint: xl reads Unix line endings only; convert the file, "
          "e.g. with dos2unix" },
        { "Memory = 1\n",
          "t.cfg:1:1: error: unexpected character `M' in `Memory'\n"
          "  hint: setting names start with a lower-case letter and "
          "contain only a-z, 0-9, `.' and `_'" },
        { "x = \"ab\\q\"\n",
          "t.cfg:1:8: error: invalid escape `\\q' in quoted string\n"
          "  hint: known escapes: \\n \\t \\r \\a \\b \\f \\v \\\\ \\' \\\"" },
        { "memory = 512M\n",
          "t.cfg:1:13: error: unexpected character `M'\n"
          "  hint: numbers take no unit suffix: write plain digits (memory "
          "sizes are in MiB)" },
        { "kernel = /boot/vmlinuz\n",
          "t.cfg:1:10: error: unexpected character `/' in `/boot/vmlinuz'\n"
          "  hint: strings must be quoted, e.g. name = \"value\"" },
        { "\xef\xbb\xbfname = 'g'\n",
          "t.cfg:1:1: error: unexpected character `\\xef' in "
          "`\\xef\\xbb\\xbfname'\n"
          "  hint: the file starts with a UTF-8 byte order mark; save it "
          "without one" },
        { "x = [\n 1,\n",
          "t.cfg:3:1: error: unexpected end of file, expecting a list item "
          "or `]'" },
        { "x = 'a'\nx += [1]\n",
          "t.cfg:2:6: error: can't add a list to the string `x'\n"
          "  hint: `+=' appends a string to a string or a list to a list" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *s = first_error(cases[i].text);
        assert_string_equal(s, cases[i].msg);
        free(s);
    }
}

static void recovery_reports_several(void **state)
{
    vxl_diags d = {0};
    int rc;
    /* bison's recovery: one error per statement, skipping to the newline;
     * errors within three tokens of the last one are not reported */
    cfg_config *c = parse("a b\nok = 1\nc d\nok2 = 2\ne = f\n", &rc, &d);
    assert_int_equal(rc, EINVAL);
    assert_int_equal(d.nerrors, 3);
    assert_int_equal(d.v[0].line, 1);
    assert_int_equal(d.v[1].line, 3);
    assert_int_equal(d.v[2].line, 5);
    cfg_destroy(c);
    vxl_diags_free(&d);

    /* an error right after a value ends the parse (bison reduced to
     * `file' first) */
    c = parse("x = 1 y\nfoo bar\n", &rc, &d);
    assert_int_equal(d.nerrors, 1);
    cfg_destroy(c);
    vxl_diags_free(&d);

    /* Python gets a note */
    c = parse("import os\narch = os.uname()[4]\n", &rc, &d);
    assert_int_equal(rc, EINVAL);
    assert_int_equal(d.v[d.n - 1].sev, VXL_NOTE);
    assert_non_null(strstr(d.v[d.n - 1].msg, "Python"));
    cfg_destroy(c);
    vxl_diags_free(&d);
}

static void lookup_warnings(void **state)
{
    vxl_diags d = {0};
    int rc;
    cfg_config *c = parse("l = [1]\ns = 'x'\n", &rc, NULL);
    const char *s;
    long n;
    assert_int_equal(cfg_get_string(c, "l", &s, 0, &d), EINVAL);
    assert_int_equal(cfg_get_list(c, "s", NULL, NULL, 0, &d), EINVAL);
    assert_int_equal(cfg_get_long(c, "s", &n, 0, &d), EINVAL);
    assert_int_equal(cfg_get_long(c, "s", &n, 1, &d), EINVAL); /* quiet */
    assert_int_equal(d.n, 3);
    assert_int_equal(d.nerrors, 0);
    char *f = vxl_diag_format(&d.v[0]);
    assert_string_equal(f, "t.cfg:1:5: warning: parameter `l' is a list "
                           "but should be a single value");
    free(f);
    f = vxl_diag_format(&d.v[2]);
    assert_string_equal(f, "t.cfg:2:5: warning: parameter `s' is not a "
                           "valid number");
    free(f);
    cfg_destroy(c);
    vxl_diags_free(&d);
}

static void overrides(void **state)
{
    vxl_diags d = {0};
    char *argv[] = { "memory=512", "name=\"o\"", "vcpus=", NULL };
    char *extra = cfg_join_overrides(3, argv);
    assert_string_equal(extra, "memory=512\nname=\"o\"\nvcpus=\n");
    cfg_config *c = cfg_init("g.cfg");
    int rc = cfg_readdata_extra(c, "memory = 1\nname = 'g'", 21, extra,
                                strlen(extra), NULL, &d);
    assert_int_equal(rc, EINVAL);
    assert_int_equal(d.nerrors, 1);
    assert_string_equal(d.v[0].file, "command line");
    assert_int_equal(d.v[0].line, 3);
    assert_int_equal(d.v[0].col, 7);
    cfg_destroy(c);
    vxl_diags_free(&d);

    extra[strlen(extra) - 7] = 0;           /* drop "vcpus=\n" */
    c = cfg_init("g.cfg");
    rc = cfg_readdata_extra(c, "memory = 1\nname = 'g'", 21, extra,
                            strlen(extra), "args", &d);
    assert_int_equal(rc, 0);
    long m;
    assert_int_equal(cfg_get_long(c, "memory", &m, 1, NULL), 0);
    assert_int_equal(m, 512);
    cfg_pos p;
    assert_int_equal(cfg_setting_pos(c, "name", &p), 0);
    assert_string_equal(p.file, "args");
    assert_int_equal(p.line, 2);
    assert_int_equal(cfg_setting_pos(c, "memory", &p), 0);
    assert_int_equal(p.line, 1);
    cfg_destroy(c);
    free(extra);

    /* one text: a list left open in the file continues in the args */
    c = cfg_init("g.cfg");
    rc = cfg_readdata_extra(c, "x = [1,", 7, "2]\n", 3, NULL, &d);
    assert_int_equal(rc, 0);
    const cfg_list *l;
    assert_int_equal(cfg_get_list(c, "x", &l, NULL, 1, NULL), 0);
    assert_string_equal(cfg_listitem(l, 1), "2");
    cfg_destroy(c);
    vxl_diags_free(&d);
}

static void nul_bytes_and_limits(void **state)
{
    vxl_diags d = {0};
    int rc;
    /* NUL in a string: libxlu aborts; we reject */
    cfg_config *c = parse_len("x = 'a\0b'\n", 10, &rc, &d);
    assert_int_equal(rc, EINVAL);
    cfg_destroy(c);
    vxl_diags_free(&d);
    c = parse_len("x = 1 \0\n", 8, &rc, &d);
    assert_int_equal(rc, EINVAL);
    cfg_destroy(c);
    vxl_diags_free(&d);

    /* libxlu's bison stack: [[[...]]] nests 4996 deep, not 4997 */
    for (int k = 4996; k <= 4997; k++) {
        size_t len = 2 + 2 * (size_t)k;
        char *t = malloc(len + 1);
        memcpy(t, "x=", 2);
        memset(t + 2, '[', (size_t)k);
        memset(t + 2 + k, ']', (size_t)k);
        c = parse_len(t, len, &rc, &d);
        assert_int_equal(rc, k == 4996 ? 0 : EINVAL);
        cfg_destroy(c);
        vxl_diags_free(&d);
        free(t);
    }

    /* many += and many settings stay fast (no quadratic behaviour) */
    size_t n = 200000, len = n * 9;
    char *t = malloc(len + 1);
    for (size_t i = 0; i < n; i++)
        memcpy(t + 9 * i, "x += [1]\n", 9);
    c = parse_len(t, len, &rc, &d);
    assert_int_equal(rc, 0);
    int count;
    assert_int_equal(cfg_get_list(c, "x", NULL, &count, 1, NULL), 0);
    assert_int_equal(count, (int)n);
    cfg_destroy(c);
    free(t);

    /* "# # # ..." on a last line without a newline: each '#' is a
     * lexical error; finding that out must not rescan the text */
    n = 200000;
    t = malloc(2 * n);
    for (size_t i = 0; i < n; i++)
        memcpy(t + 2 * i, "# ", 2);
    c = parse_len(t, 2 * n, &rc, &d);
    assert_int_equal(rc, EINVAL);
    cfg_destroy(c);
    vxl_diags_free(&d);
    free(t);
}

static void readfile(void **state)
{
    vxl_diags d = {0};
    cfg_config *c = cfg_init("missing.cfg");
    assert_int_equal(cfg_readfile(c, "/nonexistent/x.cfg", &d), ENOENT);
    assert_int_equal(d.nerrors, 1);
    cfg_destroy(c);
    vxl_diags_free(&d);
    cfg_destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(accept_reject),
        cmocka_unit_test(strings_and_escapes),
        cmocka_unit_test(numbers),
        cmocka_unit_test(lists_and_addition),
        cmocka_unit_test(replace_string),
        cmocka_unit_test(positions),
        cmocka_unit_test(error_messages),
        cmocka_unit_test(recovery_reports_several),
        cmocka_unit_test(lookup_warnings),
        cmocka_unit_test(overrides),
        cmocka_unit_test(nul_bytes_and_limits),
        cmocka_unit_test(readfile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

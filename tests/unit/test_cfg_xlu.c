/* Differential tests of the xl.cfg reader against the real libxlutil
 * (Xen 4.17, from libxen-dev): every grammar case in tests/cfg_cases.h,
 * plus, when present, every config of the xlcfg corpus
 * ($VXL_XLCFG_CORPUS, default /work/shared/corpus/xlcfg), must give the
 * same acceptance, return code, number of reported errors, settings and
 * lookup results with both.  Also checks that libxlu's behaviour still
 * is what tests/unit/test_cfg.c hard-codes for a few quirks. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <glob.h>
#include <cmocka.h>

#include "tests/xlu_diff.h"
#include "tests/cfg_cases.h"

static void diff_grammar_cases(void **state)
{
    int bad = 0, accepted = 0, skipped = 0;
    for (size_t i = 0; i < ARRAY_SIZE(cfg_cases); i++) {
        const struct cfg_case *c = &cfg_cases[i];
        if (xd_skip(c->text, c->len)) {
            skipped++;
            continue;
        }
        int acc;
        char *why = xlu_diff(c->text, c->len, c->extra, &acc);
        accepted += acc;
        if (why) {
            print_message("# case %zu: %s%s%s\n%s", i, c->text,
                          c->extra ? " ++ " : "", c->extra ? c->extra : "",
                          why);
            free(why);
            bad++;
        }
    }
    print_message("# grammar cases: %zu, libxlu accepted %d, skipped %d, "
                  "differences %d\n", ARRAY_SIZE(cfg_cases), accepted,
                  skipped, bad);
    assert_int_equal(bad, 0);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    strbuf sb = {0};
    char buf[8192];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        sb_append(&sb, buf, n);
    fclose(f);
    *len = sb.len;
    return sb_steal(&sb);
}

static void diff_corpus(void **state)
{
    const char *dir = getenv("VXL_XLCFG_CORPUS");
    char *pat = xasprintf("%s/*/*.cfg",
                          dir ? dir : "/work/shared/corpus/xlcfg");
    glob_t g;
    int r = glob(pat, 0, NULL, &g);
    free(pat);
    if (r) {
        print_message("# corpus not found; skipped\n");
        skip();
    }
    int bad = 0, accepted = 0, n = 0;
    for (size_t i = 0; i < g.gl_pathc; i++) {
        size_t len;
        char *text = slurp(g.gl_pathv[i], &len);
        if (!text || xd_skip(text, len)) {
            free(text);
            continue;
        }
        n++;
        int acc;
        char *why = xlu_diff(text, len, NULL, &acc);
        accepted += acc;
        if (why) {
            print_message("# %s:\n%s", g.gl_pathv[i], why);
            free(why);
            bad++;
        }
        /* and as if the file were followed by overrides */
        why = xlu_diff(text, len, "memory=256\nname=\"o\"\n", NULL);
        if (why) {
            print_message("# %s + overrides:\n%s", g.gl_pathv[i], why);
            free(why);
            bad++;
        }
        free(text);
    }
    globfree(&g);
    print_message("# corpus: %d files, libxlu accepted %d, rejected %d, "
                  "differences %d\n", n, accepted, n - accepted, bad);
    assert_int_equal(bad, 0);
}

/* Deep nesting: libxlu's bison stack allows [[[...]]] 4996 deep. */
static void diff_nesting_limit(void **state)
{
    for (int k = 4990; k <= 5000; k += (k == 4995 || k == 4997) ? 1 : 5) {
        strbuf sb = {0};
        sb_puts(&sb, "x=");
        for (int i = 0; i < k; i++)
            sb_putc(&sb, '[');
        for (int i = 0; i < k; i++)
            sb_putc(&sb, ']');
        sb_putc(&sb, '\n');
        char *why = xlu_diff(sb.s, sb.len, NULL, NULL);
        if (why)
            print_message("# depth %d:\n%s", k, why);
        assert_null(why);
        free(why);
        sb_free(&sb);
    }
    /* items after a comma take more stack per level */
    for (int k = 2495; k <= 2502; k++) {
        strbuf sb = {0};
        sb_puts(&sb, "x=");
        for (int i = 0; i < k; i++)
            sb_puts(&sb, "[1,\n");
        for (int i = 0; i < k; i++)
            sb_putc(&sb, ']');
        char *why = xlu_diff(sb.s, sb.len, NULL, NULL);
        if (why)
            print_message("# comma depth %d:\n%s", k, why);
        assert_null(why);
        free(why);
        sb_free(&sb);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(diff_grammar_cases),
        cmocka_unit_test(diff_nesting_limit),
        cmocka_unit_test(diff_corpus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

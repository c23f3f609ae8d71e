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

/* libxlu leaks values on some error-recovery paths; that is not ours to
 * fix, so LeakSanitizer (make check-asan) ignores leaks from inside it. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libxlutil.so\n";
}

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
    for (int k = 1995; k <= 2002; k++) {
        strbuf sb = {0};
        sb_puts(&sb, "x=");
        for (int i = 0; i < k; i++)
            sb_puts(&sb, k % 2 ? "[1,\n" : "[1,");
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

static unsigned soup_rand(unsigned *seed, unsigned n)
{
    *seed = *seed * 1103515245 + 12345;
    return (*seed >> 16) % n;
}

/* A random value: an atom, or a list of values with optional newlines,
 * comments and a trailing comma. */
static void soup_value(strbuf *sb, unsigned *seed, int depth)
{
    static const char *const atoms[] = {
        "1", "0x10", "'a'", "\"b c\"", "''", "\"\\t\"", "012", "7",
    };
    if (depth > 3 || soup_rand(seed, 3)) {
        sb_puts(sb, atoms[soup_rand(seed, ARRAY_SIZE(atoms))]);
        return;
    }
    sb_putc(sb, '[');
    int n = (int)soup_rand(seed, 4);
    for (int i = 0; i < n; i++) {
        if (soup_rand(seed, 4) == 0)
            sb_puts(sb, soup_rand(seed, 2) ? "\n" : " # c\n");
        soup_value(sb, seed, depth + 1);
        if (i + 1 < n || soup_rand(seed, 3) == 0)
            sb_putc(sb, ',');
    }
    sb_putc(sb, ']');
}

/* Well-formed statements (names reused, so += and overriding happen),
 * with a random stray token now and then. */
static void soup_structured(strbuf *sb, unsigned *seed,
                            const char *const *toks, size_t ntoks)
{
    static const char *const names[] = { "x", "y", "disk", "a.b" };
    static const char *const seps[] = { "\n", ";", " # c\n", "\n\n" };
    int n = 1 + (int)soup_rand(seed, 6);
    for (int i = 0; i < n; i++) {
        if (soup_rand(seed, 12) == 0)
            sb_puts(sb, toks[soup_rand(seed, (unsigned)ntoks)]);
        sb_puts(sb, names[soup_rand(seed, ARRAY_SIZE(names))]);
        sb_puts(sb, soup_rand(seed, 3) ? " = " : " += ");
        soup_value(sb, seed, 0);
        if (i + 1 < n || soup_rand(seed, 2))
            sb_puts(sb, seps[soup_rand(seed, ARRAY_SIZE(seps))]);
    }
}

/* Random token soups from xl.cfg's alphabet, and random well-formed
 * configs with the odd stray token (fixed seed, so the test is
 * repeatable): grammar-aware where byte fuzzing is blind. */
static void diff_token_soup(void **state)
{
    static const char *const toks[] = {
        "x", "y", "memory", "a.b_c", "=", "+=", "=", "+=", "[", "]", "[",
        "]", ",", ",", ";", "\n", "\n", "\n", " ", "\t", "# c\n", "#",
        "1", "0x1f", "08", "12abc", "'s'", "\"t\"", "''", "\"\\n\"",
        "\"\\012\"", "\"\\x41\"", "\"\\q\"", "'\\''", "\"a",
        "$", "(", ")", "-", "+", ":", ".", "X", "_", "\r", "\r\n", "\xff",
        "/", "\\", "'", "\"",
    };
    unsigned seed = 12345;
    int bad = 0, accepted = 0, n = 4000;
    for (int i = 0; i < n && bad < 5; i++) {
        strbuf sb = {0}, ex = {0};
        if (i % 2) {
            soup_structured(&sb, &seed, toks, ARRAY_SIZE(toks));
        } else {
            int ntok = 1 + (int)soup_rand(&seed, 40);
            for (int k = 0; k < ntok; k++)
                sb_puts(&sb, toks[soup_rand(&seed, ARRAY_SIZE(toks))]);
        }
        /* a quarter get override text too */
        if (((seed >> 8) & 3) == 0) {
            for (int k = 0; k < 6; k++) {
                seed = seed * 1103515245 + 12345;
                sb_puts(&ex, toks[(seed >> 16) % ARRAY_SIZE(toks)]);
            }
        }
        int acc;
        char *why = xlu_diff(sb.s, sb.len, ex.s, &acc);
        accepted += acc;
        if (why) {
            print_message("# soup %d: [%s] ++ [%s]\n%s", i, sb.s,
                          ex.s ? ex.s : "", why);
            free(why);
            bad++;
        }
        sb_free(&sb);
        sb_free(&ex);
    }
    print_message("# token soups: %d, libxlu accepted %d, differences %d\n",
                  n, accepted, bad);
    assert_int_equal(bad, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(diff_grammar_cases),
        cmocka_unit_test(diff_nesting_limit),
        cmocka_unit_test(diff_token_soup),
        cmocka_unit_test(diff_corpus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

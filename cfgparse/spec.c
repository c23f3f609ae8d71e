/* cfgparse/spec.c — diagnostics and suggestions shared by spec parsers. */
#include "cfgparse/spec.h"
#include "common/util.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

const cfg_pos vxl_loc_cmdline = { "command line", 0, 0 };

static void spec_diag(vxl_diags *d, enum vxl_severity sev,
                      const cfg_pos *loc, const char *hint,
                      const char *fmt, va_list ap)
{
    char *msg = xvasprintf(fmt, ap);
    vxl_diag_add(d, sev, loc ? loc->file : NULL, loc ? loc->line : 0,
                 loc ? loc->col : 0, hint, "%s", msg);
    free(msg);
}

void spec_error(vxl_diags *d, const cfg_pos *loc, const char *hint,
                const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    spec_diag(d, VXL_ERROR, loc, hint, fmt, ap);
    va_end(ap);
}

void spec_warning(vxl_diags *d, const cfg_pos *loc, const char *hint,
                  const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    spec_diag(d, VXL_WARNING, loc, hint, fmt, ap);
    va_end(ap);
}

/* Levenshtein distance, case-insensitive; strings here are short. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t *row = xcalloc(lb + 1, sizeof(*row));
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t cost = tolower((unsigned char)a[i - 1]) !=
                          tolower((unsigned char)b[j - 1]);
            size_t best = diag + cost;
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    size_t r = row[lb];
    free(row);
    return r;
}

const char *spec_closest(const char *s, const char *const *words, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strcasecmp(s, words[i]))
            return words[i];
    size_t limit = strlen(s) / 3;
    if (limit < 1)
        limit = 1;
    const char *best = NULL;
    size_t bestd = limit + 1;
    for (size_t i = 0; i < n; i++) {
        size_t dist = edit_distance(s, words[i]);
        if (dist < bestd) {
            bestd = dist;
            best = words[i];
        }
    }
    return best;
}

char *spec_hint(const char *s, const char *const *words, size_t n,
                const char *what)
{
    const char *c = spec_closest(s, words, n);
    if (c)
        return xasprintf("did you mean `%s'?", c);
    strbuf sb = {0};
    sb_printf(&sb, "%s: ", what);
    for (size_t i = 0; i < n; i++)
        sb_printf(&sb, "%s%s", i ? ", " : "", words[i]);
    return sb_steal(&sb);
}

/* common/diag.c — diagnostic lists. */
#include "common/diag.h"
#include "common/util.h"

#include <stdarg.h>
#include <stdlib.h>

void vxl_diag_add(vxl_diags *d, enum vxl_severity sev, const char *file,
                  int line, int col, const char *hint, const char *fmt, ...)
{
    if (d->n == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 8;
        d->v = xreallocarray(d->v, d->cap, sizeof(*d->v));
    }
    vxl_diag *dg = &d->v[d->n++];
    va_list ap;
    va_start(ap, fmt);
    dg->msg = xvasprintf(fmt, ap);
    va_end(ap);
    dg->sev = sev;
    dg->file = file ? xstrdup(file) : NULL;
    dg->line = line;
    dg->col = col;
    dg->hint = hint ? xstrdup(hint) : NULL;
    if (sev == VXL_ERROR)
        d->nerrors++;
}

void vxl_diags_free(vxl_diags *d)
{
    for (size_t i = 0; i < d->n; i++) {
        free(d->v[i].file);
        free(d->v[i].msg);
        free(d->v[i].hint);
    }
    free(d->v);
    d->v = NULL;
    d->n = d->cap = d->nerrors = 0;
}

static const char *sev_name(enum vxl_severity s)
{
    switch (s) {
    case VXL_ERROR: return "error";
    case VXL_WARNING: return "warning";
    default: return "note";
    }
}

char *vxl_diag_format(const vxl_diag *dg)
{
    strbuf sb = {0};
    if (dg->file) {
        sb_puts(&sb, dg->file);
        if (dg->line > 0) {
            sb_printf(&sb, ":%d", dg->line);
            if (dg->col > 0)
                sb_printf(&sb, ":%d", dg->col);
        }
        sb_puts(&sb, ": ");
    }
    sb_printf(&sb, "%s: %s", sev_name(dg->sev), dg->msg);
    if (dg->hint)
        sb_printf(&sb, "\n  hint: %s", dg->hint);
    return sb_steal(&sb);
}

void vxl_diags_print(const vxl_diags *d, FILE *out)
{
    for (size_t i = 0; i < d->n; i++) {
        char *s = vxl_diag_format(&d->v[i]);
        fprintf(out, "%s\n", s);
        free(s);
    }
}

/* tests/xlu_diff.h — differential check of cfgparse/cfg.c against the
 * real libxlutil (Debian's libxen-dev, Xen 4.17): parse the same text
 * with both and compare acceptance, return code, the number of errors
 * reported, and every setting (value tree, op, lines) plus the results of
 * the lookup functions.  Included by tests/unit/test_cfg_xlu.c and
 * tests/fuzz/fuzz_cfg_xlu.c; link with -lxlutil -lxenlight.
 *
 * libxlutil has no API to enumerate settings, so the struct layouts of
 * its 4.17 internals (libxlu_internal.h) are restated here, for reading
 * only. */
#ifndef VXL_TESTS_XLU_DIFF_H
#define VXL_TESTS_XLU_DIFF_H

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libxlutil.h>

#include "cfgparse/cfg.h"
#include "common/diag.h"
#include "common/util.h"

struct XLU_ConfigList { int avalues, nvalues; XLU_ConfigValue **values; };
struct xd_loc { int first_line, first_column, last_line, last_column; };
struct XLU_ConfigValue {
    enum XLU_ConfigValueType type;
    union { char *string; struct XLU_ConfigList list; } u;
    struct xd_loc loc;
};
struct xd_setting {
    struct xd_setting *next;
    char *name;
    XLU_ConfigValue *value;
    enum XLU_Operation op;
    int lineno;
};
struct XLU_Config { struct xd_setting *settings; FILE *report; char *src; };

/* Inputs libxlu cannot take: it asserts on a NUL inside a quoted string,
 * and takes an int length. */
static int xd_skip(const char *data, size_t len)
{
    return len > INT_MAX / 2 || memchr(data, 0, len) != NULL;
}

static void xd_fail(strbuf *why, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void xd_fail(strbuf *why, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = xvasprintf(fmt, ap);
    va_end(ap);
    if (why->len < 4000) {
        sb_puts(why, s);
        sb_putc(why, '\n');
    }
    free(s);
}

/* Compare value trees; path names the place for messages. */
static void xd_value(strbuf *why, const char *path, XLU_ConfigValue *xv,
                     const cfg_value *mv)
{
    cfg_pos pos;
    cfg_value_pos(mv, &pos);
    if ((int)xlu_cfg_value_type(xv) != (int)cfg_value_type(mv)) {
        xd_fail(why, "%s: type %d vs %d", path, xlu_cfg_value_type(xv),
                cfg_value_type(mv));
        return;
    }
    if (xv->type == XLU_STRING) {
        const char *ms = NULL;
        cfg_value_get_string(NULL, mv, &ms, 1, NULL);
        if (strcmp(xv->u.string, ms))
            xd_fail(why, "%s: string `%s' vs `%s'", path, xv->u.string, ms);
        if (xv->loc.first_line != pos.line)
            xd_fail(why, "%s: line %d vs %d", path, xv->loc.first_line,
                    pos.line);
        return;
    }
    const cfg_list *ml = NULL;
    cfg_value_get_list(NULL, mv, &ml, 1, NULL);
    if (xv->u.list.nvalues != cfg_list_count(ml)) {
        xd_fail(why, "%s: %d items vs %d", path, xv->u.list.nvalues,
                cfg_list_count(ml));
        return;
    }
    for (int i = 0; i < xv->u.list.nvalues; i++) {
        char *sub = xasprintf("%s[%d]", path, i);
        const char *xi = xlu_cfg_get_listitem(&xv->u.list, i);
        const char *mi = cfg_listitem(ml, i);
        if (!xi != !mi || (xi && strcmp(xi, mi)))
            xd_fail(why, "%s: listitem differs", sub);
        xd_value(why, sub, xlu_cfg_get_listitem2(&xv->u.list, i),
                 cfg_list_get(ml, i));
        free(sub);
    }
}

/* Compare what the lookup functions say about one name. */
static void xd_lookups(strbuf *why, XLU_Config *x, cfg_config *m,
                       const char *n)
{
    long xl = 0, ml = 0;
    int xr = xlu_cfg_get_long(x, n, &xl, 1), mr = cfg_get_long(m, n, &ml, 1,
                                                                NULL);
    if (xr != mr || (!xr && xl != ml))
        xd_fail(why, "%s: get_long rc %d/%ld vs %d/%ld", n, xr, xl, mr, ml);
    xr = xlu_cfg_get_bounded_long(x, n, -5, 4096, &xl, 1);
    mr = cfg_get_bounded_long(m, n, -5, 4096, &ml, 1, NULL);
    if (xr != mr)
        xd_fail(why, "%s: get_bounded_long rc %d vs %d", n, xr, mr);
    const char *xs = NULL, *ms = NULL;
    xr = xlu_cfg_get_string(x, n, &xs, 1);
    mr = cfg_get_string(m, n, &ms, 1, NULL);
    if (xr != mr || (!xr && strcmp(xs, ms)))
        xd_fail(why, "%s: get_string rc %d vs %d", n, xr, mr);
    int xe = -1, me = -1;
    xr = xlu_cfg_get_list(x, n, NULL, &xe, 1);
    mr = cfg_get_list(m, n, NULL, &me, 1, NULL);
    if (xr != mr || (!xr && xe != me))
        xd_fail(why, "%s: get_list rc %d/%d vs %d/%d", n, xr, xe, mr, me);
    libxl_string_list sl = NULL;
    char **msl = NULL;
    xr = xlu_cfg_get_list_as_string_list(x, n, &sl, 1);
    mr = cfg_get_list_as_string_list(m, n, &msl, &me, 1, NULL);
    if (xr != mr)
        xd_fail(why, "%s: get_list_as_string_list rc %d vs %d", n, xr, mr);
    if (!xr && !mr) {
        for (int i = 0; i < me; i++) {
            if (!sl[i] != !msl[i] || (sl[i] && strcmp(sl[i], msl[i])))
                xd_fail(why, "%s: string list item %d differs", n, i);
            free(sl[i]);
        }
        free(sl);
    }
    cfg_string_list_free(msl, mr ? 0 : me);
}

/* Count libxlu's reported errors: lines "in:N: config parsing error". */
static int xd_count_errors(const char *report)
{
    int n = 0;
    for (const char *p = report; p && *p; ) {
        const char *nl = strchr(p, '\n');
        size_t l = nl ? (size_t)(nl - p) : strlen(p);
        if (!strncmp(p, "in:", 3) &&
            memmem(p, l, ": config parsing error", 22))
            n++;
        p = nl ? nl + 1 : p + l;
    }
    return n;
}

/* Parse data (plus, when extra is not NULL, xl create's appended override
 * text) with both parsers.  Returns NULL when they agree, otherwise a
 * malloc'd description of the differences.  *accepted_r (may be NULL)
 * tells whether libxlu accepted the text. */
static char *xlu_diff(const char *data, size_t len, const char *extra,
                      int *accepted_r)
{
    strbuf why = {0};
    char *text = NULL, *report = NULL;
    size_t tlen = len, rlen = 0;
    const char *xtext = data;
    if (extra && *extra) {
        /* what xl's create_domain does */
        text = xasprintf("%.*s\n%s\n", (int)len, data, extra);
        tlen = len + strlen(extra) + 2;
        xtext = text;
    }
    FILE *rep = open_memstream(&report, &rlen);
    XLU_Config *x = xlu_cfg_init(rep, "in");
    int xr = xlu_cfg_readdata(x, xtext, (int)tlen);
    fflush(rep);

    vxl_diags d = {0};
    cfg_config *m = cfg_init("in");
    int mr = extra && *extra
                 ? cfg_readdata_extra(m, data, len, extra, strlen(extra),
                                      NULL, &d)
                 : cfg_readdata(m, data, len, &d);
    if (accepted_r)
        *accepted_r = xr == 0;
    if (xr != mr)
        xd_fail(&why, "read rc: libxlu %d, vxl %d", xr, mr);
    if (!mr != !d.nerrors)
        xd_fail(&why, "vxl rc %d but %zu error diagnostics", mr, d.nerrors);
    int xn = xd_count_errors(report);
    if (xn < 30 && (size_t)xn != d.nerrors)
        xd_fail(&why, "errors reported: libxlu %d, vxl %zu", xn, d.nerrors);
    if (!xr && !mr) {
        int nx = 0, nm = 0;
        for (struct xd_setting *s = x->settings; s; s = s->next) {
            nx++;
            /* only the latest setting of a name is visible */
            struct xd_setting *t = x->settings;
            while (strcmp(t->name, s->name))
                t = t->next;
            if (t != s)
                continue;
            const cfg_list *ml;
            enum cfg_op op;
            if (cfg_setting_op(m, s->name, &op)) {
                xd_fail(&why, "%s: missing in vxl", s->name);
                continue;
            }
            if ((int)op != (int)s->op)
                xd_fail(&why, "%s: op %d vs %d", s->name, s->op, op);
            cfg_pos vp;
            cfg_setting_value_pos(m, s->name, &vp);
            if (s->lineno != vp.line && !(extra && *extra))
                xd_fail(&why, "%s: lineno %d vs %d", s->name, s->lineno,
                        vp.line);
            if (s->value->type == XLU_LIST &&
                !cfg_get_list(m, s->name, &ml, NULL, 1, NULL)) {
                /* compare item by item through the list API */
                XLU_ConfigList *xl;
                xlu_cfg_get_list(x, s->name, &xl, NULL, 1);
                if (xl->nvalues != cfg_list_count(ml))
                    xd_fail(&why, "%s: %d vs %d items", s->name,
                            xl->nvalues, cfg_list_count(ml));
                else
                    for (int i = 0; i < xl->nvalues; i++) {
                        char *sub = xasprintf("%s[%d]", s->name, i);
                        if (!(extra && *extra))
                            xd_value(&why, sub, xl->values[i],
                                     cfg_list_get(ml, i));
                        free(sub);
                    }
            } else if (s->value->type == XLU_STRING) {
                const char *ms = NULL;
                if (cfg_get_string(m, s->name, &ms, 1, NULL) ||
                    strcmp(ms, s->value->u.string))
                    xd_fail(&why, "%s: value differs", s->name);
            } else {
                xd_fail(&why, "%s: list vs single value", s->name);
            }
            xd_lookups(&why, x, m, s->name);
        }
        nm = cfg_nsettings(m);
        if (nx != nm)
            xd_fail(&why, "settings: libxlu %d, vxl %d", nx, nm);
    }
    if (why.len) {
        sb_puts(&why, "-- libxlu said:\n");
        sb_puts(&why, report ? report : "");
        sb_puts(&why, "-- vxl said:\n");
        for (size_t i = 0; i < d.n; i++) {
            char *s = vxl_diag_format(&d.v[i]);
            sb_puts(&why, s);
            sb_putc(&why, '\n');
            free(s);
        }
    }
    xlu_cfg_destroy(x);
    fclose(rep);
    free(report);
    cfg_destroy(m);
    vxl_diags_free(&d);
    free(text);
    return why.len ? sb_steal(&why) : NULL;
}

#endif

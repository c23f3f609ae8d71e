/* xl/img_json.c — JSON output in qemu-img's byte format (see img_json.h). */
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "xl/img_json.h"

enum ij_type { IJ_OBJ, IJ_ARR, IJ_STR, IJ_INT, IJ_BOOL };

struct ij_member {
    char *key;
    struct ij *v;
    size_t seq;             /* insertion order */
};

struct ij {
    enum ij_type t;
    char *s;
    int64_t i;
    bool b;
    struct ij_member *m;    /* IJ_OBJ */
    struct ij **a;          /* IJ_ARR */
    size_t n, cap;
};

static struct ij *ij_new(enum ij_type t)
{
    struct ij *v = xcalloc(1, sizeof(*v));
    v->t = t;
    return v;
}

struct ij *ij_obj(void) { return ij_new(IJ_OBJ); }
struct ij *ij_arr(void) { return ij_new(IJ_ARR); }

struct ij *ij_str(const char *s)
{
    struct ij *v = ij_new(IJ_STR);
    v->s = xstrdup(s);
    return v;
}

struct ij *ij_int(int64_t x)
{
    struct ij *v = ij_new(IJ_INT);
    v->i = x;
    return v;
}

struct ij *ij_bool(bool b)
{
    struct ij *v = ij_new(IJ_BOOL);
    v->b = b;
    return v;
}

static void grow(struct ij *o, size_t elem)
{
    if (o->n < o->cap)
        return;
    o->cap = o->cap ? 2 * o->cap : 8;
    if (o->t == IJ_OBJ)
        o->m = xreallocarray(o->m, o->cap, elem);
    else
        o->a = xreallocarray(o->a, o->cap, elem);
}

struct ij *ij_set(struct ij *o, const char *key, struct ij *v)
{
    for (size_t k = 0; k < o->n; k++) {         /* QDict replaces */
        if (!strcmp(o->m[k].key, key)) {
            ij_free(o->m[k].v);
            o->m[k].v = v;
            return v;
        }
    }
    grow(o, sizeof(*o->m));
    o->m[o->n] = (struct ij_member){ xstrdup(key), v, o->n };
    o->n++;
    return v;
}

void ij_set_str(struct ij *o, const char *k, const char *s) { ij_set(o, k, ij_str(s)); }
void ij_set_int(struct ij *o, const char *k, int64_t x) { ij_set(o, k, ij_int(x)); }
void ij_set_bool(struct ij *o, const char *k, bool b) { ij_set(o, k, ij_bool(b)); }

struct ij *ij_push(struct ij *arr, struct ij *v)
{
    grow(arr, sizeof(*arr->a));
    arr->a[arr->n++] = v;
    return v;
}

void ij_free(struct ij *v)
{
    if (!v)
        return;
    for (size_t k = 0; k < v->n; k++) {
        if (v->t == IJ_OBJ) {
            free(v->m[k].key);
            ij_free(v->m[k].v);
        } else {
            ij_free(v->a[k]);
        }
    }
    free(v->m);
    free(v->a);
    free(v->s);
    free(v);
}

/* qemu/qobject/qdict.c: tdb_hash() modulo QDICT_BUCKET_MAX (512) */
unsigned ij_qdict_bucket(const char *key)
{
    const unsigned char *p = (const unsigned char *)key;
    uint32_t value = 0x238F13AFu * (uint32_t)strlen(key);

    for (unsigned i = 0; p[i]; i++)
        value += (uint32_t)p[i] << (i * 5 % 24);
    return (1103515243u * value + 12345u) % 512;
}

static int member_cmp(const void *a, const void *b)
{
    const struct ij_member *x = a, *y = b;
    unsigned bx = ij_qdict_bucket(x->key), by = ij_qdict_bucket(y->key);

    if (bx != by)
        return bx < by ? -1 : 1;
    /* same bucket: QLIST_INSERT_HEAD, so the newest comes first */
    return x->seq > y->seq ? -1 : x->seq < y->seq;
}

/* Decode one UTF-8 sequence; returns its length, *cp = -1 if invalid. */
static int utf8_decode(const unsigned char *s, long *cp)
{
    int n;
    long c;

    if (s[0] < 0x80) { *cp = s[0]; return 1; }
    if ((s[0] & 0xe0) == 0xc0)      { n = 2; c = s[0] & 0x1f; }
    else if ((s[0] & 0xf0) == 0xe0) { n = 3; c = s[0] & 0x0f; }
    else if ((s[0] & 0xf8) == 0xf0) { n = 4; c = s[0] & 0x07; }
    else { *cp = -1; return 1; }
    for (int k = 1; k < n; k++) {
        if ((s[k] & 0xc0) != 0x80) { *cp = -1; return k; }
        c = (c << 6) | (s[k] & 0x3f);
    }
    *cp = c;
    return n;
}

static void print_str(FILE *f, const char *str)
{
    const unsigned char *s = (const unsigned char *)str;

    fputc('"', f);
    while (*s) {
        long cp;
        s += utf8_decode(s, &cp);
        switch (cp) {
        case '"':  fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\b': fputs("\\b", f); break;
        case '\f': fputs("\\f", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        default:
            if (cp < 0)
                cp = 0xFFFD;
            if (cp >= 0x20 && cp <= 0x7e) {
                fputc((int)cp, f);
            } else if (cp > 0xFFFF) {
                cp -= 0x10000;
                fprintf(f, "\\u%04lX\\u%04lX", 0xD800 | (cp >> 10),
                        0xDC00 | (cp & 0x3ff));
            } else {
                fprintf(f, "\\u%04lX", cp);
            }
        }
    }
    fputc('"', f);
}

static void indent(FILE *f, int level)
{
    fprintf(f, "\n%*s", level * 4, "");
}

static void print_v(FILE *f, const struct ij *v, int level)
{
    switch (v->t) {
    case IJ_STR:  print_str(f, v->s); break;
    case IJ_INT:  fprintf(f, "%lld", (long long)v->i); break;
    case IJ_BOOL: fputs(v->b ? "true" : "false", f); break;
    case IJ_ARR:
        fputc('[', f);
        for (size_t k = 0; k < v->n; k++) {
            if (k)
                fputc(',', f);
            indent(f, level + 1);
            print_v(f, v->a[k], level + 1);
        }
        if (v->n)
            indent(f, level);
        fputc(']', f);
        break;
    case IJ_OBJ: {
        struct ij_member *m = xmalloc((v->n ? v->n : 1) * sizeof(*m));
        memcpy(m, v->m, v->n * sizeof(*m));
        qsort(m, v->n, sizeof(*m), member_cmp);
        fputc('{', f);
        for (size_t k = 0; k < v->n; k++) {
            if (k)
                fputc(',', f);
            indent(f, level + 1);
            print_str(f, m[k].key);
            fputs(": ", f);
            print_v(f, m[k].v, level + 1);
        }
        if (v->n)
            indent(f, level);
        fputc('}', f);
        free(m);
        break;
    }
    }
}

void ij_print(FILE *f, const struct ij *v)
{
    print_v(f, v, 0);
}

/* qemu's dump_qobject()/dump_qdict()/dump_qlist() (block/qapi.c): the
 * human rendering of "Format specific information". */
void ij_print_human(FILE *f, int level, const struct ij *v)
{
    switch (v->t) {
    case IJ_STR:  fprintf(f, "%s\n", v->s); return;
    case IJ_INT:  fprintf(f, "%lld\n", (long long)v->i); return;
    case IJ_BOOL: fprintf(f, "%s\n", v->b ? "true" : "false"); return;
    case IJ_ARR:
        for (size_t k = 0; k < v->n; k++) {
            bool comp = v->a[k]->t == IJ_OBJ || v->a[k]->t == IJ_ARR;
            fprintf(f, "%*s[%zu]:%c", level * 4, "", k, comp ? '\n' : ' ');
            ij_print_human(f, level + 1, v->a[k]);
        }
        return;
    case IJ_OBJ: {
        struct ij_member *m = xmalloc((v->n ? v->n : 1) * sizeof(*m));
        memcpy(m, v->m, v->n * sizeof(*m));
        qsort(m, v->n, sizeof(*m), member_cmp);
        for (size_t k = 0; k < v->n; k++) {
            bool comp = m[k].v->t == IJ_OBJ || m[k].v->t == IJ_ARR;
            fprintf(f, "%*s", level * 4, "");
            for (const char *p = m[k].key; *p; p++)
                fputc(*p == '-' ? ' ' : *p, f);
            fputc(':', f);
            fputc(comp ? '\n' : ' ', f);
            ij_print_human(f, level + 1, m[k].v);
        }
        free(m);
        return;
    }
    }
}

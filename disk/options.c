/* disk/options.c — `img create -o` options with QEMU's names, defaults and
 * "Formatting ..." description, and qemu-img's size syntax. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "disk/internal.h"

void vdisk_create_opts_init(struct vdisk_create_opts *o, const char *format)
{
    memset(o, 0, sizeof(*o));
    o->format = format;
    o->compat = 3;
    o->cluster_size = 65536;
    o->refcount_bits = 16;
}

static void undefer(struct vdisk_create_opts *o, const char *key);

void vdisk_create_opts_dispose(struct vdisk_create_opts *o)
{
    free(o->backing_file);
    free(o->backing_format);
    free(o->data_file);
    free(o->subformat);
    free(o->adapter_type);
    o->backing_file = o->backing_format = o->data_file = NULL;
    o->subformat = o->adapter_type = NULL;
    while (o->nraw)
        undefer(o, o->raw[0].key);
}

/* Record a value QEMU's option syntax accepts but the format rejects:
 * described as given, reported by create (msg, taking ownership) and by
 * measure (mmsg; NULL = measure ignores it).  Ranks order the errors the
 * way QEMU meets them (lowest first).  A later setting of the same key
 * replaces the record (the caller undefers first). */
static void defer(struct vdisk_create_opts *o, const char *key,
                  const char *val, int rank, char *msg, int mrank, char *mmsg)
{
    if (o->nraw == (int)ARRAY_SIZE(o->raw)) {
        free(msg);      /* more bad values than slots: the first eight */
        free(mmsg);     /* are enough to fail */
        return;
    }
    struct vdisk_deferred *r = &o->raw[o->nraw++];
    r->key = xstrdup(key);
    r->val = xstrdup(val);
    r->rank = rank;
    r->msg = msg;
    r->mrank = mrank;
    r->mmsg = mmsg;
}

static void undefer(struct vdisk_create_opts *o, const char *key)
{
    for (int i = 0; i < o->nraw; i++)
        if (!strcmp(o->raw[i].key, key)) {
            free(o->raw[i].key);
            free(o->raw[i].val);
            free(o->raw[i].msg);
            free(o->raw[i].mmsg);
            o->raw[i] = o->raw[--o->nraw];
            return;
        }
}

/* The value to describe for key: as given when it was deferred. */
static const char *raw_value(const struct vdisk_create_opts *o,
                             const char *key)
{
    for (int i = 0; i < o->nraw; i++)
        if (!strcmp(o->raw[i].key, key))
            return o->raw[i].val;
    return NULL;
}

int vdisk_create_opts_check(const struct vdisk_create_opts *o, bool measure,
                            struct vdisk_err *err)
{
    const struct vdisk_deferred *best = NULL;
    for (int i = 0; i < o->nraw; i++) {
        const struct vdisk_deferred *r = &o->raw[i];
        if (measure ? !r->mmsg : !r->msg)
            continue;
        if (!best || (measure ? r->mrank < best->mrank : r->rank < best->rank))
            best = r;
    }
    if (!best)
        return 0;
    return vdisk_err_set(err, EINVAL, "%s", measure ? best->mmsg : best->msg);
}

int vdisk_parse_size(const char *s, uint64_t *out, struct vdisk_err *err)
{
    char *end;
    errno = 0;
    if (!s || !*s || *s == '-')
        return vdisk_err_set(err, EINVAL, "invalid size '%s'", s ? s : "");
    /* integers exactly; decimals through double (as QEMU) */
    unsigned long long v = strtoull(s, &end, 10);
    double frac = 0;
    bool has_frac = false;
    if (*end == '.') {
        char *e2;
        double dv = strtod(s, &e2);
        frac = dv;
        has_frac = true;
        end = e2;
    }
    if (errno || end == s)
        return vdisk_err_set(err, EINVAL, "invalid size '%s'", s);
    uint64_t mult = 1;
    if (*end) {
        switch (*end) {
        case 'b': case 'B': mult = 1; break;
        case 'k': case 'K': mult = 1ull << 10; break;
        case 'm': case 'M': mult = 1ull << 20; break;
        case 'g': case 'G': mult = 1ull << 30; break;
        case 't': case 'T': mult = 1ull << 40; break;
        case 'p': case 'P': mult = 1ull << 50; break;
        case 'e': case 'E': mult = 1ull << 60; break;
        default:
            return vdisk_err_set(err, EINVAL, "invalid size '%s' (valid "
                                 "suffixes: k, M, G, T, P, E)", s);
        }
        if (end[1])
            return vdisk_err_set(err, EINVAL, "invalid size '%s'", s);
    }
    if (has_frac) {
        if (mult == 1)
            return vdisk_err_set(err, EINVAL, "invalid size '%s'", s);
        double r = frac * (double)mult;
        if (r >= 18446744073709549568.0)
            return vdisk_err_set(err, ERANGE, "size '%s' is too large", s);
        *out = (uint64_t)r;
        return 0;
    }
    if (v > UINT64_MAX / mult)
        return vdisk_err_set(err, ERANGE, "size '%s' is too large", s);
    *out = v * mult;
    return 0;
}

static int parse_bool(const char *key, const char *v, bool *out,
                      struct vdisk_err *err)
{
    if (!strcmp(v, "on") || !strcmp(v, "yes") || !strcmp(v, "true"))
        *out = true;
    else if (!strcmp(v, "off") || !strcmp(v, "no") || !strcmp(v, "false"))
        *out = false;
    else
        return vdisk_err_set(err, EINVAL, "Parameter '%s' expects 'on' or "
                             "'off'", key);
    return 0;
}

static const char *const qcow2_opts[] = {
    "backing_file", "backing_fmt", "cluster_size", "compat",
    "compression_type", "data_file", "data_file_raw", "extended_l2",
    "lazy_refcounts", "preallocation", "refcount_bits", "size", NULL,
};
static const char *const qcow_opts[] = {
    "backing_file", "backing_fmt", "size", NULL,
};
static const char *const raw_opts[] = { "preallocation", "size", NULL };

const char *const *vdisk_create_opts_names(const char *format)
{
    const struct vdisk_driver *drv = vdisk_driver_find(format);
    if (drv && drv->create_opts)
        return drv->create_opts;
    if (!strcmp(format, "qcow2"))
        return qcow2_opts;
    if (!strcmp(format, "qcow"))
        return qcow_opts;
    return raw_opts;
}

static bool accepts(const char *format, const char *key)
{
    for (const char *const *n = vdisk_create_opts_names(format); *n; n++)
        if (!strcmp(*n, key))
            return true;
    return false;
}

static int set_one(struct vdisk_create_opts *o, const char *key,
                   const char *v, struct vdisk_err *err)
{
    if (!accepts(o->format, key))
        return vdisk_err_set(err, EINVAL, "Invalid parameter '%s'", key);
    uint64_t n;
    int rc;
    if (!strcmp(key, "size")) {
        if ((rc = vdisk_parse_size(v, &o->size, err)) < 0)
            return rc;
        o->size_set = true;
    } else if (!strcmp(key, "backing_file")) {
        free(o->backing_file);
        o->backing_file = xstrdup(v);
        o->set |= VDISK_OPT_BACKING;
    } else if (!strcmp(key, "backing_fmt")) {
        free(o->backing_format);
        o->backing_format = xstrdup(v);
        o->set |= VDISK_OPT_BACKING_FMT;
    } else if (!strcmp(key, "data_file")) {
        free(o->data_file);
        o->data_file = xstrdup(v);
        o->set |= VDISK_OPT_DATA_FILE;
    } else if (!strcmp(key, "compat")) {
        undefer(o, key);
        if (!strcmp(v, "0.10") || !strcmp(v, "v2"))
            o->compat = 2;
        else if (!strcmp(v, "1.1") || !strcmp(v, "v3"))
            o->compat = 3;
        else
            defer(o, key, v,
                  1, xasprintf("Parameter 'version' does not accept value "
                               "'%s'", v),
                  2, xasprintf("Invalid compatibility level: '%s'", v));
        o->set |= VDISK_OPT_COMPAT;
    } else if (!strcmp(key, "cluster_size")) {
        if (vdisk_parse_size(v, &n, err) < 0)
            return vdisk_err_set(err, EINVAL, "Parameter 'cluster_size' "
                                 "expects a non-negative number below 2^64\n"
                                 "Optional suffix k, M, G, T, P or E means "
                                 "kilo-, mega-, giga-, tera-, peta-\nand "
                                 "exabytes, respectively.");
        undefer(o, key);
        if (n < 512 || n > (2u << 20) || (n & (n - 1))) {
            char num[24];
            snprintf(num, sizeof(num), "%" PRIu64, n);
            defer(o, key, num,
                  10, xstrdup("Cluster size must be a power of two between "
                              "512 and 2048k"),
                  1, xstrdup("Cluster size must be a power of two between "
                             "512 and 2048k"));
        } else {
            o->cluster_size = (uint32_t)n;
        }
        o->set |= VDISK_OPT_CLUSTER_SIZE;
    } else if (!strcmp(key, "refcount_bits")) {
        char *end;
        errno = 0;
        unsigned long long b = strtoull(v, &end, 0);
        if (*end || end == v || errno || *v == '-')
            return vdisk_err_set(err, EINVAL, "Parameter 'refcount_bits' "
                                 "expects a number");
        undefer(o, key);
        if (b < 1 || b > 64 || (b & (b - 1))) {
            char num[24];
            snprintf(num, sizeof(num), "%llu", b);
            defer(o, key, num,
                  11, xstrdup("Refcount width must be a power of two and "
                              "may not exceed 64 bits"),
                  3, xstrdup("Refcount width must be a power of two and "
                             "may not exceed 64 bits"));
        } else {
            o->refcount_bits = (int)b;
        }
        o->set |= VDISK_OPT_REFCOUNT_BITS;
    } else if (!strcmp(key, "lazy_refcounts")) {
        if ((rc = parse_bool(key, v, &o->lazy_refcounts, err)) < 0)
            return rc;
        o->set |= VDISK_OPT_LAZY;
    } else if (!strcmp(key, "extended_l2")) {
        if ((rc = parse_bool(key, v, &o->extended_l2, err)) < 0)
            return rc;
        o->set |= VDISK_OPT_EXTL2;
    } else if (!strcmp(key, "data_file_raw")) {
        if ((rc = parse_bool(key, v, &o->data_file_raw, err)) < 0)
            return rc;
        o->set |= VDISK_OPT_DATA_FILE_RAW;
    } else if (!strcmp(key, "compression_type")) {
        undefer(o, key);
        if (!strcmp(v, "zlib"))
            o->compression_type = VDISK_COMP_ZLIB;
        else if (!strcmp(v, "zstd"))
            o->compression_type = VDISK_COMP_ZSTD;
        else
            defer(o, key, v,
                  3, xasprintf("Parameter 'compression-type' does not accept "
                               "value '%s'", v),
                  0, NULL);
        o->set |= VDISK_OPT_COMPRESSION;
    } else if (!strcmp(key, "subformat")) {
        free(o->subformat);
        o->subformat = xstrdup(v);
    } else if (!strcmp(key, "adapter_type")) {
        free(o->adapter_type);
        o->adapter_type = xstrdup(v);
    } else if (!strcmp(key, "force_size")) {
        if ((rc = parse_bool(key, v, &o->force_size, err)) < 0)
            return rc;
        o->set |= VDISK_OPT_FORCE_SIZE;
    } else if (!strcmp(key, "static")) {
        if ((rc = parse_bool(key, v, &o->static_image, err)) < 0)
            return rc;
    } else if (!strcmp(key, "zeroed_grain")) {
        if ((rc = parse_bool(key, v, &o->zeroed_grain, err)) < 0)
            return rc;
        o->set |= VDISK_OPT_ZEROED_GRAIN;
    } else if (!strcmp(key, "compat6")) {
        bool c6;
        if ((rc = parse_bool(key, v, &c6, err)) < 0)
            return rc;
        if (c6)
            o->hwversion = 6;
        o->set |= c6 ? VDISK_OPT_COMPAT6 : 0;
    } else if (!strcmp(key, "hwversion")) {
        /* qemu reads it as a number and takes anything else (even
         * "foo") as undefined, describing it as given */
        char *end;
        errno = 0;
        unsigned long hv = strtoul(v, &end, 10);
        undefer(o, key);
        if (*end || end == v || errno || hv > 100) {
            hv = 0;
            if (strcmp(v, "undefined"))
                defer(o, key, v, 0, NULL, 0, NULL);
        }
        o->hwversion = (int)hv;
        o->set |= hv ? VDISK_OPT_HWVERSION : 0;
    } else if (!strcmp(key, "preallocation")) {
        static const char *const names[] = { "off", "metadata", "falloc",
                                             "full" };
        size_t i;
        for (i = 0; i < ARRAY_SIZE(names); i++)
            if (!strcmp(v, names[i]))
                break;
        undefer(o, key);
        bool raw = !strcmp(o->format, "raw");
        if (i == ARRAY_SIZE(names)) {
            if (raw)
                defer(o, key, v, 2, xasprintf("invalid parameter value: %s",
                                              v), 0, NULL);
            else
                defer(o, key, v,
                      2, xasprintf("Parameter 'preallocation' does not "
                                   "accept value '%s'", v),
                      4, xasprintf("invalid parameter value: %s", v));
        } else if (i == VDISK_PREALLOC_METADATA && raw) {
            defer(o, key, v, 2, xstrdup("Unsupported preallocation mode: "
                                        "metadata"), 0, NULL);
        } else {
            o->preallocation = (enum vdisk_prealloc)i;
        }
        o->set |= VDISK_OPT_PREALLOC;
    }
    return 0;
}

int vdisk_create_opts_parse(struct vdisk_create_opts *o, const char *optstr,
                            struct vdisk_err *err)
{
    /* key=value[,key=value]...; ",," is a literal comma in a value */
    strbuf key = {0}, val = {0};
    const char *p = optstr;
    int rc = 0;
    while (*p && rc == 0) {
        key.len = val.len = 0;
        if (key.s) key.s[0] = 0;
        if (val.s) val.s[0] = 0;
        while (*p && *p != '=' && *p != ',')
            sb_putc(&key, *p++);
        if (*p != '=') {
            rc = vdisk_err_set(err, EINVAL, "invalid option '%s' (expected "
                               "key=value)", key.s ? key.s : "");
            break;
        }
        p++;
        sb_puts(&val, "");
        for (;;) {
            if (*p == ',' && p[1] == ',') {
                sb_putc(&val, ',');
                p += 2;
            } else if (*p == ',' || !*p) {
                break;
            } else {
                sb_putc(&val, *p++);
            }
        }
        if (*p == ',')
            p++;
        rc = set_one(o, key.s ? key.s : "", val.s, err);
    }
    sb_free(&key);
    sb_free(&val);
    return rc;
}

char *vdisk_create_opts_describe(const struct vdisk_create_opts *o)
{
    static const char *const prealloc[] = { "off", "metadata", "falloc",
                                            "full" };
    strbuf sb = {0};
    const char *r;
    sb_printf(&sb, "fmt=%s", o->format);
    bool q2 = !strcmp(o->format, "qcow2");
    const char *pre = (r = raw_value(o, "preallocation")) ? r
                      : prealloc[o->preallocation];
    if (q2) {
        if ((r = raw_value(o, "cluster_size")))
            sb_printf(&sb, " cluster_size=%s", r);
        else
            sb_printf(&sb, " cluster_size=%" PRIu32, o->cluster_size);
        sb_printf(&sb, " extended_l2=%s", o->extended_l2 ? "on" : "off");
        if (o->set & VDISK_OPT_PREALLOC)
            sb_printf(&sb, " preallocation=%s", pre);
        if ((r = raw_value(o, "compression_type")))
            sb_printf(&sb, " compression_type=%s", r);
        else
            sb_printf(&sb, " compression_type=%s",
                      o->compression_type == VDISK_COMP_ZSTD ? "zstd"
                                                             : "zlib");
    }
    sb_printf(&sb, " size=%" PRIu64, o->size);
    if (!q2 && (o->set & VDISK_OPT_PREALLOC))
        sb_printf(&sb, " preallocation=%s", pre);
    bool vmdk = !strcmp(o->format, "vmdk");
    if (vmdk && o->adapter_type)
        sb_printf(&sb, " adapter_type=%s", o->adapter_type);
    if (o->backing_file)
        sb_printf(&sb, " backing_file=%s", o->backing_file);
    if (o->backing_format)
        sb_printf(&sb, " backing_fmt=%s", o->backing_format);
    if (vmdk) {
        sb_printf(&sb, " compat6=%s",
                  o->set & VDISK_OPT_COMPAT6 ? "on" : "off");
        if ((r = raw_value(o, "hwversion")))
            sb_printf(&sb, " hwversion=%s", r);
        else if (o->set & VDISK_OPT_HWVERSION)
            sb_printf(&sb, " hwversion=%d", o->hwversion);
        else
            sb_puts(&sb, " hwversion=undefined");
    }
    if ((vmdk || !strcmp(o->format, "vpc")) && o->subformat)
        sb_printf(&sb, " subformat=%s", o->subformat);
    if (vmdk && (o->set & VDISK_OPT_ZEROED_GRAIN))
        sb_printf(&sb, " zeroed_grain=%s", o->zeroed_grain ? "on" : "off");
    if (!strcmp(o->format, "vpc") && (o->set & VDISK_OPT_FORCE_SIZE))
        sb_printf(&sb, " force_size=%s", o->force_size ? "on" : "off");
    if (!strcmp(o->format, "vdi"))
        sb_printf(&sb, " static=%s", o->static_image ? "on" : "off");
    if (q2) {
        if (o->set & VDISK_OPT_COMPAT)
            sb_printf(&sb, " compat=%s", (r = raw_value(o, "compat")) ? r
                      : o->compat == 2 ? "0.10" : "1.1");
        if (o->data_file)
            sb_printf(&sb, " data_file=%s", o->data_file);
        if (o->set & VDISK_OPT_DATA_FILE_RAW)
            sb_printf(&sb, " data_file_raw=%s",
                      o->data_file_raw ? "on" : "off");
        sb_printf(&sb, " lazy_refcounts=%s",
                  o->lazy_refcounts ? "on" : "off");
        if ((r = raw_value(o, "refcount_bits")))
            sb_printf(&sb, " refcount_bits=%s", r);
        else
            sb_printf(&sb, " refcount_bits=%d", o->refcount_bits);
    }
    return sb_steal(&sb);
}

/* cfgparse/domain.c — the non-device part of xl's parse_config_data
 * (Xen 4.17 tools/xl/xl_parse.c), re-implemented on cfg.h and model.h.
 *
 * Each parse_* function below covers one stretch of xl's function, in
 * xl's order, so that the first error a config triggers is the one xl
 * reports.  They return 0 or the exit status xl would have used. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfgparse/cpuid.h"
#include "cfgparse/cpumap.h"
#include "cfgparse/devices.h"
#include "cfgparse/domain.h"
#include "common/util.h"

/* xl's exit statuses: exit(1), exit(-ERROR_FAIL) and exit(-1). */
#define EXIT_XL_FAIL    1
#define EXIT_ERROR_FAIL 3
#define EXIT_MINUS_ONE  255

/* HVM_BELOW_4G_MMIO_START / _LENGTH of xen/include/public/hvm/e820.h */
#define HVM_BELOW_4G_MMIO_START  0xF0000000ULL
#define HVM_BELOW_4G_MMIO_LENGTH 0x10000000ULL
#define VIRIDIAN_BITMAP_WIDTH 64
#define MCA_CAP_LMCE (1ULL << 0)

struct pc {
    const cfg_config *cfg;
    const struct vxl_host *host;
    const struct vxl_xlconf *xlconf;
    vxl_domain_config *d;
    vxl_diags *diags;
};

#define TRY(expr) do { int rc_ = (expr); if (rc_) return rc_; } while (0)

/* ---- diagnostics --------------------------------------------------- */

static void key_pos(const struct pc *p, const char *key, cfg_pos *pos)
{
    if (!p->cfg || !key || cfg_setting_value_pos(p->cfg, key, pos)) {
        pos->file = p->cfg ? cfg_filename(p->cfg) : NULL;
        pos->line = pos->col = 0;
    }
}

static void vdiag(struct pc *p, enum vxl_severity sev, const cfg_pos *pos,
                  const char *hint, const char *fmt, va_list ap)
{
    char *msg = xvasprintf(fmt, ap);

    vxl_diag_add(p->diags, sev, pos->file, pos->line, pos->col, hint,
                 "%s", msg);
    free(msg);
}

/* An error at the value of setting `key' (key NULL: the file itself);
 * returns `status' so callers can `return fail(...)'. */
__attribute__((format(printf, 5, 6)))
static int fail(struct pc *p, int status, const char *key, const char *hint,
                const char *fmt, ...)
{
    va_list ap;
    cfg_pos pos;

    key_pos(p, key, &pos);
    va_start(ap, fmt);
    vdiag(p, VXL_ERROR, &pos, hint, fmt, ap);
    va_end(ap);
    return status;
}

/* An error about something missing: placed at the first of `keys' (a
 * NULL-terminated list) that is set, else at the file's first setting,
 * else at 1:1, so that it always names a place in the file. */
__attribute__((format(printf, 5, 6)))
static int fail_missing(struct pc *p, int status, const char *const *keys,
                        const char *hint, const char *fmt, ...)
{
    va_list ap;
    cfg_pos pos = { cfg_filename(p->cfg), 1, 1 };

    for (; *keys; keys++)
        if (!cfg_setting_pos(p->cfg, *keys, &pos))
            break;
    if (!*keys && cfg_nsettings(p->cfg) > 0)
        cfg_setting_name(p->cfg, 0, &pos);
    va_start(ap, fmt);
    vdiag(p, VXL_ERROR, &pos, hint, fmt, ap);
    va_end(ap);
    return status;
}

/* An error at item n of a list. */
__attribute__((format(printf, 6, 7)))
static int fail_item(struct pc *p, int status, const cfg_list *l, int n,
                     const char *hint, const char *fmt, ...)
{
    va_list ap;
    cfg_pos pos;

    if (cfg_list_item_pos(l, n, &pos)) {
        pos.file = cfg_filename(p->cfg);
        pos.line = pos.col = 0;
    }
    va_start(ap, fmt);
    vdiag(p, VXL_ERROR, &pos, hint, fmt, ap);
    va_end(ap);
    return status;
}

__attribute__((format(printf, 4, 5)))
static void warn(struct pc *p, const char *key, const char *hint,
                 const char *fmt, ...)
{
    va_list ap;
    cfg_pos pos;

    key_pos(p, key, &pos);
    va_start(ap, fmt);
    vdiag(p, VXL_WARNING, &pos, hint, fmt, ap);
    va_end(ap);
}

/* ---- lookups (libxlu's, with our diagnostics) ---------------------- */

static int get_str(struct pc *p, const char *key, const char **v, int quiet)
{
    return cfg_get_string(p->cfg, key, v, quiet, p->diags);
}

static int get_long(struct pc *p, const char *key, long *v, int quiet)
{
    return cfg_get_long(p->cfg, key, v, quiet, p->diags);
}

static int replace_str(struct pc *p, const char *key, char **dst, int quiet)
{
    return cfg_replace_string(p->cfg, key, dst, quiet, p->diags);
}

static int get_defbool(struct pc *p, const char *key, vxl_defbool *db,
                       int quiet)
{
    int b = -1;
    int rc = cfg_get_defbool(p->cfg, key, &b, quiet, p->diags);

    if (!rc)
        vxl_defbool_set(db, b);
    return rc;
}

/* A list option as a string list (libxl_string_list): items that are
 * themselves lists end it, as in libxlu. */
static int get_string_list(struct pc *p, const char *key,
                           vxl_string_list *out, int quiet)
{
    char **sl;
    int n, rc;

    rc = cfg_get_list_as_string_list(p->cfg, key, &sl, &n, quiet, p->diags);
    if (rc)
        return rc;
    vxl_string_list_dispose(out);
    for (int i = 0; i < n && sl[i]; i++)
        vxl_string_list_append(out, sl[i]);
    if (!*out)      /* an empty list is still a list: [NULL] */
        *out = xcalloc(1, sizeof(char *));
    cfg_string_list_free(sl, n);
    return 0;
}

static void set_str(char **dst, const char *s)
{
    free(*dst);
    *dst = s ? xstrdup(s) : NULL;
}

/* xl's prefix test: `buf' names `word' when it is a prefix of it (so the
 * empty string names anything). */
static int is_prefix_of(const char *buf, const char *word)
{
    return strncmp(buf, word, strlen(buf)) == 0;
}

/* A hint listing the accepted names of an enum table. */
static char *enum_hint(const vxl_enum_string_table *t)
{
    strbuf sb = { 0 };

    sb_puts(&sb, "valid values:");
    for (; t->s; t++)
        sb_printf(&sb, " %s", t->s);
    return sb_steal(&sb);
}

/* How xl words an unknown enum value. */
enum enum_msg {
    MSG_INVALID_VALUE,      /* ERROR: invalid value "V" for "KEY" */
    MSG_UNKNOWN_OPTION,     /* ERROR: unknown KEY option 'V' */
    MSG_XL_UNKNOWN,         /* xl: unknown KEY 'V' */
    MSG_UNKNOWN_SPECIFIED,  /* Unknown KEY "V" specified */
};

/* Set *e from an enum's string table (case-insensitive, as libxl); on
 * failure record xl's message and return `status'. */
static int enum_value(struct pc *p, const vxl_enum_string_table *t,
                      const char *key, const char *val, int *e, int status,
                      enum enum_msg msg)
{
    char *hint;

    if (!vxl_enum_from_string(t, val, e))
        return 0;
    hint = enum_hint(t);
    switch (msg) {
    case MSG_INVALID_VALUE:
        fail(p, status, key, hint, "ERROR: invalid value \"%s\" for \"%s\"",
             val, key);
        break;
    case MSG_UNKNOWN_OPTION:
        fail(p, status, key, hint, "ERROR: unknown %s option '%s'", key, val);
        break;
    case MSG_XL_UNKNOWN:
        fail(p, status, key, hint, "xl: unknown %s '%s'", key, val);
        break;
    case MSG_UNKNOWN_SPECIFIED:
        fail(p, status, key, hint, "Unknown %s \"%s\" specified", key, val);
        break;
    }
    free(hint);
    return status;
}

/* ---- small parsers of xl_parse.c ----------------------------------- */

/* parse_range: "A" or "A-B".  On failure *a and *b still hold what was
 * read, which vnuma's vcpus= relies on. */
static int parse_range(const char *str, unsigned long *a, unsigned long *b)
{
    const char *nstr;
    char *end;

    *a = *b = strtoul(str, &end, 10);
    if (end == str || *a == ULONG_MAX)
        return 1;
    if (*end == '-') {
        nstr = end + 1;
        *b = strtoul(nstr, &end, 10);
        if (end == nstr || *b == ULONG_MAX || *b < *a)
            return 1;
    }
    return *end != '\0';
}

/* parse_ulong: 0 and the value, or -1 when it is not a number. */
static int parse_ulong(const char *s, unsigned long *v)
{
    char *end;

    *v = strtoul(s, &end, 10);
    return end == s || *v == ULONG_MAX ? -1 : 0;
}

static char *trim_space(const char *s)
{
    const char *e;

    while (*s && isspace((unsigned char)*s))
        s++;
    e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        e--;
    return xstrndup(s, e - s);
}

/* split_string_into_pair(str, "="): the first two '='-separated tokens
 * (strtok semantics: empty tokens are skipped). */
static int split_pair(const char *str, char **a, char **b)
{
    char *s = xstrdup(str), *save = NULL, *t1, *t2;
    int rc = -1;

    t1 = strtok_r(s, "=", &save);
    t2 = t1 ? strtok_r(NULL, "=", &save) : NULL;
    if (t1 && t2) {
        *a = trim_space(t1);
        *b = trim_space(t2);
        rc = 0;
    }
    free(s);
    return rc;
}

/* split_string_into_string_list: strtok tokens of str. */
static vxl_string_list split_list(const char *str, const char *delim)
{
    vxl_string_list l = NULL;
    char *s = xstrdup(str), *save = NULL;

    for (char *t = strtok_r(s, delim, &save); t;
         t = strtok_r(NULL, delim, &save))
        vxl_string_list_append(&l, t);
    free(s);
    return l;
}

/* ---- cpumaps -------------------------------------------------------- */

/* A map of the host's CPUs (libxl_cpu_bitmap_alloc(ctx, map, 0)). */
static void cpu_bitmap_alloc(const struct pc *p, vxl_bitmap *b, int nr)
{
    vxl_bitmap_init(b);
    vxl_bitmap_alloc(b, nr > 0 ? nr : p->host->nr_cpus);
}

/* parse_cpurange: a cpumap spec into a fresh host-sized map, errors at
 * item n of list l, or else at the value of `key'. */
static int parse_cpumap(struct pc *p, const char *spec, vxl_bitmap *map,
                        const char *key, const cfg_list *l, int n)
{
    cfg_pos pos;

    if (!l || cfg_list_item_pos(l, n, &pos))
        key_pos(p, key, &pos);
    cpu_bitmap_alloc(p, map, 0);
    if (!vxl_parse_cpumap_at(spec, p->host, map, &pos, p->diags))
        return 0;
    return EXIT_XL_FAIL;
}

/* libxl_ms_vm_genid_generate: 16 random bytes, never all zero. */
static int genid_generate(vxl_ms_vm_genid *g)
{
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    int rc = -1;

    if (fd < 0)
        return -1;
    do {
        size_t got = 0;
        while (got < sizeof(g->bytes)) {
            ssize_t r = read(fd, g->bytes + got, sizeof(g->bytes) - got);
            if (r <= 0)
                goto out;
            got += r;
        }
    } while (vxl_ms_vm_genid_is_zero(g));
    rc = 0;
out:
    close(fd);
    return rc;
}

/* ---- the stretches of parse_config_data ----------------------------- */

static int parse_seclabels(struct pc *p)
{
    vxl_domain_create_info *c = &p->d->c_info;
    vxl_domain_build_info *b = &p->d->b_info;
    const char *buf;

    if (!get_str(p, "init_seclabel", &buf, 0))
        replace_str(p, "init_seclabel", &c->ssid_label, 0);
    if (!get_str(p, "seclabel", &buf, 0)) {
        if (c->ssid_label)
            replace_str(p, "seclabel", &b->exec_ssid_label, 0);
        else
            replace_str(p, "seclabel", &c->ssid_label, 0);
    }
    return 0;
}

static int parse_type(struct pc *p)
{
    vxl_domain_create_info *c = &p->d->c_info;
    const char *buf;

    if (!get_str(p, "type", &buf, 0)) {
        if (is_prefix_of(buf, "hvm"))
            c->type = VXL_DOMAIN_TYPE_HVM;
        else if (is_prefix_of(buf, "pv"))
            c->type = VXL_DOMAIN_TYPE_PV;
        else if (is_prefix_of(buf, "pvh"))
            c->type = VXL_DOMAIN_TYPE_PVH;
        else
            return fail(p, EXIT_XL_FAIL, "type",
                        "type is one of \"pv\", \"pvh\" or \"hvm\"",
                        "Invalid domain type %s.", buf);
    }

    /* Deprecated since Xen 4.10, still honoured. */
    if (!get_str(p, "builder", &buf, 0)) {
        vxl_domain_type bt;

        if (is_prefix_of(buf, "hvm"))
            bt = VXL_DOMAIN_TYPE_HVM;
        else if (is_prefix_of(buf, "generic"))
            bt = VXL_DOMAIN_TYPE_PV;
        else
            return fail(p, EXIT_XL_FAIL, "builder",
                        "builder is \"generic\" (PV) or \"hvm\"; "
                        "prefer type=",
                        "Invalid domain type %s.", buf);
        if (c->type != VXL_DOMAIN_TYPE_INVALID && c->type != bt)
            return fail(p, EXIT_XL_FAIL, "builder",
                        "drop the deprecated builder= and keep type=",
                        "Contradicting \"builder\" and \"type\" options "
                        "specified.");
        c->type = bt;
    }

    if (c->type == VXL_DOMAIN_TYPE_INVALID)
        c->type = VXL_DOMAIN_TYPE_PV;     /* x86's default */
    return 0;
}

static int parse_identity(struct pc *p)
{
    vxl_domain_create_info *c = &p->d->c_info;
    const char *buf;

    get_defbool(p, "hap", &c->hap, 0);

    if (replace_str(p, "name", &c->name, 0)) {
        static const char *const where[] = { "name", NULL };
        return fail_missing(p, EXIT_XL_FAIL, where,
                            "add a line such as name=\"guest\"",
                            "Domain name must be specified.");
    }

    if (!get_str(p, "uuid", &buf, 0)) {
        if (vxl_uuid_from_string(&c->uuid, buf))
            return fail(p, EXIT_XL_FAIL, "uuid",
                        "a uuid looks like "
                        "\"01234567-89ab-cdef-0123-456789abcdef\"",
                        "Failed to parse UUID: %s", buf);
    } else {
        vxl_uuid_generate(&c->uuid);
    }

    get_defbool(p, "oos", &c->oos, 0);
    if (!get_str(p, "pool", &buf, 0))
        replace_str(p, "pool", &c->pool_name, 0);
    return 0;
}

static int parse_pvshim(struct pc *p)
{
    vxl_domain_build_info *b = &p->d->b_info;
    const char *buf;

    if (b->type != VXL_DOMAIN_TYPE_PVH)
        return 0;
    get_defbool(p, "pvshim", &b->u.pvh.pvshim, 0);
    if (!get_str(p, "pvshim_path", &buf, 0))
        replace_str(p, "pvshim_path", &b->u.pvh.pvshim_path, 0);
    if (!get_str(p, "pvshim_cmdline", &buf, 0))
        replace_str(p, "pvshim_cmdline", &b->u.pvh.pvshim_cmdline, 0);
    if (!get_str(p, "pvshim_extra", &buf, 0))
        replace_str(p, "pvshim_extra", &b->u.pvh.pvshim_extra, 0);
    return 0;
}

static int parse_sched(struct pc *p)
{
    vxl_domain_sched_params *s = &p->d->b_info.sched_params;
    long l;

    if (!get_long(p, "cpu_weight", &l, 0))
        s->weight = l;
    if (!get_long(p, "cap", &l, 0))
        s->cap = l;
    if (!get_long(p, "period", &l, 0))
        s->period = l;
    if (!get_long(p, "slice", &l, 0))
        s->slice = l;
    if (!get_long(p, "latency", &l, 0))
        s->latency = l;
    if (!get_long(p, "extratime", &l, 0))
        s->extratime = l;
    return 0;
}

/* memory, maxmem, vcpus, maxvcpus, vuart.  *vcpus_r gets vcpus= (0 when
 * unset). */
static int parse_memory_vcpus(struct pc *p, long *vcpus_r)
{
    vxl_domain_build_info *b = &p->d->b_info;
    const char *buf;
    long l;

    if (!get_long(p, "memory", &l, 0))
        b->target_memkb = (uint64_t)l * 1024;
    if (!get_long(p, "maxmem", &l, 0))
        b->max_memkb = (uint64_t)l * 1024;

    if (!get_long(p, "vcpus", &l, 0)) {
        int nbits = (int)l;     /* libxl_cpu_bitmap_alloc takes an int */

        *vcpus_r = l;
        if (nbits < 0)
            return fail(p, EXIT_XL_FAIL, "vcpus",
                        "vcpus is the number of vCPUs the guest starts with",
                        "Unable to allocate cpumap");
        vxl_bitmap_dispose(&b->avail_vcpus);
        cpu_bitmap_alloc(p, &b->avail_vcpus, nbits);
        for (long i = 0; i < l && i < vxl_bitmap_nr_bits(&b->avail_vcpus);
             i++)
            vxl_bitmap_set(&b->avail_vcpus, i);
    }

    if (!get_long(p, "maxvcpus", &l, 0))
        b->max_vcpus = l;

    if (!get_str(p, "vuart", &buf, 0)) {
        int e;
        TRY(enum_value(p, vxl_vuart_type_string_table, "vuart", buf, &e,
                       EXIT_XL_FAIL,
                       MSG_INVALID_VALUE));
        b->arch_arm.vuart = e;
    }
    return 0;
}

/* One node of vnuma = [ [ "pnode=N", "size=MiB", "vcpus=R,R",
 * "vdistances=D,D" ], ... ].  vcpus go into `vcpus' (sized as xl sizes
 * it); counts are added to *nr_vcpus and *memkb. */
static int parse_vnode(struct pc *p, const cfg_list *vnuma, int i,
                       vxl_vnode_info *node, vxl_bitmap *vcpus,
                       unsigned long *nr_vcpus, uint64_t *memkb)
{
    vxl_domain_build_info *b = &p->d->b_info;
    const cfg_value *spec = cfg_list_get(vnuma, i);
    const cfg_list *opts;
    int rc = 0;

    if (cfg_value_get_list(p->cfg, spec, &opts, 0, p->diags) || !opts)
        return fail_item(p, EXIT_XL_FAIL, vnuma, i,
                         "each vnuma node is a list such as "
                         "[ \"pnode=0\", \"size=1024\", \"vcpus=0-1\" ]",
                         "xl: cannot get vnode config option list");

    for (int k = 0; !rc && k < cfg_list_count(opts); k++) {
        const char *item = cfg_listitem(opts, k);
        char *opt, *val;
        unsigned long v;

        if (!item)
            continue;           /* xl skips nested lists */
        if (split_pair(item, &opt, &val))
            return fail_item(p, EXIT_XL_FAIL, opts, k,
                             "vnuma options are key=value",
                             "xl: failed to split \"%s\" into pair", item);

        if (!strcmp(opt, "pnode")) {
            if (parse_ulong(val, &v)) {
                rc = fail_item(p, EXIT_XL_FAIL, opts, k, NULL,
                               "xl: failed to convert \"%s\" to number", val);
            } else if (v >= (unsigned long)p->host->nr_nodes) {
                char *hint = p->host->nr_nodes == 1
                    ? xstrdup("this host has one NUMA node: 0")
                    : xasprintf("this host has NUMA nodes 0-%d",
                                p->host->nr_nodes - 1);
                rc = fail_item(p, EXIT_XL_FAIL, opts, k, hint,
                               "xl: invalid pnode number: %lu", v);
                free(hint);
            } else {
                node->pnode = v;
                vxl_defbool_set(&b->numa_placement, false);
            }
        } else if (!strcmp(opt, "size")) {
            if (parse_ulong(val, &v))
                rc = fail_item(p, EXIT_XL_FAIL, opts, k, NULL,
                               "xl: failed to convert \"%s\" to number", val);
            else {
                node->memkb = (uint64_t)v << 10;
                *memkb += node->memkb;
            }
        } else if (!strcmp(opt, "vcpus")) {
            vxl_string_list ranges = split_list(val, ",");

            for (int j = 0; ranges && ranges[j]; j++) {
                unsigned long s, e;

                /* xl ignores parse_range's verdict and uses what it
                 * read. */
                parse_range(ranges[j], &s, &e);
                for (; s <= e; s++) {
                    if (s < (unsigned long)INT_MAX)
                        vxl_bitmap_set(vcpus, (int)s);
                    (*nr_vcpus)++;
                    if (s == ULONG_MAX)
                        break;
                }
            }
            vxl_string_list_dispose(&ranges);
        } else if (!strcmp(opt, "vdistances")) {
            vxl_string_list dist = split_list(val, ",");

            for (int j = 0; !rc && dist && dist[j]; j++) {
                if (parse_ulong(dist[j], &v))
                    rc = fail_item(p, EXIT_XL_FAIL, opts, k, NULL,
                                   "xl: failed to convert \"%s\" to number",
                                   dist[j]);
                else if (j < node->num_distances)
                    node->distances[j] = v;
            }
            vxl_string_list_dispose(&dist);
        }
        free(opt);
        free(val);
    }
    return rc;
}

static int parse_vnuma(struct pc *p)
{
    vxl_domain_build_info *b = &p->d->b_info;
    const cfg_list *vnuma;
    unsigned long nr_vcpus = 0;
    uint64_t memkb = 0;
    vxl_bitmap *parsed;
    int n, rc = 0;

    if (cfg_get_list(p->cfg, "vnuma", &vnuma, &n, 1, p->diags) || !n)
        return 0;

    parsed = xcalloc(n, sizeof(*parsed));
    for (int i = 0; i < n; i++)
        cpu_bitmap_alloc(p, &parsed[i], b->max_vcpus);
    for (int i = 0; i < n; i++) {
        vxl_vnode_info *node = vxl_build_info_add_vnuma_node(b);
        node->num_distances = n;
        node->distances = xcalloc(n, sizeof(*node->distances));
    }

    for (int i = 0; !rc && i < n; i++)
        rc = parse_vnode(p, vnuma, i, &b->vnuma_nodes[i], &parsed[i],
                         &nr_vcpus, &memkb);

    if (rc)
        goto out;
    if (b->max_vcpus != 0) {
        if ((unsigned long)b->max_vcpus != nr_vcpus) {
            char *hint = xasprintf("maxvcpus=%d but the vnuma nodes list "
                                   "%lu vcpus", b->max_vcpus, nr_vcpus);
            rc = fail(p, EXIT_XL_FAIL, "vnuma", hint,
                      "xl: vnuma vcpus and maxvcpus= mismatch");
            free(hint);
            goto out;
        }
    } else {
        if ((unsigned long)p->host->nr_cpus < nr_vcpus) {
            rc = fail(p, EXIT_XL_FAIL, "vnuma",
                      "use maxvcpus= to override this check",
                      "xl: vnuma specifies more vcpus than pcpus, use "
                      "maxvcpus= to override this check.");
            goto out;
        }
        b->max_vcpus = nr_vcpus;
    }

    if (b->max_memkb != VXL_MEMKB_DEFAULT && b->max_memkb != memkb) {
        rc = fail(p, EXIT_XL_FAIL, "vnuma",
                  "maxmem= must equal the sum of the vnuma nodes' size=",
                  "xl: maxmem and vnuma memory size mismatch");
        goto out;
    }
    b->max_memkb = memkb;

    for (int i = 0; i < n; i++)
        vxl_bitmap_copy(&b->vnuma_nodes[i].vcpus, &parsed[i]);
out:
    for (int i = 0; i < n; i++)
        vxl_bitmap_dispose(&parsed[i]);
    free(parsed);
    return rc;
}

/* cpus= / cpus_soft=: a string (one map for every vCPU) or a list (one
 * map per vCPU, in order). */
static int parse_affinity(struct pc *p, const char *key, bool hard)
{
    vxl_domain_build_info *b = &p->d->b_info;
    const cfg_list *list = NULL;
    const char *buf = NULL;
    vxl_bitmap *maps;
    int num = 0;

    if (cfg_get_list(p->cfg, key, &list, &num, 1, p->diags) &&
        get_str(p, key, &buf, 0))
        return 0;

    /* Values for vCPUs that don't exist are ignored. */
    if (buf || num > b->max_vcpus)
        num = b->max_vcpus;
    maps = num ? xcalloc(num, sizeof(*maps)) : NULL;
    if (hard) {
        b->vcpu_hard_affinity = maps;
        b->num_vcpu_hard_affinity = num;
    } else {
        b->vcpu_soft_affinity = maps;
        b->num_vcpu_soft_affinity = num;
    }
    for (int i = 0; i < num; i++)
        cpu_bitmap_alloc(p, &maps[i], 0);

    if (!buf) {
        const char *item;

        for (int j = 0; j < num && (item = cfg_listitem(list, j)); j++) {
            vxl_bitmap_dispose(&maps[j]);
            TRY(parse_cpumap(p, item, &maps[j], key, list, j));
        }
        /* A list of maps always disables automatic placement. */
        vxl_defbool_set(&b->numa_placement, false);
    } else {
        vxl_bitmap one;
        int rc = parse_cpumap(p, buf, &one, key, NULL, 0);

        if (rc) {
            vxl_bitmap_dispose(&one);
            return rc;
        }
        for (int i = 0; i < num; i++) {
            vxl_bitmap_dispose(&maps[i]);
            vxl_bitmap_copy(&maps[i], &one);
        }
        vxl_bitmap_dispose(&one);
        if (!hard)
            vxl_defbool_set(&b->numa_placement, false);
    }
    return 0;
}

/* max_grant_frames & co: the config's value, else xl.conf's. */
static int parse_grant_limit(struct pc *p, const char *key, long xlconf_val,
                             long unset, long *out)
{
    long l;
    int e = cfg_get_bounded_long(p->cfg, key, 0, INT_MAX, &l, 1, p->diags);

    if (e == ESRCH)
        *out = xlconf_val >= 0 ? xlconf_val : unset;
    else if (!e)
        *out = l;
    else
        return fail(p, EXIT_XL_FAIL, key,
                    "a number from 0 to 2147483647",
                    "invalid value for \"%s\"", key);
    return 0;
}

static int parse_grants_claim(struct pc *p)
{
    vxl_domain_build_info *b = &p->d->b_info;
    long v;

    TRY(parse_grant_limit(p, "max_grant_frames",
                          p->xlconf ? p->xlconf->max_grant_frames : -1,
                          -1, &v));
    b->max_grant_frames = (uint32_t)v;
    TRY(parse_grant_limit(p, "max_maptrack_frames",
                          p->xlconf ? p->xlconf->max_maptrack_frames : -1,
                          -1, &v));
    b->max_maptrack_frames = (uint32_t)v;
    TRY(parse_grant_limit(p, "max_grant_version",
                          p->xlconf ? p->xlconf->max_grant_version : -1,
                          -1, &v));
    b->max_grant_version = (int)v;

    vxl_defbool_set(&b->claim_mode, p->xlconf ? p->xlconf->claim_mode : 1);
    return 0;
}

/* xl's names of the shutdown actions (not libxl's enum strings). */
static const char *const action_names[] = {
    [VXL_ACTION_ON_SHUTDOWN_DESTROY] = "destroy",
    [VXL_ACTION_ON_SHUTDOWN_RESTART] = "restart",
    [VXL_ACTION_ON_SHUTDOWN_RESTART_RENAME] = "rename-restart",
    [VXL_ACTION_ON_SHUTDOWN_PRESERVE] = "preserve",
    [VXL_ACTION_ON_SHUTDOWN_COREDUMP_DESTROY] = "coredump-destroy",
    [VXL_ACTION_ON_SHUTDOWN_COREDUMP_RESTART] = "coredump-restart",
    [VXL_ACTION_ON_SHUTDOWN_SOFT_RESET] = "soft-reset",
};

static int parse_action(struct pc *p, const char *key, const char *dflt,
                        vxl_action_on_shutdown *a)
{
    const char *buf;

    if (get_str(p, key, &buf, 0))
        buf = dflt;
    for (size_t i = 0; i < ARRAY_SIZE(action_names); i++) {
        if (action_names[i] && !strcmp(buf, action_names[i])) {
            *a = i;
            return 0;
        }
    }
    return fail(p, EXIT_XL_FAIL, key,
                "actions: destroy, restart, rename-restart, preserve, "
                "coredump-destroy, coredump-restart, soft-reset",
                "Unknown %s action \"%s\" specified", key, buf);
}

static int parse_actions(struct pc *p)
{
    vxl_domain_config *d = p->d;

    TRY(parse_action(p, "on_poweroff", "destroy", &d->on_poweroff));
    TRY(parse_action(p, "on_reboot", "restart", &d->on_reboot));
    TRY(parse_action(p, "on_watchdog", "destroy", &d->on_watchdog));
    TRY(parse_action(p, "on_crash", "destroy", &d->on_crash));
    TRY(parse_action(p, "on_soft_reset", "soft-reset", &d->on_soft_reset));

    /* To be automatic once ballooning after start works with PCI. */
    if (d->c_info.type == VXL_DOMAIN_TYPE_PV)
        get_defbool(p, "e820_host", &d->b_info.u.pv.e820_host, 0);
    return 0;
}

/* cmdline=, or root= and extra= joined. */
static void parse_cmdline(struct pc *p)
{
    const char *buf = NULL, *root = NULL, *extra = NULL;
    char **cmdline = &p->d->b_info.cmdline;

    get_str(p, "cmdline", &buf, 0);
    get_str(p, "root", &root, 0);
    get_str(p, "extra", &extra, 0);

    free(*cmdline);
    *cmdline = NULL;
    if (buf) {
        *cmdline = xstrdup(buf);
        if (root || extra)
            warn(p, root ? "root" : "extra", "cmdline= replaces them",
                 "Warning: ignoring root= and extra= in favour of cmdline=");
    } else if (root && extra) {
        *cmdline = xasprintf("root=%s %s", root, extra);
    } else if (root) {
        *cmdline = xasprintf("root=%s", root);
    } else if (extra) {
        *cmdline = xstrdup(extra);
    }
}

static int parse_bootloader(struct pc *p)
{
    vxl_domain_build_info *b = &p->d->b_info;
    const char *buf;

    replace_str(p, "bootloader", &b->bootloader, 0);
    switch (get_string_list(p, "bootloader_args", &b->bootloader_args, 1)) {
    case 0:
    case ESRCH:
        break;
    case EINVAL:
        if (!get_str(p, "bootloader_args", &buf, 0)) {
            warn(p, "bootloader_args",
                 "write bootloader_args = [ \"arg1\", \"arg2\" ]",
                 "WARNING: Specifying \"bootloader_args\" as a string is "
                 "deprecated. Please use a list of arguments.");
            vxl_string_list_dispose(&b->bootloader_args);
            b->bootloader_args = split_list(buf, " \t\n");
        }
        break;
    default:
        return fail(p, EXIT_ERROR_FAIL, "bootloader_args", NULL,
                    "xl: Unable to parse bootloader_args.");
    }
    return 0;
}

/* tsc_mode, altp2m, timer_mode: a number (deprecated for some) or one of
 * the enum's names.  `lo'..`hi' is xl's accepted numeric range. */
static int parse_mode(struct pc *p, const char *key,
                      const vxl_enum_string_table *t, long lo, long hi,
                      int *out)
{
    const char *buf;
    long l;

    if (!cfg_get_long(p->cfg, key, &l, 1, p->diags)) {
        if (l < lo || l > hi) {
            char *hint = enum_hint(t);
            fail(p, EXIT_XL_FAIL, key, hint,
                 "ERROR: invalid value %ld for \"%s\"", l, key);
            free(hint);
            return EXIT_XL_FAIL;
        }
        *out = l;
        return 0;
    }
    if (!get_str(p, key, &buf, 0))
        return enum_value(p, t, key, buf, out, EXIT_XL_FAIL,
                          MSG_INVALID_VALUE);
    return 0;
}

/* The name libxl gives value v of table t, or NULL. */
static const char *enum_name(const vxl_enum_string_table *t, int v)
{
    for (; t->s; t++)
        if (t->v == v)
            return t->s;
    return NULL;
}

/* passthrough .. nestedhvm */
static int parse_general(struct pc *p)
{
    vxl_domain_config *d = p->d;
    vxl_domain_build_info *b = &d->b_info;
    const char *buf;
    long l;
    int e;

    if (!get_str(p, "passthrough", &buf, 0)) {
        TRY(enum_value(p, vxl_passthrough_string_table, "passthrough", buf,
                       &e, EXIT_XL_FAIL,
                       MSG_UNKNOWN_OPTION));
        d->c_info.passthrough = e;
    }

    if (!get_long(p, "shadow_memory", &l, 0))
        b->shadow_memkb = (uint64_t)l * 1024;
    get_defbool(p, "nomigrate", &b->disable_migrate, 0);

    if (!cfg_get_long(p->cfg, "tsc_mode", &l, 1, p->diags)) {
        const char *s = enum_name(vxl_tsc_mode_string_table, l);
        char *hint = s ? xasprintf("write tsc_mode=\"%s\"", s) : NULL;

        warn(p, "tsc_mode", hint,
             "WARNING: specifying \"tsc_mode\" as an integer is deprecated. "
             "Please use the named parameter variant. %s%s%s",
             s ? "e.g. tsc_mode=\"" : "", s ? s : "", s ? "\"" : "");
        free(hint);
    }
    e = b->tsc_mode;
    TRY(parse_mode(p, "tsc_mode", vxl_tsc_mode_string_table,
                   VXL_TSC_MODE_DEFAULT, VXL_TSC_MODE_NATIVE_PARAVIRT, &e));
    b->tsc_mode = e;

    if (!get_long(p, "rtc_timeoffset", &l, 0))
        b->rtc_timeoffset = l;
    if (!get_long(p, "vncviewer", &l, 0))
        warn(p, "vncviewer", "use `vxl create -V'",
             "WARNING: ignoring \"vncviewer\" option. Use \"-V\" option of "
             "\"xl create\" to automatically spawn vncviewer.");
    get_defbool(p, "localtime", &b->localtime, 0);
    if (!get_long(p, "videoram", &l, 0))
        b->video_memkb = (uint64_t)l * 1024;
    if (!get_long(p, "max_event_channels", &l, 0))
        b->event_channels = l;

    replace_str(p, "kernel", &b->kernel, 0);
    replace_str(p, "ramdisk", &b->ramdisk, 0);
    replace_str(p, "device_tree", &b->device_tree, 0);
    parse_cmdline(p);

    get_defbool(p, "driver_domain", &d->c_info.driver_domain, 0);
    get_defbool(p, "acpi", &b->acpi, 0);

    TRY(parse_bootloader(p));

    if (!cfg_get_long(p->cfg, "timer_mode", &l, 1, p->diags) ||
        !cfg_get_string(p->cfg, "timer_mode", &buf, 1, NULL)) {
        if (b->type == VXL_DOMAIN_TYPE_PV)
            return fail(p, EXIT_ERROR_FAIL, "timer_mode",
                        "timer_mode applies to HVM and PVH guests only",
                        "ERROR: \"timer_mode\" option is not supported for "
                        "PV guests.");
    }
    if (!cfg_get_long(p->cfg, "timer_mode", &l, 1, p->diags)) {
        const char *s = enum_name(vxl_timer_mode_string_table, l);
        char *hint = s ? xasprintf("write timer_mode=\"%s\"", s) : NULL;

        warn(p, "timer_mode", hint,
             "WARNING: specifying \"timer_mode\" as an integer is "
             "deprecated. Please use the named parameter variant. %s%s%s",
             s ? "e.g. timer_mode=\"" : "", s ? s : "", s ? "\"" : "");
        free(hint);
    }
    e = b->timer_mode;
    TRY(parse_mode(p, "timer_mode", vxl_timer_mode_string_table,
                   VXL_TIMER_MODE_DELAY_FOR_MISSED_TICKS,
                   VXL_TIMER_MODE_ONE_MISSED_TICK_PENDING, &e));
    b->timer_mode = e;

    get_defbool(p, "nestedhvm", &b->nested_hvm, 0);
    return 0;
}

static int parse_viridian(struct pc *p)
{
    vxl_domain_build_info *b = &p->d->b_info;
    const cfg_list *list;
    int n;

    switch (cfg_get_list(p->cfg, "viridian", &list, &n, 1, p->diags)) {
    case 0:
        if (n) {
            vxl_bitmap_alloc(&b->u.hvm.viridian_enable, VIRIDIAN_BITMAP_WIDTH);
            vxl_bitmap_alloc(&b->u.hvm.viridian_disable,
                             VIRIDIAN_BITMAP_WIDTH);
        }
        for (int i = 0; i < n; i++) {
            const char *buf = cfg_listitem(list, i);
            vxl_bitmap *s = &b->u.hvm.viridian_enable;
            vxl_bitmap *r = &b->u.hvm.viridian_disable;
            int v;

            if (!buf)
                return fail_item(p, EXIT_ERROR_FAIL, list, i, NULL,
                                 "xl: unknown viridian enlightenment '%s'",
                                 "(list)");
            if (!strcmp(buf, "all")) {
                vxl_bitmap_set_any(s);
                continue;
            }
            if (!strcmp(buf, "defaults")) {
                vxl_defbool_set(&b->u.hvm.viridian, true);
                continue;
            }
            if (*buf == '!') {
                s = &b->u.hvm.viridian_disable;
                r = &b->u.hvm.viridian_enable;
                buf++;
            }
            if (vxl_enum_from_string(vxl_viridian_enlightenment_string_table,
                                     buf, &v)) {
                char *hint = enum_hint(vxl_viridian_enlightenment_string_table);
                fail_item(p, EXIT_ERROR_FAIL, list, i, hint,
                          "xl: unknown viridian enlightenment '%s'", buf);
                free(hint);
                return EXIT_ERROR_FAIL;
            }
            vxl_bitmap_set(s, v);
            vxl_bitmap_reset(r, v);
        }
        break;
    case ESRCH:
        break;
    case EINVAL:
        cfg_get_defbool(p->cfg, "viridian", &n, 1, p->diags) ? (void)0
            : vxl_defbool_set(&b->u.hvm.viridian, n);
        break;
    default:
        return fail(p, EXIT_ERROR_FAIL, "viridian", NULL,
                    "xl: Unable to parse viridian enlightenments.");
    }
    return 0;
}

static int parse_mca_caps(struct pc *p)
{
    vxl_domain_build_info *b = &p->d->b_info;
    const cfg_list *list;
    int n;

    switch (cfg_get_list(p->cfg, "mca_caps", &list, &n, 1, p->diags)) {
    case 0:
        for (int i = 0; i < n; i++) {
            const char *buf = cfg_listitem(list, i);
            if (buf && !strcmp(buf, "lmce"))
                b->u.hvm.mca_caps |= MCA_CAP_LMCE;
            else
                return fail_item(p, EXIT_ERROR_FAIL, list, i,
                                 "the only MCA capability is \"lmce\"",
                                 "ERROR: unrecognized MCA capability '%s'.",
                                 buf ? buf : "(list)");
        }
        return 0;
    case ESRCH:
        return 0;
    default:
        return fail(p, EXIT_ERROR_FAIL, "mca_caps",
                    "write mca_caps = [ \"lmce\" ]",
                    "ERROR: unable to parse mca_caps.");
    }
}

static int parse_hvm_firmware(struct pc *p)
{
    vxl_domain_build_info *b = &p->d->b_info;
    const char *buf;
    int e;

    if (get_str(p, "firmware", &buf, 0))
        return 0;
    if (!vxl_enum_from_string(vxl_bios_type_string_table, buf, &e)) {
        b->u.hvm.bios = e;
        return 0;
    }
    if (is_prefix_of(buf, "uefi"))
        b->u.hvm.bios = VXL_BIOS_TYPE_OVMF;
    else if (!is_prefix_of(buf, "bios"))
        replace_str(p, "firmware", &b->u.hvm.firmware, 0); /* a path */
    /* "bios": libxl picks the default BIOS for the device model. */
    return 0;
}

static int parse_hvm(struct pc *p)
{
    vxl_domain_build_info *b = &p->d->b_info;
    const char *buf;
    long l;
    int e;

    if (b->kernel) {
        const char *base = strrchr(b->kernel, '/');
        base = base ? base + 1 : b->kernel;
        if (!strcmp(base, "hvmloader")) {
            warn(p, "kernel", "use firmware_override= for a non-default "
                 "firmware",
                 "WARNING: you seem to be using \"kernel\" directive to "
                 "override HVM guest firmware. Ignore that. Use "
                 "\"firmware_override\" instead if you really want a "
                 "non-default firmware");
            set_str(&b->kernel, NULL);
        }
    }

    replace_str(p, "firmware_override", &b->u.hvm.firmware, 0);
    replace_str(p, "bios_path_override", &b->u.hvm.system_firmware, 0);
    if (!get_str(p, "bios", &buf, 0)) {
        TRY(enum_value(p, vxl_bios_type_string_table, "bios", buf, &e,
                       EXIT_XL_FAIL,
                       MSG_INVALID_VALUE));
        b->u.hvm.bios = e;
    } else if (b->u.hvm.system_firmware) {
        warn(p, "bios_path_override", "add bios=\"seabios\" or \"ovmf\"",
             "WARNING: bios_path_override given without specific bios "
             "name");
    }

    get_defbool(p, "pae", &b->u.hvm.pae, 0);
    get_defbool(p, "acpi_s3", &b->u.hvm.acpi_s3, 0);
    get_defbool(p, "acpi_s4", &b->u.hvm.acpi_s4, 0);
    get_defbool(p, "acpi_laptop_slate", &b->u.hvm.acpi_laptop_slate, 0);
    get_defbool(p, "nx", &b->u.hvm.nx, 0);
    get_defbool(p, "hpet", &b->u.hvm.hpet, 0);
    get_defbool(p, "vpt_align", &b->u.hvm.vpt_align, 0);
    get_defbool(p, "apic", &b->apic, 0);

    TRY(parse_viridian(p));

    if (!get_long(p, "mmio_hole", &l, 0)) {
        uint64_t bytes;

        b->u.hvm.mmio_hole_memkb = (uint64_t)l * 1024;
        bytes = b->u.hvm.mmio_hole_memkb * 1024;
        if (bytes < HVM_BELOW_4G_MMIO_LENGTH ||
            bytes > HVM_BELOW_4G_MMIO_START)
            return fail(p, EXIT_XL_FAIL, "mmio_hole",
                        "mmio_hole is in MiB, from 256 to 3840",
                        "ERROR: invalid value %ld for \"mmio_hole\"", l);
    }

    if (!get_defbool(p, "altp2mhvm", &b->u.hvm.altp2m, 0))
        warn(p, "altp2mhvm", "write altp2m= instead",
             "WARNING: Specifying \"altp2mhvm\" is deprecated. Please use "
             "\"altp2m\" instead.");

    replace_str(p, "smbios_firmware", &b->u.hvm.smbios_firmware, 0);
    replace_str(p, "acpi_firmware", &b->u.hvm.acpi_firmware, 0);

    if (!get_str(p, "ms_vm_genid", &buf, 0)) {
        if (!strcmp(buf, "generate")) {
            if (genid_generate(&b->u.hvm.ms_vm_genid))
                return fail(p, EXIT_XL_FAIL, "ms_vm_genid", NULL,
                            "ERROR: failed to generate a VM Generation ID");
        } else if (strcmp(buf, "none")) {
            return fail(p, EXIT_XL_FAIL, "ms_vm_genid", NULL,
                        "ERROR: \"ms_vm_genid\" option must be \"generate\" "
                        "or \"none\"");
        }
    }

    if (!get_long(p, "rdm_mem_boundary", &l, 0))
        b->u.hvm.rdm_mem_boundary_memkb = (uint64_t)l * 1024;

    TRY(parse_mca_caps(p));
    return parse_hvm_firmware(p);
}

static int parse_pv_kernel(struct pc *p)
{
    vxl_domain_build_info *b = &p->d->b_info;
    const char *buf;

    if (!get_str(p, "firmware", &buf, 0)) {
        if (b->kernel)
            return fail(p, EXIT_XL_FAIL, "firmware",
                        "firmware= loads a kernel; drop one of the two",
                        "ERROR: both kernel and firmware specified");
        if (!is_prefix_of(buf, "pvgrub32") && !is_prefix_of(buf, "pvgrub64"))
            return fail(p, EXIT_XL_FAIL, "firmware",
                        "firmware is \"pvgrub32\" or \"pvgrub64\" here",
                        "ERROR: only pvgrub{32|64} supported as firmware "
                        "options");
        free(b->kernel);
        b->kernel = xasprintf(VXL_XENFIRMWAREDIR "/%s.bin", buf);
    }
    if (!b->bootloader && !b->kernel) {
        static const char *const where[] = {
            "kernel", "bootloader", "type", "builder", NULL,
        };
        return fail_missing(p, EXIT_XL_FAIL, where,
                            b->type == VXL_DOMAIN_TYPE_PV
                                ? "set kernel=\"/path/to/vmlinuz\" or "
                                  "bootloader=\"pygrub\"; for a fully "
                                  "virtualised guest, set type=\"hvm\""
                                : "set kernel=\"/path/to/vmlinuz\" or "
                                  "bootloader=\"pygrub\"",
                            "Neither kernel nor bootloader specified");
    }
    return 0;
}

/* ioports = [ "HEX[-HEX]", ... ] */
static int parse_ioports(struct pc *p)
{
    vxl_domain_build_info *b = &p->d->b_info;
    const cfg_list *list;
    int n;

    if (cfg_get_list(p->cfg, "ioports", &list, &n, 0, p->diags))
        return 0;
    for (int i = 0; i < n; i++) {
        const char *buf = cfg_listitem(list, i), *buf2;
        vxl_ioport_range *r = vxl_build_info_add_ioport(b);
        uint32_t start, end;
        unsigned long ul;
        char *ep;

        if (!buf)
            return fail_item(p, EXIT_XL_FAIL, list, i, NULL,
                             "xl: Unable to get element #%d in ioport list",
                             i);
        ul = strtoul(buf, &ep, 16);
        if (ep == buf)
            return fail_item(p, EXIT_XL_FAIL, list, i,
                             "ioports are hex: \"2f8-2ff\"",
                             "xl: Invalid argument parsing ioport: %s", buf);
        if (ul >= UINT32_MAX)
            return fail_item(p, EXIT_XL_FAIL, list, i, NULL,
                             "xl: ioport %lx too big", ul);
        start = end = ul;
        if (*ep == '-') {
            buf2 = ep + 1;
            ul = strtoul(buf2, &ep, 16);
            /* xl compares start with end before it reads end, so a
             * reversed range passes (and wraps). */
            if (ep == buf2 || *ep != '\0')
                return fail_item(p, EXIT_XL_FAIL, list, i,
                                 "ioports are hex: \"2f8-2ff\"",
                                 "xl: Invalid argument parsing ioport: %s",
                                 buf);
            if (ul >= UINT32_MAX)
                return fail_item(p, EXIT_XL_FAIL, list, i, NULL,
                                 "xl: ioport %lx too big", ul);
            end = ul;
        } else if (*ep != '\0') {
            cfg_pos pos;
            if (cfg_list_item_pos(list, i, &pos))
                key_pos(p, "ioports", &pos);
            vxl_diag_add(p->diags, VXL_WARNING, pos.file, pos.line, pos.col,
                         "only the leading number was used",
                         "xl: Invalid argument parsing ioport: %s", buf);
        }
        r->first = start;
        r->number = end - start + 1;
    }
    return 0;
}

static int parse_irqs(struct pc *p)
{
    vxl_domain_build_info *b = &p->d->b_info;
    const cfg_list *list;
    int n;

    if (cfg_get_list(p->cfg, "irqs", &list, &n, 0, p->diags))
        return 0;
    for (int i = 0; i < n; i++) {
        const char *buf = cfg_listitem(list, i);
        unsigned long ul;
        char *ep;

        if (!buf)
            return fail_item(p, EXIT_XL_FAIL, list, i, NULL,
                             "xl: Unable to get element %d in irq list", i);
        ul = strtoul(buf, &ep, 10);
        if (ep == buf || *ep != '\0')
            return fail_item(p, EXIT_XL_FAIL, list, i,
                             "irqs are decimal numbers",
                             "xl: Invalid argument parsing irq: %s", buf);
        if (ul >= UINT32_MAX)
            return fail_item(p, EXIT_XL_FAIL, list, i, NULL,
                             "xl: irq %lx too big", ul);
        vxl_build_info_add_irq(b, ul);
    }
    return 0;
}

static int parse_iomem(struct pc *p)
{
    vxl_domain_build_info *b = &p->d->b_info;
    const cfg_list *list;
    int n;

    if (cfg_get_list(p->cfg, "iomem", &list, &n, 0, p->diags))
        return 0;
    for (int i = 0; i < n; i++) {
        const char *buf = cfg_listitem(list, i);
        vxl_iomem_range *r;
        int used = 0, ret;

        if (!buf)
            return fail_item(p, EXIT_XL_FAIL, list, i, NULL,
                             "xl: Unable to get element %d in iomem list", i);
        r = vxl_build_info_add_iomem(b);
        ret = sscanf(buf, "%" SCNx64 ",%" SCNx64 "%n@%" SCNx64 "%n",
                     &r->start, &r->number, &used, &r->gfn, &used);
        if (ret < 2 || buf[used] != '\0')
            return fail_item(p, EXIT_XL_FAIL, list, i,
                             "iomem is \"START,NUM[@GFN]\" in hex page "
                             "numbers",
                             "xl: Invalid argument parsing iomem: %s", buf);
    }
    return 0;
}

static int parse_cpuid(struct pc *p)
{
    vxl_cpuid_policy_list *pol = &p->d->b_info.cpuid;
    const cfg_list *list;
    const char *buf;

    switch (cfg_get_list(p->cfg, "cpuid", &list, NULL, 1, p->diags)) {
    case 0:
        for (int i = 0; (buf = cfg_listitem(list, i)); i++) {
            int e = vxl_cpuid_parse_xend(pol, buf);
            cfg_pos pos;

            if (!e)
                continue;
            /* xl reports and goes on. */
            if (cfg_list_item_pos(list, i, &pos))
                key_pos(p, "cpuid", &pos);
            vxl_diag_add(p->diags, VXL_WARNING, pos.file, pos.line, pos.col,
                         "this item was ignored",
                         "while parsing CPUID line: \"%s\": error #%i: %s",
                         buf, e, vxl_cpuid_strerror(1, e));
        }
        break;
    case EINVAL:
        if (!get_str(p, "cpuid", &buf, 0)) {
            char *s = xstrdup(buf), *save = NULL;
            char *t = strtok_r(s, ",", &save);

            if (t && strcmp(t, "host")) {
                warn(p, "cpuid", "write cpuid=\"host,FLAG=VALUE,...\"",
                     "while parsing CPUID string: \"%s\": error: first word "
                     "must be \"host\"", buf);
                t = NULL;
            } else if (t) {
                t = strtok_r(NULL, ",", &save);
            }
            for (; t; t = strtok_r(NULL, ",", &save)) {
                int e = vxl_cpuid_parse_flag(pol, t);
                if (e)
                    warn(p, "cpuid", "this flag was ignored",
                         "while parsing CPUID flag: \"%s\": error #%i: %s",
                         t, e, vxl_cpuid_strerror(0, e));
            }
            free(s);
        }
        break;
    default:
        break;
    }
    return 0;
}

static int parse_device_model(struct pc *p)
{
    vxl_domain_build_info *b = &p->d->b_info;
    const char *buf;
    long l;

    if (!get_str(p, "device_model", &buf, 0)) {
        warn(p, "device_model", "use device_model_override= for a "
             "non-default device model",
             "WARNING: ignoring device_model directive.");
        if (strstr(buf, "stubdom-dm")) {
            if (p->d->c_info.type == VXL_DOMAIN_TYPE_HVM)
                warn(p, "device_model", NULL,
                     "WARNING: Or use \"device_model_stubdomain_override\" "
                     "if you  want to enable stubdomains");
            else
                warn(p, "device_model", NULL,
                     "WARNING: ignoring \"device_model_stubdomain_override\" "
                     "directive for pv guest");
        }
    }

    replace_str(p, "device_model_override", &b->device_model, 0);
    if (!get_str(p, "device_model_version", &buf, 0)) {
        if (!strcmp(buf, "qemu-xen-traditional"))
            b->device_model_version =
                VXL_DEVICE_MODEL_VERSION_QEMU_XEN_TRADITIONAL;
        else if (!strcmp(buf, "qemu-xen"))
            b->device_model_version = VXL_DEVICE_MODEL_VERSION_QEMU_XEN;
        else
            return fail(p, EXIT_XL_FAIL, "device_model_version",
                        "device_model_version is \"qemu-xen\" or "
                        "\"qemu-xen-traditional\"",
                        "Unknown device_model_version \"%s\" specified", buf);
    } else if (b->device_model) {
        warn(p, "device_model_override", "add device_model_version=",
             "WARNING: device model override given without specific DM "
             "version");
    }
    get_defbool(p, "device_model_stubdomain_override",
                &b->device_model_stubdomain, 0);
    if (!get_str(p, "device_model_stubdomain_seclabel", &buf, 0))
        replace_str(p, "device_model_stubdomain_seclabel",
                    &b->device_model_ssid_label, 0);
    replace_str(p, "device_model_user", &b->device_model_user, 0);
    replace_str(p, "stubdomain_kernel", &b->stubdomain_kernel, 0);
    replace_str(p, "stubdomain_cmdline", &b->stubdomain_cmdline, 0);
    replace_str(p, "stubdomain_ramdisk", &b->stubdomain_ramdisk, 0);
    if (!get_long(p, "stubdomain_memory", &l, 0))
        b->stubdomain_memkb = (uint64_t)l * 1024;

    static const struct { const char *key; size_t off; } args[] = {
        { "device_model_args", offsetof(vxl_domain_build_info, extra) },
        { "device_model_args_pv", offsetof(vxl_domain_build_info, extra_pv) },
        { "device_model_args_hvm",
          offsetof(vxl_domain_build_info, extra_hvm) },
    };
    for (size_t i = 0; i < ARRAY_SIZE(args); i++) {
        vxl_string_list *sl = (vxl_string_list *)((char *)b + args[i].off);
        int e = get_string_list(p, args[i].key, sl, 0);
        if (e && e != ESRCH)
            return fail(p, EXIT_ERROR_FAIL, args[i].key,
                        "write it as a list: [ \"-arg\", \"value\" ]",
                        "xl: Unable to parse %s.", args[i].key);
    }
    return 0;
}

static void parse_vnc(struct pc *p, vxl_vnc_info *vnc)
{
    long l;

    get_defbool(p, "vnc", &vnc->enable, 0);
    replace_str(p, "vnclisten", &vnc->listen, 0);
    replace_str(p, "vncpasswd", &vnc->passwd, 0);
    if (!get_long(p, "vncdisplay", &l, 0))
        vnc->display = l;
    get_defbool(p, "vncunused", &vnc->findunused, 0);
}

static void parse_sdl(struct pc *p, vxl_sdl_info *sdl)
{
    get_defbool(p, "sdl", &sdl->enable, 0);
    get_defbool(p, "opengl", &sdl->opengl, 0);
    replace_str(p, "display", &sdl->display, 0);
    replace_str(p, "xauthority", &sdl->xauthority, 0);
}

/* A PV guest without vfb= gets its VNC/SDL display from the top-level
 * options: one vfb and one vkb, placed first (devid 0) as in xl. */
static void parse_pv_display(struct pc *p)
{
    vxl_domain_config *d = p->d;
    vxl_device_vfb *vfb;
    vxl_device_vkb *vkb;
    long enabled = 0;

    get_long(p, "vnc", &enabled, 0);
    if (!enabled)
        return;

    vfb = vxl_domain_config_add_vfb(d);
    vfb->devid = d->num_vfbs - 1;

    /* xl makes it right after the vfb= ones, before any vkb= entries
     * (vkb= is read later, so there are none yet; keep the order anyway). */
    vkb = vxl_domain_config_add_vkb(d);
    for (int i = d->num_vkbs - 1; i > d->num_vfbs - 1; i--) {
        vxl_device_vkb tmp = d->vkbs[i];
        d->vkbs[i] = d->vkbs[i - 1];
        d->vkbs[i - 1] = tmp;
        d->vkbs[i].devid = i;
    }
    vkb = &d->vkbs[d->num_vfbs - 1];
    vkb->devid = d->num_vfbs - 1;

    parse_vnc(p, &vfb->vnc);
    parse_sdl(p, &vfb->sdl);
    replace_str(p, "keymap", &vfb->keymap, 0);
}

/* serial= / usbdevice=: a list, or a single string. */
static int parse_list_or_string(struct pc *p, const char *key,
                                vxl_string_list *list, char **single)
{
    switch (get_string_list(p, key, list, 1)) {
    case 0:
    case ESRCH:
        return 0;
    case EINVAL:
        if (!replace_str(p, key, single, 0))
            return 0;
        /* fall through */
    default:
        return fail(p, EXIT_ERROR_FAIL, key, NULL,
                    "xl: Unable to parse %s.", key);
    }
}

static int parse_hvm_display(struct pc *p)
{
    vxl_domain_build_info *b = &p->d->b_info;
    const char *buf;
    long l;
    int e;

    if (!get_str(p, "vga", &buf, 0)) {
        if (!strcmp(buf, "stdvga"))
            b->u.hvm.vga.kind = VXL_VGA_INTERFACE_TYPE_STD;
        else if (!strcmp(buf, "cirrus"))
            b->u.hvm.vga.kind = VXL_VGA_INTERFACE_TYPE_CIRRUS;
        else if (!strcmp(buf, "none"))
            b->u.hvm.vga.kind = VXL_VGA_INTERFACE_TYPE_NONE;
        else if (!strcmp(buf, "qxl"))
            b->u.hvm.vga.kind = VXL_VGA_INTERFACE_TYPE_QXL;
        else
            return fail(p, EXIT_XL_FAIL, "vga",
                        "vga is one of stdvga, cirrus, none, qxl",
                        "Unknown vga \"%s\" specified", buf);
    } else if (!get_long(p, "stdvga", &l, 0)) {
        b->u.hvm.vga.kind = l ? VXL_VGA_INTERFACE_TYPE_STD
                              : VXL_VGA_INTERFACE_TYPE_CIRRUS;
    }

    if (!get_str(p, "hdtype", &buf, 0)) {
        TRY(enum_value(p, vxl_hdtype_string_table, "hdtype", buf, &e,
                       EXIT_XL_FAIL,
                       MSG_INVALID_VALUE));
        b->u.hvm.hdtype = e;
    }

    vxl_spice_info *sp = &b->u.hvm.spice;
    replace_str(p, "keymap", &b->u.hvm.keymap, 0);
    get_defbool(p, "spice", &sp->enable, 0);
    if (!get_long(p, "spiceport", &l, 0))
        sp->port = l;
    if (!get_long(p, "spicetls_port", &l, 0))
        sp->tls_port = l;
    replace_str(p, "spicehost", &sp->host, 0);
    get_defbool(p, "spicedisable_ticketing", &sp->disable_ticketing, 0);
    replace_str(p, "spicepasswd", &sp->passwd, 0);
    get_defbool(p, "spiceagent_mouse", &sp->agent_mouse, 0);
    get_defbool(p, "spicevdagent", &sp->vdagent, 0);
    get_defbool(p, "spice_clipboard_sharing", &sp->clipboard_sharing, 0);
    if (!get_long(p, "spiceusbredirection", &l, 0))
        sp->usbredirection = l;
    replace_str(p, "spice_image_compression", &sp->image_compression, 0);
    replace_str(p, "spice_streaming_video", &sp->streaming_video, 0);
    get_defbool(p, "nographic", &b->u.hvm.nographic, 0);

    if (!cfg_get_long(p->cfg, "gfx_passthru", &l, 1, p->diags)) {
        vxl_defbool_set(&b->u.hvm.gfx_passthru, l != 0);
    } else if (!get_str(p, "gfx_passthru", &buf, 0)) {
        TRY(enum_value(p, vxl_gfx_passthru_kind_string_table, "gfx_passthru",
                       buf, &e, EXIT_XL_FAIL,
                       MSG_INVALID_VALUE));
        b->u.hvm.gfx_passthru_kind = e;
        vxl_defbool_set(&b->u.hvm.gfx_passthru, true);
    }

    TRY(parse_list_or_string(p, "serial", &b->u.hvm.serial_list,
                             &b->u.hvm.serial));
    replace_str(p, "boot", &b->u.hvm.boot, 0);
    get_defbool(p, "usb", &b->u.hvm.usb, 0);
    if (!get_long(p, "usbversion", &l, 0))
        b->u.hvm.usbversion = l;
    TRY(parse_list_or_string(p, "usbdevice", &b->u.hvm.usbdevice_list,
                             &b->u.hvm.usbdevice));
    get_defbool(p, "vkb_device", &b->u.hvm.vkb_device, 0);
    replace_str(p, "soundhw", &b->u.hvm.soundhw, 0);
    get_defbool(p, "xen_platform_pci", &b->u.hvm.xen_platform_pci, 0);

    if (b->u.hvm.vnc.listen && b->u.hvm.vnc.display &&
        strchr(b->u.hvm.vnc.listen, ':'))
        return fail(p, EXIT_XL_FAIL, "vncdisplay",
                    "give the display either as vnclisten=\"ADDR:DISPLAY\" "
                    "or as vncdisplay=",
                    "ERROR: Display specified both in vnclisten and "
                    "vncdisplay!");

    if (!get_str(p, "vendor_device", &buf, 0)) {
        TRY(enum_value(p, vxl_vendor_device_string_table, "vendor_device",
                       buf, &e, EXIT_ERROR_FAIL,
                       MSG_XL_UNKNOWN));
        b->u.hvm.vendor_device = e;
    }
    return 0;
}

static int parse_display_and_dm(struct pc *p)
{
    vxl_domain_config *d = p->d;
    vxl_domain_build_info *b = &d->b_info;
    const char *buf;
    int e;

    TRY(parse_cpuid(p));
    TRY(parse_device_model(p));

    if (d->c_info.type == VXL_DOMAIN_TYPE_PV && !d->num_vfbs) {
        parse_pv_display(p);
    } else if (d->c_info.type == VXL_DOMAIN_TYPE_HVM) {
        parse_vnc(p, &b->u.hvm.vnc);
        parse_sdl(p, &b->u.hvm.sdl);
    }
    /* (xl also reads them for PV guests with vfb= and for PVH guests,
     * into memory nothing looks at.) */

    get_defbool(p, "dm_restrict", &b->dm_restrict, 0);

    if (d->c_info.type == VXL_DOMAIN_TYPE_HVM)
        TRY(parse_hvm_display(p));

    if (!cfg_get_string(p->cfg, "gic_version", &buf, 1, p->diags)) {
        TRY(enum_value(p, vxl_gic_version_string_table, "gic_version", buf,
                       &e, EXIT_ERROR_FAIL,
                       MSG_UNKNOWN_SPECIFIED));
        b->arch_arm.gic_version = e;
    }
    if (!cfg_get_string(p->cfg, "tee", &buf, 1, p->diags)) {
        TRY(enum_value(p, vxl_tee_type_string_table, "tee", buf, &e,
                       EXIT_ERROR_FAIL, MSG_UNKNOWN_SPECIFIED));
        b->tee = e;
    }
    return 0;
}

static int parse_tail(struct pc *p)
{
    vxl_domain_config *d = p->d;

    get_defbool(p, "xend_suspend_evtchn_compat",
                &d->c_info.xend_suspend_evtchn_compat, 0);
    if (!get_defbool(p, "msr_relaxed", &d->b_info.arch_x86.msr_relaxed, 0))
        warn(p, "msr_relaxed", "if it fixes an issue, report it to "
             "xen-devel@lists.xenproject.org",
             "WARNING: msr_relaxed will be removed in future versions.");
    get_defbool(p, "vpmu", &d->b_info.vpmu, 0);
    return 0;
}

static int parse_altp2m_vmtrace(struct pc *p)
{
    vxl_domain_build_info *b = &p->d->b_info;
    long l;
    int e = b->altp2m;

    TRY(parse_mode(p, "altp2m", vxl_altp2m_mode_string_table,
                   VXL_ALTP2M_MODE_DISABLED, VXL_ALTP2M_MODE_LIMITED, &e));
    b->altp2m = e;
    if (!cfg_get_long(p->cfg, "vmtrace_buf_kb", &l, 1, p->diags) && l)
        b->vmtrace_buf_kb = l;
    return 0;
}

static int parse_all(struct pc *p)
{
    vxl_domain_config *d = p->d;
    vxl_domain_build_info *b = &d->b_info;
    long vcpus = 0;

    TRY(parse_seclabels(p));
    vxl_defbool_set(&d->c_info.run_hotplug_scripts,
                    p->xlconf ? p->xlconf->run_hotplug_scripts : 1);
    TRY(parse_type(p));
    TRY(parse_identity(p));

    vxl_domain_build_info_init_type(b, d->c_info.type);
    TRY(parse_pvshim(p));
    if (p->xlconf && p->xlconf->blkdev_start)
        set_str(&b->blkdev_start, p->xlconf->blkdev_start);

    TRY(parse_sched(p));
    TRY(parse_memory_vcpus(p, &vcpus));
    TRY(parse_vnuma(p));

    /* Unless set by maxmem=/maxvcpus= or vnuma, the maximum is the
     * initial amount. */
    if (b->max_memkb == VXL_MEMKB_DEFAULT)
        b->max_memkb = b->target_memkb;
    if (b->max_vcpus == 0)
        b->max_vcpus = vcpus;
    if (b->max_vcpus < vcpus) {
        static const char *const where[] = { "maxvcpus", "vcpus", NULL };
        char *hint = cfg_setting_pos(p->cfg, "maxvcpus", &(cfg_pos){ 0 })
            ? xasprintf("the vnuma nodes list only %d vcpus", b->max_vcpus)
            : xstrdup("maxvcpus must be at least vcpus");
        fail_missing(p, EXIT_XL_FAIL, where, hint, "xl: maxvcpus < vcpus");
        free(hint);
        return EXIT_XL_FAIL;
    }

    TRY(parse_affinity(p, "cpus", true));
    TRY(parse_affinity(p, "cpus_soft", false));
    TRY(parse_grants_claim(p));
    TRY(parse_actions(p));
    TRY(vxl_parse_devices_pci(p->cfg, p->host, p->xlconf, d, p->diags));

    TRY(parse_general(p));
    if (b->type == VXL_DOMAIN_TYPE_HVM)
        TRY(parse_hvm(p));
    else
        TRY(parse_pv_kernel(p));
    TRY(parse_altp2m_vmtrace(p));
    TRY(parse_ioports(p));
    TRY(parse_irqs(p));
    TRY(parse_iomem(p));

    TRY(vxl_parse_devices_lists(p->cfg, p->host, p->xlconf, d, p->diags));

    TRY(parse_display_and_dm(p));
    TRY(vxl_parse_devices_vkb(p->cfg, p->host, p->xlconf, d, p->diags));
    return parse_tail(p);
}

int vxl_parse_domain_config(const cfg_config *cfg,
                            const struct vxl_host *host,
                            const struct vxl_xlconf *xlconf,
                            vxl_domain_config *d, vxl_diags *diags)
{
    struct pc p = {
        .cfg = cfg, .host = host, .xlconf = xlconf, .d = d, .diags = diags,
    };

    return parse_all(&p);
}

/* ---- xl.conf's global affinity masks -------------------------------- */

static int parse_mask(struct pc *p, const char *spec, vxl_bitmap *m)
{
    if (!spec) {
        cpu_bitmap_alloc(p, m, 0);
        vxl_bitmap_set_any(m);
        return 0;
    }
    return parse_cpumap(p, spec, m, NULL, NULL, 0);
}

int vxl_apply_global_affinity_masks(const cfg_config *cfg,
                                    vxl_domain_config *d,
                                    const struct vxl_host *host,
                                    const struct vxl_xlconf *xlconf,
                                    vxl_diags *diags)
{
    struct pc p = { .cfg = cfg, .host = host, .xlconf = xlconf, .d = d,
                    .diags = diags };
    vxl_domain_build_info *b = &d->b_info;
    vxl_bitmap vm, type_mask;
    const char *type_spec;
    int rc = 0;

    /* Without masks this still rejects vCPUs whose map is empty. */
    if (!xlconf)
        type_spec = NULL;
    else
        type_spec = b->type == VXL_DOMAIN_TYPE_PV ? xlconf->vm_pv_cpumask
                                                   : xlconf->vm_hvm_cpumask;
    vxl_bitmap_init(&vm);
    vxl_bitmap_init(&type_mask);
    if (parse_mask(&p, xlconf ? xlconf->vm_cpumask : NULL, &vm) ||
        parse_mask(&p, type_spec, &type_mask)) {
        rc = EXIT_XL_FAIL;
        goto out;
    }

    if (b->num_vcpu_hard_affinity == 0 &&
        (!vxl_bitmap_is_full(&vm) || !vxl_bitmap_is_full(&type_mask))) {
        b->num_vcpu_hard_affinity = b->max_vcpus;
        b->vcpu_hard_affinity = xcalloc(b->max_vcpus ? b->max_vcpus : 1,
                                        sizeof(vxl_bitmap));
        for (int i = 0; i < b->max_vcpus; i++) {
            cpu_bitmap_alloc(&p, &b->vcpu_hard_affinity[i], 0);
            vxl_bitmap_set_any(&b->vcpu_hard_affinity[i]);
        }
    }

    for (int i = 0; i < b->num_vcpu_hard_affinity; i++) {
        vxl_bitmap *t = &b->vcpu_hard_affinity[i];
        int any = 0;

        for (int bit = 0; bit < vxl_bitmap_nr_bits(t); bit++) {
            if (vxl_bitmap_test(t, bit) && vxl_bitmap_test(&vm, bit) &&
                vxl_bitmap_test(&type_mask, bit))
                any = 1;
            else
                vxl_bitmap_reset(t, bit);
        }
        if (!any) {
            bool masked = !vxl_bitmap_is_full(&vm) ||
                          !vxl_bitmap_is_full(&type_mask);
            char *hint = masked
                ? xasprintf("no CPU is left for vCPU %d once xl.conf's "
                            "vm.cpumask, vm.pv.cpumask and vm.hvm.cpumask "
                            "apply", i)
                : xasprintf("vCPU %d would have no CPU to run on", i);
            cfg_pos pos;

            fail(&p, EXIT_XL_FAIL,
                 cfg && !cfg_setting_pos(cfg, "cpus", &pos) ? "cpus" : NULL,
                 hint, "vcpu hard affinity map is empty");
            free(hint);
            rc = EXIT_XL_FAIL;
            goto out;
        }
    }
out:
    vxl_bitmap_dispose(&vm);
    vxl_bitmap_dispose(&type_mask);
    return rc;
}

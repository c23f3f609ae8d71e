/* cfgparse/cfg.c — the xl.cfg reader's store and lookups (cfg.h):
 * libxlu_cfg.c's xlu_cfg_* semantics, warnings as diagnostics. */
#include "cfgparse/cfg_int.h"
#include "common/util.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- store ---------------------------------------------------------- */

cfg_config *cfg_init(const char *filename)
{
    cfg_config *cfg = xcalloc(1, sizeof(*cfg));
    cfg->filename = xstrdup(filename ? filename : "");
    return cfg;
}

void cfg__value_free(struct cfg_value *v)
{
    if (!v)
        return;
    if (v->type == CFG_STRING) {
        free(v->u.str.s);
    } else {
        for (int i = 0; i < v->u.list.n; i++)
            cfg__value_free(v->u.list.v[i]);
        free(v->u.list.v);
    }
    free(v);
}

void cfg_destroy(cfg_config *cfg)
{
    if (!cfg)
        return;
    for (int i = 0; i < cfg->nset; i++) {
        free(cfg->set[i].name);
        cfg__value_free(cfg->set[i].value);
    }
    free(cfg->set);
    free(cfg->hash);
    for (int i = 0; i < cfg->norigins; i++)
        free(cfg->origins[i]);
    free(cfg->origins);
    free(cfg->filename);
    free(cfg);
}

const char *cfg_filename(const cfg_config *cfg)
{
    return cfg->filename;
}

const char *cfg__origin(cfg_config *cfg, const char *origin)
{
    if (!origin || origin == cfg->filename || !strcmp(origin, cfg->filename))
        return cfg->filename;
    for (int i = 0; i < cfg->norigins; i++)
        if (origin == cfg->origins[i] || !strcmp(origin, cfg->origins[i]))
            return cfg->origins[i];
    cfg->origins = xreallocarray(cfg->origins, (size_t)cfg->norigins + 1,
                                 sizeof(*cfg->origins));
    return cfg->origins[cfg->norigins++] = xstrdup(origin);
}

static size_t hash_name(const char *s)
{
    size_t h = 5381;
    while (*s)
        h = h * 33 + (unsigned char)*s++;
    return h;
}

/* Slot of name in the hash table: its entry, or the empty slot for it. */
static size_t hash_slot(const cfg_config *cfg, const char *name)
{
    size_t m = cfg->hcap - 1, i = hash_name(name) & m;
    while (cfg->hash[i] >= 0 && strcmp(cfg->set[cfg->hash[i]].name, name))
        i = (i + 1) & m;
    return i;
}

static void hash_grow(cfg_config *cfg)
{
    size_t cap = cfg->hcap ? cfg->hcap * 2 : 64;
    free(cfg->hash);
    cfg->hash = xreallocarray(NULL, cap, sizeof(*cfg->hash));
    cfg->hcap = cap;
    for (size_t i = 0; i < cap; i++)
        cfg->hash[i] = -1;
    for (int i = 0; i < cfg->nset; i++)
        cfg->hash[hash_slot(cfg, cfg->set[i].name)] = i;
}

int cfg__find(const cfg_config *cfg, const char *name)
{
    if (!cfg->hcap)
        return -1;
    return cfg->hash[hash_slot(cfg, name)];
}

void cfg__add_setting(cfg_config *cfg, char *name, struct cfg_value *value,
                      enum cfg_op op, cfg_pos pos)
{
    if (cfg->nset == INT_MAX)
        abort();
    if (cfg->nset == cfg->capset) {
        cfg->capset = cfg->capset ? cfg->capset * 2 : 32;
        cfg->set = xreallocarray(cfg->set, (size_t)cfg->capset,
                                 sizeof(*cfg->set));
    }
    if ((size_t)cfg->nset * 2 >= cfg->hcap)
        hash_grow(cfg);
    cfg_setting *s = &cfg->set[cfg->nset];
    s->name = name;
    s->value = value;
    s->op = op;
    s->pos = pos;
    /* the latest setting of a name wins */
    cfg->hash[hash_slot(cfg, name)] = cfg->nset++;
}

/* ---- reading -------------------------------------------------------- */

int cfg_readdata(cfg_config *cfg, const char *data, size_t len,
                 vxl_diags *d)
{
    return cfg__parse(cfg, data, len, (size_t)-1, NULL, d);
}

int cfg_readdata_extra(cfg_config *cfg, const char *data, size_t len,
                       const char *extra, size_t extra_len,
                       const char *origin, vxl_diags *d)
{
    if (!extra || !extra_len)
        return cfg_readdata(cfg, data, len, d);
    /* xl: config_data + "\n" + extra_config + "\n" */
    char *buf = xmalloc(len + extra_len + 2);
    memcpy(buf, data, len);
    buf[len] = '\n';
    memcpy(buf + len + 1, extra, extra_len);
    buf[len + 1 + extra_len] = '\n';
    int rc = cfg__parse(cfg, buf, len + extra_len + 2, len + 1,
                        origin ? origin : "command line", d);
    free(buf);
    return rc;
}

char *cfg_join_overrides(int argc, char *const *argv)
{
    strbuf sb = {0};
    sb_puts(&sb, "");
    for (int i = 0; i < argc; i++) {
        sb_puts(&sb, argv[i]);
        sb_putc(&sb, '\n');
    }
    return sb_steal(&sb);
}

/* Read a whole file into memory. */
static int slurp(const char *path, char **buf_r, size_t *len_r)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return errno;
    strbuf sb = {0};
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        sb_append(&sb, chunk, n);
    int e = ferror(f) ? (errno ? errno : EIO) : 0;
    fclose(f);
    if (e) {
        sb_free(&sb);
        return e;
    }
    *len_r = sb.len;
    *buf_r = sb_steal(&sb);
    return 0;
}

int cfg_readfile(cfg_config *cfg, const char *path, vxl_diags *d)
{
    char *buf;
    size_t len;
    int e = slurp(path, &buf, &len);
    if (e) {
        if (d)
            vxl_diag_add(d, VXL_ERROR, path, 0, 0, NULL,
                         "unable to open configuration file: %s",
                         strerror(e));
        return e;
    }
    e = cfg_readdata(cfg, buf, len, d);
    free(buf);
    return e;
}

/* ---- lookups -------------------------------------------------------- */

static void warn(vxl_diags *d, const cfg_pos *p, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void warn(vxl_diags *d, const cfg_pos *p, const char *fmt, ...)
{
    if (!d)
        return;
    va_list ap;
    va_start(ap, fmt);
    char *msg = xvasprintf(fmt, ap);
    va_end(ap);
    vxl_diag_add(d, VXL_WARNING, p->file, p->line, p->col, NULL, "%s", msg);
    free(msg);
}

static const cfg_setting *find(const cfg_config *cfg, const char *name)
{
    int i = cfg__find(cfg, name);
    return i < 0 ? NULL : &cfg->set[i];
}

static int find_atom(const cfg_config *cfg, const char *name,
                     const cfg_setting **set_r, int dont_warn, vxl_diags *d)
{
    const cfg_setting *s = find(cfg, name);
    if (!s)
        return ESRCH;
    if (s->value->type != CFG_STRING) {
        if (!dont_warn)
            warn(d, &s->value->pos,
                 "parameter `%s' is a list but should be a single value",
                 name);
        return EINVAL;
    }
    *set_r = s;
    return 0;
}

int cfg_get_string(const cfg_config *cfg, const char *name,
                   const char **value_r, int dont_warn, vxl_diags *d)
{
    const cfg_setting *s;
    int e = find_atom(cfg, name, &s, dont_warn, d);
    if (e)
        return e;
    *value_r = s->value->u.str.s;
    return 0;
}

int cfg_replace_string(const cfg_config *cfg, const char *name,
                       char **value_r, int dont_warn, vxl_diags *d)
{
    const cfg_setting *s;
    int e = find_atom(cfg, name, &s, dont_warn, d);
    if (e)
        return e;
    free(*value_r);
    *value_r = xstrdup(s->value->u.str.s);
    return 0;
}

int cfg_get_bounded_long(const cfg_config *cfg, const char *name,
                         long min, long max, long *value_r,
                         int dont_warn, vxl_diags *d)
{
    const cfg_setting *s;
    int e = find_atom(cfg, name, &s, dont_warn, d);
    if (e)
        return e;
    const cfg_pos *p = &s->value->pos;
    if (s->op == CFG_OP_ADDITION) {
        if (!dont_warn)
            warn(d, p, "can't use += with numbers for parameter `%s'",
                 name);
        return EINVAL;
    }
    const char *str = s->value->u.str.s;
    char *ep;
    errno = 0;
    long l = strtol(str, &ep, 0);
    if (errno) {
        e = errno;
        if (!dont_warn)
            warn(d, p, "parameter `%s' could not be parsed as a number: %s",
                 name, strerror(e));
        return e;
    }
    if (*ep || ep == str) {
        if (!dont_warn)
            warn(d, p, "parameter `%s' is not a valid number", name);
        return EINVAL;
    }
    if (l < min) {
        if (!dont_warn)
            warn(d, p, "value `%ld' is smaller than minimum bound '%ld'",
                 l, min);
        return EINVAL;
    }
    if (l > max) {
        if (!dont_warn)
            warn(d, p, "value `%ld' is greater than maximum bound '%ld'",
                 l, max);
        return EINVAL;
    }
    *value_r = l;
    return 0;
}

int cfg_get_long(const cfg_config *cfg, const char *name, long *value_r,
                 int dont_warn, vxl_diags *d)
{
    return cfg_get_bounded_long(cfg, name, LONG_MIN, LONG_MAX, value_r,
                                dont_warn, d);
}

int cfg_get_defbool(const cfg_config *cfg, const char *name, int *b,
                    int dont_warn, vxl_diags *d)
{
    long l;
    int e = cfg_get_long(cfg, name, &l, dont_warn, d);
    if (e)
        return e;
    *b = !!l;
    return 0;
}

int cfg_get_list(const cfg_config *cfg, const char *name,
                 const cfg_list **list_r, int *entries_r,
                 int dont_warn, vxl_diags *d)
{
    const cfg_setting *s = find(cfg, name);
    if (!s)
        return ESRCH;
    if (s->value->type != CFG_LIST) {
        if (!dont_warn)
            warn(d, &s->value->pos,
                 "parameter `%s' is a single value but should be a list",
                 name);
        return EINVAL;
    }
    if (list_r)
        *list_r = &s->value->u.list;
    if (entries_r)
        *entries_r = s->value->u.list.n;
    return 0;
}

int cfg_get_list_as_string_list(const cfg_config *cfg, const char *name,
                                char ***sl_r, int *entries_r,
                                int dont_warn, vxl_diags *d)
{
    const cfg_list *l;
    int n;
    int e = cfg_get_list(cfg, name, &l, &n, dont_warn, d);
    if (e)
        return e;
    char **sl = xcalloc((size_t)n + 1, sizeof(*sl));
    for (int i = 0; i < n; i++) {
        const char *a = cfg_listitem(l, i);
        sl[i] = a ? xstrdup(a) : NULL;
    }
    *sl_r = sl;
    if (entries_r)
        *entries_r = n;
    return 0;
}

void cfg_string_list_free(char **sl, int count)
{
    if (!sl)
        return;
    for (int i = 0; i < count; i++)
        free(sl[i]);
    free(sl);
}

const char *cfg_listitem(const cfg_list *list, int n)
{
    if (n < 0 || n >= list->n || list->v[n]->type != CFG_STRING)
        return NULL;
    return list->v[n]->u.str.s;
}

int cfg_list_count(const cfg_list *list)
{
    return list->n;
}

const cfg_value *cfg_list_get(const cfg_list *list, int n)
{
    return n < 0 || n >= list->n ? NULL : list->v[n];
}

enum cfg_value_type cfg_value_type(const cfg_value *value)
{
    return value->type;
}

int cfg_value_get_string(const cfg_config *cfg, const cfg_value *value,
                         const char **value_r, int dont_warn, vxl_diags *d)
{
    if (value->type != CFG_STRING) {
        if (!dont_warn)
            warn(d, &value->pos, "value is not a string");
        *value_r = NULL;
        return EINVAL;
    }
    *value_r = value->u.str.s;
    return 0;
}

int cfg_value_get_list(const cfg_config *cfg, const cfg_value *value,
                       const cfg_list **value_r, int dont_warn,
                       vxl_diags *d)
{
    if (value->type != CFG_LIST) {
        if (!dont_warn)
            warn(d, &value->pos, "value is not a list");
        *value_r = NULL;
        return EINVAL;
    }
    *value_r = &value->u.list;
    return 0;
}

/* ---- positions and iteration ---------------------------------------- */

int cfg_setting_pos(const cfg_config *cfg, const char *name, cfg_pos *pos)
{
    const cfg_setting *s = find(cfg, name);
    if (!s)
        return ESRCH;
    *pos = s->pos;
    return 0;
}

int cfg_setting_value_pos(const cfg_config *cfg, const char *name,
                          cfg_pos *pos)
{
    const cfg_setting *s = find(cfg, name);
    if (!s)
        return ESRCH;
    *pos = s->value->pos;
    return 0;
}

void cfg_value_pos(const cfg_value *value, cfg_pos *pos)
{
    *pos = value->pos;
}

int cfg_list_item_pos(const cfg_list *list, int n, cfg_pos *pos)
{
    if (n < 0 || n >= list->n)
        return ESRCH;
    *pos = list->v[n]->pos;
    return 0;
}

int cfg_nsettings(const cfg_config *cfg)
{
    return cfg->nset;
}

const char *cfg_setting_name(const cfg_config *cfg, int i, cfg_pos *pos)
{
    if (i < 0 || i >= cfg->nset)
        return NULL;
    if (pos)
        *pos = cfg->set[i].pos;
    return cfg->set[i].name;
}

int cfg_setting_op(const cfg_config *cfg, const char *name,
                   enum cfg_op *op_r)
{
    const cfg_setting *s = find(cfg, name);
    if (!s)
        return ESRCH;
    *op_r = s->op;
    return 0;
}

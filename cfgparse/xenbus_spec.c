/* cfgparse/xenbus_spec.c — list items of the small paravirtual devices:
 * p9 (9pfs), vtpm, pvcalls and channel (xl.cfg(5)), plus the tokenising
 * helpers the device-item parsers share. */
#include "cfgparse/dev_specs.h"
#include "common/util.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

const char *spec_option(const char *token, const char *key)
{
    size_t n = strlen(key);
    if (strncmp(token, key, n) || token[n] != '=')
        return NULL;
    return token + n + 1;
}

int spec_split(const char *s, const char *delim, vxl_string_list *out)
{
    char *buf = xstrdup(s), *save = NULL;
    int n = 0;

    *out = NULL;
    for (char *p = strtok_r(buf, delim, &save); p;
         p = strtok_r(NULL, delim, &save)) {
        vxl_string_list_append(out, p);
        n++;
    }
    free(buf);
    return n;
}

static void replace(char **field, const char *val)
{
    free(*field);
    *field = xstrdup(val);
}

/* The "key=value, key=value" items of p9, vtpm and pvcalls: tokens split
 * at commas, leading blanks skipped, and (as xl does) a token without `='
 * silently ends the item.  Calls set(obj, key, value) for each; stops at
 * its first failure. */
typedef int (*kv_setter)(void *obj, const char *key, const char *val,
                         const cfg_pos *loc, vxl_diags *d);

static int each_kv(const char *spec, void *obj, kv_setter set,
                   const cfg_pos *loc, vxl_diags *d)
{
    char *buf = xstrdup(spec), *save = NULL;
    int rc = 0;

    for (char *p = strtok_r(buf, ",", &save); p && !rc;
         p = strtok_r(NULL, ",", &save)) {
        while (*p == ' ')
            p++;
        char *eq = strchr(p, '=');
        if (!eq)
            break;
        *eq = 0;
        rc = set(obj, p, eq + 1, loc, d);
    }
    free(buf);
    return rc;
}

static int unknown_key(const char *key, const char *what,
                       const char *const *keys, size_t nkeys,
                       const cfg_pos *loc, vxl_diags *d)
{
    char *hint = spec_hint(key, keys, nkeys, "valid keys");
    spec_error(d, loc, hint, "unknown string `%s' in %s spec", key, what);
    free(hint);
    return -1;
}

/* ---- p9 --------------------------------------------------------------- */

static const char *const p9_keys[] = {
    "tag", "path", "security_model", "backend",
};

static int p9_set(void *obj, const char *key, const char *val,
                  const cfg_pos *loc, vxl_diags *d)
{
    vxl_device_p9 *p9 = obj;
    if (!strcmp(key, "security_model"))
        replace(&p9->security_model, val);
    else if (!strcmp(key, "path"))
        replace(&p9->path, val);
    else if (!strcmp(key, "tag"))
        replace(&p9->tag, val);
    else if (!strcmp(key, "backend"))
        replace(&p9->backend_domname, val);
    else
        return unknown_key(key, "9pfs", p9_keys, ARRAY_SIZE(p9_keys), loc, d);
    return 0;
}

int vxl_parse_p9_item(vxl_device_p9 *p9, const char *spec,
                      const cfg_pos *loc, vxl_diags *d)
{
    if (each_kv(spec, p9, p9_set, loc, d))
        return -1;
    if (!p9->path || !p9->security_model || !p9->tag) {
        spec_error(d, loc, "a 9pfs share needs tag=, path= and "
                   "security_model=, e.g. "
                   "\"tag=share,path=/srv/share,security_model=none\"",
                   "9pfs spec missing required field (%s%s%s) in `%s'",
                   p9->tag ? "" : " tag", p9->path ? "" : " path",
                   p9->security_model ? "" : " security_model", spec);
        return -1;
    }
    return 0;
}

/* ---- vtpm ------------------------------------------------------------- */

static const char *const vtpm_keys[] = { "backend", "uuid" };

static int vtpm_set(void *obj, const char *key, const char *val,
                    const cfg_pos *loc, vxl_diags *d)
{
    vxl_device_vtpm *vtpm = obj;
    if (!strcmp(key, "backend")) {
        replace(&vtpm->backend_domname, val);
    } else if (!strcmp(key, "uuid")) {
        if (vxl_uuid_from_string(&vtpm->uuid, val)) {
            spec_error(d, loc, "a UUID is 8-4-4-4-12 hex digits, e.g. "
                       "b8b4a2d2-2b41-4b83-9a5b-2e1c3f0d7a10",
                       "failed to parse vtpm UUID `%s'", val);
            return -1;
        }
    } else {
        return unknown_key(key, "vtpm", vtpm_keys, ARRAY_SIZE(vtpm_keys),
                           loc, d);
    }
    return 0;
}

int vxl_parse_vtpm_item(vxl_device_vtpm *vtpm, const char *spec,
                        const cfg_pos *loc, vxl_diags *d)
{
    if (each_kv(spec, vtpm, vtpm_set, loc, d))
        return -1;
    if (!vtpm->backend_domname) {
        spec_error(d, loc, "name the vTPM's backend domain, e.g. "
                   "backend=vtpm-stubdom",
                   "vtpm spec missing required backend field in `%s'", spec);
        return -1;
    }
    return 0;
}

/* ---- pvcalls ---------------------------------------------------------- */

static const char *const pvcalls_keys[] = { "backend" };

static int pvcalls_set(void *obj, const char *key, const char *val,
                       const cfg_pos *loc, vxl_diags *d)
{
    vxl_device_pvcallsif *pv = obj;
    if (strcmp(key, "backend"))
        return unknown_key(key, "pvcalls", pvcalls_keys,
                           ARRAY_SIZE(pvcalls_keys), loc, d);
    replace(&pv->backend_domname, val);
    return 0;
}

int vxl_parse_pvcalls_item(vxl_device_pvcallsif *pv, const char *spec,
                           const cfg_pos *loc, vxl_diags *d)
{
    return each_kv(spec, pv, pvcalls_set, loc, d) ? -1 : 0;
}

/* ---- channel ---------------------------------------------------------- */

static char *trim_space(const char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    return xstrndup(s, n);
}

/* xl's split_string_into_pair(s, "="): the first two `='-separated
 * fields (strtok-style, so empty fields are skipped). */
static int split_pair(const char *s, char **a, char **b)
{
    vxl_string_list l = NULL;
    int n = spec_split(s, "=", &l);
    if (n < 2) {
        vxl_string_list_dispose(&l);
        return -1;
    }
    *a = xstrdup(l[0]);
    *b = xstrdup(l[1]);
    vxl_string_list_dispose(&l);
    return 0;
}

static const char *const channel_keys[] = {
    "name", "connection", "path", "backend",
};

static int channel_pair(vxl_device_channel *chn, const char *pair,
                        char **path, const cfg_pos *loc, vxl_diags *d)
{
    char *k0, *v0;
    if (split_pair(pair, &k0, &v0)) {
        spec_error(d, loc, "channel settings are KEY=VALUE, e.g. "
                   "name=org.qemu.guest_agent.0,connection=pty",
                   "failed to parse channel configuration `%s'", pair);
        return -1;
    }
    char *key = trim_space(k0), *val = trim_space(v0);
    int rc = 0;
    free(k0);
    free(v0);

    if (!strcmp(key, "backend")) {
        replace(&chn->backend_domname, val);
    } else if (!strcmp(key, "name")) {
        replace(&chn->name, val);
    } else if (!strcmp(key, "path")) {
        replace(path, val);
    } else if (!strcmp(key, "connection")) {
        if (!strcmp(val, "pty"))
            chn->connection = VXL_CHANNEL_CONNECTION_PTY;
        else if (!strcmp(val, "socket"))
            chn->connection = VXL_CHANNEL_CONNECTION_SOCKET;
        else {
            spec_error(d, loc, "connection is `pty' or `socket'",
                       "unknown channel connection `%s'", val);
            rc = -1;
        }
    } else {
        char *hint = spec_hint(key, channel_keys, ARRAY_SIZE(channel_keys),
                               "valid keys");
        spec_warning(d, loc, hint, "unknown channel parameter `%s', "
                     "ignoring", key);
        free(hint);
    }
    free(key);
    free(val);
    return rc;
}

int vxl_parse_channel_item(vxl_device_channel *chn, const char *spec,
                           const cfg_pos *loc, vxl_diags *d)
{
    vxl_string_list pairs = NULL;
    char *path = NULL;
    int n = spec_split(spec, ",", &pairs), rc = -1;

    for (int i = 0; i < n; i++)
        if (channel_pair(chn, pairs[i], &path, loc, d))
            goto out;

    switch (chn->connection) {
    case VXL_CHANNEL_CONNECTION_SOCKET:
        if (!path) {
            spec_error(d, loc, "add path=/path/to/socket",
                       "channel connection 'socket' requires path=..");
            goto out;
        }
        chn->u.socket.path = xstrdup(path);
        break;
    case VXL_CHANNEL_CONNECTION_PTY:
        break;
    default:
        spec_error(d, loc, "add connection=pty or connection=socket",
                   "channel has unknown 'connection' in `%s'", spec);
        goto out;
    }
    rc = 0;
out:
    free(path);
    vxl_string_list_dispose(&pairs);
    return rc;
}

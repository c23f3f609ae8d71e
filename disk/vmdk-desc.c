/* disk/vmdk-desc.c — the VMDK text descriptor: "key = value" lines
 * (values quoted or not), extent lines ("RW 2048 FLAT "f.vmdk" 0"),
 * '#' comments, LF or CRLF line ends.  Every error names the line. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "disk/vmdk.h"

static const char *const create_types[] = {
    "monolithicSparse", "monolithicFlat", "twoGbMaxExtentSparse",
    "twoGbMaxExtentFlat", "streamOptimized", "vmfs", "vmfsSparse",
    "vmfsThin", "vmfsRaw", "vmfsRawDeviceMap", "vmfsPassthroughRawDeviceMap",
    "vmfsPreallocated", "vmfsEagerZeroedThick", "custom", "fullDevice",
    "partitionedDevice", "seSparse", NULL,
};

void vmdk_desc_free(struct vmdk_desc *d)
{
    for (size_t i = 0; i < d->next; i++)
        free(d->ext[i].file);
    free(d->ext);
    free(d->create_type);
    free(d->parent_hint);
    free(d->adapter_type);
    memset(d, 0, sizeof(*d));
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        s[--n] = 0;
    return s;
}

/* Strip one pair of double quotes; false if a quote is unbalanced. */
static bool unquote(char **v)
{
    char *s = *v;
    size_t n = strlen(s);
    if (n && s[0] == '"') {
        if (n < 2 || s[n - 1] != '"')
            return false;
        s[n - 1] = 0;
        *v = s + 1;
        return !strchr(*v, '"');
    }
    return !strchr(s, '"');
}

static bool parse_u64(const char *s, int base, uint64_t *out)
{
    if (!*s || *s == '-' || *s == '+' || *s == ' ')
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, base);
    if (errno || *end)
        return false;
    *out = v;
    return true;
}

static int parse_extent(char *line, int lineno, const char *name,
                        struct vmdk_desc *d, struct vdisk_err *err)
{
    struct vmdk_desc_extent x = { .line = lineno };
    char *p = line;
    char *tok[3];
    for (int i = 0; i < 3; i++) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            return vdisk_err_set(err, EINVAL, "'%s' line %d: extent line "
                                 "needs access, size and type", name,
                                 lineno);
        tok[i] = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
        if (*p)
            *p++ = 0;
    }
    if (strlen(tok[0]) >= sizeof(x.access) || strlen(tok[2]) >= sizeof(x.type))
        return vdisk_err_set(err, EINVAL, "'%s' line %d: bad extent line",
                             name, lineno);
    strcpy(x.access, tok[0]);
    strcpy(x.type, tok[2]);
    if (!parse_u64(tok[1], 10, &x.sectors) || x.sectors > VMDK_MAX_SECTORS)
        return vdisk_err_set(err, EINVAL, "'%s' line %d: bad extent size "
                             "'%s'", name, lineno, tok[1]);
    while (*p == ' ' || *p == '\t')
        p++;
    if (!strcmp(x.type, "ZERO")) {
        if (*p)
            return vdisk_err_set(err, EINVAL, "'%s' line %d: a ZERO extent "
                                 "takes no file name", name, lineno);
    } else {
        char *f;
        if (*p == '"') {
            f = ++p;
            while (*p && *p != '"')
                p++;
            if (!*p)
                return vdisk_err_set(err, EINVAL, "'%s' line %d: unterminated "
                                     "quote in the extent file name", name,
                                     lineno);
            *p++ = 0;
        } else {
            f = p;
            while (*p && *p != ' ' && *p != '\t')
                p++;
            if (*p)
                *p++ = 0;
        }
        if (!*f)
            return vdisk_err_set(err, EINVAL, "'%s' line %d: extent of type "
                                 "%s needs a file name", name, lineno,
                                 x.type);
        p = trim(p);
        if (*p && !parse_u64(p, 10, &x.offset))
            return vdisk_err_set(err, EINVAL, "'%s' line %d: bad extent "
                                 "offset '%s'", name, lineno, p);
        if (x.offset > VMDK_MAX_SECTORS)
            return vdisk_err_set(err, EINVAL, "'%s' line %d: extent offset "
                                 "too large", name, lineno);
        x.file = xstrdup(f);
    }
    if (d->next >= VMDK_MAX_EXTENTS) {
        free(x.file);
        return vdisk_err_set(err, E2BIG, "'%s' line %d: more than %d extents",
                             name, lineno, VMDK_MAX_EXTENTS);
    }
    if ((d->next & (d->next - 1)) == 0 || d->next == 0)
        d->ext = xreallocarray(d->ext, d->next ? 2 * d->next : 4,
                               sizeof(*d->ext));
    d->ext[d->next++] = x;
    return 0;
}

static int parse_line(char *line, int lineno, const char *name,
                      struct vmdk_desc *d, struct vdisk_err *err)
{
    line = trim(line);
    if (!*line || *line == '#')
        return 0;
    if (!strncmp(line, "RW", 2) || !strncmp(line, "RDONLY", 6) ||
        !strncmp(line, "NOACCESS", 8)) {
        size_t k = strcspn(line, " \t");
        if (k == 2 || k == 6 || k == 8)
            return parse_extent(line, lineno, name, d, err);
    }
    char *eq = strchr(line, '=');
    if (!eq)
        return vdisk_err_set(err, EINVAL, "'%s' line %d: expected 'key = "
                             "value' or an extent line", name, lineno);
    *eq = 0;
    char *key = trim(line), *val = trim(eq + 1);
    if (!*key)
        return vdisk_err_set(err, EINVAL, "'%s' line %d: empty key", name,
                             lineno);
    if (!unquote(&val))
        return vdisk_err_set(err, EINVAL, "'%s' line %d: unbalanced quotes "
                             "in the value of '%s'", name, lineno, key);
    uint64_t n;
    if (!strcmp(key, "version")) {
        if (!parse_u64(val, 10, &n) || n < 1 || n > 3)
            return vdisk_err_set(err, ENOTSUP, "'%s' line %d: unsupported "
                                 "descriptor version '%s'", name, lineno,
                                 val);
        d->version = (int)n;
    } else if (!strcmp(key, "CID") || !strcmp(key, "parentCID")) {
        if (!parse_u64(val, 16, &n) || n > UINT32_MAX)
            return vdisk_err_set(err, EINVAL, "'%s' line %d: bad %s '%s'",
                                 name, lineno, key, val);
        if (key[0] == 'C') {
            d->cid = (uint32_t)n;
        } else {
            d->parent_cid = (uint32_t)n;
            d->has_parent_cid = true;
        }
    } else if (!strcmp(key, "createType")) {
        size_t i;
        for (i = 0; create_types[i]; i++)
            if (!strcmp(val, create_types[i]))
                break;
        if (!create_types[i])
            return vdisk_err_set(err, ENOTSUP, "'%s' line %d: unsupported "
                                 "createType '%s'", name, lineno, val);
        free(d->create_type);
        d->create_type = xstrdup(val);
    } else if (!strcmp(key, "parentFileNameHint")) {
        free(d->parent_hint);
        d->parent_hint = xstrdup(val);
    } else if (!strcmp(key, "ddb.adapterType")) {
        free(d->adapter_type);
        d->adapter_type = xstrdup(val);
    }
    return 0;       /* other keys (ddb.*, encoding, ...) are ignored */
}

int vmdk_desc_parse(const char *text, size_t len, const char *name,
                    struct vmdk_desc *d, struct vdisk_err *err)
{
    memset(d, 0, sizeof(*d));
    d->parent_cid = UINT32_MAX;
    if (len > VMDK_MAX_DESC)
        return vdisk_err_set(err, EFBIG, "'%s': descriptor of %zu bytes is "
                             "too large (limit %u)", name, len,
                             VMDK_MAX_DESC);
    /* an embedded descriptor is NUL-padded: stop at the first NUL */
    size_t n = strnlen(text, len);
    if (n == 0)
        return vdisk_err_set(err, EINVAL, "'%s': descriptor is empty", name);
    char *buf = xstrndup(text, n);
    int lineno = 0, rc = 0;
    char *p = buf;
    while (rc == 0 && *p) {
        char *nl = strchr(p, '\n');
        if (nl)
            *nl = 0;
        lineno++;
        rc = parse_line(p, lineno, name, d, err);
        p = nl ? nl + 1 : p + strlen(p);
    }
    free(buf);
    if (rc == 0 && !d->create_type)
        rc = vdisk_err_set(err, EINVAL, "'%s': descriptor has no createType "
                           "(line %d is the last)", name, lineno);
    if (rc == 0 && d->next == 0)
        rc = vdisk_err_set(err, EINVAL, "'%s': descriptor lists no extents "
                           "(line %d is the last)", name, lineno);
    if (rc < 0)
        vmdk_desc_free(d);
    return rc;
}

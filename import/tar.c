/* import/tar.c — sequential tar reader (ustar, pax, GNU) with the safety
 * rules of import/tar.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "import/tar.h"

struct tar_reader {
    struct tar_io io;
    char *name;             /* archive, for diagnostics */
    uint64_t pos;           /* bytes consumed from io */
    uint64_t left;          /* data bytes of the current member unread */
    uint64_t pad;           /* padding after them */
    bool ended;
    char *cur;              /* current member name */
    /* names seen (open addressing, for duplicates) */
    char **set;
    size_t set_cap, set_n;
};

/* Header field offsets (POSIX ustar). */
enum {
    H_NAME = 0, H_MODE = 100, H_SIZE = 124, H_CHKSUM = 148, H_TYPE = 156,
    H_LINK = 157, H_MAGIC = 257, H_VERSION = 263, H_PREFIX = 345,
};

struct tar_reader *tar_reader_new(const struct tar_io *io, const char *name)
{
    struct tar_reader *t = xcalloc(1, sizeof(*t));
    t->io = *io;
    t->name = xstrdup(name ? name : "(archive)");
    return t;
}

void tar_reader_free(struct tar_reader *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->set_cap; i++)
        free(t->set[i]);
    free(t->set);
    free(t->cur);
    free(t->name);
    free(t);
}

/* ---- input ------------------------------------------------------------ */

#define TERR(t, d, code, hint, ...)                                         \
    (vxl_diag_add((d), VXL_ERROR, (t)->name, 0, 0, (hint), __VA_ARGS__),   \
     -(code))

/* Read exactly n bytes; returns n, a smaller count at EOF, or -errno. */
static ssize_t read_full(struct tar_reader *t, void *buf, size_t n,
                         vxl_diags *d)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = t->io.read(t->io.opaque, (uint8_t *)buf + got, n - got);
        if (r < 0)
            return TERR(t, d, (int)-r, NULL, "read error at offset %llu: %s",
                        (unsigned long long)(t->pos + got), strerror((int)-r));
        if (r == 0)
            break;
        got += (size_t)r;
    }
    t->pos += got;
    return (ssize_t)got;
}

static int skip_bytes(struct tar_reader *t, uint64_t n, vxl_diags *d)
{
    if (n == 0)
        return 0;
    if (t->io.skip) {
        if (t->io.total && (t->pos > t->io.total || n > t->io.total - t->pos))
            return TERR(t, d, EIO, NULL, "truncated archive: it ends at %llu "
                        "bytes, inside member '%s'",
                        (unsigned long long)t->io.total,
                        t->cur ? t->cur : "?");
        int rc = t->io.skip(t->io.opaque, n);
        if (rc < 0)
            return TERR(t, d, -rc, NULL, "seek error at offset %llu: %s",
                        (unsigned long long)t->pos, strerror(-rc));
        t->pos += n;
        return 0;
    }
    uint8_t buf[8192];
    while (n > 0) {
        size_t k = n < sizeof(buf) ? (size_t)n : sizeof(buf);
        ssize_t r = read_full(t, buf, k, d);
        if (r < 0)
            return (int)r;
        if ((size_t)r < k)
            return TERR(t, d, EIO, NULL, "truncated archive: it ends at %llu "
                        "bytes, inside member '%s'",
                        (unsigned long long)t->pos, t->cur ? t->cur : "?");
        n -= k;
    }
    return 0;
}

/* ---- numbers and checksum ------------------------------------------------ */

unsigned tar_header_checksum(const uint8_t *blk)
{
    unsigned s = 0;
    for (int i = 0; i < TAR_BLOCK; i++)
        s += (i >= H_CHKSUM && i < H_CHKSUM + 8) ? ' ' : blk[i];
    return s;
}

static int signed_checksum(const uint8_t *blk)
{
    int s = 0;
    for (int i = 0; i < TAR_BLOCK; i++)
        s += (i >= H_CHKSUM && i < H_CHKSUM + 8) ? ' ' : (signed char)blk[i];
    return s;
}

/* An octal field (leading spaces, digits, then NUL/space or the field's
 * end) or a GNU base-256 field.  false if malformed or negative. */
static bool parse_num(const uint8_t *f, size_t len, uint64_t *out)
{
    if (f[0] & 0x80) {
        if (f[0] != 0x80)
            return false;           /* negative (0xff) or unknown */
        uint64_t v = 0;
        for (size_t i = 1; i < len; i++) {
            if (v >> 55)
                return false;
            v = v << 8 | f[i];
        }
        *out = v;
        return v <= INT64_MAX;
    }
    size_t i = 0;
    while (i < len && f[i] == ' ')
        i++;
    uint64_t v = 0;
    size_t digits = 0;
    for (; i < len && f[i] >= '0' && f[i] <= '7'; i++, digits++) {
        if (v >> 60)
            return false;
        v = v * 8 + (uint64_t)(f[i] - '0');
    }
    if (digits == 0)
        return false;
    for (; i < len; i++)
        if (f[i] != ' ' && f[i] != 0)
            return false;
    *out = v;
    return true;
}

/* ---- names ---------------------------------------------------------------- */

static uint64_t str_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h;
}

/* Insert name; false if it was already there. */
static bool set_insert(struct tar_reader *t, const char *name)
{
    if (2 * (t->set_n + 1) > t->set_cap) {
        size_t ncap = t->set_cap ? 2 * t->set_cap : 64;
        char **n = xcalloc(ncap, sizeof(*n));
        for (size_t i = 0; i < t->set_cap; i++) {
            if (!t->set[i])
                continue;
            size_t j = str_hash(t->set[i]) & (ncap - 1);
            while (n[j])
                j = (j + 1) & (ncap - 1);
            n[j] = t->set[i];
        }
        free(t->set);
        t->set = n;
        t->set_cap = ncap;
    }
    size_t j = str_hash(name) & (t->set_cap - 1);
    while (t->set[j]) {
        if (!strcmp(t->set[j], name))
            return false;
        j = (j + 1) & (t->set_cap - 1);
    }
    t->set[j] = xstrdup(name);
    t->set_n++;
    return true;
}

/* Drop leading "./" (and "/." tails); refuse absolute names and ".."
 * components.  Returns the normalised name (malloc'd) or NULL with
 * *why set. */
static char *normalise(const char *raw, bool is_dir, const char **why)
{
    if (raw[0] == '/') {
        *why = "is an absolute path";
        return NULL;
    }
    const char *p = raw;
    while (p[0] == '.' && p[1] == '/') {
        p += 2;
        while (*p == '/')
            p++;
    }
    char *n = xstrdup(p);
    size_t l = strlen(n);
    while (l > 0 && n[l - 1] == '/')
        n[--l] = 0;
    if (l == 1 && n[0] == '.' && is_dir)
        n[--l] = 0;             /* "./" itself: the archive root */
    for (const char *c = n; *c;) {
        size_t k = strcspn(c, "/");
        if (k == 2 && c[0] == '.' && c[1] == '.') {
            *why = "has a '..' component";
            free(n);
            return NULL;
        }
        c += k;
        while (*c == '/')
            c++;
    }
    if (l == 0 && !is_dir) {
        *why = "is empty";
        free(n);
        return NULL;
    }
    return n;
}

/* ---- pax ------------------------------------------------------------------ */

struct pax {
    char *path;             /* NULL = none */
    bool has_size;
    uint64_t size;
    bool sparse;
};

static void pax_clear(struct pax *x)
{
    free(x->path);
    memset(x, 0, sizeof(*x));
}

/* Parse "LEN key=value\n" records.  Returns 0 or -EINVAL with *why. */
static int pax_parse(const char *buf, size_t n, struct pax *x,
                     const char **why)
{
    size_t i = 0;
    while (i < n) {
        if (buf[i] == 0) {
            /* some writers pad with NULs */
            for (; i < n; i++)
                if (buf[i]) {
                    *why = "malformed extended header (data after NUL)";
                    return -EINVAL;
                }
            break;
        }
        size_t len = 0, j = i;
        while (j < n && buf[j] >= '0' && buf[j] <= '9') {
            if (len > n) {
                *why = "malformed extended header (record length)";
                return -EINVAL;
            }
            len = len * 10 + (size_t)(buf[j] - '0');
            j++;
        }
        if (j == i || j >= n || buf[j] != ' ' || len < (j - i) + 4 ||
            len > n - i || buf[i + len - 1] != '\n') {
            *why = "malformed extended header (record length)";
            return -EINVAL;
        }
        const char *k = buf + j + 1, *end = buf + i + len - 1;
        const char *eq = memchr(k, '=', (size_t)(end - k));
        if (!eq || eq == k) {
            *why = "malformed extended header (no key=value)";
            return -EINVAL;
        }
        size_t kl = (size_t)(eq - k), vl = (size_t)(end - eq - 1);
        const char *v = eq + 1;
        if (kl == 4 && !memcmp(k, "path", 4)) {
            if (memchr(v, 0, vl) || vl == 0 || vl > TAR_MAX_NAME) {
                *why = "extended header path is empty, too long or has a "
                       "NUL byte";
                return -EINVAL;
            }
            free(x->path);
            x->path = xstrndup(v, vl);
        } else if (kl == 4 && !memcmp(k, "size", 4)) {
            uint64_t s = 0;
            if (vl == 0 || vl > 19) {
                *why = "extended header size is not a number";
                return -EINVAL;
            }
            for (size_t q = 0; q < vl; q++) {
                if (v[q] < '0' || v[q] > '9') {
                    *why = "extended header size is not a number";
                    return -EINVAL;
                }
                s = s * 10 + (uint64_t)(v[q] - '0');
            }
            if (s > INT64_MAX) {
                *why = "extended header size is too large";
                return -EINVAL;
            }
            x->has_size = true;
            x->size = s;
        } else if (kl > 11 && !memcmp(k, "GNU.sparse.", 11)) {
            x->sparse = true;
        }
        i += len;
    }
    return 0;
}

/* Read a whole special member's data (pax header, long name) of `size`
 * bytes plus padding into a NUL-terminated buffer. */
static int read_special(struct tar_reader *t, uint64_t size, uint64_t limit,
                        const char *what, char **out, vxl_diags *d)
{
    if (size > limit)
        return TERR(t, d, EFBIG, NULL, "%s at offset %llu is %llu bytes "
                    "(limit %llu)", what, (unsigned long long)t->pos,
                    (unsigned long long)size, (unsigned long long)limit);
    if (t->io.total && (t->pos > t->io.total || size > t->io.total - t->pos))
        return TERR(t, d, EIO, NULL, "truncated archive: %s at offset %llu "
                    "runs past its end", what, (unsigned long long)t->pos);
    uint64_t padded = (size + TAR_BLOCK - 1) / TAR_BLOCK * TAR_BLOCK;
    char *buf = xmalloc((size_t)padded + 1);
    ssize_t r = read_full(t, buf, (size_t)padded, d);
    if (r < 0) {
        free(buf);
        return (int)r;
    }
    if ((uint64_t)r < padded) {
        free(buf);
        return TERR(t, d, EIO, NULL, "truncated archive: it ends inside "
                    "%s", what);
    }
    buf[size] = 0;
    *out = buf;
    return 0;
}

/* ---- members ---------------------------------------------------------- */

static const char *type_refusal(char ty)
{
    switch (ty) {
    case '1': return "is a hard link";
    case '2': return "is a symbolic link";
    case '3': return "is a character device";
    case '4': return "is a block device";
    case '6': return "is a FIFO";
    case 'S': return "is a GNU sparse file (not supported)";
    case 'M': return "is a multi-volume continuation (not supported)";
    case 'N': return "uses old GNU long names (not supported)";
    case 'D': return "is a GNU dump directory (not supported)";
    default:  return NULL;
    }
}

int tar_next(struct tar_reader *t, struct tar_entry *e, vxl_diags *d)
{
    if (t->ended)
        return 0;
    int rc = skip_bytes(t, t->left + t->pad, d);
    if (rc < 0)
        return rc;
    t->left = t->pad = 0;
    free(t->cur);
    t->cur = NULL;

    struct pax x = {0};
    char *longname = NULL;
    bool pending = false;       /* an extended header awaits its member */
    uint64_t first_hdr = t->pos;
    uint8_t h[TAR_BLOCK];
    int ret;

    for (;;) {
        uint64_t hoff = t->pos;
        ssize_t r = read_full(t, h, TAR_BLOCK, d);
        if (r < 0) {
            ret = (int)r;
            goto out;
        }
        if (r == 0 && !pending) {
            t->ended = true;    /* EOF at a header boundary */
            ret = 0;
            goto out;
        }
        if (r < TAR_BLOCK) {
            ret = TERR(t, d, EIO, NULL, "truncated archive: it ends inside "
                       "the header at offset %llu",
                       (unsigned long long)hoff);
            goto out;
        }
        bool zero = true;
        for (int i = 0; i < TAR_BLOCK && zero; i++)
            zero = h[i] == 0;
        if (zero) {
            if (pending) {
                ret = TERR(t, d, EINVAL, NULL, "extended header at offset "
                           "%llu is followed by the end of the archive",
                           (unsigned long long)first_hdr);
                goto out;
            }
            t->ended = true;
            ret = 0;
            goto out;
        }
        uint64_t ck;
        if (!parse_num(h + H_CHKSUM, 8, &ck) ||
            (ck != tar_header_checksum(h) &&
             (int64_t)ck != signed_checksum(h))) {
            ret = TERR(t, d, EINVAL, "the archive is corrupt or not a tar "
                       "file", "bad header checksum at offset %llu",
                       (unsigned long long)hoff);
            goto out;
        }
        if (!pending)
            first_hdr = hoff;
        char ty = (char)h[H_TYPE];
        uint64_t size;
        if (!parse_num(h + H_SIZE, 12, &size)) {
            ret = TERR(t, d, EINVAL, NULL, "header at offset %llu has an "
                       "invalid size field", (unsigned long long)hoff);
            goto out;
        }
        if (ty == 'x' || ty == 'g') {
            char *buf;
            rc = read_special(t, size, TAR_MAX_PAX, "an extended header",
                              &buf, d);
            if (rc < 0) {
                ret = rc;
                goto out;
            }
            const char *why = NULL;
            struct pax tmp = {0};
            rc = pax_parse(buf, (size_t)size, ty == 'x' ? &x : &tmp, &why);
            pax_clear(&tmp);
            free(buf);
            if (rc < 0) {
                ret = TERR(t, d, EINVAL, NULL, "header at offset %llu: %s",
                           (unsigned long long)hoff, why);
                goto out;
            }
            pending = pending || ty == 'x';
            continue;
        }
        if (ty == 'L' || ty == 'K') {
            char *buf;
            rc = read_special(t, size, TAR_MAX_NAME, "a GNU long name", &buf,
                              d);
            if (rc < 0) {
                ret = rc;
                goto out;
            }
            if (ty == 'L') {
                free(longname);
                longname = buf;
                if (!*longname) {
                    ret = TERR(t, d, EINVAL, NULL, "GNU long name at offset "
                               "%llu is empty", (unsigned long long)hoff);
                    goto out;
                }
            } else {
                free(buf);
            }
            pending = true;
            continue;
        }
        if (ty == 'V') {            /* volume label: no member */
            rc = skip_bytes(t, (size + TAR_BLOCK - 1) / TAR_BLOCK * TAR_BLOCK,
                            d);
            if (rc < 0) {
                ret = rc;
                goto out;
            }
            continue;
        }

        /* a real member: its name */
        char raw[TAR_MAX_NAME + 1];
        if (x.path) {
            snprintf(raw, sizeof(raw), "%s", x.path);
        } else if (longname) {
            snprintf(raw, sizeof(raw), "%s", longname);
        } else {
            char nm[101], pre[156];
            memcpy(nm, h + H_NAME, 100);
            nm[100] = 0;
            memcpy(pre, h + H_PREFIX, 155);
            pre[155] = 0;
            bool posix = !memcmp(h + H_MAGIC, "ustar\0", 6);
            if (posix && pre[0])
                snprintf(raw, sizeof(raw), "%s/%s", pre, nm);
            else
                snprintf(raw, sizeof(raw), "%s", nm);
        }
        if (x.has_size)
            size = x.size;
        bool is_dir = ty == '5' ||
                      ((ty == '0' || ty == 0) && raw[0] &&
                       raw[strlen(raw) - 1] == '/');
        const char *why = type_refusal(ty);
        if (!why && x.sparse)
            why = "is a GNU sparse file (not supported)";
        if (!why && !is_dir && ty != '0' && ty != 0 && ty != '7')
            why = "";
        if (why) {
            if (ty == '1' || ty == '2') {
                char ln[101];
                memcpy(ln, h + H_LINK, 100);
                ln[100] = 0;
                ret = TERR(t, d, EPERM, "an appliance archive holds plain "
                           "files only", "member '%s' %s (to '%s'); refusing "
                           "it", raw, why, ln);
            } else if (!type_refusal(ty) && !x.sparse) {
                ret = TERR(t, d, EPERM, NULL, "member '%s' has unsupported "
                           "type '%c'; refusing it", raw,
                           ty >= 0x20 && ty < 0x7f ? ty : '?');
            } else {
                ret = TERR(t, d, EPERM, "an appliance archive holds plain "
                           "files only", "member '%s' %s; refusing it", raw,
                           why);
            }
            goto out;
        }
        char *name = normalise(raw, is_dir, &why);
        if (!name) {
            ret = TERR(t, d, EPERM, "an archive member must stay inside the "
                       "output directory", "member '%s' %s; refusing it",
                       raw, why);
            goto out;
        }
        if (is_dir && !*name) {     /* "./": nothing to record */
            free(name);
            t->left = size;
            t->pad = (TAR_BLOCK - size % TAR_BLOCK) % TAR_BLOCK;
            rc = skip_bytes(t, t->left + t->pad, d);
            t->left = t->pad = 0;
            if (rc < 0) {
                ret = rc;
                goto out;
            }
            pax_clear(&x);
            free(longname);
            longname = NULL;
            pending = false;
            continue;
        }
        if (t->set_n >= TAR_MAX_MEMBERS) {
            free(name);
            ret = TERR(t, d, EFBIG, NULL, "more than %d members",
                       TAR_MAX_MEMBERS);
            goto out;
        }
        if (!set_insert(t, name)) {
            ret = TERR(t, d, EINVAL, "an archive member may appear only once",
                       "member '%s' appears more than once", name);
            free(name);
            goto out;
        }
        if (t->io.total && (t->pos > t->io.total ||
                            size > t->io.total - t->pos)) {
            ret = TERR(t, d, EIO, NULL, "truncated archive: member '%s' "
                       "claims %llu bytes but only %llu remain", name,
                       (unsigned long long)size,
                       (unsigned long long)(t->pos <= t->io.total
                                            ? t->io.total - t->pos : 0));
            free(name);
            goto out;
        }
        t->cur = name;
        t->left = size;
        t->pad = (TAR_BLOCK - size % TAR_BLOCK) % TAR_BLOCK;
        e->name = name;
        e->type = is_dir ? TAR_DIR : TAR_FILE;
        e->size = size;
        e->offset = t->pos;
        e->header_offset = first_hdr;
        ret = 1;
        goto out;
    }
out:
    pax_clear(&x);
    free(longname);
    return ret;
}

ssize_t tar_read(struct tar_reader *t, void *buf, size_t n, vxl_diags *d)
{
    if (n > t->left)
        n = (size_t)t->left;
    if (n == 0)
        return 0;
    ssize_t r = read_full(t, buf, n, d);
    if (r < 0)
        return r;
    if ((size_t)r < n)
        return TERR(t, d, EIO, NULL, "truncated archive: it ends inside "
                    "member '%s'", t->cur ? t->cur : "?");
    t->left -= n;
    return r;
}

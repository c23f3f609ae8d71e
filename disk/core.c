/* disk/core.c — the layer between callers and drivers: opening with the
 * format/backing policy of disk.h, request validation, chain-aware block
 * status, and dispatch to the driver ops. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "disk/internal.h"

/* ---- errors ---------------------------------------------------------- */

int vdisk_err_set(struct vdisk_err *e, int code, const char *fmt, ...)
{
    if (code <= 0)
        code = EIO;
    if (e) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
        va_end(ap);
        e->code = code;
    }
    return -code;
}

int vdisk_err_prefix(struct vdisk_err *e, const char *fmt, ...)
{
    if (!e)
        return -EIO;
    char pre[256], old[sizeof(e->msg)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pre, sizeof(pre), fmt, ap);
    va_end(ap);
    memcpy(old, e->msg, sizeof(old));
    size_t pl = strlen(pre);
    if (pl >= sizeof(e->msg))
        pl = sizeof(e->msg) - 1;
    memcpy(e->msg, pre, pl);
    size_t ol = strnlen(old, sizeof(old) - 1);
    if (ol > sizeof(e->msg) - 1 - pl)
        ol = sizeof(e->msg) - 1 - pl;
    memcpy(e->msg + pl, old, ol);
    e->msg[pl + ol] = 0;
    return -(e->code ? e->code : EIO);
}

/* ---- fd helpers ------------------------------------------------------ */

static int do_pread(int fd, void *buf, size_t n, uint64_t off, bool exact,
                    const char *name, struct vdisk_err *err)
{
    uint8_t *p = buf;
    while (n > 0) {
        ssize_t r = pread(fd, p, n, (off_t)off);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return vdisk_err_set(err, errno, "'%s': read at %llu failed: %s",
                                 name, (unsigned long long)off,
                                 strerror(errno));
        }
        if (r == 0) {
            if (exact)
                return vdisk_err_set(err, EIO, "'%s': unexpected end of file "
                                     "reading %zu bytes at %llu", name, n,
                                     (unsigned long long)off);
            memset(p, 0, n);
            return 0;
        }
        p += r;
        n -= (size_t)r;
        off += (uint64_t)r;
    }
    return 0;
}

int vd_pread_fd(int fd, void *buf, size_t n, uint64_t off, const char *name,
                struct vdisk_err *err)
{
    return do_pread(fd, buf, n, off, false, name, err);
}

int vd_pread_exact(int fd, void *buf, size_t n, uint64_t off,
                   const char *name, struct vdisk_err *err)
{
    return do_pread(fd, buf, n, off, true, name, err);
}

int vd_pwrite_fd(int fd, const void *buf, size_t n, uint64_t off,
                 const char *name, struct vdisk_err *err)
{
    const uint8_t *p = buf;
    while (n > 0) {
        ssize_t r = pwrite(fd, p, n, (off_t)off);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return vdisk_err_set(err, errno, "'%s': write at %llu failed: %s",
                                 name, (unsigned long long)off,
                                 strerror(errno));
        }
        p += r;
        n -= (size_t)r;
        off += (uint64_t)r;
    }
    return 0;
}

int vd_win_pread(const struct vd_window *w, void *buf, size_t n,
                 uint64_t off, bool exact, const char *name,
                 struct vdisk_err *err)
{
    uint8_t *p = buf;
    uint64_t start = off, segbase = 0;
    size_t done = 0;
    for (size_t i = 0; i < w->nseg && n > 0; i++) {
        const struct vdisk_window_seg *s = &w->seg[i];
        if (off >= segbase + s->len) {
            segbase += s->len;
            continue;
        }
        uint64_t in = off - segbase;
        size_t k = s->len - in < n ? (size_t)(s->len - in) : n;
        int rc = do_pread(s->fd, p, k, s->off + in, true, name, err);
        if (rc < 0)
            return rc;
        p += k;
        off += k;
        n -= k;
        done += k;
        segbase += s->len;
    }
    if (done && w->observe)
        w->observe(w->observe_opaque, start, buf, done);
    if (n > 0) {
        if (exact)
            return vdisk_err_set(err, EIO, "'%s': unexpected end of file "
                                 "reading %zu bytes at %llu", name, n,
                                 (unsigned long long)off);
        memset(p, 0, n);
    }
    return 0;
}

int vd_read_backing(struct vdisk *d, void *buf, size_t n, uint64_t off,
                    struct vdisk_err *err)
{
    struct vdisk *b = d->backing;
    if (!b || off >= b->size) {
        memset(buf, 0, n);
        return 0;
    }
    size_t in = n;
    if (off + n > b->size)
        in = (size_t)(b->size - off);
    int rc = vdisk_pread(b, buf, in, off, err);
    if (rc < 0)
        return rc;
    if (in < n)
        memset((uint8_t *)buf + in, 0, n - in);
    return 0;
}

char *vd_resolve_relative(const char *parent, const char *name)
{
    if (name[0] == '/')
        return xstrdup(name);
    const char *slash = strrchr(parent, '/');
    if (!slash)
        return xstrdup(name);
    return xasprintf("%.*s/%s", (int)(slash - parent), parent, name);
}

/* ---- registry lookups --------------------------------------------------- */

const struct vdisk_driver *vdisk_driver_find(const char *name)
{
    for (size_t i = 0; vdisk_drivers[i]; i++)
        if (strcmp(vdisk_drivers[i]->name, name) == 0)
            return vdisk_drivers[i];
    return NULL;
}

static const struct vdisk_driver *probe_head(const uint8_t *head, ssize_t r)
{
    const struct vdisk_driver *best = NULL;
    int best_score = 0;
    for (size_t i = 0; vdisk_drivers[i]; i++) {
        const struct vdisk_driver *drv = vdisk_drivers[i];
        if (!drv->probe)
            continue;
        int s = drv->probe(head, (size_t)r);
        if (s > best_score) {
            best = drv;
            best_score = s;
        }
    }
    return best;
}

static const struct vdisk_driver *probe_fd(int fd)
{
    uint8_t head[4096];
    ssize_t r;
    do
        r = pread(fd, head, sizeof(head), 0);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        r = 0;
    return probe_head(head, r);
}

int vdisk_probe(const char *path, const char **fmt_out, struct vdisk_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return vdisk_err_set(err, errno, "could not open '%s': %s", path,
                             strerror(errno));
    const struct vdisk_driver *drv = probe_fd(fd);
    close(fd);
    if (!drv)
        return vdisk_err_set(err, EINVAL, "'%s': unknown image format", path);
    *fmt_out = drv->name;
    return 0;
}

/* ---- open / close --------------------------------------------------------- */

struct chain_ctx {
    int depth, max_depth;
    const char *top_name;       /* vdisk_open_opts.final_name */
    struct { dev_t dev; ino_t ino; } seen[64];
    int nseen;
};

static void free_handle(struct vdisk *d)
{
    free(d->filename);
    free(d->backing_name);
    free(d->backing_fmt);
    free(d->backing_path);
    free(d->data_filename);
    if (d->win)
        free(d->win->seg);
    free(d->win);
    free(d->priv);
    free(d);
}

static bool is_protocol_name(const char *name)
{
    /* "proto:..." where proto is letters/digits/+-. and comes before any
     * slash: json:, nbd:, http:, file:... all refused (policy 4). */
    const char *colon = strchr(name, ':');
    if (!colon)
        return false;
    const char *slash = strchr(name, '/');
    if (slash && slash < colon)
        return false;
    for (const char *p = name; p < colon; p++)
        if (!(('a' <= *p && *p <= 'z') || ('A' <= *p && *p <= 'Z') ||
              ('0' <= *p && *p <= '9') || *p == '+' || *p == '-' ||
              *p == '.' || *p == '_'))
            return false;
    return colon > name;
}

static int open_chain(const char *path, const char *format, unsigned flags,
                      const char *backing_override, struct chain_ctx *cx,
                      struct vdisk **out, struct vdisk_err *err);

/* What a relative backing name of d resolves against: d's own name, or
 * for the top image the name it will have (vdisk_open_opts.final_name). */
static const char *backing_base(const struct vdisk *d,
                                const struct chain_ctx *cx)
{
    return cx->depth == 0 && cx->top_name ? cx->top_name : d->filename;
}

static int open_backing(struct vdisk *d, const char *override,
                        struct chain_ctx *cx, struct vdisk_err *err)
{
    if (is_protocol_name(d->backing_name))
        return vdisk_err_set(err, EPERM, "'%s': backing file name '%s' is not "
                             "a plain file name; refusing to follow it",
                             d->filename, d->backing_name);
    d->backing_path = vd_resolve_relative(backing_base(d, cx),
                                          d->backing_name);
    const char *fmt = override ? override : d->backing_fmt;
    unsigned bflags = d->flags & ~(VDISK_RDWR | VDISK_NO_REPAIR |
                                   VDISK_UNSAFE_META);
    if (!fmt && !(d->flags & VDISK_PROBE_BACKING))
        return vdisk_err_set(err, EPERM, "'%s': backing file '%s' has no "
                             "recorded format; refusing to probe it (record "
                             "one with 'img rebase -u -b %s -F FMT')",
                             d->filename, d->backing_name, d->backing_name);
    if (fmt && !vdisk_driver_find(fmt))
        return vdisk_err_set(err, ENOTSUP, "'%s': unknown backing file format "
                             "'%s'", d->filename, fmt);
    if (cx->depth + 1 >= cx->max_depth)
        return vdisk_err_set(err, ELOOP, "'%s': backing chain longer than %d "
                             "images", d->filename, cx->max_depth);
    cx->depth++;
    int rc = open_chain(d->backing_path, fmt, bflags, NULL, cx, &d->backing,
                        err);
    cx->depth--;
    if (rc < 0)
        return vdisk_err_prefix(err, "could not open backing file of '%s': ",
                                d->filename);
    return 0;
}

static int open_chain(const char *path, const char *format, unsigned flags,
                      const char *backing_override, struct chain_ctx *cx,
                      struct vdisk **out, struct vdisk_err *err)
{
    const struct vdisk_driver *drv = NULL;
    if (format) {
        drv = vdisk_driver_find(format);
        if (!drv)
            return vdisk_err_set(err, ENOTSUP, "unknown image format '%s'",
                                 format);
    }
    int oflags = (flags & VDISK_RDWR) ? O_RDWR : O_RDONLY;
    oflags |= O_CLOEXEC;
    if (flags & VDISK_DIRECT)
        oflags |= O_DIRECT;
    int fd = open(path, oflags);
    if (fd < 0)
        return vdisk_err_set(err, errno, "could not open '%s': %s", path,
                             strerror(errno));
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int e = errno;
        close(fd);
        return vdisk_err_set(err, e, "'%s': %s", path, strerror(e));
    }
    for (int i = 0; i < cx->nseen; i++)
        if (cx->seen[i].dev == st.st_dev && cx->seen[i].ino == st.st_ino) {
            close(fd);
            return vdisk_err_set(err, ELOOP, "'%s': backing chain loop (the "
                                 "image is its own backing file)", path);
        }
    if (cx->nseen < (int)ARRAY_SIZE(cx->seen)) {
        cx->seen[cx->nseen].dev = st.st_dev;
        cx->seen[cx->nseen].ino = st.st_ino;
        cx->nseen++;
    }
    bool probed = false;
    if (!drv) {
        drv = probe_fd(fd);
        probed = true;
        if (!drv) {
            close(fd);
            return vdisk_err_set(err, EINVAL, "'%s': unknown image format",
                                 path);
        }
        if (drv == &vdisk_raw_driver && (flags & VDISK_RDWR)) {
            close(fd);
            return vdisk_err_set(err, EPERM, "'%s' was probed as raw; pass "
                                 "the format explicitly (-f raw) to write it",
                                 path);
        }
    }
    struct vdisk *d = xcalloc(1, sizeof(*d));
    d->drv = drv;
    d->filename = xstrdup(path);
    d->flags = flags;
    d->probed = probed;
    d->fd = fd;
    d->dev = st.st_dev;
    d->ino = st.st_ino;
    d->alignment = (flags & VDISK_DIRECT) ? 4096 : 1;
    d->priv = drv->priv_size ? xcalloc(1, drv->priv_size) : NULL;
    int rc = drv->open(d, fd, flags, err);
    if (rc < 0) {
        /* the driver closes fd on failure */
        free_handle(d);
        return rc;
    }
    if (d->backing_name && !(flags & VDISK_NO_BACKING)) {
        rc = open_backing(d, backing_override, cx, err);
        if (rc == 0 && drv->check_backing)
            rc = drv->check_backing(d, err);
        if (rc < 0) {
            vdisk_close(d, NULL);
            return rc;
        }
    } else if (d->backing_name) {
        d->backing_path = vd_resolve_relative(backing_base(d, cx),
                                              d->backing_name);
    }
    *out = d;
    return 0;
}

int vdisk_open(const char *path, const struct vdisk_open_opts *opts,
               struct vdisk **out, struct vdisk_err *err)
{
    struct vdisk_open_opts def = {0};
    if (!opts)
        opts = &def;
    struct chain_ctx cx = {0};
    cx.max_depth = opts->max_depth > 0 ? opts->max_depth
                                       : VDISK_DEFAULT_MAX_DEPTH;
    if (cx.max_depth > (int)ARRAY_SIZE(cx.seen))
        cx.max_depth = (int)ARRAY_SIZE(cx.seen);
    cx.top_name = opts->final_name;
    *out = NULL;
    return open_chain(path, opts->format, opts->flags, opts->backing_format,
                      &cx, out, err);
}

int vdisk_open_window(const struct vdisk_window *w,
                      const struct vdisk_open_opts *opts, struct vdisk **out,
                      struct vdisk_err *err)
{
    struct vdisk_open_opts def = {0};
    if (!opts)
        opts = &def;
    *out = NULL;
    const char *name = w->name ? w->name : "(window)";
    if (opts->flags & VDISK_RDWR)
        return vdisk_err_set(err, EROFS, "'%s': an image inside an archive "
                             "can only be opened read-only", name);
    struct vd_window *vw = xcalloc(1, sizeof(*vw));
    vw->nseg = w->nseg;
    vw->seg = xcalloc(w->nseg ? w->nseg : 1, sizeof(*vw->seg));
    for (size_t i = 0; i < w->nseg; i++) {
        vw->seg[i] = w->seg[i];
        vw->len += w->seg[i].len;
    }
    vw->observe = w->observe;
    vw->observe_opaque = w->observe_opaque;

    const struct vdisk_driver *drv = NULL;
    bool probed = false;
    int rc = 0;
    if (opts->format) {
        drv = vdisk_driver_find(opts->format);
        if (!drv)
            rc = vdisk_err_set(err, ENOTSUP, "unknown image format '%s'",
                               opts->format);
    } else {
        /* the probe's read is not shown to the observer: it is repeated
         * by the driver's open */
        struct vd_window quiet = *vw;
        quiet.observe = NULL;
        uint8_t head[4096];
        size_t hl = vw->len < sizeof(head) ? (size_t)vw->len : sizeof(head);
        rc = vd_win_pread(&quiet, head, hl, 0, true, name, err);
        if (rc == 0) {
            drv = probe_head(head, (ssize_t)hl);
            probed = true;
            if (!drv)
                rc = vdisk_err_set(err, EINVAL, "'%s': unknown image format",
                                   name);
        }
    }
    if (rc == 0 && !drv->windows)
        rc = vdisk_err_set(err, ENOTSUP, "'%s': a %s image cannot be read in "
                           "place from inside an archive (only raw and VMDK "
                           "sparse/streamOptimized images can)", name,
                           drv->name);
    if (rc < 0) {
        free(vw->seg);
        free(vw);
        return rc;
    }
    struct vdisk *d = xcalloc(1, sizeof(*d));
    d->direct_fd = -1;      /* not 0: vdisk_close would close stdin */
    d->drv = drv;
    d->filename = xstrdup(name);
    d->flags = opts->flags & VDISK_NO_BACKING;
    d->probed = probed;
    d->fd = -1;
    d->win = vw;
    d->alignment = 1;
    d->priv = drv->priv_size ? xcalloc(1, drv->priv_size) : NULL;
    rc = drv->open(d, -1, d->flags, err);
    if (rc < 0) {
        free_handle(d);
        return rc;
    }
    if (d->backing_name && !(d->flags & VDISK_NO_BACKING)) {
        rc = vdisk_err_set(err, EPERM, "'%s': the image records a backing "
                           "file '%s'; refusing to follow it from inside an "
                           "archive", name, d->backing_name);
        vdisk_close(d, NULL);
        return rc;
    }
    *out = d;
    return 0;
}

int vdisk_close(struct vdisk *d, struct vdisk_err *err)
{
    if (!d)
        return 0;
    int rc = 0;
    if (d->backing)
        vdisk_close(d->backing, NULL);
    if (d->drv->close)
        rc = d->drv->close(d, err);
    else if (d->fd >= 0)
        close(d->fd);
    if (d->direct_on)
        close(d->direct_fd);
    free_handle(d);
    return rc;
}

int vdisk_set_direct_data(struct vdisk *d, bool on, struct vdisk_err *err)
{
    if (!on) {
        if (d->direct_on)
            close(d->direct_fd);
        d->direct_on = false;
        return 0;
    }
    if (d->direct_on || !(d->flags & VDISK_RDWR) || d->fd < 0)
        return 0;
    struct stat st;
    if (fstat(d->fd, &st) < 0 || !S_ISREG(st.st_mode))
        return 0;
    /* the same open file, whatever its name is by now */
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", d->fd);
    int fd = open(path, O_WRONLY | O_DIRECT | O_CLOEXEC);
    if (fd >= 0) {
        /* published after the descriptor: vdisk_write_reserved() may be
         * running on other threads */
        d->direct_fd = fd;
        __atomic_store_n(&d->direct_on, true, __ATOMIC_RELEASE);
    }
    return 0;
}

bool vdisk_direct_data(const struct vdisk *d)
{
    return __atomic_load_n(&d->direct_on, __ATOMIC_ACQUIRE);
}

#define DIRECT_ALIGN 4096u

int vd_pwrite_data(struct vdisk *d, int fd, const void *buf, size_t n,
                   uint64_t off, const char *name, struct vdisk_err *err)
{
    const uint8_t *p = buf;
    if (!vdisk_direct_data(d) || fd != d->fd || n < DIRECT_ALIGN)
        return vd_pwrite_fd(fd, buf, n, off, name, err);
    uint64_t a = (off + DIRECT_ALIGN - 1) & ~(uint64_t)(DIRECT_ALIGN - 1);
    uint64_t b = (off + n) & ~(uint64_t)(DIRECT_ALIGN - 1);
    if (a >= b || ((uintptr_t)(p + (a - off)) & (DIRECT_ALIGN - 1)))
        return vd_pwrite_fd(fd, buf, n, off, name, err);
    int rc = 0;
    if (a > off)
        rc = vd_pwrite_fd(fd, p, (size_t)(a - off), off, name, err);
    if (rc == 0) {
        const uint8_t *q = p + (a - off);
        uint64_t o = a, left = b - a;
        while (left > 0 && rc == 0) {
            ssize_t r = pwrite(d->direct_fd, q, left, (off_t)o);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0 || (size_t)r % DIRECT_ALIGN) {
                /* refused (or a short odd write): the rest buffered */
                if (r > 0) {
                    q += r;
                    o += (uint64_t)r;
                    left -= (uint64_t)r;
                }
                rc = vd_pwrite_fd(fd, q, left, o, name, err);
                break;
            }
            q += r;
            o += (uint64_t)r;
            left -= (uint64_t)r;
        }
    }
    if (rc == 0 && off + n > b)
        rc = vd_pwrite_fd(fd, p + (b - off), (size_t)(off + n - b), b, name, err);
    return rc;
}

void vd_random(void *buf, size_t n)
{
    uint8_t *b = buf;
    ssize_t r = getrandom(b, n, 0);
    if (r == (ssize_t)n)
        return;
    uint64_t x = (uint64_t)time(NULL) ^ (uint64_t)getpid() << 32 ^
                 (uint64_t)(uintptr_t)buf;
    for (size_t i = 0; i < n; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        b[i] = (uint8_t)(x >> 56);
    }
}

/* ---- accessors ------------------------------------------------------------- */

uint64_t vdisk_size(const struct vdisk *d) { return d->size; }
const char *vdisk_format(const struct vdisk *d) { return d->drv->name; }
const char *vdisk_filename(const struct vdisk *d) { return d->filename; }
bool vdisk_is_writable(const struct vdisk *d) { return d->flags & VDISK_RDWR; }
uint32_t vdisk_cluster_size(const struct vdisk *d) { return d->cluster_size; }
uint32_t vdisk_alignment(const struct vdisk *d) { return d->alignment; }
struct vdisk *vdisk_backing(const struct vdisk *d) { return d->backing; }
const char *vdisk_backing_name(const struct vdisk *d) { return d->backing_name; }
const char *vdisk_backing_format(const struct vdisk *d) { return d->backing_fmt; }
const char *vdisk_backing_path(const struct vdisk *d) { return d->backing_path; }
bool vdisk_has_zero_init(const struct vdisk *d) { return d->zero_init; }
bool vdisk_compresses_writes(const struct vdisk *d) { return d->compress_writes; }
void *vdisk_priv(const struct vdisk *d) { return d->priv; }

const char *vdisk_data_filename(const struct vdisk *d)
{
    return d->data_filename ? d->data_filename : d->filename;
}

/* ---- request validation ------------------------------------------------------ */

static int check_range(struct vdisk *d, uint64_t n, uint64_t off, bool write,
                       const char *what, struct vdisk_err *err)
{
    if (write && !(d->flags & VDISK_RDWR))
        return vdisk_err_set(err, EROFS, "'%s' is open read-only",
                             d->filename);
    if (off > d->size || n > d->size - off)
        return vdisk_err_set(err, EINVAL, "%s of %llu bytes at %llu is past "
                             "the end of '%s' (%llu bytes)", what,
                             (unsigned long long)n, (unsigned long long)off,
                             d->filename, (unsigned long long)d->size);
    if (d->alignment > 1 && ((off | n) & (d->alignment - 1)))
        return vdisk_err_set(err, EINVAL, "%s at %llu+%llu on '%s' is not "
                             "%u-byte aligned", what, (unsigned long long)off,
                             (unsigned long long)n, d->filename,
                             d->alignment);
    return 0;
}

int vdisk_pread(struct vdisk *d, void *buf, size_t n, uint64_t off,
                struct vdisk_err *err)
{
    int rc = check_range(d, n, off, false, "read", err);
    if (rc < 0 || n == 0)
        return rc;
    return d->drv->pread(d, buf, n, off, err);
}

int vdisk_pwrite(struct vdisk *d, const void *buf, size_t n, uint64_t off,
                 struct vdisk_err *err)
{
    int rc = check_range(d, n, off, true, "write", err);
    if (rc < 0 || n == 0)
        return rc;
    if (!d->drv->pwrite)
        return vdisk_err_set(err, ENOTSUP, "'%s': format '%s' is read-only "
                             "in vxl", d->filename, d->drv->name);
    return d->drv->pwrite(d, buf, n, off, err);
}

static int write_zero_bytes(struct vdisk *d, uint64_t off, uint64_t len,
                            struct vdisk_err *err)
{
    size_t bs = 1 << 20;
    uint8_t *z = xcalloc(1, bs);
    int rc = 0;
    while (len > 0 && rc == 0) {
        size_t n = len < bs ? (size_t)len : bs;
        rc = d->drv->pwrite(d, z, n, off, err);
        off += n;
        len -= n;
    }
    free(z);
    return rc;
}

int vdisk_pwrite_zeroes(struct vdisk *d, uint64_t off, uint64_t len,
                        unsigned flags, struct vdisk_err *err)
{
    int rc = check_range(d, len, off, true, "write zeroes", err);
    if (rc < 0 || len == 0)
        return rc;
    if (d->drv->pwrite_zeroes) {
        rc = d->drv->pwrite_zeroes(d, off, len, flags, err);
        if (rc != -ENOTSUP)
            return rc;
    }
    if (flags & VDISK_ZERO_NO_FALLBACK)
        return vdisk_err_set(err, ENOTSUP, "'%s': cannot write zeroes "
                             "efficiently", d->filename);
    if (!d->drv->pwrite)
        return vdisk_err_set(err, ENOTSUP, "'%s': format '%s' is read-only "
                             "in vxl", d->filename, d->drv->name);
    return write_zero_bytes(d, off, len, err);
}

int vdisk_discard(struct vdisk *d, uint64_t off, uint64_t len,
                  struct vdisk_err *err)
{
    int rc = check_range(d, len, off, true, "discard", err);
    if (rc < 0 || len == 0 || !d->drv->discard)
        return rc;
    return d->drv->discard(d, off, len, err);
}

int vdisk_flush(struct vdisk *d, struct vdisk_err *err)
{
    if (!(d->flags & VDISK_RDWR) || !d->drv->flush)
        return 0;
    return d->drv->flush(d, err);
}

int vdisk_truncate(struct vdisk *d, uint64_t size, unsigned flags,
                   enum vdisk_prealloc prealloc, struct vdisk_err *err)
{
    if (!(d->flags & VDISK_RDWR))
        return vdisk_err_set(err, EROFS, "'%s' is open read-only",
                             d->filename);
    if (size < d->size && !(flags & VDISK_TRUNC_SHRINK))
        return vdisk_err_set(err, EINVAL, "'%s': use the --shrink option to "
                             "shrink the image", d->filename);
    if (size == d->size)
        return 0;
    if (!d->drv->truncate)
        return vdisk_err_set(err, ENOTSUP, "'%s': format '%s' cannot be "
                             "resized", d->filename, d->drv->name);
    return d->drv->truncate(d, size, flags, prealloc, err);
}

/* ---- compression ------------------------------------------------------------ */

static int check_compressed(struct vdisk *d, uint64_t off, size_t n,
                            struct vdisk_err *err)
{
    int rc = check_range(d, n, off, true, "compressed write", err);
    if (rc < 0)
        return rc;
    if (!d->drv->write_compressed || !d->cluster_size)
        return vdisk_err_set(err, ENOTSUP, "'%s': format '%s' does not "
                             "support compression", d->filename,
                             d->drv->name);
    if (off % d->cluster_size)
        return vdisk_err_set(err, EINVAL, "'%s': compressed write at %llu is "
                             "not cluster aligned", d->filename,
                             (unsigned long long)off);
    return 0;
}

int vdisk_compress_cluster(const struct vdisk *d, const void *in, size_t n,
                           void *out, size_t out_cap, size_t *out_len,
                           struct vdisk_err *err)
{
    if (!d->drv->compress)
        return vdisk_err_set(err, ENOTSUP, "'%s': format '%s' does not "
                             "support compression", d->filename,
                             d->drv->name);
    if (n == 0 || n > d->cluster_size || out_cap < d->cluster_size)
        return vdisk_err_set(err, EINVAL, "compress: bad buffer sizes");
    return d->drv->compress(d, in, n, out, out_cap, out_len, err);
}

bool vdisk_can_reserve(const struct vdisk *d)
{
    return d->drv->reserve && (d->flags & VDISK_RDWR) && !d->win;
}

int vdisk_reserve_data(struct vdisk *d, uint64_t off, uint64_t len,
                       uint64_t *host, uint64_t *got, struct vdisk_err *err)
{
    int rc = check_range(d, len, off, true, "write", err);
    if (rc < 0)
        return rc;
    if (!vdisk_can_reserve(d) || !d->cluster_size || len == 0 ||
        off % d->cluster_size ||
        (len % d->cluster_size && off + len != d->size))
        return vdisk_err_set(err, ENOTSUP, "'%s': cannot reserve %llu bytes "
                             "at %llu", d->filename, (unsigned long long)len,
                             (unsigned long long)off);
    rc = d->drv->reserve(d, off, len, host, got, err);
    if (rc == 0 && (*got == 0 || *got > len))
        return vdisk_err_set(err, EIO, "'%s': driver reserved a bad range",
                             d->filename);
    return rc;
}

int vdisk_write_reserved(struct vdisk *d, const void *buf, size_t n,
                         uint64_t host, struct vdisk_err *err)
{
    return vd_pwrite_data(d, d->fd, buf, n, host, d->filename, err);
}

int vdisk_write_compressed(struct vdisk *d, uint64_t off, const void *cdata,
                           size_t clen, struct vdisk_err *err)
{
    uint64_t n = d->size - off < d->cluster_size ? d->size - off
                                                  : d->cluster_size;
    int rc = check_compressed(d, off, off <= d->size ? n : 1, err);
    if (rc < 0)
        return rc;
    /* it must shrink, except where every write is compressed anyway
     * (deflate's worst case adds a few bytes per 64 KiB) */
    size_t max = d->compress_writes ? d->cluster_size + d->cluster_size / 8 + 64
                                    : d->cluster_size - 1;
    if (clen == 0 || clen > max)
        return vdisk_err_set(err, EINVAL, "compressed cluster of %zu bytes "
                             "does not fit", clen);
    return d->drv->write_compressed(d, off, cdata, clen, err);
}

int vdisk_pwrite_compressed(struct vdisk *d, const void *buf, size_t n,
                            uint64_t off, struct vdisk_err *err)
{
    int rc = check_compressed(d, off, n, err);
    if (rc < 0)
        return rc;
    if (n > d->cluster_size || (n < d->cluster_size && off + n != d->size))
        return vdisk_err_set(err, EINVAL, "compressed write must cover one "
                             "whole cluster");
    uint8_t *out = xmalloc(d->cluster_size);
    size_t clen = 0;
    rc = d->drv->compress(d, buf, n, out, d->cluster_size, &clen, err);
    if (rc == 0) {
        if (clen)
            rc = d->drv->write_compressed(d, off, out, clen, err);
        else
            rc = d->drv->pwrite(d, buf, n, off, err);
    }
    free(out);
    return rc;
}

/* ---- block status ------------------------------------------------------------- */

/* One layer's own status of [off, off + l).  A read-only layer keeps its
 * last answer: walking a chain, every run a lower layer answers sends the
 * next request back to the top, and without it each upper layer would
 * rescan its whole unallocated run again (`map` of the benchmark's
 * 3-image chain: 36.7 M -> 13.2 M instructions).  The answers are the
 * same: a run that ended before the requested length ends there for any
 * start inside it; one cut by the request is reused only within it. */
static int layer_status(struct vdisk *layer, uint64_t off, uint64_t l,
                        struct vdisk_extent *ext, struct vdisk_err *err)
{
    typeof(layer->bs_cache) *c = &layer->bs_cache;
    if (c->valid && off >= c->off && off - c->off < c->len &&
        (!c->clipped || l <= c->len - (off - c->off))) {
        uint64_t rest = c->len - (off - c->off);
        ext->off = off;
        ext->len = rest < l ? rest : l;
        ext->flags = c->flags;
        ext->host_offset = (c->flags & VDISK_EXT_OFFSET)
                               ? c->host_offset + (off - c->off) : 0;
        return 0;
    }
    int rc = layer->drv->block_status(layer, off, l, ext, err);
    if (rc < 0)
        return rc;
    if (ext->len == 0 || ext->len > l || ext->off != off)
        return vdisk_err_set(err, EIO, "'%s': driver returned a bad extent",
                             layer->filename);
    if (!(layer->flags & VDISK_RDWR)) {
        c->valid = true;
        c->clipped = ext->len == l;
        c->flags = ext->flags;
        c->off = ext->off;
        c->len = ext->len;
        c->host_offset = ext->host_offset;
    }
    return 0;
}

int vdisk_block_status(struct vdisk *d, uint64_t off, uint64_t len,
                       bool chain, struct vdisk_extent *ext,
                       struct vdisk_err *err)
{
    if (off >= d->size || len == 0)
        return vdisk_err_set(err, EINVAL, "block status at %llu is past the "
                             "end of '%s'", (unsigned long long)off,
                             d->filename);
    if (len > d->size - off)
        len = d->size - off;
    struct vdisk *layer = d;
    int depth = 0;
    for (;;) {
        memset(ext, 0, sizeof(*ext));
        int rc;
        if (off >= layer->size) {
            /* beyond the end of a shorter backing file: zeros */
            ext->off = off;
            ext->len = len;
            ext->flags = VDISK_EXT_ZERO;
            rc = 0;
        } else {
            uint64_t l = len;
            if (l > layer->size - off)
                l = layer->size - off;
            rc = layer_status(layer, off, l, ext, err);
            if (rc < 0)
                return rc;
        }
        ext->depth = depth;
        ext->layer = layer;
        if ((ext->flags & VDISK_EXT_ALLOCATED) || off >= layer->size)
            return 0;
        if (!layer->backing) {
            ext->flags |= VDISK_EXT_ZERO;
            return 0;
        }
        if (!chain)
            return 0;
        if (off >= layer->backing->size) {
            /* past the end of the (shorter) backing file: zeros, answered
             * by this layer as qemu's block status does (depth here, not
             * below) */
            ext->flags |= VDISK_EXT_ZERO;
            return 0;
        }
        len = ext->len;
        layer = layer->backing;
        depth++;
    }
}

/* ---- create / measure / info / check --------------------------------------- */

int vdisk_create(const char *path, const struct vdisk_create_opts *o,
                 struct vdisk_err *err)
{
    if (!o->format)
        return vdisk_err_set(err, EINVAL, "no image format given");
    const struct vdisk_driver *drv = vdisk_driver_find(o->format);
    if (!drv)
        return vdisk_err_set(err, ENOTSUP, "unknown image format '%s'",
                             o->format);
    if (!drv->create)
        return vdisk_err_set(err, ENOTSUP, "format '%s' does not support "
                             "image creation", o->format);
    int drc = vdisk_create_opts_check(o, false, err);
    if (drc < 0)
        return drc;
    struct vdisk_create_opts copy = *o;
    if (o->backing_file && !o->backing_format)
        return vdisk_err_set(err, EINVAL, "'%s': backing file specified "
                             "without backing format", path);
    if (o->backing_file && !o->size_set) {
        if (is_protocol_name(o->backing_file))
            return vdisk_err_set(err, EPERM, "backing file name '%s' is not "
                                 "a plain file name", o->backing_file);
        char *bp = vd_resolve_relative(o->final_name ? o->final_name : path,
                                       o->backing_file);
        struct vdisk_open_opts bo = { .format = o->backing_format };
        struct vdisk *b;
        int rc = vdisk_open(bp, &bo, &b, err);
        free(bp);
        if (rc < 0)
            return vdisk_err_prefix(err, "could not open backing file: ");
        copy.size = b->size;
        copy.size_set = true;
        vdisk_close(b, NULL);
    }
    if (!copy.size_set)
        return vdisk_err_set(err, EINVAL, "image creation needs a size "
                             "parameter");
    if (copy.size > (UINT64_MAX >> 2))
        return vdisk_err_set(err, EFBIG, "image size %llu is too large",
                             (unsigned long long)copy.size);
    copy.size = (copy.size + 511) & ~511ull;    /* whole sectors, as QEMU */
    return drv->create(path, &copy, err);
}

int vdisk_measure(const struct vdisk_create_opts *o, struct vdisk *src,
                  struct vdisk_measure *out, struct vdisk_err *err)
{
    const struct vdisk_driver *drv = vdisk_driver_find(o->format);
    if (!drv)
        return vdisk_err_set(err, ENOTSUP, "unknown image format '%s'",
                             o->format);
    if (!drv->measure)
        return vdisk_err_set(err, ENOTSUP, "format '%s' does not support "
                             "size measurement", o->format);
    int rc = vdisk_create_opts_check(o, true, err);
    if (rc < 0)
        return rc;
    return drv->measure(o, src, out, err);
}

int vdisk_get_info(struct vdisk *d, struct vdisk_info *info,
                   struct vdisk_err *err)
{
    memset(info, 0, sizeof(*info));
    info->format = d->drv->name;
    info->virtual_size = d->size;
    info->cluster_size = d->cluster_size;
    struct stat st;
    if (fstat(d->fd, &st) == 0)
        info->actual_size = (uint64_t)st.st_blocks * 512;
    if (d->backing_name) {
        info->backing_file = xstrdup(d->backing_name);
        info->full_backing_file = xstrdup(d->backing_path ? d->backing_path
                                          : d->backing_name);
    }
    if (d->backing_fmt)
        info->backing_format = xstrdup(d->backing_fmt);
    if (d->drv->get_info) {
        int rc = d->drv->get_info(d, info, err);
        if (rc < 0) {
            vdisk_info_dispose(info);
            return rc;
        }
    }
    return 0;
}

void vdisk_snapshot_list_free(struct vdisk_snapshot *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(list[i].id);
        free(list[i].name);
    }
    free(list);
}

void vdisk_info_dispose(struct vdisk_info *info)
{
    free(info->backing_file);
    free(info->backing_format);
    free(info->full_backing_file);
    free(info->qcow2.data_file);
    vdisk_snapshot_list_free(info->snapshots, info->nsnapshots);
    memset(info, 0, sizeof(*info));
}

int vdisk_check(struct vdisk *d, unsigned fix, struct vdisk_check *res,
                vxl_diags *report, struct vdisk_err *err)
{
    memset(res, 0, sizeof(*res));
    if (!d->drv->check)
        return vdisk_err_set(err, ENOTSUP, "This image format does not "
                             "support checks");
    if (fix && !(d->flags & VDISK_RDWR))
        return vdisk_err_set(err, EROFS, "'%s' is open read-only; cannot "
                             "repair", d->filename);
    return d->drv->check(d, fix, res, report, err);
}

/* ---- snapshots and chain edits ------------------------------------------------ */

#define NEED_OP(op, what)                                                    \
    do {                                                                     \
        if (!d->drv->op)                                                     \
            return vdisk_err_set(err, ENOTSUP, "'%s': format '%s' does not " \
                                 "support %s", d->filename, d->drv->name,    \
                                 what);                                      \
    } while (0)
#define NEED_RW()                                                            \
    do {                                                                     \
        if (!(d->flags & VDISK_RDWR))                                        \
            return vdisk_err_set(err, EROFS, "'%s' is open read-only",       \
                                 d->filename);                               \
    } while (0)

int vdisk_snapshot_list(struct vdisk *d, struct vdisk_snapshot **list,
                        size_t *n, struct vdisk_err *err)
{
    *list = NULL;
    *n = 0;
    if (!d->drv->snapshot_list)
        return 0;
    return d->drv->snapshot_list(d, list, n, err);
}

int vdisk_snapshot_create(struct vdisk *d, const char *name,
                          struct vdisk_err *err)
{
    NEED_OP(snapshot_create, "internal snapshots");
    NEED_RW();
    if (!name || !*name)
        return vdisk_err_set(err, EINVAL, "snapshot name is empty");
    return d->drv->snapshot_create(d, name, err);
}

int vdisk_snapshot_apply(struct vdisk *d, const char *which,
                         struct vdisk_err *err)
{
    NEED_OP(snapshot_apply, "internal snapshots");
    NEED_RW();
    return d->drv->snapshot_apply(d, which, err);
}

int vdisk_snapshot_delete(struct vdisk *d, const char *which,
                          struct vdisk_err *err)
{
    NEED_OP(snapshot_delete, "internal snapshots");
    NEED_RW();
    return d->drv->snapshot_delete(d, which, err);
}

int vdisk_can_set_backing(struct vdisk *d, const char *name, const char *fmt,
                          struct vdisk_err *err)
{
    NEED_OP(set_backing, "backing files");
    NEED_RW();
    if (name && is_protocol_name(name))
        return vdisk_err_set(err, EPERM, "backing file name '%s' is not a "
                             "plain file name", name);
    if (name && !fmt)
        return vdisk_err_set(err, EINVAL, "backing file '%s' given without "
                             "its format", name);
    if (fmt && !vdisk_driver_find(fmt))
        return vdisk_err_set(err, ENOTSUP, "unknown backing format '%s'",
                             fmt);
    return d->drv->can_set_backing ? d->drv->can_set_backing(d, name, fmt, err)
                                   : 0;
}

int vdisk_set_backing(struct vdisk *d, const char *name, const char *fmt,
                      struct vdisk_err *err)
{
    int rc = vdisk_can_set_backing(d, name, fmt, err);
    if (rc < 0)
        return rc;
    rc = d->drv->set_backing(d, name, fmt, err);
    if (rc < 0)
        return rc;
    free(d->backing_name);
    free(d->backing_fmt);
    free(d->backing_path);
    d->backing_name = name ? xstrdup(name) : NULL;
    d->backing_fmt = fmt ? xstrdup(fmt) : NULL;
    d->backing_path = name ? vd_resolve_relative(d->filename, name) : NULL;
    return 0;
}

int vdisk_make_empty(struct vdisk *d, struct vdisk_err *err)
{
    NEED_OP(make_empty, "emptying");
    NEED_RW();
    return d->drv->make_empty(d, err);
}

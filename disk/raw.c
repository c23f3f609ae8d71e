/* disk/raw.c — raw images: regular files (sparse-aware through
 * SEEK_DATA/SEEK_HOLE and fallocate) and block devices. */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "disk/internal.h"

struct raw {
    bool blockdev;
    bool no_seek_data;      /* filesystem lacks SEEK_DATA: all data */
};

static int raw_probe(const uint8_t *head, size_t len)
{
    return 1;
}

static int raw_open(struct vdisk *d, int fd, unsigned flags,
                    struct vdisk_err *err)
{
    struct raw *r = vdisk_priv(d);
    if (d->win) {
        /* a window: exactly its bytes (no rounding: the length is known
         * and the data is not ours to pad) */
        d->size = d->win->len;
        r->no_seek_data = true;
        return 0;
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int e = errno;
        close(fd);
        return vdisk_err_set(err, e, "'%s': %s", d->filename, strerror(e));
    }
    if (S_ISBLK(st.st_mode)) {
        uint64_t sz;
        if (ioctl(fd, BLKGETSIZE64, &sz) < 0) {
            int e = errno;
            close(fd);
            return vdisk_err_set(err, e, "'%s': cannot get device size: %s",
                                 d->filename, strerror(e));
        }
        r->blockdev = true;
        d->size = sz;
    } else if (S_ISREG(st.st_mode)) {
        /* as QEMU: the size is rounded up to whole sectors; the tail
         * reads as zeros */
        d->size = ((uint64_t)st.st_size + 511) & ~511ull;
        d->zero_init = true;
    } else {
        close(fd);
        return vdisk_err_set(err, EINVAL, "'%s' is neither a regular file "
                             "nor a block device", d->filename);
    }
    return 0;
}

static int raw_close(struct vdisk *d, struct vdisk_err *err)
{
    /* no implicit fdatasync: callers flush with vdisk_flush() */
    if (d->fd >= 0 && close(d->fd) < 0 && (d->flags & VDISK_RDWR))
        return vdisk_err_set(err, errno, "'%s': close failed: %s",
                             d->filename, strerror(errno));
    return 0;
}

static int raw_pread(struct vdisk *d, void *buf, size_t n, uint64_t off,
                     struct vdisk_err *err)
{
    if (d->win)
        return vd_win_pread(d->win, buf, n, off, false, d->filename, err);
    return vd_pread_fd(d->fd, buf, n, off, d->filename, err);
}

static int raw_pwrite(struct vdisk *d, const void *buf, size_t n,
                      uint64_t off, struct vdisk_err *err)
{
    return vd_pwrite_data(d, d->fd, buf, n, off, d->filename, err);
}

static int raw_pwrite_zeroes(struct vdisk *d, uint64_t off, uint64_t len,
                             unsigned flags, struct vdisk_err *err)
{
    int mode = (flags & VDISK_ZERO_MAY_UNMAP)
                   ? FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE
                   : FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE;
    if (fallocate(d->fd, mode, (off_t)off, (off_t)len) == 0)
        return 0;
    if (mode & FALLOC_FL_PUNCH_HOLE &&
        fallocate(d->fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE,
                  (off_t)off, (off_t)len) == 0)
        return 0;
    return -ENOTSUP;        /* the core falls back to writing zeros */
}

static int raw_discard(struct vdisk *d, uint64_t off, uint64_t len,
                       struct vdisk_err *err)
{
    /* advisory: a failure to punch leaves valid data behind */
    (void)fallocate(d->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                    (off_t)off, (off_t)len);
    return 0;
}

static int raw_flush(struct vdisk *d, struct vdisk_err *err)
{
    if (fdatasync(d->fd) < 0)
        return vdisk_err_set(err, errno, "'%s': flush failed: %s",
                             d->filename, strerror(errno));
    return 0;
}

static int prealloc_range(int fd, const char *name, uint64_t from,
                          uint64_t to, enum vdisk_prealloc p,
                          struct vdisk_err *err)
{
    if (to <= from || p == VDISK_PREALLOC_OFF ||
        p == VDISK_PREALLOC_METADATA)
        return 0;
    if (p == VDISK_PREALLOC_FALLOC) {
        int e = posix_fallocate(fd, (off_t)from, (off_t)(to - from));
        if (e)
            return vdisk_err_set(err, e, "'%s': could not preallocate: %s",
                                 name, strerror(e));
        return 0;
    }
    size_t bs = 1 << 20;
    uint8_t *z = xcalloc(1, bs);
    int rc = 0;
    for (uint64_t o = from; o < to && rc == 0; o += bs) {
        size_t n = to - o < bs ? (size_t)(to - o) : bs;
        rc = vd_pwrite_fd(fd, z, n, o, name, err);
    }
    free(z);
    return rc;
}

static int raw_truncate(struct vdisk *d, uint64_t size, unsigned flags,
                        enum vdisk_prealloc prealloc, struct vdisk_err *err)
{
    struct raw *r = vdisk_priv(d);
    if (r->blockdev)
        return vdisk_err_set(err, ENOTSUP, "'%s': cannot resize a block "
                             "device", d->filename);
    uint64_t old = d->size;
    if (ftruncate(d->fd, (off_t)size) < 0)
        return vdisk_err_set(err, errno, "'%s': could not resize: %s",
                             d->filename, strerror(errno));
    d->size = size;
    return prealloc_range(d->fd, d->filename, old, size, prealloc, err);
}

static int raw_block_status(struct vdisk *d, uint64_t off, uint64_t len,
                            struct vdisk_extent *ext, struct vdisk_err *err)
{
    struct raw *r = vdisk_priv(d);
    ext->off = off;
    ext->len = len;
    ext->host_offset = off;
    ext->flags = VDISK_EXT_ALLOCATED | VDISK_EXT_DATA | VDISK_EXT_OFFSET;
    if (r->blockdev || r->no_seek_data)
        return 0;
    off_t data = lseek(d->fd, (off_t)off, SEEK_DATA);
    if (data < 0) {
        if (errno == ENXIO) {           /* a hole up to EOF */
            ext->flags = VDISK_EXT_ALLOCATED | VDISK_EXT_ZERO |
                         VDISK_EXT_OFFSET;
            return 0;
        }
        r->no_seek_data = true;          /* EINVAL: not supported */
        return 0;
    }
    if ((uint64_t)data > off) {
        ext->flags = VDISK_EXT_ALLOCATED | VDISK_EXT_ZERO | VDISK_EXT_OFFSET;
        if ((uint64_t)data - off < len)
            ext->len = (uint64_t)data - off;
        return 0;
    }
    off_t hole = lseek(d->fd, (off_t)off, SEEK_HOLE);
    if (hole > (off_t)off && (uint64_t)hole - off < len)
        ext->len = (uint64_t)hole - off;
    return 0;
}

static int raw_create(const char *path, const struct vdisk_create_opts *o,
                      struct vdisk_err *err)
{
    if (o->backing_file)
        return vdisk_err_set(err, EINVAL, "'%s': format 'raw' does not "
                             "support backing files", path);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return vdisk_err_set(err, errno, "could not create '%s': %s", path,
                             strerror(errno));
    struct stat st;
    int rc = 0;
    if (fstat(fd, &st) == 0 && S_ISBLK(st.st_mode)) {
        close(fd);
        return 0;       /* creating on a device: nothing to format */
    }
    if (ftruncate(fd, 0) < 0 || ftruncate(fd, (off_t)o->size) < 0)
        rc = vdisk_err_set(err, errno, "could not resize '%s': %s", path,
                           strerror(errno));
    if (rc == 0)
        rc = prealloc_range(fd, path, 0, o->size, o->preallocation, err);
    if (close(fd) < 0 && rc == 0)
        rc = vdisk_err_set(err, errno, "'%s': %s", path, strerror(errno));
    return rc;
}

/* As qemu's raw_measure(): unallocated sectors count towards a raw
 * file's size, so required = fully allocated = the virtual size (the
 * source's length, or the requested size in whole sectors). */
static int raw_measure(const struct vdisk_create_opts *o, struct vdisk *src,
                       struct vdisk_measure *out, struct vdisk_err *err)
{
    (void)err;
    uint64_t size = src ? vdisk_size(src) : (o->size + 511) & ~511ull;
    out->fully_allocated = size;
    out->required = size;
    return 0;
}

const struct vdisk_driver vdisk_raw_driver = {
    .name = "raw",
    .priv_size = sizeof(struct raw),
    .probe = raw_probe,
    .open = raw_open,
    .close = raw_close,
    .pread = raw_pread,
    .pwrite = raw_pwrite,
    .pwrite_zeroes = raw_pwrite_zeroes,
    .discard = raw_discard,
    .flush = raw_flush,
    .truncate = raw_truncate,
    .block_status = raw_block_status,
    .create = raw_create,
    .measure = raw_measure,
    .zero_init = true,
    .windows = true,
};

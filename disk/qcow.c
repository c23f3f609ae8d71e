/* disk/qcow.c — QEMU's original qcow (version 1) format, read-only:
 * 48-byte header, one L1 table, L2 tables of 2^l2_bits entries, zlib
 * compressed clusters.  qcow v1 records no backing format, so its backing
 * file opens only with an explicit format (disk.h policy 3). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "common/util.h"
#include "disk/internal.h"

#define QCOW_MAGIC 0x514649fbu
#define QCOW_COMPRESSED (1ull << 63)

struct qcow {
    uint32_t cluster_bits, l2_bits;
    uint64_t l1_size;
    uint64_t *l1;
    uint64_t l2_off;            /* cached L2 table */
    uint64_t *l2;
    uint64_t dc_off;            /* cached decompressed cluster */
    uint8_t *dc, *cbuf;
    uint64_t fsize;
};

static int qcow_probe(const uint8_t *head, size_t len)
{
    if (len >= 8 && be32(head) == QCOW_MAGIC && be32(head + 4) == 1)
        return 100;
    return 0;
}

static void qcow_free(struct qcow *s)
{
    free(s->l1);
    free(s->l2);
    free(s->dc);
    free(s->cbuf);
}

static int qcow_open(struct vdisk *d, int fd, unsigned flags,
                     struct vdisk_err *err)
{
    struct qcow *s = vdisk_priv(d);
    uint8_t h[48];
    int rc;
    struct stat st;
    if (flags & VDISK_RDWR) {
        rc = vdisk_err_set(err, ENOTSUP, "'%s': qcow (v1) images are "
                           "read-only in vxl", d->filename);
        goto fail;
    }
    if (fstat(fd, &st) < 0) {
        rc = vdisk_err_set(err, errno, "'%s': %s", d->filename,
                           strerror(errno));
        goto fail;
    }
    s->fsize = (uint64_t)st.st_size;
    rc = vd_pread_exact(fd, h, sizeof(h), 0, d->filename, err);
    if (rc < 0)
        goto fail;
    if (be32(h) != QCOW_MAGIC || be32(h + 4) != 1) {
        rc = vdisk_err_set(err, EINVAL, "'%s': not a qcow image",
                           d->filename);
        goto fail;
    }
    uint64_t boff = be64(h + 8);
    uint32_t blen = be32(h + 16);
    uint64_t size = be64(h + 24);
    s->cluster_bits = h[32];
    s->l2_bits = h[33];
    uint32_t crypt = be32(h + 36);
    uint64_t l1off = be64(h + 40);
    if (s->cluster_bits < 9 || s->cluster_bits > 16 || s->l2_bits < 6 ||
        s->l2_bits > 16) {
        rc = vdisk_err_set(err, EINVAL, "'%s': bad cluster/L2 bits %u/%u",
                           d->filename, s->cluster_bits, s->l2_bits);
        goto fail;
    }
    if (crypt) {
        rc = vdisk_err_set(err, ENOTSUP, "'%s': encrypted images are not "
                           "supported", d->filename);
        goto fail;
    }
    uint32_t shift = s->cluster_bits + s->l2_bits;
    if (size > (1ull << 62) ||
        (size + (1ull << shift) - 1) >> shift > (32u << 20) / 8) {
        rc = vdisk_err_set(err, EFBIG, "'%s': image size %llu is too large",
                           d->filename, (unsigned long long)size);
        goto fail;
    }
    s->l1_size = (size + (1ull << shift) - 1) >> shift;
    if (s->l1_size && (l1off > s->fsize || s->l1_size * 8 > s->fsize - l1off)) {
        rc = vdisk_err_set(err, EINVAL, "'%s': L1 table lies outside the "
                           "file", d->filename);
        goto fail;
    }
    s->l1 = xcalloc(s->l1_size ? s->l1_size : 1, 8);
    rc = vd_pread_exact(fd, s->l1, s->l1_size * 8, l1off, d->filename, err);
    if (rc < 0)
        goto fail;
    for (uint64_t i = 0; i < s->l1_size; i++)
        s->l1[i] = be64(&s->l1[i]);
    if (boff) {
        if (blen == 0 || blen > 1023 || boff > s->fsize ||
            blen > s->fsize - boff) {
            rc = vdisk_err_set(err, EINVAL, "'%s': bad backing file name",
                               d->filename);
            goto fail;
        }
        char *name = xmalloc(blen + 1);
        rc = vd_pread_exact(fd, name, blen, boff, d->filename, err);
        name[blen] = 0;
        if (rc < 0 || strlen(name) != blen) {
            free(name);
            rc = rc < 0 ? rc : vdisk_err_set(err, EINVAL, "'%s': bad backing "
                                             "file name", d->filename);
            goto fail;
        }
        d->backing_name = name;
    }
    s->l2 = xmalloc(8u << s->l2_bits);
    d->size = size;
    d->cluster_size = 1u << s->cluster_bits;
    return 0;
fail:
    qcow_free(s);
    close(fd);
    return rc;
}

static int qcow_close(struct vdisk *d, struct vdisk_err *err)
{
    qcow_free(vdisk_priv(d));
    close(d->fd);
    return 0;
}

/* Entry for guest offset off: 0 = unallocated. */
static int lookup(struct vdisk *d, uint64_t off, uint64_t *entry,
                  struct vdisk_err *err)
{
    struct qcow *s = vdisk_priv(d);
    uint64_t ci = off >> s->cluster_bits;
    uint64_t l1i = ci >> s->l2_bits;
    *entry = 0;
    if (l1i >= s->l1_size || !s->l1[l1i])
        return 0;
    uint64_t l2off = s->l1[l1i];
    if (l2off != s->l2_off) {
        s->l2_off = 0;
        int rc = vd_pread_exact(d->fd, s->l2, 8u << s->l2_bits, l2off,
                                d->filename, err);
        if (rc < 0)
            return rc;
        s->l2_off = l2off;
    }
    *entry = be64(&s->l2[ci & ((1ull << s->l2_bits) - 1)]);
    return 0;
}

static int read_compressed(struct vdisk *d, uint64_t e, struct vdisk_err *err)
{
    struct qcow *s = vdisk_priv(d);
    uint64_t cs = 1ull << s->cluster_bits;
    uint64_t coff = e & ((1ull << (63 - s->cluster_bits)) - 1);
    uint64_t csize = (e >> (63 - s->cluster_bits)) & (cs - 1);
    if (!s->dc) {
        s->dc = xmalloc(cs);
        s->cbuf = xmalloc(cs);
    }
    if (s->dc_off == e)
        return 0;
    s->dc_off = 0;
    int rc = vd_pread_fd(d->fd, s->cbuf, csize, coff, d->filename, err);
    if (rc < 0)
        return rc;
    z_stream z;
    memset(&z, 0, sizeof(z));
    if (inflateInit2(&z, -12) != Z_OK)
        return vdisk_err_set(err, ENOMEM, "inflateInit failed");
    z.next_in = s->cbuf;
    z.avail_in = (uInt)csize;
    z.next_out = s->dc;
    z.avail_out = (uInt)cs;
    int r = inflate(&z, Z_FINISH);
    bool ok = (r == Z_STREAM_END || r == Z_BUF_ERROR) && z.avail_out == 0;
    inflateEnd(&z);
    if (!ok)
        return vdisk_err_set(err, EIO, "'%s': could not decompress cluster "
                             "at %#llx", d->filename,
                             (unsigned long long)coff);
    s->dc_off = e;
    return 0;
}

static int qcow_pread(struct vdisk *d, void *buf, size_t n, uint64_t off,
                      struct vdisk_err *err)
{
    struct qcow *s = vdisk_priv(d);
    uint64_t cs = 1ull << s->cluster_bits;
    uint8_t *p = buf;
    while (n > 0) {
        uint64_t co = off & (cs - 1);
        size_t len = cs - co < n ? (size_t)(cs - co) : n;
        uint64_t e;
        int rc = lookup(d, off, &e, err);
        if (rc < 0)
            return rc;
        if (!e) {
            rc = vd_read_backing(d, p, len, off, err);
        } else if (e & QCOW_COMPRESSED) {
            rc = read_compressed(d, e, err);
            if (rc == 0)
                memcpy(p, s->dc + co, len);
        } else {
            rc = vd_pread_fd(d->fd, p, len, e + co, d->filename, err);
        }
        if (rc < 0)
            return rc;
        p += len;
        off += len;
        n -= len;
    }
    return 0;
}

static int qcow_block_status(struct vdisk *d, uint64_t off, uint64_t len,
                             struct vdisk_extent *ext, struct vdisk_err *err)
{
    struct qcow *s = vdisk_priv(d);
    uint64_t cs = 1ull << s->cluster_bits;
    uint64_t e;
    int rc = lookup(d, off, &e, err);
    if (rc < 0)
        return rc;
    uint64_t l = cs - (off & (cs - 1));
    ext->off = off;
    ext->len = l < len ? l : len;
    ext->host_offset = 0;
    if (!e)
        ext->flags = 0;
    else if (e & QCOW_COMPRESSED)
        ext->flags = VDISK_EXT_ALLOCATED | VDISK_EXT_DATA |
                     VDISK_EXT_COMPRESSED;
    else {
        ext->flags = VDISK_EXT_ALLOCATED | VDISK_EXT_DATA | VDISK_EXT_OFFSET;
        ext->host_offset = e + (off & (cs - 1));
    }
    return 0;
}

const struct vdisk_driver vdisk_qcow_driver = {
    .name = "qcow",
    .priv_size = sizeof(struct qcow),
    .probe = qcow_probe,
    .open = qcow_open,
    .close = qcow_close,
    .pread = qcow_pread,
    .block_status = qcow_block_status,
};

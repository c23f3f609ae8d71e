/* disk/qcow2-prealloc.c — qcow2 preallocation (`-o preallocation=metadata|
 * falloc|full` on create and convert, `resize --preallocation`): every
 * unallocated cluster of a guest range gets a host cluster, table by
 * table (the L2 table first, then its data clusters in one contiguous
 * run, as qemu lays them out); the data clusters are then made to exist
 * in the file according to the mode. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "disk/qcow2.h"

/* Make the host range [off, off+len) of the data file exist: sparse
 * (metadata), fallocated, or written with zeros (full). */
static int fill_host(struct qcow2 *q, uint64_t off, uint64_t len,
                     enum vdisk_prealloc mode, struct vdisk_err *err)
{
    if (mode == VDISK_PREALLOC_METADATA || len == 0)
        return 0;
    if (mode == VDISK_PREALLOC_FALLOC) {
        if (fallocate(q->data_fd, 0, (off_t)off, (off_t)len) == 0)
            return 0;
        if (errno != EOPNOTSUPP && errno != ENOSYS)
            return vdisk_err_set(err, errno, "'%s': could not preallocate: "
                                 "%s", q->name, strerror(errno));
        /* no fallocate() here: zeros, as qemu's fallback does */
    }
    size_t chunk = 1u << 20;
    uint8_t *z = xcalloc(1, chunk);
    int rc = 0;
    while (len && rc == 0) {
        size_t n = len < chunk ? (size_t)len : chunk;
        rc = vd_pwrite_fd(q->data_fd, z, n, off, q->name, err);
        off += n;
        len -= n;
    }
    free(z);
    return rc;
}

/* Has the entry a host cluster (data file: offset 0 with COPIED too)? */
static bool mapped(const struct qcow2 *q, uint64_t e)
{
    return (e & (L2E_OFFSET_MASK | QCOW_OFLAG_COMPRESSED)) ||
           (qcow2_has_df(q) && (e & QCOW_OFLAG_COPIED));
}

int qcow2_preallocate(struct vdisk *d, uint64_t from, uint64_t to,
                      enum vdisk_prealloc mode, struct vdisk_err *err)
{
    struct qcow2 *q = Q(d);
    if (mode == VDISK_PREALLOC_OFF || from >= to)
        return 0;
    uint64_t cs = q->cluster_size, l2n = 1ull << q->l2_bits;
    uint64_t pos = from & ~(cs - 1), end_host = 0;
    int rc = 0;
    while (pos < to && rc == 0) {
        uint64_t l1i = pos / (cs << q->l2_bits);
        uint64_t l2i = (pos / cs) & (l2n - 1);
        struct qc_entry *t;
        rc = qcow2_l2_for_write(q, l1i, &t, err);
        if (rc < 0)
            break;
        /* the unallocated entries of this table in range, in runs */
        while (l2i < l2n && pos < to && rc == 0) {
            uint64_t e = be64(t->buf + l2i * q->l2_entry_size);
            if (mapped(q, e)) {
                l2i++;
                pos += cs;
                continue;
            }
            uint64_t n = 1, maxc = qcow2_max_alloc(q);
            while (n < maxc && l2i + n < l2n && pos + n * cs < to &&
                   !mapped(q, be64(t->buf + (l2i + n) * q->l2_entry_size)))
                n++;
            uint64_t host = pos;    /* data file: 1:1 */
            if (!qcow2_has_df(q))
                rc = qcow2_alloc_clusters(q, n, &host, err);
            if (rc < 0)
                break;
            rc = qc_get(q, &q->l2c, q->l1[l1i] & L1E_OFFSET_MASK, false, &t,
                        err);
            if (rc < 0)
                break;
            for (uint64_t j = 0; j < n; j++) {
                uint8_t *ent = t->buf + (l2i + j) * q->l2_entry_size;
                /* a plain zero entry stays zero (now preallocated) */
                uint64_t zero = q->extl2 ? 0 : be64(ent) & QCOW_OFLAG_ZERO;
                put_be64(ent, (host + j * cs) | QCOW_OFLAG_COPIED | zero);
            }
            t->dirty = true;
            rc = fill_host(q, host, n * cs, mode, err);
            if (rc == 0 && mode == VDISK_PREALLOC_METADATA &&
                pos + n * cs > to) {
                /* qemu's file ends where the guest range does and is
                 * then padded with zeros to the cluster end; its map
                 * calls that block data, not zero */
                uint64_t tail = host + (to - pos);
                rc = fill_host(q, tail, host + n * cs - tail,
                               VDISK_PREALLOC_FULL, err);
            }
            if (host + n * cs > end_host)
                end_host = host + n * cs;
            l2i += n;
            pos += n * cs;
        }
    }
    if (rc == 0)
        rc = qcow2_flush_all(q, err);
    /* reads past EOF would fail: the file must cover the last cluster */
    struct stat st;
    if (rc == 0 && fstat(q->data_fd, &st) == 0 &&
        (uint64_t)st.st_size < end_host && ftruncate(q->data_fd,
                                                     (off_t)end_host) < 0)
        rc = vdisk_err_set(err, errno, "'%s': %s", q->name, strerror(errno));
    return rc;
}

/* disk/qcow2-refcount.c — qcow2 reference counts of every width
 * (refcount_order 0..6), cluster allocation, and growth of the refcount
 * table.
 *
 * A missing refcount block means "all 64k..512 clusters it would cover
 * are free", so a new block is placed inside the range it covers and
 * counts itself; the clusters being allocated are kept out of the way.
 * The table grows at the end of the file, covering its own clusters. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "disk/qcow2.h"

uint64_t rb_get(const struct qcow2 *q, const uint8_t *blk, uint64_t i)
{
    switch (q->refcount_order) {
    case 0: return blk[i / 8] >> (i % 8) & 1;
    case 1: return blk[i / 4] >> (2 * (i % 4)) & 3;
    case 2: return blk[i / 2] >> (4 * (i % 2)) & 15;
    case 3: return blk[i];
    case 4: return be16(blk + 2 * i);
    case 5: return be32(blk + 4 * i);
    default: return be64(blk + 8 * i);
    }
}

void rb_set(const struct qcow2 *q, uint8_t *blk, uint64_t i, uint64_t v)
{
    unsigned sh;
    switch (q->refcount_order) {
    case 0:
        sh = i % 8;
        blk[i / 8] = (uint8_t)((blk[i / 8] & ~(1u << sh)) | (v & 1) << sh);
        break;
    case 1:
        sh = 2 * (i % 4);
        blk[i / 4] = (uint8_t)((blk[i / 4] & ~(3u << sh)) | (v & 3) << sh);
        break;
    case 2:
        sh = 4 * (i % 2);
        blk[i / 2] = (uint8_t)((blk[i / 2] & ~(15u << sh)) | (v & 15) << sh);
        break;
    case 3: blk[i] = (uint8_t)v; break;
    case 4: put_be16(blk + 2 * i, (uint16_t)v); break;
    case 5: put_be32(blk + 4 * i, (uint32_t)v); break;
    default: put_be64(blk + 8 * i, v); break;
    }
}

static uint64_t max_refcount(const struct qcow2 *q)
{
    return q->refcount_bits == 64 ? UINT64_MAX
                                  : (1ull << q->refcount_bits) - 1;
}

uint64_t qcow2_max_alloc(const struct qcow2 *q)
{
    uint64_t m = (1ull << q->rb_bits) / 2;
    return m > 1024 ? 1024 : m;
}

/* Refcount block ri, loaded: *blk = NULL where the table has none (its
 * clusters all have refcount 0). */
static int refblock(struct qcow2 *q, uint64_t ri, const uint8_t **blk,
                    struct vdisk_err *err)
{
    *blk = NULL;
    if (ri >= q->rt_entries)
        return 0;
    uint64_t boff = q->rt[ri] & RT_OFFSET_MASK;
    if (!boff)
        return 0;
    if (boff % q->cluster_size)
        return vdisk_err_set(err, EIO, "'%s': refcount block %llu is not "
                             "cluster aligned", q->name,
                             (unsigned long long)ri);
    struct qc_entry *e;
    int r = qc_get(q, &q->rbc, boff, false, &e, err);
    if (r == 0)
        *blk = e->buf;
    return r;
}

int qcow2_get_refcount(struct qcow2 *q, uint64_t ci, uint64_t *rc,
                       struct vdisk_err *err)
{
    const uint8_t *blk;
    int r = refblock(q, ci >> q->rb_bits, &blk, err);
    *rc = blk ? rb_get(q, blk, ci & ((1ull << q->rb_bits) - 1)) : 0;
    return r;
}

int qcow2_get_refcounts(struct qcow2 *q, uint64_t first, uint64_t n,
                        uint64_t *out, struct vdisk_err *err)
{
    uint64_t rbn = 1ull << q->rb_bits;
    while (n > 0) {
        uint64_t bi = first & (rbn - 1);
        uint64_t k = rbn - bi < n ? rbn - bi : n;
        const uint8_t *blk;
        int r = refblock(q, first >> q->rb_bits, &blk, err);
        if (r < 0)
            return r;
        for (uint64_t i = 0; i < k; i++)
            out[i] = blk ? rb_get(q, blk, bi + i) : 0;
        first += k;
        out += k;
        n -= k;
    }
    return 0;
}

static int write_rt_entry(struct qcow2 *q, uint64_t ri, struct vdisk_err *err)
{
    if (q->rt_growing)
        return 0;       /* the whole new table is written at the end */
    uint8_t b[8];
    put_be64(b, q->rt[ri]);
    return vd_pwrite_fd(q->fd, b, 8, q->rt_offset + ri * 8, q->name, err);
}

/* Clusters being allocated right now: no refcount block may go there. */
struct excl {
    uint64_t s[2], n[2];
};

static bool excluded(const struct excl *x, uint64_t c)
{
    for (int i = 0; i < 2; i++)
        if (c >= x->s[i] && c < x->s[i] + x->n[i])
            return true;
    return false;
}

static int grow_rt(struct qcow2 *q, uint64_t need, const struct excl *x,
                   struct vdisk_err *err);

/* The refcount block covering ci, created if missing. */
static int rb_for(struct qcow2 *q, uint64_t ci, const struct excl *x,
                  struct qc_entry **out, struct vdisk_err *err)
{
    uint64_t ri = ci >> q->rb_bits;
    int rc;
    if (ri >= q->rt_entries) {
        rc = grow_rt(q, ri + 1, x, err);
        if (rc < 0)
            return rc;
    }
    uint64_t boff = q->rt[ri] & RT_OFFSET_MASK;
    if (boff) {
        if (boff % q->cluster_size)
            return vdisk_err_set(err, EIO, "'%s': refcount block %llu is not "
                                 "cluster aligned", q->name,
                                 (unsigned long long)ri);
        return qc_get(q, &q->rbc, boff, false, out, err);
    }
    uint64_t first = ri << q->rb_bits, n = 1ull << q->rb_bits, b = first;
    while (b < first + n && (excluded(x, b) || b == ci))
        b++;
    if (b >= first + n)
        return vdisk_err_set(err, ENOSPC, "'%s': no room for a refcount "
                             "block", q->name);
    struct qc_entry *e;
    rc = qc_get(q, &q->rbc, b << q->cluster_bits, true, &e, err);
    if (rc < 0)
        return rc;
    rb_set(q, e->buf, b - first, 1);
    e->dirty = true;
    /* the block must exist on disk before the table points at it */
    rc = vd_pwrite_fd(q->fd, e->buf, q->cluster_size, e->off, q->name, err);
    if (rc < 0)
        return rc;
    e->dirty = false;
    q->rt[ri] = b << q->cluster_bits;
    if ((b + 1) << q->cluster_bits > q->host_end)
        q->host_end = (b + 1) << q->cluster_bits;
    rc = write_rt_entry(q, ri, err);
    if (rc < 0)
        return rc;
    *out = e;
    return 0;
}

static int set_rc(struct qcow2 *q, uint64_t ci, uint64_t v,
                  const struct excl *x, struct vdisk_err *err)
{
    struct qc_entry *e;
    int rc = rb_for(q, ci, x, &e, err);
    if (rc < 0)
        return rc;
    rb_set(q, e->buf, ci & ((1ull << q->rb_bits) - 1), v);
    e->dirty = true;
    if (v == 0) {
        if (ci < q->free_hint)
            q->free_hint = ci;
        if (ci < q->run_hint)
            q->run_hint = ci;
        if (q->cbyte_off && q->cbyte_off / q->cluster_size == ci)
            q->cbyte_off = 0;
    }
    return 0;
}

int qcow2_set_refcount(struct qcow2 *q, uint64_t ci, uint64_t v,
                       struct vdisk_err *err)
{
    struct excl x = {{0, 0}, {0, 0}};
    return set_rc(q, ci, v, &x, err);
}

void qcow2_discard_cluster(struct qcow2 *q, uint64_t ci)
{
    (void)fallocate(q->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                    (off_t)(ci << q->cluster_bits), (off_t)q->cluster_size);
}

/* qcow2_update_refcount, telling the new refcount. */
static int update_refcount(struct qcow2 *q, uint64_t ci, int64_t delta,
                           uint64_t *now, struct vdisk_err *err)
{
    uint64_t cur;
    int rc = qcow2_get_refcount(q, ci, &cur, err);
    if (rc < 0)
        return rc;
    if (delta < 0 && cur < (uint64_t)-delta)
        return vdisk_err_set(err, EIO, "'%s': refcount of cluster %llu would "
                             "drop below zero; the image is corrupt (run "
                             "'img check -r all')", q->name,
                             (unsigned long long)ci);
    if (delta > 0 && max_refcount(q) - cur < (uint64_t)delta)
        return vdisk_err_set(err, ERANGE, "'%s': refcount of cluster %llu "
                             "would exceed %u-bit refcounts", q->name,
                             (unsigned long long)ci, q->refcount_bits);
    struct excl x = {{0, 0}, {0, 0}};
    *now = cur + (uint64_t)delta;
    return set_rc(q, ci, *now, &x, err);
}

int qcow2_update_refcount(struct qcow2 *q, uint64_t ci, int64_t delta,
                          struct vdisk_err *err)
{
    uint64_t now;
    return update_refcount(q, ci, delta, &now, err);
}

int qcow2_alloc_clusters(struct qcow2 *q, uint64_t n, uint64_t *host_off,
                         struct vdisk_err *err)
{
    if (n == 0 || n > qcow2_max_alloc(q))
        return vdisk_err_set(err, EINVAL, "bad allocation size %llu",
                             (unsigned long long)n);
    /* Runs start their search at run_hint: a small hole left behind
     * (e.g. before a refcount or L2 cluster) would otherwise make every
     * later run rescan all the clusters allocated since, O(n^2). */
    uint64_t start = q->free_hint, run = 0;
    if (n > 1 && q->run_hint > start)
        start = q->run_hint;
    uint64_t ci = start;
    uint64_t limit = (1ull << 56) >> q->cluster_bits;
    while (run < n) {
        if (ci >= limit)
            return vdisk_err_set(err, ENOSPC, "'%s': image file offset "
                                 "limit reached", q->name);
        uint64_t v;
        int rc = qcow2_get_refcount(q, ci, &v, err);
        if (rc < 0)
            return rc;
        if (v == 0 && ci != 0) {
            if (run == 0)
                start = ci;
            run++;
        } else {
            run = 0;
        }
        ci++;
    }
    if ((start + n) << q->cluster_bits > q->host_end)
        q->host_end = (start + n) << q->cluster_bits;
    struct excl x = {{start, 0}, {n, 0}};
    for (uint64_t i = 0; i < n; i++) {
        int rc = set_rc(q, start + i, 1, &x, err);
        if (rc < 0)
            return rc;
    }
    /* the hint only moves past a prefix of used clusters */
    if (q->free_hint == start)
        q->free_hint = start + n;
    if (n > 1)
        q->run_hint = start + n;
    *host_off = start << q->cluster_bits;
    return 0;
}

int qcow2_free_range(struct qcow2 *q, uint64_t off, uint64_t len,
                     bool discard, struct vdisk_err *err)
{
    uint64_t cs = q->cluster_size;
    for (uint64_t c = off / cs; c < (off + len + cs - 1) / cs; c++) {
        uint64_t now;
        int rc = update_refcount(q, c, -1, &now, err);
        if (rc < 0)
            return rc;
        if (discard && now == 0)
            qcow2_discard_cluster(q, c);
    }
    return 0;
}

int qcow2_free_l2_entry(struct qcow2 *q, uint64_t e, struct vdisk_err *err)
{
    if (e & QCOW_OFLAG_COMPRESSED) {
        uint64_t s, end;
        qcow2_compressed_range(q, e, &s, &end);
        s &= ~511ull;
        return qcow2_free_range(q, s, end - s, false, err);
    }
    uint64_t off = e & L2E_OFFSET_MASK;
    if (!off || (q->incompat & QCOW2_INCOMPAT_DATA_FILE))
        return 0;
    return qcow2_update_refcount(q, off >> q->cluster_bits, -1, err);
}

/* Move the refcount table to the end of the file with room for `need`
 * entries (at least double). */
static int grow_rt(struct qcow2 *q, uint64_t need, const struct excl *x,
                   struct vdisk_err *err)
{
    uint64_t cs = q->cluster_size;
    uint64_t entries = q->rt_entries * 2;
    if (entries < need)
        entries = need;
    uint64_t t, k;
    for (;;) {
        k = (entries * 8 + cs - 1) / cs;
        entries = k * cs / 8;
        t = (q->host_end + cs - 1) / cs;
        if (((t + k) >> q->rb_bits) + 1 <= entries)
            break;
        entries = ((t + k) >> q->rb_bits) + 2;
    }
    if (k * cs > QCOW2_MAX_RT_BYTES)
        return vdisk_err_set(err, EFBIG, "'%s': refcount table would exceed "
                             "%u bytes", q->name, QCOW2_MAX_RT_BYTES);
    uint64_t *nt = xcalloc(entries, 8);
    memcpy(nt, q->rt, q->rt_entries * 8);
    uint64_t *old = q->rt;
    uint64_t old_off = q->rt_offset, old_clusters = q->rt_clusters;
    q->rt = nt;
    q->rt_entries = entries;
    q->rt_growing = true;
    q->host_end = (t + k) * cs;
    int rc = 0;
    struct excl x2 = {{x->s[0], t}, {x->n[0], k}};
    for (uint64_t c = t; c < t + k && rc == 0; c++)
        rc = set_rc(q, c, 1, &x2, err);
    q->rt_growing = false;
    if (rc < 0) {
        q->rt = old;        /* unchanged on disk; drop the new one */
        free(nt);
        q->rt_entries = old_clusters * cs / 8;
        return rc;
    }
    free(old);
    uint8_t *buf = xcalloc(k, cs);
    for (uint64_t i = 0; i < entries; i++)
        put_be64(buf + i * 8, nt[i]);
    rc = qc_flush(q, &q->rbc, err);
    if (rc == 0)
        rc = vd_pwrite_fd(q->fd, buf, k * cs, t * cs, q->name, err);
    free(buf);
    if (rc < 0)
        return rc;
    q->rt_offset = t * cs;
    q->rt_clusters = (uint32_t)k;
    uint8_t h[12];
    put_be64(h, q->rt_offset);
    put_be32(h + 8, q->rt_clusters);
    rc = vd_pwrite_fd(q->fd, h, 12, 48, q->name, err);
    if (rc == 0)
        rc = qcow2_free_range(q, old_off, old_clusters * cs, false, err);
    return rc;
}

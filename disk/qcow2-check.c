/* disk/qcow2-check.c — qcow2 consistency check and repair with
 * qemu-img's semantics and messages: recount every reference (header,
 * L1/L2 tables of the active state and of each snapshot, data and
 * compressed clusters, refcount structures, snapshot table), compare with
 * the stored refcounts, report leaks ("Leaked cluster") and corruptions
 * ("ERROR"), check the COPIED flags, and with fix flags repair what
 * qemu-img repairs, including rebuilding the refcount structure when a
 * used cluster has refcount 0. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/util.h"
#include "disk/qcow2.h"

struct ck {
    struct qcow2 *q;
    struct vdisk_check *res;
    vxl_diags *report;
    uint32_t *refs;         /* computed references per host cluster */
    uint64_t nrefs;         /* entries in refs */
    uint64_t nb_clusters;   /* clusters in the file */
    uint64_t file_len;
    uint64_t next_contig;   /* for fragmentation statistics */
    bool rebuild;
};

#define MSG(ck, sev, ...) \
    do { if ((ck)->report) vxl_diag_add((ck)->report, sev, NULL, 0, 0, \
                                        NULL, __VA_ARGS__); } while (0)

static void inc_refs(struct ck *ck, uint64_t off, uint64_t size)
{
    struct qcow2 *q = ck->q;
    if (size == 0)
        return;
    if (off + size > ck->file_len && off + size - ck->file_len >= q->cluster_size) {
        MSG(ck, VXL_ERROR, "ERROR: counting reference for region exceeding "
            "the end of the file by one cluster or more: offset 0x%" PRIx64
            " size 0x%" PRIx64, off, size);
        ck->res->corruptions++;
        return;
    }
    uint64_t first = off >> q->cluster_bits;
    uint64_t last = (off + size - 1) >> q->cluster_bits;
    if (last >= ck->nrefs) {
        uint64_t n = last + 1;
        ck->refs = xreallocarray(ck->refs, n, sizeof(*ck->refs));
        memset(ck->refs + ck->nrefs, 0, (n - ck->nrefs) * sizeof(*ck->refs));
        ck->nrefs = n;
    }
    uint64_t maxr = q->refcount_bits >= 32 ? UINT32_MAX
                                           : (1ull << q->refcount_bits) - 1;
    for (uint64_t c = first; c <= last; c++) {
        if (ck->refs[c] >= maxr) {
            MSG(ck, VXL_ERROR, "ERROR: overflow cluster offset=0x%" PRIx64,
                c << q->cluster_bits);
            ck->res->corruptions++;
            continue;
        }
        ck->refs[c]++;
    }
}

static int check_l2(struct ck *ck, uint64_t l2off, bool active,
                    struct vdisk_err *err)
{
    struct qcow2 *q = ck->q;
    uint64_t cs = q->cluster_size, l2n = 1ull << q->l2_bits;
    uint8_t *t = xmalloc(cs);
    int rc = vd_pread_exact(q->fd, t, cs, l2off, q->name, err);
    if (rc < 0) {
        MSG(ck, VXL_ERROR, "ERROR: I/O error in check_refcounts_l2");
        ck->res->check_errors++;
        free(t);
        return rc;
    }
    bool data_file = q->incompat & QCOW2_INCOMPAT_DATA_FILE;
    for (uint64_t i = 0; i < l2n; i++) {
        uint64_t e = be64(t + i * q->l2_entry_size);
        uint64_t bm = q->extl2 ? be64(t + i * 16 + 8) : 0;
        if (e & QCOW_OFLAG_COMPRESSED) {
            if (data_file) {
                MSG(ck, VXL_ERROR, "ERROR compressed cluster %" PRIu64
                    " with data file, entry=0x%" PRIx64, i, e);
                ck->res->corruptions++;
                continue;
            }
            if (bm) {
                MSG(ck, VXL_ERROR, "ERROR compressed cluster %" PRIu64
                    " with non-zero subcluster allocation bitmap, "
                    "entry=0x%" PRIx64, i, e);
                ck->res->corruptions++;
            }
            uint64_t s, end;
            qcow2_compressed_range(q, e, &s, &end);
            if (active) {
                ck->res->allocated_clusters++;
                ck->res->compressed_clusters++;
                if (ck->next_contig && s != ck->next_contig)
                    ck->res->fragmented_clusters++;
                ck->next_contig = end;
            }
            inc_refs(ck, s & ~511ull, end - (s & ~511ull));
            continue;
        }
        uint64_t off = e & L2E_OFFSET_MASK;
        bool zero = q->extl2 ? false : (e & QCOW_OFLAG_ZERO);
        bool has_host = off || (data_file && (e & QCOW_OFLAG_COPIED));
        if (!has_host)
            continue;
        if (q->extl2 && !(uint32_t)bm && !(bm >> 32) && !off)
            continue;
        if (active) {
            ck->res->allocated_clusters++;
            if (ck->next_contig && off != ck->next_contig)
                ck->res->fragmented_clusters++;
            ck->next_contig = off + cs;
        }
        if (data_file)
            continue;
        if (off % cs) {
            MSG(ck, VXL_ERROR, zero ? "ERROR offset=%" PRIx64 ": Preallocated "
                "zero cluster is not properly aligned; L2 entry corrupted."
                : "ERROR offset=%" PRIx64 ": Data cluster is not properly "
                "aligned; L2 entry corrupted.", off);
            ck->res->corruptions++;
        }
        inc_refs(ck, off & ~(cs - 1), cs);
    }
    free(t);
    return 0;
}

static int check_l1(struct ck *ck, uint64_t l1off, uint32_t l1size,
                    bool active, struct vdisk_err *err)
{
    struct qcow2 *q = ck->q;
    uint64_t cs = q->cluster_size;
    inc_refs(ck, l1off, (uint64_t)l1size * 8);
    if (!l1size)
        return 0;
    uint64_t *l1 = xmalloc((size_t)l1size * 8);
    int rc = vd_pread_exact(q->fd, l1, (size_t)l1size * 8, l1off, q->name,
                            err);
    if (rc < 0) {
        MSG(ck, VXL_ERROR, "ERROR: I/O error in check_refcounts_l1");
        ck->res->check_errors++;
        free(l1);
        return 0;
    }
    for (uint32_t i = 0; i < l1size; i++) {
        uint64_t l2off = be64(&l1[i]) & L1E_OFFSET_MASK;
        if (!l2off)
            continue;
        inc_refs(ck, l2off, cs);
        if (l2off % cs) {
            MSG(ck, VXL_ERROR, "ERROR l2_offset=%" PRIx64 ": Table is not "
                "cluster aligned; L1 entry corrupted", l2off);
            ck->res->corruptions++;
            continue;
        }
        if (l2off + cs > ck->file_len + cs)
            continue;       /* reported by inc_refs */
        check_l2(ck, l2off, active, err);
    }
    free(l1);
    return 0;
}

static int calculate(struct ck *ck, struct vdisk_err *err)
{
    struct qcow2 *q = ck->q;
    uint64_t cs = q->cluster_size;
    memset(ck->refs, 0, ck->nrefs * sizeof(*ck->refs));
    ck->next_contig = 0;
    inc_refs(ck, 0, cs);
    int rc = check_l1(ck, q->l1_offset, q->l1_size, true, err);
    if (rc < 0)
        return rc;
    for (uint32_t i = 0; i < q->nsnaps; i++) {
        struct qcow2_snap *s = &q->snaps[i];
        if (s->l1_offset % cs) {
            MSG(ck, VXL_ERROR, "ERROR snapshot %s (%s) l1_offset=%#" PRIx64
                ": L1 table is not cluster aligned; snapshot table entry "
                "corrupted", s->id, s->name, s->l1_offset);
            ck->res->corruptions++;
            continue;
        }
        check_l1(ck, s->l1_offset, s->l1_size, false, err);
    }
    if (q->nsnaps)
        inc_refs(ck, q->snap_offset, q->old_snap_len);
    inc_refs(ck, q->rt_offset, (uint64_t)q->rt_clusters * cs);
    for (uint64_t i = 0; i < q->rt_entries; i++) {
        uint64_t off = q->rt[i] & RT_OFFSET_MASK;
        if (!off)
            continue;
        if (off % cs) {
            MSG(ck, VXL_ERROR, "ERROR refcount block %" PRIu64 " is not "
                "cluster aligned; refcount table entry corrupted", i);
            ck->res->corruptions++;
            ck->rebuild = true;
            continue;
        }
        if (off >> q->cluster_bits >= ck->nb_clusters) {
            MSG(ck, VXL_ERROR, "ERROR refcount block %" PRIu64 " is outside "
                "image", i);
            ck->res->corruptions++;
            ck->rebuild = true;
            continue;
        }
        inc_refs(ck, off, cs);
        if (ck->refs[off >> q->cluster_bits] != 1) {
            MSG(ck, VXL_ERROR, "ERROR refcount block %" PRIu64 " refcount=%"
                PRIu32, i, ck->refs[off >> q->cluster_bits]);
            ck->res->corruptions++;
            ck->rebuild = true;
        }
    }
    return 0;
}

static int compare(struct ck *ck, unsigned fix, uint64_t *highest,
                   struct vdisk_err *err)
{
    struct qcow2 *q = ck->q;
    for (uint64_t i = 0; i < ck->nb_clusters; i++) {
        uint64_t r1, r2 = i < ck->nrefs ? ck->refs[i] : 0;
        struct vdisk_err e2;
        if (qcow2_get_refcount(q, i, &r1, &e2) < 0) {
            MSG(ck, VXL_ERROR, "Can't get refcount for cluster %" PRIu64
                ": %s", i, strerror(e2.code));
            ck->res->check_errors++;
            continue;
        }
        if (r2 > 0)
            *highest = i;
        if (r1 == r2)
            continue;
        int64_t *fixed = NULL;
        if (r1 == 0)
            ck->rebuild = true;
        else if (r1 > r2 && (fix & VDISK_FIX_LEAKS))
            fixed = &ck->res->leaks_fixed;
        else if (r1 < r2 && (fix & VDISK_FIX_ERRORS))
            fixed = &ck->res->corruptions_fixed;
        MSG(ck, r1 < r2 ? VXL_ERROR : VXL_WARNING, "%s cluster %" PRIu64
            " refcount=%" PRIu64 " reference=%" PRIu64,
            fixed ? "Repairing" : r1 < r2 ? "ERROR" : "Leaked", i, r1, r2);
        if (fixed) {
            int rc = qcow2_set_refcount(q, i, r2, err);
            if (rc < 0) {
                ck->res->check_errors++;
                return rc;
            }
            (*fixed)++;
            continue;
        }
        if (r1 < r2)
            ck->res->corruptions++;
        else
            ck->res->leaks++;
    }
    return 0;
}

/* New refcount table and blocks after everything in use. */
static int rebuild_refcounts(struct ck *ck, struct vdisk_err *err)
{
    struct qcow2 *q = ck->q;
    uint64_t cs = q->cluster_size, rbe = 1ull << q->rb_bits;
    uint64_t start = 0;
    for (uint64_t i = 0; i < ck->nrefs; i++)
        if (ck->refs[i])
            start = i + 1;
    uint64_t nblocks = 0, ktab = 0;
    for (;;) {
        uint64_t total = start + nblocks + ktab;
        uint64_t nb2 = (total + rbe - 1) / rbe;
        uint64_t kt2 = (nb2 * 8 + cs - 1) / cs;
        if (nb2 == nblocks && kt2 == ktab)
            break;
        nblocks = nb2;
        ktab = kt2;
    }
    if (ktab * cs > QCOW2_MAX_RT_BYTES)
        return vdisk_err_set(err, EFBIG, "'%s': rebuilt refcount table too "
                             "large", q->name);
    uint64_t total = start + nblocks + ktab;
    uint64_t n = total;
    if (n > ck->nrefs) {
        ck->refs = xreallocarray(ck->refs, n, sizeof(*ck->refs));
        memset(ck->refs + ck->nrefs, 0, (n - ck->nrefs) * sizeof(*ck->refs));
        ck->nrefs = n;
    }
    for (uint64_t c = start; c < total; c++)
        ck->refs[c] = 1;
    uint64_t tab_entries = ktab * cs / 8;
    uint64_t *rt = xcalloc(tab_entries, 8);
    uint8_t *blk = xmalloc(cs);
    int rc = 0;
    for (uint64_t b = 0; b < nblocks && rc == 0; b++) {
        memset(blk, 0, cs);
        for (uint64_t i = 0; i < rbe && b * rbe + i < total; i++)
            rb_set(q, blk, i, ck->refs[b * rbe + i]);
        uint64_t off = (start + b) * cs;
        rt[b] = off;
        rc = vd_pwrite_fd(q->fd, blk, cs, off, q->name, err);
    }
    free(blk);
    if (rc == 0) {
        uint8_t *tb = xcalloc(ktab, cs);
        for (uint64_t i = 0; i < tab_entries; i++)
            put_be64(tb + i * 8, rt[i]);
        rc = vd_pwrite_fd(q->fd, tb, ktab * cs, (start + nblocks) * cs,
                          q->name, err);
        free(tb);
    }
    if (rc < 0) {
        free(rt);
        return rc;
    }
    for (int i = 0; i < q->rbc.n; i++) {
        q->rbc.e[i].off = 0;
        q->rbc.e[i].dirty = false;
    }
    free(q->rt);
    q->rt = rt;
    q->rt_entries = tab_entries;
    q->rt_offset = (start + nblocks) * cs;
    q->rt_clusters = (uint32_t)ktab;
    q->host_end = total * cs;
    q->free_hint = q->run_hint = 0;
    uint8_t h[12];
    put_be64(h, q->rt_offset);
    put_be32(h + 8, q->rt_clusters);
    rc = vd_pwrite_fd(q->fd, h, 12, 48, q->name, err);
    ck->nb_clusters = total;
    ck->file_len = total * cs;
    return rc;
}

static int check_copied(struct ck *ck, unsigned fix, struct vdisk_err *err)
{
    struct qcow2 *q = ck->q;
    uint64_t cs = q->cluster_size, l2n = 1ull << q->l2_bits;
    bool repair = fix & VDISK_FIX_ERRORS;
    if (q->incompat & QCOW2_INCOMPAT_DATA_FILE)
        return 0;
    for (uint32_t i = 0; i < q->l1_size; i++) {
        uint64_t l1e = q->l1[i], l2off = l1e & L1E_OFFSET_MASK;
        if (!l2off || l2off % cs || l2off >= ck->file_len)
            continue;
        uint64_t r;
        int rc = qcow2_get_refcount(q, l2off / cs, &r, err);
        if (rc < 0)
            continue;
        if ((r == 1) != !!(l1e & QCOW_OFLAG_COPIED)) {
            ck->res->corruptions++;
            MSG(ck, VXL_ERROR, "%s OFLAG_COPIED L2 cluster: l1_index=%" PRIu32
                " l1_entry=%" PRIx64 " refcount=%" PRIu64,
                repair ? "Repairing" : "ERROR", i, l1e, r);
            if (repair) {
                q->l1[i] = r == 1 ? l1e | QCOW_OFLAG_COPIED
                                  : l1e & ~QCOW_OFLAG_COPIED;
                if (qcow2_write_l1_entry(q, i, err) == 0) {
                    ck->res->corruptions--;
                    ck->res->corruptions_fixed++;
                }
            }
        }
        for (uint64_t j = 0; j < l2n; j++) {
            struct qc_entry *e;
            rc = qc_get(q, &q->l2c, l2off, false, &e, err);
            if (rc < 0)
                break;
            uint64_t ent = be64(e->buf + j * q->l2_entry_size);
            uint64_t off = ent & L2E_OFFSET_MASK;
            if ((ent & QCOW_OFLAG_COMPRESSED) || !off || off % cs)
                continue;
            rc = qcow2_get_refcount(q, off / cs, &r, err);
            if (rc < 0)
                continue;
            if ((r == 1) != !!(ent & QCOW_OFLAG_COPIED)) {
                ck->res->corruptions++;
                MSG(ck, VXL_ERROR, "%s OFLAG_COPIED data cluster: l2_entry=%"
                    PRIx64 " refcount=%" PRIu64,
                    repair ? "Repairing" : "ERROR", ent, r);
                if (repair) {
                    rc = qc_get(q, &q->l2c, l2off, false, &e, err);
                    if (rc < 0)
                        break;
                    put_be64(e->buf + j * q->l2_entry_size,
                             r == 1 ? ent | QCOW_OFLAG_COPIED
                                    : ent & ~QCOW_OFLAG_COPIED);
                    e->dirty = true;
                    ck->res->corruptions--;
                    ck->res->corruptions_fixed++;
                }
            }
        }
    }
    return 0;
}

int qcow2_check(struct vdisk *d, unsigned fix, struct vdisk_check *res,
                vxl_diags *report, struct vdisk_err *err)
{
    struct qcow2 *q = Q(d);
    struct stat st;
    if (fstat(q->fd, &st) < 0)
        return vdisk_err_set(err, errno, "'%s': %s", q->name, strerror(errno));
    memset(res, 0, sizeof(*res));
    struct ck ck = { .q = q, .res = res, .report = report };
    ck.file_len = (uint64_t)st.st_size;
    ck.nb_clusters = (ck.file_len + q->cluster_size - 1) >> q->cluster_bits;
    ck.nrefs = ck.nb_clusters + 2;
    ck.refs = xcalloc(ck.nrefs, sizeof(*ck.refs));
    uint64_t highest = 0;
    int rc = qcow2_flush_all(q, err);
    if (rc == 0)
        rc = calculate(&ck, err);
    if (rc < 0)
        goto out;
    struct vdisk_check pre = *res;
    rc = compare(&ck, 0, &highest, err);
    if (rc < 0)
        goto out;
    if (ck.rebuild && (fix & VDISK_FIX_ERRORS)) {
        struct vdisk_check old = *res;
        int64_t fresh_leaks = 0;
        MSG(&ck, VXL_NOTE, "Rebuilding refcount structure");
        rc = rebuild_refcounts(&ck, err);
        if (rc < 0)
            goto out;
        res->corruptions = 0;
        res->leaks = 0;
        ck.rebuild = false;
        struct vdisk_check keep = *res;
        rc = calculate(&ck, err);
        if (rc < 0)
            goto out;
        *res = keep;
        if (fix & VDISK_FIX_LEAKS) {
            struct vdisk_check saved = *res;
            memset(res, 0, sizeof(*res));
            rc = compare(&ck, VDISK_FIX_LEAKS, &highest, err);
            if (rc < 0)
                goto out;
            if (ck.rebuild)
                MSG(&ck, VXL_ERROR, "ERROR rebuilt refcount structure is "
                    "still broken");
            fresh_leaks = res->leaks;
            *res = saved;
        }
        if (res->corruptions < old.corruptions)
            res->corruptions_fixed += old.corruptions - res->corruptions;
        if (res->leaks < old.leaks)
            res->leaks_fixed += old.leaks - res->leaks;
        res->leaks += fresh_leaks;
    } else if (fix) {
        if (ck.rebuild) {
            MSG(&ck, VXL_ERROR, "ERROR need to rebuild refcount structures");
            res->check_errors++;
            rc = vdisk_err_set(err, EIO, "Input/output error");
            goto out;
        }
        if (res->leaks || res->corruptions) {
            *res = pre;
            rc = compare(&ck, fix, &highest, err);
            if (rc < 0)
                goto out;
        }
    }
    rc = check_copied(&ck, fix, err);
    if (rc < 0)
        goto out;
    if (fix)
        rc = qcow2_flush_all(q, err);
    res->image_end_offset = (highest + 1) * q->cluster_size;
    res->total_clusters = (q->size + q->cluster_size - 1) >> q->cluster_bits;
    res->has_stats = true;
out:
    free(ck.refs);
    return rc;
}

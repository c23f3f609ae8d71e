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
#include <unistd.h>

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
    bool rebuild;
    bool refs_exact;        /* the last compare() found refs[] equal to the
                               refcounts on disk, for every cluster */
};

#define MSG(ck, sev, ...) \
    do { if ((ck)->report) vxl_diag_add((ck)->report, sev, NULL, 0, 0, \
                                        NULL, __VA_ARGS__); } while (0)

/* Reserved bits of L1, standard L2 and refcount table entries. */
#define L1E_RESERVED_MASK     0x7f000000000001ffull
#define L2E_STD_RESERVED_MASK 0x3f000000000001feull
#define RTE_RESERVED_MASK     0x1ffull
#define BITMAP_ALL_ALLOC      0xffffffffull
#define MAX_SNAP_L1_ENTRIES   (QCOW2_MAX_L1_BYTES / 8)

/* Grow refs[] (the in-memory refcount table) to n entries; like qemu's,
 * its size decides how many clusters compare() looks at. */
static void grow_refs(struct ck *ck, uint64_t n)
{
    if (n <= ck->nrefs)
        return;
    ck->refs = xreallocarray(ck->refs, n, sizeof(*ck->refs));
    memset(ck->refs + ck->nrefs, 0, (n - ck->nrefs) * sizeof(*ck->refs));
    ck->nrefs = n;
}

static void inc_refs(struct ck *ck, uint64_t off, uint64_t size)
{
    struct qcow2 *q = ck->q;
    if (size == 0)
        return;
    /* the last cluster may be partly past EOF; a whole one may not */
    if (off + size > ck->file_len && off + size - ck->file_len >= q->cluster_size) {
        MSG(ck, VXL_ERROR, "ERROR: counting reference for region exceeding "
            "the end of the file by one cluster or more: offset 0x%" PRIx64
            " size 0x%" PRIx64, off, size);
        ck->res->corruptions++;
        return;
    }
    uint64_t first = off >> q->cluster_bits;
    uint64_t last = (off + size - 1) >> q->cluster_bits;
    grow_refs(ck, last + 1);
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

enum { CT_UNALLOC, CT_ZERO_PLAIN, CT_ZERO_ALLOC, CT_NORMAL, CT_COMPRESSED };

/* Cluster type of an L2 entry, by the entry alone (qemu's
 * qcow2_get_cluster_type: the subcluster bitmap does not count). */
static int cluster_type(const struct qcow2 *q, uint64_t e)
{
    if (e & QCOW_OFLAG_COMPRESSED)
        return CT_COMPRESSED;
    if ((e & QCOW_OFLAG_ZERO) && !q->extl2)
        return (e & L2E_OFFSET_MASK) ? CT_ZERO_ALLOC : CT_ZERO_PLAIN;
    if (!(e & L2E_OFFSET_MASK))
        return (q->incompat & QCOW2_INCOMPAT_DATA_FILE) &&
               (e & QCOW_OFLAG_COPIED) ? CT_NORMAL : CT_UNALLOC;
    return CT_NORMAL;
}

/* Turn entry i of the L2 table at l2off into a plain zero cluster (the
 * repair of a misaligned preallocated zero cluster). */
static int fix_l2_by_zero(struct ck *ck, uint64_t l2off, uint8_t *t,
                          uint64_t i, struct vdisk_err *err)
{
    struct qcow2 *q = ck->q;
    uint8_t *ent = t + i * q->l2_entry_size;
    if (q->extl2) {
        uint64_t bm = be64(ent + 8);
        bm |= bm << 32;
        put_be64(ent + 8, bm & 0xffffffff00000000ull);
        put_be64(ent, 0);
    } else {
        put_be64(ent, QCOW_OFLAG_ZERO);
    }
    qc_drop(&q->l2c, l2off);
    int rc = vd_pwrite_fd(q->fd, ent, q->l2_entry_size,
                          l2off + i * q->l2_entry_size, q->name, err);
    if (rc < 0) {
        MSG(ck, VXL_ERROR, "ERROR: Failed to overwrite L2 table entry: %s",
            strerror(-rc));
        ck->res->check_errors++;
        return rc;
    }
    ck->res->corruptions--;
    ck->res->corruptions_fixed++;
    return 0;
}

/* Count the references of one L2 table (at l2off, which need not be
 * aligned: a corrupt L1 entry is followed as qemu does). */
static int check_l2(struct ck *ck, uint64_t l2off, bool active, unsigned fix,
                    struct vdisk_err *err)
{
    struct qcow2 *q = ck->q;
    uint64_t cs = q->cluster_size, l2n = 1ull << q->l2_bits;
    uint8_t *t = xmalloc(cs);
    int rc = vd_pread_fd(q->fd, t, cs, l2off, q->name, err);
    if (rc < 0) {
        MSG(ck, VXL_ERROR, "ERROR: I/O error in check_refcounts_l2");
        ck->res->check_errors++;
        free(t);
        return rc;
    }
    bool data_file = q->incompat & QCOW2_INCOMPAT_DATA_FILE;
    uint64_t next_contig = 0;
    for (uint64_t i = 0; i < l2n; i++) {
        uint64_t e = be64(t + i * q->l2_entry_size);
        uint64_t bm = q->extl2 ? be64(t + i * 16 + 8) : 0;
        if (!e && !bm)
            continue;           /* unallocated: nothing to count or report */
        int type = cluster_type(q, e);
        if (type != CT_COMPRESSED && (e & L2E_STD_RESERVED_MASK)) {
            MSG(ck, VXL_ERROR, "ERROR found l2 entry with reserved bits set: "
                "%" PRIx64, e);
            ck->res->corruptions++;
        }
        switch (type) {
        case CT_COMPRESSED: {
            if (e & QCOW_OFLAG_COPIED) {
                MSG(ck, VXL_ERROR, "ERROR: coffset=0x%" PRIx64 ": copied flag "
                    "must never be set for compressed clusters",
                    e & q->cluster_offset_mask);
                e &= ~QCOW_OFLAG_COPIED;
                ck->res->corruptions++;
            }
            if (data_file) {
                MSG(ck, VXL_ERROR, "ERROR compressed cluster %" PRIu64
                    " with data file, entry=0x%" PRIx64, i, e);
                ck->res->corruptions++;
                break;
            }
            if (bm) {
                MSG(ck, VXL_ERROR, "ERROR compressed cluster %" PRIu64
                    " with non-zero subcluster allocation bitmap, "
                    "entry=0x%" PRIx64, i, e);
                ck->res->corruptions++;
                break;
            }
            uint64_t coff = e & q->cluster_offset_mask;
            uint64_t nsec = ((e >> q->csize_shift) & q->csize_mask) + 1;
            inc_refs(ck, coff, nsec * 512 - (coff & 511));
            if (active) {
                /* compressed clusters count as fragmented, as in qemu */
                ck->res->allocated_clusters++;
                ck->res->compressed_clusters++;
                ck->res->fragmented_clusters++;
            }
            break;
        }
        case CT_ZERO_ALLOC:
        case CT_NORMAL: {
            uint64_t off = e & L2E_OFFSET_MASK;
            if ((bm >> 32) & bm) {
                ck->res->corruptions++;
                MSG(ck, VXL_ERROR, "ERROR offset=%" PRIx64 ": Allocated "
                    "cluster has corrupted subcluster allocation bitmap", off);
            }
            if (off % cs) {
                ck->res->corruptions++;
                bool has_data = q->extl2 ? (bm & BITMAP_ALL_ALLOC)
                                         : !(e & QCOW_OFLAG_ZERO);
                if (!has_data) {
                    bool repair = fix & VDISK_FIX_ERRORS;
                    MSG(ck, VXL_ERROR, "%s offset=%" PRIx64 ": Preallocated "
                        "cluster is not properly aligned; L2 entry corrupted.",
                        repair ? "Repairing" : "ERROR", off);
                    if (repair && fix_l2_by_zero(ck, l2off, t, i, err) == 0)
                        continue;       /* no longer references anything */
                } else {
                    MSG(ck, VXL_ERROR, "ERROR offset=%" PRIx64 ": Data cluster "
                        "is not properly aligned; L2 entry corrupted.", off);
                }
            }
            if (active) {
                ck->res->allocated_clusters++;
                if (next_contig && off != next_contig)
                    ck->res->fragmented_clusters++;
                next_contig = off + cs;
            }
            if (!data_file)
                inc_refs(ck, off, cs);
            break;
        }
        case CT_ZERO_PLAIN:
            break;
        case CT_UNALLOC:
            if (bm & BITMAP_ALL_ALLOC) {
                ck->res->corruptions++;
                MSG(ck, VXL_ERROR, "ERROR: Unallocated cluster has non-zero "
                    "subcluster allocation map");
            }
            break;
        }
    }
    free(t);
    return 0;
}

static int check_l1(struct ck *ck, uint64_t l1off, uint32_t l1size,
                    bool active, unsigned fix, struct vdisk_err *err)
{
    struct qcow2 *q = ck->q;
    uint64_t cs = q->cluster_size;
    if (!l1size)
        return 0;
    inc_refs(ck, l1off, (uint64_t)l1size * 8);
    uint64_t *l1 = xmalloc((size_t)l1size * 8);
    /* a table past EOF reads as zeros (as qemu's file driver) */
    int rc = vd_pread_fd(q->fd, l1, (size_t)l1size * 8, l1off, q->name, err);
    if (rc < 0) {
        MSG(ck, VXL_ERROR, "ERROR: I/O error in check_refcounts_l1");
        ck->res->check_errors++;
        free(l1);
        return rc;
    }
    for (uint32_t i = 0; i < l1size && rc == 0; i++) {
        uint64_t l1e = be64(&l1[i]);
        if (!l1e)
            continue;
        if (l1e & L1E_RESERVED_MASK) {
            MSG(ck, VXL_ERROR, "ERROR found L1 entry with reserved bits set: "
                "%" PRIx64, l1e);
            ck->res->corruptions++;
        }
        uint64_t l2off = l1e & L1E_OFFSET_MASK;
        inc_refs(ck, l2off, cs);
        if (l2off % cs) {
            MSG(ck, VXL_ERROR, "ERROR l2_offset=%" PRIx64 ": Table is not "
                "cluster aligned; L1 entry corrupted", l2off);
            ck->res->corruptions++;
        }
        rc = check_l2(ck, l2off, active, fix, err);
    }
    free(l1);
    return rc;
}

static int calculate(struct ck *ck, unsigned fix, struct vdisk_err *err)
{
    struct qcow2 *q = ck->q;
    uint64_t cs = q->cluster_size;
    memset(ck->refs, 0, ck->nrefs * sizeof(*ck->refs));
    inc_refs(ck, 0, cs);
    int rc = check_l1(ck, q->l1_offset, q->l1_size, true, fix, err);
    if (rc < 0)
        return rc;
    if ((q->incompat & QCOW2_INCOMPAT_DATA_FILE) && q->nsnaps) {
        MSG(ck, VXL_ERROR, "ERROR %u snapshots in image with data file",
            q->nsnaps);
        ck->res->corruptions++;
    }
    for (uint32_t i = 0; i < q->nsnaps; i++) {
        struct qcow2_snap *s = &q->snaps[i];
        if (s->l1_offset % cs) {
            MSG(ck, VXL_ERROR, "ERROR snapshot %s (%s) l1_offset=%#" PRIx64
                ": L1 table is not cluster aligned; snapshot table entry "
                "corrupted", s->id, s->name, s->l1_offset);
            ck->res->corruptions++;
            continue;
        }
        if (s->l1_size > MAX_SNAP_L1_ENTRIES) {
            MSG(ck, VXL_ERROR, "ERROR snapshot %s (%s) l1_size=%#" PRIx32
                ": L1 table is too large; snapshot table entry corrupted",
                s->id, s->name, s->l1_size);
            ck->res->corruptions++;
            continue;
        }
        rc = check_l1(ck, s->l1_offset, s->l1_size, false, fix, err);
        if (rc < 0)
            return rc;
    }
    if (q->nsnaps)
        inc_refs(ck, q->snap_offset, q->old_snap_len);
    inc_refs(ck, q->rt_offset, (uint64_t)q->rt_clusters * cs);
    for (uint64_t i = 0; i < q->rt_entries; i++) {
        uint64_t off = q->rt[i] & RT_OFFSET_MASK;
        uint64_t c = off >> q->cluster_bits;
        if (q->rt[i] & RTE_RESERVED_MASK) {
            MSG(ck, VXL_ERROR, "ERROR refcount table entry %" PRIu64 " has "
                "reserved bits set", i);
            ck->res->corruptions++;
            ck->rebuild = true;
            continue;
        }
        if (off % cs) {
            MSG(ck, VXL_ERROR, "ERROR refcount block %" PRIu64 " is not "
                "cluster aligned; refcount table entry corrupted", i);
            ck->res->corruptions++;
            ck->rebuild = true;
            continue;
        }
        if (c >= ck->nrefs) {
            bool repair = fix & VDISK_FIX_ERRORS;
            ck->res->corruptions++;
            MSG(ck, VXL_ERROR, "%s refcount block %" PRIu64 " is outside "
                "image", repair ? "Repairing" : "ERROR", i);
            if (!repair)
                continue;
            /* as qemu: grow the file so that the block is inside it */
            if (ftruncate(q->fd, (off_t)(off + cs)) < 0) {
                MSG(ck, VXL_ERROR, "ERROR could not resize image: %s",
                    strerror(errno));
                ck->rebuild = true;
                continue;
            }
            ck->file_len = off + cs;
            ck->nb_clusters = c + 1;
            grow_refs(ck, c + 1);
            q->host_end = off + cs > q->host_end ? off + cs : q->host_end;
            ck->res->corruptions--;
            ck->res->corruptions_fixed++;
            inc_refs(ck, off, cs);
            continue;
        }
        if (!off)
            continue;
        inc_refs(ck, off, cs);
        if (ck->refs[c] != 1) {
            MSG(ck, VXL_ERROR, "ERROR refcount block %" PRIu64 " refcount=%"
                PRIu32, i, ck->refs[c]);
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
    enum { BATCH = 4096 };
    uint64_t *batch = xmalloc(BATCH * sizeof(*batch)), bfirst = 0, bn = 0;
    *highest = 0;
    ck->refs_exact = true;
    for (uint64_t i = 0; i < ck->nrefs; i++) {
        uint64_t r1, r2 = ck->refs[i];
        struct vdisk_err e2;
        if (i >= bfirst + bn) {
            /* a refcount block at a time; where that fails, cluster by
             * cluster below (one message per cluster, as qemu) */
            bfirst = i;
            bn = ck->nrefs - i < BATCH ? ck->nrefs - i : BATCH;
            if (qcow2_get_refcounts(q, bfirst, bn, batch, &e2) < 0)
                bn = 0;
        }
        if (i < bfirst + bn) {
            r1 = batch[i - bfirst];
        } else if (qcow2_get_refcount(q, i, &r1, &e2) < 0) {
            ck->refs_exact = false;
            MSG(ck, VXL_ERROR, "Can't get refcount for cluster %" PRIu64
                ": %s", i, strerror(e2.code));
            ck->res->check_errors++;
            continue;
        }
        if (r1 > 0 || r2 > 0)
            *highest = i;
        if (r1 == r2)
            continue;
        ck->refs_exact = false;
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
            bn = 0;             /* the table may have changed: read again */
            if (rc < 0) {
                ck->res->check_errors++;
                free(batch);
                return rc;
            }
            /* a cluster freed by the repair is discarded, as qemu does */
            if (r2 == 0)
                qcow2_discard_cluster(q, i);
            (*fixed)++;
            continue;
        }
        if (r1 < r2)
            ck->res->corruptions++;
        else
            ck->res->leaks++;
    }
    free(batch);
    return 0;
}

/* Allocate n contiguous clusters in the in-memory refcount table, from
 * *first_free on (which is moved to the first gap seen), growing the
 * table at the end when no gap is large enough.  Returns the index. */
static uint64_t alloc_imrt(struct ck *ck, uint64_t n, uint64_t *first_free)
{
    uint64_t c = *first_free, run = 0;
    bool first_gap = true;
    for (; c < ck->nrefs && run < n; c++) {
        if (!ck->refs[c]) {
            if (first_gap) {
                *first_free = c;
                first_gap = false;
            }
            run++;
        } else {
            run = 0;
        }
    }
    if (run < n)
        grow_refs(ck, c + n - run);
    c -= run;
    for (uint64_t i = 0; i < n; i++)
        ck->refs[c + i] = 1;
    return c;
}

/* Write the refcount blocks covering the used clusters in [first, end)
 * from the in-memory table, allocating each block (in that table) where
 * the new refcount table has none yet.  Sets *grown when the new table
 * had to get longer. */
static int write_refblocks(struct ck *ck, uint64_t first, uint64_t end,
                           uint64_t **rt, uint64_t *rt_entries, bool *grown,
                           uint8_t *blk, struct vdisk_err *err)
{
    struct qcow2 *q = ck->q;
    uint64_t cs = q->cluster_size, rbe = 1ull << q->rb_bits;
    uint64_t first_free = 0;
    *grown = false;
    for (uint64_t c = first; c < end; c++) {
        if (c >= ck->nrefs || !ck->refs[c])
            continue;
        uint64_t bi = c >> q->rb_bits, bstart = bi << q->rb_bits;
        uint64_t boff;
        if (bi < *rt_entries && (*rt)[bi]) {
            boff = (*rt)[bi];
        } else {
            if (first_free < bstart)
                first_free = bstart;
            uint64_t bc = alloc_imrt(ck, 1, &first_free);
            if (bc >= end)
                end = bc + 1;   /* its own refcount must be written too */
            if (bi >= *rt_entries) {
                uint64_t n = ((bi + 1) * 8 + cs - 1) / cs * cs / 8;
                if (n * 8 > QCOW2_MAX_RT_BYTES)
                    return vdisk_err_set(err, EFBIG, "'%s': rebuilt refcount "
                                         "table too large", q->name);
                *rt = xreallocarray(*rt, n, 8);
                memset(*rt + *rt_entries, 0, (n - *rt_entries) * 8);
                *rt_entries = n;
                *grown = true;
            }
            boff = bc * cs;
            (*rt)[bi] = boff;
        }
        memset(blk, 0, cs);
        for (uint64_t k = 0; k < rbe && bstart + k < ck->nrefs; k++)
            rb_set(q, blk, k, ck->refs[bstart + k]);
        int rc = vd_pwrite_fd(q->fd, blk, cs, boff, q->name, err);
        if (rc < 0)
            return rc;
        c = bstart + rbe - 1;
    }
    return 0;
}

/* A new refcount structure from the in-memory table alone, placed in the
 * first free clusters as qemu 7.2 places it (the old structure is left
 * leaked, for the caller's second pass to free). */
static int rebuild_refcounts(struct ck *ck, struct vdisk_err *err)
{
    struct qcow2 *q = ck->q;
    uint64_t cs = q->cluster_size;
    uint64_t *rt = NULL, rt_entries = 0, rt_off = 0, rt_clusters = 0;
    uint8_t *blk = xmalloc(cs);
    bool grown;
    for (int i = 0; i < q->rbc.n; i++) {
        q->rbc.e[i].off = 0;
        q->rbc.e[i].dirty = false;
    }
    int rc = write_refblocks(ck, 0, ck->nrefs, &rt, &rt_entries, &grown, blk,
                             err);
    while (rc == 0 && rt_entries) {
        uint64_t first_free = 0;
        rt_clusters = (rt_entries * 8 + cs - 1) / cs;
        uint64_t c = alloc_imrt(ck, rt_clusters, &first_free);
        rt_off = c * cs;
        rc = write_refblocks(ck, c, c + rt_clusters, &rt, &rt_entries,
                             &grown, blk, err);
        if (!grown)
            break;
    }
    free(blk);
    if (rc == 0 && !rt_entries)
        rc = vdisk_err_set(err, EIO, "'%s': nothing to rebuild", q->name);
    if (rc == 0) {
        uint8_t *tb = xcalloc(rt_clusters, cs);
        for (uint64_t i = 0; i < rt_entries; i++)
            put_be64(tb + i * 8, rt[i]);
        rc = vd_pwrite_fd(q->fd, tb, rt_clusters * cs, rt_off, q->name, err);
        free(tb);
    }
    uint8_t h[12];
    put_be64(h, rt_off);
    put_be32(h + 8, (uint32_t)rt_clusters);
    if (rc == 0)
        rc = vd_pwrite_fd(q->fd, h, 12, 48, q->name, err);
    if (rc == 0 && fdatasync(q->fd) < 0)
        rc = vdisk_err_set(err, errno, "'%s': %s", q->name, strerror(errno));
    if (rc < 0) {
        free(rt);
        return rc;
    }
    free(q->rt);
    q->rt = rt;
    q->rt_entries = rt_entries;
    q->rt_offset = rt_off;
    q->rt_clusters = (uint32_t)rt_clusters;
    q->free_hint = q->run_hint = 0;
    struct stat st;
    if (fstat(q->fd, &st) == 0) {
        ck->file_len = (uint64_t)st.st_size;
        ck->nb_clusters = (ck->file_len + cs - 1) / cs;
        uint64_t end = ck->nb_clusters * cs;
        if (end > q->host_end)
            q->host_end = end;
    }
    return 0;
}

/* OFLAG_COPIED must be set exactly where the refcount is 1 (active L1
 * and L2 entries).  -r all always repairs; -r leaks only when the
 * refcount repair left nothing wrong (then the refcounts are right). */
static int check_copied(struct ck *ck, unsigned fix, struct vdisk_err *err)
{
    struct qcow2 *q = ck->q;
    uint64_t cs = q->cluster_size, l2n = 1ull << q->l2_bits;
    bool data_file = q->incompat & QCOW2_INCOMPAT_DATA_FILE;
    bool repair = (fix & VDISK_FIX_ERRORS) ||
                  ((fix & VDISK_FIX_LEAKS) && !ck->res->check_errors &&
                   !ck->res->corruptions && !ck->res->leaks);
    uint8_t *t = xmalloc(cs);
    int rc = 0;
    for (uint32_t i = 0; i < q->l1_size && rc == 0; i++) {
        uint64_t l1e = q->l1[i], l2off = l1e & L1E_OFFSET_MASK;
        if (!l2off)
            continue;
        uint64_t r;
        struct vdisk_err e2;
        if (qcow2_get_refcount(q, l2off >> q->cluster_bits, &r, &e2) < 0)
            continue;       /* already reported by compare() */
        if ((r == 1) != !!(l1e & QCOW_OFLAG_COPIED)) {
            ck->res->corruptions++;
            MSG(ck, VXL_ERROR, "%s OFLAG_COPIED L2 cluster: l1_index=%" PRIu32
                " l1_entry=%" PRIx64 " refcount=%" PRIu64,
                repair ? "Repairing" : "ERROR", i, l1e, r);
            if (repair) {
                q->l1[i] = r == 1 ? l1e | QCOW_OFLAG_COPIED
                                  : l1e & ~QCOW_OFLAG_COPIED;
                rc = qcow2_write_l1_entry(q, i, err);
                if (rc < 0) {
                    ck->res->check_errors++;
                    break;
                }
                ck->res->corruptions--;
                ck->res->corruptions_fixed++;
            }
        }
        rc = vd_pread_fd(q->fd, t, cs, l2off, q->name, err);
        if (rc < 0) {
            MSG(ck, VXL_ERROR, "ERROR: Could not read L2 table: %s",
                strerror(-rc));
            ck->res->check_errors++;
            break;
        }
        int64_t dirty = 0;
        for (uint64_t j = 0; j < l2n; j++) {
            uint8_t *p = t + j * q->l2_entry_size;
            uint64_t ent = be64(p);
            int type = cluster_type(q, ent);
            if (type != CT_NORMAL && type != CT_ZERO_ALLOC)
                continue;
            uint64_t c = (ent & L2E_OFFSET_MASK) >> q->cluster_bits;
            if (data_file)
                r = 1;
            else if (!fix && ck->refs_exact && c < ck->nrefs)
                r = ck->refs[c];    /* what compare() found on disk */
            else if (qcow2_get_refcount(q, c, &r, &e2) < 0)
                continue;
            if ((r == 1) != !!(ent & QCOW_OFLAG_COPIED)) {
                ck->res->corruptions++;
                MSG(ck, VXL_ERROR, "%s OFLAG_COPIED data cluster: l2_entry=%"
                    PRIx64 " refcount=%" PRIu64,
                    repair ? "Repairing" : "ERROR", ent, r);
                if (repair) {
                    put_be64(p, r == 1 ? ent | QCOW_OFLAG_COPIED
                                       : ent & ~QCOW_OFLAG_COPIED);
                    dirty++;
                }
            }
        }
        if (dirty) {
            qc_drop(&q->l2c, l2off);
            rc = vd_pwrite_fd(q->fd, t, cs, l2off, q->name, err);
            if (rc < 0) {
                MSG(ck, VXL_ERROR, "ERROR: Could not write L2 table: %s",
                    strerror(-rc));
                ck->res->check_errors++;
                break;
            }
            ck->res->corruptions -= dirty;
            ck->res->corruptions_fixed += dirty;
        }
    }
    free(t);
    return rc;
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
    ck.nrefs = ck.nb_clusters;
    ck.refs = xcalloc(ck.nrefs, sizeof(*ck.refs));
    uint64_t highest = 0;
    /* a version 3 snapshot table entry carries at least the 64-bit VM
     * state size and the disk size (16 bytes of extra data); qemu reports
     * shorter ones first and repairs them last, by writing the table anew */
    int64_t snap_incomplete = 0;
    for (uint32_t i = 0; q->version >= 3 && i < q->nsnaps; i++) {
        if (q->snaps[i].extra_size >= 16)
            continue;
        MSG(&ck, VXL_ERROR, "%s snapshot table entry %u is incomplete",
            fix & VDISK_FIX_ERRORS ? "Repairing" : "ERROR", i);
        snap_incomplete++;
    }
    int rc = qcow2_flush_all(q, err);
    if (rc == 0)
        rc = calculate(&ck, fix, err);
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
        rc = calculate(&ck, 0, err);
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
    if (snap_incomplete && (fix & VDISK_FIX_ERRORS)) {
        rc = qcow2_rewrite_snapshot_table(q, err);
        if (rc < 0) {
            res->check_errors++;
            goto out;
        }
        res->corruptions_fixed += snap_incomplete;
    } else {
        res->corruptions += snap_incomplete;
    }
    if (fix)
        rc = qcow2_flush_all(q, err);
    /* a consistent image after repair is marked clean and not corrupt */
    if (rc == 0 && fix && !res->check_errors && !res->corruptions &&
        (q->incompat & (QCOW2_INCOMPAT_DIRTY | QCOW2_INCOMPAT_CORRUPT)))
        rc = qcow2_update_incompat(q, q->incompat & ~(QCOW2_INCOMPAT_DIRTY |
                                                      QCOW2_INCOMPAT_CORRUPT),
                                   err);
    res->image_end_offset = (highest + 1) * q->cluster_size;
    res->total_clusters = (q->size + q->cluster_size - 1) >> q->cluster_bits;
    res->has_stats = true;
out:
    free(ck.refs);
    return rc;
}

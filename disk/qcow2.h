/* disk/qcow2.h — private state of the qcow2 driver, shared by
 * qcow2.c (header, open, create, info), qcow2-cluster.c (mapping, I/O),
 * qcow2-refcount.c (allocation), qcow2-check.c and qcow2-snapshot.c.
 *
 * Layout reference: QEMU's docs/interop/qcow2.txt.  Tables are cached
 * in their on-disk (big-endian) form; the L1 and refcount tables are
 * held in memory in host order. */
#ifndef VXL_DISK_QCOW2_H
#define VXL_DISK_QCOW2_H

#include <stdbool.h>
#include <stdint.h>

#include "disk/internal.h"

#define QCOW2_MAGIC 0x514649fbu

#define QCOW2_INCOMPAT_DIRTY     (1ull << 0)
#define QCOW2_INCOMPAT_CORRUPT   (1ull << 1)
#define QCOW2_INCOMPAT_DATA_FILE (1ull << 2)
#define QCOW2_INCOMPAT_COMPRESS  (1ull << 3)
#define QCOW2_INCOMPAT_EXTL2     (1ull << 4)
#define QCOW2_INCOMPAT_KNOWN     0x1full
#define QCOW2_COMPAT_LAZY        (1ull << 0)
#define QCOW2_AUTOCLEAR_BITMAPS  (1ull << 0)
#define QCOW2_AUTOCLEAR_DATA_RAW (1ull << 1)

#define QCOW2_EXT_END         0x00000000u
#define QCOW2_EXT_BACKING_FMT 0xe2792acau
#define QCOW2_EXT_FEATURES    0x6803f857u
#define QCOW2_EXT_BITMAPS     0x23852875u
#define QCOW2_EXT_CRYPTO      0x0537be77u
#define QCOW2_EXT_DATA_FILE   0x44415441u

#define L1E_OFFSET_MASK   0x00fffffffffffe00ull
#define L2E_OFFSET_MASK   0x00fffffffffffe00ull
#define RT_OFFSET_MASK    0xfffffffffffffe00ull
#define QCOW_OFLAG_COPIED     (1ull << 63)
#define QCOW_OFLAG_COMPRESSED (1ull << 62)
#define QCOW_OFLAG_ZERO       (1ull << 0)

/* Limits (policy 7 in disk.h): as QEMU's implementation limits. */
#define QCOW2_MAX_L1_BYTES  (32u << 20)
#define QCOW2_MAX_RT_BYTES  (8u << 20)
#define QCOW2_MAX_SNAPSHOTS 65536
#define QCOW2_MAX_BACKING_NAME 1023

/* One cached table (an L2 table or a refcount block), on-disk bytes. */
struct qc_entry {
    uint64_t off;           /* host offset; 0 = empty slot */
    uint8_t *buf;
    uint64_t lru;
    bool dirty;
};

struct qcache {
    struct qc_entry *e;
    int n;
    uint64_t tick;
    int last;
};

struct qcow2_unknown_ext {
    uint32_t type, len;
    uint8_t *data;
};

struct qcow2_snap {
    uint64_t l1_offset;
    uint32_t l1_size;
    char *id, *name;
    uint32_t date_sec, date_nsec;
    uint64_t vm_clock_nsec;
    uint64_t vm_state_size;
    uint64_t disk_size;
    uint64_t icount;
    uint32_t extra_size;
    uint8_t *extra;         /* raw extra data, preserved */
};

struct qcow2 {
    struct vdisk *d;
    int fd;                 /* image file */
    int data_fd;            /* external data file, or == fd */
    const char *name;       /* d->filename */

    uint32_t version;
    uint32_t cluster_bits, cluster_size;
    uint64_t size;
    uint32_t header_length;
    uint64_t incompat, compat, autoclear;
    uint32_t refcount_order, refcount_bits;
    uint32_t compression_type;
    bool extl2;
    uint32_t l2_entry_size;     /* 8 or 16 */
    uint32_t l2_bits;           /* log2 of entries per L2 table */
    uint32_t sc_bits;           /* log2 of the subcluster size */
    uint32_t csize_shift;
    uint64_t csize_mask;
    uint64_t cluster_offset_mask;

    uint64_t l1_offset;
    uint32_t l1_size;
    uint64_t *l1;               /* host order */
    uint32_t l1_alloc;          /* entries allocated in l1[] */

    uint64_t rt_offset;
    uint32_t rt_clusters;
    uint64_t rt_entries;
    uint64_t *rt;               /* host order */
    uint32_t rb_bits;           /* log2 of entries per refcount block */
    bool rt_growing;

    uint64_t backing_offset;
    uint32_t backing_len;
    char *data_file;            /* recorded external data file name */

    struct qcow2_snap *snaps;
    uint32_t nsnaps;
    uint64_t snap_offset;
    uint64_t old_snap_len;      /* bytes of the table on disk */

    struct qcow2_unknown_ext *unknown;
    size_t nunknown;
    uint8_t *features;          /* feature name table, for messages */
    uint32_t features_len;

    struct qcache l2c, rbc;
    uint64_t free_hint;         /* cluster index to start free search */
    uint64_t run_hint;          /* same, for runs of 2+ clusters: past the
                                 * holes too small for the last run */
    uint64_t host_end;          /* bytes: end of the allocated file */
    uint64_t cbyte_off;         /* next free byte for compressed data */

    /* last decompressed cluster */
    uint64_t dc_l2e;
    uint8_t *dc_buf;
    uint8_t *cbuf;              /* compressed input buffer */
    void *zstd_dctx;
    void *zlib;                 /* z_stream for inflate */
    void *deflate_dec;          /* libdeflate decompressor */

    bool writable;
    bool header_dirty_set;      /* we set the dirty bit on open */
    /* qemu's heuristic: more clusters have a refcount than the file has
     * blocks allocated, so data clusters may be holes in the file (after
     * preallocation=metadata or `cp --sparse`); block status then asks
     * the file (SEEK_DATA) as qemu does.  Decided on first use. */
    bool prealloc_checked, meta_prealloc;
};

static inline struct qcow2 *Q(const struct vdisk *d)
{
    return vdisk_priv(d);
}

/* qcow2.c */
int  qcow2_write_header(struct qcow2 *q, struct vdisk_err *err);
int  qcow2_update_incompat(struct qcow2 *q, uint64_t bits,
                           struct vdisk_err *err);
int  qcow2_write_l1_entry(struct qcow2 *q, uint32_t i, struct vdisk_err *err);

/* cache (qcow2-cluster.c) */
void qc_init(struct qcache *c, int n, uint32_t cluster_size);
void qc_free(struct qcache *c);
/* Get the table at host offset off; read it unless `fresh` (then zeroed).
 * The returned pointer is valid until the next qc_get on this cache. */
int  qc_get(struct qcow2 *q, struct qcache *c, uint64_t off, bool fresh,
            struct qc_entry **out, struct vdisk_err *err);
int  qc_flush(struct qcow2 *q, struct qcache *c, struct vdisk_err *err);
void qc_drop(struct qcache *c, uint64_t off);
int  qcow2_flush_all(struct qcow2 *q, struct vdisk_err *err);

/* cluster mapping and I/O (qcow2-cluster.c) */
int  qcow2_pread(struct vdisk *d, void *buf, size_t n, uint64_t off,
                 struct vdisk_err *err);
int  qcow2_pwrite(struct vdisk *d, const void *buf, size_t n, uint64_t off,
                  struct vdisk_err *err);
int  qcow2_pwrite_zeroes(struct vdisk *d, uint64_t off, uint64_t len,
                         unsigned flags, struct vdisk_err *err);
int  qcow2_discard(struct vdisk *d, uint64_t off, uint64_t len,
                   struct vdisk_err *err);
int  qcow2_block_status(struct vdisk *d, uint64_t off, uint64_t len,
                        struct vdisk_extent *ext, struct vdisk_err *err);
int  qcow2_compress(const struct vdisk *d, const void *in, size_t n,
                    void *out, size_t out_cap, size_t *out_len,
                    struct vdisk_err *err);
int  qcow2_reserve(struct vdisk *d, uint64_t off, uint64_t len,
                   uint64_t *host, uint64_t *got, struct vdisk_err *err);
int  qcow2_write_compressed(struct vdisk *d, uint64_t off, const void *cdata,
                            size_t clen, struct vdisk_err *err);
int  qcow2_make_empty(struct vdisk *d, struct vdisk_err *err);
int  qcow2_grow_l1(struct qcow2 *q, uint32_t min_size, struct vdisk_err *err);
/* Make L2 table l1i present and owned (refcount 1, copied on write if
 * shared); *out is its cache entry, valid until the next cache use. */
int  qcow2_l2_for_write(struct qcow2 *q, uint64_t l1i, struct qc_entry **out,
                        struct vdisk_err *err);

/* preallocation (qcow2-prealloc.c) */
/* Allocate every unallocated cluster of guest range [from, to) as qemu's
 * preallocation does: L2 entries point at fresh host clusters (COPIED;
 * extended L2 bitmaps stay clear, so the clusters read as before); then
 * METADATA makes the file cover them (sparse), FALLOC fallocate()s and
 * FULL writes zeros over them. */
int  qcow2_preallocate(struct vdisk *d, uint64_t from, uint64_t to,
                       enum vdisk_prealloc mode, struct vdisk_err *err);
/* Decompress the compressed cluster described by L2 entry l2e into out
 * (cluster_size bytes). */
int  qcow2_decompress_cluster(struct qcow2 *q, uint64_t l2e, uint8_t *out,
                              struct vdisk_err *err);
void qcow2_free_codecs(struct qcow2 *q);
/* Host byte range [*start, *end) of a compressed L2 entry. */
void qcow2_compressed_range(const struct qcow2 *q, uint64_t l2e,
                            uint64_t *start, uint64_t *end);

/* refcounts (qcow2-refcount.c) */
/* Write the snapshot table anew (complete v3 entries: at least 24 bytes
 * of extra data) and free the old one: the repair of `check -r all`. */
int  qcow2_rewrite_snapshot_table(struct qcow2 *q, struct vdisk_err *err);
/* Refcounts of clusters [first, first + n) into out[], a refcount block
 * at a time (the check's comparison). */
int  qcow2_get_refcounts(struct qcow2 *q, uint64_t first, uint64_t n,
                         uint64_t *out, struct vdisk_err *err);
int  qcow2_get_refcount(struct qcow2 *q, uint64_t ci, uint64_t *rc,
                        struct vdisk_err *err);
int  qcow2_update_refcount(struct qcow2 *q, uint64_t ci, int64_t delta,
                           struct vdisk_err *err);
int  qcow2_set_refcount(struct qcow2 *q, uint64_t ci, uint64_t v,
                        struct vdisk_err *err);
/* Allocate n (<= qcow2_max_alloc(q)) contiguous clusters; refcount 1. */
int  qcow2_alloc_clusters(struct qcow2 *q, uint64_t n, uint64_t *host_off,
                          struct vdisk_err *err);
uint64_t qcow2_max_alloc(const struct qcow2 *q);
/* Drop one reference to whatever an L2 entry points at (normal or
 * compressed); no-op for unallocated and plain zero entries. */
int  qcow2_free_l2_entry(struct qcow2 *q, uint64_t l2e,
                         struct vdisk_err *err);
/* Drop one reference to every cluster of [off, off + len); with
 * `discard`, clusters left unreferenced are punched out of the file, as
 * qemu discards what snapshot operations and check repairs free
 * (pass-discard-snapshot). */
int  qcow2_free_range(struct qcow2 *q, uint64_t off, uint64_t len,
                      bool discard, struct vdisk_err *err);
/* Punch cluster ci out of the file (it must be unreferenced). */
void qcow2_discard_cluster(struct qcow2 *q, uint64_t ci);
uint64_t rb_get(const struct qcow2 *q, const uint8_t *blk, uint64_t i);
void     rb_set(const struct qcow2 *q, uint8_t *blk, uint64_t i, uint64_t v);

/* check (qcow2-check.c) */
int  qcow2_check(struct vdisk *d, unsigned fix, struct vdisk_check *res,
                 vxl_diags *report, struct vdisk_err *err);

/* snapshots (qcow2-snapshot.c) */
int  qcow2_read_snapshots(struct qcow2 *q, struct vdisk_err *err);
void qcow2_free_snapshots(struct qcow2 *q);
int  qcow2_snapshot_list(struct vdisk *d, struct vdisk_snapshot **list,
                         size_t *n, struct vdisk_err *err);
int  qcow2_snapshot_create(struct vdisk *d, const char *name,
                           struct vdisk_err *err);
int  qcow2_snapshot_apply(struct vdisk *d, const char *which,
                          struct vdisk_err *err);
int  qcow2_snapshot_delete(struct vdisk *d, const char *which,
                           struct vdisk_err *err);

/* An external data file: data clusters sit at their guest offset in it
 * and are not refcounted; with data_file_raw it is a raw image by itself
 * (every cluster mapped, zero writes write zeros into it). */
static inline bool qcow2_has_df(const struct qcow2 *q)
{
    return q->incompat & QCOW2_INCOMPAT_DATA_FILE;
}

static inline bool qcow2_df_raw(const struct qcow2 *q)
{
    return qcow2_has_df(q) && (q->autoclear & QCOW2_AUTOCLEAR_DATA_RAW);
}

static inline uint64_t qoff_to_ci(const struct qcow2 *q, uint64_t off)
{
    return off >> q->cluster_bits;
}

#endif

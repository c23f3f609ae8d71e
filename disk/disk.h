/* disk/disk.h — vxl's disk image library: public API and driver contract.
 *
 * A `struct vdisk` is an open image (raw, qcow2, qcow, vmdk, vpc, vdi)
 * with its backing
 * chain.  Every request goes through the core (disk/core.c), which checks
 * bounds, alignment and the read-only flag before a driver sees it, so
 * drivers may assume sane input.  Drivers are listed explicitly in
 * disk/registry.c (no constructors), each in its own file.
 *
 * Errors: every function that can fail returns 0 (or a non-negative value
 * where stated) on success and a negative errno on failure, and fills the
 * caller's `struct vdisk_err` with the same (positive) code and a one-line
 * message: lowercase, no full stop, subject quoted ("'a.qcow2': L1 table
 * offset 0x1234 is not cluster aligned").  `err` may be NULL everywhere.
 * The library never prints and never exits; allocation failure aborts
 * (common/util.h).
 *
 * Threads: a handle is not thread-safe.  Read-only handles are
 * independent of each other, so parallel readers each open their own
 * handle of the same file.  vdisk_compress_cluster() is pure and may run
 * on any thread; its result is written by the handle's owner with
 * vdisk_write_compressed().
 *
 * ---------------------------------------------------------------------
 * Format and backing-file policy (what a hostile image cannot make us do)
 * ---------------------------------------------------------------------
 *  1. An explicit format is never second-guessed: a file opened with
 *     format "raw" is raw whatever its first bytes say.
 *  2. Probing (format == NULL) scores every driver; raw scores 1.  A probe
 *     that lands on raw is read-only unless the caller asked for "raw":
 *     vdisk_open(VDISK_RDWR) of a probed-raw file fails with EPERM.
 *  3. A backing file is opened with, in order: the format the caller gave
 *     in vdisk_open_opts.backing_format (applies to the first backing
 *     file only), else the format recorded in the parent's header
 *     (qcow2 backing-format extension), else the open fails with EPERM
 *     (hint: record one with `vxl img rebase -u -F fmt`) unless the
 *     caller set VDISK_PROBE_BACKING, in which case a probe may pick any
 *     format except that it never yields a writable image.  Backing files
 *     are always opened read-only.
 *  4. Backing names are file names only: "json:", "nbd:", "http(s):" and
 *     any other "proto:" prefix are refused.  A relative name is relative
 *     to the directory of the image that records it (as in QEMU).
 *  5. Chains are limited to opts.max_depth images (default
 *     VDISK_DEFAULT_MAX_DEPTH) and an image that appears twice in its own
 *     chain (same st_dev/st_ino) is refused with ELOOP.
 *  6. VDISK_NO_BACKING opens no backing file at all (for `img info`,
 *     `rebase -u`); unallocated ranges then read as zeros.
 *  7. Header fields are bounded before use (table sizes against the file
 *     and VDISK_MAX_* limits) so a small file can't make us allocate
 *     gigabytes or loop for hours.
 *  8. Data files named inside an image (VMDK extents) are read as raw
 *     bytes, so they are held to a stricter rule than backing files: a
 *     name must be relative to the descriptor's directory with no ".."
 *     component and must be a regular file; anything else fails with
 *     EPERM naming the descriptor line unless the caller passes
 *     VDISK_ANY_EXTENT_PATH.  Delta links (VMDK parentFileNameHint, VHD
 *     parent locators) are backing files under rules 3-6, with the
 *     format implied by the child (a VMDK's parent is a VMDK, a VHD's a
 *     VHD).  A VHD child also refuses a parent whose footer unique id is
 *     not the one its header records (the parent was replaced).
 */
#ifndef VXL_DISK_DISK_H
#define VXL_DISK_DISK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/diag.h"

/* ------------------------------------------------------------------ */
/* Errors                                                              */
/* ------------------------------------------------------------------ */

struct vdisk_err {
    int code;           /* positive errno; 0 = no error */
    char msg[512];
};

/* Set *e (if non-NULL) and return -code. */
int vdisk_err_set(struct vdisk_err *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prepend context to an already set message ("'b.qcow2': " + msg). */
int vdisk_err_prefix(struct vdisk_err *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ------------------------------------------------------------------ */
/* Opening and closing                                                  */
/* ------------------------------------------------------------------ */

enum {
    VDISK_RDWR           = 1u << 0,  /* default is read-only */
    VDISK_NO_BACKING     = 1u << 1,  /* do not open the backing chain */
    VDISK_PROBE_BACKING  = 1u << 2,  /* allow probing a backing file that
                                        records no format (policy 3) */
    VDISK_NO_REPAIR      = 1u << 3,  /* rw open of a dirty qcow2: do not
                                        rebuild refcounts (for `check`) */
    VDISK_DIRECT         = 1u << 4,  /* O_DIRECT; requests must then be
                                        vdisk_alignment()-aligned */
    VDISK_UNSAFE_META    = 1u << 5,  /* open even if the qcow2 corrupt bit
                                        is set (read-only `check` only) */
    VDISK_ANY_EXTENT_PATH = 1u << 6, /* VMDK: follow extent names that are
                                        absolute or contain "..", and
                                        block-device extents (policy 8) */
};

#define VDISK_DEFAULT_MAX_DEPTH 32

struct vdisk_open_opts {
    const char *format;         /* NULL = probe (policy 2) */
    unsigned flags;             /* VDISK_* above */
    const char *backing_format; /* override for the first backing file */
    int max_depth;              /* chain length limit; 0 = default */
    const char *final_name;     /* the name the image will have when it is
                                   opened under a temporary one (convert's
                                   temporary directory): a relative backing
                                   name of the top image resolves against
                                   this name's directory; NULL = path's */
};

struct vdisk;

/* Open `path`.  opts may be NULL (probe, read-only). */
int vdisk_open(const char *path, const struct vdisk_open_opts *opts,
               struct vdisk **out, struct vdisk_err *err);
/* Write back cached metadata and free d and its backing chain.  Returns
 * the first write-back error, if any; d is freed either way.  NULL is a
 * no-op.  Close does not fdatasync(): call vdisk_flush() first when the
 * data must be durable (qemu-img's default cache mode doesn't either). */
int vdisk_close(struct vdisk *d, struct vdisk_err *err);

/* Windows: an image read in place from byte ranges of already open
 * files, e.g. a disk stored inside an OVA (a tar archive) or split into
 * chunk files.  The image's bytes are the segments concatenated, in
 * order.  A windowed image is always read-only (VDISK_RDWR fails with
 * EROFS), never opens a backing file (an image that records one fails
 * with EPERM: nothing outside the window is followed), and only drivers
 * whose image is one self-contained file support it (raw, and VMDK
 * sparse images: monolithicSparse, streamOptimized); other formats and
 * VMDK text descriptors (whose extents are further files) fail with
 * ENOTSUP.  The fds stay owned by the caller and must stay open until
 * the handle is closed; they are only read with pread(), so one fd may
 * back several handles on several threads.
 *
 * `observe`, when set, is called after every successful read from the
 * window with the window offset and the bytes read (not for the zeros
 * that stand for reads past its end); it may run on any thread that
 * reads the handle (convert workers) and must be thread-safe. */
struct vdisk_window_seg {
    int fd;
    uint64_t off, len;          /* byte range of fd */
};

struct vdisk_window {
    const char *name;           /* for messages and vdisk_filename() */
    const struct vdisk_window_seg *seg;
    size_t nseg;
    void (*observe)(void *opaque, uint64_t off, const void *buf, size_t n);
    void *observe_opaque;
};

/* Open the image held in window w (copied; opts as vdisk_open, flags
 * other than VDISK_NO_BACKING ignored). */
int vdisk_open_window(const struct vdisk_window *w,
                      const struct vdisk_open_opts *opts, struct vdisk **out,
                      struct vdisk_err *err);

/* Probe a file's format without opening it as an image.  Stores the
 * driver name (static string) in *fmt_out. */
int vdisk_probe(const char *path, const char **fmt_out, struct vdisk_err *err);

/* Accessors.  Strings are owned by d and live as long as it. */
uint64_t    vdisk_size(const struct vdisk *d);          /* virtual size */
const char *vdisk_format(const struct vdisk *d);        /* "qcow2" */
const char *vdisk_filename(const struct vdisk *d);      /* as opened */
bool        vdisk_is_writable(const struct vdisk *d);
/* Cluster (allocation unit) size; 0 for raw. */
uint32_t    vdisk_cluster_size(const struct vdisk *d);
/* Required alignment of offsets and lengths (1 unless VDISK_DIRECT). */
uint32_t    vdisk_alignment(const struct vdisk *d);
/* The open backing image, or NULL (none, or VDISK_NO_BACKING).  Owned
 * by d. */
struct vdisk *vdisk_backing(const struct vdisk *d);
/* Backing name as recorded in the header and its recorded format; NULL
 * when absent.  Valid even with VDISK_NO_BACKING. */
const char *vdisk_backing_name(const struct vdisk *d);
const char *vdisk_backing_format(const struct vdisk *d);
/* The recorded backing name resolved against the image's directory
 * (QEMU's "full-backing-filename"); NULL when there is none. */
const char *vdisk_backing_path(const struct vdisk *d);
/* True if a newly created image of this driver reads as zeros (qcow2
 * without backing, raw regular file; not a block device).  Only
 * meaningful for an image created by this process: see convert. */
bool        vdisk_has_zero_init(const struct vdisk *d);

/* ------------------------------------------------------------------ */
/* I/O                                                                 */
/* ------------------------------------------------------------------ */

/* Read n bytes at off.  The whole range must lie within vdisk_size(). */
int vdisk_pread(struct vdisk *d, void *buf, size_t n, uint64_t off,
                struct vdisk_err *err);
int vdisk_pwrite(struct vdisk *d, const void *buf, size_t n, uint64_t off,
                 struct vdisk_err *err);

enum {
    VDISK_ZERO_MAY_UNMAP    = 1u << 0, /* may deallocate (hole / qcow2
                                          zero flag without a cluster) */
    VDISK_ZERO_NO_FALLBACK  = 1u << 1, /* fail with ENOTSUP rather than
                                          writing zero bytes */
};
int vdisk_pwrite_zeroes(struct vdisk *d, uint64_t off, uint64_t len,
                        unsigned flags, struct vdisk_err *err);
/* Bypass the page cache for bulk guest data (raw and qcow2): aligned
 * data writes then go through an O_DIRECT descriptor of the same file,
 * metadata and unaligned pieces stay buffered.  For large outputs, where
 * a growing page cache costs more than the disk.  Silently stays
 * buffered where the file system refuses O_DIRECT. */
int vdisk_set_direct_data(struct vdisk *d, bool on, struct vdisk_err *err);
bool vdisk_direct_data(const struct vdisk *d);

/* Drop data; the range then reads as zeros or from the backing file. */
int vdisk_discard(struct vdisk *d, uint64_t off, uint64_t len,
                  struct vdisk_err *err);
int vdisk_flush(struct vdisk *d, struct vdisk_err *err);

enum { VDISK_TRUNC_SHRINK = 1u << 0 };   /* refuse to shrink without it */
enum vdisk_prealloc {
    VDISK_PREALLOC_OFF, VDISK_PREALLOC_METADATA,
    VDISK_PREALLOC_FALLOC, VDISK_PREALLOC_FULL,
};
int vdisk_truncate(struct vdisk *d, uint64_t size, unsigned flags,
                   enum vdisk_prealloc prealloc, struct vdisk_err *err);

/* Compressed writes (qcow2, qcow).  A compressed write covers exactly
 * one cluster at a cluster-aligned offset (the last cluster may be
 * short: the rest is zero); the cluster must not be allocated yet in
 * this image (a new image, as in `convert -c`).
 *
 * vdisk_compress_cluster() is pure: it compresses `in` (n bytes, at most
 * one cluster) with d's compression type into out (capacity out_cap, at
 * least vdisk_cluster_size(d)).  *out_len = 0 means "does not shrink":
 * write the cluster uncompressed.  Any thread may call it. */
int vdisk_compress_cluster(const struct vdisk *d, const void *in, size_t n,
                           void *out, size_t out_cap, size_t *out_len,
                           struct vdisk_err *err);
/* True when every data write is stored compressed whatever the caller
 * asks (VMDK streamOptimized).  vdisk_compress_cluster() then always
 * produces output (it never answers "does not shrink" unless out_cap is
 * too small), so a converter may compress clusters on its own threads and
 * store them with vdisk_write_compressed() instead of leaving the work to
 * vdisk_pwrite() on one thread. */
bool vdisk_compresses_writes(const struct vdisk *d);
/* Parallel data writes into an image being filled (convert): the
 * handle's owner reserves host space for guest data and points the
 * image's metadata at it, then any thread writes the bytes there with
 * vdisk_write_reserved(), concurrently with other such writes and with
 * the owner's further calls.  Until its data is written a reserved range
 * reads whatever the file holds there, so this is for new images only.
 *
 * vdisk_reserve_data() reserves a run at the start of [off, off + len)
 * (whole clusters: off cluster-aligned, len a cluster multiple or
 * reaching the end of the image; clusters not allocated in d itself):
 * *got bytes from off, contiguous at host offset *host of d's own file.
 * ENOTSUP where the driver or the range doesn't allow it: write those
 * with vdisk_pwrite().  vdisk_can_reserve(): whether the driver has it at
 * all (qcow2 without an external data file). */
bool vdisk_can_reserve(const struct vdisk *d);
int vdisk_reserve_data(struct vdisk *d, uint64_t off, uint64_t len,
                       uint64_t *host, uint64_t *got, struct vdisk_err *err);
int vdisk_write_reserved(struct vdisk *d, const void *buf, size_t n,
                         uint64_t host, struct vdisk_err *err);
/* Store an already compressed cluster (from vdisk_compress_cluster). */
int vdisk_write_compressed(struct vdisk *d, uint64_t off, const void *cdata,
                           size_t clen, struct vdisk_err *err);
/* Both in one call; falls back to a normal write when it doesn't shrink. */
int vdisk_pwrite_compressed(struct vdisk *d, const void *buf, size_t n,
                            uint64_t off, struct vdisk_err *err);

/* ------------------------------------------------------------------ */
/* Block status                                                        */
/* ------------------------------------------------------------------ */

enum {
    VDISK_EXT_ALLOCATED  = 1u << 0, /* this layer decides the content */
    VDISK_EXT_DATA       = 1u << 1, /* content read from a host file */
    VDISK_EXT_ZERO       = 1u << 2, /* reads as zeros */
    VDISK_EXT_OFFSET     = 1u << 3, /* host_offset valid (raw-mapped) */
    VDISK_EXT_COMPRESSED = 1u << 4,
};

struct vdisk_extent {
    uint64_t off, len;          /* guest range, len > 0 */
    unsigned flags;             /* VDISK_EXT_* */
    uint64_t host_offset;       /* valid with VDISK_EXT_OFFSET */
    int depth;                  /* chain depth that answered: 0 = d */
    const struct vdisk *layer;  /* that image (borrowed); for `map` the
                                   host file is vdisk_data_filename() */
};

/* Status of the longest run starting at off (at most len bytes, and not
 * past vdisk_size()) that has the same flags and, for OFFSET runs,
 * contiguous host offsets.
 *
 * With chain=false only d itself is asked: unallocated ranges come back
 * without VDISK_EXT_ALLOCATED (and with VDISK_EXT_ZERO only if d has no
 * backing).  With chain=true unallocated ranges are resolved down the
 * backing chain (depth counts the layers; a range unallocated in a layer
 * and past the end of that layer's shorter backing file reads as zero:
 * flags ZERO without ALLOCATED at the layer's own depth, as qemu), and
 * ranges unallocated everywhere come back ZERO with depth = the number
 * of backing images and layer = the bottom image, as `qemu-img map`
 * prints.  Coalesces across clusters: one call per run, not per cluster.
 */
int vdisk_block_status(struct vdisk *d, uint64_t off, uint64_t len,
                       bool chain, struct vdisk_extent *ext,
                       struct vdisk_err *err);
/* Host file holding a layer's data (the qcow2 external data file, or the
 * image file itself). */
const char *vdisk_data_filename(const struct vdisk *d);

/* ------------------------------------------------------------------ */
/* Create                                                              */
/* ------------------------------------------------------------------ */

enum vdisk_compression { VDISK_COMP_ZLIB = 0, VDISK_COMP_ZSTD = 1 };

/* Options of `img create -o`, with QEMU's names and defaults.  Initialise
 * with vdisk_create_opts_init(); a `set_*` bit records that an option was
 * given, which decides what vdisk_create_opts_describe() prints. */
struct vdisk_create_opts {
    const char *format;             /* driver name; required */
    uint64_t size;                  /* 0 + backing file: backing's size */
    bool     size_set;
    char    *backing_file;          /* owned (xstrdup); NULL = none */
    char    *backing_format;        /* owned; required with backing_file */
    int      compat;                /* qcow2: 2 (0.10) or 3 (1.1); 3 */
    uint32_t cluster_size;          /* 65536 */
    int      refcount_bits;         /* 16; 1,2,4,...,64 (v2: 16 only) */
    bool     lazy_refcounts;
    bool     extended_l2;
    enum vdisk_compression compression_type;
    enum vdisk_prealloc preallocation;
    char    *data_file;             /* owned; qcow2 external data file */
    bool     data_file_raw;
    char    *subformat;             /* owned; vmdk: monolithicSparse...,
                                       vpc: dynamic|fixed */
    bool     force_size;            /* vpc: record the exact size */
    bool     static_image;          /* vdi: static=on (preallocated) */
    char    *adapter_type;          /* owned; vmdk: ide|buslogic|lsilogic|
                                       legacyESX (default ide) */
    int      hwversion;             /* vmdk: 0 = default (4) */
    bool     zeroed_grain;          /* vmdk: zeroed-grain GTEs */
    const char *final_name;         /* borrowed; the name the image will
                                       have when created under a temporary
                                       one (a VMDK's descriptor names its
                                       files after it; a relative backing
                                       file resolves against its
                                       directory); NULL = the path created */
    unsigned set;                   /* VDISK_OPT_* bits given explicitly */
    /* Values the option syntax accepts but the format rejects (QEMU finds
     * them only after printing its "Formatting" line): parse records them
     * here, vdisk_create_opts_describe() prints them as given, and
     * vdisk_create()/vdisk_measure() fail with `deferred` (the error QEMU
     * reports first).  Freed by dispose. */
    struct vdisk_deferred {
        char *key, *val;
        char *msg, *mmsg;           /* for create; for measure (NULL:
                                       measure ignores the value) */
        int rank, mrank;            /* the lowest is reported */
    } raw[8];
    int nraw;
};

enum {
    VDISK_OPT_COMPAT = 1u << 0, VDISK_OPT_CLUSTER_SIZE = 1u << 1,
    VDISK_OPT_REFCOUNT_BITS = 1u << 2, VDISK_OPT_LAZY = 1u << 3,
    VDISK_OPT_EXTL2 = 1u << 4, VDISK_OPT_COMPRESSION = 1u << 5,
    VDISK_OPT_PREALLOC = 1u << 6, VDISK_OPT_DATA_FILE = 1u << 7,
    VDISK_OPT_DATA_FILE_RAW = 1u << 8, VDISK_OPT_BACKING = 1u << 9,
    VDISK_OPT_BACKING_FMT = 1u << 10, VDISK_OPT_FORCE_SIZE = 1u << 11,
    VDISK_OPT_ZEROED_GRAIN = 1u << 12, VDISK_OPT_COMPAT6 = 1u << 13,
    VDISK_OPT_HWVERSION = 1u << 14,
};

void vdisk_create_opts_init(struct vdisk_create_opts *o, const char *format);
void vdisk_create_opts_dispose(struct vdisk_create_opts *o); /* idempotent */
/* Apply one "-o" string ("cluster_size=4k,compat=0.10", ",," escapes a
 * comma; "size=" and "backing_file=" too).  Unknown options or values
 * the format does not accept: EINVAL naming the option. */
int vdisk_create_opts_parse(struct vdisk_create_opts *o, const char *optstr,
                            struct vdisk_err *err);
/* The deferred error recorded by parse (see `raw` above), if any. */
int vdisk_create_opts_check(const struct vdisk_create_opts *o, bool measure,
                            struct vdisk_err *err);
/* QEMU's "Formatting" line body for `img create`:
 * "fmt=qcow2 cluster_size=65536 extended_l2=off compression_type=zlib
 *  size=1048576 lazy_refcounts=off refcount_bits=16".  Caller frees. */
char *vdisk_create_opts_describe(const struct vdisk_create_opts *o);
/* Names of the options a format accepts, for "-o help" (NULL-terminated,
 * static). */
const char *const *vdisk_create_opts_names(const char *format);

/* Create an image.  Like QEMU, an existing file is truncated and
 * overwritten.  If o->size_set is false and a backing file is given, the
 * backing image (opened read-only with o->backing_format) gives the
 * size; a relative backing name is resolved against path's directory. */
int vdisk_create(const char *path, const struct vdisk_create_opts *o,
                 struct vdisk_err *err);

/* Parse a size the way qemu-img does: "1048576", "512k", "1.5G",
 * "2T"; suffixes b(1) k K M G T P E (powers of 1024). */
int vdisk_parse_size(const char *s, uint64_t *out, struct vdisk_err *err);

/* `img measure`: bytes an image of format o->format and options o would
 * need to hold src's data (src NULL: an empty image of o->size). */
struct vdisk_measure {
    uint64_t required;
    uint64_t fully_allocated;
};
int vdisk_measure(const struct vdisk_create_opts *o, struct vdisk *src,
                  struct vdisk_measure *out, struct vdisk_err *err);

/* ------------------------------------------------------------------ */
/* Info                                                                */
/* ------------------------------------------------------------------ */

struct vdisk_snapshot {
    char *id;                   /* "1" */
    char *name;
    uint64_t vm_state_size;
    uint32_t date_sec, date_nsec;
    uint64_t vm_clock_nsec;
    uint64_t icount;            /* UINT64_MAX = absent */
    uint64_t disk_size;         /* virtual size at snapshot time */
};

struct vdisk_info {
    const char *format;         /* static */
    uint64_t virtual_size;
    uint64_t actual_size;       /* bytes allocated on the host */
    uint32_t cluster_size;      /* 0 = not applicable (raw) */
    char *backing_file;         /* as recorded; NULL = none */
    char *backing_format;       /* as recorded; NULL = none */
    char *full_backing_file;    /* resolved against the image's dir */
    bool dirty;                 /* qcow2 dirty bit set */
    bool encrypted;
    struct vdisk_snapshot *snapshots;
    size_t nsnapshots;
    /* Format specific ("Format specific information:"). */
    bool has_qcow2;
    struct {
        int version;            /* 2 → compat "0.10", 3 → "1.1" */
        bool lazy_refcounts;
        int refcount_bits;
        bool corrupt;
        bool extended_l2;
        enum vdisk_compression compression_type;
        char *data_file;        /* NULL = none */
        bool data_file_raw;
        uint64_t bitmaps;       /* count of persistent bitmaps (unused) */
    } qcow2;
};

int  vdisk_get_info(struct vdisk *d, struct vdisk_info *info,
                    struct vdisk_err *err);
void vdisk_info_dispose(struct vdisk_info *info);   /* idempotent */

/* ------------------------------------------------------------------ */
/* Check and repair                                                    */
/* ------------------------------------------------------------------ */

enum { VDISK_FIX_LEAKS = 1u << 0, VDISK_FIX_ERRORS = 1u << 1 };

struct vdisk_check {
    int64_t corruptions, leaks, check_errors;
    int64_t corruptions_fixed, leaks_fixed;
    uint64_t image_end_offset;
    uint64_t total_clusters, allocated_clusters;
    uint64_t fragmented_clusters, compressed_clusters;
    bool has_stats;             /* the four cluster counts are valid */
};

/* Check d (opened with VDISK_NO_REPAIR, read-write when fix != 0).
 * Messages that qemu-img prints per problem ("Leaked cluster 4
 * refcount=1 reference=0", "ERROR cluster 3 refcount=0 reference=1",
 * "Repairing cluster ...") are appended in order to `report` (may be
 * NULL) as VXL_ERROR / VXL_WARNING / VXL_NOTE diagnostics with no file.
 * Returns -ENOTSUP when the format has no check (raw: exit 63), another
 * negative errno when the check could not complete. */
int vdisk_check(struct vdisk *d, unsigned fix, struct vdisk_check *res,
                vxl_diags *report, struct vdisk_err *err);

/* ------------------------------------------------------------------ */
/* Snapshots (qcow2 internal snapshots)                                */
/* ------------------------------------------------------------------ */

int  vdisk_snapshot_list(struct vdisk *d, struct vdisk_snapshot **list,
                         size_t *n, struct vdisk_err *err);
void vdisk_snapshot_list_free(struct vdisk_snapshot *list, size_t n);
int  vdisk_snapshot_create(struct vdisk *d, const char *name,
                           struct vdisk_err *err);
/* `which` matches an id first, then a name (as QEMU). */
int  vdisk_snapshot_apply(struct vdisk *d, const char *which,
                          struct vdisk_err *err);
int  vdisk_snapshot_delete(struct vdisk *d, const char *which,
                           struct vdisk_err *err);

/* ------------------------------------------------------------------ */
/* Chain edits (commit, rebase)                                        */
/* ------------------------------------------------------------------ */

/* Rewrite the recorded backing name/format (NULL name = no backing).
 * Content is not touched: this is `rebase -u`.  The open chain is not
 * reopened.  vdisk_can_set_backing() makes the same checks (the core's
 * and the driver's) without writing anything: a safe rebase asks it
 * before it copies data into the image. */
int vdisk_can_set_backing(struct vdisk *d, const char *name, const char *fmt,
                          struct vdisk_err *err);
int vdisk_set_backing(struct vdisk *d, const char *name, const char *fmt,
                      struct vdisk_err *err);
/* Deallocate everything in d (qcow2: all clusters back to "unallocated",
 * for `commit` without -d). */
int vdisk_make_empty(struct vdisk *d, struct vdisk_err *err);

/* ------------------------------------------------------------------ */
/* Driver contract (disk/raw.c, disk/qcow2*.c, disk/qcow.c)            */
/* ------------------------------------------------------------------ */

/* What a driver may assume: requests are inside [0, size), aligned,
 * n > 0, writes only on writable handles, `d` was opened by this driver
 * and its private area (priv_size bytes, zeroed) is vdisk_priv(d).
 * Optional callbacks may be NULL; the core then returns ENOTSUP or, for
 * pwrite_zeroes/discard, falls back (zero-filled writes / no-op). */
struct vdisk_driver {
    const char *name;
    size_t priv_size;
    /* 0..100 for the first `len` bytes of the file (len >= 512 unless
     * the file is shorter); raw returns 1. */
    int  (*probe)(const uint8_t *head, size_t len);

    int  (*open)(struct vdisk *d, int fd, unsigned flags,
                 struct vdisk_err *err);
    /* Write back and release the driver's state; close the fd.  Returns
     * a write-back error (the core frees d regardless). */
    int  (*close)(struct vdisk *d, struct vdisk_err *err);

    int  (*pread)(struct vdisk *d, void *buf, size_t n, uint64_t off,
                  struct vdisk_err *err);
    int  (*pwrite)(struct vdisk *d, const void *buf, size_t n, uint64_t off,
                   struct vdisk_err *err);
    int  (*pwrite_zeroes)(struct vdisk *d, uint64_t off, uint64_t len,
                          unsigned flags, struct vdisk_err *err);
    int  (*discard)(struct vdisk *d, uint64_t off, uint64_t len,
                    struct vdisk_err *err);
    int  (*flush)(struct vdisk *d, struct vdisk_err *err);
    int  (*truncate)(struct vdisk *d, uint64_t size, unsigned flags,
                     enum vdisk_prealloc prealloc, struct vdisk_err *err);
    /* This layer only (chain=false semantics above; depth/layer are
     * filled by the core). */
    int  (*block_status)(struct vdisk *d, uint64_t off, uint64_t len,
                         struct vdisk_extent *ext, struct vdisk_err *err);

    int  (*compress)(const struct vdisk *d, const void *in, size_t n,
                     void *out, size_t out_cap, size_t *out_len,
                     struct vdisk_err *err);
    int  (*write_compressed)(struct vdisk *d, uint64_t off,
                             const void *cdata, size_t clen,
                             struct vdisk_err *err);
    /* optional: vdisk_reserve_data (whole clusters, checked by the
     * core); ENOTSUP for what the driver leaves to pwrite */
    int  (*reserve)(struct vdisk *d, uint64_t off, uint64_t len,
                    uint64_t *host, uint64_t *got, struct vdisk_err *err);

    int  (*create)(const char *path, const struct vdisk_create_opts *o,
                   struct vdisk_err *err);
    int  (*measure)(const struct vdisk_create_opts *o, struct vdisk *src,
                    struct vdisk_measure *out, struct vdisk_err *err);
    int  (*get_info)(struct vdisk *d, struct vdisk_info *info,
                     struct vdisk_err *err);
    int  (*check)(struct vdisk *d, unsigned fix, struct vdisk_check *res,
                  vxl_diags *report, struct vdisk_err *err);

    int  (*snapshot_list)(struct vdisk *d, struct vdisk_snapshot **list,
                          size_t *n, struct vdisk_err *err);
    int  (*snapshot_create)(struct vdisk *d, const char *name,
                            struct vdisk_err *err);
    int  (*snapshot_apply)(struct vdisk *d, const char *which,
                           struct vdisk_err *err);
    int  (*snapshot_delete)(struct vdisk *d, const char *which,
                            struct vdisk_err *err);

    int  (*set_backing)(struct vdisk *d, const char *name, const char *fmt,
                        struct vdisk_err *err);
    /* optional: what set_backing would refuse, found without writing */
    int  (*can_set_backing)(struct vdisk *d, const char *name,
                            const char *fmt, struct vdisk_err *err);
    /* Called once the backing image is open (d->backing set): a driver
     * whose format links a child to one particular parent refuses a
     * parent that is not it (VHD: the recorded parent unique id). */
    int  (*check_backing)(struct vdisk *d, struct vdisk_err *err);
    int  (*make_empty)(struct vdisk *d, struct vdisk_err *err);

    /* Options accepted by create, NULL-terminated (for -o help / parse). */
    const char *const *create_opts;
    bool zero_init;                 /* see vdisk_has_zero_init() */
    /* create may write further files next to `path`, named after it
     * (VMDK extents); convert then builds the image in a private
     * directory and moves all its files into place at the end. */
    bool multi_file;
    /* open works on an image in a window (vdisk_open_window): it reads
     * through vd_img_pread()/d->win rather than the fd, which is -1 */
    bool windows;
};

/* Registry (disk/registry.c): NULL-terminated, in probe order. */
extern const struct vdisk_driver *const vdisk_drivers[];
const struct vdisk_driver *vdisk_driver_find(const char *name);

/* For drivers. */
void *vdisk_priv(const struct vdisk *d);

#endif

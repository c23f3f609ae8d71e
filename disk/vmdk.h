/* disk/vmdk.h — VMware VMDK driver internals shared by disk/vmdk.c (open,
 * descriptor parser, reads), disk/vmdk-desc.c (descriptor text) and
 * disk/vmdk-write.c (create and writes).
 *
 * An image is a list of extents covering the guest address space in
 * order: FLAT (raw bytes of a file from an offset), ZERO, hosted SPARSE
 * (the "KDMV" header: grain directory -> grain tables -> grains, maybe
 * deflate-compressed with stream markers), VMFSSPARSE ("COWD") and
 * SESPARSE (ESXi's space-efficient sparse, read-only: a const header with
 * magic 0xcafebabe, a volatile header 0xcafecafe, a grain directory of
 * 64-bit entries naming grain tables by index, grain tables of 4096
 * 64-bit entries whose top nibble gives the grain's state and whose other
 * bits its index in the grain area; 4 KiB grains).
 *
 * Extent path policy (documented in disk.h too): an extent named in a
 * descriptor is opened relative to the descriptor's directory; absolute
 * names and names with a ".." component are refused (EPERM) unless the
 * caller opened with VDISK_ANY_EXTENT_PATH, and an extent must be a
 * regular file (block devices too with that flag). */
#ifndef VXL_DISK_VMDK_H
#define VXL_DISK_VMDK_H

#include <stdbool.h>
#include <stdint.h>

#include "disk/internal.h"

#define VMDK4_MAGIC     0x564d444bu     /* "KDMV" little-endian */
#define VMDK3_MAGIC     0x44574f43u     /* "COWD" */
#define VMDK_GD_AT_END  0xffffffffffffffffull

#define VMDK4_FLAG_NL_DETECT  (1u << 0)
#define VMDK4_FLAG_RGD        (1u << 1)
#define VMDK4_FLAG_ZERO_GRAIN (1u << 2)
#define VMDK4_FLAG_COMPRESS   (1u << 16)
#define VMDK4_FLAG_MARKER     (1u << 17)

#define VMDK_MARKER_EOS     0
#define VMDK_MARKER_GT      1
#define VMDK_MARKER_GD      2
#define VMDK_MARKER_FOOTER  3

/* Bounds (disk.h policy 7). */
#define VMDK_MAX_DESC       (1u << 20)  /* descriptor text bytes */
#define VMDK_MAX_EXTENTS    65536
#define VMDK_MAX_GRAIN      4096        /* sectors (2 MiB) */
#define VMDK_MAX_GTES       4096
#define VMDK_MAX_GD_BYTES   (64u << 20)
#define VMDK_MAX_SECTORS    (1ull << 53)

/* seSparse (the values every reader accepts; qemu 7.2 is as strict) */
#define SESPARSE_MAGIC          0xcafebabeull
#define SESPARSE_VOL_MAGIC      0xcafecafeull
#define SESPARSE_VERSION        0x0000000200000001ull
#define SESPARSE_GRAIN_SEC      8u      /* 4 KiB grains */
#define SESPARSE_GT_SEC         64u     /* 32 KiB tables: 4096 entries */
#define SESPARSE_GTES           (SESPARSE_GT_SEC * 512 / 8)

enum vmdk_ext_kind { VX_FLAT, VX_ZERO, VX_SPARSE, VX_COWD, VX_SESPARSE };

struct vmdk_extent {
    enum vmdk_ext_kind kind;
    char *path;                 /* resolved file name (NULL for ZERO) */
    int fd;                     /* -1 for ZERO */
    bool own_fd;                /* false: the image's own fd */
    const struct vd_window *win;/* the image's window (vdisk_open_window)
                                   when this extent is the image itself */
    uint64_t start, sectors;    /* guest range, sectors */
    uint64_t flat_off;          /* FLAT: byte offset in the file */
    /* SPARSE / COWD */
    uint64_t fsize;             /* file size at open */
    uint64_t capacity;          /* sectors, from the header */
    uint32_t grain_sec;         /* sectors per grain */
    uint32_t gtes;              /* entries per grain table */
    uint32_t gd_n;              /* grain directory entries */
    uint64_t gd_off, rgd_off;   /* sectors; rgd 0 = none */
    uint32_t *gd;               /* host order */
    uint32_t *rgd;              /* host order, NULL without a redundant GD */
    /* SESPARSE: 64-bit directory and table, table and grain areas */
    uint64_t *gd64, *gt64;      /* host order */
    uint64_t se_gt_off;         /* sectors: grain table 0 */
    uint64_t se_grain_off;      /* sectors: grain 0 */
    bool compressed, markers;
    uint32_t *gt;               /* cached grain table (host order) */
    uint32_t gt_idx;            /* which; UINT32_MAX = none */
    bool gt_dirty;              /* gt has writes not yet in the file */
    uint8_t *dbuf, *cbuf;       /* decompressed grain / compressed input */
    uint64_t dbuf_sec;          /* host sector of dbuf's grain; 0 = none */
    size_t cbuf_cap;
    void *inflater;             /* libdeflate decompressor, lazily made */
    /* stream grains are read ahead: cbuf holds file bytes
     * [ra_off, ra_off + ra_len) */
    uint64_t ra_off;
    size_t ra_len;
};

struct vmdk_desc_extent {
    int line;
    char access[16];
    uint64_t sectors;
    char type[16];
    char *file;                 /* NULL for ZERO */
    uint64_t offset;            /* sectors (FLAT) */
};

struct vmdk_desc {
    int version;
    uint32_t cid, parent_cid;
    bool has_parent_cid;
    char *create_type;
    char *parent_hint;
    char *adapter_type;
    struct vmdk_desc_extent *ext;
    size_t next;
};

/* Parse descriptor text (not NUL-terminated; len bytes).  `name` is used
 * in messages: "'x.vmdk' line 7: ...". */
int vmdk_desc_parse(const char *text, size_t len, const char *name,
                    struct vmdk_desc *out, struct vdisk_err *err);
void vmdk_desc_free(struct vmdk_desc *d);

/* Writer state (streamOptimized buffers one grain; sparse appends). */
struct vmdk_wstate;

struct vmdk {
    struct vmdk_extent *ext;
    size_t next;
    char *create_type;
    uint32_t cid, parent_cid;
    bool stream;                /* streamOptimized */
    struct vmdk_wstate *w;      /* writable images only */
};

/* vmdk-write.c */
int vmdk_write_open(struct vdisk *d, struct vdisk_err *err);
int vmdk_write_close(struct vdisk *d, struct vdisk_err *err);
int vmdk_pwrite(struct vdisk *d, const void *buf, size_t n, uint64_t off,
                struct vdisk_err *err);
int vmdk_pwrite_zeroes(struct vdisk *d, uint64_t off, uint64_t len,
                       unsigned flags, struct vdisk_err *err);
int vmdk_flush(struct vdisk *d, struct vdisk_err *err);
int vmdk_create(const char *path, const struct vdisk_create_opts *o,
                struct vdisk_err *err);
int vmdk_compress(const struct vdisk *d, const void *in, size_t n,
                  void *out, size_t out_cap, size_t *out_len,
                  struct vdisk_err *err);
int vmdk_write_compressed(struct vdisk *d, uint64_t off, const void *cdata,
                          size_t clen, struct vdisk_err *err);
/* vmdk.c: the grain table entry for extent sector `sec` (0 unallocated,
 * 1 zero grain); loads the GT. */
int vmdk_gte(struct vdisk *d, struct vmdk_extent *e, uint64_t sec,
             uint32_t *gte, struct vdisk_err *err);
/* Write the cached grain table back (to both the primary and redundant
 * copy) if a writer changed it; vmdk_gte does it before loading another
 * table, the writer at flush and close. */
int vmdk_gt_writeback(struct vmdk_extent *e, struct vdisk_err *err);

#endif

/* disk/convert.h — the image conversion engine behind `vxl img convert`.
 *
 * vconvert() copies the guest-visible content of one or more source
 * images (concatenated, as qemu-img does) into a destination image:
 *
 *  - It walks block status, not bytes: ranges that read as zero (holes,
 *    zero clusters, unallocated everywhere in the chain) are never read,
 *    and never written when the destination was created by this call
 *    (a new image reads as zeros: vdisk_has_zero_init()).  For an
 *    existing destination (-n) they are written as zeroes (MAY_UNMAP).
 *  - Data ranges are read in large chunks and, unless min_sparse is 0,
 *    scanned for zero blocks (min_sparse bytes for a raw destination, a
 *    whole cluster for a clustered one), which are skipped like holes.
 *  - With a backing file for the destination (-B) only what is allocated
 *    in the top source image is copied; the rest stays unallocated and
 *    reads through the destination's backing file.
 *  - With -c, clusters whose bytes look random (vconvert_incompressible)
 *    are stored uncompressed without a deflate attempt.
 *  - Compression (qcow2 -c) and reading/decompressing run on up to
 *    `workers` threads, each with its own read-only handle of every
 *    source; writes happen on the caller's thread, in order unless
 *    out_of_order.  Memory is bounded (a few chunks per worker),
 *    independent of the image size.
 *  - A new destination is created under a temporary name in the same
 *    directory and renamed over dst_path only after everything was
 *    written and flushed; on any failure or cancellation the temporary
 *    file is removed, so dst_path never holds a half-written image.
 *    A format whose image spans several files (driver multi_file, e.g.
 *    VMDK extents) is created under its final names in a private
 *    directory next to dst_path; at the end each file is renamed into
 *    place, dst_path last, and on failure all of them are removed.
 *    Sources are only ever opened read-only.
 *
 * The engine never prints: progress goes through a callback, errors into
 * the caller's vdisk_err. */
#ifndef VXL_DISK_CONVERT_H
#define VXL_DISK_CONVERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "disk/disk.h"

struct vconvert_opts {
    const char *const *src;     /* source paths */
    size_t nsrc;
    const char *src_format;     /* NULL = probe each source */
    /* Optional, parallel to src: a non-NULL entry means that source is
     * read in place from a window of open files (vdisk_open_window; an
     * image inside an OVA) and src[i] is only its display name. */
    const struct vdisk_window *const *src_win;
    const char *dst;
    /* Destination create options: format and -o options, backing file
     * (-B) and its format (-F).  size is filled in by vconvert() from the
     * sources unless size_set.  Ignored with no_create except format. */
    struct vdisk_create_opts *create;
    bool no_create;             /* -n: destination exists, write in place */
    bool target_is_zero;        /* --target-is-zero: with -n, skip zeros */
    bool compress;              /* -c */
    uint64_t min_sparse;        /* -S bytes; 0 = copy everything */
    int workers;                /* -m; <= 1 = serial */
    bool out_of_order;          /* -W */
    /* Make the destination durable (vdisk_flush) before it is renamed
     * into place: qemu-img's -t writeback/writethrough/none/directsync.
     * qemu-img's default, -t unsafe, never flushes; neither does false. */
    bool flush;
    /* -t none/directsync: bypass the page cache for the destination's
     * data from the start (vdisk_set_direct_data).  Without it, a raw or
     * qcow2 destination switches to that after VCONVERT_DIRECT_AFTER
     * bytes of data: past that, feeding a growing page cache costs more
     * than the disk does. */
    bool direct;
    /* Called from the caller's thread with bytes done/total (of the
     * virtual size); may be NULL. */
    void (*progress)(void *opaque, uint64_t done, uint64_t total);
    void *progress_opaque;
    /* Polled between chunks; a non-zero value aborts with ECANCELED
     * (a signal handler may set it).  May be NULL. */
    volatile int *cancel;
};

#define VCONVERT_DIRECT_AFTER (1ull << 30)

/* Default -S: 4 KiB, as qemu-img. */
#define VCONVERT_DEFAULT_MIN_SPARSE 4096u

int vconvert(const struct vconvert_opts *o, struct vdisk_err *err);

/* Exposed for unit tests: length of the all-zero prefix of buf[0..n). */
size_t vconvert_zero_prefix(const uint8_t *buf, size_t n);
bool vconvert_is_zero(const void *buf, size_t n);
/* True if buf's byte distribution is too flat for deflate to gain more
 * than ~1.2% (order-2 Renyi entropy >= 7.9 bits/byte); -c then stores
 * the cluster uncompressed without trying. */
bool vconvert_incompressible(const uint8_t *buf, size_t n);

#endif

/* disk/compress.h — one-shot compression of a cluster or grain with
 * per-thread compressor state, shared by the drivers that write
 * compressed data (qcow2 clusters, VMDK streamOptimized grains).  Safe to
 * call from convert's worker threads. */
#ifndef VXL_DISK_COMPRESS_H
#define VXL_DISK_COMPRESS_H

#include <stddef.h>

enum vd_deflate_form {
    VD_DEFLATE_RAW4K,   /* raw deflate, no match further back than 4 KiB
                         * (qcow2: QEMU inflates with windowBits -12) */
    VD_DEFLATE_ZLIB,    /* RFC 1950 zlib stream (VMDK grains) */
};

/* Deflates n bytes of src into out.  ISA-L level 1 is used when built
 * with it and VXL_DEFLATE_LEVEL is unset; otherwise libdeflate at
 * ld_level (1..12), or zlib at its default level without libdeflate.
 * Returns the output length, 0 when it does not fit in cap or the codec
 * failed. */
size_t vd_deflate(enum vd_deflate_form form, int ld_level, const void *src,
                  size_t n, void *out, size_t cap);

/* zstd frame of n bytes of src at level; 0 when it does not fit or zstd
 * is not built in. */
size_t vd_zstd(int level, const void *src, size_t n, void *out, size_t cap);

#endif

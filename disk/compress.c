/* disk/compress.c — per-thread compressors (ISA-L igzip, libdeflate,
 * zlib, zstd) behind vd_deflate() and vd_zstd(); see compress.h. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <zlib.h>
#ifdef HAVE_LIBDEFLATE
#include <libdeflate.h>
#endif
#ifdef HAVE_ISAL
#include <dlfcn.h>
#include <isa-l/igzip_lib.h>
#endif
#ifdef HAVE_ZSTD
#include <zstd.h>
#endif

#include "common/util.h"
#include "disk/compress.h"

/* What one thread has set up, freed when the thread exits. */
struct tl_comp {
#ifdef HAVE_ISAL
    struct isal_zstream *isal;
    uint8_t *isal_lvl;              /* the level-1 hash/token buffer */
#endif
#ifdef HAVE_LIBDEFLATE
    struct libdeflate_compressor *ld[13];   /* by level */
#endif
#ifdef HAVE_ZSTD
    ZSTD_CCtx *zc;
#endif
    z_stream *z;                    /* raw deflate, windowBits -12 */
};
static pthread_key_t comp_key;
static pthread_once_t comp_once = PTHREAD_ONCE_INIT;

static void tl_comp_free(void *p)
{
    struct tl_comp *t = p;
#ifdef HAVE_ISAL
    free(t->isal);
    free(t->isal_lvl);
#endif
#ifdef HAVE_LIBDEFLATE
    for (int i = 0; i < 13; i++)
        if (t->ld[i])
            libdeflate_free_compressor(t->ld[i]);
#endif
#ifdef HAVE_ZSTD
    if (t->zc)
        ZSTD_freeCCtx(t->zc);
#endif
    if (t->z) {
        deflateEnd(t->z);
        free(t->z);
    }
    free(t);
}

static void comp_key_init(void)
{
    pthread_key_create(&comp_key, tl_comp_free);
}

static struct tl_comp *tl_get(void)
{
    pthread_once(&comp_once, comp_key_init);
    struct tl_comp *t = pthread_getspecific(comp_key);
    if (!t) {
        t = xcalloc(1, sizeof(*t));
        pthread_setspecific(comp_key, t);
    }
    return t;
}

/* For the main thread, whose key destructor never runs: free at exit so
 * leak checkers stay quiet. */
__attribute__((destructor)) static void comp_main_free(void)
{
    if (comp_once == PTHREAD_ONCE_INIT)
        return;
    struct tl_comp *t = pthread_getspecific(comp_key);
    if (t) {
        pthread_setspecific(comp_key, NULL);
        tl_comp_free(t);
    }
}

#ifdef HAVE_ISAL
/* ISA-L is loaded on the first compressed write, not linked: only `-c'
 * and streamOptimized outputs need it and every other command would pay
 * for loading it at start.  Without the library (or with
 * VXL_DEFLATE_LEVEL set) libdeflate or zlib compresses instead. */
#ifndef ISAL_SONAME
#define ISAL_SONAME "libisal.so.2"
#endif
static struct {
    void (*init)(struct isal_zstream *);
    int (*deflate)(struct isal_zstream *);
} isal;
static pthread_once_t isal_once = PTHREAD_ONCE_INIT;

static void isal_load(void)
{
    if (getenv("VXL_DEFLATE_LEVEL"))
        return;
    void *h = dlopen(ISAL_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!h)
        return;
    void *i = dlsym(h, "isal_deflate_stateless_init");
    void *d = dlsym(h, "isal_deflate_stateless");
    if (!i || !d) {
        dlclose(h);
        return;
    }
    /* the handle stays open for the life of the process */
    isal.init = (void (*)(struct isal_zstream *))i;
    isal.deflate = (int (*)(struct isal_zstream *))d;
}

/* ISA-L compresses when it could be loaded and VXL_DEFLATE_LEVEL does not
 * ask for a libdeflate (or zlib) level. */
static int use_isal(void)
{
    pthread_once(&isal_once, isal_load);
    return isal.deflate != NULL;
}

/* ISA-L's igzip, level 1, in one stateless call: ~10x libdeflate level 6
 * on disk data, output a few per cent larger.  The raw form keeps a
 * 4 KiB window (hist_bits 12); the zlib form uses the default 32 KiB,
 * which every zlib reader accepts. */
static size_t igzip_oneshot(struct tl_comp *t, enum vd_deflate_form form,
                            const uint8_t *src, size_t n, uint8_t *out,
                            size_t cap)
{
    if (!t->isal) {
        t->isal = xmalloc(sizeof(*t->isal));
        t->isal_lvl = xmalloc(ISAL_DEF_LVL1_DEFAULT);
    }
    struct isal_zstream *z = t->isal;
    isal.init(z);
    z->level = 1;
    z->level_buf = t->isal_lvl;
    z->level_buf_size = ISAL_DEF_LVL1_DEFAULT;
    if (form == VD_DEFLATE_RAW4K) {
        z->hist_bits = 12;
        z->gzip_flag = IGZIP_DEFLATE;
    } else {
        z->gzip_flag = IGZIP_ZLIB;
    }
    z->flush = NO_FLUSH;
    z->end_of_stream = 1;
    z->next_in = (uint8_t *)src;
    z->avail_in = (uint32_t)n;
    z->next_out = out;
    z->avail_out = (uint32_t)cap;
    if (isal.deflate(z) != COMP_OK)
        return 0;
    return cap - z->avail_out;
}
#endif

/* zlib, when libdeflate is not built in (or could not be set up). */
static size_t zlib_deflate(struct tl_comp *t, enum vd_deflate_form form,
                           const uint8_t *src, size_t n, uint8_t *out,
                           size_t cap)
{
    if (form == VD_DEFLATE_ZLIB) {
        uLongf l = (uLongf)cap;
        if (compress2(out, &l, src, (uLong)n, Z_DEFAULT_COMPRESSION) != Z_OK)
            return 0;
        return l;
    }
    if (!t->z) {
        t->z = xcalloc(1, sizeof(*t->z));
        if (deflateInit2(t->z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -12, 9,
                         Z_DEFAULT_STRATEGY) != Z_OK) {
            free(t->z);
            t->z = NULL;
            return 0;
        }
    }
    deflateReset(t->z);
    t->z->next_in = (Bytef *)src;
    t->z->avail_in = (uInt)n;
    t->z->next_out = out;
    t->z->avail_out = (uInt)cap;
    if (deflate(t->z, Z_FINISH) != Z_STREAM_END)
        return 0;
    return cap - t->z->avail_out;
}

size_t vd_deflate(enum vd_deflate_form form, int ld_level, const void *src,
                  size_t n, void *out, size_t cap)
{
    struct tl_comp *t = tl_get();
#ifdef HAVE_ISAL
    if (use_isal())
        return igzip_oneshot(t, form, src, n, out, cap);
#endif
#ifdef HAVE_LIBDEFLATE
    if (ld_level < 1 || ld_level > 12)
        ld_level = 1;
    if (!t->ld[ld_level])
        t->ld[ld_level] = libdeflate_alloc_compressor(ld_level);
    struct libdeflate_compressor *c = t->ld[ld_level];
    if (c)
        return form == VD_DEFLATE_ZLIB
                   ? libdeflate_zlib_compress(c, src, n, out, cap)
                   : libdeflate_deflate_compress(c, src, n, out, cap);
#else
    (void)ld_level;
#endif
    return zlib_deflate(t, form, src, n, out, cap);
}

size_t vd_zstd(int level, const void *src, size_t n, void *out, size_t cap)
{
#ifdef HAVE_ZSTD
    struct tl_comp *t = tl_get();
    if (!t->zc)
        t->zc = ZSTD_createCCtx();
    if (!t->zc)
        return 0;
    ZSTD_CCtx_reset(t->zc, ZSTD_reset_session_only);
    ZSTD_CCtx_setParameter(t->zc, ZSTD_c_compressionLevel, level);
    size_t z = ZSTD_compress2(t->zc, out, cap, src, n);
    return ZSTD_isError(z) ? 0 : z;
#else
    (void)level, (void)src, (void)n, (void)out, (void)cap;
    return 0;
#endif
}

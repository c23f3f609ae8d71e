/* disk/qcow2-cluster.c — qcow2 table cache, guest→host mapping, reads,
 * writes (allocation and copy-on-write), zero/discard, block status and
 * cluster compression (deflate: ISA-L, libdeflate or zlib; zstd). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#ifdef HAVE_LIBDEFLATE
#include <libdeflate.h>
#endif
#ifdef HAVE_ZSTD
#include <zstd.h>
#endif

#include "common/util.h"
#include "disk/compress.h"
#include "disk/qcow2.h"

/* ---- table cache ------------------------------------------------------ */

void qc_init(struct qcache *c, int n, uint32_t cluster_size)
{
    /* buffers come on first use: opening an image for info/check/map
     * touches a table or two, not the whole cache (start-up cost) */
    (void)cluster_size;
    c->e = xcalloc((size_t)n, sizeof(*c->e));
    c->n = n;
    c->tick = 0;
    c->last = 0;
}

void qc_free(struct qcache *c)
{
    for (int i = 0; i < c->n; i++)
        free(c->e[i].buf);
    free(c->e);
    c->e = NULL;
    c->n = 0;
}

static int qc_writeback(struct qcow2 *q, struct qc_entry *e,
                        struct vdisk_err *err)
{
    if (!e->dirty)
        return 0;
    int rc = vd_pwrite_fd(q->fd, e->buf, q->cluster_size, e->off, q->name,
                          err);
    if (rc == 0)
        e->dirty = false;
    return rc;
}

int qc_flush(struct qcow2 *q, struct qcache *c, struct vdisk_err *err)
{
    for (int i = 0; i < c->n; i++) {
        int rc = qc_writeback(q, &c->e[i], err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int qcow2_flush_all(struct qcow2 *q, struct vdisk_err *err)
{
    /* refcounts first: a crash then leaks clusters instead of sharing */
    int rc = qc_flush(q, &q->rbc, err);
    if (rc == 0)
        rc = qc_flush(q, &q->l2c, err);
    return rc;
}

void qc_drop(struct qcache *c, uint64_t off)
{
    for (int i = 0; i < c->n; i++)
        if (c->e[i].off == off) {
            c->e[i].off = 0;
            c->e[i].dirty = false;
        }
}

int qc_get(struct qcow2 *q, struct qcache *c, uint64_t off, bool fresh,
           struct qc_entry **out, struct vdisk_err *err)
{
    struct qc_entry *e = &c->e[c->last];
    if (e->off != off || off == 0) {
        int victim = -1;
        e = NULL;
        for (int i = 0; i < c->n; i++) {
            if (c->e[i].off == off && off) {
                e = &c->e[i];
                c->last = i;
                break;
            }
            if (victim < 0 || c->e[i].lru < c->e[victim].lru)
                victim = i;
        }
        if (!e) {
            e = &c->e[victim];
            if (e->dirty) {
                /* keep refcount-before-L2 ordering on eviction too */
                if (c == &q->l2c) {
                    int rc = qc_flush(q, &q->rbc, err);
                    if (rc < 0)
                        return rc;
                }
                int rc = qc_writeback(q, e, err);
                if (rc < 0)
                    return rc;
            }
            e->off = 0;
            if (!e->buf)
                e->buf = xmalloc(q->cluster_size);
            if (fresh) {
                memset(e->buf, 0, q->cluster_size);
            } else {
                int rc = vd_pread_exact(q->fd, e->buf, q->cluster_size, off,
                                        q->name, err);
                if (rc < 0)
                    return rc;
            }
            e->off = off;
            c->last = victim;
        } else if (fresh) {
            memset(e->buf, 0, q->cluster_size);
        }
    } else if (fresh) {
        memset(e->buf, 0, q->cluster_size);
    }
    e->lru = ++c->tick;
    *out = e;
    return 0;
}

/* ---- mapping ----------------------------------------------------------- */

/* QT_UNALLOC_ALLOC: extended L2, an unallocated subcluster of a cluster
 * that has a host offset (qemu's QCOW2_SUBCLUSTER_UNALLOCATED_ALLOC):
 * reads through to the backing file, but `map` shows the offset. */
enum { QT_UNALLOC, QT_ZERO_PLAIN, QT_ZERO_ALLOC, QT_NORMAL, QT_COMPRESSED,
       QT_UNALLOC_ALLOC };

struct qmap {
    int type;
    uint64_t host;      /* NORMAL / ZERO_ALLOC / UNALLOC_ALLOC: host
                           offset of `off` */
    uint64_t len;
    uint64_t l2e;       /* COMPRESSED: the entry */
};

static inline uint64_t l2_entry(const struct qcow2 *q, const uint8_t *t,
                                uint64_t i)
{
    return be64(t + i * q->l2_entry_size);
}

static inline uint64_t l2_bitmap(const struct qcow2 *q, const uint8_t *t,
                                 uint64_t i)
{
    return q->extl2 ? be64(t + i * 16 + 8) : 0;
}

static inline void l2_set(const struct qcow2 *q, uint8_t *t, uint64_t i,
                          uint64_t e, uint64_t bitmap)
{
    put_be64(t + i * q->l2_entry_size, e);
    if (q->extl2)
        put_be64(t + i * 16 + 8, bitmap);
}

static int classify(const struct qcow2 *q, uint64_t e, uint64_t bm,
                    unsigned sc)
{
    if (e & QCOW_OFLAG_COMPRESSED)
        return QT_COMPRESSED;
    uint64_t off = e & L2E_OFFSET_MASK;
    bool has_host = off || ((q->incompat & QCOW2_INCOMPAT_DATA_FILE) &&
                            (e & QCOW_OFLAG_COPIED));
    if (q->extl2) {
        if (bm >> 32 >> sc & 1)
            return has_host ? QT_ZERO_ALLOC : QT_ZERO_PLAIN;
        if (bm >> sc & 1)
            return has_host ? QT_NORMAL : QT_ZERO_PLAIN;
        return has_host ? QT_UNALLOC_ALLOC : QT_UNALLOC;
    }
    if (e & QCOW_OFLAG_ZERO)
        return has_host ? QT_ZERO_ALLOC : QT_ZERO_PLAIN;
    return has_host ? QT_NORMAL : QT_UNALLOC;
}

static int qcow2_map(struct qcow2 *q, uint64_t off, uint64_t len,
                     struct qmap *m, struct vdisk_err *err)
{
    uint64_t cs = q->cluster_size;
    uint64_t end = off + len, pos = off;
    uint64_t gran = 1ull << q->sc_bits;
    bool first = true;
    uint64_t l2_span = cs << q->l2_bits;
    while (pos < end) {
        uint64_t l1i = pos / l2_span;
        uint64_t l2off = l1i < q->l1_size ? q->l1[l1i] & L1E_OFFSET_MASK : 0;
        uint64_t tab_end = (l1i + 1) * l2_span;
        if (!l2off) {
            if (first) {
                m->type = QT_UNALLOC;
                first = false;
            } else if (m->type != QT_UNALLOC) {
                break;
            }
            pos = tab_end;
            continue;
        }
        if (l2off % cs)
            return vdisk_err_set(err, EIO, "'%s': L2 table offset %#llx is "
                                 "not cluster aligned (L1 index %llu)",
                                 q->name, (unsigned long long)l2off,
                                 (unsigned long long)l1i);
        struct qc_entry *ce;
        int rc = qc_get(q, &q->l2c, l2off, false, &ce, err);
        if (rc < 0)
            return rc;
        const uint8_t *t = ce->buf;
        while (pos < end && pos < tab_end) {
            uint64_t l2i = (pos / cs) & ((1ull << q->l2_bits) - 1);
            uint64_t e = l2_entry(q, t, l2i), bm = l2_bitmap(q, t, l2i);
            unsigned sc = (unsigned)((pos & (cs - 1)) >> q->sc_bits);
            int type = classify(q, e, bm, sc);
            uint64_t host = (e & L2E_OFFSET_MASK) + (pos & (cs - 1));
            uint64_t step = gran - (pos & (gran - 1));
            bool hosted = type == QT_NORMAL || type == QT_ZERO_ALLOC ||
                          type == QT_UNALLOC_ALLOC;
            if (hosted) {
                if ((e & L2E_OFFSET_MASK) % cs)
                    return vdisk_err_set(err, EIO, "'%s': data cluster "
                                         "offset %#llx is not cluster "
                                         "aligned", q->name,
                                         (unsigned long long)(e &
                                                              L2E_OFFSET_MASK));
            }
            if (first) {
                m->type = type;
                m->host = host;
                m->l2e = e;
                first = false;
            } else if (type != m->type || type == QT_COMPRESSED ||
                       (hosted && host != m->host + (pos - off))) {
                goto done;
            }
            if (type == QT_COMPRESSED)
                step = cs - (pos & (cs - 1));
            pos += step;
            /* plain (not extended) entries: run along the ones that
             * continue this run without classifying each: the same flags
             * and, for a cluster with a host offset, the next cluster's
             * (no carry out of the offset field: the flags would change);
             * without one, the same value */
            if (!q->extl2 && type != QT_COMPRESSED) {
                uint64_t lim = end < tab_end ? end : tab_end;
                uint64_t inc = hosted ? cs : 0, prev = e;
                while (pos < lim) {
                    uint64_t n = l2_entry(q, t, (pos / cs) &
                                                    ((1ull << q->l2_bits) - 1));
                    if (n != prev + inc || ((n ^ prev) & ~L2E_OFFSET_MASK))
                        break;
                    prev = n;
                    pos += cs;
                }
            }
        }
    }
done:
    m->len = (pos < end ? pos : end) - off;
    return 0;
}

/* ---- compression codecs -------------------------------------------------- */

void qcow2_compressed_range(const struct qcow2 *q, uint64_t l2e,
                            uint64_t *start, uint64_t *end)
{
    uint64_t coff = l2e & q->cluster_offset_mask;
    uint64_t nsec = ((l2e >> q->csize_shift) & q->csize_mask) + 1;
    *start = coff;
    *end = (coff & ~511ull) + nsec * 512;
}

void qcow2_free_codecs(struct qcow2 *q)
{
    free(q->dc_buf);
    free(q->cbuf);
    q->dc_buf = q->cbuf = NULL;
    if (q->zlib) {
        inflateEnd(q->zlib);
        free(q->zlib);
        q->zlib = NULL;
    }
#ifdef HAVE_LIBDEFLATE
    if (q->deflate_dec)
        libdeflate_free_decompressor(q->deflate_dec);
    q->deflate_dec = NULL;
#endif
#ifdef HAVE_ZSTD
    if (q->zstd_dctx)
        ZSTD_freeDCtx(q->zstd_dctx);
    q->zstd_dctx = NULL;
#endif
}

static int inflate_zlib(struct qcow2 *q, const uint8_t *in, size_t inlen,
                        uint8_t *out, size_t outlen)
{
    if (!q->zlib) {
        z_stream *z = xcalloc(1, sizeof(*z));
        if (inflateInit2(z, -12) != Z_OK) {
            free(z);
            return -1;
        }
        q->zlib = z;
    }
    z_stream *z = q->zlib;
    if (inflateReset2(z, -12) != Z_OK)
        return -1;
    z->next_in = (Bytef *)in;
    z->avail_in = (uInt)inlen;
    z->next_out = out;
    z->avail_out = (uInt)outlen;
    int r = inflate(z, Z_FINISH);
    if ((r == Z_STREAM_END || r == Z_BUF_ERROR) && z->avail_out == 0)
        return 0;
    return -1;
}

static int decompress(struct qcow2 *q, const uint8_t *in, size_t inlen,
                      uint8_t *out, size_t outlen)
{
    if (q->compression_type == 0) {
#ifdef HAVE_LIBDEFLATE
        if (!q->deflate_dec)
            q->deflate_dec = libdeflate_alloc_decompressor();
        size_t used;
        if (q->deflate_dec &&
            libdeflate_deflate_decompress_ex(q->deflate_dec, in, inlen, out,
                                             outlen, &used, NULL) ==
                LIBDEFLATE_SUCCESS)
            return 0;
#endif
        return inflate_zlib(q, in, inlen, out, outlen);
    }
#ifdef HAVE_ZSTD
    if (!q->zstd_dctx)
        q->zstd_dctx = ZSTD_createDCtx();
    if (!q->zstd_dctx)
        return -1;
    ZSTD_DCtx_reset(q->zstd_dctx, ZSTD_reset_session_only);
    ZSTD_inBuffer ib = { in, inlen, 0 };
    ZSTD_outBuffer ob = { out, outlen, 0 };
    while (ob.pos < ob.size) {
        size_t r = ZSTD_decompressStream(q->zstd_dctx, &ob, &ib);
        if (ZSTD_isError(r))
            return -1;
        if (ib.pos == ib.size && ob.pos < ob.size &&
            r != 0 /* frame unfinished and no more input */)
            return -1;
        if (ib.pos == ib.size && ob.pos < ob.size)
            return -1;
    }
    return 0;
#else
    return -1;
#endif
}

int qcow2_decompress_cluster(struct qcow2 *q, uint64_t l2e, uint8_t *out,
                             struct vdisk_err *err)
{
    uint64_t start, end;
    qcow2_compressed_range(q, l2e, &start, &end);
    if (q->incompat & QCOW2_INCOMPAT_DATA_FILE)
        return vdisk_err_set(err, EIO, "'%s': compressed cluster in an image "
                             "with an external data file", q->name);
    size_t len = (size_t)(end - start);
    if (!q->cbuf)
        q->cbuf = xmalloc(2 * (size_t)q->cluster_size + 512);
    int rc = vd_pread_fd(q->fd, q->cbuf, len, start, q->name, err);
    if (rc < 0)
        return rc;
    if (decompress(q, q->cbuf, len, out, q->cluster_size) < 0)
        return vdisk_err_set(err, EIO, "'%s': could not decompress cluster at "
                             "host offset %#llx", q->name,
                             (unsigned long long)start);
    return 0;
}

static int deflate_level(void)
{
    static int level = -1;
    if (level < 0) {
        const char *s = getenv("VXL_DEFLATE_LEVEL");
        int l = s ? atoi(s) : 1;
        level = (l >= 1 && l <= 12) ? l : 1;
    }
    return level;
}

int qcow2_compress(const struct vdisk *d, const void *in, size_t n,
                   void *out, size_t out_cap, size_t *out_len,
                   struct vdisk_err *err)
{
    const struct qcow2 *q = Q(d);
    size_t cs = q->cluster_size;
    const uint8_t *src = in;
    uint8_t *tmp = NULL;
    if (n < cs) {                   /* the short last cluster: pad */
        tmp = xcalloc(1, cs);
        memcpy(tmp, in, n);
        src = tmp;
    }
    size_t limit = cs - 1;          /* must shrink, as QEMU requires */
    if (limit > out_cap)
        limit = out_cap;
    (void)err;
    size_t r;
    if (q->compression_type == 0)
        r = vd_deflate(VD_DEFLATE_RAW4K, deflate_level(), src, cs, out, limit);
    else
        r = vd_zstd(3, src, cs, out, limit);
    free(tmp);
    *out_len = r;
    return 0;
}

/* ---- reads ---------------------------------------------------------------- */

int qcow2_pread(struct vdisk *d, void *buf, size_t n, uint64_t off,
                struct vdisk_err *err)
{
    struct qcow2 *q = Q(d);
    uint8_t *p = buf;
    while (n > 0) {
        struct qmap m;
        int rc = qcow2_map(q, off, n, &m, err);
        if (rc < 0)
            return rc;
        size_t len = (size_t)m.len;
        switch (m.type) {
        case QT_UNALLOC:
        case QT_UNALLOC_ALLOC:
            rc = vd_read_backing(d, p, len, off, err);
            break;
        case QT_ZERO_PLAIN:
        case QT_ZERO_ALLOC:
            memset(p, 0, len);
            break;
        case QT_NORMAL:
            rc = vd_pread_fd(q->data_fd, p, len, m.host, q->name, err);
            break;
        case QT_COMPRESSED:
            if (len == q->cluster_size && q->dc_l2e != m.l2e) {
                /* a whole cluster: straight into the caller's buffer */
                rc = qcow2_decompress_cluster(q, m.l2e, p, err);
                break;
            }
            if (!q->dc_buf || q->dc_l2e != m.l2e) {
                if (!q->dc_buf)
                    q->dc_buf = xmalloc(q->cluster_size);
                q->dc_l2e = 0;
                rc = qcow2_decompress_cluster(q, m.l2e, q->dc_buf, err);
                if (rc == 0)
                    q->dc_l2e = m.l2e;
            }
            if (rc == 0)
                memcpy(p, q->dc_buf + (off & (q->cluster_size - 1)), len);
            break;
        }
        if (rc < 0)
            return rc;
        p += len;
        off += len;
        n -= len;
    }
    return 0;
}

/* ---- block status ---------------------------------------------------------- */

/* qemu's qcow2_detect_metadata_preallocation(): the image counts as
 * metadata-preallocated when the clusters with a nonzero refcount reach
 * max(allocated * 10 / 9, allocated + 2), allocated being the clusters'
 * worth of blocks the image file occupies. */
static int detect_meta_prealloc(struct qcow2 *q, bool *out,
                                struct vdisk_err *err)
{
    struct stat st;
    if (fstat(q->fd, &st) < 0)
        return vdisk_err_set(err, errno, "'%s': %s", q->name,
                             strerror(errno));
    int64_t real = (int64_t)st.st_blocks * 512 / q->cluster_size;
    int64_t threshold = real * 10 / 9 > real + 2 ? real * 10 / 9 : real + 2;
    uint64_t end = ((uint64_t)st.st_size + q->cluster_size - 1) >>
                   q->cluster_bits;
    int64_t count = 0;
    for (uint64_t i = 0; i < end && count < threshold; i++) {
        uint64_t rc;
        int r = qcow2_get_refcount(q, i, &rc, err);
        if (r < 0)
            return r;
        count += rc != 0;
    }
    *out = count >= threshold;
    return 0;
}

/* For a DATA run at host offset `host` of *len bytes: is it a hole in
 * the data file (then it reads as zeros)?  Clips *len to the file's
 * data/hole extent as qemu's file driver does. */
static bool host_is_hole(struct qcow2 *q, uint64_t host, uint64_t *len)
{
    off_t data = lseek(q->data_fd, (off_t)host, SEEK_DATA);
    if (data < 0)
        return errno == ENXIO;      /* hole to EOF, or past EOF */
    if ((uint64_t)data > host) {
        if ((uint64_t)data - host < *len)
            *len = (uint64_t)data - host;
        return true;
    }
    off_t hole = lseek(q->data_fd, (off_t)host, SEEK_HOLE);
    if (hole > (off_t)host && (uint64_t)hole - host < *len)
        *len = (uint64_t)hole - host;
    return false;
}

int qcow2_block_status(struct vdisk *d, uint64_t off, uint64_t len,
                       struct vdisk_extent *ext, struct vdisk_err *err)
{
    struct qcow2 *q = Q(d);
    struct qmap m;
    int rc = qcow2_map(q, off, len, &m, err);
    if (rc < 0)
        return rc;
    /* merge following compressed clusters into one DATA run */
    if (m.type == QT_COMPRESSED) {
        while (off + m.len < off + len) {
            struct qmap m2;
            rc = qcow2_map(q, off + m.len, len - m.len, &m2, err);
            if (rc < 0)
                return rc;
            if (m2.type != QT_COMPRESSED)
                break;
            m.len += m2.len;
        }
    }
    ext->off = off;
    ext->len = m.len;
    ext->host_offset = 0;
    switch (m.type) {
    case QT_UNALLOC:
        ext->flags = 0;
        break;
    case QT_UNALLOC_ALLOC:
        ext->flags = VDISK_EXT_OFFSET;
        ext->host_offset = m.host;
        break;
    case QT_ZERO_PLAIN:
        ext->flags = VDISK_EXT_ALLOCATED | VDISK_EXT_ZERO;
        break;
    case QT_ZERO_ALLOC:
        ext->flags = VDISK_EXT_ALLOCATED | VDISK_EXT_ZERO | VDISK_EXT_OFFSET;
        ext->host_offset = m.host;
        break;
    case QT_NORMAL:
        ext->flags = VDISK_EXT_ALLOCATED | VDISK_EXT_DATA | VDISK_EXT_OFFSET;
        ext->host_offset = m.host;
        if (!q->prealloc_checked) {
            rc = detect_meta_prealloc(q, &q->meta_prealloc, err);
            if (rc < 0)
                return rc;
            q->prealloc_checked = true;
        }
        if (q->meta_prealloc && host_is_hole(q, m.host, &ext->len))
            ext->flags |= VDISK_EXT_ZERO;
        break;
    case QT_COMPRESSED:
        ext->flags = VDISK_EXT_ALLOCATED | VDISK_EXT_DATA |
                     VDISK_EXT_COMPRESSED;
        break;
    }
    return 0;
}

/* ---- L1 / L2 ownership for writes ----------------------------------------- */

int qcow2_grow_l1(struct qcow2 *q, uint32_t min_size, struct vdisk_err *err)
{
    uint64_t cs = q->cluster_size;
    uint64_t bytes = ((uint64_t)min_size * 8 + cs - 1) / cs * cs;
    uint64_t nclusters = bytes / cs;
    if (nclusters > qcow2_max_alloc(q))
        return vdisk_err_set(err, EFBIG, "'%s': L1 table of %u entries is "
                             "too large to allocate at once", q->name,
                             min_size);
    uint64_t newoff;
    int rc = qcow2_alloc_clusters(q, nclusters, &newoff, err);
    if (rc < 0)
        return rc;
    uint8_t *t = xcalloc(1, bytes);
    for (uint32_t i = 0; i < q->l1_size; i++)
        put_be64(t + i * 8, q->l1[i]);
    rc = qcow2_flush_all(q, err);
    if (rc == 0)
        rc = vd_pwrite_fd(q->fd, t, (size_t)min_size * 8, newoff, q->name,
                          err);     /* the table only, as qemu */
    free(t);
    if (rc < 0)
        return rc;
    uint64_t oldoff = q->l1_offset;
    uint32_t oldsize = q->l1_size;
    q->l1 = xreallocarray(q->l1, min_size, 8);
    memset(q->l1 + oldsize, 0, (size_t)(min_size - oldsize) * 8);
    q->l1_alloc = min_size;
    q->l1_size = min_size;
    q->l1_offset = newoff;
    uint8_t b[12];
    put_be32(b, min_size);
    put_be64(b + 4, newoff);
    rc = vd_pwrite_fd(q->fd, b, 12, 36, q->name, err);
    if (rc == 0 && fdatasync(q->fd) < 0)
        rc = vdisk_err_set(err, errno, "'%s': %s", q->name, strerror(errno));
    if (rc == 0 && oldsize)
        rc = qcow2_free_range(q, oldoff, ((uint64_t)oldsize * 8 + cs - 1) /
                              cs * cs, false, err);
    return rc;
}

/* Make L2 table l1i present and owned (refcount 1); return its entry. */
int qcow2_l2_for_write(struct qcow2 *q, uint64_t l1i, struct qc_entry **out,
                       struct vdisk_err *err)
{
    uint64_t l1e = q->l1[l1i];
    uint64_t old = l1e & L1E_OFFSET_MASK;
    if (old && (l1e & QCOW_OFLAG_COPIED))
        return qc_get(q, &q->l2c, old, false, out, err);
    uint64_t cs = q->cluster_size, noff;
    uint8_t *copy = NULL;
    int rc;
    if (old) {
        struct qc_entry *oe;
        rc = qc_get(q, &q->l2c, old, false, &oe, err);
        if (rc < 0)
            return rc;
        copy = xmalloc(cs);
        memcpy(copy, oe->buf, cs);
    }
    rc = qcow2_alloc_clusters(q, 1, &noff, err);
    if (rc == 0) {
        struct qc_entry *ne;
        rc = qc_get(q, &q->l2c, noff, true, &ne, err);
        if (rc == 0) {
            if (copy)
                memcpy(ne->buf, copy, cs);
            /* the table must be on disk before the L1 points at it */
            rc = qcow2_flush_all(q, err);
            if (rc == 0)
                rc = vd_pwrite_fd(q->fd, ne->buf, cs, noff, q->name, err);
        }
    }
    free(copy);
    if (rc < 0)
        return rc;
    q->l1[l1i] = noff | QCOW_OFLAG_COPIED;
    rc = qcow2_write_l1_entry(q, (uint32_t)l1i, err);
    if (rc == 0 && old)
        rc = qcow2_update_refcount(q, old / cs, -1, err);
    if (rc < 0)
        return rc;
    return qc_get(q, &q->l2c, noff, false, out, err);
}

/* ---- writes ----------------------------------------------------------------- */

static inline bool in_place(const struct qcow2 *q, uint64_t e, uint64_t bm)
{
    /* (with a data file, host offset 0 is guest cluster 0) */
    if ((e & QCOW_OFLAG_COMPRESSED) || !(e & QCOW_OFLAG_COPIED) ||
        (!(e & L2E_OFFSET_MASK) && !qcow2_has_df(q)))
        return false;
    if (q->extl2)
        return (uint32_t)bm == 0xffffffffu;
    return !(e & QCOW_OFLAG_ZERO);
}

static uint64_t full_bitmap(const struct qcow2 *q)
{
    return q->extl2 ? 0xffffffffull : 0;
}

/* Write one guest cluster (partially covered) into a fresh host cluster
 * or, for an owned cluster with unallocated subclusters, into itself. */
static int cow_cluster(struct vdisk *d, const uint8_t *data, size_t n,
                       uint64_t off, struct vdisk_err *err)
{
    struct qcow2 *q = Q(d);
    uint64_t cs = q->cluster_size;
    uint64_t cstart = off & ~(cs - 1);
    uint64_t clen = q->size - cstart < cs ? q->size - cstart : cs;
    uint8_t *buf = xcalloc(1, cs);
    int rc = qcow2_pread(d, buf, (size_t)clen, cstart, err);
    if (rc < 0)
        goto out;
    memcpy(buf + (off - cstart), data, n);
    uint64_t l1i = cstart / (cs << q->l2_bits);
    uint64_t l2i = (cstart / cs) & ((1ull << q->l2_bits) - 1);
    struct qc_entry *t;
    rc = qcow2_l2_for_write(q, l1i, &t, err);
    if (rc < 0)
        goto out;
    uint64_t e = l2_entry(q, t->buf, l2i);
    uint64_t host;
    bool reuse = (e & QCOW_OFLAG_COPIED) &&
                 ((e & L2E_OFFSET_MASK) || qcow2_has_df(q)) &&
                 !(e & QCOW_OFLAG_COMPRESSED);
    if (reuse) {
        host = e & L2E_OFFSET_MASK;
    } else if (qcow2_has_df(q)) {
        host = cstart;          /* the guest offset in the data file */
    } else {
        rc = qcow2_alloc_clusters(q, 1, &host, err);
        if (rc < 0)
            goto out;
    }
    rc = vd_pwrite_data(q->d, q->data_fd, buf, cs, host, q->name, err);
    if (rc < 0)
        goto out;
    rc = qc_get(q, &q->l2c, q->l1[l1i] & L1E_OFFSET_MASK, false, &t, err);
    if (rc < 0)
        goto out;
    l2_set(q, t->buf, l2i, host | QCOW_OFLAG_COPIED, full_bitmap(q));
    t->dirty = true;
    if (!reuse)
        rc = qcow2_free_l2_entry(q, e, err);
    if (q->dc_l2e == e)
        q->dc_l2e = 0;
out:
    free(buf);
    return rc;
}

int qcow2_pwrite(struct vdisk *d, const void *buf, size_t n, uint64_t off,
                 struct vdisk_err *err)
{
    struct qcow2 *q = Q(d);
    uint64_t cs = q->cluster_size;
    uint64_t l2n = 1ull << q->l2_bits;
    const uint8_t *p = buf;
    while (n > 0) {
        uint64_t co = off & (cs - 1);
        uint64_t l1i = off / (cs << q->l2_bits);
        uint64_t l2i = (off / cs) & (l2n - 1);
        struct qc_entry *t;
        int rc = qcow2_l2_for_write(q, l1i, &t, err);
        if (rc < 0)
            return rc;
        uint64_t e = l2_entry(q, t->buf, l2i);
        uint64_t bm = l2_bitmap(q, t->buf, l2i);
        if (in_place(q, e, bm)) {
            /* coalesce owned clusters with contiguous host offsets */
            uint64_t host = (e & L2E_OFFSET_MASK) + co;
            uint64_t len = cs - co;
            uint64_t i = l2i + 1;
            while (len < n && i < l2n) {
                uint64_t e2 = l2_entry(q, t->buf, i);
                if (!in_place(q, e2, l2_bitmap(q, t->buf, i)) ||
                    (e2 & L2E_OFFSET_MASK) != (e & L2E_OFFSET_MASK) +
                                                  (i - l2i) * cs)
                    break;
                len += cs;
                i++;
            }
            if (len > n)
                len = n;
            rc = vd_pwrite_data(q->d, q->data_fd, p, (size_t)len, host, q->name,
                              err);
            if (rc < 0)
                return rc;
            p += len;
            off += len;
            n -= len;
            continue;
        }
        bool whole = co == 0 && (n >= cs || off + n == q->size);
        if (!whole) {
            size_t len = cs - co < n ? (size_t)(cs - co) : n;
            rc = cow_cluster(d, p, len, off, err);
            if (rc < 0)
                return rc;
            p += len;
            off += len;
            n -= len;
            continue;
        }
        /* a run of whole clusters that all need a new host cluster */
        uint64_t cnt = 1, maxc = qcow2_max_alloc(q);
        while (cnt < maxc && l2i + cnt < l2n && (cnt + 1) * cs <= n &&
               !in_place(q, l2_entry(q, t->buf, l2i + cnt),
                         l2_bitmap(q, t->buf, l2i + cnt)))
            cnt++;
        uint64_t host = off;    /* data file: at the guest offset */
        if (!qcow2_has_df(q))
            rc = qcow2_alloc_clusters(q, cnt, &host, err);
        if (rc < 0)
            return rc;
        size_t len = cnt * cs < n ? (size_t)(cnt * cs) : n;
        rc = vd_pwrite_data(q->d, q->data_fd, p, len, host, q->name, err);
        if (rc < 0)
            return rc;
        rc = qc_get(q, &q->l2c, q->l1[l1i] & L1E_OFFSET_MASK, false, &t,
                    err);
        if (rc < 0)
            return rc;
        uint64_t olds[64];
        uint64_t nold = 0;
        for (uint64_t j = 0; j < cnt; j++) {
            uint64_t old = l2_entry(q, t->buf, l2i + j);
            l2_set(q, t->buf, l2i + j, (host + j * cs) | QCOW_OFLAG_COPIED,
                   full_bitmap(q));
            if (old & (L2E_OFFSET_MASK | QCOW_OFLAG_COMPRESSED)) {
                if (nold == ARRAY_SIZE(olds)) {
                    t->dirty = true;
                    for (uint64_t k = 0; k < nold; k++)
                        if ((rc = qcow2_free_l2_entry(q, olds[k], err)) < 0)
                            return rc;
                    nold = 0;
                    rc = qc_get(q, &q->l2c, q->l1[l1i] & L1E_OFFSET_MASK,
                                false, &t, err);
                    if (rc < 0)
                        return rc;
                }
                olds[nold++] = old;
            }
        }
        t->dirty = true;
        for (uint64_t k = 0; k < nold; k++) {
            if (q->dc_l2e == olds[k])
                q->dc_l2e = 0;
            if ((rc = qcow2_free_l2_entry(q, olds[k], err)) < 0)
                return rc;
        }
        p += len;
        off += len;
        n -= len;
    }
    return 0;
}

/* vdisk_reserve_data: a run of whole clusters that hold nothing in this
 * image (unallocated, or zero without a host cluster) gets fresh host
 * clusters and its L2 entries point at them at once; the caller writes
 * the data later, from any thread.  Images with a data file are left to
 * pwrite (their guest data sits at guest offsets in another file). */
int qcow2_reserve(struct vdisk *d, uint64_t off, uint64_t len,
                  uint64_t *host, uint64_t *got, struct vdisk_err *err)
{
    struct qcow2 *q = Q(d);
    uint64_t cs = q->cluster_size, l2n = 1ull << q->l2_bits;
    if (qcow2_has_df(q))
        return vdisk_err_set(err, ENOTSUP, "'%s': data file", q->name);
    uint64_t l1i = off / (cs << q->l2_bits);
    uint64_t l2i = (off / cs) & (l2n - 1);
    struct qc_entry *t;
    int rc = qcow2_l2_for_write(q, l1i, &t, err);
    if (rc < 0)
        return rc;
    uint64_t want = (len + cs - 1) / cs, maxc = qcow2_max_alloc(q), cnt = 0;
    while (cnt < want && cnt < maxc && l2i + cnt < l2n &&
           !(l2_entry(q, t->buf, l2i + cnt) &
             (L2E_OFFSET_MASK | QCOW_OFLAG_COMPRESSED)))
        cnt++;
    if (cnt == 0)
        return vdisk_err_set(err, ENOTSUP, "'%s': cluster at %llu is "
                             "allocated", q->name, (unsigned long long)off);
    uint64_t h;
    if ((rc = qcow2_alloc_clusters(q, cnt, &h, err)) < 0)
        return rc;
    /* the allocation may have evicted the table */
    if ((rc = qc_get(q, &q->l2c, q->l1[l1i] & L1E_OFFSET_MASK, false, &t,
                     err)) < 0)
        return rc;
    for (uint64_t k = 0; k < cnt; k++)
        l2_set(q, t->buf, l2i + k, (h + k * cs) | QCOW_OFLAG_COPIED,
               full_bitmap(q));
    t->dirty = true;
    *host = h;
    *got = cnt * cs < len ? cnt * cs : len;
    return 0;
}

/* ---- zeroes, discard ------------------------------------------------------- */

enum { ZM_ZERO_UNMAP, ZM_ZERO_KEEP, ZM_DEALLOC };

/* Apply `mode` to whole clusters [off, off+len). */
static int zero_clusters(struct vdisk *d, uint64_t off, uint64_t len,
                         int mode, struct vdisk_err *err)
{
    struct qcow2 *q = Q(d);
    uint64_t cs = q->cluster_size, l2n = 1ull << q->l2_bits;
    while (len > 0) {
        uint64_t l1i = off / (cs << q->l2_bits);
        uint64_t l2i = (off / cs) & (l2n - 1);
        uint64_t cnt = (l2n - l2i) * cs < len ? l2n - l2i : (len + cs - 1) / cs;
        if (!(q->l1[l1i] & L1E_OFFSET_MASK) &&
            (mode == ZM_DEALLOC || !d->backing_name)) {
            /* nothing allocated here and it already reads as zero /
             * unallocated */
            uint64_t adv = cnt * cs < len ? cnt * cs : len;
            off += adv;
            len -= adv;
            continue;
        }
        struct qc_entry *t;
        int rc = qcow2_l2_for_write(q, l1i, &t, err);
        if (rc < 0)
            return rc;
        for (uint64_t j = 0; j < cnt; j++) {
            rc = qc_get(q, &q->l2c, q->l1[l1i] & L1E_OFFSET_MASK, false, &t,
                        err);
            if (rc < 0)
                return rc;
            uint64_t e = l2_entry(q, t->buf, l2i + j);
            uint64_t bm = l2_bitmap(q, t->buf, l2i + j);
            uint64_t ne, nbm = 0;
            bool free_old = true;
            if (mode == ZM_DEALLOC) {
                ne = 0;
            } else if (mode == ZM_ZERO_KEEP && in_place(q, e, bm)) {
                ne = e;
                free_old = false;
                if (q->extl2)
                    nbm = 0xffffffff00000000ull;
                else
                    ne |= QCOW_OFLAG_ZERO;
            } else if (q->extl2) {
                ne = 0;
                nbm = 0xffffffff00000000ull;
            } else {
                ne = QCOW_OFLAG_ZERO;
            }
            if (!d->backing_name && mode != ZM_ZERO_KEEP &&
                (classify(q, e, bm, 0) == QT_UNALLOC ||
                 classify(q, e, bm, 0) == QT_UNALLOC_ALLOC) &&
                (!q->extl2 || !bm))
                continue;       /* already reads as zero */
            l2_set(q, t->buf, l2i + j, ne, nbm);
            t->dirty = true;
            if (free_old && (e & (L2E_OFFSET_MASK | QCOW_OFLAG_COMPRESSED))) {
                if (q->dc_l2e == e)
                    q->dc_l2e = 0;
                rc = qcow2_free_l2_entry(q, e, err);
                if (rc < 0)
                    return rc;
            }
        }
        uint64_t adv = cnt * cs < len ? cnt * cs : len;
        off += adv;
        len -= adv;
    }
    return 0;
}

/* data_file_raw: the data file must stay a faithful raw image, so zeroing
 * maps the clusters (1:1) and zeroes the data file's bytes. */
static int df_raw_zero(struct vdisk *d, uint64_t off, uint64_t len,
                       struct vdisk_err *err)
{
    struct qcow2 *q = Q(d);
    int rc = qcow2_preallocate(d, off, off + len, VDISK_PREALLOC_METADATA,
                               err);
    if (rc < 0)
        return rc;
    if (fallocate(q->data_fd, FALLOC_FL_ZERO_RANGE, (off_t)off,
                  (off_t)len) == 0)
        return 0;
    uint8_t *z = xcalloc(1, 1u << 20);
    while (len && rc == 0) {
        size_t n = len < (1u << 20) ? (size_t)len : 1u << 20;
        rc = vd_pwrite_fd(q->data_fd, z, n, off, q->name, err);
        off += n;
        len -= n;
    }
    free(z);
    return rc;
}

int qcow2_pwrite_zeroes(struct vdisk *d, uint64_t off, uint64_t len,
                        unsigned flags, struct vdisk_err *err)
{
    struct qcow2 *q = Q(d);
    if (qcow2_df_raw(q))
        return df_raw_zero(d, off, len, err);
    if (q->version < 3)
        return -ENOTSUP;
    uint64_t cs = q->cluster_size;
    uint64_t head = (cs - (off & (cs - 1))) & (cs - 1);
    int rc;
    if (head > len)
        head = len;
    if (head && off + len != q->size) {
        uint8_t *z = xcalloc(1, (size_t)head);
        rc = qcow2_pwrite(d, z, (size_t)head, off, err);
        free(z);
        if (rc < 0)
            return rc;
        off += head;
        len -= head;
    } else if (head) {
        head = 0;       /* partial last cluster: treat as whole below */
        uint64_t cstart = off & ~(cs - 1);
        if (off != cstart) {
            uint64_t n = cstart + cs - off < len ? cstart + cs - off : len;
            uint8_t *z = xcalloc(1, (size_t)n);
            rc = qcow2_pwrite(d, z, (size_t)n, off, err);
            free(z);
            return rc;
        }
    }
    uint64_t whole = len / cs * cs;
    if (off + len == q->size)
        whole = len;            /* the short last cluster counts as whole */
    if (whole) {
        rc = zero_clusters(d, off, whole, (flags & VDISK_ZERO_MAY_UNMAP)
                                              ? ZM_ZERO_UNMAP : ZM_ZERO_KEEP,
                           err);
        if (rc < 0)
            return rc;
        off += whole;
        len -= whole;
    }
    if (len) {
        uint8_t *z = xcalloc(1, (size_t)len);
        rc = qcow2_pwrite(d, z, (size_t)len, off, err);
        free(z);
        return rc;
    }
    return 0;
}

int qcow2_discard(struct vdisk *d, uint64_t off, uint64_t len,
                  struct vdisk_err *err)
{
    struct qcow2 *q = Q(d);
    uint64_t cs = q->cluster_size;
    uint64_t start = (off + cs - 1) & ~(cs - 1);
    uint64_t end = off + len == q->size ? off + len : (off + len) & ~(cs - 1);
    if (end <= start)
        return 0;
    if (qcow2_df_raw(q))
        return df_raw_zero(d, start, end - start, err);
    return zero_clusters(d, start, end - start,
                         q->version >= 3 ? ZM_ZERO_UNMAP : ZM_DEALLOC, err);
}

int qcow2_make_empty(struct vdisk *d, struct vdisk_err *err)
{
    struct qcow2 *q = Q(d);
    if (qcow2_df_raw(q))
        return vdisk_err_set(err, ENOTSUP, "'%s': cannot empty an image "
                             "whose data file is raw", q->name);
    int rc = zero_clusters(d, 0, q->size, ZM_DEALLOC, err);
    if (rc == 0)
        rc = qcow2_flush_all(q, err);
    return rc;
}

/* ---- compressed writes ------------------------------------------------------- */

int qcow2_write_compressed(struct vdisk *d, uint64_t off, const void *cdata,
                           size_t clen, struct vdisk_err *err)
{
    struct qcow2 *q = Q(d);
    uint64_t cs = q->cluster_size;
    if (q->incompat & QCOW2_INCOMPAT_DATA_FILE)
        return vdisk_err_set(err, ENOTSUP, "'%s': compression is not "
                             "supported with an external data file", q->name);
    uint64_t l1i = off / (cs << q->l2_bits);
    uint64_t l2i = (off / cs) & ((1ull << q->l2_bits) - 1);
    struct qc_entry *t;
    int rc = qcow2_l2_for_write(q, l1i, &t, err);
    if (rc < 0)
        return rc;
    uint64_t old = l2_entry(q, t->buf, l2i);
    /* Pack into the current compressed cluster when it fits, else into
     * the next cluster when that one is free (data may straddle). */
    uint64_t pos = q->cbyte_off, coff = 0;
    bool fits = pos && (pos & (cs - 1)) && (pos & (cs - 1)) + clen <= cs;
    if (pos && (pos & (cs - 1))) {
        /* narrow refcounts (1 bit) may not allow sharing the cluster */
        uint64_t cur;
        rc = qcow2_get_refcount(q, pos / cs, &cur, err);
        if (rc < 0)
            return rc;
        if (q->refcount_bits < 64 && cur + 1 > (1ull << q->refcount_bits) - 1)
            pos = q->cbyte_off = 0, fits = false;
    }
    if (fits) {
        coff = pos;
        rc = qcow2_update_refcount(q, pos / cs, 1, err);
    } else {
        uint64_t next = pos && (pos & (cs - 1)) ? (pos / cs + 1) : 0, rcv = 1;
        if (next)
            rc = qcow2_get_refcount(q, next, &rcv, err);
        if (rc < 0)
            return rc;
        if (next && rcv == 0 && q->free_hint <= next) {
            /* straddle: the tail goes into the following cluster */
            q->free_hint = next;
            uint64_t h;
            rc = qcow2_alloc_clusters(q, 1, &h, err);
            if (rc == 0 && h == next * cs) {
                coff = pos;
                rc = qcow2_update_refcount(q, pos / cs, 1, err);
            } else if (rc == 0) {
                coff = h;
            }
        } else {
            uint64_t h;
            rc = qcow2_alloc_clusters(q, 1, &h, err);
            coff = h;
        }
    }
    if (rc < 0)
        return rc;
    if (coff & ~q->cluster_offset_mask)
        return vdisk_err_set(err, EFBIG, "'%s': compressed data offset too "
                             "large", q->name);
    rc = vd_pwrite_fd(q->fd, cdata, clen, coff, q->name, err);
    if (rc < 0)
        return rc;
    q->cbyte_off = coff + clen;
    uint64_t nsec = ((coff + clen - 1) >> 9) - (coff >> 9);
    uint64_t e = QCOW_OFLAG_COMPRESSED | (nsec << q->csize_shift) | coff;
    rc = qc_get(q, &q->l2c, q->l1[l1i] & L1E_OFFSET_MASK, false, &t, err);
    if (rc < 0)
        return rc;
    l2_set(q, t->buf, l2i, e, 0);
    t->dirty = true;
    if (old & (L2E_OFFSET_MASK | QCOW_OFLAG_COMPRESSED))
        rc = qcow2_free_l2_entry(q, old, err);
    return rc;
}

/* disk/convert.c — the conversion engine (see convert.h for the contract).
 *
 * Structure: the caller's thread walks block status and cuts the
 * destination's address space into work items (a data chunk to read, a
 * zero range to write, nothing to do); workers read an item from their own
 * source handles, find zero blocks and compress clusters; the caller's
 * thread performs every write on the single destination handle.  Items
 * live in a fixed ring, so memory stays at ring * chunk size whatever the
 * image size. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "disk/convert.h"

/* Bytes per data item.  Small on purpose: on the project machine 2 MiB
 * buffers made page-cache copies 3-4x slower than 256 KiB ones (qcow2 -c
 * -> raw: 8.6-11.6 s against 2.5-3.2 s), presumably because the buffer
 * then leaves the L2 cache between pread and pwrite.  A cluster larger
 * than this is one item. */
#define CHUNK_MIN   (256u << 10)
#define MAX_WORKERS 16
/* Bytes per data item once writes bypass the page cache: O_DIRECT writes
 * are synchronous, and large ones keep the disk busy. */
#define CHUNK_DIRECT (8u << 20)
/* Bytes of buffers in flight once items are CHUNK_DIRECT large: the
 * ring then uses only its first DIRECT_BUDGET / CHUNK_DIRECT slots, so
 * the others' buffers are never touched (peak RSS). */
#define DIRECT_BUDGET (32u << 20)

/* ---------------------------------------------------------------- */
/* zero detection                                                    */

bool vconvert_is_zero(const void *buf, size_t n)
{
    const uint8_t *p = buf;
    static const uint8_t z[16];

    if (n <= 16)
        return memcmp(p, z, n) == 0;
    /* qemu's trick: first 16 bytes zero and the buffer equal to itself
     * shifted by 16 means all zero; memcmp is vectorised by libc */
    return memcmp(p, z, 16) == 0 && memcmp(p, p + 16, n - 16) == 0;
}

size_t vconvert_zero_prefix(const uint8_t *buf, size_t n)
{
    size_t i = 0;

    while (i + 64 <= n && vconvert_is_zero(buf + i, 64))
        i += 64;
    while (i < n && buf[i] == 0)
        i++;
    return i;
}

/* Whether a cluster looks incompressible: its byte distribution is so
 * flat that deflate could save at most ~1.2% (Renyi entropy H2 >= 7.9
 * bits/byte: sum(count^2) <= 2^-7.9 * n^2).  Random, encrypted and
 * already compressed data pass; such clusters are stored uncompressed
 * right away instead of paying a full deflate (which qemu-img does, at
 * ~20 MiB/s per core).  A cheap pass: 64 KiB takes ~30 us here. */
bool vconvert_incompressible(const uint8_t *buf, size_t n)
{
    uint32_t h[4][256];
    uint64_t sum = 0, m = 0;
    /* from 16 KiB up, sample the first 64 bytes of every 256: 4x less
     * work, still >= 4096 bytes spread over the whole cluster */
    size_t step = n >= 16384 ? 256 : 64;

    if (n < 4096)
        return false;
    memset(h, 0, sizeof(h));
    for (size_t b = 0; b + 64 <= n; b += step, m += 64)
        for (size_t i = b; i < b + 64; i += 4) {
            h[0][buf[i]]++;
            h[1][buf[i + 1]]++;
            h[2][buf[i + 2]]++;
            h[3][buf[i + 3]]++;
        }
    for (int c = 0; c < 256; c++) {
        uint64_t k = (uint64_t)h[0][c] + h[1][c] + h[2][c] + h[3][c];
        sum += k * k;
    }
    /* 2^-7.9 = 0.0041864 ~ 4187/1000000 */
    return sum * 1000000 <= m * m * 4187;
}

/* ---------------------------------------------------------------- */
/* state                                                             */

enum seg_kind { SEG_DATA, SEG_ZERO, SEG_COMPRESSED };

struct seg {                    /* one write the writer will perform */
    enum seg_kind kind;
    uint64_t off;               /* destination offset */
    uint64_t len;               /* guest bytes covered */
    size_t buf_off;             /* data: in item->buf; compressed: in cbuf */
    size_t clen;                /* compressed length */
};

struct rwrite {                 /* data bound for reserved host space */
    size_t buf_off;             /* in item->buf */
    size_t len;
    uint64_t host;              /* offset in the destination's file */
};

enum item_state { IT_FREE, IT_READY, IT_RUNNING, IT_DONE, IT_WRITING };
enum item_kind { ITEM_DATA, ITEM_ZERO };

struct item {
    enum item_state state;
    enum item_kind kind;
    uint64_t off, len;
    uint64_t seq;               /* for in-order writing */
    uint8_t *buf;               /* chunk bytes */
    uint8_t *cbuf;              /* compressed output (compress mode) */
    size_t cbuf_cap;
    struct seg *segs;
    size_t nsegs, segs_cap;
    struct rwrite *rw;          /* reserved data writes, done outside the
                                   write turn */
    size_t nrw, rw_cap;
    int rc;
    struct vdisk_err err;
};

struct source {
    struct vdisk *d;
    uint64_t base, size;        /* position in the concatenation */
};

struct job {
    const struct vconvert_opts *o;
    struct source *src;         /* main handles: block status (+ reads) */
    size_t nsrc;
    uint64_t total;
    struct vdisk *dst;
    uint32_t cluster;           /* destination cluster size, 0 = raw */
    uint64_t chunk;             /* bytes per data item */
    uint64_t chunk_direct;      /* ... once writes go direct (<= buffers) */
    uint64_t zunit;             /* zero detection granularity */
    bool zero_init;             /* destination reads as zeros now */
    bool compress;              /* -c, or a destination that compresses
                                   every write (vdisk_compresses_writes):
                                   workers compress the clusters */
    bool dst_backing;           /* destination has a backing file */

    /* ring */
    struct item *items;
    size_t nitems;
    size_t busy_cap;            /* slots in use at most (see DIRECT_BUDGET) */
    uint64_t next_seq, write_seq;
    uint64_t done;              /* bytes finished, for progress */
    pthread_mutex_t lock;
    pthread_cond_t cond_work, cond_done;
    bool stop;
    bool writing;               /* a worker holds the write turn */
    int failed;                 /* first error (negative errno), 0 = none */
    struct vdisk_err ferr;
    int nworkers;
    pthread_t threads[MAX_WORKERS];
    struct source *wsrc[MAX_WORKERS];   /* per-worker handles */
    int wsrc_ok;                         /* workers whose handles opened */
    /* raw destination: workers write through their own handles, so the
     * page-cache copies run on every core; a clustered image has one
     * handle, written by one worker at a time, in order (the "write
     * turn"), so the caller's thread never sits between a finished item
     * and its write */
    bool parallel_write;
    /* clustered destination that can reserve (qcow2): the turn only
     * allocates clusters for an item's data, whose bytes its worker then
     * writes without the turn, so data writes overlap (with O_DIRECT,
     * two disk writes in flight instead of one) */
    bool reserve;
    uint64_t written;                   /* data bytes written (atomic) */
    uint64_t direct_after;              /* then vdisk_set_direct_data */
    const char *dst_path;               /* the file being written */
    struct vdisk *wdst[MAX_WORKERS];
};

/* ---------------------------------------------------------------- */
/* reading and processing an item (any thread)                       */

static int read_range(struct source *src, size_t nsrc, uint8_t *buf,
                      uint64_t off, uint64_t len, struct vdisk_err *err)
{
    for (size_t i = 0; i < nsrc && len; i++) {
        struct source *s = &src[i];
        if (off >= s->base + s->size)
            continue;
        uint64_t in = off - s->base;
        uint64_t n = s->size - in < len ? s->size - in : len;
        int rc = vdisk_pread(s->d, buf, n, in, err);
        if (rc < 0)
            return rc;
        buf += n;
        off += n;
        len -= n;
    }
    return 0;
}

static void add_seg(struct item *it, enum seg_kind k, uint64_t off,
                    uint64_t len, size_t buf_off, size_t clen)
{
    if (it->nsegs && k != SEG_COMPRESSED) {     /* coalesce */
        struct seg *l = &it->segs[it->nsegs - 1];
        if (l->kind == k && l->off + l->len == off &&
            (k != SEG_DATA || l->buf_off + l->len == buf_off)) {
            l->len += len;
            return;
        }
    }
    if (it->nsegs == it->segs_cap) {
        it->segs_cap = it->segs_cap ? 2 * it->segs_cap : 16;
        it->segs = xreallocarray(it->segs, it->segs_cap, sizeof(*it->segs));
    }
    it->segs[it->nsegs++] = (struct seg){ k, off, len, buf_off, clen };
}

/* Zero block [off, off+len): skip it or write zeroes. */
static void zero_block(struct job *j, struct item *it, uint64_t off, uint64_t len)
{
    if (!j->zero_init)
        add_seg(it, SEG_ZERO, off, len, 0, 0);
}

static int process_item(struct job *j, struct source *src, struct item *it)
{
    const struct vconvert_opts *o = j->o;
    int rc;

    it->nsegs = 0;
    if (it->kind == ITEM_ZERO) {
        add_seg(it, SEG_ZERO, it->off, it->len, 0, 0);
        return 0;
    }
    rc = read_range(src, j->nsrc, it->buf, it->off, it->len, &it->err);
    if (rc < 0)
        return rc;

    if (j->compress) {
        size_t cpos = 0;
        for (uint64_t p = 0; p < it->len; p += j->cluster) {
            uint64_t n = it->len - p < j->cluster ? it->len - p : j->cluster;
            size_t clen = 0;
            if (o->min_sparse && vconvert_is_zero(it->buf + p, n)) {
                zero_block(j, it, it->off + p, n);
                continue;
            }
            if (o->compress && vconvert_incompressible(it->buf + p, n)) {
                add_seg(it, SEG_DATA, it->off + p, n, p, 0);
                continue;
            }
            rc = vdisk_compress_cluster(j->dst, it->buf + p, n, it->cbuf + cpos,
                                        it->cbuf_cap - cpos, &clen, &it->err);
            if (rc < 0)
                return rc;
            if (clen == 0) {
                add_seg(it, SEG_DATA, it->off + p, n, p, 0);
            } else {
                add_seg(it, SEG_COMPRESSED, it->off + p, n, cpos, clen);
                cpos += clen;
            }
        }
        return 0;
    }
    if (!o->min_sparse) {
        add_seg(it, SEG_DATA, it->off, it->len, 0, 0);
        return 0;
    }
    /* zero blocks: zunit-aligned in destination offsets */
    uint64_t p = 0;
    while (p < it->len) {
        uint64_t abs = it->off + p;
        uint64_t end = (abs / j->zunit + 1) * j->zunit - it->off;
        uint64_t n = (end < it->len ? end : it->len) - p;
        if (vconvert_is_zero(it->buf + p, n))
            zero_block(j, it, abs, n);
        else
            add_seg(it, SEG_DATA, abs, n, p, 0);
        p += n;
    }
    return 0;
}

/* ---------------------------------------------------------------- */
/* writing (caller's thread)                                         */

/* A data segment on a reserving destination: host space now, the bytes
 * later (write_reserved); what the driver won't reserve is written now. */
static int reserve_seg(struct vdisk *dst, struct item *it,
                       const struct seg *s, struct vdisk_err *err)
{
    uint64_t off = s->off, left = s->len;
    size_t bo = s->buf_off;
    while (left) {
        uint64_t host, got;
        int rc = vdisk_reserve_data(dst, off, left, &host, &got, err);
        if (rc == -ENOTSUP)
            return vdisk_pwrite(dst, it->buf + bo, left, off, err);
        if (rc < 0)
            return rc;
        if (it->nrw == it->rw_cap) {
            it->rw_cap = it->rw_cap ? 2 * it->rw_cap : 8;
            it->rw = xrealloc(it->rw, it->rw_cap * sizeof(*it->rw));
        }
        it->rw[it->nrw++] = (struct rwrite){ bo, (size_t)got, host };
        off += got;
        bo += got;
        left -= got;
    }
    return 0;
}

static int write_reserved(struct job *j, struct item *it,
                          struct vdisk_err *err)
{
    for (size_t k = 0; k < it->nrw; k++) {
        int rc = vdisk_write_reserved(j->dst, it->buf + it->rw[k].buf_off,
                                      it->rw[k].len, it->rw[k].host, err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int write_item(struct job *j, struct vdisk *dst, struct item *it,
                      struct vdisk_err *err)
{
    uint64_t data = 0;
    for (size_t k = 0; k < it->nsegs; k++)
        if (it->segs[k].kind == SEG_DATA)
            data += it->segs[k].len;
    if (data && !vdisk_direct_data(dst) &&
        __atomic_add_fetch(&j->written, data, __ATOMIC_RELAXED) >= j->direct_after)
        (void)vdisk_set_direct_data(dst, true, err);
    for (size_t k = 0; k < it->nsegs; k++) {
        struct seg *s = &it->segs[k];
        int rc;
        switch (s->kind) {
        case SEG_DATA:
            /* (reserving jobs write on the one destination handle) */
            rc = j->reserve ? reserve_seg(dst, it, s, err)
                     : vdisk_pwrite(dst, it->buf + s->buf_off, s->len, s->off,
                                    err);
            break;
        case SEG_COMPRESSED:
            rc = vdisk_write_compressed(dst, s->off, it->cbuf + s->buf_off,
                                        s->clen, err);
            break;
        default:
            rc = vdisk_pwrite_zeroes(dst, s->off, s->len,
                                     j->dst_backing ? 0 : VDISK_ZERO_MAY_UNMAP, err);
            break;
        }
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* ---------------------------------------------------------------- */
/* workers                                                           */

/* Record the first failure (lock held). */
static void fail_locked(struct job *j, int rc, const struct vdisk_err *e)
{
    if (rc < 0 && !j->failed) {
        j->failed = rc;
        j->ferr = *e;
    }
}

/* An item is finished (written or skipped): free its slot (lock held). */
static void retire_locked(struct job *j, struct item *it)
{
    j->done += it->len;
    it->state = IT_FREE;
    pthread_cond_broadcast(&j->cond_done);
}

/* Take the write turn if nobody has it and write every finished item
 * that is next in order (any finished one with -W).  Lock held; it is
 * dropped around each write. */
static void write_ready_locked(struct job *j)
{
    while (!j->writing && !j->failed) {
        struct item *it = NULL;
        for (size_t k = 0; k < j->nitems; k++) {
            struct item *c = &j->items[k];
            if (c->state == IT_DONE &&
                (j->o->out_of_order ? (!it || c->seq < it->seq)
                                    : c->seq == j->write_seq))
                it = c;
        }
        if (!it)
            return;
        j->writing = true;
        it->state = IT_WRITING;
        it->nrw = 0;
        pthread_mutex_unlock(&j->lock);
        struct vdisk_err e = it->err;
        int rc = it->rc < 0 ? it->rc : write_item(j, j->dst, it, &e);
        pthread_mutex_lock(&j->lock);
        j->writing = false;
        j->write_seq++;
        if (rc == 0 && it->nrw) {
            /* the turn is free for the next item (an idle worker may
             * take it) while this one's data goes out */
            pthread_cond_broadcast(&j->cond_work);
            pthread_mutex_unlock(&j->lock);
            rc = write_reserved(j, it, &e);
            pthread_mutex_lock(&j->lock);
        }
        fail_locked(j, rc, &e);
        retire_locked(j, it);
    }
}

/* Whether a finished item waits for a free write turn (lock held). */
static bool turn_waiting_locked(const struct job *j)
{
    if (j->writing || j->failed)
        return false;
    for (size_t k = 0; k < j->nitems; k++)
        if (j->items[k].state == IT_DONE &&
            (j->o->out_of_order || j->items[k].seq == j->write_seq))
            return true;
    return false;
}

static void *worker_main(void *arg)
{
    struct job *j = ((void **)arg)[0];
    struct source *src = ((void **)arg)[1];
    struct vdisk *dst = ((void **)arg)[2];

    free(arg);
    pthread_mutex_lock(&j->lock);
    for (;;) {
        struct item *it = NULL;
        uint64_t best = UINT64_MAX;
        for (size_t k = 0; k < j->nitems; k++) {      /* oldest ready first */
            if (j->items[k].state == IT_READY && j->items[k].seq < best) {
                best = j->items[k].seq;
                it = &j->items[k];
            }
        }
        if (!it) {
            if (j->stop)
                break;
            if (!dst && turn_waiting_locked(j)) {
                write_ready_locked(j);
                continue;
            }
            pthread_cond_wait(&j->cond_work, &j->lock);
            continue;
        }
        it->state = IT_RUNNING;
        pthread_mutex_unlock(&j->lock);
        it->rc = process_item(j, src, it);
        if (it->rc == 0 && dst)         /* raw: write it ourselves */
            it->rc = write_item(j, dst, it, &it->err);
        pthread_mutex_lock(&j->lock);
        if (dst) {
            fail_locked(j, it->rc, &it->err);
            retire_locked(j, it);
        } else {
            it->state = IT_DONE;
            write_ready_locked(j);
        }
    }
    pthread_mutex_unlock(&j->lock);
    return NULL;
}

/* ---------------------------------------------------------------- */
/* sources                                                           */

static void close_sources(struct source *s, size_t n)
{
    for (size_t i = 0; s && i < n; i++)
        vdisk_close(s[i].d, NULL);
    free(s);
}

static struct source *open_sources(const struct vconvert_opts *o,
                                   struct vdisk_err *err)
{
    struct source *s = xcalloc(o->nsrc, sizeof(*s));
    struct vdisk_open_opts oo = { .format = o->src_format,
                                  .flags = VDISK_PROBE_BACKING };
    uint64_t base = 0;

    for (size_t i = 0; i < o->nsrc; i++) {
        int rc = o->src_win && o->src_win[i]
                     ? vdisk_open_window(o->src_win[i], &oo, &s[i].d, err)
                     : vdisk_open(o->src[i], &oo, &s[i].d, err);
        if (rc < 0) {
            vdisk_err_prefix(err, "could not open '%s': ", o->src[i]);
            close_sources(s, i);
            return NULL;
        }
        s[i].base = base;
        s[i].size = vdisk_size(s[i].d);
        base += s[i].size;
    }
    return s;
}

/* ---------------------------------------------------------------- */
/* the main loop                                                     */

struct producer {
    uint64_t pend_off, pend_len;    /* data range not yet cut into items */
    uint64_t covered;               /* end of what items already cover */
};

static void report(struct job *j, uint64_t done)
{
    if (j->o->progress)
        j->o->progress(j->o->progress_opaque,
                       done < j->total ? done : j->total, j->total);
}

/* Threaded: wait until a slot is free (all = every slot), reporting
 * progress on the way.  Returns 0 or the first worker's error. */
static int wait_slots(struct job *j, bool all, struct item **free_out,
                      struct vdisk_err *err)
{
    int rc;

    pthread_mutex_lock(&j->lock);
    for (;;) {
        size_t nfree = 0;
        struct item *f = NULL;
        for (size_t k = 0; k < j->nitems; k++) {
            if (j->items[k].state == IT_FREE) {
                nfree++;
                if (!f)         /* the lowest: see busy_cap */
                    f = &j->items[k];
            }
        }
        if (j->failed || (all ? nfree == j->nitems
                              : nfree > 0 && j->nitems - nfree < j->busy_cap)) {
            if (free_out)
                *free_out = f;
            break;
        }
        pthread_cond_wait(&j->cond_done, &j->lock);
    }
    rc = j->failed;
    if (rc < 0)
        *err = j->ferr;
    uint64_t done = j->done;
    pthread_mutex_unlock(&j->lock);
    report(j, done);
    return rc;
}

static int submit(struct job *j, enum item_kind kind, uint64_t off,
                  uint64_t len, struct vdisk_err *err)
{
    struct item *it = &j->items[0];
    int rc;

    if (j->o->cancel && *j->o->cancel)
        return vdisk_err_set(err, ECANCELED, "conversion interrupted");
    if (j->nworkers && (rc = wait_slots(j, false, &it, err)) < 0)
        return rc;
    it->kind = kind;
    it->off = off;
    it->len = len;
    it->seq = j->next_seq++;
    it->rc = 0;
    if (!j->nworkers) {             /* serial: process and write now */
        rc = process_item(j, j->src, it);
        if (rc < 0)
            *err = it->err;
        else
            rc = write_item(j, j->dst, it, err);
        if (rc < 0)
            return rc;
        j->done += len;
        report(j, j->done);
        return 0;
    }
    pthread_mutex_lock(&j->lock);
    it->state = IT_READY;
    pthread_cond_signal(&j->cond_work);
    pthread_mutex_unlock(&j->lock);
    return 0;
}

/* Cut the pending data range into chunk-aligned items. */
static int flush_pending(struct job *j, struct producer *p, bool all,
                         struct vdisk_err *err)
{
    while (p->pend_len) {
        /* checked per item: one data extent may span the whole image */
        if (j->chunk < j->chunk_direct &&
            __atomic_load_n(&j->written, __ATOMIC_RELAXED) >= j->direct_after) {
            j->chunk = j->chunk_direct; /* the next item ends aligned */
            size_t cap = DIRECT_BUDGET / j->chunk;
            if (cap < (size_t)j->nworkers + 2)
                cap = (size_t)j->nworkers + 2;
            if (cap < j->busy_cap)
                j->busy_cap = cap;
        }
        uint64_t end = (p->pend_off / j->chunk + 1) * j->chunk;
        uint64_t n = end - p->pend_off;
        if (n > p->pend_len) {
            if (!all)
                return 0;       /* keep the partial chunk to grow it */
            n = p->pend_len;
        }
        int rc = submit(j, ITEM_DATA, p->pend_off, n, err);
        if (rc < 0)
            return rc;
        p->pend_off += n;
        p->pend_len -= n;
    }
    return 0;
}

static int add_data(struct job *j, struct producer *p, uint64_t off,
                    uint64_t len, struct vdisk_err *err)
{
    uint64_t end = off + len;
    int rc;

    if (j->cluster) {               /* whole destination clusters */
        off = off / j->cluster * j->cluster;
        end = (end + j->cluster - 1) / j->cluster * j->cluster;
        if (end > j->total)
            end = j->total;
    }
    if (off < p->covered)
        off = p->covered;
    if (off >= end)
        return 0;
    if (p->pend_len && p->pend_off + p->pend_len != off) {
        if ((rc = flush_pending(j, p, true, err)) < 0)
            return rc;
    }
    if (!p->pend_len)
        p->pend_off = off;
    p->pend_len = end - p->pend_off;
    p->covered = end;
    return flush_pending(j, p, false, err);
}

/* A range that reads as zero.  Only data items advance p->covered, so a
 * data item may round down into a zero range before it (its cluster is
 * read and written whole).  When the destination must be zeroed
 * explicitly, partial clusters at the edges of the range become data
 * items (read as zeros, written as zero segments), so every write stays
 * cluster-aligned and no two items overlap. */
static int add_zero(struct job *j, struct producer *p, uint64_t off,
                    uint64_t len, struct vdisk_err *err)
{
    uint64_t end = off + len, head = off, tail = end;
    int rc;

    if (off < p->covered)
        off = head = p->covered;
    if (off >= end)
        return 0;
    if (j->zero_init) {             /* nothing to write */
        if (j->nworkers)
            pthread_mutex_lock(&j->lock);
        j->done += end - off;
        if (j->nworkers)
            pthread_mutex_unlock(&j->lock);
        return 0;
    }
    if (j->cluster) {
        uint64_t c = j->cluster;
        head = (off + c - 1) / c * c;
        tail = end == j->total ? end : end / c * c;
        if (head >= tail)
            return add_data(j, p, off, end - off, err);
        if (off < head && (rc = add_data(j, p, off, head - off, err)) < 0)
            return rc;
    }
    if ((rc = flush_pending(j, p, true, err)) < 0)
        return rc;
    for (uint64_t z = head; z < tail;) {
        uint64_t n = tail - z < (1ULL << 30) ? tail - z : (1ULL << 30);
        if ((rc = submit(j, ITEM_ZERO, z, n, err)) < 0)
            return rc;
        z += n;
    }
    if (tail > p->covered)
        p->covered = tail;
    if (tail < end)
        return add_data(j, p, tail, end - tail, err);
    return 0;
}

static int walk(struct job *j, struct vdisk_err *err)
{
    const struct vconvert_opts *o = j->o;
    struct producer p = {0};
    int rc;

    for (size_t i = 0; i < j->nsrc; i++) {
        struct source *s = &j->src[i];
        uint64_t off = 0;
        while (off < s->size) {
            struct vdisk_extent e;
            if (o->cancel && *o->cancel)
                return vdisk_err_set(err, ECANCELED, "conversion interrupted");
            if (!o->min_sparse) {           /* -S 0: copy everything */
                e.len = s->size - off;
                e.flags = VDISK_EXT_DATA | VDISK_EXT_ALLOCATED;
            } else {
                rc = vdisk_block_status(s->d, off, s->size - off, !j->dst_backing,
                                        &e, err);
                if (rc < 0)
                    return rc;
                if (e.len == 0 || e.len > s->size - off)
                    return vdisk_err_set(err, EIO, "'%s': bad block status at %llu",
                                         o->src[i], (unsigned long long)off);
            }
            uint64_t at = s->base + off;
            if (j->dst_backing && !(e.flags & VDISK_EXT_ALLOCATED)) {
                /* leave unallocated: reads through the new backing file */
                if (j->nworkers)
                    pthread_mutex_lock(&j->lock);
                j->done += e.len;
                if (j->nworkers)
                    pthread_mutex_unlock(&j->lock);
                rc = 0;
            } else if (e.flags & VDISK_EXT_ZERO) {
                rc = add_zero(j, &p, at, e.len, err);
            } else {
                rc = add_data(j, &p, at, e.len, err);
            }
            if (rc < 0)
                return rc;
            off += e.len;
        }
    }
    rc = flush_pending(j, &p, true, err);
    if (rc < 0)
        return rc;
    return j->nworkers ? wait_slots(j, true, NULL, err) : 0;
}

/* ---------------------------------------------------------------- */
/* setup and teardown                                                */

static void stop_workers(struct job *j)
{
    if (!j->nworkers)
        return;
    pthread_mutex_lock(&j->lock);
    j->stop = true;
    /* drop queued work so workers exit promptly */
    for (size_t k = 0; k < j->nitems; k++)
        if (j->items[k].state == IT_READY)
            j->items[k].state = IT_FREE;
    pthread_cond_broadcast(&j->cond_work);
    pthread_mutex_unlock(&j->lock);
    for (int w = 0; w < j->nworkers; w++)
        pthread_join(j->threads[w], NULL);
    j->nworkers = 0;
}

static int start_workers(struct job *j, int n, struct vdisk_err *err)
{
    pthread_mutex_init(&j->lock, NULL);
    pthread_cond_init(&j->cond_work, NULL);
    pthread_cond_init(&j->cond_done, NULL);
    for (int w = 0; w < n; w++) {
        j->wsrc[w] = open_sources(j->o, err);
        if (!j->wsrc[w])
            return -err->code;
        j->wsrc_ok = w + 1;
        if (j->parallel_write) {
            struct vdisk_open_opts oo = { .format = "raw", .flags = VDISK_RDWR };
            if (vdisk_open(j->dst_path, &oo, &j->wdst[w], err) < 0)
                return -err->code;
        }
    }
    for (int w = 0; w < n; w++) {
        void **arg = xmalloc(3 * sizeof(void *));
        arg[0] = j;
        arg[1] = j->wsrc[w];
        arg[2] = j->wdst[w];
        if (pthread_create(&j->threads[w], NULL, worker_main, arg) != 0) {
            free(arg);
            return vdisk_err_set(err, EAGAIN, "cannot start worker threads");
        }
        j->nworkers = w + 1;
    }
    return 0;
}

/* Chunk buffers are page-aligned, as O_DIRECT writes want them. */
static uint8_t *aligned_buf(size_t n)
{
    void *p = NULL;
    if (posix_memalign(&p, 4096, n) != 0)
        return xmalloc(n);
    return p;
}

static int n_cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > MAX_WORKERS ? MAX_WORKERS : (int)n;
}

/* "<dir>/.<base>.vxl-XXXXXX": a fresh, empty, private file next to dst. */
static char *make_temp(const char *dst, struct vdisk_err *err)
{
    char *a = xstrdup(dst), *b = xstrdup(dst);
    char *path = xasprintf("%s/.%s.vxl-XXXXXX", dirname(a), basename(b));
    int fd = mkstemp(path);

    free(a);
    free(b);
    if (fd < 0) {
        vdisk_err_set(err, errno, "cannot create a temporary file for '%s': %s",
                      dst, strerror(errno));
        free(path);
        return NULL;
    }
    mode_t um = umask(0);
    umask(um);
    fchmod(fd, 0666 & ~um);
    close(fd);
    return path;
}

static bool same_file(const char *a, const struct stat *st)
{
    struct stat sa;
    return stat(a, &sa) == 0 && sa.st_dev == st->st_dev && sa.st_ino == st->st_ino;
}

/* Is source k (a path, or a window over open files) the file st? */
static bool src_is(const struct vconvert_opts *o, size_t k,
                   const struct stat *st)
{
    if (!o->src_win || !o->src_win[k])
        return same_file(o->src[k], st);
    const struct vdisk_window *w = o->src_win[k];
    for (size_t i = 0; i < w->nseg; i++) {
        struct stat sa;
        if (fstat(w->seg[i].fd, &sa) == 0 && sa.st_dev == st->st_dev &&
            sa.st_ino == st->st_ino)
            return true;
    }
    return false;
}

/* "<dir>/.<base>.vxl-XXXXXX/<base>": dst's name inside a fresh private
 * directory next to dst, for a format whose image spans several files
 * (they get their final names there and are moved out when complete).
 * *dir receives the directory. */
static char *make_temp_dir(const char *dst, char **dir, struct vdisk_err *err)
{
    char *a = xstrdup(dst), *b = xstrdup(dst);
    char *path = xasprintf("%s/.%s.vxl-XXXXXX", dirname(a), basename(b));
    char *img = NULL;

    if (!mkdtemp(path)) {
        vdisk_err_set(err, errno, "cannot create a temporary directory for '%s': %s",
                      dst, strerror(errno));
        free(path);
        path = NULL;
    } else {
        img = xasprintf("%s/%s", path, basename(b));
    }
    free(a);
    free(b);
    *dir = path;
    return img;
}

/* The entries of dir other than "." and ".." (NULL-terminated). */
static char **list_dir(const char *dir, size_t *n)
{
    DIR *d = opendir(dir);
    char **v = xcalloc(1, sizeof(*v));
    struct dirent *e;

    *n = 0;
    while (d && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        v = xrealloc(v, (*n + 2) * sizeof(*v));
        v[(*n)++] = xstrdup(e->d_name);
        v[*n] = NULL;
    }
    if (d)
        closedir(d);
    return v;
}

static void free_list(char **v)
{
    for (size_t i = 0; v[i]; i++)
        free(v[i]);
    free(v);
}

/* Remove the temporary directory and whatever was created in it. */
static void remove_temp_dir(const char *dir)
{
    size_t n;
    char **v = list_dir(dir, &n);
    for (size_t i = 0; i < n; i++) {
        char *p = xasprintf("%s/%s", dir, v[i]);
        unlink(p);
        free(p);
    }
    free_list(v);
    rmdir(dir);
}

/* Move every file of the complete image in dir next to dst under its own
 * name, the one named like dst (the descriptor, which refers to the
 * others) last.  On failure the files already moved are removed again,
 * so dst never names an image whose other files are missing. */
static int publish_dir(const char *dir, const char *img, const char *dst,
                       const struct vconvert_opts *o, struct vdisk_err *err)
{
    char *a = xstrdup(dst);
    const char *ddir = dirname(a);
    const char *base = strrchr(img, '/') + 1;
    size_t n;
    char **v = list_dir(dir, &n);
    char **to = xcalloc(n + 1, sizeof(*to));
    int rc = 0;

    for (size_t i = 0; i < n; i++) {
        struct stat st;
        to[i] = !strcmp(v[i], base) ? xstrdup(dst) : xasprintf("%s/%s", ddir, v[i]);
        for (size_t k = 0; k < o->nsrc && stat(to[i], &st) == 0; k++)
            if (src_is(o, k, &st) && rc == 0)
                rc = vdisk_err_set(err, EINVAL, "'%s' is both a source and a file "
                                   "of the destination image", to[i]);
    }
    for (int last = 0; rc == 0 && last < 2; last++) {
        for (size_t i = 0; rc == 0 && i < n; i++) {
            if ((strcmp(v[i], base) == 0) != (last == 1))
                continue;
            char *from = xasprintf("%s/%s", dir, v[i]);
            if (rename(from, to[i]) < 0)
                rc = vdisk_err_set(err, errno, "cannot rename '%s' to '%s': %s",
                                   from, to[i], strerror(errno));
            else
                v[i][0] = '\0';      /* mark: now under its final name */
            free(from);
        }
    }
    for (size_t i = 0; rc < 0 && i < n; i++)
        if (!v[i][0])
            unlink(to[i]);
    for (size_t i = 0; i < n; i++)
        free(to[i]);
    free(to);
    free_list(v);
    free(a);
    if (rc == 0)
        rmdir(dir);
    return rc;
}

/* A multi-file format whose chosen layout is one file (monolithic and
 * stream VMDKs) is built next to the destination like any other, so a
 * relative backing file (a delta link's parent) resolves as it will. */
static bool single_file(const struct vdisk_create_opts *c)
{
    const char *sf = c->subformat;
    return !strcmp(c->format, "vmdk") &&
           (!sf || !strcmp(sf, "monolithicSparse") ||
            !strcmp(sf, "streamOptimized"));
}

int vconvert(const struct vconvert_opts *o, struct vdisk_err *err)
{
    struct job j = { .o = o };
    struct vdisk_err lerr = {0};
    char *tmp = NULL, *tmpdir = NULL;
    struct stat dst_st;
    bool dst_exists, in_place;
    int rc, nworkers;

    if (!err)
        err = &lerr;
    if (!o->nsrc || !o->dst || !o->create || !o->create->format)
        return vdisk_err_set(err, EINVAL, "convert: missing source, destination or format");
    const struct vdisk_driver *drv = vdisk_driver_find(o->create->format);
    if (!drv)
        return vdisk_err_set(err, EINVAL, "unknown file format '%s'", o->create->format);
    if (o->compress && !drv->compress)
        return vdisk_err_set(err, ENOTSUP, "compression not supported for format '%s'",
                             drv->name);

    dst_exists = stat(o->dst, &dst_st) == 0;
    for (size_t i = 0; dst_exists && i < o->nsrc; i++)
        if (src_is(o, i, &dst_st))
            return vdisk_err_set(err, EINVAL, "'%s' is both a source and the destination",
                                 o->dst);
    /* a block device can't be replaced by rename: write it in place */
    in_place = o->no_create || (dst_exists && S_ISBLK(dst_st.st_mode));
    if (in_place && !dst_exists)
        return vdisk_err_set(err, ENOENT, "'%s': no such file (-n needs an existing target)",
                             o->dst);

    j.src = open_sources(o, err);
    if (!j.src)
        return -err->code;
    j.nsrc = o->nsrc;
    for (size_t i = 0; i < j.nsrc; i++)
        j.total += j.src[i].size;

    if (in_place) {
        struct vdisk_open_opts oo = { .format = o->create->format,
                                      .flags = VDISK_RDWR };
        rc = vdisk_open(o->dst, &oo, &j.dst, err);
        if (rc < 0) {
            vdisk_err_prefix(err, "could not open '%s': ", o->dst);
            goto out;
        }
        if (vdisk_size(j.dst) < j.total) {
            rc = vdisk_err_set(err, ENOSPC, "'%s' is smaller than the source "
                               "(%llu < %llu bytes)", o->dst,
                               (unsigned long long)vdisk_size(j.dst),
                               (unsigned long long)j.total);
            goto out;
        }
        j.dst_backing = vdisk_backing_name(j.dst) != NULL;
        j.zero_init = o->target_is_zero && !j.dst_backing;
    } else {
        if (!o->create->size_set) {
            o->create->size = j.total;
            o->create->size_set = true;
        }
        tmp = drv->multi_file && !single_file(o->create)
                  ? make_temp_dir(o->dst, &tmpdir, err)
                  : make_temp(o->dst, err);
        if (!tmp) {
            rc = -err->code;
            goto out;
        }
        /* built under a temporary name (or directory): the image names
         * its files, and resolves a relative backing file, as dst */
        o->create->final_name = o->dst;
        rc = vdisk_create(tmp, o->create, err);
        o->create->final_name = NULL;
        if (rc < 0)
            goto out;
        struct vdisk_open_opts oo = { .format = o->create->format,
                                      .flags = VDISK_RDWR | VDISK_PROBE_BACKING,
                                      .final_name = o->dst };
        rc = vdisk_open(tmp, &oo, &j.dst, err);
        if (rc < 0)
            goto out;
        j.dst_backing = o->create->backing_file != NULL;
        j.zero_init = vdisk_has_zero_init(j.dst) && !j.dst_backing;
        if (vdisk_size(j.dst) < j.total) {
            rc = vdisk_err_set(err, EINVAL, "created image is smaller than the source");
            goto out;
        }
    }
    j.cluster = vdisk_cluster_size(j.dst);
    /* a destination that deflates whatever it is given (VMDK stream)
     * gets its clusters compressed on the workers, in parallel */
    j.compress = o->compress || (vdisk_compresses_writes(j.dst) && j.cluster);
    if (o->compress && !j.cluster) {
        rc = vdisk_err_set(err, ENOTSUP, "compression needs a clustered format");
        goto out;
    }
    j.chunk = CHUNK_MIN;
    if (j.cluster > j.chunk)
        j.chunk = j.cluster;
    if (j.cluster && j.chunk % j.cluster) {
        rc = vdisk_err_set(err, EINVAL, "unsupported cluster size %u", j.cluster);
        goto out;
    }
    j.zunit = o->min_sparse ? o->min_sparse : 4096;
    if (j.cluster)      /* a partly written cluster is allocated anyway */
        j.zunit = (j.zunit + j.cluster - 1) / j.cluster * j.cluster;

    /* parallelism: workers only pay off for reading compressed or
     * chained sources and for compressing; -m caps, the CPUs bound */
    nworkers = o->workers > 0 ? o->workers : 1;
    {
        const char *e = getenv("VXL_MAX_WORKERS");      /* for experiments */
        int cap = e && atoi(e) > 0 ? atoi(e) : n_cpus();
        if (cap > MAX_WORKERS)
            cap = MAX_WORKERS;
        if (nworkers > cap)
            nworkers = cap;
    }
    j.nitems = nworkers > 1 ? 4 * (size_t)nworkers + 4 : 1;
    j.items = xcalloc(j.nitems, sizeof(*j.items));
    j.busy_cap = j.nitems;
    /* raw and qcow2 write guest data through vd_pwrite_data */
    if (strcmp(vdisk_format(j.dst), "raw") && strcmp(vdisk_format(j.dst), "qcow2"))
        j.direct_after = UINT64_MAX;
    else
        j.direct_after = o->direct ? 0 : VCONVERT_DIRECT_AFTER;
    {
        const char *e = getenv("VXL_DIRECT_AFTER");     /* for experiments */
        if (e && *e && !o->direct && j.direct_after != UINT64_MAX)
            j.direct_after = strtoull(e, NULL, 0);
    }
    /* larger items once direct (not for compression: its output buffer
     * is sized per item); untouched buffer pages cost no memory */
    j.chunk_direct = j.compress || j.chunk >= CHUNK_DIRECT ||
                     j.direct_after == UINT64_MAX ? j.chunk : CHUNK_DIRECT;
    for (size_t k = 0; k < j.nitems; k++) {
        j.items[k].buf = aligned_buf(j.chunk_direct);
        if (j.compress) {
            /* every cluster may take up to a cluster (else stored raw;
             * a stream grain slightly more, see below) */
            j.items[k].cbuf_cap = j.chunk + j.chunk / 8 + 65536;
            j.items[k].cbuf = xmalloc(j.items[k].cbuf_cap);
        }
    }
    j.dst_path = tmp ? tmp : o->dst;
    if (j.direct_after == 0)
        (void)vdisk_set_direct_data(j.dst, true, err);
    j.parallel_write = nworkers > 1 && !strcmp(vdisk_format(j.dst), "raw") &&
                       !j.compress;
    j.reserve = nworkers > 1 && !j.parallel_write && vdisk_can_reserve(j.dst) &&
                !getenv("VXL_NO_RESERVE");          /* for experiments */
    if (nworkers > 1 && (rc = start_workers(&j, nworkers, err)) < 0)
        goto out;

    rc = walk(&j, err);
    stop_workers(&j);
    for (int w = 0; w < MAX_WORKERS; w++) {
        if (j.wdst[w] && vdisk_close(j.wdst[w], rc < 0 ? NULL : err) < 0 && rc == 0)
            rc = -err->code;
        j.wdst[w] = NULL;
    }
    if (rc < 0)
        goto out;
    if (o->cancel && *o->cancel) {
        rc = vdisk_err_set(err, ECANCELED, "conversion interrupted");
        goto out;
    }
    /* durable before it becomes visible only when asked: qemu-img's
     * default cache mode for the target (unsafe) never flushes */
    if (o->flush && (rc = vdisk_flush(j.dst, err)) < 0)
        goto out;
    rc = vdisk_close(j.dst, err);
    j.dst = NULL;
    if (rc < 0)
        goto out;
    if (tmpdir) {
        if ((rc = publish_dir(tmpdir, tmp, o->dst, o, err)) < 0)
            goto out;
        free(tmpdir);
        tmpdir = NULL;
        free(tmp);
        tmp = NULL;
    } else if (tmp) {
        if (rename(tmp, o->dst) < 0) {
            rc = vdisk_err_set(err, errno, "cannot rename '%s' to '%s': %s", tmp,
                               o->dst, strerror(errno));
            goto out;
        }
        free(tmp);
        tmp = NULL;
    }
    if (o->progress)
        o->progress(o->progress_opaque, j.total, j.total);
    rc = 0;
out:
    stop_workers(&j);
    for (int w = 0; w < MAX_WORKERS; w++)
        if (j.wdst[w])
            vdisk_close(j.wdst[w], NULL);
    if (j.dst)
        vdisk_close(j.dst, NULL);
    if (tmpdir) {
        remove_temp_dir(tmpdir);
        free(tmpdir);
    } else if (tmp) {
        unlink(tmp);
    }
    free(tmp);
    for (int w = 0; w < j.wsrc_ok; w++)
        close_sources(j.wsrc[w], o->nsrc);
    close_sources(j.src, j.nsrc);
    for (size_t k = 0; j.items && k < j.nitems; k++) {
        free(j.items[k].buf);
        free(j.items[k].cbuf);
        free(j.items[k].segs);
        free(j.items[k].rw);
    }
    free(j.items);
    return rc;
}

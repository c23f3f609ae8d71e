/* import/ova.c — the OVA appliance source: tar index, in-memory
 * descriptor/manifest, in-place disk conversion through vdisk windows
 * and manifest verification during the reads (see import/ova.h). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "common/util.h"
#include "disk/convert.h"
#include "import/manifest.h"
#include "import/ova.h"
#include "import/tar.h"

enum mstate { M_UNVERIFIED, M_OK, M_BAD };

struct ova_member {
    char *name;
    uint64_t off, size;
    const struct vmf_entry *mf;     /* its manifest line, or NULL */
    enum mstate state;
};

struct ova_priv {
    int fd;
    uint64_t fsize;
    struct ova_member *m;
    size_t n;
    char *ovf;                      /* descriptor text (NUL-terminated) */
    size_t ovf_len;
    struct vmanifest mf;
    bool has_mf;
    struct vova_tap_stats stats;
};

static bool ends_with_ci(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcasecmp(s + a - b, suf) == 0;
}

static struct ova_member *find_member(struct ova_priv *p, const char *name)
{
    for (size_t i = 0; i < p->n; i++)
        if (!strcmp(p->m[i].name, name))
            return &p->m[i];
    return NULL;
}

static int pread_all(int fd, void *buf, size_t n, uint64_t off)
{
    uint8_t *b = buf;
    while (n > 0) {
        ssize_t r = pread(fd, b, n, (off_t)off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -errno;
        if (r == 0)
            return -EIO;
        b += r;
        n -= (size_t)r;
        off += (uint64_t)r;
    }
    return 0;
}

/* ---- digests ---------------------------------------------------------------- */

static void mismatch_msg(const struct ova_member *m, const uint8_t *got,
                         char *out, size_t outlen)
{
    size_t dl = vmf_digest_len(m->mf->alg);
    char want[2 * VMF_MAX_DIGEST + 1], have[2 * VMF_MAX_DIGEST + 1];
    vmf_hex(m->mf->digest, dl, want);
    vmf_hex(got, dl, have);
    snprintf(out, outlen, "'%s': %s digest mismatch: the manifest says %s, "
             "the archive holds %s", m->name, vmf_alg_name(m->mf->alg), want,
             have);
}

/* Compare a finished digest with the member's manifest line; sets the
 * state.  Returns true if it matches. */
static bool check_digest(struct ova_member *m, const uint8_t *got)
{
    bool ok = !memcmp(got, m->mf->digest, vmf_digest_len(m->mf->alg));
    m->state = ok ? M_OK : M_BAD;
    return ok;
}

/* Hash bytes [from, size) of a member by reading them into h. */
static int hash_range(int fd, const struct ova_member *m, uint64_t from,
                      struct vmf_hash *h)
{
    enum { BUF = 1 << 20 };
    uint8_t *buf = xmalloc(BUF);
    int rc = 0;
    while (from < m->size) {
        size_t k = m->size - from < BUF ? (size_t)(m->size - from) : BUF;
        rc = pread_all(fd, buf, k, m->off + from);
        if (rc < 0)
            break;
        vmf_hash_update(h, buf, k);
        from += k;
    }
    free(buf);
    return rc;
}

/* Verify a whole member by reading it.  Returns 0, or -EINVAL / -errno
 * with a diagnostic. */
static int verify_member(struct vimport_source *s, struct ova_member *m,
                         vxl_diags *d)
{
    struct ova_priv *p = s->priv;
    if (!m->mf || m->state == M_OK)
        return 0;
    struct vmf_hash *h = vmf_hash_new(m->mf->alg);
    int rc = hash_range(p->fd, m, 0, h);
    uint8_t got[VMF_MAX_DIGEST];
    vmf_hash_final(h, got);
    if (rc < 0) {
        vxl_diag_add(d, VXL_ERROR, s->path, 0, 0, NULL, "'%s': read error: "
                     "%s", m->name, strerror(-rc));
        return rc;
    }
    if (!check_digest(m, got)) {
        char msg[512];
        mismatch_msg(m, got, msg, sizeof(msg));
        vxl_diag_add(d, VXL_ERROR, s->path, 0, 0, "the archive was changed "
                     "or damaged after it was made", "%s", msg);
        return -EINVAL;
    }
    return 0;
}

int vimport_ova_verify_rest(struct vimport_source *s, vxl_diags *d)
{
    struct ova_priv *p = s->priv;
    int ret = 0;
    for (size_t i = 0; i < p->n; i++) {
        if (p->m[i].mf && p->m[i].state == M_UNVERIFIED) {
            int rc = verify_member(s, &p->m[i], d);
            if (rc < 0 && ret == 0)
                ret = rc;
        } else if (p->m[i].state == M_BAD && ret == 0) {
            ret = -EINVAL;
        }
    }
    return ret;
}

void vimport_ova_tap_stats(const struct vimport_source *s,
                           struct vova_tap_stats *st)
{
    const struct ova_priv *p = s->priv;
    *st = p->stats;
}

/* ---- the hash tap --------------------------------------------------------- */

/* The window's observer: hashes each segment's bytes in order from the
 * conversion's reads.  Reads arrive out of order (the VMDK footer and
 * grain directory are read at open, and convert's workers race), so a
 * read ahead of the hashed prefix is kept (copied, up to TAP_MAX_PENDING
 * bytes in all) until the prefix reaches it; a small gap before a kept
 * read (the padding between grains, which the conversion never reads)
 * is read by the tap itself, and so is a larger one once more than
 * TAP_PRESSURE bytes wait behind it (metadata such as VMware's grain
 * tables, read out of order).  What is still missing at the end is read
 * then (tap_finish). */
#define TAP_SMALL_GAP   4096u
#define TAP_PRESSURE    (16u << 20)
#define TAP_MAX_PENDING (64u << 20)

struct tap_chunk {
    uint64_t off, len;              /* segment offsets */
    uint8_t *data;
};

struct tap_seg {
    struct ova_member *m;
    uint64_t wbase;                 /* window offset of the segment */
    struct vmf_hash *h;             /* NULL: nothing to verify */
    uint64_t pos;                   /* bytes hashed */
    struct tap_chunk *pend;         /* reads ahead of pos */
    size_t npend, cap;
};

struct tap {
    pthread_mutex_t lock;
    int fd;
    struct tap_seg *s;
    size_t n;
    int error;                      /* first read error (negative) */
    uint64_t observed, reread, pending_bytes;
};

/* Hash [lo, hi) of g from data (which holds segment bytes from doff). */
static void tap_take(struct tap *t, struct tap_seg *g, const uint8_t *data,
                     uint64_t doff, uint64_t hi)
{
    if (hi <= g->pos)
        return;
    vmf_hash_update(g->h, data + (g->pos - doff), (size_t)(hi - g->pos));
    t->observed += hi - g->pos;
    g->pos = hi;
}

/* Consume kept reads that the prefix has reached, filling small gaps. */
static void tap_advance(struct tap *t, struct tap_seg *g)
{
    for (;;) {
        size_t best = SIZE_MAX;
        for (size_t i = 0; i < g->npend; i++) {
            struct tap_chunk *c = &g->pend[i];
            if (c->off + c->len <= g->pos) {        /* stale */
                t->pending_bytes -= c->len;
                free(c->data);
                g->pend[i--] = g->pend[--g->npend];
                continue;
            }
            if (best == SIZE_MAX || c->off < g->pend[best].off)
                best = i;
        }
        if (best == SIZE_MAX)
            return;
        struct tap_chunk *c = &g->pend[best];
        if (c->off > g->pos) {
            uint64_t gap = c->off - g->pos;
            if (gap > TAP_SMALL_GAP && t->pending_bytes < TAP_PRESSURE)
                return;             /* a later read may still cover it */
            uint8_t *buf = xmalloc((size_t)gap);
            int rc = pread_all(t->fd, buf, (size_t)gap, g->m->off + g->pos);
            if (rc < 0) {
                if (!t->error)
                    t->error = rc;
                free(buf);
                return;
            }
            vmf_hash_update(g->h, buf, (size_t)gap);
            t->reread += gap;
            g->pos = c->off;
            free(buf);
        }
        tap_take(t, g, c->data, c->off, c->off + c->len);
    }
}

static void tap_observe(void *opaque, uint64_t off, const void *buf,
                        size_t n)
{
    struct tap *t = opaque;
    const uint8_t *b = buf;
    pthread_mutex_lock(&t->lock);
    for (size_t i = 0; i < t->n; i++) {
        struct tap_seg *g = &t->s[i];
        uint64_t lo = off, hi = off + n;
        if (!g->h || hi <= g->wbase || lo >= g->wbase + g->m->size)
            continue;
        if (lo < g->wbase)
            lo = g->wbase;
        if (hi > g->wbase + g->m->size)
            hi = g->wbase + g->m->size;
        const uint8_t *data = b + (lo - off);
        lo -= g->wbase;
        hi -= g->wbase;
        if (hi <= g->pos)
            continue;
        if (lo <= g->pos) {
            tap_take(t, g, data, lo, hi);
        } else if (t->pending_bytes + (hi - lo) <= TAP_MAX_PENDING) {
            if (g->npend == g->cap) {
                g->cap = g->cap ? 2 * g->cap : 8;
                g->pend = xreallocarray(g->pend, g->cap, sizeof(*g->pend));
            }
            uint8_t *copy = xmalloc((size_t)(hi - lo));
            memcpy(copy, data, (size_t)(hi - lo));
            g->pend[g->npend++] = (struct tap_chunk){ lo, hi - lo, copy };
            t->pending_bytes += hi - lo;
        }
        tap_advance(t, g);
    }
    pthread_mutex_unlock(&t->lock);
}

static void tap_seg_free(struct tap_seg *g)
{
    for (size_t i = 0; i < g->npend; i++)
        free(g->pend[i].data);
    free(g->pend);
    g->pend = NULL;
    g->npend = 0;
    vmf_hash_free(g->h);
    g->h = NULL;
}

/* ---- windows ----------------------------------------------------------------- */

/* Segments of a file reference; NULL with a diagnostic if a member is
 * missing. */
static struct vdisk_window_seg *ref_segments(struct vimport_source *s,
                                             const struct vimport_file_ref *f,
                                             struct ova_member **mem,
                                             struct vdisk_err *err)
{
    struct ova_priv *p = s->priv;
    if (f->nmembers == 0) {
        vdisk_err_set(err, EINVAL, "disk file reference names no file");
        return NULL;
    }
    struct vdisk_window_seg *seg = xcalloc(f->nmembers, sizeof(*seg));
    for (size_t i = 0; i < f->nmembers; i++) {
        struct ova_member *m = find_member(p, f->members[i]);
        if (!m) {
            vdisk_err_set(err, ENOENT, "'%s': no member '%s' in the archive",
                          s->path, f->members[i]);
            free(seg);
            return NULL;
        }
        seg[i] = (struct vdisk_window_seg){ p->fd, m->off, m->size };
        if (mem)
            mem[i] = m;
    }
    return seg;
}

static char *ref_display_name(struct vimport_source *s,
                              const struct vimport_file_ref *f)
{
    return xasprintf("%s:%s%s", s->path, f->members[0],
                     f->nmembers > 1 ? " (chunked)" : "");
}

static int ova_inspect(struct vimport_source *s,
                       const struct vimport_file_ref *f,
                       const char *src_format,
                       struct vimport_image_info *info, struct vdisk_err *err)
{
    if (f->gzip)
        return vdisk_err_set(err, ENOTSUP, "the size of a gzip-compressed "
                             "disk is known only after inflating it");
    struct vdisk_window_seg *seg = ref_segments(s, f, NULL, err);
    if (!seg)
        return -(err ? err->code : EINVAL);
    char *name = ref_display_name(s, f);
    struct vdisk_window w = { .name = name, .seg = seg,
                              .nseg = f->nmembers };
    struct vdisk_open_opts oo = { .format = src_format };
    struct vdisk *v;
    int rc = vdisk_open_window(&w, &oo, &v, err);
    if (rc == 0) {
        snprintf(info->format, sizeof(info->format), "%s", vdisk_format(v));
        info->virtual_size = vdisk_size(v);
        vdisk_close(v, NULL);
    }
    free(name);
    free(seg);
    return rc;
}

/* ---- convert ---------------------------------------------------------------- */

/* Finish the tap's digests: hash what the conversion did not read, then
 * compare.  Returns 0 or a negative errno with err set (first
 * mismatch). */
static int tap_finish(struct vimport_source *s, struct tap *t,
                      struct vdisk_err *err)
{
    struct ova_priv *p = s->priv;
    int ret = t->error ? vdisk_err_set(err, -t->error, "'%s': read error "
                                       "while verifying: %s", s->path,
                                       strerror(-t->error))
                       : 0;
    for (size_t i = 0; i < t->n; i++) {
        struct tap_seg *g = &t->s[i];
        if (!g->h)
            continue;
        /* what was kept is used as the reads reach it */
        int rc = 0;
        while (g->pos < g->m->size && rc == 0) {
            tap_advance(t, g);
            uint64_t next = g->m->size;
            for (size_t k = 0; k < g->npend; k++)
                if (g->pend[k].off < next)
                    next = g->pend[k].off;
            if (next > g->pos) {
                struct ova_member part = *g->m;
                part.size = next;
                rc = hash_range(p->fd, &part, g->pos, g->h);
                t->reread += next - g->pos;
                g->pos = next;
            }
        }
        if (t->error && rc == 0)
            rc = t->error;
        uint8_t got[VMF_MAX_DIGEST];
        vmf_hash_final(g->h, got);
        g->h = NULL;
        if (rc < 0 && ret == 0)
            ret = vdisk_err_set(err, -rc, "'%s': read error while verifying "
                                "'%s': %s", s->path, g->m->name,
                                strerror(-rc));
        if (rc == 0 && !check_digest(g->m, got) && ret == 0) {
            char msg[480];
            mismatch_msg(g->m, got, msg, sizeof(msg));
            ret = vdisk_err_set(err, EINVAL, "%s", msg);
        }
    }
    p->stats.observed = t->observed;
    p->stats.reread = t->reread;
    return ret;
}

static int write_all(int fd, const void *buf, size_t n)
{
    const uint8_t *b = buf;
    while (n > 0) {
        ssize_t w = write(fd, b, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -errno;
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Inflate the gzip stream formed by the members' bytes into out, hashing
 * each member's (compressed) bytes on the way. */
static int inflate_members(struct vimport_source *s,
                           const struct vimport_file_ref *f,
                           struct ova_member **mem, int out,
                           volatile int *cancel, struct vdisk_err *err)
{
    struct ova_priv *p = s->priv;
    enum { BUF = 1 << 20 };
    uint8_t *in = xmalloc(BUF), *zo = xmalloc(BUF);
    z_stream z;
    memset(&z, 0, sizeof(z));
    int rc = 0;
    bool zend = false;
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) {
        free(in);
        free(zo);
        return vdisk_err_set(err, ENOMEM, "zlib initialisation failed");
    }
    for (size_t i = 0; i < f->nmembers && rc == 0; i++) {
        struct ova_member *m = mem[i];
        struct vmf_hash *h = m->mf && m->state != M_OK
                             ? vmf_hash_new(m->mf->alg) : NULL;
        uint64_t done = 0;
        while (done < m->size && rc == 0) {
            if (cancel && *cancel) {
                rc = vdisk_err_set(err, ECANCELED, "cancelled");
                break;
            }
            size_t k = m->size - done < BUF ? (size_t)(m->size - done) : BUF;
            int r = pread_all(p->fd, in, k, m->off + done);
            if (r < 0) {
                rc = vdisk_err_set(err, -r, "'%s': read error in '%s': %s",
                                   s->path, m->name, strerror(-r));
                break;
            }
            if (h)
                vmf_hash_update(h, in, k);
            done += k;
            if (zend) {
                rc = vdisk_err_set(err, EINVAL, "'%s': data after the end of "
                                   "the gzip stream", m->name);
                break;
            }
            z.next_in = in;
            z.avail_in = (uInt)k;
            while (z.avail_in && !zend && rc == 0) {
                z.next_out = zo;
                z.avail_out = BUF;
                int zr = inflate(&z, Z_NO_FLUSH);
                if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR) {
                    rc = vdisk_err_set(err, EINVAL, "'%s': corrupt gzip data "
                                       "(%s)", m->name,
                                       z.msg ? z.msg : "inflate error");
                    break;
                }
                if (zr == Z_BUF_ERROR && z.avail_out == BUF)
                    break;          /* needs more input */
                zend = zr == Z_STREAM_END;
                int w = write_all(out, zo, BUF - z.avail_out);
                if (w < 0)
                    rc = vdisk_err_set(err, -w, "writing the inflated disk: "
                                       "%s", strerror(-w));
            }
            if (zend && z.avail_in && rc == 0)
                rc = vdisk_err_set(err, EINVAL, "'%s': data after the end of "
                                   "the gzip stream", m->name);
        }
        if (h) {
            uint8_t got[VMF_MAX_DIGEST];
            vmf_hash_final(h, got);
            if (rc == 0 && !check_digest(m, got)) {
                char msg[480];
                mismatch_msg(m, got, msg, sizeof(msg));
                rc = vdisk_err_set(err, EINVAL, "%s", msg);
            }
        }
    }
    if (rc == 0 && !zend)
        rc = vdisk_err_set(err, EINVAL, "'%s': truncated gzip stream",
                           f->members[f->nmembers - 1]);
    inflateEnd(&z);
    free(in);
    free(zo);
    return rc;
}

static int run_convert(const struct vimport_convert_req *req,
                       const char *src, const struct vdisk_window *w,
                       const char *dst, struct vdisk_err *err)
{
    struct vdisk_create_opts cr;
    vdisk_create_opts_init(&cr, req->dst_format);
    const char *srcs[1] = { src };
    const struct vdisk_window *wins[1] = { w };
    struct vconvert_opts co = {
        .src = srcs, .nsrc = 1, .src_format = req->src_format,
        .src_win = w ? wins : NULL,
        .dst = dst, .create = &cr,
        .min_sparse = VCONVERT_DEFAULT_MIN_SPARSE, .workers = 2,
        .progress = req->progress, .progress_opaque = req->progress_opaque,
        .cancel = req->cancel,
    };
    int rc = vconvert(&co, err);
    vdisk_create_opts_dispose(&cr);
    return rc;
}

static int convert_gzip(struct vimport_source *s,
                        const struct vimport_convert_req *req,
                        struct ova_member **mem, struct vdisk_err *err)
{
    char *tmp = xasprintf("%s/.vxl-import-XXXXXX",
                          req->scratch_dir ? req->scratch_dir : ".");
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int rc = vdisk_err_set(err, errno, "'%s': %s", tmp, strerror(errno));
        free(tmp);
        return rc;
    }
    int rc = inflate_members(s, req->file, mem, fd, req->cancel, err);
    if (close(fd) < 0 && rc == 0)
        rc = vdisk_err_set(err, errno, "'%s': %s", tmp, strerror(errno));
    if (rc == 0)
        rc = run_convert(req, tmp, NULL, req->dst, err);
    unlink(tmp);
    free(tmp);
    return rc;
}

static int ova_convert(struct vimport_source *s,
                       const struct vimport_convert_req *req,
                       struct vdisk_err *err)
{
    struct ova_priv *p = s->priv;
    const struct vimport_file_ref *f = req->file;
    struct ova_member **mem = xcalloc(f->nmembers ? f->nmembers : 1,
                                      sizeof(*mem));
    struct vdisk_window_seg *seg = ref_segments(s, f, mem, err);
    if (!seg) {
        free(mem);
        return -(err ? err->code : EINVAL);
    }
    p->stats = (struct vova_tap_stats){0};
    for (size_t i = 0; i < f->nmembers; i++)
        if (mem[i]->state == M_BAD) {
            int rc = vdisk_err_set(err, EINVAL, "'%s' does not match the "
                                   "manifest", mem[i]->name);
            free(seg);
            free(mem);
            return rc;
        }
    if (f->gzip) {
        int rc = convert_gzip(s, req, mem, err);
        free(seg);
        free(mem);
        return rc;
    }

    struct tap t = { .fd = p->fd, .n = f->nmembers };
    pthread_mutex_init(&t.lock, NULL);
    t.s = xcalloc(f->nmembers, sizeof(*t.s));
    bool verify = false;
    uint64_t wb = 0;
    for (size_t i = 0; i < f->nmembers; i++) {
        t.s[i].m = mem[i];
        t.s[i].wbase = wb;
        wb += mem[i]->size;
        if (mem[i]->mf && mem[i]->state != M_OK) {
            t.s[i].h = vmf_hash_new(mem[i]->mf->alg);
            verify = true;
        }
    }
    char *name = ref_display_name(s, f);
    struct vdisk_window w = {
        .name = name, .seg = seg, .nseg = f->nmembers,
        .observe = verify ? tap_observe : NULL, .observe_opaque = &t,
    };
    /* with digests to check, the image is only renamed into place after
     * they matched */
    char *dst = verify ? xasprintf("%s.vxl-unverified", req->dst)
                       : xstrdup(req->dst);
    int rc = run_convert(req, name, &w, dst, err);
    if (verify) {
        struct vdisk_err e2 = {0};
        int vr = tap_finish(s, &t, rc == 0 ? err : &e2);
        if (rc == 0 && vr < 0)
            rc = vr;
        if (rc == 0 && rename(dst, req->dst) < 0)
            rc = vdisk_err_set(err, errno, "cannot rename '%s' to '%s': %s",
                               dst, req->dst, strerror(errno));
        if (rc < 0)
            unlink(dst);
    }
    for (size_t i = 0; i < t.n; i++)
        tap_seg_free(&t.s[i]);
    free(t.s);
    pthread_mutex_destroy(&t.lock);
    free(dst);
    free(name);
    free(seg);
    free(mem);
    return rc;
}

/* ---- read -------------------------------------------------------------------- */

static int ova_read(struct vimport_source *s, const char *member, size_t max,
                    char **data, size_t *len, vxl_diags *d)
{
    struct ova_priv *p = s->priv;
    struct ova_member *m = find_member(p, member);
    if (!m) {
        vxl_diag_add(d, VXL_ERROR, s->path, 0, 0, NULL, "no member '%s' in "
                     "the archive", member);
        return -ENOENT;
    }
    if (m->size > max) {
        vxl_diag_add(d, VXL_ERROR, s->path, 0, 0, NULL, "member '%s' is too "
                     "large (%llu bytes, at most %zu)", member,
                     (unsigned long long)m->size, max);
        return -EFBIG;
    }
    char *buf = xmalloc((size_t)m->size + 1);
    if (!strcmp(member, s->main)) {
        memcpy(buf, p->ovf, p->ovf_len);
    } else {
        int rc = pread_all(p->fd, buf, (size_t)m->size, m->off);
        if (rc < 0) {
            vxl_diag_add(d, VXL_ERROR, s->path, 0, 0, NULL, "'%s': read "
                         "error: %s", member, strerror(-rc));
            free(buf);
            return rc;
        }
        if (m->mf && m->state != M_OK) {
            struct vmf_hash *h = vmf_hash_new(m->mf->alg);
            vmf_hash_update(h, buf, (size_t)m->size);
            uint8_t got[VMF_MAX_DIGEST];
            vmf_hash_final(h, got);
            if (!check_digest(m, got)) {
                char msg[512];
                mismatch_msg(m, got, msg, sizeof(msg));
                vxl_diag_add(d, VXL_ERROR, s->path, 0, 0, NULL, "%s", msg);
                free(buf);
                return -EINVAL;
            }
        }
        if (m->state == M_BAD) {
            vxl_diag_add(d, VXL_ERROR, s->path, 0, 0, NULL, "'%s' does not "
                         "match the manifest", member);
            free(buf);
            return -EINVAL;
        }
    }
    buf[m->size] = 0;
    *data = buf;
    *len = (size_t)m->size;
    return 0;
}

static void ova_close(struct vimport_source *s)
{
    struct ova_priv *p = s->priv;
    if (!p)
        return;
    if (p->fd >= 0)
        close(p->fd);
    for (size_t i = 0; i < p->n; i++)
        free(p->m[i].name);
    free(p->m);
    free(p->ovf);
    vmanifest_free(&p->mf);
    free(p);
    free(s->members);
    s->members = NULL;
    s->priv = NULL;
}

static const struct vimport_source_ops ova_ops = {
    .read = ova_read, .inspect = ova_inspect, .convert = ova_convert,
    .close = ova_close,
};

/* ---- open ------------------------------------------------------------------- */

struct fd_io {
    int fd;
};

static ssize_t fd_read(void *opaque, void *buf, size_t n)
{
    struct fd_io *io = opaque;
    for (;;) {
        ssize_t r = read(io->fd, buf, n);
        if (r < 0 && errno == EINTR)
            continue;
        return r < 0 ? -errno : r;
    }
}

static int fd_skip(void *opaque, uint64_t n)
{
    struct fd_io *io = opaque;
    if (lseek(io->fd, (off_t)n, SEEK_CUR) < 0)
        return -errno;
    return 0;
}

/* Read the current member's data into memory (size already bounded). */
static int slurp(struct tar_reader *t, const struct tar_entry *e, char **out,
                 vxl_diags *d)
{
    char *buf = xmalloc((size_t)e->size + 1);
    size_t got = 0;
    while (got < e->size) {
        ssize_t r = tar_read(t, buf + got, (size_t)e->size - got, d);
        if (r <= 0) {
            free(buf);
            return r < 0 ? (int)r : -EIO;
        }
        got += (size_t)r;
    }
    buf[got] = 0;
    *out = buf;
    return 0;
}

static int scan(struct vimport_source *s, struct ova_priv *p,
                char **mf_text, size_t *mf_len, char **mf_name, vxl_diags *d)
{
    uint8_t magic[6] = {0};
    if (pread(p->fd, magic, sizeof(magic), 0) >= 2) {
        const char *what = magic[0] == 0x1f && magic[1] == 0x8b ? "gzip"
                         : !memcmp(magic, "\xfd" "7zXZ", 6) ? "xz"
                         : !memcmp(magic, "BZh", 3) ? "bzip2" : NULL;
        if (what) {
            vxl_diag_add(d, VXL_ERROR, s->path, 0, 0, "decompress it first "
                         "(the result is the .ova to import)", "the archive "
                         "is %s-compressed; an OVA is a plain tar archive "
                         "whose disks are read in place", what);
            return -EINVAL;
        }
    }
    struct fd_io fio = { p->fd };
    struct tar_io io = { fd_read, fd_skip, &fio, p->fsize };
    struct tar_reader *t = tar_reader_new(&io, s->path);
    size_t cap = 0, index = 0;
    int rc;
    struct tar_entry e;
    while ((rc = tar_next(t, &e, d)) == 1) {
        if (e.type == TAR_DIR)
            continue;
        if (!vimport_member_name_ok(e.name)) {
            vxl_diag_add(d, VXL_ERROR, s->path, 0, 0, NULL, "member '%s' has "
                         "a name with control characters or backslashes; "
                         "refusing it", e.name);
            rc = -EPERM;
            break;
        }
        if (p->n == cap) {
            cap = cap ? 2 * cap : 8;
            p->m = xreallocarray(p->m, cap, sizeof(*p->m));
        }
        struct ova_member *m = &p->m[p->n++];
        *m = (struct ova_member){ xstrdup(e.name), e.offset, e.size, NULL,
                                  M_UNVERIFIED };
        bool top = !strchr(e.name, '/');
        if (top && ends_with_ci(e.name, ".ovf")) {
            if (s->main) {
                vxl_diag_add(d, VXL_ERROR, s->path, 0, 0, "an OVA holds one "
                             "descriptor", "two descriptors: '%s' and '%s'",
                             s->main, e.name);
                rc = -EINVAL;
                break;
            }
            if (e.size > VIMPORT_MAX_DESC) {
                vxl_diag_add(d, VXL_ERROR, s->path, 0, 0, NULL, "descriptor "
                             "'%s' is too large (%llu bytes, at most %u)",
                             e.name, (unsigned long long)e.size,
                             VIMPORT_MAX_DESC);
                rc = -EFBIG;
                break;
            }
            if ((rc = slurp(t, &e, &p->ovf, d)) < 0)
                break;
            p->ovf_len = (size_t)e.size;
            s->main = xstrdup(e.name);
            if (index != 0)
                vxl_diag_add(d, VXL_NOTE, s->path, 0, 0, NULL, "the "
                             "descriptor '%s' is not the first member (the "
                             "OVF specification puts it first)", e.name);
        } else if (top && ends_with_ci(e.name, ".mf")) {
            if (*mf_name) {
                vxl_diag_add(d, VXL_ERROR, s->path, 0, 0, NULL, "two "
                             "manifests: '%s' and '%s'", *mf_name, e.name);
                rc = -EINVAL;
                break;
            }
            if (e.size > VOVA_MAX_MF) {
                vxl_diag_add(d, VXL_ERROR, s->path, 0, 0, NULL, "manifest "
                             "'%s' is too large (%llu bytes, at most %u)",
                             e.name, (unsigned long long)e.size, VOVA_MAX_MF);
                rc = -EFBIG;
                break;
            }
            if ((rc = slurp(t, &e, mf_text, d)) < 0)
                break;
            *mf_len = (size_t)e.size;
            *mf_name = xstrdup(e.name);
        } else if (top && ends_with_ci(e.name, ".cert")) {
            if (e.size > VOVA_MAX_CERT) {
                vxl_diag_add(d, VXL_ERROR, s->path, 0, 0, NULL, "certificate "
                             "'%s' is too large (%llu bytes, at most %u)",
                             e.name, (unsigned long long)e.size,
                             VOVA_MAX_CERT);
                rc = -EFBIG;
                break;
            }
            vxl_diag_add(d, VXL_NOTE, s->path, 0, 0, "the manifest is still "
                         "checked; who signed it is not", "the archive is "
                         "signed ('%s'); vxl does not verify the signature",
                         e.name);
        }
        index++;
    }
    tar_reader_free(t);
    if (rc < 0)
        return rc;
    if (!s->main) {
        vxl_diag_add(d, VXL_ERROR, s->path, 0, 0, "an OVA is a tar archive "
                     "with an .ovf descriptor and its disks",
                     "no .ovf descriptor in the archive");
        return -EINVAL;
    }
    return 0;
}

static bool is_meta(const char *name)
{
    return !strchr(name, '/') &&
           (ends_with_ci(name, ".mf") || ends_with_ci(name, ".cert"));
}

/* Parse the manifest and match it with the members. */
static int check_manifest(struct vimport_source *s, struct ova_priv *p,
                          const char *text, size_t len, const char *mf_name,
                          vxl_diags *d)
{
    char *where = xasprintf("%s:%s", s->path, mf_name);
    int rc = vmanifest_parse(text, len, where, &p->mf, d);
    free(where);
    if (rc < 0)
        return rc;
    if (!vmf_available()) {
        vxl_diag_add(d, VXL_ERROR, s->path, 0, 0, "rebuild vxl with "
                     "nettle-dev installed", "cannot verify the manifest "
                     "'%s': this vxl was built without a digest library",
                     mf_name);
        return -ENOTSUP;
    }
    p->has_mf = true;
    for (size_t i = 0; i < p->mf.n; i++) {
        struct ova_member *m = find_member(p, p->mf.v[i].file);
        if (m)
            m->mf = &p->mf.v[i];
        else
            vxl_diag_add(d, VXL_WARNING, s->path, 0, 0, NULL, "the manifest "
                         "'%s' lists '%s' (line %d), which is not in the "
                         "archive", mf_name, p->mf.v[i].file,
                         p->mf.v[i].line);
    }
    for (size_t i = 0; i < p->n; i++)
        if (!p->m[i].mf && !is_meta(p->m[i].name))
            vxl_diag_add(d, VXL_WARNING, s->path, 0, 0, NULL, "'%s' is not "
                         "listed in the manifest '%s'; it is not verified",
                         p->m[i].name, mf_name);
    /* the descriptor is in memory: verify it now */
    struct ova_member *m = find_member(p, s->main);
    if (m && m->mf) {
        struct vmf_hash *h = vmf_hash_new(m->mf->alg);
        vmf_hash_update(h, p->ovf, p->ovf_len);
        uint8_t got[VMF_MAX_DIGEST];
        vmf_hash_final(h, got);
        if (!check_digest(m, got)) {
            char msg[512];
            mismatch_msg(m, got, msg, sizeof(msg));
            vxl_diag_add(d, VXL_ERROR, s->path, 0, 0, "the archive was "
                         "changed or damaged after it was made", "%s", msg);
            return -EINVAL;
        }
    }
    return 0;
}

int vimport_ova_open(const char *path, struct vimport_source **out,
                     vxl_diags *d)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        vxl_diag_add(d, VXL_ERROR, path, 0, 0, NULL, "%s", strerror(e));
        return -e;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        vxl_diag_add(d, VXL_ERROR, path, 0, 0, "save the archive to a file "
                     "first and import that", "not a regular file: an OVA is "
                     "read in place (its disks by offset), which needs a "
                     "seekable file, not a pipe or a device");
        return -EINVAL;
    }
    struct vimport_source *s = xcalloc(1, sizeof(*s));
    struct ova_priv *p = xcalloc(1, sizeof(*p));
    p->fd = fd;
    p->fsize = (uint64_t)st.st_size;
    s->ops = &ova_ops;
    s->kind = VIMPORT_SRC_OVA;
    s->path = xstrdup(path);
    s->priv = p;
    char *mf_text = NULL, *mf_name = NULL;
    size_t mf_len = 0;
    int rc = scan(s, p, &mf_text, &mf_len, &mf_name, d);
    if (rc == 0 && mf_name)
        rc = check_manifest(s, p, mf_text, mf_len, mf_name, d);
    else if (rc == 0)
        vxl_diag_add(d, VXL_NOTE, path, 0, 0, NULL, "the archive has no "
                     "manifest (.mf): its files are not verified");
    free(mf_text);
    free(mf_name);
    if (rc < 0) {
        vimport_source_close(s);
        return rc;
    }
    s->nmembers = p->n;
    s->members = xcalloc(p->n ? p->n : 1, sizeof(*s->members));
    for (size_t i = 0; i < p->n; i++)
        s->members[i] = (struct vimport_member){ p->m[i].name, p->m[i].size };
    *out = s;
    return 0;
}

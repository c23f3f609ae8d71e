/* disk/vmdk-write.c — VMDK create and writes.
 *
 * Create, as qemu-img does with -o subformat=: monolithicSparse (the
 * default) and streamOptimized are one sparse file with an embedded
 * descriptor, redundant and primary grain directories and preallocated
 * grain tables (QEMU's layout; streamOptimized grains are deflated behind
 * grain markers and an end-of-stream marker closes the file);
 * monolithicFlat and twoGbMaxExtentFlat/Sparse are a descriptor file plus
 * "<name>-flat.vmdk", "<name>-fNNN.vmdk" or "<name>-sNNN.vmdk" extents.
 *
 * Writes: flat extents in place; sparse extents append whole grains at
 * the end of the extent file and update both grain tables; compressed
 * (stream) extents take each grain once — a partial grain waits in a
 * buffer until the write moves on or the image is closed. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "common/util.h"
#include "disk/compress.h"
#include "disk/vmdk.h"

#define GRAIN_SEC   128u
#define GTES        512u
#define TWOGB       (0x7fff0000ull / 512)   /* sectors per 2 GB extent */

struct vmdk_wstate {
    /* pending partial grain of a compressed extent */
    struct vmdk_extent *pe;
    uint64_t pgrain;            /* grain index in that extent */
    uint8_t *pbuf;
    uint64_t *ends;             /* per extent: next free byte */
};

/* ---- create ------------------------------------------------------------ */

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* `parent`: the parent's CID and name line for a delta link (qemu's
 * "parentFileNameHint=..." after createType), or NULL. */
struct vmdk_parent {
    uint32_t cid;
    const char *hint;
};

static char *make_desc(const struct vdisk_create_opts *o, const char *type,
                       const char *extents, const struct vmdk_parent *parent)
{
    const char *adapter = o->adapter_type ? o->adapter_type : "ide";
    unsigned heads = strcmp(adapter, "ide") ? 255 : 16;
    uint64_t cyl = o->size / 512 / (heads * 63);   /* as qemu-img */
    if (cyl > 16383)
        cyl = 16383;
    /* qemu's template: the parent line (no newline of its own) takes the
     * place of the blank line before "# Extent description" */
    char *plink = parent ? xasprintf("parentFileNameHint=\"%s\"",
                                     parent->hint) : xstrdup("");
    uint32_t cid;               /* random; never 0xffffffff ("no parent") */
    do
        vd_random(&cid, sizeof(cid));
    while (cid == 0xffffffffu);
    char *d = xasprintf("# Disk DescriptorFile\n"
                     "version=1\n"
                     "CID=%x\n"
                     "parentCID=%x\n"
                     "createType=\"%s\"\n"
                     "%s"
                     "\n"
                     "# Extent description\n"
                     "%s"
                     "\n"
                     "# The Disk Data Base\n"
                     "#DDB\n"
                     "\n"
                     "ddb.virtualHWVersion = \"%d\"\n"
                     "ddb.geometry.cylinders = \"%llu\"\n"
                     "ddb.geometry.heads = \"%u\"\n"
                     "ddb.geometry.sectors = \"63\"\n"
                     "ddb.adapterType = \"%s\"\n"
                     "ddb.toolsVersion = \"2147483647\"\n",
                     cid,
                     parent ? parent->cid : 0xffffffffu, type, plink, extents,
                     o->hwversion ? o->hwversion : 4,
                     (unsigned long long)cyl, heads, adapter);
    free(plink);
    return d;
}

/* The parent of a delta link: it must open as a VMDK (as qemu-img
 * checks); its CID goes into the child's parentCID.  A relative name
 * resolves against the directory the image will have (`name`: its final
 * name, not convert's temporary one). */
static int read_parent(const char *name, const struct vdisk_create_opts *o,
                       uint32_t *cid, struct vdisk_err *err)
{
    char *bp = vd_resolve_relative(name, o->backing_file);
    struct vdisk_open_opts bo = { .format = o->backing_format,
                                  .flags = VDISK_NO_BACKING };
    struct vdisk *b;
    int rc = vdisk_open(bp, &bo, &b, err);
    free(bp);
    if (rc < 0)
        return vdisk_err_prefix(err, "could not open backing file: ");
    if (strcmp(vdisk_format(b), "vmdk")) {
        vdisk_close(b, NULL);
        return vdisk_err_set(err, EINVAL, "backing_file must be a vmdk "
                             "image");
    }
    *cid = ((struct vmdk *)vdisk_priv(b))->cid;
    vdisk_close(b, NULL);
    return 0;
}

/* Write a sparse extent file of `cap` sectors; `desc` (may be NULL) is
 * embedded. */
static int write_sparse(const char *path, uint64_t cap, bool stream,
                        bool zeroed, const char *desc, struct vdisk_err *err)
{
    uint64_t per_gt = (uint64_t)GRAIN_SEC * GTES;
    uint64_t gd_n = (cap + per_gt - 1) / per_gt;
    uint64_t gd_sec = (gd_n * 4 + 511) / 512;
    uint64_t desc_sec = desc ? 20 : 0;
    if (desc && strlen(desc) > desc_sec * 512)
        return vdisk_err_set(err, EINVAL, "'%s': descriptor too long", path);
    uint64_t rgd = 1 + desc_sec, rgt = rgd + gd_sec;
    uint64_t gd = rgt + gd_n * 4, gt = gd + gd_sec;
    uint64_t over = (gt + gd_n * 4 + GRAIN_SEC - 1) / GRAIN_SEC * GRAIN_SEC;
    if (gd_n * 4 > VMDK_MAX_GD_BYTES)
        return vdisk_err_set(err, EFBIG, "'%s': image too large", path);
    uint8_t h[512] = {0};
    put_le32(h, VMDK4_MAGIC);
    put_le32(h + 4, stream ? 3 : zeroed ? 2 : 1);
    uint32_t flags = VMDK4_FLAG_NL_DETECT | VMDK4_FLAG_RGD;
    if (zeroed)
        flags |= VMDK4_FLAG_ZERO_GRAIN;
    if (stream)
        flags |= VMDK4_FLAG_COMPRESS | VMDK4_FLAG_MARKER;
    put_le32(h + 8, flags);
    put_le64(h + 12, cap);
    put_le64(h + 20, GRAIN_SEC);
    put_le64(h + 28, desc ? 1 : 0);
    put_le64(h + 36, desc_sec);
    put_le32(h + 44, GTES);
    put_le64(h + 48, rgd);
    put_le64(h + 56, gd);
    put_le64(h + 64, over);
    h[73] = '\n'; h[74] = ' '; h[75] = '\r'; h[76] = '\n';
    put_le16(h + 77, stream ? 1 : 0);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return vdisk_err_set(err, errno, "could not create '%s': %s", path,
                             strerror(errno));
    size_t meta = (size_t)(gt + gd_n * 4) * 512;
    uint8_t *m = xcalloc(1, meta);
    memcpy(m, h, 512);
    if (desc)
        memcpy(m + 512, desc, strlen(desc));
    for (uint64_t i = 0; i < gd_n; i++) {
        put_le32(m + rgd * 512 + i * 4, (uint32_t)(rgt + i * 4));
        put_le32(m + gd * 512 + i * 4, (uint32_t)(gt + i * 4));
    }
    int rc = vd_pwrite_fd(fd, m, meta, 0, path, err);
    free(m);
    if (rc == 0 && ftruncate(fd, (off_t)(over * 512)) < 0)
        rc = vdisk_err_set(err, errno, "'%s': %s", path, strerror(errno));
    if (rc == 0 && stream) {
        uint8_t eos[512] = {0};     /* end-of-stream marker */
        rc = vd_pwrite_fd(fd, eos, 512, over * 512, path, err);
    }
    if (close(fd) < 0 && rc == 0)
        rc = vdisk_err_set(err, errno, "'%s': %s", path, strerror(errno));
    return rc;
}

static int write_text(const char *path, const char *text,
                      struct vdisk_err *err)
{
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return vdisk_err_set(err, errno, "could not create '%s': %s", path,
                             strerror(errno));
    int rc = vd_pwrite_fd(fd, text, strlen(text), 0, path, err);
    if (close(fd) < 0 && rc == 0)
        rc = vdisk_err_set(err, errno, "'%s': %s", path, strerror(errno));
    return rc;
}

static int make_flat(const char *path, uint64_t bytes, struct vdisk_err *err)
{
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return vdisk_err_set(err, errno, "could not create '%s': %s", path,
                             strerror(errno));
    int rc = 0;
    if (ftruncate(fd, (off_t)bytes) < 0)
        rc = vdisk_err_set(err, errno, "'%s': %s", path, strerror(errno));
    if (close(fd) < 0 && rc == 0)
        rc = vdisk_err_set(err, errno, "'%s': %s", path, strerror(errno));
    return rc;
}

/* An extent of the image that will be called `final`, created next to
 * `path` (the name being created now): *file is the name the descriptor
 * records, qemu-img's: final's base name with the suffix put before its
 * last dot ("a.vmdk" -> "a-s001.vmdk", "a.img" -> "a-s001.img", "a" ->
 * "a-s001"); the result is that file's path beside `path`. */
static char *extent_path(const char *path, const char *final,
                         const char *suffix, char **file)
{
    const char *b = base_name(final);
    const char *dot = strrchr(b, '.');
    size_t stem = dot ? (size_t)(dot - b) : strlen(b);
    *file = xasprintf("%.*s%s%s", (int)stem, b, suffix, dot ? dot : "");
    const char *pb = base_name(path);
    return xasprintf("%.*s%s", (int)(pb - path), path, *file);
}

int vmdk_create(const char *path, const struct vdisk_create_opts *o,
                struct vdisk_err *err)
{
    const char *sf = o->subformat ? o->subformat : "monolithicSparse";
    /* the name the image will have: convert builds it under a temporary
     * name (a monolithic file) or in a temporary directory (several
     * files); the descriptor and the parent's resolution use this one */
    const char *final = o->final_name ? o->final_name : path;
    struct vmdk_parent parent, *pp = NULL;
    /* qemu-img's order: backing format, adapter type, subformat, then
     * the option combinations a flat layout can't have, then the parent */
    if (o->backing_file && o->backing_format &&
        strcmp(o->backing_format, "vmdk"))
        return vdisk_err_set(err, EINVAL, "backing_file must be a vmdk "
                             "image");
    if (o->adapter_type && strcmp(o->adapter_type, "ide") &&
        strcmp(o->adapter_type, "buslogic") &&
        strcmp(o->adapter_type, "lsilogic") &&
        strcmp(o->adapter_type, "legacyESX"))
        return vdisk_err_set(err, EINVAL, "invalid parameter value: %s",
                             o->adapter_type);
    bool stream = !strcmp(sf, "streamOptimized");
    bool flat1 = !strcmp(sf, "monolithicFlat");
    bool f2g = !strcmp(sf, "twoGbMaxExtentFlat");
    bool s2g = !strcmp(sf, "twoGbMaxExtentSparse");
    if (!stream && !flat1 && !f2g && !s2g && strcmp(sf, "monolithicSparse"))
        return vdisk_err_set(err, EINVAL, "invalid parameter value: %s", sf);
    if ((o->set & VDISK_OPT_COMPAT6) && (o->set & VDISK_OPT_HWVERSION))
        return vdisk_err_set(err, EINVAL, "compat6 cannot be enabled with "
                             "hwversion set");
    if ((flat1 || f2g) && o->backing_file)
        return vdisk_err_set(err, ENOTSUP, "Flat image can't have backing "
                             "file");
    if ((flat1 || f2g) && o->zeroed_grain)
        return vdisk_err_set(err, ENOTSUP, "Flat image can't enable zeroed "
                             "grain");
    if (o->backing_file) {
        int prc = read_parent(final, o, &parent.cid, err);
        if (prc < 0)
            return prc;
        parent.hint = o->backing_file;
        pp = &parent;
    }
    uint64_t cap = o->size / 512;
    if (cap > VMDK_MAX_SECTORS)
        return vdisk_err_set(err, EFBIG, "'%s': image too large", path);
    if (!flat1 && !f2g && !s2g) {
        /* the file names itself by its final name (convert's temp) */
        char *file = xstrdup(base_name(final));
        char *line = xasprintf("RW %llu SPARSE \"%s\"\n",
                               (unsigned long long)cap, file);
        char *desc = make_desc(o, sf, line, pp);
        int rc = write_sparse(path, cap, stream, o->zeroed_grain, desc, err);
        free(desc);
        free(line);
        free(file);
        return rc;
    }
    strbuf lines = {0};
    sb_puts(&lines, "");
    int rc = 0;
    uint64_t left = cap;
    for (int i = 1; rc == 0 && (left > 0 || i == 1); i++) {
        uint64_t n = flat1 ? left : left < TWOGB ? left : TWOGB;
        char suffix[16];
        if (flat1)
            snprintf(suffix, sizeof(suffix), "-flat");
        else
            snprintf(suffix, sizeof(suffix), "-%c%03d", f2g ? 'f' : 's', i);
        char *file;
        char *ep = extent_path(path, final, suffix, &file);
        if (s2g)
            rc = write_sparse(ep, n, false, o->zeroed_grain, NULL, err);
        else
            rc = make_flat(ep, n * 512, err);
        sb_printf(&lines, "RW %llu %s \"%s\"%s\n", (unsigned long long)n,
                  s2g ? "SPARSE" : "FLAT", file, s2g ? "" : " 0");
        free(ep);
        free(file);
        left -= n;
        if (i > VMDK_MAX_EXTENTS)
            rc = vdisk_err_set(err, EFBIG, "'%s': too many extents", path);
    }
    if (rc == 0) {
        char *desc = make_desc(o, sf, lines.s, pp);
        rc = write_text(path, desc, err);
        free(desc);
    }
    sb_free(&lines);
    return rc;
}

/* ---- writes ------------------------------------------------------------ */

int vmdk_write_open(struct vdisk *d, struct vdisk_err *err)
{
    struct vmdk *s = vdisk_priv(d);
    struct vmdk_wstate *w = xcalloc(1, sizeof(*w));
    w->ends = xcalloc(s->next ? s->next : 1, sizeof(*w->ends));
    for (size_t i = 0; i < s->next; i++) {
        struct vmdk_extent *e = &s->ext[i];
        if (e->kind == VX_COWD || e->kind == VX_SESPARSE) {
            free(w->ends);
            free(w);
            return vdisk_err_set(err, ENOTSUP, "'%s': writing %s extents is "
                                 "not supported", e->path,
                                 e->kind == VX_COWD ? "VMFS sparse (COWD)"
                                                    : "seSparse");
        }
        uint64_t end = (e->fsize + 511) / 512 * 512;
        if (e->kind == VX_SPARSE && e->compressed && end >= 512) {
            /* append over a trailing end-of-stream marker */
            uint8_t t[512];
            static const uint8_t z[512];
            if (vd_pread_exact(e->fd, t, 512, end - 512, e->path, err) == 0 &&
                !memcmp(t, z, 512))
                end -= 512;
        }
        w->ends[i] = end;
    }
    s->w = w;
    d->compress_writes = s->stream;
    return 0;
}

/* Point grain g at host sector val.  The change goes into the cached
 * grain table and reaches the file (both copies) when another table is
 * loaded, at flush or at close: one write per 512 grains, not two per
 * grain. */
static int set_gte(struct vdisk *d, struct vmdk_extent *e, uint64_t g,
                   uint32_t val, struct vdisk_err *err)
{
    uint64_t gdi = g / e->gtes, k = g % e->gtes;
    if (!e->gd[gdi])
        return vdisk_err_set(err, ENOTSUP, "'%s': grain table %llu is not "
                             "allocated (writing such images is not "
                             "supported)", e->path, (unsigned long long)gdi);
    uint32_t old;
    int rc = vmdk_gte(d, e, g * e->grain_sec, &old, err);   /* loads it */
    if (rc < 0)
        return rc;
    if (e->gt_idx != gdi)
        return vdisk_err_set(err, EIO, "'%s': grain table %llu not loaded",
                             e->path, (unsigned long long)gdi);
    e->gt[k] = val;
    e->gt_dirty = true;
    return 0;
}

static int gt_writeback_all(struct vmdk *s, struct vdisk_err *err)
{
    for (size_t i = 0; i < s->next; i++) {
        int rc = vmdk_gt_writeback(&s->ext[i], err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static size_t ext_index(struct vmdk *s, struct vmdk_extent *e)
{
    return (size_t)(e - s->ext);
}

/* Store a compressed grain (cdata) for grain g of extent e. */
static int put_compressed(struct vdisk *d, struct vmdk_extent *e, uint64_t g,
                          const void *cdata, size_t clen,
                          struct vdisk_err *err)
{
    struct vmdk *s = vdisk_priv(d);
    uint64_t *end = &s->w->ends[ext_index(s, e)];
    size_t tot = (12 + clen + 511) / 512 * 512;
    uint8_t *b = xcalloc(1, tot);
    put_le64(b, g * e->grain_sec);
    put_le32(b + 8, (uint32_t)clen);
    memcpy(b + 12, cdata, clen);
    uint64_t at = *end;
    e->ra_len = 0;              /* the read-ahead copy may cover `at` */
    int rc = vd_pwrite_fd(e->fd, b, tot, at, e->path, err);
    free(b);
    if (rc == 0 && at / 512 > UINT32_MAX)
        rc = vdisk_err_set(err, EFBIG, "'%s': extent file too large",
                           e->path);
    if (rc == 0)
        rc = set_gte(d, e, g, (uint32_t)(at / 512), err);
    if (rc == 0) {
        *end = at + tot;
        if (*end > e->fsize)
            e->fsize = *end;
    }
    return rc;
}

/* zlib-format (RFC 1950) deflate of one grain, as VMware and QEMU write. */
static int deflate_grain(const void *in, size_t n, size_t gbytes, void *out,
                         size_t cap, size_t *olen)
{
    const uint8_t *src = in;
    uint8_t *tmp = NULL;
    if (n < gbytes) {                   /* a short last grain: zero-pad */
        tmp = xcalloc(1, gbytes);
        memcpy(tmp, in, n);
        src = tmp;
    }
    /* libdeflate level 6 when ISA-L is not used */
    size_t l = vd_deflate(VD_DEFLATE_ZLIB, 6, src, gbytes, out, cap);
    free(tmp);
    if (l == 0)
        return -1;          /* does not fit in cap, or the codec failed */
    *olen = l;
    return 0;
}

static int write_stream_grain(struct vdisk *d, struct vmdk_extent *e,
                              uint64_t g, const uint8_t *data,
                              struct vdisk_err *err)
{
    size_t gbytes = (size_t)e->grain_sec * 512;
    size_t cap = compressBound((uLong)gbytes);
    uint8_t *c = xmalloc(cap);
    size_t clen;
    int rc;
    if (deflate_grain(data, gbytes, gbytes, c, cap, &clen) < 0)
        rc = vdisk_err_set(err, EIO, "'%s': deflate failed", e->path);
    else
        rc = put_compressed(d, e, g, c, clen, err);
    free(c);
    return rc;
}

static int flush_pending(struct vdisk *d, struct vdisk_err *err)
{
    struct vmdk_wstate *w = ((struct vmdk *)vdisk_priv(d))->w;
    if (!w || !w->pe)
        return 0;
    struct vmdk_extent *e = w->pe;
    w->pe = NULL;
    return write_stream_grain(d, e, w->pgrain, w->pbuf, err);
}

static int write_sparse_grain(struct vdisk *d, struct vmdk_extent *e,
                              const uint8_t *p, size_t len, uint64_t eo,
                              struct vdisk_err *err)
{
    struct vmdk *s = vdisk_priv(d);
    struct vmdk_wstate *w = s->w;
    uint64_t gbytes = (uint64_t)e->grain_sec * 512;
    uint64_t g = eo / gbytes, go = eo % gbytes;
    uint32_t gte;
    if (g * e->grain_sec >= e->capacity)
        return vdisk_err_set(err, EIO, "'%s': write beyond the extent's "
                             "capacity", e->path);
    if (e->compressed) {
        if (w->pe == e && w->pgrain == g) {
            memcpy(w->pbuf + go, p, len);
            return 0;
        }
        int rc = flush_pending(d, err);
        if (rc == 0)
            rc = vmdk_gte(d, e, eo / 512, &gte, err);
        if (rc < 0)
            return rc;
        if (gte > 1)
            return vdisk_err_set(err, ENOTSUP, "'%s': grain %llu of a "
                                 "compressed (streamOptimized) image is "
                                 "already written", e->path,
                                 (unsigned long long)g);
        if (len == gbytes)
            return write_stream_grain(d, e, g, p, err);
        if (!w->pbuf)
            w->pbuf = xmalloc(gbytes);
        memset(w->pbuf, 0, gbytes);
        if (gte == 0 && d->backing) {
            rc = vd_read_backing(d, w->pbuf, gbytes,
                                 e->start * 512 + g * gbytes, err);
            if (rc < 0)
                return rc;
        }
        memcpy(w->pbuf + go, p, len);
        w->pe = e;
        w->pgrain = g;
        return 0;
    }
    int rc = vmdk_gte(d, e, eo / 512, &gte, err);
    if (rc < 0)
        return rc;
    if (gte > 1)
        return vd_pwrite_fd(e->fd, p, len, (uint64_t)gte * 512 + go, e->path,
                            err);
    /* allocate a whole grain at the end */
    uint8_t *buf = NULL;
    if (len < gbytes) {
        buf = xcalloc(1, gbytes);
        if (gte == 0 && d->backing)
            rc = vd_read_backing(d, buf, gbytes, e->start * 512 + g * gbytes,
                                 err);
        memcpy(buf + go, p, len);
    }
    uint64_t *end = &w->ends[ext_index(s, e)];
    uint64_t at = *end;
    if (rc == 0)
        rc = vd_pwrite_fd(e->fd, buf ? buf : p, gbytes, at, e->path, err);
    free(buf);
    if (rc == 0 && at / 512 > UINT32_MAX)
        rc = vdisk_err_set(err, EFBIG, "'%s': extent file too large",
                           e->path);
    if (rc == 0)
        rc = set_gte(d, e, g, (uint32_t)(at / 512), err);
    if (rc == 0) {
        *end = at + gbytes;
        if (*end > e->fsize)
            e->fsize = *end;
    }
    return rc;
}

static struct vmdk_extent *extent_at(struct vmdk *s, uint64_t sec)
{
    for (size_t lo = 0, hi = s->next; lo < hi;) {
        size_t mid = lo + (hi - lo) / 2;
        struct vmdk_extent *e = &s->ext[mid];
        if (sec < e->start)
            hi = mid;
        else if (sec >= e->start + e->sectors)
            lo = mid + 1;
        else
            return e;
    }
    return NULL;
}

int vmdk_pwrite(struct vdisk *d, const void *buf, size_t n, uint64_t off,
                struct vdisk_err *err)
{
    struct vmdk *s = vdisk_priv(d);
    const uint8_t *p = buf;
    while (n > 0) {
        struct vmdk_extent *e = extent_at(s, off / 512);
        if (!e)
            return vdisk_err_set(err, EIO, "'%s': no extent covers offset "
                                 "%llu", d->filename,
                                 (unsigned long long)off);
        uint64_t eo = off - e->start * 512;
        uint64_t left = e->sectors * 512 - eo;
        size_t len = left < n ? (size_t)left : n;
        int rc = 0;
        if (e->kind == VX_FLAT) {
            rc = vd_pwrite_fd(e->fd, p, len, e->flat_off + eo, e->path, err);
        } else if (e->kind == VX_ZERO) {
            rc = vdisk_err_set(err, EROFS, "'%s': cannot write to a ZERO "
                               "extent", d->filename);
        } else {
            uint64_t gbytes = (uint64_t)e->grain_sec * 512;
            size_t k = 0;
            while (k < len && rc == 0) {
                size_t l = gbytes - (eo + k) % gbytes;
                if (l > len - k)
                    l = len - k;
                rc = write_sparse_grain(d, e, p + k, l, eo + k, err);
                k += l;
            }
        }
        if (rc < 0)
            return rc;
        p += len;
        off += len;
        n -= len;
    }
    return 0;
}

int vmdk_pwrite_zeroes(struct vdisk *d, uint64_t off, uint64_t len,
                       unsigned flags, struct vdisk_err *err)
{
    struct vmdk *s = vdisk_priv(d);
    if (d->backing)
        return -ENOTSUP;
    /* zeros over unallocated sparse grains are already zeros */
    uint64_t end = off + len;
    while (off < end) {
        struct vmdk_extent *e = extent_at(s, off / 512);
        if (!e || (e->kind != VX_SPARSE && e->kind != VX_ZERO))
            return -ENOTSUP;
        uint64_t eo = off - e->start * 512;
        uint64_t step = e->sectors * 512 - eo;
        if (e->kind == VX_SPARSE) {
            uint32_t gte;
            int rc = vmdk_gte(d, e, eo / 512, &gte, err);
            if (rc < 0)
                return rc;
            struct vmdk_wstate *w = s->w;
            uint64_t gbytes = (uint64_t)e->grain_sec * 512;
            if (gte > 1 || (w->pe == e && w->pgrain == eo / gbytes))
                return -ENOTSUP;        /* the core writes zero bytes */
            step = gbytes - eo % gbytes;
        }
        off += step;
    }
    return 0;
}

int vmdk_flush(struct vdisk *d, struct vdisk_err *err)
{
    struct vmdk *s = vdisk_priv(d);
    int rc = flush_pending(d, err);
    if (rc == 0)
        rc = gt_writeback_all(s, err);
    for (size_t i = 0; i < s->next && rc == 0; i++)
        if (s->ext[i].fd >= 0 && fdatasync(s->ext[i].fd) < 0)
            rc = vdisk_err_set(err, errno, "'%s': flush failed: %s",
                               s->ext[i].path, strerror(errno));
    return rc;
}

int vmdk_write_close(struct vdisk *d, struct vdisk_err *err)
{
    struct vmdk *s = vdisk_priv(d);
    struct vmdk_wstate *w = s->w;
    int rc = flush_pending(d, err);
    int r0 = gt_writeback_all(s, err);
    if (rc == 0)
        rc = r0;
    for (size_t i = 0; i < s->next; i++) {
        struct vmdk_extent *e = &s->ext[i];
        if (e->kind != VX_SPARSE || !e->compressed)
            continue;
        uint8_t eos[512] = {0};
        int r = vd_pwrite_fd(e->fd, eos, 512, w->ends[i], e->path, err);
        if (r == 0 && ftruncate(e->fd, (off_t)(w->ends[i] + 512)) < 0)
            r = vdisk_err_set(err, errno, "'%s': %s", e->path,
                              strerror(errno));
        if (rc == 0)
            rc = r;
    }
    free(w->pbuf);
    free(w->ends);
    free(w);
    s->w = NULL;
    return rc;
}

/* ---- compressed writes (convert -c, streamOptimized) -------------------- */

int vmdk_compress(const struct vdisk *d, const void *in, size_t n,
                  void *out, size_t out_cap, size_t *out_len,
                  struct vdisk_err *err)
{
    struct vmdk *s = vdisk_priv(d);
    if (!s->stream)
        return vdisk_err_set(err, ENOTSUP, "'%s': compression needs "
                             "subformat=streamOptimized", d->filename);
    size_t clen;
    /* a stream grain is stored deflated even when deflate makes it larger
     * (vdisk_compresses_writes); 0 only when out_cap is too small */
    if (deflate_grain(in, n, d->cluster_size, out, out_cap, &clen) < 0) {
        *out_len = 0;           /* the caller writes it (vmdk_pwrite) */
        return 0;
    }
    *out_len = clen;
    return 0;
}

int vmdk_write_compressed(struct vdisk *d, uint64_t off, const void *cdata,
                          size_t clen, struct vdisk_err *err)
{
    struct vmdk *s = vdisk_priv(d);
    struct vmdk_extent *e = extent_at(s, off / 512);
    if (!e || e->kind != VX_SPARSE || !e->compressed)
        return vdisk_err_set(err, ENOTSUP, "'%s': compressed writes need "
                             "subformat=streamOptimized", d->filename);
    uint64_t eo = off - e->start * 512;
    uint64_t gbytes = (uint64_t)e->grain_sec * 512;
    uint32_t gte;
    int rc = flush_pending(d, err);
    if (rc == 0)
        rc = vmdk_gte(d, e, eo / 512, &gte, err);
    if (rc < 0)
        return rc;
    if (gte > 1)
        return vdisk_err_set(err, ENOTSUP, "'%s': grain at %llu is already "
                             "written", e->path, (unsigned long long)off);
    return put_compressed(d, e, eo / gbytes, cdata, clen, err);
}

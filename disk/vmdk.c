/* disk/vmdk.c — VMware VMDK images: probe, open (text descriptor or a
 * sparse file with an embedded descriptor), extents (FLAT, ZERO, hosted
 * sparse "KDMV" with redundant GD, compressed grains and stream markers,
 * VMFS sparse "COWD", ESXi seSparse read-only), reads and block status.  Delta links
 * (parentFileNameHint) become the backing file, format "vmdk".  Writes
 * and create live in disk/vmdk-write.c.  See disk/vmdk.h for the extent
 * path policy. */
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

#include "common/util.h"
#include "disk/vmdk.h"

/* ---- probe ------------------------------------------------------------ */

/* A text descriptor: the first line that is neither blank nor a comment
 * is "version=N" (spaces allowed). */
static bool looks_like_descriptor(const uint8_t *h, size_t len)
{
    size_t i = 0;
    while (i < len) {
        size_t e = i;
        while (e < len && h[e] != '\n')
            e++;
        size_t s = i;
        while (s < e && (h[s] == ' ' || h[s] == '\t' || h[s] == '\r'))
            s++;
        if (s < e && h[s] != '#') {
            const char *k = "version";
            size_t kl = strlen(k);
            if (e - s < kl || memcmp(h + s, k, kl))
                return false;
            s += kl;
            while (s < e && (h[s] == ' ' || h[s] == '\t'))
                s++;
            if (s >= e || h[s] != '=')
                return false;
            s++;
            while (s < e && (h[s] == ' ' || h[s] == '\t' || h[s] == '"'))
                s++;
            return s < e && h[s] >= '1' && h[s] <= '3';
        }
        if (e == len)
            return false;           /* line cut by the probe window */
        i = e + 1;
    }
    return false;
}

static int vmdk_probe(const uint8_t *head, size_t len)
{
    if (len >= 4 && (le32(head) == VMDK4_MAGIC || le32(head) == VMDK3_MAGIC))
        return 100;
    if (looks_like_descriptor(head, len))
        return 100;
    return 0;
}

/* ---- extents ---------------------------------------------------------- */

/* Read from an extent's file (or the image's window). */
static int ext_read(const struct vmdk_extent *e, void *buf, size_t n,
                    uint64_t off, bool exact, struct vdisk_err *err)
{
    if (e->win)
        return vd_win_pread(e->win, buf, n, off, exact, e->path, err);
    return exact ? vd_pread_exact(e->fd, buf, n, off, e->path, err)
                 : vd_pread_fd(e->fd, buf, n, off, e->path, err);
}

static void extent_free(struct vmdk_extent *e)
{
    if (e->own_fd && e->fd >= 0)
        close(e->fd);
    free(e->path);
    free(e->gd);
    free(e->rgd);
    free(e->gd64);
    free(e->gt64);
    free(e->gt);
    free(e->dbuf);
    free(e->cbuf);
#ifdef HAVE_LIBDEFLATE
    if (e->inflater)
        libdeflate_free_decompressor(e->inflater);
#endif
}

static void vmdk_free(struct vmdk *s)
{
    for (size_t i = 0; i < s->next; i++)
        extent_free(&s->ext[i]);
    free(s->ext);
    free(s->create_type);
    s->ext = NULL;
    s->next = 0;
}

static int read_gd(struct vmdk_extent *e, uint64_t off_sec, uint32_t **out,
                   struct vdisk_err *err)
{
    uint64_t bytes = (uint64_t)e->gd_n * 4;
    if (off_sec > e->fsize / 512 || bytes > e->fsize - off_sec * 512)
        return vdisk_err_set(err, EINVAL, "'%s': grain directory at sector "
                             "%llu lies outside the file", e->path,
                             (unsigned long long)off_sec);
    uint32_t *gd = xmalloc(bytes ? bytes : 4);
    int rc = ext_read(e, gd, bytes, off_sec * 512, true, err);
    if (rc < 0) {
        free(gd);
        return rc;
    }
    for (uint32_t i = 0; i < e->gd_n; i++)
        gd[i] = le32(&gd[i]);
    *out = gd;
    return 0;
}

/* Common part of KDMV and COWD: sizes, bounds, grain directory. */
static int sparse_setup(struct vmdk_extent *e, struct vdisk_err *err)
{
    if (e->grain_sec == 0 || e->grain_sec > VMDK_MAX_GRAIN)
        return vdisk_err_set(err, EINVAL, "'%s': invalid grain size of %u "
                             "sectors", e->path, e->grain_sec);
    if (e->gtes == 0 || e->gtes > VMDK_MAX_GTES)
        return vdisk_err_set(err, EINVAL, "'%s': invalid grain table size "
                             "of %u entries", e->path, e->gtes);
    if (e->capacity > VMDK_MAX_SECTORS)
        return vdisk_err_set(err, EFBIG, "'%s': capacity of %llu sectors is "
                             "too large", e->path,
                             (unsigned long long)e->capacity);
    uint64_t per_gt = (uint64_t)e->grain_sec * e->gtes;
    uint64_t n = (e->capacity + per_gt - 1) / per_gt;
    if (n * 4 > VMDK_MAX_GD_BYTES)
        return vdisk_err_set(err, EFBIG, "'%s': grain directory of %llu "
                             "entries is too large", e->path,
                             (unsigned long long)n);
    e->gd_n = (uint32_t)n;
    int rc = read_gd(e, e->gd_off, &e->gd, err);
    if (rc < 0 && e->rgd_off) {
        /* fall back to the redundant copy */
        struct vdisk_err e2 = {0};
        if (read_gd(e, e->rgd_off, &e->gd, &e2) == 0)
            rc = 0;
    }
    if (rc < 0)
        return rc;
    if (e->rgd_off && e->rgd_off != e->gd_off) {
        struct vdisk_err e2 = {0};
        if (read_gd(e, e->rgd_off, &e->rgd, &e2) < 0)
            e->rgd = NULL;          /* only the primary is usable */
    }
    e->gt = xmalloc((size_t)e->gtes * 4);
    e->gt_idx = UINT32_MAX;
    return 0;
}

static int open_kdmv(struct vmdk_extent *e, const uint8_t *h,
                     struct vdisk_err *err)
{
    uint32_t version = le32(h + 4), flags = le32(h + 8);
    if (version < 1 || version > 3)
        return vdisk_err_set(err, ENOTSUP, "'%s': unsupported VMDK version "
                             "%u", e->path, version);
    if ((flags & VMDK4_FLAG_NL_DETECT) &&
        (h[73] != '\n' || h[74] != ' ' || h[75] != '\r' || h[76] != '\n'))
        return vdisk_err_set(err, EINVAL, "'%s': header end-of-line bytes "
                             "are damaged (file transferred in text mode?)",
                             e->path);
    uint16_t alg = le16(h + 77);
    if (alg > 1)
        return vdisk_err_set(err, ENOTSUP, "'%s': unknown compression "
                             "algorithm %u", e->path, alg);
    uint64_t gd_off = le64(h + 56);
    uint8_t footer[1536];
    if (gd_off == VMDK_GD_AT_END) {
        /* streamOptimized: the real header is the footer at the end */
        if (e->fsize < 1536 + 512)
            return vdisk_err_set(err, EINVAL, "'%s': invalid footer (file "
                                 "too short)", e->path);
        int rc = ext_read(e, footer, sizeof(footer),
                                e->fsize / 512 * 512 - 1536, true, err);
        if (rc < 0)
            return rc;
        if (le64(footer) != 1 || le32(footer + 8) != 0 ||
            le32(footer + 12) != VMDK_MARKER_FOOTER ||
            le32(footer + 512) != VMDK4_MAGIC ||
            le64(footer + 1024) != 0 || le32(footer + 1032) != 0 ||
            le32(footer + 1036) != VMDK_MARKER_EOS)
            return vdisk_err_set(err, EINVAL, "'%s': invalid footer (the "
                                 "grain directory is at the end but no "
                                 "footer/end-of-stream marker is there)",
                                 e->path);
        h = footer + 512;
        flags = le32(h + 8);
        gd_off = le64(h + 56);
        if (gd_off == VMDK_GD_AT_END)
            return vdisk_err_set(err, EINVAL, "'%s': footer has no grain "
                                 "directory offset", e->path);
    }
    e->kind = VX_SPARSE;
    e->capacity = le64(h + 12);
    uint64_t grain = le64(h + 20);
    e->grain_sec = grain > VMDK_MAX_GRAIN ? 0 : (uint32_t)grain;
    e->gtes = le32(h + 44);
    e->gd_off = gd_off;
    if (flags & VMDK4_FLAG_RGD) {
        e->rgd_off = le64(h + 48);
        if (!e->rgd_off || e->rgd_off == VMDK_GD_AT_END)
            e->rgd_off = 0;
    }
    e->compressed = alg == 1 && (flags & VMDK4_FLAG_COMPRESS);
    e->markers = flags & VMDK4_FLAG_MARKER;
    if (e->grain_sec == 0)
        return vdisk_err_set(err, EINVAL, "'%s': invalid grain size %llu",
                             e->path, (unsigned long long)grain);
    return sparse_setup(e, err);
}

static int open_cowd(struct vmdk_extent *e, const uint8_t *h,
                     struct vdisk_err *err)
{
    e->kind = VX_COWD;
    e->capacity = le32(h + 12);
    e->grain_sec = le32(h + 16);
    e->gd_off = le32(h + 20);
    e->gtes = 4096;
    uint64_t n = le32(h + 24);
    int rc = sparse_setup(e, err);
    if (rc == 0 && n < e->gd_n)
        e->gd_n = (uint32_t)n;      /* the rest reads unallocated */
    return rc;
}

/* seSparse: the const header (sector 0) and the volatile header, then the
 * grain directory.  Field by field as qemu 7.2 checks them (the format has
 * no public specification, so anything unexpected is refused), and every
 * offset and size bounded by the file before it is used. */
static bool all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

static int open_sesparse(struct vmdk_extent *e, const uint8_t *h,
                         struct vdisk_err *err)
{
    e->kind = VX_SESPARSE;
    uint64_t magic = le64(h), version = le64(h + 8);
    uint64_t grain = le64(h + 24), gtsize = le64(h + 32);
    uint64_t flags = le64(h + 40);
    if (magic != SESPARSE_MAGIC)
        return vdisk_err_set(err, EINVAL, "'%s': bad seSparse const header "
                             "magic 0x%016llx", e->path,
                             (unsigned long long)magic);
    if (version != SESPARSE_VERSION)
        return vdisk_err_set(err, ENOTSUP, "'%s': unsupported seSparse "
                             "version 0x%016llx", e->path,
                             (unsigned long long)version);
    if (grain != SESPARSE_GRAIN_SEC)
        return vdisk_err_set(err, ENOTSUP, "'%s': unsupported seSparse grain "
                             "size %llu sectors (only %u)", e->path,
                             (unsigned long long)grain, SESPARSE_GRAIN_SEC);
    if (gtsize != SESPARSE_GT_SEC)
        return vdisk_err_set(err, ENOTSUP, "'%s': unsupported seSparse grain "
                             "table size %llu sectors (only %u)", e->path,
                             (unsigned long long)gtsize, SESPARSE_GT_SEC);
    if (flags)
        return vdisk_err_set(err, ENOTSUP, "'%s': unsupported seSparse flags "
                             "0x%016llx", e->path, (unsigned long long)flags);
    if (!all_zero(h + 48, 32))
        return vdisk_err_set(err, ENOTSUP, "'%s': seSparse reserved fields "
                             "are not zero", e->path);
    if (!all_zero(h + 208, 304))
        return vdisk_err_set(err, ENOTSUP, "'%s': seSparse const header "
                             "padding is not zero", e->path);
    e->capacity = le64(h + 16);
    e->grain_sec = SESPARSE_GRAIN_SEC;
    e->gtes = SESPARSE_GTES;
    if (e->capacity > VMDK_MAX_SECTORS)
        return vdisk_err_set(err, EFBIG, "'%s': capacity of %llu sectors is "
                             "too large", e->path,
                             (unsigned long long)e->capacity);
    uint64_t fsec = e->fsize / 512;
    /* the volatile header: one sector inside the file */
    uint64_t voff = le64(h + 80);
    if (voff >= fsec)
        return vdisk_err_set(err, EINVAL, "'%s': seSparse volatile header at "
                             "sector %llu lies outside the file", e->path,
                             (unsigned long long)voff);
    uint8_t v[512];
    int rc = ext_read(e, v, sizeof(v), voff * 512, true, err);
    if (rc < 0)
        return rc;
    if (le64(v) != SESPARSE_VOL_MAGIC)
        return vdisk_err_set(err, EINVAL, "'%s': bad seSparse volatile header "
                             "magic 0x%016llx", e->path,
                             (unsigned long long)le64(v));
    if (le64(v + 24))
        return vdisk_err_set(err, ENOTSUP, "'%s': seSparse image is dirty "
                             "(its journal needs replaying, which is not "
                             "supported)", e->path);
    if (!all_zero(v + 32, 480))
        return vdisk_err_set(err, ENOTSUP, "'%s': seSparse volatile header "
                             "padding is not zero", e->path);
    /* the grain directory: grain_dir_size sectors of 64-bit entries */
    uint64_t gdoff = le64(h + 128), gdsec = le64(h + 136);
    if (gdsec > VMDK_MAX_GD_BYTES / 512)
        return vdisk_err_set(err, EFBIG, "'%s': seSparse grain directory of "
                             "%llu sectors is too large (limit %u)", e->path,
                             (unsigned long long)gdsec,
                             VMDK_MAX_GD_BYTES / 512);
    if (gdoff > fsec || gdsec > fsec - gdoff)
        return vdisk_err_set(err, EINVAL, "'%s': seSparse grain directory "
                             "(sector %llu, %llu sectors) lies outside the "
                             "file", e->path, (unsigned long long)gdoff,
                             (unsigned long long)gdsec);
    e->gd_off = gdoff;
    e->gd_n = (uint32_t)(gdsec * 512 / 8);
    e->se_gt_off = le64(h + 144);
    e->se_grain_off = le64(h + 192);
    if (e->se_gt_off > VMDK_MAX_SECTORS || e->se_grain_off > VMDK_MAX_SECTORS)
        return vdisk_err_set(err, EINVAL, "'%s': seSparse grain table or "
                             "grain area offset is out of range", e->path);
    e->gd64 = xmalloc(gdsec ? gdsec * 512 : 8);
    rc = ext_read(e, e->gd64, gdsec * 512, gdoff * 512, true, err);
    if (rc < 0)
        return rc;
    for (uint32_t i = 0; i < e->gd_n; i++)
        e->gd64[i] = le64(&e->gd64[i]);
    e->gt64 = xmalloc((size_t)SESPARSE_GTES * 8);
    e->gt_idx = UINT32_MAX;
    return 0;
}

/* Open a sparse extent file (fd already open, e->path set). */
static int open_sparse_file(struct vmdk_extent *e, uint8_t *h512,
                            bool sesparse, struct vdisk_err *err)
{
    if (e->win) {
        e->fsize = e->win->len;
    } else {
        struct stat st;
        if (fstat(e->fd, &st) < 0)
            return vdisk_err_set(err, errno, "'%s': %s", e->path,
                                 strerror(errno));
        e->fsize = (uint64_t)st.st_size;
    }
    if (sesparse && e->fsize < 512)
        return vdisk_err_set(err, EINVAL, "'%s': seSparse extent of %llu "
                             "bytes is too short for its header", e->path,
                             (unsigned long long)e->fsize);
    int rc = ext_read(e, h512, 512, 0, true, err);
    if (rc < 0)
        return rc;
    if (sesparse)
        return open_sesparse(e, h512, err);
    if (le32(h512) == VMDK4_MAGIC)
        return open_kdmv(e, h512, err);
    if (le32(h512) == VMDK3_MAGIC)
        return open_cowd(e, h512, err);
    return vdisk_err_set(err, EINVAL, "'%s': not a VMDK sparse extent (bad "
                         "magic)", e->path);
}

static bool path_is_safe(const char *f)
{
    if (f[0] == '/')
        return false;
    for (const char *p = f; *p;) {
        size_t n = strcspn(p, "/");
        if (n == 2 && p[0] == '.' && p[1] == '.')
            return false;
        p += n;
        if (*p == '/')
            p++;
    }
    return true;
}

static struct vmdk_extent *add_extent(struct vmdk *s)
{
    if ((s->next & (s->next - 1)) == 0)
        s->ext = xreallocarray(s->ext, s->next ? 2 * s->next : 1,
                               sizeof(*s->ext));
    struct vmdk_extent *e = &s->ext[s->next++];
    memset(e, 0, sizeof(*e));
    e->fd = -1;
    e->gt_idx = UINT32_MAX;
    return e;
}

static int open_desc_extent(struct vdisk *d, struct vmdk *s,
                            const struct vmdk_desc_extent *x,
                            uint64_t start, unsigned flags,
                            struct vdisk_err *err)
{
    struct vmdk_extent *e = add_extent(s);
    e->start = start;
    e->sectors = x->sectors;
    const char *t = x->type;
    bool flat = !strcmp(t, "FLAT") || !strcmp(t, "VMFS") ||
                !strcmp(t, "VMFSRAW") || !strcmp(t, "VMFSRDM");
    bool sesparse = !strcmp(t, "SESPARSE");
    bool sparse = !strcmp(t, "SPARSE") || !strcmp(t, "VMFSSPARSE") || sesparse;
    if (!strcmp(t, "ZERO")) {
        e->kind = VX_ZERO;
        return 0;
    }
    if (!flat && !sparse)
        return vdisk_err_set(err, ENOTSUP, "'%s' line %d: unsupported extent "
                             "type '%s'", d->filename, x->line, t);
    if (!(flags & VDISK_ANY_EXTENT_PATH) && !path_is_safe(x->file))
        return vdisk_err_set(err, EPERM, "'%s' line %d: extent file '%s' is "
                             "absolute or leaves the descriptor's directory; "
                             "refusing to open it (only names relative to "
                             "the descriptor are followed)", d->filename,
                             x->line, x->file);
    e->path = vd_resolve_relative(d->filename, x->file);
    int oflags = ((flags & VDISK_RDWR) ? O_RDWR : O_RDONLY) | O_CLOEXEC;
    e->fd = open(e->path, oflags);
    if (e->fd < 0)
        return vdisk_err_set(err, errno, "'%s' line %d: could not open "
                             "extent '%s': %s", d->filename, x->line,
                             e->path, strerror(errno));
    e->own_fd = true;
    struct stat st;
    if (fstat(e->fd, &st) < 0)
        return vdisk_err_set(err, errno, "'%s': %s", e->path,
                             strerror(errno));
    if (!S_ISREG(st.st_mode) &&
        !(S_ISBLK(st.st_mode) && (flags & VDISK_ANY_EXTENT_PATH)))
        return vdisk_err_set(err, EPERM, "'%s' line %d: extent '%s' is not "
                             "a regular file", d->filename, x->line,
                             e->path);
    if (st.st_dev == d->dev && st.st_ino == d->ino && sparse)
        return vdisk_err_set(err, ELOOP, "'%s' line %d: the descriptor names "
                             "itself as a sparse extent", d->filename,
                             x->line);
    if (flat) {
        e->kind = VX_FLAT;
        e->flat_off = x->offset * 512;
        e->fsize = (uint64_t)st.st_size;
        return 0;
    }
    uint8_t h[512];
    int rc = open_sparse_file(e, h, sesparse, err);
    if (rc < 0)
        return vdisk_err_prefix(err, "'%s' line %d: ", d->filename, x->line);
    return 0;
}

static void take_desc_info(struct vdisk *d, struct vmdk *s,
                           struct vmdk_desc *desc)
{
    s->create_type = desc->create_type;
    desc->create_type = NULL;
    s->cid = desc->cid;
    s->parent_cid = desc->parent_cid;
    s->stream = !strcmp(s->create_type, "streamOptimized");
    if (desc->has_parent_cid && desc->parent_cid != UINT32_MAX &&
        desc->parent_hint && *desc->parent_hint) {
        d->backing_name = desc->parent_hint;
        desc->parent_hint = NULL;
        d->backing_fmt = xstrdup("vmdk");
    }
}

static int open_descriptor_file(struct vdisk *d, struct vmdk *s,
                                unsigned flags, struct vdisk_err *err)
{
    struct stat st;
    if (fstat(d->fd, &st) < 0)
        return vdisk_err_set(err, errno, "'%s': %s", d->filename,
                             strerror(errno));
    /* a text descriptor has no control bytes (but may be NUL-padded) */
    char head[4096];
    size_t hl = (uint64_t)st.st_size < sizeof(head) ? (size_t)st.st_size
                                                     : sizeof(head);
    int rc = vd_pread_exact(d->fd, head, hl, 0, d->filename, err);
    if (rc < 0)
        return rc;
    if (hl >= 8 && le64(head) == SESPARSE_MAGIC)
        return vdisk_err_set(err, EINVAL, "'%s': an seSparse extent, not an "
                             "image: open the descriptor that names it",
                             d->filename);
    size_t tl = strnlen(head, hl);
    for (size_t i = 0; i <= tl && i < hl; i++) {
        unsigned char c = i < tl ? (unsigned char)head[i] : 0;
        if ((c < 32 && c != '\t' && c != '\r' && c != '\n' && i < tl) ||
            tl == 0)
            return vdisk_err_set(err, EINVAL, "'%s': not a VMDK image (no "
                                 "sparse extent header and not a text "
                                 "descriptor)", d->filename);
    }
    if ((uint64_t)st.st_size > VMDK_MAX_DESC)
        return vdisk_err_set(err, EFBIG, "'%s': descriptor file of %llu "
                             "bytes is too large (limit %u)", d->filename,
                             (unsigned long long)st.st_size, VMDK_MAX_DESC);
    size_t len = (size_t)st.st_size;
    char *text = xmalloc(len + 1);
    rc = vd_pread_exact(d->fd, text, len, 0, d->filename, err);
    if (rc < 0) {
        free(text);
        return rc;
    }
    struct vmdk_desc desc;
    rc = vmdk_desc_parse(text, len, d->filename, &desc, err);
    free(text);
    if (rc < 0)
        return rc;
    uint64_t start = 0;
    for (size_t i = 0; i < desc.next && rc == 0; i++) {
        rc = open_desc_extent(d, s, &desc.ext[i], start, flags, err);
        start += desc.ext[i].sectors;
        if (start > VMDK_MAX_SECTORS)
            rc = vdisk_err_set(err, EFBIG, "'%s' line %d: total size is too "
                               "large", d->filename, desc.ext[i].line);
    }
    if (rc == 0)
        take_desc_info(d, s, &desc);
    vmdk_desc_free(&desc);
    d->size = start * 512;
    return rc;
}

/* A sparse file opened directly: one extent (the file itself); an
 * embedded descriptor only supplies createType and the parent link. */
static int open_sparse_image(struct vdisk *d, struct vmdk *s,
                             struct vdisk_err *err)
{
    struct vmdk_extent *e = add_extent(s);
    e->fd = d->fd;
    e->win = d->win;
    e->path = xstrdup(d->filename);
    uint8_t h[512];
    int rc = open_sparse_file(e, h, false, err);
    if (rc < 0)
        return rc;
    e->sectors = e->capacity;
    d->size = e->capacity * 512;
    d->cluster_size = e->grain_sec * 512;
    if (e->kind == VX_SPARSE) {
        uint64_t doff = le64(h + 28), dsize = le64(h + 36);
        if (doff && dsize) {
            if (dsize > VMDK_MAX_DESC / 512 || doff > e->fsize / 512 ||
                dsize * 512 > e->fsize - doff * 512)
                return vdisk_err_set(err, EINVAL, "'%s': embedded descriptor "
                                     "(sector %llu, %llu sectors) lies "
                                     "outside the file or is too large",
                                     d->filename, (unsigned long long)doff,
                                     (unsigned long long)dsize);
            char *text = xmalloc(dsize * 512);
            rc = ext_read(e, text, dsize * 512, doff * 512, true, err);
            struct vmdk_desc desc;
            if (rc == 0)
                rc = vmdk_desc_parse(text, dsize * 512, d->filename, &desc,
                                     err);
            free(text);
            if (rc < 0)
                return vdisk_err_prefix(err, "embedded descriptor: ");
            take_desc_info(d, s, &desc);
            vmdk_desc_free(&desc);
        }
    }
    if (!s->create_type)
        s->create_type = xstrdup(e->kind == VX_COWD ? "vmfsSparse"
                                                    : "monolithicSparse");
    if (e->compressed && e->markers)
        s->stream = true;
    return 0;
}

static int vmdk_open(struct vdisk *d, int fd, unsigned flags,
                     struct vdisk_err *err)
{
    struct vmdk *s = vdisk_priv(d);
    uint8_t head[4] = {0};
    int rc = d->win ? vd_win_pread(d->win, head, 4, 0, false, d->filename,
                                   err)
                    : vd_pread_fd(fd, head, 4, 0, d->filename, err);
    if (rc == 0) {
        if (le32(head) == VMDK4_MAGIC || le32(head) == VMDK3_MAGIC)
            rc = open_sparse_image(d, s, err);
        else if (d->win)
            rc = vdisk_err_set(err, ENOTSUP, "'%s': a VMDK text descriptor "
                               "cannot be read in place from inside an "
                               "archive (its extents are separate files)",
                               d->filename);
        else
            rc = open_descriptor_file(d, s, flags, err);
    }
    if (rc == 0) {
        /* cluster size: the first sparse extent's grain */
        for (size_t i = 0; i < s->next && !d->cluster_size; i++)
            if (s->ext[i].kind == VX_SPARSE || s->ext[i].kind == VX_COWD ||
                s->ext[i].kind == VX_SESPARSE)
                d->cluster_size = s->ext[i].grain_sec * 512;
        d->zero_init = !d->backing_name;
    }
    if (rc == 0 && (flags & VDISK_RDWR))
        rc = vmdk_write_open(d, err);
    if (rc < 0) {
        vmdk_free(s);
        if (fd >= 0)
            close(fd);
    }
    return rc;
}

static int vmdk_close(struct vdisk *d, struct vdisk_err *err)
{
    struct vmdk *s = vdisk_priv(d);
    int rc = 0;
    if (s->w)
        rc = vmdk_write_close(d, err);
    vmdk_free(s);
    if (d->fd >= 0)
        close(d->fd);
    return rc;
}

/* ---- lookup and reads --------------------------------------------------- */

static struct vmdk_extent *find_extent(struct vmdk *s, uint64_t sec)
{
    size_t lo = 0, hi = s->next;
    while (lo < hi) {
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

int vmdk_gt_writeback(struct vmdk_extent *e, struct vdisk_err *err)
{
    if (!e->gt_dirty)
        return 0;
    size_t bytes = (size_t)e->gtes * 4;
    uint8_t *b = xmalloc(bytes);
    for (uint32_t i = 0; i < e->gtes; i++)
        put_le32(b + 4 * (size_t)i, e->gt[i]);
    int rc = vd_pwrite_fd(e->fd, b, bytes, (uint64_t)e->gd[e->gt_idx] * 512,
                          e->path, err);
    if (rc == 0 && e->rgd && e->rgd[e->gt_idx])
        rc = vd_pwrite_fd(e->fd, b, bytes, (uint64_t)e->rgd[e->gt_idx] * 512,
                          e->path, err);
    free(b);
    if (rc == 0)
        e->gt_dirty = false;
    return rc;
}

int vmdk_gte(struct vdisk *d, struct vmdk_extent *e, uint64_t sec,
             uint32_t *gte, struct vdisk_err *err)
{
    uint64_t g = sec / e->grain_sec;
    uint64_t gdi = g / e->gtes;
    *gte = 0;
    if (sec >= e->capacity || gdi >= e->gd_n || e->gd[gdi] == 0)
        return 0;
    if (e->gt_idx != gdi) {
        uint64_t off = (uint64_t)e->gd[gdi] * 512;
        uint64_t bytes = (uint64_t)e->gtes * 4;
        if (off > e->fsize || bytes > e->fsize - off) {
            /* try the redundant table before giving up */
            if (e->rgd && e->rgd[gdi] &&
                (uint64_t)e->rgd[gdi] * 512 <= e->fsize - bytes &&
                e->fsize >= bytes)
                off = (uint64_t)e->rgd[gdi] * 512;
            else
                return vdisk_err_set(err, EINVAL, "'%s': grain table %llu at "
                                     "sector %u lies outside the file",
                                     e->path, (unsigned long long)gdi,
                                     e->gd[gdi]);
        }
        int rc = vmdk_gt_writeback(e, err);
        if (rc < 0)
            return rc;
        e->gt_idx = UINT32_MAX;
        rc = ext_read(e, e->gt, bytes, off, true, err);
        if (rc < 0)
            return rc;
        for (uint32_t i = 0; i < e->gtes; i++)
            e->gt[i] = le32(&e->gt[i]);
        e->gt_idx = (uint32_t)gdi;
    }
    *gte = e->gt[g % e->gtes];
    return 0;
}

/* A grain's state: unallocated (read the parent), zero, or data at a
 * host sector of the extent file. */
enum grain_state { G_UNALLOC, G_ZERO, G_DATA };

/* seSparse: the grain holding extent sector `sec`.  A directory entry is
 * 0 (no table) or 0x10000000 in its top half and the table's index in
 * the grain table area in its bottom half; a table entry's top nibble is
 * its state (0 unallocated, and then all zero; 1 unmapped and 2 zero,
 * both read as zeros; 3 allocated), and an allocated entry holds the
 * grain's index in the grain area: its low 12 bits in bits 48-59, the
 * rest in bits 0-47. */
static int se_lookup(struct vmdk_extent *e, uint64_t sec,
                     enum grain_state *st, uint64_t *host,
                     struct vdisk_err *err)
{
    uint64_t g = sec / SESPARSE_GRAIN_SEC;
    uint64_t gdi = g / SESPARSE_GTES;
    *st = G_UNALLOC;
    *host = 0;
    if (sec >= e->capacity)
        return 0;
    if (gdi >= e->gd_n)
        return vdisk_err_set(err, EINVAL, "'%s': sector %llu lies beyond the "
                             "seSparse grain directory (%u entries)", e->path,
                             (unsigned long long)sec, e->gd_n);
    uint64_t de = e->gd64[gdi];
    if (de == 0)
        return 0;
    if ((de >> 32) != 0x10000000u)
        return vdisk_err_set(err, EINVAL, "'%s': seSparse grain directory "
                             "entry %llu is invalid (0x%016llx)", e->path,
                             (unsigned long long)gdi, (unsigned long long)de);
    if (e->gt_idx != gdi) {
        uint64_t off = e->se_gt_off + (de & 0xffffffffu) * SESPARSE_GT_SEC;
        uint64_t bytes = (uint64_t)SESPARSE_GTES * 8;
        /* qemu keeps table offsets in 32 bits of sectors */
        if (off > UINT32_MAX || off > e->fsize / 512 ||
            bytes > e->fsize - off * 512)
            return vdisk_err_set(err, EINVAL, "'%s': seSparse grain table "
                                 "%llu at sector %llu lies outside the file",
                                 e->path, (unsigned long long)gdi,
                                 (unsigned long long)off);
        e->gt_idx = UINT32_MAX;
        int rc = ext_read(e, e->gt64, bytes, off * 512, true, err);
        if (rc < 0)
            return rc;
        for (uint32_t i = 0; i < SESPARSE_GTES; i++)
            e->gt64[i] = le64(&e->gt64[i]);
        e->gt_idx = (uint32_t)gdi;
    }
    uint64_t te = e->gt64[g % SESPARSE_GTES];
    switch (te >> 60) {
    case 0:
        if (te)
            break;
        return 0;
    case 1:                     /* unmapped (SCSI UNMAP) */
    case 2:                     /* zero */
        *st = G_ZERO;
        return 0;
    case 3: {
        uint64_t idx = ((te >> 48) & 0xfff) | ((te & 0xffffffffffffull) << 12);
        if (idx > (VMDK_MAX_SECTORS - e->se_grain_off) / SESPARSE_GRAIN_SEC)
            return vdisk_err_set(err, EINVAL, "'%s': seSparse grain %llu has "
                                 "an out-of-range index %llu", e->path,
                                 (unsigned long long)g,
                                 (unsigned long long)idx);
        *st = G_DATA;
        *host = e->se_grain_off + idx * SESPARSE_GRAIN_SEC;
        return 0;
    }
    }
    return vdisk_err_set(err, EINVAL, "'%s': seSparse grain table entry for "
                         "grain %llu is invalid (0x%016llx)", e->path,
                         (unsigned long long)g, (unsigned long long)te);
}

/* The state of the grain holding extent sector `sec` of a sparse extent
 * (KDMV, COWD or seSparse). */
static int grain_at(struct vdisk *d, struct vmdk_extent *e, uint64_t sec,
                    enum grain_state *st, uint64_t *host,
                    struct vdisk_err *err)
{
    if (e->kind == VX_SESPARSE)
        return se_lookup(e, sec, st, host, err);
    uint32_t gte;
    int rc = vmdk_gte(d, e, sec, &gte, err);
    if (rc < 0)
        return rc;
    *st = gte == 0 ? G_UNALLOC : gte == 1 ? G_ZERO : G_DATA;
    *host = gte;
    return 0;
}

/* Inflate one zlib-format (RFC 1950) grain into out (gbytes), zero-filling
 * what the stream does not cover.  libdeflate (about twice zlib's speed)
 * when built with it; zlib decides whenever libdeflate refuses, so both
 * accept exactly what zlib accepts.  Input may carry trailing bytes. */
static int inflate_grain(struct vmdk_extent *e, const uint8_t *in, size_t clen,
                         uint8_t *out, size_t gbytes)
{
#ifdef HAVE_LIBDEFLATE
    if (!e->inflater)
        e->inflater = libdeflate_alloc_decompressor();
    size_t used, got;
    if (e->inflater &&
        libdeflate_zlib_decompress_ex(e->inflater, in, clen, out, gbytes,
                                      &used, &got) == LIBDEFLATE_SUCCESS) {
        memset(out + got, 0, gbytes - got);
        return 0;
    }
#endif
    z_stream z;
    memset(&z, 0, sizeof(z));
    if (inflateInit(&z) != Z_OK)
        return -1;
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)clen;
    z.next_out = out;
    z.avail_out = (uInt)gbytes;
    int r = inflate(&z, Z_FINISH);
    size_t n = gbytes - z.avail_out;
    inflateEnd(&z);
    if (r != Z_STREAM_END && !(r == Z_BUF_ERROR && z.avail_out == 0))
        return -1;
    memset(out + n, 0, gbytes - n);
    return 0;
}

#define STREAM_READAHEAD (256u << 10)

/* Make file bytes [off, off + n) of a stream extent available in cbuf
 * (n <= cbuf_cap; the caller checked they lie within the file). */
static int stream_window(struct vmdk_extent *e, uint64_t off, size_t n,
                         struct vdisk_err *err)
{
    if (e->ra_len && off >= e->ra_off && off - e->ra_off + n <= e->ra_len)
        return 0;
    size_t want = e->cbuf_cap;
    if (want > e->fsize - off)
        want = (size_t)(e->fsize - off);
    e->ra_len = 0;
    int rc = ext_read(e, e->cbuf, want, off, true, err);
    if (rc < 0)
        return rc;
    e->ra_off = off;
    e->ra_len = want;
    return 0;
}

/* Decompress the grain at host sector gte into out (a whole grain), or
 * into the extent's one-grain cache when out is NULL. */
static int read_compressed(struct vmdk_extent *e, uint32_t gte, uint8_t *out,
                           struct vdisk_err *err)
{
    size_t gbytes = (size_t)e->grain_sec * 512;
    if (!out && e->dbuf && e->dbuf_sec == gte)
        return 0;
    if (!e->cbuf) {
        /* room for a grain that deflate grew, its marker, and read-ahead */
        e->cbuf_cap = 2 * gbytes + 4096;
        if (e->markers && e->cbuf_cap < STREAM_READAHEAD)
            e->cbuf_cap = STREAM_READAHEAD;
        e->cbuf = xmalloc(e->cbuf_cap);
        e->ra_len = 0;
    }
    if (!out) {
        if (!e->dbuf)
            e->dbuf = xmalloc(gbytes);
        e->dbuf_sec = 0;
    }
    uint64_t off = (uint64_t)gte * 512;
    size_t clen;
    const uint8_t *data;
    if (e->markers) {
        /* a stream's grains follow each other: one read brings in the
         * marker and grain and usually the next few grains too */
        if (off >= e->fsize || e->fsize - off < 12)
            return vdisk_err_set(err, EINVAL, "'%s': compressed grain at "
                                 "sector %u runs past the end of the file",
                                 e->path, gte);
        int rc = stream_window(e, off, 12, err);
        if (rc < 0)
            return rc;
        clen = le32(e->cbuf + (off - e->ra_off) + 8);
        if (clen == 0 || clen > gbytes + gbytes / 2)
            return vdisk_err_set(err, EINVAL, "'%s': compressed grain at "
                                 "sector %u has a bad size %zu", e->path,
                                 gte, clen);
        if (clen > e->fsize - off - 12)
            return vdisk_err_set(err, EINVAL, "'%s': compressed grain at "
                                 "sector %u runs past the end of the file",
                                 e->path, gte);
        if ((rc = stream_window(e, off, 12 + clen, err)) < 0)
            return rc;
        data = e->cbuf + (off - e->ra_off) + 12;
    } else {
        clen = e->fsize - off < e->cbuf_cap ? (size_t)(e->fsize - off)
                                            : e->cbuf_cap;
        e->ra_len = 0;
        int rc = ext_read(e, e->cbuf, clen, off, true, err);
        if (rc < 0)
            return rc;
        data = e->cbuf;
    }
    if (inflate_grain(e, data, clen, out ? out : e->dbuf, gbytes) < 0)
        return vdisk_err_set(err, EIO, "'%s': could not decompress the grain "
                             "at sector %u", e->path, gte);
    if (!out)
        e->dbuf_sec = gte;
    return 0;
}

/* Read within one extent; n bytes at extent byte offset `eo`. */
static int read_sparse(struct vdisk *d, struct vmdk_extent *e, uint8_t *p,
                       size_t n, uint64_t eo, uint64_t guest_off,
                       struct vdisk_err *err)
{
    uint64_t gbytes = (uint64_t)e->grain_sec * 512;
    while (n > 0) {
        uint64_t go = eo % gbytes;
        size_t len = gbytes - go < n ? (size_t)(gbytes - go) : n;
        enum grain_state st;
        uint64_t host;
        int rc = grain_at(d, e, eo / 512, &st, &host, err);
        if (rc < 0)
            return rc;
        if (st == G_UNALLOC) {
            rc = vd_read_backing(d, p, len, guest_off, err);
        } else if (st == G_ZERO) {
            memset(p, 0, len);
        } else if (host >= (e->fsize + 511) / 512) {
            rc = vdisk_err_set(err, EINVAL, "'%s': grain at sector %llu lies "
                               "beyond the end of the file", e->path,
                               (unsigned long long)host);
        } else if (e->compressed && len == gbytes) {
            /* whole grain: direct */
            rc = read_compressed(e, (uint32_t)host, p, err);
        } else if (e->compressed) {
            rc = read_compressed(e, (uint32_t)host, NULL, err);
            if (rc == 0)
                memcpy(p, e->dbuf + go, len);
        } else {
            rc = ext_read(e, p, len, host * 512 + go, false, err);
        }
        if (rc < 0)
            return rc;
        p += len;
        n -= len;
        eo += len;
        guest_off += len;
    }
    return 0;
}

static int vmdk_pread(struct vdisk *d, void *buf, size_t n, uint64_t off,
                      struct vdisk_err *err)
{
    struct vmdk *s = vdisk_priv(d);
    uint8_t *p = buf;
    while (n > 0) {
        struct vmdk_extent *e = find_extent(s, off / 512);
        if (!e)
            return vdisk_err_set(err, EIO, "'%s': no extent covers offset "
                                 "%llu", d->filename,
                                 (unsigned long long)off);
        uint64_t eo = off - e->start * 512;
        uint64_t left = e->sectors * 512 - eo;
        size_t len = left < n ? (size_t)left : n;
        int rc = 0;
        switch (e->kind) {
        case VX_ZERO:
            memset(p, 0, len);
            break;
        case VX_FLAT:
            rc = ext_read(e, p, len, e->flat_off + eo, false, err);
            break;
        default:
            rc = read_sparse(d, e, p, len, eo, off, err);
        }
        if (rc < 0)
            return rc;
        p += len;
        off += len;
        n -= len;
    }
    return 0;
}

static unsigned grain_flags(struct vmdk_extent *e, enum grain_state st)
{
    if (st == G_UNALLOC)
        return 0;
    if (st == G_ZERO)
        return VDISK_EXT_ALLOCATED | VDISK_EXT_ZERO;
    if (e->compressed)
        return VDISK_EXT_ALLOCATED | VDISK_EXT_DATA | VDISK_EXT_COMPRESSED;
    return VDISK_EXT_ALLOCATED | VDISK_EXT_DATA | VDISK_EXT_OFFSET;
}

static int vmdk_block_status(struct vdisk *d, uint64_t off, uint64_t len,
                             struct vdisk_extent *ext, struct vdisk_err *err)
{
    struct vmdk *s = vdisk_priv(d);
    struct vmdk_extent *e = find_extent(s, off / 512);
    if (!e)
        return vdisk_err_set(err, EIO, "'%s': no extent covers offset %llu",
                             d->filename, (unsigned long long)off);
    uint64_t eo = off - e->start * 512;
    uint64_t left = e->sectors * 512 - eo;
    if (len > left)
        len = left;
    ext->off = off;
    ext->len = len;
    ext->host_offset = 0;
    if (e->kind == VX_ZERO) {
        ext->flags = VDISK_EXT_ALLOCATED | VDISK_EXT_ZERO;
        return 0;
    }
    if (e->kind == VX_FLAT) {
        ext->flags = VDISK_EXT_ALLOCATED | VDISK_EXT_DATA;
        if (e->fd == d->fd) {
            ext->flags |= VDISK_EXT_OFFSET;
            ext->host_offset = e->flat_off + eo;
        }
        return 0;
    }
    uint64_t gbytes = (uint64_t)e->grain_sec * 512;
    enum grain_state st;
    uint64_t hsec;
    int rc = grain_at(d, e, eo / 512, &st, &hsec, err);
    if (rc < 0)
        return rc;
    unsigned fl = grain_flags(e, st);
    uint64_t host = hsec * 512 + eo % gbytes;
    uint64_t run = gbytes - eo % gbytes;
    /* coalesce following grains with the same status */
    while (run < len) {
        enum grain_state st2;
        uint64_t h2;
        rc = grain_at(d, e, (eo + run) / 512, &st2, &h2, err);
        if (rc < 0)
            return rc;
        if (grain_flags(e, st2) != fl)
            break;
        if ((fl & VDISK_EXT_OFFSET) && h2 * 512 != host + run)
            break;
        run += gbytes;
    }
    ext->len = run < len ? run : len;
    if ((fl & VDISK_EXT_OFFSET) && e->fd == d->fd)
        ext->host_offset = host;
    else
        fl &= ~VDISK_EXT_OFFSET;
    ext->flags = fl;
    return 0;
}

static const char *const vmdk_opts[] = {
    "adapter_type", "backing_file", "backing_fmt", "compat6", "hwversion",
    "size", "subformat", "toolsversion", "zeroed_grain", NULL,
};

/* Length of an extent's file now (a window: its length). */
static int ext_length(const struct vmdk_extent *e, uint64_t *len,
                      struct vdisk_err *err)
{
    if (e->win) {
        *len = e->win->len;
        return 0;
    }
    struct stat st;
    if (fstat(e->fd, &st) < 0)
        return vdisk_err_set(err, errno, "'%s': %s", e->path,
                             strerror(errno));
    *len = (uint64_t)st.st_size;
    return 0;
}

/* qemu-img's VMDK check: grain by grain (a flat extent is one grain),
 * every allocated grain must start inside its extent file; the first
 * problem ends the check, which then fails (qemu: "Check failed").  No
 * repair: -r is ENOTSUP, as in qemu. */
static int vmdk_check(struct vdisk *d, unsigned fix, struct vdisk_check *res,
                      vxl_diags *report, struct vdisk_err *err)
{
    struct vmdk *s = vdisk_priv(d);
    if (fix)
        return vdisk_err_set(err, ENOTSUP, "'%s': vmdk check can't repair",
                             d->filename);
    memset(res, 0, sizeof(*res));
    uint64_t total = d->size / 512;
    /* the extent's file length, asked once per extent (check writes
     * nothing, so it cannot change meanwhile) */
    struct vmdk_extent *len_e = NULL;
    uint64_t len_v = 0;
    for (uint64_t sec = 0; sec < total;) {
        struct vmdk_extent *e = find_extent(s, sec);
        if (!e) {
            if (report)
                vxl_diag_add(report, VXL_ERROR, NULL, 0, 0, NULL, "ERROR: "
                             "could not find extent for sector %llu",
                             (unsigned long long)sec);
            res->corruptions++;
            return vdisk_err_set(err, EINVAL, "Invalid argument");
        }
        uint64_t step = e->sectors, host = 0;
        bool allocated = false;
        struct vdisk_err e2;
        if (e->kind == VX_FLAT) {
            allocated = true;
            host = e->flat_off;
        } else if (e->kind != VX_ZERO) {
            enum grain_state st;
            step = e->grain_sec - (sec - e->start) % e->grain_sec;
            if (grain_at(d, e, sec - e->start, &st, &host, &e2) < 0) {
                if (report)
                    vxl_diag_add(report, VXL_ERROR, NULL, 0, 0, NULL,
                                 "ERROR: could not get cluster_offset for "
                                 "sector %llu", (unsigned long long)sec);
                res->corruptions++;
                /* qemu's check returns VMDK_ERROR (-1) here */
                return vdisk_err_set(err, EPERM, "Operation not permitted");
            }
            /* qemu: a hosted sparse extent's GTE 1 and seSparse's zero
             * and unmapped grains are zeroed, not allocated; elsewhere a
             * GTE of 1 is a grain at sector 1 */
            bool zeroed = st == G_ZERO && (e->kind == VX_SESPARSE ||
                          (e->kind == VX_SPARSE && !e->compressed));
            allocated = st != G_UNALLOC && !zeroed;
            host *= 512;
        }
        if (allocated) {
            uint64_t len = len_v;
            if (e != len_e && ext_length(e, &len, err) < 0) {
                if (report)
                    vxl_diag_add(report, VXL_ERROR, NULL, 0, 0, NULL,
                                 "ERROR: could not get extent file length "
                                 "for sector %llu", (unsigned long long)sec);
                res->corruptions++;
                return -err->code;
            }
            len_e = e;
            len_v = len;
            if (host >= len) {
                if (report)
                    vxl_diag_add(report, VXL_ERROR, NULL, 0, 0, NULL,
                                 "ERROR: cluster offset for sector %llu "
                                 "points after EOF", (unsigned long long)sec);
                res->corruptions++;
                return vdisk_err_set(err, EINVAL, "Invalid argument");
            }
        }
        sec += step;
    }
    return 0;
}

const struct vdisk_driver vdisk_vmdk_driver = {
    .name = "vmdk",
    .priv_size = sizeof(struct vmdk),
    .probe = vmdk_probe,
    .open = vmdk_open,
    .close = vmdk_close,
    .pread = vmdk_pread,
    .pwrite = vmdk_pwrite,
    .pwrite_zeroes = vmdk_pwrite_zeroes,
    .flush = vmdk_flush,
    .block_status = vmdk_block_status,
    .check = vmdk_check,
    .compress = vmdk_compress,
    .write_compressed = vmdk_write_compressed,
    .create = vmdk_create,
    .create_opts = vmdk_opts,
    .zero_init = true,
    .multi_file = true,
    .windows = true,
};

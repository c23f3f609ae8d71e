/* disk/vpc.c — Microsoft VHD images (QEMU's "vpc"): fixed (data + footer),
 * dynamic (footer copy, dynamic header, BAT, blocks of sector bitmap +
 * data) and differencing (dynamic + parent locators; sectors whose bitmap
 * bit is clear come from the parent, format "vpc").  Checksums of the
 * footer and dynamic header are verified.  Virtual size follows QEMU: the
 * CHS geometry unless the creator is known to use current_size (or the
 * geometry is the maximum); `force_size` creates images that record the
 * exact size with creator "qem2".  Read and write, all three types.
 *
 * Differencing images (Microsoft "Virtual Hard Disk Image Format
 * Specification" 1.0, the dynamic disk header and its parent locators):
 *  - the header records the parent's footer unique id, the parent file's
 *    modification time (VHD time), its file name (UTF-16 big-endian) and
 *    locators; vxl writes W2ru (path relative to the child, UTF-16LE,
 *    ".\parent.vhd") and W2ku (absolute path, UTF-16LE, with '\'
 *    separators), each in its own sectors between the header and the BAT;
 *  - reading follows W2ru, then MacX, then the header name; opening the
 *    chain refuses a parent whose unique id is not the one recorded (the
 *    parent was replaced or re-created: its sectors are not the ones the
 *    child was made over).  The parent time stamp is not checked: copying
 *    a chain changes it, and Hyper-V does not refuse on it either;
 *  - a write allocates the block (bitmap all clear = everything still in
 *    the parent), writes the data, then sets the bitmap bits of the
 *    sectors it wrote; a sector written only in part is first completed
 *    from the parent, since a set bit claims the whole sector. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "disk/internal.h"

#define VHD_FIXED   2
#define VHD_DYNAMIC 3
#define VHD_DIFF    4
#define VHD_UNALLOC 0xffffffffu
#define VHD_MAX_GEOMETRY (65535ull * 16 * 255)
#define VHD_MAX_SECTORS  0xff000000ull      /* 2040 GiB, as QEMU */
#define VHD_MAX_BAT      (1u << 24)         /* entries (32 TiB of 2M) */
#define VHD_EPOCH 946684800                 /* 2000-01-01 */

struct vpc {
    uint8_t footer[512];
    int type;
    uint64_t fsize;
    uint64_t bat_off;           /* bytes */
    uint32_t bat_n;
    uint32_t *bat;              /* host order */
    uint32_t block;             /* bytes */
    uint32_t bitmap_bytes;      /* rounded to 512 */
    uint8_t *bitmap;            /* cached bitmap (differencing) */
    uint32_t bitmap_idx;        /* UINT32_MAX = none */
    uint64_t free_off;          /* where the next block goes (writes) */
    bool dirty_footer;
    uint64_t hoff;              /* dynamic header offset */
    uint8_t parent_uuid[16];    /* differencing: recorded parent id */
};

static uint32_t vhd_checksum(const uint8_t *b, size_t n, size_t skip)
{
    uint32_t s = 0;
    for (size_t i = 0; i < n; i++)
        if (i < skip || i >= skip + 4)
            s += b[i];
    return ~s;
}

static bool is_footer(const uint8_t *b)
{
    return !memcmp(b, "conectix", 8);
}

static int vpc_probe(const uint8_t *head, size_t len)
{
    /* fixed images have no header; only the footer at the end says VHD,
     * and the probe sees the head: dynamic/differencing only (as QEMU) */
    if (len >= 8 && is_footer(head))
        return 100;
    return 0;
}

/* QEMU's rule for the virtual size (see the file comment). */
static uint64_t vhd_size(const uint8_t *f)
{
    uint64_t chs = (uint64_t)be16(f + 56) * f[58] * f[59];
    const char *app = (const char *)f + 28;
    bool use_chs = memcmp(app, "win ", 4) && memcmp(app, "qem2", 4) &&
                   memcmp(app, "d2v ", 4) && memcmp(app, "CTXS", 4) &&
                   memcmp(app, "tap\0", 4);
    if (!use_chs || chs == VHD_MAX_GEOMETRY)
        return be64(f + 48) / 512 * 512;
    return chs * 512;
}

static void vpc_free(struct vpc *s)
{
    free(s->bat);
    free(s->bitmap);
    s->bat = NULL;
    s->bitmap = NULL;
}

static void put_utf8(strbuf *sb, unsigned c)
{
    if (c < 0x80) {
        sb_putc(sb, (char)c);
    } else if (c < 0x800) {
        sb_putc(sb, (char)(0xc0 | c >> 6));
        sb_putc(sb, (char)(0x80 | (c & 0x3f)));
    } else if (c < 0x10000) {
        sb_putc(sb, (char)(0xe0 | c >> 12));
        sb_putc(sb, (char)(0x80 | ((c >> 6) & 0x3f)));
        sb_putc(sb, (char)(0x80 | (c & 0x3f)));
    } else {
        sb_putc(sb, (char)(0xf0 | c >> 18));
        sb_putc(sb, (char)(0x80 | ((c >> 12) & 0x3f)));
        sb_putc(sb, (char)(0x80 | ((c >> 6) & 0x3f)));
        sb_putc(sb, (char)(0x80 | (c & 0x3f)));
    }
}

/* Decode UTF-16 (le or be) to UTF-8, up to the first NUL; an unpaired
 * surrogate fails (NULL). */
static char *utf16_to_utf8(const uint8_t *b, size_t n, bool le)
{
    strbuf sb = {0};
    sb_puts(&sb, "");
    for (size_t i = 0; i + 1 < n; i += 2) {
        unsigned c = le ? (unsigned)(b[i] | b[i + 1] << 8)
                        : (unsigned)(b[i] << 8 | b[i + 1]);
        if (c == 0)
            break;
        if (c >= 0xd800 && c < 0xdc00 && i + 3 < n) {
            unsigned lo = le ? (unsigned)(b[i + 2] | b[i + 3] << 8)
                             : (unsigned)(b[i + 2] << 8 | b[i + 3]);
            if (lo >= 0xdc00 && lo < 0xe000) {
                put_utf8(&sb, 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00));
                i += 2;
                continue;
            }
        }
        if (c >= 0xd800 && c < 0xe000) {
            sb_free(&sb);
            return NULL;
        }
        put_utf8(&sb, c);
    }
    return sb_steal(&sb);
}

/* Encode UTF-8 `s` as UTF-16 (le or be) into out (cap bytes); '/'
 * becomes a backslash when `backslash`.  Returns the byte length, or -1 when s
 * is not valid UTF-8 or does not fit. */
static long utf8_to_utf16(const char *s, bool le, bool backslash,
                          uint8_t *out, size_t cap)
{
    const uint8_t *u = (const uint8_t *)s;
    size_t n = 0;
    while (*u) {
        unsigned c, extra;
        if (*u < 0x80) {
            c = *u;
            extra = 0;
        } else if ((*u & 0xe0) == 0xc0) {
            c = *u & 0x1f;
            extra = 1;
        } else if ((*u & 0xf0) == 0xe0) {
            c = *u & 0x0f;
            extra = 2;
        } else if ((*u & 0xf8) == 0xf0) {
            c = *u & 0x07;
            extra = 3;
        } else {
            return -1;
        }
        u++;
        for (unsigned k = 0; k < extra; k++, u++) {
            if ((*u & 0xc0) != 0x80)
                return -1;
            c = c << 6 | (*u & 0x3f);
        }
        static const unsigned min[] = { 0, 0x80, 0x800, 0x10000 };
        if (c < min[extra] || c > 0x10ffff || (c >= 0xd800 && c < 0xe000))
            return -1;
        if (backslash && c == '/')
            c = '\\';
        unsigned units[2] = { c, 0 };
        size_t nu = 1;
        if (c >= 0x10000) {
            units[0] = 0xd800 + ((c - 0x10000) >> 10);
            units[1] = 0xdc00 + ((c - 0x10000) & 0x3ff);
            nu = 2;
        }
        for (size_t k = 0; k < nu; k++) {
            if (n + 2 > cap)
                return -1;
            if (le)
                put_le16(out + n, (uint16_t)units[k]);
            else
                put_be16(out + n, (uint16_t)units[k]);
            n += 2;
        }
    }
    return (long)n;
}

/* The parent's name from the locators: a relative Windows path (W2ru)
 * first, then a "file://" URL (MacX), then the bare parent name of the
 * header (looked up next to the child).  Backslashes become slashes. */
static char *parent_name(struct vdisk *d, struct vpc *s, const uint8_t *h,
                         struct vdisk_err *err)
{
    static const char *const order[] = { "W2ru", "MacX", NULL };
    char *name = NULL;
    for (int k = 0; order[k] && !name; k++) {
        for (int i = 0; i < 8 && !name; i++) {
            const uint8_t *l = h + 576 + 24 * i;
            if (memcmp(l, order[k], 4))
                continue;
            uint32_t len = be32(l + 8);
            uint64_t off = be64(l + 16);
            if (len == 0 || len > 4096 || off > s->fsize ||
                len > s->fsize - off)
                continue;
            uint8_t *buf = xmalloc(len);
            if (vd_pread_exact(d->fd, buf, len, off, d->filename, err) == 0) {
                if (k == 0) {
                    name = utf16_to_utf8(buf, len, true);
                } else if (len > 7 && !memcmp(buf, "file://", 7)) {
                    name = xstrndup((char *)buf + 7, len - 7);
                }
            }
            free(buf);
            if (name && !*name) {
                free(name);
                name = NULL;
            }
        }
    }
    if (!name) {
        name = utf16_to_utf8(h + 64, 512, false);
        if (name && !*name) {
            free(name);
            name = NULL;
        }
    }
    if (!name)
        return NULL;
    for (char *c = name; *c; c++)
        if (*c == '\\')
            *c = '/';
    if (!strncmp(name, "./", 2))
        memmove(name, name + 2, strlen(name + 2) + 1);
    return name;
}

static int open_dynamic(struct vdisk *d, struct vpc *s, struct vdisk_err *err)
{
    uint64_t hoff = be64(s->footer + 16);
    uint8_t h[1024];
    if (hoff > s->fsize || s->fsize - hoff < sizeof(h))
        return vdisk_err_set(err, EINVAL, "'%s': dynamic header offset %llu "
                             "lies outside the file", d->filename,
                             (unsigned long long)hoff);
    int rc = vd_pread_exact(d->fd, h, sizeof(h), hoff, d->filename, err);
    if (rc < 0)
        return rc;
    if (memcmp(h, "cxsparse", 8))
        return vdisk_err_set(err, EINVAL, "'%s': bad dynamic header cookie",
                             d->filename);
    if (vhd_checksum(h, sizeof(h), 36) != be32(h + 36))
        return vdisk_err_set(err, EINVAL, "'%s': incorrect dynamic header "
                             "checksum", d->filename);
    s->block = be32(h + 32);
    if (s->block < 512 || s->block > (256u << 20) ||
        (s->block & (s->block - 1)))
        return vdisk_err_set(err, EINVAL, "'%s': invalid block size %u",
                             d->filename, s->block);
    s->bat_n = be32(h + 28);
    s->bat_off = be64(h + 16);
    if (s->bat_n > VHD_MAX_BAT)
        return vdisk_err_set(err, EFBIG, "'%s': BAT of %u entries is too "
                             "large", d->filename, s->bat_n);
    if ((uint64_t)s->bat_n * s->block < d->size)
        return vdisk_err_set(err, EINVAL, "'%s': BAT of %u entries is too "
                             "small for the disk size", d->filename,
                             s->bat_n);
    uint64_t bytes = (uint64_t)s->bat_n * 4;
    if (s->bat_off > s->fsize || bytes > s->fsize - s->bat_off)
        return vdisk_err_set(err, EINVAL, "'%s': BAT lies outside the file",
                             d->filename);
    s->bat = xmalloc(bytes ? bytes : 4);
    rc = vd_pread_exact(d->fd, s->bat, bytes, s->bat_off, d->filename, err);
    if (rc < 0)
        return rc;
    uint64_t bsec = s->block / 512;
    s->bitmap_bytes = (uint32_t)(((bsec + 7) / 8 + 511) / 512 * 512);
    uint64_t end = s->bat_off + (bytes + 511) / 512 * 512;
    for (uint32_t i = 0; i < s->bat_n; i++) {
        s->bat[i] = be32(&s->bat[i]);
        if (s->bat[i] == VHD_UNALLOC)
            continue;
        uint64_t bo = (uint64_t)s->bat[i] * 512;
        if (bo >= s->fsize)
            return vdisk_err_set(err, EINVAL, "'%s': BAT entry %u points "
                                 "beyond the end of the file", d->filename,
                                 i);
        if (bo < s->bat_off + bytes && bo + s->bitmap_bytes + s->block >
                                       s->bat_off)
            return vdisk_err_set(err, EINVAL, "'%s': BAT entry %u points "
                                 "into the BAT", d->filename, i);
        if (bo + s->bitmap_bytes + s->block > end)
            end = bo + s->bitmap_bytes + s->block;
    }
    if (s->type == VHD_DIFF) {
        /* locator data may follow the BAT or the blocks (it does when a
         * rebase moved it): new blocks go after it */
        for (int i = 0; i < 8; i++) {
            const uint8_t *l = h + 576 + 24 * i;
            uint64_t lo = be64(l + 16), ll = be32(l + 8);
            if (!be32(l) || !ll || lo > s->fsize || ll > s->fsize - lo)
                continue;
            uint64_t le = (lo + ll + 511) / 512 * 512;
            if (le > end)
                end = le;
        }
    }
    s->free_off = end;
    s->hoff = hoff;
    memcpy(s->parent_uuid, h + 40, 16);
    s->bitmap = xmalloc(s->bitmap_bytes);
    s->bitmap_idx = UINT32_MAX;
    if (s->type == VHD_DIFF) {
        char *pn = parent_name(d, s, h, err);
        if (!pn)
            return vdisk_err_set(err, EINVAL, "'%s': differencing image "
                                 "without a usable parent locator",
                                 d->filename);
        d->backing_name = pn;
        d->backing_fmt = xstrdup("vpc");
    }
    d->cluster_size = s->block;
    return 0;
}

static int vpc_open(struct vdisk *d, int fd, unsigned flags,
                    struct vdisk_err *err)
{
    struct vpc *s = vdisk_priv(d);
    struct stat st;
    int rc;
    if (fstat(fd, &st) < 0) {
        rc = vdisk_err_set(err, errno, "'%s': %s", d->filename,
                           strerror(errno));
        goto fail;
    }
    s->fsize = (uint64_t)st.st_size;
    if (s->fsize < 512) {
        rc = vdisk_err_set(err, EINVAL, "'%s': too short for a VHD image",
                           d->filename);
        goto fail;
    }
    /* dynamic images start with a footer copy; fixed ones only end in
     * one (some writers leave a 511-byte footer: not supported) */
    rc = vd_pread_exact(fd, s->footer, 512, 0, d->filename, err);
    if (rc == 0 && !is_footer(s->footer))
        rc = vd_pread_exact(fd, s->footer, 512, s->fsize - 512, d->filename,
                            err);
    if (rc < 0)
        goto fail;
    if (!is_footer(s->footer)) {
        rc = vdisk_err_set(err, EINVAL, "'%s': no VHD footer (cookie "
                           "'conectix' missing)", d->filename);
        goto fail;
    }
    if (vhd_checksum(s->footer, 512, 64) != be32(s->footer + 64)) {
        rc = vdisk_err_set(err, EINVAL, "'%s': incorrect footer checksum",
                           d->filename);
        goto fail;
    }
    s->type = (int)be32(s->footer + 60);
    d->size = vhd_size(s->footer);
    if (s->type == VHD_FIXED) {
        if (d->size > s->fsize - 512)
            d->size = (s->fsize - 512) / 512 * 512;  /* as the data lasts */
        d->zero_init = true;
    } else if (s->type == VHD_DYNAMIC || s->type == VHD_DIFF) {
        rc = open_dynamic(d, s, err);
        if (rc < 0)
            goto fail;
        d->zero_init = s->type == VHD_DYNAMIC;
    } else {
        rc = vdisk_err_set(err, ENOTSUP, "'%s': unsupported VHD disk type %d",
                           d->filename, s->type);
        goto fail;
    }
    return 0;
fail:
    vpc_free(s);
    close(fd);
    return rc;
}

static int write_footer(struct vdisk *d, struct vdisk_err *err)
{
    struct vpc *s = vdisk_priv(d);
    if (s->type == VHD_FIXED)
        return 0;
    int rc = vd_pwrite_fd(d->fd, s->footer, 512, s->free_off, d->filename,
                          err);
    if (rc == 0 && ftruncate(d->fd, (off_t)(s->free_off + 512)) < 0)
        rc = vdisk_err_set(err, errno, "'%s': %s", d->filename,
                           strerror(errno));
    if (rc == 0)
        s->dirty_footer = false;
    return rc;
}

static int vpc_close(struct vdisk *d, struct vdisk_err *err)
{
    struct vpc *s = vdisk_priv(d);
    int rc = 0;
    if (s->dirty_footer)
        rc = write_footer(d, err);
    vpc_free(s);
    close(d->fd);
    return rc;
}

/* Bitmap of block bi (differencing): bit set = sector in this image. */
static int load_bitmap(struct vdisk *d, uint32_t bi, struct vdisk_err *err)
{
    struct vpc *s = vdisk_priv(d);
    if (s->bitmap_idx == bi)
        return 0;
    s->bitmap_idx = UINT32_MAX;
    int rc = vd_pread_fd(d->fd, s->bitmap, s->bitmap_bytes,
                         (uint64_t)s->bat[bi] * 512, d->filename, err);
    if (rc == 0)
        s->bitmap_idx = bi;
    return rc;
}

/* Status of the run at off within one block: 0 = unallocated (parent or
 * zeros), 1 = data at *host; *run = bytes (<= len). */
static int lookup(struct vdisk *d, uint64_t off, uint64_t len, int *state,
                  uint64_t *host, uint64_t *run, struct vdisk_err *err)
{
    struct vpc *s = vdisk_priv(d);
    uint64_t bi = off / s->block, bo = off % s->block;
    uint64_t n = s->block - bo < len ? s->block - bo : len;
    *run = n;
    *state = 0;
    if (bi >= s->bat_n || s->bat[bi] == VHD_UNALLOC)
        return 0;
    uint64_t base = (uint64_t)s->bat[bi] * 512 + s->bitmap_bytes;
    *host = base + bo;
    *state = 1;
    if (s->type != VHD_DIFF)
        return 0;
    int rc = load_bitmap(d, (uint32_t)bi, err);
    if (rc < 0)
        return rc;
    uint64_t sec = bo / 512;
    bool set = s->bitmap[sec / 8] & (0x80 >> (sec % 8));
    *state = set;
    uint64_t r = 512 - bo % 512;
    while (r < n) {
        uint64_t k = (bo + r) / 512;
        bool b = s->bitmap[k / 8] & (0x80 >> (k % 8));
        if (b != set)
            break;
        r += 512;
    }
    *run = r < n ? r : n;
    return 0;
}

static int vpc_pread(struct vdisk *d, void *buf, size_t n, uint64_t off,
                     struct vdisk_err *err)
{
    struct vpc *s = vdisk_priv(d);
    if (s->type == VHD_FIXED)
        return vd_pread_fd(d->fd, buf, n, off, d->filename, err);
    uint8_t *p = buf;
    while (n > 0) {
        int st;
        uint64_t host = 0, run;
        int rc = lookup(d, off, n, &st, &host, &run, err);
        if (rc < 0)
            return rc;
        if (st)
            rc = vd_pread_fd(d->fd, p, run, host, d->filename, err);
        else
            rc = vd_read_backing(d, p, run, off, err);
        if (rc < 0)
            return rc;
        p += run;
        off += run;
        n -= run;
    }
    return 0;
}

static int vpc_block_status(struct vdisk *d, uint64_t off, uint64_t len,
                            struct vdisk_extent *ext, struct vdisk_err *err)
{
    struct vpc *s = vdisk_priv(d);
    ext->off = off;
    ext->host_offset = 0;
    if (s->type == VHD_FIXED) {
        ext->len = len;
        ext->flags = VDISK_EXT_ALLOCATED | VDISK_EXT_DATA | VDISK_EXT_OFFSET;
        ext->host_offset = off;
        return 0;
    }
    int st;
    uint64_t host = 0, run;
    int rc = lookup(d, off, len, &st, &host, &run, err);
    if (rc < 0)
        return rc;
    /* coalesce following blocks of the same state */
    while (run < len) {
        int st2;
        uint64_t h2 = 0, r2;
        rc = lookup(d, off + run, len - run, &st2, &h2, &r2, err);
        if (rc < 0)
            return rc;
        if (st2 != st || (st && h2 != host + run))
            break;
        run += r2;
    }
    ext->len = run;
    if (st) {
        ext->flags = VDISK_EXT_ALLOCATED | VDISK_EXT_DATA | VDISK_EXT_OFFSET;
        ext->host_offset = host;
    } else {
        ext->flags = 0;
    }
    return 0;
}

/* ---- writes ------------------------------------------------------------ */

static int alloc_block(struct vdisk *d, uint32_t bi, struct vdisk_err *err)
{
    struct vpc *s = vdisk_priv(d);
    uint64_t at = s->free_off;
    /* dynamic: bitmap all set (every sector belongs to this image) + zero
     * data; differencing: all clear (every sector is still the parent's)
     * until the writer sets the bits of what it wrote */
    uint8_t *bm = xmalloc(s->bitmap_bytes);
    memset(bm, s->type == VHD_DIFF ? 0 : 0xff, s->bitmap_bytes);
    int rc = vd_pwrite_fd(d->fd, bm, s->bitmap_bytes, at, d->filename, err);
    free(bm);
    if (rc == 0 && ftruncate(d->fd, (off_t)(at + s->bitmap_bytes + s->block))
                   < 0)
        rc = vdisk_err_set(err, errno, "'%s': %s", d->filename,
                           strerror(errno));
    if (rc < 0)
        return rc;
    uint8_t e[4];
    put_be32(e, (uint32_t)(at / 512));
    rc = vd_pwrite_fd(d->fd, e, 4, s->bat_off + (uint64_t)bi * 4,
                      d->filename, err);
    if (rc < 0)
        return rc;
    s->bat[bi] = (uint32_t)(at / 512);
    s->free_off = at + s->bitmap_bytes + s->block;
    s->dirty_footer = true;
    s->bitmap_idx = UINT32_MAX;
    return 0;
}

static bool bit_set(const uint8_t *bm, uint64_t sec)
{
    return bm[sec / 8] & (0x80 >> (sec % 8));
}

/* Differencing: write len bytes at offset bo of allocated block bi (guest
 * offset off), then mark the sectors as this image's.  A sector written
 * in part whose bit is still clear is completed from the parent first:
 * the bit will claim all of its 512 bytes. */
static int diff_write(struct vdisk *d, uint32_t bi, uint64_t bo,
                      const uint8_t *p, size_t len, uint64_t off,
                      struct vdisk_err *err)
{
    struct vpc *s = vdisk_priv(d);
    int rc = load_bitmap(d, bi, err);
    if (rc < 0)
        return rc;
    uint64_t base = (uint64_t)s->bat[bi] * 512 + s->bitmap_bytes;
    uint64_t pos = bo;
    bool changed = false;
    while (len > 0) {
        uint64_t sec = pos / 512, so = pos % 512;
        size_t m = 512 - so < len ? (size_t)(512 - so) : len;
        if (m < 512 && !bit_set(s->bitmap, sec)) {
            if (!d->backing && d->backing_name)
                return vdisk_err_set(err, ENOTSUP, "'%s': a write of part "
                                     "of a sector needs the parent image, "
                                     "which is not open", d->filename);
            uint8_t one[512];
            rc = vd_read_backing(d, one, 512, off - so, err);
            if (rc < 0)
                return rc;
            memcpy(one + so, p, m);
            rc = vd_pwrite_fd(d->fd, one, 512, base + sec * 512,
                              d->filename, err);
        } else {
            if (m == 512)       /* every whole sector that follows, too */
                m = len / 512 * 512;
            rc = vd_pwrite_fd(d->fd, p, m, base + pos, d->filename, err);
        }
        if (rc < 0)
            return rc;
        for (uint64_t k = sec; k <= (pos + m - 1) / 512; k++) {
            if (!bit_set(s->bitmap, k)) {
                s->bitmap[k / 8] |= (uint8_t)(0x80 >> (k % 8));
                changed = true;
            }
        }
        p += m;
        pos += m;
        off += m;
        len -= m;
    }
    if (!changed)
        return 0;
    /* after the data: a set bit never points at sectors not yet written */
    rc = vd_pwrite_fd(d->fd, s->bitmap, s->bitmap_bytes,
                      (uint64_t)s->bat[bi] * 512, d->filename, err);
    if (rc < 0)
        s->bitmap_idx = UINT32_MAX;     /* the cache may not match */
    return rc;
}

static int vpc_pwrite(struct vdisk *d, const void *buf, size_t n,
                      uint64_t off, struct vdisk_err *err)
{
    struct vpc *s = vdisk_priv(d);
    if (s->type == VHD_FIXED)
        return vd_pwrite_fd(d->fd, buf, n, off, d->filename, err);
    const uint8_t *p = buf;
    while (n > 0) {
        uint64_t bi = off / s->block, bo = off % s->block;
        size_t len = s->block - bo < n ? (size_t)(s->block - bo) : n;
        int rc = 0;
        if (s->bat[bi] == VHD_UNALLOC)
            rc = alloc_block(d, (uint32_t)bi, err);
        if (rc == 0 && s->type == VHD_DIFF)
            rc = diff_write(d, (uint32_t)bi, bo, p, len, off, err);
        else if (rc == 0)
            rc = vd_pwrite_fd(d->fd, p, len, (uint64_t)s->bat[bi] * 512 +
                              s->bitmap_bytes + bo, d->filename, err);
        if (rc < 0)
            return rc;
        p += len;
        off += len;
        n -= len;
    }
    return 0;
}

static int vpc_pwrite_zeroes(struct vdisk *d, uint64_t off, uint64_t len,
                             unsigned flags, struct vdisk_err *err)
{
    struct vpc *s = vdisk_priv(d);
    /* differencing: unallocated sectors show the parent, so zeros are
     * written as data (the core's fallback) */
    if (s->type != VHD_DYNAMIC)
        return -ENOTSUP;
    /* unallocated blocks already read as zeros */
    while (len > 0) {
        uint64_t bi = off / s->block, bo = off % s->block;
        uint64_t l = s->block - bo < len ? s->block - bo : len;
        if (s->bat[bi] != VHD_UNALLOC)
            return -ENOTSUP;        /* the core writes zero bytes */
        off += l;
        len -= l;
    }
    return 0;
}

static int vpc_flush(struct vdisk *d, struct vdisk_err *err)
{
    struct vpc *s = vdisk_priv(d);
    int rc = s->dirty_footer ? write_footer(d, err) : 0;
    if (rc == 0 && fdatasync(d->fd) < 0)
        rc = vdisk_err_set(err, errno, "'%s': flush failed: %s", d->filename,
                           strerror(errno));
    return rc;
}

/* ---- differencing: the parent's identity and locators ------------------- */

struct parent_info {
    uint8_t uuid[16];           /* the parent's footer unique id */
    uint32_t mtime;             /* the parent file's mtime, VHD time */
    uint64_t size;              /* its virtual size */
    bool exact;                 /* its size is not a CHS size */
    char *abs;                  /* canonical absolute path */
    char *rel;                  /* relative to the child's directory */
};

static void parent_info_free(struct parent_info *pi)
{
    free(pi->abs);
    free(pi->rel);
    pi->abs = pi->rel = NULL;
}

/* Path of canonical absolute `to` relative to canonical directory
 * `from` ("p.vhd", "../base/p.vhd"). */
static char *relative_path(const char *from, const char *to)
{
    size_t i = 0, common = 0;
    /* the longest common prefix that ends at a component boundary */
    while (from[i] && to[i] && from[i] == to[i]) {
        i++;
        if (from[i] == '/' || (!from[i] && to[i] == '/'))
            common = i;
    }
    if (!strcmp(from, "/"))
        return xstrdup(to + 1);
    strbuf sb = {0};
    sb_puts(&sb, "");
    for (const char *c = from + common; *c; c++)
        if (*c == '/')
            sb_puts(&sb, "../");
    sb_puts(&sb, to + common + (to[common] == '/'));
    return sb_steal(&sb);
}

/* Open `name` (relative to the child `child`) as the VHD a differencing
 * image is made over and collect what its header must record. */
static int read_parent(const char *child, const char *name, const char *fmt,
                       struct parent_info *pi, struct vdisk_err *err)
{
    memset(pi, 0, sizeof(*pi));
    if (fmt && strcmp(fmt, "vpc"))
        return vdisk_err_set(err, EINVAL, "the parent of a differencing VHD "
                             "must be a VHD image (backing format 'vpc', not "
                             "'%s')", fmt);
    char *path = vd_resolve_relative(child, name);
    struct vdisk_open_opts bo = { .format = "vpc", .flags = VDISK_NO_BACKING };
    struct vdisk *b;
    int rc = vdisk_open(path, &bo, &b, err);
    if (rc < 0) {
        free(path);
        return vdisk_err_prefix(err, "could not open backing file: ");
    }
    struct vpc *ps = vdisk_priv(b);
    memcpy(pi->uuid, ps->footer + 68, 16);
    pi->size = b->size;
    pi->exact = vhd_size(ps->footer) != (uint64_t)be16(ps->footer + 56) *
                ps->footer[58] * ps->footer[59] * 512;
    struct stat st;
    if (fstat(b->fd, &st) < 0)
        rc = vdisk_err_set(err, errno, "'%s': %s", path, strerror(errno));
    else
        pi->mtime = st.st_mtime > VHD_EPOCH
                        ? (uint32_t)(st.st_mtime - VHD_EPOCH) : 0;
    vdisk_close(b, NULL);
    if (rc == 0 && !(pi->abs = realpath(path, NULL)))
        rc = vdisk_err_set(err, errno, "'%s': %s", path, strerror(errno));
    free(path);
    if (rc < 0)
        return rc;
    if (name[0] != '/') {
        pi->rel = xstrdup(name);
        while (!strncmp(pi->rel, "./", 2))
            memmove(pi->rel, pi->rel + 2, strlen(pi->rel + 2) + 1);
        return 0;
    }
    /* an absolute name: relative to the child's (existing) directory */
    const char *slash = strrchr(child, '/');
    char *dir = slash ? xstrndup(child, (size_t)(slash - child + 1))
                      : xstrdup(".");
    char *rdir = realpath(dir, NULL);
    free(dir);
    if (!rdir) {
        rc = vdisk_err_set(err, errno, "'%s': %s", child, strerror(errno));
        parent_info_free(pi);
        return rc;
    }
    pi->rel = relative_path(rdir, pi->abs);
    free(rdir);
    return 0;
}

/* A locator's data as vxl writes it.  W2ru: ".\" + the relative path;
 * W2ku: the absolute path; both UTF-16LE with '\' separators, no NUL
 * (the entry's data length says where they end). */
static long locator_data(const struct parent_info *pi, bool absolute,
                         uint8_t *out, size_t cap)
{
    char *s = absolute ? xstrdup(pi->abs) : xasprintf("./%s", pi->rel);
    long n = utf8_to_utf16(s, true, true, out, cap);
    free(s);
    return n;
}

#define VHD_LOC_MAX 8192        /* bytes of one locator's data (4096 units) */

/* Platform data space: the specification (1.0, "Parent Locator Entries")
 * says it counts 512-byte sectors, but Windows and Hyper-V store a byte
 * count, and readers cope with both (libvhdi does not use the field; a
 * value below 512 is taken as sectors by others).  vxl writes bytes, as
 * Windows does, always a multiple of 512 so both readings cover the
 * data, and reads it as bytes when >= 512 and a multiple of 512, as
 * sectors otherwise. */
static uint64_t locator_space(const uint8_t *l)
{
    uint32_t v = be32(l + 4);
    return v >= 512 && v % 512 == 0 ? v : (uint64_t)v * 512;
}

/* Fill the differencing fields of dynamic header h (parent id, time,
 * name, two locators whose data goes at loc_off[0..1] with room
 * space[0..1]). */
static int fill_diff_header(uint8_t *h, const struct parent_info *pi,
                            const uint64_t loc_off[2], const uint64_t space[2],
                            const long len[2], struct vdisk_err *err)
{
    memcpy(h + 40, pi->uuid, 16);
    put_be32(h + 56, pi->mtime);
    memset(h + 60, 0, 4 + 512 + 192);
    const char *base = strrchr(pi->abs, '/');
    base = base ? base + 1 : pi->abs;
    if (utf8_to_utf16(base, false, false, h + 64, 512) < 0)
        return vdisk_err_set(err, ENAMETOOLONG, "parent file name '%s' does "
                             "not fit the VHD header (256 UTF-16 units)",
                             base);
    static const char code[2][4] = { "W2ru", "W2ku" };
    for (int i = 0; i < 2; i++) {
        uint8_t *l = h + 576 + 24 * i;
        memcpy(l, code[i], 4);
        put_be32(l + 4, (uint32_t)space[i]);
        put_be32(l + 8, (uint32_t)len[i]);
        put_be64(l + 16, loc_off[i]);
    }
    put_be32(h + 36, vhd_checksum(h, 1024, 36));
    return 0;
}

static uint64_t round512(uint64_t n)
{
    return n ? (n + 511) / 512 * 512 : 512;
}

static void fmt_uuid(char out[37], const uint8_t *u)
{
    static const char hex[] = "0123456789abcdef";
    size_t k = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[k++] = '-';
        out[k++] = hex[u[i] >> 4];
        out[k++] = hex[u[i] & 15];
    }
    out[k] = 0;
}

/* The core opened the parent: it must be the VHD the child was made
 * over (same unique id).  A header with an all-zero parent id records
 * none and is not checked. */
static int vpc_check_backing(struct vdisk *d, struct vdisk_err *err)
{
    struct vpc *s = vdisk_priv(d);
    struct vdisk *b = d->backing;
    if (s->type != VHD_DIFF || !b)
        return 0;
    if (b->drv != &vdisk_vpc_driver)
        return vdisk_err_set(err, EINVAL, "'%s': the parent of a "
                             "differencing VHD must be a VHD image, not %s "
                             "('%s')", d->filename, b->drv->name,
                             b->filename);
    static const uint8_t zero[16];
    if (!memcmp(s->parent_uuid, zero, 16))
        return 0;
    struct vpc *ps = vdisk_priv(b);
    if (memcmp(ps->footer + 68, s->parent_uuid, 16)) {
        char want[37], got[37];
        fmt_uuid(want, s->parent_uuid);
        fmt_uuid(got, ps->footer + 68);
        return vdisk_err_set(err, EINVAL, "'%s': parent '%s' has unique id "
                             "%s but the image was made over %s: the parent "
                             "was replaced or re-created (use 'img rebase "
                             "-u' if it really holds the same data)",
                             d->filename, b->filename, got, want);
    }
    return 0;
}

/* [off, off+len) overlaps neither the BAT nor an allocated block. */
static bool region_unused(const struct vpc *s, uint64_t off, uint64_t len)
{
    uint64_t bat_end = s->bat_off + (uint64_t)s->bat_n * 4;
    if (off < bat_end && s->bat_off < off + len)
        return false;
    for (uint32_t i = 0; i < s->bat_n; i++) {
        if (s->bat[i] == VHD_UNALLOC)
            continue;
        uint64_t bo = (uint64_t)s->bat[i] * 512;
        if (off < bo + s->bitmap_bytes + s->block && bo < off + len)
            return false;
    }
    return true;
}

/* rebase: a differencing image gets a new parent (the recorded id, time,
 * name and locators); the locator data is rewritten where it was when
 * it fits, else appended where the next block would go.  Turning a
 * dynamic image into a differencing one or back is not supported. */
/* What vpc_set_backing refuses; with pi, the new parent's details are
 * kept for it (else freed). */
static int backing_change_ok(struct vdisk *d, const char *name,
                             const char *fmt, struct parent_info *pi,
                             struct vdisk_err *err)
{
    struct vpc *s = vdisk_priv(d);
    if (s->type != VHD_DIFF)
        return vdisk_err_set(err, ENOTSUP, "'%s': only a differencing VHD "
                             "can change its parent; vxl does not turn a "
                             "%s VHD into one", d->filename,
                             s->type == VHD_FIXED ? "fixed" : "dynamic");
    if (!name)
        return vdisk_err_set(err, ENOTSUP, "'%s': removing the parent of a "
                             "differencing VHD (making it dynamic) is not "
                             "supported", d->filename);
    struct parent_info tmp;
    int rc = read_parent(d->filename, name, fmt, pi ? pi : &tmp, err);
    if (rc == 0 && !pi)
        parent_info_free(&tmp);
    return rc;
}

static int vpc_can_set_backing(struct vdisk *d, const char *name,
                               const char *fmt, struct vdisk_err *err)
{
    return backing_change_ok(d, name, fmt, NULL, err);
}

static int vpc_set_backing(struct vdisk *d, const char *name,
                           const char *fmt, struct vdisk_err *err)
{
    struct vpc *s = vdisk_priv(d);
    struct parent_info pi;
    int rc = backing_change_ok(d, name, fmt, &pi, err);
    if (rc < 0)
        return rc;
    uint8_t h[1024];
    rc = vd_pread_exact(d->fd, h, sizeof(h), s->hoff, d->filename, err);
    uint8_t *data[2] = { xmalloc(VHD_LOC_MAX), xmalloc(VHD_LOC_MAX) };
    long len[2] = {0, 0};
    uint64_t off[2] = {0, 0}, space[2] = {0, 0};
    for (int i = 0; i < 2 && rc == 0; i++) {
        len[i] = locator_data(&pi, i == 1, data[i], VHD_LOC_MAX);
        if (len[i] < 0)
            rc = vdisk_err_set(err, ENAMETOOLONG, "'%s': parent path too "
                               "long for a locator", d->filename);
    }
    /* reuse the room of the old W2ru/W2ku entries where it fits */
    for (int i = 0; i < 2 && rc == 0; i++) {
        for (int k = 0; k < 8; k++) {
            const uint8_t *l = h + 576 + 24 * k;
            if (memcmp(l, i ? "W2ku" : "W2ru", 4))
                continue;
            uint64_t lo = be64(l + 16), sp = locator_space(l);
            if (lo >= s->hoff + 1024 && lo % 512 == 0 &&
                sp >= (uint64_t)len[i] && sp <= UINT32_MAX &&
                lo + sp <= s->free_off && region_unused(s, lo, sp)) {
                off[i] = lo;
                space[i] = sp;
            }
            break;
        }
        if (!off[i]) {
            off[i] = s->free_off;
            space[i] = round512((uint64_t)len[i]);
            s->free_off += space[i];
            s->dirty_footer = true;
            s->bitmap_idx = UINT32_MAX;
        }
        uint8_t *pad = xcalloc(1, space[i]);
        memcpy(pad, data[i], (size_t)len[i]);
        rc = vd_pwrite_fd(d->fd, pad, space[i], off[i], d->filename, err);
        free(pad);
    }
    if (rc == 0)
        rc = fill_diff_header(h, &pi, off, space, len, err);
    if (rc == 0)
        rc = vd_pwrite_fd(d->fd, h, sizeof(h), s->hoff, d->filename, err);
    if (rc == 0)
        memcpy(s->parent_uuid, pi.uuid, 16);
    if (rc == 0 && s->dirty_footer)
        rc = write_footer(d, err);
    free(data[0]);
    free(data[1]);
    parent_info_free(&pi);
    return rc;
}

/* commit without -d: every block back to unallocated (the image then
 * reads as its parent, or zeros). */
static int vpc_make_empty(struct vdisk *d, struct vdisk_err *err)
{
    struct vpc *s = vdisk_priv(d);
    if (s->type == VHD_FIXED)
        return vdisk_err_set(err, ENOTSUP, "'%s': a fixed VHD cannot be "
                             "emptied", d->filename);
    uint64_t bytes = (uint64_t)s->bat_n * 4;
    uint64_t end = s->bat_off + (bytes + 511) / 512 * 512;
    if (s->type == VHD_DIFF) {
        uint8_t h[1024];
        int rc = vd_pread_exact(d->fd, h, sizeof(h), s->hoff, d->filename,
                                err);
        if (rc < 0)
            return rc;
        for (int i = 0; i < 8; i++) {
            const uint8_t *l = h + 576 + 24 * i;
            uint64_t lo = be64(l + 16), ll = be32(l + 8);
            if (be32(l) && ll && lo + ll <= s->free_off &&
                (lo + ll + 511) / 512 * 512 > end)
                end = (lo + ll + 511) / 512 * 512;
        }
    }
    uint8_t *bat = xmalloc(bytes ? bytes : 1);
    memset(bat, 0xff, bytes);
    int rc = vd_pwrite_fd(d->fd, bat, bytes, s->bat_off, d->filename, err);
    free(bat);
    if (rc < 0)
        return rc;
    for (uint32_t i = 0; i < s->bat_n; i++)
        s->bat[i] = VHD_UNALLOC;
    s->bitmap_idx = UINT32_MAX;
    s->free_off = end;
    return write_footer(d, err);
}

/* ---- create ------------------------------------------------------------- */

/* CHS geometry for a size, as in the VHD specification (appendix). */
static void chs(uint64_t sectors, uint16_t *c, uint8_t *h, uint8_t *spt)
{
    uint64_t cth;
    unsigned heads, sec;
    if (sectors > VHD_MAX_GEOMETRY)
        sectors = VHD_MAX_GEOMETRY;
    if (sectors >= 65535ull * 16 * 63) {
        sec = 255;
        heads = 16;
        cth = sectors / sec;
    } else {
        sec = 17;
        cth = sectors / sec;
        heads = (unsigned)((cth + 1023) / 1024);
        if (heads < 4)
            heads = 4;
        if (cth >= (uint64_t)heads * 1024 || heads > 16) {
            sec = 31;
            heads = 16;
            cth = sectors / sec;
        }
        if (cth >= (uint64_t)heads * 1024) {
            sec = 63;
            heads = 16;
            cth = sectors / sec;
        }
    }
    *c = (uint16_t)(cth / heads);
    *h = (uint8_t)heads;
    *spt = (uint8_t)sec;
}

static void make_footer(uint8_t *f, uint64_t size, int type, bool force,
                        uint64_t data_off)
{
    memset(f, 0, 512);
    memcpy(f, "conectix", 8);
    put_be32(f + 8, 2);
    put_be32(f + 12, 0x00010000);
    put_be64(f + 16, data_off);
    put_be32(f + 24, (uint32_t)(time(NULL) - VHD_EPOCH));
    memcpy(f + 28, force ? "qem2" : "qemu", 4);
    put_be32(f + 32, 0x00050003);
    memcpy(f + 36, "Wi2k", 4);
    uint16_t c;
    uint8_t h, spt;
    chs(size / 512, &c, &h, &spt);
    put_be64(f + 40, size);
    put_be64(f + 48, size);
    put_be16(f + 56, c);
    f[58] = h;
    f[59] = spt;
    put_be32(f + 60, (uint32_t)type);
    /* a random (version 4) unique id: a child records its parent's, so
     * two images must never share one (rand() unseeded repeats itself
     * in every process) */
    vd_random(f + 68, 16);
    f[68 + 6] = (uint8_t)((f[68 + 6] & 0x0f) | 0x40);
    f[68 + 8] = (uint8_t)((f[68 + 8] & 0x3f) | 0x80);
    put_be32(f + 64, vhd_checksum(f, 512, 64));
}

static int vpc_create(const char *path, const struct vdisk_create_opts *o,
                      struct vdisk_err *err)
{
    bool fixed = o->subformat && !strcmp(o->subformat, "fixed");
    if (o->subformat && !fixed && strcmp(o->subformat, "dynamic"))
        return vdisk_err_set(err, EINVAL, "Parameter 'subformat' does not "
                             "accept value '%s'", o->subformat);
    /* a backing file makes a differencing image (qemu-img refuses) */
    struct parent_info pi = {0};
    bool diff = o->backing_file != NULL;
    if (diff && fixed)
        return vdisk_err_set(err, EINVAL, "'%s': a differencing VHD is "
                             "dynamic; subformat=fixed takes no backing "
                             "file", path);
    if (diff) {
        int rc = read_parent(o->final_name ? o->final_name : path,
                             o->backing_file, o->backing_format, &pi, err);
        if (rc < 0)
            return rc;
    }
    uint64_t size = o->size;
    bool force = o->force_size;
    /* the parent's own size when it has no CHS form (force_size) */
    if (diff && size == pi.size && pi.exact)
        force = true;
    if (!force) {
        /* as QEMU: the size the CHS geometry can express (rounded down,
         * or up to one more cylinder when that covers the request) */
        uint16_t c;
        uint8_t h, spt;
        uint64_t secs = size / 512;
        chs(secs, &c, &h, &spt);
        uint64_t got = (uint64_t)c * h * spt;
        for (uint64_t i = 1; got < secs && i < 65536; i++) {
            chs(secs + i, &c, &h, &spt);
            got = (uint64_t)c * h * spt;
        }
        if (got == VHD_MAX_GEOMETRY || got < secs)
            force = true;       /* beyond CHS: the footer size counts */
        else
            size = got * 512;
    }
    if (diff && size != pi.size) {
        /* Hyper-V and libvhdi read a child only over a parent of its own
         * size (libvhdi fails past the parent's end) */
        int rc = vdisk_err_set(err, EINVAL, "'%s': a differencing VHD has "
                               "the size of its parent (%llu bytes), not "
                               "%llu", path, (unsigned long long)pi.size,
                               (unsigned long long)size);
        parent_info_free(&pi);
        return rc;
    }
    if (!fixed && size / 512 > VHD_MAX_SECTORS) {
        parent_info_free(&pi);
        return vdisk_err_set(err, EFBIG, "'%s': dynamic VHD images are "
                             "limited to 2040 GiB", path);
    }
    /* differencing: W2ru and W2ku data in sectors of their own between
     * the header and the BAT */
    uint8_t *loc[2] = {0};
    long loc_len[2] = {0};
    uint64_t loc_off[2] = {0}, loc_space[2] = {0}, bat_at = 1536;
    for (int i = 0; diff && i < 2; i++) {
        loc[i] = xcalloc(1, VHD_LOC_MAX);
        loc_len[i] = locator_data(&pi, i == 1, loc[i], VHD_LOC_MAX);
        if (loc_len[i] < 0) {
            free(loc[0]);
            free(loc[1]);
            parent_info_free(&pi);
            return vdisk_err_set(err, ENAMETOOLONG, "'%s': parent path too "
                                 "long for a locator", path);
        }
        loc_off[i] = bat_at;
        loc_space[i] = round512((uint64_t)loc_len[i]);
        bat_at += loc_space[i];
    }
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        free(loc[0]);
        free(loc[1]);
        parent_info_free(&pi);
        return vdisk_err_set(err, errno, "could not create '%s': %s", path,
                             strerror(errno));
    }
    uint8_t f[512];
    int rc;
    if (fixed) {
        make_footer(f, size, VHD_FIXED, force, UINT64_MAX);
        rc = vd_pwrite_fd(fd, f, 512, size, path, err);
    } else {
        uint32_t block = 2u << 20;
        uint32_t n = (uint32_t)((size + block - 1) / block);
        uint64_t bat_bytes = ((uint64_t)n * 4 + 511) / 512 * 512;
        make_footer(f, size, diff ? VHD_DIFF : VHD_DYNAMIC, force, 512);
        uint8_t h[1024] = {0};
        memcpy(h, "cxsparse", 8);
        put_be64(h + 8, UINT64_MAX);
        put_be64(h + 16, bat_at);
        put_be32(h + 24, 0x00010000);
        put_be32(h + 28, n);
        put_be32(h + 32, block);
        put_be32(h + 36, vhd_checksum(h, 1024, 36));
        rc = diff ? fill_diff_header(h, &pi, loc_off, loc_space, loc_len,
                                     err) : 0;
        uint8_t *bat = xmalloc(bat_bytes ? bat_bytes : 1);
        memset(bat, 0xff, bat_bytes);
        if (rc == 0)
            rc = vd_pwrite_fd(fd, f, 512, 0, path, err);
        if (rc == 0)
            rc = vd_pwrite_fd(fd, h, 1024, 512, path, err);
        for (int i = 0; diff && i < 2 && rc == 0; i++)
            rc = vd_pwrite_fd(fd, loc[i], loc_space[i], loc_off[i], path,
                              err);
        if (rc == 0)
            rc = vd_pwrite_fd(fd, bat, bat_bytes, bat_at, path, err);
        if (rc == 0)
            rc = vd_pwrite_fd(fd, f, 512, bat_at + bat_bytes, path, err);
        free(bat);
    }
    free(loc[0]);
    free(loc[1]);
    parent_info_free(&pi);
    if (close(fd) < 0 && rc == 0)
        rc = vdisk_err_set(err, errno, "'%s': %s", path, strerror(errno));
    return rc;
}

static const char *const vpc_opts[] = {
    "backing_file", "backing_fmt", "force_size", "size", "subformat", NULL,
};

const struct vdisk_driver vdisk_vpc_driver = {
    .name = "vpc",
    .priv_size = sizeof(struct vpc),
    .probe = vpc_probe,
    .open = vpc_open,
    .close = vpc_close,
    .pread = vpc_pread,
    .pwrite = vpc_pwrite,
    .pwrite_zeroes = vpc_pwrite_zeroes,
    .flush = vpc_flush,
    .block_status = vpc_block_status,
    .check_backing = vpc_check_backing,
    .set_backing = vpc_set_backing,
    .can_set_backing = vpc_can_set_backing,
    .make_empty = vpc_make_empty,
    .create = vpc_create,
    .create_opts = vpc_opts,
    .zero_init = true,
};

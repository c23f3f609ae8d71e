/* disk/vdi.c — VirtualBox VDI images, version 1.1: a header (signature,
 * sizes, UUIDs), a block map of 32-bit entries (block index in the data
 * area, 0xffffffff unallocated, 0xfffffffe discarded = zeros) and 1 MiB
 * blocks.  Dynamic ("normal") images allocate blocks at the end, static
 * ones are preallocated at create.  Read and write; differencing and undo
 * images are refused. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "disk/internal.h"

#define VDI_SIGNATURE   0xbeda107fu
#define VDI_VERSION     0x00010001u
#define VDI_DYNAMIC     1
#define VDI_STATIC      2
#define VDI_UNALLOC     0xffffffffu
#define VDI_DISCARDED   0xfffffffeu
#define VDI_BLOCK       (1u << 20)
#define VDI_MAX_BLOCKS  (1u << 25)          /* 32 TiB of 1 MiB blocks */
#define VDI_TEXT        "<<< QEMU VM Virtual Disk Image >>>\n"

struct vdi {
    uint8_t hdr[512];
    int type;
    uint32_t bmap_off, data_off;
    uint32_t nblocks, nalloc;
    uint32_t *bmap;             /* host order */
    uint64_t fsize;
    bool dirty;
};

static int vdi_probe(const uint8_t *head, size_t len)
{
    if (len >= 72 && le32(head + 64) == VDI_SIGNATURE)
        return 100;
    return 0;
}

static int vdi_open(struct vdisk *d, int fd, unsigned flags,
                    struct vdisk_err *err)
{
    struct vdi *s = vdisk_priv(d);
    uint8_t *h = s->hdr;
    struct stat st;
    int rc;
    const char *why = NULL;
    if (fstat(fd, &st) < 0) {
        rc = vdisk_err_set(err, errno, "'%s': %s", d->filename,
                           strerror(errno));
        goto fail;
    }
    s->fsize = (uint64_t)st.st_size;
    rc = vd_pread_exact(fd, h, 512, 0, d->filename, err);
    if (rc < 0)
        goto fail;
    s->type = (int)le32(h + 76);
    s->bmap_off = le32(h + 340);
    s->data_off = le32(h + 344);
    uint64_t size = le64(h + 368);
    s->nblocks = le32(h + 384);
    s->nalloc = le32(h + 388);
    if (le32(h + 64) != VDI_SIGNATURE)
        why = "bad signature";
    else if (le32(h + 68) != VDI_VERSION)
        why = "unsupported version (only 1.1)";
    else if (s->type != VDI_DYNAMIC && s->type != VDI_STATIC)
        why = "unsupported image type (differencing/undo images)";
    else if (le32(h + 360) != 512)
        why = "sector size is not 512";
    else if (le32(h + 376) != VDI_BLOCK)
        why = "block size is not 1 MiB";
    else if (le32(h + 380) != 0)
        why = "extra block data is not supported";
    else if (s->nblocks > VDI_MAX_BLOCKS)
        why = "too many blocks";
    else if ((uint64_t)s->nblocks * VDI_BLOCK < size)
        why = "block map too small for the disk size";
    else if (s->nalloc > s->nblocks)
        why = "more blocks allocated than exist";
    else if (s->bmap_off % 512 || s->data_off % 512 || s->bmap_off < 512)
        why = "unaligned block map or data offset";
    else if (s->bmap_off > s->fsize ||
             (uint64_t)s->nblocks * 4 > s->fsize - s->bmap_off)
        why = "block map lies outside the file";
    else if ((uint64_t)s->bmap_off + (uint64_t)s->nblocks * 4 > s->data_off)
        why = "block map overlaps the data area";
    if (why) {
        rc = vdisk_err_set(err, EINVAL, "'%s': invalid VDI image: %s",
                           d->filename, why);
        goto fail;
    }
    s->bmap = xmalloc(s->nblocks ? (size_t)s->nblocks * 4 : 4);
    rc = vd_pread_exact(fd, s->bmap, (size_t)s->nblocks * 4, s->bmap_off,
                        d->filename, err);
    if (rc < 0)
        goto fail;
    /* `check` opens (VDISK_NO_REPAIR) take bad entries, to report them */
    bool for_check = flags & (VDISK_NO_REPAIR | VDISK_UNSAFE_META);
    for (uint32_t i = 0; i < s->nblocks; i++) {
        s->bmap[i] = le32(&s->bmap[i]);
        if (s->bmap[i] < VDI_DISCARDED && s->bmap[i] >= s->nblocks &&
            !for_check) {
            rc = vdisk_err_set(err, EINVAL, "'%s': block map entry %u points "
                               "to block %u of %u", d->filename, i,
                               s->bmap[i], s->nblocks);
            goto fail;
        }
    }
    d->size = size;
    d->cluster_size = VDI_BLOCK;
    d->zero_init = true;
    return 0;
fail:
    free(s->bmap);
    s->bmap = NULL;
    close(fd);
    return rc;
}

static int write_header(struct vdisk *d, struct vdisk_err *err)
{
    struct vdi *s = vdisk_priv(d);
    put_le32(s->hdr + 388, s->nalloc);
    int rc = vd_pwrite_fd(d->fd, s->hdr, 512, 0, d->filename, err);
    if (rc == 0)
        s->dirty = false;
    return rc;
}

static int vdi_close(struct vdisk *d, struct vdisk_err *err)
{
    struct vdi *s = vdisk_priv(d);
    int rc = s->dirty ? write_header(d, err) : 0;
    free(s->bmap);
    close(d->fd);
    return rc;
}

static uint64_t block_host(struct vdi *s, uint32_t b)
{
    return s->data_off + (uint64_t)b * VDI_BLOCK;
}

static int vdi_pread(struct vdisk *d, void *buf, size_t n, uint64_t off,
                     struct vdisk_err *err)
{
    struct vdi *s = vdisk_priv(d);
    uint8_t *p = buf;
    while (n > 0) {
        uint64_t bi = off / VDI_BLOCK, bo = off % VDI_BLOCK;
        size_t len = VDI_BLOCK - bo < n ? (size_t)(VDI_BLOCK - bo) : n;
        uint32_t e = bi < s->nblocks ? s->bmap[bi] : VDI_UNALLOC;
        int rc = 0;
        if (e >= VDI_DISCARDED)
            memset(p, 0, len);
        else
            rc = vd_pread_fd(d->fd, p, len, block_host(s, e) + bo,
                             d->filename, err);
        if (rc < 0)
            return rc;
        p += len;
        off += len;
        n -= len;
    }
    return 0;
}

static int vdi_pwrite(struct vdisk *d, const void *buf, size_t n,
                      uint64_t off, struct vdisk_err *err)
{
    struct vdi *s = vdisk_priv(d);
    const uint8_t *p = buf;
    while (n > 0) {
        uint64_t bi = off / VDI_BLOCK, bo = off % VDI_BLOCK;
        size_t len = VDI_BLOCK - bo < n ? (size_t)(VDI_BLOCK - bo) : n;
        int rc;
        if (s->bmap[bi] >= VDI_DISCARDED) {
            /* a new block at the end: whole, zero-filled around the data */
            if (s->nalloc >= s->nblocks)
                return vdisk_err_set(err, EIO, "'%s': no free block left",
                                     d->filename);
            uint32_t nb = s->nalloc;
            uint8_t *blk = xcalloc(1, VDI_BLOCK);
            memcpy(blk + bo, p, len);
            rc = vd_pwrite_fd(d->fd, blk, VDI_BLOCK, block_host(s, nb),
                              d->filename, err);
            free(blk);
            uint8_t e[4];
            put_le32(e, nb);
            if (rc == 0)
                rc = vd_pwrite_fd(d->fd, e, 4, s->bmap_off + bi * 4,
                                  d->filename, err);
            if (rc < 0)
                return rc;
            s->bmap[bi] = nb;
            s->nalloc++;
            s->dirty = true;
        } else {
            rc = vd_pwrite_fd(d->fd, p, len, block_host(s, s->bmap[bi]) + bo,
                              d->filename, err);
            if (rc < 0)
                return rc;
        }
        p += len;
        off += len;
        n -= len;
    }
    return 0;
}

static int vdi_pwrite_zeroes(struct vdisk *d, uint64_t off, uint64_t len,
                             unsigned flags, struct vdisk_err *err)
{
    struct vdi *s = vdisk_priv(d);
    for (uint64_t o = off; o < off + len;) {
        uint64_t bi = o / VDI_BLOCK;
        if (s->bmap[bi] < VDI_DISCARDED)
            return -ENOTSUP;        /* the core writes zero bytes */
        o = (bi + 1) * VDI_BLOCK;
    }
    return 0;                       /* unallocated already reads zero */
}

static int vdi_flush(struct vdisk *d, struct vdisk_err *err)
{
    struct vdi *s = vdisk_priv(d);
    int rc = s->dirty ? write_header(d, err) : 0;
    if (rc == 0 && fdatasync(d->fd) < 0)
        rc = vdisk_err_set(err, errno, "'%s': flush failed: %s", d->filename,
                           strerror(errno));
    return rc;
}

static int vdi_block_status(struct vdisk *d, uint64_t off, uint64_t len,
                            struct vdisk_extent *ext, struct vdisk_err *err)
{
    struct vdi *s = vdisk_priv(d);
    uint64_t bi = off / VDI_BLOCK;
    uint32_t e = bi < s->nblocks ? s->bmap[bi] : VDI_UNALLOC;
    uint64_t run = VDI_BLOCK - off % VDI_BLOCK;
    uint64_t host = e < VDI_DISCARDED ? block_host(s, e) + off % VDI_BLOCK : 0;
    while (run < len) {
        uint64_t b2 = (off + run) / VDI_BLOCK;
        uint32_t e2 = b2 < s->nblocks ? s->bmap[b2] : VDI_UNALLOC;
        if ((e2 < VDI_DISCARDED) != (e < VDI_DISCARDED))
            break;
        if (e < VDI_DISCARDED && block_host(s, e2) != host + run)
            break;
        run += VDI_BLOCK;
    }
    ext->off = off;
    ext->len = run < len ? run : len;
    ext->host_offset = host;
    /* unallocated: the core marks it ZERO (VDI has no backing file) */
    ext->flags = e < VDI_DISCARDED ? VDISK_EXT_ALLOCATED | VDISK_EXT_DATA |
                                         VDISK_EXT_OFFSET
                                   : 0;
    return 0;
}

static void uuid4(uint8_t *u)
{
    vd_random(u, 16);       /* VirtualBox refuses two disks with one id */
    u[6] = (uint8_t)((u[6] & 0x0f) | 0x40);
    u[8] = (uint8_t)((u[8] & 0x3f) | 0x80);
}

static int vdi_create(const char *path, const struct vdisk_create_opts *o,
                      struct vdisk_err *err)
{
    if (o->backing_file)
        return vdisk_err_set(err, ENOTSUP, "'%s': format 'vdi' does not "
                             "support backing files", path);
    uint64_t nb = (o->size + VDI_BLOCK - 1) / VDI_BLOCK;
    if (nb > VDI_MAX_BLOCKS)
        return vdisk_err_set(err, EFBIG, "'%s': unsupported VDI image size "
                             "(%llu bytes)", path,
                             (unsigned long long)o->size);
    uint32_t bmap_bytes = (uint32_t)((nb * 4 + 511) / 512 * 512);
    uint8_t h[512] = {0};
    memcpy(h, VDI_TEXT, strlen(VDI_TEXT));
    put_le32(h + 64, VDI_SIGNATURE);
    put_le32(h + 68, VDI_VERSION);
    put_le32(h + 72, 0x190);
    put_le32(h + 76, o->static_image ? VDI_STATIC : VDI_DYNAMIC);
    put_le32(h + 340, 512);
    put_le32(h + 344, 512 + bmap_bytes);
    put_le32(h + 360, 512);
    put_le64(h + 368, o->size);
    put_le32(h + 376, VDI_BLOCK);
    put_le32(h + 384, (uint32_t)nb);
    put_le32(h + 388, o->static_image ? (uint32_t)nb : 0);
    uuid4(h + 392);
    uuid4(h + 408);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return vdisk_err_set(err, errno, "could not create '%s': %s", path,
                             strerror(errno));
    uint8_t *bmap = xmalloc(bmap_bytes);
    memset(bmap, 0, bmap_bytes);
    for (uint32_t i = 0; i < nb; i++)
        put_le32(bmap + 4 * i, o->static_image ? i : VDI_UNALLOC);
    int rc = vd_pwrite_fd(fd, h, 512, 0, path, err);
    if (rc == 0)
        rc = vd_pwrite_fd(fd, bmap, bmap_bytes, 512, path, err);
    free(bmap);
    if (rc == 0 && o->static_image &&
        ftruncate(fd, (off_t)(512 + bmap_bytes + nb * VDI_BLOCK)) < 0)
        rc = vdisk_err_set(err, errno, "'%s': %s", path, strerror(errno));
    if (close(fd) < 0 && rc == 0)
        rc = vdisk_err_set(err, errno, "'%s': %s", path, strerror(errno));
    return rc;
}

static const char *const vdi_opts[] = { "size", "static", NULL };

/* qemu-img's VDI check: every allocated block map entry must name a
 * block inside the image and no block twice, and the header's count of
 * allocated blocks must be right.  No repair (as qemu: -r is ENOTSUP). */
static int vdi_check(struct vdisk *d, unsigned fix, struct vdisk_check *res,
                     vxl_diags *report, struct vdisk_err *err)
{
    struct vdi *s = vdisk_priv(d);
    if (fix)
        return vdisk_err_set(err, ENOTSUP, "'%s': vdi check can't repair",
                             d->filename);
    memset(res, 0, sizeof(*res));
    uint32_t *owner = xmalloc((s->nblocks ? s->nblocks : 1) * sizeof(*owner));
    memset(owner, 0xff, (s->nblocks ? s->nblocks : 1) * sizeof(*owner));
    uint32_t nalloc = 0;
    for (uint32_t b = 0; b < s->nblocks; b++) {
        uint32_t e = s->bmap[b];
        if (e >= VDI_DISCARDED)
            continue;
        if (e >= s->nblocks) {
            if (report)
                vxl_diag_add(report, VXL_ERROR, NULL, 0, 0, NULL,
                             "ERROR: block index %u too large, is %u", b, e);
            res->corruptions++;
            continue;
        }
        nalloc++;
        if (owner[e] == UINT32_MAX) {
            owner[e] = e;
        } else {
            /* (qemu names the block twice: "also used by" itself) */
            if (report)
                vxl_diag_add(report, VXL_ERROR, NULL, 0, 0, NULL,
                             "ERROR: block index %u also used by %u",
                             owner[e], e);
            res->corruptions++;
        }
    }
    free(owner);
    if (nalloc != s->nalloc) {
        if (report)
            vxl_diag_add(report, VXL_ERROR, NULL, 0, 0, NULL,
                         "ERROR: allocated blocks mismatch, is %u, should be "
                         "%u", nalloc, s->nalloc);
        res->corruptions++;
    }
    return 0;
}

const struct vdisk_driver vdisk_vdi_driver = {
    .name = "vdi",
    .priv_size = sizeof(struct vdi),
    .probe = vdi_probe,
    .open = vdi_open,
    .close = vdi_close,
    .pread = vdi_pread,
    .pwrite = vdi_pwrite,
    .pwrite_zeroes = vdi_pwrite_zeroes,
    .flush = vdi_flush,
    .block_status = vdi_block_status,
    .check = vdi_check,
    .create = vdi_create,
    .create_opts = vdi_opts,
    .zero_init = true,
};

/* disk/internal.h — what the core shares with drivers: the image handle
 * and small I/O helpers.  Not for users of the library (xl/, convert). */
#ifndef VXL_DISK_INTERNAL_H
#define VXL_DISK_INTERNAL_H

#include <stdint.h>
#include <sys/stat.h>

#include "disk/disk.h"

struct vdisk {
    const struct vdisk_driver *drv;
    char *filename;             /* as given */
    unsigned flags;             /* VDISK_* open flags */
    bool probed;                /* format came from a probe */
    int fd;                     /* owned by the driver after open */
    dev_t dev;
    ino_t ino;

    /* Set by the driver's open. */
    uint64_t size;
    uint32_t cluster_size;
    uint32_t alignment;         /* core sets 1 or 512/4096 for O_DIRECT */
    char *backing_name;         /* recorded name (xstrdup'd), or NULL */
    char *backing_fmt;          /* recorded format, or NULL */
    char *data_filename;        /* external data file, or NULL */
    bool zero_init;
    bool compress_writes;       /* see vdisk_compresses_writes() */
    bool direct_on;             /* direct_fd is open (zero-initialised: off) */
    int direct_fd;              /* O_DIRECT twin of fd (vdisk_set_direct_data) */

    struct vd_window *win;      /* windowed image (fd is -1), or NULL */

    /* The driver's last block-status answer, kept for read-only images
     * only (core.c, layer_status) */
    struct {
        bool valid;
        bool clipped;           /* the run may go on past off + len */
        unsigned flags;
        uint64_t off, len, host_offset;
    } bs_cache;

    /* Set by the core. */
    char *backing_path;         /* resolved backing_name */
    struct vdisk *backing;
    void *priv;
};

/* Full pread/pwrite on an fd: loops over short transfers; a read past EOF
 * fills zeros (images may end before their last cluster). */
int vd_pread_fd(int fd, void *buf, size_t n, uint64_t off, const char *name,
                struct vdisk_err *err);
/* Like vd_pread_fd but a short read is an error (metadata). */
int vd_pread_exact(int fd, void *buf, size_t n, uint64_t off,
                   const char *name, struct vdisk_err *err);
int vd_pwrite_fd(int fd, const void *buf, size_t n, uint64_t off,
                 const char *name, struct vdisk_err *err);
/* Guest data write to d's own file (fd is d->fd, or another fd, which is
 * then simply written): with vdisk_set_direct_data on, the 4 KiB-aligned
 * middle of the range goes through the O_DIRECT descriptor when the
 * buffer is aligned for it, the unaligned head and tail through fd. */
int vd_pwrite_data(struct vdisk *d, int fd, const void *buf, size_t n,
                   uint64_t off, const char *name, struct vdisk_err *err);

/* A window (disk.h, vdisk_open_window) as the core keeps it. */
struct vd_window {
    struct vdisk_window_seg *seg;
    size_t nseg;
    uint64_t len;               /* sum of the segment lengths */
    void (*observe)(void *opaque, uint64_t off, const void *buf, size_t n);
    void *observe_opaque;
};

/* Read n bytes at window offset off.  Past the end: zeros, or with
 * `exact` an "unexpected end" error (as vd_pread_fd / vd_pread_exact). */
int vd_win_pread(const struct vd_window *w, void *buf, size_t n,
                 uint64_t off, bool exact, const char *name,
                 struct vdisk_err *err);

/* Read from d's backing image, zero-filling what lies beyond its end or
 * everything when d has no open backing image. */
int vd_read_backing(struct vdisk *d, void *buf, size_t n, uint64_t off,
                    struct vdisk_err *err);

/* n random bytes for image ids (getrandom; a time/pid mix if that
 * fails): ids that a child records of its parent, or that VirtualBox
 * registers, must differ between images (unseeded rand() does not). */
void vd_random(void *buf, size_t n);

/* Resolve `name` relative to the directory of `parent` (QEMU rule). */
char *vd_resolve_relative(const char *parent, const char *name);

static inline uint16_t be16(const void *p)
{
    const uint8_t *b = p;
    return (uint16_t)(b[0] << 8 | b[1]);
}
static inline uint32_t be32(const void *p)
{
    const uint8_t *b = p;
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
           (uint32_t)b[2] << 8 | b[3];
}
static inline uint64_t be64(const void *p)
{
    const uint8_t *b = p;
    return (uint64_t)be32(b) << 32 | be32(b + 4);
}
static inline void put_be16(void *p, uint16_t v)
{
    uint8_t *b = p;
    b[0] = v >> 8; b[1] = (uint8_t)v;
}
static inline void put_be32(void *p, uint32_t v)
{
    uint8_t *b = p;
    b[0] = v >> 24; b[1] = v >> 16; b[2] = v >> 8; b[3] = (uint8_t)v;
}
static inline void put_be64(void *p, uint64_t v)
{
    put_be32(p, v >> 32);
    put_be32((uint8_t *)p + 4, (uint32_t)v);
}

/* Little-endian helpers (vmdk, vdi). */
static inline uint16_t le16(const void *p)
{
    const uint8_t *b = p;
    return (uint16_t)(b[0] | b[1] << 8);
}
static inline uint32_t le32(const void *p)
{
    const uint8_t *b = p;
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
           (uint32_t)b[3] << 24;
}
static inline uint64_t le64(const void *p)
{
    const uint8_t *b = p;
    return (uint64_t)le32(b) | (uint64_t)le32(b + 4) << 32;
}
static inline void put_le16(void *p, uint16_t v)
{
    uint8_t *b = p;
    b[0] = (uint8_t)v; b[1] = (uint8_t)(v >> 8);
}
static inline void put_le32(void *p, uint32_t v)
{
    uint8_t *b = p;
    b[0] = (uint8_t)v; b[1] = (uint8_t)(v >> 8);
    b[2] = (uint8_t)(v >> 16); b[3] = (uint8_t)(v >> 24);
}
static inline void put_le64(void *p, uint64_t v)
{
    put_le32(p, (uint32_t)v);
    put_le32((uint8_t *)p + 4, (uint32_t)(v >> 32));
}

extern const struct vdisk_driver vdisk_raw_driver;
extern const struct vdisk_driver vdisk_qcow2_driver;
extern const struct vdisk_driver vdisk_qcow_driver;
extern const struct vdisk_driver vdisk_vmdk_driver;
extern const struct vdisk_driver vdisk_vpc_driver;
extern const struct vdisk_driver vdisk_vdi_driver;

#endif

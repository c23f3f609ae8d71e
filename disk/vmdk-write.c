/* disk/vmdk-write.c — VMDK create and writes (not yet: read-only). */
#include <errno.h>

#include "disk/vmdk.h"

int vmdk_write_open(struct vdisk *d, struct vdisk_err *err)
{
    return vdisk_err_set(err, ENOTSUP, "'%s': VMDK images are read-only in "
                         "vxl for now", d->filename);
}
int vmdk_write_close(struct vdisk *d, struct vdisk_err *err) { return 0; }
int vmdk_pwrite(struct vdisk *d, const void *buf, size_t n, uint64_t off,
                struct vdisk_err *err) { return -ENOTSUP; }
int vmdk_pwrite_zeroes(struct vdisk *d, uint64_t off, uint64_t len,
                       unsigned flags, struct vdisk_err *err) { return -ENOTSUP; }
int vmdk_flush(struct vdisk *d, struct vdisk_err *err) { return 0; }
int vmdk_create(const char *path, const struct vdisk_create_opts *o,
                struct vdisk_err *err)
{
    return vdisk_err_set(err, ENOTSUP, "VMDK create is not implemented yet");
}
int vmdk_compress(const struct vdisk *d, const void *in, size_t n,
                  void *out, size_t out_cap, size_t *out_len,
                  struct vdisk_err *err) { return -ENOTSUP; }
int vmdk_write_compressed(struct vdisk *d, uint64_t off, const void *cdata,
                          size_t clen, struct vdisk_err *err) { return -ENOTSUP; }

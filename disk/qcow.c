/* disk/qcow.c — QEMU's original qcow (version 1) format, read-only. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "disk/internal.h"

static int qcow_probe(const uint8_t *head, size_t len)
{
    if (len >= 8 && be32(head) == 0x514649fbu && be32(head + 4) == 1)
        return 100;
    return 0;
}

static int qcow_open(struct vdisk *d, int fd, unsigned flags,
                     struct vdisk_err *err)
{
    close(fd);
    return vdisk_err_set(err, ENOTSUP, "'%s': qcow v1 not yet", d->filename);
}

const struct vdisk_driver vdisk_qcow_driver = {
    .name = "qcow",
    .probe = qcow_probe,
    .open = qcow_open,
};

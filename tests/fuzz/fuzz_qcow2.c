/* tests/fuzz/fuzz_qcow2.c — libFuzzer target: open arbitrary bytes as a
 * qcow2 (and qcow) image, read it all, ask block status, and run check.
 * The image goes to a memfd so the library sees an ordinary fd.
 * Backing files are never opened (VDISK_NO_BACKING).  A second pass
 * opens the image the way `img check` does. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "disk/disk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void exercise(const char *path, const char *fmt, unsigned flags)
{
    struct vdisk_open_opts o = { .format = fmt,
                                 .flags = VDISK_NO_BACKING | flags };
    struct vdisk *d;
    struct vdisk_err err;
    if (vdisk_open(path, &o, &d, &err) < 0)
        return;
    uint64_t size = vdisk_size(d);
    static uint8_t buf[1 << 16];
    /* read at most 64 clusters' worth so huge virtual sizes stay fast */
    uint64_t off = 0;
    for (int i = 0; i < 64 && off < size; i++) {
        size_t n = size - off < sizeof(buf) ? (size_t)(size - off) : sizeof(buf);
        if (vdisk_pread(d, buf, n, off, &err) < 0)
            break;
        off += n;
    }
    off = 0;
    for (int i = 0; i < 256 && off < size; i++) {
        struct vdisk_extent e;
        if (vdisk_block_status(d, off, size - off, true, &e, &err) < 0)
            break;
        off += e.len;
    }
    struct vdisk_info info;
    if (vdisk_get_info(d, &info, &err) == 0)
        vdisk_info_dispose(&info);
    struct vdisk_check res;
    vxl_diags diags = {0};
    vdisk_check(d, 0, &res, &diags, &err);
    vxl_diags_free(&diags);
    vdisk_close(d, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = memfd_create("fuzz", 0);
    if (fd < 0)
        return 0;
    if (write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    exercise(path, "qcow2", 0);
    exercise(path, "qcow", 0);
    /* as `img check` opens: corrupt tables are let through to check */
    exercise(path, "qcow2", VDISK_NO_REPAIR | VDISK_UNSAFE_META);
    close(fd);
    return 0;
}

/* tests/fuzz/fuzz_disk.h — what every disk-format fuzz target does with
 * an image once it is a file: open it (backing files never followed),
 * read up to 64 clusters' worth (so huge virtual sizes stay fast), walk
 * block status, get its info and run check.  A failed open ends it. */
#ifndef VXL_TESTS_FUZZ_DISK_H
#define VXL_TESTS_FUZZ_DISK_H

#include <stdint.h>

#include "disk/disk.h"

static void fuzz_exercise_image(const char *path, const char *fmt,
                                unsigned flags)
{
    struct vdisk_open_opts o = { .format = fmt,
                                 .flags = VDISK_NO_BACKING | flags };
    struct vdisk *d;
    struct vdisk_err err;
    if (vdisk_open(path, &o, &d, &err) < 0)
        return;
    uint64_t size = vdisk_size(d);
    static uint8_t buf[1 << 16];
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

#endif

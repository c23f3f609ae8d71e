/* tests/fuzz/fuzz_vmdk_se.c — libFuzzer target: arbitrary bytes as the
 * extent of a VMDK seSparse image.  A bare seSparse extent is not an image
 * (only a descriptor names one), so fuzz_vmdk never reaches this parser:
 * here the input goes to one memfd and a fixed descriptor naming it (by
 * its /proc/self/fd number, a name relative to the descriptor's
 * directory) to another; the extent's size in the descriptor comes from
 * the header's capacity field, bounded, so the reads cover what the
 * header claims.  Then open, read, block status, info and check, as
 * fuzz_vmdk does.  Seeds: `tests/gen_sesparse.py` extents
 * (OUT-sesparse.vmdk), small sizes, with and without --corrupt. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "disk/disk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void exercise(const char *path, unsigned flags)
{
    struct vdisk_open_opts o = { .format = "vmdk",
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int xfd = memfd_create("extent", 0);
    if (xfd < 0)
        return 0;
    int dfd = memfd_create("desc", 0);
    if (dfd < 0) {
        close(xfd);
        return 0;
    }
    if (write(xfd, data, size) == (ssize_t)size) {
        /* capacity (sectors) from the header; at most 1 GiB so the
         * bounded reads above stay quick */
        uint64_t cap = 0;
        if (size >= 24)
            for (int i = 7; i >= 0; i--)
                cap = cap << 8 | data[16 + i];
        if (cap == 0 || cap > (1u << 21))
            cap = 2048;
        char desc[256];
        int n = snprintf(desc, sizeof(desc),
                         "# Disk DescriptorFile\nversion=1\nCID=1\n"
                         "parentCID=ffffffff\ncreateType=\"seSparse\"\n\n"
                         "RW %llu SESPARSE \"%d\"\n",
                         (unsigned long long)cap, xfd);
        if (n > 0 && write(dfd, desc, (size_t)n) == n) {
            char path[64];
            snprintf(path, sizeof(path), "/proc/self/fd/%d", dfd);
            exercise(path, 0);
            exercise(path, VDISK_NO_REPAIR | VDISK_UNSAFE_META);
        }
    }
    close(dfd);
    close(xfd);
    return 0;
}

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
#include "tests/fuzz/fuzz_disk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
            fuzz_exercise_image(path, "vmdk", 0);
            fuzz_exercise_image(path, "vmdk", VDISK_NO_REPAIR | VDISK_UNSAFE_META);
        }
    }
    close(dfd);
    close(xfd);
    return 0;
}

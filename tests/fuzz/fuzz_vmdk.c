/* tests/fuzz/fuzz_vmdk.c — libFuzzer target: open arbitrary bytes as a
 * VMDK (sparse header, embedded or text descriptor), read it, ask block
 * status.  The image goes to a memfd so the library sees an ordinary fd;
 * descriptor extents resolve against /proc/self/fd/ and so can only name
 * files that don't exist there.  Backing files are never opened
 * (VDISK_NO_BACKING). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "disk/disk.h"
#include "tests/fuzz/fuzz_disk.h"

#ifndef FUZZ_FORMAT
#define FUZZ_FORMAT "vmdk"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
    fuzz_exercise_image(path, FUZZ_FORMAT, 0);
    /* as `img check` opens (a VDI block map with bad entries opens) */
    fuzz_exercise_image(path, FUZZ_FORMAT, VDISK_NO_REPAIR | VDISK_UNSAFE_META);
    close(fd);
    return 0;
}

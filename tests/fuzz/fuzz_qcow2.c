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
#include "tests/fuzz/fuzz_disk.h"

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
    fuzz_exercise_image(path, "qcow2", 0);
    fuzz_exercise_image(path, "qcow", 0);
    /* as `img check` opens: corrupt tables are let through to check */
    fuzz_exercise_image(path, "qcow2", VDISK_NO_REPAIR | VDISK_UNSAFE_META);
    close(fd);
    return 0;
}

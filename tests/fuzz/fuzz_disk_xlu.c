/* tests/fuzz/fuzz_disk_xlu.c — differential libFuzzer target: vxl's disk
 * spec parser against Xen 4.17's libxlutil (xlu_disk_parse).  The input
 * is split at '\x01' into up to 4 spec strings (block-attach's several
 * arguments); any difference in acceptance or in a parsed field aborts.
 * Inputs with NUL bytes, newlines or "trusted" are skipped (see
 * tests/disk_xlu_diff.h).  See docs/fuzzing.md. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/disk_xlu_diff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (memchr(data, 0, size))
        return 0;
    char *buf = xstrndup((const char *)data, size);
    const char *specs[4];
    int n = 0;
    char *p = buf;
    for (;;) {
        char *sep = strchr(p, 1);
        specs[n++] = p;
        if (!sep || n == 4)
            break;
        *sep = 0;
        p = sep + 1;
    }
    if (!dxd_skip(n, specs)) {
        char *why = disk_xlu_diff(n, specs);
        if (why) {
            fprintf(stderr, "vxl and libxlutil differ:\n%s", why);
            abort();
        }
    }
    free(buf);
    return 0;
}

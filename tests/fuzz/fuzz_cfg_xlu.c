/* tests/fuzz/fuzz_cfg_xlu.c — differential libFuzzer target: the xl.cfg
 * reader against the real libxlutil (Xen 4.17).  Any difference in
 * acceptance, return code, reported error count, settings or lookup
 * results aborts.  Inputs holding NUL bytes are skipped (libxlu asserts
 * on a NUL inside a quoted string).  The first byte picks the mode: odd =
 * the rest is file text and override text separated at the first '\x01'
 * (what `xl create cfg key=value' parses).  See docs/fuzzing.md. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/xlu_diff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!size || xd_skip((const char *)data, size))
        return 0;
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    char *extra = NULL;
    if (data[0] & 1) {
        const char *sep = memchr(text, 1, len);
        if (sep) {
            extra = xstrndup(sep + 1, len - (size_t)(sep + 1 - text));
            len = (size_t)(sep - text);
        }
    }
    char *why = xlu_diff(text, len, extra, NULL);
    if (why) {
        fprintf(stderr, "vxl and libxlu differ:\n%s", why);
        abort();
    }
    free(extra);
    return 0;
}

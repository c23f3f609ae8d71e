/* tests/fuzz/fuzz_manifest.c — libFuzzer target: arbitrary bytes parsed
 * as an OVF manifest (import/manifest.c); every parsed entry is looked up
 * again and its digest printed to hex. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "import/manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vmanifest m;
    vxl_diags d = {0};
    int rc = vmanifest_parse((const char *)data, size, "fuzz.mf", &m, &d);
    if (rc == 0) {
        for (size_t i = 0; i < m.n; i++) {
            if (vmanifest_find(&m, m.v[i].file) != &m.v[i])
                abort();        /* duplicates are refused */
            char hex[2 * VMF_MAX_DIGEST + 1];
            size_t dl = vmf_digest_len(m.v[i].alg);
            if (dl == 0 || dl > VMF_MAX_DIGEST)
                abort();
            vmf_hex(m.v[i].digest, dl, hex);
            if (strlen(hex) != 2 * dl)
                abort();
        }
        vmanifest_free(&m);
    } else if (d.nerrors == 0 || m.n != 0) {
        abort();                /* a failure says why and keeps nothing */
    }
    vxl_diags_free(&d);
    return 0;
}

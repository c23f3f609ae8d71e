/* tests/fuzz/fuzz_ovf.c — libFuzzer target: arbitrary bytes as an OVF
 * descriptor (import/ovf.c, libxml2 with no network, DTD or entities),
 * then the plan and config of every virtual system it yields
 * (import_fuzz.h).  A failed read must carry an error diagnostic.
 * Seeds: tests/data/import/ovf and the shared corpus's OVFs. */
#include <stdint.h>

#include "import_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vimport_vm *vms;
    size_t n;
    vxl_diags d = { 0 };
    int rc = vimport_ovf_parse((const char *)data, size, "fuzz.ovf", &vms, &n, &d);
    if (rc < 0 && d.nerrors == 0) {
        fprintf(stderr, "failed without an error diagnostic\n");
        abort();
    }
    if (rc == 0) {
        import_fuzz_plan(vms, n, &d);
        vimport_vms_free(vms, n);
    }
    vxl_diags_free(&d);
    return 0;
}

/* tests/fuzz/fuzz_vmx.c — libFuzzer target: arbitrary bytes as a .vmx
 * (import/vmx.c: quoting, |XX escapes, duplicates, device keys), then
 * the plan and config of the VM (import_fuzz.h).  A failed read must
 * carry an error diagnostic.  Seeds: tests/data/import/vmx. */
#include <stdint.h>

#include "import_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vimport_vm vm;
    vxl_diags d = { 0 };
    int rc = vimport_vmx_parse((const char *)data, size, "fuzz.vmx", &vm, &d);
    if (rc < 0 && d.nerrors == 0) {
        fprintf(stderr, "failed without an error diagnostic\n");
        abort();
    }
    if (rc == 0) {
        import_fuzz_plan(&vm, 1, &d);
        vimport_vm_dispose(&vm);
    }
    vxl_diags_free(&d);
    return 0;
}

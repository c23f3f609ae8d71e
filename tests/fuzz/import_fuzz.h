/* tests/fuzz/import_fuzz.h — shared by fuzz_ovf and fuzz_vmx: map every VM
 * a reader returns to a plan and a config, and require that vxl's own
 * config reader accepts what was written (a config vxl import writes
 * must always read back).  Nothing touches the disk: the plan is built,
 * never executed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfgparse/cfg.h"
#include "common/util.h"
#include "import/plan.h"
#include "import/vm.h"

static void import_fuzz_plan(struct vimport_vm *vms, size_t n, vxl_diags *d)
{
    if (n > 0 && d->nerrors) {
        fprintf(stderr, "reader succeeded with errors\n");
        abort();
    }
    struct vimport_opts o = { .outdir = "/nonexistent/out", .format = "qcow2" };
    for (size_t i = 0; i < n; i++) {
        struct vimport_plan p;
        vxl_diags pd = { 0 };
        if (vimport_plan_build(&vms[i], "fuzz", &o, i, n, &p, &pd) == 0) {
            char *text = vimport_cfg_render(&p);
            cfg_config *cfg = cfg_init("fuzz.cfg");
            vxl_diags cd = { 0 };
            if (cfg_readdata(cfg, text, strlen(text), &cd) != 0) {
                fprintf(stderr, "generated config does not read back:\n%s\n",
                        text);
                vxl_diags_print(&cd, stderr);
                abort();
            }
            cfg_destroy(cfg);
            vxl_diags_free(&cd);
            free(text);
            vimport_plan_dispose(&p);
        }
        vxl_diags_free(&pd);
    }
}

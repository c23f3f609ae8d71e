/* libFuzzer target: arbitrary xl.cfg text through the config reader and
 * vxl_parse_domain_config (plus the global affinity masks), as
 * `vxl create -n' runs them.  Finds crashes, leaks and UB; the answers
 * themselves are checked by the unit and corpus tests. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cfgparse/cfg.h"
#include "cfgparse/domain.h"
#include "cfgparse/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct vxl_host host = { .nr_cpus = 16, .nr_nodes = 2,
                                          .memory_mib = 32768 };
    static const struct vxl_xlconf xlconf = {
        .autoballoon = -1, .run_hotplug_scripts = 1, .claim_mode = 1,
        .max_grant_frames = -1, .max_maptrack_frames = -1,
        .max_grant_version = -1, .vm_pv_cpumask = "0-11",
    };
    cfg_config *cfg = cfg_init("fuzz.cfg");
    vxl_diags dg = { 0 };
    vxl_domain_config d;

    vxl_domain_config_init(&d);
    if (!cfg_readdata(cfg, (const char *)data, size, &dg) &&
        !vxl_parse_domain_config(cfg, &host, &xlconf, &d, &dg))
        vxl_apply_global_affinity_masks(cfg, &d, &host, &xlconf, &dg);
    vxl_domain_config_dispose(&d);
    cfg_destroy(cfg);
    vxl_diags_free(&dg);
    return 0;
}

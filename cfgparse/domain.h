/* cfgparse/domain.h — xl.cfg(5) → domain model: everything but the device
 * lists, with the semantics of Xen 4.17's xl (parse_config_data in
 * tools/xl/xl_parse.c).
 *
 * Options are read in xl's order with xl's defaults, and rejected where xl
 * rejects them; the device lists (disk, vif, pci, vfb, vkb, ...) are handed
 * to vxl_parse_devices (cfgparse/devices.h) at the point xl reaches them.
 * xl's messages become diagnostics (errors at the offending setting's
 * file:line:col, with a hint; xl's warnings as VXL_WARNING).
 *
 * Host facts come from `host' (vnuma's pnode check, the CPU count behind
 * cpus="all" and vcpu maps), xl.conf globals from `xlconf' (grant table
 * defaults, claim_mode, run_hotplug_scripts, blkdev_start).
 *
 * Deliberate difference from xl 4.17: cpumaps naming NUMA nodes
 * ("nodes:1") keep CPUs >= 8 (xl 4.17 loses them; see
 * docs and /work/shared/conformance/vcpupin-notes.md). */
#ifndef VXL_CFGPARSE_DOMAIN_H
#define VXL_CFGPARSE_DOMAIN_H

#include "cfgparse/cfg.h"
#include "cfgparse/host.h"
#include "cfgparse/model.h"
#include "cfgparse/xlconf.h"
#include "common/diag.h"

/* Where `firmware="pvgrub64"' points (xl's XENFIRMWAREDIR; this is the
 * Debian xen-utils-4.17 value the reference oracle uses). */
#define VXL_XENFIRMWAREDIR "/usr/lib/xen-4.17/boot"

/* Fill *d from cfg.  *d must have been initialised with
 * vxl_domain_config_init(); on failure it holds what was parsed so far
 * and must still be disposed.  Returns 0, or the exit status xl would
 * have exited with (1 mostly; 3 where xl exits with -ERROR_FAIL; 255
 * where it exits with -1), with at least one VXL_ERROR in diags. */
int vxl_parse_domain_config(const cfg_config *cfg,
                            const struct vxl_host *host,
                            const struct vxl_xlconf *xlconf,
                            vxl_domain_config *d, vxl_diags *diags);

/* What `xl create' does after parsing unless given -i
 * (--ignore-global-affinity-masks): intersect every vCPU's hard affinity
 * with xl.conf's vm.cpumask and vm.pv.cpumask / vm.hvm.cpumask, first
 * giving every vCPU an all-CPUs map when the config set none and a mask
 * restricts something.  Returns 0, or 1 with an error when a vCPU is left
 * with no CPU at all ("vcpu hard affinity map is empty"), placed at cfg's
 * cpus= setting (cfg may be NULL). */
int vxl_apply_global_affinity_masks(const cfg_config *cfg,
                                    vxl_domain_config *d,
                                    const struct vxl_host *host,
                                    const struct vxl_xlconf *xlconf,
                                    vxl_diags *diags);

#endif

/* cfgparse/devices.h — the device lists of an xl.cfg(5) file.
 *
 * vxl_parse_devices() reads every device setting of Xen 4.17 xl's
 * parse_config_data(), in xl's order, with xl's devid assignment, defaults
 * and errors:
 *
 *   pci_msitranslate, pci_power_mgmt, pci_permissive, pci_seize (defaults
 *   of each pci= device), rdm, pci, dtdev, disk, p9, vtpm, vdispl (with its
 *   connectors), pvcalls, vsnd, channel, vif, vif2 (a warning), vfb (each
 *   with its vkb), usbctrl, usbdev, and vkb.
 *
 * The caller (cfgparse/domain.c) must already have set c_info.type and
 * b_info's type (vxl_domain_build_info_init_type) and read e820_host: pci
 * devices set b_info.u.pv.e820_host for PV guests, rdm= goes to
 * b_info.u.hvm.rdm for HVM guests.  The top-level vnc/sdl options,
 * including the vfb + vkb xl makes from them for a PV guest without vfb=,
 * are the caller's.
 *
 * Errors point at the list item (file:line:col) with a hint.  Where xl
 * only warns and goes on (unknown vif tokens, unknown channel keys, ...)
 * vxl gives a VXL_WARNING and goes on too.
 *
 * Kept from xl 4.17 although wrong: an rdm= naming a policy is dropped
 * (4.17's parser rejects every valid policy), with a warning saying so.
 * Deliberate differences from xl 4.17: disk specs accept trusted /
 * untrusted (4.17's shipped scanner predates them); malformed items where
 * xl 4.17 crashes or reads uninitialised memory (connectors= without
 * `:', an empty sample-rates=, channel=[""]) are errors; each p9= item
 * must name its own tag/path/security_model (4.17 carries them over from
 * the previous item). */
#ifndef VXL_CFGPARSE_DEVICES_H
#define VXL_CFGPARSE_DEVICES_H

#include "cfgparse/cfg.h"
#include "cfgparse/host.h"
#include "cfgparse/model.h"
#include "cfgparse/xlconf.h"
#include "common/diag.h"

/* Add cfg's devices to *d.  Returns 0, or the exit status xl would exit
 * with (1 mostly; for a bad pci= spec 6, or 3 for an unknown rdm_policy,
 * as xl's exit(-e)),
 * with at least one VXL_ERROR in diags.  xlconf may be NULL (defaults). */
int vxl_parse_devices(const cfg_config *cfg, const struct vxl_host *host,
                      const struct vxl_xlconf *xlconf, vxl_domain_config *d,
                      vxl_diags *diags);

/* The same in the three stretches xl interleaves with other options, for
 * cfgparse/domain.c to call where xl reads them (so that the first error
 * of a config is xl's): the pci_* defaults, rdm, pci and dtdev (after the
 * on_* actions and e820_host); disk .. usbdev (after iomem); vkb (after
 * gic_version and tee, and after the vfb + vkb of a PV guest's top-level
 * vnc=).  vxl_parse_devices() = the three in a row. */
int vxl_parse_devices_pci(const cfg_config *cfg, const struct vxl_host *host,
                          const struct vxl_xlconf *xlconf,
                          vxl_domain_config *d, vxl_diags *diags);
int vxl_parse_devices_lists(const cfg_config *cfg,
                            const struct vxl_host *host,
                            const struct vxl_xlconf *xlconf,
                            vxl_domain_config *d, vxl_diags *diags);
int vxl_parse_devices_vkb(const cfg_config *cfg, const struct vxl_host *host,
                          const struct vxl_xlconf *xlconf,
                          vxl_domain_config *d, vxl_diags *diags);

#endif

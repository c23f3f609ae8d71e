/* cfgparse/pci_spec.h — PCI passthrough specs (xl-pci-configuration(5))
 * and the rdm= reserved-device-memory setting (xl.cfg(5)).
 *
 *   PCI_SPEC_STRING := [[DDDD:]BB:DD.F[@VSLOT],]KEY=VALUE,...
 *   BDF             := [DDDD:]BB:DD.F   (hex; F may be `*' = all functions)
 *   keys: bdf, vslot, permissive, msitranslate, seize, power_mgmt,
 *         rdm_policy, name  -- exactly one of a BDF and name= is required.
 *
 *   rdm = "strategy=host,policy=strict|relaxed" */
#ifndef VXL_CFGPARSE_PCI_SPEC_H
#define VXL_CFGPARSE_PCI_SPEC_H

#include "cfgparse/model.h"
#include "cfgparse/spec.h"

/* Parse a BDF alone into pci (domain, bus, dev, func, vfunc_mask).
 * 0, or -1 with an error. */
int vxl_parse_pci_bdf(vxl_device_pci *pci, const char *str,
                      const cfg_pos *loc, vxl_diags *d);

/* Parse a PCI_SPEC_STRING into pci, whose per-device defaults (the pci_*
 * globals, rdm_policy) the caller has set.  0, or with an error one of
 * libxl's codes that xl exits with (negated): VXL_PCI_ERROR_INVAL (a
 * malformed spec; xl exits 6) or VXL_PCI_ERROR_FAIL (an unknown
 * rdm_policy; xl exits 3). */
#define VXL_PCI_ERROR_FAIL  (-3)
#define VXL_PCI_ERROR_INVAL (-6)
int vxl_parse_pci_spec(vxl_device_pci *pci, const char *str,
                       const cfg_pos *loc, vxl_diags *d);

/* Parse an rdm= string ("strategy=host,policy=strict", as documented)
 * into *rdm (fields not given are left as they are).  0, or -1 with an
 * error.  (xl 4.17's own parser rejects every valid policy; see
 * devices.c for what vxl does about that.) */
int vxl_parse_rdm(vxl_rdm_reserve *rdm, const char *str, const cfg_pos *loc,
                  vxl_diags *d);

#endif

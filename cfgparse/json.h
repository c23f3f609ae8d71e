/* cfgparse/json.h — the domain model as libxl's JSON.
 *
 * Byte-identical to libxl_<type>_to_json() of Xen 4.17 (what `xl -N
 * create' and `xl -N block-attach/network-attach' print): yajl with
 * beautify on (4-space indent, a newline after the top-level value),
 * fields in IDL order, a field skipped when it holds its default (its
 * init value, NULL, an empty list/bitmap, a "default" defbool ...) except
 * nested structs, which are always printed (an empty one as "{\n\n}").
 * Keyed unions print as "type.hvm": {...}.
 *
 * The returned strings are malloc'd (free them) and end with "\n".  NULL
 * only if yajl fails (out of memory). */
#ifndef VXL_CFGPARSE_JSON_H
#define VXL_CFGPARSE_JSON_H

#include "cfgparse/model.h"

char *vxl_domain_config_to_json(const vxl_domain_config *d);
char *vxl_domain_build_info_to_json(const vxl_domain_build_info *b);
char *vxl_domain_create_info_to_json(const vxl_domain_create_info *c);
char *vxl_device_disk_to_json(const vxl_device_disk *disk);
char *vxl_device_nic_to_json(const vxl_device_nic *nic);
char *vxl_device_pci_to_json(const vxl_device_pci *pci);
char *vxl_device_vtpm_to_json(const vxl_device_vtpm *vtpm);
char *vxl_device_usbctrl_to_json(const vxl_device_usbctrl *u);
char *vxl_device_usbdev_to_json(const vxl_device_usbdev *u);
char *vxl_device_channel_to_json(const vxl_device_channel *c);

#endif

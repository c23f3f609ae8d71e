/* cfgparse/disk_spec.h — parse disk specifications (xl-disk-configuration(5)).
 *
 * One disk may be given as several spec strings (xl block-attach joins
 * its arguments this way); they are scanned in order into one disk, with
 * the positional state carried across them, exactly as xl does. */
#ifndef VXL_CFGPARSE_DISK_SPEC_H
#define VXL_CFGPARSE_DISK_SPEC_H

#include "cfgparse/model.h"
#include "cfgparse/spec.h"

/* Parse specs[0..nspecs) into *disk, which the caller has initialised
 * (vxl_device_disk_init).  Returns 0, or -1 with errors (at loc) in *d. */
int vxl_parse_disk_spec(int nspecs, const char *const *specs,
                        const cfg_pos *loc, vxl_device_disk *disk,
                        vxl_diags *d);

#endif

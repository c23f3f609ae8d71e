/* disk/registry.c — the list of image drivers, in probe order.
 *
 * Explicit on purpose (no constructor registration): the order decides
 * which driver wins a probe tie, and a static archive would silently drop
 * constructor-only objects.  Raw comes last and scores 1. */
#include <stddef.h>

#include "disk/internal.h"

const struct vdisk_driver *const vdisk_drivers[] = {
    &vdisk_qcow2_driver,
    &vdisk_qcow_driver,
    &vdisk_vmdk_driver,
    &vdisk_vpc_driver,
    &vdisk_vdi_driver,
    &vdisk_raw_driver,
    NULL,
};

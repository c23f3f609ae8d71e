/* backend/qemu.h — QEMU-backend specifics beyond the ops table: which
 * accelerator it uses and why, where its state lives.
 *
 * Accelerator: VXL_QEMU_ACCEL=tcg|kvm chooses; otherwise KVM only when
 * /dev/kvm opens AND the CPU has VT-x/AMD-V AND it is not kvm-pvm (which
 * emulates and is slower than TCG).  QEMU binary: VXL_QEMU, default
 * qemu-system-x86_64 from $PATH.  OVMF: VXL_OVMF or the usual paths. */
#ifndef VXL_BACKEND_QEMU_H
#define VXL_BACKEND_QEMU_H

#include <stddef.h>
#include "backend/backend.h"

/* "tcg" or "kvm", with the reason in why[n]. */
const char *vxl_qemu_choose_accel(char *why, size_t n);

/* For a backend opened by vxl_qemu_backend_open: */
const char *vxl_qemu_backend_accel(vxl_backend *b, const char **why);
const char *vxl_qemu_backend_rundir(vxl_backend *b);

#endif

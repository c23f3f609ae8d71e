/* backend/qemu_argv.h — the domain model as a QEMU command line.
 *
 * vxl_qemu_argv() turns a vxl_domain_config (what `xl -N create' prints)
 * into the argv of one qemu-system-x86_64 process, applying libxl's
 * defaults where the parsed config leaves a field at its default.
 * Options QEMU cannot honour produce a warning each (never dropped
 * silently); options that make the domain impossible produce an error.
 *
 * Device mapping (see docs/backend-qemu.md):
 *   hd[a-d]  IDE disks/cdroms (on AHCI when hdtype="ahci")
 *   sd*      AHCI ports,  xvd* / vd*  virtio-blk
 *   vif      -netdev user (bridge= → -netdev bridge when privileged),
 *            MAC kept or generated in Xen's 00:16:3e range
 *   console  serial port 0 (HVM) or virtio console hvc0 (PV/PVH) on a
 *            unix socket, everything logged to a file */
#ifndef VXL_BACKEND_QEMU_ARGV_H
#define VXL_BACKEND_QEMU_ARGV_H

#include <stdbool.h>
#include "cfgparse/model.h"
#include "common/diag.h"

typedef struct vxl_argv {
    char **v;                   /* NULL-terminated */
    int n, cap;
} vxl_argv;

void vxl_argv_add(vxl_argv *a, const char *s);
void vxl_argv_addf(vxl_argv *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void vxl_argv_free(vxl_argv *a);
/* The command line as one shell-quoted string (for logs).  Caller frees. */
char *vxl_argv_join(const vxl_argv *a);

typedef struct vxl_qemu_argv_opts {
    const char *qemu;           /* binary; NULL: "qemu-system-x86_64" */
    const char *accel;          /* "tcg" or "kvm"; NULL: "tcg" */
    const char *qmp_paths[2];   /* QMP unix sockets (NULL: none) */
    const char *console_path;   /* console 0: a unix socket server */
    const char *console_log;    /* ... and its log file; may be NULL */
    bool start_paused;          /* -S */
    bool no_shutdown;           /* guest resets/poweroffs stop the VM for a
                                   monitor to handle (-action ...) */
    bool privileged;            /* may use tap/bridge networking */
    const char *display_env;    /* $DISPLAY (for sdl); NULL: none */
    const char *ovmf_path;      /* NULL: search the usual places */
} vxl_qemu_argv_opts;

/* What the caller must do after QEMU starts (over QMP). */
typedef struct vxl_qemu_post {
    char *vnc_password;         /* change-vnc-password; NULL: none */
} vxl_qemu_post;

void vxl_qemu_post_dispose(vxl_qemu_post *p);

/* Build the argv.  Returns 0 (warnings may have been added to *d), or
 * -EINVAL / -ENOENT with errors in *d. */
int vxl_qemu_argv(const vxl_domain_config *cfg, const vxl_qemu_argv_opts *o,
                  vxl_argv *out, vxl_qemu_post *post, vxl_diags *d);

/* Memory in KiB and vCPUs (online, max) the QEMU process will give the
 * guest, after defaults — what `list' reports. */
void vxl_qemu_resources(const vxl_domain_config *cfg, uint64_t *memkb,
                        uint64_t *max_memkb, int *vcpus, int *max_vcpus);

/* QEMU's format name for a disk (its own guess for format "unknown",
 * from the file's magic).  NULL when QEMU has none. */
const char *vxl_qemu_disk_format(const vxl_device_disk *disk);

#endif

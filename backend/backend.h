/* backend/backend.h — one operations table for every domain backend.
 *
 * vxl drives domains through a backend: libxenlight on a Xen control
 * domain, an embedded QEMU backend (one QEMU process per domain)
 * everywhere else.  Commands in xl/ only ever talk to this interface.
 *
 * Conventions (as in the rest of vxl's libraries):
 *   - functions return 0 on success or a negative errno, and append a
 *     diagnostic to the caller's vxl_diags explaining the failure;
 *   - nothing here prints or exits;
 *   - -ESRCH means "no such domain", -EEXIST "name already in use".
 *
 * A domain is named by its id everywhere; vxl_backend_find() turns a user's
 * "name or id" argument into an id, as xl's find_domain() does. */
#ifndef VXL_BACKEND_H
#define VXL_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "cfgparse/model.h"
#include "common/diag.h"

/* What `xl list` knows about a domain (libxl_dominfo's useful subset). */
typedef struct vxl_dominfo {
    uint32_t domid;
    char *name;
    char uuid[37];              /* "xxxxxxxx-xxxx-...", NUL-terminated */
    bool running, blocked, paused, shutdown, dying;
    vxl_shutdown_reason shutdown_reason;  /* valid iff shutdown */
    uint64_t current_memkb, max_memkb;
    uint32_t vcpu_online, vcpu_max;
    uint64_t cpu_time_ns;
    uint64_t start_time;        /* seconds since the epoch */
    /* Backend trouble worth reporting (e.g. "monitor process died");
     * NULL when all is well. */
    char *problem;
} vxl_dominfo;

void vxl_dominfo_dispose(vxl_dominfo *di);
void vxl_dominfo_list_free(vxl_dominfo *v, size_t n);

/* How to create a domain (xl create's options that reach the backend). */
typedef struct vxl_create_opts {
    bool paused;                /* -p: leave it paused */
    bool foreground;            /* -F: create returns when the domain is gone */
    bool no_monitor;            /* -e: nobody waits for the domain's death */
    const char *config_file;    /* for messages and the saved record */
    const char *config_json;    /* libxl_domain_config JSON, saved as is */
} vxl_create_opts;

/* Where a domain's console can be reached. */
typedef struct vxl_console {
    char *socket_path;          /* unix stream socket, raw bytes; or NULL */
    char *pty_path;             /* a pty; or NULL */
    char *log_path;             /* everything the guest wrote; or NULL */
    /* A program that attaches the terminal itself (Xen's xenconsole), as
     * a NULL-terminated argv for the caller to exec; or NULL. */
    char **exec_argv;
} vxl_console;

void vxl_console_dispose(vxl_console *c);

/* What `xl info' reports about the hypervisor and the machine (the xen
 * backend: libxl_get_physinfo, libxl_get_version_info,
 * libxl_get_scheduler, libxl_get_freecpus).  Memory in MiB. */
typedef struct vxl_hostinfo {
    int nr_cpus, max_cpu_id, nr_nodes, cores_per_socket, threads_per_core;
    uint32_t cpu_khz;
    uint32_t hw_cap[8];
    bool cap_pv, cap_hvm, cap_hvm_directio, cap_hap, cap_shadow,
         cap_iommu_hap_pt_share, cap_vmtrace, cap_vpmu, cap_gnttab_v1,
         cap_gnttab_v2;
    uint64_t total_mb, free_mb, sharing_freed_mb, sharing_used_mb,
             outstanding_mb;
    int free_cpus;              /* -1: unknown */
    int xen_major, xen_minor;
    char *xen_extra, *xen_caps, *xen_scheduler, *xen_changeset,
         *xen_commandline, *cc_compiler, *cc_compile_by, *cc_compile_domain,
         *cc_compile_date, *build_id;
    unsigned pagesize;
    uint64_t virt_start;
} vxl_hostinfo;

void vxl_hostinfo_dispose(vxl_hostinfo *h);

typedef struct vxl_backend vxl_backend;

typedef struct vxl_backend_ops {
    const char *name;           /* "qemu", "xen" */
    /* Free backend-private state (b->priv). */
    void (*close)(vxl_backend *b);

    /* Create and start a domain.  On success *domid is its id; unless
     * opts->paused it is running when this returns. */
    int (*create)(vxl_backend *b, const struct vxl_domain_config *cfg,
                  const vxl_create_opts *opts, uint32_t *domid, vxl_diags *d);
    /* Kill it now; when this returns nothing of it is left. */
    int (*destroy)(vxl_backend *b, uint32_t domid, vxl_diags *d);
    /* Ask the guest to power off / reboot (ACPI or PV protocol). */
    int (*shutdown)(vxl_backend *b, uint32_t domid, vxl_diags *d);
    int (*reboot)(vxl_backend *b, uint32_t domid, vxl_diags *d);
    int (*pause)(vxl_backend *b, uint32_t domid, vxl_diags *d);
    int (*unpause)(vxl_backend *b, uint32_t domid, vxl_diags *d);

    /* All domains, ordered by id.  Caller frees with vxl_dominfo_list_free. */
    int (*list)(vxl_backend *b, vxl_dominfo **v, size_t *n, vxl_diags *d);
    /* One domain; -ESRCH when it does not exist. */
    int (*info)(vxl_backend *b, uint32_t domid, vxl_dominfo *out, vxl_diags *d);

    int (*rename)(vxl_backend *b, uint32_t domid, const char *new_name,
                  vxl_diags *d);
    /* Name → id and id → name; -ESRCH when unknown. */
    int (*domid_of)(vxl_backend *b, const char *name, uint32_t *domid,
                    vxl_diags *d);
    int (*domname_of)(vxl_backend *b, uint32_t domid, char **name,
                      vxl_diags *d);

    /* Where console `num' of `type' is (VXL_CONSOLE_TYPE_UNKNOWN: the
     * domain's default console, as xl's). */
    int (*console)(vxl_backend *b, uint32_t domid, vxl_console_type type,
                   int num, vxl_console *out, vxl_diags *d);
    /* The libxl_domain_config JSON the domain was created from (for
     * `list -l'); -ENOENT when none was saved.  Caller frees. */
    int (*config_json)(vxl_backend *b, uint32_t domid, char **json,
                       vxl_diags *d);
    /* Wait until the domain is gone (or timeout_ms elapsed: -ETIMEDOUT;
     * timeout_ms < 0 waits for ever). */
    int (*wait_gone)(vxl_backend *b, uint32_t domid, int timeout_ms,
                     vxl_diags *d);

    /* Optional (NULL: `info' is not supported on this backend).  The
     * hypervisor's and machine's facts; dispose with vxl_hostinfo_dispose. */
    int (*host_info)(vxl_backend *b, vxl_hostinfo *out, vxl_diags *d);

    /* Optional.  Press the guest's ACPI power (reset: reset) button:
     * shutdown -F / reboot -F when shutdown/reboot returned -EOPNOTSUPP,
     * which means "the guest has no PV control interface" (Xen). */
    int (*acpi_button)(vxl_backend *b, uint32_t domid, bool reset,
                       vxl_diags *d);
    /* Optional (NULL: the backend has no config of its own; create -n
     * prints the model's JSON).  The domain config exactly as the backend
     * would hand it over, as libxl JSON (the xen backend:
     * libxl_domain_config_to_json() of the translated
     * libxl_domain_config).  Caller frees *json. */
    int (*translate_json)(vxl_backend *b,
                          const struct vxl_domain_config *cfg, char **json,
                          vxl_diags *d);
} vxl_backend_ops;

struct vxl_backend {
    const vxl_backend_ops *ops;
    void *priv;
};

/* Which backend and why, before opening it. */
typedef struct vxl_backend_choice {
    const char *name;           /* "qemu" or "xen" */
    char why[160];              /* "--backend=qemu", "no Xen control domain ..." */
} vxl_backend_choice;

/* Choose a backend.  `requested' is --backend= / $VXL_BACKEND (NULL or ""
 * for the default: xen on a Xen control domain when built with libxl,
 * qemu otherwise).  Accepts "xen", "libxl", "qemu".  -EINVAL for an
 * unknown name, -ENOTSUP for xen when vxl was built without libxl. */
int vxl_backend_choose(const char *requested, vxl_backend_choice *out,
                       vxl_diags *d);

/* True when /proc/xen/capabilities (or $VXL_XEN_CAPS, for tests) says
 * this is a Xen control domain. */
bool vxl_on_xen_control_domain(void);

/* Open the chosen backend.  Caller frees with vxl_backend_close. */
int vxl_backend_open(const vxl_backend_choice *c, vxl_backend **out,
                     vxl_diags *d);
void vxl_backend_close(vxl_backend *b);

/* A domain argument (name or id) → id.  An all-digits string is an id
 * that must exist; anything else a name.  -ESRCH when nothing matches. */
int vxl_backend_find(vxl_backend *b, const char *name_or_id, uint32_t *domid,
                     vxl_diags *d);

/* The entry point for `vxl create': create `cfg' on backend `b'. */
int backend_create(vxl_backend *b, const struct vxl_domain_config *cfg,
                   const vxl_create_opts *opts, uint32_t *domid,
                   vxl_diags *d);

/* backend implementations */
extern const vxl_backend_ops vxl_qemu_backend_ops;
int vxl_qemu_backend_open(vxl_backend **out, vxl_diags *d);
#ifdef HAVE_LIBXL
/* backend/xen.c: only in builds with libxenlight */
extern const vxl_backend_ops vxl_xen_backend_ops;
int vxl_xen_backend_open(vxl_backend **out, vxl_diags *d);
#endif

#endif

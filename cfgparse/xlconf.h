/* cfgparse/xlconf.h — the global settings of /etc/xen/xl.conf (xl.conf(5))
 * that change how domain configs are read.
 *
 * Read from /etc/xen/xl.conf, or $VXL_XL_CONF when set.  A missing file
 * means xl's built-in defaults.  Strings are NULL when unset. */
#ifndef VXL_CFGPARSE_XLCONF_H
#define VXL_CFGPARSE_XLCONF_H

#include "common/diag.h"

struct vxl_xlconf {
    int autoballoon;                /* 1, 0, or -1 = auto */
    int run_hotplug_scripts;        /* default 1 */
    int claim_mode;                 /* default 1 */
    char *lockfile;
    char *default_vifscript;        /* vif.default.script / vifscript */
    char *default_bridge;           /* vif.default.bridge / defaultbridge */
    char *default_gatewaydev;       /* vif.default.gatewaydev */
    char *default_vifbackend;       /* vif.default.backend */
    char *blkdev_start;
    char *default_remus_netbufscript;
    char *default_colo_proxy_script;
    long max_grant_frames;          /* -1 = unset */
    long max_maptrack_frames;       /* -1 = unset */
    long max_grant_version;         /* -1 = unset */
    char *vm_cpumask, *vm_hvm_cpumask, *vm_pv_cpumask;  /* NULL = any */
    int domid_policy_random;
    int output_format_json;         /* 1 = json (default), 0 = sxp */
};

/* Fill *c with xl's defaults, then apply the file (VXL_XL_CONF or
 * /etc/xen/xl.conf) when it exists.  Returns 0, or -1 with diagnostics. */
int vxl_xlconf_load(struct vxl_xlconf *c, vxl_diags *d);
/* The same from an explicit path (ENOENT = defaults, no diagnostic). */
int vxl_xlconf_load_file(struct vxl_xlconf *c, const char *path,
                         vxl_diags *d);
void vxl_xlconf_dispose(struct vxl_xlconf *c);

#endif

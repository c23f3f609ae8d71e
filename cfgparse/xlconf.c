/* cfgparse/xlconf.c — /etc/xen/xl.conf (or $VXL_XL_CONF), read as xl.c's
 * parse_global_config does: same keys, same defaults, same precedence of
 * the deprecated spellings (vifscript, defaultbridge), same refusal of a
 * bad max_grant_* value.  xl's messages become diagnostics. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "cfgparse/cfg.h"
#include "cfgparse/xlconf.h"

#define XL_GLOBAL_CONFIG "/etc/xen/xl.conf"

static void defaults(struct vxl_xlconf *c)
{
    memset(c, 0, sizeof(*c));
    c->autoballoon = -1;
    c->run_hotplug_scripts = 1;
    c->claim_mode = 1;
    c->max_grant_frames = -1;
    c->max_maptrack_frames = -1;
    c->max_grant_version = -1;
    c->output_format_json = 1;
}

static void set_str(char **dst, const char *v)
{
    free(*dst);
    *dst = xstrdup(v);
}

/* A string setting, or NULL when absent (or not a single value). */
static const char *str(const cfg_config *cfg, const char *name,
                       vxl_diags *d)
{
    const char *v;
    return cfg_get_string(cfg, name, &v, 0, d) ? NULL : v;
}

static void warn_at(const cfg_config *cfg, const char *name, vxl_diags *d,
                    const char *hint, const char *msg)
{
    cfg_pos pos = {0};
    cfg_setting_value_pos(cfg, name, &pos);
    vxl_diag_add(d, VXL_WARNING, pos.file, pos.line, pos.col, hint, "%s",
                 msg);
}

static int grant(const cfg_config *cfg, const char *name, long *out,
                 vxl_diags *d)
{
    long l;
    int e = cfg_get_bounded_long(cfg, name, 0, INT_MAX, &l, 1, d);
    if (!e) {
        *out = l;
        return 0;
    }
    if (e == ESRCH)
        return 0;
    cfg_pos pos = {0};
    cfg_setting_value_pos(cfg, name, &pos);
    vxl_diag_add(d, VXL_ERROR, pos.file, pos.line, pos.col,
                 "xl refuses to run with this setting",
                 "invalid %s: must be a number from 0 to %d", name, INT_MAX);
    return -1;
}

static int apply(struct vxl_xlconf *c, const cfg_config *cfg, vxl_diags *d)
{
    const char *buf;
    long l;

    if ((buf = str(cfg, "autoballoon", d))) {
        if (!strcmp(buf, "on") || !strcmp(buf, "1"))
            c->autoballoon = 1;
        else if (!strcmp(buf, "off") || !strcmp(buf, "0"))
            c->autoballoon = 0;
        else if (!strcmp(buf, "auto"))
            c->autoballoon = -1;
        else
            warn_at(cfg, "autoballoon", d, "use on, off or auto",
                    "invalid autoballoon option");
    }
    if (!cfg_get_long(cfg, "run_hotplug_scripts", &l, 0, d))
        c->run_hotplug_scripts = (int)l;
    if ((buf = str(cfg, "lockfile", d)))
        set_str(&c->lockfile, buf);

    if ((buf = str(cfg, "vifscript", d))) {
        warn_at(cfg, "vifscript", d, NULL,
                "the global config option vifscript is deprecated, "
                "please switch to vif.default.script");
        set_str(&c->default_vifscript, buf);
    }
    if ((buf = str(cfg, "vif.default.script", d)))
        set_str(&c->default_vifscript, buf);
    if ((buf = str(cfg, "defaultbridge", d))) {
        warn_at(cfg, "defaultbridge", d, NULL,
                "the global config option defaultbridge is deprecated, "
                "please switch to vif.default.bridge");
        set_str(&c->default_bridge, buf);
    }
    if ((buf = str(cfg, "vif.default.bridge", d)))
        set_str(&c->default_bridge, buf);
    if ((buf = str(cfg, "vif.default.gatewaydev", d)))
        set_str(&c->default_gatewaydev, buf);
    if ((buf = str(cfg, "vif.default.backend", d)))
        set_str(&c->default_vifbackend, buf);

    if ((buf = str(cfg, "output_format", d))) {
        if (!strcmp(buf, "json"))
            c->output_format_json = 1;
        else if (!strcmp(buf, "sxp"))
            c->output_format_json = 0;
        else
            warn_at(cfg, "output_format", d, "use json or sxp",
                    "invalid default output format");
    }
    if ((buf = str(cfg, "blkdev_start", d)))
        set_str(&c->blkdev_start, buf);
    if (!cfg_get_long(cfg, "claim_mode", &l, 0, d))
        c->claim_mode = (int)l;

    cfg_replace_string(cfg, "remus.default.netbufscript",
                       &c->default_remus_netbufscript, 0, d);
    cfg_replace_string(cfg, "colo.default.proxyscript",
                       &c->default_colo_proxy_script, 0, d);

    if (grant(cfg, "max_grant_frames", &c->max_grant_frames, d) ||
        grant(cfg, "max_maptrack_frames", &c->max_maptrack_frames, d) ||
        grant(cfg, "max_grant_version", &c->max_grant_version, d))
        return -1;

    if ((buf = str(cfg, "vm.cpumask", d)))
        set_str(&c->vm_cpumask, buf);
    if ((buf = str(cfg, "vm.hvm.cpumask", d)))
        set_str(&c->vm_hvm_cpumask, buf);
    if ((buf = str(cfg, "vm.pv.cpumask", d)))
        set_str(&c->vm_pv_cpumask, buf);

    if ((buf = str(cfg, "domid_policy", d))) {
        if (!strcmp(buf, "xen"))
            c->domid_policy_random = 0;
        else if (!strcmp(buf, "random"))
            c->domid_policy_random = 1;
        else
            warn_at(cfg, "domid_policy", d, "use xen or random",
                    "invalid domid_policy option");
    }
    return 0;
}

int vxl_xlconf_load_file(struct vxl_xlconf *c, const char *path,
                         vxl_diags *d)
{
    defaults(c);

    cfg_config *cfg = cfg_init(path);
    vxl_diags rd = {0};
    int e = cfg_readfile(cfg, path, &rd);
    int rc = 0;
    if (e != EINVAL)
        vxl_diags_free(&rd);    /* ENOENT is fine; others reported below */
    for (size_t i = 0; i < rd.n; i++)  /* syntax errors, with positions */
        vxl_diag_add(d, rd.v[i].sev, rd.v[i].file, rd.v[i].line,
                     rd.v[i].col, rd.v[i].hint, "%s", rd.v[i].msg);
    vxl_diags_free(&rd);
    if (e == ENOENT) {
        /* no xl.conf: xl's built-in defaults */
    } else if (e == EINVAL) {
        /* the syntax errors are in d already */
        vxl_diag_add(d, VXL_ERROR, path, 0, 0, NULL,
                     "Failed to parse config file: %s", strerror(e));
        rc = -1;
    } else if (e) {
        /* xl warns and goes on with its defaults */
        vxl_diag_add(d, VXL_WARNING, path, 0, 0, NULL,
                     "Failed to read config file: %s: %s", path, strerror(e));
    } else {
        rc = apply(c, cfg, d);
    }
    cfg_destroy(cfg);
    return rc;
}

int vxl_xlconf_load(struct vxl_xlconf *c, vxl_diags *d)
{
    const char *path = getenv("VXL_XL_CONF");
    return vxl_xlconf_load_file(c, path && *path ? path : XL_GLOBAL_CONFIG,
                                d);
}

void vxl_xlconf_dispose(struct vxl_xlconf *c)
{
    free(c->lockfile);
    free(c->default_vifscript);
    free(c->default_bridge);
    free(c->default_gatewaydev);
    free(c->default_vifbackend);
    free(c->blkdev_start);
    free(c->default_remus_netbufscript);
    free(c->default_colo_proxy_script);
    free(c->vm_cpumask);
    free(c->vm_hvm_cpumask);
    free(c->vm_pv_cpumask);
    memset(c, 0, sizeof(*c));
}

/* tests/disk_xlu_diff.h — compare vxl's disk-spec parser with the real
 * one of Xen 4.17's libxlutil (xlu_disk_parse), for the differential
 * unit test and fuzz target.  Header-only; link with -lxlutil
 * -lxenlight.
 *
 * Debian's libxlutil 4.17 ships the stale pre-generated scanner without
 * trusted/untrusted (vxl follows the scanner's source there on purpose),
 * so inputs containing "trusted" are not compared; nor are inputs with a
 * newline, on which that scanner can jam and exit(2) ("flex scanner
 * jammed": a stray character before a newline). */
#ifndef VXL_TESTS_DISK_XLU_DIFF_H
#define VXL_TESTS_DISK_XLU_DIFF_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libxl.h>
#include <libxlutil.h>

#include "cfgparse/disk_spec.h"
#include "common/util.h"

static inline int dxd_skip(int n, const char *const *specs)
{
    for (int i = 0; i < n; i++)
        if (strstr(specs[i], "trusted") || strchr(specs[i], '\n'))
            return 1;
    return 0;
}

static inline const char *dxd_str(const char *s)
{
    return s ? s : "(null)";
}

static inline int dxd_defbool(libxl_defbool b)
{
    return libxl_defbool_is_default(b) ? 0 : libxl_defbool_val(b) ? 1 : -1;
}

static inline int dxd_vdefbool(vxl_defbool b)
{
    return vxl_defbool_is_default(b) ? 0 : vxl_defbool_val(b) ? 1 : -1;
}

/* NULL if both parsers agree on specs, else a malloc'd description. */
static inline char *disk_xlu_diff(int n, const char *const *specs)
{
    static FILE *devnull;
    XLU_Config *cfg;
    libxl_device_disk x;
    vxl_device_disk v;
    vxl_diags d = {0};
    strbuf sb = {0};

    if (!devnull)
        devnull = fopen("/dev/null", "w");
    cfg = xlu_cfg_init(devnull, "command line");
    libxl_device_disk_init(&x);
    int xe = xlu_disk_parse(cfg, n, specs, &x);
    vxl_device_disk_init(&v);
    int ve = vxl_parse_disk_spec(n, specs, &vxl_loc_cmdline, &v, &d);

#define CMP_INT(f, a, b) \
    if ((long long)(a) != (long long)(b)) \
        sb_printf(&sb, "  %s: xl %lld, vxl %lld\n", f, (long long)(a), \
                  (long long)(b));
#define CMP_STR(f, a, b) \
    if (strcmp(dxd_str(a), dxd_str(b))) \
        sb_printf(&sb, "  %s: xl %s, vxl %s\n", f, dxd_str(a), dxd_str(b));

    CMP_INT("rc (0 = ok)", xe != 0, ve != 0);
    if (!xe && !ve) {
        CMP_STR("backend_domname", x.backend_domname, v.backend_domname);
        CMP_STR("pdev_path", x.pdev_path, v.pdev_path);
        CMP_STR("vdev", x.vdev, v.vdev);
        CMP_INT("backend", x.backend, v.backend);
        CMP_INT("format", x.format, v.format);
        CMP_STR("script", x.script, v.script);
        CMP_INT("removable", x.removable, v.removable);
        CMP_INT("readwrite", x.readwrite, v.readwrite);
        CMP_INT("is_cdrom", x.is_cdrom, v.is_cdrom);
        CMP_INT("direct_io_safe", x.direct_io_safe, v.direct_io_safe);
        CMP_INT("discard_enable", dxd_defbool(x.discard_enable),
                dxd_vdefbool(v.discard_enable));
        CMP_INT("specification", x.specification, v.specification);
        CMP_INT("colo_enable", dxd_defbool(x.colo_enable),
                dxd_vdefbool(v.colo_enable));
        CMP_STR("colo_host", x.colo_host, v.colo_host);
        CMP_INT("colo_port", x.colo_port, v.colo_port);
        CMP_STR("colo_export", x.colo_export, v.colo_export);
        CMP_STR("active_disk", x.active_disk, v.active_disk);
        CMP_STR("hidden_disk", x.hidden_disk, v.hidden_disk);
    }
#undef CMP_INT
#undef CMP_STR

    libxl_device_disk_dispose(&x);
    xlu_cfg_destroy(cfg);
    vxl_device_disk_dispose(&v);
    vxl_diags_free(&d);
    if (!sb.len)
        return NULL;
    strbuf all = {0};
    sb_puts(&all, "specs:");
    for (int i = 0; i < n; i++)
        sb_printf(&all, " [%s]", specs[i]);
    sb_printf(&all, "\n%s", sb.s);
    sb_free(&sb);
    return sb_steal(&all);
}

#endif

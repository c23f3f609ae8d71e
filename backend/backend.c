/* backend/backend.c — choosing and opening a backend; helpers shared by
 * every backend (domain lookup, freeing results). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/backend.h"
#include "common/util.h"

void vxl_dominfo_dispose(vxl_dominfo *di)
{
    free(di->name);
    free(di->problem);
    di->name = di->problem = NULL;
}

void vxl_dominfo_list_free(vxl_dominfo *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        vxl_dominfo_dispose(&v[i]);
    free(v);
}

void vxl_hostinfo_dispose(vxl_hostinfo *h)
{
    char **strs[] = {
        &h->xen_extra, &h->xen_caps, &h->xen_scheduler, &h->xen_changeset,
        &h->xen_commandline, &h->cc_compiler, &h->cc_compile_by,
        &h->cc_compile_domain, &h->cc_compile_date, &h->build_id,
    };
    for (size_t i = 0; i < ARRAY_SIZE(strs); i++) {
        free(*strs[i]);
        *strs[i] = NULL;
    }
}

void vxl_console_dispose(vxl_console *c)
{
    free(c->socket_path);
    free(c->pty_path);
    free(c->log_path);
    c->socket_path = c->pty_path = c->log_path = NULL;
    for (size_t i = 0; c->exec_argv && c->exec_argv[i]; i++)
        free(c->exec_argv[i]);
    free(c->exec_argv);
    c->exec_argv = NULL;
}

bool vxl_on_xen_control_domain(void)
{
    const char *path = getenv("VXL_XEN_CAPS");
    char buf[256];
    ssize_t r;
    int fd;

    fd = open(path && *path ? path : "/proc/xen/capabilities",
              O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    r = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (r <= 0)
        return false;
    buf[r] = 0;
    return strstr(buf, "control_d") != NULL;
}

#ifdef HAVE_LIBXL
#define BUILT_WITH_LIBXL 1
#else
#define BUILT_WITH_LIBXL 0
#endif

int vxl_backend_choose(const char *requested, vxl_backend_choice *out,
                       vxl_diags *d)
{
    bool dom0 = vxl_on_xen_control_domain();

    if (requested && *requested) {
        if (!strcmp(requested, "qemu")) {
            out->name = "qemu";
        } else if (!strcmp(requested, "xen") || !strcmp(requested, "libxl")) {
            if (!BUILT_WITH_LIBXL) {
                vxl_diag_add(d, VXL_ERROR, NULL, 0, 0,
                             "use --backend=qemu, or install libxen-dev "
                             "and rebuild vxl",
                             "the xen backend is not available in this "
                             "build (built without libxenlight)");
                return -ENOTSUP;
            }
            out->name = "xen";
        } else {
            vxl_diag_add(d, VXL_ERROR, NULL, 0, 0,
                         "the backends are \"xen\" and \"qemu\"",
                         "unknown backend \"%s\"", requested);
            return -EINVAL;
        }
        snprintf(out->why, sizeof out->why, "requested (--backend or "
                 "VXL_BACKEND=%s)", requested);
        return 0;
    }
    if (dom0 && BUILT_WITH_LIBXL) {
        out->name = "xen";
        snprintf(out->why, sizeof out->why,
                 "default: running on a Xen control domain");
    } else if (dom0) {
        out->name = "qemu";
        snprintf(out->why, sizeof out->why, "default: a Xen control domain, "
                 "but this vxl was built without libxenlight");
    } else {
        out->name = "qemu";
        snprintf(out->why, sizeof out->why,
                 "default: not a Xen control domain");
    }
    return 0;
}

int vxl_backend_open(const vxl_backend_choice *c, vxl_backend **out,
                     vxl_diags *d)
{
    if (!strcmp(c->name, "qemu"))
        return vxl_qemu_backend_open(out, d);
#ifdef HAVE_LIBXL
    if (!strcmp(c->name, "xen"))
        return vxl_xen_backend_open(out, d);
#endif
    vxl_diag_add(d, VXL_ERROR, NULL, 0, 0, NULL,
                 "backend \"%s\" is not available in this build", c->name);
    return -ENOTSUP;
}

void vxl_backend_close(vxl_backend *b)
{
    if (!b)
        return;
    if (b->ops->close)
        b->ops->close(b);
    free(b);
}

int vxl_backend_find(vxl_backend *b, const char *name_or_id, uint32_t *domid,
                     vxl_diags *d)
{
    const char *p = name_or_id;
    int rc;

    while (*p && isdigit((unsigned char)*p))
        p++;
    if (*name_or_id && !*p && p - name_or_id < 10) {
        vxl_dominfo di = {0};
        uint32_t id = (uint32_t)strtoul(name_or_id, NULL, 10);
        rc = b->ops->info(b, id, &di, d);
        vxl_dominfo_dispose(&di);
        if (rc == 0)
            *domid = id;
    } else {
        rc = b->ops->domid_of(b, name_or_id, domid, d);
    }
    if (rc == -ESRCH)
        vxl_diag_add(d, VXL_ERROR, NULL, 0, 0, NULL,
                     "Domain '%s' does not exist.", name_or_id);
    return rc;
}

int backend_create(vxl_backend *b, const struct vxl_domain_config *cfg,
                   const vxl_create_opts *opts, uint32_t *domid,
                   vxl_diags *d)
{
    static const vxl_create_opts defaults;
    return b->ops->create(b, cfg, opts ? opts : &defaults, domid, d);
}

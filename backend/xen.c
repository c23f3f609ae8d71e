/* backend/xen.c — the libxenlight backend: vxl's domain model handed to
 * Xen 4.17's libxl, and the domain operations through libxl's calls.
 *
 * Built only when pkg-config finds xenlight (the Makefile leaves this file
 * out otherwise and backend.c reports the backend as unavailable).
 *
 * Translation (model -> libxl_domain_config).  vxl's JSON of the model is
 * byte-identical to libxl_domain_config_to_json() (cfgparse/json.c, proven
 * on the xl.cfg corpus), so the config is built by libxl's own parser,
 * libxl_domain_config_from_json() — the path xl itself takes for a config
 * stored as JSON (xl_vmcontrol.c, restore).  libxl's parser has one known
 * loss: a uint64 above INT64_MAX (a "memory" that wrapped, an iomem start
 * of ~0) is a JSON "number" to it, not an integer, and is silently dropped;
 * restore_uint64s() copies every uint64 field of the model over.  Then the
 * translation is checked on every use: libxl_domain_config_to_json() of the
 * result must equal the model's JSON byte for byte, or the translation
 * fails with the first differing line (nothing half-translated ever reaches
 * libxl_domain_create_new).
 *
 * libxl logs through a xentoollog logger: ours turns warnings and errors
 * into diagnostics of the operation under way (so errors carry libxl's
 * reason) and writes everything, debug included, to $VXL_XEN_LOG when set.
 * Nothing here prints or exits.
 *
 * Only the translation is exercised without Xen (tests/xenshim stands in
 * for the hypervisor calls of libxl_ctx_alloc).  The operations below are
 * compile-tested: they need a real Xen control domain. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libxl.h>
#include <libxl_utils.h>
#include <xentoollog.h>

#include "backend/backend.h"
#include "cfgparse/json.h"
#include "common/util.h"

/* ---- libxl's logger -> diagnostics ------------------------------------- */

struct xen_logger {
    xentoollog_logger vtable;           /* first: libxl sees only this */
    vxl_diags *diags;                   /* the operation's, or NULL */
    FILE *logf;                         /* $VXL_XEN_LOG, or NULL */
};

static void xen_log_vmessage(xentoollog_logger *lg, xentoollog_level level,
                             int errnoval, const char *context,
                             const char *format, va_list al)
{
    struct xen_logger *l = (struct xen_logger *)lg;
    char *msg = NULL;

    if (vasprintf(&msg, format, al) < 0)
        return;
    if (l->logf) {
        fprintf(l->logf, "%s: %s: %s%s%s\n", context ? context : "libxl",
                xtl_level_to_string(level), msg, errnoval >= 0 ? ": " : "",
                errnoval >= 0 ? strerror(errnoval) : "");
        fflush(l->logf);
    }
    if (l->diags && level >= XTL_WARN)
        vxl_diag_add(l->diags, level >= XTL_ERROR ? VXL_ERROR : VXL_WARNING,
                     NULL, 0, 0, NULL, "%s: %s%s%s",
                     context ? context : "libxl", msg,
                     errnoval >= 0 ? ": " : "",
                     errnoval >= 0 ? strerror(errnoval) : "");
    free(msg);
}

static void xen_log_progress(xentoollog_logger *lg, const char *context,
                             const char *doing_what, int percent,
                             unsigned long done, unsigned long total)
{
    (void)lg, (void)context, (void)doing_what, (void)percent, (void)done,
    (void)total;
}

static void xen_log_destroy(xentoollog_logger *lg)
{
    (void)lg;               /* struct xen_logger lives in struct xen_priv */
}

/* ---- the backend's state ----------------------------------------------- */

struct xen_priv {
    libxl_ctx *ctx;
    struct xen_logger log;
};

static struct xen_priv *P(vxl_backend *b)
{
    return b->priv;
}

/* Route libxl's messages to `d' for the operation that follows. */
static libxl_ctx *ctx_for(vxl_backend *b, vxl_diags *d)
{
    P(b)->log.diags = d;
    return P(b)->ctx;
}

/* A failed libxl call: a diagnostic naming the call and libxl's error
 * (its logged reasons are already in `d'); the errno-style result. */
static int xen_fail(vxl_diags *d, const char *call, uint32_t domid, int rc)
{
    const char *what = libxl_error_to_string((libxl_error)rc);

    if (rc == ERROR_DOMAIN_NOTFOUND || rc == ERROR_NOTFOUND) {
        vxl_diag_add(d, VXL_ERROR, NULL, 0, 0, NULL,
                     "%s: domain %u does not exist", call, domid);
        return -ESRCH;
    }
    vxl_diag_add(d, VXL_ERROR, NULL, 0, 0, NULL, "%s failed for domain %u: "
                 "libxl error %d (%s)", call, domid, rc,
                 what ? what : "unknown");
    switch (rc) {
    case ERROR_NOMEM: return -ENOMEM;
    case ERROR_INVAL: return -EINVAL;
    case ERROR_NI: case ERROR_NOPARAVIRT: case ERROR_FEATURE_REMOVED:
        return -EOPNOTSUPP;
    case ERROR_TIMEDOUT: case ERROR_GUEST_TIMEDOUT: return -ETIMEDOUT;
    case ERROR_DEVICE_EXISTS: return -EEXIST;
    default: return -EIO;
    }
}

static void xen_close(vxl_backend *b)
{
    struct xen_priv *p = P(b);

    if (!p)
        return;
    p->log.diags = NULL;
    libxl_ctx_free(p->ctx);
    if (p->log.logf)
        fclose(p->log.logf);
    free(p);
    b->priv = NULL;
}

/* ---- translation ------------------------------------------------------- */

/* libxl's JSON parser drops uint64 values above INT64_MAX (see the top of
 * the file): every uint64 field the model has, copied over. */
static void restore_uint64s(libxl_domain_config *x, const vxl_domain_config *m)
{
    const vxl_domain_build_info *mb = &m->b_info;
    libxl_domain_build_info *xb = &x->b_info;

    xb->max_memkb = mb->max_memkb;
    xb->target_memkb = mb->target_memkb;
    xb->video_memkb = mb->video_memkb;
    xb->shadow_memkb = mb->shadow_memkb;
    xb->iommu_memkb = mb->iommu_memkb;
    xb->stubdomain_memkb = mb->stubdomain_memkb;
    for (int i = 0; i < mb->num_vnuma_nodes && i < xb->num_vnuma_nodes; i++)
        xb->vnuma_nodes[i].memkb = mb->vnuma_nodes[i].memkb;
    for (int i = 0; i < mb->num_iomem && i < xb->num_iomem; i++) {
        xb->iomem[i].start = mb->iomem[i].start;
        xb->iomem[i].number = mb->iomem[i].number;
        xb->iomem[i].gfn = mb->iomem[i].gfn;
    }
    if (mb->type == VXL_DOMAIN_TYPE_HVM && xb->type == LIBXL_DOMAIN_TYPE_HVM) {
        xb->u.hvm.mmio_hole_memkb = mb->u.hvm.mmio_hole_memkb;
        xb->u.hvm.rdm_mem_boundary_memkb = mb->u.hvm.rdm_mem_boundary_memkb;
        xb->u.hvm.mca_caps = mb->u.hvm.mca_caps;
    }
    if (mb->type == VXL_DOMAIN_TYPE_PV && xb->type == LIBXL_DOMAIN_TYPE_PV)
        xb->u.pv.slack_memkb = mb->u.pv.slack_memkb;
    for (int i = 0; i < m->num_disks && i < x->num_disks; i++)
        x->disks[i].base = m->disks[i].base;
    for (int i = 0; i < m->num_nics && i < x->num_nics; i++)
        x->nics[i].rate_bytes_per_interval = m->nics[i].rate_bytes_per_interval;
    for (int i = 0; i < m->num_rdms && i < x->num_rdms; i++) {
        x->rdms[i].start = m->rdms[i].start;
        x->rdms[i].size = m->rdms[i].size;
    }
}

/* Line `n' (1-based) of `s', without its newline; caller frees. */
static char *line_of(const char *s, int n)
{
    for (int i = 1; i < n && s; i++) {
        s = strchr(s, '\n');
        if (s)
            s++;
    }
    if (!s)
        return xstrdup("(end of text)");
    const char *e = strchr(s, '\n');
    return xasprintf("%.*s", (int)(e ? e - s : (long)strlen(s)), s);
}

/* The first line where `a' and `b' differ. */
static int first_diff_line(const char *a, const char *b)
{
    int line = 1;
    for (; *a && *a == *b; a++, b++)
        if (*a == '\n')
            line++;
    return line;
}

/* Model -> libxl_domain_config, checked (see the top of the file).  On
 * success `x' is initialised and must be disposed by the caller; with
 * `json_out' the result's libxl JSON is returned too. */
static int translate(vxl_backend *b, const vxl_domain_config *m,
                     libxl_domain_config *x, char **json_out, vxl_diags *d)
{
    libxl_ctx *ctx = ctx_for(b, d);
    char *want = vxl_domain_config_to_json(m), *got = NULL;
    int rc;

    libxl_domain_config_init(x);
    if (!want) {
        vxl_diag_add(d, VXL_ERROR, NULL, 0, 0, NULL,
                     "cannot convert the domain configuration to JSON");
        return -ENOMEM;
    }
    rc = libxl_domain_config_from_json(ctx, x, want);
    if (rc) {
        vxl_diag_add(d, VXL_ERROR, NULL, 0, 0, NULL, "libxl does not accept "
                     "the domain configuration (libxl error %d)", rc);
        goto fail;
    }
    restore_uint64s(x, m);
    got = libxl_domain_config_to_json(ctx, x);
    if (!got) {
        vxl_diag_add(d, VXL_ERROR, NULL, 0, 0, NULL,
                     "libxl_domain_config_to_json failed");
        goto fail;
    }
    if (strcmp(got, want)) {
        int line = first_diff_line(want, got);
        char *lw = line_of(want, line), *lg = line_of(got, line);
        vxl_diag_add(d, VXL_ERROR, NULL, 0, 0,
                     "this is a vxl bug: please report it with the config",
                     "translation to libxl is not exact: line %d of the "
                     "config's JSON is `%s' in vxl's model but `%s' in "
                     "libxl's", line, lw, lg);
        free(lw);
        free(lg);
        goto fail;
    }
    free(want);
    if (json_out)
        *json_out = got;
    else
        free(got);
    return 0;
fail:
    free(want);
    free(got);
    libxl_domain_config_dispose(x);
    libxl_domain_config_init(x);
    return -EINVAL;
}

static int xen_translate_json(vxl_backend *b, const vxl_domain_config *cfg,
                              char **json, vxl_diags *d)
{
    libxl_domain_config x;
    int rc = translate(b, cfg, &x, json, d);
    libxl_domain_config_dispose(&x);
    return rc;
}

/* ---- operations (need a real Xen control domain) ----------------------- */

static int xen_create(vxl_backend *b, const vxl_domain_config *cfg,
                      const vxl_create_opts *opts, uint32_t *domid,
                      vxl_diags *d)
{
    libxl_domain_config x;
    libxl_ctx *ctx = ctx_for(b, d);
    uint32_t id = (uint32_t)INVALID_DOMID;
    int rc = translate(b, cfg, &x, NULL, d);

    if (rc)
        return rc;
    /* as xl: created paused, unpaused unless -p */
    rc = libxl_domain_create_new(ctx, &x, &id, NULL, NULL);
    libxl_domain_config_dispose(&x);
    if (rc) {
        vxl_diag_add(d, VXL_ERROR, NULL, 0, 0, NULL,
                     "libxl_domain_create_new failed: libxl error %d (%s)",
                     rc, libxl_error_to_string((libxl_error)rc));
        return -EIO;    /* libxl has destroyed what it had created */
    }
    *domid = id;
    if (!opts->paused) {
        rc = libxl_domain_unpause(ctx, id, NULL);
        if (rc)
            return xen_fail(d, "libxl_domain_unpause", id, rc);
    }
    return 0;
}

static int xen_destroy(vxl_backend *b, uint32_t domid, vxl_diags *d)
{
    int rc = libxl_domain_destroy(ctx_for(b, d), domid, NULL);
    return rc ? xen_fail(d, "libxl_domain_destroy", domid, rc) : 0;
}

static int xen_shutdown(vxl_backend *b, uint32_t domid, vxl_diags *d)
{
    int rc = libxl_domain_shutdown(ctx_for(b, d), domid, NULL);
    if (rc == ERROR_NOPARAVIRT)
        return -EOPNOTSUPP;     /* no PV control: the caller says so */
    return rc ? xen_fail(d, "libxl_domain_shutdown", domid, rc) : 0;
}

static int xen_reboot(vxl_backend *b, uint32_t domid, vxl_diags *d)
{
    int rc = libxl_domain_reboot(ctx_for(b, d), domid, NULL);
    if (rc == ERROR_NOPARAVIRT)
        return -EOPNOTSUPP;     /* no PV control: the caller says so */
    return rc ? xen_fail(d, "libxl_domain_reboot", domid, rc) : 0;
}

/* shutdown -F / reboot -F: the ACPI button (xl's libxl_send_trigger) */
static int xen_acpi_button(vxl_backend *b, uint32_t domid, bool reset,
                           vxl_diags *d)
{
    int rc = libxl_send_trigger(ctx_for(b, d), domid,
                                reset ? LIBXL_TRIGGER_RESET
                                      : LIBXL_TRIGGER_POWER, 0, NULL);
    return rc ? xen_fail(d, "libxl_send_trigger", domid, rc) : 0;
}

static int xen_pause(vxl_backend *b, uint32_t domid, vxl_diags *d)
{
    int rc = libxl_domain_pause(ctx_for(b, d), domid, NULL);
    return rc ? xen_fail(d, "libxl_domain_pause", domid, rc) : 0;
}

static int xen_unpause(vxl_backend *b, uint32_t domid, vxl_diags *d)
{
    int rc = libxl_domain_unpause(ctx_for(b, d), domid, NULL);
    return rc ? xen_fail(d, "libxl_domain_unpause", domid, rc) : 0;
}

/* libxl_dominfo -> vxl_dominfo (the figures xl's `list' prints). */
static void fill_info(libxl_ctx *ctx, const libxl_dominfo *li, vxl_dominfo *o)
{
    memset(o, 0, sizeof *o);
    o->domid = li->domid;
    o->name = libxl_domid_to_name(ctx, li->domid);
    if (!o->name)
        o->name = xstrdup("");
    snprintf(o->uuid, sizeof o->uuid, LIBXL_UUID_FMT,
             LIBXL__UUID_BYTES(libxl_uuid_bytearray_const(&li->uuid)));
    o->running = li->running;
    o->blocked = li->blocked;
    o->paused = li->paused;
    o->shutdown = li->shutdown;
    o->dying = li->dying;
    o->shutdown_reason = (vxl_shutdown_reason)li->shutdown_reason;
    /* xl list's Mem column: current + outstanding */
    o->current_memkb = li->current_memkb + li->outstanding_memkb;
    o->max_memkb = li->max_memkb;
    o->vcpu_online = li->vcpu_online;
    o->vcpu_max = li->vcpu_max_id + 1;
    o->cpu_time_ns = li->cpu_time;
    /* uptime's start: libxl reads it from xenstore; 0 when unknown (and
     * for dom0, which has none: its uptime is the host's) */
    if (li->domid != 0) {
        uint32_t st = libxl_vm_get_start_time(ctx, li->domid);
        o->start_time = st == (uint32_t)-1 ? 0 : st;
    }
}

static int xen_list(vxl_backend *b, vxl_dominfo **v, size_t *n, vxl_diags *d)
{
    libxl_ctx *ctx = ctx_for(b, d);
    int nb = 0;
    libxl_dominfo *li = libxl_list_domain(ctx, &nb);

    if (!li) {
        vxl_diag_add(d, VXL_ERROR, NULL, 0, 0, NULL,
                     "libxl_list_domain failed");
        return -EIO;
    }
    *v = xcalloc(nb ? (size_t)nb : 1, sizeof **v);
    for (int i = 0; i < nb; i++)
        fill_info(ctx, &li[i], &(*v)[i]);
    *n = (size_t)nb;
    libxl_dominfo_list_free(li, nb);
    return 0;
}

static int xen_info(vxl_backend *b, uint32_t domid, vxl_dominfo *out,
                    vxl_diags *d)
{
    libxl_ctx *ctx = ctx_for(b, d);
    libxl_dominfo li;
    int rc;

    libxl_dominfo_init(&li);
    rc = libxl_domain_info(ctx, &li, domid);
    if (rc == ERROR_DOMAIN_NOTFOUND) {
        libxl_dominfo_dispose(&li);
        return -ESRCH;          /* no diagnostic: callers word it */
    }
    if (rc) {
        libxl_dominfo_dispose(&li);
        return xen_fail(d, "libxl_domain_info", domid, rc);
    }
    fill_info(ctx, &li, out);
    libxl_dominfo_dispose(&li);
    return 0;
}

static int xen_rename(vxl_backend *b, uint32_t domid, const char *new_name,
                      vxl_diags *d)
{
    int rc = libxl_domain_rename(ctx_for(b, d), domid, NULL, new_name);
    return rc ? xen_fail(d, "libxl_domain_rename", domid, rc) : 0;
}

static int xen_domid_of(vxl_backend *b, const char *name, uint32_t *domid,
                        vxl_diags *d)
{
    int rc = libxl_name_to_domid(ctx_for(b, d), name, domid);
    return rc ? -ESRCH : 0;
}

static int xen_domname_of(vxl_backend *b, uint32_t domid, char **name,
                          vxl_diags *d)
{
    char *s = libxl_domid_to_name(ctx_for(b, d), domid);
    if (!s)
        return -ESRCH;
    *name = s;
    return 0;
}

/* xenconsole: $VXL_XENCONSOLE, else where Debian and upstream install it. */
static const char *xenconsole_path(void)
{
    static const char *const where[] = {
        "/usr/lib/xen-4.17/bin/xenconsole",
        "/usr/libexec/xen/bin/xenconsole",
        "/usr/lib/xen/bin/xenconsole",
        "/usr/local/lib/xen/bin/xenconsole",
    };
    const char *env = getenv("VXL_XENCONSOLE");

    if (env && *env)
        return env;
    for (size_t i = 0; i < ARRAY_SIZE(where); i++)
        if (access(where[i], X_OK) == 0)
            return where[i];
    return NULL;
}

/* Xen consoles are served by xenconsoled; as xl, attach by running
 * xenconsole (the caller execs exec_argv).  The pty is reported too. */
static int xen_console(vxl_backend *b, uint32_t domid, vxl_console_type type,
                       int num, vxl_console *out, vxl_diags *d)
{
    libxl_ctx *ctx = ctx_for(b, d);
    libxl_console_type lt;
    const char *tname, *prog;
    char *tty = NULL;
    int rc;

    if (type == VXL_CONSOLE_TYPE_UNKNOWN) {
        libxl_dominfo li;
        libxl_dominfo_init(&li);
        rc = libxl_domain_info(ctx, &li, domid);
        /* xl: an HVM guest's primary console is the serial port */
        type = rc == 0 && li.domain_type == LIBXL_DOMAIN_TYPE_HVM
               ? VXL_CONSOLE_TYPE_SERIAL : VXL_CONSOLE_TYPE_PV;
        libxl_dominfo_dispose(&li);
        if (rc)
            return xen_fail(d, "libxl_domain_info", domid, rc);
    }
    switch (type) {
    case VXL_CONSOLE_TYPE_SERIAL:
        lt = LIBXL_CONSOLE_TYPE_SERIAL; tname = "serial"; break;
    case VXL_CONSOLE_TYPE_VUART:
        lt = LIBXL_CONSOLE_TYPE_VUART; tname = "vuart"; break;
    default:
        lt = LIBXL_CONSOLE_TYPE_PV; tname = "pv"; break;
    }
    rc = libxl_console_get_tty(ctx, domid, num, lt, &tty);
    if (rc)
        return xen_fail(d, "libxl_console_get_tty", domid, rc);
    prog = xenconsole_path();
    if (!prog) {
        free(tty);
        vxl_diag_add(d, VXL_ERROR, NULL, 0, 0, "set VXL_XENCONSOLE to its "
                     "path", "xenconsole not found (Xen's console client)");
        return -ENOENT;
    }
    memset(out, 0, sizeof *out);
    out->pty_path = tty;
    out->exec_argv = xcalloc(7, sizeof *out->exec_argv);
    out->exec_argv[0] = xstrdup(prog);
    out->exec_argv[1] = xasprintf("%u", domid);
    out->exec_argv[2] = xstrdup("--num");
    out->exec_argv[3] = xasprintf("%d", num);
    out->exec_argv[4] = xstrdup("--type");
    out->exec_argv[5] = xstrdup(tname);
    return 0;
}

/* list -l: the config libxl keeps for the domain (as xl's list -l). */
static int xen_config_json(vxl_backend *b, uint32_t domid, char **json,
                           vxl_diags *d)
{
    libxl_ctx *ctx = ctx_for(b, d);
    libxl_domain_config x;
    int rc;

    libxl_domain_config_init(&x);
    rc = libxl_retrieve_domain_configuration(ctx, domid, &x, NULL);
    if (rc) {
        libxl_domain_config_dispose(&x);
        return xen_fail(d, "libxl_retrieve_domain_configuration", domid, rc);
    }
    *json = libxl_domain_config_to_json(ctx, &x);
    libxl_domain_config_dispose(&x);
    if (!*json) {
        vxl_diag_add(d, VXL_ERROR, NULL, 0, 0, NULL,
                     "libxl_domain_config_to_json failed");
        return -ENOMEM;
    }
    return 0;
}

static int xen_wait_gone(vxl_backend *b, uint32_t domid, int timeout_ms,
                         vxl_diags *d)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);

    for (;;) {
        int rc = libxl_domain_info(ctx_for(b, d), NULL, domid);
        if (rc == ERROR_DOMAIN_NOTFOUND)
            return 0;
        if (rc)
            return xen_fail(d, "libxl_domain_info", domid, rc);
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        long ms = (t.tv_sec - t0.tv_sec) * 1000 +
                  (t.tv_nsec - t0.tv_nsec) / 1000000;
        if (timeout_ms >= 0 && ms >= timeout_ms)
            return -ETIMEDOUT;
        usleep(100 * 1000);
    }
}

const vxl_backend_ops vxl_xen_backend_ops = {
    .name = "xen",
    .close = xen_close,
    .create = xen_create,
    .destroy = xen_destroy,
    .shutdown = xen_shutdown,
    .reboot = xen_reboot,
    .pause = xen_pause,
    .unpause = xen_unpause,
    .list = xen_list,
    .info = xen_info,
    .rename = xen_rename,
    .domid_of = xen_domid_of,
    .domname_of = xen_domname_of,
    .console = xen_console,
    .wait_gone = xen_wait_gone,
    .config_json = xen_config_json,
    .translate_json = xen_translate_json,
    .acpi_button = xen_acpi_button,
};

int vxl_xen_backend_open(vxl_backend **out, vxl_diags *d)
{
    struct xen_priv *p = xcalloc(1, sizeof *p);
    const char *logpath = getenv("VXL_XEN_LOG");
    int rc;

    p->log.vtable.vmessage = xen_log_vmessage;
    p->log.vtable.progress = xen_log_progress;
    p->log.vtable.destroy = xen_log_destroy;
    p->log.diags = d;
    if (logpath && *logpath)
        p->log.logf = fopen(logpath, "ae");
    rc = libxl_ctx_alloc(&p->ctx, LIBXL_VERSION, 0, &p->log.vtable);
    if (rc) {
        vxl_diag_add(d, VXL_ERROR, NULL, 0, 0, "the xen backend needs a Xen "
                     "control domain (dom0) with xenstored running; use "
                     "--backend=qemu elsewhere",
                     "cannot open a libxenlight context (libxl error %d)", rc);
        if (p->log.logf)
            fclose(p->log.logf);
        free(p);
        return -ENODEV;
    }
    p->log.diags = NULL;
    vxl_backend *b = xcalloc(1, sizeof *b);
    b->ops = &vxl_xen_backend_ops;
    b->priv = p;
    *out = b;
    return 0;
}

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
 * Without Xen, the translation is exercised with tests/xenshim standing in
 * for the hypervisor calls of libxl_ctx_alloc, the operations with wrapped
 * libxl calls (tests/unit/test_xen_backend.c); on a real Xen 4.17 booted
 * under QEMU by `make check-xen' (tests/xen/), against xl. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

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

/* ---- the domain's monitor (xl's create daemon) ---------------------------
 *
 * Xen only stops a domain that shuts down; what happens next (on_poweroff,
 * on_reboot, on_crash, on_watchdog, on_soft_reset) is the toolstack's job.
 * As xl, `create' leaves a daemon behind that waits for the domain's
 * shutdown and applies the configured action:
 *   destroy              libxl_domain_destroy
 *   preserve             nothing: the domain stays, shut down
 *   restart              destroy, then create it again from the config
 *                        libxl saved for it, and keep watching the new one
 *   coredump-destroy /   libxl_domain_core_dump to /var/lib/xen/dump/NAME
 *   coredump-restart     first, then as destroy / restart
 *   rename-restart,      not supported yet: logged, the domain preserved
 *   soft-reset
 * The daemon ends when the domain is gone.  It writes what it does to
 * /var/log/xen/vxl-NAME.log (libxl's messages included); it never prints. */

#define XEN_LOG_DIR "/var/log/xen"
#define XEN_DUMP_DIR "/var/lib/xen/dump"

struct monitor {
    libxl_ctx *ctx;
    struct xen_logger log;
    libxl_domain_config *cfg;       /* the domain's, for its actions */
    uint32_t domid;
};

static void mon_log(struct monitor *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void mon_log(struct monitor *m, const char *fmt, ...)
{
    va_list ap;
    time_t now = time(NULL);
    char stamp[32];
    struct tm tm;

    if (!m->log.logf)
        return;
    localtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm);
    fprintf(m->log.logf, "%s vxl[%ld]: ", stamp, (long)getpid());
    va_start(ap, fmt);
    vfprintf(m->log.logf, fmt, ap);
    va_end(ap);
    fputc('\n', m->log.logf);
    fflush(m->log.logf);
}

static libxl_action_on_shutdown action_for(const libxl_domain_config *c,
                                           int reason)
{
    switch (reason) {
    case LIBXL_SHUTDOWN_REASON_POWEROFF: return c->on_poweroff;
    case LIBXL_SHUTDOWN_REASON_REBOOT: return c->on_reboot;
    case LIBXL_SHUTDOWN_REASON_CRASH: return c->on_crash;
    case LIBXL_SHUTDOWN_REASON_WATCHDOG: return c->on_watchdog;
    case LIBXL_SHUTDOWN_REASON_SOFT_RESET: return c->on_soft_reset;
    default: return LIBXL_ACTION_ON_SHUTDOWN_DESTROY;   /* as xl */
    }
}

/* Create the domain again (on_*="restart"): its saved config, a new id. */
static int mon_restart(struct monitor *m)
{
    libxl_domain_config again;
    uint32_t id = (uint32_t)INVALID_DOMID;
    int rc;

    libxl_domain_config_init(&again);
    rc = libxl_retrieve_domain_configuration(m->ctx, m->domid, &again, NULL);
    if (rc) {
        mon_log(m, "cannot retrieve the config of domain %u (libxl error "
                "%d): destroying it", m->domid, rc);
        libxl_domain_config_dispose(&again);
        libxl_domain_destroy(m->ctx, m->domid, NULL);
        return -1;
    }
    libxl_domain_destroy(m->ctx, m->domid, NULL);
    /* the saved config has the old domain's id-specific state; a new
     * domain gets a fresh uuid as in xl's restart */
    rc = libxl_domain_create_new(m->ctx, &again, &id, NULL, NULL);
    if (rc == 0)
        rc = libxl_domain_unpause(m->ctx, id, NULL);
    libxl_domain_config_dispose(&again);
    if (rc) {
        mon_log(m, "restart failed (libxl error %d)", rc);
        return -1;
    }
    mon_log(m, "restarted as domain %u", id);
    m->domid = id;
    return 0;
}

/* Watch until the domain is gone (or preserved).  Returns nothing: the
 * monitor process exits afterwards. */
static void mon_run(struct monitor *m)
{
    const char *name = m->cfg->c_info.name ? m->cfg->c_info.name : "?";

    for (;;) {
        libxl_evgen_domain_death *dw = NULL;
        bool restarted = false;

        mon_log(m, "waiting for domain %s (domid %u) to die", name, m->domid);
        if (libxl_evenable_domain_death(m->ctx, m->domid, 0, &dw)) {
            mon_log(m, "cannot watch domain %u", m->domid);
            return;
        }
        while (!restarted) {
            libxl_event *ev = NULL;
            int rc = libxl_event_wait(m->ctx, &ev, LIBXL_EVENTMASK_ALL, 0, 0);
            if (rc) {
                mon_log(m, "libxl_event_wait failed (libxl error %d)", rc);
                return;
            }
            if (ev->domid != m->domid) {
                libxl_event_free(m->ctx, ev);
                continue;
            }
            if (ev->type == LIBXL_EVENT_TYPE_DOMAIN_DEATH) {
                mon_log(m, "domain %u is gone", m->domid);
                libxl_event_free(m->ctx, ev);
                return;
            }
            if (ev->type != LIBXL_EVENT_TYPE_DOMAIN_SHUTDOWN) {
                libxl_event_free(m->ctx, ev);
                continue;
            }
            int reason = ev->u.domain_shutdown.shutdown_reason;
            libxl_event_free(m->ctx, ev);
            if (reason == LIBXL_SHUTDOWN_REASON_SUSPEND) {
                mon_log(m, "domain %u has suspended", m->domid);
                continue;
            }
            libxl_action_on_shutdown a = action_for(m->cfg, reason);
            mon_log(m, "domain %u has shut down, reason code %d: action %s",
                    m->domid, reason, libxl_action_on_shutdown_to_string(a));
            if (a == LIBXL_ACTION_ON_SHUTDOWN_COREDUMP_DESTROY ||
                a == LIBXL_ACTION_ON_SHUTDOWN_COREDUMP_RESTART) {
                char *core = xasprintf(XEN_DUMP_DIR "/%s", name);
                rc = libxl_domain_core_dump(m->ctx, m->domid, core, NULL);
                mon_log(m, "core dump to %s: %s", core, rc ? "failed" : "done");
                free(core);
                a = a == LIBXL_ACTION_ON_SHUTDOWN_COREDUMP_DESTROY
                    ? LIBXL_ACTION_ON_SHUTDOWN_DESTROY
                    : LIBXL_ACTION_ON_SHUTDOWN_RESTART;
            }
            switch (a) {
            case LIBXL_ACTION_ON_SHUTDOWN_DESTROY:
                rc = libxl_domain_destroy(m->ctx, m->domid, NULL);
                mon_log(m, "destroy of domain %u: %s", m->domid,
                        rc ? "failed" : "done");
                return;
            case LIBXL_ACTION_ON_SHUTDOWN_RESTART:
                libxl_evdisable_domain_death(m->ctx, dw);
                dw = NULL;
                if (mon_restart(m))
                    return;
                restarted = true;
                break;
            case LIBXL_ACTION_ON_SHUTDOWN_PRESERVE:
                return;
            default:
                mon_log(m, "action %s is not supported by vxl yet: the "
                        "domain is preserved",
                        libxl_action_on_shutdown_to_string(a));
                return;
            }
        }
    }
}

/* Become the domain's monitor, detached from the caller: a double fork,
 * so that `create' returns at once.  Returns in the caller only (0, or
 * -errno when the fork failed). */
static int spawn_monitor(vxl_backend *b, libxl_domain_config *cfg,
                         uint32_t domid, vxl_diags *d)
{
    pid_t pid = fork();
    int status;

    if (pid < 0) {
        vxl_diag_add(d, VXL_ERROR, NULL, 0, 0, NULL, "cannot fork the "
                     "domain's monitor: %s", strerror(errno));
        return -errno;
    }
    if (pid > 0) {
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
        if (!WIFEXITED(status) || WEXITSTATUS(status)) {
            vxl_diag_add(d, VXL_WARNING, NULL, 0, 0, NULL, "the domain's "
                         "monitor did not start: on_poweroff and the other "
                         "actions will not be applied");
            return -ECHILD;
        }
        return 0;
    }

    /* the intermediate child: a new session, then the monitor itself */
    libxl_postfork_child_noexec(P(b)->ctx);
    if (setsid() < 0 || (pid = fork()) < 0)
        _exit(1);
    if (pid > 0)
        _exit(0);

    struct monitor m = { .cfg = cfg, .domid = domid };
    char *path = xasprintf(XEN_LOG_DIR "/vxl-%s.log",
                           cfg->c_info.name ? cfg->c_info.name : "domain");
    int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (fd >= 0) {
        dup2(fd, 0);
        dup2(fd, 1);
        dup2(fd, 2);
    }
    close_range(3, ~0U, 0);
    (void)mkdir(XEN_LOG_DIR, 0755);
    m.log.logf = fopen(path, "ae");
    free(path);
    m.log.vtable.vmessage = xen_log_vmessage;
    m.log.vtable.progress = xen_log_progress;
    m.log.vtable.destroy = xen_log_destroy;
    if (libxl_ctx_alloc(&m.ctx, LIBXL_VERSION, 0, &m.log.vtable) == 0) {
        mon_run(&m);
        libxl_ctx_free(m.ctx);
    } else {
        mon_log(&m, "cannot open a libxenlight context");
    }
    if (m.log.logf)
        fclose(m.log.logf);
    _exit(0);
}

/* ---- operations (on a Xen control domain) ------------------------------- */

static int xen_create(vxl_backend *b, const vxl_domain_config *cfg,
                      const vxl_create_opts *opts, uint32_t *domid,
                      vxl_diags *d)
{
    libxl_domain_config x;
    libxl_ctx *ctx = ctx_for(b, d);
    uint32_t id = (uint32_t)INVALID_DOMID;
    int rc;

    if (opts->foreground && !opts->no_monitor) {
        vxl_diag_add(d, VXL_ERROR, NULL, 0, 0, "without -F the monitor runs "
                     "in the background (-e: no monitor)", "create -F (the "
                     "domain's monitor in the foreground) is not supported "
                     "on the xen backend yet");
        return -EOPNOTSUPP;
    }
    rc = translate(b, cfg, &x, NULL, d);
    if (rc)
        return rc;
    /* as xl: created paused, unpaused unless -p */
    rc = libxl_domain_create_new(ctx, &x, &id, NULL, NULL);
    if (rc) {
        libxl_domain_config_dispose(&x);
        vxl_diag_add(d, VXL_ERROR, NULL, 0, 0, NULL,
                     "libxl_domain_create_new failed: libxl error %d (%s)",
                     rc, libxl_error_to_string((libxl_error)rc));
        return -EIO;    /* libxl has destroyed what it had created */
    }
    *domid = id;
    if (!opts->paused) {
        rc = libxl_domain_unpause(ctx, id, NULL);
        if (rc) {
            libxl_domain_config_dispose(&x);
            return xen_fail(d, "libxl_domain_unpause", id, rc);
        }
    }
    /* -e: nobody applies on_poweroff & co.; otherwise the monitor does
     * (a monitor that fails to start is a warning: the domain runs) */
    if (!opts->no_monitor)
        spawn_monitor(b, &x, id, d);
    libxl_domain_config_dispose(&x);
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

static char *dup_or_empty(const char *s)
{
    return xstrdup(s ? s : "");
}

/* xl info's figures (xl_info.c: output_physinfo, output_xeninfo). */
static int xen_host_info(vxl_backend *b, vxl_hostinfo *h, vxl_diags *d)
{
    libxl_ctx *ctx = ctx_for(b, d);
    const libxl_version_info *v = libxl_get_version_info(ctx);
    libxl_physinfo pi;
    libxl_bitmap cpus;
    int rc;

    memset(h, 0, sizeof *h);
    if (!v) {
        vxl_diag_add(d, VXL_ERROR, NULL, 0, 0, NULL,
                     "libxl_get_version_info failed");
        return -EIO;
    }
    libxl_physinfo_init(&pi);
    rc = libxl_get_physinfo(ctx, &pi);
    if (rc) {
        libxl_physinfo_dispose(&pi);
        vxl_diag_add(d, VXL_ERROR, NULL, 0, 0, NULL,
                     "libxl_get_physinfo failed (libxl error %d)", rc);
        return -EIO;
    }
    rc = libxl_get_scheduler(ctx);
    if (rc < 0) {
        libxl_physinfo_dispose(&pi);
        vxl_diag_add(d, VXL_ERROR, NULL, 0, 0, NULL,
                     "libxl_get_scheduler failed (libxl error %d)", rc);
        return -EIO;
    }
    h->xen_scheduler = xstrdup(libxl_scheduler_to_string(rc));
    h->nr_cpus = (int)pi.nr_cpus;
    h->max_cpu_id = (int)pi.max_cpu_id;
    h->nr_nodes = (int)pi.nr_nodes;
    h->cores_per_socket = (int)pi.cores_per_socket;
    h->threads_per_core = (int)pi.threads_per_core;
    h->cpu_khz = pi.cpu_khz;
    for (int i = 0; i < 8; i++)
        h->hw_cap[i] = pi.hw_cap[i];
    h->cap_pv = pi.cap_pv;
    h->cap_hvm = pi.cap_hvm;
    h->cap_hvm_directio = pi.cap_hvm_directio;
    h->cap_hap = pi.cap_hap;
    h->cap_shadow = pi.cap_shadow;
    h->cap_iommu_hap_pt_share = pi.cap_iommu_hap_pt_share;
    h->cap_vmtrace = pi.cap_vmtrace;
    h->cap_vpmu = pi.cap_vpmu;
    h->cap_gnttab_v1 = pi.cap_gnttab_v1;
    h->cap_gnttab_v2 = pi.cap_gnttab_v2;
    uint64_t per_mb = v->pagesize ? (1u << 20) / v->pagesize : 256;
    h->total_mb = pi.total_pages / per_mb;
    h->free_mb = (pi.free_pages - pi.outstanding_pages) / per_mb;
    h->sharing_freed_mb = pi.sharing_freed_pages / per_mb;
    h->sharing_used_mb = pi.sharing_used_frames / per_mb;
    h->outstanding_mb = pi.outstanding_pages / per_mb;
    libxl_physinfo_dispose(&pi);
    h->free_cpus = -1;
    libxl_bitmap_init(&cpus);
    if (libxl_get_freecpus(ctx, &cpus) == 0) {
        h->free_cpus = libxl_bitmap_count_set(&cpus);
        libxl_bitmap_dispose(&cpus);
    }
    h->xen_major = v->xen_version_major;
    h->xen_minor = v->xen_version_minor;
    h->xen_extra = dup_or_empty(v->xen_version_extra);
    h->xen_caps = dup_or_empty(v->capabilities);
    h->pagesize = (unsigned)v->pagesize;
    h->virt_start = v->virt_start;
    h->xen_changeset = dup_or_empty(v->changeset);
    h->xen_commandline = dup_or_empty(v->commandline);
    h->cc_compiler = dup_or_empty(v->compiler);
    h->cc_compile_by = dup_or_empty(v->compile_by);
    h->cc_compile_domain = dup_or_empty(v->compile_domain);
    h->cc_compile_date = dup_or_empty(v->compile_date);
    h->build_id = dup_or_empty(v->build_id);
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
    .host_info = xen_host_info,
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

/* backend/qemu.c — the embedded QEMU backend: each domain is one QEMU
 * process, watched by a monitor process (like xl's create daemon).
 *
 * Per domain, in the run directory's dom/<domid>/ (see state.h):
 *     record.json     the state record
 *     config.json     the libxl_domain_config JSON it was created from
 *     cmdline         QEMU's command line (for humans)
 *     qemu.log        QEMU's stdout and stderr
 *     qmp-mon.sock    QMP for the monitor (events)
 *     qmp.sock        QMP for vxl commands, serialised by qmp.lock
 *     console.sock    console 0 (serial or hvc0), raw bytes
 *     console.log     everything the guest wrote to console 0
 *
 * create:   reserve id+name → fork; the child double-forks the monitor,
 *           which starts QEMU paused, connects QMP, reports "ok" through a
 *           pipe, then (unless -p) continues the guest and waits for events:
 *           on_poweroff / on_reboot / on_crash are applied from QMP's
 *           SHUTDOWN / RESET / GUEST_PANICKED events; when QEMU exits the
 *           monitor removes the domain's directory.
 * commands: over qmp.sock (stop, cont, system_powerdown, system_reset,
 *           quit); destroy falls back to SIGKILL and cleans up itself when
 *           the monitor is gone.
 *
 * The monitor is a child process: it ends with _exit(), never returning
 * into the caller.  Nothing here prints. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "backend/backend.h"
#include "backend/qemu.h"
#include "backend/qemu_argv.h"
#include "backend/qmp.h"
#include "backend/state.h"
#include "common/util.h"

typedef struct qemu_priv {
    vxl_state *st;
    char *qemu_bin;             /* as configured: VXL_QEMU or the default */
    const char *accel;
    char accel_why[160];
} qemu_priv;

#define QMP_TIMEOUT_MS 5000
#define START_TIMEOUT_MS 30000

/* ---- helpers ----------------------------------------------------------- */

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static char *dom_file(qemu_priv *p, uint32_t domid, const char *name)
{
    char *dir = vxl_state_domdir(p->st, domid);
    char *f = xasprintf("%s/%s", dir, name);
    free(dir);
    return f;
}

static int write_text(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    size_t len = strlen(text), off = 0;
    if (fd < 0)
        return -errno;
    while (off < len) {
        ssize_t w = write(fd, text + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            break;
        off += (size_t)w;
    }
    close(fd);
    return off == len ? 0 : -EIO;
}

/* The last few lines of a file, for error messages.  Caller frees. */
static char *file_tail(const char *path, size_t max)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    char *buf;
    off_t size;
    ssize_t r;

    if (fd < 0)
        return NULL;
    size = lseek(fd, 0, SEEK_END);
    if (size <= 0) {
        close(fd);
        return NULL;
    }
    if ((size_t)size > max)
        lseek(fd, size - (off_t)max, SEEK_SET);
    else
        lseek(fd, 0, SEEK_SET);
    buf = xcalloc(1, max + 1);
    r = read(fd, buf, max);
    close(fd);
    if (r <= 0) {
        free(buf);
        return NULL;
    }
    while (r > 0 && (buf[r - 1] == '\n' || buf[r - 1] == '\r'))
        buf[--r] = 0;
    return buf;
}

/* An executable named `bin' (a path, or searched in $PATH).  Caller frees. */
static char *find_exe(const char *bin)
{
    if (strchr(bin, '/'))
        return access(bin, X_OK) == 0 ? xstrdup(bin) : NULL;
    const char *path = getenv("PATH");
    char *copy = xstrdup(path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
    char *save = NULL, *found = NULL;
    for (char *dir = strtok_r(copy, ":", &save); dir && !found;
         dir = strtok_r(NULL, ":", &save)) {
        char *f = xasprintf("%s/%s", *dir ? dir : ".", bin);
        if (access(f, X_OK) == 0)
            found = f;
        else
            free(f);
    }
    free(copy);
    return found;
}

/* ---- accelerator choice ------------------------------------------------ */

static bool cpu_has_hw_virt(void)
{
    FILE *f = fopen("/proc/cpuinfo", "re");
    char line[4096];
    bool found = false;

    if (!f)
        return false;
    while (!found && fgets(line, sizeof line, f)) {
        if (strncmp(line, "flags", 5))
            continue;
        found = strstr(line, " vmx") || strstr(line, " svm");
    }
    fclose(f);
    return found;
}

const char *vxl_qemu_choose_accel(char *why, size_t n)
{
    const char *env = getenv("VXL_QEMU_ACCEL");
    int fd;

    if (env && (!strcmp(env, "tcg") || !strcmp(env, "kvm"))) {
        snprintf(why, n, "VXL_QEMU_ACCEL=%s", env);
        return !strcmp(env, "kvm") ? "kvm" : "tcg";
    }
    fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        snprintf(why, n, "no usable /dev/kvm");
        return "tcg";
    }
    close(fd);
    /* /dev/kvm alone does not mean fast: kvm-pvm (and other software
     * implementations) emulate, and are slower than TCG */
    if (access("/sys/module/kvm_pvm", F_OK) == 0) {
        snprintf(why, n, "/dev/kvm is kvm-pvm, which emulates (slower than "
                 "TCG); VXL_QEMU_ACCEL=kvm to use it anyway");
        return "tcg";
    }
    if (!cpu_has_hw_virt()) {
        snprintf(why, n, "/dev/kvm exists but the CPU has no VT-x/AMD-V; "
                 "VXL_QEMU_ACCEL=kvm to use it anyway");
        return "tcg";
    }
    snprintf(why, n, "/dev/kvm with hardware virtualisation");
    return "kvm";
}

/* ---- QMP sessions for commands ----------------------------------------- */

typedef struct session {
    vxl_qmp *q;
    int lock_fd;
} session;

static int not_found(vxl_diags *d, uint32_t domid)
{
    vxl_diag_add(d, VXL_ERROR, NULL, 0, 0, NULL,
                 "Domain %u does not exist.", domid);
    return -ESRCH;
}

static int open_session(qemu_priv *p, uint32_t domid, session *s,
                        vxl_diags *d)
{
    vxl_domrec rec;
    char *lock, *sock;
    int rc = vxl_state_read(p->st, domid, &rec, d);

    s->q = NULL;
    s->lock_fd = -1;
    if (rc == -ESRCH)
        return not_found(d, domid);
    if (rc)
        return rc;
    bool alive = vxl_proc_alive(&rec.qemu);
    vxl_domrec_dispose(&rec);
    if (!alive) {
        vxl_diag_add(d, VXL_ERROR, NULL, 0, 0, NULL,
                     "domain %u has no running QEMU process", domid);
        return -ESRCH;
    }
    lock = dom_file(p, domid, "qmp.lock");
    s->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    free(lock);
    if (s->lock_fd < 0)
        return -errno;
    while (flock(s->lock_fd, LOCK_EX) < 0 && errno == EINTR)
        ;
    sock = dom_file(p, domid, "qmp.sock");
    rc = vxl_qmp_connect(sock, QMP_TIMEOUT_MS, &s->q, d);
    free(sock);
    if (rc) {
        close(s->lock_fd);
        s->lock_fd = -1;
    }
    return rc;
}

static void close_session(session *s)
{
    vxl_qmp_close(s->q);
    if (s->lock_fd >= 0)
        close(s->lock_fd);
    s->q = NULL;
    s->lock_fd = -1;
}

static int simple_command(vxl_backend *b, uint32_t domid, const char *cmd,
                          vxl_diags *d)
{
    qemu_priv *p = b->priv;
    session s;
    int rc = open_session(p, domid, &s, d);
    if (rc)
        return rc;
    rc = vxl_qmp_execute(s.q, cmd, NULL, QMP_TIMEOUT_MS, NULL, d);
    close_session(&s);
    return rc;
}

/* ---- the monitor process ----------------------------------------------- */

/* QEMU runs with -action reboot=shutdown,shutdown=pause: every guest
 * reset, poweroff or panic stops the VM and arrives as a SHUTDOWN event.
 * The monitor then applies the config's on_* action; "restart" starts a
 * fresh QEMU (same id, name, sockets), as Xen recreates the domain, so
 * the firmware boots cold. */
typedef struct monitor {
    qemu_priv *p;
    vxl_state *st;              /* the monitor's own handle on the state */
    uint32_t domid;
    const vxl_domain_config *cfg;
    const vxl_create_opts *opts;
    const vxl_argv *argv;
    const char *exe;
    const vxl_qemu_post *post;
    pid_t qemu_pid;
    vxl_qmp *q;
} monitor;

static void update_record(monitor *m, const char *status, bool procs)
{
    vxl_domrec rec;
    vxl_diags d = {0};
    if (vxl_state_lock(m->st, &d) == 0) {
        if (vxl_state_read(m->st, m->domid, &rec, &d) == 0) {
            if (status) {
                free(rec.status);
                rec.status = xstrdup(status);
            }
            if (procs) {
                rec.qemu = vxl_proc_of(m->qemu_pid);
                if (!m->opts->no_monitor)
                    rec.monitor = vxl_proc_self();
            }
            vxl_state_write(m->st, &rec, &d);
            vxl_domrec_dispose(&rec);
        }
        vxl_state_unlock(m->st);
    }
    vxl_diags_free(&d);
}

static void set_status(monitor *m, const char *status)
{
    update_record(m, status, false);
}

static void report(int fd, const char *msg)
{
    if (fd >= 0 && write(fd, msg, strlen(msg)) < 0)
        return;
}

static pid_t spawn_qemu(monitor *m)
{
    char *log = dom_file(m->p, m->domid, "qemu.log");
    int logfd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    pid_t pid;

    free(log);
    pid = fork();
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDWR);
        if (devnull >= 0)
            dup2(devnull, 0);
        if (logfd >= 0) {
            dup2(logfd, 1);
            dup2(logfd, 2);
        }
        signal(SIGPIPE, SIG_DFL);
        signal(SIGHUP, SIG_DFL);
        execv(m->exe, m->argv->v);
        dprintf(2, "vxl: cannot run %s: %s\n", m->exe, strerror(errno));
        _exit(127);
    }
    if (logfd >= 0)
        close(logfd);
    return pid;
}

/* Connect to the monitor socket while QEMU starts. */
static int connect_monitor_qmp(monitor *m, vxl_diags *d)
{
    char *sock = dom_file(m->p, m->domid, "qmp-mon.sock");
    long long deadline = now_ms() + START_TIMEOUT_MS;
    int rc = -ETIMEDOUT;

    while (now_ms() < deadline) {
        vxl_diags tmp = {0};
        if (waitpid(m->qemu_pid, NULL, WNOHANG) == m->qemu_pid) {
            m->qemu_pid = 0;
            rc = -ECHILD;
            break;
        }
        rc = vxl_qmp_connect(sock, START_TIMEOUT_MS, &m->q, &tmp);
        if (rc == 0 || (rc != -ENOENT && rc != -ECONNREFUSED)) {
            for (size_t i = 0; rc && i < tmp.n; i++)
                vxl_diag_add(d, VXL_ERROR, NULL, 0, 0, NULL, "%s",
                             tmp.v[i].msg);
            vxl_diags_free(&tmp);
            break;
        }
        vxl_diags_free(&tmp);
        sleep_ms(10);
    }
    free(sock);
    return rc;
}

/* Stop QEMU: SIGTERM (it flushes and exits), SIGKILL after 3 s; reap. */
static void stop_qemu(monitor *m)
{
    if (m->q) {
        vxl_qmp_close(m->q);
        m->q = NULL;
    }
    if (m->qemu_pid > 0) {
        kill(m->qemu_pid, SIGTERM);
        long long deadline = now_ms() + 3000;
        while (waitpid(m->qemu_pid, NULL, WNOHANG) == 0) {
            if (now_ms() >= deadline) {
                kill(m->qemu_pid, SIGKILL);
                waitpid(m->qemu_pid, NULL, 0);
                break;
            }
            sleep_ms(5);
        }
        m->qemu_pid = 0;
    }
}

/* Kill QEMU (if started) and remove the domain's directory. */
static void monitor_cleanup(monitor *m)
{
    vxl_diags d = {0};
    if (m->q) {
        vxl_qmp_close(m->q);
        m->q = NULL;
    }
    if (m->qemu_pid > 0) {
        kill(m->qemu_pid, SIGKILL);
        waitpid(m->qemu_pid, NULL, 0);
        m->qemu_pid = 0;
    }
    vxl_state_lock(m->st, &d);
    vxl_state_remove(m->st, m->domid, &d);
    vxl_state_unlock(m->st);
    vxl_diags_free(&d);
}

/* Start QEMU and bring the guest up (running unless `paused').  0, or
 * -errno with the reason in *err (caller frees). */
static int start_qemu(monitor *m, bool paused, char **err)
{
    vxl_diags d = {0};
    int rc;

    *err = NULL;
    m->qemu_pid = spawn_qemu(m);
    if (m->qemu_pid < 0) {
        m->qemu_pid = 0;
        *err = xstrdup("cannot fork QEMU");
        return -EAGAIN;
    }
    update_record(m, "starting", true);
    rc = connect_monitor_qmp(m, &d);
    if (rc) {
        char *log = dom_file(m->p, m->domid, "qemu.log");
        char *tail = file_tail(log, 1500);
        *err = xasprintf("QEMU did not start%s%s", tail ? ":\n" : "",
                         tail ? tail : "");
        free(tail);
        free(log);
        vxl_diags_free(&d);
        return rc;
    }
    if (m->post->vnc_password) {
        char *pw = vxl_json_quote(m->post->vnc_password);
        char *args = xasprintf("{\"password\": %s}", pw);
        vxl_qmp_execute(m->q, "change-vnc-password", args, QMP_TIMEOUT_MS,
                        NULL, &d);
        free(args);
        free(pw);
    }
    if (!paused &&
        vxl_qmp_execute(m->q, "cont", NULL, QMP_TIMEOUT_MS, NULL, &d) != 0) {
        *err = xstrdup("QEMU did not start the guest");
        vxl_diags_free(&d);
        return -EIO;
    }
    set_status(m, paused ? "paused" : "running");
    vxl_diags_free(&d);
    return 0;
}

/* After a SHUTDOWN event: apply on_poweroff / on_reboot / on_crash.
 * Returns false when the domain is finished. */
static bool apply_action(monitor *m, vxl_action_on_shutdown act,
                         const char *why)
{
    vxl_diags d = {0};
    char *status, *err;

    switch (act) {
    case VXL_ACTION_ON_SHUTDOWN_RESTART:
    case VXL_ACTION_ON_SHUTDOWN_RESTART_RENAME:
    case VXL_ACTION_ON_SHUTDOWN_COREDUMP_RESTART:
    case VXL_ACTION_ON_SHUTDOWN_SOFT_RESET:
        stop_qemu(m);
        if (start_qemu(m, false, &err) != 0) {
            free(err);
            return false;
        }
        return true;
    case VXL_ACTION_ON_SHUTDOWN_PRESERVE:
        status = xasprintf("shutdown:%s", why);
        set_status(m, status);
        free(status);
        return true;
    case VXL_ACTION_ON_SHUTDOWN_DESTROY:
    case VXL_ACTION_ON_SHUTDOWN_COREDUMP_DESTROY:
    default:
        set_status(m, "dying");
        vxl_qmp_execute(m->q, "quit", NULL, QMP_TIMEOUT_MS, NULL, &d);
        vxl_diags_free(&d);
        return true;        /* QEMU closes the connection as it exits */
    }
}

/* React to one event; false when the domain is finished. */
static bool handle_event(monitor *m, yajl_val ev)
{
    const char *name = vxl_qmp_event_name(ev);
    const char *reason = vxl_qmp_event_data_str(ev, "reason");

    if (!name)
        return true;
    if (!strcmp(name, "SHUTDOWN") && reason) {
        if (!strcmp(reason, "guest-shutdown"))
            return apply_action(m, m->cfg->on_poweroff, "poweroff");
        if (!strcmp(reason, "guest-reset") ||
            !strcmp(reason, "host-qmp-system-reset"))
            return apply_action(m, m->cfg->on_reboot, "reboot");
        if (!strcmp(reason, "guest-panic"))
            return apply_action(m, m->cfg->on_crash, "crash");
    }
    /* STOP/RESUME: `list' asks QEMU for the live state */
    return true;
}

/* Wait for events until QEMU is gone for good. */
static void monitor_loop(monitor *m)
{
    for (;;) {
        yajl_val ev;
        vxl_diags d = {0};
        int rc = vxl_qmp_event(m->q, -1, &ev, &d);
        vxl_diags_free(&d);
        if (rc)
            return;                 /* QEMU exited (destroy, quit, crash) */
        bool go_on = handle_event(m, ev);
        vxl_qmp_free(ev);
        if (!go_on)
            return;
    }
}

/* The monitor: start QEMU, report to `ready_fd', watch.  Never returns. */
static void __attribute__((noreturn))
run_monitor(monitor *m, int ready_fd)
{
    vxl_diags d = {0};
    char *err;

    /* a handle of our own: flock() locks belong to the open file */
    if (vxl_state_open(m->p->st->dir, &m->st, &d)) {
        report(ready_fd, "error: cannot open the run directory\n");
        _exit(1);
    }
    vxl_diags_free(&d);
    if (start_qemu(m, m->opts->paused, &err) != 0) {
        char *msg = xasprintf("error: %s\n", err);
        report(ready_fd, msg);
        free(msg);
        free(err);
        monitor_cleanup(m);
        _exit(1);
    }
    report(ready_fd, "ok\n");
    close(ready_fd);

    if (m->opts->no_monitor) {
        /* -e: nobody waits; QEMU (without -no-shutdown) exits on poweroff
         * and the record is cleaned as stale by the next vxl */
        vxl_qmp_close(m->q);
        _exit(0);
    }
    monitor_loop(m);
    stop_qemu(m);
    monitor_cleanup(m);
    _exit(0);
}

/* ---- create ------------------------------------------------------------ */

static void detach_stdio(void)
{
    int fd = open("/dev/null", O_RDWR);
    if (fd < 0)
        return;
    dup2(fd, 0);
    dup2(fd, 1);
    dup2(fd, 2);
    if (fd > 2)
        close(fd);
}

/* Read the monitor's report (one message, then EOF). */
static int wait_ready(int fd, char **msg)
{
    strbuf sb = {0};
    long long deadline = now_ms() + START_TIMEOUT_MS + 5000;
    for (;;) {
        struct pollfd pfd = { fd, POLLIN, 0 };
        long long left = deadline - now_ms();
        if (left <= 0) {
            *msg = sb_steal(&sb);
            return -ETIMEDOUT;
        }
        int pr = poll(&pfd, 1, (int)left);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr <= 0)
            continue;
        char buf[512];
        ssize_t r = read(fd, buf, sizeof buf);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        sb_append(&sb, buf, (size_t)r);
        if (sb.len >= 3 && !strncmp(sb.s, "ok\n", 3))
            break;
    }
    *msg = sb_steal(&sb);
    return !strncmp(*msg, "ok\n", 3) ? 0 : -EIO;
}

static int qemu_wait_gone(vxl_backend *b, uint32_t domid, int timeout_ms,
                          vxl_diags *d);

static int qemu_create(vxl_backend *b, const vxl_domain_config *cfg,
                       const vxl_create_opts *opts, uint32_t *domid,
                       vxl_diags *d)
{
    qemu_priv *p = b->priv;
    vxl_domrec rec = {0};
    vxl_argv argv = {0};
    vxl_qemu_post post = {0};
    char *exe = NULL, *paths[4] = {0}, *msg = NULL;
    uint64_t memkb, max_memkb;
    int vcpus, max_vcpus, rc, pipefd[2] = { -1, -1 };
    pid_t child;

    if (!cfg->c_info.name || !*cfg->c_info.name) {
        vxl_diag_add(d, VXL_ERROR, NULL, 0, 0, "set name= in the config",
                     "the domain has no name");
        return -EINVAL;
    }
    exe = find_exe(p->qemu_bin);
    if (!exe) {
        vxl_diag_add(d, VXL_ERROR, NULL, 0, 0,
                     "install it (Debian: apt install qemu-system-x86) or "
                     "set VXL_QEMU to its path",
                     "QEMU not found: %s", p->qemu_bin);
        return -ENOENT;
    }
    vxl_qemu_resources(cfg, &memkb, &max_memkb, &vcpus, &max_vcpus);
    rec.name = xstrdup(cfg->c_info.name);
    if (!vxl_uuid_is_nil(&cfg->c_info.uuid))
        vxl_uuid_to_string(&cfg->c_info.uuid, rec.uuid);
    rec.status = xstrdup("creating");
    rec.memkb = memkb;
    rec.max_memkb = max_memkb;
    rec.vcpus = (uint32_t)vcpus;
    rec.max_vcpus = (uint32_t)max_vcpus;
    if ((rc = vxl_state_reserve(p->st, &rec, d)))
        goto out;

    static const char *names[] = { "qmp-mon.sock", "qmp.sock",
                                   "console.sock", "console.log" };
    for (int i = 0; i < 4; i++)
        paths[i] = dom_file(p, rec.domid, names[i]);
    vxl_qemu_argv_opts o = {
        .qemu = exe,
        .accel = p->accel,
        .qmp_paths = { paths[0], paths[1] },
        .console_path = paths[2],
        .console_log = paths[3],
        .start_paused = true,
        .no_shutdown = !opts->no_monitor,
        .privileged = geteuid() == 0,
        .display_env = getenv("DISPLAY"),
        .ovmf_path = getenv("VXL_OVMF"),
    };
    /* the uuid QEMU gets is the record's (generated when the config has
     * none) */
    vxl_domain_config with_uuid = *cfg;
    vxl_uuid_from_string(&with_uuid.c_info.uuid, rec.uuid);
    if ((rc = vxl_qemu_argv(&with_uuid, &o, &argv, &post, d)))
        goto fail;
    {
        char *line = vxl_argv_join(&argv);
        char *f = dom_file(p, rec.domid, "cmdline");
        char *text = xasprintf("%s\n", line);
        write_text(f, text);
        free(text);
        free(f);
        free(line);
    }
    if (opts->config_json) {
        char *f = dom_file(p, rec.domid, "config.json");
        write_text(f, opts->config_json);
        free(f);
    }
    if (pipe2(pipefd, O_CLOEXEC) < 0) {
        rc = -errno;
        goto fail;
    }
    child = fork();
    if (child < 0) {
        rc = -errno;
        goto fail;
    }
    if (child == 0) {
        /* the intermediate child: detach, fork the monitor, exit */
        close(pipefd[0]);
        setsid();
        detach_stdio();
        signal(SIGHUP, SIG_IGN);
        signal(SIGPIPE, SIG_IGN);
        pid_t mon = fork();
        if (mon == 0) {
            monitor m = { .p = p, .domid = rec.domid, .cfg = cfg,
                          .opts = opts, .argv = &argv, .exe = exe,
                          .post = &post };
            run_monitor(&m, pipefd[1]);
        }
        if (mon < 0)
            report(pipefd[1], "error: cannot fork the monitor\n");
        _exit(mon < 0);
    }
    close(pipefd[1]);
    pipefd[1] = -1;
    waitpid(child, NULL, 0);
    rc = wait_ready(pipefd[0], &msg);
    if (rc) {
        char *text = msg && !strncmp(msg, "error: ", 7) ? msg + 7 : msg;
        size_t len = text ? strlen(text) : 0;
        while (len && text[len - 1] == '\n')
            text[--len] = 0;
        vxl_diag_add(d, VXL_ERROR, NULL, 0, 0, NULL,
                     "cannot create domain \"%s\": %s", cfg->c_info.name,
                     len ? text : rc == -ETIMEDOUT
                                      ? "timed out waiting for QEMU"
                                      : "the monitor process died");
        goto fail;
    }
    *domid = rec.domid;
    if (opts->foreground && !opts->no_monitor)
        rc = qemu_wait_gone(b, rec.domid, -1, d);     /* -F: until it ends */
    goto out;
fail:
    if (rec.domid) {
        /* the monitor cleans up after itself; make sure nothing is left */
        vxl_domrec now;
        vxl_diags tmp = {0};
        if (vxl_state_read(p->st, rec.domid, &now, &tmp) == 0) {
            if (vxl_proc_alive(&now.qemu))
                kill(now.qemu.pid, SIGKILL);
            vxl_domrec_dispose(&now);
            vxl_state_remove(p->st, rec.domid, &tmp);
        }
        vxl_diags_free(&tmp);
    }
out:
    if (pipefd[0] >= 0)
        close(pipefd[0]);
    if (pipefd[1] >= 0)
        close(pipefd[1]);
    for (int i = 0; i < 4; i++)
        free(paths[i]);
    free(msg);
    free(exe);
    vxl_argv_free(&argv);
    vxl_qemu_post_dispose(&post);
    vxl_domrec_dispose(&rec);
    return rc;
}

/* ---- destroy and waiting ----------------------------------------------- */

static int qemu_wait_gone(vxl_backend *b, uint32_t domid, int timeout_ms,
                          vxl_diags *d)
{
    qemu_priv *p = b->priv;
    long long deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;

    for (;;) {
        vxl_domrec rec;
        vxl_diags tmp = {0};
        int rc = vxl_state_read(p->st, domid, &rec, &tmp);
        vxl_diags_free(&tmp);
        if (rc == -ESRCH)
            return 0;
        if (rc == 0) {
            bool stale = vxl_domrec_stale(&rec);
            vxl_domrec_dispose(&rec);
            if (stale) {
                vxl_state_gc(p->st, d);
                return 0;
            }
        }
        if (deadline >= 0 && now_ms() >= deadline) {
            vxl_diag_add(d, VXL_ERROR, NULL, 0, 0, NULL,
                         "domain %u is still there", domid);
            return -ETIMEDOUT;
        }
        sleep_ms(20);
    }
}

static bool wait_proc_gone(const vxl_proc *pr, int timeout_ms)
{
    long long deadline = now_ms() + timeout_ms;
    while (vxl_proc_alive(pr)) {
        if (now_ms() >= deadline)
            return false;
        sleep_ms(10);
    }
    return true;
}

static int qemu_destroy(vxl_backend *b, uint32_t domid, vxl_diags *d)
{
    qemu_priv *p = b->priv;
    vxl_domrec rec;
    session s;
    int rc = vxl_state_read(p->st, domid, &rec, d);

    if (rc == -ESRCH)
        return not_found(d, domid);
    if (rc)
        return rc;
    /* the monitor first, so it cannot restart what we are destroying
     * (it only watches; killing it loses nothing) */
    if (vxl_proc_alive(&rec.monitor)) {
        kill(rec.monitor.pid, SIGKILL);
        wait_proc_gone(&rec.monitor, 3000);
    }
    /* re-read: a restart may just have started another QEMU */
    vxl_domrec now;
    vxl_diags tmp = {0};
    if (vxl_state_read(p->st, domid, &now, &tmp) == 0) {
        vxl_domrec_dispose(&rec);
        rec = now;
    }
    if (vxl_proc_alive(&rec.qemu)) {
        /* politely first, then SIGKILL */
        if (open_session(p, domid, &s, &tmp) == 0) {
            vxl_qmp_execute(s.q, "quit", NULL, 2000, NULL, &tmp);
            close_session(&s);
        }
        if (!wait_proc_gone(&rec.qemu, 3000)) {
            kill(rec.qemu.pid, SIGKILL);
            wait_proc_gone(&rec.qemu, 3000);
        }
    }
    vxl_diags_free(&tmp);
    vxl_state_lock(p->st, d);
    rc = vxl_state_remove(p->st, domid, d);
    vxl_state_unlock(p->st);
    vxl_domrec_dispose(&rec);
    return rc;
}

/* ---- simple commands --------------------------------------------------- */

static int qemu_shutdown(vxl_backend *b, uint32_t domid, vxl_diags *d)
{
    return simple_command(b, domid, "system_powerdown", d);
}

static int qemu_reboot(vxl_backend *b, uint32_t domid, vxl_diags *d)
{
    /* QEMU has no polite reboot request: a hard reset, then on_reboot */
    return simple_command(b, domid, "system_reset", d);
}

static int qemu_pause(vxl_backend *b, uint32_t domid, vxl_diags *d)
{
    return simple_command(b, domid, "stop", d);
}

static int qemu_unpause(vxl_backend *b, uint32_t domid, vxl_diags *d)
{
    return simple_command(b, domid, "cont", d);
}

/* ---- list / info ------------------------------------------------------- */

/* utime + stime of a process, in nanoseconds */
static uint64_t proc_cpu_ns(pid_t pid)
{
    char buf[1024];
    unsigned long long ut = 0, st = 0;
    const char *p = vxl_proc_stat(pid, buf, sizeof buf);

    /* from field 3, state ... utime(14) stime(15) */
    if (!p || sscanf(p, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
                     &ut, &st) != 2)
        return 0;
    long hz = sysconf(_SC_CLK_TCK);
    return (ut + st) * (1000000000ULL / (unsigned long long)(hz > 0 ? hz : 100));
}

static vxl_shutdown_reason reason_of(const char *s)
{
    vxl_shutdown_reason r = VXL_SHUTDOWN_REASON_UNKNOWN;
    if (s)
        vxl_shutdown_reason_from_string(s, &r);
    return r;
}

static void fill_info(qemu_priv *p, const vxl_domrec *rec, vxl_dominfo *di)
{
    const char *status = rec->status ? rec->status : "";
    char *live = NULL;

    memset(di, 0, sizeof *di);
    di->domid = rec->domid;
    di->name = xstrdup(rec->name);
    memcpy(di->uuid, rec->uuid, sizeof di->uuid);
    di->current_memkb = rec->memkb;
    di->max_memkb = rec->max_memkb;
    di->vcpu_online = rec->vcpus;
    di->vcpu_max = rec->max_vcpus;
    di->start_time = rec->start_time;
    di->shutdown_reason = VXL_SHUTDOWN_REASON_UNKNOWN;

    bool qemu_alive = vxl_proc_alive(&rec->qemu);
    if (qemu_alive) {
        /* ask QEMU: the record may lag behind a pause that just happened */
        session s;
        vxl_diags tmp = {0};
        if (open_session(p, rec->domid, &s, &tmp) == 0) {
            yajl_val reply;
            if (vxl_qmp_execute(s.q, "query-status", NULL, 2000, &reply,
                                &tmp) == 0) {
                const char *sp[] = { "status", NULL };
                yajl_val v = yajl_tree_get(vxl_qmp_return(reply), sp,
                                           yajl_t_string);
                if (v)
                    live = xstrdup(YAJL_GET_STRING(v));
                vxl_qmp_free(reply);
            }
            close_session(&s);
        }
        vxl_diags_free(&tmp);
        di->cpu_time_ns = proc_cpu_ns(rec->qemu.pid);
        if (!live)
            di->problem = xstrdup("QEMU does not answer on QMP");
    }
    if (rec->monitor.pid && !vxl_proc_alive(&rec->monitor) && qemu_alive) {
        free(di->problem);
        di->problem = xasprintf("monitor process %d died: on_poweroff, "
                                "on_reboot and on_crash are not handled",
                                (int)rec->monitor.pid);
    }
    if (!strncmp(status, "shutdown:", 9)) {
        di->shutdown = true;
        di->shutdown_reason = reason_of(status + 9);
    } else if (!strcmp(status, "dying")) {
        di->dying = true;
    } else if (live) {
        if (!strcmp(live, "running"))
            di->running = true;
        else if (!strcmp(live, "shutdown")) {
            di->shutdown = true;
            di->shutdown_reason = VXL_SHUTDOWN_REASON_POWEROFF;
        } else if (!strcmp(live, "guest-panicked")) {
            di->shutdown = true;
            di->shutdown_reason = VXL_SHUTDOWN_REASON_CRASH;
        } else
            di->paused = true;          /* paused, prelaunch, suspended, ... */
    } else if (!qemu_alive) {
        di->paused = true;              /* still being created */
    }
    free(live);
}

static int qemu_list(vxl_backend *b, vxl_dominfo **v, size_t *n, vxl_diags *d)
{
    qemu_priv *p = b->priv;
    vxl_domrec *recs;
    size_t nrec;
    int rc = vxl_state_list(p->st, &recs, &nrec, d);

    if (rc)
        return rc;
    *v = xcalloc(nrec ? nrec : 1, sizeof **v);
    for (size_t i = 0; i < nrec; i++)
        fill_info(p, &recs[i], &(*v)[i]);
    *n = nrec;
    vxl_domrec_list_free(recs, nrec);
    return 0;
}

static int qemu_info(vxl_backend *b, uint32_t domid, vxl_dominfo *out,
                     vxl_diags *d)
{
    qemu_priv *p = b->priv;
    vxl_domrec rec;
    vxl_diags tmp = {0};
    int rc = vxl_state_read(p->st, domid, &rec, &tmp);

    vxl_diags_free(&tmp);
    if (rc == 0 && vxl_domrec_stale(&rec)) {
        vxl_domrec_dispose(&rec);
        vxl_state_gc(p->st, d);
        rc = -ESRCH;
    }
    if (rc)
        return rc == -ESRCH ? -ESRCH : rc;
    fill_info(p, &rec, out);
    vxl_domrec_dispose(&rec);
    return 0;
}

/* ---- names ------------------------------------------------------------- */

static int qemu_rename(vxl_backend *b, uint32_t domid, const char *new_name,
                       vxl_diags *d)
{
    qemu_priv *p = b->priv;
    return vxl_state_rename(p->st, domid, new_name, d);
}

static int qemu_domid_of(vxl_backend *b, const char *name, uint32_t *domid,
                         vxl_diags *d)
{
    qemu_priv *p = b->priv;
    return vxl_state_find_name(p->st, name, domid, d);
}

static int qemu_domname_of(vxl_backend *b, uint32_t domid, char **name,
                           vxl_diags *d)
{
    vxl_dominfo di;
    int rc = qemu_info(b, domid, &di, d);
    if (rc)
        return rc;
    *name = di.name;
    di.name = NULL;
    vxl_dominfo_dispose(&di);
    return 0;
}

/* ---- console ----------------------------------------------------------- */

static int qemu_console(vxl_backend *b, uint32_t domid, vxl_console_type type,
                        int num, vxl_console *out, vxl_diags *d)
{
    qemu_priv *p = b->priv;
    vxl_domrec rec;
    int rc = vxl_state_read(p->st, domid, &rec, d);

    if (rc == -ESRCH)
        return not_found(d, domid);
    if (rc)
        return rc;
    vxl_domrec_dispose(&rec);
    if (num != 0) {
        vxl_diag_add(d, VXL_ERROR, NULL, 0, 0, NULL,
                     "domain %u has only console 0", domid);
        return -ENOENT;
    }
    (void)type;     /* console 0 is the serial port (HVM) or hvc0 (PV) */
    memset(out, 0, sizeof *out);
    out->socket_path = dom_file(p, domid, "console.sock");
    out->log_path = dom_file(p, domid, "console.log");
    return 0;
}

static int qemu_config_json(vxl_backend *b, uint32_t domid, char **json,
                            vxl_diags *d)
{
    qemu_priv *p = b->priv;
    char *path = dom_file(p, domid, "config.json");
    char *text = file_tail(path, 1 << 20);
    int rc = 0;

    if (!text) {
        vxl_domrec rec;
        vxl_diags tmp = {0};
        rc = vxl_state_read(p->st, domid, &rec, &tmp) == 0 ? -ENOENT
                                                           : not_found(d, domid);
        if (rc == -ENOENT)
            vxl_domrec_dispose(&rec);
        vxl_diags_free(&tmp);
    }
    *json = text;
    free(path);
    return rc;
}

/* ---- opening ----------------------------------------------------------- */

static void qemu_close(vxl_backend *b)
{
    qemu_priv *p = b->priv;
    if (!p)
        return;
    vxl_state_close(p->st);
    free(p->qemu_bin);
    free(p);
    b->priv = NULL;
}

const vxl_backend_ops vxl_qemu_backend_ops = {
    .name = "qemu",
    .close = qemu_close,
    .create = qemu_create,
    .destroy = qemu_destroy,
    .shutdown = qemu_shutdown,
    .reboot = qemu_reboot,
    .pause = qemu_pause,
    .unpause = qemu_unpause,
    .list = qemu_list,
    .info = qemu_info,
    .rename = qemu_rename,
    .domid_of = qemu_domid_of,
    .domname_of = qemu_domname_of,
    .console = qemu_console,
    .config_json = qemu_config_json,
    .wait_gone = qemu_wait_gone,
};

int vxl_qemu_backend_open(vxl_backend **out, vxl_diags *d)
{
    qemu_priv *p = xcalloc(1, sizeof *p);
    const char *bin = getenv("VXL_QEMU");
    vxl_backend *b;
    int rc = vxl_state_open(NULL, &p->st, d);

    if (rc) {
        free(p);
        return rc;
    }
    p->qemu_bin = xstrdup(bin && *bin ? bin : "qemu-system-x86_64");
    p->accel = vxl_qemu_choose_accel(p->accel_why, sizeof p->accel_why);
    b = xcalloc(1, sizeof *b);
    b->ops = &vxl_qemu_backend_ops;
    b->priv = p;
    *out = b;
    return 0;
}

const char *vxl_qemu_backend_accel(vxl_backend *b, const char **why)
{
    qemu_priv *p = b->priv;
    if (why)
        *why = p->accel_why;
    return p->accel;
}

const char *vxl_qemu_backend_rundir(vxl_backend *b)
{
    qemu_priv *p = b->priv;
    return p->st->dir;
}

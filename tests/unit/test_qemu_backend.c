/* Tests of the QEMU backend with real QEMU under TCG: a 512-byte boot
 * sector, written here, prints a marker on the serial port and then
 * either halts or powers off.  Covers create, list/info, pause/unpause,
 * rename, reboot with on_reboot, poweroff with on_poweroff, destroy and
 * cleanup, name clashes, a missing disk, a killed monitor, concurrency.
 * Skips (with a message) when qemu-system-x86_64 is not installed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "backend/backend.h"
#include "backend/qemu.h"
#include "backend/state.h"
#include "common/util.h"

#define MARKER "VXL-GUEST-OK"

static char tmpdir[64];
static char *halt_img, *poweroff_img;
static bool have_qemu;

/* The boot sector (as 16-bit code at 0x7c00):
 *   cli; xor ax,ax; mov ds,ax; mov si,msg
 * 1: lodsb; test al,al; jz 2f; mov dx,0x3f8; out dx,al; jmp 1b
 * 2: mov dx,0x604; mov ax,0x2000; out dx,ax   (ACPI S5: power off)
 * 3: hlt; jmp 3b
 * msg: "VXL-GUEST-OK\r\n\0" ... 0x55 0xaa at 510.
 * The halting variant replaces the power-off by NOPs. */
static char *write_boot_sector(const char *name, bool poweroff)
{
    static const unsigned char code[] = {
        0xfa, 0x31, 0xc0, 0x8e, 0xd8, 0xbe, 0x1d, 0x7c, 0xac, 0x84, 0xc0,
        0x74, 0x06, 0xba, 0xf8, 0x03, 0xee, 0xeb, 0xf5,
        0xba, 0x04, 0x06, 0xb8, 0x00, 0x20, 0xef,       /* power off */
        0xf4, 0xeb, 0xfd,
    };
    unsigned char sector[512] = {0};
    memcpy(sector, code, sizeof code);
    if (!poweroff)
        memset(sector + 19, 0x90, 7);
    memcpy(sector + sizeof code, MARKER "\r\n", strlen(MARKER) + 2);
    sector[510] = 0x55;
    sector[511] = 0xaa;
    char *path = xasprintf("%s/%s", tmpdir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(sector, 1, sizeof sector, f), sizeof sector);
    fclose(f);
    return path;
}

static int setup(void **state)
{
    char *exe = NULL;
    const char *path = getenv("PATH");
    char *copy = xstrdup(path ? path : "/usr/bin:/bin"), *save = NULL;
    for (char *d = strtok_r(copy, ":", &save); d && !exe;
         d = strtok_r(NULL, ":", &save)) {
        char *f = xasprintf("%s/qemu-system-x86_64", d);
        if (access(f, X_OK) == 0)
            exe = f;
        else
            free(f);
    }
    free(copy);
    have_qemu = exe != NULL;
    free(exe);

    snprintf(tmpdir, sizeof tmpdir, "/tmp/vxl-qb-test.XXXXXX");
    assert_non_null(mkdtemp(tmpdir));
    char *run = xasprintf("%s/run", tmpdir);
    setenv("VXL_RUNDIR", run, 1);
    free(run);
    setenv("VXL_QEMU_ACCEL", "tcg", 1);
    unsetenv("VXL_QEMU");
    unsetenv("DISPLAY");
    halt_img = write_boot_sector("halt.img", false);
    poweroff_img = write_boot_sector("poweroff.img", true);
    return 0;
}

static int teardown(void **state)
{
    /* whatever a failed test left running */
    vxl_backend_choice ch;
    vxl_backend *b;
    vxl_diags d = {0};
    vxl_dominfo *v;
    size_t n;
    if (vxl_backend_choose("qemu", &ch, &d) == 0 &&
        vxl_backend_open(&ch, &b, &d) == 0) {
        if (b->ops->list(b, &v, &n, &d) == 0) {
            for (size_t i = 0; i < n; i++)
                b->ops->destroy(b, v[i].domid, &d);
            vxl_dominfo_list_free(v, n);
        }
        vxl_backend_close(b);
    }
    vxl_diags_free(&d);
    char *cmd = xasprintf("rm -rf '%s'", tmpdir);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    free(halt_img);
    free(poweroff_img);
    return 0;
}

#define NEED_QEMU()                                                        \
    do {                                                                   \
        if (!have_qemu) {                                                  \
            print_message("qemu-system-x86_64 not installed: skipping "   \
                          "(scripts/deps.sh installs it)\n");              \
            skip();                                                        \
        }                                                                  \
    } while (0)

static void guest_config(vxl_domain_config *c, const char *name,
                         const char *img)
{
    vxl_domain_config_init(c);
    c->c_info.type = VXL_DOMAIN_TYPE_HVM;
    vxl_domain_build_info_init_type(&c->b_info, VXL_DOMAIN_TYPE_HVM);
    c->c_info.name = xstrdup(name);
    c->b_info.max_memkb = c->b_info.target_memkb = 32 * 1024;
    vxl_defbool_set(&c->b_info.u.hvm.nographic, true);
    vxl_device_disk *k = vxl_domain_config_add_disk(c);
    k->pdev_path = xstrdup(img);
    k->vdev = xstrdup("hda");
    k->format = VXL_DISK_FORMAT_RAW;
    k->readwrite = 1;
}

static long long ms_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* How many times the marker is in the domain's console log, waiting up
 * to timeout_ms for at least `want'. */
static int wait_marker(vxl_backend *b, uint32_t domid, int want,
                       int timeout_ms)
{
    vxl_console con;
    vxl_diags d = {0};
    long long deadline = ms_now() + timeout_ms;
    int n = 0;

    assert_int_equal(b->ops->console(b, domid, VXL_CONSOLE_TYPE_UNKNOWN, 0,
                                     &con, &d), 0);
    do {
        FILE *f = fopen(con.log_path, "r");
        char buf[4096];
        size_t len = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
        if (f)
            fclose(f);
        buf[len] = 0;
        n = 0;
        for (char *p = buf; (p = strstr(p, MARKER)); p++)
            n++;
        if (n >= want)
            break;
        usleep(20000);
    } while (ms_now() < deadline);
    vxl_console_dispose(&con);
    return n;
}

static vxl_dominfo info_of(vxl_backend *b, uint32_t domid)
{
    vxl_dominfo di;
    vxl_diags d = {0};
    assert_int_equal(b->ops->info(b, domid, &di, &d), 0);
    return di;
}

static vxl_backend *open_qemu(void)
{
    vxl_backend_choice ch;
    vxl_backend *b;
    vxl_diags d = {0};
    assert_int_equal(vxl_backend_choose("qemu", &ch, &d), 0);
    assert_int_equal(vxl_backend_open(&ch, &b, &d), 0);
    const char *why;
    assert_string_equal(vxl_qemu_backend_accel(b, &why), "tcg");
    assert_string_equal(why, "VXL_QEMU_ACCEL=tcg");
    return b;
}

/* alive and not a zombie (an exited daemon waits for init to reap it) */
static bool pid_alive(pid_t pid)
{
    vxl_proc p = vxl_proc_of(pid);
    return vxl_proc_alive(&p);
}

/* boot, see the marker, list, pause/unpause, rename, reboot, destroy */
static void lifecycle(void **state)
{
    NEED_QEMU();
    vxl_backend *b = open_qemu();
    vxl_domain_config c;
    vxl_diags d = {0};
    uint32_t domid = 0, id2;
    vxl_dominfo di;

    guest_config(&c, "vxltest", halt_img);
    c.on_reboot = VXL_ACTION_ON_SHUTDOWN_RESTART;
    long long t0 = ms_now();
    int rc = backend_create(b, &c, NULL, &domid, &d);
    if (rc)
        vxl_diags_print(&d, stderr);
    assert_int_equal(rc, 0);
    assert_int_equal(domid, 1);
    assert_int_equal(wait_marker(b, domid, 1, 10000), 1);
    print_message("# boot to marker: %lld ms\n", ms_now() - t0);

    vxl_dominfo *v;
    size_t n;
    assert_int_equal(b->ops->list(b, &v, &n, &d), 0);
    assert_int_equal(n, 1);
    assert_string_equal(v[0].name, "vxltest");
    assert_int_equal(v[0].domid, domid);
    assert_true(v[0].running);
    assert_int_equal(v[0].current_memkb, 32 * 1024);
    assert_int_equal(v[0].vcpu_online, 1);
    assert_null(v[0].problem);
    assert_int_equal(strlen(v[0].uuid), 36);
    vxl_dominfo_list_free(v, n);

    /* the record names a live QEMU whose cmdline has our name */
    vxl_state *st;
    vxl_domrec rec;
    assert_int_equal(vxl_state_open(NULL, &st, &d), 0);
    assert_int_equal(vxl_state_read(st, domid, &rec, &d), 0);
    pid_t qemu_pid = rec.qemu.pid, mon_pid = rec.monitor.pid;
    assert_true(pid_alive(qemu_pid));
    assert_true(pid_alive(mon_pid));
    vxl_domrec_dispose(&rec);

    assert_int_equal(b->ops->pause(b, domid, &d), 0);
    di = info_of(b, domid);
    assert_true(di.paused);
    assert_false(di.running);
    vxl_dominfo_dispose(&di);
    assert_int_equal(b->ops->unpause(b, domid, &d), 0);
    di = info_of(b, domid);
    assert_true(di.running);
    vxl_dominfo_dispose(&di);

    /* names: clash, rename, lookups */
    vxl_domain_config c2;
    guest_config(&c2, "vxltest", halt_img);
    assert_int_equal(backend_create(b, &c2, NULL, &id2, &d), -EEXIST);
    assert_non_null(strstr(d.v[d.n - 1].msg, "already exists"));
    vxl_diags_free(&d);
    vxl_domain_config_dispose(&c2);
    assert_int_equal(b->ops->rename(b, domid, "renamed", &d), 0);
    assert_int_equal(vxl_backend_find(b, "renamed", &id2, &d), 0);
    assert_int_equal(id2, domid);
    assert_int_equal(vxl_backend_find(b, "1", &id2, &d), 0);
    assert_int_equal(vxl_backend_find(b, "vxltest", &id2, &d), -ESRCH);
    assert_int_equal(vxl_backend_find(b, "42", &id2, &d), -ESRCH);
    assert_non_null(strstr(d.v[d.n - 1].msg, "'42' does not exist"));
    vxl_diags_free(&d);
    char *name;
    assert_int_equal(b->ops->domname_of(b, domid, &name, &d), 0);
    assert_string_equal(name, "renamed");
    free(name);

    /* reboot with on_reboot=restart: the guest boots again, same id */
    assert_int_equal(b->ops->reboot(b, domid, &d), 0);
    assert_int_equal(wait_marker(b, domid, 2, 10000), 2);
    di = info_of(b, domid);
    assert_true(di.running);
    vxl_dominfo_dispose(&di);

    /* destroy: nothing left */
    char *dir = vxl_state_domdir(st, domid);
    long long t1 = ms_now();
    assert_int_equal(b->ops->destroy(b, domid, &d), 0);
    print_message("# destroy: %lld ms\n", ms_now() - t1);
    assert_int_equal(access(dir, F_OK), -1);
    usleep(100000);
    assert_false(pid_alive(qemu_pid));
    assert_false(pid_alive(mon_pid));
    assert_int_equal(b->ops->info(b, domid, &di, &d), -ESRCH);
    assert_int_equal(b->ops->destroy(b, domid, &d), -ESRCH);
    vxl_diags_free(&d);
    free(dir);
    vxl_state_close(st);
    vxl_domain_config_dispose(&c);
    vxl_backend_close(b);
}

/* on_poweroff=destroy: the guest powers off, the domain disappears;
 * on_poweroff=preserve: it stays, shut down */
static void poweroff_actions(void **state)
{
    NEED_QEMU();
    vxl_backend *b = open_qemu();
    vxl_domain_config c;
    vxl_diags d = {0};
    uint32_t domid;
    vxl_dominfo di;

    guest_config(&c, "offguest", poweroff_img);
    assert_int_equal(backend_create(b, &c, NULL, &domid, &d), 0);
    assert_int_equal(b->ops->wait_gone(b, domid, 10000, &d), 0);
    assert_int_equal(b->ops->info(b, domid, &di, &d), -ESRCH);
    vxl_domain_config_dispose(&c);

    /* on_poweroff=restart: it boots again and again, never destroyed by
     * the reset the monitor itself sends (on_reboot is destroy) */
    guest_config(&c, "phoenix", poweroff_img);
    c.on_poweroff = VXL_ACTION_ON_SHUTDOWN_RESTART;
    assert_int_equal(backend_create(b, &c, NULL, &domid, &d), 0);
    assert_int_equal(wait_marker(b, domid, 3, 15000), 3);
    di = info_of(b, domid);
    vxl_dominfo_dispose(&di);
    assert_int_equal(b->ops->destroy(b, domid, &d), 0);
    vxl_domain_config_dispose(&c);

    guest_config(&c, "keeper", poweroff_img);
    c.on_poweroff = VXL_ACTION_ON_SHUTDOWN_PRESERVE;
    int rc = backend_create(b, &c, NULL, &domid, &d);
    if (rc)
        vxl_diags_print(&d, stderr);
    assert_int_equal(rc, 0);
    long long deadline = ms_now() + 10000;
    do {
        di = info_of(b, domid);
        if (di.shutdown)
            break;
        vxl_dominfo_dispose(&di);
        usleep(20000);
    } while (ms_now() < deadline);
    assert_true(di.shutdown);
    assert_int_equal(di.shutdown_reason, VXL_SHUTDOWN_REASON_POWEROFF);
    vxl_dominfo_dispose(&di);
    assert_int_equal(b->ops->destroy(b, domid, &d), 0);
    assert_int_equal(d.nerrors, 0);
    vxl_domain_config_dispose(&c);
    vxl_backend_close(b);
}

/* errors leave nothing behind: a missing disk, a missing QEMU */
static void failures_leave_nothing(void **state)
{
    NEED_QEMU();
    vxl_backend *b = open_qemu();
    vxl_domain_config c;
    vxl_diags d = {0};
    uint32_t domid;
    vxl_dominfo *v;
    size_t n;

    guest_config(&c, "nodisk", "/nonexistent/disk.img");
    assert_int_equal(backend_create(b, &c, NULL, &domid, &d), -EINVAL);
    assert_non_null(strstr(d.v[0].msg, "/nonexistent/disk.img"));
    vxl_diags_free(&d);
    assert_int_equal(b->ops->list(b, &v, &n, &d), 0);
    assert_int_equal(n, 0);
    vxl_dominfo_list_free(v, n);
    vxl_domain_config_dispose(&c);
    vxl_backend_close(b);

    setenv("VXL_QEMU", "/nonexistent/qemu-system-x86_64", 1);
    b = open_qemu();
    guest_config(&c, "noqemu", halt_img);
    assert_int_equal(backend_create(b, &c, NULL, &domid, &d), -ENOENT);
    assert_non_null(strstr(d.v[0].msg, "QEMU not found"));
    assert_non_null(d.v[0].hint);
    vxl_diags_free(&d);
    vxl_domain_config_dispose(&c);
    vxl_backend_close(b);

    /* QEMU that refuses its command line: its complaint is reported */
    setenv("VXL_QEMU", "qemu-system-x86_64", 1);
    b = open_qemu();
    guest_config(&c, "badarg", halt_img);
    vxl_string_list_append(&c.b_info.extra_hvm, "-no-such-option");
    assert_int_equal(backend_create(b, &c, NULL, &domid, &d), -EIO);
    assert_non_null(strstr(d.v[d.n - 1].msg, "no-such-option"));
    vxl_diags_free(&d);
    assert_int_equal(b->ops->list(b, &v, &n, &d), 0);
    assert_int_equal(n, 0);
    vxl_dominfo_list_free(v, n);
    unsetenv("VXL_QEMU");
    vxl_domain_config_dispose(&c);
    vxl_backend_close(b);
}

/* kill -9 of the monitor is reported by list; destroy still cleans up */
static void killed_monitor_is_reported(void **state)
{
    NEED_QEMU();
    vxl_backend *b = open_qemu();
    vxl_domain_config c;
    vxl_diags d = {0};
    uint32_t domid;
    vxl_state *st;
    vxl_domrec rec;

    guest_config(&c, "orphan", halt_img);
    assert_int_equal(backend_create(b, &c, NULL, &domid, &d), 0);
    assert_int_equal(vxl_state_open(NULL, &st, &d), 0);
    assert_int_equal(vxl_state_read(st, domid, &rec, &d), 0);
    assert_int_equal(kill(rec.monitor.pid, SIGKILL), 0);
    usleep(100000);
    vxl_dominfo di = info_of(b, domid);
    assert_non_null(di.problem);
    assert_non_null(strstr(di.problem, "monitor process"));
    vxl_dominfo_dispose(&di);
    assert_int_equal(b->ops->destroy(b, domid, &d), 0);
    assert_false(pid_alive(rec.qemu.pid));
    vxl_domrec_dispose(&rec);
    vxl_state_close(st);
    vxl_domain_config_dispose(&c);
    vxl_backend_close(b);
}

#define NCONC 4

/* NCONC processes create domains at once: distinct ids, all listed,
 * all destroyed, no QEMU left */
static void concurrent_creates(void **state)
{
    NEED_QEMU();
    pid_t pids[NCONC];
    for (int i = 0; i < NCONC; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            vxl_backend_choice ch;
            vxl_backend *b;
            vxl_diags d = {0};
            vxl_domain_config c;
            uint32_t domid;
            char *name = xasprintf("conc%d", i);
            if (vxl_backend_choose("qemu", &ch, &d) ||
                vxl_backend_open(&ch, &b, &d))
                _exit(2);
            guest_config(&c, name, halt_img);
            c.disks[0].readwrite = 0;   /* one image for all: an overlay */
            int rc = backend_create(b, &c, NULL, &domid, &d);
            if (rc)
                vxl_diags_print(&d, stderr);
            _exit(rc ? 1 : 0);
        }
    }
    for (int i = 0; i < NCONC; i++) {
        int status;
        assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    vxl_backend *b = open_qemu();
    vxl_diags d = {0};
    vxl_dominfo *v;
    size_t n;
    assert_int_equal(b->ops->list(b, &v, &n, &d), 0);
    assert_int_equal(n, NCONC);
    for (size_t i = 0; i < n; i++) {
        assert_true(v[i].running);
        for (size_t j = 0; j < i; j++)
            assert_int_not_equal(v[i].domid, v[j].domid);
    }
    for (size_t i = 0; i < n; i++)
        assert_int_equal(b->ops->destroy(b, v[i].domid, &d), 0);
    vxl_dominfo_list_free(v, n);
    assert_int_equal(b->ops->list(b, &v, &n, &d), 0);
    assert_int_equal(n, 0);
    vxl_dominfo_list_free(v, n);
    vxl_backend_close(b);
}

/* Run a shell command; its stdout (caller frees) and exit status. */
static char *run(const char *cmd, int *status)
{
    FILE *f = popen(cmd, "r");
    strbuf sb = {0};
    char buf[1024];
    size_t r;
    assert_non_null(f);
    while ((r = fread(buf, 1, sizeof buf, f)) > 0)
        sb_append(&sb, buf, r);
    int st = pclose(f);
    *status = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
    return sb_steal(&sb);
}

static void expect(const char *cmd, int want_status, const char *want_out)
{
    int status;
    char *full = xasprintf("\"$VXL\" %s", cmd);
    char *out = run(full, &status);
    if (status != want_status || (want_out && !strstr(out, want_out)))
        fail_msg("vxl %s: status %d (want %d), output:\n%s(want: %s)", cmd,
                 status, want_status, out, want_out ? want_out : "-");
    free(out);
    free(full);
}

/* The command line on a running domain: list's format and states,
 * pause/unpause, rename, domid/domname, console, reboot, destroy. */
static void cli_commands(void **state)
{
    NEED_QEMU();
    if (!getenv("VXL")) {
        print_message("VXL (the vxl binary) not set: skipping (make check "
                      "sets it)\n");
        skip();
    }
    vxl_backend *b = open_qemu();
    vxl_domain_config c;
    vxl_diags d = {0};
    uint32_t domid;
    char line[256];

    guest_config(&c, "clitest", halt_img);
    c.on_reboot = VXL_ACTION_ON_SHUTDOWN_RESTART;
    assert_int_equal(backend_create(b, &c, NULL, &domid, &d), 0);
    assert_int_equal(wait_marker(b, domid, 1, 10000), 1);

    expect("list", 0, "Name                                        ID   Mem "
           "VCPUs\tState\tTime(s)\n");
    snprintf(line, sizeof line, "%-40s %5u %5d %5d     r-----", "clitest",
             domid, 32, 1);
    expect("list", 0, line);
    expect("list clitest", 0, line);
    expect("pause clitest", 0, NULL);
    snprintf(line, sizeof line, "%-40s %5u %5d %5d     --p---", "clitest",
             domid, 32, 1);
    expect("list", 0, line);
    snprintf(line, sizeof line, "unpause %u", domid);
    expect(line, 0, NULL);
    expect("list -v", 0, "r-----");
    expect("domid clitest", 0, "\n");
    snprintf(line, sizeof line, "%u\n", domid);
    expect("domid clitest", 0, line);
    snprintf(line, sizeof line, "domname %u", domid);
    expect(line, 0, "clitest\n");
    expect("rename clitest cli2", 0, NULL);
    expect("domid cli2", 0, NULL);
    expect("domid clitest 2>&1", 1, "Can't get domid of domain name "
           "'clitest'");
    expect("pause nosuch 2>&1", 1, "nosuch is an invalid domain identifier");
    expect("list nosuch 2>&1", 1, "invalid domain identifier");
    expect("--backend=qemu -v list 2>&1", 0, "vxl: backend qemu: requested");
    char *caps = xasprintf("%s/caps", tmpdir);
    FILE *f = fopen(caps, "w");
    assert_non_null(f);
    fputs("control_d\n", f);
    fclose(f);
    free(caps);
    /* the default follows /proc/xen/capabilities (here: VXL_XEN_CAPS) */
    int st0;
    char *out0 = run("VXL_XEN_CAPS=/nonexistent \"$VXL\" -v list 2>&1", &st0);
    assert_int_equal(st0, 0);
    assert_non_null(strstr(out0, "vxl: backend qemu: default: not a Xen "
                           "control domain"));
    free(out0);
    char *dom0 = xasprintf("VXL_XEN_CAPS=%s/caps \"$VXL\" -v list 2>&1",
                           tmpdir);
    out0 = run(dom0, &st0);
#ifdef HAVE_LIBXL
    /* built with libxl: a control domain means the xen backend, which
     * cannot open a libxl context here (no hypervisor) */
    assert_int_equal(st0, 1);
    if (!strstr(out0, "vxl: backend xen: default: running on a Xen control "
                "domain") ||
        !strstr(out0, "cannot open a libxenlight context"))
        fail_msg("%s", out0);
#else
    assert_int_equal(st0, 0);
    if (!strstr(out0, "a Xen control domain, but this vxl was built without"))
        fail_msg("%s", out0);
#endif
    free(out0);
    free(dom0);
    expect("-v list 2>&1", 0, "qemu accelerator tcg: VXL_QEMU_ACCEL=tcg");
#ifdef HAVE_LIBXL
    expect("--backend=xen list 2>&1", 1, "cannot open a libxenlight context");
#else
    expect("--backend=xen list 2>&1", 1, "the xen backend is not available "
           "in this build (built without libxenlight)");
#endif
    expect("--backend=bogus list 2>&1", 1, "unknown backend \"bogus\"");

    /* console: attached, a reboot's output arrives; it ends with the
     * domain */
    /* the console may attach after a reboot's output: reboot until the
     * marker shows up in what the console printed (or give up) */
    char *outfile = xasprintf("%s/console.out", tmpdir);
    char *cmd = xasprintf(
        "(for i in $(seq 5); do sleep 0.2; \"$VXL\" reboot cli2 "
        "2>/dev/null; for j in $(seq 30); do sleep 0.1; "
        "grep -q %s '%s' && break 2; done; done; "
        "\"$VXL\" destroy cli2) & "
        "timeout 30 \"$VXL\" console cli2 </dev/null >'%s'; "
        "echo \"console-exit=$?\"; wait; cat '%s'", MARKER, outfile, outfile,
        outfile);
    int status;
    char *out = run(cmd, &status);
    if (!strstr(out, MARKER) || !strstr(out, "console-exit=0"))
        fail_msg("console output:\n%s", out);
    free(out);
    free(cmd);
    free(outfile);
    expect("list", 0, NULL);
    out = run("\"$VXL\" list | wc -l", &status);
    assert_string_equal(out, "1\n");           /* the header only */
    free(out);
    vxl_diags_free(&d);
    vxl_domain_config_dispose(&c);
    vxl_backend_close(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lifecycle),
        cmocka_unit_test(poweroff_actions),
        cmocka_unit_test(failures_leave_nothing),
        cmocka_unit_test(killed_monitor_is_reported),
        cmocka_unit_test(concurrent_creates),
        cmocka_unit_test(cli_commands),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

/* xl/console.c — `vxl console': attach the terminal to a domain's console.
 *
 * The backend says where the console is (a unix socket for the QEMU
 * backend; for Xen a program to run, xenconsole, which vxl execs as xl
 * does).  The terminal is put in raw mode; Ctrl-] detaches, as in xl.
 * The session ends when the domain goes away (the socket closes).
 * xl_console_attach() is also what `create -c' uses: it can unpause the
 * domain once connected, so no output is lost from boot on. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "backend/backend.h"
#include "common/util.h"
#include "xl/xl.h"

#define CTRL_RIGHT_BRACKET 0x1d

static struct termios saved_tio;
static bool tio_saved;

static void restore_terminal(void)
{
    if (tio_saved)
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tio);
    tio_saved = false;
}

static void raw_terminal(void)
{
    struct termios tio;
    if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_tio) < 0)
        return;
    tio_saved = true;
    tio = saved_tio;
    cfmakeraw(&tio);
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &tio);
    atexit(restore_terminal);
}

static int connect_unix(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd;

    if (strlen(path) >= sizeof sa.sun_path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy(sa.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

static bool write_all(int fd, const char *buf, size_t len)
{
    while (len) {
        ssize_t w = write(fd, buf, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        buf += w;
        len -= (size_t)w;
    }
    return true;
}

/* Relay between the terminal and the console until Ctrl-] (true: the
 * user detached) or EOF on the console (false). */
static bool relay(int sock)
{
    bool stdin_open = true;
    char buf[4096];

    for (;;) {
        struct pollfd pfd[2] = { { sock, POLLIN, 0 },
                                 { STDIN_FILENO, POLLIN, 0 } };
        int pr = poll(pfd, stdin_open ? 2 : 1, -1);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr < 0)
            return true;
        if (pfd[0].revents) {
            ssize_t r = read(sock, buf, sizeof buf);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                return false;           /* QEMU is gone (or restarting) */
            if (!write_all(STDOUT_FILENO, buf, (size_t)r))
                return true;
        }
        if (stdin_open && pfd[1].revents) {
            ssize_t r = read(STDIN_FILENO, buf, sizeof buf);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0) {
                stdin_open = false;     /* keep showing output */
                continue;
            }
            char *esc = memchr(buf, CTRL_RIGHT_BRACKET, (size_t)r);
            size_t n = esc ? (size_t)(esc - buf) : (size_t)r;
            if (n && !write_all(sock, buf, n))
                return false;
            if (esc)
                return true;            /* detach */
        }
    }
}

/* Still there, and not on its way out? */
static bool domain_exists(vxl_backend *b, uint32_t domid)
{
    vxl_dominfo di;
    vxl_diags d = {0};
    bool exists = b->ops->info(b, domid, &di, &d) == 0;
    if (exists) {
        exists = !di.dying;
        vxl_dominfo_dispose(&di);
    }
    vxl_diags_free(&d);
    return exists;
}

/* create -c on a backend whose console client is a program (xenconsole):
 * as xl, run it in a child with --start-notify-fd, unpause the domain once
 * it says it is connected (so not a byte of the guest's output is missed),
 * and wait for it: the session ends when the domain is gone.  Exit
 * status. */
static int exec_client_then_unpause(vxl_backend *b, uint32_t domid,
                                    char **argv)
{
    vxl_diags d = {0};
    int pfd[2], status, rc = 1;
    size_t n = 0;

    while (argv[n])
        n++;
    if (pipe2(pfd, O_CLOEXEC) < 0) {
        perror("vxl: pipe");
        return 1;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        perror("vxl: fork");
        close(pfd[0]);
        close(pfd[1]);
        return 1;
    }
    if (pid == 0) {
        char **av = xcalloc(n + 3, sizeof *av);
        memcpy(av, argv, n * sizeof *av);
        av[n] = xstrdup("--start-notify-fd");
        av[n + 1] = xasprintf("%d", pfd[1]);
        close(pfd[0]);
        fcntl(pfd[1], F_SETFD, 0);      /* the client inherits it */
        execv(av[0], av);
        fprintf(stderr, "vxl: cannot run %s: %s\n", av[0], strerror(errno));
        _exit(1);
    }
    close(pfd[1]);
    char c;
    ssize_t r;
    while ((r = read(pfd[0], &c, 1)) < 0 && errno == EINTR)
        ;
    close(pfd[0]);
    if (r != 1)     /* as xl: go on; only the first output may be lost */
        fprintf(stderr, "vxl: no start notification from %s\n", argv[0]);
    if (b->ops->unpause(b, domid, &d))
        report_diags(&d);
    else
        rc = 0;
    vxl_diags_free(&d);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (rc == 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
        rc = 1;
    return rc;
}

int xl_console_attach(vxl_backend *b, uint32_t domid, int type, int num,
                      bool unpause)
{
    vxl_console con = {0};
    vxl_diags d = {0};
    int fd = -1, rc = 1;

    if (b->ops->console(b, domid, (vxl_console_type)type, num, &con, &d)) {
        report_diags(&d);
        goto out;
    }
    if (con.exec_argv) {
        /* the backend's own console client (Xen: xenconsole, as xl runs
         * it) */
        if (unpause) {
            rc = exec_client_then_unpause(b, domid, con.exec_argv);
            goto out;
        }
        fflush(NULL);
        execv(con.exec_argv[0], con.exec_argv);
        fprintf(stderr, "vxl: cannot run %s: %s\n", con.exec_argv[0],
                strerror(errno));
        goto out;
    }
    if (!con.socket_path) {
        fprintf(stderr, "vxl: domain %u: console has no socket\n", domid);
        goto out;
    }
    signal(SIGPIPE, SIG_IGN);
    for (bool first = true;; first = false) {
        /* QEMU may still be creating the socket (or be restarting, after a
         * reboot: then the domain still exists and we reconnect) */
        for (int tries = 0; tries < 250; tries++) {
            fd = connect_unix(con.socket_path);
            if (fd >= 0 || (errno != ENOENT && errno != ECONNREFUSED))
                break;
            if (!first && !domain_exists(b, domid))
                break;
            usleep(20 * 1000);
        }
        if (fd < 0) {
            if (first)
                fprintf(stderr, "vxl: cannot connect to the console of "
                        "domain %u (%s): %s\n", domid, con.socket_path,
                        strerror(errno));
            else
                rc = 0;         /* the domain is gone */
            goto out;
        }
        if (first && unpause && b->ops->unpause(b, domid, &d)) {
            report_diags(&d);
            goto out;
        }
        if (first)
            raw_terminal();
        bool detached = relay(fd);
        close(fd);
        fd = -1;
        if (detached)
            break;
        if (!domain_exists(b, domid)) {
            /* on its way out: let it finish, so that what runs next (a
             * `list') no longer sees it */
            vxl_diags tmp = {0};
            b->ops->wait_gone(b, domid, 5000, &tmp);
            vxl_diags_free(&tmp);
            break;
        }
    }
    restore_terminal();
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    vxl_console_dispose(&con);
    vxl_diags_free(&d);
    return rc;
}

int main_console(int argc, char **argv)
{
    vxl_console_type type = VXL_CONSOLE_TYPE_UNKNOWN;
    int opt, num = 0, rc;
    uint32_t domid;

    while ((opt = def_getopt(argc, argv, "n:t:", "console", 1)) != -1) {
        switch (opt) {
        case 't':
            if (!strcmp(optarg, "pv"))
                type = VXL_CONSOLE_TYPE_PV;
            else if (!strcmp(optarg, "serial"))
                type = VXL_CONSOLE_TYPE_SERIAL;
            else if (!strcmp(optarg, "vuart"))
                type = VXL_CONSOLE_TYPE_VUART;
            else {
                fprintf(stderr, "console type supported are: pv, serial, "
                        "vuart\n");
                return 1;
            }
            break;
        case 'n':
            num = atoi(optarg);
            break;
        default:
            return 2;
        }
    }
    vxl_backend *b = xl_backend_open();
    if (!b)
        return 1;
    rc = xl_find_domain(b, argv[optind], &domid) ? 1
         : xl_console_attach(b, domid, type, num, false);
    vxl_backend_close(b);
    return rc;
}

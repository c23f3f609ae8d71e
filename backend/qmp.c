/* backend/qmp.c — QMP client: greeting, capabilities, commands with ids,
 * queued events, timeouts.  See qmp.h. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "backend/qmp.h"
#include "common/util.h"

struct vxl_qmp {
    int fd;
    strbuf in;                  /* bytes read, not yet parsed */
    size_t in_off;              /* start of the first unparsed line */
    yajl_val *events;           /* queued events (whole messages) */
    size_t nev, cap;
    unsigned long next_id;
    char version[32];
};

void vxl_qmp_free(yajl_val v)
{
    yajl_tree_free(v);
}

yajl_val vxl_qmp_return(yajl_val reply)
{
    const char *path[] = { "return", NULL };
    return reply ? yajl_tree_get(reply, path, yajl_t_any) : NULL;
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* milliseconds left until `deadline' (-1: none) for poll() */
static int left_ms(long long deadline)
{
    if (deadline < 0)
        return -1;
    long long l = deadline - now_ms();
    return l < 0 ? 0 : (int)l;
}

static long long deadline_of(int timeout_ms)
{
    return timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
}

static int send_all(vxl_qmp *q, const char *s, size_t len, vxl_diags *d)
{
    while (len) {
        ssize_t w = send(q->fd, s, len, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            int e = errno;
            vxl_diag_add(d, VXL_ERROR, NULL, 0, 0, NULL,
                         "QMP: cannot send: %s", strerror(e));
            return e == EPIPE ? -ECONNRESET : -e;
        }
        s += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Next complete message, parsed; waits until the deadline. */
static int read_message(vxl_qmp *q, long long deadline, yajl_val *msg,
                        vxl_diags *d)
{
    for (;;) {
        char *start = q->in.s ? q->in.s + q->in_off : NULL;
        char *nl = start ? memchr(start, '\n', q->in.len - q->in_off) : NULL;
        if (nl) {
            char errbuf[128];
            *nl = 0;
            q->in_off = (size_t)(nl + 1 - q->in.s);
            /* skip blank lines (QEMU ends lines with \r\n) */
            if (strspn(start, " \t\r") == strlen(start))
                continue;
            *msg = yajl_tree_parse(start, errbuf, sizeof errbuf);
            if (!*msg || !YAJL_IS_OBJECT(*msg)) {
                vxl_diag_add(d, VXL_ERROR, NULL, 0, 0, NULL,
                             "QMP: malformed message: %s", errbuf);
                yajl_tree_free(*msg);
                return -EPROTO;
            }
            return 0;
        }
        /* compact the buffer, then read more */
        if (q->in_off) {
            memmove(q->in.s, q->in.s + q->in_off, q->in.len - q->in_off);
            q->in.len -= q->in_off;
            q->in.s[q->in.len] = 0;
            q->in_off = 0;
        }
        struct pollfd pfd = { q->fd, POLLIN, 0 };
        int pr = poll(&pfd, 1, left_ms(deadline));
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr < 0)
            return -errno;
        if (pr == 0)
            return -ETIMEDOUT;
        char buf[4096];
        ssize_t r = recv(q->fd, buf, sizeof buf, 0);
        if (r < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (r <= 0)
            return r == 0 ? -ECONNRESET : -errno;
        sb_append(&q->in, buf, (size_t)r);
    }
}

static yajl_val member(yajl_val obj, const char *key)
{
    const char *path[] = { key, NULL };
    return yajl_tree_get(obj, path, yajl_t_any);
}

static void queue_event(vxl_qmp *q, yajl_val ev)
{
    if (q->nev == q->cap) {
        q->cap = q->cap ? 2 * q->cap : 8;
        q->events = xreallocarray(q->events, q->cap, sizeof *q->events);
    }
    q->events[q->nev++] = ev;
}

static int timeout_diag(vxl_diags *d, int rc, const char *what)
{
    if (rc == -ETIMEDOUT)
        vxl_diag_add(d, VXL_ERROR, NULL, 0, 0, NULL,
                     "QMP: timed out waiting for %s", what);
    else if (rc == -ECONNRESET)
        vxl_diag_add(d, VXL_ERROR, NULL, 0, 0, NULL,
                     "QMP: connection closed while waiting for %s", what);
    else if (rc != -EPROTO)
        vxl_diag_add(d, VXL_ERROR, NULL, 0, 0, NULL,
                     "QMP: error while waiting for %s: %s", what,
                     strerror(-rc));
    return rc;
}

int vxl_qmp_open_fd(int fd, int timeout_ms, vxl_qmp **out, vxl_diags *d)
{
    vxl_qmp *q = xcalloc(1, sizeof *q);
    long long deadline = deadline_of(timeout_ms);
    yajl_val greet = NULL, qmp;
    int rc;

    q->fd = fd;
    q->next_id = 1;
    rc = read_message(q, deadline, &greet, d);
    if (rc) {
        timeout_diag(d, rc, "the QMP greeting");
        goto fail;
    }
    qmp = member(greet, "QMP");
    if (!qmp || !YAJL_IS_OBJECT(qmp)) {
        vxl_diag_add(d, VXL_ERROR, NULL, 0, 0, NULL,
                     "QMP: the server did not greet with a QMP banner");
        rc = -EPROTO;
        goto fail;
    }
    {
        const char *vp[] = { "QMP", "version", "qemu", NULL };
        yajl_val v = yajl_tree_get(greet, vp, yajl_t_object);
        const char *mj[] = { "major", NULL }, *mi[] = { "minor", NULL },
                   *mc[] = { "micro", NULL };
        yajl_val a = v ? yajl_tree_get(v, mj, yajl_t_number) : NULL;
        yajl_val b = v ? yajl_tree_get(v, mi, yajl_t_number) : NULL;
        yajl_val c = v ? yajl_tree_get(v, mc, yajl_t_number) : NULL;
        if (a && b && c)
            snprintf(q->version, sizeof q->version, "%lld.%lld.%lld",
                     YAJL_GET_INTEGER(a), YAJL_GET_INTEGER(b),
                     YAJL_GET_INTEGER(c));
    }
    yajl_tree_free(greet);
    greet = NULL;
    rc = vxl_qmp_execute(q, "qmp_capabilities", NULL, left_ms(deadline),
                         NULL, d);
    if (rc)
        goto fail;
    *out = q;
    return 0;
fail:
    yajl_tree_free(greet);
    vxl_qmp_close(q);
    return rc;
}

int vxl_qmp_connect(const char *path, int timeout_ms, vxl_qmp **out,
                    vxl_diags *d)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd;

    if (strlen(path) >= sizeof sa.sun_path) {
        vxl_diag_add(d, VXL_ERROR, NULL, 0, 0, NULL,
                     "QMP socket path too long: %s", path);
        return -ENAMETOOLONG;
    }
    strcpy(sa.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        int e = errno;
        close(fd);
        vxl_diag_add(d, VXL_ERROR, NULL, 0, 0, NULL,
                     "cannot connect to QMP socket %s: %s", path, strerror(e));
        return -e;
    }
    return vxl_qmp_open_fd(fd, timeout_ms, out, d);
}

void vxl_qmp_close(vxl_qmp *q)
{
    if (!q)
        return;
    if (q->fd >= 0)
        close(q->fd);
    for (size_t i = 0; i < q->nev; i++)
        yajl_tree_free(q->events[i]);
    free(q->events);
    sb_free(&q->in);
    free(q);
}

const char *vxl_qmp_version(const vxl_qmp *q)
{
    return q->version;
}

int vxl_qmp_fd(const vxl_qmp *q)
{
    return q->fd;
}

char *vxl_json_quote(const char *s)
{
    strbuf sb = {0};
    sb_putc(&sb, '"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            sb_putc(&sb, '\\'), sb_putc(&sb, (char)c);
        else if (c < 0x20)
            sb_printf(&sb, "\\u%04x", c);
        else
            sb_putc(&sb, (char)c);
    }
    sb_putc(&sb, '"');
    return sb_steal(&sb);
}

int vxl_qmp_execute(vxl_qmp *q, const char *cmd, const char *args_json,
                    int timeout_ms, yajl_val *ret, vxl_diags *d)
{
    long long deadline = deadline_of(timeout_ms);
    unsigned long id = q->next_id++;
    char *qcmd = vxl_json_quote(cmd);
    char *line = xasprintf("{\"execute\": %s%s%s, \"id\": %lu}\r\n", qcmd,
                           args_json ? ", \"arguments\": " : "",
                           args_json ? args_json : "", id);
    int rc = send_all(q, line, strlen(line), d);

    free(qcmd);
    free(line);
    if (ret)
        *ret = NULL;
    while (!rc) {
        yajl_val msg, mid, r, e;
        rc = read_message(q, deadline, &msg, d);
        if (rc) {
            char *what = xasprintf("the reply to %s", cmd);
            timeout_diag(d, rc, what);
            free(what);
            break;
        }
        if (member(msg, "event")) {
            queue_event(q, msg);
            continue;
        }
        mid = member(msg, "id");
        if (!mid || !YAJL_IS_INTEGER(mid) ||
            (unsigned long)YAJL_GET_INTEGER(mid) != id) {
            yajl_tree_free(msg);        /* a reply to someone else */
            continue;
        }
        if ((e = member(msg, "error"))) {
            const char *cp[] = { "class", NULL }, *dp[] = { "desc", NULL };
            yajl_val cls = yajl_tree_get(e, cp, yajl_t_string);
            yajl_val desc = yajl_tree_get(e, dp, yajl_t_string);
            vxl_diag_add(d, VXL_ERROR, NULL, 0, 0, NULL, "QMP %s: %s%s%s",
                         cmd, cls ? YAJL_GET_STRING(cls) : "error",
                         desc ? ": " : "", desc ? YAJL_GET_STRING(desc) : "");
            yajl_tree_free(msg);
            rc = -EIO;
            break;
        }
        r = member(msg, "return");
        if (!r) {
            vxl_diag_add(d, VXL_ERROR, NULL, 0, 0, NULL,
                         "QMP %s: reply has neither return nor error", cmd);
            yajl_tree_free(msg);
            rc = -EPROTO;
            break;
        }
        if (ret) {
            *ret = msg;
        } else {
            yajl_tree_free(msg);
        }
        break;
    }
    return rc;
}

int vxl_qmp_event(vxl_qmp *q, int timeout_ms, yajl_val *ev, vxl_diags *d)
{
    long long deadline = deadline_of(timeout_ms);

    for (;;) {
        yajl_val msg;
        int rc;
        if (q->nev) {
            *ev = q->events[0];
            memmove(q->events, q->events + 1, --q->nev * sizeof *q->events);
            return 0;
        }
        rc = read_message(q, deadline, &msg, d);
        if (rc)
            return rc;              /* -ETIMEDOUT is routine here: no diag */
        if (member(msg, "event"))
            queue_event(q, msg);
        else
            yajl_tree_free(msg);    /* a late reply nobody waits for */
    }
}

const char *vxl_qmp_event_name(yajl_val ev)
{
    yajl_val n = member(ev, "event");
    return n && YAJL_IS_STRING(n) ? YAJL_GET_STRING(n) : NULL;
}

const char *vxl_qmp_event_data_str(yajl_val ev, const char *key)
{
    const char *path[] = { "data", key, NULL };
    yajl_val v = yajl_tree_get(ev, path, yajl_t_string);
    return v ? YAJL_GET_STRING(v) : NULL;
}

/* Unit tests for backend/qmp.c against a scripted fake QMP server running
 * in a thread on the other end of a socketpair (or a unix socket). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "backend/qmp.h"
#include "common/util.h"

#define GREETING "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 22, " \
    "\"minor\": 2, \"major\": 7}, \"package\": \"\"}, \"capabilities\": " \
    "[\"oob\"]}}\r\n"

/* One step of the fake server's script. */
enum op { SEND, EXPECT, REPLY, CLOSE, END };
struct step {
    enum op op;
    const char *text;   /* SEND: bytes; EXPECT: substring of the next line;
                           REPLY: format with one %ld for the last id */
};

struct server {
    int fd;
    const struct step *script;
    long last_id;
    char failure[256];  /* first mismatch, empty when all went to plan */
};

static int read_line(int fd, char *buf, size_t cap)
{
    size_t n = 0;
    while (n + 1 < cap) {
        ssize_t r = read(fd, buf + n, 1);
        if (r <= 0)
            return -1;
        if (buf[n] == '\n')
            break;
        n++;
    }
    buf[n] = 0;
    return 0;
}

static void *serve(void *arg)
{
    struct server *s = arg;
    char line[4096], out[4096];

    for (const struct step *st = s->script; st->op != END; st++) {
        switch (st->op) {
        case SEND:
            if (write(s->fd, st->text, strlen(st->text)) < 0)
                snprintf(s->failure, sizeof s->failure, "write failed");
            break;
        case EXPECT:
            if (read_line(s->fd, line, sizeof line) < 0) {
                snprintf(s->failure, sizeof s->failure, "EOF, wanted %s",
                         st->text);
                return NULL;
            }
            if (!strstr(line, st->text) && !s->failure[0])
                snprintf(s->failure, sizeof s->failure,
                         "got %.100s, wanted %.100s", line, st->text);
            {
                char *p = strstr(line, "\"id\": ");
                s->last_id = p ? strtol(p + 6, NULL, 10) : -1;
            }
            break;
        case REPLY:
            {   /* replace the one "%ld" by the id */
                const char *pct = strstr(st->text, "%ld");
                snprintf(out, sizeof out, "%.*s%ld%s",
                         (int)(pct - st->text), st->text, s->last_id,
                         pct + 3);
            }
            if (write(s->fd, out, strlen(out)) < 0)
                snprintf(s->failure, sizeof s->failure, "write failed");
            break;
        case CLOSE:
            close(s->fd);
            s->fd = -1;
            return NULL;
        case END:
            break;
        }
    }
    return NULL;
}

/* Start the server on one end of a socketpair; return the client's end. */
static int start(struct server *s, pthread_t *th, const struct step *script)
{
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    memset(s, 0, sizeof *s);
    s->fd = sv[1];
    s->script = script;
    assert_int_equal(pthread_create(th, NULL, serve, s), 0);
    return sv[0];
}

static void finish(struct server *s, pthread_t th)
{
    pthread_join(th, NULL);
    if (s->fd >= 0)
        close(s->fd);
    if (s->failure[0])
        fail_msg("fake server: %s", s->failure);
}


static void greeting_and_capabilities(void **state)
{
    static const struct step script[] = {
        { SEND, GREETING },
        { EXPECT, "\"execute\": \"qmp_capabilities\"" },
        { REPLY, "{\"return\": {}, \"id\": %ld}\r\n" },
        { END, NULL },
    };
    struct server s;
    pthread_t th;
    vxl_qmp *q;
    vxl_diags d = {0};

    int fd = start(&s, &th, script);
    assert_int_equal(vxl_qmp_open_fd(fd, 2000, &q, &d), 0);
    assert_string_equal(vxl_qmp_version(q), "7.2.22");
    assert_int_equal(d.n, 0);
    vxl_qmp_close(q);
    finish(&s, th);
}

/* Replies are matched by id; events that arrive first are queued, in
 * order; a stray reply with another id is ignored; split writes work. */
static void execute_matches_id_and_queues_events(void **state)
{
    static const struct step script[] = {
        { SEND, "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, " },
        { SEND, "\"minor\": 0, \"major\": 8}}, \"capabilities\": []}}\r\n" },
        { EXPECT, "qmp_capabilities" },
        { REPLY, "{\"return\": {}, \"id\": %ld}\r\n" },
        { EXPECT, "{\"execute\": \"query-status\", \"id\": 2}" },
        { SEND, "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, "
                "\"event\": \"STOP\"}\r\n" },
        { SEND, "{\"return\": {\"status\": \"bogus\"}, \"id\": 999}\r\n" },
        { SEND, "{\"event\": \"SHUTDOWN\", \"data\": {\"guest\": true, "
                "\"reason\": \"guest-shutdown\"}}\r\n\r\n" },
        { REPLY, "{\"return\": {\"status\": \"paused\", \"running\": false}"
                 ", \"id\": %ld}\r\n" },
        { EXPECT, "\"execute\": \"human-monitor-command\", \"arguments\": "
                  "{\"command-line\": \"info \\\"x\\\"\"}" },
        { REPLY, "{\"return\": \"ok\\r\\n\", \"id\": %ld}\r\n" },
        { SEND, "{\"event\": \"RESUME\"}\r\n" },
        { END, NULL },
    };
    struct server s;
    pthread_t th;
    vxl_qmp *q;
    vxl_diags d = {0};
    yajl_val reply, ev;

    int fd = start(&s, &th, script);
    assert_int_equal(vxl_qmp_open_fd(fd, 2000, &q, &d), 0);
    assert_string_equal(vxl_qmp_version(q), "8.0.0");
    assert_int_equal(vxl_qmp_execute(q, "query-status", NULL, 2000, &reply,
                                     &d), 0);
    const char *sp[] = { "status", NULL };
    yajl_val st = yajl_tree_get(vxl_qmp_return(reply), sp, yajl_t_string);
    assert_non_null(st);
    assert_string_equal(YAJL_GET_STRING(st), "paused");
    vxl_qmp_free(reply);

    char *arg = vxl_json_quote("info \"x\"");
    char *args = xasprintf("{\"command-line\": %s}", arg);
    assert_int_equal(vxl_qmp_execute(q, "human-monitor-command", args, 2000,
                                     &reply, &d), 0);
    assert_string_equal(YAJL_GET_STRING(vxl_qmp_return(reply)), "ok\r\n");
    vxl_qmp_free(reply);
    free(arg);
    free(args);

    assert_int_equal(vxl_qmp_event(q, 0, &ev, &d), 0);
    assert_string_equal(vxl_qmp_event_name(ev), "STOP");
    vxl_qmp_free(ev);
    assert_int_equal(vxl_qmp_event(q, 0, &ev, &d), 0);
    assert_string_equal(vxl_qmp_event_name(ev), "SHUTDOWN");
    assert_string_equal(vxl_qmp_event_data_str(ev, "reason"),
                        "guest-shutdown");
    assert_null(vxl_qmp_event_data_str(ev, "nope"));
    vxl_qmp_free(ev);
    /* RESUME arrives after the last reply: wait for it */
    assert_int_equal(vxl_qmp_event(q, 2000, &ev, &d), 0);
    assert_string_equal(vxl_qmp_event_name(ev), "RESUME");
    vxl_qmp_free(ev);
    assert_int_equal(d.n, 0);
    vxl_qmp_close(q);
    finish(&s, th);
}

static void error_reply_is_eio_with_description(void **state)
{
    static const struct step script[] = {
        { SEND, GREETING },
        { EXPECT, "qmp_capabilities" },
        { REPLY, "{\"return\": {}, \"id\": %ld}\r\n" },
        { EXPECT, "no-such-command" },
        { REPLY, "{\"id\": %ld, \"error\": {\"class\": \"CommandNotFound\", "
                 "\"desc\": \"The command no-such-command has not been "
                 "found\"}}\r\n" },
        { END, NULL },
    };
    struct server s;
    pthread_t th;
    vxl_qmp *q;
    vxl_diags d = {0};
    yajl_val reply = (yajl_val)1;

    int fd = start(&s, &th, script);
    assert_int_equal(vxl_qmp_open_fd(fd, 2000, &q, &d), 0);
    assert_int_equal(vxl_qmp_execute(q, "no-such-command", NULL, 2000,
                                     &reply, &d), -EIO);
    assert_null(reply);
    assert_int_equal(d.nerrors, 1);
    assert_non_null(strstr(d.v[0].msg, "CommandNotFound"));
    assert_non_null(strstr(d.v[0].msg, "has not been found"));
    vxl_diags_free(&d);
    vxl_qmp_close(q);
    finish(&s, th);
}

static long long ms_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void silent_server_times_out(void **state)
{
    static const struct step script[] = {
        { SEND, GREETING },
        { EXPECT, "qmp_capabilities" },
        { REPLY, "{\"return\": {}, \"id\": %ld}\r\n" },
        { EXPECT, "stop" },             /* ... and never answers */
        { EXPECT, "never" },            /* blocks until the client closes */
        { END, NULL },
    };
    struct server s;
    pthread_t th;
    vxl_qmp *q;
    vxl_diags d = {0};
    yajl_val ev;

    int fd = start(&s, &th, script);
    assert_int_equal(vxl_qmp_open_fd(fd, 2000, &q, &d), 0);
    long long t0 = ms_now();
    assert_int_equal(vxl_qmp_execute(q, "stop", NULL, 150, NULL, &d),
                     -ETIMEDOUT);
    long long dt = ms_now() - t0;
    assert_true(dt >= 140 && dt < 1500);
    assert_non_null(strstr(d.v[0].msg, "timed out"));
    assert_int_equal(vxl_qmp_event(q, 50, &ev, &d), -ETIMEDOUT);
    vxl_diags_free(&d);
    vxl_qmp_close(q);            /* the server's read sees EOF */
    pthread_join(th, NULL);
    close(s.fd);
    assert_non_null(strstr(s.failure, "EOF"));
}

static void closed_connection_and_bad_banner(void **state)
{
    static const struct step closes[] = {
        { SEND, GREETING },
        { EXPECT, "qmp_capabilities" },
        { CLOSE, NULL },
        { END, NULL },
    };
    static const struct step no_banner[] = {
        { SEND, "{\"hello\": 1}\r\n" },
        { END, NULL },
    };
    static const struct step garbage[] = {
        { SEND, "this is not json\n" },
        { END, NULL },
    };
    struct server s;
    pthread_t th;
    vxl_qmp *q = NULL;
    vxl_diags d = {0};

    int fd = start(&s, &th, closes);
    assert_int_equal(vxl_qmp_open_fd(fd, 2000, &q, &d), -ECONNRESET);
    assert_non_null(strstr(d.v[0].msg, "connection closed"));
    vxl_diags_free(&d);
    finish(&s, th);

    fd = start(&s, &th, no_banner);
    assert_int_equal(vxl_qmp_open_fd(fd, 2000, &q, &d), -EPROTO);
    vxl_diags_free(&d);
    finish(&s, th);

    fd = start(&s, &th, garbage);
    assert_int_equal(vxl_qmp_open_fd(fd, 2000, &q, &d), -EPROTO);
    assert_non_null(strstr(d.v[0].msg, "malformed"));
    vxl_diags_free(&d);
    finish(&s, th);
}

struct listener {
    int lfd;
    struct server s;
};

static void *accept_then_serve(void *arg)
{
    struct listener *l = arg;
    l->s.fd = accept(l->lfd, NULL, NULL);
    if (l->s.fd < 0) {
        snprintf(l->s.failure, sizeof l->s.failure, "accept failed");
        return NULL;
    }
    return serve(&l->s);
}

static void connects_to_unix_socket(void **state)
{
    static const struct step script[] = {
        { SEND, GREETING },
        { EXPECT, "qmp_capabilities" },
        { REPLY, "{\"return\": {}, \"id\": %ld}\r\n" },
        { EXPECT, "\"execute\": \"cont\"" },
        { REPLY, "{\"return\": {}, \"id\": %ld}\r\n" },
        { END, NULL },
    };
    char dir[] = "/tmp/vxl-qmp-test.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *path = xasprintf("%s/qmp.sock", dir);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct listener l = { 0 };
    pthread_t th;
    vxl_qmp *q;
    vxl_diags d = {0};

    strcpy(sa.sun_path, path);
    l.lfd = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_int_equal(bind(l.lfd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(l.lfd, 1), 0);
    l.s.script = script;
    assert_int_equal(pthread_create(&th, NULL, accept_then_serve, &l), 0);
    assert_int_equal(vxl_qmp_connect(path, 2000, &q, &d), 0);
    assert_int_equal(vxl_qmp_execute(q, "cont", NULL, 2000, NULL, &d), 0);
    vxl_qmp_close(q);
    finish(&l.s, th);
    close(l.lfd);

    /* nobody listening any more */
    unlink(path);
    assert_int_equal(vxl_qmp_connect(path, 200, &q, &d), -ENOENT);
    assert_non_null(strstr(d.v[0].msg, "cannot connect"));
    vxl_diags_free(&d);
    rmdir(dir);
    free(path);
}

static void quotes_json_strings(void **state)
{
    char *s = vxl_json_quote("a\"b\\c\nd\x01");
    assert_string_equal(s, "\"a\\\"b\\\\c\\u000ad\\u0001\"");
    free(s);

}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(greeting_and_capabilities),
        cmocka_unit_test(execute_matches_id_and_queues_events),
        cmocka_unit_test(error_reply_is_eio_with_description),
        cmocka_unit_test(silent_server_times_out),
        cmocka_unit_test(closed_connection_and_bad_banner),
        cmocka_unit_test(connects_to_unix_socket),
        cmocka_unit_test(quotes_json_strings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

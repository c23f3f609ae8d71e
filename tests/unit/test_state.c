/* Unit tests for backend/state.c: run directory, records, locking,
 * concurrent id allocation, stale-record cleanup. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "backend/state.h"
#include "common/util.h"

static char *make_tmpdir(void)
{
    char tmpl[] = "/tmp/vxl-state-test.XXXXXX";
    char *p = mkdtemp(tmpl);
    assert_non_null(p);
    return xasprintf("%s/run", p);
}

static void cleanup_dir(char *dir)
{
    char *parent = xstrndup(dir, strlen(dir) - strlen("/run"));
    char *cmd = xasprintf("rm -rf '%s'", parent);
    free(parent);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    free(dir);
}

static void default_dir_follows_environment(void **state)
{
    char *d;
    setenv("VXL_RUNDIR", "/some/where", 1);
    d = vxl_state_default_dir();
    assert_string_equal(d, "/some/where");
    free(d);
    unsetenv("VXL_RUNDIR");
    setenv("XDG_RUNTIME_DIR", "/run/user/1000", 1);
    d = vxl_state_default_dir();
    if (geteuid() == 0)
        assert_string_equal(d, "/run/vxl");
    else
        assert_string_equal(d, "/run/user/1000/vxl");
    free(d);
}

static void reserve_write_read_remove(void **state)
{
    char *dir = make_tmpdir();
    vxl_state *st;
    vxl_diags d = {0};
    vxl_domrec r = {0}, back = {0};

    assert_int_equal(vxl_state_open(dir, &st, &d), 0);
    r.name = xstrdup("guest1");
    r.memkb = 131072;
    r.vcpus = 2;
    assert_int_equal(vxl_state_reserve(st, &r, &d), 0);
    assert_int_equal(r.domid, 1);
    assert_int_equal(strlen(r.uuid), 36);
    assert_int_equal(r.creator.pid, getpid());

    assert_int_equal(vxl_state_read(st, 1, &back, &d), 0);
    assert_string_equal(back.name, "guest1");
    assert_string_equal(back.uuid, r.uuid);
    assert_int_equal(back.memkb, 131072);
    assert_int_equal(back.vcpus, 2);
    assert_true(vxl_proc_alive(&back.creator));
    assert_false(vxl_domrec_stale(&back));
    vxl_domrec_dispose(&back);

    /* status updates replace the record */
    r.status = xstrdup("running");
    assert_int_equal(vxl_state_write(st, &r, &d), 0);
    assert_int_equal(vxl_state_read(st, 1, &back, &d), 0);
    assert_string_equal(back.status, "running");
    vxl_domrec_dispose(&back);

    /* the next domain gets the next id, like Xen */
    vxl_domrec r2 = { .name = xstrdup("guest2") };
    assert_int_equal(vxl_state_reserve(st, &r2, &d), 0);
    assert_int_equal(r2.domid, 2);

    uint32_t id = 0;
    assert_int_equal(vxl_state_find_name(st, "guest2", &id, &d), 0);
    assert_int_equal(id, 2);
    assert_int_equal(vxl_state_find_name(st, "nope", &id, &d), -ESRCH);

    assert_int_equal(vxl_state_remove(st, 1, &d), 0);
    assert_int_equal(vxl_state_read(st, 1, &back, &d), -ESRCH);
    assert_int_equal(vxl_state_write(st, &r, &d), -ESRCH);
    vxl_diags_free(&d);

    /* ids are not reused at once: after 2 comes 3 even though 1 is free */
    vxl_domrec r3 = { .name = xstrdup("guest3") };
    assert_int_equal(vxl_state_reserve(st, &r3, &d), 0);
    assert_int_equal(r3.domid, 3);

    vxl_domrec *v;
    size_t n;
    assert_int_equal(vxl_state_list(st, &v, &n, &d), 0);
    assert_int_equal(n, 2);
    assert_int_equal(v[0].domid, 2);
    assert_int_equal(v[1].domid, 3);
    vxl_domrec_list_free(v, n);

    assert_int_equal(d.nerrors, 0);
    vxl_domrec_dispose(&r);
    vxl_domrec_dispose(&r2);
    vxl_domrec_dispose(&r3);
    vxl_state_close(st);
    cleanup_dir(dir);
}

static void names_are_unique(void **state)
{
    char *dir = make_tmpdir();
    vxl_state *st;
    vxl_diags d = {0};
    vxl_domrec a = { .name = xstrdup("same") }, b = { .name = xstrdup("same") };
    vxl_domrec c = { .name = xstrdup("other") };

    assert_int_equal(vxl_state_open(dir, &st, &d), 0);
    assert_int_equal(vxl_state_reserve(st, &a, &d), 0);
    assert_int_equal(vxl_state_reserve(st, &b, &d), -EEXIST);
    assert_int_equal(d.nerrors, 1);
    assert_non_null(strstr(d.v[0].msg, "already exists"));
    assert_int_equal(vxl_state_reserve(st, &c, &d), 0);
    /* rename onto a taken name fails, to a free one works */
    assert_int_equal(vxl_state_rename(st, c.domid, "same", &d), -EEXIST);
    assert_int_equal(vxl_state_rename(st, c.domid, "fresh", &d), 0);
    assert_int_equal(vxl_state_rename(st, 999, "x", &d), -ESRCH);
    uint32_t id;
    assert_int_equal(vxl_state_find_name(st, "fresh", &id, &d), 0);
    assert_int_equal(id, c.domid);
    /* renaming to its own name is fine */
    assert_int_equal(vxl_state_rename(st, a.domid, "same", &d), 0);
    vxl_diags_free(&d);
    vxl_domrec_dispose(&a);
    vxl_domrec_dispose(&b);
    vxl_domrec_dispose(&c);
    vxl_state_close(st);
    cleanup_dir(dir);
}

/* A child reserves a domain and dies: its record is stale and is cleaned,
 * freeing the name. */
static void stale_records_are_cleaned(void **state)
{
    char *dir = make_tmpdir();
    vxl_state *st;
    vxl_diags d = {0};
    pid_t pid;
    int status;

    assert_int_equal(vxl_state_open(dir, &st, &d), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        vxl_domrec r = { .name = xstrdup("doomed") };
        _exit(vxl_state_reserve(st, &r, &d) == 0 ? 0 : 1);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_int_equal(WEXITSTATUS(status), 0);

    /* the record is on disk but its creator is gone */
    vxl_domrec back;
    assert_int_equal(vxl_state_read(st, 1, &back, &d), 0);
    assert_true(vxl_domrec_stale(&back));
    vxl_domrec_dispose(&back);

    assert_int_equal(vxl_state_gc(st, &d), 1);
    assert_int_equal(vxl_state_read(st, 1, &back, &d), -ESRCH);
    char *p = vxl_state_domdir(st, 1);
    assert_int_equal(access(p, F_OK), -1);
    free(p);

    /* a record whose QEMU is alive is not stale even if the creator died */
    vxl_domrec live = { .name = xstrdup("live") };
    assert_int_equal(vxl_state_reserve(st, &live, &d), 0);
    live.creator.pid = 0;
    live.qemu = vxl_proc_self();
    assert_int_equal(vxl_state_write(st, &live, &d), 0);
    assert_int_equal(vxl_state_gc(st, &d), 0);
    assert_int_equal(vxl_state_read(st, live.domid, &back, &d), 0);
    vxl_domrec_dispose(&back);

    vxl_domrec again = { .name = xstrdup("doomed") };
    assert_int_equal(vxl_state_reserve(st, &again, &d), 0);
    assert_int_equal(d.nerrors, 0);

    /* a recycled pid (same pid, other start time) is not ours */
    vxl_proc fake = vxl_proc_self();
    fake.start += 1;
    assert_false(vxl_proc_alive(&fake));
    vxl_proc none = { 0, 0 };
    assert_false(vxl_proc_alive(&none));

    vxl_domrec_dispose(&live);
    vxl_domrec_dispose(&again);
    vxl_state_close(st);
    cleanup_dir(dir);
}

#define NPROC 16

/* NPROC processes reserve at once: all succeed, all ids distinct; then
 * NPROC processes race for one name: exactly one wins. */
static void concurrent_reservations(void **state)
{
    char *dir = make_tmpdir();
    vxl_state *st;
    vxl_diags d = {0};
    int pipefd[2];
    pid_t pids[NPROC];
    int ids[NPROC];

    assert_int_equal(vxl_state_open(dir, &st, &d), 0);
    assert_int_equal(pipe(pipefd), 0);
    for (int i = 0; i < NPROC; i++) {
        pids[i] = fork();
        assert_true(pids[i] >= 0);
        if (pids[i] == 0) {
            vxl_state *cst;
            vxl_diags cd = {0};
            vxl_domrec r = { .name = xasprintf("dom%d", i) };
            int id = -1;
            close(pipefd[0]);
            /* each child opens the directory itself, like a new vxl */
            if (vxl_state_open(dir, &cst, &cd) == 0) {
                r.creator = vxl_proc_of(getppid());  /* stays alive */
                if (vxl_state_reserve(cst, &r, &cd) == 0)
                    id = (int)r.domid;
            }
            _exit(write(pipefd[1], &id, sizeof id) == sizeof id ? 0 : 1);
        }
    }
    close(pipefd[1]);
    for (int i = 0; i < NPROC; i++)
        assert_int_equal(read(pipefd[0], &ids[i], sizeof ids[i]),
                         sizeof ids[i]);
    close(pipefd[0]);
    for (int i = 0; i < NPROC; i++) {
        int status;
        assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
    }
    for (int i = 0; i < NPROC; i++) {
        assert_true(ids[i] >= 1 && ids[i] <= NPROC);
        for (int j = 0; j < i; j++)
            assert_int_not_equal(ids[i], ids[j]);
    }
    vxl_domrec *v;
    size_t n;
    assert_int_equal(vxl_state_list(st, &v, &n, &d), 0);
    assert_int_equal(n, NPROC);
    vxl_domrec_list_free(v, n);

    /* the same name from NPROC processes */
    assert_int_equal(pipe(pipefd), 0);
    for (int i = 0; i < NPROC; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            vxl_state *cst;
            vxl_diags cd = {0};
            vxl_domrec r = { .name = xstrdup("contested") };
            int res = -1;
            close(pipefd[0]);
            if (vxl_state_open(dir, &cst, &cd) == 0) {
                r.creator = vxl_proc_of(getppid());
                res = vxl_state_reserve(cst, &r, &cd);
            }
            _exit(write(pipefd[1], &res, sizeof res) == sizeof res ? 0 : 1);
        }
    }
    close(pipefd[1]);
    int wins = 0, exists = 0;
    for (int i = 0; i < NPROC; i++) {
        int res;
        assert_int_equal(read(pipefd[0], &res, sizeof res), sizeof res);
        wins += res == 0;
        exists += res == -EEXIST;
    }
    close(pipefd[0]);
    for (int i = 0; i < NPROC; i++)
        waitpid(pids[i], NULL, 0);
    assert_int_equal(wins, 1);
    assert_int_equal(exists, NPROC - 1);
    vxl_state_close(st);
    cleanup_dir(dir);
}

static void refuses_foreign_run_directory(void **state)
{
    vxl_state *st;
    vxl_diags d = {0};
    if (geteuid() == 0) {
        /* root: make a directory owned by someone else */
        char *dir = make_tmpdir();
        assert_int_equal(mkdir(dir, 0700), 0);
        assert_int_equal(chown(dir, 65534, 65534), 0);
        assert_int_equal(vxl_state_open(dir, &st, &d), -EPERM);
        assert_int_equal(d.nerrors, 1);
        vxl_diags_free(&d);
        cleanup_dir(dir);
    } else {
        assert_true(vxl_state_open("/proc/no/such/dir", &st, &d) < 0);
        assert_true(d.nerrors >= 1);
        vxl_diags_free(&d);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(default_dir_follows_environment),
        cmocka_unit_test(reserve_write_read_remove),
        cmocka_unit_test(names_are_unique),
        cmocka_unit_test(stale_records_are_cleaned),
        cmocka_unit_test(concurrent_reservations),
        cmocka_unit_test(refuses_foreign_run_directory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests of the libxenlight backend (backend/xen.c) and of the xl
 * commands on top of it (xl/domain.c), without Xen.
 *
 * The libxl calls backend/xen.c makes are replaced at link time
 * (-Wl,--wrap=..., see TEST_LDLIBS_test_xen_backend in the Makefile): each
 * __wrap_libxl_* below answers from a small table of fake domains and
 * records what it was asked (which call, which domid, whether an ao_how
 * was passed), so the tests assert what reached "libxl".  A wrapped call
 * can fail with a libxl error and log a reason through the xentoollog
 * logger the backend handed to libxl_ctx_alloc, which is how real libxl
 * reports why; the tests check that reason reaches the user.
 *
 * The xl commands are compiled into this test (xl/domain.c and xl/main.c,
 * whose main() is renamed); their stdout/stderr are captured through
 * temporary files.  What only a real Xen host can show is in
 * tests/integration/xen_real.sh (docs/backend-xen.md). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#ifndef HAVE_LIBXL

int main(void)
{
    printf("# skipped: test_xen_backend needs a build with libxenlight\n");
    return 0;
}

#else

#include <errno.h>
#include <unistd.h>
#include <libxl.h>
#include <libxl_utils.h>
#include <xentoollog.h>

#include "backend/backend.h"
#include "cfgparse/domain.h"
#include "cfgparse/json.h"
#include "common/util.h"
#include "xl/xl.h"

/* The xl layer under test; main.c's main() must not clash with ours. */
int vxl_xl_main(int argc, char **argv);
#define main vxl_xl_main
#include "xl/main.c"
#undef main
#include "xl/domain.c"

/* xl/main.c's help() looks commands up in xl/cmdtable.c, which would pull
 * in every command: a table with the ones under test instead. */
const struct cmd_spec cmd_table[] = {
    { "list", main_list, false, "List information about all/some domains",
      "[options] [Domain]", NULL },
    { "shutdown", main_shutdown, false, "Issue a shutdown signal to a domain",
      "[options] <-a|Domain>", NULL },
    { "reboot", main_reboot, false, "Issue a reboot signal to a domain",
      "[options] <-a|Domain>", NULL },
};
const int cmd_table_len = (int)ARRAY_SIZE(cmd_table);

const struct cmd_spec *cmd_find(const char *name)
{
    for (int i = 0; i < cmd_table_len; i++)
        if (!strcmp(cmd_table[i].name, name))
            return &cmd_table[i];
    return NULL;
}

/* ---- the fake libxl ---------------------------------------------------- */

struct fake_dom {
    uint32_t domid;
    const char *name;
    uint8_t uuid[16];
    bool running, blocked, paused, shutdown, dying;
    int reason;
    uint64_t cur_kb, outstanding_kb, max_kb, cpu_ns;
    uint32_t vcpus_online, max_vcpu_id;
    libxl_domain_type type;
    bool gone;                  /* destroyed: no longer listed */
};

struct call {
    char fn[40];
    uint32_t domid;
    int arg;                    /* trigger, console number, ... */
    bool ao_how;                /* a non-NULL ao_how was passed */
};

static struct {
    struct fake_dom doms[8];
    int ndoms;
    xentoollog_logger *lg;      /* the backend's logger */
    int ctx_alloc_rc;
    /* the next call of `fail_fn' returns fail_rc, after logging fail_msg
     * (with fail_errno) through the backend's logger */
    const char *fail_fn, *fail_msg;
    int fail_rc, fail_errno;
    bool list_fails;
    /* shutdown: the domain reports itself shut down after this many
     * further libxl_domain_info calls (the -w wait loop) */
    int shutdown_after_polls;
    uint32_t polling_domid;
    uint32_t next_domid;        /* what create_new hands out */
    char *json_in;              /* what config_from_json was given */
    const char *json_out_override;  /* config_to_json's answer, if set */
    struct call calls[64];
    int ncalls;
} F;

static char fake_ctx_storage[64];
#define FAKE_CTX ((libxl_ctx *)(void *)fake_ctx_storage)

static void record(const char *fn, uint32_t domid, int arg, const void *ao)
{
    assert_true(F.ncalls < (int)ARRAY_SIZE(F.calls));
    struct call *c = &F.calls[F.ncalls++];
    snprintf(c->fn, sizeof c->fn, "%s", fn);
    c->domid = domid;
    c->arg = arg;
    c->ao_how = ao != NULL;
}

/* The calls named `fn', in order; returns how many. */
static int calls_of(const char *fn, const struct call **first)
{
    int n = 0;
    for (int i = 0; i < F.ncalls; i++)
        if (!strcmp(F.calls[i].fn, fn)) {
            if (!n && first)
                *first = &F.calls[i];
            n++;
        }
    return n;
}

/* The failure set up for `fn', if any (consumed). */
static int maybe_fail(const char *fn)
{
    if (!F.fail_fn || strcmp(F.fail_fn, fn))
        return 0;
    F.fail_fn = NULL;
    if (F.fail_msg)
        xtl_log(F.lg, XTL_ERROR, F.fail_errno, "libxl", "%s", F.fail_msg);
    return F.fail_rc;
}

static struct fake_dom *find_dom(uint32_t domid)
{
    for (int i = 0; i < F.ndoms; i++)
        if (F.doms[i].domid == domid && !F.doms[i].gone)
            return &F.doms[i];
    return NULL;
}

static void to_dominfo(const struct fake_dom *f, libxl_dominfo *o)
{
    memcpy(libxl_uuid_bytearray(&o->uuid), f->uuid, 16);
    o->domid = f->domid;
    o->running = f->running;
    o->blocked = f->blocked;
    o->paused = f->paused;
    o->shutdown = f->shutdown;
    o->dying = f->dying;
    o->shutdown_reason = (libxl_shutdown_reason)f->reason;
    o->current_memkb = f->cur_kb;
    o->outstanding_memkb = f->outstanding_kb;
    o->max_memkb = f->max_kb;
    o->cpu_time = f->cpu_ns;
    o->vcpu_online = f->vcpus_online;
    o->vcpu_max_id = f->max_vcpu_id;
    o->domain_type = f->type;
}

/* prototypes for -Wmissing-prototypes: the linker routes calls here */
int __wrap_libxl_ctx_alloc(libxl_ctx **pctx, int version, unsigned flags,
                           xentoollog_logger *lg);
int __wrap_libxl_ctx_free(libxl_ctx *ctx);
libxl_dominfo *__wrap_libxl_list_domain(libxl_ctx *ctx, int *nb);
int __wrap_libxl_domain_info(libxl_ctx *ctx, libxl_dominfo *info_r,
                             uint32_t domid);
char *__wrap_libxl_domid_to_name(libxl_ctx *ctx, uint32_t domid);
int __wrap_libxl_name_to_domid(libxl_ctx *ctx, const char *name,
                               uint32_t *domid);
uint32_t __wrap_libxl_vm_get_start_time(libxl_ctx *ctx, uint32_t domid);
int __wrap_libxl_domain_destroy(libxl_ctx *ctx, uint32_t domid,
                                const libxl_asyncop_how *ao);
int __wrap_libxl_domain_shutdown(libxl_ctx *ctx, uint32_t domid,
                                 const libxl_asyncop_how *ao);
int __wrap_libxl_domain_reboot(libxl_ctx *ctx, uint32_t domid,
                               const libxl_asyncop_how *ao);
int __wrap_libxl_domain_pause(libxl_ctx *ctx, uint32_t domid,
                              const libxl_asyncop_how *ao);
int __wrap_libxl_domain_unpause(libxl_ctx *ctx, uint32_t domid,
                                const libxl_asyncop_how *ao);
int __wrap_libxl_send_trigger(libxl_ctx *ctx, uint32_t domid,
                              libxl_trigger trigger, uint32_t vcpuid,
                              const libxl_asyncop_how *ao);
int __wrap_libxl_domain_create_new(libxl_ctx *ctx, libxl_domain_config *dc,
                                   uint32_t *domid,
                                   const libxl_asyncop_how *ao,
                                   const libxl_asyncprogress_how *aop);
int __wrap_libxl_domain_config_from_json(libxl_ctx *ctx,
                                         libxl_domain_config *p,
                                         const char *s);
char *__wrap_libxl_domain_config_to_json(libxl_ctx *ctx,
                                         libxl_domain_config *p);
int __wrap_libxl_console_get_tty(libxl_ctx *ctx, uint32_t domid, int num,
                                 libxl_console_type type, char **path);

int __wrap_libxl_ctx_alloc(libxl_ctx **pctx, int version, unsigned flags,
                           xentoollog_logger *lg)
{
    record("libxl_ctx_alloc", 0, version, NULL);
    F.lg = lg;
    if (F.ctx_alloc_rc) {
        xtl_log(lg, XTL_ERROR, ENOENT, "libxl",
                "cannot open libxc handle");
        return F.ctx_alloc_rc;
    }
    *pctx = FAKE_CTX;
    return 0;
}

int __wrap_libxl_ctx_free(libxl_ctx *ctx)
{
    assert_ptr_equal(ctx, FAKE_CTX);
    record("libxl_ctx_free", 0, 0, NULL);
    return 0;
}

libxl_dominfo *__wrap_libxl_list_domain(libxl_ctx *ctx, int *nb)
{
    assert_ptr_equal(ctx, FAKE_CTX);
    record("libxl_list_domain", 0, 0, NULL);
    if (F.list_fails) {
        xtl_log(F.lg, XTL_ERROR, EACCES, "libxl",
                "getting domain info list");
        return NULL;
    }
    /* freed by the real libxl_dominfo_list_free: malloc'ed, each
     * element initialised */
    libxl_dominfo *v = calloc((size_t)F.ndoms + 1, sizeof *v);
    int n = 0;
    for (int i = 0; i < F.ndoms; i++) {
        if (F.doms[i].gone)
            continue;
        libxl_dominfo_init(&v[n]);
        to_dominfo(&F.doms[i], &v[n]);
        n++;
    }
    *nb = n;
    return v;
}

int __wrap_libxl_domain_info(libxl_ctx *ctx, libxl_dominfo *info_r,
                             uint32_t domid)
{
    assert_ptr_equal(ctx, FAKE_CTX);
    record("libxl_domain_info", domid, 0, NULL);
    struct fake_dom *f = find_dom(domid);
    if (!f)
        return ERROR_DOMAIN_NOTFOUND;
    if (F.shutdown_after_polls > 0 && domid == F.polling_domid &&
        --F.shutdown_after_polls == 0) {
        f->shutdown = true;
        f->reason = LIBXL_SHUTDOWN_REASON_POWEROFF;
    }
    if (info_r)
        to_dominfo(f, info_r);
    return 0;
}

char *__wrap_libxl_domid_to_name(libxl_ctx *ctx, uint32_t domid)
{
    struct fake_dom *f = find_dom(domid);
    return f ? strdup(f->name) : NULL;
}

int __wrap_libxl_name_to_domid(libxl_ctx *ctx, const char *name,
                               uint32_t *domid)
{
    record("libxl_name_to_domid", 0, 0, NULL);
    for (int i = 0; i < F.ndoms; i++)
        if (!F.doms[i].gone && !strcmp(F.doms[i].name, name)) {
            *domid = F.doms[i].domid;
            return 0;
        }
    return ERROR_INVAL;     /* as libxl for an unknown name */
}

uint32_t __wrap_libxl_vm_get_start_time(libxl_ctx *ctx, uint32_t domid)
{
    return 1700000000u + domid;
}

/* destroy, shutdown, reboot, pause, unpause: record, maybe fail */
static int dom_op(const char *fn, uint32_t domid, const void *ao)
{
    record(fn, domid, 0, ao);
    int rc = maybe_fail(fn);
    if (rc)
        return rc;
    return find_dom(domid) ? 0 : ERROR_DOMAIN_NOTFOUND;
}

int __wrap_libxl_domain_destroy(libxl_ctx *ctx, uint32_t domid,
                                const libxl_asyncop_how *ao)
{
    int rc = dom_op("libxl_domain_destroy", domid, ao);
    if (!rc)
        find_dom(domid)->gone = true;
    return rc;
}

int __wrap_libxl_domain_shutdown(libxl_ctx *ctx, uint32_t domid,
                                 const libxl_asyncop_how *ao)
{
    return dom_op("libxl_domain_shutdown", domid, ao);
}

int __wrap_libxl_domain_reboot(libxl_ctx *ctx, uint32_t domid,
                               const libxl_asyncop_how *ao)
{
    return dom_op("libxl_domain_reboot", domid, ao);
}

int __wrap_libxl_domain_pause(libxl_ctx *ctx, uint32_t domid,
                              const libxl_asyncop_how *ao)
{
    int rc = dom_op("libxl_domain_pause", domid, ao);
    if (!rc)
        find_dom(domid)->paused = true;
    return rc;
}

int __wrap_libxl_domain_unpause(libxl_ctx *ctx, uint32_t domid,
                                const libxl_asyncop_how *ao)
{
    int rc = dom_op("libxl_domain_unpause", domid, ao);
    if (!rc)
        find_dom(domid)->paused = false;
    return rc;
}

int __wrap_libxl_send_trigger(libxl_ctx *ctx, uint32_t domid,
                              libxl_trigger trigger, uint32_t vcpuid,
                              const libxl_asyncop_how *ao)
{
    record("libxl_send_trigger", domid, (int)trigger, ao);
    return maybe_fail("libxl_send_trigger");
}

int __wrap_libxl_domain_create_new(libxl_ctx *ctx, libxl_domain_config *dc,
                                   uint32_t *domid,
                                   const libxl_asyncop_how *ao,
                                   const libxl_asyncprogress_how *aop)
{
    record("libxl_domain_create_new", 0, aop != NULL, ao);
    int rc = maybe_fail("libxl_domain_create_new");
    if (rc)
        return rc;
    *domid = F.next_domid;
    struct fake_dom *f = &F.doms[F.ndoms++];
    memset(f, 0, sizeof *f);
    f->domid = F.next_domid;
    f->name = "new-guest";
    f->paused = true;               /* libxl creates domains paused */
    return 0;
}

int __wrap_libxl_domain_config_from_json(libxl_ctx *ctx,
                                         libxl_domain_config *p,
                                         const char *s)
{
    record("libxl_domain_config_from_json", 0, 0, NULL);
    free(F.json_in);
    F.json_in = strdup(s);
    return maybe_fail("libxl_domain_config_from_json");
}

char *__wrap_libxl_domain_config_to_json(libxl_ctx *ctx,
                                         libxl_domain_config *p)
{
    record("libxl_domain_config_to_json", 0, 0, NULL);
    return strdup(F.json_out_override ? F.json_out_override
                                      : F.json_in ? F.json_in : "");
}

int __wrap_libxl_console_get_tty(libxl_ctx *ctx, uint32_t domid, int num,
                                 libxl_console_type type, char **path)
{
    record("libxl_console_get_tty", domid, num * 10 + (int)type, NULL);
    if (!find_dom(domid))
        return ERROR_FAIL;
    *path = xasprintf("/dev/pts/%u", domid + 10);
    return 0;
}

/* ---- fixtures ---------------------------------------------------------- */

static void add_dom(uint32_t domid, const char *name, uint64_t kb,
                    uint32_t vcpus)
{
    struct fake_dom *f = &F.doms[F.ndoms++];
    memset(f, 0, sizeof *f);
    f->domid = domid;
    f->name = name;
    f->cur_kb = kb;
    f->max_kb = kb;
    f->vcpus_online = vcpus;
    f->max_vcpu_id = vcpus ? vcpus - 1 : 0;
    for (int i = 0; i < 16; i++)
        f->uuid[i] = (uint8_t)(domid * 16 + (uint32_t)i);
    f->type = LIBXL_DOMAIN_TYPE_PV;
}

static int setup(void **state)
{
    free(F.json_in);
    memset(&F, 0, sizeof F);
    memset(&vxl_g, 0, sizeof vxl_g);
    vxl_g.backend = "xen";
    setenv("VXL_XENCONSOLE", "/opt/xen/bin/xenconsole", 1);
    /* Domain-0, as on every Xen host */
    add_dom(0, "Domain-0", 4096 * 1024, 4);
    F.doms[0].running = true;
    F.doms[0].cpu_ns = 1234567000000ull;            /* 1234.567 s */
    add_dom(5, "guest", 1024 * 1024, 2);
    F.doms[1].blocked = true;
    F.doms[1].cpu_ns = 12345000000ull;              /* 12.345 s */
    F.doms[1].type = LIBXL_DOMAIN_TYPE_HVM;
    return 0;
}

static int teardown(void **state)
{
    free(F.json_in);
    F.json_in = NULL;
    return 0;
}

static vxl_backend *open_xen(void)
{
    vxl_backend *b = NULL;
    vxl_diags d = {0};
    assert_int_equal(vxl_xen_backend_open(&b, &d), 0);
    assert_int_equal((int)d.n, 0);
    assert_string_equal(b->ops->name, "xen");
    return b;
}

static bool diags_have(const vxl_diags *d, const char *needle)
{
    for (size_t i = 0; i < d->n; i++)
        if (strstr(d->v[i].msg, needle))
            return true;
    return false;
}

/* ---- running an xl command with stdout/stderr captured ----------------- */

struct run {
    int status;
    char *out, *err;
};

static char *slurp_fd(int fd)
{
    strbuf sb = {0};
    char buf[4096];
    ssize_t r;
    lseek(fd, 0, SEEK_SET);
    while ((r = read(fd, buf, sizeof buf)) > 0)
        sb_append(&sb, buf, (size_t)r);
    close(fd);
    return sb.len ? sb_steal(&sb) : xstrdup("");
}

static struct run run_cmd(int (*fn)(int, char **), ...)
{
    char *argv[16];
    int argc = 0;
    va_list ap;
    va_start(ap, fn);
    for (const char *a; (a = va_arg(ap, const char *)) != NULL;)
        argv[argc++] = (char *)a;
    va_end(ap);
    argv[argc] = NULL;

    FILE *fo = tmpfile(), *fe = tmpfile();
    assert_non_null(fo);
    assert_non_null(fe);
    fflush(stdout);
    fflush(stderr);
    int so = dup(1), se = dup(2);
    dup2(fileno(fo), 1);
    dup2(fileno(fe), 2);
    optind = 0;
    struct run r = { .status = fn(argc, argv) };
    fflush(stdout);
    fflush(stderr);
    dup2(so, 1);
    dup2(se, 2);
    close(so);
    close(se);
    r.out = slurp_fd(dup(fileno(fo)));
    r.err = slurp_fd(dup(fileno(fe)));
    fclose(fo);
    fclose(fe);
    return r;
}

static void run_free(struct run *r)
{
    free(r->out);
    free(r->err);
}

/* ---- list ---------------------------------------------------------------- */

static const char list_header[] =
    "Name                                        ID   Mem VCPUs\tState\t"
    "Time(s)\n";

static void list_format(void **state)
{
    /* a third domain with every flag xl shows: paused, shut down for a
     * crash (c), dying; outstanding memory counts in Mem as in xl */
    add_dom(7, "crashed-one", 512 * 1024, 1);
    F.doms[2].paused = true;
    F.doms[2].shutdown = true;
    F.doms[2].reason = LIBXL_SHUTDOWN_REASON_CRASH;
    F.doms[2].dying = true;
    F.doms[2].outstanding_kb = 256 * 1024;

    struct run r = run_cmd(main_list, "list", NULL);
    assert_int_equal(r.status, 0);
    char *want = xasprintf(
        "%s"
        "%-40s %5d %5d %5d     r-----  %8.1f\n"
        "%-40s %5d %5d %5d     -b----  %8.1f\n"
        "%-40s %5d %5d %5d     --pscd  %8.1f\n",
        list_header, "Domain-0", 0, 4096, 4, 1234.6,
        "guest", 5, 1024, 2, 12.3, "crashed-one", 7, 768, 1, 0.0);
    assert_string_equal(r.out, want);
    assert_string_equal(r.err, "");
    /* one libxl_list_domain, one context opened and freed */
    assert_int_equal(calls_of("libxl_list_domain", NULL), 1);
    assert_int_equal(calls_of("libxl_ctx_alloc", NULL), 1);
    assert_int_equal(calls_of("libxl_ctx_free", NULL), 1);
    free(want);
    run_free(&r);
}

static void list_verbose(void **state)
{
    F.doms[1].shutdown = true;
    F.doms[1].reason = LIBXL_SHUTDOWN_REASON_REBOOT;
    struct run r = run_cmd(main_list, "list", "-v", NULL);
    assert_int_equal(r.status, 0);
    /* xl_info.c list_domains' formats, verbose: uuid, reason code in hex
     * or "-", the security label ("-": none) */
    char *want = xasprintf(
        "Name                                        ID   Mem VCPUs\tState\t"
        "Time(s)   UUID                            Reason-Code\tSecurity "
        "Label\n"
        "%-40s %5d %5d %5d     r-----  %8.1f %s %8s %16s\n"
        "%-40s %5d %5d %5d     -b-sr-  %8.1f %s %8x %16s\n",
        "Domain-0", 0, 4096, 4, 1234.6,
        "00010203-0405-0607-0809-0a0b0c0d0e0f", "-", "-",
        "guest", 5, 1024, 2, 12.3,
        "50515253-5455-5657-5859-5a5b5c5d5e5f", 1, "-");
    assert_string_equal(r.out, want);
    free(want);
    run_free(&r);
}

static void list_one_domain_by_name(void **state)
{
    struct run r = run_cmd(main_list, "list", "guest", NULL);
    assert_int_equal(r.status, 0);
    char *want = xasprintf("%s%-40s %5d %5d %5d     -b----  %8.1f\n",
                           list_header, "guest", 5, 1024, 2, 12.3);
    assert_string_equal(r.out, want);
    free(want);
    /* the name went through libxl_name_to_domid, the row through
     * libxl_domain_info of domid 5, never the whole list */
    assert_int_equal(calls_of("libxl_name_to_domid", NULL), 1);
    const struct call *c = NULL;
    assert_true(calls_of("libxl_domain_info", &c) >= 1);
    assert_int_equal(c->domid, 5);
    assert_int_equal(calls_of("libxl_list_domain", NULL), 0);
    run_free(&r);
}

static void list_unknown_domain(void **state)
{
    struct run r = run_cmd(main_list, "list", "nosuch", NULL);
    assert_int_equal(r.status, 1);
    assert_string_equal(r.out, "");
    assert_string_equal(r.err,
        "nosuch is an invalid domain identifier (rc=-6)\n");
    run_free(&r);

    r = run_cmd(main_list, "list", "42", NULL);      /* an id, unknown */
    assert_int_equal(r.status, 1);
    assert_string_equal(r.err, "42 is an invalid domain identifier (rc=-6)\n");
    run_free(&r);
}

static void list_libxl_failure(void **state)
{
    F.list_fails = true;
    struct run r = run_cmd(main_list, "list", NULL);
    assert_int_equal(r.status, 1);
    assert_string_equal(r.out, "");
    /* libxl's own reason first, then xl's message */
    assert_non_null(strstr(r.err, "libxl: getting domain info list: "
                                  "Permission denied"));
    assert_non_null(strstr(r.err, "libxl_list_domain failed.\n"));
    run_free(&r);
}

static void open_failure_reports_libxl_reason(void **state)
{
    F.ctx_alloc_rc = ERROR_FAIL;
    struct run r = run_cmd(main_list, "list", NULL);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "cannot open libxc handle"));
    assert_non_null(strstr(r.err, "cannot open a libxenlight context "
                                  "(libxl error -3)"));
    assert_int_equal(calls_of("libxl_list_domain", NULL), 0);
    run_free(&r);
}

/* ---- the backend's ops, directly ----------------------------------------- */

static void ops_list_and_info(void **state)
{
    vxl_backend *b = open_xen();
    vxl_dominfo *v = NULL;
    size_t n = 0;
    vxl_diags d = {0};

    F.doms[1].outstanding_kb = 1024;
    assert_int_equal(b->ops->list(b, &v, &n, &d), 0);
    assert_int_equal((int)n, 2);
    assert_int_equal(v[1].domid, 5);
    assert_string_equal(v[1].name, "guest");
    assert_string_equal(v[1].uuid, "50515253-5455-5657-5859-5a5b5c5d5e5f");
    assert_true(v[1].blocked);
    assert_false(v[1].running);
    assert_int_equal(v[1].current_memkb, 1024 * 1024 + 1024);
    assert_int_equal(v[1].vcpu_max, 2);          /* max id + 1 */
    assert_int_equal(v[1].start_time, 1700000005u);
    assert_int_equal(v[0].start_time, 0);        /* none for dom0 */
    vxl_dominfo_list_free(v, n);

    vxl_dominfo di;
    assert_int_equal(b->ops->info(b, 9, &di, &d), -ESRCH);
    assert_int_equal((int)d.n, 0);               /* callers word it */
    assert_int_equal(b->ops->info(b, 5, &di, &d), 0);
    assert_string_equal(di.name, "guest");
    vxl_dominfo_dispose(&di);

    uint32_t id = 0;
    char *name = NULL;
    assert_int_equal(b->ops->domid_of(b, "guest", &id, &d), 0);
    assert_int_equal(id, 5);
    assert_int_equal(b->ops->domid_of(b, "nosuch", &id, &d), -ESRCH);
    assert_int_equal(b->ops->domname_of(b, 0, &name, &d), 0);
    assert_string_equal(name, "Domain-0");
    free(name);
    assert_int_equal(b->ops->domname_of(b, 77, &name, &d), -ESRCH);
    vxl_diags_free(&d);
    vxl_backend_close(b);
    assert_int_equal(calls_of("libxl_ctx_free", NULL), 1);
}

/* Each op reaches its libxl function with the domid, synchronously. */
static void ops_call_the_right_libxl_function(void **state)
{
    static const struct {
        const char *fn;
        size_t off;
    } ops[] = {
        { "libxl_domain_pause", offsetof(vxl_backend_ops, pause) },
        { "libxl_domain_unpause", offsetof(vxl_backend_ops, unpause) },
        { "libxl_domain_shutdown", offsetof(vxl_backend_ops, shutdown) },
        { "libxl_domain_reboot", offsetof(vxl_backend_ops, reboot) },
        { "libxl_domain_destroy", offsetof(vxl_backend_ops, destroy) },
    };
    vxl_backend *b = open_xen();
    for (size_t i = 0; i < ARRAY_SIZE(ops); i++) {
        typedef int (*op_fn)(vxl_backend *, uint32_t, vxl_diags *);
        op_fn fn;
        memcpy(&fn, (const char *)b->ops + ops[i].off, sizeof fn);
        vxl_diags d = {0};
        F.ncalls = 0;
        assert_int_equal(fn(b, 5, &d), 0);
        assert_int_equal((int)d.n, 0);
        assert_int_equal(F.ncalls, 1);
        assert_string_equal(F.calls[0].fn, ops[i].fn);
        assert_int_equal(F.calls[0].domid, 5);
        assert_false(F.calls[0].ao_how);
    }
    vxl_backend_close(b);
}

/* libxl's error codes become errno-style results, and the diagnostic
 * carries the logged reason plus the call and libxl's error name. */
static void ops_libxl_errors(void **state)
{
    static const struct {
        int libxl_rc, want;
    } cases[] = {
        { ERROR_FAIL, -EIO }, { ERROR_INVAL, -EINVAL },
        { ERROR_NOMEM, -ENOMEM }, { ERROR_DOMAIN_NOTFOUND, -ESRCH },
        { ERROR_TIMEDOUT, -ETIMEDOUT },
    };
    vxl_backend *b = open_xen();
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        vxl_diags d = {0};
        F.fail_fn = "libxl_domain_destroy";
        F.fail_rc = cases[i].libxl_rc;
        F.fail_msg = "xc_domain_destroy failed";
        F.fail_errno = EPERM;
        assert_int_equal(b->ops->destroy(b, 5, &d), cases[i].want);
        assert_true(diags_have(&d, "libxl: xc_domain_destroy failed: "
                                   "Operation not permitted"));
        if (cases[i].libxl_rc == ERROR_DOMAIN_NOTFOUND) {
            assert_true(diags_have(&d, "libxl_domain_destroy: domain 5 "
                                       "does not exist"));
        } else {
            char *want = xasprintf("libxl_domain_destroy failed for domain "
                                   "5: libxl error %d (%s)",
                                   cases[i].libxl_rc,
                                   libxl_error_to_string(cases[i].libxl_rc));
            assert_true(diags_have(&d, want));
            free(want);
        }
        assert_true(d.nerrors >= 2);
        vxl_diags_free(&d);
    }
    /* shutdown of a guest without PV control: -EOPNOTSUPP, no error
     * diagnostic (the xl layer words it) */
    vxl_diags d = {0};
    F.fail_fn = "libxl_domain_shutdown";
    F.fail_rc = ERROR_NOPARAVIRT;
    F.fail_msg = NULL;
    assert_int_equal(b->ops->shutdown(b, 5, &d), -EOPNOTSUPP);
    assert_int_equal((int)d.n, 0);
    vxl_diags_free(&d);
    vxl_backend_close(b);
}

/* ---- destroy / pause / unpause commands -------------------------------- */

static void cmd_destroy_by_name_and_id(void **state)
{
    struct run r = run_cmd(main_destroy, "destroy", "guest", NULL);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "");
    assert_string_equal(r.err, "");
    const struct call *c = NULL;
    assert_int_equal(calls_of("libxl_domain_destroy", &c), 1);
    assert_int_equal(c->domid, 5);
    assert_true(F.doms[1].gone);
    run_free(&r);

    add_dom(9, "other", 1024, 1);
    F.ncalls = 0;
    r = run_cmd(main_destroy, "destroy", "9", NULL);
    assert_int_equal(r.status, 0);
    assert_int_equal(calls_of("libxl_domain_destroy", &c), 1);
    assert_int_equal(c->domid, 9);
    assert_int_equal(calls_of("libxl_name_to_domid", NULL), 0);
    run_free(&r);
}

static void cmd_destroy_domain0(void **state)
{
    /* as xl: refused without -f ... */
    struct run r = run_cmd(main_destroy, "destroy", "Domain-0", NULL);
    assert_int_equal(r.status, 1);
    assert_string_equal(r.err, "Not destroying domain 0; use -f to force.\n"
                        "This can only be done when using a disaggregated "
                        "hardware domain and toolstack.\n\n");
    assert_int_equal(calls_of("libxl_domain_destroy", NULL), 0);
    run_free(&r);
    /* ... passed on to libxl with it */
    r = run_cmd(main_destroy, "destroy", "-f", "0", NULL);
    assert_int_equal(r.status, 0);
    const struct call *c = NULL;
    assert_int_equal(calls_of("libxl_domain_destroy", &c), 1);
    assert_int_equal(c->domid, 0);
    run_free(&r);
}

static void cmd_destroy_unknown(void **state)
{
    struct run r = run_cmd(main_destroy, "destroy", "ghost", NULL);
    assert_int_equal(r.status, 1);
    assert_string_equal(r.err, "ghost is an invalid domain identifier "
                               "(rc=-6)\n");
    assert_int_equal(calls_of("libxl_domain_destroy", NULL), 0);
    run_free(&r);
}

static void cmd_destroy_libxl_failure(void **state)
{
    F.fail_fn = "libxl_domain_destroy";
    F.fail_rc = ERROR_FAIL;
    F.fail_msg = "xc_domain_destroy failed";
    F.fail_errno = EBUSY;
    struct run r = run_cmd(main_destroy, "destroy", "guest", NULL);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "error: libxl: xc_domain_destroy failed: "
                                  "Device or resource busy\n"));
    assert_non_null(strstr(r.err, "libxl_domain_destroy failed for domain 5: "
                                  "libxl error -3"));
    assert_non_null(strstr(r.err, "destroy failed (rc="));
    assert_false(F.doms[1].gone);
    run_free(&r);
}

static void cmd_pause_unpause(void **state)
{
    struct run r = run_cmd(main_pause, "pause", "guest", NULL);
    assert_int_equal(r.status, 0);
    const struct call *c = NULL;
    assert_int_equal(calls_of("libxl_domain_pause", &c), 1);
    assert_int_equal(c->domid, 5);
    assert_true(F.doms[1].paused);
    run_free(&r);

    r = run_cmd(main_unpause, "unpause", "5", NULL);
    assert_int_equal(r.status, 0);
    assert_int_equal(calls_of("libxl_domain_unpause", &c), 1);
    assert_int_equal(c->domid, 5);
    assert_false(F.doms[1].paused);
    run_free(&r);

    F.fail_fn = "libxl_domain_pause";
    F.fail_rc = ERROR_INVAL;
    F.fail_msg = "domain is dying";
    F.fail_errno = -1;
    r = run_cmd(main_pause, "pause", "guest", NULL);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "error: libxl: domain is dying\n"));
    assert_non_null(strstr(r.err, "pause failed (rc=-22)"));
    run_free(&r);
}

/* ---- shutdown / reboot commands ---------------------------------------- */

static void cmd_shutdown(void **state)
{
    struct run r = run_cmd(main_shutdown, "shutdown", "guest", NULL);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.err, "Shutting down domain 5\n");
    const struct call *c = NULL;
    assert_int_equal(calls_of("libxl_domain_shutdown", &c), 1);
    assert_int_equal(c->domid, 5);
    assert_int_equal(calls_of("libxl_domain_reboot", NULL), 0);
    assert_int_equal(calls_of("libxl_send_trigger", NULL), 0);
    run_free(&r);
}

static void cmd_shutdown_wait(void **state)
{
    F.polling_domid = 5;
    F.shutdown_after_polls = 3;     /* shut down on the 3rd poll */
    struct run r = run_cmd(main_shutdown, "shutdown", "-w", "guest", NULL);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.err,
        "Shutting down domain 5\n"
        "Waiting for 1 domains\n"
        "Domain 5 has been shut down, reason code 0\n");
    assert_int_equal(F.shutdown_after_polls, 0);   /* it did poll */
    run_free(&r);
}

static void cmd_shutdown_all(void **state)
{
    add_dom(8, "third", 2048, 1);
    struct run r = run_cmd(main_shutdown, "shutdown", "-a", NULL);
    assert_int_equal(r.status, 0);
    /* every listed domain in order but Domain-0, as xl */
    int k = 0;
    static const uint32_t want[] = { 5, 8 };
    for (int i = 0; i < F.ncalls; i++)
        if (!strcmp(F.calls[i].fn, "libxl_domain_shutdown")) {
            assert_true(k < 2);
            assert_int_equal(F.calls[i].domid, want[k++]);
        }
    assert_int_equal(k, 2);
    assert_string_equal(r.err, "Shutting down domain 5\n"
                               "Shutting down domain 8\n");
    run_free(&r);

    /* -a -w waits for the two */
    F.ncalls = 0;
    F.polling_domid = 8;
    F.shutdown_after_polls = 2;
    F.doms[1].shutdown = true;                  /* 5 already down */
    r = run_cmd(main_shutdown, "shutdown", "-a", "-w", NULL);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.err, "Shutting down domain 5\n"
                               "Shutting down domain 8\n"
                               "Waiting for 2 domains\n"
                               "Domain 5 has been shut down, reason code 0\n"
                               "Domain 8 has been shut down, reason code 0\n");
    run_free(&r);

    F.list_fails = true;
    r = run_cmd(main_shutdown, "shutdown", "-a", NULL);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "libxl_list_domain failed.\n"));
    assert_int_equal(calls_of("libxl_domain_shutdown", NULL), 2);  /* as before */
    F.list_fails = false;
    run_free(&r);

    r = run_cmd(main_shutdown, "shutdown", "-a", "guest", NULL);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "You must specify either -a or a domain "
                                  "id, but not both."));
    run_free(&r);

    r = run_cmd(main_shutdown, "shutdown", NULL);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "You must specify -a or a domain id."));
    run_free(&r);
}

static void cmd_shutdown_no_pv_control(void **state)
{
    /* without -F: xl's two lines, failure, no trigger */
    F.fail_fn = "libxl_domain_shutdown";
    F.fail_rc = ERROR_NOPARAVIRT;
    struct run r = run_cmd(main_shutdown, "shutdown", "guest", NULL);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err,
        "PV control interface not available: external graceful shutdown "
        "not possible.\nUse \"-F\" to fallback to ACPI power event.\n"));
    assert_int_equal(calls_of("libxl_send_trigger", NULL), 0);
    run_free(&r);

    /* with -F: the ACPI power button, on the same domain */
    F.ncalls = 0;
    F.fail_fn = "libxl_domain_shutdown";
    r = run_cmd(main_shutdown, "shutdown", "-F", "guest", NULL);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.err, "Shutting down domain 5\n"
        "PV control interface not available: sending ACPI power button "
        "event.\n");
    const struct call *c = NULL;
    assert_int_equal(calls_of("libxl_send_trigger", &c), 1);
    assert_int_equal(c->domid, 5);
    assert_int_equal(c->arg, LIBXL_TRIGGER_POWER);
    run_free(&r);

    /* reboot -F: the reset button */
    F.ncalls = 0;
    F.fail_fn = "libxl_domain_reboot";
    r = run_cmd(main_reboot, "reboot", "-F", "5", NULL);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.err, "Rebooting domain 5\n"
        "PV control interface not available: sending ACPI reset button "
        "event.\n");
    assert_int_equal(calls_of("libxl_send_trigger", &c), 1);
    assert_int_equal(c->arg, LIBXL_TRIGGER_RESET);
    run_free(&r);
}

static void cmd_reboot_failure(void **state)
{
    F.fail_fn = "libxl_domain_reboot";
    F.fail_rc = ERROR_FAIL;
    F.fail_msg = "unable to write control/shutdown";
    F.fail_errno = EACCES;
    struct run r = run_cmd(main_reboot, "reboot", "guest", NULL);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "libxl: unable to write control/shutdown: "
                                  "Permission denied"));
    assert_non_null(strstr(r.err, "reboot failed (rc="));
    const struct call *c = NULL;
    assert_int_equal(calls_of("libxl_domain_reboot", &c), 1);
    assert_int_equal(c->domid, 5);
    run_free(&r);
}

/* ---- domid / domname ----------------------------------------------------- */

static void cmd_domid_domname(void **state)
{
    struct run r = run_cmd(main_domid, "domid", "guest", NULL);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "5\n");
    run_free(&r);

    r = run_cmd(main_domid, "domid", "nosuch", NULL);
    assert_int_equal(r.status, 1);
    assert_string_equal(r.out, "");
    assert_string_equal(r.err, "Can't get domid of domain name 'nosuch', "
                               "maybe this domain does not exist.\n");
    run_free(&r);

    r = run_cmd(main_domname, "domname", "0", NULL);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "Domain-0\n");
    run_free(&r);

    r = run_cmd(main_domname, "domname", "33", NULL);
    assert_int_equal(r.status, 1);
    assert_string_equal(r.err, "Can't get domain name of domain id '33', "
                               "maybe this domain does not exist.\n");
    run_free(&r);

    r = run_cmd(main_domname, "domname", "guest", NULL);
    assert_int_equal(r.status, 1);
    assert_string_equal(r.err, "Invalid domain id.\n\n");
    assert_int_equal(calls_of("libxl_ctx_alloc", NULL), 4);  /* not for it */
    run_free(&r);
}

/* ---- create ------------------------------------------------------------ */

static void guest_config(vxl_domain_config *c)
{
    vxl_domain_config_init(c);
    c->c_info.type = VXL_DOMAIN_TYPE_PVH;
    vxl_domain_build_info_init_type(&c->b_info, VXL_DOMAIN_TYPE_PVH);
    c->c_info.name = xstrdup("new-guest");
    c->b_info.max_memkb = c->b_info.target_memkb = 512 * 1024;
}

static void create_unpauses_unless_paused(void **state)
{
    vxl_backend *b = open_xen();
    vxl_domain_config c;
    vxl_create_opts o = { .no_monitor = true };   /* no monitor process in unit tests */
    vxl_diags d = {0};
    uint32_t id = 0;

    guest_config(&c);
    F.next_domid = 12;
    assert_int_equal(b->ops->create(b, &c, &o, &id, &d), 0);
    assert_int_equal(id, 12);
    assert_int_equal((int)d.n, 0);
    /* libxl got vxl's JSON of the model, created synchronously, then
     * unpaused the new domain */
    char *json = vxl_domain_config_to_json(&c);
    assert_string_equal(F.json_in, json);
    free(json);
    assert_non_null(strstr(F.json_in, "\"name\": \"new-guest\""));
    const struct call *cr = NULL, *up = NULL;
    assert_int_equal(calls_of("libxl_domain_create_new", &cr), 1);
    assert_false(cr->ao_how);
    assert_int_equal(calls_of("libxl_domain_unpause", &up), 1);
    assert_int_equal(up->domid, 12);
    assert_true(up > cr);
    assert_false(find_dom(12)->paused);

    /* -p: created, left paused */
    F.ncalls = 0;
    F.next_domid = 13;
    o.paused = true;
    assert_int_equal(b->ops->create(b, &c, &o, &id, &d), 0);
    assert_int_equal(id, 13);
    assert_int_equal(calls_of("libxl_domain_create_new", NULL), 1);
    assert_int_equal(calls_of("libxl_domain_unpause", NULL), 0);
    assert_true(find_dom(13)->paused);
    vxl_domain_config_dispose(&c);
    vxl_diags_free(&d);
    vxl_backend_close(b);
}

static void create_translation_mismatch(void **state)
{
    vxl_backend *b = open_xen();
    vxl_domain_config c;
    vxl_create_opts o = { .no_monitor = true };   /* no monitor process in unit tests */
    vxl_diags d = {0};
    uint32_t id = 4242;

    guest_config(&c);
    /* libxl's view of the config differs on line 3 */
    char *json = vxl_domain_config_to_json(&c);
    char *nl = strchr(strchr(json, '\n') + 1, '\n');
    char *bad = xasprintf("%.*s\n    \"bogus\": 1,%s", (int)(nl - json), json,
                          nl);
    F.json_out_override = bad;
    assert_int_equal(b->ops->create(b, &c, &o, &id, &d), -EINVAL);
    assert_int_equal(id, 4242);                  /* untouched */
    assert_true(diags_have(&d, "translation to libxl is not exact: line 3"));
    assert_true(diags_have(&d, "`    \"bogus\": 1,' in libxl's"));
    assert_int_equal(calls_of("libxl_domain_create_new", NULL), 0);
    vxl_diags_free(&d);

    /* libxl refusing the JSON outright */
    F.json_out_override = NULL;
    F.fail_fn = "libxl_domain_config_from_json";
    F.fail_rc = ERROR_INVAL;
    F.fail_msg = "unknown field";
    F.fail_errno = -1;
    assert_int_equal(b->ops->create(b, &c, &o, &id, &d), -EINVAL);
    assert_true(diags_have(&d, "libxl: unknown field"));
    assert_true(diags_have(&d, "libxl does not accept the domain "
                               "configuration (libxl error -6)"));
    assert_int_equal(calls_of("libxl_domain_create_new", NULL), 0);
    free(bad);
    free(json);
    vxl_domain_config_dispose(&c);
    vxl_diags_free(&d);
    vxl_backend_close(b);
}

static void create_libxl_failure(void **state)
{
    vxl_backend *b = open_xen();
    vxl_domain_config c;
    vxl_create_opts o = { .no_monitor = true };   /* no monitor process in unit tests */
    vxl_diags d = {0};
    uint32_t id = 4242;

    guest_config(&c);
    F.fail_fn = "libxl_domain_create_new";
    F.fail_rc = ERROR_FAIL;
    F.fail_msg = "failed to allocate memory for the domain";
    F.fail_errno = ENOMEM;
    assert_int_equal(b->ops->create(b, &c, &o, &id, &d), -EIO);
    assert_int_equal(id, 4242);
    assert_true(diags_have(&d, "libxl: failed to allocate memory for the "
                               "domain: Cannot allocate memory"));
    assert_true(diags_have(&d, "libxl_domain_create_new failed: libxl "
                               "error -3"));
    assert_int_equal(calls_of("libxl_domain_unpause", NULL), 0);
    vxl_domain_config_dispose(&c);
    vxl_diags_free(&d);
    vxl_backend_close(b);
}

/* create -F: the monitor in the foreground is refused before anything is
 * created (with -e there is no monitor, so -F is harmless) */
static void create_foreground_refused(void **state)
{
    vxl_backend *b = open_xen();
    vxl_domain_config c;
    vxl_create_opts o = { .foreground = true };
    vxl_diags d = {0};
    uint32_t id = 4242;

    guest_config(&c);
    assert_int_equal(b->ops->create(b, &c, &o, &id, &d), -EOPNOTSUPP);
    assert_int_equal(id, 4242);
    assert_true(diags_have(&d, "not supported on the xen backend yet"));
    assert_int_equal(calls_of("libxl_domain_create_new", NULL), 0);
    vxl_diags_free(&d);
    o.no_monitor = true;
    F.next_domid = 7;
    assert_int_equal(b->ops->create(b, &c, &o, &id, &d), 0);
    assert_int_equal(id, 7);
    vxl_domain_config_dispose(&c);
    vxl_diags_free(&d);
    vxl_backend_close(b);
}

/* create -c attaches through the console op: xenconsole's argv */
static void console_argv(void **state)
{
    vxl_backend *b = open_xen();
    vxl_console con;
    vxl_diags d = {0};

    /* the default console of an HVM guest is its serial port, as xl */
    assert_int_equal(b->ops->console(b, 5, VXL_CONSOLE_TYPE_UNKNOWN, 0,
                                     &con, &d), 0);
    static const char *const want_hvm[] = {
        "/opt/xen/bin/xenconsole", "5", "--num", "0", "--type", "serial",
    };
    for (size_t i = 0; i < ARRAY_SIZE(want_hvm); i++)
        assert_string_equal(con.exec_argv[i], want_hvm[i]);
    assert_null(con.exec_argv[ARRAY_SIZE(want_hvm)]);
    assert_string_equal(con.pty_path, "/dev/pts/15");
    const struct call *c = NULL;
    assert_int_equal(calls_of("libxl_console_get_tty", &c), 1);
    assert_int_equal(c->arg, LIBXL_CONSOLE_TYPE_SERIAL);
    vxl_console_dispose(&con);

    /* dom0 (PV): the pv console; an explicit number goes through */
    assert_int_equal(b->ops->console(b, 0, VXL_CONSOLE_TYPE_UNKNOWN, 1,
                                     &con, &d), 0);
    assert_string_equal(con.exec_argv[1], "0");
    assert_string_equal(con.exec_argv[3], "1");
    assert_string_equal(con.exec_argv[5], "pv");
    vxl_console_dispose(&con);

    /* an unknown domain: libxl's not-found, worded */
    assert_int_equal(b->ops->console(b, 99, VXL_CONSOLE_TYPE_UNKNOWN, 0,
                                     &con, &d), -ESRCH);
    assert_true(diags_have(&d, "domain 99 does not exist"));
    vxl_diags_free(&d);
    vxl_backend_close(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        T(list_format),
        T(list_verbose),
        T(list_one_domain_by_name),
        T(list_unknown_domain),
        T(list_libxl_failure),
        T(open_failure_reports_libxl_reason),
        T(ops_list_and_info),
        T(ops_call_the_right_libxl_function),
        T(ops_libxl_errors),
        T(cmd_destroy_by_name_and_id),
        T(cmd_destroy_domain0),
        T(cmd_destroy_unknown),
        T(cmd_destroy_libxl_failure),
        T(cmd_pause_unpause),
        T(cmd_shutdown),
        T(cmd_shutdown_wait),
        T(cmd_shutdown_all),
        T(cmd_shutdown_no_pv_control),
        T(cmd_reboot_failure),
        T(cmd_domid_domname),
        T(create_unpauses_unless_paused),
        T(create_translation_mismatch),
        T(create_libxl_failure),
        T(create_foreground_refused),
        T(console_argv),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

#endif /* HAVE_LIBXL */

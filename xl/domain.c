/* xl/domain.c — domain lifecycle commands on the selected backend:
 * list, destroy, shutdown, reboot, pause, unpause, domid, domname, rename.
 * Names, options, messages and exit statuses follow xl's. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "backend/backend.h"
#include "backend/qemu.h"
#include "common/util.h"
#include "xl/xl.h"

vxl_backend *xl_backend_open(void)
{
    vxl_backend_choice ch;
    vxl_backend *b = NULL;
    vxl_diags d = {0};

    if (vxl_backend_choose(vxl_g.backend, &ch, &d)) {
        report_diags(&d);
        vxl_diags_free(&d);
        return NULL;
    }
    if (vxl_g.verbose)      /* the choice first: opening it may fail */
        fprintf(stderr, "vxl: backend %s: %s\n", ch.name, ch.why);
    if (vxl_backend_open(&ch, &b, &d)) {
        report_diags(&d);
        vxl_diags_free(&d);
        return NULL;
    }
    if (vxl_g.verbose) {
        if (!strcmp(ch.name, "qemu")) {
            const char *why;
            const char *accel = vxl_qemu_backend_accel(b, &why);
            fprintf(stderr, "vxl: qemu accelerator %s: %s\n", accel, why);
            fprintf(stderr, "vxl: state in %s\n", vxl_qemu_backend_rundir(b));
        }
    }
    vxl_diags_free(&d);
    return b;
}

int xl_find_domain(vxl_backend *b, const char *arg, uint32_t *domid)
{
    vxl_diags d = {0};
    int rc = vxl_backend_find(b, arg, domid, &d);

    if (rc == -ESRCH)
        fprintf(stderr, "%s is an invalid domain identifier (rc=%d)\n", arg,
                -6 /* libxl's ERROR_INVAL */);
    else if (rc)
        report_diags(&d);
    vxl_diags_free(&d);
    return rc;
}

/* ---- list -------------------------------------------------------------- */

static void print_list(const vxl_dominfo *v, size_t n, bool verbose)
{
    static const char reason_letters[] = "-rscwS";

    printf("Name                                        ID   Mem VCPUs\t"
           "State\tTime(s)");
    if (verbose)
        printf("   UUID                            Reason-Code\t"
               "Security Label");
    printf("\n");
    for (size_t i = 0; i < n; i++) {
        const vxl_dominfo *di = &v[i];
        int reason = di->shutdown ? (int)di->shutdown_reason : 0;
        printf("%-40s %5u %5lu %5u     %c%c%c%c%c%c  %8.1f", di->name,
               di->domid, (unsigned long)(di->current_memkb / 1024),
               di->vcpu_online, di->running ? 'r' : '-',
               di->blocked ? 'b' : '-', di->paused ? 'p' : '-',
               di->shutdown ? 's' : '-',
               reason >= 0 && reason < (int)sizeof reason_letters - 1
                   ? reason_letters[reason] : '?',
               di->dying ? 'd' : '-', (float)di->cpu_time_ns / 1e9);  /* as xl */
        if (verbose) {
            printf(" %s", di->uuid);
            if (di->shutdown)
                printf(" %8x", reason);
            else
                printf(" %8s", "-");
            printf(" %16s", "-");
        }
        putchar('\n');
    }
    /* backend trouble goes to stderr, after the table */
    for (size_t i = 0; i < n; i++)
        if (v[i].problem)
            fprintf(stderr, "warning: domain %u (%s): %s\n", v[i].domid,
                    v[i].name, v[i].problem);
}

/* Re-emit a parsed JSON value (key order, number texts kept). */
static void gen_tree(yajl_gen g, yajl_val v)
{
    if (YAJL_IS_OBJECT(v)) {
        yajl_gen_map_open(g);
        for (size_t i = 0; i < v->u.object.len; i++) {
            const char *k = v->u.object.keys[i];
            yajl_gen_string(g, (const unsigned char *)k, strlen(k));
            gen_tree(g, v->u.object.values[i]);
        }
        yajl_gen_map_close(g);
    } else if (YAJL_IS_ARRAY(v)) {
        yajl_gen_array_open(g);
        for (size_t i = 0; i < v->u.array.len; i++)
            gen_tree(g, v->u.array.values[i]);
        yajl_gen_array_close(g);
    } else if (YAJL_IS_STRING(v)) {
        const char *s = YAJL_GET_STRING(v);
        yajl_gen_string(g, (const unsigned char *)s, strlen(s));
    } else if (YAJL_IS_NUMBER(v)) {
        const char *n = v->u.number.r;
        yajl_gen_number(g, n, strlen(n));
    } else if (YAJL_IS_TRUE(v)) {
        yajl_gen_bool(g, 1);
    } else if (YAJL_IS_FALSE(v)) {
        yajl_gen_bool(g, 0);
    } else {
        yajl_gen_null(g);
    }
}

/* xl list -l: [ { "domid": N, "config": {...} }, ... ] */
static int print_long(vxl_backend *b, const vxl_dominfo *v, size_t n)
{
    yajl_gen g = yajl_gen_alloc(NULL);
    const unsigned char *buf;
    size_t len;

    yajl_gen_config(g, yajl_gen_beautify, 1);
    yajl_gen_array_open(g);
    for (size_t i = 0; i < n; i++) {
        char *json = NULL, err[128];
        vxl_diags d = {0};
        if (b->ops->config_json(b, v[i].domid, &json, &d) != 0) {
            vxl_diags_free(&d);
            continue;               /* xl skips what it cannot retrieve */
        }
        vxl_diags_free(&d);
        yajl_val tree = yajl_tree_parse(json, err, sizeof err);
        free(json);
        if (!tree)
            continue;
        yajl_gen_map_open(g);
        yajl_gen_string(g, (const unsigned char *)"domid", 5);
        yajl_gen_integer(g, v[i].domid);
        yajl_gen_string(g, (const unsigned char *)"config", 6);
        gen_tree(g, tree);
        yajl_gen_map_close(g);
        yajl_tree_free(tree);
    }
    yajl_gen_array_close(g);
    yajl_gen_get_buf(g, &buf, &len);
    fwrite(buf, 1, len, stdout);
    putchar('\n');
    yajl_gen_free(g);
    return 0;
}

int main_list(int argc, char **argv)
{
    static const struct option opts[] = {
        { "long", 0, 0, 'l' }, { "verbose", 0, 0, 'v' },
        { "context", 0, 0, 'Z' }, { "cpupool", 0, 0, 'c' },
        { "numa", 0, 0, 'n' }, { "help", 0, 0, 'h' }, { 0 },
    };
    bool verbose = false, details = false;
    vxl_diags d = {0};
    vxl_dominfo *v = NULL;
    size_t n = 0;
    int opt, rc;

    opterr = 0;
    while ((opt = getopt_long(argc, argv, "lvhZcn", opts, NULL)) != -1) {
        switch (opt) {
        case 'v': verbose = true; break;
        case 'h': help("list"); return 0;
        case 'l': details = true; break;
        case 'Z': case 'c': case 'n':
            fprintf(stderr, "option `%c' not supported by vxl list yet.\n",
                    opt);
            return 1;
        default:
            fprintf(stderr, "option `%c' not supported.\n", optopt);
            return 1;
        }
    }
    if (argc - optind > 1) {
        help("list");
        return 2;
    }
    vxl_backend *b = xl_backend_open();
    if (!b)
        return 1;
    if (optind < argc) {
        uint32_t domid;
        if (xl_find_domain(b, argv[optind], &domid)) {
            vxl_backend_close(b);
            return 1;
        }
        v = xcalloc(1, sizeof *v);
        if ((rc = b->ops->info(b, domid, v, &d)) != 0) {
            if (rc == -ESRCH)
                fprintf(stderr, "Error: Domain '%s' does not exist.\n",
                        argv[optind]);
            else
                report_diags(&d);
            free(v);
            vxl_diags_free(&d);
            vxl_backend_close(b);
            return 1;
        }
        n = 1;
    } else if ((rc = b->ops->list(b, &v, &n, &d)) != 0) {
        report_diags(&d);
        fprintf(stderr, "libxl_list_domain failed.\n");
        vxl_diags_free(&d);
        vxl_backend_close(b);
        return 1;
    }
    if (details)
        print_long(b, v, n);
    else
        print_list(v, n, verbose);
    vxl_dominfo_list_free(v, n);
    vxl_diags_free(&d);
    vxl_backend_close(b);
    return 0;
}

/* ---- one domain, one operation ----------------------------------------- */

enum dom_op { OP_DESTROY, OP_PAUSE, OP_UNPAUSE };

/* Run `op' on the domain named by argv[optind]; print failures. */
static int on_domain(const char *cmd, enum dom_op op, int argc, char **argv)
{
    bool force = false;     /* destroy -f: domain 0 too */
    int opt;
    while ((opt = def_getopt(argc, argv, op == OP_DESTROY ? "f" : "", cmd,
                             1)) != -1) {
        if (opt != 'f')
            return 2;   /* no options beyond -h (and destroy's -f) */
        force = true;
    }
    vxl_backend *b = xl_backend_open();
    uint32_t domid;
    vxl_diags d = {0};
    int rc = 1, r;

    if (!b)
        return 1;
    if (xl_find_domain(b, argv[optind], &domid) == 0) {
        if (op == OP_DESTROY && domid == 0 && !force) {
            fprintf(stderr, "Not destroying domain 0; use -f to force.\n"
                    "This can only be done when using a disaggregated "
                    "hardware domain and toolstack.\n\n");
            goto out;
        }
        switch (op) {
        case OP_DESTROY: r = b->ops->destroy(b, domid, &d); break;
        case OP_PAUSE: r = b->ops->pause(b, domid, &d); break;
        default: r = b->ops->unpause(b, domid, &d); break;
        }
        if (r == 0) {
            rc = 0;
        } else {
            report_diags(&d);
            fprintf(stderr, "%s failed (rc=%d)\n", cmd, r);
        }
    }
out:
    vxl_diags_free(&d);
    vxl_backend_close(b);
    return rc;
}

int main_destroy(int argc, char **argv)
{
    return on_domain("destroy", OP_DESTROY, argc, argv);
}

int main_pause(int argc, char **argv)
{
    return on_domain("pause", OP_PAUSE, argc, argv);
}

int main_unpause(int argc, char **argv)
{
    return on_domain("unpause", OP_UNPAUSE, argc, argv);
}

/* ---- shutdown / reboot ------------------------------------------------- */

/* Wait until the domain is gone or (if `or_shutdown') shut down. */
static void wait_domain(vxl_backend *b, uint32_t domid, bool or_shutdown)
{
    for (;;) {
        vxl_dominfo di;
        vxl_diags d = {0};
        int rc = b->ops->info(b, domid, &di, &d);
        vxl_diags_free(&d);
        if (rc) {
            fprintf(stderr, "Domain %u has been destroyed\n", domid);
            return;
        }
        bool down = di.shutdown;
        int reason = di.shutdown_reason;
        vxl_dominfo_dispose(&di);
        if (down && or_shutdown) {
            fprintf(stderr, "Domain %u has been shut down, reason code %d\n",
                    domid, reason);
            return;
        }
        usleep(100 * 1000);
    }
}

static int shutdown_or_reboot(bool reboot, int argc, char **argv)
{
    static const struct option opts[] = {
        { "all", 0, 0, 'a' }, { "wait", 0, 0, 'w' }, { "help", 0, 0, 'h' },
        { 0 },
    };
    const char *what = reboot ? "reboot" : "shutdown";
    bool all = false, wait = false, fallback = false;
    int opt, rc = 0;

    opterr = 0;
    while ((opt = getopt_long(argc, argv, "awFh", opts, NULL)) != -1) {
        switch (opt) {
        case 'a': all = true; break;
        case 'w': wait = true; break;
        /* -F: ACPI event when the guest has no PV control interface (the
         * xen backend; ACPI is what the QEMU backend uses anyway) */
        case 'F': fallback = true; break;
        case 'h': help(what); return 0;
        default:
            fprintf(stderr, "option `%c' not supported.\n", optopt);
            return 2;
        }
    }
    if (!all && optind >= argc) {
        fprintf(stderr, "You must specify -a or a domain id.\n\n");
        help(what);
        return 1;
    }
    if (all && optind < argc) {
        fprintf(stderr, "You must specify either -a or a domain id, "
                "but not both.\n\n");
        help(what);
        return 1;
    }
    vxl_backend *b = xl_backend_open();
    if (!b)
        return 1;
    uint32_t *ids = NULL;
    size_t n = 0;
    vxl_diags d = {0};
    if (all) {
        vxl_dominfo *v;
        size_t nv;
        if (b->ops->list(b, &v, &nv, &d)) {
            report_diags(&d);
            fprintf(stderr, "libxl_list_domain failed.\n");
            rc = 1;
            goto out;
        }
        /* as xl: every domain but Domain-0 */
        ids = xcalloc(nv ? nv : 1, sizeof *ids);
        for (size_t i = 0; i < nv; i++)
            if (v[i].domid != 0)
                ids[n++] = v[i].domid;
        vxl_dominfo_list_free(v, nv);
    } else {
        ids = xcalloc(1, sizeof *ids);
        if (xl_find_domain(b, argv[optind], &ids[0])) {
            rc = 1;
            goto out;
        }
        n = 1;
    }
    for (size_t i = 0; i < n; i++) {
        fprintf(stderr, "%s domain %u\n", reboot ? "Rebooting"
                                                 : "Shutting down", ids[i]);
        int r = reboot ? b->ops->reboot(b, ids[i], &d)
                       : b->ops->shutdown(b, ids[i], &d);
        if (r == -EOPNOTSUPP && b->ops->acpi_button) {
            /* no PV control interface: xl's messages and -F fallback */
            const char *ev = reboot ? "reset" : "power";
            if (fallback) {
                fprintf(stderr, "PV control interface not available: "
                        "sending ACPI %s button event.\n", ev);
                r = b->ops->acpi_button(b, ids[i], reboot, &d);
            } else {
                fprintf(stderr, "PV control interface not available: "
                        "external graceful %s not possible.\n", what);
                fprintf(stderr, "Use \"-F\" to fallback to ACPI %s "
                        "event.\n", ev);
            }
        }
        if (r) {
            report_diags(&d);
            fprintf(stderr, "%s failed (rc=%d)\n", what, r);
            rc = 1;
            goto out;
        }
    }
    if (wait && !reboot) {
        fprintf(stderr, "Waiting for %zu domains\n", n);
        for (size_t i = 0; i < n; i++)
            wait_domain(b, ids[i], true);
    }
out:
    free(ids);
    vxl_diags_free(&d);
    vxl_backend_close(b);
    return rc;
}

int main_shutdown(int argc, char **argv)
{
    return shutdown_or_reboot(false, argc, argv);
}

int main_reboot(int argc, char **argv)
{
    return shutdown_or_reboot(true, argc, argv);
}

/* ---- names ------------------------------------------------------------- */

int main_domid(int argc, char **argv)
{
    int opt;
    while ((opt = def_getopt(argc, argv, "", "domid", 1)) != -1)
        return 2;
    vxl_backend *b = xl_backend_open();
    vxl_diags d = {0};
    uint32_t domid;
    int rc = 1;

    if (!b)
        return 1;
    if (b->ops->domid_of(b, argv[optind], &domid, &d) == 0) {
        printf("%u\n", domid);
        rc = 0;
    } else {
        fprintf(stderr, "Can't get domid of domain name '%s', maybe this "
                "domain does not exist.\n", argv[optind]);
    }
    vxl_diags_free(&d);
    vxl_backend_close(b);
    return rc;
}

int main_domname(int argc, char **argv)
{
    int opt;
    while ((opt = def_getopt(argc, argv, "", "domname", 1)) != -1)
        return 2;
    const char *arg = argv[optind];
    char *end, *name;
    unsigned long id = strtoul(arg, &end, 10);
    vxl_diags d = {0};
    int rc = 1;

    if (!*arg || *end) {
        fprintf(stderr, "Invalid domain id.\n\n");
        return 1;
    }
    vxl_backend *b = xl_backend_open();
    if (!b)
        return 1;
    if (b->ops->domname_of(b, (uint32_t)id, &name, &d) == 0) {
        printf("%s\n", name);
        free(name);
        rc = 0;
    } else {
        fprintf(stderr, "Can't get domain name of domain id '%lu', maybe "
                "this domain does not exist.\n", id);
    }
    vxl_diags_free(&d);
    vxl_backend_close(b);
    return rc;
}

int main_rename(int argc, char **argv)
{
    int opt;
    while ((opt = def_getopt(argc, argv, "", "rename", 2)) != -1)
        return 2;
    vxl_backend *b = xl_backend_open();
    vxl_diags d = {0};
    uint32_t domid;
    int rc = 1;

    if (!b)
        return 1;
    if (xl_find_domain(b, argv[optind], &domid) == 0) {
        if (b->ops->rename(b, domid, argv[optind + 1], &d) == 0) {
            rc = 0;
        } else {
            report_diags(&d);
            fprintf(stderr, "Can't rename domain '%s'.\n", argv[optind]);
        }
    }
    vxl_diags_free(&d);
    vxl_backend_close(b);
    return rc;
}

/* ---- uptime ------------------------------------------------------------ */

static char *uptime_to_string(unsigned long up, bool short_mode)
{
    int day = (int)(up / 86400), hour, min, sec;
    up -= (unsigned long)day * 86400;
    hour = (int)(up / 3600);
    up -= (unsigned long)hour * 3600;
    min = (int)(up / 60);
    sec = (int)(up - (unsigned long)min * 60);
    const char *days = day > 1 ? " days, " : day == 1 ? " day, " : NULL;
    if (short_mode)
        return days ? xasprintf("%d%s%2d:%02d", day, days, hour, min)
                    : xasprintf("%2d:%02d", hour, min);
    return days ? xasprintf("%d%s%2d:%02d:%02d", day, days, hour, min, sec)
                : xasprintf("%2d:%02d:%02d", hour, min, sec);
}

static void print_uptime_one(const vxl_dominfo *di, bool short_mode,
                             time_t now)
{
    unsigned long up = di->start_time && (uint64_t)now >= di->start_time
                           ? (unsigned long)(now - (time_t)di->start_time) : 0;
    char *u = uptime_to_string(up, short_mode);
    if (short_mode) {
        char now_str[32];
        struct tm tm;
        localtime_r(&now, &tm);
        strftime(now_str, sizeof now_str, "%H:%M:%S", &tm);
        printf(" %s up %s, %s (%u)\n", now_str, u, di->name, di->domid);
    } else {
        printf("%-33s %4u %s\n", di->name, di->domid, u);
    }
    free(u);
}

/* xl uptime [-s] [dom...]; the QEMU backend has no Domain-0 line */
int main_uptime(int argc, char **argv)
{
    bool short_mode = false;
    int opt, rc = 0;

    while ((opt = def_getopt(argc, argv, "s", "uptime", 0)) != -1) {
        if (opt != 's')
            return 2;
        short_mode = true;
    }
    vxl_backend *b = xl_backend_open();
    if (!b)
        return 1;
    time_t now = time(NULL);
    vxl_diags d = {0};
    vxl_dominfo *v = NULL;
    size_t n = 0;

    if (optind >= argc) {
        if (b->ops->list(b, &v, &n, &d)) {
            report_diags(&d);
            rc = 1;
            goto out;
        }
    } else {
        v = xcalloc((size_t)(argc - optind), sizeof *v);
        for (int i = optind; i < argc; i++) {
            uint32_t domid;
            if (xl_find_domain(b, argv[i], &domid) ||
                b->ops->info(b, domid, &v[n], &d)) {
                rc = 1;
                goto out;
            }
            n++;
        }
    }
    if (!short_mode)
        printf("%-33s %4s %s\n", "Name", "ID", "Uptime");
    for (size_t i = 0; i < n; i++)
        print_uptime_one(&v[i], short_mode, now);
out:
    vxl_dominfo_list_free(v, n);
    vxl_diags_free(&d);
    vxl_backend_close(b);
    return rc;
}

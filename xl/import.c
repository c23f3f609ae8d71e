/* xl/import.c — `vxl import [-o OUTDIR] [--format qcow2|raw] [--name NAME]
 * [--bridge BR] [--dry-run] SOURCE': turn a VMware appliance (.ova, .ovf
 * with its disks beside it, or .vmx) into converted disks and NAME.cfg.
 *
 * The work is in import/: the source (import.h), the readers (vm.h) and
 * the plan (plan.h).  This file parses the options, prints the plan (the
 * summary of what was mapped), every warning, and the config, and exits
 * 0 on success, 1 on any error, 2 on bad usage. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/util.h"
#include "import/import.h"
#include "import/ova.h"
#include "import/plan.h"
#include "import/vm.h"
#include "xl/xl.h"

static volatile int import_cancel;

static void on_signal(int sig)
{
    (void)sig;
    import_cancel = 1;
}

/* Progress on a terminal: "\r  converting: 45%". */
static void on_progress(void *opaque, uint64_t done, uint64_t total)
{
    int *last = opaque;
    int pct = total ? (int)(done * 100 / total) : 100;
    if (pct == *last)
        return;
    *last = pct;
    fprintf(stderr, "\r  converting: %3d%%%s", pct, pct == 100 ? "\n" : "");
}

static bool ends_with_ci(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcasecmp(s + a - b, suf) == 0;
}

static size_t count_sev(const vxl_diags *d, enum vxl_severity sev)
{
    size_t n = 0;
    for (size_t i = 0; i < d->n; i++)
        n += d->v[i].sev == sev;
    return n;
}

/* Read the descriptor and parse it into one VM per virtual system. */
static int read_vms(struct vimport_source *src, struct vimport_vm **vms,
                    size_t *nvms, vxl_diags *d)
{
    char *buf;
    size_t len;
    int rc = vimport_source_read(src, src->main, VIMPORT_MAX_DESC, &buf, &len, d);
    if (rc < 0)
        return rc;
    if (ends_with_ci(src->main, ".vmx")) {
        *vms = xcalloc(1, sizeof **vms);
        rc = vimport_vmx_parse(buf, len, src->main, *vms, d);
        *nvms = rc == 0 ? 1 : 0;
        if (rc < 0) {
            free(*vms);
            *vms = NULL;
        }
    } else {
        rc = vimport_ovf_parse(buf, len, src->main, vms, nvms, d);
    }
    free(buf);
    return rc;
}

int main_import(int argc, char **argv)
{
    static const struct option opts[] = {
        { "output", 1, 0, 'o' },
        { "format", 1, 0, 'F' },
        { "name", 1, 0, 256 },
        { "bridge", 1, 0, 257 },
        { "dry-run", 0, 0, 'n' },
        { "help", 0, 0, 'h' },
        { 0 }
    };
    struct vimport_opts o = { .outdir = ".", .format = "qcow2" };
    bool dry = vxl_g.dryrun;
    int opt;

    opterr = 0;
    optind = 0;
    while ((opt = getopt_long(argc, argv, "o:F:nh", opts, NULL)) != -1) {
        switch (opt) {
        case 'o': o.outdir = optarg; break;
        case 'F': o.format = optarg; break;
        case 256: o.name = optarg; break;
        case 257: o.bridge = optarg; break;
        case 'n': dry = true; break;
        case 'h':
            help("import");
            return 0;
        default:
            if (optopt)
                fprintf(stderr, "option `%c' not supported.\n", optopt);
            else
                fprintf(stderr, "option `%s' not supported.\n",
                        argv[optind - 1]);
            return 2;
        }
    }
    if (argc - optind != 1) {
        fprintf(stderr, "'vxl import' requires one SOURCE (.ova, .ovf or "
                ".vmx).\n\n");
        help("import");
        return 2;
    }
    if (strcmp(o.format, "qcow2") != 0 && strcmp(o.format, "raw") != 0) {
        fprintf(stderr, "vxl import: --format must be qcow2 or raw, not "
                "'%s'\n", o.format);
        return 2;
    }
    if (o.name && !*o.name) {
        fprintf(stderr, "vxl import: --name must not be empty\n");
        return 2;
    }
    const char *source = argv[optind];

    vxl_diags d = { 0 };
    struct vimport_source *src = NULL;
    struct vimport_vm *vms = NULL;
    size_t nvms = 0;
    int rc = vimport_source_open(source, &src, &d);
    if (rc == 0)
        rc = read_vms(src, &vms, &nvms, &d);
    if (rc < 0) {
        report_diags(&d);
        vxl_diags_free(&d);
        vimport_source_close(src);
        return EXIT_FAILURE;
    }

    struct vimport_plan *plans = xcalloc(nvms, sizeof *plans);
    size_t nplans = 0;
    int failed = 0;
    size_t written = 0;
    for (size_t i = 0; i < nvms; i++) {
        rc = vimport_plan_build(&vms[i], source, &o, i, nvms, &plans[nplans], &d);
        if (rc < 0) {
            failed = 1;
            continue;
        }
        if (vimport_plan_inspect(src, &plans[nplans], &d) < 0)
            failed = 1;
        /* two systems may not share a name */
        for (size_t j = 0; j < nplans; j++)
            if (strcmp(plans[j].name, plans[nplans].name) == 0) {
                vxl_diag_add(&d, VXL_ERROR, src->main, 0, 0,
                             "give --name to number them", "two virtual "
                             "systems are both named '%s'", plans[j].name);
                failed = 1;
            }
        nplans++;
    }

    for (size_t i = 0; i < nplans; i++) {
        struct vimport_plan *p = &plans[i];
        printf("%s %s (%zu of %zu in %s):\n", dry ? "Plan for" : "Importing",
               p->name, i + 1, nvms, source);
        for (size_t k = 0; k < p->nsummary; k++)
            printf("  %s\n", p->summary[k]);
        printf("  config: %s\n", p->cfg_path);
        if (dry) {
            char *text = vimport_cfg_render(p);
            printf("--- %s.cfg ---\n%s--- end ---\n", p->name, text);
            free(text);
        }
    }
    fflush(stdout);

    if (!dry && !failed) {
        struct sigaction sa = { .sa_handler = on_signal }, old_int, old_term;
        sigaction(SIGINT, &sa, &old_int);
        sigaction(SIGTERM, &sa, &old_term);
        for (size_t i = 0; i < nplans && !failed; i++) {
            int last = -1;
            bool tty = isatty(STDERR_FILENO);
            if (vimport_plan_execute(src, &plans[i], tty ? on_progress : NULL,
                                     &last, &import_cancel, &d) < 0)
                failed = 1;
            else {
                printf("wrote %s\n", plans[i].cfg_path);
                written++;
            }
        }
        /* an OVA's manifest also covers members no disk was converted
         * from (ISO images, NVRAM): verify those now */
        if (!failed && src->kind == VIMPORT_SRC_OVA &&
            vimport_ova_verify_rest(src, &d) < 0)
            failed = 1;
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
    }
    report_diags(&d);
    size_t nw = count_sev(&d, VXL_WARNING), ne = count_sev(&d, VXL_ERROR);
    if (nw || ne)
        fprintf(stderr, "vxl import: %zu warning%s, %zu error%s%s\n", nw,
                nw == 1 ? "" : "s", ne, ne == 1 ? "" : "s",
                ne && !written ? "; nothing was written" : "");
    for (size_t i = 0; i < nplans; i++)
        vimport_plan_dispose(&plans[i]);
    free(plans);
    vimport_vms_free(vms, nvms);
    vimport_source_close(src);
    vxl_diags_free(&d);
    return failed || ne ? EXIT_FAILURE : 0;
}

/* xl/vcpu.c — the vcpu-* command family.
 *
 * vcpu-pin: `vxl -N vcpu-pin DOMAIN VCPU|all HARD|- [SOFT|-]' parses the
 * CPU maps and prints them as xl 4.17 does ("cpumap: HARD [SOFT]\n"),
 * over the host's CPUs (VXL_HOST, cfgparse/host.h).  Pinning a running
 * domain is not implemented yet. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfgparse/cpumap.h"
#include "cfgparse/host.h"
#include "common/util.h"
#include "xl/xl.h"

/* A domain given as a number (xl also takes names, which need a running
 * toolstack to resolve).  0, or -1 after printing xl's message. */
static int domain_arg(const char *p, unsigned long *domid)
{
    char *end;
    *domid = strtoul(p, &end, 10);
    if (*p && !*end && *p != '-')
        return 0;
    fprintf(stderr, "%s is an invalid domain identifier (rc=-6)\n", p);
    return -1;
}

/* Parse one map argument into *map; prints errors.  0 or -1. */
static int parse_map(const char *s, const struct vxl_host *host,
                     vxl_bitmap *map)
{
    vxl_diags d = {0};
    int rc = vxl_parse_cpumap(s, host, map, &d);
    report_diags(&d);
    vxl_diags_free(&d);
    return rc;
}

static void print_map(const vxl_bitmap *map, int nr_cpus)
{
    char *s = vxl_cpumap_format(map, nr_cpus);
    fputs(s, stdout);
    free(s);
}

int main_vcpupin(int argc, char **argv)
{
    static const struct option opts[] = {
        { "force", 0, 0, 'f' },
        { "ignore-global-affinity-masks", 0, 0, 'i' },
        { "help", 0, 0, 'h' },
        { 0 }
    };
    struct vxl_host host;
    vxl_bitmap hard, soft;
    bool force = false, has_hard, has_soft;
    unsigned long domid;
    int opt, rc = EXIT_FAILURE;

    /* xl's def_getopt: no argument permutation, -h helps, an unknown
     * option or too few arguments exit 2 */
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "+hfi", opts, NULL)) != -1) {
        switch (opt) {
        case 'f': force = true; break;
        case 'i': break;    /* global masks are applied by create only */
        case 'h': help("vcpu-pin"); return 0;
        default:
            if (optopt == 'h') {
                help("vcpu-pin");
                return 0;
            }
            fprintf(stderr, "option `%c' not supported.\n", optopt);
            return 2;
        }
    }
    if (argc - optind < 3) {
        fprintf(stderr, "'vxl vcpu-pin' requires at least 3 arguments.\n\n");
        help("vcpu-pin");
        return 2;
    }
    if (domain_arg(argv[optind], &domid))
        return EXIT_FAILURE;

    const char *vcpu = argv[optind + 1];
    const char *hard_str = argv[optind + 2];
    const char *soft_str = argc > optind + 3 ? argv[optind + 3] : NULL;
    char *end;
    long vcpuid = strtol(vcpu, &end, 10);
    if (end == vcpu || vcpuid < 0) {
        if (strcmp(vcpu, "all")) {
            fprintf(stderr, "Error: Invalid argument %s as VCPU.\n", vcpu);
            return EXIT_FAILURE;
        }
        if (force) {
            fprintf(stderr, "Error: --force and 'all' as VCPU not allowed.\n");
            return EXIT_FAILURE;
        }
    }

    vxl_diags d = {0};
    if (vxl_host_detect(&host, &d)) {
        report_diags(&d);
        vxl_diags_free(&d);
        return EXIT_FAILURE;
    }
    vxl_diags_free(&d);

    vxl_bitmap_init(&hard);
    vxl_bitmap_init(&soft);
    vxl_bitmap_alloc(&hard, host.nr_cpus);
    vxl_bitmap_alloc(&soft, host.nr_cpus);
    has_hard = strcmp(hard_str, "-") != 0;
    has_soft = soft_str && strcmp(soft_str, "-") != 0;
    if (has_hard && parse_map(hard_str, &host, &hard))
        goto out;
    if (has_soft && parse_map(soft_str, &host, &soft))
        goto out;

    if (!vxl_g.dryrun) {
        fprintf(stderr, "vxl vcpu-pin: pinning a running domain is not "
                "supported yet (use -N to check the maps)\n");
        goto out;
    }
    fputs("cpumap: ", stdout);
    if (has_hard)
        print_map(&hard, host.nr_cpus);
    else
        fputs("-", stdout);
    if (has_soft) {
        fputs(" ", stdout);
        print_map(&soft, host.nr_cpus);
    }
    fputs("\n", stdout);
    if (ferror(stdout) || fflush(stdout)) {
        perror("stdout");
        goto out;
    }
    rc = EXIT_SUCCESS;
out:
    vxl_bitmap_dispose(&hard);
    vxl_bitmap_dispose(&soft);
    return rc;
}

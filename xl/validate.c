/* xl/validate.c — `vxl validate [options] <ConfigFile> [vars]': parse a
 * config as create does, then check its disks and boot files against
 * this host (pipeline/validate.c) without creating anything.  Every
 * problem is printed (file:line:col: error: disk `SPEC': ...); exit 0
 * when there are only warnings, 1 on any error (or the status create
 * would have for a config that does not parse). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfgparse/cfg.h"
#include "cfgparse/model.h"
#include "common/util.h"
#include "pipeline/pipeline.h"
#include "xl/xl.h"

int main_validate(int argc, char **argv)
{
    static const struct option opts[] = {
        { "quiet", 0, 0, 'q' },
        { "convert", 0, 0, 256 },
        { "snapshot", 0, 0, 257 },
        { "help", 0, 0, 'h' },
        { 0 }
    };
    const char *file = NULL;
    char *extra = NULL;
    bool quiet = false, convert = false, snapshot = false;
    int opt, rc;

    if (argc > 1 && argv[1][0] != '-' && !strchr(argv[1], '=')) {
        file = argv[1];             /* as create: the file may come first */
        argc--;
        argv++;
    }
    opterr = 0;
    optind = 0;
    while ((opt = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
        switch (opt) {
        case 'q': quiet = true; break;
        case 256: convert = true; break;
        case 257: snapshot = true; break;
        case 'h':
            help("validate");
            return 0;
        default:
            fprintf(stderr, "option `%c' not supported.\n", optopt);
            return 2;
        }
    }
    for (; optind < argc; optind++) {
        if (strchr(argv[optind], '=')) {
            char *n = xasprintf("%s%s\n", extra ? extra : "", argv[optind]);
            free(extra);
            extra = n;
        } else if (!file) {
            file = argv[optind];
        } else {
            help("validate");
            free(extra);
            return 2;
        }
    }
    if (!file) {
        help("validate");
        free(extra);
        return 2;
    }

    vxl_diags diags = {0};
    vxl_domain_config d;
    cfg_config *cfg = NULL;

    vxl_domain_config_init(&d);
    rc = xl_load_config(file, extra, quiet, false, &cfg, &d, &diags);
    if (!rc)
        rc = xl_validate_disks(cfg, &d, xl_backend_name(), convert, snapshot,
                               NULL, &diags) ? 1 : 0;
    report_diags(&diags);
    if (!rc && !quiet)
        fprintf(stderr, "%s: %d disk%s checked, %zu warning%s\n", file,
                d.num_disks, d.num_disks == 1 ? "" : "s",
                diags.n, diags.n == 1 ? "" : "s");
    vxl_diags_free(&diags);
    cfg_destroy(cfg);
    vxl_domain_config_dispose(&d);
    free(extra);
    return rc;
}

/* xl/block.c — the block-* command family.
 *
 * block-attach: `vxl -N block-attach DOMAIN SPEC...' parses the disk spec
 * (its arguments are scanned in turn into one disk, as xl does) and prints
 * the disk as libxl JSON, exactly like xl 4.17.  Attaching to a running
 * domain is not implemented yet. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cfgparse/disk_spec.h"
#include "cfgparse/json.h"
#include "xl/xl.h"

/* A domain given as a number (names need a running toolstack). */
static int domain_arg(const char *p)
{
    char *end;
    (void)strtoul(p, &end, 10);
    if (*p && !*end && *p != '-')
        return 0;
    fprintf(stderr, "%s is an invalid domain identifier\n", p);
    return -1;
}

int main_blockattach(int argc, char **argv)
{
    int opt;
    vxl_device_disk disk;
    vxl_diags d = {0};
    int rc = EXIT_FAILURE;

    while ((opt = def_getopt(argc, argv, "", "block-attach", 2)) != -1)
        return 2;       /* no options: def_getopt exits on bad ones */
    if (domain_arg(argv[optind]))
        return EXIT_FAILURE;
    optind++;

    vxl_device_disk_init(&disk);
    if (vxl_parse_disk_spec(argc - optind, (const char *const *)argv + optind,
                            &vxl_loc_cmdline, &disk, &d)) {
        report_diags(&d);
        goto out;
    }
    report_diags(&d);   /* warnings */
    if (disk.vxl_format) {
        /* vxl's format=vmdk|vdi extension needs create --convert */
        fprintf(stderr, "command line: error: disk specification: "
                "format=%s is not a format libxl can use; only `vxl create "
                "--convert' accepts it\n", disk.vxl_format);
        goto out;
    }

    if (!vxl_g.dryrun) {
        fprintf(stderr, "vxl block-attach: attaching to a running domain is "
                "not supported yet (use -N to check the spec)\n");
        goto out;
    }
    char *json = vxl_device_disk_to_json(&disk);
    printf("disk: %s\n", json);
    free(json);
    if (ferror(stdout) || fflush(stdout)) {
        perror("stdout");
        exit(255);
    }
    rc = EXIT_SUCCESS;
out:
    vxl_diags_free(&d);
    vxl_device_disk_dispose(&disk);
    return rc;
}

/* xl/network.c — the network-* command family.
 *
 * network-attach: `vxl -N network-attach DOMAIN [KEY=VALUE...]' parses
 * each argument as one vif setting (xl-network-configuration(5)) on top
 * of xl.conf's vif defaults, and prints the vif as libxl JSON, exactly
 * like xl 4.17.  Attaching to a running domain is not implemented yet. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cfgparse/json.h"
#include "cfgparse/vif_spec.h"
#include "cfgparse/xlconf.h"
#include "xl/xl.h"

int main_networkattach(int argc, char **argv)
{
    int opt;
    vxl_device_nic nic;
    struct vxl_xlconf xlconf;
    vxl_diags d = {0};
    int rc = EXIT_FAILURE;
    char *end;

    while ((opt = def_getopt(argc, argv, "", "network-attach", 1)) != -1)
        return 2;       /* no options: def_getopt exits on bad ones */
    (void)strtoul(argv[optind], &end, 10);
    if (!*argv[optind] || *end || *argv[optind] == '-') {
        fprintf(stderr, "%s is an invalid domain identifier (rc=-6)\n",
                argv[optind]);
        return EXIT_FAILURE;
    }

    if (vxl_xlconf_load(&xlconf, &d)) {
        report_diags(&d);
        vxl_diags_free(&d);
        return EXIT_FAILURE;
    }
    vxl_device_nic_init(&nic);
    vxl_nic_set_defaults(&nic, &xlconf);
    for (int i = optind + 1; i < argc; i++)
        if (vxl_parse_nic_token(&nic, argv[i], &vxl_loc_cmdline, false, &d)) {
            report_diags(&d);
            goto out;
        }
    report_diags(&d);   /* warnings */

    if (!vxl_g.dryrun) {
        fprintf(stderr, "vxl network-attach: attaching to a running domain "
                "is not supported yet (use -N to check the spec)\n");
        goto out;
    }
    char *json = vxl_device_nic_to_json(&nic);
    printf("vif: %s\n", json);
    free(json);
    if (ferror(stdout) || fflush(stdout)) {
        perror("stdout");
        exit(255);
    }
    rc = EXIT_SUCCESS;
out:
    vxl_diags_free(&d);
    vxl_device_nic_dispose(&nic);
    vxl_xlconf_dispose(&xlconf);
    return rc;
}

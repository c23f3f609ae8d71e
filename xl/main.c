/* xl/main.c — vxl's entry point: global options, command dispatch. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xl/xl.h"

struct vxl_globals vxl_g;

void report_diags(const vxl_diags *d)
{
    vxl_diags_print(d, stderr);
}

void help(const char *command)
{
    const struct cmd_spec *cmd = command ? cmd_find(command) : NULL;

    if (!cmd) {
        printf("Usage vxl [-vfN] [--backend=xen|qemu] <subcommand> [args]\n\n");
        printf("vxl full list of subcommands:\n\n");
        for (int i = 0; i < cmd_table_len; i++)
            printf(" %-19s ", cmd_table[i].name),
            printf("%s\n", cmd_table[i].summary);
        return;
    }
    printf("Usage: vxl [-v%s] %s %s\n\n%s.\n\n", cmd->dryrun_ok ? "N" : "",
           cmd->name, cmd->usage, cmd->summary);
    if (cmd->help)
        printf("Options:\n\n%s\n", cmd->help);
}

int def_getopt(int argc, char **argv, const char *opts, const char *cmd,
               int min_args)
{
    static const struct option noopts[] = { { "help", 0, 0, 'h' }, { 0 } };
    char optstring[64];
    int opt;

    /* as xl: "h" is always an option, an unsupported one exits 2, and
     * arguments are not permuted (xl never re-initialises getopt after
     * its own "+..." scan of the global options) */
    snprintf(optstring, sizeof(optstring), "+h%s", opts);
    opterr = 0;
    opt = getopt_long(argc, argv, optstring, noopts, NULL);
    if (opt == 'h' || (opt == '?' && optopt == 'h')) {
        help(cmd);
        exit(0);
    }
    if (opt == '?') {
        fprintf(stderr, "option `%c' not supported.\n", optopt);
        exit(2);
    }
    if (opt == -1 && argc - optind < min_args) {
        fprintf(stderr, "'vxl %s' requires at least %d argument%s.\n\n", cmd,
                min_args, min_args > 1 ? "s" : "");
        help(cmd);
        exit(2);
    }
    return opt;
}

int main_help(int argc, char **argv)
{
    help(argc > 1 ? argv[1] : NULL);
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option long_opts[] = {
        { "help", 0, 0, 'h' },
        { "backend", 1, 0, 'B' },
        { 0 }
    };
    int opt;

    vxl_g.backend = getenv("VXL_BACKEND");
    /* '+': stop at the first non-option, the command name */
    while ((opt = getopt_long(argc, argv, "+vfNhtT", long_opts, NULL)) >= 0) {
        switch (opt) {
        case 'v': vxl_g.verbose++; break;
        case 'f': vxl_g.force = true; break;
        case 'N': vxl_g.dryrun = true; break;
        case 't': case 'T': break;   /* xl's progress/timestamp flags: accepted */
        case 'B': vxl_g.backend = optarg; break;
        case 'h': help(NULL); return 0;
        default:
            fprintf(stderr, "unknown global option\n");
            return 2;
        }
    }
    if (optind >= argc) {
        help(NULL);
        return 1;
    }
    const char *name = argv[optind];
    const struct cmd_spec *cmd = cmd_find(name);
    if (!cmd) {
        fprintf(stderr, "command not implemented\n");
        return 1;
    }
    if (vxl_g.dryrun && !cmd->dryrun_ok) {
        fprintf(stderr, "command does not implement -N (dryrun) option\n");
        return 1;
    }
    argc -= optind;
    argv += optind;
    optind = 0;   /* reset getopt for the command (glibc: 0 = full reinit) */
    return cmd->fn(argc, argv);
}

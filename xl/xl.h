/* xl/xl.h — the command-line layer: global options and the command table.
 *
 * This is the only layer that prints or exits.  Libraries report errors as
 * return codes plus vxl_diags; commands print them and choose the exit
 * status, which follows xl's: 0 on success, 1 on failure (EXIT_FAILURE),
 * and xl's other statuses where a command has them. */
#ifndef VXL_XL_H
#define VXL_XL_H

#include <stdbool.h>
#include "common/diag.h"

struct vxl_globals {
    int verbose;            /* -v, repeatable */
    bool dryrun;            /* -N */
    bool force;             /* -f */
    const char *backend;    /* --backend= or VXL_BACKEND; NULL = default */
};
extern struct vxl_globals vxl_g;

struct cmd_spec {
    const char *name;
    int (*fn)(int argc, char **argv);
    bool dryrun_ok;         /* may run under -N */
    const char *summary;
    const char *usage;      /* "<ConfigFile> [options] [vars]" */
    const char *help;       /* option lines, may be NULL */
};

const struct cmd_spec *cmd_find(const char *name);
extern const struct cmd_spec cmd_table[];
extern const int cmd_table_len;
void help(const char *command);

/* Print a library's diagnostics to stderr. */
void report_diags(const vxl_diags *d);

/* getopt helper in xl's style: handles -h, reports unknown options. */
int def_getopt(int argc, char **argv, const char *opts, const char *cmd,
               int min_args);

/* commands, one family per file */
int main_create(int argc, char **argv);         /* xl/create.c */
int main_blockattach(int argc, char **argv);    /* xl/block.c */
int main_networkattach(int argc, char **argv);  /* xl/network.c */
int main_vcpupin(int argc, char **argv);        /* xl/vcpu.c */
int main_img(int argc, char **argv);            /* xl/img.c */
int main_help(int argc, char **argv);           /* xl/main.c */

#endif

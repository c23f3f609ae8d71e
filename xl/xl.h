/* xl/xl.h — the command-line layer: global options and the command table.
 *
 * This is the only layer that prints or exits.  Libraries report errors as
 * return codes plus vxl_diags; commands print them and choose the exit
 * status, which follows xl's: 0 on success, 1 on failure (EXIT_FAILURE),
 * and xl's other statuses where a command has them. */
#ifndef VXL_XL_H
#define VXL_XL_H

#include <stdbool.h>
#include <stdint.h>
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

/* getopt helper in xl's style: -h prints help (exit 0), an unsupported
 * option or too few arguments exit 2; returns the next option, -1 at the
 * end. */
int def_getopt(int argc, char **argv, const char *opts, const char *cmd,
               int min_args);

/* commands, one family per file */
int main_create(int argc, char **argv);         /* xl/create.c */
int main_blockattach(int argc, char **argv);    /* xl/block.c */
int main_networkattach(int argc, char **argv);  /* xl/network.c */
int main_vcpupin(int argc, char **argv);        /* xl/vcpu.c */
int main_img(int argc, char **argv);            /* xl/img.c */
int main_help(int argc, char **argv);           /* xl/main.c */
int main_list(int argc, char **argv);           /* xl/domain.c */
int main_destroy(int argc, char **argv);
int main_shutdown(int argc, char **argv);
int main_reboot(int argc, char **argv);
int main_pause(int argc, char **argv);
int main_unpause(int argc, char **argv);
int main_domid(int argc, char **argv);
int main_domname(int argc, char **argv);
int main_rename(int argc, char **argv);
int main_uptime(int argc, char **argv);
int main_console(int argc, char **argv);        /* xl/console.c */
int main_info(int argc, char **argv);           /* xl/info.c */

/* xl/create.c, shared with validate: read and parse a config as create
 * does (xl.conf, host, "Parsing config from" unless quiet, overrides,
 * affinity masks unless ignore_masks).  *cfg_out is set even on failure
 * (cfg_destroy it).  Exit status. */
struct cfg_config;
struct vxl_domain_config;
struct vxl_disk_facts;
int xl_load_config(const char *file, const char *extra, bool quiet,
                   bool ignore_masks, struct cfg_config **cfg_out,
                   struct vxl_domain_config *d, vxl_diags *diags);
/* The name of the backend a domain command would use ("qemu", "xen"). */
const char *xl_backend_name(void);
/* vxl_validate with the running domains' disks.  0 or -EINVAL. */
int xl_validate_disks(const struct cfg_config *cfg,
                      const struct vxl_domain_config *d, const char *backend,
                      bool convert, bool snapshot,
                      struct vxl_disk_facts **facts, vxl_diags *diags);
int main_validate(int argc, char **argv);       /* xl/validate.c */
int main_import(int argc, char **argv);         /* xl/import.c */

/* The backend chosen by --backend / VXL_BACKEND / the host (xl/domain.c);
 * prints why under -v.  NULL (after printing the error) on failure. */
struct vxl_backend;
struct vxl_backend *xl_backend_open(void);
/* A domain argument (name or id) → id; prints xl's error.  0 or -errno. */
int xl_find_domain(struct vxl_backend *b, const char *arg, uint32_t *domid);
/* Attach the terminal to a domain's console (xl/console.c); with
 * `unpause', unpause the domain once connected (create -c).  Exit status. */
int xl_console_attach(struct vxl_backend *b, uint32_t domid, int type,
                      int num, bool unpause);

#endif

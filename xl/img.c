/* xl/img.c — `vxl img <command>`: dispatch, help and helpers shared by the
 * image subcommands (xl/img_*.c).  The commands follow qemu-img 7.2. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "disk/imgopt.h"
#include "xl/img.h"
#include "xl/xl.h"

static const struct {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *syntax;
} img_cmds[] = {
    { "check", img_check, "check [-q] [-f fmt] [--output=ofmt] [-r [leaks | all]] filename" },
    { "commit", img_commit, "commit [-q] [-f fmt] [-b base] [-d] [-p] filename" },
    { "compare", img_compare, "compare [-f fmt] [-F fmt] [-p] [-q] [-s] filename1 filename2" },
    { "convert", img_convert, "convert [-c] [-p] [-q] [-n] [-f fmt] [-O output_fmt] [-B backing_file [-F backing_fmt]] [-o options] [-S sparse_size] [-m num_workers] [-W] [--target-is-zero] filename [filename2 [...]] output_filename" },
    { "create", img_create, "create [-q] [-f fmt] [-b backing_file [-F backing_fmt]] [-u] [-o options] filename [size]" },
    { "info", img_info, "info [-f fmt] [--output=ofmt] [--backing-chain] filename" },
    { "map", img_map, "map [-f fmt] [--start-offset=offset] [--max-length=len] [--output=ofmt] filename" },
    { "measure", img_measure, "measure [--output=ofmt] [-O output_fmt] [-o options] [--size N | [-f fmt] filename]" },
    { "snapshot", img_snapshot, "snapshot [-q] [-l | -a snapshot | -c snapshot | -d snapshot] filename" },
    { "rebase", img_rebase, "rebase [-q] [-f fmt] [-p] [-u] -b backing_file [-F backing_fmt] filename" },
    { "resize", img_resize, "resize [-f fmt] [--preallocation=prealloc] [-q] [--shrink] filename [+ | -]size" },
};

static void img_help(void)
{
    printf("usage: vxl img command [command options]\n"
           "Disk image utility (qemu-img compatible)\n\n"
           "Command syntax:\n");
    for (size_t i = 0; i < ARRAY_SIZE(img_cmds); i++)
        printf("  %s\n", img_cmds[i].syntax);
    printf("\nCommand parameters:\n"
           "  'filename' is a disk image filename\n"
           "  'fmt' is the disk image format. It is guessed automatically in most cases\n"
           "  'size' is the disk image size in bytes. Optional suffixes\n"
           "    'k' or 'K' (kilobyte, 1024), 'M' (megabyte, 1024k), 'G' (gigabyte, 1024M),\n"
           "    'T' (terabyte, 1024G), 'P' (petabyte, 1024T) and 'E' (exabyte, 1024P)  are\n"
           "    supported. 'b' is ignored.\n"
           "  'options' is a comma separated list of format specific options in a\n"
           "    name=value format. Use -o help for an overview of the options supported by\n"
           "    the used format\n"
           "  '-c' indicates that target image must be compressed (qcow2 only)\n"
           "  '-u' unsafe: rebase assumes old and new backing files match; create does\n"
           "       not open the backing file\n"
           "  '-p' show progress of command (only certain commands)\n"
           "  '-q' use Quiet mode - do not print any output (except errors)\n"
           "  '-S' the consecutive number of bytes (defaults to 4k) that must contain only\n"
           "       zeros for a sparse output; 0 disables scanning (fully allocated output)\n"
           "  '-m' number of parallel workers for convert (default 8, capped at the CPUs)\n"
           "  '--output' takes the format in which the output must be done (human or json)\n"
           "  '-n' skips the target volume creation\n\n"
           "Parameters to check subcommand:\n"
           "  '-r' tries to repair any inconsistencies that are found during the check.\n"
           "       '-r leaks' repairs only cluster leaks, whereas '-r all' fixes all\n"
           "       kinds of errors.\n\n"
           "Parameters to snapshot subcommand:\n"
           "  '-a' applies a snapshot, '-c' creates one, '-d' deletes one, '-l' lists\n\n"
           "Parameters to compare subcommand:\n"
           "  '-f' first image format\n"
           "  '-F' second image format\n"
           "  '-s' run in Strict mode - fail on different image size or sector allocation\n\n"
           "Supported formats:");
    for (size_t i = 0; vdisk_drivers[i]; i++)
        printf(" %s", vdisk_drivers[i]->name);
    printf("\n");
}

int main_img(int argc, char **argv)
{
    if (argc < 2) {
        img_error("Not enough arguments");
        fprintf(stderr, "Try 'vxl img --help' for more information\n");
        return 1;
    }
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
        !strcmp(argv[1], "help")) {
        img_help();
        return 0;
    }
    for (size_t i = 0; i < ARRAY_SIZE(img_cmds); i++) {
        if (!strcmp(argv[1], img_cmds[i].name)) {
            optind = 0;
            return img_cmds[i].fn(argc - 1, argv + 1);
        }
    }
    static const char *const later[] = { "amend", "bench", "bitmap", "dd" };
    for (size_t i = 0; i < ARRAY_SIZE(later); i++) {
        if (!strcmp(argv[1], later[i])) {
            img_error("'%s' is not yet supported", argv[1]);
            return 1;
        }
    }
    img_error("Command not found: %s", argv[1]);
    fprintf(stderr, "Try 'vxl img --help' for more information\n");
    return 1;
}

void img_error(const char *fmt, ...)
{
    va_list ap;

    fflush(stdout);
    fputs("vxl img: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int img_usage_error(const char *fmt, ...)
{
    va_list ap;

    fflush(stdout);
    fputs("vxl img: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\nTry 'vxl img --help' for more information\n", stderr);
    return 1;
}

int img_bad_option(int opt, int optopt_c, const char *arg)
{
    if (opt == ':')
        return img_usage_error("option '%s' requires an argument", arg);
    if (optopt_c)
        return img_usage_error("invalid option -- '%c'", optopt_c);
    return img_usage_error("unrecognized option '%s'", arg);
}

int img_parse_output(const char *s, enum img_ofmt *out)
{
    if (!strcmp(s, "json")) {
        *out = OFMT_JSON;
        return 0;
    }
    if (!strcmp(s, "human")) {
        *out = OFMT_HUMAN;
        return 0;
    }
    img_error("--output must be used with human or json as argument.");
    return -1;
}

struct vdisk *img_open(const char *path, const char *fmt, unsigned flags)
{
    struct vdisk_open_opts o = { .format = fmt, .flags = flags };
    struct vdisk_err err = {0};
    struct vdisk *d = NULL;

    if (fmt && !vdisk_driver_find(fmt)) {
        img_error("Unknown file format '%s'", fmt);
        return NULL;
    }
    if (vdisk_open(path, &o, &d, &err) < 0) {
        img_error("Could not open '%s': %s", path, err.msg);
        return NULL;
    }
    return d;
}

int img_close(struct vdisk *d)
{
    struct vdisk_err err = {0};

    if (vdisk_close(d, &err) < 0) {
        img_error("%s", err.msg);
        return -1;
    }
    return 0;
}

char *img_size_str(uint64_t v)
{
    return imgopt_size_to_str(v);
}

void img_print_report(const vxl_diags *d)
{
    /* qemu's drivers print these lines bare ("Leaked cluster 5 ..."):
     * keep the text, without a severity prefix */
    fflush(stdout);
    for (size_t i = 0; d && i < d->n; i++)
        fprintf(stderr, "%s\n", d->v[i].msg);
}

static volatile int *sig_flag;

static void on_signal(int sig)
{
    (void)sig;
    if (sig_flag)
        *sig_flag = 1;
}

void img_catch_signals(volatile int *flag)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sig_flag = flag;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

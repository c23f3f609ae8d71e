/* xl/create.c — `vxl create [options] [cfg] [key=value...]', with xl's
 * option parsing (xl_vmcontrol.c main_create) and create_domain's path up
 * to the dry-run output:
 *
 *   - the config file is the first argument when it is not an option and
 *     holds no '=', or -f FILE, or the first later argument without '=';
 *     arguments with '=' are extra settings, joined with "\n" and parsed
 *     after the file (cfg_readdata_extra);
 *   - "/dev/null" is an empty config (the settings come from arguments);
 *   - "Parsing config from FILE" on stderr unless -q;
 *   - with -n or the global -N: the domain config as libxl's JSON on
 *     stdout; with -d (no dry run): the same on stderr.
 *   - the random uuid of a config without one comes from the semantics
 *     (vxl_parse_domain_config, as xl's parse_config_data); an explicit
 *     nil uuid stays nil (and is not printed), as in xl.
 *
 * Exit statuses are xl's: 0; 2 for bad usage; 3 when the file cannot be
 * read (-ERROR_FAIL); 6 with no config file at all (-ERROR_INVAL); the
 * status vxl_parse_domain_config reports for a rejected config; 3 when the
 * backend fails to create the domain (libxl's ERROR_FAIL).
 *
 * Without a dry run the domain goes to the selected backend (--backend,
 * $VXL_BACKEND, or the host's default): -p leaves it paused, -c attaches
 * the console (the domain starts paused and runs once attached, as xl's
 * autoconnect), -F keeps the monitor in the foreground, -e starts none,
 * -V/-A only warn (no viewer is started). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "backend/backend.h"
#include "cfgparse/cfg.h"
#include "cfgparse/domain.h"
#include "cfgparse/host.h"
#include "cfgparse/json.h"
#include "cfgparse/model.h"
#include "cfgparse/xlconf.h"
#include "xl/xl.h"

#define ERROR_FAIL  (-3)
#define ERROR_INVAL (-6)

struct create_opts {
    const char *config_file;
    char *extra_config;         /* "k=v\n" per argument, or NULL */
    bool dryrun, debug, quiet, ignore_masks;
    bool paused, console, foreground, no_monitor, vnc;   /* -p -c -F -e -V/-A */
};

/* Read the config text; returns 0 or an xl (negative) error code. */
static int read_config(const struct create_opts *o, cfg_config *cfg,
                       vxl_diags *diags)
{
    const char *file = o->config_file;
    strbuf sb = {0};

    if (strcmp(file, "/dev/null")) {
        FILE *f = fopen(file, "rb");
        if (!f) {
            fprintf(stderr, "Failed to read config file: %s: %s\n", file,
                    strerror(errno));
            return ERROR_FAIL;
        }
        char buf[8192];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, f)) > 0)
            sb_append(&sb, buf, n);
        int err = ferror(f) ? errno : 0;
        fclose(f);
        if (err) {
            fprintf(stderr, "Failed to read config file: %s: %s\n", file,
                    strerror(err));
            sb_free(&sb);
            return ERROR_FAIL;
        }
    }

    if (!o->quiet)
        fprintf(stderr, "Parsing config from %s\n", file);

    const char *extra = o->extra_config;
    int rc = cfg_readdata_extra(cfg, sb.s ? sb.s : "", sb.len,
                                extra, extra ? strlen(extra) : 0, NULL,
                                diags);
    sb_free(&sb);
    return rc ? 1 : 0;
}

static int print_json(const vxl_domain_config *d, FILE *out)
{
    char *json = vxl_domain_config_to_json(d);
    if (!json) {
        fprintf(stderr, "Failed to convert domain configuration to JSON\n");
        return 1;
    }
    fputs(json, out);
    free(json);
    if (fflush(out) || ferror(out)) {
        perror("stdout");
        return 1;
    }
    return 0;
}

/* Hand the parsed domain to the selected backend (xl's
 * libxl_domain_create_new and what follows it).  Exit status. */
static int create_on_backend(const struct create_opts *o,
                             const vxl_domain_config *d, vxl_diags *diags)
{
    struct vxl_backend *b = xl_backend_open();
    if (!b)
        return 1;

    char *json = vxl_domain_config_to_json(d);
    vxl_create_opts co = {
        /* -c: start paused, unpause once the console is attached */
        .paused = o->paused || o->console,
        .foreground = o->foreground,
        .no_monitor = o->no_monitor,
        .config_file = o->config_file,
        .config_json = json,
    };
    uint32_t domid = 0;
    int rc = backend_create(b, d, &co, &domid, diags);
    free(json);
    if (rc) {
        /* libxl_domain_create_new failed: xl exits with -ERROR_FAIL (the
         * caller prints the backend's diagnostics) */
        vxl_backend_close(b);
        return -ERROR_FAIL;
    }
    if (o->vnc)
        fprintf(stderr, "vxl create: -V/-A: no VNC viewer is started; "
                "connect a viewer to the domain's VNC display\n");
    rc = 0;
    if (o->console)
        rc = xl_console_attach(b, domid, VXL_CONSOLE_TYPE_UNKNOWN, 0,
                               !o->paused);
    vxl_backend_close(b);
    return rc;
}

static int create_domain(const struct create_opts *o)
{
    vxl_diags diags = {0};
    struct vxl_host host;
    struct vxl_xlconf xlconf;
    vxl_domain_config d;
    cfg_config *cfg = NULL;
    int rc;

    vxl_domain_config_init(&d);
    memset(&xlconf, 0, sizeof(xlconf));

    /* xl reads xl.conf before dispatching any command */
    if (vxl_xlconf_load(&xlconf, &diags)) {
        rc = 1;
        goto out;
    }
    if (vxl_host_detect(&host, &diags)) {
        rc = 1;
        goto out;
    }

    cfg = cfg_init(strcmp(o->config_file, "/dev/null") ? o->config_file
                                                        : "command line");
    rc = read_config(o, cfg, &diags);
    if (rc < 0) {
        rc = -rc;
        goto out;
    }
    if (rc) {
        /* libxlu's syntax errors: xl's parse_config_data exits 1 */
        rc = 1;
        goto out;
    }

    rc = vxl_parse_domain_config(cfg, &host, &xlconf, &d, &diags);
    if (rc)
        goto out;
    if (!o->ignore_masks) {
        rc = vxl_apply_global_affinity_masks(cfg, &d, &host, &xlconf,
                                             &diags);
        if (rc)
            goto out;
    }
    if (o->dryrun || o->debug) {
        report_diags(&diags);       /* warnings come before the output */
        vxl_diags_free(&diags);
        rc = print_json(&d, o->dryrun ? stdout : stderr);
        if (rc || o->dryrun)
            goto out;
    }

    report_diags(&diags);           /* the parser's warnings first */
    vxl_diags_free(&diags);
    rc = create_on_backend(o, &d, &diags);

out:
    report_diags(&diags);
    vxl_diags_free(&diags);
    cfg_destroy(cfg);
    vxl_domain_config_dispose(&d);
    vxl_xlconf_dispose(&xlconf);
    return rc;
}

static void append_extra(char **acc, const char *s)
{
    char *n = xasprintf("%s%s\n", *acc ? *acc : "", s);
    free(*acc);
    *acc = n;
}

int main_create(int argc, char **argv)
{
    static const struct option opts[] = {
        { "defconfig", 1, 0, 'f' },
        { "dryrun", 0, 0, 'n' },
        { "ignore-global-affinity-masks", 0, 0, 'i' },
        { "quiet", 0, 0, 'q' },
        { "vncviewer", 0, 0, 'V' },
        { "vncviewer-autopass", 0, 0, 'A' },
        { "help", 0, 0, 'h' },
        { 0 }
    };
    struct create_opts o = { .dryrun = vxl_g.dryrun };
    int opt, rc;

    if (argc > 1 && argv[1][0] != '-' && !strchr(argv[1], '=')) {
        o.config_file = argv[1];
        argc--;
        argv++;
    }

    opterr = 0;
    optind = 0;
    while ((opt = getopt_long(argc, argv, "AFVcdef:inpqh", opts, NULL)) != -1) {
        switch (opt) {
        case 'f': o.config_file = optarg; break;
        case 'n': o.dryrun = true; break;
        case 'd': o.debug = true; break;
        case 'q': o.quiet = true; break;
        case 'i': o.ignore_masks = true; break;
        case 'p': o.paused = true; break;
        case 'c': o.console = true; break;
        case 'F': o.foreground = true; break;
        case 'e': o.no_monitor = true; break;
        case 'A': case 'V': o.vnc = true; break;
        case 'h':
            help("create");
            return 0;
        default:
            if (optopt == 'h') {
                help("create");
                return 0;
            }
            fprintf(stderr, "option `%c' not supported.\n", optopt);
            return 2;
        }
    }

    for (; optind < argc; optind++) {
        if (strchr(argv[optind], '=')) {
            append_extra(&o.extra_config, argv[optind]);
        } else if (!o.config_file) {
            o.config_file = argv[optind];
        } else {
            help("create");
            free(o.extra_config);
            return 2;
        }
    }

    if (!o.config_file) {
        fprintf(stderr, "Config file not specified and none in save file\n");
        free(o.extra_config);
        return -ERROR_INVAL;
    }

    rc = create_domain(&o);
    free(o.extra_config);
    return rc;
}

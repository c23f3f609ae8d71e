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
 *     stdout (on the xen backend: libxl_domain_config_to_json() of the
 *     config translated for libxl); with -d (no dry run): the model's
 *     JSON on stderr.
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
#include <unistd.h>

#include "common/util.h"
#include "backend/backend.h"
#include "cfgparse/cfg.h"
#include "cfgparse/domain.h"
#include "cfgparse/host.h"
#include "cfgparse/json.h"
#include "cfgparse/model.h"
#include "cfgparse/xlconf.h"
#include "pipeline/pipeline.h"
#include "xl/xl.h"

#define ERROR_FAIL  (-3)
#define ERROR_INVAL (-6)

struct create_opts {
    const char *config_file;
    char *extra_config;         /* "k=v\n" per argument, or NULL */
    bool dryrun, debug, quiet, ignore_masks;
    bool paused, console, foreground, no_monitor, vnc;   /* -p -c -F -e -V/-A */
    const char *convert;        /* --convert[=FMT]: "qcow2"/"raw", or NULL */
    bool snapshot;              /* --snapshot */
};

/* Read the config text; returns 0 or an xl (negative) error code. */
static int read_config(const char *file, const char *extra, bool quiet,
                       cfg_config *cfg, vxl_diags *diags)
{
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

    if (!quiet)
        fprintf(stderr, "Parsing config from %s\n", file);

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

/* The dry run's JSON.  On the xen backend it is libxl's own
 * libxl_domain_config_to_json() of the config translated for libxl (the
 * backend checks it equals the model's JSON); elsewhere the model's.
 * When the xen backend is chosen but cannot be had (a build without
 * libxl, a host without Xen: libxl_ctx_alloc fails) the dry run still
 * works, as it always has: it prints the model's JSON — the same text by
 * construction — and says so under -v.  (xl -N would fail there.) */
static int print_dryrun_json(const vxl_domain_config *d, FILE *out)
{
    vxl_backend_choice ch;
    vxl_diags diags = {0};
    struct vxl_backend *b = NULL;
    char *json = NULL;
    int rc;

    if (vxl_backend_choose(vxl_g.backend, &ch, &diags) == 0 &&
        strcmp(ch.name, "xen")) {
        vxl_diags_free(&diags);
        return print_json(d, out);
    }
    if (diags.n == 0 && vxl_backend_open(&ch, &b, &diags) == 0) {
        rc = b->ops->translate_json
             ? b->ops->translate_json(b, d, &json, &diags) : -ENOTSUP;
        vxl_backend_close(b);
        report_diags(&diags);
        vxl_diags_free(&diags);
        if (rc) {
            fprintf(stderr, "Failed to convert domain configuration to "
                    "JSON\n");
            return 1;
        }
        if (vxl_g.verbose)
            fprintf(stderr, "vxl: dry run: libxl's JSON of the config "
                    "translated by the xen backend\n");
        fputs(json, out);
        free(json);
        if (fflush(out) || ferror(out)) {
            perror("stdout");
            return 1;
        }
        return 0;
    }
    if (vxl_g.verbose) {
        char *why = diags.n ? vxl_diag_format(&diags.v[diags.n - 1]) : NULL;
        fprintf(stderr, "vxl: dry run: the model's JSON (the xen backend "
                "is not available: %s)\n", why ? why : "?");
        free(why);
    }
    vxl_diags_free(&diags);
    return print_json(d, out);
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

int xl_load_config(const char *file, const char *extra, bool quiet,
                   bool ignore_masks, cfg_config **cfg_out,
                   vxl_domain_config *d, vxl_diags *diags)
{
    struct vxl_host host;
    struct vxl_xlconf xlconf;
    cfg_config *cfg;
    int rc;

    memset(&xlconf, 0, sizeof(xlconf));
    *cfg_out = NULL;
    /* xl reads xl.conf before dispatching any command */
    if (vxl_xlconf_load(&xlconf, diags)) {
        rc = 1;
        goto out;
    }
    if (vxl_host_detect(&host, diags)) {
        rc = 1;
        goto out;
    }

    cfg = cfg_init(strcmp(file, "/dev/null") ? file : "command line");
    *cfg_out = cfg;
    rc = read_config(file, extra, quiet, cfg, diags);
    if (rc < 0) {
        rc = -rc;
        goto out;
    }
    if (rc) {
        /* libxlu's syntax errors: xl's parse_config_data exits 1 */
        rc = 1;
        goto out;
    }

    rc = vxl_parse_domain_config(cfg, &host, &xlconf, d, diags);
    if (rc)
        goto out;
    if (!ignore_masks)
        rc = vxl_apply_global_affinity_masks(cfg, d, &host, &xlconf, diags);
out:
    vxl_xlconf_dispose(&xlconf);
    return rc;
}

const char *xl_backend_name(void)
{
    vxl_backend_choice ch;
    vxl_diags tmp = {0};
    static char name[16];

    if (vxl_backend_choose(vxl_g.backend, &ch, &tmp) == 0)
        snprintf(name, sizeof name, "%s", ch.name);
    else
        snprintf(name, sizeof name, "%s",
                 vxl_g.backend && !strcmp(vxl_g.backend, "qemu") ? "qemu"
                                                                 : "xen");
    vxl_diags_free(&tmp);
    return name;
}

int xl_validate_disks(const cfg_config *cfg, const vxl_domain_config *d,
                      const char *backend, bool convert, bool snapshot,
                      vxl_disk_facts **facts, vxl_diags *diags)
{
    vxl_inuse_disk *inuse = NULL;
    size_t ninuse = 0;
    vxl_diags tmp = {0};

    /* running domains are best effort: no state is no conflict */
    vxl_inuse_disks(NULL, &inuse, &ninuse, &tmp);
    vxl_diags_free(&tmp);
    /* a domain of the same name: the backend refuses the name itself */
    size_t keep = 0;
    for (size_t i = 0; i < ninuse; i++) {
        if (d->c_info.name && !strcmp(inuse[i].domname, d->c_info.name)) {
            free(inuse[i].domname);
            free(inuse[i].path);
            free(inuse[i].format);
            continue;
        }
        inuse[keep++] = inuse[i];
    }
    ninuse = keep;
    vxl_validate_opts vo = {
        .cfg = cfg, .backend = backend, .convert = convert,
        .snapshot = snapshot, .inuse = inuse, .ninuse = ninuse,
    };
    int rc = vxl_validate(d, &vo, facts, diags);
    vxl_inuse_disks_free(inuse, ninuse);
    return rc;
}

/* Disks declared format=vmdk|vdi (vxl's extension) without --convert:
 * what xl rejects as an unknown format, with the way out. */
static int extension_formats(const cfg_config *cfg, const vxl_domain_config *d,
                             vxl_diags *diags)
{
    int rc = 0;
    for (int i = 0; i < d->num_disks; i++) {
        const char *f = d->disks[i].vxl_format;
        cfg_pos pos;
        const char *spec;
        if (!f)
            continue;
        vxl_disk_where(cfg, d, i, &pos, &spec);
        vxl_diag_add(diags, VXL_ERROR, pos.file, pos.line, pos.col,
                     "vxl create --convert converts it to qcow2 before the "
                     "domain starts", "disk `%s': format=%s: libxl can't "
                     "use %s images", spec, f, f);
        rc = 1;
    }
    return rc;
}

/* The disk pipeline of a create: validate, convert, overlay.  fds gets
 * the overlays' fds (d->num_disks entries) to keep open while the
 * backend starts the domain.  Exit status. */
static int disk_pipeline(const struct create_opts *o, const cfg_config *cfg,
                         vxl_domain_config *d, int *fds, vxl_diags *diags)
{
    vxl_disk_facts *facts = NULL;
    int rc;

    if (o->dryrun && !o->convert)   /* xl's -n, nothing more */
        return extension_formats(cfg, d, diags);
    rc = xl_validate_disks(cfg, d, xl_backend_name(), o->convert != NULL,
                           o->snapshot && !o->dryrun, &facts, diags);
    if (rc)
        goto out;
    if (o->convert) {
        char *cache = vxl_convert_cache_dir();
        rc = vxl_pipeline_convert(d, cfg, facts, o->convert, cache,
                                  o->dryrun, diags);
        free(cache);
        if (rc)
            goto out;
        if (!o->dryrun) {
            /* the converted images are new targets: check them (their
             * errors only: a reused conversion may be in use) */
            vxl_diags again = {0};
            xl_validate_disks(cfg, d, xl_backend_name(), true,
                              o->snapshot, NULL, &again);
            for (size_t i = 0; i < again.n; i++) {
                const vxl_diag *g = &again.v[i];
                if (g->sev == VXL_ERROR)
                    vxl_diag_add(diags, VXL_ERROR, g->file, g->line, g->col,
                                 g->hint, "%s", g->msg);
            }
            rc = again.nerrors ? 1 : 0;
            vxl_diags_free(&again);
            if (rc)
                goto out;
        }
    }
    if (!o->dryrun)     /* --snapshot, or disks with `snapshot' */
        rc = vxl_pipeline_snapshot(d, cfg, o->snapshot, facts, fds, diags);
out:
    free(facts);
    /* what libxl's late failure would have been: xl's -ERROR_FAIL, 3 */
    return rc ? 3 : 0;
}

static int create_domain(const struct create_opts *o)
{
    vxl_diags diags = {0};
    vxl_domain_config d;
    cfg_config *cfg = NULL;
    int *fds = NULL;
    int rc;

    vxl_domain_config_init(&d);
    rc = xl_load_config(o->config_file, o->extra_config, o->quiet,
                        o->ignore_masks, &cfg, &d, &diags);
    if (rc)
        goto out;
    fds = xmalloc((d.num_disks ? d.num_disks : 1) * sizeof *fds);
    for (int i = 0; i < d.num_disks; i++)
        fds[i] = -1;
    rc = disk_pipeline(o, cfg, &d, fds, &diags);
    if (rc)
        goto out;
    if (o->dryrun || o->debug) {
        report_diags(&diags);       /* warnings come before the output */
        vxl_diags_free(&diags);
        rc = o->dryrun ? print_dryrun_json(&d, stdout)
                       : print_json(&d, stderr);
        if (rc || o->dryrun)
            goto out;
    }

    report_diags(&diags);           /* the parser's warnings first */
    vxl_diags_free(&diags);
    rc = create_on_backend(o, &d, &diags);

out:
    report_diags(&diags);
    vxl_diags_free(&diags);
    for (int i = 0; fds && i < d.num_disks; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    free(fds);
    cfg_destroy(cfg);
    vxl_domain_config_dispose(&d);
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
        { "convert", 2, 0, 256 },       /* vxl: docs/disk-pipeline.md */
        { "snapshot", 0, 0, 257 },
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
        case 256:
            o.convert = optarg ? optarg : "qcow2";
            if (strcmp(o.convert, "qcow2") && strcmp(o.convert, "raw")) {
                fprintf(stderr, "vxl create: --convert=%s: the target format "
                        "is qcow2 or raw\n", o.convert);
                return 2;
            }
            break;
        case 257: o.snapshot = true; break;
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

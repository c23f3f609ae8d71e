/* xl/img_create.c — `vxl img create`, `resize`, `commit` and `rebase`:
 * the commands that make or modify images, as qemu-img 7.2 has them. */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/util.h"
#include "disk/imgopt.h"
#include "xl/img.h"

/* qemu's cvtnum() messages for a size argument */
static int parse_size_arg(const char *what, const char *s, uint64_t *out)
{
    uint64_t v;
    int rc = imgopt_parse_size(s, &v);

    if (rc < 0 && rc != -ERANGE) {
        img_error("Invalid %s specified. You may use k, M, G, T, P or E suffixes for", what);
        img_error("kilobytes, megabytes, gigabytes, terabytes, petabytes and exabytes.");
        return -1;
    }
    if (rc == -ERANGE || v > INT64_MAX) {
        img_error("Invalid %s specified. Must be between 0 and %lld.", what,
                  (long long)INT64_MAX);
        return -1;
    }
    *out = v;
    return 0;
}

static void print_create_help(const char *fmt)
{
    const char *const *names = vdisk_create_opts_names(fmt);

    printf("Supported %s options:\n", fmt);
    for (size_t i = 0; names && names[i]; i++)
        printf("  %s\n", names[i]);
}

static bool format_has_option(const char *fmt, const char *opt)
{
    const char *const *names = vdisk_create_opts_names(fmt);

    for (size_t i = 0; names && names[i]; i++)
        if (!strcmp(names[i], opt))
            return true;
    return false;
}

/* ---------------------------------------------------------------- */
/* create                                                            */

int img_create(int argc, char **argv)
{
    static const struct option lopts[] = {
        { "help", 0, 0, 'h' }, { "object", 1, 0, OPT_OBJECT }, { 0 }
    };
    const char *fmt = "raw", *base = NULL, *base_fmt = NULL, *filename;
    strbuf opts = {0};
    bool quiet = false, unsafe = false;
    uint64_t size = 0;
    bool size_set = false;
    int c, ret = 1;
    struct vdisk_create_opts co;
    struct vdisk_err err = {0};

    opterr = 0;
    while ((c = getopt_long(argc, argv, ":F:b:f:ho:qu", lopts, NULL)) != -1) {
        switch (c) {
        case 'h': printf("Usage: vxl img create [-q] [-f fmt] [-b backing_file [-F backing_fmt]] [-u] [-o options] filename [size]\n"); sb_free(&opts); return 0;
        case 'F': base_fmt = optarg; break;
        case 'b': base = optarg; break;
        case 'f': fmt = optarg; break;
        case 'o':
            if (opts.len)
                sb_putc(&opts, ',');
            sb_puts(&opts, optarg);
            break;
        case 'q': quiet = true; break;
        case 'u': unsafe = true; break;
        case OPT_OBJECT:
            img_error("--object is not supported");
            sb_free(&opts);
            return 1;
        default:
            sb_free(&opts);
            return img_bad_option(c, optopt, argv[optind - 1]);
        }
    }
    filename = optind < argc ? argv[optind] : NULL;
    if (opts.len && (!strcmp(opts.s, "help") || !strcmp(opts.s, "?"))) {
        if (!vdisk_driver_find(fmt)) {
            img_error("Unknown file format '%s'", fmt);
            sb_free(&opts);
            return 1;
        }
        print_create_help(fmt);
        sb_free(&opts);
        return 0;
    }
    if (!filename) {
        sb_free(&opts);
        return img_usage_error("Expecting image file name");
    }
    optind++;
    if (optind < argc) {
        if (parse_size_arg("image size", argv[optind++], &size) < 0) {
            sb_free(&opts);
            return 1;
        }
        size_set = true;
    }
    if (optind != argc) {
        sb_free(&opts);
        return img_usage_error("Unexpected argument: %s", argv[optind]);
    }
    if (!vdisk_driver_find(fmt)) {
        img_error("%s: Unknown file format '%s'", filename, fmt);
        sb_free(&opts);
        return 1;
    }

    vdisk_create_opts_init(&co, fmt);
    if (opts.len && vdisk_create_opts_parse(&co, opts.s, &err) < 0) {
        img_error("%s: %s", filename, err.msg);
        goto out;
    }
    if (base) {
        free(co.backing_file);
        co.backing_file = xstrdup(base);
        co.set |= VDISK_OPT_BACKING;
    }
    if (base_fmt) {
        free(co.backing_format);
        co.backing_format = xstrdup(base_fmt);
        co.set |= VDISK_OPT_BACKING_FMT;
    }
    if (size_set) {
        co.size = size;
        co.size_set = true;
    }
    if (co.backing_file && !format_has_option(fmt, "backing_file")) {
        img_error("%s: Backing file not supported for file format '%s'", filename, fmt);
        goto out;
    }
    if (co.backing_file && !co.backing_format && !strcmp(fmt, "vpc")) {
        /* a differencing VHD's parent is a VHD: nothing to probe */
        co.backing_format = xstrdup("vpc");
        co.set |= VDISK_OPT_BACKING_FMT;
    }
    if (co.backing_file && !co.backing_format) {
        /* qemu 7.2: probing a backing format is refused at creation */
        const char *probed = NULL;
        char *full = NULL;
        if (co.backing_file[0] != '/') {
            char *dirc = xstrdup(filename);
            full = xasprintf("%s/%s", dirname(dirc), co.backing_file);
            free(dirc);
        }
        img_error("%s: Backing file specified without backing format", filename);
        if (!unsafe && vdisk_probe(full ? full : co.backing_file, &probed, NULL) == 0)
            fprintf(stderr, "Detected format of %s.\n", probed);
        free(full);
        goto out;
    }
    if (!co.size_set && !co.backing_file) {
        img_error("%s: Image creation needs a size parameter", filename);
        goto out;
    }
    if (!co.size_set && unsafe) {
        img_error("%s: Image creation needs a size parameter", filename);
        goto out;
    }
    if (!co.size_set) {         /* the backing file's size, as qemu-img */
        char *dirc = xstrdup(filename);
        char *full = co.backing_file[0] == '/' ? xstrdup(co.backing_file)
                     : xasprintf("%s/%s", dirname(dirc), co.backing_file);
        struct vdisk_open_opts bo = { .format = co.backing_format,
                                      .flags = VDISK_NO_BACKING };
        struct vdisk *b = NULL;
        int brc = vdisk_open(full, &bo, &b, &err);
        free(dirc);
        free(full);
        if (brc < 0) {
            img_error("%s: Could not open backing image: %s", filename, err.msg);
            goto out;
        }
        co.size = vdisk_size(b);
        co.size_set = true;
        vdisk_close(b, NULL);
    }
    if (!quiet) {
        char *desc = vdisk_create_opts_describe(&co);
        printf("Formatting '%s', %s\n", filename, desc);
        fflush(stdout);
        free(desc);
    }
    if (vdisk_create(filename, &co, &err) < 0) {
        img_error("%s: %s", filename, err.msg);
        goto out;
    }
    ret = 0;
out:
    vdisk_create_opts_dispose(&co);
    sb_free(&opts);
    return ret;
}

/* ---------------------------------------------------------------- */
/* resize                                                            */

int img_resize(int argc, char **argv)
{
    static const struct option lopts[] = {
        { "help", 0, 0, 'h' }, { "shrink", 0, 0, OPT_SHRINK },
        { "preallocation", 1, 0, OPT_PREALLOC }, { 0 }
    };
    const char *fmt = NULL, *size_s, *filename;
    enum vdisk_prealloc prealloc = VDISK_PREALLOC_OFF;
    bool quiet = false, shrink = false;
    int c, relative = 0, ret = 1;

    if (argc < 3)
        return img_usage_error("Not enough arguments");
    /* the size may be "-1G": take it off before getopt sees it */
    size_s = argv[--argc];
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":f:hq", lopts, NULL)) != -1) {
        switch (c) {
        case 'h': printf("Usage: vxl img resize [-f fmt] [--preallocation=prealloc] [-q] [--shrink] filename [+ | -]size\n"); return 0;
        case 'f': fmt = optarg; break;
        case 'q': quiet = true; break;
        case OPT_SHRINK: shrink = true; break;
        case OPT_PREALLOC:
            if (!strcmp(optarg, "off")) prealloc = VDISK_PREALLOC_OFF;
            else if (!strcmp(optarg, "metadata")) prealloc = VDISK_PREALLOC_METADATA;
            else if (!strcmp(optarg, "falloc")) prealloc = VDISK_PREALLOC_FALLOC;
            else if (!strcmp(optarg, "full")) prealloc = VDISK_PREALLOC_FULL;
            else {
                img_error("Invalid preallocation mode: '%s'", optarg);
                return 1;
            }
            break;
        default: return img_bad_option(c, optopt, argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return img_usage_error("Expecting image file name and size");
    filename = argv[optind];
    if (size_s[0] == '+' || size_s[0] == '-') {
        relative = size_s[0] == '+' ? 1 : -1;
        size_s++;
    }
    uint64_t n;
    if (imgopt_parse_size(size_s, &n) < 0) {
        img_error("Parameter 'size' expects a non-negative number below 2^64");
        fprintf(stderr, "Optional suffix k, M, G, T, P or E means kilo-, mega-, "
                "giga-, tera-, peta-\nand exabytes, respectively.\n");
        return 1;
    }
    struct vdisk *d = img_open(filename, fmt, VDISK_RDWR | VDISK_PROBE_BACKING);
    if (!d)
        return 1;
    uint64_t cur = vdisk_size(d);
    int64_t total;
    if (relative > 0)
        total = (int64_t)(cur + n);
    else if (relative < 0)
        total = (int64_t)cur - (int64_t)n;
    else
        total = (int64_t)n;
    struct vdisk_err err = {0};
    if (total <= 0) {
        img_error("New image size must be positive");
    } else if ((uint64_t)total <= cur && prealloc != VDISK_PREALLOC_OFF) {
        img_error("Preallocation can only be used for growing images");
    } else if ((uint64_t)total < cur && !shrink) {
        img_error("Use the --shrink option to perform a shrink operation.");
        img_error("warning: Shrinking an image will delete all data beyond the "
                  "shrunken image's end. Before performing such an operation, "
                  "make sure there is no important data there.");
    } else if (vdisk_truncate(d, (uint64_t)total, shrink ? VDISK_TRUNC_SHRINK : 0,
                              prealloc, &err) < 0) {
        img_error("%s", err.msg);
    } else {
        ret = 0;
    }
    if (img_close(d) < 0)
        ret = 1;
    if (ret == 0 && !quiet)
        printf("Image resized.\n");
    return ret;
}

/* ---------------------------------------------------------------- */
/* commit and rebase: copy loops over block status                   */

#define COPY_BUF (1u << 20)

static bool same_inode(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 &&
           sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

int img_commit(int argc, char **argv)
{
    static const struct option lopts[] = {
        { "help", 0, 0, 'h' }, { 0 }
    };
    const char *fmt = NULL, *base_name = NULL, *filename;
    bool quiet = false, drop = false;
    int c, ret = 1;

    opterr = 0;
    while ((c = getopt_long(argc, argv, ":f:ht:b:dpqr:", lopts, NULL)) != -1) {
        switch (c) {
        case 'h': printf("Usage: vxl img commit [-q] [-f fmt] [-b base] [-d] [-p] filename\n"); return 0;
        case 'f': fmt = optarg; break;
        case 'b': base_name = optarg; drop = true; break;   /* -b implies -d */
        case 'd': drop = true; break;
        case 'q': quiet = true; break;
        case 't': case 'p': break;
        case 'r':
            img_error("commit -r (rate limit) is not yet supported");
            return 1;
        default: return img_bad_option(c, optopt, argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return img_usage_error("Expecting one image file name");
    filename = argv[optind];

    struct vdisk *top = img_open(filename, fmt, VDISK_RDWR | VDISK_PROBE_BACKING);
    struct vdisk *base = NULL, *b;
    uint8_t *buf = NULL;
    int depth = 1;
    if (!top)
        return 1;
    b = vdisk_backing(top);
    if (!b) {
        img_error("Image does not have a backing file");
        goto out;
    }
    if (base_name) {
        for (; b; b = vdisk_backing(b), depth++)
            if (same_inode(vdisk_filename(b), base_name))
                break;
        if (!b) {
            img_error("Did not find '%s' in the backing chain of '%s'", base_name, filename);
            goto out;
        }
    }
    base = img_open(vdisk_filename(b), vdisk_format(b), VDISK_RDWR | VDISK_PROBE_BACKING);
    if (!base)
        goto out;
    struct vdisk_err err = {0};
    uint64_t size = vdisk_size(top), off = 0;
    if (vdisk_size(base) < size &&
        vdisk_truncate(base, size, 0, VDISK_PREALLOC_OFF, &err) < 0) {
        img_error("%s", err.msg);
        goto out;
    }
    buf = xmalloc(COPY_BUF);
    while (off < size) {
        struct vdisk_extent e;
        if (vdisk_block_status(top, off, size - off, true, &e, &err) < 0) {
            img_error("%s", err.msg);
            goto out;
        }
        if (e.depth < depth && (e.flags & VDISK_EXT_ALLOCATED)) {
            if (e.flags & VDISK_EXT_ZERO) {
                if (vdisk_pwrite_zeroes(base, off, e.len, 0, &err) < 0) {
                    img_error("%s", err.msg);
                    goto out;
                }
            } else {
                for (uint64_t p = 0; p < e.len;) {
                    size_t n = e.len - p < COPY_BUF ? e.len - p : COPY_BUF;
                    if (vdisk_pread(top, buf, n, off + p, &err) < 0 ||
                        vdisk_pwrite(base, buf, n, off + p, &err) < 0) {
                        img_error("%s", err.msg);
                        goto out;
                    }
                    p += n;
                }
            }
        }
        off += e.len;
    }
    if (img_close(base) < 0) {
        base = NULL;
        goto out;
    }
    base = NULL;
    if (!drop && vdisk_make_empty(top, &err) < 0) {
        img_error("Could not empty %s: %s", filename, err.msg);
        goto out;
    }
    ret = 0;
out:
    free(buf);
    if (base)
        img_close(base);
    if (img_close(top) < 0)
        ret = 1;
    if (ret == 0 && !quiet)
        printf("Image committed.\n");
    return ret;
}

/* Read [off, off+n) of d, or zeros past its end. */
static int read_or_zero(struct vdisk *d, uint8_t *buf, size_t n, uint64_t off,
                        struct vdisk_err *err)
{
    uint64_t size = d ? vdisk_size(d) : 0;

    if (off >= size) {
        memset(buf, 0, n);
        return 0;
    }
    if (off + n > size) {
        memset(buf + (size - off), 0, n - (size - off));
        n = size - off;
    }
    return vdisk_pread(d, buf, n, off, err);
}

int img_rebase(int argc, char **argv)
{
    static const struct option lopts[] = {
        { "help", 0, 0, 'h' }, { "force-share", 0, 0, 'U' }, { 0 }
    };
    const char *fmt = NULL, *nb = NULL, *nb_fmt = NULL, *filename;
    bool unsafe = false, quiet = false;
    int c, ret = 1;

    opterr = 0;
    while ((c = getopt_long(argc, argv, ":hf:F:b:upt:T:qU", lopts, NULL)) != -1) {
        switch (c) {
        case 'h': printf("Usage: vxl img rebase [-q] [-f fmt] [-p] [-u] -b backing_file [-F backing_fmt] filename\n"); return 0;
        case 'f': fmt = optarg; break;
        case 'F': nb_fmt = optarg; break;
        case 'b': nb = optarg; break;
        case 'u': unsafe = true; break;
        case 'q': quiet = true; break;
        case 'p': case 't': case 'T': case 'U': break;
        default: return img_bad_option(c, optopt, argv[optind - 1]);
        }
    }
    (void)quiet;
    if (optind != argc - 1)
        return img_usage_error("Expecting one image file name");
    if (!nb)
        return img_usage_error("Must specify backing file (-b) or use unsafe mode (-u)");
    filename = argv[optind];
    if (!*nb)
        nb = NULL;              /* -b "": no backing file */

    /* the new backing name is relative to the image's directory */
    char *nb_path = NULL;
    if (nb) {
        char *dirc = xstrdup(filename);
        nb_path = nb[0] == '/' ? xstrdup(nb) : xasprintf("%s/%s", dirname(dirc), nb);
        free(dirc);
        if (!nb_fmt) {
            if (vdisk_probe(nb_path, &nb_fmt, NULL) < 0) {
                img_error("Could not open new backing file '%s'", nb_path);
                free(nb_path);
                return 1;
            }
        }
    }
    struct vdisk *d = img_open(filename, fmt, VDISK_RDWR |
                               (unsafe ? VDISK_NO_BACKING : VDISK_PROBE_BACKING));
    struct vdisk *newb = NULL;
    uint8_t *b1 = NULL, *b2 = NULL;
    struct vdisk_err err = {0};
    if (!d)
        goto out;
    /* refused before any data is copied into the image, not after */
    if (vdisk_can_set_backing(d, nb, nb ? nb_fmt : NULL, &err) < 0) {
        img_error("Could not change the backing file to '%s': %s", nb ? nb : "", err.msg);
        goto out;
    }
    if (!unsafe) {
        if (nb) {
            struct vdisk_open_opts o = { .format = nb_fmt, .flags = VDISK_PROBE_BACKING };
            if (vdisk_open(nb_path, &o, &newb, &err) < 0) {
                img_error("Could not open new backing file '%s': %s", nb_path, err.msg);
                goto out;
            }
        }
        /* copy into d whatever differs between its old and new backing */
        uint64_t size = vdisk_size(d), off = 0;
        uint32_t g = vdisk_cluster_size(d) ? vdisk_cluster_size(d) : 65536;
        size_t bufsz = COPY_BUF >= g ? COPY_BUF / g * g : g;
        b1 = xmalloc(bufsz);
        b2 = xmalloc(bufsz);
        while (off < size) {
            struct vdisk_extent e;
            if (vdisk_block_status(d, off, size - off, false, &e, &err) < 0) {
                img_error("%s", err.msg);
                goto out;
            }
            if (!(e.flags & VDISK_EXT_ALLOCATED)) {
                for (uint64_t p = off; p < off + e.len;) {
                    uint64_t end = off + e.len;
                    size_t n = end - p < bufsz ? end - p : bufsz;
                    if (vdisk_pread(d, b1, n, p, &err) < 0 ||
                        read_or_zero(newb, b2, n, p, &err) < 0) {
                        img_error("error while reading: %s", err.msg);
                        goto out;
                    }
                    for (size_t q = 0; q < n; q += g) {
                        size_t m = n - q < g ? n - q : g;
                        if (memcmp(b1 + q, b2 + q, m) &&
                            vdisk_pwrite(d, b1 + q, m, p + q, &err) < 0) {
                            img_error("error while writing: %s", err.msg);
                            goto out;
                        }
                    }
                    p += n;
                }
            }
            off += e.len;
        }
    }
    if (vdisk_set_backing(d, nb, nb ? nb_fmt : NULL, &err) < 0) {
        img_error("Could not change the backing file to '%s': %s", nb ? nb : "", err.msg);
        goto out;
    }
    ret = 0;
out:
    free(b1);
    free(b2);
    free(nb_path);
    if (newb)
        vdisk_close(newb, NULL);
    if (d && img_close(d) < 0)
        ret = 1;
    return ret;
}

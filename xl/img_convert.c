/* xl/img_convert.c — `vxl img convert`: qemu-img 7.2's options and
 * messages in front of the conversion engine (disk/convert.c). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "disk/convert.h"
#include "disk/imgopt.h"
#include "xl/img.h"

#define MAX_SPARSE (32768u * 512u)      /* qemu's MAX_BUF_SECTORS */
#define MAX_COROUTINES 16

struct progress {
    double last;
    bool started;
};

/* qemu's "    (12.34/100%)\r", redrawn at every whole percent */
static void print_progress(void *opaque, uint64_t done, uint64_t total)
{
    struct progress *p = opaque;
    double pct = total ? done * 100.0 / total : 100.0;

    if (p->started && pct < p->last + 1.0 && pct < 100.0)
        return;
    if (p->started && pct == p->last)
        return;
    p->started = true;
    p->last = pct;
    printf("    (%3.2f/100%%)\r", pct);
    fflush(stdout);
}

int img_convert(int argc, char **argv)
{
    static const struct option lopts[] = {
        { "help", 0, 0, 'h' }, { "target-is-zero", 0, 0, OPT_TARGET_IS_ZERO },
        { "force-share", 0, 0, 'U' }, { "salvage", 0, 0, OPT_SALVAGE },
        { "bitmaps", 0, 0, OPT_BITMAPS }, { "image-opts", 0, 0, OPT_IMAGE_OPTS },
        { "target-image-opts", 0, 0, OPT_TARGET_IMAGE_OPTS },
        { "object", 1, 0, OPT_OBJECT }, { "skip-broken-bitmaps", 0, 0, OPT_SKIP_BROKEN },
        { 0 }
    };
    const char *fmt = NULL, *out_fmt = "raw", *backing = NULL, *backing_fmt = NULL;
    strbuf opts = {0};
    struct vconvert_opts co = { .min_sparse = VCONVERT_DEFAULT_MIN_SPARSE,
                                .workers = 8 };
    bool progress = false, quiet = false;
    int c, ret = 1;

    opterr = 0;
    while ((c = getopt_long(argc, argv, ":hf:O:B:CcF:o:l:S:pt:T:qnm:WUr:",
                            lopts, NULL)) != -1) {
        switch (c) {
        case 'h':
            printf("Usage: vxl img convert [-c] [-p] [-q] [-n] [-f fmt] [-O output_fmt] "
                   "[-B backing_file [-F backing_fmt]] [-o options] [-S sparse_size] "
                   "[-m num_workers] [-W] [--target-is-zero] filename [filename2 [...]] "
                   "output_filename\n");
            sb_free(&opts);
            return 0;
        case 'f': fmt = optarg; break;
        case 'O': out_fmt = optarg; break;
        case 'B': backing = optarg; break;
        case 'F': backing_fmt = optarg; break;
        case 'c': co.compress = true; break;
        case 't':   /* target cache mode; qemu-img's default is unsafe */
            if (!strcmp(optarg, "writeback") || !strcmp(optarg, "writethrough") ||
                !strcmp(optarg, "none") || !strcmp(optarg, "directsync")) {
                co.flush = true;
                co.direct = optarg[0] == 'n' || optarg[0] == 'd';
            } else if (strcmp(optarg, "unsafe")) {
                img_error("Invalid cache option: %s", optarg);
                goto out;
            }
            break;
        case 'C': case 'T': case 'U': break;   /* source cache/offload hints */
        case 'o':
            if (opts.len)
                sb_putc(&opts, ',');
            sb_puts(&opts, optarg);
            break;
        case 'l':
            img_error("convert -l (snapshot source) is not yet supported");
            goto out;
        case 'r':
            img_error("convert -r (rate limit) is not yet supported");
            goto out;
        case OPT_SALVAGE:
            img_error("convert --salvage is not yet supported");
            goto out;
        case OPT_BITMAPS: case OPT_SKIP_BROKEN:
            img_error("convert --bitmaps is not yet supported");
            goto out;
        case OPT_IMAGE_OPTS: case OPT_TARGET_IMAGE_OPTS: case OPT_OBJECT:
            img_error("--image-opts/--object are not supported");
            goto out;
        case 'S': {
            uint64_t v;
            if (imgopt_parse_size(optarg, &v) < 0 || v % 512 || v > MAX_SPARSE) {
                img_error("Invalid buffer size for sparse output specified. Valid "
                          "sizes are multiples of 512 up to %u. Select 0 to disable "
                          "sparse detection (fully allocates output).", MAX_SPARSE);
                goto out;
            }
            co.min_sparse = v;
            break;
        }
        case 'p': progress = true; break;
        case 'q': quiet = true; break;
        case 'n': co.no_create = true; break;
        case 'm': {
            char *end;
            long m = strtol(optarg, &end, 10);
            if (*end || m < 1 || m > MAX_COROUTINES) {
                img_error("Invalid number of coroutines. Allowed number of "
                          "coroutines is between 1 and %d", MAX_COROUTINES);
                goto out;
            }
            co.workers = (int)m;
            break;
        }
        case 'W': co.out_of_order = true; break;
        case OPT_TARGET_IS_ZERO: co.target_is_zero = true; break;
        default:
            sb_free(&opts);
            return img_bad_option(c, optopt, argv[optind - 1]);
        }
    }
    if (quiet)
        progress = false;
    if (argc - optind < 2) {
        sb_free(&opts);
        return img_usage_error("Must specify image file name");
    }
    if (co.target_is_zero && !co.no_create) {
        img_error("--target-is-zero requires use of -n flag");
        goto out;
    }
    if (backing && !backing_fmt && !strcmp(out_fmt, "vpc"))
        backing_fmt = "vpc";    /* a differencing VHD's parent is a VHD */
    if (backing && !backing_fmt) {
        img_error("Use of backing file requires explicit backing format");
        goto out;
    }
    if (co.no_create && backing) {
        img_error("-B makes no sense when skipping image creation (-n)");
        goto out;
    }
    if (co.no_create && opts.len)
        img_error("warning: -o has no effect when skipping image creation");
    if (fmt && !vdisk_driver_find(fmt)) {
        img_error("Unknown file format '%s'", fmt);
        goto out;
    }
    if (!vdisk_driver_find(out_fmt)) {
        img_error("Unknown file format '%s'", out_fmt);
        goto out;
    }

    struct vdisk_create_opts cr;
    struct vdisk_err err = {0};
    vdisk_create_opts_init(&cr, out_fmt);
    if (opts.len && !co.no_create && vdisk_create_opts_parse(&cr, opts.s, &err) < 0) {
        img_error("%s", err.msg);
        vdisk_create_opts_dispose(&cr);
        goto out;
    }
    if (backing) {
        free(cr.backing_file);
        free(cr.backing_format);
        cr.backing_file = xstrdup(backing);
        cr.backing_format = xstrdup(backing_fmt);
        cr.set |= VDISK_OPT_BACKING | VDISK_OPT_BACKING_FMT;
    }
    if (co.compress && (cr.set & VDISK_OPT_PREALLOC) &&
        cr.preallocation != VDISK_PREALLOC_OFF) {
        img_error("Compression and preallocation not supported at the same time");
        vdisk_create_opts_dispose(&cr);
        goto out;
    }
    if (co.compress && cr.data_file) {
        /* qemu-img fails at the first compressed write (after creating
         * the files); vxl refuses before creating anything */
        img_error("error while writing at byte 0: Operation not supported");
        vdisk_create_opts_dispose(&cr);
        goto out;
    }
    if (co.compress && strcmp(out_fmt, "qcow2") && strcmp(out_fmt, "qcow") &&
        strcmp(out_fmt, "vmdk")) {
        img_error("Compression not supported for this file format");
        vdisk_create_opts_dispose(&cr);
        goto out;
    }
    if (co.compress && !strcmp(out_fmt, "vmdk")) {
        /* as qemu-img: VMDK takes -c; only streamOptimized extents are
         * compressed, other sparse ones are written as usual, and flat
         * ones have no clusters to compress */
        const char *sf = cr.subformat ? cr.subformat : "monolithicSparse";
        if (!strcmp(sf, "monolithicFlat") || !strcmp(sf, "twoGbMaxExtentFlat")) {
            img_error("invalid cluster size");
            vdisk_create_opts_dispose(&cr);
            goto out;
        }
        if (strcmp(sf, "streamOptimized"))
            co.compress = false;
    }
    static volatile int cancel;
    struct progress pr = {0};
    co.src = (const char *const *)argv + optind;
    co.nsrc = (size_t)(argc - optind - 1);
    co.src_format = fmt;
    co.dst = argv[argc - 1];
    co.create = &cr;
    co.cancel = &cancel;
    if (progress) {
        co.progress = print_progress;
        co.progress_opaque = &pr;
        print_progress(&pr, 0, 1);
    }
    img_catch_signals(&cancel);
    int rc = vconvert(&co, &err);
    if (progress)
        printf("\n");
    if (rc < 0)
        img_error("%s", err.msg);
    else
        ret = 0;
    vdisk_create_opts_dispose(&cr);
out:
    sb_free(&opts);
    return ret;
}

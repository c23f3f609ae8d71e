/* xl/img_check.c — `vxl img check`, `map`, `compare` and `measure`, with
 * qemu-img 7.2's output text, JSON and exit codes. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "disk/imgopt.h"
#include "xl/img.h"
#include "xl/img_json.h"

/* ---------------------------------------------------------------- */
/* check                                                             */

static void check_human(const struct vdisk_check *c)
{
    if (!(c->corruptions || c->leaks || c->check_errors)) {
        printf("No errors were found on the image.\n");
    } else {
        if (c->corruptions)
            printf("\n%lld errors were found on the image.\n"
                   "Data may be corrupted, or further writes to the image "
                   "may corrupt it.\n", (long long)c->corruptions);
        if (c->leaks)
            printf("\n%lld leaked clusters were found on the image.\n"
                   "This means waste of disk space, but no harm to data.\n",
                   (long long)c->leaks);
        if (c->check_errors)
            printf("\n%lld internal errors have occurred during the check.\n",
                   (long long)c->check_errors);
    }
    if (c->total_clusters != 0 && c->allocated_clusters != 0)
        printf("%llu/%llu = %0.2f%% allocated, %0.2f%% fragmented, "
               "%0.2f%% compressed clusters\n",
               (unsigned long long)c->allocated_clusters,
               (unsigned long long)c->total_clusters,
               c->allocated_clusters * 100.0 / c->total_clusters,
               c->fragmented_clusters * 100.0 / c->allocated_clusters,
               c->compressed_clusters * 100.0 / c->allocated_clusters);
    if (c->image_end_offset)
        printf("Image end offset: %llu\n", (unsigned long long)c->image_end_offset);
}

static void check_json(const char *filename, const char *fmt,
                       const struct vdisk_check *c)
{
    struct ij *o = ij_obj();

    ij_set_str(o, "filename", filename);
    ij_set_str(o, "format", fmt);
    ij_set_int(o, "check-errors", c->check_errors);
#define OPT_INT(key, v) do { if (v) ij_set_int(o, key, (int64_t)(v)); } while (0)
    OPT_INT("corruptions", c->corruptions);
    OPT_INT("leaks", c->leaks);
    OPT_INT("corruptions-fixed", c->corruptions_fixed);
    OPT_INT("leaks-fixed", c->leaks_fixed);
    OPT_INT("image-end-offset", c->image_end_offset);
    OPT_INT("total-clusters", c->total_clusters);
    OPT_INT("allocated-clusters", c->allocated_clusters);
    OPT_INT("fragmented-clusters", c->fragmented_clusters);
    OPT_INT("compressed-clusters", c->compressed_clusters);
#undef OPT_INT
    ij_print(stdout, o);
    printf("\n");
    ij_free(o);
}

/* One pass of the library's check; prints its per-problem report.
 * Returns 0, or the negative errno of a check that could not run. */
static int run_check(struct vdisk *d, unsigned fix, struct vdisk_check *res,
                     struct vdisk_err *err)
{
    vxl_diags report = {0};
    int rc;

    memset(res, 0, sizeof(*res));
    rc = vdisk_check(d, fix, res, &report, err);
    img_print_report(&report);
    vxl_diags_free(&report);
    return rc;
}

int img_check(int argc, char **argv)
{
    static const struct option lopts[] = {
        { "help", 0, 0, 'h' }, { "format", 1, 0, 'f' },
        { "repair", 1, 0, 'r' }, { "output", 1, 0, OPT_OUTPUT },
        { "force-share", 0, 0, 'U' }, { 0 }
    };
    const char *fmt = NULL, *filename;
    enum img_ofmt ofmt = OFMT_HUMAN;
    unsigned fix = 0;
    bool quiet = false;
    int c, rc, ret;

    opterr = 0;
    while ((c = getopt_long(argc, argv, ":hf:r:T:qU", lopts, NULL)) != -1) {
        switch (c) {
        case 'h': printf("Usage: vxl img check [-q] [-f fmt] [--output=ofmt] [-r [leaks | all]] filename\n"); return 0;
        case 'f': fmt = optarg; break;
        case 'r':
            if (!strcmp(optarg, "leaks")) {
                fix = VDISK_FIX_LEAKS;
            } else if (!strcmp(optarg, "all")) {
                fix = VDISK_FIX_LEAKS | VDISK_FIX_ERRORS;
            } else {
                return img_usage_error("Unknown option value for -r "
                                       "(expecting 'leaks' or 'all'): %s", optarg);
            }
            break;
        case 'T': case 'U': break;
        case 'q': quiet = true; break;
        case OPT_OUTPUT: if (img_parse_output(optarg, &ofmt) < 0) return 1; break;
        default: return img_bad_option(c, optopt, argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return img_usage_error("Expecting one image file name");
    filename = argv[optind];

    struct vdisk *d = img_open(filename, fmt, VDISK_NO_BACKING | VDISK_NO_REPAIR |
                               (fix ? VDISK_RDWR : VDISK_UNSAFE_META));
    if (!d)
        return 1;
    struct vdisk_check res;
    struct vdisk_err err = {0};
    rc = run_check(d, fix, &res, &err);
    if (rc == -ENOTSUP) {
        img_error("This image format does not support checks");
        img_close(d);
        return 63;
    }
    if (rc == 0 && (res.corruptions_fixed || res.leaks_fixed)) {
        int64_t cf = res.corruptions_fixed, lf = res.leaks_fixed;
        if (ofmt == OFMT_HUMAN && !quiet)
            printf("The following inconsistencies were found and repaired:\n\n"
                   "    %lld leaked clusters\n"
                   "    %lld corruptions\n\n"
                   "Double checking the fixed image now...\n",
                   (long long)lf, (long long)cf);
        rc = run_check(d, 0, &res, &err);
        res.corruptions_fixed = cf;
        res.leaks_fixed = lf;
    }
    if (rc == 0 && !quiet) {
        if (ofmt == OFMT_JSON)
            check_json(filename, vdisk_format(d), &res);
        else
            check_human(&res);
    }
    if (rc < 0 || res.check_errors) {
        if (rc < 0)
            img_error("Check failed: %s", err.msg);
        else
            img_error("Check failed");
        ret = 1;
    } else if (res.corruptions) {
        ret = 2;
    } else if (res.leaks) {
        ret = 3;
    } else {
        ret = 0;
    }
    if (img_close(d) < 0 && ret == 0)
        ret = 1;
    return ret;
}

/* ---------------------------------------------------------------- */
/* map                                                               */

struct map_entry {
    uint64_t start, length, offset;
    int depth;
    bool present, zero, data, has_offset;
    const char *filename;       /* only with has_offset */
};

static bool entry_mergeable(const struct map_entry *a, const struct map_entry *b)
{
    if (a->length == 0)
        return false;
    if (a->zero != b->zero || a->data != b->data || a->depth != b->depth ||
        a->present != b->present)
        return false;
    if (!a->filename != !b->filename)
        return false;
    if (a->filename && strcmp(a->filename, b->filename))
        return false;
    if (a->has_offset != b->has_offset)
        return false;
    if (a->has_offset && a->offset + a->length != b->offset)
        return false;
    return true;
}

/* qemu-img's dump_map_entry(); may modify *next like qemu does (human
 * output coalesces everything that is not plain data). */
static int dump_map_entry(enum img_ofmt ofmt, const struct map_entry *e,
                          struct map_entry *next)
{
    if (ofmt == OFMT_HUMAN) {
        if (e->data && !e->has_offset) {
            img_error("File contains external, encrypted or compressed clusters.");
            return -1;
        }
        if (e->data && !e->zero)
            printf("%#-16llx%#-16llx%#-16llx%s\n",
                   (unsigned long long)e->start, (unsigned long long)e->length,
                   (unsigned long long)(e->has_offset ? e->offset : 0),
                   e->filename ? e->filename : "");
        if (next && (!next->data || next->zero)) {
            next->data = false;
            next->zero = true;
        }
        return 0;
    }
    printf("{ \"start\": %llu, \"length\": %llu, \"depth\": %d, \"present\": %s,"
           " \"zero\": %s, \"data\": %s",
           (unsigned long long)e->start, (unsigned long long)e->length, e->depth,
           e->present ? "true" : "false", e->zero ? "true" : "false",
           e->data ? "true" : "false");
    if (e->has_offset)
        printf(", \"offset\": %llu", (unsigned long long)e->offset);
    putchar('}');
    if (next)
        puts(",");
    return 0;
}

int img_map(int argc, char **argv)
{
    static const struct option lopts[] = {
        { "help", 0, 0, 'h' }, { "format", 1, 0, 'f' },
        { "output", 1, 0, OPT_OUTPUT }, { "start-offset", 1, 0, OPT_START_OFFSET },
        { "max-length", 1, 0, OPT_MAX_LENGTH }, { "force-share", 0, 0, 'U' },
        { 0 }
    };
    const char *fmt = NULL;
    enum img_ofmt ofmt = OFMT_HUMAN;
    uint64_t start = 0, maxlen = UINT64_MAX;
    int c, ret = 1;

    opterr = 0;
    while ((c = getopt_long(argc, argv, ":f:hU", lopts, NULL)) != -1) {
        switch (c) {
        case 'h': printf("Usage: vxl img map [-f fmt] [--start-offset=offset] [--max-length=len] [--output=ofmt] filename\n"); return 0;
        case 'f': fmt = optarg; break;
        case 'U': break;
        case OPT_OUTPUT: if (img_parse_output(optarg, &ofmt) < 0) return 1; break;
        case OPT_START_OFFSET:
        case OPT_MAX_LENGTH: {
            uint64_t v;
            if (imgopt_parse_size(optarg, &v) < 0 || v > INT64_MAX) {
                img_error("Invalid %s specified. You may use k, M, G, T, P or E "
                          "suffixes for", c == OPT_START_OFFSET ? "start offset" : "length");
                img_error("kilobytes, megabytes, gigabytes, terabytes, petabytes and exabytes.");
                return 1;
            }
            if (c == OPT_START_OFFSET)
                start = v;
            else
                maxlen = v;
            break;
        }
        default: return img_bad_option(c, optopt, argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return img_usage_error("Expecting one image file name");

    struct vdisk *d = img_open(argv[optind], fmt, VDISK_PROBE_BACKING);
    if (!d)
        return 1;
    uint64_t length = vdisk_size(d), end = length;
    if (maxlen != UINT64_MAX && start < length && maxlen < length - start)
        end = start + maxlen;
    if (ofmt == OFMT_HUMAN)
        printf("%-16s%-16s%-16s%s\n", "Offset", "Length", "Mapped to", "File");
    else
        printf("[");

    struct map_entry curr = { .start = start }, next;
    uint64_t off = start;
    while (off < end) {
        struct vdisk_extent ext;
        struct vdisk_err err = {0};
        if (vdisk_block_status(d, off, end - off, true, &ext, &err) < 0) {
            img_error("Could not read file metadata: %s", err.msg);
            goto out;
        }
        next = (struct map_entry){
            .start = off, .length = ext.len, .depth = ext.depth,
            .present = ext.flags & VDISK_EXT_ALLOCATED,
            .zero = ext.flags & VDISK_EXT_ZERO,
            .data = ext.flags & VDISK_EXT_DATA,
            .has_offset = ext.flags & VDISK_EXT_OFFSET,
            .offset = ext.host_offset,
        };
        if (next.has_offset && ext.layer)
            next.filename = vdisk_data_filename(ext.layer);
        off += ext.len;
        if (entry_mergeable(&curr, &next)) {
            curr.length += next.length;
            continue;
        }
        if (curr.length > 0 && dump_map_entry(ofmt, &curr, &next) < 0)
            goto out;
        curr = next;
    }
    /* qemu-img always dumps the last entry, even an empty one */
    if (dump_map_entry(ofmt, &curr, NULL) < 0)
        goto out;
    ret = 0;
out:
    if (ofmt == OFMT_JSON)
        printf("]\n");
    if (img_close(d) < 0)
        ret = 1;
    return ret;
}

/* ---------------------------------------------------------------- */
/* compare                                                           */

#define CMP_BUF (1u << 20)

/* First non-zero byte of buf[0..n), or -1. */
static int64_t find_nonzero(const uint8_t *buf, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (buf[i])
            return (int64_t)i;
    return -1;
}

/* Read [off, off+len) of d in CMP_BUF pieces and report its first
 * non-zero byte.  Returns 0 (all zero), 1 (mismatch printed), 4 (error). */
static int check_empty(struct vdisk *d, const char *name, uint64_t off,
                       uint64_t len, uint8_t *buf, bool quiet)
{
    while (len) {
        size_t n = len < CMP_BUF ? len : CMP_BUF;
        struct vdisk_err err = {0};
        if (vdisk_pread(d, buf, n, off, &err) < 0) {
            img_error("Error while reading offset %llu of %s: %s",
                      (unsigned long long)off, name, err.msg);
            return 4;
        }
        int64_t i = find_nonzero(buf, n);
        if (i >= 0) {
            if (!quiet)
                printf("Content mismatch at offset %llu!\n",
                       (unsigned long long)((off + i) & ~511ULL));
            return 1;
        }
        off += n;
        len -= n;
    }
    return 0;
}

/* Whether the rest of the larger image, [from, size), reads as zeros. */
static int check_tail(struct vdisk *d, const char *name, uint64_t from,
                      uint8_t *buf, bool quiet)
{
    uint64_t size = vdisk_size(d), off = from;

    while (off < size) {
        struct vdisk_extent e;
        struct vdisk_err err = {0};
        if (vdisk_block_status(d, off, size - off, true, &e, &err) < 0) {
            img_error("Sector allocation test failed for %s", name);
            return 4;
        }
        if (!(e.flags & VDISK_EXT_ZERO)) {
            int r = check_empty(d, name, off, e.len, buf, quiet);
            if (r)
                return r;
        }
        off += e.len;
    }
    return 0;
}

int img_compare(int argc, char **argv)
{
    static const struct option lopts[] = {
        { "help", 0, 0, 'h' }, { "force-share", 0, 0, 'U' }, { 0 }
    };
    const char *fmt1 = NULL, *fmt2 = NULL, *f1, *f2;
    bool quiet = false, strict = false;
    int c, ret = 2;

    opterr = 0;
    while ((c = getopt_long(argc, argv, ":hf:F:T:pqsU", lopts, NULL)) != -1) {
        switch (c) {
        case 'h': printf("Usage: vxl img compare [-f fmt] [-F fmt] [-p] [-q] [-s] filename1 filename2\n"); return 0;
        case 'f': fmt1 = optarg; break;
        case 'F': fmt2 = optarg; break;
        case 'q': quiet = true; break;
        case 's': strict = true; break;
        case 'p': case 'T': case 'U': break;
        default: img_bad_option(c, optopt, argv[optind - 1]); return 2;
        }
    }
    if (optind != argc - 2) {
        img_usage_error("Expecting two image file names");
        return 2;
    }
    f1 = argv[optind];
    f2 = argv[optind + 1];

    struct vdisk *d1 = img_open(f1, fmt1, VDISK_PROBE_BACKING), *d2 = NULL;
    uint8_t *b1 = NULL, *b2 = NULL;
    if (!d1)
        return 2;
    d2 = img_open(f2, fmt2, VDISK_PROBE_BACKING);
    if (!d2)
        goto out;
    b1 = xmalloc(CMP_BUF);
    b2 = xmalloc(CMP_BUF);
    uint64_t s1 = vdisk_size(d1), s2 = vdisk_size(d2);
    uint64_t total = s1 < s2 ? s1 : s2, off = 0;
    if (strict && s1 != s2) {
        if (!quiet)
            printf("Strict mode: Image size mismatch!\n");
        ret = 1;
        goto out;
    }
    while (off < total) {
        struct vdisk_extent e1, e2;
        struct vdisk_err err = {0};
        if (vdisk_block_status(d1, off, total - off, true, &e1, &err) < 0) {
            img_error("Sector allocation test failed for %s", f1);
            ret = 3;
            goto out;
        }
        if (vdisk_block_status(d2, off, total - off, true, &e2, &err) < 0) {
            img_error("Sector allocation test failed for %s", f2);
            ret = 3;
            goto out;
        }
        uint64_t chunk = e1.len < e2.len ? e1.len : e2.len;
        const unsigned mask = VDISK_EXT_ALLOCATED | VDISK_EXT_ZERO | VDISK_EXT_DATA;
        if (strict && (e1.flags & mask) != (e2.flags & mask)) {
            if (!quiet)
                printf("Strict mode: Offset %llu block status mismatch!\n",
                       (unsigned long long)off);
            ret = 1;
            goto out;
        }
        bool z1 = e1.flags & VDISK_EXT_ZERO, z2 = e2.flags & VDISK_EXT_ZERO;
        if (z1 && z2) {
            /* both read as zeros */
        } else if (z1 || z2) {
            int r = check_empty(z1 ? d2 : d1, z1 ? f2 : f1, off, chunk,
                                b1, quiet);
            if (r) {
                ret = r;
                goto out;
            }
        } else {
            for (uint64_t done = 0; done < chunk;) {
                size_t n = chunk - done < CMP_BUF ? chunk - done : CMP_BUF;
                if (vdisk_pread(d1, b1, n, off + done, &err) < 0 ||
                    vdisk_pread(d2, b2, n, off + done, &err) < 0) {
                    img_error("Error while reading offset %llu: %s",
                              (unsigned long long)(off + done), err.msg);
                    ret = 4;
                    goto out;
                }
                if (memcmp(b1, b2, n)) {
                    /* qemu reports the first differing 512-byte sector */
                    size_t i = 0;
                    while (b1[i] == b2[i])
                        i++;
                    if (!quiet)
                        printf("Content mismatch at offset %llu!\n",
                               (unsigned long long)((off + done + i) & ~511ULL));
                    ret = 1;
                    goto out;
                }
                done += n;
            }
        }
        off += chunk;
    }
    if (s1 != s2) {
        if (!quiet)
            printf("Warning: Image size mismatch!\n");
        int r = s1 > s2 ? check_tail(d1, f1, total, b1, quiet)
                        : check_tail(d2, f2, total, b1, quiet);
        if (r) {
            ret = r;
            goto out;
        }
    }
    if (!quiet)
        printf("Images are identical.\n");
    ret = 0;
out:
    free(b1);
    free(b2);
    if (d2)
        img_close(d2);
    img_close(d1);
    return ret;
}

/* ---------------------------------------------------------------- */
/* measure                                                           */

int img_measure(int argc, char **argv)
{
    static const struct option lopts[] = {
        { "help", 0, 0, 'h' }, { "size", 1, 0, OPT_SIZE },
        { "output", 1, 0, OPT_OUTPUT }, { "force-share", 0, 0, 'U' }, { 0 }
    };
    const char *fmt = NULL, *out_fmt = "raw", *filename = NULL, *size_s = NULL;
    enum img_ofmt ofmt = OFMT_HUMAN;
    strbuf opts = {0};
    int c, ret = 1;

    opterr = 0;
    while ((c = getopt_long(argc, argv, ":hf:O:o:l:U", lopts, NULL)) != -1) {
        switch (c) {
        case 'h': printf("Usage: vxl img measure [--output=ofmt] [-O output_fmt] [-o options] [--size N | [-f fmt] filename]\n"); return 0;
        case 'f': fmt = optarg; break;
        case 'O': out_fmt = optarg; break;
        case 'o':
            if (opts.len)
                sb_putc(&opts, ',');
            sb_puts(&opts, optarg);
            break;
        case 'l':
            img_error("measure -l (snapshots) is not yet supported");
            sb_free(&opts);
            return 1;
        case 'U': break;
        case OPT_SIZE: size_s = optarg; break;
        case OPT_OUTPUT:
            if (img_parse_output(optarg, &ofmt) < 0) {
                sb_free(&opts);
                return 1;
            }
            break;
        default:
            sb_free(&opts);
            return img_bad_option(c, optopt, argv[optind - 1]);
        }
    }
    if (optind < argc)
        filename = argv[optind++];
    if (optind < argc) {
        sb_free(&opts);
        return img_usage_error("Unexpected argument: %s", argv[optind]);
    }
    if (filename && size_s) {
        sb_free(&opts);
        img_error("--size N cannot be used together with a filename.");
        return 1;
    }
    if (!filename && !size_s) {
        sb_free(&opts);
        img_error("Either --size N or one filename must be specified.");
        return 1;
    }
    if (!vdisk_driver_find(out_fmt)) {
        sb_free(&opts);
        img_error("Unknown file format '%s'", out_fmt);
        return 1;
    }

    struct vdisk_create_opts co;
    struct vdisk_err err = {0};
    struct vdisk *src = NULL;
    struct vdisk_measure m = {0};
    vdisk_create_opts_init(&co, out_fmt);
    if (opts.len && vdisk_create_opts_parse(&co, opts.s, &err) < 0) {
        img_error("%s", err.msg);
        img_error("Invalid options for file format '%s'", out_fmt);
        goto out;
    }
    if (size_s) {
        uint64_t v;
        if (imgopt_parse_size(size_s, &v) < 0 || v > INT64_MAX) {
            img_error("Invalid image size specified. You may use k, M, G, T, P or E suffixes for");
            img_error("kilobytes, megabytes, gigabytes, terabytes, petabytes and exabytes.");
            goto out;
        }
        co.size = v;
        co.size_set = true;
    } else {
        src = img_open(filename, fmt, VDISK_PROBE_BACKING);
        if (!src)
            goto out;
        co.size = vdisk_size(src);
        co.size_set = true;
    }
    if (vdisk_measure(&co, src, &m, &err) < 0) {
        if (err.code == ENOTSUP)
            img_error("Format driver '%s' does not support measure", out_fmt);
        else
            img_error("%s", err.msg);
        goto out;
    }
    bool bitmaps = src && !strcmp(out_fmt, "qcow2");
    if (ofmt == OFMT_JSON) {
        struct ij *o = ij_obj();
        ij_set_int(o, "required", (int64_t)m.required);
        ij_set_int(o, "fully-allocated", (int64_t)m.fully_allocated);
        if (bitmaps)
            ij_set_int(o, "bitmaps", 0);
        ij_print(stdout, o);
        printf("\n");
        ij_free(o);
    } else {
        printf("required size: %llu\n", (unsigned long long)m.required);
        printf("fully allocated size: %llu\n", (unsigned long long)m.fully_allocated);
        if (bitmaps)
            printf("bitmaps size: 0\n");
    }
    ret = 0;
out:
    if (src)
        img_close(src);
    vdisk_create_opts_dispose(&co);
    sb_free(&opts);
    return ret;
}

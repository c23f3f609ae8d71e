/* xl/img_info.c — `vxl img info` and `vxl img snapshot`: image metadata in
 * qemu-img 7.2's human and JSON formats. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "common/util.h"
#include "xl/img.h"
#include "xl/img_json.h"

/* ---------------------------------------------------------------- */
/* snapshot table (qemu's bdrv_snapshot_dump)                        */

static void snapshot_header(void)
{
    printf("%-10s%-17s%8s%20s%13s%11s\n",
           "ID", "TAG", "VM SIZE", "DATE", "VM CLOCK", "ICOUNT");
}

static void snapshot_line(const struct vdisk_snapshot *sn)
{
    char date[64] = "", clock[64], icount[32] = "";
    time_t t = sn->date_sec;
    struct tm tm;
    uint64_t secs = sn->vm_clock_nsec / 1000000000ULL;
    char *sz = img_size_str(sn->vm_state_size);

    if (localtime_r(&t, &tm))
        strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", &tm);
    snprintf(clock, sizeof(clock), "%02d:%02d:%02d.%03d",
             (int)(secs / 3600), (int)((secs / 60) % 60), (int)(secs % 60),
             (int)((sn->vm_clock_nsec / 1000000) % 1000));
    if (sn->icount != UINT64_MAX)
        snprintf(icount, sizeof(icount), "%lld", (long long)sn->icount);
    printf("%-9s %-16s %8s%20s%13s%11s\n", sn->id, sn->name, sz, date,
           clock, icount);
    free(sz);
}

static void snapshot_table(const struct vdisk_snapshot *s, size_t n)
{
    printf("Snapshot list:\n");
    snapshot_header();
    for (size_t i = 0; i < n; i++)
        snapshot_line(&s[i]);
}

/* ---------------------------------------------------------------- */
/* info                                                              */

/* Format specific data as a QDict-ordered object (both outputs use it). */
static struct ij *format_specific(const struct vdisk_info *in)
{
    struct ij *data;

    if (!in->has_qcow2)
        return NULL;
    data = ij_obj();
    if (in->qcow2.version < 3) {
        ij_set_str(data, "compat", "0.10");
        ij_set_int(data, "refcount-bits", in->qcow2.refcount_bits);
    } else {
        ij_set_str(data, "compat", "1.1");
        ij_set_bool(data, "lazy-refcounts", in->qcow2.lazy_refcounts);
        ij_set_int(data, "refcount-bits", in->qcow2.refcount_bits);
        ij_set_bool(data, "corrupt", in->qcow2.corrupt);
        ij_set_bool(data, "extended-l2", in->qcow2.extended_l2);
        if (in->qcow2.data_file) {
            ij_set_str(data, "data-file", in->qcow2.data_file);
            ij_set_bool(data, "data-file-raw", in->qcow2.data_file_raw);
        }
    }
    ij_set_str(data, "compression-type",
               in->qcow2.compression_type == VDISK_COMP_ZSTD ? "zstd" : "zlib");
    return data;
}

static struct ij *info_json(const char *filename, const struct vdisk_info *in)
{
    struct ij *o = ij_obj(), *spec;

    ij_set_int(o, "virtual-size", (int64_t)in->virtual_size);
    ij_set_str(o, "filename", filename);
    if (in->cluster_size)
        ij_set_int(o, "cluster-size", in->cluster_size);
    ij_set_str(o, "format", in->format);
    ij_set_int(o, "actual-size", (int64_t)in->actual_size);
    if (in->encrypted)
        ij_set_bool(o, "encrypted", true);
    if (in->backing_file) {
        ij_set_str(o, "backing-filename", in->backing_file);
        ij_set_str(o, "full-backing-filename",
                   in->full_backing_file ? in->full_backing_file : in->backing_file);
        if (in->backing_format)
            ij_set_str(o, "backing-filename-format", in->backing_format);
    }
    if (in->nsnapshots) {
        struct ij *arr = ij_set(o, "snapshots", ij_arr());
        for (size_t i = 0; i < in->nsnapshots; i++) {
            const struct vdisk_snapshot *sn = &in->snapshots[i];
            struct ij *s = ij_push(arr, ij_obj());
            if (sn->icount != UINT64_MAX)
                ij_set_int(s, "icount", (int64_t)sn->icount);
            ij_set_int(s, "vm-clock-nsec", (int64_t)(sn->vm_clock_nsec % 1000000000ULL));
            ij_set_str(s, "name", sn->name);
            ij_set_int(s, "date-sec", sn->date_sec);
            ij_set_int(s, "date-nsec", sn->date_nsec);
            ij_set_int(s, "vm-clock-sec", (int64_t)(sn->vm_clock_nsec / 1000000000ULL));
            ij_set_str(s, "id", sn->id);
            ij_set_int(s, "vm-state-size", (int64_t)sn->vm_state_size);
        }
    }
    spec = format_specific(in);
    if (spec) {
        struct ij *fs = ij_set(o, "format-specific", ij_obj());
        ij_set_str(fs, "type", in->format);
        ij_set(fs, "data", spec);
    }
    ij_set_bool(o, "dirty-flag", in->dirty);
    return o;
}

/* qemu's dump_qdict(): "key with spaces: value", nested by 4 spaces. */
static void dump_human_obj(int level, const struct ij *o);

static void info_human(const char *filename, const struct vdisk_info *in)
{
    char *vs = img_size_str(in->virtual_size);
    char *as = img_size_str(in->actual_size);

    printf("image: %s\n", filename);
    printf("file format: %s\n", in->format);
    printf("virtual size: %s (%llu bytes)\n", vs, (unsigned long long)in->virtual_size);
    printf("disk size: %s\n", as);
    if (in->encrypted)
        printf("encrypted: yes\n");
    if (in->cluster_size)
        printf("cluster_size: %u\n", in->cluster_size);
    if (in->dirty)
        printf("dirty flag: yes\n");
    if (in->backing_file) {
        printf("backing file: %s", in->backing_file);
        if (in->full_backing_file && strcmp(in->full_backing_file, in->backing_file))
            printf(" (actual path: %s)", in->full_backing_file);
        printf("\n");
        if (in->backing_format)
            printf("backing file format: %s\n", in->backing_format);
    }
    if (in->nsnapshots)
        snapshot_table(in->snapshots, in->nsnapshots);
    struct ij *spec = format_specific(in);
    if (spec) {
        printf("Format specific information:\n");
        dump_human_obj(1, spec);
        ij_free(spec);
    }
    free(vs);
    free(as);
}

static void dump_human_obj(int level, const struct ij *o)
{
    ij_print_human(stdout, level, o);
}

int img_info(int argc, char **argv)
{
    static const struct option lopts[] = {
        { "help", 0, 0, 'h' }, { "format", 1, 0, 'f' },
        { "output", 1, 0, OPT_OUTPUT },
        { "backing-chain", 0, 0, OPT_BACKING_CHAIN },
        { "force-share", 0, 0, 'U' },
        { 0 }
    };
    const char *fmt = NULL, *filename;
    enum img_ofmt ofmt = OFMT_HUMAN;
    bool chain = false;
    int c, ret = 1;

    opterr = 0;
    while ((c = getopt_long(argc, argv, ":f:hU", lopts, NULL)) != -1) {
        switch (c) {
        case 'h': printf("Usage: vxl img info [-f fmt] [--output=ofmt] [--backing-chain] filename\n"); return 0;
        case 'f': fmt = optarg; break;
        case 'U': break;
        case OPT_OUTPUT: if (img_parse_output(optarg, &ofmt) < 0) return 1; break;
        case OPT_BACKING_CHAIN: chain = true; break;
        default: return img_bad_option(c, optopt, argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return img_usage_error("Expecting one image file name");
    filename = argv[optind];

    struct ij *list = chain ? ij_arr() : NULL, *single = NULL;
    char *cur = xstrdup(filename), *curfmt = fmt ? xstrdup(fmt) : NULL;
    struct { dev_t dev; ino_t ino; } seen[VDISK_DEFAULT_MAX_DEPTH + 1];
    int nseen = 0;
    bool first = true;

    while (cur) {
        struct stat st;
        if (stat(cur, &st) == 0) {
            for (int i = 0; i < nseen; i++) {
                if (seen[i].dev == st.st_dev && seen[i].ino == st.st_ino) {
                    img_error("Backing file '%s' creates an infinite loop.", cur);
                    goto out;
                }
            }
            if (nseen > VDISK_DEFAULT_MAX_DEPTH) {
                img_error("'%s': backing chain longer than %d images", filename,
                          VDISK_DEFAULT_MAX_DEPTH);
                goto out;
            }
            seen[nseen].dev = st.st_dev;
            seen[nseen].ino = st.st_ino;
            nseen++;
        }
        struct vdisk *d = img_open(cur, curfmt, VDISK_NO_BACKING);
        if (!d)
            goto out;
        struct vdisk_info in = {0};
        struct vdisk_err err = {0};
        if (vdisk_get_info(d, &in, &err) < 0) {
            img_error("%s", err.msg);
            img_close(d);
            goto out;
        }
        if (ofmt == OFMT_JSON) {
            struct ij *o = info_json(cur, &in);
            if (chain)
                ij_push(list, o);
            else
                single = o;
        } else {
            if (!first)
                printf("\n");
            info_human(cur, &in);
        }
        first = false;
        free(cur);
        free(curfmt);
        cur = curfmt = NULL;
        if (chain && in.backing_file) {
            cur = xstrdup(in.full_backing_file ? in.full_backing_file : in.backing_file);
            curfmt = in.backing_format ? xstrdup(in.backing_format) : NULL;
        }
        vdisk_info_dispose(&in);
        img_close(d);
    }
    if (ofmt == OFMT_JSON) {
        ij_print(stdout, chain ? list : single);
        printf("\n");
    }
    ret = 0;
out:
    free(cur);
    free(curfmt);
    ij_free(list);
    ij_free(single);
    return ret;
}

/* ---------------------------------------------------------------- */
/* snapshot                                                          */

int img_snapshot(int argc, char **argv)
{
    static const struct option lopts[] = {
        { "help", 0, 0, 'h' }, { "force-share", 0, 0, 'U' }, { 0 }
    };
    enum { NONE, LIST, APPLY, CREATE, DELETE } action = NONE;
    const char *name = NULL, *filename, *fmt = NULL;
    bool quiet = false;
    int c, ret = 1;

    opterr = 0;
    while ((c = getopt_long(argc, argv, ":la:c:d:f:hqU", lopts, NULL)) != -1) {
        int a = NONE;
        switch (c) {
        case 'h': printf("Usage: vxl img snapshot [-q] [-l | -a snapshot | -c snapshot | -d snapshot] filename\n"); return 0;
        case 'l': a = LIST; break;
        case 'a': a = APPLY; break;
        case 'c': a = CREATE; break;
        case 'd': a = DELETE; break;
        case 'f': fmt = optarg; break;
        case 'q': quiet = true; continue;
        case 'U': continue;
        default: return img_bad_option(c, optopt, argv[optind - 1]);
        }
        if (c == 'f')
            continue;
        if (action != NONE)
            return img_usage_error("Cannot mix '-l', '-a', '-c', '-d'");
        action = a;
        if (a != LIST)
            name = optarg;
    }
    if (optind != argc - 1)
        return img_usage_error("Expecting one image file name");
    filename = argv[optind];
    if (action == NONE)
        action = LIST;

    struct vdisk *d = img_open(filename, fmt,
                               action == LIST ? VDISK_NO_BACKING
                                              : VDISK_RDWR | VDISK_NO_BACKING);
    if (!d)
        return 1;
    struct vdisk_err err = {0};
    int rc = 0;
    switch (action) {
    case LIST: {
        struct vdisk_snapshot *l = NULL;
        size_t n = 0;
        rc = vdisk_snapshot_list(d, &l, &n, &err);
        if (rc == 0 && n && !quiet)
            snapshot_table(l, n);
        vdisk_snapshot_list_free(l, n);
        if (rc < 0)
            img_error("Could not list snapshots: %s", err.msg);
        break;
    }
    case CREATE:
        rc = vdisk_snapshot_create(d, name, &err);
        if (rc < 0)
            img_error("Could not create snapshot '%s': %s", name, err.msg);
        break;
    case APPLY:
        rc = vdisk_snapshot_apply(d, name, &err);
        if (rc < 0)
            img_error("Could not apply snapshot '%s': %s", name, err.msg);
        break;
    case DELETE:
        rc = vdisk_snapshot_delete(d, name, &err);
        if (rc < 0)
            img_error("Could not delete snapshot '%s': %s", name, err.msg);
        break;
    default:
        break;
    }
    if (img_close(d) < 0)
        rc = -1;
    ret = rc < 0 ? 1 : 0;
    return ret;
}

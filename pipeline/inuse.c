/* pipeline/inuse.c — the disks running domains have open, from the QEMU
 * backend's runtime state: each live record's dom/<id>/config.json (the
 * libxl JSON the domain was created from, after conversion and overlays,
 * so it names what QEMU really opened). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yajl/yajl_tree.h>

#include "backend/state.h"
#include "common/util.h"
#include "pipeline/pipeline.h"

static const char *jstr(yajl_val obj, const char *key)
{
    const char *path[] = { key, NULL };
    yajl_val v = yajl_tree_get(obj, path, yajl_t_string);
    return v ? YAJL_GET_STRING(v) : NULL;
}

static long long jint(yajl_val obj, const char *key)
{
    const char *path[] = { key, NULL };
    yajl_val v = yajl_tree_get(obj, path, yajl_t_number);
    return v && YAJL_IS_INTEGER(v) ? YAJL_GET_INTEGER(v) : 0;
}

static void add_domain_disks(const vxl_domrec *rec, const char *json,
                             vxl_inuse_disk **v, size_t *n)
{
    char errbuf[128];
    yajl_val root = yajl_tree_parse(json, errbuf, sizeof errbuf);
    const char *dpath[] = { "disks", NULL };
    yajl_val disks = root ? yajl_tree_get(root, dpath, yajl_t_array) : NULL;

    for (size_t i = 0; disks && i < YAJL_GET_ARRAY(disks)->len; i++) {
        yajl_val k = YAJL_GET_ARRAY(disks)->values[i];
        const char *path = jstr(k, "pdev_path");
        const char *fmt = jstr(k, "format");
        int fd;

        if (!path || !*path || (fmt && !strcmp(fmt, "empty")))
            continue;
        *v = xreallocarray(*v, *n + 1, sizeof **v);
        vxl_inuse_disk *u = &(*v)[(*n)++];
        memset(u, 0, sizeof *u);
        u->domname = xstrdup(rec->name ? rec->name : "");
        u->domid = rec->domid;
        /* a temporary overlay: only QEMU's fd table reaches it */
        if (sscanf(path, "/proc/self/fd/%d", &fd) == 1 && rec->qemu.pid)
            u->path = xasprintf("/proc/%d/fd/%d", (int)rec->qemu.pid, fd);
        else
            u->path = xstrdup(path);
        u->format = fmt ? xstrdup(fmt) : NULL;
        u->writable = jint(k, "readwrite") != 0 && !jint(k, "is_cdrom");
    }
    yajl_tree_free(root);
}

int vxl_inuse_disks(const char *rundir, vxl_inuse_disk **v, size_t *n,
                    vxl_diags *d)
{
    char *dir = rundir ? xstrdup(rundir) : vxl_state_default_dir();
    vxl_state *st = NULL;
    vxl_domrec *recs = NULL;
    size_t nrecs = 0;
    struct stat sb;
    int rc = 0;

    *v = NULL;
    *n = 0;
    if (stat(dir, &sb) < 0)         /* no run directory: nothing runs */
        goto out;
    if ((rc = vxl_state_open(dir, &st, d)))
        goto out;
    if ((rc = vxl_state_list(st, &recs, &nrecs, d)))
        goto out;
    for (size_t i = 0; i < nrecs; i++) {
        if (vxl_domrec_stale(&recs[i]))
            continue;
        char *domdir = vxl_state_domdir(st, recs[i].domid);
        char *cfgpath = xasprintf("%s/config.json", domdir);
        char *json = read_file_str(cfgpath);
        if (json)
            add_domain_disks(&recs[i], json, v, n);
        free(json);
        free(cfgpath);
        free(domdir);
    }
out:
    vxl_domrec_list_free(recs, nrecs);
    vxl_state_close(st);
    free(dir);
    return rc;
}

void vxl_inuse_disks_free(vxl_inuse_disk *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].domname);
        free(v[i].path);
        free(v[i].format);
    }
    free(v);
}

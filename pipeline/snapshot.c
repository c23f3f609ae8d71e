/* pipeline/snapshot.c — temporary snapshots (the idea of QEMU's
 * -snapshot): a writable disk is put behind a qcow2 overlay whose backing
 * file is the disk's image, so the guest's writes land in the overlay and
 * the image itself is never written.
 *
 * The overlay is created in a fresh mkdtemp() directory (mode 0700), opened
 * read-write, and the file and its directory are removed right away: from
 * then on it exists only as an open file description.  The fd is not
 * close-on-exec, so the backend's processes inherit it and QEMU opens it
 * as /proc/self/fd/N; when the last holder exits (the guest, the monitor,
 * vxl itself — killed or not) the kernel frees it.  Nothing is left
 * behind whatever dies, and nothing is visible while it runs. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "disk/disk.h"
#include "pipeline/pipeline.h"

static int fail(vxl_diags *d, const cfg_pos *pos, const char *spec, int code,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int fail(vxl_diags *d, const cfg_pos *pos, const char *spec, int code,
                const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *m = xvasprintf(fmt, ap);
    va_end(ap);
    vxl_diag_add(d, VXL_ERROR, pos ? pos->file : NULL, pos ? pos->line : 0,
                 pos ? pos->col : 0, NULL, "disk `%s': %s", spec, m);
    free(m);
    return -code;
}

int vxl_snapshot_overlay(const char *base, const char *base_format,
                         const char *tmpdir, int *fd_out,
                         const cfg_pos *pos, const char *spec,
                         vxl_diags *diags)
{
    const char *t = tmpdir ? tmpdir : getenv("TMPDIR");
    char *dir = xasprintf("%s/vxl-snap.XXXXXX", t && *t ? t : "/tmp");
    char *real = realpath(base, NULL);
    char *overlay = NULL;
    struct vdisk_create_opts co;
    struct vdisk_err err = {0};
    int rc, fd = -1;

    *fd_out = -1;
    if (!real) {
        rc = fail(diags, pos, spec, errno, "'%s': %s", base,
                  strerror(errno));
        free(dir);
        return rc;
    }
    if (!mkdtemp(dir)) {
        rc = fail(diags, pos, spec, errno, "cannot create a directory for "
                  "the overlay in '%s': %s", t && *t ? t : "/tmp",
                  strerror(errno));
        free(dir);
        free(real);
        return rc;
    }
    overlay = xasprintf("%s/overlay.qcow2", dir);
    vdisk_create_opts_init(&co, "qcow2");
    co.backing_file = xstrdup(real);
    co.backing_format = xstrdup(base_format);
    co.set |= VDISK_OPT_BACKING | VDISK_OPT_BACKING_FMT;
    rc = vdisk_create(overlay, &co, &err);
    vdisk_create_opts_dispose(&co);
    if (rc < 0) {
        rc = fail(diags, pos, spec, err.code, "cannot create an overlay of "
                  "'%s': %s", base, err.msg);
    } else {
        /* deliberately inheritable: QEMU opens /proc/self/fd/N */
        fd = open(overlay, O_RDWR);
        if (fd < 0)
            rc = fail(diags, pos, spec, errno, "'%s': %s", overlay,
                      strerror(errno));
    }
    unlink(overlay);
    rmdir(dir);
    free(overlay);
    free(dir);
    free(real);
    if (rc < 0)
        return rc;
    *fd_out = fd;
    return 0;
}

int vxl_pipeline_snapshot(vxl_domain_config *d, const cfg_config *cfg,
                          bool all, const vxl_disk_facts *facts, int *fds,
                          vxl_diags *diags)
{
    int rc = 0;

    for (int i = 0; i < d->num_disks; i++)
        fds[i] = -1;
    for (int i = 0; i < d->num_disks; i++) {
        vxl_device_disk *k = &d->disks[i];
        const char *fmt = vxl_disk_library_format(k);
        cfg_pos pos;
        const char *spec;

        /* an unconverted vmdk/vdi the backend reads as such (QEMU) */
        if (facts && facts[i].src_format && !facts[i].needs_convert)
            fmt = facts[i].src_format;
        if (!(all || k->vxl_snapshot) || !k->readwrite || k->is_cdrom ||
            !k->pdev_path || !*k->pdev_path || !fmt)
            continue;
        vxl_disk_where(cfg, d, i, &pos, &spec);
        int r = vxl_snapshot_overlay(k->pdev_path, fmt, NULL, &fds[i], &pos,
                                     spec, diags);
        if (r < 0) {
            rc = r;
            continue;
        }
        free(k->pdev_path);
        k->pdev_path = xasprintf("/proc/self/fd/%d", fds[i]);
        k->format = VXL_DISK_FORMAT_QCOW2;
        k->vxl_format = NULL;
    }
    if (rc < 0)
        for (int i = 0; i < d->num_disks; i++)
            if (fds[i] >= 0) {
                close(fds[i]);
                fds[i] = -1;
            }
    return rc;
}

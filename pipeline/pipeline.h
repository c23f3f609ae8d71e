/* pipeline/pipeline.h — the create-time disk pipeline: validate every
 * disk of a parsed domain, convert images libxl can't use, put writable
 * disks behind temporary overlays.  docs/disk-pipeline.md has the rules.
 *
 * It sits between the parser and the backends because it needs both
 * sides: the domain model and config positions (cfgparse/), the image
 * library (disk/) and the QEMU backend's runtime state (backend/state.h,
 * for disks of running domains).  cfgparse/ and disk/ must not depend on
 * each other, hence a library of its own.
 *
 * Like every vxl library it never prints or exits: problems go to a
 * vxl_diags as errors or warnings, each placed at the disk's item of the
 * config's disk= list (or the kernel=/ramdisk=/... setting) and naming
 * the disk spec.  All problems are reported, not just the first. */
#ifndef VXL_PIPELINE_PIPELINE_H
#define VXL_PIPELINE_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cfgparse/cfg.h"
#include "cfgparse/model.h"
#include "common/diag.h"

/* ---- disks of running domains ----------------------------------------- */

/* A disk some running domain has open (from the QEMU backend's state). */
typedef struct vxl_inuse_disk {
    char *domname;
    uint32_t domid;
    char *path;             /* as the domain's QEMU can open it */
    char *format;           /* libxl name ("raw", "qcow2"); NULL = probe */
    bool writable;
} vxl_inuse_disk;

/* The disks of every live domain recorded in run directory `rundir'
 * (NULL: vxl_state_default_dir()).  A missing run directory means no
 * domains.  "/proc/self/fd/N" targets (temporary overlays) are turned
 * into /proc/<QEMU pid>/fd/N.  Free with vxl_inuse_disks_free. */
int vxl_inuse_disks(const char *rundir, vxl_inuse_disk **v, size_t *n,
                    vxl_diags *d);
void vxl_inuse_disks_free(vxl_inuse_disk *v, size_t n);

/* ---- validation --------------------------------------------------------- */

typedef struct vxl_validate_opts {
    const cfg_config *cfg;      /* for positions and spec texts; may be NULL */
    const char *backend;        /* "xen" or "qemu" (rules that differ);
                                   NULL = "xen" */
    bool convert;               /* --convert: vmdk/vdi images will be
                                   converted (not an error) */
    bool snapshot;              /* --snapshot: no image of the domain is
                                   written (overlays take the writes) */
    const vxl_inuse_disk *inuse;    /* disks of running domains */
    size_t ninuse;
} vxl_validate_opts;

/* What validation learnt about one disk. */
typedef struct vxl_disk_facts {
    const char *probed;     /* format of the image header (library driver
                               name or a known magic: "qcow2", "vmdk",
                               "qed", "raw"...); NULL: no image */
    const char *src_format; /* the format to read it with ("vmdk" ...) */
    bool needs_convert;     /* libxl can't use the image's format */
} vxl_disk_facts;

/* Check every disk of d and the kernel/ramdisk/firmware files.  facts
 * (may be NULL) gets d->num_disks entries (caller frees the array).
 * Returns 0, or -EINVAL when at least one error was added to diags. */
int vxl_validate(const vxl_domain_config *d, const vxl_validate_opts *o,
                 vxl_disk_facts **facts, vxl_diags *diags);

/* The libxl format name of a disk as the image library calls it ("raw",
 * "qcow2", "vpc" for vhd, "vmdk" for the format=vmdk extension ...);
 * NULL for an empty drive or an unknown format. */
const char *vxl_disk_library_format(const vxl_device_disk *disk);

/* Where disk i of the config is: its disk= list item (pos, spec text).
 * Without a cfg (or beyond the list) pos->file is NULL and spec is
 * "vdev=<vdev>". */
void vxl_disk_where(const cfg_config *cfg, const vxl_domain_config *d,
                    int i, cfg_pos *pos, const char **spec);

/* ---- conversion ---------------------------------------------------------- */

/* The cache directory: $VXL_CACHE, else /var/cache/vxl as root, else
 * $XDG_CACHE_HOME/vxl, else $HOME/.cache/vxl.  Caller frees. */
char *vxl_convert_cache_dir(void);

typedef struct vxl_convert_result {
    char *path;             /* the converted image (in the cache) */
    bool reused;            /* an earlier conversion was still valid */
} vxl_convert_result;

/* Convert `src' (read as src_format) to `format' ("qcow2" or "raw") in
 * cache_dir (created 0700 when missing), or reuse an earlier conversion
 * of the same source: the cache key is the source's and each backing
 * file's path, dev, inode, size and mtime (ns), and the target format.
 * Written under a temporary name and renamed when complete; conversions
 * into one cache directory are serialised by a lock file.  With plan,
 * nothing is written: res says where the conversion would go and whether
 * it exists already (for create -n).  0 or -errno with an error in diags
 * (placed at pos, naming spec). */
int vxl_convert_cached(const char *src, const char *src_format,
                       const char *format, const char *cache_dir, bool plan,
                       vxl_convert_result *res, const cfg_pos *pos,
                       const char *spec, vxl_diags *diags);
void vxl_convert_result_dispose(vxl_convert_result *r);

/* For create: every disk with facts[i].needs_convert (from
 * vxl_validate) is converted (or, with plan, only looked up) and its
 * pdev_path/format replaced (format "qcow2" or "raw"); a VXL_NOTE says
 * which file.  Returns 0 or -errno. */
int vxl_pipeline_convert(vxl_domain_config *d, const cfg_config *cfg,
                         const vxl_disk_facts *facts, const char *format,
                         const char *cache_dir, bool plan, vxl_diags *diags);

/* ---- temporary snapshots ------------------------------------------------- */

/* Create a qcow2 overlay of `base' (read as base_format) in a private
 * temporary directory under tmpdir (NULL: $TMPDIR or /tmp), open it
 * read-write WITHOUT close-on-exec, and unlink it and its directory, so
 * nothing of it exists on disk by the time this returns: it lives as
 * long as the returned fd (and its inheritors).  The base is recorded
 * by absolute path and only ever read.  0 or -errno with diags. */
int vxl_snapshot_overlay(const char *base, const char *base_format,
                         const char *tmpdir, int *fd_out,
                         const cfg_pos *pos, const char *spec,
                         vxl_diags *diags);

/* For create --snapshot (all) and disks with the `snapshot' flag: each
 * such writable disk with an image becomes "/proc/self/fd/N" (format
 * qcow2) over an overlay from vxl_snapshot_overlay, read with the disk's
 * format (facts, may be NULL: an unconverted vmdk/vdi the QEMU backend
 * reads as such).  fds[] (d->num_disks entries, -1 = none) gets the fds
 * to keep open until the backend has started the domain.  0 or -errno
 * (then no fd is left open). */
int vxl_pipeline_snapshot(vxl_domain_config *d, const cfg_config *cfg,
                          bool all, const vxl_disk_facts *facts, int *fds,
                          vxl_diags *diags);

#endif

/* import/import.h — `vxl import`: the appliance "source" abstraction.
 *
 * An appliance is a set of files: an .ovf (or .vmx) descriptor and the
 * disk files it names, either in a directory beside the descriptor or as
 * members of an OVA (tar) archive.  The OVF/VMX readers and the import
 * plan only ever see a `struct vimport_source`; they never open a path of
 * their own, so every name an appliance can make us touch goes through the
 * source and its containment rules:
 *
 *  - Member names are relative ("disk1.vmdk", "sub/disk.vmdk").  A name
 *    that is absolute, empty, has a ".." component, or (for a directory
 *    source) resolves to something other than a regular file inside the
 *    source's directory is refused with EPERM and a diagnostic naming it.
 *  - Sources are read-only: nothing here writes to the source's files.
 *
 * Implementations:
 *  - import/source.c: directory sources (an .ovf or .vmx SOURCE; the
 *    members are files in the descriptor's directory), and the dispatch
 *    in vimport_source_open().
 *  - import/ova.c (owned by the OVA work): OVA archives.  It provides
 *        int vimport_ova_open(const char *path, struct vimport_source **out,
 *                             vxl_diags *d);
 *    filling in `ops` below; vimport_source_open() calls it for a SOURCE
 *    ending in ".ova" (until it exists, .ova gives "not yet supported").
 *    Manifest (.mf) verification and .cert reporting happen inside the
 *    OVA open (and may be done for directory sources too through
 *    vimport_source_members()).
 *
 * Diagnostics go to the caller's vxl_diags; nothing here prints. */
#ifndef VXL_IMPORT_IMPORT_H
#define VXL_IMPORT_IMPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/diag.h"
#include "disk/disk.h"

/* The largest descriptor / manifest read into memory (an .ovf of a big
 * vApp is a few hundred KiB; this bounds a hostile one). */
#define VIMPORT_MAX_DESC (16u << 20)

enum vimport_kind {
    VIMPORT_SRC_DIR,    /* .ovf / .vmx with its files in a directory */
    VIMPORT_SRC_OVA,    /* members of a tar archive */
};

/* One file of the appliance, as listed by vimport_source_members(). */
struct vimport_member {
    const char *name;   /* relative member name, owned by the source */
    uint64_t size;      /* bytes */
};

/* A disk "file" as the OVF names it: one member, or a file split into
 * chunks (OVF ovf:chunkSize: members name.000000000, name.000000001, ...
 * whose bytes concatenated form the file), optionally gzip-compressed
 * (ovf:compression="gzip": the concatenated bytes are a gzip stream). */
struct vimport_file_ref {
    const char *const *members; /* nmembers names, in order */
    size_t nmembers;
    bool gzip;
};

/* What the plan learns about a disk file before converting it. */
struct vimport_image_info {
    char format[16];            /* driver name, e.g. "vmdk", "raw" */
    uint64_t virtual_size;      /* guest-visible bytes */
};

/* One conversion: the image held by `file` → a new image at dst. */
struct vimport_convert_req {
    const struct vimport_file_ref *file;
    const char *src_format;     /* NULL = probe (VMDK, raw, qcow2...) */
    const char *dst;            /* final path; written via temp + rename */
    const char *dst_format;     /* "qcow2" or "raw" */
    const char *scratch_dir;    /* where a source may put temporary files
                                   (the output directory); removed after */
    void (*progress)(void *opaque, uint64_t done, uint64_t total);
    void *progress_opaque;
    volatile int *cancel;
};

struct vimport_source;

struct vimport_source_ops {
    /* Read a member completely into a NUL-terminated buffer (*data, caller
     * frees; *len excludes the NUL).  A member larger than max fails with
     * EFBIG.  Returns 0 or -errno (with a diagnostic). */
    int (*read)(struct vimport_source *s, const char *member, size_t max,
                char **data, size_t *len, vxl_diags *d);
    /* Format and virtual size of the image a file ref holds.  May fail
     * with -ENOTSUP (e.g. a format that cannot be inspected without
     * decompressing first); the plan then says "size unknown". */
    int (*inspect)(struct vimport_source *s, const struct vimport_file_ref *f,
                   const char *src_format, struct vimport_image_info *info,
                   struct vdisk_err *err);
    /* Convert a file ref's image to req->dst (see disk/convert.h: temp
     * name + rename, sources read-only). */
    int (*convert)(struct vimport_source *s,
                   const struct vimport_convert_req *req,
                   struct vdisk_err *err);
    void (*close)(struct vimport_source *s);
};

struct vimport_source {
    const struct vimport_source_ops *ops;
    enum vimport_kind kind;
    char *path;             /* SOURCE as given */
    char *main;             /* the descriptor member: "x.ovf" / "x.vmx" */
    /* All members, for manifest checks (a directory source leaves this
     * empty).  Owned by the implementation: freed by ops->close, which
     * frees priv too; vimport_source_close() frees path, main and s. */
    struct vimport_member *members;
    size_t nmembers;
    void *priv;             /* implementation data */
};

/* True if a member name is acceptable (relative, no "..", not empty, no
 * NUL or backslash tricks).  Used by every implementation. */
bool vimport_member_name_ok(const char *name);

/* Open SOURCE: ".ova" → vimport_ova_open(); ".ovf" / ".vmx" (any case) →
 * a directory source rooted at the descriptor's directory.  Anything else
 * fails with EINVAL and a hint. */
int vimport_source_open(const char *path, struct vimport_source **out,
                        vxl_diags *d);
void vimport_source_close(struct vimport_source *s);

/* Convenience wrappers over ops. */
int vimport_source_read(struct vimport_source *s, const char *member,
                        size_t max, char **data, size_t *len, vxl_diags *d);
int vimport_source_inspect(struct vimport_source *s,
                           const struct vimport_file_ref *f,
                           const char *src_format,
                           struct vimport_image_info *info,
                           struct vdisk_err *err);
int vimport_source_convert(struct vimport_source *s,
                           const struct vimport_convert_req *req,
                           struct vdisk_err *err);

/* The directory source (import/source.c), exposed for tests: dir is the
 * directory holding the members, main the descriptor's member name. */
int vimport_dir_open(const char *dir, const char *main,
                     struct vimport_source **out, vxl_diags *d);

#endif

/* import/plan.h — from an appliance's VM (import/vm.h) to an xl config
 * and a list of disk conversions, and carrying them out.
 *
 * vimport_plan_build() decides everything without touching the disk:
 * the domain name (sanitised for Xen), memory and vCPUs, the order and
 * vdevs of disks (boot disk first, then source bus order: IDE, SATA,
 * SCSI, NVMe, each by controller and unit; CD-ROMs after the disks, as
 * empty drives), vifs with the source MACs, firmware.  Everything it
 * maps becomes a line of `summary'; everything it cannot map a warning
 * in the caller's diags.  vimport_plan_execute() converts the disks
 * (temporary name + rename each) and writes NAME.cfg the same way; on
 * failure it removes what it wrote, and it never overwrites an existing
 * file. */
#ifndef VXL_IMPORT_PLAN_H
#define VXL_IMPORT_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/diag.h"
#include "import/import.h"
#include "import/vm.h"

struct vimport_opts {
    const char *outdir;         /* NULL = "." */
    const char *format;         /* "qcow2" (default) or "raw" */
    const char *name;           /* --name; NULL = from the source */
    const char *bridge;         /* --bridge; NULL = from the source */
};

struct vimport_pdisk {
    char *vdev;                 /* "hda" */
    bool cdrom;
    /* hard disks: */
    struct vimport_file_ref ref;    /* source file(s); nmembers 0 = empty */
    char **ref_members;             /* owned storage behind ref.members */
    uint64_t capacity;              /* bytes; for a new empty disk */
    char *dst;                      /* absolute output path */
    char *origin;
};

struct vimport_pnic {
    char *mac, *model, *bridge;
};

struct vimport_plan {
    char *name;                 /* sanitised domain name */
    char *source;               /* for the config's header comment */
    char *os;                   /* guest OS, for the comment; may be NULL */
    char *outdir;               /* absolute */
    char *cfg_path;             /* OUTDIR/NAME.cfg */
    const char *format;         /* output disk format */
    uint64_t memory_mb;
    unsigned vcpus;
    bool efi;
    struct vimport_pdisk *disks;
    size_t ndisks;
    struct vimport_pnic *nics;
    size_t nnics;
    char **summary;             /* "memory: 2048 MB (byte * 2^20 ...)" */
    size_t nsummary;
};

/* Sanitise a domain name for Xen: letters, digits, '-', '_', '.'; other
 * runs become '-'; at most 64 bytes; never empty or all digits (then
 * "vm-" is prefixed).  Caller frees. */
char *vimport_sanitise_name(const char *in);

/* Build the plan for vm (index idx of n systems in the source).
 * Returns 0 or -EINVAL with errors in d (e.g. a disk outside the
 * appliance); warnings in d either way. */
int vimport_plan_build(const struct vimport_vm *vm, const char *source,
                       const struct vimport_opts *o, size_t idx, size_t n,
                       struct vimport_plan *p, vxl_diags *d);
void vimport_plan_dispose(struct vimport_plan *p);

/* The config text (import/cfgout.c).  Caller frees. */
char *vimport_cfg_render(const struct vimport_plan *p);

/* Fill in the capacity of each disk from the source image (virtual size)
 * and warn where it differs from what the descriptor says.  Errors for
 * images that cannot be opened. */
int vimport_plan_inspect(struct vimport_source *s, struct vimport_plan *p,
                         vxl_diags *d);

/* Convert the disks and write the config.  progress may be NULL. */
int vimport_plan_execute(struct vimport_source *s, struct vimport_plan *p,
                         void (*progress)(void *, uint64_t, uint64_t),
                         void *opaque, volatile int *cancel, vxl_diags *d);

#endif

/* import/vm.h — the virtual machine an appliance describes, as the OVF
 * and VMX readers see it, before it is mapped to an xl config.
 *
 * Both readers fill the same struct: what the source says, in the
 * source's terms (bus, controller, unit, VMware NIC model), with every
 * size already in bytes.  Mapping to Xen (vdevs, models, names) happens in
 * import/plan.c, which is where "could not be mapped" warnings come from;
 * the readers warn only about what they could not read. */
#ifndef VXL_IMPORT_VM_H
#define VXL_IMPORT_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/diag.h"

/* Limits on what an appliance may ask for; beyond them it is refused. */
#define VIMPORT_MAX_DISKS   64
#define VIMPORT_MAX_NICS    32
#define VIMPORT_MAX_VCPUS   4096
#define VIMPORT_MAX_MEMORY  (64ull << 40)     /* 64 TiB */
#define VIMPORT_MAX_CAPACITY (64ull << 40)    /* 64 TiB per disk */
#define VIMPORT_MAX_CHUNKS  100000
#define VIMPORT_MAX_SYSTEMS 64

/* Bus order is also the order disks get their vdevs in. */
enum vimport_bus {
    VIMPORT_BUS_IDE, VIMPORT_BUS_SATA, VIMPORT_BUS_SCSI, VIMPORT_BUS_NVME,
    VIMPORT_BUS_OTHER,
};
const char *vimport_bus_name(enum vimport_bus b);

struct vimport_disk {
    enum vimport_bus bus;
    int ctrl;               /* controller number on that bus (0..) */
    int unit;               /* unit / AddressOnParent (0..) */
    bool cdrom;
    /* The image file, a member of the source; NULL for an empty drive
     * (a CD-ROM without a medium, or a disk that is created empty). */
    char *file;
    char **chunks;          /* nchunks > 0: file is split (ovf:chunkSize) */
    size_t nchunks;
    bool gzip;              /* ovf:compression="gzip" */
    uint64_t capacity;      /* bytes the descriptor claims; 0 = unknown */
    int boot;               /* boot order position, 1 = first; 0 = none */
    char *origin;           /* where it came from, for messages:
                               "Hard disk 1 (vmdisk1)", "scsi0:0" */
    char *id;               /* OVF item InstanceID / VMX device key */
};

struct vimport_nic {
    char *mac;              /* "00:50:56:aa:bb:cc" or NULL */
    char *model;            /* source model as written: "E1000", "vmxnet3" */
    char *network;          /* source network name or NULL */
    char *origin;           /* "Ethernet 1", "ethernet0" */
};

struct vimport_vm {
    char *name;             /* as in the source; NULL = unknown */
    char *os;               /* guest OS id/description, may be NULL */
    uint64_t memory;        /* bytes; 0 = unknown */
    unsigned vcpus;         /* 0 = unknown */
    bool efi;               /* firmware is EFI */
    struct vimport_disk *disks;
    size_t ndisks;
    struct vimport_nic *nics;
    size_t nnics;
    char *origin;           /* descriptor file (member) name */
};

void vimport_vm_dispose(struct vimport_vm *vm);
void vimport_vms_free(struct vimport_vm *vms, size_t n);
struct vimport_disk *vimport_vm_add_disk(struct vimport_vm *vm);
struct vimport_nic *vimport_vm_add_nic(struct vimport_vm *vm);

/* Parse a size with a unit in the CIM/DMTF "programmatic units" form
 * used by OVF ("byte", "byte * 2^20", "KB", "MegaBytes", "GB",
 * "kilobyte", "byte*1024^2"...) into a multiplier.  Returns false if the
 * unit is not understood.  An empty/NULL unit is "byte" when
 * default_mult is 1. */
bool vimport_parse_units(const char *units, uint64_t *mult);

/* The OVF reader (import/ovf.c): one vimport_vm per VirtualSystem
 * (nested VirtualSystemCollections are walked).  buf need not be NUL
 * terminated.  Returns 0 with *nvms >= 1, or -errno (EINVAL for a
 * malformed or refused document) with at least one error in d. */
int vimport_ovf_parse(const char *buf, size_t len, const char *fname,
                      struct vimport_vm **vms, size_t *nvms, vxl_diags *d);

/* The VMX reader (import/vmx.c).  Returns 0 or -EINVAL. */
int vimport_vmx_parse(const char *buf, size_t len, const char *fname,
                      struct vimport_vm *vm, vxl_diags *d);

#endif

/* import/vm.c — the appliance VM model (import/vm.h): allocation helpers. */
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "import/vm.h"

const char *vimport_bus_name(enum vimport_bus b)
{
    switch (b) {
    case VIMPORT_BUS_IDE: return "IDE";
    case VIMPORT_BUS_SATA: return "SATA";
    case VIMPORT_BUS_SCSI: return "SCSI";
    case VIMPORT_BUS_NVME: return "NVMe";
    case VIMPORT_BUS_OTHER: break;
    }
    return "other";
}

struct vimport_disk *vimport_vm_add_disk(struct vimport_vm *vm)
{
    vm->disks = xreallocarray(vm->disks, vm->ndisks + 1, sizeof *vm->disks);
    struct vimport_disk *d = &vm->disks[vm->ndisks++];
    memset(d, 0, sizeof *d);
    return d;
}

struct vimport_nic *vimport_vm_add_nic(struct vimport_vm *vm)
{
    vm->nics = xreallocarray(vm->nics, vm->nnics + 1, sizeof *vm->nics);
    struct vimport_nic *n = &vm->nics[vm->nnics++];
    memset(n, 0, sizeof *n);
    return n;
}

void vimport_vm_dispose(struct vimport_vm *vm)
{
    if (!vm)
        return;
    for (size_t i = 0; i < vm->ndisks; i++) {
        struct vimport_disk *d = &vm->disks[i];
        free(d->file);
        for (size_t j = 0; j < d->nchunks; j++)
            free(d->chunks[j]);
        free(d->chunks);
        free(d->origin);
        free(d->id);
    }
    free(vm->disks);
    for (size_t i = 0; i < vm->nnics; i++) {
        free(vm->nics[i].mac);
        free(vm->nics[i].model);
        free(vm->nics[i].network);
        free(vm->nics[i].origin);
    }
    free(vm->nics);
    free(vm->name);
    free(vm->os);
    free(vm->origin);
    memset(vm, 0, sizeof *vm);
}

void vimport_vms_free(struct vimport_vm *vms, size_t n)
{
    for (size_t i = 0; i < n; i++)
        vimport_vm_dispose(&vms[i]);
    free(vms);
}

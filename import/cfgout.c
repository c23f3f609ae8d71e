/* import/cfgout.c — render an import plan as an xl domain config.
 *
 * The text is what `vxl validate` and xl's own parser accept: an HVM
 * guest, one disk= item per drive in the plan's order (target= last, so a
 * path may hold commas), CD-ROMs as empty drives, one vif= item per NIC,
 * the on_* defaults spelled out.  Strings are single-quoted; the plan
 * refuses paths that hold a quote or a control character. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "import/plan.h"

/* A comment line may not hold a newline. */
static void comment(strbuf *sb, const char *label, const char *text)
{
    sb_printf(sb, "# %s", label);
    for (const char *s = text; *s; s++)
        sb_putc(sb, (*s == '\n' || *s == '\r') ? ' ' : *s);
    sb_putc(sb, '\n');
}

char *vimport_cfg_render(const struct vimport_plan *p)
{
    strbuf sb = { 0 };
    comment(&sb, "Imported by `vxl import' from ", p->source);
    if (p->os)
        comment(&sb, "Guest OS (source): ", p->os);
    sb_puts(&sb, "\ntype = \"hvm\"\n");
    sb_printf(&sb, "name = \"%s\"\n", p->name);
    sb_printf(&sb, "memory = %" PRIu64 "\n", p->memory_mb);
    sb_printf(&sb, "vcpus = %u\n", p->vcpus);
    if (p->efi)
        sb_puts(&sb, "bios = \"ovmf\"\n");
    sb_puts(&sb, "disk = [");
    for (size_t i = 0; i < p->ndisks; i++) {
        const struct vimport_pdisk *d = &p->disks[i];
        sb_puts(&sb, i ? ",\n         " : " ");
        if (d->cdrom)
            sb_printf(&sb, "'format=raw, vdev=%s, access=ro, devtype=cdrom, "
                      "target='", d->vdev);
        else
            sb_printf(&sb, "'format=%s, vdev=%s, access=rw, target=%s'",
                      p->format, d->vdev, d->dst);
    }
    sb_puts(&sb, p->ndisks ? " ]\n" : "]\n");
    if (p->nnics) {
        sb_puts(&sb, "vif = [");
        for (size_t i = 0; i < p->nnics; i++) {
            const struct vimport_pnic *n = &p->nics[i];
            sb_puts(&sb, i ? ",\n        '" : " '");
            bool first = true;
            if (n->mac) {
                sb_printf(&sb, "mac=%s", n->mac);
                first = false;
            }
            if (n->bridge) {
                sb_printf(&sb, "%sbridge=%s", first ? "" : ", ", n->bridge);
                first = false;
            }
            sb_printf(&sb, "%smodel=%s'", first ? "" : ", ", n->model);
        }
        sb_puts(&sb, " ]\n");
    }
    sb_puts(&sb, "on_poweroff = \"destroy\"\n"
                 "on_reboot = \"restart\"\n"
                 "on_crash = \"destroy\"\n");
    return sb_steal(&sb);
}

/* cfgparse/devices.c — the device lists of a domain config, in xl's order
 * (see devices.h).  The per-item grammars live in the *_spec.c files. */
#include "cfgparse/devices.h"
#include "cfgparse/dev_specs.h"
#include "cfgparse/disk_spec.h"
#include "cfgparse/pci_spec.h"
#include "cfgparse/spec.h"
#include "cfgparse/vif_spec.h"
#include "common/util.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* xl's exit statuses */
#define EXIT_XL_FAIL     1

struct dctx {
    const cfg_config *cfg;
    const struct vxl_host *host;
    const struct vxl_xlconf *xlconf;
    vxl_domain_config *d;
    vxl_diags *diags;
};

/* The list `name', or NULL if it is not set (or not a list: libxlu then
 * warns, and xl skips it). */
static const cfg_list *get_list(struct dctx *c, const char *name)
{
    const cfg_list *l = NULL;
    if (cfg_get_list(c->cfg, name, &l, NULL, 0, c->diags))
        return NULL;
    return l;
}

static cfg_pos item_pos(const cfg_list *l, int i)
{
    cfg_pos pos = { NULL, 0, 0 };
    cfg_list_item_pos(l, i, &pos);
    return pos;
}

/* ---- pci, rdm, dtdev -------------------------------------------------- */

struct pci_defaults {
    long msitranslate, power_mgmt, permissive, seize;
};

static void pci_globals(struct dctx *c, struct pci_defaults *g)
{
    long l;
    if (!cfg_get_long(c->cfg, "pci_msitranslate", &l, 0, c->diags))
        g->msitranslate = l;
    if (!cfg_get_long(c->cfg, "pci_power_mgmt", &l, 0, c->diags))
        g->power_mgmt = l;
    if (!cfg_get_long(c->cfg, "pci_permissive", &l, 0, c->diags))
        g->permissive = l;
    if (!cfg_get_long(c->cfg, "pci_seize", &l, 0, c->diags))
        g->seize = l;
}

/* rdm=: HVM guests keep it in b_info; every guest's pci devices take its
 * policy as their default.  A bad rdm= is reported and ignored, as xl
 * ignores it.
 *
 * Compatibility with xl 4.17: its rdm parser inverts the result of the
 * policy lookup, so an rdm= naming a valid policy (the documented
 * "strategy=host,policy=relaxed") fails and xl silently drops the whole
 * setting.  Real configs and the project's reference answers depend on
 * that, so vxl drops it too -- with a warning saying so.
 *
 * Returns the pci devices' default rdm_policy. */
static vxl_rdm_reserve_policy parse_rdm(struct dctx *c)
{
    vxl_domain_build_info *b = &c->d->b_info;
    bool hvm = b->type == VXL_DOMAIN_TYPE_HVM;
    /* xl 4.17 reads the policy from the HVM part of b_info even for PV
     * and PVH guests, where that memory is zero: "strict". */
    vxl_rdm_reserve_policy policy = hvm ? b->u.hvm.rdm.policy
                                        : VXL_RDM_RESERVE_POLICY_STRICT;
    const char *buf;

    if (cfg_get_string(c->cfg, "rdm", &buf, 0, c->diags))
        return policy;

    vxl_rdm_reserve rdm;
    vxl_rdm_reserve_init(&rdm);
    cfg_pos pos = { NULL, 0, 0 };
    cfg_setting_value_pos(c->cfg, "rdm", &pos);
    vxl_diags tmp = {0};
    int bad = vxl_parse_rdm(&rdm, buf, &pos, &tmp);
    /* xl reports a bad rdm= and goes on without it: warnings */
    for (size_t i = 0; i < tmp.n; i++) {
        const vxl_diag *dg = &tmp.v[i];
        vxl_diag_add(c->diags, VXL_WARNING, dg->file, dg->line, dg->col,
                     dg->hint, "%s (rdm= ignored, as xl does)", dg->msg);
    }
    vxl_diags_free(&tmp);
    if (bad)
        return policy;
    if (rdm.policy != VXL_RDM_RESERVE_POLICY_INVALID) {
        spec_warning(c->diags, &pos, "to set a policy for passed-through "
                     "devices, add rdm_policy= to their pci= specs",
                     "rdm=\"%s\" ignored: Xen 4.17's xl drops every rdm= "
                     "that names a policy (a bug in its parser), and vxl "
                     "does the same", buf);
        return policy;
    }
    if (hvm)
        b->u.hvm.rdm.strategy = rdm.strategy;
    return policy;
}

static int parse_pci(struct dctx *c, const struct pci_defaults *g,
                     vxl_rdm_reserve_policy policy)
{
    const cfg_list *l = get_list(c, "pci");
    const char *buf;
    if (!l)
        return 0;
    for (int i = 0; (buf = cfg_listitem(l, i)) != NULL; i++) {
        vxl_device_pci *pci = vxl_domain_config_add_pcidev(c->d);
        cfg_pos pos = item_pos(l, i);
        pci->msitranslate = g->msitranslate != 0;
        pci->power_mgmt = g->power_mgmt != 0;
        pci->permissive = g->permissive != 0;
        pci->seize = g->seize != 0;
        pci->rdm_policy = policy;
        int e = vxl_parse_pci_spec(pci, buf, &pos, c->diags);
        if (e)
            return -e;      /* xl: exit(-e), 6 or 3 */
    }
    if (c->d->num_pcidevs && c->d->b_info.type == VXL_DOMAIN_TYPE_PV)
        vxl_defbool_set(&c->d->b_info.u.pv.e820_host, true);
    return 0;
}

static void parse_dtdev(struct dctx *c)
{
    const cfg_list *l = get_list(c, "dtdev");
    const char *buf;
    if (!l)
        return;
    for (int i = 0; (buf = cfg_listitem(l, i)) != NULL; i++) {
        vxl_device_dtdev *dt = vxl_domain_config_add_dtdev(c->d);
        dt->path = xstrdup(buf);
    }
}

/* ---- the generic "one item, one device" lists ------------------------- */

static int parse_disks(struct dctx *c)
{
    const cfg_list *l = get_list(c, "disk");
    const char *buf;
    if (!l)
        return 0;
    for (int i = 0; (buf = cfg_listitem(l, i)) != NULL; i++) {
        vxl_device_disk *disk = vxl_domain_config_add_disk(c->d);
        cfg_pos pos = item_pos(l, i);
        if (vxl_parse_disk_spec(1, &buf, &pos, disk, c->diags))
            return EXIT_XL_FAIL;
    }
    return 0;
}

static int parse_nics(struct dctx *c)
{
    const cfg_list *l = get_list(c, "vif");
    const char *buf;
    if (!l)
        return 0;
    for (int i = 0; (buf = cfg_listitem(l, i)) != NULL; i++) {
        vxl_device_nic *nic = vxl_domain_config_add_nic(c->d);
        cfg_pos pos = item_pos(l, i);
        nic->devid = i;
        vxl_nic_set_defaults(nic, c->xlconf);
        if (vxl_parse_nic_spec(nic, buf, &pos, c->diags))
            return EXIT_XL_FAIL;
    }
    return 0;
}

#define SIMPLE_LIST(fn, key, type, add, parse, number)                  \
static int fn(struct dctx *c)                                               \
{                                                                           \
    const cfg_list *l = get_list(c, key);                                   \
    const char *buf;                                                        \
    if (!l)                                                                 \
        return 0;                                                           \
    for (int i = 0; (buf = cfg_listitem(l, i)) != NULL; i++) {              \
        type *dev = add(c->d);                                              \
        cfg_pos pos = item_pos(l, i);                                       \
        number;                                                             \
        if (parse(dev, buf, &pos, c->diags))                                \
            return EXIT_XL_FAIL;                                            \
    }                                                                       \
    return 0;                                                               \
}

/* p9: xl re-initialises each p9 after numbering it, so its devid stays -1 */
SIMPLE_LIST(parse_p9s, "p9", vxl_device_p9, vxl_domain_config_add_p9,
            vxl_parse_p9_item, (void)0)
SIMPLE_LIST(parse_vtpms, "vtpm", vxl_device_vtpm, vxl_domain_config_add_vtpm,
            vxl_parse_vtpm_item,
            dev->devid = i)
SIMPLE_LIST(parse_vdispls, "vdispl", vxl_device_vdispl,
            vxl_domain_config_add_vdispl, vxl_parse_vdispl_item,
            dev->devid = i)
SIMPLE_LIST(parse_pvcalls, "pvcalls", vxl_device_pvcallsif,
            vxl_domain_config_add_pvcallsif, vxl_parse_pvcalls_item,
            dev->devid = i)
SIMPLE_LIST(parse_channels, "channel", vxl_device_channel,
            vxl_domain_config_add_channel, vxl_parse_channel_item,
            dev->devid = i)
SIMPLE_LIST(parse_usbctrls, "usbctrl", vxl_device_usbctrl,
            vxl_domain_config_add_usbctrl, vxl_parse_usbctrl_item,
            dev->devid = i)
SIMPLE_LIST(parse_usbdevs, "usbdev", vxl_device_usbdev,
            vxl_domain_config_add_usbdev, vxl_parse_usbdev_item, (void)0)

/* ---- vsnd: a list of lists -------------------------------------------- */

static int parse_vsnds(struct dctx *c)
{
    const cfg_list *l = get_list(c, "vsnd");
    const cfg_value *card;
    if (!l)
        return 0;
    for (int i = 0; (card = cfg_list_get(l, i)) != NULL; i++) {
        const cfg_list *items;
        cfg_pos pos = item_pos(l, i);
        if (cfg_value_get_list(c->cfg, card, &items, 1, NULL)) {
            spec_error(c->diags, &pos, "each sound card is a list of "
                       "strings: vsnd = [ [ 'CARD, ...', 'PCM, ...' ] ]",
                       "failed to get vsnd card list: a card must be a list");
            return EXIT_XL_FAIL;
        }
        vxl_device_vsnd *vsnd = vxl_domain_config_add_vsnd(c->d);
        vsnd->devid = i;
        const char *s;
        for (int j = 0; (s = cfg_listitem(items, j)) != NULL; j++) {
            cfg_pos ipos = item_pos(items, j);
            if (vxl_parse_vsnd_item(vsnd, s, &ipos, c->diags))
                return EXIT_XL_FAIL;
        }
    }
    return 0;
}

/* ---- vfb (each with a vkb) and vkb ------------------------------------ */

static int parse_vfbs(struct dctx *c)
{
    const cfg_list *l = get_list(c, "vfb");
    const char *buf;
    if (!l)
        return 0;
    for (int i = 0; (buf = cfg_listitem(l, i)) != NULL; i++) {
        vxl_device_vfb *vfb = vxl_domain_config_add_vfb(c->d);
        vxl_device_vkb *vkb = vxl_domain_config_add_vkb(c->d);
        cfg_pos pos = item_pos(l, i);
        vfb->devid = c->d->num_vfbs - 1;
        vkb->devid = c->d->num_vkbs - 1;
        vxl_parse_vfb_item(vfb, buf, &pos, c->diags);
    }
    return 0;
}

static int parse_vkbs(struct dctx *c)
{
    const cfg_list *l = get_list(c, "vkb");
    const char *buf;
    if (!l)
        return 0;
    for (int i = 0; (buf = cfg_listitem(l, i)) != NULL; i++) {
        vxl_device_vkb *vkb = vxl_domain_config_add_vkb(c->d);
        cfg_pos pos = item_pos(l, i);
        vkb->devid = c->d->num_vkbs - 1;
        if (vxl_parse_vkb_item(vkb, buf, &pos, c->diags))
            return EXIT_XL_FAIL;
    }
    return 0;
}

/* ---- all of them ------------------------------------------------------ */

#define TRY(x) do { int rc_ = (x); if (rc_) return rc_; } while (0)

int vxl_parse_devices_pci(const cfg_config *cfg, const struct vxl_host *host,
                          const struct vxl_xlconf *xlconf,
                          vxl_domain_config *d, vxl_diags *diags)
{
    struct dctx c = { cfg, host, xlconf, d, diags };
    struct pci_defaults g = { 0, 0, 0, 0 };

    pci_globals(&c, &g);
    vxl_rdm_reserve_policy policy = parse_rdm(&c);
    TRY(parse_pci(&c, &g, policy));
    parse_dtdev(&c);
    return 0;
}

int vxl_parse_devices_lists(const cfg_config *cfg,
                            const struct vxl_host *host,
                            const struct vxl_xlconf *xlconf,
                            vxl_domain_config *d, vxl_diags *diags)
{
    struct dctx c = { cfg, host, xlconf, d, diags };

    TRY(parse_disks(&c));
    TRY(parse_p9s(&c));
    TRY(parse_vtpms(&c));
    TRY(parse_vdispls(&c));
    TRY(parse_pvcalls(&c));
    TRY(parse_vsnds(&c));
    TRY(parse_channels(&c));
    TRY(parse_nics(&c));
    if (!cfg_get_list(cfg, "vif2", NULL, NULL, 0, NULL)) {
        cfg_pos pos = { NULL, 0, 0 };
        cfg_setting_pos(cfg, "vif2", &pos);
        spec_warning(diags, &pos, "use vif= instead",
                     "vif2: netchannel2 is deprecated and not supported by "
                     "xl");
    }
    TRY(parse_vfbs(&c));
    TRY(parse_usbctrls(&c));
    TRY(parse_usbdevs(&c));
    return 0;
}

int vxl_parse_devices_vkb(const cfg_config *cfg, const struct vxl_host *host,
                          const struct vxl_xlconf *xlconf,
                          vxl_domain_config *d, vxl_diags *diags)
{
    struct dctx c = { cfg, host, xlconf, d, diags };

    return parse_vkbs(&c);
}

int vxl_parse_devices(const cfg_config *cfg, const struct vxl_host *host,
                      const struct vxl_xlconf *xlconf, vxl_domain_config *d,
                      vxl_diags *diags)
{
    TRY(vxl_parse_devices_pci(cfg, host, xlconf, d, diags));
    TRY(vxl_parse_devices_lists(cfg, host, xlconf, d, diags));
    return vxl_parse_devices_vkb(cfg, host, xlconf, d, diags);
}

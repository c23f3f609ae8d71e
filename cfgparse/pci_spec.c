/* cfgparse/pci_spec.c — PCI_SPEC_STRING and rdm= parsing (see pci_spec.h).
 *
 * Semantics of libxlutil's xlu_pci_parse_spec_string in Xen 4.17.  The
 * rdm= grammar here is the documented one; what xl 4.17 actually does
 * with it (it drops every rdm= that names a policy) is decided by the
 * caller, cfgparse/devices.c. */
#include "cfgparse/pci_spec.h"
#include "common/util.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char bdf_hint[] =
    "a BDF is [DDDD:]BB:DD.F in hex, with bus <= ff, device <= 1f and "
    "function <= 7 or `*', e.g. 0000:03:00.0";

/* One hex number as sscanf's %x reads it (blanks, sign, and a "0x"
 * prefix that is consumed even with no digit after it: "0x.0" is 0). */
static bool scan_hex(const char **p, unsigned long *v)
{
    unsigned int x;
    int n;
    if (sscanf(*p, "%x%n", &x, &n) != 1)
        return false;
    *v = x;
    *p += n;
    return true;
}

/* [DDDD:]BB:DD.F -> pci; *endp = after the function.  0 or -1. */
static int parse_bdf(vxl_device_pci *pci, const char *str, const char **endp)
{
    const char *p = str;
    unsigned colons = 0;
    unsigned long domain = 0, bus, dev, func;

    for (; isxdigit((unsigned char)*p) || *p == ':'; p++)
        colons += *p == ':';
    if (colons != 1 && colons != 2)
        return -1;

    p = str;
    if (colons == 2) {
        if (!scan_hex(&p, &domain) || *p++ != ':')
            return -1;
    }
    if (!scan_hex(&p, &bus) || *p++ != ':' || !scan_hex(&p, &dev) ||
        *p++ != '.')
        return -1;
    if (domain > 0xffff || bus > 0xff || dev > 0x1f)
        return -1;

    if (*p == '*') {
        pci->vfunc_mask = VXL_PCI_FUNC_ALL;
        func = 0;
        p++;
    } else {
        if (!scan_hex(&p, &func) || func > 7)
            return -1;
        pci->vfunc_mask = 1;
    }
    pci->domain = (int)domain;
    pci->bus = (uint8_t)bus;
    pci->dev = (uint8_t)dev;
    pci->func = (uint8_t)func;
    if (endp)
        *endp = p;
    return 0;
}

static int parse_vslot(uint32_t *vdevfn, const char *str, const char **endp)
{
    const char *p = str;
    unsigned long v;

    if (!scan_hex(&p, &v) || v > 0x1f)
        return -1;
    *vdevfn = (uint32_t)v << 3;
    if (endp)
        *endp = p;
    return 0;
}

int vxl_parse_pci_bdf(vxl_device_pci *pci, const char *str,
                      const cfg_pos *loc, vxl_diags *d)
{
    if (parse_bdf(pci, str, NULL) == 0)
        return 0;
    spec_error(d, loc, bdf_hint, "pci: invalid BDF `%s'", str);
    return -1;
}

static const char *const pci_keys[] = {
    "bdf", "vslot", "permissive", "msitranslate", "seize", "power_mgmt",
    "rdm_policy", "name",
};

static int set_key(vxl_device_pci *pci, const char *key, const char *val,
                   bool *bdf_present, bool *name_present, const char *spec,
                   const cfg_pos *loc, vxl_diags *d)
{
    if (!strcmp(key, "bdf")) {
        if (parse_bdf(pci, val, NULL)) {
            spec_error(d, loc, bdf_hint, "pci: invalid bdf=%s in `%s'", val,
                       spec);
            return VXL_PCI_ERROR_INVAL;
        }
        *bdf_present = true;
    } else if (!strcmp(key, "vslot")) {
        if (parse_vslot(&pci->vdevfn, val, NULL)) {
            spec_error(d, loc, "a virtual slot is a hex number <= 1f",
                       "pci: invalid vslot=%s in `%s'", val, spec);
            return VXL_PCI_ERROR_INVAL;
        }
    } else if (!strcmp(key, "permissive")) {
        pci->permissive = atoi(val) != 0;
    } else if (!strcmp(key, "msitranslate")) {
        pci->msitranslate = atoi(val) != 0;
    } else if (!strcmp(key, "seize")) {
        pci->seize = atoi(val) != 0;
    } else if (!strcmp(key, "power_mgmt")) {
        pci->power_mgmt = atoi(val) != 0;
    } else if (!strcmp(key, "rdm_policy")) {
        if (vxl_rdm_reserve_policy_from_string(val, &pci->rdm_policy)) {
            spec_error(d, loc, "rdm_policy is `strict' or `relaxed'",
                       "pci: unknown RDM policy `%s' in `%s'", val, spec);
            return VXL_PCI_ERROR_FAIL;
        }
    } else if (!strcmp(key, "name")) {
        *name_present = true;
        free(pci->name);
        pci->name = xstrdup(val);
    } else {
        char *hint = spec_hint(key, pci_keys, ARRAY_SIZE(pci_keys),
                               "valid keys");
        spec_error(d, loc, hint, "pci: unknown PCI_SPEC_STRING option `%s' "
                   "in `%s'", key, spec);
        free(hint);
        return VXL_PCI_ERROR_INVAL;
    }
    return 0;
}

int vxl_parse_pci_spec(vxl_device_pci *pci, const char *str,
                       const cfg_pos *loc, vxl_diags *d)
{
    const char *p = str;
    bool bdf_present = false, name_present = false;

    /* a leading positional BDF, with an optional @VSLOT */
    if (parse_bdf(pci, p, &p) == 0) {
        bdf_present = true;
        if (*p == '@') {
            p++;
            if (parse_vslot(&pci->vdevfn, p, &p)) {
                spec_error(d, loc, "a virtual slot is a hex number <= 1f",
                           "pci: invalid @VSLOT in `%s'", str);
                return VXL_PCI_ERROR_INVAL;
            }
        }
        if (*p == ',')
            p++;
        else if (*p) {
            spec_error(d, loc, "separate settings with commas: "
                       "BDF[@VSLOT],KEY=VALUE,...",
                       "pci: unexpected `%s' after the BDF in `%s'", p, str);
            return VXL_PCI_ERROR_INVAL;
        }
    }

    while (*p) {
        const char *eq = strchr(p, '=');
        if (!eq) {
            spec_error(d, loc, bdf_hint, "pci: expected KEY=VALUE or a BDF, "
                       "found `%s' in `%s'", p, str);
            return VXL_PCI_ERROR_INVAL;
        }
        size_t vlen = strcspn(eq + 1, ",");
        char *key = xstrndup(p, (size_t)(eq - p));
        char *val = xstrndup(eq + 1, vlen);
        int rc = set_key(pci, key, val, &bdf_present, &name_present, str,
                         loc, d);
        free(key);
        free(val);
        if (rc)
            return rc;
        p = eq + 1 + vlen;
        if (*p == ',')
            p++;
    }

    if (bdf_present == name_present) {
        spec_error(d, loc, "give the device either as a BDF or as name=, "
                   "not both", "pci: %s in `%s'",
                   bdf_present ? "both a BDF and a name" : "no BDF or name",
                   str);
        return VXL_PCI_ERROR_INVAL;
    }
    return 0;
}

/* ---- rdm= ------------------------------------------------------------- */

int vxl_parse_rdm(vxl_rdm_reserve *rdm, const char *str, const cfg_pos *loc,
                  vxl_diags *d)
{
    static const char hint[] =
        "write rdm=\"strategy=host,policy=strict\" (or policy=relaxed)";
    vxl_rdm_reserve r = *rdm;
    const char *p = str;
    bool terminal = false;

    while (!terminal) {
        const char *eq = strchr(p, '=');
        if (!eq) {
            spec_error(d, loc, hint, "rdm: expected KEY=VALUE in `%s'", str);
            return -1;
        }
        size_t vlen = strcspn(eq + 1, ",");
        char *key = xstrndup(p, (size_t)(eq - p));
        char *val = xstrndup(eq + 1, vlen);
        int bad = 0;
        if (!strcmp(key, "strategy")) {
            if (!strcmp(val, "host"))
                r.strategy = VXL_RDM_RESERVE_STRATEGY_HOST;
            else {
                spec_error(d, loc, "the only strategy is `host'",
                           "rdm: unknown RDM strategy option `%s'", val);
                bad = 1;
            }
        } else if (!strcmp(key, "policy")) {
            if (vxl_rdm_reserve_policy_from_string(val, &r.policy)) {
                spec_error(d, loc, "policy is `strict' or `relaxed'",
                           "rdm: unknown RDM policy `%s'", val);
                bad = 1;
            }
        } else {
            spec_error(d, loc, hint, "rdm: unknown RDM state option `%s'",
                       key);
            bad = 1;
        }
        free(key);
        free(val);
        if (bad)
            return -1;
        p = eq + 1 + vlen;
        if (*p == ',')
            p++;
        else
            terminal = true;
    }
    if (*p) {
        spec_error(d, loc, hint, "rdm: trailing `%s' in `%s'", p, str);
        return -1;
    }
    *rdm = r;
    return 0;
}

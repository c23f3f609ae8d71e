/* cfgparse/json.c — libxl-identical JSON for the domain model.
 *
 * Walks the field descriptors of model.c applying the rules of Xen 4.17's
 * gentypes.py (libxl_C_type_gen_json / get_default_expr) and the builtin
 * generators of libxl_json.c / libxl_cpuid.c:
 *   - struct fields in order; a nested struct or keyed union always, an
 *     array when non-empty, a field with an init value when different from
 *     it, a builtin with a "default" test when not default (string NULL,
 *     defbool default, uuid nil, mac zero, bitmap without set bits, empty
 *     string/key-value list, empty cpuid policy, zero genid), anything
 *     else when non-zero; IDL const fields never;
 *   - keyed union: key "<keyvar>.<member>", value the member's struct or
 *     {} for a member without data;
 *   - enums as libxl's lower-case names (null if the value has no name),
 *     defbool "True"/"False", uuid/mac lower-case hex, bitmap as the array
 *     of set bit numbers, uint64 (and MemKB) as decimal numbers, hwcap as
 *     its first four words (as libxl does). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>

#include "common/util.h"
#include "cfgparse/json.h"
#include "cfgparse/model_desc.h"

#define CHK(x) do { yajl_gen_status s_ = (x); \
                    if (s_ != yajl_gen_status_ok) return s_; } while (0)

static yajl_gen_status gen_str(yajl_gen g, const char *s)
{
    return yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

static yajl_gen_status gen_fields(yajl_gen g, const vxl_struct_desc *d,
                                  const void *base);

static yajl_gen_status gen_u64(yajl_gen g, uint64_t v)
{
    char buf[24];
    int n = snprintf(buf, sizeof buf, "%" PRIu64, v);
    return yajl_gen_number(g, buf, (size_t)n);
}

static yajl_gen_status gen_bitmap(yajl_gen g, const vxl_bitmap *b)
{
    CHK(yajl_gen_array_open(g));
    for (int i = 0; i < vxl_bitmap_nr_bits(b); i++)
        if (vxl_bitmap_test(b, i))
            CHK(yajl_gen_integer(g, i));
    return yajl_gen_array_close(g);
}

static yajl_gen_status gen_cpuid(yajl_gen g, const vxl_cpuid_policy_list *p)
{
    static const char *const input_names[2] = { "leaf", "subleaf" };
    static const char *const policy_names[4] = { "eax", "ebx", "ecx", "edx" };

    CHK(yajl_gen_map_open(g));
    CHK(gen_str(g, "cpuid"));
    CHK(yajl_gen_array_open(g));
    for (int i = 0; i < p->num_cpuid; i++) {
        const vxl_cpuid_leaf *c = &p->cpuid[i];
        CHK(yajl_gen_map_open(g));
        for (int j = 0; j < 2; j++) {
            if (c->input[j] != VXL_CPUID_INPUT_UNUSED) {
                CHK(gen_str(g, input_names[j]));
                CHK(yajl_gen_integer(g, c->input[j]));
            }
        }
        for (int j = 0; j < 4; j++) {
            if (c->policy[j]) {
                CHK(gen_str(g, policy_names[j]));
                /* libxl prints exactly 32 characters */
                size_t n = strnlen(c->policy[j], 32);
                CHK(yajl_gen_string(g, (const unsigned char *)c->policy[j],
                                    n));
            }
        }
        CHK(yajl_gen_map_close(g));
    }
    CHK(yajl_gen_array_close(g));
    CHK(gen_str(g, "msr"));
    CHK(yajl_gen_array_open(g));
    for (int i = 0; i < p->num_msr; i++) {
        CHK(yajl_gen_map_open(g));
        CHK(gen_str(g, "index"));
        CHK(yajl_gen_integer(g, p->msr[i].index));
        CHK(gen_str(g, "policy"));
        CHK(yajl_gen_string(g, (const unsigned char *)p->msr[i].policy,
                            strnlen(p->msr[i].policy, 64)));
        CHK(yajl_gen_map_close(g));
    }
    CHK(yajl_gen_array_close(g));
    return yajl_gen_map_close(g);
}

/* Generate the value of kind k stored at p. */
static yajl_gen_status gen_value(yajl_gen g, enum vxl_kind k,
                                 const vxl_field_desc *f, const void *p)
{
    switch (k) {
    case VK_INT:  { int v; memcpy(&v, p, sizeof v);
                    return yajl_gen_integer(g, v); }
    case VK_U8:   return yajl_gen_integer(g, *(const uint8_t *)p);
    case VK_U16:  { uint16_t v; memcpy(&v, p, sizeof v);
                    return yajl_gen_integer(g, v); }
    case VK_U32:  { uint32_t v; memcpy(&v, p, sizeof v);
                    return yajl_gen_integer(g, v); }
    case VK_U64:  { uint64_t v; memcpy(&v, p, sizeof v);
                    return gen_u64(g, v); }
    case VK_BOOL: return yajl_gen_bool(g, *(const bool *)p);
    case VK_STRING:
    case VK_CONST_STRING: {
        const char *s = *(const char *const *)p;
        return s ? gen_str(g, s) : yajl_gen_null(g);
    }
    case VK_DEFBOOL:
        return gen_str(g, vxl_defbool_to_string(*(const vxl_defbool *)p));
    case VK_UUID: {
        char buf[VXL_UUID_FMTLEN + 1];
        vxl_uuid_to_string(p, buf);
        return gen_str(g, buf);
    }
    case VK_MAC: {
        const uint8_t *m = p;
        char buf[VXL_MAC_FMTLEN + 1];
        snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x",
                 m[0], m[1], m[2], m[3], m[4], m[5]);
        return gen_str(g, buf);
    }
    case VK_BITMAP:
        return gen_bitmap(g, p);
    case VK_STRLIST: {
        char *const *l = *(char *const *const *)p;
        CHK(yajl_gen_array_open(g));
        for (int i = 0; l && l[i]; i++)
            CHK(gen_str(g, l[i]));
        return yajl_gen_array_close(g);
    }
    case VK_KVLIST: {
        char *const *l = *(char *const *const *)p;
        CHK(yajl_gen_map_open(g));
        for (int i = 0; l && l[i]; i += 2) {
            CHK(gen_str(g, l[i]));
            CHK(l[i + 1] ? gen_str(g, l[i + 1]) : yajl_gen_null(g));
        }
        return yajl_gen_map_close(g);
    }
    case VK_CPUID:
        return gen_cpuid(g, p);
    case VK_GENID: {
        const vxl_ms_vm_genid *id = p;
        CHK(yajl_gen_array_open(g));
        for (int i = 0; i < VXL_MS_VM_GENID_LEN; i++)
            CHK(yajl_gen_integer(g, id->bytes[i]));
        return yajl_gen_array_close(g);
    }
    case VK_HWCAP: {
        const uint32_t *h = p;
        CHK(yajl_gen_array_open(g));
        for (int i = 0; i < 4; i++)
            CHK(yajl_gen_integer(g, h[i]));
        return yajl_gen_array_close(g);
    }
    case VK_ENUM: {
        vxl_domain_type v;
        memcpy(&v, p, sizeof v);
        const char *s = NULL;
        for (const vxl_enum_string_table *t = f->etab; t && t->s; t++)
            if (t->v == (int)v) {
                s = t->s;
                break;
            }
        return s ? gen_str(g, s) : yajl_gen_null(g);
    }
    case VK_STRUCT:
        return gen_fields(g, f->sub, p);
    case VK_ARRAY:
    case VK_KEYED:
        break;
    }
    return yajl_gen_status_ok;
}

/* Is field f of the struct at base to be printed? */
static bool field_is_set(const vxl_field_desc *f, const void *base)
{
    const char *p = (const char *)base + f->off;

    switch (f->kind) {
    case VK_STRUCT:
    case VK_KEYED:
        return true;
    case VK_ARRAY: {
        int n;
        memcpy(&n, (const char *)base + f->count_off, sizeof n);
        return *(void *const *)p && n;
    }
    case VK_CONST_STRING:
        return false;
    default:
        break;
    }
    if (f->has_init)
        return vxl_desc_get_num(base, f, f->kind) != f->init;
    switch (f->kind) {
    case VK_STRING:  return *(const char *const *)p != NULL;
    case VK_DEFBOOL: return !vxl_defbool_is_default(*(const vxl_defbool *)p);
    case VK_UUID:    return !vxl_uuid_is_nil((const vxl_uuid *)p);
    case VK_MAC:     return !vxl_mac_is_default((const vxl_mac *)p);
    case VK_BITMAP:  return !vxl_bitmap_is_empty((const vxl_bitmap *)p);
    case VK_STRLIST:
        return vxl_string_list_length((const vxl_string_list *)p) != 0;
    case VK_KVLIST:
        return vxl_key_value_list_length((const vxl_key_value_list *)p) != 0;
    case VK_CPUID:
        return !vxl_cpuid_policy_list_is_empty(
            (const vxl_cpuid_policy_list *)p);
    case VK_GENID:
        return !vxl_ms_vm_genid_is_zero((const vxl_ms_vm_genid *)p);
    case VK_HWCAP:
        return true;
    default:
        return vxl_desc_get_num(base, f, f->kind) != 0;
    }
}

static yajl_gen_status gen_array(yajl_gen g, const vxl_field_desc *f,
                                 const void *base)
{
    const char *arr = *(const char *const *)((const char *)base + f->off);
    int n;
    memcpy(&n, (const char *)base + f->count_off, sizeof n);
    size_t sz = vxl_desc_kind_size(f->elem, f->sub);

    CHK(yajl_gen_array_open(g));
    for (int i = 0; i < n; i++)
        CHK(gen_value(g, f->elem, f, arr + (size_t)i * sz));
    return yajl_gen_array_close(g);
}

static yajl_gen_status gen_keyed(yajl_gen g, const vxl_field_desc *f,
                                 const void *base)
{
    int key;
    memcpy(&key, (const char *)base + f->un->key_off, sizeof key);
    const vxl_union_arm *a = vxl_desc_arm(f->un, key);
    if (!a)     /* a key with no member: libxl's switch prints nothing */
        return yajl_gen_status_ok;

    char name[64];
    snprintf(name, sizeof name, "%s.%s", f->un->keyvar, a->name);
    CHK(gen_str(g, name));
    if (!a->sub) {
        CHK(yajl_gen_map_open(g));
        return yajl_gen_map_close(g);
    }
    return gen_fields(g, a->sub, base);     /* member offsets are outer */
}

static yajl_gen_status gen_fields(yajl_gen g, const vxl_struct_desc *d,
                                  const void *base)
{
    CHK(yajl_gen_map_open(g));
    for (int i = 0; i < d->nfields; i++) {
        const vxl_field_desc *f = &d->fields[i];
        if (f->kind == VK_KEYED) {
            CHK(gen_keyed(g, f, base));
            continue;
        }
        if (!field_is_set(f, base))
            continue;
        CHK(gen_str(g, f->name));
        if (f->kind == VK_ARRAY)
            CHK(gen_array(g, f, base));
        else
            CHK(gen_value(g, f->kind, f, (const char *)base + f->off));
    }
    return yajl_gen_map_close(g);
}

static char *struct_to_json(const vxl_struct_desc *d, const void *p)
{
    yajl_gen g = yajl_gen_alloc(NULL);
    if (!g)
        return NULL;
    yajl_gen_config(g, yajl_gen_beautify, 1);

    char *ret = NULL;
    const unsigned char *buf;
    size_t len;
    if (gen_fields(g, d, p) == yajl_gen_status_ok &&
        yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok)
        ret = xstrndup((const char *)buf, len);
    yajl_gen_free(g);
    return ret;
}

char *vxl_domain_config_to_json(const vxl_domain_config *d)
{
    return struct_to_json(&vxl_desc_domain_config, d);
}

char *vxl_domain_build_info_to_json(const vxl_domain_build_info *b)
{
    return struct_to_json(&vxl_desc_domain_build_info, b);
}

char *vxl_domain_create_info_to_json(const vxl_domain_create_info *c)
{
    return struct_to_json(&vxl_desc_domain_create_info, c);
}

char *vxl_device_disk_to_json(const vxl_device_disk *disk)
{
    return struct_to_json(&vxl_desc_device_disk, disk);
}

char *vxl_device_nic_to_json(const vxl_device_nic *nic)
{
    return struct_to_json(&vxl_desc_device_nic, nic);
}

char *vxl_device_pci_to_json(const vxl_device_pci *pci)
{
    return struct_to_json(&vxl_desc_device_pci, pci);
}

char *vxl_device_vtpm_to_json(const vxl_device_vtpm *vtpm)
{
    return struct_to_json(&vxl_desc_device_vtpm, vtpm);
}

char *vxl_device_usbctrl_to_json(const vxl_device_usbctrl *u)
{
    return struct_to_json(&vxl_desc_device_usbctrl, u);
}

char *vxl_device_usbdev_to_json(const vxl_device_usbdev *u)
{
    return struct_to_json(&vxl_desc_device_usbdev, u);
}

char *vxl_device_channel_to_json(const vxl_device_channel *c)
{
    return struct_to_json(&vxl_desc_device_channel, c);
}

/* cfgparse/model.c — the domain model: builtin type helpers, enum string
 * tables, the per-struct field descriptors (the IDL as data) and the
 * generic init/dispose that walks them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/random.h>

#include "common/util.h"
#include "cfgparse/model.h"
#include "cfgparse/model_desc.h"

/* ------------------------------------------------------------------ */
/* defbool                                                             */
/* ------------------------------------------------------------------ */

void vxl_defbool_set(vxl_defbool *db, bool b)
{
    db->val = b ? VXL_DEFBOOL_TRUE : VXL_DEFBOOL_FALSE;
}

void vxl_defbool_unset(vxl_defbool *db)
{
    db->val = VXL_DEFBOOL_DEFAULT;
}

void vxl_defbool_setdefault(vxl_defbool *db, bool b)
{
    if (vxl_defbool_is_default(*db))
        vxl_defbool_set(db, b);
}

bool vxl_defbool_is_default(vxl_defbool db)
{
    return db.val == VXL_DEFBOOL_DEFAULT;
}

bool vxl_defbool_val(vxl_defbool db)
{
    return db.val > 0;
}

const char *vxl_defbool_to_string(vxl_defbool db)
{
    if (db.val < 0)
        return "False";
    if (db.val > 0)
        return "True";
    return "<default>";
}

/* ------------------------------------------------------------------ */
/* uuid, mac, genid                                                    */
/* ------------------------------------------------------------------ */

bool vxl_uuid_is_nil(const vxl_uuid *u)
{
    for (int i = 0; i < 16; i++)
        if (u->uuid[i])
            return false;
    return true;
}

void vxl_uuid_clear(vxl_uuid *u)
{
    memset(u->uuid, 0, sizeof(u->uuid));
}

static void random_bytes(uint8_t *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = getrandom(buf + got, n - got, 0);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    /* getrandom cannot fail on Linux >= 3.17 short of EINTR; fall back to
     * rand() only to keep the uuid non-nil in a pathological sandbox. */
    for (; got < n; got++)
        buf[got] = (uint8_t)rand();
}

void vxl_uuid_generate(vxl_uuid *u)
{
    random_bytes(u->uuid, 16);
    u->uuid[6] = (u->uuid[6] & 0x0f) | 0x40;   /* version 4 */
    u->uuid[8] = (u->uuid[8] & 0x3f) | 0x80;   /* RFC 4122 variant */
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int vxl_uuid_from_string(vxl_uuid *u, const char *s)
{
    vxl_uuid tmp;
    int n = 0;

    if (!s || strlen(s) != VXL_UUID_FMTLEN)
        return -1;
    for (int i = 0; i < VXL_UUID_FMTLEN; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return -1;
            continue;
        }
        int hi = hexval((unsigned char)s[i]), lo;
        if (hi < 0 || (lo = hexval((unsigned char)s[i + 1])) < 0)
            return -1;
        tmp.uuid[n++] = (uint8_t)(hi << 4 | lo);
        i++;
    }
    *u = tmp;
    return 0;
}

void vxl_uuid_to_string(const vxl_uuid *u, char *buf)
{
    const uint8_t *b = u->uuid;
    snprintf(buf, VXL_UUID_FMTLEN + 1,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
             "%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
             b[10], b[11], b[12], b[13], b[14], b[15]);
}

bool vxl_mac_is_default(const vxl_mac *m)
{
    for (int i = 0; i < 6; i++)
        if ((*m)[i])
            return false;
    return true;
}

bool vxl_ms_vm_genid_is_zero(const vxl_ms_vm_genid *g)
{
    for (int i = 0; i < VXL_MS_VM_GENID_LEN; i++)
        if (g->bytes[i])
            return false;
    return true;
}

/* ------------------------------------------------------------------ */
/* bitmap                                                              */
/* ------------------------------------------------------------------ */

void vxl_bitmap_init(vxl_bitmap *b)
{
    b->size = 0;
    b->map = NULL;
}

void vxl_bitmap_dispose(vxl_bitmap *b)
{
    free(b->map);
    vxl_bitmap_init(b);
}

void vxl_bitmap_alloc(vxl_bitmap *b, int nr_bits)
{
    uint32_t sz = nr_bits > 0 ? (uint32_t)(nr_bits + 7) / 8 : 0;
    free(b->map);
    b->map = sz ? xcalloc(sz, 1) : NULL;
    b->size = sz;
}

void vxl_bitmap_resize(vxl_bitmap *b, int nr_bits)
{
    uint32_t sz = nr_bits > 0 ? (uint32_t)(nr_bits + 7) / 8 : 0;
    if (sz <= b->size)
        return;
    b->map = xrealloc(b->map, sz);
    memset(b->map + b->size, 0, sz - b->size);
    b->size = sz;
}

void vxl_bitmap_set(vxl_bitmap *b, int bit)
{
    if (bit < 0 || (uint32_t)bit >= b->size * 8)
        return;
    b->map[bit / 8] |= (uint8_t)(1u << (bit & 7));
}

void vxl_bitmap_reset(vxl_bitmap *b, int bit)
{
    if (bit < 0 || (uint32_t)bit >= b->size * 8)
        return;
    b->map[bit / 8] &= (uint8_t)~(1u << (bit & 7));
}

int vxl_bitmap_test(const vxl_bitmap *b, int bit)
{
    if (bit < 0 || (uint32_t)bit >= b->size * 8)
        return 0;
    return (b->map[bit / 8] >> (bit & 7)) & 1;
}

void vxl_bitmap_set_any(vxl_bitmap *b)
{
    if (b->size)
        memset(b->map, 0xff, b->size);
}

void vxl_bitmap_set_none(vxl_bitmap *b)
{
    if (b->size)
        memset(b->map, 0, b->size);
}

bool vxl_bitmap_is_empty(const vxl_bitmap *b)
{
    for (uint32_t i = 0; i < b->size; i++)
        if (b->map[i])
            return false;
    return true;
}

bool vxl_bitmap_is_full(const vxl_bitmap *b)
{
    for (uint32_t i = 0; i < b->size; i++)
        if (b->map[i] != 0xff)
            return false;
    return true;
}

int vxl_bitmap_count_set(const vxl_bitmap *b)
{
    int n = 0;
    for (uint32_t i = 0; i < b->size; i++)
        n += __builtin_popcount(b->map[i]);
    return n;
}

void vxl_bitmap_copy(vxl_bitmap *dst, const vxl_bitmap *src)
{
    free(dst->map);
    dst->size = src->size;
    dst->map = src->size ? xmalloc(src->size) : NULL;
    if (src->size)
        memcpy(dst->map, src->map, src->size);
}

/* ------------------------------------------------------------------ */
/* string lists, key/value lists, cpuid policy                         */
/* ------------------------------------------------------------------ */

int vxl_string_list_length(const vxl_string_list *l)
{
    int n = 0;
    if (*l)
        while ((*l)[n])
            n++;
    return n;
}

void vxl_string_list_append(vxl_string_list *l, const char *s)
{
    int n = vxl_string_list_length(l);
    *l = xreallocarray(*l, (size_t)n + 2, sizeof(char *));
    (*l)[n] = xstrdup(s);
    (*l)[n + 1] = NULL;
}

void vxl_string_list_dispose(vxl_string_list *l)
{
    if (!*l)
        return;
    for (int i = 0; (*l)[i]; i++)
        free((*l)[i]);
    free(*l);
    *l = NULL;
}

int vxl_key_value_list_length(const vxl_key_value_list *l)
{
    int n = 0;
    if (*l)
        while ((*l)[2 * n])
            n++;
    return n;
}

void vxl_key_value_list_append(vxl_key_value_list *l, const char *k,
                               const char *v)
{
    int n = vxl_key_value_list_length(l);
    *l = xreallocarray(*l, 2 * (size_t)n + 3, sizeof(char *));
    (*l)[2 * n] = xstrdup(k);
    (*l)[2 * n + 1] = v ? xstrdup(v) : NULL;
    (*l)[2 * n + 2] = NULL;
}

void vxl_key_value_list_dispose(vxl_key_value_list *l)
{
    if (!*l)
        return;
    for (int i = 0; (*l)[i]; i += 2) {
        free((*l)[i]);
        free((*l)[i + 1]);
    }
    free(*l);
    *l = NULL;
}

bool vxl_cpuid_policy_list_is_empty(const vxl_cpuid_policy_list *p)
{
    return p->num_cpuid == 0 && p->num_msr == 0;
}

vxl_cpuid_leaf *vxl_cpuid_policy_leaf(vxl_cpuid_policy_list *p,
                                      uint32_t leaf, uint32_t subleaf)
{
    for (int i = 0; i < p->num_cpuid; i++)
        if (p->cpuid[i].input[0] == leaf && p->cpuid[i].input[1] == subleaf)
            return &p->cpuid[i];
    p->cpuid = xreallocarray(p->cpuid, (size_t)p->num_cpuid + 1,
                             sizeof(*p->cpuid));
    vxl_cpuid_leaf *e = &p->cpuid[p->num_cpuid++];
    memset(e, 0, sizeof(*e));
    e->input[0] = leaf;
    e->input[1] = subleaf;
    return e;
}

void vxl_cpuid_policy_list_dispose(vxl_cpuid_policy_list *p)
{
    for (int i = 0; i < p->num_cpuid; i++)
        for (int j = 0; j < 4; j++)
            free(p->cpuid[i].policy[j]);
    free(p->cpuid);
    free(p->msr);
    memset(p, 0, sizeof(*p));
}

/* ------------------------------------------------------------------ */
/* enums                                                               */
/* ------------------------------------------------------------------ */

int vxl_enum_from_string(const vxl_enum_string_table *t, const char *s,
                         int *e)
{
    if (!s)
        return -1;
    for (; t->s; t++) {
        if (!strcasecmp(t->s, s)) {
            *e = t->v;
            return 0;
        }
    }
    return -1;
}

static const char *enum_to_string(const vxl_enum_string_table *t, int v)
{
    for (; t->s; t++)
        if (t->v == v)
            return t->s;
    return NULL;
}

#define VXL_ENUM_DEF(E, ...)                                                \
    const vxl_enum_string_table vxl_##E##_string_table[] = {                \
        __VA_ARGS__, { NULL, -1 } };                                        \
    const char *vxl_##E##_to_string(vxl_##E e)                              \
    {                                                                       \
        return enum_to_string(vxl_##E##_string_table, (int)e);              \
    }                                                                       \
    int vxl_##E##_from_string(const char *s, vxl_##E *e)                    \
    {                                                                       \
        int v;                                                              \
        if (vxl_enum_from_string(vxl_##E##_string_table, s, &v))            \
            return -1;                                                      \
        *e = (vxl_##E)v;                                                    \
        return 0;                                                           \
    }

VXL_ENUM_DEF(domain_type, {"invalid", -1}, {"hvm", 1}, {"pv", 2}, {"pvh", 3})
VXL_ENUM_DEF(rdm_reserve_strategy, {"ignore", 0}, {"host", 1})
VXL_ENUM_DEF(rdm_reserve_policy, {"invalid", -1}, {"strict", 0},
             {"relaxed", 1})
VXL_ENUM_DEF(channel_connection, {"unknown", 0}, {"pty", 1}, {"socket", 2})
VXL_ENUM_DEF(device_model_version, {"unknown", 0},
             {"qemu_xen_traditional", 1}, {"qemu_xen", 2})
VXL_ENUM_DEF(console_type, {"unknown", 0}, {"serial", 1}, {"pv", 2},
             {"vuart", 3})
VXL_ENUM_DEF(disk_format, {"unknown", 0}, {"qcow", 1}, {"qcow2", 2},
             {"vhd", 3}, {"raw", 4}, {"empty", 5}, {"qed", 6})
VXL_ENUM_DEF(disk_backend, {"unknown", 0}, {"phy", 1}, {"tap", 2},
             {"qdisk", 3}, {"standalone", 4})
VXL_ENUM_DEF(disk_specification, {"unknown", 0}, {"xen", 1}, {"virtio", 2})
VXL_ENUM_DEF(disk_transport, {"unknown", 0}, {"mmio", 1})
VXL_ENUM_DEF(nic_type, {"unknown", 0}, {"vif_ioemu", 1}, {"vif", 2})
VXL_ENUM_DEF(action_on_shutdown, {"destroy", 1}, {"restart", 2},
             {"restart_rename", 3}, {"preserve", 4}, {"coredump_destroy", 5},
             {"coredump_restart", 6}, {"soft_reset", 7})
VXL_ENUM_DEF(tsc_mode, {"default", 0}, {"always_emulate", 1}, {"native", 2},
             {"native_paravirt", 3})
VXL_ENUM_DEF(gfx_passthru_kind, {"default", 0}, {"igd", 1})
VXL_ENUM_DEF(timer_mode, {"unknown", -1}, {"delay_for_missed_ticks", 0},
             {"no_delay_for_missed_ticks", 1}, {"no_missed_ticks_pending", 2},
             {"one_missed_tick_pending", 3})
VXL_ENUM_DEF(bios_type, {"unknown", 0}, {"rombios", 1}, {"seabios", 2},
             {"ovmf", 3})
VXL_ENUM_DEF(scheduler, {"unknown", 0}, {"sedf", 4}, {"credit", 5},
             {"credit2", 6}, {"arinc653", 7}, {"rtds", 8}, {"null", 9})
VXL_ENUM_DEF(vga_interface_type, {"unknown", 0}, {"cirrus", 1}, {"std", 2},
             {"none", 3}, {"qxl", 4})
VXL_ENUM_DEF(vendor_device, {"none", 0}, {"xenserver", 1})
VXL_ENUM_DEF(viridian_enlightenment, {"base", 0}, {"freq", 1},
             {"time_ref_count", 2}, {"reference_tsc", 3},
             {"hcall_remote_tlb_flush", 4}, {"apic_assist", 5},
             {"crash_ctl", 6}, {"synic", 7}, {"stimer", 8}, {"hcall_ipi", 9},
             {"ex_processor_masks", 10}, {"no_vp_limit", 11},
             {"cpu_hotplug", 12})
VXL_ENUM_DEF(hdtype, {"ide", 1}, {"ahci", 2})
VXL_ENUM_DEF(vuart_type, {"unknown", 0}, {"sbsa_uart", 1})
VXL_ENUM_DEF(vkb_backend, {"unknown", 0}, {"qemu", 1}, {"linux", 2})
VXL_ENUM_DEF(passthrough, {"default", 0}, {"disabled", 1}, {"enabled", 2},
             {"sync_pt", 3}, {"share_pt", 4})
VXL_ENUM_DEF(gic_version, {"default", 0}, {"v2", 0x20}, {"v3", 0x30})
VXL_ENUM_DEF(tee_type, {"none", 0}, {"optee", 1})
VXL_ENUM_DEF(altp2m_mode, {"disabled", 0}, {"mixed", 1}, {"external", 2},
             {"limited", 3})
VXL_ENUM_DEF(usbctrl_type, {"auto", 0}, {"pv", 1}, {"devicemodel", 2},
             {"qusb", 3})
VXL_ENUM_DEF(usbdev_type, {"hostdev", 1})
VXL_ENUM_DEF(vsnd_pcm_format, {"s8", 1}, {"u8", 2}, {"s16_le", 3},
             {"s16_be", 4}, {"u16_le", 5}, {"u16_be", 6}, {"s24_le", 7},
             {"s24_be", 8}, {"u24_le", 9}, {"u24_be", 10}, {"s32_le", 11},
             {"s32_be", 12}, {"u32_le", 13}, {"u32_be", 14}, {"f32_le", 15},
             {"f32_be", 16}, {"f64_le", 17}, {"f64_be", 18},
             {"iec958_subframe_le", 19}, {"iec958_subframe_be", 20},
             {"mu_law", 21}, {"a_law", 22}, {"ima_adpcm", 23}, {"mpeg", 24},
             {"gsm", 25})
VXL_ENUM_DEF(vsnd_stream_type, {"p", 1}, {"c", 2})
VXL_ENUM_DEF(shutdown_reason, {"unknown", -1}, {"poweroff", 0},
             {"reboot", 1}, {"suspend", 2}, {"crash", 3}, {"watchdog", 4},
             {"soft_reset", 5})
VXL_ENUM_DEF(trigger, {"unknown", 0}, {"power", 1}, {"sleep", 2}, {"nmi", 3},
             {"init", 4}, {"reset", 5}, {"s3resume", 6})

/* ------------------------------------------------------------------ */
/* Field descriptors: the IDL as data                                  */
/* ------------------------------------------------------------------ */

/* FD: a field called NAME at member path PATH of struct S (S is #defined
 * before each table).  The rest are designated initialisers. */
#define FD(NAME, PATH, KIND, ...) \
    { .name = NAME, .kind = KIND, .off = offsetof(S, PATH), __VA_ARGS__ }
#define F(f, KIND, ...)      FD(#f, f, KIND, __VA_ARGS__)
#define INIT(v)              .has_init = true, .init = (int64_t)(v)
#define MEMKB                INIT(-1)   /* VXL_MEMKB_DEFAULT as int64 */
#define E(T)                 .etab = vxl_##T##_string_table
#define SUB(T)               .sub = &vxl_desc_##T
#define ARR(ELEM, N)         .elem = ELEM, .count_off = offsetof(S, N)
#define DESC(T, TABLE)                                                  \
    const vxl_struct_desc vxl_desc_##T = {                              \
        #T, sizeof(vxl_##T), TABLE, (int)ARRAY_SIZE(TABLE) }

#define S vxl_ioport_range
static const vxl_field_desc f_ioport_range[] = {
    F(first, VK_U32),
    F(number, VK_U32),
};
DESC(ioport_range, f_ioport_range);
#undef S

#define S vxl_iomem_range
static const vxl_field_desc f_iomem_range[] = {
    F(start, VK_U64),
    F(number, VK_U64),
    F(gfn, VK_U64, INIT(-1)),       /* VXL_INVALID_GFN */
};
DESC(iomem_range, f_iomem_range);
#undef S

#define S vxl_vga_interface_info
static const vxl_field_desc f_vga_interface_info[] = {
    F(kind, VK_ENUM, E(vga_interface_type), INIT(0)),
};
DESC(vga_interface_info, f_vga_interface_info);
#undef S

#define S vxl_vnc_info
static const vxl_field_desc f_vnc_info[] = {
    F(enable, VK_DEFBOOL),
    F(listen, VK_STRING),
    F(passwd, VK_STRING),
    F(display, VK_INT),
    F(findunused, VK_DEFBOOL),
};
DESC(vnc_info, f_vnc_info);
#undef S

#define S vxl_spice_info
static const vxl_field_desc f_spice_info[] = {
    F(enable, VK_DEFBOOL),
    F(port, VK_INT),
    F(tls_port, VK_INT),
    F(host, VK_STRING),
    F(disable_ticketing, VK_DEFBOOL),
    F(passwd, VK_STRING),
    F(agent_mouse, VK_DEFBOOL),
    F(vdagent, VK_DEFBOOL),
    F(clipboard_sharing, VK_DEFBOOL),
    F(usbredirection, VK_INT),
    F(image_compression, VK_STRING),
    F(streaming_video, VK_STRING),
};
DESC(spice_info, f_spice_info);
#undef S

#define S vxl_sdl_info
static const vxl_field_desc f_sdl_info[] = {
    F(enable, VK_DEFBOOL),
    F(opengl, VK_DEFBOOL),
    F(display, VK_STRING),
    F(xauthority, VK_STRING),
};
DESC(sdl_info, f_sdl_info);
#undef S

#define S vxl_domain_create_info
static const vxl_field_desc f_domain_create_info[] = {
    F(type, VK_ENUM, E(domain_type), INIT(VXL_DOMAIN_TYPE_INVALID)),
    F(hap, VK_DEFBOOL),
    F(oos, VK_DEFBOOL),
    F(ssidref, VK_U32),
    F(ssid_label, VK_STRING),
    F(name, VK_STRING),
    F(domid, VK_U32),
    F(uuid, VK_UUID),
    F(xsdata, VK_KVLIST),
    F(platformdata, VK_KVLIST),
    F(poolid, VK_U32),
    F(pool_name, VK_STRING),
    F(run_hotplug_scripts, VK_DEFBOOL),
    F(driver_domain, VK_DEFBOOL),
    F(passthrough, VK_ENUM, E(passthrough)),
    F(xend_suspend_evtchn_compat, VK_DEFBOOL),
};
DESC(domain_create_info, f_domain_create_info);
#undef S

#define S vxl_sched_params
static const vxl_field_desc f_sched_params[] = {
    F(vcpuid, VK_INT, INIT(-1)),
    F(weight, VK_INT, INIT(-1)),
    F(cap, VK_INT, INIT(-1)),
    F(period, VK_INT, INIT(-1)),
    F(extratime, VK_INT, INIT(-1)),
    F(budget, VK_INT, INIT(-1)),
};
DESC(sched_params, f_sched_params);
#undef S

#define S vxl_domain_sched_params
static const vxl_field_desc f_domain_sched_params[] = {
    F(sched, VK_ENUM, E(scheduler)),
    F(weight, VK_INT, INIT(-1)),
    F(cap, VK_INT, INIT(-1)),
    F(period, VK_INT, INIT(-1)),
    F(budget, VK_INT, INIT(-1)),
    F(extratime, VK_INT, INIT(-1)),
    F(slice, VK_INT, INIT(-1)),
    F(latency, VK_INT, INIT(-1)),
};
DESC(domain_sched_params, f_domain_sched_params);
#undef S

#define S vxl_vnode_info
static const vxl_field_desc f_vnode_info[] = {
    F(memkb, VK_U64, MEMKB),
    F(distances, VK_ARRAY, ARR(VK_U32, num_distances)),
    F(pnode, VK_U32),
    F(vcpus, VK_BITMAP),
};
DESC(vnode_info, f_vnode_info);
#undef S

#define S vxl_rdm_reserve
static const vxl_field_desc f_rdm_reserve[] = {
    F(strategy, VK_ENUM, E(rdm_reserve_strategy)),
    F(policy, VK_ENUM, E(rdm_reserve_policy),
      INIT(VXL_RDM_RESERVE_POLICY_INVALID)),
};
DESC(rdm_reserve, f_rdm_reserve);
#undef S

/* b_info's keyed union members and anonymous structs.  Union member
 * offsets are relative to b_info; anonymous struct offsets relative to
 * the anonymous struct itself (they are walked like named structs). */
#define S vxl_domain_build_info
#define H(f, KIND, ...) FD(#f, u.hvm.f, KIND, __VA_ARGS__)
static const vxl_field_desc f_bi_hvm[] = {
    H(firmware, VK_STRING),
    H(bios, VK_ENUM, E(bios_type)),
    H(pae, VK_DEFBOOL),
    H(apic, VK_DEFBOOL),
    H(acpi, VK_DEFBOOL),
    H(acpi_s3, VK_DEFBOOL),
    H(acpi_s4, VK_DEFBOOL),
    H(acpi_laptop_slate, VK_DEFBOOL),
    H(nx, VK_DEFBOOL),
    H(viridian, VK_DEFBOOL),
    H(viridian_enable, VK_BITMAP),
    H(viridian_disable, VK_BITMAP),
    H(timeoffset, VK_STRING),
    H(hpet, VK_DEFBOOL),
    H(vpt_align, VK_DEFBOOL),
    H(mmio_hole_memkb, VK_U64, MEMKB),
    H(timer_mode, VK_ENUM, E(timer_mode), INIT(VXL_TIMER_MODE_DEFAULT)),
    H(nested_hvm, VK_DEFBOOL),
    H(altp2m, VK_DEFBOOL),
    H(system_firmware, VK_STRING),
    H(smbios_firmware, VK_STRING),
    H(acpi_firmware, VK_STRING),
    H(hdtype, VK_ENUM, E(hdtype), INIT(VXL_HDTYPE_IDE)),
    H(nographic, VK_DEFBOOL),
    H(vga, VK_STRUCT, SUB(vga_interface_info)),
    H(vnc, VK_STRUCT, SUB(vnc_info)),
    H(keymap, VK_STRING),
    H(sdl, VK_STRUCT, SUB(sdl_info)),
    H(spice, VK_STRUCT, SUB(spice_info)),
    H(gfx_passthru, VK_DEFBOOL),
    H(gfx_passthru_kind, VK_ENUM, E(gfx_passthru_kind)),
    H(serial, VK_STRING),
    H(boot, VK_STRING),
    H(usb, VK_DEFBOOL),
    H(usbversion, VK_INT),
    H(usbdevice, VK_STRING),
    H(vkb_device, VK_DEFBOOL),
    H(soundhw, VK_STRING),
    H(xen_platform_pci, VK_DEFBOOL),
    H(usbdevice_list, VK_STRLIST),
    H(vendor_device, VK_ENUM, E(vendor_device)),
    H(ms_vm_genid, VK_GENID),
    H(serial_list, VK_STRLIST),
    H(rdm, VK_STRUCT, SUB(rdm_reserve)),
    H(rdm_mem_boundary_memkb, VK_U64, MEMKB),
    H(mca_caps, VK_U64),
};
#undef H
static const vxl_struct_desc d_bi_hvm = {
    "hvm", 0, f_bi_hvm, (int)ARRAY_SIZE(f_bi_hvm) };

#define P(f, KIND, ...) FD(#f, u.pv.f, KIND, __VA_ARGS__)
static const vxl_field_desc f_bi_pv[] = {
    P(kernel, VK_STRING),
    P(slack_memkb, VK_U64, MEMKB),
    P(bootloader, VK_STRING),
    P(bootloader_args, VK_STRLIST),
    P(cmdline, VK_STRING),
    P(ramdisk, VK_STRING),
    P(features, VK_CONST_STRING),
    P(e820_host, VK_DEFBOOL),
};
#undef P
static const vxl_struct_desc d_bi_pv = {
    "pv", 0, f_bi_pv, (int)ARRAY_SIZE(f_bi_pv) };

#define PH(f, KIND, ...) FD(#f, u.pvh.f, KIND, __VA_ARGS__)
static const vxl_field_desc f_bi_pvh[] = {
    PH(pvshim, VK_DEFBOOL),
    PH(pvshim_path, VK_STRING),
    PH(pvshim_cmdline, VK_STRING),
    PH(pvshim_extra, VK_STRING),
};
#undef PH
static const vxl_struct_desc d_bi_pvh = {
    "pvh", 0, f_bi_pvh, (int)ARRAY_SIZE(f_bi_pvh) };

static const vxl_union_arm a_bi_type[] = {
    { VXL_DOMAIN_TYPE_HVM, "hvm", &d_bi_hvm },
    { VXL_DOMAIN_TYPE_PV, "pv", &d_bi_pv },
    { VXL_DOMAIN_TYPE_PVH, "pvh", &d_bi_pvh },
    { VXL_DOMAIN_TYPE_INVALID, "invalid", NULL },
};
static const vxl_union_desc u_bi_type = {
    "type", offsetof(S, type), VXL_DOMAIN_TYPE_INVALID,
    a_bi_type, (int)ARRAY_SIZE(a_bi_type) };

#define REL(a, f) (offsetof(S, a.f) - offsetof(S, a))
static const vxl_field_desc f_bi_arch_arm[] = {
    { .name = "gic_version", .kind = VK_ENUM,
      .off = REL(arch_arm, gic_version), E(gic_version),
      INIT(VXL_GIC_VERSION_DEFAULT) },
    { .name = "vuart", .kind = VK_ENUM, .off = REL(arch_arm, vuart),
      E(vuart_type) },
};
static const vxl_struct_desc vxl_desc_bi_arch_arm = {
    "arch_arm", sizeof(((S *)0)->arch_arm), f_bi_arch_arm,
    (int)ARRAY_SIZE(f_bi_arch_arm) };
static const vxl_field_desc f_bi_arch_x86[] = {
    { .name = "msr_relaxed", .kind = VK_DEFBOOL,
      .off = REL(arch_x86, msr_relaxed) },
};
static const vxl_struct_desc vxl_desc_bi_arch_x86 = {
    "arch_x86", sizeof(((S *)0)->arch_x86), f_bi_arch_x86,
    (int)ARRAY_SIZE(f_bi_arch_x86) };
#undef REL

static const vxl_field_desc f_domain_build_info[] = {
    F(max_vcpus, VK_INT),
    F(avail_vcpus, VK_BITMAP),
    F(cpumap, VK_BITMAP),
    F(nodemap, VK_BITMAP),
    F(vcpu_hard_affinity, VK_ARRAY, ARR(VK_BITMAP, num_vcpu_hard_affinity)),
    F(vcpu_soft_affinity, VK_ARRAY, ARR(VK_BITMAP, num_vcpu_soft_affinity)),
    F(numa_placement, VK_DEFBOOL),
    F(tsc_mode, VK_ENUM, E(tsc_mode)),
    F(max_memkb, VK_U64, MEMKB),
    F(target_memkb, VK_U64, MEMKB),
    F(video_memkb, VK_U64, MEMKB),
    F(shadow_memkb, VK_U64, MEMKB),
    F(iommu_memkb, VK_U64, MEMKB),
    F(rtc_timeoffset, VK_U32),
    F(exec_ssidref, VK_U32),
    F(exec_ssid_label, VK_STRING),
    F(localtime, VK_DEFBOOL),
    F(disable_migrate, VK_DEFBOOL),
    F(cpuid, VK_CPUID),
    F(blkdev_start, VK_STRING),
    F(vnuma_nodes, VK_ARRAY, ARR(VK_STRUCT, num_vnuma_nodes),
      SUB(vnode_info)),
    F(max_grant_frames, VK_U32, INIT(VXL_MAX_GRANT_DEFAULT)),
    F(max_maptrack_frames, VK_U32, INIT(VXL_MAX_GRANT_DEFAULT)),
    F(max_grant_version, VK_INT, INIT(-1)),   /* (int)VXL_MAX_GRANT_DEFAULT */
    F(device_model_version, VK_ENUM, E(device_model_version)),
    F(device_model_stubdomain, VK_DEFBOOL),
    F(stubdomain_memkb, VK_U64, MEMKB),
    F(stubdomain_kernel, VK_STRING),
    F(stubdomain_cmdline, VK_STRING),
    F(stubdomain_ramdisk, VK_STRING),
    F(device_model, VK_STRING),
    F(device_model_ssidref, VK_U32),
    F(device_model_ssid_label, VK_STRING),
    F(device_model_user, VK_STRING),
    F(extra, VK_STRLIST),
    F(extra_pv, VK_STRLIST),
    F(extra_hvm, VK_STRLIST),
    F(sched_params, VK_STRUCT, SUB(domain_sched_params)),
    F(ioports, VK_ARRAY, ARR(VK_STRUCT, num_ioports), SUB(ioport_range)),
    F(irqs, VK_ARRAY, ARR(VK_U32, num_irqs)),
    F(iomem, VK_ARRAY, ARR(VK_STRUCT, num_iomem), SUB(iomem_range)),
    F(claim_mode, VK_DEFBOOL),
    F(event_channels, VK_U32),
    F(kernel, VK_STRING),
    F(cmdline, VK_STRING),
    F(ramdisk, VK_STRING),
    F(device_tree, VK_STRING),
    F(acpi, VK_DEFBOOL),
    F(bootloader, VK_STRING),
    F(bootloader_args, VK_STRLIST),
    F(timer_mode, VK_ENUM, E(timer_mode), INIT(VXL_TIMER_MODE_DEFAULT)),
    F(nested_hvm, VK_DEFBOOL),
    F(apic, VK_DEFBOOL),
    F(dm_restrict, VK_DEFBOOL),
    F(tee, VK_ENUM, E(tee_type), INIT(VXL_TEE_TYPE_NONE)),
    FD("u", u, VK_KEYED, .un = &u_bi_type),
    F(arch_arm, VK_STRUCT, SUB(bi_arch_arm)),
    F(arch_x86, VK_STRUCT, SUB(bi_arch_x86)),
    F(altp2m, VK_ENUM, E(altp2m_mode), INIT(VXL_ALTP2M_MODE_DISABLED)),
    F(vmtrace_buf_kb, VK_INT),
    F(vpmu, VK_DEFBOOL),
};
DESC(domain_build_info, f_domain_build_info);
#undef S

#define S vxl_device_vfb
static const vxl_field_desc f_device_vfb[] = {
    F(backend_domid, VK_U32),
    F(backend_domname, VK_STRING),
    F(devid, VK_INT, INIT(-1)),
    F(vnc, VK_STRUCT, SUB(vnc_info)),
    F(sdl, VK_STRUCT, SUB(sdl_info)),
    F(keymap, VK_STRING),
};
DESC(device_vfb, f_device_vfb);
#undef S

#define S vxl_device_vkb
static const vxl_field_desc f_device_vkb[] = {
    F(backend_domid, VK_U32),
    F(backend_domname, VK_STRING),
    F(devid, VK_INT, INIT(-1)),
    F(backend_type, VK_ENUM, E(vkb_backend)),
    F(unique_id, VK_STRING),
    F(feature_disable_keyboard, VK_BOOL),
    F(feature_disable_pointer, VK_BOOL),
    F(feature_abs_pointer, VK_BOOL),
    F(feature_raw_pointer, VK_BOOL),
    F(feature_multi_touch, VK_BOOL),
    F(width, VK_U32),
    F(height, VK_U32),
    F(multi_touch_width, VK_U32),
    F(multi_touch_height, VK_U32),
    F(multi_touch_num_contacts, VK_U32),
};
DESC(device_vkb, f_device_vkb);
#undef S

#define S vxl_device_disk
static const vxl_field_desc f_device_disk[] = {
    F(backend_domid, VK_U32),
    F(backend_domname, VK_STRING),
    F(pdev_path, VK_STRING),
    F(vdev, VK_STRING),
    F(backend, VK_ENUM, E(disk_backend)),
    F(format, VK_ENUM, E(disk_format)),
    F(script, VK_STRING),
    F(removable, VK_INT),
    F(readwrite, VK_INT),
    F(is_cdrom, VK_INT),
    F(direct_io_safe, VK_BOOL),
    F(discard_enable, VK_DEFBOOL),
    F(specification, VK_ENUM, E(disk_specification)),
    F(transport, VK_ENUM, E(disk_transport)),
    F(irq, VK_U32),
    F(base, VK_U64),
    F(colo_enable, VK_DEFBOOL),
    F(colo_restore_enable, VK_DEFBOOL),
    F(colo_host, VK_STRING),
    F(colo_port, VK_INT),
    F(colo_export, VK_STRING),
    F(active_disk, VK_STRING),
    F(hidden_disk, VK_STRING),
    F(trusted, VK_DEFBOOL),
};
DESC(device_disk, f_device_disk);
#undef S

#define S vxl_device_nic
#define STR(f) F(f, VK_STRING)
static const vxl_field_desc f_device_nic[] = {
    F(backend_domid, VK_U32),
    STR(backend_domname),
    F(devid, VK_INT, INIT(-1)),
    F(mtu, VK_INT),
    STR(model),
    F(mac, VK_MAC),
    STR(ip),
    STR(bridge),
    STR(ifname),
    STR(script),
    F(nictype, VK_ENUM, E(nic_type)),
    F(rate_bytes_per_interval, VK_U64),
    F(rate_interval_usecs, VK_U32),
    STR(gatewaydev),
    STR(coloft_forwarddev),
    STR(colo_sock_mirror_id),
    STR(colo_sock_mirror_ip),
    STR(colo_sock_mirror_port),
    STR(colo_sock_compare_pri_in_id),
    STR(colo_sock_compare_pri_in_ip),
    STR(colo_sock_compare_pri_in_port),
    STR(colo_sock_compare_sec_in_id),
    STR(colo_sock_compare_sec_in_ip),
    STR(colo_sock_compare_sec_in_port),
    STR(colo_sock_compare_notify_id),
    STR(colo_sock_compare_notify_ip),
    STR(colo_sock_compare_notify_port),
    STR(colo_sock_redirector0_id),
    STR(colo_sock_redirector0_ip),
    STR(colo_sock_redirector0_port),
    STR(colo_sock_redirector1_id),
    STR(colo_sock_redirector1_ip),
    STR(colo_sock_redirector1_port),
    STR(colo_sock_redirector2_id),
    STR(colo_sock_redirector2_ip),
    STR(colo_sock_redirector2_port),
    STR(colo_filter_mirror_queue),
    STR(colo_filter_mirror_outdev),
    STR(colo_filter_redirector0_queue),
    STR(colo_filter_redirector0_indev),
    STR(colo_filter_redirector0_outdev),
    STR(colo_filter_redirector1_queue),
    STR(colo_filter_redirector1_indev),
    STR(colo_filter_redirector1_outdev),
    STR(colo_compare_pri_in),
    STR(colo_compare_sec_in),
    STR(colo_compare_out),
    STR(colo_compare_notify_dev),
    STR(colo_sock_sec_redirector0_id),
    STR(colo_sock_sec_redirector0_ip),
    STR(colo_sock_sec_redirector0_port),
    STR(colo_sock_sec_redirector1_id),
    STR(colo_sock_sec_redirector1_ip),
    STR(colo_sock_sec_redirector1_port),
    STR(colo_filter_sec_redirector0_queue),
    STR(colo_filter_sec_redirector0_indev),
    STR(colo_filter_sec_redirector0_outdev),
    STR(colo_filter_sec_redirector1_queue),
    STR(colo_filter_sec_redirector1_indev),
    STR(colo_filter_sec_redirector1_outdev),
    STR(colo_filter_sec_rewriter0_queue),
    STR(colo_checkpoint_host),
    STR(colo_checkpoint_port),
    F(trusted, VK_DEFBOOL),
};
#undef STR
DESC(device_nic, f_device_nic);
#undef S

#define S vxl_device_pci
static const vxl_field_desc f_device_pci[] = {
    F(func, VK_U8),
    F(dev, VK_U8),
    F(bus, VK_U8),
    F(domain, VK_INT),
    F(vdevfn, VK_U32),
    F(vfunc_mask, VK_U32),
    F(msitranslate, VK_BOOL),
    F(power_mgmt, VK_BOOL),
    F(permissive, VK_BOOL),
    F(seize, VK_BOOL),
    F(rdm_policy, VK_ENUM, E(rdm_reserve_policy),
      INIT(VXL_RDM_RESERVE_POLICY_INVALID)),
    F(name, VK_STRING),
};
DESC(device_pci, f_device_pci);
#undef S

#define S vxl_device_rdm
static const vxl_field_desc f_device_rdm[] = {
    F(start, VK_U64),
    F(size, VK_U64),
    F(policy, VK_ENUM, E(rdm_reserve_policy),
      INIT(VXL_RDM_RESERVE_POLICY_INVALID)),
};
DESC(device_rdm, f_device_rdm);
#undef S

#define S vxl_device_usbctrl
static const vxl_field_desc f_device_usbctrl[] = {
    F(type, VK_ENUM, E(usbctrl_type)),
    F(devid, VK_INT, INIT(-1)),
    F(version, VK_INT),
    F(ports, VK_INT),
    F(backend_domid, VK_U32),
    F(backend_domname, VK_STRING),
};
DESC(device_usbctrl, f_device_usbctrl);
#undef S

#define S vxl_device_usbdev
static const vxl_field_desc f_usbdev_hostdev[] = {
    FD("hostbus", u.hostdev.hostbus, VK_U8),
    FD("hostaddr", u.hostdev.hostaddr, VK_U8),
};
static const vxl_struct_desc d_usbdev_hostdev = {
    "hostdev", 0, f_usbdev_hostdev, (int)ARRAY_SIZE(f_usbdev_hostdev) };
static const vxl_union_arm a_usbdev_type[] = {
    { VXL_USBDEV_TYPE_HOSTDEV, "hostdev", &d_usbdev_hostdev },
};
static const vxl_union_desc u_usbdev_type = {
    "type", offsetof(S, type), 0, a_usbdev_type,
    (int)ARRAY_SIZE(a_usbdev_type) };
static const vxl_field_desc f_device_usbdev[] = {
    F(ctrl, VK_INT, INIT(-1)),
    F(port, VK_INT),
    FD("u", u, VK_KEYED, .un = &u_usbdev_type),
};
DESC(device_usbdev, f_device_usbdev);
#undef S

#define S vxl_device_dtdev
static const vxl_field_desc f_device_dtdev[] = {
    F(path, VK_STRING),
};
DESC(device_dtdev, f_device_dtdev);
#undef S

#define S vxl_device_vtpm
static const vxl_field_desc f_device_vtpm[] = {
    F(backend_domid, VK_U32),
    F(backend_domname, VK_STRING),
    F(devid, VK_INT, INIT(-1)),
    F(uuid, VK_UUID),
};
DESC(device_vtpm, f_device_vtpm);
#undef S

#define S vxl_device_p9
static const vxl_field_desc f_device_p9[] = {
    F(backend_domid, VK_U32),
    F(backend_domname, VK_STRING),
    F(tag, VK_STRING),
    F(path, VK_STRING),
    F(security_model, VK_STRING),
    F(devid, VK_INT, INIT(-1)),
};
DESC(device_p9, f_device_p9);
#undef S

#define S vxl_device_pvcallsif
static const vxl_field_desc f_device_pvcallsif[] = {
    F(backend_domid, VK_U32),
    F(backend_domname, VK_STRING),
    F(devid, VK_INT, INIT(-1)),
};
DESC(device_pvcallsif, f_device_pvcallsif);
#undef S

#define S vxl_device_channel
static const vxl_field_desc f_channel_socket[] = {
    FD("path", u.socket.path, VK_STRING),
};
static const vxl_struct_desc d_channel_socket = {
    "socket", 0, f_channel_socket, (int)ARRAY_SIZE(f_channel_socket) };
static const vxl_union_arm a_channel_connection[] = {
    { VXL_CHANNEL_CONNECTION_UNKNOWN, "unknown", NULL },
    { VXL_CHANNEL_CONNECTION_PTY, "pty", NULL },
    { VXL_CHANNEL_CONNECTION_SOCKET, "socket", &d_channel_socket },
};
static const vxl_union_desc u_channel_connection = {
    "connection", offsetof(S, connection), VXL_CHANNEL_CONNECTION_UNKNOWN,
    a_channel_connection, (int)ARRAY_SIZE(a_channel_connection) };
static const vxl_field_desc f_device_channel[] = {
    F(backend_domid, VK_U32),
    F(backend_domname, VK_STRING),
    F(devid, VK_INT, INIT(-1)),
    F(name, VK_STRING),
    FD("u", u, VK_KEYED, .un = &u_channel_connection),
};
DESC(device_channel, f_device_channel);
#undef S

#define S vxl_connector_param
static const vxl_field_desc f_connector_param[] = {
    F(unique_id, VK_STRING),
    F(width, VK_U32),
    F(height, VK_U32),
};
DESC(connector_param, f_connector_param);
#undef S

#define S vxl_device_vdispl
static const vxl_field_desc f_device_vdispl[] = {
    F(backend_domid, VK_U32),
    F(backend_domname, VK_STRING),
    F(devid, VK_INT, INIT(-1)),
    F(be_alloc, VK_BOOL),
    F(connectors, VK_ARRAY, ARR(VK_STRUCT, num_connectors),
      SUB(connector_param)),
};
DESC(device_vdispl, f_device_vdispl);
#undef S

#define S vxl_vsnd_params
static const vxl_field_desc f_vsnd_params[] = {
    F(sample_rates, VK_ARRAY, ARR(VK_U32, num_sample_rates)),
    F(sample_formats, VK_ARRAY, ARR(VK_ENUM, num_sample_formats),
      E(vsnd_pcm_format)),
    F(channels_min, VK_U32),
    F(channels_max, VK_U32),
    F(buffer_size, VK_U32),
};
DESC(vsnd_params, f_vsnd_params);
#undef S

#define S vxl_vsnd_stream
static const vxl_field_desc f_vsnd_stream[] = {
    F(unique_id, VK_STRING),
    F(type, VK_ENUM, E(vsnd_stream_type)),
    F(params, VK_STRUCT, SUB(vsnd_params)),
};
DESC(vsnd_stream, f_vsnd_stream);
#undef S

#define S vxl_vsnd_pcm
static const vxl_field_desc f_vsnd_pcm[] = {
    F(name, VK_STRING),
    F(params, VK_STRUCT, SUB(vsnd_params)),
    F(streams, VK_ARRAY, ARR(VK_STRUCT, num_vsnd_streams),
      SUB(vsnd_stream)),
};
DESC(vsnd_pcm, f_vsnd_pcm);
#undef S

#define S vxl_device_vsnd
static const vxl_field_desc f_device_vsnd[] = {
    F(backend_domid, VK_U32),
    F(backend_domname, VK_STRING),
    F(devid, VK_INT, INIT(-1)),
    F(short_name, VK_STRING),
    F(long_name, VK_STRING),
    F(params, VK_STRUCT, SUB(vsnd_params)),
    F(pcms, VK_ARRAY, ARR(VK_STRUCT, num_vsnd_pcms), SUB(vsnd_pcm)),
};
DESC(device_vsnd, f_device_vsnd);
#undef S

#define S vxl_domain_config
#define DEV(f, N, T) F(f, VK_ARRAY, ARR(VK_STRUCT, N), SUB(T))
#define ACTION(f) F(f, VK_ENUM, E(action_on_shutdown), \
                    INIT(VXL_ACTION_ON_SHUTDOWN_DESTROY))
static const vxl_field_desc f_domain_config[] = {
    F(c_info, VK_STRUCT, SUB(domain_create_info)),
    F(b_info, VK_STRUCT, SUB(domain_build_info)),
    DEV(disks, num_disks, device_disk),
    DEV(nics, num_nics, device_nic),
    DEV(pcidevs, num_pcidevs, device_pci),
    DEV(rdms, num_rdms, device_rdm),
    DEV(dtdevs, num_dtdevs, device_dtdev),
    DEV(vfbs, num_vfbs, device_vfb),
    DEV(vkbs, num_vkbs, device_vkb),
    DEV(vtpms, num_vtpms, device_vtpm),
    DEV(p9s, num_p9s, device_p9),
    DEV(pvcallsifs, num_pvcallsifs, device_pvcallsif),
    DEV(vdispls, num_vdispls, device_vdispl),
    DEV(vsnds, num_vsnds, device_vsnd),
    DEV(channels, num_channels, device_channel),
    DEV(usbctrls, num_usbctrls, device_usbctrl),
    DEV(usbdevs, num_usbdevs, device_usbdev),
    ACTION(on_poweroff),
    ACTION(on_reboot),
    ACTION(on_watchdog),
    ACTION(on_crash),
    ACTION(on_soft_reset),
};
#undef DEV
#undef ACTION
DESC(domain_config, f_domain_config);
#undef S

/* ------------------------------------------------------------------ */
/* Generic walkers                                                     */
/* ------------------------------------------------------------------ */

size_t vxl_desc_kind_size(enum vxl_kind k, const vxl_struct_desc *sub)
{
    switch (k) {
    case VK_INT:     return sizeof(int);
    case VK_U8:      return sizeof(uint8_t);
    case VK_U16:     return sizeof(uint16_t);
    case VK_U32:     return sizeof(uint32_t);
    case VK_U64:     return sizeof(uint64_t);
    case VK_BOOL:    return sizeof(bool);
    case VK_STRING:
    case VK_CONST_STRING: return sizeof(char *);
    case VK_DEFBOOL: return sizeof(vxl_defbool);
    case VK_UUID:    return sizeof(vxl_uuid);
    case VK_MAC:     return sizeof(vxl_mac);
    case VK_BITMAP:  return sizeof(vxl_bitmap);
    case VK_STRLIST: return sizeof(vxl_string_list);
    case VK_KVLIST:  return sizeof(vxl_key_value_list);
    case VK_CPUID:   return sizeof(vxl_cpuid_policy_list);
    case VK_GENID:   return sizeof(vxl_ms_vm_genid);
    case VK_HWCAP:   return sizeof(vxl_hwcap);
    case VK_ENUM:    return sizeof(vxl_domain_type);  /* any C enum */
    case VK_STRUCT:  return sub->size;
    case VK_ARRAY:
    case VK_KEYED:   break;
    }
    return 0;
}

int64_t vxl_desc_get_num(const void *base, const vxl_field_desc *f,
                         enum vxl_kind k)
{
    const char *p = (const char *)base + f->off;
    switch (k) {
    case VK_INT:  { int v; memcpy(&v, p, sizeof v); return v; }
    case VK_ENUM: { vxl_domain_type v; memcpy(&v, p, sizeof v); return v; }
    case VK_U8:   return *(const uint8_t *)p;
    case VK_U16:  { uint16_t v; memcpy(&v, p, sizeof v); return v; }
    case VK_U32:  { uint32_t v; memcpy(&v, p, sizeof v); return v; }
    case VK_U64:  { uint64_t v; memcpy(&v, p, sizeof v); return (int64_t)v; }
    case VK_BOOL: return *(const bool *)p;
    default:      return 0;
    }
}

static void set_num(void *base, const vxl_field_desc *f, int64_t v)
{
    char *p = (char *)base + f->off;
    switch (f->kind) {
    case VK_INT:  { int x = (int)v; memcpy(p, &x, sizeof x); break; }
    case VK_ENUM: { vxl_domain_type x = (vxl_domain_type)v;
                    memcpy(p, &x, sizeof x); break; }
    case VK_U8:   *(uint8_t *)p = (uint8_t)v; break;
    case VK_U16:  { uint16_t x = (uint16_t)v; memcpy(p, &x, sizeof x); break; }
    case VK_U32:  { uint32_t x = (uint32_t)v; memcpy(p, &x, sizeof x); break; }
    case VK_U64:  { uint64_t x = (uint64_t)v; memcpy(p, &x, sizeof x); break; }
    case VK_BOOL: *(bool *)p = v != 0; break;
    default: break;
    }
}

const vxl_union_arm *vxl_desc_arm(const vxl_union_desc *u, int key)
{
    for (int i = 0; i < u->narms; i++)
        if (u->arms[i].key == key)
            return &u->arms[i];
    return NULL;
}

static int get_key(const void *base, const vxl_union_desc *u)
{
    int k;
    memcpy(&k, (const char *)base + u->key_off, sizeof k);
    return k;
}

/* Initialise the fields of d (already zeroed) living at base. */
static void fields_init(const vxl_struct_desc *d, void *base)
{
    for (int i = 0; i < d->nfields; i++) {
        const vxl_field_desc *f = &d->fields[i];
        if (f->has_init)
            set_num(base, f, f->init);
        else if (f->kind == VK_STRUCT)
            fields_init(f->sub, (char *)base + f->off);
        else if (f->kind == VK_KEYED)
            memcpy((char *)base + f->un->key_off, &f->un->key_init,
                   sizeof(int));
    }
}

void vxl_struct_init(const vxl_struct_desc *d, void *p)
{
    memset(p, 0, d->size);
    fields_init(d, p);
}

static void fields_dispose(const vxl_struct_desc *d, void *base);

static void value_dispose(enum vxl_kind k, const vxl_struct_desc *sub,
                          void *p)
{
    switch (k) {
    case VK_STRING:  free(*(char **)p); *(char **)p = NULL; break;
    case VK_BITMAP:  vxl_bitmap_dispose(p); break;
    case VK_STRLIST: vxl_string_list_dispose(p); break;
    case VK_KVLIST:  vxl_key_value_list_dispose(p); break;
    case VK_CPUID:   vxl_cpuid_policy_list_dispose(p); break;
    case VK_STRUCT:  fields_dispose(sub, p); break;
    default: break;
    }
}

static void field_dispose(void *base, const vxl_field_desc *f)
{
    char *p = (char *)base + f->off;

    if (f->kind == VK_ARRAY) {
        void **arr = (void **)p;
        int *count = (int *)((char *)base + f->count_off);
        size_t sz = vxl_desc_kind_size(f->elem, f->sub);
        for (int i = 0; *arr && i < *count; i++)
            value_dispose(f->elem, f->sub, (char *)*arr + (size_t)i * sz);
        free(*arr);
        *arr = NULL;
        *count = 0;
    } else if (f->kind == VK_KEYED) {
        const vxl_union_arm *a = vxl_desc_arm(f->un, get_key(base, f->un));
        if (a && a->sub)
            fields_dispose(a->sub, base);   /* arm offsets are outer */
    } else {
        value_dispose(f->kind, f->sub, p);
    }
}

static void fields_dispose(const vxl_struct_desc *d, void *base)
{
    for (int i = 0; i < d->nfields; i++)
        field_dispose(base, &d->fields[i]);
}

void vxl_struct_dispose(const vxl_struct_desc *d, void *p)
{
    fields_dispose(d, p);
}

/* Keyed union: dispose the current member, set the key, init the new one */
static void keyed_set(const vxl_struct_desc *d, void *base, const char *u,
                      void *uarea, size_t usize, int key)
{
    const vxl_field_desc *f = NULL;
    for (int i = 0; i < d->nfields; i++)
        if (d->fields[i].kind == VK_KEYED && !strcmp(d->fields[i].name, u))
            f = &d->fields[i];
    if (!f)
        return;
    if (get_key(base, f->un) == key)
        return;
    field_dispose(base, f);
    memset(uarea, 0, usize);
    memcpy((char *)base + f->un->key_off, &key, sizeof key);
    const vxl_union_arm *a = vxl_desc_arm(f->un, key);
    if (a && a->sub)
        fields_init(a->sub, base);
}

void vxl_domain_build_info_init_type(vxl_domain_build_info *b,
                                     vxl_domain_type type)
{
    keyed_set(&vxl_desc_domain_build_info, b, "u", &b->u, sizeof(b->u),
              (int)type);
}

void vxl_device_channel_init_connection(vxl_device_channel *c,
                                        vxl_channel_connection conn)
{
    keyed_set(&vxl_desc_device_channel, c, "u", &c->u, sizeof(c->u),
              (int)conn);
}

void vxl_device_usbdev_init_type(vxl_device_usbdev *u, vxl_usbdev_type type)
{
    keyed_set(&vxl_desc_device_usbdev, u, "u", &u->u, sizeof(u->u),
              (int)type);
}

/* Per-type _init/_dispose wrappers */
#define VXL_STRUCT_DEF(T)                                   \
    void vxl_##T##_init(vxl_##T *p)                         \
    {                                                       \
        vxl_struct_init(&vxl_desc_##T, p);                  \
    }                                                       \
    void vxl_##T##_dispose(vxl_##T *p)                      \
    {                                                       \
        vxl_struct_dispose(&vxl_desc_##T, p);               \
    }
VXL_STRUCT_DEF(ioport_range)
VXL_STRUCT_DEF(iomem_range)
VXL_STRUCT_DEF(vga_interface_info)
VXL_STRUCT_DEF(vnc_info)
VXL_STRUCT_DEF(spice_info)
VXL_STRUCT_DEF(sdl_info)
VXL_STRUCT_DEF(domain_create_info)
VXL_STRUCT_DEF(sched_params)
VXL_STRUCT_DEF(domain_sched_params)
VXL_STRUCT_DEF(vnode_info)
VXL_STRUCT_DEF(rdm_reserve)
VXL_STRUCT_DEF(domain_build_info)
VXL_STRUCT_DEF(device_vfb)
VXL_STRUCT_DEF(device_vkb)
VXL_STRUCT_DEF(device_disk)
VXL_STRUCT_DEF(device_nic)
VXL_STRUCT_DEF(device_pci)
VXL_STRUCT_DEF(device_rdm)
VXL_STRUCT_DEF(device_usbctrl)
VXL_STRUCT_DEF(device_usbdev)
VXL_STRUCT_DEF(device_dtdev)
VXL_STRUCT_DEF(device_vtpm)
VXL_STRUCT_DEF(device_p9)
VXL_STRUCT_DEF(device_pvcallsif)
VXL_STRUCT_DEF(device_channel)
VXL_STRUCT_DEF(connector_param)
VXL_STRUCT_DEF(device_vdispl)
VXL_STRUCT_DEF(vsnd_params)
VXL_STRUCT_DEF(vsnd_stream)
VXL_STRUCT_DEF(vsnd_pcm)
VXL_STRUCT_DEF(device_vsnd)
VXL_STRUCT_DEF(domain_config)

/* ------------------------------------------------------------------ */
/* Array helpers                                                       */
/* ------------------------------------------------------------------ */

void *vxl_array_extend(void **arr, int *count, size_t elem_size,
                       void (*init)(void *))
{
    *arr = xreallocarray(*arr, (size_t)*count + 1, elem_size);
    void *e = (char *)*arr + (size_t)*count * elem_size;
    memset(e, 0, elem_size);
    if (init)
        init(e);
    (*count)++;
    return e;
}

#define ADD(RET, FN, ARG, ARR, N, INIT)                            \
    RET *FN(ARG *d)                                                \
    {                                                              \
        return VXL_ARRAY_EXTEND(d->ARR, d->N, INIT);               \
    }
ADD(vxl_device_disk, vxl_domain_config_add_disk, vxl_domain_config,
    disks, num_disks, vxl_device_disk_init)
ADD(vxl_device_nic, vxl_domain_config_add_nic, vxl_domain_config,
    nics, num_nics, vxl_device_nic_init)
ADD(vxl_device_pci, vxl_domain_config_add_pcidev, vxl_domain_config,
    pcidevs, num_pcidevs, vxl_device_pci_init)
ADD(vxl_device_rdm, vxl_domain_config_add_rdm, vxl_domain_config,
    rdms, num_rdms, vxl_device_rdm_init)
ADD(vxl_device_dtdev, vxl_domain_config_add_dtdev, vxl_domain_config,
    dtdevs, num_dtdevs, vxl_device_dtdev_init)
ADD(vxl_device_vfb, vxl_domain_config_add_vfb, vxl_domain_config,
    vfbs, num_vfbs, vxl_device_vfb_init)
ADD(vxl_device_vkb, vxl_domain_config_add_vkb, vxl_domain_config,
    vkbs, num_vkbs, vxl_device_vkb_init)
ADD(vxl_device_vtpm, vxl_domain_config_add_vtpm, vxl_domain_config,
    vtpms, num_vtpms, vxl_device_vtpm_init)
ADD(vxl_device_p9, vxl_domain_config_add_p9, vxl_domain_config,
    p9s, num_p9s, vxl_device_p9_init)
ADD(vxl_device_pvcallsif, vxl_domain_config_add_pvcallsif,
    vxl_domain_config, pvcallsifs, num_pvcallsifs,
    vxl_device_pvcallsif_init)
ADD(vxl_device_vdispl, vxl_domain_config_add_vdispl, vxl_domain_config,
    vdispls, num_vdispls, vxl_device_vdispl_init)
ADD(vxl_device_vsnd, vxl_domain_config_add_vsnd, vxl_domain_config,
    vsnds, num_vsnds, vxl_device_vsnd_init)
ADD(vxl_device_channel, vxl_domain_config_add_channel, vxl_domain_config,
    channels, num_channels, vxl_device_channel_init)
ADD(vxl_device_usbctrl, vxl_domain_config_add_usbctrl, vxl_domain_config,
    usbctrls, num_usbctrls, vxl_device_usbctrl_init)
ADD(vxl_device_usbdev, vxl_domain_config_add_usbdev, vxl_domain_config,
    usbdevs, num_usbdevs, vxl_device_usbdev_init)
ADD(vxl_vnode_info, vxl_build_info_add_vnuma_node, vxl_domain_build_info,
    vnuma_nodes, num_vnuma_nodes, vxl_vnode_info_init)
ADD(vxl_ioport_range, vxl_build_info_add_ioport, vxl_domain_build_info,
    ioports, num_ioports, vxl_ioport_range_init)
ADD(vxl_iomem_range, vxl_build_info_add_iomem, vxl_domain_build_info,
    iomem, num_iomem, vxl_iomem_range_init)
ADD(vxl_connector_param, vxl_device_vdispl_add_connector, vxl_device_vdispl,
    connectors, num_connectors, vxl_connector_param_init)
ADD(vxl_vsnd_pcm, vxl_device_vsnd_add_pcm, vxl_device_vsnd,
    pcms, num_vsnd_pcms, vxl_vsnd_pcm_init)
ADD(vxl_vsnd_stream, vxl_vsnd_pcm_add_stream, vxl_vsnd_pcm,
    streams, num_vsnd_streams, vxl_vsnd_stream_init)
#undef ADD

void vxl_build_info_add_irq(vxl_domain_build_info *b, uint32_t irq)
{
    uint32_t *e = VXL_ARRAY_EXTEND(b->irqs, b->num_irqs, NULL);
    *e = irq;
}

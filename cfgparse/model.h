/* cfgparse/model.h — the domain model: C types mirroring the part of Xen
 * 4.17's libxl_types.idl reachable from libxl_domain_config.
 *
 * Interface facts matched with libxl (they are what `xl -N create` prints):
 *   - struct and field names are the IDL's (the JSON keys are field names);
 *   - field order is the IDL's (the JSON prints fields in that order);
 *   - the _init functions set the IDL's init_val defaults (MemKB fields to
 *     VXL_MEMKB_DEFAULT, devids and sched params to -1, ...), everything
 *     else to zero / NULL / "default" defbool;
 *   - keyed unions are a key field plus a union `u` as in libxl:
 *     b_info->type with b_info->u.hvm / u.pv / u.pvh,
 *     channel->connection with channel->u.socket,
 *     usbdev->type with usbdev->u.hostdev.
 *     Set the key with the *_init_<key>() helper, which also initialises
 *     the union member's defaults (as libxl_domain_build_info_init_type).
 *   - enum value names are VXL_<ENUM>_<VALUE>; vxl_<enum>_to_string gives
 *     libxl's lower-case names, vxl_<enum>_from_string matches them
 *     case-insensitively (libxl__enum_from_string).
 *
 * Xen 4.17 has no virtio device array (only disk specification=virtio).
 * Arrays are a pointer plus the IDL's num_* count.  Strings are malloc'd
 * and owned by the struct (freed by _dispose).  Nothing here prints. */
#ifndef VXL_CFGPARSE_MODEL_H
#define VXL_CFGPARSE_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------ */
/* Builtin types                                                       */
/* ------------------------------------------------------------------ */

/* A boolean with an explicit default state: 0 default, <0 false, >0 true */
typedef struct { int val; } vxl_defbool;
#define VXL_DEFBOOL_DEFAULT 0
#define VXL_DEFBOOL_FALSE   (-1)
#define VXL_DEFBOOL_TRUE    1
void vxl_defbool_set(vxl_defbool *db, bool b);
void vxl_defbool_unset(vxl_defbool *db);
void vxl_defbool_setdefault(vxl_defbool *db, bool b);
bool vxl_defbool_is_default(vxl_defbool db);
bool vxl_defbool_val(vxl_defbool db);          /* db must not be default */
const char *vxl_defbool_to_string(vxl_defbool db); /* "True"/"False"/"<default>" */

typedef uint32_t vxl_domid;
typedef int vxl_devid;                         /* init -1 */

typedef struct { uint8_t uuid[16]; } vxl_uuid;
bool vxl_uuid_is_nil(const vxl_uuid *u);
void vxl_uuid_clear(vxl_uuid *u);
/* Random (version 4) uuid, as libxl_uuid_generate does. */
void vxl_uuid_generate(vxl_uuid *u);
/* Parse "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (libxl_uuid_from_string:
 * exactly 36 chars, hex digits in either case).  0, or -1 if malformed. */
int vxl_uuid_from_string(vxl_uuid *u, const char *s);
#define VXL_UUID_FMTLEN 36
/* buf must hold VXL_UUID_FMTLEN + 1 bytes; lower-case hex. */
void vxl_uuid_to_string(const vxl_uuid *u, char *buf);

typedef uint8_t vxl_mac[6];
bool vxl_mac_is_default(const vxl_mac *m);     /* all zero */
#define VXL_MAC_FMTLEN 17

/* A bitmap: size is the number of BYTES in map (as libxl_bitmap). */
typedef struct {
    uint32_t size;
    uint8_t *map;
} vxl_bitmap;
void vxl_bitmap_init(vxl_bitmap *b);
void vxl_bitmap_dispose(vxl_bitmap *b);
/* (Re)allocate to hold nr_bits bits (rounded up to bytes), all clear. */
void vxl_bitmap_alloc(vxl_bitmap *b, int nr_bits);
/* Grow to hold nr_bits, keeping the bits already set. */
void vxl_bitmap_resize(vxl_bitmap *b, int nr_bits);
void vxl_bitmap_set(vxl_bitmap *b, int bit);   /* ignored if out of range */
void vxl_bitmap_reset(vxl_bitmap *b, int bit);
int  vxl_bitmap_test(const vxl_bitmap *b, int bit);
void vxl_bitmap_set_any(vxl_bitmap *b);
void vxl_bitmap_set_none(vxl_bitmap *b);
bool vxl_bitmap_is_empty(const vxl_bitmap *b); /* no bit set */
bool vxl_bitmap_is_full(const vxl_bitmap *b);
int  vxl_bitmap_count_set(const vxl_bitmap *b);
void vxl_bitmap_copy(vxl_bitmap *dst, const vxl_bitmap *src); /* allocates */
#define vxl_bitmap_nr_bits(b) ((int)((b)->size * 8))

/* NULL-terminated array of malloc'd strings; NULL means empty. */
typedef char **vxl_string_list;
int  vxl_string_list_length(const vxl_string_list *l);
void vxl_string_list_append(vxl_string_list *l, const char *s); /* copies */
void vxl_string_list_dispose(vxl_string_list *l);

/* NULL-terminated array of key, value pairs (value may be NULL). */
typedef char **vxl_key_value_list;
int  vxl_key_value_list_length(const vxl_key_value_list *l); /* pairs */
void vxl_key_value_list_append(vxl_key_value_list *l, const char *k,
                               const char *v);   /* copies; v may be NULL */
void vxl_key_value_list_dispose(vxl_key_value_list *l);

/* cpuid/msr policy (libxl_cpuid_policy_list).  Each cpuid entry is a
 * leaf, a subleaf (VXL_CPUID_INPUT_UNUSED when none) and for each of
 * eax..edx either NULL or a 32-char string of '0','1','x','k','s' (bit 31
 * first), exactly as libxl stores and prints them.  Empty (not printed)
 * when there is no cpuid entry and no msr entry. */
#define VXL_CPUID_INPUT_UNUSED 0xFFFFFFFFu
typedef struct vxl_cpuid_leaf {
    uint32_t input[2];          /* leaf, subleaf */
    char *policy[4];            /* eax, ebx, ecx, edx; 32 chars or NULL */
} vxl_cpuid_leaf;
typedef struct vxl_msr_policy {
    uint32_t index;
    char policy[65];            /* 64 chars */
} vxl_msr_policy;
typedef struct {
    vxl_cpuid_leaf *cpuid;
    int num_cpuid;
    vxl_msr_policy *msr;
    int num_msr;
} vxl_cpuid_policy_list;
bool vxl_cpuid_policy_list_is_empty(const vxl_cpuid_policy_list *p);
/* Find the entry for (leaf, subleaf) or append a new one (policies NULL). */
vxl_cpuid_leaf *vxl_cpuid_policy_leaf(vxl_cpuid_policy_list *p,
                                      uint32_t leaf, uint32_t subleaf);
void vxl_cpuid_policy_list_dispose(vxl_cpuid_policy_list *p);

typedef uint32_t vxl_hwcap[8];                 /* never "default" */

#define VXL_MS_VM_GENID_LEN 16
typedef struct { uint8_t bytes[VXL_MS_VM_GENID_LEN]; } vxl_ms_vm_genid;
bool vxl_ms_vm_genid_is_zero(const vxl_ms_vm_genid *g);

/* Sentinels (values as libxl's) */
#define VXL_MEMKB_DEFAULT (~0ULL)
#define VXL_TIMER_MODE_DEFAULT (-1)
#define VXL_MAX_GRANT_DEFAULT (~(uint32_t)0)
#define VXL_INVALID_GFN (~(uint64_t)0)
#define VXL_DOMAIN_SCHED_PARAM_WEIGHT_DEFAULT    (-1)
#define VXL_DOMAIN_SCHED_PARAM_CAP_DEFAULT       (-1)
#define VXL_DOMAIN_SCHED_PARAM_PERIOD_DEFAULT    (-1)
#define VXL_DOMAIN_SCHED_PARAM_SLICE_DEFAULT     (-1)
#define VXL_DOMAIN_SCHED_PARAM_LATENCY_DEFAULT   (-1)
#define VXL_DOMAIN_SCHED_PARAM_EXTRATIME_DEFAULT (-1)
#define VXL_DOMAIN_SCHED_PARAM_BUDGET_DEFAULT    (-1)
#define VXL_SCHED_PARAM_VCPU_INDEX_DEFAULT       (-1)
#define VXL_RDM_MEM_BOUNDARY_MEMKB_DEFAULT (2048 * 1024)
#define VXL_PCI_FUNC_ALL (~0U)

/* ------------------------------------------------------------------ */
/* Enumerations                                                        */
/* ------------------------------------------------------------------ */

typedef enum vxl_domain_type {
    VXL_DOMAIN_TYPE_INVALID = -1,
    VXL_DOMAIN_TYPE_HVM = 1,
    VXL_DOMAIN_TYPE_PV = 2,
    VXL_DOMAIN_TYPE_PVH = 3,
} vxl_domain_type;

typedef enum vxl_rdm_reserve_strategy {
    VXL_RDM_RESERVE_STRATEGY_IGNORE = 0,
    VXL_RDM_RESERVE_STRATEGY_HOST = 1,
} vxl_rdm_reserve_strategy;

typedef enum vxl_rdm_reserve_policy {
    VXL_RDM_RESERVE_POLICY_INVALID = -1,
    VXL_RDM_RESERVE_POLICY_STRICT = 0,
    VXL_RDM_RESERVE_POLICY_RELAXED = 1,
} vxl_rdm_reserve_policy;

typedef enum vxl_channel_connection {
    VXL_CHANNEL_CONNECTION_UNKNOWN = 0,
    VXL_CHANNEL_CONNECTION_PTY = 1,
    VXL_CHANNEL_CONNECTION_SOCKET = 2,
} vxl_channel_connection;

typedef enum vxl_device_model_version {
    VXL_DEVICE_MODEL_VERSION_UNKNOWN = 0,
    VXL_DEVICE_MODEL_VERSION_QEMU_XEN_TRADITIONAL = 1,
    VXL_DEVICE_MODEL_VERSION_QEMU_XEN = 2,
} vxl_device_model_version;

typedef enum vxl_console_type {
    VXL_CONSOLE_TYPE_UNKNOWN = 0,
    VXL_CONSOLE_TYPE_SERIAL = 1,
    VXL_CONSOLE_TYPE_PV = 2,
    VXL_CONSOLE_TYPE_VUART = 3,
} vxl_console_type;

typedef enum vxl_disk_format {
    VXL_DISK_FORMAT_UNKNOWN = 0,
    VXL_DISK_FORMAT_QCOW = 1,
    VXL_DISK_FORMAT_QCOW2 = 2,
    VXL_DISK_FORMAT_VHD = 3,
    VXL_DISK_FORMAT_RAW = 4,
    VXL_DISK_FORMAT_EMPTY = 5,
    VXL_DISK_FORMAT_QED = 6,
} vxl_disk_format;

typedef enum vxl_disk_backend {
    VXL_DISK_BACKEND_UNKNOWN = 0,
    VXL_DISK_BACKEND_PHY = 1,
    VXL_DISK_BACKEND_TAP = 2,
    VXL_DISK_BACKEND_QDISK = 3,
    VXL_DISK_BACKEND_STANDALONE = 4,
} vxl_disk_backend;

typedef enum vxl_disk_specification {
    VXL_DISK_SPECIFICATION_UNKNOWN = 0,
    VXL_DISK_SPECIFICATION_XEN = 1,
    VXL_DISK_SPECIFICATION_VIRTIO = 2,
} vxl_disk_specification;

typedef enum vxl_disk_transport {
    VXL_DISK_TRANSPORT_UNKNOWN = 0,
    VXL_DISK_TRANSPORT_MMIO = 1,
} vxl_disk_transport;

typedef enum vxl_nic_type {
    VXL_NIC_TYPE_UNKNOWN = 0,
    VXL_NIC_TYPE_VIF_IOEMU = 1,
    VXL_NIC_TYPE_VIF = 2,
} vxl_nic_type;

typedef enum vxl_action_on_shutdown {
    VXL_ACTION_ON_SHUTDOWN_DESTROY = 1,
    VXL_ACTION_ON_SHUTDOWN_RESTART = 2,
    VXL_ACTION_ON_SHUTDOWN_RESTART_RENAME = 3,
    VXL_ACTION_ON_SHUTDOWN_PRESERVE = 4,
    VXL_ACTION_ON_SHUTDOWN_COREDUMP_DESTROY = 5,
    VXL_ACTION_ON_SHUTDOWN_COREDUMP_RESTART = 6,
    VXL_ACTION_ON_SHUTDOWN_SOFT_RESET = 7,
} vxl_action_on_shutdown;

typedef enum vxl_tsc_mode {
    VXL_TSC_MODE_DEFAULT = 0,
    VXL_TSC_MODE_ALWAYS_EMULATE = 1,
    VXL_TSC_MODE_NATIVE = 2,
    VXL_TSC_MODE_NATIVE_PARAVIRT = 3,
} vxl_tsc_mode;

typedef enum vxl_gfx_passthru_kind {
    VXL_GFX_PASSTHRU_KIND_DEFAULT = 0,
    VXL_GFX_PASSTHRU_KIND_IGD = 1,
} vxl_gfx_passthru_kind;

typedef enum vxl_timer_mode {
    VXL_TIMER_MODE_UNKNOWN = -1,
    VXL_TIMER_MODE_DELAY_FOR_MISSED_TICKS = 0,
    VXL_TIMER_MODE_NO_DELAY_FOR_MISSED_TICKS = 1,
    VXL_TIMER_MODE_NO_MISSED_TICKS_PENDING = 2,
    VXL_TIMER_MODE_ONE_MISSED_TICK_PENDING = 3,
} vxl_timer_mode;

typedef enum vxl_bios_type {
    VXL_BIOS_TYPE_UNKNOWN = 0,
    VXL_BIOS_TYPE_ROMBIOS = 1,
    VXL_BIOS_TYPE_SEABIOS = 2,
    VXL_BIOS_TYPE_OVMF = 3,
} vxl_bios_type;

typedef enum vxl_scheduler {
    VXL_SCHEDULER_UNKNOWN = 0,
    VXL_SCHEDULER_SEDF = 4,
    VXL_SCHEDULER_CREDIT = 5,
    VXL_SCHEDULER_CREDIT2 = 6,
    VXL_SCHEDULER_ARINC653 = 7,
    VXL_SCHEDULER_RTDS = 8,
    VXL_SCHEDULER_NULL = 9,
} vxl_scheduler;

typedef enum vxl_vga_interface_type {
    VXL_VGA_INTERFACE_TYPE_UNKNOWN = 0,
    VXL_VGA_INTERFACE_TYPE_CIRRUS = 1,
    VXL_VGA_INTERFACE_TYPE_STD = 2,
    VXL_VGA_INTERFACE_TYPE_NONE = 3,
    VXL_VGA_INTERFACE_TYPE_QXL = 4,
} vxl_vga_interface_type;

typedef enum vxl_vendor_device {
    VXL_VENDOR_DEVICE_NONE = 0,
    VXL_VENDOR_DEVICE_XENSERVER = 1,
} vxl_vendor_device;

typedef enum vxl_viridian_enlightenment {
    VXL_VIRIDIAN_ENLIGHTENMENT_BASE = 0,
    VXL_VIRIDIAN_ENLIGHTENMENT_FREQ = 1,
    VXL_VIRIDIAN_ENLIGHTENMENT_TIME_REF_COUNT = 2,
    VXL_VIRIDIAN_ENLIGHTENMENT_REFERENCE_TSC = 3,
    VXL_VIRIDIAN_ENLIGHTENMENT_HCALL_REMOTE_TLB_FLUSH = 4,
    VXL_VIRIDIAN_ENLIGHTENMENT_APIC_ASSIST = 5,
    VXL_VIRIDIAN_ENLIGHTENMENT_CRASH_CTL = 6,
    VXL_VIRIDIAN_ENLIGHTENMENT_SYNIC = 7,
    VXL_VIRIDIAN_ENLIGHTENMENT_STIMER = 8,
    VXL_VIRIDIAN_ENLIGHTENMENT_HCALL_IPI = 9,
    VXL_VIRIDIAN_ENLIGHTENMENT_EX_PROCESSOR_MASKS = 10,
    VXL_VIRIDIAN_ENLIGHTENMENT_NO_VP_LIMIT = 11,
    VXL_VIRIDIAN_ENLIGHTENMENT_CPU_HOTPLUG = 12,
} vxl_viridian_enlightenment;

typedef enum vxl_hdtype {
    VXL_HDTYPE_IDE = 1,
    VXL_HDTYPE_AHCI = 2,
} vxl_hdtype;

typedef enum vxl_vuart_type {
    VXL_VUART_TYPE_UNKNOWN = 0,
    VXL_VUART_TYPE_SBSA_UART = 1,
} vxl_vuart_type;

typedef enum vxl_vkb_backend {
    VXL_VKB_BACKEND_UNKNOWN = 0,
    VXL_VKB_BACKEND_QEMU = 1,
    VXL_VKB_BACKEND_LINUX = 2,
} vxl_vkb_backend;

typedef enum vxl_passthrough {
    VXL_PASSTHROUGH_DEFAULT = 0,
    VXL_PASSTHROUGH_DISABLED = 1,
    VXL_PASSTHROUGH_ENABLED = 2,
    VXL_PASSTHROUGH_SYNC_PT = 3,
    VXL_PASSTHROUGH_SHARE_PT = 4,
} vxl_passthrough;

typedef enum vxl_gic_version {
    VXL_GIC_VERSION_DEFAULT = 0,
    VXL_GIC_VERSION_V2 = 0x20,
    VXL_GIC_VERSION_V3 = 0x30,
} vxl_gic_version;

typedef enum vxl_tee_type {
    VXL_TEE_TYPE_NONE = 0,
    VXL_TEE_TYPE_OPTEE = 1,
} vxl_tee_type;

typedef enum vxl_altp2m_mode {
    VXL_ALTP2M_MODE_DISABLED = 0,
    VXL_ALTP2M_MODE_MIXED = 1,
    VXL_ALTP2M_MODE_EXTERNAL = 2,
    VXL_ALTP2M_MODE_LIMITED = 3,
} vxl_altp2m_mode;

typedef enum vxl_usbctrl_type {
    VXL_USBCTRL_TYPE_AUTO = 0,
    VXL_USBCTRL_TYPE_PV = 1,
    VXL_USBCTRL_TYPE_DEVICEMODEL = 2,
    VXL_USBCTRL_TYPE_QUSB = 3,
} vxl_usbctrl_type;

typedef enum vxl_usbdev_type {
    VXL_USBDEV_TYPE_HOSTDEV = 1,
} vxl_usbdev_type;

typedef enum vxl_vsnd_pcm_format {
    VXL_VSND_PCM_FORMAT_S8 = 1,
    VXL_VSND_PCM_FORMAT_U8 = 2,
    VXL_VSND_PCM_FORMAT_S16_LE = 3,
    VXL_VSND_PCM_FORMAT_S16_BE = 4,
    VXL_VSND_PCM_FORMAT_U16_LE = 5,
    VXL_VSND_PCM_FORMAT_U16_BE = 6,
    VXL_VSND_PCM_FORMAT_S24_LE = 7,
    VXL_VSND_PCM_FORMAT_S24_BE = 8,
    VXL_VSND_PCM_FORMAT_U24_LE = 9,
    VXL_VSND_PCM_FORMAT_U24_BE = 10,
    VXL_VSND_PCM_FORMAT_S32_LE = 11,
    VXL_VSND_PCM_FORMAT_S32_BE = 12,
    VXL_VSND_PCM_FORMAT_U32_LE = 13,
    VXL_VSND_PCM_FORMAT_U32_BE = 14,
    VXL_VSND_PCM_FORMAT_F32_LE = 15,
    VXL_VSND_PCM_FORMAT_F32_BE = 16,
    VXL_VSND_PCM_FORMAT_F64_LE = 17,
    VXL_VSND_PCM_FORMAT_F64_BE = 18,
    VXL_VSND_PCM_FORMAT_IEC958_SUBFRAME_LE = 19,
    VXL_VSND_PCM_FORMAT_IEC958_SUBFRAME_BE = 20,
    VXL_VSND_PCM_FORMAT_MU_LAW = 21,
    VXL_VSND_PCM_FORMAT_A_LAW = 22,
    VXL_VSND_PCM_FORMAT_IMA_ADPCM = 23,
    VXL_VSND_PCM_FORMAT_MPEG = 24,
    VXL_VSND_PCM_FORMAT_GSM = 25,
} vxl_vsnd_pcm_format;

typedef enum vxl_vsnd_stream_type {
    VXL_VSND_STREAM_TYPE_P = 1,
    VXL_VSND_STREAM_TYPE_C = 2,
} vxl_vsnd_stream_type;

typedef enum vxl_shutdown_reason {
    VXL_SHUTDOWN_REASON_UNKNOWN = -1,
    VXL_SHUTDOWN_REASON_POWEROFF = 0,
    VXL_SHUTDOWN_REASON_REBOOT = 1,
    VXL_SHUTDOWN_REASON_SUSPEND = 2,
    VXL_SHUTDOWN_REASON_CRASH = 3,
    VXL_SHUTDOWN_REASON_WATCHDOG = 4,
    VXL_SHUTDOWN_REASON_SOFT_RESET = 5,
} vxl_shutdown_reason;

typedef enum vxl_trigger {
    VXL_TRIGGER_UNKNOWN = 0,
    VXL_TRIGGER_POWER = 1,
    VXL_TRIGGER_SLEEP = 2,
    VXL_TRIGGER_NMI = 3,
    VXL_TRIGGER_INIT = 4,
    VXL_TRIGGER_RESET = 5,
    VXL_TRIGGER_S3RESUME = 6,
} vxl_trigger;

/* String conversion for every enum above:
 *   const char *vxl_E_to_string(vxl_E e);   NULL for a value not in E
 *   int vxl_E_from_string(const char *s, vxl_E *e);  0, or -1 unknown
 * and the table vxl_E_string_table[] (terminated by { NULL, -1 }). */
typedef struct { const char *s; int v; } vxl_enum_string_table;
int vxl_enum_from_string(const vxl_enum_string_table *t, const char *s,
                         int *e);

#define VXL_ENUM_DECL(E)                                            \
    extern const vxl_enum_string_table vxl_##E##_string_table[];   \
    const char *vxl_##E##_to_string(vxl_##E e);                     \
    int vxl_##E##_from_string(const char *s, vxl_##E *e);
VXL_ENUM_DECL(domain_type)
VXL_ENUM_DECL(rdm_reserve_strategy)
VXL_ENUM_DECL(rdm_reserve_policy)
VXL_ENUM_DECL(channel_connection)
VXL_ENUM_DECL(device_model_version)
VXL_ENUM_DECL(console_type)
VXL_ENUM_DECL(disk_format)
VXL_ENUM_DECL(disk_backend)
VXL_ENUM_DECL(disk_specification)
VXL_ENUM_DECL(disk_transport)
VXL_ENUM_DECL(nic_type)
VXL_ENUM_DECL(action_on_shutdown)
VXL_ENUM_DECL(tsc_mode)
VXL_ENUM_DECL(gfx_passthru_kind)
VXL_ENUM_DECL(timer_mode)
VXL_ENUM_DECL(bios_type)
VXL_ENUM_DECL(scheduler)
VXL_ENUM_DECL(vga_interface_type)
VXL_ENUM_DECL(vendor_device)
VXL_ENUM_DECL(viridian_enlightenment)
VXL_ENUM_DECL(hdtype)
VXL_ENUM_DECL(vuart_type)
VXL_ENUM_DECL(vkb_backend)
VXL_ENUM_DECL(passthrough)
VXL_ENUM_DECL(gic_version)
VXL_ENUM_DECL(tee_type)
VXL_ENUM_DECL(altp2m_mode)
VXL_ENUM_DECL(usbctrl_type)
VXL_ENUM_DECL(usbdev_type)
VXL_ENUM_DECL(vsnd_pcm_format)
VXL_ENUM_DECL(vsnd_stream_type)
VXL_ENUM_DECL(shutdown_reason)
VXL_ENUM_DECL(trigger)

/* ------------------------------------------------------------------ */
/* Structures (field order = IDL order = JSON order)                   */
/* ------------------------------------------------------------------ */

typedef struct vxl_ioport_range {
    uint32_t first;
    uint32_t number;
} vxl_ioport_range;

typedef struct vxl_iomem_range {
    uint64_t start;
    uint64_t number;
    uint64_t gfn;                       /* init VXL_INVALID_GFN */
} vxl_iomem_range;

typedef struct vxl_vga_interface_info {
    vxl_vga_interface_type kind;
} vxl_vga_interface_info;

typedef struct vxl_vnc_info {
    vxl_defbool enable;
    char *listen;
    char *passwd;
    int display;
    vxl_defbool findunused;
} vxl_vnc_info;

typedef struct vxl_spice_info {
    vxl_defbool enable;
    int port;
    int tls_port;
    char *host;
    vxl_defbool disable_ticketing;
    char *passwd;
    vxl_defbool agent_mouse;
    vxl_defbool vdagent;
    vxl_defbool clipboard_sharing;
    int usbredirection;
    char *image_compression;
    char *streaming_video;
} vxl_spice_info;

typedef struct vxl_sdl_info {
    vxl_defbool enable;
    vxl_defbool opengl;
    char *display;
    char *xauthority;
} vxl_sdl_info;

typedef struct vxl_domain_create_info {
    vxl_domain_type type;               /* init INVALID */
    vxl_defbool hap;
    vxl_defbool oos;
    uint32_t ssidref;
    char *ssid_label;
    char *name;
    vxl_domid domid;
    vxl_uuid uuid;
    vxl_key_value_list xsdata;
    vxl_key_value_list platformdata;
    uint32_t poolid;
    char *pool_name;
    vxl_defbool run_hotplug_scripts;
    vxl_defbool driver_domain;
    vxl_passthrough passthrough;
    vxl_defbool xend_suspend_evtchn_compat;
} vxl_domain_create_info;

typedef struct vxl_sched_params {
    int vcpuid;                         /* init -1 */
    int weight;                         /* init -1 */
    int cap;                            /* init -1 */
    int period;                         /* init -1 */
    int extratime;                      /* init -1 */
    int budget;                         /* init -1 */
} vxl_sched_params;

typedef struct vxl_domain_sched_params {
    vxl_scheduler sched;
    int weight;                         /* all init -1 */
    int cap;
    int period;
    int budget;
    int extratime;
    int slice;
    int latency;
} vxl_domain_sched_params;

typedef struct vxl_vnode_info {
    uint64_t memkb;                     /* MemKB, init VXL_MEMKB_DEFAULT */
    uint32_t *distances;
    int num_distances;
    uint32_t pnode;
    vxl_bitmap vcpus;
} vxl_vnode_info;

typedef struct vxl_rdm_reserve {
    vxl_rdm_reserve_strategy strategy;
    vxl_rdm_reserve_policy policy;      /* init INVALID */
} vxl_rdm_reserve;

typedef struct vxl_domain_build_info {
    int max_vcpus;
    vxl_bitmap avail_vcpus;
    vxl_bitmap cpumap;
    vxl_bitmap nodemap;
    vxl_bitmap *vcpu_hard_affinity;
    int num_vcpu_hard_affinity;
    vxl_bitmap *vcpu_soft_affinity;
    int num_vcpu_soft_affinity;
    vxl_defbool numa_placement;
    vxl_tsc_mode tsc_mode;
    uint64_t max_memkb;                 /* MemKB fields: init VXL_MEMKB_DEFAULT */
    uint64_t target_memkb;
    uint64_t video_memkb;
    uint64_t shadow_memkb;
    uint64_t iommu_memkb;
    uint32_t rtc_timeoffset;
    uint32_t exec_ssidref;
    char *exec_ssid_label;
    vxl_defbool localtime;
    vxl_defbool disable_migrate;
    vxl_cpuid_policy_list cpuid;
    char *blkdev_start;
    vxl_vnode_info *vnuma_nodes;
    int num_vnuma_nodes;
    uint32_t max_grant_frames;          /* init VXL_MAX_GRANT_DEFAULT */
    uint32_t max_maptrack_frames;       /* init VXL_MAX_GRANT_DEFAULT */
    int max_grant_version;              /* init (int)VXL_MAX_GRANT_DEFAULT = -1 */
    vxl_device_model_version device_model_version;
    vxl_defbool device_model_stubdomain;
    uint64_t stubdomain_memkb;
    char *stubdomain_kernel;
    char *stubdomain_cmdline;
    char *stubdomain_ramdisk;
    char *device_model;
    uint32_t device_model_ssidref;
    char *device_model_ssid_label;
    char *device_model_user;
    vxl_string_list extra;
    vxl_string_list extra_pv;
    vxl_string_list extra_hvm;
    vxl_domain_sched_params sched_params;
    vxl_ioport_range *ioports;
    int num_ioports;
    uint32_t *irqs;
    int num_irqs;
    vxl_iomem_range *iomem;
    int num_iomem;
    vxl_defbool claim_mode;
    uint32_t event_channels;
    char *kernel;
    char *cmdline;
    char *ramdisk;
    char *device_tree;
    vxl_defbool acpi;
    char *bootloader;
    vxl_string_list bootloader_args;
    vxl_timer_mode timer_mode;          /* init VXL_TIMER_MODE_DEFAULT */
    vxl_defbool nested_hvm;
    vxl_defbool apic;
    vxl_defbool dm_restrict;
    vxl_tee_type tee;
    vxl_domain_type type;               /* key of u; init INVALID */
    union {
        struct {
            char *firmware;
            vxl_bios_type bios;
            vxl_defbool pae;
            vxl_defbool apic;
            vxl_defbool acpi;
            vxl_defbool acpi_s3;
            vxl_defbool acpi_s4;
            vxl_defbool acpi_laptop_slate;
            vxl_defbool nx;
            vxl_defbool viridian;
            vxl_bitmap viridian_enable;
            vxl_bitmap viridian_disable;
            char *timeoffset;
            vxl_defbool hpet;
            vxl_defbool vpt_align;
            uint64_t mmio_hole_memkb;   /* MemKB */
            vxl_timer_mode timer_mode;  /* init VXL_TIMER_MODE_DEFAULT */
            vxl_defbool nested_hvm;
            vxl_defbool altp2m;
            char *system_firmware;
            char *smbios_firmware;
            char *acpi_firmware;
            vxl_hdtype hdtype;          /* init IDE */
            vxl_defbool nographic;
            vxl_vga_interface_info vga;
            vxl_vnc_info vnc;
            char *keymap;
            vxl_sdl_info sdl;
            vxl_spice_info spice;
            vxl_defbool gfx_passthru;
            vxl_gfx_passthru_kind gfx_passthru_kind;
            char *serial;
            char *boot;
            vxl_defbool usb;
            int usbversion;
            char *usbdevice;
            vxl_defbool vkb_device;
            char *soundhw;
            vxl_defbool xen_platform_pci;
            vxl_string_list usbdevice_list;
            vxl_vendor_device vendor_device;
            vxl_ms_vm_genid ms_vm_genid;
            vxl_string_list serial_list;
            vxl_rdm_reserve rdm;
            uint64_t rdm_mem_boundary_memkb; /* MemKB */
            uint64_t mca_caps;
        } hvm;
        struct {
            char *kernel;
            uint64_t slack_memkb;       /* MemKB */
            char *bootloader;
            vxl_string_list bootloader_args;
            char *cmdline;
            char *ramdisk;
            const char *features;       /* const: never printed nor freed */
            vxl_defbool e820_host;
        } pv;
        struct {
            vxl_defbool pvshim;
            char *pvshim_path;
            char *pvshim_cmdline;
            char *pvshim_extra;
        } pvh;
    } u;
    struct {
        vxl_gic_version gic_version;
        vxl_vuart_type vuart;
    } arch_arm;
    struct {
        vxl_defbool msr_relaxed;
    } arch_x86;
    vxl_altp2m_mode altp2m;
    int vmtrace_buf_kb;
    vxl_defbool vpmu;
} vxl_domain_build_info;

typedef struct vxl_device_vfb {
    vxl_domid backend_domid;
    char *backend_domname;
    vxl_devid devid;
    vxl_vnc_info vnc;
    vxl_sdl_info sdl;
    char *keymap;
} vxl_device_vfb;

typedef struct vxl_device_vkb {
    vxl_domid backend_domid;
    char *backend_domname;
    vxl_devid devid;
    vxl_vkb_backend backend_type;
    char *unique_id;
    bool feature_disable_keyboard;
    bool feature_disable_pointer;
    bool feature_abs_pointer;
    bool feature_raw_pointer;
    bool feature_multi_touch;
    uint32_t width;
    uint32_t height;
    uint32_t multi_touch_width;
    uint32_t multi_touch_height;
    uint32_t multi_touch_num_contacts;
} vxl_device_vkb;

typedef struct vxl_device_disk {
    vxl_domid backend_domid;
    char *backend_domname;
    char *pdev_path;
    char *vdev;
    vxl_disk_backend backend;
    vxl_disk_format format;
    char *script;
    int removable;
    int readwrite;
    int is_cdrom;
    bool direct_io_safe;
    vxl_defbool discard_enable;
    vxl_disk_specification specification;
    vxl_disk_transport transport;
    uint32_t irq;
    uint64_t base;
    vxl_defbool colo_enable;
    vxl_defbool colo_restore_enable;
    char *colo_host;
    int colo_port;
    char *colo_export;
    char *active_disk;
    char *hidden_disk;
    vxl_defbool trusted;
    /* vxl extensions, not in libxl's IDL: not printed, not copied by
     * any JSON, not owned (static strings).  Set by cfgparse/disk_spec.c,
     * read by pipeline/ (docs/disk-pipeline.md). */
    const char *vxl_format;     /* "vmdk" / "vdi" for format=vmdk|vdi (then
                                   format stays UNKNOWN); NULL otherwise */
    unsigned vxl_given;         /* VXL_DISK_GIVEN_*: what the spec set */
    bool vxl_snapshot;          /* `snapshot': behind a temporary overlay */
} vxl_device_disk;

/* vxl_device_disk.vxl_given bits */
#define VXL_DISK_GIVEN_FORMAT 1u    /* a format (not the empty default) */
#define VXL_DISK_GIVEN_ACCESS 2u    /* access=, or the positional ACCESS */
#define VXL_DISK_GIVEN_RW     4u    /* ... and it said rw (or w) */

typedef struct vxl_device_nic {
    vxl_domid backend_domid;
    char *backend_domname;
    vxl_devid devid;
    int mtu;
    char *model;
    vxl_mac mac;
    char *ip;
    char *bridge;
    char *ifname;
    char *script;
    vxl_nic_type nictype;
    uint64_t rate_bytes_per_interval;
    uint32_t rate_interval_usecs;
    char *gatewaydev;
    char *coloft_forwarddev;
    char *colo_sock_mirror_id;
    char *colo_sock_mirror_ip;
    char *colo_sock_mirror_port;
    char *colo_sock_compare_pri_in_id;
    char *colo_sock_compare_pri_in_ip;
    char *colo_sock_compare_pri_in_port;
    char *colo_sock_compare_sec_in_id;
    char *colo_sock_compare_sec_in_ip;
    char *colo_sock_compare_sec_in_port;
    char *colo_sock_compare_notify_id;
    char *colo_sock_compare_notify_ip;
    char *colo_sock_compare_notify_port;
    char *colo_sock_redirector0_id;
    char *colo_sock_redirector0_ip;
    char *colo_sock_redirector0_port;
    char *colo_sock_redirector1_id;
    char *colo_sock_redirector1_ip;
    char *colo_sock_redirector1_port;
    char *colo_sock_redirector2_id;
    char *colo_sock_redirector2_ip;
    char *colo_sock_redirector2_port;
    char *colo_filter_mirror_queue;
    char *colo_filter_mirror_outdev;
    char *colo_filter_redirector0_queue;
    char *colo_filter_redirector0_indev;
    char *colo_filter_redirector0_outdev;
    char *colo_filter_redirector1_queue;
    char *colo_filter_redirector1_indev;
    char *colo_filter_redirector1_outdev;
    char *colo_compare_pri_in;
    char *colo_compare_sec_in;
    char *colo_compare_out;
    char *colo_compare_notify_dev;
    char *colo_sock_sec_redirector0_id;
    char *colo_sock_sec_redirector0_ip;
    char *colo_sock_sec_redirector0_port;
    char *colo_sock_sec_redirector1_id;
    char *colo_sock_sec_redirector1_ip;
    char *colo_sock_sec_redirector1_port;
    char *colo_filter_sec_redirector0_queue;
    char *colo_filter_sec_redirector0_indev;
    char *colo_filter_sec_redirector0_outdev;
    char *colo_filter_sec_redirector1_queue;
    char *colo_filter_sec_redirector1_indev;
    char *colo_filter_sec_redirector1_outdev;
    char *colo_filter_sec_rewriter0_queue;
    char *colo_checkpoint_host;
    char *colo_checkpoint_port;
    vxl_defbool trusted;
} vxl_device_nic;

typedef struct vxl_device_pci {
    uint8_t func;
    uint8_t dev;
    uint8_t bus;
    int domain;
    uint32_t vdevfn;
    uint32_t vfunc_mask;
    bool msitranslate;
    bool power_mgmt;
    bool permissive;
    bool seize;
    vxl_rdm_reserve_policy rdm_policy;  /* init INVALID */
    char *name;
} vxl_device_pci;

typedef struct vxl_device_rdm {
    uint64_t start;
    uint64_t size;
    vxl_rdm_reserve_policy policy;      /* init INVALID */
} vxl_device_rdm;

typedef struct vxl_device_usbctrl {
    vxl_usbctrl_type type;
    vxl_devid devid;
    int version;
    int ports;
    vxl_domid backend_domid;
    char *backend_domname;
} vxl_device_usbctrl;

typedef struct vxl_device_usbdev {
    vxl_devid ctrl;
    int port;
    vxl_usbdev_type type;               /* key of u; init 0 (not a value) */
    union {
        struct {
            uint8_t hostbus;
            uint8_t hostaddr;
        } hostdev;
    } u;
} vxl_device_usbdev;

typedef struct vxl_device_dtdev {
    char *path;
} vxl_device_dtdev;

typedef struct vxl_device_vtpm {
    vxl_domid backend_domid;
    char *backend_domname;
    vxl_devid devid;
    vxl_uuid uuid;
} vxl_device_vtpm;

typedef struct vxl_device_p9 {
    vxl_domid backend_domid;
    char *backend_domname;
    char *tag;
    char *path;
    char *security_model;
    vxl_devid devid;
} vxl_device_p9;

typedef struct vxl_device_pvcallsif {
    vxl_domid backend_domid;
    char *backend_domname;
    vxl_devid devid;
} vxl_device_pvcallsif;

typedef struct vxl_device_channel {
    vxl_domid backend_domid;
    char *backend_domname;
    vxl_devid devid;
    char *name;
    vxl_channel_connection connection;  /* key of u; init UNKNOWN */
    union {
        struct {
            char *path;
        } socket;
    } u;
} vxl_device_channel;

typedef struct vxl_connector_param {
    char *unique_id;
    uint32_t width;
    uint32_t height;
} vxl_connector_param;

typedef struct vxl_device_vdispl {
    vxl_domid backend_domid;
    char *backend_domname;
    vxl_devid devid;
    bool be_alloc;
    vxl_connector_param *connectors;
    int num_connectors;
} vxl_device_vdispl;

typedef struct vxl_vsnd_params {
    uint32_t *sample_rates;
    int num_sample_rates;
    vxl_vsnd_pcm_format *sample_formats;
    int num_sample_formats;
    uint32_t channels_min;
    uint32_t channels_max;
    uint32_t buffer_size;
} vxl_vsnd_params;

typedef struct vxl_vsnd_stream {
    char *unique_id;
    vxl_vsnd_stream_type type;
    vxl_vsnd_params params;
} vxl_vsnd_stream;

typedef struct vxl_vsnd_pcm {
    char *name;
    vxl_vsnd_params params;
    vxl_vsnd_stream *streams;
    int num_vsnd_streams;
} vxl_vsnd_pcm;

typedef struct vxl_device_vsnd {
    vxl_domid backend_domid;
    char *backend_domname;
    vxl_devid devid;
    char *short_name;
    char *long_name;
    vxl_vsnd_params params;
    vxl_vsnd_pcm *pcms;
    int num_vsnd_pcms;
} vxl_device_vsnd;

typedef struct vxl_domain_config {
    vxl_domain_create_info c_info;
    vxl_domain_build_info b_info;

    vxl_device_disk *disks;
    int num_disks;
    vxl_device_nic *nics;
    int num_nics;
    vxl_device_pci *pcidevs;
    int num_pcidevs;
    vxl_device_rdm *rdms;
    int num_rdms;
    vxl_device_dtdev *dtdevs;
    int num_dtdevs;
    vxl_device_vfb *vfbs;
    int num_vfbs;
    vxl_device_vkb *vkbs;
    int num_vkbs;
    vxl_device_vtpm *vtpms;
    int num_vtpms;
    vxl_device_p9 *p9s;
    int num_p9s;
    vxl_device_pvcallsif *pvcallsifs;
    int num_pvcallsifs;
    vxl_device_vdispl *vdispls;
    int num_vdispls;
    vxl_device_vsnd *vsnds;
    int num_vsnds;
    vxl_device_channel *channels;
    int num_channels;
    vxl_device_usbctrl *usbctrls;
    int num_usbctrls;
    vxl_device_usbdev *usbdevs;
    int num_usbdevs;

    vxl_action_on_shutdown on_poweroff;   /* all init DESTROY */
    vxl_action_on_shutdown on_reboot;
    vxl_action_on_shutdown on_watchdog;
    vxl_action_on_shutdown on_crash;
    vxl_action_on_shutdown on_soft_reset;
} vxl_domain_config;

/* ------------------------------------------------------------------ */
/* init / dispose                                                      */
/* ------------------------------------------------------------------ */

/* vxl_T_init: zero, then the IDL's init_val defaults.
 * vxl_T_dispose: free everything owned (recursively); leaves garbage,
 * call _init again to reuse. */
#define VXL_STRUCT_DECL(T)                 \
    void vxl_##T##_init(vxl_##T *p);       \
    void vxl_##T##_dispose(vxl_##T *p);
VXL_STRUCT_DECL(ioport_range)
VXL_STRUCT_DECL(iomem_range)
VXL_STRUCT_DECL(vga_interface_info)
VXL_STRUCT_DECL(vnc_info)
VXL_STRUCT_DECL(spice_info)
VXL_STRUCT_DECL(sdl_info)
VXL_STRUCT_DECL(domain_create_info)
VXL_STRUCT_DECL(sched_params)
VXL_STRUCT_DECL(domain_sched_params)
VXL_STRUCT_DECL(vnode_info)
VXL_STRUCT_DECL(rdm_reserve)
VXL_STRUCT_DECL(domain_build_info)
VXL_STRUCT_DECL(device_vfb)
VXL_STRUCT_DECL(device_vkb)
VXL_STRUCT_DECL(device_disk)
VXL_STRUCT_DECL(device_nic)
VXL_STRUCT_DECL(device_pci)
VXL_STRUCT_DECL(device_rdm)
VXL_STRUCT_DECL(device_usbctrl)
VXL_STRUCT_DECL(device_usbdev)
VXL_STRUCT_DECL(device_dtdev)
VXL_STRUCT_DECL(device_vtpm)
VXL_STRUCT_DECL(device_p9)
VXL_STRUCT_DECL(device_pvcallsif)
VXL_STRUCT_DECL(device_channel)
VXL_STRUCT_DECL(connector_param)
VXL_STRUCT_DECL(device_vdispl)
VXL_STRUCT_DECL(vsnd_params)
VXL_STRUCT_DECL(vsnd_stream)
VXL_STRUCT_DECL(vsnd_pcm)
VXL_STRUCT_DECL(device_vsnd)
VXL_STRUCT_DECL(domain_config)

/* Set a keyed union's key and initialise that member's defaults, as
 * libxl_*_init_<key>.  The key must still hold its init value (asserted
 * in libxl; here a second call re-initialises the member after freeing
 * the old one if the key differs, and does nothing if it is the same). */
void vxl_domain_build_info_init_type(vxl_domain_build_info *b,
                                     vxl_domain_type type);
void vxl_device_channel_init_connection(vxl_device_channel *c,
                                        vxl_channel_connection conn);
void vxl_device_usbdev_init_type(vxl_device_usbdev *u, vxl_usbdev_type type);

/* Append one element, initialised with its _init, to a device array of
 * the config and return it (devid is left at its init value; xl's
 * ARRAY_EXTEND_INIT sets devid = index, callers do that themselves). */
vxl_device_disk      *vxl_domain_config_add_disk(vxl_domain_config *d);
vxl_device_nic       *vxl_domain_config_add_nic(vxl_domain_config *d);
vxl_device_pci       *vxl_domain_config_add_pcidev(vxl_domain_config *d);
vxl_device_rdm       *vxl_domain_config_add_rdm(vxl_domain_config *d);
vxl_device_dtdev     *vxl_domain_config_add_dtdev(vxl_domain_config *d);
vxl_device_vfb       *vxl_domain_config_add_vfb(vxl_domain_config *d);
vxl_device_vkb       *vxl_domain_config_add_vkb(vxl_domain_config *d);
vxl_device_vtpm      *vxl_domain_config_add_vtpm(vxl_domain_config *d);
vxl_device_p9        *vxl_domain_config_add_p9(vxl_domain_config *d);
vxl_device_pvcallsif *vxl_domain_config_add_pvcallsif(vxl_domain_config *d);
vxl_device_vdispl    *vxl_domain_config_add_vdispl(vxl_domain_config *d);
vxl_device_vsnd      *vxl_domain_config_add_vsnd(vxl_domain_config *d);
vxl_device_channel   *vxl_domain_config_add_channel(vxl_domain_config *d);
vxl_device_usbctrl   *vxl_domain_config_add_usbctrl(vxl_domain_config *d);
vxl_device_usbdev    *vxl_domain_config_add_usbdev(vxl_domain_config *d);

/* Other arrays (b_info and nested): */
vxl_vnode_info      *vxl_build_info_add_vnuma_node(vxl_domain_build_info *b);
vxl_ioport_range    *vxl_build_info_add_ioport(vxl_domain_build_info *b);
vxl_iomem_range     *vxl_build_info_add_iomem(vxl_domain_build_info *b);
void                 vxl_build_info_add_irq(vxl_domain_build_info *b,
                                            uint32_t irq);
vxl_connector_param *vxl_device_vdispl_add_connector(vxl_device_vdispl *v);
vxl_vsnd_pcm        *vxl_device_vsnd_add_pcm(vxl_device_vsnd *v);
vxl_vsnd_stream     *vxl_vsnd_pcm_add_stream(vxl_vsnd_pcm *p);

/* Generic form: grow *arr (elements of elem_size) by one, run init on the
 * new element, bump *count, return the new element. */
void *vxl_array_extend(void **arr, int *count, size_t elem_size,
                       void (*init)(void *));
#define VXL_ARRAY_EXTEND(arr, count, initfn)                              \
    ((__typeof__(&(arr)[0]))vxl_array_extend((void **)&(arr), &(count),   \
        sizeof((arr)[0]), (void (*)(void *))(initfn)))

#endif

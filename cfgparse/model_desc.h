/* cfgparse/model_desc.h — private: the IDL as data.
 *
 * Every structure of model.h has a descriptor listing its fields in IDL
 * order with their kind, offset, init value (the IDL's init_val, field's
 * own or its type's) and, for nested types, a pointer to the nested
 * descriptor.  model.c walks them for init/dispose, json.c for output, so
 * the IDL mapping lives in one table (model.c) rather than in code. */
#ifndef VXL_CFGPARSE_MODEL_DESC_H
#define VXL_CFGPARSE_MODEL_DESC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "cfgparse/model.h"

enum vxl_kind {
    VK_INT,         /* int                          yajl_gen_integer */
    VK_U8,          /* uint8_t                      yajl_gen_integer */
    VK_U16,
    VK_U32,         /* uint32_t (also domid)        yajl_gen_integer */
    VK_U64,         /* uint64_t (also MemKB)        decimal number */
    VK_BOOL,        /* bool                         true/false */
    VK_STRING,      /* char *                       skipped when NULL */
    VK_CONST_STRING,/* IDL const field: never printed nor freed */
    VK_DEFBOOL,
    VK_UUID,
    VK_MAC,
    VK_BITMAP,
    VK_STRLIST,
    VK_KVLIST,
    VK_CPUID,
    VK_GENID,       /* ms_vm_genid */
    VK_HWCAP,
    VK_ENUM,        /* stored as a C enum (int) */
    VK_STRUCT,      /* nested struct, inline */
    VK_ARRAY,       /* pointer + int count */
    VK_KEYED,       /* keyed union */
};

struct vxl_struct_desc;
struct vxl_union_desc;

typedef struct vxl_field_desc {
    const char *name;               /* JSON key */
    enum vxl_kind kind;
    size_t off;                     /* from the start of the (outer) struct */
    bool has_init;                  /* IDL init_val: skip JSON when equal */
    int64_t init;
    const vxl_enum_string_table *etab;   /* VK_ENUM, or array of enums */
    const struct vxl_struct_desc *sub;   /* VK_STRUCT, array of structs */
    enum vxl_kind elem;             /* VK_ARRAY element kind */
    size_t count_off;               /* VK_ARRAY: offset of the int count */
    const struct vxl_union_desc *un;     /* VK_KEYED */
} vxl_field_desc;

typedef struct vxl_struct_desc {
    const char *name;               /* IDL type name without libxl_ */
    size_t size;
    const vxl_field_desc *fields;
    int nfields;
} vxl_struct_desc;

/* One member of a keyed union; sub == NULL for a member without data.
 * The member's field offsets are relative to the OUTER struct. */
typedef struct vxl_union_arm {
    int key;
    const char *name;               /* JSON key is "<keyvar>.<name>" */
    const vxl_struct_desc *sub;
} vxl_union_arm;

typedef struct vxl_union_desc {
    const char *keyvar;             /* "type", "connection" */
    size_t key_off;
    int key_init;
    const vxl_union_arm *arms;
    int narms;
} vxl_union_desc;

extern const vxl_struct_desc vxl_desc_domain_config;
extern const vxl_struct_desc vxl_desc_device_disk;
extern const vxl_struct_desc vxl_desc_device_nic;
extern const vxl_struct_desc vxl_desc_device_pci;
extern const vxl_struct_desc vxl_desc_device_vtpm;
extern const vxl_struct_desc vxl_desc_device_usbctrl;
extern const vxl_struct_desc vxl_desc_device_usbdev;
extern const vxl_struct_desc vxl_desc_device_channel;
extern const vxl_struct_desc vxl_desc_domain_build_info;
extern const vxl_struct_desc vxl_desc_domain_create_info;

/* Helpers shared by model.c and json.c */
int64_t vxl_desc_get_num(const void *base, const vxl_field_desc *f,
                         enum vxl_kind k);
size_t vxl_desc_kind_size(enum vxl_kind k, const vxl_struct_desc *sub);
const vxl_union_arm *vxl_desc_arm(const vxl_union_desc *u, int key);

/* Generic init/dispose by descriptor (p points to the struct). */
void vxl_struct_init(const vxl_struct_desc *d, void *p);
void vxl_struct_dispose(const vxl_struct_desc *d, void *p);

#endif

/* cfgparse/cpuid.c — parse xl.cfg's `cpuid' items into a CPUID policy
 * list with the semantics of Xen 4.17's libxl (see cpuid.h). */
#include <stdlib.h>
#include <string.h>

#include "cfgparse/cpuid.h"
#include "common/util.h"

enum { REG_EAX = 0, REG_EBX, REG_ECX, REG_EDX };

/* A named field of a CPUID register: `length' bits starting at `bit'. */
struct cpuid_field {
    const char *name;
    uint32_t leaf, subleaf;
    int reg, bit, length;
};

#define NA VXL_CPUID_INPUT_UNUSED
/* Names libxl accepts besides the featureset names: multi-bit fields and
 * historical spellings.  Looked up first, in this order. */
static const struct cpuid_field named_fields[] = {
    { "maxleaf",      0x00000000, NA, REG_EAX,  0, 32 },
    { "stepping",     0x00000001, NA, REG_EAX,  0,  4 },
    { "model",        0x00000001, NA, REG_EAX,  4,  8 },
    { "family",       0x00000001, NA, REG_EAX,  8,  8 },
    { "brandid",      0x00000001, NA, REG_EBX,  0,  8 },
    { "clflush",      0x00000001, NA, REG_EBX,  8,  8 },
    { "proccount",    0x00000001, NA, REG_EBX, 16,  8 },
    { "localapicid",  0x00000001, NA, REG_EBX, 24,  8 },
    { "est",          0x00000001, NA, REG_ECX,  7,  1 },
    { "cntxid",       0x00000001, NA, REG_ECX, 10,  1 },
    { "cmpxchg16",    0x00000001, NA, REG_ECX, 13,  1 },
    { "sse4_1",       0x00000001, NA, REG_ECX, 19,  1 },
    { "sse4.1",       0x00000001, NA, REG_ECX, 19,  1 },
    { "sse4_2",       0x00000001, NA, REG_ECX, 20,  1 },
    { "sse4.2",       0x00000001, NA, REG_ECX, 20,  1 },
    { "aes",          0x00000001, NA, REG_ECX, 25,  1 },
    { "cmpxchg8",     0x00000001, NA, REG_EDX,  8,  1 },
    { "sysenter",     0x00000001, NA, REG_EDX, 11,  1 },
    { "psn",          0x00000001, NA, REG_EDX, 18,  1 },
    { "clfsh",        0x00000001, NA, REG_EDX, 19,  1 },
    { "tm",           0x00000001, NA, REG_EDX, 29,  1 },
    { "ia64",         0x00000001, NA, REG_EDX, 30,  1 },
    { "pbe",          0x00000001, NA, REG_EDX, 31,  1 },
    { "arat",         0x00000006, NA, REG_EAX,  2,  1 },
    { "tsc_adjust",   0x00000007,  0, REG_EBX,  1,  1 },
    { "cmt",          0x00000007,  0, REG_EBX, 12,  1 },
    { "lahfsahf",     0x80000001, NA, REG_ECX,  0,  1 },
    { "cmplegacy",    0x80000001, NA, REG_ECX,  1,  1 },
    { "altmovcr8",    0x80000001, NA, REG_ECX,  4,  1 },
    { "nodeid",       0x80000001, NA, REG_ECX, 19,  1 },
    { "perfctr_core", 0x80000001, NA, REG_ECX, 23,  1 },
    { "perfctr_nb",   0x80000001, NA, REG_ECX, 24,  1 },
    { "procpkg",      0x00000004,  0, REG_EAX, 26,  6 },
    { "invtsc",       0x80000007, NA, REG_EDX,  8,  1 },
    { "ppin",         0x80000008, NA, REG_EBX, 23,  1 },
    { "btc-no",       0x80000008, NA, REG_EBX, 29,  1 },
    { "nc",           0x80000008, NA, REG_ECX,  0,  8 },
    { "apicidsize",   0x80000008, NA, REG_ECX, 12,  4 },
    { "svm_npt",      0x8000000a, NA, REG_EDX,  0,  1 },
    { "svm_lbrv",     0x8000000a, NA, REG_EDX,  1,  1 },
    { "svm_nrips",    0x8000000a, NA, REG_EDX,  3,  1 },
    { "svm_tscrate",  0x8000000a, NA, REG_EDX,  4,  1 },
    { "svm_vmcbclean",0x8000000a, NA, REG_EDX,  5,  1 },
    { "svm_decode",   0x8000000a, NA, REG_EDX,  7,  1 },
    { "svm_pausefilt",0x8000000a, NA, REG_EDX, 10,  1 },
    { "lfence+",      0x80000021, NA, REG_EAX,  2,  1 },
    { "maxhvleaf",    0x40000000, NA, REG_EAX,  0,  8 },
};

struct feature_name {
    const char *name;
    unsigned bit;           /* word * 32 + bit */
};

static const struct feature_name feature_names[] = {
#include "cfgparse/cpuid_names.h"
};

/* Where each 32-bit featureset word lives: a CPUID register or half of
 * the ARCH_CAPS MSR. */
struct word_home {
    int is_msr;
    uint32_t leaf_or_index, subleaf;
    int reg;                /* for MSRs: REG_EAX = low half, REG_EDX = high */
};

static const struct word_home word_homes[] = {
    { 0, 0x00000001, NA, REG_EDX }, { 0, 0x00000001, NA, REG_ECX },
    { 0, 0x80000001, NA, REG_EDX }, { 0, 0x80000001, NA, REG_ECX },
    { 0, 0x0000000D,  1, REG_EAX }, { 0, 0x00000007,  0, REG_EBX },
    { 0, 0x00000007,  0, REG_ECX }, { 0, 0x80000007, NA, REG_EDX },
    { 0, 0x80000008, NA, REG_EBX }, { 0, 0x00000007,  0, REG_EDX },
    { 0, 0x00000007,  1, REG_EAX }, { 0, 0x80000021, NA, REG_EAX },
    { 0, 0x00000007,  1, REG_EBX }, { 0, 0x00000007,  2, REG_EDX },
    { 0, 0x00000007,  1, REG_ECX }, { 0, 0x00000007,  1, REG_EDX },
    { 1, 0x10a, 0, REG_EAX },       { 1, 0x10a, 0, REG_EDX },
    { 0, 0x80000021, NA, REG_ECX },
};
#undef NA

static vxl_msr_policy *msr_entry(vxl_cpuid_policy_list *p, uint32_t index)
{
    vxl_msr_policy *m;

    for (int i = 0; i < p->num_msr; i++)
        if (p->msr[i].index == index)
            return &p->msr[i];
    p->msr = xreallocarray(p->msr, p->num_msr + 1, sizeof(*p->msr));
    m = &p->msr[p->num_msr++];
    m->index = index;
    memset(m->policy, 'x', 64);
    m->policy[64] = '\0';
    return m;
}

/* Write `val' into field f of the policy (libxl's cpuid_add). */
static int field_set(vxl_cpuid_policy_list *p, const struct cpuid_field *f,
                     const char *val)
{
    char bits[33];
    char *endp, *mask;
    unsigned long num;
    vxl_cpuid_leaf *e;

    /* libxl creates the leaf before it looks at the value, so a bad value
     * still leaves an (empty) entry behind. */
    e = vxl_cpuid_policy_leaf(p, f->leaf, f->subleaf);
    num = strtoul(val, &endp, 0);
    bits[f->length] = '\0';
    if (endp != val) {
        for (int i = 0; i < f->length; i++)
            bits[f->length - 1 - i] = "01"[(num >> i) & 1];
    } else if (val[0] == 'x' || val[0] == 'k' || val[0] == 's') {
        memset(bits, val[0], f->length);
    } else {
        return 3;
    }

    mask = e->policy[f->reg];
    if (!mask) {
        mask = xmalloc(33);
        memset(mask, 'x', 32);
        mask[32] = '\0';
    }

    /* Family and model are split across two places of leaf 1 EAX. */
    if (!strcmp(f->name, "family")) {
        if (num < 16) {
            memcpy(mask + (32 - 4) - f->bit, bits + 4, 4);
            memcpy(mask + (32 - 8) - 20, "00000000", 8);
        } else {
            num -= 15;
            memcpy(mask + (32 - 4) - f->bit, "1111", 4);
            for (int i = 0; i < 7; i++) {
                bits[7 - i] = "01"[num & 1];
                num >>= 1;
            }
            memcpy(mask + (32 - 8) - 20, bits, 8);
        }
    } else if (!strcmp(f->name, "model")) {
        memcpy(mask + (32 - 4) - 16, bits, 4);
        memcpy(mask + (32 - 4) - f->bit, bits + 4, 4);
    } else {
        memcpy(mask + (32 - f->length) - f->bit, bits, f->length);
    }
    e->policy[f->reg] = mask;
    return 0;
}

static int msr_set(vxl_cpuid_policy_list *p, uint32_t index, unsigned bit,
                   const char *val)
{
    vxl_msr_policy *m = msr_entry(p, index);  /* made first, as in libxl */

    if (strlen(val) != 1)
        return 3;
    switch (val[0]) {
    case '0': case '1': case 'x': case 'k': case 's':
        break;
    default:
        return 3;
    }
    m->policy[63 - bit] = val[0] == 's' ? 'k' : val[0];
    return 0;
}

static int feature_cmp(const void *key, const void *elem)
{
    return strcmp(key, ((const struct feature_name *)elem)->name);
}

int vxl_cpuid_parse_flag(vxl_cpuid_policy_list *p, const char *item)
{
    const char *sep = strchr(item, '=');
    const struct feature_name *feat;
    const struct word_home *w;
    size_t namelen;
    char *name;

    if (!sep)
        return 1;
    namelen = sep - item;
    for (size_t i = 0; i < ARRAY_SIZE(named_fields); i++) {
        const struct cpuid_field *f = &named_fields[i];
        if (!strncmp(item, f->name, namelen) && f->name[namelen] == '\0')
            return field_set(p, f, sep + 1);
    }

    name = xstrndup(item, namelen);
    feat = bsearch(name, feature_names, ARRAY_SIZE(feature_names),
                   sizeof(feature_names[0]), feature_cmp);
    free(name);
    if (!feat || feat->bit / 32 >= ARRAY_SIZE(word_homes))
        return 2;

    w = &word_homes[feat->bit / 32];
    if (w->is_msr)
        return msr_set(p, w->leaf_or_index,
                       feat->bit % 32 + (w->reg == REG_EDX ? 32 : 0), sep + 1);

    struct cpuid_field f = {
        .name = feat->name, .leaf = w->leaf_or_index, .subleaf = w->subleaf,
        .reg = w->reg, .bit = feat->bit % 32, .length = 1,
    };
    return field_set(p, &f, sep + 1);
}

int vxl_cpuid_parse_xend(vxl_cpuid_policy_list *p, const char *str)
{
    uint32_t leaf, subleaf = VXL_CPUID_INPUT_UNUSED;
    unsigned long value;
    vxl_cpuid_leaf *e;
    char *endp;

    value = strtoul(str, &endp, 0);
    if (endp == str)
        return 1;
    leaf = value;
    if (*endp == ',') {
        str = endp + 1;
        value = strtoul(str, &endp, 0);
        if (endp == str)
            return 2;
        subleaf = value;
    }
    if (*endp != ':')
        return 3;

    e = vxl_cpuid_policy_leaf(p, leaf, subleaf);
    for (str = endp + 1; *str;) {
        const char *eq, *end;
        int reg;

        /* libxl reads str[2] even when the item is shorter; a string this
         * short cannot be valid, so check the length first. */
        if (str[0] != 'e' || !str[1] || str[2] != 'x')
            return 4;
        reg = str[1] - 'a';
        eq = strchr(str, '=');
        if (reg < 0 || reg > 3 || !eq)
            return 4;
        str = eq + 1;
        end = strchr(str, ',');
        if (!end)
            end = str + strlen(str);
        if (end - str != 32)
            return 5;
        free(e->policy[reg]);
        e->policy[reg] = xstrndup(str, 32);
        if (!*end)
            break;
        for (str = end + 1; *str == ' ' || *str == '\n'; str++)
            ;
    }
    return 0;
}

const char *vxl_cpuid_strerror(int xend, int err)
{
    static const char *const flag_errs[] = {
        NULL, "missing \"=\" in key=value", "unknown CPUID flag name",
        "illegal CPUID value (must be: [0|1|x|k|s])",
    };
    static const char *const xend_errs[] = {
        NULL, "illegal leaf number", "illegal subleaf number",
        "missing colon", "invalid register name (must be e[abcd]x)",
        "policy string must be exactly 32 characters long",
    };

    if (xend)
        return err > 0 && err < (int)ARRAY_SIZE(xend_errs) ? xend_errs[err]
                                                          : "unknown error";
    return err > 0 && err < (int)ARRAY_SIZE(flag_errs) ? flag_errs[err]
                                                      : "unknown error";
}


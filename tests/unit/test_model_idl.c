/* The model against Xen 4.17's IDL: every field reachable from
 * libxl_domain_config, in order, with its kind, init value, enum values
 * and keyed-union members, must match tests/data/model/idl-fields.txt,
 * which scripts/idl-fields.py derives from libxl_types.idl with Xen's own
 * IDL parser. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cfgparse/model_desc.h"
#include "common/util.h"

static const char *const kind_names[] = {
    [VK_INT] = "int", [VK_U8] = "u8", [VK_U16] = "u16", [VK_U32] = "u32",
    [VK_U64] = "u64", [VK_BOOL] = "bool", [VK_STRING] = "string",
    [VK_CONST_STRING] = "cstring", [VK_DEFBOOL] = "defbool",
    [VK_UUID] = "uuid", [VK_MAC] = "mac", [VK_BITMAP] = "bitmap",
    [VK_STRLIST] = "strlist", [VK_KVLIST] = "kvlist", [VK_CPUID] = "cpuid",
    [VK_GENID] = "genid", [VK_HWCAP] = "hwcap", [VK_ENUM] = "enum",
    [VK_STRUCT] = "struct", [VK_ARRAY] = "array", [VK_KEYED] = "keyed",
};

static void enum_values(strbuf *sb, const vxl_enum_string_table *t)
{
    sb_puts(sb, " enum=");
    for (; t->s; t++)
        sb_printf(sb, "%s:%d,", t->s, t->v);
}

static void dump(strbuf *sb, const char *prefix, const vxl_struct_desc *d)
{
    for (int i = 0; i < d->nfields; i++) {
        const vxl_field_desc *f = &d->fields[i];
        sb_printf(sb, "%s%s %s", prefix, f->name, kind_names[f->kind]);
        if (f->has_init)
            sb_printf(sb, " init=%lld", (long long)f->init);
        if (f->kind == VK_ARRAY) {
            sb_printf(sb, " elem=%s", kind_names[f->elem]);
            if (f->elem == VK_ENUM)
                enum_values(sb, f->etab);
        }
        if (f->kind == VK_ENUM)
            enum_values(sb, f->etab);
        sb_putc(sb, '\n');

        char *p = xasprintf("%s%s.", prefix, f->name);
        if (f->kind == VK_STRUCT ||
            (f->kind == VK_ARRAY && f->elem == VK_STRUCT))
            dump(sb, p, f->sub);
        free(p);
        if (f->kind != VK_KEYED)
            continue;
        for (int a = 0; a < f->un->narms; a++) {
            const vxl_union_arm *arm = &f->un->arms[a];
            sb_printf(sb, "%s%s.%s arm key=%d init=%d\n", prefix,
                      f->un->keyvar, arm->name, arm->key, f->un->key_init);
            if (arm->sub) {
                p = xasprintf("%s%s.%s.", prefix, f->un->keyvar, arm->name);
                dump(sb, p, arm->sub);
                free(p);
            }
        }
    }
}

static void model_matches_idl(void **state)
{
    const char *top = getenv("VXL_TOP");
    char *path = xasprintf("%s/tests/data/model/idl-fields.txt",
                           top ? top : ".");
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("cannot open %s", path);
    free(path);

    strbuf sb = {0};
    dump(&sb, "", &vxl_desc_domain_config);

    char line[1024];
    const char *p = sb.s;
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        n++;
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p + 1) : strlen(p);
        if (strlen(line) != len || strncmp(line, p, len))
            fail_msg("line %d: IDL says %smodel says %.*s", n, line,
                     (int)len, p);
        p += len;
    }
    fclose(f);
    if (*p)
        fail_msg("model has more fields than the IDL from: %.80s", p);
    assert_true(n > 400);
    sb_free(&sb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(model_matches_idl),
    };
    return cmocka_run_group_tests_name("model_idl", tests, NULL, NULL);
}

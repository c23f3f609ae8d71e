/* tests/fuzz/fuzz_cfg.c — libFuzzer target for the xl.cfg reader alone:
 * any input must parse without crashing, leaking or running slowly, and
 * a failed read must come with at least one error diagnostic.  The first
 * byte picks the mode: odd = the second byte says where to split the rest
 * into a file part and an override part (cfg_readdata_extra).  See docs/fuzzing.md. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cfgparse/cfg.h"
#include "common/diag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void exercise(cfg_config *c)
{
    for (int i = 0; i < cfg_nsettings(c); i++) {
        cfg_pos pos;
        const char *n = cfg_setting_name(c, i, &pos);
        long l;
        const char *s;
        const cfg_list *list;
        int count, b;
        char **sl = NULL;
        cfg_get_long(c, n, &l, 0, NULL);
        cfg_get_defbool(c, n, &b, 1, NULL);
        cfg_get_string(c, n, &s, 0, NULL);
        if (!cfg_get_list(c, n, &list, &count, 0, NULL))
            for (int j = 0; j < count; j++) {
                cfg_listitem(list, j);
                cfg_list_item_pos(list, j, &pos);
            }
        if (!cfg_get_list_as_string_list(c, n, &sl, &count, 1, NULL))
            cfg_string_list_free(sl, count);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vxl_diags d = {0};
    cfg_config *c = cfg_init("fuzz.cfg");
    int rc;
    if (size >= 2 && (data[0] & 1)) {
        const char *body = (const char *)data + 2;
        size_t blen = size - 2, split = data[1] % (blen + 1);
        rc = cfg_readdata_extra(c, body, split, body + split, blen - split,
                                NULL, &d);
    } else {
        rc = cfg_readdata(c, (const char *)data, size, &d);
    }
    if ((rc != 0) != (d.nerrors != 0))
        abort();
    if (!rc)
        exercise(c);
    cfg_destroy(c);
    vxl_diags_free(&d);
    return 0;
}

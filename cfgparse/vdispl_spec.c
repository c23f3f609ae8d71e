/* cfgparse/vdispl_spec.c — vdispl= list items (xl.cfg(5) "Virtual
 * displays"): backend=, be-alloc=, connectors=ID:WxH;ID:WxH;...
 *
 * As xl 4.17: a resolution that does not start with a number ("id0:big")
 * only gets a message, and that connector and all after it are kept
 * empty (0x0, later ones without an id); "id0:800" (width only) is an
 * error.  Where 4.17 reads uninitialised memory (a connector without
 * `:') or crashes (an empty connectors=), vxl reports an error. */
#include "cfgparse/dev_specs.h"
#include "common/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char conn_hint[] =
    "connectors=ID:WIDTHxHEIGHT;..., e.g. connectors=id0:1920x1080;id1:800x600";

static void drop_connectors(vxl_device_vdispl *v)
{
    for (int i = 0; i < v->num_connectors; i++)
        vxl_connector_param_dispose(&v->connectors[i]);
    free(v->connectors);
    v->connectors = NULL;
    v->num_connectors = 0;
}

static int parse_connectors(vxl_device_vdispl *v, const char *s,
                            const cfg_pos *loc, vxl_diags *d)
{
    vxl_string_list conns = NULL;
    int n = spec_split(s, ";", &conns), rc = -1;

    drop_connectors(v);
    if (n == 0) {
        spec_error(d, loc, conn_hint, "vdispl: empty connectors=");
        goto out;
    }
    for (int i = 0; i < n; i++)
        vxl_device_vdispl_add_connector(v);
    for (int i = 0; i < n; i++) {
        vxl_connector_param *c = &v->connectors[i];
        vxl_string_list pair = NULL;
        int np = spec_split(conns[i], ":", &pair);
        int got = np >= 2 ? sscanf(pair[1], "%ux%u", &c->width, &c->height)
                          : -1;
        if (np >= 1)
            c->unique_id = xstrdup(pair[0]);
        vxl_string_list_dispose(&pair);
        if (got == 2)
            continue;
        if (got == 0) {
            spec_warning(d, loc, conn_hint, "vdispl: can't parse connector "
                         "resolution in `%s'; it and the connectors after "
                         "it are left empty, as xl does", conns[i]);
            c->width = c->height = 0;
            break;
        }
        spec_error(d, loc, conn_hint, "vdispl: can't parse connector `%s'",
                   conns[i]);
        goto out;
    }
    rc = 0;
out:
    vxl_string_list_dispose(&conns);
    return rc;
}

static const char *const vdispl_keys[] = { "backend", "be-alloc", "connectors" };

int vxl_parse_vdispl_item(vxl_device_vdispl *v, const char *spec,
                          const cfg_pos *loc, vxl_diags *d)
{
    char *buf = xstrdup(spec), *save = NULL;
    int rc = -1;
    const char *val;

    for (char *p = strtok_r(buf, ",", &save); p;
         p = strtok_r(NULL, ",", &save)) {
        while (*p == ' ')
            p++;
        if ((val = spec_option(p, "backend"))) {
            free(v->backend_domname);
            v->backend_domname = xstrdup(val);
        } else if ((val = spec_option(p, "be-alloc"))) {
            v->be_alloc = strtoul(val, NULL, 0) != 0;
        } else if ((val = spec_option(p, "connectors"))) {
            if (parse_connectors(v, val, loc, d))
                goto out;
        } else {
            char *key = xstrndup(p, strcspn(p, "="));
            char *hint = spec_hint(key, vdispl_keys, ARRAY_SIZE(vdispl_keys),
                                   "valid keys (key=value)");
            spec_error(d, loc, hint, "unknown string \"%s\" in vdispl spec",
                       p);
            free(hint);
            free(key);
            goto out;
        }
    }
    if (v->num_connectors == 0) {
        spec_error(d, loc, conn_hint,
                   "at least one connector should be specified in `%s'", spec);
        goto out;
    }
    rc = 0;
out:
    free(buf);
    return rc;
}

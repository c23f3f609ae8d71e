/* cfgparse/usb_spec.c — usbctrl= and usbdev= list items (xl.cfg(5)):
 * comma-separated key=value tokens, leading blanks skipped. */
#include "cfgparse/dev_specs.h"
#include "common/util.h"

#include <stdlib.h>
#include <string.h>

typedef int (*token_fn)(void *obj, const char *token, const cfg_pos *loc,
                        vxl_diags *d);

static int each_token(const char *spec, void *obj, token_fn fn,
                      const cfg_pos *loc, vxl_diags *d)
{
    char *buf = xstrdup(spec), *save = NULL;
    int rc = 0;

    for (char *p = strtok_r(buf, ",", &save); p && !rc;
         p = strtok_r(NULL, ",", &save)) {
        while (*p == ' ')
            p++;
        rc = fn(obj, p, loc, d);
    }
    free(buf);
    return rc;
}

static int unknown(const char *token, const char *what,
                   const char *const *keys, size_t n, const cfg_pos *loc,
                   vxl_diags *d)
{
    char *key = xstrndup(token, strcspn(token, "="));
    char *hint = spec_hint(key, keys, n, "valid keys (key=value)");
    spec_error(d, loc, hint, "unknown string `%s' in %s spec", token, what);
    free(hint);
    free(key);
    return -1;
}

static const char *const usbctrl_keys[] = { "type", "version", "ports" };

static int usbctrl_token(void *obj, const char *token, const cfg_pos *loc,
                         vxl_diags *d)
{
    vxl_device_usbctrl *u = obj;
    const char *v;

    if ((v = spec_option(token, "type"))) {
        if (vxl_usbctrl_type_from_string(v, &u->type)) {
            spec_error(d, loc, "type is auto, pv, devicemodel or qusb",
                       "invalid usb controller type `%s'", v);
            return -1;
        }
    } else if ((v = spec_option(token, "version"))) {
        u->version = atoi(v);
    } else if ((v = spec_option(token, "ports"))) {
        u->ports = atoi(v);
    } else {
        return unknown(token, "usbctrl", usbctrl_keys,
                       ARRAY_SIZE(usbctrl_keys), loc, d);
    }
    return 0;
}

int vxl_parse_usbctrl_item(vxl_device_usbctrl *u, const char *spec,
                           const cfg_pos *loc, vxl_diags *d)
{
    return each_token(spec, u, usbctrl_token, loc, d) ? -1 : 0;
}

static const char *const usbdev_keys[] = {
    "type", "hostbus", "hostaddr", "controller", "port",
};

static int usbdev_token(void *obj, const char *token, const cfg_pos *loc,
                        vxl_diags *d)
{
    vxl_device_usbdev *u = obj;
    const char *v;

    if ((v = spec_option(token, "type"))) {
        vxl_usbdev_type t;
        if (vxl_usbdev_type_from_string(v, &t)) {
            spec_error(d, loc, "the only type is hostdev",
                       "invalid usb device type `%s'", v);
            return -1;
        }
        u->type = t;    /* as xl: the key only, the member is kept */
    } else if ((v = spec_option(token, "hostbus"))) {
        u->u.hostdev.hostbus = (uint8_t)strtoul(v, NULL, 0);
    } else if ((v = spec_option(token, "hostaddr"))) {
        u->u.hostdev.hostaddr = (uint8_t)strtoul(v, NULL, 0);
    } else if ((v = spec_option(token, "controller"))) {
        u->ctrl = atoi(v);
    } else if ((v = spec_option(token, "port"))) {
        u->port = atoi(v);
    } else {
        return unknown(token, "usbdev", usbdev_keys,
                       ARRAY_SIZE(usbdev_keys), loc, d);
    }
    return 0;
}

int vxl_parse_usbdev_item(vxl_device_usbdev *u, const char *spec,
                          const cfg_pos *loc, vxl_diags *d)
{
    return each_token(spec, u, usbdev_token, loc, d) ? -1 : 0;
}

/* cfgparse/vkb_spec.c — vfb= and vkb= list items (xl.cfg(5)
 * "Virtual Framebuffers" / "Virtual Keyboards"). */
#include "cfgparse/dev_specs.h"
#include "common/util.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static void replace(char **field, const char *val)
{
    free(*field);
    *field = xstrdup(val);
}

static const char *const vfb_keys[] = {
    "vnc", "vnclisten", "vncpasswd", "vncdisplay", "vncunused", "keymap",
    "sdl", "opengl", "display", "xauthority",
};

/* One key=value of a vfb item; false if the key is unknown. */
static bool vfb_set(vxl_device_vfb *vfb, const char *key, const char *val)
{
    if (!strcmp(key, "vnc"))
        vxl_defbool_set(&vfb->vnc.enable, atoi(val));
    else if (!strcmp(key, "vnclisten"))
        replace(&vfb->vnc.listen, val);
    else if (!strcmp(key, "vncpasswd"))
        replace(&vfb->vnc.passwd, val);
    else if (!strcmp(key, "vncdisplay"))
        vfb->vnc.display = atoi(val);
    else if (!strcmp(key, "vncunused"))
        vxl_defbool_set(&vfb->vnc.findunused, atoi(val));
    else if (!strcmp(key, "keymap"))
        replace(&vfb->keymap, val);
    else if (!strcmp(key, "sdl"))
        vxl_defbool_set(&vfb->sdl.enable, atoi(val));
    else if (!strcmp(key, "opengl"))
        vxl_defbool_set(&vfb->sdl.opengl, atoi(val));
    else if (!strcmp(key, "display"))
        replace(&vfb->sdl.display, val);
    else if (!strcmp(key, "xauthority"))
        replace(&vfb->sdl.xauthority, val);
    else
        return false;
    return true;
}

int vxl_parse_vfb_item(vxl_device_vfb *vfb, const char *spec,
                       const cfg_pos *loc, vxl_diags *d)
{
    char *buf = xstrdup(spec), *save = NULL;

    for (char *p = strtok_r(buf, ",", &save); p;
         p = strtok_r(NULL, ",", &save)) {
        while (*p == ' ')
            p++;
        char *eq = strchr(p, '=');
        if (!eq) {
            if (*p)
                spec_warning(d, loc, "settings are KEY=VALUE",
                             "vfb: `%s' ends the vfb spec; the rest of it "
                             "is ignored, as xl does", p);
            break;
        }
        *eq = 0;
        if (!vfb_set(vfb, p, eq + 1)) {
            char *hint = spec_hint(p, vfb_keys, ARRAY_SIZE(vfb_keys),
                                   "valid keys");
            spec_warning(d, loc, hint, "vfb: unknown key `%s' ignored, as "
                         "xl does", p);
            free(hint);
        }
    }
    free(buf);
    return 0;
}

/* ---- vkb -------------------------------------------------------------- */

static const char *const vkb_keys[] = {
    "backend", "backend-type", "unique-id", "feature-disable-keyboard",
    "feature-disable-pointer", "feature-abs-pointer", "feature-raw-pointer",
    "feature-multi-touch", "multi-touch-width", "multi-touch-height",
    "multi-touch-num-contacts", "width", "height",
};

static int vkb_token(vxl_device_vkb *vkb, const char *token,
                     const cfg_pos *loc, vxl_diags *d)
{
    const char *v;

#define NUM(key, field)                                      \
    if ((v = spec_option(token, key))) {                     \
        vkb->field = strtoul(v, NULL, 0);                    \
        return 0;                                            \
    }
    if ((v = spec_option(token, "backend"))) {
        replace(&vkb->backend_domname, v);
        return 0;
    }
    if ((v = spec_option(token, "backend-type"))) {
        vxl_vkb_backend bt;
        if (vxl_vkb_backend_from_string(v, &bt)) {
            spec_error(d, loc, "backend-type is qemu or linux",
                       "unknown backend_type \"%s\" in vkb spec", v);
            return -1;
        }
        vkb->backend_type = bt;
        return 0;
    }
    if ((v = spec_option(token, "unique-id"))) {
        replace(&vkb->unique_id, v);
        return 0;
    }
    NUM("feature-disable-keyboard", feature_disable_keyboard)
    NUM("feature-disable-pointer", feature_disable_pointer)
    NUM("feature-abs-pointer", feature_abs_pointer)
    NUM("feature-raw-pointer", feature_raw_pointer)
    NUM("feature-multi-touch", feature_multi_touch)
    NUM("multi-touch-width", multi_touch_width)
    NUM("multi-touch-height", multi_touch_height)
    NUM("multi-touch-num-contacts", multi_touch_num_contacts)
    NUM("width", width)
    NUM("height", height)
#undef NUM

    char *key = xstrndup(token, strcspn(token, "="));
    char *hint = spec_hint(key, vkb_keys, ARRAY_SIZE(vkb_keys),
                           "valid keys (key=value)");
    spec_error(d, loc, hint, "unknown string \"%s\" in vkb spec", token);
    free(hint);
    free(key);
    return -1;
}

int vxl_parse_vkb_item(vxl_device_vkb *vkb, const char *spec,
                       const cfg_pos *loc, vxl_diags *d)
{
    char *buf = xstrdup(spec), *save = NULL;
    int rc = -1;

    for (char *p = strtok_r(buf, ",", &save); p;
         p = strtok_r(NULL, ",", &save)) {
        while (*p == ' ')
            p++;
        if (vkb_token(vkb, p, loc, d))
            goto out;
    }
    if (vkb->backend_type == VXL_VKB_BACKEND_UNKNOWN) {
        spec_error(d, loc, "add backend-type=qemu or backend-type=linux",
                   "backend-type should be set in vkb spec `%s'", spec);
        goto out;
    }
    if (vkb->multi_touch_height || vkb->multi_touch_width ||
        vkb->multi_touch_num_contacts)
        vkb->feature_multi_touch = true;
    if (vkb->feature_multi_touch && !(vkb->multi_touch_height ||
        vkb->multi_touch_width || vkb->multi_touch_num_contacts)) {
        spec_error(d, loc, "give multi-touch-width=, multi-touch-height= and "
                   "multi-touch-num-contacts=",
                   "multi-touch-width, multi-touch-height, "
                   "multi-touch-num-contacts should be set for multi touch "
                   "in vkb spec");
        goto out;
    }
    rc = 0;
out:
    free(buf);
    return rc;
}

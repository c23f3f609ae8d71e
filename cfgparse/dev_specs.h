/* cfgparse/dev_specs.h — parsers of one list item of the smaller device
 * kinds of xl.cfg(5): p9, vtpm, pvcalls, channel (xenbus_spec.c), usbctrl
 * and usbdev (usb_spec.c), vfb and vkb (vkb_spec.c), vdispl
 * (vdispl_spec.c), vsnd (vsnd_spec.c).
 *
 * Each takes an initialised device, the item text and its position, and
 * returns 0, or -1 with an error (xl exits with status 1 for all of
 * them).  Semantics (which tokens are split how, what is ignored) are
 * those of Xen 4.17's xl, noted per function. */
#ifndef VXL_CFGPARSE_DEV_SPECS_H
#define VXL_CFGPARSE_DEV_SPECS_H

#include "cfgparse/cfg.h"
#include "cfgparse/model.h"
#include "cfgparse/spec.h"

/* p9: tag=, path=, security_model= (all required), backend=.  A token
 * without `=' ends the item (as in xl). */
int vxl_parse_p9_item(vxl_device_p9 *p9, const char *spec,
                      const cfg_pos *loc, vxl_diags *d);
/* vtpm: backend= (required), uuid=. */
int vxl_parse_vtpm_item(vxl_device_vtpm *vtpm, const char *spec,
                        const cfg_pos *loc, vxl_diags *d);
/* pvcalls: backend=. */
int vxl_parse_pvcalls_item(vxl_device_pvcallsif *pv, const char *spec,
                           const cfg_pos *loc, vxl_diags *d);
/* channel: name=, backend=, connection=pty|socket (required), path=
 * (required for socket); keys and values are trimmed; unknown keys only
 * warn. */
int vxl_parse_channel_item(vxl_device_channel *chn, const char *spec,
                           const cfg_pos *loc, vxl_diags *d);

/* usbctrl: type=, version=, ports=. */
int vxl_parse_usbctrl_item(vxl_device_usbctrl *u, const char *spec,
                           const cfg_pos *loc, vxl_diags *d);
/* usbdev: type=, hostbus=, hostaddr=, controller=, port=. */
int vxl_parse_usbdev_item(vxl_device_usbdev *u, const char *spec,
                          const cfg_pos *loc, vxl_diags *d);

/* vfb: vnc=, vnclisten=, vncpasswd=, vncdisplay=, vncunused=, keymap=,
 * sdl=, opengl=, display=, xauthority=; other keys are ignored and a
 * token without `=' ends the item (as in xl).  Never fails. */
int vxl_parse_vfb_item(vxl_device_vfb *vfb, const char *spec,
                       const cfg_pos *loc, vxl_diags *d);
/* vkb: backend=, backend-type= (required), unique-id=, feature-*=,
 * width=, height=, multi-touch-*=. */
int vxl_parse_vkb_item(vxl_device_vkb *vkb, const char *spec,
                       const cfg_pos *loc, vxl_diags *d);

/* vdispl: backend=, be-alloc=, connectors=ID:WxH;... (required). */
int vxl_parse_vdispl_item(vxl_device_vdispl *v, const char *spec,
                          const cfg_pos *loc, vxl_diags *d);

/* One string of a vsnd card list: "CARD, ...", "PCM, ..." or
 * "STREAM, ..." (case-insensitive), adding to *vsnd. */
int vxl_parse_vsnd_item(vxl_device_vsnd *vsnd, const char *spec,
                        const cfg_pos *loc, vxl_diags *d);

/* Helpers shared by these parsers. */
/* "key=..." -> pointer to the value, else NULL */
const char *spec_option(const char *token, const char *key);
/* Split s at any of delim like strtok (empty fields dropped) into a
 * vxl_string_list; returns the count (0 for none). */
int spec_split(const char *s, const char *delim, vxl_string_list *out);

#endif

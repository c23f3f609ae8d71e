/* cfgparse/vif_spec.h — network interface specs (xl-network-
 * configuration(5)): vif= items and `xl network-attach' arguments.
 *
 * A spec is a list of key=value tokens (plus the bare words trusted /
 * untrusted).  In a config the item is split at commas (leading blanks of
 * each token skipped); network-attach takes each argument as one token.
 *
 * xl treats bad tokens in two ways, and so does vxl:
 *   - "rejected" (unknown key, bad type= or mac=): network-attach fails,
 *     but in a config file xl only complains and ignores the token;
 *   - "fatal" (bad rate=, devid=, mtu=): the command / create fails. */
#ifndef VXL_CFGPARSE_VIF_SPEC_H
#define VXL_CFGPARSE_VIF_SPEC_H

#include <stdbool.h>
#include "cfgparse/model.h"
#include "cfgparse/spec.h"
#include "cfgparse/xlconf.h"

enum { VIF_TOKEN_OK = 0, VIF_TOKEN_REJECTED = 1, VIF_TOKEN_FATAL = -1 };

/* xl's defaults for a new vif from xl.conf (vif.default.script, .bridge,
 * .gatewaydev, .backend).  xlconf may be NULL (no defaults). */
void vxl_nic_set_defaults(vxl_device_nic *nic, const struct vxl_xlconf *xlconf);

/* Apply one token.  Returns VIF_TOKEN_OK, VIF_TOKEN_REJECTED (reported as
 * an error, or as a warning when in_config, as xl ignores it there) or
 * VIF_TOKEN_FATAL (an error). */
int vxl_parse_nic_token(vxl_device_nic *nic, const char *token,
                        const cfg_pos *loc, bool in_config, vxl_diags *d);

/* A whole vif= list item, split at commas as xl does.  Returns 0, or -1
 * after a fatal token (rejected tokens only give warnings). */
int vxl_parse_nic_spec(vxl_device_nic *nic, const char *spec,
                       const cfg_pos *loc, vxl_diags *d);

/* rate=RATE[@INTERVAL] (xl-network-configuration(5)): sets
 * rate_bytes_per_interval and rate_interval_usecs.  0, or -1 + error. */
int vxl_parse_vif_rate(const char *rate, vxl_device_nic *nic,
                       const cfg_pos *loc, vxl_diags *d);

#endif

/* cfgparse/vif_spec.c — vif specs and rate limits (see vif_spec.h).
 *
 * Semantics follow xl 4.17's parse_nic_config() and libxlutil's
 * xlu_vif_parse_rate(); the code is vxl's own. */
#include "cfgparse/vif_spec.h"
#include "common/util.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* ---- rate ------------------------------------------------------------- */

static bool all_digits(const char **p)
{
    const char *s = *p;
    while (*s >= '0' && *s <= '9')
        s++;
    bool any = s != *p;
    *p = s;
    return any;
}

/* ^[0-9]+[GMK]?[Bb]/s$ */
static bool rate_syntax_ok(const char *s)
{
    if (!all_digits(&s))
        return false;
    if (*s == 'G' || *s == 'M' || *s == 'K')
        s++;
    if (*s != 'B' && *s != 'b')
        return false;
    return !strcmp(s + 1, "/s");
}

/* ^[0-9]+[mu]?s?$ */
static bool interval_syntax_ok(const char *s)
{
    if (!all_digits(&s))
        return false;
    if (*s == 'm' || *s == 'u')
        s++;
    if (*s == 's')
        s++;
    return *s == 0;
}

static const char rate_hint[] =
    "write RATE[@INTERVAL]: RATE is a number, an optional K, M or G and "
    "B/s (bytes) or b/s (bits), e.g. 10MB/s; INTERVAL a number with "
    "s, ms or us, e.g. 50ms";

static int rate_bytes_per_sec(const char *s, uint64_t *out, const char *rate,
                              const cfg_pos *loc, vxl_diags *d)
{
    char *p;
    unsigned long long v;

    if (!rate_syntax_ok(s)) {
        spec_error(d, loc, rate_hint, "vif: invalid rate `%s' in `%s'", s,
                   rate);
        return -1;
    }
    errno = 0;
    v = strtoull(s, &p, 0);
    if (v == 0 || v > UINT32_MAX || errno == ERANGE) {
        spec_error(d, loc, v == 0 ? "the rate must be above zero"
                   : "the number before the unit must be below 2^32",
                   "vif: rate overflow `%s' in `%s'", s, rate);
        return -1;
    }
    if (*p == 'G')
        v *= 1000000000ULL;
    else if (*p == 'M')
        v *= 1000000ULL;
    else if (*p == 'K')
        v *= 1000ULL;
    if (*p == 'b' || p[1] == 'b')
        v /= 8;
    *out = v;
    return 0;
}

static int rate_interval_usecs(const char *s, uint32_t *out, const char *rate,
                               const cfg_pos *loc, vxl_diags *d)
{
    char *p;
    unsigned long long v;

    if (!interval_syntax_ok(s)) {
        spec_error(d, loc, rate_hint,
                   "vif: invalid replenishment interval `%s' in `%s'", s,
                   rate);
        return -1;
    }
    errno = 0;
    v = strtoull(s, &p, 0);
    if (v == 0 || v > UINT32_MAX || errno == ERANGE)
        goto overflow;
    if (*p == 's' || *p == 0)
        v *= 1000000ULL;
    else if (*p == 'm')
        v *= 1000ULL;
    if (v > UINT32_MAX)
        goto overflow;
    *out = (uint32_t)v;
    return 0;
overflow:
    spec_error(d, loc, "the interval must be between 1us and 4294967295us "
               "(about 71 minutes)",
               "vif: replenishment interval overflow `%s' in `%s'", s, rate);
    return -1;
}

int vxl_parse_vif_rate(const char *rate, vxl_device_nic *nic,
                       const cfg_pos *loc, vxl_diags *d)
{
    char *buf = xstrdup(rate), *at = strchr(buf, '@');
    uint64_t bps = 0;
    uint32_t usecs = 50000;     /* default: 50ms */
    int rc = -1;

    if (at)
        *at++ = 0;
    if (!*buf) {
        spec_error(d, loc, rate_hint, "vif: no rate specified in `%s'", rate);
        goto out;
    }
    if (rate_bytes_per_sec(buf, &bps, rate, loc, d))
        goto out;
    if (at && rate_interval_usecs(at, &usecs, rate, loc, d))
        goto out;
    if (bps > UINT64_MAX / usecs) {
        spec_error(d, loc, "lower the rate or shorten the interval",
                   "vif: rate overflow in `%s'", rate);
        goto out;
    }
    nic->rate_interval_usecs = usecs;
    nic->rate_bytes_per_interval = bps * usecs / 1000000ULL;
    rc = 0;
out:
    free(buf);
    return rc;
}

/* ---- tokens ----------------------------------------------------------- */

#define NIC_STR(key, field) { key, offsetof(vxl_device_nic, field) }
static const struct { const char *key; size_t off; } str_keys[] = {
    NIC_STR("bridge", bridge),
    NIC_STR("gatewaydev", gatewaydev),
    NIC_STR("ip", ip),
    NIC_STR("script", script),
    NIC_STR("backend", backend_domname),
    NIC_STR("vifname", ifname),
    NIC_STR("model", model),
    NIC_STR("forwarddev", coloft_forwarddev),
#define C(f) NIC_STR(#f, f)
    C(colo_sock_mirror_id), C(colo_sock_mirror_ip), C(colo_sock_mirror_port),
    C(colo_sock_compare_sec_in_id), C(colo_sock_compare_sec_in_ip),
    C(colo_sock_compare_sec_in_port),
    C(colo_sock_redirector0_id), C(colo_sock_redirector0_ip),
    C(colo_sock_redirector0_port),
    C(colo_sock_redirector1_id), C(colo_sock_redirector1_ip),
    C(colo_sock_redirector1_port),
    C(colo_sock_redirector2_id), C(colo_sock_redirector2_ip),
    C(colo_sock_redirector2_port),
    C(colo_sock_compare_pri_in_id), C(colo_sock_compare_pri_in_ip),
    C(colo_sock_compare_pri_in_port),
    C(colo_sock_compare_notify_id), C(colo_sock_compare_notify_ip),
    C(colo_sock_compare_notify_port),
    C(colo_filter_mirror_queue), C(colo_filter_mirror_outdev),
    C(colo_filter_redirector0_queue), C(colo_filter_redirector0_indev),
    C(colo_filter_redirector0_outdev),
    C(colo_filter_redirector1_queue), C(colo_filter_redirector1_indev),
    C(colo_filter_redirector1_outdev),
    C(colo_compare_pri_in), C(colo_compare_sec_in), C(colo_compare_out),
    C(colo_compare_notify_dev),
    C(colo_sock_sec_redirector0_id), C(colo_sock_sec_redirector0_ip),
    C(colo_sock_sec_redirector0_port),
    C(colo_sock_sec_redirector1_id), C(colo_sock_sec_redirector1_ip),
    C(colo_sock_sec_redirector1_port),
    C(colo_filter_sec_redirector0_queue),
    C(colo_filter_sec_redirector0_indev),
    C(colo_filter_sec_redirector0_outdev),
    C(colo_filter_sec_redirector1_queue),
    C(colo_filter_sec_redirector1_indev),
    C(colo_filter_sec_redirector1_outdev),
    C(colo_filter_sec_rewriter0_queue),
    C(colo_checkpoint_host), C(colo_checkpoint_port),
#undef C
};

/* the settings a hint lists (the COLO ones are left out for brevity) */
static const char *const main_keys[] = {
    "mac", "bridge", "ip", "type", "vifname", "script", "backend", "model",
    "rate", "gatewaydev", "mtu", "devid", "trusted", "untrusted", "accel",
    "forwarddev", "netdev",
};

static void replace(char **field, const char *val)
{
    free(*field);
    *field = xstrdup(val);
}

void vxl_nic_set_defaults(vxl_device_nic *nic, const struct vxl_xlconf *xlconf)
{
    if (!xlconf)
        return;
    if (xlconf->default_vifscript)
        replace(&nic->script, xlconf->default_vifscript);
    if (xlconf->default_bridge)
        replace(&nic->bridge, xlconf->default_bridge);
    if (xlconf->default_gatewaydev)
        replace(&nic->gatewaydev, xlconf->default_gatewaydev);
    if (xlconf->default_vifbackend)
        replace(&nic->backend_domname, xlconf->default_vifbackend);
}

/* "key=..." -> the value, else NULL */
static const char *option(const char *token, const char *key)
{
    size_t n = strlen(key);
    if (strncmp(token, key, n) || token[n] != '=')
        return NULL;
    return token + n + 1;
}

static int rejected(const cfg_pos *loc, bool in_config, vxl_diags *d,
                    const char *hint, const char *msg, const char *token)
{
    if (in_config)
        spec_warning(d, loc, hint, "vif: %s `%s' (ignored, as xl does)", msg,
                     token);
    else
        spec_error(d, loc, hint, "vif: %s `%s'", msg, token);
    return VIF_TOKEN_REJECTED;
}

/* six hex bytes, any one separator character between them */
static int parse_mac(vxl_device_nic *nic, const char *s)
{
    for (int i = 0; i < 6; i++) {
        char *end;
        unsigned long v = strtoul(s, &end, 16);
        if (end == s || v > 255)
            return -1;
        nic->mac[i] = (uint8_t)v;
        if (i < 5 && !*end)
            return -1;
        s = end + 1;
    }
    return 0;
}

/* xl's parse_ulong: decimal, junk after the digits ignored */
static int parse_ulong(const char *s, unsigned long *v)
{
    char *end;
    *v = strtoul(s, &end, 10);
    return end == s || *v == ULONG_MAX ? -1 : 0;
}

int vxl_parse_nic_token(vxl_device_nic *nic, const char *token,
                        const cfg_pos *loc, bool in_config, vxl_diags *d)
{
    const char *v;
    unsigned long ul;

    if ((v = option(token, "type"))) {
        if (!strcmp(v, "vif"))
            nic->nictype = VXL_NIC_TYPE_VIF;
        else if (!strcmp(v, "ioemu"))
            nic->nictype = VXL_NIC_TYPE_VIF_IOEMU;
        else
            return rejected(loc, in_config, d, "type is `vif' or `ioemu'",
                            "invalid parameter `type' in", token);
        return VIF_TOKEN_OK;
    }
    if ((v = option(token, "mac"))) {
        if (parse_mac(nic, v))
            return rejected(loc, in_config, d,
                            "write six hex bytes, e.g. mac=00:16:3e:12:34:56",
                            "invalid parameter `mac' in", token);
        return VIF_TOKEN_OK;
    }
    if ((v = option(token, "netdev"))) {
        spec_warning(d, loc, "use gatewaydev= instead",
                     "vif: the netdev parameter is deprecated");
        replace(&nic->gatewaydev, v);
        return VIF_TOKEN_OK;
    }
    for (size_t i = 0; i < ARRAY_SIZE(str_keys); i++)
        if ((v = option(token, str_keys[i].key))) {
            replace((char **)((char *)nic + str_keys[i].off), v);
            return VIF_TOKEN_OK;
        }
    if ((v = option(token, "rate")))
        return vxl_parse_vif_rate(v, nic, loc, d) ? VIF_TOKEN_FATAL
                                                  : VIF_TOKEN_OK;
    if (option(token, "accel")) {
        spec_warning(d, loc, NULL, "vif: the accel parameter for vifs is "
                     "currently not supported (ignored)");
        return VIF_TOKEN_OK;
    }
    if ((v = option(token, "devid")) || (v = option(token, "mtu"))) {
        bool is_devid = token[0] == 'd';
        if (parse_ulong(v, &ul)) {
            spec_error(d, loc, "give a decimal number",
                       "vif: failed to convert `%s' to number", v);
            return VIF_TOKEN_FATAL;
        }
        if (is_devid)
            nic->devid = (int)ul;
        else
            nic->mtu = (int)ul;
        return VIF_TOKEN_OK;
    }
    if (!strcmp(token, "trusted")) {
        vxl_defbool_set(&nic->trusted, true);
        return VIF_TOKEN_OK;
    }
    if (!strcmp(token, "untrusted")) {
        vxl_defbool_set(&nic->trusted, false);
        return VIF_TOKEN_OK;
    }

    /* unknown: suggest the closest setting */
    const char *all[ARRAY_SIZE(str_keys) + ARRAY_SIZE(main_keys)];
    size_t n = 0;
    for (size_t i = 0; i < ARRAY_SIZE(main_keys); i++)
        all[n++] = main_keys[i];
    for (size_t i = 0; i < ARRAY_SIZE(str_keys); i++)
        all[n++] = str_keys[i].key;
    char *key = xstrndup(token, strcspn(token, "="));
    char *hint;
    const char *close = spec_closest(key, all, n);
    if (close)
        hint = xasprintf("did you mean `%s'?", close);
    else
        hint = spec_hint(key, main_keys, ARRAY_SIZE(main_keys),
                         "valid settings (key=value)");
    rejected(loc, in_config, d, hint, "unrecognized argument", token);
    free(hint);
    free(key);
    return VIF_TOKEN_REJECTED;
}

int vxl_parse_nic_spec(vxl_device_nic *nic, const char *spec,
                       const cfg_pos *loc, vxl_diags *d)
{
    char *buf = xstrdup(spec), *save = NULL;
    int rc = 0;

    for (char *p = strtok_r(buf, ",", &save); p;
         p = strtok_r(NULL, ",", &save)) {
        while (*p == ' ')
            p++;
        if (vxl_parse_nic_token(nic, p, loc, true, d) == VIF_TOKEN_FATAL) {
            rc = -1;
            break;
        }
    }
    free(buf);
    return rc;
}

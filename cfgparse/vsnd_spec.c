/* cfgparse/vsnd_spec.c — the strings of a vsnd= card list (xl.cfg(5)
 * "Virtual Sound"):
 *
 *   vsnd = [ [ 'CARD, short-name=Main, sample-formats=s16_le;s8',
 *              'PCM, name=Main',
 *              'STREAM, unique-id=0, type=p' ], ... ]
 *
 * The first comma-separated word says what the string adds (card, pcm,
 * stream; any case); the rest are that item's parameters.  A stream goes
 * to the last pcm (one is created if there is none yet). */
#include "cfgparse/dev_specs.h"
#include "common/util.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const param_keys[] = {
    "sample-rates", "sample-formats", "channels-min", "channels-max",
    "buffer-size",
};

/* The parameters common to cards, pcms and streams.  Returns 0 if token
 * was one of them, 1 if not, -1 on a bad value. */
static int parse_params(vxl_vsnd_params *params, const char *token,
                        const cfg_pos *loc, vxl_diags *d)
{
    const char *v;
    vxl_string_list l = NULL;
    int n;

    if ((v = spec_option(token, "sample-rates"))) {
        n = spec_split(v, ";", &l);
        free(params->sample_rates);
        params->sample_rates = xcalloc(n ? n : 1, sizeof(uint32_t));
        params->num_sample_rates = n;
        for (int i = 0; i < n; i++)
            params->sample_rates[i] = (uint32_t)strtoul(l[i], NULL, 0);
    } else if ((v = spec_option(token, "sample-formats"))) {
        n = spec_split(v, ";", &l);
        free(params->sample_formats);
        params->sample_formats = xcalloc(n ? n : 1,
                                         sizeof(vxl_vsnd_pcm_format));
        params->num_sample_formats = n;
        for (int i = 0; i < n; i++)
            if (vxl_vsnd_pcm_format_from_string(l[i],
                                                &params->sample_formats[i])) {
                spec_error(d, loc, "formats are s8, u8, s16_le, s16_be, ..., "
                           "f64_be, iec958_subframe_le/be, mu_law, a_law, "
                           "ima_adpcm, mpeg, gsm",
                           "vsnd: invalid pcm format `%s'", l[i]);
                vxl_string_list_dispose(&l);
                return -1;
            }
    } else if ((v = spec_option(token, "channels-min"))) {
        params->channels_min = (uint32_t)strtoul(v, NULL, 0);
        return 0;
    } else if ((v = spec_option(token, "channels-max"))) {
        params->channels_max = (uint32_t)strtoul(v, NULL, 0);
        return 0;
    } else if ((v = spec_option(token, "buffer-size"))) {
        params->buffer_size = (uint32_t)strtoul(v, NULL, 0);
        return 0;
    } else {
        return 1;
    }
    vxl_string_list_dispose(&l);
    if (n == 0) {
        spec_error(d, loc, "give a `;'-separated list", "vsnd: empty `%s'",
                   token);
        return -1;
    }
    return 0;
}

static void replace(char **field, const char *val)
{
    free(*field);
    *field = xstrdup(val);
}

static int invalid(const char *token, const char *const *extra, size_t nextra,
                   const cfg_pos *loc, vxl_diags *d)
{
    const char *keys[ARRAY_SIZE(param_keys) + 4];
    size_t n = 0;
    for (size_t i = 0; i < ARRAY_SIZE(param_keys); i++)
        keys[n++] = param_keys[i];
    for (size_t i = 0; i < nextra; i++)
        keys[n++] = extra[i];
    char *key = xstrndup(token, strcspn(token, "="));
    char *hint = spec_hint(key, keys, n, "valid parameters (key=value)");
    spec_error(d, loc, hint, "vsnd: invalid parameter `%s'", token);
    free(hint);
    free(key);
    return -1;
}

static int card_param(vxl_device_vsnd *vsnd, const char *token,
                      const cfg_pos *loc, vxl_diags *d)
{
    static const char *const keys[] = { "backend", "short-name", "long-name" };
    const char *v;
    int rc = parse_params(&vsnd->params, token, loc, d);
    if (rc <= 0)
        return rc;
    if ((v = spec_option(token, "backend")))
        replace(&vsnd->backend_domname, v);
    else if ((v = spec_option(token, "short-name")))
        replace(&vsnd->short_name, v);
    else if ((v = spec_option(token, "long-name")))
        replace(&vsnd->long_name, v);
    else
        return invalid(token, keys, ARRAY_SIZE(keys), loc, d);
    return 0;
}

static int pcm_param(vxl_device_vsnd *vsnd, const char *token,
                     const cfg_pos *loc, vxl_diags *d)
{
    static const char *const keys[] = { "name" };
    vxl_vsnd_pcm *pcm = &vsnd->pcms[vsnd->num_vsnd_pcms - 1];
    const char *v;
    int rc = parse_params(&pcm->params, token, loc, d);
    if (rc <= 0)
        return rc;
    if ((v = spec_option(token, "name")))
        replace(&pcm->name, v);
    else
        return invalid(token, keys, ARRAY_SIZE(keys), loc, d);
    return 0;
}

static int stream_param(vxl_device_vsnd *vsnd, const char *token,
                        const cfg_pos *loc, vxl_diags *d)
{
    static const char *const keys[] = { "unique-id", "type" };
    vxl_vsnd_pcm *pcm = &vsnd->pcms[vsnd->num_vsnd_pcms - 1];
    vxl_vsnd_stream *s = &pcm->streams[pcm->num_vsnd_streams - 1];
    const char *v;
    int rc = parse_params(&s->params, token, loc, d);
    if (rc <= 0)
        return rc;
    if ((v = spec_option(token, "unique-id"))) {
        replace(&s->unique_id, v);
    } else if ((v = spec_option(token, "type"))) {
        if (vxl_vsnd_stream_type_from_string(v, &s->type)) {
            spec_error(d, loc, "type is p (playback) or c (capture)",
                       "vsnd: invalid stream type `%s'", v);
            return -1;
        }
    } else {
        return invalid(token, keys, ARRAY_SIZE(keys), loc, d);
    }
    return 0;
}

enum vsnd_kind { VSND_CARD, VSND_PCM, VSND_STREAM };

static int create_item(vxl_device_vsnd *vsnd, const char *key,
                       enum vsnd_kind *kind, const cfg_pos *loc, vxl_diags *d)
{
    if (!strcasecmp(key, "card")) {
        *kind = VSND_CARD;
    } else if (!strcasecmp(key, "pcm")) {
        *kind = VSND_PCM;
        vxl_device_vsnd_add_pcm(vsnd);
    } else if (!strcasecmp(key, "stream")) {
        *kind = VSND_STREAM;
        if (vsnd->num_vsnd_pcms == 0)
            vxl_device_vsnd_add_pcm(vsnd);
        vxl_vsnd_pcm_add_stream(&vsnd->pcms[vsnd->num_vsnd_pcms - 1]);
    } else {
        spec_error(d, loc, "each string starts with CARD, PCM or STREAM",
                   "vsnd: invalid key `%s'", key);
        return -1;
    }
    return 0;
}

int vxl_parse_vsnd_item(vxl_device_vsnd *vsnd, const char *spec,
                        const cfg_pos *loc, vxl_diags *d)
{
    char *buf = xstrdup(spec), *save = NULL;
    enum vsnd_kind kind = VSND_CARD;
    bool have_key = false;
    int rc = 0;

    for (char *p = strtok_r(buf, ",", &save); p && !rc;
         p = strtok_r(NULL, ",", &save)) {
        while (*p == ' ')
            p++;
        if (!have_key) {
            have_key = true;
            rc = create_item(vsnd, p, &kind, loc, d);
        } else if (kind == VSND_CARD) {
            rc = card_param(vsnd, p, loc, d);
        } else if (kind == VSND_PCM) {
            rc = pcm_param(vsnd, p, loc, d);
        } else {
            rc = stream_param(vsnd, p, loc, d);
        }
    }
    free(buf);
    return rc ? -1 : 0;
}

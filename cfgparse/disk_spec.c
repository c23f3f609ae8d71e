/* cfgparse/disk_spec.c — the disk specification grammar of xl-disk-
 * configuration(5), as libxlutil's disk lexer reads it.
 *
 * xl reads disk specs with a flex scanner: at each position every rule is
 * tried, the longest match wins and, on a tie, the rule listed first.  A
 * rule may have trailing context that counts towards the match length but
 * is not consumed (the legacy "raw:" / "phy:" prefixes are written so that
 * they match "the whole rest of the string" and thus beat everything).
 * This file does the same by hand: rule_match() measures each rule at the
 * current position, scan_spec() picks the winner and applies its action.
 *
 * The grammar is the one of Xen's libxlu_disk_l.l.  Xen 4.17's release
 * ships a pre-generated scanner older than that source (it lacks trusted /
 * untrusted); vxl follows the source, i.e. what Xen intends. */
#include "cfgparse/disk_spec.h"
#include "common/util.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    vxl_device_disk *disk;
    const cfg_pos *loc;
    vxl_diags *diags;
    const char *spec;           /* the spec string being scanned */
    int err;
    bool access_set, had_depr_prefix;
} dpc_t;

/* ---- errors ----------------------------------------------------------- */

static void disk_err(dpc_t *dpc, const char *near, const char *hint,
                     const char *msg)
{
    if (near)
        spec_error(dpc->diags, dpc->loc, hint,
                   "disk specification: %s: near `%s' in `%s'", msg, near,
                   dpc->spec);
    else
        spec_error(dpc->diags, dpc->loc, hint, "disk specification: %s in `%s'",
                   msg, dpc->spec);
    dpc->err = 1;
}

static void disk_err_hint(dpc_t *dpc, const char *near, char *hint,
                          const char *msg)
{
    disk_err(dpc, near, hint, msg);
    free(hint);
}

/* ---- value setters (the scanner's actions) ---------------------------- */

static const char *const formats[] = {
    "raw", "qcow", "qcow2", "vhd", "qed", "empty", "vmdk", "vdi",
};
static const char *const backendtypes[] = {
    "phy", "tap", "qdisk", "standalone",
};
static const char *const specifications[] = { "xen", "virtio" };
static const char *const accesses[] = { "r", "ro", "w", "rw" };
static const char *const devtypes[] = { "disk", "cdrom" };
static const char *const keys[] = {
    "target", "format", "vdev", "access", "devtype", "backend",
    "backendtype", "specification", "script", "direct-io-safe", "discard",
    "no-discard", "trusted", "untrusted", "colo", "no-colo", "colo-host",
    "colo-port", "colo-export", "active-disk", "hidden-disk", "cdrom",
    "snapshot",
};

/* Set an enum member, complaining if it was already set differently. */
static void dset(dpc_t *dpc, int *member, int val, const char *str,
                 const char *what)
{
    if (*member != 0 && *member != val) {
        char *m = xasprintf("%s respecified", what);
        disk_err(dpc, str, "give each parameter only once", m);
        free(m);
    } else {
        *member = val;
    }
}

/* Set a string member; an empty earlier value may be overwritten. */
static void savestring(dpc_t *dpc, const char *what, char **update,
                       const char *value)
{
    if (*update) {
        if (**update) {
            char *m = xasprintf("%s respecified", what);
            disk_err(dpc, value, "give each parameter only once", m);
            free(m);
            return;
        }
        free(*update);
    }
    *update = xstrdup(value);
}

static void setaccess(dpc_t *dpc, const char *str)
{
    if (*str)
        dpc->disk->vxl_given |= VXL_DISK_GIVEN_ACCESS;
    if (!strcmp(str, "r") || !strcmp(str, "ro")) {
        dpc->disk->readwrite = 0;
    } else if (!strcmp(str, "rw") || !strcmp(str, "w") || !strcmp(str, "")) {
        dpc->disk->readwrite = 1;
        if (*str)
            dpc->disk->vxl_given |= VXL_DISK_GIVEN_RW;
    } else
        disk_err_hint(dpc, str, spec_hint(str, accesses, ARRAY_SIZE(accesses),
                                          "valid access modes"),
                      "unknown value for access");
}

static void setformat(dpc_t *dpc, const char *str)
{
    static const struct { const char *name; int val; } tab[] = {
        { "", VXL_DISK_FORMAT_RAW },       { "raw", VXL_DISK_FORMAT_RAW },
        { "qcow", VXL_DISK_FORMAT_QCOW },  { "qcow2", VXL_DISK_FORMAT_QCOW2 },
        { "vhd", VXL_DISK_FORMAT_VHD },    { "empty", VXL_DISK_FORMAT_EMPTY },
        { "qed", VXL_DISK_FORMAT_QED },
    };
    /* vxl extension (docs/disk-pipeline.md): images libxl can't use,
     * accepted so that `vxl create --convert' can convert them */
    static const char *const ext[] = { "vmdk", "vdi" };

    if (*str)
        dpc->disk->vxl_given |= VXL_DISK_GIVEN_FORMAT;
    for (size_t i = 0; i < ARRAY_SIZE(ext); i++)
        if (!strcmp(str, ext[i])) {
            if (dpc->disk->format != VXL_DISK_FORMAT_UNKNOWN ||
                (dpc->disk->vxl_format &&
                 strcmp(dpc->disk->vxl_format, ext[i])))
                disk_err(dpc, str, "give each parameter only once",
                         "format respecified");
            else
                dpc->disk->vxl_format = ext[i];
            return;
        }
    for (size_t i = 0; i < ARRAY_SIZE(tab); i++)
        if (!strcmp(str, tab[i].name)) {
            int v = dpc->disk->format;
            if (dpc->disk->vxl_format)
                v = -1;             /* format=vmdk,format=raw */
            dset(dpc, &v, tab[i].val, str, "format");
            if (v != -1)
                dpc->disk->format = v;
            return;
        }
    disk_err_hint(dpc, str, spec_hint(str, formats, ARRAY_SIZE(formats),
                                      "valid formats"),
                  "unknown value for format");
}

static void setbackendtype(dpc_t *dpc, const char *str)
{
    static const struct { const char *name; int val; } tab[] = {
        { "phy", VXL_DISK_BACKEND_PHY },     { "tap", VXL_DISK_BACKEND_TAP },
        { "qdisk", VXL_DISK_BACKEND_QDISK },
        { "standalone", VXL_DISK_BACKEND_STANDALONE },
    };
    for (size_t i = 0; i < ARRAY_SIZE(tab); i++)
        if (!strcmp(str, tab[i].name)) {
            int v = dpc->disk->backend;
            dset(dpc, &v, tab[i].val, str, "backend");
            dpc->disk->backend = v;
            return;
        }
    disk_err_hint(dpc, str, spec_hint(str, backendtypes,
                                      ARRAY_SIZE(backendtypes),
                                      "valid backend types"),
                  "unknown value for backendtype");
}

static void setspecification(dpc_t *dpc, const char *str)
{
    int val;
    if (!strcmp(str, "xen"))
        val = VXL_DISK_SPECIFICATION_XEN;
    else if (!strcmp(str, "virtio"))
        val = VXL_DISK_SPECIFICATION_VIRTIO;
    else {
        disk_err_hint(dpc, str, spec_hint(str, specifications,
                                          ARRAY_SIZE(specifications),
                                          "valid specifications"),
                      "unknown value for specification");
        return;
    }
    int v = dpc->disk->specification;
    dset(dpc, &v, val, str, "specification");
    dpc->disk->specification = v;
}

static void setcoloport(dpc_t *dpc, const char *str)
{
    int port = atoi(str);
    if (port)
        dpc->disk->colo_port = port;
    else
        disk_err(dpc, str, "colo-port wants a non-zero port number",
                 "unknown value for colo_port");
}

/* A positional vdev of the form <vdev>:<devtype>.  Returns true if str
 * had a colon (and was handled), false otherwise. */
static bool vdev_and_devtype(dpc_t *dpc, char *str)
{
    char *colon = strrchr(str, ':');
    if (!colon)
        return false;
    *colon++ = 0;
    savestring(dpc, "vdev", &dpc->disk->vdev, str);
    if (!strcmp(colon, "cdrom"))
        dpc->disk->is_cdrom = 1;
    else if (!strcmp(colon, "disk"))
        dpc->disk->is_cdrom = 0;
    else
        disk_err_hint(dpc, colon, spec_hint(colon, devtypes,
                                            ARRAY_SIZE(devtypes),
                                            "valid device types"),
                      "unknown deprecated type");
    return true;
}

/* ---- the rules -------------------------------------------------------- */

enum rule {
    R_WS,
    R_FORMAT, R_CDROM, R_DEVTYPE_CDROM, R_DEVTYPE_DISK, R_DEVTYPE_OTHER,
    R_ACCESS, R_BACKEND, R_BACKENDTYPE, R_SPECIFICATION, R_VDEV, R_SCRIPT,
    R_DIRECT_IO_SAFE, R_DISCARD, R_NO_DISCARD, R_COLO, R_NO_COLO,
    R_COLO_HOST, R_COLO_PORT, R_COLO_EXPORT, R_ACTIVE_DISK, R_HIDDEN_DISK,
    R_TRUSTED, R_UNTRUSTED,
    R_SNAPSHOT,                 /* vxl extension: docs/disk-pipeline.md */
    R_TARGET,
    R_UNKNOWN_PARAM,
    R_PREFIX_FORMAT, R_PREFIX_SCRIPT, R_PREFIX_TAPDISK, R_PREFIX_TAP,
    R_PREFIX_AIO, R_PREFIX_IOEMU, R_PREFIX_FILE, R_PREFIX_PHY,
    R_PREFIX_UNKNOWN,
    R_POSITIONAL,
    R_NRULES
};

/* "key=[^,]*,?" rules and "word,?" rules, by rule number */
static const char *const rule_word[R_NRULES] = {
    [R_FORMAT] = "format=", [R_CDROM] = "cdrom",
    [R_DEVTYPE_CDROM] = "devtype=cdrom", [R_DEVTYPE_DISK] = "devtype=disk",
    [R_DEVTYPE_OTHER] = "devtype=", [R_ACCESS] = "access=",
    [R_BACKEND] = "backend=", [R_BACKENDTYPE] = "backendtype=",
    [R_SPECIFICATION] = "specification=", [R_VDEV] = "vdev=",
    [R_SCRIPT] = "script=", [R_DIRECT_IO_SAFE] = "direct-io-safe",
    [R_DISCARD] = "discard", [R_NO_DISCARD] = "no-discard",
    [R_COLO] = "colo", [R_NO_COLO] = "no-colo",
    [R_COLO_HOST] = "colo-host=", [R_COLO_PORT] = "colo-port=",
    [R_COLO_EXPORT] = "colo-export=", [R_ACTIVE_DISK] = "active-disk=",
    [R_HIDDEN_DISK] = "hidden-disk=", [R_TRUSTED] = "trusted",
    [R_UNTRUSTED] = "untrusted", [R_SNAPSHOT] = "snapshot",
};

static bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* length of ".*" at p (flex's "." does not match newline) */
static size_t dot_star(const char *p) { return strcspn(p, "\n"); }

static bool has_prefix(const char *p, const char *w)
{
    return !strncmp(p, w, strlen(w));
}

/* "(w1|w2|...):/.*": returns the total length, sets *head */
static size_t match_prefix(const char *p, const char *const *alts,
                           size_t *head)
{
    for (; *alts; alts++) {
        size_t n = strlen(*alts);
        if (!strncmp(p, *alts, n) && p[n] == ':') {
            *head = n + 1;
            return n + 1 + dot_star(p + n + 1);
        }
    }
    return 0;
}

/* Length of rule r's match at p (0 = no match); *head = the part of it
 * that is consumed (the rest is trailing context). */
static size_t rule_match(enum rule r, const char *p, size_t *head)
{
    static const char *const fmt_prefixes[] = { "raw", "qcow2", "qcow",
                                                "vhd", NULL };
    static const char *const script_prefixes[] = { "iscsi", "enbd", "nbd",
                                                   "drbd", NULL };
    static const char *const tapdisk[] = { "tapdisk", NULL };
    static const char *const tap[] = { "tap2", "tap", NULL };
    static const char *const aio[] = { "aio", NULL };
    static const char *const ioemu[] = { "ioemu", NULL };
    static const char *const file[] = { "file", NULL };
    static const char *const phy[] = { "phy", NULL };
    size_t n, i;

    *head = 0;
    switch (r) {
    case R_WS:
        n = strspn(p, " \t\n");
        if (!n)
            return 0;
        *head = n;
        if (p[n] && !strchr(" \t\n", p[n]))
            return n + 1 + dot_star(p + n + 1);
        return n;
    case R_FORMAT: case R_DEVTYPE_OTHER: case R_ACCESS: case R_BACKEND:
    case R_BACKENDTYPE: case R_SPECIFICATION: case R_VDEV: case R_SCRIPT:
    case R_COLO_HOST: case R_COLO_PORT: case R_COLO_EXPORT:
    case R_ACTIVE_DISK: case R_HIDDEN_DISK:
        if (!has_prefix(p, rule_word[r]))
            return 0;
        n = strlen(rule_word[r]);
        n += strcspn(p + n, ",");
        n += p[n] == ',';
        break;
    case R_CDROM: case R_DEVTYPE_CDROM: case R_DEVTYPE_DISK:
    case R_DIRECT_IO_SAFE: case R_DISCARD: case R_NO_DISCARD: case R_COLO:
    case R_NO_COLO: case R_TRUSTED: case R_UNTRUSTED: case R_SNAPSHOT:
        if (!has_prefix(p, rule_word[r]))
            return 0;
        n = strlen(rule_word[r]);
        n += p[n] == ',';
        break;
    case R_TARGET:
        if (!has_prefix(p, "target="))
            return 0;
        n = 7 + dot_star(p + 7);
        break;
    case R_UNKNOWN_PARAM:                   /* [a-z][-a-z0-9]*=[^,],? */
        if (!is_lower(p[0]))
            return 0;
        for (i = 1; is_lower(p[i]) || is_digit(p[i]) || p[i] == '-'; i++)
            ;
        if (p[i] != '=' || !p[i + 1] || p[i + 1] == ',')
            return 0;
        n = i + 2 + (p[i + 2] == ',');
        break;
    case R_PREFIX_FORMAT:  return match_prefix(p, fmt_prefixes, head);
    case R_PREFIX_SCRIPT:  return match_prefix(p, script_prefixes, head);
    case R_PREFIX_TAPDISK: return match_prefix(p, tapdisk, head);
    case R_PREFIX_TAP:     return match_prefix(p, tap, head);
    case R_PREFIX_AIO:     return match_prefix(p, aio, head);
    case R_PREFIX_IOEMU:   return match_prefix(p, ioemu, head);
    case R_PREFIX_FILE:    return match_prefix(p, file, head);
    case R_PREFIX_PHY:     return match_prefix(p, phy, head);
    case R_PREFIX_UNKNOWN:  /* [a-z][a-z0-9]*:/([^a-z0-9].*)? */
        if (!is_lower(p[0]))
            return 0;
        for (i = 1; is_lower(p[i]) || is_digit(p[i]); i++)
            ;
        if (p[i] != ':')
            return 0;
        *head = ++i;
        if (p[i] && !is_lower(p[i]) && !is_digit(p[i]))
            return i + 1 + dot_star(p + i + 1);
        return i;
    case R_POSITIONAL:                      /* [^=,]*,|[^=,]+,? */
        n = strcspn(p, "=,");
        if (p[n] == ',')
            n++;
        else if (!n)
            return 0;
        break;
    default:
        return 0;
    }
    *head = n;
    return n;
}

/* ---- actions ---------------------------------------------------------- */

static void strip(char *text, char delim)
{
    size_t n = strlen(text);
    if (n && text[n - 1] == delim)
        text[n - 1] = 0;
}

static const char *from_equals(const char *text)
{
    return strchr(text, '=') + 1;
}

/* Returns false after "too many positional parameters" (stop scanning). */
static bool positional(dpc_t *dpc, char *text)
{
    vxl_device_disk *disk = dpc->disk;

    strip(text, ',');
    if (dpc->err) {
        /* earlier errors would only cause confusing follow-ups */
    } else if (!disk->pdev_path) {
        savestring(dpc, "target", &disk->pdev_path, text);
    } else if (!dpc->had_depr_prefix &&
               disk->format == VXL_DISK_FORMAT_UNKNOWN && !disk->vxl_format) {
        if (!*disk->pdev_path && vdev_and_devtype(dpc, text)) {
            disk->format = VXL_DISK_FORMAT_EMPTY;
        } else if (strcmp(text, "") && !spec_closest(text, formats,
                                                     ARRAY_SIZE(formats))) {
            char *hint = xasprintf(
                "the positional form is TARGET,FORMAT,VDEV,ACCESS; "
                "write `%s,,%s' to keep the default format, or use vdev=%s",
                disk->pdev_path, text, text);
            disk_err_hint(dpc, text, hint, "unknown value for format");
        } else {
            setformat(dpc, text);
        }
    } else if (!disk->vdev) {
        if (!vdev_and_devtype(dpc, text))
            savestring(dpc, "vdev", &disk->vdev, text);
    } else if (!dpc->access_set) {
        dpc->access_set = true;
        setaccess(dpc, text);
    } else {
        disk_err(dpc, text, "the positional form is at most "
                 "TARGET,FORMAT,VDEV,ACCESS; give other settings as "
                 "key=value", "too many positional parameters");
        return false;
    }
    return true;
}

static void unknown_param(dpc_t *dpc, const char *text)
{
    size_t klen = strcspn(text, "=");
    char *key = xstrndup(text, klen);
    disk_err_hint(dpc, text, spec_hint(key, keys, ARRAY_SIZE(keys),
                                       "valid parameters"),
                  "unknown parameter");
    free(key);
}

static void prefix_script(dpc_t *dpc, const char *text)
{
    char *script = xasprintf("block-%s", text);
    savestring(dpc, "script", &dpc->disk->script, script);
    free(script);
}

/* Apply rule r to its consumed text.  Returns false to stop scanning
 * this spec (the rules that "return 0" in xl's scanner). */
static bool apply(dpc_t *dpc, enum rule r, char *text)
{
    vxl_device_disk *disk = dpc->disk;

    switch (r) {
    case R_WS:
        break;
    case R_FORMAT:
        strip(text, ',');
        setformat(dpc, from_equals(text));
        break;
    case R_CDROM: case R_DEVTYPE_CDROM:
        disk->is_cdrom = 1;
        break;
    case R_DEVTYPE_DISK:
        disk->is_cdrom = 0;
        break;
    case R_DEVTYPE_OTHER: {
        char *v = xstrdup(from_equals(text));
        strip(v, ',');
        disk_err_hint(dpc, text, spec_hint(v, devtypes, ARRAY_SIZE(devtypes),
                                           "valid device types"),
                      "unknown value for type");
        free(v);
        break;
    }
    case R_ACCESS:
        strip(text, ',');
        setaccess(dpc, from_equals(text));
        break;
    case R_BACKEND:
        strip(text, ',');
        savestring(dpc, "backend", &disk->backend_domname, from_equals(text));
        break;
    case R_BACKENDTYPE:
        strip(text, ',');
        setbackendtype(dpc, from_equals(text));
        break;
    case R_SPECIFICATION:
        strip(text, ',');
        setspecification(dpc, from_equals(text));
        break;
    case R_VDEV:
        strip(text, ',');
        savestring(dpc, "vdev", &disk->vdev, from_equals(text));
        break;
    case R_SCRIPT:
        strip(text, ',');
        savestring(dpc, "script", &disk->script, from_equals(text));
        break;
    case R_DIRECT_IO_SAFE:
        disk->direct_io_safe = true;
        break;
    case R_DISCARD:    vxl_defbool_set(&disk->discard_enable, true); break;
    case R_NO_DISCARD: vxl_defbool_set(&disk->discard_enable, false); break;
    case R_COLO:       vxl_defbool_set(&disk->colo_enable, true); break;
    case R_NO_COLO:    vxl_defbool_set(&disk->colo_enable, false); break;
    case R_TRUSTED:    vxl_defbool_set(&disk->trusted, true); break;
    case R_UNTRUSTED:  vxl_defbool_set(&disk->trusted, false); break;
    case R_SNAPSHOT:   disk->vxl_snapshot = true; break;
    case R_COLO_HOST:
        strip(text, ',');
        savestring(dpc, "colo-host", &disk->colo_host, from_equals(text));
        break;
    case R_COLO_PORT:
        strip(text, ',');
        setcoloport(dpc, from_equals(text));
        break;
    case R_COLO_EXPORT:
        strip(text, ',');
        savestring(dpc, "colo-export", &disk->colo_export, from_equals(text));
        break;
    case R_ACTIVE_DISK:
        strip(text, ',');
        savestring(dpc, "active-disk", &disk->active_disk, from_equals(text));
        break;
    case R_HIDDEN_DISK:
        strip(text, ',');
        savestring(dpc, "hidden-disk", &disk->hidden_disk, from_equals(text));
        break;
    case R_TARGET:
        strip(text, ',');
        savestring(dpc, "target", &disk->pdev_path, from_equals(text));
        break;
    case R_UNKNOWN_PARAM:
        unknown_param(dpc, text);
        break;
    case R_PREFIX_FORMAT:
        strip(text, ':');
        dpc->had_depr_prefix = true;
        setformat(dpc, text);
        break;
    case R_PREFIX_SCRIPT:
        strip(text, ':');
        dpc->had_depr_prefix = true;
        prefix_script(dpc, text);
        break;
    case R_PREFIX_TAPDISK: case R_PREFIX_TAP: case R_PREFIX_AIO:
    case R_PREFIX_IOEMU: case R_PREFIX_FILE: case R_PREFIX_PHY:
        dpc->had_depr_prefix = true;
        break;
    case R_PREFIX_UNKNOWN:
        disk_err(dpc, text, "known prefixes: raw: qcow: qcow2: vhd: "
                 "iscsi: nbd: enbd: drbd: tap: tap2: tapdisk: aio: ioemu: "
                 "file: phy:; a target containing `:' must be given as "
                 "target=...", "unknown deprecated disk prefix");
        return false;
    case R_POSITIONAL:
        return positional(dpc, text);
    default:
        break;
    }
    return true;
}

/* Scan one spec string, applying the rules' actions to dpc->disk. */
static void scan_spec(dpc_t *dpc, const char *spec)
{
    const char *p = spec;

    dpc->spec = spec;
    while (*p) {
        enum rule best = R_NRULES;
        size_t bestlen = 0, besthead = 0;
        for (int r = 0; r < R_NRULES; r++) {
            size_t head, len = rule_match((enum rule)r, p, &head);
            if (len > bestlen) {
                bestlen = len;
                besthead = head;
                best = (enum rule)r;
            }
        }
        if (best == R_NRULES) {
            /* flex's "." then <LEXERR>.*: the rest of the line.  When
             * the stray character is the last one, the scanner reaches
             * the end of input inside LEXERR without matching anything
             * more and stops quietly: no error, as in xl. */
            if (!p[1])
                return;
            char *rest = xstrndup(p, dot_star(p) ? dot_star(p) : 1);
            disk_err(dpc, rest, "a target containing `=' or `,' must be "
                     "given last, as target=...", "bad disk syntax");
            free(rest);
            return;
        }
        char *text = xstrndup(p, besthead);
        bool go_on = apply(dpc, best, text);
        free(text);
        if (!go_on)
            return;
        p += besthead;
    }
}

static int finish(dpc_t *dpc);

int vxl_parse_disk_spec(int nspecs, const char *const *specs,
                        const cfg_pos *loc, vxl_device_disk *disk,
                        vxl_diags *diags)
{
    dpc_t dpc = { .disk = disk, .loc = loc, .diags = diags };

    disk->readwrite = 1;
    for (int i = 0; i < nspecs; i++) {
        scan_spec(&dpc, specs[i]);
        if (dpc.err)
            return -1;
    }
    strbuf all = {0};
    for (int i = 0; i < nspecs; i++)
        sb_printf(&all, "%s%s", i ? " " : "", specs[i]);
    char *joined = sb_steal(&all);
    dpc.spec = joined;
    int rc = finish(&dpc);
    free(joined);
    return rc;
}

/* xl's checks and defaults after all specs have been scanned */
static int finish(dpc_t *dpc)
{
    vxl_device_disk *disk = dpc->disk;

    if (disk->format == VXL_DISK_FORMAT_UNKNOWN && !disk->vxl_format)
        disk->format = VXL_DISK_FORMAT_RAW;
    if (disk->is_cdrom) {
        disk->removable = 1;
        disk->readwrite = 0;
        if (!disk->pdev_path || !strcmp(disk->pdev_path, "")) {
            disk->format = VXL_DISK_FORMAT_EMPTY;
            disk->vxl_format = NULL;
        }
    }
    if (!disk->vdev) {
        disk_err(dpc, NULL, "name the guest's device, e.g. vdev=xvda",
                 "no vdev specified");
        return -1;
    }
    if (!disk->pdev_path && !disk->removable) {
        disk_err(dpc, NULL, "give target=PATH, or devtype=cdrom for an "
                 "empty removable drive",
                 "no target specified (and device not removable)");
        return -1;
    }
    return 0;
}

/* import/vmx.c — the VMware .vmx reader.
 *
 * A .vmx is a list of `key = "value"` lines: keys are case-insensitive,
 * values may be quoted or bare, "|XX" is a hex escape inside a value
 * ("|22" is a double quote, "|7C" a bar), '#' starts a comment, and a
 * key given twice keeps its last value (with a warning when they differ).
 * A first line `.encoding = "..."` names the character set; anything but
 * UTF-8 / ASCII is read as bytes with a warning.
 *
 * Devices: ideN:M / scsiN:M / sataN:M / nvmeN:M with present = "TRUE"
 * (a missing or FALSE present means the device is not there, as in
 * VMware) on a present controller; deviceType decides disk or CD-ROM.
 * ethernetN likewise.  Disk file names are kept as written; the plan
 * decides whether they are inside the appliance. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"
#include "import/import.h"
#include "import/vm.h"

#define VMX_MAX_LINES 100000

struct kv {
    char *key;      /* lower-cased */
    char *val;
    int line;
};

struct vmx {
    const char *fname;
    vxl_diags *d;
    struct kv *kv;
    size_t n;
};

static int cmp_kv(const void *a, const void *b)
{
    const struct kv *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : x->line - y->line;
}

static int cmp_key(const void *k, const void *b)
{
    return strcmp(k, ((const struct kv *)b)->key);
}

/* After parse_lines the pairs are sorted by key, one per key. */
static struct kv *lookup(const struct vmx *x, const char *key)
{
    return x->n ? bsearch(key, x->kv, x->n, sizeof *x->kv, cmp_key) : NULL;
}

static const char *get(const struct vmx *x, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static const char *get(const struct vmx *x, const char *fmt, ...)
{
    char key[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(key, sizeof key, fmt, ap);
    va_end(ap);
    for (char *p = key; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    struct kv *k = lookup(x, key);
    return k ? k->val : NULL;
}

static bool is_true(const char *v)
{
    return v && (strcasecmp(v, "true") == 0 || strcasecmp(v, "yes") == 0 ||
                 strcmp(v, "1") == 0);
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Undo |XX escapes. */
static char *unescape(const char *s, size_t n)
{
    char *out = xmalloc(n + 1), *w = out;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '|' && i + 2 < n &&
            hexval((unsigned char)s[i + 1]) >= 0 &&
            hexval((unsigned char)s[i + 2]) >= 0) {
            int c = hexval((unsigned char)s[i + 1]) * 16 +
                    hexval((unsigned char)s[i + 2]);
            *w++ = c ? (char)c : '?';
            i += 2;
        } else {
            *w++ = s[i] ? s[i] : '?';
        }
    }
    *w = 0;
    return out;
}

static int parse_lines(struct vmx *x, const char *buf, size_t len)
{
    size_t pos = 0;
    int lineno = 0;
    while (pos < len) {
        const char *line = buf + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t ll = nl ? (size_t)(nl - line) : len - pos;
        pos += ll + (nl ? 1 : 0);
        if (++lineno > VMX_MAX_LINES) {
            vxl_diag_add(x->d, VXL_ERROR, x->fname, lineno, 0, NULL,
                         "more than %d lines", VMX_MAX_LINES);
            return -EINVAL;
        }
        if (ll && line[ll - 1] == '\r')
            ll--;
        size_t i = 0;
        if (lineno == 1 && ll >= 3 && (unsigned char)line[0] == 0xef &&
            (unsigned char)line[1] == 0xbb && (unsigned char)line[2] == 0xbf)
            i = 3;                          /* UTF-8 BOM */
        while (i < ll && (line[i] == ' ' || line[i] == '\t'))
            i++;
        if (i == ll || line[i] == '#')
            continue;
        size_t ks = i;
        while (i < ll && line[i] != '=' && line[i] != ' ' && line[i] != '\t')
            i++;
        size_t ke = i;
        while (i < ll && (line[i] == ' ' || line[i] == '\t'))
            i++;
        if (ke == ks || i == ll || line[i] != '=') {
            vxl_diag_add(x->d, VXL_WARNING, x->fname, lineno, 1, NULL,
                         "line is not 'key = \"value\"' (ignored)");
            continue;
        }
        i++;
        while (i < ll && (line[i] == ' ' || line[i] == '\t'))
            i++;
        const char *vs;
        size_t vl;
        if (i < ll && line[i] == '"') {
            vs = line + i + 1;
            const char *q = memchr(vs, '"', ll - i - 1);
            if (!q) {
                vxl_diag_add(x->d, VXL_WARNING, x->fname, lineno, (int)i + 1,
                             NULL, "unterminated quoted value (ignored)");
                continue;
            }
            vl = (size_t)(q - vs);
            size_t rest = (size_t)(q - line) + 1;
            while (rest < ll && (line[rest] == ' ' || line[rest] == '\t'))
                rest++;
            if (rest < ll && line[rest] != '#')
                vxl_diag_add(x->d, VXL_WARNING, x->fname, lineno, (int)rest + 1,
                             NULL, "text after the closing quote ignored");
        } else {
            vs = line + i;
            vl = ll - i;
            const char *h = memchr(vs, '#', vl);
            if (h)
                vl = (size_t)(h - vs);
            while (vl && (vs[vl - 1] == ' ' || vs[vl - 1] == '\t'))
                vl--;
        }
        char *key = xstrndup(line + ks, ke - ks);
        for (char *p = key; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        char *val = unescape(vs, vl);
        x->kv = xreallocarray(x->kv, x->n + 1, sizeof *x->kv);
        x->kv[x->n++] = (struct kv){ key, val, lineno };
    }
    /* sort by key then line; a repeated key keeps its last value */
    if (x->n > 1)
        qsort(x->kv, x->n, sizeof *x->kv, cmp_kv);
    size_t w = 0;
    for (size_t i = 0; i < x->n; i++) {
        if (w && strcmp(x->kv[w - 1].key, x->kv[i].key) == 0) {
            struct kv *old = &x->kv[w - 1];
            if (strcmp(old->val, x->kv[i].val) != 0)
                vxl_diag_add(x->d, VXL_WARNING, x->fname, x->kv[i].line, 1,
                             NULL, "'%s' given again (first on line %d): the "
                             "last value, \"%s\", is used", old->key,
                             old->line, x->kv[i].val);
            free(old->val);
            free(x->kv[i].key);
            old->val = x->kv[i].val;
            old->line = x->kv[i].line;
            continue;
        }
        x->kv[w++] = x->kv[i];
    }
    x->n = w;
    return 0;
}

static bool parse_uint(const char *s, uint64_t *out)
{
    if (!s || !isdigit((unsigned char)*s))
        return false;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return false;
    *out = v;
    return true;
}

static int line_of(const struct vmx *x, const char *key)
{
    struct kv *k = lookup(x, key);
    return k ? k->line : 0;
}

static const char *const buses[] = { "ide", "sata", "scsi", "nvme" };
static const enum vimport_bus bus_ids[] = {
    VIMPORT_BUS_IDE, VIMPORT_BUS_SATA, VIMPORT_BUS_SCSI, VIMPORT_BUS_NVME,
};

/* "scsi0:1.present" → bus 2, ctrl 0, unit 1, rest "present". */
static bool device_key(const char *key, size_t *bus, int *ctrl, int *unit,
                       const char **rest)
{
    for (size_t b = 0; b < ARRAY_SIZE(buses); b++) {
        size_t l = strlen(buses[b]);
        if (strncmp(key, buses[b], l) != 0 || !isdigit((unsigned char)key[l]))
            continue;
        char *end;
        long c = strtol(key + l, &end, 10);
        if (*end != ':' || c > 99 || !isdigit((unsigned char)end[1]))
            return false;
        long u = strtol(end + 1, &end, 10);
        if (*end != '.' || u > 999)
            return false;
        *bus = b;
        *ctrl = (int)c;
        *unit = (int)u;
        *rest = end + 1;
        return true;
    }
    return false;
}

static int cmp_disk(const void *a, const void *b)
{
    const struct vimport_disk *x = a, *y = b;
    if (x->bus != y->bus)
        return (int)x->bus - (int)y->bus;
    if (x->ctrl != y->ctrl)
        return x->ctrl - y->ctrl;
    return x->unit - y->unit;
}

static int read_devices(struct vmx *x, struct vimport_vm *vm)
{
    for (size_t i = 0; i < x->n; i++) {
        size_t b;
        int c, u;
        const char *rest;
        if (!device_key(x->kv[i].key, &b, &c, &u, &rest) ||
            strcmp(rest, "present") != 0)
            continue;
        char dev[32];
        snprintf(dev, sizeof dev, "%s%d:%d", buses[b], c, u);
        if (!is_true(x->kv[i].val))
            continue;
        /* IDE controllers are always there; others need presentN */
        if (b != 0) {
            const char *cp = get(x, "%s%d.present", buses[b], c);
            if (!is_true(cp)) {
                vxl_diag_add(x->d, VXL_WARNING, x->fname, x->kv[i].line, 0,
                             NULL, "%s: its controller %s%d is not present "
                             "(skipped)", dev, buses[b], c);
                continue;
            }
        }
        const char *type = get(x, "%s.deviceType", dev);
        const char *file = get(x, "%s.fileName", dev);
        bool cdrom = false;
        if (type && (strncasecmp(type, "cdrom", 5) == 0 ||
                     strcasecmp(type, "atapi-cdrom") == 0))
            cdrom = true;
        else if (type && strcasecmp(type, "scsi-hardDisk") != 0 &&
                 strcasecmp(type, "ata-hardDisk") != 0 &&
                 strcasecmp(type, "disk") != 0 &&
                 strcasecmp(type, "rawDisk") != 0) {
            vxl_diag_add(x->d, VXL_WARNING, x->fname, line_of(x, x->kv[i].key),
                         0, NULL, "%s: device type '%s' not imported", dev, type);
            continue;
        }
        if (!cdrom && (!file || !*file)) {
            vxl_diag_add(x->d, VXL_WARNING, x->fname, x->kv[i].line, 0, NULL,
                         "%s: disk without a fileName (skipped)", dev);
            continue;
        }
        if (vm->ndisks >= VIMPORT_MAX_DISKS) {
            vxl_diag_add(x->d, VXL_ERROR, x->fname, x->kv[i].line, 0, NULL,
                         "more than %d disks", VIMPORT_MAX_DISKS);
            return -EINVAL;
        }
        struct vimport_disk *dk = vimport_vm_add_disk(vm);
        dk->bus = bus_ids[b];
        dk->ctrl = c;
        dk->unit = u;
        dk->cdrom = cdrom;
        dk->origin = xstrdup(dev);
        dk->id = xstrdup(dev);
        if (cdrom) {
            /* media are not imported; keep the name for the warning */
            if (file && *file && type && strcasecmp(type, "cdrom-image") == 0)
                dk->file = xstrdup(file);
        } else {
            dk->file = xstrdup(file);
        }
    }
    if (vm->ndisks > 1)
        qsort(vm->disks, vm->ndisks, sizeof *vm->disks, cmp_disk);

    /* bios.hddOrder = "scsi0:0,..." marks the boot disk */
    const char *order = get(x, "bios.hddOrder");
    if (order) {
        char *first = xstrndup(order, strcspn(order, ","));
        for (size_t i = 0; i < vm->ndisks; i++)
            if (strcasecmp(vm->disks[i].id, first) == 0 && !vm->disks[i].cdrom)
                vm->disks[i].boot = 1;
        free(first);
    }
    return 0;
}

static bool mac_ok(const char *m)
{
    if (strlen(m) != 17)
        return false;
    for (int i = 0; i < 17; i++)
        if (i % 3 == 2 ? m[i] != ':' : !isxdigit((unsigned char)m[i]))
            return false;
    return true;
}

static int read_nics(struct vmx *x, struct vimport_vm *vm)
{
    for (int n = 0; n < 100; n++) {
        const char *pres = get(x, "ethernet%d.present", n);
        if (!pres)
            continue;
        if (!is_true(pres))
            continue;
        if (vm->nnics >= VIMPORT_MAX_NICS) {
            vxl_diag_add(x->d, VXL_ERROR, x->fname, 0, 0, NULL,
                         "more than %d network adapters", VIMPORT_MAX_NICS);
            return -EINVAL;
        }
        struct vimport_nic *nic = vimport_vm_add_nic(vm);
        nic->origin = xasprintf("ethernet%d", n);
        const char *dev = get(x, "ethernet%d.virtualDev", n);
        nic->model = xstrdup(dev ? dev : "vlance");
        const char *net = get(x, "ethernet%d.networkName", n);
        if (net && *net)
            nic->network = xstrdup(net);
        const char *at = get(x, "ethernet%d.addressType", n);
        const char *mac;
        if (at && strcasecmp(at, "static") == 0)
            mac = get(x, "ethernet%d.address", n);
        else {
            mac = get(x, "ethernet%d.generatedAddress", n);
            if (!mac)
                mac = get(x, "ethernet%d.address", n);
        }
        if (mac && *mac) {
            if (mac_ok(mac)) {
                nic->mac = xstrdup(mac);
                for (char *p = nic->mac; *p; p++)
                    *p = (char)tolower((unsigned char)*p);
            } else {
                vxl_diag_add(x->d, VXL_WARNING, x->fname,
                             line_of(x, "ethernet0.address"), 0, NULL,
                             "ethernet%d: MAC address '%s' not understood "
                             "(a new one is generated)", n, mac);
            }
        }
    }
    return 0;
}

int vimport_vmx_parse(const char *buf, size_t len, const char *fname,
                      struct vimport_vm *vm, vxl_diags *d)
{
    memset(vm, 0, sizeof *vm);
    if (len > VIMPORT_MAX_DESC) {
        vxl_diag_add(d, VXL_ERROR, fname, 0, 0, NULL,
                     "file is larger than %u MiB", VIMPORT_MAX_DESC >> 20);
        return -EFBIG;
    }
    struct vmx x = { .fname = fname, .d = d };
    int rc = parse_lines(&x, buf, len);
    if (rc == 0 && x.n == 0) {
        vxl_diag_add(d, VXL_ERROR, fname, 0, 0, NULL,
                     "not a .vmx file: no 'key = \"value\"' lines");
        rc = -EINVAL;
    }
    if (rc == 0) {
        const char *enc = get(&x, ".encoding");
        if (enc && strcasecmp(enc, "UTF-8") != 0 &&
            strcasecmp(enc, "US-ASCII") != 0)
            vxl_diag_add(d, VXL_WARNING, fname, line_of(&x, ".encoding"), 0,
                         NULL, "encoding '%s' is read as plain bytes", enc);
        vm->origin = xstrdup(fname);
        const char *v = get(&x, "displayName");
        if (v && *v)
            vm->name = xstrdup(v);
        v = get(&x, "guestOS");
        if (v && *v)
            vm->os = xstrdup(v);
        uint64_t q;
        v = get(&x, "memsize");
        if (v) {
            if (!parse_uint(v, &q) || q == 0 || q > (VIMPORT_MAX_MEMORY >> 20)) {
                vxl_diag_add(d, VXL_ERROR, fname, line_of(&x, "memsize"), 0,
                             NULL, "memsize \"%s\" is not a size in MB "
                             "(1 to %llu)", v,
                             (unsigned long long)(VIMPORT_MAX_MEMORY >> 20));
                rc = -EINVAL;
            } else {
                vm->memory = q << 20;
            }
        }
        v = get(&x, "numvcpus");
        if (rc == 0 && v) {
            if (!parse_uint(v, &q) || q == 0 || q > VIMPORT_MAX_VCPUS) {
                vxl_diag_add(d, VXL_ERROR, fname, line_of(&x, "numvcpus"), 0,
                             NULL, "numvcpus \"%s\" is not a CPU count "
                             "(1 to %d)", v, VIMPORT_MAX_VCPUS);
                rc = -EINVAL;
            } else {
                vm->vcpus = (unsigned)q;
            }
        } else if (rc == 0) {
            vm->vcpus = 1;
        }
        v = get(&x, "firmware");
        if (v && strcasecmp(v, "efi") == 0)
            vm->efi = true;
        else if (v && strcasecmp(v, "bios") != 0 && *v)
            vxl_diag_add(d, VXL_WARNING, fname, line_of(&x, "firmware"), 0,
                         NULL, "firmware \"%s\" not understood (BIOS used)", v);
    }
    if (rc == 0)
        rc = read_devices(&x, vm);
    if (rc == 0)
        rc = read_nics(&x, vm);
    for (size_t i = 0; i < x.n; i++) {
        free(x.kv[i].key);
        free(x.kv[i].val);
    }
    free(x.kv);
    if (rc < 0)
        vimport_vm_dispose(vm);
    return rc;
}

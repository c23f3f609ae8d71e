/* import/ovf.c — the OVF descriptor reader (OVF 0.9, 1.x and 2.x).
 *
 * libxml2 parses the document with no network access, no DTD loading and
 * no entity substitution; a document that declares a DOCTYPE at all is
 * refused before libxml2 sees it (an OVF has no use for one, and it is
 * how external entities and expansion bombs arrive).  Elements and
 * attributes are matched by local name, so the DMTF namespaces
 * (envelope/1, envelope/2), VMware's 0.9 namespace and unprefixed
 * attributes all read the same; OVF 0.9's <Section xsi:type="X_Type">
 * and <Content xsi:type="VirtualSystem_Type"> count as <X> and
 * <VirtualSystem>.
 *
 * The reader fills a vimport_vm per VirtualSystem and reports, as
 * warnings, everything it skips or finds inconsistent; refusals (not an
 * OVF, no VirtualSystem, absurd sizes or counts) are errors. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "common/util.h"
#include "import/import.h"
#include "import/vm.h"

struct ovf_file {
    char *id, *href;
    uint64_t size;
    bool has_size;
    bool gzip;
    uint64_t chunk;             /* ovf:chunkSize; 0 = not chunked */
};

struct ovf_disk {
    char *id, *file_ref, *format;
    uint64_t capacity;          /* bytes */
    int used_by;                /* 1 + index of the system using it */
};

struct ovf_doc {
    const char *fname;
    vxl_diags *d;
    struct ovf_file *files;
    size_t nfiles;
    struct ovf_disk *disks;
    size_t ndisks;
    char **networks;
    size_t nnetworks;
    struct vimport_vm *vms;
    size_t nvms;
    int depth;
};

#define WARN(o, node, ...) \
    vxl_diag_add((o)->d, VXL_WARNING, (o)->fname, (node) ? xmlGetLineNo(node) : 0, \
                 0, NULL, __VA_ARGS__)
#define ERR(o, node, ...) \
    vxl_diag_add((o)->d, VXL_ERROR, (o)->fname, (node) ? xmlGetLineNo(node) : 0, \
                 0, NULL, __VA_ARGS__)

/* ---------------------------------------------------------------- */
/* XML helpers: local names only                                     */

static bool name_is(const xmlNode *n, const char *name)
{
    return n && n->type == XML_ELEMENT_NODE &&
           strcmp((const char *)n->name, name) == 0;
}

/* Attribute value by local name (any namespace); NULL if absent. */
static const char *attr(const xmlNode *n, const char *name)
{
    for (const xmlAttr *a = n->properties; a; a = a->next) {
        if (strcmp((const char *)a->name, name) != 0)
            continue;
        if (a->children && a->children->type == XML_TEXT_NODE &&
            a->children->content)
            return (const char *)a->children->content;
        return "";
    }
    return NULL;
}

/* OVF 0.9 sections: <Section xsi:type="ovf:DiskSection_Type">. */
static bool section_is(const xmlNode *n, const char *name)
{
    if (name_is(n, name))
        return true;
    if (!name_is(n, "Section") && !name_is(n, "Content"))
        return false;
    const char *t = NULL;
    for (const xmlAttr *a = n->properties; a; a = a->next)
        if (strcmp((const char *)a->name, "type") == 0 && a->ns && a->ns->href &&
            strcmp((const char *)a->ns->href,
                   "http://www.w3.org/2001/XMLSchema-instance") == 0 &&
            a->children && a->children->content)
            t = (const char *)a->children->content;
    if (!t)
        return false;
    const char *c = strchr(t, ':');
    t = c ? c + 1 : t;
    size_t l = strlen(name);
    return strncmp(t, name, l) == 0 && strcmp(t + l, "_Type") == 0;
}

static char *trimdup(const char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' ||
                 s[n - 1] == '\r'))
        n--;
    return xstrndup(s, n);
}

/* Text of an element (text children only), trimmed; caller frees. */
static char *text_of(const xmlNode *n)
{
    strbuf sb = { 0 };
    for (const xmlNode *c = n->children; c; c = c->next)
        if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) &&
            c->content)
            sb_puts(&sb, (const char *)c->content);
    char *raw = sb_steal(&sb);
    char *t = trimdup(raw);
    free(raw);
    return t;
}

static const xmlNode *child(const xmlNode *n, const char *name)
{
    for (const xmlNode *c = n->children; c; c = c->next)
        if (name_is(c, name))
            return c;
    return NULL;
}

/* Text of the first child element with that local name, or NULL. */
static char *child_text(const xmlNode *n, const char *name)
{
    const xmlNode *c = child(n, name);
    return c ? text_of(c) : NULL;
}

/* ---------------------------------------------------------------- */
/* numbers and units                                                  */

static bool parse_u64(const char *s, uint64_t *out)
{
    if (!s)
        return false;
    while (*s == ' ')
        s++;
    if (*s < '0' || *s > '9')
        return false;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    while (*end == ' ')
        end++;
    if (errno || *end)
        return false;
    *out = v;
    return true;
}

static bool mul_ok(uint64_t a, uint64_t b, uint64_t *out)
{
    if (a && b > UINT64_MAX / a)
        return false;
    *out = a * b;
    return true;
}

/* "byte * 2^20", "byte*1024*1024", "MegaBytes", "GB", "KiB"... */
bool vimport_parse_units(const char *units, uint64_t *mult)
{
    if (!units) {
        *mult = 1;
        return true;
    }
    char *u = xstrdup(units);
    char *w = u;
    for (char *r = u; *r; r++)          /* drop blanks */
        if (*r != ' ' && *r != '\t' && *r != '\n' && *r != '\r')
            *w++ = *r;
    *w = 0;
    static const struct { const char *name; uint64_t m; } words[] = {
        { "", 1 }, { "byte", 1 }, { "bytes", 1 }, { "B", 1 },
        { "KB", 1ull << 10 }, { "KiB", 1ull << 10 }, { "kilobyte", 1ull << 10 },
        { "kilobytes", 1ull << 10 }, { "KiloBytes", 1ull << 10 },
        { "MB", 1ull << 20 }, { "MiB", 1ull << 20 }, { "megabyte", 1ull << 20 },
        { "megabytes", 1ull << 20 }, { "MegaBytes", 1ull << 20 },
        { "GB", 1ull << 30 }, { "GiB", 1ull << 30 }, { "gigabyte", 1ull << 30 },
        { "gigabytes", 1ull << 30 }, { "GigaBytes", 1ull << 30 },
        { "TB", 1ull << 40 }, { "TiB", 1ull << 40 }, { "terabyte", 1ull << 40 },
        { "terabytes", 1ull << 40 }, { "TeraBytes", 1ull << 40 },
    };
    for (size_t i = 0; i < ARRAY_SIZE(words); i++)
        if (strcasecmp(u, words[i].name) == 0) {
            *mult = words[i].m;
            free(u);
            return true;
        }
    /* DMTF programmatic units: "byte" then factors "*N", "*B^E", "/N"
     * is not allowed for sizes. */
    bool ok = false;
    uint64_t m = 1;
    const char *p = u;
    if (strncasecmp(p, "byte", 4) == 0) {
        p += 4;
        if (*p == 's')
            p++;
        ok = *p == '*';
        while (ok && *p == '*') {
            p++;
            char *end;
            errno = 0;
            unsigned long long base = strtoull(p, &end, 10);
            if (end == p || errno) {
                ok = false;
                break;
            }
            p = end;
            unsigned long long exp = 1;
            if (*p == '^') {
                p++;
                exp = strtoull(p, &end, 10);
                if (end == p || errno || exp > 64) {
                    ok = false;
                    break;
                }
                p = end;
            }
            for (unsigned long long i = 0; i < exp && ok; i++)
                ok = mul_ok(m, base, &m);
        }
        ok = ok && *p == 0 && m > 0;
    }
    free(u);
    if (ok)
        *mult = m;
    return ok;
}

/* ---------------------------------------------------------------- */
/* References, DiskSection, NetworkSection                            */

static struct ovf_file *find_file(struct ovf_doc *o, const char *id)
{
    for (size_t i = 0; id && i < o->nfiles; i++)
        if (strcmp(o->files[i].id, id) == 0)
            return &o->files[i];
    return NULL;
}

static struct ovf_disk *find_disk(struct ovf_doc *o, const char *id)
{
    for (size_t i = 0; id && i < o->ndisks; i++)
        if (strcmp(o->disks[i].id, id) == 0)
            return &o->disks[i];
    return NULL;
}

static int read_references(struct ovf_doc *o, const xmlNode *refs)
{
    for (const xmlNode *f = refs->children; f; f = f->next) {
        if (f->type != XML_ELEMENT_NODE)
            continue;
        if (!name_is(f, "File")) {
            WARN(o, f, "References: <%s> ignored", (const char *)f->name);
            continue;
        }
        const char *id = attr(f, "id"), *href = attr(f, "href");
        if (!id || !*id || !href || !*href) {
            ERR(o, f, "References: a File needs ovf:id and ovf:href");
            return -EINVAL;
        }
        if (find_file(o, id)) {
            ERR(o, f, "References: duplicate file id '%s'", id);
            return -EINVAL;
        }
        if (o->nfiles >= 4 * VIMPORT_MAX_DISKS) {
            ERR(o, f, "References: more than %d files", 4 * VIMPORT_MAX_DISKS);
            return -EINVAL;
        }
        o->files = xreallocarray(o->files, o->nfiles + 1, sizeof *o->files);
        struct ovf_file *x = &o->files[o->nfiles++];
        memset(x, 0, sizeof *x);
        x->id = xstrdup(id);
        x->href = xstrdup(href);
        const char *s = attr(f, "size");
        if (s) {
            uint64_t neg;
            if (parse_u64(s, &x->size)) {
                x->has_size = true;
            } else if (s[0] == '-' && parse_u64(s + 1, &neg)) {
                WARN(o, f, "file '%s': negative ovf:size %s ignored", href, s);
            } else {
                ERR(o, f, "file '%s': ovf:size '%s' is not a byte count",
                    href, s);
                return -EINVAL;
            }
        }
        const char *c = attr(f, "compression");
        if (c && strcmp(c, "gzip") == 0) {
            x->gzip = true;
        } else if (c && *c && strcmp(c, "identity") != 0) {
            ERR(o, f, "file '%s': unknown compression '%s' (gzip or identity)",
                href, c);
            return -EINVAL;
        }
        const char *ch = attr(f, "chunkSize");
        if (ch && (!parse_u64(ch, &x->chunk) || x->chunk == 0)) {
            ERR(o, f, "file '%s': ovf:chunkSize '%s' is not a positive byte "
                "count", href, ch);
            return -EINVAL;
        }
        if (x->chunk && !x->has_size) {
            ERR(o, f, "file '%s': ovf:chunkSize without ovf:size (the number "
                "of chunks is unknown)", href);
            return -EINVAL;
        }
        if (x->chunk && x->size / x->chunk >= VIMPORT_MAX_CHUNKS) {
            ERR(o, f, "file '%s': more than %d chunks", href, VIMPORT_MAX_CHUNKS);
            return -EINVAL;
        }
        if (strstr(href, "://"))
            WARN(o, f, "file '%s' is a URL: only files inside the appliance "
                 "can be imported", href);
    }
    return 0;
}

static int read_disk_section(struct ovf_doc *o, const xmlNode *sec)
{
    for (const xmlNode *k = sec->children; k; k = k->next) {
        if (!name_is(k, "Disk"))
            continue;
        const char *id = attr(k, "diskId");
        if (!id || !*id) {
            ERR(o, k, "DiskSection: a Disk without ovf:diskId");
            return -EINVAL;
        }
        if (find_disk(o, id)) {
            ERR(o, k, "DiskSection: duplicate diskId '%s'", id);
            return -EINVAL;
        }
        if (o->ndisks >= 4 * VIMPORT_MAX_DISKS) {
            ERR(o, k, "DiskSection: more than %d disks", 4 * VIMPORT_MAX_DISKS);
            return -EINVAL;
        }
        const char *cap = attr(k, "capacity");
        uint64_t c, mult;
        if (!cap) {
            WARN(o, k, "disk '%s': no ovf:capacity (the image's own size is "
                 "used)", id);
            c = 0;
        } else if (!parse_u64(cap, &c)) {
            ERR(o, k, "disk '%s': ovf:capacity '%s' is not a number", id, cap);
            return -EINVAL;
        }
        const char *units = attr(k, "capacityAllocationUnits");
        if (!vimport_parse_units(units, &mult)) {
            ERR(o, k, "disk '%s': capacityAllocationUnits '%s' not understood",
                id, units);
            return -EINVAL;
        }
        if (cap && (!mul_ok(c, mult, &c) || c > VIMPORT_MAX_CAPACITY)) {
            ERR(o, k, "disk '%s': capacity %s %s is larger than %llu TiB", id,
                cap, units ? units : "bytes",
                (unsigned long long)(VIMPORT_MAX_CAPACITY >> 40));
            return -EINVAL;
        }
        if (cap && c == 0) {
            ERR(o, k, "disk '%s': capacity is zero", id);
            return -EINVAL;
        }
        const char *fr = attr(k, "fileRef");
        if (fr && *fr) {
            if (!find_file(o, fr)) {
                ERR(o, k, "disk '%s': fileRef '%s' is not in References", id, fr);
                return -EINVAL;
            }
        }
        const char *fmt = attr(k, "format");
        if (!fmt)
            WARN(o, k, "disk '%s': no ovf:format (the image format is probed)",
                 id);
        const char *pop = attr(k, "populatedSize");
        uint64_t ps;
        if (pop && parse_u64(pop, &ps) && ps > c)
            WARN(o, k, "disk '%s': populatedSize %s is larger than its "
                 "capacity", id, pop);
        if (attr(k, "parentRef"))
            WARN(o, k, "disk '%s': delta disk of '%s'; its content is read "
                 "through the image's own parent link", id, attr(k, "parentRef"));
        o->disks = xreallocarray(o->disks, o->ndisks + 1, sizeof *o->disks);
        struct ovf_disk *x = &o->disks[o->ndisks++];
        memset(x, 0, sizeof *x);
        x->id = xstrdup(id);
        x->file_ref = fr && *fr ? xstrdup(fr) : NULL;
        x->format = fmt ? xstrdup(fmt) : NULL;
        x->capacity = c;
    }
    return 0;
}

static void read_network_section(struct ovf_doc *o, const xmlNode *sec)
{
    for (const xmlNode *k = sec->children; k; k = k->next) {
        if (!name_is(k, "Network"))
            continue;
        const char *n = attr(k, "name");
        if (!n || o->nnetworks >= 1024)
            continue;
        o->networks = xreallocarray(o->networks, o->nnetworks + 1,
                                    sizeof *o->networks);
        o->networks[o->nnetworks++] = xstrdup(n);
    }
}

/* ---------------------------------------------------------------- */
/* VirtualHardwareSection                                             */

struct rasd {
    const xmlNode *node;
    char *id, *type, *subtype, *parent, *address, *aop, *host, *quantity,
         *units, *connection, *name, *boot;
    long rtype;
};

static void rasd_free(struct rasd *r)
{
    free(r->id); free(r->type); free(r->subtype); free(r->parent);
    free(r->address); free(r->aop); free(r->host); free(r->quantity);
    free(r->units); free(r->connection); free(r->name); free(r->boot);
}

static char *first_text(const xmlNode *n, const char *a, const char *b)
{
    char *t = child_text(n, a);
    if (!t && b)
        t = child_text(n, b);
    return t;
}

static void rasd_read(const xmlNode *n, struct rasd *r)
{
    memset(r, 0, sizeof *r);
    r->node = n;
    r->id = first_text(n, "InstanceID", "InstanceId");
    r->type = child_text(n, "ResourceType");
    r->subtype = child_text(n, "ResourceSubType");
    r->parent = child_text(n, "Parent");
    r->address = child_text(n, "Address");
    r->aop = child_text(n, "AddressOnParent");
    r->host = child_text(n, "HostResource");
    r->quantity = child_text(n, "VirtualQuantity");
    r->units = first_text(n, "AllocationUnits", "VirtualQuantityUnits");
    r->connection = child_text(n, "Connection");
    r->name = first_text(n, "ElementName", "Caption");
    r->boot = child_text(n, "BootOrder");
    uint64_t t;
    r->rtype = r->type && parse_u64(r->type, &t) && t < 1000 ? (long)t : -1;
}

static const char *rasd_label(const struct rasd *r)
{
    return r->name && *r->name ? r->name : (r->id ? r->id : "item");
}

static bool contains_ci(const char *hay, const char *needle)
{
    return hay && strcasestr(hay, needle) != NULL;
}

struct ctrl {
    const struct rasd *r;
    enum vimport_bus bus;
    int index;
};

static bool ctrl_of(const struct rasd *r, enum vimport_bus *bus)
{
    switch (r->rtype) {
    case 5: *bus = VIMPORT_BUS_IDE; return true;
    case 6: *bus = VIMPORT_BUS_SCSI; return true;
    case 20:
        if (contains_ci(r->subtype, "nvme"))
            *bus = VIMPORT_BUS_NVME;
        else if (contains_ci(r->subtype, "ahci") || contains_ci(r->subtype, "sata"))
            *bus = VIMPORT_BUS_SATA;
        else
            *bus = VIMPORT_BUS_OTHER;
        return true;
    case 7: case 8: case 9:
        *bus = VIMPORT_BUS_OTHER;
        return true;
    }
    return false;
}

static int small_int(const char *s, int dflt)
{
    uint64_t v;
    return s && parse_u64(s, &v) && v < 1000 ? (int)v : dflt;
}

/* Host resource "ovf:/disk/ID", "/disk/ID", "ovf://disk/ID" → ID. */
static const char *host_ref(const char *h, const char *kind)
{
    if (!h)
        return NULL;
    if (strncmp(h, "ovf:", 4) == 0)
        h += 4;
    while (*h == '/')
        h++;
    size_t l = strlen(kind);
    if (strncmp(h, kind, l) == 0 && h[l] == '/')
        return h + l + 1;
    return NULL;
}

static void set_file(struct vimport_disk *dk,
                     const struct ovf_file *f)
{
    dk->file = xstrdup(f->href);
    dk->gzip = f->gzip;
    if (f->chunk) {
        uint64_t n = (f->size + f->chunk - 1) / f->chunk;
        if (n == 0)
            n = 1;
        dk->chunks = xcalloc((size_t)n, sizeof *dk->chunks);
        for (uint64_t i = 0; i < n; i++)
            dk->chunks[i] = xasprintf("%s.%09" PRIu64, f->href, i);
        dk->nchunks = (size_t)n;
    }
}

static int add_drive(struct ovf_doc *o, struct vimport_vm *vm,
                     const struct rasd *r, const struct ctrl *ctrls,
                     size_t nctrls, bool cdrom)
{
    if (vm->ndisks >= VIMPORT_MAX_DISKS) {
        ERR(o, r->node, "more than %d disk drives", VIMPORT_MAX_DISKS);
        return -EINVAL;
    }
    const struct ctrl *c = NULL;
    for (size_t i = 0; r->parent && i < nctrls; i++)
        if (ctrls[i].r->id && strcmp(ctrls[i].r->id, r->parent) == 0)
            c = &ctrls[i];
    if (!c && r->parent)
        WARN(o, r->node, "'%s': parent controller '%s' not found; taken as IDE",
             rasd_label(r), r->parent);
    struct vimport_disk *dk = vimport_vm_add_disk(vm);
    dk->bus = c ? c->bus : VIMPORT_BUS_IDE;
    dk->ctrl = c ? c->index : 0;
    dk->unit = small_int(r->aop, (int)vm->ndisks - 1);
    dk->cdrom = cdrom;
    dk->origin = xstrdup(rasd_label(r));
    dk->id = xstrdup(r->id);
    if (r->boot)
        dk->boot = small_int(r->boot, 0);

    const char *did = host_ref(r->host, "disk");
    const char *fid = host_ref(r->host, "file");
    if (did) {
        struct ovf_disk *x = find_disk(o, did);
        if (!x) {
            ERR(o, r->node, "'%s': HostResource names disk '%s', which is not "
                "in the DiskSection", rasd_label(r), did);
            return -EINVAL;
        }
        int me = (int)o->nvms;
        if (x->used_by == me) {
            ERR(o, r->node, "'%s': disk '%s' is attached twice",
                rasd_label(r), did);
            return -EINVAL;
        }
        if (x->used_by)
            WARN(o, r->node, "'%s': disk '%s' is also used by another virtual "
                 "system; each gets its own copy", rasd_label(r), did);
        for (size_t i = 0; x->file_ref && i < o->ndisks; i++)
            if (&o->disks[i] != x && o->disks[i].used_by == me &&
                o->disks[i].file_ref &&
                strcmp(o->disks[i].file_ref, x->file_ref) == 0) {
                ERR(o, r->node, "disks '%s' and '%s' use the same file '%s'",
                    o->disks[i].id, did, x->file_ref);
                return -EINVAL;
            }
        x->used_by = me;
        dk->capacity = x->capacity;
        struct ovf_file *f = x->file_ref ? find_file(o, x->file_ref) : NULL;
        if (f)
            set_file(dk, f);
        free(dk->origin);
        dk->origin = xasprintf("%s (%s)", rasd_label(r), did);
    } else if (fid) {
        struct ovf_file *f = find_file(o, fid);
        if (!f) {
            ERR(o, r->node, "'%s': HostResource names file '%s', which is not "
                "in References", rasd_label(r), fid);
            return -EINVAL;
        }
        set_file(dk, f);
    } else if (r->host && *r->host) {
        WARN(o, r->node, "'%s': HostResource '%s' not understood (drive left "
             "empty)", rasd_label(r), r->host);
    } else if (!cdrom) {
        WARN(o, r->node, "'%s': disk drive without a HostResource (ignored)",
             rasd_label(r));
        free(dk->origin);
        free(dk->id);
        vm->ndisks--;
    }
    return 0;
}

/* Items of one VirtualHardwareSection (Item, StorageItem,
 * EthernetPortItem), in document order, minus alternative
 * configurations (ovf:configuration) and min/max bounds. */
static int read_hardware(struct ovf_doc *o, struct vimport_vm *vm,
                         const xmlNode *hw)
{
    struct rasd *items = NULL;
    size_t n = 0;
    int rc = 0;

    for (const xmlNode *k = hw->children; k; k = k->next) {
        if (k->type != XML_ELEMENT_NODE)
            continue;
        if (name_is(k, "Config") || name_is(k, "ExtraConfig")) {
            const char *key = attr(k, "key"), *val = attr(k, "value");
            if (key && val && strcmp(key, "firmware") == 0) {
                if (strcasecmp(val, "efi") == 0)
                    vm->efi = true;
                else if (strcasecmp(val, "bios") != 0)
                    WARN(o, k, "firmware '%s' not understood (BIOS used)", val);
            }
            continue;
        }
        if (!name_is(k, "Item") && !name_is(k, "StorageItem") &&
            !name_is(k, "EthernetPortItem"))
            continue;
        const char *bound = attr(k, "bound");
        if (bound && strcmp(bound, "normal") != 0) {
            static const char *const nums[] = { "VirtualQuantity",
                "Reservation", "Limit", "Weight" };
            for (size_t i = 0; i < ARRAY_SIZE(nums); i++) {
                char *v = child_text(k, nums[i]);
                uint64_t dummy;
                if (v && !parse_u64(v, &dummy))
                    WARN(o, k, "ovf:bound=\"%s\" item: %s '%s' is not a "
                         "number (range ignored)", bound, nums[i], v);
                free(v);
            }
            continue;           /* ranges: the normal value is used */
        }
        if (attr(k, "configuration"))
            continue;       /* deployment-option variants */
        if (n >= 1024) {
            ERR(o, k, "more than 1024 hardware items");
            rc = -EINVAL;
            goto out;
        }
        items = xreallocarray(items, n + 1, sizeof *items);
        rasd_read(k, &items[n]);
        struct rasd *r = &items[n++];
        if (!r->id || !*r->id) {
            ERR(o, k, "hardware item '%s' has no InstanceID", rasd_label(r));
            rc = -EINVAL;
            goto out;
        }
        for (size_t i = 0; i + 1 < n; i++)
            if (strcmp(items[i].id, r->id) == 0) {
                ERR(o, k, "hardware items share InstanceID '%s'", r->id);
                rc = -EINVAL;
                goto out;
            }
        if (r->rtype < 0) {
            ERR(o, k, "hardware item '%s' has no valid ResourceType",
                rasd_label(r));
            rc = -EINVAL;
            goto out;
        }
    }

    /* controllers first, numbered per bus in document order unless they
     * say their Address / BusNumber */
    struct ctrl *ctrls = xcalloc(n ? n : 1, sizeof *ctrls);
    size_t nctrls = 0;
    int per_bus[VIMPORT_BUS_OTHER + 1] = { 0 };
    for (size_t i = 0; i < n; i++) {
        enum vimport_bus b;
        if (!ctrl_of(&items[i], &b))
            continue;
        char *busnum = child_text(items[i].node, "BusNumber");
        int idx = small_int(items[i].address, small_int(busnum, per_bus[b]));
        free(busnum);
        per_bus[b]++;
        ctrls[nctrls++] = (struct ctrl){ &items[i], b, idx };
        if (b == VIMPORT_BUS_OTHER)
            WARN(o, items[i].node, "'%s': controller type %ld%s%s is not "
                 "mapped; its drives become IDE drives", rasd_label(&items[i]),
                 items[i].rtype, items[i].subtype ? " " : "",
                 items[i].subtype ? items[i].subtype : "");
    }

    for (size_t i = 0; i < n && rc == 0; i++) {
        struct rasd *r = &items[i];
        uint64_t q, mult;
        switch (r->rtype) {
        case 3:     /* processor */
            if (!r->quantity || !*r->quantity) {
                WARN(o, r->node, "'%s': CPU item without VirtualQuantity "
                     "(ignored)", rasd_label(r));
            } else if (!parse_u64(r->quantity, &q) || q == 0) {
                ERR(o, r->node, "CPU count '%s' is not a positive number",
                    r->quantity ? r->quantity : "");
                rc = -EINVAL;
            } else if (q > VIMPORT_MAX_VCPUS) {
                ERR(o, r->node, "%" PRIu64 " virtual CPUs is more than %d", q,
                    VIMPORT_MAX_VCPUS);
                rc = -EINVAL;
            } else {
                vm->vcpus = (unsigned)q;
            }
            break;
        case 4:     /* memory */
            if (!r->quantity || !*r->quantity) {
                WARN(o, r->node, "'%s': memory item without VirtualQuantity "
                     "(ignored)", rasd_label(r));
                break;
            }
            if (!parse_u64(r->quantity, &q)) {
                ERR(o, r->node, "memory size '%s' is not a number",
                    r->quantity ? r->quantity : "");
                rc = -EINVAL;
                break;
            }
            if (!r->units) {
                WARN(o, r->node, "memory without AllocationUnits: taken as MB");
                mult = 1u << 20;
            } else if (!vimport_parse_units(r->units, &mult)) {
                ERR(o, r->node, "memory AllocationUnits '%s' not understood",
                    r->units);
                rc = -EINVAL;
                break;
            }
            if (!mul_ok(q, mult, &q) || q > VIMPORT_MAX_MEMORY || q == 0) {
                ERR(o, r->node, "memory size %s %s is out of range (1 byte to "
                    "%llu TiB)", r->quantity, r->units ? r->units : "MB",
                    (unsigned long long)(VIMPORT_MAX_MEMORY >> 40));
                rc = -EINVAL;
                break;
            }
            vm->memory = q;
            break;
        case 17:
            rc = add_drive(o, vm, r, ctrls, nctrls, false);
            break;
        case 15: case 16:
            rc = add_drive(o, vm, r, ctrls, nctrls, true);
            break;
        case 10: {
            if (vm->nnics >= VIMPORT_MAX_NICS) {
                ERR(o, r->node, "more than %d network adapters",
                    VIMPORT_MAX_NICS);
                rc = -EINVAL;
                break;
            }
            struct vimport_nic *nic = vimport_vm_add_nic(vm);
            nic->origin = xstrdup(rasd_label(r));
            nic->model = r->subtype ? xstrdup(r->subtype) : NULL;
            nic->mac = r->address && *r->address ? xstrdup(r->address) : NULL;
            if (r->connection && *r->connection) {
                nic->network = xstrdup(r->connection);
                bool known = false;
                for (size_t j = 0; j < o->nnetworks; j++)
                    known |= strcmp(o->networks[j], r->connection) == 0;
                if (!known)
                    WARN(o, r->node, "'%s': network '%s' is not declared in "
                         "the NetworkSection", rasd_label(r), r->connection);
            }
            break;
        }
        case 5: case 6: case 7: case 8: case 9: case 20:
            break;      /* controllers, done above */
        case 14:
            WARN(o, r->node, "'%s': floppy drive not imported", rasd_label(r));
            break;
        case 24:
            break;      /* video: the HVM guest's emulated VGA */
        case 23: case 1: case 21: case 22: case 35: {
            static const char *const what[] = { [1] = "other device",
                [21] = "serial port", [22] = "parallel port",
                [23] = "USB controller", [35] = "sound card" };
            WARN(o, r->node, "'%s': %s%s%s not imported", rasd_label(r),
                 what[r->rtype], r->subtype ? " " : "",
                 r->subtype ? r->subtype : "");
            break;
        }
        default:
            WARN(o, r->node, "'%s': resource type %ld not imported",
                 rasd_label(r), r->rtype);
        }
    }
    free(ctrls);
out:
    for (size_t i = 0; i < n; i++)
        rasd_free(&items[i]);
    free(items);
    return rc;
}

/* ---------------------------------------------------------------- */
/* VirtualSystem                                                      */

static char *os_of(const xmlNode *sec)
{
    const char *t = attr(sec, "osType");
    if (t && *t)
        return xstrdup(t);
    char *desc = child_text(sec, "Description");
    if (desc && *desc)
        return desc;
    free(desc);
    const char *id = attr(sec, "id");
    return id ? xasprintf("CIM OS id %s", id) : NULL;
}

/* vmw:BootOrderSection vmw:type="disk" vmw:instanceId="8" (one per
 * device, in order). */
static void read_boot_order(struct ovf_doc *o, struct vimport_vm *vm,
                            const xmlNode *vs)
{
    (void)o;
    int pos = 0;     /* one section per device, in boot order */
    for (const xmlNode *k = vs->children; k; k = k->next) {
        if (!name_is(k, "BootOrderSection"))
            continue;
        const char *iid = attr(k, "instanceId");
        pos++;
        for (size_t i = 0; iid && i < vm->ndisks; i++)
            if (vm->disks[i].id && strcmp(vm->disks[i].id, iid) == 0 &&
                !vm->disks[i].boot)
                vm->disks[i].boot = pos;
    }
}

/* ProductSection properties are not imported, but duplicate keys and
 * ${key} references to undefined keys are reported. */
static void check_product(struct ovf_doc *o, const xmlNode *sec)
{
    const char *keys[256];
    size_t n = 0;
    for (const xmlNode *k = sec->children; k; k = k->next) {
        if (!name_is(k, "Property"))
            continue;
        const char *key = attr(k, "key");
        if (!key)
            continue;
        for (size_t i = 0; i < n; i++)
            if (strcmp(keys[i], key) == 0)
                WARN(o, k, "ProductSection: property '%s' defined twice", key);
        if (n < ARRAY_SIZE(keys))
            keys[n++] = key;
    }
    for (const xmlNode *k = sec->children; k; k = k->next) {
        const char *v = name_is(k, "Property") ? attr(k, "value") : NULL;
        if (!v || strncmp(v, "${", 2) != 0)
            continue;
        const char *e = strchr(v, '}');
        if (!e)
            continue;
        bool found = false;
        for (size_t i = 0; i < n; i++)
            found |= strlen(keys[i]) == (size_t)(e - v - 2) &&
                     strncmp(keys[i], v + 2, (size_t)(e - v - 2)) == 0;
        if (!found)
            WARN(o, k, "ProductSection: property '%s' refers to undefined "
                 "'%.*s'", attr(k, "key"), (int)(e - v - 2), v + 2);
    }
}

static int read_system(struct ovf_doc *o, const xmlNode *vs)
{
    if (o->nvms >= VIMPORT_MAX_SYSTEMS) {
        ERR(o, vs, "more than %d virtual systems", VIMPORT_MAX_SYSTEMS);
        return -EINVAL;
    }
    o->vms = xreallocarray(o->vms, o->nvms + 1, sizeof *o->vms);
    struct vimport_vm *vm = &o->vms[o->nvms++];
    memset(vm, 0, sizeof *vm);
    vm->origin = xstrdup(o->fname);

    char *name = child_text(vs, "Name");
    const char *id = attr(vs, "id");
    if (name && *name)
        vm->name = name;
    else {
        free(name);
        vm->name = id && *id ? xstrdup(id) : NULL;
    }
    const xmlNode *hw = NULL;
    bool hw_vmx = false;
    int nhw = 0;
    for (const xmlNode *k = vs->children; k; k = k->next) {
        if (section_is(k, "OperatingSystemSection")) {
            free(vm->os);
            vm->os = os_of(k);
        } else if (section_is(k, "VirtualHardwareSection")) {
            /* several sections = alternatives for different platforms:
             * take the first, or the first VMware ("vmx-NN") one */
            nhw++;
            const xmlNode *sys = child(k, "System");
            char *type = sys ? child_text(sys, "VirtualSystemType") : NULL;
            bool vmx = type && strstr(type, "vmx-");
            if (!hw || (vmx && !hw_vmx)) {
                hw = k;
                hw_vmx = vmx;
            }
            free(type);
        } else if (section_is(k, "ProductSection")) {
            check_product(o, k);
        } else if (section_is(k, "DiskSection")) {
            ERR(o, k, "a DiskSection inside a VirtualSystem is not allowed "
                "(it belongs to the Envelope)");
            return -EINVAL;
        }
    }
    if (!hw) {
        ERR(o, vs, "virtual system '%s' has no VirtualHardwareSection",
            vm->name ? vm->name : "?");
        return -EINVAL;
    }
    const xmlNode *sys = child(hw, "System");
    if (sys && !child(sys, "VirtualSystemType") && !child(sys, "InstanceID") &&
        !child(sys, "InstanceId"))
        WARN(o, sys, "the hardware section's <System> is empty");
    if (nhw > 1)
        WARN(o, hw, "virtual system '%s' has %d VirtualHardwareSections; the "
             "one at line %ld is used", vm->name ? vm->name : "?", nhw,
             (long)xmlGetLineNo(hw));
    int rc = read_hardware(o, vm, hw);
    if (rc < 0)
        return rc;
    read_boot_order(o, vm, vs);
    return 0;
}

static int walk_content(struct ovf_doc *o, const xmlNode *n)
{
    if (++o->depth > 16) {
        ERR(o, n, "VirtualSystemCollections nested more than 16 deep");
        return -EINVAL;
    }
    int rc = 0;
    if (section_is(n, "VirtualSystem")) {
        rc = read_system(o, n);
    } else if (section_is(n, "VirtualSystemCollection")) {
        for (const xmlNode *k = n->children; k && rc == 0; k = k->next)
            if (section_is(k, "VirtualSystem") ||
                section_is(k, "VirtualSystemCollection"))
                rc = walk_content(o, k);
    }
    o->depth--;
    return rc;
}

/* ---------------------------------------------------------------- */
/* Envelope                                                           */

static bool has_doctype(const char *buf, size_t len)
{
    static const char *const pats[] = { "<!DOCTYPE", "<!ENTITY" };
    for (size_t p = 0; p < ARRAY_SIZE(pats); p++) {
        size_t l = strlen(pats[p]);
        for (size_t i = 0; i + l <= len; i++)
            if (buf[i] == '<' && strncasecmp(buf + i, pats[p], l) == 0)
                return true;
    }
    return false;
}

static bool ovf_namespace(const xmlNode *root)
{
    const char *href = root->ns && root->ns->href ?
                       (const char *)root->ns->href : NULL;
    if (!href)
        return false;
    return strcmp(href, "http://schemas.dmtf.org/ovf/envelope/1") == 0 ||
           strcmp(href, "http://schemas.dmtf.org/ovf/envelope/2") == 0 ||
           strcmp(href, "http://www.vmware.com/schema/ovf/1/envelope") == 0;
}

static int read_envelope(struct ovf_doc *o, const xmlNode *root)
{
    if (!name_is(root, "Envelope")) {
        ERR(o, root, "not an OVF descriptor: the root element is <%s>, not "
            "<Envelope>", (const char *)root->name);
        return -EINVAL;
    }
    if (!ovf_namespace(root)) {
        ERR(o, root, "not an OVF descriptor: <Envelope> is not in an OVF "
            "namespace (%s)", root->ns && root->ns->href ?
            (const char *)root->ns->href : "none");
        return -EINVAL;
    }
    const char *ver = attr(root, "version");
    if (!ver && strcmp((const char *)root->ns->href,
                       "http://www.vmware.com/schema/ovf/1/envelope") == 0) {
        ERR(o, root, "an OVF 0.9 envelope must give ovf:version");
        return -EINVAL;
    }
    if (ver) {
        static const char *const known[] = { "0.9", "1.0", "1.1", "2.0", "2.1" };
        bool ok = false;
        for (size_t i = 0; i < ARRAY_SIZE(known); i++)
            ok |= strcmp(ver, known[i]) == 0;
        if (!ok) {
            ERR(o, root, "OVF version '%s' is not supported (0.9, 1.x, 2.x)",
                ver);
            return -EINVAL;
        }
    }
    int rc = 0;
    const xmlNode *refs = child(root, "References");
    if (refs)
        rc = read_references(o, refs);
    for (const xmlNode *k = root->children; k && rc == 0; k = k->next) {
        if (section_is(k, "DiskSection"))
            rc = read_disk_section(o, k);
        else if (section_is(k, "NetworkSection"))
            read_network_section(o, k);
    }
    for (const xmlNode *k = root->children; k && rc == 0; k = k->next)
        if (section_is(k, "VirtualSystem") ||
            section_is(k, "VirtualSystemCollection"))
            rc = walk_content(o, k);
    if (rc == 0 && o->nvms == 0) {
        ERR(o, root, "the descriptor holds no VirtualSystem");
        rc = -EINVAL;
    }
    for (size_t i = 0; rc == 0 && i < o->ndisks; i++)
        if (!o->disks[i].used_by)
            WARN(o, NULL, "disk '%s' is not attached to any virtual system "
                 "(not imported)", o->disks[i].id);
    return rc;
}

int vimport_ovf_parse(const char *buf, size_t len, const char *fname,
                      struct vimport_vm **vms, size_t *nvms, vxl_diags *d)
{
    struct ovf_doc o = { .fname = fname, .d = d };
    *vms = NULL;
    *nvms = 0;
    if (len > VIMPORT_MAX_DESC || len > INT_MAX) {
        vxl_diag_add(d, VXL_ERROR, fname, 0, 0, NULL,
                     "descriptor is larger than %u MiB", VIMPORT_MAX_DESC >> 20);
        return -EFBIG;
    }
    if (has_doctype(buf, len)) {
        vxl_diag_add(d, VXL_ERROR, fname, 0, 0,
                     "OVF descriptors have no DTD; entities are how XML "
                     "external-entity and expansion attacks work",
                     "refusing a descriptor with a DOCTYPE or ENTITY declaration");
        return -EINVAL;
    }
    xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
    if (!ctxt)
        abort();
    xmlDocPtr doc = xmlCtxtReadMemory(ctxt, buf, (int)len, fname, NULL,
                                      XML_PARSE_NONET | XML_PARSE_NOERROR |
                                      XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
    int rc = 0;
    if (!doc) {
        const xmlError *e = xmlCtxtGetLastError(ctxt);
        char *msg = e && e->message ? trimdup(e->message) : xstrdup("parse error");
        vxl_diag_add(d, VXL_ERROR, fname, e ? e->line : 0, e ? e->int2 : 0, NULL,
                     "malformed XML: %s", msg);
        free(msg);
        xmlFreeParserCtxt(ctxt);
        return -EINVAL;
    }
    if (doc->intSubset || doc->extSubset) {
        vxl_diag_add(d, VXL_ERROR, fname, 0, 0, NULL,
                     "refusing a descriptor with a DOCTYPE");
        rc = -EINVAL;
    }
    const xmlNode *root = xmlDocGetRootElement(doc);
    if (rc == 0 && !root) {
        vxl_diag_add(d, VXL_ERROR, fname, 0, 0, NULL, "empty XML document");
        rc = -EINVAL;
    }
    if (rc == 0)
        rc = read_envelope(&o, root);
    xmlFreeDoc(doc);
    xmlFreeParserCtxt(ctxt);

    for (size_t i = 0; i < o.nfiles; i++) {
        free(o.files[i].id);
        free(o.files[i].href);
    }
    free(o.files);
    for (size_t i = 0; i < o.ndisks; i++) {
        free(o.disks[i].id);
        free(o.disks[i].file_ref);
        free(o.disks[i].format);
    }
    free(o.disks);
    for (size_t i = 0; i < o.nnetworks; i++)
        free(o.networks[i]);
    free(o.networks);
    if (rc < 0) {
        vimport_vms_free(o.vms, o.nvms);
        return rc;
    }
    *vms = o.vms;
    *nvms = o.nvms;
    return 0;
}

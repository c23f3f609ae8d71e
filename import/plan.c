/* import/plan.c — map an appliance VM to an xl config and conversions
 * (see plan.h), and carry the conversions out. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "import/plan.h"

#define NOTE(p, ...) add_summary((p), xasprintf(__VA_ARGS__))
#define WARN(d, src, ...) vxl_diag_add((d), VXL_WARNING, (src), 0, 0, NULL, __VA_ARGS__)

static void add_summary(struct vimport_plan *p, char *line)
{
    p->summary = xreallocarray(p->summary, p->nsummary + 1, sizeof *p->summary);
    p->summary[p->nsummary++] = line;
}

char *vimport_sanitise_name(const char *in)
{
    strbuf sb = { 0 };
    bool dash = false;
    for (const char *s = in ? in : ""; *s && sb.len < 64; s++) {
        unsigned char c = (unsigned char)*s;
        if (isalnum(c) || c == '_' || c == '.' || c == '-') {
            if (c == '-' && (dash || sb.len == 0))
                continue;
            sb_putc(&sb, (char)c);
            dash = c == '-';
        } else if (sb.len && !dash) {
            sb_putc(&sb, '-');
            dash = true;
        }
    }
    char *r = sb_steal(&sb);
    size_t l = strlen(r);
    while (l && (r[l - 1] == '-' || r[l - 1] == '.'))
        r[--l] = 0;
    bool digits = true;
    for (size_t i = 0; i < l; i++)
        digits &= isdigit((unsigned char)r[i]) != 0;
    if (l == 0 || digits || r[0] == '.') {
        char *x = xasprintf("vm-%s", r);
        free(r);
        r = x;
        if (strlen(r) > 64)
            r[64] = 0;
    }
    return r;
}

static char *vdev_name(size_t i)
{
    /* the first four: emulated IDE (any guest sees them); then PV only */
    if (i < 4)
        return xasprintf("hd%c", (char)('a' + i));
    if (i < 26)
        return xasprintf("xvd%c", (char)('a' + i));
    return xasprintf("xvd%c%c", (char)('a' + i / 26 - 1), (char)('a' + i % 26));
}

static bool mac_ok(const char *m, bool *multicast)
{
    if (!m || strlen(m) != 17)
        return false;
    for (int i = 0; i < 17; i++)
        if (i % 3 == 2 ? (m[i] != ':' && m[i] != '-') :
                         !isxdigit((unsigned char)m[i]))
            return false;
    int first = (isdigit((unsigned char)m[1]) ? m[1] - '0' :
                 (tolower((unsigned char)m[1]) - 'a' + 10));
    *multicast = first & 1;
    return true;
}

/* Source NIC model → (xl model, exact).  Unknown → e1000. */
static const char *nic_model(const char *src, bool *exact)
{
    static const struct { const char *src, *xl; bool exact; } map[] = {
        { "e1000", "e1000", true }, { "E1000", "e1000", true },
        { "e1000e", "e1000", false }, { "E1000e", "e1000", false },
        { "PCNet32", "pcnet", true }, { "vlance", "pcnet", true },
        { "Am79C970A", "pcnet", true }, { "Am79C973", "pcnet", true },
        { "rtl8139", "rtl8139", true }, { "virtio", "virtio-net", true },
        { "virtio-net", "virtio-net", true },
    };
    for (size_t i = 0; src && i < ARRAY_SIZE(map); i++)
        if (strcasecmp(src, map[i].src) == 0) {
            *exact = map[i].exact;
            return map[i].xl;
        }
    *exact = false;
    return "e1000";
}

static bool bridge_name_ok(const char *b)
{
    size_t l = strlen(b);
    if (l == 0 || l > 15)
        return false;
    for (const char *s = b; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' && *s != '.')
            return false;
    return true;
}

static int cmp_src_order(const struct vimport_disk *x, const struct vimport_disk *y)
{
    if (x->cdrom != y->cdrom)
        return x->cdrom ? 1 : -1;
    int xb = x->boot ? x->boot : 1 << 20, yb = y->boot ? y->boot : 1 << 20;
    if (xb != yb)
        return xb < yb ? -1 : 1;
    if (x->bus != y->bus)
        return (int)x->bus - (int)y->bus;
    if (x->ctrl != y->ctrl)
        return x->ctrl - y->ctrl;
    return x->unit - y->unit;
}

static char *abs_dir(const char *dir)
{
    if (dir[0] == '/')
        return xstrdup(dir);
    char *cwd = getcwd(NULL, 0);
    if (!cwd)
        return xstrdup(dir);
    char *r = strcmp(dir, ".") == 0 ? xstrdup(cwd) : xasprintf("%s/%s", cwd, dir);
    free(cwd);
    return r;
}

static const char *human(uint64_t b, char *buf, size_t n)
{
    if (b >= (1ull << 30) && b % (1ull << 30) == 0)
        snprintf(buf, n, "%" PRIu64 " GiB", b >> 30);
    else if (b >= (1ull << 20) && b % (1ull << 20) == 0)
        snprintf(buf, n, "%" PRIu64 " MiB", b >> 20);
    else
        snprintf(buf, n, "%" PRIu64 " bytes", b);
    return buf;
}

int vimport_plan_build(const struct vimport_vm *vm, const char *source,
                       const struct vimport_opts *o, size_t idx, size_t n,
                       struct vimport_plan *p, vxl_diags *d)
{
    memset(p, 0, sizeof *p);
    const char *src = vm->origin ? vm->origin : source;
    int rc = 0;
    char hb[64];

    /* name */
    if (o->name && n > 1) {
        char *x = xasprintf("%s-%zu", o->name, idx + 1);
        p->name = vimport_sanitise_name(x);
        free(x);
    } else if (o->name) {
        p->name = vimport_sanitise_name(o->name);
    } else if (vm->name) {
        p->name = vimport_sanitise_name(vm->name);
    } else {
        const char *b = strrchr(source, '/');
        char *x = xstrdup(b ? b + 1 : source);
        char *dot = strrchr(x, '.');
        if (dot)
            *dot = 0;
        p->name = vimport_sanitise_name(x);
        free(x);
    }
    const char *given = o->name ? o->name : vm->name;
    if (given && strcmp(given, p->name) != 0)
        WARN(d, src, "name \"%s\" is not a valid Xen domain name: \"%s\" used",
             given, p->name);
    NOTE(p, "name: %s", p->name);
    p->source = xstrdup(source);
    p->os = vm->os ? xstrdup(vm->os) : NULL;
    if (vm->os)
        NOTE(p, "guest OS: %s (recorded as a comment)", vm->os);
    p->outdir = abs_dir(o->outdir ? o->outdir : ".");
    p->cfg_path = xasprintf("%s/%s.cfg", p->outdir, p->name);
    for (const char *c = p->outdir; *c; c++)
        if (*c == '\'' || *c == '"' || (unsigned char)*c < 0x20) {
            vxl_diag_add(d, VXL_ERROR, p->outdir, 0, 0, NULL,
                         "the output directory's path may not hold quotes "
                         "or control characters (it goes into the "
                         "config's disk specs)");
            rc = -EINVAL;
            break;
        }
    p->format = o->format ? o->format : "qcow2";

    /* memory, vcpus, firmware */
    if (vm->memory == 0) {
        p->memory_mb = 1024;
        WARN(d, src, "the appliance gives no memory size: 1024 MB used");
    } else {
        p->memory_mb = (vm->memory + (1u << 20) - 1) >> 20;
        if (vm->memory % (1u << 20))
            WARN(d, src, "memory of %" PRIu64 " bytes rounded up to %" PRIu64
                 " MB", vm->memory, p->memory_mb);
    }
    NOTE(p, "memory: %" PRIu64 " MB", p->memory_mb);
    p->vcpus = vm->vcpus ? vm->vcpus : 1;
    if (!vm->vcpus)
        WARN(d, src, "the appliance gives no CPU count: 1 vCPU used");
    NOTE(p, "vcpus: %u", p->vcpus);
    p->efi = vm->efi;
    NOTE(p, "firmware: %s", vm->efi ? "EFI -> bios=\"ovmf\"" : "BIOS (SeaBIOS)");

    /* disks: stable order, boot disk first, CD-ROMs last */
    size_t nd = vm->ndisks;
    const struct vimport_disk **ord = xcalloc(nd ? nd : 1, sizeof *ord);
    for (size_t i = 0; i < nd; i++)
        ord[i] = &vm->disks[i];
    for (size_t i = 1; i < nd; i++)         /* insertion sort: stable */
        for (size_t j = i; j > 0 && cmp_src_order(ord[j - 1], ord[j]) > 0; j--) {
            const struct vimport_disk *t = ord[j];
            ord[j] = ord[j - 1];
            ord[j - 1] = t;
        }
    p->disks = xcalloc(nd ? nd : 1, sizeof *p->disks);
    int nhd = 0;
    for (size_t i = 0; i < nd; i++) {
        const struct vimport_disk *s = ord[i];
        struct vimport_pdisk *t = &p->disks[p->ndisks++];
        t->vdev = vdev_name(i);
        t->cdrom = s->cdrom;
        t->origin = xstrdup(s->origin ? s->origin : "disk");
        char where[64];
        snprintf(where, sizeof where, "%s %d:%d", vimport_bus_name(s->bus),
                 s->ctrl, s->unit);
        if (i >= 4)
            WARN(d, src, "%s: vdev %s is a PV disk: the guest needs Xen PV "
                 "drivers to see it (only four emulated IDE slots)",
                 t->origin, t->vdev);
        if (s->bus == VIMPORT_BUS_OTHER)
            WARN(d, src, "%s: controller type not mapped; attached as %s",
                 t->origin, t->vdev);
        if (s->cdrom) {
            if (s->file)
                WARN(d, src, "%s: CD-ROM medium '%s' not imported (an empty "
                     "drive is created)", t->origin, s->file);
            NOTE(p, "cdrom %s (%s): empty drive %s", t->origin, where, t->vdev);
            continue;
        }
        nhd++;
        t->dst = xasprintf("%s/%s-disk%d.%s", p->outdir, p->name, nhd,
                           strcmp(p->format, "raw") == 0 ? "img" : p->format);
        t->capacity = s->capacity;
        size_t nm = s->nchunks ? s->nchunks : (s->file ? 1 : 0);
        t->ref_members = xcalloc(nm ? nm : 1, sizeof *t->ref_members);
        for (size_t k = 0; k < nm; k++) {
            const char *m = s->nchunks ? s->chunks[k] : s->file;
            if (!vimport_member_name_ok(m)) {
                vxl_diag_add(d, VXL_ERROR, src, 0, 0,
                             "an appliance's disks must lie beside its "
                             "descriptor; copy the disk there and name it "
                             "relatively",
                             "%s: disk file '%s' is outside the appliance "
                             "(absolute, '..' or a URL)", t->origin, m);
                rc = -EINVAL;
            }
            t->ref_members[k] = xstrdup(m);
        }
        t->ref.members = (const char *const *)t->ref_members;
        t->ref.nmembers = nm;
        t->ref.gzip = s->gzip;
        if (nm == 0) {
            if (!s->capacity) {
                vxl_diag_add(d, VXL_ERROR, src, 0, 0, NULL,
                             "%s: a disk with neither a file nor a capacity",
                             t->origin);
                rc = -EINVAL;
            } else {
                NOTE(p, "disk %s (%s): new empty %s %s -> %s", t->origin, where,
                     human(s->capacity, hb, sizeof hb), p->format, t->vdev);
            }
        } else {
            NOTE(p, "disk %s (%s): %s%s%s -> %s (%s) %s%s", t->origin, where,
                 s->file, s->nchunks ? " [chunked]" : "",
                 s->gzip ? " [gzip]" : "", t->dst, p->format, t->vdev,
                 i == 0 ? " [boot]" : "");
        }
    }
    free(ord);
    if (nhd == 0)
        WARN(d, src, "the appliance has no hard disk");

    /* NICs */
    p->nics = xcalloc(vm->nnics ? vm->nnics : 1, sizeof *p->nics);
    for (size_t i = 0; i < vm->nnics; i++) {
        const struct vimport_nic *s = &vm->nics[i];
        struct vimport_pnic *t = &p->nics[p->nnics++];
        bool exact, mc = false;
        t->model = xstrdup(nic_model(s->model, &exact));
        if (!exact)
            WARN(d, src, "%s: NIC model '%s' has no Xen equivalent: %s used",
                 s->origin, s->model ? s->model : "(none)", t->model);
        if (s->mac) {
            char *m = xstrdup(s->mac);
            for (char *c = m; *c; c++)
                *c = *c == '-' ? ':' : (char)tolower((unsigned char)*c);
            if (mac_ok(m, &mc) && !mc)
                t->mac = m;
            else {
                WARN(d, src, "%s: MAC address '%s' is %s: a new one is "
                     "generated", s->origin, s->mac,
                     mc ? "multicast" : "not understood");
                free(m);
            }
        }
        if (o->bridge) {
            t->bridge = xstrdup(o->bridge);
        } else if (s->network && bridge_name_ok(s->network)) {
            t->bridge = xstrdup(s->network);
            WARN(d, src, "%s: network '%s' used as the bridge name (give "
                 "--bridge to choose)", s->origin, s->network);
        } else if (s->network) {
            WARN(d, src, "%s: network '%s' is not a bridge name: the default "
                 "bridge is used (give --bridge)", s->origin, s->network);
        }
        NOTE(p, "nic %s: model %s%s%s%s%s", s->origin, t->model,
             t->mac ? ", mac " : "", t->mac ? t->mac : "",
             t->bridge ? ", bridge " : "", t->bridge ? t->bridge : "");
    }
    if (rc < 0)
        vimport_plan_dispose(p);
    return rc;
}

void vimport_plan_dispose(struct vimport_plan *p)
{
    for (size_t i = 0; i < p->ndisks; i++) {
        struct vimport_pdisk *t = &p->disks[i];
        free(t->vdev);
        for (size_t k = 0; k < t->ref.nmembers; k++)
            free(t->ref_members[k]);
        free(t->ref_members);
        free(t->dst);
        free(t->origin);
    }
    free(p->disks);
    for (size_t i = 0; i < p->nnics; i++) {
        free(p->nics[i].mac);
        free(p->nics[i].model);
        free(p->nics[i].bridge);
    }
    free(p->nics);
    for (size_t i = 0; i < p->nsummary; i++)
        free(p->summary[i]);
    free(p->summary);
    free(p->name);
    free(p->source);
    free(p->os);
    free(p->outdir);
    free(p->cfg_path);
    memset(p, 0, sizeof *p);
}

int vimport_plan_inspect(struct vimport_source *s, struct vimport_plan *p,
                         vxl_diags *d)
{
    int rc = 0;
    char a[64], b[64];
    for (size_t i = 0; i < p->ndisks; i++) {
        struct vimport_pdisk *t = &p->disks[i];
        if (t->cdrom || t->ref.nmembers == 0)
            continue;
        struct vimport_image_info info;
        struct vdisk_err err = { 0 };
        int r = vimport_source_inspect(s, &t->ref, NULL, &info, &err);
        if (r == -ENOTSUP) {
            vxl_diag_add(d, VXL_NOTE, s->main, 0, 0, NULL,
                         "%s: %s", t->origin, err.msg);
            continue;
        }
        if (r < 0) {
            vxl_diag_add(d, VXL_ERROR, s->main, 0, 0, NULL, "%s: %s",
                         t->origin, err.msg);
            rc = r;
            continue;
        }
        if (t->capacity && t->capacity != info.virtual_size)
            vxl_diag_add(d, VXL_WARNING, s->main, 0, 0, NULL,
                         "%s: the descriptor says %s but the %s image holds "
                         "%s; the image's size is used", t->origin,
                         human(t->capacity, a, sizeof a), info.format,
                         human(info.virtual_size, b, sizeof b));
        t->capacity = info.virtual_size;
    }
    return rc;
}

static int write_file_atomic(const char *path, const char *text,
                             vxl_diags *d)
{
    char *tmp = xasprintf("%s.tmp-XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int e = errno;
        vxl_diag_add(d, VXL_ERROR, path, 0, 0, NULL, "cannot create: %s",
                     strerror(e));
        free(tmp);
        return -e;
    }
    size_t n = strlen(text);
    ssize_t w = write(fd, text, n);
    int e = w == (ssize_t)n ? 0 : (w < 0 ? errno : EIO);
    if (!e && fchmod(fd, 0644) < 0)
        e = errno;
    if (!e && fsync(fd) < 0)
        e = errno;
    if (close(fd) < 0 && !e)
        e = errno;
    if (!e && link(tmp, path) < 0)      /* never replaces an existing file */
        e = errno;
    unlink(tmp);
    free(tmp);
    if (e) {
        vxl_diag_add(d, VXL_ERROR, path, 0, 0, NULL, "cannot write: %s",
                     strerror(e));
        return -e;
    }
    return 0;
}

static int create_empty(const char *path, const char *fmt, uint64_t size,
                        struct vdisk_err *err)
{
    char *tmp = xasprintf("%s.tmp-XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int rc = vdisk_err_set(err, errno, "'%s': %s", tmp, strerror(errno));
        free(tmp);
        return rc;
    }
    close(fd);
    struct vdisk_create_opts co;
    vdisk_create_opts_init(&co, fmt);
    co.size = size;
    co.size_set = true;
    int rc = vdisk_create(tmp, &co, err);
    vdisk_create_opts_dispose(&co);
    if (rc == 0 && rename(tmp, path) < 0)
        rc = vdisk_err_set(err, errno, "'%s': %s", path, strerror(errno));
    if (rc < 0)
        unlink(tmp);
    free(tmp);
    return rc;
}

int vimport_plan_execute(struct vimport_source *s, struct vimport_plan *p,
                         void (*progress)(void *, uint64_t, uint64_t),
                         void *opaque, volatile int *cancel, vxl_diags *d)
{
    struct stat st;
    if (mkdir(p->outdir, 0755) < 0 && errno != EEXIST) {
        int e = errno;
        vxl_diag_add(d, VXL_ERROR, p->outdir, 0, 0, NULL,
                     "cannot create the output directory: %s", strerror(e));
        return -e;
    }
    /* refuse to overwrite anything */
    int rc = 0;
    if (lstat(p->cfg_path, &st) == 0) {
        vxl_diag_add(d, VXL_ERROR, p->cfg_path, 0, 0,
                     "choose another --name or -o OUTDIR", "already exists");
        rc = -EEXIST;
    }
    for (size_t i = 0; i < p->ndisks; i++)
        if (p->disks[i].dst && lstat(p->disks[i].dst, &st) == 0) {
            vxl_diag_add(d, VXL_ERROR, p->disks[i].dst, 0, 0,
                         "choose another --name or -o OUTDIR", "already exists");
            rc = -EEXIST;
        }
    if (rc < 0)
        return rc;

    size_t done = 0;
    for (size_t i = 0; i < p->ndisks && rc == 0; i++) {
        struct vimport_pdisk *t = &p->disks[i];
        if (t->cdrom)
            continue;
        struct vdisk_err err = { 0 };
        if (t->ref.nmembers == 0) {
            rc = create_empty(t->dst, p->format, t->capacity, &err);
        } else {
            struct vimport_convert_req req = {
                .file = &t->ref, .dst = t->dst, .dst_format = p->format,
                .scratch_dir = p->outdir, .progress = progress,
                .progress_opaque = opaque, .cancel = cancel,
            };
            rc = vimport_source_convert(s, &req, &err);
        }
        if (rc < 0)
            vxl_diag_add(d, VXL_ERROR, s->main, 0, 0, NULL, "%s: %s",
                         t->origin, err.msg);
        else
            done = i + 1;
    }
    if (rc == 0) {
        char *text = vimport_cfg_render(p);
        rc = write_file_atomic(p->cfg_path, text, d);
        free(text);
    }
    if (rc < 0)         /* remove the disks this import wrote */
        for (size_t i = 0; i < done; i++)
            if (p->disks[i].dst)
                unlink(p->disks[i].dst);
    return rc;
}

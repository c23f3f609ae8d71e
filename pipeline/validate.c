/* pipeline/validate.c — check a parsed domain's disks (and boot files)
 * against the host before anything is started: what xl leaves to
 * libxl's late "failed to create new domain".
 *
 * Per disk: the target exists (or the drive is an empty cdrom), is a
 * regular file or block device, is readable and, for access=rw,
 * writable; the header agrees with the declared format (compared, never
 * reinterpreted); the backing chain opens with a known format at every
 * link; sizes are sane.  Across disks: vdevs are valid and unique, a
 * written image is attached only once and is nobody's backing file, in
 * this domain and in running ones.  docs/disk-pipeline.md lists every
 * message. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "disk/disk.h"
#include "pipeline/pipeline.h"

/* libxl's formats: what a backend can be handed without conversion */
static bool libxl_format(const char *lib)
{
    static const char *const ok[] = { "raw", "qcow", "qcow2", "vpc", "qed" };
    for (size_t i = 0; i < ARRAY_SIZE(ok); i++)
        if (!strcmp(lib, ok[i]))
            return true;
    return false;
}

/* xl.cfg's name of a library format (vhd is QEMU's and our "vpc") */
static const char *cfg_format_name(const char *lib)
{
    return !strcmp(lib, "vpc") ? "vhd" : lib;
}

const char *vxl_disk_library_format(const vxl_device_disk *k)
{
    if (k->vxl_format)
        return k->vxl_format;
    switch (k->format) {
    case VXL_DISK_FORMAT_RAW: return "raw";
    case VXL_DISK_FORMAT_QCOW: return "qcow";
    case VXL_DISK_FORMAT_QCOW2: return "qcow2";
    case VXL_DISK_FORMAT_VHD: return "vpc";
    case VXL_DISK_FORMAT_QED: return "qed";
    default: return NULL;
    }
}

void vxl_disk_where(const cfg_config *cfg, const vxl_domain_config *d,
                    int i, cfg_pos *pos, const char **spec)
{
    static __thread char buf[128];
    const cfg_list *l = NULL;

    memset(pos, 0, sizeof *pos);
    if (cfg && !cfg_get_list(cfg, "disk", &l, NULL, 1, NULL) &&
        cfg_listitem(l, i) && !cfg_list_item_pos(l, i, pos)) {
        *spec = cfg_listitem(l, i);
        return;
    }
    snprintf(buf, sizeof buf, "vdev=%s",
             d->disks[i].vdev ? d->disks[i].vdev : "");
    *spec = buf;
}

/* ---- one validation run ------------------------------------------------ */

#define MAX_CHAIN 34

struct ident { dev_t dev; ino_t ino; };

struct dstate {
    cfg_pos pos;
    const char *spec;
    const char *path;           /* NULL: empty drive */
    bool exists, writable;
    struct ident chain[MAX_CHAIN];  /* [0] = the image itself */
    char *chain_name[MAX_CHAIN];
    int nchain;
    int devid, index;           /* from the vdev; devid < 0: invalid */
    bool shared_reported;       /* one sharing problem per disk */
};

struct vctx {
    const vxl_domain_config *d;
    const vxl_validate_opts *o;
    vxl_diags *diags;
    struct dstate *ds;
    bool qemu;
};

static void problem(struct vctx *c, enum vxl_severity sev, int i,
                    const char *hint, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void problem(struct vctx *c, enum vxl_severity sev, int i,
                    const char *hint, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *m = xvasprintf(fmt, ap);
    va_end(ap);
    const struct dstate *s = &c->ds[i];
    vxl_diag_add(c->diags, sev, s->pos.file, s->pos.line, s->pos.col, hint,
                 "disk `%s': %s", s->spec, m);
    free(m);
}

/* "line N" of another disk, for messages about pairs */
static char *other(const struct vctx *c, int j)
{
    if (c->ds[j].pos.line)
        return xasprintf("disk `%s' (line %d)", c->ds[j].spec,
                         c->ds[j].pos.line);
    return xasprintf("disk `%s'", c->ds[j].spec);
}

static struct ident ident_of(const struct stat *st)
{
    struct ident id = { st->st_dev, st->st_ino };
    if (S_ISBLK(st->st_mode)) {          /* two nodes, one disk */
        id.dev = st->st_rdev;
        id.ino = 0;
    }
    return id;
}

static bool same(struct ident a, struct ident b)
{
    return a.dev == b.dev && a.ino == b.ino;
}

/* Formats the image library has no driver for, by magic, so that a qed
 * declared raw is caught too.  NULL when none matches. */
static const char *magic_format(const char *path)
{
    unsigned char m[72];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t r = fd >= 0 ? read(fd, m, sizeof m) : -1;
    static const unsigned char vdi_sig[4] = { 0x7f, 0x10, 0xda, 0xbe };

    if (fd >= 0)
        close(fd);
    if (r >= 4 && !memcmp(m, "QED\0", 4))
        return "qed";
    if (r >= 8 && !memcmp(m, "conectix", 8))
        return "vpc";
    if (r >= 8 && !memcmp(m, "vhdxfile", 8))
        return "vhdx";
    if (r >= 68 && !memcmp(m + 64, vdi_sig, 4))
        return "vdi";
    return NULL;
}

/* The header's format: the library's probe, then the magics above. */
static const char *probe_format(const char *path)
{
    const char *fmt = NULL;
    struct vdisk_err e = {0};

    if (vdisk_probe(path, &fmt, &e) < 0)
        fmt = NULL;
    if (!fmt || !strcmp(fmt, "raw")) {
        const char *m = magic_format(path);
        if (m)
            return m;
    }
    return fmt ? fmt : "raw";
}

/* ---- vdevs (libxl__device_disk_dev_number's rules) --------------------- */

/* prefix + letters (bijective base 26) + optional partition without a
 * leading zero */
static bool vdev_letters(const char *v, const char *prefix, int max_index,
                         int max_part, int *index, int *part)
{
    size_t pl = strlen(prefix);
    const char *p = v + pl;
    long idx = -1;

    if (strncmp(v, prefix, pl))
        return false;
    for (; *p >= 'a' && *p <= 'z'; p++) {
        idx = (idx + 1) * 26 + (*p - 'a');
        if (idx > max_index)
            return false;
    }
    if (idx < 0)
        return false;
    *index = (int)idx;
    *part = 0;
    if (!*p)
        return true;
    if (*p == '0' || *p < '0' || *p > '9')
        return false;
    char *end;
    long n = strtol(p, &end, 10);
    if (*end || n > max_part)
        return false;
    *part = (int)n;
    return true;
}

/* Device number as libxl computes it, and the disk index; -1 when the
 * vdev is not valid. */
static int vdev_number(const char *v, int *index)
{
    int disk, part, used = -1;

    *index = -1;
    if ((sscanf(v, "d%dp%d%n", &disk, &part, &used) >= 2 &&
         used == (int)strlen(v) && disk >= 0 && disk < (1 << 20) &&
         part >= 0 && part < 256) ||
        vdev_letters(v, "xvd", (1 << 20) - 1, 255, &disk, &part)) {
        *index = disk;
        if (disk <= 15 && part <= 15)
            return (202 << 8) | (disk << 4) | part;
        return (1 << 28) | (disk << 8) | part;
    }
    if (*v >= '0' && *v <= '9') {
        char *end;
        errno = 0;
        unsigned long ul = strtoul(v, &end, 0);
        if (!errno && !*end && ul <= INT_MAX)
            return (int)ul;
        return -1;
    }
    if (vdev_letters(v, "hd", 3, 63, &disk, &part)) {
        *index = disk;
        return ((disk < 2 ? 3 : 22) << 8) | ((disk & 1) << 6) | part;
    }
    if (vdev_letters(v, "sd", 15, 15, &disk, &part)) {
        *index = disk;
        return (8 << 8) | (disk << 4) | part;
    }
    return -1;
}

static void check_vdevs(struct vctx *c)
{
    const vxl_domain_config *d = c->d;
    bool hvm = d->c_info.type == VXL_DOMAIN_TYPE_HVM;

    for (int i = 0; i < d->num_disks; i++) {
        const vxl_device_disk *k = &d->disks[i];
        const char *v = k->vdev ? k->vdev : "";
        c->ds[i].devid = vdev_number(v, &c->ds[i].index);
        if (c->ds[i].devid < 0) {
            problem(c, VXL_ERROR, i, "use xvd[a-z]..., hd[a-d], sd[a-p] or "
                    "d<N>p<M>, e.g. vdev=xvda",
                    "vdev `%s' is not a valid virtual disk name", v);
            continue;
        }
        for (int j = 0; j < i; j++) {
            const char *w = d->disks[j].vdev;
            bool clash = c->ds[j].devid == c->ds[i].devid;
            /* HVM: the first four disks of any name are the emulated IDE
             * disks (libxl maps xvda and hda to the same slot) */
            bool ide = hvm && !clash && c->ds[j].devid >= 0 &&
                       c->ds[i].index >= 0 && c->ds[i].index < 4 &&
                       c->ds[i].index == c->ds[j].index &&
                       strncmp(v, "sd", 2) && strncmp(w, "sd", 2);
            if (!clash && !ide)
                continue;
            char *o = other(c, j);
            if (clash)
                problem(c, VXL_ERROR, i, "give every disk its own vdev",
                        "vdev `%s' is already used by %s", v, o);
            else
                problem(c, VXL_ERROR, i, "give every disk its own vdev",
                        "vdev `%s' is the same emulated IDE disk as `%s' of "
                        "%s on an HVM guest", v, w, o);
            free(o);
            break;
        }
    }
}

/* ---- one disk ------------------------------------------------------------ */

static const char *file_kind(mode_t m)
{
    return S_ISDIR(m) ? "a directory" : S_ISCHR(m) ? "a character device"
         : S_ISFIFO(m) ? "a FIFO" : S_ISSOCK(m) ? "a socket" : "not a file";
}

/* Open the image with its declared format and record its chain; report
 * a link that does not open. */
static void check_chain(struct vctx *c, int i, const char *fmt,
                        vxl_disk_facts *f)
{
    struct dstate *s = &c->ds[i];
    struct vdisk_open_opts oo = { .format = fmt };
    struct vdisk *img = NULL;
    struct vdisk_err e = {0};

    if (!vdisk_driver_find(fmt))
        return;             /* no driver (qed): the magic was compared */
    if (vdisk_open(s->path, &oo, &img, &e) < 0) {
        problem(c, VXL_ERROR, i, "`vxl img info --backing-chain' shows "
                "the chain", "%s", e.msg);
        return;
    }
    int n = 0;
    for (struct vdisk *l = img; l && n < MAX_CHAIN; l = vdisk_backing(l)) {
        struct stat st;
        if (stat(vdisk_filename(l), &st) == 0) {
            free(s->chain_name[n]);
            s->chain[n] = ident_of(&st);
            s->chain_name[n] = xstrdup(vdisk_filename(l));
            n++;
        }
    }
    s->nchain = n;
    uint64_t size = vdisk_size(img);
    struct stat st;
    /* raw: the file's own size (the driver rounds up to a sector) */
    if (!strcmp(fmt, "raw") && stat(s->path, &st) == 0 && S_ISREG(st.st_mode))
        size = (uint64_t)st.st_size;
    if (size == 0)
        problem(c, VXL_ERROR, i, "a disk needs a size; `vxl img resize' "
                "grows it", "'%s' is empty (virtual size 0)", s->path);
    else if (size % 512)
        problem(c, VXL_WARNING, i, "backends drop or zero-fill the last "
                "partial sector; `vxl img resize' rounds it",
                "'%s' is %llu bytes, not a whole number of 512-byte "
                "sectors", s->path, (unsigned long long)size);
    (void)f;
    vdisk_close(img, NULL);
}

static void check_format(struct vctx *c, int i, vxl_disk_facts *f)
{
    const vxl_device_disk *k = &c->d->disks[i];
    struct dstate *s = &c->ds[i];
    const char *declared = vxl_disk_library_format(k);
    const char *probed = probe_format(s->path);
    bool given = k->vxl_given & VXL_DISK_GIVEN_FORMAT;

    f->probed = probed;
    if (!declared)
        return;
    if (given && strcmp(declared, probed)) {
        char *hint;
        if (libxl_format(probed))
            hint = xasprintf("write format=%s in the disk spec",
                             cfg_format_name(probed));
        else if (!strcmp(probed, "vmdk") || !strcmp(probed, "vdi"))
            hint = xasprintf("write format=%s and create with --convert: "
                             "libxl can't use %s images", probed, probed);
        else
            hint = xasprintf("convert it: vxl img convert -O qcow2 %s "
                             "NEW.qcow2", s->path);
        if (!strcmp(probed, "raw"))
            problem(c, VXL_ERROR, i, hint, "'%s' is not a %s image (no %s "
                    "header: raw data)", s->path, cfg_format_name(declared),
                    cfg_format_name(declared));
        else
            problem(c, VXL_ERROR, i, hint, "'%s' is a %s image, not %s "
                    "(format=%s)", s->path, cfg_format_name(probed),
                    cfg_format_name(declared), cfg_format_name(declared));
        free(hint);
        return;
    }
    const char *use = declared;
    if (!given && strcmp(probed, "raw")) {
        /* format omitted: xl's default is raw; we compare, we don't
         * reinterpret — except that conversion reads what is there */
        bool conv = !libxl_format(probed);
        char *hint = xasprintf("write format=%s in the disk spec%s",
                               cfg_format_name(probed),
                               conv ? " and create with --convert" : "");
        problem(c, VXL_WARNING, i, hint, "'%s' is a %s image, but the disk "
                "spec names no format (libxl reads it as raw)", s->path,
                cfg_format_name(probed));
        free(hint);
        if (!conv)
            return;
        use = probed;
        if (!c->o->convert && !c->qemu)
            problem(c, VXL_ERROR, i, "vxl create --convert converts it to "
                    "qcow2 before the domain starts",
                    "'%s' is a %s image, which libxl can't use", s->path,
                    probed);
    }
    if (!libxl_format(use)) {
        f->src_format = use;
        /* QEMU reads vmdk and vdi itself: a declared one is used as is
         * there (converted only on request); libxl needs a conversion */
        f->needs_convert = !c->qemu || c->o->convert;
        if (given && !c->qemu && !c->o->convert)
            problem(c, VXL_ERROR, i, "vxl create --convert converts it to "
                    "qcow2 before the domain starts",
                    "format=%s: libxl can't use %s images", use, use);
    }
    check_chain(c, i, use, f);
}

static void check_access(struct vctx *c, int i)
{
    const vxl_device_disk *k = &c->d->disks[i];
    struct dstate *s = &c->ds[i];
    struct stat st;

    if (stat(s->path, &st) < 0) {
        int e = errno;
        if (e == ENOENT)
            problem(c, VXL_ERROR, i, "check target= (a relative path is "
                    "relative to the directory vxl runs in)",
                    "'%s' does not exist", s->path);
        else
            problem(c, VXL_ERROR, i, NULL, "'%s': %s", s->path, strerror(e));
        return;
    }
    if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
        problem(c, VXL_ERROR, i, "a disk is an image file or a block device",
                "'%s' is %s", s->path, file_kind(st.st_mode));
        return;
    }
    if (faccessat(AT_FDCWD, s->path, R_OK, AT_EACCESS) < 0) {
        problem(c, VXL_ERROR, i, NULL, "'%s' is not readable: %s", s->path,
                strerror(errno));
        return;
    }
    if (s->writable &&
        faccessat(AT_FDCWD, s->path, W_OK, AT_EACCESS) < 0) {
        problem(c, VXL_ERROR, i, "make it writable, or give access=ro",
                "'%s' is not writable (access=rw): %s", s->path,
                strerror(errno));
        /* go on: the format checks still apply */
    }
    s->exists = true;
    s->chain[0] = ident_of(&st);
    s->chain_name[0] = xstrdup(s->path);
    s->nchain = 1;
    (void)k;
}

static void check_combinations(struct vctx *c, int i)
{
    const vxl_device_disk *k = &c->d->disks[i];
    bool hvm = c->d->c_info.type == VXL_DOMAIN_TYPE_HVM;
    int idx = c->ds[i].index;
    bool sd = k->vdev && !strncmp(k->vdev, "sd", 2);

    if (k->is_cdrom && (k->vxl_given & VXL_DISK_GIVEN_ACCESS) &&
        (k->vxl_given & VXL_DISK_GIVEN_RW))
        problem(c, VXL_WARNING, i, "drop access=rw",
                "a cdrom is read-only; access=rw is ignored");
    if (!c->qemu && !k->script && k->pdev_path && *k->pdev_path &&
        (k->backend == VXL_DISK_BACKEND_PHY ||
         k->backend == VXL_DISK_BACKEND_STANDALONE) &&
        k->format != VXL_DISK_FORMAT_RAW && k->format != VXL_DISK_FORMAT_EMPTY)
        problem(c, VXL_ERROR, i, "use backendtype=qdisk, or a raw image",
                "backendtype=%s serves raw images only, not %s",
                k->backend == VXL_DISK_BACKEND_PHY ? "phy" : "standalone",
                k->vxl_format ? k->vxl_format
                : cfg_format_name(vxl_disk_library_format(k)
                                  ? vxl_disk_library_format(k) : "unknown"));
    if (k->vxl_snapshot && (!k->readwrite || k->is_cdrom))
        problem(c, VXL_WARNING, i, "drop snapshot, or give access=rw",
                "snapshot on a read-only %s does nothing",
                k->is_cdrom ? "cdrom" : "disk");
    if (!hvm || c->ds[i].devid < 0)
        return;
    if (k->is_cdrom && (idx >= 4 || sd))
        problem(c, VXL_WARNING, i, "use hdc or hdd for an emulated cdrom",
                "only the first 4 disks can be emulated cdroms; `%s' is "
                "visible to PV drivers only", k->vdev);
    if (!k->is_cdrom && !k->readwrite && !sd && idx >= 0 && idx < 4 &&
        !c->qemu) {
        bool ahci = c->d->b_info.u.hvm.hdtype == VXL_HDTYPE_AHCI;
        problem(c, VXL_ERROR, i, "give access=rw, or devtype=cdrom for a "
                "read-only medium",
                "qemu-xen doesn't support read-only %s disk drivers",
                ahci ? "AHCI" : "IDE");
    }
}

/* ---- disks against each other and running domains ----------------------- */

static int chain_find(const struct dstate *s, struct ident id)
{
    for (int n = 0; n < s->nchain; n++)
        if (same(s->chain[n], id))
            return n;
    return -1;
}

static void check_sharing(struct vctx *c)
{
    int nd = c->d->num_disks;

    for (int w = 0; w < nd; w++) {
        const struct dstate *ws = &c->ds[w];
        if (!ws->writable || !ws->nchain)
            continue;
        for (int r = 0; r < nd; r++) {
            if (r == w || !c->ds[r].nchain)
                continue;
            int at = chain_find(&c->ds[r], ws->chain[0]);
            if (at < 0 || c->ds[r].shared_reported)
                continue;
            c->ds[r].shared_reported = true;
            char *o = other(c, w);
            if (at == 0 && c->ds[r].writable)
                problem(c, VXL_ERROR, r, "attach an image once, or give "
                        "both access=ro",
                        "'%s' is the same image as %s, and both are "
                        "writable", c->ds[r].path, o);
            else if (at == 0 && !c->ds[r].writable)
                problem(c, VXL_ERROR, r, "attach an image once",
                        "'%s' is the same image as %s, which writes it",
                        c->ds[r].path, o);
            else if (at > 0)
                problem(c, VXL_ERROR, r, "use a copy of the backing file, or "
                        "give the other disk access=ro",
                        "backing file '%s' is written by %s",
                        c->ds[r].chain_name[at], o);
            free(o);
        }
    }
}

/* chain identities of a running domain's disk */
static int inuse_chain(const vxl_inuse_disk *u, struct ident *ids, int max)
{
    struct vdisk_open_opts oo = { .format = NULL };
    struct vdisk *img = NULL;
    struct stat st;
    int n = 0;

    if (u->format && strcmp(u->format, "empty")) {
        oo.format = !strcmp(u->format, "vhd") ? "vpc" : u->format;
        if (!vdisk_driver_find(oo.format))
            oo.format = NULL;
    }
    if (oo.format && vdisk_open(u->path, &oo, &img, NULL) == 0) {
        for (struct vdisk *l = img; l && n < max; l = vdisk_backing(l))
            if (stat(vdisk_filename(l), &st) == 0)
                ids[n++] = ident_of(&st);
        vdisk_close(img, NULL);
    } else if (stat(u->path, &st) == 0) {
        ids[n++] = ident_of(&st);
    }
    return n;
}

static void check_running(struct vctx *c)
{
    for (size_t u = 0; u < c->o->ninuse; u++) {
        const vxl_inuse_disk *ud = &c->o->inuse[u];
        struct ident ids[MAX_CHAIN];
        int nids = inuse_chain(ud, ids, MAX_CHAIN);
        if (!nids)
            continue;
        for (int i = 0; i < c->d->num_disks; i++) {
            const struct dstate *s = &c->ds[i];
            if (!s->nchain)
                continue;
            /* they write something in our chain */
            int at = ud->writable ? chain_find(s, ids[0]) : -1;
            if (at == 0)
                problem(c, VXL_ERROR, i, "shut that domain down first, or "
                        "use a copy", "'%s' is in use by domain %s (id %u), "
                        "which writes it", s->path, ud->domname, ud->domid);
            else if (at > 0)
                problem(c, VXL_ERROR, i, "shut that domain down first, or "
                        "use a copy", "backing file '%s' is written by "
                        "domain %s (id %u)", s->chain_name[at], ud->domname,
                        ud->domid);
            if (at >= 0 || !s->writable)
                continue;
            /* we would write something in their chain */
            for (int n = 0; n < nids; n++)
                if (same(ids[n], s->chain[0])) {
                    problem(c, VXL_ERROR, i, "give access=ro, or shut that "
                            "domain down first",
                            "'%s' is in use by domain %s (id %u)%s", s->path,
                            ud->domname, ud->domid,
                            n ? " as a backing file" : "");
                    break;
                }
        }
    }
}

/* ---- boot files -------------------------------------------------------- */

static void check_file(struct vctx *c, const char *what, const char *path,
                       const char *const *settings)
{
    cfg_pos pos = {0};
    struct stat st;

    if (!path || !*path)
        return;
    for (; *settings; settings++)
        if (c->o->cfg && !cfg_setting_value_pos(c->o->cfg, *settings, &pos))
            break;
    if (stat(path, &st) < 0)
        vxl_diag_add(c->diags, VXL_ERROR, pos.file, pos.line, pos.col, NULL,
                     "%s '%s' %s", what, path,
                     errno == ENOENT ? "does not exist" : strerror(errno));
    else if (!S_ISREG(st.st_mode))
        vxl_diag_add(c->diags, VXL_ERROR, pos.file, pos.line, pos.col, NULL,
                     "%s '%s' is not a regular file", what, path);
    else if (faccessat(AT_FDCWD, path, R_OK, AT_EACCESS) < 0)
        vxl_diag_add(c->diags, VXL_ERROR, pos.file, pos.line, pos.col, NULL,
                     "%s '%s' is not readable: %s", what, path,
                     strerror(errno));
}

static void check_boot_files(struct vctx *c)
{
    const vxl_domain_build_info *b = &c->d->b_info;
    static const char *const kernel[] = { "kernel", "firmware", NULL };
    static const char *const ramdisk[] = { "ramdisk", NULL };
    static const char *const dtb[] = { "device_tree", NULL };
    static const char *const fw[] = { "firmware_override", "firmware", NULL };
    static const char *const bios[] = { "bios_path_override", NULL };
    static const char *const smbios[] = { "smbios_firmware", NULL };
    static const char *const acpi[] = { "acpi_firmware", NULL };
    static const char *const shim[] = { "pvshim_path", NULL };

    check_file(c, "kernel", b->kernel, kernel);
    check_file(c, "ramdisk", b->ramdisk, ramdisk);
    check_file(c, "device tree", b->device_tree, dtb);
    if (b->type == VXL_DOMAIN_TYPE_HVM) {
        check_file(c, "firmware", b->u.hvm.firmware, fw);
        check_file(c, "BIOS", b->u.hvm.system_firmware, bios);
        check_file(c, "SMBIOS firmware", b->u.hvm.smbios_firmware, smbios);
        check_file(c, "ACPI firmware", b->u.hvm.acpi_firmware, acpi);
    }
    if (b->type == VXL_DOMAIN_TYPE_PVH)
        check_file(c, "PV shim", b->u.pvh.pvshim_path, shim);
}

/* ---- entry point --------------------------------------------------------- */

/* Diagnostics [from, n) in config order (by line, stable), so that the
 * problems of one disk come together. */
static void sort_by_line(vxl_diags *diags, size_t from)
{
    for (size_t i = from + 1; i < diags->n; i++) {
        vxl_diag t = diags->v[i];
        size_t j = i;
        for (; j > from && diags->v[j - 1].line > t.line; j--)
            diags->v[j] = diags->v[j - 1];
        diags->v[j] = t;
    }
}

int vxl_validate(const vxl_domain_config *d, const vxl_validate_opts *o,
                 vxl_disk_facts **facts_out, vxl_diags *diags)
{
    size_t errors0 = diags->nerrors, n0 = diags->n;
    int nd = d->num_disks;
    struct vctx c = {
        .d = d, .o = o, .diags = diags,
        .ds = xcalloc(nd ? nd : 1, sizeof(struct dstate)),
        .qemu = o->backend && !strcmp(o->backend, "qemu"),
    };
    vxl_disk_facts *facts = xcalloc(nd ? nd : 1, sizeof *facts);

    for (int i = 0; i < nd; i++) {
        const vxl_device_disk *k = &d->disks[i];
        struct dstate *s = &c.ds[i];
        vxl_disk_where(o->cfg, d, i, &s->pos, &s->spec);
        s->writable = k->readwrite && !k->is_cdrom && !o->snapshot &&
                      !k->vxl_snapshot;
        /* a script's target (iscsi:, drbd:, ...) and a driver domain's
         * path are not files of this host: libxl doesn't look either */
        bool foreign = k->script || (k->backend_domname &&
                                     strcmp(k->backend_domname, "0") &&
                                     strcmp(k->backend_domname, "Domain-0"));
        if (k->pdev_path && *k->pdev_path &&
            k->format != VXL_DISK_FORMAT_EMPTY && !foreign)
            s->path = k->pdev_path;
    }
    check_vdevs(&c);
    for (int i = 0; i < nd; i++) {
        check_combinations(&c, i);
        if (!c.ds[i].path)
            continue;           /* an empty cdrom (the parser saw to it) */
        check_access(&c, i);
        if (c.ds[i].exists)
            check_format(&c, i, &facts[i]);
    }
    check_sharing(&c);
    check_running(&c);
    check_boot_files(&c);
    sort_by_line(diags, n0);

    for (int i = 0; i < nd; i++)
        for (int n = 0; n < MAX_CHAIN; n++)
            free(c.ds[i].chain_name[n]);
    free(c.ds);
    if (facts_out)
        *facts_out = facts;
    else
        free(facts);
    return diags->nerrors > errors0 ? -EINVAL : 0;
}

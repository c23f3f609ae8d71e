/* import/source.c — appliance sources: SOURCE dispatch and the directory
 * source (an .ovf or .vmx whose files lie in the descriptor's directory).
 *
 * Containment: a member name must pass vimport_member_name_ok() and must
 * resolve (realpath) to a regular file inside the source directory, so a
 * symlink pointing elsewhere is refused like "../x".  Chunked and gzip
 * file references are first joined / inflated into a temporary file in
 * the request's scratch directory, which is removed afterwards. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "common/util.h"
#include "disk/convert.h"
#include "import/import.h"
#include "import/ova.h"

struct dir_priv {
    char *dir;      /* realpath of the source directory */
};

bool vimport_member_name_ok(const char *name)
{
    if (!name || !*name || name[0] == '/' || strlen(name) > 1024)
        return false;
    const char *p = name;
    while (*p) {
        const char *e = strchr(p, '/');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n == 0 || (n == 2 && p[0] == '.' && p[1] == '.'))
            return false;
        if (!e)
            break;
        p = e + 1;
    }
    for (p = name; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == '\\')
            return false;
    return true;
}

static bool ends_with_ci(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcasecmp(s + a - b, suf) == 0;
}

/* Resolve a member to a path inside the directory, or fail with EPERM. */
static int dir_resolve(struct vimport_source *s, const char *member,
                       char **out, vxl_diags *d)
{
    struct dir_priv *p = s->priv;
    if (!vimport_member_name_ok(member)) {
        vxl_diag_add(d, VXL_ERROR, s->main, 0, 0,
                     "an appliance may only name files beside its descriptor",
                     "refusing file name '%s': absolute, '..' or not a plain name",
                     member);
        return -EPERM;
    }
    char *joined = xasprintf("%s/%s", p->dir, member);
    char *real = realpath(joined, NULL);
    if (!real) {
        int e = errno;
        vxl_diag_add(d, VXL_ERROR, s->main, 0, 0, NULL,
                     "'%s': %s", joined, strerror(e));
        free(joined);
        return -e;
    }
    size_t dl = strlen(p->dir);
    struct stat st;
    if (strncmp(real, p->dir, dl) != 0 || (real[dl] != '/' && dl != 1) ||
        stat(real, &st) < 0 || !S_ISREG(st.st_mode)) {
        vxl_diag_add(d, VXL_ERROR, s->main, 0, 0,
                     "symbolic links and special files are not followed",
                     "refusing '%s': not a regular file inside '%s'",
                     member, p->dir);
        free(joined);
        free(real);
        return -EPERM;
    }
    free(joined);
    *out = real;
    return 0;
}

static int dir_read(struct vimport_source *s, const char *member, size_t max,
                    char **data, size_t *len, vxl_diags *d)
{
    char *path;
    int rc = dir_resolve(s, member, &path, d);
    if (rc < 0)
        return rc;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        rc = -errno;
        vxl_diag_add(d, VXL_ERROR, path, 0, 0, NULL, "cannot open: %s",
                     strerror(-rc));
        free(path);
        return rc;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || (uint64_t)st.st_size > max) {
        vxl_diag_add(d, VXL_ERROR, path, 0, 0, NULL,
                     "file is too large (%lld bytes, at most %zu)",
                     (long long)st.st_size, max);
        close(fd);
        free(path);
        return -EFBIG;
    }
    size_t cap = (size_t)st.st_size + 1, n = 0;
    char *buf = xmalloc(cap);
    for (;;) {
        if (n + 1 >= cap) {
            if (cap > max) {
                vxl_diag_add(d, VXL_ERROR, path, 0, 0, NULL,
                             "file is too large (at most %zu bytes)", max);
                rc = -EFBIG;
                break;
            }
            cap *= 2;
            buf = xrealloc(buf, cap);
        }
        ssize_t r = read(fd, buf + n, cap - 1 - n);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            rc = -errno;
            vxl_diag_add(d, VXL_ERROR, path, 0, 0, NULL, "read error: %s",
                         strerror(-rc));
            break;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    free(path);
    if (rc < 0) {
        free(buf);
        return rc;
    }
    buf[n] = 0;
    *data = buf;
    *len = n;
    return 0;
}

static int diags_to_err(vxl_diags *d, int rc, struct vdisk_err *err)
{
    const char *m = d->n ? d->v[d->n - 1].msg : "error";
    vdisk_err_set(err, -rc, "%s", m);
    vxl_diags_free(d);
    return rc;
}

/* Every layer of an opened image (backing files, VMDK parents) must be
 * a file inside the source directory. */
static int check_chain(struct vimport_source *s, struct vdisk *v,
                       bool skip_top, struct vdisk_err *err)
{
    struct dir_priv *p = s->priv;
    size_t dl = strlen(p->dir);
    /* skip_top: the top image is our own scratch file (a joined or
     * inflated copy); its external data file, if any, is still checked */
    for (struct vdisk *l = v; l; l = vdisk_backing(l)) {
        const char *names[2] = { vdisk_filename(l), vdisk_data_filename(l) };
        for (int k = 0; k < 2; k++) {
            if (!names[k] || (l == v && skip_top &&
                              strcmp(names[k], vdisk_filename(v)) == 0))
                continue;
            char *real = realpath(names[k], NULL);
            bool inside = real && strncmp(real, p->dir, dl) == 0 &&
                          (real[dl] == '/' || dl == 1);
            free(real);
            if (!inside)
                return vdisk_err_set(err, EPERM, "'%s' (named by the image "
                                     "chain) is outside the appliance "
                                     "directory '%s'", names[k], p->dir);
        }
    }
    return 0;
}

static int dir_inspect(struct vimport_source *s,
                       const struct vimport_file_ref *f,
                       const char *src_format,
                       struct vimport_image_info *info, struct vdisk_err *err)
{
    if (f->nmembers != 1 || f->gzip)
        return vdisk_err_set(err, ENOTSUP,
                             "size of a %s file is known only after joining it",
                             f->gzip ? "compressed" : "chunked");
    vxl_diags d = { 0 };
    char *path;
    int rc = dir_resolve(s, f->members[0], &path, &d);
    if (rc < 0)
        return diags_to_err(&d, rc, err);
    struct vdisk_open_opts oo = { .format = src_format };
    struct vdisk *v;
    rc = vdisk_open(path, &oo, &v, err);
    free(path);
    if (rc < 0)
        return rc;
    if ((rc = check_chain(s, v, false, err)) < 0) {
        vdisk_close(v, NULL);
        return rc;
    }
    snprintf(info->format, sizeof info->format, "%s", vdisk_format(v));
    info->virtual_size = vdisk_size(v);
    vdisk_close(v, NULL);
    return 0;
}

static int write_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Join the chunks of f (inflating a gzip stream) into fd. */
static int join_members(struct vimport_source *s,
                        const struct vimport_file_ref *f, int out,
                        volatile int *cancel, struct vdisk_err *err)
{
    enum { BUF = 1 << 20 };
    unsigned char *in = xmalloc(BUF), *zout = xmalloc(BUF);
    z_stream z;
    memset(&z, 0, sizeof z);
    bool zinit = false, zend = false;
    int rc = 0;
    if (f->gzip) {
        if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) {
            rc = vdisk_err_set(err, ENOMEM, "zlib initialisation failed");
            goto out;
        }
        zinit = true;
    }
    for (size_t i = 0; i < f->nmembers && rc == 0; i++) {
        vxl_diags d = { 0 };
        char *path;
        rc = dir_resolve(s, f->members[i], &path, &d);
        if (rc < 0) {
            diags_to_err(&d, rc, err);
            break;
        }
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            rc = vdisk_err_set(err, errno, "'%s': %s", path, strerror(errno));
            free(path);
            break;
        }
        for (;;) {
            if (cancel && *cancel) {
                rc = vdisk_err_set(err, ECANCELED, "cancelled");
                break;
            }
            ssize_t r = read(fd, in, BUF);
            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0) {
                rc = vdisk_err_set(err, errno, "'%s': %s", path, strerror(errno));
                break;
            }
            if (r == 0)
                break;
            if (!f->gzip) {
                if ((rc = write_all(out, in, (size_t)r)) < 0) {
                    vdisk_err_set(err, -rc, "writing temporary file: %s",
                                  strerror(-rc));
                    break;
                }
                continue;
            }
            if (zend) {
                rc = vdisk_err_set(err, EINVAL,
                                   "'%s': data after the end of the gzip stream",
                                   path);
                break;
            }
            z.next_in = in;
            z.avail_in = (uInt)r;
            while (z.avail_in && !zend) {
                z.next_out = zout;
                z.avail_out = BUF;
                int zr = inflate(&z, Z_NO_FLUSH);
                if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR) {
                    rc = vdisk_err_set(err, EINVAL,
                                       "'%s': corrupt gzip data (%s)", path,
                                       z.msg ? z.msg : "inflate error");
                    break;
                }
                if (zr == Z_STREAM_END)
                    zend = true;
                int wr = write_all(out, zout, BUF - z.avail_out);
                if (wr < 0) {
                    rc = vdisk_err_set(err, -wr, "writing temporary file: %s",
                                       strerror(-wr));
                    break;
                }
            }
            if (rc < 0)
                break;
        }
        close(fd);
        free(path);
    }
    if (rc == 0 && f->gzip && !zend)
        rc = vdisk_err_set(err, EINVAL, "'%s': truncated gzip stream",
                           f->members[f->nmembers - 1]);
out:
    if (zinit)
        inflateEnd(&z);
    free(in);
    free(zout);
    return rc;
}

static int dir_convert(struct vimport_source *s,
                       const struct vimport_convert_req *req,
                       struct vdisk_err *err)
{
    const struct vimport_file_ref *f = req->file;
    char *src = NULL, *tmp = NULL;
    int rc;

    if (f->nmembers == 0)
        return vdisk_err_set(err, EINVAL, "disk file reference names no file");
    if (f->nmembers == 1 && !f->gzip) {
        vxl_diags d = { 0 };
        rc = dir_resolve(s, f->members[0], &src, &d);
        if (rc < 0)
            return diags_to_err(&d, rc, err);
    } else {
        tmp = xasprintf("%s/.vxl-import-XXXXXX",
                        req->scratch_dir ? req->scratch_dir : ".");
        int fd = mkstemp(tmp);
        if (fd < 0) {
            rc = vdisk_err_set(err, errno, "'%s': %s", tmp, strerror(errno));
            free(tmp);
            return rc;
        }
        rc = join_members(s, f, fd, req->cancel, err);
        if (close(fd) < 0 && rc == 0)
            rc = vdisk_err_set(err, errno, "'%s': %s", tmp, strerror(errno));
        if (rc < 0) {
            unlink(tmp);
            free(tmp);
            return rc;
        }
        src = xstrdup(tmp);
    }

    struct vdisk_open_opts oo = { .format = req->src_format };
    struct vdisk *v;
    rc = vdisk_open(src, &oo, &v, err);
    if (rc == 0) {
        rc = check_chain(s, v, tmp != NULL, err);
        vdisk_close(v, NULL);
    }
    if (rc < 0) {
        if (tmp) {
            unlink(tmp);
            free(tmp);
        }
        free(src);
        return rc;
    }
    struct vdisk_create_opts cr;
    vdisk_create_opts_init(&cr, req->dst_format);
    const char *srcs[1] = { src };
    struct vconvert_opts co = {
        .src = srcs, .nsrc = 1, .src_format = req->src_format,
        .dst = req->dst, .create = &cr,
        .min_sparse = VCONVERT_DEFAULT_MIN_SPARSE, .workers = 2,
        .progress = req->progress, .progress_opaque = req->progress_opaque,
        .cancel = req->cancel,
    };
    rc = vconvert(&co, err);
    vdisk_create_opts_dispose(&cr);
    if (tmp) {
        unlink(tmp);
        free(tmp);
    }
    free(src);
    return rc;
}

static void dir_close(struct vimport_source *s)
{
    struct dir_priv *p = s->priv;
    if (p) {
        free(p->dir);
        free(p);
    }
}

static const struct vimport_source_ops dir_ops = {
    .read = dir_read, .inspect = dir_inspect, .convert = dir_convert,
    .close = dir_close,
};

int vimport_dir_open(const char *dir, const char *main,
                     struct vimport_source **out, vxl_diags *d)
{
    char *real = realpath(dir, NULL);
    if (!real) {
        int e = errno;
        vxl_diag_add(d, VXL_ERROR, dir, 0, 0, NULL, "%s", strerror(e));
        return -e;
    }
    struct vimport_source *s = xcalloc(1, sizeof *s);
    struct dir_priv *p = xcalloc(1, sizeof *p);
    p->dir = real;
    s->ops = &dir_ops;
    s->kind = VIMPORT_SRC_DIR;
    s->path = xasprintf("%s/%s", dir, main);
    s->main = xstrdup(main);
    s->priv = p;
    *out = s;
    return 0;
}

int vimport_source_open(const char *path, struct vimport_source **out,
                        vxl_diags *d)
{
    *out = NULL;
    if (ends_with_ci(path, ".ova"))
        return vimport_ova_open(path, out, d);
    if (!ends_with_ci(path, ".ovf") && !ends_with_ci(path, ".vmx")) {
        vxl_diag_add(d, VXL_ERROR, path, 0, 0,
                     "SOURCE must be an .ova, an .ovf or a .vmx file",
                     "unknown appliance type");
        return -EINVAL;
    }
    struct stat st;
    if (stat(path, &st) < 0) {
        int e = errno;
        vxl_diag_add(d, VXL_ERROR, path, 0, 0, NULL, "%s", strerror(e));
        return -e;
    }
    if (!S_ISREG(st.st_mode)) {
        vxl_diag_add(d, VXL_ERROR, path, 0, 0, NULL, "not a regular file");
        return -EINVAL;
    }
    const char *slash = strrchr(path, '/');
    char *dir = slash ? xstrndup(path, (size_t)(slash - path) + (slash == path))
                      : xstrdup(".");
    int rc = vimport_dir_open(dir, slash ? slash + 1 : path, out, d);
    free(dir);
    if (rc == 0) {
        free((*out)->path);
        (*out)->path = xstrdup(path);
    }
    return rc;
}

void vimport_source_close(struct vimport_source *s)
{
    if (!s)
        return;
    if (s->ops && s->ops->close)
        s->ops->close(s);
    free(s->path);
    free(s->main);
    free(s);
}

int vimport_source_read(struct vimport_source *s, const char *member,
                        size_t max, char **data, size_t *len, vxl_diags *d)
{
    return s->ops->read(s, member, max, data, len, d);
}

int vimport_source_inspect(struct vimport_source *s,
                           const struct vimport_file_ref *f,
                           const char *src_format,
                           struct vimport_image_info *info,
                           struct vdisk_err *err)
{
    if (!s->ops->inspect)
        return vdisk_err_set(err, ENOTSUP, "cannot inspect this source");
    return s->ops->inspect(s, f, src_format, info, err);
}

int vimport_source_convert(struct vimport_source *s,
                           const struct vimport_convert_req *req,
                           struct vdisk_err *err)
{
    return s->ops->convert(s, req, err);
}

/* pipeline/convert.c — convert images libxl can't use (vmdk, vdi) into a
 * cache directory before a domain starts, and reuse the result while the
 * source is unchanged.
 *
 * Cache entry: <cache>/<source base name>-<16 hex digits>.<qcow2|raw>,
 * where the digits are a 64-bit FNV-1a hash of the key
 *
 *     "vxl-convert 1\n" fmt "\n" then, for the source and each backing
 *     file:  realpath "\n" dev ino size mtime_sec mtime_nsec "\n"
 *
 * and <entry>.key holds the key text itself, compared on reuse (so a hash
 * collision can't hand over another image).  Any change to a file of the
 * chain (rewritten, touched, replaced, grown) gives a new key.  The
 * converted image is what the guest then writes: reusing it keeps the
 * guest's writes across creates, and a changed source starts afresh from
 * a new entry (the old one stays until removed by hand).
 *
 * vconvert() writes under a temporary name and renames on success, so an
 * entry is complete or absent; the .key file is renamed into place after
 * the image, and only an entry with a matching key is reused.  One
 * flock()ed <cache>/.lock serialises conversions of concurrent creates. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "disk/convert.h"
#include "disk/disk.h"
#include "pipeline/pipeline.h"

char *vxl_convert_cache_dir(void)
{
    const char *env = getenv("VXL_CACHE");
    const char *xdg = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");

    if (env && *env)
        return xstrdup(env);
    if (geteuid() == 0)
        return xstrdup("/var/cache/vxl");
    if (xdg && *xdg)
        return xasprintf("%s/vxl", xdg);
    return xasprintf("%s/.cache/vxl", home && *home ? home : "/tmp");
}

static int mkdir_p(const char *dir)
{
    char *p = xstrdup(dir);
    int rc = 0;

    for (char *s = p + 1; ; s++) {
        if (*s != '/' && *s)
            continue;
        char c = *s;
        *s = 0;
        if (mkdir(p, 0700) < 0 && errno != EEXIST) {
            rc = -errno;
            break;
        }
        *s = c;
        if (!c)
            break;
    }
    free(p);
    return rc;
}

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ull;
    }
    return h;
}

/* The key text of src's chain, or NULL with err set. */
static char *cache_key(const char *src, const char *src_format,
                       const char *fmt, struct vdisk_err *err)
{
    struct vdisk_open_opts oo = { .format = src_format };
    struct vdisk *img = NULL;
    strbuf sb = {0};

    if (vdisk_open(src, &oo, &img, err) < 0)
        return NULL;
    sb_printf(&sb, "vxl-convert 1\n%s\n", fmt);
    for (struct vdisk *l = img; l; l = vdisk_backing(l)) {
        struct stat st;
        char *real = realpath(vdisk_filename(l), NULL);
        if (!real || stat(real, &st) < 0) {
            vdisk_err_set(err, errno, "'%s': %s", vdisk_filename(l),
                          strerror(errno));
            free(real);
            sb_free(&sb);
            vdisk_close(img, NULL);
            return NULL;
        }
        sb_printf(&sb, "%s\n%llu %llu %llu %lld %ld\n", real,
                  (unsigned long long)st.st_dev,
                  (unsigned long long)st.st_ino,
                  (unsigned long long)st.st_size, (long long)st.st_mtim.tv_sec,
                  st.st_mtim.tv_nsec);
        free(real);
    }
    vdisk_close(img, NULL);
    return sb_steal(&sb);
}

static bool key_matches(const char *keyfile, const char *key)
{
    char *t = read_file_str(keyfile);
    bool ok = t && *t && !strcmp(t, key);
    free(t);
    return ok;
}

static int write_key(const char *keyfile, const char *key)
{
    char *tmp = xasprintf("%s.tmp%ld", keyfile, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int rc = 0;
    size_t len = strlen(key);

    if (fd < 0 || write(fd, key, len) != (ssize_t)len || fsync(fd) < 0)
        rc = -errno;
    if (fd >= 0)
        close(fd);
    if (!rc && rename(tmp, keyfile) < 0)
        rc = -errno;
    if (rc)
        unlink(tmp);
    free(tmp);
    return rc ? rc : 0;
}

static int fail(vxl_diags *d, const cfg_pos *pos, const char *spec,
                const char *hint, int code, const char *msg)
{
    vxl_diag_add(d, VXL_ERROR, pos ? pos->file : NULL, pos ? pos->line : 0,
                 pos ? pos->col : 0, hint, "disk `%s': %s", spec, msg);
    return -code;
}

int vxl_convert_cached(const char *src, const char *src_format,
                       const char *fmt, const char *cache_dir, bool plan,
                       vxl_convert_result *res, const cfg_pos *pos,
                       const char *spec, vxl_diags *diags)
{
    struct vdisk_err err = {0};
    char *key = NULL, *keyfile = NULL, *lockpath = NULL, *msg;
    int lockfd = -1, rc;

    memset(res, 0, sizeof *res);
    key = cache_key(src, src_format, fmt, &err);
    if (!key)
        return fail(diags, pos, spec, NULL, err.code ? err.code : EIO,
                    err.msg);
    const char *base = strrchr(src, '/');
    base = base ? base + 1 : src;
    res->path = xasprintf("%s/%s-%016llx.%s", cache_dir, base,
                          (unsigned long long)fnv1a(key), fmt);
    keyfile = xasprintf("%s.key", res->path);
    if (plan) {
        res->reused = access(res->path, R_OK) == 0 &&
                      key_matches(keyfile, key);
        rc = 0;
        goto out;
    }
    if ((rc = mkdir_p(cache_dir)) < 0) {
        msg = xasprintf("cannot create the cache directory '%s': %s",
                        cache_dir, strerror(-rc));
        fail(diags, pos, spec, "set VXL_CACHE to a writable directory", -rc,
             msg);
        free(msg);
        goto out;
    }

    lockpath = xasprintf("%s/.lock", cache_dir);
    lockfd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lockfd < 0 || flock(lockfd, LOCK_EX) < 0) {
        rc = -errno;
        msg = xasprintf("cannot lock '%s': %s", lockpath, strerror(errno));
        fail(diags, pos, spec, "set VXL_CACHE to a writable directory", -rc,
             msg);
        free(msg);
        goto out;
    }
    if (access(res->path, R_OK) == 0 && key_matches(keyfile, key)) {
        res->reused = true;
        rc = 0;
        goto out;
    }

    /* a fresh conversion: the image first, then its key */
    unlink(keyfile);
    struct vdisk_create_opts co;
    vdisk_create_opts_init(&co, fmt);
    const char *srcs[] = { src };
    struct vconvert_opts vo = {
        .src = srcs, .nsrc = 1, .src_format = src_format,
        .dst = res->path, .create = &co,
        .min_sparse = VCONVERT_DEFAULT_MIN_SPARSE, .workers = 2,
    };
    rc = vconvert(&vo, &err);
    vdisk_create_opts_dispose(&co);
    if (rc < 0) {
        msg = xasprintf("converting '%s' to %s failed: %s", src, fmt,
                        err.msg);
        fail(diags, pos, spec, NULL, -rc, msg);
        free(msg);
        goto out;
    }
    if ((rc = write_key(keyfile, key)) < 0) {
        msg = xasprintf("cannot write '%s': %s", keyfile, strerror(-rc));
        fail(diags, pos, spec, NULL, -rc, msg);
        free(msg);
    }
out:
    if (lockfd >= 0)
        close(lockfd);
    if (rc < 0) {
        free(res->path);
        res->path = NULL;
    }
    free(lockpath);
    free(keyfile);
    free(key);
    return rc < 0 ? rc : 0;
}

void vxl_convert_result_dispose(vxl_convert_result *r)
{
    free(r->path);
    r->path = NULL;
}

int vxl_pipeline_convert(vxl_domain_config *d, const cfg_config *cfg,
                         const vxl_disk_facts *facts, const char *fmt,
                         const char *cache_dir, bool plan, vxl_diags *diags)
{
    int rc = 0;

    for (int i = 0; i < d->num_disks; i++) {
        vxl_device_disk *k = &d->disks[i];
        vxl_convert_result res;
        cfg_pos pos;
        const char *spec;

        if (!facts[i].needs_convert)
            continue;
        vxl_disk_where(cfg, d, i, &pos, &spec);
        int r = vxl_convert_cached(k->pdev_path, facts[i].src_format, fmt,
                                   cache_dir, plan, &res, &pos, spec, diags);
        if (r < 0) {
            rc = r;
            continue;
        }
        free(k->pdev_path);
        k->pdev_path = res.path;
        k->format = !strcmp(fmt, "raw") ? VXL_DISK_FORMAT_RAW
                                        : VXL_DISK_FORMAT_QCOW2;
        k->vxl_format = NULL;
        k->vxl_given |= VXL_DISK_GIVEN_FORMAT;
        vxl_diag_add(diags, VXL_NOTE, pos.file, pos.line, pos.col, NULL,
                     "disk `%s': %s %s", spec,
                     res.reused ? "using the earlier conversion"
                     : plan ? "would convert to" : "converted to",
                     k->pdev_path);
    }
    return rc;
}

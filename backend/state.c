/* backend/state.c — per-domain records in the run directory, with flock.
 * See state.h for the layout and the liveness rules. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "backend/state.h"
#include "cfgparse/model.h"
#include "common/util.h"

#define RECORD "record.json"

/* ---- small file helpers ------------------------------------------------ */

static int err(vxl_diags *d, int e, const char *path, const char *what)
{
    vxl_diag_add(d, VXL_ERROR, NULL, 0, 0, NULL, "%s %s: %s", what, path,
                 strerror(e));
    return -e;
}

/* mkdir -p for one level below an existing directory, mode 0700 */
static int mkdir_0700(const char *path, vxl_diags *d)
{
    if (mkdir(path, 0700) == 0 || errno == EEXIST)
        return 0;
    return err(d, errno, path, "cannot create");
}

static int write_file_atomic(const char *path, const char *data, size_t len,
                             vxl_diags *d)
{
    char *tmp = xasprintf("%s.tmp.%d", path, (int)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int rc = 0;

    if (fd < 0) {
        rc = err(d, errno, tmp, "cannot create");
        free(tmp);
        return rc;
    }
    for (size_t off = 0; off < len;) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            rc = err(d, errno, tmp, "cannot write");
            break;
        }
        off += (size_t)w;
    }
    if (close(fd) < 0 && !rc)
        rc = err(d, errno, tmp, "cannot write");
    if (!rc && rename(tmp, path) < 0)
        rc = err(d, errno, path, "cannot replace");
    if (rc)
        unlink(tmp);
    free(tmp);
    return rc;
}

static int rm_rf(const char *path)
{
    DIR *dir = opendir(path);
    struct dirent *de;
    int rc = 0;

    if (!dir)
        return errno == ENOENT ? 0 : -errno;
    while ((de = readdir(dir))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        char *p = xasprintf("%s/%s", path, de->d_name);
        struct stat sbuf;
        if (lstat(p, &sbuf) == 0 && S_ISDIR(sbuf.st_mode))
            rc = rm_rf(p) ? -EIO : rc;
        else if (unlink(p) < 0 && errno != ENOENT)
            rc = -errno;
        free(p);
    }
    closedir(dir);
    if (rmdir(path) < 0 && errno != ENOENT)
        rc = -errno;
    return rc;
}

/* ---- processes --------------------------------------------------------- */

const char *vxl_proc_stat(pid_t pid, char *buf, size_t len)
{
    char path[64];
    int fd;
    ssize_t r;

    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    r = read(fd, buf, len - 1);
    close(fd);
    if (r <= 0)
        return NULL;
    buf[r] = 0;
    /* the command name may contain anything: skip to the last ')' */
    char *p = strrchr(buf, ')');
    if (!p || p[1] != ' ')
        return NULL;
    return p + 2;
}

/* starttime (field 22) of /proc/<pid>/stat; 0 when gone or a zombie */
static uint64_t proc_start(pid_t pid)
{
    char buf[1024];
    const char *p = vxl_proc_stat(pid, buf, sizeof buf);

    if (!p || *p == 'Z' || *p == 'X')
        return 0;
    for (int field = 3; field < 22 && p; field++) {
        p = strchr(p, ' ');
        if (p)
            p++;
    }
    return p ? strtoull(p, NULL, 10) : 0;
}

vxl_proc vxl_proc_of(pid_t pid)
{
    vxl_proc p = { pid, pid > 0 ? proc_start(pid) : 0 };
    return p;
}

vxl_proc vxl_proc_self(void)
{
    return vxl_proc_of(getpid());
}

bool vxl_proc_alive(const vxl_proc *p)
{
    return p->pid > 0 && p->start && proc_start(p->pid) == p->start;
}

/* ---- records as JSON --------------------------------------------------- */

static void gen_str(yajl_gen g, const char *k, const char *v)
{
    yajl_gen_string(g, (const unsigned char *)k, strlen(k));
    if (v)
        yajl_gen_string(g, (const unsigned char *)v, strlen(v));
    else
        yajl_gen_null(g);
}

static void gen_int(yajl_gen g, const char *k, long long v)
{
    yajl_gen_string(g, (const unsigned char *)k, strlen(k));
    yajl_gen_integer(g, v);
}

static void gen_proc(yajl_gen g, const char *k, const vxl_proc *p)
{
    yajl_gen_string(g, (const unsigned char *)k, strlen(k));
    yajl_gen_map_open(g);
    gen_int(g, "pid", p->pid);
    gen_int(g, "start", (long long)p->start);
    yajl_gen_map_close(g);
}

static char *record_to_json(const vxl_domrec *r)
{
    yajl_gen g = yajl_gen_alloc(NULL);
    const unsigned char *buf;
    size_t len;
    char *out;

    yajl_gen_config(g, yajl_gen_beautify, 1);
    yajl_gen_map_open(g);
    gen_int(g, "domid", r->domid);
    gen_str(g, "name", r->name);
    gen_str(g, "uuid", r->uuid);
    gen_str(g, "status", r->status);
    gen_proc(g, "creator", &r->creator);
    gen_proc(g, "monitor", &r->monitor);
    gen_proc(g, "qemu", &r->qemu);
    gen_int(g, "start_time", (long long)r->start_time);
    gen_int(g, "memkb", (long long)r->memkb);
    gen_int(g, "max_memkb", (long long)r->max_memkb);
    gen_int(g, "vcpus", r->vcpus);
    gen_int(g, "max_vcpus", r->max_vcpus);
    yajl_gen_map_close(g);
    yajl_gen_get_buf(g, &buf, &len);
    out = xstrndup((const char *)buf, len);
    yajl_gen_free(g);
    return out;
}

static long long get_int(yajl_val root, const char *k1, const char *k2)
{
    const char *path[] = { k1, k2, NULL };
    yajl_val v = yajl_tree_get(root, path, yajl_t_number);
    return v && YAJL_IS_INTEGER(v) ? YAJL_GET_INTEGER(v) : 0;
}

static char *get_str(yajl_val root, const char *k)
{
    const char *path[] = { k, NULL };
    yajl_val v = yajl_tree_get(root, path, yajl_t_string);
    return v ? xstrdup(YAJL_GET_STRING(v)) : NULL;
}

static vxl_proc get_proc(yajl_val root, const char *k)
{
    vxl_proc p = { (pid_t)get_int(root, k, "pid"),
                   (uint64_t)get_int(root, k, "start") };
    return p;
}

static int record_from_json(const char *text, vxl_domrec *r)
{
    char errbuf[128];
    yajl_val root = yajl_tree_parse(text, errbuf, sizeof errbuf);
    char *uuid;

    if (!root || !YAJL_IS_OBJECT(root)) {
        yajl_tree_free(root);
        return -EINVAL;
    }
    memset(r, 0, sizeof *r);
    r->domid = (uint32_t)get_int(root, "domid", NULL);
    r->name = get_str(root, "name");
    uuid = get_str(root, "uuid");
    if (uuid)
        snprintf(r->uuid, sizeof r->uuid, "%s", uuid);
    free(uuid);
    r->status = get_str(root, "status");
    r->creator = get_proc(root, "creator");
    r->monitor = get_proc(root, "monitor");
    r->qemu = get_proc(root, "qemu");
    r->start_time = (uint64_t)get_int(root, "start_time", NULL);
    r->memkb = (uint64_t)get_int(root, "memkb", NULL);
    r->max_memkb = (uint64_t)get_int(root, "max_memkb", NULL);
    r->vcpus = (uint32_t)get_int(root, "vcpus", NULL);
    r->max_vcpus = (uint32_t)get_int(root, "max_vcpus", NULL);
    yajl_tree_free(root);
    if (!r->name || !r->domid) {
        vxl_domrec_dispose(r);
        return -EINVAL;
    }
    return 0;
}

void vxl_domrec_dispose(vxl_domrec *rec)
{
    free(rec->name);
    free(rec->status);
    rec->name = rec->status = NULL;
}

void vxl_domrec_list_free(vxl_domrec *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        vxl_domrec_dispose(&v[i]);
    free(v);
}

bool vxl_domrec_stale(const vxl_domrec *rec)
{
    if (rec->monitor.pid || rec->qemu.pid)
        return !vxl_proc_alive(&rec->monitor) && !vxl_proc_alive(&rec->qemu);
    return !vxl_proc_alive(&rec->creator);
}

/* ---- the run directory ------------------------------------------------- */

char *vxl_state_default_dir(void)
{
    const char *env = getenv("VXL_RUNDIR");
    const char *xdg = getenv("XDG_RUNTIME_DIR");

    if (env && *env)
        return xstrdup(env);
    if (geteuid() == 0)
        return xstrdup("/run/vxl");
    if (xdg && *xdg)
        return xasprintf("%s/vxl", xdg);
    return xasprintf("/tmp/vxl-%u", (unsigned)geteuid());
}

int vxl_state_open(const char *dir, vxl_state **out, vxl_diags *d)
{
    vxl_state *st = xcalloc(1, sizeof *st);
    struct stat sb;
    char *p;
    int rc;

    st->dir = dir ? xstrdup(dir) : vxl_state_default_dir();
    st->lock_fd = -1;
    if ((rc = mkdir_0700(st->dir, d)))
        goto fail;
    if (stat(st->dir, &sb) < 0) {
        rc = err(d, errno, st->dir, "cannot stat");
        goto fail;
    }
    if (sb.st_uid != geteuid()) {
        vxl_diag_add(d, VXL_ERROR, NULL, 0, 0,
                     "set VXL_RUNDIR to a directory of your own",
                     "run directory %s belongs to another user", st->dir);
        rc = -EPERM;
        goto fail;
    }
    p = xasprintf("%s/dom", st->dir);
    rc = mkdir_0700(p, d);
    free(p);
    if (rc)
        goto fail;
    p = xasprintf("%s/lock", st->dir);
    st->lock_fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (st->lock_fd < 0)
        rc = err(d, errno, p, "cannot open");
    free(p);
    if (rc)
        goto fail;
    *out = st;
    return 0;
fail:
    vxl_state_close(st);
    return rc;
}

void vxl_state_close(vxl_state *st)
{
    if (!st)
        return;
    if (st->lock_fd >= 0)
        close(st->lock_fd);
    free(st->dir);
    free(st);
}

int vxl_state_lock(vxl_state *st, vxl_diags *d)
{
    if (st->lock_depth++ > 0)
        return 0;
    while (flock(st->lock_fd, LOCK_EX) < 0) {
        if (errno != EINTR) {
            st->lock_depth--;
            return err(d, errno, st->dir, "cannot lock");
        }
    }
    return 0;
}

void vxl_state_unlock(vxl_state *st)
{
    if (st->lock_depth > 0 && --st->lock_depth == 0)
        flock(st->lock_fd, LOCK_UN);
}

char *vxl_state_domdir(const vxl_state *st, uint32_t domid)
{
    return xasprintf("%s/dom/%u", st->dir, domid);
}

static char *record_path(const vxl_state *st, uint32_t domid)
{
    return xasprintf("%s/dom/%u/" RECORD, st->dir, domid);
}

int vxl_state_read(vxl_state *st, uint32_t domid, vxl_domrec *rec,
                   vxl_diags *d)
{
    char *path = record_path(st, domid);
    char *text = read_file_str(path);
    int rc;

    if (!text) {
        int e = errno;
        rc = e == ENOENT ? -ESRCH : err(d, e, path, "cannot read");
        free(path);
        return rc;
    }
    rc = record_from_json(text, rec);
    if (rc)
        vxl_diag_add(d, VXL_ERROR, path, 0, 0, NULL, "corrupt domain record");
    free(text);
    free(path);
    return rc;
}

static int write_record(vxl_state *st, const vxl_domrec *rec, vxl_diags *d)
{
    char *path = record_path(st, rec->domid);
    char *json = record_to_json(rec);
    int rc = write_file_atomic(path, json, strlen(json), d);
    free(json);
    free(path);
    return rc;
}

int vxl_state_write(vxl_state *st, const vxl_domrec *rec, vxl_diags *d)
{
    char *dir = vxl_state_domdir(st, rec->domid);
    int rc = vxl_state_lock(st, d);

    if (rc)
        goto out;
    if (access(dir, F_OK) < 0) {
        vxl_diag_add(d, VXL_ERROR, NULL, 0, 0, NULL, "no domain with id %u",
                     rec->domid);
        rc = -ESRCH;
    } else
        rc = write_record(st, rec, d);
    vxl_state_unlock(st);
out:
    free(dir);
    return rc;
}

static int cmp_domid(const void *a, const void *b)
{
    const vxl_domrec *x = a, *y = b;
    return x->domid < y->domid ? -1 : x->domid > y->domid;
}

/* Every readable record, unsorted, without cleaning. */
static int scan(vxl_state *st, vxl_domrec **v, size_t *n, vxl_diags *d)
{
    char *path = xasprintf("%s/dom", st->dir);
    DIR *dir = opendir(path);
    struct dirent *de;
    size_t cap = 0;

    *v = NULL;
    *n = 0;
    if (!dir) {
        int rc = err(d, errno, path, "cannot open");
        free(path);
        return rc;
    }
    free(path);
    while ((de = readdir(dir))) {
        char *end;
        unsigned long id = strtoul(de->d_name, &end, 10);
        vxl_domrec r;
        vxl_diags ignored = {0};
        if (*end || end == de->d_name || id == 0 || id > VXL_DOMID_LAST)
            continue;
        int rrc = vxl_state_read(st, (uint32_t)id, &r, &ignored);
        vxl_diags_free(&ignored);
        if (rrc != 0) {
            /* a directory without a (valid) record: being set up, or
             * debris; reported as a nameless record so gc can see it */
            memset(&r, 0, sizeof r);
            r.domid = (uint32_t)id;
        }
        if (*n == cap) {
            cap = cap ? 2 * cap : 16;
            *v = xreallocarray(*v, cap, sizeof **v);
        }
        (*v)[(*n)++] = r;
    }
    closedir(dir);
    return 0;
}

/* A directory without a record older than this is debris. */
#define ORPHAN_AGE_S 60

static bool orphan_debris(vxl_state *st, uint32_t domid)
{
    char *dir = vxl_state_domdir(st, domid);
    struct stat sb;
    bool old = stat(dir, &sb) == 0 && time(NULL) - sb.st_mtime > ORPHAN_AGE_S;
    free(dir);
    return old;
}

int vxl_state_gc(vxl_state *st, vxl_diags *d)
{
    vxl_domrec *v;
    size_t n;
    int rc, removed = 0;

    if ((rc = vxl_state_lock(st, d)))
        return rc;
    if ((rc = scan(st, &v, &n, d)))
        goto out;
    for (size_t i = 0; i < n; i++) {
        bool stale = v[i].name ? vxl_domrec_stale(&v[i])
                               : orphan_debris(st, v[i].domid);
        if (stale && vxl_state_remove(st, v[i].domid, d) == 0)
            removed++;
    }
    vxl_domrec_list_free(v, n);
    rc = removed;
out:
    vxl_state_unlock(st);
    return rc;
}

int vxl_state_list(vxl_state *st, vxl_domrec **v, size_t *n, vxl_diags *d)
{
    vxl_domrec *all;
    size_t nall, k = 0;
    int rc;

    if ((rc = vxl_state_gc(st, d)) < 0)
        return rc;
    if ((rc = scan(st, &all, &nall, d)))
        return rc;
    for (size_t i = 0; i < nall; i++) {        /* drop nameless records */
        if (all[i].name)
            all[k++] = all[i];
    }
    if (k)
        qsort(all, k, sizeof *all, cmp_domid);
    *v = all;
    *n = k;
    return 0;
}

int vxl_state_remove(vxl_state *st, uint32_t domid, vxl_diags *d)
{
    char *dir = vxl_state_domdir(st, domid);
    int rc = rm_rf(dir);
    if (rc)
        err(d, -rc, dir, "cannot remove");
    free(dir);
    return rc;
}

/* Under the lock: the id of the live record called `name', or 0. */
static uint32_t name_taken(vxl_domrec *v, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (v[i].name && !strcmp(v[i].name, name))
            return v[i].domid;
    return 0;
}

static uint32_t read_next_domid(vxl_state *st)
{
    char *path = xasprintf("%s/next-domid", st->dir);
    char *text = read_file_str(path);
    unsigned long id = text ? strtoul(text, NULL, 10) : 0;
    free(text);
    free(path);
    return id >= VXL_DOMID_FIRST && id <= VXL_DOMID_LAST ? (uint32_t)id
                                                         : VXL_DOMID_FIRST;
}

static bool id_used(vxl_domrec *v, size_t n, uint32_t id)
{
    for (size_t i = 0; i < n; i++)
        if (v[i].domid == id)
            return true;
    return false;
}

int vxl_state_reserve(vxl_state *st, vxl_domrec *rec, vxl_diags *d)
{
    vxl_domrec *v = NULL;
    size_t n = 0;
    uint32_t id, first;
    char *dir = NULL, *path, num[16];
    int rc;

    if (!rec->name || !*rec->name) {
        vxl_diag_add(d, VXL_ERROR, NULL, 0, 0, NULL, "a domain needs a name");
        return -EINVAL;
    }
    if ((rc = vxl_state_lock(st, d)))
        return rc;
    if ((rc = vxl_state_gc(st, d)) < 0 || (rc = scan(st, &v, &n, d)))
        goto out;
    if (name_taken(v, n, rec->name)) {
        vxl_diag_add(d, VXL_ERROR, NULL, 0, 0, NULL,
                     "domain with name \"%s\" already exists", rec->name);
        rc = -EEXIST;
        goto out;
    }
    id = first = read_next_domid(st);
    while (id_used(v, n, id)) {
        id = id >= VXL_DOMID_LAST ? VXL_DOMID_FIRST : id + 1;
        if (id == first) {
            vxl_diag_add(d, VXL_ERROR, NULL, 0, 0, NULL, "no free domain id");
            rc = -ENOSPC;
            goto out;
        }
    }
    rec->domid = id;
    if (!rec->creator.pid)
        rec->creator = vxl_proc_self();
    if (!rec->start_time)
        rec->start_time = (uint64_t)time(NULL);
    if (!rec->uuid[0]) {
        vxl_uuid u;
        vxl_uuid_generate(&u);
        vxl_uuid_to_string(&u, rec->uuid);
    }
    dir = vxl_state_domdir(st, id);
    if (mkdir(dir, 0700) < 0) {
        rc = err(d, errno, dir, "cannot create");
        goto out;
    }
    if ((rc = write_record(st, rec, d))) {
        rm_rf(dir);
        goto out;
    }
    path = xasprintf("%s/next-domid", st->dir);
    snprintf(num, sizeof num, "%u",
             id >= VXL_DOMID_LAST ? VXL_DOMID_FIRST : id + 1);
    rc = write_file_atomic(path, num, strlen(num), d);
    free(path);
out:
    free(dir);
    vxl_domrec_list_free(v, n);
    vxl_state_unlock(st);
    return rc;
}

int vxl_state_rename(vxl_state *st, uint32_t domid, const char *new_name,
                     vxl_diags *d)
{
    vxl_domrec *v = NULL, rec = {0};
    size_t n = 0;
    uint32_t other;
    int rc;

    if (!new_name || !*new_name) {
        vxl_diag_add(d, VXL_ERROR, NULL, 0, 0, NULL, "a domain needs a name");
        return -EINVAL;
    }
    if ((rc = vxl_state_lock(st, d)))
        return rc;
    if ((rc = scan(st, &v, &n, d)))
        goto out;
    other = name_taken(v, n, new_name);
    if (other && other != domid) {
        vxl_diag_add(d, VXL_ERROR, NULL, 0, 0, NULL,
                     "domain with name \"%s\" already exists", new_name);
        rc = -EEXIST;
        goto out;
    }
    if ((rc = vxl_state_read(st, domid, &rec, d))) {
        if (rc == -ESRCH)
            vxl_diag_add(d, VXL_ERROR, NULL, 0, 0, NULL,
                         "no domain with id %u", domid);
        goto out;
    }
    free(rec.name);
    rec.name = xstrdup(new_name);
    rc = write_record(st, &rec, d);
    vxl_domrec_dispose(&rec);
out:
    vxl_domrec_list_free(v, n);
    vxl_state_unlock(st);
    return rc;
}

int vxl_state_find_name(vxl_state *st, const char *name, uint32_t *domid,
                        vxl_diags *d)
{
    vxl_domrec *v;
    size_t n;
    int rc = vxl_state_list(st, &v, &n, d);
    uint32_t id;

    if (rc)
        return rc;
    id = name_taken(v, n, name);
    vxl_domrec_list_free(v, n);
    if (!id)
        return -ESRCH;
    *domid = id;
    return 0;
}

/* Unit tests for pipeline/: temporary overlays written through the image
 * library leave the base untouched and nothing on disk; the conversion
 * cache converts once, reuses while the source is unchanged, and
 * converts again when it changes; validation through the library API
 * (positions without a cfg, facts).  Images are made here with the
 * library itself. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <dirent.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/util.h"
#include "disk/disk.h"
#include "pipeline/pipeline.h"

static char dir[] = "/tmp/vxl-pipeline.XXXXXX";

static char *p(const char *name) { return xasprintf("%s/%s", dir, name); }

static int setup(void **s) { return mkdtemp(dir) ? 0 : -1; }
static int teardown(void **s)
{
    char *cmd = xasprintf("rm -rf %s", dir);
    int rc = system(cmd);
    free(cmd);
    return rc ? -1 : 0;
}

/* a 1 MiB image of `fmt' whose byte i is (i * 7 + seed) & 0xff */
static void make_image(const char *path, const char *fmt, int seed)
{
    struct vdisk_create_opts o;
    struct vdisk_open_opts oo = { .format = fmt, .flags = VDISK_RDWR };
    struct vdisk *d;
    uint8_t *buf = xmalloc(1 << 20);

    vdisk_create_opts_init(&o, fmt);
    o.size = 1 << 20;
    o.size_set = true;
    assert_int_equal(vdisk_create(path, &o, NULL), 0);
    vdisk_create_opts_dispose(&o);
    for (size_t i = 0; i < (1u << 20); i++)
        buf[i] = (uint8_t)(i * 7 + seed);
    assert_int_equal(vdisk_open(path, &oo, &d, NULL), 0);
    assert_int_equal(vdisk_pwrite(d, buf, 1 << 20, 0, NULL), 0);
    assert_int_equal(vdisk_close(d, NULL), 0);
    free(buf);
}

static char *file_bytes(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    strbuf sb = {0};
    char b[65536];
    size_t r;
    assert_non_null(f);
    while ((r = fread(b, 1, sizeof b, f)) > 0)
        sb_append(&sb, b, r);
    fclose(f);
    *n = sb.len;
    return sb_steal(&sb);
}

static int entries(const char *d)
{
    DIR *dh = opendir(d);
    struct dirent *e;
    int n = 0;
    assert_non_null(dh);
    while ((e = readdir(dh)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(dh);
    return n;
}

static void overlay_keeps_base_and_leaves_nothing(void **state)
{
    char *base = p("base.img"), *tmp = p("tmp");
    size_t n0, n1;
    vxl_diags dg = {0};
    int fd;

    make_image(base, "raw", 1);
    char *before = file_bytes(base, &n0);
    assert_int_equal(mkdir(tmp, 0700), 0);

    assert_int_equal(vxl_snapshot_overlay(base, "raw", tmp, &fd, NULL, "x",
                                          &dg), 0);
    assert_true(fd > 2);
    assert_int_equal(entries(tmp), 0);         /* nothing on disk */
    assert_int_equal(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);   /* inheritable */

    /* the guest's view: read the base through it, write, read back */
    char *path = xasprintf("/proc/self/fd/%d", fd);
    struct vdisk_open_opts oo = { .format = "qcow2", .flags = VDISK_RDWR };
    struct vdisk *d;
    uint8_t buf[4096], want[4096];
    assert_int_equal(vdisk_open(path, &oo, &d, NULL), 0);
    assert_int_equal(vdisk_size(d), 1 << 20);
    assert_int_equal(vdisk_pread(d, buf, sizeof buf, 8192, NULL), 0);
    assert_int_equal(buf[5], (uint8_t)((8192 + 5) * 7 + 1));
    memset(want, 0xab, sizeof want);
    assert_int_equal(vdisk_pwrite(d, want, sizeof want, 0, NULL), 0);
    assert_int_equal(vdisk_pwrite(d, want, sizeof want, 500000, NULL), 0);
    assert_int_equal(vdisk_flush(d, NULL), 0);
    assert_int_equal(vdisk_pread(d, buf, sizeof buf, 0, NULL), 0);
    assert_memory_equal(buf, want, sizeof want);
    assert_int_equal(vdisk_close(d, NULL), 0);

    /* the base is byte for byte what it was */
    char *after = file_bytes(base, &n1);
    assert_int_equal(n0, n1);
    assert_memory_equal(before, after, n0);
    close(fd);
    assert_int_equal(entries(tmp), 0);
    free(before);
    free(after);
    free(path);
    free(base);
    free(tmp);
    vxl_diags_free(&dg);
}

static void overlay_errors_name_the_disk(void **state)
{
    vxl_diags dg = {0};
    cfg_pos pos = { "g.cfg", 4, 10 };
    int fd;
    char *missing = p("nope.img");

    assert_int_equal(vxl_snapshot_overlay(missing, "raw", dir, &fd, &pos,
                                          "vdev=xvda", &dg), -ENOENT);
    assert_int_equal(fd, -1);
    assert_int_equal(dg.nerrors, 1);
    assert_string_equal(dg.v[0].file, "g.cfg");
    assert_int_equal(dg.v[0].line, 4);
    char *want = xasprintf("disk `vdev=xvda': '%s': No such file or "
                           "directory", missing);
    assert_string_equal(dg.v[0].msg, want);
    free(want);
    free(missing);
    vxl_diags_free(&dg);
}

static void conversion_cache(void **state)
{
    char *src = p("src.qcow2"), *cache = p("cache");
    vxl_convert_result r1, r2, r3, plan;
    vxl_diags dg = {0};
    struct stat st1, st2, st3;

    make_image(src, "qcow2", 3);
    /* plan (create -n): a path, nothing written */
    assert_int_equal(vxl_convert_cached(src, "qcow2", "raw", cache, true,
                                        &plan, NULL, "s", &dg), 0);
    assert_false(plan.reused);
    assert_int_equal(access(cache, F_OK), -1);

    assert_int_equal(vxl_convert_cached(src, "qcow2", "raw", cache, false,
                                        &r1, NULL, "s", &dg), 0);
    assert_false(r1.reused);
    assert_string_equal(r1.path, plan.path);
    assert_int_equal(stat(r1.path, &st1), 0);
    assert_int_equal(st1.st_size, 1 << 20);
    /* the content is the source's */
    size_t n;
    uint8_t *raw = (uint8_t *)file_bytes(r1.path, &n);
    assert_int_equal(n, 1 << 20);
    assert_int_equal(raw[12345], (uint8_t)(12345 * 7 + 3));
    free(raw);

    /* unchanged source: the same file is reused */
    assert_int_equal(vxl_convert_cached(src, "qcow2", "raw", cache, false,
                                        &r2, NULL, "s", &dg), 0);
    assert_true(r2.reused);
    assert_string_equal(r2.path, r1.path);
    assert_int_equal(stat(r2.path, &st2), 0);
    assert_int_equal(st2.st_ino, st1.st_ino);

    /* a changed source (new mtime): a new conversion */
    struct timespec ts[2] = { { 0, UTIME_OMIT }, { 1000000000, 0 } };
    assert_int_equal(utimensat(AT_FDCWD, src, ts, 0), 0);
    assert_int_equal(vxl_convert_cached(src, "qcow2", "raw", cache, false,
                                        &r3, NULL, "s", &dg), 0);
    assert_false(r3.reused);
    assert_string_not_equal(r3.path, r1.path);
    assert_int_equal(stat(r3.path, &st3), 0);

    /* a damaged key never hands over another image */
    char *key = xasprintf("%s.key", r3.path);
    FILE *f = fopen(key, "w");
    fputs("something else\n", f);
    fclose(f);
    vxl_convert_result r4;
    assert_int_equal(vxl_convert_cached(src, "qcow2", "raw", cache, false,
                                        &r4, NULL, "s", &dg), 0);
    assert_false(r4.reused);
    assert_int_equal(dg.nerrors, 0);
    struct stat dst;
    assert_int_equal(stat(cache, &dst), 0);
    assert_int_equal(dst.st_mode & 0777, 0700);

    free(key);
    vxl_convert_result_dispose(&plan);
    vxl_convert_result_dispose(&r1);
    vxl_convert_result_dispose(&r2);
    vxl_convert_result_dispose(&r3);
    vxl_convert_result_dispose(&r4);
    free(src);
    free(cache);
    vxl_diags_free(&dg);
}

static void validate_without_cfg(void **state)
{
    vxl_domain_config d;
    vxl_diags dg = {0};
    vxl_disk_facts *facts = NULL;
    char *q = p("v.qcow2");
    vxl_validate_opts o = { .backend = "xen" };

    make_image(q, "qcow2", 5);
    vxl_domain_config_init(&d);
    vxl_domain_build_info_init_type(&d.b_info, VXL_DOMAIN_TYPE_PV);
    d.c_info.type = VXL_DOMAIN_TYPE_PV;
    vxl_device_disk *k = vxl_domain_config_add_disk(&d);
    k->pdev_path = xstrdup(q);
    k->vdev = xstrdup("xvda");
    k->format = VXL_DISK_FORMAT_QCOW2;
    k->vxl_given = VXL_DISK_GIVEN_FORMAT;
    k->readwrite = 1;
    assert_int_equal(vxl_validate(&d, &o, &facts, &dg), 0);
    assert_string_equal(facts[0].probed, "qcow2");
    assert_false(facts[0].needs_convert);
    free(facts);

    k->format = VXL_DISK_FORMAT_RAW;
    assert_int_equal(vxl_validate(&d, &o, NULL, &dg), -EINVAL);
    assert_int_equal(dg.nerrors, 1);
    assert_null(dg.v[0].file);      /* no cfg: no position ... */
    char *want = xasprintf("disk `vdev=xvda': '%s' is a qcow2 image, not "
                           "raw (format=raw)", q);
    assert_string_equal(dg.v[0].msg, want);     /* ... but the disk */
    free(want);
    free(q);
    vxl_domain_config_dispose(&d);
    vxl_diags_free(&dg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(overlay_keeps_base_and_leaves_nothing),
        cmocka_unit_test(overlay_errors_name_the_disk),
        cmocka_unit_test(conversion_cache),
        cmocka_unit_test(validate_without_cfg),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

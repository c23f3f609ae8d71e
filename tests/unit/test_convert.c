/* Unit tests for the convert engine (disk/convert.c), in-process through
 * the disk library: content round trips raw <-> qcow2 (serial, threaded,
 * compressed, out of order), sparse output, cancellation and failure
 * leave no file behind, progress is monotonic and ends at the total. */
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
#include <unistd.h>
#include <dirent.h>
#include <cmocka.h>

#include "common/util.h"
#include "disk/convert.h"

#define SIZE (8u << 20)

static char dir[64];

static char *path(const char *name)
{
    return xasprintf("%s/%s", dir, name);
}

/* A raw source: random data at a few places, zeros elsewhere (holes). */
static char *make_source(const char *name, unsigned seed)
{
    char *p = path(name);
    int fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0644);
    uint8_t buf[70000];
    static const uint64_t at[] = { 0, 3 << 20, (5 << 20) + 4096, SIZE - 70000 };

    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, SIZE), 0);
    srand(seed);
    for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
        for (size_t k = 0; k < sizeof(buf); k++)
            buf[k] = (uint8_t)(i == 1 ? (int)(k % 7) : rand()); /* one compressible */
        assert_int_equal(pwrite(fd, buf, sizeof(buf), at[i]), sizeof(buf));
    }
    close(fd);
    return p;
}

/* Read a whole image through the library. */
static uint8_t *read_image(const char *p, const char *fmt, uint64_t *size)
{
    struct vdisk_open_opts o = { .format = fmt };
    struct vdisk *d = NULL;
    struct vdisk_err err = {0};

    if (vdisk_open(p, &o, &d, &err) < 0)
        fail_msg("open %s: %s", p, err.msg);
    *size = vdisk_size(d);
    uint8_t *b = xmalloc(*size);
    assert_int_equal(vdisk_pread(d, b, *size, 0, &err), 0);
    vdisk_close(d, NULL);
    return b;
}

static int convert(const char *src, const char *sfmt, const char *dst,
                   const char *dfmt, bool compress, int workers, bool ooo,
                   volatile int *cancel, struct vdisk_err *err)
{
    struct vdisk_create_opts co;
    const char *srcs[] = { src };
    struct vconvert_opts o = {
        .src = srcs, .nsrc = 1, .src_format = sfmt, .dst = dst, .create = &co,
        .compress = compress, .min_sparse = VCONVERT_DEFAULT_MIN_SPARSE,
        .workers = workers, .out_of_order = ooo, .cancel = cancel,
    };
    vdisk_create_opts_init(&co, dfmt);
    int rc = vconvert(&o, err);
    vdisk_create_opts_dispose(&co);
    return rc;
}

static void expect_same(const char *a, const char *afmt, const char *b, const char *bfmt)
{
    uint64_t sa, sb;
    uint8_t *x = read_image(a, afmt, &sa), *y = read_image(b, bfmt, &sb);
    assert_true(sb >= sa);
    assert_memory_equal(x, y, sa);
    free(x);
    free(y);
}

static bool temp_files_left(void)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    bool found = false;

    while ((e = readdir(d)))
        if (strstr(e->d_name, ".vxl-"))
            found = true;
    closedir(d);
    return found;
}

static void round_trips(void **state)
{
    char *src = make_source("src.raw", 1);
    static const struct { const char *fmt; bool c; int w; bool ooo; } v[] = {
        { "qcow2", false, 1, false }, { "qcow2", false, 4, false },
        { "qcow2", true, 1, false }, { "qcow2", true, 4, true },
        { "raw", false, 1, false }, { "raw", false, 4, true },
    };
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        struct vdisk_err err = {0};
        char *dst = path("dst.img"), *back = path("back.raw");
        if (convert(src, "raw", dst, v[i].fmt, v[i].c, v[i].w, v[i].ooo, NULL, &err) < 0)
            fail_msg("case %zu: %s", i, err.msg);
        expect_same(src, "raw", dst, v[i].fmt);
        /* and back to raw, through the threaded reader */
        if (convert(dst, v[i].fmt, back, "raw", false, 3, false, NULL, &err) < 0)
            fail_msg("case %zu back: %s", i, err.msg);
        expect_same(src, "raw", back, "raw");
        struct stat st;
        assert_int_equal(stat(back, &st), 0);
        assert_true((uint64_t)st.st_blocks * 512 < SIZE / 2);   /* sparse */
        unlink(dst);
        unlink(back);
        free(dst);
        free(back);
    }
    assert_false(temp_files_left());
    unlink(src);
    free(src);
}

static void cancel_leaves_nothing(void **state)
{
    char *src = make_source("c.raw", 2), *dst = path("c.qcow2");
    volatile int cancel = 1;
    struct vdisk_err err = {0};

    assert_int_equal(convert(src, "raw", dst, "qcow2", true, 2, false, &cancel, &err),
                     -ECANCELED);
    assert_int_equal(access(dst, F_OK), -1);
    assert_false(temp_files_left());
    unlink(src);
    free(src);
    free(dst);
}

static void missing_source_keeps_destination(void **state)
{
    char *src = path("nope.raw"), *dst = path("keep.img");
    FILE *f = fopen(dst, "w");
    struct vdisk_err err = {0};
    char line[32] = "";

    fputs("precious\n", f);
    fclose(f);
    assert_true(convert(src, "raw", dst, "qcow2", false, 1, false, NULL, &err) < 0);
    f = fopen(dst, "r");
    assert_non_null(fgets(line, sizeof(line), f));
    fclose(f);
    assert_string_equal(line, "precious\n");
    assert_false(temp_files_left());
    unlink(dst);
    free(src);
    free(dst);
}

static void same_file_refused(void **state)
{
    char *src = make_source("same.raw", 3);
    struct vdisk_err err = {0};

    assert_int_equal(convert(src, "raw", src, "raw", false, 1, false, NULL, &err), -EINVAL);
    unlink(src);
    free(src);
}

struct prog { uint64_t last, total, calls; bool backwards; };

static void on_progress(void *opaque, uint64_t done, uint64_t total)
{
    struct prog *p = opaque;
    if (done < p->last || done > total)
        p->backwards = true;
    p->last = done;
    p->total = total;
    p->calls++;
}

static void progress_monotonic(void **state)
{
    char *src = make_source("p.raw", 4), *dst = path("p.qcow2");
    struct vdisk_create_opts co;
    const char *srcs[] = { src };
    struct prog pr = {0};
    struct vconvert_opts o = {
        .src = srcs, .nsrc = 1, .src_format = "raw", .dst = dst, .create = &co,
        .min_sparse = 4096, .workers = 2, .progress = on_progress,
        .progress_opaque = &pr,
    };
    struct vdisk_err err = {0};

    vdisk_create_opts_init(&co, "qcow2");
    assert_int_equal(vconvert(&o, &err), 0);
    vdisk_create_opts_dispose(&co);
    assert_false(pr.backwards);
    assert_true(pr.calls > 1);
    assert_int_equal(pr.last, SIZE);
    assert_int_equal(pr.total, SIZE);
    unlink(src);
    unlink(dst);
    free(src);
    free(dst);
}

static int setup(void **state)
{
    strcpy(dir, "/tmp/vxl-convert-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    return rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trips),
        cmocka_unit_test(cancel_leaves_nothing),
        cmocka_unit_test(missing_source_keeps_destination),
        cmocka_unit_test(same_file_refused),
        cmocka_unit_test(progress_monotonic),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

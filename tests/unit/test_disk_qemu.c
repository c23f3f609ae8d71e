/* Cross-checks of disk/ against qemu-img: images qemu-img makes (every
 * qcow2 variant) read back identically through vdisk; images vdisk
 * writes pass `qemu-img check` and `qemu-img compare`.  Images are made
 * at test time in a temp dir.  Skips (passes nothing) without qemu-img. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/util.h"
#include "disk/disk.h"

static char tmpdir[] = "/tmp/vxl-disk-qemu.XXXXXX";
#define SRC_SIZE (3u << 20)
static uint8_t *src;

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *cmd = xvasprintf(fmt, ap);
    va_end(ap);
    char *full = xasprintf("cd %s && (%s) >/dev/null 2>&1", tmpdir, cmd);
    int rc = system(full);
    free(cmd);
    free(full);
    return rc;
}

static char *p(const char *name)
{
    return xasprintf("%s/%s", tmpdir, name);
}

static int setup(void **state)
{
    if (system("qemu-img --version >/dev/null 2>&1") != 0)
        return -1;
    if (!mkdtemp(tmpdir))
        return -1;
    /* data, zeros, compressible text and holes, at odd offsets */
    src = xcalloc(1, SRC_SIZE);
    uint32_t x = 12345;
    for (size_t i = 0; i < SRC_SIZE; i++) {
        size_t mb = i >> 18;
        if (mb % 4 == 0) {
            x = x * 1103515245 + 12345;
            src[i] = (uint8_t)(x >> 16);
        } else if (mb % 4 == 1) {
            src[i] = "vxl disk image test "[i % 20];
        } else if (mb % 4 == 2 && (i & 4095) < 100) {
            src[i] = (uint8_t)i;
        }
    }
    char *path = p("src.raw");
    FILE *f = fopen(path, "wb");
    free(path);
    if (!f || fwrite(src, 1, SRC_SIZE, f) != SRC_SIZE)
        return -1;
    fclose(f);
    return 0;
}

static int teardown(void **state)
{
    char *cmd = xasprintf("rm -rf %s", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    free(cmd);
    free(src);
    return 0;
}

static void read_all_and_compare(const char *name, const char *fmt)
{
    char *path = p(name);
    struct vdisk_open_opts o = { .format = fmt };
    struct vdisk *d;
    struct vdisk_err err = {0};
    int rc = vdisk_open(path, &o, &d, &err);
    if (rc < 0)
        fail_msg("%s: %s", name, err.msg);
    assert_int_equal(vdisk_size(d), SRC_SIZE);
    uint8_t *buf = xmalloc(SRC_SIZE);
    /* odd-sized chunks cross cluster and table boundaries */
    for (uint64_t off = 0; off < SRC_SIZE;) {
        size_t n = 77777;
        if (off + n > SRC_SIZE)
            n = SRC_SIZE - off;
        rc = vdisk_pread(d, buf + off, n, off, &err);
        if (rc < 0)
            fail_msg("%s: %s", name, err.msg);
        off += n;
    }
    assert_memory_equal(buf, src, SRC_SIZE);
    /* block status covers the image exactly, and zero runs read zero */
    uint64_t off = 0;
    while (off < SRC_SIZE) {
        struct vdisk_extent e;
        assert_int_equal(vdisk_block_status(d, off, SRC_SIZE - off, true, &e,
                                             &err), 0);
        assert_int_equal(e.off, off);
        assert_true(e.len > 0);
        if (e.flags & VDISK_EXT_ZERO)
            for (uint64_t i = 0; i < e.len; i++)
                assert_int_equal(src[off + i], 0);
        off += e.len;
    }
    assert_int_equal(off, SRC_SIZE);
    free(buf);
    vdisk_close(d, NULL);
    free(path);
}

static const char *const variants[] = {
    "compat=1.1", "compat=0.10", "cluster_size=512", "cluster_size=2M",
    "refcount_bits=1", "refcount_bits=64,cluster_size=4k",
    "extended_l2=on", "extended_l2=on,cluster_size=2M", "lazy_refcounts=on",
    "compression_type=zstd",
};

static void qemu_images_read_identically(void **state)
{
    for (size_t i = 0; i < ARRAY_SIZE(variants); i++) {
        for (int c = 0; c < 2; c++) {
            assert_int_equal(sh("rm -f q.qcow2 && qemu-img convert %s -O qcow2"
                                " -o %s src.raw q.qcow2", c ? "-c" : "",
                                variants[i]), 0);
            read_all_and_compare("q.qcow2", "qcow2");
            read_all_and_compare("q.qcow2", NULL);    /* probed */
        }
    }
}

static void write_image(const char *name, const char *opts, bool compress)
{
    char *path = p(name);
    struct vdisk_create_opts co;
    struct vdisk_err err = {0};
    vdisk_create_opts_init(&co, "qcow2");
    co.size = SRC_SIZE;
    co.size_set = true;
    if (opts && vdisk_create_opts_parse(&co, opts, &err) < 0)
        fail_msg("%s: %s", opts, err.msg);
    if (vdisk_create(path, &co, &err) < 0)
        fail_msg("create %s: %s", opts, err.msg);
    vdisk_create_opts_dispose(&co);
    struct vdisk_open_opts o = { .format = "qcow2", .flags = VDISK_RDWR };
    struct vdisk *d;
    if (vdisk_open(path, &o, &d, &err) < 0)
        fail_msg("open %s: %s", opts, err.msg);
    uint32_t cs = vdisk_cluster_size(d);
    if (compress) {
        for (uint64_t off = 0; off < SRC_SIZE; off += cs)
            if (vdisk_pwrite_compressed(d, src + off, SRC_SIZE - off < cs ?
                                        SRC_SIZE - off : cs, off, &err) < 0)
                fail_msg("compressed write: %s", err.msg);
    } else {
        /* unaligned pieces, then overwrite some in place */
        for (uint64_t off = 0; off < SRC_SIZE;) {
            size_t n = 100003;
            if (off + n > SRC_SIZE)
                n = SRC_SIZE - off;
            if (vdisk_pwrite(d, src + off, n, off, &err) < 0)
                fail_msg("write: %s", err.msg);
            off += n;
        }
        assert_int_equal(vdisk_pwrite(d, src + 4097, 5000, 4097, &err), 0);
    }
    /* zero a range that is already zero in src: exercises zero clusters */
    assert_int_equal(vdisk_pwrite_zeroes(d, 3u << 18, 1u << 18,
                                         VDISK_ZERO_MAY_UNMAP, &err), 0);
    assert_int_equal(vdisk_close(d, &err), 0);
    free(path);
}

static void vdisk_images_pass_qemu_check(void **state)
{
    static const char *const wopts[] = {
        NULL, "compat=0.10", "cluster_size=512,refcount_bits=64",
        "cluster_size=2M", "refcount_bits=1", "refcount_bits=4",
        "extended_l2=on", "compression_type=zstd", "lazy_refcounts=on",
    };
    for (size_t i = 0; i < ARRAY_SIZE(wopts); i++) {
        for (int c = 0; c < 2; c++) {
            write_image("w.qcow2", wopts[i], c);
            if (sh("qemu-img check w.qcow2") != 0)
                fail_msg("qemu-img check failed for %s%s", wopts[i] ? wopts[i]
                         : "defaults", c ? " (compressed)" : "");
            if (sh("qemu-img compare -f raw -F qcow2 src.raw w.qcow2") != 0)
                fail_msg("qemu-img compare failed for %s", wopts[i]);
            read_all_and_compare("w.qcow2", "qcow2");
        }
    }
}

static void backing_chain_and_snapshots(void **state)
{
    assert_int_equal(sh("rm -f base.qcow2 mid.qcow2 top.qcow2 && "
                        "qemu-img convert -O qcow2 src.raw base.qcow2 && "
                        "qemu-img create -f qcow2 -b base.qcow2 -F qcow2 "
                        "mid.qcow2 && qemu-img create -f qcow2 -b mid.qcow2 "
                        "-F qcow2 top.qcow2"), 0);
    char *path = p("top.qcow2");
    struct vdisk_open_opts o = { .format = "qcow2", .flags = VDISK_RDWR };
    struct vdisk *d;
    struct vdisk_err err = {0};
    assert_int_equal(vdisk_open(path, &o, &d, &err), 0);
    /* partial-cluster writes copy the rest from the backing chain */
    memset(src + 1000, 0xab, 3000);
    assert_int_equal(vdisk_pwrite(d, src + 1000, 3000, 1000, &err), 0);
    struct vdisk_extent e;
    assert_int_equal(vdisk_block_status(d, 1u << 20, 4096, true, &e, &err), 0);
    assert_int_equal(e.depth, 2);
    assert_int_equal(vdisk_snapshot_create(d, "s1", &err), 0);
    memset(src + 70000, 0xcd, 70000);
    assert_int_equal(vdisk_pwrite(d, src + 70000, 70000, 70000, &err), 0);
    assert_int_equal(vdisk_close(d, &err), 0);
    assert_int_equal(sh("qemu-img check top.qcow2"), 0);
    assert_int_equal(sh("qemu-img convert -O raw top.qcow2 top.raw"), 0);
    read_all_and_compare("top.raw", "raw");
    assert_int_equal(sh("qemu-img snapshot -l top.qcow2 | grep -q s1"), 0);
    /* revert to s1: the second write disappears */
    assert_int_equal(vdisk_open(path, &o, &d, &err), 0);
    assert_int_equal(vdisk_snapshot_apply(d, "s1", &err), 0);
    assert_int_equal(vdisk_snapshot_delete(d, "1", &err), 0);
    assert_int_equal(vdisk_close(d, &err), 0);
    assert_int_equal(sh("qemu-img check top.qcow2"), 0);
    assert_int_equal(sh("qemu-img convert -O raw top.qcow2 top2.raw && "
                        "qemu-img convert -O raw base.qcow2 base.raw && "
                        "cmp -s top2.raw top.raw"), 256);
    free(path);
}

static void check_matches_qemu_on_leaks(void **state)
{
    /* a leaked cluster: allocate via qemu, then drop the L2 reference */
    assert_int_equal(sh("rm -f l.qcow2 && qemu-img create -f qcow2 l.qcow2 1M"
                        " && qemu-io -c 'write 0 64k' -c 'write 128k 64k' "
                        "l.qcow2"), 0);
    char *path = p("l.qcow2");
    /* L2 table is cluster 4; its second used entry is index 2 */
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    uint8_t zero[8] = {0};
    assert_int_equal(fseek(f, 4 * 65536 + 2 * 8, SEEK_SET), 0);
    assert_int_equal(fwrite(zero, 1, 8, f), 8);
    fclose(f);
    struct vdisk_open_opts o = { .format = "qcow2",
                                 .flags = VDISK_RDWR | VDISK_NO_REPAIR };
    struct vdisk *d;
    struct vdisk_err err = {0};
    struct vdisk_check res;
    vxl_diags diags = {0};
    assert_int_equal(vdisk_open(path, &o, &d, &err), 0);
    assert_int_equal(vdisk_check(d, 0, &res, &diags, &err), 0);
    assert_int_equal(res.leaks, 1);
    assert_int_equal(res.corruptions, 0);
    assert_int_equal(diags.n, 1);
    assert_string_equal(diags.v[0].msg, "Leaked cluster 6 refcount=1 "
                                        "reference=0");
    assert_int_equal(sh("qemu-img check l.qcow2; test $? = 3"), 0);
    vxl_diags_free(&diags);
    assert_int_equal(vdisk_check(d, VDISK_FIX_LEAKS, &res, NULL, &err), 0);
    assert_int_equal(res.leaks_fixed, 1);
    assert_int_equal(vdisk_close(d, &err), 0);
    assert_int_equal(sh("qemu-img check l.qcow2"), 0);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(qemu_images_read_identically),
        cmocka_unit_test(vdisk_images_pass_qemu_check),
        cmocka_unit_test(backing_chain_and_snapshots),
        cmocka_unit_test(check_matches_qemu_on_leaks),
    };
    if (system("qemu-img --version >/dev/null 2>&1") != 0) {
        printf("# skip: qemu-img not installed\n");
        return 0;
    }
    return cmocka_run_group_tests(tests, setup, teardown);
}

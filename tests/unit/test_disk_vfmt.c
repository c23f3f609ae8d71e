/* Cross-checks of the VMDK, VHD (vpc) and VDI drivers against qemu-img:
 * images qemu-img makes (every subformat it writes) read back through
 * vdisk identically to the raw pattern they were converted from; images
 * vdisk writes pass `qemu-img check` (where the format has one) and
 * `qemu-img compare`.  Hand-made descriptors and corrupted images must
 * fail with a clear message.  Everything is made in a temp dir at test
 * time; skips without qemu-img. */
#include <errno.h>
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

static char tmpdir[] = "/tmp/vxl-disk-vfmt.XXXXXX";
#define SRC_SIZE (3u << 20)
static uint8_t *src;
static char *datadir;

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

static void put_file(const char *name, const void *data, size_t n)
{
    char *path = p(name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    fclose(f);
    free(path);
}

static void put_text(const char *name, const char *text)
{
    put_file(name, text, strlen(text));
}

static uint8_t *get_file(const char *name, size_t *n)
{
    char *path = p(name);
    FILE *f = fopen(path, "rb");
    free(path);
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long l = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = xmalloc(l ? (size_t)l : 1);
    assert_int_equal(fread(b, 1, (size_t)l, f), (size_t)l);
    fclose(f);
    *n = (size_t)l;
    return b;
}

static int setup(void **state)
{
    if (system("qemu-img --version >/dev/null 2>&1") != 0)
        return -1;
    if (!mkdtemp(tmpdir))
        return -1;
    char cwd[4096];
    if (!getcwd(cwd, sizeof(cwd)))
        return -1;
    datadir = xasprintf("%s/tests/data/vfmt", cwd);
    /* random data, text, sparse bytes and holes, at odd offsets */
    src = xcalloc(1, SRC_SIZE);
    uint32_t x = 4242;
    for (size_t i = 0; i < SRC_SIZE; i++) {
        size_t q = i >> 18;
        if (q % 4 == 0) {
            x = x * 1103515245 + 12345;
            src[i] = (uint8_t)(x >> 16);
        } else if (q % 4 == 1) {
            src[i] = "vxl vmdk vhd vdi test "[i % 22];
        } else if (q % 4 == 2 && (i & 4095) < 100) {
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
    free(datadir);
    return 0;
}

/* Read `path` whole through vdisk into a new buffer (size in *n). */
static uint8_t *vread(const char *path, const char *fmt, unsigned flags,
                      size_t *n)
{
    struct vdisk_open_opts o = { .format = fmt, .flags = flags };
    struct vdisk *d;
    struct vdisk_err err = {0};
    if (vdisk_open(path, &o, &d, &err) < 0)
        fail_msg("%s: %s", path, err.msg);
    size_t size = vdisk_size(d);
    uint8_t *buf = xmalloc(size ? size : 1);
    /* odd-sized chunks cross grain, table and extent boundaries */
    for (uint64_t off = 0; off < size;) {
        size_t k = 77777;
        if (off + k > size)
            k = size - off;
        if (vdisk_pread(d, buf + off, k, off, &err) < 0)
            fail_msg("%s: %s", path, err.msg);
        off += k;
    }
    /* block status covers the image exactly; zero runs read zero */
    uint64_t off = 0;
    while (off < size) {
        struct vdisk_extent e;
        if (vdisk_block_status(d, off, size - off, true, &e, &err) < 0)
            fail_msg("%s: %s", path, err.msg);
        assert_int_equal(e.off, off);
        assert_true(e.len > 0);
        if (e.flags & VDISK_EXT_ZERO)
            for (uint64_t i = 0; i < e.len; i++)
                assert_int_equal(buf[off + i], 0);
        off += e.len;
    }
    assert_int_equal(off, size);
    assert_int_equal(vdisk_close(d, &err), 0);
    *n = size;
    return buf;
}

/* vdisk's reading of `name` equals qemu-img's (convert -O raw); also
 * when probed unless the format can't be probed (fixed VHD). */
static void same_as_qemu_p(const char *name, const char *fmt, bool probe);
static void same_as_qemu(const char *name, const char *fmt)
{
    same_as_qemu_p(name, fmt, true);
}

static void same_as_qemu_p(const char *name, const char *fmt, bool probe)
{
    assert_int_equal(sh("rm -f qref.raw && qemu-img convert -f %s -O raw "
                        "'%s' qref.raw", fmt, name), 0);
    size_t qn, vn;
    uint8_t *q = get_file("qref.raw", &qn);
    assert_non_null(q);
    char *path = name[0] == '/' ? xstrdup(name) : p(name);
    uint8_t *v = vread(path, fmt, 0, &vn);
    uint8_t *v2 = vread(path, probe ? NULL : fmt, 0, &vn);
    if (vn != qn)
        fail_msg("%s: size %zu, qemu-img says %zu", name, vn, qn);
    assert_memory_equal(v, q, qn);
    assert_memory_equal(v2, q, qn);
    free(q);
    free(v);
    free(v2);
    free(path);
}

/* vdisk reads `name` as src (padded with zeros to its size). */
static void same_as_src(const char *name, const char *fmt)
{
    char *path = p(name);
    size_t n;
    uint8_t *v = vread(path, fmt, 0, &n);
    assert_true(n >= SRC_SIZE);
    assert_memory_equal(v, src, SRC_SIZE);
    for (size_t i = SRC_SIZE; i < n; i++)
        assert_int_equal(v[i], 0);
    free(v);
    free(path);
}

/* Opening fails with code `code` and a message containing `want`. */
static void open_fails(const char *name, const char *fmt, unsigned flags,
                       int code, const char *want)
{
    char *path = p(name);
    struct vdisk_open_opts o = { .format = fmt, .flags = flags };
    struct vdisk *d = NULL;
    struct vdisk_err err = {0};
    int rc = vdisk_open(path, &o, &d, &err);
    if (rc == 0) {
        vdisk_close(d, NULL);
        fail_msg("%s: opened, expected an error containing '%s'", name,
                 want);
    }
    if (rc != -code || !strstr(err.msg, want))
        fail_msg("%s: got %d '%s', expected %d and '%s'", name, rc, err.msg,
                 -code, want);
    free(path);
}

/* Opening works but reading everything fails with `want`. */
static void read_fails(const char *name, const char *fmt, const char *want)
{
    char *path = p(name);
    struct vdisk_open_opts o = { .format = fmt, .flags = VDISK_NO_BACKING };
    struct vdisk *d = NULL;
    struct vdisk_err err = {0};
    int rc = vdisk_open(path, &o, &d, &err);
    if (rc == 0) {
        uint64_t size = vdisk_size(d);
        uint8_t *buf = xmalloc(1 << 16);
        for (uint64_t off = 0; off < size && rc == 0; off += 1 << 16) {
            size_t k = size - off < (1 << 16) ? size - off : (1 << 16);
            rc = vdisk_pread(d, buf, k, off, &err);
        }
        free(buf);
        vdisk_close(d, NULL);
    }
    if (rc == 0 || !strstr(err.msg, want))
        fail_msg("%s: got %d '%s', expected an error with '%s'", name, rc,
                 err.msg, want);
    free(path);
}

/* ---- VMDK read ------------------------------------------------------- */

static const char *const vmdk_subformats[] = {
    "monolithicSparse", "monolithicFlat", "twoGbMaxExtentSparse",
    "twoGbMaxExtentFlat", "streamOptimized",
};

static void vmdk_qemu_subformats_read(void **state)
{
    for (size_t i = 0; i < ARRAY_SIZE(vmdk_subformats); i++) {
        assert_int_equal(sh("rm -f q*.vmdk && qemu-img convert -O vmdk -o "
                            "subformat=%s src.raw q.vmdk",
                            vmdk_subformats[i]), 0);
        same_as_src("q.vmdk", "vmdk");
        same_as_qemu("q.vmdk", "vmdk");
    }
    /* hwversion 6 / zeroed grains (zero writes become GTE 1) */
    assert_int_equal(sh("rm -f q*.vmdk && qemu-img create -f vmdk -o "
                        "zeroed_grain=on q.vmdk 4M && qemu-io -f vmdk "
                        "-c 'write -P 7 0 2M' -c 'write -z 64k 1M' "
                        "-c 'write -P 9 3M 4k' q.vmdk"), 0);
    same_as_qemu("q.vmdk", "vmdk");
}

static void vmdk_delta_link(void **state)
{
    assert_int_equal(sh("rm -f b.vmdk c.vmdk && qemu-img convert -O vmdk "
                        "src.raw b.vmdk && qemu-img create -f vmdk -b b.vmdk "
                        "-F vmdk c.vmdk && qemu-io -f vmdk -c 'write -P 0x5a "
                        "100k 300k' -c 'write -z 1M 64k' c.vmdk"), 0);
    same_as_qemu("c.vmdk", "vmdk");
    char *path = p("c.vmdk");
    struct vdisk_open_opts o = { .format = "vmdk" };
    struct vdisk *d;
    struct vdisk_err err = {0};
    assert_int_equal(vdisk_open(path, &o, &d, &err), 0);
    assert_string_equal(vdisk_backing_name(d), "b.vmdk");
    assert_string_equal(vdisk_backing_format(d), "vmdk");
    assert_non_null(vdisk_backing(d));
    vdisk_close(d, NULL);
    /* writes into the delta (partial grains take the rest from the
     * parent) match qemu-io's */
    assert_int_equal(sh("cp c.vmdk c2.vmdk && qemu-io -f vmdk -c 'write -P "
                        "0x77 1000k 70k' c2.vmdk"), 0);
    struct vdisk_open_opts rw = { .format = "vmdk", .flags = VDISK_RDWR };
    assert_int_equal(vdisk_open(path, &rw, &d, &err), 0);
    uint8_t *buf = xmalloc(70 << 10);
    memset(buf, 0x77, 70 << 10);
    assert_int_equal(vdisk_pwrite(d, buf, 70 << 10, 1000 << 10, &err), 0);
    free(buf);
    assert_int_equal(vdisk_close(d, &err), 0);
    assert_int_equal(sh("qemu-img compare c.vmdk c2.vmdk && qemu-img check "
                        "c.vmdk"), 0);
    free(path);
}

static void vmdk_real_images(void **state)
{
    const char *names[] = { "vmdkrs-streamOptimized.vmdk",
                            "plaso-image.vmdk" };
    for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
        char *path = xasprintf("%s/%s", datadir, names[i]);
        same_as_qemu(path, "vmdk");
        free(path);
    }
    char *bad = xasprintf("%s/govmdkparser-vmdk-invalid.img", datadir);
    struct vdisk_open_opts o = { .format = "vmdk" };
    struct vdisk *d;
    struct vdisk_err err = {0};
    assert_int_equal(vdisk_open(bad, &o, &d, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "descriptor"));
    free(bad);
}

#define FLAT_DESC_HEAD "# Disk DescriptorFile\nversion=1\nCID=12345678\n" \
    "parentCID=ffffffff\ncreateType=\"monolithicFlat\"\n\n"

static void vmdk_descriptor_variants(void **state)
{
    /* data files: 1 MiB slices of src */
    put_file("part0.bin", src, 1 << 20);
    put_file("part1.bin", src + (1 << 20), 1 << 20);
    assert_int_equal(sh("mkdir -p sub && cp part1.bin sub/p1.bin && "
                        "qemu-img convert -O vmdk -o subformat=twoGbMaxExtent"
                        "Sparse src.raw sp.vmdk"), 0);
    /* unquoted values, CRLF, comments, tabs, FLAT + ZERO + sparse extents
     * with an offset, a file in a sub-directory */
    put_text("v1.vmdk",
             "# Disk DescriptorFile\r\n"
             "version = 1\r\n"
             "CID = fffffffe\r\n"
             "parentCID=ffffffff\r\n"
             "createType = custom\r\n"
             "# Extent description\r\n"
             "RW 2048 FLAT \"part0.bin\" 0\r\n"
             "RW\t1024 FLAT sub/p1.bin\r\n"
             "  RDONLY 1024 FLAT \"sub/p1.bin\" 1024\r\n"
             "RW 2048 ZERO\r\n"
             "\r\n"
             "#DDB\r\n"
             "ddb.adapterType = \"lsilogic\"\r\n");
    size_t n;
    char *path = p("v1.vmdk");
    uint8_t *v = vread(path, "vmdk", 0, &n);
    assert_int_equal(n, 3 << 20);
    assert_memory_equal(v, src, 2 << 20);
    for (size_t i = 2 << 20; i < n; i++)
        assert_int_equal(v[i], 0);
    free(v);
    v = vread(path, NULL, 0, &n);       /* probed as vmdk */
    free(v);
    free(path);

    /* ESX descriptors: VMFS / VMFSRAW / VMFSRDM extents are flat data */
    const char *esx[] = { "vmfs\"\nRW 2048 VMFS", "vmfsThin\"\nRW 2048 VMFS",
                          "vmfsRaw\"\nRW 2048 VMFSRAW",
                          "vmfsRawDeviceMap\"\nRW 2048 VMFSRDM" };
    for (size_t i = 0; i < ARRAY_SIZE(esx); i++) {
        char *t = xasprintf("# Disk DescriptorFile\nversion=1\nCID=fffffffe\n"
                            "parentCID=ffffffff\nisNativeSnapshot=\"no\"\n"
                            "createType=\"%s \"part0.bin\"\n"
                            "ddb.thinProvisioned = \"1\"\n", esx[i]);
        put_text("esx.vmdk", t);
        free(t);
        path = p("esx.vmdk");
        v = vread(path, "vmdk", 0, &n);
        assert_int_equal(n, 1 << 20);
        assert_memory_equal(v, src, n);
        free(v);
        free(path);
    }

    /* absolute and ".." extent names are refused, naming the line */
    char *abs = xasprintf(FLAT_DESC_HEAD "RW 2048 FLAT \"%s/part0.bin\" 0\n",
                          tmpdir);
    put_text("abs.vmdk", abs);
    open_fails("abs.vmdk", "vmdk", 0, EPERM, "line 7");
    path = p("abs.vmdk");
    v = vread(path, "vmdk", VDISK_ANY_EXTENT_PATH, &n);   /* opt-in */
    assert_memory_equal(v, src, 1 << 20);
    free(v);
    free(path);
    free(abs);
    put_text("sub/dd.vmdk", FLAT_DESC_HEAD "RW 2048 FLAT \"../part0.bin\"\n");
    open_fails("sub/dd.vmdk", "vmdk", 0, EPERM, "line 7");
    put_text("dir.vmdk", FLAT_DESC_HEAD "RW 2048 FLAT \"sub\"\n");
    open_fails("dir.vmdk", "vmdk", 0, EPERM, "not a regular file");
    /* missing extent, bad lines */
    put_text("miss.vmdk", FLAT_DESC_HEAD "\n\nRW 2048 FLAT \"nope.bin\" 0\n");
    open_fails("miss.vmdk", "vmdk", 0, ENOENT, "line 9");
    put_text("bt.vmdk", FLAT_DESC_HEAD "RW 2048 TAPE \"part0.bin\"\n");
    open_fails("bt.vmdk", "vmdk", 0, ENOTSUP, "line 7");
    put_text("bs.vmdk", FLAT_DESC_HEAD "RW 20x8 FLAT \"part0.bin\"\n");
    open_fails("bs.vmdk", "vmdk", 0, EINVAL, "line 7");
    put_text("bq.vmdk", FLAT_DESC_HEAD "RW 2048 FLAT \"part0.bin\n");
    open_fails("bq.vmdk", "vmdk", 0, EINVAL, "line 7");
    put_text("bk.vmdk", "version=1\ncreateType=\"monolithicFlat\"\nwhat\n");
    open_fails("bk.vmdk", "vmdk", 0, EINVAL, "line 3");
    put_text("bc.vmdk", "version=1\ncreateType=\"floppy\"\n"
             "RW 1 FLAT \"part0.bin\"\n");
    open_fails("bc.vmdk", "vmdk", 0, ENOTSUP, "line 2");
    put_text("bv.vmdk", "version=7\ncreateType=\"monolithicFlat\"\n");
    open_fails("bv.vmdk", "vmdk", 0, ENOTSUP, "line 1");
    put_text("ne.vmdk", "version=1\ncreateType=\"monolithicFlat\"\n# none\n");
    open_fails("ne.vmdk", "vmdk", 0, EINVAL, "no extents");
    put_text("nq.vmdk", "version=1\ncreateType=\"monolithicFlat\n");
    open_fails("nq.vmdk", "vmdk", 0, EINVAL, "line 2");
    /* a sparse extent file named in a descriptor, with an offset */
    put_text("sp2.vmdk", "version=1\ncreateType=\"twoGbMaxExtentSparse\"\n"
             "RW 6144 SPARSE \"sp-s001.vmdk\"\n");
    same_as_src("sp2.vmdk", "vmdk");
    /* descriptor bomb: > 1 MiB of comments */
    size_t big = (1 << 20) + 100;
    char *bomb = xmalloc(big + 1);
    memset(bomb, '#', big);
    memcpy(bomb, "version=1\n", 10);
    for (size_t i = 100; i < big; i += 80)
        bomb[i] = '\n';
    bomb[big] = 0;
    put_text("bomb.vmdk", bomb);
    open_fails("bomb.vmdk", "vmdk", 0, EFBIG, "too large");
    free(bomb);
    /* extent count bomb: 70000 one-sector ZERO extents */
    strbuf sb = {0};
    sb_puts(&sb, "version=1\ncreateType=\"custom\"\n");
    for (int i = 0; i < 70000; i++)
        sb_puts(&sb, "RW 1 ZERO\n");
    put_text("many.vmdk", sb.s);
    sb_free(&sb);
    open_fails("many.vmdk", "vmdk", 0, E2BIG, "line 65539");
}

/* Patch `n` bytes at `off` of a copy of `from` into `to`. */
static void patch(const char *from, const char *to, long off,
                  const void *bytes, size_t n)
{
    size_t len;
    uint8_t *b = get_file(from, &len);
    assert_non_null(b);
    if (off < 0)
        off += (long)len;
    assert_true((size_t)off + n <= len);
    memcpy(b + off, bytes, n);
    put_file(to, b, len);
    free(b);
}

static void le32put(uint8_t *b, uint32_t v)
{
    b[0] = (uint8_t)v; b[1] = (uint8_t)(v >> 8);
    b[2] = (uint8_t)(v >> 16); b[3] = (uint8_t)(v >> 24);
}

static void vmdk_corrupt(void **state)
{
    assert_int_equal(sh("rm -f s.vmdk st.vmdk && qemu-img convert -O vmdk "
                        "src.raw s.vmdk && qemu-img convert -O vmdk -o "
                        "subformat=streamOptimized src.raw st.vmdk"), 0);
    size_t n;
    uint8_t *b = get_file("s.vmdk", &n);
    uint32_t gd = b[56] | b[57] << 8 | b[58] << 16 | (uint32_t)b[59] << 24;
    uint8_t *gde = b + (size_t)gd * 512;
    uint32_t gt = gde[0] | gde[1] << 8 | gde[2] << 16 | (uint32_t)gde[3] << 24;
    free(b);
    uint8_t v[8];
    /* truncated: grains past the end */
    assert_int_equal(sh("head -c 200000 s.vmdk > trunc.vmdk"), 0);
    read_fails("trunc.vmdk", "vmdk", "beyond the end");
    /* grain table out of range */
    le32put(v, 0x7ffffff0);
    patch("s.vmdk", "gt.vmdk", (long)gd * 512, v, 4);
    patch("gt.vmdk", "gt.vmdk", 48, "\0\0\0\0", 4);   /* no redundant GD */
    patch("gt.vmdk", "gt.vmdk", 8, "\1\0\0\0", 4);   /* flags: no RGD */
    read_fails("gt.vmdk", "vmdk", "grain table 0");
    /* grain out of range */
    le32put(v, 0x7fffff00);
    patch("s.vmdk", "gr.vmdk", (long)gt * 512, v, 4);
    read_fails("gr.vmdk", "vmdk", "beyond the end");
    /* grain directory outside the file */
    le32put(v, 0x7fffff00);
    patch("s.vmdk", "gd.vmdk", 56, v, 4);
    patch("gd.vmdk", "gd.vmdk", 8, "\1\0\0\0", 4);
    open_fails("gd.vmdk", "vmdk", 0, EINVAL, "grain directory");
    /* absurd grain size, GT size, capacity */
    patch("s.vmdk", "gs.vmdk", 20, "\0\0\0\1", 4);
    open_fails("gs.vmdk", "vmdk", 0, EINVAL, "grain size");
    patch("s.vmdk", "gn.vmdk", 44, "\0\0\1\0", 4);
    open_fails("gn.vmdk", "vmdk", 0, EINVAL, "grain table size");
    patch("s.vmdk", "cap.vmdk", 12, "\0\0\0\0\0\0\0\x10", 8);
    open_fails("cap.vmdk", "vmdk", 0, EFBIG, "capacity");
    patch("s.vmdk", "nl.vmdk", 73, "\n \n\n", 4);
    open_fails("nl.vmdk", "vmdk", 0, EINVAL, "text mode");
    patch("s.vmdk", "ver.vmdk", 4, "\x09", 1);
    open_fails("ver.vmdk", "vmdk", 0, ENOTSUP, "version 9");
    /* the embedded descriptor sized beyond the file */
    patch("s.vmdk", "ds.vmdk", 36, "\0\0\0\1", 4);
    open_fails("ds.vmdk", "vmdk", 0, EINVAL, "embedded descriptor");
    /* streamOptimized: footer gone, compressed grain damaged */
    patch("st.vmdk", "end.vmdk", 56, "\xff\xff\xff\xff\xff\xff\xff\xff", 8);
    open_fails("end.vmdk", "vmdk", 0, EINVAL, "footer");
    /* a proper footer (marker, header copy, end-of-stream) makes it work */
    b = get_file("st.vmdk", &n);
    uint8_t *f = xcalloc(1, n + 1536);
    memcpy(f, b, n);
    le32put(f + n, 1);
    le32put(f + n + 12, 3);
    memcpy(f + n + 512, b, 512);
    memset(f + 56, 0xff, 8);
    put_file("foot.vmdk", f, n + 1536);
    same_as_src("foot.vmdk", "vmdk");
    f[n + 512 + 56] = 0xff;         /* footer GD moved out of the file */
    f[n + 512 + 59] = 0x7f;
    put_file("foot2.vmdk", f, n + 1536);
    same_as_src("foot2.vmdk", "vmdk");   /* the redundant GD is used */
    memset(f + n + 512 + 48, 0, 8);
    put_file("foot2.vmdk", f, n + 1536);
    open_fails("foot2.vmdk", "vmdk", 0, EINVAL, "grain directory");
    free(f);
    free(b);
    b = get_file("st.vmdk", &n);
    /* first grain marker follows the 64 KiB header area: scramble data */
    size_t g0 = 0;
    for (size_t o = 512; o + 12 < n; o += 512)
        if (b[o] == 0 && b[o + 8] && !b[o + 12 - 1] && b[o + 12] == 0x78) {
            g0 = o;
            break;
        }
    assert_true(g0 > 0);
    memset(b + g0 + 14, 0xff, 16);
    put_file("bz.vmdk", b, n);
    /* a marker claiming a huge compressed size */
    memcpy(b + g0 + 8, "\xff\xff\xff\x7f", 4);
    put_file("bm.vmdk", b, n);
    free(b);
    read_fails("bz.vmdk", "vmdk", "decompress");
    read_fails("bm.vmdk", "vmdk", "bad size");
    /* not a VMDK at all */
    open_fails("src.raw", "vmdk", 0, EINVAL, "not a VMDK image");
}

/* ---- VHD (vpc) ---------------------------------------------------------- */

static uint32_t be32get(const uint8_t *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | b[2] << 8 | b[3];
}

static void be32put(uint8_t *b, uint32_t v)
{
    b[0] = (uint8_t)(v >> 24); b[1] = (uint8_t)(v >> 16);
    b[2] = (uint8_t)(v >> 8); b[3] = (uint8_t)v;
}

static void vhd_sum(uint8_t *b, size_t n, size_t at)
{
    memset(b + at, 0, 4);
    uint32_t sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += b[i];
    be32put(b + at, ~sum);
}

static uint64_t vsize(const char *name, const char *fmt)
{
    char *path = p(name);
    struct vdisk_open_opts o = { .format = fmt };
    struct vdisk *d;
    struct vdisk_err err = {0};
    if (vdisk_open(path, &o, &d, &err) < 0)
        fail_msg("%s: %s", name, err.msg);
    uint64_t n = vdisk_size(d);
    vdisk_close(d, NULL);
    free(path);
    return n;
}

/* Create `name` with vdisk (format, -o opts) and write src into it, in
 * 1 MiB pieces, skipping all-zero pieces. */
static void vwrite(const char *name, const char *fmt, const char *opts)
{
    char *path = p(name);
    struct vdisk_create_opts o;
    struct vdisk_err err = {0};
    vdisk_create_opts_init(&o, fmt);
    o.size = SRC_SIZE;
    o.size_set = true;
    if (opts && vdisk_create_opts_parse(&o, opts, &err) < 0)
        fail_msg("%s: %s", opts, err.msg);
    if (vdisk_create(path, &o, &err) < 0)
        fail_msg("%s: %s", name, err.msg);
    vdisk_create_opts_dispose(&o);
    struct vdisk_open_opts oo = { .format = fmt, .flags = VDISK_RDWR };
    struct vdisk *d;
    if (vdisk_open(path, &oo, &d, &err) < 0)
        fail_msg("%s: %s", name, err.msg);
    static const uint8_t zero[1 << 20];
    for (size_t off = 0; off < SRC_SIZE; off += 1 << 20) {
        size_t k = SRC_SIZE - off < (1 << 20) ? SRC_SIZE - off : (1 << 20);
        if (!memcmp(src + off, zero, k))
            continue;
        if (vdisk_pwrite(d, src + off, k, off, &err) < 0)
            fail_msg("%s: %s", name, err.msg);
    }
    if (vdisk_close(d, &err) < 0)
        fail_msg("%s: %s", name, err.msg);
    free(path);
}

static const char *const vpc_variants[] = {
    "subformat=dynamic", "subformat=fixed", "subformat=dynamic,force_size=on",
    "subformat=fixed,force_size=on",
};

static void vpc_qemu_read_and_vxl_write(void **state)
{
    for (size_t i = 0; i < ARRAY_SIZE(vpc_variants); i++) {
        bool fixed = strstr(vpc_variants[i], "fixed") != NULL;
        assert_int_equal(sh("rm -f q.vhd && qemu-img convert -O vpc -o %s "
                            "src.raw q.vhd", vpc_variants[i]), 0);
        same_as_src("q.vhd", "vpc");
        same_as_qemu_p("q.vhd", "vpc", !fixed);
        /* vxl writes the same geometry/size as qemu-img */
        vwrite("w.vhd", "vpc", vpc_variants[i]);
        assert_int_equal(vsize("w.vhd", "vpc"), vsize("q.vhd", "vpc"));
        assert_int_equal(sh("qemu-img compare -f vpc -F raw w.vhd src.raw"),
                         0);
        same_as_src("w.vhd", "vpc");
    }
    /* qemu-io writes into a vxl-made dynamic image, partial blocks */
    vwrite("w.vhd", "vpc", "subformat=dynamic");
    assert_int_equal(sh("qemu-io -f vpc -c 'write -P 0x33 2500k 10k' "
                        "w.vhd"), 0);
    same_as_qemu("w.vhd", "vpc");
}

/* A differencing VHD hand-made from two qemu-made dynamic images: the
 * child's footer type becomes 4 and its header names the parent. */
static void make_diff(const char *child, const char *out, const char *loc,
                      bool use_name)
{
    size_t n;
    uint8_t *b = get_file(child, &n);
    assert_non_null(b);
    be32put(b + 60, 4);
    vhd_sum(b, 512, 64);
    memcpy(b + n - 512, b, 512);
    uint8_t *h = b + 512;
    if (use_name) {         /* the parent's name (UTF-16BE) only */
        for (size_t i = 0; loc[i]; i++)
            h[64 + 2 * i + 1] = (uint8_t)loc[i];
    } else {                /* a W2ru locator (UTF-16LE) in the reserved
                               area of the header */
        uint8_t *l = h + 576;
        memcpy(l, "W2ru", 4);
        be32put(l + 4, 1);
        be32put(l + 8, (uint32_t)(2 * strlen(loc)));
        memset(l + 16, 0, 4);
        be32put(l + 20, 512 + 768);
        for (size_t i = 0; loc[i]; i++)
            h[768 + 2 * i] = (uint8_t)loc[i];
    }
    vhd_sum(h, 1024, 36);
    /* qemu marks every sector of a new block as present: keep only the
     * sectors the test wrote (2048..2057 of block 0) */
    uint32_t blk = be32get(b + 1536);
    assert_true(blk != 0xffffffffu);
    uint8_t *bm = b + (size_t)blk * 512;
    memset(bm, 0, 512);
    bm[256] = 0xff;
    bm[257] = 0xc0;
    put_file(out, b, n);
    free(b);
}

static void vpc_differencing(void **state)
{
    assert_int_equal(sh("rm -f base.vhd kid.vhd && qemu-img convert -O vpc "
                        "src.raw base.vhd && qemu-img create -f vpc kid.vhd "
                        "3M && qemu-io -f vpc -c 'write -P 0x44 1M 5k' "
                        "kid.vhd"), 0);
    uint8_t *want = xmalloc(SRC_SIZE);
    memcpy(want, src, SRC_SIZE);
    memset(want + (1 << 20), 0x44, 5 << 10);
    /* bitmap bits of an allocated block decide (2 MiB blocks: 1 MiB is
     * in block 0) */
    make_diff("kid.vhd", "diff.vhd", "base.vhd", false);
    size_t n;
    char *path = p("diff.vhd");
    uint8_t *v = vread(path, "vpc", 0, &n);
    assert_true(n >= SRC_SIZE);
    assert_memory_equal(v, want, SRC_SIZE);
    free(v);
    struct vdisk_open_opts o = { .format = "vpc" };
    struct vdisk *d;
    struct vdisk_err err = {0};
    assert_int_equal(vdisk_open(path, &o, &d, &err), 0);
    assert_string_equal(vdisk_backing_name(d), "base.vhd");
    assert_string_equal(vdisk_backing_format(d), "vpc");
    vdisk_close(d, NULL);
    free(path);
    /* the same through the header's parent name */
    make_diff("kid.vhd", "diff2.vhd", "base.vhd", true);
    path = p("diff2.vhd");
    v = vread(path, "vpc", 0, &n);
    assert_memory_equal(v, want, SRC_SIZE);
    free(v);
    free(path);
    /* clear bitmap bits: those sectors come from the parent again */
    uint8_t *b = get_file("diff.vhd", &n);
    uint32_t blk = be32get(b + 1536);       /* BAT[0] */
    assert_true(blk != 0xffffffffu);
    uint8_t *bm = b + (size_t)blk * 512;
    bm[2048 / 8] = 0;       /* sectors 2048..2055 = bytes 1M..1M+4K */
    put_file("diff3.vhd", b, n);
    free(b);
    memcpy(want + (1 << 20), src + (1 << 20), 4096);
    path = p("diff3.vhd");
    v = vread(path, "vpc", 0, &n);
    assert_memory_equal(v, want, SRC_SIZE);
    free(v);
    free(path);
    /* a differencing image whose parent is missing / itself */
    make_diff("kid.vhd", "orphan.vhd", "nothere.vhd", false);
    open_fails("orphan.vhd", "vpc", 0, ENOENT, "nothere.vhd");
    make_diff("kid.vhd", "self.vhd", "self.vhd", false);
    open_fails("self.vhd", "vpc", 0, ELOOP, "loop");
    free(want);
}

/* Create `name` as a differencing child of `parent` (vpc, its size). */
static int vcreate_child(const char *name, const char *parent,
                         const char *bfmt, struct vdisk_err *err)
{
    char *path = p(name);
    struct vdisk_create_opts o;
    vdisk_create_opts_init(&o, "vpc");
    o.backing_file = xstrdup(parent);
    o.backing_format = xstrdup(bfmt);
    int rc = vdisk_create(path, &o, err);
    vdisk_create_opts_dispose(&o);
    free(path);
    return rc;
}

/* Writes into a differencing VHD vxl made: partial sectors are completed
 * from the parent, bitmap bits mark exactly the written sectors, zeroes
 * are written (not left to the parent); a reading of the spec in Python
 * (tests/vhd_read.py model) agrees with vdisk's. */
static void vpc_diff_write(void **state)
{
    struct vdisk_err err = {0};
    vwrite("par.vhd", "vpc", "subformat=dynamic");
    assert_int_equal(vcreate_child("ch.vhd", "par.vhd", "vpc", &err), 0);
    assert_int_equal(vsize("ch.vhd", "vpc"), vsize("par.vhd", "vpc"));
    char *path = p("ch.vhd");
    struct vdisk_open_opts o = { .format = "vpc", .flags = VDISK_RDWR };
    struct vdisk *d;
    if (vdisk_open(path, &o, &d, &err) < 0)
        fail_msg("%s", err.msg);
    size_t size = vdisk_size(d);
    uint8_t *want = xcalloc(1, size);
    memcpy(want, src, SRC_SIZE);
    struct { uint64_t off; size_t n; int v; } w[] = {
        { 1000, 11, 0x41 },                 /* inside sector 1 */
        { (2u << 20) - 700, 1500, 0x42 },   /* across two blocks */
        { 65536, 8192, 0x43 },              /* whole sectors */
        { 1003, 3, 0x44 },                  /* sector 1 again: bit set */
        { (1u << 20) + 77, 600, 0x45 },     /* two partial sectors */
    };
    uint8_t buf[8192];
    for (size_t i = 0; i < ARRAY_SIZE(w); i++) {
        memset(buf, w[i].v, w[i].n);
        if (vdisk_pwrite(d, buf, w[i].n, w[i].off, &err) < 0)
            fail_msg("write %zu: %s", i, err.msg);
        memset(want + w[i].off, w[i].v, w[i].n);
    }
    /* zeroes over random parent data must read as zeros */
    assert_int_equal(vdisk_pwrite_zeroes(d, (2u << 20) + 4096, 8192, 0,
                                         &err), 0);
    memset(want + (2u << 20) + 4096, 0, 8192);
    assert_int_equal(vdisk_pwrite_zeroes(d, 100000, 1000,
                                         VDISK_ZERO_MAY_UNMAP, &err), 0);
    memset(want + 100000, 0, 1000);
    assert_int_equal(vdisk_close(d, &err), 0);
    size_t n;
    uint8_t *v = vread(path, "vpc", 0, &n);
    assert_int_equal(n, size);
    assert_memory_equal(v, want, size);
    free(v);
    /* the bitmap of block 0: sector 0 untouched (parent), sector 1 set */
    uint8_t *b = get_file("ch.vhd", &n);
    uint32_t bat_off = be32get(b + 512 + 20);
    uint32_t blk = be32get(b + bat_off);
    assert_true(blk != 0xffffffffu);
    assert_int_equal(b[(size_t)blk * 512], 0x40);
    /* sectors 128..143 (64k + 8k) set, 144 not */
    assert_int_equal(b[(size_t)blk * 512 + 16], 0xff);
    assert_int_equal(b[(size_t)blk * 512 + 17], 0xff);
    assert_int_equal(b[(size_t)blk * 512 + 18] & 0x80, 0);
    free(b);
    /* an independent reading of the spec gives the same bytes */
    int py = sh("python3 -c 'import sys' || exit 77");
    if (py == 0) {
        assert_int_equal(sh("python3 %s/../../vhd_read.py model "
                            "model.raw ch.vhd src.raw", datadir), 0);
        uint8_t *m = get_file("model.raw", &n);
        assert_non_null(m);
        assert_int_equal(n, size);
        assert_memory_equal(m, want, size);
        free(m);
    }
    /* a partial sector can't be completed without the parent */
    struct vdisk_open_opts nb = { .format = "vpc",
                                  .flags = VDISK_RDWR | VDISK_NO_BACKING };
    assert_int_equal(vdisk_open(path, &nb, &d, &err), 0);
    memset(buf, 0x46, 10);
    assert_int_equal(vdisk_pwrite(d, buf, 10, 5000, &err), -ENOTSUP);
    assert_non_null(strstr(err.msg, "needs the parent"));
    assert_int_equal(vdisk_pwrite(d, buf, 3, 1003, &err), 0); /* bit set */
    assert_int_equal(vdisk_close(d, &err), 0);
    free(path);
    free(want);
}

/* The parent's identity: a re-created parent (new unique id) is refused,
 * rebase writes a new one, a non-VHD parent can't be given. */
static void vpc_diff_parent(void **state)
{
    struct vdisk_err err = {0};
    vwrite("pa.vhd", "vpc", "subformat=dynamic");
    assert_int_equal(vcreate_child("ca.vhd", "pa.vhd", "vpc", &err), 0);
    size_t n;
    uint8_t *c = get_file("ca.vhd", &n), *pa = get_file("pa.vhd", &n);
    assert_memory_equal(c + 512 + 40, pa + 68, 16);     /* parent id */
    /* parent unicode name, UTF-16 big-endian */
    assert_memory_equal(c + 512 + 64, "\0p\0a\0.\0v\0h\0d\0\0", 16);
    free(c);
    free(pa);
    same_as_src("ca.vhd", "vpc");
    assert_int_equal(sh("cp pa.vhd pa-copy.vhd"), 0);
    vwrite("pa.vhd", "vpc", "subformat=dynamic");   /* new unique id */
    open_fails("ca.vhd", "vpc", 0, EINVAL, "replaced or re-created");
    open_fails("ca.vhd", "vpc", VDISK_RDWR, EINVAL, "replaced or re-created");
    /* rebase (unsafe) onto the copy that has the recorded id... */
    char *path = p("ca.vhd");
    struct vdisk_open_opts o = { .format = "vpc",
                                 .flags = VDISK_RDWR | VDISK_NO_BACKING };
    struct vdisk *d;
    assert_int_equal(vdisk_open(path, &o, &d, &err), 0);
    assert_int_equal(vdisk_set_backing(d, "pa-copy.vhd", "vpc", &err), 0);
    assert_int_equal(vdisk_set_backing(d, NULL, NULL, &err), -ENOTSUP);
    assert_int_equal(vdisk_set_backing(d, "src.raw", "raw", &err), -EINVAL);
    assert_int_equal(vdisk_close(d, &err), 0);
    same_as_src("ca.vhd", "vpc");
    /* ...and onto the re-created parent, which it then accepts */
    assert_int_equal(vdisk_open(path, &o, &d, &err), 0);
    assert_int_equal(vdisk_set_backing(d, "pa.vhd", "vpc", &err), 0);
    assert_int_equal(vdisk_close(d, &err), 0);
    same_as_src("ca.vhd", "vpc");
    free(path);
    /* parents that are no VHD, or of another size */
    assert_int_equal(vcreate_child("cb.vhd", "src.raw", "raw", &err),
                     -EINVAL);
    assert_non_null(strstr(err.msg, "must be a VHD"));
    assert_true(vcreate_child("cc.vhd", "src.raw", "vpc", &err) < 0);
    assert_non_null(strstr(err.msg, "no VHD footer"));
    path = p("cd.vhd");
    struct vdisk_create_opts co;
    vdisk_create_opts_init(&co, "vpc");
    co.backing_file = xstrdup("pa.vhd");
    co.backing_format = xstrdup("vpc");
    co.size = 64 << 20;
    co.size_set = true;
    assert_int_equal(vdisk_create(path, &co, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "size of its parent"));
    vdisk_create_opts_dispose(&co);
    free(path);
    /* commit's make_empty: the child reads as its parent again */
    assert_int_equal(vcreate_child("ce.vhd", "pa.vhd", "vpc", &err), 0);
    path = p("ce.vhd");
    o.flags = VDISK_RDWR;
    assert_int_equal(vdisk_open(path, &o, &d, &err), 0);
    uint8_t x[4096];
    memset(x, 0x77, sizeof(x));
    assert_int_equal(vdisk_pwrite(d, x, sizeof(x), 8192, &err), 0);
    assert_int_equal(vdisk_make_empty(d, &err), 0);
    assert_int_equal(vdisk_close(d, &err), 0);
    same_as_src("ce.vhd", "vpc");
    free(path);
}

static void vpc_corrupt(void **state)
{
    assert_int_equal(sh("rm -f d.vhd f.vhd && qemu-img convert -O vpc "
                        "src.raw d.vhd && qemu-img convert -O vpc -o "
                        "subformat=fixed src.raw f.vhd"), 0);
    patch("d.vhd", "c1.vhd", 30, "x", 1);
    open_fails("c1.vhd", "vpc", 0, EINVAL, "footer checksum");
    patch("f.vhd", "c2.vhd", -500, "x", 1);
    open_fails("c2.vhd", "vpc", 0, EINVAL, "footer checksum");
    patch("d.vhd", "c3.vhd", 512 + 40, "x", 1);
    open_fails("c3.vhd", "vpc", 0, EINVAL, "header checksum");
    size_t n;
    uint8_t *b = get_file("d.vhd", &n);
    uint8_t *h = b + 512;
    /* BAT entry beyond the end, into the BAT, BAT too small/large,
     * block size */
    struct { size_t at; uint32_t v; const char *want; int code; } c[] = {
        { 1536, 0x7fffff00, "beyond the end", EINVAL },
        { 1536, 3, "into the BAT", EINVAL },
        { 512 + 28, 1, "too small", EINVAL },
        { 512 + 28, 0x7fffffff, "too large", EFBIG },
        { 512 + 32, 3000, "block size", EINVAL },
        { 512 + 16, 0x7fffff00, "outside the file", EINVAL },
    };
    for (size_t i = 0; i < ARRAY_SIZE(c); i++) {
        uint8_t *x = xmalloc(n);
        memcpy(x, b, n);
        be32put(x + c[i].at, c[i].v);
        vhd_sum(x + 512, 1024, 36);
        put_file("cx.vhd", x, n);
        open_fails("cx.vhd", "vpc", 0, c[i].code, c[i].want);
        free(x);
    }
    (void)h;
    free(b);
    /* a plain file given as vpc */
    open_fails("src.raw", "vpc", 0, EINVAL, "no VHD footer");
    assert_int_equal(sh("head -c 100 d.vhd > short.vhd"), 0);
    open_fails("short.vhd", "vpc", 0, EINVAL, "too short");
}

/* ---- VDI --------------------------------------------------------------- */

static void vdi_qemu_read_and_vxl_write(void **state)
{
    const char *v[] = { "static=off", "static=on" };
    for (size_t i = 0; i < ARRAY_SIZE(v); i++) {
        assert_int_equal(sh("rm -f q.vdi && qemu-img convert -O vdi -o %s "
                            "src.raw q.vdi", v[i]), 0);
        same_as_src("q.vdi", "vdi");
        same_as_qemu("q.vdi", "vdi");
        vwrite("w.vdi", "vdi", v[i]);
        assert_int_equal(sh("qemu-img check -f vdi w.vdi"), 0);
        assert_int_equal(sh("qemu-img compare -f vdi -F raw w.vdi src.raw"),
                         0);
        same_as_src("w.vdi", "vdi");
    }
    /* qemu-io into a vxl-made image; discarded blocks read as zeros */
    vwrite("w.vdi", "vdi", NULL);
    assert_int_equal(sh("qemu-io -f vdi -c 'write -P 0x21 2500k 10k' w.vdi"),
                     0);
    same_as_qemu("w.vdi", "vdi");
    assert_int_equal(sh("qemu-img check -f vdi w.vdi"), 0);
}

static void vdi_corrupt(void **state)
{
    assert_int_equal(sh("rm -f d.vdi && qemu-img convert -O vdi src.raw "
                        "d.vdi"), 0);
    uint8_t v[4];
    struct { long at; uint32_t v; const char *want; } c[] = {
        { 64, 0x12345678, "bad signature" },
        { 68, 0x00020000, "version" },
        { 76, 4, "image type" },
        { 376, 4096, "block size" },
        { 384, 0x7fffffff, "too many blocks" },
        { 384, 1, "too small" },
        { 340, 0x7ffffe00, "outside the file" },
        { 344, 512, "overlaps" },
        { 512, 1000, "block map entry 0" },
    };
    for (size_t i = 0; i < ARRAY_SIZE(c); i++) {
        le32put(v, c[i].v);
        patch("d.vdi", "c.vdi", c[i].at, v, 4);
        open_fails("c.vdi", "vdi", 0, EINVAL, c[i].want);
    }
    open_fails("src.raw", "vdi", 0, EINVAL, "bad signature");
}

/* A hand-made VMFS sparse ("COWD") extent: 1 MiB, 4 KiB grains, one
 * grain directory entry, grains 0 and 3 allocated. */
static void vmdk_cowd(void **state)
{
    size_t n = 56 * 512;
    uint8_t *b = xcalloc(1, n);
    memcpy(b, "COWD", 4);
    le32put(b + 4, 1);
    le32put(b + 8, 3);
    le32put(b + 12, 2048);          /* capacity, sectors */
    le32put(b + 16, 8);             /* grain, sectors */
    le32put(b + 20, 4);             /* GD at sector 4 */
    le32put(b + 24, 1);             /* GD entries */
    le32put(b + 4 * 512, 5);        /* GT at sector 5 */
    le32put(b + 5 * 512 + 0, 40);
    le32put(b + 5 * 512 + 12, 48);
    memcpy(b + 40 * 512, src, 4096);
    memcpy(b + 48 * 512, src + 8192, 4096);
    put_file("cowd-delta.vmdk", b, n);
    free(b);
    uint8_t *want = xcalloc(1, 1 << 20);
    memcpy(want, src, 4096);
    memcpy(want + 12288, src + 8192, 4096);
    size_t got;
    char *path = p("cowd-delta.vmdk");
    uint8_t *v = vread(path, "vmdk", 0, &got);
    assert_int_equal(got, 1 << 20);
    assert_memory_equal(v, want, got);
    free(v);
    free(path);
    put_text("cowd.vmdk", "# Disk DescriptorFile\nversion=1\nCID=1\n"
             "parentCID=ffffffff\ncreateType=\"vmfsSparse\"\n"
             "RW 2048 VMFSSPARSE \"cowd-delta.vmdk\"\n");
    path = p("cowd.vmdk");
    v = vread(path, NULL, 0, &got);
    assert_memory_equal(v, want, got);
    free(v);
    free(path);
    free(want);
    /* a GD entry pointing outside the file */
    patch("cowd-delta.vmdk", "cowd-bad.vmdk", 4 * 512, "\xff\xff\0\0", 4);
    read_fails("cowd-bad.vmdk", "vmdk", "grain table 0");
}

/* ---- VMDK write ---------------------------------------------------------- */

static void vmdk_vxl_write(void **state)
{
    for (size_t i = 0; i < ARRAY_SIZE(vmdk_subformats); i++) {
        char *o = xasprintf("subformat=%s", vmdk_subformats[i]);
        assert_int_equal(sh("rm -f w*.vmdk"), 0);
        vwrite("w.vmdk", "vmdk", o);
        if (sh("qemu-img check -f vmdk w.vmdk") != 0)
            fail_msg("%s: qemu-img check failed", o);
        if (sh("qemu-img compare -f vmdk -F raw w.vmdk src.raw") != 0)
            fail_msg("%s: qemu-img compare failed", o);
        same_as_src("w.vmdk", "vmdk");
        free(o);
    }
    /* qemu-io writes into vxl-made sparse and flat images */
    vwrite("w.vmdk", "vmdk", "adapter_type=lsilogic,hwversion=6");
    assert_int_equal(sh("grep -a -q 'ddb.adapterType = \"lsilogic\"' "
                        "w.vmdk && qemu-io -f vmdk -c 'write -P 0x66 "
                        "1000k 100k' w.vmdk && qemu-img check w.vmdk"), 0);
    same_as_qemu("w.vmdk", "vmdk");

    /* streamOptimized written in odd pieces (partial grains wait in a
     * buffer), through compressed writes, and a grain written twice */
    char *path = p("st.vmdk");
    struct vdisk_create_opts o;
    struct vdisk_err err = {0};
    vdisk_create_opts_init(&o, "vmdk");
    o.size = SRC_SIZE;
    o.size_set = true;
    assert_int_equal(vdisk_create_opts_parse(&o, "subformat=streamOptimized",
                                             &err), 0);
    assert_int_equal(vdisk_create(path, &o, &err), 0);
    vdisk_create_opts_dispose(&o);
    struct vdisk_open_opts oo = { .format = "vmdk", .flags = VDISK_RDWR };
    struct vdisk *d;
    assert_int_equal(vdisk_open(path, &oo, &d, &err), 0);
    assert_int_equal(vdisk_cluster_size(d), 65536);
    for (size_t off = 0; off < (1 << 20);) {
        size_t k = 77777 < (1 << 20) - off ? 77777 : (1 << 20) - off;
        if (vdisk_pwrite(d, src + off, k, off, &err) < 0)
            fail_msg("%s", err.msg);
        off += k;
    }
    for (size_t off = 1 << 20; off < SRC_SIZE; off += 65536)
        if (vdisk_pwrite_compressed(d, src + off, 65536, off, &err) < 0)
            fail_msg("%s", err.msg);
    assert_int_equal(vdisk_pwrite(d, src, 512, 0, &err), -ENOTSUP);
    assert_non_null(strstr(err.msg, "already written"));
    assert_int_equal(vdisk_close(d, &err), 0);
    free(path);
    assert_int_equal(sh("qemu-img check -f vmdk st.vmdk && qemu-img compare "
                        "-f vmdk -F raw st.vmdk src.raw"), 0);
    same_as_src("st.vmdk", "vmdk");
    /* bad options */
    vdisk_create_opts_init(&o, "vmdk");
    o.size = 1 << 20;
    o.size_set = true;
    assert_int_equal(vdisk_create_opts_parse(&o, "subformat=tape", &err), 0);
    path = p("bad.vmdk");
    assert_int_equal(vdisk_create(path, &o, &err), -EINVAL);
    assert_string_equal(err.msg, "invalid parameter value: tape");   /* qemu's */
    vdisk_create_opts_dispose(&o);
    free(path);
}

/* "Formatting ..." lines are qemu-img's, option for option. */
static void create_describe_like_qemu(void **state)
{
    static const struct { const char *fmt, *opts; } c[] = {
        { "vmdk", NULL }, { "vmdk", "subformat=streamOptimized" },
        { "vmdk", "adapter_type=lsilogic,zeroed_grain=on,hwversion=6" },
        { "vmdk", "compat6=on,subformat=monolithicFlat" },
        { "vpc", NULL }, { "vpc", "subformat=fixed,force_size=on" },
        { "vdi", NULL }, { "vdi", "static=on" },
    };
    for (size_t i = 0; i < ARRAY_SIZE(c); i++) {
        struct vdisk_create_opts o;
        struct vdisk_err err = {0};
        vdisk_create_opts_init(&o, c[i].fmt);
        o.size = 1 << 20;
        o.size_set = true;
        if (c[i].opts)
            assert_int_equal(vdisk_create_opts_parse(&o, c[i].opts, &err), 0);
        char *mine = vdisk_create_opts_describe(&o);
        vdisk_create_opts_dispose(&o);
        char *cmd = xasprintf("cd %s && qemu-img create -f %s %s%s x.img 1M",
                              tmpdir, c[i].fmt, c[i].opts ? "-o " : "",
                              c[i].opts ? c[i].opts : "");
        FILE *f = popen(cmd, "r");
        char line[512] = "";
        assert_non_null(fgets(line, sizeof(line), f));
        pclose(f);
        line[strcspn(line, "\n")] = 0;
        const char *q = strstr(line, ", ");
        assert_non_null(q);
        assert_string_equal(mine, q + 2);
        free(mine);
        free(cmd);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(vmdk_qemu_subformats_read),
        cmocka_unit_test(vmdk_delta_link),
        cmocka_unit_test(vmdk_real_images),
        cmocka_unit_test(vmdk_descriptor_variants),
        cmocka_unit_test(vmdk_corrupt),
        cmocka_unit_test(vmdk_vxl_write),
        cmocka_unit_test(vmdk_cowd),
        cmocka_unit_test(create_describe_like_qemu),
        cmocka_unit_test(vpc_qemu_read_and_vxl_write),
        cmocka_unit_test(vpc_differencing),
        cmocka_unit_test(vpc_diff_write),
        cmocka_unit_test(vpc_diff_parent),
        cmocka_unit_test(vpc_corrupt),
        cmocka_unit_test(vdi_qemu_read_and_vxl_write),
        cmocka_unit_test(vdi_corrupt),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

/* Unit tests for the tar reader (import/tar.c): archives written by GNU
 * tar in its ustar, pax and gnu formats (long names, big members) read
 * back with the right names, sizes and data offsets; hand-made hostile
 * headers (absolute path, "..", symlink, hardlink, devices, FIFO, GNU
 * sparse, pax sparse, bad checksum, truncation, huge size, duplicates,
 * malformed pax) each fail with an error naming the member. */
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
#include <cmocka.h>

#include "common/util.h"
#include "import/tar.h"

/* ---- in-memory input ------------------------------------------------ */

struct mem {
    const uint8_t *p;
    size_t n, pos;
};

static ssize_t mem_read(void *o, void *buf, size_t n)
{
    struct mem *m = o;
    size_t k = m->n - m->pos < n ? m->n - m->pos : n;
    memcpy(buf, m->p + m->pos, k);
    m->pos += k;
    return (ssize_t)k;
}

static int mem_skip(void *o, uint64_t n)
{
    struct mem *m = o;
    m->pos = n > m->n - m->pos ? m->n : m->pos + (size_t)n;
    return 0;
}

/* An archive being built by hand. */
struct arc {
    uint8_t *p;
    size_t n;
};

static void put_octal(uint8_t *f, size_t len, uint64_t v)
{
    char tmp[32];
    snprintf(tmp, sizeof(tmp), "%0*llo", (int)len - 1, (unsigned long long)v);
    memcpy(f, tmp, len - 1);
    f[len - 1] = 0;
}

static void finish_header(uint8_t *h)
{
    memset(h + 148, ' ', 8);
    unsigned s = tar_header_checksum(h);
    char tmp[8];
    snprintf(tmp, sizeof(tmp), "%06o", s);
    memcpy(h + 148, tmp, 7);
    h[155] = ' ';
}

/* Append a header (and `size` data bytes of 'A'..); returns the header's
 * offset. */
static size_t add(struct arc *a, const char *name, char type, uint64_t size,
                  const char *link, size_t data_len)
{
    size_t off = a->n;
    size_t blocks = 1 + (data_len + 511) / 512;
    a->p = xrealloc(a->p, a->n + blocks * 512);
    uint8_t *h = a->p + a->n;
    memset(h, 0, blocks * 512);
    snprintf((char *)h, 100, "%s", name);
    put_octal(h + 100, 8, 0644);
    put_octal(h + 108, 8, 0);
    put_octal(h + 116, 8, 0);
    put_octal(h + 124, 12, size);
    put_octal(h + 136, 12, 0);
    h[156] = (uint8_t)type;
    if (link)
        snprintf((char *)h + 157, 100, "%s", link);
    memcpy(h + 257, "ustar\0" "00", 8);
    for (size_t i = 0; i < data_len; i++)
        h[512 + i] = (uint8_t)('A' + i % 26);
    finish_header(h);
    a->n += blocks * 512;
    return off;
}

static void add_pax(struct arc *a, const char *records)
{
    add(a, "./PaxHeaders/x", 'x', strlen(records), NULL, strlen(records));
    memcpy(a->p + a->n - ((strlen(records) + 511) / 512) * 512, records,
           strlen(records));
}

static void end(struct arc *a)
{
    a->p = xrealloc(a->p, a->n + 1024);
    memset(a->p + a->n, 0, 1024);
    a->n += 1024;
}

/* Read all members; returns the final tar_next result and the error
 * text (first diagnostic) in msg. */
static int read_all(const uint8_t *p, size_t n, bool seekable, char *msg,
                    size_t msglen, int *count)
{
    struct mem m = { p, n, 0 };
    struct tar_io io = { mem_read, seekable ? mem_skip : NULL, &m,
                         seekable ? n : 0 };
    struct tar_reader *t = tar_reader_new(&io, "t.ova");
    vxl_diags d = {0};
    struct tar_entry e;
    int rc;
    *count = 0;
    while ((rc = tar_next(t, &e, &d)) == 1)
        (*count)++;
    msg[0] = 0;
    if (d.n)
        snprintf(msg, msglen, "%s", d.v[0].msg);
    vxl_diags_free(&d);
    tar_reader_free(t);
    return rc;
}

/* Expect failure `code` with a message containing `want`, both with a
 * seekable input and a stream. */
static void expect_fail(struct arc *a, int code, const char *want)
{
    for (int sk = 0; sk < 2; sk++) {
        char msg[600];
        int count;
        int rc = read_all(a->p, a->n, sk, msg, sizeof(msg), &count);
        if (rc != -code || !strstr(msg, want))
            fail_msg("seekable=%d: rc %d (want %d), msg '%s' (want '%s')", sk,
                     rc, -code, msg, want);
    }
}

static void test_hostile_types(void **state)
{
    static const struct { const char *name; char type; const char *link;
                          const char *want; } cases[] = {
        { "evil-sym", '2', "/etc/passwd", "member 'evil-sym' is a symbolic link" },
        { "evil-hard", '1', "x.ovf", "member 'evil-hard' is a hard link" },
        { "evil-chr", '3', NULL, "member 'evil-chr' is a character device" },
        { "evil-blk", '4', NULL, "member 'evil-blk' is a block device" },
        { "evil-fifo", '6', NULL, "member 'evil-fifo' is a FIFO" },
        { "evil-sparse", 'S', NULL, "member 'evil-sparse' is a GNU sparse" },
        { "evil-multi", 'M', NULL, "member 'evil-multi' is a multi-volume" },
        { "evil-unknown", 'Z', NULL, "member 'evil-unknown' has unsupported "
          "type 'Z'" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct arc a = {0};
        add(&a, "x.ovf", '0', 10, NULL, 10);
        add(&a, cases[i].name, cases[i].type, 0, cases[i].link, 0);
        end(&a);
        expect_fail(&a, EPERM, cases[i].want);
        free(a.p);
    }
}

static void test_hostile_names(void **state)
{
    static const struct { const char *name; const char *want; } cases[] = {
        { "/etc/cron.d/x", "member '/etc/cron.d/x' is an absolute path" },
        { "../escape.vmdk", "member '../escape.vmdk' has a '..' component" },
        { "a/../../b", "member 'a/../../b' has a '..' component" },
        { "./..", "member './..' has a '..' component" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct arc a = {0};
        add(&a, cases[i].name, '0', 3, NULL, 3);
        end(&a);
        expect_fail(&a, EPERM, cases[i].want);
        free(a.p);
    }
    /* the same through a pax path and a GNU long name */
    struct arc a = {0};
    add_pax(&a, "25 path=../../etc/passwd\n");
    add(&a, "innocent", '0', 1, NULL, 1);
    end(&a);
    expect_fail(&a, EPERM, "member '../../etc/passwd' has a '..' component");
    free(a.p);
    a = (struct arc){0};
    add(&a, "././@LongLink", 'L', 12, NULL, 12);
    memcpy(a.p + 512, "/abs/x.vmdk", 12);
    add(&a, "short", '0', 1, NULL, 1);
    end(&a);
    expect_fail(&a, EPERM, "member '/abs/x.vmdk' is an absolute path");
    free(a.p);
}

static void test_checksum_and_truncation(void **state)
{
    struct arc a = {0};
    add(&a, "x.ovf", '0', 10, NULL, 10);
    size_t h2 = add(&a, "disk.vmdk", '0', 700, NULL, 700);
    end(&a);
    char msg[600];
    int count;
    assert_int_equal(read_all(a.p, a.n, true, msg, sizeof(msg), &count), 0);
    assert_int_equal(count, 2);

    a.p[h2 + 5] ^= 1;                       /* name byte: checksum breaks */
    expect_fail(&a, EINVAL, "bad header checksum at offset 1024");
    a.p[h2 + 5] ^= 1;

    /* truncated inside the second member's data: the seekable reader
     * sees the size does not fit, the stream runs out while skipping */
    struct arc t = { a.p, h2 + 512 + 100 };
    expect_fail(&t, EIO, "truncated archive");
    /* truncated inside a header */
    t.n = h2 + 200;
    expect_fail(&t, EIO, "truncated archive: it ends inside the header");
    /* EOF exactly at a header boundary ends the archive */
    t.n = h2;
    assert_int_equal(read_all(t.p, t.n, false, msg, sizeof(msg), &count), 0);
    assert_int_equal(count, 1);
    free(a.p);

    /* a huge size field (octal and base-256) in a small archive */
    a = (struct arc){0};
    add(&a, "huge.vmdk", '0', 077777777777ull, NULL, 0);
    end(&a);
    expect_fail(&a, EIO, "truncated archive");
    a.p[124] = (char)0x80;                  /* base-256: 2^60 */
    memset(a.p + 125, 0, 11);
    a.p[128] = 0x10;
    finish_header(a.p);
    expect_fail(&a, EIO, "truncated archive");
    a.p[124] = (char)0xff;                  /* negative */
    finish_header(a.p);
    expect_fail(&a, EINVAL, "invalid size field");
    free(a.p);
}

static void test_duplicates_and_pax(void **state)
{
    struct arc a = {0};
    add(&a, "disk.vmdk", '0', 4, NULL, 4);
    add(&a, "./disk.vmdk", '0', 4, NULL, 4);
    end(&a);
    expect_fail(&a, EINVAL, "member 'disk.vmdk' appears more than once");
    free(a.p);

    static const char *bad_pax[] = {
        "99 path=x\n",                      /* length past the end */
        "5 a\n",                            /* too short, no '=' */
        "12 size=1x2\n",                    /* size not a number */
        "11 path=x\nX",                     /* trailing junk */
    };
    for (size_t i = 0; i < sizeof(bad_pax) / sizeof(bad_pax[0]); i++) {
        a = (struct arc){0};
        add_pax(&a, bad_pax[i]);
        add(&a, "f", '0', 1, NULL, 1);
        end(&a);
        expect_fail(&a, EINVAL, "extended header");
        free(a.p);
    }
    a = (struct arc){0};
    add_pax(&a, "22 GNU.sparse.major=1\n");
    add(&a, "sparse.img", '0', 1, NULL, 1);
    end(&a);
    expect_fail(&a, EPERM, "member 'sparse.img' is a GNU sparse file");
    free(a.p);

    /* pax size overrides the header's, data offsets follow it */
    a = (struct arc){0};
    add_pax(&a, "12 size=600\n14 path=big.v\n");
    add(&a, "ignored", '0', 0, NULL, 600);
    add(&a, "next", '0', 3, NULL, 3);
    end(&a);
    struct mem m = { a.p, a.n, 0 };
    struct tar_io io = { mem_read, NULL, &m, 0 };
    struct tar_reader *t = tar_reader_new(&io, "t.ova");
    vxl_diags d = {0};
    struct tar_entry e;
    assert_int_equal(tar_next(t, &e, &d), 1);
    assert_string_equal(e.name, "big.v");
    assert_int_equal(e.size, 600);
    assert_int_equal(e.offset, 1024 + 512);
    char buf[700];
    assert_int_equal(tar_read(t, buf, sizeof(buf), &d), 600);
    assert_int_equal(buf[599], 'A' + 599 % 26);
    assert_int_equal(tar_next(t, &e, &d), 1);
    assert_string_equal(e.name, "next");
    assert_int_equal(tar_next(t, &e, &d), 0);
    assert_int_equal(d.n, 0);
    tar_reader_free(t);
    free(a.p);
}

/* ---- archives written by GNU tar ------------------------------------ */

static char dir[64];

static void write_file(const char *name, size_t size, unsigned seed)
{
    char *p = xasprintf("%s/in/%s", dir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    srand(seed);
    for (size_t i = 0; i < size; i++)
        fputc(rand() & 0xff, f);
    fclose(f);
    free(p);
}

static uint8_t *slurp_file(const char *p, size_t *n)
{
    int fd = open(p, O_RDONLY);
    assert_true(fd >= 0);
    struct stat st;
    fstat(fd, &st);
    uint8_t *b = xmalloc((size_t)st.st_size + 1);
    assert_int_equal(read(fd, b, (size_t)st.st_size), st.st_size);
    close(fd);
    *n = (size_t)st.st_size;
    return b;
}

static void test_gnu_tar_formats(void **state)
{
    snprintf(dir, sizeof(dir), "/tmp/vxl-tar.XXXXXX");
    assert_non_null(mkdtemp(dir));
    char *cmd = xasprintf("mkdir -p %s/in/sub", dir);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    /* a name longer than 100 bytes needs a long-name mechanism (GNU 'L',
     * pax path); ustar splits it into prefix + name */
    const char *longname =
        "sub/a-rather-long-disk-file-name-that-does-not-fit-in-the-"
        "hundred-bytes-of-a-v7-header-0123456789.vmdk";
    write_file("appliance.ovf", 1000, 1);
    write_file("sub/a-rather-long-disk-file-name-that-does-not-fit-in-the-"
               "hundred-bytes-of-a-v7-header-0123456789.vmdk", 70000, 2);
    write_file("empty.txt", 0, 3);
    static const char *fmts[] = { "ustar", "pax", "gnu", "posix", "oldgnu" };
    for (size_t f = 0; f < sizeof(fmts) / sizeof(fmts[0]); f++) {
        cmd = xasprintf("cd %s/in && tar --format=%s -cf ../t.tar "
                        "appliance.ovf %s empty.txt", dir, fmts[f], longname);
        assert_int_equal(system(cmd), 0);
        free(cmd);
        char *tp = xasprintf("%s/t.tar", dir);
        size_t n;
        uint8_t *arc = slurp_file(tp, &n);
        free(tp);
        for (int sk = 0; sk < 2; sk++) {
            struct mem m = { arc, n, 0 };
            struct tar_io io = { mem_read, sk ? mem_skip : NULL, &m,
                                 sk ? n : 0 };
            struct tar_reader *t = tar_reader_new(&io, "t.tar");
            vxl_diags d = {0};
            struct tar_entry e;
            const char *want[] = { "appliance.ovf", longname, "empty.txt" };
            size_t sizes[] = { 1000, 70000, 0 };
            for (int i = 0; i < 3; i++) {
                int rc = tar_next(t, &e, &d);
                if (rc != 1)
                    fail_msg("%s: member %d: rc %d: %s", fmts[f], i, rc,
                             d.n ? d.v[0].msg : "");
                assert_string_equal(e.name, want[i]);
                assert_int_equal(e.size, sizes[i]);
                /* the data at the recorded offset is the file's */
                char *ip = xasprintf("%s/in/%s", dir, want[i]);
                size_t fl;
                uint8_t *fb = slurp_file(ip, &fl);
                free(ip);
                assert_int_equal(fl, e.size);
                assert_true(e.offset + e.size <= n);
                assert_memory_equal(arc + e.offset, fb, fl);
                free(fb);
            }
            assert_int_equal(tar_next(t, &e, &d), 0);
            assert_int_equal(d.n, 0);
            tar_reader_free(t);
        }
        free(arc);
    }
    cmd = xasprintf("rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
    free(cmd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hostile_types),
        cmocka_unit_test(test_hostile_names),
        cmocka_unit_test(test_checksum_and_truncation),
        cmocka_unit_test(test_duplicates_and_pax),
        cmocka_unit_test(test_gnu_tar_formats),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests for OVA import (import/ova.c, import/manifest.c and the
 * disk layer's windows): manifest lines in every spacing and their
 * errors; OVAs built here with tar, qemu-img and sha*sum holding an
 * .ovf and a streamOptimized / monolithicSparse / raw / chunked / gzip
 * disk are converted in place and read back equal to the original raw
 * (qemu-img compare); tampering with a disk, the descriptor or the
 * manifest is an error naming the file and leaves no output; missing and
 * extra manifest entries, a certificate, a pipe, a compressed tar and
 * formats that can't be read in place are reported; small real OVAs
 * from tests/data/import/ova (see PROVENANCE there) open or fail as expected. */
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
#include "disk/disk.h"
#include "import/manifest.h"
#include "import/ova.h"

static char dir[64];

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *body = xvasprintf(fmt, ap);
    va_end(ap);
    char *cmd = xasprintf("cd %s && { %s ; } >/dev/null 2>&1", dir, body);
    int rc = system(cmd);
    if (rc != 0)
        fail_msg("command failed (%d): %s", rc, body);
    free(cmd);
    free(body);
}

static int sh_rc(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh_rc(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *body = xvasprintf(fmt, ap);
    va_end(ap);
    char *cmd = xasprintf("cd %s && { %s ; } >/dev/null 2>&1", dir, body);
    int rc = system(cmd);
    free(cmd);
    free(body);
    return rc;
}

static char *path(const char *name)
{
    return xasprintf("%s/%s", dir, name);
}

static bool exists(const char *name)
{
    char *p = path(name);
    struct stat st;
    bool r = stat(p, &st) == 0;
    free(p);
    return r;
}

/* Concatenated messages of all diagnostics. */
static char *diag_text(const vxl_diags *d)
{
    strbuf sb = {0};
    for (size_t i = 0; i < d->n; i++) {
        sb_printf(&sb, "%s: %s\n", d->v[i].sev == VXL_ERROR ? "error"
                  : d->v[i].sev == VXL_WARNING ? "warning" : "note",
                  d->v[i].msg);
    }
    sb_puts(&sb, "");
    return sb_steal(&sb);
}

static int setup(void **state)
{
    snprintf(dir, sizeof(dir), "/tmp/vxl-ova.XXXXXX");
    assert_non_null(mkdtemp(dir));
    /* a 6 MiB raw disk: random data at a few places, holes elsewhere */
    sh("truncate -s 6M disk.raw && "
       "head -c 300000 /dev/urandom | dd of=disk.raw conv=notrunc && "
       "head -c 70000 /dev/urandom | dd of=disk.raw bs=65536 seek=40 "
       "conv=notrunc && printf 'end' | dd of=disk.raw bs=1 seek=6291453 "
       "conv=notrunc");
    sh("qemu-img convert -f raw -O vmdk -o subformat=streamOptimized "
       "disk.raw stream.vmdk");
    sh("qemu-img convert -f raw -O vmdk -o subformat=monolithicSparse "
       "disk.raw sparse.vmdk");
    sh("printf '<?xml version=\"1.0\"?>\\n<Envelope/>\\n' > app.ovf");
    return 0;
}

static int teardown(void **state)
{
    char *cmd = xasprintf("rm -rf %s", dir);
    int rc = system(cmd);
    free(cmd);
    return rc;
}

/* ---- manifest parser ---------------------------------------------------- */

static void test_manifest_forms(void **state)
{
    const char *text =
        "SHA1(a.ovf)= 0123456789abcdef0123456789ABCDEF01234567\r\n"
        "SHA1 (b c (1).vmdk) = 0000000000000000000000000000000000000001\n"
        "\n"
        "  SHA256(d.vmdk)=0000000000000000000000000000000000000000000000000000"
        "000000000002  \n"
        "sha512(e.iso)= " "00000000000000000000000000000000000000000000000000"
        "0000000000000000000000000000000000000000000000000000000000000000"
        "00000000000003";
    struct vmanifest m;
    vxl_diags d = {0};
    assert_int_equal(vmanifest_parse(text, strlen(text), "x.mf", &m, &d), 0);
    assert_int_equal(d.n, 0);
    assert_int_equal(m.n, 4);
    assert_string_equal(m.v[0].file, "a.ovf");
    assert_int_equal(m.v[0].alg, VMF_SHA1);
    assert_int_equal(m.v[0].digest[19], 0x67);
    assert_int_equal(m.v[0].digest[10], 0x45);
    assert_string_equal(m.v[1].file, "b c (1).vmdk");
    assert_int_equal(m.v[2].alg, VMF_SHA256);
    assert_int_equal(m.v[2].digest[31], 2);
    assert_int_equal(m.v[3].alg, VMF_SHA512);
    assert_int_equal(m.v[3].line, 5);
    assert_non_null(vmanifest_find(&m, "d.vmdk"));
    assert_null(vmanifest_find(&m, "zz"));
    vmanifest_free(&m);
}

static void test_manifest_errors(void **state)
{
    static const struct { const char *text, *want; int line; } cases[] = {
        { "MD5(a)= 00000000000000000000000000000000\n",
          "unknown digest algorithm 'MD5'", 1 },
        { "SHA1(a)= 00\n", "SHA1 digest must be 40 hex digits, not 2", 1 },
        { "\nSHA1(a)= 000000000000000000000000000000000000000g\n",
          "digest is not hexadecimal", 2 },
        { "SHA1 a = 0000000000000000000000000000000000000000\n",
          "malformed manifest line", 1 },
        { "SHA1(a = 0000000000000000000000000000000000000000\n",
          "no ')'", 1 },
        { "SHA1(a) 0000000000000000000000000000000000000000\n",
          "expected '='", 1 },
        { "SHA1()= 0000000000000000000000000000000000000000\n",
          "empty or invalid file name", 1 },
        { "SHA1(a)= 0000000000000000000000000000000000000000\n"
          "SHA256(a)= 00000000000000000000000000000000000000000000000000000"
          "00000000000\n", "'a' is listed twice (first on line 1)", 2 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct vmanifest m;
        vxl_diags d = {0};
        int rc = vmanifest_parse(cases[i].text, strlen(cases[i].text), "x.mf",
                                 &m, &d);
        assert_int_equal(rc, -EINVAL);
        assert_int_equal(m.n, 0);
        assert_int_equal(d.n, 1);
        if (!strstr(d.v[0].msg, cases[i].want))
            fail_msg("case %zu: '%s' lacks '%s'", i, d.v[0].msg,
                     cases[i].want);
        assert_int_equal(d.v[0].line, cases[i].line);
        assert_string_equal(d.v[0].file, "x.mf");
        vxl_diags_free(&d);
    }
}

/* ---- building OVAs -------------------------------------------------------- */

/* Make NAME.ova from the files (in order) with a manifest of algorithm
 * alg ("SHA1"/"SHA256", NULL = none), tar format fmt. */
static void make_ova(const char *name, const char *fmt, const char *alg,
                     const char *files)
{
    if (alg) {
        char *lower = xstrdup(alg);
        for (char *c = lower; *c; c++)
            *c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
        sh("rm -f app.mf && for f in app.ovf %s; do "
           "printf '%s(%%s)= %%s\\n' \"$f\" \"$(%ssum < \"$f\" | cut -d' ' -f1)\" "
           ">> app.mf; done", files, alg, lower);
        free(lower);
        sh("tar --format=%s -cf %s.ova app.ovf app.mf %s", fmt, name, files);
    } else {
        sh("tar --format=%s -cf %s.ova app.ovf %s", fmt, name, files);
    }
}

static struct vimport_source *open_ok(const char *name, vxl_diags *d)
{
    char *p = path(name);
    struct vimport_source *s = NULL;
    int rc = vimport_ova_open(p, &s, d);
    if (rc < 0) {
        char *t = diag_text(d);
        fail_msg("open %s: %d\n%s", p, rc, t);
    }
    free(p);
    return s;
}

static int convert(struct vimport_source *s, const char *const *members,
                   size_t n, bool gzip, const char *out,
                   struct vdisk_err *err)
{
    struct vimport_file_ref f = { members, n, gzip };
    char *dst = path(out);
    struct vimport_convert_req req = {
        .file = &f, .dst = dst, .dst_format = "qcow2", .scratch_dir = dir,
    };
    int rc = vimport_source_convert(s, &req, err);
    free(dst);
    return rc;
}

static void expect_equal_to_raw(const char *out)
{
    if (sh_rc("qemu-img compare -f raw -F qcow2 disk.raw %s", out) != 0)
        fail_msg("%s differs from disk.raw", out);
}

/* No temporary or unverified file is left in the directory. */
static void expect_no_leftovers(void)
{
    DIR *dp = opendir(dir);
    struct dirent *de;
    while ((de = readdir(dp)))
        if (strstr(de->d_name, ".vxl-") || strstr(de->d_name, "unverified"))
            fail_msg("leftover file '%s'", de->d_name);
    closedir(dp);
}

static void test_stream_optimized(void **state)
{
    sh("cp stream.vmdk disk1.vmdk");
    make_ova("so", "ustar", "SHA256", "disk1.vmdk");
    vxl_diags d = {0};
    struct vimport_source *s = open_ok("so.ova", &d);
    assert_int_equal(d.nerrors, 0);
    assert_string_equal(s->main, "app.ovf");
    assert_int_equal(s->kind, VIMPORT_SRC_OVA);
    assert_int_equal(s->nmembers, 3);
    assert_string_equal(s->members[2].name, "disk1.vmdk");

    char *data;
    size_t len;
    assert_int_equal(vimport_source_read(s, "app.ovf", 1 << 20, &data, &len,
                                         &d), 0);
    assert_string_equal(data, "<?xml version=\"1.0\"?>\n<Envelope/>\n");
    free(data);
    assert_int_equal(vimport_source_read(s, "app.ovf", 4, &data, &len, &d),
                     -EFBIG);
    assert_non_null(strstr(d.v[d.n - 1].msg, "member 'app.ovf' is too large"));
    vxl_diags_free(&d);

    const char *m[] = { "disk1.vmdk" };
    struct vimport_file_ref f = { m, 1, false };
    struct vimport_image_info info;
    struct vdisk_err err = {0};
    assert_int_equal(vimport_source_inspect(s, &f, NULL, &info, &err), 0);
    assert_string_equal(info.format, "vmdk");
    assert_int_equal(info.virtual_size, 6u << 20);

    assert_int_equal(convert(s, m, 1, false, "so.qcow2", &err), 0);
    expect_equal_to_raw("so.qcow2");
    /* the digest came from the conversion's own reads: what the tap had
     * to read itself is the metadata at the end, a small part */
    struct vova_tap_stats st;
    vimport_ova_tap_stats(s, &st);
    struct stat sb;
    char *sp = path("disk1.vmdk");
    assert_int_equal(stat(sp, &sb), 0);
    free(sp);
    assert_int_equal(st.observed + st.reread, (uint64_t)sb.st_size);
    /* (this small image: ~330 KiB of compressed grains, all of which
     * must come from the conversion; the re-read part is the padding
     * and grain tables the conversion never reads) */
    if (st.observed < 330000 || st.reread > 160 * 1024)
        fail_msg("tap re-read %llu, observed %llu of %llu bytes",
                 (unsigned long long)st.reread,
                 (unsigned long long)st.observed,
                 (unsigned long long)sb.st_size);
    assert_int_equal(vimport_ova_verify_rest(s, &d), 0);
    assert_int_equal(d.nerrors, 0);
    vimport_source_close(s);
    expect_no_leftovers();
    vxl_diags_free(&d);
}

static void test_formats_and_tar_variants(void **state)
{
    static const struct { const char *src, *fmt, *alg; } cases[] = {
        { "sparse.vmdk", "pax", "SHA1" },
        { "disk.raw", "gnu", "SHA256" },
        { "stream.vmdk", "posix", NULL },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sh("cp %s disk1.img", cases[i].src);
        make_ova("v", cases[i].fmt, cases[i].alg, "disk1.img");
        vxl_diags d = {0};
        struct vimport_source *s = open_ok("v.ova", &d);
        const char *m[] = { "disk1.img" };
        struct vdisk_err err = {0};
        if (convert(s, m, 1, false, "v.qcow2", &err) < 0)
            fail_msg("%s: %s", cases[i].src, err.msg);
        expect_equal_to_raw("v.qcow2");
        vimport_source_close(s);
        /* no manifest: a note says so */
        char *t = diag_text(&d);
        assert_true((strstr(t, "no manifest") != NULL) == !cases[i].alg);
        free(t);
        vxl_diags_free(&d);
        sh("rm -f v.qcow2 v.ova");
    }
}

static void test_tampering(void **state)
{
    sh("cp stream.vmdk disk1.vmdk");
    make_ova("good", "ustar", "SHA1", "disk1.vmdk");
    /* change a byte of the VMDK where the conversion does not notice
     * (the zero padding after the embedded descriptor, sector 10): only
     * the digest can tell */
    sh("cp good.ova bad-disk.ova && off=$(( $(tar tvR --block-number -f "
       "good.ova | awk '/disk1.vmdk/ {print $2}' | tr -d :) * 512 + 512 "
       "+ 5120 )) && printf 'X' | dd of=bad-disk.ova bs=1 seek=$off "
       "conv=notrunc");
    vxl_diags d = {0};
    struct vimport_source *s = open_ok("bad-disk.ova", &d);
    const char *m[] = { "disk1.vmdk" };
    struct vdisk_err err = {0};
    assert_int_equal(convert(s, m, 1, false, "bad.qcow2", &err), -EINVAL);
    if (!strstr(err.msg, "'disk1.vmdk': SHA1 digest mismatch"))
        fail_msg("message: %s", err.msg);
    assert_false(exists("bad.qcow2"));
    expect_no_leftovers();
    /* once found bad, the member stays refused */
    assert_int_equal(vimport_ova_verify_rest(s, &d), -EINVAL);
    vimport_source_close(s);
    vxl_diags_free(&d);

    /* a changed descriptor is caught at open */
    sh("mkdir -p t && cd t && tar xf ../good.ova && printf ' ' >> app.ovf "
       "&& tar cf ../bad-ovf.ova app.ovf app.mf disk1.vmdk");
    char *p = path("bad-ovf.ova");
    struct vimport_source *s2 = NULL;
    assert_int_equal(vimport_ova_open(p, &s2, &d), -EINVAL);
    assert_null(s2);
    char *t = diag_text(&d);
    if (!strstr(t, "'app.ovf': SHA1 digest mismatch"))
        fail_msg("%s", t);
    free(t);
    free(p);
    vxl_diags_free(&d);

    /* a manifest naming a missing file and missing a member: warnings */
    sh("cd t && tar xf ../good.ova && cp disk1.vmdk extra.iso && "
       "sed -i 's/disk1.vmdk/gone.vmdk/' app.mf && "
       "tar cf ../loose.ova app.ovf app.mf disk1.vmdk extra.iso && "
       "echo cert > app.cert && tar rf ../loose.ova app.cert");
    s = open_ok("loose.ova", &d);
    t = diag_text(&d);
    if (!strstr(t, "warning: the manifest 'app.mf' lists 'gone.vmdk' (line "
                "2), which is not in the archive") ||
        !strstr(t, "warning: 'disk1.vmdk' is not listed in the manifest") ||
        !strstr(t, "warning: 'extra.iso' is not listed in the manifest") ||
        !strstr(t, "note: the archive is signed ('app.cert'); vxl does not "
                "verify the signature") || strstr(t, "'app.cert' is not"))
        fail_msg("%s", t);
    free(t);
    assert_int_equal(d.nerrors, 0);
    vimport_source_close(s);
    vxl_diags_free(&d);
}

static void test_chunked_and_gzip(void **state)
{
    /* ovf:chunkSize: the VMDK split into 100000-byte members */
    sh("rm -f disk1.vmdk.0* && split -b 100000 -d -a 9 stream.vmdk "
       "disk1.vmdk.");
    sh("ls disk1.vmdk.0* > chunks && test $(wc -l < chunks) -ge 3");
    sh("tar cf ch.ova app.ovf disk1.vmdk.0*");
    char *cp = path("chunks");
    FILE *f = fopen(cp, "r");
    free(cp);
    const char *names[64];
    size_t n = 0;
    char line[256];
    while (n < 64 && fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = 0;
        names[n++] = xstrdup(line);
    }
    fclose(f);
    vxl_diags d = {0};
    struct vimport_source *s = open_ok("ch.ova", &d);
    struct vimport_file_ref fr = { names, n, false };
    struct vimport_image_info info;
    struct vdisk_err err = {0};
    assert_int_equal(vimport_source_inspect(s, &fr, NULL, &info, &err), 0);
    assert_int_equal(info.virtual_size, 6u << 20);
    if (convert(s, names, n, false, "ch.qcow2", &err) < 0)
        fail_msg("%s", err.msg);
    expect_equal_to_raw("ch.qcow2");
    vimport_source_close(s);
    vxl_diags_free(&d);

    /* gzip-compressed reference, verified by its compressed digest */
    sh("gzip -c stream.vmdk > disk1.vmdk && cp disk1.vmdk disk1.gz");
    make_ova("gz", "ustar", "SHA256", "disk1.vmdk");
    s = open_ok("gz.ova", &d);
    const char *m[] = { "disk1.vmdk" };
    assert_int_equal(vimport_source_inspect(s, &(struct vimport_file_ref){
                     m, 1, true }, NULL, &info, &err), -ENOTSUP);
    if (convert(s, m, 1, true, "gz.qcow2", &err) < 0)
        fail_msg("%s", err.msg);
    expect_equal_to_raw("gz.qcow2");
    expect_no_leftovers();
    vimport_source_close(s);
    /* chunked + gzip, one chunk damaged inside the deflate stream */
    sh("rm -f disk1.vmdk.0* && split -b 3000 -d -a 9 disk1.gz disk1.vmdk. "
       "&& printf 'ZZZZ' | dd of=disk1.vmdk.000000001 bs=1 seek=100 "
       "conv=notrunc && tar cf gzc.ova app.ovf disk1.vmdk.0*");
    s = open_ok("gzc.ova", &d);
    const char *gm[] = { "disk1.vmdk.000000000", "disk1.vmdk.000000001",
                         "disk1.vmdk.000000002" };
    size_t gn = exists("disk1.vmdk.000000002") ? 3 : 2;
    int rc = convert(s, gm, gn, true, "gzc.qcow2", &err);
    assert_true(rc < 0);
    assert_false(exists("gzc.qcow2"));
    expect_no_leftovers();
    vimport_source_close(s);
    for (size_t i = 0; i < n; i++)
        free((char *)names[i]);
    vxl_diags_free(&d);
}

static void test_refusals(void **state)
{
    vxl_diags d = {0};
    struct vimport_source *s = NULL;
    /* a pipe */
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    char *pp = xasprintf("/proc/self/fd/%d", pfd[0]);
    assert_int_equal(vimport_ova_open(pp, &s, &d), -EINVAL);
    char *t = diag_text(&d);
    assert_non_null(strstr(t, "not a regular file"));
    assert_non_null(strstr(d.v[0].hint, "save the archive to a file"));
    free(t);
    free(pp);
    close(pfd[0]);
    close(pfd[1]);
    vxl_diags_free(&d);

    /* no descriptor; two descriptors */
    sh("cp stream.vmdk disk1.vmdk && tar cf nodesc.ova disk1.vmdk && "
       "cp app.ovf b.ovf && tar cf two.ova app.ovf b.ovf");
    char *p = path("nodesc.ova");
    assert_int_equal(vimport_ova_open(p, &s, &d), -EINVAL);
    assert_non_null(strstr(d.v[0].msg, "no .ovf descriptor"));
    free(p);
    vxl_diags_free(&d);
    p = path("two.ova");
    assert_int_equal(vimport_ova_open(p, &s, &d), -EINVAL);
    assert_non_null(strstr(d.v[0].msg, "two descriptors: 'app.ovf' and "
                           "'b.ovf'"));
    free(p);
    vxl_diags_free(&d);

    /* descriptor not first: a note, works */
    sh("tar cf late.ova disk1.vmdk app.ovf");
    s = open_ok("late.ova", &d);
    t = diag_text(&d);
    assert_non_null(strstr(t, "note: the descriptor 'app.ovf' is not the "
                           "first member"));
    free(t);
    /* a member that is not in the archive */
    const char *m[] = { "nope.vmdk" };
    struct vdisk_err err = {0};
    assert_int_equal(convert(s, m, 1, false, "x.qcow2", &err), -ENOENT);
    assert_non_null(strstr(err.msg, "no member 'nope.vmdk'"));
    vimport_source_close(s);
    vxl_diags_free(&d);

    /* a qcow2 disk can't be read in place */
    sh("qemu-img convert -f raw -O qcow2 disk.raw q.img && "
       "tar cf q.ova app.ovf q.img");
    s = open_ok("q.ova", &d);
    const char *qm[] = { "q.img" };
    struct vimport_image_info info;
    assert_int_equal(vimport_source_inspect(s, &(struct vimport_file_ref){
                     qm, 1, false }, NULL, &info, &err), -ENOTSUP);
    assert_non_null(strstr(err.msg, "a qcow2 image cannot be read in place"));
    assert_int_equal(convert(s, qm, 1, false, "q.qcow2", &err), -ENOTSUP);
    assert_false(exists("q.qcow2"));
    vimport_source_close(s);
    vxl_diags_free(&d);

    /* a VMDK delta inside the archive: its parent is not followed */
    sh("qemu-img create -q -f vmdk base.vmdk 6M && qemu-img create -q -f "
       "vmdk -b base.vmdk -F vmdk child.vmdk && "
       "tar cf delta.ova app.ovf base.vmdk child.vmdk");
    s = open_ok("delta.ova", &d);
    const char *cm[] = { "child.vmdk" };
    assert_int_equal(vimport_source_inspect(s, &(struct vimport_file_ref){
                     cm, 1, false }, NULL, &info, &err), -EPERM);
    assert_non_null(strstr(err.msg, "records a backing file 'base.vmdk'; "
                           "refusing to follow it"));
    vimport_source_close(s);
    vxl_diags_free(&d);

    /* a hostile member anywhere refuses the whole archive */
    sh("ln -sf /etc/passwd link.vmdk && tar cf sym.ova app.ovf link.vmdk");
    p = path("sym.ova");
    assert_int_equal(vimport_ova_open(p, &s, &d), -EPERM);
    assert_non_null(strstr(d.v[0].msg, "member 'link.vmdk' is a symbolic "
                           "link (to '/etc/passwd')"));
    free(p);
    vxl_diags_free(&d);
    sh("tar -P -cf dotdot.ova app.ovf --transform 's,^disk,../disk,' "
       "disk1.vmdk && tar -P -cf abs.ova app.ovf --transform "
       "'s,^disk,/tmp/disk,' disk1.vmdk");
    p = path("dotdot.ova");
    assert_int_equal(vimport_ova_open(p, &s, &d), -EPERM);
    assert_non_null(strstr(d.v[0].msg, "member '../disk1.vmdk' has a '..' "
                           "component"));
    free(p);
    vxl_diags_free(&d);
    p = path("abs.ova");
    assert_int_equal(vimport_ova_open(p, &s, &d), -EPERM);
    assert_non_null(strstr(d.v[0].msg, "member '/tmp/disk1.vmdk' is an "
                           "absolute path"));
    free(p);
    vxl_diags_free(&d);
}

/* Real archives (tests/data/import/ova/PROVENANCE). */
static void test_corpus(void **state)
{
    const char *top = getenv("VXL_TOP") ? getenv("VXL_TOP") : ".";
    char *p = xasprintf("%s/tests/data/import/ova/cdi-fake.ova", top);
    vxl_diags d = {0};
    struct vimport_source *s = NULL;
    if (vimport_ova_open(p, &s, &d) < 0) {
        char *t = diag_text(&d);
        fail_msg("%s", t);
    }
    assert_string_equal(s->main, "fake.ovf");
    /* disk1.mf (CRLF) lists only disk1.vmdk: the .ovf is not verified */
    char *t = diag_text(&d);
    assert_non_null(strstr(t, "'fake.ovf' is not listed in the manifest"));
    free(t);
    const char *m[] = { "disk1.vmdk" };
    struct vimport_file_ref f = { m, 1, false };
    struct vimport_image_info info;
    struct vdisk_err err = {0};
    assert_int_equal(vimport_source_inspect(s, &f, NULL, &info, &err), 0);
    assert_string_equal(info.format, "vmdk");
    assert_int_equal(info.virtual_size, 10240);
    assert_int_equal(vimport_ova_verify_rest(s, &d), 0);
    vimport_source_close(s);
    vxl_diags_free(&d);
    free(p);

    p = xasprintf("%s/tests/data/import/ova/glance-testserver.ova", top);
    assert_int_equal(vimport_ova_open(p, &s, &d), 0);
    assert_string_equal(s->main, "testserver.ovf");
    vimport_source_close(s);
    vxl_diags_free(&d);
    free(p);

    p = xasprintf("%s/tests/data/import/ova/ganeti-ova.ova", top);
    assert_int_equal(vimport_ova_open(p, &s, &d), -EINVAL);
    assert_non_null(strstr(d.v[0].msg, "the archive is gzip-compressed"));
    vxl_diags_free(&d);
    free(p);

    p = xasprintf("%s/tests/data/import/ova/ganeti-wrong_ova.ova", top);
    assert_int_equal(vimport_ova_open(p, &s, &d), -EINVAL);
    assert_non_null(strstr(d.v[0].msg, "bad header checksum at offset 0"));
    vxl_diags_free(&d);
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_manifest_forms),
        cmocka_unit_test(test_manifest_errors),
        cmocka_unit_test(test_stream_optimized),
        cmocka_unit_test(test_formats_and_tar_variants),
        cmocka_unit_test(test_tampering),
        cmocka_unit_test(test_chunked_and_gzip),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_corpus),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

/* Unit tests for the image command helpers: qemu-compatible size parsing
 * and printing (disk/imgopt.c) and the convert engine's zero detection.
 * Expected values were checked against qemu-img 7.2 (`qemu-img create -f
 * raw x SIZE` / `qemu-img info`) when the table was written. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "disk/convert.h"
#include "disk/imgopt.h"

static const struct {
    const char *in;
    int rc;
    uint64_t val;
} sizes[] = {
    { "0", 0, 0 },
    { "1", 0, 1 },
    { "512", 0, 512 },
    { "1k", 0, 1024 },
    { "1K", 0, 1024 },
    { "1M", 0, 1048576 },
    { "1.5G", 0, 1610612736 },
    { "2T", 0, 2ULL << 40 },
    { "1P", 0, 1ULL << 50 },
    { "1E", 0, 1ULL << 60 },
    { "1b", 0, 1 },
    { "1B", 0, 1 },
    { "1.k", 0, 1024 },         /* empty fraction is allowed */
    { "0.5k", 0, 512 },
    { "0.0001k", 0, 0 },        /* 0.1024 rounds to 0 */
    { "1.0001k", 0, 1024 },
    { "0.00049M", 0, 514 },     /* 513.8 rounds half up */
    { " 1", 0, 1 },             /* leading space, as strtoull */
    { "0x100", 0, 256 },
    { "0x100k", 0, 262144 },    /* deprecated in 7.2, still accepted */
    { "16E", -ERANGE, 0 },
    { "100000000000000000000", -ERANGE, 0 },
    { "1.5", -EINVAL, 0 },      /* a fraction needs a unit */
    { "1e3", -EINVAL, 0 },
    { "1.5e3k", -EINVAL, 0 },
    { "1 ", -EINVAL, 0 },
    { "-1", -EINVAL, 0 },
    { "+1", -EINVAL, 0 },
    { "1Q", -EINVAL, 0 },
    { "1kk", -EINVAL, 0 },
    { "0x", -EINVAL, 0 },
    { "0x1.5k", -EINVAL, 0 },
    { "", -EINVAL, 0 },
    { "k", -EINVAL, 0 },
};

static void parse_size_table(void **state)
{
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        uint64_t v = 12345;
        int rc = imgopt_parse_size(sizes[i].in, &v);
        if (rc != sizes[i].rc || (rc == 0 && v != sizes[i].val))
            fail_msg("'%s': rc %d value %llu, expected rc %d value %llu",
                     sizes[i].in, rc, (unsigned long long)v, sizes[i].rc,
                     (unsigned long long)sizes[i].val);
    }
}

static void parse_size_default_unit(void **state)
{
    uint64_t v;
    assert_int_equal(imgopt_parse_size_unit("2", 1 << 20, &v), 0);
    assert_int_equal(v, 2 << 20);
    assert_int_equal(imgopt_parse_size_unit("2k", 1 << 20, &v), 0);
    assert_int_equal(v, 2048);
    assert_int_equal(imgopt_parse_size_unit("1.5", 1 << 20, &v), 0);
    assert_int_equal(v, 3 << 19);
}

static const struct {
    uint64_t in;
    const char *out;
} strs[] = {
    { 0, "0 B" },
    { 512, "512 B" },
    { 999, "999 B" },
    { 1000, "0.977 KiB" },      /* integer part kept below 1000 */
    { 1024, "1 KiB" },
    { 200704, "196 KiB" },      /* qemu-img info "disk size" lines */
    { 1396736, "1.33 MiB" },
    { 67108864, "64 MiB" },
    { 1073741824, "1 GiB" },
    { 1610612736, "1.5 GiB" },
    { 1ULL << 60, "1 EiB" },
    { UINT64_MAX, "16 EiB" },
};

static void size_to_str_table(void **state)
{
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
        char *s = imgopt_size_to_str(strs[i].in);
        if (strcmp(s, strs[i].out))
            fail_msg("%llu: '%s', expected '%s'", (unsigned long long)strs[i].in,
                     s, strs[i].out);
        free(s);
    }
}

static void zero_detection(void **state)
{
    uint8_t *b = calloc(1, 65536 + 1);
    assert_true(vconvert_is_zero(b, 65536));
    assert_true(vconvert_is_zero(b, 0));
    assert_true(vconvert_is_zero(b, 7));
    assert_int_equal(vconvert_zero_prefix(b, 65536), 65536);
    for (size_t pos = 0; pos < 65536; pos += 4099) {
        b[pos] = 1;
        assert_false(vconvert_is_zero(b, 65536));
        assert_int_equal(vconvert_zero_prefix(b, 65536), pos);
        b[pos] = 0;
    }
    b[65535] = 0x80;            /* the very last byte */
    assert_false(vconvert_is_zero(b, 65536));
    assert_true(vconvert_is_zero(b, 65535));
    b[65535] = 0;
    b[3] = 1;                   /* inside the first 16 bytes */
    assert_false(vconvert_is_zero(b, 65536));
    assert_false(vconvert_is_zero(b, 5));
    free(b);
}

static void incompressible_detection(void **state)
{
    uint8_t *b = malloc(65536);

    srand(7);
    for (size_t i = 0; i < 65536; i++)
        b[i] = (uint8_t)rand();
    assert_true(vconvert_incompressible(b, 65536));     /* random */
    assert_true(vconvert_incompressible(b, 4096));
    assert_false(vconvert_incompressible(b, 4095));     /* too short to judge */
    for (size_t i = 0; i < 65536; i++)                   /* text-like */
        b[i] = "the quick brown fox jumps over the lazy dog\n"[i % 44];
    assert_false(vconvert_incompressible(b, 65536));
    memset(b, 0, 65536);
    assert_false(vconvert_incompressible(b, 65536));
    for (size_t i = 0; i < 65536; i++)                   /* 7 bits of noise */
        b[i] = (uint8_t)(rand() & 0x7f);
    assert_false(vconvert_incompressible(b, 65536));
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parse_size_table),
        cmocka_unit_test(parse_size_default_unit),
        cmocka_unit_test(size_to_str_table),
        cmocka_unit_test(zero_detection),
        cmocka_unit_test(incompressible_detection),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests for cfgparse/host.c: VXL_HOST parsing and the CPU→node map. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "cfgparse/host.h"

static void parses_oracle_host(void **state)
{
    struct vxl_host h = { 1, 1, 1 };
    vxl_diags d = {0};
    assert_int_equal(vxl_host_parse(&h, "cpus=16,nodes=2,memory=32768", &d), 0);
    assert_int_equal(h.nr_cpus, 16);
    assert_int_equal(h.nr_nodes, 2);
    assert_int_equal(h.memory_mib, 32768);
    assert_int_equal(vxl_host_node_of_cpu(&h, 7), 0);
    assert_int_equal(vxl_host_node_of_cpu(&h, 8), 1);
    assert_int_equal(vxl_host_node_of_cpu(&h, 15), 1);
    assert_int_equal(vxl_host_node_of_cpu(&h, 16), -1);
    assert_int_equal(d.n, 0);
}

static void partial_spec_keeps_other_facts(void **state)
{
    struct vxl_host h = { 4, 1, 2048 };
    vxl_diags d = {0};
    assert_int_equal(vxl_host_parse(&h, "cpus=6", &d), 0);
    assert_int_equal(h.nr_cpus, 6);
    assert_int_equal(h.memory_mib, 2048);
}

static void uneven_split_gives_remainder_to_last_node(void **state)
{
    struct vxl_host h = { 7, 2, 1 };
    assert_int_equal(vxl_host_node_of_cpu(&h, 2), 0);
    assert_int_equal(vxl_host_node_of_cpu(&h, 3), 1);
    assert_int_equal(vxl_host_node_of_cpu(&h, 6), 1);
}

static void rejects_bad_specs(void **state)
{
    static const char *bad[] = { "cpus", "cpus=0", "cpus=x", "gpus=2",
                                 "cpus=2,nodes=3", "memory=", "cpus=99999" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct vxl_host h = { 4, 1, 1024 };
        vxl_diags d = {0};
        assert_int_equal(vxl_host_parse(&h, bad[i], &d), -1);
        assert_int_equal(d.nerrors, 1);
        assert_string_equal(d.v[0].file, "VXL_HOST");
        vxl_diags_free(&d);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_oracle_host),
        cmocka_unit_test(partial_spec_keeps_other_facts),
        cmocka_unit_test(uneven_split_gives_remainder_to_last_node),
        cmocka_unit_test(rejects_bad_specs),
    };
    return cmocka_run_group_tests_name("host", tests, NULL, NULL);
}

/* Unit tests for cfgparse/model.c: IDL defaults, keyed unions, enum
 * strings, builtin helpers and array growth. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cfgparse/model.h"

static void config_init_defaults(void **state)
{
    vxl_domain_config d;
    vxl_domain_config_init(&d);
    assert_int_equal(d.c_info.type, VXL_DOMAIN_TYPE_INVALID);
    assert_true(vxl_defbool_is_default(d.c_info.hap));
    assert_true(d.b_info.max_memkb == VXL_MEMKB_DEFAULT);
    assert_true(d.b_info.target_memkb == VXL_MEMKB_DEFAULT);
    assert_true(d.b_info.stubdomain_memkb == VXL_MEMKB_DEFAULT);
    assert_int_equal(d.b_info.max_grant_frames, VXL_MAX_GRANT_DEFAULT);
    assert_int_equal(d.b_info.max_grant_version, -1);
    assert_int_equal(d.b_info.timer_mode, VXL_TIMER_MODE_DEFAULT);
    assert_int_equal(d.b_info.sched_params.weight, -1);
    assert_int_equal(d.b_info.sched_params.latency, -1);
    assert_int_equal(d.b_info.sched_params.sched, VXL_SCHEDULER_UNKNOWN);
    assert_int_equal(d.b_info.type, VXL_DOMAIN_TYPE_INVALID);
    assert_int_equal(d.on_poweroff, VXL_ACTION_ON_SHUTDOWN_DESTROY);
    assert_int_equal(d.on_soft_reset, VXL_ACTION_ON_SHUTDOWN_DESTROY);
    assert_null(d.disks);
    vxl_domain_config_dispose(&d);
}

static void build_info_init_type_hvm(void **state)
{
    vxl_domain_build_info b;
    vxl_domain_build_info_init(&b);
    vxl_domain_build_info_init_type(&b, VXL_DOMAIN_TYPE_HVM);
    assert_int_equal(b.type, VXL_DOMAIN_TYPE_HVM);
    assert_int_equal(b.u.hvm.timer_mode, VXL_TIMER_MODE_DEFAULT);
    assert_int_equal(b.u.hvm.hdtype, VXL_HDTYPE_IDE);
    assert_true(b.u.hvm.mmio_hole_memkb == VXL_MEMKB_DEFAULT);
    assert_true(b.u.hvm.rdm_mem_boundary_memkb == VXL_MEMKB_DEFAULT);
    assert_int_equal(b.u.hvm.rdm.policy, VXL_RDM_RESERVE_POLICY_INVALID);
    b.u.hvm.firmware = strdup("ovmf");
    vxl_string_list_append(&b.u.hvm.serial_list, "pty");
    /* switching type frees the hvm member and initialises pv */
    vxl_domain_build_info_init_type(&b, VXL_DOMAIN_TYPE_PV);
    assert_true(b.u.pv.slack_memkb == VXL_MEMKB_DEFAULT);
    assert_null(b.u.pv.kernel);
    vxl_domain_build_info_dispose(&b);
}

static void device_defaults(void **state)
{
    vxl_domain_config d;
    vxl_domain_config_init(&d);
    vxl_device_nic *n = vxl_domain_config_add_nic(&d);
    assert_int_equal(n->devid, -1);
    n->devid = 0;
    n->bridge = strdup("xenbr0");
    vxl_device_disk *k = vxl_domain_config_add_disk(&d);
    k->pdev_path = strdup("/dev/x");
    vxl_device_pci *p = vxl_domain_config_add_pcidev(&d);
    assert_int_equal(p->rdm_policy, VXL_RDM_RESERVE_POLICY_INVALID);
    vxl_device_channel *c = vxl_domain_config_add_channel(&d);
    assert_int_equal(c->connection, VXL_CHANNEL_CONNECTION_UNKNOWN);
    vxl_device_channel_init_connection(c, VXL_CHANNEL_CONNECTION_SOCKET);
    c->u.socket.path = strdup("/tmp/s");
    vxl_device_usbdev *u = vxl_domain_config_add_usbdev(&d);
    assert_int_equal(u->ctrl, -1);
    vxl_iomem_range *io = vxl_build_info_add_iomem(&d.b_info);
    assert_true(io->gfn == (uint64_t)-1);
    vxl_build_info_add_irq(&d.b_info, 7);
    vxl_build_info_add_irq(&d.b_info, 9);
    assert_int_equal(d.b_info.num_irqs, 2);
    assert_int_equal(d.b_info.irqs[1], 9);
    assert_int_equal(d.num_nics, 1);
    assert_int_equal(d.num_disks, 1);
    vxl_domain_config_dispose(&d);   /* ASan checks everything is freed */
}

static void enum_strings(void **state)
{
    vxl_disk_format f;
    assert_string_equal(vxl_disk_format_to_string(VXL_DISK_FORMAT_QCOW2),
                        "qcow2");
    assert_int_equal(vxl_disk_format_from_string("QCOW2", &f), 0);
    assert_int_equal(f, VXL_DISK_FORMAT_QCOW2);
    assert_int_equal(vxl_disk_format_from_string("qcow3", &f), -1);
    assert_null(vxl_disk_format_to_string((vxl_disk_format)42));
    vxl_action_on_shutdown a;
    assert_int_equal(vxl_action_on_shutdown_from_string("Restart_Rename",
                                                        &a), 0);
    assert_int_equal(a, VXL_ACTION_ON_SHUTDOWN_RESTART_RENAME);
    assert_string_equal(vxl_gic_version_to_string(VXL_GIC_VERSION_V3), "v3");
    vxl_viridian_enlightenment v;
    assert_int_equal(vxl_viridian_enlightenment_from_string("hcall_ipi", &v),
                     0);
    assert_int_equal(v, 9);
}

static void builtins(void **state)
{
    vxl_uuid u;
    char buf[VXL_UUID_FMTLEN + 1];
    assert_int_equal(vxl_uuid_from_string(&u,
                     "5A4C8F3E-0b1d-4c7e-9f00-123456789abc"), 0);
    vxl_uuid_to_string(&u, buf);
    assert_string_equal(buf, "5a4c8f3e-0b1d-4c7e-9f00-123456789abc");
    assert_int_equal(vxl_uuid_from_string(&u, "5a4c8f3e-0b1d-4c7e-9f00"), -1);
    assert_int_equal(vxl_uuid_from_string(&u,
                     "5a4c8f3e+0b1d-4c7e-9f00-123456789abc"), -1);
    vxl_uuid_generate(&u);
    assert_false(vxl_uuid_is_nil(&u));
    assert_int_equal(u.uuid[6] >> 4, 4);

    vxl_bitmap b;
    vxl_bitmap_init(&b);
    assert_true(vxl_bitmap_is_empty(&b));
    vxl_bitmap_alloc(&b, 10);
    assert_int_equal(b.size, 2);
    vxl_bitmap_set(&b, 9);
    vxl_bitmap_set(&b, 99);            /* out of range: ignored */
    assert_true(vxl_bitmap_test(&b, 9));
    assert_false(vxl_bitmap_test(&b, 99));
    vxl_bitmap_resize(&b, 20);
    assert_true(vxl_bitmap_test(&b, 9));
    assert_int_equal(vxl_bitmap_count_set(&b), 1);
    vxl_bitmap_dispose(&b);

    vxl_defbool db = {0};
    assert_string_equal(vxl_defbool_to_string(db), "<default>");
    vxl_defbool_setdefault(&db, false);
    assert_string_equal(vxl_defbool_to_string(db), "False");
    vxl_defbool_setdefault(&db, true);
    assert_false(vxl_defbool_val(db));

    vxl_key_value_list kv = NULL;
    vxl_key_value_list_append(&kv, "a", "1");
    vxl_key_value_list_append(&kv, "b", NULL);
    assert_int_equal(vxl_key_value_list_length(&kv), 2);
    vxl_key_value_list_dispose(&kv);
    assert_null(kv);

    vxl_cpuid_policy_list cp = {0};
    assert_true(vxl_cpuid_policy_list_is_empty(&cp));
    vxl_cpuid_leaf *l = vxl_cpuid_policy_leaf(&cp, 1, VXL_CPUID_INPUT_UNUSED);
    l->policy[2] = strdup("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx0");
    assert_ptr_equal(vxl_cpuid_policy_leaf(&cp, 1, VXL_CPUID_INPUT_UNUSED), l);
    assert_false(vxl_cpuid_policy_list_is_empty(&cp));
    vxl_cpuid_policy_list_dispose(&cp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(config_init_defaults),
        cmocka_unit_test(build_info_init_type_hvm),
        cmocka_unit_test(device_defaults),
        cmocka_unit_test(enum_strings),
        cmocka_unit_test(builtins),
    };
    return cmocka_run_group_tests_name("model", tests, NULL, NULL);
}

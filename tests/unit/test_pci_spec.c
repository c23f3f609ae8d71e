/* Unit tests for cfgparse/pci_spec.c: BDFs, PCI_SPEC_STRINGs, rdm=.
 * Expected values follow Xen 4.17's libxlutil (checked with xl-oracle:
 * e.g. vslot is hex and at most 1f, exit statuses 6 / 3). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cfgparse/pci_spec.h"

static const cfg_pos here = { "pt.cfg", 4, 8 };

static int spec(const char *s, vxl_device_pci *pci, vxl_diags *d)
{
    vxl_device_pci_init(pci);
    return vxl_parse_pci_spec(pci, s, &here, d);
}

static void bdfs(void **state)
{
    vxl_device_pci pci;
    vxl_diags d = {0};

    assert_int_equal(spec("01:00.1", &pci, &d), 0);
    assert_int_equal(pci.domain, 0);
    assert_int_equal(pci.bus, 1);
    assert_int_equal(pci.dev, 0);
    assert_int_equal(pci.func, 1);
    assert_int_equal(pci.vfunc_mask, 1);
    vxl_device_pci_dispose(&pci);

    assert_int_equal(spec("ffff:ff:1f.*@1f", &pci, &d), 0);
    assert_int_equal(pci.domain, 0xffff);
    assert_int_equal(pci.bus, 0xff);
    assert_int_equal(pci.dev, 0x1f);
    assert_int_equal(pci.func, 0);
    assert_int_equal(pci.vfunc_mask, VXL_PCI_FUNC_ALL);
    assert_int_equal(pci.vdevfn, 0x1f << 3);
    vxl_device_pci_dispose(&pci);

    assert_int_equal(spec("0000:03:00.0@7,permissive=1,msitranslate=0,"
                          "seize=2,power_mgmt=1,rdm_policy=relaxed", &pci,
                          &d), 0);
    assert_true(pci.permissive);
    assert_false(pci.msitranslate);
    assert_true(pci.seize);
    assert_true(pci.power_mgmt);
    assert_int_equal(pci.rdm_policy, VXL_RDM_RESERVE_POLICY_RELAXED);
    assert_int_equal(pci.vdevfn, 7 << 3);
    vxl_device_pci_dispose(&pci);

    /* key=value form, and name= instead of a BDF */
    assert_int_equal(spec("bdf=02:03.4,vslot=0a", &pci, &d), 0);
    assert_int_equal(pci.bus, 2);
    assert_int_equal(pci.dev, 3);
    assert_int_equal(pci.func, 4);
    assert_int_equal(pci.vdevfn, 0x0a << 3);
    vxl_device_pci_dispose(&pci);
    /* sscanf's %x eats a "0x" without digits: xl takes this as 01:00.0 */
    assert_int_equal(spec("01:0x.0", &pci, &d), 0);
    assert_int_equal(pci.bus, 1);
    assert_int_equal(pci.dev, 0);
    vxl_device_pci_dispose(&pci);
    assert_int_equal(spec("name=gpu0,seize=1", &pci, &d), 0);
    assert_string_equal(pci.name, "gpu0");
    vxl_device_pci_dispose(&pci);
    assert_int_equal(d.n, 0);
}

static void bad(const char *s, int want, const char *msg)
{
    vxl_device_pci pci;
    vxl_diags d = {0};
    assert_int_equal(spec(s, &pci, &d), want);
    assert_int_equal(d.nerrors, 1);
    assert_string_equal(d.v[0].msg, msg);
    assert_string_equal(d.v[0].file, "pt.cfg");
    assert_int_equal(d.v[0].line, 4);
    assert_int_equal(d.v[0].col, 8);
    assert_non_null(d.v[0].hint);
    vxl_device_pci_dispose(&pci);
    vxl_diags_free(&d);
}

static void errors(void **state)
{
    bad("36:00.0@20,seize=1", VXL_PCI_ERROR_INVAL,
        "pci: invalid @VSLOT in `36:00.0@20,seize=1'");
    bad("01:00.0,vslot=20", VXL_PCI_ERROR_INVAL,
        "pci: invalid vslot=20 in `01:00.0,vslot=20'");
    bad("01:20.0", VXL_PCI_ERROR_INVAL,
        "pci: expected KEY=VALUE or a BDF, found `01:20.0' in `01:20.0'");
    bad("01:00.8", VXL_PCI_ERROR_INVAL,
        "pci: expected KEY=VALUE or a BDF, found `01:00.8' in `01:00.8'");
    bad("01:00.0 x", VXL_PCI_ERROR_INVAL,
        "pci: unexpected ` x' after the BDF in `01:00.0 x'");
    bad("01:00.0,permisive=1", VXL_PCI_ERROR_INVAL,
        "pci: unknown PCI_SPEC_STRING option `permisive' in "
        "`01:00.0,permisive=1'");
    bad("01:00.0,name=x", VXL_PCI_ERROR_INVAL,
        "pci: both a BDF and a name in `01:00.0,name=x'");
    bad("seize=1", VXL_PCI_ERROR_INVAL, "pci: no BDF or name in `seize=1'");
    bad("01:00.0,rdm_policy=loose", VXL_PCI_ERROR_FAIL,
        "pci: unknown RDM policy `loose' in `01:00.0,rdm_policy=loose'");
}

static void rdm(void **state)
{
    vxl_rdm_reserve r;
    vxl_diags d = {0};

    vxl_rdm_reserve_init(&r);
    assert_int_equal(vxl_parse_rdm(&r, "strategy=host,policy=relaxed",
                                   &here, &d), 0);
    assert_int_equal(r.strategy, VXL_RDM_RESERVE_STRATEGY_HOST);
    assert_int_equal(r.policy, VXL_RDM_RESERVE_POLICY_RELAXED);

    vxl_rdm_reserve_init(&r);
    assert_int_equal(vxl_parse_rdm(&r, "strategy=host", &here, &d), 0);
    assert_int_equal(r.policy, VXL_RDM_RESERVE_POLICY_INVALID);
    assert_int_equal(d.n, 0);

    const char *badv[] = { "strategy=guest", "policy=loose", "foo=bar",
                           "strategy=host,", "strategy", "" };
    for (size_t i = 0; i < sizeof(badv) / sizeof(badv[0]); i++) {
        vxl_rdm_reserve_init(&r);
        assert_int_equal(vxl_parse_rdm(&r, badv[i], &here, &d), -1);
        assert_int_equal(r.strategy, VXL_RDM_RESERVE_STRATEGY_IGNORE);
        assert_int_equal(d.nerrors, 1);
        vxl_diags_free(&d);
    }
    vxl_rdm_reserve_init(&r);
    assert_int_equal(vxl_parse_rdm(&r, "strategy=guest", &here, &d), -1);
    assert_string_equal(d.v[0].msg, "rdm: unknown RDM strategy option `guest'");
    vxl_diags_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bdfs),
        cmocka_unit_test(errors),
        cmocka_unit_test(rdm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

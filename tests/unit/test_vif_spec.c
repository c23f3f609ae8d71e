/* Unit tests for cfgparse/vif_spec.c: tokens, rates, xl.conf defaults,
 * the config-item splitting, and exact messages. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cfgparse/vif_spec.h"

static const cfg_pos here = { "web.cfg", 3, 9 };

static void rates(void **state)
{
    static const struct { const char *rate; uint64_t bytes; uint32_t us; }
    ok[] = {
        { "16000000b/s", 100000, 50000 },
        { "100Mb/s@20ms", 250000, 20000 },
        { "10MB/s@100", 1000000000, 100000000 },   /* bare number: seconds */
        { "10MB/s@100u", 1000, 100 },
        { "10MB/s@100us", 1000, 100 },
        { "5Gb/s@1s", 625000000, 1000000 },
        { "010B/s@1s", 8, 1000000 },                /* strtoull base 0: octal */
        { "1b/s", 0, 50000 },
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        vxl_device_nic nic;
        vxl_diags d = {0};
        vxl_device_nic_init(&nic);
        assert_int_equal(vxl_parse_vif_rate(ok[i].rate, &nic, &here, &d), 0);
        assert_int_equal(nic.rate_bytes_per_interval, ok[i].bytes);
        assert_int_equal(nic.rate_interval_usecs, ok[i].us);
        vxl_device_nic_dispose(&nic);
        assert_int_equal(d.n, 0);
    }
}

static void rate_error(const char *rate, const char *msg)
{
    vxl_device_nic nic;
    vxl_diags d = {0};
    vxl_device_nic_init(&nic);
    assert_int_equal(vxl_parse_vif_rate(rate, &nic, &here, &d), -1);
    assert_int_equal(d.nerrors, 1);
    assert_string_equal(d.v[0].msg, msg);
    assert_string_equal(d.v[0].file, "web.cfg");
    assert_int_equal(d.v[0].line, 3);
    assert_non_null(d.v[0].hint);
    assert_int_equal(nic.rate_interval_usecs, 0);   /* untouched */
    vxl_device_nic_dispose(&nic);
    vxl_diags_free(&d);
}

static void rate_errors(void **state)
{
    rate_error("10mb/s", "vif: invalid rate `10mb/s' in `10mb/s'");
    rate_error("@50ms", "vif: no rate specified in `@50ms'");
    rate_error("0B/s", "vif: rate overflow `0B/s' in `0B/s'");
    rate_error("4294967296b/s",
               "vif: rate overflow `4294967296b/s' in `4294967296b/s'");
    rate_error("10MB/s@10h", "vif: invalid replenishment interval `10h' in "
               "`10MB/s@10h'");
    rate_error("1B/s@4295s", "vif: replenishment interval overflow `4295s' "
               "in `1B/s@4295s'");
    rate_error("4294967295GB/s@5us",
               "vif: rate overflow in `4294967295GB/s@5us'");
}

static void tokens(void **state)
{
    vxl_device_nic nic;
    vxl_diags d = {0};
    const char *toks[] = {
        "mac=00-16-3e-0a-0B-0c", "bridge=xenbr0", "ip=10.0.0.1 10.0.0.2",
        "script=vif-nat", "backend=net", "vifname=web0", "model=e1000",
        "type=ioemu", "gatewaydev=eth0", "devid=7", "mtu=9000x",
        "forwarddev=eth1", "colo_checkpoint_port=9", "trusted",
    };
    vxl_device_nic_init(&nic);
    for (size_t i = 0; i < sizeof(toks) / sizeof(toks[0]); i++)
        assert_int_equal(vxl_parse_nic_token(&nic, toks[i], &here, false, &d),
                         VIF_TOKEN_OK);
    assert_int_equal(d.n, 0);
    const uint8_t mac[6] = { 0x00, 0x16, 0x3e, 0x0a, 0x0b, 0x0c };
    assert_memory_equal(nic.mac, mac, 6);
    assert_string_equal(nic.bridge, "xenbr0");
    assert_string_equal(nic.ip, "10.0.0.1 10.0.0.2");
    assert_string_equal(nic.script, "vif-nat");
    assert_string_equal(nic.backend_domname, "net");
    assert_string_equal(nic.ifname, "web0");
    assert_string_equal(nic.model, "e1000");
    assert_int_equal(nic.nictype, VXL_NIC_TYPE_VIF_IOEMU);
    assert_string_equal(nic.gatewaydev, "eth0");
    assert_int_equal(nic.devid, 7);
    assert_int_equal(nic.mtu, 9000);
    assert_string_equal(nic.coloft_forwarddev, "eth1");
    assert_string_equal(nic.colo_checkpoint_port, "9");
    assert_true(vxl_defbool_val(nic.trusted));

    /* deprecated / unsupported ones only warn */
    assert_int_equal(vxl_parse_nic_token(&nic, "netdev=eth9", &here, false,
                                         &d), VIF_TOKEN_OK);
    assert_string_equal(nic.gatewaydev, "eth9");
    assert_int_equal(vxl_parse_nic_token(&nic, "accel=x", &here, false, &d),
                     VIF_TOKEN_OK);
    assert_int_equal(d.n, 2);
    assert_int_equal(d.nerrors, 0);
    vxl_device_nic_dispose(&nic);
    vxl_diags_free(&d);
}

static void rejected_tokens(void **state)
{
    vxl_device_nic nic;
    vxl_diags d = {0};
    vxl_device_nic_init(&nic);

    assert_int_equal(vxl_parse_nic_token(&nic, "brige=br0", &here, false,
                                         &d), VIF_TOKEN_REJECTED);
    assert_string_equal(d.v[0].msg, "vif: unrecognized argument `brige=br0'");
    assert_string_equal(d.v[0].hint, "did you mean `bridge'?");
    assert_int_equal(d.v[0].sev, VXL_ERROR);

    /* in a config file xl only complains: a warning */
    assert_int_equal(vxl_parse_nic_token(&nic, "type=e1000", &here, true,
                                         &d), VIF_TOKEN_REJECTED);
    assert_int_equal(d.v[1].sev, VXL_WARNING);
    assert_string_equal(d.v[1].msg, "vif: invalid parameter `type' in "
                        "`type=e1000' (ignored, as xl does)");

    /* mac: bytes before the bad one are kept, as in xl */
    assert_int_equal(vxl_parse_nic_token(&nic, "mac=00:16:zz", &here, false,
                                         &d), VIF_TOKEN_REJECTED);
    assert_int_equal(nic.mac[1], 0x16);
    assert_int_equal(vxl_parse_nic_token(&nic, "mac=00:16", &here, false,
                                         &d), VIF_TOKEN_REJECTED);

    assert_int_equal(vxl_parse_nic_token(&nic, "mtu=abc", &here, true, &d),
                     VIF_TOKEN_FATAL);
    assert_string_equal(d.v[d.n - 1].msg,
                        "vif: failed to convert `abc' to number");
    assert_int_equal(d.v[d.n - 1].sev, VXL_ERROR);
    assert_int_equal(vxl_parse_nic_token(&nic, "rate=10", &here, true, &d),
                     VIF_TOKEN_FATAL);
    vxl_device_nic_dispose(&nic);
    vxl_diags_free(&d);
}

static void config_items_and_defaults(void **state)
{
    struct vxl_xlconf xc;
    vxl_device_nic nic;
    vxl_diags d = {0};

    memset(&xc, 0, sizeof(xc));
    xc.default_bridge = "xenbr1";
    xc.default_vifscript = "vif-route";
    xc.default_gatewaydev = "eth0";
    xc.default_vifbackend = "netdom";

    vxl_device_nic_init(&nic);
    vxl_nic_set_defaults(&nic, &xc);
    assert_int_equal(vxl_parse_nic_spec(&nic, "mac=00:16:3e:00:00:01, "
                                        "bridge=br0,,foo,rate=1MB/s", &here,
                                        &d), 0);
    assert_string_equal(nic.bridge, "br0");
    assert_string_equal(nic.script, "vif-route");
    assert_string_equal(nic.gatewaydev, "eth0");
    assert_string_equal(nic.backend_domname, "netdom");
    assert_int_equal(nic.rate_bytes_per_interval, 50000);
    assert_int_equal(d.nerrors, 0);     /* `foo' was only a warning */
    assert_int_equal(d.n, 1);
    assert_string_equal(d.v[0].msg, "vif: unrecognized argument `foo' "
                        "(ignored, as xl does)");
    vxl_device_nic_dispose(&nic);
    vxl_diags_free(&d);

    vxl_device_nic_init(&nic);
    assert_int_equal(vxl_parse_nic_spec(&nic, "rate=fast,bridge=br0", &here,
                                        &d), -1);
    assert_null(nic.bridge);            /* stopped at the fatal token */
    vxl_device_nic_dispose(&nic);
    vxl_diags_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rates),
        cmocka_unit_test(rate_errors),
        cmocka_unit_test(tokens),
        cmocka_unit_test(rejected_tokens),
        cmocka_unit_test(config_items_and_defaults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

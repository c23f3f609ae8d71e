/* Differential test: vxl's disk-spec parser against Xen 4.17's own
 * libxlutil (xlu_disk_parse) on 30000 specs built from a vocabulary of
 * spec fragments (fixed seed, so runs are reproducible).  Every field and
 * the accept/reject decision must agree; see tests/disk_xlu_diff.h. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tests/disk_xlu_diff.h"

static const char *const words[] = {
    "/x", "/dev/vg/a", "", " ", "raw", "qcow2", "QCOW2", "vhd", "qed",
    "empty", "hda", "hdc:cdrom", "hdc:disk", "hdc:floppy", "xvda", "w", "r",
    "ro", "rw", "x", "a:b", "format=raw", "format=qcow2", "format=",
    "format=bad", "vdev=xvdb", "vdev=", "access=r", "access=rw",
    "access=bad", "target=/t", "target=/a,b", "target=", "devtype=cdrom",
    "devtype=disk", "devtype=x", "cdrom", "backendtype=phy",
    "backendtype=qdisk", "backendtype=tap", "backendtype=x", "backend=d",
    "script=s", "discard", "no-discard", "direct-io-safe", "colo",
    "no-colo", "colo-host=h", "colo-port=1", "colo-port=x", "colo-export=e",
    "active-disk=a", "hidden-disk=h", "specification=virtio",
    "specification=xen", "specification=x", "phy:/dev/a", "file:/f",
    "tap:aio:/a", "tap2:/a", "tapdisk:x", "aio:/a", "ioemu:/i", "qcow2:/q",
    "raw:/r", "vhd:/v", "iscsi:iqn", "nbd:h:1", "enbd:e", "drbd:d",
    "foo:/x", "foo:bar", "x1:/y", "foo=bar", "f=", "=", "Vdev=x", "-", "a b",
    "\tvdev=xvdc", "vdev=hda:cdrom", ":", "::", ",",
};

static uint32_t rng = 0x2545F491;
static uint32_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

static char *random_spec(void)
{
    strbuf sb = {0};
    int n = 1 + (int)(next() % 5);
    for (int i = 0; i < n; i++) {
        if (i)
            sb_puts(&sb, next() % 4 ? "," : ", ");
        sb_puts(&sb, words[next() % ARRAY_SIZE(words)]);
    }
    if (next() % 8 == 0)
        sb_putc(&sb, ',');
    return sb_steal(&sb);
}

static void agrees_with_libxlutil(void **state)
{
    int compared = 0, differ = 0;
    for (int t = 0; t < 30000; t++) {
        char *specs[3];
        int n = next() % 6 == 0 ? 2 + (int)(next() % 2) : 1;
        for (int i = 0; i < n; i++)
            specs[i] = random_spec();
        const char *const *cs = (const char *const *)specs;
        if (!dxd_skip(n, cs)) {
            char *why = disk_xlu_diff(n, cs);
            compared++;
            if (why) {
                if (differ++ < 10)
                    print_error("%s", why);
                free(why);
            }
        }
        for (int i = 0; i < n; i++)
            free(specs[i]);
    }
    print_message("%d specs compared, %d differ\n", compared, differ);
    assert_true(compared > 25000);
    assert_int_equal(differ, 0);
}

static void the_vectors_agree(void **state)
{
    static const char *const one[] = {
        "/dev/vg/guest-volume,,hda", "raw:/root/image.iso,hdc:cdrom,ro",
        ",empty,hdc:cdrom,r", "vdev=hdc,access=r,devtype=cdrom,target=",
        "iscsi:iqn.2001-05.com.equallogic:0-8a0906-23fe93404-c82797962054a"
        "96d-examplehost,xvda,w", "drbd:app01,hda,w", "foo",
    };
    for (size_t i = 0; i < ARRAY_SIZE(one); i++) {
        char *why = disk_xlu_diff(1, &one[i]);
        if (why)
            fail_msg("%s", why);
    }
    static const char *const many[] = { "cdrom", "no-discard", "vdev=hda",
                                        "target=/some/disk/image.iso" };
    char *why = disk_xlu_diff(4, many);
    if (why)
        fail_msg("%s", why);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_vectors_agree),
        cmocka_unit_test(agrees_with_libxlutil),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* tests/fuzz/fuzz_specs.c — libFuzzer target for the device-spec parsers
 * (disk, vif token/item/rate, pci, rdm, cpumap, and the small device
 * items).  The first byte picks the parser, the rest is the spec string.
 * Finds crashes, leaks and UB; answers are checked by the unit tests and
 * the conformance vectors. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cfgparse/cpumap.h"
#include "cfgparse/dev_specs.h"
#include "cfgparse/disk_spec.h"
#include "cfgparse/pci_spec.h"
#include "cfgparse/vif_spec.h"
#include "common/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ITEM(T, parse)                          \
    do {                                        \
        vxl_device_##T x;                       \
        vxl_device_##T##_init(&x);              \
        parse(&x, s, &pos, &d);                 \
        vxl_device_##T##_dispose(&x);           \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct vxl_host host = { 16, 2, 32768 };
    const cfg_pos pos = { "fuzz.cfg", 1, 1 };
    vxl_diags d = {0};

    if (!size || memchr(data + 1, 0, size - 1))
        return 0;
    char *s = xstrndup((const char *)data + 1, size - 1);
    switch (data[0] % 14) {
    case 0: {
        vxl_device_disk x;
        vxl_device_disk_init(&x);
        vxl_parse_disk_spec(1, (const char *const *)&s, &pos, &x, &d);
        vxl_device_disk_dispose(&x);
        break;
    }
    case 1: {
        vxl_device_nic x;
        vxl_device_nic_init(&x);
        vxl_parse_nic_spec(&x, s, &pos, &d);
        vxl_parse_nic_token(&x, s, &pos, false, &d);
        vxl_device_nic_dispose(&x);
        break;
    }
    case 2: ITEM(pci, vxl_parse_pci_spec); break;
    case 3: {
        vxl_rdm_reserve r;
        vxl_rdm_reserve_init(&r);
        vxl_parse_rdm(&r, s, &pos, &d);
        break;
    }
    case 4: {
        vxl_bitmap b;
        vxl_bitmap_init(&b);
        if (!vxl_parse_cpumap(s, &host, &b, &d))
            free(vxl_cpumap_format(&b, host.nr_cpus));
        vxl_bitmap_dispose(&b);
        break;
    }
    case 5: ITEM(p9, vxl_parse_p9_item); break;
    case 6: ITEM(vtpm, vxl_parse_vtpm_item); break;
    case 7: ITEM(channel, vxl_parse_channel_item); break;
    case 8: ITEM(usbctrl, vxl_parse_usbctrl_item); break;
    case 9: ITEM(usbdev, vxl_parse_usbdev_item); break;
    case 10: ITEM(vfb, vxl_parse_vfb_item); break;
    case 11: ITEM(vkb, vxl_parse_vkb_item); break;
    case 12: ITEM(vdispl, vxl_parse_vdispl_item); break;
    case 13: ITEM(vsnd, vxl_parse_vsnd_item); break;
    }
    vxl_diags_free(&d);
    free(s);
    return 0;
}

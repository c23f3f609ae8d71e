/* backend/qemu_argv.c — vxl_domain_config → qemu-system-x86_64 argv.
 * See qemu_argv.h for the mapping; libxl's defaults (libxl_create.c,
 * libxl_dm.c) are applied to fields the config left at their default. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "disk/disk.h"
#include "backend/qemu_argv.h"
#include "common/util.h"

/* ---- argv -------------------------------------------------------------- */

void vxl_argv_add(vxl_argv *a, const char *s)
{
    if (a->n + 2 > a->cap) {
        a->cap = a->cap ? 2 * a->cap : 32;
        a->v = xreallocarray(a->v, (size_t)a->cap, sizeof *a->v);
    }
    a->v[a->n++] = xstrdup(s);
    a->v[a->n] = NULL;
}

void vxl_argv_addf(vxl_argv *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = xvasprintf(fmt, ap);
    va_end(ap);
    vxl_argv_add(a, s);
    free(s);
}

void vxl_argv_free(vxl_argv *a)
{
    for (int i = 0; i < a->n; i++)
        free(a->v[i]);
    free(a->v);
    a->v = NULL;
    a->n = a->cap = 0;
}

char *vxl_argv_join(const vxl_argv *a)
{
    strbuf sb = {0};
    for (int i = 0; i < a->n; i++) {
        const char *s = a->v[i];
        if (i)
            sb_putc(&sb, ' ');
        if (*s && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                         "0123456789-_=,./:@%+") == strlen(s)) {
            sb_puts(&sb, s);
            continue;
        }
        sb_putc(&sb, '\'');
        for (; *s; s++) {
            if (*s == '\'')
                sb_puts(&sb, "'\\''");
            else
                sb_putc(&sb, *s);
        }
        sb_putc(&sb, '\'');
    }
    return sb_steal(&sb);
}

void vxl_qemu_post_dispose(vxl_qemu_post *p)
{
    free(p->vnc_password);
    p->vnc_password = NULL;
}

/* QEMU's option syntax doubles commas inside values. */
static char *esc(const char *s)
{
    strbuf sb = {0};
    sb_puts(&sb, "");
    for (; *s; s++) {
        if (*s == ',')
            sb_putc(&sb, ',');
        sb_putc(&sb, *s);
    }
    return sb_steal(&sb);
}

/* ---- diagnostics ------------------------------------------------------- */

#define WARN(d, ...) vxl_diag_add(d, VXL_WARNING, NULL, 0, 0, NULL, __VA_ARGS__)
#define ERR(d, hint, ...) vxl_diag_add(d, VXL_ERROR, NULL, 0, 0, hint, __VA_ARGS__)

static bool dbool(vxl_defbool b, bool def)
{
    return vxl_defbool_is_default(b) ? def : vxl_defbool_val(b);
}

static bool is_set(vxl_defbool b)
{
    return !vxl_defbool_is_default(b) && vxl_defbool_val(b);
}

/* ---- resources --------------------------------------------------------- */

void vxl_qemu_resources(const vxl_domain_config *cfg, uint64_t *memkb,
                        uint64_t *max_memkb, int *vcpus, int *max_vcpus)
{
    const vxl_domain_build_info *b = &cfg->b_info;
    uint64_t max = b->max_memkb, target = b->target_memkb;
    int maxv = b->max_vcpus > 0 ? b->max_vcpus : 1;
    int online = vxl_bitmap_count_set(&b->avail_vcpus);

    /* libxl: both default to 32 MiB; target defaults to max */
    if (max == VXL_MEMKB_DEFAULT)
        max = target != VXL_MEMKB_DEFAULT ? target : 32 * 1024;
    if (target == VXL_MEMKB_DEFAULT)
        target = max;
    if (online <= 0 || online > maxv)
        online = maxv;
    *memkb = target;
    *max_memkb = max;
    *vcpus = online;
    *max_vcpus = maxv;
}

/* ---- disks ------------------------------------------------------------- */

enum bus { BUS_IDE, BUS_AHCI, BUS_VIRTIO };

/* "hdb" → IDE index 1, "sdc" → AHCI 2, "xvda" → virtio 0.  -1 if not. */
static int parse_vdev(const char *vdev, enum bus *bus, vxl_diags *d)
{
    static const struct { const char *prefix; enum bus bus; int max; } t[] = {
        { "xvd", BUS_VIRTIO, 26 * 27 }, { "hd", BUS_IDE, 4 },
        { "sd", BUS_AHCI, 6 }, { "vd", BUS_VIRTIO, 26 * 27 },
    };
    for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
        size_t pl = strlen(t[i].prefix);
        const char *p = vdev + pl;
        int idx = 0;
        if (strncmp(vdev, t[i].prefix, pl) || !islower((unsigned char)*p))
            continue;
        while (islower((unsigned char)*p))      /* a..z, aa..zz: like Linux */
            idx = idx * 26 + (*p++ - 'a' + 1);
        idx--;
        if (*p) {
            WARN(d, "disk vdev=%s: partitions are not emulated; the whole "
                 "image is attached as %.*s", vdev, (int)(p - vdev), vdev);
        }
        if (idx >= t[i].max) {
            ERR(d, NULL, "disk vdev=%s: at most %d %s disks", vdev, t[i].max,
                t[i].prefix);
            return -1;
        }
        *bus = t[i].bus;
        return idx;
    }
    ERR(d, "use hd[a-d] (IDE), sd[a-f] (AHCI) or xvd* (virtio)",
        "disk vdev=%s: not a device name the QEMU backend knows", vdev);
    return -1;
}

const char *vxl_qemu_disk_format(const vxl_device_disk *disk)
{
    switch (disk->format) {
    case VXL_DISK_FORMAT_QCOW: return "qcow";
    case VXL_DISK_FORMAT_QCOW2: return "qcow2";
    case VXL_DISK_FORMAT_VHD: return "vpc";
    case VXL_DISK_FORMAT_RAW: return "raw";
    case VXL_DISK_FORMAT_QED: return "qed";
    case VXL_DISK_FORMAT_EMPTY: return NULL;
    case VXL_DISK_FORMAT_UNKNOWN:
    default:
        break;
    }
    /* format=vmdk|vdi, vxl's extension: declared, so QEMU may use it */
    if (disk->vxl_format)
        return disk->vxl_format;
    /* Nothing declared at all (a model not built from a disk spec, which
     * always yields a format): the disk library's probe.  A declared or
     * defaulted raw format is never reinterpreted: a guest could write an
     * image header, with a backing file naming any host file, into its
     * own raw disk (docs/disk-pipeline.md warns about the mismatch). */
    const char *fmt = NULL;
    struct vdisk_err err;
    if (!disk->pdev_path || vdisk_probe(disk->pdev_path, &fmt, &err))
        return NULL;
    return fmt;
}

static int add_disks(const vxl_domain_config *cfg, vxl_argv *a, vxl_diags *d)
{
    bool hvm = cfg->c_info.type == VXL_DOMAIN_TYPE_HVM;
    bool ahci_hd = hvm && cfg->b_info.u.hvm.hdtype == VXL_HDTYPE_AHCI;
    bool have_ahci = false;
    int errors = 0;

    for (int i = 0; i < cfg->num_disks; i++) {
        const vxl_device_disk *k = &cfg->disks[i];
        enum bus bus;
        int idx = parse_vdev(k->vdev ? k->vdev : "", &bus, d);
        bool empty = !k->pdev_path || !*k->pdev_path ||
                     k->format == VXL_DISK_FORMAT_EMPTY;
        const char *fmt;

        if (idx < 0) {
            errors++;
            continue;
        }
        if (bus == BUS_IDE && ahci_hd)
            bus = BUS_AHCI;
        if (!hvm && bus != BUS_VIRTIO) {
            WARN(d, "disk vdev=%s: a PV/PVH guest sees it as an emulated "
                 "%s disk", k->vdev, bus == BUS_IDE ? "IDE" : "AHCI");
        }
        if (empty && !k->is_cdrom) {
            ERR(d, NULL, "disk vdev=%s: no target (only a cdrom may be "
                "empty)", k->vdev);
            errors++;
            continue;
        }
        if (!empty && access(k->pdev_path, R_OK) < 0) {
            ERR(d, "check the disk= line of the config",
                "disk vdev=%s: cannot access target %s: %s", k->vdev,
                k->pdev_path, strerror(errno));
            errors++;
            continue;
        }
        if (k->is_cdrom && bus == BUS_VIRTIO) {
            WARN(d, "disk vdev=%s: a cdrom cannot be virtio; attached to "
                 "the IDE bus instead", k->vdev);
            bus = BUS_IDE;
            idx = idx % 4;
        }
        if (k->script)
            WARN(d, "disk vdev=%s: script=%s is not run by the QEMU backend",
                 k->vdev, k->script);
        if (bus == BUS_AHCI && !have_ahci) {
            vxl_argv_add(a, "-device");
            vxl_argv_add(a, "ahci,id=ahci0");
            have_ahci = true;
        }

        /* the drive */
        strbuf sb = {0};
        sb_printf(&sb, "if=none,id=disk%d", i);
        if (!empty) {
            char *p = esc(k->pdev_path);
            sb_printf(&sb, ",file=%s", p);
            free(p);
            fmt = vxl_qemu_disk_format(k);
            if (fmt)
                sb_printf(&sb, ",format=%s", fmt);
        }
        if (k->is_cdrom)
            sb_puts(&sb, ",media=cdrom");
        if (k->is_cdrom || (!k->readwrite && bus == BUS_VIRTIO)) {
            sb_puts(&sb, ",readonly=on");
        } else if (!k->readwrite) {
            /* QEMU's IDE/AHCI hard disks cannot be read-only (libxl
             * refuses them); keep the image untouched with an overlay */
            WARN(d, "disk vdev=%s: IDE/AHCI disks cannot be read-only in "
                 "QEMU; the guest's writes go to a temporary overlay and are "
                 "discarded", k->vdev);
            sb_puts(&sb, ",snapshot=on");
        }
        if (is_set(k->discard_enable))
            sb_puts(&sb, ",discard=unmap");
        vxl_argv_add(a, "-drive");
        vxl_argv_add(a, sb.s);
        sb_free(&sb);

        /* the device */
        const char *dev = k->is_cdrom ? "ide-cd" : "ide-hd";
        switch (bus) {
        case BUS_IDE:
            vxl_argv_add(a, "-device");
            vxl_argv_addf(a, "%s,drive=disk%d,bus=ide.%d,unit=%d", dev, i,
                          idx / 2, idx % 2);
            break;
        case BUS_AHCI:
            vxl_argv_add(a, "-device");
            vxl_argv_addf(a, "%s,drive=disk%d,bus=ahci0.%d", dev, i, idx);
            break;
        case BUS_VIRTIO:
            vxl_argv_add(a, "-device");
            vxl_argv_addf(a, "virtio-blk-pci,drive=disk%d", i);
            break;
        }
    }
    return errors ? -EINVAL : 0;
}

/* ---- network ----------------------------------------------------------- */

static const char *nic_model(const vxl_device_nic *n, bool hvm)
{
    if (!hvm || n->nictype == VXL_NIC_TYPE_VIF)
        return "virtio-net-pci";                /* a PV nic */
    if (!n->model)
        return "rtl8139";                       /* libxl's default */
    if (!strcmp(n->model, "virtio") || !strcmp(n->model, "virtio-net"))
        return "virtio-net-pci";
    if (!strcmp(n->model, "ne2k_pci"))
        return "ne2k_pci";
    if (!strcmp(n->model, "pcnet"))
        return "pcnet";
    return n->model;                            /* e1000, rtl8139, ... */
}

static void add_nics(const vxl_domain_config *cfg, const vxl_qemu_argv_opts *o,
                     vxl_argv *a, vxl_diags *d)
{
    bool hvm = cfg->c_info.type == VXL_DOMAIN_TYPE_HVM;

    for (int i = 0; i < cfg->num_nics; i++) {
        const vxl_device_nic *n = &cfg->nics[i];
        uint8_t mac[6];

        if (vxl_mac_is_default(&n->mac)) {
            /* xl/libxl: Xen's OUI and three random bytes */
            mac[0] = 0x00, mac[1] = 0x16, mac[2] = 0x3e;
            if (getrandom(mac + 3, 3, 0) != 3)
                mac[3] = (uint8_t)rand(), mac[4] = (uint8_t)rand(),
                mac[5] = (uint8_t)rand();
            mac[3] &= 0x7f;
        } else {
            memcpy(mac, n->mac, 6);
        }
        char *brpath = n->bridge ? xasprintf("/sys/class/net/%s/bridge",
                                             n->bridge) : NULL;
        bool br_exists = brpath && access(brpath, F_OK) == 0;
        free(brpath);
        if (n->bridge && o->privileged && br_exists) {
            char *br = esc(n->bridge);
            vxl_argv_add(a, "-netdev");
            vxl_argv_addf(a, "bridge,id=net%d,br=%s", i, br);
            free(br);
        } else {
            if (n->bridge && !o->privileged)
                WARN(d, "vif %d: bridge=%s needs root; using user-mode "
                     "networking instead", i, n->bridge);
            else if (n->bridge)
                WARN(d, "vif %d: there is no bridge %s; using user-mode "
                     "networking instead", i, n->bridge);
            vxl_argv_add(a, "-netdev");
            vxl_argv_addf(a, "user,id=net%d", i);
        }
        if (n->ip)
            WARN(d, "vif %d: ip=%s is not applied by the QEMU backend", i,
                 n->ip);
        if (n->script)
            WARN(d, "vif %d: script=%s is not run by the QEMU backend", i,
                 n->script);
        if (n->rate_bytes_per_interval)
            WARN(d, "vif %d: rate= is not enforced by the QEMU backend", i);
        if (n->mtu && n->mtu != 1500)
            WARN(d, "vif %d: mtu=%d is not applied by the QEMU backend", i,
                 n->mtu);
        vxl_argv_add(a, "-device");
        vxl_argv_addf(a, "%s,netdev=net%d,mac=%02x:%02x:%02x:%02x:%02x:%02x",
                      nic_model(n, hvm), i, mac[0], mac[1], mac[2], mac[3],
                      mac[4], mac[5]);
    }
}

/* ---- display ----------------------------------------------------------- */

/* vnc + sdl of an HVM guest or a PV vfb */
static int add_display(const vxl_vnc_info *vnc, const vxl_sdl_info *sdl,
                       bool nographic, const vxl_qemu_argv_opts *o,
                       vxl_argv *a, vxl_qemu_post *post, vxl_diags *d)
{
    bool want_sdl = is_set(sdl->enable);
    /* libxl: vnc defaults on, unless sdl is chosen; nographic: neither */
    bool want_vnc = dbool(vnc->enable, !want_sdl && !nographic);

    if (want_sdl) {
        const char *disp = sdl->display ? sdl->display : o->display_env;
        if (!disp || !*disp) {
            ERR(d, "use vnc=1 instead, or run vxl where $DISPLAY is set",
                "sdl=1: there is no display ($DISPLAY is not set)");
            return -EINVAL;
        }
        vxl_argv_add(a, "-display");
        vxl_argv_add(a, is_set(sdl->opengl) ? "sdl,gl=on" : "sdl");
    }
    if (want_vnc) {
        char *host = xstrdup(vnc->listen ? vnc->listen : "127.0.0.1");
        char *colon = strrchr(host, ':');
        int display = vnc->display;
        bool findunused = dbool(vnc->findunused, true);
        if (colon && !strchr(colon, ']')) {     /* vnclisten="host:display" */
            display = atoi(colon + 1);
            *colon = 0;
        }
        strbuf sb = {0};
        sb_printf(&sb, "%s:%d", host, display);
        if (findunused)
            sb_printf(&sb, ",to=99");
        if (vnc->passwd && *vnc->passwd) {
            sb_puts(&sb, ",password=on");
            post->vnc_password = xstrdup(vnc->passwd);
        }
        vxl_argv_add(a, "-vnc");
        vxl_argv_add(a, sb.s);
        sb_free(&sb);
        free(host);
    } else if (!want_sdl) {
        vxl_argv_add(a, "-display");
        vxl_argv_add(a, "none");
    }
    return 0;
}

static void add_vga(const vxl_domain_build_info *b, vxl_argv *a, vxl_diags *d)
{
    const char *vga = "cirrus", *global = "cirrus-vga";

    switch (b->u.hvm.vga.kind) {
    case VXL_VGA_INTERFACE_TYPE_STD: vga = "std"; global = "VGA"; break;
    case VXL_VGA_INTERFACE_TYPE_NONE: vga = "none"; global = NULL; break;
    case VXL_VGA_INTERFACE_TYPE_QXL: vga = "qxl"; global = "qxl-vga"; break;
    default: break;
    }
    vxl_argv_add(a, "-vga");
    vxl_argv_add(a, vga);
    if (b->video_memkb != VXL_MEMKB_DEFAULT && b->video_memkb) {
        if (global) {
            vxl_argv_add(a, "-global");
            vxl_argv_addf(a, "%s.vgamem_mb=%llu", global,
                          (unsigned long long)(b->video_memkb / 1024));
        } else {
            WARN(d, "videoram= has no effect with vga=\"none\"");
        }
    }
}

/* ---- serial, usb, clock, sound ----------------------------------------- */

static void add_console(const vxl_domain_config *cfg,
                        const vxl_qemu_argv_opts *o, vxl_argv *a,
                        vxl_diags *d)
{
    bool hvm = cfg->c_info.type == VXL_DOMAIN_TYPE_HVM;
    const vxl_domain_build_info *b = &cfg->b_info;
    const char *first = NULL;
    int nserial = 0;

    if (o->console_path) {
        char *p = esc(o->console_path);
        strbuf sb = {0};
        sb_printf(&sb, "socket,id=con0,path=%s,server=on,wait=off", p);
        free(p);
        if (o->console_log) {
            p = esc(o->console_log);
            sb_printf(&sb, ",logfile=%s,logappend=on", p);
            free(p);
        }
        vxl_argv_add(a, "-chardev");
        vxl_argv_add(a, sb.s);
        sb_free(&sb);
    }
    if (!hvm) {
        /* xl's PV console is hvc0: a virtio console here */
        if (o->console_path) {
            vxl_argv_add(a, "-device");
            vxl_argv_add(a, "virtio-serial-pci,id=vser0");
            vxl_argv_add(a, "-device");
            vxl_argv_add(a, "virtconsole,chardev=con0,bus=vser0.0");
        }
        return;
    }
    /* HVM: serial= / serial=[...]: "pty" (or nothing) is our console
     * socket; anything else goes to QEMU verbatim, as libxl does */
    if (b->u.hvm.serial_list && b->u.hvm.serial_list[0])
        first = b->u.hvm.serial_list[0];
    else if (b->u.hvm.serial)
        first = b->u.hvm.serial;
    if (!first || !strcmp(first, "pty")) {
        if (o->console_path) {
            vxl_argv_add(a, "-serial");
            vxl_argv_add(a, "chardev:con0");
            nserial++;
        }
    } else if (strcmp(first, "none") != 0) {
        vxl_argv_add(a, "-serial");
        vxl_argv_add(a, first);
        nserial++;
        if (o->console_path)
            WARN(d, "serial=\"%s\": `vxl console' has no serial port to "
                 "attach to", first);
    }
    for (int i = 1; b->u.hvm.serial_list && b->u.hvm.serial_list[i]; i++) {
        if (nserial >= 4) {
            WARN(d, "serial: only 4 serial ports; \"%s\" dropped",
                 b->u.hvm.serial_list[i]);
            continue;
        }
        vxl_argv_add(a, "-serial");
        vxl_argv_add(a, b->u.hvm.serial_list[i]);
        nserial++;
    }
}

static void add_usb(const vxl_domain_build_info *b, vxl_argv *a, vxl_diags *d)
{
    vxl_string_list devs = b->u.hvm.usbdevice_list;
    const char *single = b->u.hvm.usbdevice;
    bool any = (devs && devs[0]) || single;
    bool usb = dbool(b->u.hvm.usb, false) || any;

    if (!usb)
        return;
    if (b->u.hvm.usbversion >= 3) {
        vxl_argv_add(a, "-device");
        vxl_argv_add(a, "qemu-xhci,id=usb");
    } else if (b->u.hvm.usbversion == 2) {
        vxl_argv_add(a, "-device");
        vxl_argv_add(a, "usb-ehci,id=usb");
    } else {
        vxl_argv_add(a, "-device");
        vxl_argv_add(a, "piix3-usb-uhci,id=usb");
    }
    for (int i = -1; ; i++) {
        const char *dev = i < 0 ? single : devs ? devs[i] : NULL;
        if (i >= 0 && !dev)
            break;
        if (!dev)
            continue;
        if (!strcmp(dev, "tablet")) {
            vxl_argv_add(a, "-device");
            vxl_argv_add(a, "usb-tablet,bus=usb.0");
        } else if (!strcmp(dev, "mouse")) {
            vxl_argv_add(a, "-device");
            vxl_argv_add(a, "usb-mouse,bus=usb.0");
        } else if (!strcmp(dev, "keyboard")) {
            vxl_argv_add(a, "-device");
            vxl_argv_add(a, "usb-kbd,bus=usb.0");
        } else {
            WARN(d, "usbdevice=\"%s\" is not supported by the QEMU backend "
                 "(tablet, mouse, keyboard are)", dev);
        }
    }
}

static void add_clock(const vxl_domain_build_info *b, vxl_argv *a)
{
    bool local = dbool(b->localtime, false);
    int32_t off = (int32_t)b->rtc_timeoffset;

    if (!off) {
        vxl_argv_add(a, "-rtc");
        vxl_argv_add(a, local ? "base=localtime" : "base=utc");
        return;
    }
    /* an offset: give QEMU the guest's start time explicitly */
    time_t t = time(NULL) + off;
    struct tm tm;
    char buf[32];
    if (local)
        localtime_r(&t, &tm);
    else
        gmtime_r(&t, &tm);
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    vxl_argv_add(a, "-rtc");
    vxl_argv_addf(a, "base=%s", buf);
}

static void add_sound(const char *soundhw, vxl_argv *a, vxl_diags *d)
{
    static const struct { const char *name, *dev; bool hda; } t[] = {
        { "ac97", "AC97", false }, { "es1370", "ES1370", false },
        { "sb16", "sb16", false }, { "hda", "intel-hda", true },
    };
    if (!soundhw)
        return;
    for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
        if (strcmp(soundhw, t[i].name))
            continue;
        vxl_argv_add(a, "-audiodev");
        vxl_argv_add(a, "none,id=snd0");
        vxl_argv_add(a, "-device");
        if (t[i].hda) {
            vxl_argv_add(a, t[i].dev);
            vxl_argv_add(a, "-device");
            vxl_argv_add(a, "hda-duplex,audiodev=snd0");
        } else {
            vxl_argv_addf(a, "%s,audiodev=snd0", t[i].dev);
        }
        return;
    }
    WARN(d, "soundhw=\"%s\" is not supported by the QEMU backend "
         "(ac97, es1370, sb16, hda are)", soundhw);
}

/* ---- firmware and boot ------------------------------------------------- */

static const char *find_ovmf(const vxl_qemu_argv_opts *o)
{
    static const char *paths[] = {
        "/usr/share/OVMF/OVMF_CODE.fd", "/usr/share/ovmf/OVMF.fd",
        "/usr/share/qemu/OVMF.fd", "/usr/share/edk2/ovmf/OVMF_CODE.fd",
    };
    if (o->ovmf_path)
        return access(o->ovmf_path, R_OK) == 0 ? o->ovmf_path : NULL;
    for (size_t i = 0; i < ARRAY_SIZE(paths); i++)
        if (access(paths[i], R_OK) == 0)
            return paths[i];
    return NULL;
}

static int add_firmware(const vxl_domain_build_info *b,
                        const vxl_qemu_argv_opts *o, vxl_argv *a,
                        vxl_diags *d)
{
    bool ovmf = b->u.hvm.bios == VXL_BIOS_TYPE_OVMF ||
                (b->u.hvm.firmware && (!strcmp(b->u.hvm.firmware, "uefi") ||
                                       !strcmp(b->u.hvm.firmware, "ovmf")));
    if (ovmf) {
        const char *p = find_ovmf(o);
        if (!p) {
            ERR(d, "install OVMF (Debian: apt install ovmf) or set VXL_OVMF",
                "bios=\"ovmf\": no OVMF firmware found");
            return -ENOENT;
        }
        vxl_argv_add(a, "-drive");
        char *e = esc(p);
        vxl_argv_addf(a, "if=pflash,format=raw,unit=0,readonly=on,file=%s", e);
        free(e);
        return 0;
    }
    if (b->u.hvm.bios == VXL_BIOS_TYPE_ROMBIOS)
        WARN(d, "bios=\"rombios\": the QEMU backend boots SeaBIOS instead");
    if (b->u.hvm.firmware)
        WARN(d, "firmware=\"%s\" (an hvmloader override) is not used by the "
             "QEMU backend", b->u.hvm.firmware);
    if (b->u.hvm.system_firmware) {
        vxl_argv_add(a, "-bios");
        vxl_argv_add(a, b->u.hvm.system_firmware);
    }
    return 0;
}

static int add_kernel(const vxl_domain_config *cfg, vxl_argv *a, vxl_diags *d)
{
    const vxl_domain_build_info *b = &cfg->b_info;
    bool pv = cfg->c_info.type == VXL_DOMAIN_TYPE_PV;
    const char *kernel = b->kernel, *ramdisk = b->ramdisk, *cmdline = b->cmdline;

    if (pv) {                       /* the deprecated u.pv copies */
        kernel = kernel ? kernel : b->u.pv.kernel;
        ramdisk = ramdisk ? ramdisk : b->u.pv.ramdisk;
        cmdline = cmdline ? cmdline : b->u.pv.cmdline;
    }
    const char *bootloader = b->bootloader ? b->bootloader
                           : pv ? b->u.pv.bootloader : NULL;
    if (!kernel) {
        if (cfg->c_info.type == VXL_DOMAIN_TYPE_HVM)
            return 0;
        if (bootloader) {
            ERR(d, "give kernel= (and ramdisk=) instead",
                "bootloader=\"%s\": the QEMU backend cannot run a Xen "
                "bootloader", bootloader);
        } else {
            ERR(d, "set kernel= (direct kernel boot)",
                "a %s guest needs a kernel", pv ? "PV" : "PVH");
        }
        return -EINVAL;
    }
    if (bootloader)
        WARN(d, "bootloader=\"%s\" is ignored: kernel= is booted directly",
             bootloader);
    const char *files[] = { kernel, ramdisk };
    for (int i = 0; i < 2; i++) {
        if (files[i] && access(files[i], R_OK) < 0) {
            ERR(d, NULL, "%s=\"%s\": %s", i ? "ramdisk" : "kernel", files[i],
                strerror(errno));
            return -ENOENT;
        }
    }
    vxl_argv_add(a, "-kernel");
    vxl_argv_add(a, kernel);
    if (ramdisk) {
        vxl_argv_add(a, "-initrd");
        vxl_argv_add(a, ramdisk);
    }
    if (cmdline) {
        vxl_argv_add(a, "-append");
        vxl_argv_add(a, cmdline);
    }
    return 0;
}

static int add_boot(const char *boot, vxl_argv *a, vxl_diags *d)
{
    if (!boot)
        return 0;
    if (!*boot || strspn(boot, "acdn") != strlen(boot)) {
        ERR(d, "letters: a floppy, c disk, d cdrom, n network",
            "boot=\"%s\": not a boot order", boot);
        return -EINVAL;
    }
    vxl_argv_add(a, "-boot");
    vxl_argv_addf(a, "order=%s", boot);
    return 0;
}

/* ---- what QEMU cannot honour ------------------------------------------- */

static void warn_unsupported(const vxl_domain_config *cfg, vxl_diags *d)
{
    const vxl_domain_build_info *b = &cfg->b_info;
    bool hvm = cfg->c_info.type == VXL_DOMAIN_TYPE_HVM;

    if (cfg->num_pcidevs)
        WARN(d, "pci=: PCI passthrough is not supported by the QEMU backend");
    if (cfg->num_vtpms)
        WARN(d, "vtpm=: not supported by the QEMU backend");
    if (cfg->num_p9s)
        WARN(d, "p9=: not supported by the QEMU backend");
    if (cfg->num_channels)
        WARN(d, "channel=: not supported by the QEMU backend");
    if (cfg->num_usbctrls || cfg->num_usbdevs)
        WARN(d, "usbctrl=/usbdev=: USB passthrough is not supported by the "
             "QEMU backend");
    if (cfg->num_vkbs || cfg->num_vdispls || cfg->num_vsnds ||
        cfg->num_pvcallsifs)
        WARN(d, "vkb=/vdispl=/vsnd=/pvcalls=: Xen PV devices are not "
             "supported by the QEMU backend");
    if (cfg->num_dtdevs || b->num_ioports || b->num_iomem || b->num_irqs)
        WARN(d, "dtdev=/ioports=/iomem=/irqs=: device passthrough is not "
             "supported by the QEMU backend");
    if (b->num_vnuma_nodes)
        WARN(d, "vnuma=: not applied by the QEMU backend");
    if (!vxl_cpuid_policy_list_is_empty(&b->cpuid))
        WARN(d, "cpuid=: not applied by the QEMU backend");
    if (b->num_vcpu_hard_affinity || b->num_vcpu_soft_affinity ||
        (b->cpumap.size && !vxl_bitmap_is_full(&b->cpumap)))
        WARN(d, "cpus=/cpus_soft=: vCPU pinning is not applied by the QEMU "
             "backend");
    if (is_set(b->device_model_stubdomain))
        WARN(d, "device_model_stubdomain_override: not supported by the QEMU "
             "backend");
    if (b->device_model)
        WARN(d, "device_model_override=\"%s\" is ignored (set VXL_QEMU to "
             "choose the QEMU binary)", b->device_model);
    if (hvm) {
        if (is_set(b->u.hvm.spice.enable))
            WARN(d, "spice=1: not supported by the QEMU backend (use vnc)");
        if (is_set(b->u.hvm.gfx_passthru))
            WARN(d, "gfx_passthru: not supported by the QEMU backend");
        if (is_set(b->u.hvm.viridian) || !vxl_bitmap_is_empty(
                &b->u.hvm.viridian_enable))
            WARN(d, "viridian: Hyper-V enlightenments are not enabled by the "
                 "QEMU backend");
        if (is_set(b->u.hvm.nested_hvm) || is_set(b->nested_hvm))
            WARN(d, "nestedhvm: not enabled by the QEMU backend");
        if (b->u.hvm.timeoffset)
            WARN(d, "timeoffset=\"%s\" is not applied (rtc_timeoffset is)",
                 b->u.hvm.timeoffset);
        if (b->u.hvm.keymap)
            WARN(d, "keymap=\"%s\" is not applied by the QEMU backend",
                 b->u.hvm.keymap);
    }
}

/* ---- the whole command line -------------------------------------------- */

static void add_machine(const vxl_domain_config *cfg,
                        const vxl_qemu_argv_opts *o, vxl_argv *a)
{
    const vxl_domain_build_info *b = &cfg->b_info;
    bool hvm = cfg->c_info.type == VXL_DOMAIN_TYPE_HVM;
    const char *accel = o->accel ? o->accel : "tcg";
    bool acpi = dbool(b->acpi, true) &&
                (!hvm || dbool(b->u.hvm.acpi, true));
    strbuf sb = {0};

    sb_printf(&sb, "pc,accel=%s", accel);
    if (!acpi)
        sb_puts(&sb, ",acpi=off");
    if (hvm && !dbool(b->u.hvm.hpet, true))
        sb_puts(&sb, ",hpet=off");
    vxl_argv_add(a, "-machine");
    vxl_argv_add(a, sb.s);
    sb_free(&sb);
    if (!strcmp(accel, "kvm")) {
        vxl_argv_add(a, "-cpu");
        vxl_argv_add(a, "host");
    }
}

int vxl_qemu_argv(const vxl_domain_config *cfg, const vxl_qemu_argv_opts *o,
                  vxl_argv *out, vxl_qemu_post *post, vxl_diags *d)
{
    const vxl_domain_build_info *b = &cfg->b_info;
    bool hvm = cfg->c_info.type == VXL_DOMAIN_TYPE_HVM;
    uint64_t memkb, max_memkb;
    int vcpus, max_vcpus, rc = 0;
    char uuid[VXL_UUID_FMTLEN + 1];
    vxl_argv a = {0};

    memset(post, 0, sizeof *post);
    if (cfg->c_info.type != VXL_DOMAIN_TYPE_HVM &&
        cfg->c_info.type != VXL_DOMAIN_TYPE_PV &&
        cfg->c_info.type != VXL_DOMAIN_TYPE_PVH) {
        ERR(d, "set type=\"hvm\", \"pv\" or \"pvh\"", "unknown domain type");
        return -EINVAL;
    }
    if (!cfg->c_info.name || !*cfg->c_info.name) {
        ERR(d, "set name=", "the domain has no name");
        return -EINVAL;
    }
    vxl_argv_add(&a, o->qemu ? o->qemu : "qemu-system-x86_64");
    vxl_argv_add(&a, "-name");
    {
        char *n = esc(cfg->c_info.name);
        vxl_argv_addf(&a, "guest=%s,debug-threads=on", n);
        free(n);
    }
    if (!vxl_uuid_is_nil(&cfg->c_info.uuid)) {
        vxl_uuid_to_string(&cfg->c_info.uuid, uuid);
        vxl_argv_add(&a, "-uuid");
        vxl_argv_add(&a, uuid);
    }
    vxl_argv_add(&a, "-nodefaults");
    vxl_argv_add(&a, "-no-user-config");
    add_machine(cfg, o, &a);

    vxl_qemu_resources(cfg, &memkb, &max_memkb, &vcpus, &max_vcpus);
    if (max_memkb > memkb)
        WARN(d, "maxmem=%llu: the QEMU backend does not balloon; the guest "
             "gets memory=%llu MiB", (unsigned long long)(max_memkb / 1024),
             (unsigned long long)(memkb / 1024));
    vxl_argv_add(&a, "-m");
    vxl_argv_addf(&a, "%llu", (unsigned long long)((memkb + 1023) / 1024));
    vxl_argv_add(&a, "-smp");
    vxl_argv_addf(&a, "%d,maxcpus=%d", vcpus, max_vcpus);

    for (int i = 0; i < 2; i++) {
        if (!o->qmp_paths[i])
            continue;
        char *p = esc(o->qmp_paths[i]);
        vxl_argv_add(&a, "-chardev");
        vxl_argv_addf(&a, "socket,id=qmp%d,path=%s,server=on,wait=off", i, p);
        vxl_argv_add(&a, "-mon");
        vxl_argv_addf(&a, "chardev=qmp%d,mode=control", i);
        free(p);
    }
    if (o->start_paused)
        vxl_argv_add(&a, "-S");
    if (o->no_shutdown) {
        /* resets, poweroffs, panics stop the VM for the monitor */
        vxl_argv_add(&a, "-action");
        vxl_argv_add(&a, "reboot=shutdown,shutdown=pause");
    }
    vxl_argv_add(&a, "-msg");
    vxl_argv_add(&a, "timestamp=on");

    if (hvm) {
        if ((rc = add_firmware(b, o, &a, d)))
            goto fail;
        add_vga(b, &a, d);
        if ((rc = add_display(&b->u.hvm.vnc, &b->u.hvm.sdl,
                              dbool(b->u.hvm.nographic, false), o, &a, post,
                              d)))
            goto fail;
        if ((rc = add_boot(b->u.hvm.boot, &a, d)))
            goto fail;
        add_usb(b, &a, d);
        add_sound(b->u.hvm.soundhw, &a, d);
        /* guest panics reach the monitor (GUEST_PANICKED → on_crash) */
        vxl_argv_add(&a, "-device");
        vxl_argv_add(&a, "pvpanic");
    } else if (cfg->num_vfbs) {
        vxl_argv_add(&a, "-vga");
        vxl_argv_add(&a, "std");
        if ((rc = add_display(&cfg->vfbs[0].vnc, &cfg->vfbs[0].sdl, false, o,
                              &a, post, d)))
            goto fail;
        if (cfg->num_vfbs > 1)
            WARN(d, "vfb: only the first framebuffer is emulated");
    } else {
        vxl_argv_add(&a, "-vga");
        vxl_argv_add(&a, "none");
        vxl_argv_add(&a, "-display");
        vxl_argv_add(&a, "none");
    }
    add_clock(b, &a);
    if ((rc = add_kernel(cfg, &a, d)))
        goto fail;
    if ((rc = add_disks(cfg, &a, d)))
        goto fail;
    add_nics(cfg, o, &a, d);
    add_console(cfg, o, &a, d);
    warn_unsupported(cfg, d);

    /* device_model_args*: verbatim, as libxl does */
    const vxl_string_list lists[] = { b->extra, hvm ? b->extra_hvm
                                                    : b->extra_pv };
    for (size_t l = 0; l < ARRAY_SIZE(lists); l++)
        for (int i = 0; lists[l] && lists[l][i]; i++)
            vxl_argv_add(&a, lists[l][i]);
    *out = a;
    return 0;
fail:
    vxl_argv_free(&a);
    vxl_qemu_post_dispose(post);
    return rc;
}

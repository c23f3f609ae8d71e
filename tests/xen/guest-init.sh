#!/bin/sh
# tests/xen/guest-init.sh — /init of the test guests' initramfs (busybox).
#
# Prints "VXLGUEST hello NAME" on its console (hvc0), then, by the
# vxl_mode= of its kernel command line:
#   sleep     waits for ever (until destroyed or asked to shut down)
#   poweroff  powers itself off at once
# A shutdown request from the toolstack (xl/vxl shutdown) makes the kernel
# run /sbin/poweroff, which says so ("VXLGUEST poweroff-requested") and
# powers off; a reboot request ("VXLGUEST reboot-requested") reboots.
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t devtmpfs dev /dev
mode=sleep name=?
for a in $(/bin/busybox cat /proc/cmdline); do
    case $a in
    vxl_mode=*) mode=${a#vxl_mode=} ;;
    vxl_name=*) name=${a#vxl_name=} ;;
    esac
done
echo "VXLGUEST hello $name mode=$mode"
if [ "$mode" = poweroff ]; then
    echo "VXLGUEST poweroff-self $name"
    /bin/busybox poweroff -f
fi
# a reboot request from the toolstack reaches init as SIGINT (ctrl-alt-del)
trap 'echo "VXLGUEST reboot-requested $name"; /bin/busybox reboot -f' INT
while :; do
    /bin/busybox sleep 3600 &
    wait $!
done

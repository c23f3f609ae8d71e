#!/bin/sh
# tests/xen/dom0-init.sh — /init of the Dom0 initramfs `make check-xen'
# boots (busybox sh).  Brings up what a Xen control domain needs for
# libxenlight (xenfs, the control devices, xenstored, xen-init-dom0,
# xenconsoled logging every guest console to /var/log/xen/console), then
# runs the scenario, /vxltest/scenario.sh, and powers the machine off.
#
# Everything meant for the host goes to the console (hvc0 -> Xen's serial
# port -> QEMU's stdout) as lines starting with "VXLTEST ": the scenario's
# results, and "VXLTEST boot-failed WHY" / "VXLTEST end" from here.
export PATH=/vxltest/bin:/bin:/sbin:/usr/bin:/usr/sbin:/usr/lib/xen-4.17/bin
export LD_LIBRARY_PATH=/usr/lib/xen-4.17/lib

halt() {
    echo "VXLTEST end"
    sync
    sleep 1
    poweroff -f
    sleep 3600
}
boot_failed() {
    echo "VXLTEST boot-failed $*"
    halt
}

/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
mkdir -p /var/lib/xen /var/lib/xenstored /var/log/xen/console /run/xen \
    /run/xenstored /var/lock
[ -e /var/run ] || ln -s /run /var/run
echo "VXLTEST dom0-up $(cut -d' ' -f1 /proc/uptime)"

for m in $(cat /lib/modules/order); do
    insmod /lib/modules/$m || boot_failed "insmod $m"
done
mount -t xenfs xenfs /proc/xen || boot_failed "mount xenfs"
grep -q control_d /proc/xen/capabilities ||
    boot_failed "not a Xen control domain"
xenstored --pid-file=/run/xenstored.pid || boot_failed "xenstored"
i=0
until xenstore-exists / 2> /dev/null; do
    i=$((i + 1))
    [ $i -gt 200 ] && boot_failed "xenstored does not answer"
    sleep 0.1
done
xen-init-dom0 > /tmp/xen-init-dom0.log 2>&1 || boot_failed "xen-init-dom0"
xenconsoled --pid-file=/run/xenconsoled.pid --log=guest \
    --log-dir=/var/log/xen/console || boot_failed "xenconsoled"
echo "VXLTEST dom0-ready $(cut -d' ' -f1 /proc/uptime)"

cd /vxltest && sh /vxltest/scenario.sh
echo "VXLTEST scenario-exit $?"
halt

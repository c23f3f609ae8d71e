#!/bin/sh
# tests/xen/guest-poweroff.sh — /sbin/poweroff of the test guests: the
# kernel runs it when the toolstack asks the domain to shut down.
echo "VXLGUEST poweroff-requested" > /dev/hvc0 2>/dev/null
/bin/busybox poweroff -f

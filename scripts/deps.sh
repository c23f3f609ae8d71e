#!/bin/sh
# scripts/deps.sh — install the Debian packages vxl builds and tests with,
# when any is missing.  (`make check-xen' also needs Xen, a kernel and
# busybox-static, which tests/xen/deps.sh fetches and unpacks without
# installing them.)  Safe to run repeatedly; does nothing when all are
# present.  Needs root (or sudo) only when something must be installed.
set -e
PKGS="build-essential pkg-config libyajl-dev zlib1g-dev libxml2-dev libzstd-dev
      libdeflate-dev libisal-dev nettle-dev libcmocka-dev libxen-dev jq qemu-utils qemu-system-x86 xen-utils-4.17
      xenstore-utils xz-utils
      clang libclang-rt-14-dev
      python3-libvhdi libvhdi-utils strace"
missing=
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
        missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing" >&2
SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null 2>&1 || {
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends $missing
}

#!/bin/bash
# tests/xen/deps.sh — the files `make check-xen' boots, from Debian's
# packages, prepared once and kept in a cache; prints the cache directory.
#
# The host needs qemu-system-x86, xen-utils-4.17 (xl and the Dom0 daemons,
# whose own binaries go into Dom0) and xz-utils: scripts/deps.sh installs
# them.  The hypervisor, the Linux kernel and busybox-static are NOT
# installed on the host (installing a hypervisor or a kernel would run
# update-grub and update-initramfs on it): their .debs are fetched with
# `apt-get download' and unpacked with dpkg-deb into
#
#   $VXL_XEN_CACHE (default /var/cache/vxl-xen as root, else
#   ~/.cache/vxl-xen) / <versions> /
#       xen        the hypervisor, an uncompressed multiboot ELF (QEMU's
#                  -kernel boots it directly)
#       vmlinux    Debian's kernel as a plain ELF, for Dom0 and the guests
#                  (decompressing the bzImage's xz under TCG costs ~5 s in
#                  Xen and ~8 s in libxl per guest)
#       modules/   the Xen control modules Dom0 loads, and `order'
#       busybox    busybox-static
#       versions   the package versions all this came from
#
# The directory name holds the versions, so a new Debian update makes a new
# one.  xen-hypervisor-4.17-amd64 is taken at the installed xen-utils-4.17
# version, so that the hypervisor matches the tools and the libxenlight vxl
# was built against.  Exit 2 with a message when something is missing.
set -euo pipefail

die() { echo "tests/xen/deps.sh: $*" >&2; exit 2; }

if [ -n "${VXL_XEN_CACHE:-}" ]; then
    cache=$VXL_XEN_CACHE
elif [ "$(id -u)" = 0 ]; then
    cache=/var/cache/vxl-xen
else
    cache=${XDG_CACHE_HOME:-$HOME/.cache}/vxl-xen
fi

for t in xz apt-get apt-cache dpkg-deb dpkg-query; do
    command -v "$t" > /dev/null || die "$t is missing (scripts/deps.sh installs xz-utils)"
done
xenver=$(dpkg-query -W -f='${Version}' xen-utils-4.17 2>/dev/null) ||
    die "xen-utils-4.17 is not installed (scripts/deps.sh installs it)"

# The package names and versions to use.  apt-cache needs the package
# lists: on a machine where `apt-get update' never ran, run it once.
kpkg_of() {
    apt-cache depends linux-image-amd64 2>/dev/null |
        awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }'
}
kpkg=$(kpkg_of)
if [ -z "$kpkg" ]; then
    apt-get update -qq > /dev/null 2>&1 || true
    kpkg=$(kpkg_of)
fi
[ -n "$kpkg" ] || die "cannot find Debian's linux-image-amd64 (apt-get update?)"
candidate() {
    apt-cache policy "$1" 2>/dev/null | awk '$1 == "Candidate:" { print $2 }'
}
kver=$(candidate "$kpkg")
bbver=$(candidate busybox-static)
[ -n "$kver" ] && [ "$kver" != "(none)" ] || die "no candidate for $kpkg"
[ -n "$bbver" ] && [ "$bbver" != "(none)" ] || die "no candidate for busybox-static"

key="xen-$xenver+$kpkg-$kver+busybox-$bbver"
key=${key//[^A-Za-z0-9.+_-]/_}
dir=$cache/$key
if [ -e "$dir/versions" ]; then
    echo "$dir"
    exit 0
fi

mkdir -p "$cache"
tmp=$(mktemp -d "$cache/.new.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
echo "tests/xen/deps.sh: fetching xen-hypervisor-4.17-amd64=$xenver $kpkg=$kver busybox-static=$bbver into $cache" >&2
mkdir -p "$tmp/debs" "$tmp/x"
# apt-get download writes into the current directory; as root it warns
# that _apt cannot write there, which is harmless
(cd "$tmp/debs" && apt-get download -q "xen-hypervisor-4.17-amd64=$xenver" \
    "$kpkg=$kver" "busybox-static=$bbver" > /dev/null 2> "$tmp/apt.err") || {
    cat "$tmp/apt.err" >&2
    die "apt-get download failed"
}
for deb in "$tmp"/debs/xen-hypervisor-*.deb "$tmp"/debs/busybox-static_*.deb; do
    dpkg-deb -x "$deb" "$tmp/x"
done
# from the kernel package only the kernel and the Xen driver modules
dpkg-deb --fsys-tarfile "$tmp"/debs/linux-image-*.deb |
    tar -x -C "$tmp/x" --wildcards './boot/vmlinuz-*' \
        './lib/modules/*/kernel/drivers/xen/*'

out=$tmp/out
mkdir -p "$out/modules"
gzip -dc "$tmp/x/boot/xen-4.17-amd64.gz" > "$out/xen"
cp "$tmp/x/bin/busybox" "$out/busybox"

# vmlinux: the bzImage's payload is one xz stream; find its magic
vmlinuz=$(ls "$tmp"/x/boot/vmlinuz-*)
off=$(LC_ALL=C grep -obUaP -m1 '\xfd7zXZ\x00' "$vmlinuz" | head -n1 | cut -d: -f1)
[ -n "$off" ] || die "no xz payload in $vmlinuz"
tail -c +$((off + 1)) "$vmlinuz" | xz -dc --single-stream > "$out/vmlinux" 2> /dev/null || true
[ "$(head -c 4 "$out/vmlinux" | od -An -c | tr -d ' ')" = '177ELF' ] ||
    die "could not extract an ELF vmlinux from $vmlinuz"

# the modules Dom0 needs for the toolstack, in an order where each comes
# after what it depends on (the "depends=" of its .modinfo)
want="xen-privcmd xenfs xen-evtchn xen-gntdev xen-gntalloc"
: > "$out/modules/order"
for m in $want; do
    ko=$(find "$tmp/x/lib/modules" -name "$m.ko" | head -n1)
    [ -n "$ko" ] || die "module $m not in $kpkg"
    deps=$(tr '\0' '\n' < "$ko" | sed -n 's/^depends=//p' | tr ',' ' ')
    for dep in $deps; do
        grep -qx "$dep.ko" "$out/modules/order" ||
            die "module $m needs $dep, which is not loaded before it"
    done
    cp "$ko" "$out/modules/"
    echo "$m.ko" >> "$out/modules/order"
done

printf 'xen-hypervisor-4.17-amd64 %s\n%s %s\nbusybox-static %s\n' \
    "$xenver" "$kpkg" "$kver" "$bbver" > "$out/versions"
rm -rf "$dir"
mv "$out" "$dir"
echo "$dir"

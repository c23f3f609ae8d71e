#!/bin/bash
# bench/import.sh — `vxl import' of a 2 GiB-disk appliance beside the
# manual route.
#
#   bench/import.sh [VXL] [WORKDIR]
#
# Builds a 2 GiB disk holding 512 MiB of data (256 MiB random, 256 MiB of
# repeated text, the rest zero) as a streamOptimized VMDK (qemu-img), an
# OVF beside it and an OVA (tar of both), then times, 3 runs each, best
# kept:
#   manual-ova   tar xf app.ova && qemu-img convert -O qcow2 disk.vmdk
#   vxl-ova      vxl import -o OUT app.ova         (when .ova is supported)
#   manual-ovf   qemu-img convert -O qcow2 disk.vmdk   (disk already beside)
#   vxl-ovf      vxl import -o OUT app.ovf
# and prints each time and the vxl/manual ratios.  Needs ~4 GiB free in
# WORKDIR (default a mktemp dir under /var/tmp).  Not part of make check.
set -eu
VXL=${1:-build/vxl}
W=${2:-$(mktemp -d /var/tmp/vxl-bench-import.XXXXXX)}
VXL=$(cd "$(dirname "$VXL")" && pwd)/$(basename "$VXL")
mkdir -p "$W" && cd "$W"
if [ ! -f app/app.ovf ]; then
    mkdir -p app
    qemu-img create -q -f raw d.raw 2G
    head -c 256M /dev/urandom | dd of=d.raw conv=notrunc bs=1M status=none
    yes 'vxl import benchmark: some text that compresses well, line after line' |
        head -c 256M | dd of=d.raw conv=notrunc bs=1M seek=1024 status=none
    qemu-img convert -q -f raw -O vmdk -o subformat=streamOptimized d.raw app/app-disk1.vmdk
    rm -f d.raw
    cat > app/app.ovf <<OVF
<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1" xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData">
  <References><File ovf:href="app-disk1.vmdk" ovf:id="file1" ovf:size="$(stat -c %s app/app-disk1.vmdk)"/></References>
  <DiskSection><Info>disks</Info><Disk ovf:capacity="2" ovf:capacityAllocationUnits="byte * 2^30" ovf:diskId="vmdisk1" ovf:fileRef="file1" ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"/></DiskSection>
  <VirtualSystem ovf:id="bench"><Info>vm</Info><VirtualHardwareSection><Info>hw</Info>
    <Item><rasd:InstanceID>1</rasd:InstanceID><rasd:ResourceType>3</rasd:ResourceType><rasd:VirtualQuantity>1</rasd:VirtualQuantity></Item>
    <Item><rasd:AllocationUnits>byte * 2^20</rasd:AllocationUnits><rasd:InstanceID>2</rasd:InstanceID><rasd:ResourceType>4</rasd:ResourceType><rasd:VirtualQuantity>512</rasd:VirtualQuantity></Item>
    <Item><rasd:Address>0</rasd:Address><rasd:InstanceID>3</rasd:InstanceID><rasd:ResourceType>6</rasd:ResourceType></Item>
    <Item><rasd:AddressOnParent>0</rasd:AddressOnParent><rasd:HostResource>ovf:/disk/vmdisk1</rasd:HostResource><rasd:InstanceID>4</rasd:InstanceID><rasd:Parent>3</rasd:Parent><rasd:ResourceType>17</rasd:ResourceType></Item>
  </VirtualHardwareSection></VirtualSystem>
</Envelope>
OVF
    (cd app && tar cf ../app.ova app.ovf app-disk1.vmdk)
fi
best() {    # NAME CMD... : best of 3 wall-clock seconds
    local name=$1 b= t0 t1 s
    shift
    for i in 1 2 3; do
        rm -rf out x; mkdir -p x
        sync
        t0=$(date +%s%N)
        "$@" > /dev/null 2>&1 || { echo "$name: failed" >&2; return 1; }
        t1=$(date +%s%N)
        s=$(( (t1 - t0) / 1000000 ))
        [ -z "$b" ] || [ "$s" -lt "$b" ] && b=$s
    done
    echo "$b"
}
manual_ova() { (cd x && tar xf ../app.ova && qemu-img convert -O qcow2 app-disk1.vmdk d.qcow2); }
manual_ovf() { qemu-img convert -O qcow2 app/app-disk1.vmdk x/d.qcow2; }
mo=$(best manual-ova manual_ova)
mf=$(best manual-ovf manual_ovf)
vf=$(best vxl-ovf "$VXL" import -o out app/app.ovf)
vo=
if "$VXL" import --dry-run app.ova > /dev/null 2>&1; then
    vo=$(best vxl-ova "$VXL" import -o out app.ova)
fi
echo "appliance: 2 GiB disk, 512 MiB data, VMDK $(stat -c %s app/app-disk1.vmdk) bytes"
echo "manual-ova (tar xf + qemu-img convert): $mo ms"
[ -n "$vo" ] && echo "vxl import .ova:                       $vo ms  (ratio $(awk -v a="$vo" -v b="$mo" 'BEGIN{printf "%.2f", a/b}'))"
[ -n "$vo" ] || echo "vxl import .ova:                       not supported by this build"
echo "manual-ovf (qemu-img convert):          $mf ms"
echo "vxl import .ovf:                        $vf ms  (ratio $(awk -v a="$vf" -v b="$mf" 'BEGIN{printf "%.2f", a/b}'))"

# `vxl import' end to end on the QEMU backend: a bootable guest (a boot
# sector that prints a marker on COM1 and powers off, as in qemu.sh)
# packed as a streamOptimized VMDK in an ovftool-style OVF with an empty
# CD-ROM and a NIC, imported to qcow2, then booted from the imported disk
# with the imported config.
. "$(dirname "$0")/../lib.sh"

if ! command -v qemu-system-x86_64 >/dev/null || ! command -v qemu-img >/dev/null; then
    skip "qemu-system-x86_64/qemu-img not installed (scripts/deps.sh installs them)"
    exit 0
fi
export VXL_RUNDIR=$TMPD/run VXL_QEMU_ACCEL=tcg VXL_XL_CONF=/nonexistent/xl.conf
unset VXL_BACKEND VXL_QEMU DISPLAY
cleanup() {
    for id in $("$VXL" list 2>/dev/null | awk 'NR > 1 { print $2 }'); do
        "$VXL" destroy "$id" 2>/dev/null
    done
    rm -rf "$TMPD"
}
trap cleanup EXIT
cd "$TMPD" || exit 1

mkdir app
{
    printf '\xfa\x31\xc0\x8e\xd8\xbe\x1d\x7c\xac\x84\xc0\x74\x06'
    printf '\xba\xf8\x03\xee\xeb\xf5'
    printf '\xba\x04\x06\xb8\x00\x20\xef'
    printf '\xf4\xeb\xfd'
    printf 'VXL-IMPORTED-GUEST-OK\r\n\0'
    head -c $((510 - 53)) /dev/zero
    printf '\x55\xaa'
} > boot.raw
truncate -s 1M boot.raw
qemu-img convert -q -f raw -O vmdk -o subformat=streamOptimized boot.raw app/guest-disk1.vmdk
cat > app/guest.ovf <<OVF
<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1" xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData" xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData" xmlns:vmw="http://www.vmware.com/schema/ovf">
  <References><File ovf:href="guest-disk1.vmdk" ovf:id="file1" ovf:size="$(stat -c %s app/guest-disk1.vmdk)"/></References>
  <DiskSection><Info>Virtual disk information</Info>
    <Disk ovf:capacity="1" ovf:capacityAllocationUnits="byte * 2^20" ovf:diskId="vmdisk1" ovf:fileRef="file1" ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"/>
  </DiskSection>
  <VirtualSystem ovf:id="imported-guest">
    <Info>A virtual machine</Info>
    <VirtualHardwareSection><Info>Virtual hardware requirements</Info>
      <Item><rasd:InstanceID>1</rasd:InstanceID><rasd:ResourceType>3</rasd:ResourceType><rasd:VirtualQuantity>1</rasd:VirtualQuantity></Item>
      <Item><rasd:AllocationUnits>byte * 2^20</rasd:AllocationUnits><rasd:InstanceID>2</rasd:InstanceID><rasd:ResourceType>4</rasd:ResourceType><rasd:VirtualQuantity>32</rasd:VirtualQuantity></Item>
      <Item><rasd:Address>0</rasd:Address><rasd:InstanceID>3</rasd:InstanceID><rasd:ResourceSubType>lsilogic</rasd:ResourceSubType><rasd:ResourceType>6</rasd:ResourceType></Item>
      <Item><rasd:Address>1</rasd:Address><rasd:InstanceID>4</rasd:InstanceID><rasd:ResourceType>5</rasd:ResourceType></Item>
      <Item><rasd:AddressOnParent>0</rasd:AddressOnParent><rasd:ElementName>CD-ROM 1</rasd:ElementName><rasd:InstanceID>5</rasd:InstanceID><rasd:Parent>4</rasd:Parent><rasd:ResourceType>15</rasd:ResourceType></Item>
      <Item><rasd:AddressOnParent>0</rasd:AddressOnParent><rasd:ElementName>Hard disk 1</rasd:ElementName><rasd:HostResource>ovf:/disk/vmdisk1</rasd:HostResource><rasd:InstanceID>6</rasd:InstanceID><rasd:Parent>3</rasd:Parent><rasd:ResourceType>17</rasd:ResourceType></Item>
    </VirtualHardwareSection>
  </VirtualSystem>
</Envelope>
OVF
"$VXL" import -o out app/guest.ovf > imp.out 2> imp.err
check "the appliance imports" test $? -eq 0
check "the imported disk equals the guest's" qemu-img compare -q boot.raw out/imported-guest-disk1.qcow2
out=$(timeout 60 "$VXL" create -c out/imported-guest.cfg nographic=1 vnc=0 \
      'on_poweroff="destroy"' </dev/null 2>create.err)
rc=$?
check "create -c of the imported config exits 0" test "$rc" = 0
check "the guest booted from the imported disk" grep -q VXL-IMPORTED-GUEST-OK <<<"$out"
[ "$rc" = 0 ] || sed 's/^/# /' create.err

# the same appliance packed as an OVA (descriptor first, with a SHA256
# manifest), imported straight from the archive and booted
(cd app && sha256sum guest.ovf guest-disk1.vmdk |
    awk '{ print "SHA256(" $2 ")= " $1 }' > guest.mf &&
    tar cf ../guest.ova guest.ovf guest.mf guest-disk1.vmdk)
"$VXL" import -o ovaout --name from-ova guest.ova > ova.out 2> ova.err
check "the OVA imports" test $? -eq 0
check "the disk imported from the OVA equals the guest's" qemu-img compare -q boot.raw ovaout/from-ova-disk1.qcow2
out=$(timeout 60 "$VXL" create -c ovaout/from-ova.cfg nographic=1 vnc=0 \
      'on_poweroff="destroy"' </dev/null 2>create2.err)
rc=$?
check "create -c of the config imported from the OVA exits 0" test "$rc" = 0
check "the guest booted from the disk imported from the OVA" grep -q VXL-IMPORTED-GUEST-OK <<<"$out"
[ "$rc" = 0 ] || sed 's/^/# /' create2.err

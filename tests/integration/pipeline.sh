# `vxl create --convert' and `--snapshot' end to end on the QEMU backend
# (TCG), with the 512-byte guests of tests/integration/qemu.sh plus one
# that writes its disk: a streamOptimized VMDK boots once converted, a
# second create reuses the conversion (same inode), the xen dry run
# prints the converted path and format; with --snapshot a guest that
# writes its disk leaves the base's sha256 unchanged and no overlay file
# exists while or after it runs.
. "$(dirname "$0")/../lib.sh"

if ! command -v qemu-img >/dev/null; then
    skip "qemu-img not installed (scripts/deps.sh installs it)"
    exit 0
fi
export VXL_RUNDIR=$TMPD/run VXL_QEMU_ACCEL=tcg VXL_CACHE=$TMPD/cache
export VXL_XL_CONF=/nonexistent/xl.conf VXL_HOST="cpus=4,nodes=1,memory=8192"
export TMPDIR=$TMPD/tmp
mkdir -p "$TMPDIR"
unset VXL_BACKEND VXL_QEMU DISPLAY
cleanup() {
    for id in $("$VXL" --backend=qemu list 2>/dev/null | awk 'NR > 1 { print $2 }'); do
        "$VXL" --backend=qemu destroy "$id" 2>/dev/null
    done
    rm -rf "$TMPD"
}
trap cleanup EXIT
T=$TMPD
cd "$T" || exit 1

# Guests (16-bit, at 0x7c00).  `writer': sti; ES=DS=0; int 13h AH=3
# writes its own sector to LBA 1 of drive 0x80; then prints VXL-GUEST-OK
# on COM1 and powers off (or halts).
#   fb 31c0 8ed8 8ec0                 sti; xor ax,ax; mov ds,ax; mov es,ax
#   b80103 b90200 ba8000 bb007c cd13  write 1 sector (C0 H0 S2) from 7c00
#   be2d7c ac 84c0 7406 baf803 ee ebf5   print the message
#   ba0406 b80020 ef | 90*7           poweroff (ACPI S5) | nothing
#   f4 ebfd                           hlt forever
writer() {  # FILE poweroff|halt
    local off='\xba\x04\x06\xb8\x00\x20\xef'
    [ "$2" = halt ] && off='\x90\x90\x90\x90\x90\x90\x90'
    {
        printf '\xfb\x31\xc0\x8e\xd8\x8e\xc0'
        printf '\xb8\x01\x03\xb9\x02\x00\xba\x80\x00\xbb\x00\x7c\xcd\x13'
        printf '\xbe\x2d\x7c\xac\x84\xc0\x74\x06\xba\xf8\x03\xee\xeb\xf5'
        printf "$off"
        printf '\xf4\xeb\xfd'
        printf 'VXL-GUEST-OK\r\n\0'
        head -c 450 /dev/zero
        printf '\x55\xaa'
    } > "$1"
    truncate -s 1M "$1"
}
config() {          # NAME SPEC [extra lines...]
    local name=$1 spec=$2; shift 2
    {
        echo "name = \"$name\""
        echo 'type = "hvm"'
        echo 'memory = 32'
        echo "disk = [ '$spec' ]"
        echo 'nographic = 1'
        echo 'vnc = 0'
        for l in "$@"; do echo "$l"; done
    } > "$T/$name.cfg"
}
writer off.img poweroff
writer halt.img halt
check "guests are 1 MiB" test "$(stat -c %s off.img)" = 1048576
qemu-img convert -O vmdk -o subformat=streamOptimized off.img so.vmdk
qemu-img convert -O vmdk -o subformat=streamOptimized halt.img halth.vmdk

# ---- conversion ------------------------------------------------------------
config conv "format=vmdk,vdev=hda,target=$T/so.vmdk" 'on_poweroff = "destroy"'
# QEMU reads VMDK itself: a declared format=vmdk boots without --convert
out=$(timeout 30 "$VXL" --backend=qemu create -q -c conv.cfg </dev/null 2>err)
check "QEMU boots a declared VMDK without --convert" bash -c \
    '[ "$1" = 0 ] && grep -q VXL-GUEST-OK <<<"$2"' _ "$?" "$out"
check "... and converts nothing" test ! -e "$VXL_CACHE"
# libxl can't: on xen's rules the error says to use --convert
"$VXL" --backend=xen validate -q conv.cfg > out 2> err
check "xen without --convert: exit 1" test $? = 1
check "xen without --convert: the error says to use it" grep -Fxq \
    "conv.cfg:4:10: error: disk \`format=vmdk,vdev=hda,target=$T/so.vmdk': format=vmdk: libxl can't use vmdk images" err
check "... with the hint" grep -Fxq \
    "  hint: vxl create --convert converts it to qcow2 before the domain starts" err

"$VXL" --backend=xen -N create --convert conv.cfg > dry.json 2> err
check "xen dry run with --convert: exit 0" test $? = 0
path=$(jq -r '.disks[0].pdev_path' dry.json)
check "xen dry run: the disk is the cache's qcow2" \
    sh -c 'case "$1" in "$2"/so.vmdk-*.qcow2) exit 0;; esac; exit 1' _ "$path" "$VXL_CACHE"
check "xen dry run: format qcow2" test "$(jq -r '.disks[0].format' dry.json)" = qcow2
check "xen dry run converts nothing" test ! -e "$VXL_CACHE"
check "xen dry run: a note names the target" grep -Fq "would convert to $path" err

t0=$(date +%s%N)
out=$(timeout 30 "$VXL" --backend=qemu create -q --convert -c conv.cfg </dev/null 2>err)
rc=$?
t1=$(date +%s%N)
check "streamOptimized VMDK boots with --convert" bash -c '[ "$1" = 0 ] && grep -q VXL-GUEST-OK <<<"$2"' _ "$rc" "$out"
check "it says where the conversion went" grep -Fq "converted to $path" err
check "the converted image is where the dry run said" test -f "$path"
check "it is a qcow2" sh -c 'qemu-img info "$1" | grep -qx "file format: qcow2"' _ "$path"
ino1=$(stat -c %i "$path")
echo "# first create with conversion: $(( (t1 - t0) / 1000000 )) ms"

t0=$(date +%s%N)
out=$(timeout 30 "$VXL" --backend=qemu create -q --convert -c conv.cfg </dev/null 2>err)
t1=$(date +%s%N)
echo "# second create (cached): $(( (t1 - t0) / 1000000 )) ms"
check "second create boots" grep -q VXL-GUEST-OK <<<"$out"
check "second create reuses the conversion" grep -Fq "using the earlier conversion $path" err
check "same cache file (inode)" test "$(stat -c %i "$path")" = "$ino1"
check "one image in the cache" test "$(ls "$VXL_CACHE" | grep -c 'qcow2$')" = 1

# QEMU opens the converted qcow2 (a halting guest, to look at it running)
config convh "format=vmdk,vdev=hda,target=$T/halth.vmdk"
check "create --convert (running guest)" "$VXL" --backend=qemu create -q --convert convh.cfg 2>/dev/null
id=$("$VXL" --backend=qemu domid convh)
hpath=$(ls "$VXL_CACHE"/halth.vmdk-*.qcow2)
check "QEMU's command line has the converted qcow2" \
    grep -Fq "file=$hpath,format=qcow2" "$VXL_RUNDIR/dom/$id/cmdline"
check "and not the VMDK" sh -c '! grep -q "halth.vmdk," "$1"' _ "$VXL_RUNDIR/dom/$id/cmdline"
# the running domain writes its converted image: a second domain can't
cp convh.cfg convh2.cfg && sed -i 's/"convh"/"convh2"/' convh2.cfg
"$VXL" --backend=qemu create -q --convert convh2.cfg > out 2> err
check "the cached image in use by a domain is refused to a second one" \
    grep -Fxq "convh2.cfg:4:10: error: disk \`format=vmdk,vdev=hda,target=$T/halth.vmdk': '$hpath' is in use by domain convh (id $id), which writes it" err
check "... before QEMU is started" sh -c '! grep -q "QEMU did not start" "$1"' _ err
"$VXL" --backend=qemu destroy convh

# the source changes: a new conversion; --convert=raw
touch -d '2001-01-01' so.vmdk
"$VXL" --backend=qemu -N create --convert=raw conv.cfg > dry.json 2> err
rpath=$(jq -r '.disks[0].pdev_path' dry.json)
check "--convert=raw: format raw" test "$(jq -r '.disks[0].format' dry.json)" = raw
check "--convert=raw: a .raw entry" sh -c 'case "$1" in *.raw) exit 0;; esac; exit 1' _ "$rpath"
"$VXL" --backend=qemu -N create --convert conv.cfg > dry.json 2> err
check "a changed source gets a new conversion" \
    test "$(jq -r '.disks[0].pdev_path' dry.json)" != "$path"
"$VXL" --backend=qemu -N create --convert=vmdk conv.cfg > out 2> err
check "--convert=vmdk: exit 2" test $? = 2
out=$(timeout 30 "$VXL" --backend=qemu create -q --convert=raw -c conv.cfg </dev/null 2>err)
check "boots from the raw conversion" grep -q VXL-GUEST-OK <<<"$out"
check "the raw conversion has the guest's sector" \
    sh -c 'cmp -s -n 512 "$1" "$2"' _ "$rpath" off.img

# VDI (format=vdi) the same way
qemu-img convert -O vdi off.img off.vdi
config vdi "format=vdi,vdev=hda,target=$T/off.vdi" 'on_poweroff = "destroy"'
out=$(timeout 30 "$VXL" --backend=qemu create -q --convert -c vdi.cfg </dev/null 2>err)
check "a VDI boots with --convert" grep -q VXL-GUEST-OK <<<"$out"
check "... from a qcow2 in the cache" sh -c 'ls "$1"/off.vdi-*.qcow2 >/dev/null' _ "$VXL_CACHE"

# an undeclared VMDK is converted too when --convert is given
config undecl "vdev=hda,target=$T/so.vmdk" 'on_poweroff = "destroy"'
"$VXL" --backend=qemu -N create --convert undecl.cfg > dry.json 2> err
check "an undeclared VMDK is converted with --convert" \
    test "$(jq -r '.disks[0].format' dry.json)" = qcow2
check "... after the warning" grep -Fq "is a vmdk image, but the disk spec names no format" err

# ---- temporary snapshots -------------------------------------------------
cp off.img w.img
base_sum=$(sha256sum < w.img)
config snap "format=raw,vdev=hda,target=$T/w.img" 'on_poweroff = "destroy"'
out=$(timeout 30 "$VXL" --backend=qemu create -q --snapshot -c snap.cfg </dev/null 2>err)
check "--snapshot: the guest runs (and writes its disk)" grep -q VXL-GUEST-OK <<<"$out"
check "--snapshot: the base's sha256 is unchanged" test "$(sha256sum < w.img)" = "$base_sum"
check "--snapshot: no overlay left in \$TMPDIR" test -z "$(ls -A "$TMPDIR")"
# the control: without --snapshot the same guest does change its disk
out=$(timeout 30 "$VXL" --backend=qemu create -q -c snap.cfg </dev/null 2>err)
check "control: without --snapshot the guest's write lands in the image" \
    test "$(sha256sum < w.img)" != "$base_sum"

# the per-disk flag: only that disk is behind an overlay
cp off.img w.img
config snap1 "format=raw,vdev=hda,snapshot,target=$T/w.img" 'on_poweroff = "destroy"'
out=$(timeout 30 "$VXL" --backend=qemu create -q -c snap1.cfg </dev/null 2>err)
check "\`snapshot' disk flag: the guest runs" grep -q VXL-GUEST-OK <<<"$out"
check "\`snapshot' disk flag: the base is unchanged" test "$(sha256sum < w.img)" = "$base_sum"
check "\`snapshot' disk flag: nothing left" test -z "$(ls -A "$TMPDIR")"

# while it runs: nothing on disk, QEMU holds the deleted overlay
cp halt.img wh.img
hsum=$(sha256sum < wh.img)
config snaph "format=raw,vdev=hda,target=$T/wh.img"
check "--snapshot (running guest)" "$VXL" --backend=qemu create -q --snapshot snaph.cfg
id=$("$VXL" --backend=qemu domid snaph)
log=$VXL_RUNDIR/dom/$id/console.log
for i in $(seq 100); do grep -q VXL-GUEST-OK "$log" 2>/dev/null && break; sleep 0.1; done
check "the running guest got past its write" grep -q VXL-GUEST-OK "$log"
check "QEMU opens /proc/self/fd/N as qcow2" \
    grep -Eq "file=/proc/self/fd/[0-9]+,format=qcow2" "$VXL_RUNDIR/dom/$id/cmdline"
qpid=$(jq -r .qemu.pid "$VXL_RUNDIR/dom/$id/record.json")
check "QEMU's overlay is a deleted file" \
    sh -c 'ls -l /proc/"$1"/fd | grep -q "vxl-snap.*overlay.qcow2 (deleted)"' _ "$qpid"
check "no overlay file exists while it runs" test -z "$(ls -A "$TMPDIR")"
check "the base is unchanged while it runs" test "$(sha256sum < wh.img)" = "$hsum"
# the base is only read: another domain may read it too, but not write it
config rd "format=raw,vdev=hda,access=rw,target=$T/wh.img"
"$VXL" --backend=qemu validate -q rd.cfg > out 2> err
check "a snapshotted base is read by its domain: writing it is refused" \
    grep -Fxq "rd.cfg:4:10: error: disk \`format=raw,vdev=hda,access=rw,target=$T/wh.img': '$T/wh.img' is in use by domain snaph (id $id) as a backing file" err
kill -9 "$(jq -r .monitor.pid "$VXL_RUNDIR/dom/$id/record.json")" "$qpid" 2>/dev/null
sleep 0.3
check "after kill -9 of monitor and QEMU: nothing left" test -z "$(ls -A "$TMPDIR")"
check "... and the base is unchanged" test "$(sha256sum < wh.img)" = "$hsum"

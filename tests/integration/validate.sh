# `vxl validate' (and the same checks before every create): one config per
# problem, each asserting the exact message and the line:col it names;
# then one config with many problems, all of which must be reported.
# Images are made here with qemu-img; running domains are simulated with
# a hand-written record in a private run directory (backend/state.h's
# format, kept alive by a `sleep').
. "$(dirname "$0")/../lib.sh"

if ! command -v qemu-img >/dev/null; then
    skip "qemu-img not installed (scripts/deps.sh installs it)"
    exit 0
fi
export VXL_RUNDIR=$TMPD/run VXL_XL_CONF=/nonexistent/xl.conf
export VXL_HOST="cpus=4,nodes=1,memory=8192"
unset VXL_BACKEND VXL_CACHE
T=$TMPD
cd "$T" || exit 1

qemu-img create -q -f raw r.img 1M
qemu-img create -q -f raw r2.img 1M
qemu-img create -q -f qcow2 q.qcow2 1M
qemu-img create -q -f vmdk v.vmdk 1M
qemu-img create -q -f qcow2 -b "$T/r.img" -F raw over.qcow2
qemu-img create -q -f qcow2 -b "$T/r.img" -F raw over2.qcow2
qemu-img create -q -f qcow2 -u -b "$T/gone.img" -F raw dangling.qcow2 1M
# a backing file without a recorded format: qemu-img 7.2 refuses to
# write one, so turn the backing-format header extension (magic
# 0xe2792aca) into an unknown one, which readers skip
qemu-img create -q -f qcow2 -b "$T/r.img" -F raw nofmt.qcow2
off=$(LC_ALL=C grep -obUaP '\xe2\x79\x2a\xca' nofmt.qcow2 | head -1 | cut -d: -f1)
printf '\0\0\0\1' | dd of=nofmt.qcow2 bs=1 seek="$off" conv=notrunc 2>/dev/null
: > vmlinuz
: > zero.img
head -c 1000 /dev/zero > odd.img
mkdir adir

# cfg NAME TYPE SPEC... : disks one per line from line 4, column 10
cfg() {
    local name=$1 type=$2; shift 2
    {
        echo "name = \"$name\""
        echo "type = \"$type\""
        echo 'memory = 32'
        local sep='disk = [ '
        for s in "$@"; do printf "%s'%s'" "$sep" "$s"; sep=$',\n         '; done
        echo ' ]'
        [ "$type" = hvm ] || echo "kernel = \"$T/vmlinuz\""
    } > "$T/$name.cfg"
}
run() {     # run BACKEND NAME [args]: validate, stderr in $T/err, rc in $rc
    local be=$1 name=$2; shift 2
    "$VXL" --backend="$be" validate -q "$name.cfg" "$@" > "$T/out" 2> "$T/err"
    rc=$?
}
has() { grep -Fxq -- "$1" "$T/err"; }
# expect NAME TYPE BACKEND LINE MESSAGE SPEC...: the config fails with
# exactly "NAME.cfg:LINE:10: error: disk `SPEC_of_LINE': MESSAGE"
expect() {
    local name=$1 type=$2 be=$3 line=$4 msg=$5; shift 5
    cfg "$name" "$type" "$@"
    run "$be" "$name"
    local spec=${*:$((line - 3)):1}
    check "$name: exit 1" test "$rc" = 1
    check "$name: $msg" has "$name.cfg:$line:10: error: disk \`$spec': $msg"
    has "$name.cfg:$line:10: error: disk \`$spec': $msg" || cat "$T/err" >&2
}

# ---- the target ---------------------------------------------------------
expect missing hvm qemu 4 "'$T/nope.img' does not exist" \
    "vdev=xvda,target=$T/nope.img"
check "missing: hint" has "  hint: check target= (a relative path is relative to the directory vxl runs in)"
expect isdir hvm qemu 5 "'$T/adir' is a directory" \
    "vdev=xvda,target=$T/r.img" "vdev=xvdb,target=$T/adir"
expect chardev pv qemu 4 "'/dev/null' is a character device" \
    "vdev=xvda,target=/dev/null"
expect relative hvm qemu 4 "'nope.img' does not exist" "nope.img,raw,xvda,w"

# permissions: as an unprivileged user (root may read and write anything)
if setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
    chmod 755 "$T"
    cp r.img ro.img && chmod 444 ro.img
    cp r.img ro2.img && chmod 444 ro2.img
    cp r.img noread.img && chmod 200 noread.img
    cfg perm hvm "vdev=xvda,target=$T/ro.img" "vdev=xvdb,target=$T/noread.img" \
        "vdev=xvdc,access=ro,target=$T/ro2.img"
    chmod 644 perm.cfg
    setpriv --reuid=65534 --regid=65534 --clear-groups \
        "$VXL" --backend=qemu validate -q perm.cfg > out 2> err
    rc=$?
    check "perm: exit 1" test "$rc" = 1
    check "perm: read-only file with access=rw" \
        has "perm.cfg:4:10: error: disk \`vdev=xvda,target=$T/ro.img': '$T/ro.img' is not writable (access=rw): Permission denied"
    check "perm: hint" has "  hint: make it writable, or give access=ro"
    check "perm: unreadable file" \
        has "perm.cfg:5:10: error: disk \`vdev=xvdb,target=$T/noread.img': '$T/noread.img' is not readable: Permission denied"
    check "perm: access=ro of a read-only file is fine" \
        sh -c '! grep -q "^perm.cfg:6:" "$1"' _ "$T/err"
else
    skip "setpriv can't switch to an unprivileged user: permission checks untested"
fi

# ---- declared format against the header ------------------------------
expect qcow2-as-raw pv qemu 4 \
    "'$T/q.qcow2' is a qcow2 image, not raw (format=raw)" \
    "format=raw,vdev=xvda,target=$T/q.qcow2"
check "qcow2-as-raw: hint" has "  hint: write format=qcow2 in the disk spec"
expect vmdk-as-qcow2 pv qemu 4 \
    "'$T/v.vmdk' is a vmdk image, not qcow2 (format=qcow2)" \
    "format=qcow2,vdev=xvda,target=$T/v.vmdk"
check "vmdk-as-qcow2: hint" \
    has "  hint: write format=vmdk and create with --convert: libxl can't use vmdk images"
expect raw-as-qcow2 pv qemu 4 \
    "'$T/r.img' is not a qcow2 image (no qcow2 header: raw data)" \
    "$T/r.img,qcow2,xvda,w"
qemu-img convert -O vpc r.img r.vhd
qemu-img convert -O vdi r.img r.vdi
cfg vhd-ok pv "format=vhd,vdev=xvda,target=$T/r.vhd"
run qemu vhd-ok
check "a vhd declared vhd is fine" test "$rc" = 0
expect vhd-as-raw pv qemu 4 "'$T/r.vhd' is a vhd image, not raw (format=raw)" \
    "$T/r.vhd,raw,xvda,w"
check "vhd-as-raw: hint" has "  hint: write format=vhd in the disk spec"
expect vdi-as-raw pv qemu 4 "'$T/r.vdi' is a vdi image, not raw (format=raw)" \
    "$T/r.vdi,raw,xvda,w"
check "vdi-as-raw: hint" has "  hint: write format=vdi and create with --convert: libxl can't use vdi images"
expect vmdk-as-vhd pv qemu 4 "'$T/v.vmdk' is a vmdk image, not vhd (format=vhd)" \
    "vhd:$T/v.vmdk,xvda,w"

# format omitted: a warning only (xl reads it as raw; we compare, we
# don't reinterpret)
cfg omitted pv "vdev=xvda,target=$T/q.qcow2"
run qemu omitted
check "format omitted, qcow2 header: exit 0" test "$rc" = 0
check "format omitted, qcow2 header: warning" \
    has "omitted.cfg:4:10: warning: disk \`vdev=xvda,target=$T/q.qcow2': '$T/q.qcow2' is a qcow2 image, but the disk spec names no format (libxl reads it as raw)"
check "format omitted: hint" has "  hint: write format=qcow2 in the disk spec"

# vmdk: format=vmdk (vxl's extension) needs --convert on xen's rules and
# is used as is on QEMU's; an undeclared vmdk is an error on xen's rules,
# a warning on QEMU's (where it stays raw, as libxl reads it)
expect vmdk-declared pv xen 4 "format=vmdk: libxl can't use vmdk images" \
    "format=vmdk,vdev=xvda,target=$T/v.vmdk"
check "vmdk-declared: hint" \
    has "  hint: vxl create --convert converts it to qcow2 before the domain starts"
run xen vmdk-declared --convert
check "vmdk-declared with --convert (xen): exit 0" test "$rc" = 0
run qemu vmdk-declared
check "vmdk-declared on QEMU: exit 0, QEMU reads vmdk" test "$rc" = 0
check "vmdk-declared on QEMU: no error" sh -c '! grep -q "error:" "$1"' _ "$T/err"
expect vmdk-undeclared pv xen 4 "'$T/v.vmdk' is a vmdk image, which libxl can't use" \
    "vdev=xvda,target=$T/v.vmdk"
check "vmdk-undeclared: also the warning" \
    has "vmdk-undeclared.cfg:4:10: warning: disk \`vdev=xvda,target=$T/v.vmdk': '$T/v.vmdk' is a vmdk image, but the disk spec names no format (libxl reads it as raw)"
run qemu vmdk-undeclared
check "vmdk-undeclared on QEMU: exit 0 (a warning)" test "$rc" = 0

# ---- backing chains ----------------------------------------------------
expect dangling pv qemu 4 \
    "could not open backing file of '$T/dangling.qcow2': could not open '$T/gone.img': No such file or directory" \
    "format=qcow2,vdev=xvda,target=$T/dangling.qcow2"
check "dangling: hint" has "  hint: \`vxl img info --backing-chain' shows the chain"
expect nofmt pv qemu 4 \
    "'$T/nofmt.qcow2': backing file '$T/r.img' has no recorded format; refusing to probe it (record one with 'img rebase -u -b $T/r.img -F FMT')" \
    "format=qcow2,vdev=xvda,target=$T/nofmt.qcow2"
cfg chain-ok pv "format=qcow2,vdev=xvda,target=$T/over.qcow2"
run qemu chain-ok
check "a resolving chain is fine" test "$rc" = 0

# ---- sizes -------------------------------------------------------------
expect zero pv qemu 4 "'$T/zero.img' is empty (virtual size 0)" \
    "format=raw,vdev=xvda,target=$T/zero.img"
cfg odd pv "format=raw,vdev=xvda,target=$T/odd.img"
run qemu odd
check "odd size: exit 0" test "$rc" = 0
check "odd size: warning" \
    has "odd.cfg:4:10: warning: disk \`format=raw,vdev=xvda,target=$T/odd.img': '$T/odd.img' is 1000 bytes, not a whole number of 512-byte sectors"

# ---- disks against each other ------------------------------------------
expect twice pv qemu 5 \
    "'$T/r.img' is the same image as disk \`vdev=xvda,target=$T/r.img' (line 4), and both are writable" \
    "vdev=xvda,target=$T/r.img" "vdev=xvdb,target=$T/r.img"
check "twice: the first names the second too" \
    has "twice.cfg:4:10: error: disk \`vdev=xvda,target=$T/r.img': '$T/r.img' is the same image as disk \`vdev=xvdb,target=$T/r.img' (line 5), and both are writable"
ln -s r.img link.img
expect symlink pv qemu 5 \
    "'$T/link.img' is the same image as disk \`vdev=xvda,target=$T/r.img' (line 4), and both are writable" \
    "vdev=xvda,target=$T/r.img" "vdev=xvdb,target=$T/link.img"
expect ro-of-written pv qemu 5 \
    "'$T/r.img' is the same image as disk \`vdev=xvda,target=$T/r.img' (line 4), which writes it" \
    "vdev=xvda,target=$T/r.img" "vdev=xvdb,access=ro,target=$T/r.img"
expect backing-written pv qemu 5 \
    "backing file '$T/r.img' is written by disk \`vdev=xvda,target=$T/r.img' (line 4)" \
    "vdev=xvda,target=$T/r.img" "format=qcow2,vdev=xvdb,target=$T/over.qcow2"
cfg shared-ro pv "vdev=xvda,access=ro,target=$T/r.img" \
    "vdev=xvdb,access=ro,target=$T/r.img" \
    "format=qcow2,vdev=xvdc,target=$T/over.qcow2" \
    "format=qcow2,vdev=xvdd,target=$T/over2.qcow2"
run qemu shared-ro
check "read-only sharing and overlays of one read-only base are fine" test "$rc" = 0
run qemu twice --snapshot
check "--snapshot: nothing is written, so no conflict" test "$rc" = 0

# ---- vdevs -------------------------------------------------------------
expect badvdev pv qemu 4 "vdev \`hdzz' is not a valid virtual disk name" \
    "vdev=hdzz,target=$T/r.img"
check "badvdev: hint" has "  hint: use xvd[a-z]..., hd[a-d], sd[a-p] or d<N>p<M>, e.g. vdev=xvda"
expect partzero pv qemu 4 "vdev \`xvda01' is not a valid virtual disk name" \
    "vdev=xvda01,target=$T/r.img"
expect dupvdev pv qemu 5 \
    "vdev \`xvda' is already used by disk \`vdev=xvda,target=$T/r.img' (line 4)" \
    "vdev=xvda,target=$T/r.img" "vdev=xvda,target=$T/r2.img"
expect d0p0 pv qemu 5 \
    "vdev \`d0p0' is already used by disk \`vdev=xvda,target=$T/r.img' (line 4)" \
    "vdev=xvda,target=$T/r.img" "vdev=d0p0,target=$T/r2.img"
expect ideslot hvm qemu 5 \
    "vdev \`hda' is the same emulated IDE disk as \`xvda' of disk \`vdev=xvda,target=$T/r.img' (line 4) on an HVM guest" \
    "vdev=xvda,target=$T/r.img" "vdev=hda,target=$T/r2.img"
# libxl's vdev grammar: every valid form passes, each invalid one fails
cfg vdevs-ok pv "vdev=xvdz,target=$T/r.img" "vdev=xvdaa,access=ro,target=$T/r2.img" \
    "vdev=d30p1,access=ro,target=$T/r2.img" "vdev=sdp,access=ro,target=$T/r2.img" \
    "vdev=hdd,access=ro,target=$T/r2.img" "vdev=xvdb15,access=ro,target=$T/r2.img" \
    "vdev=2049,access=ro,target=$T/r2.img"
run qemu vdevs-ok
check "valid vdevs (xvdz xvdaa d30p1 sdp hdd xvdb15 2049)" test "$rc" = 0
for v in xvd sdq hde xvda0 hda64 d1 xvdA; do
    cfg vdev-bad pv "vdev=$v,target=$T/r.img"
    run qemu vdev-bad
    check "invalid vdev $v" has "vdev-bad.cfg:4:10: error: disk \`vdev=$v,target=$T/r.img': vdev \`$v' is not a valid virtual disk name"
done
cfg pvslots pv "vdev=xvda,target=$T/r.img" "vdev=hda,target=$T/r2.img"
run qemu pvslots
check "xvda and hda are different disks on PV" test "$rc" = 0

# ---- cdrom / read-only combinations --------------------------------------
cfg cdrom hvm "vdev=hdc,devtype=cdrom" "$T/r.img,raw,hdd:cdrom,rw" \
    "vdev=xvde,devtype=cdrom,target=$T/r2.img"
run qemu cdrom
check "cdrom: exit 0 (warnings)" test "$rc" = 0
check "an empty cdrom is fine" sh -c '! grep -q "^cdrom.cfg:4:" "$1"' _ "$T/err"
check "cdrom with access=rw: warning" \
    has "cdrom.cfg:5:10: warning: disk \`$T/r.img,raw,hdd:cdrom,rw': a cdrom is read-only; access=rw is ignored"
check "cdrom beyond the 4 emulated: warning" \
    has "cdrom.cfg:6:10: warning: disk \`vdev=xvde,devtype=cdrom,target=$T/r2.img': only the first 4 disks can be emulated cdroms; \`xvde' is visible to PV drivers only"
cfg snapro pv "vdev=xvda,access=ro,snapshot,target=$T/r.img"
run qemu snapro
check "snapshot on a read-only disk: exit 0" test "$rc" = 0
check "snapshot on a read-only disk: warning" \
    has "snapro.cfg:4:10: warning: disk \`vdev=xvda,access=ro,snapshot,target=$T/r.img': snapshot on a read-only disk does nothing"
cfg snapone pv "vdev=xvda,snapshot,target=$T/r.img" "vdev=xvdb,access=ro,target=$T/r.img"
run qemu snapone
check "a disk with \`snapshot' does not write its image" test "$rc" = 0
expect ro-ide hvm xen 4 "qemu-xen doesn't support read-only IDE disk drivers" \
    "vdev=hda,access=ro,target=$T/r.img"
check "ro-ide: hint" has "  hint: give access=rw, or devtype=cdrom for a read-only medium"
run qemu ro-ide
check "ro-ide on QEMU (an overlay keeps it read-only): exit 0" test "$rc" = 0

expect phy-qcow2 pv xen 4 "backendtype=phy serves raw images only, not qcow2" \
    "format=qcow2,backendtype=phy,vdev=xvda,target=$T/q.qcow2"
check "phy-qcow2: hint" has "  hint: use backendtype=qdisk, or a raw image"
run qemu phy-qcow2
check "phy-qcow2 on QEMU (no phy there): exit 0" test "$rc" = 0
cfg script pv "vdev=xvda,script=block-iscsi,target=iqn.2001-05.com.example:disk"
run xen script
check "a script's target is not a file of this host" test "$rc" = 0
cfg drvdom pv "vdev=xvda,backend=storage,target=/dev/vg/guest"
run xen drvdom
check "a driver domain's target is not a file of this host" test "$rc" = 0

# ---- boot files --------------------------------------------------------
printf 'name = "k"\ntype = "pv"\nmemory = 32\nkernel = "%s/nokernel"\nramdisk = "%s/initrd"\n' "$T" "$T" > k.cfg
run qemu k
check "kernel: exit 1" test "$rc" = 1
check "missing kernel named at kernel=" has "k.cfg:4:10: error: kernel '$T/nokernel' does not exist"
check "missing ramdisk named at ramdisk=" has "k.cfg:5:11: error: ramdisk '$T/initrd' does not exist"
: > "$T/initrd"
sed -i "s|nokernel|vmlinuz|" k.cfg
run qemu k
check "present kernel and ramdisk: exit 0" test "$rc" = 0

# ---- running domains (a record of the QEMU backend's state) -------------
sleep 60 & holder=$!
start=$(awk '{ print $22 }' /proc/$holder/stat)
mkdir -p "$VXL_RUNDIR/dom/7"
printf '{"domid":7,"name":"other","uuid":"","creator":{"pid":%d,"start":%s},"status":"running"}\n' \
    "$holder" "$start" > "$VXL_RUNDIR/dom/7/record.json"
printf '{"disks":[{"pdev_path":"%s","vdev":"xvda","format":"raw","readwrite":1},{"pdev_path":"%s","vdev":"xvdb","format":"qcow2"}]}\n' \
    "$T/r.img" "$T/over2.qcow2" > "$VXL_RUNDIR/dom/7/config.json"
check "the simulated domain is listed" sh -c '"$VXL" --backend=qemu list | grep -q "^other "'
expect inuse pv qemu 4 "'$T/r.img' is in use by domain other (id 7), which writes it" \
    "vdev=xvda,access=ro,target=$T/r.img"
check "inuse: hint" has "  hint: shut that domain down first, or use a copy"
expect inuse-backing pv qemu 4 "backing file '$T/r.img' is written by domain other (id 7)" \
    "format=qcow2,vdev=xvda,target=$T/over.qcow2"
expect inuse-theirs pv qemu 4 "'$T/over2.qcow2' is in use by domain other (id 7)" \
    "format=qcow2,vdev=xvda,target=$T/over2.qcow2"
cfg inuse-free pv "vdev=xvda,target=$T/r2.img"
run qemu inuse-free
check "an image no domain uses is fine" test "$rc" = 0
kill $holder; wait $holder 2>/dev/null
run qemu inuse
check "once the domain is gone the image is free" test "$rc" = 0

# ---- everything at once: all problems, in config order -----------------
cfg many hvm "vdev=xvda,target=$T/nope.img" \
    "format=raw,vdev=xvdb,target=$T/q.qcow2" \
    "vdev=hdzz,target=$T/r2.img" \
    "vdev=xvdd,target=$T/zero.img" \
    "vdev=xvdb,target=$T/adir"
echo "kernel = \"$T/nokernel\"" >> many.cfg
run qemu many
check "many: exit 1" test "$rc" = 1
check "many: every problem is reported" test "$(grep -c ': error: ' "$T/err")" = 7
check "many: in config order" sh -c '
    grep ": error: " "$1" | cut -d: -f2 | tr "\n" " " | grep -qx "4 5 6 7 8 8 9 "' _ "$T/err"

# ---- create runs the same checks before anything starts ------------------
cfg c hvm "format=raw,vdev=xvda,target=$T/q.qcow2"
"$VXL" --backend=qemu create -q c.cfg > out 2> err
rc=$?
check "create: a validation error exits 3, as libxl's late failure" test "$rc" = 3
check "create: the error names the line" \
    has "c.cfg:4:10: error: disk \`format=raw,vdev=xvda,target=$T/q.qcow2': '$T/q.qcow2' is a qcow2 image, not raw (format=raw)"
check "create: nothing was started" sh -c '! ls "$1"/dom/* >/dev/null 2>&1' _ "$VXL_RUNDIR"
"$VXL" -N create c.cfg > out 2> err
check "create -n stays xl's: no validation" test $? = 0
"$VXL" -N create vmdk-declared.cfg > out 2> err
check "create -n with format=vmdk: exit 1, as xl's unknown format" test $? = 1
check "create -n with format=vmdk: says to use --convert" \
    has "vmdk-declared.cfg:4:10: error: disk \`format=vmdk,vdev=xvda,target=$T/v.vmdk': format=vmdk: libxl can't use vmdk images"
"$VXL" -N block-attach 0 "format=vmdk,vdev=xvda,target=$T/v.vmdk" > out 2> err
check "block-attach refuses format=vmdk" test $? = 1

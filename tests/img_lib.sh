# tests/img_lib.sh — helpers for the `vxl img` cross-checks against
# qemu-img.  Sourced by tests/integration/img_*.sh after tests/lib.sh.
: "${TMPD:?source tests/lib.sh first}"
QI=${QEMU_IMG:-qemu-img}
QIO=${QEMU_IO:-qemu-io}
have_qemu() { command -v "$QI" >/dev/null 2>&1 && command -v "$QIO" >/dev/null 2>&1; }

# same NAME "vxl args" "qemu-img args": stdout and exit status must match
same() {
    local name=$1 va=$2 qa=${3:-$2} vo qo vr qr
    vo=$(eval "\"\$VXL\" img $va" 2>"$TMPD/vxl.err"); vr=$?
    qo=$(eval "\"\$QI\" $qa" 2>"$TMPD/qemu.err"); qr=$?
    if [ "$vo" == "$qo" ] && [ $vr = $qr ]; then
        ok "$name"
    else
        not_ok "$name (vxl rc=$vr, qemu-img rc=$qr)"
        diff <(echo "$qo") <(echo "$vo") | head -20 | sed 's/^/# /'
        sed 's/^/# vxl stderr: /' "$TMPD/vxl.err" | head -5
    fi
}

# known NAME ARGS...: like same, for a difference from qemu-img that is
# a known gap in the library (listed under TODO(disk) in xl/img.h): a
# mismatch is reported as a "# known:" line, not as a failure.
known() {
    local out
    out=$(same "$@")
    case $out in
        "not ok "*) echo "# known (TODO disk): $1" ;;
        *) ok "$1" ;;
    esac
}

# allocated bytes of a file
alloc() { echo $(( $(stat -c %b "$1") * 512 )); }

# write PATTERN-filled data with qemu-io: qw IMG "write -P 0x11 0 64k" ...
qw() {
    local img=$1; shift
    local args=()
    for c in "$@"; do args+=(-c "$c"); done
    "$QIO" -f "${FMT:-qcow2}" "${args[@]}" "$img" >/dev/null
}

# A VMDK's descriptor (embedded or a text file) without its CID line, from
# "# Disk DescriptorFile" to ddb.toolsVersion.
vmdk_desc() {
    case $(head -c 4 "$1") in
    KDMV) dd if="$1" bs=512 skip=1 count=20 status=none ;;
    *) cat "$1" ;;
    esac | tr -d '\0' | grep -a -v '^CID=' |
        sed -n '/^# Disk DescriptorFile/,/^ddb.toolsVersion/p'
}
# same_vmdk_desc A B: the two descriptors are equal (but the CIDs) and not empty
same_vmdk_desc() {
    [ "$(vmdk_desc "$1")" = "$(vmdk_desc "$2")" ] && [ -n "$(vmdk_desc "$1")" ]
}
# same_vmdk_chain DIR1 DIR2 IMAGE PARENT: qemu-img info --backing-chain of
# IMAGE, run inside each directory, agrees on the chain's fields, and the
# image's backing file is PARENT
same_vmdk_chain() {
    local f='"(filename|backing-filename|full-backing-filename|backing-filename-format|virtual-size|create-type|parent-cid)"'
    local a b
    a=$(cd "$1" && "$QI" info --backing-chain --output=json "$3" | grep -E "$f")
    b=$(cd "$2" && "$QI" info --backing-chain --output=json "$3" | grep -E "$f")
    [ "$a" = "$b" ] && printf '%s\n' "$a" | grep -q "\"backing-filename\": \"$4\""
}

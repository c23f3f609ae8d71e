# Corrupt and hostile images of every format: `vxl img info/check/convert`
# end with a clear error or with qemu-img's answer, never crash or hang.
# Truncated images (each format), hostile headers from the shared corpus
# (tests/data/corrupt/PROVENANCE).  Field-level corruptions of each
# format are in tests/unit/test_disk_vfmt.c and tests/integration/img_check.sh.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../img_lib.sh"
have_qemu || { skip "qemu-img/qemu-io not installed"; exit 0; }
cd "$TMPD" || exit 1

# no crash (signal), no hang, and on failure a message naming the file
# (check reports in qemu-img's words and exit codes instead)
sane() {        # NAME FILE vxl-args...
    local name=$1 file=$2 rc; shift 2
    timeout 30 "$VXL" img "$@" >out.txt 2>err.txt; rc=$?
    if [ $rc -ge 124 ]; then
        not_ok "$name: rc=$rc (crash or hang)"; sed 's/^/# /' err.txt | head -3
    elif [ $rc -ne 0 ] && [ "$1" != check ] && ! grep -q "$file" err.txt; then
        not_ok "$name: error does not name the file"; sed 's/^/# /' err.txt | head -3
    else
        ok "$name"
    fi
}

head -c 8M /dev/urandom > src.raw
for f in qcow2 vmdk vdi vpc; do
    "$QI" convert -f raw -O $f src.raw full.$f
    s=$(stat -c %s full.$f)
    for cut in 100 1000 $((s / 2)) $((s - 512)); do
        head -c $cut full.$f > t$cut.$f
        sane "$f cut at $cut: info" t$cut.$f info -f $f t$cut.$f
        sane "$f cut at $cut: check" t$cut.$f check -f $f t$cut.$f
        sane "$f cut at $cut: convert" t$cut.$f convert -f $f -O raw t$cut.$f o.raw
        # where vxl reads it, it reads what qemu-img reads
        if [ -e o.raw ] && "$QI" convert -f $f -O raw t$cut.$f q.raw 2>/dev/null; then
            check "$f cut at $cut: same content as qemu-img reads" cmp -s o.raw q.raw
        fi
        rm -f o.raw q.raw
        # check of an image cut inside its data: qemu-img's report
        if [ $f != vpc ] && [ $cut -gt 1000 ]; then
            same "$f cut at $cut: check as qemu-img" "check -f $f t$cut.$f"
        fi
    done
done
# qcow2 read past EOF: zeros, as qemu-img
s=$(stat -c %s full.qcow2)
head -c $((s / 2)) full.qcow2 > half.qcow2
same "truncated qcow2 reads like qemu-img's" \
    "convert -O raw half.qcow2 v.raw && md5sum < v.raw" \
    "convert -O raw half.qcow2 q.raw && md5sum < q.raw"

# hostile headers (KubeVirt CDI's malicious images)
D=$VXL_TOP/tests/data/corrupt
for f in "$D"/cdi-*.img; do
    b=$(basename "$f")
    cp "$f" "$b"
    sane "$b: info" "$b" info "$b"
    sane "$b: check" "$b" check "$b"
    sane "$b: convert" "$b" convert -O raw "$b" o.raw
    check "$b: nothing written" test ! -e o.raw
done
same "cdi-invalid-qcow-backing-file.img: info fails like qemu-img" \
    "info cdi-invalid-qcow-backing-file.img"
same "cdi-invalid-qcow-large-memory.img: check fails like qemu-img" \
    "check cdi-invalid-qcow-large-memory.img"
# 197 KiB, not copied: used from the shared corpus when it is there
J=$SHARED/corpus/vmware/images/corrupt/cdi-invalid-qcow-large-json.img
[ -r "$J" ] || J=$VXL_TOP/../../shared/corpus/vmware/images/corrupt/cdi-invalid-qcow-large-json.img
if [ -r "$J" ]; then
    cp "$J" lj.img
    sane "large-json snapshot table: info" lj.img info --output=json lj.img
    sane "large-json snapshot table: check" lj.img check lj.img
else
    skip "shared corpus not available for cdi-invalid-qcow-large-json.img"
fi

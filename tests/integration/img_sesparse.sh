# VMDK seSparse (ESXi's space-efficient sparse), read-only: no tool here
# writes one, so tests/gen_sesparse.py builds descriptor + extent pairs
# (allocated, zero, unmapped and unallocated grains over several grain
# tables, out-of-order tables and grains) together with the content they
# are meant to have.  qemu-img 7.2 is the oracle: it must read each image
# as intended, and vxl must read it exactly as qemu-img does.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../img_lib.sh"
have_qemu || { skip "qemu-img/qemu-io not installed"; exit 0; }
command -v python3 >/dev/null || { skip "python3 not installed"; exit 0; }
cd "$TMPD" || exit 1
GEN="python3 $VXL_TOP/tests/gen_sesparse.py"

# map without host offsets (vxl gives offsets only inside the image's own
# file, qemu-img also inside extent files), adjacent equal ranges merged
map_norm() {
    python3 -c '
import json, sys
out = []
for e in json.load(sys.stdin):
    e.pop("offset", None)
    k = {x: e[x] for x in e if x not in ("start", "length")}
    if out and out[-1][0] == k and out[-1][1] + out[-1][2] == e["start"]:
        out[-1][2] += e["length"]
    else:
        out.append([k, e["start"], e["length"]])
for k, s, l in out:
    print(s, l, sorted(k.items()))'
}
# qemu-img info --output=json fields vxl prints too (vxl has no VMDK
# format-specific section; actual-size: vxl counts the descriptor file)
info_norm() {
    python3 -c '
import json, sys
d = json.load(sys.stdin)
for i in d if isinstance(d, list) else [d]:
    for k in ("actual-size", "format-specific"):
        i.pop(k, None)
print(json.dumps(d, sort_keys=True, indent=1))'
}

# several layouts: sizes with a partial last grain, one to four tables
n=0
for spec in "1:41944576" "2:41943552" "3:16777216" "4:67109376" "5:4096" "6:50000000"; do
    seed=${spec%%:*} size=${spec#*:}
    $GEN s$seed.vmdk --size $size --seed $seed --expect s$seed.want >/dev/null ||
        { not_ok "generate seSparse image $seed"; continue; }
    "$QI" convert -O raw s$seed.vmdk s$seed.q.raw 2>"$TMPD/qerr"
    check "seSparse $seed: qemu-img reads the intended content" cmp -s s$seed.q.raw s$seed.want
    "$VXL" img convert -O raw s$seed.vmdk s$seed.v.raw 2>"$TMPD/err"
    check "seSparse $seed: vxl reads what qemu-img reads" cmp -s s$seed.v.raw s$seed.q.raw
    check "seSparse $seed: vxl reads the intended content" cmp -s s$seed.v.raw s$seed.want
    check "seSparse $seed: img info fields as qemu-img's" \
        test "$("$QI" info --output=json s$seed.vmdk | info_norm)" = \
             "$("$VXL" img info --output=json s$seed.vmdk | info_norm)"
    check "seSparse $seed: map as qemu-img's" \
        test "$("$QI" map --output=json s$seed.vmdk | map_norm)" = \
             "$("$VXL" img map --output=json s$seed.vmdk | map_norm)"
    check "seSparse $seed: img compare with qemu-img's raw" \
        "$VXL" img compare -q s$seed.vmdk s$seed.q.raw
    same "seSparse $seed: img check" "check s$seed.vmdk" "check s$seed.vmdk"
    n=$((n + 1))
    rm -f s$seed.q.raw s$seed.v.raw
done
check "every generated seSparse image was read" test $n = 6
check "seSparse: convert to qcow2 equals the source (qemu-img compare)" sh -c '
    "$0" img convert -O qcow2 s1.vmdk s1.qcow2 && "$1" compare -q s1.vmdk s1.qcow2' "$VXL" "$QI"

# delta links: an seSparse child of a monolithicSparse parent, and an
# seSparse child of that seSparse child (parentCID = the parent's CID)
"$QI" create -q -f vmdk p.vmdk 20M
FMT=vmdk qw p.vmdk "write -P 0x5a 0 12M" "write -P 0x5b 15M 5M"
"$QI" convert -O raw p.vmdk p.raw
pcid=$(grep -a "^CID=" p.vmdk | head -1 | cut -d= -f2)
$GEN c.vmdk --size 20971520 --seed 21 --parent p.vmdk --parent-cid "$pcid" \
    --parent-raw p.raw --expect c.want >/dev/null
ccid=$(grep "^CID=" c.vmdk | cut -d= -f2)
$GEN g.vmdk --size 20971520 --seed 22 --parent c.vmdk --parent-cid "$ccid" \
    --parent-raw c.want --expect g.want >/dev/null
for img in c g; do
    "$QI" convert -O raw $img.vmdk $img.q.raw
    check "seSparse delta $img: qemu-img reads the intended content" cmp -s $img.q.raw $img.want
    "$VXL" img convert -O raw $img.vmdk $img.v.raw
    check "seSparse delta $img: vxl reads what qemu-img reads" cmp -s $img.v.raw $img.q.raw
    check "seSparse delta $img: backing chain as qemu-img's" \
        test "$("$QI" info --backing-chain --output=json $img.vmdk | info_norm)" = \
             "$("$VXL" img info --backing-chain --output=json $img.vmdk | info_norm)"
    check "seSparse delta $img: map of the chain as qemu-img's" \
        test "$("$QI" map --output=json $img.vmdk | map_norm)" = \
             "$("$VXL" img map --output=json $img.vmdk | map_norm)"
done
check "seSparse delta: convert -B keeps the parent, qemu-img compare equal" sh -c '
    "$0" img convert -O qcow2 -B c.vmdk -F vmdk g.vmdk gb.qcow2 &&
    "$1" compare -q g.vmdk gb.qcow2' "$VXL" "$QI"

# read-only: opening for writing is refused, the image is untouched
cp s3-sesparse.vmdk s3.before
check "seSparse: writing refused" sh -c '
    ! "$0" img convert -n -f raw -O vmdk s3.want s3.vmdk 2>"$1" && grep -q "seSparse" "$1"' \
    "$VXL" "$TMPD/err"
check "seSparse: extent untouched after the refused write" cmp -s s3.before s3-sesparse.vmdk
check "seSparse: the extent alone is not an image, and says so" sh -c '
    ! "$0" img info -f vmdk s3-sesparse.vmdk 2>"$1" && grep -q "seSparse extent" "$1"' \
    "$VXL" "$TMPD/err"

# corrupt images: vxl fails with one clear line naming the file, no
# crash or hang; where qemu-img refuses to open, vxl refuses too
for k in $($GEN --list-corrupt x); do
    rm -f x.vmdk x-sesparse.vmdk
    $GEN x.vmdk --size 41943040 --seed 31 --corrupt "$k" >/dev/null
    timeout 30 "$VXL" img convert -O raw x.vmdk x.raw 2>"$TMPD/err"; vr=$?
    timeout 30 "$QI" info x.vmdk >/dev/null 2>&1; qi=$?
    timeout 30 "$VXL" img info x.vmdk >/dev/null 2>&1; vi=$?
    check "corrupt seSparse ($k): convert fails cleanly ($vr)" \
        test $vr = 1 -a "$(wc -l < "$TMPD/err")" = 1
    check "corrupt seSparse ($k): the message names the extent" \
        grep -q "x-sesparse.vmdk" "$TMPD/err"
    if [ $qi != 0 ]; then
        check "corrupt seSparse ($k): refused at open like qemu-img" test $vi = 1
    fi
    timeout 30 "$VXL" img check x.vmdk >/dev/null 2>&1; vc=$?
    check "corrupt seSparse ($k): check ends ($vc)" test $vc -lt 64
done
check "corrupt cases were generated" test -n "$k"

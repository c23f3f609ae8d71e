# `vxl img create`, `resize`, `snapshot`, `commit`, `rebase` and
# `compare`, cross-checked with qemu-img: same messages and exit codes,
# and images qemu-img reads as it reads its own.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../img_lib.sh"
have_qemu || { skip "qemu-img/qemu-io not installed"; exit 0; }
cd "$TMPD" || exit 1
mkdir -p v q

# create: the "Formatting" line, then qemu-img info of both must agree
create_same() {     # NAME ARGS (file name last-but-size, relative to v/ q/)
    local name=$1; shift
    local vo qo
    vo=$(cd v && "$VXL" img create "$@" 2>/dev/null); local vr=$?
    qo=$(cd q && "$QI" create "$@" 2>/dev/null); local qr=$?
    if [ "$vo" != "$qo" ] || [ $vr != $qr ]; then
        not_ok "create $name (vxl rc=$vr qemu rc=$qr)"
        diff <(echo "$qo") <(echo "$vo") | sed 's/^/# /' | head
        return
    fi
    ok "create $name"
}
# like create_same, and the error message must match too (after the
# program name): option values QEMU rejects only after its "Formatting"
# line, in the order QEMU meets them
create_err_same() {
    local name=$1; shift
    local vo qo ve qe
    vo=$(cd v && "$VXL" img create "$@" 2>../v.err); local vr=$?
    qo=$(cd q && "$QI" create "$@" 2>../q.err); local qr=$?
    ve=$(sed 's/^vxl img: //' v.err); qe=$(sed 's/^qemu-img: //' q.err)
    if [ "$vo" != "$qo" ] || [ $vr != $qr ] || [ "$ve" != "$qe" ]; then
        not_ok "create $name (vxl rc=$vr qemu rc=$qr)"
        diff <(echo "$qo"; echo "$qe") <(echo "$vo"; echo "$ve") | sed 's/^/# /' | head
        return
    fi
    ok "create $name"
}
measure_err_same() {
    local name=$1; shift
    local vo qo ve qe
    vo=$("$VXL" img measure "$@" 2>v.err); local vr=$?
    qo=$("$QI" measure "$@" 2>q.err); local qr=$?
    ve=$(sed 's/^vxl img: //' v.err); qe=$(sed 's/^qemu-img: //' q.err)
    if [ "$vo" != "$qo" ] || [ $vr != $qr ] || [ "$ve" != "$qe" ]; then
        not_ok "measure $name (vxl rc=$vr qemu rc=$qr)"
        diff <(echo "$qo"; echo "$qe") <(echo "$vo"; echo "$ve") | sed 's/^/# /' | head
        return
    fi
    ok "measure $name"
}
info_same() {       # NAME FILE: qemu-img info of vxl's and qemu-img's image
    local a b
    a=$(cd v && "$QI" info --output=json "$2" | grep -v actual-size)
    b=$(cd q && "$QI" info --output=json "$2" | grep -v actual-size)
    if [ "$a" == "$b" ] && (cd v && case $2 in *.raw) ;; *) "$QI" check -q "$2";; esac); then ok "$1"
    else not_ok "$1"; diff <(echo "$b") <(echo "$a") | sed 's/^/# /' | head; fi
}
create_same "raw" -f raw r.raw 10M
create_same "raw odd size" -f raw r2.raw 1000
create_same "qcow2" -f qcow2 a.qcow2 64M
create_same "qcow2 v2" -f qcow2 -o compat=0.10 v2.qcow2 1G
create_same "qcow2 options" -f qcow2 -o cluster_size=4k,lazy_refcounts=on,refcount_bits=8 o.qcow2 1.5G
create_same "qcow2 extl2 zstd" -f qcow2 -o extended_l2=on,compression_type=zstd,cluster_size=128k e.qcow2 100M
create_same "qcow2 refcount_bits=64" -f qcow2 -o refcount_bits=64 rb.qcow2 10M
create_same "qcow2 backing, size from backing" -f qcow2 -b a.qcow2 -F qcow2 b.qcow2
create_same "qcow2 backing, own size" -f qcow2 -b a.qcow2 -F qcow2 b2.qcow2 128M
create_same "qcow2 odd size" -f qcow2 odd.qcow2 100000
create_same "hex size" -f qcow2 hex.qcow2 0x100000
create_same "-q" -q -f qcow2 quiet.qcow2 1M
for f in r.raw r2.raw a.qcow2 v2.qcow2 o.qcow2 e.qcow2 rb.qcow2 b.qcow2 b2.qcow2 hex.qcow2 \
         odd.qcow2; do
    info_same "qemu-img reads vxl's $f like its own" "$f"
done
create_same "no size" -f qcow2 nosize.qcow2
create_same "bad size" -f qcow2 bad.qcow2 12Q
create_same "size too large" -f qcow2 big.qcow2 8E
create_same "unknown option" -f qcow2 -o foo=1 uo.qcow2 1M
for o in cluster_size=3000 cluster_size=4M refcount_bits=3 compat=0.9 \
         compression_type=lz4 preallocation=foo cluster_size=abc \
         refcount_bits=abc lazy_refcounts=maybe data_file_raw=on \
         cluster_size=3000,compat=0.9 compat=0.9,compression_type=lz4 \
         compression_type=lz4,preallocation=foo \
         refcount_bits=3,cluster_size=3000 compat=0.9,compat=1.1 \
         compat=0.10,refcount_bits=8 compat=0.10,lazy_refcounts=on \
         compat=0.10,extended_l2=on extended_l2=on,cluster_size=4k; do
    create_err_same "-o $o" -f qcow2 -o "$o" bad.qcow2 1M
    measure_err_same "-o $o" -O qcow2 -o "$o" --size 1M
done
create_err_same "raw preallocation=foo" -f raw -o preallocation=foo bad.raw 1M
create_err_same "raw preallocation=metadata" -f raw -o preallocation=metadata bad.raw 1M
create_err_same "vmdk subformat=foo" -f vmdk -o subformat=foo bad.vmdk 1M
create_err_same "vmdk adapter_type=foo" -f vmdk -o adapter_type=foo bad.vmdk 1M
create_err_same "vmdk hwversion=foo" -f vmdk -o hwversion=foo hw.vmdk 1M
create_err_same "vpc subformat=foo" -f vpc -o subformat=foo bad.vhd 1M
create_same "backing without format" -f qcow2 -b a.qcow2 nf.qcow2
create_same "backing for raw" -f raw -b a.qcow2 -F qcow2 br.raw 1M
create_same "unknown format" -f foo f.img 1M
create_same "extra argument" -f qcow2 x.qcow2 1M extra

# data written into a vxl-made image by qemu-io reads back
FMT=qcow2 qw v/a.qcow2 "write -P 0x5a 1M 300k"
check "qemu-io can write vxl's qcow2" \
    sh -c 'cd v && "$0" check -q a.qcow2 && "$1" -f qcow2 -c "read -P 0x5a 1M 300k" a.qcow2 | grep -q "read 307200"' "$QI" "$QIO"

# resize
"$QI" create -q -f qcow2 rs.qcow2 1M; cp rs.qcow2 rs2.qcow2
same "resize grow" "resize rs.qcow2 +1M" "resize rs2.qcow2 +1M"
check "resize grew" sh -c '"$0" info rs.qcow2 | grep -q "(2097152 bytes)"' "$QI"
same "resize shrink refused" "resize rs.qcow2 -- -1M" "resize rs2.qcow2 -- -1M"
same "resize --shrink" "resize --shrink rs.qcow2 1M" "resize --shrink rs2.qcow2 1M"
check "resized image passes check" "$QI" check -q rs.qcow2
"$QI" create -q -f raw rr.raw 1M
same "resize raw" "resize -f raw rr.raw 3M" "resize -f raw rr.raw 3M"
check "raw resized" test "$(stat -c %s rr.raw)" = 3145728

# external data files: create as qemu-img byte for byte (image and data
# file), writes land at the guest offset; data_file_raw keeps the data
# file a faithful raw image, zero writes included
for o in data_file=df.raw data_file=df.raw,data_file_raw=on \
         data_file=df.raw,preallocation=falloc \
         data_file=df.raw,data_file_raw=on,preallocation=full \
         data_file=df.raw,preallocation=metadata; do
    rm -f v/df.raw q/df.raw
    create_err_same "-o $o" -f qcow2 -o "$o" dfi.qcow2 1000000
    check "-o $o: same image bytes" cmp -s v/dfi.qcow2 q/dfi.qcow2
    check "-o $o: same data file bytes" cmp -s v/df.raw q/df.raw
done
"$QI" create -q -f qcow2 dsrc.qcow2 8M
qw dsrc.qcow2 "write -P 0x11 0 1M" "write -z 2M 1M" "write -P 0x22 5M 3k"
"$VXL" img convert -O qcow2 -o data_file=dv.raw dsrc.qcow2 dv.qcow2
check "convert into a data file: qemu-img check" "$QI" check -q dv.qcow2
check "convert into a data file: equal" "$QI" compare -q dsrc.qcow2 dv.qcow2
FMT=qcow2 qw dv.qcow2 "write -P 0x33 6M 64k"
"$QI" convert -O raw dv.qcow2 dvq.raw; "$VXL" img convert -O raw dv.qcow2 dvv.raw
check "vxl reads what qemu-io wrote through a data file" cmp -s dvq.raw dvv.raw
"$QI" create -q -f qcow2 -o data_file=dr.raw,data_file_raw=on dr.qcow2 8M
FMT=qcow2 qw dr.qcow2 "write -P 0xee 0 8M"
"$VXL" img convert -n -O qcow2 dsrc.qcow2 dr.qcow2
check "data_file_raw: convert -n equal" "$QI" compare -q dsrc.qcow2 dr.qcow2
check "data_file_raw: the data file alone is the image (zeros written)" \
    "$QI" compare -q -f raw -F qcow2 dr.raw dsrc.qcow2
check "data_file_raw: qemu-img check" "$QI" check -q dr.qcow2
same "resize with a data file" "resize dv.qcow2 +1M" "resize dr.qcow2 +1M"
check "resize grew the data files" \
    test "$(stat -c %s dv.raw)" = 9437184 -a "$(stat -c %s dr.raw)" = 9437184
check "no internal snapshots with a data file" \
    sh -c '! "$0" img snapshot -c s dv.qcow2 2>/dev/null' "$VXL"
check "convert -c into a data file refused, nothing created" \
    sh -c '! "$0" img convert -c -O qcow2 -o data_file=dc.raw dsrc.qcow2 dc.qcow2 2>/dev/null &&
           [ ! -e dc.raw ] && [ ! -e dc.qcow2 ]' "$VXL"

# VMDK delta links: create -b writes parentCID (the parent's CID) and
# parentFileNameHint as qemu-img; qemu-img reads through to the parent
"$QI" create -q -f vmdk v/vpar.vmdk 10M; FMT=vmdk qw v/vpar.vmdk "write -P 0x61 0 1M"
cp v/vpar.vmdk q/vpar.vmdk
create_err_same "vmdk delta link" -f vmdk -b vpar.vmdk -F vmdk vch.vmdk
create_err_same "vmdk delta link, streamOptimized" -f vmdk -b vpar.vmdk -F vmdk \
    -o subformat=streamOptimized vch2.vmdk
create_err_same "vmdk delta link to a qcow2 refused" -f vmdk -b a.qcow2 -F qcow2 vch3.vmdk
check "delta link: the parent's CID" sh -c '
    p=$(grep -a "^CID=" v/vpar.vmdk | head -1 | cut -d= -f2)
    grep -aqx "parentCID=$p" v/vch.vmdk &&
    grep -aqx "parentFileNameHint=\"vpar.vmdk\"" v/vch.vmdk'
check "delta link: qemu-img info as for its own" sh -c '
    f() { (cd "$1" && "$0" info --output=json vch.vmdk |
           grep -E "backing|virtual-size|create-type|parent-cid"); }
    [ "$(f v)" = "$(f q)" ]' "$QI"
FMT=vmdk qw v/vch.vmdk "write -P 0x62 2M 64k"
check "delta link: qemu-img check" "$QI" check -q v/vch.vmdk
check "delta link: reads the parent and its own data" sh -c '
    "$0" -f vmdk -c "read -P 0x61 0 1M" -c "read -P 0x62 2M 64k" v/vch.vmdk | grep -c "^read" | grep -qx 2' "$QIO"

# delta links of every subformat: the sparse ones are created, the flat
# ones refused (before the parent is opened), as qemu-img does; the
# descriptor is qemu-img's byte for byte but for the random CID
for sf in monolithicSparse streamOptimized twoGbMaxExtentSparse monolithicFlat twoGbMaxExtentFlat; do
    rm -f v/dl.vmdk v/dl-* q/dl.vmdk q/dl-*
    create_err_same "vmdk delta link, $sf" -f vmdk -o subformat=$sf -b vpar.vmdk -F vmdk dl.vmdk
    check "vmdk delta link, $sf: the same files as qemu-img's" \
        test "$(cd v && ls dl* 2>/dev/null)" = "$(cd q && ls dl* 2>/dev/null)"
    [ -e q/dl.vmdk ] || continue
    check "vmdk delta link, $sf: descriptor as qemu-img's" \
        same_vmdk_desc v/dl.vmdk q/dl.vmdk
    check "vmdk delta link, $sf: qemu-img check" "$QI" check -q v/dl.vmdk
    check "vmdk delta link, $sf: qemu-img info --backing-chain as for its own" \
        same_vmdk_chain v q dl.vmdk vpar.vmdk
    check "vmdk delta link, $sf: reads its parent" sh -c '
        "$0" -f vmdk -c "read -P 0x61 0 1M" -c "read -P 0 1M 1M" v/dl.vmdk | grep -c "^read" | grep -qx 2' "$QIO"
done
# -u: the flat refusal comes first even when the parent does not exist
create_err_same "vmdk flat delta link, -u, missing parent" -f vmdk -u \
    -o subformat=twoGbMaxExtentFlat -b nothere.vmdk -F vmdk dl2.vmdk 1M
create_err_same "vmdk flat image with zeroed_grain" -f vmdk \
    -o subformat=monolithicFlat,zeroed_grain=on dl3.vmdk 1M
create_err_same "vmdk compat6 with hwversion" -f vmdk -o compat6=on,hwversion=7 dl4.vmdk 1M
# the extent names: qemu-img puts the suffix before the last dot
for n in ext.img noext; do
    create_same "twoGbMaxExtentSparse named $n" -f vmdk -o subformat=twoGbMaxExtentSparse $n 1M
    check "twoGbMaxExtentSparse named $n: the same files as qemu-img's" \
        test "$(cd v && ls ${n%.img}*)" = "$(cd q && ls ${n%.img}*)"
done

# resize --preallocation: as qemu-img (metadata: the same bytes)
for m in metadata falloc full; do
    "$QI" create -q -f qcow2 rp1.qcow2 1M; cp rp1.qcow2 rp2.qcow2
    same "resize --preallocation=$m" "resize --preallocation=$m rp2.qcow2 5M" \
        "resize --preallocation=$m rp1.qcow2 5M"
    check "resize --preallocation=$m: qemu-img check" "$QI" check -q rp2.qcow2
    same "resize --preallocation=$m: allocated like qemu-img's" \
        "check --output=json rp2.qcow2 | grep -v image-end | grep clusters" \
        "check --output=json rp1.qcow2 | grep -v image-end | grep clusters"
    [ $m = metadata ] && check "resize --preallocation=metadata: same bytes" cmp -s rp1.qcow2 rp2.qcow2
done
same "resize --preallocation on shrink" "resize --shrink --preallocation=full rp2.qcow2 1M" \
    "resize --shrink --preallocation=full rp1.qcow2 1M"

# resize of images with internal snapshots (v3): each snapshot keeps its
# size and applying it restores that size; v2 images refuse
"$QI" create -q -f qcow2 rsn1.qcow2 8M
qw rsn1.qcow2 "write -P 0x01 0 64k"
"$QI" snapshot -c small rsn1.qcow2
qw rsn1.qcow2 "write -P 0x02 0 64k"
cp rsn1.qcow2 rsn2.qcow2
same "resize grow with snapshots" "resize rsn2.qcow2 +8M" "resize rsn1.qcow2 +8M"
FMT=qcow2 qw rsn1.qcow2 "write -P 0x03 12M 64k"
FMT=qcow2 qw rsn2.qcow2 "write -P 0x03 12M 64k"
check "grown image with snapshots: qemu-img check" "$QI" check -q rsn2.qcow2
check "grown image with snapshots equals qemu-img's" "$QI" compare -q rsn1.qcow2 rsn2.qcow2
"$QI" snapshot -c big rsn1.qcow2; "$VXL" img snapshot -c big rsn2.qcow2
same "resize --shrink with snapshots" "resize --shrink rsn2.qcow2 4M" \
    "resize --shrink rsn1.qcow2 4M"
"$QI" snapshot -a small rsn1.qcow2; "$VXL" img snapshot -a small rsn2.qcow2
check "snapshot -a restores the snapshot's size" \
    sh -c '"$0" info rsn2.qcow2 | grep -q "(8388608 bytes)"' "$QI"
check "... and equals qemu-img's result" "$QI" compare -q rsn1.qcow2 rsn2.qcow2
"$QI" snapshot -a big rsn1.qcow2; "$VXL" img snapshot -a big rsn2.qcow2
check "snapshot -a of a larger snapshot grows back" "$QI" compare -q rsn1.qcow2 rsn2.qcow2
check "... and qemu-img check passes" "$QI" check -q rsn2.qcow2
"$QI" create -q -f qcow2 -o compat=0.10 rsv2.qcow2 1M
"$QI" snapshot -c s rsv2.qcow2
same "resize of a v2 image with snapshots refused" "resize rsv2.qcow2 +1M"

# snapshots made by vxl are seen by qemu-img
"$QI" create -q -f qcow2 sn.qcow2 8M
qw sn.qcow2 "write -P 0x01 0 64k"
"$VXL" img snapshot -c one sn.qcow2
qw sn.qcow2 "write -P 0x02 0 64k"
check "qemu-img lists vxl's snapshot" sh -c '"$0" snapshot -l sn.qcow2 | grep -q " one "' "$QI"
check "snapshot image passes check" "$QI" check -q sn.qcow2
"$VXL" img snapshot -a one sn.qcow2
check "snapshot -a restores the data" \
    sh -c '"$0" -f qcow2 -c "read -P 0x01 0 64k" sn.qcow2 | grep -q "read 65536"' "$QIO"
"$VXL" img snapshot -d one sn.qcow2
check "snapshot -d removes it" sh -c '! "$0" snapshot -l sn.qcow2 | grep -q " one "' "$QI"
check "image passes check after delete" "$QI" check -q sn.qcow2

# commit: top's data lands in the backing file
"$QI" create -q -f qcow2 base.qcow2 8M
qw base.qcow2 "write -P 0x0b 0 4M"
"$QI" create -q -f qcow2 -b base.qcow2 -F qcow2 ov.qcow2
qw ov.qcow2 "write -P 0x0c 1M 64k" "write -z 2M 64k"
"$QI" convert -O raw ov.qcow2 expect.raw
check "commit prints like qemu-img" sh -c '[ "$("$0" img commit ov.qcow2)" = "Image committed." ]' "$VXL"
check "committed base has top's content" "$QI" compare -q -F raw base.qcow2 expect.raw
check "commit empties the top" sh -c '"$0" map --output=json ov.qcow2 | grep -q "\"depth\": 0" && exit 1 || exit 0' "$QI"
check "base passes check" "$QI" check -q base.qcow2

# rebase (safe): content is preserved while the backing file changes
"$QI" create -q -f qcow2 nb.qcow2 8M
qw nb.qcow2 "write -P 0x0d 0 2M"
"$QI" create -q -f qcow2 -b base.qcow2 -F qcow2 rb2.qcow2
qw rb2.qcow2 "write -P 0x0e 3M 64k"
"$QI" convert -O raw rb2.qcow2 before.raw
"$VXL" img rebase -b nb.qcow2 -F qcow2 rb2.qcow2
check "rebase keeps the content" "$QI" compare -q -F raw rb2.qcow2 before.raw
check "rebase records the new backing" sh -c '"$0" info rb2.qcow2 | grep -qx "backing file: nb.qcow2"' "$QI"
"$VXL" img rebase -u -b base.qcow2 -F qcow2 rb2.qcow2
check "rebase -u only rewrites the name" sh -c '"$0" info rb2.qcow2 | grep -qx "backing file: base.qcow2"' "$QI"
check "rebase -u image passes check" "$QI" check -q rb2.qcow2

# compare: messages and exit codes
"$QI" create -q -f raw z1.raw 4M; "$QI" create -q -f raw z2.raw 4M; "$QI" create -q -f raw z3.raw 5M
printf 'x' | dd of=z2.raw bs=1 seek=1000 conv=notrunc status=none
printf 'y' | dd of=z3.raw bs=1 seek=4500000 conv=notrunc status=none
"$QI" convert -O qcow2 z2.raw z2.qcow2
same "compare identical" "compare z2.raw z2.qcow2"
same "compare mismatch" "compare z1.raw z2.raw"
same "compare data vs data mismatch" "compare z2.qcow2 z3.raw"
same "compare size mismatch, tail not zero" "compare z1.raw z3.raw"
same "compare -s size" "compare -s z1.raw z3.raw"
"$QI" create -q -f raw z4.raw 5M
same "compare size mismatch, zero tail" "compare z1.raw z4.raw"
same "compare -q" "compare -q z1.raw z2.raw"
same "compare missing file" "compare z1.raw nonexistent"

# image ids: every image vxl creates gets its own (VirtualBox refuses to
# register two disks with one VDI uuid; a VMDK/VHD child records its
# parent's CID / unique id)
for k in 1 2; do
    "$VXL" img create -f vdi id$k.vdi 1M >/dev/null
    "$VXL" img create -f vmdk id$k.vmdk 1M >/dev/null
    "$VXL" img create -f vpc id$k.vhd 1M >/dev/null
done
vdi_id() { od -An -tx1 -j392 -N16 "$1" | tr -d ' \n'; }
vhd_id() { tail -c 512 "$1" | od -An -tx1 -j68 -N16 | tr -d ' \n'; }
cid() { grep -a '^CID=' "$1"; }
check "two VDI images get distinct uuids" test "$(vdi_id id1.vdi)" != "$(vdi_id id2.vdi)"
check "VDI uuid is a version 4 uuid" sh -c 'case "$0" in ????????????4???[89ab]*) ;; *) exit 1;; esac' "$(vdi_id id1.vdi)"
check "two VMDK images get distinct CIDs" test "$(cid id1.vmdk)" != "$(cid id2.vmdk)"
check "two VHD images get distinct unique ids" test "$(vhd_id id1.vhd)" != "$(vhd_id id2.vhd)"

# snapshot create/apply/delete on copies of one image, qemu-img on one and
# vxl on the other: the snapshot lists agree along the way and, once every
# snapshot is deleted (no dates left in the file), the files are byte for
# byte the same (table layout, freed clusters discarded as qemu does)
for cs in 65536 4096; do
    "$QI" create -q -f qcow2 -o cluster_size=$cs sq.qcow2 8M
    qw sq.qcow2 "write -P 1 0 256k" "write -P 2 4M 64k"
    cp sq.qcow2 sv.qcow2
    sstep() {
        if [ "$1" = io ]; then
            shift; qw sq.qcow2 "$*"; qw sv.qcow2 "$*"
        else
            "$QI" snapshot "$@" sq.qcow2; "$VXL" img snapshot "$@" sv.qcow2
        fi
    }
    sstep -c a; sstep io write -P 3 0 128k; sstep -c b; sstep io write -P 4 64k 64k
    sstep -d a; sstep -c c
    check "snapshots ($cs-byte clusters): same list as qemu-img's (dates aside)" \
        test "$("$QI" snapshot -l sq.qcow2 | cut -c1-40)" = "$("$QI" snapshot -l sv.qcow2 | cut -c1-40)"
    check "snapshots ($cs-byte clusters): ICOUNT as qemu-img writes it" \
        test "$("$QI" snapshot -l sq.qcow2 | awk 'NR > 2 {print $NF}')" = \
             "$("$QI" snapshot -l sv.qcow2 | awk 'NR > 2 {print $NF}')"
    sstep -a b; sstep io write -P 5 4M 4k; sstep -d b; sstep -d c
    check "snapshots ($cs-byte clusters): same bytes as qemu-img's after create/apply/delete" \
        cmp -s sq.qcow2 sv.qcow2
    check "snapshots ($cs-byte clusters): qemu-img check clean" "$QI" check -q sv.qcow2
done

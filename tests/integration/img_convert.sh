# `vxl img convert` cross-checked with qemu-img: every image vxl writes
# must pass `qemu-img check` and `qemu-img compare` equal to its source,
# and stay as sparse as qemu-img's own output.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../img_lib.sh"
have_qemu || { skip "qemu-img/qemu-io not installed"; exit 0; }
cd "$TMPD" || exit 1

# sources --------------------------------------------------------------
truncate -s 64M s.raw
dd if=/dev/urandom of=s.raw bs=64k count=10 seek=7 conv=notrunc status=none
dd if=/dev/zero of=s.raw bs=64k count=10 seek=100 conv=notrunc status=none  # allocated zeros
head -c 3000000 /usr/bin/env /usr/bin/ls /usr/bin/cp 2>/dev/null | \
    dd of=s.raw bs=1M seek=20 conv=notrunc status=none                       # compressible
printf 'odd' | dd of=s.raw bs=1 seek=33554433 conv=notrunc status=none      # unaligned
printf 'end' | dd of=s.raw bs=1 seek=$((64 * 1048576 - 3)) conv=notrunc status=none
"$QI" convert -f raw -O qcow2 s.raw s.qcow2
"$QI" convert -f raw -O qcow2 -o compat=0.10 s.raw s2.qcow2
"$QI" convert -f raw -O qcow2 -c s.raw sc.qcow2
"$QI" convert -f raw -O qcow2 -c -o compression_type=zstd s.raw sz.qcow2
"$QI" convert -f raw -O qcow2 -o extended_l2=on s.raw sx.qcow2
"$QI" convert -f raw -O qcow2 -o cluster_size=512 s.raw s512.qcow2
"$QI" convert -f raw -O qcow2 -o cluster_size=2M s.raw s2m.qcow2
qw s.qcow2 "write -z 7M 64k"                         # a zero cluster over data
"$QI" create -q -f qcow2 -b s.qcow2 -F qcow2 l1.qcow2
qw l1.qcow2 "write -P 0x11 1M 128k" "write -z 20M 1M" "write -P 0x12 33M 4k"
"$QI" create -q -f qcow2 -b l1.qcow2 -F qcow2 l2.qcow2
qw l2.qcow2 "write -P 0x21 1088k 64k" "discard 7M 64k"
"$QI" create -q -f qcow2 -b l2.qcow2 -F qcow2 l3.qcow2
qw l3.qcow2 "write -P 0x31 40M 100k"
cp s.qcow2 ssnap.qcow2
"$QI" snapshot -c before ssnap.qcow2
qw ssnap.qcow2 "write -P 0x41 2M 192k" "write -z 20M 64k"   # after the snapshot
sum_before=$(cat s.raw s.qcow2 l3.qcow2 | md5sum)

# converts: vxl output must equal the source and pass qemu-img check
conv_ok() {     # NAME SRCFMT SRC OUTFMT OUT vxl-args...
    local name=$1 sf=$2 src=$3 of=$4 out=$5; shift 5
    rm -f "$out"
    if ! "$VXL" img convert -f "$sf" -O "$of" "$@" "$src" "$out" 2>"$TMPD/err"; then
        not_ok "$name: convert failed: $(head -1 "$TMPD/err")"; return 1
    fi
    if [ "$of" = qcow2 ] && ! "$QI" check -q "$out" >/dev/null 2>&1; then
        not_ok "$name: qemu-img check failed"; return 1
    fi
    if ! "$QI" compare -q -f "$sf" -F "$of" "$src" "$out"; then
        not_ok "$name: content differs from the source"; return 1
    fi
    ok "$name"
}
conv_ok "raw->qcow2" raw s.raw qcow2 o1.qcow2
conv_ok "raw->qcow2 -c" raw s.raw qcow2 o2.qcow2 -c
conv_ok "raw->qcow2 -c zstd" raw s.raw qcow2 o3.qcow2 -c -o compression_type=zstd
conv_ok "raw->qcow2 v2" raw s.raw qcow2 o4.qcow2 -o compat=0.10
conv_ok "raw->qcow2 extended_l2" raw s.raw qcow2 o5.qcow2 -o extended_l2=on
conv_ok "raw->qcow2 512 B clusters" raw s.raw qcow2 o6.qcow2 -o cluster_size=512
conv_ok "raw->qcow2 2 MiB clusters" raw s.raw qcow2 o7.qcow2 -o cluster_size=2M
conv_ok "raw->raw" raw s.raw raw o8.raw
for src in s.qcow2 s2.qcow2 sc.qcow2 sz.qcow2 sx.qcow2 s512.qcow2 s2m.qcow2 l3.qcow2; do
    conv_ok "$src->raw" qcow2 "$src" raw "o-$src.raw"
    conv_ok "$src->qcow2" qcow2 "$src" qcow2 "o-$src.qcow2"
done
conv_ok "ssnap.qcow2->raw (current state, not the snapshot)" qcow2 ssnap.qcow2 raw o-ssnap.raw
# every source into each qcow2 option set
for src in s2.qcow2 sz.qcow2 sx.qcow2 s512.qcow2 l3.qcow2 ssnap.qcow2; do
    conv_ok "$src->qcow2 v2" qcow2 "$src" qcow2 "v2-$src" -o compat=0.10
    conv_ok "$src->qcow2 extl2 16k" qcow2 "$src" qcow2 "x-$src" -o extended_l2=on,cluster_size=16k
    conv_ok "$src->qcow2 -c zstd 2M" qcow2 "$src" qcow2 "z-$src" -c -o compression_type=zstd,cluster_size=2M
    conv_ok "$src->qcow2 refcount_bits=1" qcow2 "$src" qcow2 "r-$src" -o refcount_bits=1,cluster_size=4k
    rm -f "v2-$src" "x-$src" "z-$src" "r-$src"
done
conv_ok "qcow2 -c ->qcow2 -c" qcow2 sc.qcow2 qcow2 o9.qcow2 -c
conv_ok "chain->qcow2 -c -m 4 -W" qcow2 l3.qcow2 qcow2 o10.qcow2 -c -m 4 -W
conv_ok "chain->raw -m 1" qcow2 l3.qcow2 raw o11.raw -m 1
conv_ok "raw->raw -S 64k" raw s.raw raw o12.raw -S 64k
conv_ok "raw->qcow2 -S 0" raw s.raw qcow2 o13.qcow2 -S 0

# deflate -c (ISA-L when built with it, else libdeflate/zlib) at several
# cluster sizes: qemu-img reads it back equal, and every compressed
# cluster inflates with a 4 KiB window (QEMU's windowBits -12) even when
# the decoder gets its output space in small steps.
for cl in 512 4k 64k 2M; do
    conv_ok "raw->qcow2 -c cluster_size=$cl" raw s.raw qcow2 "c-$cl.qcow2" -c -o cluster_size=$cl
    check "-c cluster_size=$cl: compressed clusters decode with a 4 KiB window" \
        sh -c 'n=$(python3 "$0" "$1") && [ "$n" -gt 0 ]' "$VXL_TOP/tests/qcow2_window.py" "c-$cl.qcow2"
    rm -f "c-$cl.qcow2"
done

check "compressed output has compressed clusters" \
    sh -c '"$0" check --output=json o2.qcow2 | grep -q "\"compressed-clusters\": [1-9]"' "$QI"
check "sources unchanged" test "$(cat s.raw s.qcow2 l3.qcow2 | md5sum)" = "$sum_before"

# sparseness: never more allocated than qemu-img's own conversion
"$QI" convert -f raw -O raw s.raw q8.raw
"$QI" convert -f raw -O qcow2 s.raw q1.qcow2
"$QI" convert -f qcow2 -O raw l3.qcow2 q11.raw
check "raw->raw no denser than qemu-img" test "$(alloc o8.raw)" -le "$(alloc q8.raw)"
check "chain->raw no denser than qemu-img" test "$(alloc o11.raw)" -le "$(alloc q11.raw)"
check "raw->qcow2 no denser than qemu-img" test "$(alloc o1.qcow2)" -le "$(alloc q1.qcow2)"
check "raw output is sparse" test "$(alloc o8.raw)" -lt $((4 * 1048576))
check "-S 0 allocates everything" \
    sh -c '"$0" map --output=json o13.qcow2 | grep -q "\"data\": false" && exit 1 || exit 0' "$QI"
same "map of vxl's raw->qcow2 equals qemu-img's" \
     "map --output=json o1.qcow2 | sed 's/, .offset.: [0-9]*//'" \
     "map --output=json q1.qcow2 | sed 's/, .offset.: [0-9]*//'"

# -o preallocation: every cluster allocated (qemu-img check agrees),
# content equal; metadata preallocation lays a new image out byte for
# byte as qemu-img does
for m in metadata falloc full; do
    conv_ok "raw->qcow2 preallocation=$m" raw s.raw qcow2 "pa-$m.qcow2" -o preallocation=$m
    "$QI" convert -f raw -O qcow2 -o preallocation=$m s.raw "qpa-$m.qcow2"
    same "preallocation=$m: as many clusters as qemu-img's" \
        "check --output=json pa-$m.qcow2 | grep -v image-end | grep clusters" \
        "check --output=json qpa-$m.qcow2 | grep -v image-end | grep clusters"
    check "preallocation=$m: no unallocated cluster" \
        sh -c '! "$0" map --output=json "$1" | grep -q "\"present\": false"' "$QI" "pa-$m.qcow2"
    rm -f "qpa-$m.qcow2"
done
check "preallocation=metadata: same bytes as qemu-img's" \
    sh -c '"$0" create -q -f qcow2 -o preallocation=metadata m1.qcow2 100M &&
           "$1" img create -q -f qcow2 -o preallocation=metadata m2.qcow2 100M &&
           cmp -s m1.qcow2 m2.qcow2' "$QI" "$VXL"
check "preallocation=full allocates the file" \
    test "$(alloc pa-full.qcow2)" -ge $((64 * 1048576))
same "-c with preallocation is refused" \
    "convert -c -O qcow2 -o preallocation=metadata s.raw cp.qcow2"
# -c -O vmdk: streamOptimized compresses, other sparse subformats ignore
# it, flat ones are refused (qemu-img: "invalid cluster size")
conv_ok "raw->vmdk -c (monolithicSparse)" raw s.raw vmdk cv1.vmdk -c
conv_ok "raw->vmdk -c streamOptimized" raw s.raw vmdk cv2.vmdk -c -o subformat=streamOptimized
check "-c streamOptimized is smaller than the data" \
    test "$(stat -c %s cv2.vmdk)" -lt "$(stat -c %s cv1.vmdk)"
same "-c monolithicFlat is refused" \
    "convert -c -O vmdk -o subformat=monolithicFlat s.raw cv3.vmdk 2>/dev/null; echo" \
    "convert -c -O vmdk -o subformat=monolithicFlat s.raw cv3q.vmdk 2>/dev/null; echo"
rm -f pa-*.qcow2 m1.qcow2 m2.qcow2 cv*.vmdk cv*-flat.vmdk

# -B: only the top layer is copied; the rest reads through the backing file
"$VXL" img convert -O qcow2 -B l1.qcow2 -F qcow2 l2.qcow2 ob.qcow2 2>"$TMPD/err"
check "-B output equals its source" "$QI" compare -q l2.qcow2 ob.qcow2
check "-B output records the backing file" \
    sh -c '"$0" info ob.qcow2 | grep -qx "backing file: l1.qcow2"' "$QI"
"$QI" convert -O qcow2 -B l1.qcow2 -F qcow2 l2.qcow2 qb.qcow2
check "-B copies only what qemu-img copies" \
    test "$("$QI" check --output=json ob.qcow2 | grep allocated-clusters)" = \
         "$("$QI" check --output=json qb.qcow2 | grep allocated-clusters)"
check "-B without -F is refused" \
    sh -c '! "$0" img convert -O qcow2 -B l1.qcow2 l2.qcow2 x.qcow2 2>/dev/null && [ ! -e x.qcow2 ]' "$VXL"

# -B into a VMDK: a delta link naming the parent as given
"$QI" convert -f raw -O vmdk s.raw vb-base.vmdk
"$QI" create -q -f vmdk -b vb-base.vmdk -F vmdk vb-top.vmdk
FMT=vmdk qw vb-top.vmdk "write -P 0x71 4M 128k"
"$VXL" img convert -O vmdk -B vb-base.vmdk -F vmdk vb-top.vmdk vb-out.vmdk 2>"$TMPD/err"
check "-B -O vmdk: equal to its source" "$QI" compare -q vb-top.vmdk vb-out.vmdk
check "-B -O vmdk: a delta link to the base, named as given" \
    sh -c 'grep -aqx "parentFileNameHint=\"vb-base.vmdk\"" vb-out.vmdk &&
           grep -aqx "RW [0-9]* SPARSE \"vb-out.vmdk\"" vb-out.vmdk'
check "-B -O vmdk: only the top's data copied" \
    test "$(stat -c %s vb-out.vmdk)" -lt 2000000
# -B into every VMDK subformat, the image in a directory (a relative parent
# resolves against the destination's directory, not the temporary one the
# files are written in): qemu-img's acceptance, files and descriptor
mkdir -p bv bq
cp vb-base.vmdk bv/; cp vb-base.vmdk bq/
for sf in monolithicSparse streamOptimized twoGbMaxExtentSparse monolithicFlat twoGbMaxExtentFlat; do
    rm -f bv/o* bq/o*
    "$VXL" img convert -O vmdk -o subformat=$sf -B vb-base.vmdk -F vmdk vb-top.vmdk bv/o.vmdk 2>"$TMPD/err"; vr=$?
    "$QI" convert -O vmdk -o subformat=$sf -B vb-base.vmdk -F vmdk vb-top.vmdk bq/o.vmdk 2>"$TMPD/qerr"; qr=$?
    check "-B -O vmdk $sf: accepted or refused as by qemu-img ($vr, $qr)" test $vr = $qr
    check "-B -O vmdk $sf: the same files as qemu-img's" \
        test "$(ls -A bv | tr '\n' ' ')" = "$(ls -A bq | tr '\n' ' ')"
    if [ $qr != 0 ]; then
        check "-B -O vmdk $sf: qemu-img's reason" sh -c \
            'grep -q "Flat image can.t have backing file" "$0" && grep -q "Flat image can.t have backing file" "$1"' "$TMPD/err" "$TMPD/qerr"
        continue
    fi
    check "-B -O vmdk $sf: equal to its source" "$QI" compare -q vb-top.vmdk bv/o.vmdk
    check "-B -O vmdk $sf: qemu-img check" "$QI" check -q bv/o.vmdk
    check "-B -O vmdk $sf: backing chain as qemu-img's" \
        same_vmdk_chain bv bq o.vmdk vb-base.vmdk
    check "-B -O vmdk $sf: descriptor as qemu-img's (but the CIDs)" \
        same_vmdk_desc bv/o.vmdk bq/o.vmdk
    check "-B -O vmdk $sf: only the top's data copied" \
        test "$(du -sb bv | cut -f1)" -lt $(( $(du -sb bq | cut -f1) + 1048576 ))
done
check "-B -O vmdk: no temporary files left" sh -c '! ls -A bv | grep -q "vxl-"'
rm -rf bv bq
rm -f vb-*.vmdk

# several sources are concatenated
head -c 1M /dev/urandom > p1.raw; head -c 3M /dev/urandom > p2.raw
"$VXL" img convert -f raw -O raw p1.raw p2.raw cat.raw
check "sources concatenate" sh -c 'cat p1.raw p2.raw | cmp -s - cat.raw'

# -n writes into an existing image, zeroing what the source has as zeros
"$QI" create -q -f qcow2 n.qcow2 64M
qw n.qcow2 "write -P 0xee 0 64M"
"$VXL" img convert -n -O qcow2 s.qcow2 n.qcow2
check "-n overwrites an existing image" "$QI" compare -q s.qcow2 n.qcow2
check "--target-is-zero needs -n" sh -c '! "$0" img convert --target-is-zero -O raw s.raw t.raw 2>/dev/null' "$VXL"

# failures leave the destination alone and no temporary files behind
echo "precious" > keep.img
"$VXL" img convert -O qcow2 -o cluster_size=3000 s.raw keep.img 2>/dev/null
check "failed convert keeps the old destination" grep -qx precious keep.img
"$VXL" img convert -O raw nonexistent.raw gone.raw 2>/dev/null
check "missing source: no destination" test ! -e gone.raw
check "no temporary files left" sh -c '! ls -a | grep -q "\.vxl-"'
check "progress ends at 100%" \
    sh -c '"$0" img convert -p -O raw s.raw pp.raw | grep -q "(100.00/100%)"' "$VXL"
check "compression refused for raw" sh -c '! "$0" img convert -c -O raw s.raw cr.raw 2>/dev/null' "$VXL"
same "bad -S" "convert -S 1000 -O raw s.raw bad.raw" "convert -S 1000 -O raw s.raw bad.raw"
same "bad -m" "convert -m 17 -O raw s.raw bad.raw" "convert -m 17 -O raw s.raw bad.raw"

# an image of several files (VMDK extents): every file gets qemu-img's
# name, the descriptor refers to them, and no temporary name is left
truncate -s 4500M big.raw
printf 'far' | dd of=big.raw bs=1 seek=3000000000 conv=notrunc status=none
dd if=s.raw of=big.raw bs=1M count=64 conv=notrunc status=none
for sf in monolithicFlat twoGbMaxExtentFlat twoGbMaxExtentSparse; do
    rm -rf mv mq; mkdir mv mq
    "$VXL" img convert -f raw -O vmdk -o subformat=$sf big.raw mv/out.vmdk 2>"$TMPD/err" ||
        not_ok "$sf: convert failed: $(head -1 "$TMPD/err")"
    "$QI" convert -f raw -O vmdk -o subformat=$sf big.raw mq/out.vmdk
    check "$sf: file names equal qemu-img's" \
        test "$(ls -A mv | tr '\n' ' ')" = "$(ls -A mq | tr '\n' ' ')"
    check "$sf: more than one file" test "$(ls -A mv | wc -l)" -ge 2
    check "$sf: descriptor names no temporary file" \
        sh -c '! grep -a "^RW " mv/out.vmdk | grep -q "vxl-"'
    check "$sf: equal to the source" "$QI" compare -q -f raw -F vmdk big.raw mv/out.vmdk
    check "$sf: qemu-img check" "$QI" check -q mv/out.vmdk
    check "$sf: no temporary files left" sh -c '! ls -A mv | grep -q "vxl-"'
done
# a failure midway (source truncated after its header) leaves nothing
"$QI" convert -f raw -O qcow2 s.raw tr.qcow2
truncate -s 200000 tr.qcow2
rm -rf mv; mkdir mv
check "truncated source: convert fails" \
    sh -c '! "$0" img convert -O vmdk -o subformat=twoGbMaxExtentSparse tr.qcow2 mv/out.vmdk 2>/dev/null' "$VXL"
check "truncated source: no files left" test -z "$(ls -A mv)"
# a failure while moving the files into place (an extent's name is taken
# by a directory) removes the ones already moved
mkdir -p mv/out-f002.vmdk
check "blocked extent name: convert fails" \
    sh -c '! "$0" img convert -f raw -O vmdk -o subformat=twoGbMaxExtentFlat big.raw mv/out.vmdk 2>/dev/null' "$VXL"
check "blocked extent name: nothing else left" test "$(ls -A mv)" = out-f002.vmdk
rm -rf mv
check "missing directory: convert fails" \
    sh -c '! "$0" img convert -f raw -O vmdk -o subformat=monolithicFlat s.raw mv/out.vmdk 2>/dev/null' "$VXL"
if [ "$(id -u)" != 0 ]; then
    mkdir ro; chmod 555 ro
    check "unwritable directory: convert fails, no files" \
        sh -c '! "$0" img convert -f raw -O vmdk -o subformat=monolithicFlat s.raw ro/out.vmdk 2>/dev/null && [ -z "$(ls -A ro)" ]' "$VXL"
    chmod 755 ro
fi
check "extent named like a source is refused" \
    sh -c 'cp s.raw o-flat.vmdk && ! "$0" img convert -f raw -O vmdk -o subformat=monolithicFlat o-flat.vmdk o.vmdk 2>/dev/null && cmp -s s.raw o-flat.vmdk && [ ! -e o.vmdk ]' "$VXL"
rm -f big.raw o-flat.vmdk
check "no temporary files left (multi-file)" sh -c '! ls -a | grep -q "\.vxl-"'

# The fast paths of `vxl img convert` give the same images as the plain
# ones, checked with qemu-img: VMDK streamOptimized grains compressed on
# worker threads (any -m, -W) and read back with read-ahead and
# libdeflate, monolithicSparse grain tables written back per table, and
# the target cache modes (-t).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../img_lib.sh"
have_qemu || { skip "qemu-img/qemu-io not installed"; exit 0; }
cd "$TMPD" || exit 1

# a 72 MiB source over three grain tables (32 MiB each): random grains
# (deflate makes them larger than 64 KiB), compressible ones, zeros,
# a partial last grain and data in every table
truncate -s $((72 * 1048576 + 1536)) s.raw
dd if=/dev/urandom of=s.raw bs=64k count=40 seek=3 conv=notrunc status=none
head -c 2500000 /usr/bin/env /usr/bin/ls /usr/bin/cp /usr/bin/bash 2>/dev/null |
    dd of=s.raw bs=1M seek=30 conv=notrunc status=none
dd if=/dev/urandom of=s.raw bs=4k count=3 seek=$((40 * 256 + 5)) conv=notrunc status=none
dd if=/dev/zero of=s.raw bs=64k count=8 seek=900 conv=notrunc status=none
printf 'tail' | dd of=s.raw bs=1 seek=$((72 * 1048576 + 1000)) conv=notrunc status=none

vconv() {   # NAME OUT vxl-convert-args...: convert, then check and compare with s.raw (or $REF)
    local name=$1 out=$2; shift 2
    rm -f "$out"
    if ! "$VXL" img convert "$@" "$out" 2>"$TMPD/err"; then
        not_ok "$name: convert failed: $(head -1 "$TMPD/err")"; return 1
    fi
    case $out in *.vmdk|*.qcow2)
        "$QI" check -q "$out" >/dev/null 2>&1 || { not_ok "$name: qemu-img check"; return 1; } ;;
    esac
    if "$QI" compare -q -f raw "${REF:-s.raw}" "$out"; then ok "$name"; else not_ok "$name: differs"; fi
}

# streamOptimized written serially, threaded, out of order
vconv "raw->stream -m 1" st1.vmdk -f raw -O vmdk -o subformat=streamOptimized -m 1 s.raw
vconv "raw->stream -m 4" st4.vmdk -f raw -O vmdk -o subformat=streamOptimized -m 4 s.raw
vconv "raw->stream -m 4 -W" stw.vmdk -f raw -O vmdk -o subformat=streamOptimized -m 4 -W s.raw
# grain data is identical whatever the threading (only the CID differs)
check "stream: -m 1 and -m 4 give the same grains" cmp -s -i 65536 st1.vmdk st4.vmdk
# every grain is stored deflated, incompressible ones too: a stream image
# written with one thread by qemu-img has as many grains
"$QI" convert -f raw -O vmdk -o subformat=streamOptimized s.raw q.vmdk
check "stream: as many grains as qemu-img's" test \
    "$("$QI" map --output=json st4.vmdk | grep -c '"data": true')" = \
    "$("$QI" map --output=json q.vmdk | grep -c '"data": true')"
check "stream: no larger than qemu-img's + 3%" \
    test $(( $(stat -c %s st4.vmdk) * 100 )) -le $(( $(stat -c %s q.vmdk) * 103 ))

# reading streams (read-ahead across grains, libdeflate, workers)
for m in 1 4; do
    vconv "qemu stream->raw -m $m" o$m.raw -f vmdk -O raw -m $m q.vmdk
    vconv "vxl stream->qcow2 -m $m" o$m.qcow2 -f vmdk -O qcow2 -m $m st4.vmdk
done
# a stream whose grain size field runs past the end is refused
cp q.vmdk bad.vmdk
over=$(od -A n -t u8 -j 64 -N 8 q.vmdk)        # first grain's sector
printf '\xff\xff\xff\x7f' | dd of=bad.vmdk bs=1 seek=$((over * 512 + 8)) conv=notrunc status=none
check "stream: bad grain size is an error, not a crash" \
    sh -c '"$0" img convert -f vmdk -O raw bad.vmdk bad.raw 2>&1 | grep -q "bad size\|past the end"' "$VXL"

# monolithicSparse: grain tables cached and written back (in order and out)
vconv "raw->vmdk -m 1" ms1.vmdk -f raw -O vmdk -m 1 s.raw
vconv "raw->vmdk -m 4 -W" msw.vmdk -f raw -O vmdk -m 4 -W s.raw
"$QI" convert -f raw -O vmdk s.raw qs.vmdk
check "vmdk: allocation equals qemu-img's" \
    test "$("$QI" map --output=json ms1.vmdk | sed 's/, .offset.: [0-9]*//')" = \
         "$("$QI" map --output=json qs.vmdk | sed 's/, .offset.: [0-9]*//')"
# the redundant grain tables are written too: qemu-img check compares them
check "vmdk -W: redundant tables equal the primary ones" "$QI" check -q msw.vmdk

# target cache modes
for t in unsafe writeback writethrough none directsync; do
    vconv "raw->qcow2 -t $t" t-$t.qcow2 -f raw -O qcow2 -t $t s.raw
done
# O_DIRECT data writes (-t none, or past VXL_DIRECT_AFTER bytes): the
# aligned middle goes direct, unaligned heads and tails (a size that is
# not a multiple of 4 KiB, 512-byte qcow2 clusters) stay buffered
"$QI" convert -f raw -O qcow2 -o cluster_size=512 s.raw s512.qcow2
for m in 1 4; do
    vconv "raw->raw -t none -m $m" d$m.raw -f raw -O raw -t none -m $m s.raw
    vconv "raw->qcow2 -t none -m $m" d$m.qcow2 -f raw -O qcow2 -t none -m $m s.raw
    vconv "512 B clusters->raw -t none -m $m" e$m.raw -f qcow2 -O raw -t none -m $m s512.qcow2
    VXL_DIRECT_AFTER=100000 vconv "raw->raw, direct after 100 kB, -m $m" f$m.raw -f raw -O raw -m $m s.raw
    VXL_DIRECT_AFTER=100000 vconv "512 B->qcow2 -S 0, direct after 100 kB, -m $m" \
        f$m.qcow2 -f qcow2 -O qcow2 -S 0 -m $m s512.qcow2
done
# A fully allocated source is one data extent: items still grow to the
# direct size inside it once writes go direct, and a qcow2 destination
# takes its data writes from several workers (clusters reserved in the
# write turn, bytes written outside it), -W too
head -c $((40 * 1048576 + 12345)) /dev/urandom > full.raw
for m in 1 2 4; do
    for w in "" -W; do
        REF=full.raw VXL_DIRECT_AFTER=1048576 vconv "one extent ->qcow2, direct after 1 MiB, -m $m $w" \
            g$m$w.qcow2 -f raw -O qcow2 -m $m $w full.raw
    done
    REF=full.raw VXL_DIRECT_AFTER=1048576 vconv "one extent ->raw, direct after 1 MiB, -m $m" \
        g$m.raw -f raw -O raw -m $m full.raw
    REF=full.raw vconv "one extent ->qcow2, 4 KiB clusters, -m $m" \
        h$m.qcow2 -f raw -O qcow2 -o cluster_size=4096 -m $m full.raw
done
if command -v strace >/dev/null; then
    VXL_DIRECT_AFTER=1048576 strace -f -qq -e trace=pwrite64 -o pw.log \
        "$VXL" img convert -f raw -O qcow2 -m 2 full.raw pw.qcow2
    check "direct items grow to 8 MiB inside one data extent" \
        test "$(grep -c ', 8388608, ' pw.log)" -ge 3
else
    skip "strace not installed: direct item size not checked"
fi
# A full file system: the error reaches the user (exit 1, "No space left")
# and nothing is left behind, whether the data went through the write
# turn, through reserved clusters written by workers, or direct.  A small
# ext4 on a loop device (root only; skipped where it cannot be mounted).
mkdir -p small
truncate -s 32M small.img
if [ "$(id -u)" = 0 ] && mkfs.ext4 -q -F small.img 2>/dev/null &&
   mount -o loop small.img small 2>/dev/null; then
    for f in qcow2 raw vmdk; do
        VXL_DIRECT_AFTER=1048576 "$VXL" img convert -m 2 -f raw -O $f full.raw small/out.$f 2>err.txt
        rc=$?
        check "ENOSPC, -O $f: exit 1 and the reason" \
            sh -c '[ "$0" = 1 ] && grep -q "No space left on device" err.txt' "$rc"
        check "ENOSPC, -O $f: nothing left in the directory" \
            test -z "$(ls -A small | grep -v '^lost+found$')"
    done
    umount small
else
    skip "cannot mount a loop file system: ENOSPC not checked"
fi
check "-t none: raw output keeps the source's size" test "$(stat -c %s d4.raw)" = "$(stat -c %s s.raw)"
check "-t none: raw output stays sparse" test "$(alloc d4.raw)" -lt $((8 * 1048576))
same "bad -t" "convert -t bogus -O raw s.raw bad.raw" "convert -t bogus -O raw s.raw bad.raw"
check "no temporary files left" sh -c '! ls -a | grep -q "\.vxl-"'

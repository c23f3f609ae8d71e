#!/bin/bash
# scripts/bench-convert.sh — time `vxl img convert` beside `qemu-img
# convert` on the same inputs, verify vxl's outputs, print the ratios.
# A benchmark, not a test: run it by hand on an idle machine.
#
#   VXL=./vxl scripts/bench-convert.sh            # build workload if needed, run
#   (qemu-img and vxl runs alternate; the medians of RUNS runs are compared)
#   RUNS=5 CASES='qcow2c' scripts/bench-convert.sh
#
# Workload ($W, default /tmp/vxl-bench-convert, ~4 GiB of scratch): an
# ext4 image (fs.raw, FS_SIZE virtual) holding a tar of /usr/share
# (compressible), RANDOM_MIB of /dev/urandom and ZERO_MIB of explicit
# zeros in free space, like ../shared/bench/make-workloads.sh's fs.raw
# but without debootstrap; fs.qcow2 and fs.c.qcow2 are made from it by
# qemu-img.  For the shared workloads use ../shared/bench/bench-qemu-img.sh.
set -euo pipefail

VXL=${VXL:-./vxl}
QI=${QEMU_IMG:-qemu-img}
W=${W:-/tmp/vxl-bench-convert}
RUNS=${RUNS:-3}
CASES=${CASES:-.}
FS_SIZE=${FS_SIZE:-4G}
RANDOM_MIB=${RANDOM_MIB:-400}
ZERO_MIB=${ZERO_MIB:-128}
VXL=$(readlink -f "$VXL")
mkdir -p "$W/out"
log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

if [ ! -e "$W/fs.c.qcow2" ]; then
    log "building the workload in $W"
    rm -rf "$W/root"; mkdir -p "$W/root/srv"
    tar -C /usr -cf "$W/root/srv/share.tar" share 2>/dev/null || true
    dd if=/dev/urandom of="$W/root/srv/random.bin" bs=1M count="$RANDOM_MIB" status=none
    rm -f "$W/fs.raw"; truncate -s "$FS_SIZE" "$W/fs.raw"
    mkfs.ext4 -q -F -d "$W/root" "$W/fs.raw"
    rm -rf "$W/root"
    cp --sparse=always "$W/fs.raw" "$W/fs.tmp" && mv "$W/fs.tmp" "$W/fs.raw"
    zoff=$(( $(stat -c %s "$W/fs.raw") / 1048576 - ZERO_MIB - 64 ))
    dd if=/dev/zero of="$W/fs.raw" bs=1M seek="$zoff" count="$ZERO_MIB" conv=notrunc status=none
    "$QI" convert -f raw -O qcow2 "$W/fs.raw" "$W/fs.qcow2"
    "$QI" convert -f raw -O qcow2 -c "$W/fs.raw" "$W/fs.c.qcow2"
fi

# one timed run: prints "seconds maxrss_kib cpu_seconds"
run1() {        # OUT CMD...
    local out=$1; shift
    rm -f "$out"; sync
    /usr/bin/time -f '%e %M %U %S' -o "$W/time" "$@" >/dev/null 2>"$W/err" || {
        echo "FAIL" >&2; cat "$W/err" >&2; return 1; }
    awk '{ printf "%s %s %.2f\n", $1, $2, $3 + $4 }' "$W/time"
}
median() { sort -n | sed -n "$(( (RUNS + 1) / 2 ))p"; }

printf '| case | qemu-img s | vxl s | vxl/qemu wall | qemu CPU s | vxl CPU s | vxl/qemu CPU | qemu RSS MiB | vxl RSS MiB | qemu out MiB | vxl out MiB | verify |\n'
printf '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|\n'
while read -r id sf src of opts; do
    [[ $id =~ $CASES ]] || continue
    [ "$opts" = - ] && opts=
    qo=$W/out/$id.qemu.$of; vo=$W/out/$id.vxl.$of
    # qemu-img and vxl alternate, so a busy machine slows both alike;
    # run 0 of each is a warmup
    : > "$W/q.t"; : > "$W/v.t"
    for ((i = 0; i <= RUNS; i++)); do
        log "$id: run $i"
        # shellcheck disable=SC2086
        qm=$(run1 "$qo" "$QI" convert -f "$sf" $opts -O "$of" "$W/$src" "$qo")
        # shellcheck disable=SC2086
        vm=$(run1 "$vo" "$VXL" img convert -f "$sf" $opts -O "$of" "$W/$src" "$vo")
        [ "$i" -gt 0 ] && { echo "$qm" >> "$W/q.t"; echo "$vm" >> "$W/v.t"; }
    done
    qt=$(cut -d' ' -f1 "$W/q.t" | median); qr=$(cut -d' ' -f2 "$W/q.t" | sort -n | tail -1)
    vt=$(cut -d' ' -f1 "$W/v.t" | median); vr=$(cut -d' ' -f2 "$W/v.t" | sort -n | tail -1)
    qc=$(cut -d' ' -f3 "$W/q.t" | median); vc=$(cut -d' ' -f3 "$W/v.t" | median)
    ver=OK
    "$QI" compare -q -f "$sf" -F "$of" "$W/$src" "$vo" || ver=DIFF
    if [ "$of" = qcow2 ]; then "$QI" check -q "$vo" >/dev/null 2>&1 || ver="$ver,CHECKFAIL"; fi
    qs=$(( $(stat -c %b "$qo") * 512 / 1048576 )); vs=$(( $(stat -c %b "$vo") * 512 / 1048576 ))
    printf '| %s | %.3f | %.3f | **%.2f** | %.2f | %.2f | %.2f | %d | %d | %d | %d | %s |\n' \
        "$id" "$qt" "$vt" "$(echo "$vt / $qt" | bc -l)" "$qc" "$vc" \
        "$(echo "$vc / ($qc + 0.001)" | bc -l)" $((qr / 1024)) $((vr / 1024)) "$qs" "$vs" "$ver"
    rm -f "$qo" "$vo"
done <<'EOF2'
raw-qcow2      raw   fs.raw      qcow2 -
raw-qcow2c     raw   fs.raw      qcow2 -c
qcow2-raw      qcow2 fs.qcow2    raw   -
qcow2c-raw     qcow2 fs.c.qcow2  raw   -
qcow2-qcow2c   qcow2 fs.qcow2    qcow2 -c
qcow2c-qcow2c  qcow2 fs.c.qcow2  qcow2 -c
raw-raw        raw   fs.raw      raw   -
EOF2

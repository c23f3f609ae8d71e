#!/bin/bash
# bench/run.sh — time `vxl img` beside `qemu-img` on the shared benchmark
# workloads and print the vxl/qemu-img ratio table (wall time, peak RSS).
# A benchmark, not a test: it is not part of `make check`.
#
#   bench/run.sh                    # install tools, build workloads, all cases
#   CASES='^fs\.raw-qcow2c$' bench/run.sh     # a subset (regex on case ids)
#   bench/run.sh --list             # the cases this script runs
#   bench/run.sh --table RESDIR     # the compact table of an earlier run
#
# Environment:
#   W=/tmp/vxlbench       workloads (made by ../shared/bench/make-workloads.sh
#                         when $W/img is missing; ~16 GiB, root, network)
#   SHARED=../shared/bench  the shared harness (bench-qemu-img.sh etc.)
#   VXL=$PWD/vxl          the binary under test (built with make if missing)
#   CASES=DEFAULT         regex of case ids; DEFAULT = the convert cases of
#                         issues 3 and 4 plus info/check/map
#   RUNS=3 WARMUP=1       passed to the harness
#   NO_INSTALL=1          do not apt-get missing tools
# Output: the harness's markdown table (vxl/qemu column = wall-time ratio),
# then a compact table: case, qemu s, vxl s, ratio, target, RSS MiB.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
W=${W:-/tmp/vxlbench}
SHARED=${SHARED:-$(cd "$top/../shared/bench" 2>/dev/null && pwd || echo /work/shared/bench)}
VXL=${VXL:-$top/vxl}
export W

# Case ids of ../shared/bench/bench-qemu-img.sh that issues 3 and 4 name,
# with their target ratio (vxl/qemu-img wall time).
TARGETS='
fs.raw-qcow2 1.0
fs.raw-qcow2c 0.1
fs.raw-qcow2c.W 1.0
fs.qcow2c-raw 0.33
fs.qcow2c-raw.m16W 0.33
fs.qcow2zstd-raw 1.0
fs.qcow2-raw 1.0
fs.chain-raw 1.0
fs.chain-qcow2 1.0
fs.vmdks-qcow2 0.33
fs.vmdks-raw 0.33
fs.raw-vmdks 0.1
fs.raw-vmdk 0.5
fs.raw-vdi 1.0
fs.raw-vpc 1.0
fs.vmdk-raw 1.0
fs.vdi-raw 1.0
fs.vpc-raw 1.0
fs.raw-raw 1.0
sparse.raw-qcow2 1.0
sparse.raw-qcow2c 1.0
sparse.raw-vmdks 1.0
sparse.raw-vdi 1.0
sparse.raw-vpc 1.0
sparse.raw-raw 1.0
sparse.qcow2-raw 1.0
sparse.vmdks-raw 1.0
sparse.vdi-raw 1.0
sparse.vpc-raw 1.0
rnd.raw-raw 0.67
rnd.raw-qcow2 0.67
rnd.raw-vdi 1.0
rnd4.qcow2-raw 1.0
rnd1.raw-qcow2c 0.1
rnd1.raw-vmdks 0.1
info.qcow2 0.33
info.chain 0.33
info.vmdks 0.33
info.vdi 0.33
info.vpc 0.33
check.qcow2 0.33
check.qcow2c 0.33
check.chain 0.33
check.vmdk 0.33
check.vmdks 0.33
check.vdi 0.33
map.qcow2c 0.33
map.chain 0.33
'
DEFAULT_CASES='^('$(echo $TARGETS | awk '{for (i = 1; i <= NF; i += 2) printf "%s%s", (i > 1 ? "|" : ""), $i}' | sed 's/\./\\./g')')$'
CASES=${CASES:-$DEFAULT_CASES}

table() {
    echo
    echo "| case | qemu-img s | vxl s | vxl/qemu | target | met | qemu RSS MiB | vxl RSS MiB | out MiB qemu/vxl | verify |"
    echo "|---|--:|--:|--:|--:|---|--:|--:|--:|---|"
    awk -F'\t' -v targets="$TARGETS" '
    BEGIN { n = split(targets, t, /[ \n]+/); k = 0; for (i = 1; i <= n; i++) if (t[i] != "") w[++k] = t[i]; for (i = 1; i < k; i += 2) tgt[w[i]] = w[i + 1] }
    NR == 1 { next }
    $3 == "qemu" { q[$1] = $6; qr[$1] = $10; qo[$1] = $11; if (!($1 in seen)) { seen[$1] = 1; order[++m] = $1 } }
    $3 == "vxl"  { v[$1] = $6; vr[$1] = $10; vo[$1] = $11; ver[$1] = $13 }
    function mib(x) { return (x == "NA" || x == "") ? "-" : sprintf("%.0f", x / 1048576) }
    function rss(x) { return (x == "NA" || x == "") ? "NA" : sprintf("%.1f", x / 1024) }
    END {
        for (i = 1; i <= m; i++) {
            id = order[i]
            if (!(id in v)) continue
            r = (q[id] != "NA" && v[id] != "NA" && q[id] > 0) ? v[id] / q[id] : -1
            tg = (id in tgt) ? tgt[id] : "1.0"
            met = (r < 0 || (ver[id] != "OK" && ver[id] != "-")) ? "FAIL" : \
                  (r <= tg && vr[id] < 65536) ? "yes" : "no"
            printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s/%s | %s |\n", id,
                q[id] == "NA" ? "NA" : sprintf("%.3f", q[id]), v[id] == "NA" ? "NA" : sprintf("%.3f", v[id]),
                r < 0 ? "NA" : sprintf("%.2f", r), tg, met, rss(qr[id]), rss(vr[id]),
                mib(qo[id]), mib(vo[id]), ver[id]
        }
    }' "$RES/results.tsv" | tee "$RES/vxl-table.md"

}

if [ "${1:-}" = --list ]; then
    echo "$TARGETS" | awk 'NF {printf "%-22s target <= %s\n", $1, $2}'
    exit 0
fi
if [ "${1:-}" = --table ]; then      # --table RESDIR: redo the table
    RES=$2; table; exit 0
fi

log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

# ---- tools
need=()
for t in hyperfine:hyperfine jq:jq /usr/bin/time:time qemu-img:qemu-utils \
         qemu-io:qemu-utils debootstrap:debootstrap mkfs.ext4:e2fsprogs; do
    command -v "${t%%:*}" >/dev/null || need+=("${t#*:}")
done
if [ ${#need[@]} -gt 0 ]; then
    [ "${NO_INSTALL:-0}" = 1 ] && { echo "missing: ${need[*]}" >&2; exit 1; }
    log "installing ${need[*]}"
    apt-get install -y "${need[@]}" >/dev/null || { apt-get update >/dev/null && apt-get install -y "${need[@]}" >/dev/null; }
fi

# ---- vxl
if [ ! -x "$VXL" ]; then
    log "building vxl"
    make -C "$top" -j2 >/dev/null
fi
VXL=$(readlink -f "$VXL")

# ---- workloads
if [ ! -e "$W/img/fs.stream.vmdk" ] || [ ! -e "$W/img/random1.raw" ] || [ ! -e "$W/img/sparse20.vhd" ]; then
    log "building workloads in $W (debootstrap + qemu-img; several minutes)"
    "$SHARED/make-workloads.sh"
fi

# ---- run
RES=${RES:-$W/results/vxl-$(date +%Y%m%d-%H%M%S)}
export RES VXL CASES
export VXL_SUBCMDS=${VXL_SUBCMDS:-"convert info check map"}
log "bench: $VXL, cases $CASES -> $RES"
"$SHARED/bench-qemu-img.sh" >/dev/null

table
log "full table: $RES/table.md"

# ---- metadata commands without a shell
# The harness times every command through sh and /usr/bin/time (for the
# RSS), which costs about 1 ms that hyperfine cannot subtract and warns
# about below 5 ms: a "hello world" measures ~1.8 ms there, as much as
# `vxl img info`.  The same info/check/map cases are timed here once more
# with `hyperfine -N` (no shell, no wrapper), both tools in this run,
# RUNS_N times each (0 skips it).
RUNS_N=${RUNS_N:-100}
meta_args() {   # id -> "sub -f fmt [opts] file", from the harness's case table
    awk -F'|' -v id="$1" -v img="$W/img" '
        { for (i = 1; i <= NF; i++) gsub(/^[ \t]+|[ \t]+$/, "", $i) }
        $1 == id && $2 ~ /^(info|check|map)$/ {
            opts = ($6 == "-" || $2 != "info") ? "" : $6 " "
            if ($2 == "map") opts = "--output=json "
            printf "%s -f %s %s%s/%s\n", $2, $4, opts, img, $3; exit
        }' "$SHARED/bench-qemu-img.sh"
}
if [ "$RUNS_N" -gt 0 ]; then
    hello=$(mktemp -d)
    printf '#include <stdio.h>\nint main(void) { puts("hello"); return 0; }\n' > "$hello/h.c"
    cc -O2 -o "$hello/h" "$hello/h.c" 2>/dev/null || : > "$hello/h"
    echo
    echo "metadata commands, hyperfine -N (no shell), $RUNS_N runs each:"
    echo
    echo "| case | qemu-img ms | vxl ms | vxl/qemu | target | met |"
    echo "|---|--:|--:|--:|--:|---|"
    for id in $(echo "$TARGETS" | awk '$1 ~ /^(info|check|map)\./ {print $1}'); do
        [[ $id =~ $CASES ]] || continue
        a=$(meta_args "$id")
        [ -n "$a" ] || continue
        hyperfine -N -i --runs "$RUNS_N" --warmup 5 --export-json "$RES/$id.N.json" \
            "qemu-img $a" "$VXL img $a" >/dev/null 2>&1 || continue
        read -r q v < <(jq -r '"\(.results[0].mean * 1000) \(.results[1].mean * 1000)"' "$RES/$id.N.json")
        tg=$(echo "$TARGETS" | awk -v id="$id" '$1 == id {print $2}')
        awk -v id="$id" -v q="$q" -v v="$v" -v tg="$tg" 'BEGIN {
            r = v / q; printf "| %s | %.2f | %.2f | %.2f | %s | %s |\n", id, q, v, r, tg, r <= tg ? "yes" : "no" }'
    done | tee "$RES/vxl-table-N.md"
    if [ -x "$hello/h" ] && [ -s "$hello/h" ]; then
        hyperfine -N --runs "$RUNS_N" --warmup 5 --export-json "$RES/hello.N.json" "$hello/h" >/dev/null 2>&1 &&
            echo "(a dynamically linked hello world: $(jq -r '.results[0].mean * 1000 | . * 100 | round / 100' "$RES/hello.N.json") ms)"
    fi
    rm -rf "$hello"
fi

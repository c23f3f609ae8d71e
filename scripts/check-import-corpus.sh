#!/bin/bash
# scripts/check-import-corpus.sh — measure `vxl import' over the shared
# appliance corpus (maintainer tool, not run in CI: needs
# /work/shared/corpus/vmware and the xl-oracle).
#
#   scripts/check-import-corpus.sh [VXL] [CORPUS]
#
# For every .ovf and .vmx of CORPUS (default /work/shared/corpus/vmware)
# it runs `vxl import --dry-run -o /var/lib/xen/images --bridge xenbr0`,
# counts crashes (exit status above 2, sanitizer reports), collects every
# config printed, and runs Xen 4.17's `xl -N create' and `vxl create -n'
# on each: xl must accept it and both must print the same JSON (c_info's
# uuid aside).  Last line: "N sources, M configs, xl accepts A, same JSON
# S, crashes C".
set -u
VXL=${1:-build/vxl}
CORPUS=${2:-/work/shared/corpus/vmware}
XL=${XL_ORACLE:-/work/shared/xl-oracle/xl-oracle}
TOP=$(cd "$(dirname "$0")/.." && pwd)
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
mkdir "$W/cfgs"
n=0 crash=0
for f in "$CORPUS"/ovf/*.ovf "$CORPUS"/ovf/*/*.ovf "$CORPUS"/vmx/*.vmx; do
    [ -f "$f" ] || continue
    n=$((n + 1))
    timeout 30 "$VXL" import --dry-run -o /var/lib/xen/images --bridge xenbr0 \
        "$f" > "$W/o" 2> "$W/e"
    rc=$?
    if [ $rc -gt 2 ] || grep -q 'Sanitizer\|runtime error' "$W/e"; then
        crash=$((crash + 1))
        echo "CRASH ($rc) $f"
    fi
    awk -v out="$W/cfgs/$(basename "$f")" \
        '/^--- .*\.cfg ---$/ { on = 1; i++; next } /^--- end ---$/ { on = 0 }
         on { print > (out "." i ".cfg") }' "$W/o"
done
m=0 acc=0 same=0
for c in "$W"/cfgs/*.cfg; do
    [ -f "$c" ] || continue
    m=$((m + 1))
    if "$XL" -N create "$c" 2>/dev/null | jq -S 'del(.c_info.uuid)' > "$W/a.json" &&
       [ -s "$W/a.json" ]; then
        acc=$((acc + 1))
    else
        echo "XL REJECTS $(basename "$c")"
        continue
    fi
    VXL_HOST=cpus=16,nodes=2,memory=32768 VXL_XL_CONF=$TOP/tests/data/xlcfg/xl.conf \
        "$VXL" create -n "$c" 2>/dev/null | jq -S 'del(.c_info.uuid)' > "$W/b.json"
    if cmp -s "$W/a.json" "$W/b.json"; then
        same=$((same + 1))
    else
        echo "JSON DIFFERS $(basename "$c")"
    fi
done
echo "$n sources, $m configs, xl accepts $acc, same JSON $same, crashes $crash"

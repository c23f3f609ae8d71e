#!/bin/bash
# scripts/gen-xlcfg-expected.sh — regenerate the expected answers of the
# xl.cfg test data (tests/data/xlcfg/) from Xen 4.17's own `xl`.
#
# A maintainer tool, NOT run in CI: it needs the xl-oracle
# (/work/shared/xl-oracle/xl-oracle, i.e. Debian's xen-utils-4.17 run in
# dry-run mode behind a shim that imitates a host with 16 CPUs in 2 NUMA
# nodes and 32 GiB) and root (it bind-mounts the case's xl.conf over
# /etc/xen/xl.conf in a private mount namespace, `unshare -m`).
#
#   scripts/gen-xlcfg-expected.sh [PATH...]
#
# PATH is a NAME.cfg or a folder (searched recursively); default: the
# folders options/ syntax/ reject/ xlconf/ of tests/data/xlcfg (the
# corpus/ answers are imported, but regenerating them gives the same bytes).
#
# For every NAME.cfg, from the config's own folder (configs name relative
# paths), it runs
#     xl -N create NAME.cfg $(cat NAME.args)
# and writes
#     NAME.expected.json  xl's stdout; c_info's uuid replaced by
#                         00000000-0000-0000-0000-000000000000 when the
#                         config sets none, and the bytes of a generated
#                         ms_vm_genid by 0 (ms_vm_genid="generate"): both
#                         are random, detected by running xl twice)
#     NAME.rc             exit status
#     NAME.stderr         xl's messages
# NAME.args (optional): extra key=value arguments, one per line.
# NAME.xlconf (optional): the xl.conf for this case (default:
#     tests/data/xlcfg/xl.conf, Xen's shipped all-comment xl.conf).  It is
#     bind-mounted over /etc/xen/xl.conf in a private mount namespace.
#
# Where xl 4.17 is itself wrong (listed in tests/data/xlcfg/XL417-WRONG.tsv)
# the expected answer is Xen's INTENDED one and xl's goes to NAME.xl417.json
# (+ NAME.xl417.rc when the exit status differs).  The intended answer is
# what xl prints for NAME.intended-cfg (the same domain written so that
# xl 4.17 gets it right), then edited by NAME.intended.sed when that
# exists; without NAME.intended-cfg, NAME.rc and NAME.expected.json are
# written by hand and kept.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
data=$top/tests/data/xlcfg
ORACLE=${XL_ORACLE:-/work/shared/xl-oracle/xl-oracle}
ZERO=00000000-0000-0000-0000-000000000000
[ -x "$ORACLE" ] || { echo "$0: no xl-oracle at $ORACLE" >&2; exit 2; }

# mask FILE UUID GENID: replace c_info's uuid by zeros (UUID=1) and the
# bytes of b_info's ms_vm_genid by 0 (GENID=1)
mask() {
    awk -v z="$ZERO" -v mu="$2" -v mg="$3" '
        /^    "c_info": \{/ { inc = 1 }
        inc && /^    \}/ { inc = 0 }
        mu && inc && !done && /^        "uuid": "/ {
            sub(/"uuid": "[^"]*"/, "\"uuid\": \"" z "\""); done = 1 }
        ing && /^ *\]/ { ing = 0 }
        ing { sub(/[0-9]+/, "0") }
        mg && /^            "ms_vm_genid": \[$/ { ing = 1 }
        { print }' "$1" > "$1.tmp" && mv "$1.tmp" "$1"
}
cinfo_uuid() { awk '/^        "uuid": "/ { print; exit }' "$1"; }
genid() { awk '/"ms_vm_genid": \[$/ { g = 1 } g { print } g && /\]/ { exit }' "$1"; }

# run_xl CFG XLCONF OUT ERR: xl -N create CFG ARGS..., in the current dir
run_xl() {
    local cfg=$1 conf=$2 out=$3 err=$4
    unshare -m /bin/sh -c 'mount --bind "$0" /etc/xen/xl.conf && exec "$@"' \
        "$conf" "$ORACLE" create "$cfg" "${args[@]}" > "$out" 2> "$err"
}

# answer CFG XLCONF OUTBASE: write OUTBASE.json/.rc/.stderr for CFG
answer() {
    local cfg=$1 conf=$2 ob=$3 rc t
    t=$(mktemp)
    run_xl "$cfg" "$conf" "$ob.json" "$ob.stderr"; rc=$?
    echo "$rc" > "$ob.rc"
    if [ "$rc" = 0 ]; then
        run_xl "$cfg" "$conf" "$t" /dev/null
        local mu=0 mg=0
        [ "$(cinfo_uuid "$t")" != "$(cinfo_uuid "$ob.json")" ] && mu=1
        [ "$(genid "$t")" != "$(genid "$ob.json")" ] && mg=1
        mask "$ob.json" $mu $mg
    fi
    rm -f "$t"
}

wrong_list=$data/XL417-WRONG.tsv
is_xl417_wrong() {      # relative case path (folder/NAME)
    [ -f "$wrong_list" ] && cut -f1 "$wrong_list" | grep -qxF "$1"
}

gen_one() {
    local cfg=$1 dir base name rel conf
    dir=$(cd "$(dirname "$cfg")" && pwd); base=$(basename "$cfg"); name=${base%.cfg}
    rel=${dir#"$data"/}/$name
    args=()
    if [ -f "$dir/$name.args" ]; then
        mapfile -t args < "$dir/$name.args"
    fi
    conf=$data/xl.conf
    [ -f "$dir/$name.xlconf" ] && conf=$dir/$name.xlconf
    (
        cd "$dir" || exit 1
        if is_xl417_wrong "$rel"; then
            answer "$base" "$conf" "$name.xl417"
            mv "$name.xl417.stderr" "$name.stderr"
            if [ -f "$name.intended-cfg" ]; then
                answer "$name.intended-cfg" "$conf" "$name.int"
                [ -f "$name.intended.sed" ] && sed -i -f "$name.intended.sed" "$name.int.json"
                mv "$name.int.json" "$name.expected.json"; mv "$name.int.rc" "$name.rc"
                rm -f "$name.int.stderr"
            elif [ ! -f "$name.rc" ] || [ ! -f "$name.expected.json" ]; then
                echo "$rel: listed in XL417-WRONG.tsv: needs $name.intended-cfg" \
                     "or a hand-written $name.rc and $name.expected.json" >&2
                exit 1
            fi
            [ "$(cat "$name.xl417.rc")" = 0 ] || rm -f "$name.xl417.json"
            [ "$(cat "$name.xl417.rc")" = "$(cat "$name.rc")" ] && rm -f "$name.xl417.rc"
        else
            answer "$base" "$conf" "$name.out"
            mv "$name.out.json" "$name.expected.json"
            mv "$name.out.rc" "$name.rc"; mv "$name.out.stderr" "$name.stderr"
            rm -f "$name.xl417.json" "$name.xl417.rc"
        fi
        # the runner takes a rejected case with NAME.args as rejected
        # because of its override: check that the file alone is accepted
        if [ "$(cat "$name.rc")" != 0 ] && [ ${#args[@]} -gt 0 ]; then
            local saved=("${args[@]}"); args=()
            run_xl "$base" "$conf" /dev/null /dev/null ||
                echo "$rel: WARNING: rejected even without $name.args" >&2
            args=("${saved[@]}")
        fi
        # a rejected config's expected.json is empty (as in corpus/)
        [ "$(cat "$name.rc")" = 0 ] || : > "$name.expected.json"
    ) || return 1
    echo "$rel: rc=$(cat "$dir/$name.rc")"
}

[ $# -gt 0 ] || set -- "$data/options" "$data/syntax" "$data/reject" "$data/xlconf"
status=0
for p in "$@"; do
    if [ -d "$p" ]; then
        while IFS= read -r -d '' f; do gen_one "$f" || status=1; done \
            < <(find "$p" -name '*.cfg' -print0 | sort -z)
    elif [ -f "$p" ]; then
        gen_one "$p" || status=1
    fi
done
exit $status

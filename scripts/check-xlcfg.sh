#!/bin/bash
# scripts/check-xlcfg.sh — measure `vxl create -n` against Xen 4.17's xl on
# the xl.cfg test data (tests/data/xlcfg/, see its README.md).
#
#   scripts/check-xlcfg.sh [--tap] [VXL] [PATH...]
#
# VXL defaults to build/vxl; PATH (NAME.cfg files or folders, searched
# recursively) defaults to tests/data/xlcfg.  For every NAME.cfg it runs,
# from the config's own folder,
#     VXL_HOST=cpus=16,nodes=2,memory=32768 VXL_XL_CONF=XLCONF \
#         vxl create -n NAME.cfg $(cat NAME.args)
# (XLCONF: NAME.xlconf when present, else tests/data/xlcfg/xl.conf, an
# all-comment xl.conf) and checks:
#   - the exit status equals NAME.rc;
#   - when NAME.rc is 0: stdout equals NAME.expected.json byte for byte,
#     after c_info's uuid is replaced by zeros when the expected one is
#     zeros (the config sets none: xl made one up; vxl's must then still
#     be a well-formed uuid), and likewise the 16 bytes of a generated
#     b_info.type.hvm.ms_vm_genid when the expected ones are all 0;
#   - when NAME.rc is not 0 and there is no NAME.args: stderr names the
#     place, `NAME.cfg:LINE:COL:` (or `NAME.xlconf:LINE:COL:` for a case
#     with its own xl.conf).  A case with NAME.args that xl rejects is
#     rejected because of its command-line override: no place is checked.
#
# Output: one line per case (`PASS`/`FAIL name: why`; with --tap, TAP
# lines `ok N - name` / `not ok N - name: why` for tests/lib.sh-style
# runners), then a summary of failures by kind and by folder, and last
# `N passed, M failed`.  Exit status 1 when any case failed.
#
# In `make check` (once vxl passes every case) this becomes
# tests/integration/xlcfg.sh:
#     # xl.cfg conformance: vxl create -n against Xen 4.17's answers
#     . "$(dirname "$0")/../lib.sh"
#     bash "$VXL_TOP/scripts/check-xlcfg.sh" --tap "$VXL"
#
# Environment: VERBOSE=1 shows a diff (or stderr) for each failure;
# CASE_TIMEOUT (seconds, default 5) bounds each case; QUIET=1 prints only
# failures and the summary.
set -u
shopt -s extglob
top=$(cd "$(dirname "$0")/.." && pwd)
data=$top/tests/data/xlcfg
tap=0
if [ "${1:-}" = --tap ]; then tap=1; shift; fi
vxl=${1:-$top/build/vxl}
[ $# -gt 0 ] && shift
case $vxl in /*) ;; *) vxl=$PWD/$vxl ;; esac
if [ ! -x "$vxl" ]; then
    echo "check-xlcfg: no executable vxl at $vxl" >&2
    [ $tap = 1 ] && echo "not ok 1 - no vxl binary at $vxl"
    exit 2
fi
[ $# -gt 0 ] || set -- "$data"
T=${CASE_TIMEOUT:-5}
ZERO=00000000-0000-0000-0000-000000000000
h='[0-9a-f]'; h4=$h$h$h$h     # (mawk has no {n} intervals)
UUID_RE="^        \"uuid\": \"$h4$h4-$h4-$h4-$h4-$h4$h4$h4\",?\$"
export VXL_HOST="cpus=16,nodes=2,memory=32768"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-xlcfg.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# mask FILE UUID GENID: c_info's uuid (first "uuid" inside the top-level
# "c_info" object) -> zeros when UUID=1; it must be well-formed.  Each byte
# of b_info's ms_vm_genid -> 0 when GENID=1.
mask() {
    awk -v z="$ZERO" -v mu="$2" -v mg="$3" '
        /^    "c_info": \{/ { inc = 1 }
        inc && /^    \}/ { inc = 0 }
        mu && inc && !done && /^        "uuid": "/ {
            if (!($0 ~ re)) bad = 1
            sub(/"uuid": "[^"]*"/, "\"uuid\": \"" z "\""); done = 1 }
        ing && /^ *\]/ { ing = 0 }
        ing { sub(/[0-9]+/, "0") }
        mg && /^            "ms_vm_genid": \[$/ { ing = 1 }
        { print }
        END { exit bad }' re="$UUID_RE" "$1"
}

n=0 passed=0 failed=0
declare -A kinds folders
report() {      # status name why
    n=$((n + 1))
    if [ "$1" = pass ]; then
        passed=$((passed + 1))
        if [ $tap = 1 ]; then echo "ok $n - $2"
        elif [ -z "${QUIET:-}" ]; then echo "PASS $2"; fi
    else
        failed=$((failed + 1))
        local kind=${3%%:*} folder=${2%/*}
        [ "$folder" = "$2" ] && folder=.
        kinds[$kind]=$(( ${kinds[$kind]:-0} + 1 ))
        folders[$folder]=$(( ${folders[$folder]:-0} + 1 ))
        if [ $tap = 1 ]; then echo "not ok $n - $2: $3"
        else echo "FAIL $2: $3"; fi
    fi
}
verbose() {     # lines shown for a failure with VERBOSE=1
    [ -n "${VERBOSE:-}" ] || return 0
    if [ $tap = 1 ]; then sed 's/^/#   /'; else sed 's/^/    /'; fi
}

run_case() {
    local cfg=$1 dir base name rel conf rc want args=()
    case $cfg in /*) ;; */*) cfg=$PWD/$cfg ;; *) cfg=$PWD/./$cfg ;; esac
    dir=${cfg%/*}; base=${cfg##*/}; name=${base%.cfg}
    rel=${dir#"$data"}; rel=${rel#/}; rel=${rel:+$rel/}$name
    if [ ! -f "$dir/$name.rc" ]; then report fail "$rel" "data: no $name.rc"; return; fi
    want=$(< "$dir/$name.rc")
    [ -f "$dir/$name.args" ] && mapfile -t args < "$dir/$name.args"
    conf=$data/xl.conf
    [ -f "$dir/$name.xlconf" ] && conf=$dir/$name.xlconf
    # (the outer 2>/dev/null silences bash's "Aborted"-style job notices)
    { (cd "$dir" && VXL_XL_CONF=$conf exec timeout -k 1 "$T" "$vxl" create -n "$base" "${args[@]}") \
        > "$tmp/out" 2> "$tmp/err" < /dev/null; } 2> /dev/null
    rc=$?
    if [ $rc = 124 ] || [ $rc = 137 ]; then
        report fail "$rel" "timeout: no answer within ${T}s"; return
    fi
    if [ $rc -ge 128 ]; then
        report fail "$rel" "crash: killed by signal $((rc - 128))"
        tail -n 5 "$tmp/err" | verbose; return
    fi
    if [ "$rc" != "$want" ]; then
        if [ "$want" = 0 ]; then
            report fail "$rel" "rejected: exit $rc, xl accepts (exit 0)"
            head -n 5 "$tmp/err" | verbose
        elif [ "$rc" = 0 ]; then
            report fail "$rel" "accepted: exit 0, xl rejects (exit $want: $(grep -v '^Parsing config' "$dir/$name.stderr" | head -n 1))"
        else
            report fail "$rel" "status: exit $rc, xl exits $want"
        fi
        return
    fi
    if [ "$want" = 0 ]; then
        local exp=$dir/$name.expected.json
        local mu=0 mg=0 ej
        ej=$(< "$exp")
        [[ $ej == *$'\n        "uuid": "'$ZERO'"'* ]] && mu=1
        [[ $ej == *$'"ms_vm_genid": [\n'+([ 0,$'\n'])']'* ]] && mg=1
        if ! mask "$tmp/out" $mu $mg > "$tmp/masked"; then
            report fail "$rel" "uuid: c_info.uuid is not a well-formed uuid"; return
        fi
        if cmp -s "$exp" "$tmp/masked"; then
            report pass "$rel"
        else
            local d
            d=$(diff -u --label "xl:$name.expected.json" --label "vxl" "$exp" "$tmp/masked")
            report fail "$rel" "json: differs ($(grep -c '^[-+][^-+]' <<< "$d") lines; first: $(grep -m1 '^[-+][^-+]' <<< "$d" | tr -s ' '))"
            head -n 40 <<< "$d" | verbose
        fi
        return
    fi
    local re=${base//./\\.} want_loc=$base:LINE:COL
    if [ -f "$dir/$name.xlconf" ]; then
        re="($re|$name\\.xlconf)"; want_loc="$want_loc (or $name.xlconf:LINE:COL)"
    fi
    if [ ${#args[@]} = 0 ] && ! grep -Eq "(^|[^A-Za-z0-9_.-])$re:[0-9]+:[0-9]+:" "$tmp/err"; then
        report fail "$rel" "location: rejected, but stderr names no $want_loc"
        head -n 5 "$tmp/err" | verbose
        return
    fi
    report pass "$rel"
}

cases=()
for p in "$@"; do
    if [ -d "$p" ]; then
        mapfile -t -O ${#cases[@]} cases < <(find "$p" -name '*.cfg' | LC_ALL=C sort)
    else
        cases+=("$p")
    fi
done
for c in "${cases[@]}"; do run_case "$c"; done

if [ $failed -gt 0 ]; then
    {
        echo "failures by kind:"
        for k in "${!kinds[@]}"; do printf '  %-10s %d\n' "$k" "${kinds[$k]}"; done | sort
        echo "failures by folder:"
        for k in "${!folders[@]}"; do printf '  %-22s %d\n' "$k" "${folders[$k]}"; done | sort
        [ -n "${VERBOSE:-}" ] || echo "(VERBOSE=1 for diffs)"
    } | if [ $tap = 1 ]; then sed 's/^/# /'; else cat; fi
fi
echo "$passed passed, $failed failed"
[ $failed = 0 ]

# Spec-parsing conformance: every vector of tests/data/conformance/*.jsonl
# (disk specs, vif specs, vcpu-pin maps; see the README there) is run as
# `vxl -N ARGV...'; exit status and stdout must match.  One TAP line each.
. "$(dirname "$0")/../lib.sh"
export VXL_HOST=cpus=16,nodes=2,memory=32768
export VXL_XL_CONF=$TMPD/no-xl.conf     # absent: xl's built-in defaults
data=$VXL_TOP/tests/data/conformance

# Split every vector into $TMPD/cases/N/{name,argv,rc,stdout} in one go.
python3 - "$data" "$TMPD/cases" <<'PY' || { not_ok "vectors readable"; exit 0; }
import json, os, sys, glob
src, dst = sys.argv[1], sys.argv[2]
n = 0
for f in sorted(glob.glob(os.path.join(src, "*.jsonl"))):
    for i, line in enumerate(open(f), 1):
        if not line.strip():
            continue
        v = json.loads(line)
        n += 1
        d = os.path.join(dst, "%05d" % n)
        os.makedirs(d)
        open(os.path.join(d, "name"), "w").write(
            "%s:%d %s" % (os.path.basename(f), i, " ".join(v["argv"])))
        open(os.path.join(d, "argv"), "wb").write(
            b"".join(a.encode() + b"\0" for a in v["argv"]))
        open(os.path.join(d, "rc"), "w").write(str(v["rc"]))
        open(os.path.join(d, "stdout"), "wb").write(v["stdout"].encode())
PY

for c in "$TMPD"/cases/*; do
    mapfile -d '' -t argv < "$c/argv"
    "$VXL" -N "${argv[@]}" > "$c/out" 2>/dev/null < /dev/null
    rc=$?
    if [ "$rc" = "$(cat "$c/rc")" ] && cmp -s "$c/out" "$c/stdout"; then
        ok "$(cat "$c/name")"
    else
        not_ok "$(cat "$c/name") (exit $rc, expected $(cat "$c/rc"))"
    fi
done

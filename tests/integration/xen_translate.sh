# The xen backend's translation (vxl's model -> libxl_domain_config, see
# backend/xen.c) against Xen 4.17's xl on the xl.cfg test data
# (tests/data/xlcfg, its README says how the answers were made).
#
# For every NAME.cfg that xl accepts (NAME.rc is 0) it runs, from the
# config's folder and exactly as scripts/check-xlcfg.sh does,
#     vxl --backend=xen create -n NAME.cfg $(cat NAME.args)
# with VXL_HOST/VXL_XL_CONF as there, under LD_PRELOAD of tests/xenshim
# (libxl_ctx_alloc's hypervisor and xenstore calls, for a 16-CPU, 2-node,
# 32 GiB host).  What it prints is libxl_domain_config_to_json() of the
# translated config; it must equal NAME.expected.json byte for byte after
# the values xl made up at random are masked (c_info's uuid when the
# expected one is zeros — it must still be well-formed; ms_vm_genid's bytes
# when the expected ones are 0).  The backend itself also refuses any
# translation whose libxl JSON differs from the model's, so a pass here
# means: libxl's config == vxl's model == xl's config.  (Run with -v: vxl
# then says which JSON the dry run printed; without a libxl context it
# would fall back to the model's, which would prove nothing.)  One TAP line
# a case.
#
# ASan: the shim is built without sanitizers and preloaded in front of an
# ASan-built vxl under `make check-asan'; ASan's check that its runtime
# comes first in the library list is turned off for these runs
# (verify_asan_link_order=0) — the shim only allocates with calloc/free.
#
# Skipped (one `# skip' line) when vxl was built without libxenlight.
. "$(dirname "$0")/../lib.sh"
shim=$VXL_TOP/${VXL_BUILD:-build}/tests/xenshim.so
probe=$("$VXL" --backend=xen list 2>&1 < /dev/null)
if [[ $probe == *"not available in this build"* ]]; then
    skip "xen_translate: vxl built without libxenlight"
    exit 0
fi
if [ ! -f "$shim" ]; then
    not_ok "xen_translate: no test double at $shim (make $shim)"
    exit 0
fi
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"

python3 - "$VXL" "$shim" "$VXL_TOP/tests/data/xlcfg" <<'PY'
import os, re, subprocess, sys

vxl, shim, data = sys.argv[1:4]
ZERO = "00000000-0000-0000-0000-000000000000"
UUID_LINE = re.compile(r'^        "uuid": "([^"]*)"(,?)$', re.M)
WELL_FORMED = re.compile(r'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-'
                         r'[0-9a-f]{12}$')
GENID = re.compile(r'("ms_vm_genid": \[\n)((?: *\d+,?\n){16})( *\])')

def mask(out, exp):
    """out with what xl made up masked as exp has it; None if bad uuid."""
    if '\n        "uuid": "%s"' % ZERO in exp:
        # c_info is the first object; its uuid the first 8-space "uuid"
        m = UUID_LINE.search(out)
        if not m or not WELL_FORMED.match(m.group(1)):
            return None
        out = out[:m.start(1)] + ZERO + out[m.end(1):]
    g = GENID.search(exp)
    if g and not re.search(r'[1-9]', g.group(2)):
        out = GENID.sub(lambda m: m.group(1) + re.sub(r'\d+', '0', m.group(2))
                        + m.group(3), out)
    return out

env = dict(os.environ, LD_PRELOAD=shim,
           VXL_HOST="cpus=16,nodes=2,memory=32768")
cases = []
for root, dirs, files in os.walk(data):
    for f in files:
        if f.endswith(".cfg"):
            cases.append(os.path.join(root, f))
cases.sort()
n = passed = 0
for cfg in cases:
    d, base = os.path.split(cfg)
    name = base[:-4]
    rel = os.path.relpath(os.path.join(d, name), data)
    try:
        if open(os.path.join(d, name + ".rc")).read().strip() != "0":
            continue
    except OSError:
        continue
    args = []
    if os.path.exists(os.path.join(d, name + ".args")):
        args = open(os.path.join(d, name + ".args")).read().splitlines()
    xlconf = os.path.join(d, name + ".xlconf")
    env["VXL_XL_CONF"] = xlconf if os.path.exists(xlconf) \
        else os.path.join(data, "xl.conf")
    exp = open(os.path.join(d, name + ".expected.json")).read()
    n += 1
    try:
        p = subprocess.run([vxl, "-v", "--backend=xen", "create", "-n", base]
                           + args,
                           cwd=d, env=env, stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=20)
    except subprocess.TimeoutExpired:
        print("not ok %d - %s: timeout" % (n, rel))
        continue
    if p.returncode != 0:
        err = " | ".join(l for l in p.stderr.splitlines()
                         if not l.startswith("Parsing config"))[:300]
        print("not ok %d - %s: exit %d: %s" % (n, rel, p.returncode, err))
        continue
    out = mask(p.stdout, exp)
    if "vxl: dry run: libxl's JSON" not in p.stderr:
        err = " | ".join(l for l in p.stderr.splitlines()
                         if l.startswith("vxl: dry run"))[:300]
        print("not ok %d - %s: not libxl's output: %s" % (n, rel, err))
    elif out is None:
        print("not ok %d - %s: c_info.uuid is not a well-formed uuid" % (n, rel))
    elif out != exp:
        ol, el = out.splitlines(), exp.splitlines()
        i = next((i for i in range(min(len(ol), len(el))) if ol[i] != el[i]),
                 min(len(ol), len(el)))
        print("not ok %d - %s: line %d: libxl `%s', xl `%s'" % (
            n, rel, i + 1, ol[i].strip() if i < len(ol) else "(end)",
            el[i].strip() if i < len(el) else "(end)"))
    else:
        passed += 1
        print("ok %d - %s" % (n, rel))
print("# xen_translate: %d/%d configs xl accepts: libxl's JSON equals xl's"
      % (passed, n))
if n < 800:
    print("not ok %d - xen_translate: only %d accepted cases found" % (n + 1, n))
PY

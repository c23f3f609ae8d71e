# The xen backend's operations on a real Xen control domain (read-only
# checks on Domain-0 and on a domain that does not exist; nothing is
# created).  Skipped (one `# skip' line) unless /proc/xen/capabilities says
# control_d, vxl was built with libxenlight and we are root — i.e. always
# in CI; run `make check' as root on a Xen 4.17 dom0 to exercise it.
# NOTE: never run yet (no Xen host available when it was written).
. "$(dirname "$0")/../lib.sh"
if ! grep -qs control_d /proc/xen/capabilities; then
    skip "xen_real: not a Xen control domain (/proc/xen/capabilities)"
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    skip "xen_real: needs root"
    exit 0
fi
if "$VXL" --backend=xen list 2>&1 | grep -q "not available in this build"; then
    skip "xen_real: vxl built without libxenlight"
    exit 0
fi
x() { "$VXL" --backend=xen "$@"; }

x list > "$TMPD/list" 2> "$TMPD/err"
check "list: exit 0" test $? = 0
check "list: xl's header" grep -q $'^Name                                        ID   Mem VCPUs\tState\tTime(s)$' "$TMPD/list"
check "list: Domain-0 with id 0" grep -Eq '^Domain-0 +0 +[0-9]+ +[0-9]+ +[-rbpscwSd]{6} +[0-9.]+$' "$TMPD/list"
check "domid Domain-0 is 0" test "$(x domid Domain-0)" = 0
check "domname 0 is Domain-0" test "$(x domname 0)" = Domain-0
x list -l 0 > "$TMPD/long" 2>&1
check "list -l: JSON array" python3 -c 'import json,sys; v=json.load(open(sys.argv[1])); assert isinstance(v, list)' "$TMPD/long"
x destroy vxl-no-such-domain > /dev/null 2> "$TMPD/err"
check "destroy of an unknown name: exit 1" test $? = 1
check "destroy of an unknown name: xl's message" grep -q "vxl-no-such-domain is an invalid domain identifier" "$TMPD/err"
x pause 4294967 > /dev/null 2> "$TMPD/err"
check "pause of an unknown id: exit 1" test $? = 1

# tests/lib.sh — sourced by integration scripts.  Reports TAP lines.
# $VXL is the binary under test, $VXL_TOP the source tree.
: "${VXL:?VXL must name the vxl binary}"
: "${VXL_TOP:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
SHARED=${VXL_SHARED:-$VXL_TOP/../shared}
_tap_n=0
ok()     { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n - $*"; }
not_ok() { _tap_n=$((_tap_n + 1)); echo "not ok $_tap_n - $*"; }
# check NAME COND...: run COND, report its success
check()  { local n=$1; shift; if "$@"; then ok "$n"; else not_ok "$n"; fi; }
skip()   { echo "# skip: $*"; }
TMPD=$(mktemp -d "${TMPDIR:-/tmp}/vxl-it.XXXXXX")
trap '[ -n "$KEEP" ] || rm -rf "$TMPD"' EXIT

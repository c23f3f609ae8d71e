# CLI basics: help, unknown commands, exit statuses.
. "$(dirname "$0")/../lib.sh"
check "help lists create" sh -c '"$VXL" help | grep -q "^ create "'
check "unknown command exits 1" sh -c '"$VXL" no-such-cmd 2>/dev/null; [ $? = 1 ]'
check "no command prints usage, exits 1" sh -c '"$VXL" >/dev/null; [ $? = 1 ]'
check "img refuses -N" sh -c '"$VXL" -N img info x 2>&1 | grep -q "does not implement -N"'

# `vxl create': xl's option handling, overrides, exit statuses, output.
# Expected outputs come from xl 4.17 (tests/data/create/PROVENANCE).
. "$(dirname "$0")/../lib.sh"
D=$VXL_TOP/tests/data/create
export VXL_HOST="cpus=16,nodes=2,memory=32768"
export VXL_XL_CONF=/nonexistent/xl.conf      # xl's built-in defaults
cd "$D" || exit 1

same() {    # same EXPECTED-FILE vxl-args...
    local want=$1; shift
    "$VXL" "$@" > "$TMPD/out" 2> "$TMPD/err" && cmp -s "$TMPD/out" "$want"
}
status() {  # status N vxl-args...
    local want=$1; shift
    "$VXL" "$@" > "$TMPD/out" 2> "$TMPD/err"
    [ $? = "$want" ]
}

check "-N create prints xl's JSON" same basic.json -N create basic.cfg
check "create -n is the same" same basic.json create -n basic.cfg
check "--dryrun is the same" same basic.json create --dryrun basic.cfg
check "stderr says Parsing config from FILE" \
    sh -c '"$VXL" -N create basic.cfg 2>&1 >/dev/null | grep -qx "Parsing config from basic.cfg"'
check "key=value overrides follow the file" \
    same override.json -N create basic.cfg memory=1024 'name="other"' 'extra="console=hvc0"'
check "overrides before the file name (getopt order)" \
    same override.json -N create memory=1024 basic.cfg 'name="other"' 'extra="console=hvc0"'
check "/dev/null takes the config from arguments" \
    same devnull.json -N create /dev/null 'name="cli"' 'uuid="11111111-2222-4333-8444-555555555555"' 'kernel="/k"'
check "-f FILE and -q" same f.json -N create -f basic.cfg -q vcpus=1
check "-q prints nothing on stderr" \
    sh -c '"$VXL" -N create -q basic.cfg 2>&1 >/dev/null | wc -c | grep -qx 0'
check "missing file exits 3" status 3 -N create nonexist.cfg
check "missing file message" grep -q "Failed to read config file: nonexist.cfg: No such file or directory" "$TMPD/err"
check "no file exits 6" status 6 -N create
check "two files exit 2" status 2 -N create basic.cfg other.cfg
check "unknown option exits 2" status 2 -N create -Z basic.cfg
printf 'name = = "x"\n' > "$TMPD/syn.cfg"
check "syntax error exits 1" status 1 -N create "$TMPD/syn.cfg"
check "create -h exits 0" status 0 create -h

# a config without uuid gets a fresh random one each time
printf 'name="r"\nkernel="/k"\nmemory=64\n' > "$TMPD/r.cfg"
u1=$("$VXL" -N create "$TMPD/r.cfg" 2>/dev/null | sed -n 's/^        "uuid": "\(.*\)",$/\1/p')
u2=$("$VXL" -N create "$TMPD/r.cfg" 2>/dev/null | sed -n 's/^        "uuid": "\(.*\)",$/\1/p')
check "random uuid when none is set" \
    sh -c '[ -n "$1" ] && [ "$1" != "$2" ] && [ "$1" != 00000000-0000-0000-0000-000000000000 ]' _ "$u1" "$u2"

# xl.conf is read from $VXL_XL_CONF
printf 'claim_mode=0\n' > "$TMPD/xl.conf"
check "xl.conf claim_mode=0 reaches the config" \
    sh -c 'VXL_XL_CONF="$1" "$VXL" -N create basic.cfg 2>/dev/null | grep -q "\"claim_mode\": \"False\""' _ "$TMPD/xl.conf"
printf 'max_grant_frames=-5\n' > "$TMPD/bad.conf"
check "a bad xl.conf max_grant_frames exits 1" \
    sh -c 'VXL_XL_CONF="$1" "$VXL" -N create basic.cfg >/dev/null 2>&1; [ $? = 1 ]' _ "$TMPD/bad.conf"

# an explicit nil uuid stays nil, so xl prints none
printf 'name="z"\nkernel="/k"\nmemory=64\nuuid="00000000-0000-0000-0000-000000000000"\n' > "$TMPD/z.cfg"
check "explicit nil uuid is not replaced" \
    sh -c '! "$VXL" -N create "$1" 2>/dev/null | grep -q "\"uuid\""' _ "$TMPD/z.cfg"

# A real create goes to the backend: the QEMU one here, with its state in
# a private directory (skipped without qemu-system-x86_64).
if command -v qemu-system-x86_64 >/dev/null; then
    export VXL_BACKEND=qemu VXL_RUNDIR=$TMPD/run VXL_QEMU_ACCEL=tcg
    unset DISPLAY
    printf 'name="vxlcreate"\ntype="hvm"\nmemory=32\nvnc=0\n' > "$TMPD/q.cfg"
    check "create -p starts a paused domain" status 0 create -p "$TMPD/q.cfg"
    check "it is listed, paused" \
        sh -c '"$VXL" list vxlcreate | grep -q "^vxlcreate .*--p---"'
    check "the same name again exits 3" status 3 create -p "$TMPD/q.cfg"
    check "and says why" grep -q 'already exists' "$TMPD/err"
    check "destroy removes it" status 0 destroy vxlcreate
    check "a missing kernel exits 3" status 3 create -p basic.cfg
    check "and names it" grep -q "basic.cfg:[0-9]*:[0-9]*: error: kernel '/boot/vmlinuz' does not exist" "$TMPD/err"
    "$VXL" destroy vxlcreate >/dev/null 2>&1 || :   # in case a check failed
else
    skip "qemu-system-x86_64 not installed: real create not tested"
fi
:

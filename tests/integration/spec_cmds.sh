# The spec commands' messages and xl.conf use: what the conformance
# vectors (stdout + exit status only) do not cover.
. "$(dirname "$0")/../lib.sh"
export VXL_HOST="cpus=16,nodes=2,memory=32768"
export VXL_XL_CONF=$TMPD/xl.conf

err_of() {  # vxl args...: run, keep stdout/stderr in $TMPD, status in $rc
    "$VXL" "$@" > "$TMPD/out" 2> "$TMPD/err"
    rc=$?
}
has() { grep -qF -- "$1" "$TMPD/err"; }

printf 'vif.default.bridge = "xenbr7"\nvif.default.script = "vif-nat"\n' \
    > "$VXL_XL_CONF"
check "network-attach takes xl.conf's vif defaults" \
    sh -c '"$VXL" -N network-attach 0 mac=00:16:3e:00:00:01 | tr -d "\n " |
           grep -qx "vif:{\"mac\":\"00:16:3e:00:00:01\",\"bridge\":\"xenbr7\",\"script\":\"vif-nat\"}"'
check "a vif token overrides the xl.conf default" \
    sh -c '"$VXL" -N network-attach 0 bridge=br1 | grep -q "\"bridge\": \"br1\""'
rm -f "$VXL_XL_CONF"

err_of -N block-attach 0 'format=QCOW2,vdev=xvda,target=/x'
check "block-attach: bad format exits 1" [ "$rc" = 1 ]
check "block-attach: error names the command line and the value" \
    has "command line: error: disk specification: unknown value for format: near \`QCOW2'"
check "block-attach: did-you-mean hint" has "hint: did you mean \`qcow2'?"
check "block-attach: nothing on stdout" [ ! -s "$TMPD/out" ]

err_of -N network-attach 0 brige=br0
check "network-attach: unknown key exits 1" [ "$rc" = 1 ]
check "network-attach: hint names the key" has "did you mean \`bridge'?"

err_of -N vcpu-pin 0 all '0-3,^all'
check "vcpu-pin: ^all exits 1" [ "$rc" = 1 ]
check "vcpu-pin: says why" has "can't combine \"^\" and \"all\""

cat > "$TMPD/g.cfg" <<'CFG'
name = "g"
kernel = "/k"
memory = 256
disk = [ 'phy:/dev/vg/g,xvda,w',
         'vdevs=xvdb,target=/img' ]
CFG
err_of -N create "$TMPD/g.cfg"
check "create: bad disk item exits 1" [ "$rc" = 1 ]
check "create: error at the item's file:line:col" \
    has "g.cfg:5:10: error: disk specification: unknown parameter"
check "create: unknown key gets a suggestion" has "did you mean \`vdev'?"

cat > "$TMPD/p.cfg" <<'CFG'
name = "p"
type = "hvm"
memory = 256
pci = [ '36:00.0@20' ]
CFG
err_of -N create "$TMPD/p.cfg"
check "create: bad pci spec exits 6, as xl" [ "$rc" = 6 ]
check "create: pci error at 4:9" has "p.cfg:4:9: error: pci: invalid @VSLOT"

cat > "$TMPD/r.cfg" <<'CFG'
name = "r"
type = "hvm"
memory = 256
rdm = "strategy=host,policy=relaxed"
CFG
err_of -N create "$TMPD/r.cfg"
check "create: rdm= with a policy is accepted" [ "$rc" = 0 ]
check "create: ...but dropped, as xl 4.17 does" \
    sh -c 'grep -q "\"rdm\": {" "$1" && ! grep -q "\"strategy\"" "$1"' _ "$TMPD/out"
check "create: ...and says so" has "r.cfg:4:7: warning: rdm=\"strategy=host,policy=relaxed\" ignored"

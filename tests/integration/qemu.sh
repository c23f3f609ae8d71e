# The QEMU backend end to end, under TCG: a 512-byte boot sector built
# here prints a marker on the serial port, then halts or powers off.
# create -c, list, pause/unpause, reboot with on_reboot="restart",
# poweroff with on_poweroff="destroy", qcow2 and VMDK disks, 8 concurrent
# creates, a killed monitor, and the errors that must leave nothing behind.
. "$(dirname "$0")/../lib.sh"

if ! command -v qemu-system-x86_64 >/dev/null; then
    skip "qemu-system-x86_64 not installed (scripts/deps.sh installs it)"
    exit 0
fi

export VXL_RUNDIR=$TMPD/run VXL_QEMU_ACCEL=tcg
unset VXL_BACKEND VXL_QEMU DISPLAY
cleanup() {
    for id in $("$VXL" list 2>/dev/null | awk 'NR > 1 { print $2 }'); do
        "$VXL" destroy "$id" 2>/dev/null
    done
    rm -rf "$TMPD"
}
trap cleanup EXIT

# The boot sector (16-bit code at 0x7c00): print "VXL-GUEST-OK\r\n" on
# COM1 (0x3f8), then power off through the ACPI PM1a control port
# (0x604 ← 0x2000: S5) — or, in the halting variant, hlt for ever; the
# rebooting variant resets the machine itself through the keyboard
# controller (0x64 ← 0xfe: mov al,0xfe; out 0x64,al).
#   fa 31c0 8ed8 be1d7c         cli; xor ax,ax; mov ds,ax; mov si,msg
#   ac 84c0 7406 baf803 ee ebf5 1: lodsb; test al,al; jz 2f; out 0x3f8; jmp 1b
#   ba0406 b80020 ef            2: mov dx,0x604; mov ax,0x2000; out dx,ax
#   f4 ebfd                     3: hlt; jmp 3b
boot_sector() {     # FILE poweroff|halt
    local off='\xba\x04\x06\xb8\x00\x20\xef'
    [ "$2" = halt ] && off='\x90\x90\x90\x90\x90\x90\x90'
    [ "$2" = reboot ] && off='\xb0\xfe\xe6\x64\x90\x90\x90'
    {
        printf '\xfa\x31\xc0\x8e\xd8\xbe\x1d\x7c\xac\x84\xc0\x74\x06'
        printf '\xba\xf8\x03\xee\xeb\xf5'
        printf "$off"
        printf '\xf4\xeb\xfd'
        printf 'VXL-GUEST-OK\r\n\0'
        head -c $((510 - 44)) /dev/zero
        printf '\x55\xaa'
    } > "$1"
}
boot_sector "$TMPD/off.img" poweroff
boot_sector "$TMPD/halt.img" halt
boot_sector "$TMPD/reboot.img" reboot
check "boot sector is 512 bytes" test "$(stat -c %s "$TMPD/off.img")" = 512

config() {          # NAME IMAGE [extra lines...]
    local name=$1 img=$2; shift 2
    {
        echo "name = \"$name\""
        echo 'type = "hvm"'
        echo 'memory = 32'
        echo "disk = [ 'vdev=hda, access=rw, target=$img' ]"
        echo 'nographic = 1'
        echo 'vnc = 0'
        for l in "$@"; do echo "$l"; done
    } > "$TMPD/$name.cfg"
    echo "$TMPD/$name.cfg"
}
listed() { "$VXL" list | awk -v n="$1" '$1 == n { print $5 }'; }
domdir() { echo "$VXL_RUNDIR/dom/$("$VXL" domid "$1")"; }

# create -c shows the marker from boot; the guest powers off, and with
# on_poweroff="destroy" the domain is gone
cfg=$(config first "$TMPD/off.img" 'on_poweroff = "destroy"')
t0=$(date +%s%N)
out=$(timeout 30 "$VXL" create -c "$cfg" </dev/null 2>"$TMPD/err")
rc=$?
t1=$(date +%s%N)
echo "# create -c to poweroff: $(( (t1 - t0) / 1000000 )) ms"
check "create -c exits 0" test "$rc" = 0
check "create -c shows the marker" grep -q VXL-GUEST-OK <<<"$out"
check "create says it parsed the config" grep -q "Parsing config from" "$TMPD/err"
check "powered-off domain is not listed" test -z "$(listed first)"
check "nothing left in the run directory" test -z "$(ls "$VXL_RUNDIR/dom")"

# a running domain: list, pause, unpause, rename
cfg=$(config runner "$TMPD/halt.img" 'on_reboot = "restart"')
check "create (no -c) exits 0" "$VXL" create -q "$cfg"
check "list shows it running" test "$(listed runner)" = r-----
check "list's header is xl's" sh -c '"$VXL" list | head -1 |
    grep -qx "Name                                        ID   Mem VCPUs	State	Time(s)"'
check "pause" "$VXL" pause runner
check "list shows it paused" test "$(listed runner)" = --p---
check "unpause" "$VXL" unpause runner
check "list shows it running again" test "$(listed runner)" = r-----
log=$(domdir runner)/console.log
for i in $(seq 50); do grep -q VXL-GUEST-OK "$log" && break; sleep 0.1; done
check "console log has the marker" grep -q VXL-GUEST-OK "$log"
id=$("$VXL" domid runner)
# on_reboot="restart": a reboot brings it back, same name and id
check "reboot" sh -c '"$VXL" reboot runner 2>/dev/null'
for i in $(seq 50); do [ "$(grep -c VXL-GUEST-OK "$log")" -ge 2 ] && break; sleep 0.1; done
check "rebooted guest booted again" test "$(grep -c VXL-GUEST-OK "$log")" -ge 2
check "same name, same id after reboot" test "$("$VXL" domid runner)" = "$id"
check "running after reboot" test "$(listed runner)" = r-----
# a guest that reboots itself: on_reboot="restart" brings it back with the
# same name and id (each boot prints the marker again); "destroy" ends it
scfg=$(config selfboot "$TMPD/reboot.img" 'on_reboot = "restart"')
check "create a self-rebooting guest" "$VXL" create -q "$scfg"
sid=$("$VXL" domid selfboot)
slog=$(domdir selfboot)/console.log
for i in $(seq 100); do [ "$(grep -c VXL-GUEST-OK "$slog" 2>/dev/null)" -ge 3 ] && break; sleep 0.1; done
check "guest reboot with on_reboot=restart: booted again (3 boots)" \
    test "$(grep -c VXL-GUEST-OK "$slog")" -ge 3
check "guest reboot: same name, same id" test "$("$VXL" domid selfboot)" = "$sid"
check "destroy the self-rebooting guest" "$VXL" destroy selfboot
scfg=$(config selfend "$TMPD/reboot.img" 'on_reboot = "destroy"')
check "guest reboot with on_reboot=destroy: create -c returns 0" \
    sh -c 'timeout 30 "$VXL" create -q -c "$1" </dev/null | grep -q VXL-GUEST-OK' _ "$scfg"
check "guest reboot with on_reboot=destroy: the domain is gone" test -z "$(listed selfend)"

check "list -l: xl's JSON with the domain's config" sh -c '"$VXL" list -l |
    jq -e ".[0].domid == $1 and .[0].config.c_info.name == \"runner\" and
           .[0].config.b_info.target_memkb == 32768" >/dev/null' _ "$id"
check "uptime lists it" sh -c '"$VXL" uptime | grep -Eq "^runner +$1 +( [0-9]|[0-9]{2}):[0-9]{2}:[0-9]{2}$"' _ "$id"
check "uptime -s" sh -c '"$VXL" uptime -s runner | grep -Eq "^ [0-9:]{8} up .*, runner \($1\)$"' _ "$id"
# shutdown: the boot sector ignores the ACPI button, so it keeps running
check "shutdown sends the request" sh -c '"$VXL" shutdown runner 2>/dev/null'
# errors
check "a name in use is refused" sh -c '! "$VXL" create -q "$1" 2>"$2" &&
    grep -q "already exists" "$2"' _ "$cfg" "$TMPD/err"
check "an unknown domain is an error" sh -c '! "$VXL" pause nosuch 2>"$1" &&
    grep -q "nosuch is an invalid domain identifier" "$1" &&
    ! "$VXL" destroy 4242 2>/dev/null' _ "$TMPD/err"
qemu_pid=$(jq -r .qemu.pid "$(domdir runner)/record.json")
check "destroy" "$VXL" destroy runner
check "destroyed domain is not listed" test -z "$(listed runner)"
check "its QEMU is gone" sh -c '! kill -0 "$1" 2>/dev/null ||
    grep -q "^State:.*Z" /proc/"$1"/status' _ "$qemu_pid"

# qcow2 and VMDK disks boot alike (a VMDK is declared with vxl's
# format=vmdk and converted by create --convert; a declared raw format is
# never reinterpreted)
qemu-img convert -O qcow2 "$TMPD/off.img" "$TMPD/off.qcow2"
qemu-img convert -O vmdk "$TMPD/off.img" "$TMPD/off.vmdk"
cfg=$(config q2 "$TMPD/off.qcow2" 'on_poweroff = "destroy"')
sed -i 's/vdev=hda/format=qcow2, vdev=hda/' "$cfg"
check "boots from qcow2" sh -c 'timeout 30 "$VXL" create -q -c "$1" </dev/null |
    grep -q VXL-GUEST-OK' _ "$cfg"
cfg=$(config vm "$TMPD/off.vmdk" 'on_poweroff = "destroy"')
sed -i 's/vdev=hda/format=vmdk, vdev=hda/' "$cfg"
check "boots from VMDK (create --convert)" sh -c 'VXL_CACHE="$2" timeout 30 "$VXL" create -q --convert -c "$1" </dev/null 2>/dev/null |
    grep -q VXL-GUEST-OK' _ "$cfg" "$TMPD/cache"

# errors that must leave nothing running
cfg=$(config nodisk "$TMPD/missing.img")
check "a missing disk is named with its config line" sh -c '! "$VXL" create -q "$1" 2>"$2" &&
    grep -q "^$1:4:[0-9]*: error: disk .*missing.img.* does not exist" "$2"' _ "$cfg" "$TMPD/err"
cfg=$(config sdl "$TMPD/halt.img" 'sdl = 1')
check "sdl without a display is a clear error" sh -c '! "$VXL" create -q "$1" 2>"$2" &&
    grep -q "no display" "$2"' _ "$cfg" "$TMPD/err"
cfg=$(config noqemu "$TMPD/halt.img")
check "QEMU missing is a clear error" sh -c '! VXL_QEMU=/nonexistent/qemu "$VXL" create -q "$1" 2>"$2" &&
    grep -q "QEMU not found" "$2"' _ "$cfg" "$TMPD/err"
check "failed creates left nothing" test -z "$(ls "$VXL_RUNDIR/dom")"

# 8 concurrent creates: all succeed, distinct ids; destroy leaves nothing
for i in $(seq 8); do
    cfg=$(config "c$i" "$TMPD/halt.img" "disk = [ 'vdev=hda, access=ro, target=$TMPD/halt.img' ]")
done
for i in $(seq 8); do "$VXL" create -q "$TMPD/c$i.cfg" 2>"$TMPD/c$i.err" & done
wait
check "8 concurrent creates: 8 listed" test "$("$VXL" list | awk 'NR > 1' | wc -l)" = 8
check "8 distinct ids" test "$("$VXL" list | awk 'NR > 1 { print $2 }' | sort -u | wc -l)" = 8
# a kill -9 of a monitor is detected and reported
mon=$(jq -r .monitor.pid "$(domdir c1)/record.json")
kill -9 "$mon"
sleep 0.2
check "a killed monitor is reported by list" sh -c '"$VXL" list 2>&1 >/dev/null |
    grep -q "monitor process $1 died"' _ "$mon"
pids=$(cat "$VXL_RUNDIR"/dom/*/record.json | jq -r .qemu.pid)
for i in $(seq 8); do "$VXL" destroy "c$i" & done
wait
check "all destroyed: none listed" test "$("$VXL" list | awk 'NR > 1' | wc -l)" = 0
check "no state, socket or log left" test -z "$(ls "$VXL_RUNDIR/dom")"
left=0
for p in $pids; do
    kill -0 "$p" 2>/dev/null && ! grep -q "^State:.*Z" /proc/"$p"/status 2>/dev/null && left=$((left + 1))
done
check "no QEMU process left" test "$left" = 0

#!/bin/sh
# tests/xen/scenario.sh — what `make check-xen' proves, run inside a real
# Xen 4.17 Dom0 (busybox sh; started by tests/xen/dom0-init.sh).
#
# vxl (built on the host against Debian's libxenlight 4.17, run with its
# default backend, which on a control domain is xen) is compared with xl,
# the reference, on the same hypervisor: info, list, create (PV guests
# from kernel=/ramdisk=/extra=), destroy, on_poweroff destroy/preserve,
# create -p / unpause, pause, rename, domid/domname, shutdown -w, create -c
# and a libxl error's reason.  Each step prints one result line,
#   VXLTEST ok N - what        or        VXLTEST not ok N - what
# with the evidence of a failure as "VXLTEST # ..." lines after it; the
# host (tests/xen/run.sh) turns them into TAP.  The last line is
# "VXLTEST done N".
#
# The guests (tests/xen/guest-init.sh) print "VXLGUEST hello NAME" on their
# console, which xenconsoled logs to /var/log/xen/console/guest-NAME.log.
XL=/usr/lib/xen-4.17/bin/xl
CON=/var/log/xen/console
T=/tmp/vxltest
mkdir -p $T
n=0

# each result also notes Dom0's uptime, printed at the end
stamp()  { echo "$n:$(cut -d' ' -f1 /proc/uptime)" >> $T/times; }
ok()     { n=$((n + 1)); echo "VXLTEST ok $n - $*"; stamp; }
not_ok() { n=$((n + 1)); echo "VXLTEST not ok $n - $*"; stamp; }
diag()   { sed 's/^/VXLTEST # /'; }
# check WHAT COMMAND...: one result from a command's status (and its status)
check()  {
    w=$1
    shift
    if "$@"; then ok "$w"; return 0; fi
    not_ok "$w"
    return 1
}
# show FILE...: files as diagnostics (after a failure)
show()   { for f in "$@"; do echo "--- $f"; cat "$f" 2>&1; done | diag; }

# monlog NAME: the end of the monitor's log of a guest (after a failure)
monlog() { { echo "--- /var/log/xen/vxl-$1.log"; tail -n 40 /var/log/xen/vxl-$1.log 2>&1; ps; } | diag; }

# A guest config: NAME MODE ON_POWEROFF [MEMORY [ON_REBOOT]]
mkcfg() {
    cat > $T/$1.cfg <<EOF
name = "$1"
type = "pv"
kernel = "/vxltest/guest/vmlinux"
ramdisk = "/vxltest/guest/initrd.cpio"
extra = "console=hvc0 loglevel=3 vxl_mode=$2 vxl_name=$1"
memory = ${4:-128}
vcpus = 1
on_poweroff = "$3"
on_reboot = "${5:-destroy}"
on_crash = "destroy"
EOF
}

# wait_until SECONDS COMMAND...: poll every 0.2 s
wait_until() {
    _lim=$(($1 * 5))
    shift
    _i=0
    until "$@"; do
        _i=$((_i + 1))
        [ $_i -gt $_lim ] && return 1
        sleep 0.2
    done
}
booted()    { grep -q "VXLGUEST hello $1" $CON/guest-$1.log 2> /dev/null; }
# xl's view of a domain: listed at all; its State column
xl_has()    { $XL list 2> /dev/null | awk -v n="$1" '$1 == n { f = 1 } END { exit !f }'; }
xl_gone()   { ! xl_has "$1"; }
xl_state()  { $XL list "$1" 2> /dev/null | awk 'NR == 2 { print $5 }'; }
state_has() { case $(xl_state "$1") in *$2*) return 0 ;; esac; return 1; }
state_not() { s=$(xl_state "$1"); [ -n "$s" ] && case $s in *$2*) return 1 ;; esac; }

# A `list' without its Time column; with "mask", the r and b flags of a
# domain that may be running or blocked from one moment to the next are
# blanked.
untimed() {
    sed -E 's/[[:space:]]+[^[:space:]]+$//' "$1" |
        if [ "${2:-}" = mask ]; then
            sed -E 's/^(.* )[-r][-b]([-p][-s][-rscwS?][-d])$/\1..\2/'
        else
            cat
        fi
}
# same_list WHAT [mask] [DOMAIN]: `vxl list' and `xl list' agree
same_list() {
    w=$1 m=${2:-} d=${3:-}
    $XL list $d > $T/xl.list 2>&1
    vxl list $d > $T/vxl.list 2>&1
    untimed $T/xl.list $m > $T/xl.cmp
    untimed $T/vxl.list $m > $T/vxl.cmp
    if cmp -s $T/xl.cmp $T/vxl.cmp && [ -s $T/xl.cmp ]; then
        ok "$w"
    else
        not_ok "$w"
        show $T/xl.list $T/vxl.list
    fi
}


# ---- the host: info, list ---------------------------------------------------
vxl -v list > /dev/null 2> $T/choice
check "vxl's default backend on a control domain is xen" \
    grep -q "backend xen: default: running on a Xen control domain" $T/choice ||
    show $T/choice

$XL info > $T/xl.info 2>&1
vxl info > $T/vxl.info 2> $T/vxl.info.err
rc=$?
if [ $rc = 0 ] && diff $T/xl.info $T/vxl.info > $T/info.diff; then
    ok "vxl info equals xl info ($(wc -l < $T/xl.info) lines)"
else
    not_ok "vxl info equals xl info (exit $rc)"
    show $T/info.diff $T/vxl.info.err
fi
same_list "vxl list equals xl list (Domain-0 alone; Time aside)"

# ---- a libxl error reaches the user with its reason ------------------------
mkcfg small sleep destroy 32
$XL create $T/small.cfg > $T/xl.small 2>&1
xl_rc=$?
vxl create $T/small.cfg > $T/vxl.small 2>&1
rc=$?
reason=$(grep -o 'xc_dom_[a-z_]*: [^(]*too large' $T/xl.small | head -n 1)
if [ $xl_rc != 0 ] && [ $rc = 3 ] && [ -n "$reason" ] &&
    grep -qF "$reason" $T/vxl.small; then
    ok "create of a guest too small for its kernel: exit 3 with libxl's reason ($reason)"
else
    not_ok "create of a guest too small for its kernel: exit $rc (xl: $xl_rc), reason '$reason'"
    show $T/xl.small $T/vxl.small
fi
check "the failed create leaves no domain behind" xl_gone small

# ---- create -p, unpause ------------------------------------------------------
mkcfg ga sleep destroy
vxl create -p $T/ga.cfg > $T/ga.out 2>&1
rc=$?
if [ $rc = 0 ] && xl_has ga && state_has ga p; then
    ok "create -p: xl lists the guest, paused ($(xl_state ga))"
else
    not_ok "create -p: exit $rc, xl state '$(xl_state ga)'"
    show $T/ga.out
fi
same_list "vxl list DOMAIN equals xl list DOMAIN (paused guest)" "" ga
vxl unpause ga > $T/ga.unpause 2>&1
check "unpause: no longer paused for xl" state_not ga p || show $T/ga.unpause

if wait_until 180 booted ga; then
    ok "the guest created with -p booted after unpause (its marker is on its console)"
else
    not_ok "the guest created with -p booted after unpause"
    show $CON/guest-ga.log
fi

# ---- the running guest in list, pause/unpause, names ----------------------
same_list "vxl list DOMAIN equals xl list DOMAIN (running guest; r/b aside)" mask ga
# list -v: the UUID, reason and security label columns too
$XL list -v ga > $T/xl.listv 2>&1
vxl list -v ga > $T/vxl.listv 2>&1
untimed_v() { sed -E 's/^(.*[-r][-b][-p][-s][-rscwS?][-d])[[:space:]]+[0-9.]+/\1/; s/Time\(s\)//' "$1"; }
if [ "$(untimed_v $T/xl.listv | sed -E 's/^(.* )[-r][-b]([-p][-s])/\1..\2/')" = \
     "$(untimed_v $T/vxl.listv | sed -E 's/^(.* )[-r][-b]([-p][-s])/\1..\2/')" ]; then
    ok "vxl list -v equals xl list -v (uuid, reason, label; Time and r/b aside)"
else
    not_ok "vxl list -v equals xl list -v"
    show $T/xl.listv $T/vxl.listv
fi
# list -l: the config libxl keeps for the domain, as JSON
$XL list -l ga > $T/xl.listl 2>&1
vxl list -l ga > $T/vxl.listl 2>&1
if cmp -s $T/xl.listl $T/vxl.listl && grep -q '"c_info"' $T/xl.listl; then
    ok "vxl list -l equals xl list -l ($(wc -l < $T/xl.listl) lines of JSON)"
else
    not_ok "vxl list -l equals xl list -l"
    diff $T/xl.listl $T/vxl.listl | head -n 40 | diag
fi

vxl pause ga > $T/pause.out 2>&1
check "pause: xl sees it paused" state_has ga p || show $T/pause.out
same_list "vxl list DOMAIN equals xl list DOMAIN (paused again)" "" ga
vxl unpause ga > $T/unpause.out 2>&1
check "unpause: xl sees it unpaused" state_not ga p || show $T/unpause.out

id=$($XL domid ga)
check "vxl domid equals xl domid ($id)" test "$(vxl domid ga)" = "$id"
check "vxl domname of that id is the name" test "$(vxl domname "$id")" = ga
vxl domid nosuchdomain > /dev/null 2> $T/domid.err
check "vxl domid of an unknown name fails with xl's message" \
    grep -q "Can't get domid of domain name 'nosuchdomain'" $T/domid.err
vxl rename ga ga2 > $T/rename.out 2>&1
rc=$?
if [ $rc = 0 ] && [ "$($XL domid ga2 2> /dev/null)" = "$id" ] && xl_gone ga; then
    ok "rename: xl knows the domain by its new name only"
else
    not_ok "rename: exit $rc"
    show $T/rename.out
    $XL list | diag
fi
check "vxl domname follows the rename" test "$(vxl domname "$id")" = ga2

# ---- destroy -------------------------------------------------------------------
vxl destroy ga2 > $T/destroy.out 2>&1
rc=$?
if [ $rc = 0 ] && xl_gone ga2; then
    ok "destroy: xl list no longer shows the running guest"
else
    not_ok "destroy: exit $rc"
    show $T/destroy.out
    $XL list | diag
fi

# ---- on_poweroff -----------------------------------------------------------
# two guests that power themselves off at once, booting side by side
mkcfg gp poweroff destroy
mkcfg gq poweroff preserve
vxl create $T/gp.cfg > $T/gp.out 2>&1
check "create (on_poweroff=destroy guest)" test $? = 0 || show $T/gp.out
vxl create $T/gq.cfg > $T/gq.out 2>&1
check "create (on_poweroff=preserve guest)" test $? = 0 || show $T/gq.out
# (xenconsoled may write a guest's last lines to its log after the domain
# is gone or shut down: wait for both together)
said()    { grep -q "$2" $CON/guest-$1.log 2> /dev/null; }
gp_done() { xl_gone gp && said gp "VXLGUEST poweroff-self gp"; }
gq_done() { state_has gq s && said gq "VXLGUEST poweroff-self gq"; }
if wait_until 180 gp_done; then
    ok "on_poweroff=destroy: the guest that powered off is gone"
else
    not_ok "on_poweroff=destroy: the guest that powered off is gone"
    show $CON/guest-gp.log
    $XL list | diag
    monlog gp
fi
if wait_until 180 gq_done; then
    sleep 3
    if state_has gq s; then
        ok "on_poweroff=preserve: the guest stays, shut down ($(xl_state gq))"
    else
        not_ok "on_poweroff=preserve: the guest went away ('$(xl_state gq)')"
    fi
else
    not_ok "on_poweroff=preserve: the guest powered off and stays"
    show $CON/guest-gq.log
    $XL list | diag
fi
same_list "vxl list DOMAIN equals xl list DOMAIN (shut down guest)" "" gq
vxl destroy gq > $T/destroy2.out 2>&1
check "destroy of a shut down guest" xl_gone gq || show $T/destroy2.out

# ---- shutdown -w -------------------------------------------------------------
mkcfg gs sleep destroy
vxl create $T/gs.cfg > $T/gs.out 2>&1
check "create (guest for shutdown -w)" test $? = 0 || show $T/gs.out
if wait_until 180 booted gs; then
    timeout 120 vxl shutdown -w gs > $T/shutdown.out 2>&1
    rc=$?
    if [ $rc = 0 ] && { xl_gone gs || state_has gs s; } &&
        wait_until 30 said gs "VXLGUEST poweroff-requested"; then
        ok "shutdown -w: returns once the guest has shut down"
    else
        not_ok "shutdown -w: exit $rc, state '$(xl_state gs)'"
        show $T/shutdown.out $CON/guest-gs.log
    fi
    check "shutdown -w: then on_poweroff=destroy removes it" wait_until 30 xl_gone gs ||
        monlog gs
else
    not_ok "shutdown -w: the guest did not boot"
    show $CON/guest-gs.log
fi

# ---- reboot with on_reboot=restart ------------------------------------------
mkcfg gr sleep destroy 128 restart
vxl create $T/gr.cfg > $T/gr.out 2>&1
check "create (on_reboot=restart guest)" test $? = 0 || show $T/gr.out
if wait_until 180 booted gr; then
    old_id=$($XL domid gr)
    vxl reboot gr > $T/reboot.out 2>&1
    rc=$?
    # the console log (appended to by the new domain) has a second hello
    booted_twice() { [ "$(grep -c "VXLGUEST hello gr" $CON/guest-gr.log)" -ge 2 ]; }
    if [ $rc = 0 ] && wait_until 180 booted_twice &&
        new_id=$($XL domid gr 2> /dev/null) && [ "$new_id" != "$old_id" ]; then
        ok "reboot + on_reboot=restart: the guest came back as domain $new_id (was $old_id) and booted again"
    else
        not_ok "reboot + on_reboot=restart: exit $rc, domid '$($XL domid gr 2>&1)' (was $old_id)"
        show $T/reboot.out $CON/guest-gr.log
        monlog gr
    fi
    vxl destroy gr > $T/destroy3.out 2>&1
    check "destroy of the restarted guest" xl_gone gr || show $T/destroy3.out
else
    not_ok "reboot + on_reboot=restart: the guest did not boot"
    show $CON/guest-gr.log
fi

# ---- create -c -------------------------------------------------------------------
# the console from the first line on; it ends when the guest (which powers
# itself off) has been destroyed
mkcfg gc poweroff destroy
timeout 180 vxl create -c $T/gc.cfg > $T/gc.console 2> $T/gc.err < /dev/null
echo $? > $T/gc.rc
if [ "$(cat $T/gc.rc)" != 143 ]; then
    wait_until 30 said gc "VXLGUEST poweroff-self gc"
    tr -d '\r' < $T/gc.console | grep -v '^$' > $T/gc.seen
    tr -d '\r' < $CON/guest-gc.log | grep -v '^$' > $T/gc.log
    first=$(head -n 1 $T/gc.log)
    if [ "$(cat $T/gc.rc)" = 0 ] && grep -q "VXLGUEST hello gc" $T/gc.seen &&
        [ -n "$first" ] && [ "$(head -n 1 $T/gc.seen)" = "$first" ]; then
        ok "create -c: the console from its first line ($first) to the guest's end"
    else
        not_ok "create -c: exit $(cat $T/gc.rc)"
        show $T/gc.err $T/gc.seen $T/gc.log
    fi
else
    not_ok "create -c did not return after the guest powered off"
    show $T/gc.err $T/gc.console $CON/guest-gc.log
fi

same_list "vxl list equals xl list at the end (Domain-0 alone again)"
dmesg | grep -i -E "segfault|general protection|oom" | diag
echo "VXLTEST # Dom0 uptime (s) at each result: $(tr '\n' ' ' < $T/times)"
echo "VXLTEST done $n"

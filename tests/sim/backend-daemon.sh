#!/bin/sh
# backend-daemon.sh - `duet backend` (run with a test device type by
# tests/helpers/backend-testd) on the simulator, in dom0 and in driver
# domain 2: an instance process per online device, started and torn down
# as nodes come and go; a crashing or failing instance is restarted (with
# ctx->restarts counting) while the others keep running; an instance that
# ignores SIGTERM is killed after --grace; garbage in xenstore and a
# frontend domain destroyed mid-handshake leave the daemon serving; the
# restriction to the frontend's domain is in force in each instance;
# SIGTERM stops everything.  Also issue 5's acceptance with a real
# daemon answering: attach with backend=2, libxl's layout, detach's
# handshake served by domain 2, no stray nodes.
. "$(dirname "$0")/lib/sim-lib.sh"
TESTD="$DUET_BUILD/tests/helpers/backend-testd"
[ -x "$TESTD" ] || { echo "1..0 # SKIP $TESTD not built"; exit 77; }
command -v xenstore-ls >/dev/null 2>&1 || {
	echo "1..0 # SKIP xenstore-ls missing (xenstore-utils)"; exit 77; }

"$DUET" sim start >/dev/null || { echo "Bail out! cannot start"; exit 1; }
g1=$("$DUET" sim domain create guest)
dd=$("$DUET" sim domain create netdd)
g3=$("$DUET" sim domain create guest3)
is "$g1/$dd/$g3" "1/2/3" "domains 1 (guest), 2 (driver domain), 3 (guest)"
eval "$("$DUET" sim env 0)"
xenstore-ls -f > "$D/before"

rd() { xenstore-read "$1" 2>/dev/null; }
node_is() { [ "$(rd "$1")" = "$2" ]; }
alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }
dead() { ! alive "$1"; }
# as DOMID CMD...: run CMD in domain DOMID.
as() { ( d=$1; shift; eval "$("$DUET" sim env "$d")"; exec "$@" ); }

# ---------------------------------------------------------------- dom0
"$TESTD" --test-types vif,duet-test --grace 1 >"$D/d0.log" 2>&1 &
d0=$!
BG_PIDS="$BG_PIDS $d0"
until_ok 5 test -s "$D/backend-0.status"
ok $? "daemon in dom0 publishes its status file"
grep -q "^daemon $d0 0\$" "$D/backend-0.status"
ok $? "  naming its pid and domain"

be=/local/domain/0/backend/vif/1
"$DUET" attach 1 'vif=bridge=br0' >/dev/null
"$DUET" attach 1 'vif=bridge=br0' >/dev/null
until_ok 5 node_is $be/0/state 2 && until_ok 5 node_is $be/1/state 2
ok $? "two devices appear: each backend reaches InitWait"
p0=$(rd $be/0/duet-test-pid)
p1=$(rd $be/1/duet-test-pid)
ok $([ "$p0" != "$p1" ] && alive "$p0" && alive "$p1" && echo 0 || echo 1) \
	"  one instance process each ($p0, $p1)"
is "$(rd $be/0/duet-test-restrict)" "-1" \
	"  the instance is restricted to its frontend (third domain: EPERM)"
is "$(rd $be/0/duet-test-fe-evtchn)" "1" \
	"  and still reaches the frontend's domain"
grep -q "^device vif 1 0 $p0 0 running\$" "$D/backend-0.status"
ok $? "  the status file lists pid and restarts"

as 1 xenstore-write /local/domain/1/device/vif/0/state 3
until_ok 5 node_is $be/0/state 4
ok $? "frontend Initialised: the instance connects (backend Connected)"

xenstore-write $be/0/duet-test-crash 0
until_ok 5 node_is $be/0/duet-test-restarts 1
ok $? "instance 0 crashes (SIGSEGV): restarted with restarts 1"
ok $(dead "$p0" && echo 0 || echo 1) "  the crashed process is gone"
p0b=$(rd $be/0/duet-test-pid)
ok $([ "$p0b" != "$p0" ] && alive "$p0b" && echo 0 || echo 1) \
	"  a new process serves it ($p0b)"
ok $(alive "$p1" && alive "$d0" && echo 0 || echo 1) \
	"  the other instance and the daemon kept running"
is "$(rd $be/1/duet-test-restarts)" "0" "  the other was not restarted"
until_ok 5 grep -q "^device vif 1 0 $p0b 1 running\$" "$D/backend-0.status"
ok $? "  status shows the new pid and 1 restart"
is "$(grep -c 'vif 1/0: instance failed (killed by signal 11)' "$D/d0.log")" \
	1 "  the crash is logged once"

xenstore-write $be/1/duet-test-fail 0
until_ok 5 node_is $be/1/duet-test-restarts 1
ok $? "instance 1 returns -EIO: restarted with restarts 1"
grep -q "vif 1/1: instance failed (exit status 1)" "$D/d0.log"
ok $? "  logged as a failure"

# garbage: bad names and a malformed online node
xenstore-write $be/abc/online 1
xenstore-write /local/domain/0/backend/vif/abc/0/online 1
xenstore-write /local/domain/0/backend/vif/099/0/online 1
xenstore-write /local/domain/0/backend/vif/1/7/online yes
xenstore-write /local/domain/0/backend/vif/1/8/online ""
xenstore-write /local/domain/0/backend/duet-test/1/99999999999/online 1
until_ok 5 grep -q "duet-test/1/99999999999: not a device id" "$D/d0.log"
ok $? "a devid that overflows is reported"
ok $(alive "$d0" && echo 0 || echo 1) "the daemon survives garbage"
for what in "vif/1/abc: not a device id" "vif/abc: not a frontend domid" \
	"vif/099: not a frontend domid" "vif/1/7/online: not" \
	"vif/1/8/online: not"; do
	is "$(grep -c "$what" "$D/d0.log")" 1 "  '$what' logged once"
done
xenstore-write /local/domain/0/backend/vif/1/7/online yes
sleep 0.2
is "$(grep -c "vif/1/7/online: not" "$D/d0.log")" 1 \
	"  and not again when written again"
ok $(! grep -q "device vif 1 7 " "$D/backend-0.status" && echo 0 || echo 1) \
	"  no instance for a malformed online"
for n in abc 099 1/abc 1/7 1/8; do
	xenstore-rm /local/domain/0/backend/vif/$n
done
xenstore-rm /local/domain/0/backend/duet-test

# detach with the close handshake; a fake frontend answers Closing
(
	eval "$("$DUET" sim env 1)"
	until_ok 5 node_is $be/0/state 5
	xenstore-write /local/domain/1/device/vif/0/state 6
) &
BG_PIDS="$BG_PIDS $!"
p0=$(rd $be/0/duet-test-pid)
"$DUET" detach --timeout 5 1 vif:0 >/dev/null 2>"$D/err"
ok $? "detach: the instance answers the close handshake"
until_ok 5 dead "$p0"
ok $? "  the instance ended"
until_ok 5 eval '! grep -q "device vif 1 0 " "$D/backend-0.status"'
ok $? "  and left the status file"

p1=$(rd $be/1/duet-test-pid)
xenstore-rm $be/1
until_ok 5 dead "$p1"
ok $? "backend dir removed: the instance is stopped (SIGTERM)"
xenstore-rm /local/domain/1/device/vif/1
xenstore-rm /libxl/1/device/vif/1

# an instance that ignores SIGTERM is killed after --grace
"$DUET" attach 1 'vif=bridge=br0' >/dev/null
until_ok 5 node_is $be/0/state 2
p=$(rd $be/0/duet-test-pid)
xenstore-write $be/0/duet-test-stubborn 1
until_ok 5 node_is $be/0/duet-test-hanging 1
xenstore-rm $be/0
until_ok 5 dead "$p"
ok $? "an instance that ignores SIGTERM is gone after the grace period"
grep -q "vif 1/0: instance $p ignored SIGTERM: SIGKILL" "$D/d0.log"
ok $? "  killed with SIGKILL, logged"
"$DUET" detach --force 1 vif:0 >/dev/null

# frontend domain destroyed mid-handshake
"$DUET" attach 1 'vif=bridge=br0' >/dev/null
"$DUET" attach $g3 'vif=bridge=br0' >/dev/null
b3=/local/domain/0/backend/vif/$g3/0
until_ok 5 node_is $be/0/state 2 && until_ok 5 node_is $b3/state 2
ok $? "devices of guests 1 and 3 served"
pa=$(rd $be/0/duet-test-pid)
p3=$(rd $b3/duet-test-pid)
as $g3 xenstore-write /local/domain/$g3/device/vif/0/state 3
until_ok 5 node_is $b3/state 4
"$DUET" sim domain destroy $g3
until_ok 5 dead "$p3"
ok $? "guest 3 destroyed mid-handshake: its instance ends"
ok $(alive "$d0" && alive "$pa" && echo 0 || echo 1) \
	"  the daemon and guest 1's instance keep running"
"$DUET" attach 1 'vif=bridge=br0' >/dev/null
until_ok 5 node_is $be/1/state 2
ok $? "  and a new device is still served"
"$DUET" detach --force $g3 vif:0 >/dev/null 2>&1
xenstore-rm /local/domain/0/backend/vif/$g3
xenstore-rm /libxl/$g3

# an instance ends when its frontend directory vanishes; the device is
# served again only once it is attached again (state back to 1)
pe=$(rd $be/1/duet-test-pid)
xenstore-rm /local/domain/1/device/vif/1
until_ok 5 dead "$pe"
ok $? "frontend directory removed: the instance ends"
until_ok 5 grep -q "^device vif 1 1 - 0 ended\$" "$D/backend-0.status"
ok $? "  status: ended"
xenstore-write $be/1/unrelated 1
sleep 0.2
is "$(rd $be/1/duet-test-pid)" "$pe" "  other writes do not restart it"
xenstore-write /local/domain/1/device/vif/1/state 1
xenstore-write $be/1/state 1
until_ok 5 eval '[ "$(rd $be/1/duet-test-pid)" != "$pe" ]'
ok $? "  attached again (state Initialising): a new instance serves it"
is "$(rd $be/1/duet-test-restarts)" 0 "  as a first start (restarts 0)"
grep -q "vif 1/1: attached again" "$D/d0.log"; ok $? "  logged"

pa=$(rd $be/0/duet-test-pid)
pb=$(rd $be/1/duet-test-pid)
kill -TERM "$d0"
until_ok 5 dead "$d0"
ok $? "SIGTERM: the daemon exits"
wait "$d0"
is $? 0 "  with status 0"
ok $(dead "$pa" && dead "$pb" && echo 0 || echo 1) \
	"  after stopping every instance"
ok $([ ! -e "$D/backend-0.status" ] && echo 0 || echo 1) \
	"  and removing its status file"
"$DUET" detach --force 1 vif:0 >/dev/null
"$DUET" detach --force 1 vif:1 >/dev/null

# ------------------------------------------------- driver domain 2
(
	eval "$("$DUET" sim env "$dd")"
	exec "$TESTD" --test-types vif >"$D/d2.log" 2>&1
) &
d2=$!
BG_PIDS="$BG_PIDS $d2"
until_ok 5 test -s "$D/backend-2.status"
ok $? "daemon in driver domain 2 runs"
out=$("$DUET" attach 1 'vif=bridge=br0,backend=2')
ok $? "duet attach 1 'vif=bridge=br0,backend=2'"
b2=/local/domain/2/backend/vif/1/0
f2=/local/domain/1/device/vif/0
until_ok 5 node_is $b2/state 2
ok $? "  domain 2's instance reaches InitWait"
xenstore-ls -f > "$D/ls"
val() { sed -n "s|^$1 = \"\(.*\)\"\$|\1|p" "$D/ls"; }
is "$(val $f2/backend)" "$b2" "  xenstore-ls: the frontend links to domain 2"
is "$(val $f2/backend-id)" "2" "  backend-id 2"
is "$(val $b2/frontend)" "$f2" "  the backend links to the frontend"
is "$(val $b2/frontend-id)" "1" "  frontend-id 1"
is "$(val $b2/online)" "1" "  online 1"
is "$(val $b2/bridge)" "br0" "  bridge br0"
is "$(val /libxl/1/device/vif/0/backend)" "$b2" "  /libxl records it"
is "$(val $b2/duet-test-restrict)" "-1" "  the instance is restricted"
p2=$(val $b2/duet-test-pid)
as 1 xenstore-write $f2/state 3
until_ok 5 node_is $b2/state 4
ok $? "  and connects when the frontend is Initialised"
grep -q "^device vif 1 0 $p2 0 running\$" "$D/backend-2.status"
ok $? "  status file of domain 2 lists it"
xenstore-write $b2/duet-test-crash 0
until_ok 5 node_is $b2/duet-test-restarts 1
ok $? "  a crash in the driver domain is restarted too"
(
	eval "$("$DUET" sim env 1)"
	until_ok 5 node_is $b2/state 5
	xenstore-write $f2/state 6
) &
BG_PIDS="$BG_PIDS $!"
"$DUET" detach --timeout 5 1 vif:0 >/dev/null 2>"$D/err"
ok $? "duet detach: domain 2's instance answers the handshake"
xenstore-ls -f > "$D/after"
grep -v "^/local/domain/$g3" "$D/before" | cmp -s - "$D/after"
rc=$?
ok $rc "  no stray nodes: the store is as before (less guest 3)"
[ $rc -eq 0 ] || diff "$D/before" "$D/after" | sed 's/^/# /'
kill -INT "$d2"
until_ok 5 dead "$d2"
ok $? "SIGINT stops the daemon in domain 2"

"$TESTD" --bogus 2>"$D/err"
is $? 2 "a bad argument: exit 2"
is "$(wc -l < "$D/err")" 1 "  one line"
"$DUET" backend --types nosuch 2>"$D/err"
is $? 2 "duet backend --types nosuch: exit 2"
grep -q "unknown device type 'nosuch'" "$D/err"; ok $? "  naming it"
"$DUET" backend --domid 40000 2>/dev/null
is $? 2 "duet backend --domid 40000: exit 2"
DUET_NETBACK_POLL_US=20000 "$DUET" backend 2>"$D/err"
is "$?/$(wc -l < "$D/err")" "2/1" "DUET_NETBACK_POLL_US=20000: exit 2, one line"
grep -q "DUET_NETBACK_POLL_US='20000'" "$D/err"; ok $? "  naming it"
"$DUET" backend --help | grep -q "usage: duet backend"
ok $? "duet backend --help"
done_testing

#!/bin/sh
# toolstack-status.sh - `duet status [--all]` on the simulator: one stable
# line per device with both states by name, the feature-* nodes of each
# end, queues, ring pages, ring refs, event channels, and the serving
# daemon's instance pid and restart count; the view of dom0, of the guest
# and of driver domain 2; a stale daemon status file is ignored; hostile
# values print as "?"; bad arguments exit 2.
. "$(dirname "$0")/lib/sim-lib.sh"
TESTD="$DUET_BUILD/tests/helpers/backend-testd"
[ -x "$TESTD" ] || { echo "1..0 # SKIP $TESTD not built"; exit 77; }
command -v xenstore-write >/dev/null 2>&1 || {
	echo "1..0 # SKIP xenstore-write missing (xenstore-utils)"; exit 77; }

"$DUET" sim start >/dev/null || { echo "Bail out! cannot start"; exit 1; }
"$DUET" sim domain create guest >/dev/null
"$DUET" sim domain create netdd >/dev/null
eval "$("$DUET" sim env 0)"
node_is() { [ "$(xenstore-read "$1" 2>/dev/null)" = "$2" ]; }
as() { ( d=$1; shift; eval "$("$DUET" sim env "$d")"; exec "$@" ); }

out=$("$DUET" status)
ok $? "no devices: exit 0"
is "$out" "" "  and no output"

"$DUET" attach 1 'vif=bridge=br0' >/dev/null
"$DUET" attach 1 'vif=bridge=br0,backend=2' >/dev/null
"$DUET" attach 1 'disk=/srv/g.img,raw,xvda,rw' >/dev/null
F=/local/domain/1/device/vif/0
as 1 xenstore-write $F/tx-ring-ref 8 $F/rx-ring-ref 9 $F/event-channel 3 \
	$F/feature-rx-notify 1 $F/feature-sg 0 $F/request-rx-copy 1
xenstore-write /local/domain/0/backend/vif/1/0/feature-rx-copy 1 \
	/local/domain/0/backend/vif/1/0/feature-sg 1
V=/local/domain/1/device/vbd/51712
as 1 xenstore-write $V/multi-queue-num-queues 2 $V/ring-page-order 1 \
	$V/queue-0/ring-ref0 10 $V/queue-0/ring-ref1 11 \
	$V/queue-0/event-channel 5 $V/queue-1/ring-ref0 12 \
	$V/queue-1/ring-ref1 13 $V/queue-1/event-channel 6
"$DUET" status > "$D/s0"
ok $? "dom0: exit 0"
cat > "$D/want0" <<EOF
vbd be=0 fe=1 devid=51712 be-state=Initialising fe-state=Initialising be-features=- fe-features=- queues=2 ring-pages=2 ring-refs=4 evtchns=5,6 dma=- instance=- restarts=- daemon=- stats=-
vif be=0 fe=1 devid=0 be-state=Initialising fe-state=Initialising be-features=rx-copy,sg fe-features=rx-notify queues=1 ring-pages=1 ring-refs=2 evtchns=3 dma=- instance=- restarts=- daemon=- stats=-
EOF
cmp -s "$D/want0" "$D/s0"; rc=$?
ok $rc "  dom0 lists the devices it serves, one line each"
[ $rc -eq 0 ] || diff "$D/want0" "$D/s0" | sed 's/^/# /'

"$DUET" status --all > "$D/sall"
cat "$D/want0" > "$D/wantall"
echo "vif be=2 fe=1 devid=1 be-state=Initialising fe-state=Initialising be-features=- fe-features=- queues=1 ring-pages=- ring-refs=0 evtchns=- dma=- instance=- restarts=- daemon=- stats=-" >> "$D/wantall"
cmp -s "$D/wantall" "$D/sall"; rc=$?
ok $rc "--all adds domain 2's device"
[ $rc -eq 0 ] || diff "$D/wantall" "$D/sall" | sed 's/^/# /'

as 1 "$DUET" status > "$D/s1"
cmp -s "$D/wantall" "$D/s1"
ok $? "the guest sees its three devices (it is their frontend)"
as 2 "$DUET" status > "$D/s2"
is "$(cat "$D/s2")" "$(tail -1 "$D/wantall")" "domain 2 sees the one it serves"
as 2 "$DUET" status --all 2>"$D/err"
is $? 1 "--all in a domU: exit 1"
grep -q "needs dom0" "$D/err"; ok $? "  saying it needs dom0"

# a daemon serving the vif in dom0
"$TESTD" --test-types vif >"$D/d0.log" 2>&1 &
d0=$!
BG_PIDS="$BG_PIDS $d0"
until_ok 5 node_is /local/domain/0/backend/vif/1/0/state 2
pid=$(xenstore-read /local/domain/0/backend/vif/1/0/duet-test-pid)
"$DUET" status | grep "^vif be=0 " > "$D/line"
grep -q " be-state=InitWait .* instance=$pid restarts=0 daemon=running stats=test-restarts:0,test-pid:$pid\$" \
	"$D/line"
ok $? "a served device shows the instance pid, restarts and counters"
xenstore-write /local/domain/0/backend/vif/1/0/duet-test-crash 0
until_ok 5 node_is /local/domain/0/backend/vif/1/0/duet-test-restarts 1
pid=$(xenstore-read /local/domain/0/backend/vif/1/0/duet-test-pid)
until_ok 5 sh -c "'$DUET' status | grep -q 'instance=$pid restarts=1 daemon=running'"
ok $? "  after a crash: the new pid and restarts=1"
kill -KILL "$d0"
wait "$d0" 2>/dev/null
"$DUET" status | grep "^vif be=0 " > "$D/line"
grep -q " instance=- restarts=- daemon=- stats=-\$" "$D/line"
ok $? "a status file left by a dead daemon is ignored"

# hostile values
as 1 xenstore-write $F/state "4x" $F/event-channel "1e3" \
	$F/multi-queue-num-queues 999
"$DUET" status | grep "^vif be=0 " > "$D/line"
grep -q " fe-state=? .* queues=? .*evtchns=? " "$D/line"
ok $? "malformed state, queues and event channel print as ?"

"$DUET" status --bogus 2>"$D/err"
is $? 2 "a bad argument: exit 2"
is "$(wc -l < "$D/err")" 1 "  one line"
"$DUET" status --help | grep -q "usage: duet status"
ok $? "--help"
done_testing

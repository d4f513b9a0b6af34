#!/bin/sh
# toolstack-detach.sh - `duet detach` performs libxl's close handshake:
# online=0 and state=5 in the backend dir, a wait for the backend to reach
# Closed, then removal of every node (the store equals the one before
# attach).  A fake backend answers from inside driver domain 2 (its own
# xenstore connection, so permissions are real); the timeout path leaves
# the nodes in place; --force removes them without waiting; a frontend
# domain destroyed mid-handshake does not block the detach.
. "$(dirname "$0")/lib/sim-lib.sh"
command -v xenstore-ls >/dev/null 2>&1 || {
	echo "1..0 # SKIP xenstore-ls missing (xenstore-utils)"; exit 77; }

"$DUET" sim start >/dev/null || { echo "Bail out! cannot start"; exit 1; }
guest=$("$DUET" sim domain create guest)
drv=$("$DUET" sim domain create netdd)
is "$guest/$drv" "1/2" "domains 1 (guest) and 2 (driver domain)"
eval "$("$DUET" sim env 0)"
xenstore-ls -f > "$D/before"
be=/local/domain/2/backend/vif/1/0
fe=/local/domain/1/device/vif/0

# fake_peers: a backend in domain 2 and a frontend in domain 1, each on
# its own xenstore connection, both Connected; on Closing from the
# toolstack they answer as Linux's drivers do: the frontend sees the
# backend Closing and goes Closed, the backend then sees the frontend
# Closed and goes Closed.  The backend records what it saw in $D/fake.
fake_peers() {
	(
		eval "$("$DUET" sim env 1)"
		xenstore-write $fe/state 4
		i=0
		while [ "$(xenstore-read $be/state 2>/dev/null)" != 5 ] &&
			[ $i -lt 500 ]; do sleep 0.02; i=$((i + 1)); done
		xenstore-write $fe/state 6
	) &
	BG_PIDS="$BG_PIDS $!"
	(
		eval "$("$DUET" sim env 2)"
		xenstore-write $be/state 4
		echo connected > "$D/fake.up"
		i=0
		while [ "$(xenstore-read $be/state 2>/dev/null)" != 5 ] &&
			[ $i -lt 500 ]; do sleep 0.02; i=$((i + 1)); done
		echo "online=$(xenstore-read $be/online)" > "$D/fake"
		while [ "$(xenstore-read $fe/state 2>/dev/null)" != 6 ] &&
			[ $i -lt 500 ]; do sleep 0.02; i=$((i + 1)); done
		xenstore-write $be/state 6
	) &
	BG_PIDS="$BG_PIDS $!"
}

"$DUET" attach 1 'vif=bridge=br0,backend=2' >/dev/null
ok $? "attach a vif served by domain 2"
rm -f "$D/fake" "$D/fake.up"
fake_peers
wait_file "$D/fake.up"
i=0
while [ "$(xenstore-read $fe/state)" != 4 ] && [ $i -lt 200 ]; do
	sleep 0.02; i=$((i + 1)); done
out=$("$DUET" detach 1 vif:0 2>"$D/err")
ok $? "detach with a backend that closes: exit 0"
is "$out" "detached vif 0 from domain 1" "  says what it detached"
wait_file "$D/fake"
is "$(cat "$D/fake")" "online=0" \
	"  the backend saw state 5 with online 0 already written"
xenstore-ls -f > "$D/after"
cmp -s "$D/before" "$D/after"
rc=$?
ok $rc "  no stray nodes: the store is as before attach"
[ $rc -eq 0 ] || diff "$D/before" "$D/after" | sed 's/^/# /'

"$DUET" attach 1 'vif=bridge=br0,backend=2' >/dev/null
xenstore-write $fe/state 4
xenstore-write $be/state 4
start=$(date +%s%N)
"$DUET" detach --timeout 0.5 1 vif:0 2>"$D/err"
rc=$?
el=$((($(date +%s%N) - start) / 1000000))
is $rc 1 "nobody answers: exit 1"
ok $([ $el -ge 450 ] && [ $el -lt 5000 ] && echo 0 || echo 1) \
	"  after about --timeout (${el} ms)"
is "$(wc -l < "$D/err")" "1" "  one line"
grep -q "backend Closing, frontend Connected" "$D/err"
ok $? "  naming both states"
is "$(xenstore-read $be/state)/$(xenstore-read $be/online)" "5/0" \
	"  nodes left in place, backend asked to close"
is "$(xenstore-read $fe/state)" "4" "  frontend node untouched"
"$DUET" detach --force 1 vif:0 >/dev/null
ok $? "--force removes it without waiting"
xenstore-ls -f > "$D/after"
cmp -s "$D/before" "$D/after"; ok $? "  no stray nodes"

# Frontend domain destroyed mid-handshake: the backend reaches Closed, the
# frontend dir is gone with its domain; detach completes.
g2=$("$DUET" sim domain create guest2)
xenstore-ls -f > "$D/before2"
"$DUET" attach "$g2" 'vif=bridge=br0,backend=2' >/dev/null
xenstore-write /local/domain/$g2/device/vif/0/state 4
xenstore-write /local/domain/2/backend/vif/$g2/0/state 4
(
	eval "$("$DUET" sim env 2)"
	i=0
	while [ "$(xenstore-read /local/domain/2/backend/vif/$g2/0/state)" \
		!= 5 ] && [ $i -lt 500 ]; do sleep 0.02; i=$((i + 1)); done
	"$DUET" sim domain destroy "$g2" 2>/dev/null ||
		DUET_DOMID=0 "$DUET" sim domain destroy "$g2"
	xenstore-write /local/domain/2/backend/vif/$g2/0/state 6
) &
BG_PIDS="$BG_PIDS $!"
"$DUET" detach --timeout 5 "$g2" vif:0 >/dev/null 2>"$D/err"
ok $? "frontend domain destroyed mid-handshake: detach completes"
ok $([ -z "$(xenstore-ls -f /local/domain/2/backend 2>/dev/null |
	grep "/$g2/")" ] && echo 0 || echo 1) "  its backend nodes are gone"
ok $([ -z "$(xenstore-ls -f /libxl 2>/dev/null | grep "^/libxl/$g2/")" ] &&
	echo 0 || echo 1) "  and its /libxl record"

"$DUET" detach --timeout 0 1 vif:0 2>"$D/err"
is $? 2 "--timeout 0: exit 2"
is "$(wc -l < "$D/err")" "1" "  one line"
"$DUET" detach --bogus 1 vif:0 2>"$D/err"
is $? 2 "unknown option: exit 2"
"$DUET" detach --help | grep -q "close handshake"
ok $? "--help describes the handshake"
done_testing

#!/bin/sh
# sim-cli.sh - "duet sim" command line: start/stop/status, double start and
# stop-when-not-running errors, bad arguments exit 2, domains, env, exec.
. "$(dirname "$0")/lib/sim-lib.sh"

"$DUET" sim status >/dev/null 2>&1; ok $((! $?)) "status before start fails"
"$DUET" sim stop 2>"$D/err"; ok $(($? != 1)) "stop when not running: exit 1"
grep -q "no simulator running" "$D/err"; ok $? "  and says so"
"$DUET" sim start >"$D/out"; ok $? "start"
grep -q "started in $D" "$D/out"; ok $? "  says where"
"$DUET" sim start 2>"$D/err"; ok $(($? != 1)) "second start on the same dir: exit 1"
grep -q "already running" "$D/err"; ok $? "  and says so"
"$DUET" sim status >"$D/out"; ok $? "status while running"
grep -q "Domain-0" "$D/out"; ok $? "  lists domain 0"

for args in "" "bogus" "start extra" "domain" "domain create" \
	"domain create bad/name" "domain destroy x" "domain destroy -1" \
	"env" "env abc" "exec 1" "exec 1 --" "--frob" "start --grant-frames 0" \
	"status --dir"; do
	# shellcheck disable=SC2086
	"$DUET" sim $args >/dev/null 2>"$D/err"
	rc=$?
	is "$rc" 2 "bad arguments '$args': exit 2"
	is "$(wc -l <"$D/err")" 1 "  with a one-line reason"
done
"$DUET" sim --help | grep -q "DUET_SIM_DIR"; ok $? "--help documents the directory choice"

is "$("$DUET" sim domain create front)" 1 "domain create prints domid 1"
is "$("$DUET" sim domain create back)" 2 "second domain gets 2"
"$DUET" sim domain destroy 7 2>/dev/null; is $? 1 "destroy of a missing domain: exit 1"
"$DUET" sim domain destroy 0 2>/dev/null; is $? 1 "domain 0 cannot be destroyed"
"$DUET" sim env 9 2>/dev/null; is $? 1 "env of a missing domain: exit 1"

eval "$("$DUET" sim env 2)"
is "$DUET_DOMID" 2 "env sets DUET_DOMID"
is "$DUET_PLATFORM" "sim:$D" "env sets DUET_PLATFORM"
is "$XENSTORED_PATH" "$D/xs-2.sock" "env sets XENSTORED_PATH"
is "$("$DUET" platform)" "platform sim, domid 2" "a process in the env is in domain 2"
unset DUET_DOMID DUET_PLATFORM XENSTORED_PATH
is "$("$DUET" sim exec 1 -- "$DUET" platform)" "platform sim, domid 1" \
	"exec runs a command in domain 1"
is "$("$DUET" sim exec 1 -- sh -c 'echo $XENSTORED_PATH')" "$D/xs-1.sock" \
	"  with its xenstore socket"
"$DUET" sim exec 1 -- /nonexistent/cmd 2>/dev/null; is $? 127 "exec of a missing command: 127"

"$DUET" sim domain destroy 1; ok $? "destroy domain 1"
"$DUET" sim exec 1 -- true 2>/dev/null; is $? 1 "exec in a destroyed domain: exit 1"
is "$("$DUET" sim domain create again)" 1 "its domid is reused"

if [ "$(id -u)" -eq 0 ] && ip netns list >/dev/null 2>&1; then
	id=$("$DUET" sim domain create netdom --netns)
	ok $? "domain with its own network namespace ($id)"
	ns=$("$DUET" sim status | awk -v id="$id" '$1 == id { print $3 }')
	ip netns list | grep -q "^$ns"; ok $? "  namespace $ns exists"
	links=$("$DUET" sim exec "$id" -- ip -o link show | wc -l)
	is "$links" 1 "  exec runs inside it (only lo is there)"
	"$DUET" sim domain destroy "$id"
	ip netns list | grep -q "^$ns"; ok $((! $?)) "  destroy removes the namespace"
else
	echo "# skipping --netns checks: not root or no ip netns"
fi

"$DUET" sim stop >"$D/out"; ok $? "stop"
"$DUET" sim status >/dev/null 2>&1; is $? 1 "status after stop: exit 1"
[ ! -e "$D/ctl-0.sock" ]; ok $? "sockets removed"
"$DUET" sim start --dir "$D" --grant-frames 2 >/dev/null; ok $? "restart on the same dir"
"$DUET" sim stop --dir "$D" >/dev/null; ok $? "stop again"
done_testing

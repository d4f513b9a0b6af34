#!/bin/sh
# sim-processes.sh - real processes in simulated domains: a page shared by
# one process is mapped by another (read-only enforced), an event-channel
# ping-pong across processes, kill -9 of a granting process (its grant is
# revoked, its ping-pong peer times out instead of hanging; `duet sim
# status` counts the ports bound and unbound), and the stock
# xenstore tools through "duet sim env" with @releaseDomain on destroy.
. "$(dirname "$0")/lib/sim-lib.sh"

"$DUET" sim start >/dev/null || { echo "Bail out! cannot start"; exit 1; }
front=$("$DUET" sim domain create front)
back=$("$DUET" sim domain create back)
other=$("$DUET" sim domain create other)

# A shared page across processes.
"$DUET" sim exec "$front" -- "$DUET" sim share-page "$back" "hello from front" \
	>"$D/ref" &
BG_PIDS="$!"
wait_file "$D/ref"; ok $? "front shares a page (ref $(cat "$D/ref"))"
ref=$(cat "$D/ref")
is "$("$DUET" sim exec "$back" -- "$DUET" sim map-page "$front" "$ref" "hi front")" \
	"hello from front" "back maps it in another process and reads it"
is "$("$DUET" sim exec "$back" -- "$DUET" sim map-page "$front" "$ref")" \
	"hi front" "back's write is in the page"
"$DUET" sim exec "$other" -- "$DUET" sim map-page "$front" "$ref" 2>"$D/err"
is $? 1 "another domain cannot map it"
grep -q "Invalid argument" "$D/err"; ok $? "  (-EINVAL, as gntdev on Xen)"
kill "$BG_PIDS"; wait "$BG_PIDS"; ok $? "front ends access and exits cleanly"
BG_PIDS=""
"$DUET" sim exec "$back" -- "$DUET" sim map-page "$front" "$ref" 2>/dev/null
is $? 1 "after the end of access the ref maps no more"

"$DUET" sim exec "$front" -- "$DUET" sim share-page "$back" "read only" --ro \
	>"$D/roref" &
BG_PIDS="$!"
wait_file "$D/roref"
roref=$(cat "$D/roref")
"$DUET" sim exec "$back" -- "$DUET" sim map-page "$front" "$roref" 2>"$D/err"
is $? 1 "read-only grant mapped writable is refused"
is "$("$DUET" sim exec "$back" -- "$DUET" sim map-page "$front" "$roref" --ro)" \
	"read only" "read-only grant maps read-only"

# kill -9 of the granting process: its grant is revoked.
kill -9 "$BG_PIDS"; wait "$BG_PIDS" 2>/dev/null
BG_PIDS=""
sleep 0.1
"$DUET" sim exec "$back" -- "$DUET" sim map-page "$front" "$roref" --ro 2>"$D/err"
is $? 1 "grant of a process killed with -9 is revoked"
grants=$("$DUET" sim status | awk -v id="$front" '$1 == id { print $5 }')
is "$grants" "0/32760" "front's grant table is empty again"

# Event channels across processes.
"$DUET" sim exec "$front" -- "$DUET" sim evtchn-ping "$back" 200 >"$D/ping" &
ping=$!
BG_PIDS="$ping"
wait_file "$D/ping"
port=$(head -1 "$D/ping")
"$DUET" sim exec "$back" -- "$DUET" sim evtchn-pong "$front" "$port" 200 >"$D/pong"
is $? 0 "pong answered until the pinger left"
wait "$ping"; is $? 0 "ping did 200 round trips"
BG_PIDS=""
grep -q "answered 200 events" "$D/pong"; ok $? "  200 answers counted"
grep -q "200 round trips" "$D/ping"; ok $? "  $(tail -1 "$D/ping")"

# kill -9 of the peer mid ping-pong: the survivor times out.
"$DUET" sim exec "$front" -- "$DUET" sim evtchn-ping "$back" 100000000 \
	>"$D/ping2" 2>"$D/ping2.err" &
ping=$!
BG_PIDS="$ping"
wait_file "$D/ping2"
port=$(head -1 "$D/ping2")
"$DUET" sim exec "$back" -- "$DUET" sim evtchn-pong "$front" "$port" >"$D/pong2" &
pong=$!
BG_PIDS="$ping $pong"
# `duet sim status`: column 6 = ports allocated, 7 = ports bound to a peer.
evt() { "$DUET" sim status | awk -v id="$1" -v f="$2" '$1 == id { print $f }'; }
bound_is() { [ "$(evt "$1" 7)" = "$2" ]; }
until_ok 10 bound_is "$back" 1
is "$(evt "$front" 6) $(evt "$front" 7) $(evt "$back" 7)" "1 1 1" \
	"status: front's port allocated and bound, back's bound"
sleep 0.3
kill -9 "$pong"
until_ok 10 bound_is "$back" 0
ok $? "status: back's port is no longer bound after its kill -9"
wait "$ping"; rc=$?
BG_PIDS=""
is "$rc" 1 "pinger fails when its peer is killed with -9 (no hang)"
grep -q "Connection timed out" "$D/ping2.err"
ok $? "  with -ETIMEDOUT (a notify to a dead peer is dropped, as on Xen)"

# The stock xenstore tools, through duet sim env.
(
	eval "$("$DUET" sim env "$front")"
	xenstore-write data/greeting "hello"
) 
is $? 0 "front writes its own xenstore node with xenstore-write"
is "$("$DUET" sim exec 0 -- xenstore-read "/local/domain/$front/data/greeting")" \
	"hello" "dom0 reads it with xenstore-read"
"$DUET" sim exec "$back" -- xenstore-write "/local/domain/$front/data/greeting" x \
	2>/dev/null
ok $((! $?)) "back may not write front's node"
"$DUET" sim exec 0 -- sh -c 'xenstore-watch -n 2 @releaseDomain' >"$D/watch" &
BG_PIDS="$!"
sleep 0.2
"$DUET" sim domain destroy "$front"
wait "$BG_PIDS"
BG_PIDS=""
is "$(grep -c @releaseDomain "$D/watch")" 2 \
	"@releaseDomain fires on domain destroy (after the initial event)"
"$DUET" sim exec 0 -- xenstore-read "/local/domain/$front/name" 2>/dev/null
ok $((! $?)) "the destroyed domain's xenstore directory is gone"
done_testing

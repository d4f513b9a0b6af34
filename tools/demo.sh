#!/bin/sh
# demo.sh - "make demo": the simulator at work, told in plain words.
#
# Starts a private simulator, creates two domains, shares a page from one
# and maps it in the other (separate processes), shows a third domain being
# refused, ping-pongs event-channel notifications, reads and writes
# xenstore with the stock xenstore-* tools, and stops the simulator.
set -eu

B="${DUET_BUILD:-$(cd "$(dirname "$0")/.." && pwd)/build}"
DUET="$B/bin/duet"
[ -x "$DUET" ] || { echo "demo: $DUET is not built (run make)" >&2; exit 1; }
D=$(mktemp -d /tmp/duet-demo.XXXXXX)
BG=""
cleanup() {
	[ -n "$BG" ] && kill $BG 2>/dev/null || true
	"$DUET" sim stop --dir "$D" >/dev/null 2>&1 || true
	rm -rf "$D"
}
trap cleanup EXIT
unset DUET_PLATFORM DUET_DOMID XENSTORED_PATH
export DUET_SIM_DIR="$D"
say() { printf '%s\n' "$*"; }
step() { printf '\n== %s\n' "$*"; }

wait_file() {
	i=0
	while [ ! -s "$1" ] && [ $i -lt 500 ]; do sleep 0.01; i=$((i + 1)); done
}

step "1. Start the simulator"
"$DUET" sim start --dir "$D" >/dev/null
say "The simulator daemon runs in $D (domain 0 exists from the start)."
front=$("$DUET" sim domain create frontend)
back=$("$DUET" sim domain create backend)
other=$("$DUET" sim domain create intruder)
say "Created domain $front (frontend), domain $back (backend) and domain $other (intruder)."

step "2. Share a page across processes"
"$DUET" sim exec "$front" -- "$DUET" sim share-page "$back" \
	"Hello backend, this page is yours." >"$D/share.out" &
BG=$!
wait_file "$D/share.out"
ref=$(head -1 "$D/share.out")
say "A process in the frontend (domain $front) allocated a page, wrote a"
say "greeting into it and granted it to the backend: grant reference $ref."
seen=$("$DUET" sim exec "$back" -- "$DUET" sim map-page "$front" "$ref" \
	"Thanks frontend, got it.")
say "Another process, in the backend (domain $back), mapped grant $ref of"
say "domain $front and read: \"$seen\"; then it wrote a reply into the page."
if "$DUET" sim exec "$other" -- "$DUET" sim map-page "$front" "$ref" \
	>/dev/null 2>"$D/err"; then
	say "UNEXPECTED: the intruder could map the page"; exit 1
fi
say "The intruder (domain $other) tried to map the same grant and was refused:"
say "  $(cat "$D/err")"
kill "$BG"; wait "$BG" || true
BG=""
say "The frontend ended the grant; the page it owned now says:"
say "  \"$(sed -n 2p "$D/share.out")\""

step "3. Event-channel ping-pong"
"$DUET" sim exec "$front" -- "$DUET" sim evtchn-ping "$back" 1000 >"$D/ping" &
BG=$!
wait_file "$D/ping"
port=$(head -1 "$D/ping")
say "The frontend allocated event-channel port $port for the backend."
"$DUET" sim exec "$back" -- "$DUET" sim evtchn-pong "$front" "$port" >"$D/pong"
wait "$BG"
BG=""
say "The backend bound to it; the two processes then sent notifications back"
say "and forth: $(tail -1 "$D/ping")."
say "When the frontend closed its port, the backend noticed:"
say "  $(cat "$D/pong")"

step "4. XenStore with the stock tools"
(
	eval "$("$DUET" sim env "$front")"
	xenstore-write device/demo/greeting "written by the frontend"
)
say "In the frontend's environment (eval \"\$(duet sim env $front)\"),"
say "xenstore-write stored device/demo/greeting (relative to /local/domain/$front)."
val=$("$DUET" sim exec 0 -- xenstore-read "/local/domain/$front/device/demo/greeting")
say "Domain 0 read it back with xenstore-read: \"$val\"."
if "$DUET" sim exec "$back" -- xenstore-write \
	"/local/domain/$front/device/demo/greeting" "hijacked" 2>"$D/err"; then
	say "UNEXPECTED: the backend could overwrite the frontend's node"; exit 1
fi
say "The backend tried to overwrite it and was refused: $(cat "$D/err")."
say "The store as xenstore-ls sees it from domain 0:"
"$DUET" sim exec 0 -- xenstore-ls /local/domain | sed 's/^/  /'

step "5. Stop"
"$DUET" sim domain destroy "$other"
say "Domain $other was destroyed (xenstore fired @releaseDomain)."
"$DUET" sim stop --dir "$D" >/dev/null
say "The simulator stopped. Everything above ran without Xen."

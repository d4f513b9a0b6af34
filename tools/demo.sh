#!/bin/sh
# demo.sh - "make demo": the simulator at work, told in plain words.
#
# Starts a private simulator, creates two domains, shares a page from one
# and maps it in the other (separate processes), shows a third domain being
# refused, ping-pongs event-channel notifications, reads and writes
# xenstore with the stock xenstore-* tools.  Then the main job: a driver
# domain runs `duet backend`; a disk and a NIC are attached to a guest
# with xl syntax and backend=<driver domain>; the guest writes a file
# system image through its disk (duet's blkfront as an nbdkit export, fed
# by nbdcopy), reads it back and verifies it, and runs iperf3 over its
# vif (duet's netfront and netback).  Needs root for the network part.
#
# Every step is checked: a step that fails, or an iperf3 run that measures
# 0 Mbit/s, ends the demo with "demo: FAILED in step ..." and exit status 1.
set -eu

B="${DUET_BUILD:-$(cd "$(dirname "$0")/.." && pwd)/build}"
DUET="$B/bin/duet"
[ -x "$DUET" ] || { echo "demo: $DUET is not built (run make)" >&2; exit 1; }
D=$(mktemp -d /tmp/duet-demo.XXXXXX)
BG=""
STEP="setup"
cleanup() {
	rc=$?
	[ -n "$BG" ] && kill $BG 2>/dev/null || true
	[ -s "$D/iperf3.pid" ] && kill "$(cat "$D/iperf3.pid")" 2>/dev/null || true
	"$DUET" sim stop --dir "$D" >/dev/null 2>&1 || true
	rm -rf "$D"
	[ "$rc" -eq 0 ] ||
		printf 'demo: FAILED in step "%s" (exit status %d)\n' \
			"$STEP" "$rc" >&2
	exit "$rc"
}
trap cleanup EXIT
unset DUET_PLATFORM DUET_DOMID XENSTORED_PATH
export DUET_SIM_DIR="$D"
say() { printf '%s\n' "$*"; }
step() { STEP="$*"; printf '\n== %s\n' "$*"; }
# fail REASON: the current step did not do what it says.
fail() { printf 'demo: %s\n' "$*" >&2; exit 1; }

need() {
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 ||
			{ echo "demo: $t is missing (make deps installs it)" >&2; exit 1; }
	done
}
need nbdkit nbdcopy mke2fs iperf3 ip sha256sum xenstore-ls
PLUGIN="$B/lib/nbdkit-duet-plugin.so"
[ -f "$PLUGIN" ] || { echo "demo: $PLUGIN is not built (nbdkit-plugin-dev)" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "demo: run as root (TAP devices, network namespaces)" >&2; exit 1; }

# mbps BYTES NANOSECONDS
mbps() { awk -v b="$1" -v ns="$2" 'BEGIN { printf "%.0f", b / (ns / 1e9) / 1e6 }'; }

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
[ -s "$D/share.out" ] || fail "share-page printed no grant reference"
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
[ -s "$D/ping" ] || fail "evtchn-ping printed no port"
port=$(head -1 "$D/ping")
say "The frontend allocated event-channel port $port for the backend."
"$DUET" sim exec "$back" -- "$DUET" sim evtchn-pong "$front" "$port" 1000 >"$D/pong"
wait "$BG"
BG=""
say "The backend bound to it; the two processes then sent notifications back"
say "and forth: $(tail -1 "$D/ping")."
say "The backend counted:"
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

step "5. A driver domain and a guest"
"$DUET" sim domain destroy "$other"
say "Domain $other was destroyed (xenstore fired @releaseDomain)."
dd=$("$DUET" sim domain create driver --netns)
guest=$("$DUET" sim domain create guest --netns)
say "Created domain $dd (driver domain) and domain $guest (guest), each with"
say "its own network namespace, like two VMs."
"$DUET" sim exec "$dd" -- "$DUET" backend >"$D/backend.log" 2>&1 &
BG=$!
say "The driver domain runs 'duet backend' (like 'xl devd'): it serves every"
say "device whose backend is domain $dd, one process per device."
eval "$("$DUET" sim env 0)"

step "6. A disk, through the driver domain"
truncate -s 64M "$D/disk.img"
spec="disk=$D/disk.img,raw,xvda,rw,backend=driver"
"$DUET" attach "$guest" "$spec" >/dev/null
say "Domain 0 attached it with xl syntax: duet attach $guest '$spec'"
say "(libxl's xenstore layout, domain $dd as backend)."
mkdir -p "$D/fs"
head -c 12M /dev/urandom > "$D/fs/random.bin"
cp "$0" "$D/fs/demo.sh"
mke2fs -q -F -t ext4 -d "$D/fs" "$D/fs.img" 48M >/dev/null
sum=$(sha256sum < "$D/fs.img" | cut -c1-16)
say "A 48 MiB ext4 image with 12 MiB of random data in it: sha256 $sum..."
t0=$(date +%s%N)
"$DUET" sim exec "$guest" -- nbdkit -U - "$PLUGIN" devid=xvda \
	--run "nbdcopy '$D/fs.img' \"\$uri\"" >"$D/nbd.log" 2>&1 ||
	{ cat "$D/nbd.log"; exit 1; }
t1=$(date +%s%N)
"$DUET" sim exec "$guest" -- nbdkit -U - "$PLUGIN" devid=xvda \
	--run "nbdcopy \"\$uri\" '$D/back.img'" >"$D/nbd.log" 2>&1 ||
	{ cat "$D/nbd.log"; exit 1; }
t2=$(date +%s%N)
say "In the guest, nbdkit exported the disk through duet's blkfront, and"
say "nbdcopy wrote the image in ($(mbps $((48 << 20)) $((t1 - t0))) MB/s, with"
say "nbdkit's start-up) and read the whole disk back ($(mbps $((64 << 20)) $((t2 - t1))) MB/s)."
back=$(head -c $((48 << 20)) "$D/back.img" | sha256sum | cut -c1-16)
file=$(head -c $((48 << 20)) "$D/disk.img" | sha256sum | cut -c1-16)
[ "$back" = "$sum" ] && [ "$file" = "$sum" ] ||
	{ say "MISMATCH: image $sum, read back $back, backing file $file"; exit 1; }
say "Read back: sha256 $back...; the driver domain's backing file: $file..."
e2fsck -fn "$D/back.img" >"$D/fsck.log" 2>&1 ||
	fail "e2fsck found errors: $(tail -1 "$D/fsck.log")"
say "Bit-identical. The file system checks clean:"
tail -1 "$D/fsck.log" | sed 's/^/  /'
say "What both ends negotiated (duet status --all):"
"$DUET" status --all >"$D/status" || fail "duet status --all failed"
grep -q '^vbd' "$D/status" || fail "duet status --all shows no vbd"
grep '^vbd' "$D/status" | tr ' ' '\n' | grep -E \
	'^(be|fe|be-state|fe-state|be-features|fe-features|queues|ring-pages|instance)=' |
	tr '\n' ' ' | fold -s -w 76 | sed 's/^/  /'
echo

step "7. A network interface, through the driver domain"
in_dd() { "$DUET" sim exec "$dd" -- "$@"; }
in_gu() { "$DUET" sim exec "$guest" -- "$@"; }
in_dd ip link add br0 type bridge
in_dd ip addr add 10.99.0.1/24 dev br0
in_dd ip link set br0 up
spec="vif=bridge=br0,mac=00:16:3e:00:00:99,backend=driver"
"$DUET" attach "$guest" "$spec" >/dev/null
say "duet attach $guest '$spec'"
in_gu "$DUET" netfront 0 >"$D/netfront.log" 2>&1 &
BG="$BG $!"
i=0
until in_gu ip link show eth0 >/dev/null 2>&1 || [ $i -ge 100 ]; do
	sleep 0.1; i=$((i + 1))
done
in_gu ip link show eth0 >/dev/null 2>&1 ||
	fail "netfront made no eth0: $(tail -1 "$D/netfront.log")"
in_gu ip link set lo up
in_gu ip addr add 10.99.0.2/24 dev eth0
in_gu ip link set eth0 up
say "The guest runs 'duet netfront 0': its vif is the TAP eth0 (10.99.0.2);"
say "the driver domain's netback put vif$guest.0 on its bridge br0 (10.99.0.1)."
i=0
until in_gu ping -c 1 -W 1 10.99.0.1 >/dev/null 2>&1 || [ $i -ge 20 ]; do
	i=$((i + 1))
done
in_gu ping -c 3 -i 0.2 -q 10.99.0.1 >"$D/ping.out" 2>&1 ||
	fail "the guest cannot ping the driver domain: $(tail -1 "$D/ping.out")"
say "ping guest -> driver domain: $(tail -1 "$D/ping.out")"
in_dd iperf3 -s -1 -D -B 10.99.0.1 -I "$D/iperf3.pid" >/dev/null 2>&1 ||
	fail "the iperf3 server did not start in the driver domain"
sleep 0.3
in_gu iperf3 -c 10.99.0.1 -t 3 -J > "$D/iperf.json" 2>/dev/null ||
	fail "iperf3 failed: $(grep '"error"' "$D/iperf.json" || echo no result)"
bw=$(awk -F: '/"bits_per_second"/ { v = $2 } END { gsub(/[ ,]/, "", v); printf "%.0f", v / 1e6 }' "$D/iperf.json")
[ -n "$bw" ] && [ "$bw" -gt 0 ] ||
	fail "iperf3 TCP, guest -> driver domain: ${bw:-no} Mbit/s measured"
say "iperf3 TCP, guest -> driver domain, 3 s: $bw Mbit/s through netfront and"
say "netback (grant copy, checksum and segmentation offloads)."

step "8. Detach and stop"
"$DUET" detach "$guest" xvda >/dev/null && "$DUET" detach "$guest" 0 >/dev/null
say "duet detach closed both devices (XenBus Closing -> Closed) and removed"
say "their nodes."
"$DUET" sim stop --dir "$D" >/dev/null
say "The simulator stopped. Everything above ran without Xen."

#!/bin/sh
# net-dma.sh - issue 13: netback's frames through the emulated NIC behind
# each DMA backend of the registry (`duet backend --dma list`), with duet's
# netfront unchanged.  Per backend: ping both ways with a pattern the
# echo replies must carry back (iputils compares the data), 20000-byte
# pings (IP fragments over several slots), 1 MiB of random data over TCP
# each way compared byte for byte, no checksum errors, and `duet status`
# naming the backend (dma=) with no device fault and at least the grants
# the transfers needed mapped for the device (dma-grants).  DMA_BACKENDS
# limits the list.
. "$(dirname "$0")/lib/sim-lib.sh"
. "$(dirname "$0")/lib/net-lib.sh"

bes=${DMA_BACKENDS:-$("$DUET" backend --dma list)}
[ -n "$bes" ] || { echo "Bail out! no DMA backend listed"; exit 1; }
head -c 1048576 /dev/urandom > "$D/data"
mkfifo "$D/fifo"

# ping_ok FROM TO SIZE PATTERN: every echo reply came back, intact.
ping_ok() {
	"$DUET" sim exec $1 -- ping -c 3 -i 0.2 -W 2 -s $3 -p $4 $2 \
		> "$D/ping.out" 2>&1 &&
		grep -q " 0% packet loss" "$D/ping.out" &&
		! grep -q "wrong data" "$D/ping.out"
}

# tcp_copy FROM TO-DOMID TO-ADDR: send $D/data over TCP; 0 when what
# arrived is the same bytes.  The listener's stdin is a FIFO nobody
# writes (busybox nc would end the connection at EOF of its stdin).
tcp_copy() {
	rm -f "$D/got"
	"$DUET" sim exec $2 -- sh -c \
		"timeout 20 busybox nc -l -p 5300 <> '$D/fifo' > '$D/got' 2>/dev/null" &
	lpid=$!
	until_ok 10 sh -c "'$DUET' sim exec $2 -- ss -Hltn 'sport = :5300' |
		grep -q ."
	"$DUET" sim exec $1 -- sh -c \
		"timeout 20 busybox nc -w 3 $3 5300 < '$D/data' >/dev/null 2>&1"
	wait $lpid
	cmp -s "$D/data" "$D/got"
}

# grants_at_least N: one ping, then dma-grants in duet status is >= N.
grants_at_least() {
	in_gu ping -c 1 -W 1 10.77.0.1 >/dev/null 2>&1
	n=$(in_dd "$DUET" status | grep "^vif " | tr ' ,' '\n\n' |
		sed -n 's/^dma-grants://p')
	[ "${n:-0}" -ge "$1" ]
}

for be in $bes; do
	NET_BACKEND_ARGS="--dma $be" net_setup ""
	ping_ok $GU 10.77.0.1 1000 a5
	ok $? "$be: ping guest -> driver domain, replies intact"
	ping_ok $DD 10.77.0.2 20000 5a
	ok $? "$be: 20000-byte pings driver domain -> guest, intact"
	tcp_copy $GU $DD 10.77.0.1
	ok $? "$be: 1 MiB over TCP guest -> driver domain, byte for byte"
	tcp_copy $DD $GU 10.77.0.2
	ok $? "$be: 1 MiB over TCP driver domain -> guest, byte for byte"
	is "$(csum_errors $GU)/$(csum_errors $DD)" "0/0" \
		"$be: no checksum errors"
	in_dd "$DUET" status | grep "^vif " > "$D/st"
	grep -q " dma=$be " "$D/st"
	ok $? "$be: duet status names the backend"
	tr ' ,' '\n\n' < "$D/st" | grep -qx "dma-faults:0"
	ok $? "$be: no device fault"
	# The counters are published at most twice a second, when traffic
	# wakes netback: ping until they show what the transfers mapped.
	until_ok 10 grants_at_least 550
	ok $? "$be: the frames went through the device (dma-grants:$n)"
	kill $NF_PID $NB_PID 2>/dev/null
	wait $NF_PID $NB_PID 2>/dev/null
	"$DUET" sim stop --dir "$D" >/dev/null 2>&1
	BG_PIDS=
done
done_testing

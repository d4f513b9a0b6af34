#!/bin/sh
# net-ctrl.sh - issue 7: the control ring.  `duet netfront --queues 4
# --hash-mapping ...` gives netback a control ring (feature-ctrl-ring,
# ctrl-ring-ref, event-channel-ctrl) and sets Toeplitz hashing, the RSS
# key and a mapping table; netback then puts every received frame on the
# rx ring of the queue the table names for its hash (its per-queue
# counters q<N>-rx in `duet status` show where frames went):
#   - mapping "2": every frame of 4 parallel iperf3 flows lands on queue 2
#   - mapping "0,1,2,3": 8 parallel flows use several rx queues, and one
#     flow at a time with a fixed client port lands on the queue that
#     Toeplitz(10.77.0.1, 10.77.0.2, port, 5201) % 4 names (computed by
#     tests/helpers/toeplitz-queue with the same key), two flows for each
#     of the 4 queues.
. "$(dirname "$0")/lib/sim-lib.sh"
. "$(dirname "$0")/lib/net-lib.sh"
TQ="$DUET_BUILD/tests/helpers/toeplitz-queue"

stats() { in_dd "$DUET" status | sed -n 's/^vif .* stats=//p'; }
# stat NAME: one counter from the latest stats line.
stat() { stats | tr ',' '\n' | awk -F: -v k="$1" '$1 == k { print $2 }'; }
rxq() { # rxq N: frames netback put on queue N's rx ring
	v=$(stat "q$1-rx")
	echo "${v:-0}"
}
# wait_stat NAME VALUE: the counters are published every 0.5 s.
wait_stat() {
	i=0
	while [ "$(stat "$1")" != "$2" ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ "$(stat "$1")" = "$2" ]
}

net_setup "" --queues 4 --hash-mapping 2
is "$(xenstore-read $BE/feature-ctrl-ring)" "1" \
	"netback offers feature-ctrl-ring"
xenstore-read $FE/ctrl-ring-ref >/dev/null 2>&1 &&
	xenstore-read $FE/event-channel-ctrl >/dev/null 2>&1
ok $? "netfront wrote ctrl-ring-ref and event-channel-ctrl"
wait_stat ctrl-ring 1
ok $? "netback mapped the control ring"
wait_stat hash-alg 1
ok $? "  and Toeplitz hashing is on"
bw=$(iperf_run $DD 10.77.0.2 2 -P 4)
ok $([ -n "$bw" ] && [ "$bw" -gt 0 ] && echo 0 || echo 1) \
	"4 TCP flows driver domain -> guest (${bw:-?} Mbit/s)"
sleep 1
echo "# stats: $(stats)"
q0=$(rxq 0) q1=$(rxq 1) q2=$(rxq 2) q3=$(rxq 3)
ok $([ "$q2" -gt 1000 ] && echo 0 || echo 1) \
	"mapping 2: queue 2 received $q2 frames"
ok $([ $((q0 + q1 + q3)) -eq 0 ] && echo 0 || echo 1) \
	"  and queues 0, 1, 3 none ($q0, $q1, $q3)"

# A spread mapping: netfront restarts with it (a new connection, a new
# control ring); the guest's TAP comes back without its address.
kill $NF_PID
wait $NF_PID 2>/dev/null
start_netfront --queues 4 --hash-mapping 0,1,2,3
wait_state $FE/state 4 && wait_state $BE/state 4
ok $? "netfront reconnects with mapping 0,1,2,3"
guest_up
wait_stat hash-alg 1
bw=$(iperf_run $DD 10.77.0.2 2 -P 8)
ok $([ -n "$bw" ] && [ "$bw" -gt 0 ] && echo 0 || echo 1) \
	"8 TCP flows driver domain -> guest (${bw:-?} Mbit/s)"
sleep 1
echo "# stats: $(stats)"
busy=0
for q in 0 1 2 3; do
	[ "$(rxq $q)" -gt 100 ] && busy=$((busy + 1))
done
ok $([ $busy -ge 2 ] && echo 0 || echo 1) \
	"mapping 0,1,2,3: the flows use $busy rx queues (>= 2)"

# One flow at a time from a fixed client port, two ports per queue (the
# first ones from 40001 up that the computation sends there): the queue
# whose counter grows by (nearly) all of the flow's frames is the one
# Toeplitz + mapping name.  (The iperf3 control connection's few frames
# go wherever their own port hashes.)
ports=
for q in 0 1 2 3; do
	n=0
	for port in $(seq 40001 40100); do
		[ "$("$TQ" 10.77.0.1 10.77.0.2 $port 5201 0,1,2,3 |
			cut -d' ' -f2)" = $q ] || continue
		ports="$ports $port"
		n=$((n + 1))
		[ $n -eq 2 ] && break
	done
done
for port in $ports; do
	exp=$("$TQ" 10.77.0.1 10.77.0.2 $port 5201 0,1,2,3 | cut -d' ' -f2)
	b0=$(rxq 0) b1=$(rxq 1) b2=$(rxq 2) b3=$(rxq 3)
	iperf_run $DD 10.77.0.2 1 --cport $port >/dev/null
	sleep 1
	d0=$(($(rxq 0) - b0)) d1=$(($(rxq 1) - b1))
	d2=$(($(rxq 2) - b2)) d3=$(($(rxq 3) - b3))
	eval "de=\$d$exp"
	tot=$((d0 + d1 + d2 + d3))
	got="$de of $tot frames ($d0/$d1/$d2/$d3)"
	ok $([ "$tot" -gt 100 ] && [ $((de * 10)) -ge $((tot * 9)) ] &&
		echo 0 || echo 1) \
		"flow 10.77.0.1:$port -> 10.77.0.2:5201: queue $exp got $got"
done
is "$(csum_errors $GU)/$(csum_errors $DD)" "0/0" "no checksum errors"
done_testing

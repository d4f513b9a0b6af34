#!/bin/sh
# net-multiqueue.sh - issue 7: a vif with 4 queues (multi-queue-max-queues
# from netback, multi-queue-num-queues and queue-N/ from netfront, one
# multi-queue TAP on each side): 8 parallel iperf3 TCP flows each way are
# spread over the queues, as netback's per-queue counters in `duet status`
# show (at least two queues carry traffic in each direction).
. "$(dirname "$0")/lib/sim-lib.sh"
. "$(dirname "$0")/lib/net-lib.sh"

net_setup "" --queues 4
is "$(xenstore-read $BE/multi-queue-max-queues)" "4" \
	"netback offers multi-queue-max-queues=4"
is "$(xenstore-read $FE/multi-queue-num-queues)" "4" \
	"netfront asks for 4 queues"
xenstore-read $FE/queue-3/tx-ring-ref >/dev/null 2>&1
ok $? "  with queue-3/tx-ring-ref"
bw=$(iperf_run $GU 10.77.0.1 2 -P 8)
ok $([ -n "$bw" ] && [ "$bw" -gt 0 ] && echo 0 || echo 1) \
	"8 TCP flows guest -> driver domain (${bw:-?} Mbit/s)"
bw=$(iperf_run $DD 10.77.0.2 2 -P 8)
ok $([ -n "$bw" ] && [ "$bw" -gt 0 ] && echo 0 || echo 1) \
	"8 TCP flows driver domain -> guest (${bw:-?} Mbit/s)"
sleep 1
stats=$(in_dd "$DUET" status | sed -n 's/^vif .* stats=//p')
echo "# stats: $stats"
busy() { # busy tx|rx: queues with more than 100 frames that way
	echo "$stats" | tr ',' '\n' |
		awk -F: -v d="$1" '$1 ~ "^q[0-9]+-" d "$" && $2 > 100 { n++ }
			END { print n + 0 }'
}
ok $([ "$(busy tx)" -ge 2 ] && echo 0 || echo 1) \
	"guest -> driver domain flows use $(busy tx) tx queues (>= 2)"
ok $([ "$(busy rx)" -ge 2 ] && echo 0 || echo 1) \
	"driver domain -> guest flows use $(busy rx) rx queues (>= 2)"
is "$(csum_errors $GU)/$(csum_errors $DD)" "0/0" "no checksum errors"
done_testing

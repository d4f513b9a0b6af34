#!/bin/sh
# net-gntfull.sh - issue 7: netfront asks for 4 queues, but the guest's
# grant table (--grant-frames 3: 1536 entries) holds only two queues'
# rings and buffers (2 * 256 + 2 pages each); the third queue's share
# fails with -ENOSPC, and netfront runs with 2 queues, as Linux's netfront
# keeps the queues it could create (on Xen the same happens when Linux's
# gntalloc reaches its limit of 1024 pages).  Traffic crosses both queues.
. "$(dirname "$0")/lib/sim-lib.sh"
. "$(dirname "$0")/lib/net-lib.sh"

NET_SIM_ARGS="--grant-frames 3" net_setup "" --queues 4
is "$(xenstore-read $FE/multi-queue-num-queues)" "2" \
	"netfront connects with 2 queues"
xenstore-read $FE/queue-1/tx-ring-ref >/dev/null 2>&1
ok $? "  queue-1/tx-ring-ref written"
xenstore-read $FE/queue-2/tx-ring-ref >/dev/null 2>&1
ok $([ $? -ne 0 ] && echo 0 || echo 1) "  no queue-2"
grep -q 'grant table full: 2 of 4 queues' "$D/netfront.log"
ok $? "netfront says why it has fewer queues"
bw=$(iperf_run $GU 10.77.0.1 2 -P 4)
ok $([ -n "$bw" ] && [ "$bw" -gt 0 ] && echo 0 || echo 1) \
	"4 TCP flows guest -> driver domain (${bw:-?} Mbit/s)"
done_testing

#!/bin/sh
# net-txmap.sh - issue 7: netback's transmit path by grant map
# (duet-tx-mode=map: the frontend's read-only tx pages are mapped, copied
# out and unmapped per batch) instead of grant copy: ping both ways,
# iperf3 TCP from the guest with SG and GSO, no checksum errors, and the
# instance says it maps (tx-map:1 in duet status).
. "$(dirname "$0")/lib/sim-lib.sh"
. "$(dirname "$0")/lib/net-lib.sh"

NET_BE_NODES="duet-tx-mode=map" net_setup ""
in_gu ping -c 3 -i 0.2 -W 2 10.77.0.1 >/dev/null
ok $? "ping guest -> driver domain"
in_dd ping -c 3 -i 0.2 -W 2 10.77.0.2 >/dev/null
ok $? "ping driver domain -> guest"
bw=$(iperf_run $GU 10.77.0.1 2)
ok $([ -n "$bw" ] && [ "$bw" -gt 0 ] && echo 0 || echo 1) \
	"iperf3 TCP guest -> driver domain by grant map (${bw:-?} Mbit/s)"
is "$(csum_errors $GU)/$(csum_errors $DD)" "0/0" "no checksum errors"
sleep 1
stats=$(in_dd "$DUET" status | sed -n 's/^vif .* stats=//p')
echo "$stats" | tr ',' '\n' | grep -qx "tx-map:1"
ok $? "the instance transmits by grant map (tx-map:1)"
done_testing

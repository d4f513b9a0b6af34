#!/bin/sh
# net-rxmap.sh - issue 7: netback's receive path by grant map
# (duet-rx-mode=map: the frontend's rx pages are mapped writable, the frame
# is copied in and the pages unmapped per batch) instead of grant copy:
# ping both ways, iperf3 TCP both ways with SG and GSO (64 KiB frames over
# 17 mapped pages), no checksum errors, and the instance says it maps
# (rx-map:1 in duet status).
. "$(dirname "$0")/lib/sim-lib.sh"
. "$(dirname "$0")/lib/net-lib.sh"

NET_BE_NODES="duet-rx-mode=map" net_setup ""
in_gu ping -c 3 -i 0.2 -W 2 10.77.0.1 >/dev/null
ok $? "ping guest -> driver domain"
in_dd ping -c 3 -i 0.2 -W 2 10.77.0.2 >/dev/null
ok $? "ping driver domain -> guest"
in_dd ping -c 2 -i 0.2 -W 2 -s 20000 10.77.0.2 >/dev/null
ok $? "ping driver domain -> guest with 20000-byte payloads"
bw=$(iperf_run $DD 10.77.0.2 2)
ok $([ -n "$bw" ] && [ "$bw" -gt 0 ] && echo 0 || echo 1) \
	"iperf3 TCP driver domain -> guest by grant map (${bw:-?} Mbit/s)"
bw=$(iperf_run $GU 10.77.0.1 2)
ok $([ -n "$bw" ] && [ "$bw" -gt 0 ] && echo 0 || echo 1) \
	"iperf3 TCP guest -> driver domain (${bw:-?} Mbit/s)"
is "$(csum_errors $GU)/$(csum_errors $DD)" "0/0" "no checksum errors"
sleep 1
stats=$(in_dd "$DUET" status | sed -n 's/^vif .* stats=//p')
echo "$stats" | tr ',' '\n' | grep -qx "rx-map:1"
ok $? "the instance receives by grant map (rx-map:1)"
echo "$stats" | tr ',' '\n' | grep -qx "rx-dropped:0"
ok $? "nothing dropped on the rx path (rx-dropped:0)"
done_testing

#!/bin/sh
# net-mtu9000.sh - issue 7: a vif with mtu=9000 and scatter-gather but no
# GSO, so every 9000-byte frame spans three ring slots (NETTXF_more_data /
# NETRXF_more_data), and one event channel for both rings (no
# feature-split-event-channels use): both TAPs get MTU 9000, unfragmented
# 9000-byte pings pass both ways, iperf3 TCP works both ways.
. "$(dirname "$0")/lib/sim-lib.sh"
. "$(dirname "$0")/lib/net-lib.sh"

net_setup "mtu=9000" --no-gso --no-split
in_dd ip link set br0 mtu 9000
in_gu ip -o link show eth0 | grep -q " mtu 9000 "
ok $? "guest eth0 has MTU 9000"
in_dd ip -o link show vif1.0 | grep -q " mtu 9000 "
ok $? "backend vif1.0 has MTU 9000"
is "$(xenstore-read $FE/feature-gso-tcpv4)" "0" "no GSO (feature-gso-tcpv4=0)"
xenstore-read $FE/event-channel >/dev/null 2>&1 &&
	! xenstore-read $FE/event-channel-tx >/dev/null 2>&1
ok $? "one event-channel node, no event-channel-tx"
in_gu ping -c 3 -i 0.2 -W 2 -M do -s 8972 10.77.0.1 >/dev/null
ok $? "9000-byte frames guest -> driver domain, unfragmented"
in_dd ping -c 3 -i 0.2 -W 2 -M do -s 8972 10.77.0.2 >/dev/null
ok $? "9000-byte frames driver domain -> guest, unfragmented"
bw=$(iperf_run $GU 10.77.0.1 1)
ok $([ -n "$bw" ] && [ "$bw" -gt 0 ] && echo 0 || echo 1) \
	"iperf3 TCP guest -> driver domain at MTU 9000 (${bw:-?} Mbit/s)"
bw=$(iperf_run $DD 10.77.0.2 1)
ok $([ -n "$bw" ] && [ "$bw" -gt 0 ] && echo 0 || echo 1) \
	"iperf3 TCP driver domain -> guest at MTU 9000 (${bw:-?} Mbit/s)"
is "$(csum_errors $GU)/$(csum_errors $DD)" "0/0" "no checksum errors"
done_testing

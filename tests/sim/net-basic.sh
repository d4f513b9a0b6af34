#!/bin/sh
# net-basic.sh - issue 7: a guest (domain 1) and a driver domain (domain 2),
# each in its own network namespace, connected by duet's netfront and
# netback (served by `duet backend`; rx by grant copy, tx by grant copy, scatter-gather, checksum and
# TCP segmentation offload on): the vif joins bridge br0, ping works both
# ways, a short iperf3 TCP run works both ways, the receiving kernels count
# no checksum errors, and both ends shut down cleanly.
. "$(dirname "$0")/lib/sim-lib.sh"
. "$(dirname "$0")/lib/net-lib.sh"

net_setup ""
in_dd ip -o link show vif1.0 | grep -q " master br0 "
ok $? "vif1.0 is a port of br0"
is "$(xenstore-read $BE/hotplug-status)" "connected" "hotplug-status connected"
is "$(xenstore-read $BE/feature-rx-copy)" "1" "backend offers feature-rx-copy"
is "$(xenstore-read $FE/request-rx-copy)" "1" "frontend asks for rx-copy"
in_gu ip -o link show eth0 | grep -q "link/ether 00:16:3e:00:00:02 "
ok $? "the guest's TAP has the vif's MAC"
in_gu ping -c 3 -i 0.2 -W 2 10.77.0.1 >/dev/null
ok $? "ping guest -> driver domain"
in_dd ping -c 3 -i 0.2 -W 2 10.77.0.2 >/dev/null
ok $? "ping driver domain -> guest"
in_gu ping -c 2 -i 0.2 -W 2 -s 20000 10.77.0.1 >/dev/null
ok $? "ping with 20000-byte payloads (IP fragments, SG)"
bw=$(iperf_run $GU 10.77.0.1 2)
ok $([ -n "$bw" ] && [ "$bw" -gt 0 ] && echo 0 || echo 1) \
	"iperf3 TCP guest -> driver domain (${bw:-?} Mbit/s)"
bw=$(iperf_run $DD 10.77.0.2 2)
ok $([ -n "$bw" ] && [ "$bw" -gt 0 ] && echo 0 || echo 1) \
	"iperf3 TCP driver domain -> guest (${bw:-?} Mbit/s)"
is "$(csum_errors $GU)/$(csum_errors $DD)" "0/0" \
	"no checksum errors in either kernel"
kill $NF_PID
wait $NF_PID
ok $? "netfront exits 0 on SIGTERM"
kill $NB_PID
wait $NB_PID
ok $? "the backend daemon exits 0 on SIGTERM"
in_dd ip link show vif1.0 >/dev/null 2>&1
ok $([ $? -ne 0 ] && echo 0 || echo 1) "vif1.0 is gone with its backend"
done_testing

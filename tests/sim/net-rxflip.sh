#!/bin/sh
# net-rxflip.sh - issue 7: the receive path by page transfer on the
# simulator: netback offers feature-rx-flip=1 (the platform can transfer
# pages), netfront --rx-flip writes request-rx-copy=0 and posts
# accept-transfer grants; every received page is handed over, not copied:
# ping both ways, iperf3 TCP into the guest, no checksum errors, rx-flip:1
# in duet status.
. "$(dirname "$0")/lib/sim-lib.sh"
. "$(dirname "$0")/lib/net-lib.sh"

net_setup "" --rx-flip
is "$(xenstore-read $BE/feature-rx-flip)" "1" \
	"netback offers feature-rx-flip=1 on the simulator"
is "$(xenstore-read $FE/request-rx-copy)" "0" \
	"netfront asks for page transfer (request-rx-copy=0)"
in_gu ping -c 3 -i 0.2 -W 2 10.77.0.1 >/dev/null
ok $? "ping guest -> driver domain"
in_dd ping -c 3 -i 0.2 -W 2 10.77.0.2 >/dev/null
ok $? "ping driver domain -> guest"
bw=$(iperf_run $DD 10.77.0.2 2)
ok $([ -n "$bw" ] && [ "$bw" -gt 0 ] && echo 0 || echo 1) \
	"iperf3 TCP driver domain -> guest by page transfer (${bw:-?} Mbit/s)"
is "$(csum_errors $GU)/$(csum_errors $DD)" "0/0" "no checksum errors"
sleep 1
stats=$(in_dd "$DUET" status | sed -n 's/^vif .* stats=//p')
echo "$stats" | tr ',' '\n' | grep -qx "rx-flip:1"
ok $? "the instance receives by page transfer (rx-flip:1)"
done_testing

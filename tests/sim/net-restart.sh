#!/bin/sh
# net-restart.sh - issue 7: kill -9 of the netback instance while iperf3
# runs: the backend daemon starts a new one, which finds the device
# Connected and resets it through Closing; netfront reconnects on its own,
# the vif rejoins the bridge, and ping and iperf3 work again.
. "$(dirname "$0")/lib/sim-lib.sh"
. "$(dirname "$0")/lib/net-lib.sh"

net_setup ""
"$DUET" sim exec $DD -- iperf3 -s -1 -D -B 10.77.0.1 >/dev/null 2>&1
sleep 0.3
"$DUET" sim exec $GU -- iperf3 -c 10.77.0.1 -t 4 > "$D/iperf-killed" 2>&1 &
IPERF=$!
sleep 1
pid=$(instance 5)
ok $([ -n "$pid" ] && kill -9 "$pid" && echo 0 || echo 1) \
	"netback instance $pid killed with SIGKILL during traffic"
i=0
while [ "$(instance 6)" != 1 ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
is "$(instance 6)" "1" "the daemon restarted it (restarts 1)"
i=0
while [ "$(xenstore-read $FE/state)" = 4 ] && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
wait_state $FE/state 4 && wait_state $BE/state 4
ok $? "the frontend reconnects to the new instance"
in_dd ip -o link show vif1.0 | grep -q " master br0 "
ok $? "the new vif1.0 is a port of br0"
wait $IPERF 2>/dev/null
i=0
while ! in_gu ping -c 1 -W 1 10.77.0.1 >/dev/null 2>&1 && [ $i -lt 20 ]; do
	i=$((i + 1))
done
in_gu ping -c 3 -i 0.2 -W 2 10.77.0.1 >/dev/null
ok $? "ping works again"
bw=$(iperf_run $GU 10.77.0.1 1)
ok $([ -n "$bw" ] && [ "$bw" -gt 0 ] && echo 0 || echo 1) \
	"iperf3 works again (${bw:-?} Mbit/s)"
kill -0 $NF_PID
ok $? "the same netfront process served throughout"
done_testing

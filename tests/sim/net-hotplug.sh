#!/bin/sh
# net-hotplug.sh - issue 7: the vif as libxl (xl create, xl devd) sets it
# up: libxl writes an empty hotplug-status with the backend directory,
# waits for the backend to reach InitWait, then runs vif-bridge itself,
# which joins the TAP to the bridge and writes hotplug-status=connected.
# netback must go to InitWait with its TAP made and without running the
# script, and connect only once hotplug-status says connected, even when
# the frontend is Connected long before (found by lab entry d: when the
# script ran first, libxl's 10 s wait for InitWait expired under load).
# Here the test plays libxl's part (the daemon runs with --hotplug
# toolstack, its default in domain 0 only).
. "$(dirname "$0")/lib/sim-lib.sh"
. "$(dirname "$0")/lib/net-lib.sh"

libxl_hotplug() {
	wait_state $BE/state 2
	ok $? "netback reaches InitWait before any hotplug script ran"
	wait_state $FE/state 4
	ok $? "netfront is Connected"
	sleep 1
	is "$(xenstore-read $BE/state)" "2" \
		"  netback stays in InitWait while hotplug-status is empty"
	in_dd ip link show vif$GU.0 >/dev/null 2>&1
	ok $? "  its TAP vif$GU.0 exists already"
	is "$(in_dd ip -o link show master br0 | grep -c "vif$GU.0")" "0" \
		"  and is not in the bridge (the script's job)"
	in_dd ip link set vif$GU.0 master br0
	in_dd ip link set vif$GU.0 up
	xenstore-write $BE/hotplug-status connected
}

NET_BACKEND_ARGS="--hotplug toolstack" NET_BE_NODES="hotplug-status=" \
	NET_HOTPLUG=libxl_hotplug net_setup ""
is "$(xenstore-read $BE/hotplug-status)" "connected" \
	"hotplug-status is the script's"
done_testing

#!/bin/bash
# Matrix entry f: Linux's xen-netback in dom0 serving duet's netfront in
# domU userspace.  The domU does not load xen-netfront; `duet netfront 0`
# (the host-built binary, shipped in the domU's initramfs) runs the vif
# as a TAP device eth0, with two queues and a control ring (Linux's
# netback offers feature-ctrl-ring; its own netfront never uses it, so
# this is where Linux's side of the control ring meets a peer: netfront
# selects Toeplitz hashing, sets key, flags and mapping, and every request
# must succeed).  The vif is a stock xl spec (kernel netback, vif-bridge
# into xenbr0).  Pings cross both ways; iperf3 runs dom0 ->
# domU and domU -> dom0.
set -eu
. /lab/lib.sh

NAME=lab-f
IP=10.0.0.6
LOG=$(console_log $NAME)

check "kernel xen-netback loaded" modprobe xen-netback
DOMU_MODULES=tun check "domU initramfs with duet, iperf3 and tun" \
	domu_initrd_with /tmp/$NAME.cpio \
	$LAB/duet/duet iperf3
domu_cfg $NAME "loglevel=6 lab=f labip=$IP" 256 \
	"vif = [ 'bridge=xenbr0,mac=00:16:3e:00:00:0f' ]"

check "xl create $NAME" domu_start $NAME /tmp/$NAME.cfg
D=$(xl domid $NAME 2>/dev/null) || D=
if wait_console $NAME '^DOMU-NET-READY' 240; then
	step "domU $NAME network up"
	section "dom0's view of the running domU"
	xl network-list $NAME || true
	xenstore-ls -f /local/domain/0/backend/vif/$D 2>/dev/null || true
	xenstore-ls -f /local/domain/$D/device/vif 2>/dev/null || true
	check "vif backend connected (state 4)" sh -c \
		"xenstore-ls -f /local/domain/0/backend/vif/$D | grep -q '/state = \"4\"'"
	check "frontend connected (state 4)" sh -c \
		"xenstore-ls -f /local/domain/$D/device/vif | grep -q '/state = \"4\"'"
	check "two queues" sh -c \
		"xenstore-ls -f /local/domain/$D/device/vif | grep -q '/queue-1/rx-ring-ref = '"
	check "frontend wrote ctrl-ring-ref" sh -c \
		"xenstore-ls -f /local/domain/$D/device/vif | grep -q '/ctrl-ring-ref = '"
	check "dom0 pings the domU" ping -c 3 -W 5 $IP
	check "dom0 pings the domU with 1400-byte packets" \
		ping -c 3 -W 5 -s 1400 $IP
	iperf_both $NAME $IP 5
else
	echo "domU $NAME did not bring its network up"
	FAILS=$((FAILS + 1))
fi
domu_release $NAME "$D"
check "duet netfront pings dom0" \
	grep -q 'DOMU-RESULT PASS netfront-ping-dom0' "$LOG"
check "Linux's netback answered every control request" \
	grep -q 'control ring: [1-9][0-9]* requests answered, 0 failed' "$LOG"
check "duet netfront ended cleanly" grep -q 'DOMU-F-NETFRONT-EXIT 0' "$LOG"
finish

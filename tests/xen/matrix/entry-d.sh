#!/bin/bash
# Matrix entry d: duet's netback in dom0 serving Linux's xen-netfront in a
# PV domU.  dom0's kernel netback is unloaded, so the vif libxl writes for
# a stock xl vif spec (bridge=xenbr0; libxl runs the vif-bridge hotplug
# script once the backend is in InitWait) is served by `duet backend`,
# whose TAP device vif<domid>.0 joins xenbr0.  Pings cross both ways;
# iperf3 runs dom0 -> domU and domU -> dom0 (the domU serves, dom0 is the
# client, -R for the reverse direction).
set -eu
. /lab/lib.sh

NAME=lab-d
IP=10.0.0.4
LOG=$(console_log $NAME)
BLOG=$RESULTS/d-backend.log

check "kernel xen-netback unloaded" modprobe -r xen-netback
check "no netback in /sys/bus/xen-backend/drivers" \
	test ! -e /sys/bus/xen-backend/drivers/vif
check "tun module (duet's netback makes TAP devices)" modprobe tun
duet_backend "$BLOG" --domid 0 --types vif
step "duet backend pid $DUET_BACKEND_PID"
check "domU initramfs with iperf3" domu_initrd_with /tmp/$NAME.cpio iperf3
domu_cfg $NAME "loglevel=6 lab=d labip=$IP" 256 \
	"vif = [ 'bridge=xenbr0,mac=00:16:3e:00:00:0d' ]"

check "xl create $NAME" domu_start $NAME /tmp/$NAME.cfg
D=$(xl domid $NAME 2>/dev/null) || D=
if wait_console $NAME '^DOMU-NET-READY' 240; then
	step "domU $NAME network up"
	section "dom0's view of the running domU"
	xl network-list $NAME || true
	BE=/local/domain/0/backend/vif/$D
	xenstore-ls -f $BE 2>/dev/null || true
	ip -br link show master xenbr0 || true
	check "vif backend connected (state 4)" sh -c \
		"xenstore-ls -f $BE | grep -q '/state = \"4\"'"
	check "vif$D.0 in bridge xenbr0" sh -c \
		"ip -br link show master xenbr0 | grep -q '^vif$D.0 '"
	DUET_PLATFORM=xen $LAB/duet/duet status > /tmp/status.txt 2>&1 || true
	cat /tmp/status.txt
	check "the daemon serves it (duet status)" \
		grep -q '^vif .*be-state=Connected.*daemon=running' /tmp/status.txt
	check "dom0 pings the domU" ping -c 3 -W 5 $IP
	check "dom0 pings the domU with 1400-byte packets" \
		ping -c 3 -W 5 -s 1400 $IP
	iperf_both $NAME $IP 5
else
	echo "domU $NAME did not bring its network up"
	FAILS=$((FAILS + 1))
fi
domu_release $NAME "$D"
check "netfront pings dom0" grep -q 'DOMU-RESULT PASS netfront-ping-dom0' "$LOG"
section "backend daemon log"
duet_backend_stop
cat "$BLOG"
modprobe xen-netback || echo "modprobe xen-netback failed"
finish

#!/bin/sh
# net-csum.sh - issue 7: checksums are right whether offloaded or not.
# With the frontend's checksum offload, SG and GSO off
# (feature-no-csum-offload=1), every frame crosses the vif with a full
# checksum and no "validated" flag, so each receiving kernel verifies it:
# TCP and UDP iperf3 runs both ways work and no kernel counts a checksum
# error.  Then the same with offloads on, UDP included (partial checksums
# completed by the receiving side's kernel or netback).
. "$(dirname "$0")/lib/sim-lib.sh"
. "$(dirname "$0")/lib/net-lib.sh"

net_setup "" --no-csum --no-sg
is "$(xenstore-read $FE/feature-no-csum-offload)" "1" \
	"frontend writes feature-no-csum-offload=1"
is "$(xenstore-read $FE/feature-sg)/$(xenstore-read $FE/feature-gso-tcpv4)" \
	"0/0" "  and feature-sg=0, feature-gso-tcpv4=0"
for dir in "$GU 10.77.0.1" "$DD 10.77.0.2"; do
	set -- $dir
	bw=$(iperf_run $1 $2 1)
	ok $([ -n "$bw" ] && [ "$bw" -gt 0 ] && echo 0 || echo 1) \
		"offloads off: TCP from domain $1 (${bw:-?} Mbit/s)"
	bw=$(iperf_run $1 $2 1 -u -b 100M -l 1400)
	ok $([ -n "$bw" ] && [ "$bw" -gt 0 ] && echo 0 || echo 1) \
		"offloads off: UDP from domain $1 (${bw:-?} Mbit/s)"
done
is "$(csum_errors $GU)/$(csum_errors $DD)" "0/0" \
	"offloads off: no checksum errors in either kernel"
kill $NF_PID
wait $NF_PID
ok $? "netfront stops cleanly"
is "$(xenstore-read $FE/state)" "6" "  leaving the frontend Closed"
start_netfront
# The backend tears the old connection down first: allow 30 s on a busy
# machine.
wait_state $FE/state 4 300 && wait_state $BE/state 4 300
ok $? "reconnected with offloads on"
is "$(xenstore-read $FE/feature-no-csum-offload)" "0" \
	"frontend writes feature-no-csum-offload=0"
in_gu ip addr add 10.77.0.2/24 dev eth0
i=0
while ! in_gu ping -c 1 -W 1 10.77.0.1 >/dev/null 2>&1 && [ $i -lt 20 ]; do
	i=$((i + 1))
done
for dir in "$GU 10.77.0.1" "$DD 10.77.0.2"; do
	set -- $dir
	bw=$(iperf_run $1 $2 1)
	ok $([ -n "$bw" ] && [ "$bw" -gt 0 ] && echo 0 || echo 1) \
		"offloads on: TCP from domain $1 (${bw:-?} Mbit/s)"
	bw=$(iperf_run $1 $2 1 -u -b 100M -l 1400)
	ok $([ -n "$bw" ] && [ "$bw" -gt 0 ] && echo 0 || echo 1) \
		"offloads on: UDP from domain $1 (${bw:-?} Mbit/s)"
done
is "$(csum_errors $GU)/$(csum_errors $DD)" "0/0" \
	"offloads on: no checksum errors in either kernel"
done_testing

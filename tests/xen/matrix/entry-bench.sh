#!/bin/bash
# make xen-bench, lab half (run-lab.sh with LAB_BENCH=1): the same fio
# jobs and iperf3 runs in one PV domU (disk + vif, stock xl specs), first
# over Linux's kernel blkback and netback, then over duet's (the kernel
# modules unloaded, `duet backend` serving vbd and vif); in between, the
# fio jobs over QEMU's qdisk (backendtype=qdisk: libxl starts
# qemu-system-xen in dom0 as the domU's disk backend; its vif stays on
# Linux's netback, so that run has no iperf3).
# The disk is a preallocated 1 GiB file on dom0's root file system (ext4;
# /tmp is a tmpfs too small for it), the same file for every backend.
# Results: $RESULTS/bench.txt, one "<metric> <backend> <value> <unit>"
# line per measurement; the host prints the ratios.
set -eu
. /lab/lib.sh

IMG=/var/lib/duet-lab/bench-disk.img
QEMU_XEN=/usr/libexec/xen-qemu-system-i386
OUTF=$RESULTS/bench.txt
IP=10.0.0.8
: > $OUTF
check "1 GiB bench disk on dom0's root" fallocate -l 1G $IMG
check "domU initramfs with fio and iperf3" \
	domu_initrd_with /tmp/bench.cpio fio iperf3

# num VALUE: fio's "12.3k" / "1234" / "4936KiB/s" style numbers in plain
# units (IOPS, MiB/s).
num() {
	awk -v v="$1" 'BEGIN {
		m = 1; u = v; sub(/^[0-9.]+/, "", u); n = substr(v, 1, length(v) - length(u))
		if (u ~ /^k/) m = 1000; else if (u ~ /^M/ && u !~ /B/) m = 1000000
		if (u ~ /^KiB/) m = 1 / 1024; else if (u ~ /^MiB/) m = 1; else if (u ~ /^GiB/) m = 1024
		printf "%.2f", n * m }'
}

# dom_cpu DOMID: the domain's CPU time so far in ms (xl vcpu-list: Name ID
# VCPU CPU State Time(s) Affinity; all vcpus; Xen's own accounting, so a backend's kernel and user work and the
# hypervisor's work on the domain's behalf all count).
dom_cpu() {
	xl vcpu-list "$1" 2>/dev/null |
		awk 'NR > 1 && $6 ~ /^[0-9.]+$/ { t += $6 } END { printf "%d", t * 1000 }'
}

# vif_frames DIR: frames the domU's vif carried so far in direction DIR
# ("" dom0 -> domU: the vif's tx_packets; -R: its rx_packets), counted by
# dom0's net device (Linux's netback device or duet's TAP: either way one
# count per (GSO) frame the backend handles).
vif_frames() {
	local f=tx_packets
	[ -z "$1" ] || f=rx_packets
	cat /sys/class/net/$VIF/statistics/$f 2>/dev/null || echo 0
}

# irq_counts: dom0's interrupts so far, as domu-init's irq_counts.
irq_counts() {
	awk 'NR == 1 { n = NF; next }
		$1 ~ /^[0-9]+:$/ { c = 0; for (i = 2; i <= n + 1; i++) c += $i
			if (c > 0) s[$NF] += c }
		END { for (k in s) printf "%s=%d ", k, s[k] }' /proc/interrupts
}

# domu_irqs DOMID TAG: the domU's interrupt counts (its irq_reporter, asked
# through data/irq-req); nothing when it has not answered within 8 s.
domu_irqs() {
	local i v
	xenstore-write /local/domain/$1/data/irq-req "$2" || return 0
	for i in $(seq 40); do
		v=$(xenstore-read /local/domain/$1/data/irq 2>/dev/null) || v=
		case "$v" in "\"$2\" "*) echo "${v#* }"; return 0 ;; esac
		sleep 0.2
	done
}

# irq_delta BEFORE AFTER RE FRAMES: the interrupts of the names matching
# the awk regex RE between two counts: "<total per frame> name=delta ...",
# busiest first.
irq_delta() {
	awk -v a="$1" -v b="$2" -v re="$3" -v fr="$4" 'BEGIN {
		n = split(a, x, " "); for (i = 1; i <= n; i++) { split(x[i], kv, "="); c[kv[1]] = kv[2] }
		n = split(b, x, " ")
		for (i = 1; i <= n; i++) { split(x[i], kv, "=")
			if (kv[1] !~ re) continue
			d = kv[2] - c[kv[1]]; if (d <= 0) continue
			t += d; l = l sprintf(" %s=%d", kv[1], d) }
		printf "%.2f%s\n", (fr > 0 ? t / fr : 0), l }'
}

# iperf_one DIR OUT: one 10 s iperf3 run, the receiver's Mbit/s on stdout.
iperf_one() {
	iperf3 -c $IP -t 10 -f m $1 > "$2" 2>&1 || true
	sed -n 's|.* \([0-9.]*\) Mbits/sec.* receiver|\1|p' "$2"
}

# median A B C...: the median of numbers.
median() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
		END { if (NR % 2) print v[(NR + 1) / 2]
		      else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# profile BE DIR M: one more iperf3 run, not counted in the figures,
# under perf in dom0 (when the image has it), over 8 s of the run: every
# busy thread's CPU time, context switches and system calls (perf stat
# -a --per-thread) and, for duet, where its netback instance's system
# calls spend their time (perf trace -s).  No sampled profile: in a PV
# dom0 every cpu-clock sample lands in the event upcall
# (xen_hypercall_pv), so perf record shows nothing of the work.  It waits
# for its own jobs only: duet's backend daemon is a child of this shell.
profile() {
	local be=$1 dir=$2 m=$3 ipid spid tpid p f fr inst=
	command -v perf > /dev/null || { echo "# no perf in dom0: no profile"; return 0; }
	mountpoint -q /sys/kernel/tracing ||
		mount -t tracefs tracefs /sys/kernel/tracing 2> /dev/null || true
	# duet's vif instance: the duet process holding the TAP device.
	for p in $(pgrep -x duet); do
		for f in /proc/$p/fd/*; do
			[ "$(readlink "$f")" != /dev/net/tun ] || inst=$p
		done
	done
	iperf3 -c $IP -t 12 -f m $dir > /tmp/iperf-prof.txt 2>&1 &
	ipid=$!
	sleep 2
	fr=$(vif_frames "$dir")
	perf stat -a --per-thread -x, -o /tmp/perf-stat.txt \
		-e task-clock,context-switches,raw_syscalls:sys_enter -- sleep 8 \
		> /dev/null 2>&1 &
	spid=$!
	: > /tmp/perf-trace.txt
	if [ -n "$inst" ]; then
		perf trace -s -p "$inst" -o /tmp/perf-trace.txt -- sleep 8 \
			> /dev/null 2>&1 &
		tpid=$!
		wait $tpid || true
	fi
	wait $spid
	fr=$(($(vif_frames "$dir") - fr))
	wait $ipid || true
	# Threads that did something: comm-tid, task-clock ms, switches, syscalls.
	awk -F, '$1 != "" && $1 !~ /^#/ { t = $1; sub(/^ */, "", t)
			if ($4 == "task-clock") ms[t] = $2
			else if ($4 == "context-switches") cs[t] = $2
			else if ($4 ~ /sys_enter/) sc[t] = $2 }
		END { for (t in ms) if (ms[t] + 0 >= 50)
			printf "%-28s %9.0f ms %9d switches %10d syscalls\n", t, ms[t], cs[t], sc[t] }' \
		/tmp/perf-stat.txt | sort -k2 -g -r > $RESULTS/profile-$be-$m-threads.txt
	# The instance's system calls, by total time.
	if grep -q ' calls ' /tmp/perf-trace.txt; then
		echo "instance $inst: syscall calls errors total-ms min-ms avg-ms max-ms stddev"
		awk 'NF >= 7 && $2 ~ /^[0-9]+$/' /tmp/perf-trace.txt | sort -k4 -g -r
	fi > $RESULTS/profile-$be-$m-syscalls.txt
	[ -s $RESULTS/profile-$be-$m-syscalls.txt ] ||
		rm -f $RESULTS/profile-$be-$m-syscalls.txt
	echo "# profile $be $m (iperf3 $(sed -n 's|.* \([0-9.]*\) Mbits/sec.* receiver|\1|p' /tmp/iperf-prof.txt) Mbit/s under perf, $fr frames in the 8 s):"
	cat $RESULTS/profile-$be-$m-* | sed 's/^/#   /'
}

# net_bench BE DOMID: iperf3 both ways, three rounds alternating the
# directions; per direction the median Mbit/s, and per frame the CPU time
# of dom0 and of the domU (Xen's accounting, over the three runs); then
# one profiled run per direction.
net_bench() {
	local be=$1 D=$2 r dir m v cpu0 cpud fr i0 id j0 jd e0 ed
	local -A vals=() c0=() cd=() nf=() q0=() qd=()
	VIF=vif$D.0
	for r in 1 2 3; do
		for dir in "" -R; do
			m=iperf3-dom0-to-domU
			[ -z "$dir" ] || m=iperf3-domU-to-dom0
			i0=$(irq_counts); id=$(domu_irqs "$D" "$r$dir-a")
			cpu0=$(dom_cpu 0); cpud=$(dom_cpu "$D"); fr=$(vif_frames "$dir")
			v=$(iperf_one "$dir" /tmp/iperf.txt)
			cpu0=$(($(dom_cpu 0) - cpu0)); cpud=$(($(dom_cpu "$D") - cpud))
			fr=$(($(vif_frames "$dir") - fr))
			j0=$(irq_counts); jd=$(domu_irqs "$D" "$r$dir-b")
			cat /tmp/iperf.txt
			check "$be: $m run $r" test -n "$v"
			echo "# $be $m run $r: ${v:-?} Mbit/s, $fr frames, CPU dom0 $cpu0 ms, domU $cpud ms"
			# Interrupts per frame: the domU's from its vif (netfront
			# names its event channels after the device: vif0-q0-tx
			# ...), dom0's from it (Linux's vifD.Q-* or a user event
			# channel of duet's: evtchn:duet).
			e0=$(irq_delta "$i0" "$j0" "^(vif$D[.]|evtchn:duet)" "$fr")
			echo "# $be $m run $r: dom0 irqs/frame ${e0:-?}"
			ed=
			if [ -n "$id" ] && [ -n "$jd" ]; then
				ed=$(irq_delta "$id" "$jd" "^vif" "$fr")
				echo "# $be $m run $r: domU irqs/frame $ed"
				echo "# $be $m run $r: domU all irqs: $(irq_delta "$id" "$jd" . 1)"
			fi
			[ -n "$v" ] || continue
			q0[$m]="${q0[$m]:-} ${e0%% *}"
			[ -z "$ed" ] || qd[$m]="${qd[$m]:-} ${ed%% *}"
			vals[$m]="${vals[$m]:-} $v"
			c0[$m]=$((${c0[$m]:-0} + cpu0))
			cd[$m]=$((${cd[$m]:-0} + cpud))
			nf[$m]=$((${nf[$m]:-0} + fr))
		done
	done
	for m in iperf3-dom0-to-domU iperf3-domU-to-dom0; do
		[ -n "${vals[$m]:-}" ] || continue
		# shellcheck disable=SC2086 # the runs' figures, one word each
		echo "$m $be $(median ${vals[$m]}) Mbit/s" >> "$OUTF"
		# shellcheck disable=SC2086
		echo "$m-runs $be $(echo ${vals[$m]} | tr ' ' /) Mbit/s" >> "$OUTF"
		[ "${nf[$m]}" -gt 0 ] || continue
		echo "$m-dom0-cpu $be $(awk -v c="${c0[$m]}" -v n="${nf[$m]}" \
			'BEGIN { printf "%.1f", c * 1000 / n }') us/frame" >> "$OUTF"
		echo "$m-domU-cpu $be $(awk -v c="${cd[$m]}" -v n="${nf[$m]}" \
			'BEGIN { printf "%.1f", c * 1000 / n }') us/frame" >> "$OUTF"
		# shellcheck disable=SC2086
		echo "$m-dom0-irq $be $(median ${q0[$m]}) irq/frame" >> "$OUTF"
		# shellcheck disable=SC2086
		[ -z "${qd[$m]:-}" ] ||
			echo "$m-domU-irq $be $(median ${qd[$m]}) irq/frame" >> "$OUTF"
	done
	profile "$be" "" dom0-to-domU
	profile "$be" -R domU-to-dom0
}

# run_one BACKEND [DISKOPTS] [NET]: create the domU (disk spec options
# DISKOPTS), measure, destroy it; NET=0 skips iperf3.
run_one() {
	local be=$1 diskopts=${2:-} net=${3:-1} name=bench-$1 log D
	log=$(console_log $name)
	DOMU_RAMDISK=/tmp/bench.cpio domu_cfg $name "loglevel=4 lab=bench labip=$IP" 768 \
		"disk = [ '${diskopts}format=raw, vdev=xvda, access=rw, target=$IMG' ]" \
		"vif = [ 'bridge=xenbr0,mac=00:16:3e:00:00:b0' ]"
	if domu_start $name /tmp/$name.cfg; then
		check "xl create $name" true
	else
		# Under TCG qemu-system-xen can take longer to answer than
		# libxl's fixed QMP command timeout (LIBXL_QMP_CMD_TIMEOUT,
		# 10 s: "Post DM startup configs failed, rc=-9"): one more
		# try before it counts as a failure.
		echo "xl create $name failed; trying once more"
		xl destroy $name 2>/dev/null || true
		domu_wait_gone $name 60 || true
		check "xl create $name" domu_start $name /tmp/$name.cfg ||
			return 0
	fi
	D=$(xl domid $name 2>/dev/null) || D=
	if ! check "$name: fio done" wait_console $name '^DOMU-BENCH-FIO-DONE' 600; then
		xl destroy $name || true
		cat "$log"
		return 0
	fi
	check "$name: network up" wait_console $name '^DOMU-NET-READY' 120 || true
	if [ "$net" = 1 ]; then
		net_bench "$be" "$D"
		# duet's counters (tx-poll-hit/-miss among them).
		case $be in duet*)
			echo "# duet status after $be's iperf3 runs:"
			DUET_PLATFORM=xen $LAB/duet/duet status 2>&1 |
				sed 's/^/#   /' || true ;;
		esac
	fi
	[ -z "$D" ] || xenstore-write /local/domain/$D/data/release 1 || true
	domu_wait_gone $name 120 || true
	cp "$log" $RESULTS/console-$name.log 2>/dev/null || true
	tr -d '\r' < "$log" | grep '^DOMU-BENCH' || true
	# "DOMU-BENCH <job>   read: IOPS=12.3k, BW=48.1MiB/s (50.4MB/s)(...)"
	tr -d '\r' < "$log" | sed -n 's/^DOMU-BENCH \([a-z0-9-]*\) *\(read\|write\): IOPS=\([0-9.]*k\{0,1\}\), BW=\([0-9.]*[KMG]iB\/s\).*/\1-\2 \3 \4/p' |
		while read -r job iops bw; do
			echo "fio-$job-iops $be $(num "$iops") IOPS" >> $OUTF
			echo "fio-$job-bw $be $(num "$bw") MiB/s" >> $OUTF
		done
}

section "Linux blkback + netback"
modprobe xen-blkback || true
modprobe xen-netback || true
run_one linux
section "QEMU qdisk (disk only)"
if [ -x $QEMU_XEN ]; then
	run_one qdisk "backendtype=qdisk, " 0
else
	echo "qdisk - absent: $QEMU_XEN (qemu-system-xen) is not in dom0" >> $OUTF
fi
section "duet blkback + netback"
modprobe -r xen-blkback xen-netback || true
modprobe tun || true
duet_backend $RESULTS/bench-backend.log --domid 0 --types vbd,vif
run_one duet
duet_backend_stop
cat $RESULTS/bench-backend.log
# LAB_BENCH_POLL_US (run-lab.sh): duet again, netback busy-polling.
POLL_US=$(cat /lab/bench-poll-us 2>/dev/null || echo 0)
if [ "${POLL_US:-0}" != 0 ]; then
	section "duet blkback + netback, netback busy-poll $POLL_US us"
	DUET_NETBACK_POLL_US=$POLL_US duet_backend \
		$RESULTS/bench-backend-poll.log --domid 0 --types vbd,vif
	run_one duet-poll
	duet_backend_stop
	cat $RESULTS/bench-backend-poll.log
fi
modprobe xen-blkback || true
modprobe xen-netback || true
section "results"
cat $OUTF
rm -f $IMG
finish

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

# run_one BACKEND [DISKOPTS] [NET]: create the domU (disk spec options
# DISKOPTS), measure, destroy it; NET=0 skips iperf3.
run_one() {
	local be=$1 diskopts=${2:-} net=${3:-1} name=bench-$1 log D
	log=$(console_log $name)
	DOMU_RAMDISK=/tmp/bench.cpio domu_cfg $name "loglevel=4 lab=bench labip=$IP" 768 \
		"disk = [ '${diskopts}format=raw, vdev=xvda, access=rw, target=$IMG' ]" \
		"vif = [ 'bridge=xenbr0,mac=00:16:3e:00:00:b0' ]"
	check "xl create $name" domu_start $name /tmp/$name.cfg || return 0
	D=$(xl domid $name 2>/dev/null) || D=
	if ! check "$name: fio done" wait_console $name '^DOMU-BENCH-FIO-DONE' 600; then
		xl destroy $name || true
		cat "$log"
		return 0
	fi
	check "$name: network up" wait_console $name '^DOMU-NET-READY' 120 || true
	for dir in "" -R; do
		[ "$net" = 1 ] || break
		iperf3 -c $IP -t 10 -f m $dir > /tmp/iperf.txt 2>&1 || true
		cat /tmp/iperf.txt
		v=$(sed -n 's|.* \([0-9.]*\) Mbits/sec.* receiver|\1|p' /tmp/iperf.txt)
		m=iperf3-dom0-to-domU
		[ -z "$dir" ] || m=iperf3-domU-to-dom0
		check "$name: $m" test -n "$v"
		[ -z "$v" ] || echo "$m $be $v Mbit/s" >> $OUTF
	done
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
modprobe xen-blkback || true
modprobe xen-netback || true
section "results"
cat $OUTF
rm -f $IMG
finish

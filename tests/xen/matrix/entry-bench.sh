#!/bin/bash
# make xen-bench, lab half (run-lab.sh with LAB_BENCH=1): the same fio
# jobs and iperf3 runs in one PV domU (disk + vif, stock xl specs), first
# over Linux's kernel blkback and netback, then over duet's (the kernel
# modules unloaded, `duet backend` serving vbd and vif).  QEMU's qdisk
# needs qemu-system-xen in dom0, which the lab's image does not carry.
# Results: $RESULTS/bench.txt, one "<metric> <backend> <value> <unit>"
# line per measurement; the host prints the ratios.
set -eu
. /lab/lib.sh

IMG=/tmp/bench-disk.img
OUTF=$RESULTS/bench.txt
IP=10.0.0.8
: > $OUTF
truncate -s 1G $IMG
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

# run_one BACKEND: create the domU, measure, destroy it.
run_one() {
	local be=$1 name=bench-$1 log D
	log=$(console_log $name)
	cat > /tmp/$name.cfg <<CFG
name = "$name"
type = "pv"
kernel = "/var/lib/duet-lab/vmlinuz"
ramdisk = "/tmp/bench.cpio"
extra = "console=hvc0 loglevel=4 lab=bench labip=$IP"
memory = 768
vcpus = 1
disk = [ 'format=raw, vdev=xvda, access=rw, target=$IMG' ]
vif = [ 'bridge=xenbr0,mac=00:16:3e:00:00:b0' ]
on_poweroff = "destroy"
on_reboot = "destroy"
on_crash = "destroy"
CFG
	check "xl create $name" domu_start $name /tmp/$name.cfg || return 0
	D=$(xl domid $name 2>/dev/null) || D=
	if ! check "$name: fio done" wait_console $name '^DOMU-BENCH-FIO-DONE' 600; then
		xl destroy $name || true
		cat "$log"
		return 0
	fi
	check "$name: network up" wait_console $name '^DOMU-NET-READY' 120 || true
	for dir in "" -R; do
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
section "duet blkback + netback"
modprobe -r xen-blkback xen-netback || true
modprobe tun || true
duet_backend $RESULTS/bench-backend.log --domid 0 --types vbd,vif
run_one duet
duet_backend_stop
cat $RESULTS/bench-backend.log
modprobe xen-blkback || true
modprobe xen-netback || true
echo "qdisk - absent: qemu-system-xen is not in the lab's dom0 image" >> $OUTF
section "results"
cat $OUTF
finish

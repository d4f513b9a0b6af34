#!/bin/bash
# run-matrix.sh - the lab's matrix, run in dom0 by /sbin/duet-lab-init.
#
# /lab (payload disk, read-only): these scripts, bin/ (host-built test
# programs), domu-extra.cpio.gz, entries ("<id> <timeout-seconds>" per
# entry to run, in order).  /results (results disk): results.txt
# ("<id> ok|fail <exit-status>" per entry), <id>.log per entry, plus what
# the entries save.  Every line also goes to the serial console.
set -eu
. /lab/lib.sh

step "matrix start"
for m in xen-evtchn xen-gntdev xen-gntalloc xen-privcmd xenfs xen-blkback \
	 xen-netback bridge loop; do
	modprobe $m || echo "modprobe $m failed"
done
step "modules loaded"
# Debian's script: mounts xenfs, starts xenstored ($XENSTORED: the payload
# says which; Debian's default is oxenstored), xen-init-dom0 and
# xenconsoled (arguments from /etc/default/xen).
XENSTORED=$(cat /lab/xenstored)
export XENSTORED
echo "xenstored: $XENSTORED"
/etc/init.d/xen start || echo "/etc/init.d/xen start failed"
step "xen daemons started"

ip link add xenbr0 type bridge forward_delay 0 stp_state 0 || true
ip addr add 10.0.0.1/24 dev xenbr0 || true
ip link set xenbr0 up || true

# The domUs' initramfs: the image's base archive followed by the
# payload's, uncompressed (the kernel unpacks concatenated cpio archives,
# but libxc's domain builder cannot inflate concatenated gzip members).
zcat /var/lib/duet-lab/domu-base.cpio.gz /lab/domu-extra.cpio.gz \
	> /tmp/domu-initrd.cpio

: > $RESULTS/results.txt
while read -r id limit; do
	step "entry $id start"
	rc=0
	timeout -k 10 "$limit" bash /lab/entry-$id.sh < /dev/null \
		> $RESULTS/$id.log 2>&1 ||
		rc=$?
	sed "s/^/[$id] /" $RESULTS/$id.log
	[ $rc -ne 124 ] || echo "[$id] timed out after ${limit}s"
	if [ $rc -eq 0 ]; then st=ok; else st=fail; fi
	echo "$id $st $rc" >> $RESULTS/results.txt
	echo "LAB-RESULT $id $st $rc"
	step "entry $id end"
	sync
done < /lab/entries
xl dmesg > $RESULTS/xl-dmesg.txt 2>&1 || true
cp -r /var/log/xen $RESULTS/var-log-xen 2>/dev/null || true
step "matrix done"

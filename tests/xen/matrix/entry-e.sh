#!/bin/bash
# Matrix entry e: Linux's xen-blkback in dom0 serving duet's blkfront in
# domU userspace.  The domU does not load xen-blkfront; `duet blkfront
# xvda ...` (the host-built binary, shipped in the domU's initramfs) reads
# dom0's marker, writes and reads back a marker, and writes 4 MiB of
# random data and verifies it, once with everything the backend offers
# and once with one queue, no persistent grants and no indirect segments
# (each command connects and disconnects, so Linux's blkback also goes
# through reconnections).  The disk is a stock xl spec (phy: kernel
# blkback on a loop device).  dom0 finds the domU's data in the image.
set -eu
. /lab/lib.sh

NAME=lab-e
IMG=/tmp/lab-e-disk.img
LOG=$(console_log $NAME)

check "kernel xen-blkback loaded" modprobe xen-blkback
dd if=/dev/zero of=$IMG bs=1M count=64 status=none
MARK="DOM0-MARKER-$(cat /proc/sys/kernel/random/uuid)"
echo "$MARK" | dd of=$IMG conv=notrunc status=none
check "domU initramfs with duet" \
	domu_initrd_with /tmp/$NAME.cpio $LAB/duet/duet
domu_cfg $NAME "loglevel=6 lab=e" 256 \
	"disk = [ 'format=raw, vdev=xvda, access=rw, target=$IMG' ]"

check "xl create $NAME" domu_start $NAME /tmp/$NAME.cfg
D=$(xl domid $NAME 2>/dev/null) || D=
if wait_console $NAME '^DOMU-E-DONE' 300; then
	step "domU $NAME done"
	xenstore-ls -f /local/domain/0/backend/vbd/$D 2>/dev/null || true
else
	echo "domU $NAME did not finish"
	FAILS=$((FAILS + 1))
fi
domu_release $NAME "$D"
check "duet blkfront info" grep -q 'DOMU-RESULT PASS blkfront-info' "$LOG"
check "duet blkfront reads dom0's marker" \
	grep -q "DOMU-READ-MARKER: $MARK" "$LOG"
check "duet blkfront write reads back" \
	grep -q 'DOMU-RESULT PASS blkfront-write' "$LOG"
check "duet blkfront verify (all features)" \
	grep -q 'DOMU-RESULT PASS blkfront-verify-full' "$LOG"
check "duet blkfront verify (1 queue, no persistent, no indirect)" \
	grep -q 'DOMU-RESULT PASS blkfront-verify-plain' "$LOG"
check "dom0 sees the domU's write in the image" image_has_write "$LOG" $IMG 2048
for v in full plain; do
	SUM=$(sed -n "s/^DOMU-VERIFY-MD5 $v \([0-9a-f]*\).*/\1/p" "$LOG" | head -1)
	off=8
	[ $v = full ] || off=16
	GOTSUM=$(dd if=$IMG bs=1M skip=$off count=4 status=none | md5sum | cut -d' ' -f1)
	echo "random data ($v): md5 '$SUM' in the domU, '$GOTSUM' in dom0's image"
	check "dom0 finds the domU's random data ($v) in the image" \
		test -n "$SUM" -a "$SUM" = "$GOTSUM"
done
finish

#!/bin/bash
# Matrix entry c: duet's blkback in dom0 serving Linux's xen-blkfront in a
# PV domU.  dom0's kernel blkback is unloaded, so the vbd libxl writes for
# a stock xl disk spec (phy: libxl waits for InitWait, then the block
# hotplug script sets up a loop device and writes physical-device) is
# served by `duet backend`.  In the domU: dom0's marker is read, a write
# reads back (and dom0 finds it in the image), 16 MiB of random data read
# back (page cache dropped) with the same checksum, and mke2fs + e2fsck -f
# run over the first 96 MiB (dom0 checks the file system again).
# Disk layout (128 MiB): file system [0, 96 MiB), random data at
# [100, 116 MiB), the domU's marker at 120 MiB.
set -eu
. /lab/lib.sh

NAME=lab-c
IMG=/tmp/lab-c-disk.img
LOG=$(console_log $NAME)
BLOG=$RESULTS/c-backend.log

check "kernel xen-blkback unloaded" modprobe -r xen-blkback
check "no blkback in /sys/bus/xen-backend/drivers" \
	test ! -e /sys/bus/xen-backend/drivers/vbd
duet_backend "$BLOG" --domid 0 --types vbd
step "duet backend pid $DUET_BACKEND_PID"

dd if=/dev/zero of=$IMG bs=1M count=128 status=none
MARK="DOM0-MARKER-$(cat /proc/sys/kernel/random/uuid)"
echo "$MARK" | dd of=$IMG conv=notrunc status=none
check "domU initramfs with mke2fs, e2fsck" \
	domu_initrd_with /tmp/$NAME.cpio mke2fs e2fsck
domu_cfg $NAME "loglevel=6 lab=c" 256 \
	"disk = [ 'format=raw, vdev=xvda, access=rw, target=$IMG' ]"

check "xl create $NAME" domu_start $NAME /tmp/$NAME.cfg
D=$(xl domid $NAME 2>/dev/null) || D=
if wait_console $NAME '^DOMU-C-DONE' 300; then
	step "domU $NAME done"
else
	echo "domU $NAME did not finish its disk checks"
	FAILS=$((FAILS + 1))
fi
section "dom0's view"
xl block-list $NAME || true
BE=/local/domain/0/backend/vbd/$D
xenstore-ls -f $BE 2>/dev/null || true
check "backend connected (state 4)" sh -c \
	"xenstore-ls -f $BE | grep -q '/state = \"4\"'"
check "block script wrote physical-device" sh -c \
	"xenstore-ls -f $BE | grep -q '/physical-device = '"
DUET_PLATFORM=xen $LAB/duet/duet status > /tmp/status.txt 2>&1 || true
cat /tmp/status.txt
check "the daemon serves it (duet status)" \
	grep -q '^vbd .*be-state=Connected.*daemon=running' /tmp/status.txt
domu_release $NAME "$D"
check "blkfront reads dom0's marker" grep -q "DOMU-READ-MARKER: $MARK" "$LOG"
check "blkfront write reads back in the domU" \
	grep -q 'DOMU-RESULT PASS blkfront-write' "$LOG"
check "16 MiB of random data reads back (md5)" \
	grep -q 'DOMU-RESULT PASS blkfront-verify' "$LOG"
SUM=$(sed -n 's/^DOMU-VERIFY-MD5 \([0-9a-f]*\).*/\1/p' "$LOG" | head -1)
GOTSUM=$(dd if=$IMG bs=1M skip=100 count=16 status=none | md5sum | cut -d' ' -f1)
echo "domU's random data: md5 '$SUM' in the domU, '$GOTSUM' in dom0's image"
check "dom0 finds the domU's random data in the image" \
	test -n "$SUM" -a "$SUM" = "$GOTSUM"
check "mke2fs + e2fsck -f in the domU" \
	grep -q 'DOMU-RESULT PASS blkfront-mkfs' "$LOG"
section "backend daemon log"
duet_backend_stop
cat "$BLOG"
modprobe xen-blkback || echo "modprobe xen-blkback failed"
check "dom0 e2fsck -fn of the image" e2fsck -fn $IMG
check "dom0 sees the domU's write in the image" \
	image_has_write "$LOG" $IMG $((120 * 2048))
finish

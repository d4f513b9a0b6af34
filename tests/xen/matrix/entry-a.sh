#!/bin/bash
# Matrix entry a: Linux's blkback + blkfront and netback + netfront between
# dom0 and a PV domU created by stock xl create.  The disk goes through
# libxl's phy backend (block hotplug script, loop device: kernel blkback),
# the vif through kernel netback and the vif-bridge script.  Markers cross
# the disk both ways, and pings cross the bridge both ways.
set -eu
. /lab/lib.sh

NAME=lab-a
IMG=/tmp/lab-a-disk.img
LOG=$(console_log $NAME)
dd if=/dev/zero of=$IMG bs=1M count=64 status=none
MARK="DOM0-MARKER-$(cat /proc/sys/kernel/random/uuid)"
echo "$MARK" | dd of=$IMG conv=notrunc status=none
DOMU_RAMDISK=/tmp/domu-initrd.cpio domu_cfg $NAME "loglevel=6 lab=a" 256 \
	"disk = [ 'format=raw, vdev=xvda, access=rw, target=$IMG' ]" \
	"vif = [ 'bridge=xenbr0,mac=00:16:3e:00:00:0a' ]"

check "xl create $NAME" domu_start $NAME /tmp/$NAME.cfg
if wait_console $NAME 'DOMU-RESULT [A-Z]* netfront' 240; then
	step "domU $NAME network checked"
	section "dom0's view of the running domU"
	xl list
	xl block-list $NAME
	xl network-list $NAME
	xenstore-ls -f /local/domain/0/backend |
		grep -E '/(state|hotplug-status|physical-device|params|bridge|mac) ' || true
	check "vbd backend connected (state 4)" sh -c \
		"xenstore-ls -f /local/domain/0/backend/vbd | grep -q '/state = \"4\"'"
	check "vif backend connected (state 4)" sh -c \
		"xenstore-ls -f /local/domain/0/backend/vif | grep -q '/state = \"4\"'"
	check "vif in bridge xenbr0" sh -c \
		"ip -br link show master xenbr0 | grep -q '^vif'"
	check "dom0 pings the domU" ping -c 2 -W 5 10.0.0.2
else
	echo "domU $NAME did not report its network result"
	FAILS=$((FAILS + 1))
fi
echo "DOM0-DONE" | dd of=$IMG bs=512 seek=4096 conv=notrunc,fsync status=none
check "domU powered itself off" domu_wait_gone $NAME 120
cp "$LOG" $RESULTS/console-$NAME.log 2>/dev/null || true
section "domU console"
cat "$LOG" 2>/dev/null || echo "(no console log)"
check "domU booted" grep -q DOMU-INIT-START "$LOG"
check "blkfront reads dom0's marker" grep -q "DOMU-READ-MARKER: $MARK" "$LOG"
check "blkfront write reads back in the domU" \
	grep -q 'DOMU-RESULT PASS blkfront-write' "$LOG"
check "dom0 sees the domU's write in the image" image_has_write "$LOG" $IMG 2048
check "netfront pings dom0" grep -q 'DOMU-RESULT PASS netfront-ping-dom0' "$LOG"
finish

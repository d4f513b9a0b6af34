#!/bin/bash
# Matrix entry g: a driver domain.  lab-gdd, a PV domU with driver_domain=1
# (libxl gives it the xenstore rights of a backend domain), runs duet's
# backend daemon; its own disk xvdb (served by dom0's kernel blkback from
# an image file) becomes the disk of a second PV domU, lab-g, and a vif of
# lab-g joins a bridge inside lab-gdd.  lab-g's devices are stock xl specs
# with backend=lab-gdd; lab-g runs Linux's xen-blkfront and xen-netfront.
# Checks: lab-g reads dom0's marker through the driver domain, writes and
# reads back (dom0 finds the write in the image afterwards), and pings
# cross lab-g <-> lab-gdd both ways.
set -eu
. /lab/lib.sh

DD=lab-gdd
NAME=lab-g
IMG=/tmp/lab-g-disk.img
DDLOG=$(console_log $DD)
LOG=$(console_log $NAME)

modprobe xen-blkback || true
modprobe xen-netback || true
dd if=/dev/zero of=$IMG bs=1M count=64 status=none
MARK="DOM0-MARKER-$(cat /proc/sys/kernel/random/uuid)"
echo "$MARK" | dd of=$IMG conv=notrunc status=none
DOMU_MODULES="tun bridge" check "driver domain initramfs with duet, tun and bridge" \
	domu_initrd_with /tmp/$DD.cpio \
	$LAB/duet/duet
domu_cfg $DD "loglevel=6 lab=gdd" 256 \
	"driver_domain = 1" \
	"disk = [ 'format=raw, vdev=xvdb, access=rw, target=$IMG' ]"
DOMU_RAMDISK=/tmp/domu-initrd.cpio domu_cfg $NAME "loglevel=6 lab=g" 256 \
	"disk = [ 'backend=$DD, format=raw, vdev=xvda, access=rw, target=/dev/xvdb' ]" \
	"vif = [ 'backend=$DD, bridge=xenbr0, mac=00:16:3e:00:00:1a' ]"

check "xl create $DD" domu_start $DD /tmp/$DD.cfg
DDID=$(xl domid $DD 2>/dev/null) || DDID=
if wait_console $DD '^DOMU-DD-READY' 240; then
	echo "ok - driver domain's backend daemon runs"
	check "xl create $NAME (backend=$DD)" domu_start $NAME /tmp/$NAME.cfg
else
	echo "FAIL - driver domain's backend daemon runs"
	FAILS=$((FAILS + 1))
fi
D=$(xl domid $NAME 2>/dev/null) || D=
if [ -n "$D" ] && wait_console $NAME '^DOMU-G-DONE' 240; then
	step "domU $NAME done"
	section "the driver domain's backends"
	xenstore-ls -f /local/domain/$DDID/backend 2>/dev/null || true
	check "vbd backend in $DD connected (state 4)" sh -c \
		"xenstore-ls -f /local/domain/$DDID/backend/vbd | grep -q '/state = \"4\"'"
	check "vif backend in $DD connected (state 4)" sh -c \
		"xenstore-ls -f /local/domain/$DDID/backend/vif | grep -q '/state = \"4\"'"
else
	echo "domU $NAME did not finish"
	FAILS=$((FAILS + 1))
fi
# The driver domain pings lab-g until it answers; then lab-g may go.
wait_console $DD '^DOMU-RESULT [A-Z]* dd-ping-domu' 120 || true
[ -z "$D" ] || xenstore-write /local/domain/$D/data/release 1 || true
check "$NAME powered itself off" domu_wait_gone $NAME 120
[ -z "$DDID" ] || xenstore-write /local/domain/$DDID/data/release 1 || true
check "$DD powered itself off" domu_wait_gone $DD 120
cp "$DDLOG" $RESULTS/console-$DD.log 2>/dev/null || true
cp "$LOG" $RESULTS/console-$NAME.log 2>/dev/null || true
section "driver domain console"
cat "$DDLOG" 2>/dev/null || echo "(no console log)"
section "domU console"
cat "$LOG" 2>/dev/null || echo "(no console log)"
check "blkfront reads dom0's marker through $DD" \
	grep -q "DOMU-READ-MARKER: $MARK" "$LOG"
check "blkfront write reads back in $NAME" \
	grep -q 'DOMU-RESULT PASS blkfront-write' "$LOG"
check "dom0 sees $NAME's write in the image" image_has_write "$LOG" $IMG 2048
check "$NAME pings $DD" grep -q 'DOMU-RESULT PASS netfront-ping-dd' "$LOG"
check "$DD pings $NAME" grep -q 'DOMU-RESULT PASS dd-ping-domu' "$DDLOG"
check "backend daemon in $DD ended cleanly" \
	grep -q 'DOMU-DD-BACKEND-EXIT 0' "$DDLOG"
finish

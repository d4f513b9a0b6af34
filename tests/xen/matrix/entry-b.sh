#!/bin/bash
# Matrix entry b: libduet's xen platform between dom0 userspace (b-dom0)
# and domU userspace (b-domu): share, map, copy, event channels both ways,
# and duet_platform_restrict() (xentoolcore_restrict_all).  b-domu
# publishes its grant refs and ports under its xenstore data directory;
# this script hands them to b-dom0.
set -eu
. /lab/lib.sh

NAME=lab-b
LOG=$(console_log $NAME)
DOMU_RAMDISK=/tmp/domu-initrd.cpio domu_cfg $NAME "loglevel=4 lab=b" 256

check "xl create $NAME" domu_start $NAME /tmp/$NAME.cfg
D=$(xl domid $NAME 2>/dev/null) || D=none
P=/local/domain/$D/data/duet-b
t=0
while ! xenstore-read $P/ready >/dev/null 2>&1; do
	if [ $t -ge 360 ] || ! xl domid $NAME >/dev/null 2>&1; then
		break
	fi
	sleep 0.5
	t=$((t + 1))
done
if xenstore-read $P/ready >/dev/null 2>&1; then
	step "domU $NAME published its grants"
	read -r r0 r1 <<< "$(xenstore-read $P/refs)"
	read -r p1 p2 <<< "$(xenstore-read $P/port)"
	ro=$(xenstore-read $P/ro-ref)
	echo "domU $D: refs $r0 $r1, ro-ref $ro, ports $p1 $p2"
	section "b-dom0"
	rc=0
	DUET_PLATFORM=xen $LAB/bin/b-dom0 "$D" "$p1" "$p2" "$ro" "$r0" "$r1" ||
		rc=$?
	check "b-dom0 (exit $rc)" test $rc -eq 0
else
	echo "domU $NAME never wrote $P/ready"
	FAILS=$((FAILS + 1))
fi
check "domU powered itself off" domu_wait_gone $NAME 120
cp "$LOG" $RESULTS/console-$NAME.log 2>/dev/null || true
section "domU console"
cat "$LOG" 2>/dev/null || echo "(no console log)"
check "b-domu ran to the end" grep -q '^DOMU-B 1\.\.[0-9]' "$LOG"
check "b-domu: no failed check" sh -c "! grep -q '^DOMU-B not ok' '$LOG'"
check "b-domu exit status 0" grep -q '^DOMU-B-EXIT 0' "$LOG"
finish

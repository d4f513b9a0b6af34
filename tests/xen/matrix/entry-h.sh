#!/bin/bash
# Matrix entry h, lab half: run the xenstore op sequences against the
# lab's real xenstored and save the transcripts; the host compares them
# with the recorded ones and with duet's simulator xenstore.
#   h-xenstore.transcript       xs-ops.sh as dom0
#   h-xenstore-domu.transcript  xs-ops-domu.sh: dom0 sets up, a PV domU
#                               (paused until then) acts, dom0 looks,
#                               the domU goes, dom0 looks again
set -eu
. /lab/lib.sh

T=$RESULTS/h-xenstore.transcript
TD=$RESULTS/h-xenstore-domu.transcript
check "xenstored running" pgrep -f xenstored
ps -eo args | grep '[x]enstored' > $RESULTS/h-xenstored-daemon.txt || true

section "dom0 sequence"
rc=0
$LAB/xs-ops.sh $LAB/bin/xs-probe > $T 2>&1 || rc=$?
cat $T
check "xs-ops.sh exit status 0 (got $rc)" test $rc -eq 0
check "dom0 transcript complete" grep -q '^# end of transcript' $T

section "domU sequence"
NAME=lab-h
LOG=$(console_log $NAME)
DOMU_RAMDISK=/tmp/domu-initrd.cpio domu_cfg $NAME "quiet loglevel=1 lab=h" 256
step "xl create -p $NAME start"
rc=0
xl create -p /tmp/$NAME.cfg || rc=$?
step "xl create -p $NAME returned rc=$rc"
check "xl create -p $NAME" test $rc -eq 0
D=$(xl domid $NAME 2>/dev/null) || D=
if [ -n "$D" ]; then
	rc=0
	XS_PROBE_DOMU=$D $LAB/xs-ops-domu.sh setup $LAB/bin/xs-probe > $TD 2>&1 ||
		rc=$?
	check "domU sequence: dom0 setup (exit $rc)" test $rc -eq 0
	xl unpause $NAME
	check "domU ran its phase" wait_console $NAME '^DOMU-H-EXIT' 180
	tr -d '\r' < "$LOG" | sed -n 's/^DOMU-H //p' >> $TD
	rc=0
	XS_PROBE_DOMU=$D $LAB/xs-ops-domu.sh check $LAB/bin/xs-probe >> $TD 2>&1 ||
		rc=$?
	check "domU sequence: dom0 check (exit $rc)" test $rc -eq 0
	xenstore-write /local/domain/$D/data/h-release 1 || true
	check "domU powered itself off" domu_wait_gone $NAME 180
	cp "$LOG" $RESULTS/console-$NAME.log 2>/dev/null || true
	rc=0
	XS_PROBE_DOMU=$D $LAB/xs-ops-domu.sh after $LAB/bin/xs-probe >> $TD 2>&1 ||
		rc=$?
	check "domU sequence: dom0 after the domU (exit $rc)" test $rc -eq 0
	check "domU phase exit status 0" grep -q '^DOMU-H-EXIT 0' "$LOG"
	check "domU phase complete" grep -q '^# h-domu end of domU phase' $TD
	check "domU transcript complete" grep -q '^# h-domu end of transcript' $TD
	cat $TD
else
	FAILS=$((FAILS + 1))
fi
finish

#!/bin/bash
# Matrix entry h, lab half: run the xenstore op sequence against the lab's
# real xenstored and save the transcript.  The host compares it with the
# recorded one and with duet's simulator xenstore.
set -eu
. /lab/lib.sh

check "xenstored running" pgrep -f xenstored
ps -eo args | grep '[x]enstored' > $RESULTS/h-xenstored-daemon.txt || true
rc=0
$LAB/xs-ops.sh $LAB/bin/xs-probe > $RESULTS/h-xenstored.transcript 2>&1 ||
	rc=$?
cat $RESULTS/h-xenstored.transcript
check "xs-ops.sh exit status 0 (got $rc)" test $rc -eq 0
check "transcript complete" grep -q '^# end of transcript' \
	$RESULTS/h-xenstored.transcript
finish

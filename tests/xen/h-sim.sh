#!/bin/bash
# h-sim.sh - matrix entry h, simulator half (runs on the host): the same
# xenstore op sequences (matrix/xs-ops.sh as dom0, matrix/xs-ops-domu.sh
# as dom0 + a domU) against duet's simulator xenstore must give the
# transcripts the lab's real xenstored gave.
#
#   tests/xen/h-sim.sh BUILD_DIR LAB_RESULTS OUT_DIR [XENSTORED]
#
# XENSTORED (oxenstored, the default, or xenstored) is the daemon the lab
# ran; the simulator's xenstore behaves like it (duet sim start
# --xenstored).  The lab's transcripts are
# LAB_RESULTS/h-xenstore{,-domu}.transcript; when the lab produced none,
# the recorded tests/xen/h-*.expected of that daemon stand in.
# Exit 0 when identical, 1 when not (the diffs are printed), 2 on bad
# arguments, 77 when the simulator is not available: then the last line
# printed names what it waits for.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
usage="usage: h-sim.sh BUILD_DIR LAB_RESULTS OUT_DIR [oxenstored|xenstored]"
B=${1:?$usage}
LAB_R=${2:?$usage}
OUT=${3:?$usage}
XENSTORED=${4:-oxenstored}
case "$XENSTORED" in
oxenstored) SUFFIX= ;;
xenstored) SUFFIX=-xenstored ;;
*) echo "$usage" >&2; exit 2 ;;
esac
DUET=$B/bin/duet
PROBE=$B/xen-lab/bin/xs-probe

if [ ! -x "$DUET" ] || ! "$DUET" sim --help > /dev/null 2>&1; then
	"$DUET" sim --help 2>&1 | head -n 3 || true
	echo "duet sim"
	exit 77
fi

SIMDIR=$(mktemp -d "$OUT/sim.XXXXXX")
cleanup() {
	"$DUET" sim stop --dir "$SIMDIR" > /dev/null 2>&1 || true
}
trap cleanup EXIT
"$DUET" sim start --dir "$SIMDIR" --xenstored "$XENSTORED"

# as DOMID CMD...: run CMD as a process of simulated domain DOMID.
as() {
	local id=$1
	shift
	(eval "$("$DUET" sim env --dir "$SIMDIR" "$id")"
	 [ -n "${XENSTORED_PATH:-}" ] ||
		{ echo "duet sim env $id set no XENSTORED_PATH" >&2; exit 1; }
	 "$@")
}

as 0 "$HERE/matrix/xs-ops.sh" "$PROBE" > "$OUT/h-sim-xenstore.transcript"
D=$("$DUET" sim domain create h-domu --dir "$SIMDIR")
{
	as 0 env XS_PROBE_DOMU="$D" "$HERE/matrix/xs-ops-domu.sh" setup "$PROBE"
	as "$D" env XS_PROBE_DOMU="$D" "$HERE/matrix/xs-ops-domu.sh" domu "$PROBE"
	as 0 env XS_PROBE_DOMU="$D" "$HERE/matrix/xs-ops-domu.sh" check "$PROBE"
	"$DUET" sim domain destroy "$D" --dir "$SIMDIR" >&2
	as 0 env XS_PROBE_DOMU="$D" "$HERE/matrix/xs-ops-domu.sh" after "$PROBE"
} > "$OUT/h-sim-xenstore-domu.transcript"

rc=0
for t in xenstore xenstore-domu; do
	lab=$LAB_R/h-$t.transcript
	[ -s "$lab" ] || lab=$HERE/h-$t$SUFFIX.expected
	if diff -u "$lab" "$OUT/h-sim-$t.transcript"; then
		echo "simulator's $t transcript ($XENSTORED) identical to $lab"
	else
		rc=1
	fi
done
exit $rc

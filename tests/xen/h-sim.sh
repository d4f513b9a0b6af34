#!/bin/bash
# h-sim.sh - matrix entry h, simulator half (runs on the host): the same
# xenstore op sequence (matrix/xs-ops.sh) against duet's simulator xenstore
# must give the transcript the lab's real xenstored gave.
#
#   tests/xen/h-sim.sh BUILD_DIR LAB_TRANSCRIPT OUT_DIR
#
# LAB_TRANSCRIPT falls back to tests/xen/h-xenstore.expected (recorded
# from the lab) when the lab produced none.  Exit 0 when identical, 1 when
# not (the diff is printed), 77 when the simulator is not available yet:
# then the last line printed names what it waits for.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
B=${1:?usage: h-sim.sh BUILD_DIR LAB_TRANSCRIPT OUT_DIR}
LAB_T=${2:?usage: h-sim.sh BUILD_DIR LAB_TRANSCRIPT OUT_DIR}
OUT=${3:?usage: h-sim.sh BUILD_DIR LAB_TRANSCRIPT OUT_DIR}
DUET=$B/bin/duet

if [ ! -x "$DUET" ] || ! "$DUET" sim --help > /dev/null 2>&1; then
	"$DUET" sim --help 2>&1 | head -n 3 || true
	echo "duet sim"
	exit 77
fi
[ -s "$LAB_T" ] || LAB_T=$HERE/h-xenstore.expected
[ -s "$LAB_T" ] || { echo "no lab transcript and no $LAB_T"; exit 1; }

SIMDIR=$(mktemp -d "$OUT/sim.XXXXXX")
cleanup() {
	"$DUET" sim stop --dir "$SIMDIR" > /dev/null 2>&1 || true
}
trap cleanup EXIT
"$DUET" sim start --dir "$SIMDIR"
eval "$("$DUET" sim env --dir "$SIMDIR" 0)"
echo "simulator in $SIMDIR: XENSTORED_PATH=${XENSTORED_PATH:-}"
[ -n "${XENSTORED_PATH:-}" ] ||
	{ echo "duet sim env 0 set no XENSTORED_PATH"; exit 1; }
"$HERE/matrix/xs-ops.sh" "$B/xen-lab/bin/xs-probe" > "$OUT/h-sim.transcript"
if diff -u "$LAB_T" "$OUT/h-sim.transcript"; then
	echo "simulator transcript identical to $LAB_T"
	exit 0
fi
exit 1

#!/bin/bash
# bench.sh - make xen-bench: the lab's side-by-side comparisons, each
# printed as a ratio to Linux's own backend measured in the same run.
#
#   tests/xen/bench.sh BUILD_DIR
#
# Boots the lab (run-lab.sh with LAB_BENCH=1: the lab's own checks, then
# matrix/entry-bench.sh), where one PV domU runs the same fio jobs (4 KiB
# random read at QD32, 1 MiB sequential read and write, O_DIRECT, libaio)
# on its xvda and serves iperf3 to dom0 (both directions), first over
# Linux's kernel blkback and netback, then over duet's.  QEMU's qdisk is
# reported absent: qemu-system-xen is not in the lab's dom0 image.
# Absolute numbers under TCG mean little; the ratios are what counts.
# While duet's blkback or netback do not exist, it prints SKIP lines.
# Prints, never asserts a speed; exits non-zero only when the lab failed.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
B=$(cd "${1:?usage: bench.sh BUILD_DIR}" && pwd)
cd "$HERE/../.."
if [ ! -f backends/blkback/xenbus.c ] || [ ! -f backends/netback/xenbus.c ]; then
	echo "1..1"
	echo "ok 1 - xen-bench # SKIP waits for duet blkback and netback"
	exit 0
fi
OUT=${LAB_OUT:-$B/xen-lab/bench}
rc=0
LAB_BENCH=1 LAB_OUT=$OUT LAB_TIMEOUT=${LAB_TIMEOUT:-2400} \
	"$HERE/run-lab.sh" "$B" || rc=$?
R=$OUT/results/bench.txt
if [ ! -s "$R" ]; then
	echo "# xen-bench: no results ($R)"
	exit 1
fi
echo "# xen-bench: duet / Linux, measured side by side in one lab run"
printf '# %-28s %14s %14s %8s\n' metric Linux duet ratio
awk '$2 == "linux" || $2 == "duet" { v[$1 " " $2] = $3; u[$1] = $4; m[$1] = 1 }
	END {
		for (k in m) {
			l = v[k " linux"]; d = v[k " duet"]
			r = (l > 0 && d != "") ? sprintf("%.2f", d / l) : "-"
			printf "# %-28s %14s %14s %8s\n", k, \
				(l == "" ? "-" : l " " u[k]), \
				(d == "" ? "-" : d " " u[k]), r
		}
	}' "$R" | sort
grep '^qdisk' "$R" | sed 's/^/# /' || true
exit $rc

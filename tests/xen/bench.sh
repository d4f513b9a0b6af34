#!/bin/bash
# bench.sh - make xen-bench: the lab's side-by-side comparisons, each
# printed as a ratio to Linux's own backend measured in the same run.
#
#   tests/xen/bench.sh BUILD_DIR
#
# Boots the lab (run-lab.sh with LAB_BENCH=1: the lab's own checks, then
# matrix/entry-bench.sh), where one PV domU runs the same fio jobs (4 KiB
# random read at QD32, 1 MiB sequential read and write, O_DIRECT, libaio)
# on its xvda and serves iperf3 to dom0 (both directions, three rounds;
# CPU per frame of dom0 and the domU; a perf profile), first over
# Linux's kernel blkback and netback, then the fio jobs over QEMU's qdisk
# (qemu-system-xen in dom0), then both over duet's.
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
echo "# xen-bench: duet and QEMU's qdisk as ratios to Linux, measured side by side in one lab run"
printf '# %-26s %16s %16s %6s %16s %6s\n' metric Linux duet duet/L qdisk qdisk/L
awk '$2 == "linux" || $2 == "duet" || $2 == "qdisk" {
		v[$1 " " $2] = $3; u[$1] = $4; m[$1] = 1
	}
	function cell(x, k) { return x == "" ? "-" : x " " u[k] }
	function ratio(x, l) {
		return (l > 0 && x != "" && x !~ /\//) ? sprintf("%.2f", x / l) : "-"
	}
	END {
		for (k in m) {
			l = v[k " linux"]; d = v[k " duet"]; q = v[k " qdisk"]
			printf "# %-26s %16s %16s %6s %16s %6s\n", k, cell(l, k), \
				cell(d, k), ratio(d, l), cell(q, k), ratio(q, l)
		}
	}' "$R" | sort
grep '^qdisk -' "$R" | sed 's/^/# /' || true
# LAB_BENCH_POLL_US: duet with netback busy-polling, next to Linux and to
# duet without it, from the same run.
if grep -q '^[^ ]* duet-poll ' "$R"; then
	echo "# duet-poll: duet with DUET_NETBACK_POLL_US=${LAB_BENCH_POLL_US:-?} (same run)"
	printf '# %-26s %16s %6s %6s\n' metric duet-poll dp/L dp/duet
	awk '$2 == "linux" || $2 == "duet" || $2 == "duet-poll" {
			v[$1 " " $2] = $3; u[$1] = $4
			if ($2 == "duet-poll") m[$1] = 1
		}
		function ratio(x, l) {
			return (l > 0 && x != "" && x !~ /\//) ? sprintf("%.2f", x / l) : "-"
		}
		END {
			for (k in m) {
				p = v[k " duet-poll"]
				printf "# %-26s %16s %6s %6s\n", k, p " " u[k], \
					ratio(p, v[k " linux"]), ratio(p, v[k " duet"])
			}
		}' "$R" | sort
fi
# The profiled runs (entry-bench.sh profile()): threads and symbols.
for f in "$OUT"/results/profile-*; do
	[ -s "$f" ] || continue
	echo "# ${f##*/}:"
	sed 's/^/#   /' "$f"
done
exit $rc

#!/bin/sh
# blk-nbd.sh - the whole block stack on the simulator, measured by fio's
# nbd engine: `duet backend` (blkback) in dom0 serves a RAM-backed file
# (/dev/shm) to domain 1, where nbdkit exports it through duet's blkfront
# (build/lib/nbdkit-duet-plugin.so) on a unix socket, and fio runs
#   4 KiB random reads, QD32
#   1 MiB sequential reads and writes, QD4
# for grant copy vs persistent grants and 1 vs 4 queues.  The physical
# limit in the same run: this machine's memcpy bandwidth (bench/blkback
# memcpy).  Prints IOPS and MB/s, asserts nothing.  Without fio or nbdkit it says so: duet's own load generator
# (bench/blkback, the same table without NBD) always runs.
# Then blkback's NBD engine: nbdkit's memory plugin (512 MiB, unix socket)
# served to the guest by blkback (target=nbd+unix://...) and measured
# through the test frontend (bench/blkback TARGET), next to the same server
# reached directly by fio's nbd engine in the same run: the ratio is what
# the split driver costs (or gains: blkback opens one connection per
# queue, fio one).
# The same for blkback's RBD engine on a one-node Ceph cluster started
# here (tests/sim/lib/ceph-lib.sh) next to fio's rbd engine, when both
# are there.
# BENCH_SECONDS (default 3) sets the time per measurement.
: "${DUET_BUILD:=$(cd "$(dirname "$0")/../.." && pwd)/build}"
DUET="$DUET_BUILD/bin/duet"
PLUGIN="$DUET_BUILD/lib/nbdkit-duet-plugin.so"
SECS=${BENCH_SECONDS:-3}
for t in fio nbdkit; do
	command -v $t >/dev/null 2>&1 || {
		echo "# $t missing: no fio/NBD figures (duet's own generator:"
		echo "# bench/blkback)"; exit 0; }
done
fio --enghelp=nbd >/dev/null 2>&1 || {
	echo "# fio has no nbd engine: no fio/NBD figures"; exit 0; }
[ -x "$DUET" ] && [ -f "$PLUGIN" ] || {
	echo "# $DUET or $PLUGIN not built"; exit 0; }

D=$(mktemp -d /tmp/duet-blkbench.XXXXXX)
IMG=/dev/shm/duet-blk-nbd.$$
unset DUET_PLATFORM DUET_DOMID XENSTORED_PATH
export DUET_SIM_DIR="$D"
PIDS=
cleanup() {
	[ -n "$PIDS" ] && kill $PIDS 2>/dev/null
	"$DUET" sim stop --dir "$D" >/dev/null 2>&1
	rm -rf "$D" "$IMG"
}
trap cleanup EXIT
. "$(dirname "$0")/../sim/lib/until.sh"
as() { ( d=$1; shift; eval "$("$DUET" sim env "$d")"; exec "$@" ); }

dd if=/dev/zero of="$IMG" bs=1M count=512 status=none
mc=$("$DUET_BUILD/bench/blkback" memcpy 2>/dev/null)
echo "memcpy bandwidth: ${mc:=0} MB/s (the physical limit)"

"$DUET" sim start >/dev/null || { echo "# cannot start the simulator"; exit 0; }
g=$("$DUET" sim domain create guest)
eval "$("$DUET" sim env 0)"
"$DUET" backend --domid 0 >"$D/daemon.log" 2>&1 &
PIDS="$PIDS $!"

# fio_run RW BS QD: one fio job on the export; prints "IOPS MB/s" (from
# fio's terse v3 line: read KB/s and IOPS in fields 7, 8, write in 48, 49).
fio_run() {
	fio --name=duet --ioengine=nbd --uri="nbd+unix:///?socket=$D/sock" \
		--rw="$1" --bs="$2" --iodepth="$3" --size=512M \
		--time_based --runtime="$SECS" --ramp_time=0.5 \
		--output-format=terse --terse-version=3 2>>"$D/fio.log" |
	awk -F';' -v w="$1" '$1 == "3" {
		if (w ~ /write/) { bw = $48; io = $49 } else { bw = $7; io = $8 }
		printf "%.0f %.0f", io, bw * 1024 / 1e6 }'
}

printf '%-22s %14s %14s %14s\n' "duet via nbdkit+fio" "4K rand read" \
	"1M seq read" "1M seq write"
printf '%-22s %14s %14s %14s\n' "" "QD32 IOPS" "QD4 MB/s" "QD4 MB/s"
idx=0
for p in 0 1; do
	for q in 1 4; do
		idx=$((idx + 1))
		vdev=xvd$(echo abcd | cut -c$idx)
		"$DUET" attach "$g" "disk=$IMG,raw,$vdev,rw" >/dev/null || continue
		rm -f "$D/sock"
		as "$g" nbdkit -f -U "$D/sock" -P "$D/nbdkit.pid" "$PLUGIN" \
			vdev=$vdev persistent=$p queues=$q ring-order=4 \
			>"$D/nbdkit.log" 2>&1 &
		npid=$!
		PIDS="$PIDS $npid"
		if until_ok 20 test -S "$D/sock"; then
			set -- $(fio_run randread 4k 32)
			iops=${1:-0}
			set -- $(fio_run read 1M 4)
			rd=${2:-0}
			set -- $(fio_run write 1M 4)
			wr=${2:-0}
		else
			iops=-; rd=-; wr=-
		fi
		[ "$p" = 1 ] && name="persistent" || name="grant copy"
		[ "$q" = 1 ] && name="$name, 1 queue" || name="$name, $q queues"
		ratio=$(awk -v r="$rd" -v m="$mc" 'BEGIN {
			if (m > 0 && r > 0) printf "%.2f", r / m; else print "-" }')
		printf '%-22s %14s %14s %14s   (1M read %s x memcpy)\n' \
			"$name" "$iops" "$rd" "$wr" "$ratio"
		kill "$npid" 2>/dev/null
		wait "$npid" 2>/dev/null
		"$DUET" detach "$g" "$vdev" >/dev/null 2>&1 ||
			echo "# could not detach $vdev"
	done
done
# --- blkback's NBD engine next to the server reached directly ---------
# fio_uri URI RW BS QD: like fio_run, on URI.
fio_uri() {
	fio --name=direct --ioengine=nbd --uri="$1" --rw="$2" --bs="$3" \
		--iodepth="$4" --size=512M --time_based --runtime="$SECS" \
		--ramp_time=0.5 --output-format=terse --terse-version=3 \
		2>>"$D/fio.log" |
	awk -F';' -v w="$2" '$1 == "3" {
		if (w ~ /write/) { bw = $48; io = $49 } else { bw = $7; io = $8 }
		printf "%.0f %.0f", io, bw * 1024 / 1e6 }'
}
# table TITLE TARGET D4 DRD DWR: the direct figures, then blkback's on
# TARGET (bench/blkback TARGET), with ratios to the direct ones.
table() {
	echo
	printf '%-28s %17s %17s %17s\n' "$1" \
		"4K rand read QD32" "1M seq read QD4" "1M seq write QD4"
	printf '%-28s %10s %6s %10s %6s %10s %6s\n' "" IOPS ratio MB/s ratio \
		MB/s ratio
	printf '%-28s %10s %6s %10s %6s %10s %6s\n' "direct (fio)" \
		"$3" 1.00 "$4" 1.00 "$5" 1.00
	BENCH_SECONDS=$SECS "$DUET_BUILD/bench/blkback" "$2" \
		2>>"$D/blkback.log" |
	awk -F';' -v a="$3" -v b="$4" -v c="$5" '
		function r(x, y) { return y > 0 ? sprintf("%.2f", x / y) : "-" }
		NF == 4 { printf "%-28s %10s %6s %10s %6s %10s %6s\n",
			"duet: " $1, $2, r($2, a), $3, r($3, b), $4, r($4, c) }'
}
rm -f "$D/mem.sock"
nbdkit -f -U "$D/mem.sock" -P "$D/mem.pid" memory 512M >"$D/mem.log" 2>&1 &
PIDS="$PIDS $!"
URI="nbd+unix:///?socket=$D/mem.sock"
if until_ok 20 test -S "$D/mem.sock"; then
	# Warm-up: the memory plugin allocates a page on its first write.
	fio_uri "$URI" write 1M 4 >/dev/null
	set -- $(fio_uri "$URI" randread 4k 32); d4=${1:-0}
	set -- $(fio_uri "$URI" read 1M 4); drd=${2:-0}
	set -- $(fio_uri "$URI" write 1M 4); dwr=${2:-0}
	table "NBD (nbdkit memory, unix)" "$URI" "$d4" "$drd" "$dwr"
else
	echo "# nbdkit (memory plugin) did not start: no NBD engine figures"
fi

# --- blkback's RBD engine next to fio's rbd engine (a one-node cluster) --
. "$(dirname "$0")/../sim/lib/ceph-lib.sh"
# fio_rbd RW BS QD: fio's rbd engine on rbd/bench (CEPH_CONF names the
# cluster's ceph.conf for librados).
fio_rbd() {
	CEPH_CONF="$D/ceph/ceph.conf" fio --name=direct --ioengine=rbd \
		--clientname=admin --pool=rbd --rbdname=bench --rw="$1" \
		--bs="$2" --iodepth="$3" --size=512M --time_based \
		--runtime="$SECS" --ramp_time=0.5 --output-format=terse \
		--terse-version=3 2>>"$D/fio.log" |
	awk -F';' -v w="$1" '$1 == "3" {
		if (w ~ /write/) { bw = $48; io = $49 } else { bw = $7; io = $8 }
		printf "%.0f %.0f", io, bw * 1024 / 1e6 }'
}
if ! fio --enghelp=rbd >/dev/null 2>&1; then
	echo "# fio has no rbd engine: no RBD figures"
elif ! grep -qa librbd.so.1 "$DUET"; then
	# (duet loads librbd at run time: its name is in the binary.)
	echo "# duet built without librbd: no RBD figures"
elif mkdir -p "$D/ceph" && ceph_start "$D/ceph"; then
	trap 'ceph_stop "$D/ceph"; cleanup' EXIT
	CC="timeout 60 ceph -c $D/ceph/ceph.conf"
	RB="timeout 60 rbd -c $D/ceph/ceph.conf"
	$CC osd pool create rbd 8 >/dev/null 2>&1
	$RB pool init rbd && $RB create --size 512M rbd/bench
	fio_rbd write 1M 4 >/dev/null
	set -- $(fio_rbd randread 4k 32); d4=${1:-0}
	set -- $(fio_rbd read 1M 4); drd=${2:-0}
	set -- $(fio_rbd write 1M 4); dwr=${2:-0}
	table "RBD (1 OSD, bluestore file)" \
		"rbd:rbd/bench:id=admin:conf=$D/ceph/ceph.conf" \
		"$d4" "$drd" "$dwr"
else
	echo "# no Ceph cluster here ($CEPH_WHY): no RBD figures"
fi
exit 0

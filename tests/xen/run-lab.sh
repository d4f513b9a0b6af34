#!/bin/bash
# run-lab.sh - boot the Xen lab under QEMU (TCG), run the interop matrix
# in it and print the results as TAP.
#
#   tests/xen/run-lab.sh BUILD_DIR
#
# BUILD_DIR is the make build directory: the lab's test programs come from
# BUILD_DIR/xen-lab/bin and duet's binaries from BUILD_DIR/bin and
# BUILD_DIR/lib, all built on the host (Debian 12, like dom0) and copied in
# at test time on a payload disk; results come back on a results disk.
# Images come from $DUET_LAB_CACHE (make xen-image).
#
# Exit status: 0 when every entry passed or was skipped, 1 when one failed
# (a lab that does not boot fails, with the serial log's tail), 77 when
# QEMU cannot run here at all.
#
# Environment: DUET_LAB_CACHE, LAB_TIMEOUT (seconds for QEMU, default 1140; more with entry k),
# LAB_MEM (MiB, default 2048), LAB_SMP (default 2), LAB_OUT (where the run's
# serial log and results go, default BUILD_DIR/xen-lab/run), LAB_XENSTORED
# (oxenstored, Debian's default, or xenstored for the C daemon; entry h
# then compares with h-*-xenstored.expected, and its simulator half runs
# with duet sim start --xenstored xenstored), LAB_ENTRIES (run only these
# matrix entries, e.g. "a c"; the lab's own checks always run), LAB_CPU
# (QEMU's -cpu, default qemu64; see below), LAB_BENCH=1 (make xen-bench:
# run the lab's checks and matrix/entry-bench.sh instead of the matrix),
# LAB_BENCH_POLL_US=N (xen-bench: one more duet pass with netback's
# busy-poll, DUET_NETBACK_POLL_US=N, as backend "duet-poll"),
# FL_SECONDS and FL_RX_FLIP (entry fl's long run, default 600 s, and its
# control run with 0).
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
B=$(cd "${1:?usage: run-lab.sh BUILD_DIR}" && pwd)
CACHE=${DUET_LAB_CACHE:-$HOME/.cache/duet-lab}
TIMEOUT=${LAB_TIMEOUT:-1140}
MEM=${LAB_MEM:-2048}
SMP=${LAB_SMP:-2}
CPU=${LAB_CPU:-qemu64}
OUT=${LAB_OUT:-$B/xen-lab/run}
BINS=$B/xen-lab/bin
XENSTORED=${LAB_XENSTORED:-oxenstored}
case "$XENSTORED" in
oxenstored) H_SUFFIX= ;;
xenstored) H_SUFFIX=-xenstored ;;
*) die "LAB_XENSTORED must be oxenstored or xenstored, not '$XENSTORED'" ;;
esac

# secs FROM TO: microsecond timestamps to seconds, one decimal.
secs() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) / 1000000 }'
}
T0=${EPOCHREALTIME/./}
tstep=$T0
declare -a host_steps=()
# host_step NAME: record how long the host part since the last call took.
host_step() {
	local now=${EPOCHREALTIME/./}
	host_steps+=("$(printf '%-34s %6ss' "$1" "$(secs "$tstep" "$now")")")
	tstep=$now
}
skip77() {
	echo "1..0 # SKIP $*"
	exit 77
}
die() {
	echo "xen-check: error: $*" >&2
	exit 1
}

# ---- can QEMU run here at all? ----------------------------------------
command -v qemu-system-x86_64 >/dev/null ||
	skip77 "qemu-system-x86_64 not installed (make xen-deps installs qemu-system-x86)"
accels=$(timeout 30 qemu-system-x86_64 -accel help 2>&1) ||
	skip77 "qemu-system-x86_64 does not run: $accels"
echo "$accels" | grep -qx tcg ||
	skip77 "qemu-system-x86_64 has no TCG accelerator: $accels"
for t in mkfs.ext4 debugfs cpio gzip; do
	command -v $t >/dev/null || die "$t not found (make xen-deps)"
done

# ---- images and programs -------------------------------------------------
DUET_LAB_CACHE=$CACHE "$HERE/build-images.sh" --check ||
	die "the lab's images are not usable"
for f in gnttest xs-probe ethstats; do
	[ -x "$BINS/$f" ] || die "$BINS/$f missing (make xen-check builds it)"
done

# The matrix: id, description, and the feature an entry waits for.  An
# entry runs when its script tests/xen/matrix/entry-<id>.sh exists (and,
# for b, when libduet's xen platform was built); otherwise it is a SKIP.
# Entry k (patches/ on make xen-kernel's image) runs only when asked for
# (LAB_ENTRIES=k): it is not yet proven in the lab, and it needs a kernel
# built from the series (46 minutes cold here).  Entry kl (the same with
# Linux's kernel backends in the driver domain) likewise (LAB_ENTRIES=kl).
# Entry fl (patches/xen-netfront-netback-rx-flip: make xen-kernel's domU
# receiving by page flipping from make xen-flip-module's netback in dom0)
# too (LAB_ENTRIES=fl; FL_SECONDS, default 600, is its long run;
# FL_RX_FLIP=0 is its control run, copying).
ENTRIES="lab a b c d e f g h m"
case " ${LAB_ENTRIES:-} " in *" k "*) ENTRIES="$ENTRIES k" ;; esac
case " ${LAB_ENTRIES:-} " in *" kl "*) ENTRIES="$ENTRIES kl" ;; esac
case " ${LAB_ENTRIES:-} " in *" fl "*) ENTRIES="$ENTRIES fl" ;; esac
FL_SECONDS=${FL_SECONDS:-600}
[ -z "${LAB_BENCH:-}" ] || ENTRIES="lab bench"
declare -A desc=(
	[lab]="lab: Xen 4.17 PV dom0 up (xenstored, xenconsoled, /dev/xen), raw libxen grants and evtchn"
	[a]="a: Linux blkback+blkfront and netback+netfront, dom0 <-> PV domU (xl create)"
	[b]="b: libduet xen platform dom0 <-> domU userspace: share, map, copy, evtchn, xentoolcore_restrict_all"
	[c]="c: duet blkback in dom0 serving Linux xen-blkfront (mkfs, write, read back, fio verify)"
	[d]="d: duet netback in dom0 serving Linux xen-netfront (ping both ways, iperf3)"
	[e]="e: Linux xen-blkback serving duet blkfront in domU userspace"
	[f]="f: Linux xen-netback serving duet netfront in domU userspace"
	[g]="g: driver domain: duet backend daemon in a domU serving another domU (xl backend=)"
	[k]="k: patched Linux frontends keep disk and vif across a driver domain restart (stock kernel as baseline; no-backend timeout)"
	[kl]="kl: as k, the driver domain running Linux's xen-blkback and xen-netback (stock kernel as baseline; no-backend timeout)"
	[fl]="fl: patched xen-netback (rx_flip=1) flips pages to patched xen-netfront: negotiation, ping, iperf3, ${FL_SECONDS} s run with flat memory, domU destroyed mid-transfer"
	[h]="h: xenstore op sequences (dom0; domU permissions) against the lab's xenstored match tests/xen/h-*.expected"
	[m]="m: the DMA layer's platform hook in dom0: pagemap, own P2M, checked against the M2P"
	[bench]="bench: fio and iperf3 in a domU over Linux's and duet's blkback and netback"
)
declare -A waits=(
	[b]="libduet xen platform"
	[c]="duet blkback"
	[d]="duet netback"
	[e]="duet blkfront"
	[f]="duet netfront"
	[g]="duet backend daemon (driver domain)"
	[k]="duet backend daemon and make xen-kernel"
	[kl]="make xen-kernel"
	[fl]="make xen-kernel and make xen-flip-module"
	[bench]="duet blkback and netback"
)
declare -A limit=([lab]=120 [a]=420 [b]=420 [c]=600 [d]=600 [e]=600 [f]=600
	[g]=600 [h]=180 [m]=120 [k]=2400 [kl]=2400 [bench]=1500
	[fl]=$((FL_SECONDS + 900)))
# The sources an entry's duet side needs (relative to the repository);
# until they are all there (merged into main) the entry is a SKIP.
declare -A needs=(
	[c]="backends/blkback/xenbus.c"
	[d]="backends/netback/xenbus.c"
	[e]="frontends/blkfront/xenbus.c toolstack/cli/cmd-blkfront.c"
	[f]="frontends/netfront/xenbus.c toolstack/cli/cmd-netfront.c"
	[g]="backends/blkback/xenbus.c backends/netback/xenbus.c"
	[k]="backends/blkback/xenbus.c backends/netback/xenbus.c"
	[bench]="backends/blkback/xenbus.c backends/netback/xenbus.c"
)
declare -A run=()
for id in $ENTRIES; do
	[ -f "$HERE/matrix/entry-$id.sh" ] || continue
	run[$id]=1
	for f in ${needs[$id]:-}; do
		[ -f "$HERE/../../$f" ] || unset "run[$id]"
	done
done
if [ -n "${run[b]:-}" ] && ! { [ -x "$BINS/b-dom0" ] && [ -x "$BINS/b-domu" ]; }; then
	unset 'run[b]'
fi
[ -x "$BINS/p2m-dom0" ] || unset 'run[m]'
# Entries k and kl boot make xen-kernel's image (patches/): skipped until
# it is built.
XEN_KERNEL=
if [ -n "${run[k]:-}${run[kl]:-}${run[fl]:-}" ]; then
	XEN_KERNEL=$("$HERE/../patches/xen-kernel.sh" --path 2>/dev/null) ||
		unset 'run[k]' 'run[kl]' 'run[fl]'
fi
# Entry fl also loads make xen-flip-module's xen-netback in dom0.
FLIP_MODULE=
if [ -n "${run[fl]:-}" ]; then
	FLIP_MODULE=$("$HERE/../patches/xen-flip-module.sh" --path 2>/dev/null) ||
		unset 'run[fl]'
fi
# LAB_ENTRIES="a c" runs only those (the lab's own checks always run).
declare -A unselected=()
if [ -n "${LAB_ENTRIES:-}" ]; then
	for id in $ENTRIES; do
		case " lab $LAB_ENTRIES " in
		*" $id "*) ;;
		*) [ -z "${run[$id]:-}" ] || unselected[$id]=1
		   unset "run[$id]" ;;
		esac
	done
fi

# Entries k and kl restart a driver domain four times under TCG: each
# brings its own time to QEMU's limit unless LAB_TIMEOUT was given.
for id in k kl fl; do
	if [ -n "${run[$id]:-}" ] && [ -z "${LAB_TIMEOUT:-}" ]; then
		TIMEOUT=$((TIMEOUT + limit[$id]))
	fi
done

# ---- payload and results disks --------------------------------------------
mkdir -p "$OUT"
rm -rf "$OUT/results" "$OUT"/sim.* "$OUT"/h-* "$OUT"/*.img "$OUT"/serial.log* \
	"$OUT/debugfs.log"
W=$(mktemp -d "$OUT/.stage.XXXXXX")
trap 'rm -rf "$W"' EXIT
P=$W/payload
mkdir -p "$P/bin" "$P/duet" "$W/domu/opt/lab/bin"
cp "$HERE"/matrix/*.sh "$P/"
cp -a "$BINS"/. "$P/bin/"
# The same duet as everyone's: its network-disk engines load libnbd and
# librbd at run time (backends/blkback/engine-lib.h), so neither it nor
# the initramfs cut from its ldd closure (matrix/lib.sh) carries them.
[ -x "$B/bin/duet" ] && cp "$B/bin/duet" "$P/duet/"
[ -d "$B/lib" ] && cp -a "$B/lib" "$P/duet/"
if [ -n "$XEN_KERNEL" ] && [ -n "${run[k]:-}${run[kl]:-}${run[fl]:-}" ]; then
	mkdir -p "$P/xen-kernel"
	cp "$XEN_KERNEL" "$P/xen-kernel/bzImage"
fi
if [ -n "$FLIP_MODULE" ] && [ -n "${run[fl]:-}" ]; then
	mkdir -p "$P/xen-flip"
	cp "$FLIP_MODULE" "$P/xen-flip/xen-netback.ko"
	echo "$FL_SECONDS" > "$P/xen-flip/seconds"
	echo "${FL_RX_FLIP:-1}" > "$P/xen-flip/rx-flip"
fi
for id in $ENTRIES; do
	[ -n "${run[$id]:-}" ] && echo "$id ${limit[$id]}"
done > "$P/entries"
echo "/usr/sbin/$XENSTORED" > "$P/xenstored"
echo "${LAB_BENCH_POLL_US:-0}" > "$P/bench-poll-us"
install -m 755 "$HERE/matrix/domu-init" "$W/domu/init"
[ -x "$BINS/b-domu" ] && cp "$BINS/b-domu" "$W/domu/opt/lab/bin/"
cp "$BINS/xs-probe" "$BINS/ethstats" "$W/domu/opt/lab/bin/"
cp "$HERE/matrix/xs-ops-domu.sh" "$W/domu/opt/lab/"
(cd "$W/domu" && find . | sort | cpio -o -H newc -R 0:0 --quiet | gzip -6) \
	> "$P/domu-extra.cpio.gz"
chown -R 0:0 "$P" 2>/dev/null || true
mkfs.ext4 -q -F -L duet-payload -d "$P" "$OUT/payload.img" 256M > /dev/null
mkfs.ext4 -q -F -L duet-results "$OUT/results.img" 256M > /dev/null
host_step "payload + results disks"

# ---- boot ------------------------------------------------------------------
# The CPU model: with -cpu max (SMAP/SMEP hidden, or the PV dom0 kernel dies
# on its first exception) processes in dom0 and the domUs crash now and
# then (SIGSEGV / general protection in libc, libgcc_s, busybox) once
# several domains run: 3 crashes in one stress run, none with qemu64 under
# the same load.  qemu64 has no SMAP/SMEP/AVX/XSAVE/FSGSBASE and is as fast
# under TCG.  LAB_CPU overrides it.  QEMU cannot load xen.gz (hence the
# gunzip'ed image) and
# separates multiboot modules with commas, so dom0's command line has none.
# Without Xen's 'noreboot' a dom0 reboot, crash or Xen panic resets the
# machine and -no-reboot makes QEMU exit; the timeout is the last resort.
XEN_CMDLINE="dom0_mem=1024M,max:1024M dom0_max_vcpus=$SMP console=com1 com1=115200,8n1 loglvl=all guest_loglvl=all"
DOM0_CMDLINE="root=/dev/vda rw console=hvc0 earlyprintk=xen init=/sbin/duet-lab-init"
# shellcheck disable=SC2054 # the commas belong to QEMU's option syntax
QEMU=(timeout --signal=KILL "$TIMEOUT" qemu-system-x86_64
	-accel tcg,thread=multi -cpu "$CPU" -m "$MEM" -smp "$SMP"
	-display none -monitor none -serial stdio -no-reboot -nic none
	-kernel "$CACHE/xen-4.17-amd64" -append "$XEN_CMDLINE"
	-initrd "$CACHE/vmlinuz $DOM0_CMDLINE,$CACHE/initrd.img"
	-drive "file=$CACHE/dom0.img,if=virtio,format=raw,cache=unsafe,snapshot=on"
	-drive "file=$OUT/payload.img,if=virtio,format=raw,cache=unsafe"
	-drive "file=$OUT/results.img,if=virtio,format=raw,cache=unsafe")
LOG=$OUT/serial.log
echo "# xen-check: images $CACHE (stamp $(cut -c1-12 "$CACHE/stamp")), $XENSTORED, run $OUT"
echo "# command: ${QEMU[*]}" | tee "$LOG.cmd"

FIFO=$W/serial.fifo
mkfifo "$FIFO"
qstart=${EPOCHREALTIME/./}
# Every serial line gets the seconds since QEMU started.
(while IFS= read -r line; do
	now=${EPOCHREALTIME/./}
	d=$((now - qstart))
	printf '[%4d.%02d] %s\n' $((d / 1000000)) $((d % 1000000 / 10000)) \
		"${line%$'\r'}"
done < "$FIFO" > "$LOG") &
ts_pid=$!
("${QEMU[@]}" < /dev/null > "$FIFO" 2>&1) &
q_pid=$!
shown=0
while kill -0 $q_pid 2>/dev/null; do
	sleep 2
	n=$(wc -l < "$LOG")
	if [ "$n" -gt "$shown" ]; then
		sed -n "$((shown + 1)),${n}p" "$LOG" |
			grep -E 'LAB-(STEP|RESULT|FATAL)|\(XEN\) (Xen version|Hardware Dom0|Panic)|Kernel panic' |
			sed 's/^/# /' || true
		shown=$n
	fi
done
qrc=0
wait $q_pid || qrc=$?
wait $ts_pid || true
qend=${EPOCHREALTIME/./}
sed -n "$((shown + 1)),\$p" "$LOG" |
	grep -E 'LAB-(STEP|RESULT|FATAL)|\(XEN\) (Hardware Dom0|Panic)|Kernel panic' |
	sed 's/^/# /' || true
host_step "QEMU run (exit status $qrc)"

# ---- results -------------------------------------------------------------
R=$OUT/results
mkdir -p "$R"
debugfs -R "rdump / $R" "$OUT/results.img" > "$OUT/debugfs.log" 2>&1 || true
host_step "results disk read back"

booted=1
grep -q 'LAB-STEP .* matrix start' "$LOG" || booted=0
declare -A status=()
if [ -f "$R/results.txt" ]; then
	while read -r id st rc; do
		status[$id]="$st $rc"
	done < "$R/results.txt"
fi
# Entries the results disk missed (dom0 died before syncing) may still be
# on the serial console.
while read -r id st rc; do
	[ -n "${status[$id]:-}" ] || status[$id]="$st $rc"
done < <(sed -n 's/.*LAB-RESULT \([a-z]*\) \([a-z]*\) \([0-9]*\).*/\1 \2 \3/p' "$LOG")

# ---- entry h, host half ----------------------------------------------------
# Both transcripts (dom0's sequence, the domU's permissions sequence) must
# be the recorded ones.
h_extra=""
if [ "${status[h]:-}" = "ok 0" ]; then
	for t in xenstore xenstore-domu; do
		exp=$HERE/h-$t$H_SUFFIX.expected
		got=$R/h-$t.transcript
		if [ ! -f "$exp" ]; then
			status[h]="fail expected"
			h_extra="$h_extra no recorded transcript $exp (the lab's: $got)."
		elif ! diff -u "$exp" "$got" > "$OUT/h-$t.diff"; then
			status[h]="fail diff"
			h_extra="$h_extra $got differs from $exp: $OUT/h-$t.diff."
		fi
	done
fi

# ---- TAP -------------------------------------------------------------------
total=0
for id in $ENTRIES; do
	total=$((total + 1))
done
total=$((total + 1))
echo "1..$total"
n=0
failed=0
entry_log() {
	local f=$R/$1.log
	[ -f "$f" ] || f=/dev/null
	if [ "$2" = ok ]; then
		grep -E '^(ok|FAIL) - |^# ' "$f" | sed 's/^/#   /' || true
	else
		grep -vE '^LAB-STEP' "$f" | tail -n 60 | sed 's/^/#   /' || true
	fi
}
for id in $ENTRIES; do
	n=$((n + 1))
	if [ -n "${unselected[$id]:-}" ]; then
		echo "ok $n - ${desc[$id]} # SKIP not in LAB_ENTRIES"
		continue
	fi
	if [ -z "${run[$id]:-}" ]; then
		echo "ok $n - ${desc[$id]} # SKIP waits for ${waits[$id]:-its feature}"
		continue
	fi
	st=${status[$id]:-}
	if [ "${st%% *}" = ok ]; then
		echo "ok $n - ${desc[$id]}"
		entry_log "$id" ok
	else
		failed=$((failed + 1))
		echo "not ok $n - ${desc[$id]}"
		if [ -z "$st" ]; then
			echo "#   no result: the lab died or timed out before this entry finished"
		fi
		[ -z "$h_extra" ] || [ "$id" != h ] || echo "#  $h_extra"
		entry_log "$id" fail
	fi
done
n=$((n + 1))
if [ -n "${unselected[h]:-}" ] || [ -n "${LAB_BENCH:-}" ]; then
	hrc=unselected
else
	"$HERE/h-sim.sh" "$B" "$R" "$OUT" "$XENSTORED" > "$OUT/h-sim.out" 2>&1 &&
		hrc=0 || hrc=$?
fi
hsim="h: same transcripts from duet's simulator xenstore (--xenstored $XENSTORED)"
case $hrc in
unselected) echo "ok $n - $hsim # SKIP not in LAB_ENTRIES" ;;
0)
	echo "ok $n - $hsim"
	sed 's/^/#   /' "$OUT/h-sim.out"
	;;
77) echo "ok $n - $hsim # SKIP waits for $(tail -n 1 "$OUT/h-sim.out")" ;;
*)
	failed=$((failed + 1))
	echo "not ok $n - $hsim"
	tail -n 60 "$OUT/h-sim.out" | sed 's/^/#   /'
	;;
esac
host_step "entry h on the simulator"

[ $qrc -ne 137 ] || echo "# QEMU was killed at the time limit (LAB_TIMEOUT=${TIMEOUT}s)"
# Crashed processes in dom0 or a domU show up in the kernel logs only.
grep -hE 'traps: |segfault at|DOMU-DMESG' "$LOG" "$R"/console-*.log 2>/dev/null |
	sed 's/^/# crash: /' || true
if [ $booted = 0 ]; then
	echo "# the lab did not boot (QEMU exit status $qrc); serial log tail:"
	tail -n 60 "$LOG" | sed 's/^/#   /'
	failed=$((failed + 1))
fi

# ---- timings ---------------------------------------------------------------
t() {
	grep -m1 -E "$1" "$LOG" | sed -n 's/^\[ *\([0-9.]*\)\].*/\1/p'
}
echo "# timings, seconds since QEMU start (host clock):"
printf '#   %-40s %s\n' \
	"Xen banner" "$(t '\(XEN\) Xen version')" \
	"dom0 kernel starts" "$(t 'Linux version')" \
	"dom0 userspace" "$(t 'LAB-STEP .* dom0-userspace')" \
	"xen daemons started" "$(t 'LAB-STEP .* xen daemons started')"
for id in $ENTRIES; do
	[ -n "${run[$id]:-}" ] || continue
	s=$(t "LAB-STEP .* entry $id start")
	e=$(t "LAB-STEP .* entry $id end")
	if [ -n "$s" ] && [ -n "$e" ]; then
		printf '#   %-40s %s-%s (%ss)\n' "entry $id" "$s" "$e" \
			"$(awk -v a="$s" -v b="$e" 'BEGIN { printf "%.1f", b - a }')"
	fi
done
printf '#   %-40s %s\n' "dom0 done, rebooting" "$(t 'LAB-END')" \
	"QEMU exited" "$(secs "$qstart" "$qend")"
echo "# host steps:"
for s in "${host_steps[@]}"; do
	echo "#   $s"
done
echo "# total xen-check run time: $(secs "$T0" "${EPOCHREALTIME/./}")s"
echo "# serial log: $LOG; results: $R"
[ $failed -eq 0 ]

#!/bin/sh
# soak.sh - "make soak" (issue 16): minutes of traffic through one backend
# daemon whose per-device instances are killed with -9 one after another,
# with every resource the stack holds sampled, to show that nothing leaks.
#
# On a private simulator: a driver domain (own network namespace, bridge
# br0 = 10.88.0.1) runs ONE `duet backend`; SOAK_GUESTS guests (each with
# its own network namespace) have
#   - a disk xvda (backend=<driver domain>, a file in /dev/shm): nbdkit
#     exports it through duet's blkfront (nbdkit-duet-plugin.so, 4 queues)
#     and fio's nbd engine writes it with verify (crc32c, randrepeat=0 so
#     every run writes new data; each run writes and verifies
#     SOAK_FIO_IO_MB at SOAK_FIO_RATE, runs repeat until the end);
#   - a vif 0 (backend=<driver domain>): `duet netfront 0` (TAP eth0 =
#     10.88.0.<10+guest>), and iperf3 runs of SOAK_IPERF_SECONDS at
#     SOAK_IPERF_RATE to a server of its own in the driver domain.
# For SOAK_MINUTES, every SOAK_KILL_SECONDS one instance of the daemon is
# killed with -9 (devices round-robin, disk and vif alternately: vbd of
# guest 1, vif of guest 1, vbd of guest 2, ...); the daemon restarts it
# and the frontend reconnects.  Every SOAK_SAMPLE_SECONDS, the samples:
#   per process (RSS kB from /proc/PID/status, open fds in /proc/PID/fd;
#     a disk instance's RSS without its mapping of the disk image, which
#     is recorded apart as diskmap_kb and not judged):
#     simd (the simulator daemon), daemon (duet backend), vbd-<g> and
#     vif-<g> (the device's current instance), netfront-<g>, nbdkit-<g>;
#   per domain (`duet sim status`): grants in use, event-channel ports
#     allocated and bound to a peer, simulator clients (connections).
# One more sample is taken at the end, once kills have stopped and every
# device has reconnected.
#
# Pass criteria (tests/soak/judge.awk has the rule and the bounds):
#   1. every figure is flat after warm-up: with S the samples taken after
#      SOAK_WARMUP_SECONDS (default 60, at most a third of the run),
#      last(S) <= max(first third of S) + slack,
#      slack = RSS: max(SOAK_RSS_SLACK_KB, SOAK_RSS_SLACK_PCT % of that
#      max); fds: max(SOAK_FD_SLACK, SOAK_FD_SLACK_PCT %); grants:
#      max(SOAK_GRANT_SLACK, SOAK_GRANT_SLACK_PCT %); ports, bound,
#      clients: 0.  An instance is judged on its own samples (those
#      SOAK_INSTANCE_WARMUP_SECONDS after it appeared); one too young for
#      3 of them is compared with the post-warm-up maximum of its
#      device's earlier instances.  A frontend process (nbdkit, netfront)
#      warms up again after its device's first kill: blkfront frees and
#      callocs its request tables on reconnect, which makes resident the
#      pages the first connection never touched (a one-off step of ~6 MB
#      per nbdkit, flat over later reconnects);
#   2. every kill is followed by a new instance and a reconnection of the
#      frontend within SOAK_RECONNECT_SECONDS;
#   3. no fio run reports a verify error or fails, every guest completes a
#      verified run;
#   4. no frontend left disconnected: every vbd and vif in state 4 (both
#      ends) at the end, and no duet process died but the killed ones;
#   5. every vif carried iperf3 traffic (failed runs are counted, and
#      shown, not failures: a run that spans its vif's reset may end).
# Output: TAP on stdout, the samples in $SOAK_OUT (build/soak)/samples.csv
# (t_s,series,pid,metric,value), the kills in kills.csv, a plot in
# soak.png (gnuplot), per-metric tables *.dat, the output of every fio or
# iperf3 run that failed (fio<g>.run<n>.log, iperf<g>.run<n>.log), and the
# backend daemon's log (backend.log); exit 0 pass, 1 fail,
# 77 cannot run here (reason printed).
: "${DUET_BUILD:=$(cd "$(dirname "$0")/../.." && pwd)/build}"
DUET="$DUET_BUILD/bin/duet"
PLUGIN="$DUET_BUILD/lib/nbdkit-duet-plugin.so"
HERE=$(cd "$(dirname "$0")" && pwd)
MINUTES=${SOAK_MINUTES:-10}
KILL_S=${SOAK_KILL_SECONDS:-60}
SAMPLE_S=${SOAK_SAMPLE_SECONDS:-10}
GUESTS=${SOAK_GUESTS:-8}
DISK_MB=${SOAK_DISK_MB:-64}
FIO_IO_MB=${SOAK_FIO_IO_MB:-16}
FIO_RATE=${SOAK_FIO_RATE:-2m}
FIO_QD=${SOAK_FIO_QD:-16}
IPERF_S=${SOAK_IPERF_SECONDS:-20}
IPERF_RATE=${SOAK_IPERF_RATE:-20M}
RECONNECT_S=${SOAK_RECONNECT_SECONDS:-60}
OUT=${SOAK_OUT:-$DUET_BUILD/soak}
RUN_S=$((MINUTES * 60))
WARMUP_S=${SOAK_WARMUP_SECONDS:-$((RUN_S / 3 < 60 ? RUN_S / 3 : 60))}
INST_WARMUP_S=${SOAK_INSTANCE_WARMUP_SECONDS:-20}
RSS_SLACK_KB=${SOAK_RSS_SLACK_KB:-2048}
RSS_SLACK_PCT=${SOAK_RSS_SLACK_PCT:-10}
FD_SLACK=${SOAK_FD_SLACK:-2}
FD_SLACK_PCT=${SOAK_FD_SLACK_PCT:-10}
GRANT_SLACK=${SOAK_GRANT_SLACK:-64}
# 25 %: most of a guest's grants are blkfront's persistent pool, a cache
# that grows by 32-page chunks to its workload's high-water mark (random
# 4-64 KiB requests, 4 queues) and is given back only on reconnect; in
# 10 minutes it crept up to +12 % after warm-up (a guest from 1090 to
# 1218), and the simulator's fds (one memfd per chunk) and RSS with it.
GRANT_SLACK_PCT=${SOAK_GRANT_SLACK_PCT:-25}

skip() { echo "1..0 # SKIP $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "needs root (TAP devices, network namespaces)"
for t in nbdkit fio iperf3 ip xenstore-read timeout awk; do
	command -v $t >/dev/null 2>&1 || skip "$t missing (make deps)"
done
fio --enghelp=nbd >/dev/null 2>&1 || skip "fio has no nbd engine"
[ -x "$DUET" ] || skip "$DUET not built (make)"
[ -f "$PLUGIN" ] || skip "$PLUGIN not built (nbdkit-plugin-dev)"
for v in "$MINUTES" "$KILL_S" "$SAMPLE_S" "$GUESTS" "$DISK_MB" "$FIO_IO_MB" \
	"$IPERF_S" "$RECONNECT_S" "$WARMUP_S" "$INST_WARMUP_S"; do
	case $v in ''|*[!0-9]*|0) echo "soak: bad SOAK_* value '$v'" >&2
		exit 2;; esac
done
[ "$GUESTS" -le 50 ] || { echo "soak: SOAK_GUESTS at most 50" >&2; exit 2; }
[ "$FIO_IO_MB" -le "$DISK_MB" ] ||
	{ echo "soak: SOAK_FIO_IO_MB > SOAK_DISK_MB" >&2; exit 2; }

D=$(mktemp -d /tmp/duet-soak.XXXXXX)
IMGD=/dev/shm/duet-soak.$$
unset DUET_PLATFORM DUET_DOMID XENSTORED_PATH
export DUET_SIM_DIR="$D"
PIDS=
T=0
FAILED=0
T0=$(date +%s)
START=$T0

# Cleanup, bounded: stop the load loops (they check $D/stop; their current
# fio/iperf3 run is a `timeout` process, which passes SIGTERM on), then the
# frontends and iperf3 servers, the backend daemon (SIGTERM: it stops
# every instance), and the simulator (which removes the domains' network
# namespaces).  Everything is killed by the pid we started it with.
cleanup() {
	touch "$D/stop" 2>/dev/null
	for f in "$D"/*.cur "$D"/*.srvpid; do
		[ -s "$f" ] && kill "$(cat "$f")" 2>/dev/null
	done
	[ -n "$PIDS" ] && kill $PIDS 2>/dev/null
	i=0
	while [ $i -lt 50 ]; do
		alive=
		for p in $PIDS; do kill -0 "$p" 2>/dev/null && alive="$alive $p"; done
		[ -z "$alive" ] && break
		sleep 0.1
		i=$((i + 1))
	done
	[ -n "${alive:-}" ] && kill -9 $alive 2>/dev/null
	"$DUET" sim stop --dir "$D" >/dev/null 2>&1
	rm -rf "$D" "$IMGD"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

ok() { # ok STATUS NAME
	T=$((T + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $T - $2"
	else
		echo "not ok $T - $2"
		FAILED=$((FAILED + 1))
	fi
}
note() { echo "# $*"; }
now() { echo $(($(date +%s) - T0)); }
. "$HERE/../sim/lib/until.sh"
bail() { echo "Bail out! $*"; exit 1; }

mkdir -p "$OUT" "$IMGD" || bail "cannot make $OUT or $IMGD"
rm -f "$OUT"/samples.csv "$OUT"/kills.csv "$OUT"/*.dat "$OUT"/soak.png \
	"$OUT"/*.run*.log
note "soak: $GUESTS guests, ${MINUTES} min, a kill every ${KILL_S} s," \
	"a sample every ${SAMPLE_S} s, warm-up ${WARMUP_S} s; output in $OUT"

# ------------------------------------------------------------------ #
# Setup                                                              #
# ------------------------------------------------------------------ #
"$DUET" sim start >/dev/null || bail "cannot start the simulator"
SIMD=$("$DUET" sim status | sed -n '1s/.*(pid \([0-9]*\)).*/\1/p')
DD=$("$DUET" sim domain create driver --netns) || bail "no driver domain"
eval "$("$DUET" sim env 0)"
in_dd() { "$DUET" sim exec "$DD" -- "$@"; }
in_dd ip link set lo up
in_dd ip link add br0 type bridge
in_dd ip addr add 10.88.0.1/24 dev br0
in_dd ip link set br0 up
"$DUET" sim exec "$DD" -- "$DUET" backend >"$D/backend.log" 2>&1 &
DAEMON=$!
PIDS="$PIDS $DAEMON"
STATUS="$D/backend-$DD.status"

g=1
while [ $g -le "$GUESTS" ]; do
	id=$("$DUET" sim domain create "guest$g" --netns) ||
		bail "cannot create guest $g"
	echo "$id" > "$D/dom.$g"
	truncate -s "${DISK_MB}M" "$IMGD/disk$g.img"
	"$DUET" attach "$id" "disk=$IMGD/disk$g.img,raw,xvda,rw,backend=$DD" \
		>/dev/null || bail "cannot attach guest $g's disk"
	"$DUET" attach "$id" "vif=bridge=br0,mac=00:16:3e:00:88:$(printf %02x $g),backend=$DD" \
		>/dev/null || bail "cannot attach guest $g's vif"
	g=$((g + 1))
done
dom() { cat "$D/dom.$1"; }
fe_path() { # fe_path TYPE GUEST
	case $1 in
	vbd) echo "/local/domain/$(dom $2)/device/vbd/51712";;
	vif) echo "/local/domain/$(dom $2)/device/vif/0";;
	esac
}
be_path() {
	case $1 in
	vbd) echo "/local/domain/$DD/backend/vbd/$(dom $2)/51712";;
	vif) echo "/local/domain/$DD/backend/vif/$(dom $2)/0";;
	esac
}
# connected TYPE GUEST: both ends of the device in state 4.
connected() {
	[ "$(xenstore-read "$(fe_path $1 $2)/state" 2>/dev/null)" = 4 ] &&
		[ "$(xenstore-read "$(be_path $1 $2)/state" 2>/dev/null)" = 4 ]
}
# instance TYPE GUEST [FIELD]: from the daemon's status file, the device's
# instance pid (field 5, only while running) or its restarts (field 6).
instance() {
	awk -v t="$1" -v fe="$(dom $2)" -v f="${3:-5}" '$1 == "device" &&
		$2 == t && $3 == fe && (f != 5 || $7 == "running") { print $f }' \
		"$STATUS" 2>/dev/null
}

# The frontends: netfront and nbdkit in every guest.
g=1
while [ $g -le "$GUESTS" ]; do
	id=$(dom $g)
	"$DUET" sim exec "$id" -- "$DUET" netfront 0 >"$D/netfront$g.log" 2>&1 &
	echo $! > "$D/netfront.$g"
	PIDS="$PIDS $!"
	"$DUET" sim exec "$id" -- nbdkit -f -U "$D/nbd$g.sock" "$PLUGIN" \
		devid=xvda queues=4 >"$D/nbdkit$g.log" 2>&1 &
	echo $! > "$D/nbdkit.$g"
	PIDS="$PIDS $!"
	g=$((g + 1))
done
all_connected() {
	for i in $(seq 1 "$GUESTS"); do
		connected vbd $i && connected vif $i || return 1
	done
}
until_ok $((30 + 5 * GUESTS)) all_connected
ok $? "all $GUESTS disks and vifs connected through one duet backend in domain $DD"
"$DUET" status --all >"$D/status.start" 2>&1
nq=$(grep '^vbd' "$D/status.start" | grep -c ' queues=4 ')
ok $([ "$nq" -eq "$GUESTS" ] && echo 0 || echo 1) \
	"every disk runs 4 queues ($nq of $GUESTS)"

# Guest networks: eth0 up, an iperf3 server per guest in the driver domain.
g=1
while [ $g -le "$GUESTS" ]; do
	id=$(dom $g)
	until_ok 20 "$DUET" sim exec "$id" -- ip link show eth0
	"$DUET" sim exec "$id" -- ip link set lo up
	"$DUET" sim exec "$id" -- ip addr add "10.88.0.$((10 + g))/24" dev eth0
	"$DUET" sim exec "$id" -- ip link set eth0 up
	in_dd iperf3 -s -D -B 10.88.0.1 -p $((5300 + g)) -I "$D/iperf$g.srvpid" \
		--logfile "$D/iperf-srv$g.log" >/dev/null 2>&1
	g=$((g + 1))
done
pings=0
for g in $(seq 1 "$GUESTS"); do
	until_ok 20 "$DUET" sim exec "$(dom $g)" -- ping -c 1 -W 1 10.88.0.1 &&
		pings=$((pings + 1))
done
ok $([ "$pings" -eq "$GUESTS" ] && echo 0 || echo 1) \
	"every guest pings the driver domain over its vif ($pings of $GUESTS)"

# ------------------------------------------------------------------ #
# Load                                                               #
# ------------------------------------------------------------------ #
# fio_loop GUEST: verified write runs until $D/stop; one line per run in
# fio<g>.runs: "<run> <exit status> <seconds>".  Each run is bounded by
# timeout(1) (its pid in fio<g>.cur for the cleanup).
fio_loop() {
	g=$1 n=0
	while [ ! -e "$D/stop" ]; do
		n=$((n + 1))
		s=$(date +%s)
		timeout 600 "$DUET" sim exec "$(dom $g)" -- fio \
			--name="soak-g$g" --ioengine=nbd \
			--uri="nbd+unix:///?socket=$D/nbd$g.sock" \
			--size="${DISK_MB}M" --io_size="${FIO_IO_MB}M" \
			--rw=randwrite --bsrange=4k-64k --iodepth="$FIO_QD" \
			--rate="$FIO_RATE" --randrepeat=0 \
			--verify=crc32c --verify_backlog=64 --verify_fatal=1 \
			--verify_dump=0 --verify_state_save=0 \
			>"$D/fio$g.$n.log" 2>&1 &
		echo $! > "$D/fio$g.cur"
		wait $!
		rc=$?
		echo "$n $rc $(($(date +%s) - s))" >> "$D/fio$g.runs"
		[ $rc -eq 0 ] || cp "$D/fio$g.$n.log" "$OUT/fio$g.run$n.log"
	done
	rm -f "$D/fio$g.cur"
}
# iperf_loop GUEST: iperf3 runs to the guest's server until $D/stop; one
# line per run in iperf<g>.runs: "<run> <exit status> <Mbit/s received>".
iperf_loop() {
	g=$1 n=0
	while [ ! -e "$D/stop" ]; do
		n=$((n + 1))
		timeout $((IPERF_S + 60)) "$DUET" sim exec "$(dom $g)" -- \
			iperf3 -c 10.88.0.1 -p $((5300 + g)) -t "$IPERF_S" \
			-b "$IPERF_RATE" -f m --connect-timeout 5000 \
			>"$D/iperf$g.out" 2>&1 &
		echo $! > "$D/iperf$g.cur"
		wait $!
		rc=$?
		bw=$(awk '/receiver/ { for (i = 1; i < NF; i++)
			if ($(i + 1) == "Mbits/sec") v = $i } END { print v + 0 }' \
			"$D/iperf$g.out")
		echo "$n $rc $bw" >> "$D/iperf$g.runs"
		[ $rc -eq 0 ] ||
			{ cp "$D/iperf$g.out" "$OUT/iperf$g.run$n.log"; sleep 1; }
	done
	rm -f "$D/iperf$g.cur"
}
LOOPS=
for g in $(seq 1 "$GUESTS"); do
	fio_loop $g &
	LOOPS="$LOOPS $!"
	iperf_loop $g &
	LOOPS="$LOOPS $!"
done
PIDS="$PIDS $LOOPS"

# ------------------------------------------------------------------ #
# Samples and kills                                                  #
# ------------------------------------------------------------------ #
CSV="$OUT/samples.csv"
echo "t_s,series,pid,metric,value" > "$CSV"
echo "kill,t_s,device,old_pid,new_pid,restart_s,reconnect_s,result" \
	> "$OUT/kills.csv"

# nfds PID: its open descriptors (a shell glob, no exec).
nfds() {
	set -- /proc/$1/fd/*
	[ -e "$1" ] && echo $# || echo 0
}
# procs: "<series> <pid>" of every duet process now.
procs() {
	echo "simd $SIMD"
	echo "daemon $DAEMON"
	for g in $(seq 1 "$GUESTS"); do
		echo "vbd-$g $(instance vbd $g)"
		echo "vif-$g $(instance vif $g)"
		echo "netfront-$g $(cat "$D/netfront.$g")"
		echo "nbdkit-$g $(cat "$D/nbdkit.$g")"
	done
}
# sample T: one row per figure into the CSV, one summary line to stdout.
# Per process: VmRSS, and the least of three fd counts 0.1 s apart, so
# that a connection that comes and goes (a `duet sim exec` or xenstore
# client of the simulator, fio's NBD connection to nbdkit between two
# runs) is not counted, and a leaked one is.
sample() {
	t=$1
	procs > "$D/procs"
	: > "$D/fds"
	for r in 1 2 3; do
		[ $r -gt 1 ] && sleep 0.1
		while read -r s p; do
			[ -n "$p" ] && [ -d "/proc/$p/fd" ] &&
				echo "$s $p $(nfds $p)" >> "$D/fds"
		done < "$D/procs"
	done
	{
		while read -r s p; do
			[ -n "$p" ] && [ -r "/proc/$p/status" ] || continue
			rss=
			while read -r key val rest; do
				[ "$key" = VmRSS: ] && { rss=$val; break; }
			done < "/proc/$p/status"
			[ -n "$rss" ] || continue
			# A disk instance maps its image (a tmpfs file: blkback's
			# inline engine), whose pages count in VmRSS as the guest
			# touches them, up to the disk's size: page cache, not the
			# instance's memory.  Judged without them; recorded apart.
			case $s in vbd-*)
				dm=$(awk -v d="$IMGD/" 'NF >= 6 && $2 ~ /^[r-][w-][x-][sp]$/ {
						on = index($6, d) == 1; next }
					on && $1 == "Rss:" { k += $2 }
					END { print k + 0 }' "/proc/$p/smaps" 2>/dev/null)
				dm=${dm:-0}
				rss=$((rss - dm))
				echo "$t,$s,$p,diskmap_kb,$dm" ;;
			esac
			echo "$t,$s,$p,rss_kb,$rss"
		done < "$D/procs"
		awk -v t="$t" '!(($1, $2) in m) || $3 < m[$1, $2] {
			if (!(($1, $2) in m)) o[++n] = $1 SUBSEP $2
			m[$1, $2] = $3 }
			END { for (i = 1; i <= n; i++) { split(o[i], a, SUBSEP)
				print t "," a[1] "," a[2] ",fds," m[o[i]] } }' \
			"$D/fds"
		# For the record (not judged): blkback's persistent grants
		# per disk, from its counters for `duet status`: blkfront's
		# pool, a cache that grows in chunks of 32 pages up to its
		# workload's high-water mark, is most of a guest's grants.
		for g in $(seq 1 "$GUESTS"); do
			awk -v t="$t" -v s="vbd-$g" '$1 == "persistent-grants" {
				print t "," s ",,pgrants," $2 }' \
				"$D/backend-$DD-vbd-$(dom $g)-51712.stats" 2>/dev/null
		done
		# domid name netns clients used/max ports bound
		"$DUET" sim status | awk -v t="$t" -v dd="$DD" 'NR > 2 {
			split($5, gr, "/")
			s = $1 == dd ? "dom-driver" : $1 == 0 ? "dom-0" : \
				"dom-" $2
			print t "," s ",," "clients," $4
			print t "," s ",," "grants," gr[1]
			print t "," s ",," "ports," $6
			print t "," s ",," "bound," $7 }'
	} > "$D/sample.csv"
	cat "$D/sample.csv" >> "$CSV"
	up=0
	for g in $(seq 1 "$GUESTS"); do
		connected vbd $g && up=$((up + 1))
		connected vif $g && up=$((up + 1))
	done
	fio=$(cat "$D"/fio*.runs 2>/dev/null | wc -l)
	ipf=$(cat "$D"/iperf*.runs 2>/dev/null | wc -l)
	awk -F, -v t="$t" -v up="$up" -v n=$((2 * GUESTS)) -v k="$KILLS" \
		-v fio="$fio" -v ipf="$ipf" '
		$4 == "rss_kb" { rss += $5; np++ }
		$4 == "fds" { fds += $5 }
		$4 == "grants" { gr += $5 }
		$4 == "ports" { po += $5 }
		$4 == "bound" { bo += $5 }
		$4 == "clients" { cl += $5 }
		END { printf "# %5d %5d %9d %6d %7d %6d %6d %6d %5d/%-3d %5d %5d %5d\n",
			t, np, rss, fds, gr, po, bo, cl, up, n, k, fio, ipf }' \
		"$D/sample.csv"
}

# watch_kill K TYPE GUEST OLDPID T MARK: in the background, the fate of
# kill K (MARK: a file touched just after it): a new instance (restart_s
# after the kill), then the device connected again (reconnect_s): both
# ends in state 4 and the instance's counters for `duet status`
# (<run dir>/backend-<dd>-<type>-<fe>-<devid>.stats) rewritten after the
# kill with queues > 0.  The states alone cannot tell: a new netback
# finds netfront Connected and connects to its rings without a reset,
# so the frontend never leaves state 4.  One line to kills.csv; bounded
# by SOAK_RECONNECT_SECONDS.
watch_kill() {
	k=$1 ty=$2 g=$3 old=$4 t=$5 mark=$6
	[ $ty = vbd ] && devid=51712 || devid=0
	stats="$D/backend-$DD-$ty-$(dom $g)-$devid.stats"
	s=$(date +%s%N)
	new= rs=- rc=- res=no-restart
	end=$(($(date +%s) + RECONNECT_S))
	while [ "$(date +%s)" -lt $end ]; do
		p=$(instance $ty $g)
		[ -n "$p" ] && [ "$p" != "$old" ] && { new=$p; break; }
		sleep 0.02
	done
	if [ -n "$new" ]; then
		rs=$(awk -v a="$s" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
		res=no-reconnect
		while [ "$(date +%s)" -lt $end ]; do
			if [ -n "$(find "$stats" -newer "$mark" 2>/dev/null)" ] &&
				awk '$1 == "queues" { q = $2 } END { exit !(q > 0) }' \
					"$stats" 2>/dev/null && connected $ty $g; then
				res=ok
				rc=$(awk -v a="$s" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
				break
			fi
			sleep 0.02
		done
	fi
	echo "$k,$t,$ty-$g,$old,${new:--},$rs,$rc,$res" >> "$OUT/kills.csv"
}

KILLS=0
WATCHERS=
note "samples (totals over every duet process and domain; details in $CSV):"
note "    t procs    rss_kB    fds  grants  ports  bound   clnt connected kills fioruns iperfruns"
next_sample=0
next_kill=$KILL_S
T0=$(date +%s)
while :; do
	t=$(now)
	[ $t -ge $RUN_S ] && break
	if [ $t -ge $next_sample ]; then
		sample $t
		next_sample=$((next_sample + SAMPLE_S))
	fi
	if [ $t -ge $next_kill ]; then
		g=$((KILLS / 2 % GUESTS + 1))
		[ $((KILLS % 2)) -eq 0 ] && ty=vbd || ty=vif
		KILLS=$((KILLS + 1))
		pid=$(instance $ty $g)
		if [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; then
			touch "$D/kill$KILLS.mark"
			watch_kill $KILLS $ty $g $pid $t "$D/kill$KILLS.mark" &
			WATCHERS="$WATCHERS $!"
		else
			echo "$KILLS,$t,$ty-$g,-,-,-,-,no-instance-to-kill" \
				>> "$OUT/kills.csv"
		fi
		next_kill=$((next_kill + KILL_S))
	fi
	sleep 1
done

# The end: no more kills; wait for the watchers and every device, then
# the last sample (traffic still running), then stop the load.
for w in $WATCHERS; do wait $w; done
{ head -1 "$OUT/kills.csv"; tail -n +2 "$OUT/kills.csv" | sort -t, -k1,1n; } \
	> "$D/kills.csv" && cp "$D/kills.csv" "$OUT/kills.csv"
until_ok $RECONNECT_S all_connected
sample $(now)
SOAK_END=$(now)
touch "$D/stop"
# Runs in flight finish (bounded: fio's by its I/O size, iperf3's by -t);
# what is still running after 180 s is stopped and not counted.
i=0
while [ $i -lt 180 ] && ls "$D"/*.cur >/dev/null 2>&1; do
	sleep 1
	i=$((i + 1))
done
for f in "$D"/*.cur; do [ -s "$f" ] && kill "$(cat "$f")" 2>/dev/null; done
for l in $LOOPS; do wait $l 2>/dev/null; done

# ------------------------------------------------------------------ #
# Verdicts                                                           #
# ------------------------------------------------------------------ #
echo
note "kills (restart_s: kill to new instance; reconnect_s: kill to both ends in state 4):"
column -t -s, "$OUT/kills.csv" | sed 's/^/#   /'
bad=$(awk -F, 'NR > 1 && $8 !~ /^ok/' "$OUT/kills.csv" | wc -l)
nk=$(($(wc -l < "$OUT/kills.csv") - 1))
ok $([ "$bad" -eq 0 ] && [ "$nk" -eq "$KILLS" ] && echo 0 || echo 1) \
	"every kill -9 ($KILLS) was followed by a new instance and a reconnection within ${RECONNECT_S} s"

echo
note "flatness (after ${WARMUP_S} s of warm-up; last <= max(first third) + slack):"
# The frontend process of each killed device and when its device was
# first killed: "nbdkit-<g>=<t> netfront-<g>=<t> ...".
fronts=$(awk -F, 'NR > 1 { split($3, a, "-")
	s = (a[1] == "vbd" ? "nbdkit-" : "netfront-") a[2]
	if (!(s in f) || $2 < f[s]) f[s] = $2 }
	END { for (s in f) printf "%s=%s ", s, f[s] }' "$OUT/kills.csv")
awk -F, -f "$HERE/judge.awk" -v warmup="$WARMUP_S" -v fronts="$fronts" \
	-v inst_warmup="$INST_WARMUP_S" -v rss_slack="$RSS_SLACK_KB" \
	-v rss_pct="$RSS_SLACK_PCT" -v fd_slack="$FD_SLACK" \
	-v fd_pct="$FD_SLACK_PCT" \
	-v grant_slack="$GRANT_SLACK" -v grant_pct="$GRANT_SLACK_PCT" \
	"$CSV" > "$D/judge.out"
sed 's/^/# /' "$D/judge.out"
for m in rss_kb fds grants ports bound clients; do
	nf=$(awk -v m="$m" '$2 == m && $NF == "FAIL"' "$D/judge.out" | wc -l)
	nj=$(awk -v m="$m" '$2 == m && ($NF == "ok" || $NF == "FAIL")' "$D/judge.out" | wc -l)
	ok $([ "$nf" -eq 0 ] && [ "$nj" -gt 0 ] && echo 0 || echo 1) \
		"$m flat after warm-up ($nj series judged, $nf grew beyond the bound)"
done

echo
verr=0 fbad=0 fok=0 fguests=0
for g in $(seq 1 "$GUESTS"); do
	v=$(cat "$D"/fio$g.*.log 2>/dev/null |
		grep -ciE 'verify: bad|verify failed|bad magic|verify type mismatch|bad header')
	verr=$((verr + v))
	o=$(awk '$2 == 0' "$D/fio$g.runs" 2>/dev/null | wc -l)
	# A non-zero exit: a failure unless it was our own stop (SIGTERM).
	b=$(awk '$2 != 0 && $2 != 124 && $2 != 143' "$D/fio$g.runs" 2>/dev/null | wc -l)
	fok=$((fok + o)); fbad=$((fbad + b))
	[ "$o" -gt 0 ] && fguests=$((fguests + 1))
	if [ "$b" -gt 0 ] || [ "$v" -gt 0 ]; then
		for n in $(awk '$2 != 0 { print $1 }' "$D/fio$g.runs"); do
			note "fio guest $g run $n:"
			grep -iE 'err|verify|fail' "$D/fio$g.$n.log" | head -5 | sed 's/^/#   /'
		done
	fi
done
ok $([ "$verr" -eq 0 ] && echo 0 || echo 1) "no fio verify error ($verr)"
ok $([ "$fbad" -eq 0 ] && [ "$fguests" -eq "$GUESTS" ] && echo 0 || echo 1) \
	"fio: $fok verified runs complete, $fbad failed; $fguests of $GUESTS guests completed one"
note "fio per guest (runs ok/total, seconds per run):"
for g in $(seq 1 "$GUESTS"); do
	awk -v g=$g '{ n++; if ($2 == 0) o++; s += $3 }
		END { printf "#   guest %d: %d/%d runs, %.0f s each\n", g, o, n, n ? s / n : 0 }' \
		"$D/fio$g.runs" 2>/dev/null
done

up=0
for g in $(seq 1 "$GUESTS"); do
	connected vbd $g && up=$((up + 1)) || note "vbd of guest $g not connected"
	connected vif $g && up=$((up + 1)) || note "vif of guest $g not connected"
done
ok $([ "$up" -eq $((2 * GUESTS)) ] && echo 0 || echo 1) \
	"no frontend left disconnected: $up of $((2 * GUESTS)) vbd/vif in state 4 at both ends"
dead=
kill -0 "$DAEMON" 2>/dev/null || dead="$dead daemon"
for g in $(seq 1 "$GUESTS"); do
	kill -0 "$(cat "$D/netfront.$g")" 2>/dev/null || dead="$dead netfront-$g"
	kill -0 "$(cat "$D/nbdkit.$g")" 2>/dev/null || dead="$dead nbdkit-$g"
done
ok $([ -z "$dead" ] && echo 0 || echo 1) \
	"the daemon, every netfront and nbdkit served throughout${dead:+ (dead:$dead)}"

iok=0 iguests=0 ibad=0
note "iperf3 per guest (runs ok/total, mean Mbit/s of the good runs):"
for g in $(seq 1 "$GUESTS"); do
	o=$(awk '$2 == 0 && $3 > 0' "$D/iperf$g.runs" 2>/dev/null | wc -l)
	b=$(awk '$2 != 0 && $2 != 143' "$D/iperf$g.runs" 2>/dev/null | wc -l)
	iok=$((iok + o)); ibad=$((ibad + b))
	[ "$o" -gt 0 ] && iguests=$((iguests + 1))
	awk -v g=$g '{ n++; if ($2 == 0 && $3 > 0) { o++; s += $3 } }
		END { printf "#   guest %d: %d/%d runs, %.1f Mbit/s\n", g, o, n, o ? s / o : 0 }' \
		"$D/iperf$g.runs" 2>/dev/null
done
ok $([ "$iguests" -eq "$GUESTS" ] && echo 0 || echo 1) \
	"every vif carried iperf3 traffic ($iok good runs, $ibad ended early, $iguests of $GUESTS guests)"

# Tables for gnuplot: one per metric, a column per series.
for m in rss_kb fds grants bound pgrants; do
	awk -F, -v m="$m" 'NR > 1 && $4 == m {
		if (!($2 in seen)) { seen[$2] = 1; names[++ns] = $2 }
		if (!($1 in st)) { st[$1] = 1; ts[++nt] = $1 }
		v[$1, $2] = m == "rss_kb" ? $5 / 1024 : $5 }
		END {
			printf "t"; for (j = 1; j <= ns; j++) printf " %s", names[j]; print ""
			for (i = 1; i <= nt; i++) {
				printf "%s", ts[i]
				for (j = 1; j <= ns; j++)
					printf " %s", ((ts[i], names[j]) in v) ? v[ts[i], names[j]] : "?"
				print ""
			} }' "$CSV" > "$OUT/$m.dat"
done
if command -v gnuplot >/dev/null 2>&1; then
	awk -F, 'NR > 1 { printf "set arrow from %s, graph 0 to %s, graph 1 nohead dt 2 lw 1.5 lc rgb \"red\"\n", $2, $2 }' \
		"$OUT/kills.csv" > "$D/arrows.gp"
	gnuplot >"$D/gnuplot.log" 2>&1 <<EOF
set terminal pngcairo size 1600,1100 font ",9"
set output "$OUT/soak.png"
set datafile missing "?"
set key outside right top font ",7" spacing 0.8
set xlabel "s (dashed red: kill -9 of an instance; warm-up ends at $WARMUP_S s)"
set grid
load "$D/arrows.gp"
set multiplot layout 2,2 title "duet soak: $GUESTS guests, one duet backend, ${MINUTES} min"
set title "RSS per process (MiB)"
plot for [i=2:*] "$OUT/rss_kb.dat" using 1:i with linespoints pt 7 ps 0.4 title columnhead(i)
set title "open fds per process"
plot for [i=2:*] "$OUT/fds.dat" using 1:i with linespoints pt 7 ps 0.4 title columnhead(i)
set title "grants in use per domain (dashed: blkback's persistent grants per disk)"
plot for [i=2:*] "$OUT/grants.dat" using 1:i with linespoints pt 7 ps 0.4 title columnhead(i), \
     for [i=2:*] "$OUT/pgrants.dat" using 1:i with lines dt 2 title columnhead(i)
set title "event channels bound per domain"
plot for [i=2:*] "$OUT/bound.dat" using 1:i with linespoints pt 7 ps 0.4 title columnhead(i)
unset multiplot
EOF
	[ -s "$OUT/soak.png" ] && note "plot: $OUT/soak.png" ||
		note "gnuplot failed: $(head -3 "$D/gnuplot.log")"
else
	note "no gnuplot: no plot (make deps installs gnuplot-nox)"
fi
cp "$D/backend.log" "$OUT/backend.log" 2>/dev/null
note "soak: ${SOAK_END} s of samples and kills, $(($(date +%s) - START)) s in all"
echo "1..$T"
[ "$FAILED" -eq 0 ]

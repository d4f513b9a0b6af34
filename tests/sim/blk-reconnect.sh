#!/bin/sh
# blk-reconnect.sh - the blkback instance serving domain 1's disk is
# killed (kill -9) in the middle of I/O and started again, 24 times, while
# one nbdkit (duet's blkfront) keeps serving and qemu-io writes and reads
# through it.  blkfront keeps the unanswered requests, reconnects and
# issues them again: no I/O fails, every read during the storm returns
# the right pattern, and afterwards the backing file holds, for every
# chunk, the pattern of the last acknowledged write to it.
# The instance is restarted by tests/helpers/blkback-serve (what the
# daemon does, without its back-off, which would stretch 24 restarts to
# minutes).
# With BLK_RECONNECT_DAEMON=1 (blk-reconnect-daemon.sh) the backend is the
# real daemon instead, `duet backend` in dom0: what is killed is its
# per-device instance process (pid from the daemon's status file), the
# daemon restarts it after its back-off (200 ms doubling), and blkfront
# has to wait that long; BLK_RECONNECT_KILLS defaults to 5 then.
. "$(dirname "$0")/lib/sim-lib.sh"
PLUGIN="$DUET_BUILD/lib/nbdkit-duet-plugin.so"
SERVE="$DUET_BUILD/tests/helpers/blkback-serve"
DAEMON=${BLK_RECONNECT_DAEMON:-0}
for t in nbdkit qemu-io md5sum; do
	command -v $t >/dev/null 2>&1 || {
		echo "1..0 # SKIP $t missing (make deps: nbdkit qemu-utils)"
		exit 77; }
done
[ -f "$PLUGIN" ] || { echo "1..0 # SKIP $PLUGIN not built (nbdkit-plugin-dev)"; exit 77; }
[ -x "$SERVE" ] || { echo "1..0 # SKIP $SERVE not built"; exit 77; }

if [ "$DAEMON" = 1 ]; then
	KILLS=${BLK_RECONNECT_KILLS:-5}
else
	KILLS=${BLK_RECONNECT_KILLS:-24}
fi
CHUNK=262144
NCHUNK=64

"$DUET" sim start >/dev/null || { echo "Bail out! cannot start"; exit 1; }
g=$("$DUET" sim domain create guest)
eval "$("$DUET" sim env 0)"
as() { ( d=$1; shift; eval "$("$DUET" sim env "$d")"; exec "$@" ); }
node_is() { [ "$(xenstore-read "$1" 2>/dev/null)" = "$2" ]; }

truncate -s $((CHUNK * NCHUNK)) "$D/disk.img"
"$DUET" attach "$g" "disk=$D/disk.img,raw,xvda,rw" >/dev/null
be=/local/domain/0/backend/vbd/$g/51712
# instance: the pid of the daemon's running instance for the disk.
instance() {
	awk -v g="$g" '$1 == "device" && $2 == "vbd" && $3 == g &&
		$4 == 51712 && $7 == "running" { print $5 }' \
		"$D/backend-0.status" 2>/dev/null
}
# restarts: how often the daemon restarted it.
restarts() {
	awk -v g="$g" '$1 == "device" && $2 == "vbd" && $3 == g &&
		$4 == 51712 { print $6 }' "$D/backend-0.status" 2>/dev/null
}
new_instance() { p=$(instance); [ -n "$p" ] && [ "$p" != "$1" ]; }
if [ "$DAEMON" = 1 ]; then
	"$DUET" backend --domid 0 >"$D/daemon.log" 2>&1 &
	BG_PIDS="$BG_PIDS $!"
	until_ok 10 new_instance none
	spid=$(instance)
else
	"$SERVE" $be 0 2>"$D/serve.log" &
	spid=$!
	BG_PIDS="$BG_PIDS $spid"
fi

as "$g" nbdkit -f -U "$D/sock" -P "$D/nbdkit.pid" "$PLUGIN" devid=xvda \
	>"$D/nbdkit.log" 2>&1 &
BG_PIDS="$BG_PIDS $!"
until_ok 10 test -S "$D/sock"
ok $? "nbdkit serves domain $g's disk"
until_ok 10 node_is $be/state 4
ok $? "blkback and blkfront connected"

# pattern ROUND CHUNK: the byte written to CHUNK in ROUND (1..255).
pattern() { echo $(( ($1 * 37 + $2 * 11) % 255 + 1 )); }

# The writer: rounds of one qemu-io session each; every chunk is written
# with its round's pattern and the chunk before it read back and checked.
writer() {
	r=0
	while [ ! -e "$D/stop" ] || [ $r -lt 2 ]; do
		r=$((r + 1))
		set --
		c=0
		while [ $c -lt $NCHUNK ]; do
			set -- "$@" -c "write -P $(pattern $r $c) $((c * CHUNK)) $CHUNK"
			[ $c -gt 0 ] && set -- "$@" -c \
				"read -P $(pattern $r $((c - 1))) $(((c - 1) * CHUNK)) $CHUNK"
			c=$((c + 1))
		done
		qemu-io -f raw "$@" "nbd+unix:///?socket=$D/sock" \
			> "$D/round.$r" 2>&1
		echo $r > "$D/rounds"
	done
}
writer &
wpid=$!
BG_PIDS="$BG_PIDS $wpid"

# The storm: kill -9 the instance while I/O is in flight, start the next.
k=0
while [ $k -lt $KILLS ]; do
	k=$((k + 1))
	sleep 0.$((k % 3 + 1))
	kill -9 $spid 2>/dev/null
	if [ "$DAEMON" = 1 ]; then
		until_ok 20 new_instance $spid || break
		spid=$(instance)
	else
		wait $spid 2>/dev/null
		"$SERVE" $be $k 2>>"$D/serve.log" &
		spid=$!
		BG_PIDS="$BG_PIDS $spid"
	fi
	until_ok 20 node_is $be/state 4 || break
done
is $k $KILLS "$KILLS kills of blkback mid-I/O, each followed by a reconnect"
touch "$D/stop"
wait $wpid
rounds=$(cat "$D/rounds")
ok $([ "$rounds" -ge 2 ] && echo 0 || echo 1) "the writer ran $rounds rounds through the storm"

# Every command of every round was acknowledged (qemu-io prints one line
# per completed request) and no read saw a wrong pattern.
fails=$(cat "$D"/round.* | grep -ci "fail\|error")
is "$fails" 0 "no write or read failed, no read saw a wrong pattern"
acks=$(cat "$D"/round.* | grep -c "^wrote $CHUNK/$CHUNK bytes")
is "$acks" $((rounds * NCHUNK)) "every write was acknowledged"
reads=$(cat "$D"/round.* | grep -c "^read $CHUNK/$CHUNK bytes")
is "$reads" $((rounds * (NCHUNK - 1))) "every read completed"

# The last acknowledged write of every chunk is in the backing file.
bad=0
c=0
while [ $c -lt $NCHUNK ]; do
	p=$(pattern $rounds $c)
	want=$(head -c $CHUNK /dev/zero | tr '\0' "\\$(printf '%03o' $p)" | md5sum)
	got=$(dd if="$D/disk.img" bs=$CHUNK skip=$c count=1 2>/dev/null | md5sum)
	[ "$want" = "$got" ] || bad=$((bad + 1))
	c=$((c + 1))
done
is $bad 0 "checksums of all $NCHUNK chunks match their last acknowledged write"
if [ "$DAEMON" = 1 ]; then
	is "$(restarts)" $KILLS "the daemon restarted the instance $KILLS times"
fi
kill "$(cat "$D/nbdkit.pid")" 2>/dev/null
done_testing

#!/bin/sh
# blk-dma.sh - issue 13: blkback's storage I/O through the emulated block
# controller behind each DMA backend of the registry (`duet backend --dma
# list`), with duet's blkfront unchanged.  Per backend, one disk served by
# the daemon with --dma: 3 MiB of random data written through blkfront
# (indirect requests, persistent grants, 4 queues as negotiated) reads
# back the same and is the same in the backing file; a flush works.
# First, a hostile frontend (tests/helpers/blk-hostile-ro) asks for a
# read into a page it granted read-only: that request fails
# (BLKIF_RSP_ERROR), the page stays untouched, and reads and writes
# around it work.  At the end `duet status` names the backend (dma=),
# with no device fault, no mapping left live, the refusal counted
# (dma-refused:1), and the same instance served it all (no restart).
# `duet attach --dma NAME` chooses the backend for one device of a daemon
# started without --dma.  A device node "dma" naming an unknown backend
# fails that device alone.  DMA_BACKENDS limits the list.
. "$(dirname "$0")/lib/sim-lib.sh"
HOSTILE="$DUET_BUILD/tests/helpers/blk-hostile-ro"
[ -x "$HOSTILE" ] || { echo "1..0 # SKIP $HOSTILE not built"; exit 77; }

bes=${DMA_BACKENDS:-$("$DUET" backend --dma list)}
[ -n "$bes" ] || { echo "Bail out! no DMA backend listed"; exit 1; }
"$DUET" backend --dma no-such-backend >/dev/null 2>"$D/err"
is "$?/$(wc -l < "$D/err")" "2/1" "an unknown --dma name: exit 2, one line"
grep -q "unknown DMA backend 'no-such-backend' (known: .*swiotlb" "$D/err"
ok $? "  naming the known backends"

SIZE=4194304
head -c 3145728 /dev/urandom > "$D/data"
as() { ( d=$1; shift; eval "$("$DUET" sim env "$d")"; exec "$@" ); }
node_is() { [ "$(xenstore-read "$1" 2>/dev/null)" = "$2" ]; }
# stat KEY: the value of one of the disk's counters in `duet status`.
stat() {
	"$DUET" status | grep "^vbd " | sed -n 's/.* stats=//p' |
		tr ',' '\n' | sed -n "s/^$1://p"
}
# line: the disk's status line.
line() { "$DUET" status | grep "^vbd "; }
# fresh_sim: a new simulator with a guest $g, its disk's backend path $BE
# and an empty disk image of $SIZE bytes.
fresh_sim() {
	"$DUET" sim start >/dev/null || { echo "Bail out! cannot start"; exit 1; }
	g=$("$DUET" sim domain create guest)
	eval "$("$DUET" sim env 0)"
	BE=/local/domain/0/backend/vbd/$g/51712
	rm -f "$D/disk.img"
	truncate -s $SIZE "$D/disk.img"
}

for be in $bes; do
	fresh_sim
	"$DUET" attach "$g" "disk=$D/disk.img,raw,xvda,rw" >/dev/null
	"$DUET" backend --domid 0 --dma "$be" >"$D/daemon.log" 2>&1 &
	bpid=$!
	BG_PIDS=$bpid
	until_ok 10 node_is $BE/state 2
	pid=$(awk '$1 == "device" && $2 == "vbd" { print $5 }' \
		"$D/backend-0.status")
	as "$g" "$HOSTILE" 51712 64 > "$D/hostile.out" 2>&1
	ok $? "$be: a read into a read-only grant fails, the device goes on"
	grep -q "^ro-read 65535$\|^ro-read -1$" "$D/hostile.out" &&
		grep -q "^ro-page untouched$" "$D/hostile.out"
	rc=$?
	ok $rc "$be:   BLKIF_RSP_ERROR, the page untouched"
	[ $rc -eq 0 ] || sed 's/^/# /' "$D/hostile.out" "$D/daemon.log"
	as "$g" "$DUET" blkfront xvda write 512K < "$D/data" >/dev/null 2>&1
	ok $? "$be: 3 MiB of random data written through blkfront"
	as "$g" "$DUET" blkfront xvda verify "$D/data" 512K >/dev/null 2>&1
	ok $? "$be: read back the same through blkfront"
	cmp -s -i 0:524288 -n 3145728 "$D/data" "$D/disk.img"
	ok $? "$be: the backing file holds it"
	as "$g" "$DUET" blkfront --no-persistent --no-indirect --queues 1 \
		xvda verify "$D/data" 512K >/dev/null 2>&1
	ok $? "$be: the same without persistent grants or indirect requests"
	as "$g" "$DUET" blkfront xvda flush >/dev/null 2>&1
	ok $? "$be: flush"
	is "$(xenstore-read $BE/dma 2>/dev/null)" "$be" \
		"$be: the backend node dma names it"
	line | grep -q " dma=$be "
	ok $? "$be: duet status prints dma=$be"
	# The counters are published every 2 s while connected and at each
	# disconnect: wait for the last disconnect's.
	until_ok 10 sh -c "'$DUET' status | grep -q 'stats=connected:0,'"
	is "$(stat dma-faults)/$(stat dma-live)/$(stat dma-refused)" "0/0/1" \
		"$be: no device fault, no mapping left live, the one refusal counted"
	[ "$(stat dma-grants)" -ge 768 ]
	ok $? "$be: the data went through the device (dma-grants:$(stat dma-grants))"
	line | grep -q "instance=$pid restarts=0 daemon=running"
	ok $? "$be: the same instance served it all (no crash, no restart)"
	kill $bpid
	wait $bpid
	"$DUET" sim stop --dir "$D" >/dev/null 2>&1
	BG_PIDS=
done

# `duet attach --dma NAME` picks the backend for one device of a daemon
# started without --dma; an unknown name is refused before anything is
# written.
set -- $bes
be=$(eval echo \$$#)
fresh_sim
"$DUET" attach --dma no-such-backend "$g" "disk=$D/disk.img,raw,xvda,rw" \
	>/dev/null 2>"$D/err"
is "$?/$(wc -l < "$D/err")" "2/1" "attach --dma no-such-backend: exit 2, one line"
xenstore-read $BE/state >/dev/null 2>&1
is $? 1 "  and nothing was written"
"$DUET" attach --dma "$be" "$g" "disk=$D/disk.img,raw,xvda,rw" >/dev/null
is "$(xenstore-read $BE/dma 2>/dev/null)" "$be" \
	"attach --dma $be writes the backend node dma"
"$DUET" backend --domid 0 >"$D/daemon.log" 2>&1 &
BG_PIDS=$!
until_ok 10 node_is $BE/state 2
as "$g" "$DUET" blkfront xvda write 512K < "$D/data" >/dev/null 2>&1 &&
	as "$g" "$DUET" blkfront xvda verify "$D/data" 512K >/dev/null 2>&1
ok $? "attach --dma $be: data written and read back through blkfront"
line | grep -q " dma=$be "
ok $? "attach --dma $be: duet status prints dma=$be"
until_ok 10 sh -c "'$DUET' status | grep -q 'stats=connected:0,'"
[ "$(stat dma-grants)" -ge 768 ]
ok $? "attach --dma $be: the data went through the device"
kill $BG_PIDS
wait $BG_PIDS
"$DUET" sim stop --dir "$D" >/dev/null 2>&1
BG_PIDS=

# A device node naming an unknown backend fails that device alone.
fresh_sim
"$DUET" attach "$g" "disk=$D/disk.img,raw,xvda,rw" >/dev/null
xenstore-write $BE/dma no-such-backend
"$DUET" backend --domid 0 >"$D/daemon.log" 2>&1 &
BG_PIDS=$!
until_ok 10 node_is $BE/state 5 || until_ok 10 node_is $BE/state 6
ok $? "dma=no-such-backend: the device closes"
grep -q "unknown DMA backend 'no-such-backend'" "$D/daemon.log"
ok $? "  and the log says why"
done_testing

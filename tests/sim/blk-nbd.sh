#!/bin/sh
# blk-nbd.sh - a disk served by duet's blkback (through `duet backend` in
# dom0) to domain 1, where nbdkit's duet plugin (duet's blkfront) exports
# it over NBD: data copied in with nbdcopy reads back bit-identical from
# the backing file, for each combination of persistent grants on/off,
# indirect segments on/off, 1 and 4 queues, ring order 0 and 4 (the
# frontend's limits select what is negotiated; blkback offers the most);
# nbdinfo and qemu-img see the size; write, flush, trim and read-back
# through NBD with qemu-io; a read-only disk is exported read-only and
# refuses writes; `duet blkfront` read / write / verify.
. "$(dirname "$0")/lib/sim-lib.sh"
PLUGIN="$DUET_BUILD/lib/nbdkit-duet-plugin.so"
for t in nbdkit nbdcopy nbdinfo qemu-io qemu-img; do
	command -v $t >/dev/null 2>&1 || {
		echo "1..0 # SKIP $t missing (make deps: nbdkit libnbd-bin qemu-utils)"
		exit 77; }
done
[ -f "$PLUGIN" ] || { echo "1..0 # SKIP $PLUGIN not built (nbdkit-plugin-dev)"; exit 77; }
"$DUET" backend --help 2>/dev/null | grep -q '^types:.* vbd' || {
	echo "1..0 # SKIP duet backend has no vbd type yet (blkback, issue #6)"
	exit 77; }

"$DUET" sim start >/dev/null || { echo "Bail out! cannot start"; exit 1; }
g=$("$DUET" sim domain create guest)
eval "$("$DUET" sim env 0)"
as() { ( d=$1; shift; eval "$("$DUET" sim env "$d")"; exec "$@" ); }
node_is() { [ "$(xenstore-read "$1" 2>/dev/null)" = "$2" ]; }

"$DUET" backend >"$D/backend.log" 2>&1 &
BG_PIDS="$BG_PIDS $!"

size=$((16 * 1024 * 1024))
truncate -s $size "$D/disk.img"
"$DUET" attach "$g" "disk=$D/disk.img,raw,xvda,rw" >/dev/null
ok $? "attach a 16 MiB disk to domain $g"
be=/local/domain/0/backend/vbd/$g/51712
until_ok 10 node_is $be/state 2
ok $? "blkback waits for a frontend (InitWait)"

head -c $size /dev/urandom > "$D/data"
n=0
for pers in on off; do
for ind in 256 0; do
for q in 1 4; do
for order in 0 4; do
	n=$((n + 1))
	args="devid=xvda persistent=$pers indirect=$ind queues=$q ring-order=$order"
	name="persistent $pers, indirect $ind, $q queue(s), ring order $order"
	# A different stretch of the data each time, so a stale copy fails.
	dd if="$D/data" of="$D/in" bs=1M count=4 skip=$((n % 12)) 2>/dev/null
	as "$g" nbdkit -U - "$PLUGIN" $args \
		--run "nbdcopy '$D/in' \"\$uri\" && nbdcopy \"\$uri\" '$D/out'" \
		>"$D/nbd.log" 2>&1
	rc=$?
	ok $rc "$name: nbdcopy in and out through the export"
	[ $rc -eq 0 ] || sed 's/^/#   /' "$D/nbd.log" | tail -5
	cmp -s -n $((4 << 20)) "$D/in" "$D/disk.img"
	ok $? "$name: the backing file holds the data bit-identical"
	cmp -s -n $((4 << 20)) "$D/in" "$D/out"
	ok $? "$name: reading back through NBD gives the same bytes"
	cli="--queues $q --ring-order $order"
	[ $pers = off ] && cli="$cli --no-persistent"
	[ $ind = 0 ] && cli="$cli --no-indirect"
	as "$g" "$DUET" blkfront $cli xvda info > "$D/neg" 2>&1
	want_p=1; [ $pers = off ] && want_p=0
	want_i=1; [ $ind = 0 ] && want_i=0
	is "$(grep -E '^(queues|ring-page-order|persistent|indirect) ' "$D/neg" |
	      tr '\n' ' ')" \
	   "queues $q ring-page-order $order indirect $want_i persistent $want_p " \
	   "$name: negotiated with blkback as asked"
done; done; done; done

as "$g" nbdkit -U - "$PLUGIN" devid=xvda --run 'nbdinfo --json "$uri"' \
	> "$D/info" 2>&1
grep -q "\"export-size\": $size" "$D/info"
ok $? "nbdinfo sees the disk's size"
grep -q '"can_multi_conn": true' "$D/info" && grep -q '"can_flush": true' "$D/info"
ok $? "  flush and multi-conn advertised"

# Flush and trim through NBD (qemu-io speaks it directly).
as "$g" nbdkit -U - "$PLUGIN" devid=xvda --run "qemu-io -f raw \
	-c 'write -P 0xaa 1M 64K' -c flush -c 'read -P 0xaa 1M 64K' \
	-c 'discard 1M 64K' -c flush -c 'read -P 0 1M 64K' \"\$uri\"" \
	>"$D/trim.log" 2>&1
rc=$?
grep -q "failed\|error" "$D/trim.log" && rc=1
ok $rc "write, flush, trim, flush, read back zeros through NBD (qemu-io)"
[ $rc -eq 0 ] || sed 's/^/#   /' "$D/trim.log" | tail -5
cmp -s -i $((1 << 20)):0 -n 65536 "$D/disk.img" /dev/zero
ok $? "  the trimmed range reads as zeros in the backing file"
as "$g" nbdkit -U - "$PLUGIN" devid=xvda --run 'qemu-img info "$uri"' \
	> "$D/qinfo" 2>&1
grep -q "virtual size: 16 MiB" "$D/qinfo"
ok $? "qemu-img info sees 16 MiB"

# fio's nbd engine: random 4 KiB writes with verification, 4 jobs.
if fio --enghelp=nbd >/dev/null 2>&1; then
	as "$g" nbdkit -U - "$PLUGIN" devid=xvda --run "fio --name=blk \
		--ioengine=nbd --uri=\"\$uri\" --rw=randwrite --bs=4k \
		--size=4M --numjobs=1 --iodepth=16 --verify=crc32c \
		--do_verify=1 --verify_state_save=0 --output-format=terse" > "$D/fio.log" 2>&1
	rc=$?
	ok $rc "fio (nbd engine) randwrite with crc32c verification"
	[ $rc -eq 0 ] || sed 's/^/#   /' "$D/fio.log" | tail -5
else
	echo "ok $((T + 1)) # SKIP fio has no nbd engine"; T=$((T + 1))
fi

# nbdfuse: the export as a file, when FUSE is usable here.
if command -v nbdfuse >/dev/null 2>&1 && [ -w /dev/fuse ] &&
	command -v fusermount3 >/dev/null 2>&1; then
	mkdir "$D/mnt"
	as "$g" nbdkit -U - "$PLUGIN" devid=xvda --run "
		nbdfuse '$D/mnt' \"\$uri\" & f=\$!
		i=0; while [ ! -e '$D/mnt/nbd' ] && [ \$i -lt 250 ]; do
			sleep 0.02; i=\$((i + 1)); done
		cmp -n 65536 '$D/mnt/nbd' '$D/disk.img'; rc=\$?
		fusermount3 -u '$D/mnt'; wait \$f; exit \$rc" \
		> "$D/fuse.log" 2>&1
	ok $? "nbdfuse shows the disk as a file with the backing file's bytes"
else
	echo "ok $((T + 1)) # SKIP nbdfuse or FUSE not usable here"; T=$((T + 1))
fi

# duet blkfront for scripts.
dd if="$D/data" of="$D/small" bs=64K count=3 2>/dev/null
as "$g" "$DUET" blkfront xvda write 8M < "$D/small" 2>/dev/null
ok $? "duet blkfront write"
as "$g" "$DUET" blkfront xvda read 8M 192K > "$D/small.out" 2>/dev/null &&
	cmp -s "$D/small" "$D/small.out"
ok $? "duet blkfront read gives it back"
as "$g" "$DUET" blkfront xvda verify "$D/small" 8M >/dev/null 2>&1
ok $? "duet blkfront verify: identical"
as "$g" "$DUET" blkfront xvda verify "$D/small" 0 >/dev/null 2>&1
is $? 1 "duet blkfront verify elsewhere: differs (exit 1)"
cmp -s -i 0:$((8 << 20)) -n $((192 << 10)) "$D/small" "$D/disk.img"
ok $? "  the backing file holds it"

# A read-only disk.
"$DUET" detach "$g" xvda >/dev/null 2>&1
truncate -s 4M "$D/ro.img"
"$DUET" attach "$g" "disk=$D/ro.img,raw,xvdb,r" >/dev/null
as "$g" nbdkit -U - "$PLUGIN" devid=xvdb --run 'nbdinfo --json "$uri"' \
	> "$D/roinfo" 2>&1
grep -q '"is_read_only": true' "$D/roinfo"
ok $? "a read-only disk is exported read-only"
as "$g" "$DUET" blkfront xvdb write 0 < "$D/small" 2>/dev/null
ok $([ $? -ne 0 ] && echo 0 || echo 1) "  duet blkfront write is refused"
done_testing

#!/bin/sh
# blk-nbd-engine.sh - blkback's NBD engine (backends/blkback/engine-nbd.c)
# against real nbdkit servers started here on loopback: disks attached
# with xl's syntax (backendtype=qdisk, target=NBD URI), written through
# duet's blkfront with random data and read back bit for bit (memory
# plugin on a unix socket, file plugin over TCP: the file holds the
# bytes), with and without persistent grants and with 1 and 4 queues;
# flush (FUA) and trim reach the server (nbdkit's log filter); an export
# without multi-conn gets one queue; a read-only export is served
# read-only; TLS (nbds://, PSK); the server stopped and restarted during
# a write (the write completes, the data is there), the server staying
# away (the I/O fails, bounded, then works again once it is back); a
# server that is not there, a missing export and a malformed URI give a
# one-line error.
# (tests/sim/blk-nbd.sh is the other direction: duet's blkfront exported
# over NBD by nbdkit's duet plugin.)
. "$(dirname "$0")/lib/sim-lib.sh"
command -v nbdkit >/dev/null 2>&1 || {
	echo "1..0 # SKIP nbdkit missing (make deps)"; exit 77; }
why=$(engine_missing nbd)
[ -z "$why" ] || { echo "1..0 # SKIP $why"; exit 77; }

"$DUET" sim start >/dev/null || { echo "Bail out! cannot start"; exit 1; }
g=$("$DUET" sim domain create guest)
eval "$("$DUET" sim env 0)"
as() { ( d=$1; shift; eval "$("$DUET" sim env "$d")"; exec "$@" ); }
node_is() { [ "$(xenstore-read "$1" 2>/dev/null)" = "$2" ]; }
fe() { as "$g" "$DUET" blkfront --timeout 10000 "$@"; }

# The bound on a request's wait for a lost server (engine-nbd.c).
DUET_BLKBACK_STALL_S=3 "$DUET" backend >"$D/backend.log" 2>&1 &
bpid=$!
BG_PIDS="$BG_PIDS $bpid"

# nbd_start NAME ARGS...: nbdkit in the background, pid in $D/NAME.pid.
nbd_start() {
	n=$1; shift
	rm -f "$D/$n.pid"
	nbdkit -f -P "$D/$n.pid" "$@" >>"$D/$n.log" 2>&1 &
	BG_PIDS="$BG_PIDS $!"
	until_ok 10 test -s "$D/$n.pid"
}
nbd_stop() {
	p=$(cat "$D/$1.pid" 2>/dev/null)
	[ -n "$p" ] && kill "$p" && while kill -0 "$p" 2>/dev/null; do
		sleep 0.05; done
	rm -f "$D/$1.pid"
}
# A free TCP port on loopback for nbdkit (-p): the first that binds.
tcp_start() {
	n=$1; shift
	for try in 1 2 3 4 5 6 7 8; do
		PORT=$((20000 + ($$ * 7 + try * 131) % 40000))
		nbd_start "$n" -i 127.0.0.1 -p $PORT "$@" && return 0
	done
	return 1
}
be_dir() { echo "/local/domain/0/backend/qdisk/$g/$1"; }
err_node() { echo "/local/domain/0/error/backend/qdisk/$g/$1/error"; }

head -c $((8 << 20)) /dev/urandom > "$D/data"

# --- memory plugin on a unix socket ----------------------------------
nbd_start mem -U "$D/mem.sock" --filter=log memory 64M \
	logfile="$D/mem.cmds"
"$DUET" attach "$g" "disk=vdev=xvdb, access=rw, backendtype=qdisk, \
target=nbd+unix:///?socket=$D/mem.sock" >/dev/null
ok $? "attach target=nbd+unix:///?socket=... with backendtype=qdisk"
until_ok 10 node_is "$(be_dir 51728)/state" 2
ok $? "blkback connects to the export and waits for a frontend"
is "$(xenstore-read "$(be_dir 51728)/params")" \
	"aio:nbd+unix:///?socket=$D/mem.sock" "  params as libxl writes it"
fe xvdb info > "$D/info" 2>&1
grep -q '^size 67108864$' "$D/info"
ok $? "  the frontend sees the export's size (64 MiB)"
grep -q '^flush 1$' "$D/info" && grep -q '^discard 1$' "$D/info"
ok $? "  flush and discard offered (the export has them)"

n=0
for pers in on off; do
for q in 1 4; do
	n=$((n + 1))
	opt="--queues $q"
	[ $pers = off ] && opt="$opt --no-persistent"
	off=$((n * 8))M
	dd if="$D/data" of="$D/in" bs=1M count=4 skip=$n 2>/dev/null
	fe $opt xvdb write $off < "$D/in" 2>/dev/null
	ok $? "persistent $pers, $q queue(s): write 4 MiB of random data"
	fe $opt xvdb read $off 4M > "$D/out" 2>/dev/null
	cmp -s "$D/in" "$D/out"
	ok $? "  read back bit for bit"
	fe $opt xvdb verify "$D/in" $off >/dev/null 2>&1
	ok $? "  verify (many requests in flight)"
done; done

: > "$D/mem.cmds"
dd if="$D/data" of="$D/small" bs=64K count=1 2>/dev/null
fe xvdb flush 2>/dev/null
ok $? "flush"
grep -q 'Flush' "$D/mem.cmds"
ok $? "  reaches the server as an NBD flush"
fe xvdb discard 1M 1M 2>/dev/null
ok $? "discard 1 MiB"
grep -q 'Trim.*offset=0x100000 count=0x100000' "$D/mem.cmds"
ok $? "  reaches the server as an NBD trim of that range"
fe xvdb read 1M 1M | cmp -s - /dev/zero -n $((1 << 20)) 2>/dev/null
ok $? "  the range reads back as zeros (memory plugin)"
"$DUET" detach "$g" xvdb >/dev/null 2>&1
# QEMU's older form, the same export.
"$DUET" attach "$g" "disk=vdev=xvdj, backendtype=qdisk, \
target=nbd:unix:$D/mem.sock" >/dev/null
dd if="$D/data" of="$D/in" bs=1M count=4 skip=1 2>/dev/null
fe xvdj read 8M 4M 2>/dev/null | cmp -s - "$D/in"
ok $? "target=nbd:unix:PATH (QEMU's older form): the same export's data"
"$DUET" detach "$g" xvdj >/dev/null 2>&1
nbd_stop mem

# --- file plugin over TCP: the file holds the bytes ------------------
truncate -s 32M "$D/disk.img"
tcp_start file --filter=log file "$D/disk.img" logfile="$D/file.cmds"
ok $? "nbdkit (file plugin) on 127.0.0.1:$PORT"
"$DUET" attach "$g" "disk=vdev=xvdc, target=nbd://127.0.0.1:$PORT/" >/dev/null
ok $? "attach target=nbd://127.0.0.1:$PORT/ (backendtype not given)"
is "$(xenstore-read "$(be_dir 51744)/params" 2>/dev/null)" \
	"aio:nbd://127.0.0.1:$PORT/" "  served by qdisk, params aio:<target>"
dd if="$D/data" of="$D/in" bs=1M count=4 2>/dev/null
fe xvdc write 2M < "$D/in" 2>/dev/null
ok $? "write 4 MiB"
cmp -s -i 0:$((2 << 20)) -n $((4 << 20)) "$D/in" "$D/disk.img"
ok $? "  the server's file holds it bit for bit"
fe --queues 1 xvdc read 2M 4M | cmp -s - "$D/in"
ok $? "  and it reads back"
"$DUET" attach "$g" "disk=vdev=xvdk, backendtype=qdisk, \
target=nbd:127.0.0.1:$PORT" >/dev/null
fe xvdk read 2M 4M 2>/dev/null | cmp -s - "$D/in"
ok $? "target=nbd:HOST:PORT (QEMU's older form): the same data"
"$DUET" detach "$g" xvdk >/dev/null 2>&1

# Server restart while a write is in flight: it waits, then completes.
dd if="$D/data" of="$D/in2" bs=1M count=2 skip=5 2>/dev/null
nbd_stop file
( fe --queues 1 xvdc write 8M < "$D/in2" >/dev/null 2>&1
  echo $? > "$D/w.rc" ) &
wpid=$!
until_ok 10 grep -q "nbd connection lost" "$D/backend.log"
tcp_start file file "$D/disk.img"
wait $wpid
is "$(cat "$D/w.rc")" 0 "server stopped and restarted: the write completes"
cmp -s -i 0:$((8 << 20)) -n $((2 << 20)) "$D/in2" "$D/disk.img"
ok $? "  the data is in the file bit for bit"
grep -q "nbd reconnected" "$D/backend.log"
ok $? "  blkback says it reconnected"
cmp -s -i 0:$((2 << 20)) -n $((4 << 20)) "$D/in" "$D/disk.img"
ok $? "  the data acknowledged before the restart is still there"

# Server gone for good: I/O fails (bounded), and works again after.
nbd_stop file
fe --queues 1 xvdc read 0 4K >/dev/null 2>"$D/err"
is $? 1 "server gone: a read fails with an I/O error instead of hanging"
grep -q "Input/output error" "$D/err"
ok $? "  (EIO)"
tcp_start file file "$D/disk.img"
fe --queues 1 xvdc read 2M 4M 2>/dev/null | cmp -s - "$D/in"
ok $? "server back: the same disk reads again, no re-attach"
"$DUET" detach "$g" xvdc >/dev/null 2>&1
nbd_stop file

# --- an export without multi-conn gets one queue ---------------------
nbd_start nomc -U "$D/nomc.sock" --filter=multi-conn memory 16M \
	multi-conn-mode=disable
"$DUET" attach "$g" "disk=vdev=xvdd, backendtype=qdisk, \
target=nbd+unix:///?socket=$D/nomc.sock" >/dev/null
fe --queues 4 xvdd info 2>/dev/null | grep -q '^queues 1$'
ok $? "no multi-conn: one queue (one connection) whatever is asked"
dd if="$D/data" of="$D/in" bs=1M count=2 2>/dev/null
fe xvdd write 0 < "$D/in" 2>/dev/null && fe xvdd verify "$D/in" >/dev/null 2>&1
ok $? "  and the data reads back"
"$DUET" detach "$g" xvdd >/dev/null 2>&1
nbd_stop nomc

# --- a read-only export ----------------------------------------------
nbd_start ro -r -U "$D/ro.sock" memory 16M
"$DUET" attach "$g" "disk=vdev=xvde, backendtype=qdisk, \
target=nbd+unix:///?socket=$D/ro.sock" >/dev/null
fe xvde info 2>/dev/null | grep -q '^read-only 1$'
ok $? "a read-only export is served read-only"
fe xvde write 0 < "$D/small" >/dev/null 2>&1
ok $([ $? -ne 0 ] && echo 0 || echo 1) "  a write is refused"
"$DUET" detach "$g" xvde >/dev/null 2>&1
nbd_stop ro

# --- TLS: nbds:// with a pre-shared key ------------------------------
printf 'alice:%s\n' "$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
	> "$D/psk"
if tcp_start tls --tls=require --tls-psk="$D/psk" memory 16M; then
	"$DUET" attach "$g" "disk=vdev=xvdf, backendtype=qdisk, \
target=nbds://alice@127.0.0.1:$PORT/?tls-psk-file=$D/psk" >/dev/null
	dd if="$D/data" of="$D/in" bs=1M count=1 2>/dev/null
	fe xvdf write 0 < "$D/in" 2>/dev/null &&
		fe xvdf read 0 1M 2>/dev/null | cmp -s - "$D/in"
	ok $? "nbds:// (TLS, PSK): data reads back"
	"$DUET" detach "$g" xvdf >/dev/null 2>&1
	nbd_stop tls
else
	echo "ok $((T + 1)) # SKIP nbdkit cannot serve TLS here"; T=$((T + 1))
fi

# --- errors: one line each -------------------------------------------
# one_line VDEV TARGET WHAT: the backend fails the device with a one-line
# reason in xenstore's error node and its log.
one_line() {
	"$DUET" attach "$g" "disk=vdev=$1, backendtype=qdisk, target=$2" \
		>/dev/null
	dev=$("$DUET" attach --check "disk=vdev=$1,target=x" |
		sed -n 's/^virtual-device=//p')
	until_ok 15 xenstore-read "$(err_node "$dev")" >/dev/null 2>&1
	msg=$(xenstore-read "$(err_node "$dev")" 2>/dev/null)
	is "$(printf '%s\n' "$msg" | wc -l)/$(printf '%s' "$msg" | grep -c "$3")" \
		"1/1" "$4: one line naming it"
	echo "#   $msg"
	"$DUET" detach --force "$g" "$1" >/dev/null 2>&1
}
one_line xvdg "nbd://127.0.0.1:1/" "Connection refused" "no server"
nbd_start strict -U "$D/strict.sock" --filter=exportname memory 16M \
	exportname=disk exportname-strict=true
one_line xvdh "nbd+unix:///nope?socket=$D/strict.sock" "nope" \
	"a missing export"
nbd_stop strict
"$DUET" attach "$g" "disk=vdev=xvdi, backendtype=qdisk, \
target=nbd://127.0.0.1:99999/" >/dev/null 2>"$D/err"
is "$?/$(wc -l < "$D/err")" "2/1" "duet attach: a bad port, one line"
"$DUET" attach "$g" "disk=vdev=xvdi, backendtype=qdisk, \
target=nbd+unix:///disk" >/dev/null 2>"$D/err"
is "$?/$(wc -l < "$D/err")" "2/1" "duet attach: a unix URI without socket=, one line"
kill -0 $bpid
ok $? "the backend daemon is still there"
done_testing

#!/bin/sh
# blk-rbd-engine.sh - blkback's RBD engine (backends/blkback/engine-rbd.c)
# against a one-node Ceph cluster started here on loopback (ceph-mon,
# ceph-mgr, one memstore ceph-osd, cephx: tests/sim/lib/ceph-lib.sh):
# an image attached with xl's syntax (backendtype=qdisk,
# target=rbd:POOL/IMAGE:id=admin:conf=...) takes random data through
# duet's blkfront that reads back bit for bit, through blkfront and
# through `rbd export`; flush and discard; a snapshot is refused for
# writing with a one-line reason and served read-only with access=ro,
# holding the snapshot's data; a missing image is a one-line error; the
# OSD stopped: I/O fails within the stall bound instead of hanging, and
# works again once the OSD is back.  Exit 77 with the reason when the
# cluster cannot start here.
. "$(dirname "$0")/lib/sim-lib.sh"
. "$(dirname "$0")/lib/ceph-lib.sh"
why=$(engine_missing rbd)
[ -z "$why" ] || { echo "1..0 # SKIP $why"; exit 77; }
trap 'ceph_stop "$D/ceph"; cleanup' EXIT
mkdir -p "$D/ceph"
ceph_start "$D/ceph" || {
	echo "1..0 # SKIP a one-node Ceph cluster cannot start here: $CEPH_WHY"
	exit 77; }
CONF="$D/ceph/ceph.conf"
C() { timeout 60 ceph -c "$CONF" "$@"; }
R() { timeout 60 rbd -c "$CONF" "$@"; }
C osd pool create rbd 8 >/dev/null 2>&1 && R pool init rbd &&
	R create --size 64M rbd/img >/dev/null 2>&1 || {
	echo "Bail out! cannot create the pool and image"; exit 1; }

"$DUET" sim start >/dev/null || { echo "Bail out! cannot start"; exit 1; }
g=$("$DUET" sim domain create guest)
eval "$("$DUET" sim env 0)"
as() { ( d=$1; shift; eval "$("$DUET" sim env "$d")"; exec "$@" ); }
fe() { as "$g" "$DUET" blkfront --timeout 20000 "$@"; }
err_node() { echo "/local/domain/0/error/backend/qdisk/$g/$1/error"; }
DUET_BLKBACK_STALL_S=5 "$DUET" backend >"$D/backend.log" 2>&1 &
bpid=$!
BG_PIDS="$BG_PIDS $bpid"
head -c $((8 << 20)) /dev/urandom > "$D/data"

"$DUET" attach "$g" "disk=vdev=xvdb, backendtype=qdisk, \
target=rbd:rbd/img:id=admin:conf=$CONF" >/dev/null
ok $? "attach target=rbd:rbd/img:id=admin:conf=... (backendtype=qdisk)"
fe xvdb info > "$D/info" 2>&1
grep -q '^size 67108864$' "$D/info"
ok $? "  the frontend sees the image's size"
grep -q '^flush 1$' "$D/info" && grep -q '^discard 1$' "$D/info"
ok $? "  flush and discard offered"
n=0
for opt in "" "--no-persistent" "--queues 1"; do
	n=$((n + 1))
	dd if="$D/data" of="$D/in" bs=1M count=4 skip=$n 2>/dev/null
	fe $opt xvdb write $((n * 8))M < "$D/in" 2>/dev/null
	ok $? "write 4 MiB ${opt:-(persistent, 4 queues)}"
	fe $opt xvdb read $((n * 8))M 4M 2>/dev/null | cmp -s - "$D/in"
	ok $? "  read back bit for bit"
done
R export rbd/img "$D/export" >/dev/null 2>&1
cmp -s -i $((24 << 20)):0 -n $((4 << 20)) "$D/export" "$D/in"
ok $? "rbd export: the image holds the data bit for bit"
fe xvdb flush 2>/dev/null
ok $? "flush"
fe xvdb discard 8M 4M 2>/dev/null
ok $? "discard"
fe xvdb read 8M 4M 2>/dev/null | cmp -s -n $((4 << 20)) - /dev/zero
ok $? "  the discarded range reads as zeros"

# Snapshots: read-only.
R snap create rbd/img@s1 >/dev/null 2>&1
"$DUET" attach "$g" "disk=vdev=xvdc, backendtype=qdisk, \
target=rbd:rbd/img@s1:conf=$CONF" >/dev/null
until_ok 15 xenstore-read "$(err_node 51744)" >/dev/null 2>&1
msg=$(xenstore-read "$(err_node 51744)" 2>/dev/null)
is "$(printf '%s\n' "$msg" | wc -l)/$(printf '%s' "$msg" | grep -c 'snapshot is read-only')" \
	"1/1" "a snapshot attached read-write: refused, one line"
echo "#   $msg"
"$DUET" detach --force "$g" xvdc >/dev/null 2>&1
"$DUET" attach "$g" "disk=vdev=xvdd, access=ro, backendtype=qdisk, \
target=rbd:rbd/img@s1:conf=$CONF" >/dev/null
fe xvdd info 2>/dev/null | grep -q '^read-only 1$'
ok $? "a snapshot with access=ro is served read-only"
fe xvdd read 24M 4M 2>/dev/null | cmp -s - "$D/in"
ok $? "  holding the snapshot's data"
fe xvdd write 0 < "$D/in" >/dev/null 2>&1
ok $([ $? -ne 0 ] && echo 0 || echo 1) "  a write is refused"
"$DUET" detach "$g" xvdd >/dev/null 2>&1

# A missing image.
"$DUET" attach "$g" "disk=vdev=xvde, backendtype=qdisk, \
target=rbd:rbd/nope:conf=$CONF" >/dev/null
until_ok 15 xenstore-read "$(err_node 51776)" >/dev/null 2>&1
msg=$(xenstore-read "$(err_node 51776)" 2>/dev/null)
is "$(printf '%s\n' "$msg" | wc -l)/$(printf '%s' "$msg" | grep -c 'No such file')" \
	"1/1" "a missing image: one line naming it"
echo "#   $msg"
"$DUET" detach --force "$g" xvde >/dev/null 2>&1

# The OSD stopped: bounded failure, then I/O again once it is back
# (memstore saves its objects when stopped cleanly).
opid=$(cat "$D/ceph/run/osd.0.pid" 2>/dev/null)
kill "$opid" 2>/dev/null
while kill -0 "$opid" 2>/dev/null; do sleep 0.1; done
fe --queues 1 xvdb read 16M 4K >/dev/null 2>"$D/err"
is $? 1 "OSD stopped: a read fails with an I/O error instead of hanging"
ceph-osd -c "$CONF" -i 0 >/dev/null 2>&1
until_ok 60 sh -c "ceph -c '$CONF' osd stat 2>/dev/null | grep -q '1 up'"
fe --queues 1 xvdb read 16M 4M 2>/dev/null | cmp -s -n $((4 << 20)) -i 0:$((2 << 20)) - "$D/data"
ok $? "OSD back: the data reads again, no re-attach"
kill -0 $bpid
ok $? "the backend daemon is still there"
done_testing

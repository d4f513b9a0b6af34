#!/bin/sh
# blk-engine-nolib.sh - blkback's network-disk engines load libnbd and
# librbd at run time (backends/blkback/engine-lib.h); where the library
# is not installed (here: DUET_LIBNBD and DUET_LIBRBD name files that are
# not there, in the backend daemon's environment) an NBD or RBD disk is
# refused with one line in the backend's log and xenstore's error node
# naming the library and the Debian package, the device's instance ends
# without crashing, the daemon stays, and a file disk on the same daemon
# is served as ever.
. "$(dirname "$0")/lib/sim-lib.sh"
for e in nbd rbd; do
	case $(engine_missing $e) in
	*"built without"*)
		echo "1..0 # SKIP $(engine_missing $e)"; exit 77 ;;
	esac
done

"$DUET" sim start >/dev/null || { echo "Bail out! cannot start"; exit 1; }
g=$("$DUET" sim domain create guest)
eval "$("$DUET" sim env 0)"
as() { ( d=$1; shift; eval "$("$DUET" sim env "$d")"; exec "$@" ); }
fe() { as "$g" "$DUET" blkfront --timeout 10000 "$@"; }
err_node() { echo "/local/domain/0/error/backend/$1/$g/$2/error"; }

DUET_LIBNBD=/nonexistent/libnbd.so.0 DUET_LIBRBD=/nonexistent/librbd.so.1 \
	"$DUET" backend >"$D/backend.log" 2>&1 &
bpid=$!
BG_PIDS="$BG_PIDS $bpid"

# refused VDEV TARGET WANT NAME: the disk fails with the one line WANT.
refused() {
	"$DUET" attach "$g" "disk=vdev=$1, backendtype=qdisk, target=$2" \
		>/dev/null
	ok $? "$4: attach target=$2"
	dev=$("$DUET" attach --check "disk=vdev=$1,target=x" |
		sed -n 's/^virtual-device=//p')
	until_ok 15 xenstore-read "$(err_node qdisk "$dev")" >/dev/null 2>&1
	msg=$(xenstore-read "$(err_node qdisk "$dev")" 2>/dev/null)
	is "$(printf '%s\n' "$msg" | wc -l)/$(printf '%s' "$msg" |
		grep -cF "$3")" "1/1" "  refused, one line: $3"
	echo "#   $msg"
	grep -qF "$3" "$D/backend.log"
	ok $? "  the same line in the backend's log"
	"$DUET" detach --force "$g" "$1" >/dev/null 2>&1
}
refused xvdb "nbd+unix:///?socket=$D/none.sock" \
	"/nonexistent/libnbd.so.0 (from DUET_LIBNBD) not installed (apt install libnbd0)" \
	"libnbd missing"
refused xvdc "rbd:rbd/img:id=admin" \
	"/nonexistent/librbd.so.1 (from DUET_LIBRBD) not installed (apt install librbd1)" \
	"librbd missing"

! grep -q "killed by signal" "$D/backend.log"
ok $? "no instance crashed"
kill -0 $bpid
ok $? "the backend daemon is still there"

# A file disk on the same daemon: served as ever.
head -c $((1 << 20)) /dev/urandom > "$D/in"
truncate -s 8M "$D/disk.img"
"$DUET" attach "$g" "disk=$D/disk.img,raw,xvdd,rw" >/dev/null
fe xvdd write 0 < "$D/in" 2>/dev/null &&
	fe xvdd read 0 1M 2>/dev/null | cmp -s - "$D/in"
ok $? "a file disk on the same daemon: data reads back"
"$DUET" detach "$g" xvdd >/dev/null 2>&1
done_testing

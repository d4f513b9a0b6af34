# sim-lib.sh - sourced by tests/sim/sim-*.sh.
# Provides: $DUET, a private simulator directory $D (also $DUET_SIM_DIR)
# with an EXIT trap that stops the simulator, kills $BG_PIDS and removes
# the directory, TAP helpers ok/is/done_testing/wait_file, and until_ok
# (until.sh).

: "${DUET_BUILD:=$(cd "$(dirname "$0")/../.." && pwd)/build}"
DUET="$DUET_BUILD/bin/duet"
. "$(dirname "$0")/lib/until.sh"
[ -x "$DUET" ] || { echo "1..0 # SKIP $DUET not built"; exit 77; }
D=$(mktemp -d /tmp/duet-simsh.XXXXXX)
unset DUET_PLATFORM DUET_DOMID XENSTORED_PATH
export DUET_SIM_DIR="$D"
T=0
FAILED=0

cleanup() {
	"$DUET" sim stop --dir "$D" >/dev/null 2>&1
	[ -n "${BG_PIDS:-}" ] && kill $BG_PIDS 2>/dev/null
	rm -rf "$D"
}
trap cleanup EXIT

ok() { # ok COND-STATUS NAME
	T=$((T + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $T - $2"
	else
		echo "not ok $T - $2"
		FAILED=$((FAILED + 1))
	fi
}

is() { # is GOT WANT NAME
	T=$((T + 1))
	if [ "$1" = "$2" ]; then
		echo "ok $T - $3"
	else
		echo "not ok $T - $3"
		echo "#   got '$1', want '$2'"
		FAILED=$((FAILED + 1))
	fi
}

done_testing() {
	echo "1..$T"
	[ "$FAILED" -eq 0 ]
}

# wait_file FILE: wait up to 5 s for FILE to be non-empty.
wait_file() {
	i=0
	while [ ! -s "$1" ] && [ $i -lt 500 ]; do sleep 0.01; i=$((i + 1)); done
	[ -s "$1" ]
}

# engine_missing nbd|rbd: why duet cannot serve that kind of network disk
# here, or nothing: built without the engine (the name of the library it
# loads is not in the binary; make deps installs the -dev packages), or
# that library not installed (duet loads it at run time,
# backends/blkback/engine-lib.h; DUET_LIBNBD / DUET_LIBRBD name another).
engine_missing() {
	case $1 in
	nbd) so=libnbd.so.0 pkg=libnbd0 dev=libnbd-dev ;;
	rbd) so=librbd.so.1 pkg=librbd1 dev="librbd-dev librados-dev" ;;
	esac
	if ! grep -qa "$so" "$DUET"; then
		echo "duet built without lib$1 (make deps: $dev)"
	elif ! PATH=$PATH:/sbin:/usr/sbin ldconfig -p |
		grep -q "[[:space:]]$so[[:space:]]"; then
		echo "$so not installed (apt install $pkg)"
	fi
}

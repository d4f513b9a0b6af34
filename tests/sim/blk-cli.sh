#!/bin/sh
# blk-cli.sh - `duet blkfront` argument handling: --help, a one-line
# reason and exit 2 for bad arguments, exit 1 for a device that does not
# exist; and nbdkit's duet plugin refusing a missing devid.
. "$(dirname "$0")/lib/sim-lib.sh"

"$DUET" blkfront --help > "$D/help" 2>&1
ok $? "--help exits 0"
grep -q "^usage: duet blkfront" "$D/help"
ok $? "  and prints the usage"

bad() { # bad NAME ARGS...: exit 2 with one line on stderr
	name=$1; shift
	"$DUET" blkfront "$@" >/dev/null 2>"$D/err"
	rc=$?
	is "$rc/$(wc -l < "$D/err")" "2/1" "$name: exit 2, one line"
}
bad "no arguments"
bad "no command" xvda
bad "unknown command" xvda frobnicate
bad "bad device" xvd! read 0 512
bad "read without LEN" xvda read 0
bad "bad offset" xvda read -1 512
bad "bad size suffix" xvda read 1X 512
bad "write without OFFSET" xvda write
bad "verify without FILE" xvda verify
bad "info with an argument" xvda info 1
bad "unknown option" --frob xvda info
bad "queues 0" --queues 0 xvda info
bad "ring order 5" --ring-order 5 xvda info

"$DUET" sim start >/dev/null || { echo "Bail out! cannot start"; exit 1; }
g=$("$DUET" sim domain create guest)
( eval "$("$DUET" sim env "$g")"
  exec "$DUET" blkfront --timeout 500 xvda info ) >/dev/null 2>"$D/err"
is "$?" 1 "a disk that is not there: exit 1"
grep -q "duet blkfront: .*vbd/51712" "$D/err"
ok $? "  naming the device"

PLUGIN="$DUET_BUILD/lib/nbdkit-duet-plugin.so"
if command -v nbdkit >/dev/null 2>&1 && [ -f "$PLUGIN" ]; then
	nbdkit --dump-plugin "$PLUGIN" > "$D/dump" 2>&1
	grep -q "^name=duet" "$D/dump" && grep -q "^thread_model=parallel" "$D/dump"
	ok $? "nbdkit loads the plugin: name duet, thread model parallel"
	nbdkit -U - "$PLUGIN" --run true >/dev/null 2>"$D/err"
	ok $([ $? -ne 0 ] && grep -q "devid" "$D/err" && echo 0 || echo 1) \
		"the plugin refuses to start without devid="
else
	echo "ok $((T + 1)) # SKIP nbdkit or the plugin missing"; T=$((T + 1))
fi
done_testing

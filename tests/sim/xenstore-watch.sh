#!/bin/sh
# The stock xenstore-watch against the simulator's xenstore server: the
# first event when the watch is set, then one per change below the path.
set -u
build=${DUET_BUILD:-build}
helper=$build/tests/helpers/xsd-standalone
for t in xenstore-write xenstore-watch xenstore-rm; do
	command -v $t >/dev/null 2>&1 || { echo "1..0 # SKIP $t missing (xenstore-utils)"; exit 77; }
done
[ -x "$helper" ] || { echo "1..0 # SKIP $helper not built"; exit 77; }

dir=$(mktemp -d /tmp/duet-xs-watch.XXXXXX)
"$helper" "$dir" 2>"$dir/err" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
i=0
while [ ! -e "$dir/ready" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
[ -e "$dir/ready" ] || { echo "Bail out! server did not start: $(cat "$dir/err")"; exit 1; }
export XENSTORED_PATH="$dir/xs-0.sock"

n=0
fail=0
is() {
	n=$((n + 1))
	if [ "$2" = "$3" ]; then echo "ok $n - $1"; else
		echo "not ok $n - $1"; echo "#   got '$2', want '$3'"; fail=1; fi
}
# wait until the watcher printed at least $2 lines into $1
waitlines() {
	i=0
	while [ "$(wc -l < "$1")" -lt "$2" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
}

xenstore-write /w/state 1
: > "$dir/ev"
timeout 10 xenstore-watch -n 4 /w > "$dir/ev" 2>&1 &
wpid=$!
waitlines "$dir/ev" 1
is "the first event is the watched path, at once" "$(sed -n 1p "$dir/ev")" /w
xenstore-write /w/state 2
waitlines "$dir/ev" 2
is "a write below fires with the changed path" "$(sed -n 2p "$dir/ev")" /w/state
xenstore-write /other 1
xenstore-write /w/new/deep x
waitlines "$dir/ev" 3
is "an unrelated write does not fire; a deep write does" "$(sed -n 3p "$dir/ev")" /w/new/deep
xenstore-rm /w/new
wait $wpid
is "xenstore-watch -n 4 saw exactly four events" "$(wc -l < "$dir/ev" | tr -d ' ')" 4
is "the removal fired with the removed path" "$(sed -n 4p "$dir/ev")" /w/new

: > "$dir/ev1"
XENSTORED_PATH="$dir/xs-1.sock" timeout 10 xenstore-watch -n 2 /local/domain/1/dev > "$dir/ev1" 2>&1 &
wpid=$!
waitlines "$dir/ev1" 1
xenstore-write /local/domain/0/not-yours 1
xenstore-write /local/domain/1/dev/x 1
wait $wpid
is "a domU's watch fires for its own node" "$(sed -n 2p "$dir/ev1")" /local/domain/1/dev/x

echo "1..$n"
exit $fail

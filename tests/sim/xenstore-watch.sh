#!/bin/sh
# The stock xenstore-watch against the simulator's xenstore: the first
# event when the watch is set, then one per change below the path; under
# each flavour (duet sim start --xenstored).
set -u
. "$(dirname "$0")/lib/xs-lib.sh"
xs_need xenstore-write xenstore-watch xenstore-rm

# waitlines FILE N: wait up to 5 s until the watcher printed N lines.
waitlines() {
	i=0
	while [ "$(wc -l < "$1")" -lt "$2" ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}

for f in $XS_FLAVOURS; do
	xs_start "$f"
	ev=$D/ev-$f
	d0 xenstore-write /w/state 1
	: > "$ev"
	d0 timeout 10 xenstore-watch -n 4 /w > "$ev" 2>&1 &
	wpid=$!
	waitlines "$ev" 1
	is "$(sed -n 1p "$ev")" /w \
		"$f: the first event is the watched path, at once"
	d0 xenstore-write /w/state 2
	waitlines "$ev" 2
	is "$(sed -n 2p "$ev")" /w/state \
		"$f: a write below fires with the changed path"
	d0 xenstore-write /other 1
	d0 xenstore-write /w/new/deep x
	waitlines "$ev" 3
	is "$(sed -n 3p "$ev")" /w/new/deep \
		"$f: an unrelated write does not fire; a deep write does"
	d0 xenstore-rm /w/new
	wait $wpid
	is "$(wc -l < "$ev" | tr -d ' ')" 4 \
		"$f: xenstore-watch -n 4 saw exactly four events"
	is "$(sed -n 4p "$ev")" /w/new "$f: the removal fired with the removed path"

	: > "$ev.1"
	d1 timeout 10 xenstore-watch -n 2 /local/domain/$DOMU/dev > "$ev.1" 2>&1 &
	wpid=$!
	waitlines "$ev.1" 1
	d0 xenstore-write /local/domain/0/not-yours 1
	d0 xenstore-write /local/domain/$DOMU/dev/x 1
	wait $wpid
	is "$(sed -n 2p "$ev.1")" /local/domain/$DOMU/dev/x \
		"$f: a domU's watch fires for its own node, not for others'"
done
done_testing

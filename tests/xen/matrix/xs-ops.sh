#!/bin/bash
# xs-ops.sh - matrix entry h: one fixed sequence of xenstore operations,
# printed as a canonical transcript on stdout.
#
#   xs-ops.sh XS_PROBE
#
# Runs the stock xenstore-* tools and XS_PROBE (tests/xen/guest/xs-probe.c,
# for what the tools cannot express: error names, transactions, watch
# events) against whatever libxenstore connects to: $XENSTORED_PATH when
# set (duet's simulator), else the local xenstored.  The same script gives
# the lab's transcript (real xenstored in dom0) and the simulator's; the two
# must be identical.  Every command is printed with its exit status and
# output (stderr folded in, directory listings sorted), so the transcript
# holds no timings, pids or domids other than 0.
set -eu

PROBE=${1:?usage: xs-ops.sh XS_PROBE}
[ -x "$PROBE" ] || { echo "xs-ops: $PROBE is not executable" >&2; exit 2; }
for t in xenstore-read xenstore-write xenstore-rm xenstore-list xenstore-ls \
	 xenstore-chmod xenstore-exists; do
	command -v $t >/dev/null || { echo "xs-ops: $t not found" >&2; exit 2; }
done
BASE=/duet-lab-h

# run CMD...: print the command, its output and exit status.
run() {
	local out rc=0
	out=$("$@" 2>&1) || rc=$?
	echo "\$ $*"
	[ -z "$out" ] || printf '%s\n' "$out" | sed 's/^/  /'
	echo "  [rc=$rc]"
}

# run_sorted CMD...: like run, with the output lines sorted.
run_sorted() {
	local out rc=0
	out=$("$@" 2>&1) || rc=$?
	echo "\$ $* | sort"
	[ -z "$out" ] || printf '%s\n' "$out" | LC_ALL=C sort | sed 's/^/  /'
	echo "  [rc=$rc]"
}

# probe ARGS...: xs-probe, printed without its path.
probe() {
	local out rc=0
	out=$("$PROBE" "$@" 2>&1) || rc=$?
	echo "\$ xs-probe $*"
	[ -z "$out" ] || printf '%s\n' "$out" | sed 's/^/  /'
	echo "  [rc=$rc]"
}

# Start from nothing; the clean-up itself is not part of the transcript.
xenstore-rm "$BASE" >/dev/null 2>&1 || true

echo "# 1. writes, reads, implicit parents, listing"
run xenstore-write $BASE/a 1
run xenstore-read $BASE/a
run xenstore-write $BASE/deep/er/node value-with-spaces\ and\ more
run xenstore-read $BASE/deep/er/node
run xenstore-read $BASE/deep/er
run xenstore-write $BASE/empty ""
run xenstore-read $BASE/empty
run xenstore-write $BASE/a 2 $BASE/b 3
run xenstore-read $BASE/a $BASE/b
run_sorted xenstore-list $BASE
run_sorted xenstore-ls -f $BASE
run xenstore-exists $BASE/deep/er
run xenstore-exists $BASE/nope
probe dir $BASE
probe mkdir $BASE/made
probe read $BASE/made
probe dir $BASE/made

echo "# 2. permissions"
probe getperms $BASE/a
run xenstore-chmod $BASE/a n0 r5
probe getperms $BASE/a
run xenstore-chmod $BASE/a b7 w3
probe getperms $BASE/a
run xenstore-chmod -r $BASE/deep r0
probe getperms $BASE/deep/er/node
probe getperms $BASE/b
run xenstore-read $BASE/a

echo "# 3. removal"
run xenstore-rm $BASE/deep/er/node
run xenstore-read $BASE/deep/er/node
run xenstore-exists $BASE/deep/er
run xenstore-rm $BASE/deep
probe dir $BASE/deep
probe rm $BASE/never/was
probe rm $BASE/never
probe rm $BASE/b
probe read $BASE/b

echo "# 4. errors"
probe read $BASE/missing
probe dir $BASE/missing
probe getperms $BASE/missing
probe write "$BASE/bad path" x
probe write "$BASE/bad//path" x
probe write-size $BASE/big 2048
probe rm $BASE/big
probe write-size $BASE/big 2049
probe rm $BASE/big
probe write-size $BASE/big 4000
probe rm $BASE/big
probe read $BASE/made/../a
run xenstore-read $BASE/missing
run xenstore-list $BASE/missing

echo "# 5. domain paths"
probe domain-path 0
probe domain-path 7
probe read /local/domain/0/name
probe read name
run xenstore-read name

echo "# 6. transactions"
probe txn $BASE

echo "# 7. watches"
probe watch $BASE

echo "# 8. final tree"
run_sorted xenstore-ls -f $BASE
run xenstore-rm $BASE
run xenstore-exists $BASE
echo "# end of transcript"

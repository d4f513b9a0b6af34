#!/bin/sh
# bench-net.sh - issue 7: `duet bench net` runs end to end on its own
# private simulator (short points, no iperf3): every strategy and size gets
# a row in the table and the CSV with frames received and CPU time
# counted, it names the crossovers, the PNG is written when gnuplot is
# there, and nothing of its simulator is left behind.  No speed is
# asserted (that is tests/bench/'s business).
. "$(dirname "$0")/lib/sim-lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root (TAP, netns)"; exit 77; }

mkdir "$D/tmp"
TMPDIR="$D/tmp" timeout 120 "$DUET" bench net --modes copy,map,flip \
	--sizes 64,4096,20000 --duration 0.3 --no-iperf --csv "$D/net.csv" --png "$D/net.png" \
	> "$D/out" 2>&1
ok $? "duet bench net exits 0"
is "$(grep -cE '^ +(64|4096|20000) (copy|map|flip) ' "$D/out")" 9 \
	"the table has a row per strategy and size"
grep -q "map vs flip by throughput:" "$D/out"
ok $? "it names the crossovers"
is "$(sed 1d "$D/net.csv" | wc -l)" 9 "the CSV has a row per point"
is "$(head -1 "$D/net.csv" | cut -d, -f1-7)" \
	"size,mode,packets,seconds,pps,gbps,cpu_ns_per_pkt" "the CSV's header"
is "$(awk -F, 'NR > 1 && $3 > 0 && $8 > 0 && $9 > 0 && $10 > 0' \
	"$D/net.csv" | wc -l)" 9 \
	"every point received frames and counted netback, netfront and sim CPU"
if command -v gnuplot >/dev/null 2>&1; then
	head -c 8 "$D/net.png" | od -An -c | grep -q "P   N   G"
	ok $? "the PNG is written"
else
	grep -q "gnuplot not found" "$D/out"
	ok $? "without gnuplot it says so (CSV only)"
fi
is "$(ls "$D/tmp")" "" "its simulator directory (in \$TMPDIR) is gone"
[ "$FAILED" -eq 0 ] || sed 's/^/# /' "$D/out"
done_testing

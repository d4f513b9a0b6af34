#!/bin/sh
# soak-judge.sh - the flatness rule of `make soak` (tests/soak/judge.awk)
# on made-up samples, so that a change to the rule that would let a leak
# through, or fail a flat figure, shows in make check (the soak itself
# takes minutes and root, and is not part of it).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
J="$top/tests/soak/judge.awk"
D=$(mktemp -d /tmp/duet-judge.XXXXXX)
trap 'rm -rf "$D"' EXIT
n=0
fail=0

# verdict SERIES METRIC [FRONTS]: judge $D/s.csv (warm-up 20 s, instance
# warm-up 10 s, slack: RSS max(2048 kB, 10 %), fds max(2, 10 %), grants
# max(64, 25 %)); print "<verdict> <basis>" of one line.
verdict() {
	awk -F, -f "$J" -v warmup=20 -v inst_warmup=10 -v rss_slack=2048 \
		-v rss_pct=10 -v fd_slack=2 -v fd_pct=10 -v grant_slack=64 \
		-v grant_pct=25 -v fronts="${3:-}" "$D/s.csv" |
		awk -v s="$1" -v m="$2" '$1 == s && $2 == m { print $NF, $(NF - 1) }'
}
is() {
	n=$((n + 1))
	if [ "$1" = "$2" ]; then
		echo "ok $n - $3"
	else
		echo "not ok $n - $3"
		echo "#   got '$1', want '$2'"
		fail=1
	fi
}
# series SERIES METRIC PID V0 V1 ...: one sample every 10 s from t = 0.
series() {
	s=$1 m=$2 p=$3
	shift 3
	t=0
	for v in "$@"; do
		echo "$t,$s,$p,$m,$v"
		t=$((t + 10))
	done
}
hdr() { echo "t_s,series,pid,metric,value"; }

{ hdr; series simd fds 10 300 400 440 441 439 442 443 440 444; } > "$D/s.csv"
is "$(verdict simd fds)" "ok all" "growth during warm-up and noise within 10 % pass"
{ hdr; series simd fds 10 40 40 40 41 42 44 46 48 50; } > "$D/s.csv"
is "$(verdict simd fds)" "FAIL all" "fds growing past max(2, 10 %) of the base fail"
{ hdr; series dom-guest1 ports "" 6 6 6 6 6 6 6 6 7; } > "$D/s.csv"
is "$(verdict dom-guest1 ports)" "FAIL all" "one more event-channel port fails (no slack)"
{ hdr; series dom-guest1 bound "" 6 6 6 5 6 6 6 6 6; } > "$D/s.csv"
is "$(verdict dom-guest1 bound)" "ok all" "a port bound again after a dip passes"
{ hdr; series daemon rss_kb 5 2000 2100 2100 2100 2100 2200 4000 4100 4100; } > "$D/s.csv"
is "$(verdict daemon rss_kb)" "ok all" "RSS within 2 MiB of the base passes"
{ hdr; series daemon rss_kb 5 2000 2100 2100 2100 2100 2200 4100 4200 4300; } > "$D/s.csv"
is "$(verdict daemon rss_kb)" "FAIL all" "RSS beyond 2 MiB of the base fails"
{ hdr; series dom-guest1 grants "" 700 1000 1090 1090 1122 1154 1186 1218 1218; } > "$D/s.csv"
is "$(verdict dom-guest1 grants)" "ok all" "a guest's grants may grow 25 % (the persistent pool)"
{ hdr; series dom-guest1 grants "" 700 1000 1090 1090 1122 1154 1186 1400 1500; } > "$D/s.csv"
is "$(verdict dom-guest1 grants)" "FAIL all" "a guest's grants beyond 25 % fail"
{ hdr; series dom-guest1 pgrants "" 0 100 200 300 400 500 600 700 800; } > "$D/s.csv"
is "$(verdict dom-guest1 pgrants)" "" "persistent grants are for the record, not judged"
{ hdr; series simd fds 10 40 40; } > "$D/s.csv"
is "$(verdict simd fds)" "skip all" "fewer than 3 samples after warm-up: skipped"

# Instances: the device's current instance on its own samples.
{ hdr; series vbd-1 rss_kb 100 10000 13000 13000 13000;
	echo "40,vbd-1,200,rss_kb,9000"; echo "50,vbd-1,200,rss_kb,12000"
	echo "60,vbd-1,200,rss_kb,13000"; echo "70,vbd-1,200,rss_kb,13100"
	echo "80,vbd-1,200,rss_kb,13100"; echo "90,vbd-1,200,rss_kb,13200"; } > "$D/s.csv"
is "$(verdict vbd-1 rss_kb)" "ok pid-200" "a restarted instance is judged on its own samples"
{ hdr; series vbd-1 fds 100 35 35 35 35 35 35 35 35;
	echo "80,vbd-1,200,fds,30"; echo "90,vbd-1,200,fds,35"; } > "$D/s.csv"
is "$(verdict vbd-1 fds)" "ok vs-earlier" "a young instance no bigger than its predecessor passes"
{ hdr; series vbd-1 fds 100 35 35 35 35 35 35 35 35;
	echo "80,vbd-1,200,fds,30"; echo "90,vbd-1,200,fds,40"; } > "$D/s.csv"
is "$(verdict vbd-1 fds)" "FAIL vs-earlier" "a young instance bigger than its predecessor fails"

# A frontend warms up again after its device's first kill.
{ hdr; series nbdkit-1 rss_kb 7 16000 16100 16000 16100 16000 22500 22600 22600 22700; } > "$D/s.csv"
is "$(verdict nbdkit-1 rss_kb)" "FAIL all" "nbdkit's step without a kill of its disk fails"
is "$(verdict nbdkit-1 rss_kb nbdkit-1=40)" "ok after-kill" \
	"the same step after its disk's instance was killed passes"
echo "1..$n"
exit $fail

#!/bin/sh
# A short smoke run of every libFuzzer target built under $DUET_BUILD/fuzz
# (make check); `make fuzz` runs them for FUZZ_SECONDS each.  One TAP line
# per target: it must run FUZZ_SMOKE_SECONDS (default 10) without a crash,
# a leak or a sanitizer report.
set -u
build=${DUET_BUILD:-build}
secs=${FUZZ_SMOKE_SECONDS:-10}
n=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for f in "$build"/fuzz/*; do
	[ -x "$f" ] || continue
	name=$(basename "$f")
	n=$((n + 1))
	mkdir -p "$tmp/$name"
	if "$f" -max_total_time="$secs" -timeout=10 -rss_limit_mb=1024 \
		-artifact_prefix="$tmp/$name/" "$tmp/$name" > "$tmp/$name.log" 2>&1; then
		runs=$(grep -o 'Done [0-9]* runs' "$tmp/$name.log" | tail -n 1)
		echo "ok $n - fuzz smoke: $name (${runs:-ran})"
	else
		echo "not ok $n - fuzz smoke: $name"
		tail -n 30 "$tmp/$name.log" | sed 's/^/# /'
		fail=1
	fi
done
if [ "$n" -eq 0 ]; then
	echo "1..0 # SKIP no fuzz targets built in $build/fuzz"
	exit 0
fi
echo "1..$n"
exit $fail

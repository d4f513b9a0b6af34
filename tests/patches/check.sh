#!/bin/bash
# make patches-check: every kernel series in patches/ against the tree it is
# for (Debian's linux-source-6.1, see lib.sh), one patch at a time:
#
#   - the cover letter is filled in (no "*** SUBJECT HERE ***" left);
#   - checkpatch.pl --strict on each patch: no errors, no warnings (the
#     CHECKs it reports are named; the cover letter explains them);
#   - git am of each patch onto the tree, reset to the clean base first;
#   - after each patch, every object that any patch of the series touches is
#     compiled (CONFIG_WERROR=y, x86_64_defconfig + xen.config: xenbus built
#     in, the frontends as modules), so each patch builds on its own.
#
# Prints TAP.  Exit 0 when all passed, 1 on a failure, 77 (skip, with the
# reason) only when the kernel source cannot be fetched or a build tool is
# missing.  Cold (nothing cached): fetch + unpack ~1 min, the base commit
# ~1.5 min, make prepare ~1 min, first compiles ~1 min: about 5 minutes on
# 2 cores; warm about 2 minutes.  JOBS (default 2) is make's -j.
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
cd "$ROOT" || exit 1
. "$HERE/lib.sh"
JOBS=${JOBS:-2}

n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $*"; }
skip_all() { echo "1..0 # SKIP $*"; exit 77; }
diag() { sed 's/^/# /'; }

series=$(kernel_series)
[ -n "$series" ] || { echo "1..0 # SKIP no series in patches/"; exit 0; }

missing=$(kernel_missing_tools)
[ -z "$missing" ] ||
	skip_all "missing kernel build tools: $missing(make kernel-deps)"
command -v apt-get >/dev/null ||
	[ -s "$KCACHE/linux-source-6.1_${LINUX_SOURCE_VERSION}_all.deb" ] ||
	skip_all "no apt-get to fetch linux-source-6.1=$LINUX_SOURCE_VERSION"

start=$(date +%s)
tree=$(kernel_tree) ||
	skip_all "cannot fetch or unpack linux-source-6.1=$LINUX_SOURCE_VERSION (apt sources?)"
BUILD=$KCACHE/check-build
exec 9>"$KCACHE/check.lock"
flock 9

reset_tree() {
	git -C "$tree" am --abort >/dev/null 2>&1
	git -C "$tree" checkout -q -f --detach base &&
		git -C "$tree" clean -q -f -d
}
reset_tree || { echo "Bail out! cannot reset $tree to its base"; exit 1; }

# Configure and prepare once per base version and config.
if [ ! -e "$BUILD/.duet-prepared" ]; then
	echo "# configuring $BUILD (x86_64_defconfig xen.config, make prepare)"
	mkdir -p "$BUILD"
	if ! { make -C "$tree" O="$BUILD" x86_64_defconfig xen.config &&
	       make -C "$tree" O="$BUILD" olddefconfig &&
	       nice -n 10 make -C "$tree" O="$BUILD" -j"$JOBS" prepare; } \
			>"$BUILD.log" 2>&1; then
		tail -20 "$BUILD.log" | diag
		echo "Bail out! kernel configuration failed"
		exit 1
	fi
	touch "$BUILD/.duet-prepared"
fi
echo "# base linux-source-6.1 $LINUX_SOURCE_VERSION in $tree (prepared $(( $(date +%s) - start )) s)"

for s in $series; do
	name=$(basename "$s")
	echo "# series $name"
	cover=$s/0000-cover-letter.patch
	if grep -q '\*\*\* \(SUBJECT\|BLURB\) HERE \*\*\*' "$cover"; then
		not_ok "$name: cover letter filled in"
	else
		ok "$name: cover letter filled in"
	fi

	patches=$(kernel_series_patches "$s")
	# Objects of every C file the series touches, built after each patch.
	objs=$(cat $patches | sed -n 's#^+++ b/\(.*\)\.c$#\1.o#p' | sort -u)
	reset_tree
	applied=1
	for p in $patches; do
		pn=$(basename "$p" .patch)
		if [ "$applied" = 0 ]; then
			not_ok "$name/$pn: not tried (an earlier patch did not apply)"
			continue
		fi
		res=$(cd "$tree" && scripts/checkpatch.pl --strict --show-types \
			"$ROOT/$p" 2>&1)
		total=$(printf '%s\n' "$res" | sed -n 's/^total: //p')
		types=$(printf '%s\n' "$res" | sed -n 's/.*CHECK:\([A-Z_]*\):.*/\1/p' |
			sort | uniq -c | awk '{printf " %s x%s", $2, $1}')
		case "$total" in
		"0 errors, 0 warnings,"*)
			ok "$name/$pn: checkpatch --strict: $total${types:+ (}${types# }${types:+)}" ;;
		*)
			not_ok "$name/$pn: checkpatch --strict: ${total:-no result}"
			printf '%s\n' "$res" | grep -E '^(ERROR|WARNING|#|\+)' |
				head -30 | diag ;;
		esac

		if out=$(git -C "$tree" am -q "$ROOT/$p" 2>&1); then
			ok "$name/$pn: git am"
		else
			not_ok "$name/$pn: git am"
			printf '%s\n' "$out" | head -20 | diag
			applied=0
			continue
		fi

		t0=$(date +%s)
		if out=$(nice -n 10 make -C "$tree" O="$BUILD" -j"$JOBS" $objs 2>&1); then
			ok "$name/$pn: builds $(echo $objs) ($(( $(date +%s) - t0 )) s)"
		else
			not_ok "$name/$pn: builds $(echo $objs)"
			printf '%s\n' "$out" | grep -E 'error|warning' | head -20 | diag
		fi
	done
	reset_tree
done

echo "1..$n"
echo "# patches-check: $n checks, $fails failed, $(( $(date +%s) - start )) s"
[ "$fails" = 0 ]

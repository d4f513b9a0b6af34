#!/bin/bash
# make xen-kernel: the Xen lab's guest kernel, Debian's linux-source-6.1
# (see lib.sh) plus every series in patches/, configured as allnoconfig +
# tests/patches/xen-kernel.config (KCONFIG_ALLCONFIG): a small PV domU
# kernel with the frontends built in, booted by the lab without modules.
# (x86_64_defconfig + xen.config took about 15 minutes on a quiet 2-core
# machine and over an hour on the shared one; this config is a fraction.)
#
#   tests/patches/xen-kernel.sh          build unless cached; print the path
#   tests/patches/xen-kernel.sh --path   print the cached bzImage's path, or
#                                        exit 1 when it is not built
#
# Cached by the hash of the series' patches (cover letters excluded), the
# config fragment, this script and the base version: an unchanged series
# never rebuilds.  Output: $KCACHE/xen-kernel/<hash>/{bzImage,config,
# series.txt,build.log}; $KCACHE/xen-kernel/current points at the newest.
# The build directory ($KCACHE/xen-kernel/build) is kept, so a changed series
# rebuilds only what it touches (about 30 s); see patches/README.md for the
# cold build time (make -j$JOBS under nice -n 10, JOBS default 2).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
cd "$ROOT"
. "$HERE/lib.sh"
JOBS=${JOBS:-2}
FRAG=$HERE/xen-kernel.config

# The series as they are now, hashed and applied from this snapshot (the
# files may change while a build runs).
SNAP=$(mktemp -d)
trap 'rm -rf "$SNAP"' EXIT
series=$(kernel_series)
for s in $series; do
	mkdir -p "$SNAP/$s"
	cp $(kernel_series_patches "$s") "$SNAP/$s/"
done
hash=$( {
	echo "$LINUX_SOURCE_VERSION"
	cat "$FRAG" "$HERE/xen-kernel.sh"
	for s in $series; do
		echo "series $s"
		cat "$SNAP/$s"/*.patch
	done
} | sha256sum | cut -c1-16)
OUT=$KCACHE/xen-kernel/$hash

if [ "${1:-}" = "--path" ]; then
	[ -s "$OUT/bzImage" ] || {
		echo "xen-kernel: not built for this series ($OUT): run 'make xen-kernel'" >&2
		exit 1
	}
	echo "$OUT/bzImage"
	exit 0
fi

if [ -s "$OUT/bzImage" ]; then
	echo "xen-kernel: up to date: $OUT/bzImage"
	ln -sfn "$hash" "$KCACHE/xen-kernel/current"
	exit 0
fi

missing=$(kernel_missing_tools)
if [ -n "$missing" ]; then
	echo "xen-kernel: missing build tools: $missing(make kernel-deps)" >&2
	exit 1
fi

start=$(date +%s)
base=$(kernel_tree)
mkdir -p "$KCACHE/xen-kernel"
SRC=$KCACHE/xen-kernel/src
BUILD=$KCACHE/xen-kernel/build
exec 9>"$KCACHE/xen-kernel/.lock"
flock 9

# A worktree of the base repository, reset to the base and patched.
if [ ! -e "$SRC/.git" ]; then
	rm -rf "$SRC"
	git -C "$base" worktree prune
	git -C "$base" worktree add -q --detach "$SRC" base
fi
git -C "$SRC" am --abort >/dev/null 2>&1 || true
git -C "$SRC" checkout -q -f --detach base
git -C "$SRC" clean -q -f -d
for s in $series; do
	echo "xen-kernel: applying $s"
	git -C "$SRC" am -q "$SNAP/$s"/*.patch
done

mkdir -p "$BUILD" "$OUT.tmp"
log=$OUT.tmp/build.log
echo "xen-kernel: configuring (allnoconfig + $(basename "$FRAG"))"
make -C "$SRC" O="$BUILD" KCONFIG_ALLCONFIG="$FRAG" allnoconfig \
	>"$log" 2>&1 || { tail -20 "$log"; exit 1; }
# Every line of the fragment must hold in the final .config.
bad=0
while IFS= read -r line; do
	case "$line" in
	CONFIG_*) grep -qxF "$line" "$BUILD/.config" || {
		echo "xen-kernel: config: '$line' did not hold" >&2; bad=1; } ;;
	"# CONFIG_"*" is not set")
		opt=${line#\# }; opt=${opt%% *}
		! grep -q "^$opt=" "$BUILD/.config" || {
			echo "xen-kernel: config: $opt still set" >&2; bad=1; } ;;
	esac
done <"$FRAG"
[ "$bad" = 0 ] || exit 1

echo "xen-kernel: building bzImage (make -j$JOBS, log $log)"
if ! nice -n 10 make -C "$SRC" O="$BUILD" -j"$JOBS" bzImage >>"$log" 2>&1; then
	grep -E 'error|Error' "$log" | head -20
	exit 1
fi
cp "$BUILD/arch/x86/boot/bzImage" "$OUT.tmp/bzImage"
cp "$BUILD/.config" "$OUT.tmp/config"
{
	echo "base linux-source-6.1 $LINUX_SOURCE_VERSION"
	git -C "$SRC" log --oneline base..HEAD
	echo "kernel $(cat "$BUILD/include/config/kernel.release")"
	echo "built $(date -u +%FT%TZ) in $(( $(date +%s) - start )) s"
} >"$OUT.tmp/series.txt"
rm -rf "$OUT"
mv "$OUT.tmp" "$OUT"
ln -sfn "$hash" "$KCACHE/xen-kernel/current"
cat "$OUT/series.txt"
echo "xen-kernel: built $OUT/bzImage"

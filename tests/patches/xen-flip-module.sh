#!/bin/bash
# make xen-flip-module: the patched xen-netback (patches/, in particular
# xen-netfront-netback-rx-flip's rx_flip parameter) as a module for the
# Xen lab's dom0, which keeps Debian's kernel (6.1.0-57-amd64, the
# lab image's).  Built out of tree against Debian's linux-headers for that
# kernel, so its vermagic and symbol versions match; the lab's entry fl
# (tests/xen/matrix/entry-fl.sh) loads it in dom0 in place of the stock one.
#
#   tests/patches/xen-flip-module.sh         build unless cached; print path
#   tests/patches/xen-flip-module.sh --path  print the cached module's path,
#                                            or exit 1 when it is not built
#
# The sources: drivers/net/xen-netback/ of the base tree (lib.sh's
# kernel_tree, the same as make xen-kernel's) with every series in
# patches/ applied to that directory (git apply --include), i.e. the
# netback of make xen-kernel's tree.  The netback patch uses exported
# interfaces only (HYPERVISOR_grant_table_op, xenmem_reservation_*), so
# the grant-table helpers of 1/3, built into the guest kernel, are not
# needed here.
#
# The headers: linux-headers-$DOM0_KERNEL, its -common and linux-kbuild-6.1
# (apt-get download of $LINUX_SOURCE_VERSION, once, into
# $KCACHE/dom0-headers), unpacked there under root/; the arch package's
# Makefile includes the common one by its absolute /usr/src path, which is
# pointed at the unpacked copy.
#
# Cached by the hash of the series' patches, this script, the base and the
# dom0 kernel: $KCACHE/xen-flip-module/<hash>/{xen-netback.ko (stripped of
# debug info),modinfo.txt,build.log}; a build takes about 10 s.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
cd "$ROOT"
. "$HERE/lib.sh"
DOM0_KERNEL=${DOM0_KERNEL:-6.1.0-57-amd64}
JOBS=${JOBS:-2}
NB=drivers/net/xen-netback

SNAP=$(mktemp -d)
trap 'rm -rf "$SNAP"' EXIT
series=$(kernel_series)
for s in $series; do
	mkdir -p "$SNAP/$s"
	# shellcheck disable=SC2046 # one path per patch, none with spaces
	cp $(kernel_series_patches "$s") "$SNAP/$s/"
done
hash=$( {
	echo "$LINUX_SOURCE_VERSION $DOM0_KERNEL"
	cat "$HERE/xen-flip-module.sh"
	for s in $series; do
		echo "series $s"
		cat "$SNAP/$s"/*.patch
	done
} | sha256sum | cut -c1-16)
OUT=$KCACHE/xen-flip-module/$hash

if [ "${1:-}" = "--path" ]; then
	[ -s "$OUT/xen-netback.ko" ] || {
		echo "xen-flip-module: not built for this series ($OUT): run 'make xen-flip-module'" >&2
		exit 1
	}
	echo "$OUT/xen-netback.ko"
	exit 0
fi
if [ -s "$OUT/xen-netback.ko" ]; then
	echo "xen-flip-module: up to date: $OUT/xen-netback.ko"
	exit 0
fi

for t in gcc make git dpkg-deb apt-get; do
	command -v "$t" >/dev/null 2>&1 || {
		echo "xen-flip-module: missing $t (make kernel-deps)" >&2
		exit 1
	}
done

# Debian's headers for dom0's kernel, unpacked once.
HD=$KCACHE/dom0-headers
HROOT=$HD/root
KDIR=$HROOT/usr/src/linux-headers-$DOM0_KERNEL
mkdir -p "$HD"
exec 9>"$HD/.lock"
flock 9
if [ ! -e "$HD/.duet-ready-$DOM0_KERNEL" ]; then
	common=${DOM0_KERNEL%-*}-common
	for p in "linux-headers-$DOM0_KERNEL" "linux-headers-$common" \
		 linux-kbuild-6.1; do
		ls "$HD/${p}_${LINUX_SOURCE_VERSION}"_*.deb >/dev/null 2>&1 ||
			(cd "$HD" && apt-get download -q \
				"$p=$LINUX_SOURCE_VERSION")
	done
	rm -rf "$HROOT"
	for deb in "$HD"/*_"$LINUX_SOURCE_VERSION"_*.deb; do
		dpkg-deb -x "$deb" "$HROOT"
	done
	# include /usr/src/linux-headers-...-common/Makefile: the unpacked one.
	sed -i "s|^include /usr/src/|include $HROOT/usr/src/|" "$KDIR/Makefile"
	touch "$HD/.duet-ready-$DOM0_KERNEL"
fi
exec 9>&-

# The patched netback sources.
base=$(kernel_tree)
W=$SNAP/src
mkdir -p "$W"
git -C "$base" archive base "$NB" | tar -x -C "$W"
for s in $series; do
	for p in "$SNAP/$s"/*.patch; do
		git -C "$W" apply --include="$NB/*" "$p"
	done
done

mkdir -p "$OUT.tmp"
log=$OUT.tmp/build.log
echo "xen-flip-module: building $NB against linux-headers-$DOM0_KERNEL"
if ! make -C "$KDIR" M="$W/$NB" -j"$JOBS" modules >"$log" 2>&1; then
	grep -E 'error|Error|WARNING' "$log" | head -20
	exit 1
fi
if grep -E '^WARNING|warning:' "$log"; then
	echo "xen-flip-module: the build warned (log $log)" >&2
	exit 1
fi
# Without its debug info (2.4 MB -> a tenth), as Debian ships modules.
strip --strip-debug -o "$OUT.tmp/xen-netback.ko" "$W/$NB/xen-netback.ko"
modinfo "$OUT.tmp/xen-netback.ko" >"$OUT.tmp/modinfo.txt" 2>/dev/null ||
	/sbin/modinfo "$OUT.tmp/xen-netback.ko" >"$OUT.tmp/modinfo.txt"
grep -q "^vermagic: *$DOM0_KERNEL " "$OUT.tmp/modinfo.txt" || {
	echo "xen-flip-module: vermagic is not $DOM0_KERNEL:" >&2
	grep vermagic "$OUT.tmp/modinfo.txt" >&2
	exit 1
}
grep -q '^parm: *rx_flip:' "$OUT.tmp/modinfo.txt" || {
	echo "xen-flip-module: no rx_flip parameter in the module" >&2
	exit 1
}
rm -rf "$OUT"
mv "$OUT.tmp" "$OUT"
grep -E '^(vermagic|parm: *rx_flip)' "$OUT/modinfo.txt"
echo "xen-flip-module: built $OUT/xen-netback.ko"

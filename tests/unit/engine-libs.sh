#!/bin/sh
# blkback's network-disk engines load libnbd and librbd at run time
# (backends/blkback/engine-lib.h): duet, libduet.so and the nbdkit plugin
# have no DT_NEEDED on libnbd, librbd, librados or Ceph's libraries, and
# none of those is in duet's ldd closure (what the Xen lab copies into a
# domU's initramfs, tests/xen/matrix/lib.sh); a duet built with the
# engines names the files it loads (libnbd.so.0, librbd.so.1).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${DUET_BUILD:-$top/build}
duet=$build/bin/duet
net='lib(nbd|rbd|rados|ceph|boost|icu)'
n=0
fail=0
t() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi
}
command -v readelf >/dev/null 2>&1 || {
	echo "1..0 # SKIP readelf missing (binutils)"; exit 77; }
[ -x "$duet" ] || { echo "1..0 # SKIP $duet is not built (make)"; exit 77; }

for f in "$duet" "$build/lib/libduet.so" "$build/lib/nbdkit-duet-plugin.so"; do
	[ -e "$f" ] || continue
	needed=$(readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
	bad=$(printf '%s\n' "$needed" | grep -E "^$net" || true)
	[ -z "$bad" ]
	t $? "${f#"$build"/}: no DT_NEEDED on libnbd, librbd, librados, Ceph ($(echo $needed))"
	[ -n "$bad" ] && echo "$bad" | sed 's/^/#   /'
done
bad=$(ldd "$duet" | grep -E "$net" || true)
[ -z "$bad" ]
t $? "bin/duet: none of them in its ldd closure ($(ldd "$duet" | wc -l) objects)"
[ -n "$bad" ] && echo "$bad" | sed 's/^/#   /'
for so in libnbd.so.0 librbd.so.1 librados.so.2; do
	case $so in
	libnbd*) hdr=/usr/include/libnbd.h ;;
	*) hdr=/usr/include/rbd/librbd.h ;;
	esac
	if [ -e "$hdr" ]; then
		grep -qa "$so" "$duet"
		t $? "bin/duet loads $so at run time (built with $hdr)"
	else
		n=$((n + 1)); echo "ok $n # SKIP no $hdr: engine not built"
	fi
done
echo "1..$n"
exit $fail

#!/bin/sh
# make install gives a usable libduet: headers, static and shared library,
# a pkg-config file pointing at the install prefix, the duet binary; a
# program built with `pkg-config --cflags --libs duet` links and runs
# against the shared library, which exports only the duet_* API (internal
# helpers such as duet_log stay hidden).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${DUET_BUILD:-$top/build}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
fail=0
t() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi
}

make -s -C "$top" B="$build" install PREFIX="$tmp/prefix" > "$tmp/log" 2>&1
rc=$?
t $rc "make install PREFIX=... succeeds"
[ $rc -eq 0 ] || sed 's/^/# /' "$tmp/log"
for f in include/duet/duet.h include/duet/platform.h lib/libduet.a \
	lib/libduet.so lib/pkgconfig/duet.pc bin/duet; do
	test -e "$tmp/prefix/$f"
	t $? "installed $f"
done
grep -q "^prefix=$tmp/prefix\$" "$tmp/prefix/lib/pkgconfig/duet.pc"
t $? "duet.pc names the install prefix"

cat > "$tmp/user.c" <<'C'
#include <duet/duet.h>
#include <stdio.h>
int main(void)
{
	const struct duet_ring_desc *d = duet_ring_desc_get(DUET_RING_BLKIF);
	printf("%d\n", duet_ring_entries(d, 0));
	return 0;
}
C
export PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig"
flags=$(pkg-config --cflags --libs duet 2>&1)
t $? "pkg-config knows duet ($flags)"
cc -o "$tmp/user" "$tmp/user.c" $flags 2> "$tmp/err"
rc=$?
t $rc "a program builds with pkg-config's flags"
[ $rc -eq 0 ] || sed 's/^/# /' "$tmp/err"
out=$(LD_LIBRARY_PATH="$tmp/prefix/lib" "$tmp/user" 2>&1)
[ "$out" = "32" ]
t $? "and runs against the installed library (blkif ring: $out entries)"
LD_LIBRARY_PATH="$tmp/prefix/lib" ldd "$tmp/user" | grep -q "$tmp/prefix/lib/libduet.so"
t $? "it uses the installed shared library"

syms=$(nm -D --defined-only "$tmp/prefix/lib/libduet.so" | awk '{print $3}' | sed 's/@.*//')
bad=$(echo "$syms" | grep -v '^duet_' | grep -v '^DUET_' | grep -v '^$' || true)
[ -z "$bad" ]
t $? "the shared library exports only duet_* symbols"
[ -n "$bad" ] && echo "$bad" | sed 's/^/#   /'
echo "$syms" | grep -qx 'duet_ratelimit_ok'
[ $? -ne 0 ]
t $? "internal duet_ratelimit_ok is hidden"
echo "$syms" | grep -qx 'duet_log'
t $? "public duet_log is exported"
echo "$syms" | grep -qx 'duet_ring_attach'
t $? "duet_ring_attach is exported"
"$tmp/prefix/bin/duet" --help | grep -q '^  sim '
t $? "installed duet --help lists its subcommands"
echo "1..$n"
exit $fail

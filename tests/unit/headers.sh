#!/bin/sh
# Each public header compiles on its own (C11 and C++), and none of them
# pulls in libxen*, libxenstore or simulator headers.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cc=${CC:-cc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
fail=0
for h in "$top"/include/duet/*.h; do
	name=${h#"$top"/include/}
	printf '#include "%s"\n' "$name" > "$tmp/t.c"
	n=$((n + 1))
	if "$cc" -std=c11 -Wall -Wextra -Werror -pedantic -I"$top/include" \
		-fsyntax-only "$tmp/t.c" 2> "$tmp/err"; then
		echo "ok $n - $name compiles alone"
	else
		echo "not ok $n - $name compiles alone"
		sed 's/^/# /' "$tmp/err"
		fail=1
	fi
	n=$((n + 1))
	if grep -Eq '#include *[<"](xen|xs_|xenstore|xenctrl|xengnttab|xenevtchn|xentoolcore|sim/)' "$h"; then
		echo "not ok $n - $name includes no Xen library or sim header"
		fail=1
	else
		echo "ok $n - $name includes no Xen library or sim header"
	fi
done
missing=""
for h in "$top"/include/duet/*.h; do
	name=${h#"$top"/include/}
	[ "$name" = duet/duet.h ] && continue
	grep -q "^#include \"$name\"" "$top/include/duet/duet.h" ||
		missing="$missing $name"
done
n=$((n + 1))
if [ -z "$missing" ]; then
	echo "ok $n - duet/duet.h includes every public header"
else
	echo "not ok $n - duet/duet.h includes every public header"
	echo "# add to include/duet/duet.h:$missing"
	fail=1
fi
if command -v g++ > /dev/null; then
	printf '#include "duet/duet.h"\nint main() { return 0; }\n' > "$tmp/t.cc"
	n=$((n + 1))
	if g++ -Wall -Werror -I"$top/include" -fsyntax-only "$tmp/t.cc" \
		2> "$tmp/err"; then
		echo "ok $n - duet/duet.h compiles as C++"
	else
		echo "not ok $n - duet/duet.h compiles as C++"
		sed 's/^/# /' "$tmp/err"
		fail=1
	fi
fi
echo "1..$n"
exit $fail

#!/bin/sh
# libduet.so exports exactly what include/duet/*.h declares: every
# exported symbol is declared in a public header, and every function or
# object declared there is exported.  libduet.map lists the symbols one by
# one, so a new public function needs its declaration and a map line.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
so=${DUET_BUILD:-$top/build}/lib/libduet.so
cc=${CC:-cc}
if [ ! -f "$so" ]; then
	echo "1..0 # SKIP $so is not built (make)"
	exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The headers without comments and preprocessor lines.  A function is
# "duet_<name>(", an object the last name of an "extern" declaration.
for h in "$top"/include/duet/*.h; do
	"$cc" -fpreprocessed -dD -E -P "$h" | grep -v '^[[:space:]]*#' |
		sed "s|^|${h#"$top"/}: |"
done > "$tmp/hdr"
{
	grep -oE '\bduet_[a-z0-9_]+[[:space:]]*\(' "$tmp/hdr" |
		sed 's/[[:space:](]//g'
	sed 's/^[^:]*: //' "$tmp/hdr" | tr '\n' ' ' | tr ';' '\n' |
		sed 's/.*[{}]//' | grep -E '^[[:space:]]*extern[[:space:]]' |
		grep -v '(' | sed 's/\[[^]]*\]//g' |
		grep -oE '\bduet_[a-z0-9_]+[[:space:]]*$' | tr -d ' \t'
} | sort -u > "$tmp/declared"
nm -D --defined-only "$so" | awk '$2 ~ /^[TDRBVWGS]$/ { print $3 }' |
	sed 's/@.*//' | sort -u > "$tmp/exported"
grep -oE '\bduet_[a-z0-9_]+;' "$top/libduet.map" | tr -d ';' |
	sort -u > "$tmp/mapped"

# Where a name is declared, for the messages.
where() {
	grep -E "\b$1\b" "$tmp/hdr" | head -1 | cut -d: -f1
}

n=0
fail=0
n=$((n + 1))
extra=$(comm -23 "$tmp/exported" "$tmp/declared")
if [ -z "$extra" ]; then
	echo "ok $n - every symbol libduet.so exports is declared in include/duet/"
else
	echo "not ok $n - every symbol libduet.so exports is declared in include/duet/"
	for s in $extra; do
		echo "# $s is exported but no include/duet/*.h declares it:" \
			"declare it in a public header, or remove \"$s;\"" \
			"from libduet.map"
	done
	fail=1
fi
n=$((n + 1))
missing=$(comm -13 "$tmp/exported" "$tmp/declared")
if [ -z "$missing" ]; then
	echo "ok $n - every function and object declared in include/duet/ is exported"
else
	echo "not ok $n - every function and object declared in include/duet/ is exported"
	for s in $missing; do
		if grep -qx "$s" "$tmp/mapped"; then
			echo "# $s is declared in $(where "$s") and listed in" \
				"libduet.map but the library does not define it"
		else
			echo "# $s is declared in $(where "$s") but not exported:" \
				"add \"$s;\" to the global: list of libduet.map"
		fi
	done
	fail=1
fi
n=$((n + 1))
stale=$(comm -23 "$tmp/mapped" "$tmp/declared")
if [ -z "$stale" ]; then
	echo "ok $n - libduet.map lists only symbols of include/duet/"
else
	echo "not ok $n - libduet.map lists only symbols of include/duet/"
	for s in $stale; do
		echo "# libduet.map lists $s, which no include/duet/*.h" \
			"declares: remove \"$s;\" or declare it"
	done
	fail=1
fi
echo "1..$n"
exit $fail

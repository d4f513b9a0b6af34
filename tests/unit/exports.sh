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
# result NAME DIAGNOSTICS: one TAP line; DIAGNOSTICS (one a line) fail it.
result() {
	n=$((n + 1))
	if [ -z "$2" ]; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1"
		printf '%s\n' "$2" | sed 's/^/# /'
		fail=1
	fi
}

msgs=$(for s in $(comm -23 "$tmp/exported" "$tmp/declared"); do
	echo "$s is exported but no include/duet/*.h declares it:" \
		"declare it in a public header, or remove \"$s;\"" \
		"from libduet.map"
done)
result "every symbol libduet.so exports is declared in include/duet/" "$msgs"

msgs=$(for s in $(comm -13 "$tmp/exported" "$tmp/declared"); do
	if grep -qx "$s" "$tmp/mapped"; then
		echo "$s is declared in $(where "$s") and listed in" \
			"libduet.map but the library does not define it"
	else
		echo "$s is declared in $(where "$s") but not exported:" \
			"add \"$s;\" to the global: list of libduet.map"
	fi
done)
result "every function and object declared in include/duet/ is exported" \
	"$msgs"

msgs=$(for s in $(comm -23 "$tmp/mapped" "$tmp/declared"); do
	echo "libduet.map lists $s, which no include/duet/*.h declares:" \
		"remove \"$s;\" or declare it"
done)
result "libduet.map lists only symbols of include/duet/" "$msgs"
echo "1..$n"
exit $fail

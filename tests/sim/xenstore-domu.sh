#!/bin/sh
# The stock xenstore-* tools as a domU (connected through dom1's socket):
# its home directory, relative paths, and the permission denials Xen's
# xenstore gives an unprivileged domain.
set -u
build=${DUET_BUILD:-build}
helper=$build/tests/helpers/xsd-standalone
for t in xenstore-write xenstore-read xenstore-ls xenstore-rm xenstore-chmod; do
	command -v $t >/dev/null 2>&1 || { echo "1..0 # SKIP $t missing (xenstore-utils)"; exit 77; }
done
[ -x "$helper" ] || { echo "1..0 # SKIP $helper not built"; exit 77; }

dir=$(mktemp -d /tmp/duet-xs-domu.XXXXXX)
"$helper" "$dir" 2>"$dir/err" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
i=0
while [ ! -e "$dir/ready" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
[ -e "$dir/ready" ] || { echo "Bail out! server did not start: $(cat "$dir/err")"; exit 1; }
d0() { XENSTORED_PATH="$dir/xs-0.sock" "$@"; }
d1() { XENSTORED_PATH="$dir/xs-1.sock" "$@"; }

n=0
fail=0
check() {
	n=$((n + 1))
	if [ "$2" -eq 0 ]; then echo "ok $n - $1"; else echo "not ok $n - $1"; fail=1; fi
}
is() {
	n=$((n + 1))
	if [ "$2" = "$3" ]; then echo "ok $n - $1"; else
		echo "not ok $n - $1"; echo "#   got '$2', want '$3'"; fail=1; fi
}
denied() { # name, command...: must fail with "Permission denied" or a
	   # tool error, and leave the server up
	name=$1; shift
	out=$("$@" 2>&1)
	rc=$?
	n=$((n + 1))
	if [ $rc -ne 0 ]; then echo "ok $n - $name"; else
		echo "not ok $n - $name"; echo "#   succeeded: $out"; fail=1; fi
}

d1 xenstore-write data/x 1
check "a domU writes below its home with a relative path" $?
is "dom0 sees it under /local/domain/1" "$(d0 xenstore-read /local/domain/1/data/x)" 1
is "the domU owns it" "$(d0 xenstore-ls -p /local/domain/1/data | sed 's/.*(//')" 'n1)'
d0 xenstore-write /tool/secret s3cr3t
denied "a domU cannot read a dom0 node" d1 xenstore-read /tool/secret
denied "a domU cannot write a dom0 node" d1 xenstore-write /tool/secret x
denied "a domU cannot create at the root" d1 xenstore-write /mine x
denied "a domU cannot remove a dom0 node" d1 xenstore-rm /tool/secret
denied "a domU cannot chmod a dom0 node" d1 xenstore-chmod /tool/secret b1
denied "a domU cannot list /tool" d1 xenstore-ls /tool
denied "a domU cannot write another domain's home" d1 xenstore-write /local/domain/0/x y
d0 xenstore-chmod /tool/secret n0 r1
is "a node that grants r is readable" "$(d1 xenstore-read /tool/secret)" s3cr3t
denied "but still not writable" d1 xenstore-write /tool/secret x
d0 xenstore-chmod /tool/secret n0 b1
d1 xenstore-write /tool/secret changed
check "a node that grants b is writable" $?
denied "a domU may not give its node away" d1 xenstore-chmod data/x n0
is "dom0 reads everything" "$(d0 xenstore-read /tool/secret)" changed
is "the server is still running" "$(kill -0 $pid 2>/dev/null && echo yes)" yes

echo "1..$n"
exit $fail

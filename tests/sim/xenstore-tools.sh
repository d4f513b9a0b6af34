#!/bin/sh
# The stock xenstore-* tools (xenstore-utils) against the simulator's
# xenstore server, as dom0: write, read, ls, list, rm, chmod, exists.
# Runs the server through tests/helpers/xsd-standalone.
set -u
build=${DUET_BUILD:-build}
helper=$build/tests/helpers/xsd-standalone
for t in xenstore-write xenstore-read xenstore-ls xenstore-list xenstore-rm \
	xenstore-chmod xenstore-exists; do
	command -v $t >/dev/null 2>&1 || { echo "1..0 # SKIP $t missing (xenstore-utils)"; exit 77; }
done
[ -x "$helper" ] || { echo "1..0 # SKIP $helper not built"; exit 77; }

dir=$(mktemp -d /tmp/duet-xs-tools.XXXXXX)
"$helper" "$dir" 2>"$dir/err" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
i=0
while [ ! -e "$dir/ready" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
[ -e "$dir/ready" ] || { echo "Bail out! server did not start: $(cat "$dir/err")"; exit 1; }
export XENSTORED_PATH="$dir/xs-0.sock"

n=0
fail=0
check() { # name, then the command's success
	n=$((n + 1))
	if [ "$2" -eq 0 ]; then echo "ok $n - $1"; else echo "not ok $n - $1"; fail=1; fi
}
is() { # name got want
	n=$((n + 1))
	if [ "$2" = "$3" ]; then echo "ok $n - $1"; else
		echo "not ok $n - $1"; echo "#   got '$2', want '$3'"; fail=1; fi
}

xenstore-write /vm/a/name duet /vm/a/id 7
check "xenstore-write writes two nodes, creating parents" $?
is "xenstore-read reads a value back" "$(xenstore-read /vm/a/name)" duet
is "xenstore-read reads several paths" "$(xenstore-read /vm/a/name /vm/a/id | tr '\n' ' ')" "duet 7 "
is "xenstore-list lists the children in creation order" "$(xenstore-list /vm/a | tr '\n' ' ')" "name id "
is "xenstore-ls shows the subtree" "$(xenstore-ls /vm | tr '\n' '|')" 'a = ""| name = "duet"| id = "7"|'
xenstore-write /vm/a/empty ""
is "an empty value reads back empty" "$(xenstore-read /vm/a/empty)" ""
xenstore-exists /vm/a/id
check "xenstore-exists finds a node" $?
xenstore-exists /vm/a/nope 2>/dev/null
check "xenstore-exists fails for a missing node" $((! $?))
xenstore-read /vm/nope 2>/dev/null
check "xenstore-read of a missing node fails" $((! $?))
xenstore-chmod /vm/a n0 r1
check "xenstore-chmod sets permissions" $?
is "xenstore-ls -p shows them" "$(xenstore-ls -p /vm | head -n 1 | sed 's/.*(//')" 'n0,r1)'
is "xenstore-ls -p on the node" "$(xenstore-ls -p /vm/a | head -n 1 | sed 's/.*(//')" 'n0)'
xenstore-chmod -r /vm b2
is "xenstore-chmod -r applies to the children" "$(xenstore-ls -p /vm/a | head -n 1 | sed 's/.*(//')" 'b2)'
xenstore-rm /vm/a/id
check "xenstore-rm removes a node" $?
is "the node is gone" "$(xenstore-list /vm/a | tr '\n' ' ')" "name empty "
xenstore-rm /vm
check "xenstore-rm removes a subtree" $?
xenstore-read /vm/a/name 2>/dev/null
check "nothing below it is left" $((! $?))
xenstore-rm /vm/never/was 2>/dev/null
check "xenstore-rm of a node whose parent is missing fails (ENOENT)" $((! $?))
xenstore-write /big "$(head -c 4000 /dev/zero | tr '\0' x)"
check "dom0 writes a 4000-byte value" $?
is "and reads it back" "$(xenstore-read /big | wc -c)" 4001
is "the server is still running" "$(kill -0 $pid 2>/dev/null && echo yes)" yes

echo "1..$n"
exit $fail

#!/bin/sh
# The stock xenstore-* tools (xenstore-utils) against the simulator's
# xenstore, as dom0: write, read, ls, list, rm, chmod, exists; under each
# flavour (duet sim start --xenstored), where only the size limit on a
# value differs.
set -u
. "$(dirname "$0")/lib/xs-lib.sh"
xs_need xenstore-write xenstore-read xenstore-ls xenstore-list xenstore-rm \
	xenstore-chmod xenstore-exists

for f in $XS_FLAVOURS; do
	xs_start "$f"
	export XENSTORED_PATH="$XS0"
	xenstore-write /vm/a/name duet /vm/a/id 7
	ok $? "$f: xenstore-write writes two nodes, creating parents"
	is "$(xenstore-read /vm/a/name)" duet \
		"$f: xenstore-read reads a value back"
	is "$(xenstore-read /vm/a/name /vm/a/id | tr '\n' ' ')" "duet 7 " \
		"$f: xenstore-read reads several paths"
	is "$(xenstore-list /vm/a | tr '\n' ' ')" "name id " \
		"$f: xenstore-list lists the children in creation order"
	is "$(xenstore-ls /vm | tr '\n' '|')" 'a = ""| name = "duet"| id = "7"|' \
		"$f: xenstore-ls shows the subtree"
	xenstore-write /vm/a/empty ""
	is "$(xenstore-read /vm/a/empty)" "" \
		"$f: an empty value reads back empty"
	xenstore-exists /vm/a/id
	ok $? "$f: xenstore-exists finds a node"
	xenstore-exists /vm/a/nope 2>/dev/null
	ok $((! $?)) "$f: xenstore-exists fails for a missing node"
	xenstore-read /vm/nope 2>/dev/null
	ok $((! $?)) "$f: xenstore-read of a missing node fails"
	xenstore-chmod /vm/a n0 r"$DOMU"
	ok $? "$f: xenstore-chmod sets permissions"
	is "$(xenstore-ls -p /vm | head -n 1 | sed 's/.*(//')" "n0,r$DOMU)" \
		"$f: xenstore-ls -p shows them"
	is "$(xenstore-ls -p /vm/a | head -n 1 | sed 's/.*(//')" 'n0)' \
		"$f: xenstore-ls -p on the node"
	xenstore-chmod -r /vm b"$DOMU"
	is "$(xenstore-ls -p /vm/a | head -n 1 | sed 's/.*(//')" "b$DOMU)" \
		"$f: xenstore-chmod -r applies to the children"
	xenstore-rm /vm/a/id
	ok $? "$f: xenstore-rm removes a node"
	is "$(xenstore-list /vm/a | tr '\n' ' ')" "name empty " \
		"$f: the node is gone"
	xenstore-rm /vm
	ok $? "$f: xenstore-rm removes a subtree"
	xenstore-read /vm/a/name 2>/dev/null
	ok $((! $?)) "$f: nothing below it is left"
	xenstore-rm /vm/never/was 2>/dev/null
	ok $((! $?)) "$f: xenstore-rm of a node whose parent is missing fails (ENOENT)"
	x2048=$(head -c 2048 /dev/zero | tr '\0' x)
	xenstore-write /big "$x2048"
	ok $? "$f: dom0 writes a 2048-byte value"
	is "$(xenstore-read /big | wc -c)" 2049 "$f: and reads it back"
	xenstore-write /big "$(head -c 4000 /dev/zero | tr '\0' x)" 2>/dev/null
	rc=$?
	if [ "$f" = oxenstored ]; then
		ok $((rc == 0)) "$f: a 4000-byte value is refused, dom0's too"
		is "$(xenstore-read /big | wc -c)" 2049 "$f: the old value stays"
	else
		ok $rc "$f: dom0 writes a 4000-byte value (exempt from the quota)"
		is "$(xenstore-read /big | wc -c)" 4001 "$f: and reads it back"
	fi
	d0 xenstore-read /local/domain/0/name >/dev/null
	ok $? "$f: the simulator is still running"
done
"$DUET" sim stop --dir "$D" >/dev/null 2>&1
"$DUET" sim start --dir "$D" --xenstored cxenstored >/dev/null 2>&1
is $? 2 "duet sim start --xenstored with an unknown daemon is a usage error"
done_testing

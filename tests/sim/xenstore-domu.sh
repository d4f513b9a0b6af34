#!/bin/sh
# The stock xenstore-* tools as a domU (through its own xenstore socket):
# its home directory, relative paths, and the permission denials Xen's
# xenstore gives an unprivileged domain; under each flavour (duet sim
# start --xenstored).
set -u
. "$(dirname "$0")/lib/xs-lib.sh"
xs_need xenstore-write xenstore-read xenstore-ls xenstore-rm xenstore-chmod

for f in $XS_FLAVOURS; do
	xs_start "$f"
	d1 xenstore-write data/x 1
	ok $? "$f: a domU writes below its home with a relative path"
	is "$(d0 xenstore-read /local/domain/$DOMU/data/x)" 1 \
		"$f: dom0 sees it under /local/domain/$DOMU"
	is "$(d0 xenstore-ls -p /local/domain/$DOMU/data | sed 's/.*(//')" \
		"n$DOMU)" "$f: the domU owns it (it owns its home)"
	d0 xenstore-write /tool/secret s3cr3t
	denied "$f: a domU cannot read a dom0 node" \
		d1 xenstore-read /tool/secret
	denied "$f: a domU cannot write a dom0 node" \
		d1 xenstore-write /tool/secret x
	denied "$f: a domU cannot create at the root" d1 xenstore-write /mine x
	denied "$f: a domU cannot remove a dom0 node" \
		d1 xenstore-rm /tool/secret
	denied "$f: a domU cannot chmod a dom0 node" \
		d1 xenstore-chmod /tool/secret b"$DOMU"
	denied "$f: a domU cannot list /tool" d1 xenstore-ls /tool
	denied "$f: a domU cannot write another domain's home" \
		d1 xenstore-write /local/domain/0/x y
	d0 xenstore-chmod /tool/secret n0 r"$DOMU"
	is "$(d1 xenstore-read /tool/secret)" s3cr3t \
		"$f: a node that grants r is readable"
	denied "$f: but still not writable" d1 xenstore-write /tool/secret x
	d0 xenstore-chmod /tool/secret n0 b"$DOMU"
	d1 xenstore-write /tool/secret changed
	ok $? "$f: a node that grants b is writable"
	denied "$f: a domU may not give its node away" \
		d1 xenstore-chmod data/x n0
	is "$(d0 xenstore-read /tool/secret)" changed \
		"$f: dom0 reads everything"
done
done_testing

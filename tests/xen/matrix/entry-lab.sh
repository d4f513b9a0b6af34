#!/bin/bash
# Matrix entry "lab": the lab itself is sound.  Xen 4.17 runs a PV dom0
# with the control-domain capability, the daemons and /dev/xen nodes are
# there, xl and xenstore answer, and raw libxen userspace grants and event
# channels work (gnttest, linked against libxen only: if entry b fails and
# this passes, the fault is in libduet), and duet's host-built binary runs.
set -eu
. /lab/lib.sh

check control_d grep -q control_d /proc/xen/capabilities
for d in evtchn gntdev gntalloc privcmd xenbus xenbus_backend; do
	check "/dev/xen/$d" test -c /dev/xen/$d
done
check "xenstored running" pgrep -f xenstored
check "xenconsoled running" pgrep -x xenconsoled
section "xl info"
xl info > /tmp/xl-info.txt
cat /tmp/xl-info.txt
check "xl info: Xen 4.17" grep -Eq '^xen_(major|version).*4(\.17|$)' /tmp/xl-info.txt
check "xl list shows Domain-0" sh -c 'xl list | grep -q "^Domain-0 "'
check "xenstore-read /local/domain/0/name" \
	sh -c '[ "$(xenstore-read /local/domain/0/name)" = Domain-0 ]'
section "raw libxen grants and event channels"
check "gnttest (gntalloc, gntdev, grant copy, evtchn loopback)" \
	$LAB/bin/gnttest
check "bridge xenbr0 up" ip link show xenbr0
if [ -x $LAB/duet/duet ]; then
	check "host-built duet runs in dom0" sh -c "$LAB/duet/duet --help > /dev/null"
else
	echo "no duet binary in the payload (make xen-check builds it)"
	FAILS=$((FAILS + 1))
fi
finish

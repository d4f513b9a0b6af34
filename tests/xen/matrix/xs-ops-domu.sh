#!/bin/sh
# xs-ops-domu.sh - matrix entry h, unprivileged half: xenstore permissions
# as a domU sees them, as a canonical transcript on stdout.
#
#   XS_PROBE_DOMU=<domid> xs-ops-domu.sh setup|domu|check|after XS_PROBE
#
# In this order: setup (dom0), domu (the domU <domid>), check (dom0, the
# domU still alive), after (dom0, once the domU is destroyed: xenstored
# drops a dead domain's permissions); the four outputs concatenated are
# the transcript.  Only XS_PROBE
# (tests/xen/guest/xs-probe.c) is used, so the domu phase runs under
# busybox sh in the lab's domU initramfs; XS_PROBE writes the domU's id
# as "DOMU", so the lab (any domid) and the simulator give the same text.
set -eu

usage="usage: xs-ops-domu.sh setup|domu|check|after XS_PROBE"
PHASE=${1:?$usage}
PROBE=${2:?$usage}
[ -n "${XS_PROBE_DOMU:-}" ] || { echo "xs-ops-domu: XS_PROBE_DOMU unset" >&2; exit 2; }
[ -x "$PROBE" ] || { echo "xs-ops-domu: $PROBE is not executable" >&2; exit 2; }
B=/duet-lab-h-domu

probe() {
	rc=0
	out=$("$PROBE" "$@" 2>&1) || rc=$?
	echo "\$ xs-probe $*"
	[ -z "$out" ] || printf '%s\n' "$out" | sed 's/^/  /'
	echo "  [rc=$rc]"
}

case "$PHASE" in
setup)
	"$PROBE" rm $B > /dev/null 2>&1 || true
	echo "# h-domu 1. dom0 sets up nodes with permissions for DOMU"
	probe write $B/secret s3cr3t
	probe write $B/readable r
	probe setperms $B/readable n0 rDOMU
	probe write $B/writable w
	probe setperms $B/writable n0 wDOMU
	probe write $B/both b
	probe setperms $B/both n0 bDOMU
	probe write $B/owned o
	probe setperms $B/owned nDOMU
	probe mkdir $B/dir
	probe setperms $B/dir n0 bDOMU
	probe getperms $B
	probe getperms $B/owned
	;;
domu)
	echo "# h-domu 2. the domU"
	probe domain-path DOMU
	probe read $B/secret
	probe write $B/secret x
	probe rm $B/secret
	probe getperms $B/secret
	probe setperms $B/secret nDOMU
	probe read $B/readable
	probe getperms $B/readable
	probe write $B/readable x
	probe read $B/writable
	probe write $B/writable changed
	probe read $B/both
	probe write $B/both changed
	probe read $B/owned
	probe getperms $B/owned
	probe setperms $B/owned nDOMU r0
	probe getperms $B/owned
	probe dir $B
	probe write $B/new x
	probe write /duet-lab-h-domu-top x
	probe dir $B/dir
	probe write $B/dir/child c
	probe getperms $B/dir/child
	probe mkdir $B/dir/sub
	probe getperms $B/dir/sub
	probe write data/h-rel 1
	probe read data/h-rel
	probe read /local/domain/DOMU/data/h-rel
	probe read /local/domain/0/h-no-such-node
	probe txn $B/dir
	probe watch $B/dir
	echo "# h-domu end of domU phase"
	;;
check)
	echo "# h-domu 3. dom0 looks at what the domU did"
	probe read $B/secret
	probe read $B/writable
	probe read $B/both
	probe getperms $B/owned
	probe read $B/dir/child
	probe getperms $B/dir/child
	probe dir $B/dir
	probe read /local/domain/DOMU/data/h-rel
	;;
after)
	echo "# h-domu 4. dom0, after the domU was destroyed"
	probe getperms $B/readable
	probe getperms $B/owned
	probe read $B/owned
	probe getperms $B/dir
	probe getperms $B/dir/child
	probe getperms $B/dir/sub
	probe dir $B/dir
	probe rm $B
	echo "# h-domu end of transcript"
	;;
*)
	echo "xs-ops-domu: unknown phase '$PHASE'" >&2
	exit 2
	;;
esac

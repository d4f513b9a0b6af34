#!/bin/bash
# Matrix entry m: the DMA layer's platform hook on real Xen, in dom0 as
# root: libduet translates pages of a buffer to machine frames through
# pagemap and dom0's own P2M, each checked against Xen's M2P; bad
# addresses fail cleanly; a 2-page buffer's contiguity is reported;
# machine-contiguous memory is -EOPNOTSUPP from userspace.
set -eu
. /lab/lib.sh

section "p2m-dom0"
rc=0
DUET_PLATFORM=xen $LAB/bin/p2m-dom0 || rc=$?
check "p2m-dom0 (exit $rc)" test $rc -eq 0
finish

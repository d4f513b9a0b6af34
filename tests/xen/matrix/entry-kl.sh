#!/bin/bash
# Matrix entry kl: entry k (entry-k.sh) with Linux's own backends in the
# driver domain.  lab-kldd runs the driver domain's (stock Debian) kernel
# with xen-blkback and xen-netback serving the guest's disk (its xvdb) and
# vif (its bridge xenbr0); domu-init's entry_kldd does what xl devd does
# there (physical-device for a vbd, the vif into the bridge, then
# hotplug-status=connected).  The same stock-vs-patched restart, checks
# and timeout path as entry k; "# kl <kernel>: ..." lines.
# shellcheck disable=SC2034 # K_BACKEND: read by entry-k.sh
K_BACKEND=linux
# shellcheck source=tests/xen/matrix/entry-k.sh
. /lab/entry-k.sh

#!/bin/sh
# Host packages the Xen lab needs (make xen-image / xen-check), installed
# when missing.  Nothing Xen-related is installed on the host: the hypervisor
# package is only downloaded and unpacked by build-images.sh.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
DEPS_TAG=lab-deps exec "$here/../../tools/deps.sh" \
	qemu-system-x86 qemu-utils mmdebstrap busybox-static cpio e2fsprogs \
	kmod file coreutils

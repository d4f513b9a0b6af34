#!/bin/sh
# Host packages the Xen lab needs (make xen-image / xen-check), installed
# when missing.  Nothing Xen-related is installed on the host: the hypervisor
# package is only downloaded and unpacked by build-images.sh.
set -eu

PKGS="qemu-system-x86 qemu-utils mmdebstrap busybox-static cpio e2fsprogs \
kmod file coreutils"

missing=""
for p in $PKGS; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in
	*"install ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done

if [ -z "$missing" ]; then
	echo "lab-deps: all host packages present"
	exit 0
fi

cmd="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" -ne 0 ]; then
	echo "lab-deps: missing:$missing" >&2
	echo "lab-deps: run as root: apt-get update && $cmd" >&2
	exit 1
fi
echo "lab-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
$cmd

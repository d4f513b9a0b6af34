#!/bin/sh
# Install Debian packages when missing: duet's own build and test
# packages, or the ones named on the command line (tests/xen/deps.sh passes
# the lab's).  As root this runs apt-get; otherwise it prints the exact
# command and fails.  DEPS_TAG names the caller in messages.
set -eu

PKGS="build-essential pkg-config perl libxen-dev xenstore-utils liburing-dev \
clang libclang-rt-14-dev iproute2 procps \
nbdkit nbdkit-plugin-dev libnbd-bin libnbd-dev librbd-dev librados-dev \
ceph-mon ceph-mgr ceph-osd ceph-common nbdfuse fuse3 qemu-utils fio \
iperf3 iputils-ping gnuplot-nox"
[ "$#" -gt 0 ] && PKGS="$*"
tag=${DEPS_TAG:-deps}

missing=""
for p in $PKGS; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in
	*"install ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done

if [ -z "$missing" ]; then
	echo "$tag: all packages present"
	exit 0
fi

cmd="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" -ne 0 ]; then
	echo "$tag: missing:$missing" >&2
	echo "$tag: run as root: apt-get update && $cmd" >&2
	exit 1
fi
echo "$tag: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
$cmd

#!/bin/sh
# Install the Debian packages duet needs to build and test, when missing.
# As root this runs apt-get; otherwise it prints the exact command and fails.
# Later components add their packages to PKGS (one place, one list).
set -eu

PKGS="build-essential pkg-config perl libxen-dev xenstore-utils liburing-dev \
clang libclang-rt-14-dev iproute2 procps"

missing=""
for p in $PKGS; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in
	*"install ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done

if [ -z "$missing" ]; then
	echo "deps: all packages present"
	exit 0
fi

cmd="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing:$missing" >&2
	echo "deps: run as root: apt-get update && $cmd" >&2
	exit 1
fi
echo "deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
$cmd

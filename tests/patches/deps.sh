#!/bin/sh
# Host packages to build Linux (make patches-check, make xen-kernel),
# installed when missing.  The kernel source itself is fetched by
# tests/patches/lib.sh with apt-get download, never installed.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
DEPS_TAG=kernel-deps exec "$here/../../tools/deps.sh" \
	build-essential flex bison bc libelf-dev libssl-dev dwarves cpio kmod \
	xz-utils git perl

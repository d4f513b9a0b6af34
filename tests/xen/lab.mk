# The Xen lab (tests/xen/), included by the top Makefile.
#
#   make xen-deps    host packages for the lab (qemu, mmdebstrap, ...)
#   make xen-image   build the images into $(DUET_LAB_CACHE) when their
#                    inputs changed (tests/xen/build-images.sh, image/*)
#   make xen-check   boot the lab, run the interop matrix, print TAP
#   make xen-bench   the lab's driver comparisons
#
# Variables from the top Makefile: B, CC, ALL_CFLAGS, LDLIBS_ALL, LIBA.

DUET_LAB_CACHE ?= $(HOME)/.cache/duet-lab
export DUET_LAB_CACHE

.PHONY: xen-deps

xen-deps:
	@tests/xen/deps.sh

xen-image: xen-deps
	@tests/xen/build-images.sh

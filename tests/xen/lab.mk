# The Xen lab (tests/xen/), included by the top Makefile.
#
#   make xen-deps    host packages for the lab (qemu, mmdebstrap, ...)
#   make xen-image   build the images into $(DUET_LAB_CACHE), only when
#                    their inputs changed (build-images.sh, image/*)
#   make xen-check   boot the lab, run the interop matrix, print TAP
#   make xen-bench   the lab's driver comparisons
#
# Variables from the top Makefile: B, CC, ALL_CFLAGS, LDLIBS_ALL, LIBA.
# The lab's test programs are built on the host into $(B)/xen-lab/bin and
# copied into the lab at test time (host and dom0 are both Debian 12).

DUET_LAB_CACHE ?= $(HOME)/.cache/duet-lab
export DUET_LAB_CACHE

XEN_LAB_BIN := $(B)/xen-lab/bin
XEN_LAB_CFLAGS := $(ALL_CFLAGS) -Itests -Itests/xen/guest

# Entry b needs libduet's xen platform.
XEN_LAB_PLATFORM := $(wildcard include/duet/platform.h gnttab/platform-xen.c)
XEN_LAB_BINS := $(XEN_LAB_BIN)/gnttest $(XEN_LAB_BIN)/xs-probe \
		$(XEN_LAB_BIN)/ethstats
ifeq ($(words $(XEN_LAB_PLATFORM)),2)
XEN_LAB_BINS += $(XEN_LAB_BIN)/b-dom0 $(XEN_LAB_BIN)/b-domu \
		$(XEN_LAB_BIN)/p2m-dom0
endif

.PHONY: xen-deps xen-lab-bins

xen-deps:
	@tests/xen/deps.sh

xen-image: xen-deps
	@tests/xen/build-images.sh

xen-lab-bins: $(XEN_LAB_BINS)

$(XEN_LAB_BIN)/gnttest: tests/xen/guest/gnttest.c
	@mkdir -p $(dir $@)
	$(CC) $(XEN_LAB_CFLAGS) -o $@ $< -lxengnttab -lxenevtchn

$(XEN_LAB_BIN)/xs-probe: tests/xen/guest/xs-probe.c
	@mkdir -p $(dir $@)
	$(CC) $(XEN_LAB_CFLAGS) -o $@ $< -lxenstore

# ethtool -S for dom0 and the domUs (entry fl): neither has ethtool.
$(XEN_LAB_BIN)/ethstats: tests/xen/guest/ethstats.c
	@mkdir -p $(dir $@)
	$(CC) $(XEN_LAB_CFLAGS) -o $@ $<

$(XEN_LAB_BIN)/b-%: tests/xen/guest/b-%.c tests/xen/guest/lab-wait.h \
		tests/tap.h $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(XEN_LAB_CFLAGS) -o $@ $< $(LIBA) $(LDLIBS_ALL)

# Entry m checks libduet's translation against libxenguest's M2P mapping
# (dom0 has libxenctrl and libxenguest; libduet itself loads libxenctrl
# only when it translates).
$(XEN_LAB_BIN)/p2m-dom0: tests/xen/guest/p2m-dom0.c tests/tap.h $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(XEN_LAB_CFLAGS) -o $@ $< $(LIBA) $(LDLIBS_ALL) -lxenctrl \
		-lxenguest

xen-check: all xen-lab-bins
	@tests/xen/run-lab.sh $(B)

xen-bench: all xen-lab-bins
	@tests/xen/bench.sh $(B)

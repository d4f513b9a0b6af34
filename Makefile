# duet - split-driver I/O framework for Xen.  Plain GNU make.
#
#   make            libduet (static + shared), pkg-config file, build/bin/duet
#   make deps       install the Debian packages the project needs
#   make check      every test through prove (TAP), including an ASan+UBSan
#                   build of the unit tests and a short fuzz smoke
#   make fuzz       run each libFuzzer target for FUZZ_SECONDS
#   make demo       the main job on the simulator
#   make bench      benchmarks (printed, never asserted)
#   make iommu-check  duet's VT-d model against QEMU's intel-iommu
#   make soak       minutes of guests' traffic through one backend daemon
#                   whose instances are killed -9 in turn; leak checks
#                   (root; SOAK_MINUTES, SOAK_GUESTS, ... in tests/soak/)
#   make install    PREFIX=/usr/local DESTDIR=
#   make patches-check   apply, checkpatch and build the kernel series in
#                   patches/ one patch at a time (tests/patches/check.sh)
#   make xen-kernel the Xen lab's kernel with the series (cached by hash)
#   make xen-flip-module  the patched xen-netback for the lab's dom0 kernel
#   make kernel-deps     the Debian packages those need
#
# Sources are picked up by directory, so a new component only adds files:
#   libduet:   ring/ gnttab/ swiotlb/ iommu-glue/ toolstack/lib/ frontends/*/ backends/*/
#   duet CLI:  toolstack/cli/ and the simulator daemon sim/ (less main:
#              libduet-cli.a, for tests)
#   tests:     tests/unit/<component>/<name>.c -> one TAP program each
#              tests/lib/*.c (test peers)       -> libduet-test.a
#              tests/sim/*.sh, tests/unit/*.sh  -> TAP scripts
#              tests/fuzz/<name>.c              -> libFuzzer target

VERSION      := 0.1.0
SOVERSION    := 0
PREFIX       ?= /usr/local
DESTDIR      ?=
FUZZ_SECONDS ?= 60
CC           ?= cc
CLANG        ?= clang
B            ?= build

XEN_LIBS  := xenstore xengnttab xenevtchn xentoolcore
XEN_CFLAGS := $(shell pkg-config --cflags $(XEN_LIBS) 2>/dev/null)
XEN_LDLIBS := $(shell pkg-config --libs $(XEN_LIBS) 2>/dev/null || \
		echo -lxenstore -lxengnttab -lxenevtchn -lxentoolcore)
URING_LDLIBS := $(shell pkg-config --libs liburing 2>/dev/null || echo -luring)
# blkback's network-disk engines are compiled when their headers are there
# (make deps) and load their library at run time, when the first disk of
# their kind is opened (backends/blkback/engine-lib.h): duet and libduet
# have no DT_NEEDED on libnbd, librbd or librados, and a machine without
# them refuses only those disks, with the Debian package to install.
# Without the headers such disks are refused as "built without".
# NBD (backends/blkback/engine-nbd.c): libnbd-dev; at run time libnbd0.
NBD_PC     := $(shell pkg-config --exists libnbd && echo libnbd)
NBD_CFLAGS := $(if $(NBD_PC),-DDUET_HAVE_LIBNBD $(shell pkg-config --cflags libnbd))
# RBD (engine-rbd.c): librbd-dev, librados-dev (no pkg-config file); at
# run time librbd1 (and its librados2).
RBD_CFLAGS := $(if $(wildcard /usr/include/rbd/librbd.h),-DDUET_HAVE_LIBRBD)

WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	    -Wmissing-prototypes -Wno-unused-parameter
CFLAGS   ?= -O2 -g
ALL_CFLAGS := -std=gnu11 $(WARN) $(CFLAGS) -fPIC -D_GNU_SOURCE \
	      -DDUET_VERSION=\"$(VERSION)\" \
	      -Iinclude -I. $(XEN_CFLAGS) $(NBD_CFLAGS) $(RBD_CFLAGS)
LDFLAGS  ?=
ALL_LDFLAGS := -Wl,-z,defs $(LDFLAGS)
LDLIBS_ALL := $(XEN_LDLIBS) $(URING_LDLIBS) -lpthread -ldl
# Header dependencies: each compile writes the headers (and included .c
# files) it read into a .d file next to its output (for a program built
# straight from its .c, <program>.d), read back by the -include at the end.
# -MP adds an empty rule per header so that a removed header is no error.
DEPFLAGS := -MMD -MP
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all \
	     -fno-omit-frame-pointer

LIB_DIRS  := ring gnttab netdev swiotlb iommu-glue toolstack/lib \
	     $(wildcard frontends/*) $(wildcard backends/*)
LIB_SRCS  := $(sort $(foreach d,$(LIB_DIRS),$(wildcard $(d)/*.c)))
CLI_SRCS  := $(sort $(wildcard toolstack/cli/*.c) $(wildcard sim/*.c))
LIB_OBJS  := $(LIB_SRCS:%.c=$(B)/obj/%.o)
CLI_OBJS  := $(CLI_SRCS:%.c=$(B)/obj/%.o)
PUB_HDRS  := $(wildcard include/duet/*.h)

UNIT_SRCS := $(sort $(wildcard tests/unit/*/*.c))
UNIT_BINS := $(UNIT_SRCS:tests/%.c=$(B)/tests/%)
ASAN_BINS := $(UNIT_SRCS:tests/%.c=$(B)/asan/tests/%)
ASAN_OBJS := $(LIB_SRCS:%.c=$(B)/asan/obj/%.o) \
	     $(filter-out $(B)/asan/obj/toolstack/cli/main.o, \
		$(CLI_SRCS:%.c=$(B)/asan/obj/%.o))
ASAN_LIB  := $(B)/asan/lib/libduet-all.a
# The test peers and harnesses (tests/lib/*.c), built once into an archive
# per flavour and linked by unit tests, ASan tests, helpers, benches and
# fuzz targets.
TLIB_SRCS := $(sort $(wildcard tests/lib/*.c))
TLIB      := $(B)/lib/libduet-test.a
ASAN_TLIB := $(B)/asan/lib/libduet-test.a
TEST_HELPERS := $(sort $(wildcard tests/helpers/*.c))
HELPER_BINS  := $(TEST_HELPERS:tests/helpers/%.c=$(B)/tests/helpers/%)
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/*.c))
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=$(B)/fuzz/%)
# libFuzzer targets link one instrumented archive of the library and the
# CLI (less main), built once; like the ASan archive, it lets a target
# include a source file to reach its internals.
FUZZ_OBJS := $(filter-out $(B)/fuzz-obj/toolstack/cli/main.o, \
		$(patsubst %.c,$(B)/fuzz-obj/%.o,$(LIB_SRCS) $(CLI_SRCS)))
FUZZ_LIB  := $(B)/fuzz-obj/libduet-fuzz.a
FUZZ_TLIB := $(B)/fuzz-obj/libduet-test.a
FUZZ_CFLAGS := -std=gnu11 -g -O1 -D_GNU_SOURCE -Iinclude -I. -Itests \
	       $(XEN_CFLAGS) $(NBD_CFLAGS) $(RBD_CFLAGS)
BENCH_SRCS := $(sort $(wildcard tests/bench/*.c))
BENCH_BINS := $(BENCH_SRCS:tests/bench/%.c=$(B)/bench/%)
SCRIPT_TESTS := $(sort $(wildcard tests/unit/*.sh) $(wildcard tests/sim/*.sh) \
		 $(wildcard tests/fuzz/*.sh))

LIBA  := $(B)/lib/libduet.a
LIBSO := $(B)/lib/libduet.so.$(VERSION)
CLILIB := $(B)/lib/libduet-cli.a
PCF   := $(B)/lib/pkgconfig/duet.pc
DUET  := $(B)/bin/duet

.PHONY: all deps check unit-build fuzz fuzz-build demo bench soak install clean \
	xen-image xen-check xen-bench
all: $(LIBA) $(LIBSO) $(PCF) $(DUET)

# nbdkit-duet-plugin.so: the blkfront as an nbdkit plugin, built when
# nbdkit's header is there (nbdkit-plugin-dev); not part of libduet.
NBDKIT_PLUGIN := $(if $(shell pkg-config --exists nbdkit && echo y),\
		   $(B)/lib/nbdkit-duet-plugin.so)
all: $(NBDKIT_PLUGIN)

$(B)/lib/nbdkit-duet-plugin.so: frontends/blkfront/nbdkit/nbdkit-plugin.c \
		$(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(shell pkg-config --cflags nbdkit) -shared \
		$(LDFLAGS) -o $@ $< $(LIBA) $(LDLIBS_ALL)

deps:
	@tools/deps.sh

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -c -o $@ $<

$(B)/asan/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) $(DEPFLAGS) -c -o $@ $<

$(B)/obj/tests/lib/%.o: tests/lib/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -Itests -c -o $@ $<

$(B)/asan/obj/tests/lib/%.o: tests/lib/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) $(DEPFLAGS) -Itests -c -o $@ $<

$(TLIB): $(TLIB_SRCS:%.c=$(B)/obj/%.o)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(ASAN_TLIB): $(TLIB_SRCS:%.c=$(B)/asan/obj/%.o)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(LIBA): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(LIBSO): $(LIB_OBJS) libduet.map
	@mkdir -p $(dir $@)
	$(CC) -shared -Wl,-soname,libduet.so.$(SOVERSION) \
		-Wl,--version-script=libduet.map $(ALL_LDFLAGS) -o $@ \
		$(LIB_OBJS) $(LDLIBS_ALL)
	ln -sf libduet.so.$(VERSION) $(B)/lib/libduet.so.$(SOVERSION)
	ln -sf libduet.so.$(VERSION) $(B)/lib/libduet.so

$(PCF): duet.pc.in Makefile
	@mkdir -p $(dir $@)
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' \
		-e 's|@XEN_LIBS@|$(XEN_LIBS) liburing|' $< > $@

$(DUET): $(CLI_OBJS) $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $(CLI_OBJS) $(LIBA) $(LDLIBS_ALL)

# Unit tests link the static library and libduet-cli.a: the duet command
# less main (its subcommands and the simulator daemon they start), so that
# the CLI's and the simulator's internals can be tested.  The ASan build
# compiles everything again with the sanitizers.
$(CLILIB): $(filter-out $(B)/obj/toolstack/cli/main.o,$(CLI_OBJS))
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(B)/tests/unit/%: tests/unit/%.c $(TLIB) $(LIBA) $(CLILIB) tests/tap.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -Itests -o $@ $< $(TLIB) $(CLILIB) \
		$(LIBA) $(LDLIBS_ALL)

# One archive of everything, so a test may include a source file to reach
# its internals without clashing with the archived copy.
$(ASAN_LIB): $(ASAN_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(B)/asan/tests/unit/%: tests/unit/%.c $(ASAN_TLIB) $(ASAN_LIB) tests/tap.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) $(DEPFLAGS) -Itests -o $@ $< \
		$(ASAN_TLIB) $(ASAN_LIB) $(LDLIBS_ALL)

$(B)/tests/helpers/%: tests/helpers/%.c $(TLIB) $(LIBA) $(CLILIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -Itests -o $@ $< $(TLIB) $(CLILIB) \
		$(LIBA) $(LDLIBS_ALL)

$(B)/fuzz-obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined \
		-MMD -MP -c -o $@ $<

$(FUZZ_LIB): $(FUZZ_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(FUZZ_TLIB): $(TLIB_SRCS:%.c=$(B)/fuzz-obj/%.o)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(B)/fuzz/%: tests/fuzz/%.c $(FUZZ_TLIB) $(FUZZ_LIB)
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined \
		-MMD -MP -MF $@.d -o $@ $< $(FUZZ_TLIB) $(FUZZ_LIB) \
		$(LDLIBS_ALL)

$(B)/bench/%: tests/bench/%.c $(TLIB) $(LIBA) $(CLILIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -Itests -o $@ $< $(TLIB) $(CLILIB) \
		$(LIBA) $(LDLIBS_ALL) -lm

unit-build: all $(UNIT_BINS) $(ASAN_BINS) $(HELPER_BINS)
fuzz-build: $(FUZZ_BINS)

check: unit-build fuzz-build
	@echo "== prove: unit, asan, sim, fuzz smoke =="
	DUET_BUILD=$(abspath $(B)) prove --exec $(CURDIR)/tests/run-one \
		$(UNIT_BINS) $(ASAN_BINS) $(SCRIPT_TESTS)

fuzz: fuzz-build
	@set -e; for f in $(FUZZ_BINS); do \
		n=$$(basename $$f); mkdir -p $(B)/fuzz-corpus/$$n; \
		echo "== fuzz $$n for $(FUZZ_SECONDS)s =="; \
		$$f -max_total_time=$(FUZZ_SECONDS) $(B)/fuzz-corpus/$$n; \
	done

demo: deps
	@$(MAKE) --no-print-directory all
	@DUET_BUILD=$(abspath $(B)) tools/demo.sh

# duet bench net: netback's receive strategies and iperf3 on the simulator
# (needs root; exit 77 = cannot run here, reported and not a failure).
BENCH_NET_ARGS ?= --duration 1 --iperf-duration 2
# duet bench dma: the IOMMU models charge a hardware invalidation latency
# of 1500 ns (about 4600 cycles of hardware interaction per strict unmap,
# Amit et al. 2011); --inv-ns 0 measures the models' software cost alone.
BENCH_DMA_ARGS ?= --inv-ns 1500
bench: all $(BENCH_BINS)
	@set -e; for b in $(BENCH_BINS) $(wildcard tests/bench/*.sh); do echo "== $$b =="; case $$b in *.sh) DUET_BUILD=$(abspath $(B)) sh $$b;; *) $$b;; esac; done
	@echo "== $(DUET) bench net =="; mkdir -p $(B)/bench; rc=0; \
		$(DUET) bench net $(BENCH_NET_ARGS) --csv $(B)/bench/net.csv \
		--png $(B)/bench/net.png || rc=$$?; [ $$rc -eq 0 -o $$rc -eq 77 ]
	@echo "== $(DUET) bench dma =="; rc=0; $(DUET) bench dma $(BENCH_DMA_ARGS) \
		--csv $(B)/bench/dma.csv --png $(B)/bench/dma.png || rc=$$?; \
		[ $$rc -eq 0 -o $$rc -eq 77 ]

# The soak of issue 16 (tests/soak/soak.sh; SOAK_* variables there):
# not part of make check; needs root, nbdkit, fio and iperf3.
soak: all
	@DUET_BUILD=$(abspath $(B)) sh tests/soak/soak.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig \
		$(DESTDIR)$(PREFIX)/include/duet $(DESTDIR)$(PREFIX)/bin
	install -m 644 $(LIBA) $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(LIBSO) $(DESTDIR)$(PREFIX)/lib/
	ln -sf libduet.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libduet.so.$(SOVERSION)
	ln -sf libduet.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libduet.so
	install -m 644 $(PUB_HDRS) $(DESTDIR)$(PREFIX)/include/duet/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' \
		-e 's|@XEN_LIBS@|$(XEN_LIBS) liburing|' duet.pc.in \
		> $(DESTDIR)$(PREFIX)/lib/pkgconfig/duet.pc
	install -m 755 $(DUET) $(DESTDIR)$(PREFIX)/bin/

clean:
	rm -rf $(B)

# make iommu-check: duet's VT-d model against QEMU's intel-iommu, in a
# small Linux guest (tests/iommu/qemu-check.sh; TCG, about a minute).
VTD_QEMU_SRCS := tests/iommu/vtd-qemu.c iommu-glue/iommu-hw.c \
		 iommu-glue/iova.c iommu-glue/vtd.c iommu-glue/vtd-drv.c
$(B)/iommu/vtd-qemu: $(VTD_QEMU_SRCS) $(wildcard iommu-glue/*.h) tests/tap.h
	@mkdir -p $(dir $@)
	$(CC) -static -std=gnu11 $(WARN) $(CFLAGS) -D_GNU_SOURCE -Iinclude -I. \
		-Itests -o $@ $(VTD_QEMU_SRCS) -lpthread

.PHONY: iommu-check
# (exit 77 = cannot run here, reported with its reason and not a failure)
iommu-check: $(B)/iommu/vtd-qemu
	@rc=0; sh tests/iommu/qemu-check.sh $(abspath $(B))/iommu/vtd-qemu \
		|| rc=$$?; [ $$rc -eq 0 -o $$rc -eq 77 ]

# Kernel patch series (patches/, tests/patches/).  patches-check exits 77
# (skip, reason printed) only when the kernel source or a build tool is
# missing; that is not a failure.
.PHONY: kernel-deps patches-check xen-kernel xen-flip-module
kernel-deps:
	@tests/patches/deps.sh

patches-check:
	@rc=0; tests/patches/check.sh || rc=$$?; [ $$rc -eq 0 -o $$rc -eq 77 ]

xen-kernel:
	@tests/patches/xen-kernel.sh

xen-flip-module:
	@tests/patches/xen-flip-module.sh

# The Xen lab (tests/xen/): xen-image, xen-check, xen-bench.
-include tests/xen/lab.mk

-include $(shell find $(B) -name '*.d' 2>/dev/null)

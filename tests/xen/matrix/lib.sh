# shellcheck shell=bash disable=SC2034 # LAB, RESULTS: for the sourcing scripts
# lib.sh - helpers for the matrix entry scripts (sourced; runs in dom0).
#
# An entry script prints one "ok - <check>" or "FAIL - <check>" line per
# check, in between whatever diagnostics help; it exits 0 only when every
# check passed.  The host turns the entry's exit status into a TAP line and
# shows the check lines under it.

LAB=/lab
RESULTS=/results
FAILS=0

step() {
	echo "LAB-STEP $(cut -d' ' -f1 /proc/uptime) $*"
}

# check NAME CMD...: run CMD, record NAME as passed or failed.
check() {
	local name=$1
	shift
	if "$@"; then
		echo "ok - $name"
	else
		echo "FAIL - $name"
		FAILS=$((FAILS + 1))
	fi
}

section() {
	echo "---- $* ----"
}

finish() {
	if [ "$FAILS" -eq 0 ]; then
		exit 0
	fi
	echo "$FAILS check(s) failed"
	exit 1
}

# domu_start NAME CFG: xl create, with timing.
domu_start() {
	local rc=0
	step "xl create $1 start"
	xl create "$2" || rc=$?
	step "xl create $1 returned rc=$rc"
	return $rc
}

# domu_wait_gone NAME SECONDS: wait for the domain to power itself off;
# destroy it (and fail) after SECONDS.
domu_wait_gone() {
	local t=0
	while xl domid "$1" >/dev/null 2>&1; do
		if [ $t -ge "$2" ]; then
			echo "domain $1 still running after ${2}s: destroying"
			xl destroy "$1" || true
			return 1
		fi
		sleep 1
		t=$((t + 1))
	done
	step "domain $1 gone"
	return 0
}

# console_log NAME: the path of the domU's console log (xenconsoled).
console_log() {
	echo "/var/log/xen/console/guest-$1.log"
}

# wait_console NAME PATTERN SECONDS: wait for PATTERN in the console log.
wait_console() {
	local t=0 log
	log=$(console_log "$1")
	while ! grep -q "$2" "$log" 2>/dev/null; do
		[ $t -lt $(($3 * 2)) ] || return 1
		xl domid "$1" >/dev/null 2>&1 || return 1
		sleep 0.5
		t=$((t + 1))
	done
}

# domu_initrd_with OUT PROG...: the domUs' initramfs (/tmp/domu-initrd.cpio)
# plus dom0's PROGs (found in PATH, or paths) in /opt/lab/bin and the
# shared libraries they need in /lib/x86_64-linux-gnu (dom0 and the domU
# run the same Debian userland and kernel), appended as one more
# uncompressed cpio archive.  DOMU_MODULES="m1 m2": kernel modules (with
# what they depend on) for /modules/extra, which domu-init loads in the
# order given in /modules/extra/order.
domu_initrd_with() {
	local out=$1 d p l m dep
	shift
	d=$(mktemp -d)
	mkdir -p "$d/opt/lab/bin" "$d/lib/x86_64-linux-gnu" "$d/modules/extra"
	for m in ${DOMU_MODULES:-}; do
		for dep in $(modinfo -F depends "$m" | tr ',' ' ') $m; do
			grep -qx "$dep.ko" "$d/modules/extra/order" 2>/dev/null &&
				continue
			p=$(modinfo -F filename "$dep") || { rm -rf "$d"; return 1; }
			case "$p" in
			*.ko) ;;
			*) continue ;; # built in
			esac
			cp "$p" "$d/modules/extra/$dep.ko"
			echo "$dep.ko" >> "$d/modules/extra/order"
		done
	done
	for p in "$@"; do
		p=$(command -v "$p") || { echo "no $p in dom0"; rm -rf "$d"; return 1; }
		cp -L "$p" "$d/opt/lab/bin/"
		for l in $(ldd "$p" | awk '/=> \// { print $3 }'); do
			cp -L "$l" "$d/lib/x86_64-linux-gnu/"
		done
	done
	cp /tmp/domu-initrd.cpio "$out"
	(cd "$d" && find . | sort | cpio -o -H newc -R 0:0 --quiet) >> "$out"
	rm -rf "$d"
}

# duet_backend LOG [ARGS...]: start duet's backend daemon in dom0 (xen
# platform) in the background, logging to LOG; its pid in DUET_BACKEND_PID.
duet_backend() {
	local log=$1
	shift
	DUET_PLATFORM=xen DUET_LOG_LEVEL=2 $LAB/duet/duet backend "$@" \
		> "$log" 2>&1 &
	DUET_BACKEND_PID=$!
}

# duet_backend_stop: SIGTERM the daemon started by duet_backend and wait.
duet_backend_stop() {
	[ -n "${DUET_BACKEND_PID:-}" ] || return 0
	kill -TERM "$DUET_BACKEND_PID" 2>/dev/null || true
	wait "$DUET_BACKEND_PID" 2>/dev/null || true
	DUET_BACKEND_PID=
}

# domu_cfg NAME EXTRA MEMORY [LINE...]: write /tmp/NAME.cfg, a PV domU
# booting the lab kernel with /tmp/NAME.cpio (or $DOMU_RAMDISK), kernel
# command line
# "console=hvc0 EXTRA", MEMORY MiB and one vcpu, plus each LINE (disk =
# [...], vif = [...]) verbatim.
domu_cfg() {
	local name=$1 extra=$2 mem=$3 l
	shift 3
	{
		echo "name = \"$name\""
		echo 'type = "pv"'
		echo 'kernel = "/var/lib/duet-lab/vmlinuz"'
		echo "ramdisk = \"${DOMU_RAMDISK:-/tmp/$name.cpio}\""
		echo "extra = \"console=hvc0 $extra\""
		echo "memory = $mem"
		echo "vcpus = 1"
		for l in "$@"; do
			echo "$l"
		done
		echo 'on_poweroff = "destroy"'
		echo 'on_reboot = "destroy"'
		echo 'on_crash = "destroy"'
	} > "/tmp/$name.cfg"
}

# domu_release NAME DOMID: tell the domU (data/release) it may power off,
# check that it does, keep its console log in the results and print it,
# and check that it booted at all.
domu_release() {
	local log
	log=$(console_log "$1")
	[ -z "$2" ] || xenstore-write "/local/domain/$2/data/release" 1 || true
	check "domU powered itself off" domu_wait_gone "$1" 120
	cp "$log" "$RESULTS/console-$1.log" 2>/dev/null || true
	section "domU console"
	cat "$log" 2>/dev/null || echo "(no console log)"
	check "domU booted" grep -q DOMU-INIT-START "$log"
}

# iperf_both TAG IP SECONDS: iperf3 TCP from dom0 to the server at IP and
# back (-R), a check for each direction; the receiver's rates are printed
# as "# iperf3 <direction>: N Mbits/sec".
iperf_both() {
	local dir rc what out=/tmp/$1-iperf.txt
	for dir in "" -R; do
		rc=0
		iperf3 -c "$2" -t "$3" -f m $dir > "$out" 2>&1 || rc=$?
		cat "$out"
		what="dom0 -> domU"
		[ -z "$dir" ] || what="domU -> dom0"
		check "iperf3 TCP $what (exit $rc)" sh -c \
			"[ $rc -eq 0 ] && grep -q ' receiver' $out"
		sed -n "s|.* \([0-9.]* Mbits/sec\).* receiver|# iperf3 $what: \1|p" \
			"$out"
	done
}

# image_has_write LOG IMG SECTOR: the DOMU-WROTE-<uuid> marker a domU
# printed in console log LOG is what dom0 reads at 512-byte sector SECTOR
# of IMG.
image_has_write() {
	local w got
	w=$(grep -o 'DOMU-WROTE-[0-9a-f-]*' "$1" | head -1 || true)
	got=$(dd if="$2" bs=512 skip="$3" count=1 status=none |
		tr -d '\000' | head -c 64)
	echo "domU wrote '$w'; dom0 reads '$got' from the image"
	test -n "$w" -a "$got" = "$w"
}

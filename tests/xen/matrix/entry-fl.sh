#!/bin/bash
# Matrix entry fl: patches/xen-netfront-netback-rx-flip in the lab.  dom0
# unloads Debian's xen-netback and loads make xen-flip-module's (the
# payload's xen-flip/xen-netback.ko, the series' netback built against
# dom0's kernel headers) with rx_flip=1; a PV domU boots make xen-kernel's
# image (the payload's xen-kernel/bzImage, netfront built in) with
# xen_netfront.rx_flip=1, and its vif receives by page transfer:
#
#   (a) negotiation: the backend offers feature-rx-flip=1, the frontend
#       writes request-rx-copy=0, netfront says "receiving by page
#       flipping"; pings both ways (also 1400 bytes), iperf3 both ways
#       (Mbit/s printed); frames flipped (dom0's vif: rx_flip_transfers,
#       the domU's eth0: rx_flip_frames, both by ethstats = ethtool -S).
#   (b) iperf3 dom0 -> domU (the flipping direction) for FL_SECONDS
#       (the payload's xen-flip/seconds, default 600); before and after:
#       the domU's MemTotal/MemFree and rx_flip_* counters (its data/fl,
#       domu-init's entry_fl), its pages as Xen counts them (nr_pages of
#       `xl debug-keys q`) and `xl list`'s MiB, dom0's MemFree and
#       nr_pages, and Xen's free memory (`xl info free_memory`): flat
#       within the bounds below.
#   (c) xl destroy of the domU in the middle of an iperf3 run: no
#       oops/BUG/WARNING in dom0's kernel log, Xen's free memory back to
#       what it was before the domU was created, the patched module
#       unloads (rmmod); then Debian's xen-netback is loaded again.
#
# "# fl ..." lines carry the figures.
#
# FL_RX_FLIP=0 on the host (the payload's xen-flip/rx-flip) is the control
# run: the same module and kernel with rx_flip=0 on both sides (copying,
# feature-rx-flip=0, request-rx-copy=1); the flip-only checks are skipped.
set -eu
. /lab/lib.sh

NAME=lab-fl
IP=10.0.0.6
MAC=00:16:3e:00:00:f1
LOG=$(console_log $NAME)
KERNEL=$LAB/xen-kernel/bzImage
MODULE=$LAB/xen-flip/xen-netback.ko
SECS=$(cat $LAB/xen-flip/seconds 2>/dev/null || echo 600)
FLIP=$(cat $LAB/xen-flip/rx-flip 2>/dev/null || echo 1)
ES=$LAB/bin/ethstats
# Bounds of (b): pages of the domU (one queue's 256 posted Rx buffers may
# be out, twice that), of dom0 (a flip batch, COPY_BATCH_SIZE 64, four
# times), Xen's free memory (MiB), MemFree (kB) of the domU and of dom0.
B_DOMU_PAGES=512
B_DOM0_PAGES=256
B_FREE_MIB=2
B_DOMU_FREE_KB=8192
B_DOM0_FREE_KB=32768
B_OUTSTANDING=256

if [ ! -s "$KERNEL" ] || [ ! -s "$MODULE" ]; then
	echo "# fl SKIP: needs $KERNEL (make xen-kernel) and $MODULE (make xen-flip-module)"
	exit 0
fi

# nr_pages DOMID: the domain's pages as Xen counts them (tot_pages, from
# the 'q' debug key's dump); Xen's console ring is kept in the results.
nr_pages() {
	xl dmesg -c >> $RESULTS/fl-xl-dmesg.txt 2>&1 || true
	xl debug-keys q >/dev/null 2>&1 || true
	sleep 0.5
	xl dmesg -c 2>/dev/null | tee -a $RESULTS/fl-xl-dmesg.txt |
		awk -v d="$1" '
		/General information for domain/ {
			s = $0; sub(/.*domain /, "", s); sub(/:.*/, "", s)
			cur = (s == d) }
		cur && /nr_pages=/ { s = $0; sub(/.*nr_pages=/, "", s)
			sub(/ .*/, "", s); print s; cur = 0 }' | tail -1
}

# kv TEXT KEY: the value of "KEY=value" in TEXT (empty when missing).
kv() {
	echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -1
}

declare -A V=()
# snap TAG DOMID: record and print the figures of (b) as V[TAG.*].
snap() {
	local t=$1 d=$2 fl vif
	fl=$(xenstore-read /local/domain/$d/data/fl 2>/dev/null || true)
	vif=$($ES vif$d.0 rx_flip 2>/dev/null | tr ' \n' '= ' || true)
	V[$t.domu_total]=$(kv "$fl" memtotal)
	V[$t.domu_free]=$(kv "$fl" memfree)
	V[$t.outstanding]=$(kv "$fl" rx_flip_outstanding)
	V[$t.frames]=$(kv "$fl" rx_flip_frames)
	V[$t.domu_lost]=$(kv "$fl" rx_flip_frames_lost)
	V[$t.domu_pages]=$(nr_pages "$d")
	V[$t.domu_mib]=$(xl list "$d" 2>/dev/null | awk 'NR == 2 { print $3 }' || true)
	V[$t.dom0_pages]=$(nr_pages 0)
	V[$t.dom0_free]=$(awk '/^MemFree:/ { print $2 }' /proc/meminfo)
	V[$t.dom0_total]=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)
	V[$t.xen_free]=$(xl info free_memory 2>/dev/null || true)
	V[$t.transfers]=$(kv "$vif" rx_flip_transfers)
	V[$t.flip_errors]=$(kv "$vif" rx_flip_errors)
	V[$t.dom0_lost]=$(kv "$vif" rx_flip_frames_lost)
	echo "# fl $t: domU MemTotal ${V[$t.domu_total]} kB MemFree ${V[$t.domu_free]} kB, nr_pages ${V[$t.domu_pages]} (xl list ${V[$t.domu_mib]} MiB), rx_flip_outstanding ${V[$t.outstanding]} rx_flip_frames ${V[$t.frames]} rx_flip_frames_lost ${V[$t.domu_lost]}"
	echo "# fl $t: dom0 MemTotal ${V[$t.dom0_total]} kB MemFree ${V[$t.dom0_free]} kB, nr_pages ${V[$t.dom0_pages]}; Xen free_memory ${V[$t.xen_free]} MiB; vif$d.0 rx_flip_transfers ${V[$t.transfers]} rx_flip_errors ${V[$t.flip_errors]} rx_flip_frames_lost ${V[$t.dom0_lost]}"
}

# within NAME A B BOUND: |A - B| <= BOUND (both numbers).
within() {
	local d
	case "$2$3" in '' | *[!0-9]*) echo "$1: no figure ('$2', '$3')"; return 1 ;; esac
	d=$(($3 - $2))
	echo "$1: $2 -> $3 (change $d, bound $4)"
	[ ${d#-} -le "$4" ]
}

# at_most NAME A BOUND
at_most() {
	case "$2" in '' | *[!0-9]*) echo "$1: no figure ('$2')"; return 1 ;; esac
	echo "$1: $2 (bound $3)"
	[ "$2" -le "$3" ]
}

# fcheck NAME CMD...: a check that holds only when flipping.
fcheck() {
	if [ "$FLIP" = 1 ]; then
		check "$@"
	else
		echo "# fl control run (rx_flip=0): not checked: $1"
	fi
}

# kernel_log_clean FROM: nothing bad in dom0's kernel log past line FROM.
kernel_log_clean() {
	dmesg | tail -n +"$(($1 + 1))" > /tmp/fl-dmesg-new.txt
	cp /tmp/fl-dmesg-new.txt $RESULTS/fl-dom0-dmesg.txt
	! grep -E 'BUG|WARNING|Oops|general protection|Call Trace|RIP:' \
		/tmp/fl-dmesg-new.txt
}

DMESG0=$(dmesg | wc -l)
section "patched xen-netback"
check "Debian's xen-netback unloaded" modprobe -r xen-netback
echo "# fl rx_flip=$FLIP"
check "insmod the patched xen-netback rx_flip=$FLIP" insmod "$MODULE" \
	rx_flip="$FLIP"
fcheck "xen_netback.rx_flip is Y" \
	grep -qx Y /sys/module/xen_netback/parameters/rx_flip
modinfo "$MODULE" | grep -E '^(vermagic|srcversion|parm: *rx_flip)' || true
FREE0=$(xl info free_memory)
echo "# fl before the domU: Xen free_memory $FREE0 MiB"

check "domU initramfs with iperf3" domu_initrd_with /tmp/$NAME.cpio iperf3
domu_cfg $NAME "loglevel=6 lab=fl labip=$IP xen_netfront.rx_flip=$FLIP" 256 \
	"vif = [ 'bridge=xenbr0,mac=$MAC' ]"
sed -i "s|^kernel = .*|kernel = \"$KERNEL\"|" /tmp/$NAME.cfg
cat /tmp/$NAME.cfg
check "xl create $NAME (make xen-kernel's image)" domu_start $NAME /tmp/$NAME.cfg
D=$(xl domid $NAME 2>/dev/null) || D=
if [ -z "$D" ] || ! wait_console $NAME '^DOMU-NET-READY' 300; then
	echo "FAIL - domU $NAME brought its network up"
	FAILS=$((FAILS + 1))
	cp "$LOG" $RESULTS/console-$NAME.log 2>/dev/null || true
	cat "$LOG" 2>/dev/null || true
	[ -z "$D" ] || xl destroy $NAME || true
	rmmod xen-netback || true
	modprobe xen-netback || true
	finish
fi
step "domU $NAME network up"

section "(a) negotiation, ping, iperf3"
BE=/local/domain/0/backend/vif/$D/0
FE=/local/domain/$D/device/vif/0
xenstore-ls -f $BE 2>/dev/null | grep -E 'feature-rx|state|request' || true
xenstore-ls -f $FE 2>/dev/null | grep -E 'request-rx|feature|state' || true
check "backend offers feature-rx-flip=$FLIP" \
	test "$(xenstore-read $BE/feature-rx-flip 2>/dev/null)" = "$FLIP"
check "frontend writes request-rx-copy=$((1 - FLIP))" \
	test "$(xenstore-read $FE/request-rx-copy 2>/dev/null)" = $((1 - FLIP))
check "vif backend connected (state 4)" \
	test "$(xenstore-read $BE/state 2>/dev/null)" = 4
grep 'DOMU-FL-' "$LOG" || true
fcheck "netfront: receiving by page flipping (domU dmesg)" \
	grep -q 'DOMU-FL-DMESG.*receiving by page flipping' "$LOG"
check "vif$D.0 in bridge xenbr0" sh -c \
	"ip -br link show master xenbr0 | grep -q '^vif$D.0 '"
check "the domU pings dom0" \
	grep -q 'DOMU-RESULT PASS netfront-ping-dom0[[:space:]]*$' "$LOG"
check "the domU pings dom0 with 1400-byte packets" \
	grep -q 'DOMU-RESULT PASS netfront-ping-dom0-1400' "$LOG"
check "dom0 pings the domU" ping -c 3 -W 5 $IP
check "dom0 pings the domU with 1400-byte packets" ping -c 3 -W 5 -s 1400 $IP
iperf_both $NAME $IP 10
snap a "$D"
fcheck "frames flipped by dom0 (vif$D.0 rx_flip_transfers > 0)" \
	test "${V[a.transfers]:-0}" -gt 0
fcheck "frames received by flip in the domU (rx_flip_frames > 0)" \
	test "${V[a.frames]:-0}" -gt 0
check "no flip errors in dom0 (rx_flip_errors 0)" \
	test "${V[a.flip_errors]:-x}" = 0

section "(b) iperf3 dom0 -> domU for $SECS s"
sleep 2
snap start "$D"
rc=0
iperf3 -c $IP -t "$SECS" -i 60 -f m > /tmp/fl-long.txt 2>&1 || rc=$?
cat /tmp/fl-long.txt
check "iperf3 dom0 -> domU for $SECS s (exit $rc)" sh -c \
	"[ $rc -eq 0 ] && grep -q ' receiver' /tmp/fl-long.txt"
sed -n "s|.* \([0-9.]* Mbits/sec\).* receiver|# fl iperf3 dom0 -> domU over $SECS s: \1|p" \
	/tmp/fl-long.txt
sleep 2
snap end "$D"
check "domU MemTotal unchanged" within "domU MemTotal kB" \
	"${V[start.domu_total]}" "${V[end.domu_total]}" 0
check "domU MemFree flat" within "domU MemFree kB" \
	"${V[start.domu_free]}" "${V[end.domu_free]}" $B_DOMU_FREE_KB
check "domU pages (Xen's nr_pages) flat" within "domU nr_pages" \
	"${V[start.domu_pages]}" "${V[end.domu_pages]}" $B_DOMU_PAGES
check "dom0 pages (Xen's nr_pages) flat" within "dom0 nr_pages" \
	"${V[start.dom0_pages]}" "${V[end.dom0_pages]}" $B_DOM0_PAGES
check "dom0 MemFree flat" within "dom0 MemFree kB" \
	"${V[start.dom0_free]}" "${V[end.dom0_free]}" $B_DOM0_FREE_KB
check "Xen free_memory flat" within "Xen free_memory MiB" \
	"${V[start.xen_free]}" "${V[end.xen_free]}" $B_FREE_MIB
check "rx_flip_outstanding at the end within one ring" at_most \
	"rx_flip_outstanding" "${V[end.outstanding]}" $B_OUTSTANDING
check "no frames lost (dom0 and domU rx_flip_frames_lost 0)" \
	test "${V[end.dom0_lost]:-x}/${V[end.domu_lost]:-x}" = 0/0
fcheck "the long run flipped frames" \
	test "${V[end.transfers]:-0}" -gt "${V[start.transfers]:-0}"
echo "# fl long run: $(( ${V[end.transfers]:-0} - ${V[start.transfers]:-0} )) frames flipped by dom0, $(( ${V[end.frames]:-0} - ${V[start.frames]:-0} )) received by the domU"

section "(c) xl destroy mid-transfer"
iperf3 -c $IP -t 300 -f m > /tmp/fl-destroy.txt 2>&1 &
ip3=$!
sleep 15
snap mid "$D"
fcheck "frames flipping before the destroy" \
	test "${V[mid.transfers]:-0}" -gt "${V[end.transfers]:-0}"
cp "$LOG" $RESULTS/console-$NAME.log 2>/dev/null || true
check "xl destroy $NAME mid-transfer" xl destroy $NAME
sleep 5
kill $ip3 2>/dev/null || true
wait $ip3 2>/dev/null || true
check "domain gone" domu_wait_gone $NAME 60
t=0
while :; do
	free=$(xl info free_memory)
	d=$((free - FREE0))
	[ ${d#-} -gt $B_FREE_MIB ] && [ $t -lt 30 ] || break
	sleep 1
	t=$((t + 1))
done
check "Xen free_memory back to before the domU (${t} s)" \
	within "Xen free_memory MiB" "$FREE0" "$free" $B_FREE_MIB
P0=$(nr_pages 0)
check "dom0 pages flat across the destroy" within "dom0 nr_pages" \
	"${V[start.dom0_pages]}" "$P0" $B_DOM0_PAGES
check "no vif$D.0 left" test ! -e /sys/class/net/vif$D.0
check "dom0's kernel log clean (no BUG/WARNING/Oops/stall trace)" \
	kernel_log_clean "$DMESG0"
# Xen notices when the whole machine was not run for a while (QEMU starved
# on a loaded host): its platform timer wrapped unseen.  Printed next to an
# RCU stall above, it says where to look first.
xl dmesg 2>/dev/null | cat $RESULTS/fl-xl-dmesg.txt - |
	grep -i 'platform timer' | sed 's/^/# fl xen: /' || true
# netfront's rx_flip warnings (dev_warn: on the console at loglevel=6).
check "the domU's console has no rx_flip warning, BUG or WARNING" sh -c \
	"! grep -E 'rx_flip:|BUG|WARNING|Oops' '$LOG'"
check "rmmod the patched xen-netback" rmmod xen-netback
check "Debian's xen-netback loaded again" modprobe xen-netback
section "dom0 kernel log during the entry"
cat $RESULTS/fl-dom0-dmesg.txt 2>/dev/null || true
section "domU console"
cat "$LOG" 2>/dev/null || true
finish

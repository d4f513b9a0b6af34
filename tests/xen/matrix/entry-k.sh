#!/bin/bash
# Matrix entry k: patches/xen-frontend-backend-restart in the lab.  A driver
# domain (lab-kdd, driver_domain=1, duet's backend daemon serving its own
# xvdb and a bridge, as in entry g) serves the disk and the vif of a guest.
# The guest mounts the disk (ext4, made by dom0), a writer stores fsync'ed
# 4 KiB records and a ping runs to the driver domain (domu-init's entry_k).
# Mid-I/O dom0 destroys the driver domain (xl destroy), creates it again and
# re-attaches both devices the way the toolstack does it (xl block-attach,
# xl network-attach devid=0 with backend=lab-kdd).  Twice, side by side:
#
#   stock    the lab's Debian kernel: the baseline, recorded, not checked
#            (expected: the device is lost, the writer hangs or fails)
#   patched  make xen-kernel's bzImage (the payload's xen-kernel/bzImage):
#            still mounted, no writer error, the writer resumes, every
#            record it was told was written reads back from the image,
#            e2fsck clean, ping resumes (gap printed); then the driver
#            domain is destroyed for good and the writer gets a clean I/O
#            error after xen_blkfront.backend_timeout (20 s here), no hang.
#
# "# k <kernel>: ..." lines give what each guest saw.
#
# K_BACKEND says what serves the guest in the driver domain:
#
#   duet     duet's backend daemon (entry k, the default)
#   linux    Linux's own xen-blkback and xen-netback, modules of the
#            driver domain's (stock Debian) kernel, with what xl devd does
#            there done by domu-init's devd loop (entry kl: entry-kl.sh
#            sources this script; its lines say "# kl <kernel>: ...")
set -eu
. /lab/lib.sh

case ${K_BACKEND:=duet} in
duet)
	ID=k
	DD=lab-kdd
	DD_MODULES="tun bridge"
	DD_PROGS=$LAB/duet/duet
	DD_WHAT="duet, tun and bridge"
	# duet loads libnbd and librbd at run time only (no DT_NEEDED:
	# backends/blkback/engine-lib.h), so its ldd closure, which is what
	# the initramfs gets, has no Ceph in it and fits in 256 MiB; 512 is
	# what the last passing run had.
	DD_MEM=512
	;;
linux)
	ID=kl
	DD=lab-kldd
	DD_MODULES="bridge xen-blkback xen-netback"
	DD_PROGS=
	DD_WHAT="xen-blkback, xen-netback and bridge"
	DD_MEM=256
	;;
*)
	echo "FAIL - K_BACKEND=$K_BACKEND: duet or linux"
	exit 1
	;;
esac
IMG=/tmp/lab-$ID-disk.img
DDLOG=$(console_log $DD)
TIMEOUT=20	# the no-backend phase; 300 s while the driver domain reboots
PATCHED=$LAB/xen-kernel/bzImage

modprobe xen-blkback || true
modprobe xen-netback || true
# shellcheck disable=SC2086 # DD_PROGS: none or one path
DOMU_MODULES=$DD_MODULES check "driver domain initramfs with $DD_WHAT" \
	domu_initrd_with /tmp/$DD.cpio $DD_PROGS

# The driver domain's disk is a loop device set up here, and its hotplug
# script only says which device that is: Xen's block script (losetup,
# sharing checks: dozens of processes) ran into libxl's fixed 40 s hotplug
# timeout under TCG on a busy host in the third lab run, and the driver
# domain then did not come back.
BLOCK=/tmp/lab-$ID-block
cat > $BLOCK <<'SCRIPT'
#!/bin/sh
# libxl's hotplug contract: $1 add|remove, XENBUS_PATH the backend path.
[ "$1" = add ] || exit 0
dev=$(xenstore-read "$XENBUS_PATH/params") &&
	xenstore-write "$XENBUS_PATH/physical-device" \
		"$(stat -L -c %t:%T "$dev")" \
		"$XENBUS_PATH/hotplug-status" connected
SCRIPT
chmod 755 $BLOCK

# dd_cfg LOOP: the driver domain's configuration with disk LOOP.
dd_cfg() {
	domu_cfg $DD "loglevel=6 lab=${DD#lab-}" $DD_MEM \
		"driver_domain = 1" \
		"disk = [ 'format=raw, vdev=xvdb, access=rw, script=$BLOCK, target=$1' ]"
}

# count FILE PATTERN: lines of FILE matching PATTERN.
count() {
	grep -c "$2" "$1" 2>/dev/null || true
}

# wait_count NAME PATTERN N SECONDS: until NAME's console has N lines
# matching PATTERN (the domain may be gone: the log stays).
wait_count() {
	local t=0 log
	log=$(console_log "$1")
	while [ "$(count "$log" "$2")" -lt "$3" ]; do
		[ $t -lt $(($4 * 2)) ] || return 1
		sleep 0.5
		t=$((t + 1))
	done
}

# dd_start: a fresh driver domain (its old console log moved away).
dd_start() {
	[ ! -e "$DDLOG" ] || mv "$DDLOG" "$DDLOG.$(date +%s)"
	domu_start $DD /tmp/$DD.cfg || return 1
	wait_console $DD '^DOMU-DD-READY' 240
}

# reattach NAME: the toolstack's re-attach with the new driver domain.
# libxl refuses to add a device whose frontend is still in xenstore ("device
# already exists in xenstore", first lab run): detach first (the backend is
# dead, so libxl times out and removes the nodes by force), then attach.
reattach() {
	local rc=0
	step "detach $1's dead disk and vif"
	xl block-detach "$1" xvda || echo "# xl block-detach: exit $?"
	xl network-detach "$1" 0 || echo "# xl network-detach: exit $?"
	step "re-attach $1's disk and vif"
	xl block-attach "$1" "backend=$DD, format=raw, vdev=xvda, access=rw, target=/dev/xvdb" ||
		rc=$?
	echo "# xl block-attach: exit $rc"
	# xl network-attach takes one key=value per argument (a comma list is
	# read as one backend name: exit 1 in the second lab run).
	xl network-attach "$1" backend=$DD bridge=xenbr0 \
		mac=00:16:3e:00:00:2b devid=0 || rc=$?
	echo "# xl network-attach: exit $rc"
	xenstore-ls -f "/local/domain/$(xl domid "$1")/device" 2>/dev/null |
		grep -E '/(state|backend-id) ' || true
	return $rc
}

# run_guest KIND KERNEL: one guest through a driver domain restart.
run_guest() {
	local kind=$1 kernel=$2 name=lab-$ID-$1 log d n0 n1 gap mnt werr
	local ping_line verified=0 missing=0 fsck=unknown acked resumed=no wait rc loop t0
	log=$(console_log "$name")
	section "$kind kernel: $kernel"
	dd if=/dev/zero of=$IMG bs=1M count=128 status=none
	mkfs.ext4 -q -F $IMG
	loop=$(losetup -f --show $IMG)
	dd_cfg "$loop"
	# Debian's kernel has ext4 as a module (first lab run: "mount: No such
	# device"); the patched one has it built in.
	DOMU_MODULES="crc32c_generic ext4" domu_initrd_with "/tmp/$name.cpio"
	DOMU_RAMDISK=/tmp/$name.cpio domu_cfg "$name" \
		"loglevel=6 lab=k xen_blkfront.backend_timeout=300" 256 \
		"disk = [ 'backend=$DD, format=raw, vdev=xvda, access=rw, target=/dev/xvdb' ]" \
		"vif = [ 'backend=$DD, bridge=xenbr0, mac=00:16:3e:00:00:2b' ]"
	sed -i "s|^kernel = .*|kernel = \"$kernel\"|" "/tmp/$name.cfg"

	if ! dd_start; then
		echo "FAIL - $kind: driver domain up"
		FAILS=$((FAILS + 1))
		losetup -d "$loop" || true
		return
	fi
	domu_start "$name" "/tmp/$name.cfg" || true
	d=$(xl domid "$name" 2>/dev/null) || d=
	if [ -z "$d" ] || ! wait_count "$name" '^DOMU-REC ' 10 240; then
		echo "FAIL - $kind: guest writes through the driver domain"
		cat "$log" 2>/dev/null | tail -40
		FAILS=$((FAILS + 1))
		xl destroy "$name" 2>/dev/null || true
		xl destroy $DD 2>/dev/null || true
		losetup -d "$loop" || true
		return
	fi
	n0=$(count "$log" '^DOMU-REC ')
	step "$kind: destroying $DD after $n0 records"
	t0=$(date +%s)
	xl destroy $DD
	sleep 2
	dd_start || echo "# $kind: driver domain did not come back"
	reattach "$name" || true
	echo "# $ID $kind: driver domain down $(($(date +%s) - t0)) s (xl destroy to re-attached, dom0's clock)"
	# The writer resumes: ten more records within two minutes (the stock
	# baseline gets one).
	wait=120
	[ "$kind" = patched ] || wait=60
	if wait_count "$name" '^DOMU-REC ' $((n0 + 10)) $wait; then
		resumed=yes
	fi
	n1=$(count "$log" '^DOMU-REC ')
	# The longest time between two acknowledged records (the guest's
	# clock): the writer's stall across the restart.
	gap=$(sed -n 's/^DOMU-REC .* t=\([0-9.]*\).*/\1/p' "$log" |
		awk 'NR > 1 && $1 - p > g { g = $1 - p } { p = $1 }
		     END { printf "%.1f", g }')
	echo "# $ID $kind: writer resumed: $resumed ($n0 records before, $((n1 - n0)) after the restart; longest write gap ${gap} s)"
	if [ "$kind" = patched ]; then
		check "patched: the writer resumes after the driver domain restart" \
			[ "$resumed" = yes ]
		section "patched: driver domain destroyed for good (timeout path)"
		xenstore-write "/local/domain/$d/data/timeout" $TIMEOUT || true
		sleep 2
		step "patched: destroying $DD for good"
		xl destroy $DD
		if wait_count "$name" '^DOMU-WERR ' 1 $((TIMEOUT + 90)); then
			echo "# $ID patched: without a backend: $(grep -m1 '^DOMU-WERR ' "$log")"
			check "patched: no backend: the writer gets an I/O error (no hang)" true
		else
			check "patched: no backend: the writer gets an I/O error (no hang)" false
		fi
	fi
	[ -z "$d" ] || xenstore-write "/local/domain/$d/data/release" 1 || true
	wait=60
	[ "$kind" = patched ] || wait=10
	wait_count "$name" '^DOMU-K-DONE' 1 $wait || true
	domu_wait_gone "$name" 20 || true
	xl destroy $DD 2>/dev/null || true
	domu_wait_gone $DD 30 || true
	losetup -d "$loop" || echo "# losetup -d $loop: exit $?"
	cp "$log" "$RESULTS/console-$name.log" 2>/dev/null || true

	# What the guest saw, and what the image holds.
	werr=$(count "$log" '^DOMU-WERR ')
	mnt=no
	grep -q '^DOMU-K-STILL-MOUNTED' "$log" && mnt=yes
	ping_line=$(grep -m1 '^DOMU-K-PING' "$log" | sed 's/^DOMU-K-PING //')
	# On a copy: replaying the journal is what any mount would do first;
	# e2fsck -p fails (exit 4 and more) on anything that is not routine.
	cp --sparse=always $IMG $IMG.fsck
	rc=0
	e2fsck -fp $IMG.fsck > /tmp/k-fsck.txt 2>&1 || rc=$?
	case $rc in
	0) fsck=clean ;;
	1) fsck="clean after journal replay" ;;
	*) fsck="errors (e2fsck -p exit $rc)"; cat /tmp/k-fsck.txt ;;
	esac
	mkdir -p /tmp/km
	acked=$(count "$log" '^DOMU-REC ')
	if mount -o ro,loop $IMG.fsck /tmp/km; then
		while read -r _ n sum _; do
			if [ -f "/tmp/km/r/$n" ] &&
			   [ "$(md5sum < "/tmp/km/r/$n" | cut -c1-32)" = "$sum" ]; then
				verified=$((verified + 1))
			else
				missing=$((missing + 1))
			fi
		done < <(grep '^DOMU-REC ' "$log")
		umount /tmp/km
	fi
	rm -f $IMG.fsck
	echo "# $ID $kind: kernel $(sed -n 's/^DOMU-K-KERNEL //p' "$log" | head -1); still mounted at the end: $mnt; writer errors: $werr; records acknowledged $acked, verified in the image $verified, missing or wrong $missing; e2fsck: $fsck; ping: ${ping_line:-none}"
	section "$kind guest console (tail)"
	grep -v '^DOMU-REC ' "$log" 2>/dev/null | tail -30 || true
	if [ "$kind" = patched ]; then
		check "patched: the file system stayed mounted" [ "$mnt" = yes ]
		check "patched: every acknowledged record reads back intact ($verified/$acked)" \
			[ "$missing" = 0 -a "$acked" -gt 0 ]
		check "patched: e2fsck clean ($fsck)" sh -c "[ $rc -le 1 ]"
		check "patched: ping resumed" sh -c "echo '$ping_line' | grep -q 'replies [1-9]'"
	fi
}

if [ -f /var/lib/duet-lab/vmlinuz ]; then
	run_guest stock /var/lib/duet-lab/vmlinuz
fi
if [ -s "$PATCHED" ]; then
	run_guest patched "$PATCHED"
else
	echo "FAIL - patched kernel in the payload ($PATCHED; make xen-kernel)"
	FAILS=$((FAILS + 1))
fi
section "driver domain console (last instance)"
tail -40 "$DDLOG" 2>/dev/null || true
finish

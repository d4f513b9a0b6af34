#!/bin/bash
# build-images.sh - build the Xen lab's images from Debian packages only.
#
#   tests/xen/build-images.sh [--force]
#   tests/xen/build-images.sh --check   exit 0 when the images are up to
#                                       date, 1 (with the reason) if not
#
# Output in $DUET_LAB_CACHE (default ~/.cache/duet-lab):
#   xen-4.17-amd64   Debian's hypervisor, unpacked with dpkg -x (never
#                    installed on the host) and gunzip'ed: QEMU's multiboot
#                    loader cannot load xen.gz
#   vmlinuz          dom0 kernel (linux-image-amd64)
#   initrd.img       dom0 initramfs (initramfs-tools: virtio_blk and ext4
#                    are modules in Debian's 6.1 kernel)
#   dom0.img         ext4 image of the dom0 root file system (mmdebstrap);
#                    it carries the domU kernel and the domU base initramfs
#                    in /var/lib/duet-lab/
#   versions.txt     exact package versions
#   stamp            hash of this script and image/*; the images are rebuilt
#                    only when it changes (or with --force)
#
# Needs root, the host's apt sources (Debian's archive) and ~4 GB free disk.
# Host tools come from tests/xen/deps.sh.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${DUET_LAB_CACHE:-$HOME/.cache/duet-lab}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
SECMIRROR=${SECMIRROR:-http://deb.debian.org/debian-security}
SUITE=bookworm
XENVER=4.17
IMG_SIZE=${IMG_SIZE:-3G}
export DEBIAN_FRONTEND=noninteractive

die() { echo "xen-image: error: $*" >&2; exit 1; }

# Every file that decides what the images contain.
inputs_hash() {
	(cd "$HERE" && sha256sum build-images.sh image/*) | sha256sum |
		cut -d' ' -f1
}

HASH=$(inputs_hash)
ARTEFACTS="xen-$XENVER-amd64 vmlinuz initrd.img dom0.img versions.txt"
# up_to_date: the stamp matches the inputs and every artefact is there.
up_to_date() {
	local f

	[ -f "$CACHE/stamp" ] || { why="no images in $CACHE"; return 1; }
	[ "$(cat "$CACHE/stamp")" = "$HASH" ] ||
		{ why="images in $CACHE are stale (tests/xen/image or build-images.sh changed)"; return 1; }
	for f in $ARTEFACTS; do
		[ -s "$CACHE/$f" ] || { why="$CACHE/$f missing"; return 1; }
	done
}
case "${1:-}" in
--check)
	up_to_date || { echo "xen-image: $why: run 'make xen-image'" >&2; exit 1; }
	exit 0
	;;
--force) ;;
'') if up_to_date; then
		echo "xen-image: up to date in $CACHE (inputs $HASH)"
		exit 0
	fi
	;;
*) die "usage: build-images.sh [--force|--check]" ;;
esac

[ "$(id -u)" -eq 0 ] || die "must run as root (mmdebstrap --mode=root, chroot)"

for t in mmdebstrap mkfs.ext4 cpio busybox modinfo apt-get dpkg; do
	command -v "$t" >/dev/null ||
		die "'$t' not found; run tests/xen/deps.sh (make xen-deps)"
done

t0=$(date +%s)
tstep=$t0
log() { echo "[xen-image +$(( $(date +%s) - t0 ))s] $*"; }
steptime() {
	local now
	now=$(date +%s)
	echo "[xen-image] step '$1' took $(( now - tstep ))s"
	tstep=$now
}

mkdir -p "$CACHE"
rm -f "$CACHE/stamp"
W="$CACHE/build.tmp"
rm -rf "$W"
mkdir -p "$W/debs" "$W/xen-stage"
ROOT="$W/dom0-root"
trap 'rm -rf "$W"' EXIT

log "1. Xen hypervisor: apt-get download + dpkg -x (not installed)"
# _apt may not write into the cache: let it, or apt downloads unsandboxed.
chmod 777 "$W/debs"
(cd "$W/debs" && apt-get download -q "xen-hypervisor-$XENVER-amd64") ||
	die "apt-get download xen-hypervisor-$XENVER-amd64 failed (apt-get update?)"
dpkg -x "$W"/debs/xen-hypervisor-$XENVER-amd64_*.deb "$W/xen-stage"
gunzip -c "$W/xen-stage/boot/xen-$XENVER-amd64.gz" > "$W/xen-$XENVER-amd64"
file "$W/xen-$XENVER-amd64" | grep -q 'ELF 32-bit' ||
	die "unpacked hypervisor is not a multiboot ELF32: $(file "$W/xen-$XENVER-amd64")"
steptime hypervisor

log "2. dom0 root file system (mmdebstrap $SUITE minbase)"
PKGS=$(grep -v '^#' "$HERE/image/packages.list" | tr -s ' \n' ',' |
	sed 's/^,//; s/,$//')
mmdebstrap --variant=minbase --mode=root -q \
	--aptopt='APT::Install-Recommends "false"' \
	--include="$PKGS" "$SUITE" "$ROOT" \
	"deb $MIRROR $SUITE main" \
	"deb $MIRROR $SUITE-updates main" \
	"deb $SECMIRROR $SUITE-security main"
KVER=$(basename "$(ls -d "$ROOT"/lib/modules/*)")
log "   kernel $KVER"
steptime mmdebstrap

log "3. configure dom0"
echo dom0 > "$ROOT/etc/hostname"
install -m 755 "$HERE/image/dom0-init" "$ROOT/sbin/duet-lab-init"
# xenconsoled logs guest consoles to /var/log/xen/console/guest-<name>.log
echo 'XENCONSOLED_ARGS="--log=guest --log-dir=/var/log/xen/console"' \
	>> "$ROOT/etc/default/xen"
mkdir -p "$ROOT/var/log/xen/console"
D="$ROOT/var/lib/duet-lab"
mkdir -p "$D"
cp "$ROOT/boot/vmlinuz-$KVER" "$D/vmlinuz"
steptime configure

log "4. domU base initramfs: busybox, front-end modules, runtime libraries"
IR="$W/domu-ir"
mkdir -p "$IR"/{bin,sbin,proc,sys,dev,tmp,run,modules,etc,lib64} \
	"$IR/lib/x86_64-linux-gnu"
cp "$ROOT/bin/busybox" "$IR/bin/busybox"
# Modules in dependency order (each after what it depends on).
declare -A seen=()
order=()
add_module() {
	local m=$1 dep
	[ -n "${seen[$m]:-}" ] && return 0
	seen[$m]=1
	for dep in $(modinfo -b "$ROOT" -k "$KVER" -F depends "$m" | tr ',' ' '); do
		add_module "$dep"
	done
	order+=("$m")
}
for m in $(grep -v '^#' "$HERE/image/domu-modules.list"); do
	modinfo -b "$ROOT" -k "$KVER" -F filename "$m" >/dev/null ||
		die "domU module $m not in kernel $KVER"
	add_module "$m"
done
for m in "${order[@]}"; do
	f=$(modinfo -b "$ROOT" -k "$KVER" -F filename "$m")
	case "$f" in
	*.ko) ;;
	*) die "module $m is compressed ($f); busybox insmod needs .ko" ;;
	esac
	cp "$f" "$IR/modules/"
	basename "$f" >> "$IR/modules/order"
done
log "   domU modules: ${order[*]}"
# Runtime libraries and their closure, as the dom0 root's ldd sees them.
libs=()
for l in $(grep -v '^#' "$HERE/image/domu-libs.list"); do
	p=$(find "$ROOT/usr/lib/x86_64-linux-gnu" -maxdepth 1 -name "$l")
	[ -n "$p" ] || die "library $l not in the dom0 root"
	libs+=("${p#"$ROOT"}")
done
for p in $( (for l in "${libs[@]}"; do
		echo "$l"
		chroot "$ROOT" ldd "$l" | awk '/=>/ { print $3 }'
	done) | sort -u); do
	cp -L "$ROOT$p" "$IR/lib/x86_64-linux-gnu/"
done
cp -L "$ROOT/lib64/ld-linux-x86-64.so.2" "$IR/lib64/"
# A placeholder /init: the test payload brings the real one at test time.
printf '#!/bin/busybox sh\necho "DOMU-FATAL no /init in the payload"\n/bin/busybox poweroff -f\n' \
	> "$IR/init"
chmod 755 "$IR/init"
(cd "$IR" && find . | sort | cpio -o -H newc --quiet | gzip -9) \
	> "$D/domu-base.cpio.gz"
log "   domU base initramfs: $(du -k "$D/domu-base.cpio.gz" | cut -f1) KiB"
steptime domu-initramfs

log "5. versions"
{
	echo "xen hypervisor deb: $(basename "$W"/debs/xen-hypervisor-*.deb)"
	echo "dom0/domU kernel: $KVER"
	chroot "$ROOT" dpkg-query -W -f='${db:Status-Abbrev} ${Package} ${Version}\n' \
		'linux-image-*' 'xen-utils-*' xenstore-utils 'libxen*' \
		liburing2 fio iperf3 nbd-client nbd-server busybox-static |
		sed -n 's/^ii  *//p'
} > "$W/versions.txt"
cp "$ROOT/boot/vmlinuz-$KVER" "$W/vmlinuz"
cp "$ROOT/boot/initrd.img-$KVER" "$W/initrd.img"
steptime versions

log "6. ext4 image of the dom0 root ($IMG_SIZE sparse)"
mkfs.ext4 -q -F -L duet-dom0 -d "$ROOT" "$W/dom0.img" "$IMG_SIZE" > /dev/null
steptime mkfs

for f in $ARTEFACTS; do
	mv -f "$W/$f" "$CACHE/$f"
done
echo "$HASH" > "$CACHE/stamp"
cat "$CACHE/versions.txt"
ls -ls --block-size=M "$CACHE"
log "done in $(( $(date +%s) - t0 ))s: $CACHE"

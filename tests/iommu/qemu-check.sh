#!/bin/sh
# make iommu-check: duet's VT-d model against QEMU's intel-iommu.
#
# Boots Debian's kernel under qemu-system-x86_64 (TCG, q35, intel-iommu
# with 39-bit address width, the edu device) with a busybox initramfs
# whose /init runs vtd-qemu (tests/iommu/vtd-qemu.c, built static with
# duet's VT-d sources).  Prints vtd-qemu's TAP: each line puts QEMU's
# result next to duet's model.  Exit 77 (skip) only when the guest cannot
# be assembled here at all, with the reason.
#
# Usage: qemu-check.sh VTD_QEMU_BINARY
# Environment: DUET_IOMMU_CACHE (default ~/.cache/duet-iommu),
# DUET_IOMMU_KERNEL (a bzImage to use), QEMU (qemu-system-x86_64),
# IOMMU_CHECK_TIMEOUT (seconds, default 300).
set -u
prog=${1:?usage: qemu-check.sh VTD_QEMU_BINARY}
cache=${DUET_IOMMU_CACHE:-$HOME/.cache/duet-iommu}
qemu=${QEMU:-qemu-system-x86_64}
limit=${IOMMU_CHECK_TIMEOUT:-300}

skip() {
	echo "1..0 # SKIP $*"
	exit 77
}

[ -x "$prog" ] || skip "no test program $prog"
# QEMU, a static busybox and cpio: installed by tools/deps.sh as root.
top=$(cd "$(dirname "$0")/../.." && pwd)
out=$(DEPS_TAG=iommu-check sh "$top/tools/deps.sh" qemu-system-x86 \
	busybox-static cpio 2>&1) || skip "$(echo "$out" | tr '\n' ' ')"
echo "# $out" | tail -n 1
command -v "$qemu" > /dev/null 2>&1 || skip "$qemu missing"
bb=/bin/busybox
[ -x "$bb" ] && ! ldd "$bb" > /dev/null 2>&1 ||
	skip "no static busybox at $bb (package busybox-static)"

# The guest kernel: given, cached, the host's, or Debian's package.
mkdir -p "$cache" || skip "cannot create $cache"
kernel=${DUET_IOMMU_KERNEL:-}
[ -n "$kernel" ] || kernel=$(ls "$cache"/x/boot/vmlinuz-* 2>/dev/null |
	sort -V | tail -n 1)
[ -n "$kernel" ] || kernel=$(ls /boot/vmlinuz-* 2>/dev/null | sort -V |
	tail -n 1)
if [ -z "$kernel" ]; then
	pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9].*-amd64\)$/\1/p' |
		head -n 1)
	[ -n "$pkg" ] || skip "no kernel: linux-image-amd64 unknown to apt"
	echo "# downloading $pkg into $cache"
	(cd "$cache" && apt-get download "$pkg" > /dev/null 2>&1) ||
		skip "cannot download $pkg"
	rm -rf "$cache/x" && mkdir -p "$cache/x" &&
		dpkg-deb -x "$(ls "$cache"/"$pkg"_*.deb | tail -n 1)" \
			"$cache/x" || skip "cannot unpack $pkg"
	kernel=$(ls "$cache"/x/boot/vmlinuz-* | sort -V | tail -n 1)
fi
[ -r "$kernel" ] || skip "kernel $kernel unreadable"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root
mkdir -p "$root/bin" "$root/dev" "$root/proc" "$root/sys"
cp "$bb" "$root/bin/busybox"
cp "$prog" "$root/vtd-qemu"
cat > "$root/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sys /sys
/bin/busybox mount -t devtmpfs dev /dev
/bin/busybox --install -s /bin
export PATH=/bin
echo never > /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null
echo 0 > /proc/sys/vm/compact_unevictable_allowed 2>/dev/null
echo 2 > /proc/sys/vm/nr_hugepages
echo "# guest up after $(cut -d' ' -f1 /proc/uptime) s"
/vtd-qemu
echo "# vtd-qemu exit $? after $(cut -d' ' -f1 /proc/uptime) s"
poweroff -f
EOF
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet > "$tmp/initrd") ||
	skip "cpio failed"

echo "# kernel $kernel, $($qemu --version | head -n 1)"
# One boot per address width: 39 bits (3-level tables), 48 (4-level).
# intel_iommu=off: the guest kernel leaves the unit (and /dev/mem access
# to its registers) to the test program.
append="console=ttyS0 intel_iommu=off intremap=off hugepages=2 panic=-1"
append="$append loglevel=1 quiet"
start=$(date +%s)
fail=0
for aw in 39 48; do
	timeout --signal=KILL "$limit" "$qemu" -accel tcg -machine q35 \
		-cpu qemu64 -smp 1 -m 512M \
		-device intel-iommu,intremap=off,aw-bits=$aw \
		-device edu,dma_mask=0xffffffffffffffff \
		-kernel "$kernel" -initrd "$tmp/initrd" \
		-append "$append" \
		-display none -serial stdio -monitor none -no-reboot \
		< /dev/null > "$tmp/console$aw" 2>&1
	rc=$?
	echo "# aw-bits=$aw: QEMU exit $rc after $(($(date +%s) - start)) s"
	tr -d '\r' < "$tmp/console$aw" |
		grep -E '^(ok |not ok |# |1\.\.|Bail out)' > "$tmp/tap$aw"
	if grep -q '^1\.\.0 # SKIP' "$tmp/tap$aw"; then
		cat "$tmp/tap$aw"
		exit 77
	fi
	if ! grep -q '^1\.\.[1-9]' "$tmp/tap$aw" ||
		grep -qE '^(not ok|Bail)' "$tmp/tap$aw"; then
		fail=1
		echo "# aw-bits=$aw console tail:" > "$tmp/tail$aw"
		tr -d '\r' < "$tmp/console$aw" | tail -n 25 |
			sed 's/^/#   /' >> "$tmp/tail$aw"
	fi
done
# One TAP stream: the two runs' checks renumbered, one plan.
cat "$tmp/tap39" "$tmp/tap48" | awk '
	/^1\.\./ { next }
	/^(ok|not ok) [0-9]+/ { n++; sub(/ok [0-9]+/, "ok " n) }
	{ print }
	END { print "1.." n }'
cat "$tmp"/tail* 2>/dev/null
echo "# boots and checks took $(($(date +%s) - start)) s"
exit $fail

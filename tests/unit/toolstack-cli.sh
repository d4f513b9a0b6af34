#!/bin/sh
# duet attach --check: parsed fields on stdout with exit 0, or one line
# naming the bad part on stderr with exit 2; attach/detach, backend,
# netfront, bench net and bench dma argument errors (exit 2, no simulator needed).  $DUET_BUILD is the build dir.
set -u
build=${DUET_BUILD:-build}
duet=$build/bin/duet
if [ ! -x "$duet" ]; then
	echo "1..0 # SKIP $duet not built"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
fail=0

# run NAME WANT_RC ARGS... : runs duet, checks the exit status
run() {
	name=$1
	want=$2
	shift 2
	"$duet" "$@" > "$tmp/out" 2> "$tmp/err"
	rc=$?
	n=$((n + 1))
	if [ "$rc" -eq "$want" ]; then
		echo "ok $n - $name (exit $rc)"
	else
		echo "not ok $n - $name (exit $rc, want $want)"
		sed 's/^/# /' "$tmp/out" "$tmp/err"
		fail=1
	fi
}

# has FILE TEXT : FILE contains the line TEXT
has() {
	n=$((n + 1))
	if grep -qxF -- "$2" "$tmp/$1"; then
		echo "ok $n -   $1 has '$2'"
	else
		echo "not ok $n -   $1 has '$2'"
		sed 's/^/# /' "$tmp/$1"
		fail=1
	fi
}

# oneline TEXT : stderr is exactly one line and contains TEXT
oneline() {
	n=$((n + 1))
	lines=$(wc -l < "$tmp/err")
	if [ "$lines" -eq 1 ] && grep -qF -- "$1" "$tmp/err" &&
	   [ ! -s "$tmp/out" ]; then
		echo "ok $n -   one-line reason naming '$1'"
	else
		echo "not ok $n -   one-line reason naming '$1'"
		sed 's/^/# /' "$tmp/err"
		fail=1
	fi
}

run "attach --help" 0 attach --help
has out "usage: duet attach --check 'disk=SPEC' | 'vif=SPEC'"

run "disk, positional form" 0 attach --check 'disk=/dev/vg/guest-volume,raw,hda,rw'
has out "device=vbd"
has out "target=/dev/vg/guest-volume"
has out "format=raw"
has out "vdev=hda"
has out "virtual-device=768"
has out "access=rw"
has out "devtype=disk"

run "disk, keyword form with a comma in target" 0 attach --check \
	'disk=vdev=xvdb, access=ro, backend=3, target=/srv/a,b'
has out "target=/srv/a,b"
has out "virtual-device=51728"
has out "access=ro"
has out "backend=3"

run "disk, deprecated phy: prefix" 0 attach --check 'disk=phy:/dev/vg/lv,xvda,w'
has out "target=/dev/vg/lv"
has out "virtual-device=51712"

run "disk, empty cdrom" 0 attach --check 'disk=,hdc:cdrom,r'
has out "devtype=cdrom"
has out "format=empty"

run "vif, man page example" 0 attach --check 'vif=mac=00:16:3E:74:3d:76,model=rtl8139,bridge=xenbr0'
has out "device=vif"
has out "mac=00:16:3e:74:3d:76"
has out "bridge=xenbr0"
has out "mtu=1500"

run "vif, empty spec" 0 attach --check 'vif='
has out "mac="

run "vif, rate" 0 attach --check 'vif=rate=1MB/s@20ms'
has out "rate=20000,20000"

run "disk, bad vdev" 2 attach --check 'disk=/dev/x,,xvdzzzzz9'
oneline 'vdev "xvdzzzzz9"'
run "disk, missing target" 2 attach --check 'disk=vdev=xvda'
oneline "missing target"
run "disk, unknown key" 2 attach --check 'disk=/dev/x,,xvda,colour=red'
oneline 'unknown parameter "colour"'
run "disk, newline in spec stays one line" 2 attach --check "disk=/dev/x
,,xvda"
oneline "control character"
run "vif, bad MAC" 2 attach --check 'vif=mac=00:16:3e:74:3d'
oneline 'mac="00:16:3e:74:3d"'
run "vif, mtu out of range" 2 attach --check 'vif=mtu=10'
oneline 'mtu="10": out of range'
run "vif, bad rate" 2 attach --check 'vif=rate=10Mbit/s'
oneline 'rate="10Mbit/s": bad rate'
run "neither disk= nor vif=" 2 attach --check 'nic=bridge=br0'
oneline "expected 'disk=SPEC' or 'vif=SPEC'"
run "--check without a spec" 2 attach --check
oneline "--check takes one"
run "no arguments" 2 attach
oneline "missing arguments"

run "attach, bad domid" 2 attach 1x 'vif='
oneline "bad domain id"
run "attach, bad spec is refused before any xenstore access" 2 attach 1 'vif=mtu=1'
oneline 'mtu="1": out of range'
run "detach --help" 0 detach --help
has out "usage: duet detach [--force] [--timeout S] DOMID DEVICE"
run "detach, missing DEVICE" 2 detach 1
oneline "expected DOMID and DEVICE"
run "detach, not a device" 2 detach 1 floppy0
oneline "DEVICE is not a vdev"

run "backend, --hotplug neither toolstack nor self" 2 backend --hotplug nobody
oneline "--hotplug takes toolstack or self"
run "backend, --hotplug without a value" 2 backend --hotplug
oneline "--hotplug takes toolstack or self"
run "netfront, --hash-mapping not numbers" 2 netfront --hash-mapping 0,x 0
oneline "bad --hash-mapping '0,x'"
run "netfront, --hash-mapping queue past 4" 2 netfront --hash-mapping 9 0
oneline "bad --hash-mapping '9'"
run "netfront, --queues past 4" 2 netfront --queues 9 0
oneline "bad --queues '9'"
run "bench net, unknown mode" 2 bench net --modes copy,teleport
oneline "bad --modes 'copy,teleport'"
run "bench net, size 0" 2 bench net --sizes 0
oneline "bad --sizes '0'"
run "bench net, size not a number" 2 bench net --sizes 64,abc
oneline "bad --sizes '64,abc'"
run "bench net, --iperf-rounds 0" 2 bench net --iperf-rounds 0
oneline "bad --iperf-rounds '0' (1..9)"
run "bench net, --iperf-rounds past 9" 2 bench net --iperf-rounds 10
oneline "bad --iperf-rounds '10' (1..9)"
run "bench net, --iperf-rounds not a number" 2 bench net --iperf-rounds 3x
oneline "bad --iperf-rounds '3x' (1..9)"
run "bench dma, unknown backend" 2 bench dma --backends direct,nope
oneline "unknown DMA backend 'nope'"
run "bench dma, duration 0" 2 bench dma --duration 0
oneline "--duration wants seconds in (0, 60]: '0'"

echo "1..$n"
exit $fail

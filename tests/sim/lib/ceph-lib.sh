# ceph-lib.sh - a single-node Ceph cluster on loopback for tests:
# ceph-mon + ceph-mgr + one ceph-osd (bluestore on a sparse CEPH_MEM_MB
# file, small caches; it keeps its objects across an OSD restart, which
# memstore does not),
# cephx on, pool size 1, everything under $1 (its ceph.conf, keyring,
# data, logs, sockets).  ceph_start DIR: 0 when `ceph -s` answers and an
# OSD is up, else 1 with the reason in $CEPH_WHY; ceph_stop DIR.
# The daemons' pids are in DIR/*.pid.
: "${CEPH_MEM_MB:=1024}"

ceph_why() { CEPH_WHY=$1; return 1; }

ceph_start() {
	cd_=$1
	mkdir -p "$cd_/mon" "$cd_/mgr" "$cd_/osd" "$cd_/run" "$cd_/log" || return 1
	for t in ceph-mon ceph-mgr ceph-osd ceph monmaptool ceph-authtool; do
		command -v $t >/dev/null 2>&1 ||
			ceph_why "$t missing (make deps: ceph-mon ceph-mgr ceph-osd ceph-common)" ||
			return 1
	done
	fsid=$(cat /proc/sys/kernel/random/uuid)
	port=$((16789 + $$ % 20000))
	cat > "$cd_/ceph.conf" <<CONF
[global]
fsid = $fsid
mon host = [v2:127.0.0.1:$port,v1:127.0.0.1:$((port + 1))]
public network = 127.0.0.0/8
ms bind ipv6 = false
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
keyring = $cd_/\$name.keyring
run dir = $cd_/run
admin socket = $cd_/run/\$name.asok
log file = $cd_/log/\$name.log
pid file = $cd_/run/\$name.pid
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
osd crush chooseleaf type = 0
osd objectstore = bluestore
bluestore block create = true
bluestore block size = $((CEPH_MEM_MB << 20))
bluestore fsck on mount = false
bluestore cache autotune = false
bluestore cache size = 67108864
osd memory target = 536870912
osd max object name len = 256
osd max object namespace len = 64
mon data = $cd_/mon/\$cluster-\$id
mgr data = $cd_/mgr/\$cluster-\$id
osd data = $cd_/osd/\$cluster-\$id
mgr initial modules =
CONF
	k=$cd_/keys
	ceph-authtool --create-keyring "$k" --gen-key -n mon. \
		--cap mon 'allow *' >/dev/null 2>&1 &&
	ceph-authtool "$k" --gen-key -n client.admin --cap mon 'allow *' \
		--cap osd 'allow *' --cap mgr 'allow *' >/dev/null 2>&1 ||
		ceph_why "ceph-authtool failed" || return 1
	cp "$k" "$cd_/mon.a.keyring"
	ceph-authtool "$k" -n client.admin -p > /dev/null
	ceph-authtool --create-keyring "$cd_/client.admin.keyring" \
		--import-keyring "$k" >/dev/null 2>&1
	monmaptool --create --addv a "[v2:127.0.0.1:$port,v1:127.0.0.1:$((port + 1))]" --fsid "$fsid" \
		"$cd_/monmap" >/dev/null 2>&1 ||
		ceph_why "monmaptool failed" || return 1
	ceph-mon -c "$cd_/ceph.conf" --mkfs -i a --monmap "$cd_/monmap" \
		--keyring "$k" >"$cd_/log/mkfs-mon" 2>&1 ||
		ceph_why "ceph-mon --mkfs: $(tail -1 "$cd_/log/mkfs-mon")" ||
		return 1
	ceph-mon -c "$cd_/ceph.conf" -i a >"$cd_/log/mon.out" 2>&1 ||
		ceph_why "ceph-mon did not start: $(tail -1 "$cd_/log/mon.out")" ||
		return 1
	C="ceph -c $cd_/ceph.conf --connect-timeout 20"
	$C -s >/dev/null 2>"$cd_/log/ceph-s" ||
		ceph_why "the monitor does not answer: $(tail -1 "$cd_/log/ceph-s")" ||
		return 1
	$C auth get-or-create mgr.x mon 'allow profile mgr' osd 'allow *' \
		-o "$cd_/mgr.x.keyring" >/dev/null 2>&1
	mkdir -p "$cd_/mgr/ceph-x"
	ceph-mgr -c "$cd_/ceph.conf" -i x >"$cd_/log/mgr.out" 2>&1 ||
		ceph_why "ceph-mgr did not start: $(tail -1 "$cd_/log/mgr.out")" ||
		return 1
	uuid=$(cat /proc/sys/kernel/random/uuid)
	id=$($C osd new "$uuid" 2>"$cd_/log/osd-new") ||
		ceph_why "ceph osd new: $(tail -1 "$cd_/log/osd-new")" || return 1
	mkdir -p "$cd_/osd/ceph-$id"
	ceph-osd -c "$cd_/ceph.conf" -i "$id" --mkfs --osd-uuid "$uuid" \
		--mkkey --no-mon-config >"$cd_/log/mkfs-osd" 2>&1 ||
		ceph_why "ceph-osd --mkfs: $(tail -1 "$cd_/log/mkfs-osd")" ||
		return 1
	$C auth add "osd.$id" osd 'allow *' mon 'allow profile osd' \
		mgr 'allow profile osd' -i "$cd_/osd.$id.keyring" \
		>"$cd_/log/osd-auth" 2>&1 ||
		ceph_why "ceph auth add osd.$id: $(tail -1 "$cd_/log/osd-auth")" ||
		return 1
	ceph-osd -c "$cd_/ceph.conf" -i "$id" >"$cd_/log/osd.out" 2>&1 ||
		ceph_why "ceph-osd did not start: $(tail -1 "$cd_/log/osd.out")" ||
		return 1
	i=0
	until $C osd stat 2>/dev/null | grep -q '1 up'; do
		i=$((i + 1))
		[ $i -gt 40 ] && { ceph_why "the OSD did not come up in 40 s: $(grep -v '^ *$' "$cd_/log/osd.0.log" | tail -1 | cut -c1-200)"; return 1; }
		sleep 1
	done
	return 0
}

ceph_stop() {
	pids=
	for p in "$1"/run/*.pid; do
		[ -f "$p" ] || continue
		pids="$pids $(cat "$p")"
	done
	[ -n "$pids" ] || return 0
	kill $pids 2>/dev/null
	i=0
	while kill -0 $pids 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1; i=$((i + 1))
	done
	kill -9 $pids 2>/dev/null
	return 0
}

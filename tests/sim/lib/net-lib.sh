# net-lib.sh - sourced by tests/sim/net-*.sh after sim-lib.sh.
# Needs root (TAP devices, network namespaces), ip, ss, ping and iperf3;
# skips otherwise.  net_setup starts the simulator with a guest (domain 1)
# and a driver domain (domain 2), each with its own network namespace, attaches
# vif 0 of the guest with domain 2 as backend (extra xl vif keys in $1),
# and starts the backend daemon (`duet backend`, which runs netback for
# the vif) in domain 2 and `duet netfront 0` (options in $2...) in
# domain 1.  The guest's
# TAP is eth0 = 10.77.0.2, the backend's vif1.0 sits on bridge br0 =
# 10.77.0.1 in domain 2.
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root (TAP, netns)"; exit 77; }
for t in ip ss ping iperf3 xenstore-read; do
	command -v $t >/dev/null 2>&1 ||
		{ echo "1..0 # SKIP $t missing (make deps)"; exit 77; }
done

GU=1
DD=2
BE=/local/domain/$DD/backend/vif/$GU/0
FE=/local/domain/$GU/device/vif/0

in_gu() { "$DUET" sim exec $GU -- "$@"; }
in_dd() { "$DUET" sim exec $DD -- "$@"; }

# wait_state PATH STATE [TENTHS]: wait (default 10 s) for a xenstore node.
wait_state() {
	i=0
	while [ "$(xenstore-read "$1" 2>/dev/null)" != "$2" ] &&
		[ $i -lt "${3:-100}" ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ "$(xenstore-read "$1" 2>/dev/null)" = "$2" ]
}

start_netback() {
	"$DUET" sim exec $DD -- "$DUET" backend ${NET_BACKEND_ARGS:-} \
		>>"$D/netback.log" 2>&1 &
	NB_PID=$!
	BG_PIDS="${BG_PIDS:-} $NB_PID"
}

# instance FIELD: the vif's instance line in the daemon's status file:
# FIELD 5 = its pid, 6 = its restarts.
instance() {
	awk -v f="$1" '$1 == "device" && $2 == "vif" && $3 == '$GU' &&
		$4 == 0 { print $f }' "$D/backend-$DD.status" 2>/dev/null
}

start_netfront() {
	"$DUET" sim exec $GU -- "$DUET" netfront "$@" 0 \
		>>"$D/netfront.log" 2>&1 &
	NF_PID=$!
	BG_PIDS="${BG_PIDS:-} $NF_PID"
}

net_setup() {
	# NET_SIM_ARGS: options of `duet sim start` (e.g. --grant-frames N).
	"$DUET" sim start ${NET_SIM_ARGS:-} >/dev/null ||
		{ echo "Bail out! no simulator"; exit 1; }
	"$DUET" sim domain create guest --netns >/dev/null &&
		"$DUET" sim domain create netdd --netns >/dev/null ||
		{ echo "Bail out! no domains with --netns"; exit 1; }
	eval "$("$DUET" sim env 0)"
	"$DUET" attach $GU "vif=backend=$DD,bridge=br0,mac=00:16:3e:00:00:02${1:+,$1}" >/dev/null ||
		{ echo "Bail out! attach failed"; exit 1; }
	# NET_BE_NODES="node=value ...": extra backend nodes (duet's own).
	for kv in ${NET_BE_NODES:-}; do
		xenstore-write "$BE/${kv%%=*}" "${kv#*=}"
	done
	in_dd ip link add br0 type bridge
	in_dd ip addr add 10.77.0.1/24 dev br0
	in_dd ip link set br0 up
	in_dd ip link set lo up
	in_gu ip link set lo up
	start_netback
	shift
	start_netfront "$@"
	# NET_HOTPLUG: a function run before the wait for Connected (plays
	# libxl's part in tests/sim/net-hotplug.sh).
	${NET_HOTPLUG:-}
	wait_state $FE/state 4 && wait_state $BE/state 4
	ok $? "frontend and backend reach Connected"
	guest_up
}

# guest_up: give the guest's eth0 its address (again, after netfront made
# a new TAP) and wait until the driver domain answers a ping.
guest_up() {
	in_gu ip addr add 10.77.0.2/24 dev eth0
	# Wait for the bridge port to forward (no STP: at once) and for
	# IPv6 DAD not to matter: IPv4 only.
	i=0
	while ! in_gu ping -c 1 -W 1 10.77.0.1 >/dev/null 2>&1 && [ $i -lt 20 ]; do
		i=$((i + 1))
	done
}

# listening DOMID: an iperf3 server listens on port 5201 in DOMID.
listening() {
	"$DUET" sim exec $1 -- ss -Hltn "sport = :5201" | grep -q .
}

# iperf_run FROM TO-ADDR SECONDS [ARGS]: a short iperf3 run from domain
# FROM to the server in the other domain (port 5201); prints "<Mbit/s>" of
# the receiver, or nothing on failure.  On a loaded machine the one-shot
# server of the run before may still hold the port while it exits, and a
# new daemonized server takes a while to listen: wait (at most 10 s each)
# for the port to be free, then for the new server to listen.
iperf_run() {
	from=$1 to=$2 secs=$3
	shift 3
	if [ "$from" = $GU ]; then srv=$DD; else srv=$GU; fi
	i=0
	while listening $srv && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	"$DUET" sim exec $srv -- iperf3 -s -1 -D -B "$to" \
		--logfile "$D/iperf-srv.log" >/dev/null 2>&1
	i=0
	until listening $srv || [ $i -ge 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	timeout $((secs + 15)) "$DUET" sim exec "$from" -- iperf3 -c "$to" \
		-t "$secs" -f m "$@" > "$D/iperf.out" 2>&1
	# The receiver's summary line: "... <n> Mbits/sec ... receiver".
	awk '/receiver/ { for (i = 1; i < NF; i++)
		if ($(i + 1) == "Mbits/sec") v = $i } END { if (v != "") print int(v) }' \
		"$D/iperf.out"
}

# csum_errors DOMID: TCP and UDP checksum errors the domain's kernel counted.
csum_errors() {
	"$DUET" sim exec "$1" -- cat /proc/net/snmp | awk '
		/^Tcp:/ { if (!t) { for (i = 1; i <= NF; i++) th[i] = $i; t = 1 }
			  else for (i = 1; i <= NF; i++) if (th[i] == "InCsumErrors") n += $i }
		/^Udp:/ { if (!u) { for (i = 1; i <= NF; i++) uh[i] = $i; u = 1 }
			  else for (i = 1; i <= NF; i++) if (uh[i] == "InCsumErrors") n += $i }
		END { print n + 0 }'
}

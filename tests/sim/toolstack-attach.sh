#!/bin/sh
# toolstack-attach.sh - issue 5's acceptance on the simulator: `duet attach
# 1 'vif=bridge=br0,backend=2'` shows libxl's layout in `xenstore-ls -f`
# with domain 2 as backend, `duet detach` removes it; the same for a disk,
# plus the CLI's refusals (exit 2 for bad specs, 1 for a missing domain or
# a device whose backend does not close).
. "$(dirname "$0")/lib/sim-lib.sh"
command -v xenstore-ls >/dev/null 2>&1 || {
	echo "1..0 # SKIP xenstore-ls missing (xenstore-utils)"; exit 77; }

"$DUET" sim start >/dev/null || { echo "Bail out! cannot start"; exit 1; }
guest=$("$DUET" sim domain create guest)
drv=$("$DUET" sim domain create netdd)
is "$guest/$drv" "1/2" "domains 1 (guest) and 2 (driver domain)"
eval "$("$DUET" sim env 0)"
xenstore-ls -f > "$D/before"

out=$("$DUET" attach 1 'vif=bridge=br0,backend=2')
ok $? "duet attach 1 'vif=bridge=br0,backend=2'"
is "$out" "attached vif 0 to domain 1" "  says what it attached"
xenstore-ls -f > "$D/ls"
val() { sed -n "s|^$1 = \"\(.*\)\"\$|\1|p" "$D/ls"; }
be=/local/domain/2/backend/vif/1/0
fe=/local/domain/1/device/vif/0
is "$(val $fe/backend)" "$be" "frontend links to domain 2's backend dir"
is "$(val $fe/backend-id)" "2" "  backend-id 2"
is "$(val $fe/state)" "1" "  frontend state Initialising"
is "$(val $fe/handle)" "0" "  handle 0"
is "$(val $be/frontend)" "$fe" "backend links to the frontend"
is "$(val $be/frontend-id)" "1" "  frontend-id 1"
is "$(val $be/online)" "1" "  online 1"
is "$(val $be/state)" "1" "  backend state Initialising"
is "$(val $be/bridge)" "br0" "  bridge br0"
is "$(val $be/script)" "/etc/xen/scripts/vif-bridge" "  script vif-bridge"
is "$(val $be/type)" "vif" "  type vif"
is "$(val $be/mac)" "$(val $fe/mac)" "  the same MAC on both sides"
is "$(val /libxl/1/device/vif/0/backend)" "$be" "/libxl records the backend"
perms=$(xenstore-ls -p $be 2>/dev/null | sed -n 's/^online = "1".*(\(.*\))$/\1/p')
is "$perms" "n2,r1" "backend nodes owned by 2, readable by 1"

"$DUET" attach 1 'vif=bridge=br0,backend=2,devid=0' 2>"$D/err"
is $? 1 "attaching devid 0 again fails (exit 1)"
grep -q "already has that device" "$D/err"; ok $? "  because it exists"

out=$("$DUET" detach 1 vif:0)
ok $? "duet detach 1 vif:0"
xenstore-ls -f > "$D/after"
cmp -s "$D/before" "$D/after"; ok $? "  the store is as before attach"

"$DUET" attach 1 'disk=/srv/guest.img,raw,xvda,rw' >/dev/null
ok $? "duet attach 1 'disk=/srv/guest.img,raw,xvda,rw'"
is "$(xenstore-read /local/domain/0/backend/vbd/1/51712/params)" \
	"/srv/guest.img" "  params under dom0's backend/vbd"
is "$(xenstore-read /local/domain/1/device/vbd/51712/virtual-device)" \
	"51712" "  virtual-device 51712"
xenstore-write /local/domain/0/backend/vbd/1/51712/state 4
"$DUET" detach --timeout 0.5 1 xvda 2>"$D/err"
is $? 1 "detach of a connected disk nobody closes: exit 1 after --timeout"
grep -q "did not reach Closed" "$D/err"; ok $? "  and says why"
is "$(xenstore-read /local/domain/0/backend/vbd/1/51712/state)" "5" \
	"  the backend was asked to close (state 5) and left in place"
"$DUET" detach --force 1 xvda >/dev/null
ok $? "detach --force 1 xvda"
xenstore-ls -f > "$D/after"
cmp -s "$D/before" "$D/after"; ok $? "  the store is as before"

"$DUET" attach 1 'disk=/x,,xvdzzzzz9' 2>"$D/err"
is $? 2 "a bad vdev: exit 2"
is "$(wc -l < "$D/err")" "1" "  one line"
"$DUET" attach 9 'vif=' 2>"$D/err"
is $? 1 "a frontend domain that does not exist: exit 1"
"$DUET" attach 1 'vif=backend=nosuch' 2>"$D/err"
is $? 1 "a backend name no domain has: exit 1"
"$DUET" detach 1 xvdq 2>"$D/err"
is $? 1 "detaching a device that is not there: exit 1"
"$DUET" detach 1 notadev 2>"$D/err"
is $? 2 "detach of something that is not a device: exit 2"
done_testing

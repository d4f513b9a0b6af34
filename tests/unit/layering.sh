#!/bin/sh
# Layering (DESIGN.md): drivers and the toolstack never include libxen*
# headers; only gnttab/platform-xen.c talks to the Xen libraries, and
# ring/ uses only Xen's public io headers and libxenstore (ring/xs.c).
# Nothing may read ../shared at build, test or run time.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
libs='xenctrl|xengnttab|xenevtchn|xenstore|xentoolcore|xenforeignmemory|xencall|xenlight|xentoollog'
n=0
fail=0
check() {
	n=$((n + 1))
	if [ -z "$2" ]; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1"
		echo "$2" | sed 's/^/# /'
		fail=1
	fi
}

hits=$(grep -rEn "#include *[<\"]($libs)[a-z_]*\.h" frontends backends \
	toolstack swiotlb iommu-glue sim include 2>/dev/null || true)
check "drivers, toolstack, simulator and public headers include no libxen* header" "$hits"

hits=$(grep -rEln "#include *[<\"]($libs)[a-z_]*\.h" gnttab 2>/dev/null |
	grep -v '^gnttab/platform-xen.c$' || true)
check "in gnttab/ only platform-xen.c includes libxen* headers" "$hits"

hits=$(grep -rEn "#include *[<\"]($libs)[a-z_]*\.h" ring 2>/dev/null |
	grep -v '^ring/xs.c:[0-9]*:#include <xenstore.h>' || true)
check "in ring/ only xs.c includes a Xen library header (libxenstore)" "$hits"

hits=$(grep -rEn '#include *"(sim|gnttab)/' frontends backends 2>/dev/null || true)
check "drivers include neither sim nor gnttab internals" "$hits"

hits=$(git grep -n -- '\.\./shared' -- ':!tests/unit/layering.sh' \
	':!*.md' 2>/dev/null || true)
check "nothing reads ../shared" "$hits"

hits=$(grep -rEn '#include *"(frontends|backends|toolstack)/' ring gnttab 2>/dev/null || true)
check "the library never includes driver or toolstack code" "$hits"
hits=$(grep -rEn '#include *"backends/' frontends 2>/dev/null || true)
check "frontends never include backend files" "$hits"

hits=$(grep -rEn '#include *"frontends/' backends 2>/dev/null || true)
check "backends never include frontend files" "$hits"

hits=$(for d in frontends/* backends/*; do
	grep -rEn '#include *"(frontends|backends)/' "$d" 2>/dev/null |
		grep -v "#include *\"$d/" || true
done)
check "no driver includes another driver's files" "$hits"

hits=$(grep -rEn '#include *"[a-z-]+/private\.h"' ring 2>/dev/null || true)
check "ring/ includes no other folder's private.h" "$hits"

hits=$(grep -rEn '#include *"(frontends|backends|toolstack|sim)/' netdev \
	2>/dev/null || true)
check "netdev/ (shared by the network drivers) includes no driver" "$hits"

hits=$(grep -rEn '#include *"toolstack/' sim 2>/dev/null || true)
check "sim/ (the simulator) never includes toolstack/ (its CLI is toolstack/cli/cmd-sim*.c)" "$hits"
echo "1..$n"
exit $fail

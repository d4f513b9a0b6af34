# xs-lib.sh - sourced by tests/sim/xenstore-*.sh: the stock xenstore-*
# tools (xenstore-utils) against the simulator's xenstore, started with
# "duet sim start --xenstored FLAVOUR".  Builds on sim-lib.sh ($DUET, the
# private directory $D, the EXIT trap, ok/is/done_testing).
#
#   xs_need TOOL...       SKIP the script (exit 77) unless all are installed
#   xs_start FLAVOUR      (re)start the simulator, its xenstore behaving
#                         like FLAVOUR (oxenstored|xenstored), with one
#                         domain besides dom0; sets DOMU (its domid)
#   d0 CMD... / d1 CMD... run CMD as dom0 / as that domain
#   denied NAME CMD...    CMD must fail (a permission denial or a tool
#                         error), and the simulator must still answer
#   XS_FLAVOURS           the flavours to run a script's checks under

. "$(dirname "$0")/lib/sim-lib.sh"

XS_FLAVOURS="oxenstored xenstored"

xs_need() {
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 ||
			{ echo "1..0 # SKIP $t missing (xenstore-utils)"; exit 77; }
	done
}

# xs_sock DOMID: the XENSTORED_PATH "duet sim env" gives DOMID.
xs_sock() {
	(eval "$("$DUET" sim env --dir "$D" "$1")" && echo "$XENSTORED_PATH")
}

xs_start() {
	"$DUET" sim stop --dir "$D" >/dev/null 2>&1
	"$DUET" sim start --dir "$D" --xenstored "$1" >/dev/null ||
		{ echo "Bail out! duet sim start --xenstored $1 failed"; exit 1; }
	DOMU=$("$DUET" sim domain create xs-domu --dir "$D") ||
		{ echo "Bail out! duet sim domain create failed"; exit 1; }
	XS0=$(xs_sock 0)
	XS1=$(xs_sock "$DOMU")
	[ -S "$XS0" ] && [ -S "$XS1" ] ||
		{ echo "Bail out! no xenstore sockets ('$XS0', '$XS1')"; exit 1; }
}

d0() { XENSTORED_PATH="$XS0" "$@"; }
d1() { XENSTORED_PATH="$XS1" "$@"; }

denied() {
	_name=$1
	shift
	_out=$("$@" 2>&1)
	_rc=$?
	ok $((_rc == 0)) "$_name"
	[ $_rc -ne 0 ] || echo "#   succeeded: $_out"
	d0 xenstore-read /local/domain/0/name >/dev/null 2>&1 ||
		{ echo "Bail out! the simulator stopped answering"; exit 1; }
}

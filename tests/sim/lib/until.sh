# until.sh - sourced by tests/sim/lib/sim-lib.sh and tests/bench/*.sh.
# until_ok SECONDS CMD...: run CMD (output discarded) every 20 ms until it
# succeeds; 1 when SECONDS passed without success.
until_ok() {
	n=$(($1 * 50)); shift
	while [ $n -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.02; n=$((n - 1))
	done
	return 1
}

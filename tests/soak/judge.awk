# judge.awk - the flatness verdict of tests/soak/soak.sh, one line per
# series and metric, from samples.csv (t_s,series,pid,metric,value):
#   series metric n base last limit basis verdict
# verdict: ok, FAIL, or skip (fewer than 3 samples to judge).
#
# The rule: S = the samples taken at t >= warmup, in time order;
#   base  = max of the first third of S (at least one sample),
#   last  = the last sample of S,
#   limit = base + slack, and the figure is flat when last <= limit.
# Slack: rss_kb   max(rss_slack kB, rss_pct % of base)
#        fds      max(fd_slack, fd_pct % of base)
#        grants   max(grant_slack, grant_pct % of base)
#        ports, bound, clients   0 (these are counts of objects that a
#        connected device holds a fixed number of)
# Instances (series vbd-<g>, vif-<g>: whichever process serves the
# device) are judged on the device's current instance, the pid of the
# last sample: S is its samples at t >= warmup and at least inst_warmup
# seconds after it was first sampled (a new instance fills its
# persistent-grant and buffer pools first).  When the current instance
# has fewer than 3 of those (it was restarted near the end), base is the
# maximum of the device's earlier instances after warm-up and last is the
# last sample: a restarted instance must not hold more than its
# predecessors did (basis "vs-earlier").
# A frontend process (series nbdkit-<g>, netfront-<g>) named in fronts
# ("<series>=<t> ...": the first kill of its device's instance) warms up
# again then: its samples before t + inst_warmup are left out (basis
# "after-kill").
BEGIN {
	nf = split(fronts, fa, " ")
	for (i = 1; i <= nf; i++) { split(fa[i], kv, "="); fk[kv[1]] = kv[2] + 0 }
}
NR == 1 { next }
$4 == "pgrants" || $4 == "diskmap_kb" { next }	# for the record only
{
	k = $2 SUBSEP $4
	if (!(k in n)) { keys[++nk] = k; n[k] = 0 }
	i = ++n[k]
	t[k, i] = $1 + 0; p[k, i] = $3; v[k, i] = $5 + 0
	if (!(($2, $3) in first)) first[$2, $3] = $1 + 0
}
function slack(m, b,   s) {
	if (m == "rss_kb") { s = b * rss_pct / 100; return s > rss_slack ? s : rss_slack }
	if (m == "fds") { s = b * fd_pct / 100; return s > fd_slack ? s : fd_slack }
	if (m == "grants") { s = b * grant_pct / 100; return s > grant_slack ? s : grant_slack }
	return 0
}
END {
	printf "%-14s %-7s %3s %9s %9s %9s %-14s %s\n", "series", "metric", "n",
		"base", "last", "limit", "basis", "verdict"
	for (j = 1; j <= nk; j++) {
		k = keys[j]; split(k, sm, SUBSEP); s = sm[1]; m = sm[2]
		inst = s ~ /^(vbd|vif)-/
		lastpid = p[k, n[k]]
		cnt = 0
		for (i = 1; i <= n[k]; i++) {
			if (t[k, i] < warmup) continue
			if (inst && (p[k, i] != lastpid ||
				     t[k, i] < first[s, lastpid] + inst_warmup))
				continue
			if ((s in fk) && t[k, i] < fk[s] + inst_warmup)
				continue
			sel[++cnt] = v[k, i]
		}
		basis = inst ? "pid-" lastpid : (s in fk) ? "after-kill" : "all"
		if (cnt >= 3) {
			third = int((cnt + 2) / 3)
			base = sel[1]
			for (i = 2; i <= third; i++) if (sel[i] > base) base = sel[i]
			last = sel[cnt]
		} else if (inst) {
			cnt = 0; base = -1
			for (i = 1; i <= n[k]; i++)
				if (t[k, i] >= warmup && p[k, i] != lastpid) {
					cnt++
					if (v[k, i] > base) base = v[k, i]
				}
			last = v[k, n[k]]
			basis = "vs-earlier"
		} else
			cnt = 0
		if (cnt == 0 || (basis != "vs-earlier" && cnt < 3)) {
			printf "%-14s %-7s %3d %9s %9s %9s %-14s %s\n", s, m, cnt,
				"-", "-", "-", basis, "skip"
			continue
		}
		limit = base + slack(m, base)
		printf "%-14s %-7s %3d %9d %9d %9d %-14s %s\n", s, m, cnt, base,
			last, limit, basis, last <= limit ? "ok" : "FAIL"
	}
}

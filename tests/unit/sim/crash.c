/* SPDX-License-Identifier: MIT */
/*
 * crash.c - a domain's process killed with SIGKILL: the daemon notices the
 * hang-up, the peer is woken and its notify is dropped (0, no hang),
 * the dead process's grants stay valid for the mapper but refuse new
 * access and are revoked (their entries freed) once unmapped; destroying
 * the domain fires @releaseDomain in xenstore.
 */
#include <poll.h>
#include <xenstore.h>

#include "tap.h"
#include "lib/simtest.h"

struct victim_info {
	duet_grant_ref_t ref;
	int port;
};

static void victim(unsigned me, unsigned peer, int wfd)
{
	struct duet_platform *p = simtest_open(me);
	struct victim_info vi;
	struct duet_evtchn *e;
	char *a;

	if (duet_gnt_share(p, (duet_domid_t)peer, 1, 0, &vi.ref,
			   (void **)&a) < 0 ||
	    duet_evtchn_open(p, &e) < 0)
		_exit(1);
	strcpy(a, "alive");
	vi.port = duet_evtchn_alloc_unbound(e, (duet_domid_t)peer);
	if (write(wfd, &vi, sizeof(vi)) != sizeof(vi))
		_exit(1);
	for (;;)
		pause();
}

/* Wait for a watch event on @xs; 1 when @path fired within @ms. */
static int watch_fired(struct xs_handle *xs, const char *path, int ms)
{
	struct pollfd pfd = { .fd = xs_fileno(xs), .events = POLLIN };
	unsigned n;
	char **v;

	while (poll(&pfd, 1, ms) == 1) {
		v = xs_read_watch(xs, &n);
		if (v && !strcmp(v[XS_WATCH_PATH], path)) {
			free(v);
			return 1;
		}
		free(v);
	}
	return 0;
}

int main(void)
{
	struct duet_platform *p2, *p1b;
	struct duet_evtchn *e2;
	struct victim_info vi;
	struct xs_handle *xs;
	duet_grant_ref_t again;
	unsigned d1, d2;
	int pfd[2], lp, st;
	char *m, *a, *val, path[128];
	void *x = NULL;
	pid_t pid;

	simtest_start(0);
	d1 = simtest_domain("victim");
	d2 = simtest_domain("peer");
	if (pipe(pfd) < 0)
		return 1;
	fflush(stdout);
	pid = fork();
	if (!pid) {
		close(pfd[0]);
		victim(d1, d2, pfd[1]);
	}
	close(pfd[1]);
	ok(read(pfd[0], &vi, sizeof(vi)) == sizeof(vi) && vi.port > 0,
	   "victim (d1, pid %d) shared ref %u and port %d", (int)pid, vi.ref,
	   vi.port);
	p2 = simtest_open(d2);
	is_int(duet_gnt_map(p2, d1, 1, &vi.ref, 0, (void **)&m), 0,
	       "peer maps the victim's page");
	is_str(m, "alive", "contents");
	is_int(duet_evtchn_open(p2, &e2), 0, "peer opens event channels");
	lp = duet_evtchn_bind(e2, (duet_domid_t)d1, (unsigned)vi.port);
	ok(lp > 0, "peer binds the victim's port");
	is_int(duet_evtchn_notify(e2, (duet_evtchn_port_t)lp), 0,
	       "notify while the victim lives");

	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	ok(WIFSIGNALED(st), "victim killed with SIGKILL");
	is_int(simtest_wait_event(e2, 5000), lp,
	       "peer is woken by the victim's death");
	is_int(duet_evtchn_notify(e2, (duet_evtchn_port_t)lp), 0,
	       "notify to the dead peer is dropped: 0, as on Xen, no hang");
	is_str(m, "alive", "the mapped page stays valid for the mapper");
	is_int(duet_gnt_map(p2, d1, 1, &vi.ref, 0, &x), -EINVAL,
	       "a new map of the dead domain's grant: -EINVAL (revoked)");
	is_int(duet_gnt_unmap(p2, m, 1), 0, "peer unmaps");
	p1b = simtest_open(d1);
	is_int(duet_gnt_share(p1b, d2, 1, 0, &again, (void **)&a), 0,
	       "a restarted victim process shares again");
	is_int(again, vi.ref, "and gets the freed entry back: the grant was "
	       "revoked once unmapped");
	duet_platform_close(p1b);

	snprintf(path, sizeof(path), "%s/xs-0.sock", simtest_dir);
	setenv("XENSTORED_PATH", path, 1);
	xs = xs_open(0);
	ok(xs != NULL, "xenstore connection as dom0");
	if (!xs)
		return done_testing();
	ok(xs_watch(xs, "@releaseDomain", "rel"), "watch @releaseDomain");
	ok(watch_fired(xs, "@releaseDomain", 2000), "initial watch event");
	snprintf(path, sizeof(path), "/local/domain/%u/name", d1);
	val = xs_read(xs, XBT_NULL, path, NULL);
	ok(val != NULL, "victim's xenstore directory exists");
	free(val);
	is_int(simctl_domain_destroy(simtest_dir, d1), 0, "destroy victim");
	ok(watch_fired(xs, "@releaseDomain", 5000), "@releaseDomain fired");
	val = xs_read(xs, XBT_NULL, path, NULL);
	ok(val == NULL, "its xenstore directory is gone");
	free(val);
	is_int(simctl_domain_destroy(simtest_dir, d1), -ESRCH,
	       "destroying it again: -ESRCH");
	is_int(simctl_domain_destroy(simtest_dir, 0), -EPERM,
	       "domain 0 cannot be destroyed: -EPERM");
	xs_close(xs);
	duet_evtchn_close(e2);
	duet_platform_close(p2);
	return done_testing();
}

/* SPDX-License-Identifier: MIT */
/*
 * evtchn.c - sim event channels: alloc-unbound/bind, delivery through the
 * pollable fd, masking until unmask (an event while masked is delivered on
 * unmask), refusals with the errnos of Linux's evtchn driver on Xen, a
 * notify after the peer closed dropped with 0 (Xen's EVTCHNOP_send on an
 * unbound port) and the port bindable again by the peer's domain; then a
 * cross-process ping-pong.
 */
#include "tap.h"
#include "lib/simtest.h"

#define ROUNDS 500

static int pong_child(unsigned me, unsigned peer, unsigned port)
{
	struct duet_platform *p;
	struct duet_evtchn *e;
	int lp, rc, n = 0;

	lp = simtest_bind_peer(me, peer, port, &p, &e);
	if (lp < 0)
		return 2;
	rc = 0;
	while (rc >= 0 && n < ROUNDS) {
		rc = simtest_wait_event(e, 5000);
		if (rc >= 0)
			rc = duet_evtchn_unmask(e, (duet_evtchn_port_t)lp);
		if (rc >= 0)
			rc = duet_evtchn_notify(e, (duet_evtchn_port_t)lp);
		n += rc >= 0;
	}
	if (n != ROUNDS)
		return 3;
	/* The pinger closes: we are woken, and a notify is dropped. */
	if (simtest_wait_event(e, 5000) != lp)
		return 4;
	return duet_evtchn_notify(e, (duet_evtchn_port_t)lp) == 0 ? 0 : 5;
}

int main(void)
{
	struct duet_platform *p1, *p2, *p3;
	struct duet_evtchn *e1, *e2, *e3;
	unsigned d1, d2, d3, i;
	int a, b, c, rc, st;
	pid_t pid;

	simtest_start(0);
	d1 = simtest_domain("front");
	d2 = simtest_domain("back");
	d3 = simtest_domain("other");
	p1 = simtest_open(d1);
	p2 = simtest_open(d2);
	p3 = simtest_open(d3);
	is_int(duet_evtchn_open(p1, &e1), 0, "open handle in d1");
	is_int(duet_evtchn_open(p2, &e2), 0, "open handle in d2");
	is_int(duet_evtchn_open(p3, &e3), 0, "open handle in d3");
	ok(duet_evtchn_fd(e1) >= 0, "pollable fd");

	a = duet_evtchn_alloc_unbound(e1, (duet_domid_t)d2);
	ok(a > 0, "d1 allocates an unbound port for d2 (%d)", a);
	is_int(duet_evtchn_alloc_unbound(e1, 999), -ESRCH,
	       "unbound port for a missing domain: -ESRCH");
	is_int(duet_evtchn_bind(e3, (duet_domid_t)d1, (unsigned)a), -EINVAL,
	       "d3 binds d1's port meant for d2: -EINVAL");
	is_int(duet_evtchn_bind(e2, 999, (unsigned)a), -ESRCH,
	       "bind to a missing domain: -ESRCH");
	is_int(duet_evtchn_bind(e2, (duet_domid_t)d1, 100000), -EINVAL,
	       "bind to a port out of range: -EINVAL");
	is_int(duet_evtchn_pending(e1), -EAGAIN, "nothing pending yet");
	is_int(duet_evtchn_notify(e1, (duet_evtchn_port_t)a), 0,
	       "notify on a port nobody bound yet is dropped (as Xen)");
	b = duet_evtchn_bind(e2, (duet_domid_t)d1, (unsigned)a);
	ok(b > 0, "d2 binds it (%d)", b);
	is_int(duet_evtchn_bind(e2, (duet_domid_t)d1, (unsigned)a), -EINVAL,
	       "binding the same port twice: -EINVAL");
	is_int(duet_evtchn_notify(e3, (duet_evtchn_port_t)b), -ENOTCONN,
	       "notify on a port that is not ours: -ENOTCONN");
	is_int(duet_evtchn_unbind(e3, (duet_evtchn_port_t)b), -ENOTCONN,
	       "unbind of a port that is not ours: -ENOTCONN");
	is_int(duet_evtchn_unbind(e3, 0), -EINVAL, "unbind of port 0: -EINVAL");
	is_int(duet_evtchn_unmask(e3, (duet_evtchn_port_t)b), 0,
	       "unmask of a port that is not ours is skipped: 0");
	is_int(simtest_wait_event(e3, 100), -ETIMEDOUT,
	       "  and delivers nothing");

	is_int(duet_evtchn_notify(e2, (duet_evtchn_port_t)b), 0, "d2 notifies");
	is_int(simtest_wait_event(e1, 2000), a, "d1 gets the event on its fd");
	is_int(duet_evtchn_pending(e1), -EAGAIN, "delivered once");
	is_int(duet_evtchn_notify(e2, (duet_evtchn_port_t)b), 0,
	       "notify while masked");
	is_int(simtest_wait_event(e1, 100), -ETIMEDOUT,
	       "not delivered while masked");
	is_int(duet_evtchn_unmask(e1, (duet_evtchn_port_t)a), 0, "unmask");
	is_int(simtest_wait_event(e1, 2000), a,
	       "the event that came while masked arrives on unmask");
	is_int(duet_evtchn_unmask(e1, (duet_evtchn_port_t)a), 0, "unmask");
	is_int(duet_evtchn_notify(e1, (duet_evtchn_port_t)a), 0,
	       "d1 notifies back");
	is_int(simtest_wait_event(e2, 2000), b, "d2 gets it");
	is_int(duet_evtchn_unmask(e2, (duet_evtchn_port_t)b), 0, "unmask");

	is_int(duet_evtchn_unbind(e1, (duet_evtchn_port_t)a), 0,
	       "d1 closes its port");
	is_int(simtest_wait_event(e2, 2000), b,
	       "d2 is woken when the peer closes");
	is_int(duet_evtchn_unmask(e2, (duet_evtchn_port_t)b), 0, "unmask");
	is_int(duet_evtchn_notify(e2, (duet_evtchn_port_t)b), 0,
	       "notify to a closed peer is dropped: 0, as on Xen");
	is_int(simtest_wait_event(e1, 100), -ETIMEDOUT,
	       "  and reaches nobody");
	is_int(duet_evtchn_notify(e1, (duet_evtchn_port_t)a), -ENOTCONN,
	       "notify on the closed port: -ENOTCONN");
	is_int(duet_evtchn_bind(e3, (duet_domid_t)d2, (unsigned)b), -EINVAL,
	       "the peer's port is unbound again, for d1 only: d3 -EINVAL");
	c = duet_evtchn_bind(e1, (duet_domid_t)d2, (unsigned)b);
	ok(c > 0, "d1 binds the peer's port again (%d)", c);
	is_int(duet_evtchn_notify(e2, (duet_evtchn_port_t)b), 0,
	       "d2 notifies on it");
	is_int(simtest_wait_event(e1, 2000), c, "d1 gets the event");
	is_int(duet_evtchn_unbind(e1, (duet_evtchn_port_t)c), 0, "d1 unbinds");
	is_int(simtest_wait_event(e2, 2000), b, "d2 is woken again");
	is_int(duet_evtchn_unmask(e2, (duet_evtchn_port_t)b), 0, "unmask");
	is_int(duet_evtchn_unbind(e2, (duet_evtchn_port_t)b), 0, "unbind");

	/* Closing the handle closes its ports. */
	c = duet_evtchn_alloc_unbound(e3, (duet_domid_t)d2);
	b = duet_evtchn_bind(e2, (duet_domid_t)d3, (unsigned)c);
	ok(c > 0 && b > 0, "d2 <-> d3 channel");
	duet_evtchn_close(e3);
	is_int(simtest_wait_event(e2, 2000), b, "peer handle closed: woken");
	is_int(duet_evtchn_notify(e2, (duet_evtchn_port_t)b), 0,
	       "and a notify is dropped: 0");

	/* Cross-process ping-pong: d2 in a child process. */
	a = duet_evtchn_alloc_unbound(e1, (duet_domid_t)d2);
	fflush(stdout);
	pid = fork();
	if (!pid) {
		/* Drop the parent's connections, or its close goes unseen. */
		close_range(3, ~0u, 0);
		_exit(pong_child(d2, d1, (unsigned)a));
	}
	rc = simtest_wait_event(e1, 5000);
	is_int(rc, a, "child bound and said hello");
	duet_evtchn_unmask(e1, (duet_evtchn_port_t)a);
	for (i = 0; i < ROUNDS && rc >= 0; i++) {
		rc = duet_evtchn_notify(e1, (duet_evtchn_port_t)a);
		if (rc >= 0)
			rc = simtest_wait_event(e1, 5000);
		if (rc >= 0)
			rc = duet_evtchn_unmask(e1, (duet_evtchn_port_t)a);
	}
	is_int(i, ROUNDS, "%d round trips across processes", ROUNDS);
	duet_evtchn_close(e1);
	waitpid(pid, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	   "child answered every ping, was woken by the close, and its "
	   "notify then was dropped (status %d)", st);

	duet_evtchn_close(e2);
	duet_platform_close(p3);
	duet_platform_close(p2);
	duet_platform_close(p1);
	return done_testing();
}

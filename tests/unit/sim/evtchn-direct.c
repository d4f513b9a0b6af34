/* SPDX-License-Identifier: MIT */
/*
 * evtchn-direct.c - the direct notify path (a peer port's doorbell held
 * by the notifier, no daemon in between) keeps Xen's isolation: once a
 * binding ends, the doorbell a peer still holds reaches nobody -- not the
 * closed port, and not a new port that reuses its number -- and a new
 * binding of the same port is reached only after the daemon hands out the
 * new doorbell.  Events sent while a port is masked coalesce into one.
 * All of it twice: with plain handles, and with spinning ones
 * (DUET_SIM_EVTCHN_SPIN_US), whose notifies go through the port's cell.
 */
#include "tap.h"
#include "lib/simtest.h"

static const char *mode = "";

/* The whole story, with handles opened in the current mode. */
static int scenario(unsigned d1, unsigned d2, unsigned d3)
{
	struct duet_platform *p1, *p2, *p3;
	struct duet_evtchn *e1, *e2, *e3;
	unsigned i;
	int a, a2, b, c;

	p1 = simtest_open(d1);
	p2 = simtest_open(d2);
	p3 = simtest_open(d3);
	if (duet_evtchn_open(p1, &e1) || duet_evtchn_open(p2, &e2) ||
	    duet_evtchn_open(p3, &e3)) {
		printf("Bail out! cannot open event-channel handles\n");
		return 1;
	}
	printf("# %shandles\n", mode);

	a = duet_evtchn_alloc_unbound(e1, (duet_domid_t)d2);
	b = duet_evtchn_bind(e2, (duet_domid_t)d1, (unsigned)a);
	ok(a > 0 && b > 0, "d1:%d <-> d2:%d bound", a, b);
	for (i = 0; i < 100; i++)
		if (duet_evtchn_notify(e2, (duet_evtchn_port_t)b))
			break;
	is_int(i, 100, "100 direct notifies while d1 has not looked");
	is_int(simtest_wait_event(e1, 2000), a, "d1 sees its port");
	is_int(duet_evtchn_pending(e1), -EAGAIN,
	       "once: the 100 events coalesced while masked");
	is_int(duet_evtchn_unmask(e1, (duet_evtchn_port_t)a), 0, "unmask");
	is_int(simtest_wait_event(e1, 100), -ETIMEDOUT,
	       "and none is left over after unmask");

	is_int(duet_evtchn_unbind(e1, (duet_evtchn_port_t)a), 0,
	       "d1 closes its port");
	is_int(simtest_wait_event(e2, 2000), b, "d2 is woken by the close");
	duet_evtchn_unmask(e2, (duet_evtchn_port_t)b);
	a2 = duet_evtchn_alloc_unbound(e1, (duet_domid_t)d2);
	ok(a2 > 0, "d1 allocates a new port for d2 (%d%s)", a2,
	   a2 == a ? ", the closed port's number" : "");
	is_int(duet_evtchn_notify(e2, (duet_evtchn_port_t)b), 0,
	       "d2 notifies on its now unbound port: 0, as on Xen");
	is_int(simtest_wait_event(e1, 200), -ETIMEDOUT,
	       "the doorbell d2 held reaches neither the closed port nor "
	       "the new one");

	is_int(duet_evtchn_bind(e3, (duet_domid_t)d2, (unsigned)b), -EINVAL,
	       "d3 cannot bind d2's port meant for d1");
	is_int(duet_evtchn_notify(e3, (duet_evtchn_port_t)b), -ENOTCONN,
	       "d3 cannot notify a port of d2's");
	is_int(simtest_wait_event(e2, 100), -ETIMEDOUT, "d2 got nothing");

	c = duet_evtchn_bind(e1, (duet_domid_t)d2, (unsigned)b);
	ok(c > 0, "d1 binds d2's port again (%d)", c);
	is_int(duet_evtchn_notify(e2, (duet_evtchn_port_t)b), 0,
	       "d2 notifies the new binding");
	is_int(simtest_wait_event(e1, 2000), c,
	       "it reaches the new port only (through the new doorbell)");
	is_int(simtest_wait_event(e1, 100), -ETIMEDOUT,
	       "and not the unbound port a2");
	duet_evtchn_unmask(e1, (duet_evtchn_port_t)c);
	is_int(duet_evtchn_notify(e1, (duet_evtchn_port_t)c), 0,
	       "d1 notifies back");
	is_int(simtest_wait_event(e2, 2000), b, "d2 gets it");

	duet_evtchn_close(e3);
	duet_evtchn_close(e2);
	duet_evtchn_close(e1);
	duet_platform_close(p3);
	duet_platform_close(p2);
	duet_platform_close(p1);
	return 0;
}

int main(void)
{
	unsigned d1, d2, d3;

	simtest_start(0);
	d1 = simtest_domain("front");
	d2 = simtest_domain("back");
	d3 = simtest_domain("other");
	unsetenv("DUET_SIM_EVTCHN_SPIN_US");
	if (scenario(d1, d2, d3))
		return 1;
	/* Again with spin-before-sleep: notifies skip the doorbell while
	 * the owner spins, the event is the port's cell; the same rules
	 * hold (a stale cell, like a stale doorbell, reaches nobody). */
	setenv("DUET_SIM_EVTCHN_SPIN_US", "200", 1);
	mode = "spinning: ";
	if (scenario(d1, d2, d3))
		return 1;
	setenv("DUET_SIM_EVTCHN_SPIN_US", "x", 1);
	{
		struct duet_platform *p = simtest_open(d1);
		struct duet_evtchn *e = NULL;

		is_int(duet_evtchn_open(p, &e), -EINVAL,
		       "DUET_SIM_EVTCHN_SPIN_US=x: -EINVAL");
		setenv("DUET_SIM_EVTCHN_SPIN_US", "10001", 1);
		is_int(duet_evtchn_open(p, &e), -EINVAL,
		       "DUET_SIM_EVTCHN_SPIN_US=10001 (over 10 ms): -EINVAL");
		duet_platform_close(p);
	}
	return done_testing();
}

/* SPDX-License-Identifier: MIT */
/*
 * sim-evtchn.c - simulator event-channel round trip between two processes
 * in two domains (notify, wake on the fd, unmask, notify back), printed in
 * microseconds, never asserted.
 */
#include <time.h>

#include "lib/simtest.h"

#define ROUNDS 5000

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int pong(unsigned me, unsigned peer, unsigned port)
{
	struct duet_platform *p = simtest_open(me);
	struct duet_evtchn *e;
	int lp, rc;

	if (duet_evtchn_open(p, &e) < 0)
		return 1;
	lp = duet_evtchn_bind(e, (duet_domid_t)peer, port);
	if (lp < 0)
		return 1;
	rc = duet_evtchn_notify(e, (duet_evtchn_port_t)lp);
	while (rc >= 0) {
		rc = simtest_wait_event(e, 10000);
		if (rc >= 0)
			rc = duet_evtchn_unmask(e, (duet_evtchn_port_t)lp);
		if (rc >= 0)
			rc = duet_evtchn_notify(e, (duet_evtchn_port_t)lp);
	}
	return 0;
}

int main(void)
{
	struct duet_platform *p1;
	struct duet_evtchn *e;
	unsigned d1, d2, i;
	int port, rc;
	double t0, t1;
	pid_t pid;

	simtest_start(0);
	d1 = simtest_domain("ping");
	d2 = simtest_domain("pong");
	p1 = simtest_open(d1);
	if (duet_evtchn_open(p1, &e) < 0)
		return 1;
	port = duet_evtchn_alloc_unbound(e, (duet_domid_t)d2);
	fflush(stdout);
	pid = fork();
	if (!pid) {
		close_range(3, ~0u, 0);
		_exit(pong(d2, d1, (unsigned)port));
	}
	rc = simtest_wait_event(e, 10000);
	if (rc >= 0)
		rc = duet_evtchn_unmask(e, (duet_evtchn_port_t)port);
	t0 = now_us();
	for (i = 0; i < ROUNDS && rc >= 0; i++) {
		rc = duet_evtchn_notify(e, (duet_evtchn_port_t)port);
		if (rc >= 0)
			rc = simtest_wait_event(e, 10000);
		if (rc >= 0)
			rc = duet_evtchn_unmask(e, (duet_evtchn_port_t)port);
	}
	t1 = now_us();
	printf("simulator event channel (two processes, two domains):\n");
	printf("round trip:                  %10.1f us  (%u rounds%s)\n",
	       (t1 - t0) / (i ? i : 1), i, rc < 0 ? ", ERROR" : "");
	t0 = now_us();
	for (i = 0; i < ROUNDS; i++)
		duet_evtchn_unmask(e, (duet_evtchn_port_t)port);
	printf("one control request (unmask): %9.1f us\n",
	       (now_us() - t0) / ROUNDS);
	duet_evtchn_close(e);
	waitpid(pid, NULL, 0);
	duet_platform_close(p1);
	return 0;
}

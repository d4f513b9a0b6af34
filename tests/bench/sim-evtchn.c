/* SPDX-License-Identifier: MIT */
/*
 * sim-evtchn.c - simulator event-channel round trip between two processes
 * in two domains (notify, wake on the fd, unmask, notify back), printed in
 * microseconds next to its physical limit measured in the same run: a
 * bare eventfd ping-pong between two processes (one wake-up each way).
 * Never asserted.
 */
#include <poll.h>
#include <sys/eventfd.h>
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

/* Bare eventfd ping-pong: @a wakes the child, @b wakes us. */
static double eventfd_rtt(void)
{
	int a = eventfd(0, EFD_CLOEXEC), b = eventfd(0, EFD_CLOEXEC);
	uint64_t v = 1;
	double t0, t1;
	unsigned i;
	pid_t pid;

	if (a < 0 || b < 0)
		return -1;
	pid = fork();
	if (!pid) {
		for (i = 0; i < ROUNDS; i++) {
			if (read(a, &v, sizeof(v)) != sizeof(v) ||
			    write(b, &v, sizeof(v)) != sizeof(v))
				_exit(1);
		}
		_exit(0);
	}
	t0 = now_us();
	for (i = 0; i < ROUNDS; i++) {
		struct pollfd pfd = { .fd = b, .events = POLLIN };

		v = 1;
		if (write(a, &v, sizeof(v)) != sizeof(v) ||
		    poll(&pfd, 1, 10000) != 1 ||
		    read(b, &v, sizeof(v)) != sizeof(v))
			break;
	}
	t1 = now_us();
	waitpid(pid, NULL, 0);
	close(a);
	close(b);
	return i == ROUNDS ? (t1 - t0) / ROUNDS : -1;
}

int main(void)
{
	struct duet_platform *p1;
	struct duet_evtchn *e;
	unsigned d1, d2, i;
	int port, rc;
	double t0, t1, limit;
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
	limit = eventfd_rtt();
	printf("simulator event channel (two processes, two domains):\n");
	printf("round trip:                  %10.1f us  (%u rounds%s)\n",
	       (t1 - t0) / (i ? i : 1), i, rc < 0 ? ", ERROR" : "");
	printf("bare eventfd ping-pong:      %10.1f us  (the limit, same "
	       "run)\n", limit);
	if (limit > 0)
		printf("ratio to the limit:          %10.2f x  (goal <= 1.25)\n",
		       (t1 - t0) / (i ? i : 1) / limit);
	t0 = now_us();
	for (i = 0; i < ROUNDS; i++)
		duet_evtchn_unmask(e, (duet_evtchn_port_t)port);
	printf("unmask (no daemon):          %10.2f us\n",
	       (now_us() - t0) / ROUNDS);
	duet_evtchn_close(e);
	waitpid(pid, NULL, 0);
	duet_platform_close(p1);
	return 0;
}

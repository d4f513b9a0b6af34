/* SPDX-License-Identifier: MIT */
/*
 * sim-evtchn.c - simulator event-channel round trip between two processes
 * in two domains (notify, wake on the fd, unmask, notify back), printed in
 * microseconds next to its physical limit measured in the same run: a
 * bare eventfd ping-pong between two processes (one wake-up each way);
 * then the same with the spin-before-sleep knob on
 * (DUET_SIM_EVTCHN_SPIN_US=50), next to its own limit, two processes
 * bouncing a cache line.  Never asserted.
 */
#include <poll.h>
#include <stdatomic.h>
#include <sys/mman.h>
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

/* Two processes bouncing one cache line (a shared counter, spinning):
 * the limit of a round trip with no system call at all. */
static double cacheline_rtt(void)
{
	_Atomic uint32_t *w = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	unsigned i, n = ROUNDS * 20;
	double t0, t1;
	pid_t pid;

	if (w == MAP_FAILED)
		return -1;
	atomic_store(w, 0);
	pid = fork();
	if (!pid) {
		for (i = 0; i < n; i++) {
			while (atomic_load(w) != 2 * i + 1)
				__builtin_ia32_pause();
			atomic_store(w, 2 * i + 2);
		}
		_exit(0);
	}
	t0 = now_us();
	for (i = 0; i < n; i++) {
		atomic_store(w, 2 * i + 1);
		while (atomic_load(w) != 2 * i + 2)
			__builtin_ia32_pause();
	}
	t1 = now_us();
	waitpid(pid, NULL, 0);
	munmap((void *)w, 4096);
	return (t1 - t0) / n;
}

/* The simulator's round trip (handles opened with the current
 * DUET_SIM_EVTCHN_SPIN_US), in us; *@unmask_us the cost of an unmask. */
static double sim_rtt(unsigned d1, unsigned d2, double *unmask_us)
{
	struct duet_platform *p1 = simtest_open(d1);
	struct duet_evtchn *e;
	unsigned i;
	int port, rc;
	double t0, t1;
	pid_t pid;

	if (duet_evtchn_open(p1, &e) < 0)
		return -1;
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
	t0 = i == ROUNDS ? (t1 - t0) / ROUNDS : -1;
	t1 = now_us();
	for (i = 0; i < ROUNDS; i++)
		duet_evtchn_unmask(e, (duet_evtchn_port_t)port);
	*unmask_us = (now_us() - t1) / ROUNDS;
	duet_evtchn_close(e);
	waitpid(pid, NULL, 0);
	duet_platform_close(p1);
	return t0;
}

int main(void)
{
	double rtt, spin, limit, line, unmask, unmask_spin;
	unsigned d1, d2;

	simtest_start(0);
	d1 = simtest_domain("ping");
	d2 = simtest_domain("pong");
	unsetenv("DUET_SIM_EVTCHN_SPIN_US");
	rtt = sim_rtt(d1, d2, &unmask);
	setenv("DUET_SIM_EVTCHN_SPIN_US", "50", 1);
	spin = sim_rtt(d1, d2, &unmask_spin);
	unsetenv("DUET_SIM_EVTCHN_SPIN_US");
	limit = eventfd_rtt();
	line = cacheline_rtt();
	printf("simulator event channel (two processes, two domains):\n");
	printf("round trip:                  %10.1f us%s\n", rtt,
	       rtt < 0 ? "  (ERROR)" : "");
	printf("bare eventfd ping-pong:      %10.1f us  (the limit, same "
	       "run)\n", limit);
	if (limit > 0 && rtt > 0)
		printf("ratio to the limit:          %10.2f x  (goal <= 1.25)\n",
		       rtt / limit);
	printf("unmask (no daemon):          %10.2f us\n", unmask);
	printf("round trip, spin 50 us:      %10.2f us%s  "
	       "(DUET_SIM_EVTCHN_SPIN_US=50)\n", spin,
	       spin < 0 ? "  (ERROR)" : "");
	printf("cache-line ping-pong:        %10.2f us  (its limit, same "
	       "run)\n", line);
	if (line > 0 && spin > 0)
		printf("ratio to the limit:          %10.2f x\n", spin / line);
	printf("unmask, spinning handle:     %10.2f us\n", unmask_spin);
	return 0;
}

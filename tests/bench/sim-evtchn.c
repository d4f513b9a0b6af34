/* SPDX-License-Identifier: MIT */
/*
 * sim-evtchn.c - simulator event-channel round trip between two processes
 * in two domains (notify, wake on the fd, unmask, notify back), printed in
 * microseconds next to its physical limit: a bare eventfd ping-pong
 * between two processes (one wake-up each way); then the same with the
 * spin-before-sleep knob on (DUET_SIM_EVTCHN_SPIN_US=50), next to its own
 * limit, two processes bouncing a cache line.  Each measurement and its
 * limit run in CHUNKS interleaved chunks (simulator, limit, simulator,
 * ...) of ROUNDS / CHUNKS round trips, and each is the median chunk, so
 * that a change of load during the run (another build) weighs on both
 * alike and the ratio of the two medians stays meaningful; the measuring
 * process and its peers are pinned to two different CPUs (pin()).  Never
 * asserted.
 */
#include <poll.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/eventfd.h>
#include <time.h>

#include "lib/simtest.h"

#define ROUNDS 5000
#define CHUNKS 10
#define CHUNK (ROUNDS / CHUNKS)
#define LINE_CHUNK (CHUNK * 20)     /* cache-line round trips per chunk */

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/*
 * Pin the calling process to CPU @cpu of those it may use (PIN_PARENT for
 * the measuring side, PIN_CHILD for its peers), when there are at least
 * two: both pairs then measure a wake-up across CPUs, instead of a mix of
 * same-CPU and cross-CPU wake-ups that changes with the scheduler's
 * placement from run to run (9 to 24 us for the bare eventfd ping-pong
 * on one idle 2-CPU machine).
 */
enum { PIN_PARENT, PIN_CHILD };
static int pin_cpu[2] = { -1, -1 };

/* Choose the two CPUs, once, before anything is pinned. */
static void pin_choose(void)
{
	cpu_set_t set;
	int cpu, n = 0;

	if (sched_getaffinity(0, sizeof(set), &set) || CPU_COUNT(&set) < 2)
		return;
	for (cpu = 0; cpu < CPU_SETSIZE && n < 2; cpu++)
		if (CPU_ISSET(cpu, &set))
			pin_cpu[n++] = cpu;
}

static void pin(int which)
{
	cpu_set_t one;

	if (pin_cpu[which] < 0)
		return;
	CPU_ZERO(&one);
	CPU_SET(pin_cpu[which], &one);
	sched_setaffinity(0, sizeof(one), &one);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The median of @n chunk times (sorted in place), -1 if one failed. */
static double median(double *t, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (t[i] < 0)
			return -1;
	qsort(t, n, sizeof(*t), cmp_double);
	return n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
}

static int pong(unsigned me, unsigned peer, unsigned port)
{
	struct duet_platform *p;
	struct duet_evtchn *e;
	int lp, rc = 0;

	lp = simtest_bind_peer(me, peer, port, &p, &e);
	if (lp < 0)
		return 1;
	while (rc >= 0) {
		rc = simtest_wait_event(e, 10000);
		if (rc >= 0)
			rc = duet_evtchn_unmask(e, (duet_evtchn_port_t)lp);
		if (rc >= 0)
			rc = duet_evtchn_notify(e, (duet_evtchn_port_t)lp);
	}
	return 0;
}

/*
 * The simulator's side: a handle of domain d1 (opened with the current
 * DUET_SIM_EVTCHN_SPIN_US) and a pong process in d2 bound to its port,
 * kept across chunks.
 */
struct sim_pp {
	struct duet_platform *p;
	struct duet_evtchn *e;
	int port;
	pid_t pid;
};

static int sim_open(struct sim_pp *s, unsigned d1, unsigned d2)
{
	int rc;

	s->p = simtest_open(d1);
	s->e = NULL;
	s->pid = -1;
	if (duet_evtchn_open(s->p, &s->e) < 0) {
		s->e = NULL;
		return -1;
	}
	s->port = duet_evtchn_alloc_unbound(s->e, (duet_domid_t)d2);
	fflush(stdout);
	s->pid = fork();
	if (!s->pid) {
		pin(PIN_CHILD);
		close_range(3, ~0u, 0);
		_exit(pong(d2, d1, (unsigned)s->port));
	}
	rc = simtest_wait_event(s->e, 10000);
	if (rc >= 0)
		rc = duet_evtchn_unmask(s->e, (duet_evtchn_port_t)s->port);
	return rc < 0 ? -1 : 0;
}

/* @n round trips: us per round trip, or -1. */
static double sim_chunk(struct sim_pp *s, unsigned n)
{
	double t0 = now_us();
	unsigned i;
	int rc = 0;

	for (i = 0; i < n && rc >= 0; i++) {
		rc = duet_evtchn_notify(s->e, (duet_evtchn_port_t)s->port);
		if (rc >= 0)
			rc = simtest_wait_event(s->e, 10000);
		if (rc >= 0)
			rc = duet_evtchn_unmask(s->e,
						(duet_evtchn_port_t)s->port);
	}
	return rc >= 0 ? (now_us() - t0) / n : -1;
}

/* The cost of an unmask (of an unmasked port: no system call), in us. */
static double sim_unmask(struct sim_pp *s)
{
	double t0 = now_us();
	unsigned i;

	for (i = 0; i < ROUNDS; i++)
		duet_evtchn_unmask(s->e, (duet_evtchn_port_t)s->port);
	return (now_us() - t0) / ROUNDS;
}

/* Close our handle and end the pong (which would wait out its 10 s). */
static void sim_close(struct sim_pp *s)
{
	if (s->e)
		duet_evtchn_close(s->e);
	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		waitpid(s->pid, NULL, 0);
	}
	duet_platform_close(s->p);
}

/*
 * Bare eventfd ping-pong: @a wakes the child, @b wakes us; the child
 * lives across chunks (asleep in read() between them) and leaves when
 * @a's count is not 1.
 */
struct efd_pp {
	int a, b;
	pid_t pid;
};

static int efd_open(struct efd_pp *f)
{
	uint64_t v;

	f->a = eventfd(0, EFD_CLOEXEC);
	f->b = eventfd(0, EFD_CLOEXEC);
	f->pid = -1;
	if (f->a < 0 || f->b < 0)
		return -1;
	fflush(stdout);
	f->pid = fork();
	if (!f->pid) {
		pin(PIN_CHILD);
		while (read(f->a, &v, sizeof(v)) == sizeof(v) && v == 1)
			if (write(f->b, &v, sizeof(v)) != sizeof(v))
				_exit(1);
		_exit(0);
	}
	return f->pid < 0 ? -1 : 0;
}

static double efd_chunk(struct efd_pp *f, unsigned n)
{
	double t0 = now_us();
	uint64_t v;
	unsigned i;

	for (i = 0; i < n; i++) {
		struct pollfd pfd = { .fd = f->b, .events = POLLIN };

		v = 1;
		if (write(f->a, &v, sizeof(v)) != sizeof(v) ||
		    poll(&pfd, 1, 10000) != 1 ||
		    read(f->b, &v, sizeof(v)) != sizeof(v))
			return -1;
	}
	return (now_us() - t0) / n;
}

static void efd_close(struct efd_pp *f)
{
	uint64_t stop = 2;

	if (f->pid > 0) {
		if (write(f->a, &stop, sizeof(stop)) != sizeof(stop))
			kill(f->pid, SIGKILL);
		waitpid(f->pid, NULL, 0);
	}
	if (f->a >= 0)
		close(f->a);
	if (f->b >= 0)
		close(f->b);
}

/*
 * One chunk of two processes bouncing one cache line (a shared counter,
 * spinning): the limit of a round trip with no system call at all.  The
 * child is forked per chunk (outside the timing), so that it does not
 * spin through the simulator's chunks.
 */
static double cacheline_chunk(unsigned n)
{
	_Atomic uint32_t *w = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	double t0, t1;
	unsigned i;
	pid_t pid;

	if (w == MAP_FAILED)
		return -1;
	atomic_store(w, 0);
	fflush(stdout);
	pid = fork();
	if (!pid) {
		pin(PIN_CHILD);
		for (i = 0; i < n; i++) {
			while (atomic_load(w) != 2 * i + 1)
				__builtin_ia32_pause();
			atomic_store(w, 2 * i + 2);
		}
		_exit(0);
	}
	if (pid < 0) {
		munmap((void *)w, 4096);
		return -1;
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

/*
 * The simulator's round trip (handles opened with the current
 * DUET_SIM_EVTCHN_SPIN_US) and, with @line, the cache-line limit, else
 * the eventfd one, in alternate chunks: the medians in *@sim and *@lim,
 * the lowest and highest ratio of a chunk to the limit's next chunk in
 * *@rmin and *@rmax, the cost of an unmask in *@unmask_us.
 */
static void measure(unsigned d1, unsigned d2, int line, double *sim,
		    double *lim, double *rmin, double *rmax, double *unmask_us)
{
	double ts[CHUNKS], tl[CHUNKS];
	struct efd_pp f = { .a = -1, .b = -1, .pid = -1 };
	struct sim_pp s;
	unsigned k;
	double r;
	int ok;

	ok = sim_open(&s, d1, d2) == 0 && (line || efd_open(&f) == 0);
	for (k = 0; k < CHUNKS; k++) {
		ts[k] = ok ? sim_chunk(&s, CHUNK) : -1;
		tl[k] = !ok ? -1 : line ? cacheline_chunk(LINE_CHUNK) :
			efd_chunk(&f, CHUNK);
		r = ts[k] > 0 && tl[k] > 0 ? ts[k] / tl[k] : -1;
		if (!k || r < *rmin)
			*rmin = r;
		if (!k || r > *rmax)
			*rmax = r;
	}
	*sim = median(ts, CHUNKS);
	*lim = median(tl, CHUNKS);
	*unmask_us = s.e ? sim_unmask(&s) : -1;
	if (!line)
		efd_close(&f);
	sim_close(&s);
}

int main(void)
{
	double rtt, spin, limit, line, unmask, unmask_spin, lo, hi, slo, shi;
	unsigned d1, d2;

	simtest_start(0);
	pin_choose();
	pin(PIN_PARENT);
	d1 = simtest_domain("ping");
	d2 = simtest_domain("pong");
	unsetenv("DUET_SIM_EVTCHN_SPIN_US");
	measure(d1, d2, 0, &rtt, &limit, &lo, &hi, &unmask);
	setenv("DUET_SIM_EVTCHN_SPIN_US", "50", 1);
	measure(d1, d2, 1, &spin, &line, &slo, &shi, &unmask_spin);
	unsetenv("DUET_SIM_EVTCHN_SPIN_US");
	printf("simulator event channel (two processes, two domains):\n");
	printf("(each figure the median of %u chunks of %u round trips, "
	       "interleaved with its limit's)\n", CHUNKS, CHUNK);
	printf("round trip:                  %10.1f us%s\n", rtt,
	       rtt < 0 ? "  (ERROR)" : "");
	printf("bare eventfd ping-pong:      %10.1f us  (the limit, same "
	       "run)\n", limit);
	if (limit > 0 && rtt > 0)
		printf("ratio to the limit:          %10.2f x  (goal <= 1.25)\n",
		       rtt / limit);
	if (lo > 0)
		printf("  chunk by chunk:            %5.2f - %.2f x\n", lo, hi);
	printf("unmask (no daemon):          %10.2f us\n", unmask);
	printf("round trip, spin 50 us:      %10.2f us%s  "
	       "(DUET_SIM_EVTCHN_SPIN_US=50)\n", spin,
	       spin < 0 ? "  (ERROR)" : "");
	printf("cache-line ping-pong:        %10.2f us  (its limit, same "
	       "run)\n", line);
	if (line > 0 && spin > 0)
		printf("ratio to the limit:          %10.2f x\n", spin / line);
	if (slo > 0)
		printf("  chunk by chunk:            %5.2f - %.2f x\n", slo,
		       shi);
	printf("unmask, spinning handle:     %10.2f us\n", unmask_spin);
	return 0;
}

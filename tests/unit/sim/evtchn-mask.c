/* SPDX-License-Identifier: MIT */
/*
 * evtchn-mask.c - what a receiver sees of its ports' events, the event
 * being the port's pending word and the doorbell only a wake-up: an event
 * sent while its port is masked does not wake the receiver (its fd does
 * not become readable: the notifier sees the mask in the port's cell and
 * skips the doorbell, as Xen raises no upcall for a masked port), not
 * even the daemon's last event when the peer closes, and is delivered
 * once after unmask, which makes the fd readable again; a burst of
 * notifies before the receiver looks is at least one and at most that
 * many deliveries; a wake that brings no event (a doorbell count left
 * after its event was taken) is answered -EAGAIN and the fd stops being
 * readable, so that poll() does not spin; two ports notified are both
 * delivered, and one port notified every time does not starve the other;
 * an event pending on a port that is closed goes with it; two processes
 * playing ping-pong for STRESS_ROUNDS rounds, sleeping in poll() as an
 * event loop does and unmasking before or after they notify, now and
 * then dawdling masked or unmasking right into the other's notify, lose
 * no event and see none twice (each wait bounded: a lost event fails the
 * test, never hangs it).  With plain handles and with spinning ones
 * (DUET_SIM_EVTCHN_SPIN_US).
 */
#include "tap.h"
#include "lib/simtest.h"

#include <sched.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <time.h>

#define BURST 50
#define STRESS_ROUNDS 20000
#define STRESS_WAIT_MS 5000

static const char *mode = "";

/* The fd of @e is readable now. */
static int readable(struct duet_evtchn *e)
{
	struct pollfd pfd = { .fd = duet_evtchn_fd(e), .events = POLLIN };

	return poll(&pfd, 1, 0);
}

/*
 * What a caller does after a wake-up: pending() until -EAGAIN, for as
 * long as the fd is readable.  0 when it stopped being readable within
 * two calls that each answered -EAGAIN; else the port returned, or -1.
 */
static int settle(struct duet_evtchn *e)
{
	int i, rc;

	for (i = 0; i < 2 && readable(e) == 1; i++) {
		rc = duet_evtchn_pending(e);
		if (rc != -EAGAIN)
			return rc;
	}
	return readable(e) == 0 ? 0 : -1;
}

/*
 * The doorbell of our port @port: the descriptor in @e's epoll set whose
 * data is @port (/proc/self/fdinfo of that set), or -1.
 */
static int doorbell_of(struct duet_evtchn *e, int port)
{
	char path[64], line[256];
	unsigned long long data;
	unsigned events;
	int tfd, fd = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d",
		 duet_evtchn_fd(e));
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "tfd: %d events: %x data: %llx", &tfd,
			   &events, &data) == 3 &&
		    (uint32_t)data == (uint32_t)port)
			fd = tfd;
	fclose(f);
	return fd;
}

static int scenario(unsigned d1, unsigned d2)
{
	struct duet_platform *p1 = simtest_open(d1), *p2 = simtest_open(d2);
	struct duet_evtchn *e1, *e2;
	int a, b, a2, b2, a3, b3, a4, b4, bell, rc, i, n, seen_a, seen_a2;
	uint64_t one = 1;

	if (duet_evtchn_open(p1, &e1) || duet_evtchn_open(p2, &e2)) {
		printf("Bail out! cannot open event-channel handles\n");
		return 1;
	}
	printf("# %shandles\n", mode);
	a = duet_evtchn_alloc_unbound(e1, (duet_domid_t)d2);
	b = duet_evtchn_bind(e2, (duet_domid_t)d1, (unsigned)a);
	a2 = duet_evtchn_alloc_unbound(e1, (duet_domid_t)d2);
	b2 = duet_evtchn_bind(e2, (duet_domid_t)d1, (unsigned)a2);
	if (a <= 0 || b <= 0 || a2 <= 0 || b2 <= 0) {
		printf("Bail out! cannot bind two ports\n");
		return 1;
	}
	is_int(settle(e1), 0, "nothing before any notify");

	/* An event while masked. */
	duet_evtchn_notify(e2, (duet_evtchn_port_t)b);
	is_int(simtest_wait_event(e1, 2000), a, "d1 takes its event on %d",
	       a);
	duet_evtchn_notify(e2, (duet_evtchn_port_t)b);
	is_int(readable(e1), 0, "a notify to masked %d does not make the fd "
	       "readable", a);
	for (i = 0; i < BURST; i++)
		duet_evtchn_notify(e2, (duet_evtchn_port_t)b);
	is_int(readable(e1), 0, "nor %d more", BURST);
	is_int(settle(e1), 0, "an event while %d is masked: -EAGAIN and the "
	       "fd stays quiet", a);
	is_int(duet_evtchn_unmask(e1, (duet_evtchn_port_t)a), 0, "unmask");
	is_int(readable(e1), 1, "unmask makes the fd readable again");
	is_int(duet_evtchn_pending(e1), a, "the event is delivered");
	is_int(duet_evtchn_pending(e1), -EAGAIN, "once");
	duet_evtchn_unmask(e1, (duet_evtchn_port_t)a);
	is_int(simtest_wait_event(e1, 100), -ETIMEDOUT,
	       "and not again after unmask");
	is_int(settle(e1), 0, "the fd is quiet");

	/* A burst before the receiver looks. */
	for (i = 0; i < BURST; i++)
		duet_evtchn_notify(e2, (duet_evtchn_port_t)b);
	n = 0;
	while ((rc = simtest_wait_event(e1, n ? 100 : 2000)) == a &&
	       n++ < BURST)
		duet_evtchn_unmask(e1, (duet_evtchn_port_t)a);
	ok(n >= 1 && n <= BURST, "%d notifies: %d deliveries", BURST, n);
	is_int(rc, -ETIMEDOUT, "then nothing");
	is_int(duet_evtchn_pending(e1), -EAGAIN, "pending: -EAGAIN");
	is_int(settle(e1), 0, "the fd is quiet");

	/* A wake-up with no event: the doorbell count of a notifier whose
	 * word was taken before its doorbell write landed. */
	duet_evtchn_notify(e2, (duet_evtchn_port_t)b);
	is_int(simtest_wait_event(e1, 2000), a, "d1 takes an event");
	duet_evtchn_unmask(e1, (duet_evtchn_port_t)a);
	is_int(duet_evtchn_pending(e1), -EAGAIN, "nothing more");
	bell = doorbell_of(e1, a);
	ok(bell >= 0, "d1's doorbell of %d is fd %d", a, bell);
	if (bell >= 0 && write(bell, &one, sizeof(one)) != sizeof(one))
		diag("write to the doorbell: %s", strerror(errno));
	is_int(readable(e1), 1, "a late doorbell write wakes");
	is_int(duet_evtchn_pending(e1), -EAGAIN, "pending: -EAGAIN");
	is_int(readable(e1), 0, "and the fd is no longer readable");
	is_int(simtest_wait_event(e1, 100), -ETIMEDOUT, "no event came of it");

	/* Two ports. */
	duet_evtchn_notify(e2, (duet_evtchn_port_t)b);
	duet_evtchn_notify(e2, (duet_evtchn_port_t)b2);
	rc = simtest_wait_event(e1, 2000);
	n = duet_evtchn_pending(e1);
	ok((rc == a && n == a2) || (rc == a2 && n == a),
	   "both ports notified: both delivered (%d, %d)", rc, n);
	is_int(duet_evtchn_pending(e1), -EAGAIN, "and nothing else");
	duet_evtchn_unmask(e1, (duet_evtchn_port_t)a);
	duet_evtchn_unmask(e1, (duet_evtchn_port_t)a2);
	is_int(settle(e1), 0, "the fd is quiet");
	/* Both notified every round, one event taken per round. */
	seen_a = seen_a2 = 0;
	for (i = 0; i < 4; i++) {
		duet_evtchn_notify(e2, (duet_evtchn_port_t)b);
		duet_evtchn_notify(e2, (duet_evtchn_port_t)b2);
		rc = simtest_wait_event(e1, 2000);
		seen_a += rc == a;
		seen_a2 += rc == a2;
		if (rc > 0)
			duet_evtchn_unmask(e1, (duet_evtchn_port_t)rc);
	}
	ok(seen_a && seen_a2 && seen_a + seen_a2 == 4,
	   "one taken per round from two busy ports: neither starves "
	   "(%d and %d of 4)", seen_a, seen_a2);
	while ((rc = duet_evtchn_pending(e1)) > 0)
		duet_evtchn_unmask(e1, (duet_evtchn_port_t)rc);
	is_int(settle(e1), 0, "the fd is quiet");

	/* Closed while pending. */
	a3 = duet_evtchn_alloc_unbound(e1, (duet_domid_t)d2);
	b3 = duet_evtchn_bind(e2, (duet_domid_t)d1, (unsigned)a3);
	ok(a3 > 0 && b3 > 0, "a third port %d", a3);
	duet_evtchn_notify(e2, (duet_evtchn_port_t)b3);
	is_int(readable(e1), 1, "notified");
	is_int(duet_evtchn_unbind(e1, (duet_evtchn_port_t)a3), 0,
	       "d1 closes %d before it looked", a3);
	is_int(simtest_wait_event(e1, 100), -ETIMEDOUT,
	       "its event went with it");
	is_int(settle(e1), 0, "the fd is quiet");
	duet_evtchn_notify(e2, (duet_evtchn_port_t)b);
	is_int(simtest_wait_event(e1, 2000), a, "%d still works", a);
	duet_evtchn_unmask(e1, (duet_evtchn_port_t)a);

	/* The daemon's event (the peer's close) to a masked port. */
	a4 = duet_evtchn_alloc_unbound(e1, (duet_domid_t)d2);
	b4 = duet_evtchn_bind(e2, (duet_domid_t)d1, (unsigned)a4);
	ok(a4 > 0 && b4 > 0, "a fourth port %d", a4);
	duet_evtchn_notify(e2, (duet_evtchn_port_t)b4);
	is_int(simtest_wait_event(e1, 2000), a4, "d1 takes an event on %d",
	       a4);
	is_int(duet_evtchn_unbind(e2, (duet_evtchn_port_t)b4), 0,
	       "d2 closes its end");
	is_int(readable(e1), 0, "the daemon's last event to masked %d does "
	       "not make the fd readable", a4);
	is_int(duet_evtchn_unmask(e1, (duet_evtchn_port_t)a4), 0, "unmask");
	is_int(readable(e1), 1, "unmask makes the fd readable");
	is_int(duet_evtchn_pending(e1), a4, "the close's event is delivered");
	is_int(duet_evtchn_pending(e1), -EAGAIN, "once");
	duet_evtchn_unmask(e1, (duet_evtchn_port_t)a4);
	is_int(simtest_wait_event(e1, 100), -ETIMEDOUT, "and not again");
	duet_evtchn_unbind(e1, (duet_evtchn_port_t)a4);

	duet_evtchn_close(e2);
	duet_evtchn_close(e1);
	duet_platform_close(p2);
	duet_platform_close(p1);
	return 0;
}

/*
 * The ping-pong of stress(): each side's round number, stored before it
 * notifies, so that the receiver of round i can tell a lost event (a
 * wait that times out), one seen twice or early (the sender's number is
 * not i), and a reply that came while it was still masked.
 */
struct stress_sh {
	_Atomic uint32_t seq[2];
	_Atomic uint32_t raced;  /* replies already sent before our unmask */
	_Atomic uint32_t woke;   /* ... that made our masked fd readable */
	_Atomic uint32_t fail;   /* the round a side failed in, 0: none */
	_Atomic int32_t why;     /* its rc (-ETIMEDOUT: a lost event) */
	_Atomic uint32_t done;   /* side 0 checked that nothing more came */
};

/* xorshift32: which order and whether to dawdle, per round. */
static uint32_t rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Spin for up to @ns, or until *@w (if not NULL) is @val. */
static void ns_wait(long ns, _Atomic uint32_t *w, uint32_t val)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		if (w && atomic_load(w) == val)
			return;
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((t.tv_sec - t0.tv_sec) * 1000000000L + t.tv_nsec -
		 t0.tv_nsec < ns);
}

/*
 * Our send of round @i on port @port (side 0 then waits for the reply,
 * side 1 waited for round @i first): store our number, then notify and
 * unmask in a random order; when the notify comes first, now and then
 * dawdle masked between the two, so that the reply finds the port
 * masked, or unmask the moment the reply is under way.  0, or what
 * failed.
 */
static int stress_send(struct duet_evtchn *e, int port, struct stress_sh *sh,
		       int side, uint32_t i, uint32_t *seed)
{
	uint32_t r = rnd(seed), reply, k;
	int rc;

	atomic_store(&sh->seq[side], i);
	if (r & 1) {
		rc = duet_evtchn_unmask(e, (duet_evtchn_port_t)port);
		if (!rc)
			rc = duet_evtchn_notify(e, (duet_evtchn_port_t)port);
		return rc;
	}
	/* A few hundred ns at most between our number and our notify, a
	 * different span each time: the other side meets it (below). */
	for (k = (r >> 16) & 255; k; k--)
		__asm__ volatile("" ::: "memory");
	rc = duet_evtchn_notify(e, (duet_evtchn_port_t)port);
	if (rc)
		return rc;
	reply = i + (uint32_t)side;
	if (r & 4) {
		/* Meet the reply: its sender stored its number a varying
		 * span before its notify, so unmask (store masked = 0, load
		 * pending) as soon as we see it, to land now and then in
		 * the middle of the notify (store pending, load masked):
		 * the two halves of the Dekker pair interleave. */
		ns_wait(100000, &sh->seq[!side], reply);
	} else if (!(r & 2)) {
		/* Dawdle masked: ~50 us, or a yield. */
		if (r & 8)
			sched_yield();
		else
			ns_wait(50000, NULL, 0);
		if (atomic_load(&sh->seq[!side]) == reply) {
			atomic_fetch_add(&sh->raced, 1);
			if (readable(e) == 1)
				atomic_fetch_add(&sh->woke, 1);
		}
	}
	return duet_evtchn_unmask(e, (duet_evtchn_port_t)port);
}

/*
 * Wait for round @want of the other side on @port as an event loop does:
 * sleep in poll() until the fd is readable, then ask; so that an event
 * whose doorbell nobody rang is lost here, not found by a look at the
 * cells.  0, or what failed.
 */
static int stress_recv(struct duet_evtchn *e, int port, struct stress_sh *sh,
		       int side, uint32_t want)
{
	struct pollfd pfd = { .fd = duet_evtchn_fd(e), .events = POLLIN };
	struct timespec t0, t;
	int rc, left = STRESS_WAIT_MS;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		rc = poll(&pfd, 1, left);
		if (rc <= 0)
			return rc ? -errno : -ETIMEDOUT;
		rc = duet_evtchn_pending(e);
		clock_gettime(CLOCK_MONOTONIC, &t);
		left = STRESS_WAIT_MS - (int)((t.tv_sec - t0.tv_sec) * 1000 +
					      (t.tv_nsec - t0.tv_nsec) /
					      1000000);
	} while (rc == -EAGAIN && left > 0);
	if (rc < 0)
		return rc == -EAGAIN ? -ETIMEDOUT : rc;
	if (rc != port)
		return -EPROTO;
	return atomic_load(&sh->seq[!side]) == want ? 0 : -EBADMSG;
}

static void stress_fail(struct stress_sh *sh, uint32_t i, int rc)
{
	uint32_t none = 0;

	if (atomic_compare_exchange_strong(&sh->fail, &none, i ? i : ~0u))
		atomic_store(&sh->why, rc);
}

/* Side 1, in its own process (domain @me): bind to @port of @peer. */
static int stress_pong(unsigned me, unsigned peer, unsigned port,
		       struct stress_sh *sh)
{
	struct duet_platform *p;
	struct duet_evtchn *e;
	uint32_t i, seed = 0x9e3779b9u;
	int lp, rc = 0;

	/* Round 0: tell side 0 that we are bound. */
	lp = simtest_bind_peer(me, peer, port, &p, &e);
	if (lp < 0)
		return 1;
	for (i = 1; !rc && i <= STRESS_ROUNDS; i++) {
		rc = stress_recv(e, lp, sh, 1, i);
		if (!rc)
			rc = stress_send(e, lp, sh, 1, i, &seed);
		if (rc)
			stress_fail(sh, i, rc);
	}
	/* Exactly once: nothing more comes (side 0 closes only after we
	 * exit, so no close event either); and we close only after side 0
	 * looked (our close gives its port one last event), or after
	 * STRESS_WAIT_MS. */
	if (!rc && simtest_wait_event(e, 100) != -ETIMEDOUT)
		stress_fail(sh, i, -EEXIST);
	for (i = 0; !atomic_load(&sh->done) && i < STRESS_WAIT_MS; i++)
		usleep(1000);
	duet_evtchn_close(e);
	duet_platform_close(p);
	return rc ? 1 : 0;
}

static void stress(unsigned d1, unsigned d2)
{
	struct duet_platform *p = simtest_open(d1);
	struct stress_sh *sh = mmap(NULL, sizeof(*sh), PROT_READ |
				    PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
				    -1, 0);
	struct duet_evtchn *e;
	uint32_t i, seed = 0x2545f491u;
	int port, rc, status = 0;
	pid_t pid;

	if (sh == MAP_FAILED || duet_evtchn_open(p, &e) < 0) {
		printf("Bail out! stress: cannot set up\n");
		exit(1);
	}
	port = duet_evtchn_alloc_unbound(e, (duet_domid_t)d2);
	fflush(stdout);
	pid = fork();
	if (!pid) {
		close_range(3, ~0u, 0);
		_exit(stress_pong(d2, d1, (unsigned)port, sh));
	}
	rc = pid < 0 ? -errno : stress_recv(e, port, sh, 0, 0);
	if (rc)
		stress_fail(sh, 0, rc);
	for (i = 1; !rc && i <= STRESS_ROUNDS; i++) {
		rc = stress_send(e, port, sh, 0, i, &seed);
		if (!rc)
			rc = stress_recv(e, port, sh, 0, i);
		if (rc)
			stress_fail(sh, i, rc);
	}
	if (!rc) {
		duet_evtchn_unmask(e, (duet_evtchn_port_t)port);
		if (simtest_wait_event(e, 100) != -ETIMEDOUT)
			stress_fail(sh, i, -EEXIST);
	}
	atomic_store(&sh->done, 1);
	if (pid > 0) {
		/* A side that failed leaves the other one waiting out its
		 * STRESS_WAIT_MS, then failing too: it exits either way. */
		waitpid(pid, &status, 0);
	}
	ok(!atomic_load(&sh->fail) && pid > 0 && WIFEXITED(status) &&
	   !WEXITSTATUS(status),
	   "%sping-pong of %u rounds across two processes, masked in "
	   "between: no event lost or seen twice", mode, STRESS_ROUNDS);
	if (atomic_load(&sh->fail))
		diag("failed in round %u: %s", atomic_load(&sh->fail),
		     atomic_load(&sh->why) == -ETIMEDOUT ? "an event lost" :
		     atomic_load(&sh->why) == -EBADMSG ? "an event seen "
		     "twice or early" : atomic_load(&sh->why) == -EEXIST ?
		     "an event after the last round" :
		     strerror(-atomic_load(&sh->why)));
	diag("%u replies were sent before their receiver unmasked, %u of "
	     "them made its fd readable meanwhile", atomic_load(&sh->raced),
	     atomic_load(&sh->woke));
	ok(atomic_load(&sh->raced) > 0, "some replies found the port masked");
	duet_evtchn_close(e);
	duet_platform_close(p);
	munmap(sh, sizeof(*sh));
}

int main(void)
{
	unsigned d1, d2;

	simtest_start(0);
	d1 = simtest_domain("front");
	d2 = simtest_domain("back");
	unsetenv("DUET_SIM_EVTCHN_SPIN_US");
	if (scenario(d1, d2))
		return 1;
	stress(d1, d2);
	setenv("DUET_SIM_EVTCHN_SPIN_US", "200", 1);
	mode = "spinning: ";
	if (scenario(d1, d2))
		return 1;
	stress(d1, d2);
	return done_testing();
}

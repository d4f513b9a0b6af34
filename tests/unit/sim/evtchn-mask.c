/* SPDX-License-Identifier: MIT */
/*
 * evtchn-mask.c - what a receiver sees of its ports' events, the event
 * being the port's pending word and the doorbell only a wake-up: an event
 * sent while its port is masked is delivered once after unmask, which
 * makes the fd readable again; a burst of notifies before the receiver
 * looks is at least one and at most that many deliveries; a wake that
 * brings no event (a doorbell count left after its event was taken, or
 * a masked port's) is answered -EAGAIN and the fd stops being readable,
 * so that poll() does not spin; two ports notified are both delivered,
 * and one port notified every time does not starve the other; an event
 * pending on a port that is closed goes with it.  With plain handles and
 * with spinning ones (DUET_SIM_EVTCHN_SPIN_US).
 */
#include "tap.h"
#include "lib/simtest.h"

#define BURST 50

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
	int a, b, a2, b2, a3, b3, bell, rc, i, n, seen_a, seen_a2;
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
	is_int(settle(e1), 0, "an event while %d is masked: -EAGAIN and the "
	       "fd stops being readable", a);
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

	duet_evtchn_close(e2);
	duet_evtchn_close(e1);
	duet_platform_close(p2);
	duet_platform_close(p1);
	return 0;
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
	setenv("DUET_SIM_EVTCHN_SPIN_US", "200", 1);
	mode = "spinning: ";
	if (scenario(d1, d2))
		return 1;
	return done_testing();
}

/* SPDX-License-Identifier: MIT */
/*
 * tx-poll.c - netback's tx busy-poll (DUET_NETBACK_POLL_US): while its
 * budget lasts the backend watches the tx ring without arming req_event,
 * so a frontend's next packet needs no event and is still answered; once
 * the budget has run out req_event is armed again and a packet pushed
 * then asks for an event (nothing is lost in between).  Without the knob
 * a packet pushed after the backend went idle always asks for one.  A
 * knob that is not a number of microseconds from 0 to 10000 is refused.
 */
#include <sched.h>
#include <stdlib.h>

#include "lib/nbtest.h"

/*
 * Put one good 60-byte packet with @id, push, notify only when the ring
 * says the backend asked for it (*@asked = 1).  The answer is watched for
 * on the ring (up to 3 s), not waited for by event, so that the next
 * packet can follow at once.  1 when it is answered OKAY.
 */
static int send_one(struct nbt_vif *v, uint16_t id, int *asked)
{
	struct netif_tx_response rsp;
	unsigned page = id % 8u;
	struct timespec t0, t;
	int got;

	nbt_frame(v, page, 0, 60);
	nbt_put(v, id, page, 0, 60, 0);
	*asked = duet_ring_front_push(v->tx);
	if (*asked > 0)
		duet_evtchn_notify(v->evt, (duet_evtchn_port_t)v->port);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		got = duet_ring_front_get_rsp(v->tx, &rsp);
		if (got)
			break;
		sched_yield();
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (t.tv_sec - t0.tv_sec < 3);
	return got == 1 && rsp.id == id && rsp.status == NETIF_RSP_OKAY;
}

/* serve() with a bad knob must refuse before it touches the context, so
 * the pointers in it need not be real. */
static int refused(const char *val)
{
	struct duet_backend_ctx ctx;
	int rc;

	memset(&ctx, 0, sizeof(ctx));
	ctx.platform = (struct duet_platform *)&ctx;
	ctx.xs = (struct duet_xs *)&ctx;
	ctx.dir = "/nonexistent";
	setenv("DUET_NETBACK_POLL_US", val, 1);
	rc = duet_netback_serve(&ctx);
	unsetenv("DUET_NETBACK_POLL_US");
	return rc == -EINVAL;
}

int main(void)
{
	struct nbt_vif a, b;
	int asked, ok_all = 1, quiet = 0, i;
	uint16_t id = 1;

	ok(refused("abc"), "DUET_NETBACK_POLL_US=abc is refused (-EINVAL)");
	ok(refused("10001"), "DUET_NETBACK_POLL_US=10001 is refused");
	ok(refused("-5"), "DUET_NETBACK_POLL_US=-5 is refused");

	nbt_start();
	/* The instance is a child: it inherits the knob.  10 ms budget. */
	setenv("DUET_NETBACK_POLL_US", "10000", 1);
	nbt_vif(&a, 0);
	unsetenv("DUET_NETBACK_POLL_US");
	nbt_vif(&b, 1);

	ok(send_one(&a, id++, &asked) && asked == 1,
	   "busy-poll: the first packet asks for an event and is answered");
	/* Back to back: each push comes well inside the 10 ms budget unless
	 * this machine stalls us; one of 20 is plenty to show it. */
	for (i = 0; i < 20; i++) {
		ok_all &= send_one(&a, id++, &asked);
		quiet += asked == 0;
	}
	ok(ok_all, "busy-poll: 20 packets back to back are all answered");
	ok(quiet > 0, "busy-poll: %d of them needed no event", quiet);
	usleep(100 * 1000);
	ok(send_one(&a, id++, &asked) && asked == 1,
	   "busy-poll: after the budget ran out a packet asks for an event "
	   "again and is answered");

	usleep(100 * 1000);
	ok(send_one(&b, id++, &asked) && asked == 1,
	   "no busy-poll: a packet after the backend went idle asks for an "
	   "event and is answered");
	ok(nbt_alive(&a) && nbt_alive(&b), "both instances live");
	nbt_stop(&a);
	nbt_stop(&b);
	return done_testing();
}

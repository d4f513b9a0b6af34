/* SPDX-License-Identifier: MIT */
/*
 * Notification hold-off: duet notifies exactly when the peer's event index
 * is crossed, as Xen's RING_PUSH_*_AND_CHECK_NOTIFY macros decide, and the
 * final-check discipline re-arms the event index.
 */
#include "ring-test.h"

/* Xen's macros, with the barriers the header asks the includer for. */
#undef xen_mb
#undef xen_wmb
#undef xen_rmb
#define xen_mb() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define xen_wmb() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define xen_rmb() __atomic_thread_fence(__ATOMIC_SEQ_CST)

/* Xen's decision for old -> new with the given event index. */
static int xen_decision(uint32_t old, uint32_t new, uint32_t event)
{
	static union blkif_sring_entry pad[64] __attribute__((aligned(4096)));
	blkif_sring_t *s = (blkif_sring_t *)pad;
	blkif_front_ring_t fr;
	int notify;

	memset(s, 0, sizeof(pad));
	fr.sring = s;
	fr.nr_ents = 32;
	s->req_prod = old;
	s->req_event = event;
	fr.req_prod_pvt = new;
	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&fr, notify);
	return notify;
}

static uint32_t rnd(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(*s >> 32);
}

int main(void)
{
	uint64_t seed = 42;
	unsigned i, mismatches = 0;
	struct pair p;
	unsigned char req[112] = { 0 }, rsp[112] = { 0 };

	/* Boundary cases, including wrap. */
	ok(need_notify(10, 11, 11), "event == new: notify");
	ok(!need_notify(10, 11, 12), "event beyond new: hold off");
	ok(!need_notify(10, 11, 10), "event == old: already notified");
	ok(need_notify(10, 15, 11), "event == old + 1: notify");
	ok(need_notify(0xfffffffe, 2, 0xffffffff), "event crossed in a wrap");
	ok(need_notify(0xfffffffe, 2, 1), "event after the wrap crossed");
	ok(!need_notify(0xfffffffe, 2, 3), "event after new, across wrap");
	ok(!need_notify(5, 5, 5), "nothing pushed: no notify");

	for (i = 0; i < 200000; i++) {
		uint32_t old = rnd(&seed), new, ev;

		new = old + (rnd(&seed) % 64);
		ev = (rnd(&seed) & 1) ? old + (rnd(&seed) % 80) - 8 :
					rnd(&seed);
		if (need_notify(old, new, ev) != !!xen_decision(old, new, ev))
			mismatches++;
	}
	is_int(mismatches, 0, "200000 random cases agree with Xen's macro");

	/* End to end through both ends. */
	pair_open(&p, DUET_RING_BLKIF, 0);
	is_int(duet_ring_back_final_check(p.back), 0,
	       "idle backend arms req_event");
	duet_ring_front_put_req(p.front, req);
	is_int(duet_ring_front_push(p.front), 1,
	       "first request after arming notifies");
	duet_ring_front_put_req(p.front, req);
	is_int(duet_ring_front_push(p.front), 0,
	       "second request while backend busy is held off");
	is_int(duet_ring_back_get_reqs(p.back, req, 1), 1, "backend takes one");
	is_int(duet_ring_back_final_check(p.back), 1,
	       "final check sees the other one without arming");
	is_int(duet_ring_back_get_reqs(p.back, req, 4), 1, "backend takes it");
	is_int(duet_ring_back_final_check(p.back), 0, "then the ring is idle");
	duet_ring_front_put_req(p.front, req);
	duet_ring_front_put_req(p.front, req);
	duet_ring_front_put_req(p.front, req);
	is_int(duet_ring_front_push(p.front), 1,
	       "a batch of three after re-arming notifies once");
	is_int(duet_ring_front_final_check(p.front), 0,
	       "frontend with no responses arms rsp_event");
	duet_ring_back_put_rsp(p.back, rsp);
	is_int(duet_ring_back_push(p.back), 1, "first response notifies");
	duet_ring_back_put_rsp(p.back, rsp);
	is_int(duet_ring_back_push(p.back), 0,
	       "second response before the frontend looked is held off");
	is_int(duet_ring_front_final_check(p.front), 2,
	       "frontend sees both responses");
	pair_close(&p);
	return done_testing();
}

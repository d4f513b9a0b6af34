/* SPDX-License-Identifier: MIT */
/*
 * A hostile peer's producer index: more than a ring's size ahead is
 * -EPROTO (and stays so), never a crash or an endless loop; a full ring's
 * worth is fine; responses beyond the requests are -EPROTO too.
 */
#include "ring-test.h"

int main(void)
{
	unsigned char buf[112];
	struct sring_hdr *h;
	struct pair p;
	int rc, n;

	pair_open(&p, DUET_RING_BLKIF, 0);
	h = p.mem;
	h->req_prod = 32;
	for (n = 0; (rc = duet_ring_back_get_req(p.back, buf)) == 1; n++)
		;
	is_int(n, 32, "a full ring of requests is consumed");
	is_int(rc, 0, "then no more until responses free slots");
	ok(!duet_ring_broken(p.back), "a full ring is not a violation");
	duet_ring_back_put_rsp(p.back, buf);
	duet_ring_back_push(p.back);
	is_int(duet_ring_back_get_req(p.back, buf), 0,
	       "one response frees one slot, but nothing new was produced");
	pair_close(&p);

	pair_open(&p, DUET_RING_BLKIF, 0);
	h = p.mem;
	h->req_prod = 33;
	is_int(duet_ring_back_get_req(p.back, buf), -EPROTO,
	       "req_prod 33 ahead on a 32-entry ring is -EPROTO");
	ok(duet_ring_broken(p.back), "the ring is marked broken");
	h->req_prod = 1;
	is_int(duet_ring_back_get_req(p.back, buf), -EPROTO,
	       "and stays broken when the index comes back");
	is_int(duet_ring_back_final_check(p.back), -EPROTO,
	       "final check on a broken ring is -EPROTO");
	is_int(duet_ring_back_push(p.back), -EPROTO,
	       "push on a broken ring is -EPROTO");
	pair_close(&p);

	pair_open(&p, DUET_RING_BLKIF, 0);
	h = p.mem;
	h->req_prod = 0x80000000u;
	is_int(duet_ring_back_get_reqs(p.back, buf, 1), -EPROTO,
	       "a wildly jumping req_prod is -EPROTO");
	pair_close(&p);

	pair_open(&p, DUET_RING_BLKIF, 0);
	h = p.mem;
	h->req_prod = 0xffffffffu;
	is_int(duet_ring_back_final_check(p.back), -EPROTO,
	       "req_prod behind the consumer (negative distance) is -EPROTO");
	pair_close(&p);

	pair_open(&p, DUET_RING_NETIF_TX, 0);
	h = p.mem;
	duet_ring_front_put_req(p.front, buf);
	duet_ring_front_push(p.front);
	h->rsp_prod = 2;
	is_int(duet_ring_front_get_rsp(p.front, buf), -EPROTO,
	       "two responses to one request is -EPROTO");
	ok(duet_ring_broken(p.front), "frontend ring marked broken");
	is_int(duet_ring_front_put_req(p.front, buf), -EPROTO,
	       "broken frontend refuses new requests");
	pair_close(&p);

	pair_open(&p, DUET_RING_NETIF_TX, 0);
	h = p.mem;
	duet_ring_front_put_req(p.front, buf);
	h->rsp_prod = 1;
	is_int(duet_ring_front_get_rsp(p.front, buf), -EPROTO,
	       "a response to an unpushed request is -EPROTO");
	pair_close(&p);

	pair_open(&p, DUET_RING_BLKIF, 0);
	is_int(duet_ring_back_put_rsp(p.back, buf), -ENOSPC,
	       "a response with no request outstanding is refused");
	pair_close(&p);
	return done_testing();
}

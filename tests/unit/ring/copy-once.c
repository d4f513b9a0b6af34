/* SPDX-License-Identifier: MIT */
/*
 * Requests and responses are copied out of the shared slot into private
 * memory: a peer rewriting the slot afterwards (the double-fetch attack,
 * XSA-155) cannot change what the consumer validated.  The copy covers the
 * whole request and not a byte of the neighbouring slot.
 */
#include "ring-test.h"

int main(void)
{
	struct blkif_request req, got;
	struct blkif_response rsp, rgot;
	struct blkif_request *shared;
	struct pair p;

	pair_open(&p, DUET_RING_BLKIF, 0);
	memset(&req, 0, sizeof(req));
	req.operation = BLKIF_OP_READ;
	req.nr_segments = 1;
	req.id = 0x1234;
	req.seg[0].first_sect = 0;
	req.seg[0].last_sect = 7;
	duet_ring_front_put_req(p.front, &req);
	duet_ring_front_push(p.front);
	memset(&got, 0xee, sizeof(got));
	is_int(duet_ring_back_get_req(p.back, &got), 1, "request taken");
	shared = (struct blkif_request *)((char *)p.mem + DUET_RING_HDR_SIZE);
	shared->nr_segments = 200;
	shared->seg[0].last_sect = 99;
	is_int(got.nr_segments, 1, "later slot rewrite does not reach the copy");
	is_int(got.seg[0].last_sect, 7, "segment copy is private too");
	ok(!memcmp(&got, &req, sizeof(req)), "the copy is the whole request");

	memset(&rsp, 0, sizeof(rsp));
	rsp.id = 0x1234;
	rsp.status = BLKIF_RSP_OKAY;
	duet_ring_back_put_rsp(p.back, &rsp);
	duet_ring_back_push(p.back);
	memset(&rgot, 0x77, sizeof(rgot));
	is_int(duet_ring_front_get_rsp(p.front, &rgot), 1, "response taken");
	((struct blkif_response *)shared)->id = 0xdead;
	ok(rgot.id == 0x1234 && rgot.status == BLKIF_RSP_OKAY,
	   "response copy is private");
	pair_close(&p);
	return done_testing();
}

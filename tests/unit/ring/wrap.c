/* SPDX-License-Identifier: MIT */
/*
 * Index wrap-around at 2^32: requests and responses keep their order and
 * count when the free-running indexes pass 0xffffffff, on every ring type.
 */
#include "ring-test.h"

static void run(enum duet_ring_type type, unsigned order, uint32_t start)
{
	const struct duet_ring_desc *d = duet_ring_desc_get(type);
	unsigned char req[128], got[128];
	struct pair p;
	uint32_t sent = 0, recv = 0, answered = 0, rsp_seen = 0;
	unsigned n, i, size;
	int bad = 0, rc;

	pair_open(&p, type, order);
	pair_rebase(&p, start);
	size = duet_ring_size(p.front);
	/* Three rings' worth of traffic, in uneven batches, across 2^32. */
	while (sent < 3 * size) {
		n = 1 + sent % 7;
		for (i = 0; i < n && duet_ring_front_free(p.front); i++) {
			memset(req, 0, sizeof(req));
			memcpy(req, &sent, sizeof(sent));
			if (duet_ring_front_put_req(p.front, req))
				bad++;
			sent++;
		}
		duet_ring_front_push(p.front);
		while ((rc = duet_ring_back_get_req(p.back, got)) == 1) {
			uint32_t v;

			memcpy(&v, got, sizeof(v));
			if (v != recv)
				bad++;
			recv++;
		}
		if (rc < 0)
			bad++;
		while (duet_ring_back_pending(p.back)) {
			memset(req, 0, sizeof(req));
			memcpy(req, &answered, sizeof(answered));
			if (duet_ring_back_put_rsp(p.back, req))
				bad++;
			answered++;
		}
		duet_ring_back_push(p.back);
		while ((rc = duet_ring_front_get_rsp(p.front, got)) == 1) {
			uint32_t v;

			memcpy(&v, got, sizeof(v));
			if (d->rsp_size >= 4 && v != rsp_seen)
				bad++;
			rsp_seen++;
		}
		if (rc < 0)
			bad++;
	}
	is_int(bad, 0, "type %d order %u from %#x: order kept across wrap",
	       type, order, start);
	is_int(recv, sent, "type %d order %u: every request arrived", type,
	       order);
	is_int(rsp_seen, sent, "type %d order %u: every response arrived",
	       type, order);
	ok(p.front->cons < start, "type %d order %u: indexes wrapped", type,
	   order);
	pair_close(&p);
}

int main(void)
{
	run(DUET_RING_BLKIF, 0, 0xffffffffu - 40);
	run(DUET_RING_BLKIF, 4, 0xffffffffu - 100);
	run(DUET_RING_NETIF_TX, 0, 0xffffff00u);
	run(DUET_RING_NETIF_RX, 2, 0xfffffff0u);
	run(DUET_RING_NETIF_TX, 1, 0xffffffffu);
	return done_testing();
}

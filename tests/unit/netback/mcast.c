/* SPDX-License-Identifier: MIT */
/*
 * mcast.c - multicast control (feature-multicast-control): with
 * request-multicast-control=1 a multicast frame the frontend did not
 * subscribe to is not delivered, broadcast is; an MCAST_ADD extra on a
 * dummy tx request (answered OKAY and NULL, nothing transmitted) lets
 * that group through; MCAST_DEL stops it again.
 */
#include <time.h>

#include "lib/nbtest.h"

static const uint8_t group[6] = {0x01, 0x00, 0x5e, 0x01, 0x02, 0x03};

/* Send a 60-byte frame to @dst out of the TAP (into netback). */
static void send_to(struct nbt_vif *v, const uint8_t *dst)
{
	uint8_t f[60];

	memset(f, 0x33, sizeof(f));
	memcpy(f, dst, 6);
	memcpy(f + 6, "\x00\x16\x3e\x00\x00\x05", 6);
	f[12] = 0x88;
	f[13] = 0xb5;
	nbt_send_raw(v, f, sizeof(f));
}

/* Post one rx request (id = its slot, page = slot % NBT_PAGES), send a
 * frame to @dst, and say whether a frame to @dst arrives within @ms of
 * the clock (in this slot or an earlier one still posted).  What must
 * arrive gets 10 s (a loaded machine), what must not 500 ms. */
static int arrives(struct nbt_vif *v, const uint8_t *dst, int ms)
{
	struct netif_rx_response rsp;

	struct timespec t0, t;

	nbt_post_rx(v, 1);
	send_to(v, dst);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		while (duet_ring_front_get_rsp(v->rx, &rsp) == 1)
			if (rsp.status > 0 &&
			    !memcmp(v->rx_pages + (size_t)(rsp.id % NBT_PAGES) *
							  DUET_PAGE_SIZE,
				    dst, 6))
				return 1;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000 +
		    (t.tv_nsec - t0.tv_nsec) / 1000000 >= ms)
			return 0;
		nbt_wait_event(v);
	}
}

static int mcast_op(struct nbt_vif *v, uint8_t type, uint16_t id)
{
	struct netif_tx_response rsp[2];
	struct netif_extra_info ex;

	nbt_put(v, id, 0, 0, 0, NETTXF_extra_info);
	memset(&ex, 0, sizeof(ex));
	ex.type = type;
	memcpy(ex.u.mcast.addr, group, 6);
	nbt_put_extra(v, &ex);
	nbt_push(v);
	return nbt_responses(v, rsp, 2, 2000) == 2 && rsp[0].id == id &&
	       rsp[0].status == NETIF_RSP_OKAY &&
	       rsp[1].status == NETIF_RSP_NULL;
}

int main(void)
{
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	struct nbt_vif a;
	long frames;

	nbt_start();
#ifdef NBT_SPLIT
	nbt_split = 1;
	diag("split event channels: netback's rx thread");
#endif
	nbt_fe_flags[0] = "request-multicast-control";
	nbt_vif(&a, 0);
	nbt_no_ipv6(&a);
	is_str(nbt_read("/local/domain/2/backend/vif/1/0/"
			"feature-multicast-control"),
	       "1", "netback offers feature-multicast-control");
	ok(arrives(&a, bcast, 10000), "broadcast is delivered");
	ok(!arrives(&a, group, 500), "an unsubscribed group is not");
	frames = nbt_tap_frames(&a);
	ok(mcast_op(&a, XEN_NETIF_EXTRA_TYPE_MCAST_ADD, 7),
	   "MCAST_ADD on a dummy request: OKAY and NULL");
	is_int(nbt_tap_frames(&a), frames, "  nothing was transmitted");
	ok(arrives(&a, group, 10000), "the subscribed group is delivered");
	ok(mcast_op(&a, XEN_NETIF_EXTRA_TYPE_MCAST_DEL, 8), "MCAST_DEL");
	ok(!arrives(&a, group, 500), "the group is filtered again");
	ok(nbt_wait(a.be, "state", "4", 100), "the vif stays Connected");
	nbt_stop(&a);
	return done_testing();
}

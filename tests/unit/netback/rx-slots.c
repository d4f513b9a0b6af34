/* SPDX-License-Identifier: MIT */
/*
 * rx-slots.c - netback's receive path as Linux's netfront expects it: a
 * 9000-byte frame sent into the vif's TAP (MTU 9000, feature-sg) comes
 * back in three rx responses, each in the ring slot of its request, with
 * the request's id, offset 0, sizes 4096/4096/808, NETRXF_more_data on all
 * but the last, and the frame's bytes in the granted pages.  An rx request
 * with a bad grant ref gets an error status in its slot, and the vif
 * stays Connected and delivers the next frame.  rx-map.c runs the same
 * checks with NBT_RX_MODE "map" (duet-rx-mode=map).
 */
#include <net/ethernet.h>

#include "lib/nbtest.h"

#define FRAME 9000u

static uint8_t frame[FRAME];

/* Send @len bytes of frame[] out of the TAP (into netback). */
static int send_frame(struct nbt_vif *v, unsigned len)
{
	return nbt_send_raw(v, frame, len);
}

int main(void)
{
	struct netif_rx_response rsp[8];
	struct nbt_vif a;
	unsigned i, pos, base;
	int n, same = 1;

	nbt_start();
#ifdef NBT_SPLIT
	nbt_split = 1;
	diag("split event channels: netback's rx thread");
#endif
#ifdef NBT_RX_MODE
	nbt_be_nodes[0] = "duet-rx-mode=" NBT_RX_MODE;
	diag("rx by %s (duet-rx-mode)", NBT_RX_MODE);
#endif
	nbt_vif_spec(&a, 0, "mtu=9000");
	nbt_no_ipv6(&a);
	base = nbt_rx_drain(&a);
	memset(frame, 0xff, 6);
	memcpy(frame + 6, "\x00\x16\x3e\x00\x00\x07", 6);
	frame[12] = 0x88;
	frame[13] = 0xb5;
	for (i = 14; i < FRAME; i++)
		frame[i] = (uint8_t)(i * 7);

	nbt_post_rx_ids(&a, 3, -1);
	ok(send_frame(&a, FRAME) == 0, "a 9000-byte frame sent into %s",
	   a.ifname);
	n = nbt_rx_responses(&a, rsp, 3, 3000);
	is_int(n, 3, "three rx responses");
	for (i = 0; i < (unsigned)n; i++)
		same &= rsp[i].id == 100 + base + i && rsp[i].offset == 0;
	ok(n == 3 && same, "  each in its request's slot (ids %u..%u), "
			   "offset 0", 100 + base, 102 + base);
	ok(n == 3 && rsp[0].status == 4096 && rsp[1].status == 4096 &&
		   rsp[2].status == FRAME - 8192,
	   "  sizes 4096, 4096, %u", FRAME - 8192);
	ok(n == 3 && (rsp[0].flags & NETRXF_more_data) &&
		   (rsp[1].flags & NETRXF_more_data) &&
		   !(rsp[2].flags & NETRXF_more_data),
	   "  NETRXF_more_data on all but the last");
	for (i = 0, pos = 0, same = 1; n == 3 && i < 3; i++) {
		same &= !memcmp(a.rx_pages + (size_t)(base + i) * DUET_PAGE_SIZE,
				frame + pos, (size_t)rsp[i].status);
		pos += (unsigned)rsp[i].status;
	}
	ok(n == 3 && same, "  the pages hold the frame's bytes");

	/* Use up the posted requests with small frames ... */
	for (i = base + 3; i < 11; i++) {
		send_frame(&a, 60);
		nbt_rx_responses(&a, rsp, 1, 2000);
	}
	/* ... then post one with a bad grant ref and a good one. */
	base = duet_ring_front_slot(a.rx);
	nbt_post_rx_ids(&a, 2, (int)base);
	ok(send_frame(&a, 60) == 0, "a 60-byte frame, next rx request has a "
				    "bad grant ref");
	n = nbt_rx_responses(&a, rsp, 1, 3000);
	ok(n == 1 && rsp[0].id == 100 + base &&
		   rsp[0].status == NETIF_RSP_ERROR,
	   "  answered in that slot with XEN_NETIF_RSP_ERROR");
	ok(send_frame(&a, 60) == 0, "another 60-byte frame");
	n = nbt_rx_responses(&a, rsp, 1, 3000);
	ok(n == 1 && rsp[0].id == 101 + base && rsp[0].status == 60,
	   "  lands in the next slot, 60 bytes");
	ok(nbt_wait(a.be, "state", "4", 100), "the vif stays Connected");
	nbt_stop(&a);
	return done_testing();
}

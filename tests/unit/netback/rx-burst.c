/* SPDX-License-Identifier: MIT */
/*
 * rx-burst.c - the rx thread under a burst: 24 frames sent into the TAP
 * back to back reach the rx ring in the order they were sent, each byte
 * for byte in the page of its request; then 24 more sent while the ring
 * has no requests (the queue stalls, the TAP backs up) are delivered in
 * order once requests are posted.
 */
#include "lib/nbtest.h"

#define NFRAMES 24u

/* Frame @i: broadcast, ethertype 0x88b5, 60 + @i bytes of value @i. */
static int send_frame(struct nbt_vif *v, unsigned i)
{
	uint8_t f[60 + NFRAMES];

	memset(f, (int)(0x40 + i), sizeof(f));
	memcpy(f, "\xff\xff\xff\xff\xff\xff\x00\x16\x3e\x00\x00\x0b", 12);
	f[12] = 0x88;
	f[13] = 0xb5;
	return nbt_send_raw(v, f, 60 + i);
}

/* The NFRAMES responses collected into @rsp are frames 0..NFRAMES-1 in
 * order, each in its request's page. */
static int in_order(struct nbt_vif *v, const struct netif_rx_response *rsp,
		    int n)
{
	unsigned i, k;

	if (n != (int)NFRAMES)
		return 0;

	for (i = 0; i < NFRAMES; i++) {
		/* nbt_post_rx() ids are ring slots, nbt_rx_drain()'s 100 +
		 * the slot; either way the page is the slot's. */
		unsigned slot = rsp[i].id >= 100 ? rsp[i].id - 100u : rsp[i].id;
		const uint8_t *pg = v->rx_pages +
				    (size_t)(slot % NBT_PAGES) * DUET_PAGE_SIZE;

		if (rsp[i].status != (int16_t)(60 + i))
			return diag("frame %u: status %d", i, rsp[i].status), 0;
		for (k = 14; k < 60 + i; k++)
			if (pg[k] != (uint8_t)(0x40 + i))
				return diag("frame %u: byte %u is %#x", i, k,
					    pg[k]), 0;
	}
	return 1;
}

int main(void)
{
	struct netif_rx_response rsp[NFRAMES];
	struct nbt_vif a;
	unsigned i;
	int ok_send = 1;

	nbt_start();
	nbt_split = 1;
	nbt_vif(&a, 0);
	nbt_no_ipv6(&a);
	nbt_rx_drain(&a);

	nbt_post_rx(&a, NFRAMES);
	for (i = 0; i < NFRAMES; i++)
		ok_send &= send_frame(&a, i) == 0;
	ok(ok_send, "%u frames sent into the TAP", NFRAMES);
	ok(in_order(&a, rsp, nbt_rx_responses(&a, rsp, NFRAMES, 5000)),
	   "they reach the rx ring in order, byte for byte");

	/* No requests posted: the queue stalls, frames wait read ahead. */
	for (i = 0; i < NFRAMES; i++)
		ok_send &= send_frame(&a, i) == 0;
	usleep(100 * 1000);
	nbt_post_rx(&a, NFRAMES);
	ok(ok_send && in_order(&a, rsp,
			       nbt_rx_responses(&a, rsp, NFRAMES, 5000)),
	   "%u more sent while no rx request was posted arrive in order "
	   "once requests are", NFRAMES);
	ok(nbt_alive(&a), "the instance lives");
	nbt_stop(&a);
	return done_testing();
}

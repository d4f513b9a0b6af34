/* SPDX-License-Identifier: MIT */
/*
 * tx-bad-gref.c - a grant reference the backend cannot copy from (out of
 * range, or not granted to the backend's domain) drops that packet with
 * XEN_NETIF_RSP_ERROR, as Linux's netback does when a grant copy fails;
 * the vif stays Connected, and a good packet in the same batch passes.
 * tx-map-bad-gref.c runs it with netback transmitting by grant map.
 */
#include "lib/nbtest.h"

int main(void)
{
	struct netif_tx_response rsp[3];
	struct nbt_vif a;
	long before;
	int n, i;

	nbt_start_tx();
	nbt_vif(&a, 0);
	before = nbt_tap_frames(&a);
	nbt_frame(&a, 0, 0, 60);
	nbt_put(&a, 1, 99999, 0, 60, 0);      /* no such grant */
	nbt_put(&a, 2, 0, 0, 60, 0);          /* good */
	nbt_put(&a, 3, 3, 0, 60, 0);          /* good (a page of zeros) */
	nbt_push(&a);
	n = nbt_responses(&a, rsp, 3, 3000);
	is_int(n, 3, "three packets answered");
	ok(n == 3 && rsp[0].id == 1 && rsp[0].status == NETIF_RSP_ERROR,
	   "bad grant ref: XEN_NETIF_RSP_ERROR");
	ok(n == 3 && rsp[1].id == 2 && rsp[1].status == NETIF_RSP_OKAY,
	   "the good packet in the same batch: OKAY");
	for (i = 0; i < 100 && nbt_tap_frames(&a) < before + 2; i++)
		usleep(10000);
	is_int(nbt_tap_frames(&a), before + 2,
	       "exactly the two good frames reached the TAP");
	ok(nbt_wait(a.be, "state", "4", 100), "the vif stays Connected");
	nbt_stop(&a);
	return done_testing();
}

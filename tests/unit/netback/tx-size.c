/* SPDX-License-Identifier: MIT */
/*
 * tx-size.c - sizes that disagree with the slots are dropped, not fatal
 * (Linux's netback: "Invalid tx request" / "Bad packet size"): a later
 * slot larger than what remains of the first slot's claimed total, and a
 * packet shorter than an Ethernet header, are answered with
 * XEN_NETIF_RSP_ERROR on every slot; the vif stays Connected and passes
 * the next good packet.
 */
#include "lib/nbtest.h"

int main(void)
{
	struct netif_tx_response rsp[4];
	struct nbt_vif a;
	int n;

	nbt_start();
	nbt_vif(&a, 0);

	nbt_frame(&a, 0, 0, 60);
	nbt_put(&a, 10, 0, 0, 100, NETTXF_more_data);
	nbt_put(&a, 11, 1, 0, 200, 0); /* 200 > what remains of 100 */
	nbt_push(&a);
	n = nbt_responses(&a, rsp, 2, 3000);
	is_int(n, 2, "size mismatch: both slots answered");
	ok(n == 2 && rsp[0].status == NETIF_RSP_ERROR &&
		   rsp[1].status == NETIF_RSP_ERROR,
	   "  with XEN_NETIF_RSP_ERROR");
	ok(n == 2 && rsp[0].id == 10 && rsp[1].id == 11, "  ids echoed");
	ok(nbt_wait(a.be, "state", "4", 100), "  the vif stays Connected");

	nbt_put(&a, 12, 0, 0, 10, 0);
	nbt_push(&a);
	n = nbt_responses(&a, rsp, 1, 3000);
	ok(n == 1 && rsp[0].id == 12 && rsp[0].status == NETIF_RSP_ERROR,
	   "a 10-byte packet (shorter than Ethernet): XEN_NETIF_RSP_ERROR");
	ok(nbt_wait(a.be, "state", "4", 100), "  the vif stays Connected");
	ok(nbt_good_packet(&a, 13), "the next good packet passes");
	nbt_stop(&a);
	return done_testing();
}

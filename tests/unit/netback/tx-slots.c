/* SPDX-License-Identifier: MIT */
/*
 * tx-slots.c - slot counts as Linux's netback treats them: a packet of 19
 * data slots (more than XEN_NETIF_NR_SLOTS_MIN) is dropped with an error
 * on every slot and the vif keeps working; one of 21 (past
 * fatal_skb_slots, 20) disables the vif, which moves to Closing, while the
 * instance process survives and another vif keeps working.
 */
#include "lib/nbtest.h"

static void put_chain(struct nbt_vif *v, unsigned n, uint16_t id0)
{
	unsigned i;

	for (i = 0; i < n; i++)
		nbt_put(v, (uint16_t)(id0 + i), i % NBT_PAGES, 0,
			(uint16_t)(i ? 100 : 100 * n),
			i + 1 < n ? NETTXF_more_data : 0);
	nbt_push(v);
}

int main(void)
{
	struct netif_tx_response rsp[32];
	struct nbt_vif a, b;
	int n, i, errs = 0;

	nbt_start();
	nbt_vif(&a, 0);
	nbt_vif(&b, 1);
	ok(nbt_good_packet(&a, 1), "vif 0 passes a good packet");

	nbt_frame(&a, 0, 0, 60);
	put_chain(&a, 19, 100);
	n = nbt_responses(&a, rsp, 19, 3000);
	is_int(n, 19, "19 slots: every slot answered");
	for (i = 0; i < n; i++)
		errs += rsp[i].status == NETIF_RSP_ERROR;
	is_int(errs, 19, "  each with XEN_NETIF_RSP_ERROR");
	ok(nbt_wait(a.be, "state", "4", 100), "  the vif stays Connected");
	ok(nbt_good_packet(&a, 2), "  and passes the next good packet");

	put_chain(&a, 21, 200);
	ok(nbt_wait(a.be, "state", "5", 3000),
	   "21 slots: fatal, the backend moves to Closing");
	ok(nbt_alive(&a), "  the netback instance process survives");
	ok(nbt_good_packet(&b, 3), "  vif 1 still passes a good packet");
	ok(nbt_wait(b.be, "state", "4", 100), "  vif 1 stays Connected");
	nbt_stop(&a);
	nbt_stop(&b);
	return done_testing();
}

/* SPDX-License-Identifier: MIT */
/*
 * mcast-max.c - the multicast filter is bounded like Linux's netback
 * (XEN_NETBK_MCAST_MAX = 64): 64 different MCAST_ADDs are answered OKAY,
 * the 65th ERROR; adding an address already there is OKAY; after an
 * MCAST_DEL there is room for one more.  The vif stays Connected.
 */
#include "lib/nbtest.h"

/* MCAST_ADD/DEL of 01:00:5e:00:00:<n> on a dummy request: its status
 * (the extra slot must be answered NULL), or -100 without responses. */
static int mcast_op(struct nbt_vif *v, uint8_t type, unsigned n,
		    uint16_t id)
{
	struct netif_tx_response rsp[2];
	struct netif_extra_info ex;

	nbt_put(v, id, 0, 0, 0, NETTXF_extra_info);
	memset(&ex, 0, sizeof(ex));
	ex.type = type;
	memcpy(ex.u.mcast.addr, "\x01\x00\x5e\x00\x00", 5);
	ex.u.mcast.addr[5] = (uint8_t)n;
	nbt_put_extra(v, &ex);
	nbt_push(v);
	if (nbt_responses(v, rsp, 2, 2000) != 2 || rsp[0].id != id ||
	    rsp[1].status != NETIF_RSP_NULL)
		return -100;
	return rsp[0].status;
}

int main(void)
{
	struct nbt_vif a;
	unsigned i, okays = 0;

	nbt_start();
	nbt_fe_flags[0] = "request-multicast-control";
	nbt_vif(&a, 0);
	for (i = 0; i < 64; i++)
		okays += mcast_op(&a, XEN_NETIF_EXTRA_TYPE_MCAST_ADD, i,
				  (uint16_t)i) == NETIF_RSP_OKAY;
	is_int(okays, 64, "64 different groups are accepted");
	is_int(mcast_op(&a, XEN_NETIF_EXTRA_TYPE_MCAST_ADD, 64, 100),
	       NETIF_RSP_ERROR, "the 65th is refused (ERROR)");
	is_int(mcast_op(&a, XEN_NETIF_EXTRA_TYPE_MCAST_ADD, 5, 101),
	       NETIF_RSP_OKAY, "adding a group already there is OKAY");
	is_int(mcast_op(&a, XEN_NETIF_EXTRA_TYPE_MCAST_DEL, 5, 102),
	       NETIF_RSP_OKAY, "MCAST_DEL is OKAY");
	is_int(mcast_op(&a, XEN_NETIF_EXTRA_TYPE_MCAST_ADD, 64, 103),
	       NETIF_RSP_OKAY, "then there is room for one more");
	is_int(mcast_op(&a, XEN_NETIF_EXTRA_TYPE_MCAST_ADD, 65, 104),
	       NETIF_RSP_ERROR, "and not for two");
	ok(nbt_wait(a.be, "state", "4", 100), "the vif stays Connected");
	ok(nbt_good_packet(&a, 200), "and still transmits");
	nbt_stop(&a);
	return done_testing();
}

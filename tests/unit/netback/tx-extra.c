/* SPDX-License-Identifier: MIT */
/*
 * tx-extra.c - extra-info garbage is fatal, as in Linux's netback
 * (xenvif_get_extras, xenvif_set_skb_gso): an extra of type 0 or past
 * XEN_NETIF_EXTRA_TYPE_MAX, a GSO extra with size 0, and one with an
 * unknown GSO type each move their vif to Closing; the instance processes
 * survive and another vif passes packets.  A valid GSO extra is answered
 * with XEN_NETIF_RSP_NULL in its slot.
 */
#include "lib/nbtest.h"

static void gso_packet(struct nbt_vif *v, uint8_t type, uint8_t gtype,
		       uint16_t gsize)
{
	struct netif_extra_info ex;

	nbt_frame(v, 0, 0, 60);
	nbt_put(v, 1, 0, 0, 60, NETTXF_extra_info);
	memset(&ex, 0, sizeof(ex));
	ex.type = type;
	ex.u.gso.type = gtype;
	ex.u.gso.size = gsize;
	nbt_put_extra(v, &ex);
	nbt_push(v);
}

int main(void)
{
	struct netif_tx_response rsp[2];
	struct nbt_vif v[5];
	int n;

	nbt_start();
	for (n = 0; n < 5; n++)
		nbt_vif(&v[n], (unsigned)n);

	gso_packet(&v[0], 0, 0, 0);
	ok(nbt_wait(v[0].be, "state", "5", 3000), "extra type 0: Closing");
	gso_packet(&v[1], XEN_NETIF_EXTRA_TYPE_MAX, 0, 0);
	ok(nbt_wait(v[1].be, "state", "5", 3000),
	   "extra type XEN_NETIF_EXTRA_TYPE_MAX: Closing");
	gso_packet(&v[2], XEN_NETIF_EXTRA_TYPE_GSO, XEN_NETIF_GSO_TYPE_TCPV4,
		   0);
	ok(nbt_wait(v[2].be, "state", "5", 3000), "GSO size 0: Closing");
	gso_packet(&v[3], XEN_NETIF_EXTRA_TYPE_GSO, 9, 1400);
	ok(nbt_wait(v[3].be, "state", "5", 3000), "GSO type 9: Closing");
	for (n = 0; n < 4; n++)
		ok(nbt_alive(&v[n]), "  instance %d survives", n);

	/* A valid GSO extra on a frame that is not TCP: the frame is
	 * dropped (no TCP header to segment), the extra slot is NULL. */
	gso_packet(&v[4], XEN_NETIF_EXTRA_TYPE_GSO, XEN_NETIF_GSO_TYPE_TCPV4,
		   1400);
	n = nbt_responses(&v[4], rsp, 2, 3000);
	is_int(n, 2, "valid GSO extra: both slots answered");
	ok(n == 2 && rsp[0].status == NETIF_RSP_ERROR &&
		   rsp[1].status == NETIF_RSP_NULL,
	   "  a non-TCP frame with GSO is dropped, the extra slot is NULL");
	ok(nbt_good_packet(&v[4], 5), "vif 4 still passes a good packet");
	ok(nbt_wait(v[4].be, "state", "4", 100), "  and stays Connected");
	for (n = 0; n < 5; n++)
		nbt_stop(&v[n]);
	return done_testing();
}

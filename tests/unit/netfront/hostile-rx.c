/* SPDX-License-Identifier: MIT */
/*
 * hostile-rx.c - netfront (trusted=0) against a backend writing garbage
 * rx responses: a wrong id, a size past the page, offset + size past the
 * page, an error status, too many slots, extra-info of a bad type, a bad
 * GSO extra, more extras than there are types, a frame shorter than an
 * Ethernet header -- each drops that packet only (the next good packet
 * is delivered); a response producer that runs past the requests breaks
 * the connection (-EPROTO).  Nothing crashes (this test also runs under
 * ASan and UBSan).
 */
#include "tap.h"
#include "lib/nftest.h"

/* Run the responses queued so far, then one good packet: 1 when the bad
 * one was dropped (counted, not delivered) and the good one delivered. */
static int dropped_then_good(struct nft *t)
{
	uint64_t before = t->vif->st.rx_dropped;
	int bad_delivered;

	if (nft_rx_run(t) < 0)
		return 0;
	bad_delivered = nft_delivered(t);
	nft_rx_good(t);
	if (nft_rx_run(t) < 0)
		return 0;
	return !bad_delivered && t->vif->st.rx_dropped == before + 1 &&
	       nft_delivered(t) == 1;
}

int main(void)
{
	struct netif_extra_info ex;
	struct nft t;
	unsigned i, slot;

	if (nft_init(&t) < 0) {
		printf("Bail out! harness\n");
		return 1;
	}
	nft_rx_good(&t);
	ok(nft_rx_run(&t) == 0 && nft_delivered(&t) == 1,
	   "a good response is delivered");

	slot = t.rx_next % NF_RING;
	nft_frame(&t, slot);
	nft_rx_put(&t, (uint16_t)(slot + 1), 0, 0, 60);
	ok(dropped_then_good(&t), "an id that is not its slot: dropped");

	slot = t.rx_next % NF_RING;
	nft_rx_put(&t, (uint16_t)slot, 0, 0, 4097);
	ok(dropped_then_good(&t), "a size past the page: dropped");

	slot = t.rx_next % NF_RING;
	nft_rx_put(&t, (uint16_t)slot, 4000, 0, 200);
	ok(dropped_then_good(&t), "offset + size past the page: dropped");

	slot = t.rx_next % NF_RING;
	nft_rx_put(&t, (uint16_t)slot, 0xffff, 0, 60);
	ok(dropped_then_good(&t), "an offset of 0xffff: dropped");

	slot = t.rx_next % NF_RING;
	nft_rx_put(&t, (uint16_t)slot, 0, 0, NETIF_RSP_ERROR);
	ok(dropped_then_good(&t), "an error status: dropped");

	slot = t.rx_next % NF_RING;
	nft_rx_put(&t, (uint16_t)slot, 0, 0, -32768);
	ok(dropped_then_good(&t), "status -32768: dropped");

	for (i = 0; i < NF_MAX_SLOTS + 1; i++) {
		slot = t.rx_next % NF_RING;
		nft_frame(&t, slot);
		nft_rx_put(&t, (uint16_t)slot, 0,
			   i < NF_MAX_SLOTS ? NETRXF_more_data : 0, 1000);
	}
	ok(dropped_then_good(&t), "%u data slots in one packet: dropped",
	   NF_MAX_SLOTS + 1);

	slot = t.rx_next % NF_RING;
	nft_frame(&t, slot);
	nft_rx_put(&t, (uint16_t)slot, 0, 0, 10);
	ok(dropped_then_good(&t), "a 10-byte frame: dropped");

	slot = t.rx_next % NF_RING;
	nft_frame(&t, slot);
	nft_rx_put(&t, (uint16_t)slot, 0, NETRXF_extra_info, 60);
	memset(&ex, 0, sizeof(ex));
	ex.type = 9;
	nft_rx_put_extra(&t, &ex);
	ok(dropped_then_good(&t), "extra-info of type 9: dropped");

	slot = t.rx_next % NF_RING;
	nft_frame(&t, slot);
	nft_rx_put(&t, (uint16_t)slot, 0, NETRXF_extra_info, 60);
	memset(&ex, 0, sizeof(ex));
	nft_rx_put_extra(&t, &ex);
	ok(dropped_then_good(&t), "extra-info of type 0: dropped");

	slot = t.rx_next % NF_RING;
	nft_frame(&t, slot);
	nft_rx_put(&t, (uint16_t)slot, 0, NETRXF_extra_info, 60);
	memset(&ex, 0, sizeof(ex));
	ex.type = XEN_NETIF_EXTRA_TYPE_GSO;
	ex.u.gso.type = 7;
	ex.u.gso.size = 1400;
	nft_rx_put_extra(&t, &ex);
	ok(dropped_then_good(&t), "a GSO extra of type 7: dropped");

	slot = t.rx_next % NF_RING;
	nft_frame(&t, slot);
	nft_rx_put(&t, (uint16_t)slot, 0, NETRXF_extra_info, 60);
	memset(&ex, 0, sizeof(ex));
	ex.type = XEN_NETIF_EXTRA_TYPE_GSO;
	ex.u.gso.type = XEN_NETIF_GSO_TYPE_TCPV4;
	nft_rx_put_extra(&t, &ex);
	ok(dropped_then_good(&t), "a GSO extra of size 0: dropped");

	slot = t.rx_next % NF_RING;
	nft_frame(&t, slot);
	nft_rx_put(&t, (uint16_t)slot, 0, NETRXF_extra_info, 60);
	for (i = 0; i < XEN_NETIF_EXTRA_TYPE_MAX; i++) {
		memset(&ex, 0, sizeof(ex));
		ex.type = XEN_NETIF_EXTRA_TYPE_HASH;
		ex.flags = i + 1 < XEN_NETIF_EXTRA_TYPE_MAX ?
				   XEN_NETIF_EXTRA_FLAG_MORE : 0;
		nft_rx_put_extra(&t, &ex);
	}
	ok(dropped_then_good(&t), "%u chained extras: dropped",
	   XEN_NETIF_EXTRA_TYPE_MAX);

	/* Legitimate: GSO then HASH extras (what netback sends with
	 * hashing on); the HASH value is not used. */
	slot = t.rx_next % NF_RING;
	nft_frame(&t, slot);
	nft_rx_put(&t, (uint16_t)slot, 0,
		   NETRXF_extra_info | NETRXF_data_validated, 60);
	memset(&ex, 0, sizeof(ex));
	ex.type = XEN_NETIF_EXTRA_TYPE_HASH;
	ex.u.hash.algorithm = XEN_NETIF_CTRL_HASH_ALGORITHM_TOEPLITZ;
	nft_rx_put_extra(&t, &ex);
	ok(nft_rx_run(&t) == 0 && nft_delivered(&t) == 1,
	   "a packet with a HASH extra is delivered");

	/* The response producer runs a ring ahead of the requests. */
	__atomic_store_n(&((struct netif_rx_sring *)t.rx_sring)->rsp_prod,
			 t.rx_next + 2 * NF_RING, __ATOMIC_RELEASE);
	is_int(nf_rx_responses(t.q), -EPROTO,
	       "rsp_prod past the requests: the connection is broken");
	nft_fini(&t);
	return done_testing();
}

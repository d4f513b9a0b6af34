/* SPDX-License-Identifier: MIT */
/*
 * hostile-tx.c - netfront (trusted=0) against a backend writing garbage
 * tx responses: a response for an id in flight frees it (OKAY, or
 * ERROR counted as a drop; NULL answers an extra slot and frees nothing),
 * while a duplicate id, an id never sent, an id past the ring, or a
 * response producer past the requests breaks the connection (-EPROTO)
 * -- the free id stack never takes an id twice.  Nothing crashes.
 */
#include "tap.h"
#include "lib/nftest.h"

static int fresh(struct nft *t)
{
	if (nft_init(t) < 0) {
		printf("Bail out! harness\n");
		exit(1);
	}
	return 1;
}

int main(void)
{
	struct nft t;
	unsigned free0;

	fresh(&t);
	free0 = t.q->ntx_free;
	nft_tx_send(&t, 3);
	nft_tx_send(&t, 4);
	is_int(t.q->ntx_free, free0 - 2, "two ids in flight");
	nft_tx_put(&t, 3, NETIF_RSP_OKAY);
	nft_tx_put(&t, 4, NETIF_RSP_ERROR);
	is_int(nft_tx_run(&t), 0, "OKAY and ERROR responses are taken");
	ok(!t.q->tx_inuse[3] && !t.q->tx_inuse[4] &&
		   t.q->ntx_free == free0,
	   "  both ids are free again");
	is_int(t.vif->st.tx_dropped, 1, "  the ERROR one counts as dropped");
	nft_tx_send(&t, 5);
	nft_tx_send(&t, 6);
	nft_tx_put(&t, 5, NETIF_RSP_NULL);
	nft_tx_put(&t, 6, NETIF_RSP_OKAY);
	ok(nft_tx_run(&t) == 0 && t.q->tx_inuse[5] && !t.q->tx_inuse[6],
	   "a NULL response frees nothing");
	nft_fini(&t);

	fresh(&t);
	nft_tx_send(&t, 7);
	nft_tx_send(&t, 8);
	free0 = t.q->ntx_free;
	nft_tx_put(&t, 7, NETIF_RSP_OKAY);
	nft_tx_put(&t, 7, NETIF_RSP_OKAY);
	is_int(nft_tx_run(&t), -EPROTO,
	       "a duplicate id breaks the connection");
	is_int(t.q->ntx_free, free0 + 1, "  and is freed only once");
	nft_fini(&t);

	fresh(&t);
	nft_tx_send(&t, 9);
	nft_tx_put(&t, 10, NETIF_RSP_OKAY);
	is_int(nft_tx_run(&t), -EPROTO, "an id never sent breaks it");
	nft_fini(&t);

	fresh(&t);
	nft_tx_send(&t, 11);
	nft_tx_put(&t, NF_RING + 44, NETIF_RSP_OKAY);
	is_int(nft_tx_run(&t), -EPROTO, "an id past the ring breaks it");
	nft_fini(&t);

	fresh(&t);
	nft_tx_send(&t, 12);
	__atomic_store_n(&((struct netif_tx_sring *)t.tx_sring)->rsp_prod,
			 3 * NF_RING, __ATOMIC_RELEASE);
	is_int(nf_tx_responses(t.q), -EPROTO,
	       "rsp_prod past the requests breaks it");
	nft_fini(&t);
	return done_testing();
}

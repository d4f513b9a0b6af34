/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: arbitrary rx and tx response rings fed to netfront.
 *
 * A hostile backend (trusted=0: netfront believes nothing it says) gets
 * the backend ends of one queue's rings (tests/lib/nftest.h:
 * a stub platform, local pages, a socket pair for the TAP device) with
 * 64 tx ids in flight and every rx request posted.  The input is a
 * stream of steps:
 *   byte 0      bit 0: 0 = rx ring, 1 = tx ring; bit 1: also move the
 *               response producer to the next 4 input bytes (any value)
 *   byte 1      responses in this step (1..32), 8 input bytes each,
 *               written raw into response slots whatever they say
 * then netfront takes them (nf_rx_responses() / nf_tx_responses()).  The
 * rx data pages hold input-derived bytes too.  Netfront must not crash,
 * touch memory out of bounds, free a tx id twice or lose one, or go on
 * after it declared the connection broken.
 */
#include "lib/nftest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_ids(const struct nf_queue *q)
{
	unsigned i, inuse = 0;

	for (i = 0; i < NF_RING; i++)
		inuse += q->tx_inuse[i];
	if (q->ntx_free > NF_RING || inuse + q->ntx_free != NF_RING ||
	    q->rx_posted > NF_RING)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct nft t;
	unsigned i, n, op;
	uint32_t prod;
	int rc = 0;

	duet_log_set_level(DUET_LOG_ERR);
	if (nft_init(&t) < 0)
		abort();
	for (i = 0; i < 64; i++)
		nft_tx_send(&t, (uint16_t)(i * 3));
	for (i = 0; i < NF_RING; i++)
		memset(t.q->rx_pages + (size_t)i * DUET_PAGE_SIZE,
		       size ? data[i % size] : 0, 64);
	while (size >= 2 && rc >= 0) {
		op = data[0];
		n = 1u + data[1] % 32u;
		data += 2;
		size -= 2;
		if ((op & 2) && size >= 4) {
			memcpy(&prod, data, 4);
			data += 4;
			size -= 4;
		} else {
			op &= ~2u;
		}
		for (i = 0; i < n && size >= 8; i++, data += 8, size -= 8) {
			if (op & 1) {
				struct netif_tx_response r;

				memcpy(&r, data, sizeof(r));
				duet_ring_back_put_rsp(t.btx, &r);
			} else {
				struct netif_rx_response r;

				memcpy(&r, data, sizeof(r));
				duet_ring_back_put_rsp(t.brx, &r);
			}
		}
		if (op & 1) {
			duet_ring_back_push(t.btx);
			if (op & 2)
				__atomic_store_n(&((struct netif_tx_sring *)
							   t.tx_sring)
							  ->rsp_prod,
						 prod, __ATOMIC_RELEASE);
			rc = nf_tx_responses(t.q);
		} else {
			duet_ring_back_push(t.brx);
			if (op & 2)
				__atomic_store_n(&((struct netif_rx_sring *)
							   t.rx_sring)
							  ->rsp_prod,
						 prod, __ATOMIC_RELEASE);
			rc = nft_rx_run(&t);
		}
		check_ids(t.q);
		nft_delivered(&t);
	}
	nft_fini(&t);
	return 0;
}

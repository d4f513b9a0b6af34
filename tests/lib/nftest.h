/* SPDX-License-Identifier: MIT */
/*
 * nftest.h - a hostile backend for netfront's ring code, shared by
 * tests/unit/netfront/ and tests/fuzz/netfront-rx.c.
 *
 * nft_init() builds one connected netfront queue without a simulator:
 * a stub platform (notifications go nowhere), the tx and rx rings on
 * local pages with the test holding their backend ends, the rx data
 * pages as local memory (slot s = page s), and a SOCK_SEQPACKET pair
 * instead of the TAP device so that the frames netfront delivers can be
 * counted.  nf_rx_fill() has posted every rx request.  The test then
 * writes whatever responses it likes and calls nf_rx_responses() or
 * nf_tx_responses() (trusted=0: a response is never believed).
 */
#ifndef DUET_TESTS_LIB_NFTEST_H
#define DUET_TESTS_LIB_NFTEST_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "frontends/netfront/common.h"
#include "gnttab/private.h"

struct nft {
	struct duet_platform plat;
	struct duet_evtchn evt;
	struct nf_vif *vif;
	struct nf_queue *q;
	uint8_t *tx_sring, *rx_sring;
	struct duet_ring *btx, *brx; /* the backend's ends */
	int sp[2];                   /* netfront writes [0], we read [1] */
	unsigned rx_next;            /* slot of the next rx response */
};

int nft_init(struct nft *t);

void nft_fini(struct nft *t);

/* Frames netfront wrote to its "TAP" since the last call. */
int nft_delivered(struct nft *t);

/* A 60-byte broadcast frame in the page of rx slot @slot. */
void nft_frame(struct nft *t, unsigned slot);

/* Queue one raw rx response in the next slot (not yet published). */
void nft_rx_put(struct nft *t, uint16_t id, uint16_t offset,
		uint16_t flags, int16_t status);

void nft_rx_put_extra(struct nft *t,
		      const struct netif_extra_info *ex);

/* Publish the queued rx responses and let netfront take them; its return
 * value.  The requests it posts again are taken at once. */
int nft_rx_run(struct nft *t);

/* A good one-slot packet in the next slot. */
void nft_rx_good(struct nft *t);

/* The frontend sends a tx request with id @id (taken out of the free
 * stack as tx.c would); the backend end takes it. */
void nft_tx_send(struct nft *t, uint16_t id);

void nft_tx_put(struct nft *t, uint16_t id, int16_t status);

int nft_tx_run(struct nft *t);

#endif /* DUET_TESTS_LIB_NFTEST_H */

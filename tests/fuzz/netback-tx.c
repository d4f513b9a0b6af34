/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: arbitrary tx rings fed to netback's transmit path.
 *
 * The input is a stream of 12-byte tx ring slots (requests and extra-info
 * slots alike, whatever they say) that a hostile frontend produces; they
 * are published in chunks whose sizes come from the input, and netback's
 * nb_tx_process() consumes them.  Grant copies are served by a stub
 * platform from 16 "frontend pages" (other refs fail like a bad grant),
 * frames go to /dev/null.  Whatever the slots say, netback must not
 * crash, read or write out of bounds, answer a slot twice, or keep
 * serving after it declared the vif broken.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backends/netback/common.h"
#include "gnttab/private.h"

#define FZ_PAGES 16u

static uint8_t fz_pages[FZ_PAGES][DUET_PAGE_SIZE];

static int fz_copy(struct duet_platform *p, struct duet_gnt_copy_seg *segs,
		   unsigned count)
{
	unsigned i;

	for (i = 0; i < count; i++) {
		struct duet_gnt_copy_seg *s = &segs[i];

		if (s->status)
			continue;
		if (!(s->flags & DUET_GNT_COPY_SRC_GREF) ||
		    (s->flags & DUET_GNT_COPY_DST_GREF) ||
		    s->src.foreign.ref >= FZ_PAGES) {
			s->status = -EINVAL;
			continue;
		}
		memcpy(s->dst.virt,
		       fz_pages[s->src.foreign.ref] + s->src.foreign.offset,
		       s->len);
	}
	return 0;
}

static int fz_notify(struct duet_evtchn *e, duet_evtchn_port_t port)
{
	return 0;
}

static const struct duet_platform_ops fz_ops = {
	.name = "fuzz",
	.copy = fz_copy,
	.evtchn_notify = fz_notify,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct duet_platform plat = {.ops = &fz_ops};
	static struct duet_evtchn evt = {.p = &plat};
	static uint8_t ring_page[DUET_PAGE_SIZE] __attribute__((aligned(4096)));
	static struct nb_vif *vif;
	static int devnull = -1;
	struct duet_ring *front = NULL;
	struct nb_queue *q;
	struct netif_tx_request req;
	struct netif_tx_response rsp;
	unsigned chunk, i;

	if (!vif) {
		vif = calloc(1, sizeof(*vif));
		devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
		for (i = 0; i < FZ_PAGES; i++)
			memset(fz_pages[i], (int)i, DUET_PAGE_SIZE);
		if (vif) {
			/* nb_tx_init() takes its buffers from the platform. */
			vif->q[0].vif = vif;
			vif->p = &plat;
		}
		if (!vif || devnull < 0 || nb_tx_init(&vif->q[0]) < 0)
			abort();
	}
	q = &vif->q[0];
	vif->p = &plat;
	vif->evt = &evt;
	vif->dev = NULL; /* nb_broken()'s XenBus switch then does nothing */
	vif->fe_domid = 1;
	vif->disabled = 0;
	vif->nqueues = 1;
	q->vif = vif;
	q->tapfd = devnull;
	memset(&q->txs, 0, sizeof(q->txs));
	q->ntxp = 0;
	q->ntxseg = 0;
	memset(ring_page, 0, sizeof(ring_page));
	if (duet_ring_attach(duet_ring_desc_get(DUET_RING_NETIF_TX),
			     DUET_RING_FRONT, ring_page, 0, &front) ||
	    duet_ring_attach(duet_ring_desc_get(DUET_RING_NETIF_TX),
			     DUET_RING_BACK, ring_page, 0, &q->tx))
		abort();

	while (size > 1 && !vif->disabled) {
		chunk = 1u + data[0] % 40u;
		data++;
		size--;
		for (i = 0; i < chunk && size >= sizeof(req) &&
			    duet_ring_front_free(front) > 0;
		     i++) {
			memcpy(&req, data, sizeof(req));
			data += sizeof(req);
			size -= sizeof(req);
			duet_ring_front_put_req(front, &req);
		}
		if (!i)
			break;
		duet_ring_front_push(front);
		if (nb_tx_process(q) < 0 && !vif->disabled)
			break; /* ring broken: the peer is disconnected */
		while (duet_ring_front_get_rsp(front, &rsp) == 1)
			if (rsp.status != NETIF_RSP_OKAY &&
			    rsp.status != NETIF_RSP_ERROR &&
			    rsp.status != NETIF_RSP_NULL)
				abort();
	}
	duet_ring_detach(q->tx);
	q->tx = NULL;
	duet_ring_detach(front);
	return 0;
}

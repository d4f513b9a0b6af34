/* SPDX-License-Identifier: MIT */
/*
 * dma.c - netback's frames through an emulated NIC behind a DMA backend
 * (duet/dma.h, duet/dma-dev.h), chosen with `duet backend --dma NAME` or
 * the backend node "dma" (duet/blkif.h).  Without either, none of this
 * runs and the batches are grant-copied (or mapped) as tx.c and rx.c say.
 *
 * Set up at each connect (nb_dma_open()): the vif's DMA stack
 * (iommu-glue/dma-stack.h, shared with blkback: the driver domain's
 * machine and RAM, one DMA device with the named backend, the
 * grant-aware glue over the instance's platform handle, counters and
 * fault log), and one NIC whose tx and rx descriptor rings (NB_DMA_RING
 * entries each) lie in coherent memory.  All queues share it; with a DMA
 * device netback runs no rx thread (xenbus.c), so nothing here is locked.
 *
 * The data moves where tx.c and rx.c would grant-copy a batch, with the
 * same segments (struct duet_gnt_copy_seg) and the same per-segment
 * status, so the Linux-compatible ring protocol around them is unchanged:
 *   tx (nb_dma_tx())  every slot of the batch is mapped for the device
 *     read-only and TO_DEVICE with one batched glue call
 *     (duet_dma_glue_map_grants(): one platform call per 64 grants) and
 *     becomes one tx descriptor (bus address + the slot's offset, its
 *     size), chained per packet with DUET_DMA_NIC_MORE; the NIC gathers
 *     each frame through DMA and puts it on its "wire": a callback that
 *     stores it in the packet's buffer, from where tx.c writes it to the
 *     TAP as before.  One batched unmap (one IOMMU invalidation per 64
 *     grants) ends the batch.
 *   rx (nb_dma_rx())  every rx request page the batch's frames need is
 *     mapped for the device writable and FROM_DEVICE the same way; per
 *     frame they become rx descriptors (MORE on all but the last), the
 *     frame read from the TAP arrives on the NIC's wire side
 *     (duet_dma_nic_receive()) and the device writes it through DMA into
 *     exactly those pages; the batched unmap copies bounces back.
 * A grant the grant table refuses for the device fails its packet like a
 * failed grant copy (XEN_NETIF_RSP_ERROR), counted as dma-refused: the
 * batch is then mapped again without that packet (a batched map is all
 * or nothing), so a bad grant costs its own packet only.  A descriptor
 * the NIC completes with ERR (a device fault) fails its packet too,
 * counted by the device (dma-faults) and logged, rate-limited.  Neither
 * is a protocol violation: the frontend may revoke a grant at any time.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backends/netback/common.h"
#include "duet/dma-dev.h"
#include "duet/dma.h"
#include "duet/log.h"
#include "iommu-glue/dma-stack.h"

/* Descriptors per ring: a whole tx batch (NB_BATCH * NB_FATAL_SLOTS). */
#define NB_DMA_RING 1024u
/* The driver domain's RAM in the model: 8 MiB. */
#define NB_DMA_RAM_PAGES 2048u
/* Grants of one batch at most (tx; rx takes NB_BATCH * NB_RX_MAX_SLOTS). */
#define NB_DMA_GRANTS (NB_BATCH * NB_FATAL_SLOTS)

/**
 * struct nb_dma - the vif's DMA path.
 * @s:           the DMA stack (device, glue, counters, fault log).
 * @nic:         the NIC.
 * @tx, @rx:     its rings (coherent), at bus @tx_bus, @rx_bus.
 * @tx_tail, @rx_tail: the driver's next entries (the device's, too,
 *               between calls: every descriptor posted is consumed
 *               before nb_dma_tx()/nb_dma_rx() return).
 * @v, @vpkt, @vseg: the batch's grants for the glue, the packet and the
 *               segment of each; @h: their handles, to unmap.
 * @wq, @wpkt:   tx wire: the queue whose batch is being sent and the
 *               next packet of it that may take a frame.
 * @first, @ndesc: per packet of that batch, its first descriptor and
 *               how many (0: not sent); @sent: 1 once its frame arrived.
 */
struct nb_dma {
	struct dma_stack *s;
	struct duet_dma_nic *nic;
	struct duet_dma_nic_desc *tx, *rx;
	duet_dma_addr_t tx_bus, rx_bus;
	unsigned tx_tail, rx_tail;
	struct duet_dma_glue_req v[NB_DMA_GRANTS];
	uint16_t vpkt[NB_DMA_GRANTS], vseg[NB_DMA_GRANTS];
	struct duet_dma_glue_map *h[NB_DMA_GRANTS];
	struct nb_queue *wq;
	unsigned wpkt;
	unsigned first[NB_BATCH], ndesc[NB_BATCH];
	uint8_t sent[NB_BATCH];
};

/* ------------------------------------------------------------------ */
/* Set-up                                                              */
/* ------------------------------------------------------------------ */

/*
 * The tx wire: the frame of the next packet whose chain the NIC has not
 * completed yet (packets it completed with ERR before this frame are
 * skipped), stored where the grant copy would have put it.
 */
static void tx_wire(void *opaque, const void *frame, size_t len)
{
	struct nb_dma *d = opaque;
	struct nb_queue *q = d->wq;
	unsigned i;

	for (i = d->wpkt; q && i < q->ntxp; i++) {
		struct nb_txpkt *pkt = &q->txp[i];
		unsigned last;

		if (!d->ndesc[i])
			continue;
		last = (d->first[i] + d->ndesc[i] - 1) % NB_DMA_RING;
		if (d->tx[last].flags & DUET_DMA_NIC_DONE)
			continue;
		if (len == pkt->len) {
			memcpy(pkt->buf, frame, len);
			d->sent[i] = 1;
		}
		d->wpkt = i + 1;
		return;
	}
}

int nb_dma_open(struct nb_vif *vif)
{
	const struct duet_backend_ctx *ctx = vif->ctx;
	struct dma_stack_cfg cfg = {
		.drv = "netback",
		.dir = ctx->dir,
		.devname = "nic",
		.self = (duet_domid_t)ctx->self_domid,
		.ram_pages = NB_DMA_RAM_PAGES,
		.platform = vif->p,
	};
	size_t ring = NB_DMA_RING * sizeof(struct duet_dma_nic_desc);
	char name[32];
	struct nb_dma *d;
	int rc;

	rc = duet_xenbus_read_str(vif->xs, ctx->dir, "dma", name,
				  sizeof(name));
	if (rc == -ENOENT && ctx->dma && *ctx->dma) {
		snprintf(name, sizeof(name), "%s", ctx->dma);
		rc = duet_xenbus_printf(vif->xs, DUET_XS_NO_TX, ctx->dir,
					"dma", "%s", name);
	} else if (rc == -ENOENT) {
		return 0;
	}
	if (rc < 0)
		return rc;
	if (!*name)
		return 0;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	cfg.backend = name;
	rc = dma_stack_open(&cfg, &d->s);
	if (rc) {
		free(d);
		return rc;
	}
	vif->dma = d;
	rc = duet_dma_alloc_coherent(d->s->dev, ring, (void **)&d->tx,
				     &d->tx_bus);
	if (!rc)
		rc = duet_dma_alloc_coherent(d->s->dev, ring, (void **)&d->rx,
					     &d->rx_bus);
	if (!rc)
		rc = duet_dma_nic_create(d->s->dev, d->tx_bus, d->rx_bus,
					 NB_DMA_RING, tx_wire, d, &d->nic);
	if (rc) {
		duet_log(DUET_LOG_ERR, "netback %s: DMA backend %s: %s",
			 ctx->dir, name, strerror(-rc));
		nb_dma_close(vif);
		return rc;
	}
	duet_log(DUET_LOG_INFO, "netback %s: frames through DMA backend %s",
		 ctx->dir, name);
	return 0;
}

void nb_dma_close(struct nb_vif *vif)
{
	struct nb_dma *d = vif->dma;
	size_t ring = NB_DMA_RING * sizeof(struct duet_dma_nic_desc);

	if (!d)
		return;
	vif->dma = NULL;
	duet_dma_nic_destroy(d->nic);
	if (d->tx)
		duet_dma_free_coherent(d->s->dev, ring, d->tx, d->tx_bus);
	if (d->rx)
		duet_dma_free_coherent(d->s->dev, ring, d->rx, d->rx_bus);
	dma_stack_close(d->s);
	free(d);
}

/* ------------------------------------------------------------------ */
/* Batched grant maps                                                  */
/* ------------------------------------------------------------------ */

/* Fail segments [@s0, @s0 + @n) of a batch with @err. */
static void segs_fail(struct duet_gnt_copy_seg *seg, unsigned s0,
		      unsigned n, int err)
{
	unsigned s;

	for (s = 0; s < n; s++)
		seg[s0 + s].status = (int16_t)err;
}

/* Entries of d->v from @at on (of @n) that belong to the same packet. */
static unsigned pkt_run(const struct nb_dma *d, unsigned at, unsigned n)
{
	unsigned k = 1;

	while (at + k < n && d->vpkt[at + k] == d->vpkt[at])
		k++;
	return k;
}

/*
 * Map d->v[0..@n) for the device.  A grant the glue refuses takes its
 * packet out (@failed is called for it, its entries removed) and the
 * rest is mapped again.  Returns how many are mapped (their handles in
 * d->h, entries compacted), 0 when none is left, or -errno when the
 * glue itself failed (every packet then failed).
 */
static int map_batch(struct nb_queue *q, unsigned n,
		     void (*failed)(struct nb_queue *q, unsigned pkt, int err))
{
	struct nb_vif *vif = q->vif;
	struct nb_dma *d = vif->dma;
	unsigned i, k, bad;
	int rc;

	while (n) {
		rc = duet_dma_glue_map_grants(d->s->glue, d->s->dev,
					      (duet_domid_t)vif->fe_domid,
					      d->v, n);
		if (rc >= 0)
			break;
		for (bad = 0; bad < n && !d->v[bad].status; bad++)
			;
		if (bad == n || rc == -EINVAL || rc == -ENOMEM) {
			dma_stack_log(d->s, "device mapping failed", rc, 0,
				      "batch dropped");
			for (i = 0; i < n; i++)
				failed(q, d->vpkt[i], -EFAULT);
			return rc;
		}
		dma_stack_count(d->s, 0, rc == -EACCES);
		dma_stack_log(d->s, rc == -EACCES ?
				"grant refused for the device" :
				"device mapping failed",
			      rc, d->v[bad].ref, "packet dropped");
		bad = d->vpkt[bad];
		failed(q, bad, -EINVAL);
		for (i = k = 0; i < n; i++)
			if (d->vpkt[i] != bad) {
				d->v[k] = d->v[i];
				d->vpkt[k] = d->vpkt[i];
				d->vseg[k++] = d->vseg[i];
			}
		n = k;
	}
	for (i = 0; i < n; i++)
		d->h[i] = d->v[i].h;
	dma_stack_count(d->s, n, 0);
	return (int)n;
}

/* ------------------------------------------------------------------ */
/* Transmit                                                            */
/* ------------------------------------------------------------------ */

static void tx_failed(struct nb_queue *q, unsigned i, int err)
{
	struct nb_txpkt *pkt = &q->txp[i];

	q->vif->dma->ndesc[i] = 0;
	segs_fail(q->txseg, pkt->seg0, pkt->nseg, err);
}

/* Post packet @i's mapped slots d->v[@at..@at + @n): one descriptor
 * each, OWN last. */
static void tx_post(struct nb_queue *q, unsigned i, unsigned at, unsigned n)
{
	struct nb_dma *d = q->vif->dma;
	unsigned k, e;

	d->first[i] = d->tx_tail;
	for (k = 0; k < n; k++) {
		const struct duet_gnt_copy_seg *g = &q->txseg[d->vseg[at + k]];

		e = (d->tx_tail + k) % NB_DMA_RING;
		d->tx[e].addr = d->v[at + k].addr + g->src.foreign.offset;
		d->tx[e].len = g->len;
		d->tx[e].rsvd = 0;
	}
	/* The NIC runs in this thread (nb_dma_tx()), after every descriptor
	 * of the chain is complete: plain stores suffice. */
	for (k = 0; k < n; k++)
		d->tx[(d->tx_tail + k) % NB_DMA_RING].flags =
			DUET_DMA_NIC_OWN | (k + 1 < n ? DUET_DMA_NIC_MORE : 0);
	d->ndesc[i] = n;
	d->tx_tail = (d->tx_tail + n) % NB_DMA_RING;
}

int nb_dma_tx(struct nb_queue *q)
{
	struct nb_dma *d = q->vif->dma;
	unsigned i, k, at, n = 0;
	int rc, nm;

	for (i = 0; i < q->ntxp; i++) {
		struct nb_txpkt *pkt = &q->txp[i];
		unsigned s;

		d->ndesc[i] = 0;
		d->sent[i] = 0;
		if (pkt->has_mcast || pkt->status != NETIF_RSP_OKAY ||
		    !pkt->nseg)
			continue;
		for (s = 0; s < pkt->nseg; s++) {
			struct duet_gnt_copy_seg *g = &q->txseg[pkt->seg0 + s];

			g->status = 0;
			if (!g->len || n == NB_DMA_GRANTS)
				continue;
			d->v[n] = (struct duet_dma_glue_req){
				.ref = g->src.foreign.ref,
				.flags = DUET_GNT_READONLY,
				.dir = DUET_DMA_TO_DEVICE,
			};
			d->vpkt[n] = (uint16_t)i;
			d->vseg[n++] = (uint16_t)(pkt->seg0 + s);
		}
	}
	nm = map_batch(q, n, tx_failed);
	if (nm <= 0)
		return 0;
	for (at = 0; at < (unsigned)nm; at += k) {
		k = pkt_run(d, at, (unsigned)nm);
		tx_post(q, d->vpkt[at], at, k);
	}
	d->wq = q;
	d->wpkt = 0;
	rc = duet_dma_nic_tx_poll(d->nic);
	d->wq = NULL;
	for (i = 0; i < q->ntxp; i++) {
		struct nb_txpkt *pkt = &q->txp[i];

		if (!d->ndesc[i])
			continue;
		if (!d->sent[i]) {
			dma_stack_fault(d->s, "tx", rc < 0 ? rc : 0,
					"packet dropped");
			segs_fail(q->txseg, pkt->seg0, pkt->nseg, -EFAULT);
		}
		for (k = 0; k < d->ndesc[i]; k++)
			d->tx[(d->first[i] + k) % NB_DMA_RING].flags = 0;
	}
	duet_dma_glue_unmap_grants(d->s->glue, d->h, (unsigned)nm, 0);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Receive                                                             */
/* ------------------------------------------------------------------ */

static void rx_failed(struct nb_queue *q, unsigned i, int err)
{
	struct nb_rxpkt *pkt = &q->rxp[i];

	segs_fail(q->rxseg, pkt->seg0, pkt->nseg, err ? -EFAULT : 0);
}

/* Receive packet @pkt's frame into its mapped rx pages d->v[@at..+@n). */
static void rx_one(struct nb_queue *q, struct nb_rxpkt *pkt, unsigned at,
		   unsigned n)
{
	struct nb_dma *d = q->vif->dma;
	const uint8_t *frame = q->rxseg[pkt->seg0].src.virt;
	unsigned s, len = 0, e;
	int rc;

	for (s = 0; s < n; s++) {
		const struct duet_gnt_copy_seg *g = &q->rxseg[d->vseg[at + s]];

		e = (d->rx_tail + s) % NB_DMA_RING;
		d->rx[e].addr = d->v[at + s].addr + g->dst.foreign.offset;
		d->rx[e].len = g->len;
		d->rx[e].rsvd = 0;
		len += g->len;
	}
	/* The NIC runs in this thread, below: plain stores. */
	for (s = 0; s < n; s++)
		d->rx[(d->rx_tail + s) % NB_DMA_RING].flags =
			DUET_DMA_NIC_OWN | (s + 1 < n ? DUET_DMA_NIC_MORE : 0);
	rc = duet_dma_nic_receive(d->nic, frame, len);
	if (rc == -EINVAL || rc == -EAGAIN) {
		/* Nothing consumed (a 0 or too long frame): take the
		 * descriptors back. */
		for (s = 0; s < n; s++)
			d->rx[(d->rx_tail + s) % NB_DMA_RING].flags = 0;
	} else {
		d->rx_tail = (d->rx_tail + n) % NB_DMA_RING;
		if (rc < 0)
			dma_stack_fault(d->s, "rx", rc, "packet dropped");
	}
	segs_fail(q->rxseg, pkt->seg0, pkt->nseg, rc < 0 ? -EFAULT : 0);
}

int nb_dma_rx(struct nb_queue *q)
{
	struct nb_dma *d = q->vif->dma;
	unsigned i, s, at, k, n = 0;
	int nm;

	for (i = 0; i < q->nrxp; i++) {
		struct nb_rxpkt *pkt = &q->rxp[i];

		for (s = 0; s < pkt->nseg && n < NB_DMA_GRANTS; s++) {
			d->v[n] = (struct duet_dma_glue_req){
				.ref = q->rxseg[pkt->seg0 + s].dst.foreign.ref,
				.dir = DUET_DMA_FROM_DEVICE,
			};
			d->vpkt[n] = (uint16_t)i;
			d->vseg[n++] = (uint16_t)(pkt->seg0 + s);
		}
	}
	nm = map_batch(q, n, rx_failed);
	if (nm <= 0)
		return 0;
	for (at = 0; at < (unsigned)nm; at += k) {
		k = pkt_run(d, at, (unsigned)nm);
		rx_one(q, &q->rxp[d->vpkt[at]], at, k);
	}
	/* Unmapping copies the bounces back into the frontend's pages. */
	duet_dma_glue_unmap_grants(d->s->glue, d->h, (unsigned)nm, 0);
	return 0;
}

void nb_dma_stats(struct nb_vif *vif, struct duet_backend_stat *st,
		  unsigned *n)
{
	if (vif->dma)
		dma_stack_stats(vif->dma->s, st, n);
}

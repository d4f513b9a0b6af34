/* SPDX-License-Identifier: MIT */
/*
 * dma.c - netback's frames through an emulated NIC behind a DMA backend
 * (duet/dma.h, duet/dma-dev.h), chosen with `duet backend --dma NAME` or
 * the backend node "dma" (duet/blkif.h).  Without either, none of this
 * runs and the batches are grant-copied (or mapped) as tx.c and rx.c say.
 *
 * Set up at each connect (nb_dma_open()): the driver domain's view of a
 * machine (one duet_dma_mem, the driver domain's RAM in it), one
 * duet_dma_dev with the named backend, the grant-aware glue over the
 * instance's platform handle, and one NIC whose tx and rx descriptor
 * rings (NB_DMA_RING entries each) lie in coherent memory.  All queues
 * share it; netback runs one thread, so nothing here is locked.
 *
 * The data moves where tx.c and rx.c would grant-copy a batch, with the
 * same segments (struct duet_gnt_copy_seg) and the same per-segment
 * status, so the Linux-compatible ring protocol around them is unchanged:
 *   tx (nb_dma_tx())  every slot of a packet is mapped for the device
 *     read-only and TO_DEVICE (duet_dma_glue_map_grant()) and becomes one
 *     tx descriptor (bus address + the slot's offset, its size), chained
 *     with DUET_DMA_NIC_MORE; the NIC gathers the frame through DMA and
 *     puts it on its "wire": a callback that stores it in the packet's
 *     buffer, from where tx.c writes it to the TAP as before.
 *   rx (nb_dma_rx())  every rx request page a frame needs is mapped for
 *     the device writable and FROM_DEVICE and becomes one rx descriptor
 *     (MORE on all but the last); the frame read from the TAP arrives on
 *     the NIC's wire side (duet_dma_nic_receive()) and the device writes
 *     it through DMA into exactly those pages.
 * A grant the grant table refuses for the device fails its packet like a
 * failed grant copy (XEN_NETIF_RSP_ERROR), counted as dma-refused; a
 * descriptor the NIC completes with ERR (a device fault) fails it too,
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

/* Descriptors per ring: a whole tx batch (NB_BATCH * NB_FATAL_SLOTS). */
#define NB_DMA_RING 1024u
/* The driver domain's RAM in the model: 8 MiB. */
#define NB_DMA_RAM_PAGES 2048u
#define NB_DMA_ADDR_BITS 32u

/**
 * struct nb_dma - the vif's DMA path.
 * @mem, @dom:   the machine and the driver domain's RAM in it.
 * @ddev:        the NIC's DMA device; @glue its grant mappings.
 * @nic:         the NIC.
 * @tx, @rx:     its rings (coherent), at bus @tx_bus, @rx_bus.
 * @tx_tail, @rx_tail: the driver's next entries (the device's, too,
 *               between calls: every descriptor posted is consumed
 *               before nb_dma_tx()/nb_dma_rx() return).
 * @h:           the glue handle of each tx descriptor in flight.
 * @rxh:         the same for the rx descriptors of one frame.
 * @wq, @wpkt:   tx wire: the queue whose batch is being sent and the
 *               next packet of it that may take a frame.
 * @first, @ndesc: per packet of that batch, its first descriptor and
 *               how many (0: not sent); @sent: 1 once its frame arrived.
 * @name:        the backend's name; @grants: grants mapped for the
 *               device; @refused: grants refused.
 * @limit:       the fault log's rate limit (the vif's thread only).
 */
struct nb_dma {
	struct duet_dma_mem *mem;
	struct duet_dma_domain *dom;
	struct duet_dma_dev *ddev;
	struct duet_dma_glue *glue;
	struct duet_dma_nic *nic;
	struct duet_dma_nic_desc *tx, *rx;
	duet_dma_addr_t tx_bus, rx_bus;
	unsigned tx_tail, rx_tail;
	struct duet_dma_glue_map *h[NB_DMA_RING];
	struct duet_dma_glue_map *rxh[NB_RX_MAX_SLOTS];
	struct nb_queue *wq;
	unsigned wpkt;
	unsigned first[NB_BATCH], ndesc[NB_BATCH];
	uint8_t sent[NB_BATCH];
	char name[32];
	uint64_t grants, refused;
	struct duet_log_limit limit;
};

/* A fault or refusal worth a line (rate-limited per device). */
static void dma_log(struct nb_vif *vif, const char *what, int err,
		    uint64_t addr)
{
	duet_log_limited(&vif->dma->limit, DUET_LOG_WARN,
			 "netback %s: %s (%s) at %#" PRIx64 ", packet dropped",
			 vif->ctx->dir, what, strerror(-err), addr);
}

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
	struct duet_dma_dev_cfg cfg = { .name = "nic" };
	const struct duet_dma_ops *ops;
	char name[32];
	struct nb_dma *d;
	size_t ring = NB_DMA_RING * sizeof(struct duet_dma_nic_desc);
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
	ops = duet_dma_backend_find(name);
	if (!ops) {
		duet_log(DUET_LOG_ERR, "netback %s: unknown DMA backend '%s'",
			 ctx->dir, name);
		return -ENOENT;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	snprintf(d->name, sizeof(d->name), "%s", name);
	vif->dma = d;
	rc = duet_dma_mem_create(NB_DMA_ADDR_BITS, &d->mem);
	if (!rc)
		rc = duet_dma_domain_create(d->mem,
					    (duet_domid_t)ctx->self_domid,
					    NB_DMA_RAM_PAGES, &d->dom);
	if (!rc)
		rc = duet_dma_dev_create(d->dom, &cfg, ops, NULL, &d->ddev);
	if (!rc)
		rc = duet_dma_glue_create(vif->p, d->dom, &d->glue);
	if (!rc)
		rc = duet_dma_alloc_coherent(d->ddev, ring, (void **)&d->tx,
					     &d->tx_bus);
	if (!rc)
		rc = duet_dma_alloc_coherent(d->ddev, ring, (void **)&d->rx,
					     &d->rx_bus);
	if (!rc)
		rc = duet_dma_nic_create(d->ddev, d->tx_bus, d->rx_bus,
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
		duet_dma_free_coherent(d->ddev, ring, d->tx, d->tx_bus);
	if (d->rx)
		duet_dma_free_coherent(d->ddev, ring, d->rx, d->rx_bus);
	duet_dma_glue_destroy(d->glue);
	duet_dma_dev_destroy(d->ddev);
	duet_dma_domain_destroy(d->dom);
	duet_dma_mem_destroy(d->mem);
	free(d);
}

/* ------------------------------------------------------------------ */
/* Transmit                                                            */
/* ------------------------------------------------------------------ */

/* Fail segments [@s0, @s0 + @n) of a batch with @err. */
static void segs_fail(struct duet_gnt_copy_seg *seg, unsigned s0,
		      unsigned n, int err)
{
	unsigned s;

	for (s = 0; s < n; s++)
		seg[s0 + s].status = (int16_t)err;
}

/*
 * Post packet @i of @q's batch: map its slots and fill one descriptor
 * each, OWN last.  A refused grant fails the packet's segments instead.
 */
static void tx_post(struct nb_queue *q, unsigned i)
{
	struct nb_vif *vif = q->vif;
	struct nb_dma *d = vif->dma;
	struct nb_txpkt *pkt = &q->txp[i];
	unsigned s, k, n = 0, at;
	int rc;

	d->first[i] = d->tx_tail;
	for (s = 0; s < pkt->nseg; s++) {
		struct duet_gnt_copy_seg *g = &q->txseg[pkt->seg0 + s];
		duet_dma_addr_t bus;

		g->status = 0;
		if (!g->len)
			continue;
		at = (d->tx_tail + n) % NB_DMA_RING;
		rc = duet_dma_glue_map_grant(d->glue, d->ddev,
					     (duet_domid_t)vif->fe_domid,
					     g->src.foreign.ref,
					     DUET_GNT_READONLY,
					     DUET_DMA_TO_DEVICE, &d->h[at],
					     &bus, NULL);
		if (rc < 0) {
			d->refused++;
			dma_log(vif, "tx grant refused for the device", rc,
				g->src.foreign.ref);
			for (k = 0; k < n; k++)
				duet_dma_glue_unmap(
					d->glue,
					d->h[(d->tx_tail + k) % NB_DMA_RING]);
			segs_fail(q->txseg, pkt->seg0, pkt->nseg, -EINVAL);
			return;
		}
		d->grants++;
		d->tx[at].addr = bus + g->src.foreign.offset;
		d->tx[at].len = g->len;
		d->tx[at].rsvd = 0;
		n++;
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
	struct nb_vif *vif = q->vif;
	struct nb_dma *d = vif->dma;
	unsigned i, k, at;
	int rc;

	for (i = 0; i < q->ntxp; i++) {
		struct nb_txpkt *pkt = &q->txp[i];

		d->ndesc[i] = 0;
		d->sent[i] = 0;
		if (pkt->has_mcast || pkt->status != NETIF_RSP_OKAY ||
		    !pkt->nseg)
			continue;
		tx_post(q, i);
	}
	d->wq = q;
	d->wpkt = 0;
	rc = duet_dma_nic_tx_poll(d->nic);
	d->wq = NULL;
	for (i = 0; i < q->ntxp; i++) {
		struct nb_txpkt *pkt = &q->txp[i];

		if (!d->ndesc[i])
			continue;
		at = (d->first[i] + d->ndesc[i] - 1) % NB_DMA_RING;
		if (!d->sent[i]) {
			struct duet_dma_fault f;

			duet_dma_dev_last_fault(d->ddev, &f);
			dma_log(vif, "tx device fault",
				rc < 0 ? rc : f.error ? f.error : -EIO,
				f.addr);
			segs_fail(q->txseg, pkt->seg0, pkt->nseg, -EFAULT);
		}
		for (k = 0; k < d->ndesc[i]; k++) {
			at = (d->first[i] + k) % NB_DMA_RING;
			duet_dma_glue_unmap(d->glue, d->h[at]);
			d->tx[at].flags = 0;
		}
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Receive                                                             */
/* ------------------------------------------------------------------ */

/* Receive packet @pkt's frame into its rx pages through the NIC. */
static void rx_one(struct nb_queue *q, struct nb_rxpkt *pkt)
{
	struct nb_vif *vif = q->vif;
	struct nb_dma *d = vif->dma;
	const uint8_t *frame = q->rxseg[pkt->seg0].src.virt;
	unsigned s, n = 0, len = 0, at;
	int rc = 0;

	for (s = 0; s < pkt->nseg; s++) {
		struct duet_gnt_copy_seg *g = &q->rxseg[pkt->seg0 + s];
		duet_dma_addr_t bus;

		at = (d->rx_tail + n) % NB_DMA_RING;
		rc = duet_dma_glue_map_grant(d->glue, d->ddev,
					     (duet_domid_t)vif->fe_domid,
					     g->dst.foreign.ref, 0,
					     DUET_DMA_FROM_DEVICE, &d->rxh[n],
					     &bus, NULL);
		if (rc < 0) {
			d->refused++;
			dma_log(vif, "rx grant refused for the device", rc,
				g->dst.foreign.ref);
			break;
		}
		d->grants++;
		d->rx[at].addr = bus + g->dst.foreign.offset;
		d->rx[at].len = g->len;
		d->rx[at].rsvd = 0;
		len += g->len;
		n++;
	}
	if (!rc) {
		/* The NIC runs in this thread, below: plain stores. */
		for (s = 0; s < n; s++)
			d->rx[(d->rx_tail + s) % NB_DMA_RING].flags =
				DUET_DMA_NIC_OWN |
				(s + 1 < n ? DUET_DMA_NIC_MORE : 0);
		rc = duet_dma_nic_receive(d->nic, frame, len);
		if (rc == -EINVAL || rc == -EAGAIN) {
			/* Nothing consumed (a 0 or too long frame): take
			 * the descriptors back. */
			for (s = 0; s < n; s++)
				d->rx[(d->rx_tail + s) % NB_DMA_RING].flags =
					0;
		} else {
			d->rx_tail = (d->rx_tail + n) % NB_DMA_RING;
			if (rc < 0) {
				struct duet_dma_fault f;

				duet_dma_dev_last_fault(d->ddev, &f);
				dma_log(vif, "rx device fault", rc, f.addr);
			}
		}
	}
	/* Unmapping copies a bounce back into the frontend's page. */
	for (s = 0; s < n; s++)
		duet_dma_glue_unmap(d->glue, d->rxh[s]);
	segs_fail(q->rxseg, pkt->seg0, pkt->nseg, rc < 0 ? -EFAULT : 0);
}

int nb_dma_rx(struct nb_queue *q)
{
	unsigned i;

	for (i = 0; i < q->nrxp; i++)
		if (q->rxp[i].nseg)
			rx_one(q, &q->rxp[i]);
	return 0;
}

void nb_dma_stats(struct nb_vif *vif, struct duet_backend_stat *st,
		  unsigned *n)
{
	struct nb_dma *d = vif->dma;
	struct duet_dma_stats s;

	if (!d)
		return;
	duet_dma_dev_stats(d->ddev, &s);
	st[(*n)++] = (struct duet_backend_stat){ "dma-live", s.live };
	st[(*n)++] = (struct duet_backend_stat){ "dma-maps", s.maps };
	st[(*n)++] = (struct duet_backend_stat){ "dma-faults", s.faults };
	st[(*n)++] = (struct duet_backend_stat){ "dma-grants", d->grants };
	st[(*n)++] = (struct duet_backend_stat){ "dma-refused", d->refused };
	st[(*n)++] = (struct duet_backend_stat){ "dma-bounce-used",
						 s.bounce_used };
	st[(*n)++] = (struct duet_backend_stat){ "dma-bounce-total",
						 s.bounce_total };
}

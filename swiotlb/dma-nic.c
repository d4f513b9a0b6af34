/* SPDX-License-Identifier: MIT */
/*
 * dma-nic.c - the emulated NIC: tx and rx descriptor rings in memory the
 * device reaches through DMA, frames moved through DMA, a "wire" callback
 * for what it sends.  The device reads a descriptor once, uses its copy,
 * and writes it back with DONE last, like hardware writing back a
 * descriptor after the data.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "duet/dma-dev.h"
#include "swiotlb/dma-int.h"

struct duet_dma_nic {
	struct duet_dma_dev *dev;
	duet_dma_addr_t tx_ring, rx_ring;
	unsigned n;
	unsigned tx_pos, rx_pos;    /* the device's next entries */
	duet_dma_nic_wire_fn wire;
	void *opaque;
	unsigned char frame[DUET_DMA_NIC_MTU];
};

int duet_dma_nic_create(struct duet_dma_dev *dev, duet_dma_addr_t tx_ring,
			duet_dma_addr_t rx_ring, unsigned n,
			duet_dma_nic_wire_fn wire, void *opaque,
			struct duet_dma_nic **out)
{
	struct duet_dma_nic *nic;

	if (!dev || !n || n > 4096 || !out)
		return -EINVAL;
	nic = calloc(1, sizeof(*nic));
	if (!nic)
		return -ENOMEM;
	nic->dev = dev;
	nic->tx_ring = tx_ring;
	nic->rx_ring = rx_ring;
	nic->n = n;
	nic->wire = wire;
	nic->opaque = opaque;
	*out = nic;
	return 0;
}

void duet_dma_nic_destroy(struct duet_dma_nic *nic)
{
	free(nic);
}

static duet_dma_addr_t slot(duet_dma_addr_t ring, unsigned i)
{
	return ring + (duet_dma_addr_t)i * sizeof(struct duet_dma_nic_desc);
}

/* Write back @d with DONE: the length first, the flags last. */
static int complete(struct duet_dma_nic *nic, duet_dma_addr_t at,
		    struct duet_dma_nic_desc *d, uint16_t flags)
{
	int rc;

	rc = duet_dma_dev_write(nic->dev,
				at + offsetof(struct duet_dma_nic_desc, len),
				&d->len, sizeof(d->len));
	if (rc < 0)
		return rc;
	d->flags = flags;
	return duet_dma_dev_write(nic->dev,
				  at + offsetof(struct duet_dma_nic_desc,
						flags),
				  &d->flags, sizeof(d->flags));
}

/*
 * Read the descriptors of the frame starting at ring entry @pos into @d:
 * how many (through the first without MORE, at most MAX_CHAIN + 1 so
 * that an overlong chain shows), 0 when one of them is not owned yet
 * (@own_flag checked; the chain is left alone), or -errno from the read.
 */
static int read_chain(struct duet_dma_nic *nic, duet_dma_addr_t ring,
		      unsigned pos, struct duet_dma_nic_desc *d,
		      unsigned max)
{
	unsigned i;
	int rc;

	for (i = 0; i < max && i < nic->n; i++) {
		rc = duet_dma_dev_read(nic->dev,
				       slot(ring, (pos + i) % nic->n), &d[i],
				       sizeof(d[i]));
		if (rc < 0)
			return rc;
		if (!(d[i].flags & DUET_DMA_NIC_OWN))
			return 0;
		if (!(d[i].flags & DUET_DMA_NIC_MORE))
			return (int)i + 1;
	}
	return (int)i;
}

int duet_dma_nic_tx_poll(struct duet_dma_nic *nic)
{
	struct duet_dma_nic_desc d[DUET_DMA_NIC_MAX_CHAIN + 1];
	unsigned i, k, flen;
	int sent = 0, rc, n, bad;

	for (;;) {
		n = read_chain(nic, nic->tx_ring, nic->tx_pos, d,
			       DUET_DMA_NIC_MAX_CHAIN + 1);
		if (n <= 0)
			return n < 0 ? n : sent;
		/* An overlong chain, or one the ring cannot hold, is
		 * completed with ERR as far as it was read. */
		bad = (unsigned)n > DUET_DMA_NIC_MAX_CHAIN ||
		      (d[n - 1].flags & DUET_DMA_NIC_MORE);
		for (i = 0, flen = 0; !bad && i < (unsigned)n; i++) {
			if (!d[i].len || d[i].len > DUET_DMA_NIC_MTU - flen ||
			    duet_dma_dev_read(nic->dev, d[i].addr,
					      nic->frame + flen,
					      d[i].len) < 0)
				bad = 1;
			else
				flen += d[i].len;
		}
		if (!bad) {
			if (nic->wire)
				nic->wire(nic->opaque, nic->frame, flen);
			sent++;
		}
		/* Written back in ring order, so the driver sees the last
		 * descriptor of the frame DONE after the others. */
		for (k = 0; k < (unsigned)n; k++) {
			rc = complete(nic, slot(nic->tx_ring, nic->tx_pos),
				      &d[k],
				      DUET_DMA_NIC_DONE |
					      (bad ? DUET_DMA_NIC_ERR : 0));
			if (rc < 0)
				return rc;
			nic->tx_pos = (nic->tx_pos + 1) % nic->n;
		}
	}
}

/* Complete the @n descriptors of a dropped frame from the rx position. */
static int rx_fail(struct duet_dma_nic *nic, struct duet_dma_nic_desc *d,
		   unsigned n)
{
	unsigned k;
	int rc = 0;

	for (k = 0; k < n; k++) {
		d[k].len = 0;
		if (!rc)
			rc = complete(nic, slot(nic->rx_ring, nic->rx_pos),
				      &d[k],
				      DUET_DMA_NIC_DONE | DUET_DMA_NIC_ERR);
		nic->rx_pos = (nic->rx_pos + 1) % nic->n;
	}
	return rc;
}

int duet_dma_nic_receive(struct duet_dma_nic *nic, const void *frame,
			 size_t len)
{
	struct duet_dma_nic_desc d[DUET_DMA_NIC_MAX_CHAIN];
	const unsigned char *f = frame;
	size_t cap = 0, pos = 0, piece;
	unsigned n = 0, k;
	int rc;

	if (!frame || !len || len > DUET_DMA_NIC_MTU)
		return -EINVAL;
	/* The buffers the frame needs, all owned before any is used. */
	for (;;) {
		rc = duet_dma_dev_read(nic->dev,
				       slot(nic->rx_ring,
					    (nic->rx_pos + n) % nic->n),
				       &d[n], sizeof(d[n]));
		if (rc < 0) {
			if (n)
				rx_fail(nic, d, n);
			return rc;
		}
		if (!(d[n].flags & DUET_DMA_NIC_OWN))
			return -EAGAIN;
		cap += d[n].len;
		n++;
		if (cap >= len)
			break;
		if (!(d[n - 1].flags & DUET_DMA_NIC_MORE) ||
		    n == DUET_DMA_NIC_MAX_CHAIN || n == nic->n) {
			rc = rx_fail(nic, d, n);
			return rc < 0 ? rc : -EMSGSIZE;
		}
	}
	for (k = 0; k < n; k++) {
		piece = len - pos < d[k].len ? len - pos : d[k].len;
		rc = duet_dma_dev_write(nic->dev, d[k].addr, f + pos, piece);
		if (rc < 0) {
			rx_fail(nic, d, n);
			return rc;
		}
		d[k].len = (uint32_t)piece;
		pos += piece;
	}
	/* The data first, then each descriptor in ring order, the frame's
	 * last one (no MORE) last. */
	for (k = 0; k < n; k++) {
		rc = complete(nic, slot(nic->rx_ring, nic->rx_pos), &d[k],
			      DUET_DMA_NIC_DONE |
				      (k + 1 < n ? DUET_DMA_NIC_MORE : 0));
		if (rc < 0)
			return rc;
		nic->rx_pos = (nic->rx_pos + 1) % nic->n;
	}
	return 0;
}

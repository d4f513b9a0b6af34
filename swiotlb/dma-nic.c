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

int duet_dma_nic_tx_poll(struct duet_dma_nic *nic)
{
	struct duet_dma_nic_desc d;
	duet_dma_addr_t at;
	int sent = 0, rc;

	for (;;) {
		at = slot(nic->tx_ring, nic->tx_pos);
		rc = duet_dma_dev_read(nic->dev, at, &d, sizeof(d));
		if (rc < 0)
			return rc;
		if (!(d.flags & DUET_DMA_NIC_OWN))
			return sent;
		if (!d.len || d.len > DUET_DMA_NIC_MTU ||
		    duet_dma_dev_read(nic->dev, d.addr, nic->frame,
				      d.len) < 0) {
			rc = complete(nic, at, &d,
				      DUET_DMA_NIC_DONE | DUET_DMA_NIC_ERR);
		} else {
			if (nic->wire)
				nic->wire(nic->opaque, nic->frame, d.len);
			sent++;
			rc = complete(nic, at, &d, DUET_DMA_NIC_DONE);
		}
		if (rc < 0)
			return rc;
		nic->tx_pos = (nic->tx_pos + 1) % nic->n;
	}
}

int duet_dma_nic_receive(struct duet_dma_nic *nic, const void *frame,
			 size_t len)
{
	struct duet_dma_nic_desc d;
	duet_dma_addr_t at = slot(nic->rx_ring, nic->rx_pos);
	int rc;

	if (!frame || !len || len > DUET_DMA_NIC_MTU)
		return -EINVAL;
	rc = duet_dma_dev_read(nic->dev, at, &d, sizeof(d));
	if (rc < 0)
		return rc;
	if (!(d.flags & DUET_DMA_NIC_OWN))
		return -EAGAIN;
	nic->rx_pos = (nic->rx_pos + 1) % nic->n;
	if (len > d.len) {
		d.len = 0;
		rc = complete(nic, at, &d, DUET_DMA_NIC_DONE | DUET_DMA_NIC_ERR);
		return rc < 0 ? rc : -EMSGSIZE;
	}
	rc = duet_dma_dev_write(nic->dev, d.addr, frame, len);
	if (rc < 0) {
		d.len = 0;
		complete(nic, at, &d, DUET_DMA_NIC_DONE | DUET_DMA_NIC_ERR);
		return rc;
	}
	d.len = (uint32_t)len;
	return complete(nic, at, &d, DUET_DMA_NIC_DONE);
}

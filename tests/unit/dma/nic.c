/* SPDX-License-Identifier: MIT */
/*
 * nic.c - the emulated NIC behind each backend: frames go out and come in
 * byte for byte through descriptor rings in coherent memory; a tx buffer
 * in another domain's frame or an rx buffer that is not mapped completes
 * with ERR, sends nothing and leaves memory untouched; no rx buffer means
 * -EAGAIN.
 */
#include <stdlib.h>

#include "duet/dma-dev.h"
#include "dmatest.h"

static unsigned char wire[4][2048];
static size_t wire_len[4];
static unsigned nwire;

static void on_wire(void *opaque, const void *frame, size_t len)
{
	if (nwire < 4 && len <= sizeof(wire[0])) {
		memcpy(wire[nwire], frame, len);
		wire_len[nwire] = len;
	}
	nwire++;
}

/*
 * Frames in several buffers (DUET_DMA_NIC_MORE): a tx chain of three
 * waits for its last descriptor, then goes out as one frame; an rx frame
 * of 3000 bytes spreads over two 2048-byte buffers.  Rings at entry 3.
 */
static void chain(struct dmat *t, struct duet_dma_dev *dev,
		  struct duet_dma_nic *nic, struct duet_dma_nic_desc *tx,
		  struct duet_dma_nic_desc *rx, unsigned char *buf,
		  const char *be)
{
	static const unsigned len[3] = { 100, 1000, 400 };
	duet_dma_addr_t a[3];
	unsigned char frame[3000];
	unsigned i, off = 0;

	nwire = 0;
	dmat_fill(buf, 3 * 4096, 21);
	for (i = 0; i < 3; i++) {
		duet_dma_map(dev, buf + i * 4096, len[i], DUET_DMA_TO_DEVICE,
			     0, &a[i]);
		tx[3 + i].addr = a[i];
		tx[3 + i].len = len[i];
		tx[3 + i].flags = i < 2 ? DUET_DMA_NIC_OWN | DUET_DMA_NIC_MORE
					: 0;
	}
	is_int(duet_dma_nic_tx_poll(nic), 0,
	       "%s: a chain whose last descriptor is not owned waits", be);
	tx[5].flags = DUET_DMA_NIC_OWN;
	is_int(duet_dma_nic_tx_poll(nic), 1, "%s: then goes as one frame",
	       be);
	ok(nwire == 1 && wire_len[0] == 1500 && !memcmp(wire[0], buf, 100) &&
	   !memcmp(wire[0] + 100, buf + 4096, 1000) &&
	   !memcmp(wire[0] + 1100, buf + 8192, 400),
	   "%s: gathered in ring order, byte for byte", be);
	ok(tx[3].flags == DUET_DMA_NIC_DONE && tx[5].flags == DUET_DMA_NIC_DONE,
	   "%s: every descriptor of it DONE", be);
	for (i = 0; i < 3; i++)
		duet_dma_unmap(dev, a[i], len[i], DUET_DMA_TO_DEVICE, 0);

	for (i = 0; i < 2; i++) {
		duet_dma_map(dev, buf + i * 4096, 2048, DUET_DMA_FROM_DEVICE,
			     0, &a[i]);
		rx[3 + i].addr = a[i];
		rx[3 + i].len = 2048;
		rx[3 + i].flags = DUET_DMA_NIC_OWN | DUET_DMA_NIC_MORE;
	}
	dmat_fill(frame, sizeof(frame), 22);
	is_int(duet_dma_nic_receive(nic, frame, sizeof(frame)), 0,
	       "%s: rx 3000 bytes into two MORE buffers", be);
	for (i = 0; i < 2; i++) {
		duet_dma_unmap(dev, a[i], 2048, DUET_DMA_FROM_DEVICE, 0);
		ok(!memcmp(buf + i * 4096, frame + off, rx[3 + i].len),
		   "%s: buffer %u holds its part", be, i);
		off += rx[3 + i].len;
	}
	ok(rx[3].len == 2048 &&
	   rx[3].flags == (DUET_DMA_NIC_DONE | DUET_DMA_NIC_MORE) &&
	   rx[4].len == 952 && rx[4].flags == DUET_DMA_NIC_DONE,
	   "%s: MORE on the first, lengths 2048 + 952", be);
	(void)t;
}

static void run(struct dmat *t, const char *be, const char *opts)
{
	struct duet_dma_dev_cfg cfg = { .name = "nic" };
	struct duet_dma_dev *dev = dmat_dev(t, be, opts, &cfg);
	struct duet_dma_nic_desc *tx, *rx;
	struct duet_dma_nic *nic;
	duet_dma_addr_t ta, ra, a[3];
	unsigned char *buf, *other, keep[4096], frame[1500];
	uint64_t gm, f0;
	unsigned i;

	nwire = 0;
	duet_dma_alloc_coherent(dev, 4096, (void **)&tx, &ta);
	duet_dma_alloc_coherent(dev, 4096, (void **)&rx, &ra);
	is_int(duet_dma_nic_create(dev, ta, ra, 8, on_wire, NULL, &nic), 0,
	       "%s: nic with 8-entry rings", be);
	duet_dma_domain_alloc(t->drv, 3, (void **)&buf);
	duet_dma_domain_alloc(t->guest, 1, (void **)&other);
	duet_dma_virt_to_maddr(t->mem, other, &gm, NULL, NULL);

	/* tx: two frames, then one from another domain's frame. */
	for (i = 0; i < 2; i++) {
		dmat_fill(buf + i * 4096, 60 + 700 * i, i + 1);
		duet_dma_map(dev, buf + i * 4096, 60 + 700 * i,
			     DUET_DMA_TO_DEVICE, 0, &a[i]);
		tx[i].addr = a[i];
		tx[i].len = 60 + 700 * i;
		tx[i].flags = DUET_DMA_NIC_OWN;
	}
	tx[2].addr = gm;
	tx[2].len = 100;
	tx[2].flags = DUET_DMA_NIC_OWN;
	f0 = duet_dma_dev_last_fault(dev, NULL);
	is_int(duet_dma_nic_tx_poll(nic), 2, "%s: two frames sent", be);
	ok(nwire == 2 && wire_len[0] == 60 && wire_len[1] == 760 &&
	   !memcmp(wire[0], buf, 60) && !memcmp(wire[1], buf + 4096, 760),
	   "%s: byte for byte on the wire", be);
	ok(tx[0].flags == DUET_DMA_NIC_DONE && tx[1].flags == DUET_DMA_NIC_DONE,
	   "%s: their descriptors are DONE", be);
	is_int(tx[2].flags, DUET_DMA_NIC_DONE | DUET_DMA_NIC_ERR,
	       "%s: the foreign one completes with ERR", be);
	is_int(duet_dma_dev_last_fault(dev, NULL), f0 + 1,
	       "%s: one fault recorded", be);
	dmat_after_fault(dev);
	for (i = 0; i < 2; i++)
		duet_dma_unmap(dev, a[i], 60 + 700 * i, DUET_DMA_TO_DEVICE, 0);

	/* rx: two buffers, an unmapped third, then none. */
	for (i = 0; i < 2; i++) {
		duet_dma_map(dev, buf + i * 4096, 2048, DUET_DMA_FROM_DEVICE,
			     0, &a[i]);
		rx[i].addr = a[i];
		rx[i].len = 2048;
		rx[i].flags = DUET_DMA_NIC_OWN;
	}
	memcpy(keep, buf + 2 * 4096, 4096);
	duet_dma_virt_to_maddr(t->mem, buf + 2 * 4096, &rx[2].addr, NULL,
			       NULL);
	rx[2].len = 2048;
	rx[2].flags = DUET_DMA_NIC_OWN;
	dmat_fill(frame, sizeof(frame), 9);
	is_int(duet_dma_nic_receive(nic, frame, 1500), 0, "%s: rx 1500", be);
	is_int(duet_dma_nic_receive(nic, frame + 1, 64), 0, "%s: rx 64", be);
	is_int(duet_dma_nic_receive(nic, frame, 64), -EFAULT,
	       "%s: rx into an unmapped buffer faults", be);
	ok(!memcmp(keep, buf + 2 * 4096, 4096), "%s: it is untouched", be);
	is_int(rx[2].flags, DUET_DMA_NIC_DONE | DUET_DMA_NIC_ERR,
	       "%s: its descriptor completes with ERR", be);
	dmat_after_fault(dev);
	is_int(duet_dma_nic_receive(nic, frame, 64), -EAGAIN,
	       "%s: no buffer left: -EAGAIN", be);
	for (i = 0; i < 2; i++)
		duet_dma_unmap(dev, a[i], 2048, DUET_DMA_FROM_DEVICE, 0);
	ok(rx[0].len == 1500 && rx[0].flags == DUET_DMA_NIC_DONE &&
	   !memcmp(buf, frame, 1500), "%s: frame 1 received", be);
	ok(rx[1].len == 64 && !memcmp(buf + 4096, frame + 1, 64),
	   "%s: frame 2 received", be);

	chain(t, dev, nic, tx, rx, buf, be);
	duet_dma_nic_destroy(nic);
	duet_dma_free_coherent(dev, 4096, tx, ta);
	duet_dma_free_coherent(dev, 4096, rx, ra);
	duet_dma_domain_free(t->drv, buf, 3);
	duet_dma_domain_free(t->guest, other, 1);
	duet_dma_dev_destroy(dev);
}

int main(void)
{
	struct dmat t;
	unsigned i;

	dmat_open(&t, 1024);
	/* Every registered backend (swiotlb bouncing everything). */
	for (i = 0; i < duet_dma_backend_count(); i++) {
		const char *be = duet_dma_backend_at(i)->name;

		run(&t, be, strcmp(be, "swiotlb") ? NULL : "force");
	}
	dmat_close(&t);
	return done_testing();
}

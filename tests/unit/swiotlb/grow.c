/* SPDX-License-Identifier: MIT */
/*
 * grow.c - a full swiotlb: a transient pool serves the request while a
 * new pool is added; at the pool limit a clear -ENOSPC that leaves every
 * live mapping intact; freeing recovers; idle pools shrink back; freed
 * slots merge back into whole segments.
 */
#include <stdlib.h>
#include <unistd.h>

#include "duet/log.h"
#include "../dma/dmatest.h"

static void stats(struct duet_dma_dev *dev, struct duet_dma_stats *st)
{
	duet_dma_dev_stats(dev, st);
}

int main(void)
{
	struct duet_swiotlb_cfg cfg = { .slots = 128, .areas = 1,
					.max_pools = 2 };
	struct duet_dma_dev_cfg c = { .name = "nic" };
	struct duet_dma_dev *dev;
	struct duet_dma_stats st;
	unsigned char *buf, *in;
	duet_dma_addr_t a0, a1, a2, a3;
	int i, rc;
	struct dmat t;

	duet_log_set_level(DUET_LOG_ERR);
	dmat_open(&t, 1024);
	is_int(duet_swiotlb_setup(t.drv, &cfg), 0, "one pool of 128 slots");
	dev = dmat_dev(&t, "swiotlb", "force", &c);
	duet_dma_domain_alloc(t.drv, 128, (void **)&buf);
	in = malloc(262144);
	dmat_fill(buf, 128 * 4096, 7);

	is_int(duet_dma_map(dev, buf, 262144, DUET_DMA_TO_DEVICE, 0, &a0), 0,
	       "256 KiB fills the pool");
	stats(dev, &st);
	ok(st.bounce_used == 128 && st.bounce_total == 128 && st.pools == 1,
	   "128 of 128 slots used, one pool");
	is_int(duet_dma_map(dev, buf + 262144, 2048, DUET_DMA_BIDIRECTIONAL,
			    0, &a1), 0, "the next map still succeeds");
	ok(a1 < a0 || a1 >= a0 + 262144, "from outside the full pool");
	is_int(duet_dma_dev_read(dev, a1, in, 2048), 0, "device reads it");
	ok(!memcmp(in, buf + 262144, 2048), "byte for byte (transient pool)");
	for (i = 0; i < 500; i++) {
		stats(dev, &st);
		if (st.pools == 2)
			break;
		usleep(10000);
	}
	ok(st.pools == 2 && st.grown == 1, "a second pool was added");
	is_int(duet_dma_map(dev, buf + 65536, 262144, DUET_DMA_TO_DEVICE, 0,
			    &a2), 0, "256 KiB more fit in the new pool");
	rc = duet_dma_map(dev, buf + 4096, 100, DUET_DMA_TO_DEVICE, 0, &a3);
	is_int(rc, -ENOSPC, "at the pool limit: -ENOSPC");
	ok(a3 == DUET_DMA_MAPPING_ERROR, "and MAPPING_ERROR");
	duet_dma_dev_read(dev, a0, in, 262144);
	ok(!memcmp(in, buf, 262144), "the first mapping is intact");
	duet_dma_dev_read(dev, a2, in, 262144);
	ok(!memcmp(in, buf + 65536, 262144), "the second is intact");

	is_int(duet_dma_unmap(dev, a1, 2048, DUET_DMA_BIDIRECTIONAL, 0), 0,
	       "unmap the transient mapping");
	stats(dev, &st);
	is_int(st.bounce_total, 256, "its pool is gone");
	is_int(duet_dma_unmap(dev, a0, 262144, DUET_DMA_TO_DEVICE, 0), 0,
	       "unmap the first 256 KiB");
	is_int(duet_dma_map(dev, buf, 100, DUET_DMA_TO_DEVICE, 0, &a3), 0,
	       "maps work again");
	is_int(duet_dma_unmap(dev, a3, 100, DUET_DMA_TO_DEVICE, 0), 0,
	       "unmap it");
	is_int(duet_swiotlb_shrink(t.drv), 0, "a busy pool is not shrunk");
	is_int(duet_dma_unmap(dev, a2, 262144, DUET_DMA_TO_DEVICE, 0), 0,
	       "unmap the second 256 KiB");
	is_int(duet_swiotlb_shrink(t.drv), 1, "the idle pool shrinks back");
	stats(dev, &st);
	ok(st.pools == 1 && st.bounce_used == 0, "one pool, nothing used");
	is_int(duet_dma_map(dev, buf, 262144, DUET_DMA_TO_DEVICE, 0, &a0), 0,
	       "freed slots merged back: 256 KiB fit in one segment");
	duet_dma_unmap(dev, a0, 262144, DUET_DMA_TO_DEVICE, 0);

	free(in);
	duet_dma_dev_destroy(dev);
	dmat_close(&t);
	return done_testing();
}

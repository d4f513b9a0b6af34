/* SPDX-License-Identifier: MIT */
/*
 * idle.c - an added bounce pool goes back by itself once it has been
 * unused for idle_ms (struct duet_swiotlb_cfg), with nobody calling
 * duet_swiotlb_shrink(); a pool still holding a mapping never does, and
 * the mapping stays intact.
 */
#include <stdlib.h>
#include <unistd.h>

#include "duet/log.h"
#include "../dma/dmatest.h"

/* Map and unmap 100 bytes every 2 ms until @dev's domain has @want pools
 * or @rounds are done; returns the pools seen last. */
static unsigned settle(struct duet_dma_dev *dev, unsigned char *buf,
		       unsigned want, int rounds)
{
	struct duet_dma_stats st;
	duet_dma_addr_t a;
	int i;

	for (i = 0; i < rounds; i++) {
		usleep(2000);
		if (!duet_dma_map(dev, buf, 100, DUET_DMA_TO_DEVICE, 0, &a))
			duet_dma_unmap(dev, a, 100, DUET_DMA_TO_DEVICE, 0);
		duet_dma_dev_stats(dev, &st);
		if (st.pools == want)
			break;
	}
	return st.pools;
}

int main(void)
{
	struct duet_swiotlb_cfg cfg = { .slots = 128, .areas = 1,
					.max_pools = 2, .idle_ms = 1 };
	struct duet_dma_dev_cfg c = { .name = "nic" };
	struct duet_dma_dev *dev;
	struct duet_dma_stats st;
	unsigned char *buf, *in;
	duet_dma_addr_t a0, a1, a2;
	int i;
	struct dmat t;

	duet_log_set_level(DUET_LOG_ERR);
	dmat_open(&t, 1024);
	is_int(duet_swiotlb_setup(t.drv, &cfg), 0,
	       "one pool of 128 slots, idle_ms 1");
	dev = dmat_dev(&t, "swiotlb", "force", &c);
	duet_dma_domain_alloc(t.drv, 128, (void **)&buf);
	in = malloc(262144);
	dmat_fill(buf, 128 * 4096, 9);

	is_int(duet_dma_map(dev, buf, 262144, DUET_DMA_TO_DEVICE, 0, &a0), 0,
	       "256 KiB fill the first pool");
	is_int(duet_dma_map(dev, buf + 262144, 2048, DUET_DMA_TO_DEVICE, 0,
			    &a1), 0, "a transient pool serves the next map");
	for (i = 0; i < 500; i++) {
		duet_dma_dev_stats(dev, &st);
		if (st.pools == 2)
			break;
		usleep(10000);
	}
	is_int(st.pools, 2, "a second pool was added");
	is_int(duet_dma_map(dev, buf + 65536, 262144, DUET_DMA_TO_DEVICE, 0,
			    &a2), 0, "256 KiB in the second pool");
	duet_dma_unmap(dev, a1, 2048, DUET_DMA_TO_DEVICE, 0);
	duet_dma_unmap(dev, a0, 262144, DUET_DMA_TO_DEVICE, 0);

	is_int(settle(dev, buf, 1, 50), 2,
	       "100 ms of maps later (idle_ms 1): the busy pool stays");
	is_int(duet_dma_dev_read(dev, a2, in, 262144), 0,
	       "its mapping is still reachable");
	ok(!memcmp(in, buf + 65536, 262144), "and intact");

	duet_dma_unmap(dev, a2, 262144, DUET_DMA_TO_DEVICE, 0);
	is_int(settle(dev, buf, 1, 1000), 1,
	       "once unused, the added pool goes back by itself");
	duet_dma_dev_stats(dev, &st);
	ok(st.bounce_total == 128 && st.bounce_used == 0,
	   "128 slots left, none used");
	is_int(duet_dma_map(dev, buf, 262144, DUET_DMA_TO_DEVICE, 0, &a0), 0,
	       "the first pool still serves 256 KiB");
	duet_dma_unmap(dev, a0, 262144, DUET_DMA_TO_DEVICE, 0);

	free(in);
	duet_dma_dev_destroy(dev);
	dmat_close(&t);
	return done_testing();
}

/* SPDX-License-Identifier: MIT */
/*
 * threads.c - two threads map, check and unmap through one swiotlb with
 * two areas at the same time: each starts in its own area, no mapping
 * ever sees another's bytes, and every slot comes back.
 */
#include <pthread.h>
#include <stdlib.h>

#include "../dma/dmatest.h"

static struct duet_dma_dev *dev;
static unsigned char *bufs[2];

struct res {
	int idx;
	unsigned bad, maps;
	duet_dma_addr_t lo, hi;
};

static void *worker(void *arg)
{
	struct res *r = arg;
	unsigned char *buf = bufs[r->idx], in[8192], pat[8192];
	duet_dma_addr_t a;
	unsigned i;

	r->lo = ~0ull;
	for (i = 0; i < 3000; i++) {
		size_t s = 1 + (i * 2654435761u + r->idx) % 8192;

		dmat_fill(pat, s, i + 1000 * r->idx);
		if (duet_dma_map(dev, buf, s, DUET_DMA_FROM_DEVICE, 0, &a) < 0) {
			r->bad++;
			continue;
		}
		r->maps++;
		if (a < r->lo)
			r->lo = a;
		if (a > r->hi)
			r->hi = a;
		if (duet_dma_dev_read(dev, a, in, s) < 0 ||
		    memcmp(in, buf, s))
			r->bad++;
		if (duet_dma_dev_write(dev, a, pat, s) < 0)
			r->bad++;
		if (duet_dma_unmap(dev, a, s, DUET_DMA_FROM_DEVICE, 0) < 0 ||
		    memcmp(buf, pat, s))
			r->bad++;
	}
	return NULL;
}

int main(void)
{
	struct duet_swiotlb_cfg cfg = { .slots = 256, .areas = 2,
					.max_pools = 1 };
	struct duet_dma_dev_cfg c = { .name = "mq" };
	struct res r[2] = { { .idx = 0 }, { .idx = 1 } };
	struct duet_dma_stats st;
	pthread_t th[2];
	struct dmat t;
	int i;

	dmat_open(&t, 1024);
	is_int(duet_swiotlb_setup(t.drv, &cfg), 0, "one pool, two areas");
	dev = dmat_dev(&t, "swiotlb", "force", &c);
	duet_dma_domain_alloc(t.drv, 2, (void **)&bufs[0]);
	duet_dma_domain_alloc(t.drv, 2, (void **)&bufs[1]);
	for (i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, worker, &r[i]);
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	is_int(r[0].bad + r[1].bad, 0, "every map, read, write, unmap right");
	is_int(r[0].maps + r[1].maps, 6000, "6000 mappings made");
	ok((r[0].hi < r[1].lo || r[1].hi < r[0].lo),
	   "each thread stayed in its own area");
	duet_dma_dev_stats(dev, &st);
	ok(st.bounce_used == 0 && st.live == 0, "every slot came back");
	duet_dma_dev_destroy(dev);
	dmat_close(&t);
	return done_testing();
}

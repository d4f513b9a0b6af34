/* SPDX-License-Identifier: MIT */
/*
 * stale.c - the invalidation rules of each IOMMU model, seen through the
 * DMA API: VT-d strict never lets an unmapped IOVA through; VT-d lazy
 * lets it through until the batched flush (flush-queue high water, or
 * the tick thread within its bound) and never after; the GART keeps a
 * stale TLB entry until its allocator wraps and flushes; Calgary keeps a
 * stale TCE until the bridge quiesce on wrap, during which device DMA
 * waits (no error) and maps succeed.
 */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "dmatest.h"
#include "iommu-glue/dma-iommu.h"

static struct dmat t;

static int readable(struct duet_dma_dev *dev, duet_dma_addr_t a,
		    const unsigned char *want)
{
	unsigned char in[64];

	return duet_dma_dev_read(dev, a, in, sizeof(in)) == 0 &&
	       !memcmp(in, want, sizeof(in));
}

static void strict(void)
{
	struct duet_dma_dev *dev = dmat_dev(&t, "vtd-strict", NULL, NULL);
	unsigned char *buf;
	duet_dma_addr_t a;
	unsigned i, stale = 0;

	duet_dma_domain_alloc(t.drv, 1, (void **)&buf);
	dmat_fill(buf, 4096, 1);
	for (i = 0; i < 50; i++) {
		duet_dma_map(dev, buf, 4096, DUET_DMA_BIDIRECTIONAL, 0, &a);
		stale += !readable(dev, a, buf);
		duet_dma_unmap(dev, a, 4096, DUET_DMA_BIDIRECTIONAL, 0);
		stale += duet_dma_dev_read(dev, a, buf + 100, 8) != -EFAULT;
	}
	is_int(stale, 0, "vtd-strict: mapped IOVAs work, unmapped ones "
	       "never (50 rounds, IOTLB filled each time)");
	duet_dma_domain_free(t.drv, buf, 1);
	duet_dma_dev_destroy(dev);
}

static void lazy_high_water(void)
{
	struct duet_dma_dev *dev = dmat_dev(&t, "vtd-lazy",
					    "fq=4,timeout_ms=1000000", NULL);
	struct dma_iommu_info info;
	unsigned char *buf;
	duet_dma_addr_t a[5];
	unsigned i;

	duet_dma_domain_alloc(t.drv, 5, (void **)&buf);
	dmat_fill(buf, 5 * 4096, 2);
	for (i = 0; i < 5; i++) {
		duet_dma_map(dev, buf + i * 4096, 4096, DUET_DMA_TO_DEVICE, 0,
			     &a[i]);
		readable(dev, a[i], buf + i * 4096);
	}
	duet_dma_unmap(dev, a[0], 4096, DUET_DMA_TO_DEVICE, 0);
	dma_iommu_dev_info(dev, &info);
	is_int(info.queued, 1, "vtd-lazy: the unmap waits in the flush queue");
	ok(readable(dev, a[0], buf),
	   "vtd-lazy: the stale IOTLB entry still reaches the old page");
	for (i = 1; i < 3; i++)
		duet_dma_unmap(dev, a[i], 4096, DUET_DMA_TO_DEVICE, 0);
	ok(readable(dev, a[0], buf), "vtd-lazy: until the queue is full");
	duet_dma_unmap(dev, a[3], 4096, DUET_DMA_TO_DEVICE, 0);
	dma_iommu_dev_info(dev, &info);
	is_int(info.queued, 0, "vtd-lazy: the 4th unmap flushes the queue");
	is_int(duet_dma_dev_read(dev, a[0], buf + 4 * 4096, 8), -EFAULT,
	       "vtd-lazy: never after the flush");
	ok(readable(dev, a[4], buf + 4 * 4096),
	   "vtd-lazy: a live mapping is unaffected");
	duet_dma_unmap(dev, a[4], 4096, DUET_DMA_TO_DEVICE, 0);
	duet_dma_domain_free(t.drv, buf, 5);
	duet_dma_dev_destroy(dev);
}

static void lazy_timer(void)
{
	struct duet_dma_dev *dev = dmat_dev(&t, "vtd-lazy", "timeout_ms=2",
					    NULL);
	struct timespec ms = { 0, 1000000 };
	unsigned char *buf;
	duet_dma_addr_t a;
	int i;

	duet_dma_domain_alloc(t.drv, 1, (void **)&buf);
	dmat_fill(buf, 4096, 3);
	duet_dma_map(dev, buf, 4096, DUET_DMA_TO_DEVICE, 0, &a);
	readable(dev, a, buf);
	duet_dma_unmap(dev, a, 4096, DUET_DMA_TO_DEVICE, 0);
	/* No further call into the DMA API: only the tick can flush.  The
	 * bound is 3 ms; 10 s only keeps a broken tick from hanging. */
	for (i = 0; i < 10000 && readable(dev, a, buf); i++)
		nanosleep(&ms, NULL);
	ok(i < 10000, "vtd-lazy: the tick thread flushed the lone unmap");
	is_int(duet_dma_dev_read(dev, a, buf + 64, 8), -EFAULT,
	       "vtd-lazy: and it stays refused");
	duet_dma_domain_free(t.drv, buf, 1);
	duet_dma_dev_destroy(dev);
}

static void gart(void)
{
	struct duet_dma_dev *dev = dmat_dev(&t, "gart", "force", NULL);
	struct dma_iommu_info info;
	unsigned char *buf, *big;
	duet_dma_addr_t a, b;
	uint64_t inv;
	unsigned i;

	duet_dma_domain_alloc_contig(t.drv, 1, 32, (void **)&buf);
	duet_dma_domain_alloc_contig(t.drv, 16, 32, (void **)&big);
	dmat_fill(buf, 4096, 4);
	duet_dma_map(dev, buf, 4096, DUET_DMA_TO_DEVICE, 0, &a);
	dma_iommu_dev_info(dev, &info);
	ok(a >= info.aper_base && a < info.aper_base + info.aper_size,
	   "gart: force maps through the aperture");
	readable(dev, a, buf);
	duet_dma_unmap(dev, a, 4096, DUET_DMA_TO_DEVICE, 0);
	ok(readable(dev, a, buf),
	   "gart: after unmap the GART TLB still translates the address");
	inv = info.unit.invalidations;
	for (i = 0; i < 2000 && info.unit.invalidations == inv; i++) {
		duet_dma_map(dev, big, 65536, DUET_DMA_FROM_DEVICE, 0, &b);
		duet_dma_unmap(dev, b, 65536, DUET_DMA_FROM_DEVICE, 0);
		if (i == 0)
			ok(readable(dev, a, buf),
			   "gart: other maps do not flush it");
		dma_iommu_dev_info(dev, &info);
	}
	ok(info.unit.invalidations > inv && i > 400,
	   "gart: the allocator wrapped and flushed after %u maps", i);
	is_int(duet_dma_dev_read(dev, a, buf + 64, 8), -EFAULT,
	       "gart: the stale entry is gone after the flush");
	duet_dma_domain_free(t.drv, big, 16);
	duet_dma_domain_free(t.drv, buf, 1);
	duet_dma_dev_destroy(dev);
}

struct reader {
	struct duet_dma_dev *dev;
	duet_dma_addr_t a;
	const unsigned char *want;
	int stop;
	unsigned reads, errors;
};

static void *reader_main(void *arg)
{
	struct reader *r = arg;

	/* Pairs with the release store in calgary(): stop after it. */
	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		r->errors += !readable(r->dev, r->a, r->want);
		r->reads++;
	}
	return NULL;
}

static void calgary(void)
{
	struct duet_dma_dev *dev = dmat_dev(&t, "calgary",
					    "window=64,quiesce_us=2000", NULL);
	struct dma_iommu_info info;
	struct reader r = { .dev = dev };
	unsigned char *buf, *live, *big;
	duet_dma_addr_t a, b;
	pthread_t th;
	unsigned i, bad = 0;

	duet_dma_domain_alloc(t.drv, 1, (void **)&buf);
	duet_dma_domain_alloc(t.drv, 1, (void **)&live);
	duet_dma_domain_alloc(t.drv, 4, (void **)&big);
	dmat_fill(buf, 4096, 5);
	dmat_fill(live, 4096, 6);
	duet_dma_map(dev, live, 4096, DUET_DMA_TO_DEVICE, 0, &r.a);
	r.want = live;
	duet_dma_map(dev, buf, 4096, DUET_DMA_TO_DEVICE, 0, &a);
	readable(dev, a, buf);
	duet_dma_unmap(dev, a, 4096, DUET_DMA_TO_DEVICE, 0);
	ok(readable(dev, a, buf),
	   "calgary: after unmap the TCE cache still translates the address");
	pthread_create(&th, NULL, reader_main, &r);
	for (i = 0; i < 40; i++) {
		bad += duet_dma_map(dev, big, 4 * 4096,
				    DUET_DMA_BIDIRECTIONAL, 0, &b) != 0;
		bad += duet_dma_unmap(dev, b, 4 * 4096,
				      DUET_DMA_BIDIRECTIONAL, 0) != 0;
	}
	/* Release: the reader's last loads are done before we look. */
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	dma_iommu_dev_info(dev, &info);
	ok(info.unit.stalls >= 2,
	   "calgary: the 64-page window wrapped: %llu bridge quiesces",
	   (unsigned long long)info.unit.stalls);
	is_int(bad, 0, "calgary: every map and unmap succeeded across them");
	ok(r.reads > 0 && r.errors == 0,
	   "calgary: device DMA during the quiesces waited, never failed "
	   "(%u reads)", r.reads);
	is_int(duet_dma_dev_read(dev, a, buf + 64, 8), -EFAULT,
	       "calgary: the stale TCE is gone after the quiesce");
	duet_dma_unmap(dev, r.a, 4096, DUET_DMA_TO_DEVICE, 0);
	duet_dma_domain_free(t.drv, big, 4);
	duet_dma_domain_free(t.drv, live, 1);
	duet_dma_domain_free(t.drv, buf, 1);
	duet_dma_dev_destroy(dev);
}

int main(void)
{
	dmat_open(&t, 512);
	strict();
	lazy_high_water();
	lazy_timer();
	gart();
	calgary();
	dmat_close(&t);
	return done_testing();
}

/* SPDX-License-Identifier: MIT */
/*
 * IOVA allocator: naturally aligned power-of-two ranges, top-down, no
 * overlap, exhaustion gives -ENOSPC (also when the space is held by the
 * per-thread caches: they are drained and the request retried), freed
 * ranges come back, and four threads allocating and freeing at once
 * never receive overlapping ranges.
 */
#include <pthread.h>

#include "iommu-test.h"
#include "iommu-glue/iova.h"

static struct duet_iommu_iova *shared;
static uint8_t owner[4096];

static void *worker(void *arg)
{
	uint64_t s = (uintptr_t)arg * 7919 + 1, pfn[16], n[16];
	long bad = 0;
	int i, k;

	for (i = 0; i < 20000; i++) {
		k = i % 16;
		if (i >= 16) {
			for (uint64_t j = 0; j < n[k]; j++)
				if (__atomic_exchange_n(
					    &owner[pfn[k] + j - 1024], 0,
					    __ATOMIC_RELAXED) !=
				    (uint8_t)(uintptr_t)arg)
					bad++;
			duet_iommu_iova_free(shared, pfn[k], n[k]);
		}
		n[k] = 1 + tb_rng(&s) % 5;
		if (duet_iommu_iova_alloc(shared, n[k], &pfn[k], NULL)) {
			bad++;
			n[k] = 0;
			continue;
		}
		n[k] = duet_iommu_iova_round(n[k]);
		for (uint64_t j = 0; j < n[k]; j++)
			if (__atomic_exchange_n(&owner[pfn[k] + j - 1024],
						(uint8_t)(uintptr_t)arg,
						__ATOMIC_RELAXED))
				bad++;
	}
	return (void *)bad;
}

int main(void)
{
	struct duet_iommu_iova *d;
	uint64_t pfn, prev = ~0ull, got[64];
	int i, rc, bad = 0, hit;
	pthread_t th[4];
	long tbad = 0;

	is_int(duet_iommu_iova_create(10, 10, 0, &d), -EINVAL, "empty window");
	is_int(duet_iommu_iova_create(16, 16 + 64, 0, &d), 0, "64-page window");
	for (i = 0; i < 16; i++) {
		rc = duet_iommu_iova_alloc(d, 3, &pfn, NULL);
		bad += rc || pfn % 4 || pfn >= prev || pfn < 16 || pfn + 4 > 80;
		got[i] = pfn;
		prev = pfn;
	}
	is_int(bad, 0, "16 x 3 pages: rounded to 4, aligned, top-down");
	is_int(duet_iommu_iova_used(d), 64, "the window is full");
	is_int(duet_iommu_iova_alloc(d, 1, &pfn, NULL), -ENOSPC,
	       "exhausted: -ENOSPC");
	duet_iommu_iova_free(d, got[5], 3);
	is_int(duet_iommu_iova_alloc(d, 8, &pfn, NULL), -ENOSPC,
	       "a 4-page hole does not take 8 pages");
	is_int(duet_iommu_iova_alloc(d, 4, &pfn, NULL), 0, "but takes 4");
	is_int(pfn, got[5], "the freed range");
	is_int(duet_iommu_iova_alloc(d, 0, &pfn, NULL), -EINVAL, "0 pages");
	is_int(duet_iommu_iova_alloc(d, 65, &pfn, NULL), -ENOSPC,
	       "larger than the window");
	duet_iommu_iova_destroy(d);

	/* With caches: frees park in the thread's magazine, then drain. */
	duet_iommu_iova_create(0, 32, 2, &d);
	for (i = 0; i < 32; i++)
		duet_iommu_iova_alloc(d, 1, &got[i], NULL);
	for (i = 0; i < 32; i++)
		duet_iommu_iova_free(d, got[i], 1);
	is_int(duet_iommu_iova_used(d), 32, "freed pages sit in the cache");
	duet_iommu_iova_alloc(d, 1, &pfn, &hit);
	ok(hit, "a 1-page request is served by the cache");
	duet_iommu_iova_free(d, pfn, 1);
	is_int(duet_iommu_iova_alloc(d, 16, &pfn, &hit), 0,
	       "a 16-page request drains the caches and succeeds");
	ok(!hit && pfn % 16 == 0, "from the tree, aligned");
	duet_iommu_iova_destroy(d);

	/* Below a limit (the device's DMA mask): the cache only serves a
	 * range that ends below it, the tree searches below it. */
	duet_iommu_iova_create(0, 64, 2, &d);
	duet_iommu_iova_alloc(d, 1, &pfn, NULL);
	is_int(pfn, 63, "top-down: the first page is the top one");
	duet_iommu_iova_free(d, pfn, 1);
	is_int(duet_iommu_iova_alloc_below(d, 1, 32, &pfn, &hit), 0,
	       "a page below 32");
	ok(!hit && pfn < 32, "not the cached page 63: pfn %llu from the tree",
	   (unsigned long long)pfn);
	for (i = 0, bad = 0; i < 31; i++) {
		rc = duet_iommu_iova_alloc_below(d, 1, 32, &got[i], NULL);
		bad += rc || got[i] >= 32;
	}
	is_int(bad, 0, "32 pages below 32 in all");
	is_int(duet_iommu_iova_alloc_below(d, 1, 32, &pfn, NULL), -ENOSPC,
	       "full below the limit: -ENOSPC");
	is_int(duet_iommu_iova_alloc(d, 1, &pfn, &hit), 0,
	       "while the whole window still has room");
	is_int(duet_iommu_iova_alloc_below(d, 1, 0, &pfn, NULL), -ENOSPC,
	       "a limit below the window: -ENOSPC");
	duet_iommu_iova_destroy(d);

	duet_iommu_iova_create(1024, 1024 + 4096, 4, &shared);
	for (i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, worker,
			       (void *)(uintptr_t)(i + 1));
	for (i = 0; i < 4; i++) {
		void *r;

		pthread_join(th[i], &r);
		tbad += (long)r;
	}
	is_int(tbad, 0, "4 threads x 20000 alloc/free: no overlap, no failure");
	duet_iommu_iova_destroy(shared);
	return done_testing();
}

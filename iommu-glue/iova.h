/* SPDX-License-Identifier: MIT */
/*
 * iova.h - an IOVA allocator as Linux's: size-aligned ranges handed out
 * top-down from a cached position, with per-thread magazine caches for
 * ranges of up to 32 pages (sizes below 32 pages are rounded up to a
 * power of two, so a cached range fits any request of its class).
 * Internal to libduet.
 */
#ifndef DUET_IOMMU_GLUE_IOVA_H
#define DUET_IOMMU_GLUE_IOVA_H

#include <stdint.h>

#pragma GCC visibility push(hidden)

struct duet_iommu_iova;

/*
 * Page frames [base_pfn, limit_pfn) to allocate from; ncaches per-thread
 * caches (a thread uses cache (thread number % ncaches); 0: none).
 * 0, -EINVAL, -ENOMEM.
 */
int duet_iommu_iova_create(uint64_t base_pfn, uint64_t limit_pfn,
			   unsigned int ncaches, struct duet_iommu_iova **out);
void duet_iommu_iova_destroy(struct duet_iommu_iova *d);

/* The number of pages a request of pages pages really takes. */
uint64_t duet_iommu_iova_round(uint64_t pages);

/*
 * Allocate pages (rounded as above) naturally aligned to the next power of
 * two; first pfn in *pfn.  Tries the calling thread's cache, then the
 * range tree; when that is full, returns every cached range to it and
 * tries once more.  0, -ENOSPC (window exhausted), -EINVAL.  *hit says
 * whether a cache served it (may be NULL).
 */
int duet_iommu_iova_alloc(struct duet_iommu_iova *d, uint64_t pages,
			  uint64_t *pfn, int *hit);
/*
 * The same, with the range ending at or below limit_pfn (the device's DMA
 * mask; Linux's alloc_iova_fast() limit): a cached range is taken only
 * when it lies below, the tree search starts below it.  -ENOSPC also when
 * the window has no room below limit_pfn.
 */
int duet_iommu_iova_alloc_below(struct duet_iommu_iova *d, uint64_t pages,
				uint64_t limit_pfn, uint64_t *pfn, int *hit);
/* Free what alloc returned (same pages); may go to the thread's cache. */
void duet_iommu_iova_free(struct duet_iommu_iova *d, uint64_t pfn,
			  uint64_t pages);
/* Pages allocated (cached ranges count as allocated). */
uint64_t duet_iommu_iova_used(struct duet_iommu_iova *d);

#pragma GCC visibility pop

#endif /* DUET_IOMMU_GLUE_IOVA_H */

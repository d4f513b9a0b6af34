/* SPDX-License-Identifier: MIT */
/*
 * iova.c - IOVA allocator (see iova.h).
 *
 * The range store is a bitmap over the window searched top-down from a
 * cached position, as Linux's rbtree allocator behaves: a request takes
 * the highest free naturally aligned block below the last allocation,
 * and starts again from the top when nothing fits there.  In front of it
 * sit magazines (Bonwick and Adams, as Linux's rcache): per thread slot a
 * loaded and a previous magazine of 128 ranges per size class (1, 2, 4,
 * 8, 16, 32 pages), and a depot of up to 32 full magazines per class.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "iommu-glue/iova.h"

#define MAG_SIZE	128
#define NCLASS		6	/* 1 .. 32 pages */
#define DEPOT_MAX	32

struct mag {
	unsigned int n;
	uint64_t pfn[MAG_SIZE];
};

/* One per thread slot: its lock is uncontended unless slots collide. */
struct iova_cache {
	pthread_mutex_t lock;
	struct mag *loaded[NCLASS], *prev[NCLASS];
};

struct duet_iommu_iova {
	pthread_mutex_t lock;		/* bitmap, cached, depot, used */
	uint64_t base, limit;		/* window [base, limit) in pfns */
	uint64_t *map;			/* bit (pfn - base) set: allocated */
	uint64_t cached;		/* next search starts below this */
	uint64_t used;			/* pages allocated or cached */
	struct mag *depot[NCLASS][DEPOT_MAX];
	unsigned int ndepot[NCLASS];
	unsigned int ncaches;
	struct iova_cache *caches;
};

static int bit(const struct duet_iommu_iova *d, uint64_t pfn)
{
	uint64_t i = pfn - d->base;

	return (int)((d->map[i / 64] >> (i % 64)) & 1);
}

static void set_bits(struct duet_iommu_iova *d, uint64_t pfn, uint64_t n,
		     int on)
{
	uint64_t i;

	for (i = pfn - d->base; i < pfn - d->base + n; i++) {
		if (on)
			d->map[i / 64] |= 1ull << (i % 64);
		else
			d->map[i / 64] &= ~(1ull << (i % 64));
	}
}

uint64_t duet_iommu_iova_round(uint64_t pages)
{
	uint64_t p = 1;

	if (pages >= 32)
		return pages;
	while (p < pages)
		p <<= 1;
	return p;
}

static uint64_t align_of(uint64_t pages)
{
	uint64_t a = 1;

	while (a < pages)
		a <<= 1;
	return a;
}

static int class_of(uint64_t pages)
{
	int c;

	for (c = 0; c < NCLASS; c++)
		if (pages == 1ull << c)
			return c;
	return -1;
}

/* Highest aligned free block of n pages inside [lo, top); 0 or -ENOSPC. */
static int find_down(struct duet_iommu_iova *d, uint64_t n, uint64_t top,
		     uint64_t lo, uint64_t *out)
{
	uint64_t a = align_of(n), p, q;

	if (top < lo + n)
		return -ENOSPC;
	p = (top - n) / a * a;
	while (p >= lo) {
		for (q = p + n; q > p && !bit(d, q - 1); q--)
			;
		if (q == p) {
			*out = p;
			return 0;
		}
		/* q - 1 is taken: the next candidate must end at or below. */
		if (q - 1 < lo + n)
			return -ENOSPC;
		p = (q - 1 - n) / a * a;
	}
	return -ENOSPC;
}

static int tree_alloc(struct duet_iommu_iova *d, uint64_t n, uint64_t limit,
		      uint64_t *pfn)
{
	int rc = find_down(d, n, d->cached < limit ? d->cached : limit,
			   d->base, pfn);

	if (rc)
		rc = find_down(d, n, limit, d->base, pfn);
	if (rc)
		return rc;
	set_bits(d, *pfn, n, 1);
	d->cached = *pfn;
	d->used += n;
	return 0;
}

static void tree_free(struct duet_iommu_iova *d, uint64_t pfn, uint64_t n)
{
	set_bits(d, pfn, n, 0);
	if (pfn >= d->cached)
		d->cached = pfn + n;
	d->used -= n;
}

static void mag_drain(struct duet_iommu_iova *d, struct mag *m, int c)
{
	while (m && m->n)
		tree_free(d, m->pfn[--m->n], 1ull << c);
}

int duet_iommu_iova_create(uint64_t base_pfn, uint64_t limit_pfn,
			   unsigned int ncaches, struct duet_iommu_iova **out)
{
	struct duet_iommu_iova *d;
	unsigned int i;

	*out = NULL;
	if (limit_pfn <= base_pfn || limit_pfn - base_pfn > (1ull << 28))
		return -EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->map = calloc((limit_pfn - base_pfn + 63) / 64, 8);
	d->caches = ncaches ? calloc(ncaches, sizeof(*d->caches)) : NULL;
	if (!d->map || (ncaches && !d->caches)) {
		free(d->map);
		free(d->caches);
		free(d);
		return -ENOMEM;
	}
	pthread_mutex_init(&d->lock, NULL);
	for (i = 0; i < ncaches; i++)
		pthread_mutex_init(&d->caches[i].lock, NULL);
	d->ncaches = ncaches;
	d->base = base_pfn;
	d->limit = d->cached = limit_pfn;
	*out = d;
	return 0;
}

void duet_iommu_iova_destroy(struct duet_iommu_iova *d)
{
	unsigned int i, c, k;

	if (!d)
		return;
	for (i = 0; i < d->ncaches; i++) {
		for (c = 0; c < NCLASS; c++) {
			free(d->caches[i].loaded[c]);
			free(d->caches[i].prev[c]);
		}
		pthread_mutex_destroy(&d->caches[i].lock);
	}
	for (c = 0; c < NCLASS; c++)
		for (k = 0; k < d->ndepot[c]; k++)
			free(d->depot[c][k]);
	pthread_mutex_destroy(&d->lock);
	free(d->caches);
	free(d->map);
	free(d);
}

static struct iova_cache *my_cache(struct duet_iommu_iova *d)
{
	static unsigned int next_slot;
	static __thread unsigned int slot;	/* 0: not assigned yet */

	if (!d->ncaches)
		return NULL;
	if (!slot)
		slot = __atomic_add_fetch(&next_slot, 1, __ATOMIC_RELAXED);
	return &d->caches[(slot - 1) % d->ncaches];
}

/* Take a range ending at or below limit out of m (Linux's
 * iova_magazine_pop() with a limit); 0 or -ENOENT. */
static int mag_take_below(struct mag *m, uint64_t n, uint64_t limit,
			  uint64_t *pfn)
{
	unsigned int i;

	for (i = m ? m->n : 0; i-- > 0;)
		if (m->pfn[i] + n <= limit) {
			*pfn = m->pfn[i];
			m->pfn[i] = m->pfn[--m->n];
			return 0;
		}
	return -ENOENT;
}

/* Pop a cached range of class c; 0 or -ENOENT.  Cache lock held.  Below
 * the window's top only the thread's two magazines are searched. */
static int cache_pop(struct duet_iommu_iova *d, struct iova_cache *ca, int c,
		     uint64_t limit, uint64_t *pfn)
{
	struct mag *t;

	if (limit < d->limit)
		return mag_take_below(ca->loaded[c], 1ull << c, limit, pfn) &&
		       mag_take_below(ca->prev[c], 1ull << c, limit, pfn) ?
			       -ENOENT : 0;

	if (ca->loaded[c] && ca->loaded[c]->n)
		goto pop;
	if (ca->prev[c] && ca->prev[c]->n) {
		t = ca->loaded[c];
		ca->loaded[c] = ca->prev[c];
		ca->prev[c] = t;
		goto pop;
	}
	pthread_mutex_lock(&d->lock);
	if (d->ndepot[c]) {
		free(ca->loaded[c]);
		ca->loaded[c] = d->depot[c][--d->ndepot[c]];
	}
	pthread_mutex_unlock(&d->lock);
	if (!ca->loaded[c] || !ca->loaded[c]->n)
		return -ENOENT;
pop:
	*pfn = ca->loaded[c]->pfn[--ca->loaded[c]->n];
	return 0;
}

/* Every cached range back to the tree (allocation pressure). */
static void flush_caches(struct duet_iommu_iova *d)
{
	unsigned int i, k;
	int c;

	for (i = 0; i < d->ncaches; i++) {
		struct iova_cache *ca = &d->caches[i];

		pthread_mutex_lock(&ca->lock);
		pthread_mutex_lock(&d->lock);
		for (c = 0; c < NCLASS; c++) {
			mag_drain(d, ca->loaded[c], c);
			mag_drain(d, ca->prev[c], c);
		}
		pthread_mutex_unlock(&d->lock);
		pthread_mutex_unlock(&ca->lock);
	}
	pthread_mutex_lock(&d->lock);
	for (c = 0; c < NCLASS; c++) {
		for (k = 0; k < d->ndepot[c]; k++) {
			mag_drain(d, d->depot[c][k], c);
			free(d->depot[c][k]);
		}
		d->ndepot[c] = 0;
	}
	pthread_mutex_unlock(&d->lock);
}

int duet_iommu_iova_alloc(struct duet_iommu_iova *d, uint64_t pages,
			  uint64_t *pfn, int *hit)
{
	return duet_iommu_iova_alloc_below(d, pages, d->limit, pfn, hit);
}

int duet_iommu_iova_alloc_below(struct duet_iommu_iova *d, uint64_t pages,
				uint64_t limit, uint64_t *pfn, int *hit)
{
	uint64_t n = duet_iommu_iova_round(pages);
	struct iova_cache *ca = my_cache(d);
	int c = class_of(n), rc;

	if (hit)
		*hit = 0;
	if (limit > d->limit)
		limit = d->limit;
	if (!pages || limit < d->base || n > limit - d->base)
		return pages ? -ENOSPC : -EINVAL;
	if (ca && c >= 0) {
		pthread_mutex_lock(&ca->lock);
		rc = cache_pop(d, ca, c, limit, pfn);
		pthread_mutex_unlock(&ca->lock);
		if (!rc) {
			if (hit)
				*hit = 1;
			return 0;
		}
	}
	pthread_mutex_lock(&d->lock);
	rc = tree_alloc(d, n, limit, pfn);
	pthread_mutex_unlock(&d->lock);
	if (rc != -ENOSPC || !d->ncaches)
		return rc;
	flush_caches(d);
	pthread_mutex_lock(&d->lock);
	rc = tree_alloc(d, n, limit, pfn);
	pthread_mutex_unlock(&d->lock);
	return rc;
}

/* Push into the thread's cache; 0, or -ENOSPC to free to the tree. */
static int cache_push(struct duet_iommu_iova *d, struct iova_cache *ca,
		      int c, uint64_t pfn)
{
	struct mag *t;

	if (!ca->loaded[c] && !(ca->loaded[c] = calloc(1, sizeof(struct mag))))
		return -ENOSPC;
	if (ca->loaded[c]->n < MAG_SIZE)
		goto push;
	if (ca->prev[c] && ca->prev[c]->n < MAG_SIZE) {
		t = ca->loaded[c];
		ca->loaded[c] = ca->prev[c];
		ca->prev[c] = t;
		goto push;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOSPC;
	pthread_mutex_lock(&d->lock);
	if (d->ndepot[c] < DEPOT_MAX) {
		d->depot[c][d->ndepot[c]++] = ca->loaded[c];
	} else {
		mag_drain(d, ca->loaded[c], c);
		free(ca->loaded[c]);
	}
	pthread_mutex_unlock(&d->lock);
	ca->loaded[c] = t;
push:
	ca->loaded[c]->pfn[ca->loaded[c]->n++] = pfn;
	return 0;
}

void duet_iommu_iova_free(struct duet_iommu_iova *d, uint64_t pfn,
			  uint64_t pages)
{
	uint64_t n = duet_iommu_iova_round(pages);
	struct iova_cache *ca = my_cache(d);
	int c = class_of(n);

	if (ca && c >= 0) {
		pthread_mutex_lock(&ca->lock);
		c = cache_push(d, ca, c, pfn);
		pthread_mutex_unlock(&ca->lock);
		if (!c)
			return;
	}
	pthread_mutex_lock(&d->lock);
	tree_free(d, pfn, n);
	pthread_mutex_unlock(&d->lock);
}

uint64_t duet_iommu_iova_used(struct duet_iommu_iova *d)
{
	uint64_t u;

	pthread_mutex_lock(&d->lock);
	u = d->used;
	pthread_mutex_unlock(&d->lock);
	return u;
}

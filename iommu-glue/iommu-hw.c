/* SPDX-License-Identifier: MIT */
/*
 * iommu-hw.c - memory accessor, arena and the device DMA path shared by
 * the hardware IOMMU models (see iommu-hw.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "iommu-glue/iommu-hw.h"

int duet_iommu_mem_ptr(const struct duet_iommu_mem *m, uint64_t pa,
		       size_t len, void **ptr)
{
	if (!m->access || pa + len < pa)
		return -EFAULT;
	return m->access(m->opaque, pa, len, ptr);
}

int duet_iommu_rd64(const struct duet_iommu_mem *m, uint64_t pa, uint64_t *v)
{
	void *p;
	int rc = duet_iommu_mem_ptr(m, pa, 8, &p);

	if (rc)
		return rc;
	/* Tables are shared with another walker: one 8-byte load. */
	*v = __atomic_load_n((uint64_t *)p, __ATOMIC_RELAXED);
	return 0;
}

int duet_iommu_wr64(const struct duet_iommu_mem *m, uint64_t pa, uint64_t v)
{
	void *p;
	int rc = duet_iommu_mem_ptr(m, pa, 8, &p);

	if (rc)
		return rc;
	/* One 8-byte store, so a concurrent walker never sees half. */
	__atomic_store_n((uint64_t *)p, v, __ATOMIC_RELAXED);
	return 0;
}

int duet_iommu_wr32(const struct duet_iommu_mem *m, uint64_t pa, uint32_t v)
{
	void *p;
	int rc = duet_iommu_mem_ptr(m, pa, 4, &p);

	if (rc)
		return rc;
	__atomic_store_n((uint32_t *)p, v, __ATOMIC_RELAXED);
	return 0;
}

/* ---- arena ---- */

static int arena_access(void *opaque, uint64_t pa, size_t len, void **ptr)
{
	struct duet_iommu_arena *a = opaque;

	if (pa < a->pa || pa - a->pa > a->size || len > a->size - (pa - a->pa))
		return -EFAULT;
	*ptr = a->buf + (pa - a->pa);
	return 0;
}

int duet_iommu_arena_init(struct duet_iommu_arena *a, void *buf, uint64_t pa,
			  size_t size)
{
	memset(a, 0, sizeof(*a));
	if (!size || size % DUET_IOMMU_PAGE_SIZE || pa % DUET_IOMMU_PAGE_SIZE ||
	    pa + size < pa)
		return -EINVAL;
	if (!buf) {
		if (posix_memalign(&buf, DUET_IOMMU_PAGE_SIZE, size))
			return -ENOMEM;
		memset(buf, 0, size);
		a->owned = 1;
	}
	a->used = calloc(size / DUET_IOMMU_PAGE_SIZE, 1);
	if (!a->used) {
		if (a->owned)
			free(buf);
		a->owned = 0;
		return -ENOMEM;
	}
	a->buf = buf;
	a->pa = pa;
	a->size = size;
	a->mem.access = arena_access;
	a->mem.opaque = a;
	return 0;
}

void duet_iommu_arena_fini(struct duet_iommu_arena *a)
{
	if (!a)
		return;
	if (a->owned)
		free(a->buf);
	free(a->used);
	memset(a, 0, sizeof(*a));
}

int duet_iommu_arena_alloc(struct duet_iommu_arena *a, uint64_t *pa)
{
	size_t n = a->size / DUET_IOMMU_PAGE_SIZE, i, p;

	for (i = 0; i < n; i++) {
		p = (a->hint + i) % n;
		if (a->used[p])
			continue;
		a->used[p] = 1;
		a->hint = p + 1;
		memset(a->buf + p * DUET_IOMMU_PAGE_SIZE, 0,
		       DUET_IOMMU_PAGE_SIZE);
		*pa = a->pa + p * DUET_IOMMU_PAGE_SIZE;
		return 0;
	}
	return -ENOMEM;
}

void duet_iommu_arena_free(struct duet_iommu_arena *a, uint64_t pa)
{
	if (pa >= a->pa && pa - a->pa < a->size)
		a->used[(pa - a->pa) / DUET_IOMMU_PAGE_SIZE] = 0;
}

void *duet_iommu_arena_ptr(const struct duet_iommu_arena *a, uint64_t pa)
{
	if (pa < a->pa || pa - a->pa >= a->size)
		return NULL;
	return a->buf + (pa - a->pa);
}

/* ---- units and the DMA path ---- */

void duet_iommu_unit_init(struct duet_iommu_unit *u,
			  const struct duet_iommu_unit_ops *ops,
			  const struct duet_iommu_mem *mem)
{
	memset(u, 0, sizeof(*u));
	u->ops = ops;
	u->mem = *mem;
	pthread_mutex_init(&u->lock, NULL);
}

void duet_iommu_unit_fini(struct duet_iommu_unit *u)
{
	if (u && u->ops)
		pthread_mutex_destroy(&u->lock);
}

int duet_iommu_translate(struct duet_iommu_unit *u, uint16_t source_id,
			 uint64_t iova, size_t len, int access, uint64_t *pa,
			 struct duet_iommu_fault *f)
{
	struct duet_iommu_fault tmp;

	if (!len || (access != DUET_IOMMU_READ && access != DUET_IOMMU_WRITE))
		return -EINVAL;
	return u->ops->translate(u, source_id, iova, len, access, pa,
				 f ? f : &tmp);
}

struct seg {
	uint64_t pa;
	size_t len;
};

/* translate() until it stops saying -EBUSY (a stalled bridge). */
static int translate_wait(struct duet_iommu_unit *u, uint16_t sid,
			  uint64_t iova, size_t len, int access, uint64_t *pa,
			  struct duet_iommu_fault *f)
{
	struct timespec ts = { 0, 20000 };
	int rc;

	while ((rc = duet_iommu_translate(u, sid, iova, len, access, pa, f)) ==
	       -EBUSY)
		nanosleep(&ts, NULL);
	return rc;
}

int duet_iommu_dma(struct duet_iommu_unit *u, uint16_t source_id,
		   uint64_t iova, void *buf, size_t len, int access,
		   struct duet_iommu_fault *f)
{
	struct seg local[16], *segs = local;
	size_t nseg = 0, cap = 16, done = 0, i;
	uint8_t *b = buf;
	int rc = 0;

	/* Every page is translated before a byte moves. */
	while (done < len) {
		uint64_t pa;

		rc = translate_wait(u, source_id, iova + done, len - done,
				    access, &pa, f);
		if (rc < 0)
			goto out;
		if (nseg == cap) {
			struct seg *n = malloc(2 * cap * sizeof(*n));

			if (!n) {
				rc = -ENOMEM;
				goto out;
			}
			memcpy(n, segs, nseg * sizeof(*n));
			if (segs != local)
				free(segs);
			segs = n;
			cap *= 2;
		}
		segs[nseg].pa = pa;
		segs[nseg++].len = (size_t)rc;
		done += (size_t)rc;
	}
	rc = 0;
	for (i = 0, done = 0; i < nseg; done += segs[i++].len) {
		void *p;

		rc = duet_iommu_mem_ptr(&u->mem, segs[i].pa, segs[i].len, &p);
		if (rc)
			goto out;
		if (access == DUET_IOMMU_READ)
			memcpy(b + done, p, segs[i].len);
		else
			memcpy(p, b + done, segs[i].len);
	}
	pthread_mutex_lock(&u->lock);
	u->stats.dma_bytes += len;
	pthread_mutex_unlock(&u->lock);
out:
	if (segs != local)
		free(segs);
	return rc;
}

void duet_iommu_stats_get(struct duet_iommu_unit *u,
			  struct duet_iommu_stats *st)
{
	pthread_mutex_lock(&u->lock);
	*st = u->stats;
	pthread_mutex_unlock(&u->lock);
}

void duet_iommu_spin_ns(uint64_t ns)
{
	uint64_t end;

	if (!ns)
		return;
	end = duet_iommu_now_ns() + ns;
	while (duet_iommu_now_ns() < end)
		;
}

uint64_t duet_iommu_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

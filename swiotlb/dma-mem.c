/* SPDX-License-Identifier: MIT */
/*
 * dma-mem.c - the machine a device addresses: frames, domains' RAM with a
 * p2m that is not the identity, foreign (granted) frames, and the
 * exchange that makes a range machine-contiguous.  This is the simulator's
 * implementation of the platform hook "CPU address -> machine address"
 * (struct duet_machine, which duet_dma_mem_bind() installs in a sim
 * platform).  A machine bound to a platform asks that platform for the
 * frames and contiguous runs of the platform's own domain (on Xen: the
 * real P2M), and answers from the model for every other domain.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "gnttab/private.h"
#include "swiotlb/dma-int.h"

int duet_dma_mem_create(unsigned addr_bits, struct duet_dma_mem **out)
{
	struct duet_dma_mem *m;
	uint64_t i;

	if (!out || addr_bits < 20 || addr_bits > 40)
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->addr_bits = addr_bits;
	m->nframes = 1ull << (addr_bits - DUET_DMA_FRAME_SHIFT);
	m->frames = calloc(m->nframes, sizeof(*m->frames));
	if (!m->frames) {
		free(m);
		return -ENOMEM;
	}
	for (i = 0; i < m->nframes; i++)
		m->frames[i].owner = NO_OWNER;
	m->top = m->nframes;
	pthread_mutex_init(&m->lock, NULL);
	*out = m;
	return 0;
}

void duet_dma_mem_destroy(struct duet_dma_mem *m)
{
	if (!m)
		return;
	duet_dma_mem_bind(m, NULL);
	dma_iommu_hw_destroy(m->iommu);
	pthread_mutex_destroy(&m->lock);
	free(m->frames);
	free(m);
}

unsigned char *dma_mem_host(struct duet_dma_mem *m, uint64_t maddr)
{
	uint64_t mfn = maddr >> DUET_DMA_FRAME_SHIFT;

	if (mfn >= m->nframes || !m->frames[mfn].host)
		return NULL;
	return m->frames[mfn].host + (maddr & (FRAME_SIZE - 1));
}

int dma_mem_owner(struct duet_dma_mem *m, uint64_t mfn)
{
	if (mfn >= m->nframes)
		return NO_OWNER;
	return m->frames[mfn].owner;
}

/* The highest free frame below m->top, or -1.  Caller holds m->lock. */
static int64_t take_high(struct duet_dma_mem *m)
{
	uint64_t i;

	for (i = m->top; i-- > 0;)
		if (m->frames[i].owner == NO_OWNER) {
			m->top = i;
			return (int64_t)i;
		}
	for (i = m->nframes; i-- > m->top;)
		if (m->frames[i].owner == NO_OWNER)
			return (int64_t)i;
	return -1;
}

static void frame_set(struct duet_dma_mem *m, uint64_t mfn, void *host,
		      int owner, int ro, int foreign)
{
	m->frames[mfn].host = host;
	m->frames[mfn].owner = owner;
	m->frames[mfn].ro = (uint8_t)ro;
	m->frames[mfn].foreign = (uint8_t)foreign;
}

static void frame_clear(struct duet_dma_mem *m, uint64_t mfn)
{
	frame_set(m, mfn, NULL, NO_OWNER, 0, 0);
}

int duet_dma_domain_create(struct duet_dma_mem *m, duet_domid_t domid,
			   unsigned npages, struct duet_dma_domain **out)
{
	struct duet_dma_domain *d, *o;
	unsigned i;
	int64_t mfn;
	int rc = -ENOSPC;

	if (!m || !out || !npages)
		return -EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->p2m = calloc(npages, sizeof(*d->p2m));
	d->used = calloc(npages, 1);
	d->base = mmap(NULL, (size_t)npages * FRAME_SIZE,
		       PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);
	if (!d->p2m || !d->used || d->base == MAP_FAILED) {
		rc = -ENOMEM;
		goto err_alloc;
	}
	d->mem = m;
	d->domid = domid;
	d->npages = npages;
	pthread_mutex_init(&d->lock, NULL);
	pthread_mutex_init(&d->tlb_lock, NULL);

	pthread_mutex_lock(&m->lock);
	for (o = m->domains; o; o = o->next)
		if (o->domid == domid) {
			rc = -EEXIST;
			goto err_locked;
		}
	/* Descending frames: pfn + 1 is machine frame mfn - 1 (or lower). */
	for (i = 0; i < npages; i++) {
		mfn = take_high(m);
		if (mfn < 0)
			goto err_frames;
		d->p2m[i] = (uint64_t)mfn;
		frame_set(m, (uint64_t)mfn, d->base + (size_t)i * FRAME_SIZE,
			  domid, 0, 0);
	}
	d->next = m->domains;
	m->domains = d;
	pthread_mutex_unlock(&m->lock);
	*out = d;
	return 0;

err_frames:
	while (i-- > 0)
		frame_clear(m, d->p2m[i]);
err_locked:
	pthread_mutex_unlock(&m->lock);
	pthread_mutex_destroy(&d->lock);
	pthread_mutex_destroy(&d->tlb_lock);
err_alloc:
	if (d->base && d->base != MAP_FAILED)
		munmap(d->base, (size_t)npages * FRAME_SIZE);
	free(d->used);
	free(d->p2m);
	free(d);
	return rc;
}

void duet_dma_domain_destroy(struct duet_dma_domain *d)
{
	struct duet_dma_mem *m;
	struct duet_dma_domain **pp;
	unsigned i;

	if (!d)
		return;
	m = d->mem;
	dma_swiotlb_destroy(d->tlb);
	pthread_mutex_lock(&m->lock);
	for (pp = &m->domains; *pp; pp = &(*pp)->next)
		if (*pp == d) {
			*pp = d->next;
			break;
		}
	for (i = 0; i < d->npages; i++)
		frame_clear(m, d->p2m[i]);
	pthread_mutex_unlock(&m->lock);
	munmap(d->base, (size_t)d->npages * FRAME_SIZE);
	pthread_mutex_destroy(&d->lock);
	pthread_mutex_destroy(&d->tlb_lock);
	free(d->used);
	free(d->p2m);
	free(d);
}

duet_domid_t duet_dma_domain_id(const struct duet_dma_domain *d)
{
	return d->domid;
}

int duet_dma_domain_alloc(struct duet_dma_domain *d, unsigned npages,
			  void **cpu)
{
	unsigned i, run = 0;

	if (!d || !cpu || !npages || npages > d->npages)
		return -EINVAL;
	pthread_mutex_lock(&d->lock);
	for (i = 0; i < d->npages; i++) {
		run = d->used[i] ? 0 : run + 1;
		if (run == npages)
			break;
	}
	if (run < npages) {
		pthread_mutex_unlock(&d->lock);
		return -ENOMEM;
	}
	i = i + 1 - npages;
	/* 1 marks where an allocation starts, 2 the rest of it. */
	memset(d->used + i, 2, npages);
	d->used[i] = 1;
	pthread_mutex_unlock(&d->lock);
	memset(d->base + (size_t)i * FRAME_SIZE, 0,
	       (size_t)npages * FRAME_SIZE);
	*cpu = d->base + (size_t)i * FRAME_SIZE;
	return 0;
}

int duet_dma_domain_free(struct duet_dma_domain *d, void *cpu,
			 unsigned npages)
{
	unsigned char *p = cpu;
	size_t off;
	unsigned i;

	if (!d || !p || p < d->base || !npages)
		return -EINVAL;
	off = (size_t)(p - d->base);
	if (off % FRAME_SIZE || off / FRAME_SIZE + npages > d->npages)
		return -EINVAL;
	off /= FRAME_SIZE;
	pthread_mutex_lock(&d->lock);
	/* Exactly one allocation: its start, its pages, nothing more. */
	for (i = 0; i < npages; i++)
		if (d->used[off + i] != (i ? 2 : 1))
			break;
	if (i < npages || (off + npages < d->npages &&
			   d->used[off + npages] == 2)) {
		pthread_mutex_unlock(&d->lock);
		return -EINVAL;
	}
	memset(d->used + off, 0, npages);
	pthread_mutex_unlock(&d->lock);
	return 0;
}

/*
 * Exchange the frames behind @npages pages at pfn @pfn for a free machine
 * run aligned to its power-of-two size and below 2^dma_bits (what
 * XENMEM_exchange does for xen_create_contiguous_region()).  The old
 * frames become free.  The host pages stay where they are, so contents
 * are kept.  Caller holds m->lock.
 */
static int exchange_contig(struct duet_dma_domain *d, unsigned pfn,
			   unsigned npages, unsigned dma_bits)
{
	struct duet_dma_mem *m = d->mem;
	uint64_t align = 1, limit, start, i;

	while (align < npages)
		align <<= 1;
	limit = dma_bits >= m->addr_bits ? m->nframes :
		1ull << (dma_bits - DUET_DMA_FRAME_SHIFT);
	for (start = 0; start + npages <= limit; start += align) {
		for (i = 0; i < npages; i++)
			if (m->frames[start + i].owner != NO_OWNER)
				break;
		if (i == npages)
			break;
	}
	if (start + npages > limit)
		return -ENOMEM;
	for (i = 0; i < npages; i++) {
		frame_clear(m, d->p2m[pfn + i]);
		d->p2m[pfn + i] = start + i;
		frame_set(m, start + i,
			  d->base + (size_t)(pfn + i) * FRAME_SIZE, d->domid,
			  0, 0);
	}
	return 0;
}

static int model_alloc_contig(struct duet_dma_domain *d, unsigned npages,
			      unsigned dma_bits, void **cpu)
{
	void *p;
	int rc;

	rc = duet_dma_domain_alloc(d, npages, &p);
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&d->mem->lock);
	rc = exchange_contig(d, (unsigned)(((unsigned char *)p - d->base) /
					   FRAME_SIZE), npages, dma_bits);
	pthread_mutex_unlock(&d->mem->lock);
	if (rc < 0) {
		duet_dma_domain_free(d, p, npages);
		return rc;
	}
	*cpu = p;
	return 0;
}

/* Whether @d's frames come from the bound platform. */
static int on_platform(const struct duet_dma_domain *d)
{
	return d->mem->platform && d->domid == d->mem->pdomid;
}

int duet_dma_domain_alloc_contig(struct duet_dma_domain *d, unsigned npages,
				 unsigned dma_bits, void **cpu)
{
	if (!d || !cpu || dma_bits < 20 || dma_bits > 64)
		return -EINVAL;
	if (on_platform(d))
		return duet_platform_alloc_contig(d->mem->platform, npages,
						  dma_bits, cpu);
	return model_alloc_contig(d, npages, dma_bits, cpu);
}

/* The domain whose RAM holds @p, or NULL.  Caller holds m->lock. */
static struct duet_dma_domain *ram_domain(struct duet_dma_mem *m,
					  const unsigned char *p)
{
	struct duet_dma_domain *d;

	for (d = m->domains; d; d = d->next)
		if (p >= d->base && p < d->base + (size_t)d->npages * FRAME_SIZE)
			return d;
	return NULL;
}

static struct duet_dma_domain *domid_domain(struct duet_dma_mem *m,
					    duet_domid_t domid)
{
	struct duet_dma_domain *d;

	for (d = m->domains; d; d = d->next)
		if (d->domid == domid)
			return d;
	return NULL;
}

int duet_dma_virt_to_maddr(struct duet_dma_mem *m, const void *cpu,
			   uint64_t *maddr, duet_domid_t *owner, int *ro)
{
	const unsigned char *p = cpu;
	uintptr_t page = (uintptr_t)p & ~(uintptr_t)(FRAME_SIZE - 1);
	struct duet_dma_domain *d;
	uint64_t i, mfn;
	int rc = -EFAULT;

	pthread_mutex_lock(&m->lock);
	d = ram_domain(m, p);
	if (d && on_platform(d)) {
		/* The platform's hook, without our lock (the sim's takes it). */
		pthread_mutex_unlock(&m->lock);
		rc = duet_platform_frames(m->platform, (const void *)page, 1,
					  &mfn, NULL);
		if (rc < 0)
			return rc;
		*maddr = (mfn << DUET_DMA_FRAME_SHIFT) |
			 ((uintptr_t)p & (FRAME_SIZE - 1));
		if (owner)
			*owner = d->domid;
		if (ro)
			*ro = 0;
		return 0;
	}
	if (d) {
		*maddr = (d->p2m[(p - d->base) / FRAME_SIZE] <<
			  DUET_DMA_FRAME_SHIFT) | ((uintptr_t)p & (FRAME_SIZE - 1));
		if (owner)
			*owner = d->domid;
		if (ro)
			*ro = 0;
		rc = 0;
		goto out;
	}
	/* Foreign frames are few (the glue's live grant mappings). */
	for (i = 0; i < m->nframes; i++) {
		struct dma_frame *f = &m->frames[i];

		if (f->foreign && (uintptr_t)f->host == page) {
			*maddr = (i << DUET_DMA_FRAME_SHIFT) |
				 ((uintptr_t)p & (FRAME_SIZE - 1));
			if (owner)
				*owner = (duet_domid_t)f->owner;
			if (ro)
				*ro = f->ro;
			rc = 0;
			break;
		}
	}
out:
	pthread_mutex_unlock(&m->lock);
	return rc;
}

/* struct duet_machine over the model: @domid's RAM only. */
static int model_frames(void *priv, duet_domid_t domid, const void *addr,
			unsigned count, uint64_t *mfns, uint64_t *pfns)
{
	struct duet_dma_mem *m = priv;
	const unsigned char *p = addr;
	struct duet_dma_domain *d;
	size_t first;
	unsigned i;
	int rc = -EFAULT;

	pthread_mutex_lock(&m->lock);
	d = domid_domain(m, domid);
	if (!d || p < d->base)
		goto out;
	first = (size_t)(p - d->base) / FRAME_SIZE;
	if (first >= d->npages || count > d->npages - first)
		goto out;
	for (i = 0; i < count; i++) {
		mfns[i] = d->p2m[first + i];
		if (pfns)
			pfns[i] = first + i;
	}
	rc = 0;
out:
	pthread_mutex_unlock(&m->lock);
	return rc;
}

static int model_alloc(void *priv, duet_domid_t domid, unsigned count,
		       unsigned dma_bits, void **addr)
{
	struct duet_dma_mem *m = priv;
	struct duet_dma_domain *d;

	pthread_mutex_lock(&m->lock);
	d = domid_domain(m, domid);
	pthread_mutex_unlock(&m->lock);
	if (!d)
		return -ENOMEM;
	return model_alloc_contig(d, count, dma_bits, addr);
}

static int model_free(void *priv, duet_domid_t domid, void *addr,
		      unsigned count)
{
	struct duet_dma_mem *m = priv;
	struct duet_dma_domain *d;

	pthread_mutex_lock(&m->lock);
	d = domid_domain(m, domid);
	pthread_mutex_unlock(&m->lock);
	return d ? duet_dma_domain_free(d, addr, count) : -EINVAL;
}

static const struct duet_machine model_machine = {
	.frames = model_frames,
	.alloc_contig = model_alloc,
	.free_contig = model_free,
};

int duet_dma_mem_bind(struct duet_dma_mem *m, struct duet_platform *p)
{
	int domid = 0;

	if (!m)
		return -EINVAL;
	if (p) {
		domid = duet_platform_domid(p);
		if (domid < 0)
			return domid;
	}
	if (m->platform)
		duet_platform_set_machine(m->platform, NULL, NULL);
	m->platform = p;
	m->pdomid = (duet_domid_t)domid;
	if (p)
		duet_platform_set_machine(p, &model_machine, m);
	return 0;
}

int duet_dma_mem_add_foreign(struct duet_dma_mem *m, duet_domid_t owner,
			     void *cpu, int ro, uint64_t *mfn)
{
	int64_t f;

	if (!m || !cpu || !mfn || ((uintptr_t)cpu & (FRAME_SIZE - 1)))
		return -EINVAL;
	pthread_mutex_lock(&m->lock);
	f = take_high(m);
	if (f >= 0)
		frame_set(m, (uint64_t)f, cpu, owner, !!ro, 1);
	pthread_mutex_unlock(&m->lock);
	if (f < 0)
		return -ENOSPC;
	*mfn = (uint64_t)f;
	return 0;
}

int duet_dma_mem_del_foreign(struct duet_dma_mem *m, uint64_t mfn)
{
	int rc = -EINVAL;

	pthread_mutex_lock(&m->lock);
	if (mfn < m->nframes && m->frames[mfn].foreign) {
		frame_clear(m, mfn);
		rc = 0;
	}
	pthread_mutex_unlock(&m->lock);
	return rc;
}

int dma_mem_update_foreign(struct duet_dma_mem *m, uint64_t mfn, void *host,
			   int ro)
{
	int rc = -EINVAL;

	pthread_mutex_lock(&m->lock);
	if (mfn < m->nframes && m->frames[mfn].foreign) {
		m->frames[mfn].host = host;
		m->frames[mfn].ro = (uint8_t)!!ro;
		rc = 0;
	}
	pthread_mutex_unlock(&m->lock);
	return rc;
}

int dma_mem_take_iommu(struct duet_dma_mem *m, uint64_t n, uint64_t align,
		       uint64_t lo, uint64_t hi, unsigned char *host,
		       uint64_t *first)
{
	uint64_t at, i;
	int rc = -ENOSPC;

	if (!align)
		align = 1;
	pthread_mutex_lock(&m->lock);
	for (at = (lo + align - 1) / align * align; at + n <= hi;
	     at += align) {
		for (i = 0; i < n && at + i < m->nframes; i++)
			if (m->frames[at + i].owner != NO_OWNER)
				break;
		if (i < n && at + i < m->nframes)
			continue;
		for (i = 0; i < n && at + i < m->nframes; i++)
			frame_set(m, at + i,
				  host ? host + i * FRAME_SIZE : NULL,
				  DMA_OWNER_IOMMU, 0, 0);
		*first = at;
		rc = 0;
		break;
	}
	pthread_mutex_unlock(&m->lock);
	return rc;
}

void dma_mem_give_iommu(struct duet_dma_mem *m, uint64_t first, uint64_t n)
{
	uint64_t i;

	pthread_mutex_lock(&m->lock);
	for (i = 0; i < n && first + i < m->nframes; i++)
		if (m->frames[first + i].owner == DMA_OWNER_IOMMU)
			frame_clear(m, first + i);
	pthread_mutex_unlock(&m->lock);
}

int dma_mem_iommu_access(void *opaque, uint64_t pa, size_t len, void **ptr)
{
	struct duet_dma_mem *m = opaque;
	uint64_t f = pa >> DUET_DMA_FRAME_SHIFT, last;
	unsigned char *h;

	if (!len || pa + len < pa)
		return -EFAULT;
	last = (pa + len - 1) >> DUET_DMA_FRAME_SHIFT;
	if (last >= m->nframes || !m->frames[f].host)
		return -EFAULT;
	h = m->frames[f].host;
	/* Several frames only when their pages follow each other here. */
	for (; f < last; f++)
		if (m->frames[f + 1].host != m->frames[f].host + FRAME_SIZE)
			return -EFAULT;
	*ptr = h + (pa & (FRAME_SIZE - 1));
	return 0;
}

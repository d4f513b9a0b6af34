/* SPDX-License-Identifier: MIT */
/*
 * glue.c - grant-aware DMA: a device of driver domain D reaches a frame of
 * another domain only while D holds a grant mapping of it for that device.
 *
 * Two ways, chosen by the device's backend:
 *   frame_set (an IOMMU, or Xen's PV identity context): the device gets
 *     the granted frame itself at the bus address the backend chose
 *     (dfn = mfn, or a Calgary TCE), kept while the device holds the
 *     frame.  Per frame and device the
 *     glue counts read-only and writable mappings, as Xen counts its
 *     {rd, wr} pins in the maptrack tree: the first writable mapping makes
 *     the entry read-write, a read-only one with no writer makes it
 *     read-only, the last writer leaving readers behind downgrades it to
 *     read-only, the last user removes it.
 *   no frame_set (direct, swiotlb): the device never sees the frame.  The
 *     glue bounces through D's own swiotlb pool (copy in at map, back at
 *     unmap for FROM_DEVICE/BIDIRECTIONAL) and maps the bounce slot for
 *     the device with its backend.
 * Whether a grant may be mapped is the grant table's decision
 * (duet_gnt_map()), never the glue's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "swiotlb/dma-int.h"

#define MAX_USERS 8

struct guser {
	struct duet_dma_dev *dev;
	unsigned rd, wr;       /* read-only / writable mappings */
	duet_dma_addr_t bus;   /* where frame_set put the frame for dev */
};

struct gframe {
	struct gframe *next;
	duet_domid_t granter;
	duet_grant_ref_t ref;
	void *cpu_ro, *cpu_rw; /* grant mappings, made on demand */
	uint64_t mfn;          /* foreign frame in the machine */
	unsigned users;        /* glue mappings of this frame */
	struct guser u[MAX_USERS];
};

struct duet_dma_glue_map {
	struct duet_dma_glue_map *prev, *next; /* live handles */
	struct gframe *f;
	struct duet_dma_dev *dev;
	enum duet_dma_dir dir;
	int bounce;
	duet_dma_addr_t bbus;  /* bounce: the swiotlb address */
	duet_dma_addr_t addr;  /* what the device was given */
};

struct duet_dma_glue {
	struct duet_platform *p;
	struct duet_dma_domain *d;
	pthread_mutex_t lock;  /* frames, their counts, maps */
	struct gframe *frames;
	struct duet_dma_glue_map *maps;
};

int duet_dma_glue_create(struct duet_platform *p, struct duet_dma_domain *d,
			 struct duet_dma_glue **out)
{
	struct duet_dma_glue *g;

	if (!p || !d || !out)
		return -EINVAL;
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->p = p;
	g->d = d;
	pthread_mutex_init(&g->lock, NULL);
	*out = g;
	return 0;
}

static void frame_drop(struct duet_dma_glue *g, struct gframe *f)
{
	struct gframe **pp;

	for (pp = &g->frames; *pp; pp = &(*pp)->next)
		if (*pp == f) {
			*pp = f->next;
			break;
		}
	duet_dma_mem_del_foreign(g->d->mem, f->mfn);
	if (f->cpu_ro)
		duet_gnt_unmap(g->p, f->cpu_ro, 1);
	if (f->cpu_rw)
		duet_gnt_unmap(g->p, f->cpu_rw, 1);
	free(f);
}

void duet_dma_glue_destroy(struct duet_dma_glue *g)
{
	if (!g)
		return;
	while (g->maps)
		duet_dma_glue_unmap(g, g->maps);
	while (g->frames)
		frame_drop(g, g->frames);
	pthread_mutex_destroy(&g->lock);
	free(g);
}

static struct gframe *frame_find(struct duet_dma_glue *g,
				 duet_domid_t granter, duet_grant_ref_t ref)
{
	struct gframe *f;

	for (f = g->frames; f; f = f->next)
		if (f->granter == granter && f->ref == ref)
			return f;
	return NULL;
}

/*
 * The frame for (granter, ref) with a CPU mapping of the kind @ro asks
 * for, made now if needed; the grant table refuses with -EINVAL, which
 * is -EACCES here.  Caller holds g->lock.
 */
static int frame_get(struct duet_dma_glue *g, duet_domid_t granter,
		     duet_grant_ref_t ref, int ro, struct gframe **out)
{
	struct gframe *f = frame_find(g, granter, ref), *nf = NULL;
	void *cpu;
	int rc;

	if (f && (ro ? f->cpu_ro || f->cpu_rw : !!f->cpu_rw)) {
		*out = f;
		return 0;
	}
	rc = duet_gnt_map(g->p, granter, 1, &ref, ro ? DUET_GNT_READONLY : 0,
			  &cpu);
	if (rc == -EINVAL)
		return -EACCES;
	if (rc < 0)
		return rc;
	if (!f) {
		nf = calloc(1, sizeof(*nf));
		if (!nf) {
			rc = -ENOMEM;
			goto err_unmap;
		}
		rc = duet_dma_mem_add_foreign(g->d->mem, granter, cpu, ro,
					      &nf->mfn);
		if (rc < 0)
			goto err_free;
		nf->granter = granter;
		nf->ref = ref;
		nf->next = g->frames;
		g->frames = nf;
		f = nf;
	} else {
		/* A writable mapping joins a read-only one: the frame's
		 * machine entry now points at the writable alias. */
		dma_mem_update_foreign(g->d->mem, f->mfn, cpu, 0);
	}
	if (ro)
		f->cpu_ro = cpu;
	else
		f->cpu_rw = cpu;
	*out = f;
	return 0;

err_free:
	free(nf);
err_unmap:
	duet_gnt_unmap(g->p, cpu, 1);
	return rc;
}

static struct guser *user_of(struct gframe *f, struct duet_dma_dev *dev,
			     int add)
{
	unsigned i;

	for (i = 0; i < MAX_USERS; i++)
		if (f->u[i].dev == dev)
			return &f->u[i];
	if (!add)
		return NULL;
	for (i = 0; i < MAX_USERS; i++)
		if (!f->u[i].dev) {
			f->u[i].dev = dev;
			return &f->u[i];
		}
	return NULL;
}

static unsigned prot_of(const struct guser *u)
{
	if (u->wr)
		return DUET_DMA_PROT_READ | DUET_DMA_PROT_WRITE;
	return u->rd ? DUET_DMA_PROT_READ : 0;
}

/* Count one mapping in (@delta 1) or out (-1) and tell the backend when
 * the protection changes.  Caller holds g->lock. */
static int user_update(struct gframe *f, struct guser *u, int writable,
		       int delta)
{
	const struct duet_dma_ops *ops;
	unsigned before = prot_of(u);
	int rc = 0;

	if (writable)
		u->wr += (unsigned)delta;
	else
		u->rd += (unsigned)delta;
	if (prot_of(u) != before) {
		ops = duet_dma_dev_ops(u->dev);
		rc = ops->frame_set(duet_dma_dev_priv(u->dev), f->mfn,
				    prot_of(u), &u->bus);
		if (rc < 0) {
			if (writable)
				u->wr -= (unsigned)delta;
			else
				u->rd -= (unsigned)delta;
		}
	}
	if (!u->rd && !u->wr)
		u->dev = NULL;
	return rc;
}

int duet_dma_glue_map_grant(struct duet_dma_glue *g, struct duet_dma_dev *dev,
			    duet_domid_t granter, duet_grant_ref_t ref,
			    unsigned flags, enum duet_dma_dir dir,
			    struct duet_dma_glue_map **h,
			    duet_dma_addr_t *addr, void **cpu)
{
	const struct duet_dma_ops *ops;
	struct duet_dma_glue_map *m;
	int ro = !!(flags & DUET_GNT_READONLY), writable, rc;
	struct duet_swiotlb *t;
	struct gframe *f;
	struct guser *u;

	if (!g || !dev || !h || !addr || (flags & ~DUET_GNT_READONLY) ||
	    duet_dma_dev_domain(dev) != g->d)
		return -EINVAL;
	if (dir != DUET_DMA_TO_DEVICE && dir != DUET_DMA_FROM_DEVICE &&
	    dir != DUET_DMA_BIDIRECTIONAL)
		return -EINVAL;
	writable = dir != DUET_DMA_TO_DEVICE;
	/* A read-only grant never becomes a device-writable page. */
	if (ro && writable)
		return -EACCES;
	*addr = DUET_DMA_MAPPING_ERROR;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	ops = duet_dma_dev_ops(dev);
	pthread_mutex_lock(&g->lock);
	rc = frame_get(g, granter, ref, ro, &f);
	if (rc < 0)
		goto err;
	f->users++;
	m->f = f;
	m->dev = dev;
	m->dir = dir;
	if (ops->frame_set) {
		u = user_of(f, dev, 1);
		rc = u ? user_update(f, u, writable, 1) : -ENOSPC;
		if (rc < 0)
			goto err_frame;
		m->addr = u->bus;
	} else {
		void *orig = writable ? f->cpu_rw :
			     (f->cpu_rw ? f->cpu_rw : f->cpu_ro);

		m->bounce = 1;
		rc = dma_swiotlb_get(g->d, &t);
		if (rc < 0)
			goto err_frame;
		rc = dma_swiotlb_map(t, duet_dma_dev_cfg_get(dev), orig,
				     DUET_PAGE_SIZE, dir, 0, 0, &m->bbus);
		if (rc < 0)
			goto err_frame;
		/* The slot is D's own memory: the backend maps it as any
		 * other buffer of D (a forced swiotlb bounces it once more). */
		rc = duet_dma_map(dev, dma_swiotlb_bounce_cpu(t, m->bbus),
				  DUET_PAGE_SIZE, dir, 0, &m->addr);
		if (rc < 0) {
			dma_swiotlb_unmap(t, m->bbus, DUET_PAGE_SIZE, dir,
					  DUET_DMA_ATTR_SKIP_CPU_SYNC);
			goto err_frame;
		}
	}
	if (cpu)
		*cpu = ro ? (f->cpu_ro ? f->cpu_ro : f->cpu_rw) : f->cpu_rw;
	m->next = g->maps;
	if (g->maps)
		g->maps->prev = m;
	g->maps = m;
	pthread_mutex_unlock(&g->lock);
	*h = m;
	*addr = m->addr;
	return 0;

err_frame:
	if (--f->users == 0)
		frame_drop(g, f);
err:
	pthread_mutex_unlock(&g->lock);
	free(m);
	return rc;
}

int duet_dma_glue_unmap(struct duet_dma_glue *g, struct duet_dma_glue_map *m)
{
	struct gframe *f;
	struct duet_swiotlb *t;
	struct guser *u;
	int rc = 0, rc2;

	if (!g || !m)
		return -EINVAL;
	f = m->f;
	pthread_mutex_lock(&g->lock);
	if (m->prev)
		m->prev->next = m->next;
	else
		g->maps = m->next;
	if (m->next)
		m->next->prev = m->prev;
	if (m->bounce) {
		rc = duet_dma_unmap(m->dev, m->addr, DUET_PAGE_SIZE, m->dir, 0);
		rc2 = dma_swiotlb_get(g->d, &t);
		if (rc2 == 0)
			rc2 = dma_swiotlb_unmap(t, m->bbus, DUET_PAGE_SIZE,
						m->dir, 0);
		if (!rc)
			rc = rc2;
	} else {
		u = user_of(f, m->dev, 0);
		rc = u ? user_update(f, u, m->dir != DUET_DMA_TO_DEVICE, -1) :
			 -EINVAL;
	}
	if (--f->users == 0)
		frame_drop(g, f);
	pthread_mutex_unlock(&g->lock);
	free(m);
	return rc;
}

unsigned duet_dma_glue_frame_prot(struct duet_dma_glue *g,
				  duet_domid_t granter, duet_grant_ref_t ref)
{
	struct gframe *f;
	unsigned prot = 0, i;

	pthread_mutex_lock(&g->lock);
	f = frame_find(g, granter, ref);
	for (i = 0; f && i < MAX_USERS; i++)
		if (f->u[i].dev)
			prot |= prot_of(&f->u[i]);
	pthread_mutex_unlock(&g->lock);
	return prot;
}

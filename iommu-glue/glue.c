/* SPDX-License-Identifier: MIT */
/*
 * glue.c - grant-aware DMA: a device of driver domain D reaches a frame of
 * another domain only while D holds a grant mapping of it for that device.
 *
 * Two ways, chosen by the device's backend:
 *   frame_set (an IOMMU, or Xen's PV identity context): the device gets
 *     the granted frame itself at the bus address the backend chose
 *     (dfn = mfn, or a Calgary TCE), kept while the device holds the
 *     frame.  Per frame and device the glue counts read-only and writable
 *     uses, as Xen counts its {rd, wr} pins in the maptrack tree: the
 *     first writable use makes the entry read-write, a read-only one with
 *     no writer makes it read-only, the last writer leaving readers
 *     behind downgrades it to read-only, the last user removes it.
 *   no frame_set (direct, swiotlb): the device never sees the frame.  The
 *     glue bounces through D's own swiotlb pool (copy in when the device
 *     is given the page, back when it gives it up, for FROM_DEVICE and
 *     BIDIRECTIONAL) and maps the bounce slot with the device's backend.
 * Whether a grant may be mapped is the grant table's decision
 * (duet_gnt_map()), never the glue's.
 *
 * Batches (duet_dma_glue_map_grants()/_unmap_grants()): the grants of a
 * batch that need a CPU mapping are mapped with one platform call per
 * kind (read-only, writable) into one region; a region is unmapped when
 * the last frame in it is dropped.  The backend's entries of a batch are
 * changed together (ops->frame_set_n: one invalidation for the batch,
 * done before the call returns, so a strict IOMMU stays strict), and an
 * unmap drops device entries before the CPU mapping they point at.
 *
 * Caller mappings (req->cpu, persistent grants): a frame the caller has
 * mapped itself is entered as its own foreign frame, keyed by that
 * mapping, and never unmapped here; the caller unmaps its glue handles
 * first, so the device loses the frame no later than the caller does.
 *
 * Handles kept across uses: the device keeps the frame between
 * duet_dma_glue_sync_for_cpu() and the next _sync_for_device(), with the
 * rights of the last use (exact for every use); a bounce is given back
 * at sync_for_cpu and taken again at sync_for_device.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "swiotlb/dma-int.h"

#define MAX_USERS 8
#define HASH_BITS 10u
#define HASH_SIZE (1u << HASH_BITS)

/* One platform map call: @count pages at @addr, @live frames use it. */
struct greg {
	void *addr;
	unsigned count, live;
};

struct guser {
	struct duet_dma_dev *dev;
	unsigned rd, wr;       /* read-only / writable uses */
	unsigned applied;      /* DUET_DMA_PROT_* the backend has now */
	duet_dma_addr_t bus;   /* where frame_set put the frame for dev */
};

struct gframe {
	struct gframe *next;   /* hash chain */
	duet_domid_t granter;
	duet_grant_ref_t ref;
	void *ext;             /* the caller's mapping, or NULL */
	void *cpu_ro, *cpu_rw; /* CPU mappings */
	struct greg *reg_ro, *reg_rw; /* their regions (NULL: the caller's) */
	uint64_t mfn;          /* foreign frame in the machine */
	unsigned users;        /* glue handles of this frame */
	struct guser u[MAX_USERS];
};

struct duet_dma_glue_map {
	struct duet_dma_glue_map *prev, *next; /* live handles */
	struct gframe *f;
	struct duet_dma_dev *dev;
	enum duet_dma_dir dir;
	unsigned bounce : 1;   /* the device gets bounce slots */
	unsigned busy : 1;     /* bounce: a slot is held (copy back owed) */
	duet_dma_addr_t bbus;  /* bounce: the swiotlb address */
	duet_dma_addr_t addr;  /* what the device was given */
};

struct duet_dma_glue {
	struct duet_platform *p;
	struct duet_dma_domain *d;
	pthread_mutex_t lock;  /* frames, their counts, maps */
	struct gframe *hash[HASH_SIZE];
	struct duet_dma_glue_map *maps;
};

/* Grants per internal batch (a longer array is done in batches). */
#define BATCH_MAX 64u

/* Users whose backend entry must change, collected over a batch. */
struct pending {
	struct gframe *f[BATCH_MAX];
	struct guser *u[BATCH_MAX];
	unsigned n;
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

static unsigned hash_of(duet_domid_t granter, duet_grant_ref_t ref,
			const void *ext)
{
	uint64_t k = ((uint64_t)granter << 32 | ref) ^ (uintptr_t)ext;

	return (unsigned)((k * 0x9e3779b97f4a7c15ull) >> (64 - HASH_BITS));
}

static void reg_put(struct duet_dma_glue *g, struct greg *r)
{
	if (r && --r->live == 0) {
		duet_gnt_unmap(g->p, r->addr, r->count);
		free(r);
	}
}

/* Unlink @f, remove its machine frame, release its CPU mappings. */
static void frame_drop(struct duet_dma_glue *g, struct gframe *f)
{
	struct gframe **pp = &g->hash[hash_of(f->granter, f->ref, f->ext)];

	for (; *pp; pp = &(*pp)->next)
		if (*pp == f) {
			*pp = f->next;
			break;
		}
	duet_dma_mem_del_foreign(g->d->mem, f->mfn);
	reg_put(g, f->reg_ro);
	reg_put(g, f->reg_rw);
	free(f);
}

static struct gframe *frame_find(struct duet_dma_glue *g,
				 duet_domid_t granter, duet_grant_ref_t ref,
				 const void *ext)
{
	struct gframe *f = g->hash[hash_of(granter, ref, ext)];

	for (; f; f = f->next)
		if (f->granter == granter && f->ref == ref && f->ext == ext)
			return f;
	return NULL;
}

/* Whether @f has a CPU mapping good for a use with read-only @ro. */
static int frame_has(const struct gframe *f, int ro)
{
	return ro ? f->cpu_ro || f->cpu_rw : !!f->cpu_rw;
}

/*
 * Enter @cpu (in region @r, or the caller's when NULL) as @f's mapping of
 * kind @ro, creating the frame when @f is NULL.  Caller holds g->lock.
 */
static int frame_add(struct duet_dma_glue *g, struct gframe *f,
		     duet_domid_t granter, duet_grant_ref_t ref, void *ext,
		     void *cpu, struct greg *r, int ro)
{
	unsigned b;
	int rc;

	if (!f) {
		f = calloc(1, sizeof(*f));
		if (!f)
			return -ENOMEM;
		rc = duet_dma_mem_add_foreign(g->d->mem, granter, cpu, ro,
					      &f->mfn);
		if (rc < 0) {
			free(f);
			return rc;
		}
		f->granter = granter;
		f->ref = ref;
		f->ext = ext;
		b = hash_of(granter, ref, ext);
		f->next = g->hash[b];
		g->hash[b] = f;
	} else if (!ro) {
		/* A writable mapping joins a read-only one: the frame's
		 * machine entry now points at the writable alias. */
		dma_mem_update_foreign(g->d->mem, f->mfn, cpu, 0);
	}
	if (ro) {
		f->cpu_ro = cpu;
		f->reg_ro = r;
	} else {
		f->cpu_rw = cpu;
		f->reg_rw = r;
	}
	if (r)
		r->live++;
	return 0;
}

/*
 * Map @n refs of @granter (@ro: read-only) with one platform call and
 * enter each as its frame's mapping.  When the grant table refuses the
 * call, the refs are tried one by one to name the refused one: *@bad
 * receives its index.  The grant table says -EINVAL; that is -EACCES
 * here.  Caller holds g->lock.
 */
static int map_region(struct duet_dma_glue *g, duet_domid_t granter,
		      const duet_grant_ref_t *refs, unsigned n, int ro,
		      unsigned *bad)
{
	unsigned flags = ro ? DUET_GNT_READONLY : 0, i;
	struct greg *r;
	void *cpu;
	int rc;

	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	rc = duet_gnt_map(g->p, granter, n, refs, flags, &cpu);
	if (rc == -EINVAL) {
		for (i = 0; i < n; i++) {
			rc = duet_gnt_map(g->p, granter, 1, &refs[i], flags,
					  &cpu);
			if (rc < 0)
				break;
			duet_gnt_unmap(g->p, cpu, 1);
		}
		*bad = i < n ? i : 0;
		free(r);
		return rc == -EINVAL || !rc ? -EACCES : rc;
	}
	if (rc < 0) {
		*bad = 0;
		free(r);
		return rc;
	}
	r->addr = cpu;
	r->count = n;
	/* Held while the frames are entered: an error leaves it to them. */
	r->live = 1;
	for (i = 0; i < n; i++) {
		rc = frame_add(g, frame_find(g, granter, refs[i], NULL),
			       granter, refs[i], NULL,
			       (char *)cpu + (size_t)i * DUET_PAGE_SIZE, r, ro);
		if (rc < 0)
			break;
	}
	if (rc < 0)
		*bad = i;
	reg_put(g, r);
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

/* Count a use in (@delta 1) or out (-1); remember @u for apply(). */
static void user_count(struct pending *pd, struct gframe *f, struct guser *u,
		       int writable, int delta)
{
	unsigned i;

	if (writable)
		u->wr += (unsigned)delta;
	else
		u->rd += (unsigned)delta;
	for (i = 0; i < pd->n; i++)
		if (pd->u[i] == u)
			return;
	pd->f[pd->n] = f;
	pd->u[pd->n++] = u;
}

/*
 * Tell the backends what the users in @pd now have, one frame_set_n call
 * per device (one invalidation), and forget users left with nothing.
 * On failure the users not done keep their old entries (u->applied says
 * which).  Caller holds g->lock.
 */
static int apply(struct pending *pd)
{
	struct duet_dma_frame_op op[BATCH_MAX];
	struct guser *who[BATCH_MAX];
	unsigned i, j, n, done;
	int rc = 0, rc2;

	for (i = 0; i < pd->n; i++) {
		struct duet_dma_dev *dev = pd->u[i] ? pd->u[i]->dev : NULL;
		const struct duet_dma_ops *ops;

		if (!dev)
			continue;
		ops = duet_dma_dev_ops(dev);
		for (j = i, n = 0; j < pd->n; j++) {
			struct guser *u = pd->u[j];

			if (!u || u->dev != dev)
				continue;
			pd->u[j] = NULL;
			if (prot_of(u) == u->applied) {
				if (!u->rd && !u->wr && !u->applied)
					u->dev = NULL;
				continue;
			}
			op[n] = (struct duet_dma_frame_op){
				.mfn = pd->f[j]->mfn,
				.prot = prot_of(u),
			};
			who[n++] = u;
		}
		done = 0;
		if (ops->frame_set_n) {
			rc2 = n ? ops->frame_set_n(duet_dma_dev_priv(dev), op,
						   n, &done) : 0;
		} else {
			for (rc2 = 0; done < n && !rc2; done += !rc2)
				rc2 = ops->frame_set(duet_dma_dev_priv(dev),
						     op[done].mfn,
						     op[done].prot,
						     &op[done].bus);
		}
		for (j = 0; j < done; j++) {
			who[j]->applied = op[j].prot;
			if (op[j].prot)
				who[j]->bus = op[j].bus;
		}
		for (j = 0; j < n; j++)
			if (!who[j]->rd && !who[j]->wr && !who[j]->applied)
				who[j]->dev = NULL;
		if (rc2 < 0 && !rc)
			rc = rc2;
	}
	pd->n = 0;
	return rc;
}

/* The CPU mapping a bounce copies from and to. */
static void *frame_cpu(const struct gframe *f, int writable)
{
	return writable || !f->cpu_ro ? f->cpu_rw : f->cpu_ro;
}

/* Bounce: take a slot for @m's current use and map it for the device
 * (the slot gets the page's contents whatever the direction). */
static int bounce_get(struct duet_dma_glue *g, struct duet_dma_glue_map *m)
{
	struct duet_swiotlb *t;
	int rc;

	rc = dma_swiotlb_get(g->d, &t);
	if (rc < 0)
		return rc;
	rc = dma_swiotlb_map(t, duet_dma_dev_cfg_get(m->dev),
			     frame_cpu(m->f, m->dir != DUET_DMA_TO_DEVICE),
			     DUET_PAGE_SIZE, m->dir, 0, 0, &m->bbus);
	if (rc < 0)
		return rc;
	/* The slot is D's own memory: the backend maps it as any other
	 * buffer of D (a forced swiotlb bounces it once more). */
	rc = duet_dma_map(m->dev, dma_swiotlb_bounce_cpu(t, m->bbus),
			  DUET_PAGE_SIZE, m->dir, 0, &m->addr);
	if (rc < 0) {
		dma_swiotlb_unmap(t, m->bbus, DUET_PAGE_SIZE, m->dir,
				  DUET_DMA_ATTR_SKIP_CPU_SYNC);
		return rc;
	}
	m->busy = 1;
	return 0;
}

/* Bounce: give the slot back, copying FROM_DEVICE/BIDIRECTIONAL data
 * into the page unless @attrs has SKIP_CPU_SYNC. */
static int bounce_put(struct duet_dma_glue *g, struct duet_dma_glue_map *m,
		      unsigned attrs)
{
	struct duet_swiotlb *t;
	int rc, rc2;

	if (!m->busy)
		return 0;
	m->busy = 0;
	rc = duet_dma_unmap(m->dev, m->addr, DUET_PAGE_SIZE, m->dir, attrs);
	rc2 = dma_swiotlb_get(g->d, &t);
	if (rc2 == 0)
		rc2 = dma_swiotlb_unmap(t, m->bbus, DUET_PAGE_SIZE, m->dir,
					attrs);
	return rc ? rc : rc2;
}

static void link_map(struct duet_dma_glue *g, struct duet_dma_glue_map *m)
{
	m->prev = NULL;
	m->next = g->maps;
	if (g->maps)
		g->maps->prev = m;
	g->maps = m;
}

static void unlink_map(struct duet_dma_glue *g, struct duet_dma_glue_map *m)
{
	if (m->prev)
		m->prev->next = m->next;
	else
		g->maps = m->next;
	if (m->next)
		m->next->prev = m->prev;
}

/*
 * Undo the device side of @m (counts into @pd, or its bounce with
 * @attrs) and drop one frame user; the frame itself is dropped by the
 * caller after apply().  Caller holds g->lock.
 */
static int put_one(struct duet_dma_glue *g, struct duet_dma_glue_map *m,
		   struct pending *pd, unsigned attrs)
{
	struct guser *u;

	m->f->users--;
	if (m->bounce)
		return bounce_put(g, m, attrs);
	u = user_of(m->f, m->dev, 0);
	if (!u)
		return -EINVAL;
	user_count(pd, m->f, u, m->dir != DUET_DMA_TO_DEVICE, -1);
	return 0;
}

/* Drop the frames of @m[0..n) that have no user left (after apply()). */
static void drop_unused(struct duet_dma_glue *g,
			struct duet_dma_glue_map *const *m, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		struct gframe *f = m[i]->f;
		unsigned k;

		if (!f || f->users)
			continue;
		for (k = 0; k < MAX_USERS; k++)
			if (f->u[k].dev)
				break;
		if (k < MAX_USERS)
			continue;
		for (k = i; k < n; k++)
			if (m[k]->f == f)
				m[k]->f = NULL;
		frame_drop(g, f);
	}
}

static int req_check(const struct duet_dma_glue_req *v)
{
	int ro = !!(v->flags & DUET_GNT_READONLY);

	if (v->flags & ~DUET_GNT_READONLY)
		return -EINVAL;
	if (v->dir != DUET_DMA_TO_DEVICE && v->dir != DUET_DMA_FROM_DEVICE &&
	    v->dir != DUET_DMA_BIDIRECTIONAL)
		return -EINVAL;
	/* A read-only grant never becomes a device-writable page. */
	if (ro && v->dir != DUET_DMA_TO_DEVICE)
		return -EACCES;
	return 0;
}

/* Unmap a batch of handles without any copy back; for failed maps. */
static void undo(struct duet_dma_glue *g, struct duet_dma_glue_map **m,
		 unsigned n)
{
	struct pending pd = { .n = 0 };
	unsigned i;

	for (i = 0; i < n; i++) {
		unlink_map(g, m[i]);
		put_one(g, m[i], &pd, DUET_DMA_ATTR_SKIP_CPU_SYNC);
	}
	apply(&pd);
	drop_unused(g, m, n);
}

static int map_batch(struct duet_dma_glue *g, struct duet_dma_dev *dev,
		     duet_domid_t granter, struct duet_dma_glue_req *v,
		     unsigned n)
{
	struct duet_dma_glue_map *m[BATCH_MAX];
	duet_grant_ref_t refs[2][BATCH_MAX];
	unsigned idx[2][BATCH_MAX], nr[2] = { 0, 0 }, i, k, bad = 0;
	struct pending pd = { .n = 0 };
	int rc = 0, ro;

	for (i = 0; i < n; i++) {
		m[i] = calloc(1, sizeof(*m[i]));
		if (!m[i]) {
			while (i--)
				free(m[i]);
			v[0].status = -ENOMEM;
			return -ENOMEM;
		}
	}
	pthread_mutex_lock(&g->lock);
	/* Caller mappings first (no platform call), then the grants that
	 * need a CPU mapping of their kind, each ref once. */
	for (i = 0; i < n && !rc; i++) {
		struct gframe *f = frame_find(g, granter, v[i].ref, v[i].cpu);

		ro = !!(v[i].flags & DUET_GNT_READONLY);
		if (f && frame_has(f, ro))
			continue;
		if (v[i].cpu) {
			rc = frame_add(g, f, granter, v[i].ref, v[i].cpu,
				       v[i].cpu, NULL, ro);
			bad = i;
			continue;
		}
		for (k = 0; k < nr[ro] && refs[ro][k] != v[i].ref; k++)
			;
		if (k == nr[ro]) {
			idx[ro][k] = i;
			refs[ro][nr[ro]++] = v[i].ref;
		}
	}
	for (ro = 0; ro < 2 && !rc; ro++)
		if (nr[ro]) {
			rc = map_region(g, granter, refs[ro], nr[ro], ro, &bad);
			if (rc < 0)
				bad = idx[ro][bad];
		}
	for (i = 0; i < n && !rc; i++) {
		struct gframe *f = frame_find(g, granter, v[i].ref, v[i].cpu);
		struct guser *u;

		m[i]->f = f;
		m[i]->dev = dev;
		m[i]->dir = v[i].dir;
		f->users++;
		link_map(g, m[i]);
		if (!duet_dma_dev_ops(dev)->frame_set) {
			m[i]->bounce = 1;
			rc = bounce_get(g, m[i]);
		} else if ((u = user_of(f, dev, 1))) {
			user_count(&pd, f, u, v[i].dir != DUET_DMA_TO_DEVICE,
				   1);
		} else {
			rc = -ENOSPC;
		}
		if (rc < 0) {
			bad = i;
			/* Counted in: undo() takes it out again. */
			i++;
			break;
		}
	}
	if (!rc) {
		rc = apply(&pd);
		bad = 0;
	}
	if (rc < 0) {
		undo(g, m, i);
		/* Frames entered for the batch that no handle took. */
		for (k = 0; k < n; k++) {
			struct gframe *f = frame_find(g, granter, v[k].ref,
						      v[k].cpu);
			unsigned j;

			for (j = 0; f && !f->users && j < MAX_USERS &&
				    !f->u[j].dev; j++)
				;
			if (f && !f->users && j == MAX_USERS)
				frame_drop(g, f);
		}
		pthread_mutex_unlock(&g->lock);
		for (k = 0; k < n; k++) {
			free(m[k]);
			v[k].h = NULL;
			v[k].addr = DUET_DMA_MAPPING_ERROR;
			v[k].status = 0;
		}
		v[bad].status = rc;
		return rc;
	}
	for (i = 0; i < n; i++) {
		struct guser *u;

		if (!m[i]->bounce) {
			u = user_of(m[i]->f, dev, 0);
			m[i]->addr = u->bus;
		}
		v[i].h = m[i];
		v[i].addr = m[i]->addr;
		v[i].status = 0;
		if (!v[i].cpu)
			v[i].cpu = frame_cpu(m[i]->f,
					     !(v[i].flags & DUET_GNT_READONLY));
	}
	pthread_mutex_unlock(&g->lock);
	return (int)n;
}

int duet_dma_glue_map_grants(struct duet_dma_glue *g,
			     struct duet_dma_dev *dev, duet_domid_t granter,
			     struct duet_dma_glue_req *v, unsigned n)
{
	unsigned i, k, done;
	int rc;

	if (!g || !dev || (n && !v) || duet_dma_dev_domain(dev) != g->d)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		v[i].h = NULL;
		v[i].addr = DUET_DMA_MAPPING_ERROR;
		v[i].status = 0;
	}
	for (i = 0; i < n; i++) {
		rc = req_check(&v[i]);
		if (rc < 0) {
			v[i].status = rc;
			return rc;
		}
	}
	for (done = 0; done < n; done += k) {
		k = n - done < BATCH_MAX ? n - done : BATCH_MAX;
		rc = map_batch(g, dev, granter, v + done, k);
		if (rc < 0) {
			struct duet_dma_glue_map *h[BATCH_MAX];

			for (i = 0; i < done; i += k) {
				for (k = 0; k < BATCH_MAX && i + k < done; k++)
					h[k] = v[i + k].h;
				duet_dma_glue_unmap_grants(g, h, k,
					DUET_DMA_ATTR_SKIP_CPU_SYNC);
			}
			for (i = 0; i < done; i++) {
				v[i].h = NULL;
				v[i].addr = DUET_DMA_MAPPING_ERROR;
			}
			return rc;
		}
	}
	return (int)n;
}

int duet_dma_glue_unmap_grants(struct duet_dma_glue *g,
			       struct duet_dma_glue_map *const *h, unsigned n,
			       unsigned attrs)
{
	struct duet_dma_glue_map *m[BATCH_MAX];
	struct pending pd = { .n = 0 };
	unsigned i, k, done;
	int rc = 0, rc2;

	if (!g || (n && !h) || (attrs & ~DUET_DMA_ATTR_SKIP_CPU_SYNC))
		return -EINVAL;
	for (done = 0; done < n; done += k) {
		k = n - done < BATCH_MAX ? n - done : BATCH_MAX;
		pthread_mutex_lock(&g->lock);
		for (i = 0; i < k; i++) {
			m[i] = h[done + i];
			unlink_map(g, m[i]);
			rc2 = put_one(g, m[i], &pd, attrs);
			if (rc2 < 0 && !rc)
				rc = rc2;
		}
		/* Device entries go (and are invalidated) before the frames
		 * and the CPU mappings they point at. */
		rc2 = apply(&pd);
		if (rc2 < 0 && !rc)
			rc = rc2;
		drop_unused(g, m, k);
		pthread_mutex_unlock(&g->lock);
		for (i = 0; i < k; i++)
			free(m[i]);
	}
	return rc;
}

int duet_dma_glue_sync_for_cpu(struct duet_dma_glue *g,
			       struct duet_dma_glue_map *const *h, unsigned n)
{
	unsigned i;
	int rc = 0, rc2;

	if (!g || (n && !h))
		return -EINVAL;
	pthread_mutex_lock(&g->lock);
	for (i = 0; i < n; i++)
		if (h[i]->bounce) {
			rc2 = bounce_put(g, h[i], 0);
			if (rc2 < 0 && !rc)
				rc = rc2;
		}
	pthread_mutex_unlock(&g->lock);
	return rc;
}

int duet_dma_glue_sync_for_device(struct duet_dma_glue *g,
				  struct duet_dma_glue_map *const *h,
				  unsigned n, enum duet_dma_dir dir,
				  duet_dma_addr_t *addr)
{
	struct pending pd = { .n = 0 };
	unsigned i, k, done;
	int rc = 0;

	if (!g || (n && (!h || !addr)))
		return -EINVAL;
	if (dir != DUET_DMA_TO_DEVICE && dir != DUET_DMA_FROM_DEVICE &&
	    dir != DUET_DMA_BIDIRECTIONAL)
		return -EINVAL;
	pthread_mutex_lock(&g->lock);
	for (i = 0; i < n; i++)
		if (dir != DUET_DMA_TO_DEVICE && !h[i]->f->cpu_rw) {
			pthread_mutex_unlock(&g->lock);
			return -EACCES;
		}
	for (done = 0; done < n && !rc; done += k) {
		k = n - done < BATCH_MAX ? n - done : BATCH_MAX;
		for (i = 0; i < k && !rc; i++) {
			struct duet_dma_glue_map *m = h[done + i];
			int wr = dir != DUET_DMA_TO_DEVICE;
			struct guser *u;

			if (m->bounce) {
				if (m->busy)
					bounce_put(g, m,
						   DUET_DMA_ATTR_SKIP_CPU_SYNC);
				m->dir = dir;
				rc = bounce_get(g, m);
			} else if (wr != (m->dir != DUET_DMA_TO_DEVICE)) {
				u = user_of(m->f, m->dev, 0);
				if (!u) {
					rc = -EINVAL;
					break;
				}
				user_count(&pd, m->f, u, wr, 1);
				user_count(&pd, m->f, u, !wr, -1);
				m->dir = dir;
			} else {
				m->dir = dir;
			}
		}
		if (!rc)
			rc = apply(&pd);
	}
	for (i = 0; i < n && !rc; i++) {
		struct guser *u = h[i]->bounce ? NULL :
				  user_of(h[i]->f, h[i]->dev, 0);

		if (u)
			h[i]->addr = u->bus;
		addr[i] = h[i]->addr;
	}
	pthread_mutex_unlock(&g->lock);
	return rc < 0 ? rc : (int)n;
}

void duet_dma_glue_destroy(struct duet_dma_glue *g)
{
	unsigned b;

	if (!g)
		return;
	while (g->maps)
		duet_dma_glue_unmap(g, g->maps);
	for (b = 0; b < HASH_SIZE; b++)
		while (g->hash[b])
			frame_drop(g, g->hash[b]);
	pthread_mutex_destroy(&g->lock);
	free(g);
}

int duet_dma_glue_map_grant(struct duet_dma_glue *g, struct duet_dma_dev *dev,
			    duet_domid_t granter, duet_grant_ref_t ref,
			    unsigned flags, enum duet_dma_dir dir,
			    struct duet_dma_glue_map **h,
			    duet_dma_addr_t *addr, void **cpu)
{
	struct duet_dma_glue_req v = {
		.ref = ref, .flags = flags, .dir = dir,
	};
	int rc;

	if (!h || !addr)
		return -EINVAL;
	*addr = DUET_DMA_MAPPING_ERROR;
	rc = duet_dma_glue_map_grants(g, dev, granter, &v, 1);
	if (rc < 0)
		return rc;
	*h = v.h;
	*addr = v.addr;
	if (cpu)
		*cpu = v.cpu;
	return 0;
}

int duet_dma_glue_unmap(struct duet_dma_glue *g, struct duet_dma_glue_map *m)
{
	if (!m)
		return -EINVAL;
	return duet_dma_glue_unmap_grants(g, &m, 1, 0);
}

unsigned duet_dma_glue_frame_prot(struct duet_dma_glue *g,
				  duet_domid_t granter, duet_grant_ref_t ref)
{
	struct gframe *f;
	unsigned prot = 0, i, b;

	pthread_mutex_lock(&g->lock);
	for (b = 0; b < HASH_SIZE; b++)
		for (f = g->hash[b]; f; f = f->next) {
			if (f->granter != granter || f->ref != ref)
				continue;
			for (i = 0; i < MAX_USERS; i++)
				if (f->u[i].dev)
					prot |= f->u[i].applied;
		}
	pthread_mutex_unlock(&g->lock);
	return prot;
}

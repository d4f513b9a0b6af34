/* SPDX-License-Identifier: MIT */
/*
 * dma-core.c - the DMA mapping API: devices, argument checks, the
 * backend table, the device side (every access translated page by page
 * through the backend), and the two backends without bounce buffers:
 * "direct" and "pv-identity".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swiotlb/dma-int.h"

struct duet_dma_dev {
	struct duet_dma_domain *dom;
	struct duet_dma_mem *mem;
	struct duet_dma_dev_cfg cfg;
	char name[32];
	const struct duet_dma_ops *ops;
	void *priv;
	uint64_t live;          /* atomic: mappings live */
	uint64_t maps;          /* atomic: mappings made */
	pthread_mutex_t fault_lock;
	uint64_t faults;        /* under fault_lock */
	struct duet_dma_fault last;
};

/* ------------------------------------------------------------------ */
/* Backend table                                                       */
/* ------------------------------------------------------------------ */

#define MAX_BACKENDS 16

DUET_INTERNAL extern const struct duet_dma_ops duet_dma_direct_ops;
DUET_INTERNAL extern const struct duet_dma_ops duet_dma_pv_identity_ops;
DUET_INTERNAL extern const struct duet_dma_ops duet_dma_swiotlb_ops;
DUET_INTERNAL extern const struct duet_dma_ops duet_dma_gart_ops;
DUET_INTERNAL extern const struct duet_dma_ops duet_dma_calgary_ops;
DUET_INTERNAL extern const struct duet_dma_ops duet_dma_vtd_strict_ops;
DUET_INTERNAL extern const struct duet_dma_ops duet_dma_vtd_lazy_ops;

static pthread_mutex_t backends_lock = PTHREAD_MUTEX_INITIALIZER;
static const struct duet_dma_ops *backends[MAX_BACKENDS] = {
	&duet_dma_direct_ops,
	&duet_dma_swiotlb_ops,
	&duet_dma_pv_identity_ops,
	&duet_dma_gart_ops,
	&duet_dma_calgary_ops,
	&duet_dma_vtd_strict_ops,
	&duet_dma_vtd_lazy_ops,
};

int duet_dma_backend_register(const struct duet_dma_ops *ops)
{
	int i, rc = -ENOSPC;

	if (!ops || !ops->name || !ops->attach || !ops->map || !ops->unmap ||
	    !ops->translate)
		return -EINVAL;
	pthread_mutex_lock(&backends_lock);
	for (i = 0; i < MAX_BACKENDS; i++) {
		if (backends[i] && !strcmp(backends[i]->name, ops->name)) {
			rc = -EEXIST;
			break;
		}
		if (!backends[i]) {
			backends[i] = ops;
			rc = 0;
			break;
		}
	}
	pthread_mutex_unlock(&backends_lock);
	return rc;
}

const struct duet_dma_ops *duet_dma_backend_find(const char *name)
{
	const struct duet_dma_ops *o = NULL;
	int i;

	if (!name)
		return NULL;
	pthread_mutex_lock(&backends_lock);
	for (i = 0; i < MAX_BACKENDS && backends[i]; i++)
		if (!strcmp(backends[i]->name, name)) {
			o = backends[i];
			break;
		}
	pthread_mutex_unlock(&backends_lock);
	return o;
}

unsigned duet_dma_backend_count(void)
{
	unsigned n = 0;

	pthread_mutex_lock(&backends_lock);
	while (n < MAX_BACKENDS && backends[n])
		n++;
	pthread_mutex_unlock(&backends_lock);
	return n;
}

const struct duet_dma_ops *duet_dma_backend_at(unsigned i)
{
	const struct duet_dma_ops *o;

	if (i >= MAX_BACKENDS)
		return NULL;
	pthread_mutex_lock(&backends_lock);
	o = backends[i];
	pthread_mutex_unlock(&backends_lock);
	return o;
}

/* ------------------------------------------------------------------ */
/* Devices                                                             */
/* ------------------------------------------------------------------ */

int duet_dma_dev_create(struct duet_dma_domain *d,
			const struct duet_dma_dev_cfg *cfg,
			const struct duet_dma_ops *ops, const char *opts,
			struct duet_dma_dev **out)
{
	struct duet_dma_dev *dev;
	int rc;

	if (!d || !ops || !out)
		return -EINVAL;
	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return -ENOMEM;
	dev->dom = d;
	dev->mem = d->mem;
	dev->ops = ops;
	if (cfg)
		dev->cfg = *cfg;
	snprintf(dev->name, sizeof(dev->name), "%s",
		 cfg && cfg->name ? cfg->name : "dev");
	dev->cfg.name = dev->name;
	if (!dev->cfg.dma_mask)
		dev->cfg.dma_mask = ~0ull;
	if (!dev->cfg.coherent_mask)
		dev->cfg.coherent_mask = dev->cfg.dma_mask;
	if (!dev->cfg.max_seg_size)
		dev->cfg.max_seg_size = 65536;
	if (!dev->cfg.seg_boundary)
		dev->cfg.seg_boundary = 0xffffffffull;
	pthread_mutex_init(&dev->fault_lock, NULL);
	rc = ops->attach(dev, opts, &dev->priv);
	if (rc < 0) {
		pthread_mutex_destroy(&dev->fault_lock);
		free(dev);
		return rc;
	}
	*out = dev;
	return 0;
}

void duet_dma_dev_destroy(struct duet_dma_dev *dev)
{
	if (!dev)
		return;
	if (dev->ops->detach)
		dev->ops->detach(dev->priv);
	pthread_mutex_destroy(&dev->fault_lock);
	free(dev);
}

struct duet_dma_domain *duet_dma_dev_domain(struct duet_dma_dev *dev)
{
	return dev->dom;
}

void *duet_dma_dev_priv(struct duet_dma_dev *dev)
{
	return dev->priv;
}

const struct duet_dma_dev_cfg *duet_dma_dev_cfg_get(struct duet_dma_dev *dev)
{
	return &dev->cfg;
}

const struct duet_dma_ops *duet_dma_dev_ops(struct duet_dma_dev *dev)
{
	return dev->ops;
}

struct duet_dma_mem *duet_dma_dev_mem(struct duet_dma_dev *dev)
{
	return dev->mem;
}

/* ------------------------------------------------------------------ */
/* Mapping API                                                         */
/* ------------------------------------------------------------------ */

static int dir_ok(enum duet_dma_dir dir)
{
	return dir == DUET_DMA_BIDIRECTIONAL || dir == DUET_DMA_TO_DEVICE ||
	       dir == DUET_DMA_FROM_DEVICE;
}

/*
 * The counters are statistics only: relaxed atomics, they order nothing
 * and pair with the relaxed loads in duet_dma_dev_stats().
 */
static void count(uint64_t *c, int64_t v)
{
	__atomic_fetch_add(c, (uint64_t)v, __ATOMIC_RELAXED);
}

int duet_dma_map(struct duet_dma_dev *dev, void *cpu, size_t size,
		 enum duet_dma_dir dir, unsigned attrs, duet_dma_addr_t *addr)
{
	size_t max;
	int rc;

	if (!dev || !cpu || !addr)
		return -EINVAL;
	*addr = DUET_DMA_MAPPING_ERROR;
	if (!size || !dir_ok(dir) || (attrs & ~DUET_DMA_ATTR_SKIP_CPU_SYNC))
		return -EINVAL;
	max = duet_dma_max_mapping_size(dev);
	if (size > max)
		return -E2BIG;
	rc = dev->ops->map(dev->priv, cpu, size, dir, attrs, addr);
	if (rc < 0) {
		*addr = DUET_DMA_MAPPING_ERROR;
		return rc;
	}
	count(&dev->live, 1);
	count(&dev->maps, 1);
	return 0;
}

int duet_dma_unmap(struct duet_dma_dev *dev, duet_dma_addr_t addr,
		   size_t size, enum duet_dma_dir dir, unsigned attrs)
{
	int rc;

	if (!dev || !size || !dir_ok(dir) || addr == DUET_DMA_MAPPING_ERROR)
		return -EINVAL;
	rc = dev->ops->unmap(dev->priv, addr, size, dir, attrs);
	if (rc == 0)
		count(&dev->live, -1);
	return rc;
}

int duet_dma_sync_for_cpu(struct duet_dma_dev *dev, duet_dma_addr_t addr,
			  size_t size, enum duet_dma_dir dir)
{
	if (!dev || !size || !dir_ok(dir))
		return -EINVAL;
	return dev->ops->sync_for_cpu ?
		dev->ops->sync_for_cpu(dev->priv, addr, size, dir) : 0;
}

int duet_dma_sync_for_device(struct duet_dma_dev *dev, duet_dma_addr_t addr,
			     size_t size, enum duet_dma_dir dir)
{
	if (!dev || !size || !dir_ok(dir))
		return -EINVAL;
	return dev->ops->sync_for_device ?
		dev->ops->sync_for_device(dev->priv, addr, size, dir) : 0;
}

static int crosses(uint64_t addr, size_t len, uint64_t boundary)
{
	return (addr & ~boundary) != ((addr + len - 1) & ~boundary);
}

int duet_dma_map_sg(struct duet_dma_dev *dev, struct duet_dma_sg *sg,
		    unsigned n, enum duet_dma_dir dir, unsigned attrs)
{
	unsigned i;
	int rc = 0;

	if (!dev || !sg || !n)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		sg[i].addr = DUET_DMA_MAPPING_ERROR;
		sg[i].dlen = 0;
	}
	for (i = 0; i < n; i++) {
		if (sg[i].len > dev->cfg.max_seg_size) {
			rc = -EINVAL;
			break;
		}
		rc = duet_dma_map(dev, sg[i].cpu, sg[i].len, dir, attrs,
				  &sg[i].addr);
		if (rc < 0)
			break;
		sg[i].dlen = sg[i].len;
		if (crosses(sg[i].addr, sg[i].len, dev->cfg.seg_boundary)) {
			i++;
			rc = -EINVAL;
			break;
		}
	}
	if (rc == 0)
		return (int)n;
	while (i-- > 0) {
		if (sg[i].addr != DUET_DMA_MAPPING_ERROR)
			duet_dma_unmap(dev, sg[i].addr, sg[i].len, dir,
				       DUET_DMA_ATTR_SKIP_CPU_SYNC);
		sg[i].addr = DUET_DMA_MAPPING_ERROR;
		sg[i].dlen = 0;
	}
	return rc;
}

int duet_dma_unmap_sg(struct duet_dma_dev *dev, struct duet_dma_sg *sg,
		      unsigned n, enum duet_dma_dir dir, unsigned attrs)
{
	unsigned i;
	int rc, first = 0;

	if (!dev || !sg)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		rc = duet_dma_unmap(dev, sg[i].addr, sg[i].len, dir, attrs);
		if (rc < 0 && !first)
			first = rc;
	}
	return first;
}

int duet_dma_alloc_coherent(struct duet_dma_dev *dev, size_t size,
			    void **cpu, duet_dma_addr_t *addr)
{
	unsigned npages, bits = 0;
	uint64_t mask;
	void *p;
	int rc;

	if (!dev || !size || !cpu || !addr)
		return -EINVAL;
	if (dev->ops->alloc_coherent)
		return dev->ops->alloc_coherent(dev->priv, size, cpu, addr);
	npages = (unsigned)((size + FRAME_SIZE - 1) / FRAME_SIZE);
	for (mask = dev->cfg.coherent_mask; mask & 1; mask >>= 1)
		bits++;
	rc = duet_dma_domain_alloc_contig(dev->dom, npages, bits, &p);
	if (rc < 0)
		return rc;
	rc = dev->ops->map(dev->priv, p, size, DUET_DMA_BIDIRECTIONAL,
			   DUET_DMA_ATTR_SKIP_CPU_SYNC, addr);
	if (rc < 0) {
		duet_dma_domain_free(dev->dom, p, npages);
		return rc;
	}
	*cpu = p;
	return 0;
}

int duet_dma_free_coherent(struct duet_dma_dev *dev, size_t size, void *cpu,
			   duet_dma_addr_t addr)
{
	int rc;

	if (!dev || !size || !cpu)
		return -EINVAL;
	if (dev->ops->free_coherent)
		return dev->ops->free_coherent(dev->priv, size, cpu, addr);
	rc = dev->ops->unmap(dev->priv, addr, size, DUET_DMA_BIDIRECTIONAL,
			     DUET_DMA_ATTR_SKIP_CPU_SYNC);
	if (rc < 0)
		return rc;
	return duet_dma_domain_free(dev->dom, cpu,
				    (unsigned)((size + FRAME_SIZE - 1) /
					       FRAME_SIZE));
}

size_t duet_dma_max_mapping_size(struct duet_dma_dev *dev)
{
	return dev->ops->max_mapping ? dev->ops->max_mapping(dev->priv) :
		SIZE_MAX;
}

/* ------------------------------------------------------------------ */
/* The device side                                                     */
/* ------------------------------------------------------------------ */

static void record_fault(struct duet_dma_dev *dev, duet_dma_addr_t addr,
			 int write, int error)
{
	pthread_mutex_lock(&dev->fault_lock);
	dev->faults++;
	dev->last.addr = addr;
	dev->last.write = write;
	dev->last.error = error;
	pthread_mutex_unlock(&dev->fault_lock);
}

/*
 * Translate every page of [addr, addr + len) first, then copy: a refused
 * page anywhere leaves every byte as it was.  Ranges up to 64 pages at a
 * time keep the translation array on the stack.
 */
#define XLATE_CHUNK 64u

static int dev_access(struct duet_dma_dev *dev, duet_dma_addr_t addr,
		      unsigned char *buf, size_t len, int write)
{
	uint64_t maddr[XLATE_CHUNK];
	size_t done = 0;

	if (!dev || (!buf && len))
		return -EINVAL;
	if (addr + len < addr) {
		record_fault(dev, addr, write, -EFAULT);
		return -EFAULT;
	}
	while (done < len) {
		duet_dma_addr_t a = addr + done;
		size_t chunk = 0, n = 0, part;
		unsigned i;
		int rc;

		/* Translate up to XLATE_CHUNK pages of the rest. */
		while (done + chunk < len && n < XLATE_CHUNK) {
			duet_dma_addr_t pa = a + chunk;

			rc = dev->ops->translate(dev->priv, pa, write,
						 &maddr[n]);
			if (rc == 0 && !dma_mem_host(dev->mem, maddr[n]))
				rc = -EFAULT;
			/* Whatever a backend says, a page this process has
			 * only a read-only grant mapping of is not written
			 * (it would fault the process). */
			if (rc == 0 && write &&
			    dev->mem->frames[maddr[n] >>
					     DUET_DMA_FRAME_SHIFT].ro)
				rc = -EACCES;
			if (rc < 0) {
				record_fault(dev, pa, write, rc);
				return rc;
			}
			part = FRAME_SIZE - (pa & (FRAME_SIZE - 1));
			if (part > len - done - chunk)
				part = len - done - chunk;
			chunk += part;
			n++;
		}
		/* Everything in this chunk is allowed: copy it. */
		for (i = 0, chunk = 0; i < n; i++) {
			duet_dma_addr_t pa = a + chunk;
			unsigned char *h = dma_mem_host(dev->mem, maddr[i]);

			part = FRAME_SIZE - (pa & (FRAME_SIZE - 1));
			if (part > len - done - chunk)
				part = len - done - chunk;
			if (write)
				memcpy(h, buf + done + chunk, part);
			else
				memcpy(buf + done + chunk, h, part);
			chunk += part;
		}
		done += chunk;
	}
	return 0;
}

int duet_dma_dev_read(struct duet_dma_dev *dev, duet_dma_addr_t addr,
		      void *buf, size_t len)
{
	return dev_access(dev, addr, buf, len, 0);
}

int duet_dma_dev_write(struct duet_dma_dev *dev, duet_dma_addr_t addr,
		       const void *buf, size_t len)
{
	/* The buffer is only read from on this path. */
	return dev_access(dev, addr, (unsigned char *)(uintptr_t)buf, len, 1);
}

uint64_t duet_dma_dev_last_fault(struct duet_dma_dev *dev,
				 struct duet_dma_fault *f)
{
	uint64_t n;

	pthread_mutex_lock(&dev->fault_lock);
	n = dev->faults;
	if (f)
		*f = dev->last;
	pthread_mutex_unlock(&dev->fault_lock);
	return n;
}

int duet_dma_dev_reset(struct duet_dma_dev *dev)
{
	if (!dev)
		return -EINVAL;
	return dev->ops->reset ? dev->ops->reset(dev->priv) : 0;
}

void duet_dma_dev_stats(struct duet_dma_dev *dev, struct duet_dma_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->backend = dev->ops->name;
	st->live = __atomic_load_n(&dev->live, __ATOMIC_RELAXED);
	st->maps = __atomic_load_n(&dev->maps, __ATOMIC_RELAXED);
	st->faults = duet_dma_dev_last_fault(dev, NULL);
	if (dev->ops->stats)
		dev->ops->stats(dev->priv, st);
}

/* ------------------------------------------------------------------ */
/* The identity reach table                                            */
/* ------------------------------------------------------------------ */

int dma_reach_init(struct dma_reach *r, uint64_t nframes)
{
	r->ent = calloc(nframes, sizeof(*r->ent));
	if (!r->ent)
		return -ENOMEM;
	r->nframes = nframes;
	pthread_mutex_init(&r->lock, NULL);
	return 0;
}

void dma_reach_fini(struct dma_reach *r)
{
	if (!r->ent)
		return;
	pthread_mutex_destroy(&r->lock);
	free(r->ent);
	r->ent = NULL;
}

void dma_reach_update(struct dma_reach *r, uint64_t maddr, size_t size,
		      enum duet_dma_dir dir, int get)
{
	uint64_t f = maddr >> DUET_DMA_FRAME_SHIFT;
	uint64_t last = (maddr + size - 1) >> DUET_DMA_FRAME_SHIFT;
	int wr = dir != DUET_DMA_TO_DEVICE;

	pthread_mutex_lock(&r->lock);
	for (; f <= last && f < r->nframes; f++) {
		r->ent[f].rd += get ? 1 : -1;
		if (wr)
			r->ent[f].wr += get ? 1 : -1;
	}
	pthread_mutex_unlock(&r->lock);
}

int dma_reach_check(struct dma_reach *r, uint64_t maddr, int write)
{
	uint64_t f = maddr >> DUET_DMA_FRAME_SHIFT;
	struct dma_reach_ent e;

	if (f >= r->nframes)
		return -EFAULT;
	pthread_mutex_lock(&r->lock);
	e = r->ent[f];
	pthread_mutex_unlock(&r->lock);
	if (!e.rd && !e.fprot)
		return -EFAULT;
	if (write && !e.wr && !(e.fprot & DUET_DMA_PROT_WRITE))
		return -EACCES;
	return 0;
}

void dma_reach_fset(struct dma_reach *r, uint64_t mfn, unsigned prot)
{
	if (mfn >= r->nframes)
		return;
	pthread_mutex_lock(&r->lock);
	r->ent[mfn].fprot = (uint8_t)prot;
	pthread_mutex_unlock(&r->lock);
}

/* ------------------------------------------------------------------ */
/* direct and pv-identity                                              */
/* ------------------------------------------------------------------ */

/*
 * Both put the machine address on the bus.  "direct" is a device without
 * an IOMMU whose reach we still track (what the driver mapped, as Linux's
 * DMA API debugging does), so that a device touching anything else is a
 * visible fault rather than silent corruption; it maps only frames of its
 * own domain.  "pv-identity" is Xen's IOMMU context of a PV domain
 * (dfn = mfn): the same, plus the grant frames the glue gives it.
 */
struct ident {
	struct duet_dma_dev *dev;
	struct dma_reach reach;
	struct dma_maplist maps;
};

void dma_maplist_init(struct dma_maplist *l)
{
	memset(l, 0, sizeof(*l));
	pthread_mutex_init(&l->lock, NULL);
}

void dma_maplist_fini(struct dma_maplist *l)
{
	pthread_mutex_destroy(&l->lock);
	free(l->v);
	l->v = NULL;
}

int dma_maplist_add(struct dma_maplist *l, uint64_t addr, size_t size,
		    int dir)
{
	int rc = 0;

	pthread_mutex_lock(&l->lock);
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		struct dma_maprec *v = realloc(l->v, cap * sizeof(*v));

		if (!v) {
			rc = -ENOMEM;
			goto out;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n].addr = addr;
	l->v[l->n].size = size;
	l->v[l->n].dir = dir;
	l->n++;
out:
	pthread_mutex_unlock(&l->lock);
	return rc;
}

int dma_maplist_del(struct dma_maplist *l, uint64_t addr, size_t size,
		    int dir)
{
	size_t i;
	int rc = -EINVAL;

	pthread_mutex_lock(&l->lock);
	for (i = l->n; i-- > 0;)
		if (l->v[i].addr == addr && l->v[i].size == size &&
		    l->v[i].dir == dir) {
			l->v[i] = l->v[--l->n];
			rc = 0;
			break;
		}
	pthread_mutex_unlock(&l->lock);
	return rc;
}

static int ident_attach(struct duet_dma_dev *dev, void **priv)
{
	struct ident *id = calloc(1, sizeof(*id));
	int rc;

	if (!id)
		return -ENOMEM;
	rc = dma_reach_init(&id->reach, dev->mem->nframes);
	if (rc < 0) {
		free(id);
		return rc;
	}
	dma_maplist_init(&id->maps);
	id->dev = dev;
	*priv = id;
	return 0;
}

static int direct_attach(struct duet_dma_dev *dev, const char *opts,
			 void **priv)
{
	return ident_attach(dev, priv);
}

static int pvid_attach(struct duet_dma_dev *dev, const char *opts,
		       void **priv)
{
	return ident_attach(dev, priv);
}

static void ident_detach(void *priv)
{
	struct ident *id = priv;

	dma_reach_fini(&id->reach);
	dma_maplist_fini(&id->maps);
	free(id);
}

int dma_direct_addr(struct duet_dma_dev *dev, void *cpu, size_t size,
		    uint64_t *maddr)
{
	unsigned char *p = cpu;
	uint64_t first, m;
	duet_domid_t owner;
	size_t off;
	int rc;

	rc = duet_dma_virt_to_maddr(dev->mem, p, &first, &owner, NULL);
	if (rc < 0)
		return rc;
	if (owner != dev->dom->domid)
		return -EACCES;
	/* Every further page must follow machine-contiguously. */
	for (off = FRAME_SIZE - ((uintptr_t)p & (FRAME_SIZE - 1)); off < size;
	     off += FRAME_SIZE) {
		rc = duet_dma_virt_to_maddr(dev->mem, p + off, &m, &owner,
					    NULL);
		if (rc < 0)
			return rc;
		if (owner != dev->dom->domid)
			return -EACCES;
		if (m != first + off)
			return -EFAULT;
	}
	if (first + size - 1 > dev->cfg.dma_mask)
		return -EIO;
	*maddr = first;
	return 0;
}

static int ident_map(void *priv, void *cpu, size_t size,
		     enum duet_dma_dir dir, unsigned attrs,
		     duet_dma_addr_t *addr)
{
	struct ident *id = priv;
	uint64_t m;
	int rc;

	rc = dma_direct_addr(id->dev, cpu, size, &m);
	if (rc < 0)
		return rc;
	rc = dma_maplist_add(&id->maps, m, size, dir);
	if (rc < 0)
		return rc;
	dma_reach_update(&id->reach, m, size, dir, 1);
	*addr = m;
	return 0;
}

static int ident_unmap(void *priv, duet_dma_addr_t addr, size_t size,
		       enum duet_dma_dir dir, unsigned attrs)
{
	struct ident *id = priv;

	if (dma_maplist_del(&id->maps, addr, size, dir) < 0)
		return -EINVAL;
	dma_reach_update(&id->reach, addr, size, dir, 0);
	return 0;
}

static int ident_translate(void *priv, duet_dma_addr_t addr, int write,
			   uint64_t *maddr)
{
	struct ident *id = priv;
	int rc = dma_reach_check(&id->reach, addr, write);

	if (rc == 0)
		*maddr = addr;
	return rc;
}

static int pvid_frame_set(void *priv, uint64_t mfn, unsigned prot,
			  duet_dma_addr_t *bus)
{
	struct ident *id = priv;

	if (mfn >= id->reach.nframes || (prot && !bus))
		return -EINVAL;
	dma_reach_fset(&id->reach, mfn, prot);
	if (prot)
		*bus = mfn << DUET_DMA_FRAME_SHIFT;
	return 0;
}

DUET_INTERNAL const struct duet_dma_ops duet_dma_direct_ops = {
	.name = "direct",
	.attach = direct_attach,
	.detach = ident_detach,
	.map = ident_map,
	.unmap = ident_unmap,
	.translate = ident_translate,
};

DUET_INTERNAL const struct duet_dma_ops duet_dma_pv_identity_ops = {
	.name = "pv-identity",
	.attach = pvid_attach,
	.detach = ident_detach,
	.map = ident_map,
	.unmap = ident_unmap,
	.translate = ident_translate,
	.frame_set = pvid_frame_set,
};

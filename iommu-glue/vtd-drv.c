/* SPDX-License-Identifier: MIT */
/*
 * vtd-drv.c - the driver side of VT-d as Linux does it: tables in memory,
 * invalidation through registers or the queue (each request followed by
 * a wait descriptor whose status write the driver spins on), and per
 * domain an IOVA allocator with strict or lazy (flush queue) unmapping.
 * It touches its unit only through struct duet_vtd_hwif, so it drives
 * duet's model and QEMU's intel-iommu alike.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "iommu-glue/vtd.h"

#define SPIN_LIMIT	1000000
#define QI_ENTRIES	256

struct duet_vtd_drv {
	struct duet_vtd_hwif hw;
	struct duet_iommu_mem mem;
	struct duet_vtd_pages pages;
	pthread_mutex_t lock;		/* tables, queue, registers */
	uint64_t cap, ecap;
	uint32_t gcmd;			/* persistent GCMD bits (TE, QIE) */
	uint64_t root;			/* root table pa */
	uint64_t ctx[256];		/* context table pa per bus, 0: none */
	int qi;				/* queued invalidation in use */
	uint64_t qi_base, qi_status;	/* queue page, status word page */
	unsigned int qi_tail;
	uint32_t qi_seq;		/* last status value asked for */
};

static uint64_t rd(struct duet_vtd_drv *d, unsigned int off, unsigned int sz)
{
	return d->hw.read(d->hw.opaque, off, sz);
}

static void wr(struct duet_vtd_drv *d, unsigned int off, uint64_t v,
	       unsigned int sz)
{
	d->hw.write(d->hw.opaque, off, v, sz);
}

/* Write GCMD (persistent bits | cmd) and wait for GSTS to show want. */
static int gcmd(struct duet_vtd_drv *d, uint32_t cmd, uint32_t want)
{
	int i;

	wr(d, VTD_REG_GCMD, d->gcmd | cmd, 4);
	for (i = 0; i < SPIN_LIMIT; i++)
		if ((rd(d, VTD_REG_GSTS, 4) & want) == want)
			return 0;
	return -ETIMEDOUT;
}

/* ---- invalidation ---- */

/* Queue one descriptor and a status-writing wait; spin until done. */
static int qi_submit(struct duet_vtd_drv *d, uint64_t q0, uint64_t q1)
{
	uint64_t at;
	void *p;
	int i, rc;

	at = d->qi_base + d->qi_tail * 16;
	if (duet_iommu_wr64(&d->mem, at, q0) ||
	    duet_iommu_wr64(&d->mem, at + 8, q1))
		return -EFAULT;
	d->qi_tail = (d->qi_tail + 1) % QI_ENTRIES;
	at = d->qi_base + d->qi_tail * 16;
	d->qi_seq++;
	if (duet_iommu_wr64(&d->mem, at,
			    VTD_QI_WAIT | VTD_QI_WAIT_SW | VTD_QI_WAIT_FN |
				    VTD_QI_WAIT_DATA(d->qi_seq)) ||
	    duet_iommu_wr64(&d->mem, at + 8, d->qi_status))
		return -EFAULT;
	d->qi_tail = (d->qi_tail + 1) % QI_ENTRIES;
	rc = duet_iommu_mem_ptr(&d->mem, d->qi_status, 4, &p);
	if (rc)
		return rc;
	/* Descriptors are in memory before the tail moves (release). */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	wr(d, VTD_REG_IQT, (uint64_t)d->qi_tail << 4, 8);
	for (i = 0; i < SPIN_LIMIT; i++) {
		/* Pairs with the unit's status write of the wait. */
		if (__atomic_load_n((uint32_t *)p, __ATOMIC_ACQUIRE) ==
		    d->qi_seq)
			return 0;
		if (rd(d, VTD_REG_FSTS, 4) & VTD_FSTS_IQE)
			return -EIO;
	}
	return -ETIMEDOUT;
}

static int inv_context_locked(struct duet_vtd_drv *d, int gran, uint16_t did,
			      uint16_t sid)
{
	uint64_t v;
	int i;

	if (d->qi)
		return qi_submit(d, VTD_QI_CC | ((uint64_t)gran << 4) |
					    ((uint64_t)did << 16) |
					    ((uint64_t)sid << 32),
				 0);
	wr(d, VTD_REG_CCMD,
	   VTD_CCMD_ICC | VTD_CCMD_CIRG(gran) | ((uint64_t)sid << 16) | did,
	   8);
	for (i = 0; i < SPIN_LIMIT; i++) {
		v = rd(d, VTD_REG_CCMD, 8);
		if (!(v & VTD_CCMD_ICC))
			return (v >> 59) & 3 ? 0 : -EIO;
	}
	return -ETIMEDOUT;
}

/* PSI address mask covering [pfn, pfn + pages), naturally aligned. */
static unsigned int psi_mask(uint64_t pfn, uint64_t pages)
{
	uint64_t last = pfn + (pages ? pages : 1) - 1;
	unsigned int am = 0;

	while ((pfn >> am) != (last >> am))
		am++;
	return am;
}

static int inv_iotlb_locked(struct duet_vtd_drv *d, int gran, uint16_t did,
			    uint64_t iova, uint64_t pages)
{
	uint64_t pfn = iova >> 12, iva = 0, v;
	unsigned int am = 0;
	int i;

	if (gran == VTD_INV_PAGE) {
		am = psi_mask(pfn, pages);
		/* No PSI, or too large: a domain-selective flush instead. */
		if (!(d->cap & VTD_CAP_PSI) || am > VTD_CAP_MAMV(d->cap))
			gran = VTD_INV_DOMAIN;
		else
			iva = ((pfn >> am) << am << 12) | am;
	}
	if (d->qi)
		return qi_submit(d, VTD_QI_IOTLB | ((uint64_t)gran << 4) |
					    (1ull << 6) | (1ull << 7) |
					    ((uint64_t)did << 16),
				 iva);
	if (gran == VTD_INV_PAGE)
		wr(d, VTD_ECAP_IRO(d->ecap), iva, 8);
	wr(d, VTD_ECAP_IRO(d->ecap) + 8,
	   VTD_IOTLB_IVT | VTD_IOTLB_IIRG(gran) | VTD_IOTLB_DR |
		   VTD_IOTLB_DW | VTD_IOTLB_DID(did),
	   8);
	for (i = 0; i < SPIN_LIMIT; i++) {
		v = rd(d, VTD_ECAP_IRO(d->ecap) + 8, 8);
		if (!(v & VTD_IOTLB_IVT))
			return VTD_IOTLB_IAIG_GET(v) ? 0 : -EIO;
	}
	return -ETIMEDOUT;
}

int duet_vtd_drv_inv_context(struct duet_vtd_drv *d, int gran, uint16_t did,
			     uint16_t sid)
{
	int rc;

	pthread_mutex_lock(&d->lock);
	rc = inv_context_locked(d, gran, did, sid);
	pthread_mutex_unlock(&d->lock);
	return rc;
}

int duet_vtd_drv_inv_iotlb(struct duet_vtd_drv *d, int gran, uint16_t did,
			   uint64_t iova, uint64_t pages)
{
	int rc;

	pthread_mutex_lock(&d->lock);
	rc = inv_iotlb_locked(d, gran, did, iova, pages);
	pthread_mutex_unlock(&d->lock);
	return rc;
}

/* ---- bring-up ---- */

uint64_t duet_vtd_drv_root(const struct duet_vtd_drv *d)
{
	return d->root;
}

static void drv_free(struct duet_vtd_drv *d)
{
	unsigned int i;

	for (i = 0; i < 256; i++)
		if (d->ctx[i])
			d->pages.free(d->pages.opaque, d->ctx[i]);
	if (d->root)
		d->pages.free(d->pages.opaque, d->root);
	if (d->qi_base)
		d->pages.free(d->pages.opaque, d->qi_base);
	if (d->qi_status)
		d->pages.free(d->pages.opaque, d->qi_status);
	pthread_mutex_destroy(&d->lock);
	free(d);
}

int duet_vtd_drv_open(const struct duet_vtd_hwif *hw,
		      const struct duet_iommu_mem *mem,
		      const struct duet_vtd_pages *pages, int use_qi,
		      struct duet_vtd_drv **out)
{
	struct duet_vtd_drv *d;
	int rc;

	*out = NULL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->hw = *hw;
	d->mem = *mem;
	d->pages = *pages;
	pthread_mutex_init(&d->lock, NULL);
	d->cap = rd(d, VTD_REG_CAP, 8);
	d->ecap = rd(d, VTD_REG_ECAP, 8);
	rc = -ENODEV;
	if (!d->cap || d->cap == ~0ull || (use_qi && !(d->ecap & VTD_ECAP_QI)))
		goto err_free;
	rc = pages->alloc(pages->opaque, &d->root);
	if (rc)
		goto err_free;
	/* Start from a known state: translation and the queue off. */
	d->gcmd = 0;
	rc = gcmd(d, 0, 0);
	if (rc)
		goto err_free;
	wr(d, VTD_REG_RTADDR, d->root, 8);
	rc = gcmd(d, VTD_GCMD_SRTP, VTD_GCMD_SRTP);
	if (rc)
		goto err_free;
	rc = inv_context_locked(d, VTD_INV_GLOBAL, 0, 0);
	if (!rc)
		rc = inv_iotlb_locked(d, VTD_INV_GLOBAL, 0, 0, 0);
	if (rc)
		goto err_free;
	if (use_qi) {
		rc = pages->alloc(pages->opaque, &d->qi_base);
		if (!rc)
			rc = pages->alloc(pages->opaque, &d->qi_status);
		if (rc)
			goto err_free;
		wr(d, VTD_REG_IQT, 0, 8);
		wr(d, VTD_REG_IQA, d->qi_base, 8);	/* QS 0: 256 */
		d->gcmd |= VTD_GCMD_QIE;
		rc = gcmd(d, 0, VTD_GCMD_QIE);
		if (rc)
			goto err_off;
		d->qi = 1;
	}
	d->gcmd |= VTD_GCMD_TE;
	rc = gcmd(d, 0, VTD_GCMD_TE);
	if (rc)
		goto err_off;
	*out = d;
	return 0;
err_off:
	d->gcmd = 0;
	gcmd(d, 0, 0);
err_free:
	drv_free(d);
	return rc;
}

void duet_vtd_drv_close(struct duet_vtd_drv *d)
{
	if (!d)
		return;
	d->gcmd = 0;
	gcmd(d, 0, 0);
	drv_free(d);
}

/* ---- domains ---- */

struct fq_ent {
	uint64_t pfn, pages;	/* IOVA range to free after the flush */
};

struct duet_vtd_dom {
	struct duet_vtd_drv *drv;
	struct duet_vtd_dom_config cfg;
	uint64_t pgd;			/* top-level table pa */
	struct duet_iommu_iova *iova;	/* [iova_base, iova_limit) */
	struct duet_iommu_iova *iova32;	/* [iova32_base, iova32_limit) */
	pthread_mutex_t lock;		/* flush queue, stats */
	struct fq_ent *fq;
	unsigned int fq_n;
	uint64_t fq_oldest_ns;		/* when fq[0] was queued */
	struct duet_vtd_dom_stats st;
};

int duet_vtd_dom_create(struct duet_vtd_drv *d,
			const struct duet_vtd_dom_config *cfg,
			struct duet_vtd_dom **out)
{
	struct duet_vtd_dom *dom;
	uint64_t base, limit;
	int rc;

	*out = NULL;
	if (!cfg->did || (cfg->aw != 1 && cfg->aw != 2) ||
	    !(VTD_CAP_SAGAW(d->cap) & (1u << cfg->aw)))
		return -EINVAL;
	dom = calloc(1, sizeof(*dom));
	if (!dom)
		return -ENOMEM;
	dom->drv = d;
	dom->cfg = *cfg;
	if (!dom->cfg.fq_size)
		dom->cfg.fq_size = 256;
	if (!dom->cfg.fq_timeout_ns)
		dom->cfg.fq_timeout_ns = 10 * 1000 * 1000;
	base = cfg->iova_limit ? cfg->iova_base : 1ull << 20;
	limit = cfg->iova_limit ? cfg->iova_limit : 1ull << 32;
	rc = -EINVAL;
	if (limit > 1ull << VTD_AW_WIDTH(cfg->aw))
		goto err_free;
	rc = duet_iommu_iova_create(base >> 12, limit >> 12,
				    cfg->iova_caches ? cfg->iova_caches : 8,
				    &dom->iova);
	if (rc)
		goto err_free;
	rc = -EINVAL;
	if (cfg->iova32_limit &&
	    (cfg->iova32_limit > 1ull << 32 ||
	     (cfg->iova32_base | cfg->iova32_limit) & 0xfff ||
	     (cfg->iova32_base < limit && base < cfg->iova32_limit)))
		goto err_iova;
	if (cfg->iova32_limit) {
		rc = duet_iommu_iova_create(cfg->iova32_base >> 12,
					    cfg->iova32_limit >> 12,
					    cfg->iova_caches ?
						    cfg->iova_caches : 8,
					    &dom->iova32);
		if (rc)
			goto err_iova;
	}
	dom->fq = calloc(dom->cfg.fq_size, sizeof(*dom->fq));
	rc = -ENOMEM;
	if (!dom->fq)
		goto err_iova;
	pthread_mutex_lock(&d->lock);
	rc = d->pages.alloc(d->pages.opaque, &dom->pgd);
	pthread_mutex_unlock(&d->lock);
	if (rc)
		goto err_iova;
	pthread_mutex_init(&dom->lock, NULL);
	*out = dom;
	return 0;
err_iova:
	duet_iommu_iova_destroy(dom->iova32);
	duet_iommu_iova_destroy(dom->iova);
err_free:
	free(dom->fq);
	free(dom);
	return rc;
}

/* Free the tables below (table at level), not the leaves' pages. */
static void free_tables(struct duet_vtd_drv *d, uint64_t table,
			unsigned int level)
{
	uint64_t e;
	int i;

	for (i = 0; level > 1 && i < 512; i++) {
		if (duet_iommu_rd64(&d->mem, table + i * 8, &e))
			break;
		if ((e & (VTD_PTE_R | VTD_PTE_W)) && !(e & VTD_PTE_PS))
			free_tables(d, VTD_PTE_ADDR(e), level - 1);
	}
	d->pages.free(d->pages.opaque, table);
}

void duet_vtd_dom_destroy(struct duet_vtd_dom *dom)
{
	if (!dom)
		return;
	duet_vtd_dom_flush(dom);
	pthread_mutex_lock(&dom->drv->lock);
	free_tables(dom->drv, dom->pgd, VTD_AW_LEVELS(dom->cfg.aw));
	pthread_mutex_unlock(&dom->drv->lock);
	duet_iommu_iova_destroy(dom->iova32);
	duet_iommu_iova_destroy(dom->iova);
	pthread_mutex_destroy(&dom->lock);
	free(dom->fq);
	free(dom);
}

static int set_context(struct duet_vtd_dom *dom, uint16_t sid, int present)
{
	struct duet_vtd_drv *d = dom->drv;
	unsigned int bus = sid >> 8;
	uint64_t ce;
	int rc = 0;

	pthread_mutex_lock(&d->lock);
	if (!d->ctx[bus]) {
		rc = d->pages.alloc(d->pages.opaque, &d->ctx[bus]);
		if (rc)
			goto out;
		rc = duet_iommu_wr64(&d->mem, d->root + bus * 16,
				     d->ctx[bus] | VTD_ROOT_P);
		if (rc)
			goto out;
	}
	ce = d->ctx[bus] + (sid & 0xff) * 16;
	if (present) {
		/* hi first: the entry becomes present with its domain. */
		rc = duet_iommu_wr64(&d->mem, ce + 8,
				     VTD_CTX_HI(dom->cfg.did, dom->cfg.aw));
		__atomic_thread_fence(__ATOMIC_RELEASE);
		if (!rc)
			rc = duet_iommu_wr64(&d->mem, ce,
					     dom->pgd | VTD_CTX_P);
	} else {
		rc = duet_iommu_wr64(&d->mem, ce, 0);
		if (!rc)
			rc = duet_iommu_wr64(&d->mem, ce + 8, 0);
	}
	if (rc)
		goto out;
	/* As Linux: device-selective context flush, then the domain. */
	rc = inv_context_locked(d, VTD_INV_DEVICE, dom->cfg.did, sid);
	if (!rc)
		rc = inv_iotlb_locked(d, VTD_INV_DOMAIN, dom->cfg.did, 0, 0);
out:
	pthread_mutex_unlock(&d->lock);
	return rc;
}

int duet_vtd_dom_attach(struct duet_vtd_dom *dom, uint16_t source_id)
{
	return set_context(dom, source_id, 1);
}

int duet_vtd_dom_detach(struct duet_vtd_dom *dom, uint16_t source_id)
{
	return set_context(dom, source_id, 0);
}

/*
 * Entry slot for iova at level (1 = 4 KiB leaf, 2 = 2 MiB, 3 = 1 GiB).
 * alloc: WALK_ONLY, WALK_SPLIT (a superpage in the way is split into the
 * next level's table), WALK_ALLOC (also missing tables are allocated).
 * 0 with *slot, -ENOENT (nothing mapped there), -ENOMEM.
 */
enum { WALK_ONLY, WALK_SPLIT, WALK_ALLOC };

static int slot_of(struct duet_vtd_dom *dom, uint64_t iova,
		   unsigned int level, int alloc, uint64_t *slot)
{
	struct duet_vtd_drv *d = dom->drv;
	unsigned int l = VTD_AW_LEVELS(dom->cfg.aw);
	uint64_t table = dom->pgd, e, at, t;
	int rc, i;

	for (;; l--) {
		at = table + ((iova >> (12 + 9 * (l - 1))) & 511) * 8;
		if (l == level) {
			*slot = at;
			return 0;
		}
		rc = duet_iommu_rd64(&d->mem, at, &e);
		if (rc)
			return rc;
		if (!(e & (VTD_PTE_R | VTD_PTE_W)) || (e & VTD_PTE_PS)) {
			if (alloc == WALK_ONLY ||
			    (alloc == WALK_SPLIT && !(e & VTD_PTE_PS)))
				return -ENOENT;
			rc = d->pages.alloc(d->pages.opaque, &t);
			if (rc)
				return rc;
			/* Split a superpage into the next level's entries. */
			for (i = 0; (e & VTD_PTE_PS) && i < 512; i++) {
				uint64_t sub = VTD_PTE_ADDR(e) +
					       ((uint64_t)i
						<< (12 + 9 * (l - 2)));

				duet_iommu_wr64(&d->mem, t + i * 8,
						sub | (e & 3) |
							(l > 2 ? VTD_PTE_PS :
								 0));
			}
			e = t | VTD_PTE_R | VTD_PTE_W;
			/* The table is filled before it is linked. */
			__atomic_thread_fence(__ATOMIC_RELEASE);
			rc = duet_iommu_wr64(&d->mem, at, e);
			if (rc)
				return rc;
		}
		table = VTD_PTE_ADDR(e);
	}
}

static int map_locked(struct duet_vtd_dom *dom, uint64_t iova, uint64_t pa,
		      uint64_t size, int prot)
{
	struct duet_vtd_drv *d = dom->drv;
	uint64_t done = 0, slot, step, bits = 0;
	unsigned int level;
	int rc;

	if (prot & DUET_IOMMU_READ)
		bits |= VTD_PTE_R;
	if (prot & DUET_IOMMU_WRITE)
		bits |= VTD_PTE_W;
	while (done < size) {
		/* The largest page both addresses and the rest allow. */
		for (level = 3; level > 1; level--) {
			step = 1ull << (12 + 9 * (level - 1));
			if ((VTD_CAP_SLLPS(d->cap) & (1u << (level - 2))) &&
			    !((iova + done) & (step - 1)) &&
			    !((pa + done) & (step - 1)) && size - done >= step)
				break;
		}
		step = 1ull << (12 + 9 * (level - 1));
		rc = slot_of(dom, iova + done, level, WALK_ALLOC, &slot);
		if (rc)
			return rc;
		rc = duet_iommu_wr64(&d->mem, slot,
				     (pa + done) | bits |
					     (level > 1 ? VTD_PTE_PS : 0));
		if (rc)
			return rc;
		done += step;
	}
	return 0;
}

int duet_vtd_dom_map_at(struct duet_vtd_dom *dom, uint64_t iova, uint64_t pa,
			uint64_t size, int prot)
{
	int rc;

	if ((iova | pa | size) & 0xfff || !size || iova + size < iova ||
	    (iova + size - 1) >> VTD_AW_WIDTH(dom->cfg.aw))
		return -EINVAL;
	pthread_mutex_lock(&dom->drv->lock);
	rc = map_locked(dom, iova, pa, size, prot);
	pthread_mutex_unlock(&dom->drv->lock);
	return rc;
}

/* Clear the leaves of [iova, iova + size); superpages are split first. */
static int clear_locked(struct duet_vtd_dom *dom, uint64_t iova,
			uint64_t size)
{
	struct duet_vtd_drv *d = dom->drv;
	uint64_t done = 0, slot, e;
	int rc;

	while (done < size) {
		unsigned int level;

		for (level = 3; level > 1; level--) {
			uint64_t step = 1ull << (12 + 9 * (level - 1));

			if (!((iova + done) & (step - 1)) &&
			    size - done >= step &&
			    !slot_of(dom, iova + done, level, WALK_ONLY,
				     &slot) &&
			    !duet_iommu_rd64(&d->mem, slot, &e) &&
			    (e & VTD_PTE_PS))
				break;
		}
		rc = slot_of(dom, iova + done, level, WALK_SPLIT, &slot);
		if (rc == -ENOENT)
			rc = 0;	/* nothing mapped: nothing to clear */
		else if (!rc)
			rc = duet_iommu_wr64(&d->mem, slot, 0);
		if (rc)
			return rc;
		done += 1ull << (12 + 9 * (level - 1));
	}
	return 0;
}

int duet_vtd_dom_unmap_at(struct duet_vtd_dom *dom, uint64_t iova,
			  uint64_t size)
{
	int rc;

	if ((iova | size) & 0xfff || !size)
		return -EINVAL;
	pthread_mutex_lock(&dom->drv->lock);
	rc = clear_locked(dom, iova, size);
	if (!rc)
		rc = inv_iotlb_locked(dom->drv, VTD_INV_PAGE, dom->cfg.did,
				      iova, size >> 12);
	pthread_mutex_unlock(&dom->drv->lock);
	if (!rc) {
		pthread_mutex_lock(&dom->lock);
		dom->st.inv_psi++;
		pthread_mutex_unlock(&dom->lock);
	}
	return rc;
}

/*
 * IOVA pages for a device reaching bus addresses up to dma_mask: the
 * window below 4 GiB first, then the other (Linux's 32-bit-first order),
 * each searched below the mask.  0, -ENOSPC, -ERANGE (no window below).
 */
static int iova_get(struct duet_vtd_dom *dom, uint64_t pages,
		    uint64_t dma_mask, uint64_t *pfn, int *hit)
{
	struct duet_iommu_iova *w[2] = { dom->iova32, dom->iova };
	uint64_t lim = (dma_mask >> 12) + 1;
	uint64_t base[2] = { dom->cfg.iova32_base >> 12,
			     (dom->cfg.iova_limit ? dom->cfg.iova_base :
						    1ull << 20) >> 12 };
	int rc = -ERANGE, i;

	for (i = 0; i < 2; i++) {
		if (!w[i] || base[i] >= lim)
			continue;
		rc = duet_iommu_iova_alloc_below(w[i], pages, lim, pfn, hit);
		if (rc != -ENOSPC)
			return rc;
	}
	return rc;
}

static void iova_put(struct duet_vtd_dom *dom, uint64_t pfn, uint64_t pages)
{
	if (dom->iova32 && pfn < dom->cfg.iova32_limit >> 12 &&
	    pfn >= dom->cfg.iova32_base >> 12)
		duet_iommu_iova_free(dom->iova32, pfn, pages);
	else
		duet_iommu_iova_free(dom->iova, pfn, pages);
}

int duet_vtd_dom_map(struct duet_vtd_dom *dom, uint64_t pa, uint64_t size,
		     int prot, uint64_t *iova)
{
	uint64_t off = pa & 0xfff, pages, pfn;
	int rc, hit;

	if (!size || pa + size < pa)
		return -EINVAL;
	pages = (off + size + 0xfff) >> 12;
	rc = iova_get(dom, pages, UINT64_MAX, &pfn, &hit);
	if (rc)
		return rc;
	pthread_mutex_lock(&dom->drv->lock);
	rc = map_locked(dom, pfn << 12, pa - off, pages << 12, prot);
	pthread_mutex_unlock(&dom->drv->lock);
	if (rc) {
		iova_put(dom, pfn, pages);
		return rc;
	}
	pthread_mutex_lock(&dom->lock);
	dom->st.maps++;
	dom->st.iova_cache_hits += (uint64_t)hit;
	pthread_mutex_unlock(&dom->lock);
	*iova = (pfn << 12) | off;
	return 0;
}

int duet_vtd_dom_map_pages(struct duet_vtd_dom *dom, const uint64_t *pas,
			   unsigned int n, unsigned int offset, int prot,
			   uint64_t *iova)
{
	return duet_vtd_dom_map_pages_below(dom, pas, n, offset, prot,
					    UINT64_MAX, iova);
}

int duet_vtd_dom_map_pages_below(struct duet_vtd_dom *dom, const uint64_t *pas,
				 unsigned int n, unsigned int offset, int prot,
				 uint64_t dma_mask, uint64_t *iova)
{
	unsigned int i;
	uint64_t pfn;
	int rc, hit;

	if (!n || offset > 0xfff)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (pas[i] & 0xfff)
			return -EINVAL;
	rc = iova_get(dom, n, dma_mask, &pfn, &hit);
	if (rc)
		return rc;
	pthread_mutex_lock(&dom->drv->lock);
	for (i = 0, rc = 0; i < n && !rc; i++)
		rc = map_locked(dom, (pfn + i) << 12, pas[i], 4096, prot);
	if (rc)
		clear_locked(dom, pfn << 12, (uint64_t)n << 12);
	pthread_mutex_unlock(&dom->drv->lock);
	if (rc) {
		iova_put(dom, pfn, n);
		return rc;
	}
	pthread_mutex_lock(&dom->lock);
	dom->st.maps++;
	dom->st.iova_cache_hits += (uint64_t)hit;
	pthread_mutex_unlock(&dom->lock);
	*iova = (pfn << 12) | offset;
	return 0;
}

int duet_vtd_dom_set_frame(struct duet_vtd_dom *dom, uint64_t pa, int prot)
{
	int rc;

	if (pa & 0xfff || pa >> VTD_AW_WIDTH(dom->cfg.aw))
		return -EINVAL;
	pthread_mutex_lock(&dom->drv->lock);
	rc = prot ? map_locked(dom, pa, pa, 4096, prot) :
		    clear_locked(dom, pa, 4096);
	if (!rc)
		rc = inv_iotlb_locked(dom->drv, VTD_INV_PAGE, dom->cfg.did, pa,
				      1);
	pthread_mutex_unlock(&dom->drv->lock);
	return rc;
}

int duet_vtd_dom_set_frames(struct duet_vtd_dom *dom, const uint64_t *pa,
			    const int *prot, unsigned int n,
			    unsigned int *done)
{
	unsigned int i;
	int rc = 0;

	*done = 0;
	for (i = 0; i < n; i++)
		if (pa[i] & 0xfff || pa[i] >> VTD_AW_WIDTH(dom->cfg.aw))
			return -EINVAL;
	if (!n)
		return 0;
	pthread_mutex_lock(&dom->drv->lock);
	for (i = 0; i < n && !rc; i++) {
		rc = prot[i] ? map_locked(dom, pa[i], pa[i], 4096, prot[i]) :
			       clear_locked(dom, pa[i], 4096);
		if (!rc)
			(*done)++;
	}
	/* What changed is invalidated before return, even on failure:
	 * one page-selective request for one frame, else one
	 * domain-selective request for the batch. */
	if (*done) {
		int rc2 = *done == 1 ?
			inv_iotlb_locked(dom->drv, VTD_INV_PAGE, dom->cfg.did,
					 pa[0], 1) :
			inv_iotlb_locked(dom->drv, VTD_INV_DOMAIN,
					 dom->cfg.did, 0, 0);

		if (!rc)
			rc = rc2;
	}
	pthread_mutex_unlock(&dom->drv->lock);
	return rc;
}

/* Invalidate the domain and free every queued IOVA.  dom->lock held. */
static int fq_flush_locked(struct duet_vtd_dom *dom)
{
	unsigned int i;
	int rc;

	if (!dom->fq_n)
		return 0;
	rc = duet_vtd_drv_inv_iotlb(dom->drv, VTD_INV_DOMAIN, dom->cfg.did,
				    0, 0);
	if (rc)
		return rc;
	for (i = 0; i < dom->fq_n; i++)
		iova_put(dom, dom->fq[i].pfn, dom->fq[i].pages);
	dom->fq_n = 0;
	dom->st.fq_flushes++;
	dom->st.inv_dsi++;
	return 0;
}

int duet_vtd_dom_unmap(struct duet_vtd_dom *dom, uint64_t iova,
		       uint64_t size)
{
	uint64_t off = iova & 0xfff, pages = (off + size + 0xfff) >> 12;
	uint64_t pfn = iova >> 12;
	int rc;

	if (!size)
		return -EINVAL;
	pthread_mutex_lock(&dom->drv->lock);
	rc = clear_locked(dom, pfn << 12, pages << 12);
	if (!rc && dom->cfg.mode == DUET_VTD_STRICT)
		rc = inv_iotlb_locked(dom->drv, VTD_INV_PAGE, dom->cfg.did,
				      pfn << 12, pages);
	pthread_mutex_unlock(&dom->drv->lock);
	if (rc)
		return rc;
	pthread_mutex_lock(&dom->lock);
	dom->st.unmaps++;
	if (dom->cfg.mode == DUET_VTD_STRICT) {
		dom->st.inv_psi++;
		pthread_mutex_unlock(&dom->lock);
		iova_put(dom, pfn, pages);
		return 0;
	}
	/* Lazy: the IOVA is not reused before the IOTLB forgot it. */
	if (dom->fq_n == dom->cfg.fq_size)
		rc = fq_flush_locked(dom);
	if (!rc) {
		if (!dom->fq_n)
			dom->fq_oldest_ns = duet_iommu_now_ns();
		dom->fq[dom->fq_n++] = (struct fq_ent){ pfn, pages };
		if (dom->fq_n == dom->cfg.fq_size ||
		    duet_iommu_now_ns() - dom->fq_oldest_ns >=
			    dom->cfg.fq_timeout_ns)
			rc = fq_flush_locked(dom);
	}
	pthread_mutex_unlock(&dom->lock);
	return rc;
}

int duet_vtd_dom_flush(struct duet_vtd_dom *dom)
{
	int rc;

	pthread_mutex_lock(&dom->lock);
	rc = fq_flush_locked(dom);
	pthread_mutex_unlock(&dom->lock);
	return rc;
}

int duet_vtd_dom_tick(struct duet_vtd_dom *dom)
{
	int rc = 0;

	pthread_mutex_lock(&dom->lock);
	if (dom->fq_n && duet_iommu_now_ns() - dom->fq_oldest_ns >=
				 dom->cfg.fq_timeout_ns)
		rc = fq_flush_locked(dom);
	pthread_mutex_unlock(&dom->lock);
	return rc;
}

uint64_t duet_vtd_dom_pgd(const struct duet_vtd_dom *dom)
{
	return dom->pgd;
}

unsigned int duet_vtd_dom_queued(struct duet_vtd_dom *dom)
{
	unsigned int n;

	pthread_mutex_lock(&dom->lock);
	n = dom->fq_n;
	pthread_mutex_unlock(&dom->lock);
	return n;
}

void duet_vtd_dom_stats(struct duet_vtd_dom *dom,
			struct duet_vtd_dom_stats *st)
{
	pthread_mutex_lock(&dom->lock);
	*st = dom->st;
	pthread_mutex_unlock(&dom->lock);
}

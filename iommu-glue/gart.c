/* SPDX-License-Identifier: MIT */
/*
 * gart.c - the AMD GART as a unit (registers, GATT walk, GART TLB that
 * keeps what it loaded until INVGART) and Linux's driver for it: one
 * global bitmap allocator with next-fit and a flush only when it wraps
 * (or on every map with fullflush), 32 emergency pages, scratch entries,
 * passthrough of buffers the device reaches, scatter-gather merging.
 * Encodings in gart.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "iommu-glue/gart.h"

#define EMERGENCY_PAGES	32

/* ---- the unit ---- */

struct tlb_ent {
	uint32_t idx;		/* aperture page */
	uint32_t pte;		/* GATT entry as loaded */
	uint8_t valid;
};

struct duet_gart {
	struct duet_iommu_unit unit;
	uint32_t ctl, base, table, cache;	/* config registers */
	struct tlb_ent *tlb;
	unsigned int ntlb, rr;
	uint64_t flush_ns;		/* cost of one INVGART */
};

static int gart_translate(struct duet_iommu_unit *u, uint16_t sid,
			  uint64_t addr, size_t len, int access, uint64_t *pa,
			  struct duet_iommu_fault *f)
{
	struct duet_gart *g = (struct duet_gart *)u;
	uint64_t base = (uint64_t)(g->base & 0x7fff) << 25;
	uint64_t size = (32ull << 20) << GART_CTL_ORDER(g->ctl), left;
	uint64_t gatt = (uint64_t)(g->table >> 4) << 12;
	uint32_t idx, pte = 0;
	unsigned int i;
	void *p;
	int rc;

	pthread_mutex_lock(&u->lock);
	u->stats.translations++;
	if (!(g->ctl & GART_CTL_EN) || (g->ctl & GART_CTL_DISIO) ||
	    addr < base || addr >= base + size) {
		/* Outside the aperture: untranslated, no check at all. */
		*pa = addr;
		left = (addr >= base || addr + len <= base) ? len : base - addr;
		rc = (int)(left > 1u << 30 ? 1u << 30 : left);
		goto out;
	}
	idx = (uint32_t)((addr - base) >> 12);
	for (i = 0; i < g->ntlb; i++)
		if (g->tlb[i].valid && g->tlb[i].idx == idx)
			break;
	if (i < g->ntlb) {
		u->stats.tlb_hits++;
		pte = g->tlb[i].pte;
	} else {
		u->stats.walks++;
		if (duet_iommu_mem_ptr(&u->mem, gatt + idx * 4ull, 4, &p)) {
			f->reason = DUET_GART_FR_TABLE;
			goto fault;
		}
		pte = __atomic_load_n((uint32_t *)p, __ATOMIC_RELAXED);
		if (pte & GART_PTE_VALID) {
			i = g->rr++ % g->ntlb;
			g->tlb[i] = (struct tlb_ent){ idx, pte, 1 };
		}
	}
	if (!(pte & GART_PTE_VALID)) {
		f->reason = DUET_GART_FR_INVALID;
		g->cache |= GART_CACHE_PTEERR;
		goto fault;
	}
	*pa = duet_gart_pte_addr(pte) + (addr & 0xfff);
	left = 4096 - (addr & 0xfff);
	rc = (int)(len < left ? len : left);
	goto out;
fault:
	f->iova = addr;
	f->source_id = sid;
	f->access = (uint8_t)access;
	f->recorded = f->reason == DUET_GART_FR_INVALID;
	u->stats.faults++;
	rc = -EFAULT;
out:
	pthread_mutex_unlock(&u->lock);
	return rc;
}

static const struct duet_iommu_unit_ops gart_ops = {
	.name = "gart",
	.translate = gart_translate,
};

int duet_gart_create(const struct duet_iommu_mem *mem,
		     unsigned int tlb_entries, struct duet_gart **out)
{
	struct duet_gart *g = calloc(1, sizeof(*g));

	*out = NULL;
	if (!g)
		return -ENOMEM;
	g->ntlb = tlb_entries ? tlb_entries : 64;
	g->tlb = calloc(g->ntlb, sizeof(*g->tlb));
	if (!g->tlb) {
		free(g);
		return -ENOMEM;
	}
	duet_iommu_unit_init(&g->unit, &gart_ops, mem);
	*out = g;
	return 0;
}

void duet_gart_destroy(struct duet_gart *g)
{
	if (!g)
		return;
	duet_iommu_unit_fini(&g->unit);
	free(g->tlb);
	free(g);
}

struct duet_iommu_unit *duet_gart_unit(struct duet_gart *g)
{
	return &g->unit;
}

void duet_gart_set_flush_cost(struct duet_gart *g, uint64_t ns)
{
	pthread_mutex_lock(&g->unit.lock);
	g->flush_ns = ns;
	pthread_mutex_unlock(&g->unit.lock);
}

uint32_t duet_gart_read(struct duet_gart *g, unsigned int off)
{
	uint32_t v = 0;

	pthread_mutex_lock(&g->unit.lock);
	switch (off) {
	case GART_APERTURECTL:
		v = g->ctl;
		break;
	case GART_APERTUREBASE:
		v = g->base;
		break;
	case GART_TABLEBASE:
		v = g->table;
		break;
	case GART_CACHECTL:
		v = g->cache;
		break;
	}
	pthread_mutex_unlock(&g->unit.lock);
	return v;
}

void duet_gart_write(struct duet_gart *g, unsigned int off, uint32_t v)
{
	pthread_mutex_lock(&g->unit.lock);
	switch (off) {
	case GART_APERTURECTL:
		g->ctl = v & 0x7f;
		break;
	case GART_APERTUREBASE:
		g->base = v & 0x7fff;
		break;
	case GART_TABLEBASE:
		g->table = v & ~0xfu;
		break;
	case GART_CACHECTL:
		if (v & GART_CACHE_PTEERR)
			g->cache &= ~GART_CACHE_PTEERR;
		if (v & GART_CACHE_INV) {
			/* The flush completes before the write returns. */
			memset(g->tlb, 0, g->ntlb * sizeof(*g->tlb));
			g->unit.stats.invalidations++;
			duet_iommu_spin_ns(g->flush_ns);
		}
		break;
	}
	pthread_mutex_unlock(&g->unit.lock);
}

/* ---- the driver ---- */

struct duet_gart_drv {
	struct duet_gart *g;
	struct duet_gart_drv_config cfg;
	pthread_mutex_t lock;		/* bitmap, next_bit, need_flush */
	uint32_t *gatt;			/* the table, through the accessor */
	uint8_t *map;			/* one byte per aperture page */
	uint64_t npages, next_bit;
	int need_flush;
	struct duet_gart_drv_stats st;
};

int duet_gart_drv_open(struct duet_gart *g,
		       const struct duet_gart_drv_config *cfg,
		       struct duet_gart_drv **out)
{
	struct duet_gart_drv *d;
	uint64_t size = (32ull << 20) << cfg->order, i;
	void *p;

	*out = NULL;
	if (cfg->order > 5 || cfg->aper_base & ((32ull << 20) - 1) ||
	    cfg->aper_base + size > (1ull << 32) ||
	    cfg->gatt_pa >= GART_MAX_PHYS || cfg->gatt_pa & 0xfff)
		return -EINVAL;
	if (duet_iommu_mem_ptr(&g->unit.mem, cfg->gatt_pa, (size >> 12) * 4,
			       &p))
		return -EFAULT;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->npages = size >> 12;
	d->map = calloc(d->npages, 1);
	if (!d->map) {
		free(d);
		return -ENOMEM;
	}
	d->g = g;
	d->cfg = *cfg;
	d->gatt = p;
	pthread_mutex_init(&d->lock, NULL);
	for (i = 0; i < d->npages; i++)
		d->gatt[i] = duet_gart_pte(cfg->scratch_pa);
	/* The emergency pages: bad_dma_addr lands on scratch. */
	memset(d->map, 1, EMERGENCY_PAGES);
	duet_gart_write(g, GART_APERTUREBASE, (uint32_t)(cfg->aper_base >> 25));
	duet_gart_write(g, GART_TABLEBASE, (uint32_t)(cfg->gatt_pa >> 12) << 4);
	duet_gart_write(g, GART_APERTURECTL, GART_CTL_EN | cfg->order << 1);
	duet_gart_write(g, GART_CACHECTL, GART_CACHE_INV);
	*out = d;
	return 0;
}

void duet_gart_drv_close(struct duet_gart_drv *d)
{
	if (!d)
		return;
	duet_gart_write(d->g, GART_APERTURECTL, 0);
	pthread_mutex_destroy(&d->lock);
	free(d->map);
	free(d);
}

static int range_free(struct duet_gart_drv *d, uint64_t at, uint64_t n)
{
	uint64_t i;

	for (i = 0; i < n; i++)
		if (d->map[at + i])
			return 0;
	return 1;
}

/* Next-fit from next_bit; on failure flush and retry from 0. */
static int64_t alloc_locked(struct duet_gart_drv *d, uint64_t n)
{
	uint64_t at;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		for (at = pass ? 0 : d->next_bit; at + n <= d->npages; at++) {
			if (!range_free(d, at, n))
				continue;
			memset(d->map + at, 1, n);
			d->next_bit = at + n;
			if (d->next_bit >= d->npages) {
				d->next_bit = 0;
				d->need_flush = 1;
				d->st.wraps++;
			}
			if (d->cfg.fullflush)
				d->need_flush = 1;
			return (int64_t)at;
		}
		/* Wrapped without finding room: stale entries may go. */
		d->need_flush = 1;
		if (pass == 0)
			d->st.wraps++;
	}
	return -ENOSPC;
}

static void flush_locked(struct duet_gart_drv *d)
{
	int i;

	if (!d->need_flush)
		return;
	duet_gart_write(d->g, GART_CACHECTL, GART_CACHE_INV);
	for (i = 0; i < 1000 && (duet_gart_read(d->g, GART_CACHECTL) &
				 GART_CACHE_INV); i++)
		;
	d->need_flush = 0;
	d->st.flushes++;
}

static void set_entries(struct duet_gart_drv *d, uint64_t at, uint64_t pa,
			uint64_t n)
{
	uint64_t i;

	/* Entries are written before the flush that publishes them. */
	for (i = 0; i < n; i++)
		__atomic_store_n(&d->gatt[at + i],
				 duet_gart_pte(pa + (i << 12)),
				 __ATOMIC_RELEASE);
}

static int reaches(uint64_t pa, uint64_t size, uint64_t mask)
{
	return pa + size - 1 <= mask;
}

int duet_gart_map(struct duet_gart_drv *d, uint64_t pa, uint64_t size,
		  uint64_t mask, int force, uint64_t *dma)
{
	uint64_t off = pa & 0xfff, n = (off + size + 0xfff) >> 12;
	int64_t at;

	if (!size || pa + size > GART_MAX_PHYS)
		return -EINVAL;
	pthread_mutex_lock(&d->lock);
	if (!force && reaches(pa, size, mask)) {
		d->st.passthrough++;
		*dma = pa;
		pthread_mutex_unlock(&d->lock);
		return 0;
	}
	at = alloc_locked(d, n);
	if (at < 0) {
		d->st.overflows++;
		if (reaches(pa, size, mask)) {
			*dma = pa;
			pthread_mutex_unlock(&d->lock);
			return 0;
		}
		*dma = d->cfg.aper_base;	/* bad_dma_addr */
		pthread_mutex_unlock(&d->lock);
		return -ENOSPC;
	}
	set_entries(d, (uint64_t)at, pa - off, n);
	flush_locked(d);
	d->st.maps++;
	pthread_mutex_unlock(&d->lock);
	*dma = d->cfg.aper_base + ((uint64_t)at << 12) + off;
	return 0;
}

static void unmap_locked(struct duet_gart_drv *d, uint64_t dma, uint64_t size)
{
	uint64_t at, n, i;

	if (dma < d->cfg.aper_base ||
	    dma >= d->cfg.aper_base + (d->npages << 12))
		return;	/* passthrough: nothing to do */
	at = (dma - d->cfg.aper_base) >> 12;
	if (at < EMERGENCY_PAGES)
		return;
	n = ((dma & 0xfff) + size + 0xfff) >> 12;
	for (i = 0; i < n && at + i < d->npages; i++) {
		__atomic_store_n(&d->gatt[at + i],
				 duet_gart_pte(d->cfg.scratch_pa),
				 __ATOMIC_RELEASE);
		d->map[at + i] = 0;
	}
}

void duet_gart_unmap(struct duet_gart_drv *d, uint64_t dma, uint64_t size)
{
	pthread_mutex_lock(&d->lock);
	unmap_locked(d, dma, size);
	pthread_mutex_unlock(&d->lock);
}

int duet_gart_map_sg(struct duet_gart_drv *d, const struct duet_gart_sg *in,
		     int n, uint64_t max_seg,
		     struct duet_gart_sg *out)
{
	int i = 0, nout = 0, j;

	pthread_mutex_lock(&d->lock);
	while (i < n) {
		uint64_t pages = 0, len = 0, off = in[i].addr & 0xfff, pg;
		int64_t at;
		int k = i;

		/* Extend the chunk while the merge rules allow. */
		do {
			len += in[k].len;
			pages += ((in[k].addr & 0xfff) + in[k].len + 0xfff) >>
				 12;
			k++;
		} while (k < n && !(in[k].addr & 0xfff) &&
			 !((in[k - 1].addr + in[k - 1].len) & 0xfff) &&
			 len + in[k].len <= max_seg);
		at = alloc_locked(d, pages);
		if (at < 0) {
			d->st.overflows++;
			for (j = 0; j < nout; j++)
				unmap_locked(d, out[j].addr, out[j].len);
			pthread_mutex_unlock(&d->lock);
			return -ENOSPC;
		}
		for (pg = (uint64_t)at; i < k; i++) {
			uint64_t np = ((in[i].addr & 0xfff) + in[i].len +
				       0xfff) >> 12;

			set_entries(d, pg, in[i].addr & ~0xfffull, np);
			pg += np;
		}
		out[nout].addr = d->cfg.aper_base + ((uint64_t)at << 12) + off;
		out[nout++].len = len;
	}
	flush_locked(d);
	d->st.maps++;
	d->st.merged += (uint64_t)(n - nout);
	pthread_mutex_unlock(&d->lock);
	return nout;
}

void duet_gart_unmap_sg(struct duet_gart_drv *d,
			const struct duet_gart_sg *segs, int n)
{
	int i;

	pthread_mutex_lock(&d->lock);
	for (i = 0; i < n; i++)
		unmap_locked(d, segs[i].addr, segs[i].len);
	pthread_mutex_unlock(&d->lock);
}

void duet_gart_drv_stats(struct duet_gart_drv *d,
			 struct duet_gart_drv_stats *st)
{
	pthread_mutex_lock(&d->lock);
	*st = d->st;
	pthread_mutex_unlock(&d->lock);
}

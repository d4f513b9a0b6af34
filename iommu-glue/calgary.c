/* SPDX-License-Identifier: MIT */
/*
 * calgary.c - IBM Calgary PHBs with TCE tables, their TCE cache and
 * quiesce, error latching; and Linux's driver: a bitmap plus hint per
 * table, a cache blast (bridge quiesce) only when the allocator wraps,
 * no flush on unmap, a watchdog that disables a slot after an error.
 * Encodings in calgary.h.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "iommu-glue/calgary.h"

#define EMERGENCY_PAGES	32

struct tce_ent {
	uint64_t idx, tce;
	uint8_t valid;
};

struct phb {
	uint64_t tar;
	uint32_t aer, csr, config;
	uint64_t quiesced_at;		/* ns when arbitration went off */
	struct tce_ent *cache;
	unsigned int rr;
};

struct duet_calgary {
	struct duet_iommu_unit unit;
	struct phb phb[DUET_CAL_MAX_PHB];
	unsigned int nphb, ncache;
};

static int cal_fault(struct duet_iommu_unit *u, struct phb *p, uint32_t csr,
		     uint16_t sid, uint64_t addr, int access, uint8_t reason,
		     struct duet_iommu_fault *f)
{
	f->iova = addr;
	f->source_id = sid;
	f->access = (uint8_t)access;
	f->reason = reason;
	f->recorded = p && csr;
	if (p)
		p->csr |= csr;
	u->stats.faults++;
	return -EFAULT;
}

static int cal_translate(struct duet_iommu_unit *u, uint16_t sid,
			 uint64_t addr, size_t len, int access, uint64_t *pa,
			 struct duet_iommu_fault *f)
{
	struct duet_calgary *c = (struct duet_calgary *)u;
	unsigned int bus = sid >> 8, i;
	uint64_t idx, tce = 0, left;
	struct phb *p;
	void *e;
	int rc;

	pthread_mutex_lock(&u->lock);
	u->stats.translations++;
	if (bus >= c->nphb) {
		rc = cal_fault(u, NULL, 0, sid, addr, access,
			       DUET_CAL_FR_NOPHB, f);
		goto out;
	}
	p = &c->phb[bus];
	if ((p->config & CAL_CFG_SLOT_DISABLE) == CAL_CFG_SLOT_DISABLE) {
		rc = cal_fault(u, NULL, 0, sid, addr, access,
			       DUET_CAL_FR_DISABLED, f);
		goto out;
	}
	if (!p->aer) {
		rc = -EBUSY;	/* quiesced: the request waits */
		goto out;
	}
	if (!(p->config & CAL_CFG_TCE_ENABLE)) {
		*pa = addr;
		rc = (int)(len > 1u << 30 ? 1u << 30 : len);
		goto out;
	}
	idx = addr >> 12;
	if (idx >= CAL_TCE_ENTRIES(p->tar & 7)) {
		rc = cal_fault(u, p, CAL_CSR_RANGE, sid, addr, access,
			       DUET_CAL_FR_RANGE, f);
		goto out;
	}
	for (i = 0; i < c->ncache; i++)
		if (p->cache[i].valid && p->cache[i].idx == idx)
			break;
	if (i < c->ncache) {
		u->stats.tlb_hits++;
		tce = p->cache[i].tce;
	} else {
		u->stats.walks++;
		if (duet_iommu_mem_ptr(&u->mem,
				       (p->tar & ~0xfffull) + idx * 8, 8, &e)) {
			rc = cal_fault(u, p, CAL_CSR_BAD_TCE, sid, addr,
				       access, DUET_CAL_FR_INVALID, f);
			goto out;
		}
		tce = be64toh(__atomic_load_n((uint64_t *)e,
					      __ATOMIC_RELAXED));
		/* Only valid TCEs are cached. */
		if (tce & (CAL_TCE_READ | CAL_TCE_WRITE)) {
			i = p->rr++ % c->ncache;
			p->cache[i] = (struct tce_ent){ idx, tce, 1 };
		}
	}
	if (!(tce & (CAL_TCE_READ | CAL_TCE_WRITE))) {
		rc = cal_fault(u, p, CAL_CSR_BAD_TCE, sid, addr, access,
			       DUET_CAL_FR_INVALID, f);
		goto out;
	}
	if (!(tce & (access == DUET_IOMMU_WRITE ? CAL_TCE_WRITE :
						    CAL_TCE_READ))) {
		rc = cal_fault(u, p, CAL_CSR_PERM, sid, addr, access,
			       DUET_CAL_FR_PERM, f);
		goto out;
	}
	*pa = (tce & CAL_TCE_RPN_MASK) | (addr & 0xfff);
	left = 4096 - (addr & 0xfff);
	rc = (int)(len < left ? len : left);
out:
	pthread_mutex_unlock(&u->lock);
	return rc;
}

static const struct duet_iommu_unit_ops cal_ops = {
	.name = "calgary",
	.translate = cal_translate,
};

int duet_calgary_create(const struct duet_iommu_mem *mem, unsigned int nphb,
			unsigned int cache_entries, struct duet_calgary **out)
{
	struct duet_calgary *c;
	unsigned int i;

	*out = NULL;
	if (!nphb || nphb > DUET_CAL_MAX_PHB)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->nphb = nphb;
	c->ncache = cache_entries ? cache_entries : 64;
	for (i = 0; i < nphb; i++) {
		c->phb[i].aer = 1;
		c->phb[i].cache = calloc(c->ncache, sizeof(struct tce_ent));
		if (!c->phb[i].cache) {
			while (i--)
				free(c->phb[i].cache);
			free(c);
			return -ENOMEM;
		}
	}
	duet_iommu_unit_init(&c->unit, &cal_ops, mem);
	*out = c;
	return 0;
}

void duet_calgary_destroy(struct duet_calgary *c)
{
	unsigned int i;

	if (!c)
		return;
	for (i = 0; i < c->nphb; i++)
		free(c->phb[i].cache);
	duet_iommu_unit_fini(&c->unit);
	free(c);
}

struct duet_iommu_unit *duet_calgary_unit(struct duet_calgary *c)
{
	return &c->unit;
}

uint64_t duet_calgary_read(struct duet_calgary *c, unsigned int phb,
			   unsigned int reg)
{
	uint64_t v = 0;
	struct phb *p;

	if (phb >= c->nphb)
		return ~0ull;
	p = &c->phb[phb];
	pthread_mutex_lock(&c->unit.lock);
	switch (reg) {
	case CAL_TAR:
		v = p->tar;
		break;
	case CAL_AER:
		v = p->aer;
		break;
	case CAL_PLSSR:
		/* Translations finish under the lock: nothing in flight. */
		v = 0xff;
		break;
	case CAL_CSR:
		v = p->csr;
		break;
	case CAL_CONFIG:
		v = p->config;
		break;
	}
	pthread_mutex_unlock(&c->unit.lock);
	return v;
}

void duet_calgary_write(struct duet_calgary *c, unsigned int phb,
			unsigned int reg, uint64_t v)
{
	struct phb *p;

	if (phb >= c->nphb)
		return;
	p = &c->phb[phb];
	pthread_mutex_lock(&c->unit.lock);
	switch (reg) {
	case CAL_TAR:
		p->tar = v & ~0xff8ull;
		memset(p->cache, 0, c->ncache * sizeof(*p->cache));
		c->unit.stats.invalidations++;
		break;
	case CAL_AER:
		if (p->aer && !v) {
			p->quiesced_at = duet_iommu_now_ns();
		} else if (!p->aer && v) {
			c->unit.stats.stalls++;
			c->unit.stats.stall_ns +=
				duet_iommu_now_ns() - p->quiesced_at;
		}
		p->aer = (uint32_t)v;
		break;
	case CAL_CSR:
		p->csr = (uint32_t)v;	/* software writes 0 to clear */
		break;
	case CAL_CONFIG:
		p->config = (uint32_t)v;
		break;
	}
	pthread_mutex_unlock(&c->unit.lock);
}

int duet_calgary_phb_watchdog(struct duet_calgary *c, unsigned int phb)
{
	struct phb *p;
	int n = 0;

	if (phb >= c->nphb)
		return -EINVAL;
	p = &c->phb[phb];
	/* Check and cut off in one step: a reset cannot slip in between. */
	pthread_mutex_lock(&c->unit.lock);
	if (p->csr & CAL_CSR_AGENT_MASK) {
		/* Clear the error and disable the slot, as Linux does. */
		p->csr = 0;
		p->config |= CAL_CFG_SLOT_DISABLE;
		n = 1;
	}
	pthread_mutex_unlock(&c->unit.lock);
	return n;
}

int duet_calgary_watchdog(struct duet_calgary *c)
{
	unsigned int i;
	int n = 0;

	for (i = 0; i < c->nphb; i++)
		n += duet_calgary_phb_watchdog(c, i);
	return n;
}

int duet_calgary_slot_disabled(struct duet_calgary *c, unsigned int phb)
{
	return (duet_calgary_read(c, phb, CAL_CONFIG) & CAL_CFG_SLOT_DISABLE) ==
	       CAL_CFG_SLOT_DISABLE;
}

int duet_calgary_slot_reset(struct duet_calgary *c, unsigned int phb)
{
	struct phb *p;

	if (phb >= c->nphb)
		return -EINVAL;
	p = &c->phb[phb];
	pthread_mutex_lock(&c->unit.lock);
	p->csr = 0;
	p->config &= ~CAL_CFG_SLOT_DISABLE;
	pthread_mutex_unlock(&c->unit.lock);
	return 0;
}

/* ---- the driver ---- */

struct duet_calgary_drv {
	struct duet_calgary *c;
	struct duet_calgary_drv_config cfg;
	pthread_mutex_t lock;		/* bitmap, hint */
	uint64_t *table;		/* TCEs, big-endian */
	uint8_t *map;
	uint64_t n, hint;
	struct duet_calgary_drv_stats st;
};

int duet_calgary_drv_open(struct duet_calgary *c,
			  const struct duet_calgary_drv_config *cfg,
			  struct duet_calgary_drv **out)
{
	uint64_t n = CAL_TCE_ENTRIES(cfg->size_code), i;
	struct duet_calgary_drv *d;
	void *t;

	*out = NULL;
	if (cfg->phb >= c->nphb || cfg->size_code > 7 ||
	    cfg->table_pa & (n * 8 - 1))
		return -EINVAL;
	if (duet_iommu_mem_ptr(&c->unit.mem, cfg->table_pa, n * 8, &t))
		return -EFAULT;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->map = calloc(n, 1);
	if (!d->map) {
		free(d);
		return -ENOMEM;
	}
	d->c = c;
	d->cfg = *cfg;
	if (!d->cfg.quiesce_ns)
		d->cfg.quiesce_ns = 50 * 1000;
	if (!d->cfg.win_hi || d->cfg.win_hi > n)
		d->cfg.win_hi = n;
	if (d->cfg.win_lo >= d->cfg.win_hi) {
		free(d->map);
		free(d);
		return -EINVAL;
	}
	d->hint = d->cfg.win_lo;
	d->table = t;
	d->n = n;
	pthread_mutex_init(&d->lock, NULL);
	memset(t, 0, n * 8);
	memset(d->map, 1, EMERGENCY_PAGES);
	/* 640 KiB .. 1 MiB: BIOS and VGA, never translated. */
	for (i = 0xa0; i < 0x100; i++)
		d->map[i] = 1;
	duet_calgary_write(c, cfg->phb, CAL_TAR,
			   cfg->table_pa | cfg->size_code);
	/* A new driver starts from a clean slot: no latched error. */
	duet_calgary_write(c, cfg->phb, CAL_CSR, 0);
	duet_calgary_write(c, cfg->phb, CAL_CONFIG, CAL_CFG_TCE_ENABLE);
	*out = d;
	return 0;
}

void duet_calgary_drv_close(struct duet_calgary_drv *d)
{
	if (!d)
		return;
	duet_calgary_write(d->c, d->cfg.phb, CAL_CONFIG, 0);
	pthread_mutex_destroy(&d->lock);
	free(d->map);
	free(d);
}

/*
 * Flush the PHB's TCE cache as Linux's calgary_tce_cache_blast: turn
 * arbitration off (DMA behind the bridge stalls), wait for the split
 * queue to drain, rewrite TAR, hold for the quiesce time, turn it on.
 */
static void blast_locked(struct duet_calgary_drv *d)
{
	struct duet_calgary *c = d->c;
	unsigned int phb = d->cfg.phb;
	struct timespec ts = { 0, (long)d->cfg.quiesce_ns };
	int i;

	duet_calgary_write(c, phb, CAL_AER, 0);
	for (i = 0; i < 100; i++)
		if ((duet_calgary_read(c, phb, CAL_PLSSR) & 0xff) == 0xff)
			break;
	duet_calgary_write(c, phb, CAL_TAR,
			   duet_calgary_read(c, phb, CAL_TAR));
	nanosleep(&ts, NULL);
	duet_calgary_write(c, phb, CAL_AER, 1);
	d->st.blasts++;
}

static int64_t find_locked(struct duet_calgary_drv *d, uint64_t start,
			   uint64_t npages)
{
	uint64_t at, k;

	if (start < d->cfg.win_lo)
		start = d->cfg.win_lo;
	for (at = start; at + npages <= d->cfg.win_hi; at++) {
		for (k = 0; k < npages && !d->map[at + k]; k++)
			;
		if (k == npages)
			return (int64_t)at;
		at += k;
	}
	return -ENOSPC;
}

/* An IO range of np TCEs from the hint, wrapping once through a cache
 * blast; d->lock held.  The index or -ENOSPC. */
static int64_t alloc_locked(struct duet_calgary_drv *d, uint64_t np)
{
	int64_t at = find_locked(d, d->hint, np);

	if (at < 0) {
		/* Wrapping: stale TCEs below the hint must leave the cache. */
		blast_locked(d);
		at = find_locked(d, 0, np);
	}
	if (at < 0) {
		d->st.overflows++;
		return -ENOSPC;
	}
	memset(d->map + at, 1, np);
	d->hint = (uint64_t)at + np;
	return at;
}

static void put_tce(struct duet_calgary_drv *d, uint64_t idx, uint64_t page,
		    int prot)
{
	uint64_t tce = (page & CAL_TCE_RPN_MASK) | CAL_TCE_READ |
		       ((prot & DUET_IOMMU_WRITE) ? CAL_TCE_WRITE : 0);

	/* The TCE is in memory before the IO address is handed out (the
	 * unit's load in cal_translate() comes after a device got it). */
	__atomic_store_n(&d->table[idx], htobe64(tce), __ATOMIC_RELEASE);
}

/* ---- PAPR's TCE hypercalls ---- */

/* H_PUT_TCE for this driver's table; d->lock held. */
static long h_put_locked(struct duet_calgary_drv *d, uint64_t ioba,
			 uint64_t tce)
{
	uint64_t idx = ioba >> 12, page = tce & CAL_TCE_RPN_MASK, old;
	uint64_t rw = tce & (DUET_PAPR_TCE_READ | DUET_PAPR_TCE_WRITE);

	if (ioba & 0xfff || idx >= d->n || tce & ~(CAL_TCE_RPN_MASK | rw))
		return DUET_H_PARAMETER;
	if (rw && d->cfg.may_map && !d->cfg.may_map(d->cfg.may_opaque, page))
		return DUET_H_PRIVILEGE;
	old = be64toh(d->table[idx]);
	/* The entry is in memory before the call returns and the partition
	 * hands the IO address out (pairs with the unit's load in
	 * cal_translate(), which follows a device's use of it). */
	__atomic_store_n(&d->table[idx], rw ? htobe64(page | rw) : 0,
			 __ATOMIC_RELEASE);
	if ((old & CAL_TCE_WRITE && !(rw & CAL_TCE_WRITE)) ||
	    (old & CAL_TCE_READ && !(rw & CAL_TCE_READ)) ||
	    (old & (CAL_TCE_READ | CAL_TCE_WRITE) && rw &&
	     (old & CAL_TCE_RPN_MASK) != page))
		blast_locked(d);
	d->st.hcalls++;
	return DUET_H_SUCCESS;
}

long duet_calgary_h_put_tce(struct duet_calgary_drv *d, uint64_t liobn,
			    uint64_t ioba, uint64_t tce)
{
	long h;

	if (liobn != d->cfg.phb)
		return DUET_H_PARAMETER;
	pthread_mutex_lock(&d->lock);
	h = h_put_locked(d, ioba, tce);
	pthread_mutex_unlock(&d->lock);
	return h;
}

long duet_calgary_h_get_tce(struct duet_calgary_drv *d, uint64_t liobn,
			    uint64_t ioba, uint64_t *tce)
{
	if (liobn != d->cfg.phb || ioba & 0xfff || ioba >> 12 >= d->n)
		return DUET_H_PARAMETER;
	/* A snapshot for the partition: relaxed, it orders nothing. */
	*tce = be64toh(__atomic_load_n(&d->table[ioba >> 12],
				       __ATOMIC_RELAXED)) &
	       (CAL_TCE_RPN_MASK | CAL_TCE_READ | CAL_TCE_WRITE);
	return DUET_H_SUCCESS;
}

int duet_calgary_h_errno(long h)
{
	if (h == DUET_H_SUCCESS)
		return 0;
	if (h == DUET_H_PARAMETER)
		return -EINVAL;
	return h == DUET_H_PRIVILEGE ? -EPERM : -EIO;
}

/* Write the TCE at idx: directly, or through H_PUT_TCE.  0 or -errno;
 * d->lock held. */
static int tce_write(struct duet_calgary_drv *d, uint64_t idx, uint64_t page,
		     int prot)
{
	if (!d->cfg.papr) {
		put_tce(d, idx, page, prot);
		return 0;
	}
	return duet_calgary_h_errno(h_put_locked(d, idx << 12,
		(page & CAL_TCE_RPN_MASK) | CAL_TCE_READ |
		((prot & DUET_IOMMU_WRITE) ? CAL_TCE_WRITE : 0)));
}

static void tce_clear(struct duet_calgary_drv *d, uint64_t idx)
{
	if (d->cfg.papr)
		h_put_locked(d, idx << 12, 0);
	else	/* release, as put_tce(): the unit's next load sees it */
		__atomic_store_n(&d->table[idx], 0, __ATOMIC_RELEASE);
}

/* Undo a partial map of n pages at at; d->lock held. */
static void map_undo(struct duet_calgary_drv *d, uint64_t at, uint64_t done,
		     uint64_t n)
{
	uint64_t i;

	for (i = 0; i < done; i++)
		tce_clear(d, at + i);
	memset(d->map + at, 0, n);
}

int duet_calgary_map(struct duet_calgary_drv *d, uint64_t pa, uint64_t size,
		     int prot, uint64_t *dma)
{
	uint64_t off = pa & 0xfff, np = (off + size + 0xfff) >> 12, i;
	int64_t at;

	if (!size || pa + size > (1ull << 48))
		return -EINVAL;
	pthread_mutex_lock(&d->lock);
	at = alloc_locked(d, np);
	if (at < 0) {
		pthread_mutex_unlock(&d->lock);
		return -ENOSPC;
	}
	for (i = 0; i < np; i++) {
		int rc = tce_write(d, (uint64_t)at + i, pa - off + (i << 12),
				   prot);

		if (rc < 0) {
			map_undo(d, (uint64_t)at, i, np);
			pthread_mutex_unlock(&d->lock);
			return rc;
		}
	}
	d->st.maps++;
	pthread_mutex_unlock(&d->lock);
	*dma = ((uint64_t)at << 12) | off;
	return 0;
}

int duet_calgary_map_pages(struct duet_calgary_drv *d, const uint64_t *pas,
			   unsigned int n, unsigned int offset, int prot,
			   uint64_t *dma)
{
	unsigned int i;
	int64_t at;

	if (!n || offset > 0xfff)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (pas[i] & 0xfff || pas[i] >= 1ull << 48)
			return -EINVAL;
	pthread_mutex_lock(&d->lock);
	at = alloc_locked(d, n);
	if (at < 0) {
		pthread_mutex_unlock(&d->lock);
		return -ENOSPC;
	}
	for (i = 0; i < n; i++) {
		int rc = tce_write(d, (uint64_t)at + i, pas[i], prot);

		if (rc < 0) {
			map_undo(d, (uint64_t)at, i, n);
			pthread_mutex_unlock(&d->lock);
			return rc;
		}
	}
	d->st.maps++;
	pthread_mutex_unlock(&d->lock);
	*dma = ((uint64_t)at << 12) | offset;
	return 0;
}

int duet_calgary_tce_set(struct duet_calgary_drv *d, uint64_t dma,
			 uint64_t pa, int prot)
{
	uint64_t idx = dma >> 12, old;

	if (dma & 0xfff || pa & 0xfff || pa >= 1ull << 48 || idx >= d->n)
		return -EINVAL;
	pthread_mutex_lock(&d->lock);
	if (!d->map[idx] || idx < d->cfg.win_lo || idx >= d->cfg.win_hi) {
		pthread_mutex_unlock(&d->lock);
		return -EINVAL;
	}
	if (d->cfg.papr) {
		/* The hypervisor flushes what the call takes away. */
		int rc = prot ? tce_write(d, idx, pa, prot) : 0;

		if (!prot)
			tce_clear(d, idx);
		pthread_mutex_unlock(&d->lock);
		return rc;
	}
	old = be64toh(d->table[idx]);
	if (prot)
		put_tce(d, idx, pa, prot);
	else
		__atomic_store_n(&d->table[idx], 0, __ATOMIC_RELEASE);
	/* A right taken away may still sit in the TCE cache, and an entry
	 * cached without a right just given would refuse the access. */
	if ((old & CAL_TCE_WRITE && !(prot & DUET_IOMMU_WRITE)) ||
	    (!(old & CAL_TCE_WRITE) && prot & DUET_IOMMU_WRITE) ||
	    (old & CAL_TCE_READ && !prot) ||
	    (old & CAL_TCE_RPN_MASK) != (pa & CAL_TCE_RPN_MASK))
		blast_locked(d);
	pthread_mutex_unlock(&d->lock);
	return 0;
}

void duet_calgary_unmap(struct duet_calgary_drv *d, uint64_t dma,
			uint64_t size)
{
	uint64_t at = dma >> 12, np = ((dma & 0xfff) + size + 0xfff) >> 12, i;

	pthread_mutex_lock(&d->lock);
	for (i = 0; i < np && at + i < d->n; i++) {
		tce_clear(d, at + i);
		d->map[at + i] = 0;
	}
	d->st.unmaps++;
	pthread_mutex_unlock(&d->lock);
}

void duet_calgary_drv_stats(struct duet_calgary_drv *d,
			    struct duet_calgary_drv_stats *st)
{
	pthread_mutex_lock(&d->lock);
	*st = d->st;
	pthread_mutex_unlock(&d->lock);
}

/* SPDX-License-Identifier: MIT */
/*
 * dma-iommu.c - the hardware IOMMU models (gart.c, calgary.c, vtd.c with
 * vtd-drv.c) as DMA backends: "gart", "calgary", "vtd-strict" and
 * "vtd-lazy".
 *
 * The models walk the machine of the DMA layer (struct duet_dma_mem):
 * their physical addresses are machine addresses, read through
 * dma_mem_iommu_access().  Their own tables live in machine frames that
 * belong to no domain (DMA_OWNER_IOMMU), which no backend ever maps and
 * frame_set refuses, so no device can reach an IOMMU's tables.
 *
 * Hardware per machine, as on a real one:
 *   gart:    one northbridge GART and one aperture for every device of
 *            the machine; no isolation (see below).
 *   calgary: one chip; each DMA domain gets a PHB (bus = PHB number) with
 *            its own TCE table, so isolation is per domain (a bridge).
 *   vtd:     one remapping unit; each DMA domain gets one VT-d domain per
 *            mode (Xen's "dom0-strict" for every domain: the context holds
 *            what the domain mapped and the grants it holds, nothing else),
 *            every device its own source id pointing at it.
 * Bus address layout.
 *   vtd:     grants given by frame_set sit at dfn = mfn (as Xen maps a PV
 *            domain), so [0, machine end) is the dfn range and the DMA
 *            API's IOVAs must lie elsewhere: a high window above the
 *            machine ([max(machine end, 1 MiB), +window)) and, when that
 *            window leaves a 32-bit device less than 256 MiB below 4 GiB,
 *            the hole: 256 MiB of machine frames at or above 16 MiB,
 *            2 MiB aligned, reserved once per machine for the IOMMU
 *            (unbacked, owned by no domain, like a PCI hole), so no RAM or
 *            grant frame, hence no dfn, is ever there.  Each mapping's
 *            IOVA lies below the device's DMA mask: the hole first, then
 *            the high window (Linux's 32-bit-first order for PCI
 *            devices).  Full below the mask: -ENOSPC; no window below the
 *            mask at all: -EIO.  A grant frame above a device's mask is
 *            out of its reach (dfn = mfn), as on Xen.
 *   calgary: the TCE table covers the machine (the smallest size code
 *            whose IO space holds every machine frame, at most code 7:
 *            4 GiB) and all of it but Linux's reserved pages is one
 *            allocator window for the DMA API and grants alike: a granted
 *            frame gets a TCE at an allocated IO page, recorded per frame
 *            and PHB (frame_set returns it), not at dfn = mfn, so any
 *            frame of any machine size can be granted; its rights change
 *            in place and the last user frees it (frame_set_locked()).
 *            The watchdog: cal_watchdog().
 *
 * GART and isolation: the GART has no permissions and no per-device
 * tables, so it has no frame_set: the grant glue bounces every grant
 * through a slot of the driver domain's own swiotlb and maps that slot
 * (through the aperture, or passed through when the device reaches it).
 * The aperture therefore only ever holds bounce slots and buffers of the
 * driver domain, never a granted frame, and a grant's data reaches the
 * device only as a copy the glue made after the grant table said yes.
 * What it does NOT protect against: a device may use any aperture entry,
 * including another device's bounce slots behind the same GART (the
 * domain's own data), and stale GART TLB entries until the next flush.
 * Outside the aperture, as for "direct", the adapter lets a device reach
 * only what was mapped for it (reach table); inside, it refuses a write
 * to a page mapped TO_DEVICE (Linux's dma-debug check: the GART itself
 * would let it through) and treats the scratch page as a fault.
 *
 * Faults map to the API's errors: a write the entry does not allow
 * (VT-d reason 5 on a present readable entry, Calgary PERM, GART's
 * TO_DEVICE page) is -EACCES; everything else -EFAULT.
 *
 * Options (duet_dma_dev_create() @opts, comma separated): "force" (gart:
 * aperture even where the device reaches the buffer); "fullflush" (gart:
 * flush on every map); "window=N" (calgary: N pages of bus space for
 * maps and grants; vtd: for the DMA API in each of its two windows);
 * "fq=N", "timeout_ms=N" (vtd-lazy flush queue size and
 * age; the tick thread flushes within timeout + timeout / 2);
 * "quiesce_us=N" (calgary); "papr" (calgary: the table is written only
 * through PAPR's H_PUT_TCE, one page per call, see calgary.h: unmaps and
 * grant removals are strict, every other rule the same); "inv_ns=N"
 * (vtd: each invalidation request keeps the unit busy N ns; gart: each
 * flush; as hardware takes time to do them; default 0, the models' own
 * software cost only).  Settings of
 * shared hardware (a PHB, a VT-d domain, the GART) are taken from the
 * device that creates it.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "iommu-glue/calgary.h"
#include "iommu-glue/dma-iommu.h"
#include "iommu-glue/gart.h"
#include "iommu-glue/vtd.h"

enum kind { K_GART, K_CALGARY, K_VTD_STRICT, K_VTD_LAZY };

#define PAGES_4G	(1ull << (32 - DUET_DMA_FRAME_SHIFT))
#define VTD_HOLE_PAGES	65536ull	/* 256 MiB of 32-bit IOVA space */
#define VTD_HOLE_LO	4096ull		/* at or above 16 MiB */

/* A run of machine frames a model holds, and its host pages. */
struct tpages {
	unsigned char *host;
	uint64_t first, n;
};

/* One frame a device was given by frame_set. */
struct fset {
	uint64_t mfn;
	struct duet_dma_dev *dev;
	unsigned prot;
	uint64_t bus;            /* where the context maps the frame */
};

/* An isolation context: a Calgary PHB or a VT-d domain of a DMA domain. */
struct ictx {
	struct ictx *next;
	enum kind kind;
	struct duet_dma_domain *dom;
	unsigned refs;           /* devices attached */
	unsigned ndev;           /* source ids handed out */
	uint64_t win_lo, win_hi; /* DMA API bus pages */
	uint64_t w32_lo, w32_hi; /* vtd: the window below 4 GiB (or 0, 0) */
	uint64_t disables;       /* calgary: slots the watchdog cut off (a
				  * relaxed counter: orders nothing) */
	unsigned phb;            /* calgary */
	struct tpages table;     /* calgary: the TCE table */
	struct duet_calgary_drv *cal;
	struct duet_vtd_dom *vd; /* vtd */
	struct fset *fs;         /* under hw->lock */
	size_t nfs, capfs;
};

struct dma_iommu_hw {
	pthread_mutex_t lock;    /* contexts, frame_set, tick state */
	struct duet_dma_mem *mem;
	struct duet_iommu_mem imem;
	unsigned users;          /* devices attached */
	struct ictx *ctx;
	/* gart */
	struct duet_gart *gart;
	struct duet_gart_drv *gdrv;
	struct tpages gatt, scratch, aper;
	uint64_t aper_base, aper_pages;
	uint8_t *aper_prot;      /* per aperture page, under aper_lock */
	pthread_mutex_t aper_lock;
	/* calgary */
	struct duet_calgary *cal;
	unsigned phb_used;       /* bit per PHB */
	/* vtd */
	struct duet_vtd *vtd;
	struct duet_vtd_drv *vdrv;
	struct duet_vtd_hwif vhw;
	uint16_t next_did;
	unsigned nsid;
	struct tpages hole;      /* the 32-bit IOVA window (unbacked) */
	uint64_t page_hint;      /* where the next table frame is looked for */
	pthread_t ticker;
	int ticking, stop;
	pthread_cond_t tick_cv;
	uint64_t tick_ns;        /* the shortest lazy timeout / 2 */
};

/* Per device. */
struct iodev {
	struct duet_dma_dev *dev;
	struct dma_iommu_hw *hw;
	struct ictx *ctx;        /* NULL for gart */
	enum kind kind;
	uint16_t sid;
	int force;
	struct dma_reach reach;  /* gart passthrough */
	struct dma_maplist maps;
};

struct opts {
	int force, fullflush, papr;
	uint64_t window, fq, timeout_ms, quiesce_us, inv_ns;
};

/* hw creation and teardown: one at a time per process. */
static pthread_mutex_t hw_lock = PTHREAD_MUTEX_INITIALIZER;

/* ------------------------------------------------------------------ */
/* Options, frames                                                     */
/* ------------------------------------------------------------------ */

static int parse_opts(const char *s, struct opts *o)
{
	char buf[128], *tok, *save, *eq, *end;
	unsigned long long v;

	memset(o, 0, sizeof(*o));
	if (!s || !*s)
		return 0;
	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "force")) {
			o->force = 1;
			continue;
		}
		if (!strcmp(tok, "fullflush")) {
			o->fullflush = 1;
			continue;
		}
		if (!strcmp(tok, "papr")) {
			o->papr = 1;
			continue;
		}
		eq = strchr(tok, '=');
		if (!eq || !eq[1] || eq[1] < '0' || eq[1] > '9')
			return -EINVAL;
		*eq = 0;
		v = strtoull(eq + 1, &end, 10);
		if (*end || !v)
			return -EINVAL;
		if (!strcmp(tok, "window"))
			o->window = v;
		else if (!strcmp(tok, "fq"))
			o->fq = v;
		else if (!strcmp(tok, "timeout_ms"))
			o->timeout_ms = v;
		else if (!strcmp(tok, "quiesce_us"))
			o->quiesce_us = v;
		else if (!strcmp(tok, "inv_ns"))
			o->inv_ns = v;
		else
			return -EINVAL;
	}
	return 0;
}

/* @n zeroed host pages on machine frames of no domain in [lo, hi). */
static int tpages_get(struct dma_iommu_hw *hw, uint64_t n, uint64_t align,
		      uint64_t lo, uint64_t hi, struct tpages *t)
{
	int rc;

	t->host = aligned_alloc(FRAME_SIZE, n * FRAME_SIZE);
	if (!t->host)
		return -ENOMEM;
	memset(t->host, 0, n * FRAME_SIZE);
	rc = dma_mem_take_iommu(hw->mem, n, align, lo, hi, t->host, &t->first);
	if (rc < 0) {
		free(t->host);
		t->host = NULL;
		return rc;
	}
	t->n = n;
	return 0;
}

static void tpages_put(struct dma_iommu_hw *hw, struct tpages *t)
{
	if (!t->n)
		return;
	dma_mem_give_iommu(hw->mem, t->first, t->n);
	free(t->host);
	memset(t, 0, sizeof(*t));
}

/* The VT-d driver's table pages: one frame each, never frame 0 (the
 * driver takes physical address 0 for "no table"). */
static int vpage_alloc(void *opaque, uint64_t *pa)
{
	struct dma_iommu_hw *hw = opaque;
	struct tpages t;
	int rc;

	rc = tpages_get(hw, 1, 1, hw->page_hint ? hw->page_hint : 1,
			hw->mem->nframes, &t);
	if (rc == -ENOSPC)
		rc = tpages_get(hw, 1, 1, 1, hw->mem->nframes, &t);
	if (rc < 0)
		return -ENOMEM;
	hw->page_hint = t.first + 1;
	*pa = t.first << DUET_DMA_FRAME_SHIFT;
	return 0;
}

static void vpage_free(void *opaque, uint64_t pa)
{
	struct dma_iommu_hw *hw = opaque;
	struct tpages t = { .first = pa >> DUET_DMA_FRAME_SHIFT, .n = 1 };

	t.host = dma_mem_host(hw->mem, pa & ~(uint64_t)(FRAME_SIZE - 1));
	tpages_put(hw, &t);
}

/*
 * Machine frames of [cpu, +size): *@contig 1 when they follow each
 * other.  Only frames of @dev's own domain: -EACCES for another's,
 * -EFAULT for memory no device can address.  @pas has room for npages.
 */
static int frames_of(struct iodev *io, void *cpu, size_t size, uint64_t *pas,
		     unsigned npages, int *contig)
{
	duet_domid_t want = duet_dma_domain_id(duet_dma_dev_domain(io->dev));
	unsigned char *p = cpu;
	duet_domid_t owner;
	uint64_t m;
	unsigned i;
	int rc;

	*contig = 1;
	for (i = 0; i < npages; i++) {
		rc = duet_dma_virt_to_maddr(io->hw->mem,
					    p + (size_t)i * FRAME_SIZE -
					    (i ? ((uintptr_t)p &
						  (FRAME_SIZE - 1)) : 0),
					    &m, &owner, NULL);
		if (rc < 0)
			return rc;
		if (owner != want)
			return -EACCES;
		pas[i] = m & ~(uint64_t)(FRAME_SIZE - 1);
		if (i && pas[i] != pas[i - 1] + FRAME_SIZE)
			*contig = 0;
	}
	return 0;
}

static unsigned npages_of(const void *cpu, size_t size)
{
	return (unsigned)((((uintptr_t)cpu & (FRAME_SIZE - 1)) + size +
			   FRAME_SIZE - 1) / FRAME_SIZE);
}

/* ------------------------------------------------------------------ */
/* The machine's hardware                                              */
/* ------------------------------------------------------------------ */

static void *ticker_main(void *arg);

void dma_iommu_hw_destroy(struct dma_iommu_hw *hw)
{
	if (!hw)
		return;
	if (hw->ticking) {
		pthread_mutex_lock(&hw->lock);
		hw->stop = 1;
		pthread_cond_signal(&hw->tick_cv);
		pthread_mutex_unlock(&hw->lock);
		pthread_join(hw->ticker, NULL);
	}
	duet_gart_drv_close(hw->gdrv);
	duet_gart_destroy(hw->gart);
	tpages_put(hw, &hw->gatt);
	tpages_put(hw, &hw->scratch);
	if (hw->aper.n)
		dma_mem_give_iommu(hw->mem, hw->aper.first, hw->aper.n);
	if (hw->hole.n)
		dma_mem_give_iommu(hw->mem, hw->hole.first, hw->hole.n);
	free(hw->aper_prot);
	duet_calgary_destroy(hw->cal);
	duet_vtd_drv_close(hw->vdrv);
	duet_vtd_destroy(hw->vtd);
	pthread_cond_destroy(&hw->tick_cv);
	pthread_mutex_destroy(&hw->aper_lock);
	pthread_mutex_destroy(&hw->lock);
	free(hw);
}

/* The GART with its aperture: 32 MiB, 32 MiB aligned below 4 GiB, on
 * bus addresses no domain's frame uses (reserved, unbacked). */
static int gart_up(struct dma_iommu_hw *hw, int fullflush)
{
	struct duet_gart_drv_config c = { .order = 0 };
	uint64_t pages = (32ull << 20) >> DUET_DMA_FRAME_SHIFT;
	int rc;

	rc = dma_mem_take_iommu(hw->mem, pages, pages, pages,
				(4ull << 30) >> DUET_DMA_FRAME_SHIFT, NULL,
				&hw->aper.first);
	if (rc < 0)
		return rc;
	hw->aper.n = pages;
	hw->aper_base = hw->aper.first << DUET_DMA_FRAME_SHIFT;
	hw->aper_pages = pages;
	hw->aper_prot = calloc(pages, 1);
	if (!hw->aper_prot)
		return -ENOMEM;
	rc = tpages_get(hw, pages * 4 / FRAME_SIZE, 1, 0, hw->mem->nframes,
			&hw->gatt);
	if (rc == 0)
		rc = tpages_get(hw, 1, 1, 0, hw->mem->nframes, &hw->scratch);
	if (rc == 0)
		rc = duet_gart_create(&hw->imem, 0, &hw->gart);
	if (rc < 0)
		return rc;
	c.aper_base = hw->aper_base;
	c.gatt_pa = hw->gatt.first << DUET_DMA_FRAME_SHIFT;
	c.scratch_pa = hw->scratch.first << DUET_DMA_FRAME_SHIFT;
	c.fullflush = fullflush;
	return duet_gart_drv_open(hw->gart, &c, &hw->gdrv);
}

static int vtd_up(struct dma_iommu_hw *hw)
{
	struct duet_vtd_config c = { .aw_bits = 48, .nfr = 8 };
	struct duet_vtd_pages pg = { vpage_alloc, vpage_free, hw };
	int rc;

	rc = duet_vtd_create(&c, &hw->imem, &hw->vtd);
	if (rc < 0)
		return rc;
	duet_vtd_hwif_model(hw->vtd, &hw->vhw);
	return duet_vtd_drv_open(&hw->vhw, &hw->imem, &pg, 1, &hw->vdrv);
}

/* The machine's models, made on first use.  hw_lock held. */
static int hw_get(struct duet_dma_mem *m, enum kind k, const struct opts *o,
		  struct dma_iommu_hw **out)
{
	struct dma_iommu_hw *hw = m->iommu;
	int rc = 0;

	if (!hw) {
		hw = calloc(1, sizeof(*hw));
		if (!hw)
			return -ENOMEM;
		hw->mem = m;
		hw->imem.access = dma_mem_iommu_access;
		hw->imem.opaque = m;
		hw->next_did = 1;
		pthread_mutex_init(&hw->lock, NULL);
		pthread_mutex_init(&hw->aper_lock, NULL);
		pthread_cond_init(&hw->tick_cv, NULL);
		m->iommu = hw;
	}
	if (k == K_GART && !hw->gdrv)
		rc = gart_up(hw, o->fullflush);
	else if (k == K_CALGARY && !hw->cal)
		rc = duet_calgary_create(&hw->imem, DUET_CAL_MAX_PHB, 0,
					 &hw->cal);
	else if ((k == K_VTD_STRICT || k == K_VTD_LAZY) && !hw->vdrv)
		rc = vtd_up(hw);
	if (rc < 0) {
		if (!hw->users) {
			m->iommu = NULL;
			dma_iommu_hw_destroy(hw);
		}
		return rc;
	}
	*out = hw;
	return 0;
}

static void hw_put(struct dma_iommu_hw *hw)
{
	if (--hw->users)
		return;
	hw->mem->iommu = NULL;
	dma_iommu_hw_destroy(hw);
}

/* ------------------------------------------------------------------ */
/* Contexts                                                            */
/* ------------------------------------------------------------------ */

static void ctx_free(struct dma_iommu_hw *hw, struct ictx *c)
{
	if (c->cal) {
		duet_calgary_drv_close(c->cal);
		hw->phb_used &= ~(1u << c->phb);
	}
	if (c->vd)
		duet_vtd_dom_destroy(c->vd);
	tpages_put(hw, &c->table);
	free(c->fs);
	free(c);
}

/* PAPR's privilege check: a page of some domain (RAM or a granted
 * frame), never an IOMMU table or a free frame. */
static int papr_may_map(void *opaque, uint64_t pa)
{
	return dma_mem_owner(opaque, pa >> DUET_DMA_FRAME_SHIFT) >= 0;
}

/* A PHB for domain c->dom: table size and window as said on top. */
static int ctx_calgary(struct dma_iommu_hw *hw, struct ictx *c,
		       const struct opts *o)
{
	struct duet_calgary_drv_config cc = { 0 };
	uint64_t nf = hw->mem->nframes, n;
	unsigned code = 0;
	int rc;

	while (code < 7 && CAL_TCE_ENTRIES(code) < nf)
		code++;
	n = CAL_TCE_ENTRIES(code);
	for (c->phb = 0; c->phb < DUET_CAL_MAX_PHB; c->phb++)
		if (!(hw->phb_used & (1u << c->phb)))
			break;
	if (c->phb == DUET_CAL_MAX_PHB)
		return -ENOSPC;
	rc = tpages_get(hw, n * 8 / FRAME_SIZE, n * 8 / FRAME_SIZE, 0, nf,
			&c->table);
	if (rc < 0)
		return rc;
	c->win_lo = 0;
	c->win_hi = o->window && o->window < n ? o->window : n;
	cc.phb = c->phb;
	cc.table_pa = c->table.first << DUET_DMA_FRAME_SHIFT;
	cc.size_code = code;
	cc.quiesce_ns = o->quiesce_us * 1000;
	cc.win_lo = c->win_lo;
	cc.win_hi = c->win_hi;
	cc.papr = o->papr;
	cc.may_map = papr_may_map;
	cc.may_opaque = hw->mem;
	rc = duet_calgary_drv_open(hw->cal, &cc, &c->cal);
	if (rc == 0)
		hw->phb_used |= 1u << c->phb;
	return rc;
}

static int ctx_vtd(struct dma_iommu_hw *hw, struct ictx *c,
		   const struct opts *o)
{
	struct duet_vtd_dom_config vc = { .aw = 2 };
	uint64_t timeout;

	vc.did = hw->next_did++;
	vc.mode = c->kind == K_VTD_LAZY ? DUET_VTD_LAZY : DUET_VTD_STRICT;
	vc.fq_size = (unsigned)o->fq;
	vc.fq_timeout_ns = o->timeout_ms * 1000000;
	c->win_lo = hw->mem->nframes > 256 ? hw->mem->nframes : 256;
	c->win_hi = c->win_lo + (o->window ? o->window : 1ull << 20);
	vc.iova_base = c->win_lo << DUET_DMA_FRAME_SHIFT;
	vc.iova_limit = c->win_hi << DUET_DMA_FRAME_SHIFT;
	/* The hole, once per machine, when the window above the machine
	 * leaves a 32-bit device too little (see the top of this file). */
	if (c->win_lo + VTD_HOLE_PAGES > PAGES_4G && !hw->hole.n &&
	    dma_mem_take_iommu(hw->mem, VTD_HOLE_PAGES, 512, VTD_HOLE_LO,
			       PAGES_4G < hw->mem->nframes ?
				       PAGES_4G : hw->mem->nframes,
			       NULL, &hw->hole.first) == 0)
		hw->hole.n = VTD_HOLE_PAGES;
	if (c->win_lo + VTD_HOLE_PAGES > PAGES_4G && hw->hole.n) {
		c->w32_lo = hw->hole.first;
		c->w32_hi = c->w32_lo + (o->window && o->window < hw->hole.n ?
					 o->window : hw->hole.n);
		vc.iova32_base = c->w32_lo << DUET_DMA_FRAME_SHIFT;
		vc.iova32_limit = c->w32_hi << DUET_DMA_FRAME_SHIFT;
	}
	if (c->kind == K_VTD_LAZY) {
		timeout = vc.fq_timeout_ns ? vc.fq_timeout_ns : 10000000;
		pthread_mutex_lock(&hw->lock);
		if (!hw->tick_ns || timeout / 2 < hw->tick_ns)
			hw->tick_ns = timeout / 2;
		pthread_mutex_unlock(&hw->lock);
	}
	return duet_vtd_dom_create(hw->vdrv, &vc, &c->vd);
}

/* The context of (@dom, @k), made on first use.  hw_lock held. */
static int ctx_get(struct dma_iommu_hw *hw, struct duet_dma_domain *dom,
		   enum kind k, const struct opts *o, struct ictx **out)
{
	struct ictx *c;
	int rc;

	for (c = hw->ctx; c; c = c->next)
		if (c->dom == dom && c->kind == k)
			goto found;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->kind = k;
	c->dom = dom;
	rc = k == K_CALGARY ? ctx_calgary(hw, c, o) : ctx_vtd(hw, c, o);
	if (rc < 0) {
		ctx_free(hw, c);
		return rc;
	}
	pthread_mutex_lock(&hw->lock);
	c->next = hw->ctx;
	hw->ctx = c;
	pthread_mutex_unlock(&hw->lock);
found:
	c->refs++;
	*out = c;
	return 0;
}

static void ctx_put(struct dma_iommu_hw *hw, struct ictx *c)
{
	struct ictx **pp;

	if (--c->refs)
		return;
	pthread_mutex_lock(&hw->lock);
	for (pp = &hw->ctx; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	pthread_mutex_unlock(&hw->lock);
	ctx_free(hw, c);
}

/*
 * The lazy flush timer: every tick_ns each lazy VT-d domain flushes its
 * queue if the oldest entry is older than its timeout, so an unmapped
 * IOVA leaves the IOTLB within timeout + tick_ns even when no further
 * map or unmap comes (the high-water flush is the driver's own).
 */
static void *ticker_main(void *arg)
{
	struct dma_iommu_hw *hw = arg;
	struct timespec ts;
	struct ictx *c;

	pthread_mutex_lock(&hw->lock);
	while (!hw->stop) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += (long)hw->tick_ns;
		ts.tv_sec += ts.tv_nsec / 1000000000;
		ts.tv_nsec %= 1000000000;
		pthread_cond_timedwait(&hw->tick_cv, &hw->lock, &ts);
		for (c = hw->ctx; c && !hw->stop; c = c->next)
			if (c->kind == K_VTD_LAZY)
				duet_vtd_dom_tick(c->vd);
	}
	pthread_mutex_unlock(&hw->lock);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* attach / detach                                                     */
/* ------------------------------------------------------------------ */

static int io_attach(struct duet_dma_dev *dev, const char *opts, void **priv,
		     enum kind k)
{
	struct duet_dma_mem *m = duet_dma_dev_mem(dev);
	struct iodev *io;
	struct opts o;
	int rc;

	rc = parse_opts(opts, &o);
	if (rc < 0)
		return rc;
	io = calloc(1, sizeof(*io));
	if (!io)
		return -ENOMEM;
	io->dev = dev;
	io->kind = k;
	io->force = o.force;
	dma_maplist_init(&io->maps);
	if (k == K_GART) {
		rc = dma_reach_init(&io->reach, m->nframes);
		if (rc < 0)
			goto err_free;
	}
	pthread_mutex_lock(&hw_lock);
	rc = hw_get(m, k, &o, &io->hw);
	if (rc < 0)
		goto err_unlock;
	io->hw->users++;
	if (o.inv_ns && k == K_GART)
		duet_gart_set_flush_cost(io->hw->gart, o.inv_ns);
	else if (o.inv_ns && k != K_CALGARY)
		duet_vtd_set_inv_cost(io->hw->vtd, o.inv_ns);
	if (k != K_GART) {
		rc = ctx_get(io->hw, duet_dma_dev_domain(dev), k, &o,
			     &io->ctx);
		if (rc < 0)
			goto err_hw;
	}
	if (k == K_CALGARY) {
		io->sid = (uint16_t)(io->ctx->phb << 8 | io->ctx->ndev++ << 3);
	} else if (k != K_GART) {
		io->sid = (uint16_t)((1 + io->hw->nsid / 32) << 8 |
				     (io->hw->nsid % 32) << 3);
		io->hw->nsid++;
		rc = duet_vtd_dom_attach(io->ctx->vd, io->sid);
		if (rc < 0)
			goto err_ctx;
		if (k == K_VTD_LAZY && !io->hw->ticking) {
			rc = -pthread_create(&io->hw->ticker, NULL, ticker_main,
					     io->hw);
			if (rc < 0)
				goto err_detach;
			io->hw->ticking = 1;
		}
	}
	pthread_mutex_unlock(&hw_lock);
	*priv = io;
	return 0;

err_detach:
	duet_vtd_dom_detach(io->ctx->vd, io->sid);
err_ctx:
	ctx_put(io->hw, io->ctx);
err_hw:
	hw_put(io->hw);
err_unlock:
	pthread_mutex_unlock(&hw_lock);
	if (k == K_GART)
		dma_reach_fini(&io->reach);
err_free:
	dma_maplist_fini(&io->maps);
	free(io);
	return rc;
}

/* VT-d entries a frame_set_n batch writes at its end, with one
 * invalidation (io_frame_set_n()). */
struct vtd_batch {
	uint64_t pa[64];
	int prot[64];
	unsigned n;
};

static void io_unmap_all(struct iodev *io);
static int frame_set_locked(struct iodev *io, uint64_t mfn, unsigned prot,
			    uint64_t *bus, struct vtd_batch *vb);

static void io_detach(void *priv)
{
	struct iodev *io = priv;
	struct dma_iommu_hw *hw = io->hw;
	struct ictx *c = io->ctx;
	size_t i;

	io_unmap_all(io);
	pthread_mutex_lock(&hw_lock);
	if (c) {
		/* Grants still given to this device go with it. */
		pthread_mutex_lock(&hw->lock);
		for (i = c->nfs; i-- > 0;)
			if (i < c->nfs && c->fs[i].dev == io->dev)
				frame_set_locked(io, c->fs[i].mfn, 0, NULL,
						 NULL);
		pthread_mutex_unlock(&hw->lock);
		if (c->vd) {
			duet_vtd_dom_detach(c->vd, io->sid);
			duet_vtd_dom_flush(c->vd);
		}
		ctx_put(hw, c);
	}
	hw_put(hw);
	pthread_mutex_unlock(&hw_lock);
	if (io->kind == K_GART)
		dma_reach_fini(&io->reach);
	dma_maplist_fini(&io->maps);
	free(io);
}

/* ------------------------------------------------------------------ */
/* map / unmap                                                         */
/* ------------------------------------------------------------------ */

static int in_aperture(struct dma_iommu_hw *hw, uint64_t a)
{
	return a >= hw->aper_base &&
	       a < hw->aper_base + (hw->aper_pages << DUET_DMA_FRAME_SHIFT);
}

static void aper_mark(struct dma_iommu_hw *hw, uint64_t a, size_t size,
		      uint8_t prot)
{
	uint64_t i = (a - hw->aper_base) >> DUET_DMA_FRAME_SHIFT;
	uint64_t n = ((a & (FRAME_SIZE - 1)) + size + FRAME_SIZE - 1) /
		     FRAME_SIZE;

	pthread_mutex_lock(&hw->aper_lock);
	for (; n-- && i < hw->aper_pages; i++)
		hw->aper_prot[i] = prot;
	pthread_mutex_unlock(&hw->aper_lock);
}

static int gart_do_map(struct iodev *io, const uint64_t *pas, unsigned n,
		       int contig, size_t off, size_t size,
		       enum duet_dma_dir dir, uint64_t *addr)
{
	const struct duet_dma_dev_cfg *cfg = duet_dma_dev_cfg_get(io->dev);
	struct duet_gart_sg *in, out;
	unsigned i;
	int rc;

	if (contig) {
		rc = duet_gart_map(io->hw->gdrv, pas[0] + off, size,
				   cfg->dma_mask, io->force, addr);
	} else {
		/* Scatter-gather through the aperture: the pages merge into
		 * one aperture range (each starts and ends on a page). */
		in = calloc(n, sizeof(*in));
		if (!in)
			return -ENOMEM;
		for (i = 0; i < n; i++) {
			in[i].addr = pas[i] + (i ? 0 : off);
			in[i].len = FRAME_SIZE - (i ? 0 : off);
		}
		in[n - 1].len -= n * FRAME_SIZE - off - size;
		rc = duet_gart_map_sg(io->hw->gdrv, in, (int)n, UINT64_MAX,
				      &out);
		free(in);
		if (rc == 1)
			*addr = out.addr;
		else if (rc >= 0)
			rc = -EIO;
	}
	if (rc < 0)
		return rc;
	if (in_aperture(io->hw, *addr))
		aper_mark(io->hw, *addr, size,
			  dir == DUET_DMA_TO_DEVICE ? DUET_DMA_PROT_READ :
			  DUET_DMA_PROT_READ | DUET_DMA_PROT_WRITE);
	else
		dma_reach_update(&io->reach, *addr, size, dir, 1);
	return 0;
}

static void gart_do_unmap(struct iodev *io, uint64_t a, size_t size,
			  enum duet_dma_dir dir)
{
	if (in_aperture(io->hw, a)) {
		aper_mark(io->hw, a, size, 0);
		duet_gart_unmap(io->hw->gdrv, a, size);
	} else {
		dma_reach_update(&io->reach, a, size, dir, 0);
	}
}

static void bus_unmap(struct iodev *io, uint64_t a, size_t size,
		      enum duet_dma_dir dir)
{
	if (io->kind == K_GART)
		gart_do_unmap(io, a, size, dir);
	else if (io->kind == K_CALGARY)
		duet_calgary_unmap(io->ctx->cal, a, size);
	else
		duet_vtd_dom_unmap(io->ctx->vd, a, size);
}

/*
 * Calgary's watchdog.  Linux runs it on a 2-second timer; the model runs
 * it on the driver's next call into the DMA API for a device behind the
 * PHB (map, unmap, grant map), that timer with the idle time between
 * ticks taken out: a fault's latched error never outlives the driver's
 * next call, and the device may still finish (and fail) the transaction
 * it is in, as it could before the real timer fired.  A latched error
 * disables the slot: every DMA behind the PHB faults (recorded), maps
 * and grant maps are -EIO until duet_dma_dev_reset().  1 when the slot is
 * disabled.
 */
static int cal_watchdog(struct iodev *io)
{
	if (duet_calgary_phb_watchdog(io->hw->cal, io->ctx->phb) == 1)
		__atomic_add_fetch(&io->ctx->disables, 1, __ATOMIC_RELAXED);
	return duet_calgary_slot_disabled(io->hw->cal, io->ctx->phb);
}

static int io_map(void *priv, void *cpu, size_t size, enum duet_dma_dir dir,
		  unsigned attrs, duet_dma_addr_t *addr)
{
	struct iodev *io = priv;
	uint64_t mask = duet_dma_dev_cfg_get(io->dev)->dma_mask;
	uint64_t local[16], *pas = local, a = 0;
	unsigned n = npages_of(cpu, size);
	size_t off = (uintptr_t)cpu & (FRAME_SIZE - 1);
	int prot = DUET_IOMMU_READ, contig, rc;

	if (dir != DUET_DMA_TO_DEVICE)
		prot |= DUET_IOMMU_WRITE;
	if (n > 16) {
		pas = malloc(n * sizeof(*pas));
		if (!pas)
			return -ENOMEM;
	}
	rc = frames_of(io, cpu, size, pas, n, &contig);
	if (rc < 0)
		goto out;
	switch (io->kind) {
	case K_GART:
		rc = gart_do_map(io, pas, n, contig, off, size, dir, &a);
		break;
	case K_CALGARY:
		if (cal_watchdog(io)) {
			rc = -EIO;
			break;
		}
		/* A bridge quiesce on wrap happens inside, under the
		 * driver's lock: this map waits for it, never -EBUSY. */
		rc = contig ? duet_calgary_map(io->ctx->cal, pas[0] + off,
					       size, prot, &a) :
			      duet_calgary_map_pages(io->ctx->cal, pas, n,
						     (unsigned)off, prot, &a);
		break;
	default:
		/* IOVAs below the device's mask; none there at all: the
		 * mask error. */
		rc = duet_vtd_dom_map_pages_below(io->ctx->vd, pas, n,
						  (unsigned)off, prot, mask,
						  &a);
		/* IOVAs waiting for the batched flush are not free yet. */
		if (rc == -ENOSPC && io->kind == K_VTD_LAZY &&
		    duet_vtd_dom_queued(io->ctx->vd) &&
		    duet_vtd_dom_flush(io->ctx->vd) == 0)
			rc = duet_vtd_dom_map_pages_below(io->ctx->vd, pas, n,
							  (unsigned)off, prot,
							  mask, &a);
		if (rc == -ERANGE)
			rc = -EIO;
		break;
	}
	if (rc < 0)
		goto out;
	if (a + size - 1 > mask) {
		bus_unmap(io, a, size, dir);
		rc = -EIO;
		goto out;
	}
	rc = dma_maplist_add(&io->maps, a, size, dir);
	if (rc < 0) {
		bus_unmap(io, a, size, dir);
		goto out;
	}
	*addr = a;
out:
	if (pas != local)
		free(pas);
	return rc;
}

static int io_unmap(void *priv, duet_dma_addr_t addr, size_t size,
		    enum duet_dma_dir dir, unsigned attrs)
{
	struct iodev *io = priv;

	if (io->kind == K_CALGARY)
		cal_watchdog(io);
	if (dma_maplist_del(&io->maps, addr, size, dir) < 0)
		return -EINVAL;
	bus_unmap(io, addr, size, dir);
	return 0;
}

static void io_unmap_all(struct iodev *io)
{
	struct dma_maprec r;

	for (;;) {
		pthread_mutex_lock(&io->maps.lock);
		if (!io->maps.n) {
			pthread_mutex_unlock(&io->maps.lock);
			return;
		}
		r = io->maps.v[--io->maps.n];
		pthread_mutex_unlock(&io->maps.lock);
		bus_unmap(io, r.addr, r.size, (enum duet_dma_dir)r.dir);
	}
}

/* ------------------------------------------------------------------ */
/* The device side                                                     */
/* ------------------------------------------------------------------ */

static int io_translate(void *priv, duet_dma_addr_t addr, int write,
			uint64_t *maddr)
{
	struct iodev *io = priv;
	struct dma_iommu_hw *hw = io->hw;
	int access = write ? DUET_IOMMU_WRITE : DUET_IOMMU_READ, rc;
	struct duet_iommu_unit *u;
	struct duet_iommu_fault f = { 0 };
	uint64_t pa = 0, idx;
	uint8_t reason, prot;

	if (io->kind == K_GART) {
		if (!in_aperture(hw, addr)) {
			rc = dma_reach_check(&io->reach, addr, write);
			if (rc == 0)
				*maddr = addr;
			return rc;
		}
		u = duet_gart_unit(hw->gart);
	} else if (io->kind == K_CALGARY) {
		u = duet_calgary_unit(hw->cal);
	} else {
		u = duet_vtd_unit(hw->vtd);
	}
	/* -EBUSY: the bridge is quiesced; the request waits as on the bus. */
	while ((rc = duet_iommu_translate(u, io->sid, addr, 1, access, &pa,
					  &f)) == -EBUSY)
		sched_yield();
	if (rc >= 0) {
		if (io->kind == K_GART) {
			if (pa >> DUET_DMA_FRAME_SHIFT == hw->scratch.first)
				return -EFAULT;
			idx = (addr - hw->aper_base) >> DUET_DMA_FRAME_SHIFT;
			pthread_mutex_lock(&hw->aper_lock);
			prot = hw->aper_prot[idx];
			pthread_mutex_unlock(&hw->aper_lock);
			if (write && prot && !(prot & DUET_DMA_PROT_WRITE))
				return -EACCES;
		}
		*maddr = pa;
		return 0;
	}
	if (io->kind == K_CALGARY)
		return f.reason == DUET_CAL_FR_PERM ? -EACCES : -EFAULT;
	if (io->kind == K_GART)
		return -EFAULT;
	/* VT-d says 5 for any refused write, present or not. */
	if (f.reason == VTD_FR_WRITE &&
	    duet_vtd_walk(hw->vtd, io->sid, addr, DUET_IOMMU_READ, &pa,
			  &reason) == 0)
		return -EACCES;
	return -EFAULT;
}

/* ------------------------------------------------------------------ */
/* frame_set (the grant glue)                                          */
/* ------------------------------------------------------------------ */

/*
 * The context's entry for @mfn is the union of what its devices were
 * given (a write right implies read).  vtd: the entry sits at dfn = mfn.
 * calgary: the frame gets a TCE from the PHB's allocator, like a
 * mapping of the DMA API, when the first device is given it; a change of
 * rights rewrites that TCE in place (quiescing the bridge when a right
 * goes, so the device has lost it on return) and the last user frees it.
 * So a grant works wherever its frame is in the machine, below or above
 * 4 GiB, and its bus address stays the same while any device of the PHB
 * holds it.  hw->lock held.
 */
static int frame_set_locked(struct iodev *io, uint64_t mfn, unsigned prot,
			    uint64_t *bus, struct vtd_batch *vb)
{
	struct ictx *c = io->ctx;
	unsigned before = 0, after = 0, iop;
	uint64_t at = c->vd ? mfn << DUET_DMA_FRAME_SHIFT : UINT64_MAX;
	size_t i, me = SIZE_MAX;
	int rc = 0;

	for (i = 0; i < c->nfs; i++) {
		if (c->fs[i].mfn != mfn)
			continue;
		before |= c->fs[i].prot;
		at = c->fs[i].bus;
		if (c->fs[i].dev == io->dev)
			me = i;
		else
			after |= c->fs[i].prot;
	}
	after |= prot;
	if (prot && me == SIZE_MAX && c->nfs == c->capfs) {
		size_t cap = c->capfs ? 2 * c->capfs : 16;
		struct fset *v = realloc(c->fs, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		c->fs = v;
		c->capfs = cap;
	}
	if (after & DUET_DMA_PROT_WRITE)
		after |= DUET_DMA_PROT_READ;
	if (before & DUET_DMA_PROT_WRITE)
		before |= DUET_DMA_PROT_READ;
	iop = (after & DUET_DMA_PROT_READ ? DUET_IOMMU_READ : 0) |
	      (after & DUET_DMA_PROT_WRITE ? DUET_IOMMU_WRITE : 0);
	if (after != before) {
		if (c->vd && vb) {
			unsigned k;

			/* A frame twice in a batch: its last entry wins. */
			for (k = 0; k < vb->n && vb->pa[k] != at; k++)
				;
			vb->pa[k] = at;
			vb->prot[k] = (int)iop;
			vb->n += k == vb->n;
		} else if (c->vd) {
			rc = duet_vtd_dom_set_frame(c->vd, at, (int)iop);
		}
		else if (!before)
			rc = duet_calgary_map(c->cal, mfn << DUET_DMA_FRAME_SHIFT,
					      FRAME_SIZE, (int)iop, &at);
		else
			rc = duet_calgary_tce_set(c->cal, at,
						  mfn << DUET_DMA_FRAME_SHIFT,
						  (int)iop);
		if (rc == 0 && c->cal && before && !after)
			duet_calgary_unmap(c->cal, at, FRAME_SIZE);
	}
	if (rc < 0)
		return rc;
	if (me == SIZE_MAX && prot) {
		me = c->nfs++;
		c->fs[me] = (struct fset){ mfn, io->dev, 0, at };
	}
	if (me != SIZE_MAX) {
		if (prot)
			c->fs[me].prot = prot;
		else
			c->fs[me] = c->fs[--c->nfs];
	}
	if (bus && prot)
		*bus = at;
	return 0;
}

static int io_frame_set(void *priv, uint64_t mfn, unsigned prot,
			duet_dma_addr_t *bus)
{
	struct iodev *io = priv;
	int rc;

	if (dma_mem_owner(io->hw->mem, mfn) < 0 ||
	    prot & ~(DUET_DMA_PROT_READ | DUET_DMA_PROT_WRITE) ||
	    (prot && !bus))
		return -EINVAL;
	if (io->ctx->cal && cal_watchdog(io) && prot)
		return -EIO;
	pthread_mutex_lock(&io->hw->lock);
	rc = frame_set_locked(io, mfn, prot, bus, NULL);
	pthread_mutex_unlock(&io->hw->lock);
	return rc;
}

/*
 * frame_set for a batch: the bookkeeping per frame as frame_set does it,
 * and for VT-d the entries written at the end with one invalidation
 * (duet_vtd_dom_set_frames()).  Calgary quiesces per frame as before.
 * A VT-d write that fails (a page-table page not allocated) leaves the
 * bookkeeping ahead of the tables for that frame: -errno, local failure.
 */
static int io_frame_set_n(void *priv, struct duet_dma_frame_op *v,
			  unsigned n, unsigned *done)
{
	struct iodev *io = priv;
	struct vtd_batch vb = { .n = 0 };
	unsigned i, set = 0;
	int rc = 0;

	*done = 0;
	if (n > 64)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (dma_mem_owner(io->hw->mem, v[i].mfn) < 0 ||
		    v[i].prot & ~(DUET_DMA_PROT_READ | DUET_DMA_PROT_WRITE))
			return -EINVAL;
	for (i = 0; i < n; i++)
		if (io->ctx->cal && cal_watchdog(io) && v[i].prot)
			return -EIO;
	pthread_mutex_lock(&io->hw->lock);
	for (i = 0; i < n && !rc; i++) {
		rc = frame_set_locked(io, v[i].mfn, v[i].prot, &v[i].bus,
				      &vb);
		if (!rc)
			(*done)++;
	}
	if (vb.n) {
		int rc2 = duet_vtd_dom_set_frames(io->ctx->vd, vb.pa, vb.prot,
						  vb.n, &set);

		if (!rc)
			rc = rc2;
	}
	pthread_mutex_unlock(&io->hw->lock);
	return rc;
}

/* ------------------------------------------------------------------ */
/* The backends                                                        */
/* ------------------------------------------------------------------ */

int dma_iommu_dev_info(struct duet_dma_dev *dev, struct dma_iommu_info *out)
{
	const char *n = duet_dma_dev_ops(dev)->name;
	struct iodev *io;

	if (strcmp(n, "gart") && strcmp(n, "calgary") &&
	    strcmp(n, "vtd-strict") && strcmp(n, "vtd-lazy"))
		return -EINVAL;
	io = duet_dma_dev_priv(dev);
	memset(out, 0, sizeof(*out));
	out->source_id = io->sid;
	if (io->kind == K_GART) {
		duet_iommu_stats_get(duet_gart_unit(io->hw->gart), &out->unit);
		out->aper_base = io->hw->aper_base;
		out->aper_size = io->hw->aper_pages << DUET_DMA_FRAME_SHIFT;
		return 0;
	}
	duet_iommu_stats_get(io->kind == K_CALGARY ?
			     duet_calgary_unit(io->hw->cal) :
			     duet_vtd_unit(io->hw->vtd), &out->unit);
	out->win_base = io->ctx->win_lo << DUET_DMA_FRAME_SHIFT;
	out->win_size = (io->ctx->win_hi - io->ctx->win_lo) <<
			DUET_DMA_FRAME_SHIFT;
	out->win32_base = io->ctx->w32_lo << DUET_DMA_FRAME_SHIFT;
	out->win32_size = (io->ctx->w32_hi - io->ctx->w32_lo) <<
			  DUET_DMA_FRAME_SHIFT;
	if (io->ctx->vd)
		out->queued = duet_vtd_dom_queued(io->ctx->vd);
	if (io->ctx->cal) {
		out->cal = io->ctx->cal;
		out->slot_disabled = duet_calgary_slot_disabled(io->hw->cal,
								io->ctx->phb);
		out->disables = __atomic_load_n(&io->ctx->disables,
						__ATOMIC_RELAXED);
	}
	return 0;
}

/* Calgary: the slot reset that brings a PHB the watchdog cut off back. */
static int calgary_reset(void *priv)
{
	struct iodev *io = priv;

	return duet_calgary_slot_reset(io->hw->cal, io->ctx->phb);
}

static int gart_attach(struct duet_dma_dev *dev, const char *opts,
		       void **priv)
{
	return io_attach(dev, opts, priv, K_GART);
}

static int calgary_attach(struct duet_dma_dev *dev, const char *opts,
			  void **priv)
{
	return io_attach(dev, opts, priv, K_CALGARY);
}

static int vtd_strict_attach(struct duet_dma_dev *dev, const char *opts,
			     void **priv)
{
	return io_attach(dev, opts, priv, K_VTD_STRICT);
}

static int vtd_lazy_attach(struct duet_dma_dev *dev, const char *opts,
			   void **priv)
{
	return io_attach(dev, opts, priv, K_VTD_LAZY);
}

/* No frame_set: the glue bounces (see the top of this file). */
DUET_INTERNAL const struct duet_dma_ops duet_dma_gart_ops = {
	.name = "gart",
	.attach = gart_attach,
	.detach = io_detach,
	.map = io_map,
	.unmap = io_unmap,
	.translate = io_translate,
};

DUET_INTERNAL const struct duet_dma_ops duet_dma_calgary_ops = {
	.name = "calgary",
	.attach = calgary_attach,
	.detach = io_detach,
	.map = io_map,
	.unmap = io_unmap,
	.translate = io_translate,
	.frame_set = io_frame_set,
	.frame_set_n = io_frame_set_n,
	.reset = calgary_reset,
};

DUET_INTERNAL const struct duet_dma_ops duet_dma_vtd_strict_ops = {
	.name = "vtd-strict",
	.attach = vtd_strict_attach,
	.detach = io_detach,
	.map = io_map,
	.unmap = io_unmap,
	.translate = io_translate,
	.frame_set = io_frame_set,
	.frame_set_n = io_frame_set_n,
};

DUET_INTERNAL const struct duet_dma_ops duet_dma_vtd_lazy_ops = {
	.name = "vtd-lazy",
	.attach = vtd_lazy_attach,
	.detach = io_detach,
	.map = io_map,
	.unmap = io_unmap,
	.translate = io_translate,
	.frame_set = io_frame_set,
	.frame_set_n = io_frame_set_n,
};

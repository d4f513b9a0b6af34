/* SPDX-License-Identifier: MIT */
/*
 * vtd.h - Intel VT-d: a model of the remapping unit (vtd.c) and a driver
 * for it written the way Linux drives one (vtd-drv.c).
 *
 * The driver reaches its unit only through a register interface
 * (struct duet_vtd_hwif) and the tables in memory, so the same driver
 * programs duet's model (duet_vtd_hwif_model()) or, in the QEMU check, the
 * register page of QEMU's intel-iommu mapped through /dev/mem.  Encodings
 * are in vtd-regs.h.  Internal to libduet (hidden in the shared library).
 */
#ifndef DUET_IOMMU_GLUE_VTD_H
#define DUET_IOMMU_GLUE_VTD_H

#include <stdint.h>

#include "iommu-glue/iommu-hw.h"
#include "iommu-glue/iova.h"
#include "iommu-glue/vtd-regs.h"

#pragma GCC visibility push(hidden)

/* ---- the unit (vtd.c) ---- */

struct duet_vtd_config {
	unsigned int aw_bits;	/* 39 (3-level) or 48 (4-level, also 39) */
	unsigned int nfr;	/* fault recording registers, 1..256 */
	unsigned int iotlb_entries;	/* 0: 1024 (4-way sets) */
	unsigned int ctx_entries;	/* context cache, 0: 256 */
};

struct duet_vtd;

/*
 * A unit in its reset state (translation off), walking memory through
 * *mem.  Registers as QEMU's intel-iommu with the same aw-bits: CAP with
 * SAGAW, MGAW, 2 MiB and 1 GiB superpages, PSI, MAMV 18, FRO 0x220 and
 * nfr records; ECAP with QI and pass-through, IOTLB registers at 0xf0.
 * 0 or -EINVAL / -ENOMEM.
 */
int duet_vtd_create(const struct duet_vtd_config *cfg,
		    const struct duet_iommu_mem *mem, struct duet_vtd **out);
void duet_vtd_destroy(struct duet_vtd *v);
struct duet_iommu_unit *duet_vtd_unit(struct duet_vtd *v);
/*
 * Cost model: every invalidation request (register command or queue
 * descriptor) keeps the unit busy ns nanoseconds, DMA translation
 * included, as a hardware invalidation does (default 0).
 */
void duet_vtd_set_inv_cost(struct duet_vtd *v, uint64_t ns);

/*
 * Register access as the hardware takes it: size 4 or 8, off aligned to
 * size.  Commands (GCMD, CCMD, IOTLB, IQT, FSTS/FRCD write-1-clear) take
 * effect before the write returns, as a synchronous unit would.
 */
uint64_t duet_vtd_read(struct duet_vtd *v, unsigned int off,
		       unsigned int size);
void duet_vtd_write(struct duet_vtd *v, unsigned int off, uint64_t val,
		    unsigned int size);

/*
 * The walker alone: what the unit would do with this access given the
 * tables in memory now, bypassing and not filling its caches, recording
 * nothing.  0 with *pa, or -EFAULT with *reason (VTD_FR_*).
 */
int duet_vtd_walk(struct duet_vtd *v, uint16_t source_id, uint64_t iova,
		  int access, uint64_t *pa, uint8_t *reason);

/* ---- the driver (vtd-drv.c) ---- */

/* The driver's view of a unit's register page. */
struct duet_vtd_hwif {
	uint64_t (*read)(void *opaque, unsigned int off, unsigned int size);
	void (*write)(void *opaque, unsigned int off, uint64_t val,
		      unsigned int size);
	void *opaque;
};

void duet_vtd_hwif_model(struct duet_vtd *v, struct duet_vtd_hwif *hw);

/* Page allocator for tables: a zeroed 4 KiB page or -ENOMEM. */
struct duet_vtd_pages {
	int (*alloc)(void *opaque, uint64_t *pa);
	void (*free)(void *opaque, uint64_t pa);
	void *opaque;
};

struct duet_vtd_drv;

/*
 * Bring a unit up as Linux does: root table, SRTP, global context and
 * IOTLB invalidation, queued invalidation if use_qi (one page of 256
 * descriptors, wait descriptors with a status write), translation on.
 * 0, -ENODEV (no usable unit), -ETIMEDOUT (a command never completed),
 * -ENOMEM.  On error nothing is left enabled.
 */
int duet_vtd_drv_open(const struct duet_vtd_hwif *hw,
		      const struct duet_iommu_mem *mem,
		      const struct duet_vtd_pages *pages, int use_qi,
		      struct duet_vtd_drv **out);
/* Turns translation off and frees the tables it allocated. */
void duet_vtd_drv_close(struct duet_vtd_drv *d);

/* Context-cache and IOTLB invalidation through registers or the queue. */
int duet_vtd_drv_inv_context(struct duet_vtd_drv *d, int gran, uint16_t did,
			     uint16_t sid);
/* gran VTD_INV_PAGE covers [iova, iova + pages * 4K) (rounded as PSI). */
int duet_vtd_drv_inv_iotlb(struct duet_vtd_drv *d, int gran, uint16_t did,
			   uint64_t iova, uint64_t pages);

/* Root-table physical address (for the QEMU check's printout). */
uint64_t duet_vtd_drv_root(const struct duet_vtd_drv *d);

enum duet_vtd_mode {
	DUET_VTD_STRICT,	/* invalidate the IOTLB on every unmap */
	DUET_VTD_LAZY,		/* flush queue, batched invalidation */
};

struct duet_vtd_dom_config {
	uint16_t did;		/* domain id (1..; 0 is reserved) */
	unsigned int aw;	/* 1: 39-bit 3-level, 2: 48-bit 4-level */
	enum duet_vtd_mode mode;
	unsigned int fq_size;	/* lazy: entries before a flush (256) */
	uint64_t fq_timeout_ns;	/* lazy: oldest entry's age (10 ms) */
	uint64_t iova_base;	/* IOVA window for map(): [base, limit) */
	uint64_t iova_limit;	/* 0: [1 MiB, 4 GiB) */
	uint64_t iova32_base;	/* a second window [base, limit) below */
	uint64_t iova32_limit;	/* 4 GiB, tried first; limit 0: none */
	unsigned int iova_caches;	/* per-thread IOVA caches (0: 8) */
};

struct duet_vtd_dom;

int duet_vtd_dom_create(struct duet_vtd_drv *d,
			const struct duet_vtd_dom_config *cfg,
			struct duet_vtd_dom **out);
/* Flushes what is queued, detaches nothing (detach first). */
void duet_vtd_dom_destroy(struct duet_vtd_dom *dom);

/* Point source_id's context entry at the domain (and invalidate). */
int duet_vtd_dom_attach(struct duet_vtd_dom *dom, uint16_t source_id);
int duet_vtd_dom_detach(struct duet_vtd_dom *dom, uint16_t source_id);

/*
 * Fixed mapping of [iova, iova + size) to [pa, pa + size), page aligned,
 * prot DUET_IOMMU_READ | DUET_IOMMU_WRITE (device access); superpages
 * where both sides are aligned to 2 MiB / 1 GiB.  Replaces what was
 * there (without invalidating: a present-to-present change needs
 * duet_vtd_drv_inv_iotlb()).  -EINVAL (alignment, width), -ENOMEM.
 */
int duet_vtd_dom_map_at(struct duet_vtd_dom *dom, uint64_t iova, uint64_t pa,
			uint64_t size, int prot);
/* Clear [iova, iova + size) and invalidate it now (strict). */
int duet_vtd_dom_unmap_at(struct duet_vtd_dom *dom, uint64_t iova,
			  uint64_t size);

/*
 * Linux's dma map/unmap: allocate an IOVA range for [pa, pa + size) (any
 * alignment; the offset in the page is kept), map it, return the device
 * address in *iova.  -ENOSPC when the IOVA window is full, -ENOMEM.
 * unmap takes what map returned: strict clears and invalidates before
 * freeing the IOVA; lazy clears, queues the IOVA and frees it only after
 * the batched invalidation (queue full, timeout, or dom_flush()).
 */
int duet_vtd_dom_map(struct duet_vtd_dom *dom, uint64_t pa, uint64_t size,
		     int prot, uint64_t *iova);
int duet_vtd_dom_unmap(struct duet_vtd_dom *dom, uint64_t iova,
		       uint64_t size);
/*
 * The same for a buffer whose 4 KiB frames are not contiguous (a PV
 * domain's machine frames): pas[0..n) page addresses, offset into the
 * first; one contiguous IOVA range.  unmap with dom_unmap(iova, n * 4096
 * - offset).  -ENOSPC, -ENOMEM, -EINVAL.
 */
int duet_vtd_dom_map_pages(struct duet_vtd_dom *dom, const uint64_t *pas,
			   unsigned int n, unsigned int offset, int prot,
			   uint64_t *iova);
/*
 * The same for a device that drives at most bus address dma_mask: the
 * IOVA range ends at or below it.  As Linux does for a PCI device, the
 * window below 4 GiB (iova32) is tried first, then the other window.
 * -ENOSPC when the windows' pages below the mask are taken, -ERANGE when
 * no window has a page below it.
 */
int duet_vtd_dom_map_pages_below(struct duet_vtd_dom *dom, const uint64_t *pas,
				 unsigned int n, unsigned int offset, int prot,
				 uint64_t dma_mask, uint64_t *iova);
/*
 * Xen's IOMMU handling of a PV domain (dfn = mfn): give the device frame
 * pa at the same device address with prot (0 removes it), invalidating
 * at once as iommu_legacy_map/unmap do.  0 or -errno.
 */
int duet_vtd_dom_set_frame(struct duet_vtd_dom *dom, uint64_t pa, int prot);
/*
 * The same for @n frames in order, with one IOTLB invalidation for the
 * batch (page-selective for one frame, domain-selective for more), done
 * before return.  *@done receives how many were set (those are
 * invalidated on failure too).  0 or the -errno of entry *@done.
 */
int duet_vtd_dom_set_frames(struct duet_vtd_dom *dom, const uint64_t *pa,
			    const int *prot, unsigned int n,
			    unsigned int *done);
/* Lazy: invalidate the domain and release every queued IOVA now. */
int duet_vtd_dom_flush(struct duet_vtd_dom *dom);
/* Lazy: flush if the oldest queued entry is older than the timeout. */
int duet_vtd_dom_tick(struct duet_vtd_dom *dom);
/* Physical address of the domain's top-level table (context ASR). */
uint64_t duet_vtd_dom_pgd(const struct duet_vtd_dom *dom);
/* Entries waiting in the flush queue. */
unsigned int duet_vtd_dom_queued(struct duet_vtd_dom *dom);

struct duet_vtd_dom_stats {
	uint64_t maps, unmaps;
	uint64_t inv_psi, inv_dsi, inv_global;	/* IOTLB invalidations */
	uint64_t fq_flushes;			/* batched (lazy) flushes */
	uint64_t iova_cache_hits;	/* served by a per-thread cache */
};
void duet_vtd_dom_stats(struct duet_vtd_dom *dom,
			struct duet_vtd_dom_stats *st);

#pragma GCC visibility pop

#endif /* DUET_IOMMU_GLUE_VTD_H */

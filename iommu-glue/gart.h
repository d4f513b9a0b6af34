/* SPDX-License-Identifier: MIT */
/*
 * gart.h - AMD K8 GART used as an IOMMU: the northbridge's aperture and
 * its GATT (gart.c, the unit), and Linux's driver for it (same file).
 *
 * One global aperture: device addresses inside [base, base + size) are
 * translated through the GATT, everything else reaches physical memory
 * untranslated.  No permissions and no per-device state, so a GART gives
 * translation and no isolation: the grant-aware glue keeps isolation on a
 * GART by bouncing every DMA through swiotlb slots owned by the driver
 * domain (the device is handed aperture addresses of bounce slots only).
 * Internal to libduet.
 */
#ifndef DUET_IOMMU_GLUE_GART_H
#define DUET_IOMMU_GLUE_GART_H

#include <stdint.h>

#include "iommu-glue/iommu-hw.h"

#pragma GCC visibility push(hidden)

/*
 * Northbridge function 3 configuration registers (32-bit):
 * APERTURECTL 0x90: GARTEN 0, size order 3:1 (32 MiB << order),
 *   DISGARTCPU 4, DISGARTIO 5 (I/O accesses are not translated).
 * APERTUREBASE 0x94: bits 14:0 = base >> 25 (32 MiB granularity).
 * GARTTABLEBASE 0x98: (GATT physical >> 12) << 4.
 * GARTCACHECTL 0x9c: INVGART 0 (write 1: flush the GART TLB; reads 1
 *   until done), PTEERR 1 (a walk hit an invalid entry; write 1 clears).
 */
#define GART_APERTURECTL	0x90
#define GART_APERTUREBASE	0x94
#define GART_TABLEBASE		0x98
#define GART_CACHECTL		0x9c
#define GART_CTL_EN		(1u << 0)
#define GART_CTL_ORDER(c)	(((c) >> 1) & 7)
#define GART_CTL_DISIO		(1u << 5)
#define GART_CACHE_INV		(1u << 0)
#define GART_CACHE_PTEERR	(1u << 1)

/*
 * GATT entry (32-bit, one per 4 KiB of aperture): bits 31:12 = physical
 * address 31:12, bits 11:4 = physical address 39:32 (so 1 TiB reach),
 * bit 1 coherent, bit 0 valid.  No read/write permission bits.
 */
#define GART_PTE_VALID		1u
#define GART_PTE_COHERENT	2u
#define GART_MAX_PHYS		(1ull << 40)

static inline uint32_t duet_gart_pte(uint64_t pa)
{
	return (uint32_t)((pa & 0xfffff000u) | ((pa >> 32) << 4) |
			  GART_PTE_VALID | GART_PTE_COHERENT);
}

static inline uint64_t duet_gart_pte_addr(uint32_t e)
{
	return (e & 0xfffff000u) | ((uint64_t)(e & 0xff0u) << 28);
}

/* Model fault codes (struct duet_iommu_fault.reason). */
#define DUET_GART_FR_INVALID	1	/* GATT entry not valid: PTEERR */
#define DUET_GART_FR_TABLE	2	/* GATT unreadable */

struct duet_gart;

/* A northbridge with a GART TLB of tlb_entries (0: 64), disabled. */
int duet_gart_create(const struct duet_iommu_mem *mem,
		     unsigned int tlb_entries, struct duet_gart **out);
void duet_gart_destroy(struct duet_gart *g);
struct duet_iommu_unit *duet_gart_unit(struct duet_gart *g);
/* Cost model: an INVGART flush keeps the GART busy ns (default 0). */
void duet_gart_set_flush_cost(struct duet_gart *g, uint64_t ns);
uint32_t duet_gart_read(struct duet_gart *g, unsigned int off);
void duet_gart_write(struct duet_gart *g, unsigned int off, uint32_t v);

/* ---- Linux's driver (amd_gart_64.c's behaviour) ---- */

struct duet_gart_drv_config {
	uint64_t aper_base;	/* bus address, 32 MiB aligned, < 4 GiB */
	unsigned int order;	/* aperture 32 MiB << order, 0..5 */
	uint64_t gatt_pa;	/* GATT: (size >> 12) * 4 bytes, zeroed */
	uint64_t scratch_pa;	/* the page unused entries point to */
	int fullflush;		/* flush on every map (Linux's default) */
};

struct duet_gart_drv;

/* Programs the registers, fills the GATT with scratch entries. */
int duet_gart_drv_open(struct duet_gart *g,
		       const struct duet_gart_drv_config *cfg,
		       struct duet_gart_drv **out);
void duet_gart_drv_close(struct duet_gart_drv *d);

/*
 * Map [pa, pa + size) for a device that reaches addresses up to mask.
 * Passthrough (*dma = pa) when the device reaches the buffer and !force;
 * otherwise aperture pages allocated next-fit, a flush when the allocator
 * wrapped (or always with fullflush).  Full aperture: if the device
 * reaches the buffer, passthrough; else -ENOSPC with *dma set to the
 * emergency range, which maps the scratch page (Linux's bad_dma_addr:
 * a device that DMAs there anyway gets garbage, not someone's memory).
 */
int duet_gart_map(struct duet_gart_drv *d, uint64_t pa, uint64_t size,
		  uint64_t mask, int force, uint64_t *dma);
/* Entries back to the scratch page; no flush (stale until the next). */
void duet_gart_unmap(struct duet_gart_drv *d, uint64_t dma, uint64_t size);

struct duet_gart_sg {
	uint64_t addr;		/* in: physical; out: device address */
	uint64_t len;
};

/*
 * Map n elements through the aperture (as Linux with iommu=force);
 * consecutive elements merge into one aperture range when the next
 * starts on a page and the previous ends on one (and the merged length
 * stays <= max_seg).  out[] gets the merged segments; returns their
 * count or -ENOSPC (nothing left mapped).
 */
int duet_gart_map_sg(struct duet_gart_drv *d, const struct duet_gart_sg *in,
		     int n, uint64_t max_seg,
		     struct duet_gart_sg *out);
void duet_gart_unmap_sg(struct duet_gart_drv *d,
			const struct duet_gart_sg *segs, int n);

struct duet_gart_drv_stats {
	uint64_t maps, passthrough, flushes, wraps, overflows, merged;
};
void duet_gart_drv_stats(struct duet_gart_drv *d,
			 struct duet_gart_drv_stats *st);

#pragma GCC visibility pop

#endif /* DUET_IOMMU_GLUE_GART_H */

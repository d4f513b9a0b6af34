/* SPDX-License-Identifier: MIT */
/*
 * calgary.h - IBM Calgary PCI host bridges (PHBs) with TCE translation
 * (calgary.c, the unit) and Linux's pci-calgary driver for them (same
 * file).
 *
 * Each PHB translates the DMA of every device behind it through its own
 * TCE table, so isolation is per bridge, not per device.  The PHB caches
 * TCEs; the cache is invalidated only by rewriting the table address
 * register (TAR), which Linux does only when its allocator wraps, inside
 * a bridge-wide quiesce (arbitration off, split queue drained): all DMA
 * behind the bridge stalls meanwhile, in the model for real.  A bad DMA
 * is latched in the PHB's CSR; a watchdog turns a latched error into a
 * disabled slot.  Internal to libduet.
 */
#ifndef DUET_IOMMU_GLUE_CALGARY_H
#define DUET_IOMMU_GLUE_CALGARY_H

#include <stdint.h>

#include "iommu-glue/iommu-hw.h"

#pragma GCC visibility push(hidden)

/*
 * TCE (8 bytes, stored big-endian, one per 4 KiB of IO space): bit 0
 * read allowed, bit 1 write allowed, bits 2-7 hub id (unused), 8-11
 * reserved, 12-47 real page number (physical address 47:12), 48-63
 * unused.  An entry with neither R nor W is invalid.  The driver sets R
 * on every entry it writes (as Linux); the DMA adapter maps grants
 * through such entries too, at IO pages the allocator hands out.
 */
#define CAL_TCE_READ		1ull
#define CAL_TCE_WRITE		2ull
#define CAL_TCE_RPN_MASK	0x0000fffffffff000ull

/*
 * Table size code (TAR bits 2:0): 0..7 -> (1 << code) * 8192 entries,
 * 64 KiB .. 8 MiB of table, 32 MiB .. 4 GiB of IO space.
 */
#define CAL_TCE_ENTRIES(code)	((1ull << (code)) << 13)

/*
 * Per-PHB registers of the model (32-bit unless noted; offsets the
 * model's own, names and bits Linux's):
 * CAL_TAR    64  table physical address | size code 2:0; any write
 *                invalidates the PHB's TCE cache.
 * CAL_AER        arbitration enable: 0 = arbitration off, DMA behind the
 *                bridge stalls (quiesce).
 * CAL_PLSSR      split queue status: low byte 0xff when no DMA in flight.
 * CAL_CSR        error status, latched: CAL_CSR_* bits (an error of an
 *                agent under CAL_CSR_AGENT_MASK); write 0 to clear.
 * CAL_CONFIG     PHB control: CAL_CFG_TCE_ENABLE, CAL_CFG_SLOT_DISABLE
 *                (all three bits set: the slot is cut off, every DMA
 *                behind the PHB is refused; the watchdog sets them).
 *                The driver's open writes CSR 0 and CONFIG TCE_ENABLE.
 */
enum {
	CAL_TAR,
	CAL_AER,
	CAL_PLSSR,
	CAL_CSR,
	CAL_CONFIG,
};

#define CAL_CFG_TCE_ENABLE	0x20000000u
#define CAL_CFG_SLOT_DISABLE	0x1c000000u
#define CAL_CSR_AGENT_MASK	0xffe0ffffu
#define CAL_CSR_BAD_TCE		0x00000001u	/* no TCE for the address */
#define CAL_CSR_PERM		0x00000002u	/* TCE lacks R or W */
#define CAL_CSR_RANGE		0x00000004u	/* beyond the table */

/* Model fault codes (struct duet_iommu_fault.reason). */
#define DUET_CAL_FR_NOPHB	1	/* bus behind no PHB */
#define DUET_CAL_FR_DISABLED	2	/* slot disabled by the watchdog */
#define DUET_CAL_FR_RANGE	3	/* IO address beyond the table */
#define DUET_CAL_FR_INVALID	4	/* TCE not valid */
#define DUET_CAL_FR_PERM	5	/* TCE lacks the permission */

#define DUET_CAL_MAX_PHB	4

struct duet_calgary;

/*
 * A Calgary chip with nphb PHBs, PHB i serving bus i, each with a TCE
 * cache of cache_entries (0: 64).  Translation off until CONFIG enables.
 */
int duet_calgary_create(const struct duet_iommu_mem *mem, unsigned int nphb,
			unsigned int cache_entries, struct duet_calgary **out);
void duet_calgary_destroy(struct duet_calgary *c);
struct duet_iommu_unit *duet_calgary_unit(struct duet_calgary *c);
uint64_t duet_calgary_read(struct duet_calgary *c, unsigned int phb,
			   unsigned int reg);
void duet_calgary_write(struct duet_calgary *c, unsigned int phb,
			unsigned int reg, uint64_t v);

/* ---- Linux's driver, one per PHB ---- */

struct duet_calgary_drv_config {
	unsigned int phb;
	uint64_t table_pa;	/* naturally aligned to the table size */
	unsigned int size_code;	/* 0..7 */
	uint64_t quiesce_ns;	/* how long a quiesce holds DMA (50 us) */
	uint64_t win_lo;	/* allocator window [win_lo, win_hi) in */
	uint64_t win_hi;	/* TCEs (win_hi 0: the whole table) */
	int papr;		/* program the table through H_PUT_TCE */
	/* PAPR: may the partition give page pa to a device?  (NULL: yes) */
	int (*may_map)(void *opaque, uint64_t pa);
	void *may_opaque;
};

struct duet_calgary_drv;

/* Zeroes the table, reserves the emergency pages and 640 KiB-1 MiB,
 * writes TAR, enables translation. */
int duet_calgary_drv_open(struct duet_calgary *c,
			  const struct duet_calgary_drv_config *cfg,
			  struct duet_calgary_drv **out);
void duet_calgary_drv_close(struct duet_calgary_drv *d);

/*
 * Map [pa, pa + size); prot DUET_IOMMU_WRITE allows device writes, read
 * is always allowed (as Linux).  Allocates from the hint; when nothing
 * fits, quiesces the bridge to flush the TCE cache and retries from 0.
 * 0 with *dma, -ENOSPC, -EINVAL.  unmap clears the TCEs, no flush.
 */
int duet_calgary_map(struct duet_calgary_drv *d, uint64_t pa, uint64_t size,
		     int prot, uint64_t *dma);
void duet_calgary_unmap(struct duet_calgary_drv *d, uint64_t dma,
			uint64_t size);
/*
 * The same for a buffer whose frames are not contiguous: pas[0..n) page
 * addresses, offset into the first, one contiguous IO range.  Unmap with
 * duet_calgary_unmap(dma, n * 4096 - offset).  0, -ENOSPC, -EINVAL.
 */
int duet_calgary_map_pages(struct duet_calgary_drv *d, const uint64_t *pas,
			   unsigned int n, unsigned int offset, int prot,
			   uint64_t *dma);
/*
 * Rewrite the TCE of IO page dma, allocated by map(), to point at page pa
 * with prot (DUET_IOMMU_WRITE adds write to read; 0 leaves it invalid,
 * still allocated: unmap() frees it).  Taking a right away or changing
 * the page quiesces the bridge (the TCE cache has no other
 * invalidation), so the device has lost the old entry when this returns;
 * this is how the grant glue changes a granted frame's rights in place.
 * 0, -EINVAL (not an allocated page, misaligned).
 */
int duet_calgary_tce_set(struct duet_calgary_drv *d, uint64_t dma,
			 uint64_t pa, int prot);

/*
 * Linux's 2-second watchdog, called by the embedder: for each PHB with a
 * latched error in CSR, clear it and disable the slot (every later DMA
 * behind the PHB faults with DUET_CAL_FR_DISABLED).  Returns the number
 * of PHBs disabled now.  phb_watchdog does it for one PHB (1 when it
 * disabled it now, 0, -EINVAL); the DMA adapter runs it on each fault.
 */
int duet_calgary_watchdog(struct duet_calgary *c);
int duet_calgary_phb_watchdog(struct duet_calgary *c, unsigned int phb);
/* 1 when the watchdog disabled PHB phb's slot, else 0. */
int duet_calgary_slot_disabled(struct duet_calgary *c, unsigned int phb);
/*
 * Re-enable a disabled slot and clear CSR, as a slot reset would (Linux
 * had no way back short of a reboot).  TCEs and translation stay as they
 * are.  0 or -EINVAL.
 */
int duet_calgary_slot_reset(struct duet_calgary *c, unsigned int phb);

/*
 * PAPR's TCE hypercalls, the second programming model (POWER LPARs): the
 * partition never writes the table, the hypervisor does, one 4 KiB page
 * per call.  liobn names the table (here the PHB number), ioba the IO
 * address (page aligned, inside the table), tce the PAPR PCI format:
 * bit 0 read, bit 1 write, bits 12-47 the real page number, every other
 * bit reserved (0 clears the entry).  H_PUT_TCE checks its arguments
 * (H_PARAMETER) and that the partition may give the page to a device
 * (may_map; H_PRIVILEGE), stores the entry in the table's big-endian
 * TCE format and, when it takes a right away or moves the entry, flushes
 * the PHB's TCE cache (a quiesce): the change holds when the call
 * returns, so unmapping is strict, unlike the native driver's.
 * H_GET_TCE reads an entry back.  A driver opened with papr set makes
 * every table write (map, unmap, tce_set) through H_PUT_TCE.
 */
#define DUET_H_SUCCESS		0
#define DUET_H_HARDWARE		(-1)
#define DUET_H_PRIVILEGE	(-3)
#define DUET_H_PARAMETER	(-4)
#define DUET_PAPR_TCE_READ	1ull
#define DUET_PAPR_TCE_WRITE	2ull

long duet_calgary_h_put_tce(struct duet_calgary_drv *d, uint64_t liobn,
			    uint64_t ioba, uint64_t tce);
long duet_calgary_h_get_tce(struct duet_calgary_drv *d, uint64_t liobn,
			    uint64_t ioba, uint64_t *tce);
/* H_* to -errno: H_PARAMETER -EINVAL, H_PRIVILEGE -EPERM, any other
 * failure -EIO; H_SUCCESS 0. */
int duet_calgary_h_errno(long h);

struct duet_calgary_drv_stats {
	uint64_t maps, unmaps, blasts, overflows;
	uint64_t hcalls;	/* PAPR: H_PUT_TCE calls that succeeded */
};
void duet_calgary_drv_stats(struct duet_calgary_drv *d,
			    struct duet_calgary_drv_stats *st);

#pragma GCC visibility pop

#endif /* DUET_IOMMU_GLUE_CALGARY_H */

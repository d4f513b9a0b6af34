/* SPDX-License-Identifier: MIT */
/*
 * dma-iommu.h - the hardware IOMMU models behind the DMA API: what the
 * adapters of dma-iommu.c let tests and duet status see.  Internal to
 * libduet.
 */
#ifndef DUET_IOMMU_GLUE_DMA_IOMMU_H
#define DUET_IOMMU_GLUE_DMA_IOMMU_H

#include "iommu-glue/calgary.h"
#include "iommu-glue/iommu-hw.h"
#include "swiotlb/dma-int.h"

/*
 * struct dma_iommu_info - one device behind an IOMMU backend.
 * @unit:      the unit's counters (stalls: Calgary quiesces).
 * @source_id: the device's requester id (bus << 8 | devfn).
 * @aper_base, @aper_size: GART: the aperture's bus addresses.
 * @win_base, @win_size: the bus range the DMA API allocates from
 *             (Calgary, VT-d; dfn = mfn grant entries lie outside it).
 * @win32_base, @win32_size: VT-d: the window below 4 GiB tried first
 *             (size 0: none; see dma-iommu.c).
 * @queued:    VT-d lazy: unmaps waiting for the batched invalidation.
 * @cal:       Calgary: the PHB's driver (its PAPR hypercalls; the
 *             liobn is the PHB, source_id >> 8).
 * @slot_disabled: Calgary: 1 while the watchdog has the PHB's slot cut
 *             off (until duet_dma_dev_reset()); @disables: how often.
 */
struct dma_iommu_info {
	struct duet_iommu_stats unit;
	uint16_t source_id;
	uint64_t aper_base, aper_size;
	uint64_t win_base, win_size;
	uint64_t win32_base, win32_size;
	unsigned queued;
	struct duet_calgary_drv *cal;
	int slot_disabled;
	uint64_t disables;
};

/* Fill @out for a device of a "gart", "calgary", "vtd-*" backend.
 * 0 or -EINVAL (another backend). */
DUET_INTERNAL int dma_iommu_dev_info(struct duet_dma_dev *dev,
				     struct dma_iommu_info *out);

#endif /* DUET_IOMMU_GLUE_DMA_IOMMU_H */

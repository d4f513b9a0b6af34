/* SPDX-License-Identifier: MIT */
/*
 * dma-int.h - internals shared by the DMA core, swiotlb, the emulated
 * devices and iommu-glue.  Not installed; hidden from the shared library.
 */
#ifndef DUET_SWIOTLB_DMA_INT_H
#define DUET_SWIOTLB_DMA_INT_H

#include <pthread.h>
#include <stdint.h>

#include "duet/dma.h"
#include "gnttab/log-internal.h"

#define FRAME_SIZE (1u << DUET_DMA_FRAME_SHIFT)
#define NO_OWNER (-1)
/* Frames an IOMMU model holds (its tables): no guest domain's memory. */
#define DMA_OWNER_IOMMU (-2)

struct dma_iommu_hw;

/*
 * One machine frame.  @host, @owner and @ro change only under the
 * machine's lock and only while no device can reach the frame (it is
 * being handed out or given back), so the device path reads them without
 * the lock.
 */
struct dma_frame {
	unsigned char *host; /* backing page in this process, or NULL */
	int32_t owner;       /* domid, NO_OWNER when free */
	uint8_t ro;          /* foreign frame mapped read-only */
	uint8_t foreign;     /* entered by duet_dma_mem_add_foreign() */
};

struct duet_dma_mem {
	pthread_mutex_t lock;       /* frames[], domains, top */
	unsigned addr_bits;
	uint64_t nframes;
	struct dma_frame *frames;
	struct duet_dma_domain *domains; /* list */
	uint64_t top;               /* RAM/foreign frames are taken below */
	struct dma_iommu_hw *iommu; /* the IOMMU models (iommu-glue/) */
	struct duet_platform *platform; /* duet_dma_mem_bind(), or NULL */
	duet_domid_t pdomid;        /* the platform's domain */
};

struct duet_dma_domain {
	struct duet_dma_mem *mem;
	struct duet_dma_domain *next;
	duet_domid_t domid;
	unsigned npages;
	unsigned char *base;        /* RAM: pfn 0 is at base */
	uint64_t *p2m;              /* pfn -> mfn (under mem->lock) */
	unsigned char *used;        /* page allocator: one byte per pfn */
	pthread_mutex_t lock;       /* used[] */
	pthread_mutex_t tlb_lock;   /* setting up tlb */
	struct duet_swiotlb *tlb;   /* bounce pools, NULL until set up */
};

/* A machine address to the host byte behind it, or NULL (no frame). */
DUET_INTERNAL unsigned char *dma_mem_host(struct duet_dma_mem *m,
					  uint64_t maddr);
/* Owner of machine frame @mfn (NO_OWNER when free or out of range). */
DUET_INTERNAL int dma_mem_owner(struct duet_dma_mem *m, uint64_t mfn);

/*
 * The identity reach table: per machine frame, how many live mappings let
 * the device read and write it, plus a protection set by frame_set (the
 * grant glue).  Used by the built-in backends; bus address = machine
 * address.
 */
struct dma_reach_ent {
	uint16_t rd;
	uint16_t wr;
	uint8_t fprot;
};

struct dma_reach {
	pthread_mutex_t lock;
	uint64_t nframes;
	struct dma_reach_ent *ent;
};

DUET_INTERNAL int dma_reach_init(struct dma_reach *r, uint64_t nframes);
DUET_INTERNAL void dma_reach_fini(struct dma_reach *r);
/* Count [maddr, maddr + size) in (@get 1) or out (@get 0) for @dir. */
DUET_INTERNAL void dma_reach_update(struct dma_reach *r, uint64_t maddr,
				    size_t size, enum duet_dma_dir dir,
				    int get);
DUET_INTERNAL int dma_reach_check(struct dma_reach *r, uint64_t maddr,
				  int write);
DUET_INTERNAL void dma_reach_fset(struct dma_reach *r, uint64_t mfn,
				  unsigned prot);

/* The live mappings of a backend without bounce buffers: exact matches
 * only, so that a bogus unmap is -EINVAL and changes nothing. */
struct dma_maplist {
	pthread_mutex_t lock;
	struct dma_maprec {
		uint64_t addr;
		size_t size;
		int dir;
	} *v;
	size_t n, cap;
};

DUET_INTERNAL void dma_maplist_init(struct dma_maplist *l);
DUET_INTERNAL void dma_maplist_fini(struct dma_maplist *l);
DUET_INTERNAL int dma_maplist_add(struct dma_maplist *l, uint64_t addr,
				  size_t size, int dir);
DUET_INTERNAL int dma_maplist_del(struct dma_maplist *l, uint64_t addr,
				  size_t size, int dir);

/* Machine address of [cpu, +size) when a device of @dev may use it as it
 * is: own RAM, machine-contiguous, below the DMA mask.  -EFAULT, -EACCES
 * (another domain's frame), -EIO (above the mask). */
DUET_INTERNAL int dma_direct_addr(struct duet_dma_dev *dev, void *cpu,
				  size_t size, uint64_t *maddr);

/*
 * Frames for an IOMMU's own tables: the first run of @n free frames
 * aligned to @align inside frames [@lo, @hi) (frames beyond the machine
 * count as free and are not entered), owned by DMA_OWNER_IOMMU and backed
 * by @host (n pages, may be NULL: reserved, unbacked).  0 with *@first or
 * -ENOSPC.  dma_mem_give_iommu() returns them.
 */
DUET_INTERNAL int dma_mem_take_iommu(struct duet_dma_mem *m, uint64_t n,
				     uint64_t align, uint64_t lo, uint64_t hi,
				     unsigned char *host, uint64_t *first);
DUET_INTERNAL void dma_mem_give_iommu(struct duet_dma_mem *m, uint64_t first,
				      uint64_t n);
/* The struct duet_iommu_mem accessor over machine addresses: @opaque is
 * the struct duet_dma_mem; a range must lie in host-contiguous frames. */
DUET_INTERNAL int dma_mem_iommu_access(void *opaque, uint64_t pa, size_t len,
				       void **ptr);
/* Free the IOMMU models of @m (iommu-glue/dma-iommu.c). */
DUET_INTERNAL void dma_iommu_hw_destroy(struct dma_iommu_hw *hw);

/* Point foreign frame @mfn at another mapping of the same page. */
DUET_INTERNAL int dma_mem_update_foreign(struct duet_dma_mem *m, uint64_t mfn,
					 void *host, int ro);

/* swiotlb internals used by the swiotlb backend and the glue. */
DUET_INTERNAL int dma_swiotlb_get(struct duet_dma_domain *d,
				  struct duet_swiotlb **out);
DUET_INTERNAL void dma_swiotlb_destroy(struct duet_swiotlb *t);
DUET_INTERNAL int dma_swiotlb_map(struct duet_swiotlb *t,
				  const struct duet_dma_dev_cfg *cfg,
				  void *orig, size_t size,
				  enum duet_dma_dir dir, unsigned attrs,
				  uint64_t alloc_align_mask,
				  duet_dma_addr_t *out);
DUET_INTERNAL int dma_swiotlb_unmap(struct duet_swiotlb *t,
				    duet_dma_addr_t addr, size_t size,
				    enum duet_dma_dir dir, unsigned attrs);
DUET_INTERNAL int dma_swiotlb_sync(struct duet_swiotlb *t,
				   duet_dma_addr_t addr, size_t size,
				   enum duet_dma_dir dir, int for_cpu);
/* CPU address of bounce address @addr (in a live mapping) or NULL. */
DUET_INTERNAL void *dma_swiotlb_bounce_cpu(struct duet_swiotlb *t,
					   duet_dma_addr_t addr);
DUET_INTERNAL int dma_swiotlb_owns(struct duet_swiotlb *t,
				   duet_dma_addr_t addr);
DUET_INTERNAL void dma_swiotlb_stats(struct duet_swiotlb *t,
				     struct duet_dma_stats *st);
DUET_INTERNAL size_t dma_swiotlb_max_mapping(const struct duet_dma_dev_cfg *c);

#endif /* DUET_SWIOTLB_DMA_INT_H */

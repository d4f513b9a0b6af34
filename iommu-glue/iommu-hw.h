/* SPDX-License-Identifier: MIT */
/*
 * iommu-hw.h - what the hardware IOMMU models (gart.c, calgary.c, vtd.c)
 * share: the memory they walk, the device-side translate and DMA calls,
 * fault records and statistics.
 *
 * A model keeps its tables in memory with the real encodings, addressed by
 * physical address.  "Physical" is whatever the accessor below says it is:
 * in a unit test a malloc'd arena with a made-up base, in the QEMU check
 * the guest-physical frames of a hugepage (so that QEMU's own walker reads
 * the very same bytes).  A device touches memory only through
 * duet_iommu_dma(), which translates page by page and copies through the
 * accessor, so what a device can reach is behaviour of the tables.
 *
 * Every symbol here is internal to libduet (hidden in the shared library);
 * the DMA ops table of include/duet/dma.h is the public face.
 */
#ifndef DUET_IOMMU_GLUE_IOMMU_HW_H
#define DUET_IOMMU_GLUE_IOMMU_HW_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#pragma GCC visibility push(hidden)

#define DUET_IOMMU_PAGE_SHIFT	12
#define DUET_IOMMU_PAGE_SIZE	(1ull << DUET_IOMMU_PAGE_SHIFT)
#define DUET_IOMMU_PAGE_MASK	(~(DUET_IOMMU_PAGE_SIZE - 1))

/*
 * Physical memory as a model sees it.  access() returns in *ptr a pointer
 * to len bytes at physical address pa, all of them backed (the range may
 * not leave one backing region), or -EFAULT.  It may be called with the
 * unit's lock held and must not call back into the unit.
 */
struct duet_iommu_mem {
	int (*access)(void *opaque, uint64_t pa, size_t len, void **ptr);
	void *opaque;
};

int duet_iommu_mem_ptr(const struct duet_iommu_mem *m, uint64_t pa,
		       size_t len, void **ptr);
/* 64- and 32-bit little-endian table words; -EFAULT if not backed. */
int duet_iommu_rd64(const struct duet_iommu_mem *m, uint64_t pa,
		    uint64_t *v);
int duet_iommu_wr64(const struct duet_iommu_mem *m, uint64_t pa, uint64_t v);
int duet_iommu_wr32(const struct duet_iommu_mem *m, uint64_t pa, uint32_t v);

/*
 * An arena: size bytes at buf that physical addresses [pa, pa + size) name,
 * with a page allocator for tables and buffers.  buf NULL: the arena
 * allocates (and frees) page-aligned memory itself.  size must be a
 * multiple of 4 KiB, pa 4 KiB aligned.  Not thread-safe: callers lock.
 */
struct duet_iommu_arena {
	struct duet_iommu_mem mem;	/* accessor over [pa, pa + size) */
	uint8_t *buf;			/* host address of physical pa */
	uint64_t pa;			/* physical address of buf[0] */
	size_t size;			/* bytes */
	uint8_t *used;			/* one byte per page: allocated */
	size_t hint;			/* next page the allocator looks at */
	int owned;			/* buf was allocated here */
};

int duet_iommu_arena_init(struct duet_iommu_arena *a, void *buf, uint64_t pa,
			  size_t size);
void duet_iommu_arena_fini(struct duet_iommu_arena *a);
/* A zeroed page: its physical address in *pa; -ENOMEM when full. */
int duet_iommu_arena_alloc(struct duet_iommu_arena *a, uint64_t *pa);
void duet_iommu_arena_free(struct duet_iommu_arena *a, uint64_t pa);
/* Host pointer of physical address pa inside the arena, or NULL. */
void *duet_iommu_arena_ptr(const struct duet_iommu_arena *a, uint64_t pa);

/* ---- the device side ---- */

/* Access a device asks for; a model checks it against the entry. */
enum duet_iommu_access {
	DUET_IOMMU_READ = 1,	/* device reads memory (DMA to device) */
	DUET_IOMMU_WRITE = 2,	/* device writes memory (DMA from device) */
};

/*
 * One refused access.  reason is the unit's own code: the VT-d fault
 * reason (FRCD.FR), GART and Calgary the model's codes in their headers.
 * recorded: the unit latched it in its fault registers (0 when a record
 * was dropped by overflow or fault processing is disabled).
 */
struct duet_iommu_fault {
	uint64_t iova;		/* faulting device address (not page-masked) */
	uint16_t source_id;	/* requester: bus << 8 | dev << 3 | fn */
	uint8_t reason;
	uint8_t access;		/* enum duet_iommu_access */
	uint8_t recorded;
};

/* Counters a unit keeps; read under the unit's lock or racily. */
struct duet_iommu_stats {
	uint64_t translations;	/* translate() calls */
	uint64_t tlb_hits;	/* served by the unit's translation cache */
	uint64_t walks;		/* table walks (cache misses) */
	uint64_t faults;	/* refused accesses */
	uint64_t faults_dropped;	/* not recorded (overflow, FPD) */
	uint64_t invalidations;	/* cache invalidations performed */
	uint64_t stalls;	/* DMA stalls (Calgary quiesce) */
	uint64_t stall_ns;	/* time DMA was held by them */
	uint64_t dma_bytes;	/* bytes moved by duet_iommu_dma() */
};

struct duet_iommu_unit;

struct duet_iommu_unit_ops {
	const char *name;
	/*
	 * Translate [iova, iova + len) for a device: on success return the
	 * number of bytes (> 0, <= len) that are contiguous at *pa; on a
	 * refusal -EFAULT with *f filled (and recorded by the unit as its
	 * hardware would); -EBUSY if DMA is stalled and the caller should
	 * retry.  Takes the unit's lock.
	 */
	int (*translate)(struct duet_iommu_unit *u, uint16_t source_id,
			 uint64_t iova, size_t len, int access, uint64_t *pa,
			 struct duet_iommu_fault *f);
};

/* The part every model embeds first. */
struct duet_iommu_unit {
	const struct duet_iommu_unit_ops *ops;
	struct duet_iommu_mem mem;	/* tables and DMA targets */
	pthread_mutex_t lock;		/* registers, caches, stats */
	struct duet_iommu_stats stats;
};

void duet_iommu_unit_init(struct duet_iommu_unit *u,
			  const struct duet_iommu_unit_ops *ops,
			  const struct duet_iommu_mem *mem);
void duet_iommu_unit_fini(struct duet_iommu_unit *u);

int duet_iommu_translate(struct duet_iommu_unit *u, uint16_t source_id,
			 uint64_t iova, size_t len, int access, uint64_t *pa,
			 struct duet_iommu_fault *f);

/*
 * A device's DMA: DUET_IOMMU_READ copies len bytes at device address iova
 * into buf, DUET_IOMMU_WRITE copies buf to iova.  Translation is checked
 * for the whole range before a byte moves, so a refused access leaves
 * memory untouched.  0, or -EFAULT with *f (may be NULL) describing the
 * first refused page.  May block while the unit stalls DMA.
 */
int duet_iommu_dma(struct duet_iommu_unit *u, uint16_t source_id,
		   uint64_t iova, void *buf, size_t len, int access,
		   struct duet_iommu_fault *f);

void duet_iommu_stats_get(struct duet_iommu_unit *u,
			  struct duet_iommu_stats *st);

/* Monotonic nanoseconds (the lazy flush timer, stall accounting). */
uint64_t duet_iommu_now_ns(void);
/* Busy-wait ns nanoseconds: a unit's command latency (cost model). */
void duet_iommu_spin_ns(uint64_t ns);

#pragma GCC visibility pop

#endif /* DUET_IOMMU_GLUE_IOMMU_HW_H */

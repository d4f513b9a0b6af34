/* SPDX-License-Identifier: MIT */
/*
 * dma-stack.h - a backend driver's DMA stack: what blkback and netback
 * set up alike when `duet backend --dma NAME` (or the backend node "dma")
 * puts their I/O behind an emulated device.  Internal to libduet.
 *
 * One stack per device instance: a machine (duet_dma_mem), the driver
 * domain's RAM in it (coherent memory and swiotlb pools come from there),
 * one DMA device behind the named backend, the grant-aware glue over the
 * instance's platform handle, the counters `duet status` shows and the
 * device's rate-limited fault log.  The device model on top (block
 * controller, NIC) is the driver's.
 */
#ifndef DUET_IOMMU_GLUE_DMA_STACK_H
#define DUET_IOMMU_GLUE_DMA_STACK_H

#include <pthread.h>
#include <stdatomic.h>

#include "duet/backend.h"
#include "duet/dma.h"
#include "duet/log.h"

/**
 * struct dma_stack_cfg - what dma_stack_open() builds.
 * @drv:       "blkback", "netback": the log prefix with @dir.
 * @dir:       the device's backend directory (copied).
 * @backend:   the DMA backend's name (duet_dma_backend_find()).
 * @devname:   the DMA device's name (logs, duet status).
 * @self:      the driver domain's domid.
 * @ram_pages: the driver domain's RAM in the model.
 * @platform:  the instance's platform handle (the glue maps through it;
 *             the caller serialises calls on it).
 */
struct dma_stack_cfg {
	const char *drv;
	const char *dir;
	const char *backend;
	const char *devname;
	duet_domid_t self;
	unsigned ram_pages;
	struct duet_platform *platform;
};

/**
 * struct dma_stack - one instance's DMA stack.
 * @mem, @dom: the machine and the driver domain's RAM in it.
 * @dev:       the DMA device; @glue: its grant mappings.
 * @name:      the backend's name; @prefix: "drv dir" for logs.
 * @grants:    grants mapped for the device; @refused: grant maps the
 *             grant table refused (relaxed atomics: counters only, read
 *             by the main thread for duet status).
 * @log_lock:  @limit, the device's fault-log rate limit (several queue
 *             threads log).
 */
struct dma_stack {
	struct duet_dma_mem *mem;
	struct duet_dma_domain *dom;
	struct duet_dma_dev *dev;
	struct duet_dma_glue *glue;
	char name[32];
	char prefix[160];
	atomic_ullong grants, refused;
	pthread_mutex_t log_lock;
	struct duet_log_limit limit;
};

/** Counters dma_stack_stats() appends. */
#define DMA_STACK_NSTATS 7u

/**
 * dma_stack_open() - build a stack as @cfg says.  Returns 0, -ENOENT
 * (unknown backend), -EINVAL, -ENOMEM or a DMA layer -errno; every
 * failure is logged once and leaves nothing behind.
 */
int dma_stack_open(const struct dma_stack_cfg *cfg, struct dma_stack **out);

/** dma_stack_close() - free the stack: the glue (live handles are
 *  unmapped), device, RAM and machine.  The device model must be gone.
 *  The caller holds its platform lock.  NULL is ignored. */
void dma_stack_close(struct dma_stack *s);

/** dma_stack_count() - add @grants mapped and @refused refused grants
 *  to the counters.  Any thread. */
void dma_stack_count(struct dma_stack *s, unsigned grants, unsigned refused);

/**
 * dma_stack_log() - a warning about the device's I/O, rate-limited per
 * stack (duet_log_limited()): "<drv> <dir>: <what> (<strerror(err)>) at
 * <addr>, <outcome>".  dma_stack_fault() logs the device's last fault
 * that way ("<what> read fault" / "write fault").  Any thread.
 */
void dma_stack_log(struct dma_stack *s, const char *what, int err,
		   uint64_t addr, const char *outcome);
void dma_stack_fault(struct dma_stack *s, const char *what, int err,
		     const char *outcome);

/** dma_stack_stats() - append the DMA_STACK_NSTATS dma-* counters to
 *  @st at *@n. */
void dma_stack_stats(struct dma_stack *s, struct duet_backend_stat *st,
		     unsigned *n);

#endif /* DUET_IOMMU_GLUE_DMA_STACK_H */

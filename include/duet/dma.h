/* SPDX-License-Identifier: MIT */
/*
 * duet/dma.h - the DMA layer: memory a device can address, the DMA
 * mapping API, its backends (direct, swiotlb, IOMMU models) and the
 * emulated devices that use it.
 *
 * Memory model (as in a Xen PV guest).  A "machine" (struct duet_dma_mem)
 * is a table of machine frames (mfn, 4 KiB each); a machine address is
 * mfn << 12 | offset.  A domain's RAM (struct duet_dma_domain) is one
 * contiguous range of CPU addresses in this process, pseudo-physical
 * frames pfn 0..npages-1, and a p2m table pfn -> mfn.  The p2m is NOT the
 * identity and not ascending: RAM frames are handed out from the top of
 * machine memory downwards (as Xen 4.0 debug builds did), so pfn + 1 is
 * never machine-adjacent to pfn and a buffer of more than one page is not
 * machine-contiguous unless duet_dma_domain_alloc_contig() exchanged its
 * frames.  Code that forgets to translate, or that assumes pseudo-physical
 * contiguity is machine contiguity, hands a device the wrong frame.
 * Frames of another domain that this process reached through a grant map
 * (duet_gnt_map()) are entered as foreign frames (owner = the granter).
 *
 * CPU address -> device address is a hook of the platform
 * (duet_platform_frames(), duet_platform_alloc_contig() in
 * duet/platform.h, where each platform's answer is described).  A machine
 * bound to a platform (duet_dma_mem_bind()) takes the frames and the
 * contiguous runs of the platform's own domain from it: on the simulator
 * the hook is this model (virt -> pfn -> p2m -> mfn), so nothing changes;
 * on Xen (a PV control domain) translation reads the domain's real P2M,
 * checked against the M2P, and a machine-contiguous pool is -EOPNOTSUPP
 * (only the kernel can exchange frames: xen_create_contiguous_region()).
 * Other domains of the machine, and an unbound machine, use the model.
 * The emulated devices below reach memory through the model's frames
 * only: they are the simulator's.
 *
 * A device (struct duet_dma_dev) belongs to one domain and has one
 * backend, chosen by name (duet_dma_backend_find()).  A device touches
 * memory only through duet_dma_dev_read()/duet_dma_dev_write(), which ask
 * its backend to translate each page: what a device can reach is whatever
 * its backend lets through.  Anything else is a fault: counted, the last
 * one recorded, nothing read or written.
 *
 * How a backend driver calls in (blkback's and netback's dma.c, over
 * the driver's DMA stack in iommu-glue/dma-stack.h):
 *   once:  duet_dma_mem_create(); duet_dma_domain_create() for the driver
 *          domain's own domid; duet_dma_dev_create() with
 *          duet_dma_backend_find(<the --dma name>); duet_dma_glue_create()
 *          with the driver's platform handle; the device model
 *          (duet_dma_blkctl_create() / duet_dma_nic_create(), dma-dev.h)
 *          with its tables and rings in duet_dma_alloc_coherent() memory.
 *   per batch of grants: duet_dma_glue_map_grants() instead of
 *          duet_gnt_map() (one platform call for the grants not mapped
 *          yet; the device gets exactly those frames, or bounce buffers),
 *          put the bus addresses in the device's descriptors, run the
 *          device, then duet_dma_glue_unmap_grants() (copies bounces
 *          back; one invalidation for the batch).
 *   grants the driver keeps mapped (persistent grants): pass its own
 *          mapping in duet_dma_glue_req.cpu, keep the handle, and between
 *          uses duet_dma_glue_sync_for_cpu() / _sync_for_device(); unmap
 *          the handle before the driver's own mapping goes.
 *   local buffers: duet_dma_map()/duet_dma_unmap(), or map_sg.
 *
 * Conventions: 0 or a count on success, -errno on failure; handles are
 * opaque.  Unless said otherwise functions do not block on I/O, take only
 * internal mutexes, and are safe to call from several threads on the same
 * device.
 */
#ifndef DUET_DMA_H
#define DUET_DMA_H

#include <stddef.h>
#include <stdint.h>

#include "duet/platform.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A device (bus) address. */
typedef uint64_t duet_dma_addr_t;

/** The address a failed mapping leaves in its output (Linux's value). */
#define DUET_DMA_MAPPING_ERROR (~(duet_dma_addr_t)0)

/** Frame size of the machine (Xen's 4 KiB page). */
#define DUET_DMA_FRAME_SHIFT 12u

/** Direction of a mapping, seen from memory (Linux's numbering). */
enum duet_dma_dir {
	DUET_DMA_BIDIRECTIONAL = 0,
	DUET_DMA_TO_DEVICE = 1,     /* device reads memory */
	DUET_DMA_FROM_DEVICE = 2,   /* device writes memory */
};

/** Attribute bits of map/unmap. */
#define DUET_DMA_ATTR_SKIP_CPU_SYNC 0x1u /* no bounce copy at map/unmap */

struct duet_dma_mem;
struct duet_dma_domain;
struct duet_dma_dev;
struct duet_dma_ops;
struct duet_swiotlb;

/* ------------------------------------------------------------------ */
/* Machine memory and domains                                          */
/* ------------------------------------------------------------------ */

/**
 * duet_dma_mem_create() - a machine with 2^@addr_bits bytes of address
 * space (frames are backed only when a domain takes them).
 * @addr_bits: 20..40.
 * Returns 0, -EINVAL, -ENOMEM.  @out untouched on failure.
 */
int duet_dma_mem_create(unsigned addr_bits, struct duet_dma_mem **out);

/** duet_dma_mem_destroy() - free a machine; its domains must be gone.
 *  NULL is ignored. */
void duet_dma_mem_destroy(struct duet_dma_mem *m);

/**
 * duet_dma_domain_create() - give domain @domid @npages of RAM in @m.
 * The RAM is zeroed and page aligned; its frames come from the top of
 * machine memory downwards (see the memory model above).
 * Returns 0, -EEXIST (domid already has RAM), -ENOSPC (not enough free
 * frames), -EINVAL, -ENOMEM.
 */
int duet_dma_domain_create(struct duet_dma_mem *m, duet_domid_t domid,
			   unsigned npages, struct duet_dma_domain **out);

/** duet_dma_domain_destroy() - free a domain's RAM and its default
 *  swiotlb; its devices must be gone.  NULL is ignored. */
void duet_dma_domain_destroy(struct duet_dma_domain *d);

/** duet_dma_domain_id() - the domid of @d. */
duet_domid_t duet_dma_domain_id(const struct duet_dma_domain *d);

/**
 * duet_dma_domain_alloc() - @npages contiguous pages of @d's RAM
 * (pseudo-physically contiguous only), zeroed.  First fit, mutex.
 * Returns 0 with *@cpu set, -ENOMEM when no run is free, -EINVAL.
 */
int duet_dma_domain_alloc(struct duet_dma_domain *d, unsigned npages,
			  void **cpu);

/** duet_dma_domain_free() - give back pages from duet_dma_domain_alloc()
 *  (same @cpu and @npages).  Returns 0 or -EINVAL. */
int duet_dma_domain_free(struct duet_dma_domain *d, void *cpu,
			 unsigned npages);

/**
 * duet_dma_domain_alloc_contig() - like duet_dma_domain_alloc() but the
 * pages are then exchanged for machine frames that are contiguous,
 * aligned to the power of two >= @npages, and below 2^@dma_bits
 * (xen_create_contiguous_region() in a PV guest).  Contents are kept.
 * Returns 0, -ENOMEM (no RAM run or no machine run), -EINVAL.
 */
int duet_dma_domain_alloc_contig(struct duet_dma_domain *d, unsigned npages,
				 unsigned dma_bits, void **cpu);

/**
 * duet_dma_virt_to_maddr() - the platform hook: machine address of CPU
 * address @cpu, which must lie in RAM of a domain of @m or in a foreign
 * frame entered with duet_dma_mem_add_foreign().  @owner (may be NULL)
 * receives the frame's owner, @ro (may be NULL) 1 for a read-only foreign
 * frame.  Returns 0 or -EFAULT (no frame: memory a device cannot address).
 */
int duet_dma_virt_to_maddr(struct duet_dma_mem *m, const void *cpu,
			   uint64_t *maddr, duet_domid_t *owner, int *ro);

/**
 * duet_dma_mem_bind() - take the memory hook of platform @p for @p's own
 * domain (see the memory model above); @p NULL unbinds.  A sim platform
 * gets this model as its machine in return.  Unbind (or destroy @m)
 * before closing @p.  Returns 0, -EINVAL, or the -errno of
 * duet_platform_domid().
 */
int duet_dma_mem_bind(struct duet_dma_mem *m, struct duet_platform *p);

/**
 * duet_dma_mem_add_foreign() - enter the page at @cpu (a grant mapping of
 * @owner's frame made by this process) as a foreign machine frame.
 * @ro: 1 when the mapping is read-only.  Returns 0 with *@mfn set,
 * -ENOSPC (no free frame), -EINVAL (@cpu not page aligned).
 */
int duet_dma_mem_add_foreign(struct duet_dma_mem *m, duet_domid_t owner,
			     void *cpu, int ro, uint64_t *mfn);

/** duet_dma_mem_del_foreign() - remove a foreign frame.  0 or -EINVAL. */
int duet_dma_mem_del_foreign(struct duet_dma_mem *m, uint64_t mfn);

/* ------------------------------------------------------------------ */
/* Devices                                                             */
/* ------------------------------------------------------------------ */

/**
 * struct duet_dma_dev_cfg - what a device can do (Linux's dma_parms).
 * @name:             for logs and duet status.
 * @dma_mask:         highest bus address the device can put on the bus
 *                    (0: 64 bits).
 * @coherent_mask:    the same for coherent allocations (0: @dma_mask).
 * @max_seg_size:     largest scatter-gather segment (0: 64 KiB, Linux's
 *                    default).
 * @seg_boundary:     segment boundary mask: no segment may cross a
 *                    multiple of @seg_boundary + 1 (0: 0xffffffff, Linux's
 *                    default).
 * @min_align_mask:   low address bits a bounce buffer must preserve
 *                    (NVMe: 4095); 0 for none.
 */
struct duet_dma_dev_cfg {
	const char *name;
	uint64_t dma_mask;
	uint64_t coherent_mask;
	uint32_t max_seg_size;
	uint64_t seg_boundary;
	uint32_t min_align_mask;
};

/**
 * duet_dma_dev_create() - a device of domain @d behind backend @ops.
 * @opts: backend options ("force", "pools=N" ...; NULL for defaults), see
 *        each backend.
 * Returns 0, -EINVAL, -ENOMEM or the backend's attach error.
 */
int duet_dma_dev_create(struct duet_dma_domain *d,
			const struct duet_dma_dev_cfg *cfg,
			const struct duet_dma_ops *ops, const char *opts,
			struct duet_dma_dev **out);

/** duet_dma_dev_destroy() - detach the backend and free; mappings still
 *  live are dropped without copies.  NULL is ignored. */
void duet_dma_dev_destroy(struct duet_dma_dev *dev);

/** duet_dma_dev_domain() - the domain @dev belongs to. */
struct duet_dma_domain *duet_dma_dev_domain(struct duet_dma_dev *dev);

/* ------------------------------------------------------------------ */
/* The mapping API (what drivers call)                                 */
/* ------------------------------------------------------------------ */

/**
 * duet_dma_map() - make @size bytes at @cpu reachable by @dev.
 * @cpu:   in RAM of @dev's domain (a foreign frame only through the glue).
 * @dir:   direction; TO_DEVICE gives the device read access only.
 * @attrs: DUET_DMA_ATTR_* bits.
 * @addr:  receives the bus address, DUET_DMA_MAPPING_ERROR on failure.
 * After a bouncing backend maps, the device sees the buffer's current
 * contents whatever @dir (so a partial device write cannot expose or
 * clobber anything).  Returns 0, -EINVAL (size 0 or bad dir), -EFAULT
 * (@cpu is not memory a device can address, or, for a backend without
 * bounce buffers, spans frames that are not machine-contiguous: the
 * caller must use swiotlb or map page by page), -EACCES (a frame of another
 * domain), -EIO (the result is above the DMA mask, or the IOMMU cut the
 * device off: duet_dma_dev_reset()), -ENOSPC (no bounce
 * space: "swiotlb buffer is full"), -E2BIG (larger than the backend's
 * largest mapping, see duet_dma_max_mapping_size()).  Nothing is mapped
 * on failure.
 */
int duet_dma_map(struct duet_dma_dev *dev, void *cpu, size_t size,
		 enum duet_dma_dir dir, unsigned attrs, duet_dma_addr_t *addr);

/**
 * duet_dma_unmap() - undo duet_dma_map() (same @addr, @size, @dir).
 * A bouncing backend copies FROM_DEVICE and BIDIRECTIONAL data back first
 * (unless DUET_DMA_ATTR_SKIP_CPU_SYNC).  Returns 0 or -EINVAL when @addr
 * names no mapping (nothing changes then).
 */
int duet_dma_unmap(struct duet_dma_dev *dev, duet_dma_addr_t addr,
		   size_t size, enum duet_dma_dir dir, unsigned attrs);

/**
 * duet_dma_sync_for_cpu() - make what the device wrote to [@addr, +@size)
 * visible to the CPU (FROM_DEVICE, BIDIRECTIONAL: copy back; TO_DEVICE:
 * nothing).  duet_dma_sync_for_device() - make what the CPU wrote visible
 * to the device (TO_DEVICE, BIDIRECTIONAL).  The range may be part of a
 * mapping.  Return 0 or -EINVAL (no such mapping).
 */
int duet_dma_sync_for_cpu(struct duet_dma_dev *dev, duet_dma_addr_t addr,
			  size_t size, enum duet_dma_dir dir);
int duet_dma_sync_for_device(struct duet_dma_dev *dev, duet_dma_addr_t addr,
			     size_t size, enum duet_dma_dir dir);

/**
 * struct duet_dma_sg - one scatter-gather element.
 * @cpu, @len:   the buffer (input).
 * @addr, @dlen: its bus address and length (output of duet_dma_map_sg()).
 */
struct duet_dma_sg {
	void *cpu;
	size_t len;
	duet_dma_addr_t addr;
	size_t dlen;
};

/**
 * duet_dma_map_sg() - map @n elements, one mapping each (no merging, as
 * swiotlb-xen).  An element longer than max_seg_size, or whose mapping
 * crosses the segment boundary, is -EINVAL.  Returns @n, or -errno
 * after unmapping what was mapped (every @addr then reads
 * DUET_DMA_MAPPING_ERROR).
 */
int duet_dma_map_sg(struct duet_dma_dev *dev, struct duet_dma_sg *sg,
		    unsigned n, enum duet_dma_dir dir, unsigned attrs);

/** duet_dma_unmap_sg() - unmap every element of a successful
 *  duet_dma_map_sg().  Returns 0 or the first -errno (all are tried). */
int duet_dma_unmap_sg(struct duet_dma_dev *dev, struct duet_dma_sg *sg,
		      unsigned n, enum duet_dma_dir dir, unsigned attrs);

/**
 * duet_dma_alloc_coherent() - @size bytes the CPU and @dev share without
 * syncs: machine-contiguous, below the coherent mask, zeroed, mapped for
 * the device read-write.  Returns 0, -ENOMEM, -EINVAL.
 */
int duet_dma_alloc_coherent(struct duet_dma_dev *dev, size_t size,
			    void **cpu, duet_dma_addr_t *addr);

/** duet_dma_free_coherent() - free it.  Returns 0 or -EINVAL. */
int duet_dma_free_coherent(struct duet_dma_dev *dev, size_t size, void *cpu,
			   duet_dma_addr_t addr);

/** duet_dma_max_mapping_size() - the largest single mapping @dev's
 *  backend takes (swiotlb: 256 KiB less the min_align_mask rounding). */
size_t duet_dma_max_mapping_size(struct duet_dma_dev *dev);

/* ------------------------------------------------------------------ */
/* The device side                                                     */
/* ------------------------------------------------------------------ */

/**
 * duet_dma_dev_read() / duet_dma_dev_write() - the device reads or writes
 * @len bytes at bus address @addr.  Every page of the range is translated
 * by the backend first; if any page is refused nothing is transferred,
 * the fault is counted and recorded (duet_dma_dev_last_fault()).
 * Returns 0, -EFAULT (not mapped for the device, or the device was cut
 * off: duet_dma_dev_reset()), -EACCES (write through a read-only
 * mapping).
 */
int duet_dma_dev_read(struct duet_dma_dev *dev, duet_dma_addr_t addr,
		      void *buf, size_t len);
int duet_dma_dev_write(struct duet_dma_dev *dev, duet_dma_addr_t addr,
		       const void *buf, size_t len);

/**
 * struct duet_dma_fault - the last device fault.
 * @addr:   first refused bus address.
 * @write:  1 for a write.
 * @error:  -EFAULT or -EACCES as returned.
 */
struct duet_dma_fault {
	duet_dma_addr_t addr;
	int write;
	int error;
};

/**
 * struct duet_dma_stats - per device counters (duet status).
 * @backend:     the backend's name.
 * @live:        mappings live now.
 * @maps:        mappings made since creation.
 * @faults:      device faults.
 * @bounce_used: bounce slots in use (swiotlb), @bounce_total: slots in
 *               all pools, @pools: pools now, @grown: pools added.
 */
struct duet_dma_stats {
	const char *backend;
	uint64_t live;
	uint64_t maps;
	uint64_t faults;
	uint64_t bounce_used;
	uint64_t bounce_total;
	unsigned pools;
	unsigned grown;
};

/**
 * duet_dma_dev_reset() - bring back a device its IOMMU cut off after DMA
 * errors, as a slot reset would.  On "calgary" a fault latches in the
 * PHB's status register and the watchdog then disables the slot: every
 * device of the DMA domain behind that PHB has its DMA refused (faults
 * recorded) and maps and grant maps fail with -EIO until this call.
 * Live mappings stay.  A backend that never cuts a device off does
 * nothing.  Returns 0 or -EINVAL.
 */
int duet_dma_dev_reset(struct duet_dma_dev *dev);

/** duet_dma_dev_stats() - fill @st.  Never fails. */
void duet_dma_dev_stats(struct duet_dma_dev *dev, struct duet_dma_stats *st);

/** duet_dma_dev_last_fault() - the fault count; @f (may be NULL) receives
 *  the last fault (zeroed when none). */
uint64_t duet_dma_dev_last_fault(struct duet_dma_dev *dev,
				 struct duet_dma_fault *f);

/* ------------------------------------------------------------------ */
/* Backends                                                            */
/* ------------------------------------------------------------------ */

/** Protection of a frame given to a device. */
#define DUET_DMA_PROT_READ  0x1u /* the device may read */
#define DUET_DMA_PROT_WRITE 0x2u /* the device may write */

/**
 * struct duet_dma_ops - one DMA backend: a table of functions plus the
 * private state attach() returns.  Every function gets that @priv.
 * The core checks arguments (dir, size > 0, sg limits) before calling,
 * counts live mappings and faults, and holds no lock across a call; a
 * backend locks its own state.
 *
 * @name:          "direct", "swiotlb", "gart", "vtd-strict", ...
 * @attach:        create @dev's private state; @opts from
 *                 duet_dma_dev_create().  0 or -errno.
 * @detach:        free it (live mappings dropped without copies).
 * @map:           map @size bytes at @cpu for @dir: *@addr or -errno
 *                 (errors of duet_dma_map()).
 * @unmap:         0 or -EINVAL (no such mapping; nothing changes).
 * @sync_for_cpu, @sync_for_device: 0 or -EINVAL; NULL when the backend
 *                 never bounces (nothing to copy).
 * @alloc_coherent, @free_coherent: NULL to use the core's (machine
 *                 contiguous pages mapped read-write through @map).
 * @translate:     the device side: bus address @addr (any byte of a
 *                 frame), accessed for writing when @write: the machine
 *                 address or -EFAULT (nothing mapped there) / -EACCES
 *                 (read-only).  Called for every page a device touches.
 * @frame_set:     the grant glue: give the device frame @mfn with @prot
 *                 DUET_DMA_PROT_* bits, replacing what it had for that
 *                 frame; @prot 0 removes it.  *@bus (NULL allowed only
 *                 with @prot 0) receives the bus address of the frame's
 *                 first byte, which the backend chooses: mfn << 12 for
 *                 pv-identity and vtd (dfn = mfn, as Xen does for a PV
 *                 domain), a TCE it allocates for calgary.  The address
 *                 stays the same while the device holds the frame (a
 *                 change of @prot keeps it).  0 or -errno (-EIO: the
 *                 device was cut off by its IOMMU, see
 *                 duet_dma_dev_reset()).  NULL when the backend cannot
 *                 isolate (no IOMMU): the glue then bounces through the
 *                 domain's swiotlb.
 * @frame_set_n:   frame_set for @n frames in order (@v[i].bus receives
 *                 what frame_set's @bus would), with one invalidation
 *                 for the whole batch, done before it returns (a strict
 *                 IOMMU stays strict).  *@done receives how many were
 *                 applied.  0 or the -errno of entry *@done.  NULL: the
 *                 glue calls frame_set for each.
 * @max_mapping:   largest single mapping (NULL: unlimited).
 * @reset:         re-enable a device the IOMMU cut off (NULL: never
 *                 happens).  0 or -errno.
 * @stats:         add backend counters (bounce use) to @st; may be NULL.
 */
/** One frame of ops->frame_set_n (see frame_set). */
struct duet_dma_frame_op {
	uint64_t mfn;
	unsigned prot;
	duet_dma_addr_t bus;
};

struct duet_dma_ops {
	const char *name;
	int (*attach)(struct duet_dma_dev *dev, const char *opts,
		      void **priv);
	void (*detach)(void *priv);
	int (*map)(void *priv, void *cpu, size_t size, enum duet_dma_dir dir,
		   unsigned attrs, duet_dma_addr_t *addr);
	int (*unmap)(void *priv, duet_dma_addr_t addr, size_t size,
		     enum duet_dma_dir dir, unsigned attrs);
	int (*sync_for_cpu)(void *priv, duet_dma_addr_t addr, size_t size,
			    enum duet_dma_dir dir);
	int (*sync_for_device)(void *priv, duet_dma_addr_t addr, size_t size,
			       enum duet_dma_dir dir);
	int (*alloc_coherent)(void *priv, size_t size, void **cpu,
			      duet_dma_addr_t *addr);
	int (*free_coherent)(void *priv, size_t size, void *cpu,
			     duet_dma_addr_t addr);
	int (*translate)(void *priv, duet_dma_addr_t addr, int write,
			 uint64_t *maddr);
	int (*frame_set)(void *priv, uint64_t mfn, unsigned prot,
			 duet_dma_addr_t *bus);
	size_t (*max_mapping)(void *priv);
	void (*stats)(void *priv, struct duet_dma_stats *st);
	int (*reset)(void *priv);
	int (*frame_set_n)(void *priv, struct duet_dma_frame_op *v,
			   unsigned n, unsigned *done);
};

/**
 * duet_dma_backend_register() - add a backend to the table
 * duet_dma_backend_find() searches.  @ops must outlive the process.
 * Returns 0, -EEXIST (name taken), -ENOSPC (table full), -EINVAL.
 */
int duet_dma_backend_register(const struct duet_dma_ops *ops);

/**
 * duet_dma_backend_find() - a backend by name.  Built in: "direct" (no
 * IOMMU: bus = machine address; the device reaches what was mapped, and
 * only its own domain's frames), "swiotlb" (bounce through the domain's
 * pools; options "force" to bounce everything, otherwise buffers the
 * device can address directly are passed through), "pv-identity"
 * (Xen's PV IOMMU: dfn = mfn, the device reaches mapped own frames and
 * the grant frames the glue gives it), and the hardware IOMMU models
 * (iommu-glue/dma-iommu.c, options there): "gart" (AMD GART aperture,
 * translation without isolation: the glue bounces), "calgary" (IBM
 * Calgary TCE table per domain), "vtd-strict" and "vtd-lazy" (Intel VT-d,
 * one VT-d domain per DMA domain; lazy batches IOTLB invalidations, an
 * unmapped address stays usable until the flush, within timeout_ms
 * (10) + half of it).  Returns NULL when unknown.
 */
const struct duet_dma_ops *duet_dma_backend_find(const char *name);

/** duet_dma_backend_count() - how many backends are registered;
 *  duet_dma_backend_at() - the @i-th (0-based, built-ins first), NULL
 *  past the end.  For tests and benches that try every backend. */
unsigned duet_dma_backend_count(void);
const struct duet_dma_ops *duet_dma_backend_at(unsigned i);

/* Helpers for backends (the identity reach table the built-in backends
 * use; an IOMMU model keeps its own tables instead). */

/** duet_dma_dev_priv() - the private state of @dev's backend. */
void *duet_dma_dev_priv(struct duet_dma_dev *dev);
/** duet_dma_dev_cfg_get() - @dev's configuration (defaults filled in). */
const struct duet_dma_dev_cfg *duet_dma_dev_cfg_get(struct duet_dma_dev *dev);
/** duet_dma_dev_ops() - @dev's backend. */
const struct duet_dma_ops *duet_dma_dev_ops(struct duet_dma_dev *dev);
/** duet_dma_dev_mem() - the machine @dev is on. */
struct duet_dma_mem *duet_dma_dev_mem(struct duet_dma_dev *dev);

/* ------------------------------------------------------------------ */
/* swiotlb                                                             */
/* ------------------------------------------------------------------ */

/** 2 KiB slots, 128 to a segment: 256 KiB is the largest mapping. */
#define DUET_SWIOTLB_SLOT_SHIFT 11u
#define DUET_SWIOTLB_SLOT_SIZE (1u << DUET_SWIOTLB_SLOT_SHIFT)
#define DUET_SWIOTLB_SEGSIZE 128u

/**
 * struct duet_swiotlb_cfg - a domain's bounce pools.
 * @slots:     slots per pool (rounded up to areas * 128); 0: 512 (1 MiB).
 * @areas:     areas per pool, a power of two (0: 2); each area has its own
 *             lock and next-fit rotor.
 * @dma_bits:  pools lie below 2^@dma_bits in machine memory (0: 32).
 * @max_pools: pools the domain may have (0: 8); 1 disables growth.
 * @idle_ms:   an added pool (never the first) unused for this long is
 *             freed by a later map or unmap of the domain (0: 10000).
 */
struct duet_swiotlb_cfg {
	unsigned slots;
	unsigned areas;
	unsigned dma_bits;
	unsigned max_pools;
	unsigned idle_ms;
};

/**
 * duet_swiotlb_setup() - give domain @d its bounce pools (one pool now;
 * more as they fill, up to @cfg->max_pools).  Devices of @d behind the
 * "swiotlb" backend and the glue's bounce path use them.  Without this
 * call the first user sets up the defaults.
 * Returns 0, -EEXIST (already set up), -ENOMEM, -EINVAL.
 */
int duet_swiotlb_setup(struct duet_dma_domain *d,
		       const struct duet_swiotlb_cfg *cfg);

/**
 * duet_swiotlb_shrink() - free the pools (never the first) that have no
 * slot in use.  Returns how many were freed.
 */
int duet_swiotlb_shrink(struct duet_dma_domain *d);

/* ------------------------------------------------------------------ */
/* Grant-aware glue (iommu-glue/)                                      */
/* ------------------------------------------------------------------ */

struct duet_dma_glue;

/**
 * duet_dma_glue_create() - the glue context of driver domain @d, mapping
 * grants through platform @p (which must run as @d's domid).
 * Returns 0, -EINVAL, -ENOMEM.
 */
int duet_dma_glue_create(struct duet_platform *p, struct duet_dma_domain *d,
			 struct duet_dma_glue **out);

/** duet_dma_glue_destroy() - unmap every handle still live (bounces are
 *  copied back as by duet_dma_glue_unmap()) and free; the handles are
 *  gone with it.  NULL is ignored. */
void duet_dma_glue_destroy(struct duet_dma_glue *g);

/** Handle of one grant mapped for a device. */
struct duet_dma_glue_map;

/**
 * duet_dma_glue_map_grant() - map grant @ref of @granter so that @dev can
 * reach exactly that frame.  @flags: DUET_GNT_READONLY for a read-only
 * grant, which gives a read-only device mapping; @dir must then be
 * DUET_DMA_TO_DEVICE.  With a backend that has frame_set (an IOMMU) the
 * device gets the frame itself at the bus address frame_set chose (one
 * address per frame and device while it is mapped), refcounted per frame
 * as Xen does (first writer maps read-write, the last writer leaving readers
 * remaps read-only, the last user unmaps).  Without (direct, swiotlb) the
 * device gets a bounce buffer of @d's swiotlb and the glue copies.
 * @cpu (may be NULL) receives the CPU address of the grant mapping.
 * Returns 0 with *@h and *@addr set; -EACCES when the grant is refused (a
 * frame never granted to @d, a read-only grant asked for writing, an
 * unused ref: the grant table denies the access, which is EACCES;
 * EPERM is kept for a platform restricted to another domain);
 * -ENOSPC/-ENOMEM; another -errno from the backend.
 */
int duet_dma_glue_map_grant(struct duet_dma_glue *g, struct duet_dma_dev *dev,
			    duet_domid_t granter, duet_grant_ref_t ref,
			    unsigned flags, enum duet_dma_dir dir,
			    struct duet_dma_glue_map **h,
			    duet_dma_addr_t *addr, void **cpu);

/** duet_dma_glue_unmap() - undo it (bounce: copy back for FROM_DEVICE and
 *  BIDIRECTIONAL first).  Returns 0 or -errno (the handle is freed). */
int duet_dma_glue_unmap(struct duet_dma_glue *g, struct duet_dma_glue_map *h);

/**
 * struct duet_dma_glue_req - one grant of duet_dma_glue_map_grants().
 * @ref, @flags, @dir: as duet_dma_glue_map_grant() takes them.
 * @cpu:    in: NULL, or the caller's own grant mapping of @ref (read-only
 *          when @flags has DUET_GNT_READONLY), which the glue then uses
 *          instead of mapping: no platform call.  The caller keeps it
 *          mapped until it has unmapped this handle.  A frame entered
 *          this way is the glue's only through that mapping (two caller
 *          mappings of one grant are two frames).  out (when NULL): the
 *          CPU address of the glue's mapping.
 * @h:      out: the handle; NULL on failure.
 * @addr:   out: the bus address of the frame's first byte
 *          (DUET_DMA_MAPPING_ERROR on failure).
 * @status: out: 0, or the -errno of the grant that failed the batch.
 */
struct duet_dma_glue_req {
	duet_grant_ref_t ref;
	unsigned flags;
	enum duet_dma_dir dir;
	void *cpu;
	struct duet_dma_glue_map *h;
	duet_dma_addr_t addr;
	int status;
};

/**
 * duet_dma_glue_map_grants() - duet_dma_glue_map_grant() for @n grants of
 * @granter, all or nothing.  The grants without a CPU mapping of their
 * kind are mapped with one platform call per kind (read-only, writable)
 * per 64 grants, and the device's IOMMU entries are set with one
 * invalidation per 64 (ops->frame_set_n).  The grant mappings a batch
 * made are released together, when the last frame in them is unmapped.
 * Returns @n, or -errno with nothing of the batch left mapped and the
 * failing grant's @status set (-EINVAL for bad arguments, -EACCES for a
 * grant the grant table refuses or a read-only grant asked for
 * writing, -ENOSPC/-ENOMEM, a backend's -errno).  Takes the glue's
 * mutex; the caller serialises calls on the platform handle.
 */
int duet_dma_glue_map_grants(struct duet_dma_glue *g,
			     struct duet_dma_dev *dev, duet_domid_t granter,
			     struct duet_dma_glue_req *v, unsigned n);

/**
 * duet_dma_glue_unmap_grants() - unmap @n handles: bounces still held are
 * copied back (FROM_DEVICE, BIDIRECTIONAL) unless @attrs has
 * DUET_DMA_ATTR_SKIP_CPU_SYNC; the device's entries go with one
 * invalidation per 64 handles, before the frames and their CPU mappings.
 * Returns 0 or the first -errno (every handle is freed).
 */
int duet_dma_glue_unmap_grants(struct duet_dma_glue *g,
			       struct duet_dma_glue_map *const *h, unsigned n,
			       unsigned attrs);

/**
 * duet_dma_glue_sync_for_cpu() - the device is done with @n kept handles
 * for now: bounces are copied back (FROM_DEVICE, BIDIRECTIONAL) and their
 * slots given back.  An IOMMU entry stays, with its rights.
 * duet_dma_glue_sync_for_device() - give them to the device again for a
 * use in @dir: an IOMMU entry gets exactly the rights @dir needs (one
 * invalidation per 64 handles when they shrink), a bounce a new slot
 * with the page's contents.  *@addr[i] receives each bus address (a
 * bounce's may change).  Both return 0 (or @n) or -errno; -EACCES when
 * @dir needs a write and a handle's frame is mapped read-only.
 */
int duet_dma_glue_sync_for_cpu(struct duet_dma_glue *g,
			       struct duet_dma_glue_map *const *h, unsigned n);
int duet_dma_glue_sync_for_device(struct duet_dma_glue *g,
				  struct duet_dma_glue_map *const *h,
				  unsigned n, enum duet_dma_dir dir,
				  duet_dma_addr_t *addr);

/** duet_dma_glue_frame_prot() - DUET_DMA_PROT_* the glue gave devices of
 *  @g for @granter's grant @ref right now (0: none).  For tests and
 *  duet status. */
unsigned duet_dma_glue_frame_prot(struct duet_dma_glue *g,
				  duet_domid_t granter, duet_grant_ref_t ref);

#ifdef __cplusplus
}
#endif

#endif /* DUET_DMA_H */

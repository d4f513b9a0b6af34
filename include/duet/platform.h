/* SPDX-License-Identifier: MIT */
/*
 * duet/platform.h - the platform interface: grants and event channels.
 *
 * One interface, two implementations chosen at run time:
 *   DUET_PLATFORM=xen        libxengnttab, libxengntshr, libxenevtchn,
 *                            libxenstore, libxentoolcore on real Xen
 *   DUET_PLATFORM=sim:<dir>  the duet simulator running in <dir>
 *                            (DUET_DOMID selects the domain, default 0)
 * Without DUET_PLATFORM, "xen" is used when /dev/xen/privcmd exists;
 * otherwise opening fails with -ENODEV and a message on how to start the
 * simulator.
 *
 * Conventions: every int-returning function returns 0 or a count on
 * success and a negative errno on failure.  Handles are opaque.  Unless a
 * function says otherwise it may block (it may talk to the hypervisor or
 * the simulator daemon).
 *
 * Threads: a platform handle may be used from several threads at once
 * (Xen's drivers take concurrent calls; the simulator's are serialised
 * inside the handle).  An event-channel handle is one thread's at a time:
 * threads that wait for events each open their own and bind their ports
 * on it (a port is notified, unmasked and unbound through the handle that
 * bound it).
 */
#ifndef DUET_PLATFORM_H
#define DUET_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A page as the grant interface sees it: 4 KiB, like Xen's. */
#define DUET_PAGE_SIZE 4096u

/** Domain id as on the wire (domid_t). */
typedef uint16_t duet_domid_t;
/** Grant reference as on the wire (grant_ref_t). */
typedef uint32_t duet_grant_ref_t;
/** Event-channel port as on the wire (evtchn_port_t). */
typedef uint32_t duet_evtchn_port_t;

struct duet_platform;
struct duet_evtchn;

/* ------------------------------------------------------------------ */
/* Opening                                                             */
/* ------------------------------------------------------------------ */

/**
 * duet_platform_open() - open a platform.
 * @spec: "xen", "sim:<dir>", or NULL to use $DUET_PLATFORM and then the
 *        default described above.
 * @out:  receives the handle on success; untouched on failure.
 *
 * Returns 0, -EINVAL for a malformed spec, -ENODEV when no platform is
 * available (a message saying how to start the simulator is logged), or
 * another -errno from the implementation.
 */
int duet_platform_open(const char *spec, struct duet_platform **out);

/**
 * duet_platform_sim_dir() - the simulator directory a platform spec names:
 * <dir> for "sim:<dir>" (a pointer into @spec), NULL for anything else
 * ("xen", "sim:", NULL).  The one reading of "sim:<dir>" in duet; pass
 * getenv("DUET_PLATFORM") for the environment's choice.
 */
const char *duet_platform_sim_dir(const char *spec);

/** duet_platform_close() - close a platform handle; NULL is ignored.
 *  Mappings and shares made through it are released. */
void duet_platform_close(struct duet_platform *p);

/** duet_platform_name() - "xen" or "sim"; never NULL. */
const char *duet_platform_name(const struct duet_platform *p);

/**
 * duet_platform_domid() - the domain this process runs in.
 * Returns the domid (>= 0) or -errno when it cannot be determined.
 */
int duet_platform_domid(struct duet_platform *p);

/** Capability bits returned by duet_platform_caps(). */
#define DUET_PLATFORM_CAP_TRANSFER 0x1u /* page transfer (flip) works */
#define DUET_PLATFORM_CAP_COPY     0x2u /* grant copy works */

/** duet_platform_caps() - DUET_PLATFORM_CAP_* bits of this platform. */
unsigned duet_platform_caps(const struct duet_platform *p);

/**
 * duet_platform_restrict() - de-privilege this process so that from now on
 * it can only act on @domid (on Xen: xentoolcore_restrict_all(), which
 * restricts every open libxen* handle in the process).  Call it after
 * opening every handle the process needs.  Irreversible.  On Xen 4.17
 * this also disables gntdev/gntalloc handles (map, unmap and copy then
 * fail with -ENOTTY); only event channels keep working (seen in the lab).
 * Returns 0 or -errno (-EOPNOTSUPP where the platform has no such notion).
 */
int duet_platform_restrict(struct duet_platform *p, duet_domid_t domid);

/* ------------------------------------------------------------------ */
/* Grants: granting side                                               */
/* ------------------------------------------------------------------ */

/** Flags for duet_gnt_share() and duet_gnt_map(). */
#define DUET_GNT_READONLY 0x1u

/**
 * duet_gnt_share() - allocate @count pages and grant them to @domid.
 * @flags: DUET_GNT_READONLY to grant read-only access.
 * @refs:  receives @count grant references.
 * @addr:  receives the local address of the @count contiguous pages
 *         (zeroed, page aligned).
 *
 * Returns 0; -ENOSPC when the grant table is full or @count is more
 * than the platform lets the domain share (nothing is shared): on Xen,
 * Linux's gntalloc holds at most its "limit" parameter of grants, 1024
 * by default, for the whole domain; the simulator takes at most 1024
 * pages per call, so share larger pools in chunks of at most 1024 on
 * both; -ENOMEM; -EINVAL for count 0 or bad flags; another -errno from
 * the platform.
 */
int duet_gnt_share(struct duet_platform *p, duet_domid_t domid,
		   unsigned count, unsigned flags, duet_grant_ref_t *refs,
		   void **addr);

/**
 * duet_gnt_unshare() - end foreign access to pages from duet_gnt_share()
 * and free them.  @addr and @count must be exactly those of one share call.
 *
 * Returns 0, or -EBUSY when the peer still has one of the pages mapped (the
 * pages stay shared and valid; try again after the peer unmapped them), or
 * -EINVAL when @addr/@count do not name one share call.  On real Xen the
 * kernel's gntalloc defers the end of access until the peer unmaps, so
 * -EBUSY is not reported there.
 */
int duet_gnt_unshare(struct duet_platform *p, void *addr, unsigned count);

/**
 * duet_gnt_end_share() - duet_gnt_unshare(), or as soon as the peer lets
 * go: a share the peer still maps (-EBUSY) is remembered, retried by every
 * later duet_gnt_end_share() and duet_gnt_reap() on @p, and dropped at
 * duet_platform_close() (Linux's gnttab_end_foreign_access() with its
 * deferred list).  The caller must not touch the pages after this call.
 * Returns 0 when access ended, 1 when it was deferred,
 * -ENOMEM when it could not be remembered (the pages stay shared), or
 * another -errno from duet_gnt_unshare().
 */
int duet_gnt_end_share(struct duet_platform *p, void *addr, unsigned count);

/**
 * duet_gnt_reap() - retry the deferred ends of @p.  Returns how many are
 * still waiting for their peer (0 when none).
 */
int duet_gnt_reap(struct duet_platform *p);

/* ------------------------------------------------------------------ */
/* Grants: mapping side                                                */
/* ------------------------------------------------------------------ */

/**
 * duet_gnt_map() - map @count pages granted by @domid, contiguously.
 * @flags: DUET_GNT_READONLY maps read-only (required for read-only grants).
 * @addr:  receives the address of the mapping.
 *
 * Every reference is checked against the granter's grant table: it must
 * be in range, in use, granted to this domain, and writable unless
 * @flags has DUET_GNT_READONLY.  Returns 0, or -EINVAL when any reference
 * is refused, whatever the reason (bad or unused ref, granted to another
 * domain, a read-only grant mapped writable, no such domain): Linux's
 * gntdev turns every failed GNTST_* of a map into -EINVAL, and the
 * simulator answers the same; -EINVAL also for bad arguments and for
 * more than 65536 refs in one call (gntdev's default "limit"; the
 * simulator takes as many); -ENOMEM; -EPERM on the simulator after
 * duet_platform_restrict() to another domain; another -errno.  Nothing
 * is mapped on failure.
 */
int duet_gnt_map(struct duet_platform *p, duet_domid_t domid,
		 unsigned count, const duet_grant_ref_t *refs, unsigned flags,
		 void **addr);

/** duet_gnt_unmap() - undo one duet_gnt_map() (same @addr and @count).
 *  Returns 0 or -EINVAL when they do not name one mapping. */
int duet_gnt_unmap(struct duet_platform *p, void *addr, unsigned count);

/* ------------------------------------------------------------------ */
/* Grants: copy                                                        */
/* ------------------------------------------------------------------ */

/** One side of a grant-copy segment: local memory, or a foreign grant. */
union duet_gnt_copy_ptr {
	void *virt;                  /* local address (may cross pages) */
	struct {
		duet_grant_ref_t ref;   /* granter's reference */
		uint16_t offset;        /* byte offset inside the page */
		duet_domid_t domid;     /* granting domain */
	} foreign;
};

/** Flags of a copy segment: which sides are grant references. */
#define DUET_GNT_COPY_SRC_GREF 0x1u
#define DUET_GNT_COPY_DST_GREF 0x2u

/**
 * struct duet_gnt_copy_seg - one segment of a grant-copy batch.
 * @src, @dst: the two sides; a foreign side's offset + @len must not
 *             exceed DUET_PAGE_SIZE.
 * @len:       bytes to copy.
 * @flags:     DUET_GNT_COPY_* bits saying which sides are foreign.
 * @status:    written by duet_gnt_copy(): 0, or -errno for this segment,
 *             Xen's GNTST_* status through the one table in core.c:
 *             -EINVAL ref past the table or bad offset/length
 *             (GNTST_bad_gntref, GNTST_bad_copy_arg), -ESRCH no such
 *             domain (GNTST_bad_domain), -EIO for an entry not in use,
 *             granted to another domain, or read-only when written
 *             (GNTST_general_error); the simulator answers the same, and
 *             -EPERM after duet_platform_restrict() to another domain.
 */
struct duet_gnt_copy_seg {
	union duet_gnt_copy_ptr src;
	union duet_gnt_copy_ptr dst;
	uint16_t len;
	uint16_t flags;
	int16_t status;
};

/**
 * duet_gnt_copy() - perform a batch of copies, each checked on its own.
 * Returns 0 when the batch was carried out (look at each segment's
 * status), or -errno when it could not be submitted at all (then every
 * status is undefined).
 */
int duet_gnt_copy(struct duet_platform *p, struct duet_gnt_copy_seg *segs,
		  unsigned count);

/**
 * duet_gnt_copy_buf_alloc() - @size bytes (rounded up to whole pages,
 * zeroed, page aligned) of local memory for the local sides of
 * duet_gnt_copy(): on the simulator a segment whose local side lies
 * wholly inside one such buffer is copied in place by the daemon instead
 * of being staged through the handle's copy area (any other local memory
 * still works, staged); on Xen it is plain memory.  The buffer is this
 * process's own; only the simulator daemon also maps it.
 * Returns 0; -EINVAL (@size 0 or over 64 MiB on the simulator); -ENOSPC
 * (the simulator takes 64 per handle); -ENOMEM; another -errno.
 */
int duet_gnt_copy_buf_alloc(struct duet_platform *p, size_t size,
			    void **addr);

/** duet_gnt_copy_buf_free() - free a duet_gnt_copy_buf_alloc() (same
 *  @addr and @size).  Returns 0 or -EINVAL.  Left ones go at close. */
int duet_gnt_copy_buf_free(struct duet_platform *p, void *addr, size_t size);

/* ------------------------------------------------------------------ */
/* Grants: transfer (page flip)                                        */
/* ------------------------------------------------------------------ */

/**
 * duet_gnt_transfer_offer() - receiver: create @count accept-transfer
 * grants that let @domid hand one page each to this domain.
 * Returns 0 or -errno; -EOPNOTSUPP where transfer is not supported.
 */
int duet_gnt_transfer_offer(struct duet_platform *p, duet_domid_t domid,
			    unsigned count, duet_grant_ref_t *refs);

/**
 * duet_gnt_transfer() - sender: give the page at @page (one page, page
 * aligned, from duet_gnt_transfer_page_alloc()) to @domid through its
 * accept-transfer grant @ref.  On success the page is gone from this
 * process (its address is no longer mapped).
 * Returns 0, -EINVAL/-EACCES when @ref is not an accept-transfer grant
 * for this domain, -EBUSY when it was already used, -EOPNOTSUPP.
 */
int duet_gnt_transfer(struct duet_platform *p, void *page,
		      duet_domid_t domid, duet_grant_ref_t ref);

/**
 * duet_gnt_transfer_accept() - receiver: map the page that arrived through
 * accept-transfer grant @ref (which is consumed).  The page now belongs to
 * this process; free it with duet_gnt_transfer_page_free().
 * Returns 0, -EAGAIN when nothing arrived yet, -EINVAL for a bad ref,
 * -EOPNOTSUPP.
 */
int duet_gnt_transfer_accept(struct duet_platform *p, duet_grant_ref_t ref,
			     void **page);

/** duet_gnt_transfer_page_alloc() - a page this domain owns and may give
 *  away with duet_gnt_transfer().  Returns 0 or -errno. */
int duet_gnt_transfer_page_alloc(struct duet_platform *p, void **page);

/** duet_gnt_transfer_page_free() - release an owned page. */
int duet_gnt_transfer_page_free(struct duet_platform *p, void *page);

/* ------------------------------------------------------------------ */
/* Memory a device can address (the DMA layer's platform hook)         */
/* ------------------------------------------------------------------ */

/*
 * A device addresses machine frames.  In a PV domain a page of this
 * process has a pseudo-physical frame (pfn, the kernel's view) and a
 * machine frame (mfn, the bus's view before any IOMMU); pfn + 1 need not
 * be mfn + 1.  These calls translate and allocate; the DMA layer
 * (duet/dma.h) uses them for a machine bound with duet_dma_mem_bind().
 *
 * sim:  the DMA layer's machine model bound to the platform: virt ->
 *       pfn -> p2m -> mfn in the model's domain of this platform's domid
 *       (-EOPNOTSUPP until a model is bound).
 * xen:  virt -> pfn from /proc/self/pagemap (frame numbers need
 *       CAP_SYS_ADMIN: -EPERM otherwise), the pages locked first (mlock,
 *       left locked: the frames cannot move while they are), then pfn ->
 *       mfn from this domain's own P2M, which a PV kernel publishes for
 *       the tools (shared_info's pfn_to_mfn_frame_list_list: frame list
 *       list -> frame lists -> P2M pages, as Xen's save and core-dump code
 *       read a PV guest), read with libxenctrl and libxenforeignmemory
 *       (loaded on first use).  The control domain only: a domU can
 *       neither find its shared_info frame (XEN_DOMCTL_getdomaininfo:
 *       -EPERM) nor has its kernel that tree (the toolstack's builder
 *       sets SIF_VIRT_P2M_4TOOLS, leaving only the virtually mapped list;
 *       Xen's dom0 builder does not).  Every translation is checked
 *       against Xen's M2P (m2p[mfn] == pfn) and refused with -EIO when
 *       they disagree.  HVM and PVH domains have
 *       no P2M of their own (the guest sees gfns; a device reaches them
 *       only through an IOMMU Xen programs, bus address = gfn):
 *       -EOPNOTSUPP.
 *       Machine-contiguous allocation is -EOPNOTSUPP on Xen: it takes
 *       XENMEM_exchange of pages the hypervisor can steal (no mapping
 *       left but their owner's), which only the kernel can arrange
 *       (xen_create_contiguous_region(), used by swiotlb-xen and
 *       dma_alloc_coherent()); Linux 6.1 gives userspace no interface to
 *       it: gntdev's DMA buffers (CONFIG_XEN_GRANT_DMA_ALLOC, off in
 *       Debian 12's kernel) hold another domain's granted frames, and
 *       dma-buf heaps, udmabuf and CMA are off in Debian 12 and are not
 *       machine-contiguous under Xen anyway.
 */

/**
 * duet_platform_frames() - the frames behind @count pages at @addr.
 * @addr:  page aligned, in this process.
 * @mfns:  receives @count machine frame numbers.
 * @pfns:  receives @count pseudo-physical frame numbers (may be NULL).
 * Returns 0; -EINVAL (@addr not page aligned, @count 0, NULL @mfns);
 * -EFAULT (a page is not mapped, or is not this domain's own memory,
 * e.g. a grant mapping); -EPERM (not privileged enough to read frames);
 * -EOPNOTSUPP (the platform cannot translate, see above); -EIO (the
 * P2M has no RAM frame for the page, or it and the M2P disagree).
 */
int duet_platform_frames(struct duet_platform *p, const void *addr,
			 unsigned count, uint64_t *mfns, uint64_t *pfns);

/**
 * duet_platform_contig() - whether the @count pages at @addr are
 * machine-contiguous (mfn[i + 1] == mfn[i] + 1) and lie below
 * 2^@dma_bits in machine memory (@dma_bits 12..64).
 * Returns 1 (yes), 0 (no) or the -errno of duet_platform_frames().
 */
int duet_platform_contig(struct duet_platform *p, const void *addr,
			 unsigned count, unsigned dma_bits);

/**
 * duet_platform_alloc_contig() - @count zeroed pages of this domain that
 * are machine-contiguous, aligned to the power of two >= @count and
 * below 2^@dma_bits (20..64): what a bounce pool needs.
 * Returns 0 with *@addr set; -ENOMEM (no such run); -EINVAL;
 * -EOPNOTSUPP (xen: no userspace interface, see above; sim: no model).
 */
int duet_platform_alloc_contig(struct duet_platform *p, unsigned count,
			       unsigned dma_bits, void **addr);

/** duet_platform_free_contig() - give back a duet_platform_alloc_contig()
 *  (same @addr and @count).  Returns 0 or -EINVAL. */
int duet_platform_free_contig(struct duet_platform *p, void *addr,
			      unsigned count);

/* ------------------------------------------------------------------ */
/* Event channels                                                      */
/* ------------------------------------------------------------------ */

/**
 * duet_evtchn_open() - open an event-channel handle.  Ports bound through
 * one handle deliver their events on its one pollable fd.
 */
int duet_evtchn_open(struct duet_platform *p, struct duet_evtchn **out);

/** duet_evtchn_close() - unbind every port and close; NULL is ignored. */
void duet_evtchn_close(struct duet_evtchn *e);

/** duet_evtchn_fd() - fd that becomes readable when an event is pending. */
int duet_evtchn_fd(struct duet_evtchn *e);

/** duet_evtchn_alloc_unbound() - allocate a port @remote may bind to.
 *  Returns the local port or -errno. */
int duet_evtchn_alloc_unbound(struct duet_evtchn *e, duet_domid_t remote);

/** duet_evtchn_bind() - bind to @remote's unbound port @remote_port.
 *  Returns the local port or -errno. */
int duet_evtchn_bind(struct duet_evtchn *e, duet_domid_t remote,
		     duet_evtchn_port_t remote_port);

/**
 * duet_evtchn_notify() - send an event on local port @port.
 * Returns 0, also when the peer closed its end or its domain died: Xen
 * drops an event on a port that is unbound again (EVTCHNOP_send), so a
 * peer's end is found out through xenstore, never through notify.
 * Returns -ENOTCONN for a port not bound through @e (Linux's evtchn
 * driver), -EPIPE on the simulator when the simulator itself is gone.
 * Never blocks on the peer.
 */
int duet_evtchn_notify(struct duet_evtchn *e, duet_evtchn_port_t port);

/**
 * duet_evtchn_pending() - the next pending local port, without blocking.
 * The port stays masked until duet_evtchn_unmask().
 * Returns the port, -EAGAIN when none is pending, or -errno.
 */
int duet_evtchn_pending(struct duet_evtchn *e);

/** duet_evtchn_unmask() - re-enable delivery on @port.  Returns 0 (a
 *  port not bound through @e is skipped, as Linux's evtchn driver does)
 *  or -errno. */
int duet_evtchn_unmask(struct duet_evtchn *e, duet_evtchn_port_t port);

/**
 * duet_evtchn_unbind() - close local port @port.  The peer's port becomes
 * unbound again (our domain may bind it anew); the simulator also gives
 * the peer one spurious event so that a waiting peer looks at xenstore,
 * which Xen does not.  Returns 0, -ENOTCONN for a port not bound through
 * @e, -EINVAL for a port out of range.
 */
int duet_evtchn_unbind(struct duet_evtchn *e, duet_evtchn_port_t port);

#ifdef __cplusplus
}
#endif

#endif /* DUET_PLATFORM_H */

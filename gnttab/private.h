/* SPDX-License-Identifier: MIT */
/*
 * private.h - the platform hooks behind duet/platform.h.
 *
 * core.c checks arguments and dispatches through one ops table per
 * platform: duet_platform_xen (platform-xen.c) and duet_platform_sim
 * (platform-sim.c).  Only those two files talk to libxen* or to the
 * simulator daemon.  A hook may be NULL when the platform lacks the
 * feature; core.c then answers -EOPNOTSUPP.
 */
#ifndef DUET_GNTTAB_PRIVATE_H
#define DUET_GNTTAB_PRIVATE_H

#include <pthread.h>

#include "duet/platform.h"
#include "gnttab/log-internal.h"

/**
 * struct duet_platform - an open platform.
 * @ops:   the implementation.
 * @priv:  the implementation's state.
 * @domid: this process's domain, or -1 until known.
 */
struct duet_platform {
	const struct duet_platform_ops *ops;
	void *priv;
	int domid;
	pthread_mutex_t op_lock; /* serialises the hooks unless thread_safe */
	pthread_mutex_t ended_lock; /* guards @ended; taken before op_lock */
	struct duet_gnt_ended *ended; /* duet_gnt_end_share(): shares the
				       * peer still maps, to end later */
	const struct duet_machine *machine; /* sim: the bound model */
	void *machine_priv;
};

/*
 * struct duet_machine - the simulator's machine model as the sim
 * platform's memory hooks see it (swiotlb/dma-mem.c implements it,
 * duet_dma_mem_bind() installs it in any platform; only sim's hooks
 * consult it, Xen has a real machine).  @domid is the platform's domain.
 * Conventions of duet_platform_frames() and duet_platform_alloc_contig().
 */
struct duet_machine {
	int (*frames)(void *priv, duet_domid_t domid, const void *addr,
		      unsigned count, uint64_t *mfns, uint64_t *pfns);
	int (*alloc_contig)(void *priv, duet_domid_t domid, unsigned count,
			    unsigned dma_bits, void **addr);
	int (*free_contig)(void *priv, duet_domid_t domid, void *addr,
			   unsigned count);
};

/* Install @m (NULL: none) as @p's machine. */
DUET_INTERNAL void duet_platform_set_machine(struct duet_platform *p,
					     const struct duet_machine *m,
					     void *priv);

/**
 * struct duet_evtchn - an open event-channel handle.
 * @p:    the platform it belongs to.
 * @priv: the implementation's state.
 */
struct duet_evtchn {
	struct duet_platform *p;
	void *priv;
};

/*
 * The hooks.  Arguments are already checked by core.c (non-NULL handles,
 * count > 0, page-aligned addresses where the API requires them).  Return
 * conventions are those of the public function of the same name.
 */
struct duet_platform_ops {
	const char *name;
	unsigned caps;
	/*
	 * 1: the hooks may run concurrently from several threads (every
	 * event-channel hook on one handle still from one thread at a time).
	 * 0: core.c holds the platform's op_lock around every hook but
	 * evtchn_fd/notify/pending/unmask, which touch only their handle.
	 */
	int thread_safe;

	/* @arg: the part of the spec after "name:", or NULL. */
	int (*open)(struct duet_platform *p, const char *arg);
	void (*close)(struct duet_platform *p);
	int (*domid)(struct duet_platform *p);
	int (*restrict_to)(struct duet_platform *p, duet_domid_t domid);
	/*
	 * The xenstore socket this platform's processes must use, or NULL
	 * for libxenstore's default (socket, then /dev/xen/xenbus).
	 */
	const char *(*xs_socket)(struct duet_platform *p);

	int (*share)(struct duet_platform *p, duet_domid_t domid,
		     unsigned count, unsigned flags, duet_grant_ref_t *refs,
		     void **addr);
	int (*unshare)(struct duet_platform *p, void *addr, unsigned count);
	int (*map)(struct duet_platform *p, duet_domid_t domid,
		   unsigned count, const duet_grant_ref_t *refs,
		   unsigned flags, void **addr);
	int (*unmap)(struct duet_platform *p, void *addr, unsigned count);
	/*
	 * core.c has already set the status of malformed segments to a
	 * nonzero value: the hook skips those and fills in the others.
	 */
	int (*copy)(struct duet_platform *p, struct duet_gnt_copy_seg *segs,
		    unsigned count);
	/* NULL: core.c hands out anonymous memory. */
	int (*copy_buf_alloc)(struct duet_platform *p, size_t size,
			      void **addr);
	int (*copy_buf_free)(struct duet_platform *p, void *addr, size_t size);
	int (*transfer_offer)(struct duet_platform *p, duet_domid_t domid,
			      unsigned count, duet_grant_ref_t *refs);
	int (*transfer)(struct duet_platform *p, void *page,
			duet_domid_t domid, duet_grant_ref_t ref);
	int (*transfer_accept)(struct duet_platform *p, duet_grant_ref_t ref,
			       void **page);
	int (*page_alloc)(struct duet_platform *p, void **page);
	int (*page_free)(struct duet_platform *p, void *page);

	/* Memory a device can address; NULL: -EOPNOTSUPP. */
	int (*frames)(struct duet_platform *p, const void *addr,
		      unsigned count, uint64_t *mfns, uint64_t *pfns);
	int (*alloc_contig)(struct duet_platform *p, unsigned count,
			    unsigned dma_bits, void **addr);
	int (*free_contig)(struct duet_platform *p, void *addr,
			   unsigned count);

	int (*evtchn_open)(struct duet_evtchn *e);
	void (*evtchn_close)(struct duet_evtchn *e);
	int (*evtchn_fd)(struct duet_evtchn *e);
	int (*evtchn_alloc_unbound)(struct duet_evtchn *e,
				    duet_domid_t remote);
	int (*evtchn_bind)(struct duet_evtchn *e, duet_domid_t remote,
			   duet_evtchn_port_t remote_port);
	int (*evtchn_notify)(struct duet_evtchn *e, duet_evtchn_port_t port);
	int (*evtchn_pending)(struct duet_evtchn *e);
	int (*evtchn_unmask)(struct duet_evtchn *e, duet_evtchn_port_t port);
	int (*evtchn_unbind)(struct duet_evtchn *e, duet_evtchn_port_t port);
};

/* memmove() for grant-copy segments, without rep movsb (gnttab/copy.c). */
DUET_INTERNAL void duet_copy_bytes(void *dst, const void *src, size_t len);

DUET_INTERNAL extern const struct duet_platform_ops duet_platform_xen;
DUET_INTERNAL extern const struct duet_platform_ops duet_platform_sim;


/**
 * duet_gnttab_status_to_errno() - translate a GNTST_* status (Xen's
 * grant_table.h) into 0 or a negative errno.  The one table for it.
 */
DUET_INTERNAL int duet_gnttab_status_to_errno(int gntst);

#endif /* DUET_GNTTAB_PRIVATE_H */

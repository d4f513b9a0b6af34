/* SPDX-License-Identifier: MIT */
/*
 * core.c - platform selection and argument checks for duet/platform.h.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xen/grant_table.h>

#include "gnttab/private.h"
#include "gnttab/xs-socket.h"

#define PRIVCMD_PATH "/dev/xen/privcmd"

static const char no_platform_msg[] =
	"no Xen platform here (no " PRIVCMD_PATH ") and DUET_PLATFORM is "
	"unset; start the simulator with 'duet sim start --dir DIR' and run "
	"'eval \"$(duet sim env 0)\"' (sets DUET_PLATFORM=sim:DIR), or set "
	"DUET_PLATFORM=xen on a Xen host";

/* ------------------------------------------------------------------ */
/* Opening                                                             */
/* ------------------------------------------------------------------ */

static int pick_ops(const char *spec, const struct duet_platform_ops **ops,
		    const char **arg)
{
	const char *dir;

	if (!spec || !*spec) {
		if (access(PRIVCMD_PATH, F_OK) != 0) {
			duet_log(DUET_LOG_ERR, "%s", no_platform_msg);
			return -ENODEV;
		}
		spec = "xen";
	}
	if (!strcmp(spec, "xen")) {
		*ops = &duet_platform_xen;
		*arg = NULL;
		return 0;
	}
	dir = duet_platform_sim_dir(spec);
	if (dir) {
		*ops = &duet_platform_sim;
		*arg = dir;
		return 0;
	}
	duet_log(DUET_LOG_ERR,
		 "bad platform '%s': expected 'xen' or 'sim:<dir>'", spec);
	return -EINVAL;
}

const char *duet_platform_sim_dir(const char *spec)
{
	if (!spec || strncmp(spec, "sim:", 4) || !spec[4])
		return NULL;
	return spec + 4;
}

/*
 * A platform handle may be used from several threads (duet/platform.h):
 * a platform whose hooks are not thread-safe has them serialised here.
 * Recursive, so that a hook may call back into the public functions
 * (the machine model's hooks do).
 */
static void op_lock(struct duet_platform *p)
{
	if (!p->ops->thread_safe)
		pthread_mutex_lock(&p->op_lock);
}

static void op_unlock(struct duet_platform *p)
{
	if (!p->ops->thread_safe)
		pthread_mutex_unlock(&p->op_lock);
}

/* A share whose end waits for the peer to unmap it. */
struct duet_gnt_ended {
	void *addr;
	unsigned count;
	struct duet_gnt_ended *next;
};

int duet_platform_open(const char *spec, struct duet_platform **out)
{
	const struct duet_platform_ops *ops;
	pthread_mutexattr_t attr;
	struct duet_platform *p;
	const char *arg;
	int rc;

	if (!out)
		return -EINVAL;
	if (!spec)
		spec = getenv("DUET_PLATFORM");
	rc = pick_ops(spec, &ops, &arg);
	if (rc < 0)
		return rc;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->ops = ops;
	p->domid = -1;
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&p->op_lock, &attr);
	pthread_mutexattr_destroy(&attr);
	pthread_mutex_init(&p->ended_lock, NULL);
	rc = ops->open(p, arg);
	if (rc < 0) {
		pthread_mutex_destroy(&p->ended_lock);
		pthread_mutex_destroy(&p->op_lock);
		free(p);
		return rc;
	}
	*out = p;
	return 0;
}

void duet_platform_close(struct duet_platform *p)
{
	struct duet_gnt_ended *e;

	if (!p)
		return;
	duet_gnt_reap(p);
	while ((e = p->ended)) {
		p->ended = e->next;
		free(e);
	}
	p->ops->close(p);
	pthread_mutex_destroy(&p->ended_lock);
	pthread_mutex_destroy(&p->op_lock);
	free(p);
}

const char *duet_platform_name(const struct duet_platform *p)
{
	return p ? p->ops->name : "none";
}

unsigned duet_platform_caps(const struct duet_platform *p)
{
	return p ? p->ops->caps : 0;
}

int duet_platform_domid(struct duet_platform *p)
{
	int rc;

	if (!p)
		return -EINVAL;
	/* Relaxed: the cached value is the only thing shared; a race makes
	 * two threads ask the platform once each. */
	rc = __atomic_load_n(&p->domid, __ATOMIC_RELAXED);
	if (rc >= 0)
		return rc;
	op_lock(p);
	rc = p->ops->domid(p);
	op_unlock(p);
	if (rc >= 0)
		__atomic_store_n(&p->domid, rc, __ATOMIC_RELAXED);
	return rc;
}

int duet_platform_restrict(struct duet_platform *p, duet_domid_t domid)
{
	int rc;

	if (!p)
		return -EINVAL;
	if (!p->ops->restrict_to)
		return -EOPNOTSUPP;
	op_lock(p);
	rc = p->ops->restrict_to(p, domid);
	op_unlock(p);
	return rc;
}

const char *duet_platform_xs_socket(struct duet_platform *p)
{
	return p->ops->xs_socket ? p->ops->xs_socket(p) : NULL;
}

/* ------------------------------------------------------------------ */
/* Grants                                                              */
/* ------------------------------------------------------------------ */

static int page_aligned(const void *addr)
{
	return addr && ((uintptr_t)addr & (DUET_PAGE_SIZE - 1)) == 0;
}

int duet_gnt_share(struct duet_platform *p, duet_domid_t domid,
		   unsigned count, unsigned flags, duet_grant_ref_t *refs,
		   void **addr)
{
	int rc;

	if (!p || !count || !refs || !addr || (flags & ~DUET_GNT_READONLY))
		return -EINVAL;
	op_lock(p);
	rc = p->ops->share(p, domid, count, flags, refs, addr);
	op_unlock(p);
	return rc;
}

int duet_gnt_unshare(struct duet_platform *p, void *addr, unsigned count)
{
	int rc;

	if (!p || !count || !page_aligned(addr))
		return -EINVAL;
	op_lock(p);
	rc = p->ops->unshare(p, addr, count);
	op_unlock(p);
	return rc;
}

/* Retry every deferred end; ended_lock held.  Returns how many wait. */
static int reap_locked(struct duet_platform *p)
{
	struct duet_gnt_ended **pp = &p->ended, *e;
	int left = 0, rc;

	while ((e = *pp)) {
		op_lock(p);
		rc = p->ops->unshare(p, e->addr, e->count);
		op_unlock(p);
		if (rc == -EBUSY) {
			pp = &e->next;
			left++;
			continue;
		}
		*pp = e->next;
		free(e);
	}
	return left;
}

int duet_gnt_reap(struct duet_platform *p)
{
	int left;

	if (!p)
		return -EINVAL;
	pthread_mutex_lock(&p->ended_lock);
	left = reap_locked(p);
	pthread_mutex_unlock(&p->ended_lock);
	return left;
}

int duet_gnt_end_share(struct duet_platform *p, void *addr, unsigned count)
{
	struct duet_gnt_ended *e;
	int rc;

	rc = duet_gnt_unshare(p, addr, count);
	if (rc != -EBUSY)
		return rc;
	e = malloc(sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->addr = addr;
	e->count = count;
	pthread_mutex_lock(&p->ended_lock);
	reap_locked(p);
	e->next = p->ended;
	p->ended = e;
	pthread_mutex_unlock(&p->ended_lock);
	return 1;
}

int duet_gnt_map(struct duet_platform *p, duet_domid_t domid,
		 unsigned count, const duet_grant_ref_t *refs, unsigned flags,
		 void **addr)
{
	int rc;

	if (!p || !count || !refs || !addr || (flags & ~DUET_GNT_READONLY))
		return -EINVAL;
	op_lock(p);
	rc = p->ops->map(p, domid, count, refs, flags, addr);
	op_unlock(p);
	return rc;
}

int duet_gnt_unmap(struct duet_platform *p, void *addr, unsigned count)
{
	int rc;

	if (!p || !count || !page_aligned(addr))
		return -EINVAL;
	op_lock(p);
	rc = p->ops->unmap(p, addr, count);
	op_unlock(p);
	return rc;
}

int duet_gnt_copy(struct duet_platform *p, struct duet_gnt_copy_seg *segs,
		  unsigned count)
{
	unsigned i;
	int rc;

	if (!p || (count && !segs))
		return -EINVAL;
	if (!count)
		return 0;
	if (!p->ops->copy)
		return -EOPNOTSUPP;
	/*
	 * Segments whose foreign side would cross a page fail on their own,
	 * like GNTST_bad_copy_arg; the rest of the batch still runs.
	 */
	for (i = 0; i < count; i++) {
		struct duet_gnt_copy_seg *s = &segs[i];

		s->status = 0;
		if (!(s->flags & (DUET_GNT_COPY_SRC_GREF |
				  DUET_GNT_COPY_DST_GREF)) ||
		    (s->flags & ~(DUET_GNT_COPY_SRC_GREF |
				  DUET_GNT_COPY_DST_GREF)))
			s->status = -EINVAL;
		if ((s->flags & DUET_GNT_COPY_SRC_GREF) &&
		    (unsigned)s->src.foreign.offset + s->len > DUET_PAGE_SIZE)
			s->status = -EINVAL;
		if ((s->flags & DUET_GNT_COPY_DST_GREF) &&
		    (unsigned)s->dst.foreign.offset + s->len > DUET_PAGE_SIZE)
			s->status = -EINVAL;
	}
	op_lock(p);
	rc = p->ops->copy(p, segs, count);
	op_unlock(p);
	return rc;
}

int duet_gnt_copy_buf_alloc(struct duet_platform *p, size_t size,
			    void **addr)
{
	void *a;
	int rc;

	if (!p || !size || !addr || size > SIZE_MAX - DUET_PAGE_SIZE)
		return -EINVAL;
	if (p->ops->copy_buf_alloc) {
		op_lock(p);
		rc = p->ops->copy_buf_alloc(p, size, addr);
		op_unlock(p);
		return rc;
	}
	a = mmap(NULL, size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (a == MAP_FAILED)
		return -errno;
	*addr = a;
	return 0;
}

int duet_gnt_copy_buf_free(struct duet_platform *p, void *addr, size_t size)
{
	int rc;

	if (!p || !size || !page_aligned(addr))
		return -EINVAL;
	if (p->ops->copy_buf_free) {
		op_lock(p);
		rc = p->ops->copy_buf_free(p, addr, size);
		op_unlock(p);
		return rc;
	}
	return munmap(addr, size) < 0 ? -errno : 0;
}

int duet_gnt_transfer_offer(struct duet_platform *p, duet_domid_t domid,
			    unsigned count, duet_grant_ref_t *refs)
{
	int rc;

	if (!p || !count || !refs)
		return -EINVAL;
	if (!p->ops->transfer_offer)
		return -EOPNOTSUPP;
	op_lock(p);
	rc = p->ops->transfer_offer(p, domid, count, refs);
	op_unlock(p);
	return rc;
}

int duet_gnt_transfer(struct duet_platform *p, void *page,
		      duet_domid_t domid, duet_grant_ref_t ref)
{
	int rc;

	if (!p || !page_aligned(page))
		return -EINVAL;
	if (!p->ops->transfer)
		return -EOPNOTSUPP;
	op_lock(p);
	rc = p->ops->transfer(p, page, domid, ref);
	op_unlock(p);
	return rc;
}

int duet_gnt_transfer_accept(struct duet_platform *p, duet_grant_ref_t ref,
			     void **page)
{
	int rc;

	if (!p || !page)
		return -EINVAL;
	if (!p->ops->transfer_accept)
		return -EOPNOTSUPP;
	op_lock(p);
	rc = p->ops->transfer_accept(p, ref, page);
	op_unlock(p);
	return rc;
}

int duet_gnt_transfer_page_alloc(struct duet_platform *p, void **page)
{
	int rc;

	if (!p || !page)
		return -EINVAL;
	if (!p->ops->page_alloc)
		return -EOPNOTSUPP;
	op_lock(p);
	rc = p->ops->page_alloc(p, page);
	op_unlock(p);
	return rc;
}

int duet_gnt_transfer_page_free(struct duet_platform *p, void *page)
{
	int rc;

	if (!p || !page_aligned(page))
		return -EINVAL;
	if (!p->ops->page_free)
		return -EOPNOTSUPP;
	op_lock(p);
	rc = p->ops->page_free(p, page);
	op_unlock(p);
	return rc;
}

/*
 * GNTST_* -> errno: the one translation table (STYLE.md, "Errors").
 * Indexed by -status; GNTST_okay is 0.
 */
static const int gntst_errno[] = {
	[-GNTST_okay] = 0,
	[-GNTST_general_error] = EIO,
	[-GNTST_bad_domain] = ESRCH,
	[-GNTST_bad_gntref] = EINVAL,
	[-GNTST_bad_handle] = EINVAL,
	[-GNTST_bad_virt_addr] = EFAULT,
	[-GNTST_bad_dev_addr] = EFAULT,
	[-GNTST_no_device_space] = ENOSPC,
	[-GNTST_permission_denied] = EACCES,
	[-GNTST_bad_page] = EINVAL,
	[-GNTST_bad_copy_arg] = EINVAL,
	[-GNTST_address_too_big] = E2BIG,
	[-GNTST_eagain] = EAGAIN,
	[-GNTST_no_space] = ENOSPC,
};

int duet_gnttab_status_to_errno(int gntst)
{
	if (gntst > 0 ||
	    -gntst >= (int)(sizeof(gntst_errno) / sizeof(gntst_errno[0])))
		return -EIO;
	return -gntst_errno[-gntst];
}

/* ------------------------------------------------------------------ */
/* Event channels                                                      */
/* ------------------------------------------------------------------ */

int duet_evtchn_open(struct duet_platform *p, struct duet_evtchn **out)
{
	struct duet_evtchn *e;
	int rc;

	if (!p || !out)
		return -EINVAL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->p = p;
	op_lock(p);
	rc = p->ops->evtchn_open(e);
	op_unlock(p);
	if (rc < 0) {
		free(e);
		return rc;
	}
	*out = e;
	return 0;
}

void duet_evtchn_close(struct duet_evtchn *e)
{
	if (!e)
		return;
	op_lock(e->p);
	e->p->ops->evtchn_close(e);
	op_unlock(e->p);
	free(e);
}

int duet_evtchn_fd(struct duet_evtchn *e)
{
	return e ? e->p->ops->evtchn_fd(e) : -EINVAL;
}

int duet_evtchn_alloc_unbound(struct duet_evtchn *e, duet_domid_t remote)
{
	int rc;

	if (!e)
		return -EINVAL;
	op_lock(e->p);
	rc = e->p->ops->evtchn_alloc_unbound(e, remote);
	op_unlock(e->p);
	return rc;
}

int duet_evtchn_bind(struct duet_evtchn *e, duet_domid_t remote,
		     duet_evtchn_port_t remote_port)
{
	int rc;

	if (!e)
		return -EINVAL;
	op_lock(e->p);
	rc = e->p->ops->evtchn_bind(e, remote, remote_port);
	op_unlock(e->p);
	return rc;
}

int duet_evtchn_notify(struct duet_evtchn *e, duet_evtchn_port_t port)
{
	return e ? e->p->ops->evtchn_notify(e, port) : -EINVAL;
}

int duet_evtchn_pending(struct duet_evtchn *e)
{
	return e ? e->p->ops->evtchn_pending(e) : -EINVAL;
}

int duet_evtchn_unmask(struct duet_evtchn *e, duet_evtchn_port_t port)
{
	return e ? e->p->ops->evtchn_unmask(e, port) : -EINVAL;
}

int duet_evtchn_unbind(struct duet_evtchn *e, duet_evtchn_port_t port)
{
	int rc;

	if (!e)
		return -EINVAL;
	op_lock(e->p);
	rc = e->p->ops->evtchn_unbind(e, port);
	op_unlock(e->p);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Memory a device can address                                         */
/* ------------------------------------------------------------------ */

void duet_platform_set_machine(struct duet_platform *p,
			       const struct duet_machine *m, void *priv)
{
	p->machine = m;
	p->machine_priv = priv;
}

int duet_platform_frames(struct duet_platform *p, const void *addr,
			 unsigned count, uint64_t *mfns, uint64_t *pfns)
{
	int rc;

	if (!p || !count || !mfns || !page_aligned(addr))
		return -EINVAL;
	if (!p->ops->frames)
		return -EOPNOTSUPP;
	op_lock(p);
	rc = p->ops->frames(p, addr, count, mfns, pfns);
	op_unlock(p);
	return rc;
}

/* Frames are translated in batches of this many. */
#define CONTIG_BATCH 64u

int duet_platform_contig(struct duet_platform *p, const void *addr,
			 unsigned count, unsigned dma_bits)
{
	const unsigned char *a = addr;
	uint64_t mfns[CONTIG_BATCH], next = 0, limit;
	unsigned done = 0, n, i;
	int rc, yes = 1;

	if (!p || !count || !page_aligned(addr) || dma_bits < 12 ||
	    dma_bits > 64)
		return -EINVAL;
	/* Frames below 2^dma_bits: mfn < limit (no limit for 64 bits). */
	limit = dma_bits >= 64 ? UINT64_MAX : 1ull << (dma_bits - 12);
	while (done < count) {
		n = count - done < CONTIG_BATCH ? count - done : CONTIG_BATCH;
		rc = duet_platform_frames(p, a + (size_t)done * DUET_PAGE_SIZE,
					  n, mfns, NULL);
		if (rc < 0)
			return rc;
		for (i = 0; i < n; i++) {
			if ((done || i) && mfns[i] != next)
				yes = 0;
			if (dma_bits < 64 && mfns[i] >= limit)
				yes = 0;
			next = mfns[i] + 1;
		}
		done += n;
	}
	return yes;
}

int duet_platform_alloc_contig(struct duet_platform *p, unsigned count,
			       unsigned dma_bits, void **addr)
{
	int rc;

	if (!p || !count || !addr || dma_bits < 20 || dma_bits > 64)
		return -EINVAL;
	if (!p->ops->alloc_contig)
		return -EOPNOTSUPP;
	op_lock(p);
	rc = p->ops->alloc_contig(p, count, dma_bits, addr);
	op_unlock(p);
	return rc;
}

int duet_platform_free_contig(struct duet_platform *p, void *addr,
			      unsigned count)
{
	int rc;

	if (!p || !count || !page_aligned(addr))
		return -EINVAL;
	if (!p->ops->free_contig)
		return -EINVAL;
	op_lock(p);
	rc = p->ops->free_contig(p, addr, count);
	op_unlock(p);
	return rc;
}

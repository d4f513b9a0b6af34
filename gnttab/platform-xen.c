/* SPDX-License-Identifier: MIT */
/*
 * platform-xen.c - duet/platform.h on real Xen.
 *
 * Grants: libxengntshr (the kernel's gntalloc) shares pages, libxengnttab
 * (gntdev) maps and copies them.  Event channels: libxenevtchn.  Restriction:
 * libxentoolcore.  Page transfer is not offered: Linux's gntalloc has no
 * GNTTABOP_transfer, so the hooks stay NULL and core.c answers -EOPNOTSUPP.
 *
 * Handles to gntdev and gntalloc are opened on first use, so a domain
 * without one of the drivers can still use the rest.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xenevtchn.h>
#include <xengnttab.h>
#include <xenstore.h>
#include <xentoolcore.h>

#include "gnttab/private.h"

/**
 * struct xen_priv - state of an open xen platform.
 * @xgt: gntdev handle (map, unmap, copy), opened on first use.
 * @xgs: gntalloc handle (share, unshare), opened on first use.
 */
struct xen_priv {
	xengnttab_handle *xgt;
	xengntshr_handle *xgs;
};

static struct xen_priv *xpriv(struct duet_platform *p)
{
	return p->priv;
}

static int xen_open(struct duet_platform *p, const char *arg)
{
	struct xen_priv *x;

	if (arg) {
		duet_log(DUET_LOG_ERR, "platform 'xen' takes no argument");
		return -EINVAL;
	}
	if (access("/dev/xen", F_OK) != 0) {
		duet_log(DUET_LOG_ERR,
			 "DUET_PLATFORM=xen but /dev/xen does not exist: not "
			 "running on Xen (or xenfs/evtchn drivers not loaded)");
		return -ENODEV;
	}
	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	p->priv = x;
	return 0;
}

static void xen_close(struct duet_platform *p)
{
	struct xen_priv *x = xpriv(p);

	if (!x)
		return;
	if (x->xgt)
		xengnttab_close(x->xgt);
	if (x->xgs)
		xengntshr_close(x->xgs);
	free(x);
	p->priv = NULL;
}

static int gnttab_handle(struct duet_platform *p, xengnttab_handle **out)
{
	struct xen_priv *x = xpriv(p);

	if (!x->xgt) {
		x->xgt = xengnttab_open(NULL, 0);
		if (!x->xgt) {
			int err = errno ? errno : ENODEV;

			duet_log(DUET_LOG_ERR,
				 "cannot open gntdev (xen-gntdev loaded?): %s",
				 strerror(err));
			return -err;
		}
	}
	*out = x->xgt;
	return 0;
}

static int gntshr_handle(struct duet_platform *p, xengntshr_handle **out)
{
	struct xen_priv *x = xpriv(p);

	if (!x->xgs) {
		x->xgs = xengntshr_open(NULL, 0);
		if (!x->xgs) {
			int err = errno ? errno : ENODEV;

			duet_log(DUET_LOG_ERR,
				 "cannot open gntalloc (xen-gntalloc loaded?): %s",
				 strerror(err));
			return -err;
		}
	}
	*out = x->xgs;
	return 0;
}

/*
 * Our domid: dom0 says "control_d" in /proc/xen/capabilities; any other
 * domain reads its relative xenstore node "domid" (written by the
 * toolstack under /local/domain/<id>/domid).
 */
static int xen_domid(struct duet_platform *p)
{
	char buf[64] = "";
	struct xs_handle *xs;
	unsigned int len;
	char *val, *end;
	long id;
	FILE *f;

	f = fopen("/proc/xen/capabilities", "r");
	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = '\0';
		fclose(f);
		if (strstr(buf, "control_d"))
			return 0;
	}
	xs = xs_open(0);
	if (!xs)
		return errno ? -errno : -ENODEV;
	val = xs_read(xs, XBT_NULL, "domid", &len);
	xs_close(xs);
	if (!val)
		return -ENOENT;
	errno = 0;
	id = strtol(val, &end, 10);
	if (errno || end == val || *end || id < 0 || id > 0x7fef) {
		free(val);
		return -EINVAL;
	}
	free(val);
	return (int)id;
}

static int xen_restrict(struct duet_platform *p, duet_domid_t domid)
{
	/* Open the grant handles first: only open handles get restricted. */
	xengnttab_handle *xgt = NULL;
	int rc = gnttab_handle(p, &xgt);

	if (rc < 0)
		return rc;
	if (xentoolcore_restrict_all(domid) < 0)
		return errno ? -errno : -EPERM;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Grants                                                              */
/* ------------------------------------------------------------------ */

static int xen_share(struct duet_platform *p, duet_domid_t domid,
		     unsigned count, unsigned flags, duet_grant_ref_t *refs,
		     void **addr)
{
	xengntshr_handle *xgs = NULL;
	void *a;
	int rc;

	rc = gntshr_handle(p, &xgs);
	if (rc < 0)
		return rc;
	a = xengntshr_share_pages(xgs, domid, count, refs,
				  !(flags & DUET_GNT_READONLY));
	if (!a)
		return errno == ENOMEM ? -ENOSPC : (errno ? -errno : -EIO);
	memset(a, 0, (size_t)count * DUET_PAGE_SIZE);
	*addr = a;
	return 0;
}

static int xen_unshare(struct duet_platform *p, void *addr, unsigned count)
{
	struct xen_priv *x = xpriv(p);

	if (!x->xgs)
		return -EINVAL;
	if (xengntshr_unshare(x->xgs, addr, count) < 0)
		return errno ? -errno : -EINVAL;
	return 0;
}

static int xen_map(struct duet_platform *p, duet_domid_t domid,
		   unsigned count, const duet_grant_ref_t *refs,
		   unsigned flags, void **addr)
{
	int prot = PROT_READ | ((flags & DUET_GNT_READONLY) ? 0 : PROT_WRITE);
	xengnttab_handle *xgt = NULL;
	void *a;
	int rc;

	rc = gnttab_handle(p, &xgt);
	if (rc < 0)
		return rc;
	a = xengnttab_map_domain_grant_refs(xgt, count, domid,
					    (uint32_t *)refs, prot);
	if (!a)
		return errno ? -errno : -EINVAL;
	*addr = a;
	return 0;
}

static int xen_unmap(struct duet_platform *p, void *addr, unsigned count)
{
	struct xen_priv *x = xpriv(p);

	if (!x->xgt)
		return -EINVAL;
	if (xengnttab_unmap(x->xgt, addr, count) < 0)
		return errno ? -errno : -EINVAL;
	return 0;
}

static void to_xen_ptr(union xengnttab_copy_ptr *x,
		       const union duet_gnt_copy_ptr *d, int foreign)
{
	if (foreign) {
		x->foreign.ref = d->foreign.ref;
		x->foreign.offset = d->foreign.offset;
		x->foreign.domid = d->foreign.domid;
	} else {
		x->virt = d->virt;
	}
}

/* Batches go to gntdev in chunks; each segment keeps its own status. */
#define XEN_COPY_CHUNK 64u

static int xen_copy(struct duet_platform *p, struct duet_gnt_copy_seg *segs,
		    unsigned count)
{
	xengnttab_grant_copy_segment_t xs[XEN_COPY_CHUNK];
	unsigned idx[XEN_COPY_CHUNK];
	xengnttab_handle *xgt = NULL;
	unsigned i = 0, n, k;
	int rc;

	rc = gnttab_handle(p, &xgt);
	if (rc < 0)
		return rc;
	while (i < count) {
		for (n = 0; i < count && n < XEN_COPY_CHUNK; i++) {
			struct duet_gnt_copy_seg *s = &segs[i];

			if (s->status)
				continue;
			memset(&xs[n], 0, sizeof(xs[n]));
			to_xen_ptr(&xs[n].source, &s->src,
				   s->flags & DUET_GNT_COPY_SRC_GREF);
			to_xen_ptr(&xs[n].dest, &s->dst,
				   s->flags & DUET_GNT_COPY_DST_GREF);
			xs[n].len = s->len;
			xs[n].flags =
				((s->flags & DUET_GNT_COPY_SRC_GREF) ?
					 GNTCOPY_source_gref : 0) |
				((s->flags & DUET_GNT_COPY_DST_GREF) ?
					 GNTCOPY_dest_gref : 0);
			idx[n++] = i;
		}
		if (!n)
			continue;
		if (xengnttab_grant_copy(xgt, n, xs) < 0)
			return errno ? -errno : -EIO;
		for (k = 0; k < n; k++)
			segs[idx[k]].status =
				duet_gnttab_status_to_errno(xs[k].status);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Event channels                                                      */
/* ------------------------------------------------------------------ */

static xenevtchn_handle *xce(struct duet_evtchn *e)
{
	return e->priv;
}

static int xen_evtchn_open(struct duet_evtchn *e)
{
	xenevtchn_handle *h = xenevtchn_open(NULL, 0);
	int fd, fl;

	if (!h) {
		int err = errno ? errno : ENODEV;

		duet_log(DUET_LOG_ERR,
			 "cannot open /dev/xen/evtchn (xen-evtchn loaded?): %s",
			 strerror(err));
		return -err;
	}
	/* duet_evtchn_pending() must not block: make the fd non-blocking. */
	fd = xenevtchn_fd(h);
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		int err = errno;

		xenevtchn_close(h);
		return -err;
	}
	e->priv = h;
	return 0;
}

static void xen_evtchn_close(struct duet_evtchn *e)
{
	if (e->priv)
		xenevtchn_close(xce(e));
	e->priv = NULL;
}

static int xen_evtchn_fd(struct duet_evtchn *e)
{
	return xenevtchn_fd(xce(e));
}

static int port_or_errno(xenevtchn_port_or_error_t rc)
{
	if (rc < 0)
		return errno ? -errno : -EINVAL;
	return (int)rc;
}

static int xen_evtchn_alloc_unbound(struct duet_evtchn *e,
				    duet_domid_t remote)
{
	return port_or_errno(xenevtchn_bind_unbound_port(xce(e), remote));
}

static int xen_evtchn_bind(struct duet_evtchn *e, duet_domid_t remote,
			   duet_evtchn_port_t remote_port)
{
	return port_or_errno(
		xenevtchn_bind_interdomain(xce(e), remote, remote_port));
}

static int xen_evtchn_notify(struct duet_evtchn *e, duet_evtchn_port_t port)
{
	if (xenevtchn_notify(xce(e), port) < 0)
		return errno ? -errno : -EINVAL;
	return 0;
}

static int xen_evtchn_pending(struct duet_evtchn *e)
{
	xenevtchn_port_or_error_t rc = xenevtchn_pending(xce(e));

	if (rc < 0)
		return (errno == EWOULDBLOCK) ? -EAGAIN :
					       (errno ? -errno : -EIO);
	return (int)rc;
}

static int xen_evtchn_unmask(struct duet_evtchn *e, duet_evtchn_port_t port)
{
	if (xenevtchn_unmask(xce(e), port) < 0)
		return errno ? -errno : -EINVAL;
	return 0;
}

static int xen_evtchn_unbind(struct duet_evtchn *e, duet_evtchn_port_t port)
{
	if (xenevtchn_unbind(xce(e), port) < 0)
		return errno ? -errno : -EINVAL;
	return 0;
}

const struct duet_platform_ops duet_platform_xen = {
	.name = "xen",
	.caps = DUET_PLATFORM_CAP_COPY,
	.open = xen_open,
	.close = xen_close,
	.domid = xen_domid,
	.restrict_to = xen_restrict,
	.xs_socket = NULL,
	.share = xen_share,
	.unshare = xen_unshare,
	.map = xen_map,
	.unmap = xen_unmap,
	.copy = xen_copy,
	.evtchn_open = xen_evtchn_open,
	.evtchn_close = xen_evtchn_close,
	.evtchn_fd = xen_evtchn_fd,
	.evtchn_alloc_unbound = xen_evtchn_alloc_unbound,
	.evtchn_bind = xen_evtchn_bind,
	.evtchn_notify = xen_evtchn_notify,
	.evtchn_pending = xen_evtchn_pending,
	.evtchn_unmask = xen_evtchn_unmask,
	.evtchn_unbind = xen_evtchn_unbind,
};

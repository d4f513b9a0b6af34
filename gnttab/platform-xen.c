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
 *
 * Memory a device can address (duet_platform_frames(); platform.h says
 * what works and why contiguous allocation does not): pagemap for
 * virt -> pfn, this PV domain's P2M as its kernel publishes it for the
 * tools for pfn -> mfn, Xen's M2P as the check.  libxenctrl and
 * libxenforeignmemory are loaded (dlopen) at the first translation, so
 * that programs that never translate -- and domUs whose initramfs lacks
 * them -- do not need them.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xenctrl.h>
#include <xenevtchn.h>
#include <xenforeignmemory.h>
#include <xengnttab.h>
#include <xenstore.h>
#include <xentoolcore.h>

#include "gnttab/private.h"

/*
 * struct xen_mem - what translation needs, set up at the first call.
 * @state:    0 not tried, 1 ready, else the -errno of the first try
 *            (kept: a domain does not become privileged or PV later).
 * @shinfo:   this domain's shared_info, mapped read-only (the P2M's root
 *            and size are read from it at every call: they may change).
 * @max_page: machine frames are below it (XENMEM_maximum_ram_page).
 * @chunks:   the M2P's 2 MiB chunks (XENMEM_machphys_mfn_list), @nchunks.
 */
struct xen_mem {
	pthread_mutex_t lock;
	int state;
	void *dl_xc, *dl_fm;
	xc_interface *xch;
	xenforeignmemory_handle *fm;
	const shared_info_t *shinfo;
	unsigned long max_page;
	xen_pfn_t *chunks;
	unsigned long nchunks;
	int pagemap;
	__typeof__(xc_interface_open) *xc_open;
	__typeof__(xc_interface_close) *xc_close;
	__typeof__(xc_domain_getinfo) *xc_getinfo;
	__typeof__(xc_maximum_ram_page) *xc_max_ram;
	__typeof__(xc_machphys_mfn_list) *xc_m2p_list;
	__typeof__(xenforeignmemory_open) *fm_open;
	__typeof__(xenforeignmemory_close) *fm_close;
	__typeof__(xenforeignmemory_map) *fm_map;
	__typeof__(xenforeignmemory_unmap) *fm_unmap;
};

/**
 * struct xen_priv - state of an open xen platform.
 * @xgt: gntdev handle (map, unmap, copy), opened on first use.
 * @xgs: gntalloc handle (share, unshare), opened on first use.
 * The hooks run concurrently (thread_safe): libxengnttab's and
 * libxengntshr's calls are ioctls and mmaps on one fd, safe from several
 * threads; the handles are published once, with release/acquire.
 * @mem: translation state.
 */
struct xen_priv {
	pthread_mutex_t open_lock; /* the first opens of @xgt and @xgs */
	void *xgt; /* xengnttab_handle */
	void *xgs; /* xengntshr_handle */
	struct xen_mem mem;
};

static void xen_mem_fini(struct xen_mem *m);

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
	pthread_mutex_init(&x->open_lock, NULL);
	pthread_mutex_init(&x->mem.lock, NULL);
	x->mem.pagemap = -1;
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
	xen_mem_fini(&x->mem);
	pthread_mutex_destroy(&x->mem.lock);
	pthread_mutex_destroy(&x->open_lock);
	free(x);
	p->priv = NULL;
}

/*
 * Open-once for the handles: *@slot, opened with @open_fn by the first
 * caller.  Acquire pairs with the release below: a handle seen is a
 * handle fully opened.  NULL (logged, errno set) when it cannot be opened.
 */
static void *open_once(struct xen_priv *x, void **slot,
		       void *(*open_fn)(void), const char *what)
{
	void *h = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
	int err = 0;

	if (h)
		return h;
	pthread_mutex_lock(&x->open_lock);
	h = *slot;
	if (!h) {
		h = open_fn();
		if (h)
			__atomic_store_n(slot, h, __ATOMIC_RELEASE);
		else
			err = errno ? errno : ENODEV;
	}
	pthread_mutex_unlock(&x->open_lock);
	if (err) {
		duet_log(DUET_LOG_ERR, "cannot open %s: %s", what,
			 strerror(err));
		errno = err;
	}
	return h;
}

static void *gnttab_open(void)
{
	return xengnttab_open(NULL, 0);
}

static void *gntshr_open(void)
{
	return xengntshr_open(NULL, 0);
}

/* The gntdev handle (map, unmap, copy). */
static int gnttab_handle(struct duet_platform *p, xengnttab_handle **out)
{
	*out = open_once(xpriv(p), &xpriv(p)->xgt, gnttab_open,
			 "gntdev (xen-gntdev loaded?)");
	return *out ? 0 : -errno;
}

/* The gntalloc handle (share, unshare). */
static int gntshr_handle(struct duet_platform *p, xengntshr_handle **out)
{
	*out = open_once(xpriv(p), &xpriv(p)->xgs, gntshr_open,
			 "gntalloc (xen-gntalloc loaded?)");
	return *out ? 0 : -errno;
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
	xengntshr_handle *h = __atomic_load_n(&x->xgs, __ATOMIC_ACQUIRE);

	if (!h)
		return -EINVAL;
	if (xengntshr_unshare(h, addr, count) < 0)
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
	xengnttab_handle *h = __atomic_load_n(&x->xgt, __ATOMIC_ACQUIRE);

	if (!h)
		return -EINVAL;
	if (xengnttab_unmap(h, addr, count) < 0)
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
/* Memory a device can address                                         */
/* ------------------------------------------------------------------ */

/* P2M and M2P entries (64-bit PV). */
#define XEN_FPP 512ul                      /* entries per page */
#define M2P_CHUNK_SHIFT 21                 /* the M2P comes in 2 MiB */
#define M2P_PER_CHUNK ((1ul << M2P_CHUNK_SHIFT) / sizeof(xen_pfn_t))
/* Linux's P2M marks (arch/x86/include/asm/xen/page.h). */
#define P2M_INVALID (~0ul)
#define P2M_FOREIGN (1ul << 63)
#define P2M_IDENTITY (1ul << 62)

static void xen_mem_fini(struct xen_mem *m)
{
	if (m->shinfo)
		m->fm_unmap(m->fm, (void *)m->shinfo, 1);
	if (m->fm)
		m->fm_close(m->fm);
	if (m->xch)
		m->xc_close(m->xch);
	if (m->dl_fm)
		dlclose(m->dl_fm);
	if (m->dl_xc)
		dlclose(m->dl_xc);
	if (m->pagemap >= 0)
		close(m->pagemap);
	free(m->chunks);
	m->shinfo = NULL;
	m->fm = NULL;
	m->xch = NULL;
	m->dl_fm = m->dl_xc = NULL;
	m->pagemap = -1;
	m->chunks = NULL;
}

/* HVM and PVH guests have no P2M of their own: say so plainly. */
static int check_pv(void)
{
	char type[16] = "";
	FILE *f = fopen("/sys/hypervisor/guest_type", "r");

	if (!f)
		return 0; /* older kernels: xc_domain_getinfo() tells */
	if (!fgets(type, sizeof(type), f))
		type[0] = '\0';
	fclose(f);
	type[strcspn(type, "\n")] = '\0';
	if (!strcmp(type, "PV") || !type[0])
		return 0;
	duet_log(DUET_LOG_ERR,
		 "frames: this is a %s domain: it has no P2M of its own (Xen "
		 "translates its gfns); a device reaches its memory only "
		 "through an IOMMU Xen programs, at bus address = gfn", type);
	return -EOPNOTSUPP;
}

#define DLSYM(m, h, field, name)                                         \
	((m)->field = (__typeof__((m)->field))dlsym((h), (name)))

static int load_libs(struct xen_mem *m)
{
	m->dl_xc = dlopen("libxenctrl.so.4.17", RTLD_NOW | RTLD_LOCAL);
	if (!m->dl_xc)
		m->dl_xc = dlopen("libxenctrl.so", RTLD_NOW | RTLD_LOCAL);
	m->dl_fm = dlopen("libxenforeignmemory.so.1", RTLD_NOW | RTLD_LOCAL);
	if (!m->dl_xc || !m->dl_fm) {
		duet_log(DUET_LOG_ERR,
			 "frames: cannot load %s (Debian: libxenmisc4.17 and "
			 "libxenforeignmemory1): %s",
			 m->dl_xc ? "libxenforeignmemory" : "libxenctrl",
			 dlerror());
		return -EOPNOTSUPP;
	}
	if (!DLSYM(m, m->dl_xc, xc_open, "xc_interface_open") ||
	    !DLSYM(m, m->dl_xc, xc_close, "xc_interface_close") ||
	    !DLSYM(m, m->dl_xc, xc_getinfo, "xc_domain_getinfo") ||
	    !DLSYM(m, m->dl_xc, xc_max_ram, "xc_maximum_ram_page") ||
	    !DLSYM(m, m->dl_xc, xc_m2p_list, "xc_machphys_mfn_list") ||
	    !DLSYM(m, m->dl_fm, fm_open, "xenforeignmemory_open") ||
	    !DLSYM(m, m->dl_fm, fm_close, "xenforeignmemory_close") ||
	    !DLSYM(m, m->dl_fm, fm_map, "xenforeignmemory_map") ||
	    !DLSYM(m, m->dl_fm, fm_unmap, "xenforeignmemory_unmap")) {
		duet_log(DUET_LOG_ERR, "frames: libxenctrl or "
			 "libxenforeignmemory lacks a function: %s", dlerror());
		return -EOPNOTSUPP;
	}
	return 0;
}

/* Map one frame read-only; NULL with errno on failure. */
static const void *map_frame(struct xen_mem *m, uint32_t dom,
			     unsigned long frame)
{
	xen_pfn_t f = frame;
	int err = 0;
	void *a = m->fm_map(m->fm, dom, PROT_READ, 1, &f, &err);

	if (a && err) {
		m->fm_unmap(m->fm, a, 1);
		errno = -err > 0 ? -err : EIO;
		return NULL;
	}
	return a;
}

static void unmap_frame(struct xen_mem *m, const void *a)
{
	m->fm_unmap(m->fm, (void *)a, 1);
}

static int xen_mem_init(struct duet_platform *p, struct xen_mem *m)
{
	xc_dominfo_t info;
	int domid, rc, err;

	rc = check_pv();
	if (rc < 0)
		return rc;
	m->pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (m->pagemap < 0) {
		err = errno;
		duet_log(DUET_LOG_ERR, "frames: /proc/self/pagemap: %s",
			 strerror(err));
		return err == EACCES ? -EPERM : -err;
	}
	rc = load_libs(m);
	if (rc < 0)
		return rc;
	if (access("/dev/xen/privcmd", R_OK | W_OK) < 0) {
		err = errno;
		duet_log(DUET_LOG_ERR, "frames: /dev/xen/privcmd: %s; root in "
			 "a PV control domain needed", strerror(err));
		return err == EACCES || err == EPERM ? -EPERM : -err;
	}
	m->xch = m->xc_open(NULL, NULL, 0);
	if (!m->xch) {
		err = errno ? errno : EPERM;
		duet_log(DUET_LOG_ERR, "frames: cannot open privcmd "
			 "(xc_interface_open): %s; root in a PV control "
			 "domain needed", strerror(err));
		return err == EACCES ? -EPERM : -err;
	}
	domid = duet_platform_domid(p);
	if (domid < 0)
		return domid;
	/* XEN_DOMCTL_getdomaininfo: the control domain (or xenstore's). */
	if (m->xc_getinfo(m->xch, (uint32_t)domid, 1, &info) != 1 ||
	    info.domid != (uint32_t)domid) {
		err = errno ? errno : ESRCH;
		duet_log(DUET_LOG_ERR,
			 "frames: XEN_DOMCTL_getdomaininfo for domain %d "
			 "refused (%s): only the control domain can find its "
			 "shared_info frame, where the P2M is published",
			 domid, strerror(err));
		return err == EACCES || err == EPERM ? -EPERM : -err;
	}
	if (info.hvm) {
		duet_log(DUET_LOG_ERR,
			 "frames: domain %d is HVM/PVH: no P2M of its own",
			 domid);
		return -EOPNOTSUPP;
	}
	m->fm = m->fm_open(NULL, 0);
	if (!m->fm) {
		err = errno ? errno : EPERM;
		duet_log(DUET_LOG_ERR, "frames: xenforeignmemory_open: %s",
			 strerror(err));
		return -err;
	}
	/* Own frames are mapped as DOMID_SELF's: Xen refuses our own domid
	 * as a "foreign" owner (get_pg_owner()). */
	m->shinfo = map_frame(m, DOMID_SELF, info.shared_info_frame);
	if (!m->shinfo) {
		err = errno ? errno : EIO;
		duet_log(DUET_LOG_ERR, "frames: cannot map our shared_info "
			 "(mfn %#lx): %s", info.shared_info_frame,
			 strerror(err));
		return -err;
	}
	if (m->xc_max_ram(m->xch, &m->max_page) < 0) {
		err = errno ? errno : EIO;
		duet_log(DUET_LOG_ERR, "frames: XENMEM_maximum_ram_page: %s",
			 strerror(err));
		return -err;
	}
	m->nchunks = (m->max_page + M2P_PER_CHUNK - 1) / M2P_PER_CHUNK;
	m->chunks = calloc(m->nchunks, sizeof(*m->chunks));
	if (!m->chunks)
		return -ENOMEM;
	if (m->xc_m2p_list(m->xch, m->nchunks, m->chunks) < 0) {
		err = errno ? errno : EIO;
		duet_log(DUET_LOG_ERR, "frames: XENMEM_machphys_mfn_list: %s",
			 strerror(err));
		return -err;
	}
	return 0;
}

/* pfn of the locked page at @va from pagemap. */
static int virt_to_pfn(struct xen_mem *m, uintptr_t va, uint64_t *pfn)
{
	uint64_t e;
	ssize_t n = pread(m->pagemap, &e, sizeof(e),
			  (off_t)(va / DUET_PAGE_SIZE * sizeof(e)));

	if (n != (ssize_t)sizeof(e))
		return n < 0 ? -errno : -EIO;
	if (!(e >> 63))
		return -EFAULT; /* not present */
	*pfn = e & ((1ull << 55) - 1);
	if (!*pfn) {
		duet_log(DUET_LOG_ERR,
			 "frames: /proc/self/pagemap hides frame numbers: "
			 "CAP_SYS_ADMIN needed (root in dom0 or a driver "
			 "domain)");
		return -EPERM;
	}
	return 0;
}

/* Read entry @idx of the P2M tree page @frame. */
static int p2m_read(struct xen_mem *m, unsigned long frame, unsigned long idx,
		    unsigned long *out)
{
	const xen_pfn_t *page;

	if (frame >= m->max_page)
		return -EIO;
	page = map_frame(m, DOMID_SELF, frame);
	if (!page) {
		duet_log(DUET_LOG_ERR, "frames: cannot map P2M frame %#lx: %s",
			 frame, strerror(errno));
		return -EIO;
	}
	*out = page[idx];
	unmap_frame(m, page);
	return 0;
}

/* pfn -> mfn through the frame list list (3 levels of 512). */
static int pfn_to_mfn(struct xen_mem *m, uint64_t pfn, uint64_t *mfn)
{
	unsigned long fll = m->shinfo->arch.pfn_to_mfn_frame_list_list;
	unsigned long max_pfn = m->shinfo->arch.max_pfn;
	unsigned long fl, leaf, e;
	int rc;

	/* ~0: SIF_VIRT_P2M_4TOOLS (libxenguest sets it for every domU;
	 * Xen's dom0 builder does not) or a P2M beyond the 3-level tree. */
	if (!fll || fll == ~0ul) {
		duet_log(DUET_LOG_ERR,
			 "frames: the kernel publishes %s (shared_info's "
			 "pfn_to_mfn_frame_list_list is %#lx); walking the "
			 "virtually mapped P2M list (p2m_cr3, p2m_vaddr) "
			 "instead is not implemented", fll ? "only the "
			 "virtually mapped P2M list" : "no P2M yet", fll);
		return -EOPNOTSUPP;
	}
	if (pfn >= max_pfn) {
		duet_log(DUET_LOG_ERR, "frames: pfn %#" PRIx64 " beyond the "
			 "published P2M (%#lx entries)", pfn, max_pfn);
		return -EIO;
	}
	rc = p2m_read(m, fll, pfn / (XEN_FPP * XEN_FPP), &fl);
	if (rc == 0)
		rc = p2m_read(m, fl, pfn / XEN_FPP % XEN_FPP, &leaf);
	if (rc == 0)
		rc = p2m_read(m, leaf, pfn % XEN_FPP, &e);
	if (rc < 0)
		return rc;
	if (e == P2M_INVALID || (e & P2M_IDENTITY)) {
		duet_log(DUET_LOG_ERR, "frames: pfn %#" PRIx64 " has no RAM "
			 "frame in the P2M (%#lx)", pfn, e);
		return -EIO;
	}
	if (e & P2M_FOREIGN)
		return -EFAULT; /* another domain's frame (grant mapping) */
	*mfn = e;
	return 0;
}

/* The M2P must say the same: m2p[mfn] == pfn. */
static int m2p_check(struct xen_mem *m, uint64_t pfn, uint64_t mfn)
{
	unsigned long chunk = mfn / M2P_PER_CHUNK;
	const xen_pfn_t *page;
	uint64_t back;

	if (mfn >= m->max_page || chunk >= m->nchunks) {
		duet_log(DUET_LOG_ERR, "frames: P2M gives pfn %#" PRIx64
			 " mfn %#" PRIx64 ", beyond machine memory (%#lx)",
			 pfn, mfn, m->max_page);
		return -EIO;
	}
	page = map_frame(m, DOMID_XEN,
			 m->chunks[chunk] + mfn % M2P_PER_CHUNK / XEN_FPP);
	if (!page) {
		duet_log(DUET_LOG_ERR, "frames: cannot map the M2P: %s",
			 strerror(errno));
		return -EIO;
	}
	back = page[mfn % XEN_FPP];
	unmap_frame(m, page);
	if (back != pfn) {
		duet_log(DUET_LOG_ERR, "frames: P2M and M2P disagree: pfn %#"
			 PRIx64 " -> mfn %#" PRIx64 " but m2p[mfn] = %#" PRIx64,
			 pfn, mfn, back);
		return -EIO;
	}
	return 0;
}

static int xen_frames(struct duet_platform *p, const void *addr,
		      unsigned count, uint64_t *mfns, uint64_t *pfns)
{
	struct xen_mem *m = &xpriv(p)->mem;
	size_t len = (size_t)count * DUET_PAGE_SIZE;
	uint64_t pfn = 0;
	unsigned i;
	int rc = 0;

	pthread_mutex_lock(&m->lock);
	if (!m->state) {
		m->state = xen_mem_init(p, m);
		if (!m->state)
			m->state = 1;
		else
			xen_mem_fini(m);
	}
	if (m->state < 0) {
		rc = m->state;
		goto out;
	}
	/* Locked pages keep their frames (no swap, no migration). */
	if (mlock(addr, len) < 0) {
		rc = errno == ENOMEM ? -EFAULT : -errno;
		if (rc != -EFAULT)
			duet_log(DUET_LOG_ERR, "frames: mlock: %s (RLIMIT_MEMLOCK"
				 " or CAP_IPC_LOCK)", strerror(errno));
		goto out;
	}
	for (i = 0; i < count && rc == 0; i++) {
		rc = virt_to_pfn(m, (uintptr_t)addr + (size_t)i *
					    DUET_PAGE_SIZE, &pfn);
		if (rc == 0)
			rc = pfn_to_mfn(m, pfn, &mfns[i]);
		if (rc == 0)
			rc = m2p_check(m, pfn, mfns[i]);
		if (rc == 0 && pfns)
			pfns[i] = pfn;
	}
out:
	pthread_mutex_unlock(&m->lock);
	return rc;
}

/*
 * No userspace path (platform.h).  privcmd's raw hypercall would reach
 * XENMEM_exchange, but Xen steals only pages nothing else maps, and ours
 * stay mapped by the kernel's direct map and by this process; the kernel's
 * own P2M would go stale too.  Only xen_create_contiguous_region() in the
 * kernel unmaps, exchanges and remaps.
 */
static int xen_alloc_contig(struct duet_platform *p, unsigned count,
			    unsigned dma_bits, void **addr)
{
	duet_log(DUET_LOG_ERR,
		 "alloc_contig: %u machine-contiguous pages below 2^%u need "
		 "XENMEM_exchange of frames only the kernel can give up "
		 "(xen_create_contiguous_region()); Linux offers userspace no "
		 "interface to it", count, dma_bits);
	return -EOPNOTSUPP;
}

/* ------------------------------------------------------------------ */
/* Event channels                                                      */
/* ------------------------------------------------------------------ */

/*
 * struct xen_evt - an event-channel handle: libxenevtchn's, and the ports
 * of its last read.  The evtchn device hands out as many pending ports as
 * a read() has room for (each delivered port is masked until unmasked),
 * so one read serves a whole wake-up instead of one read per port plus
 * one that finds none: @port[@next..@n) are still to be returned, and
 * @drained says the last call returned the last of them.
 */
struct xen_evt {
	xenevtchn_handle *h;
	evtchn_port_t port[64];
	unsigned n, next;
	int drained;
};

static struct xen_evt *xevt(struct duet_evtchn *e)
{
	return e->priv;
}

static xenevtchn_handle *xce(struct duet_evtchn *e)
{
	return xevt(e)->h;
}

static int xen_evtchn_open(struct duet_evtchn *e)
{
	struct xen_evt *v = calloc(1, sizeof(*v));
	int fd, fl;

	if (!v)
		return -ENOMEM;
	v->h = xenevtchn_open(NULL, 0);
	if (!v->h) {
		int err = errno ? errno : ENODEV;

		free(v);
		duet_log(DUET_LOG_ERR,
			 "cannot open /dev/xen/evtchn (xen-evtchn loaded?): %s",
			 strerror(err));
		return -err;
	}
	/* duet_evtchn_pending() must not block: make the fd non-blocking. */
	fd = xenevtchn_fd(v->h);
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		int err = errno;

		xenevtchn_close(v->h);
		free(v);
		return -err;
	}
	e->priv = v;
	return 0;
}

static void xen_evtchn_close(struct duet_evtchn *e)
{
	if (e->priv) {
		xenevtchn_close(xce(e));
		free(e->priv);
	}
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

/*
 * The next pending port.  After the last port of a read, one -EAGAIN
 * without a system call: ports that became pending since keep the fd
 * readable, so a caller that polls before asking again misses nothing,
 * and one that asks again reads.
 */
static int xen_evtchn_pending(struct duet_evtchn *e)
{
	struct xen_evt *v = xevt(e);
	ssize_t got;

	if (v->next < v->n) {
		v->drained = v->next + 1 == v->n;
		return (int)v->port[v->next++];
	}
	if (v->drained) {
		v->drained = 0;
		return -EAGAIN;
	}
	got = read(xenevtchn_fd(v->h), v->port, sizeof(v->port));
	if (got < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	if (got < (ssize_t)sizeof(v->port[0]))
		return -EIO;
	v->n = (unsigned)got / sizeof(v->port[0]);
	v->next = 1;
	v->drained = v->n == 1;
	return (int)v->port[0];
}

static int xen_evtchn_unmask(struct duet_evtchn *e, duet_evtchn_port_t port)
{
	if (xenevtchn_unmask(xce(e), port) < 0)
		return errno ? -errno : -EINVAL;
	return 0;
}

static int xen_evtchn_unbind(struct duet_evtchn *e, duet_evtchn_port_t port)
{
	struct xen_evt *v = xevt(e);
	unsigned i, k;

	if (xenevtchn_unbind(v->h, port) < 0)
		return errno ? -errno : -EINVAL;
	/* A port read but not returned yet is not reported any more. */
	for (i = k = v->next; i < v->n; i++)
		if (v->port[i] != port)
			v->port[k++] = v->port[i];
	v->n = k;
	if (v->next == v->n)
		v->drained = 0;
	return 0;
}

const struct duet_platform_ops duet_platform_xen = {
	.name = "xen",
	.caps = DUET_PLATFORM_CAP_COPY,
	.thread_safe = 1,
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
	.frames = xen_frames,
	.alloc_contig = xen_alloc_contig,
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

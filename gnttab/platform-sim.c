/* SPDX-License-Identifier: MIT */
/*
 * platform-sim.c - duet/platform.h on the duet simulator.
 *
 * The client side of the simulator daemon (sim/simd*.c), speaking the
 * protocol of platform-sim-wire.h over <dir>/ctl-<domid>.sock.  The domain
 * comes from $DUET_DOMID (default 0); the daemon learns it from the socket
 * we connect to.  Every operation is one request and one reply, like a
 * hypercall: the caller blocks until the daemon answered (a map of more
 * refs than one MAP request carries is sent as several, one region).
 *
 * Return values are those the xen platform gets from Linux's gntalloc,
 * gntdev and evtchn drivers, so that a driver sees one behaviour: see
 * duet/platform.h, and sim/simd-gnt.c and sim/simd-evt.c for the sources.
 *
 * Memory: shared pages are a memfd per share call, made and mapped here
 * and handed to the daemon; mapped pages arrive as descriptors (read-only
 * ones for read-only mappings) and are mapped here; grant copy is done by
 * the daemon, the local bytes passing through this handle's copy area (a
 * memfd only it and the daemon map: one round trip and two memcpys per
 * batch of up to 128 segments) unless they lie in a copy buffer (a memfd
 * likewise, which the daemon copies to and from in place); a transferable
 * page is
 * a one-page memfd that moves from sender to receiver, never copied.
 *
 * A platform handle owns one control connection; each event-channel handle
 * owns another one plus the pipe the daemon delivers its events on.
 *
 * Restriction (duet_platform_restrict()): the daemon restricts each
 * connection on its own (DUET_SIM_OP_RESTRICT), so sim_restrict() sends it
 * on the control connection and on every event-channel connection of the
 * handle, and an event-channel handle opened later is restricted as it
 * opens.  Like xentoolcore_restrict_all() it binds the handles, not the
 * process: it stops a driver from touching another domain by mistake, and
 * is no sandbox.
 */
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "duet/parse.h"
#include "gnttab/platform-sim-wire.h"
#include "gnttab/private.h"

#define PAGE DUET_PAGE_SIZE

/* ------------------------------------------------------------------ */
/* State                                                               */
/* ------------------------------------------------------------------ */

/*
 * struct sim_region - a local range of pages known to the daemon.
 * @addr, @count: the pages.
 * @fd:   owned transfer page: its memfd; otherwise -1.
 * @next: list link.
 * @nids: how many daemon objects back it (0 for an owned transfer page,
 *        1 for a share, one per MAP request of a mapping).
 * @ids:  their share or map ids.
 */
struct sim_region {
	void *addr;
	unsigned count;
	int fd;
	struct sim_region *next;
	unsigned nids;
	uint64_t ids[];
};

/*
 * struct sim_priv - an open sim platform.
 * @dir:    simulator directory.
 * @xs:     this domain's xenstore socket path.
 * @domid:  our domain (from the daemon's HELLO answer).
 * @fd:     the control connection.
 * @shares, @maps, @pages: what this handle shared, mapped and owns.
 * @buf:    message buffer, DUET_SIM_MSG_MAX bytes.
 * @restricted, @rdomid: set by sim_restrict(): the domain every
 *          connection of this handle is restricted to.
 * @evts:   the open event-channel handles (to restrict them).
 */
/* A copy buffer (DUET_SIM_OP_COPY_BUF): @size bytes at @addr, @id. */
struct sim_cbuf {
	uint8_t *addr;
	size_t size;
	uint64_t id;
};

struct sim_priv {
	char dir[128];
	char xs[160];
	unsigned domid;
	int fd;
	int restricted;
	unsigned rdomid;
	struct sim_evt *evts;
	struct sim_region *shares;
	struct sim_region *maps;
	struct sim_region *pages;
	struct sim_region *pool;
	unsigned npool;
	uint8_t *area;
	struct sim_cbuf cbuf[DUET_SIM_COPY_BUFS];
	unsigned ncbuf, cbuf_last;
	uint8_t *buf;
};

/*
 * Pages freed with duet_gnt_transfer_page_free() stay mapped in a pool of
 * at most SIM_PAGE_POOL and are handed out again, zeroed, by the next
 * page_alloc: a flipping backend allocates a page per packet, and a new
 * sealed memfd + mmap per page is a cost Xen does not have (its free
 * frames come off a list).  The pool's pages are this process's own; a
 * page given away by duet_gnt_transfer() never enters it.
 */
#define SIM_PAGE_POOL 256u

/*
 * struct sim_port - what an event-channel handle knows of a port.
 * @efd:      the port's doorbell, in the handle's epoll set, or -1 when
 *            the handle does not own the port.
 * @cell:     the port's cell (mapped), NULL when not owned.
 * @peer_efd: the bound peer port's doorbell (write 1 to notify), or -1
 *            until the daemon handed it out.
 * @peer_cell: the peer port's cell, handed out with @peer_efd.
 * @peer_gen: the port's binding generation when it was handed out.
 * @masked:   taken by duet_evtchn_pending() and not yet unmasked: the
 *            handle's mask, which it trusts; the cell's @masked is its
 *            copy for notifiers (struct duet_sim_evt_cell).
 */
struct sim_port {
	int efd;
	struct duet_sim_evt_cell *cell;
	int peer_efd;
	struct duet_sim_evt_cell *peer_cell;
	uint32_t peer_gen;
	uint8_t masked;
};

/*
 * struct sim_evt - an open event-channel handle (sim/simd-evt.c has the
 * design: the daemon binds, the clients signal each other directly).
 * @fd:     its own control connection (its ports die with it).
 * @epfd:   epoll set of the owned ports' doorbells, level triggered
 *          (duet_evtchn_fd()); they only wake: a port's event is its
 *          cell's pending word, and its mask the cell's masked word
 *          (struct duet_sim_evt_cell has the protocol).
 * @gen:    the domain's port binding generations (read-only mapping).
 * @port:   by port number, @nports of them.
 * @spin_ns: spin-before-sleep budget (DUET_SIM_EVTCHN_SPIN_US), 0: none.
 * @owned:  the ports this handle owns, @nowned of them.
 * @scan:   where in @owned the next scan for an event starts.
 * @took:   the last duet_evtchn_pending() returned a port.
 * @next:   the platform's list of event-channel handles.
 */
struct sim_evt {
	int fd;
	int epfd;
	const _Atomic uint32_t *gen;
	struct sim_port *port;
	unsigned nports;
	unsigned spin_ns;
	uint32_t *owned;
	unsigned nowned;
	unsigned scan;
	int took;
	struct sim_evt *next;
};

static struct sim_priv *spriv(struct duet_platform *p)
{
	return p->priv;
}

/* ------------------------------------------------------------------ */
/* Transport                                                           */
/* ------------------------------------------------------------------ */

/*
 * struct rpc - one request/reply exchange.
 * @req:    request head.
 * @iov:    request arrays (up to RPC_IOV entries), @niov used.
 * @fd_in:  descriptor sent with the request, or -1.
 * @rep:    reply head.
 * @out:    where the reply array goes, @out_max bytes; @out_len read.
 * @fds:    descriptors received (the caller closes them), @nfds of them.
 */
#define RPC_IOV (DUET_SIM_COPY_MAX + 2)
struct rpc {
	struct duet_sim_req req;
	struct iovec iov[RPC_IOV];
	unsigned niov;
	int fd_in;
	struct duet_sim_rep rep;
	void *out;
	size_t out_max;
	size_t out_len;
	int fds[DUET_SIM_MAP_MAX];
	unsigned nfds;
};

static void rpc_init(struct rpc *r, uint32_t op)
{
	memset(&r->req, 0, sizeof(r->req));
	memset(&r->rep, 0, sizeof(r->rep));
	r->req.op = op;
	r->niov = 0;
	r->fd_in = -1;
	r->out = NULL;
	r->out_max = 0;
	r->out_len = 0;
	r->nfds = 0;
}

/*
 * Send @r's request on @fd and read the reply.  Return: the reply's rc
 * (>= 0 or -errno), or -EPIPE when the daemon is gone, -EPROTO for a
 * malformed reply.  Received descriptors are in r->fds even on error.
 */
static int rpc_call(int fd, struct rpc *r)
{
	char cbuf[CMSG_SPACE(sizeof(int) * DUET_SIM_MAP_MAX)];
	struct iovec siov[RPC_IOV + 1], riov[2];
	struct msghdr mh = { .msg_iov = siov };
	struct cmsghdr *cm;
	unsigned i;
	ssize_t n;

	siov[0].iov_base = &r->req;
	siov[0].iov_len = sizeof(r->req);
	for (i = 0; i < r->niov; i++)
		siov[i + 1] = r->iov[i];
	mh.msg_iovlen = r->niov + 1;
	if (r->fd_in >= 0) {
		memset(cbuf, 0, CMSG_SPACE(sizeof(int)));
		mh.msg_control = cbuf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int));
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &r->fd_in, sizeof(int));
	}
	do
		n = sendmsg(fd, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == ECONNRESET ? -EPIPE : -errno;

	riov[0].iov_base = &r->rep;
	riov[0].iov_len = sizeof(r->rep);
	riov[1].iov_base = r->out;
	riov[1].iov_len = r->out_max;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = riov;
	mh.msg_iovlen = r->out_max ? 2 : 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	do
		n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == ECONNRESET ? -EPIPE : -errno;
	if (n == 0)
		return -EPIPE;
	duet_sim_take_fds(&mh, r->fds, DUET_SIM_MAP_MAX, &r->nfds);
	if ((size_t)n < sizeof(r->rep) || (mh.msg_flags & MSG_TRUNC))
		return -EPROTO;
	r->out_len = (size_t)n - sizeof(r->rep);
	return r->rep.rc;
}

static void rpc_close_fds(struct rpc *r)
{
	unsigned i;

	for (i = 0; i < r->nfds; i++)
		close(r->fds[i]);
	r->nfds = 0;
}

/* rpc_call() for a request whose reply carries no descriptor we keep. */
static int rpc_simple(int fd, struct rpc *r)
{
	int rc = rpc_call(fd, r);

	rpc_close_fds(r);
	return rc;
}

/*
 * One request of @op with only @domid, @id and @port set (and @fd_in
 * sent along unless -1).  Return: the reply's rc.
 */
static int call_op(int fd, uint32_t op, uint32_t domid, uint64_t id,
		   uint32_t port, int fd_in)
{
	struct rpc r;

	rpc_init(&r, op);
	r.req.domid = domid;
	r.req.id = id;
	r.req.port = port;
	r.fd_in = fd_in;
	return rpc_simple(fd, &r);
}

/*
 * Connect to domain @domid's control socket in @dir and say hello.
 * Return: the connected socket, or -ENODEV (no simulator), -ESRCH (no
 * such domain), -EPROTO (other version), -errno.
 */
static int sim_connect(const char *dir, unsigned domid, unsigned *got)
{
	char path0[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct rpc r;
	int fd, rc;

	fd = duet_sim_ctl_connect(dir, domid);
	if (fd == -ENAMETOOLONG)
		return fd;
	if (fd < 0) {
		rc = fd;
		snprintf(path0, sizeof(path0), DUET_SIM_CTL_FMT, dir, 0u);
		if (domid && access(path0, F_OK) == 0 &&
		    (rc == -ENOENT || rc == -ECONNREFUSED)) {
			duet_log(DUET_LOG_ERR,
				 "sim: no domain %u in the simulator at %s "
				 "(DUET_DOMID)", domid, dir);
			return -ESRCH;
		}
		duet_log(DUET_LOG_ERR,
			 "sim: no simulator running in %s (%s); start one "
			 "with 'duet sim start --dir %s'", dir, strerror(-rc),
			 dir);
		return -ENODEV;
	}
	rpc_init(&r, DUET_SIM_OP_HELLO);
	r.req.count = DUET_SIM_WIRE_VERSION;
	rc = rpc_simple(fd, &r);
	if (rc < 0) {
		duet_log(DUET_LOG_ERR, "sim: hello to the simulator at %s: %s",
			 dir, strerror(-rc));
		close(fd);
		return rc;
	}
	*got = (unsigned)rc;
	return fd;
}

/* ------------------------------------------------------------------ */
/* Regions                                                             */
/* ------------------------------------------------------------------ */

/* A region of @count pages at @addr backed by @nids daemon objects. */
static struct sim_region *region_new(void *addr, unsigned count, int fd,
				     unsigned nids)
{
	struct sim_region *g = malloc(sizeof(*g) + nids * sizeof(g->ids[0]));

	if (!g)
		return NULL;
	g->addr = addr;
	g->count = count;
	g->fd = fd;
	g->nids = nids;
	g->next = NULL;
	return g;
}

static void region_put(struct sim_region **list, struct sim_region *g)
{
	g->next = *list;
	*list = g;
}

/* Unmap @g's pages, close its descriptor and free it. */
static void region_free(struct sim_region *g)
{
	munmap(g->addr, (size_t)g->count * PAGE);
	if (g->fd >= 0)
		close(g->fd);
	free(g);
}

static void region_free_all(struct sim_region **list)
{
	struct sim_region *g;

	while ((g = *list)) {
		*list = g->next;
		region_free(g);
	}
}

/* Unlink and return the region at @addr (@count pages, 0: any). */
static struct sim_region *region_take(struct sim_region **list, void *addr,
				      unsigned count)
{
	struct sim_region **pp, *g;

	for (pp = list; (g = *pp); pp = &g->next)
		if (g->addr == addr && (!count || g->count == count)) {
			*pp = g->next;
			return g;
		}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Opening                                                             */
/* ------------------------------------------------------------------ */

static int parse_domid(unsigned *out)
{
	const char *s = getenv("DUET_DOMID");
	uint64_t v;

	*out = 0;
	if (!s || !*s)
		return 0;
	if (duet_parse_uint(s, 0x7fef, &v)) {
		duet_log(DUET_LOG_ERR, "sim: bad DUET_DOMID '%s'", s);
		return -EINVAL;
	}
	*out = (unsigned)v;
	return 0;
}

static void sim_close(struct duet_platform *p);

static int sim_open(struct duet_platform *p, const char *arg)
{
	struct sim_priv *s;
	unsigned domid, got = 0;
	int rc, n;

	rc = parse_domid(&domid);
	if (rc < 0)
		return rc;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->fd = -1;
	p->priv = s;
	n = snprintf(s->dir, sizeof(s->dir), "%s", arg);
	if (n < 0 || (size_t)n >= sizeof(s->dir) - 32) {
		rc = -ENAMETOOLONG;
		goto err;
	}
	snprintf(s->xs, sizeof(s->xs), DUET_SIM_XS_FMT, s->dir, domid);
	s->buf = malloc(DUET_SIM_MSG_MAX);
	if (!s->buf) {
		rc = -ENOMEM;
		goto err;
	}
	rc = sim_connect(s->dir, domid, &got);
	if (rc < 0)
		goto err;
	s->fd = rc;
	s->domid = got;
	p->domid = (int)got;
	return 0;
err:
	sim_close(p);
	return rc;
}

static void sim_close(struct duet_platform *p)
{
	struct sim_priv *s = spriv(p);
	unsigned i;

	if (!s)
		return;
	/* Closing the connection makes the daemon drop the rest. */
	region_free_all(&s->maps);
	region_free_all(&s->shares);
	region_free_all(&s->pages);
	region_free_all(&s->pool);
	for (i = 0; i < s->ncbuf; i++)
		munmap(s->cbuf[i].addr, s->cbuf[i].size);
	if (s->area)
		munmap(s->area, DUET_SIM_COPY_AREA);
	if (s->fd >= 0)
		close(s->fd);
	free(s->buf);
	free(s);
	p->priv = NULL;
}

static int sim_domid(struct duet_platform *p)
{
	return (int)spriv(p)->domid;
}

static const char *sim_xs_socket(struct duet_platform *p)
{
	return spriv(p)->xs;
}

/* Restrict connection @fd to @domid (DUET_SIM_OP_RESTRICT). */
static int restrict_conn(int fd, unsigned domid)
{
	int rc = call_op(fd, DUET_SIM_OP_RESTRICT, domid, 0, 0, -1);

	return rc < 0 ? rc : 0;
}

static int sim_restrict(struct duet_platform *p, duet_domid_t domid)
{
	struct sim_priv *s = spriv(p);
	struct sim_evt *v;
	int rc;

	if (s->restricted && s->rdomid != domid)
		return -EPERM;
	rc = restrict_conn(s->fd, domid);
	for (v = s->evts; !rc && v; v = v->next)
		rc = restrict_conn(v->fd, domid);
	if (rc < 0)
		return rc;
	s->restricted = 1;
	s->rdomid = domid;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Grants: share                                                       */
/* ------------------------------------------------------------------ */

/* A sealed memfd of @count pages (size fixed: mappers never SIGBUS). */
static int new_memfd(const char *name, unsigned count)
{
	int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)count * PAGE) < 0 ||
	    fcntl(fd, F_ADD_SEALS,
		  F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL) < 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	return fd;
}

static int sim_share(struct duet_platform *p, duet_domid_t domid,
		     unsigned count, unsigned flags, duet_grant_ref_t *refs,
		     void **addr)
{
	struct sim_priv *s = spriv(p);
	struct sim_region *g = NULL;
	struct rpc r;
	void *a;
	int fd, rc;

	/*
	 * On Xen, Linux's gntalloc refuses to go past its limit (1024
	 * grants for the whole domain by default) with -ENOSPC; the
	 * simulator takes that many per call and answers the same.
	 */
	if (count > DUET_SIM_SHARE_MAX)
		return -ENOSPC;
	fd = new_memfd("duet-grant", count);
	if (fd < 0)
		return fd;
	a = mmap(NULL, (size_t)count * PAGE, PROT_READ | PROT_WRITE,
		 MAP_SHARED, fd, 0);
	if (a == MAP_FAILED) {
		rc = -errno;
		close(fd);
		return rc;
	}
	rpc_init(&r, DUET_SIM_OP_SHARE);
	r.req.domid = domid;
	r.req.count = count;
	r.req.flags = flags;
	r.fd_in = fd;
	r.out = refs;
	r.out_max = count * sizeof(*refs);
	rc = rpc_simple(s->fd, &r);
	close(fd);
	if (rc >= 0 && r.out_len != count * sizeof(*refs))
		rc = -EPROTO;
	if (rc >= 0 && !(g = region_new(a, count, -1, 1)))
		rc = -ENOMEM; /* the daemon drops it when we close */
	if (rc < 0) {
		munmap(a, (size_t)count * PAGE);
		return rc;
	}
	g->ids[0] = r.rep.id;
	region_put(&s->shares, g);
	*addr = a;
	return 0;
}

static int sim_unshare(struct duet_platform *p, void *addr, unsigned count)
{
	struct sim_priv *s = spriv(p);
	struct sim_region *g = region_take(&s->shares, addr, count);
	int rc;

	if (!g)
		return -EINVAL;
	rc = call_op(s->fd, DUET_SIM_OP_UNSHARE, 0, g->ids[0], 0, -1);
	if (rc < 0) {
		/* Still shared (e.g. -EBUSY while mapped): keep it. */
		region_put(&s->shares, g);
		return rc;
	}
	region_free(g);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Grants: map                                                         */
/* ------------------------------------------------------------------ */

/*
 * Most refs one duet_gnt_map() takes: the default of gntdev's "limit"
 * parameter, past which IOCTL_GNTDEV_MAP_GRANT_REF answers -EINVAL.  The
 * simulator sends a larger map as several MAP requests.
 */
#define SIM_MAP_LIMIT 65536u

static void send_unmap(struct sim_priv *s, uint64_t id)
{
	call_op(s->fd, DUET_SIM_OP_UNMAP, 0, id, 0, -1);
}

/*
 * One MAP request for @count (at most DUET_SIM_MAP_MAX) refs whose pages
 * go over the reserved range at @dst.  Return: 0 and the map id in *@id,
 * or -errno with nothing held in the daemon (pages already placed at @dst
 * are the caller's to unmap).
 */
static int map_chunk(struct sim_priv *s, duet_domid_t domid, unsigned count,
		     const duet_grant_ref_t *refs, unsigned flags,
		     uint8_t *dst, uint64_t *id)
{
	struct duet_sim_map_page *pg = (struct duet_sim_map_page *)s->buf;
	int prot = PROT_READ, rc;
	unsigned i, j;
	struct rpc r;

	if (!(flags & DUET_GNT_READONLY))
		prot |= PROT_WRITE;
	rpc_init(&r, DUET_SIM_OP_MAP);
	r.req.domid = domid;
	r.req.count = count;
	r.req.flags = flags;
	r.iov[0].iov_base = (void *)refs;
	r.iov[0].iov_len = count * sizeof(*refs);
	r.niov = 1;
	r.out = pg;
	r.out_max = count * sizeof(*pg);
	rc = rpc_call(s->fd, &r);
	if (rc < 0)
		goto out;
	rc = -EPROTO;
	if (r.out_len != count * sizeof(*pg) || r.nfds != r.rep.count)
		goto err_unmap;
	/* One mmap per run of consecutive pages of the same share. */
	for (i = 0; i < count; i = j) {
		if (pg[i].fd_idx >= r.nfds) {
			rc = -EPROTO;
			goto err_unmap;
		}
		for (j = i + 1; j < count && pg[j].fd_idx == pg[i].fd_idx &&
				pg[j].pgoff == pg[i].pgoff + (j - i); j++)
			;
		if (mmap(dst + (size_t)i * PAGE, (size_t)(j - i) * PAGE, prot,
			 MAP_SHARED | MAP_FIXED, r.fds[pg[i].fd_idx],
			 (off_t)pg[i].pgoff * PAGE) == MAP_FAILED) {
			rc = -errno;
			goto err_unmap;
		}
	}
	*id = r.rep.id;
	rc = 0;
	goto out;
err_unmap:
	send_unmap(s, r.rep.id);
out:
	rpc_close_fds(&r);
	return rc < 0 ? rc : 0;
}

static int sim_map(struct duet_platform *p, duet_domid_t domid,
		   unsigned count, const duet_grant_ref_t *refs,
		   unsigned flags, void **addr)
{
	struct sim_priv *s = spriv(p);
	unsigned nids = (count + DUET_SIM_MAP_MAX - 1) / DUET_SIM_MAP_MAX;
	unsigned c, first, n;
	struct sim_region *g;
	uint8_t *base;
	int rc = 0;

	if (count > SIM_MAP_LIMIT)
		return -EINVAL;
	base = mmap(NULL, (size_t)count * PAGE, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		return -errno;
	g = region_new(base, count, -1, nids);
	if (!g) {
		munmap(base, (size_t)count * PAGE);
		return -ENOMEM;
	}
	for (c = 0; c < nids; c++) {
		first = c * DUET_SIM_MAP_MAX;
		n = count - first < DUET_SIM_MAP_MAX ? count - first :
						       DUET_SIM_MAP_MAX;
		rc = map_chunk(s, domid, n, refs + first, flags,
			       base + (size_t)first * PAGE, &g->ids[c]);
		if (rc < 0)
			break;
	}
	if (rc < 0) {
		while (c--)
			send_unmap(s, g->ids[c]);
		region_free(g);
		return rc;
	}
	region_put(&s->maps, g);
	*addr = base;
	return 0;
}

static int sim_unmap(struct duet_platform *p, void *addr, unsigned count)
{
	struct sim_priv *s = spriv(p);
	struct sim_region *g = region_take(&s->maps, addr, count);
	int rc = 0, err;
	unsigned i;

	if (!g)
		return -EINVAL;
	munmap(g->addr, (size_t)g->count * PAGE);
	for (i = 0; i < g->nids; i++) {
		err = call_op(s->fd, DUET_SIM_OP_UNMAP, 0, g->ids[i], 0, -1);
		if (err < 0 && !rc)
			rc = err;
	}
	free(g);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Grants: copy                                                        */
/* ------------------------------------------------------------------ */

/*
 * The copy area (DUET_SIM_OP_COPY_AREA): made and handed to the daemon on
 * the first copy, kept mapped here and there until the handle closes.
 */
static int copy_area(struct sim_priv *s)
{
	void *a;
	int fd, rc;

	if (s->area)
		return 0;
	fd = new_memfd("duet-copy", DUET_SIM_COPY_AREA / PAGE);
	if (fd < 0)
		return fd;
	a = mmap(NULL, DUET_SIM_COPY_AREA, PROT_READ | PROT_WRITE, MAP_SHARED,
		 fd, 0);
	if (a == MAP_FAILED) {
		rc = -errno;
		close(fd);
		return rc;
	}
	rc = call_op(s->fd, DUET_SIM_OP_COPY_AREA, 0, 0, 0, fd);
	close(fd);
	if (rc < 0) {
		munmap(a, DUET_SIM_COPY_AREA);
		return rc;
	}
	s->area = a;
	return 0;
}

/*
 * Copy buffers (duet_gnt_copy_buf_alloc()): a sealed memfd mapped here
 * and in the daemon, which copies a segment's local side straight to or
 * from it when the side lies wholly inside one.
 */
static int sim_copy_buf_alloc(struct duet_platform *p, size_t size,
			      void **addr)
{
	struct sim_priv *s = spriv(p);
	size_t pages = (size + PAGE - 1) / PAGE;
	struct rpc r;
	void *a;
	int fd, rc;

	if (pages > DUET_SIM_COPY_BUF_PAGES)
		return -EINVAL;
	if (s->ncbuf == DUET_SIM_COPY_BUFS)
		return -ENOSPC;
	rc = copy_area(s);
	if (rc < 0)
		return rc;
	fd = new_memfd("duet-copybuf", (unsigned)pages);
	if (fd < 0)
		return fd;
	a = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 0);
	if (a == MAP_FAILED) {
		rc = -errno;
		close(fd);
		return rc;
	}
	rpc_init(&r, DUET_SIM_OP_COPY_BUF);
	r.req.count = (uint32_t)pages;
	r.fd_in = fd;
	rc = rpc_simple(s->fd, &r);
	close(fd);
	if (rc < 0) {
		munmap(a, pages * PAGE);
		return rc;
	}
	s->cbuf[s->ncbuf].addr = a;
	s->cbuf[s->ncbuf].size = pages * PAGE;
	s->cbuf[s->ncbuf].id = r.rep.id;
	s->ncbuf++;
	*addr = a;
	return 0;
}

static int sim_copy_buf_free(struct duet_platform *p, void *addr,
			     size_t size)
{
	struct sim_priv *s = spriv(p);
	size_t bytes = (size + PAGE - 1) / PAGE * PAGE;
	unsigned i;
	int rc;

	for (i = 0; i < s->ncbuf; i++)
		if (s->cbuf[i].addr == addr && s->cbuf[i].size == bytes)
			break;
	if (i == s->ncbuf)
		return -EINVAL;
	rc = call_op(s->fd, DUET_SIM_OP_COPY_BUF_FREE, 0, s->cbuf[i].id, 0,
		     -1);
	munmap(addr, bytes);
	s->cbuf[i] = s->cbuf[--s->ncbuf];
	s->cbuf_last = 0;
	return rc < 0 ? rc : 0;
}

/* The copy buffer holding all of [@v, @v + @len), or NULL. */
static const struct sim_cbuf *cbuf_find(struct sim_priv *s, const void *v,
					unsigned len)
{
	uintptr_t a = (uintptr_t)v;
	unsigned i, k;

	for (k = 0; k < s->ncbuf; k++) {
		const struct sim_cbuf *b;

		i = (s->cbuf_last + k) % s->ncbuf;
		b = &s->cbuf[i];
		if (a >= (uintptr_t)b->addr &&
		    a - (uintptr_t)b->addr <= b->size &&
		    len <= b->size - (a - (uintptr_t)b->addr)) {
			s->cbuf_last = i;
			return b;
		}
	}
	return NULL;
}

/*
 * Send segments @idx[0..n) of @segs as one COPY request: local sources
 * in a copy buffer named by their range, the others packed into the copy
 * area's first half before the request; local destinations likewise, the
 * area's from its second half after the reply (the socket orders both
 * against the daemon's accesses, to the buffers as to the area).
 */
static int copy_chunk(struct sim_priv *s, struct duet_gnt_copy_seg *segs,
		      const unsigned *idx, unsigned n)
{
	struct duet_sim_copy_seg wire[DUET_SIM_COPY_MAX];
	int32_t status[DUET_SIM_COPY_MAX];
	uint8_t *src = s->area, *dst = s->area + DUET_SIM_COPY_AREA / 2;
	const struct sim_cbuf *b;
	struct rpc r;
	unsigned i;
	int rc;

	rpc_init(&r, DUET_SIM_OP_COPY);
	r.req.count = n;
	r.iov[0].iov_base = wire;
	r.iov[0].iov_len = n * sizeof(wire[0]);
	r.niov = 1;
	for (i = 0; i < n; i++) {
		const struct duet_gnt_copy_seg *g = &segs[idx[i]];
		struct duet_sim_copy_seg *w = &wire[i];

		memset(w, 0, sizeof(*w));
		w->len = g->len;
		w->flags = g->flags;
		if (g->flags & DUET_GNT_COPY_SRC_GREF) {
			w->src_ref = g->src.foreign.ref;
			w->src_domid = g->src.foreign.domid;
			w->src_off = g->src.foreign.offset;
		} else if ((b = cbuf_find(s, g->src.virt, g->len))) {
			w->flags |= DUET_SIM_COPY_SRC_BUF;
			w->src_domid = (uint16_t)b->id;
			w->src_ref = (uint32_t)((uint8_t *)g->src.virt -
						b->addr);
		} else {
			duet_copy_bytes(src, g->src.virt, g->len);
			src += g->len;
		}
		if (g->flags & DUET_GNT_COPY_DST_GREF) {
			w->dst_ref = g->dst.foreign.ref;
			w->dst_domid = g->dst.foreign.domid;
			w->dst_off = g->dst.foreign.offset;
		} else if ((b = cbuf_find(s, g->dst.virt, g->len))) {
			w->flags |= DUET_SIM_COPY_DST_BUF;
			w->dst_domid = (uint16_t)b->id;
			w->dst_ref = (uint32_t)((uint8_t *)g->dst.virt -
						b->addr);
		}
	}
	r.out = status;
	r.out_max = n * sizeof(status[0]);
	rc = rpc_simple(s->fd, &r);
	if (rc < 0)
		return rc;
	if (r.out_len != n * sizeof(status[0]))
		return -EPROTO;
	for (i = 0; i < n; i++) {
		struct duet_gnt_copy_seg *g = &segs[idx[i]];

		g->status = (int16_t)status[i];
		if (wire[i].flags & (DUET_GNT_COPY_DST_GREF |
				     DUET_SIM_COPY_DST_BUF))
			continue;
		if (!g->status)
			duet_copy_bytes(g->dst.virt, dst, g->len);
		dst += g->len;
	}
	return 0;
}

static int sim_copy(struct duet_platform *p, struct duet_gnt_copy_seg *segs,
		    unsigned count)
{
	struct sim_priv *s = spriv(p);
	unsigned idx[DUET_SIM_COPY_MAX], n = 0, i;
	int rc;

	rc = copy_area(s);
	if (rc < 0)
		return rc;
	/* At most DUET_SIM_COPY_MAX segments of at most a page each: both
	 * halves of the area always hold a full chunk. */
	for (i = 0; i < count; i++) {
		struct duet_gnt_copy_seg *g = &segs[i];

		if (g->status)
			continue; /* refused by core.c already */
		if (g->len > PAGE) {
			g->status = -EINVAL;
			continue;
		}
		if (n == DUET_SIM_COPY_MAX) {
			rc = copy_chunk(s, segs, idx, n);
			if (rc < 0)
				return rc;
			n = 0;
		}
		idx[n++] = i;
	}
	return n ? copy_chunk(s, segs, idx, n) : 0;
}

/* ------------------------------------------------------------------ */
/* Grants: transfer                                                    */
/* ------------------------------------------------------------------ */

static int sim_transfer_offer(struct duet_platform *p, duet_domid_t domid,
			      unsigned count, duet_grant_ref_t *refs)
{
	struct rpc r;
	int rc;

	if (count > DUET_SIM_SHARE_MAX)
		return -EINVAL;
	rpc_init(&r, DUET_SIM_OP_XFER_OFFER);
	r.req.domid = domid;
	r.req.count = count;
	r.out = refs;
	r.out_max = count * sizeof(*refs);
	rc = rpc_simple(spriv(p)->fd, &r);
	if (rc >= 0 && r.out_len != count * sizeof(*refs))
		rc = -EPROTO;
	return rc < 0 ? rc : 0;
}

/*
 * Map the one-page memfd @fd as a page this process owns (transfer
 * pages); @fd is closed on failure.
 */
static int own_page(struct sim_priv *s, int fd, void **page)
{
	struct sim_region *g;
	void *a;
	int rc;

	a = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (a == MAP_FAILED) {
		rc = -errno;
		close(fd);
		return rc;
	}
	g = region_new(a, 1, fd, 0);
	if (!g) {
		munmap(a, PAGE);
		close(fd);
		return -ENOMEM;
	}
	region_put(&s->pages, g);
	*page = a;
	return 0;
}

static int sim_page_alloc(struct duet_platform *p, void **page)
{
	struct sim_priv *s = spriv(p);
	struct sim_region *g = s->pool;
	int fd;

	if (g) {
		s->pool = g->next;
		s->npool--;
		memset(g->addr, 0, PAGE);
		region_put(&s->pages, g);
		*page = g->addr;
		return 0;
	}
	fd = new_memfd("duet-page", 1);
	return fd < 0 ? fd : own_page(s, fd, page);
}

static int sim_page_free(struct duet_platform *p, void *page)
{
	struct sim_priv *s = spriv(p);
	struct sim_region *g = region_take(&s->pages, page, 1);

	if (!g)
		return -EINVAL;
	if (s->npool < SIM_PAGE_POOL) {
		region_put(&s->pool, g);
		s->npool++;
	} else {
		region_free(g);
	}
	return 0;
}

/*
 * The page flip: the descriptor goes to the daemon with the request, and
 * on success the page leaves our address space.  Nothing is copied.
 */
static int sim_transfer(struct duet_platform *p, void *page,
			duet_domid_t domid, duet_grant_ref_t ref)
{
	struct sim_priv *s = spriv(p);
	struct sim_region *g = region_take(&s->pages, page, 1);
	struct rpc r;
	int rc;

	if (!g)
		return -EINVAL;
	rpc_init(&r, DUET_SIM_OP_XFER);
	r.req.domid = domid;
	r.req.ref = ref;
	r.fd_in = g->fd;
	rc = rpc_simple(s->fd, &r);
	if (rc < 0) {
		region_put(&s->pages, g);
		return rc;
	}
	region_free(g);
	return 0;
}

static int sim_transfer_accept(struct duet_platform *p, duet_grant_ref_t ref,
			       void **page)
{
	struct sim_priv *s = spriv(p);
	struct rpc r;
	int rc;

	rpc_init(&r, DUET_SIM_OP_XFER_ACCEPT);
	r.req.ref = ref;
	rc = rpc_call(s->fd, &r);
	if (rc >= 0 && r.nfds != 1)
		rc = -EPROTO;
	if (rc < 0) {
		rpc_close_fds(&r);
		return rc;
	}
	return own_page(s, r.fds[0], page);
}

/* ------------------------------------------------------------------ */
/* Event channels                                                      */
/* ------------------------------------------------------------------ */

static struct sim_evt *sevt(struct duet_evtchn *e)
{
	return e->priv;
}

static void cell_unmap(struct duet_sim_evt_cell **c)
{
	if (*c)
		munmap(*c, DUET_SIM_EVT_CELL_SIZE);
	*c = NULL;
}

/* Map the cell memfd @fd (closed here); NULL on failure. */
static struct duet_sim_evt_cell *cell_map(int fd)
{
	void *a = mmap(NULL, DUET_SIM_EVT_CELL_SIZE, PROT_READ | PROT_WRITE,
		       MAP_SHARED, fd, 0);

	close(fd);
	return a == MAP_FAILED ? NULL : a;
}

static void evt_free(struct sim_evt *v)
{
	unsigned i;

	for (i = 0; v->port && i < v->nports; i++) {
		if (v->port[i].efd >= 0)
			close(v->port[i].efd);
		if (v->port[i].peer_efd >= 0)
			close(v->port[i].peer_efd);
		cell_unmap(&v->port[i].cell);
		cell_unmap(&v->port[i].peer_cell);
	}
	free(v->port);
	free(v->owned);
	if (v->gen)
		munmap((void *)v->gen, v->nports * sizeof(uint32_t));
	if (v->epfd >= 0)
		close(v->epfd);
	if (v->fd >= 0)
		close(v->fd);
	free(v);
}

/*
 * The spin-before-sleep knob: DUET_SIM_EVTCHN_SPIN_US, microseconds a
 * handle's duet_evtchn_pending() keeps looking at its ports' cells before
 * it answers -EAGAIN (0 or unset: never; at most 10000).  Returns the
 * budget in ns, or -EINVAL for a value that is not a number in range.
 */
static long spin_knob(void)
{
	uint64_t us;

	if (duet_parse_env_uint("DUET_SIM_EVTCHN_SPIN_US", 10000, &us) < 0)
		return -EINVAL;
	return (long)us * 1000;
}

static int sim_evtchn_open(struct duet_evtchn *e)
{
	struct sim_priv *s = spriv(e->p);
	struct sim_evt *v;
	struct rpc r;
	unsigned got, i;
	long spin = spin_knob();
	void *gen;
	int rc;

	if (spin < 0)
		return (int)spin;
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->epfd = -1;
	v->spin_ns = (unsigned)spin;
	rc = sim_connect(s->dir, s->domid, &got);
	if (rc < 0) {
		free(v);
		return rc;
	}
	v->fd = rc;
	rpc_init(&r, DUET_SIM_OP_EVT_OPEN);
	rc = rpc_call(v->fd, &r);
	if (rc >= 0 && (r.nfds != 1 || !r.rep.count))
		rc = -EPROTO;
	if (rc < 0) {
		rpc_close_fds(&r);
		goto err;
	}
	v->nports = r.rep.count;
	gen = mmap(NULL, v->nports * sizeof(uint32_t), PROT_READ, MAP_SHARED,
		   r.fds[0], 0);
	close(r.fds[0]);
	if (gen == MAP_FAILED) {
		rc = -errno;
		goto err;
	}
	v->gen = gen;
	v->port = calloc(v->nports, sizeof(*v->port));
	v->owned = calloc(v->nports, sizeof(*v->owned));
	v->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (!v->port || !v->owned || v->epfd < 0) {
		rc = v->epfd < 0 ? -errno : -ENOMEM;
		goto err;
	}
	for (i = 0; i < v->nports; i++)
		v->port[i].efd = v->port[i].peer_efd = -1;
	if (s->restricted) {
		rc = restrict_conn(v->fd, s->rdomid);
		if (rc < 0)
			goto err;
	}
	v->next = s->evts;
	s->evts = v;
	e->priv = v;
	return 0;
err:
	evt_free(v);
	return rc;
}

static void sim_evtchn_close(struct duet_evtchn *e)
{
	struct sim_evt *v = sevt(e), **pp;

	if (!v)
		return;
	for (pp = &spriv(e->p)->evts; *pp && *pp != v; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = v->next;
	/* The daemon closes our ports when the connection goes. */
	evt_free(v);
	e->priv = NULL;
}

static int sim_evtchn_fd(struct duet_evtchn *e)
{
	return sevt(e)->epfd;
}

/*
 * Take our new port @port, its doorbell @efd into the epoll set (unmasked)
 * and its cell @cfd.  Both descriptors are consumed.
 */
static int port_add(struct sim_evt *v, int port, int efd, int cfd)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct sim_port *sp;

	if (port <= 0 || (unsigned)port >= v->nports ||
	    v->port[port].efd >= 0) {
		close(efd);
		close(cfd);
		return -EPROTO;
	}
	sp = &v->port[port];
	sp->cell = cell_map(cfd);
	if (!sp->cell) {
		close(efd);
		return -ENOMEM;
	}
	ev.data.u32 = (uint32_t)port;
	if (epoll_ctl(v->epfd, EPOLL_CTL_ADD, efd, &ev) < 0) {
		int rc = -errno;

		close(efd);
		cell_unmap(&sp->cell);
		return rc;
	}
	sp->efd = efd;
	sp->masked = 0;
	v->owned[v->nowned++] = (uint32_t)port;
	return port;
}

static void peer_forget(struct sim_port *sp)
{
	if (sp->peer_efd >= 0)
		close(sp->peer_efd);
	sp->peer_efd = -1;
	cell_unmap(&sp->peer_cell);
}

/* Keep the peer's doorbell @efd and cell @cfd (consumed) for @sp. */
static void peer_take(struct sim_port *sp, int efd, int cfd, uint32_t gen)
{
	peer_forget(sp);
	sp->peer_cell = cell_map(cfd);
	if (!sp->peer_cell) {
		close(efd);
		return;
	}
	sp->peer_efd = efd;
	sp->peer_gen = gen;
}

static int sim_evtchn_alloc_unbound(struct duet_evtchn *e,
				    duet_domid_t remote)
{
	struct sim_evt *v = sevt(e);
	struct rpc r;
	int rc;

	rpc_init(&r, DUET_SIM_OP_EVT_ALLOC);
	r.req.domid = remote;
	rc = rpc_call(v->fd, &r);
	if (rc > 0 && r.nfds == 2)
		return port_add(v, rc, r.fds[0], r.fds[1]);
	rpc_close_fds(&r);
	return rc > 0 ? -EPROTO : rc;
}

static int sim_evtchn_bind(struct duet_evtchn *e, duet_domid_t remote,
			   duet_evtchn_port_t remote_port)
{
	struct sim_evt *v = sevt(e);
	struct rpc r;
	int rc;

	rpc_init(&r, DUET_SIM_OP_EVT_BIND);
	r.req.domid = remote;
	r.req.port = remote_port;
	rc = rpc_call(v->fd, &r);
	if (rc <= 0 || r.nfds != 4) {
		rpc_close_fds(&r);
		return rc > 0 ? -EPROTO : rc;
	}
	rc = port_add(v, rc, r.fds[0], r.fds[1]);
	if (rc < 0) {
		close(r.fds[2]);
		close(r.fds[3]);
		return rc;
	}
	peer_take(&v->port[rc], r.fds[2], r.fds[3], (uint32_t)r.rep.id);
	return rc;
}

/*
 * Notify: set the peer port's pending word and ring its doorbell (one
 * eventfd write, no daemon) unless its owner masked the port (unmask will
 * ring) or is awake in a spin and will see the word (struct
 * duet_sim_evt_cell); all that while the port's binding generation is the
 * one the doorbell and cell came with.  Else (not known yet, or the binding
 * changed) through the daemon, which validates the binding as Xen's
 * EVTCHNOP_send does and hands out the current doorbell and cell.
 */
static int sim_evtchn_notify(struct duet_evtchn *e, duet_evtchn_port_t port)
{
	struct sim_evt *v = sevt(e);
	uint64_t one = 1;
	struct sim_port *sp;
	struct rpc r;
	int rc;

	if (!port || port >= v->nports)
		return -EINVAL;
	sp = &v->port[port];
	if (sp->efd < 0)
		return -ENOTCONN;
	/* Acquire: pairs with the daemon's release in gen_bump()
	 * (sim/simd-evt.c); a generation equal to ours means the binding
	 * our doorbell belongs to has not changed since. */
	if (sp->peer_efd >= 0 &&
	    atomic_load_explicit(&v->gen[port], memory_order_acquire) ==
		    sp->peer_gen) {
		if (!duet_sim_evt_cell_notify(sp->peer_cell))
			return 0;
		/* Fails only when the counter would overflow: the peer
		 * has an event pending anyway. */
		if (write(sp->peer_efd, &one, sizeof(one)) < 0 &&
		    errno != EAGAIN)
			return -errno;
		return 0;
	}
	peer_forget(sp);
	rpc_init(&r, DUET_SIM_OP_EVT_NOTIFY);
	r.req.port = port;
	rc = rpc_call(v->fd, &r);
	if (rc == 0 && r.nfds == 2) {
		peer_take(sp, r.fds[0], r.fds[1], (uint32_t)r.rep.id);
		return 0;
	}
	rpc_close_fds(&r);
	return rc < 0 ? rc : 0;
}

/*
 * A port's event is its cell's pending word, set by every notifier and by
 * the daemon before they ring the port's doorbell; the doorbell only
 * wakes.  Its epoll entry is level triggered (readable while its count is
 * not zero).  A taken port is masked (sp->masked, and the cell's word for
 * notifiers, who then do not ring): the scans below skip it and its
 * pending word stays set until unmask rings for it.
 */
static void bell_clear(struct sim_evt *v, uint32_t port)
{
	uint64_t cnt;

	if (read(v->port[port].efd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN)
		duet_log(DUET_LOG_WARN, "sim: doorbell of our port %u: %s",
			 port, strerror(errno));
}

/*
 * Unmask @sp in its cell and ring our own doorbell if an event came while
 * it was masked (its notifier did not ring; struct duet_sim_evt_cell).
 * Return: 0 or the -errno of the doorbell write.
 */
static int cell_unmask(struct sim_port *sp)
{
	uint64_t one = 1;

	/* Seq-cst store then load: the unmasker's half of the masked
	 * Dekker pair, with the notifier's store of pending then load of
	 * masked in duet_sim_evt_cell_notify() (every notifier's step):
	 * a word stored after our load comes with its notifier's own
	 * doorbell write. */
	atomic_store((_Atomic uint32_t *)&sp->cell->masked, 0);
	if (atomic_load((_Atomic uint32_t *)&sp->cell->pending) &&
	    write(sp->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		return -errno;
	return 0;
}

/*
 * Take the event of an unmasked owned port whose pending word is set: the
 * port, masked now, or 0.  The scan starts after the port taken last, so
 * that a busy port does not starve the others.
 *
 * The port is masked in its cell before its word is exchanged, so that a
 * notify whose word the exchange does not take finds it masked and does
 * not ring (struct duet_sim_evt_cell).
 *
 * With @bell the port's doorbell is read first, then the word exchanged,
 * so that no wake-up is lost: a notifier stores the word before it
 * writes the doorbell, and the eventfd's lock orders its write with our
 * read.  If our read consumed its write, its store came before our
 * exchange, which sees it: its event is returned now.  If not, its count
 * stays and wakes the poller again, and its word is either taken now (a
 * spurious wake, drained by the next call) or left for the next scan.
 * Without @bell (inside a spin, where notifiers skip the doorbell) a
 * count may be left the same way.
 */
static uint32_t cells_take(struct sim_evt *v, int bell)
{
	unsigned i, k;

	for (i = 0; i < v->nowned; i++) {
		struct sim_port *sp;

		k = (v->scan + i) % v->nowned;
		sp = &v->port[v->owned[k]];
		/* Seq-cst load: after cells_awake(v, 0) in spin(), the
		 * owner's half of the awake Dekker pair with the notifier's
		 * store of the word then load of awake
		 * (duet_sim_evt_cell_notify()); outside a spin the doorbell
		 * orders the word (above). */
		if (sp->masked ||
		    !atomic_load((_Atomic uint32_t *)&sp->cell->pending))
			continue;
		/* Seq-cst store before the exchange below: a notifier whose
		 * store of the word comes after the exchange loads
		 * masked = 1 after it (duet_sim_evt_cell_notify()). */
		atomic_store((_Atomic uint32_t *)&sp->cell->masked, 1);
		if (bell)
			bell_clear(v, v->owned[k]);
		if (!atomic_exchange((_Atomic uint32_t *)&sp->cell->pending,
				     0)) {
			/* Only the owner clears the word, so only a
			 * hostile peer gets here: unmask again. */
			cell_unmask(sp);
			continue;
		}
		sp->masked = 1;
		v->scan = k + 1;
		return v->owned[k];
	}
	return 0;
}

/*
 * Read every doorbell epoll reports (masked ports' too: a count written
 * just before the port was masked), so that a wake that brought no event
 * stops the fd being readable.
 */
static int bells_drain(struct sim_evt *v)
{
	struct epoll_event ev[16];
	int n, k;

	do {
		do
			n = epoll_wait(v->epfd, ev, 16, 0);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return -errno;
		for (k = 0; k < n; k++) {
			uint32_t port = ev[k].data.u32;

			if (port >= v->nports || v->port[port].efd < 0)
				return -EIO;
			bell_clear(v, port);
		}
	} while (n == 16);
	return 0;
}

static void cells_awake(struct sim_evt *v, uint32_t awake)
{
	unsigned i;

	/* Seq-cst: the owner's store of the awake Dekker pair, before its
	 * loads of pending in cells_take(); pairs with the notifier's store
	 * of pending then load of awake (duet_sim_evt_cell_notify()). */
	for (i = 0; i < v->nowned; i++)
		atomic_store((_Atomic uint32_t *)
			     &v->port[v->owned[i]].cell->awake, awake);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * Ring our own doorbell for every unmasked port whose pending word is
 * set, so that a caller about to sleep wakes for it (a notifier that saw
 * us awake set only the word).
 */
static void cells_ring(struct sim_evt *v)
{
	uint64_t one = 1;
	unsigned i;

	for (i = 0; i < v->nowned; i++) {
		struct sim_port *sp = &v->port[v->owned[i]];

		/* Seq-cst: read after cells_awake(v, 0), the Dekker pair. */
		if (!sp->masked &&
		    atomic_load((_Atomic uint32_t *)&sp->cell->pending) &&
		    write(sp->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
			duet_log(DUET_LOG_WARN, "sim: doorbell of our port "
				 "%u: %s", v->owned[i], strerror(errno));
	}
}

/*
 * Spin-before-sleep: say awake in our ports' cells (a notifier then skips
 * the doorbell) and look at the words for up to v->spin_ns; say not awake
 * before returning.  Then, the Dekker pair of struct duet_sim_evt_cell: a
 * notifier that saw us awake set a word that is found now -- returned, or
 * rung on our own doorbell when we return another port.
 */
static uint32_t spin(struct sim_evt *v)
{
	uint64_t until = mono_ns() + v->spin_ns;
	unsigned spins = 0;
	uint32_t port;

	cells_awake(v, 1);
	/* A pause between looks, and now and then a yield: on a machine
	 * with more runnable tasks than cores the notifier may be waiting
	 * for this very CPU (measured under load: 7.7-12 us round trips
	 * with the yield, 550 us without it at a 1 ms budget). */
	do {
		port = cells_take(v, 0);
		if (port)
			break;
		if (++spins % 32)
			__builtin_ia32_pause();
		else
			sched_yield();
	} while (mono_ns() < until);
	cells_awake(v, 0);
	if (!port)
		port = cells_take(v, 0);
	if (port)
		cells_ring(v);
	return port;
}

/*
 * duet_evtchn_pending().  The common case is one read() of the doorbell
 * per event: a scan of the cells, then, when the previous call returned
 * a port, -EAGAIN with no system call (the caller's loop until -EAGAIN;
 * a count left meanwhile keeps the fd readable).  A call that finds
 * nothing after one that did not take anything was woken for no event
 * (a count written after its event was taken, or just before its port
 * was masked: a masked port's notifier does not ring): drain the
 * doorbells so that poll() sleeps again, and look once more (a word
 * stored before a write we drained is seen now).  On return every
 * unmasked port whose word is set still has a count in its doorbell (or
 * its notifier is about to write one), so the fd stays readable for it.
 */
static int sim_evtchn_pending(struct duet_evtchn *e)
{
	struct sim_evt *v = sevt(e);
	uint32_t port = cells_take(v, 1);
	int rc;

	if (!port && !v->took) {
		rc = bells_drain(v);
		if (rc < 0)
			return rc;
		port = cells_take(v, 1);
		/* The drain took the counts of the words still set. */
		if (port)
			cells_ring(v);
	}
	if (!port && v->spin_ns)
		port = spin(v);
	v->took = port != 0;
	return port ? (int)port : -EAGAIN;
}

/*
 * No system call unless an event came while the port was masked: its
 * notifier set the pending word and did not ring, so ring our own
 * doorbell for a sleeper, as Xen re-raises a pending event on unmask
 * (cell_unmask(); struct duet_sim_evt_cell argues that no event is lost).
 */
static int sim_evtchn_unmask(struct duet_evtchn *e, duet_evtchn_port_t port)
{
	struct sim_evt *v = sevt(e);
	struct sim_port *sp;

	if (!port || port >= v->nports)
		return -EINVAL;
	sp = &v->port[port];
	if (sp->efd < 0 || !sp->masked)
		return 0;
	sp->masked = 0;
	return cell_unmask(sp);
}

static int sim_evtchn_unbind(struct duet_evtchn *e, duet_evtchn_port_t port)
{
	struct sim_evt *v = sevt(e);
	int rc = call_op(v->fd, DUET_SIM_OP_EVT_UNBIND, 0, 0, port, -1);
	unsigned i;

	if (rc < 0)
		return rc;
	if (port < v->nports && v->port[port].efd >= 0) {
		epoll_ctl(v->epfd, EPOLL_CTL_DEL, v->port[port].efd, NULL);
		close(v->port[port].efd);
		v->port[port].efd = -1;
		cell_unmap(&v->port[port].cell);
		peer_forget(&v->port[port]);
		for (i = 0; i < v->nowned; i++)
			if (v->owned[i] == port) {
				v->owned[i] = v->owned[--v->nowned];
				break;
			}
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Memory a device can address                                         */
/* ------------------------------------------------------------------ */

/*
 * The simulator's machine is the DMA layer's model (swiotlb/dma-mem.c),
 * bound to this platform by duet_dma_mem_bind(): these hooks answer from
 * it for this platform's domain.
 */
static int no_machine(void)
{
	duet_log(DUET_LOG_ERR,
		 "sim platform: no machine model bound (duet_dma_mem_bind()): "
		 "the simulator's frames are the DMA layer's model");
	return -EOPNOTSUPP;
}

static int sim_frames(struct duet_platform *p, const void *addr,
		      unsigned count, uint64_t *mfns, uint64_t *pfns)
{
	if (!p->machine)
		return no_machine();
	return p->machine->frames(p->machine_priv, spriv(p)->domid, addr,
				  count, mfns, pfns);
}

static int sim_alloc_contig(struct duet_platform *p, unsigned count,
			    unsigned dma_bits, void **addr)
{
	if (!p->machine)
		return no_machine();
	return p->machine->alloc_contig(p->machine_priv, spriv(p)->domid,
					count, dma_bits, addr);
}

static int sim_free_contig(struct duet_platform *p, void *addr,
			   unsigned count)
{
	if (!p->machine)
		return -EINVAL;
	return p->machine->free_contig(p->machine_priv, spriv(p)->domid, addr,
				       count);
}

const struct duet_platform_ops duet_platform_sim = {
	.name = "sim",
	.caps = DUET_PLATFORM_CAP_TRANSFER | DUET_PLATFORM_CAP_COPY,
	.open = sim_open,
	.close = sim_close,
	.domid = sim_domid,
	.restrict_to = sim_restrict,
	.xs_socket = sim_xs_socket,
	.share = sim_share,
	.unshare = sim_unshare,
	.map = sim_map,
	.unmap = sim_unmap,
	.copy = sim_copy,
	.copy_buf_alloc = sim_copy_buf_alloc,
	.copy_buf_free = sim_copy_buf_free,
	.transfer_offer = sim_transfer_offer,
	.transfer = sim_transfer,
	.transfer_accept = sim_transfer_accept,
	.page_alloc = sim_page_alloc,
	.page_free = sim_page_free,
	.frames = sim_frames,
	.alloc_contig = sim_alloc_contig,
	.free_contig = sim_free_contig,
	.evtchn_open = sim_evtchn_open,
	.evtchn_close = sim_evtchn_close,
	.evtchn_fd = sim_evtchn_fd,
	.evtchn_alloc_unbound = sim_evtchn_alloc_unbound,
	.evtchn_bind = sim_evtchn_bind,
	.evtchn_notify = sim_evtchn_notify,
	.evtchn_pending = sim_evtchn_pending,
	.evtchn_unmask = sim_evtchn_unmask,
	.evtchn_unbind = sim_evtchn_unbind,
};

/* SPDX-License-Identifier: MIT */
/*
 * sim/simd-evt.c - the simulator's event channels: the daemon binds,
 * the clients signal each other directly.
 *
 * Ports are per domain (port 0 is never used) and owned by the
 * event-channel connection (one per duet_evtchn handle) that allocated or
 * bound them.  Each port has a doorbell, an eventfd made here when the
 * port is allocated: its owner gets a copy (in the ALLOC or BIND reply)
 * and polls it; its peer gets a copy only once the two are bound (in the
 * BIND reply, or the first NOTIFY reply) and notifies by writing 1 to it,
 * one system call with no daemon in between, as a Xen notify is one
 * hypercall.
 *
 * Each port also has a cell (struct duet_sim_evt_cell, a one-page memfd
 * made with the doorbell and handed out with it, to the same clients; the
 * daemon maps its own).  Its pending word is the event: a notifier (and
 * deliver() here) sets it, then rings the doorbell -- unless the owner
 * masked the port or is awake in a spin (platform-sim.c: the optional
 * spin-before-sleep) and will see the word.  The doorbell only wakes the
 * owner, who takes the event by exchanging the word to 0 and masks the
 * port (its cell's masked word) until it unmasks it; unmask rings the
 * owner's own doorbell for an event that came meanwhile, so there is no
 * UNMASK request.  The header, at struct duet_sim_evt_cell, has the
 * protocol and why no event is lost.  A cell reaches exactly the clients
 * its doorbell reaches, so everything below holds for both.
 *
 * Isolation: a client can write only the doorbells of the ports it is
 * bound to, and the daemon hands out a doorbell only for a port the
 * asker owns and has bound (NOTIFY checks it as Xen's EVTCHNOP_send
 * does).  When a binding ends the daemon drops its own copy of the closed
 * port's doorbell; a peer that still holds it writes to a counter nobody
 * reads, so an event never reaches a port it was not bound to.  So that
 * a client learns when its cached peer doorbell is stale, every port has
 * a binding generation, bumped (release) whenever the port is bound,
 * closed or its peer closes; the domain's generations live in a memfd
 * that every event-channel handle of the domain maps read-only (EVT_OPEN
 * reply) and checks (acquire) before each direct notify.
 *
 * Return values are those of Linux's /dev/xen/evtchn over Xen (what
 * libxenevtchn hands back), so that a driver sees the same on both:
 *  - NOTIFY on a port this handle does not own: -ENOTCONN (the evtchn
 *    driver's IOCTL_EVTCHN_NOTIFY finds no such port of the file);
 *  - NOTIFY on an unbound port, including one whose peer closed, is
 *    dropped and answers 0 (Xen's EVTCHNOP_send ignores ECS_UNBOUND, and
 *    the driver ignores the hypercall's result anyway);
 *  - UNBIND of a port out of range: -EINVAL; of a port this handle does
 *    not own: -ENOTCONN (IOCTL_EVTCHN_UNBIND);
 *  - unmask of a port the handle does not own: 0 (the driver's write()
 *    skips ports it does not know; platform-sim.c).
 *
 * Closing: when a port is closed (UNBIND, its handle hung up, its domain
 * destroyed) the peer port goes back to UNBOUND with the closer's domain
 * as its remote, as Xen's evtchn_close() does, so that the closer's domain
 * may bind it again.  The simulator also gives the peer port one last
 * event so that a peer waiting for it wakes up and looks at xenstore; Xen
 * does not, and drivers must take it as the spurious event it is.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sim/simd-int.h"

/* Ports one handle may own (keeps its pipe from ever filling). */
#define SIMD_CONN_PORTS 1024u

/*
 * simd_evt_init() - give @dom an empty port table of d->nports ports.
 * Return: 0 or -ENOMEM.
 */
int simd_evt_init(struct simd *d, struct simd_dom *dom)
{
	size_t len = (size_t)d->nports * sizeof(uint32_t);
	unsigned i;
	void *gen;
	int fd;

	dom->evt_gen_fd = -1;
	dom->ports = calloc(d->nports, sizeof(*dom->ports));
	if (!dom->ports)
		return -ENOMEM;
	dom->nports = d->nports;
	for (i = 0; i < dom->nports; i++)
		dom->ports[i].efd = dom->ports[i].cell = -1;
	fd = memfd_create("duet-sim-evtgen", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, (off_t)len) < 0)
		goto err;
	gen = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (gen == MAP_FAILED)
		goto err;
	dom->evt_gen = gen;
	dom->evt_gen_fd = fd;
	return 0;
err:
	if (fd >= 0)
		close(fd);
	free(dom->ports);
	dom->ports = NULL;
	return -ENOMEM;
}

/* simd_evt_in_use() - ports of @dom currently allocated. */
unsigned simd_evt_in_use(const struct simd_dom *dom)
{
	unsigned i, n = 0;

	for (i = 1; i < dom->nports; i++)
		n += dom->ports[i].state != SIMD_PORT_FREE;
	return n;
}

/*
 * simd_evt_bound() - ports of @dom currently bound to a peer
 * (interdomain), the event channels a connected device holds; an
 * allocated port that waits for its peer (again, after the peer closed)
 * counts in simd_evt_in_use() only.
 */
unsigned simd_evt_bound(const struct simd_dom *dom)
{
	unsigned i, n = 0;

	for (i = 1; i < dom->nports; i++)
		n += dom->ports[i].state == SIMD_PORT_INTERDOMAIN;
	return n;
}

/*
 * Set @port's pending word and ring its doorbell unless its owner masked
 * the port or is awake in a spin, as a client's notify does
 * (platform-sim.c, sim_evtchn_notify(); struct duet_sim_evt_cell).  When
 * it rings, the doorbell orders the word for a sleeping owner: the
 * eventfd's lock orders our write with the owner's read of the doorbell,
 * which comes before it takes the word (platform-sim.c, cells_take()).
 */
static void deliver(struct simd_dom *dom, uint32_t port)
{
	struct simd_port *p = &dom->ports[port];
	uint64_t one = 1;

	if (!p->cellp || p->efd < 0 || !duet_sim_evt_cell_notify(p->cellp))
		return;
	if (write(p->efd, &one, sizeof(one)) != sizeof(one) && p->owner)
		simd_conn_warn(p->owner, "doorbell of port %u overflows",
			       port);
}

/*
 * The binding of @port changed: bump its generation.  Release: the port
 * table's new state (the store that made the change) is ordered before
 * the new value; pairs with the acquire load in platform-sim.c's
 * sim_evtchn_notify(), which then trusts its cached peer doorbell only
 * while the generation it cached is still current.
 */
static void gen_bump(struct simd_dom *dom, uint32_t port)
{
	atomic_fetch_add_explicit(&dom->evt_gen[port], 1,
				  memory_order_release);
}

/* Close @port of @dom and tell its peer. */
static void port_close(struct simd_dom *dom, uint32_t port)
{
	struct simd_port *p = &dom->ports[port];

	if (p->state == SIMD_PORT_INTERDOMAIN) {
		struct simd_dom *r = simd_dom_get(p->owner->d, p->remote);

		if (r && p->rport < r->nports &&
		    r->ports[p->rport].state == SIMD_PORT_INTERDOMAIN) {
			r->ports[p->rport].state = SIMD_PORT_UNBOUND;
			r->ports[p->rport].remote = (uint16_t)dom->domid;
			r->ports[p->rport].rport = 0;
			gen_bump(r, p->rport);
			deliver(r, p->rport);
		}
	}
	if (p->owner)
		p->owner->nports--;
	if (p->efd >= 0)
		close(p->efd);
	if (p->cellp)
		munmap(p->cellp, DUET_SIM_EVT_CELL_SIZE);
	if (p->cell >= 0)
		close(p->cell);
	*p = (struct simd_port){ .efd = -1, .cell = -1 };
	gen_bump(dom, port);
}

/*
 * The port @c names, if @c owns it; else NULL with m->rep.rc set: -EINVAL
 * for a connection that is no event-channel handle or a port out of
 * range, @not_ours for a port of somebody else (or free).
 */
static struct simd_port *own_port(struct simd_conn *c, struct simd_msg *m,
				  int not_ours)
{
	uint32_t port = m->req.port;

	if (!c->evt || m->len || !port || port >= c->dom->nports) {
		m->rep.rc = -EINVAL;
		return NULL;
	}
	if (c->dom->ports[port].owner != c) {
		m->rep.rc = not_ours;
		return NULL;
	}
	return &c->dom->ports[port];
}

static int port_alloc(struct simd_conn *c)
{
	struct simd_dom *dom = c->dom;
	unsigned i;

	if (c->nports >= SIMD_CONN_PORTS)
		return -ENOSPC;
	for (i = 1; i < dom->nports; i++)
		if (dom->ports[i].state == SIMD_PORT_FREE) {
			int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
			int cell = memfd_create("duet-evt-cell", MFD_CLOEXEC |
						MFD_ALLOW_SEALING);
			void *cellp = MAP_FAILED;
			int rc;

			if (efd >= 0 && cell >= 0 &&
			    ftruncate(cell, DUET_SIM_EVT_CELL_SIZE) == 0 &&
			    fcntl(cell, F_ADD_SEALS, F_SEAL_GROW |
				  F_SEAL_SHRINK | F_SEAL_SEAL) == 0)
				cellp = mmap(NULL, DUET_SIM_EVT_CELL_SIZE,
					     PROT_READ | PROT_WRITE,
					     MAP_SHARED, cell, 0);
			if (cellp == MAP_FAILED) {
				rc = -errno;
				if (efd >= 0)
					close(efd);
				if (cell >= 0)
					close(cell);
				return rc;
			}
			dom->ports[i].efd = efd;
			dom->ports[i].cell = cell;
			dom->ports[i].cellp = cellp;
			dom->ports[i].owner = c;
			c->nports++;
			return (int)i;
		}
	return -ENOSPC;
}

/* ------------------------------------------------------------------ */
/* Requests                                                            */
/* ------------------------------------------------------------------ */

/*
 * EVT_OPEN: no descriptor.  rep.count = the domain's number of ports;
 * fd = the domain's port generations (count uint32_t), read-only.
 */
void simd_evt_open(struct simd_conn *c, struct simd_msg *m)
{
	char path[64];
	int fd;

	if (c->evt || m->fd >= 0 || m->len) {
		m->rep.rc = -EINVAL;
		return;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", c->dom->evt_gen_fd);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		m->rep.rc = -errno;
		return;
	}
	c->evt = 1;
	m->fds[0] = fd;
	m->nfds = 1;
	m->close_fds = 1;
	m->rep.count = c->dom->nports;
	m->rep.rc = 0;
}

/* EVT_ALLOC: domid = remote; rc = the new unbound port, fds = its
 * doorbell and cell. */
void simd_evt_alloc(struct simd_conn *c, struct simd_msg *m)
{
	int port;

	if (!c->evt || m->len) {
		m->rep.rc = -EINVAL;
		return;
	}
	if (!simd_dom_get(c->d, m->req.domid)) {
		m->rep.rc = -ESRCH;
		return;
	}
	port = port_alloc(c);
	if (port > 0) {
		c->dom->ports[port].state = SIMD_PORT_UNBOUND;
		c->dom->ports[port].remote = (uint16_t)m->req.domid;
		gen_bump(c->dom, (uint32_t)port);
		m->fds[0] = c->dom->ports[port].efd;
		m->fds[1] = c->dom->ports[port].cell;
		m->nfds = 2;
	}
	m->rep.rc = port;
}

/*
 * EVT_BIND: domid = remote, port = its unbound port; rc = our port, fds =
 * our port's doorbell and cell, then the remote port's, rep.id = our
 * port's generation after the bind.
 */
void simd_evt_bind(struct simd_conn *c, struct simd_msg *m)
{
	struct simd_dom *r = simd_dom_get(c->d, m->req.domid);
	struct simd_port *rp;
	int port;

	if (!c->evt || m->len) {
		m->rep.rc = -EINVAL;
		return;
	}
	if (!r) {
		m->rep.rc = -ESRCH;
		return;
	}
	if (!m->req.port || m->req.port >= r->nports) {
		m->rep.rc = -EINVAL;
		return;
	}
	rp = &r->ports[m->req.port];
	if (rp->state != SIMD_PORT_UNBOUND || rp->remote != c->dom->domid) {
		m->rep.rc = -EINVAL;
		return;
	}
	port = port_alloc(c);
	if (port < 0) {
		m->rep.rc = port;
		return;
	}
	/* port_alloc() may have picked a port of the same table as rp. */
	rp = &r->ports[m->req.port];
	c->dom->ports[port].state = SIMD_PORT_INTERDOMAIN;
	c->dom->ports[port].remote = (uint16_t)r->domid;
	c->dom->ports[port].rport = m->req.port;
	rp->state = SIMD_PORT_INTERDOMAIN;
	rp->rport = (uint32_t)port;
	gen_bump(r, m->req.port);
	gen_bump(c->dom, (uint32_t)port);
	m->fds[0] = c->dom->ports[port].efd;
	m->fds[1] = c->dom->ports[port].cell;
	m->fds[2] = rp->efd;
	m->fds[3] = rp->cell;
	m->nfds = 4;
	m->rep.id = atomic_load_explicit(&c->dom->evt_gen[port],
					 memory_order_relaxed);
	m->rep.rc = port;
}

/*
 * EVT_NOTIFY: port.  -ENOTCONN for a port that is not ours; an event on
 * an unbound port (never bound, or its peer closed) is dropped: 0.  A
 * delivered event answers 0 with the peer port's doorbell and cell (fds)
 * and our
 * port's generation (rep.id), so that the client notifies directly from
 * then on, until the generation changes.
 */
void simd_evt_notify(struct simd_conn *c, struct simd_msg *m)
{
	struct simd_port *p = own_port(c, m, -ENOTCONN);
	struct simd_dom *r;

	if (!p)
		return;
	m->rep.rc = 0;
	if (p->state != SIMD_PORT_INTERDOMAIN)
		return;
	r = simd_dom_get(c->d, p->remote);
	if (!r || p->rport >= r->nports)
		return;
	deliver(r, p->rport);
	if (r->ports[p->rport].efd >= 0) {
		m->fds[0] = r->ports[p->rport].efd;
		m->fds[1] = r->ports[p->rport].cell;
		m->nfds = 2;
		m->rep.id = atomic_load_explicit(&c->dom->evt_gen[m->req.port],
						 memory_order_relaxed);
	}
}

/* EVT_UNBIND: port.  -ENOTCONN for a port that is not ours. */
void simd_evt_unbind(struct simd_conn *c, struct simd_msg *m)
{
	if (!own_port(c, m, -ENOTCONN))
		return;
	port_close(c->dom, m->req.port);
	m->rep.rc = 0;
}

/* ------------------------------------------------------------------ */
/* Connections and domains going away                                  */
/* ------------------------------------------------------------------ */

/* simd_evt_conn_gone() - close every port @c owns, telling the peers. */
void simd_evt_conn_gone(struct simd_conn *c)
{
	struct simd_dom *dom = c->dom;
	unsigned i;

	for (i = 1; i < dom->nports && c->nports; i++)
		if (dom->ports[i].owner == c)
			port_close(dom, i);
	c->evt = 0;
}

/*
 * simd_evt_dom_gone() - @dom is being destroyed (its connections, and so
 * its ports, are gone already): peers bound to it see PEER_CLOSED through
 * port_close(); free the table.
 */
void simd_evt_dom_gone(struct simd_dom *dom)
{
	if (dom->evt_gen)
		munmap((void *)dom->evt_gen, dom->nports * sizeof(uint32_t));
	if (dom->evt_gen_fd >= 0)
		close(dom->evt_gen_fd);
	dom->evt_gen = NULL;
	dom->evt_gen_fd = -1;
	free(dom->ports);
	dom->ports = NULL;
	dom->nports = 0;
}

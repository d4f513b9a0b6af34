/* SPDX-License-Identifier: MIT */
/*
 * sim/simd-evt.c - the simulator's event channels.
 *
 * Ports are per domain (port 0 is never used) and owned by the
 * event-channel connection (one per duet_evtchn handle) that allocated or
 * bound them.  Delivery follows libxenevtchn: an event on an unmasked port
 * masks it and writes the port number (uint32_t) into the handle's pipe;
 * events while masked are remembered as pending and delivered on unmask.
 * At most one entry per port is ever in the pipe, so with at most
 * SIMD_CONN_PORTS ports per handle the pipe (64 KiB) never fills up for a
 * client that reads it; a client that does not read only hurts itself.
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
 *  - UNMASK of a port this handle does not own: 0 (the driver's write()
 *    skips ports it does not know).
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
#include <stdlib.h>
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
	dom->ports = calloc(d->nports, sizeof(*dom->ports));
	if (!dom->ports)
		return -ENOMEM;
	dom->nports = d->nports;
	return 0;
}

/* simd_evt_in_use() - ports of @dom currently allocated. */
unsigned simd_evt_in_use(const struct simd_dom *dom)
{
	unsigned i, n = 0;

	for (i = 1; i < dom->nports; i++)
		n += dom->ports[i].state != SIMD_PORT_FREE;
	return n;
}

static void deliver(struct simd_dom *dom, uint32_t port)
{
	struct simd_port *p = &dom->ports[port];
	ssize_t n;

	if (p->masked) {
		p->pending = 1;
		return;
	}
	p->masked = 1;
	p->pending = 0;
	if (!p->owner || p->owner->evt_fd < 0)
		return;
	n = write(p->owner->evt_fd, &port, sizeof(port));
	if (n != (ssize_t)sizeof(port))
		simd_conn_warn(p->owner, "event pipe full or closed (port %u)",
			       port);
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
			deliver(r, p->rport);
		}
	}
	if (p->owner)
		p->owner->nports--;
	*p = (struct simd_port){ 0 };
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

	if (c->evt_fd < 0 || m->len || !port || port >= c->dom->nports) {
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
			dom->ports[i].owner = c;
			c->nports++;
			return (int)i;
		}
	return -ENOSPC;
}

/* ------------------------------------------------------------------ */
/* Requests                                                            */
/* ------------------------------------------------------------------ */

/* EVT_OPEN: fd = the pipe's write end (must be non-blocking for us). */
void simd_evt_open(struct simd_conn *c, struct simd_msg *m)
{
	int fl;

	if (c->evt_fd >= 0 || m->fd < 0 || m->len) {
		m->rep.rc = -EINVAL;
		return;
	}
	/* A non-blocking write end: a stuck client never stalls us. */
	fl = fcntl(m->fd, F_GETFL);
	if (fl < 0 || !(fl & O_WRONLY) ||
	    fcntl(m->fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		m->rep.rc = -EBADF;
		return;
	}
	c->evt_fd = m->fd;
	m->fd = -1;
	m->rep.rc = 0;
}

/* EVT_ALLOC: domid = remote; rc = the new unbound port. */
void simd_evt_alloc(struct simd_conn *c, struct simd_msg *m)
{
	int port;

	if (c->evt_fd < 0 || m->len) {
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
	}
	m->rep.rc = port;
}

/* EVT_BIND: domid = remote, port = its unbound port; rc = our port. */
void simd_evt_bind(struct simd_conn *c, struct simd_msg *m)
{
	struct simd_dom *r = simd_dom_get(c->d, m->req.domid);
	struct simd_port *rp;
	int port;

	if (c->evt_fd < 0 || m->len) {
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
	m->rep.rc = port;
}

/*
 * EVT_NOTIFY: port.  -ENOTCONN for a port that is not ours; an event on
 * an unbound port (never bound, or its peer closed) is dropped: 0.
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
	if (r && p->rport < r->nports)
		deliver(r, p->rport);
}

/*
 * EVT_UNMASK: port.  Delivers an event that arrived while masked.  A port
 * that is not ours is skipped: 0.
 */
void simd_evt_unmask(struct simd_conn *c, struct simd_msg *m)
{
	struct simd_port *p = own_port(c, m, 0);

	if (!p)
		return;
	p->masked = 0;
	if (p->pending)
		deliver(c->dom, m->req.port);
	m->rep.rc = 0;
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
	if (c->evt_fd >= 0)
		close(c->evt_fd);
	c->evt_fd = -1;
}

/*
 * simd_evt_dom_gone() - @dom is being destroyed (its connections, and so
 * its ports, are gone already): peers bound to it see PEER_CLOSED through
 * port_close(); free the table.
 */
void simd_evt_dom_gone(struct simd_dom *dom)
{
	free(dom->ports);
	dom->ports = NULL;
	dom->nports = 0;
}

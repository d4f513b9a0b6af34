/* SPDX-License-Identifier: MIT */
/*
 * sim/simd-int.h - internals of the simulator daemon shared by simd.c
 * (loop, connections, domains, admin), simd-gnt.c (grants, transfer) and
 * simd-evt.c (event channels).
 *
 * Object lifetimes:
 *  - a domain lives from DOM_CREATE (dom0: simd_create()) to DOM_DESTROY
 *    (dom0: simd_destroy()); it owns its grant table and its ports;
 *  - a connection belongs to the domain whose socket accepted it; it owns
 *    the shares, mappings, accept-transfer entries and ports it created;
 *  - a share lives until its owner ends it (UNSHARE), or until its owner
 *    is gone and nobody maps it any more ("revoked once unmapped");
 *  - a mapping lives until UNMAP or its connection goes away.
 */
#ifndef DUET_SIM_SIMD_INT_H
#define DUET_SIM_SIMD_INT_H

#include <stddef.h>
#include <stdatomic.h>
#include <stdint.h>

#include "duet/platform.h"
#include "gnttab/log-internal.h"
#include "gnttab/platform-sim-wire.h"
#include "sim/simd.h"

struct simxsd;

/* What an epoll tag points at. */
enum simd_ev_type {
	SIMD_EV_LISTEN,
	SIMD_EV_CONN,
	SIMD_EV_XSD,
	SIMD_EV_SIGNAL,
};

/* struct simd_ev - first member of everything registered with epoll. */
struct simd_ev {
	enum simd_ev_type type;
};

/* Grant entry types. */
enum simd_gnt_type {
	SIMD_GNT_FREE = 0,
	SIMD_GNT_SHARE,     /* a page of a share, grants access */
	SIMD_GNT_ACCEPT,    /* accept-transfer: may receive one page */
};

/*
 * struct simd_share - the pages of one SHARE request.
 * @id:      share id, unique in the daemon.
 * @dom:     the granting domain.
 * @owner:   the connection that shared it; NULL once it is gone.
 * @fd:      the memfd (read-write), the daemon's reference.
 * @rofd:    the same file reopened read-only, made on first use, or -1.
 * @addr:    the daemon's mapping of all @count pages (for grant copy).
 * @count:   pages.
 * @flags:   DUET_GNT_READONLY or 0.
 * @grantee: the domain the pages are granted to.
 * @maps:    mapped pages referring to this share, over all mappings.
 * @dead:    ended (owner gone or domain destroyed): no new access.
 * @next:    the domain's list of shares.
 * @refs:    the @count grant references.
 */
struct simd_share {
	uint64_t id;
	struct simd_dom *dom;
	struct simd_conn *owner;
	int fd;
	int rofd;
	uint8_t *addr;
	unsigned count;
	unsigned flags;
	duet_domid_t grantee;
	unsigned maps;
	int dead;
	struct simd_share *next;
	uint32_t refs[];
};

/*
 * struct simd_gnt - one grant entry (the v1 entry plus bookkeeping).
 * @type:  enum simd_gnt_type.
 * @domid: SHARE: the grantee; ACCEPT: the domain allowed to send.
 * @idx:   SHARE: page index inside @share.
 * @fd:    ACCEPT: the page received, or -1 while none arrived.
 * @share: SHARE: the share the page belongs to.
 * @owner: ACCEPT: the connection that offered it.
 */
struct simd_gnt {
	uint8_t type;
	uint16_t domid;
	uint32_t idx;
	int fd;
	union {
		struct simd_share *share;
		struct simd_conn *owner;
	};
};

/* Port states. */
enum simd_port_state {
	SIMD_PORT_FREE = 0,
	SIMD_PORT_UNBOUND,      /* waits for @remote to bind (again, after
				 * the peer closed: Xen's ECS_UNBOUND) */
	SIMD_PORT_INTERDOMAIN,  /* connected to remote:rport */
};

/*
 * struct simd_port - one event-channel port.
 * @state:   enum simd_port_state.
 * @remote:  the remote domain.
 * @rport:   the remote port (INTERDOMAIN).
 * @efd:     the port's doorbell: an eventfd its owner reads (through its
 *           epoll set) and its peer writes to notify, -1 when free.
 * @cell:    the port's cell (struct duet_sim_evt_cell in a memfd), handed
 *           out with the doorbell to the same clients, -1 when free.
 * @cellp:   our own mapping of @cell (deliver() sets pending and looks at
 *           masked and awake there), NULL when free.
 * @owner:   the event-channel connection that owns the port.
 */
struct simd_port {
	uint8_t state;
	uint16_t remote;
	uint32_t rport;
	int efd;
	int cell;
	struct duet_sim_evt_cell *cellp;
	struct simd_conn *owner;
};

/*
 * struct simd_map - one MAP request's pages.
 * @id:    map id.
 * @count: pages.
 * @next:  the connection's list.
 * @pages: the share of each page.
 */
struct simd_map {
	uint64_t id;
	unsigned count;
	struct simd_map *next;
	struct simd_share *pages[];
};

/*
 * struct simd_conn - one client connection.
 * @ev:     epoll tag.
 * @d:      the daemon.
 * @dom:    the domain it belongs to.
 * @fd:     the socket.
 * @evt:    1 when this connection is an event-channel handle (EVT_OPEN).
 * @nports: ports owned.
 * @maps:   mappings made through it.
 * @area:   its copy area (COPY_AREA), mapped read-write, or NULL.
 * @buf, @buf_size: its copy buffers (COPY_BUF) by id - 1, mapped
 *          read-write (NULL: free slot).
 * @rl:     rate limit for messages about this client's misbehaviour.
 * @restricted: set by RESTRICT: the connection may act only on its own
 *          domain and on @rdomid (simd_conn_may()).
 * @rdomid: the domain it is restricted to.
 * @next:   the domain's list of connections.
 */
struct simd_conn {
	struct simd_ev ev;
	struct simd *d;
	struct simd_dom *dom;
	int fd;
	int evt;
	int restricted;
	unsigned rdomid;
	unsigned nports;
	struct simd_map *maps;
	uint8_t *area;
	uint8_t *buf[DUET_SIM_COPY_BUFS];
	size_t buf_size[DUET_SIM_COPY_BUFS];
	struct duet_log_limit rl;
	struct simd_conn *next;
};

/*
 * struct simd_dom - one simulated domain.
 * @ev:     epoll tag of the control socket.
 * @domid:  its id.
 * @lfd:    listening control socket.
 * @name:   its name.
 * @netns:  its network namespace name, or "".
 * @gnt:    grant table, @ngnt entries.
 * @gfree:  stack of free refs, @nfree of them.
 * @ports:  event-channel ports, @nports (port 0 is never used).
 * @evt_gen, @evt_gen_fd: one binding generation per port (uint32_t, a
 *          memfd shared read-only with the domain's event-channel
 *          handles; see simd-evt.c), or NULL / -1 before the first
 *          EVT_OPEN in the domain.
 * @conns:  its connections.
 * @shares: its shares, live and dead.
 */
struct simd_dom {
	struct simd_ev ev;
	unsigned domid;
	int lfd;
	char name[DUET_SIM_NAME_MAX];
	char netns[DUET_SIM_NAME_MAX];
	struct simd_gnt *gnt;
	unsigned ngnt;
	uint32_t *gfree;
	unsigned nfree;
	struct simd_port *ports;
	unsigned nports;
	_Atomic uint32_t *evt_gen;
	int evt_gen_fd;
	struct simd_conn *conns;
	struct simd_share *shares;
};

/*
 * struct simd - the daemon.
 * @dir:       simulator directory.
 * @epfd:      the epoll instance.
 * @sigfd:     signalfd for SIGTERM/SIGINT.
 * @xsd:       the xenstore server.
 * @ev_sig, @ev_xsd: epoll tags.
 * @doms:      domains by domid.
 * @gnt_frames, @nports: per-domain limits.
 * @next_id:   next share/map id.
 * @stop:      set by STOP or a signal.
 * @buf, @rbuf: request and reply buffers (DUET_SIM_MSG_MAX each).
 * @rl:        rate limit for daemon-wide messages.
 */
struct simd {
	char dir[128];
	int epfd;
	int sigfd;
	struct simxsd *xsd;
	struct simd_ev ev_sig;
	struct simd_ev ev_xsd;
	struct simd_dom *doms[SIMD_MAX_DOMS];
	unsigned gnt_frames;
	unsigned nports;
	uint64_t next_id;
	int stop;
	uint8_t *buf;
	uint8_t *rbuf;
	struct duet_log_limit rl;
};

/*
 * struct simd_msg - a request being handled and its reply being built.
 * @req:    the request head (copied out of the buffer).
 * @data:   the request's array; @len bytes.
 * @fd:     a descriptor that came with it, or -1; a handler that keeps
 *          it sets this to -1, otherwise simd.c closes it.
 * @rep:    the reply head.
 * @out:    the reply array; the handler sets @out_len (<= @out_max).
 * @fds:    descriptors to send with the reply (not closed by simd.c
 *          unless @close_fds), @nfds of them.
 */
struct simd_msg {
	struct duet_sim_req req;
	const uint8_t *data;
	size_t len;
	int fd;
	struct duet_sim_rep rep;
	uint8_t *out;
	size_t out_len;
	size_t out_max;
	int fds[DUET_SIM_MAP_MAX];
	unsigned nfds;
	int close_fds;
};

/* simd.c */
void simd_conn_warn(struct simd_conn *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
struct simd_dom *simd_dom_get(struct simd *d, unsigned domid);
uint64_t simd_new_id(struct simd *d);

/*
 * simd_conn_may() - may @c act on domain @domid (grant, map or copy its
 * grants, bind to its ports)?  1 when @c is not restricted, or @domid is
 * @c's own domain or the one it is restricted to; else 0.
 */
static inline int simd_conn_may(const struct simd_conn *c, unsigned domid)
{
	return !c->restricted || domid == c->rdomid ||
	       domid == c->dom->domid;
}

/* simd-gnt.c: each handler fills m->rep.rc (and the rest of the reply). */
int simd_gnt_init(struct simd *d, struct simd_dom *dom);
void simd_gnt_conn_gone(struct simd_conn *c);
void simd_gnt_dom_gone(struct simd_dom *dom);
void simd_gnt_share(struct simd_conn *c, struct simd_msg *m);
void simd_gnt_unshare(struct simd_conn *c, struct simd_msg *m);
void simd_gnt_map(struct simd_conn *c, struct simd_msg *m);
void simd_gnt_unmap(struct simd_conn *c, struct simd_msg *m);
void simd_gnt_copy(struct simd_conn *c, struct simd_msg *m);
void simd_gnt_copy_area(struct simd_conn *c, struct simd_msg *m);
void simd_gnt_copy_buf(struct simd_conn *c, struct simd_msg *m);
void simd_gnt_copy_buf_free(struct simd_conn *c, struct simd_msg *m);
void simd_gnt_xfer_offer(struct simd_conn *c, struct simd_msg *m);
void simd_gnt_xfer(struct simd_conn *c, struct simd_msg *m);
void simd_gnt_xfer_accept(struct simd_conn *c, struct simd_msg *m);
unsigned simd_gnt_in_use(const struct simd_dom *dom);

/* simd-evt.c */
int simd_evt_init(struct simd *d, struct simd_dom *dom);
void simd_evt_conn_gone(struct simd_conn *c);
void simd_evt_dom_gone(struct simd_dom *dom);
void simd_evt_open(struct simd_conn *c, struct simd_msg *m);
void simd_evt_alloc(struct simd_conn *c, struct simd_msg *m);
void simd_evt_bind(struct simd_conn *c, struct simd_msg *m);
void simd_evt_notify(struct simd_conn *c, struct simd_msg *m);
void simd_evt_unbind(struct simd_conn *c, struct simd_msg *m);
unsigned simd_evt_in_use(const struct simd_dom *dom);
unsigned simd_evt_bound(const struct simd_dom *dom);

#endif /* DUET_SIM_SIMD_INT_H */

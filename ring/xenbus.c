/* SPDX-License-Identifier: MIT */
/*
 * xenbus.c - the XenBus state machine and typed xenstore nodes.
 *
 * Protocol notes (xen/io/xenbus.h, and Linux's xenbus driver):
 * - Each end writes only its own "state" node; the other end watches it.
 * - Watches fire once when set and may be coalesced or spurious, so the
 *   reader re-reads "state" on every event and acts on the value.
 * - A backend goes Initialising -> InitWait (features written) ->
 *   Connected (rings mapped) -> Closing -> Closed; a frontend goes
 *   Initialising -> Initialised (rings written; blkfront) or straight to
 *   Connected (netfront) -> Closing -> Closed.  After Closed, a frontend
 *   may start over at Initialising and a backend at InitWait.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xen/io/xenbus.h>

#include "duet/parse.h"
#include "duet/xenbus.h"
#include "gnttab/log-internal.h"

_Static_assert((int)DUET_XENBUS_INITWAIT == (int)XenbusStateInitWait &&
		       (int)DUET_XENBUS_CONNECTED == (int)XenbusStateConnected &&
		       (int)DUET_XENBUS_CLOSED == (int)XenbusStateClosed &&
		       (int)DUET_XENBUS_RECONFIGURED ==
			       (int)XenbusStateReconfigured,
	       "duet's state numbers are Xen's");

/* ------------------------------------------------------------------ */
/* The state table                                                     */
/* ------------------------------------------------------------------ */

static const char *const state_names[] = {
	"Unknown",   "Initialising", "InitWait",      "Initialised",
	"Connected", "Closing",      "Closed",        "Reconfiguring",
	"Reconfigured",
};

#define NSTATES 9
#define BIT(s) (1u << (s))
#define FE BIT(DUET_XENBUS_FRONTEND)
#define BE BIT(DUET_XENBUS_BACKEND)

/*
 * allowed[from][to] = roles that may make the move.  Closing is reachable
 * from every live state (error or shutdown); Closed from Closing and from
 * the states before a connection exists (a setup failure).
 */
static const uint8_t allowed[NSTATES][NSTATES] = {
	[DUET_XENBUS_UNKNOWN] = {
		[DUET_XENBUS_INITIALISING] = FE | BE,
		[DUET_XENBUS_CLOSED] = FE | BE,
	},
	[DUET_XENBUS_INITIALISING] = {
		[DUET_XENBUS_INITWAIT] = BE,
		[DUET_XENBUS_INITIALISED] = FE,
		[DUET_XENBUS_CONNECTED] = FE,
		[DUET_XENBUS_CLOSING] = FE | BE,
		[DUET_XENBUS_CLOSED] = FE | BE,
	},
	[DUET_XENBUS_INITWAIT] = {
		[DUET_XENBUS_CONNECTED] = BE,
		[DUET_XENBUS_CLOSING] = BE,
		[DUET_XENBUS_CLOSED] = BE,
	},
	[DUET_XENBUS_INITIALISED] = {
		[DUET_XENBUS_CONNECTED] = FE,
		[DUET_XENBUS_CLOSING] = FE,
		[DUET_XENBUS_CLOSED] = FE,
	},
	[DUET_XENBUS_CONNECTED] = {
		[DUET_XENBUS_CLOSING] = FE | BE,
		[DUET_XENBUS_RECONFIGURING] = FE | BE,
	},
	[DUET_XENBUS_CLOSING] = {
		[DUET_XENBUS_CLOSED] = FE | BE,
	},
	[DUET_XENBUS_CLOSED] = {
		[DUET_XENBUS_INITIALISING] = FE | BE,
		[DUET_XENBUS_INITWAIT] = BE,
	},
	[DUET_XENBUS_RECONFIGURING] = {
		[DUET_XENBUS_RECONFIGURED] = FE | BE,
		[DUET_XENBUS_CLOSING] = FE | BE,
	},
	[DUET_XENBUS_RECONFIGURED] = {
		[DUET_XENBUS_CONNECTED] = FE | BE,
		[DUET_XENBUS_CLOSING] = FE | BE,
	},
};

const char *duet_xenbus_state_name(int state)
{
	if (state < 0 || state >= NSTATES)
		return "invalid";
	return state_names[state];
}

int duet_xenbus_transition_ok(enum duet_xenbus_role role, int from, int to)
{
	if (from < 0 || from >= NSTATES || to < 0 || to >= NSTATES ||
	    (role != DUET_XENBUS_FRONTEND && role != DUET_XENBUS_BACKEND))
		return 0;
	if (from == to)
		return 1;
	return (allowed[from][to] & BIT(role)) ? 1 : 0;
}

/* ------------------------------------------------------------------ */
/* Typed node values                                                   */
/* ------------------------------------------------------------------ */

static int node_path(char *buf, size_t len, const char *dir,
		     const char *node)
{
	int n = snprintf(buf, len, "%s/%s", dir, node);

	return (n < 0 || (size_t)n >= len) ? -E2BIG : n;
}

int duet_xenbus_read_str(struct duet_xs *xs, const char *dir,
			 const char *node, char *buf, size_t len)
{
	char path[512];
	char *val;
	int rc, n;

	if (!xs || !dir || !node || !buf || !len)
		return -EINVAL;
	rc = node_path(path, sizeof(path), dir, node);
	if (rc < 0)
		return rc;
	n = duet_xs_read(xs, DUET_XS_NO_TX, path, &val);
	if (n < 0)
		return n;
	if (strlen(val) != (size_t)n)
		rc = -EINVAL;
	else if ((size_t)n >= len)
		rc = -E2BIG;
	else
		memcpy(buf, val, (size_t)n + 1);
	free(val);
	return rc < 0 ? rc : n;
}

int duet_xenbus_read_uint(struct duet_xs *xs, const char *dir,
			  const char *node, uint64_t def, uint64_t max,
			  uint64_t *out)
{
	char buf[32];
	uint64_t v;
	int rc;

	if (!out)
		return -EINVAL;
	rc = duet_xenbus_read_str(xs, dir, node, buf, sizeof(buf));
	if (rc == -ENOENT) {
		*out = def;
		return 0;
	}
	if (rc == -E2BIG)
		return -EINVAL;
	if (rc < 0)
		return rc;
	rc = duet_parse_uint(buf, max, &v);
	if (rc < 0)
		return rc;
	*out = v;
	return 1;
}

int duet_xenbus_read_bool(struct duet_xs *xs, const char *dir,
			  const char *node, int def, int *out)
{
	uint64_t v;
	int rc;

	if (!out)
		return -EINVAL;
	rc = duet_xenbus_read_uint(xs, dir, node, def ? 1 : 0, 1, &v);
	if (rc < 0)
		return rc;
	*out = (int)v;
	return rc;
}

/* ------------------------------------------------------------------ */
/* Ring references and queues                                          */
/* ------------------------------------------------------------------ */

int duet_xenbus_printf(struct duet_xs *xs, duet_xs_tx_t tx, const char *dir,
		       const char *node, const char *fmt, ...)
{
	char path[512], val[128];
	va_list ap;
	int n;

	if (!xs || !dir || !node || !fmt)
		return -EINVAL;
	va_start(ap, fmt);
	n = vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(val))
		return -E2BIG;
	n = node_path(path, sizeof(path), dir, node);
	if (n < 0)
		return n;
	return duet_xs_write(xs, tx, path, val);
}

int duet_xenbus_write_ring_refs(struct duet_xs *xs, duet_xs_tx_t tx,
				const char *dir, const uint32_t *refs,
				unsigned order)
{
	char path[512], node[32];
	unsigned i;
	int rc;

	if (!xs || !dir || !refs || order > DUET_XENBUS_MAX_RING_ORDER)
		return -EINVAL;
	if (order == 0) {
		rc = node_path(path, sizeof(path), dir, "ring-ref");
		if (rc < 0)
			return rc;
		return duet_xs_printf(xs, tx, path, "%u", refs[0]);
	}
	rc = node_path(path, sizeof(path), dir, "ring-page-order");
	if (rc < 0)
		return rc;
	rc = duet_xs_printf(xs, tx, path, "%u", order);
	if (rc < 0)
		return rc;
	for (i = 0; i < (1u << order); i++) {
		snprintf(node, sizeof(node), "ring-ref%u", i);
		rc = node_path(path, sizeof(path), dir, node);
		if (rc < 0)
			return rc;
		rc = duet_xs_printf(xs, tx, path, "%u", refs[i]);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/*
 * The ring's order from "ring-page-order", else the older "num-ring-pages"
 * (a power of two).  1 with *order set, 0 when neither node is there.
 */
static int read_ring_order(struct duet_xs *xs, const char *dir,
			   unsigned *order)
{
	uint64_t v, pages;
	int rc;

	rc = duet_xenbus_read_uint(xs, dir, "ring-page-order", 0,
				   DUET_XENBUS_MAX_RING_ORDER, &v);
	if (rc)
		goto out;
	rc = duet_xenbus_read_uint(xs, dir, "num-ring-pages", 1,
				   DUET_XENBUS_MAX_RING_PAGES, &pages);
	if (rc <= 0)
		return rc;
	if (!pages || (pages & (pages - 1)))
		return -EINVAL;
	for (v = 0; (1ull << v) < pages; v++)
		;
out:
	if (rc > 0)
		*order = (unsigned)v;
	return rc;
}

/* ring-ref0..ring-ref<2^order - 1> under @dir, each one required. */
static int read_refs(struct duet_xs *xs, const char *dir, unsigned order,
		     int lone_ok, uint32_t *refs)
{
	char node[32];
	unsigned i;
	uint64_t v;
	int rc;

	for (i = 0; i < (1u << order); i++) {
		snprintf(node, sizeof(node), "ring-ref%u", i);
		rc = duet_xenbus_read_uint(xs, dir, node, 0, UINT32_MAX, &v);
		/* Linux's blkfront writes "ring-ref" at order 0. */
		if (rc == 0 && lone_ok)
			rc = duet_xenbus_read_uint(xs, dir, "ring-ref", 0,
						   UINT32_MAX, &v);
		if (rc < 0)
			return rc;
		if (rc == 0)
			return -ENOENT;
		refs[i] = (uint32_t)v;
	}
	return 0;
}

int duet_xenbus_read_ring_refs(struct duet_xs *xs, const char *dir,
			       unsigned max_order, uint32_t *refs,
			       unsigned *order)
{
	uint64_t v;
	unsigned o;
	int rc;

	if (!xs || !dir || !refs || !order || max_order > DUET_XENBUS_MAX_RING_ORDER)
		return -EINVAL;
	rc = read_ring_order(xs, dir, &o);
	if (rc < 0)
		return rc;
	if (rc == 0) {
		/* Neither node: a 1-page ring with "ring-ref". */
		rc = duet_xenbus_read_uint(xs, dir, "ring-ref", 0, UINT32_MAX,
					   &v);
		if (rc < 0)
			return rc;
		if (rc == 0)
			return -ENOENT;
		refs[0] = (uint32_t)v;
		*order = 0;
		return 0;
	}
	if (o > max_order)
		return -EINVAL;
	rc = read_refs(xs, dir, o, o == 0, refs);
	if (rc == 0)
		*order = o;
	return rc;
}

int duet_xenbus_read_queue_ring_refs(struct duet_xs *xs, const char *top,
				     const char *qdir, unsigned max_order,
				     uint32_t *refs, unsigned *order)
{
	unsigned o;
	int rc;

	if (!top || !qdir)
		return -EINVAL;
	rc = duet_xenbus_read_ring_refs(xs, qdir, max_order, refs, order);
	if (rc != -ENOENT || !strcmp(top, qdir))
		return rc;
	/* Linux's blkfront: ring-page-order at the top, refs per queue. */
	rc = read_ring_order(xs, top, &o);
	if (rc < 0)
		return rc;
	if (rc == 0 || o == 0)
		return -ENOENT;
	if (o > max_order)
		return -EINVAL;
	rc = read_refs(xs, qdir, o, 0, refs);
	if (rc == 0)
		*order = o;
	return rc;
}

int duet_xenbus_queue_dir(char *buf, size_t len, const char *dir,
			  unsigned nqueues, unsigned q)
{
	int n;

	if (!buf || !dir || (nqueues > 1 && q >= nqueues) ||
	    (nqueues <= 1 && q != 0))
		return -EINVAL;
	if (nqueues <= 1)
		n = snprintf(buf, len, "%s", dir);
	else
		n = snprintf(buf, len, "%s/queue-%u", dir, q);
	return (n < 0 || (size_t)n >= len) ? -E2BIG : n;
}

/* ------------------------------------------------------------------ */
/* A device end                                                        */
/* ------------------------------------------------------------------ */

/**
 * struct duet_xenbus_dev - one end of a XenBus device.
 * @xs:         the xenstore connection (not owned).
 * @role:       frontend or backend.
 * @own_dir:    our directory.
 * @peer_dir:   the peer's directory, from our cross-link node.
 * @peer_state_path: <peer_dir>/state, watched.
 * @token:      the watch token, unique per device.
 * @peer_domid: the peer's domain.
 * @state:      our state as last written (or read at open).
 * @broken:     the peer violated the protocol.
 * @rl:         rate limit for protocol-violation messages.
 */
struct duet_xenbus_dev {
	struct duet_xs *xs;
	enum duet_xenbus_role role;
	char *own_dir;
	char *peer_dir;
	char *peer_state_path;
	char token[48];
	unsigned peer_domid;
	int state;
	int broken;
	int await_peer; /* frontend: CONNECT answered, the backend has not
			 * been seen Connected since */
	struct duet_log_limit rl;
};

int duet_xenbus_open(struct duet_xs *xs, enum duet_xenbus_role role,
		     const char *own_dir, struct duet_xenbus_dev **out)
{
	const char *link, *idnode;
	struct duet_xenbus_dev *dev;
	char peer[512];
	uint64_t v;
	int rc;

	if (!xs || !own_dir || !out ||
	    (role != DUET_XENBUS_FRONTEND && role != DUET_XENBUS_BACKEND))
		return -EINVAL;
	link = role == DUET_XENBUS_FRONTEND ? "backend" : "frontend";
	idnode = role == DUET_XENBUS_FRONTEND ? "backend-id" : "frontend-id";
	rc = duet_xenbus_read_str(xs, own_dir, link, peer, sizeof(peer));
	if (rc < 0)
		return rc == -E2BIG ? -EINVAL : rc;
	if (peer[0] != '/')
		return -EINVAL;
	rc = duet_xenbus_read_uint(xs, own_dir, idnode, 0, 0x7fef, &v);
	if (rc < 0)
		return rc;
	if (rc == 0)
		return -ENOENT;

	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return -ENOMEM;
	dev->xs = xs;
	dev->role = role;
	dev->peer_domid = (unsigned)v;
	dev->own_dir = strdup(own_dir);
	dev->peer_dir = strdup(peer);
	if (!dev->own_dir || !dev->peer_dir ||
	    asprintf(&dev->peer_state_path, "%s/state", peer) < 0) {
		dev->peer_state_path = NULL;
		rc = -ENOMEM;
		goto err_free;
	}
	rc = duet_xenbus_read_uint(xs, own_dir, "state", DUET_XENBUS_UNKNOWN,
				   NSTATES - 1, &v);
	dev->state = rc < 0 ? DUET_XENBUS_UNKNOWN : (int)v;
	snprintf(dev->token, sizeof(dev->token), "duet-xenbus-%p",
		 (void *)dev);
	rc = duet_xs_watch(xs, dev->peer_state_path, dev->token);
	if (rc < 0)
		goto err_free;
	*out = dev;
	return 0;

err_free:
	free(dev->peer_state_path);
	free(dev->peer_dir);
	free(dev->own_dir);
	free(dev);
	return rc;
}

void duet_xenbus_close(struct duet_xenbus_dev *dev)
{
	if (!dev)
		return;
	if (dev->peer_state_path)
		duet_xs_unwatch(dev->xs, dev->peer_state_path, dev->token);
	free(dev->peer_state_path);
	free(dev->peer_dir);
	free(dev->own_dir);
	free(dev);
}

const char *duet_xenbus_own_dir(const struct duet_xenbus_dev *dev)
{
	return dev->own_dir;
}

const char *duet_xenbus_peer_dir(const struct duet_xenbus_dev *dev)
{
	return dev->peer_dir;
}

unsigned duet_xenbus_peer_domid(const struct duet_xenbus_dev *dev)
{
	return dev->peer_domid;
}

int duet_xenbus_state(const struct duet_xenbus_dev *dev)
{
	return dev->state;
}

int duet_xenbus_is_broken(const struct duet_xenbus_dev *dev)
{
	return dev->broken;
}

int duet_xenbus_watch_is_ours(const struct duet_xenbus_dev *dev,
			      const char *token)
{
	return dev && token && !strcmp(dev->token, token);
}

int duet_xenbus_switch(struct duet_xenbus_dev *dev, int state)
{
	char path[600];
	int rc;

	if (!dev || !duet_xenbus_transition_ok(dev->role, dev->state, state))
		return -EINVAL;
	if (state == dev->state)
		return 0;
	rc = node_path(path, sizeof(path), dev->own_dir, "state");
	if (rc < 0)
		return rc;
	rc = duet_xs_printf(dev->xs, DUET_XS_NO_TX, path, "%d", state);
	if (rc < 0)
		return rc;
	duet_log(DUET_LOG_DEBUG, "%s: %s -> %s", dev->own_dir,
		 duet_xenbus_state_name(dev->state),
		 duet_xenbus_state_name(state));
	dev->state = state;
	return 0;
}

int duet_xenbus_peer_state(struct duet_xenbus_dev *dev)
{
	uint64_t v;
	int rc;

	if (!dev)
		return -EINVAL;
	rc = duet_xenbus_read_uint(dev->xs, dev->peer_dir, "state", 0,
				   NSTATES - 1, &v);
	if (rc < 0)
		return rc;
	if (rc == 0)
		return -ENOENT;
	return (int)v;
}

int duet_xenbus_broken(struct duet_xenbus_dev *dev, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = duet_xenbus_vbroken(dev, fmt, ap);
	va_end(ap);
	return rc;
}

int duet_xenbus_vbroken(struct duet_xenbus_dev *dev, const char *fmt,
			va_list ap)
{
	char msg[256];

	if (!dev)
		return -EINVAL;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (duet_ratelimit_ok(&dev->rl))
		duet_log(DUET_LOG_WARN,
			 "%s: peer domain %u violated the protocol: %s; "
			 "closing",
			 dev->own_dir, dev->peer_domid, msg);
	dev->broken = 1;
	if (dev->state == DUET_XENBUS_CLOSING ||
	    dev->state == DUET_XENBUS_CLOSED)
		return 0;
	return duet_xenbus_switch(dev, DUET_XENBUS_CLOSING);
}

/* ------------------------------------------------------------------ */
/* The connection handshake (table in duet/xenbus.h)                   */
/* ------------------------------------------------------------------ */

/*
 * Re-read our own state: the toolstack writes it too (libxl's detach sets
 * the backend's state to Closing).  Returns 0, -ENOENT when our directory
 * or state node is gone, -EINVAL when it holds garbage.
 */
static int refresh_own_state(struct duet_xenbus_dev *dev)
{
	uint64_t v;
	int rc;

	rc = duet_xenbus_read_uint(dev->xs, dev->own_dir, "state", 0,
				   NSTATES - 1, &v);
	if (rc < 0)
		return rc;
	if (rc == 0)
		return -ENOENT;
	dev->state = (int)v;
	return 0;
}

/* <own>/online, written by the toolstack: "1" while the device should
 * exist (libxl; Linux's xenbus_dev_is_online() defaults to 0). */
static int is_online(struct duet_xenbus_dev *dev)
{
	int on = 0;

	if (duet_xenbus_read_bool(dev->xs, dev->own_dir, "online", 0, &on) < 0)
		return 0;
	return on;
}

static int close_down(struct duet_xenbus_dev *dev);

/*
 * Re-read both states.  Returns the peer's state, or -1 with *act set:
 * DONE when our node or the peer's directory is gone (a backend also
 * closes its end then), DISCONNECT/NONE for a malformed peer state (a
 * protocol violation), or -errno when xenstore fails.
 */
static int read_states(struct duet_xenbus_dev *dev, int connected, int *act)
{
	int ps, rc;

	rc = refresh_own_state(dev);
	if (rc < 0) {
		*act = rc == -ENOENT ? DUET_XENBUS_ACT_DONE : rc;
		return -1;
	}
	ps = duet_xenbus_peer_state(dev);
	if (ps == -ENOENT) {
		if (dev->role == DUET_XENBUS_BACKEND)
			close_down(dev);
		*act = DUET_XENBUS_ACT_DONE;
		return -1;
	}
	if (ps == -EINVAL) {
		duet_xenbus_broken(dev, "malformed state in %s",
				   dev->peer_state_path);
		*act = connected ? DUET_XENBUS_ACT_DISCONNECT
				 : DUET_XENBUS_ACT_NONE;
		return -1;
	}
	if (ps < 0) {
		*act = ps;
		return -1;
	}
	return ps;
}

/* Closing then Closed, from wherever we are. */
static int close_down(struct duet_xenbus_dev *dev)
{
	int rc = 0;

	if (dev->state != DUET_XENBUS_CLOSED &&
	    !duet_xenbus_transition_ok(dev->role, dev->state,
				       DUET_XENBUS_CLOSED))
		rc = duet_xenbus_switch(dev, DUET_XENBUS_CLOSING);
	if (rc == 0)
		rc = duet_xenbus_switch(dev, DUET_XENBUS_CLOSED);
	return rc;
}

/* Does a frontend in state @fs use (or still publish) its rings? */
static int fe_not_using_rings(int fs)
{
	return fs == DUET_XENBUS_CLOSED || fs == DUET_XENBUS_INITIALISING ||
	       fs == DUET_XENBUS_INITWAIT || fs == DUET_XENBUS_UNKNOWN;
}

int duet_xenbus_backend_start(struct duet_xenbus_dev *dev)
{
	int rc;

	if (!dev || dev->role != DUET_XENBUS_BACKEND)
		return -EINVAL;
	rc = refresh_own_state(dev);
	if (rc < 0)
		return rc;
	dev->broken = 0;
	switch (dev->state) {
	case DUET_XENBUS_UNKNOWN:
		rc = duet_xenbus_switch(dev, DUET_XENBUS_INITIALISING);
		if (rc < 0)
			return rc;
		/* fall through */
	case DUET_XENBUS_INITIALISING:
	case DUET_XENBUS_CLOSED:
	case DUET_XENBUS_INITWAIT:
		return duet_xenbus_switch(dev, DUET_XENBUS_INITWAIT);
	case DUET_XENBUS_CLOSING:
		return 0;
	case DUET_XENBUS_CONNECTED:
	case DUET_XENBUS_RECONFIGURING:
	case DUET_XENBUS_RECONFIGURED:
		/* A previous instance left it connected: its rings are gone
		 * with it, so make the frontend reset. */
		return duet_xenbus_switch(dev, DUET_XENBUS_CLOSING);
	default:
		return -EINVAL;
	}
}

int duet_xenbus_backend_step(struct duet_xenbus_dev *dev, int connected)
{
	int fs, act, rc, i;

	if (!dev || dev->role != DUET_XENBUS_BACKEND)
		return -EINVAL;
	/* Each pass either answers or makes one switch; a device needs at
	 * most three switches (Connected -> Closing -> Closed -> InitWait). */
	for (i = 0; i < 4; i++) {
		fs = read_states(dev, connected, &act);
		if (fs < 0)
			return act;
		switch (dev->state) {
		case DUET_XENBUS_INITWAIT:
			if (fs == DUET_XENBUS_INITIALISED ||
			    fs == DUET_XENBUS_CONNECTED)
				return connected ? DUET_XENBUS_ACT_NONE
						 : DUET_XENBUS_ACT_CONNECT;
			if (fs == DUET_XENBUS_CLOSING)
				rc = duet_xenbus_switch(dev,
							DUET_XENBUS_CLOSING);
			else if (fs == DUET_XENBUS_CLOSED)
				rc = duet_xenbus_switch(dev,
							DUET_XENBUS_CLOSED);
			else
				return DUET_XENBUS_ACT_NONE;
			break;
		case DUET_XENBUS_CONNECTED:
			if (connected && !fe_not_using_rings(fs) &&
			    fs != DUET_XENBUS_CLOSING)
				return DUET_XENBUS_ACT_NONE;
			rc = duet_xenbus_switch(dev, DUET_XENBUS_CLOSING);
			break;
		case DUET_XENBUS_CLOSING:
			if (!fe_not_using_rings(fs))
				return DUET_XENBUS_ACT_NONE;
			rc = duet_xenbus_switch(dev, DUET_XENBUS_CLOSED);
			if (rc == 0 && connected)
				return DUET_XENBUS_ACT_DISCONNECT;
			break;
		case DUET_XENBUS_CLOSED:
			if (connected)
				return DUET_XENBUS_ACT_DISCONNECT;
			if (!is_online(dev))
				return DUET_XENBUS_ACT_DONE;
			if (fs != DUET_XENBUS_INITIALISING &&
			    fs != DUET_XENBUS_UNKNOWN)
				return DUET_XENBUS_ACT_NONE;
			/* The frontend starts over: so do we. */
			dev->broken = 0;
			rc = duet_xenbus_switch(dev, DUET_XENBUS_INITWAIT);
			break;
		default:
			/* Unknown/Initialising: start() not called yet;
			 * Reconfiguring: not used by block or net. */
			return DUET_XENBUS_ACT_NONE;
		}
		if (rc < 0)
			return rc;
	}
	return DUET_XENBUS_ACT_NONE;
}

int duet_xenbus_frontend_step(struct duet_xenbus_dev *dev, int connected,
			      int want)
{
	int bs, act, rc, i;

	if (!dev || dev->role != DUET_XENBUS_FRONTEND)
		return -EINVAL;
	for (i = 0; i < 5; i++) {
		bs = read_states(dev, connected, &act);
		if (bs < 0)
			return act;
		switch (dev->state) {
		case DUET_XENBUS_UNKNOWN:
			if (!want)
				return DUET_XENBUS_ACT_DONE;
			rc = duet_xenbus_switch(dev, DUET_XENBUS_INITIALISING);
			break;
		case DUET_XENBUS_CLOSED:
			if (connected)
				return DUET_XENBUS_ACT_DISCONNECT;
			if (!want)
				return DUET_XENBUS_ACT_DONE;
			/* Start over once the backend has let go. */
			if (bs != DUET_XENBUS_CLOSED &&
			    bs != DUET_XENBUS_INITWAIT &&
			    bs != DUET_XENBUS_INITIALISING &&
			    bs != DUET_XENBUS_UNKNOWN)
				return DUET_XENBUS_ACT_NONE;
			dev->broken = 0;
			rc = duet_xenbus_switch(dev, DUET_XENBUS_INITIALISING);
			break;
		case DUET_XENBUS_INITIALISING:
			if (connected)
				return DUET_XENBUS_ACT_DISCONNECT;
			if (!want) {
				rc = duet_xenbus_switch(dev,
							DUET_XENBUS_CLOSED);
				break;
			}
			if (bs == DUET_XENBUS_INITWAIT) {
				dev->await_peer = 1;
				return DUET_XENBUS_ACT_CONNECT;
			}
			if (bs == DUET_XENBUS_CLOSING)
				rc = duet_xenbus_switch(dev,
							DUET_XENBUS_CLOSED);
			else if (bs == DUET_XENBUS_CONNECTED ||
				 bs == DUET_XENBUS_INITIALISED ||
				 bs == DUET_XENBUS_RECONFIGURING ||
				 bs == DUET_XENBUS_RECONFIGURED)
				/* A backend still connected to a previous
				 * frontend instance: make it reset. */
				rc = duet_xenbus_switch(dev,
							DUET_XENBUS_CLOSING);
			else
				return DUET_XENBUS_ACT_NONE;
			break;
		case DUET_XENBUS_INITIALISED:
		case DUET_XENBUS_CONNECTED:
			if (!connected || !want) {
				rc = duet_xenbus_switch(dev,
							DUET_XENBUS_CLOSING);
				break;
			}
			if (bs == DUET_XENBUS_CONNECTED ||
			    bs == DUET_XENBUS_RECONFIGURING ||
			    bs == DUET_XENBUS_RECONFIGURED) {
				dev->await_peer = 0;
				return dev->state == DUET_XENBUS_INITIALISED
					       ? DUET_XENBUS_ACT_CONNECTED
					       : DUET_XENBUS_ACT_NONE;
			}
			/* Our rings are published and the backend has not
			 * connected yet (a netfront is Connected already):
			 * wait.  InitWait after it was Connected means it
			 * was restarted. */
			if ((bs == DUET_XENBUS_INITWAIT ||
			     bs == DUET_XENBUS_INITIALISED) &&
			    (dev->state == DUET_XENBUS_INITIALISED ||
			     dev->await_peer))
				return DUET_XENBUS_ACT_NONE;
			/* The backend closed, or came back in InitWait after
			 * a restart: drop the rings, keep the requests. */
			rc = close_down(dev);
			if (rc == 0)
				return DUET_XENBUS_ACT_DISCONNECT;
			break;
		case DUET_XENBUS_CLOSING:
			if (bs == DUET_XENBUS_CONNECTED ||
			    bs == DUET_XENBUS_INITIALISED)
				return DUET_XENBUS_ACT_NONE;
			rc = duet_xenbus_switch(dev, DUET_XENBUS_CLOSED);
			if (rc == 0 && connected)
				return DUET_XENBUS_ACT_DISCONNECT;
			break;
		default:
			return DUET_XENBUS_ACT_NONE;
		}
		if (rc < 0)
			return rc;
	}
	return DUET_XENBUS_ACT_NONE;
}

int duet_xenbus_run(struct duet_xenbus_dev *dev,
		    const struct duet_xenbus_ops *ops, void *arg,
		    const int *rings, const int *want)
{
	int (*cb)(void *);
	unsigned i;
	int act, rc;

	if (!dev || !ops || !rings || !ops->connect || !ops->disconnect ||
	    (dev->role == DUET_XENBUS_FRONTEND && (!want || !ops->connected)))
		return -EINVAL;
	for (i = 0; i < DUET_XENBUS_RUN_MAX_ANSWERS; i++) {
		if (dev->role == DUET_XENBUS_BACKEND)
			act = duet_xenbus_backend_step(dev, *rings);
		else
			act = duet_xenbus_frontend_step(dev, *rings, *want);
		switch (act) {
		case DUET_XENBUS_ACT_NONE:
			return 0;
		case DUET_XENBUS_ACT_CONNECT:
		case DUET_XENBUS_ACT_CONNECTED:
			cb = act == DUET_XENBUS_ACT_CONNECT ? ops->connect
							    : ops->connected;
			rc = cb ? cb(arg) : 0;
			if (rc)
				return rc > 0 ? 0 : rc;
			break;
		case DUET_XENBUS_ACT_DISCONNECT:
			ops->disconnect(arg, 0);
			break;
		case DUET_XENBUS_ACT_DONE:
			ops->disconnect(arg, 1);
			return 1;
		default:
			return act < 0 ? act : -EPROTO;
		}
	}
	return 0;
}

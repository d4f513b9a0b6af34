/* SPDX-License-Identifier: MIT */
/*
 * duet/xenbus.h - XenBus: the device state machine and its xenstore nodes.
 *
 * A split device has two directories in xenstore (libxl's layout):
 *   frontend  /local/domain/<fe-domid>/device/<type>/<devid>/
 *   backend   /local/domain/<be-domid>/backend/<type>/<fe-domid>/<devid>/
 * Nodes used here (written by the toolstack unless said otherwise):
 *   <fe>/backend, <fe>/backend-id    where the backend is
 *   <be>/frontend, <be>/frontend-id  where the frontend is
 *   <fe>/state, <be>/state           each end writes its own XenbusState
 *                                    (decimal, values below)
 *   <fe>/ring-ref                    1-page ring: grant ref (frontend)
 *   <fe>/ring-page-order, ring-refN  multi-page ring: log2(pages) and one
 *                                    ref per page (frontend)
 *   <fe>/num-ring-pages              the older page-count convention
 *                                    (accepted on read, never written)
 *   <fe>/queue-N/...                 per-queue nodes when
 *                                    multi-queue-num-queues > 1 (frontend)
 *
 * States go Initialising -> (backend) InitWait / (frontend) Initialised ->
 * Connected -> Closing -> Closed, with Reconfiguring/Reconfigured between
 * Connected states and Closed -> Initialising/InitWait for a reconnect.
 * duet_xenbus_transition_ok() is the table.
 *
 * The peer's nodes are untrusted input: a malformed value ("12abc",
 * overflow, a sign) is -EINVAL, never a guess.
 */
#ifndef DUET_XENBUS_H
#define DUET_XENBUS_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "duet/xs.h"

#ifdef __cplusplus
extern "C" {
#endif

/** XenbusState values (xen/io/xenbus.h); the wire format of "state". */
enum duet_xenbus_state {
	DUET_XENBUS_UNKNOWN = 0,
	DUET_XENBUS_INITIALISING = 1,
	DUET_XENBUS_INITWAIT = 2,
	DUET_XENBUS_INITIALISED = 3,
	DUET_XENBUS_CONNECTED = 4,
	DUET_XENBUS_CLOSING = 5,
	DUET_XENBUS_CLOSED = 6,
	DUET_XENBUS_RECONFIGURING = 7,
	DUET_XENBUS_RECONFIGURED = 8,
};

/** Which end of the device this process is. */
enum duet_xenbus_role {
	DUET_XENBUS_FRONTEND = 0,
	DUET_XENBUS_BACKEND = 1,
};

/** duet_xenbus_state_name() - "Connected" etc.; "invalid" when unknown. */
const char *duet_xenbus_state_name(int state);

/**
 * duet_xenbus_transition_ok() - may @role move from @from to @to?
 * Returns 1 when allowed (also when @from == @to: a no-op), 0 when not.
 */
int duet_xenbus_transition_ok(enum duet_xenbus_role role, int from, int to);

/* ------------------------------------------------------------------ */
/* Typed node values                                                   */
/* ------------------------------------------------------------------ */

/**
 * duet_xenbus_read_uint() - read <@dir>/<@node> as a decimal
 * (duet_parse_uint(), duet/parse.h).
 * Returns 1 when the node exists and is valid (*out = value), 0 when it
 * does not exist (*out = @def), -EINVAL when malformed or above @max
 * (*out untouched), another -errno on xenstore failure.
 */
int duet_xenbus_read_uint(struct duet_xs *xs, const char *dir,
			  const char *node, uint64_t def, uint64_t max,
			  uint64_t *out);

/**
 * duet_xenbus_read_bool() - a feature flag: "0" or "1" (and nothing else).
 * Returns 1 when present, 0 when absent (*out = @def), -EINVAL malformed.
 */
int duet_xenbus_read_bool(struct duet_xs *xs, const char *dir,
			  const char *node, int def, int *out);

/**
 * duet_xenbus_read_str() - read a node into @buf (NUL-terminated).
 * Returns the length, -ENOENT when absent, -E2BIG when it does not fit,
 * -EINVAL when it holds a NUL byte, another -errno.
 */
int duet_xenbus_read_str(struct duet_xs *xs, const char *dir,
			 const char *node, char *buf, size_t len);

/**
 * duet_xenbus_printf() - write <@dir>/<@node> = the formatted value,
 * inside transaction @tx (DUET_XS_NO_TX for none).  Returns 0, -E2BIG
 * when the path or the value (at most 127 bytes) does not fit, another
 * -errno from xenstore.
 */
int duet_xenbus_printf(struct duet_xs *xs, duet_xs_tx_t tx, const char *dir,
		       const char *node, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* ------------------------------------------------------------------ */
/* Ring references and queues                                          */
/* ------------------------------------------------------------------ */

/** Largest ring-page-order (16 pages) and the page count it gives. */
#define DUET_XENBUS_MAX_RING_ORDER 4u
#define DUET_XENBUS_MAX_RING_PAGES 16u

/**
 * duet_xenbus_write_ring_refs() - frontend: publish a ring's grant refs
 * under @dir: "ring-ref" for a 1-page ring (@order 0), else
 * "ring-page-order" and "ring-ref0".."ring-ref<2^order - 1>".
 * Returns 0 or -errno (-EINVAL for @order > 4).
 */
int duet_xenbus_write_ring_refs(struct duet_xs *xs, duet_xs_tx_t tx,
				const char *dir, const uint32_t *refs,
				unsigned order);

/**
 * duet_xenbus_read_ring_refs() - backend: read a frontend's ring refs.
 * Accepts "ring-page-order" (with ring-refN), the older "num-ring-pages"
 * (a power of two, with ring-refN), or a lone "ring-ref".
 * @max_order: the largest order this backend advertised.
 * @refs:      room for DUET_XENBUS_MAX_RING_PAGES refs.
 * @order:     receives the ring's order.
 * Returns 0, -EINVAL when a value is malformed or the order exceeds
 * @max_order, -ENOENT when a needed ref is missing, another -errno.
 */
int duet_xenbus_read_ring_refs(struct duet_xs *xs, const char *dir,
			       unsigned max_order, uint32_t *refs,
			       unsigned *order);

/**
 * duet_xenbus_read_queue_ring_refs() - backend: read the ring refs of one
 * queue of a multi-queue device.  As duet_xenbus_read_ring_refs() on
 * @qdir; when @qdir holds refs but no order node, the order is read from
 * the device directory @top (Linux's xen-blkfront writes
 * "ring-page-order" only there, and "ring-refN" per queue).  With @qdir
 * equal to @top it is duet_xenbus_read_ring_refs().  Same returns.
 */
int duet_xenbus_read_queue_ring_refs(struct duet_xs *xs, const char *top,
				     const char *qdir, unsigned max_order,
				     uint32_t *refs, unsigned *order);

/**
 * duet_xenbus_queue_dir() - the directory of queue @q: @dir itself when
 * @nqueues <= 1, else "<dir>/queue-<q>".  Returns the length, or -E2BIG
 * when @len is too small, -EINVAL when @q >= @nqueues.
 */
int duet_xenbus_queue_dir(char *buf, size_t len, const char *dir,
			  unsigned nqueues, unsigned q);

/* ------------------------------------------------------------------ */
/* A device end                                                        */
/* ------------------------------------------------------------------ */

struct duet_xenbus_dev;

/**
 * duet_xenbus_open() - take the @role end of the device whose own
 * directory is @own_dir.  Reads the peer's directory ("backend" or
 * "frontend" node) and domid ("backend-id" / "frontend-id"), and watches
 * the peer's state node.  Our own state is read from <own_dir>/state
 * (Unknown when absent).
 * Returns 0, -ENOENT when the cross links are missing, -EINVAL when they
 * are malformed, another -errno.  @xs must outlive the device.
 */
int duet_xenbus_open(struct duet_xs *xs, enum duet_xenbus_role role,
		     const char *own_dir, struct duet_xenbus_dev **out);

/** duet_xenbus_close() - unwatch and free; does not change any state. */
void duet_xenbus_close(struct duet_xenbus_dev *dev);

/** Accessors; the strings live as long as the device. */
const char *duet_xenbus_own_dir(const struct duet_xenbus_dev *dev);
const char *duet_xenbus_peer_dir(const struct duet_xenbus_dev *dev);
unsigned duet_xenbus_peer_domid(const struct duet_xenbus_dev *dev);
int duet_xenbus_state(const struct duet_xenbus_dev *dev);
int duet_xenbus_is_broken(const struct duet_xenbus_dev *dev);

/**
 * duet_xenbus_watch_is_ours() - does a watch event (from
 * duet_xs_read_watch()) belong to this device's peer-state watch?
 */
int duet_xenbus_watch_is_ours(const struct duet_xenbus_dev *dev,
			      const char *token);

/**
 * duet_xenbus_switch() - move our end to @state and write <own>/state.
 * Returns 0 (also when already in @state), -EINVAL for a transition the
 * table forbids (nothing written), another -errno from xenstore.
 */
int duet_xenbus_switch(struct duet_xenbus_dev *dev, int state);

/**
 * duet_xenbus_peer_state() - re-read the peer's state node (watch events
 * may be spurious or coalesced, so always re-read).
 * Returns the state (0..8), -ENOENT when the node is gone (treat as
 * Closed: the peer vanished), -EINVAL when malformed.
 */
int duet_xenbus_peer_state(struct duet_xenbus_dev *dev);

/**
 * duet_xenbus_broken() - the peer violated the protocol: log @fmt
 * (rate-limited per device), mark the device broken and move to Closing.
 * Returns the result of the switch (0 or -errno).
 */
int duet_xenbus_broken(struct duet_xenbus_dev *dev, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/** duet_xenbus_vbroken() - duet_xenbus_broken() with a va_list, for the
 *  drivers' own <driver>_broken() wrappers. */
int duet_xenbus_vbroken(struct duet_xenbus_dev *dev, const char *fmt,
			va_list ap) __attribute__((format(printf, 2, 0)));

/* ------------------------------------------------------------------ */
/* The connection handshake                                            */
/* ------------------------------------------------------------------ */

/*
 * A driver keeps one flag, "connected" (it holds rings: shared on the
 * frontend, mapped on the backend), and after every watch event on the
 * peer's state, and after acting on every non-NONE answer, calls the step
 * function of its role until it answers DUET_XENBUS_ACT_NONE.  The step
 * re-reads both state nodes (events coalesce; the toolstack may have
 * written our own state, e.g. Closing on detach), makes the state switches
 * that need no driver work itself, and answers what the driver must do:
 *
 *   backend (Linux's xenbus backend + blkback/netback frontend_changed):
 *     own InitWait, frontend Initialised or Connected (netfront skips
 *         Initialised)                                -> CONNECT: read the
 *         frontend's nodes, map rings, bind event channels, then
 *         duet_xenbus_switch(Connected) (or duet_xenbus_broken())
 *     own InitWait/Connected, frontend Closing        -> Closing (keep
 *         serving in-flight requests)
 *     own Closing (ours, the toolstack's detach, or broken), frontend not
 *         using the rings (Closed, Initialising, InitWait, Unknown)
 *                                                     -> Closed, and
 *         DISCONNECT when connected
 *     own Connected, frontend Closed/Initialising, or own Connected while
 *         not connected (stale)                       -> Closing, as above
 *     own Closed, frontend Initialising, online       -> InitWait again
 *     own Closed and <own>/online is not "1"          -> DONE
 *     frontend directory or own state node gone       -> DONE
 *
 *   frontend (@want: 1 to be connected, 0 to close):
 *     own Unknown/Closed, want, backend Closed, InitWait, Initialising or
 *         Unknown (it has let go of old rings)         -> Initialising
 *     own Initialising, backend InitWait               -> CONNECT: read the
 *         backend's features, share rings, write ring refs and event
 *         channels, then duet_xenbus_switch(Initialised) (netfront:
 *         Connected at once, as Linux's does)
 *     own Initialised, backend Connected               -> CONNECTED: read
 *         what the backend publishes at connect (sectors, ...), then
 *         duet_xenbus_switch(Connected)
 *     own Connected (netfront), backend still InitWait -> NONE until the
 *         backend connects (Linux's netback connects only to a Connected
 *         frontend)
 *     backend Closing or Closed while we are past Initialising, or
 *         backend back in InitWait/Initialising after it was Connected
 *         (it was restarted)                           -> Closing, Closed,
 *         DISCONNECT (keep unanswered requests to re-issue); with want
 *         the next step starts over at Initialising
 *     own Initialised/Connected while not connected, or backend Connected
 *         while we are Initialising (stale)            -> Closing
 *     want == 0                                        -> Closing; Closed
 *         and DISCONNECT once the backend is Closing or Closed; then DONE
 *     backend directory gone                           -> DONE
 *
 * A malformed peer state is a protocol violation: the step calls
 * duet_xenbus_broken() and answers DISCONNECT (or NONE when not
 * connected).  DONE implies DISCONNECT when still connected.
 */
enum duet_xenbus_action {
	DUET_XENBUS_ACT_NONE = 0,	/* wait for the next event */
	DUET_XENBUS_ACT_CONNECT = 1,	/* set up rings (see above) */
	DUET_XENBUS_ACT_CONNECTED = 2,	/* frontend: backend is Connected */
	DUET_XENBUS_ACT_DISCONNECT = 3, /* tear rings down */
	DUET_XENBUS_ACT_DONE = 4,	/* the device is gone or closed */
};

/**
 * duet_xenbus_backend_start() - a backend instance has published its
 * features: move to InitWait (through Initialising from Unknown), or, when
 * a previous instance left the device Connected, to Closing so that the
 * frontend resets (a frontend left Initialised by an instance that died
 * before connecting is connected to as it is).  Returns 0 or -errno
 * (-ENOENT when our state node is gone).
 */
int duet_xenbus_backend_start(struct duet_xenbus_dev *dev);

/**
 * duet_xenbus_backend_step() - see the table above.  @connected: the
 * driver holds mapped rings.  Returns a DUET_XENBUS_ACT_* value, or -errno
 * when xenstore fails.
 */
int duet_xenbus_backend_step(struct duet_xenbus_dev *dev, int connected);

/**
 * duet_xenbus_frontend_step() - see the table above.  @connected: the
 * driver holds shared rings; @want: 1 to (re)connect, 0 to close.
 * Returns a DUET_XENBUS_ACT_* value, or -errno.
 */
int duet_xenbus_frontend_step(struct duet_xenbus_dev *dev, int connected,
			      int want);

/* ------------------------------------------------------------------ */
/* The driver loop                                                     */
/* ------------------------------------------------------------------ */

/**
 * struct duet_xenbus_ops - a driver's answers to the handshake, for
 * duet_xenbus_run().  Every callback gets the driver's @arg.
 * @connect:     ACT_CONNECT: set up the rings and switch our state
 *               (backend: Connected; frontend: Initialised, or Connected
 *               for a netfront).  Returns 0 to go on (also after a
 *               failure it handled itself, e.g. by marking the device
 *               broken), 1 when it cannot connect yet and waits for a
 *               later event (storage not open, hotplug script not run),
 *               or -errno to stop the run and return it.
 * @connected:   ACT_CONNECTED (frontends): read what the backend
 *               publishes at connect, switch to Connected.  Returns as
 *               @connect.  NULL on a backend.
 * @disconnect:  ACT_DISCONNECT (@gone 0) and ACT_DONE (@gone 1): tear the
 *               rings down (also called when none are held).
 */
struct duet_xenbus_ops {
	int (*connect)(void *arg);
	int (*connected)(void *arg);
	void (*disconnect)(void *arg, int gone);
};

/*
 * How many answers one duet_xenbus_run() acts on.  A well-behaved peer
 * causes a handful in a row (DISCONNECT, CONNECT, CONNECTED; the step
 * functions make the switches between them); a peer changing its state as
 * fast as we read it
 * could keep a run going for ever, so after this many answers the run
 * returns and the next watch event (the peer's changes fire one) resumes
 * it.  One flapping peer thus cannot starve a process's other work.
 */
#define DUET_XENBUS_RUN_MAX_ANSWERS 64u

/**
 * duet_xenbus_run() - after a watch event on the peer's (or our own)
 * state, call the step function of @dev's role and act on its answers
 * through @ops until it answers NONE or DONE, at most
 * DUET_XENBUS_RUN_MAX_ANSWERS times.
 * @rings: the driver's flag, 1 while it holds rings (shared by a
 *         frontend, mapped by a backend), read before every step (the
 *         step functions' @connected); the callbacks keep it up to date.
 * @want:  frontends: the driver's flag, 1 to be connected, 0 to close,
 *         read before every step; NULL on a backend.
 * Context: the thread that owns @dev and its xenstore handle; blocks only
 * in xenstore and the callbacks.  Returns 1 when the device is done
 * (@ops->disconnect(@arg, 1) was called), 0 to wait for the next event,
 * -errno from xenstore or a callback (-EINVAL for a missing callback or
 * flag the role needs).
 */
int duet_xenbus_run(struct duet_xenbus_dev *dev,
		    const struct duet_xenbus_ops *ops, void *arg,
		    const int *rings, const int *want);

#ifdef __cplusplus
}
#endif

#endif /* DUET_XENBUS_H */

/* SPDX-License-Identifier: MIT */
/*
 * common.h - blkfront's internal structures, shared by its files:
 *   blkfront.c  the public API, the event loop, synchronous I/O
 *   xenbus.c    XenBus negotiation, connect, disconnect
 *   io.c        turning I/O into ring requests and responses back
 *   grants.c    data pages: the persistent pool and per-request grants
 *
 * Locking: one mutex per device (bf->lock) guards everything below; the
 * public functions take it, the internal ones (bf_*) expect it held.
 * Callbacks of completed I/O run after it was dropped.
 *
 * How an I/O travels: duet_blkfront_submit() makes a struct bf_io and one
 * struct bf_piece covering all of it, queued on bf->pieces.  bf_issue()
 * cuts pieces into ring requests of at most the negotiated size and
 * records each in its queue's shadow slot (struct bf_req).  A response
 * frees the slot; when the last piece of an I/O is answered the I/O moves
 * to bf->done and its callback runs.  When the connection goes away, every
 * slot still in use turns back into a piece at the head of bf->pieces, so
 * it is issued again, cut by the limits of the next connection.
 */
#ifndef DUET_FRONTENDS_BLKFRONT_COMMON_H
#define DUET_FRONTENDS_BLKFRONT_COMMON_H

#include <pthread.h>
#include <stdint.h>

#include <xen/io/blkif.h>

#include "duet/blkfront.h"
#include "duet/platform.h"
#include "duet/ring.h"
#include "duet/xenbus.h"
#include "duet/xs.h"

struct sync_wait;

#define BF_MAX_QUEUES 16u
#define BF_SECTOR 512u			/* blkif's unit for sector numbers */
#define BF_SECS_PER_PAGE (DUET_PAGE_SIZE / BF_SECTOR)
#define BF_SEGS_PER_IND (DUET_PAGE_SIZE / sizeof(struct blkif_request_segment))
#define BF_MAX_INDIRECT (BF_SEGS_PER_IND * BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST)
#define BF_POOL_CHUNK 32u		/* persistent pages granted per call */
#define BF_POOL_MAX 1024u		/* persistent pages per queue (grants.c) */

/**
 * struct bf_io - one submitted I/O.
 * @op:          DUET_BLKFRONT_*.
 * @buf:         the caller's buffer (READ/WRITE).
 * @offset, @len: bytes on the disk.
 * @outstanding: pieces queued plus requests in flight for this I/O.
 * @result:      0 or the first error seen.
 * @done, @opaque: the callback.
 * @next:        link in bf->done.
 */
struct bf_io {
	int op;
	char *buf;
	uint64_t offset;
	uint64_t len;
	unsigned outstanding;
	int result;
	duet_blkfront_done_fn done;
	void *opaque;
	struct bf_io *next;
};

/**
 * struct bf_piece - a part of an I/O not yet on a ring.
 * @io:  its I/O.
 * @off: byte offset inside the I/O; @len: bytes (0 for a flush).
 */
struct bf_piece {
	struct bf_io *io;
	uint64_t off;
	uint64_t len;
	struct bf_piece *next;
};

/**
 * struct bf_page - one page of the persistent pool: granted once to the
 * backend read-write and reused by request after request.
 */
struct bf_page {
	duet_grant_ref_t ref;
	void *addr;
};

/**
 * struct bf_chunk - one duet_gnt_share() call of the pool (unshared
 * together at disconnect).
 */
struct bf_chunk {
	void *addr;
	unsigned count;
	struct bf_chunk *next;
	struct bf_page pages[BF_POOL_CHUNK];
};

/**
 * struct bf_pool - the persistent pages of one queue (grants.c).
 * @free:   free pages, last-in first-out; @nfree of them.
 * @total:  pages granted; @cap: room in @free.
 * @chunks: every share of the pool, for unsharing.
 */
struct bf_pool {
	struct bf_page **free;
	unsigned nfree;
	unsigned total;
	unsigned cap;
	struct bf_chunk *chunks;
};

/**
 * struct bf_share - pages granted for one request only (no persistent
 * grants, or an untrusted backend).
 */
struct bf_share {
	void *addr;
	unsigned count;
};

/**
 * struct bf_req - a shadow slot: one request on a ring.
 * @in_use:  the slot holds a request awaiting its response.
 * @id:      the id sent ((generation << 32) | slot), so that a duplicate
 *           or stale response never matches a later request.
 * @op:      the ring operation sent (BLKIF_OP_*, INDIRECT included).
 * @inner_op: READ/WRITE for an indirect request, else @op.
 * @io, @off, @len: what of which I/O it carries.
 * @nsegs, @nind: data pages and indirect pages.
 * @persistent: the pages come from the pool (@pool: which one).
 * @pages:   persistent: the pool pages used (@nsegs data, then @nind).
 * @refs:    the grant refs of the same pages, in the same order.
 * @data, @ind: per-request grants (addr NULL when unused).
 */
struct bf_req {
	int in_use;
	uint64_t id;
	uint8_t op;
	uint8_t inner_op;
	struct bf_io *io;
	uint64_t off;
	uint64_t len;
	unsigned nsegs;
	unsigned nind;
	int persistent;
	struct bf_pool *pool;
	struct bf_page **pages;
	duet_grant_ref_t *refs;
	struct bf_share data;
	struct bf_share ind;
};

/**
 * struct bf_queue - one ring and its event channel.
 * @sring, @refs: the shared ring pages and their grant refs.
 * @ring:    our end of it.
 * @port:    local event-channel port (-1 when none).
 * @shadow:  ring-size slots; @free: a stack of free slot numbers.
 * @pool:    the queue's persistent pages: one pool per queue, as the
 *           backend keeps one bounded cache of mappings per queue.
 */
struct bf_queue {
	void *sring;
	duet_grant_ref_t refs[DUET_XENBUS_MAX_RING_PAGES];
	struct duet_ring *ring;
	int port;
	struct bf_req *shadow;
	unsigned *free;
	unsigned nfree;
	struct bf_pool pool;
};

/**
 * struct duet_blkfront - the device.
 * @lock:         guards everything.
 * @poller:       a thread is polling on behalf of the others.
 * @waiters:      synchronous waiters not polling (blkfront.c).
 * @p, @xs, @ev, @dev: platform, own xenstore connection, event channels,
 *                the XenBus device.
 * @epfd:         epoll set of the xenstore and event-channel fds.
 * @opts:         the caller's limits.
 * @trusted:      <fe>/trusted (and the option).
 * @rings:        we hold shared rings (XenBus "connected").
 * @live:         the backend is Connected: requests may be issued.
 * @want:         1 to stay connected, 0 to close.
 * @gone:         the device closed for good (DONE).
 * @broken:       the backend violated the protocol.
 * @need_step:    run the XenBus step (watch event, notify failure).
 * @q, @nq:       queues of the current connection.
 * @info:         what is negotiated.
 * @be_persistent, @be_indirect: the backend's offers read at connect.
 * @pieces, @pieces_tail: I/O waiting to go on a ring.
 * @done:         completed I/O whose callback has not run.
 * @rr:           round-robin start for choosing a queue.
 * @gen:          generation counter for request ids, device-wide so that
 *                an id is never valid on two queues at once.
 * @inflight:     requests on rings.
 */
struct duet_blkfront {
	pthread_mutex_t lock;
	int poller;
	struct sync_wait *waiters;
	struct duet_platform *p;
	struct duet_xs *xs;
	struct duet_evtchn *ev;
	struct duet_xenbus_dev *dev;
	int epfd;
	unsigned be_domid;
	struct duet_blkfront_opts opts;
	int trusted;
	int rings;
	int live;
	int want;
	int gone;
	int broken;
	int need_step;
	struct bf_queue q[BF_MAX_QUEUES];
	unsigned nq;
	struct duet_blkfront_info info;
	int persistent_offered;
	struct bf_piece *pieces;
	struct bf_piece *pieces_tail;
	struct bf_io *done;
	unsigned rr;
	uint32_t gen;
	unsigned inflight;
};

/* xenbus.c */
int bf_step(struct duet_blkfront *bf);
void bf_disconnect(struct duet_blkfront *bf);
/*
 * bf_broken() - the backend broke the protocol: log (rate-limited), move
 * to Closing, fail every request with -EPROTO and drop the rings.
 */
void bf_broken(struct duet_blkfront *bf, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* io.c */
void bf_issue(struct duet_blkfront *bf);
void bf_reap(struct duet_blkfront *bf);
void bf_requeue_all(struct duet_blkfront *bf);
void bf_fail_all(struct duet_blkfront *bf, int err);
void bf_io_put(struct duet_blkfront *bf, struct bf_io *io, int result);
int bf_queue_piece(struct duet_blkfront *bf, struct bf_io *io, uint64_t off,
		   uint64_t len, int front);

/* grants.c */
int bf_req_grant(struct duet_blkfront *bf, struct bf_queue *q,
		 struct bf_req *r);
void bf_req_ungrant(struct duet_blkfront *bf, struct bf_req *r);
void *bf_req_page(struct bf_req *r, unsigned i);
duet_grant_ref_t bf_req_ref(struct bf_req *r, unsigned i);
void bf_unshare(struct duet_blkfront *bf, void *addr, unsigned count);
void bf_pool_destroy(struct duet_blkfront *bf, struct bf_pool *pool);

#endif /* DUET_FRONTENDS_BLKFRONT_COMMON_H */

/* SPDX-License-Identifier: MIT */
/*
 * tfront.h - a test blkfront made from the ring API, and a backend
 * thread, for blkback's tests and benchmark.
 *
 * The frontend negotiates with blkback through xenstore the way Linux's
 * xen-blkfront does (talk_to_blkback()): protocol, feature-persistent,
 * multi-queue-num-queues, ring-page-order at the top and ring-ref* plus
 * event-channel per queue (at the top for one queue, else queue-N/).
 * Data pages come from one pool per queue, shared once (LIFO free list
 * like Linux's); whether blkback maps them persistently only depends on
 * the feature-persistent the frontend writes.
 *
 * The backend runs duet_blkback_serve() in a thread of the test process
 * (as domain 0), so ASan sees blkback's code too.
 */
#ifndef DUET_TESTS_LIB_TFRONT_H
#define DUET_TESTS_LIB_TFRONT_H

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <xen/io/blkif.h>

#include "duet/blkback.h"
#include "duet/platform.h"
#include "duet/ring.h"
#include "duet/xenbus.h"
#include "duet/xlspec.h"
#include "duet/xs.h"

#define TF_MAX_QUEUES 16
#define TF_POOL_CHUNK 1024u /* pages per share call (the sim's limit) */
#define TF_POOL_PAGES 2048u /* data + indirect pages per queue */
#define TF_MAX_SLOTS 512u

/* ------------------------------------------------------------------ */
/* The backend thread                                                  */
/* ------------------------------------------------------------------ */

struct tback {
	struct duet_backend_ctx ctx;
	char dir[160];
	char type[16];
	int stop[2];
	pthread_t th;
	int rc;
	int running;
};

/*
 * Start blkback on <be_domid>'s backend/<type>/<fe>/<devid>.  @xs must be
 * a connection of its own (blkback owns it while it runs).
 */
int tback_start(struct tback *b, struct duet_platform *p,
		struct duet_xs *xs, const char *type,
		unsigned be_domid, unsigned fe_domid,
		unsigned devid);

/* Stop blkback (as the daemon does on SIGTERM); returns serve()'s rc. */
int tback_stop(struct tback *b);

/* The toolstack's part: write the libxl layout of a disk. */
int tf_attach_disk(struct duet_xs *xs0, unsigned fe_domid,
		   const char *spec, int *devid);

/* ------------------------------------------------------------------ */
/* The frontend                                                        */
/* ------------------------------------------------------------------ */

struct tf_opts {
	unsigned order;     /* ring-page-order */
	unsigned nqueues;   /* multi-queue-num-queues */
	int persistent;     /* feature-persistent */
	int indirect;       /* use indirect requests when > 11 segments */
	const char *protocol; /* NULL: x86_64-abi */
};

struct tf_queue {
	void *sring;
	duet_grant_ref_t refs[16];
	struct duet_ring *ring;
	struct duet_evtchn *ev;
	int port;
	unsigned size;
	/* the data pool */
	char *pool[TF_POOL_PAGES / TF_POOL_CHUNK];
	duet_grant_ref_t pool_refs[TF_POOL_PAGES];
	unsigned freep[TF_POOL_PAGES];
	unsigned nfree;
	/* ids: slot numbers; what each outstanding request holds */
	uint8_t busy[TF_MAX_SLOTS];
	unsigned npages[TF_MAX_SLOTS];
	unsigned pages[TF_MAX_SLOTS][264];
	unsigned outstanding;
};

struct tfront {
	struct duet_platform *p;
	struct duet_xs *xs;
	struct duet_xenbus_dev *xb;
	unsigned domid, be_domid;
	char dir[160];
	struct tf_opts o;
	unsigned nq;
	struct tf_queue *q[TF_MAX_QUEUES];
	int connected;
	/* what the backend published */
	uint64_t sectors;
	unsigned sector_size, phys_sector_size, info, max_indirect;
	int be_persistent, flush, barrier, discard;
	unsigned max_order, max_queues;
	uint64_t discard_gran;
};

/*
 * Drive the frontend's handshake until @until (a predicate on f) holds or
 * @ms passed.  @want: 1 connect, 0 close.  Returns 1 when it holds.
 */
int tf_drive(struct tfront *f, int want, int ms,
	     int (*until)(struct tfront *));

/* 1 when the backend is Closing or Closed (it dropped the device). */
int tf_backend_closed(struct tfront *f);

/*
 * Open the frontend at /local/domain/<domid>/device/vbd/<devid> and
 * connect.  Returns 0 when Connected.
 */
int tf_open(struct tfront *f, struct duet_platform *p,
	    struct duet_xs *xs, unsigned domid, int devid,
	    const struct tf_opts *o);

/* Close the device (frontend side) and free everything. */
void tf_close(struct tfront *f);

/* ------------------------------------------------------------------ */
/* Requests                                                            */
/* ------------------------------------------------------------------ */

int tf_page_get(struct tf_queue *q);

void tf_page_put(struct tf_queue *q, unsigned pg);

char *tf_page(struct tf_queue *q, unsigned pg);

/* Queue a raw request (any content) and push; notify when asked. */
int tf_put_raw(struct tfront *f, unsigned qi,
	       const void *req);

/* Release what the request with id @id held. */
void tf_release(struct tf_queue *q, uint64_t id);

/*
 * Take one response, waiting up to @ms.  Returns 1 with @rsp, 0 on
 * timeout, -errno.
 */
int tf_get_rsp(struct tfront *f, unsigned qi,
	       struct blkif_response *rsp, int ms);

/*
 * Start a read or write of @nsect 512-byte sectors at @sector on queue
 * @qi, data from/to the pool (write data is taken from @buf now).
 * Sectors are packed into whole pages.  Uses an indirect request when
 * more than 11 segments are needed and f->o.indirect allows it.
 * Returns the id (>= 0) or -errno (-EAGAIN: no room, reap first).
 */
int tf_start_rw(struct tfront *f, unsigned qi, int write,
		uint64_t sector, const void *buf,
		unsigned nsect);

/* Copy a finished read's data out of its pages into @buf. */
void tf_read_data(struct tfront *f, unsigned qi, int id,
		  void *buf, unsigned nsect);

/*
 * Synchronous read/write of @nsect sectors; returns the response status
 * (BLKIF_RSP_*), or -1000 - errno on a local failure / timeout.
 */
int tf_rw(struct tfront *f, unsigned qi, int write,
	  uint64_t sector, void *buf, unsigned nsect);

/* A request without data: flush, barrier or discard. */
int tf_simple(struct tfront *f, unsigned qi, uint8_t op,
	      uint64_t sector, uint64_t nr, uint8_t flag);

#endif /* DUET_TESTS_LIB_TFRONT_H */

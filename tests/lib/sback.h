/* SPDX-License-Identifier: MIT */
/*
 * sback.h - a scripted block backend for blkfront's unit tests.
 *
 * Runs in a thread of the test as domain 0 of a private simulator
 * (simtest.h), built only from the public ring, grant, event-channel and
 * xenstore API: it publishes the features it is told to, maps the rings
 * the frontend shares, serves a RAM disk, and on request misbehaves for
 * the next request (a hostile backend) or "restarts" (drops its rings
 * without answering and goes through Closing -> Closed -> InitWait with
 * new limits, as a new backend instance does).
 */
#ifndef DUET_TESTS_LIB_SBACK_H
#define DUET_TESTS_LIB_SBACK_H

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xen/io/blkif.h>

#include "duet/blkfront.h"
#include "duet/platform.h"
#include "duet/ring.h"
#include "duet/xenbus.h"
#include "duet/xs.h"
#include "lib/simtest.h"

/* What the backend does to the next request (sb.hostile). */
enum sb_hostile {
	SB_FAIR = 0,
	SB_BAD_STATUS,	/* BLKIF_RSP_ERROR */
	SB_ODD_STATUS,	/* status 77, not a BLKIF_RSP_* */
	SB_UNKNOWN_ID,	/* an id never sent */
	SB_STALE_ID,	/* the id of the previous, answered request */
	SB_WRONG_OP,	/* operation of another request type */
	SB_BEYOND,	/* rsp_prod moved past the requests */
	SB_RESTART,	/* no answer; restart with sb.next_* limits */
	SB_EOPNOTSUPP,	/* BLKIF_RSP_EOPNOTSUPP */
};

struct sback {
	struct duet_platform *p;
	struct duet_xs *xs;
	struct duet_evtchn *ev;
	unsigned fe_domid;
	char fe[128], be[128];
	/* limits published at the next connect */
	unsigned max_order, max_queues, max_indirect;
	int persistent;
	unsigned next_order, next_queues, next_indirect;
	/* RAM disk */
	uint8_t *disk;
	uint64_t size;
	/* control */
	atomic_int hostile;
	atomic_int stop;
	atomic_int connects;
	atomic_int requests;
	pthread_t th;
	/* connection */
	unsigned nq, order;
	void *sring[16];
	struct duet_ring *ring[16];
	int port[16];
	uint64_t last_id;
	int frozen;
	/* what the frontend published */
	int fe_persistent;
	int ops_seen[8];
};

int sb_fe_state(struct sback *sb);

extern unsigned sb_next_devid;

/*
 * sb_start() - lay out a fresh vbd (as the toolstack does) between domain
 * 0 (@p0, used only by the backend thread from now on) and domain
 * @fe_domid, and start the backend thread.
 */
void sb_start(struct sback *sb, struct duet_platform *p0,
	      unsigned fe_domid, uint64_t size);

void sb_stop(struct sback *sb);

/* Defaults: order 4, 4 queues, 256 indirect segments, persistent. */
void sb_defaults(struct sback *sb);

#endif /* DUET_TESTS_LIB_SBACK_H */

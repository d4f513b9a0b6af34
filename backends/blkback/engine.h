/* SPDX-License-Identifier: MIT */
/*
 * engine.h - blkback's storage engines: one interface between the
 * request path (ring.c) and whatever holds the disk's bytes.
 *
 *   engine   params (after qdisk's "<format>:")     file
 *   uring    a file or block device                 io.c
 *   inline   a file on tmpfs/ramfs (chosen by uring) io.c
 *   nbd      nbd[s][+unix|+vsock]://... (NBD URI),  engine-nbd.c
 *            nbd:HOST:PORT, nbd:unix:PATH
 *   rbd      rbd:[POOL/]IMAGE[@SNAP][:KEY=VALUE]    engine-rbd.c
 *
 * nbd and rbd load libnbd / librbd at run time, at their first open()
 * (engine-lib.h): where the library is missing that open() fails with
 * -ENOENT and "<params>: librbd.so.1 not installed (apt install
 * librbd1)", and only those disks are refused.
 *
 * Lifetime and threads.  open() and close() run on the instance's main
 * thread, once per storage open (dev->eng_priv is theirs).  The queue
 * ops run on the queue's own thread only, between queue_open() and
 * queue_close() (q->eng_priv is theirs); queue_open() and queue_close()
 * run on the main thread while the queue's thread is not running.  An
 * engine never touches the ring, grants or xenstore: it is handed a
 * request whose data is already placed (r->iov, r->niov, r->len) and
 * hands it back finished with r->err set (0 or -errno; bb_rsp_status()
 * makes the response).
 *
 * Completions reach the queue's event loop through a file descriptor:
 * the loop polls the event channel, q->efd (the wake-up the main thread
 * uses to stop the queue; io_uring signals its completions there too) and
 * the engine's poll_fd(), then calls reap().
 */
#ifndef DUET_BLKBACK_ENGINE_H
#define DUET_BLKBACK_ENGINE_H

#include <stddef.h>
#include <stdint.h>

struct bb_dev;
struct bb_queue;
struct bb_req;

/**
 * struct bb_engine_caps - what the open storage offers; drives the
 * nodes blkback publishes (duet/blkif.h).
 * @size:        bytes.
 * @sector_size: logical sector size (512 or 4096).
 * @phys_sector_size: physical sector size.
 * @readonly:    the storage can only be read (a read-only export or
 *               image): the disk is published read-only whatever mode
 *               says.
 * @flush:       a flush makes completed writes stable
 *               (feature-flush-cache).
 * @barrier:     barriers are taken (feature-barrier): the engine
 *               orders them against the queue's other requests.
 * @discard:     discards are taken (feature-discard).
 * @discard_secure: secure discards are taken (discard-secure).
 * @discard_granularity: bytes.
 * @max_queues:  queues (connections) that may run at once with the
 *               ordering blkif promises; 0: no limit.
 */
struct bb_engine_caps {
	uint64_t size;
	unsigned sector_size;
	unsigned phys_sector_size;
	unsigned readonly : 1;
	unsigned flush : 1;
	unsigned barrier : 1;
	unsigned discard : 1;
	unsigned discard_secure : 1;
	unsigned discard_granularity;
	unsigned max_queues;
};

/**
 * struct bb_engine_ops - one engine.
 * @name:       for logs and `duet status`.
 * @open:       open the storage named by @params (a path, a URI),
 *              read-only when @readonly; fill @caps.  May block (main
 *              thread, before Connected), but for a bounded time.
 *              Returns 0 or -errno; on failure writes a one-line reason
 *              into @err (@errlen bytes) and nothing is left open.
 * @close:      undo open (no queue is open).
 * @queue_open: per-queue state (an io_uring, a connection).  0 or -errno.
 * @queue_close: undo queue_open; every request has been reaped.
 * @submit:     start @r.  Returns 0 with r->cqes != 0 when @r is now in
 *              flight (reap() gives it back), 0 with r->cqes == 0 when
 *              it finished at once (r->err set), or -errno when it could
 *              not be started (the caller answers it with that error).
 * @kick:       hand what submit() queued to the storage (called once a
 *              ring pass, after the submissions).
 * @reap:       put up to @max finished requests in @done; returns how
 *              many.  Never blocks.
 * @ready:      1 when reap() would find something now, without polling.
 * @poll_fd:    the fd to poll for completions and the events to ask for
 *              (*@events), or -1 when q->efd is enough.  Asked before
 *              every poll: an engine may change fd (a reconnection).
 * @poll_done:  what poll() returned for that fd (@revents, 0 on a
 *              timeout); also the engine's clock tick.
 * @timeout_ms: the longest the loop may sleep (a reconnection attempt
 *              or a deadline is due); -1: no limit.
 * @wait:       block until reap() has something (used only to drain
 *              at stop).  0, or -errno when nothing will ever complete.
 */
struct bb_engine_ops {
	const char *name;
	int (*open)(struct bb_dev *dev, const char *params, int readonly,
		    struct bb_engine_caps *caps, char *err, size_t errlen);
	void (*close)(struct bb_dev *dev);
	int (*queue_open)(struct bb_queue *q);
	void (*queue_close)(struct bb_queue *q);
	int (*submit)(struct bb_queue *q, struct bb_req *r);
	void (*kick)(struct bb_queue *q);
	unsigned (*reap)(struct bb_queue *q, struct bb_req **done,
			 unsigned max);
	int (*ready)(struct bb_queue *q);
	int (*poll_fd)(struct bb_queue *q, short *events);
	void (*poll_done)(struct bb_queue *q, short revents);
	int (*timeout_ms)(struct bb_queue *q);
	int (*wait)(struct bb_queue *q);
};

extern const struct bb_engine_ops bb_engine_uring;
extern const struct bb_engine_ops bb_engine_inline;
extern const struct bb_engine_ops bb_engine_nbd;
extern const struct bb_engine_ops bb_engine_rbd;

/*
 * bb_engine_for() - the engine that serves @params: nbd for an NBD
 * target, rbd for an RBD target, else uring (which hands a memory-backed
 * file to inline at open).
 */
const struct bb_engine_ops *bb_engine_for(const char *params);

/* bb_nbd_is_uri() - @s is an NBD target (engine-nbd.c). */
int bb_nbd_is_uri(const char *s);
/* bb_rbd_is_target() - @s is an RBD target (engine-rbd.c). */
int bb_rbd_is_target(const char *s);

#endif /* DUET_BLKBACK_ENGINE_H */

/* SPDX-License-Identifier: MIT */
/*
 * blkfront.c - the public API: open/close, submit, the event loop, and
 * synchronous I/O on top.
 *
 * The device owns no thread.  duet_blkfront_process() does all the work
 * (xenstore watch events -> XenBus step, event channels -> responses,
 * queued pieces -> rings) under bf->lock, then runs the callbacks of
 * completed I/O without it.  Synchronous callers share the driving: the
 * first waiter becomes the poller (bf->poller) and polls bf->epfd; the
 * others sleep on their own condition variable until their I/O is done
 * or the poller's turn is handed to them (leader/follower), so any number
 * of threads can wait.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "frontends/blkfront/common.h"

void duet_blkfront_opts_init(struct duet_blkfront_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->max_ring_order = DUET_XENBUS_MAX_RING_ORDER;
	o->max_queues = 4;
	o->max_indirect = 256;
	o->timeout_ms = 30000;
}

int duet_blkfront_dir(char *buf, size_t len, unsigned domid, unsigned devid)
{
	int n = snprintf(buf, len, "/local/domain/%u/device/vbd/%u", domid,
			 devid);

	return n < 0 || (size_t)n >= len ? -E2BIG : n;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int duet_blkfront_fd(struct duet_blkfront *bf)
{
	return bf->epfd;
}

/* Take the completed I/O (under the lock); oldest first. */
static struct bf_io *take_done(struct duet_blkfront *bf)
{
	struct bf_io *io = bf->done, *rev = NULL, *next;

	bf->done = NULL;
	for (; io; io = next) {
		next = io->next;
		io->next = rev;
		rev = io;
	}
	return rev;
}

static int run_callbacks(struct bf_io *io)
{
	struct bf_io *next;
	int n = 0;

	for (; io; io = next) {
		next = io->next;
		io->done(io->opaque, io->result);
		free(io);
		n++;
	}
	return n;
}

/* The work of duet_blkfront_process() with the lock held. */
static void process_locked(struct duet_blkfront *bf)
{
	char *path, *token;
	unsigned i;
	int port;

	while (duet_xs_read_watch(bf->xs, &path, &token) > 0) {
		if (duet_xenbus_watch_is_ours(bf->dev, token))
			bf->need_step = 1;
		free(path);
	}
	while ((port = duet_evtchn_pending(bf->ev)) >= 0)
		duet_evtchn_unmask(bf->ev, (duet_evtchn_port_t)port);
	for (i = 0; i < 4; i++) {
		if (bf->need_step)
			bf_step(bf);
		if (bf->live)
			bf_reap(bf);
		bf_issue(bf);
		if (!bf->need_step)
			break;
	}
}

int duet_blkfront_process(struct duet_blkfront *bf)
{
	struct bf_io *done;
	int gone;

	pthread_mutex_lock(&bf->lock);
	process_locked(bf);
	done = take_done(bf);
	gone = bf->gone;
	pthread_mutex_unlock(&bf->lock);
	if (done)
		return run_callbacks(done);
	return gone ? -ENODEV : 0;
}

int duet_blkfront_wait(struct duet_blkfront *bf, int timeout_ms)
{
	struct epoll_event ev[4];
	int rc;

	rc = epoll_wait(bf->epfd, ev, 4, timeout_ms);
	if (rc < 0 && errno != EINTR)
		return -errno;
	return duet_blkfront_process(bf);
}

int duet_blkfront_submit(struct duet_blkfront *bf, int op, void *buf,
			 uint64_t offset, uint64_t len,
			 duet_blkfront_done_fn done, void *opaque)
{
	struct duet_blkfront_info *in = &bf->info;
	struct bf_io *io;
	int rc = 0;

	if (op < DUET_BLKFRONT_READ || op > DUET_BLKFRONT_DISCARD || !done)
		return -EINVAL;
	if ((op == DUET_BLKFRONT_READ || op == DUET_BLKFRONT_WRITE) && !buf)
		return -EINVAL;
	if (op == DUET_BLKFRONT_FLUSH)
		offset = len = 0;
	pthread_mutex_lock(&bf->lock);
	if (bf->gone || !bf->want)
		rc = -ESHUTDOWN;
	else if (op != DUET_BLKFRONT_FLUSH &&
		 (!len || offset % in->sector_size || len % in->sector_size ||
		  offset > in->size || len > in->size - offset))
		rc = -EINVAL;
	else if ((op == DUET_BLKFRONT_WRITE || op == DUET_BLKFRONT_DISCARD) &&
		 in->read_only)
		rc = -EROFS;
	else if (op == DUET_BLKFRONT_DISCARD && !in->discard)
		rc = -EOPNOTSUPP;
	if (rc < 0)
		goto out;
	io = calloc(1, sizeof(*io));
	if (!io) {
		rc = -ENOMEM;
		goto out;
	}
	io->op = op;
	io->buf = buf;
	io->offset = offset;
	io->len = len;
	io->outstanding = 1;
	io->done = done;
	io->opaque = opaque;
	rc = bf_queue_piece(bf, io, 0, len, 0);
	if (rc < 0) {
		free(io);
		goto out;
	}
	bf_issue(bf);
out:
	pthread_mutex_unlock(&bf->lock);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Synchronous I/O                                                     */
/* ------------------------------------------------------------------ */

/*
 * A synchronous waiter.  Each has its own condition variable, so that a
 * completion wakes only its waiter, and the end of a poller's turn only
 * the next waiter in line (bf->waiters), not every thread.
 */
struct sync_wait {
	struct duet_blkfront *bf;
	pthread_cond_t cond;
	int done;
	int rc;
	struct sync_wait *next;
};

static void sync_done(void *opaque, int result)
{
	struct sync_wait *w = opaque;

	pthread_mutex_lock(&w->bf->lock);
	w->rc = result;
	w->done = 1;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->bf->lock);
}

static int sync_io(struct duet_blkfront *bf, int op, void *buf, uint64_t len,
		   uint64_t offset)
{
	struct sync_wait w = { .bf = bf }, **pp;
	int rc;

	pthread_cond_init(&w.cond, NULL);
	rc = duet_blkfront_submit(bf, op, buf, offset, len, sync_done, &w);
	if (rc < 0)
		goto out;
	pthread_mutex_lock(&bf->lock);
	while (!w.done) {
		if (bf->poller) {
			w.next = bf->waiters;
			bf->waiters = &w;
			pthread_cond_wait(&w.cond, &bf->lock);
			for (pp = &bf->waiters; *pp; pp = &(*pp)->next) {
				if (*pp == &w) {
					*pp = w.next;
					break;
				}
			}
			continue;
		}
		bf->poller = 1;
		pthread_mutex_unlock(&bf->lock);
		duet_blkfront_wait(bf, 1000);
		pthread_mutex_lock(&bf->lock);
		bf->poller = 0;
		/* Hand the poller's turn to a waiter still waiting. */
		if (bf->waiters)
			pthread_cond_signal(&bf->waiters->cond);
	}
	/*
	 * The turn may have been handed to us just as our I/O completed:
	 * pass it on, or the others would wait with nobody polling.
	 */
	if (!bf->poller && bf->waiters)
		pthread_cond_signal(&bf->waiters->cond);
	pthread_mutex_unlock(&bf->lock);
	rc = w.rc;
out:
	pthread_cond_destroy(&w.cond);
	return rc;
}

int duet_blkfront_pread(struct duet_blkfront *bf, void *buf, uint64_t len,
			uint64_t offset)
{
	return sync_io(bf, DUET_BLKFRONT_READ, buf, len, offset);
}

int duet_blkfront_pwrite(struct duet_blkfront *bf, const void *buf,
			 uint64_t len, uint64_t offset)
{
	/* The buffer is only read for a write. */
	return sync_io(bf, DUET_BLKFRONT_WRITE, (void *)buf, len, offset);
}

int duet_blkfront_flush(struct duet_blkfront *bf)
{
	return sync_io(bf, DUET_BLKFRONT_FLUSH, NULL, 0, 0);
}

int duet_blkfront_discard(struct duet_blkfront *bf, uint64_t offset,
			  uint64_t len)
{
	return sync_io(bf, DUET_BLKFRONT_DISCARD, NULL, len, offset);
}

/* ------------------------------------------------------------------ */
/* Information                                                         */
/* ------------------------------------------------------------------ */

uint64_t duet_blkfront_size(struct duet_blkfront *bf)
{
	uint64_t v;

	pthread_mutex_lock(&bf->lock);
	v = bf->info.size;
	pthread_mutex_unlock(&bf->lock);
	return v;
}

unsigned duet_blkfront_sector_size(struct duet_blkfront *bf)
{
	unsigned v;

	pthread_mutex_lock(&bf->lock);
	v = bf->info.sector_size;
	pthread_mutex_unlock(&bf->lock);
	return v;
}

void duet_blkfront_get_info(struct duet_blkfront *bf,
			    struct duet_blkfront_info *out)
{
	pthread_mutex_lock(&bf->lock);
	*out = bf->info;
	pthread_mutex_unlock(&bf->lock);
}

/* ------------------------------------------------------------------ */
/* Open and close                                                      */
/* ------------------------------------------------------------------ */

/* Drive the device until @cond(bf) holds or @ms passed (< 0: forever). */
static int drive_until(struct duet_blkfront *bf,
		       int (*cond)(struct duet_blkfront *), int ms)
{
	int64_t end = now_ms() + ms;
	int ok, left;

	for (;;) {
		pthread_mutex_lock(&bf->lock);
		ok = cond(bf);
		pthread_mutex_unlock(&bf->lock);
		if (ok)
			return 1;
		left = ms < 0 ? 1000 : (int)(end - now_ms());
		if (left <= 0)
			return 0;
		duet_blkfront_wait(bf, left < 100 ? left : 100);
	}
}

static int is_live_or_gone(struct duet_blkfront *bf)
{
	return bf->live || bf->gone || !bf->want;
}

static int is_idle(struct duet_blkfront *bf)
{
	return (!bf->inflight && !bf->pieces) || bf->gone || !bf->want;
}

static int is_closed(struct duet_blkfront *bf)
{
	return bf->gone || (!bf->rings &&
			    duet_xenbus_state(bf->dev) == DUET_XENBUS_CLOSED);
}

static void destroy(struct duet_blkfront *bf)
{
	if (bf->dev) {
		bf_disconnect(bf);
		bf_fail_all(bf, -ESHUTDOWN);
		run_callbacks(take_done(bf));
		if (duet_xenbus_state(bf->dev) != DUET_XENBUS_CLOSED) {
			duet_xenbus_switch(bf->dev, DUET_XENBUS_CLOSING);
			duet_xenbus_switch(bf->dev, DUET_XENBUS_CLOSED);
		}
		duet_gnt_reap(bf->p);
		duet_xenbus_close(bf->dev);
	}
	if (bf->epfd >= 0)
		close(bf->epfd);
	duet_evtchn_close(bf->ev);
	duet_xs_close(bf->xs);
	pthread_mutex_destroy(&bf->lock);
	free(bf);
}

void duet_blkfront_close(struct duet_blkfront *bf)
{
	if (!bf)
		return;
	drive_until(bf, is_idle, 5000);
	pthread_mutex_lock(&bf->lock);
	bf->want = 0;
	bf->need_step = 1;
	pthread_mutex_unlock(&bf->lock);
	drive_until(bf, is_closed, 2000);
	destroy(bf);
}

static int add_fd(int epfd, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN };

	ev.data.fd = fd;
	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

int duet_blkfront_open(struct duet_platform *p, const char *fe_dir,
		       const struct duet_blkfront_opts *opts,
		       struct duet_blkfront **out)
{
	struct duet_blkfront *bf;
	int rc, trusted;

	if (!p || !fe_dir || !out)
		return -EINVAL;
	bf = calloc(1, sizeof(*bf));
	if (!bf)
		return -ENOMEM;
	pthread_mutex_init(&bf->lock, NULL);
	bf->epfd = -1;
	bf->p = p;
	if (opts)
		bf->opts = *opts;
	else
		duet_blkfront_opts_init(&bf->opts);
	if (bf->opts.max_ring_order > DUET_XENBUS_MAX_RING_ORDER)
		bf->opts.max_ring_order = DUET_XENBUS_MAX_RING_ORDER;
	if (bf->opts.max_queues < 1)
		bf->opts.max_queues = 1;
	if (bf->opts.max_queues > BF_MAX_QUEUES)
		bf->opts.max_queues = BF_MAX_QUEUES;
	if (bf->opts.max_indirect > BF_MAX_INDIRECT)
		bf->opts.max_indirect = BF_MAX_INDIRECT;

	rc = duet_xs_open(p, &bf->xs);
	if (rc < 0)
		goto err;
	rc = duet_evtchn_open(p, &bf->ev);
	if (rc < 0)
		goto err;
	rc = duet_xenbus_open(bf->xs, DUET_XENBUS_FRONTEND, fe_dir, &bf->dev);
	if (rc < 0)
		goto err;
	bf->be_domid = duet_xenbus_peer_domid(bf->dev);
	rc = duet_xenbus_read_bool(bf->xs, fe_dir, "trusted", 1, &trusted);
	if (rc < 0)
		goto err;
	bf->trusted = trusted && !(bf->opts.flags & DUET_BLKFRONT_UNTRUSTED);
	bf->info.trusted = bf->trusted;
	bf->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (bf->epfd < 0) {
		rc = -errno;
		goto err;
	}
	rc = add_fd(bf->epfd, duet_xs_fd(bf->xs));
	if (rc >= 0)
		rc = add_fd(bf->epfd, duet_evtchn_fd(bf->ev));
	if (rc < 0)
		goto err;
	bf->want = 1;
	bf->need_step = 1;
	drive_until(bf, is_live_or_gone, bf->opts.timeout_ms);
	pthread_mutex_lock(&bf->lock);
	rc = bf->live ? 0 : bf->gone || !bf->want ? -ENODEV : -ETIMEDOUT;
	pthread_mutex_unlock(&bf->lock);
	if (rc < 0) {
		pthread_mutex_lock(&bf->lock);
		bf->want = 0;
		bf->need_step = 1;
		pthread_mutex_unlock(&bf->lock);
		drive_until(bf, is_closed, 1000);
		goto err;
	}
	*out = bf;
	return 0;

err:
	destroy(bf);
	return rc;
}

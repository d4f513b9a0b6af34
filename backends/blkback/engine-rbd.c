/* SPDX-License-Identifier: MIT */
/*
 * engine-rbd.c - the RBD engine: a disk served from a Ceph RBD image
 * through librbd's asynchronous API.
 *
 * params is QEMU's rbd: form (duet/xlspec.h):
 *   rbd:[POOL/[NAMESPACE/]]IMAGE[@SNAP][:KEY=VALUE]...
 * POOL defaults to "rbd" (as the rbd tool's).  Keys: id= the Ceph user
 * (client.<id>; default admin), conf= a ceph.conf (default: librados's
 * search, /etc/ceph/ceph.conf and the keyring it names); any other key is
 * a Ceph option (keyring=, key=, mon_host=, ...) set after the conf file
 * is read.  "\:" is a ':' and "\\" a '\' in a value.
 *
 * One cluster connection and one image handle per device, shared by the
 * queues (librbd's image handle takes I/O from any thread).  A snapshot,
 * or an image this user may only read, is refused for a writable disk
 * with a one-line reason (attach it with access=ro).
 *
 *   READ / WRITE     rbd_aio_readv / rbd_aio_writev: the request's iovec
 *                    as it is, no copy
 *   FLUSH            rbd_aio_flush; with data writev, then flush
 *   DISCARD          rbd_aio_discard
 *   BARRIER          not offered (feature-barrier 0)
 * blkif has no write-zeroes operation, so rbd_aio_write_zeroes is never
 * needed.
 *
 * Completions run on librbd's threads: the callback puts the request on
 * the queue's done list (under the list's mutex) and writes the queue's
 * eventfd, which the queue's thread polls (poll_fd) and reap() empties.
 *
 * librbd and librados are loaded when the first RBD disk is opened
 * (engine-lib.h: DUET_LIBRBD, DUET_LIBRADOS); duet does not link them.
 * Where they are missing the disk is refused with one line naming the
 * package (librbd1).
 *
 * Storage going away.  librados reconnects to monitors and OSDs itself;
 * an operation that gets no answer for the stall bound (BB_RBD_STALL_S,
 * or DUET_BLKBACK_STALL_S in the backend's environment) fails with
 * ETIMEDOUT (rados_osd_op_timeout), answered BLKIF_RSP_ERROR: a bounded
 * stall, and I/O works again once the OSD is back.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/blkback/common.h"
#include "duet/log.h"

int bb_rbd_is_target(const char *s)
{
	return !strncmp(s, "rbd:", 4);
}

#ifndef DUET_HAVE_LIBRBD

static int norbd_open(struct bb_dev *dev, const char *params, int readonly,
		      struct bb_engine_caps *caps, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s: duet was built without librbd "
		 "(librbd-dev, librados-dev)", params);
	return -EOPNOTSUPP;
}

const struct bb_engine_ops bb_engine_rbd = {
	.name = "rbd",
	.open = norbd_open,
};

#else /* DUET_HAVE_LIBRBD */

#include <poll.h>
#include <pthread.h>
#include <stddef.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <rados/librados.h>
#include <rbd/librbd.h>

#include "backends/blkback/engine-lib.h"

/* ------------------------------------------------------------------ */
/* librbd and librados, loaded at run time (engine-lib.h)              */
/* ------------------------------------------------------------------ */

#define RADOS_FNS(X) \
	X(rados_create) X(rados_conf_read_file) X(rados_conf_set) \
	X(rados_connect) X(rados_ioctx_create) \
	X(rados_ioctx_set_namespace) X(rados_ioctx_destroy) \
	X(rados_shutdown)
#define RBD_FNS(X) \
	X(rbd_open) X(rbd_open_read_only) X(rbd_close) X(rbd_get_size) \
	X(rbd_aio_create_completion) X(rbd_aio_release) \
	X(rbd_aio_get_return_value) X(rbd_aio_readv) X(rbd_aio_writev) \
	X(rbd_aio_flush) X(rbd_aio_discard)

/**
 * struct rbd_api - the functions the engine calls, each typed from its
 * prototype in librados.h or librbd.h.  Filled once by rbd_lib_init();
 * read-only after (pthread_once() orders the writes before every
 * caller's reads).
 */
struct rbd_api {
#define X(f) __typeof__(f) *f;
	RADOS_FNS(X)
	RBD_FNS(X)
#undef X
};

static struct rbd_api lib;

#define X(f) { #f, offsetof(struct rbd_api, f) },
static const struct bb_lib_sym rbd_syms[] = { RBD_FNS(X) };
static const struct bb_lib_sym rados_syms[] = { RADOS_FNS(X) };
#undef X

/* librbd first: it needs librados, whose handle is then the same one. */
static struct bb_lib rbd_libs[] = {
	{ .file = "librbd.so.1", .env = "DUET_LIBRBD", .package = "librbd1",
	  .syms = rbd_syms,
	  .nsyms = sizeof(rbd_syms) / sizeof(rbd_syms[0]) },
	{ .file = "librados.so.2", .env = "DUET_LIBRADOS",
	  .package = "librados2", .syms = rados_syms,
	  .nsyms = sizeof(rados_syms) / sizeof(rados_syms[0]) },
};
static pthread_once_t rbd_once = PTHREAD_ONCE_INIT;
/* The library whose load failed, or NULL: written once by rbd_lib_init. */
static const struct bb_lib *rbd_failed;

static void rbd_lib_init(void)
{
	unsigned i;

	for (i = 0; i < sizeof(rbd_libs) / sizeof(rbd_libs[0]); i++)
		if (bb_lib_load(&rbd_libs[i], &lib)) {
			rbd_failed = &rbd_libs[i];
			return;
		}
}

/* Load librbd and librados once per process; 0 or -errno with the
 * one-line reason in @err. */
static int rbd_lib_get(const char *params, char *err, size_t errlen)
{
	pthread_once(&rbd_once, rbd_lib_init);
	if (rbd_failed)
		return bb_lib_error(rbd_failed, params, err, errlen);
	return 0;
}

/** Default bound on an operation's wait, seconds. */
#define BB_RBD_STALL_S 30u
/** Most KEY=VALUE options in a target. */
#define BB_RBD_MAX_OPTS 16

/**
 * struct rbd_dev - the device's engine state (dev->eng_priv).
 * @cluster, @io, @image: librados's and librbd's handles.
 */
struct rbd_dev {
	rados_t cluster;
	rados_ioctx_t io;
	rbd_image_t image;
	int connected;
};

/**
 * struct rbd_q - a queue's completions (q->eng_priv).
 * @efd:   written by a completion (librbd's thread), polled by the queue.
 * @lock:  guards @done.
 * @done:  requests whose operation completed, linked by eng_next.
 * @busy:  operations in flight (the queue's thread only).
 */
struct rbd_q {
	int efd;
	pthread_mutex_t lock;
	struct bb_req *done;
	unsigned busy;
};

/** A parsed target; the strings point into @buf. */
struct rbd_target {
	char buf[4096];
	const char *pool, *ns, *image, *snap, *id, *conf;
	const char *key[BB_RBD_MAX_OPTS], *val[BB_RBD_MAX_OPTS];
	unsigned nopts;
};

/* Cut @s at the first unescaped ':' (unescaping in place); the rest. */
static char *take_field(char *s)
{
	char *r = s, *w = s;

	while (*r && *r != ':') {
		if (*r == '\\' && r[1])
			r++;
		*w++ = *r++;
	}
	if (*r == ':') {
		*w = '\0';
		return r + 1;
	}
	*w = '\0';
	return NULL;
}

static int parse_target(const char *params, struct rbd_target *t, char *err,
			size_t errlen)
{
	char *p, *next, *slash, *at;

	memset(t, 0, sizeof(*t));
	if (strncmp(params, "rbd:", 4) ||
	    strlen(params + 4) >= sizeof(t->buf))
		goto bad;
	strcpy(t->buf, params + 4);
	next = take_field(t->buf);
	p = t->buf;
	at = strchr(p, '@');
	if (at) {
		*at = '\0';
		t->snap = at + 1;
		if (!*t->snap)
			goto bad;
	}
	slash = strchr(p, '/');
	if (slash) {
		*slash = '\0';
		t->pool = p;
		p = slash + 1;
		slash = strchr(p, '/');
		if (slash) {
			*slash = '\0';
			t->ns = p;
			p = slash + 1;
		}
	} else {
		t->pool = "rbd";
	}
	t->image = p;
	if (!*t->pool || !*t->image || strchr(t->image, '/'))
		goto bad;
	while (next) {
		char *eq;

		p = next;
		next = take_field(p);
		eq = strchr(p, '=');
		if (!eq || eq == p)
			goto bad;
		*eq = '\0';
		if (!strcmp(p, "id")) {
			t->id = eq + 1;
		} else if (!strcmp(p, "conf")) {
			t->conf = eq + 1;
		} else {
			if (t->nopts == BB_RBD_MAX_OPTS)
				goto bad;
			t->key[t->nopts] = p;
			t->val[t->nopts++] = eq + 1;
		}
	}
	return 0;
bad:
	snprintf(err, errlen, "%s: not an RBD target (rbd:POOL/IMAGE[@SNAP]"
		 "[:id=USER][:conf=FILE][:KEY=VALUE])", params);
	return -EINVAL;
}

static unsigned stall_s(void)
{
	const char *s = getenv("DUET_BLKBACK_STALL_S");
	unsigned long v;
	char *end;

	if (s && *s) {
		errno = 0;
		v = strtoul(s, &end, 10);
		if (!errno && !*end && v >= 1 && v <= 3600)
			return (unsigned)v;
	}
	return BB_RBD_STALL_S;
}

static void rbd_dev_free(struct rbd_dev *rd)
{
	if (rd->image)
		lib.rbd_close(rd->image);
	if (rd->io)
		lib.rados_ioctx_destroy(rd->io);
	if (rd->cluster)
		lib.rados_shutdown(rd->cluster);
	free(rd);
}

static int rbd_eng_open(struct bb_dev *dev, const char *params, int readonly,
			struct bb_engine_caps *caps, char *err, size_t errlen)
{
	struct rbd_target t;
	struct rbd_dev *rd;
	char stall[16];
	uint64_t size;
	const char *what;
	unsigned i;
	int rc;

	rc = parse_target(params, &t, err, errlen);
	if (rc)
		return rc;
	if (t.snap && !readonly) {
		snprintf(err, errlen, "%s: a snapshot is read-only: attach it "
			 "with access=ro", params);
		return -EROFS;
	}
	rc = rbd_lib_get(params, err, errlen);
	if (rc)
		return rc;
	rd = calloc(1, sizeof(*rd));
	if (!rd)
		return -ENOMEM;
	what = "cannot set up librados";
	rc = lib.rados_create(&rd->cluster, t.id);
	if (rc)
		goto err;
	/* Without conf= librados searches its default places; finding no
	 * file there is fine (mon_host= may say everything). */
	what = "cannot read the Ceph configuration";
	rc = lib.rados_conf_read_file(rd->cluster, t.conf);
	if (rc && (t.conf || rc != -ENOENT))
		goto err;
	snprintf(stall, sizeof(stall), "%u", stall_s());
	lib.rados_conf_set(rd->cluster, "client_mount_timeout", stall);
	lib.rados_conf_set(rd->cluster, "rados_osd_op_timeout", stall);
	lib.rados_conf_set(rd->cluster, "rados_mon_op_timeout", stall);
	for (i = 0; i < t.nopts; i++) {
		rc = lib.rados_conf_set(rd->cluster, t.key[i], t.val[i]);
		if (rc) {
			snprintf(err, errlen, "%s: Ceph option %s: %s", params,
				 t.key[i], strerror(-rc));
			rbd_dev_free(rd);
			return rc;
		}
	}
	what = "cannot connect to the Ceph cluster";
	rc = lib.rados_connect(rd->cluster);
	if (rc)
		goto err;
	rd->connected = 1;
	what = "no such pool";
	rc = lib.rados_ioctx_create(rd->cluster, t.pool, &rd->io);
	if (rc)
		goto err;
	if (t.ns)
		lib.rados_ioctx_set_namespace(rd->io, t.ns);
	what = "cannot open the image";
	if (readonly)
		rc = lib.rbd_open_read_only(rd->io, t.image, &rd->image,
					    t.snap);
	else
		rc = lib.rbd_open(rd->io, t.image, &rd->image, NULL);
	if (rc == -EROFS || rc == -EPERM) {
		snprintf(err, errlen, "%s: the image is read-only for this "
			 "user (%s): attach it with access=ro", params,
			 strerror(-rc));
		rbd_dev_free(rd);
		return -EROFS;
	}
	if (rc)
		goto err;
	what = "cannot read the image's size";
	rc = lib.rbd_get_size(rd->image, &size);
	if (rc)
		goto err;
	memset(caps, 0, sizeof(*caps));
	caps->size = size;
	caps->sector_size = 512;
	caps->phys_sector_size = 4096;
	caps->readonly = !!readonly;
	caps->flush = 1;
	caps->discard = !readonly;
	caps->discard_granularity = 4096;
	dev->eng_priv = rd;
	duet_log(DUET_LOG_INFO, "blkback: %s: rbd %s/%s%s%s: %llu bytes%s",
		 dev->ctx->dir, t.pool, t.image, t.snap ? "@" : "",
		 t.snap ? t.snap : "", (unsigned long long)size,
		 readonly ? ", read-only" : "");
	return 0;
err:
	snprintf(err, errlen, "%s: %s: %s", params, what, strerror(-rc));
	rbd_dev_free(rd);
	return rc < 0 ? rc : -EIO;
}

static void rbd_eng_close(struct bb_dev *dev)
{
	if (dev->eng_priv)
		rbd_dev_free(dev->eng_priv);
	dev->eng_priv = NULL;
}

/* ------------------------------------------------------------------ */
/* Queues and requests                                                 */
/* ------------------------------------------------------------------ */

static void rbd_poll_done(struct bb_queue *q, short revents);

static int rbd_queue_open(struct bb_queue *q)
{
	struct rbd_q *rq = calloc(1, sizeof(*rq));

	if (!rq)
		return -ENOMEM;
	rq->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (rq->efd < 0) {
		free(rq);
		return -errno;
	}
	pthread_mutex_init(&rq->lock, NULL);
	q->eng_priv = rq;
	return 0;
}

static void rbd_queue_close(struct bb_queue *q)
{
	struct rbd_q *rq = q->eng_priv;

	if (!rq)
		return;
	/* Operations still in flight (a drain cut short) name @rq: wait
	 * for them (each ends within the stall bound); their requests are
	 * not answered any more. */
	while (rq->busy) {
		struct pollfd pfd = { .fd = rq->efd, .events = POLLIN };
		struct bb_req *list;

		if (poll(&pfd, 1, 1000) < 0 && errno != EINTR)
			break;
		rbd_poll_done(q, pfd.revents);
		/* Pairs with the unlock in op_done(). */
		pthread_mutex_lock(&rq->lock);
		list = rq->done;
		rq->done = NULL;
		pthread_mutex_unlock(&rq->lock);
		for (; list; list = list->eng_next)
			rq->busy--;
	}
	close(rq->efd);
	pthread_mutex_destroy(&rq->lock);
	free(rq);
	q->eng_priv = NULL;
}

/* Passed to librbd as the completion's argument. */
struct rbd_op {
	struct rbd_q *rq;
	struct bb_req *r;
};

/* librbd's completion callback: on one of librbd's threads. */
static void op_done(rbd_completion_t c, void *arg)
{
	struct rbd_op *op = arg;
	struct bb_req *r = op->r;
	struct rbd_q *rq = op->rq;
	ssize_t res = lib.rbd_aio_get_return_value(c);
	uint64_t one = 1;

	lib.rbd_aio_release(c);
	free(op);
	if (res < 0 && !r->eng_err)
		r->eng_err = res == -EOPNOTSUPP ? -EOPNOTSUPP : -EIO;
	/* The mutex orders our writes to *r before the queue's thread
	 * reads them after taking the same lock in rbd_reap(). */
	pthread_mutex_lock(&rq->lock);
	r->eng_next = rq->done;
	rq->done = r;
	pthread_mutex_unlock(&rq->lock);
	/* Fails only when the counter would overflow: a wake-up is
	 * pending then anyway. */
	if (write(rq->efd, &one, sizeof(one)) != sizeof(one))
		return;
}

/* Start @r's current step; 0 or -errno (nothing in flight). */
static int start(struct bb_queue *q, struct bb_req *r)
{
	struct rbd_dev *rd = q->dev->eng_priv;
	struct rbd_q *rq = q->eng_priv;
	uint64_t off = r->p.sector * 512;
	rbd_completion_t c;
	struct rbd_op *op;
	int rc;

	op = malloc(sizeof(*op));
	if (!op)
		return -ENOMEM;
	op->rq = rq;
	op->r = r;
	rc = lib.rbd_aio_create_completion(op, op_done, &c);
	if (rc) {
		free(op);
		return rc;
	}
	switch (r->p.kind) {
	case BB_READ:
		rc = lib.rbd_aio_readv(rd->image, r->iov, (int)r->niov, off,
				       c);
		break;
	case BB_WRITE:
		rc = lib.rbd_aio_writev(rd->image, r->iov, (int)r->niov, off,
					c);
		break;
	case BB_FLUSH:
		if (r->p.nseg && !r->eng_stage)
			rc = lib.rbd_aio_writev(rd->image, r->iov,
						(int)r->niov, off, c);
		else
			rc = lib.rbd_aio_flush(rd->image, c);
		break;
	case BB_DISCARD:
		rc = lib.rbd_aio_discard(rd->image, off,
					 r->p.nr_sectors * 512, c);
		break;
	default:
		rc = -EOPNOTSUPP;
		break;
	}
	if (rc < 0) {
		lib.rbd_aio_release(c);
		free(op);
		return rc;
	}
	rq->busy++;
	return 0;
}

static int rbd_submit(struct bb_queue *q, struct bb_req *r)
{
	int rc;

	r->eng_stage = 0;
	r->eng_err = 0;
	r->cqes = 1;
	rc = start(q, r);
	if (rc) {
		r->cqes = 0;
		return rc == -EOPNOTSUPP ? rc : -EIO;
	}
	return 0;
}

static void rbd_kick(struct bb_queue *q)
{
}

static unsigned rbd_reap(struct bb_queue *q, struct bb_req **out,
			 unsigned max)
{
	struct rbd_q *rq = q->eng_priv;
	struct bb_req *list, *r;
	unsigned n = 0;

	/* Pairs with the unlock in op_done(): what the callback wrote to
	 * the requests is visible once we hold the lock. */
	pthread_mutex_lock(&rq->lock);
	list = rq->done;
	rq->done = NULL;
	pthread_mutex_unlock(&rq->lock);
	while ((r = list)) {
		list = r->eng_next;
		rq->busy--;
		if (!r->eng_err && r->p.kind == BB_FLUSH && r->p.nseg &&
		    !r->eng_stage) {
			/* The data is written: now the flush. */
			r->eng_stage = 1;
			r->eng_err = start(q, r);
			if (!r->eng_err)
				continue;
			r->eng_err = -EIO;
		}
		if (n == max) {
			/* No room: back on the list for the next pass. */
			rq->busy++;
			pthread_mutex_lock(&rq->lock);
			r->eng_next = rq->done;
			rq->done = r;
			pthread_mutex_unlock(&rq->lock);
			continue;
		}
		r->err = r->eng_err;
		r->cqes = 0;
		out[n++] = r;
	}
	return n;
}

static int rbd_ready(struct bb_queue *q)
{
	struct rbd_q *rq = q->eng_priv;
	int any;

	pthread_mutex_lock(&rq->lock);
	any = rq->done != NULL;
	pthread_mutex_unlock(&rq->lock);
	return any;
}

static int rbd_poll_fd(struct bb_queue *q, short *events)
{
	struct rbd_q *rq = q->eng_priv;

	*events = POLLIN;
	return rq->efd;
}

static void rbd_poll_done(struct bb_queue *q, short revents)
{
	struct rbd_q *rq = q->eng_priv;
	uint64_t v;

	if ((revents & POLLIN) && read(rq->efd, &v, sizeof(v)) < 0)
		return;
}

static int rbd_timeout_ms(struct bb_queue *q)
{
	return -1;
}

/* Every operation ends within the stall bound (rados_osd_op_timeout). */
static int rbd_wait(struct bb_queue *q)
{
	struct rbd_q *rq = q->eng_priv;
	struct pollfd pfd = { .fd = rq->efd, .events = POLLIN };

	if (!rq->busy)
		return -ECANCELED;
	while (!rbd_ready(q)) {
		if (poll(&pfd, 1, 1000) < 0 && errno != EINTR)
			return -errno;
		rbd_poll_done(q, pfd.revents);
	}
	return 0;
}

const struct bb_engine_ops bb_engine_rbd = {
	.name = "rbd",
	.open = rbd_eng_open,
	.close = rbd_eng_close,
	.queue_open = rbd_queue_open,
	.queue_close = rbd_queue_close,
	.submit = rbd_submit,
	.kick = rbd_kick,
	.reap = rbd_reap,
	.ready = rbd_ready,
	.poll_fd = rbd_poll_fd,
	.poll_done = rbd_poll_done,
	.timeout_ms = rbd_timeout_ms,
	.wait = rbd_wait,
};

#endif /* DUET_HAVE_LIBRBD */

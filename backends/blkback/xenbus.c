/* SPDX-License-Identifier: MIT */
/*
 * xenbus.c - blkback's XenBus end: serve(), the nodes it reads and
 * writes, connecting and disconnecting queues.
 *
 * The nodes (who writes each, values, defaults): duet/blkif.h.
 *
 * The main thread owns xenstore and the XenBus state and waits on the
 * xenstore fd, ctx->stop_fd and dev->fail_fd (a queue's violation).
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "backends/blkback/common.h"
#include "duet/log.h"

#define SELF_TOKEN "blkback:self"

unsigned bb_map_threshold_override;

void bb_broken(struct bb_dev *dev, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	duet_xenbus_vbroken(dev->xb, fmt, ap);
	va_end(ap);
}

/* ------------------------------------------------------------------ */
/* The backing store                                                   */
/* ------------------------------------------------------------------ */

/*
 * A local failure the toolstack should see, written where Linux's
 * xenbus_dev_error() writes it: /local/domain/<self>/error/<dir below
 * the domain path>/error = "<errno> <message>".
 */
static void dev_error(struct bb_dev *dev, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void dev_error(struct bb_dev *dev, int err, const char *fmt, ...)
{
	const struct duet_backend_ctx *ctx = dev->ctx;
	char msg[512], path[600];
	const char *rel = ctx->dir;
	va_list ap;
	int n;

	n = snprintf(path, sizeof(path), "/local/domain/%u/",
		     ctx->self_domid);
	if (!strncmp(rel, path, (size_t)n))
		rel += n;
	snprintf(path + n, sizeof(path) - (size_t)n, "error/%s/error", rel);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	duet_xs_printf(ctx->xs, DUET_XS_NO_TX, path, "%d %s", -err, msg);
}

static int parse_hex(const char *s, const char *end, unsigned *out)
{
	unsigned long v = 0;

	if (s == end || end - s > 8)
		return -EINVAL;
	for (; s < end; s++) {
		int c = *s;

		if (c >= '0' && c <= '9')
			v = v * 16 + (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v * 16 + (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v = v * 16 + (unsigned)(c - 'A' + 10);
		else
			return -EINVAL;
	}
	*out = (unsigned)v;
	return 0;
}

/*
 * Without udev there is no /dev/block/MAJ:MIN: use the kernel's device
 * name from sysfs (devtmpfs creates /dev/<DEVNAME>).  @path is left as it
 * is when sysfs does not know the device.
 */
static void devname_path(unsigned maj, unsigned min, char *path, size_t len)
{
	char line[256], *nl;
	FILE *f;

	snprintf(line, sizeof(line), "/sys/dev/block/%u:%u/uevent", maj, min);
	f = fopen(line, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "DEVNAME=", 8) || strstr(line, ".."))
			continue;
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		snprintf(path, len, "/dev/%s", line + 8);
		break;
	}
	fclose(f);
}

/*
 * Find the store's path: physical-device (phy) first, then params.
 * Returns 0, -EAGAIN when neither node exists yet, -errno otherwise.
 */
static int store_path(struct bb_dev *dev, char *path, size_t len)
{
	const struct duet_backend_ctx *ctx = dev->ctx;
	char buf[4096], *colon;
	unsigned maj, min;
	int rc;

	rc = duet_xenbus_read_str(ctx->xs, ctx->dir, "physical-device", buf,
				  sizeof(buf));
	if (rc >= 0) {
		colon = strchr(buf, ':');
		if (!colon || parse_hex(buf, colon, &maj) ||
		    parse_hex(colon + 1, buf + rc, &min))
			return -EINVAL;
		snprintf(path, len, "/dev/block/%u:%u", maj, min);
		if (access(path, F_OK))
			devname_path(maj, min, path, len);
		return 0;
	}
	if (rc != -ENOENT)
		return rc;
	rc = duet_xenbus_read_str(ctx->xs, ctx->dir, "params", buf,
				  sizeof(buf));
	if (rc == -ENOENT)
		return -EAGAIN;
	if (rc < 0)
		return rc;
	if (!rc)
		return -EAGAIN; /* an empty cdrom drive: wait for media */
	if (!strcmp(ctx->type, "qdisk") && buf[0] != '/' &&
	    !bb_nbd_is_uri(buf) && !bb_rbd_is_target(buf) &&
	    (colon = strchr(buf, ':'))) {
		*colon = '\0';
		if (strcmp(buf, "aio") && strcmp(buf, "raw")) {
			dev_error(dev, -EOPNOTSUPP, "format %s is not "
				  "supported (raw only)", buf);
			return -EOPNOTSUPP;
		}
		memmove(buf, colon + 1, strlen(colon + 1) + 1);
	}
	if ((size_t)snprintf(path, len, "%s", buf) >= len)
		return -E2BIG;
	return 0;
}

static int store_open(struct bb_dev *dev, unsigned *info)
{
	const struct duet_backend_ctx *ctx = dev->ctx;
	char path[4096], mode[16], dtype[16], why[512], dma[32];
	const struct bb_engine_caps *caps = &dev->caps;
	int rc, ro = 0, discard_enable = 1;
	uint64_t de;

	rc = store_path(dev, path, sizeof(path));
	if (rc)
		return rc;
	rc = duet_xenbus_read_str(ctx->xs, ctx->dir, "mode", mode,
				  sizeof(mode));
	if (rc >= 0)
		ro = !strchr(mode, 'w');
	else if (rc != -ENOENT)
		return rc;
	rc = duet_xenbus_read_str(ctx->xs, ctx->dir, "device-type", dtype,
				  sizeof(dtype));
	*info = rc >= 0 && !strcmp(dtype, "cdrom") ?
			VDISK_CDROM | VDISK_REMOVABLE : 0;
	rc = duet_xenbus_read_uint(ctx->xs, ctx->dir, "discard-enable", 1, 1,
				   &de);
	if (rc >= 0)
		discard_enable = (int)de;
	dev->eng = bb_engine_for(path);
	why[0] = '\0';
	rc = dev->eng->open(dev, path, ro, &dev->caps, why, sizeof(why));
	if (rc) {
		dev_error(dev, rc, "%s", why[0] ? why : strerror(-rc));
		duet_log(DUET_LOG_ERR, "blkback: %s: %s", ctx->dir,
			 why[0] ? why : strerror(-rc));
		dev->eng = NULL;
		return rc;
	}
	/* A DMA backend puts the emulated block controller over the store's
	 * descriptor: files and block devices only. */
	rc = bb_dma_name(dev, dma, sizeof(dma));
	if (rc > 0 && dev->eng != &bb_engine_uring &&
	    dev->eng != &bb_engine_inline) {
		dev_error(dev, -EOPNOTSUPP, "DMA backend %s: the %s engine "
			  "has no store a device can read", dma,
			  dev->eng->name);
		rc = -EOPNOTSUPP;
	} else if (rc > 0) {
		rc = bb_dma_open(dev, dma);
		if (rc < 0)
			dev_error(dev, rc, "DMA backend: %s", strerror(-rc));
	}
	if (rc < 0) {
		dev->eng->close(dev);
		dev->eng = NULL;
		return rc;
	}
	if (caps->readonly && !ro)
		duet_log(DUET_LOG_WARN, "blkback: %s: the storage is "
			 "read-only: serving it read-only", ctx->dir);
	ro |= caps->readonly;
	if (ro)
		*info |= VDISK_READONLY;
	dev->lim.sectors = caps->size / 512;
	dev->lim.sector_size = caps->sector_size;
	dev->lim.sectors -= dev->lim.sectors % (caps->sector_size / 512);
	dev->lim.max_indirect = BB_MAX_INDIRECT_SEGS;
	dev->lim.readonly = !!ro;
	dev->lim.flush = caps->flush;
	dev->lim.barrier = caps->barrier;
	/* The DMA controller has no discard command (dma.c). */
	dev->lim.discard = caps->discard && discard_enable && !ro && !dev->dma;
	/* discard-secure: a block device that takes BLKSECDISCARD; a file
	 * never (a punched hole leaves the old blocks to the file system). */
	dev->lim.discard_secure = dev->lim.discard && caps->discard_secure;
	if (caps->max_queues && caps->max_queues < dev->nr_queues_max)
		dev->nr_queues_max = caps->max_queues;
	return 0;
}

/*
 * The header comment's nodes: @store 0, those written before InitWait;
 * 1, those known once the storage is open.
 */
static int publish(struct bb_dev *dev, unsigned info, int store)
{
	const struct duet_backend_ctx *ctx = dev->ctx;
	struct {
		const char *node;
		unsigned long long val;
		int when;
		int store;
	} nodes[] = {
		{ "feature-max-indirect-segments", BB_MAX_INDIRECT_SEGS, 1,
		  0 },
		{ "max-ring-page-order", DUET_XENBUS_MAX_RING_ORDER, 1, 0 },
		{ "max-ring-pages", DUET_XENBUS_MAX_RING_PAGES, 1, 0 },
		{ "multi-queue-max-queues", dev->nr_queues_max, 1, 0 },
		{ "feature-persistent", 1, 1, 0 },
		{ "feature-flush-cache", dev->lim.flush, 1, 1 },
		{ "feature-barrier", dev->lim.barrier, 1, 1 },
		{ "feature-discard", dev->lim.discard, 1, 1 },
		{ "discard-granularity", dev->caps.discard_granularity,
		  dev->lim.discard, 1 },
		{ "discard-alignment", 0, dev->lim.discard, 1 },
		{ "discard-secure", dev->lim.discard_secure, dev->lim.discard,
		  1 },
		{ "sectors", dev->lim.sectors, 1, 1 },
		{ "sector-size", dev->caps.sector_size, 1, 1 },
		{ "physical-sector-size", dev->caps.phys_sector_size, 1, 1 },
		{ "info", info, 1, 1 },
	};
	unsigned i;
	int rc;

	for (i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++) {
		if (!nodes[i].when || nodes[i].store != store)
			continue;
		rc = duet_xenbus_printf(ctx->xs, DUET_XS_NO_TX, ctx->dir,
					nodes[i].node, "%llu", nodes[i].val);
		if (rc)
			return rc;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Queues                                                              */
/* ------------------------------------------------------------------ */

static void queue_release(struct bb_dev *dev, struct bb_queue *q)
{
	struct duet_platform *p = dev->ctx->platform;
	unsigned i;

	if (q->eng_open)
		dev->eng->queue_close(q);
	q->eng_open = 0;
	if (q->efd >= 0)
		close(q->efd);
	q->efd = -1;
	bb_pgcache_destroy(dev, &q->pgc);
	if (q->reqs) {
		for (i = 0; i < q->nreqs; i++)
			if (q->reqs[i].bounce)
				munmap(q->reqs[i].bounce,
				       q->reqs[i].bounce_cap);
		free(q->reqs);
		q->reqs = NULL;
	}
	free(q->id_bucket);
	q->id_bucket = NULL;
	free(q->copy);
	free(q->copy_req);
	q->copy = NULL;
	q->copy_req = NULL;
	duet_evtchn_close(q->evtchn);
	q->evtchn = NULL;
	duet_ring_detach(q->ring);
	q->ring = NULL;
	if (q->sring)
		duet_gnt_unmap(p, q->sring, 1u << q->order);
	q->sring = NULL;
}

static int queue_setup(struct bb_dev *dev, const char *fe,
		       struct bb_queue *q)
{
	struct duet_platform *p = dev->ctx->platform;
	char qdir[512];
	uint64_t port;
	unsigned i;
	int rc;

	rc = duet_xenbus_queue_dir(qdir, sizeof(qdir), fe, dev->nqueues,
				   q->index);
	if (rc < 0)
		return rc;
	rc = duet_xenbus_read_queue_ring_refs(dev->ctx->xs, fe, qdir,
					      DUET_XENBUS_MAX_RING_ORDER,
					      q->refs, &q->order);
	if (rc) {
		bb_broken(dev, "queue %u: bad ring refs (%d)",
			  q->index, rc);
		return rc;
	}
	rc = duet_xenbus_read_uint(dev->ctx->xs, qdir, "event-channel", 0,
				   UINT32_MAX, &port);
	if (rc <= 0) {
		bb_broken(dev, "queue %u: bad event-channel",
			  q->index);
		return rc ? rc : -ENOENT;
	}
	q->remote_port = (unsigned)port;
	rc = duet_gnt_map(p, (duet_domid_t)dev->fe_domid, 1u << q->order,
			  q->refs, 0, &q->sring);
	if (rc) {
		q->sring = NULL;
		bb_broken(dev, "queue %u: cannot map the ring "
			  "(%d)", q->index, rc);
		return rc;
	}
	rc = duet_ring_attach(duet_ring_desc_get(dev->rtype),
			      DUET_RING_BACK, q->sring, q->order, &q->ring);
	if (rc)
		return rc;
	rc = duet_evtchn_open(p, &q->evtchn);
	if (rc)
		return rc;
	rc = duet_evtchn_bind(q->evtchn, (duet_domid_t)dev->fe_domid,
			      q->remote_port);
	if (rc < 0) {
		bb_broken(dev, "queue %u: cannot bind event "
			  "channel %u (%d)", q->index,
			  q->remote_port, rc);
		return rc;
	}
	q->port = rc;
	q->nreqs = duet_ring_size(q->ring);
	q->reqs = calloc(q->nreqs, sizeof(*q->reqs));
	q->id_bucket = calloc(BB_ID_BUCKETS, sizeof(*q->id_bucket));
	if (!q->reqs || !q->id_bucket)
		return -ENOMEM;
	for (i = 0; i < q->nreqs; i++) {
		q->reqs[i].slot = i;
		q->reqs[i].next_free = i + 1 < q->nreqs ? &q->reqs[i + 1] :
							  NULL;
	}
	q->free = &q->reqs[0];
	rc = bb_pgcache_init(&q->pgc, BB_MAX_PGRANTS);
	if (rc)
		return rc;
	q->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (q->efd < 0)
		return -errno;
	rc = dev->eng->queue_open(q);
	if (rc)
		return rc;
	q->eng_open = 1;
	return 0;
}

static void disconnect(struct bb_dev *dev)
{
	uint64_t one = 1;
	unsigned i;

	for (i = 0; i < dev->nqueues; i++) {
		struct bb_queue *q = &dev->q[i];

		if (!q->thread_started)
			continue;
		atomic_store(&q->stop, 1);
		/* Fails only when a wake-up is pending already. */
		if (write(q->efd, &one, sizeof(one)) != sizeof(one))
			atomic_store(&q->stop, 1);
		pthread_join(q->thread, NULL);
		q->thread_started = 0;
	}
	for (i = 0; i < dev->nqueues; i++)
		queue_release(dev, &dev->q[i]);
	free(dev->q);
	dev->q = NULL;
	dev->nqueues = 0;
}

/* CONNECT: read the frontend's nodes, map rings, bind, start threads. */
/* persistent-grant-unused-seconds, or the default. */
static uint64_t unused_seconds(struct bb_dev *dev)
{
	uint64_t v;
	int rc;

	rc = duet_xenbus_read_uint(dev->ctx->xs, dev->ctx->dir,
				   "persistent-grant-unused-seconds",
				   BB_PGRANT_UNUSED_S,
				   BB_PGRANT_UNUSED_MAX_S, &v);
	if (rc >= 0 && v)
		return v;
	duet_log(DUET_LOG_WARN, "blkback: %s: bad "
		 "persistent-grant-unused-seconds, using %u", dev->ctx->dir,
		 BB_PGRANT_UNUSED_S);
	return BB_PGRANT_UNUSED_S;
}

static int connect_queues(struct bb_dev *dev)
{
	struct duet_xs *xs = dev->ctx->xs;
	const char *fe = duet_xenbus_peer_dir(dev->xb);
	char proto[32];
	uint64_t nq;
	unsigned i;
	int rc, persistent, type;

	dev->fe_domid = duet_xenbus_peer_domid(dev->xb);
	rc = duet_xenbus_read_str(xs, fe, "protocol", proto, sizeof(proto));
	if (rc < 0 && rc != -ENOENT) {
		bb_broken(dev, "bad protocol node (%d)", rc);
		return rc;
	}
	type = duet_blkif_ring_type(rc >= 0 ? proto : NULL);
	if (type < 0) {
		bb_broken(dev, "frontend ABI \"%s\" is not "
			  "supported", proto);
		return -EPROTONOSUPPORT;
	}
	dev->rtype = (enum duet_ring_type)type;
	rc = duet_xenbus_read_uint(xs, fe, "multi-queue-num-queues", 1,
				   dev->nr_queues_max, &nq);
	if (rc < 0 || !nq) {
		bb_broken(dev, "bad multi-queue-num-queues "
			  "(max %u)", dev->nr_queues_max);
		return -EINVAL;
	}
	if (dev->caps.max_queues && nq > dev->caps.max_queues) {
		/* Only when the storage appeared after InitWait. */
		bb_broken(dev, "%llu queues asked for, the storage allows "
			  "%u", (unsigned long long)nq, dev->caps.max_queues);
		return -EINVAL;
	}
	rc = duet_xenbus_read_bool(xs, fe, "feature-persistent", 0,
				   &persistent);
	if (rc < 0) {
		bb_broken(dev, "bad feature-persistent");
		return rc;
	}
	dev->persistent = persistent;
	dev->pgrant_idle_ns = unused_seconds(dev) * 1000000000ull;
	dev->map_threshold =
		bb_map_threshold_override ?
			bb_map_threshold_override :
		!strcmp(duet_platform_name(dev->ctx->platform), "sim") ?
			BB_MAP_NEVER :
			BB_MAP_THRESHOLD_XEN;
	dev->q = calloc(nq, sizeof(*dev->q));
	if (!dev->q)
		return -ENOMEM;
	dev->nqueues = (unsigned)nq;
	for (i = 0; i < dev->nqueues; i++) {
		dev->q[i].dev = dev;
		dev->q[i].index = i;
		dev->q[i].efd = -1;
		dev->q[i].port = -1;
	}
	for (i = 0; i < dev->nqueues; i++) {
		rc = queue_setup(dev, fe, &dev->q[i]);
		if (rc)
			goto err;
	}
	for (i = 0; i < dev->nqueues; i++) {
		rc = -pthread_create(&dev->q[i].thread, NULL,
				     bb_queue_thread, &dev->q[i]);
		if (rc)
			goto err;
		dev->q[i].thread_started = 1;
	}
	return 0;
err:
	disconnect(dev);
	return rc;
}

/* ------------------------------------------------------------------ */
/* serve()                                                             */
/* ------------------------------------------------------------------ */

/* The handshake's callbacks (duet_xenbus_run()). */
static int xb_connect(void *arg)
{
	struct bb_dev *dev = arg;
	int rc;

	/* CONNECT waits for the storage (physical-device may come late). */
	if (!dev->opened)
		return 1;
	rc = connect_queues(dev);
	if (rc) {
		if (!duet_xenbus_is_broken(dev->xb))
			bb_broken(dev, "cannot connect: %d", rc);
		return 0;
	}
	dev->connected = 1;
	return duet_xenbus_switch(dev->xb, DUET_XENBUS_CONNECTED);
}

static void xb_disconnect(void *arg, int gone)
{
	struct bb_dev *dev = arg;

	disconnect(dev);
	dev->connected = 0;
}

static const struct duet_xenbus_ops xb_ops = {
	.connect = xb_connect,
	.disconnect = xb_disconnect,
};

static void report_failure(struct bb_dev *dev)
{
	char msg[sizeof(dev->fail_msg)];
	uint64_t v;

	if (read(dev->fail_fd, &v, sizeof(v)) != sizeof(v))
		return;
	pthread_mutex_lock(&dev->fail_lock);
	memcpy(msg, dev->fail_msg, sizeof(msg));
	dev->fail_msg[0] = '\0';
	pthread_mutex_unlock(&dev->fail_lock);
	if (msg[0])
		bb_broken(dev, "%s", msg);
}

/* Publish the device's counters for `duet status` (best effort). */
static void publish_stats(struct bb_dev *dev, int connected)
{
	unsigned long long reqs = 0, errs = 0, rd = 0, wr = 0, pg = 0;
	unsigned i;

	for (i = 0; connected && i < dev->nqueues; i++) {
		struct bb_queue *q = &dev->q[i];

		reqs += atomic_load_explicit(&q->st_reqs, memory_order_relaxed);
		errs += atomic_load_explicit(&q->st_errors,
					     memory_order_relaxed);
		rd += atomic_load_explicit(&q->st_read, memory_order_relaxed);
		wr += atomic_load_explicit(&q->st_written,
					   memory_order_relaxed);
		pg += atomic_load_explicit(&q->st_pgrants,
					   memory_order_relaxed);
	}
	{
		struct duet_backend_stat st[8 + BB_DMA_NSTATS] = {
			{ "connected", (unsigned long long)connected },
			{ "queues", connected ? dev->nqueues : 0 },
			{ "persistent", connected ? (unsigned)dev->persistent
						  : 0 },
			{ "requests", reqs },
			{ "errors", errs },
			{ "bytes-read", rd },
			{ "bytes-written", wr },
			{ "persistent-grants", pg },
		};
		unsigned n = 8;

		bb_dma_stats(dev, st, &n);
		duet_backend_stats_write(dev->ctx, st, n);
	}
}

static unsigned default_queues(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < (long)BB_MIN_ADVERTISED_QUEUES)
		n = BB_MIN_ADVERTISED_QUEUES;
	if (n > (long)BB_MAX_QUEUES)
		n = BB_MAX_QUEUES;
	return (unsigned)n;
}

static void drain_watches(struct duet_xs *xs)
{
	char *path, *token;

	while (duet_xs_read_watch(xs, &path, &token) > 0)
		free(path);
}

int duet_blkback_serve(const struct duet_backend_ctx *ctx)
{
	struct bb_dev *dev;
	int rc, was, early;
	unsigned info = 0;

	if (!ctx || !ctx->xs || !ctx->platform || !ctx->dir || !ctx->type)
		return -EINVAL;
	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return -ENOMEM;
	dev->ctx = ctx;
	dev->store.fd = -1;
	dev->store.dfd = -1;
	dev->nr_queues_max = default_queues();
	pthread_mutex_init(&dev->plat_lock, NULL);
	pthread_mutex_init(&dev->fail_lock, NULL);
	dev->fail_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (dev->fail_fd < 0) {
		rc = -errno;
		goto out_free;
	}
	rc = duet_xenbus_open(ctx->xs, DUET_XENBUS_BACKEND, ctx->dir,
			      &dev->xb);
	if (rc)
		goto out_fd;
	/* Our own nodes: params/physical-device appearing, state, online. */
	rc = duet_xs_watch(ctx->xs, ctx->dir, SELF_TOKEN);
	if (rc)
		goto out_xb;
	/* Open the storage now when it is named already (always for
	 * qdisk), so that multi-queue-max-queues can say what it allows. */
	early = store_open(dev, &info);
	rc = 0;
	if (!early) {
		dev->opened = 1;
		rc = publish(dev, info, 1);
	}
	if (!rc)
		rc = publish(dev, 0, 0);
	if (!rc)
		rc = duet_xenbus_backend_start(dev->xb);
	if (rc)
		goto out_unwatch;

	for (;;) {
		struct pollfd pfd[3] = {
			{ .fd = duet_xs_fd(ctx->xs), .events = POLLIN },
			{ .fd = ctx->stop_fd, .events = POLLIN },
			{ .fd = dev->fail_fd, .events = POLLIN },
		};

		if (!dev->opened) {
			rc = early && early != -EAGAIN ? early :
							 store_open(dev, &info);
			early = 0;
			if (!rc) {
				rc = publish(dev, info, 1);
				if (rc)
					break;
				dev->opened = 1;
			} else if (rc != -EAGAIN) {
				/* A local failure, logged and in the error
				 * node already: not the frontend's fault. */
				duet_xenbus_switch(dev->xb,
						   DUET_XENBUS_CLOSING);
				break;
			}
		}
		was = dev->connected;
		rc = duet_xenbus_run(dev->xb, &xb_ops, dev, &dev->connected,
				     NULL);
		if (rc < 0)
			break;
		if (rc > 0) {
			rc = 0;
			break;
		}
		if (was != dev->connected)
			publish_stats(dev, dev->connected);
		rc = poll(pfd, 3, dev->connected ? 2000 : -1);
		if (!rc) {
			publish_stats(dev, dev->connected);
			continue;
		}
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		if (pfd[1].revents) {
			rc = 0;
			break;
		}
		if (pfd[2].revents & POLLIN)
			report_failure(dev);
		if (pfd[0].revents)
			drain_watches(ctx->xs);
	}
	if (dev->connected)
		disconnect(dev);
out_unwatch:
	duet_xs_unwatch(ctx->xs, ctx->dir, SELF_TOKEN);
out_xb:
	duet_xenbus_close(dev->xb);
out_fd:
	close(dev->fail_fd);
out_free:
	bb_dma_close(dev);
	if (dev->eng)
		dev->eng->close(dev);
	pthread_mutex_destroy(&dev->plat_lock);
	pthread_mutex_destroy(&dev->fail_lock);
	free(dev);
	return rc;
}

/*
 * Both types serve raw disks the same way; no DUET_BACKEND_RESTRICT: on
 * Xen 4.17 restricting disables gntdev, and blkback maps and copies.
 */
const struct duet_backend_type duet_blkback_type_vbd = {
	.name = "vbd",
	.flags = 0,
	.serve = duet_blkback_serve,
};

const struct duet_backend_type duet_blkback_type_qdisk = {
	.name = "qdisk",
	.flags = 0,
	.serve = duet_blkback_serve,
};

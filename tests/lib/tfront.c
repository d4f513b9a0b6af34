/* SPDX-License-Identifier: MIT */
/*
 * tfront.c - the test code declared in tfront.h, built once into
 * libduet-test.a.
 */
#include "lib/tfront.h"

static void *tback_main(void *arg)
{
	struct tback *b = arg;

	b->rc = duet_blkback_serve(&b->ctx);
	return NULL;
}

int tback_start(struct tback *b, struct duet_platform *p,
		struct duet_xs *xs, const char *type,
		unsigned be_domid, unsigned fe_domid,
		unsigned devid)
{
	memset(b, 0, sizeof(*b));
	snprintf(b->type, sizeof(b->type), "%s", type);
	snprintf(b->dir, sizeof(b->dir),
		 "/local/domain/%u/backend/%s/%u/%u", be_domid, type,
		 fe_domid, devid);
	if (pipe(b->stop))
		return -errno;
	b->ctx.platform = p;
	b->ctx.xs = xs;
	b->ctx.type = b->type;
	b->ctx.dir = b->dir;
	b->ctx.self_domid = be_domid;
	b->ctx.frontend_domid = fe_domid;
	b->ctx.devid = devid;
	b->ctx.stop_fd = b->stop[0];
	if (pthread_create(&b->th, NULL, tback_main, b))
		return -EAGAIN;
	b->running = 1;
	return 0;
}

int tback_stop(struct tback *b)
{
	if (!b->running)
		return b->rc;
	if (write(b->stop[1], "x", 1) != 1)
		return -EIO;
	pthread_join(b->th, NULL);
	b->running = 0;
	close(b->stop[0]);
	close(b->stop[1]);
	return b->rc;
}

int tf_attach_disk(struct duet_xs *xs0, unsigned fe_domid,
		   const char *spec, int *devid)
{
	struct duet_xl_disk d;
	char err[128];
	int rc;

	rc = duet_xl_disk_parse(spec, &d, err, sizeof(err));
	if (rc) {
		printf("# bad disk spec %s: %s\n", spec, err);
		return rc;
	}
	rc = duet_xl_disk_attach(xs0, fe_domid, &d, devid);
	duet_xl_disk_release(&d);
	return rc;
}

static uint64_t tf_be_uint(struct tfront *f, const char *node,
			   uint64_t def)
{
	uint64_t v = def;

	duet_xenbus_read_uint(f->xs, duet_xenbus_peer_dir(f->xb), node, def,
			      UINT64_MAX, &v);
	return v;
}

/* The frontend speaks the 32-bit x86 ABI (108-byte requests). */
static int tf_x86_32(const struct tfront *f)
{
	return f->o.protocol && !strcmp(f->o.protocol, "x86_32-abi");
}

static int tf_queue_setup(struct tfront *f, unsigned qi)
{
	struct tf_queue *q = calloc(1, sizeof(*q));
	char qdir[256], path[320];
	unsigned i;
	int rc;

	if (!q)
		return -ENOMEM;
	f->q[qi] = q;
	rc = duet_gnt_share(f->p, (duet_domid_t)f->be_domid, 1u << f->o.order,
			    0, q->refs, &q->sring);
	if (rc)
		return rc;
	rc = duet_ring_attach(duet_ring_desc_get(tf_x86_32(f) ?
						 DUET_RING_BLKIF_X86_32 :
						 DUET_RING_BLKIF),
			      DUET_RING_FRONT, q->sring, f->o.order, &q->ring);
	if (rc)
		return rc;
	q->size = duet_ring_size(q->ring);
	for (i = 0; i < TF_POOL_PAGES / TF_POOL_CHUNK; i++) {
		rc = duet_gnt_share(f->p, (duet_domid_t)f->be_domid,
				    TF_POOL_CHUNK, 0,
				    q->pool_refs + i * TF_POOL_CHUNK,
				    (void **)&q->pool[i]);
		if (rc)
			return rc;
	}
	for (i = 0; i < TF_POOL_PAGES; i++)
		q->freep[i] = TF_POOL_PAGES - 1 - i;
	q->nfree = TF_POOL_PAGES;
	rc = duet_evtchn_open(f->p, &q->ev);
	if (rc)
		return rc;
	q->port = duet_evtchn_alloc_unbound(q->ev, (duet_domid_t)f->be_domid);
	if (q->port < 0)
		return q->port;
	duet_xenbus_queue_dir(qdir, sizeof(qdir), f->dir, f->nq, qi);
	if (f->nq == 1) {
		rc = duet_xenbus_write_ring_refs(f->xs, DUET_XS_NO_TX, qdir,
						 q->refs, f->o.order);
	} else if (!f->o.order) {
		snprintf(path, sizeof(path), "%s/ring-ref", qdir);
		rc = duet_xs_printf(f->xs, DUET_XS_NO_TX, path, "%u",
				    q->refs[0]);
	} else {
		/* Linux's layout: ring-page-order at the top (written by
		 * the caller), ring-refN under queue-N. */
		for (i = 0, rc = 0; i < (1u << f->o.order) && !rc; i++) {
			snprintf(path, sizeof(path), "%s/ring-ref%u", qdir, i);
			rc = duet_xs_printf(f->xs, DUET_XS_NO_TX, path, "%u",
					    q->refs[i]);
		}
	}
	if (rc)
		return rc;
	snprintf(path, sizeof(path), "%s/event-channel", qdir);
	return duet_xs_printf(f->xs, DUET_XS_NO_TX, path, "%d", q->port);
}

static void tf_queue_free(struct tfront *f, unsigned qi)
{
	struct tf_queue *q = f->q[qi];
	unsigned i;

	if (!q)
		return;
	duet_evtchn_close(q->ev);
	duet_ring_detach(q->ring);
	/* The backend may still hold mappings (-EBUSY) while it
	 * disconnects (persistent grants stay mapped until then): wait up to
	 * 5 s for it, then leak them. */
	for (i = 0; i < TF_POOL_PAGES / TF_POOL_CHUNK; i++) {
		unsigned tries = 0;

		while (q->pool[i] &&
		       duet_gnt_unshare(f->p, q->pool[i], TF_POOL_CHUNK) ==
			       -EBUSY &&
		       tries++ < 500)
			usleep(10000);
	}
	if (q->sring)
		duet_gnt_unshare(f->p, q->sring, 1u << f->o.order);
	free(q);
	f->q[qi] = NULL;
}

static int tf_connect(struct tfront *f)
{
	char path[256];
	unsigned i;
	int rc;

	/* A reconnect starts with fresh rings (no request is re-issued). */
	for (i = 0; i < TF_MAX_QUEUES; i++)
		tf_queue_free(f, i);
	f->max_order = (unsigned)tf_be_uint(f, "max-ring-page-order", 0);
	f->max_queues = (unsigned)tf_be_uint(f, "multi-queue-max-queues", 1);
	if (f->o.order > f->max_order || f->nq > f->max_queues)
		return -EINVAL;
	snprintf(path, sizeof(path), "%s/protocol", f->dir);
	rc = duet_xs_write(f->xs, DUET_XS_NO_TX, path,
			   f->o.protocol ? f->o.protocol : "x86_64-abi");
	snprintf(path, sizeof(path), "%s/feature-persistent", f->dir);
	rc = rc ? rc : duet_xs_printf(f->xs, DUET_XS_NO_TX, path, "%d",
				      f->o.persistent);
	if (f->nq > 1) {
		snprintf(path, sizeof(path), "%s/multi-queue-num-queues",
			 f->dir);
		rc = rc ? rc : duet_xs_printf(f->xs, DUET_XS_NO_TX, path,
					      "%u", f->nq);
		if (f->o.order) {
			snprintf(path, sizeof(path), "%s/ring-page-order",
				 f->dir);
			rc = rc ? rc : duet_xs_printf(f->xs, DUET_XS_NO_TX,
						      path, "%u", f->o.order);
		}
	}
	for (i = 0; i < f->nq && !rc; i++)
		rc = tf_queue_setup(f, i);
	if (rc)
		return rc;
	return duet_xenbus_switch(f->xb, DUET_XENBUS_INITIALISED);
}

static void tf_connected(struct tfront *f)
{
	f->sectors = tf_be_uint(f, "sectors", 0);
	f->sector_size = (unsigned)tf_be_uint(f, "sector-size", 512);
	f->phys_sector_size =
		(unsigned)tf_be_uint(f, "physical-sector-size", 512);
	f->info = (unsigned)tf_be_uint(f, "info", 0);
	f->max_indirect =
		(unsigned)tf_be_uint(f, "feature-max-indirect-segments", 0);
	f->be_persistent = (int)tf_be_uint(f, "feature-persistent", 0);
	f->flush = (int)tf_be_uint(f, "feature-flush-cache", 0);
	f->barrier = (int)tf_be_uint(f, "feature-barrier", 0);
	f->discard = (int)tf_be_uint(f, "feature-discard", 0);
	f->discard_gran = tf_be_uint(f, "discard-granularity", 0);
}

/* Wait for a xenstore event up to @ms; 1 when one came. */
static int tf_xs_wait(struct duet_xs *xs, int ms)
{
	struct pollfd pfd = { .fd = duet_xs_fd(xs), .events = POLLIN };
	char *path, *token;
	int got = 0;

	if (poll(&pfd, 1, ms) <= 0)
		return 0;
	while (duet_xs_read_watch(xs, &path, &token) > 0) {
		free(path);
		got = 1;
	}
	return got;
}

int tf_drive(struct tfront *f, int want, int ms,
	     int (*until)(struct tfront *))
{
	struct timespec t0, t;
	int act;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		do {
			act = duet_xenbus_frontend_step(f->xb, f->connected,
							want);
			if (act == DUET_XENBUS_ACT_CONNECT) {
				int crc = tf_connect(f);

				if (crc) {
					printf("# frontend connect: %d\n", crc);
					duet_xenbus_switch(f->xb,
							   DUET_XENBUS_CLOSING);
					return 0;
				}
				f->connected = 1;
			} else if (act == DUET_XENBUS_ACT_CONNECTED) {
				tf_connected(f);
				duet_xenbus_switch(f->xb,
						   DUET_XENBUS_CONNECTED);
			} else if (act == DUET_XENBUS_ACT_DISCONNECT ||
				   act == DUET_XENBUS_ACT_DONE) {
				f->connected = 0;
			}
			if (until(f))
				return 1;
		} while (act > 0 && act != DUET_XENBUS_ACT_DONE);
		if (act == DUET_XENBUS_ACT_DONE || act < 0)
			return 0;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000 +
			    (t.tv_nsec - t0.tv_nsec) / 1000000 >
		    ms)
			return 0;
		tf_xs_wait(f->xs, 100);
	}
}

static int tf_is_connected(struct tfront *f)
{
	return f->connected &&
	       duet_xenbus_state(f->xb) == DUET_XENBUS_CONNECTED;
}

int tf_backend_closed(struct tfront *f)
{
	char path[256];
	uint64_t v = 0;

	snprintf(path, sizeof(path), "%s", duet_xenbus_peer_dir(f->xb));
	duet_xenbus_read_uint(f->xs, path, "state", 0, 8, &v);
	return v == DUET_XENBUS_CLOSING || v == DUET_XENBUS_CLOSED;
}

static int tf_connected_or_refused(struct tfront *f)
{
	return tf_is_connected(f) || tf_backend_closed(f);
}

int tf_open(struct tfront *f, struct duet_platform *p,
	    struct duet_xs *xs, unsigned domid, int devid,
	    const struct tf_opts *o)
{
	int rc;

	memset(f, 0, sizeof(*f));
	f->p = p;
	f->xs = xs;
	f->domid = domid;
	f->o = *o;
	f->nq = o->nqueues ? o->nqueues : 1;
	snprintf(f->dir, sizeof(f->dir), "/local/domain/%u/device/vbd/%d",
		 domid, devid);
	rc = duet_xenbus_open(xs, DUET_XENBUS_FRONTEND, f->dir, &f->xb);
	if (rc)
		return rc;
	f->be_domid = duet_xenbus_peer_domid(f->xb);
	if (!tf_drive(f, 1, 10000, tf_connected_or_refused))
		return -ETIMEDOUT;
	return tf_is_connected(f) ? 0 : -ECONNREFUSED;
}

static int tf_is_done(struct tfront *f)
{
	int st = duet_xenbus_state(f->xb);

	return !f->connected &&
	       (st == DUET_XENBUS_CLOSED || st == DUET_XENBUS_UNKNOWN);
}

void tf_close(struct tfront *f)
{
	unsigned i;

	if (f->xb)
		tf_drive(f, 0, 5000, tf_is_done);
	for (i = 0; i < TF_MAX_QUEUES; i++)
		tf_queue_free(f, i);
	duet_xenbus_close(f->xb);
	f->xb = NULL;
}

int tf_page_get(struct tf_queue *q)
{
	return q->nfree ? (int)q->freep[--q->nfree] : -1;
}

void tf_page_put(struct tf_queue *q, unsigned pg)
{
	q->freep[q->nfree++] = pg;
}

char *tf_page(struct tf_queue *q, unsigned pg)
{
	return q->pool[pg / TF_POOL_CHUNK] +
	       (size_t)(pg % TF_POOL_CHUNK) * DUET_PAGE_SIZE;
}

int tf_put_raw(struct tfront *f, unsigned qi,
	       const void *req)
{
	struct tf_queue *q = f->q[qi];
	const unsigned char *in = req;
	unsigned char x32[112];
	int rc;

	/* An i386 guest packs to 4 bytes: id moves from 8 to 4, and
	 * everything after it (sector, segments, discard's count,
	 * indirect's handle and refs) moves up by 4 bytes too. */
	if (tf_x86_32(f)) {
		memcpy(x32, in, 4);
		memcpy(x32 + 4, in + 8, 8);
		memcpy(x32 + 12, in + 16, 96);
		in = x32;
	}
	rc = duet_ring_front_put_req(q->ring, in);

	if (rc)
		return rc;
	rc = duet_ring_front_push(q->ring);
	if (rc > 0)
		rc = duet_evtchn_notify(q->ev, (duet_evtchn_port_t)q->port);
	return rc < 0 ? rc : 0;
}

void tf_release(struct tf_queue *q, uint64_t id)
{
	unsigned i;

	if (id >= TF_MAX_SLOTS || !q->busy[id])
		return;
	for (i = 0; i < q->npages[id]; i++)
		tf_page_put(q, q->pages[id][i]);
	q->busy[id] = 0;
	q->outstanding--;
}

int tf_get_rsp(struct tfront *f, unsigned qi,
	       struct blkif_response *rsp, int ms)
{
	struct tf_queue *q = f->q[qi];
	struct pollfd pfd = { .fd = duet_evtchn_fd(q->ev), .events = POLLIN };
	int rc, port;

	for (;;) {
		rc = duet_ring_front_get_rsp(q->ring, rsp);
		if (rc)
			return rc;
		rc = duet_ring_front_final_check(q->ring);
		if (rc < 0)
			return rc;
		if (rc > 0)
			continue;
		if (poll(&pfd, 1, ms) <= 0)
			return 0;
		while ((port = duet_evtchn_pending(q->ev)) >= 0)
			duet_evtchn_unmask(q->ev, (duet_evtchn_port_t)port);
	}
}

static int tf_free_slot(struct tf_queue *q)
{
	unsigned i;

	for (i = 0; i < q->size && i < TF_MAX_SLOTS; i++)
		if (!q->busy[i])
			return (int)i;
	return -1;
}

int tf_start_rw(struct tfront *f, unsigned qi, int write,
		uint64_t sector, const void *buf,
		unsigned nsect)
{
	struct tf_queue *q = f->q[qi];
	unsigned nseg = (nsect + 7) / 8, i, nind = 0;
	union {
		struct blkif_request r;
		struct blkif_request_indirect ind;
	} u;
	struct blkif_request_segment *segs;
	int id = tf_free_slot(q), pg;

	if (id < 0 || !duet_ring_front_free(q->ring))
		return -EAGAIN;
	if (nseg > BLKIF_MAX_SEGMENTS_PER_REQUEST &&
	    (!f->o.indirect || nseg > f->max_indirect))
		return -E2BIG;
	if (nseg > BLKIF_MAX_SEGMENTS_PER_REQUEST)
		nind = (nseg + 511) / 512;
	if (q->nfree < nseg + nind)
		return -EAGAIN;
	memset(&u, 0, sizeof(u));
	q->npages[id] = 0;
	if (nind) {
		u.ind.operation = BLKIF_OP_INDIRECT;
		u.ind.indirect_op = write ? BLKIF_OP_WRITE : BLKIF_OP_READ;
		u.ind.nr_segments = (uint16_t)nseg;
		u.ind.id = (uint64_t)id;
		u.ind.sector_number = sector;
		for (i = 0; i < nind; i++) {
			pg = tf_page_get(q);
			q->pages[id][q->npages[id]++] = (unsigned)pg;
			u.ind.indirect_grefs[i] = q->pool_refs[pg];
		}
	} else {
		u.r.operation = write ? BLKIF_OP_WRITE : BLKIF_OP_READ;
		u.r.nr_segments = (uint8_t)nseg;
		u.r.id = (uint64_t)id;
		u.r.sector_number = sector;
	}
	for (i = 0; i < nseg; i++) {
		unsigned n = nsect - i * 8 > 8 ? 8 : nsect - i * 8;
		struct blkif_request_segment s;

		pg = tf_page_get(q);
		q->pages[id][q->npages[id]++] = (unsigned)pg;
		s.gref = q->pool_refs[pg];
		s.first_sect = 0;
		s.last_sect = (uint8_t)(n - 1);
		if (write && buf)
			memcpy(tf_page(q, (unsigned)pg),
			       (const char *)buf + (size_t)i * 4096, n * 512);
		if (nind) {
			segs = (struct blkif_request_segment *)tf_page(
				q, q->pages[id][i / 512]);
			segs[i % 512] = s;
		} else {
			u.r.seg[i] = s;
		}
	}
	q->busy[id] = 1;
	q->outstanding++;
	if (tf_put_raw(f, qi, &u)) {
		tf_release(q, (uint64_t)id);
		return -EIO;
	}
	return id;
}

void tf_read_data(struct tfront *f, unsigned qi, int id,
		  void *buf, unsigned nsect)
{
	struct tf_queue *q = f->q[qi];
	unsigned nseg = (nsect + 7) / 8, skip = 0, i;

	if (nseg > BLKIF_MAX_SEGMENTS_PER_REQUEST)
		skip = (nseg + 511) / 512;
	for (i = 0; i < nseg; i++) {
		unsigned n = nsect - i * 8 > 8 ? 8 : nsect - i * 8;

		memcpy((char *)buf + (size_t)i * 4096,
		       tf_page(q, q->pages[id][skip + i]), n * 512);
	}
}

int tf_rw(struct tfront *f, unsigned qi, int write,
	  uint64_t sector, void *buf, unsigned nsect)
{
	struct blkif_response rsp;
	int id = tf_start_rw(f, qi, write, sector, buf, nsect), rc;

	if (id < 0)
		return -1000 + id;
	rc = tf_get_rsp(f, qi, &rsp, 5000);
	if (rc <= 0)
		return -1000 + (rc ? rc : -ETIMEDOUT);
	if (rsp.id != (uint64_t)id)
		return -1000 - EPROTO;
	if (!write && rsp.status == BLKIF_RSP_OKAY && buf)
		tf_read_data(f, qi, id, buf, nsect);
	tf_release(f->q[qi], rsp.id);
	return rsp.status;
}

int tf_simple(struct tfront *f, unsigned qi, uint8_t op,
	      uint64_t sector, uint64_t nr, uint8_t flag)
{
	struct blkif_response rsp;
	union {
		struct blkif_request r;
		struct blkif_request_discard d;
	} u;
	int rc;

	memset(&u, 0, sizeof(u));
	u.r.operation = op;
	u.r.id = 4242;
	u.r.sector_number = sector;
	if (op == BLKIF_OP_DISCARD) {
		u.d.nr_sectors = nr;
		u.d.flag = flag;
	}
	rc = tf_put_raw(f, qi, &u);
	if (rc)
		return -1000 + rc;
	rc = tf_get_rsp(f, qi, &rsp, 5000);
	if (rc <= 0)
		return -1000 + (rc ? rc : -ETIMEDOUT);
	if (rsp.id != 4242 || rsp.operation != op)
		return -1000 - EPROTO;
	return rsp.status;
}

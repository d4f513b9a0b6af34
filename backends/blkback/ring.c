/* SPDX-License-Identifier: MIT */
/*
 * ring.c - blkback's request path: validation, one ring pass, responses.
 *
 * A ring pass (bb_queue_thread()):
 *   1. reap the engine's completions; reads that went through the bounce
 *      buffer are copied to the frontend in one batched grant copy, then
 *      every finished request is answered;
 *   2. take up to BB_PASS_MAX requests off the ring (BB_PASS_INLINE on
 *      a memory-backed store; each copied out once by the ring
 *      library), validate them (bb_parse_req());
 *   3. fetch the segments of indirect requests (one batched grant copy of
 *      just the bytes needed) and validate them;
 *   4. place every segment (persistent mapping, temporary mapping or
 *      bounce buffer) and copy write data in (one batched grant copy);
 *   5. hand the storage I/O to the engine (engine.h) and kick it once
 *      (io_uring: one io_uring_enter(); a memory-backed store runs it at
 *      once instead, see io.c; reads are then copied out and answered in
 *      the same pass);
 *      with a DMA backend (dma.c) steps 4 and 5 are bb_dma_run(): the
 *      emulated controller moves the data, and the request is answered
 *      in the same pass;
 *   6. push responses and notify the frontend when it asked.
 *
 * What a hostile frontend gets (Deliver 4 of issue #6):
 *   malformed request (segment count, first/last_sect, range, opcode,
 *   misaligned for a 4096-byte sector disk), bad or foreign grant ref,
 *   garbage in an indirect page, write to a read-only disk
 *                                  -> that request fails: BLKIF_RSP_ERROR
 *   operation not offered          -> BLKIF_RSP_EOPNOTSUPP
 *   an id reused while in flight, a producer index that jumps (-EPROTO
 *   from the ring library)         -> the device is broken: the queue
 *                                     stops consuming, the main thread
 *                                     calls duet_xenbus_broken()
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "backends/blkback/common.h"

#define SECTOR 512u
#define SECTS_PER_PAGE (DUET_PAGE_SIZE / SECTOR)

uint64_t bb_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ------------------------------------------------------------------ */
/* Responses: the one translation table                                */
/* ------------------------------------------------------------------ */

static const struct {
	int err;
	int16_t status;
} rsp_table[] = {
	{ 0, BLKIF_RSP_OKAY },
	{ -EOPNOTSUPP, BLKIF_RSP_EOPNOTSUPP },
	/* everything else (-EINVAL, -EROFS, -ERANGE, -EIO, ...) */
};

int16_t bb_rsp_status(int err)
{
	unsigned i;

	for (i = 0; i < sizeof(rsp_table) / sizeof(rsp_table[0]); i++)
		if (rsp_table[i].err == err)
			return rsp_table[i].status;
	return BLKIF_RSP_ERROR;
}

/* ------------------------------------------------------------------ */
/* Validation                                                          */
/* ------------------------------------------------------------------ */

static int check_range(const struct bb_limits *lim, uint64_t sector,
		       uint64_t nr)
{
	uint64_t align = lim->sector_size / SECTOR;

	if (nr > lim->sectors || sector > lim->sectors - nr)
		return -ERANGE;
	/* Linux's blkback: "Misaligned I/O request" for large sectors. */
	if (align > 1 && ((sector | nr) & (align - 1)))
		return -EINVAL;
	return 0;
}

static int take_segs(const struct bb_limits *lim,
		     const struct blkif_request_segment *in, unsigned n,
		     struct bb_parsed *out)
{
	uint64_t total = 0;
	unsigned i;

	for (i = 0; i < n; i++) {
		struct blkif_request_segment s;

		memcpy(&s, &in[i], sizeof(s));
		if (s.last_sect >= SECTS_PER_PAGE ||
		    s.first_sect > s.last_sect)
			return -EINVAL;
		out->seg[i].gref = s.gref;
		out->seg[i].first_sect = s.first_sect;
		out->seg[i].last_sect = s.last_sect;
		total += (uint64_t)(s.last_sect - s.first_sect + 1);
	}
	out->nr_sectors = total;
	return check_range(lim, out->sector, total);
}

int bb_parse_req(const struct bb_limits *lim,
		      const struct blkif_request *req,
		      struct bb_parsed *out)
{
	unsigned nseg = req->nr_segments, max = BLKIF_MAX_SEGMENTS_PER_REQUEST;

	out->id = req->id;
	out->operation = req->operation;
	out->write_data = 0;
	out->discard_secure = 0;
	out->nseg = 0;
	out->nindirect = 0;
	out->sector = req->sector_number;
	out->nr_sectors = 0;

	switch (req->operation) {
	case BLKIF_OP_READ:
		out->kind = BB_READ;
		break;
	case BLKIF_OP_WRITE:
		out->kind = BB_WRITE;
		out->write_data = 1;
		break;
	case BLKIF_OP_WRITE_BARRIER:
		if (!lim->barrier)
			return -EOPNOTSUPP;
		out->kind = BB_BARRIER;
		out->write_data = nseg > 0;
		break;
	case BLKIF_OP_FLUSH_DISKCACHE:
		if (!lim->flush)
			return -EOPNOTSUPP;
		out->kind = BB_FLUSH;
		out->write_data = nseg > 0;
		break;
	case BLKIF_OP_DISCARD: {
		struct blkif_request_discard d;

		memcpy(&d, req, sizeof(d));
		if (!lim->discard)
			return -EOPNOTSUPP;
		out->kind = BB_DISCARD;
		out->sector = d.sector_number;
		out->nr_sectors = d.nr_sectors;
		/* blkif.h: BLKIF_DISCARD_SECURE only with discard-secure;
		 * refused rather than done as a plain (insecure) discard. */
		if (d.flag & BLKIF_DISCARD_SECURE) {
			if (!lim->discard_secure)
				return -EOPNOTSUPP;
			out->discard_secure = 1;
		}
		if (lim->readonly)
			return -EROFS;
		return check_range(lim, d.sector_number, d.nr_sectors);
	}
	case BLKIF_OP_INDIRECT: {
		struct blkif_request_indirect ind;

		memcpy(&ind, req, sizeof(ind));
		if (!lim->max_indirect)
			return -EINVAL;
		if (ind.indirect_op != BLKIF_OP_READ &&
		    ind.indirect_op != BLKIF_OP_WRITE)
			return -EINVAL;
		/* Linux's blkfront expects the inner op in the response. */
		out->operation = ind.indirect_op;
		out->kind = ind.indirect_op == BLKIF_OP_READ ? BB_READ :
							       BB_WRITE;
		out->write_data = out->kind == BB_WRITE;
		out->sector = ind.sector_number;
		if (!ind.nr_segments || ind.nr_segments > lim->max_indirect)
			return -EINVAL;
		if (out->write_data && lim->readonly)
			return -EROFS;
		out->nseg = ind.nr_segments;
		out->nindirect = (uint16_t)((ind.nr_segments +
					     BB_SEGS_PER_INDIRECT_PAGE -
					     1) /
					    BB_SEGS_PER_INDIRECT_PAGE);
		memcpy(out->indirect, ind.indirect_grefs,
		       out->nindirect * sizeof(out->indirect[0]));
		return 0;
	}
	default:
		return -EINVAL;
	}

	if (out->write_data && lim->readonly)
		return -EROFS;
	if (nseg > max)
		return -EINVAL;
	if (!nseg && (out->kind == BB_READ || out->kind == BB_WRITE))
		return -EINVAL;
	out->nseg = (uint16_t)nseg;
	return take_segs(lim, req->seg, nseg, out);
}

int bb_parse_indirect(const struct bb_limits *lim,
			   const struct blkif_request_segment *segs,
			   struct bb_parsed *out)
{
	if (!out->nseg || out->nseg > BB_MAX_SEGS)
		return -EINVAL;
	return take_segs(lim, segs, out->nseg, out);
}

/* ------------------------------------------------------------------ */
/* Violations                                                          */
/* ------------------------------------------------------------------ */

void bb_queue_broken(struct bb_queue *q, const char *fmt, ...)
{
	struct bb_dev *dev = q->dev;
	uint64_t one = 1;
	va_list ap;

	if (atomic_exchange(&q->failed, 1))
		return;
	pthread_mutex_lock(&dev->fail_lock);
	if (!dev->fail_msg[0]) {
		int n = snprintf(dev->fail_msg, sizeof(dev->fail_msg),
				 "queue %u: ", q->index);

		va_start(ap, fmt);
		vsnprintf(dev->fail_msg + n, sizeof(dev->fail_msg) - (size_t)n,
			  fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&dev->fail_lock);
	/* An eventfd write fails only when the counter would overflow,
	 * and then the main thread has a wake-up pending anyway. */
	if (write(dev->fail_fd, &one, sizeof(one)) != sizeof(one))
		return;
}

/* ------------------------------------------------------------------ */
/* In-flight ids                                                       */
/* ------------------------------------------------------------------ */

static unsigned id_hash(uint64_t id)
{
	id ^= id >> 33;
	id *= 0xff51afd7ed558ccdull;
	id ^= id >> 33;
	return (unsigned)id & (BB_ID_BUCKETS - 1);
}

/* Insert @r's id; -EEXIST when a request in flight has it already. */
static int id_insert(struct bb_queue *q, struct bb_req *r)
{
	unsigned b = id_hash(r->p.id), s;

	for (s = q->id_bucket[b]; s; s = q->reqs[s - 1].id_next)
		if (q->reqs[s - 1].p.id == r->p.id)
			return -EEXIST;
	r->id_next = q->id_bucket[b];
	q->id_bucket[b] = (uint16_t)(r->slot + 1);
	return 0;
}

static void id_remove(struct bb_queue *q, struct bb_req *r)
{
	uint16_t *link = &q->id_bucket[id_hash(r->p.id)];

	while (*link) {
		if (*link == r->slot + 1) {
			*link = r->id_next;
			return;
		}
		link = &q->reqs[*link - 1].id_next;
	}
}

/* ------------------------------------------------------------------ */
/* Grant copy batches                                                  */
/* ------------------------------------------------------------------ */

static int copy_add(struct bb_queue *q, struct bb_req *r,
		    const struct duet_gnt_copy_seg *s)
{
	if (q->ncopy == q->copy_cap) {
		unsigned cap = q->copy_cap ? q->copy_cap * 2 : 1024;
		void *a = realloc(q->copy, cap * sizeof(*q->copy));
		void *b;

		if (!a)
			return -ENOMEM;
		q->copy = a;
		b = realloc(q->copy_req, cap * sizeof(*q->copy_req));
		if (!b)
			return -ENOMEM;
		q->copy_req = b;
		q->copy_cap = cap;
	}
	q->copy[q->ncopy] = *s;
	q->copy_req[q->ncopy] = r;
	q->ncopy++;
	return 0;
}

/* Run the batch; a failed segment fails its request (-EIO). */
static void copy_run(struct bb_queue *q)
{
	unsigned i;
	int rc;

	if (!q->ncopy)
		return;
	pthread_mutex_lock(&q->dev->plat_lock);
	rc = duet_gnt_copy(q->dev->ctx->platform, q->copy, q->ncopy);
	pthread_mutex_unlock(&q->dev->plat_lock);
	for (i = 0; i < q->ncopy; i++) {
		struct bb_req *r = q->copy_req[i];

		if ((rc < 0 || q->copy[i].status) && !r->err)
			r->err = -EIO;
	}
	q->ncopy = 0;
}

static void copy_from_frontend(struct bb_queue *q, struct bb_req *r,
			       uint32_t gref, unsigned off, void *dst,
			       unsigned len)
{
	struct duet_gnt_copy_seg s = { 0 };

	s.src.foreign.ref = gref;
	s.src.foreign.offset = (uint16_t)off;
	s.src.foreign.domid = (duet_domid_t)q->dev->fe_domid;
	s.dst.virt = dst;
	s.len = (uint16_t)len;
	s.flags = DUET_GNT_COPY_SRC_GREF;
	if (copy_add(q, r, &s) && !r->err)
		r->err = -ENOMEM;
}

static void copy_to_frontend(struct bb_queue *q, struct bb_req *r,
			     uint32_t gref, unsigned off, void *src,
			     unsigned len)
{
	struct duet_gnt_copy_seg s = { 0 };

	s.dst.foreign.ref = gref;
	s.dst.foreign.offset = (uint16_t)off;
	s.dst.foreign.domid = (duet_domid_t)q->dev->fe_domid;
	s.src.virt = src;
	s.len = (uint16_t)len;
	s.flags = DUET_GNT_COPY_DST_GREF;
	if (copy_add(q, r, &s) && !r->err)
		r->err = -ENOMEM;
}

/* ------------------------------------------------------------------ */
/* Requests                                                            */
/* ------------------------------------------------------------------ */

/* Undo the temporary mappings of @r. */
static void unmap_chunks(struct bb_dev *dev, struct bb_req *r)
{
	unsigned c, left = r->p.nseg;
	int rc;

	if (!r->nmaps)
		return;
	pthread_mutex_lock(&dev->plat_lock);
	for (c = 0; c < r->nmaps; c++, left -= BB_MAP_CHUNK) {
		rc = duet_gnt_unmap(dev->ctx->platform, r->map_addr[c],
				    left < BB_MAP_CHUNK ? left :
							       BB_MAP_CHUNK);
		if (rc)
			dev->unmap_errors++;
	}
	pthread_mutex_unlock(&dev->plat_lock);
	r->nmaps = 0;
}

/* Map every segment of @r, chunk by chunk; 0 or -errno (nothing mapped). */
static int map_chunks(struct bb_dev *dev, struct bb_req *r)
{
	unsigned c, i, n = r->p.nseg, cnt;
	uint32_t refs[BB_MAP_CHUNK];
	int rc = 0;

	for (c = 0; c * BB_MAP_CHUNK < n && !rc; c++) {
		cnt = n - c * BB_MAP_CHUNK;
		if (cnt > BB_MAP_CHUNK)
			cnt = BB_MAP_CHUNK;
		for (i = 0; i < cnt; i++)
			refs[i] = r->p.seg[c * BB_MAP_CHUNK + i].gref;
		pthread_mutex_lock(&dev->plat_lock);
		rc = duet_gnt_map(dev->ctx->platform,
				  (duet_domid_t)dev->fe_domid, cnt, refs,
				  r->p.write_data ? DUET_GNT_READONLY : 0,
				  &r->map_addr[c]);
		pthread_mutex_unlock(&dev->plat_lock);
		if (!rc)
			r->nmaps = c + 1;
	}
	if (rc) {
		/* unmap_chunks() takes nseg; count only what is mapped. */
		unsigned nseg = r->p.nseg;

		r->p.nseg = (uint16_t)(r->nmaps * BB_MAP_CHUNK);
		unmap_chunks(dev, r);
		r->p.nseg = (uint16_t)nseg;
	}
	return rc;
}

static struct bb_req *req_alloc(struct bb_queue *q)
{
	struct bb_req *r = q->free;

	if (!r)
		return NULL;
	q->free = r->next_free;
	r->err = 0;
	r->cqes = 0;
	r->nmaps = 0;
	r->map_ro = 0;
	r->retried = 0;
	r->retry = 0;
	r->buffered = 0;
	r->niov = 0;
	r->len = 0;
	q->inflight++;
	return r;
}

/* Drop what a request holds, answer it and free its slot. */
static void req_finish(struct bb_queue *q, struct bb_req *r,
		       int tracked)
{
	struct blkif_response rsp;
	unsigned i;
	int rc;

	for (i = 0; i < r->p.nseg; i++)
		if (r->src[i] == BB_SEG_PGRANT && r->pg[i]) {
			bb_pgcache_put(&q->pgc, r->pg[i]);
			r->pg[i] = NULL;
		}
	unmap_chunks(q->dev, r);
	if (tracked)
		id_remove(q, r);
	atomic_fetch_add_explicit(&q->st_reqs, 1, memory_order_relaxed);
	if (r->err)
		atomic_fetch_add_explicit(&q->st_errors, 1,
					  memory_order_relaxed);
	else if (r->p.kind == BB_READ)
		atomic_fetch_add_explicit(&q->st_read, r->len,
					  memory_order_relaxed);
	else if (r->p.write_data)
		atomic_fetch_add_explicit(&q->st_written, r->len,
					  memory_order_relaxed);
	memset(&rsp, 0, sizeof(rsp));
	rsp.id = r->p.id;
	rsp.operation = r->p.operation;
	rsp.status = bb_rsp_status(r->err);
	rc = duet_ring_back_put_rsp(q->ring, &rsp);
	if (rc)
		bb_queue_broken(q, "cannot queue a response: %d", rc);
	r->next_free = q->free;
	q->free = r;
	q->inflight--;
}

static int bounce_reserve(struct bb_req *r, size_t len)
{
	void *p;

	if (r->bounce_cap >= len)
		return 0;
	len = (len + DUET_PAGE_SIZE - 1) & ~(size_t)(DUET_PAGE_SIZE - 1);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -ENOMEM;
	if (r->bounce)
		munmap(r->bounce, r->bounce_cap);
	r->bounce = p;
	r->bounce_cap = len;
	return 0;
}

static void iov_add(struct bb_req *r, void *base, size_t len)
{
	struct iovec *last = r->niov ? &r->iov[r->niov - 1] : NULL;

	if (last && (char *)last->iov_base + last->iov_len == base) {
		last->iov_len += len;
		return;
	}
	r->iov[r->niov].iov_base = base;
	r->iov[r->niov].iov_len = len;
	r->niov++;
}

/*
 * Place every segment and queue the copies of write data.  Persistent
 * grants when the frontend offered them (a full cache falls back to the
 * bounce buffer per segment); otherwise a temporary mapping of the whole
 * request from BB_MAP_THRESHOLD_SEGS segments on, else the bounce
 * buffer.
 */
static void req_place(struct bb_queue *q, struct bb_req *r,
		      uint64_t now)
{
	struct bb_dev *dev = q->dev;
	unsigned i, n = r->p.nseg;
	size_t off = 0;
	char *bounce;
	int rc;

	if (!n)
		return;
	r->len = r->p.nr_sectors * SECTOR;
	for (i = 0; i < n; i++) {
		r->src[i] = BB_SEG_BOUNCE;
		r->pg[i] = NULL;
	}
	if (dev->persistent) {
		for (i = 0; i < n; i++) {
			struct bb_pgrant *g;

			g = bb_pgcache_get(dev, &q->pgc, r->p.seg[i].gref,
						now, &rc);
			if (g) {
				r->src[i] = BB_SEG_PGRANT;
				r->pg[i] = g;
			} else if (rc != -ENOSPC) {
				r->err = -EIO; /* bad or foreign grant */
				return;
			}
		}
	} else if (n >= dev->map_threshold && !map_chunks(dev, r)) {
		r->map_ro = r->p.write_data;
		for (i = 0; i < n; i++)
			r->src[i] = BB_SEG_MAPPED;
	}
	/* A failed map (e.g. a bad ref) falls back to grant copy, which
	 * then fails the bad segment alone. */
	if (bounce_reserve(r, r->len)) {
		r->err = -ENOMEM;
		return;
	}
	bounce = r->bounce;
	for (i = 0; i < n; i++) {
		const struct bb_seg *s = &r->p.seg[i];
		unsigned soff = s->first_sect * SECTOR;
		unsigned slen = (s->last_sect - s->first_sect + 1) * SECTOR;
		char *base;

		switch (r->src[i]) {
		case BB_SEG_PGRANT:
			base = (char *)r->pg[i]->addr + soff;
			break;
		case BB_SEG_MAPPED:
			base = (char *)r->map_addr[i / BB_MAP_CHUNK] +
			       (size_t)(i % BB_MAP_CHUNK) *
				       DUET_PAGE_SIZE +
			       soff;
			break;
		default:
			base = bounce + off;
			if (r->p.write_data)
				copy_from_frontend(q, r, s->gref, soff, base,
						   slen);
			break;
		}
		iov_add(r, base, slen);
		off += slen;
	}
}

/* Reads: queue the copies of bounce segments back to the frontend. */
static void req_copy_out(struct bb_queue *q, struct bb_req *r)
{
	size_t off = 0;
	unsigned i;

	if (r->err || r->p.write_data || r->p.kind != BB_READ)
		return;
	for (i = 0; i < r->p.nseg; i++) {
		const struct bb_seg *s = &r->p.seg[i];
		unsigned slen = (s->last_sect - s->first_sect + 1) * SECTOR;

		if (r->src[i] == BB_SEG_BOUNCE)
			copy_to_frontend(q, r, s->gref,
					 s->first_sect * SECTOR,
					 (char *)r->bounce + off, slen);
		off += slen;
	}
}

/* ------------------------------------------------------------------ */
/* A ring pass                                                         */
/* ------------------------------------------------------------------ */

/* Answer every request the engine finished; returns how many. */
static unsigned reap(struct bb_queue *q)
{
	struct bb_req *done[BB_PASS_MAX * 4];
	unsigned n, i;

	n = q->dev->eng->reap(q, done, sizeof(done) / sizeof(done[0]));
	for (i = 0; i < n; i++)
		req_copy_out(q, done[i]);
	copy_run(q);
	for (i = 0; i < n; i++)
		req_finish(q, done[i], 1);
	return n;
}

/* Take requests off the ring and start them; returns how many. */
static int consume(struct bb_queue *q)
{
	static __thread struct blkif_request reqs[BB_PASS_MAX];
	static __thread unsigned char raw[BB_PASS_MAX *
					  sizeof(struct blkif_request)];
	struct bb_req *started[BB_PASS_MAX];
	struct bb_dev *dev = q->dev;
	size_t req_size = duet_ring_desc_get(dev->rtype)->req_size;
	unsigned max = BB_PASS_MAX, nstart = 0, ndone, i, j;
	uint64_t now = bb_now();
	int n, rc;

	if (dev->eng == &bb_engine_inline)
		max = BB_PASS_INLINE;
	if (max > q->nreqs - q->inflight)
		max = q->nreqs - q->inflight;
	if (!max)
		return 0;
	/* Copied out of the ring once, in the frontend's ABI, then made
	 * native; only the native copy is looked at from here on. */
	n = duet_ring_back_get_reqs(q->ring, raw, max);
	if (n < 0) {
		bb_queue_broken(q, "bad request producer index (%d)", n);
		return 0;
	}
	for (i = 0; i < (unsigned)n; i++)
		duet_blkif_req_native(dev->rtype, raw + i * req_size,
				      &reqs[i]);
	for (i = 0; i < (unsigned)n; i++) {
		struct bb_req *r = req_alloc(q);

		if (!r) { /* cannot happen: bounded by nreqs above */
			bb_queue_broken(q, "no request slot");
			break;
		}
		rc = bb_parse_req(&dev->lim, &reqs[i], &r->p);
		if (id_insert(q, r)) {
			bb_queue_broken(q, "id %llu reused while in flight",
					   (unsigned long long)r->p.id);
			r->next_free = q->free;
			q->free = r;
			q->inflight--;
			break;
		}
		if (rc) {
			r->err = rc;
			r->p.nseg = 0;
			req_finish(q, r, 1);
			continue;
		}
		started[nstart++] = r;
		if (!r->p.nindirect)
			continue;
		for (j = 0; j < r->p.nindirect; j++) {
			unsigned first = j * BB_SEGS_PER_INDIRECT_PAGE;
			unsigned cnt = r->p.nseg - first;

			if (cnt > BB_SEGS_PER_INDIRECT_PAGE)
				cnt = BB_SEGS_PER_INDIRECT_PAGE;
			copy_from_frontend(q, r, r->p.indirect[j], 0,
					   &r->ind[first],
					   cnt * sizeof(r->ind[0]));
		}
	}
	/* The segments of indirect requests, then validate them. */
	copy_run(q);
	for (i = 0; i < nstart; i++) {
		struct bb_req *r = started[i];

		if (r->p.nindirect && !r->err)
			r->err = bb_parse_indirect(&dev->lim, r->ind,
							&r->p);
		if (r->err)
			r->p.nseg = 0;
		else if (dev->dma)
			r->err = bb_dma_run(q, r);
		else
			req_place(q, r, now);
	}
	/* Write data into bounce buffers. */
	copy_run(q);
	for (i = 0, ndone = 0; i < nstart; i++) {
		struct bb_req *r = started[i];

		if (!r->err && !dev->dma)
			r->err = dev->eng->submit(q, r);
		if (r->err || !r->cqes)
			started[ndone++] = r;
	}
	/* Finished already (refused, or run inline on a memory-backed
	 * store): read data out in one batched grant copy, then answer. */
	for (i = 0; i < ndone; i++)
		req_copy_out(q, started[i]);
	copy_run(q);
	for (i = 0; i < ndone; i++)
		req_finish(q, started[i], 1);
	return n;
}

static void notify(struct bb_queue *q)
{
	int rc = duet_ring_back_push(q->ring);

	if (rc > 0)
		rc = duet_evtchn_notify(q->evtchn, (duet_evtchn_port_t)q->port);
	/* A frontend that closed its end costs nothing (0, as on Xen); an
	 * error is ours (-ENOTCONN: not our port) or the platform's (-EPIPE:
	 * the simulator is gone), and the queue cannot answer any more. */
	if (rc < 0 && !q->failed)
		bb_queue_broken(q, "cannot answer: %d", rc);
}

static void wait_events(struct bb_queue *q, int timeout_ms)
{
	const struct bb_engine_ops *eng = q->dev->eng;
	struct pollfd pfd[3] = {
		{ .fd = duet_evtchn_fd(q->evtchn), .events = POLLIN },
		{ .fd = q->efd, .events = POLLIN },
		{ .fd = -1 },
	};
	int n = 2, et = eng->timeout_ms(q), rc;
	uint64_t v;
	int port;

	pfd[2].fd = eng->poll_fd(q, &pfd[2].events);
	if (pfd[2].fd >= 0)
		n = 3;
	if (et >= 0 && et < timeout_ms)
		timeout_ms = et;
	rc = poll(pfd, (nfds_t)n, timeout_ms);
	if (n == 3 || rc == 0)
		eng->poll_done(q, rc > 0 ? pfd[2].revents : 0);
	if (rc <= 0)
		return;
	if (pfd[1].revents & POLLIN)
		if (read(q->efd, &v, sizeof(v)) < 0)
			v = 0;
	while ((port = duet_evtchn_pending(q->evtchn)) >= 0)
		duet_evtchn_unmask(q->evtchn, (duet_evtchn_port_t)port);
}

void *bb_queue_thread(void *arg)
{
	struct bb_queue *q = arg;
	int rc;

	q->last_purge = bb_now();
	while (!atomic_load(&q->stop)) {
		unsigned work = reap(q);
		uint64_t now;

		if (!atomic_load(&q->failed))
			work += (unsigned)consume(q);
		q->dev->eng->kick(q);
		notify(q);
		now = bb_now();
		if (now - q->last_purge > 1000000000ull) {
			bb_pgcache_purge(q->dev, &q->pgc, now,
					      q->dev->pgrant_idle_ns);
			q->last_purge = now;
		}
		atomic_store_explicit(&q->st_pgrants, q->pgc.count,
				      memory_order_relaxed);
		if (work)
			continue;
		if (!atomic_load(&q->failed) && q->inflight < q->nreqs) {
			rc = duet_ring_back_final_check(q->ring);
			if (rc > 0)
				continue;
			if (rc < 0)
				bb_queue_broken(q, "bad request producer "
						   "index (%d)", rc);
		}
		if (q->dev->eng->ready(q))
			continue;
		wait_events(q, 1000);
	}
	/* Let every submitted I/O finish before the pages go away. */
	while (q->inflight) {
		q->dev->eng->kick(q);
		if (q->dev->eng->wait(q))
			break;
		reap(q);
	}
	notify(q);
	return NULL;
}

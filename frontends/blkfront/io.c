/* SPDX-License-Identifier: MIT */
/*
 * io.c - I/O onto the rings and responses back.
 *
 * Requests (xen/io/blkif.h): a read or write of up to
 * BLKIF_MAX_SEGMENTS_PER_REQUEST (11) segments goes direct; a larger one,
 * when the backend offered feature-max-indirect-segments, as
 * BLKIF_OP_INDIRECT whose segments sit in up to 8 indirect pages.  Every
 * segment is one page: we lay the data out from offset 0 of each page,
 * so first_sect is 0 and last_sect is (bytes / 512) - 1 (all 7 but maybe
 * the last).  sector_number is in 512-byte units whatever sector-size is.
 * Flush is BLKIF_OP_FLUSH_DISKCACHE (or WRITE_BARRIER when only
 * feature-barrier is offered) without segments; discard is
 * BLKIF_OP_DISCARD with nr_sectors.
 *
 * Responses are untrusted: the ring layer copies each once; here its id
 * must name a slot holding a request with exactly that id (the id carries
 * a generation, so a duplicate or stale response never matches), and its
 * operation must be the request's (or, for an indirect request, the inner
 * one, as Linux's blkback answers).  Anything else is a protocol
 * violation (bf_broken()).  A status other than OKAY fails that I/O
 * only: EOPNOTSUPP gives -EOPNOTSUPP, ERROR and unknown values -EIO.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "frontends/blkfront/common.h"

/* One slot of the ring: any of the request layouts, 112 bytes. */
union bf_ring_req {
	struct blkif_request rw;
	struct blkif_request_indirect ind;
	struct blkif_request_discard discard;
};

int bf_queue_piece(struct duet_blkfront *bf, struct bf_io *io, uint64_t off,
		   uint64_t len, int front)
{
	struct bf_piece *pc = calloc(1, sizeof(*pc));

	if (!pc)
		return -ENOMEM;
	pc->io = io;
	pc->off = off;
	pc->len = len;
	if (front) {
		pc->next = bf->pieces;
		bf->pieces = pc;
		if (!bf->pieces_tail)
			bf->pieces_tail = pc;
	} else {
		if (bf->pieces_tail)
			bf->pieces_tail->next = pc;
		else
			bf->pieces = pc;
		bf->pieces_tail = pc;
	}
	return 0;
}

static void pop_piece(struct duet_blkfront *bf)
{
	struct bf_piece *pc = bf->pieces;

	bf->pieces = pc->next;
	if (!bf->pieces)
		bf->pieces_tail = NULL;
	free(pc);
}

void bf_io_put(struct duet_blkfront *bf, struct bf_io *io, int result)
{
	if (result < 0 && !io->result)
		io->result = result;
	if (--io->outstanding)
		return;
	io->next = bf->done;
	bf->done = io;
}

static struct bf_queue *pick_queue(struct duet_blkfront *bf, unsigned *qi)
{
	unsigned i, n;

	for (i = 0; i < bf->nq; i++) {
		n = (bf->rr + i) % bf->nq;
		if (bf->q[n].nfree && duet_ring_front_free(bf->q[n].ring)) {
			bf->rr = (n + 1) % bf->nq;
			*qi = n;
			return &bf->q[n];
		}
	}
	return NULL;
}

/* Build the ring request for slot @r; the data is in its pages. */
static void fill_req(struct duet_blkfront *bf, struct bf_req *r,
		     uint64_t sector, union bf_ring_req *req)
{
	struct blkif_request_segment *seg;
	uint64_t left = r->len;
	unsigned i, secs;

	memset(req, 0, sizeof(*req));
	if (r->op == BLKIF_OP_DISCARD) {
		req->discard.operation = BLKIF_OP_DISCARD;
		req->discard.id = r->id;
		req->discard.sector_number = sector;
		req->discard.nr_sectors = r->len / BF_SECTOR;
		return;
	}
	if (r->op == BLKIF_OP_INDIRECT) {
		req->ind.operation = BLKIF_OP_INDIRECT;
		req->ind.indirect_op = r->inner_op;
		req->ind.nr_segments = (uint16_t)r->nsegs;
		req->ind.id = r->id;
		req->ind.sector_number = sector;
		for (i = 0; i < r->nind; i++)
			req->ind.indirect_grefs[i] = bf_req_ref(r, r->nsegs + i);
	} else {
		req->rw.operation = r->op;
		req->rw.nr_segments = (uint8_t)r->nsegs;
		req->rw.id = r->id;
		req->rw.sector_number = sector;
	}
	for (i = 0; i < r->nsegs; i++) {
		secs = (unsigned)((left < DUET_PAGE_SIZE ? left : DUET_PAGE_SIZE) /
				  BF_SECTOR);
		left -= (uint64_t)secs * BF_SECTOR;
		if (r->op == BLKIF_OP_INDIRECT)
			seg = (struct blkif_request_segment *)
				      bf_req_page(r, r->nsegs +
						     i / BF_SEGS_PER_IND) +
			      i % BF_SEGS_PER_IND;
		else
			seg = &req->rw.seg[i];
		seg->gref = bf_req_ref(r, i);
		seg->first_sect = 0;
		seg->last_sect = (uint8_t)(secs - 1);
	}
	(void)bf;
}

/*
 * Issue queued pieces while a queue has room.  Grant exhaustion is
 * backpressure: the piece waits for a completion, unless nothing is in
 * flight, when it fails with the error.
 */
void bf_issue(struct duet_blkfront *bf)
{
	unsigned touched = 0, qi, slot, i;
	union bf_ring_req req;
	struct bf_queue *q;
	struct bf_piece *pc;
	struct bf_req *r;
	struct bf_io *io;
	uint64_t n, seglen;
	int rc;

	while (bf->live && (pc = bf->pieces)) {
		io = pc->io;
		if (io->op == DUET_BLKFRONT_FLUSH && !bf->info.flush &&
		    !bf->info.barrier) {
			pop_piece(bf);
			bf_io_put(bf, io, 0);
			continue;
		}
		if (io->op == DUET_BLKFRONT_DISCARD && !bf->info.discard) {
			pop_piece(bf);
			bf_io_put(bf, io, -EOPNOTSUPP);
			continue;
		}
		q = pick_queue(bf, &qi);
		if (!q)
			break;
		slot = q->free[q->nfree - 1];
		r = &q->shadow[slot];
		r->nsegs = 0;
		r->nind = 0;
		n = pc->len;
		switch (io->op) {
		case DUET_BLKFRONT_READ:
		case DUET_BLKFRONT_WRITE:
			if (n > (uint64_t)bf->info.max_segments * DUET_PAGE_SIZE)
				n = (uint64_t)bf->info.max_segments *
				    DUET_PAGE_SIZE;
			r->nsegs = (unsigned)((n + DUET_PAGE_SIZE - 1) /
					      DUET_PAGE_SIZE);
			r->inner_op = io->op == DUET_BLKFRONT_WRITE ?
					      BLKIF_OP_WRITE :
					      BLKIF_OP_READ;
			r->op = r->inner_op;
			if (r->nsegs > BLKIF_MAX_SEGMENTS_PER_REQUEST) {
				r->op = BLKIF_OP_INDIRECT;
				r->nind = (r->nsegs + BF_SEGS_PER_IND - 1) /
					  BF_SEGS_PER_IND;
			}
			break;
		case DUET_BLKFRONT_FLUSH:
			r->op = bf->info.flush ? BLKIF_OP_FLUSH_DISKCACHE :
						 BLKIF_OP_WRITE_BARRIER;
			r->inner_op = r->op;
			n = 0;
			break;
		default:
			r->op = BLKIF_OP_DISCARD;
			r->inner_op = r->op;
			break;
		}
		rc = bf_req_grant(bf, q, r);
		if (rc < 0) {
			if (bf->inflight)
				break;
			pop_piece(bf);
			bf_io_put(bf, io, rc);
			continue;
		}
		if (r->inner_op == BLKIF_OP_WRITE) {
			for (i = 0; i < r->nsegs; i++) {
				seglen = n - (uint64_t)i * DUET_PAGE_SIZE;
				if (seglen > DUET_PAGE_SIZE)
					seglen = DUET_PAGE_SIZE;
				memcpy(bf_req_page(r, i),
				       io->buf + pc->off +
					       (uint64_t)i * DUET_PAGE_SIZE,
				       seglen);
			}
		}
		r->id = ((uint64_t)++bf->gen << 32) | slot;
		r->io = io;
		r->off = pc->off;
		r->len = n;
		r->in_use = 1;
		q->nfree--;
		fill_req(bf, r, (io->offset + pc->off) / BF_SECTOR, &req);
		/*
		 * The data and indirect pages were written above; the push
		 * below has the release barrier (before req_prod) that
		 * orders them, and the request slot, before the backend can
		 * see the request.
		 */
		rc = duet_ring_front_put_req(q->ring, &req);
		if (rc < 0) {
			/* Cannot happen: the queue had a free slot. */
			r->in_use = 0;
			q->free[q->nfree++] = slot;
			bf_req_ungrant(bf, r);
			break;
		}
		bf->inflight++;
		touched |= 1u << qi;
		if ((io->op == DUET_BLKFRONT_READ ||
		     io->op == DUET_BLKFRONT_WRITE) && n < pc->len) {
			pc->off += n;
			pc->len -= n;
			io->outstanding++;
		} else {
			pop_piece(bf);
		}
	}
	for (qi = 0; qi < bf->nq; qi++) {
		if (!(touched & (1u << qi)))
			continue;
		rc = duet_ring_front_push(bf->q[qi].ring);
		if (rc > 0 &&
		    duet_evtchn_notify(bf->ev, (duet_evtchn_port_t)bf->q[qi].port) < 0)
			bf->need_step = 1; /* the backend may be gone */
	}
}

static int rsp_result(int16_t status)
{
	switch (status) {
	case BLKIF_RSP_OKAY:
		return 0;
	case BLKIF_RSP_EOPNOTSUPP:
		return -EOPNOTSUPP;
	default:
		return -EIO;
	}
}

/* One response, copied out of the ring.  0, or -EPROTO after a
 * violation (the rings are then gone). */
static int complete_one(struct duet_blkfront *bf, struct bf_queue *q,
			const struct blkif_response *rsp)
{
	unsigned slot = (unsigned)(rsp->id & 0xffffffffu), i;
	unsigned entries = bf->info.ring_entries;
	uint64_t seglen;
	struct bf_req *r;
	struct bf_io *io;
	int res;

	if (slot >= entries || !q->shadow[slot].in_use ||
	    q->shadow[slot].id != rsp->id) {
		bf_broken(bf, "response with an unknown or duplicate id "
			  "(id %#llx)", (unsigned long long)rsp->id);
		return -EPROTO;
	}
	r = &q->shadow[slot];
	if (rsp->operation != r->op &&
	    !(r->op == BLKIF_OP_INDIRECT && rsp->operation == r->inner_op)) {
		bf_broken(bf, "response with the wrong operation (id %#llx)",
			  (unsigned long long)rsp->id);
		return -EPROTO;
	}
	io = r->io;
	res = rsp_result(rsp->status);
	if (!res && r->inner_op == BLKIF_OP_READ) {
		for (i = 0; i < r->nsegs; i++) {
			seglen = r->len - (uint64_t)i * DUET_PAGE_SIZE;
			if (seglen > DUET_PAGE_SIZE)
				seglen = DUET_PAGE_SIZE;
			memcpy(io->buf + r->off + (uint64_t)i * DUET_PAGE_SIZE,
			       bf_req_page(r, i), seglen);
		}
	}
	/* Like Linux's blkfront: an operation refused once is not offered. */
	if (res == -EOPNOTSUPP && r->op == BLKIF_OP_FLUSH_DISKCACHE)
		bf->info.flush = 0;
	if (res == -EOPNOTSUPP && r->op == BLKIF_OP_WRITE_BARRIER)
		bf->info.barrier = 0;
	if (res == -EOPNOTSUPP && r->op == BLKIF_OP_DISCARD)
		bf->info.discard = 0;
	bf_req_ungrant(bf, r);
	r->in_use = 0;
	q->free[q->nfree++] = slot;
	bf->inflight--;
	bf_io_put(bf, io, res);
	return 0;
}

void bf_reap(struct duet_blkfront *bf)
{
	struct blkif_response rsp;
	struct bf_queue *q;
	unsigned qi;
	int rc;

	for (qi = 0; bf->live && qi < bf->nq; qi++) {
		q = &bf->q[qi];
		for (;;) {
			rc = duet_ring_front_get_rsp(q->ring, &rsp);
			if (rc == 1) {
				if (complete_one(bf, q, &rsp) < 0)
					return;
				continue;
			}
			if (rc == 0)
				rc = duet_ring_front_final_check(q->ring);
			if (rc < 0) {
				bf_broken(bf, "responses beyond the requests "
					  "on the ring");
				return;
			}
			if (rc == 0)
				break;
		}
	}
}

void bf_requeue_all(struct duet_blkfront *bf)
{
	struct bf_queue *q;
	struct bf_req *r;
	unsigned qi, s;

	for (qi = 0; qi < bf->nq; qi++) {
		q = &bf->q[qi];
		for (s = 0; q->shadow && s < bf->info.ring_entries; s++) {
			r = &q->shadow[s];
			if (!r->in_use)
				continue;
			bf_req_ungrant(bf, r);
			r->in_use = 0;
			q->free[q->nfree++] = s;
			bf->inflight--;
			/* The request becomes a piece again: the count of
			 * the I/O stays the same. */
			if (bf_queue_piece(bf, r->io, r->off, r->len, 1) < 0)
				bf_io_put(bf, r->io, -ENOMEM);
		}
	}
}

void bf_fail_all(struct duet_blkfront *bf, int err)
{
	struct bf_io *io;

	bf_requeue_all(bf);
	while (bf->pieces) {
		io = bf->pieces->io;
		pop_piece(bf);
		bf_io_put(bf, io, err);
	}
}

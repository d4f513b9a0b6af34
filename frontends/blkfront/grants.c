/* SPDX-License-Identifier: MIT */
/*
 * grants.c - the pages a request's data travels through.
 *
 * We never grant the caller's memory: data is copied into granted pages
 * (writes) and out of them (reads).  Two kinds of pages:
 *
 *   persistent (feature-persistent negotiated by both ends): a pool of
 *   pages granted read-write once, in chunks of BF_POOL_CHUNK, and handed
 *   out last-in first-out, so that the pages the backend mapped most
 *   recently (its LRU) are reused first.  One pool per queue, because
 *   the backend keeps one bounded cache of mappings per queue (Linux's
 *   and duet's blkback: 1056 grants): a page used on two queues would be
 *   mapped twice.  A pool stops growing at BF_POOL_MAX pages, below that
 *   bound, since a larger one only makes the backend's LRU thrash (map
 *   and unmap on every request); a request then waits for pages to come
 *   back.  The pools live as long as one connection; at disconnect every
 *   chunk is unshared.
 *
 *   per request (no persistent grants, or trusted = 0): the pages of one
 *   request are shared for it alone, read-only when the backend only reads
 *   them (writes, indirect pages), and unshared when the response came.
 *   That is the bounce buffer an untrusted backend gets: it never sees a
 *   page again after its request ended.
 *
 * A page the backend still maps cannot be unshared on the simulator
 * (-EBUSY); duet_gnt_end_share() then ends the share once it lets go.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "frontends/blkfront/common.h"

void bf_unshare(struct duet_blkfront *bf, void *addr, unsigned count)
{
	if (addr)
		duet_gnt_end_share(bf->p, addr, count);
}

/* Grant one more chunk of pool pages.  0 or -errno (-ENOSPC). */
static int pool_grow(struct duet_blkfront *bf, struct bf_pool *pool)
{
	duet_grant_ref_t refs[BF_POOL_CHUNK];
	struct bf_chunk *c;
	struct bf_page **np;
	unsigned i;
	int rc;

	if (pool->total + BF_POOL_CHUNK > pool->cap) {
		np = realloc(pool->free, (pool->cap + BF_POOL_CHUNK * 8) *
						 sizeof(*np));
		if (!np)
			return -ENOMEM;
		pool->free = np;
		pool->cap += BF_POOL_CHUNK * 8;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	rc = duet_gnt_share(bf->p, (duet_domid_t)bf->be_domid, BF_POOL_CHUNK,
			    0, refs, &c->addr);
	if (rc < 0) {
		free(c);
		return rc;
	}
	c->count = BF_POOL_CHUNK;
	pool->total += BF_POOL_CHUNK;
	for (i = 0; i < BF_POOL_CHUNK; i++) {
		c->pages[i].ref = refs[i];
		c->pages[i].addr = (char *)c->addr + i * DUET_PAGE_SIZE;
		pool->free[pool->nfree++] = &c->pages[i];
	}
	c->next = pool->chunks;
	pool->chunks = c;
	return 0;
}

void bf_pool_destroy(struct duet_blkfront *bf, struct bf_pool *pool)
{
	struct bf_chunk *c;

	while ((c = pool->chunks)) {
		pool->chunks = c->next;
		bf_unshare(bf, c->addr, c->count);
		free(c);
	}
	free(pool->free);
	memset(pool, 0, sizeof(*pool));
}

/*
 * Take @r's pages from its queue's pool.  The pool grows up to
 * BF_POOL_MAX pages; past that a request waits (-EAGAIN) for pages to come
 * back, unless nothing on the queue is in flight (then the cap gives way,
 * for a request larger than the cap).
 */
static int grant_persistent(struct duet_blkfront *bf, struct bf_queue *q,
			    struct bf_req *r)
{
	unsigned n = r->nsegs + r->nind, i;
	struct bf_pool *pool = &q->pool;
	int rc;

	while (pool->nfree < n) {
		if (pool->total + BF_POOL_CHUNK > BF_POOL_MAX &&
		    q->nfree < bf->info.ring_entries)
			return -EAGAIN;
		rc = pool_grow(bf, pool);
		if (rc < 0)
			return rc;
	}
	for (i = 0; i < n; i++) {
		r->pages[i] = pool->free[--pool->nfree];
		r->refs[i] = r->pages[i]->ref;
	}
	r->persistent = 1;
	r->pool = pool;
	return 0;
}

int bf_req_grant(struct duet_blkfront *bf, struct bf_queue *q,
		 struct bf_req *r)
{
	duet_domid_t dom = (duet_domid_t)bf->be_domid;
	int rc;

	r->data.addr = NULL;
	r->ind.addr = NULL;
	r->persistent = 0;
	if (r->nsegs + r->nind == 0)
		return 0;
	if (bf->info.persistent)
		return grant_persistent(bf, q, r);
	/* Data pages: the backend writes them for a read, reads them for a
	 * write; indirect pages it only reads. */
	rc = duet_gnt_share(bf->p, dom, r->nsegs,
			    r->inner_op == BLKIF_OP_WRITE ? DUET_GNT_READONLY
							  : 0,
			    r->refs, &r->data.addr);
	if (rc < 0)
		return rc;
	r->data.count = r->nsegs;
	if (!r->nind)
		return 0;
	rc = duet_gnt_share(bf->p, dom, r->nind, DUET_GNT_READONLY,
			    r->refs + r->nsegs, &r->ind.addr);
	if (rc < 0) {
		bf_unshare(bf, r->data.addr, r->data.count);
		r->data.addr = NULL;
		return rc;
	}
	r->ind.count = r->nind;
	return 0;
}

void bf_req_ungrant(struct duet_blkfront *bf, struct bf_req *r)
{
	unsigned i;

	if (r->persistent) {
		/* Back in reverse order so the first page taken is on top. */
		for (i = r->nsegs + r->nind; i-- > 0;)
			r->pool->free[r->pool->nfree++] = r->pages[i];
		r->persistent = 0;
		return;
	}
	bf_unshare(bf, r->data.addr, r->data.count);
	bf_unshare(bf, r->ind.addr, r->ind.count);
	r->data.addr = NULL;
	r->ind.addr = NULL;
}

void *bf_req_page(struct bf_req *r, unsigned i)
{
	if (r->persistent)
		return r->pages[i]->addr;
	if (i < r->nsegs)
		return (char *)r->data.addr + (size_t)i * DUET_PAGE_SIZE;
	return (char *)r->ind.addr + (size_t)(i - r->nsegs) * DUET_PAGE_SIZE;
}

duet_grant_ref_t bf_req_ref(struct bf_req *r, unsigned i)
{
	return r->refs[i];
}

/* SPDX-License-Identifier: MIT */
/*
 * persist.c - persistent grants: a per-queue bounded LRU of mappings.
 *
 * With feature-persistent the frontend grants a pool of pages once and
 * reuses them for every request (xen/io/blkif.h, Notes 7-9).  We map each
 * page read-write the first time we see its grant ref (even for reads:
 * the frontend grants them writable) and keep it mapped, like Linux's
 * blkback:
 *   - at most BB_MAX_PGRANTS (1056) per queue; when full, the least
 *     recently used entry that no request in flight uses is unmapped to
 *     make room, and when every entry is in use the segment falls back to
 *     grant copy (the caller sees -ENOSPC);
 *   - entries unused for persistent-grant-unused-seconds (a backend
 *     node, default 60 s as in Linux) are unmapped by
 *     bb_pgcache_purge(), called about once a second by the queue;
 *     an entry a request in flight uses is never unmapped.
 * With a DMA backend the device's mapping of an entry lives in the entry
 * (bb_pgrant.dma) and is unmapped just before the entry's own mapping.
 * A LIFO pool in the frontend (Linux's blkfront, duet's blkfront) keeps
 * the working set small, so the LRU rarely evicts.
 *
 * Only the queue's own thread touches its cache; map and unmap calls take
 * dev->plat_lock because the platform handle is shared.
 */
#include <errno.h>
#include <stdlib.h>

#include "backends/blkback/common.h"

static unsigned bucket(const struct bb_pgcache *c, uint32_t gref)
{
	return (gref * 2654435761u) & (c->nbuckets - 1);
}

int bb_pgcache_init(struct bb_pgcache *c, unsigned max)
{
	unsigned n = 1;

	while (n < max * 2)
		n <<= 1;
	c->hash = calloc(n, sizeof(*c->hash));
	if (!c->hash)
		return -ENOMEM;
	c->nbuckets = n;
	c->max = max;
	c->count = 0;
	c->lru_head = NULL;
	c->lru_tail = NULL;
	return 0;
}

static void lru_unlink(struct bb_pgcache *c, struct bb_pgrant *g)
{
	if (g->lru_prev)
		g->lru_prev->lru_next = g->lru_next;
	else
		c->lru_head = g->lru_next;
	if (g->lru_next)
		g->lru_next->lru_prev = g->lru_prev;
	else
		c->lru_tail = g->lru_prev;
	g->lru_prev = NULL;
	g->lru_next = NULL;
}

static void lru_push_head(struct bb_pgcache *c, struct bb_pgrant *g)
{
	g->lru_prev = NULL;
	g->lru_next = c->lru_head;
	if (c->lru_head)
		c->lru_head->lru_prev = g;
	c->lru_head = g;
	if (!c->lru_tail)
		c->lru_tail = g;
}

static int unmap_one(struct bb_dev *dev, void *addr)
{
	int rc;

	pthread_mutex_lock(&dev->plat_lock);
	rc = duet_gnt_unmap(dev->ctx->platform, addr, 1);
	pthread_mutex_unlock(&dev->plat_lock);
	return rc;
}

/* Remove @g from the hash and the LRU, unmap and free it. */
static void drop(struct bb_dev *dev, struct bb_pgcache *c,
		 struct bb_pgrant *g)
{
	struct bb_pgrant **link = &c->hash[bucket(c, g->gref)];

	while (*link && *link != g)
		link = &(*link)->hnext;
	if (*link)
		*link = g->hnext;
	lru_unlink(c, g);
	/* The DMA device's mapping goes first (dma.c). */
	if (g->dma)
		bb_dma_pgrant_drop(dev, g);
	if (unmap_one(dev, g->addr))
		c->unmap_errors++;
	free(g);
	c->count--;
}

struct bb_pgrant *bb_pgcache_get(struct bb_dev *dev,
					   struct bb_pgcache *c,
					   uint32_t gref, uint64_t now,
					   int *err)
{
	struct bb_pgrant *g;
	uint32_t ref = gref;
	unsigned b;
	int rc;

	b = bucket(c, gref);
	for (g = c->hash[b]; g; g = g->hnext)
		if (g->gref == gref)
			break;
	if (g) {
		c->hits++;
		g->users++;
		g->last_used = now;
		if (c->lru_head != g) {
			lru_unlink(c, g);
			lru_push_head(c, g);
		}
		return g;
	}
	c->misses++;
	if (c->count >= c->max) {
		struct bb_pgrant *v = c->lru_tail;

		while (v && v->users)
			v = v->lru_prev;
		if (!v) {
			c->full++;
			*err = -ENOSPC;
			return NULL;
		}
		drop(dev, c, v);
	}
	g = calloc(1, sizeof(*g));
	if (!g) {
		*err = -ENOSPC;
		return NULL;
	}
	pthread_mutex_lock(&dev->plat_lock);
	rc = duet_gnt_map(dev->ctx->platform, (duet_domid_t)dev->fe_domid, 1,
			  &ref, 0, &g->addr);
	pthread_mutex_unlock(&dev->plat_lock);
	if (rc) {
		free(g);
		*err = rc; /* -ENOSPC (too many mappings): copy */
		return NULL;
	}
	g->gref = gref;
	g->users = 1;
	g->last_used = now;
	g->hnext = c->hash[b];
	c->hash[b] = g;
	lru_push_head(c, g);
	c->count++;
	return g;
}

void bb_pgcache_put(struct bb_pgcache *c, struct bb_pgrant *g)
{
	(void)c;
	if (g->users)
		g->users--;
}

unsigned bb_pgcache_purge(struct bb_dev *dev,
			       struct bb_pgcache *c, uint64_t now,
			       uint64_t idle_ns)
{
	struct bb_pgrant *g = c->lru_tail, *prev;
	unsigned n = 0;

	while (g && now - g->last_used >= idle_ns) {
		prev = g->lru_prev;
		if (!g->users) {
			drop(dev, c, g);
			n++;
		}
		g = prev;
	}
	return n;
}

void bb_pgcache_destroy(struct bb_dev *dev,
			     struct bb_pgcache *c)
{
	if (!c->hash)
		return;
	while (c->lru_head)
		drop(dev, c, c->lru_head);
	free(c->hash);
	c->hash = NULL;
}

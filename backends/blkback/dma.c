/* SPDX-License-Identifier: MIT */
/*
 * dma.c - blkback's storage I/O through an emulated block controller
 * behind a DMA backend (duet/dma.h, duet/dma-dev.h), chosen with
 * `duet backend --dma NAME` or the backend node "dma" (duet/blkif.h).
 * Without either, none of this runs and io.c's io_uring engine does the
 * I/O.
 *
 * The instance's DMA stack (iommu-glue/dma-stack.h, shared with
 * netback): the driver domain's machine and RAM (BB_DMA_RAM_PAGES), one
 * DMA device with the named backend and the grant-aware glue over the
 * instance's platform handle.  On it, one block controller per queue
 * (made by the queue's first request, over the store's buffered
 * descriptor), each with its own scatter-gather table in coherent memory
 * (BB_MAX_SEGS entries: one page), so queues never wait for each other;
 * the device's DMA path is shared, as the queues of one PCI function
 * share its IOMMU context.
 *
 * A request (bb_dma_run(), in its queue's thread, instead of placing
 * segments and io_uring):
 *   1. each segment's page is given to the device for exactly the access
 *      the request needs: read-only (TO_DEVICE) for data going to the
 *      disk, writable (FROM_DEVICE) for data coming from it;
 *   2. its bus address plus first_sect * 512 goes into the table, one
 *      controller command per DUET_DMA_BLK_MAX_SEG segments; all are
 *      submitted, run and reaped together (the first error is the
 *      request's);
 *   3. the device gives the pages back (bounces are copied back then);
 *   FLUSH and BARRIER then run the controller's flush.
 * Step 1 and 3 by kind of grant:
 *   persistent (the frontend negotiated feature-persistent): the page is
 *     persist.c's cache entry, mapped read-write by the backend.  The
 *     device's mapping of it is made on the entry's first DMA use
 *     (duet_dma_glue_map_grants() over the entry's own mapping: no
 *     platform call), kept in the entry (bb_pgrant.dma) across requests,
 *     and unmapped by persist.c just before the entry's grant mapping is
 *     (eviction, idle purge, disconnect: bb_dma_pgrant_drop()), so the
 *     device never holds the frame longer than the backend does.  Rights
 *     stay exact per use: each request sets them to what its direction
 *     needs (duet_dma_glue_sync_for_device(): read-only for a disk write
 *     even though the grant is writable; an IOMMU entry changes only when
 *     the direction does), and between requests the entry keeps the last
 *     request's.  With direct, swiotlb or gart the glue bounces: the page
 *     is copied into a slot when the device gets it, whatever the
 *     direction (a partial device write then clobbers nothing), and
 *     copied back at step 3 only for a disk read.
 *   otherwise (no persistent grants, the cache full of entries in use, or
 *     a grant the cache cannot map read-write, such as a read-only grant
 *     for a disk write): the request's grants are mapped for the device
 *     with one batched glue call (one platform call) and unmapped with
 *     one (one IOMMU invalidation) after step 3.
 * A grant the grant table refuses (a read-only grant for a read, a bad
 * ref) fails the request before the device sees it: BLKIF_RSP_ERROR,
 * counted as dma-refused.  A device fault (the backend refused a DMA:
 * -EFAULT/-EACCES in a completion) fails it too: BLKIF_RSP_ERROR,
 * counted by the device (dma-faults) and logged, rate-limited.  A read
 * or write that faults may have moved the data of its other commands, as
 * a disk's partial transfer may; the frontend sees an error either way.
 *
 * Features under DMA: indirect segments, multi-queue and persistent
 * grants.  Discard is not offered: the controller has no discard
 * command.
 *
 * Locking: a queue's controller state is its thread's alone.  Glue calls
 * that may map or unmap grants take dev->plat_lock (the platform handle
 * is shared); the glue and the DMA layer lock their own state inside.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/blkback/common.h"
#include "duet/dma-dev.h"
#include "duet/dma.h"
#include "duet/log.h"
#include "iommu-glue/dma-stack.h"

/* The driver domain's RAM in the model: 16 MiB. */
#define BB_DMA_RAM_PAGES 4096u
/* The scatter-gather table of one queue: a request's segments. */
#define BB_DMA_TABLE (BB_MAX_SEGS * sizeof(struct duet_dma_sg_desc))
/* Commands of one request. */
#define BB_DMA_CMDS \
	((BB_MAX_SEGS + DUET_DMA_BLK_MAX_SEG - 1) / DUET_DMA_BLK_MAX_SEG)

/**
 * struct bb_dma_q - one queue's controller (its thread's alone).
 * @ctl:       the block controller, over the store's buffered fd.
 * @table:     its scatter-gather table (coherent), at bus @table_bus;
 *             segment i of a request is entry i.
 * @v, @vseg:  grants to map for the request, and their segments.
 * @keep, @kseg, @kaddr: kept (persistent) handles the request uses, their
 *             segments and bus addresses.
 * @tmp:       the request's own handles (unmapped after it).
 * @pg:        the cache entry per segment (NULL: none).
 * @same:      the earlier segment with the same cache entry, or -1.
 * @bus:       each segment's bus address.
 */
struct bb_dma_q {
	struct duet_dma_blkctl *ctl;
	struct duet_dma_sg_desc *table;
	duet_dma_addr_t table_bus;
	struct duet_dma_glue_req v[BB_MAX_SEGS];
	uint16_t vseg[BB_MAX_SEGS];
	struct duet_dma_glue_map *keep[BB_MAX_SEGS];
	uint16_t kseg[BB_MAX_SEGS];
	duet_dma_addr_t kaddr[BB_MAX_SEGS];
	struct duet_dma_glue_map *tmp[BB_MAX_SEGS];
	struct bb_pgrant *pg[BB_MAX_SEGS];
	int16_t same[BB_MAX_SEGS];
	duet_dma_addr_t bus[BB_MAX_SEGS];
};

/**
 * struct bb_dma - the device's DMA path.
 * @s:   the DMA stack (machine, RAM, device, glue, counters, log).
 * @q:   per queue index, its controller (NULL until its first request;
 *       queue i's thread alone creates and uses q[i]; bb_dma_close()
 *       runs after every queue thread was joined).
 */
struct bb_dma {
	struct dma_stack *s;
	struct bb_dma_q *q[BB_MAX_QUEUES];
};

/* ------------------------------------------------------------------ */
/* Set-up                                                              */
/* ------------------------------------------------------------------ */

int bb_dma_name(struct bb_dev *dev, char *name, size_t len)
{
	const struct duet_backend_ctx *ctx = dev->ctx;
	int rc;

	rc = duet_xenbus_read_str(ctx->xs, ctx->dir, "dma", name, len);
	if (rc >= 0)
		return *name ? 1 : 0;
	if (rc != -ENOENT)
		return rc;
	if (!ctx->dma || !*ctx->dma)
		return 0;
	if (strlen(ctx->dma) >= len)
		return -ENAMETOOLONG;
	strcpy(name, ctx->dma);
	/* Say which backend serves the device (duet status reads it). */
	rc = duet_xenbus_printf(ctx->xs, DUET_XS_NO_TX, ctx->dir, "dma", "%s",
				ctx->dma);
	return rc < 0 ? rc : 1;
}

static void queue_free(struct bb_dma *d, struct bb_dma_q *dq)
{
	duet_dma_blkctl_destroy(dq->ctl);
	if (dq->table)
		duet_dma_free_coherent(d->s->dev, BB_DMA_TABLE, dq->table,
				       dq->table_bus);
	free(dq);
}

void bb_dma_close(struct bb_dev *dev)
{
	struct bb_dma *d = dev->dma;
	unsigned i;

	if (!d)
		return;
	dev->dma = NULL;
	for (i = 0; i < BB_MAX_QUEUES; i++)
		if (d->q[i])
			queue_free(d, d->q[i]);
	pthread_mutex_lock(&dev->plat_lock);
	dma_stack_close(d->s);
	pthread_mutex_unlock(&dev->plat_lock);
	free(d);
}

int bb_dma_open(struct bb_dev *dev, const char *name)
{
	const struct duet_backend_ctx *ctx = dev->ctx;
	struct dma_stack_cfg cfg = {
		.drv = "blkback",
		.dir = ctx->dir,
		.backend = name,
		.devname = "blkctl",
		.self = (duet_domid_t)ctx->self_domid,
		.ram_pages = BB_DMA_RAM_PAGES,
		.platform = ctx->platform,
	};
	struct bb_dma *d;
	int rc;

	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	rc = dma_stack_open(&cfg, &d->s);
	if (rc) {
		free(d);
		return rc;
	}
	dev->dma = d;
	duet_log(DUET_LOG_INFO, "blkback %s: I/O through DMA backend %s",
		 ctx->dir, name);
	return 0;
}

/* Queue @q's controller, made now if it has none. */
static int queue_get(struct bb_queue *q, struct bb_dma_q **out)
{
	struct bb_dma *d = q->dev->dma;
	struct bb_dma_q *dq = d->q[q->index];
	int rc;

	if (dq) {
		*out = dq;
		return 0;
	}
	dq = calloc(1, sizeof(*dq));
	if (!dq)
		return -ENOMEM;
	rc = duet_dma_alloc_coherent(d->s->dev, BB_DMA_TABLE,
				     (void **)&dq->table, &dq->table_bus);
	if (!rc)
		rc = duet_dma_blkctl_create(d->s->dev, q->dev->store.fd,
					    &dq->ctl);
	if (rc) {
		dma_stack_log(d->s, "controller set-up failed", rc, q->index,
			      "request failed");
		queue_free(d, dq);
		return rc;
	}
	d->q[q->index] = dq;
	*out = dq;
	return 0;
}

void bb_dma_pgrant_drop(struct bb_dev *dev, struct bb_pgrant *g)
{
	struct duet_dma_glue_map *h = g->dma;

	if (!h)
		return;
	g->dma = NULL;
	/* Given back after each use (sync_for_cpu): nothing to copy. */
	pthread_mutex_lock(&dev->plat_lock);
	duet_dma_glue_unmap_grants(dev->dma->s->glue, &h, 1,
				   DUET_DMA_ATTR_SKIP_CPU_SYNC);
	pthread_mutex_unlock(&dev->plat_lock);
}

/* ------------------------------------------------------------------ */
/* Requests                                                            */
/* ------------------------------------------------------------------ */

/*
 * Give @r's pages to the device (step 1): the cache entries' kept
 * handles, and one batch for everything else.  Fills dq->bus.  Returns
 * the number of new handles in dq->v, or -EIO (logged and counted;
 * nothing held then but the cache references in dq->pg).
 */
static int pages_get(struct bb_queue *q, struct bb_dma_q *dq,
		     struct bb_req *r, unsigned *nkeep)
{
	struct bb_dev *dev = q->dev;
	struct dma_stack *s = dev->dma->s;
	int wr = r->p.write_data;
	enum duet_dma_dir dir = wr ? DUET_DMA_TO_DEVICE : DUET_DMA_FROM_DEVICE;
	unsigned i, nv = 0, nk = 0;
	uint64_t now = bb_now();
	int rc = 0;

	for (i = 0; i < r->p.nseg; i++) {
		struct bb_pgrant *g = NULL;

		if (dev->persistent)
			g = bb_pgcache_get(dev, &q->pgc, r->p.seg[i].gref,
					   now, &rc);
		dq->pg[i] = g;
		dq->same[i] = -1;
		/* A page twice in the request (the queue has no other
		 * request in flight, so more users mean this one): one
		 * device mapping for both. */
		if (g && g->users > 1) {
			unsigned j;

			for (j = 0; j < i && dq->pg[j] != g; j++)
				;
			if (j < i) {
				dq->same[i] = (int16_t)j;
				continue;
			}
		}
		if (g && g->dma) {
			dq->keep[nk] = g->dma;
			dq->kseg[nk++] = (uint16_t)i;
			continue;
		}
		/* The entry's mapping is read-write; a grant without an
		 * entry is mapped with exactly the rights @dir needs. */
		dq->v[nv] = (struct duet_dma_glue_req){
			.ref = r->p.seg[i].gref,
			.flags = !g && wr ? DUET_GNT_READONLY : 0,
			.dir = dir,
			.cpu = g ? g->addr : NULL,
		};
		dq->vseg[nv++] = (uint16_t)i;
	}
	rc = 0;
	if (nk)
		rc = duet_dma_glue_sync_for_device(s->glue, dq->keep, nk, dir,
						   dq->kaddr);
	if (rc < 0) {
		duet_dma_glue_sync_for_cpu(s->glue, dq->keep, nk);
		dma_stack_log(s, "persistent grant not given to the device",
			      rc, r->p.seg[dq->kseg[0]].gref,
			      "request failed");
		return -EIO;
	}
	if (nv) {
		pthread_mutex_lock(&dev->plat_lock);
		rc = duet_dma_glue_map_grants(s->glue, s->dev,
					      (duet_domid_t)dev->fe_domid,
					      dq->v, nv);
		pthread_mutex_unlock(&dev->plat_lock);
	}
	if (rc < 0) {
		for (i = 0; i < nv && !dq->v[i].status; i++)
			;
		dma_stack_count(s, 0, 1);
		dma_stack_log(s, "grant refused for the device", rc,
			      i < nv ? dq->v[i].ref : 0, "request failed");
		duet_dma_glue_sync_for_cpu(s->glue, dq->keep, nk);
		return -EIO;
	}
	dma_stack_count(s, nv + nk, 0);
	for (i = 0; i < nk; i++)
		dq->bus[dq->kseg[i]] = dq->kaddr[i];
	for (i = 0; i < nv; i++) {
		struct bb_pgrant *g = dq->pg[dq->vseg[i]];

		dq->bus[dq->vseg[i]] = dq->v[i].addr;
		if (g)
			g->dma = dq->v[i].h;
	}
	for (i = 0; i < r->p.nseg; i++)
		if (dq->same[i] >= 0)
			dq->bus[i] = dq->bus[dq->same[i]];
	*nkeep = nk;
	return (int)nv;
}

/* Step 3: the kept handles are given back, the request's own unmapped. */
static void pages_put(struct bb_queue *q, struct bb_dma_q *dq,
		      struct bb_req *r, unsigned nv)
{
	struct bb_dev *dev = q->dev;
	struct dma_stack *s = dev->dma->s;
	unsigned i, nk = 0, nt = 0;

	for (i = 0; i < r->p.nseg; i++)
		if (dq->pg[i] && dq->pg[i]->dma && dq->same[i] < 0)
			dq->keep[nk++] = dq->pg[i]->dma;
	for (i = 0; i < nv; i++)
		if (!dq->pg[dq->vseg[i]])
			dq->tmp[nt++] = dq->v[i].h;
	/* Bounces are copied back here, before the response. */
	duet_dma_glue_sync_for_cpu(s->glue, dq->keep, nk);
	if (nt) {
		pthread_mutex_lock(&dev->plat_lock);
		duet_dma_glue_unmap_grants(s->glue, dq->tmp, nt, 0);
		pthread_mutex_unlock(&dev->plat_lock);
	}
}

/* Release the cache references of a request. */
static void pg_release(struct bb_queue *q, struct bb_dma_q *dq,
		       struct bb_req *r)
{
	unsigned i;

	for (i = 0; i < r->p.nseg; i++)
		if (dq->pg[i]) {
			bb_pgcache_put(&q->pgc, dq->pg[i]);
			dq->pg[i] = NULL;
		}
}

/* Step 2: the table, one command per DUET_DMA_BLK_MAX_SEG segments,
 * run together.  Returns 0 or the first command's error. */
static int run_cmds(struct dma_stack *s, struct bb_dma_q *dq,
		    struct bb_req *r)
{
	struct duet_dma_blk_done done[BB_DMA_CMDS];
	uint64_t sector = r->p.sector;
	unsigned i, k, n, ncmd = 0;
	int rc = 0, got;

	for (i = 0; i < r->p.nseg; i++) {
		const struct bb_seg *sg = &r->p.seg[i];

		dq->table[i].addr = dq->bus[i] + (uint64_t)sg->first_sect * 512;
		dq->table[i].len = (uint32_t)(sg->last_sect - sg->first_sect +
					      1) * 512;
		dq->table[i].rsvd = 0;
	}
	/* Coherent memory: no sync; the controller runs in this thread,
	 * after the table was written. */
	for (i = 0; i < r->p.nseg && !rc; i += n) {
		struct duet_dma_blk_cmd cmd = {
			.op = r->p.write_data ? DUET_DMA_BLK_WRITE :
						DUET_DMA_BLK_READ,
			.sector = sector,
			.table = dq->table_bus +
				 (uint64_t)i * sizeof(struct duet_dma_sg_desc),
			.tag = i,
		};

		n = r->p.nseg - i;
		if (n > DUET_DMA_BLK_MAX_SEG)
			n = DUET_DMA_BLK_MAX_SEG;
		cmd.nseg = n;
		for (k = i; k < i + n; k++)
			sector += (uint64_t)(r->p.seg[k].last_sect -
					     r->p.seg[k].first_sect + 1);
		rc = duet_dma_blkctl_submit(dq->ctl, &cmd);
		ncmd += !rc;
	}
	duet_dma_blkctl_run(dq->ctl);
	got = duet_dma_blkctl_reap(dq->ctl, done, ncmd);
	if (got != (int)ncmd && !rc)
		rc = -EIO;
	for (k = 0; k < (unsigned)(got > 0 ? got : 0); k++) {
		if (done[k].status == -EFAULT || done[k].status == -EACCES) {
			if (!rc)
				dma_stack_fault(s, NULL, done[k].status,
						"request failed");
		} else if (done[k].status < 0 && !rc) {
			dma_stack_log(s, "controller error", done[k].status,
				      r->p.sector, "request failed");
		}
		if (done[k].status < 0 && !rc)
			rc = done[k].status;
	}
	return rc;
}

int bb_dma_run(struct bb_queue *q, struct bb_req *r)
{
	struct bb_dma *d = q->dev->dma;
	struct duet_dma_blk_cmd flush = {
		.op = DUET_DMA_BLK_FLUSH,
		.tag = r->p.id,
	};
	struct duet_dma_blk_done done;
	struct bb_dma_q *dq = NULL;
	unsigned i, nk = 0;
	int rc, nv;

	r->len = r->p.nr_sectors * 512;
	for (i = 0; i < r->p.nseg; i++) {
		r->src[i] = BB_SEG_DMA;
		r->pg[i] = NULL;
	}
	if (r->p.kind == BB_DISCARD)
		return -EOPNOTSUPP;
	rc = queue_get(q, &dq);
	if (rc < 0)
		return -EIO;
	if (r->p.nseg) {
		nv = pages_get(q, dq, r, &nk);
		if (nv < 0) {
			pg_release(q, dq, r);
			return -EIO;
		}
		rc = run_cmds(d->s, dq, r);
		pages_put(q, dq, r, (unsigned)nv);
		pg_release(q, dq, r);
		if (rc < 0)
			return -EIO;
	}
	if (r->p.kind == BB_FLUSH || r->p.kind == BB_BARRIER) {
		rc = duet_dma_blkctl_submit(dq->ctl, &flush);
		if (!rc) {
			duet_dma_blkctl_run(dq->ctl);
			if (duet_dma_blkctl_reap(dq->ctl, &done, 1) != 1)
				rc = -EIO;
			else
				rc = done.status;
		}
		if (rc < 0)
			return -EIO;
	}
	return 0;
}

void bb_dma_stats(struct bb_dev *dev, struct duet_backend_stat *st,
		  unsigned *n)
{
	if (dev->dma)
		dma_stack_stats(dev->dma->s, st, n);
}

/* SPDX-License-Identifier: MIT */
/*
 * dma.c - blkback's storage I/O through an emulated block controller
 * behind a DMA backend (duet/dma.h, duet/dma-dev.h), chosen with
 * `duet backend --dma NAME` or the backend node "dma" (duet/blkif.h).
 * Without either, none of this runs and io.c's io_uring engine does the
 * I/O.
 *
 * The instance process is the driver domain's view of a machine: one
 * duet_dma_mem, the driver domain's RAM in it (BB_DMA_RAM_PAGES, where
 * coherent memory and swiotlb pools come from), one duet_dma_dev with the
 * named backend, the grant-aware glue over the instance's platform handle
 * and one controller backed by the store's buffered descriptor.
 *
 * A request (bb_dma_run(), from a queue thread, instead of placing
 * segments and io_uring):
 *   for every run of up to DUET_DMA_BLK_MAX_SEG segments:
 *     each segment's grant is mapped for the device with
 *     duet_dma_glue_map_grant(): read-only and TO_DEVICE for data going to
 *     the disk, writable and FROM_DEVICE for data coming from it; its bus
 *     address plus first_sect * 512 goes into the controller's
 *     scatter-gather table (coherent memory), the command is submitted and
 *     run, and every mapping is undone (a bounce is copied back then)
 *   FLUSH and BARRIER then run the controller's flush.
 * A grant the grant table refuses (a read-only grant for a read, a bad
 * ref) fails the request before the device sees it: BLKIF_RSP_ERROR,
 * counted as dma-refused.  A device fault (the backend refused a DMA:
 * -EFAULT/-EACCES in the completion) fails it too: BLKIF_RSP_ERROR,
 * counted by the device (dma-faults) and logged, rate-limited.  A read
 * that faults may have filled earlier runs, as a disk's partial read may;
 * the frontend sees an error either way.
 *
 * Features under DMA: indirect segments and multi-queue work (a request's
 * segments go in runs of DUET_DMA_BLK_MAX_SEG; queues share the one
 * controller, one command at a time under bb_dma.lock).  Persistent
 * grants are accepted as negotiated, but the device never keeps a
 * mapping across requests: every request maps its grants through the
 * glue and unmaps them before it is answered, which the protocol allows
 * (feature-persistent says the frontend reuses grants, not that the
 * backend must keep them mapped).  Discard is not offered: the controller
 * has no discard command.
 *
 * Locking: bb_dma.lock (the controller and its table) is taken before
 * dev->plat_lock (the glue maps through the shared platform handle),
 * never the other way round.
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

/* The driver domain's RAM in the model: 16 MiB. */
#define BB_DMA_RAM_PAGES 4096u
/* Machine address bits: pools and coherent memory below 4 GiB. */
#define BB_DMA_ADDR_BITS 32u

/**
 * struct bb_dma - the device's DMA path.
 * @lock:      the controller, @table and @h (one command at a time).
 * @mem, @dom: the machine and the driver domain's RAM in it.
 * @ddev:      the DMA device of the controller.
 * @glue:      grant mappings for @ddev.
 * @ctl:       the block controller, over the store's buffered fd.
 * @table:     its scatter-gather table (coherent), at bus @table_bus.
 * @h:         the glue handles of the run being executed.
 * @name:      the DMA backend's name.
 * @grants:    grants mapped for the device; @refused: grant maps the
 *             grant table refused (relaxed atomics: counters only, read
 *             by the main thread).
 * @limit:     the fault log's rate limit (under @lock).
 */
struct bb_dma {
	pthread_mutex_t lock;
	struct duet_dma_mem *mem;
	struct duet_dma_domain *dom;
	struct duet_dma_dev *ddev;
	struct duet_dma_glue *glue;
	struct duet_dma_blkctl *ctl;
	struct duet_dma_sg_desc *table;
	duet_dma_addr_t table_bus;
	struct duet_dma_glue_map *h[DUET_DMA_BLK_MAX_SEG];
	char name[32];
	atomic_ullong grants, refused;
	struct duet_log_limit limit;
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

void bb_dma_close(struct bb_dev *dev)
{
	struct bb_dma *d = dev->dma;

	if (!d)
		return;
	dev->dma = NULL;
	duet_dma_blkctl_destroy(d->ctl);
	if (d->table)
		duet_dma_free_coherent(d->ddev, DUET_PAGE_SIZE, d->table,
				       d->table_bus);
	pthread_mutex_lock(&dev->plat_lock);
	duet_dma_glue_destroy(d->glue);
	pthread_mutex_unlock(&dev->plat_lock);
	duet_dma_dev_destroy(d->ddev);
	duet_dma_domain_destroy(d->dom);
	duet_dma_mem_destroy(d->mem);
	pthread_mutex_destroy(&d->lock);
	free(d);
}

int bb_dma_open(struct bb_dev *dev, const char *name)
{
	const struct duet_backend_ctx *ctx = dev->ctx;
	const struct duet_dma_ops *ops = duet_dma_backend_find(name);
	struct duet_dma_dev_cfg cfg = { .name = "blkctl" };
	struct bb_dma *d;
	int rc;

	if (!ops) {
		duet_log(DUET_LOG_ERR, "blkback %s: unknown DMA backend '%s'",
			 ctx->dir, name);
		return -ENOENT;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	pthread_mutex_init(&d->lock, NULL);
	snprintf(d->name, sizeof(d->name), "%s", name);
	dev->dma = d;
	rc = duet_dma_mem_create(BB_DMA_ADDR_BITS, &d->mem);
	if (!rc)
		rc = duet_dma_domain_create(d->mem,
					    (duet_domid_t)ctx->self_domid,
					    BB_DMA_RAM_PAGES, &d->dom);
	if (!rc)
		rc = duet_dma_dev_create(d->dom, &cfg, ops, NULL, &d->ddev);
	if (!rc)
		rc = duet_dma_glue_create(ctx->platform, d->dom, &d->glue);
	if (!rc)
		rc = duet_dma_alloc_coherent(d->ddev, DUET_PAGE_SIZE,
					     (void **)&d->table,
					     &d->table_bus);
	if (!rc)
		rc = duet_dma_blkctl_create(d->ddev, dev->store.fd, &d->ctl);
	if (rc) {
		duet_log(DUET_LOG_ERR, "blkback %s: DMA backend %s: %s",
			 ctx->dir, name, strerror(-rc));
		bb_dma_close(dev);
		return rc;
	}
	duet_log(DUET_LOG_INFO, "blkback %s: I/O through DMA backend %s",
		 ctx->dir, name);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Requests                                                            */
/* ------------------------------------------------------------------ */

/* A fault or refusal worth a line (rate-limited per device). */
static void dma_log(struct bb_dev *dev, const char *what, int err,
		    uint64_t addr)
{
	duet_log_limited(&dev->dma->limit, DUET_LOG_WARN,
			 "blkback %s: %s (%s) at %#" PRIx64 ", request failed",
			 dev->ctx->dir, what, strerror(-err), addr);
}

/* Run one command and return its status. */
static int run_cmd(struct bb_dma *d, const struct duet_dma_blk_cmd *cmd)
{
	struct duet_dma_blk_done done;
	int rc;

	rc = duet_dma_blkctl_submit(d->ctl, cmd);
	if (rc < 0)
		return rc;
	duet_dma_blkctl_run(d->ctl);
	if (duet_dma_blkctl_reap(d->ctl, &done, 1) != 1)
		return -EIO;
	return done.status;
}

/*
 * Segments [@first, @first + @n) of @r at disk sector @sector: map,
 * table, run, unmap.  Returns 0 or -EIO (already logged and counted).
 */
static int run_segs(struct bb_queue *q, struct bb_req *r, unsigned first,
		    unsigned n, uint64_t sector)
{
	struct bb_dev *dev = q->dev;
	struct bb_dma *d = dev->dma;
	int wr = r->p.write_data;
	enum duet_dma_dir dir = wr ? DUET_DMA_TO_DEVICE : DUET_DMA_FROM_DEVICE;
	struct duet_dma_blk_cmd cmd = {
		.op = wr ? DUET_DMA_BLK_WRITE : DUET_DMA_BLK_READ,
		.nseg = n,
		.sector = sector,
		.table = d->table_bus,
		.tag = r->p.id,
	};
	unsigned i, mapped = 0;
	int rc = 0;

	pthread_mutex_lock(&dev->plat_lock);
	for (i = 0; i < n; i++) {
		const struct bb_seg *s = &r->p.seg[first + i];
		duet_dma_addr_t bus;

		rc = duet_dma_glue_map_grant(d->glue, d->ddev,
					     (duet_domid_t)dev->fe_domid,
					     s->gref,
					     wr ? DUET_GNT_READONLY : 0, dir,
					     &d->h[i], &bus, NULL);
		if (rc < 0) {
			atomic_fetch_add_explicit(&d->refused, 1,
						  memory_order_relaxed);
			dma_log(dev, "grant refused for the device", rc,
				s->gref);
			break;
		}
		mapped++;
		atomic_fetch_add_explicit(&d->grants, 1,
					  memory_order_relaxed);
		d->table[i].addr = bus + (uint64_t)s->first_sect * 512;
		d->table[i].len = (uint32_t)(s->last_sect - s->first_sect + 1) *
				  512;
		d->table[i].rsvd = 0;
	}
	pthread_mutex_unlock(&dev->plat_lock);
	if (!rc) {
		/* Coherent memory: no sync; the controller runs in this
		 * thread, after the table was written. */
		rc = run_cmd(d, &cmd);
		if (rc == -EFAULT || rc == -EACCES) {
			struct duet_dma_fault f;

			duet_dma_dev_last_fault(d->ddev, &f);
			dma_log(dev, f.write ? "device write fault"
					     : "device read fault",
				rc, f.addr);
		} else if (rc < 0) {
			dma_log(dev, "controller error", rc, sector);
		}
	}
	pthread_mutex_lock(&dev->plat_lock);
	for (i = 0; i < mapped; i++)
		duet_dma_glue_unmap(d->glue, d->h[i]);
	pthread_mutex_unlock(&dev->plat_lock);
	return rc < 0 ? -EIO : 0;
}

int bb_dma_run(struct bb_queue *q, struct bb_req *r)
{
	struct bb_dma *d = q->dev->dma;
	struct duet_dma_blk_cmd flush = {
		.op = DUET_DMA_BLK_FLUSH,
		.tag = r->p.id,
	};
	uint64_t sector = r->p.sector;
	unsigned i, n, k;
	int rc = 0;

	r->len = r->p.nr_sectors * 512;
	for (i = 0; i < r->p.nseg; i++) {
		r->src[i] = BB_SEG_DMA;
		r->pg[i] = NULL;
	}
	if (r->p.kind == BB_DISCARD)
		return -EOPNOTSUPP;
	pthread_mutex_lock(&d->lock);
	for (i = 0; i < r->p.nseg && !rc; i += n) {
		n = r->p.nseg - i;
		if (n > DUET_DMA_BLK_MAX_SEG)
			n = DUET_DMA_BLK_MAX_SEG;
		rc = run_segs(q, r, i, n, sector);
		for (k = i; k < i + n; k++)
			sector += (uint64_t)(r->p.seg[k].last_sect -
					     r->p.seg[k].first_sect + 1);
	}
	if (!rc && (r->p.kind == BB_FLUSH || r->p.kind == BB_BARRIER) &&
	    run_cmd(d, &flush) < 0)
		rc = -EIO;
	pthread_mutex_unlock(&d->lock);
	return rc;
}

void bb_dma_stats(struct bb_dev *dev, struct duet_backend_stat *st,
		  unsigned *n)
{
	struct bb_dma *d = dev->dma;
	struct duet_dma_stats s;

	if (!d)
		return;
	duet_dma_dev_stats(d->ddev, &s);
	st[(*n)++] = (struct duet_backend_stat){ "dma-live", s.live };
	st[(*n)++] = (struct duet_backend_stat){ "dma-maps", s.maps };
	st[(*n)++] = (struct duet_backend_stat){ "dma-faults", s.faults };
	st[(*n)++] = (struct duet_backend_stat){
		"dma-grants",
		atomic_load_explicit(&d->grants, memory_order_relaxed)
	};
	st[(*n)++] = (struct duet_backend_stat){
		"dma-refused",
		atomic_load_explicit(&d->refused, memory_order_relaxed)
	};
	st[(*n)++] = (struct duet_backend_stat){ "dma-bounce-used",
						 s.bounce_used };
	st[(*n)++] = (struct duet_backend_stat){ "dma-bounce-total",
						 s.bounce_total };
}

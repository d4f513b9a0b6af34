/* SPDX-License-Identifier: MIT */
/*
 * dma-stack.c - a backend driver's DMA stack (dma-stack.h): the set-up
 * blkback's and netback's dma.c share, their counters and fault log.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iommu-glue/dma-stack.h"

/* Machine address bits: pools and coherent memory below 4 GiB. */
#define DMA_STACK_ADDR_BITS 32u

void dma_stack_close(struct dma_stack *s)
{
	if (!s)
		return;
	duet_dma_glue_destroy(s->glue);
	duet_dma_dev_destroy(s->dev);
	duet_dma_domain_destroy(s->dom);
	duet_dma_mem_destroy(s->mem);
	pthread_mutex_destroy(&s->log_lock);
	free(s);
}

int dma_stack_open(const struct dma_stack_cfg *cfg, struct dma_stack **out)
{
	const struct duet_dma_ops *ops;
	struct duet_dma_dev_cfg dcfg = { 0 };
	struct dma_stack *s;
	int rc;

	if (!cfg || !cfg->drv || !cfg->dir || !cfg->backend ||
	    !cfg->platform || !out)
		return -EINVAL;
	ops = duet_dma_backend_find(cfg->backend);
	if (!ops) {
		duet_log(DUET_LOG_ERR, "%s %s: unknown DMA backend '%s'",
			 cfg->drv, cfg->dir, cfg->backend);
		return -ENOENT;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	pthread_mutex_init(&s->log_lock, NULL);
	snprintf(s->name, sizeof(s->name), "%s", cfg->backend);
	snprintf(s->prefix, sizeof(s->prefix), "%s %s", cfg->drv, cfg->dir);
	dcfg.name = cfg->devname;
	rc = duet_dma_mem_create(DMA_STACK_ADDR_BITS, &s->mem);
	if (!rc)
		rc = duet_dma_domain_create(s->mem, cfg->self, cfg->ram_pages,
					    &s->dom);
	if (!rc)
		rc = duet_dma_dev_create(s->dom, &dcfg, ops, NULL, &s->dev);
	if (!rc)
		rc = duet_dma_glue_create(cfg->platform, s->dom, &s->glue);
	if (rc) {
		duet_log(DUET_LOG_ERR, "%s: DMA backend %s: %s", s->prefix,
			 cfg->backend, strerror(-rc));
		dma_stack_close(s);
		return rc;
	}
	*out = s;
	return 0;
}

void dma_stack_count(struct dma_stack *s, unsigned grants, unsigned refused)
{
	if (grants)
		atomic_fetch_add_explicit(&s->grants, grants,
					  memory_order_relaxed);
	if (refused)
		atomic_fetch_add_explicit(&s->refused, refused,
					  memory_order_relaxed);
}

void dma_stack_log(struct dma_stack *s, const char *what, int err,
		   uint64_t addr, const char *outcome)
{
	pthread_mutex_lock(&s->log_lock);
	duet_log_limited(&s->limit, DUET_LOG_WARN,
			 "%s: %s (%s) at %#" PRIx64 ", %s", s->prefix, what,
			 strerror(err < 0 ? -err : err), addr, outcome);
	pthread_mutex_unlock(&s->log_lock);
}

void dma_stack_fault(struct dma_stack *s, const char *what, int err,
		     const char *outcome)
{
	struct duet_dma_fault f;
	char msg[64];

	duet_dma_dev_last_fault(s->dev, &f);
	snprintf(msg, sizeof(msg), "%s%sdevice %s fault", what ? what : "",
		 what ? " " : "", f.write ? "write" : "read");
	dma_stack_log(s, msg, err ? err : f.error ? f.error : -EIO, f.addr,
		      outcome);
}

void dma_stack_stats(struct dma_stack *s, struct duet_backend_stat *st,
		     unsigned *n)
{
	struct duet_dma_stats ds;

	duet_dma_dev_stats(s->dev, &ds);
	st[(*n)++] = (struct duet_backend_stat){ "dma-live", ds.live };
	st[(*n)++] = (struct duet_backend_stat){ "dma-maps", ds.maps };
	st[(*n)++] = (struct duet_backend_stat){ "dma-faults", ds.faults };
	st[(*n)++] = (struct duet_backend_stat){
		"dma-grants",
		atomic_load_explicit(&s->grants, memory_order_relaxed)
	};
	st[(*n)++] = (struct duet_backend_stat){
		"dma-refused",
		atomic_load_explicit(&s->refused, memory_order_relaxed)
	};
	st[(*n)++] = (struct duet_backend_stat){ "dma-bounce-used",
						 ds.bounce_used };
	st[(*n)++] = (struct duet_backend_stat){ "dma-bounce-total",
						 ds.bounce_total };
}

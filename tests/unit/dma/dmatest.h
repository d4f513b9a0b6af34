/* SPDX-License-Identifier: MIT */
/*
 * dmatest.h - a machine with two domains for the DMA tests: the driver
 * domain 1 (where devices live) and domain 2 (a "guest" whose frames a
 * device must not reach).
 */
#ifndef DUET_TESTS_DMATEST_H
#define DUET_TESTS_DMATEST_H

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "duet/dma.h"
#include "tap.h"

struct dmat {
	struct duet_dma_mem *mem;
	struct duet_dma_domain *drv;   /* domain 1 */
	struct duet_dma_domain *guest; /* domain 2 */
};

/* 4 GiB machine; @pages of RAM for the driver domain, 64 for the guest. */
static inline void dmat_open(struct dmat *t, unsigned pages)
{
	if (duet_dma_mem_create(32, &t->mem) < 0 ||
	    duet_dma_domain_create(t->mem, 1, pages, &t->drv) < 0 ||
	    duet_dma_domain_create(t->mem, 2, 64, &t->guest) < 0) {
		printf("Bail out! cannot set up the machine\n");
		exit(1);
	}
}

static inline void dmat_close(struct dmat *t)
{
	duet_dma_domain_destroy(t->guest);
	duet_dma_domain_destroy(t->drv);
	duet_dma_mem_destroy(t->mem);
}

static inline struct duet_dma_dev *dmat_dev(struct dmat *t, const char *be,
					    const char *opts,
					    const struct duet_dma_dev_cfg *c)
{
	struct duet_dma_dev *dev;
	int rc = duet_dma_dev_create(t->drv, c, duet_dma_backend_find(be),
				     opts, &dev);

	if (rc < 0) {
		printf("Bail out! cannot create a %s device: %d\n", be, rc);
		exit(1);
	}
	return dev;
}

/* A device of backend @o for @drv; swiotlb forced to bounce every
 * mapping (so that it is tested as a bounce backend). */
static inline int dmat_dev_bounce(struct duet_dma_domain *drv,
				  const struct duet_dma_dev_cfg *c,
				  const struct duet_dma_ops *o,
				  struct duet_dma_dev **dev)
{
	return duet_dma_dev_create(drv, c, o,
				   strcmp(o->name, "swiotlb") ? NULL : "force",
				   dev);
}

/*
 * After an expected device fault, reset the device as its driver would:
 * on calgary the fault latched and the watchdog cut the PHB's slot off
 * (every later DMA refused); other backends have nothing to reset.
 */
static inline void dmat_after_fault(struct duet_dma_dev *dev)
{
	if (duet_dma_dev_reset(dev) < 0)
		printf("# reset failed\n");
}

/* A deterministic byte pattern. */
static inline void dmat_fill(void *p, size_t n, unsigned seed)
{
	unsigned char *c = p;
	size_t i;

	for (i = 0; i < n; i++)
		c[i] = (unsigned char)(seed * 131 + i * 7 + (i >> 8));
}

#endif /* DUET_TESTS_DMATEST_H */

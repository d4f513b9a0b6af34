/* SPDX-License-Identifier: MIT */
/*
 * ring-test.h - shared set-up for the ring tests: a page-aligned ring area
 * in local memory with a frontend and a backend attached to it, and the
 * ring code's internals (the tests include ring/ring.c to reach them).
 */
#ifndef DUET_TESTS_RING_TEST_H
#define DUET_TESTS_RING_TEST_H

#include <stdlib.h>
#include <string.h>

#include "ring/ring.c"
#include "tap.h"

struct pair {
	void *mem;
	struct duet_ring *front;
	struct duet_ring *back;
};

static inline void pair_open(struct pair *p, enum duet_ring_type type,
			     unsigned order)
{
	size_t len = (size_t)DUET_RING_PAGE_BYTES << order;

	if (posix_memalign(&p->mem, DUET_RING_PAGE_BYTES, len))
		abort();
	memset(p->mem, 0xa5, len);
	if (duet_ring_attach(duet_ring_desc_get(type), DUET_RING_FRONT, p->mem,
			     order, &p->front) ||
	    duet_ring_attach(duet_ring_desc_get(type), DUET_RING_BACK, p->mem,
			     order, &p->back))
		abort();
}

/* Move both ends (and the shared header) to index @start, as if that
 * many requests had already gone round. */
static inline void pair_rebase(struct pair *p, uint32_t start)
{
	struct sring_hdr *h = p->mem;

	h->req_prod = h->rsp_prod = start;
	h->req_event = h->rsp_event = start + 1;
	p->front->prod_pvt = p->front->cons = p->front->pushed = start;
	p->back->prod_pvt = p->back->cons = p->back->pushed = start;
}

static inline void pair_close(struct pair *p)
{
	duet_ring_detach(p->front);
	duet_ring_detach(p->back);
	free(p->mem);
}

#endif /* DUET_TESTS_RING_TEST_H */

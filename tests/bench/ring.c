/* SPDX-License-Identifier: MIT */
/*
 * Ring throughput: requests and responses through duet's ring code, both
 * ends in one thread (pure bookkeeping + copy cost per entry) and each end
 * in its own thread spinning on the shared indexes (cross-core cost), for
 * blkif (112-byte requests) and netif tx (12-byte requests), 1 and 16
 * pages.  Prints; never asserts.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "duet/ring.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct run {
	struct duet_ring *front, *back;
	unsigned long total;
	unsigned batch;
};

static void *backend(void *arg)
{
	struct run *r = arg;
	unsigned char buf[64][128];
	unsigned long done = 0;
	int n, i;

	while (done < r->total) {
		n = duet_ring_back_get_reqs(r->back, buf, 64);
		if (n < 0)
			abort();
		for (i = 0; i < n; i++)
			duet_ring_back_put_rsp(r->back, buf[i]);
		if (n)
			duet_ring_back_push(r->back);
		done += (unsigned long)n;
	}
	return NULL;
}

static void frontend(struct run *r, int threaded)
{
	unsigned char req[128] = { 1 }, rsp[128];
	unsigned long sent = 0, got = 0;
	unsigned i;

	while (got < r->total) {
		for (i = 0; i < r->batch && sent < r->total &&
			    duet_ring_front_free(r->front);
		     i++, sent++)
			duet_ring_front_put_req(r->front, req);
		duet_ring_front_push(r->front);
		if (!threaded) {
			unsigned char buf[64][128];
			int n, k;

			while ((n = duet_ring_back_get_reqs(r->back, buf, 64)) >
			       0) {
				for (k = 0; k < n; k++)
					duet_ring_back_put_rsp(r->back, buf[k]);
				duet_ring_back_push(r->back);
			}
		}
		while (duet_ring_front_get_rsp(r->front, rsp) == 1)
			got++;
	}
}

static void bench(const char *name, enum duet_ring_type type, unsigned order,
		  int threaded)
{
	size_t len = (size_t)DUET_RING_PAGE_BYTES << order;
	struct run r = { .total = 4000000, .batch = 32 };
	pthread_t th;
	void *mem;
	double t0, dt;

	if (posix_memalign(&mem, DUET_RING_PAGE_BYTES, len))
		abort();
	duet_ring_attach(duet_ring_desc_get(type), DUET_RING_FRONT, mem, order,
			 &r.front);
	duet_ring_attach(duet_ring_desc_get(type), DUET_RING_BACK, mem, order,
			 &r.back);
	t0 = now();
	if (threaded)
		pthread_create(&th, NULL, backend, &r);
	frontend(&r, threaded);
	if (threaded)
		pthread_join(th, NULL);
	dt = now() - t0;
	printf("%-9s order %u %-12s %8.1f ns/request  %7.2f Mreq/s\n", name,
	       order, threaded ? "two threads" : "one thread",
	       dt * 1e9 / (double)r.total, (double)r.total / dt / 1e6);
	duet_ring_detach(r.front);
	duet_ring_detach(r.back);
	free(mem);
}

int main(void)
{
	printf("ring round trips (request + response), batches of 32\n");
	bench("blkif", DUET_RING_BLKIF, 0, 0);
	bench("blkif", DUET_RING_BLKIF, 4, 0);
	bench("netif-tx", DUET_RING_NETIF_TX, 0, 0);
	bench("blkif", DUET_RING_BLKIF, 0, 1);
	bench("blkif", DUET_RING_BLKIF, 4, 1);
	bench("netif-tx", DUET_RING_NETIF_TX, 0, 1);
	return 0;
}

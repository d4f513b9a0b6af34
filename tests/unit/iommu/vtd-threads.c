/* SPDX-License-Identifier: MIT */
/*
 * VT-d with two threads mapping, DMAing and unmapping in one domain at
 * once (strict and lazy): every device read returns the thread's own
 * bytes, IOVA pages are never owned by two live mappings, and the
 * per-thread IOVA caches serve most requests.
 */
#include <pthread.h>

#include "iommu-test.h"

#define SID	0x0018
#define PAGES	64	/* data pages per thread */
#define WINDOW	(1ull << 24)	/* IOVA window [1 MiB, 17 MiB) */

static struct tb t;
static struct duet_vtd_dom *dom;
static uint8_t owner[WINDOW >> 12];

struct arg {
	int id;
	uint64_t data;	/* first of PAGES contiguous pages */
	long bad, ops;
};

static void *worker(void *p)
{
	struct arg *a = p;
	uint64_t s = 0x1234567ull * (uint64_t)a->id, iova, n, j, first;
	uint8_t buf[8192];
	uint8_t *mem = duet_iommu_arena_ptr(&t.arena, a->data);
	int i;

	for (i = 0; i < 3000; i++) {
		uint64_t off = tb_rng(&s) % ((PAGES - 2) * 4096ull);
		uint64_t len = 1 + tb_rng(&s) % 8000;

		if (duet_vtd_dom_map(dom, a->data + off, len, DUET_IOMMU_READ,
				     &iova)) {
			a->bad++;
			continue;
		}
		first = (iova - (1 << 20)) >> 12;
		n = ((iova & 0xfff) + len + 0xfff) >> 12;
		for (j = 0; j < n; j++)
			if (__atomic_exchange_n(&owner[first + j],
						(uint8_t)a->id,
						__ATOMIC_RELAXED))
				a->bad++;
		if (duet_iommu_dma(t.unit, SID, iova, buf, len,
				   DUET_IOMMU_READ, NULL) ||
		    memcmp(buf, mem + off, len))
			a->bad++;
		for (j = 0; j < n; j++)
			if (__atomic_exchange_n(&owner[first + j], 0,
						__ATOMIC_RELAXED) !=
			    (uint8_t)a->id)
				a->bad++;
		if (duet_vtd_dom_unmap(dom, iova, len))
			a->bad++;
		a->ops++;
	}
	return NULL;
}

static void run(enum duet_vtd_mode mode)
{
	struct duet_vtd_dom_config c = { .did = 3, .aw = 1, .mode = mode,
					 .iova_base = 1 << 20,
					 .iova_limit = (1 << 20) + WINDOW };
	struct duet_vtd_dom_stats st;
	struct arg a[2];
	pthread_t th[2];
	uint64_t pa;
	int i, k;

	tb_init(&t, 39, 1, 8, mode == DUET_VTD_LAZY);
	if (duet_vtd_dom_create(t.drv, &c, &dom) ||
	    duet_vtd_dom_attach(dom, SID))
		BAIL("domain");
	for (i = 0; i < 2; i++) {
		a[i] = (struct arg){ .id = i + 1 };
		a[i].data = tb_page(&t, 0);
		for (k = 1; k < PAGES; k++)
			if (tb_page(&t, 0) != a[i].data + k * 4096ull)
				BAIL("pages not contiguous");
		for (pa = 0; pa < PAGES * 4096ull; pa++)
			((uint8_t *)duet_iommu_arena_ptr(&t.arena, a[i].data))
				[pa] = (uint8_t)(pa * 7 + (uint64_t)i * 101);
	}
	for (i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, worker, &a[i]);
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	duet_vtd_dom_stats(dom, &st);
	is_int(a[0].bad + a[1].bad, 0,
	       "%s: 2 threads x %ld map/DMA/unmap: bytes right, no IOVA "
	       "page owned twice",
	       mode == DUET_VTD_LAZY ? "lazy" : "strict", a[0].ops);
	ok(st.iova_cache_hits > st.maps / 2,
	   "%s: per-thread IOVA caches served %llu of %llu maps",
	   mode == DUET_VTD_LAZY ? "lazy" : "strict",
	   (unsigned long long)st.iova_cache_hits,
	   (unsigned long long)st.maps);
	duet_vtd_dom_detach(dom, SID);
	duet_vtd_dom_destroy(dom);
	tb_fini(&t);
}

int main(void)
{
	run(DUET_VTD_STRICT);
	run(DUET_VTD_LAZY);
	return done_testing();
}

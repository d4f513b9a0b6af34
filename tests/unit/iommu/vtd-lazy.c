/* SPDX-License-Identifier: MIT */
/*
 * VT-d strict versus lazy unmapping.  Lazy: an unmapped entry the IOTLB
 * holds stays usable by the device until the batched invalidation and
 * never after it; its IOVA is not handed out again before that; the
 * queue flushes when full and on timeout.  Strict: never usable after
 * unmap returns.  Also: a changed entry is used only after invalidation,
 * and a changed context entry only after a context-cache invalidation.
 */
#include <time.h>

#include "iommu-test.h"

#define SID	0x0018

static int dma_ok(struct tb *t, uint64_t iova, uint8_t *out)
{
	return !duet_iommu_dma(t->unit, SID, iova, out, 1, DUET_IOMMU_READ,
			       NULL);
}

static void lazy(int use_qi)
{
	struct duet_vtd_dom_config c = { .did = 5, .aw = 1,
					 .mode = DUET_VTD_LAZY,
					 .fq_size = 8,
					 .fq_timeout_ns = 60ull * 1000000000 };
	struct duet_vtd_dom *dom;
	struct duet_vtd_dom_stats st;
	struct tb t;
	uint64_t pa = 0, iova, iova2, other;
	uint8_t b = 0;
	int i, reused = 0, stale_ok;
	const char *q = use_qi ? "QI" : "regs";

	tb_init(&t, 39, 1, 4, use_qi);
	if (duet_vtd_dom_create(t.drv, &c, &dom) ||
	    duet_vtd_dom_attach(dom, SID))
		BAIL("domain");
	pa = tb_page(&t, 0xab);
	duet_vtd_dom_map(dom, pa, 4096, DUET_IOMMU_READ, &iova);
	ok(dma_ok(&t, iova, &b) && b == 0xab, "%s: mapped, the device reads",
	   q);
	duet_vtd_dom_unmap(dom, iova, 4096);
	is_int(duet_vtd_dom_queued(dom), 1, "%s: the IOVA waits in the queue",
	       q);
	stale_ok = dma_ok(&t, iova, &b) && b == 0xab;
	ok(stale_ok, "%s: lazy: the stale IOTLB entry still serves the device",
	   q);
	for (i = 0; i < 6; i++) {
		duet_vtd_dom_map(dom, pa, 4096, DUET_IOMMU_READ, &other);
		reused += other == iova;
		duet_vtd_dom_unmap(dom, other, 4096);
	}
	is_int(reused, 0, "%s: the queued IOVA is not handed out again", q);
	ok(dma_ok(&t, iova, &b), "%s: still stale before the flush", q);
	is_int(duet_vtd_dom_flush(dom), 0, "%s: flush", q);
	ok(!dma_ok(&t, iova, &b), "%s: after the flush: faults", q);
	ok(!dma_ok(&t, iova, &b), "%s: and keeps faulting", q);
	duet_vtd_dom_stats(dom, &st);
	is_int(st.fq_flushes, 1, "%s: one batched invalidation for 7 unmaps",
	       q);

	/* An entry never touched by the device is not cached: no window. */
	duet_vtd_dom_map(dom, pa, 4096, DUET_IOMMU_READ, &iova2);
	duet_vtd_dom_unmap(dom, iova2, 4096);
	ok(!dma_ok(&t, iova2, &b), "%s: an uncached entry faults at once", q);

	/* The queue flushes itself when full (8). */
	for (i = 0; i < 8; i++) {
		duet_vtd_dom_map(dom, pa, 4096, DUET_IOMMU_READ, &other);
		duet_vtd_dom_unmap(dom, other, 4096);
	}
	duet_vtd_dom_stats(dom, &st);
	ok(st.fq_flushes >= 2 && duet_vtd_dom_queued(dom) < 8,
	   "%s: a full queue flushes (%u queued)", q,
	   duet_vtd_dom_queued(dom));
	duet_vtd_dom_detach(dom, SID);
	duet_vtd_dom_destroy(dom);
	tb_fini(&t);
}

/* The flush queue's timeout: tick() flushes what waited long enough. */
static void lazy_timeout(void)
{
	struct duet_vtd_dom_config c = { .did = 6, .aw = 1,
					 .mode = DUET_VTD_LAZY,
					 .fq_timeout_ns = 30 * 1000 * 1000 };
	struct duet_vtd_dom *dom;
	struct tb t;
	uint64_t pa, iova;
	uint8_t b;

	tb_init(&t, 39, 1, 4, 1);
	if (duet_vtd_dom_create(t.drv, &c, &dom) ||
	    duet_vtd_dom_attach(dom, SID))
		BAIL("domain");
	pa = tb_page(&t, 0x42);
	duet_vtd_dom_map(dom, pa, 4096, DUET_IOMMU_READ, &iova);
	dma_ok(&t, iova, &b);
	duet_vtd_dom_unmap(dom, iova, 4096);
	nanosleep(&(struct timespec){ 0, 40 * 1000 * 1000 }, NULL);
	is_int(duet_vtd_dom_tick(dom), 0, "tick after the 30 ms timeout");
	ok(!dma_ok(&t, iova, &b) && duet_vtd_dom_queued(dom) == 0,
	   "the queue was flushed: the stale entry is gone");
	duet_vtd_dom_detach(dom, SID);
	duet_vtd_dom_destroy(dom);
	tb_fini(&t);
}

static void strict(int use_qi)
{
	struct duet_vtd_dom *dom;
	struct tb t;
	uint64_t pa, iova;
	uint8_t b;
	int i, stale = 0;

	tb_init(&t, 48, 1, 4, use_qi);
	dom = tb_dom(&t, 9, 2, DUET_VTD_STRICT, SID);
	pa = tb_page(&t, 0xcd);
	for (i = 0; i < 200; i++) {
		duet_vtd_dom_map(dom, pa + (uint64_t)(i % 7), 1 + i * 37 % 9000,
				 DUET_IOMMU_READ, &iova);
		dma_ok(&t, iova, &b);	/* the IOTLB now holds it */
		duet_vtd_dom_unmap(dom, iova, 1 + i * 37 % 9000);
		stale += dma_ok(&t, iova, &b);
		duet_vtd_write(t.vtd, VTD_REG_FRCD + 12, 1u << 31, 4);
	}
	is_int(stale, 0, "%s: strict: 200 cached entries, none usable after "
	       "unmap", use_qi ? "QI" : "regs");
	duet_vtd_dom_detach(dom, SID);
	duet_vtd_dom_destroy(dom);
	tb_fini(&t);
}

/* Retargeting a present entry: the old page until invalidation. */
static void retarget(void)
{
	struct duet_vtd_dom *dom, *dom2;
	struct tb t;
	uint64_t a, b2;
	uint8_t b;

	tb_init(&t, 39, 1, 4, 1);
	dom = tb_dom(&t, 1, 1, DUET_VTD_STRICT, SID);
	a = tb_page(&t, 0xaa);
	b2 = tb_page(&t, 0xbb);
	duet_vtd_dom_map_at(dom, 0x10000, a, 4096, DUET_IOMMU_READ);
	dma_ok(&t, 0x10000, &b);
	is_int(b, 0xaa, "entry -> page A");
	duet_vtd_dom_map_at(dom, 0x10000, b2, 4096, DUET_IOMMU_READ);
	dma_ok(&t, 0x10000, &b);
	is_int(b, 0xaa, "retargeted to B without invalidation: still A");
	duet_vtd_drv_inv_iotlb(t.drv, VTD_INV_PAGE, 1, 0x10000, 1);
	dma_ok(&t, 0x10000, &b);
	is_int(b, 0xbb, "after a page-selective invalidation: B");

	/* Context: point the device at another domain. */
	dom2 = tb_dom(&t, 2, 1, DUET_VTD_STRICT, 0x0020);
	duet_vtd_dom_map_at(dom2, 0x10000, a, 4096, DUET_IOMMU_READ);
	{
		uint64_t root = duet_vtd_drv_root(t.drv), ctp, *ce;

		ctp = *(uint64_t *)duet_iommu_arena_ptr(&t.arena, root) &
		      ~0xfffull;
		ce = duet_iommu_arena_ptr(&t.arena, ctp + (SID & 0xff) * 16);
		/* SID's context entry now names domain 2's tables. */
		ce[0] = *(uint64_t *)duet_iommu_arena_ptr(
			&t.arena, ctp + (0x20 & 0xff) * 16);
		ce[1] = VTD_CTX_HI(2, 1);
	}
	duet_vtd_drv_inv_iotlb(t.drv, VTD_INV_GLOBAL, 0, 0, 0);
	dma_ok(&t, 0x10000, &b);
	is_int(b, 0xbb, "context changed, IOTLB flushed only: old context");
	duet_vtd_drv_inv_context(t.drv, VTD_INV_DEVICE, 1, SID);
	dma_ok(&t, 0x10000, &b);
	is_int(b, 0xaa, "after a device context invalidation: new domain");
	duet_vtd_dom_destroy(dom);
	duet_vtd_dom_destroy(dom2);
	tb_fini(&t);
}

/* The queue: a bad descriptor stops it with FSTS.IQE. */
static void queue_error(void)
{
	struct tb t;
	uint64_t iqa, tail;
	uint64_t *q;

	tb_init(&t, 39, 1, 4, 1);
	iqa = duet_vtd_read(t.vtd, VTD_REG_IQA, 8);
	tail = duet_vtd_read(t.vtd, VTD_REG_IQT, 8) >> 4;
	q = duet_iommu_arena_ptr(&t.arena, VTD_IQA_BASE(iqa) + tail * 16);
	q[0] = 0xf;	/* no such type */
	q[1] = 0;
	duet_vtd_write(t.vtd, VTD_REG_IQT, (tail + 1) << 4, 8);
	ok(duet_vtd_read(t.vtd, VTD_REG_FSTS, 4) & VTD_FSTS_IQE,
	   "unknown descriptor type: FSTS.IQE");
	is_int(duet_vtd_read(t.vtd, VTD_REG_IQH, 8) >> 4, tail,
	       "IQH stays on the bad descriptor");
	is_int(duet_vtd_drv_inv_iotlb(t.drv, VTD_INV_GLOBAL, 0, 0, 0), -EIO,
	       "the driver sees -EIO while the queue is stopped");
	tb_fini(&t);
}

int main(void)
{
	lazy(0);
	lazy(1);
	lazy_timeout();
	strict(0);
	strict(1);
	retarget();
	queue_error();
	return done_testing();
}

/* SPDX-License-Identifier: MIT */
/*
 * iommu-models.c - the hardware IOMMU models' cost shape: per mapping
 * (map, one device read of the buffer through the unit, unmap) for
 * 1500-byte packets and 64 KiB blocks, through VT-d strict (register and
 * queued invalidation), VT-d lazy, GART (fullflush and not) and Calgary,
 * next to no IOMMU (the device copies straight from memory) measured in
 * the same run.  Prints a table; asserts nothing.
 *
 * The units charge a hardware latency per invalidation (cost model):
 * BENCH_VTD_INV_NS (default 1000) per VT-d invalidation request,
 * BENCH_GART_FLUSH_NS (1000) per GART flush, BENCH_CAL_QUIESCE_NS (50000)
 * per Calgary quiesce.  BENCH_SECONDS (0.3) per measurement.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iommu-glue/calgary.h"
#include "iommu-glue/gart.h"
#include "iommu-glue/vtd.h"

#define ARENA_MIB	24
#define NBUF		128
#define SID		0x0018

static struct duet_iommu_arena arena;
static uint64_t bufs;			/* NBUF x 64 KiB, contiguous */
static uint8_t sink[65536];
static double seconds = 0.3;

static uint64_t env(const char *n, uint64_t def)
{
	const char *v = getenv(n);

	return v && *v ? strtoull(v, NULL, 0) : def;
}

static int pg_alloc(void *o, uint64_t *pa)
{
	return duet_iommu_arena_alloc(&arena, pa);
}

static void pg_free(void *o, uint64_t pa)
{
	duet_iommu_arena_free(&arena, pa);
}

/* One backend: map, device read, unmap of buffer i, len bytes. */
struct be {
	const char *name;
	int (*one)(void *ctx, uint64_t pa, size_t len);
	void *ctx;
};

static int none_one(void *ctx, uint64_t pa, size_t len)
{
	memcpy(sink, duet_iommu_arena_ptr(&arena, pa), len);
	return 0;
}

static int vtd_one(void *ctx, uint64_t pa, size_t len)
{
	struct duet_vtd_dom *dom = ((void **)ctx)[0];
	struct duet_iommu_unit *u = ((void **)ctx)[1];
	uint64_t iova;
	int rc = duet_vtd_dom_map(dom, pa, len, DUET_IOMMU_READ, &iova);

	if (rc)
		return rc;
	rc = duet_iommu_dma(u, SID, iova, sink, len, DUET_IOMMU_READ, NULL);
	duet_vtd_dom_unmap(dom, iova, len);
	return rc;
}

static int gart_one(void *ctx, uint64_t pa, size_t len)
{
	struct duet_gart_drv *d = ((void **)ctx)[0];
	struct duet_iommu_unit *u = ((void **)ctx)[1];
	uint64_t dma;
	int rc = duet_gart_map(d, pa, len, 0xffffffffull, 1, &dma);

	if (rc)
		return rc;
	rc = duet_iommu_dma(u, 0, dma, sink, len, DUET_IOMMU_READ, NULL);
	duet_gart_unmap(d, dma, len);
	return rc;
}

static int cal_one(void *ctx, uint64_t pa, size_t len)
{
	struct duet_calgary_drv *d = ((void **)ctx)[0];
	struct duet_iommu_unit *u = ((void **)ctx)[1];
	uint64_t dma;
	int rc = duet_calgary_map(d, pa, len, DUET_IOMMU_READ, &dma);

	if (rc)
		return rc;
	rc = duet_iommu_dma(u, 0, dma, sink, len, DUET_IOMMU_READ, NULL);
	duet_calgary_unmap(d, dma, len);
	return rc;
}

/* Mappings per second of len-byte buffers; -1 on an error. */
static double rate(const struct be *b, size_t len)
{
	uint64_t t0 = duet_iommu_now_ns(), n = 0, end;

	end = t0 + (uint64_t)(seconds * 1e9);
	while (duet_iommu_now_ns() < end) {
		int i;

		for (i = 0; i < 64; i++, n++)
			if (b->one(b->ctx, bufs + (n % NBUF) * 65536 + 64,
				   len))
				return -1;
	}
	return (double)n * 1e9 / (double)(duet_iommu_now_ns() - t0);
}

static void print_row(const char *name, double s, double l,
		      double base_small, double base_big)
{
	printf("%-22s %9.0f  %5.1f %%  %9.0f  %5.1f %%  %8.2f\n", name,
	       s / 1e3, 100 * s / base_small, l * 65408 / 1e6,
	       100 * l / base_big, 1e9 / s / 1e3);
}

static void row(const struct be *b, double base_small, double base_big)
{
	print_row(b->name, rate(b, 1500), rate(b, 65536 - 128), base_small,
		  base_big);
}

int main(void)
{
	struct duet_vtd_config vc = { .aw_bits = 48, .nfr = 1 };
	struct duet_vtd_pages pages = { pg_alloc, pg_free, NULL };
	struct duet_vtd_hwif hw;
	struct duet_vtd *v;
	struct duet_vtd_drv *drv[2];
	struct duet_vtd_dom *dom[3];
	struct duet_gart *g;
	struct duet_gart_drv *gd[2];
	struct duet_calgary *c;
	struct duet_calgary_drv *cd;
	void *ctx[6][2];
	struct be none = { "no IOMMU (memcpy)", none_one, NULL };
	double bs, bl;
	uint64_t pa, first = 0;
	int i;

	if (getenv("BENCH_SECONDS"))
		seconds = atof(getenv("BENCH_SECONDS"));
	if (duet_iommu_arena_init(&arena, NULL, 0x100000000ull,
				  (size_t)ARENA_MIB << 20))
		return 1;
	for (i = 0; i < NBUF * 16; i++) {
		duet_iommu_arena_alloc(&arena, &pa);
		if (!i)
			first = pa;
	}
	bufs = first;
	for (i = 0; i < NBUF * 65536; i++)
		arena.buf[bufs - arena.pa + (uint64_t)i] = (uint8_t)i;

	printf("# per mapping: map, one device read of the buffer, unmap\n");
	printf("%-22s %9s  %7s  %9s  %7s  %8s\n", "backend", "kpkt/s",
	       "of none", "MB/s 64K", "of none", "us/pkt");
	bs = rate(&none, 1500);
	bl = rate(&none, 65536 - 128);
	print_row(none.name, bs, bl, bs, bl);

	duet_vtd_create(&vc, &arena.mem, &v);
	duet_vtd_set_inv_cost(v, env("BENCH_VTD_INV_NS", 1000));
	duet_vtd_hwif_model(v, &hw);
	for (i = 0; i < 3; i++) {
		struct duet_vtd_dom_config dc = {
			.did = (uint16_t)(i + 1), .aw = 2,
			.mode = i == 2 ? DUET_VTD_LAZY : DUET_VTD_STRICT
		};

		if (i < 2 && duet_vtd_drv_open(&hw, &arena.mem, &pages, i,
					       &drv[i]))
			return 1;
		if (duet_vtd_dom_create(drv[i < 2 ? i : 1], &dc, &dom[i]) ||
		    duet_vtd_dom_attach(dom[i], SID))
			return 1;
		ctx[i][0] = dom[i];
		ctx[i][1] = duet_vtd_unit(v);
		row(&(struct be){ i == 0 ? "vtd strict (regs)" :
				  i == 1 ? "vtd strict (queued)" :
					   "vtd lazy (queued)",
				  vtd_one, ctx[i] },
		    bs, bl);
		if (i == 0) {
			duet_vtd_dom_detach(dom[0], SID);
			duet_vtd_dom_destroy(dom[0]);
			duet_vtd_drv_close(drv[0]);
		}
	}
	duet_vtd_dom_destroy(dom[1]);
	duet_vtd_dom_destroy(dom[2]);
	duet_vtd_drv_close(drv[1]);
	duet_vtd_destroy(v);

	duet_gart_create(&arena.mem, 0, &g);
	duet_gart_set_flush_cost(g, env("BENCH_GART_FLUSH_NS", 1000));
	for (i = 0; i < 2; i++) {
		struct duet_gart_drv_config gc = { .aper_base = 0x80000000ull,
						   .order = 1,
						   .fullflush = !i };
		uint64_t p2;
		int k;

		duet_iommu_arena_alloc(&arena, &gc.gatt_pa);
		for (k = 1; k < 16; k++)
			duet_iommu_arena_alloc(&arena, &p2);
		duet_iommu_arena_alloc(&arena, &gc.scratch_pa);
		if (duet_gart_drv_open(g, &gc, &gd[i]))
			return 1;
		ctx[3 + i][0] = gd[i];
		ctx[3 + i][1] = duet_gart_unit(g);
		row(&(struct be){ i ? "gart (flush on wrap)" :
				      "gart (fullflush)",
				  gart_one, ctx[3 + i] },
		    bs, bl);
		duet_gart_drv_close(gd[i]);
	}
	duet_gart_destroy(g);

	duet_calgary_create(&arena.mem, 1, 0, &c);
	{
		struct duet_calgary_drv_config cc = {
			.phb = 0, .size_code = 0,
			.quiesce_ns = env("BENCH_CAL_QUIESCE_NS", 50000)
		};

		/* A 64 KiB table, naturally aligned: the arena's top. */
		cc.table_pa = arena.pa + arena.size - 65536;
		if (duet_calgary_drv_open(c, &cc, &cd))
			return 1;
		ctx[5][0] = cd;
		ctx[5][1] = duet_calgary_unit(c);
		row(&(struct be){ "calgary (blast on wrap)", cal_one,
				  ctx[5] },
		    bs, bl);
		duet_calgary_drv_close(cd);
	}
	duet_calgary_destroy(c);
	duet_iommu_arena_fini(&arena);
	return 0;
}

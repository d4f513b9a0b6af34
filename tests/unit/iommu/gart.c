/* SPDX-License-Identifier: MIT */
/*
 * GART: the GATT entry encoding (address bits 39:32 in 11:4, valid,
 * coherent), random map/unmap with device DMA verified byte for byte,
 * passthrough of reachable buffers and no isolation outside the
 * aperture, next-fit allocation, the GART TLB's stale window until the
 * flush on wrap (and none with fullflush), scatter-gather merging, and
 * overflow landing on the scratch page.
 */
#include "iommu-test.h"
#include "iommu-glue/gart.h"

#define PA	0x1200000000ull	/* above 4 GiB: entries use bits 11:4 */
#define APER	0x80000000ull
#define M32	0xffffffffull

struct gb {
	struct duet_iommu_arena a;
	struct duet_gart *g;
	struct duet_iommu_unit *u;
	struct duet_gart_drv *d;
	uint64_t scratch, data;		/* data: 256 pages */
};

static void gb_init(struct gb *b, int fullflush)
{
	struct duet_gart_drv_config c = { .aper_base = APER, .order = 0,
					  .fullflush = fullflush };
	uint64_t pa;
	int i;

	if (duet_iommu_arena_init(&b->a, NULL, PA, 4 << 20) ||
	    duet_gart_create(&b->a.mem, 0, &b->g))
		BAIL("setup");
	b->u = duet_gart_unit(b->g);
	/* GATT of a 32 MiB aperture: 8192 entries, 8 pages. */
	for (i = 0; i < 8; i++)
		duet_iommu_arena_alloc(&b->a, i ? &pa : &c.gatt_pa);
	duet_iommu_arena_alloc(&b->a, &b->scratch);
	c.scratch_pa = b->scratch;
	duet_iommu_arena_alloc(&b->a, &b->data);
	for (i = 1; i < 256; i++)
		duet_iommu_arena_alloc(&b->a, &pa);
	for (i = 0; i < 256 * 4096; i++)
		b->a.buf[b->data - PA + i] = (uint8_t)(i * 13 + (i >> 12));
	if (duet_gart_drv_open(b->g, &c, &b->d))
		BAIL("driver");
}

static void gb_fini(struct gb *b)
{
	duet_gart_drv_close(b->d);
	duet_gart_destroy(b->g);
	duet_iommu_arena_fini(&b->a);
}

static uint8_t *host(struct gb *b, uint64_t pa)
{
	return duet_iommu_arena_ptr(&b->a, pa);
}

static void encoding(void)
{
	uint32_t e = duet_gart_pte(0x1234567000ull);

	is_int(e, 0x34567000u | (0x12u << 4) | 3u,
	       "GATT entry of 0x1234567000: 0x34567123");
	is_int(duet_gart_pte_addr(e), 0x1234567000ull, "decodes back");
}

static void random_dma(void)
{
	struct gb b;
	uint64_t s = 42, dma[16], pa[16], len[16];
	uint8_t buf[3 * 4096], *shadow;
	int live = 0, op, bad = 0, i;

	gb_init(&b, 1);
	shadow = malloc(256 * 4096);
	memcpy(shadow, host(&b, b.data), 256 * 4096);
	for (op = 0; op < 2000; op++) {
		if (live < 16 && (tb_rng(&s) % 3 || !live)) {
			pa[live] = b.data + tb_rng(&s) % (250 * 4096);
			len[live] = 1 + tb_rng(&s) % (2 * 4096);
			if (duet_gart_map(b.d, pa[live], len[live], M32, 1,
					  &dma[live]))
				BAIL("map");
			bad += dma[live] < APER ||
			       dma[live] >= APER + (32 << 20);
			live++;
		} else {
			i = (int)(tb_rng(&s) % (uint64_t)live);
			duet_gart_unmap(b.d, dma[i], len[i]);
			live--;
			dma[i] = dma[live];
			pa[i] = pa[live];
			len[i] = len[live];
			continue;
		}
		i = (int)(tb_rng(&s) % (uint64_t)live);
		{
			uint64_t o = tb_rng(&s) % len[i];
			uint64_t n = 1 + tb_rng(&s) % (len[i] - o), j;
			int wr = (int)(tb_rng(&s) & 1);

			for (j = 0; j < n; j++)
				buf[j] = (uint8_t)tb_rng(&s);
			/* No isolation: any source id works. */
			if (duet_iommu_dma(b.u, (uint16_t)op, dma[i] + o, buf,
					   n,
					   wr ? DUET_IOMMU_WRITE :
						DUET_IOMMU_READ,
					   NULL)) {
				bad++;
			} else if (wr) {
				memcpy(shadow + (pa[i] - b.data) + o, buf, n);
			} else if (memcmp(buf, shadow + (pa[i] - b.data) + o,
					  n)) {
				bad++;
			}
		}
	}
	is_int(bad, 0, "2000 random ops: every DMA through the aperture "
	       "byte for byte, addresses inside the aperture");
	ok(!memcmp(host(&b, b.data), shadow, 256 * 4096),
	   "memory holds exactly what the device wrote");
	free(shadow);
	gb_fini(&b);
}

static void passthrough(void)
{
	struct gb b;
	uint64_t dma;
	uint8_t x[8], y[8];

	gb_init(&b, 1);
	is_int(duet_gart_map(b.d, b.data, 4096, (1ull << 40) - 1, 0, &dma), 0,
	       "a 40-bit device: map");
	is_int(dma, b.data, "reachable buffer passed through untranslated");
	duet_gart_map(b.d, b.data, 4096, M32, 0, &dma);
	ok(dma >= APER && dma < APER + (32 << 20),
	   "a 32-bit device and a buffer above 4 GiB: aperture address");
	ok(!duet_iommu_dma(b.u, 7, b.data + 4096 * 9, x, 8, DUET_IOMMU_READ,
			   NULL) &&
		   !memcmp(x, host(&b, b.data + 4096 * 9), 8),
	   "no isolation: outside the aperture any device reads any frame");
	memset(y, 0x99, 8);
	duet_iommu_dma(b.u, 7, b.scratch - 4096, y, 8, DUET_IOMMU_WRITE, NULL);
	ok(!memcmp(host(&b, b.scratch - 4096), y, 8),
	   "and writes it (the GATT itself here)");
	gb_fini(&b);
}

static void nextfit_stale(void)
{
	struct gb b;
	struct duet_gart_drv_stats st;
	uint64_t x, d1, d2, d, prev;
	uint8_t v[4];
	int i, up = 1, n;

	gb_init(&b, 0);
	duet_gart_map(b.d, b.data, 4096, M32, 1, &x);
	duet_iommu_dma(b.u, 0, x, v, 4, DUET_IOMMU_READ, NULL);
	is_int(v[0], host(&b, b.data)[0], "device reads page A via X");
	duet_gart_unmap(b.d, x, 4096);
	is_int(((uint32_t *)host(&b, PA))[(x - APER) >> 12],
	       duet_gart_pte(b.scratch), "unmap: X's entry -> scratch page");
	duet_gart_map(b.d, b.data + 4096, 4096, M32, 1, &d1);
	duet_gart_map(b.d, b.data + 8192, 4096, M32, 1, &d2);
	ok(d1 > x && d2 > d1, "next-fit: the freed X is not reused at once");
	duet_iommu_dma(b.u, 0, x, v, 4, DUET_IOMMU_READ, NULL);
	is_int(v[0], host(&b, b.data)[0],
	       "stale window: the GART TLB still sends X to page A");
	memset(v, 0x5c, 4);
	duet_iommu_dma(b.u, 0, x, v, 4, DUET_IOMMU_WRITE, NULL);
	is_int(host(&b, b.data)[0], 0x5c,
	       "and a write through stale X lands in page A");
	duet_gart_drv_stats(b.d, &st);
	is_int(st.flushes, 0, "no flush yet (nofullflush)");
	/* Allocate until the allocator wraps: that flushes. */
	prev = d2;
	for (n = 0; n < 9000; n++) {
		if (duet_gart_map(b.d, b.data, 4096, M32, 1, &d))
			break;
		duet_gart_unmap(b.d, d, 4096);
		if (d < prev)
			break;
		up &= d > prev;
		prev = d;
	}
	duet_gart_drv_stats(b.d, &st);
	ok(up && st.wraps >= 1 && st.flushes == 1,
	   "next-fit walks up to the end, wraps, flushes once (%d maps)", n);
	memset(v, 0x11, 4);
	duet_iommu_dma(b.u, 0, x, v, 4, DUET_IOMMU_WRITE, NULL);
	ok(host(&b, b.data)[0] == 0x5c && host(&b, b.scratch)[0] == 0x11,
	   "after the wrap flush X goes to the scratch page, A untouched");
	for (i = 0; i < 4; i++)
		v[i] = 0;
	gb_fini(&b);

	/* fullflush: the next map flushes, no window survives it. */
	gb_init(&b, 1);
	duet_gart_map(b.d, b.data, 4096, M32, 1, &x);
	duet_iommu_dma(b.u, 0, x, v, 4, DUET_IOMMU_READ, NULL);
	duet_gart_unmap(b.d, x, 4096);
	duet_gart_map(b.d, b.data + 4096, 4096, M32, 1, &d1);
	memset(v, 0x22, 4);
	duet_iommu_dma(b.u, 0, x, v, 4, DUET_IOMMU_WRITE, NULL);
	ok(host(&b, b.data)[0] != 0x22,
	   "fullflush: after the next map the stale entry is gone");
	gb_fini(&b);
}

static void sg_merge(void)
{
	struct gb b;
	struct duet_gart_sg in[4], out[4];
	uint8_t buf[3 * 4096 + 100], want[3 * 4096 + 100];
	int n;

	gb_init(&b, 1);
	in[0] = (struct duet_gart_sg){ b.data + 10 * 4096, 4096 };
	in[1] = (struct duet_gart_sg){ b.data + 3 * 4096, 4096 };
	in[2] = (struct duet_gart_sg){ b.data + 50 * 4096, 4096 + 100 };
	in[3] = (struct duet_gart_sg){ b.data + 60 * 4096 + 16, 64 };
	n = duet_gart_map_sg(b.d, in, 4, 1 << 16, out);
	is_int(n, 2, "4 elements: 3 merge, the one at offset 16 does not");
	is_int(out[0].len, 3 * 4096 + 100, "merged segment length");
	memcpy(want, host(&b, in[0].addr), 4096);
	memcpy(want + 4096, host(&b, in[1].addr), 4096);
	memcpy(want + 8192, host(&b, in[2].addr), 4096 + 100);
	ok(!duet_iommu_dma(b.u, 0, out[0].addr, buf, sizeof(buf),
			   DUET_IOMMU_READ, NULL) &&
		   !memcmp(buf, want, sizeof(buf)),
	   "one device read of the merged segment gathers all three");
	ok((out[1].addr & 0xfff) == 16, "the last keeps its page offset");
	duet_gart_unmap_sg(b.d, out, n);
	n = duet_gart_map_sg(b.d, in, 3, 4096, out);
	is_int(n, 3, "max segment 4 KiB: no merging");
	duet_gart_unmap_sg(b.d, out, n);
	gb_fini(&b);
}

static void overflow(void)
{
	struct gb b;
	struct duet_gart_drv_stats st;
	uint64_t d, sum = 0, sum2 = 0, i;
	uint8_t v[16];
	int n = 0;

	gb_init(&b, 1);
	while (!duet_gart_map(b.d, b.data, 64 * 4096, M32, 1, &d))
		n++;
	is_int(n, (8192 - 32) / 64, "%d 256 KiB maps fit", n);
	for (n = 0; !duet_gart_map(b.d, b.data, 4096, M32, 1, &d); n++)
		;
	is_int(n, 8192 - 32 - (8192 - 32) / 64 * 64,
	       "then %d 4 KiB maps fill the aperture", n);
	is_int(duet_gart_map(b.d, b.data, 4096, M32, 1, &d), -ENOSPC,
	       "full: a 32-bit device's map of memory above 4 GiB: -ENOSPC");
	is_int(d, APER, "and the emergency address (bad_dma_addr)");
	is_int(duet_gart_map(b.d, b.data, 4096, (1ull << 40) - 1, 1, &d), 0,
	       "full, but the device reaches the buffer: passthrough");
	is_int(d, b.data, "untranslated");
	for (i = 0; i < b.a.size; i++)
		if (i < b.scratch - PA || i >= b.scratch - PA + 4096)
			sum = sum * 31 + b.a.buf[i];
	memset(v, 0x77, sizeof(v));
	duet_iommu_dma(b.u, 0, APER, v, sizeof(v), DUET_IOMMU_WRITE, NULL);
	for (i = 0; i < b.a.size; i++)
		if (i < b.scratch - PA || i >= b.scratch - PA + 4096)
			sum2 = sum2 * 31 + b.a.buf[i];
	ok(sum == sum2 && host(&b, b.scratch)[0] == 0x77,
	   "a device DMAing to bad_dma_addr anyway hits only the scratch page");
	duet_gart_drv_stats(b.d, &st);
	is_int(st.overflows, 4, "every refused map counted as overflow");
	/* An invalid GATT entry: PTEERR. */
	((uint32_t *)host(&b, PA))[100] = 0;
	duet_gart_write(b.g, GART_CACHECTL, GART_CACHE_INV);
	{
		struct duet_iommu_fault f;

		is_int(duet_iommu_dma(b.u, 0, APER + 100 * 4096, v, 4,
				      DUET_IOMMU_READ, &f),
		       -EFAULT, "an invalid GATT entry refuses the access");
		ok(f.reason == DUET_GART_FR_INVALID &&
			   (duet_gart_read(b.g, GART_CACHECTL) &
			    GART_CACHE_PTEERR),
		   "reason: invalid entry, GARTCACHECTL.PTEERR latched");
	}
	gb_fini(&b);
}

int main(void)
{
	encoding();
	random_dma();
	passthrough();
	nextfit_stale();
	sg_merge();
	overflow();
	return done_testing();
}

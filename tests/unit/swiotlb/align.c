/* SPDX-License-Identifier: MIT */
/*
 * align.c - where swiotlb puts a mapping, checked address by address
 * against values worked out by hand from Linux's rules (swiotlb.c's
 * header comment states them): 2 KiB slots, next-fit from the area's
 * rotor, page alignment for streaming buffers of 4 KiB or more,
 * min_align_mask bits kept, alloc_align_mask with pad slots, the device's
 * segment boundary, runs never crossing a 128-slot segment, and the
 * largest mapping.  One pool of 256 slots (512 KiB), one area.
 */
#include <stdlib.h>

#include "swiotlb/dma-int.h"
#include "../dma/dmatest.h"

static struct dmat t;
static struct duet_dma_dev *plain, *nvme, *bnd;
static duet_dma_addr_t P;

/* Map @size at @cpu on @dev; say where it went relative to the pool. */
static duet_dma_addr_t at(struct duet_dma_dev *dev, void *cpu, size_t size)
{
	duet_dma_addr_t a;
	int rc = duet_dma_map(dev, cpu, size, DUET_DMA_TO_DEVICE, 0, &a);

	if (rc < 0) {
		diag("map of %zu failed: %d", size, rc);
		return ~0ull;
	}
	return a - P;
}

int main(void)
{
	struct duet_swiotlb_cfg cfg = { .slots = 256, .areas = 1,
					.max_pools = 1 };
	struct duet_dma_dev_cfg pc = { .name = "plain" };
	struct duet_dma_dev_cfg nc = { .name = "nvme", .min_align_mask = 4095 };
	struct duet_dma_dev_cfg bc = { .name = "bnd", .seg_boundary = 0xffff };
	struct duet_dma_dev_cfg big = { .min_align_mask = 0x3fff };
	unsigned char *buf, in[512];
	duet_dma_addr_t a;
	struct duet_swiotlb *tlb;

	dmat_open(&t, 1024);
	is_int(duet_swiotlb_setup(t.drv, &cfg), 0, "one pool, one area");
	is_int(duet_swiotlb_setup(t.drv, &cfg), -EEXIST, "set up once");
	plain = dmat_dev(&t, "swiotlb", "force", &pc);
	nvme = dmat_dev(&t, "swiotlb", "force", &nc);
	bnd = dmat_dev(&t, "swiotlb", "force", &bc);
	duet_dma_domain_alloc(t.drv, 64, (void **)&buf);
	dmat_fill(buf, 64 * 4096, 3);

	/* A: 100 bytes, 1 slot, at the rotor (0): the pool's start. */
	is_int(duet_dma_map(plain, buf + 0x123, 100, DUET_DMA_TO_DEVICE, 0,
			    &a), 0, "A: 100 bytes map");
	is_int(a % (256 * 2048), 0, "A: slot 0 (the pool is size-aligned)");
	P = a;
	ok(P + 256 * 2048 <= (1ull << 32), "the pool lies below 2^32");
	duet_dma_dev_read(plain, a, in, 100);
	ok(!memcmp(in, buf + 0x123, 100), "A: the device reads the bytes");
	/* B: 4096 bytes: page aligned, rotor 1 -> slot 2. */
	is_int(at(plain, buf + 0x5000, 4096), 2 * 2048,
	       "B: 4 KiB: next page-aligned slot after the rotor (2)");
	/* C: min_align_mask 4095, orig page offset 0xa00: match bit 0x800
	 * set -> odd slot >= rotor 4 -> 5, offset 0xa00 & 2047 = 0x200. */
	is_int(at(nvme, buf + 0x6a00, 512), 5 * 2048 + 0x200,
	       "C: min_align_mask 4095 keeps offset 0xa00: slot 5 + 0x200");
	/* E: 24 slots, page aligned, from rotor 6: slots 6..29. */
	is_int(at(plain, buf + 0x8000, 24 * 2048), 6 * 2048,
	       "E: 24 slots at 6");
	/* D: 3 slots, page aligned, 64 KiB boundary: 30..32 would cross
	 * slot 32 (64 KiB) -> 32. */
	is_int(at(bnd, buf + 0x10000, 6000), 32 * 2048,
	       "D: a run crossing the 64 KiB boundary moves past it (32)");
	/* G: 90 slots from rotor 35: 36..125 fits segment 0. */
	is_int(at(plain, buf + 0x20000, 90 * 2048), 36 * 2048,
	       "G: 90 slots at 36");
	/* H: 4 slots from rotor 126: only 2 left in segment 0 -> 128. */
	is_int(at(plain, buf + 0x80000 % (64 * 4096), 4 * 2048), 128 * 2048,
	       "H: a run never crosses a 128-slot segment (128)");

	/* Pad slots: min_align_mask and alloc_align_mask 0x3fff, orig
	 * offset 0x2a00: 5 pad slots + 0x200, run 16 KiB aligned; rotor
	 * 132 -> 136; 6 slots (1000 + 0x2a00 bytes). */
	is_int(dma_swiotlb_get(t.drv, &tlb), 0, "the domain's swiotlb");
	is_int(dma_swiotlb_map(tlb, &big, buf + 0x2a00, 1000,
			       DUET_DMA_TO_DEVICE, 0, 0x3fff, &a), 0,
	       "map with alloc_align_mask 0x3fff");
	is_int(a - P, 136 * 2048 + 5 * 2048 + 0x200,
	       "pad: run at 136, mapping 5 slots + 0x200 in");
	is_int(a & 0x3fff, 0x2a00, "the bus address keeps orig's 14 bits");
	is_int(dma_swiotlb_unmap(tlb, a, 1000, DUET_DMA_TO_DEVICE, 0), 0,
	       "unmap it");

	is_int(duet_dma_max_mapping_size(plain), 262144,
	       "largest mapping 256 KiB");
	is_int(duet_dma_max_mapping_size(nvme), 262144 - 4096,
	       "with min_align_mask 4095: 256 KiB - 4 KiB");
	is_int(duet_dma_map(plain, buf, 262145, DUET_DMA_TO_DEVICE, 0, &a),
	       -E2BIG, "one byte more is -E2BIG");

	duet_dma_dev_destroy(bnd);
	duet_dma_dev_destroy(nvme);
	duet_dma_dev_destroy(plain);
	dmat_close(&t);
	return done_testing();
}

/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the hardware IOMMU models walk tables made of fuzz
 * input.  The first byte picks the format (VT-d, GART, Calgary); the
 * next bytes program the unit's registers (VT-d also runs its
 * invalidation queue over the input); the rest fills 64 KiB of
 * "physical" memory holding the tables; then a series of device accesses
 * (source id, address, direction) from the input are translated and
 * DMA'd.  The walker must neither crash, loop, nor touch memory outside
 * the arena, whatever the tables say.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "iommu-glue/calgary.h"
#include "iommu-glue/gart.h"
#include "iommu-glue/vtd.h"

#define ARENA	(64 * 1024)
#define BASE	0x100000ull

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct in {
	const uint8_t *p;
	size_t n;
};

static uint64_t take(struct in *in, unsigned int bytes)
{
	uint64_t v = 0;

	while (bytes--) {
		v = v << 8 | (in->n ? *in->p : 0);
		if (in->n) {
			in->p++;
			in->n--;
		}
	}
	return v;
}

/* An address mostly inside the arena, sometimes anywhere. */
static uint64_t addr(struct in *in)
{
	uint64_t v = take(in, 4);

	return (v & 0x80000000) ? take(in, 8) : BASE + v % (ARENA + 8192);
}

static void accesses(struct duet_iommu_unit *u, struct in *in)
{
	uint8_t buf[512];
	int i;

	for (i = 0; i < 16 && in->n; i++) {
		struct duet_iommu_fault f;
		uint16_t sid = (uint16_t)take(in, 2);
		uint64_t a = take(in, 1) & 1 ? addr(in) : take(in, 8);
		size_t len = 1 + take(in, 2) % sizeof(buf);
		int acc = take(in, 1) & 1 ? DUET_IOMMU_WRITE : DUET_IOMMU_READ;
		uint64_t pa;

		memset(buf, 0xa5, sizeof(buf));
		duet_iommu_translate(u, sid, a, len, acc, &pa, &f);
		duet_iommu_dma(u, sid, a, buf, len, acc, &f);
	}
}

static void vtd(struct duet_iommu_arena *ar, struct in *in)
{
	struct duet_vtd_config cfg = { .aw_bits = take(in, 1) & 1 ? 48 : 39,
				       .nfr = 1 + (unsigned int)take(in, 1) % 8,
				       .iotlb_entries = 16 };
	struct duet_vtd *v;
	int i;

	if (duet_vtd_create(&cfg, &ar->mem, &v))
		return;
	duet_vtd_write(v, VTD_REG_RTADDR, addr(in), 8);
	duet_vtd_write(v, VTD_REG_IQA, (addr(in) & ~0xfffull) | take(in, 1),
		       8);
	duet_vtd_write(v, VTD_REG_GCMD, VTD_GCMD_SRTP, 4);
	duet_vtd_write(v, VTD_REG_GCMD, (uint32_t)take(in, 4), 4);
	for (i = 0; i < 4; i++) {
		/* Register writes anywhere in the page, commands included. */
		unsigned int off = (unsigned int)take(in, 2) % VTD_REG_END;

		duet_vtd_write(v, off & ~7u, take(in, 8), 8);
		duet_vtd_write(v, off & ~3u, take(in, 4), 4);
		duet_vtd_read(v, off & ~7u, 8);
	}
	accesses(duet_vtd_unit(v), in);
	for (i = 0; i < 4 && in->n; i++) {
		uint64_t pa;
		uint8_t r;

		duet_vtd_walk(v, (uint16_t)take(in, 2), take(in, 8),
			      DUET_IOMMU_READ, &pa, &r);
	}
	duet_vtd_destroy(v);
}

static void gart(struct duet_iommu_arena *ar, struct in *in)
{
	struct duet_gart *g;

	if (duet_gart_create(&ar->mem, 8, &g))
		return;
	duet_gart_write(g, GART_APERTUREBASE, (uint32_t)take(in, 2));
	duet_gart_write(g, GART_TABLEBASE, (uint32_t)take(in, 4));
	duet_gart_write(g, GART_APERTURECTL, (uint32_t)take(in, 1));
	accesses(duet_gart_unit(g), in);
	duet_gart_write(g, GART_CACHECTL, 3);
	accesses(duet_gart_unit(g), in);
	duet_gart_destroy(g);
}

static void calgary(struct duet_iommu_arena *ar, struct in *in)
{
	struct duet_calgary *c;
	unsigned int i;

	if (duet_calgary_create(&ar->mem, 1 + (unsigned int)take(in, 1) % 4,
				8, &c))
		return;
	for (i = 0; i < 4; i++) {
		duet_calgary_write(c, i, CAL_TAR, addr(in) | take(in, 1));
		duet_calgary_write(c, i, CAL_CONFIG, take(in, 4));
	}
	accesses(duet_calgary_unit(c), in);
	duet_calgary_watchdog(c);
	accesses(duet_calgary_unit(c), in);
	duet_calgary_destroy(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct duet_iommu_arena ar;
	static int ready;
	struct in in = { data, size };
	size_t head;
	int kind;

	if (!ready) {
		if (duet_iommu_arena_init(&ar, NULL, BASE, ARENA))
			return 0;
		ready = 1;
	}
	if (size < 2)
		return 0;
	kind = data[0] % 3;
	/* The tail of the input is the memory image. */
	head = size > 128 ? 128 : size;
	memset(ar.buf, 0, ARENA);
	memcpy(ar.buf, data + head, size - head > ARENA ? ARENA : size - head);
	in.p = data + 1;
	in.n = head - 1;
	if (kind == 0)
		vtd(&ar, &in);
	else if (kind == 1)
		gart(&ar, &in);
	else
		calgary(&ar, &in);
	return 0;
}

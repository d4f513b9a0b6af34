/* SPDX-License-Identifier: MIT */
/*
 * iommu-test.h - a VT-d test bench: an arena of "physical" memory at a
 * made-up address, duet's VT-d unit walking it, and the driver bringing
 * the unit up through its registers.
 */
#ifndef DUET_TESTS_IOMMU_TEST_H
#define DUET_TESTS_IOMMU_TEST_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "iommu-glue/vtd.h"
#include "tap.h"

#define TB_PA	0x40000000ull		/* arena's physical base */

#define BAIL(msg)                                       \
	do {                                            \
		printf("Bail out! %s\n", msg);         \
		exit(1);                                \
	} while (0)

struct tb {
	struct duet_iommu_arena arena;
	struct duet_vtd *vtd;
	struct duet_iommu_unit *unit;
	struct duet_vtd_drv *drv;
	struct duet_vtd_hwif hw;
};

static int tb_alloc(void *opaque, uint64_t *pa)
{
	return duet_iommu_arena_alloc(opaque, pa);
}

static void tb_free(void *opaque, uint64_t pa)
{
	duet_iommu_arena_free(opaque, pa);
}

/* A unit of aw_bits with nfr fault records and an arena of mib MiB. */
static inline void tb_init(struct tb *t, unsigned int aw_bits,
			   unsigned int nfr, size_t mib, int use_qi)
{
	struct duet_vtd_config cfg = { .aw_bits = aw_bits, .nfr = nfr };
	struct duet_vtd_pages pages = { tb_alloc, tb_free, &t->arena };

	memset(t, 0, sizeof(*t));
	if (duet_iommu_arena_init(&t->arena, NULL, TB_PA, mib << 20) ||
	    duet_vtd_create(&cfg, &t->arena.mem, &t->vtd)) {
		printf("Bail out! test bench setup\n");
		exit(1);
	}
	t->unit = duet_vtd_unit(t->vtd);
	duet_vtd_hwif_model(t->vtd, &t->hw);
	if (duet_vtd_drv_open(&t->hw, &t->arena.mem, &pages, use_qi,
			      &t->drv)) {
		printf("Bail out! driver bring-up\n");
		exit(1);
	}
}

static inline void tb_fini(struct tb *t)
{
	duet_vtd_drv_close(t->drv);
	duet_vtd_destroy(t->vtd);
	duet_iommu_arena_fini(&t->arena);
}

/* A domain did on source sid. */
static inline struct duet_vtd_dom *tb_dom(struct tb *t, uint16_t did,
					  unsigned int aw,
					  enum duet_vtd_mode mode,
					  uint16_t sid)
{
	struct duet_vtd_dom_config c = { .did = did, .aw = aw, .mode = mode };
	struct duet_vtd_dom *dom;

	if (duet_vtd_dom_create(t->drv, &c, &dom) ||
	    duet_vtd_dom_attach(dom, sid)) {
		printf("Bail out! domain setup\n");
		exit(1);
	}
	return dom;
}

/* A data page of the arena, filled with pattern byte b. */
static inline uint64_t tb_page(struct tb *t, uint8_t b)
{
	uint64_t pa;

	if (duet_iommu_arena_alloc(&t->arena, &pa)) {
		printf("Bail out! arena full\n");
		exit(1);
	}
	memset(duet_iommu_arena_ptr(&t->arena, pa), b, 4096);
	return pa;
}

static inline uint64_t tb_rng(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

#endif /* DUET_TESTS_IOMMU_TEST_H */

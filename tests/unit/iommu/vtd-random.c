/* SPDX-License-Identifier: MIT */
/*
 * VT-d: random map/unmap sequences through the driver, with the device's
 * DMA (through duet's unit walking the tables) verified byte for byte:
 * reads return what memory holds, writes land exactly where mapped and
 * nowhere else, an access the mapping does not allow faults and moves
 * nothing, and in strict mode an unmapped range faults at once.  Run for
 * 3- and 4-level tables, register and queued invalidation, strict and
 * lazy.
 */
#include "iommu-test.h"

#define NPAGES	256
#define NLIVE	32
#define SID	0x0018

struct live {
	uint64_t iova, pa, len;
	int prot;
};

static void run(unsigned int aw_bits, int use_qi, enum duet_vtd_mode mode)
{
	struct tb t;
	struct duet_vtd_dom *dom;
	struct live live[NLIVE];
	uint8_t *shadow, *mem, buf[4 * 4096];
	uint64_t base, s = 0x9e3779b97f4a7c15ull ^ aw_bits ^ (uint64_t)mode;
	int nlive = 0, i, bad_data = 0, bad_fault = 0, bad_stale = 0;
	int bad_overlap = 0, dmas = 0, faults = 0, op;
	const char *name = mode == DUET_VTD_STRICT ? "strict" : "lazy";

	tb_init(&t, aw_bits, 4, 8, use_qi);
	dom = tb_dom(&t, 7, aw_bits == 48 ? 2 : 1, mode, SID);
	/* NPAGES contiguous data pages after the tables' first pages. */
	base = tb_page(&t, 0);
	for (i = 1; i < NPAGES; i++)
		if (tb_page(&t, 0) != base + i * 4096ull)
			BAIL("arena pages not contiguous");
	mem = duet_iommu_arena_ptr(&t.arena, base);
	shadow = malloc(NPAGES * 4096);
	for (i = 0; i < NPAGES * 4096; i++)
		mem[i] = shadow[i] = (uint8_t)tb_rng(&s);

	for (op = 0; op < 3000; op++) {
		uint64_t r = tb_rng(&s);

		if (nlive < NLIVE && (r % 3 || !nlive)) {
			struct live *l = &live[nlive];
			uint64_t off = tb_rng(&s) % ((NPAGES - 4) * 4096ull);

			l->len = 1 + tb_rng(&s) % (3 * 4096);
			l->pa = base + off;
			l->prot = 1 + (int)(tb_rng(&s) % 3);
			if (duet_vtd_dom_map(dom, l->pa, l->len, l->prot,
					     &l->iova))
				BAIL("map failed");
			if ((l->iova & 0xfff) != (l->pa & 0xfff))
				bad_data++;
			for (i = 0; i < nlive; i++)
				if (l->iova < live[i].iova + live[i].len &&
				    live[i].iova < l->iova + l->len)
					bad_overlap++;
			nlive++;
		} else {
			int k = (int)(tb_rng(&s) % (uint64_t)nlive);
			struct live l = live[k];
			struct duet_iommu_fault f;

			if (duet_vtd_dom_unmap(dom, l.iova, l.len))
				BAIL("unmap failed");
			live[k] = live[--nlive];
			if (mode == DUET_VTD_STRICT &&
			    duet_iommu_dma(t.unit, SID, l.iova, buf, 1,
					   DUET_IOMMU_READ, &f) != -EFAULT)
				bad_stale++;
			continue;
		}
		/* DMA through a random live mapping. */
		{
			struct live *l = &live[tb_rng(&s) % (uint64_t)nlive];
			uint64_t o = tb_rng(&s) % l->len;
			uint64_t n = 1 + tb_rng(&s) % (l->len - o);
			int wr = (int)(tb_rng(&s) & 1);
			int acc = wr ? DUET_IOMMU_WRITE : DUET_IOMMU_READ;
			int allowed = !!(l->prot & acc);
			struct duet_iommu_fault f;
			uint64_t j;
			int rc;

			for (j = 0; j < n; j++)
				buf[j] = (uint8_t)tb_rng(&s);
			rc = duet_iommu_dma(t.unit, SID, l->iova + o, buf, n,
					    acc, &f);
			dmas++;
			if (!allowed) {
				faults++;
				if (rc != -EFAULT ||
				    f.reason != (wr ? VTD_FR_WRITE :
						      VTD_FR_READ))
					bad_fault++;
			} else if (rc) {
				bad_fault++;
			} else if (wr) {
				memcpy(shadow + (l->pa - base) + o, buf, n);
			} else if (memcmp(buf, shadow + (l->pa - base) + o,
					  n)) {
				bad_data++;
			}
			/* Clear the fault records for the next one. */
			for (j = 0; j < 4; j++)
				duet_vtd_write(t.vtd,
					       VTD_REG_FRCD + 16 * j + 12,
					       1u << 31, 4);
			duet_vtd_write(t.vtd, VTD_REG_FSTS, VTD_FSTS_PFO, 4);
		}
	}
	is_int(bad_data, 0, "%d-bit %s %s: %d DMAs, every byte as mapped",
	       aw_bits, use_qi ? "QI" : "regs", name, dmas);
	ok(!memcmp(mem, shadow, NPAGES * 4096),
	   "%d-bit %s %s: memory holds exactly the device's writes", aw_bits,
	   use_qi ? "QI" : "regs", name);
	is_int(bad_fault, 0,
	       "%d-bit %s %s: %d accesses without permission faulted (5/6)",
	       aw_bits, use_qi ? "QI" : "regs", name, faults);
	is_int(bad_overlap, 0, "%d-bit %s %s: live IOVA ranges never overlap",
	       aw_bits, use_qi ? "QI" : "regs", name);
	if (mode == DUET_VTD_STRICT)
		is_int(bad_stale, 0, "%d-bit %s strict: unmapped = faults",
		       aw_bits, use_qi ? "QI" : "regs");
	while (nlive--)
		duet_vtd_dom_unmap(dom, live[nlive].iova, live[nlive].len);
	duet_vtd_dom_flush(dom);
	duet_vtd_dom_detach(dom, SID);
	duet_vtd_dom_destroy(dom);
	free(shadow);
	tb_fini(&t);
}

/* 2 MiB and 1 GiB superpages: the walker stops at PS, offsets carry. */
static void superpages(void)
{
	struct tb t;
	struct duet_vtd_dom *dom;
	uint64_t pa, got, base;
	uint8_t reason;
	int i;

	tb_init(&t, 48, 1, 8, 0);
	dom = tb_dom(&t, 3, 2, DUET_VTD_STRICT, SID);
	/* A 2 MiB-aligned physical run inside the arena. */
	base = (TB_PA + (2ull << 20)) & ~((2ull << 20) - 1);
	is_int(duet_vtd_dom_map_at(dom, 0x40000000ull, base, 2ull << 20,
				   DUET_IOMMU_READ | DUET_IOMMU_WRITE),
	       0, "2 MiB map at 1 GiB");
	is_int(duet_vtd_walk(t.vtd, SID, 0x40000000ull + 0x12345,
			     DUET_IOMMU_WRITE, &got, &reason),
	       0, "walk through the 2 MiB superpage");
	is_int(got, base + 0x12345, "offset inside the superpage carried");
	is_int(duet_vtd_dom_map_at(dom, 1ull << 30 << 1, 0, 1ull << 30,
				   DUET_IOMMU_READ),
	       0, "1 GiB map of pa 0 at 2 GiB");
	is_int(duet_vtd_walk(t.vtd, SID, (2ull << 30) + 0x3456789,
			     DUET_IOMMU_READ, &got, &reason),
	       0, "walk through the 1 GiB superpage");
	is_int(got, 0x3456789, "1 GiB offset carried");
	is_int(duet_vtd_walk(t.vtd, SID, (2ull << 30) + 5, DUET_IOMMU_WRITE,
			     &got, &reason),
	       -EFAULT, "1 GiB read-only superpage refuses a write");
	is_int(reason, VTD_FR_WRITE, "reason 5");
	/* Unmapping 4 KiB of the 2 MiB page splits it; the rest stays. */
	is_int(duet_vtd_dom_unmap_at(dom, 0x40000000ull + 0x5000, 4096), 0,
	       "unmap one 4 KiB page of the 2 MiB superpage");
	for (i = 0, pa = 0; i < 512; i++) {
		int rc = duet_vtd_walk(t.vtd, SID,
				       0x40000000ull + (uint64_t)i * 4096,
				       DUET_IOMMU_READ, &got, &reason);

		if ((i == 5) != (rc == -EFAULT) ||
		    (!rc && got != base + (uint64_t)i * 4096))
			pa++;
	}
	is_int(pa, 0, "split: 511 pages still map, the unmapped one faults");
	duet_vtd_dom_detach(dom, SID);
	duet_vtd_dom_destroy(dom);
	tb_fini(&t);
}

int main(void)
{
	run(39, 0, DUET_VTD_STRICT);
	run(48, 1, DUET_VTD_STRICT);
	run(39, 1, DUET_VTD_LAZY);
	run(48, 0, DUET_VTD_LAZY);
	superpages();
	return done_testing();
}

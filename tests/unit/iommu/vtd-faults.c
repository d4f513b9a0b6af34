/* SPDX-License-Identifier: MIT */
/*
 * VT-d faults: each refused access gets the legacy fault reason the
 * hardware reports (unmapped write 5 / read 6, beyond the width 4, write
 * through a read-only entry 5, read through write-only 6, root and
 * context not present 1 and 2, invalid context 3, reserved PTE bits 0xc),
 * a fault record with source id, type and page address, memory is left
 * untouched, and records overflow (PFO) and clear (F write-1-clear) as
 * the registers define.
 */
#include "iommu-test.h"

#define SID	0x0018	/* 00:03.0 */

static uint64_t frcd_hi(struct tb *t, int i)
{
	return duet_vtd_read(t->vtd, VTD_REG_FRCD + 16 * i + 8, 8);
}

static void clear_faults(struct tb *t, int n)
{
	int i;

	for (i = 0; i < n; i++)
		duet_vtd_write(t->vtd, VTD_REG_FRCD + 16 * i + 12, 1u << 31, 4);
	duet_vtd_write(t->vtd, VTD_REG_FSTS, VTD_FSTS_PFO, 4);
}

/* DMA of 16 bytes; returns the reason (0 if it went through). */
static int dma_reason(struct tb *t, uint16_t sid, uint64_t iova, int acc)
{
	struct duet_iommu_fault f;
	uint8_t buf[16];

	memset(buf, 0x5a, sizeof(buf));
	if (!duet_iommu_dma(t->unit, sid, iova, buf, sizeof(buf), acc, &f))
		return 0;
	return f.reason;
}

static void reasons(void)
{
	struct tb t;
	struct duet_vtd_dom *dom;
	uint64_t ro, wo, rw, hi, lo, before_sum = 0, after_sum = 0, pte_pa;
	uint8_t *p;
	uint64_t i;

	tb_init(&t, 39, 1, 4, 0);
	dom = tb_dom(&t, 1, 1, DUET_VTD_STRICT, SID);
	ro = tb_page(&t, 0x11);
	wo = tb_page(&t, 0x22);
	rw = tb_page(&t, 0x33);
	duet_vtd_dom_map_at(dom, 0x100000, ro, 4096, DUET_IOMMU_READ);
	duet_vtd_dom_map_at(dom, 0x101000, wo, 4096, DUET_IOMMU_WRITE);
	duet_vtd_dom_map_at(dom, 0x102000, rw, 4096,
			    DUET_IOMMU_READ | DUET_IOMMU_WRITE);
	for (i = 0; i < t.arena.size; i++)
		before_sum = before_sum * 31 + t.arena.buf[i];

	is_int(dma_reason(&t, SID, 0x200000, DUET_IOMMU_WRITE), VTD_FR_WRITE,
	       "unmapped IOVA, DMA write: reason 5");
	hi = frcd_hi(&t, 0);
	lo = duet_vtd_read(t.vtd, VTD_REG_FRCD, 8);
	ok((hi & VTD_FRCD_F) && VTD_FRCD_FR(hi) == 5 &&
		   VTD_FRCD_SID(hi) == SID && !(hi & VTD_FRCD_T) &&
		   lo == 0x200000,
	   "record: F, FR 5, SID 0x0018, T=write, page 0x200000 (%#llx %#llx)",
	   (unsigned long long)hi, (unsigned long long)lo);
	ok(duet_vtd_read(t.vtd, VTD_REG_FSTS, 4) & VTD_FSTS_PPF, "FSTS.PPF");
	clear_faults(&t, 1);
	ok(!(duet_vtd_read(t.vtd, VTD_REG_FSTS, 4) & VTD_FSTS_PPF),
	   "F write-1-clear drops PPF");

	is_int(dma_reason(&t, SID, 0x7fffff000ull, DUET_IOMMU_READ),
	       VTD_FR_READ, "unmapped IOVA (no top-level entry), read: 6");
	ok(frcd_hi(&t, 0) & VTD_FRCD_T, "record: T=read");
	clear_faults(&t, 1);
	is_int(dma_reason(&t, SID, 1ull << 39, DUET_IOMMU_WRITE),
	       VTD_FR_BEYOND_MGAW, "IOVA 2^39 with 39-bit tables: 4");
	clear_faults(&t, 1);
	is_int(dma_reason(&t, SID, 0x100000, DUET_IOMMU_WRITE), VTD_FR_WRITE,
	       "write through a read-only entry: 5");
	clear_faults(&t, 1);
	is_int(dma_reason(&t, SID, 0x101000, DUET_IOMMU_READ), VTD_FR_READ,
	       "read through a write-only entry: 6");
	clear_faults(&t, 1);
	is_int(dma_reason(&t, SID, 0x100ff8, DUET_IOMMU_READ), VTD_FR_READ,
	       "a read crossing from RO into WO refuses the whole DMA");
	clear_faults(&t, 1);
	for (i = 0; i < t.arena.size; i++)
		after_sum = after_sum * 31 + t.arena.buf[i];
	ok(before_sum == after_sum, "no byte of memory changed by the faults");

	is_int(dma_reason(&t, 0x0100, 0x100000, DUET_IOMMU_READ),
	       VTD_FR_ROOT_NP, "bus 1 has no root entry: 1");
	clear_faults(&t, 1);
	is_int(dma_reason(&t, 0x0020, 0x100000, DUET_IOMMU_READ),
	       VTD_FR_CTX_NP, "00:04.0 has no context entry: 2");
	clear_faults(&t, 1);

	/* Reserved bit 11 (SNP) in the leaf of 0x102000. */
	{
		uint64_t got;
		uint8_t r;

		duet_vtd_drv_inv_iotlb(t.drv, VTD_INV_GLOBAL, 0, 0, 0);
		/* find the leaf: walk our own tables by hand */
		p = NULL;
		for (pte_pa = t.arena.pa; pte_pa < t.arena.pa + t.arena.size;
		     pte_pa += 8) {
			uint64_t *e = duet_iommu_arena_ptr(&t.arena, pte_pa);

			if (*e == (rw | 3)) {
				p = (uint8_t *)e;
				break;
			}
		}
		ok(p != NULL, "found the R/W leaf entry in memory");
		if (p) {
			*(uint64_t *)p |= VTD_PTE_SNP;
			is_int(duet_vtd_walk(t.vtd, SID, 0x102000,
					     DUET_IOMMU_READ, &got, &r),
			       -EFAULT, "reserved bit 11 set: refused");
			is_int(r, VTD_FR_PTE_RSVD, "reason 0xc");
			*(uint64_t *)p = rw | 3 | (1ull << 40);
			duet_vtd_walk(t.vtd, SID, 0x102000, DUET_IOMMU_READ,
				      &got, &r);
			is_int(r, VTD_FR_PTE_RSVD,
			       "address above the 39-bit host width: 0xc");
			*(uint64_t *)p = rw | 3;
		}
	}
	duet_vtd_dom_detach(dom, SID);
	duet_vtd_dom_destroy(dom);
	tb_fini(&t);
}

/* AW code the unit does not support: invalid context entry (3). */
static void bad_context(void)
{
	struct tb t;
	struct duet_vtd_dom *dom;
	uint64_t ctx_pa, got;
	uint64_t *ce;
	uint8_t r;

	tb_init(&t, 39, 1, 4, 0);
	dom = tb_dom(&t, 1, 1, DUET_VTD_STRICT, SID);
	ctx_pa = *(uint64_t *)duet_iommu_arena_ptr(&t.arena,
						   duet_vtd_drv_root(t.drv)) &
		 ~0xfffull;
	ce = duet_iommu_arena_ptr(&t.arena, ctx_pa + (SID & 0xff) * 16);
	ce[1] = (ce[1] & ~7ull) | 2;	/* 48-bit on a 39-bit-only unit */
	is_int(duet_vtd_walk(t.vtd, SID, 0x1000, DUET_IOMMU_READ, &got, &r),
	       -EFAULT, "context with unsupported AW refused");
	is_int(r, VTD_FR_CTX_INVAL, "reason 3");
	ce[1] = (ce[1] & ~7ull) | 1;
	ce[0] |= 1ull << 4;		/* reserved bit in lo */
	duet_vtd_walk(t.vtd, SID, 0x1000, DUET_IOMMU_READ, &got, &r);
	is_int(r, VTD_FR_CTX_RSVD, "reserved context bit: reason 0xb");
	ce[0] &= ~(1ull << 4);
	duet_vtd_dom_detach(dom, SID);
	duet_vtd_dom_destroy(dom);
	tb_fini(&t);
}

/* A frame mapped for another domain's device is foreign: refused. */
static void foreign(void)
{
	struct tb t;
	struct duet_vtd_dom *d1, *d2;
	uint64_t mine, theirs, iova_mine, iova_theirs;
	uint8_t b[8];

	tb_init(&t, 48, 4, 4, 1);
	d1 = tb_dom(&t, 1, 2, DUET_VTD_STRICT, 0x0018);
	d2 = tb_dom(&t, 2, 2, DUET_VTD_STRICT, 0x0020);
	mine = tb_page(&t, 0x01);
	theirs = tb_page(&t, 0x02);
	duet_vtd_dom_map(d1, mine, 4096, DUET_IOMMU_READ | DUET_IOMMU_WRITE,
			 &iova_mine);
	duet_vtd_dom_map(d2, theirs, 4096, DUET_IOMMU_READ | DUET_IOMMU_WRITE,
			 &iova_theirs);
	duet_vtd_dom_map_at(d2, 0x7000000, theirs, 4096, DUET_IOMMU_READ);
	ok(!duet_iommu_dma(t.unit, 0x0020, 0x7000000, b, 8, DUET_IOMMU_READ,
			   NULL) && b[0] == 0x02,
	   "domain 2's device reads its frame at 0x7000000");
	is_int(dma_reason(&t, 0x0018, 0x7000000, DUET_IOMMU_READ),
	       VTD_FR_READ, "domain 1's device, same IOVA: not in its "
	       "tables, reason 6");
	memset(b, 0xff, sizeof(b));
	is_int(dma_reason(&t, 0x0018, 0x7000000, DUET_IOMMU_WRITE),
	       VTD_FR_WRITE, "and a write: reason 5");
	ok(((uint8_t *)duet_iommu_arena_ptr(&t.arena, theirs))[0] == 0x02,
	   "the foreign frame is untouched");
	is_int(dma_reason(&t, 0x0018, theirs, DUET_IOMMU_READ), VTD_FR_READ,
	       "its physical address is no IOVA of domain 1 either");
	duet_vtd_dom_destroy(d1);
	duet_vtd_dom_destroy(d2);
	tb_fini(&t);
}

/* Overflow: one record, a second requester's fault sets PFO. */
static void overflow(void)
{
	struct tb t;
	struct duet_vtd_dom *d1, *d2;
	struct duet_iommu_fault f;
	uint8_t b[4];

	tb_init(&t, 39, 1, 4, 0);
	d1 = tb_dom(&t, 1, 1, DUET_VTD_STRICT, 0x0018);
	d2 = tb_dom(&t, 2, 1, DUET_VTD_STRICT, 0x0020);
	duet_vtd_write(t.vtd, VTD_REG_FECTL, VTD_FECTL_IM, 4);
	duet_iommu_dma(t.unit, 0x0018, 0x5000, b, 4, DUET_IOMMU_READ, &f);
	ok(f.recorded, "first fault recorded");
	ok(duet_vtd_read(t.vtd, VTD_REG_FECTL, 4) & VTD_FECTL_IP,
	   "masked fault event: FECTL.IP pending");
	duet_iommu_dma(t.unit, 0x0018, 0x6000, b, 4, DUET_IOMMU_READ, &f);
	ok(!f.recorded && !(duet_vtd_read(t.vtd, VTD_REG_FSTS, 4) &
			    VTD_FSTS_PFO),
	   "same requester again: collapsed, no overflow");
	duet_iommu_dma(t.unit, 0x0020, 0x7000, b, 4, DUET_IOMMU_WRITE, &f);
	ok(!f.recorded && (duet_vtd_read(t.vtd, VTD_REG_FSTS, 4) &
			   VTD_FSTS_PFO),
	   "other requester with the record full: dropped, FSTS.PFO");
	is_int(VTD_FRCD_SID(frcd_hi(&t, 0)), 0x0018,
	       "the record still holds the first fault");
	clear_faults(&t, 1);
	duet_iommu_dma(t.unit, 0x0020, 0x7000, b, 4, DUET_IOMMU_WRITE, &f);
	ok(f.recorded && VTD_FRCD_SID(frcd_hi(&t, 0)) == 0x0020,
	   "after clearing F and PFO the next fault is recorded");
	duet_vtd_dom_destroy(d1);
	duet_vtd_dom_destroy(d2);
	tb_fini(&t);
}

int main(void)
{
	reasons();
	bad_context();
	foreign();
	overflow();
	return done_testing();
}

/* SPDX-License-Identifier: MIT */
/*
 * VT-d for a PV domain: a buffer over scattered frames maps to one
 * contiguous IOVA range that the device reads in one go; Xen-style
 * identity frames (dfn = mfn) appear, turn read-only and disappear with
 * immediate invalidation, even when the IOTLB held them.
 */
#include "iommu-test.h"

#define SID	0x0018

int main(void)
{
	struct tb t;
	struct duet_vtd_dom *dom;
	uint64_t pas[3], iova, got;
	uint8_t buf[3 * 4096 - 100], want[3 * 4096 - 100], b = 1;
	int i;

	tb_init(&t, 39, 1, 4, 1);
	dom = tb_dom(&t, 4, 1, DUET_VTD_STRICT, SID);
	pas[0] = tb_page(&t, 0xa1);
	tb_page(&t, 0);
	pas[1] = tb_page(&t, 0xb2);
	pas[2] = tb_page(&t, 0xc3);
	tb_page(&t, 0);
	is_int(duet_vtd_dom_map_pages(dom, (uint64_t[]){ pas[2], pas[0],
							 pas[1] },
				      3, 100, DUET_IOMMU_READ, &iova),
	       0, "three scattered frames, offset 100: one IOVA range");
	is_int(iova & 0xfff, 100, "the offset is kept");
	for (i = 0; i < (int)sizeof(want); i++)
		want[i] = i < 4096 - 100 ? 0xc3 : i < 8192 - 100 ? 0xa1 : 0xb2;
	ok(!duet_iommu_dma(t.unit, SID, iova, buf, sizeof(buf),
			   DUET_IOMMU_READ, NULL) &&
		   !memcmp(buf, want, sizeof(buf)),
	   "one device read gathers the frames in IOVA order");
	is_int(duet_vtd_dom_unmap(dom, iova, sizeof(buf)), 0, "unmap");
	ok(duet_iommu_dma(t.unit, SID, iova, buf, 1, DUET_IOMMU_READ, NULL) ==
		   -EFAULT,
	   "gone (strict)");
	is_int(duet_vtd_dom_map_pages(dom, (uint64_t[]){ pas[0] + 1 }, 1, 0,
				      DUET_IOMMU_READ, &iova),
	       -EINVAL, "an unaligned frame is refused");

	is_int(duet_vtd_dom_set_frame(dom, pas[1], DUET_IOMMU_READ |
						   DUET_IOMMU_WRITE),
	       0, "identity frame, read-write");
	ok(!duet_iommu_dma(t.unit, SID, pas[1], &b, 1, DUET_IOMMU_WRITE,
			   NULL) &&
		   *(uint8_t *)duet_iommu_arena_ptr(&t.arena, pas[1]) == 1,
	   "the device writes it at dfn = mfn");
	duet_vtd_dom_set_frame(dom, pas[1], DUET_IOMMU_READ);
	ok(duet_iommu_dma(t.unit, SID, pas[1], &b, 1, DUET_IOMMU_WRITE,
			  NULL) == -EFAULT,
	   "turned read-only: the cached read-write entry is invalidated");
	ok(!duet_vtd_walk(t.vtd, SID, pas[1], DUET_IOMMU_READ, &got, &b) &&
		   got == pas[1],
	   "still readable");
	duet_vtd_write(t.vtd, VTD_REG_FRCD + 12, 1u << 31, 4);
	duet_vtd_dom_set_frame(dom, pas[1], 0);
	ok(duet_iommu_dma(t.unit, SID, pas[1], &b, 1, DUET_IOMMU_READ,
			  NULL) == -EFAULT,
	   "removed: refused");
	duet_vtd_dom_detach(dom, SID);
	duet_vtd_dom_destroy(dom);
	tb_fini(&t);
	return done_testing();
}

/* SPDX-License-Identifier: MIT */
/*
 * calgary-papr.c - the calgary backend's second programming model, PAPR's
 * per-page hypercalls ("papr"): maps and unmaps go through H_PUT_TCE into
 * the same big-endian TCE table, H_GET_TCE reads entries back, the device
 * moves data byte for byte, an unmap holds at once (the hypervisor
 * flushes the TCE cache: no stale TCE, unlike the native driver), and
 * bad calls give H_PARAMETER / H_PRIVILEGE as -EINVAL / -EPERM with the
 * table untouched.
 */
#include "dmatest.h"
#include "iommu-glue/dma-iommu.h"

/* The device's read of @a after an unmap: native Calgary still has the
 * TCE cached, PAPR flushed it. */
static int stale_read(struct dmat *t, const char *opts)
{
	struct duet_dma_dev_cfg c = { .name = "cal" };
	struct duet_dma_dev *dev = dmat_dev(t, "calgary", opts, &c);
	unsigned char *buf, in[16];
	duet_dma_addr_t a;
	int rc;

	duet_dma_domain_alloc(t->drv, 1, (void **)&buf);
	duet_dma_map(dev, buf, 4096, DUET_DMA_TO_DEVICE, 0, &a);
	duet_dma_dev_read(dev, a, in, 16);
	duet_dma_unmap(dev, a, 4096, DUET_DMA_TO_DEVICE, 0);
	rc = duet_dma_dev_read(dev, a, in, 16);
	duet_dma_dev_reset(dev);
	duet_dma_dev_destroy(dev);
	duet_dma_domain_free(t->drv, buf, 1);
	return rc;
}

int main(void)
{
	struct duet_dma_dev_cfg c = { .name = "papr" };
	struct duet_calgary_drv_stats st;
	struct dma_iommu_info info;
	struct duet_dma_dev *dev;
	unsigned char *buf, in[3 * 4096], out[3 * 4096];
	duet_dma_addr_t a;
	uint64_t tce, m, liobn, tmfn = 0, i;
	struct dmat t;

	dmat_open(&t, 64);
	dev = dmat_dev(&t, "calgary", "papr", &c);
	dma_iommu_dev_info(dev, &info);
	liobn = info.source_id >> 8;
	duet_dma_domain_alloc(t.drv, 3, (void **)&buf);
	dmat_fill(buf, 3 * 4096, 4);

	is_int(duet_dma_map(dev, buf + 10, 2 * 4096, DUET_DMA_BIDIRECTIONAL, 0,
			    &a), 0, "map 3 pages through H_PUT_TCE");
	duet_calgary_drv_stats(info.cal, &st);
	ok(st.hcalls == 3, "one hypercall per page (%llu)",
	   (unsigned long long)st.hcalls);
	duet_dma_virt_to_maddr(t.mem, buf + 4096, &m, NULL, NULL);
	ok(duet_calgary_h_get_tce(info.cal, liobn, (a & ~0xfffull) + 4096,
				  &tce) == DUET_H_SUCCESS &&
	   tce == (m | DUET_PAPR_TCE_READ | DUET_PAPR_TCE_WRITE),
	   "H_GET_TCE: the second page's entry, R|W and its frame");
	dmat_fill(out, 2 * 4096, 9);
	ok(duet_dma_dev_read(dev, a, in, 2 * 4096) == 0 &&
	   !memcmp(in, buf + 10, 2 * 4096) &&
	   duet_dma_dev_write(dev, a, out, 2 * 4096) == 0 &&
	   !memcmp(buf + 10, out, 2 * 4096), "DMA byte for byte");
	is_int(duet_dma_unmap(dev, a, 2 * 4096, DUET_DMA_BIDIRECTIONAL, 0), 0,
	       "unmap through H_PUT_TCE(0)");
	ok(duet_calgary_h_get_tce(info.cal, liobn, a & ~0xfffull, &tce) ==
		   DUET_H_SUCCESS && tce == 0, "the entry is cleared");
	is_int(duet_dma_dev_read(dev, a, in, 16), -EFAULT,
	       "the device lost it at once");
	duet_dma_dev_reset(dev);

	/* Bad calls: nothing is written. */
	is_int(duet_calgary_h_errno(duet_calgary_h_put_tce(info.cal, liobn,
							   a | 8, m | 1)),
	       -EINVAL, "misaligned ioba: H_PARAMETER, -EINVAL");
	is_int(duet_calgary_h_errno(duet_calgary_h_put_tce(info.cal, liobn + 1,
							   a & ~0xfffull,
							   m | 1)),
	       -EINVAL, "another liobn: H_PARAMETER");
	is_int(duet_calgary_h_put_tce(info.cal, liobn, 1ull << 40, m | 1),
	       DUET_H_PARAMETER, "beyond the table: H_PARAMETER");
	is_int(duet_calgary_h_put_tce(info.cal, liobn, a & ~0xfffull,
				      m | 1 | 0x100), DUET_H_PARAMETER,
	       "reserved bits: H_PARAMETER");
	for (i = 0; i < t.mem->nframes && !tmfn; i++)
		if (dma_mem_owner(t.mem, i) == DMA_OWNER_IOMMU &&
		    dma_mem_host(t.mem, i << 12))
			tmfn = i;
	is_int(duet_calgary_h_errno(duet_calgary_h_put_tce(info.cal, liobn,
							   a & ~0xfffull,
							   tmfn << 12 | 3)),
	       -EPERM, "an IOMMU table's frame: H_PRIVILEGE, -EPERM");
	is_int(duet_calgary_h_put_tce(info.cal, liobn, a & ~0xfffull,
				      (t.mem->nframes / 2) << 12 | 1),
	       DUET_H_PRIVILEGE, "a free frame: H_PRIVILEGE");
	ok(duet_calgary_h_get_tce(info.cal, liobn, a & ~0xfffull, &tce) ==
		   DUET_H_SUCCESS && tce == 0, "the table is untouched");
	is_int(duet_dma_dev_read(dev, a, in, 16), -EFAULT,
	       "and the device reaches nothing there");
	duet_dma_dev_reset(dev);
	duet_dma_dev_destroy(dev);

	ok(stale_read(&t, NULL) == 0,
	   "native driver: the unmapped TCE still works from the cache");
	is_int(stale_read(&t, "papr"), -EFAULT,
	       "papr: the unmap held when the call returned");
	dmat_close(&t);
	return done_testing();
}

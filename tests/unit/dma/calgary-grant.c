/* SPDX-License-Identifier: MIT */
/*
 * calgary-grant.c - grants through Calgary on every machine size: the
 * glue gives a granted frame to a device through a TCE the PHB's
 * allocator hands out (not at dfn = mfn), so a frame below 2 GiB of a
 * 4 GiB machine, one near its top, one above 4 GiB of an 8 GiB machine
 * and one of a 256 MiB machine all reach the device, byte for byte, at a
 * bus address inside the TCE table's IO space and below 4 GiB (a 32-bit
 * device uses it); rights change in place (same bus address) and the
 * last unmap takes the frame out of reach.
 */
#include "lib/simtest.h"
#include "tap.h"
#include "duet/dma.h"
#include "iommu-glue/dma-iommu.h"

static void fill(unsigned char *p, size_t n, unsigned seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (unsigned char)(seed + i * 11);
}

/*
 * A machine of 2^@bits bytes; frames [@lo, @hi) taken away first (no
 * domain's, no grant's) so that foreign frames land below @lo.
 */
static void run(unsigned bits, uint64_t lo, uint64_t hi, unsigned dg,
		struct duet_platform *pd, duet_domid_t dd,
		duet_grant_ref_t ref, unsigned char *gp, const char *what)
{
	struct duet_dma_dev_cfg c = { .name = "cal", .dma_mask = 0xffffffffull };
	struct duet_dma_glue_map *w, *r, *w2;
	struct duet_dma_mem *mem;
	struct duet_dma_domain *drv;
	struct duet_dma_dev *dev, *dev2;
	struct duet_dma_glue *g;
	struct dma_iommu_info info;
	unsigned char data[128], in[128], keep[4096];
	duet_dma_addr_t aw, ar, a2;
	uint64_t first = 0, maddr, m;
	void *cpu;

	if (duet_dma_mem_create(bits, &mem) ||
	    (hi && dma_mem_take_iommu(mem, hi - lo, 1, lo, hi, NULL, &first)) ||
	    duet_dma_domain_create(mem, dd, 256, &drv) ||
	    duet_dma_dev_create(drv, &c, duet_dma_backend_find("calgary"),
				NULL, &dev) ||
	    duet_dma_dev_create(drv, &c, duet_dma_backend_find("calgary"),
				NULL, &dev2) ||
	    duet_dma_glue_create(pd, drv, &g)) {
		printf("Bail out! %s: cannot set up the machine\n", what);
		exit(1);
	}
	dma_iommu_dev_info(dev, &info);
	is_int(duet_dma_glue_map_grant(g, dev, dg, ref, 0,
				       DUET_DMA_BIDIRECTIONAL, &w, &aw, &cpu),
	       0, "%s: map the grant writable", what);
	duet_dma_virt_to_maddr(mem, cpu, &maddr, NULL, NULL);
	diag("%s: frame %#llx at bus %#llx", what, (unsigned long long)maddr,
	     (unsigned long long)aw);
	if (!strcmp(what, "4 GiB, frame below 2 GiB"))
		ok(maddr < 1ull << 31, "%s: the frame is below 2 GiB", what);
	else if (bits > 32)
		ok(maddr >= 1ull << 32, "%s: the frame is above 4 GiB", what);
	else
		ok(maddr < 1ull << bits, "%s: the frame is in the machine",
		   what);
	ok(aw + 4095 <= 0xffffffffull &&
	   aw >= info.win_base && aw + 4096 <= info.win_base + info.win_size,
	   "%s: its bus address is a TCE of the table, below 4 GiB", what);
	ok(duet_dma_dev_ops(dev)->translate(duet_dma_dev_priv(dev), aw + 5, 1,
					    &m) == 0 && m == maddr + 5,
	   "%s: the TCE points at the frame", what);
	fill(data, sizeof(data), 7);
	is_int(duet_dma_dev_write(dev, aw + 200, data, sizeof(data)), 0,
	       "%s: the device writes the granted frame", what);
	ok(!memcmp(gp + 200, data, sizeof(data)),
	   "%s: the guest sees the bytes", what);
	ok(duet_dma_dev_read(dev, aw, in, sizeof(in)) == 0 &&
	   !memcmp(in, gp, sizeof(in)), "%s: the device reads it back", what);

	is_int(duet_dma_glue_map_grant(g, dev2, dg, ref, DUET_GNT_READONLY,
				       DUET_DMA_TO_DEVICE, &r, &ar, NULL), 0,
	       "%s: a second device of the PHB maps it read-only", what);
	ok(ar == aw, "%s: the PHB's one TCE for the frame serves both", what);
	is_int(duet_dma_glue_map_grant(g, dev, dg, ref, 0,
				       DUET_DMA_FROM_DEVICE, &w2, &a2, NULL), 0,
	       "%s: and the first once more", what);
	ok(a2 == aw, "%s: same bus address", what);
	is_int(duet_dma_glue_unmap(g, w), 0, "%s: one writer leaves", what);
	is_int(duet_dma_glue_unmap(g, w2), 0, "%s: the last writer leaves",
	       what);
	memcpy(keep, gp, 4096);
	is_int(duet_dma_dev_write(dev2, ar, data, 16), -EACCES,
	       "%s: the TCE is read-only now", what);
	ok(!memcmp(keep, gp, 4096), "%s: the frame is untouched", what);
	duet_dma_dev_reset(dev2);
	ok(duet_dma_dev_read(dev2, ar + 200, in, sizeof(in)) == 0 &&
	   !memcmp(in, data, sizeof(in)), "%s: reads still see it (after the "
	   "slot reset the fault caused)", what);
	is_int(duet_dma_glue_unmap(g, r), 0, "%s: the reader leaves", what);
	is_int(duet_dma_dev_read(dev2, ar, in, 16), -EFAULT,
	       "%s: the frame is out of the device's reach", what);
	duet_dma_dev_reset(dev2);

	duet_dma_glue_destroy(g);
	duet_dma_dev_destroy(dev2);
	duet_dma_dev_destroy(dev);
	duet_dma_domain_destroy(drv);
	if (hi)
		dma_mem_give_iommu(mem, first, hi - lo);
	duet_dma_mem_destroy(mem);
}

int main(void)
{
	struct duet_platform *pg, *pd;
	duet_grant_ref_t ref;
	unsigned char *gp;
	unsigned dg, dd;

	simtest_pair(0, &dg, &pg, &dd, &pd);
	is_int(duet_gnt_share(pg, dd, 1, 0, &ref, (void **)&gp), 0,
	       "the guest shares a page with the driver domain");
	fill(gp, 4096, 1);
	/* Frames 2 GiB .. 4 GiB taken: the grant lands below 2 GiB. */
	run(32, 1ull << 19, 1ull << 20, dg, pd, dd, ref, gp,
	    "4 GiB, frame below 2 GiB");
	run(32, 0, 0, dg, pd, dd, ref, gp, "4 GiB, frame near the top");
	run(33, 0, 0, dg, pd, dd, ref, gp, "8 GiB, frame above 4 GiB");
	run(28, 0, 0, dg, pd, dd, ref, gp, "256 MiB");
	is_int(duet_gnt_unshare(pg, gp, 1), 0, "every grant mapping released");
	duet_platform_close(pd);
	duet_platform_close(pg);
	return done_testing();
}

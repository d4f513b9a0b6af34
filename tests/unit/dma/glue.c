/* SPDX-License-Identifier: MIT */
/*
 * glue.c - grant-aware DMA on the simulator, over every registered
 * backend: a guest grants pages to the driver domain; through a backend
 * with frame_set (pv-identity, calgary, vtd-*) the device gets exactly
 * the granted frame, read-only for a read-only grant, counted per frame
 * as Xen does (the last writer leaving readers downgrades to read-only;
 * the last user removes it); through the others (direct, swiotlb, gart)
 * the device only ever sees a bounce buffer of the driver domain; an
 * ungranted frame is -EACCES.
 */
#include "lib/simtest.h"
#include "tap.h"
#include "duet/dma.h"
#include "dmatest.h"

static void fill(unsigned char *p, size_t n, unsigned seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (unsigned char)(seed + i * 13);
}

/* Without frame_set the device sees a bounce slot, never the frame. */
static void bounce(struct duet_dma_glue *g, struct duet_dma_dev *dev,
		   struct duet_dma_dev *iommu, const char *be, unsigned dg,
		   duet_grant_ref_t ref, unsigned char *gp)
{
	struct duet_dma_glue_map *h, *hi;
	unsigned char keep[4096], data[64], in[4096];
	duet_dma_addr_t a, fa;

	memcpy(keep, gp, 4096);
	is_int(duet_dma_glue_map_grant(g, dev, dg, ref, 0,
				       DUET_DMA_BIDIRECTIONAL, &h, &a, NULL),
	       0, "%s: map the grant bidirectional", be);
	is_int(duet_dma_glue_frame_prot(g, dg, ref), 0,
	       "%s: the frame itself is given to no device", be);
	is_int(duet_dma_glue_map_grant(g, iommu, dg, ref, 0,
				       DUET_DMA_TO_DEVICE, &hi, &fa, NULL), 0,
	       "%s: (the frame's own address, through pv-identity)", be);
	ok((fa >> 12) != (a >> 12),
	   "%s: the device address is not the granted frame", be);
	is_int(duet_dma_dev_read(dev, fa, in, 16), -EFAULT,
	       "%s: and the device cannot reach the granted frame", be);
	duet_dma_glue_unmap(g, hi);
	is_int(duet_dma_dev_read(dev, a, in, 4096), 0,
	       "%s: the device reads the bounce", be);
	ok(!memcmp(in, gp, 4096), "%s: it holds the granted bytes", be);
	fill(data, 64, 77);
	is_int(duet_dma_dev_write(dev, a + 8, data, 64), 0,
	       "%s: the device writes", be);
	ok(!memcmp(keep, gp, 4096), "%s: the frame is untouched until unmap",
	   be);
	is_int(duet_dma_glue_unmap(g, h), 0, "%s: unmap", be);
	memcpy(keep + 8, data, 64);
	ok(!memcmp(keep, gp, 4096), "%s: then the bytes are copied back", be);
	is_int(duet_dma_dev_read(dev, a, in, 16), -EFAULT,
	       "%s: the bounce is out of reach after unmap", be);
}

/*
 * After an expected fault: on calgary the watchdog, run by the next map,
 * cuts the PHB's slot off, so that map is -EIO, even the mapped @a
 * faults and a grant map is -EIO; the driver resets the device.  Other
 * backends go on as they were.
 */
static void after_fault(struct duet_dma_glue *g, struct duet_dma_dev *dev,
			const char *be, unsigned dg, duet_grant_ref_t ref,
			duet_dma_addr_t a)
{
	struct duet_dma_glue_map *h;
	unsigned char in[16];
	duet_dma_addr_t x;
	void *p;

	if (duet_dma_dev_ops(dev)->reset) {
		duet_dma_domain_alloc(duet_dma_dev_domain(dev), 1, &p);
		is_int(duet_dma_map(dev, p, 64, DUET_DMA_TO_DEVICE, 0, &x),
		       -EIO, "%s: the watchdog ran at the next map and cut the "
		       "slot off: -EIO", be);
		duet_dma_domain_free(duet_dma_dev_domain(dev), p, 1);
		is_int(duet_dma_dev_read(dev, a, in, 16), -EFAULT,
		       "%s: a mapped read faults", be);
		is_int(duet_dma_glue_map_grant(g, dev, dg, ref, 0,
					       DUET_DMA_TO_DEVICE, &h, &x,
					       NULL), -EIO,
		       "%s: and so is a grant map of another frame", be);
	}
	is_int(duet_dma_dev_reset(dev), 0, "%s: reset the device", be);
}

/* With frame_set: the frame itself at the backend's bus address (dfn =
 * mfn, or a Calgary TCE), refcounted. */
static void identity(struct duet_dma_glue *g, struct duet_dma_dev *iommu,
		     const char *be, unsigned dg, duet_grant_ref_t ref,
		     duet_grant_ref_t ref2, unsigned char *gp)
{
	struct duet_dma_glue_map *w, *r, *r2;
	unsigned char keep[4096], data[64], in[64];
	duet_dma_addr_t aw, ar;
	uint64_t m;
	void *cpu;

	is_int(duet_dma_glue_map_grant(g, iommu, dg, ref, 0,
				       DUET_DMA_FROM_DEVICE, &w, &aw, &cpu),
	       0, "%s: map grant 0 writable for the IOMMU device", be);
	is_int(duet_dma_glue_frame_prot(g, dg, ref),
	       DUET_DMA_PROT_READ | DUET_DMA_PROT_WRITE, "%s: entry is RW", be);
	fill(data, 64, 50);
	is_int(duet_dma_dev_write(iommu, aw + 100, data, 64), 0,
	       "%s: the device writes the granted frame", be);
	ok(!memcmp(gp + 100, data, 64), "%s: the guest sees it at once", be);
	is_int(duet_dma_dev_read(iommu, aw + 4096, in, 16), -EFAULT,
	       "%s: the next frame is out of reach", be);
	after_fault(g, iommu, be, dg, ref2, aw);
	is_int(duet_dma_glue_map_grant(g, iommu, dg, ref,
				       DUET_GNT_READONLY, DUET_DMA_TO_DEVICE,
				       &r, &ar, NULL), 0,
	       "%s: map it again read-only", be);
	ok(ar == aw, "%s: same frame, same device address", be);
	is_int(duet_dma_glue_map_grant(g, iommu, dg, ref, 0,
				       DUET_DMA_TO_DEVICE, &r2, &ar, NULL), 0,
	       "%s: and a second reader", be);
	is_int(duet_dma_glue_unmap(g, w), 0, "%s: the writer leaves", be);
	is_int(duet_dma_glue_frame_prot(g, dg, ref), DUET_DMA_PROT_READ,
	       "%s: readers remain: the entry is downgraded to read-only", be);
	memcpy(keep, gp, 4096);
	is_int(duet_dma_dev_write(iommu, aw, data, 64), -EACCES,
	       "%s: a device write is now -EACCES", be);
	ok(!memcmp(keep, gp, 4096), "%s: and the frame is untouched", be);
	after_fault(g, iommu, be, dg, ref2, aw);
	is_int(duet_dma_dev_read(iommu, aw + 100, in, 64), 0,
	       "%s: reads work", be);
	ok(!memcmp(in, data, 64), "%s: they see the frame", be);
	is_int(duet_dma_glue_unmap(g, r), 0, "%s: one reader leaves", be);
	is_int(duet_dma_glue_frame_prot(g, dg, ref), DUET_DMA_PROT_READ,
	       "%s: still read-only", be);
	is_int(duet_dma_glue_unmap(g, r2), 0, "%s: the last reader leaves", be);
	is_int(duet_dma_glue_frame_prot(g, dg, ref), 0, "%s: entry gone", be);
	is_int(duet_dma_dev_read(iommu, aw, in, 16), -EFAULT,
	       "%s: the device cannot reach the frame any more", be);
	duet_dma_dev_reset(iommu);

	/* A read-only grant alone: a read-only entry from the start. */
	is_int(duet_dma_glue_map_grant(g, iommu, dg, ref, DUET_GNT_READONLY,
				       DUET_DMA_TO_DEVICE, &r, &ar, NULL), 0,
	       "%s: map a read-only grant", be);
	is_int(duet_dma_glue_frame_prot(g, dg, ref), DUET_DMA_PROT_READ,
	       "%s: its entry is read-only", be);
	ok(duet_dma_dev_read(iommu, ar + 100, in, 64) == 0 &&
	   !memcmp(in, gp + 100, 64), "%s: the device reads the frame", be);
	memcpy(keep, gp, 4096);
	is_int(duet_dma_dev_write(iommu, ar, data, 64), -EACCES,
	       "%s: and cannot write it", be);
	after_fault(g, iommu, be, dg, ref2, ar);
	is_int(duet_dma_dev_ops(iommu)->translate(duet_dma_dev_priv(iommu),
						  ar, 1, &m), -EACCES,
	       "%s: the device entry itself refuses the write", be);
	ok(!memcmp(keep, gp, 4096), "%s: the frame is untouched", be);
	is_int(duet_dma_glue_unmap(g, r), 0, "%s: unmap it", be);
	is_int(duet_dma_dev_read(iommu, ar, in, 16), -EFAULT,
	       "%s: gone with the unmap", be);
	duet_dma_dev_reset(iommu);
}

int main(void)
{
	struct duet_platform *pg, *pd;
	struct duet_dma_mem *mem;
	struct duet_dma_domain *drv;
	struct duet_dma_dev *iommu, *direct, *stlb;
	struct duet_dma_glue *g;
	struct duet_dma_glue_map *h;
	struct duet_dma_dev_cfg c = { .name = "dev" };
	duet_grant_ref_t refs[2], other_ref;
	duet_dma_addr_t a;
	unsigned char *gp, *og;
	unsigned dg, dd, d3, i;

	simtest_pair(0, &dg, &pg, &dd, &pd);
	d3 = simtest_domain("third");
	is_int(duet_gnt_share(pg, dd, 2, 0, refs, (void **)&gp), 0,
	       "guest shares two pages with the driver domain (writable)");
	is_int(duet_gnt_share(pg, d3, 1, 0, &other_ref, (void **)&og), 0,
	       "and one page with a third domain");
	fill(gp, 8192, 1);

	duet_dma_mem_create(32, &mem);
	duet_dma_domain_create(mem, dd, 1024, &drv);
	duet_dma_dev_create(drv, &c, duet_dma_backend_find("pv-identity"),
			    NULL, &iommu);
	duet_dma_dev_create(drv, &c, duet_dma_backend_find("direct"), NULL,
			    &direct);
	duet_dma_dev_create(drv, &c, duet_dma_backend_find("swiotlb"),
			    "force", &stlb);
	is_int(duet_dma_glue_create(pd, drv, &g), 0, "glue context");

	/* Refusals: the grant table decides. */
	is_int(duet_dma_glue_map_grant(g, iommu, dg, 4000, 0,
				       DUET_DMA_BIDIRECTIONAL, &h, &a, NULL),
	       -EACCES, "an ungranted ref is -EACCES");
	ok(a == DUET_DMA_MAPPING_ERROR, "and MAPPING_ERROR");
	is_int(duet_dma_glue_map_grant(g, direct, dg, other_ref, 0,
				       DUET_DMA_TO_DEVICE, &h, &a, NULL),
	       -EACCES, "a frame granted to another domain is -EACCES");
	is_int(duet_dma_glue_map_grant(g, iommu, dg, refs[0],
				       DUET_GNT_READONLY,
				       DUET_DMA_FROM_DEVICE, &h, &a, NULL),
	       -EACCES, "a read-only mapping for a device write is -EACCES");

	/* Every backend: the frame itself, or only a bounce buffer. */
	for (i = 0; i < duet_dma_backend_count(); i++) {
		const struct duet_dma_ops *o = duet_dma_backend_at(i);
		struct duet_dma_dev *dev;

		if (dmat_dev_bounce(drv, &c, o, &dev) < 0) {
			ok(0, "%s: device", o->name);
			continue;
		}
		is_int(duet_dma_glue_map_grant(g, dev, dg, 4000, 0,
					       DUET_DMA_TO_DEVICE, &h, &a,
					       NULL),
		       -EACCES, "%s: an ungranted ref is -EACCES", o->name);
		if (o->frame_set)
			identity(g, dev, o->name, dg, refs[0], refs[1], gp);
		else
			bounce(g, dev, iommu, o->name, dg, refs[1],
			       gp + 4096);
		duet_dma_dev_destroy(dev);
	}

	is_int(duet_dma_glue_map_grant(g, direct, dg, refs[1], 0,
				       DUET_DMA_TO_DEVICE, &h, &a, NULL), 0,
	       "map once more");
	is_int(duet_gnt_unshare(pg, gp, 2), -EBUSY,
	       "the guest cannot end access while the glue maps it");
	duet_dma_glue_destroy(g);
	is_int(duet_gnt_unshare(pg, gp, 2), 0,
	       "destroying the glue released every grant mapping");
	duet_dma_dev_destroy(stlb);
	duet_dma_dev_destroy(direct);
	duet_dma_dev_destroy(iommu);
	duet_dma_domain_destroy(drv);
	duet_dma_mem_destroy(mem);
	duet_platform_close(pd);
	duet_platform_close(pg);
	return done_testing();
}

/* SPDX-License-Identifier: MIT */
/*
 * glue-batch.c - the glue's batched and kept mappings, over every
 * registered backend: a batch of grants with an ungranted ref in the
 * middle fails as a whole, names that ref, and leaves nothing mapped (no
 * device entry, no live mapping, and the guest can end access to the
 * good pages at once); a good batch gives the device every page and,
 * once unmapped in one call, none of them (a DMA to an old address
 * faults, on vtd-strict too); a page the driver mapped itself (a
 * persistent grant) is given to the device over that mapping and kept
 * across uses, with exactly each use's rights (a device write during a
 * TO_DEVICE use is refused by an IOMMU), bounces copied in when the
 * device gets the page and back only after a FROM_DEVICE use, no new
 * DMA mapping per use on an IOMMU, and out of the device's reach once
 * the handle is unmapped, before the driver unmaps its own mapping.
 */
#include "lib/simtest.h"
#include "tap.h"
#include "duet/dma.h"
#include "dmatest.h"

#define NP 5

static void fill(unsigned char *p, size_t n, unsigned seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (unsigned char)(seed + i * 7);
}

static void bad_middle(struct duet_dma_glue *g, struct duet_dma_dev *dev,
		       const char *be, struct duet_platform *pg,
		       unsigned dg, unsigned dd)
{
	struct duet_dma_glue_req v[NP];
	duet_grant_ref_t refs[NP - 1];
	struct duet_dma_stats st;
	unsigned char *gp;
	unsigned i, k, prot = 0, noh = 1;

	if (!ok(!duet_gnt_share(pg, dd, NP - 1, 0, refs, (void **)&gp),
		"%s: the guest shares %u pages", be, NP - 1))
		return;
	for (i = k = 0; i < NP; i++)
		v[i] = (struct duet_dma_glue_req){
			.ref = i == NP / 2 ? 4000 : refs[k++],
			.dir = DUET_DMA_FROM_DEVICE,
		};
	is_int(duet_dma_glue_map_grants(g, dev, dg, v, NP), -EACCES,
	       "%s: a batch with an ungranted ref in the middle: -EACCES", be);
	is_int(v[NP / 2].status, -EACCES, "%s:   that ref's status says so",
	       be);
	for (i = 0; i < NP; i++) {
		noh &= !v[i].h && v[i].addr == DUET_DMA_MAPPING_ERROR;
		prot |= i == NP / 2 ? 0 :
			duet_dma_glue_frame_prot(g, dg, v[i].ref);
	}
	ok(noh, "%s:   no handle, every address MAPPING_ERROR", be);
	is_int(prot, 0, "%s:   no page is given to the device", be);
	duet_dma_dev_stats(dev, &st);
	is_int(st.live, 0, "%s:   no mapping live", be);
	is_int(duet_gnt_unshare(pg, gp, NP - 1), 0,
	       "%s:   the guest ends access to the good pages at once", be);
}

static void good_batch(struct duet_dma_glue *g, struct duet_dma_dev *dev,
		       const char *be, struct duet_platform *pg,
		       unsigned dg, unsigned dd)
{
	struct duet_dma_glue_req v[NP];
	struct duet_dma_glue_map *h[NP];
	duet_grant_ref_t refs[NP];
	unsigned char *gp, in[4096];
	unsigned i, same = 1, gone = 1;

	if (!ok(!duet_gnt_share(pg, dd, NP, 0, refs, (void **)&gp),
		"%s: the guest shares %u pages", be, NP))
		return;
	fill(gp, NP * 4096, 3);
	for (i = 0; i < NP; i++)
		v[i] = (struct duet_dma_glue_req){
			.ref = refs[i],
			.flags = i & 1 ? DUET_GNT_READONLY : 0,
			.dir = DUET_DMA_TO_DEVICE,
		};
	is_int(duet_dma_glue_map_grants(g, dev, dg, v, NP), NP,
	       "%s: a batch of %u grants (read-only and writable)", be, NP);
	for (i = 0; i < NP; i++) {
		h[i] = v[i].h;
		same &= duet_dma_dev_read(dev, v[i].addr, in, 4096) == 0 &&
			!memcmp(in, gp + i * 4096, 4096);
	}
	ok(same, "%s:   the device reads every page", be);
	is_int(duet_gnt_unshare(pg, gp, NP), -EBUSY,
	       "%s:   the guest cannot end access meanwhile", be);
	is_int(duet_dma_glue_unmap_grants(g, h, NP, 0), 0,
	       "%s: unmapped in one call", be);
	for (i = 0; i < NP; i++)
		gone &= duet_dma_dev_read(dev, v[i].addr, in, 16) == -EFAULT;
	/* Calgary's watchdog cuts a faulting device off: a slot reset. */
	duet_dma_dev_reset(dev);
	ok(gone, "%s:   a DMA to any of them then faults", be);
	is_int(duet_gnt_unshare(pg, gp, NP), 0,
	       "%s:   the guest ends access", be);
}

static void kept(struct duet_dma_glue *g, struct duet_dma_dev *dev,
		 const char *be, int iommu, struct duet_platform *pg,
		 struct duet_platform *pd, unsigned dg, unsigned dd)
{
	struct duet_dma_glue_req v = { .dir = DUET_DMA_TO_DEVICE };
	struct duet_dma_glue_map *h;
	struct duet_dma_stats s0, s1;
	unsigned char *gp, *mine, in[4096], data[512];
	duet_grant_ref_t ref;
	duet_dma_addr_t a;
	unsigned i, fine = 1;

	if (!ok(!duet_gnt_share(pg, dd, 1, 0, &ref, (void **)&gp),
		"%s: the guest shares a page", be) ||
	    !ok(!duet_gnt_map(pd, dg, 1, &ref, 0, (void **)&mine),
		"%s: the driver maps it read-write itself", be))
		return;
	fill(gp, 4096, 9);
	v.ref = ref;
	v.cpu = mine;
	if (!ok(duet_dma_glue_map_grants(g, dev, dg, &v, 1) == 1,
		"%s: given to the device over that mapping (TO_DEVICE)", be))
		return;
	h = v.h;
	is_int(duet_dma_dev_read(dev, v.addr, in, 4096), 0,
	       "%s:   the device reads it", be);
	ok(!memcmp(in, gp, 4096), "%s:   the guest's bytes", be);
	fill(data, sizeof(data), 50);
	if (iommu)
		is_int(duet_dma_dev_write(dev, v.addr, data, sizeof(data)),
		       -EACCES, "%s:   a device write is refused", be);
	duet_dma_dev_reset(dev);
	duet_dma_glue_sync_for_cpu(g, &h, 1);
	fill(data, sizeof(data), 60);
	duet_dma_dev_stats(dev, &s0);
	is_int(duet_dma_glue_sync_for_device(g, &h, 1, DUET_DMA_FROM_DEVICE,
					     &a), 1,
	       "%s: used again, FROM_DEVICE", be);
	is_int(duet_dma_dev_write(dev, a + 512, data, sizeof(data)), 0,
	       "%s:   the device writes", be);
	duet_dma_glue_sync_for_cpu(g, &h, 1);
	ok(!memcmp(gp + 512, data, sizeof(data)),
	   "%s:   the guest's page has it after sync_for_cpu", be);
	/* The CPU writes the page, then a TO_DEVICE use must see it and must
	 * not copy anything back. */
	for (i = 0; i < 10; i++) {
		gp[100] = (unsigned char)i;
		if (duet_dma_glue_sync_for_device(g, &h, 1,
						  DUET_DMA_TO_DEVICE, &a) != 1 ||
		    duet_dma_dev_read(dev, a, in, 4096) ||
		    memcmp(in, gp, 4096))
			fine = 0;
		if (iommu && duet_dma_dev_write(dev, a, data, 16) != -EACCES)
			fine = 0;
		duet_dma_dev_reset(dev);
		duet_dma_glue_sync_for_cpu(g, &h, 1);
		gp[200] = (unsigned char)(i + 1);
		if (gp[100] != i || memcmp(gp + 512, data, sizeof(data)))
			fine = 0;
	}
	ok(fine, "%s: 10 TO_DEVICE uses: the device sees the CPU's bytes, "
	   "writes nothing", be);
	duet_dma_dev_stats(dev, &s1);
	if (iommu)
		is_int(s1.maps - s0.maps, 0,
		       "%s:   no DMA mapping made for any use", be);
	is_int(duet_dma_glue_unmap_grants(g, &h, 1,
					  DUET_DMA_ATTR_SKIP_CPU_SYNC),
	       0, "%s: the kept handle unmapped", be);
	is_int(duet_dma_dev_read(dev, a, in, 16), -EFAULT,
	       "%s:   the device no longer reaches the page", be);
	duet_dma_dev_reset(dev);
	is_int(gp[200], 10, "%s:   nothing copied back", be);
	is_int(duet_gnt_unmap(pd, mine, 1), 0,
	       "%s: then the driver unmaps its own mapping", be);
	is_int(duet_gnt_unshare(pg, gp, 1), 0, "%s:   and the guest ends access",
	       be);
}

int main(void)
{
	struct duet_dma_dev_cfg c = { .name = "batch" };
	struct duet_platform *pg, *pd;
	struct duet_dma_mem *mem;
	struct duet_dma_domain *drv;
	struct duet_dma_glue *g;
	unsigned dg, dd, i;

	simtest_pair(0, &dg, &pg, &dd, &pd);
	duet_dma_mem_create(32, &mem);
	duet_dma_domain_create(mem, dd, 1024, &drv);
	is_int(duet_dma_glue_create(pd, drv, &g), 0, "glue context");
	for (i = 0; i < duet_dma_backend_count(); i++) {
		const struct duet_dma_ops *o = duet_dma_backend_at(i);
		struct duet_dma_dev *dev;

		if (dmat_dev_bounce(drv, &c, o, &dev) < 0) {
			ok(0, "%s: device", o->name);
			continue;
		}
		bad_middle(g, dev, o->name, pg, dg, dd);
		good_batch(g, dev, o->name, pg, dg, dd);
		kept(g, dev, o->name, !!o->frame_set, pg, pd, dg, dd);
		duet_dma_dev_destroy(dev);
	}
	duet_dma_glue_destroy(g);
	duet_dma_domain_destroy(drv);
	duet_dma_mem_destroy(mem);
	duet_platform_close(pd);
	duet_platform_close(pg);
	return done_testing();
}

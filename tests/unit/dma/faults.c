/* SPDX-License-Identifier: MIT */
/*
 * faults.c - over every registered backend, on a fresh machine each: a
 * device access to an unmapped bus address, to another domain's frame,
 * and a write through a TO_DEVICE (read-only) mapping each fault with the
 * right error, are recorded, and leave memory untouched; another domain's
 * buffer cannot be mapped; no device reaches an IOMMU model's own tables
 * (frames of no domain), by address or through frame_set.
 */
#include <stdlib.h>

#include "dmatest.h"
#include "swiotlb/dma-int.h"

/* Does bus address @bus lead @dev into a frame of no domain? */
static int reaches_table(struct dmat *t, struct duet_dma_dev *dev,
			 uint64_t bus)
{
	const struct duet_dma_ops *o = duet_dma_dev_ops(dev);
	uint64_t m;

	return o->translate(duet_dma_dev_priv(dev), bus, 0, &m) == 0 &&
	       dma_mem_owner(t->mem, m >> 12) == DMA_OWNER_IOMMU;
}

static void run(const struct duet_dma_ops *o)
{
	struct duet_dma_dev_cfg c = { .name = o->name };
	const char *be = o->name;
	unsigned char *buf, *gbuf, keep[4 * 4096], gkeep[4096], in[64];
	unsigned char data[64];
	struct duet_dma_fault f;
	struct duet_dma_dev *dev;
	duet_dma_addr_t a, x;
	uint64_t gm, um, mfn, tables = 0, reached = 0;
	struct dmat t;
	void *unused;

	dmat_open(&t, 512);
	dev = dmat_dev(&t, be, strcmp(be, "swiotlb") ? NULL : "force", &c);
	duet_dma_domain_alloc_contig(t.drv, 4, 32, (void **)&buf);
	duet_dma_domain_alloc(t.drv, 1, &unused);
	duet_dma_domain_alloc(t.guest, 1, (void **)&gbuf);
	duet_dma_virt_to_maddr(t.mem, gbuf, &gm, NULL, NULL);
	duet_dma_virt_to_maddr(t.mem, unused, &um, NULL, NULL);
	dmat_fill(buf, sizeof(keep), 3);
	dmat_fill(gbuf, 4096, 4);
	memcpy(keep, buf, sizeof(keep));
	memcpy(gkeep, gbuf, 4096);
	dmat_fill(data, sizeof(data), 5);

	is_int(duet_dma_map(dev, gbuf, 4096, DUET_DMA_BIDIRECTIONAL, 0, &x),
	       -EACCES, "%s: another domain's buffer cannot be mapped", be);
	is_int(duet_dma_map(dev, buf, 2 * 4096, DUET_DMA_TO_DEVICE, 0, &a), 0,
	       "%s: map 2 pages TO_DEVICE", be);
	ok(duet_dma_dev_read(dev, a, in, sizeof(in)) == 0 &&
	   !memcmp(in, buf, sizeof(in)), "%s: the device reads them", be);

	is_int(duet_dma_dev_write(dev, a + 4096 + 8, data, sizeof(data)),
	       -EACCES, "%s: a write through the read-only mapping", be);
	duet_dma_dev_last_fault(dev, &f);
	ok(f.error == -EACCES && f.write && f.addr == a + 4096 + 8,
	   "%s: recorded as a write fault at its address", be);

	is_int(duet_dma_dev_read(dev, a + 16 * 4096, in, 16), -EFAULT,
	       "%s: an unmapped bus address past the mapping", be);
	is_int(duet_dma_dev_write(dev, um, data, sizeof(data)), -EFAULT,
	       "%s: the machine address of an own page never mapped", be);
	is_int(duet_dma_dev_write(dev, gm + 64, data, sizeof(data)), -EFAULT,
	       "%s: a write to another domain's frame", be);
	is_int(duet_dma_dev_read(dev, gm, in, 16), -EFAULT,
	       "%s: a read of another domain's frame", be);
	duet_dma_dev_last_fault(dev, &f);
	ok(f.error == -EFAULT && !f.write && f.addr == gm,
	   "%s: recorded as a read fault", be);
	is_int((int)duet_dma_dev_last_fault(dev, NULL), 5,
	       "%s: each refused access counted once", be);

	dmat_after_fault(dev);
	/* The IOMMU's tables: frames no domain owns, out of every reach. */
	for (mfn = 0; mfn < t.mem->nframes; mfn++) {
		if (dma_mem_owner(t.mem, mfn) != DMA_OWNER_IOMMU ||
		    !dma_mem_host(t.mem, mfn << 12))
			continue;
		tables++;
		if (reaches_table(&t, dev, mfn << 12) ||
		    (o->frame_set &&
		     o->frame_set(duet_dma_dev_priv(dev), mfn,
				  DUET_DMA_PROT_READ, &x) == 0))
			reached++;
	}
	for (x = a - 64 * 4096; x < a + 64 * 4096; x += 4096)
		reached += (uint64_t)reaches_table(&t, dev, x);
	if (!strcmp(be, "gart") || !strcmp(be, "calgary") ||
	    !strncmp(be, "vtd-", 4))
		ok(tables > 0, "%s: the model keeps its tables in %llu frames "
		   "of no domain", be, (unsigned long long)tables);
	is_int((int)reached, 0, "%s: no bus address near the mapping or at "
	       "a table's own address leads there, frame_set refuses them",
	       be);

	is_int(duet_dma_unmap(dev, a, 2 * 4096, DUET_DMA_TO_DEVICE, 0), 0,
	       "%s: unmap", be);
	ok(!memcmp(keep, buf, sizeof(keep)), "%s: own memory untouched", be);
	ok(!memcmp(gkeep, gbuf, 4096), "%s: the other domain's untouched", be);
	duet_dma_dev_destroy(dev);
	dmat_close(&t);
}

int main(void)
{
	unsigned i;

	for (i = 0; i < duet_dma_backend_count(); i++)
		run(duet_dma_backend_at(i));
	return done_testing();
}

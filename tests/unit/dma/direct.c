/* SPDX-License-Identifier: MIT */
/*
 * direct.c - the "direct" backend: the device reaches exactly what was
 * mapped, by machine address; a read-only (TO_DEVICE) mapping refuses
 * device writes; unmapped memory, another domain's frame and anything
 * after unmap fault and stay untouched; masks, contiguity, sg limits and
 * coherent memory behave as documented.
 */
#include <stdlib.h>

#include "dmatest.h"

int main(void)
{
	struct duet_dma_dev_cfg c = { .name = "nic0" };
	struct duet_dma_dev_cfg lowc = { .name = "old", .dma_mask = 0xffffff };
	struct duet_dma_dev_cfg bc = { .name = "bnd", .seg_boundary = 0xfff };
	struct duet_dma_dev *dev, *low, *bnd;
	struct duet_dma_fault f;
	struct duet_dma_stats st;
	struct duet_dma_sg sg[2];
	unsigned char *buf, *other, *contig, *coh, in[300], out[300];
	unsigned char before[4096];
	duet_dma_addr_t a, a2, ca, m;
	uint64_t faults;
	struct dmat t;

	dmat_open(&t, 512);
	dev = dmat_dev(&t, "direct", NULL, &c);
	low = dmat_dev(&t, "direct", NULL, &lowc);
	bnd = dmat_dev(&t, "direct", NULL, &bc);
	duet_dma_domain_alloc(t.drv, 2, (void **)&buf);
	duet_dma_domain_alloc(t.guest, 1, (void **)&other);
	dmat_fill(buf, 8192, 1);
	dmat_fill(other, 4096, 2);

	is_int(duet_dma_map(dev, buf + 100, 300, DUET_DMA_BIDIRECTIONAL, 0,
			    &a), 0, "map 300 bytes bidirectional");
	duet_dma_virt_to_maddr(t.mem, buf + 100, &m, NULL, NULL);
	ok(a == m, "the bus address is the machine address");
	is_int(duet_dma_dev_read(dev, a, in, 300), 0, "device reads it");
	ok(!memcmp(in, buf + 100, 300), "byte for byte");
	dmat_fill(out, 300, 9);
	is_int(duet_dma_dev_write(dev, a, out, 300), 0, "device writes it");
	ok(!memcmp(out, buf + 100, 300), "the CPU sees the write");

	memcpy(before, other, 4096);
	faults = duet_dma_dev_last_fault(dev, NULL);
	duet_dma_virt_to_maddr(t.mem, other, &m, NULL, NULL);
	is_int(duet_dma_dev_write(dev, m, out, 64), -EFAULT,
	       "a write to another domain's frame faults");
	ok(!memcmp(before, other, 4096), "and leaves it untouched");
	is_int(duet_dma_dev_last_fault(dev, &f), faults + 1, "counted");
	ok(f.addr == m && f.write == 1 && f.error == -EFAULT,
	   "recorded: address, write, -EFAULT");
	is_int(duet_dma_map(dev, other, 64, DUET_DMA_TO_DEVICE, 0, &a2),
	       -EACCES, "mapping another domain's frame is -EACCES");
	ok(a2 == DUET_DMA_MAPPING_ERROR, "the address reads MAPPING_ERROR");

	memcpy(before, buf + 4096, 4096);
	duet_dma_virt_to_maddr(t.mem, buf + 4096, &m, NULL, NULL);
	is_int(duet_dma_dev_write(dev, m, out, 16), -EFAULT,
	       "own but unmapped page: fault");
	ok(!memcmp(before, buf + 4096, 4096), "untouched");
	is_int(duet_dma_dev_write(dev, a + 250, out, 4096), -EFAULT,
	       "a write running from a mapped into an unmapped page faults");
	ok(!memcmp(before, buf + 4096, 4096) &&
	   !memcmp(out, buf + 100, 250), "and writes nothing at all");

	is_int(duet_dma_map(dev, buf + 4096, 64, DUET_DMA_TO_DEVICE, 0, &a2),
	       0, "map read-only (TO_DEVICE)");
	is_int(duet_dma_dev_read(dev, a2, in, 64), 0, "device reads");
	is_int(duet_dma_dev_write(dev, a2, out, 64), -EACCES,
	       "a device write through it is -EACCES");
	ok(!memcmp(before, buf + 4096, 4096), "untouched");
	is_int(duet_dma_unmap(dev, a2, 64, DUET_DMA_FROM_DEVICE, 0), -EINVAL,
	       "unmap with the wrong direction is refused");
	is_int(duet_dma_unmap(dev, a2, 64, DUET_DMA_TO_DEVICE, 0), 0,
	       "unmap");
	is_int(duet_dma_unmap(dev, a2, 64, DUET_DMA_TO_DEVICE, 0), -EINVAL,
	       "unmap twice is -EINVAL");
	is_int(duet_dma_dev_read(dev, a2, in, 64), -EFAULT,
	       "no reach after unmap");

	is_int(duet_dma_map(dev, buf, 8192, DUET_DMA_TO_DEVICE, 0, &a2),
	       -EFAULT, "two pages that are not machine-contiguous: -EFAULT");
	is_int(duet_dma_domain_alloc_contig(t.drv, 2, 24, (void **)&contig),
	       0, "two machine-contiguous pages below 16 MiB");
	is_int(duet_dma_map(dev, contig, 8192, DUET_DMA_TO_DEVICE, 0, &a2),
	       0, "map both at once");
	is_int(duet_dma_unmap(dev, a2, 8192, DUET_DMA_TO_DEVICE, 0), 0,
	       "unmap");
	is_int(duet_dma_map(low, buf, 64, DUET_DMA_TO_DEVICE, 0, &a2), -EIO,
	       "RAM above a 24-bit mask: -EIO");
	is_int(duet_dma_map(low, contig, 64, DUET_DMA_TO_DEVICE, 0, &a2), 0,
	       "RAM below it maps");
	duet_dma_unmap(low, a2, 64, DUET_DMA_TO_DEVICE, 0);

	/* A driver that forgets the p2m hands the device a pseudo-physical
	 * address: pfn << 12 is no frame the device was given. */
	is_int(duet_dma_map(dev, contig, 64, DUET_DMA_TO_DEVICE, 0, &a2), 0,
	       "map a page");
	is_int(duet_dma_dev_read(dev, (duet_dma_addr_t)
				 ((contig - buf) / 4096) << 12, in, 64),
	       -EFAULT, "its pseudo-physical address is no device address");
	duet_dma_unmap(dev, a2, 64, DUET_DMA_TO_DEVICE, 0);

	/* sg: an element whose mapping crosses the segment boundary. */
	sg[0].cpu = contig;
	sg[0].len = 8192;
	is_int(duet_dma_map_sg(bnd, sg, 1, DUET_DMA_TO_DEVICE, 0), -EINVAL,
	       "an sg element crossing a 4 KiB segment boundary: -EINVAL");
	ok(sg[0].addr == DUET_DMA_MAPPING_ERROR &&
	   duet_dma_dev_read(bnd, a2, in, 1) == -EFAULT,
	   "and nothing stays mapped");

	sg[0].cpu = buf;
	sg[0].len = 512;
	sg[1].cpu = buf + 4096;
	sg[1].len = 70000;
	is_int(duet_dma_map_sg(dev, sg, 2, DUET_DMA_TO_DEVICE, 0), -EINVAL,
	       "an sg element over max_seg_size is -EINVAL");
	ok(sg[0].addr == DUET_DMA_MAPPING_ERROR, "nothing left mapped");
	sg[1].len = 512;
	is_int(duet_dma_map_sg(dev, sg, 2, DUET_DMA_TO_DEVICE, 0), 2,
	       "two elements map");
	is_int(duet_dma_dev_read(dev, sg[1].addr, in, 256), 0,
	       "the device reads the second");
	ok(!memcmp(in, buf + 4096, 256), "its bytes");
	is_int(duet_dma_unmap_sg(dev, sg, 2, DUET_DMA_TO_DEVICE, 0), 0,
	       "unmap_sg");

	is_int(duet_dma_alloc_coherent(low, 3 * 4096, (void **)&coh, &ca), 0,
	       "coherent allocation of 3 pages for a 24-bit device");
	ok(ca + 3 * 4096 - 1 <= 0xffffff, "below its mask");
	dmat_fill(out, 300, 4);
	is_int(duet_dma_dev_write(low, ca + 8000, out, 300), 0,
	       "the device writes across its pages");
	ok(!memcmp(coh + 8000, out, 300), "the CPU sees it without a sync");
	is_int(duet_dma_free_coherent(low, 3 * 4096, coh, ca), 0, "free it");

	duet_dma_dev_stats(dev, &st);
	is_str(st.backend, "direct", "stats name the backend");
	is_int(st.live, 1, "one mapping live");
	ok(st.faults >= 4, "faults counted in stats");
	is_int(duet_dma_unmap(dev, a, 300, DUET_DMA_BIDIRECTIONAL, 0), 0,
	       "unmap the first");
	ok(!duet_dma_backend_find("nope") &&
	   duet_dma_backend_register(duet_dma_backend_find("direct")) ==
		   -EEXIST, "unknown names are NULL; a name registers once");

	duet_dma_dev_destroy(bnd);
	duet_dma_dev_destroy(low);
	duet_dma_dev_destroy(dev);
	dmat_close(&t);
	return done_testing();
}

/* SPDX-License-Identifier: MIT */
/*
 * hook.c - the platform's memory hook on the simulator.  Once a machine
 * model is bound to a sim platform, duet_platform_frames() is the model
 * (virt -> pfn -> p2m -> mfn) for the platform's domain; the contiguity
 * check says yes and no where the model's frames are and are not
 * adjacent and low enough; bad addresses are refused; the DMA layer of a
 * bound machine goes through the hook and behaves as before.
 */
#include "lib/simtest.h"
#include "tap.h"
#include "duet/dma.h"

static unsigned char outside[8192] __attribute__((aligned(4096)));

int main(void)
{
	struct duet_dma_dev_cfg c = { .name = "hook" };
	struct duet_dma_domain *drv, *other;
	struct duet_dma_dev *direct, *stlb;
	struct duet_platform *p;
	struct duet_dma_mem *mem;
	uint64_t expect[4], mfns[8], pfns[8], m;
	unsigned char *buf, *obuf, *base, *q, *r, data[100], back[100];
	duet_dma_addr_t a;
	duet_domid_t owner;
	unsigned dd, i, adjacent = 0, pfn_seq = 1;
	void *tmp;

	simtest_start(0);
	dd = simtest_domain("driver");
	p = simtest_open(dd);
	duet_dma_mem_create(32, &mem);
	duet_dma_domain_create(mem, dd, 512, &drv);
	duet_dma_domain_create(mem, dd + 100, 16, &other);
	duet_dma_domain_alloc(drv, 4, (void **)&buf);
	duet_dma_domain_alloc(other, 1, (void **)&obuf);

	is_int(duet_platform_frames(p, buf, 1, mfns, NULL), -EOPNOTSUPP,
	       "no model bound: the sim platform cannot translate");
	is_int(duet_platform_alloc_contig(p, 2, 32, &tmp), -EOPNOTSUPP,
	       "nor allocate contiguous pages");
	for (i = 0; i < 4; i++)
		duet_dma_virt_to_maddr(mem, buf + i * 4096, &expect[i], NULL,
				       NULL);

	is_int(duet_dma_mem_bind(mem, p), 0, "bind the model to the platform");
	is_int(duet_platform_frames(p, buf, 4, mfns, pfns), 0,
	       "translate 4 pages through the hook");
	for (i = 0; i < 4; i++) {
		if (mfns[i] != expect[i] >> 12)
			break;
		if (i && mfns[i] == mfns[i - 1] + 1)
			adjacent = 1;
		if (i && pfns[i] != pfns[i - 1] + 1)
			pfn_seq = 0;
	}
	is_int(i, 4, "every frame is the model's (virt -> pfn -> p2m -> mfn)");
	base = buf - pfns[0] * 4096;
	ok(pfn_seq, "pfns follow each other");
	ok(!adjacent, "the mfns do not (the model's p2m is descending)");
	is_int(duet_platform_frames(p, buf + 4096, 1, mfns, NULL), 0,
	       "one page at an offset");
	is_int(mfns[0], expect[1] >> 12, "same frame");

	is_int(duet_dma_virt_to_maddr(mem, buf + 4096 + 7, &m, &owner, NULL),
	       0, "the DMA layer translates through the hook");
	ok(m == expect[1] + 7 && owner == dd, "same address and owner");

	/* Contiguity. */
	is_int(duet_platform_contig(p, buf, 1, 32), 1,
	       "one page below 4 GiB: contiguous");
	is_int(duet_platform_contig(p, buf, 2, 32), 0,
	       "two pseudo-physically adjacent pages: not machine-contiguous");
	is_int(duet_platform_contig(p, buf, 1, 24), 0,
	       "a page high in the machine is not below 2^24");
	is_int(duet_platform_alloc_contig(p, 8, 24, (void **)&q), 0,
	       "allocate 8 machine-contiguous pages below 2^24");
	is_int(duet_platform_contig(p, q, 8, 24), 1, "the check agrees");
	duet_platform_frames(p, q, 8, mfns, NULL);
	ok(mfns[0] % 8 == 0 && mfns[7] < (1u << 12),
	   "aligned to 8 frames, below 16 MiB");
	is_int(duet_platform_alloc_contig(p, 128, 32, &tmp), 0,
	       "128 contiguous pages (more than one batch of the check)");
	is_int(duet_platform_contig(p, tmp, 128, 32), 1,
	       "contiguous across the batches");
	is_int(duet_platform_contig(p, (unsigned char *)tmp + 4096, 128, 32),
	       0, "one page further: the last page is not adjacent");
	duet_platform_free_contig(p, tmp, 128);
	is_int(duet_dma_domain_alloc_contig(drv, 4, 32, (void **)&r), 0,
	       "the DMA layer's contiguous allocation goes through the hook");
	is_int(duet_platform_contig(p, r, 4, 32), 1, "and is contiguous");

	/* Bad addresses. */
	is_int(duet_platform_frames(p, buf + 1, 1, mfns, NULL), -EINVAL,
	       "not page aligned: -EINVAL");
	is_int(duet_platform_frames(p, buf, 0, mfns, NULL), -EINVAL,
	       "no pages: -EINVAL");
	is_int(duet_platform_frames(p, outside, 1, mfns, NULL), -EFAULT,
	       "memory outside the domain's RAM: -EFAULT");
	is_int(duet_platform_frames(p, obuf, 1, mfns, NULL), -EFAULT,
	       "another domain's RAM: -EFAULT");
	is_int(duet_platform_frames(p, base + 511 * 4096, 2, mfns, NULL),
	       -EFAULT, "a range past the end of the RAM: -EFAULT");
	is_int(duet_platform_contig(p, outside, 2, 32), -EFAULT,
	       "the contiguity check passes -EFAULT on");
	is_int(duet_platform_contig(p, buf, 1, 8), -EINVAL,
	       "dma_bits below a page: -EINVAL");

	/* Devices of the bound domain behave as before. */
	duet_dma_dev_create(drv, &c, duet_dma_backend_find("direct"), NULL,
			    &direct);
	duet_dma_dev_create(drv, &c, duet_dma_backend_find("swiotlb"), "force",
			    &stlb);
	duet_platform_frames(p, r, 1, mfns, NULL);
	is_int(duet_dma_map(direct, r + 16, 8000, DUET_DMA_BIDIRECTIONAL, 0,
			    &a), 0, "direct: map 2 contiguous pages");
	is_int(a, (mfns[0] << 12) + 16, "at the hook's machine address");
	for (i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 7 + 1);
	is_int(duet_dma_dev_write(direct, a + 4090, data, sizeof(data)), 0,
	       "the device writes across the page boundary");
	ok(!memcmp(r + 16 + 4090, data, sizeof(data)), "into the buffer");
	duet_dma_unmap(direct, a, 8000, DUET_DMA_BIDIRECTIONAL, 0);
	is_int(duet_dma_map(stlb, buf + 100, 100, DUET_DMA_FROM_DEVICE, 0, &a),
	       0, "swiotlb: bounce a buffer (pools from the hook)");
	duet_dma_dev_write(stlb, a, data, sizeof(data));
	is_int(duet_dma_unmap(stlb, a, 100, DUET_DMA_FROM_DEVICE, 0), 0,
	       "unmap");
	memcpy(back, buf + 100, sizeof(back));
	ok(!memcmp(back, data, sizeof(data)), "the bytes are copied back");

	is_int(duet_platform_free_contig(p, q, 8), 0, "free the 8 pages");
	is_int(duet_platform_free_contig(p, q, 8), -EINVAL, "not twice");
	is_int(duet_dma_mem_bind(mem, NULL), 0, "unbind");
	is_int(duet_platform_frames(p, buf, 1, mfns, NULL), -EOPNOTSUPP,
	       "the platform has no machine again");
	is_int(duet_dma_virt_to_maddr(mem, buf + 4096, &m, NULL, NULL), 0,
	       "the model answers alone");
	is_int(m, expect[1], "the same");

	duet_dma_dev_destroy(stlb);
	duet_dma_dev_destroy(direct);
	duet_dma_domain_destroy(other);
	duet_dma_domain_destroy(drv);
	duet_dma_mem_destroy(mem);
	duet_platform_close(p);
	return done_testing();
}

/* SPDX-License-Identifier: MIT */
/*
 * memory.c - the machine model: a domain's p2m is neither the identity nor
 * ascending, so two pseudo-physically adjacent pages are never machine
 * adjacent; an exchange makes a range machine-contiguous below a limit;
 * foreign frames carry their owner; memory outside every domain has no
 * machine address.
 */
#include <stdlib.h>

#include "dmatest.h"

static unsigned char fpage[4096] __attribute__((aligned(4096)));

int main(void)
{
	struct dmat t;
	uint64_t a0, a1, m;
	duet_domid_t owner;
	unsigned char *p, *q, local[64];
	uint64_t mfn;
	int ro, i, contig = 1;

	dmat_open(&t, 512);
	is_int(duet_dma_domain_alloc(t.drv, 4, (void **)&p), 0,
	       "allocate 4 pages of driver RAM");
	is_int(duet_dma_virt_to_maddr(t.mem, p, &a0, &owner, &ro), 0,
	       "page 0 has a machine address");
	is_int(owner, 1, "owned by domain 1");
	is_int(duet_dma_virt_to_maddr(t.mem, p + 4096 + 5, &a1, NULL, NULL),
	       0, "page 1 too");
	ok(a1 != a0 + 4096 + 5, "pfn + 1 is not machine frame + 1");
	ok(a0 >= (1ull << 31), "frames come from the top of the machine");
	is_int(a1 & 4095, 5, "the offset inside the page is kept");
	is_int(duet_dma_virt_to_maddr(t.mem, local, &m, NULL, NULL), -EFAULT,
	       "memory outside every domain has no machine address");

	is_int(duet_dma_domain_alloc_contig(t.drv, 8, 24, (void **)&q), 0,
	       "8 machine-contiguous pages below 16 MiB");
	duet_dma_virt_to_maddr(t.mem, q, &a0, NULL, NULL);
	for (i = 1; i < 8; i++) {
		duet_dma_virt_to_maddr(t.mem, q + i * 4096, &a1, NULL, NULL);
		if (a1 != a0 + (uint64_t)i * 4096)
			contig = 0;
	}
	ok(contig, "the 8 pages are machine-contiguous");
	ok(a0 + 8 * 4096 <= (1u << 24), "and below 2^24");
	is_int(a0 % (8 * 4096), 0, "aligned to their size");
	q[100] = 0x5a;
	is_int(q[100], 0x5a, "the pages are usable RAM");

	is_int(duet_dma_mem_add_foreign(t.mem, 7, fpage, 1, &mfn), 0,
	       "enter a foreign frame");
	is_int(duet_dma_virt_to_maddr(t.mem, fpage + 9, &m, &owner, &ro), 0,
	       "it has a machine address");
	ok(m == (mfn << 12 | 9) && owner == 7 && ro == 1,
	   "its frame, owner and read-only flag");
	is_int(duet_dma_mem_add_foreign(t.mem, 7, fpage + 1, 0, &mfn),
	       -EINVAL, "an unaligned foreign page is refused");
	is_int(duet_dma_mem_del_foreign(t.mem, mfn), 0, "remove it");
	is_int(duet_dma_mem_del_foreign(t.mem, mfn), -EINVAL,
	       "twice is -EINVAL");

	is_int(duet_dma_domain_free(t.drv, p + 4096, 4), -EINVAL,
	       "free of a wrong range is refused");
	is_int(duet_dma_domain_free(t.drv, p, 4), 0, "free");
	is_int(duet_dma_domain_create(t.mem, 1, 4, &t.guest), -EEXIST,
	       "a domid has RAM once");
	dmat_close(&t);
	return done_testing();
}

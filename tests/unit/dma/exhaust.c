/* SPDX-License-Identifier: MIT */
/*
 * exhaust.c - each IOMMU model's bus space runs out with a clear -ENOSPC
 * (GART aperture, Calgary TCE window, VT-d IOVA window; VT-d lazy with its
 * freed IOVAs still waiting in the flush queue), nothing is left mapped by
 * the failed call, and maps succeed again after unmaps.
 */
#include <stdlib.h>

#include "dmatest.h"

#define MAXN 1024

static void run(const char *be, const char *opts, uint64_t mask)
{
	struct duet_dma_dev_cfg c = { .name = be, .dma_mask = mask };
	static duet_dma_addr_t a[MAXN];
	struct duet_dma_stats st;
	struct duet_dma_dev *dev;
	unsigned char *buf;
	duet_dma_addr_t x;
	unsigned n, i, bad = 0;
	struct dmat t;
	int rc = 0;

	dmat_open(&t, 64);
	dev = dmat_dev(&t, be, opts, &c);
	duet_dma_domain_alloc(t.drv, 16, (void **)&buf);
	dmat_fill(buf, 16 * 4096, 9);
	for (n = 0; n < MAXN; n++) {
		rc = duet_dma_map(dev, buf, 16 * 4096, DUET_DMA_TO_DEVICE, 0,
				  &a[n]);
		if (rc < 0)
			break;
	}
	is_int(rc, -ENOSPC, "%s: bus space exhausted after %u maps of 64 KiB",
	       be, n);
	ok(a[n] == DUET_DMA_MAPPING_ERROR, "%s: with MAPPING_ERROR", be);
	duet_dma_dev_stats(dev, &st);
	is_int((int)st.live, (int)n, "%s: the failed map left nothing", be);
	for (i = 0; i < n; i++) {
		unsigned char in[64];

		if (duet_dma_dev_read(dev, a[i] + 4096 * (i % 16), in, 64) ||
		    memcmp(in, buf + 4096 * (i % 16), 64))
			bad++;
	}
	is_int(bad, 0, "%s: every mapping reads its buffer", be);
	is_int(duet_dma_unmap(dev, a[n / 2], 16 * 4096, DUET_DMA_TO_DEVICE,
			      0), 0, "%s: unmap one", be);
	is_int(duet_dma_map(dev, buf, 16 * 4096, DUET_DMA_TO_DEVICE, 0,
			    &a[n / 2]), 0, "%s: and a map fits again", be);
	for (i = 0; i < n; i++)
		bad += duet_dma_unmap(dev, a[i], 16 * 4096, DUET_DMA_TO_DEVICE,
				      0) != 0;
	is_int(bad, 0, "%s: unmap everything", be);
	for (i = 0; i < n && duet_dma_map(dev, buf, 16 * 4096,
					  DUET_DMA_TO_DEVICE, 0, &x) == 0;
	     i++)
		a[i] = x;
	is_int(i, n, "%s: the whole space is usable again", be);
	while (i--)
		duet_dma_unmap(dev, a[i], 16 * 4096, DUET_DMA_TO_DEVICE, 0);
	duet_dma_dev_destroy(dev);
	dmat_close(&t);
}

int main(void)
{
	/* RAM lies at the top of the 4 GiB machine: a 31-bit device needs
	 * the aperture for every buffer. */
	run("gart", NULL, 0x7fffffffull);
	run("calgary", "window=256", 0);
	run("vtd-strict", "window=256", 0);
	run("vtd-lazy", "window=256,fq=1000,timeout_ms=1000000", 0);
	return done_testing();
}

/* SPDX-License-Identifier: MIT */
/*
 * mask32.c - a device with a 32-bit (and a 31-bit) DMA mask behind VT-d
 * on a 4 GiB machine, whose frames fill the whole 32-bit bus space:
 * every IOVA lies below the mask, the device moves data byte for byte,
 * unmaps leave nothing reachable, grants still sit at dfn = mfn outside
 * the IOVA windows, and exhausting the space below the mask is -ENOSPC
 * while a 64-bit device of the same domain goes on mapping.
 */
#include <stdlib.h>

#include "dmatest.h"
#include "iommu-glue/dma-iommu.h"

#define NBUF 8

static void data_path(const char *be, uint64_t mask)
{
	struct duet_dma_dev_cfg c = { .name = be, .dma_mask = mask };
	unsigned char *buf, in[3 * 4096], out[3 * 4096];
	duet_dma_addr_t a[NBUF];
	struct dma_iommu_info info;
	struct duet_dma_dev *dev;
	unsigned i, bad = 0, below = 0;
	struct dmat t;

	dmat_open(&t, 64);
	dev = dmat_dev(&t, be, NULL, &c);
	is_int(dma_iommu_dev_info(dev, &info), 0, "%s/%llx: info", be,
	       (unsigned long long)mask);
	ok(info.win32_size > 0 &&
	   info.win32_base + info.win32_size <= 1ull << 32 &&
	   info.win_base >= 1ull << 32,
	   "%s: a window below 4 GiB besides the one above the machine", be);
	duet_dma_domain_alloc(t.drv, 3 * NBUF, (void **)&buf);
	dmat_fill(buf, 3 * NBUF * 4096, 5);
	for (i = 0; i < NBUF; i++) {
		is_int(duet_dma_map(dev, buf + i * 3 * 4096 + 100, 2 * 4096,
				    DUET_DMA_BIDIRECTIONAL, 0, &a[i]), 0,
		       "%s/%llx: map %u", be, (unsigned long long)mask, i);
		below += a[i] + 2 * 4096 - 1 <= mask &&
			 a[i] >= info.win32_base &&
			 a[i] < info.win32_base + info.win32_size;
	}
	is_int(below, NBUF, "%s/%llx: every IOVA in the hole, below the mask",
	       be, (unsigned long long)mask);
	for (i = 0; i < NBUF; i++) {
		dmat_fill(out, 2 * 4096, 40 + i);
		if (duet_dma_dev_read(dev, a[i], in, 2 * 4096) ||
		    memcmp(in, buf + i * 3 * 4096 + 100, 2 * 4096) ||
		    duet_dma_dev_write(dev, a[i] + 1, out, 2 * 4096 - 1) ||
		    memcmp(buf + i * 3 * 4096 + 101, out, 2 * 4096 - 1))
			bad++;
	}
	is_int(bad, 0, "%s/%llx: device reads and writes byte for byte", be,
	       (unsigned long long)mask);
	for (i = 0; i < NBUF; i++)
		bad += duet_dma_unmap(dev, a[i], 2 * 4096,
				      DUET_DMA_BIDIRECTIONAL, 0) != 0;
	is_int(bad, 0, "%s/%llx: unmap", be, (unsigned long long)mask);
	if (!strcmp(be, "vtd-lazy"))
		ok(1, "%s: (lazy: unmapped IOVAs stay until the flush)", be);
	else
		is_int(duet_dma_dev_read(dev, a[0], in, 16), -EFAULT,
		       "%s/%llx: an unmapped IOVA faults", be,
		       (unsigned long long)mask);
	duet_dma_dev_destroy(dev);
	dmat_close(&t);
}

/* A grant at dfn = mfn and the DMA API's IOVAs never meet. */
static void grant_apart(const char *be)
{
	struct duet_dma_dev_cfg c = { .name = be, .dma_mask = 0xffffffffull };
	const struct duet_dma_ops *o = duet_dma_backend_find(be);
	struct dma_iommu_info info;
	struct duet_dma_dev *dev;
	unsigned char *gp, *own, in[64];
	duet_dma_addr_t a, bus = 0;
	uint64_t mfn, m;
	struct dmat t;

	dmat_open(&t, 64);
	dev = dmat_dev(&t, be, NULL, &c);
	dma_iommu_dev_info(dev, &info);
	gp = aligned_alloc(4096, 4096);
	dmat_fill(gp, 4096, 3);
	is_int(duet_dma_mem_add_foreign(t.mem, 2, gp, 0, &mfn), 0,
	       "%s: a foreign frame", be);
	ok((mfn << 12) < info.win32_base ||
	   (mfn << 12) >= info.win32_base + info.win32_size,
	   "%s: no machine frame lies in the hole", be);
	is_int(o->frame_set(duet_dma_dev_priv(dev), mfn, DUET_DMA_PROT_READ,
			    &bus), 0, "%s: give it to the device", be);
	ok(bus == mfn << 12, "%s: at dfn = mfn", be);
	duet_dma_domain_alloc(t.drv, 1, (void **)&own);
	is_int(duet_dma_map(dev, own, 4096, DUET_DMA_TO_DEVICE, 0, &a), 0,
	       "%s: and map a buffer", be);
	ok(a >> 12 != mfn, "%s: its IOVA is another page", be);
	ok(o->translate(duet_dma_dev_priv(dev), bus, 0, &m) == 0 &&
	   m == mfn << 12, "%s: the grant still translates to its frame", be);
	is_int(duet_dma_dev_read(dev, bus + 8, in, 16), 0,
	       "%s: the device reads the grant", be);
	duet_dma_unmap(dev, a, 4096, DUET_DMA_TO_DEVICE, 0);
	o->frame_set(duet_dma_dev_priv(dev), mfn, 0, NULL);
	duet_dma_dev_destroy(dev);
	duet_dma_mem_del_foreign(t.mem, mfn);
	free(gp);
	dmat_close(&t);
}

/* window=256: 256 pages below 4 GiB.  A 32-bit device runs out with
 * -ENOSPC (never -EIO); a 64-bit one goes on in the high window. */
static void exhaust(const char *be, const char *opts)
{
	struct duet_dma_dev_cfg c32 = { .name = be, .dma_mask = 0xffffffffull };
	struct duet_dma_dev_cfg c64 = { .name = be };
	static duet_dma_addr_t a[512];
	struct duet_dma_dev *d32, *d64;
	struct duet_dma_stats st;
	unsigned char *buf;
	duet_dma_addr_t x;
	unsigned n, i;
	struct dmat t;
	int rc = 0;

	dmat_open(&t, 64);
	d32 = dmat_dev(&t, be, opts, &c32);
	d64 = dmat_dev(&t, be, opts, &c64);
	duet_dma_domain_alloc(t.drv, 4, (void **)&buf);
	for (n = 0; n < 512; n++) {
		rc = duet_dma_map(d32, buf, 4 * 4096, DUET_DMA_TO_DEVICE, 0,
				  &a[n]);
		if (rc < 0)
			break;
	}
	is_int(rc, -ENOSPC, "%s: 32-bit space below the mask full after %u "
	       "maps: -ENOSPC", be, n);
	is_int((int)n, 256 / 4, "%s: the whole 32-bit window was used", be);
	duet_dma_dev_stats(d32, &st);
	is_int((int)st.live, (int)n, "%s: the failed map left nothing", be);
	is_int(duet_dma_map(d64, buf, 4 * 4096, DUET_DMA_TO_DEVICE, 0, &x), 0,
	       "%s: a 64-bit device still maps", be);
	ok(x >= 1ull << 32, "%s: above 4 GiB", be);
	duet_dma_unmap(d64, x, 4 * 4096, DUET_DMA_TO_DEVICE, 0);
	is_int(duet_dma_unmap(d32, a[3], 4 * 4096, DUET_DMA_TO_DEVICE, 0), 0,
	       "%s: unmap one", be);
	is_int(duet_dma_map(d32, buf, 4 * 4096, DUET_DMA_TO_DEVICE, 0, &a[3]),
	       0, "%s: and the 32-bit device maps again", be);
	ok(a[3] + 4 * 4096 - 1 <= 0xffffffffull, "%s: below its mask", be);
	for (i = 0; i < n; i++)
		duet_dma_unmap(d32, a[i], 4 * 4096, DUET_DMA_TO_DEVICE, 0);
	duet_dma_dev_destroy(d64);
	duet_dma_dev_destroy(d32);
	dmat_close(&t);
}

/* A mask below every window: the mask error, -EIO. */
static void no_window(const char *be)
{
	struct duet_dma_dev_cfg c = { .name = be, .dma_mask = 0xffffffull };
	struct duet_dma_dev *dev;
	unsigned char *buf;
	duet_dma_addr_t a;
	struct dmat t;

	dmat_open(&t, 64);
	dev = dmat_dev(&t, be, NULL, &c);
	duet_dma_domain_alloc(t.drv, 1, (void **)&buf);
	is_int(duet_dma_map(dev, buf, 4096, DUET_DMA_TO_DEVICE, 0, &a), -EIO,
	       "%s: a 24-bit device reaches no IOVA window: -EIO", be);
	duet_dma_dev_destroy(dev);
	dmat_close(&t);
}

int main(void)
{
	data_path("vtd-strict", 0xffffffffull);
	data_path("vtd-lazy", 0xffffffffull);
	data_path("vtd-strict", 0x7fffffffull);
	data_path("vtd-lazy", 0x7fffffffull);
	grant_apart("vtd-strict");
	grant_apart("vtd-lazy");
	exhaust("vtd-strict", "window=256");
	exhaust("vtd-lazy", "window=256,fq=1000,timeout_ms=1000000");
	no_window("vtd-strict");
	return done_testing();
}

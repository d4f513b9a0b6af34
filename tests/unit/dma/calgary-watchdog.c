/* SPDX-License-Identifier: MIT */
/*
 * calgary-watchdog.c - Calgary's watchdog behind the DMA API: a device
 * fault latches in the PHB's CSR, the watchdog (run on the driver's next
 * DMA call) disables the slot: the map that ran it is -EIO, every DMA of
 * every device behind that PHB faults and is recorded, nothing is
 * touched, another domain's PHB goes on; duet_dma_dev_reset() brings the
 * slot back, and a device that faults again is cut off again.
 */
#include "dmatest.h"
#include "iommu-glue/dma-iommu.h"

int main(void)
{
	struct duet_dma_dev_cfg c = { .name = "cal" };
	struct duet_dma_dev *a, *b, *g;
	struct dma_iommu_info info;
	struct duet_dma_fault f;
	unsigned char *buf, *gbuf, in[256], keep[4096], data[256];
	duet_dma_addr_t x, y, z;
	uint64_t n;
	struct dmat t;

	dmat_open(&t, 64);
	a = dmat_dev(&t, "calgary", NULL, &c);
	b = dmat_dev(&t, "calgary", NULL, &c);
	is_int(duet_dma_dev_create(t.guest, &c,
				   duet_dma_backend_find("calgary"), NULL, &g),
	       0, "a device of another domain: another PHB");
	duet_dma_domain_alloc(t.drv, 2, (void **)&buf);
	duet_dma_domain_alloc(t.guest, 1, (void **)&gbuf);
	dmat_fill(buf, 2 * 4096, 1);
	dmat_fill(data, sizeof(data), 2);

	is_int(duet_dma_map(a, buf, 4096, DUET_DMA_BIDIRECTIONAL, 0, &x), 0,
	       "map a buffer");
	is_int(duet_dma_map(g, gbuf, 4096, DUET_DMA_BIDIRECTIONAL, 0, &z), 0,
	       "the other domain maps one");
	is_int(duet_dma_dev_read(a, x + 4096 * 3, in, 16), -EFAULT,
	       "the device reads an unmapped IO page: fault");
	dma_iommu_dev_info(a, &info);
	is_int(info.slot_disabled, 0, "latched, the watchdog has not run yet");
	is_int(duet_dma_map(a, buf + 4096, 4096, DUET_DMA_TO_DEVICE, 0, &y),
	       -EIO, "the next map runs it: the slot is cut off, -EIO");
	ok(y == DUET_DMA_MAPPING_ERROR, "with MAPPING_ERROR");
	dma_iommu_dev_info(a, &info);
	ok(info.slot_disabled && info.disables == 1, "the slot is disabled");
	n = duet_dma_dev_last_fault(a, NULL);
	memcpy(keep, buf, 4096);
	is_int(duet_dma_dev_write(a, x, data, 64), -EFAULT,
	       "a write through a live mapping faults");
	ok(!memcmp(keep, buf, 4096), "memory untouched");
	is_int(duet_dma_dev_read(a, x, in, 16), -EFAULT, "and so does a read");
	duet_dma_dev_last_fault(a, &f);
	ok(duet_dma_dev_last_fault(a, NULL) == n + 2 && f.addr == x &&
	   f.error == -EFAULT, "both faults recorded");
	is_int(duet_dma_map(b, buf + 4096, 4096, DUET_DMA_TO_DEVICE, 0, &y),
	       -EIO, "another device behind the same PHB: -EIO too");
	is_int(duet_dma_dev_read(b, x, in, 16), -EFAULT,
	       "and its DMA faults");
	ok(duet_dma_dev_write(g, z, data, 64) == 0 && !memcmp(gbuf, data, 64),
	   "the other PHB's device goes on");
	is_int(duet_dma_unmap(a, x, 4096, DUET_DMA_BIDIRECTIONAL, 0), 0,
	       "unmap still works");

	is_int(duet_dma_dev_reset(a), 0, "reset the slot");
	dma_iommu_dev_info(a, &info);
	is_int(info.slot_disabled, 0, "enabled again");
	is_int(duet_dma_map(a, buf, 4096, DUET_DMA_BIDIRECTIONAL, 0, &x), 0,
	       "maps work");
	ok(duet_dma_dev_write(a, x + 100, data, sizeof(data)) == 0 &&
	   !memcmp(buf + 100, data, sizeof(data)) &&
	   duet_dma_dev_read(b, x + 100, in, sizeof(in)) == 0 &&
	   !memcmp(in, data, sizeof(in)),
	   "DMA byte for byte again, for both devices of the PHB");

	is_int(duet_dma_dev_write(a, x + 8 * 4096, data, 16), -EFAULT,
	       "the device faults again");
	is_int(duet_dma_unmap(a, x, 4096, DUET_DMA_BIDIRECTIONAL, 0), 0,
	       "an unmap runs the watchdog");
	dma_iommu_dev_info(a, &info);
	ok(info.slot_disabled && info.disables == 2, "cut off a second time");
	is_int(duet_dma_map(a, buf, 4096, DUET_DMA_TO_DEVICE, 0, &x), -EIO,
	       "maps are -EIO");
	is_int(duet_dma_dev_reset(b), 0, "a reset through the other device");
	is_int(duet_dma_map(a, buf, 4096, DUET_DMA_TO_DEVICE, 0, &x), 0,
	       "brings the PHB back");
	duet_dma_unmap(a, x, 4096, DUET_DMA_TO_DEVICE, 0);
	is_int(duet_dma_dev_reset(NULL), -EINVAL, "reset of NULL: -EINVAL");
	duet_dma_unmap(g, z, 4096, DUET_DMA_BIDIRECTIONAL, 0);
	duet_dma_dev_destroy(g);
	duet_dma_dev_destroy(b);
	duet_dma_dev_destroy(a);
	dmat_close(&t);
	return done_testing();
}

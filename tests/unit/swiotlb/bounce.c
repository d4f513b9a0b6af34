/* SPDX-License-Identifier: MIT */
/*
 * bounce.c - swiotlb's copies: into the bounce buffer on every map
 * whatever the direction (so a partial device write leaves the rest as it
 * was), back on unmap and sync_for_cpu only for FROM_DEVICE and
 * BIDIRECTIONAL, to the device on sync_for_device only for TO_DEVICE and
 * BIDIRECTIONAL; SKIP_CPU_SYNC; range checks; pass-through of buffers the
 * device can address when not forced.
 */
#include <stdlib.h>

#include "../dma/dmatest.h"

int main(void)
{
	struct duet_dma_dev_cfg c = { .name = "blk0" };
	struct duet_dma_dev *dev, *pass;
	unsigned char *buf, *contig, *other, ref[8192], in[8192], out[64];
	duet_dma_addr_t a, b;
	uint64_t m;
	struct dmat t;

	dmat_open(&t, 1024);
	dev = dmat_dev(&t, "swiotlb", "force", &c);
	pass = dmat_dev(&t, "swiotlb", NULL, &c);
	duet_dma_domain_alloc(t.drv, 2, (void **)&buf);
	duet_dma_domain_alloc(t.guest, 1, (void **)&other);
	dmat_fill(buf, 8192, 5);
	memcpy(ref, buf, 8192);
	memset(out, 0xee, sizeof(out));

	/* FROM_DEVICE: the bounce starts as a copy; a partial write. */
	is_int(duet_dma_map(dev, buf + 1000, 6000, DUET_DMA_FROM_DEVICE, 0,
			    &a), 0, "map 6000 bytes FROM_DEVICE");
	duet_dma_virt_to_maddr(t.mem, buf + 1000, &m, NULL, NULL);
	ok(a != m, "bounced: the bus address is not the buffer's");
	is_int(duet_dma_dev_read(dev, a, in, 6000), 0, "device reads it");
	ok(!memcmp(in, buf + 1000, 6000),
	   "the bounce buffer holds the original bytes, not stale data");
	is_int(duet_dma_dev_write(dev, a + 10, out, 10), 0,
	       "device writes 10 bytes");
	ok(!memcmp(buf, ref, 8192), "the CPU sees nothing before a sync");
	is_int(duet_dma_sync_for_cpu(dev, a + 10, 10, DUET_DMA_FROM_DEVICE),
	       0, "sync_for_cpu of the written range");
	memcpy(ref + 1010, out, 10);
	ok(!memcmp(buf, ref, 8192), "now exactly those 10 bytes changed");
	is_int(duet_dma_sync_for_cpu(dev, a + 5999, 2, DUET_DMA_FROM_DEVICE),
	       -EINVAL, "a sync past the mapping's end is -EINVAL");
	is_int(duet_dma_sync_for_cpu(dev, a, 10, DUET_DMA_TO_DEVICE), -EINVAL,
	       "a sync with another direction is -EINVAL");
	is_int(duet_dma_dev_write(dev, a + 5990, out, 10), 0,
	       "device writes the tail");
	is_int(duet_dma_unmap(dev, a, 5999, DUET_DMA_FROM_DEVICE, 0), -EINVAL,
	       "unmap with a wrong size is -EINVAL");
	ok(!memcmp(buf, ref, 8192), "and copies nothing");
	is_int(duet_dma_unmap(dev, a, 6000, DUET_DMA_FROM_DEVICE, 0), 0,
	       "unmap");
	memcpy(ref + 6990, out, 10);
	ok(!memcmp(buf, ref, 8192),
	   "unmap copied the device's bytes back and nothing else changed");
	is_int(duet_dma_dev_read(dev, a, in, 16), -EFAULT,
	       "the freed bounce slot is out of reach");

	/* TO_DEVICE: read-only for the device, synced on request. */
	is_int(duet_dma_map(dev, buf, 100, DUET_DMA_TO_DEVICE, 0, &a), 0,
	       "map TO_DEVICE");
	buf[0] ^= 0xff;
	duet_dma_dev_read(dev, a, in, 1);
	is_int(in[0], ref[0], "a later CPU write is not seen before a sync");
	is_int(duet_dma_sync_for_device(dev, a, 100, DUET_DMA_TO_DEVICE), 0,
	       "sync_for_device");
	duet_dma_dev_read(dev, a, in, 1);
	is_int(in[0], buf[0], "now it is");
	ref[0] = buf[0];
	is_int(duet_dma_dev_write(dev, a, out, 4), -EACCES,
	       "a device write through TO_DEVICE is -EACCES");
	is_int(duet_dma_unmap(dev, a, 100, DUET_DMA_TO_DEVICE, 0), 0,
	       "unmap");
	ok(!memcmp(buf, ref, 8192), "TO_DEVICE never copies back");

	/* BIDIRECTIONAL with SKIP_CPU_SYNC on unmap. */
	is_int(duet_dma_map(dev, buf + 50, 50, DUET_DMA_BIDIRECTIONAL, 0, &a),
	       0, "map BIDIRECTIONAL");
	duet_dma_dev_write(dev, a, out, 50);
	is_int(duet_dma_unmap(dev, a, 50, DUET_DMA_BIDIRECTIONAL,
			      DUET_DMA_ATTR_SKIP_CPU_SYNC), 0,
	       "unmap with SKIP_CPU_SYNC");
	ok(!memcmp(buf, ref, 8192), "no copy back");
	is_int(duet_dma_map(dev, buf + 50, 50, DUET_DMA_BIDIRECTIONAL, 0, &a),
	       0, "map again");
	duet_dma_dev_write(dev, a, out, 50);
	is_int(duet_dma_unmap(dev, a, 50, DUET_DMA_BIDIRECTIONAL, 0), 0,
	       "unmap");
	memcpy(ref + 50, out, 50);
	ok(!memcmp(buf, ref, 8192), "copied back");

	/* Without "force": a buffer the device can address is passed
	 * through, anything else bounces. */
	is_int(duet_dma_domain_alloc_contig(t.drv, 2, 32, (void **)&contig),
	       0, "two machine-contiguous pages");
	is_int(duet_dma_map(pass, contig, 8192, DUET_DMA_TO_DEVICE, 0, &a), 0,
	       "map them");
	duet_dma_virt_to_maddr(t.mem, contig, &m, NULL, NULL);
	ok(a == m, "passed through: bus address = machine address");
	is_int(duet_dma_map(pass, buf, 8192, DUET_DMA_TO_DEVICE, 0, &b), 0,
	       "map two pages that are not machine-contiguous");
	duet_dma_virt_to_maddr(t.mem, buf, &m, NULL, NULL);
	ok(b != m, "bounced");
	is_int(duet_dma_dev_read(pass, b, in, 8192), 0, "device reads all");
	ok(!memcmp(in, buf, 8192), "byte for byte");
	is_int(duet_dma_unmap(pass, a, 8192, DUET_DMA_TO_DEVICE, 0), 0,
	       "unmap the pass-through");
	is_int(duet_dma_unmap(pass, b, 8192, DUET_DMA_TO_DEVICE, 0), 0,
	       "unmap the bounce");
	is_int(duet_dma_map(pass, other, 64, DUET_DMA_TO_DEVICE, 0, &a),
	       -EACCES, "another domain's frame is -EACCES, not bounced");

	duet_dma_dev_destroy(pass);
	duet_dma_dev_destroy(dev);
	dmat_close(&t);
	return done_testing();
}

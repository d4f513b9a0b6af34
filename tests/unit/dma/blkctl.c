/* SPDX-License-Identifier: MIT */
/*
 * blkctl.c - the emulated block controller behind each backend: reads and
 * writes through scatter-gather tables land byte for byte; a segment
 * pointing at an unmapped page, another domain's frame or a read-only
 * mapping fails the command with the fault recorded and leaves memory
 * (and for writes the file) untouched; malformed tables are -EINVAL.
 */
#include <stdlib.h>
#include <unistd.h>

#include "duet/dma-dev.h"
#include "dmatest.h"

#define FILESZ (256 * 1024)

static int run1(struct duet_dma_blkctl *c, uint32_t op, uint64_t sector,
		duet_dma_addr_t table, unsigned nseg)
{
	struct duet_dma_blk_cmd cmd = { .op = op, .nseg = nseg,
					.sector = sector, .table = table,
					.tag = sector };
	struct duet_dma_blk_done d;

	if (duet_dma_blkctl_submit(c, &cmd) < 0 ||
	    duet_dma_blkctl_run(c) != 1 ||
	    duet_dma_blkctl_reap(c, &d, 1) != 1 || d.tag != sector)
		return -999;
	return d.status;
}

static void run(struct dmat *t, const char *be, const char *opts, int fd,
		unsigned char *file)
{
	struct duet_dma_dev_cfg cfg = { .name = "blk" };
	struct duet_dma_dev *dev = dmat_dev(t, be, opts, &cfg);
	struct duet_dma_sg_desc *tab;
	struct duet_dma_blkctl *c;
	duet_dma_addr_t ta, a[3], ga;
	unsigned char *buf, *other, keep[4096], chk[3 * 4096];
	uint64_t gm, f0;
	unsigned i;

	is_int(duet_dma_blkctl_create(dev, fd, &c), 0, "%s: controller", be);
	duet_dma_alloc_coherent(dev, 4096, (void **)&tab, &ta);
	duet_dma_domain_alloc(t->drv, 4, (void **)&buf);
	duet_dma_domain_alloc(t->guest, 1, (void **)&other);
	duet_dma_virt_to_maddr(t->mem, other, &gm, NULL, NULL);

	/* Read 3 pages at sector 8 into three scattered pages. */
	for (i = 0; i < 3; i++) {
		duet_dma_map(dev, buf + i * 4096, 4096, DUET_DMA_FROM_DEVICE,
			     0, &a[i]);
		tab[i].addr = a[i];
		tab[i].len = 4096;
	}
	is_int(run1(c, DUET_DMA_BLK_READ, 8, ta, 3), 0, "%s: read 3 segs", be);
	for (i = 0; i < 3; i++)
		duet_dma_unmap(dev, a[i], 4096, DUET_DMA_FROM_DEVICE, 0);
	ok(!memcmp(buf, file + 4096, 3 * 4096), "%s: bytes as in the file",
	   be);

	/* Write them back at sector 200 in two segments. */
	dmat_fill(buf, 2 * 4096, 77);
	for (i = 0; i < 2; i++) {
		duet_dma_map(dev, buf + i * 4096, 4096, DUET_DMA_TO_DEVICE, 0,
			     &a[i]);
		tab[i].addr = a[i];
		tab[i].len = 4096;
	}
	is_int(run1(c, DUET_DMA_BLK_WRITE, 200, ta, 2), 0, "%s: write", be);
	is_int(run1(c, DUET_DMA_BLK_FLUSH, 0, 0, 0), 0, "%s: flush", be);
	is_int(pread(fd, chk, 2 * 4096, 200 * 512), 2 * 4096, "read back");
	ok(!memcmp(chk, buf, 2 * 4096), "%s: the file has the bytes", be);
	memcpy(file + 200 * 512, buf, 2 * 4096);

	/* A read into a TO_DEVICE mapping: -EACCES, memory untouched. */
	memcpy(keep, buf, 4096);
	tab[0].addr = a[0];
	tab[0].len = 4096;
	f0 = duet_dma_dev_last_fault(dev, NULL);
	is_int(run1(c, DUET_DMA_BLK_READ, 0, ta, 1), -EACCES,
	       "%s: read into a read-only mapping: -EACCES", be);
	ok(!memcmp(keep, buf, 4096), "%s: untouched", be);
	is_int(duet_dma_dev_last_fault(dev, NULL), f0 + 1, "%s: fault", be);
	dmat_after_fault(dev);
	for (i = 0; i < 2; i++)
		duet_dma_unmap(dev, a[i], 4096, DUET_DMA_TO_DEVICE, 0);

	/* A read into a page that is no longer mapped.  Calgary does not
	 * invalidate on unmap: its TCE cache still holds the read-only
	 * entry, which refuses the write with the permission fault. */
	is_int(run1(c, DUET_DMA_BLK_READ, 0, ta, 1),
	       strcmp(be, "calgary") ? -EFAULT : -EACCES,
	       "%s: read into an unmapped page: refused", be);
	ok(!memcmp(keep, buf, 4096), "%s: untouched", be);
	dmat_after_fault(dev);

	/* Reads and writes aimed at another domain's frame. */
	memcpy(keep, other, 4096);
	tab[0].addr = gm;
	is_int(run1(c, DUET_DMA_BLK_READ, 0, ta, 1), -EFAULT,
	       "%s: read into another domain's frame: -EFAULT", be);
	ok(!memcmp(keep, other, 4096), "%s: that frame is untouched", be);
	dmat_after_fault(dev);
	memcpy(chk, file, 4096);
	is_int(run1(c, DUET_DMA_BLK_WRITE, 0, ta, 1), -EFAULT,
	       "%s: write from another domain's frame: -EFAULT", be);
	dmat_after_fault(dev);
	is_int(pread(fd, chk, 4096, 0), 4096, "read back");
	ok(!memcmp(chk, file, 4096), "%s: the file is unchanged", be);

	/* Malformed: a 100-byte segment; a table that is not mapped. */
	duet_dma_map(dev, buf, 4096, DUET_DMA_FROM_DEVICE, 0, &ga);
	tab[0].addr = ga;
	tab[0].len = 100;
	is_int(run1(c, DUET_DMA_BLK_READ, 0, ta, 1), -EINVAL,
	       "%s: a 100-byte segment is -EINVAL", be);
	is_int(run1(c, DUET_DMA_BLK_READ, 0, gm, 1), -EFAULT,
	       "%s: a table the device cannot reach is -EFAULT", be);
	duet_dma_unmap(dev, ga, 4096, DUET_DMA_FROM_DEVICE, 0);

	duet_dma_blkctl_destroy(c);
	duet_dma_free_coherent(dev, 4096, tab, ta);
	duet_dma_domain_free(t->drv, buf, 4);
	duet_dma_domain_free(t->guest, other, 1);
	duet_dma_dev_destroy(dev);
}

int main(void)
{
	char path[] = "/tmp/duet-blkctl.XXXXXX";
	unsigned char *file = malloc(FILESZ);
	struct dmat t;
	unsigned i;
	int fd = mkstemp(path);

	if (fd < 0)
		skip_all("cannot create a temporary file");
	unlink(path);
	dmat_fill(file, FILESZ, 42);
	if (pwrite(fd, file, FILESZ, 0) != FILESZ)
		skip_all("cannot write the temporary file");
	dmat_open(&t, 1024);
	/* Every registered backend (swiotlb bouncing everything). */
	for (i = 0; i < duet_dma_backend_count(); i++) {
		const char *be = duet_dma_backend_at(i)->name;

		run(&t, be, strcmp(be, "swiotlb") ? NULL : "force", fd, file);
	}
	dmat_close(&t);
	close(fd);
	free(file);
	return done_testing();
}

/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: random map / unmap / sync / device-access sequences
 * through each built-in DMA backend (the IOMMU models gart, calgary,
 * vtd-strict and vtd-lazy included), with addresses and sizes taken from
 * the input (so many are wrong on purpose).  Whatever the sequence: no
 * crash, no leak; a refused device access changes no byte of the domain's
 * buffer; a bogus unmap or sync fails without effect; at the end every
 * mapping is gone and every bounce slot is free again.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "duet/dma.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PAGES 16
#define BUFSZ (PAGES * 4096)
#define MAXMAP 8

/* Backend, its options, and whether buffers must be machine-contiguous. */
static const struct {
	const char *name, *opts;
	int contig;
} backends[] = {
	{ "direct", NULL, 1 },     { "pv-identity", NULL, 1 },
	{ "swiotlb", NULL, 0 },    { "swiotlb", "force", 0 },
	{ "gart", "force", 0 },    { "calgary", "window=512", 0 },
	{ "vtd-strict", NULL, 0 }, { "vtd-lazy", "fq=8", 0 },
};

struct live {
	duet_dma_addr_t addr;
	size_t size;
	enum duet_dma_dir dir;
	int used;
};

static unsigned rd16(const uint8_t *p)
{
	return (unsigned)p[0] | (unsigned)p[1] << 8;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct duet_swiotlb_cfg cfg = { .slots = 128, .areas = 1,
					.max_pools = 2 };
	struct duet_dma_dev_cfg dc = { .name = "fuzz" };
	static unsigned char snap[BUFSZ], tmp[BUFSZ];
	struct duet_dma_mem *mem;
	struct duet_dma_domain *d;
	struct duet_dma_dev *dev;
	struct duet_dma_stats st;
	struct live l[MAXMAP];
	unsigned char *buf;
	size_t i;
	unsigned k;
	int b, rc;

	if (size < 2)
		return 0;
	b = data[0] & 7;
	if (data[1] & 1)
		dc.min_align_mask = 4095;
	if (data[1] & 2)
		dc.seg_boundary = 0xffff;
	if (duet_dma_mem_create(28, &mem) < 0)
		abort();
	if (duet_dma_domain_create(mem, 1, 512, &d) < 0 ||
	    duet_swiotlb_setup(d, &cfg) < 0)
		abort();
	if (duet_dma_dev_create(d, &dc,
				duet_dma_backend_find(backends[b].name),
				backends[b].opts, &dev) < 0)
		abort();
	if ((backends[b].contig ?
		     duet_dma_domain_alloc_contig(d, PAGES, 28, (void **)&buf) :
		     duet_dma_domain_alloc(d, PAGES, (void **)&buf)) < 0)
		abort();
	memset(l, 0, sizeof(l));
	for (i = 0; i < BUFSZ; i++)
		buf[i] = (unsigned char)(i * 31);

	for (i = 2; i + 6 <= size; i += 6) {
		const uint8_t *op = data + i;
		struct live *m = &l[op[1] % MAXMAP];
		size_t off = rd16(op + 2) % BUFSZ;
		size_t len = 1 + rd16(op + 4) % 70000;
		enum duet_dma_dir dir = (enum duet_dma_dir)(op[1] >> 4) % 3;
		duet_dma_addr_t a;

		switch (op[0] % 6) {
		case 0: /* map */
			if (m->used || off + len > BUFSZ)
				break;
			if (duet_dma_map(dev, buf + off, len, dir, 0, &a) == 0) {
				m->addr = a;
				m->size = len;
				m->dir = dir;
				m->used = 1;
			} else if (a != DUET_DMA_MAPPING_ERROR) {
				abort();
			}
			break;
		case 1: /* unmap */
			if (!m->used)
				break;
			if (duet_dma_unmap(dev, m->addr, m->size, m->dir, 0))
				abort();
			m->used = 0;
			break;
		case 2: /* a bogus unmap: must fail unless it is exact */
			a = m->used ? m->addr + (op[2] & 7) : rd16(op + 2);
			rc = duet_dma_unmap(dev, a, len, dir, 0);
			if (rc == 0) {
				if (!m->used || a != m->addr ||
				    len != m->size || dir != m->dir)
					abort();
				m->used = 0;
			}
			break;
		case 3: /* sync, maybe out of range */
			a = m->used ? m->addr + rd16(op + 2) % (m->size + 8) :
				      rd16(op + 2);
			if (op[1] & 8)
				duet_dma_sync_for_cpu(dev, a, len % 300 + 1,
						      dir);
			else
				duet_dma_sync_for_device(dev, a,
							 len % 300 + 1, dir);
			break;
		case 4: /* device read anywhere */
			a = m->used ? m->addr + rd16(op + 2) % (m->size + 64) :
				      (duet_dma_addr_t)rd16(op + 2) << 16;
			duet_dma_dev_read(dev, a, tmp, len % BUFSZ + 1);
			break;
		case 5: /* device write anywhere: refused means untouched */
			a = m->used ? m->addr + rd16(op + 2) % (m->size + 64) :
				      (duet_dma_addr_t)rd16(op + 2) << 16;
			memcpy(snap, buf, BUFSZ);
			memset(tmp, op[1], len % BUFSZ + 1);
			if (duet_dma_dev_write(dev, a, tmp, len % BUFSZ + 1) &&
			    memcmp(snap, buf, BUFSZ))
				abort();
			break;
		}
	}
	for (k = 0; k < MAXMAP; k++)
		if (l[k].used && duet_dma_unmap(dev, l[k].addr, l[k].size,
						l[k].dir, 0))
			abort();
	duet_dma_dev_stats(dev, &st);
	if (st.live || st.bounce_used)
		abort();
	duet_dma_dev_destroy(dev);
	duet_dma_domain_destroy(d);
	duet_dma_mem_destroy(mem);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * random.c - random map / device access / sync / unmap sequences through
 * every registered backend (duet_dma_backend_at()), the IOMMU models with
 * contiguous and scattered buffers, checked byte for byte against a model
 * of what the DMA API promises: after map the device sees the buffer;
 * what the device writes reaches the CPU at sync_for_cpu or unmap
 * (FROM_DEVICE, BIDIRECTIONAL); what the CPU writes reaches the device at
 * sync_for_device (TO_DEVICE); a device write through TO_DEVICE, or to a
 * page nobody mapped, faults and changes nothing.
 */
#include <stdlib.h>

#include "dmatest.h"

#define PAGES 64
#define MAXMAP 16
#define STEPS 4000

struct live {
	size_t off, size;
	enum duet_dma_dir dir;
	duet_dma_addr_t addr;
};

static unsigned long long seed = 88172645463325252ull;

static unsigned rnd(unsigned n)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return (unsigned)(seed % n);
}

static int overlaps(const struct live *l, unsigned n, size_t off, size_t sz)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (off < l[i].off + l[i].size && l[i].off < off + sz)
			return 1;
	return 0;
}

/*
 * Devices get pages, not bytes: a write through a TO_DEVICE mapping is
 * refused only when no writable mapping shares one of its bus pages.
 */
static int page_shared_writable(const struct live *l, unsigned n,
				duet_dma_addr_t a, size_t s)
{
	duet_dma_addr_t p;
	unsigned j;

	for (p = a & ~4095ull; p < a + s; p += 4096)
		for (j = 0; j < n; j++)
			if (l[j].dir != DUET_DMA_TO_DEVICE &&
			    l[j].addr < p + 4096 && p < l[j].addr + l[j].size)
				return 1;
	return 0;
}

static void run(struct dmat *t, const char *be, const char *opts,
		int contig, size_t maxsz)
{
	struct duet_dma_dev_cfg c = { .name = be };
	struct duet_dma_dev *dev = dmat_dev(t, be, opts, &c);
	struct live l[MAXMAP];
	unsigned char *buf, *exp, *tmp, *data;
	unsigned n = 0, i, step, bad = 0, faults = 0, maps = 0;
	unsigned char *fpage;
	char name[80];
	uint64_t fm;

	if (contig)
		duet_dma_domain_alloc_contig(t->drv, PAGES, 32, (void **)&buf);
	else
		duet_dma_domain_alloc(t->drv, PAGES, (void **)&buf);
	duet_dma_domain_alloc(t->guest, 1, (void **)&fpage);
	duet_dma_virt_to_maddr(t->mem, fpage, &fm, NULL, NULL);
	exp = malloc(PAGES * 4096);
	tmp = malloc(PAGES * 4096);
	data = malloc(PAGES * 4096);
	dmat_fill(buf, PAGES * 4096, 11);
	memcpy(exp, buf, PAGES * 4096);

	for (step = 0; step < STEPS; step++) {
		unsigned op = rnd(10);
		struct live *m;
		size_t o, s;

		if (op < 3 && n < MAXMAP) {                     /* map */
			s = 1 + rnd((unsigned)maxsz);
			o = rnd(PAGES * 4096 - (unsigned)s);
			if (overlaps(l, n, o, s))
				continue;
			m = &l[n];
			m->off = o;
			m->size = s;
			m->dir = (enum duet_dma_dir)rnd(3);
			if (duet_dma_map(dev, buf + o, s, m->dir, 0,
					 &m->addr) < 0) {
				bad++;
				continue;
			}
			maps++;
			n++;
			if (duet_dma_dev_read(dev, m->addr, tmp, s) < 0 ||
			    memcmp(tmp, exp + o, s))
				bad++;
		} else if (op < 5 && n) {                       /* dev write */
			m = &l[rnd(n)];
			o = rnd((unsigned)m->size);
			s = 1 + rnd((unsigned)(m->size - o));
			dmat_fill(data, s, step);
			if (m->dir == DUET_DMA_TO_DEVICE) {
				if (page_shared_writable(l, n, m->addr + o, s))
					continue;
				if (duet_dma_dev_write(dev, m->addr + o, data,
						       s) != -EACCES)
					bad++;
				faults++;
				dmat_after_fault(dev);
			} else {
				if (duet_dma_dev_write(dev, m->addr + o, data,
						       s) < 0)
					bad++;
				memcpy(exp + m->off + o, data, s);
				if (rnd(2)) {
					if (duet_dma_sync_for_cpu(dev,
						m->addr + o, s, m->dir) < 0 ||
					    memcmp(buf + m->off + o, data, s))
						bad++;
				}
			}
		} else if (op < 6 && n) {               /* cpu write + sync */
			m = &l[rnd(n)];
			if (m->dir != DUET_DMA_TO_DEVICE)
				continue;
			o = rnd((unsigned)m->size);
			s = 1 + rnd((unsigned)(m->size - o));
			dmat_fill(buf + m->off + o, s, step + 7);
			memcpy(exp + m->off + o, buf + m->off + o, s);
			if (duet_dma_sync_for_device(dev, m->addr + o, s,
						     m->dir) < 0 ||
			    duet_dma_dev_read(dev, m->addr + o, tmp, s) < 0 ||
			    memcmp(tmp, exp + m->off + o, s))
				bad++;
		} else if (op < 7) {                    /* foreign access */
			memcpy(tmp, fpage, 4096);
			if (duet_dma_dev_write(dev, fm + rnd(4000), data, 64) !=
			    -EFAULT || memcmp(tmp, fpage, 4096))
				bad++;
			faults++;
			dmat_after_fault(dev);
		} else if (n) {                                 /* unmap */
			i = rnd(n);
			m = &l[i];
			if (duet_dma_unmap(dev, m->addr, m->size, m->dir, 0) < 0)
				bad++;
			l[i] = l[--n];
		}
		/* Outside live mappings the CPU sees exactly the model. */
		if (step % 64 == 0) {
			for (o = 0; o < PAGES * 4096; o++)
				if (!overlaps(l, n, o, 1) && buf[o] != exp[o]) {
					bad++;
					break;
				}
		}
	}
	while (n) {
		n--;
		if (duet_dma_unmap(dev, l[n].addr, l[n].size, l[n].dir, 0) < 0)
			bad++;
	}
	snprintf(name, sizeof(name), "%s%s%s, %s buffer", be, opts ? " " : "",
		 opts ? opts : "", contig ? "contiguous" : "scattered");
	ok(!memcmp(buf, exp, PAGES * 4096),
	   "%s: memory equals the model after %u maps", name, maps);
	is_int(bad, 0, "%s: no step went wrong", name);
	is_int(duet_dma_dev_last_fault(dev, NULL), faults,
	       "%s: each refused access counted once (%u)", name, faults);
	duet_dma_dev_destroy(dev);
	duet_dma_domain_free(t->guest, fpage, 1);
	duet_dma_domain_free(t->drv, buf, PAGES);
	free(exp);
	free(tmp);
	free(data);
}

int main(void)
{
	const char *be;
	struct dmat t;
	unsigned i;

	dmat_open(&t, 2048);
	ok(duet_dma_backend_count() >= 7 && !duet_dma_backend_at(64),
	   "the registry lists the built-in backends (%u)",
	   duet_dma_backend_count());
	for (i = 0; i < duet_dma_backend_count(); i++) {
		be = duet_dma_backend_at(i)->name;
		if (!strcmp(be, "swiotlb")) {
			run(&t, be, "force", 0, 65536);
			run(&t, be, NULL, 0, 8192);
			run(&t, be, NULL, 1, 8192);
			continue;
		}
		/* Without translation a buffer must be machine-contiguous. */
		run(&t, be, NULL, 1, 16384);
		if (!strcmp(be, "direct") || !strcmp(be, "pv-identity"))
			continue;
		run(&t, be, NULL, 0, 65536);
		if (!strcmp(be, "gart"))
			run(&t, be, "force", 1, 65536);
	}
	dmat_close(&t);
	return done_testing();
}

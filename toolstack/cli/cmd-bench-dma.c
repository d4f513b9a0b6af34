/* SPDX-License-Identifier: MIT */
/*
 * cmd-bench-dma.c - duet bench dma: the cost of one map + unmap per DMA
 * backend, at 4 KiB and 64 KiB, with 1 and 2 threads sharing one device,
 * next to memcpy of the same size measured in the same run.
 *
 *   duet bench dma [--duration S] [--backends a,b,...]
 *
 * Runs in-process on the simulator's machine model (no daemon needed).
 * Buffers are machine-contiguous so that every backend can map 64 KiB in
 * one piece; "swiotlb" is run with "force" so that it always bounces (the
 * copy the literature compares with IOMMU mapping).  A second table
 * gives device throughput: the emulated block controller reading a
 * page-cached file into a freshly mapped buffer per request (map, sg
 * table, run, unmap).  Prints, never asserts (tests/bench/ rule).
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <unistd.h>

#include "duet/dma-dev.h"
#include "duet/dma.h"
#include "toolstack/cli/cli.h"

#define MAX_BE 8

struct bench_thread {
	struct duet_dma_dev *dev;   /* NULL: memcpy */
	unsigned char *buf, *dst;
	size_t size;
	double secs;
	unsigned long ops;
	int err;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *bench_loop(void *arg)
{
	struct bench_thread *t = arg;
	double end = now() + t->secs;
	duet_dma_addr_t a;
	unsigned i;

	while (now() < end) {
		/* 64 pairs between clock reads keep the clock off the bill */
		for (i = 0; i < 64; i++) {
			if (!t->dev) {
				memcpy(t->dst, t->buf, t->size);
				/* keep the copy from being optimised out */
				__asm__ volatile("" : : "r"(t->dst) : "memory");
			} else if (duet_dma_map(t->dev, t->buf, t->size,
						DUET_DMA_TO_DEVICE, 0, &a) < 0 ||
				   duet_dma_unmap(t->dev, a, t->size,
						  DUET_DMA_TO_DEVICE, 0) < 0) {
				t->err++;
				return NULL;
			}
			t->ops++;
		}
	}
	return NULL;
}

/* ns per operation with @nthreads threads on @dev (NULL: memcpy). */
static double measure(struct duet_dma_domain *d, struct duet_dma_dev *dev,
		      size_t size, unsigned nthreads, double secs)
{
	struct bench_thread t[2];
	pthread_t th[2];
	unsigned long ops = 0;
	unsigned i, pages = (unsigned)(size / 4096);
	int err = 0;

	memset(t, 0, sizeof(t));
	for (i = 0; i < nthreads; i++) {
		t[i].dev = dev;
		t[i].size = size;
		t[i].secs = secs;
		if (duet_dma_domain_alloc_contig(d, pages, 32,
						 (void **)&t[i].buf) < 0 ||
		    duet_dma_domain_alloc(d, pages, (void **)&t[i].dst) < 0)
			return -1;
		memset(t[i].buf, (int)i + 1, size);
	}
	for (i = 0; i < nthreads; i++)
		pthread_create(&th[i], NULL, bench_loop, &t[i]);
	for (i = 0; i < nthreads; i++) {
		pthread_join(th[i], NULL);
		ops += t[i].ops;
		err += t[i].err;
		duet_dma_domain_free(d, t[i].buf, pages);
		duet_dma_domain_free(d, t[i].dst, pages);
	}
	if (err || !ops)
		return -1;
	/* time per operation as one thread sees it */
	return secs * 1e9 * nthreads / (double)ops;
}

/* MB/s of block controller reads of @size through @dev, one thread. */
static double device_mbs(struct duet_dma_domain *d, struct duet_dma_dev *dev,
			 int fd, size_t size, double secs)
{
	struct duet_dma_blk_cmd cmd = { .op = DUET_DMA_BLK_READ, .nseg = 1 };
	unsigned pages = (unsigned)(size / 4096);
	struct duet_dma_sg_desc *tab;
	struct duet_dma_blkctl *c;
	struct duet_dma_blk_done done;
	duet_dma_addr_t ta, a;
	unsigned long bytes = 0;
	double start, end;
	unsigned char *buf;
	int err = 0;

	if (duet_dma_alloc_coherent(dev, 4096, (void **)&tab, &ta) < 0)
		return -1;
	if (duet_dma_domain_alloc_contig(d, pages, 32, (void **)&buf) < 0 ||
	    duet_dma_blkctl_create(dev, fd, &c) < 0) {
		duet_dma_free_coherent(dev, 4096, tab, ta);
		return -1;
	}
	cmd.table = ta;
	start = now();
	end = start + secs;
	while (!err && now() < end) {
		if (duet_dma_map(dev, buf, size, DUET_DMA_FROM_DEVICE, 0,
				 &a) < 0) {
			err = 1;
			break;
		}
		tab[0].addr = a;
		tab[0].len = (uint32_t)size;
		cmd.sector = (bytes / 512) % (8u << 20 >> 9);
		if (duet_dma_blkctl_submit(c, &cmd) < 0 ||
		    duet_dma_blkctl_run(c) != 1 ||
		    duet_dma_blkctl_reap(c, &done, 1) != 1 || done.status)
			err = 1;
		if (duet_dma_unmap(dev, a, size, DUET_DMA_FROM_DEVICE, 0) < 0)
			err = 1;
		bytes += size;
	}
	end = now();
	duet_dma_blkctl_destroy(c);
	duet_dma_domain_free(d, buf, pages);
	duet_dma_free_coherent(dev, 4096, tab, ta);
	return err ? -1 : (double)bytes / (end - start) / 1e6;
}

/* An 8 MiB file, written once so that reads come from the page cache. */
static int bench_file(void)
{
	char path[] = "/tmp/duet-bench-dma.XXXXXX";
	static unsigned char chunk[65536];
	int fd = mkstemp(path), i;

	if (fd < 0)
		return -1;
	unlink(path);
	memset(chunk, 0x5a, sizeof(chunk));
	for (i = 0; i < 128; i++)
		if (write(fd, chunk, sizeof(chunk)) != (ssize_t)sizeof(chunk)) {
			close(fd);
			return -1;
		}
	return fd;
}

static int usage(void)
{
	printf("usage: duet bench dma [--duration S] [--backends a,b,...]\n"
	       "  map+unmap cost per DMA backend at 4 KiB and 64 KiB, 1 and "
	       "2 threads,\n  next to memcpy of the same size (ns per "
	       "operation, per thread)\n"
	       "  --duration S   seconds per point (default 0.3)\n"
	       "  --backends L   comma-separated backends (default "
	       "direct,pv-identity,swiotlb)\n");
	return CLI_EXIT_OK;
}

static const struct option bench_dma_opts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "duration", required_argument, NULL, 'd' },
	{ "backends", required_argument, NULL, 'b' },
	{ NULL, 0, NULL, 0 },
};

int cli_bench_dma(int argc, char **argv)
{
	static const size_t sizes[] = { 4096, 65536 };
	char list[256] = "direct,pv-identity,swiotlb", *be[MAX_BE], *s, *end;
	struct duet_swiotlb_cfg cfg = { .slots = 1024, .areas = 2 };
	struct duet_dma_dev_cfg dc = { .name = "bench" };
	struct duet_dma_mem *mem = NULL;
	struct duet_dma_domain *d = NULL;
	double secs = 0.3, ns;
	unsigned nbe = 0, i, z, th;
	int k, fd, ret = CLI_EXIT_FAIL;

	cli_getopt_init();
	while ((k = getopt_long(argc, argv, "+:h", bench_dma_opts, NULL)) !=
	       -1) {
		switch (k) {
		case 'h':
			return usage();
		case 'd':
			secs = strtod(optarg, &end);
			if (*end || !(secs > 0 && secs <= 60))
				return cli_usage_error("bench dma",
					"--duration wants seconds in (0, 60]: "
					"'%s'", optarg);
			break;
		case 'b':
			snprintf(list, sizeof(list), "%s", optarg);
			break;
		default:
			return cli_option_error("bench dma", k, argv);
		}
	}
	if (optind < argc)
		return cli_usage_error("bench dma", "unknown argument '%s'",
				       argv[optind]);
	for (s = strtok(list, ","); s && nbe < MAX_BE; s = strtok(NULL, ",")) {
		if (!duet_dma_backend_find(s))
			return cli_usage_error("bench dma",
					       "unknown DMA backend '%s'", s);
		be[nbe++] = s;
	}
	if (!nbe)
		return cli_usage_error("bench dma", "no backend given");

	if (duet_dma_mem_create(32, &mem) < 0 ||
	    duet_dma_domain_create(mem, 1, 4096, &d) < 0 ||
	    duet_swiotlb_setup(d, &cfg) < 0) {
		fprintf(stderr, "duet bench dma: cannot set up the machine\n");
		goto out;
	}
	printf("# map+unmap (TO_DEVICE) vs memcpy of the same size: ns per "
	       "operation per thread\n# (threads x seconds / operations), "
	       "%.2fs per point\n", secs);
	printf("%-14s %8s %7s %12s %12s\n", "backend", "size", "threads",
	       "ns/op", "memcpy ns");
	for (z = 0; z < 2; z++) {
		for (th = 1; th <= 2; th++) {
			double mc = measure(d, NULL, sizes[z], th, secs);

			for (i = 0; i < nbe; i++) {
				struct duet_dma_dev *dev;
				int force = !strcmp(be[i], "swiotlb");

				if (duet_dma_dev_create(d, &dc,
						duet_dma_backend_find(be[i]),
						force ? "force" : NULL,
						&dev) < 0) {
					printf("%-14s %8zu %7u %12s\n", be[i],
					       sizes[z], th, "n/a");
					continue;
				}
				ns = measure(d, dev, sizes[z], th, secs);
				duet_dma_dev_destroy(dev);
				if (ns < 0)
					printf("%-14s %8zu %7u %12s %12.1f\n",
					       be[i], sizes[z], th, "error",
					       mc);
				else
					printf("%-14s %8zu %7u %12.1f %12.1f\n",
					       be[i], sizes[z], th, ns, mc);
				fflush(stdout);
			}
		}
	}
	fd = bench_file();
	if (fd < 0) {
		fprintf(stderr, "duet bench dma: no temporary file\n");
		goto out;
	}
	printf("\n# block controller reads (map, sg table, run, unmap per "
	       "request), MB/s, 1 thread\n");
	printf("%-14s %8s %12s\n", "backend", "size", "MB/s");
	for (z = 0; z < 2; z++)
		for (i = 0; i < nbe; i++) {
			struct duet_dma_dev *dev;
			int force = !strcmp(be[i], "swiotlb");

			if (duet_dma_dev_create(d, &dc,
						duet_dma_backend_find(be[i]),
						force ? "force" : NULL,
						&dev) < 0)
				continue;
			ns = device_mbs(d, dev, fd, sizes[z], secs);
			duet_dma_dev_destroy(dev);
			if (ns < 0)
				printf("%-14s %8zu %12s\n", be[i], sizes[z],
				       "error");
			else
				printf("%-14s %8zu %12.0f\n", be[i],
				       sizes[z], ns);
			fflush(stdout);
		}
	close(fd);
	ret = CLI_EXIT_OK;
out:
	duet_dma_domain_destroy(d);
	duet_dma_mem_destroy(mem);
	return ret;
}

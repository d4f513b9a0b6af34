/* SPDX-License-Identifier: MIT */
/*
 * cmd-bench-dma.c - duet bench dma: the cost of one map + unmap per DMA
 * backend and mode (direct = no IOMMU, swiotlb, pv-identity, gart,
 * calgary, vtd-strict, vtd-lazy), at 4 KiB and 64 KiB, with 1 and 2
 * threads sharing one device, next to memcpy of the same size measured in
 * the same run; device throughput through each; and the comparisons the
 * literature reports, duet's measured ratio next to the published one.
 *
 *   duet bench dma [--duration S] [--backends a,b,...] [--inv-ns N]
 *                  [--csv FILE] [--png FILE]
 *
 * Runs in-process on the simulator's machine model (no daemon needed).
 * Buffers are machine-contiguous so that every backend can map 64 KiB in
 * one piece; "swiotlb" runs with "force" so that it always bounces (the
 * copy the literature compares with IOMMU mapping), "gart" with "force"
 * so that it maps through the aperture.  --inv-ns gives the IOMMU models
 * a hardware invalidation latency (VT-d invalidation request, GART flush;
 * default 0: the models' software cost only).  Device throughput: the
 * emulated block controller reading a page-cached file into a freshly
 * mapped buffer per request (map, sg table, run, unmap).  Prints, never
 * asserts (tests/bench/ rule).
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sys/wait.h>
#include <unistd.h>

#include "duet/dma-dev.h"
#include "duet/dma.h"
#include "toolstack/cli/cli.h"

#define MAX_BE 16

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
	printf("usage: duet bench dma [--duration S] [--backends a,b,...] "
	       "[--inv-ns N]\n"
	       "                      [--csv FILE] [--png FILE]\n"
	       "  map+unmap cost per DMA backend at 4 KiB and 64 KiB, 1 and "
	       "2 threads,\n  next to memcpy of the same size (ns per "
	       "operation, per thread), device\n  throughput through each, "
	       "and duet's ratios next to the literature's\n"
	       "  --duration S   seconds per point (default 0.05)\n"
	       "  --backends L   comma-separated backends (default: every "
	       "registered one)\n"
	       "  --inv-ns N     IOMMU invalidation latency of the models "
	       "(default 0)\n"
	       "  --csv FILE     write every point as CSV\n"
	       "  --png FILE     a gnuplot chart (exit 77 after the tables "
	       "if gnuplot is missing)\n");
	return CLI_EXIT_OK;
}

static const struct option bench_dma_opts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "duration", required_argument, NULL, 'd' },
	{ "backends", required_argument, NULL, 'b' },
	{ "inv-ns", required_argument, NULL, 'i' },
	{ "csv", required_argument, NULL, 'c' },
	{ "png", required_argument, NULL, 'p' },
	{ NULL, 0, NULL, 0 },
};

/* Everything one run measured; < 0 where a point failed. */
struct bd {
	unsigned nbe;
	const char *be[MAX_BE];
	char opts[MAX_BE][48];
	double map_ns[MAX_BE][2][2];    /* [backend][size][threads - 1] */
	double memcpy_ns[2][2];
	double mbs[MAX_BE][2];          /* device MB/s [backend][size] */
	double secs;
};

static const size_t sizes[] = { 4096, 65536 };

static int be_index(const struct bd *b, const char *name)
{
	unsigned i;

	for (i = 0; i < b->nbe; i++)
		if (!strcmp(b->be[i], name))
			return (int)i;
	return -1;
}

static int dev_open(struct bd *b, struct duet_dma_domain *d, unsigned i,
		    struct duet_dma_dev **dev)
{
	struct duet_dma_dev_cfg dc = { .name = "bench" };

	return duet_dma_dev_create(d, &dc, duet_dma_backend_find(b->be[i]),
				   b->opts[i][0] ? b->opts[i] : NULL, dev);
}

static void print_val(double v, const char *fmt)
{
	if (v < 0)
		printf(" %10s", "error");
	else
		printf(fmt, v);
}

/* A ratio in percent, or -1 when a side is missing. */
static double pct(double num, double den)
{
	return num < 0 || den <= 0 ? -1 : 100.0 * num / den;
}

static void print_cmp(const char *what, const char *lit, double duet,
		      const char *unit)
{
	if (duet < 0)
		printf("%-46s %-26s %10s\n", what, lit, "n/a");
	else
		printf("%-46s %-26s %9.0f%s\n", what, lit, duet, unit);
}

/*
 * The literature's comparisons, duet's numbers next to them.  "Line
 * rate" is the no-IOMMU (direct) device throughput of this run.
 */
static void print_literature(const struct bd *b)
{
	int st = be_index(b, "vtd-strict"), lz = be_index(b, "vtd-lazy");
	int no = be_index(b, "direct"), sw = be_index(b, "swiotlb");
	double line = no >= 0 ? b->mbs[no][0] : -1, s, l;

	s = st >= 0 ? pct(b->mbs[st][0], line) : -1;
	l = lz >= 0 ? pct(b->mbs[lz][0], line) : -1;
	printf("\n# the literature's comparisons (device throughput at 4 KiB "
	       "unless said; %% of\n# no-IOMMU = direct, measured in this run)"
	       "\n%-46s %-26s %10s\n", "comparison", "literature", "duet");
	print_cmp("vtd-strict / no-IOMMU", "~43 % (vIOMMU, ATC 2011)", s,
		  " %");
	print_cmp("vtd-lazy (batched) / no-IOMMU", "~91 % (vIOMMU, ATC 2011)",
		  l, " %");
	print_cmp("no IOMMU", "100 %", no >= 0 ? 100.0 : -1, " %");
	print_cmp("deferred flushing recovers (lazy - strict)",
		  "15-20 % (ATC 2011)", s >= 0 && l >= 0 ? l - s : -1,
		  " pts");
	print_cmp("vtd-lazy / no-IOMMU at 64 KiB",
		  "88-100 % (Peleg 2015)",
		  lz >= 0 && no >= 0 ? pct(b->mbs[lz][1], b->mbs[no][1]) : -1,
		  " %");
	print_cmp("vtd-lazy / no-IOMMU map+unmap, 2 threads, 4K",
		  "88-100 % (Peleg 2015)",
		  lz >= 0 && no >= 0 && b->map_ns[lz][0][1] > 0 ?
			  pct(b->map_ns[no][0][1] + b->memcpy_ns[0][1],
			      b->map_ns[lz][0][1] + b->memcpy_ns[0][1]) : -1,
		  " %");
	if (sw >= 0 && st >= 0 && b->map_ns[sw][0][0] > 0 &&
	    b->map_ns[st][0][0] > 0)
		printf("%-46s %-26s %4.0f vs %.0f ns: %s\n",
		       "copy (swiotlb) vs strict map+unmap, 4 KiB",
		       "copy wins (Markuze 2016)", b->map_ns[sw][0][0],
		       b->map_ns[st][0][0],
		       b->map_ns[sw][0][0] < b->map_ns[st][0][0] ?
		       "copy wins" : "strict wins");
	else
		print_cmp("copy (swiotlb) vs strict map+unmap, 4 KiB",
			  "copy wins (Markuze 2016)", -1, "");
	printf("# Strict's shape needs a hardware invalidation latency "
	       "(--inv-ns; ~1500 ns is\n# about the 4600 cycles of hardware "
	       "interaction per strict unmap, Amit 2011):\n# with 0 it pays "
	       "only the model's software cost of queued invalidation.\n# "
	       "Every backend pays the model's software walk on each device "
	       "access, which\n# the hardware does in parallel; short points "
	       "are noisy (--duration 0.3).\n");
}

static int write_csv(const struct bd *b, const char *path)
{
	FILE *f = fopen(path, "w");
	unsigned i, z, th;

	if (!f)
		return -errno;
	fprintf(f, "kind,backend,size,threads,value,memcpy_ns\n");
	for (z = 0; z < 2; z++)
		for (th = 0; th < 2; th++) {
			fprintf(f, "map_ns,memcpy,%zu,%u,%.1f,%.1f\n",
				sizes[z], th + 1, b->memcpy_ns[z][th],
				b->memcpy_ns[z][th]);
			for (i = 0; i < b->nbe; i++)
				fprintf(f, "map_ns,%s,%zu,%u,%.1f,%.1f\n",
					b->be[i], sizes[z], th + 1,
					b->map_ns[i][z][th],
					b->memcpy_ns[z][th]);
		}
	for (z = 0; z < 2; z++)
		for (i = 0; i < b->nbe; i++)
			fprintf(f, "device_mbs,%s,%zu,1,%.1f,\n", b->be[i],
				sizes[z], b->mbs[i][z]);
	return fclose(f) ? -errno : 0;
}

static int have_gnuplot(void)
{
	return system("command -v gnuplot >/dev/null 2>&1") == 0;
}

/* Two panels: map+unmap ns (1 thread) and device MB/s, per backend. */
static int write_png(const struct bd *b, const char *png)
{
	char script[4096 + 64];
	unsigned i;
	pid_t pid;
	FILE *f;
	int st;

	snprintf(script, sizeof(script), "%s.gp", png);
	f = fopen(script, "w");
	if (!f)
		return -errno;
	fprintf(f, "$map << EOD\nmemcpy %.1f %.1f\n", b->memcpy_ns[0][0],
		b->memcpy_ns[1][0]);
	for (i = 0; i < b->nbe; i++)
		fprintf(f, "%s %.1f %.1f\n", b->be[i],
			b->map_ns[i][0][0] > 0 ? b->map_ns[i][0][0] : 0,
			b->map_ns[i][1][0] > 0 ? b->map_ns[i][1][0] : 0);
	fprintf(f, "EOD\n$dev << EOD\n");
	for (i = 0; i < b->nbe; i++)
		fprintf(f, "%s %.1f %.1f\n", b->be[i],
			b->mbs[i][0] > 0 ? b->mbs[i][0] : 0,
			b->mbs[i][1] > 0 ? b->mbs[i][1] : 0);
	fprintf(f, "EOD\n"
		"set terminal png size 1200,500\nset output '%s'\n"
		"set multiplot layout 1,2 title 'duet bench dma (simulator, "
		"%g s per point)'\n"
		"set style data histograms\n"
		"set style histogram clustered gap 1\n"
		"set style fill solid border -1\nset grid ytics\n"
		"set xtics rotate by -30\nset logscale y\n"
		"set ylabel 'ns per map+unmap, 1 thread'\n"
		"plot $map using 2:xtic(1) title '4 KiB', '' using 3 "
		"title '64 KiB'\n"
		"unset logscale y\nset yrange [0:*]\n"
		"set ylabel 'MB/s, block controller reads'\n"
		"plot $dev using 2:xtic(1) title '4 KiB', '' using 3 "
		"title '64 KiB'\nunset multiplot\n", png, b->secs);
	if (fclose(f))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		execlp("gnuplot", "gnuplot", script, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0)
		return -errno;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -EIO;
}

int cli_bench_dma(int argc, char **argv)
{
	struct duet_swiotlb_cfg cfg = { .slots = 1024, .areas = 2 };
	char list[256] = "", *s, *end;
	const char *csv = NULL, *png = NULL;
	struct duet_dma_mem *mem = NULL;
	struct duet_dma_domain *d = NULL;
	unsigned long inv_ns = 0;
	static struct bd b;
	unsigned i, z, th;
	int k, fd, rc, ret = CLI_EXIT_FAIL;

	memset(&b, 0, sizeof(b));
	b.secs = 0.05;
	cli_getopt_init();
	while ((k = getopt_long(argc, argv, "+:h", bench_dma_opts, NULL)) !=
	       -1) {
		switch (k) {
		case 'h':
			return usage();
		case 'd':
			b.secs = strtod(optarg, &end);
			if (*end || !(b.secs > 0 && b.secs <= 60))
				return cli_usage_error("bench dma",
					"--duration wants seconds in (0, 60]: "
					"'%s'", optarg);
			break;
		case 'b':
			snprintf(list, sizeof(list), "%s", optarg);
			break;
		case 'i':
			inv_ns = strtoul(optarg, &end, 10);
			if (*end || *optarg < '0' || *optarg > '9' ||
			    inv_ns > 1000000)
				return cli_usage_error("bench dma",
					"--inv-ns wants 0..1000000: '%s'",
					optarg);
			break;
		case 'c':
			csv = optarg;
			break;
		case 'p':
			png = optarg;
			break;
		default:
			return cli_option_error("bench dma", k, argv);
		}
	}
	if (optind < argc)
		return cli_usage_error("bench dma", "unknown argument '%s'",
				       argv[optind]);
	if (!list[0])
		for (i = 0; i < duet_dma_backend_count() && i < MAX_BE; i++)
			b.be[b.nbe++] = duet_dma_backend_at(i)->name;
	for (s = strtok(list, ","); s && b.nbe < MAX_BE;
	     s = strtok(NULL, ",")) {
		if (!duet_dma_backend_find(s))
			return cli_usage_error("bench dma",
					       "unknown DMA backend '%s'", s);
		b.be[b.nbe++] = s;
	}
	if (!b.nbe)
		return cli_usage_error("bench dma", "no backend given");
	for (i = 0; i < b.nbe; i++) {
		const char *n = b.be[i];

		if (!strcmp(n, "swiotlb") || !strcmp(n, "gart"))
			snprintf(b.opts[i], sizeof(b.opts[i]), "force");
		if (inv_ns && (!strcmp(n, "gart") || !strncmp(n, "vtd-", 4)))
			snprintf(b.opts[i] + strlen(b.opts[i]),
				 sizeof(b.opts[i]) - strlen(b.opts[i]),
				 "%sinv_ns=%lu", b.opts[i][0] ? "," : "",
				 inv_ns);
	}

	if (duet_dma_mem_create(32, &mem) < 0 ||
	    duet_dma_domain_create(mem, 1, 4096, &d) < 0 ||
	    duet_swiotlb_setup(d, &cfg) < 0) {
		fprintf(stderr, "duet bench dma: cannot set up the machine\n");
		goto out;
	}
	printf("# map+unmap (TO_DEVICE) vs memcpy of the same size: ns per "
	       "operation per thread\n# (threads x seconds / operations), "
	       "%.2fs per point, IOMMU invalidation latency %lu ns\n",
	       b.secs, inv_ns);
	printf("%-12s %-18s %6s %7s %10s %10s\n", "backend", "options",
	       "size", "threads", "ns/op", "memcpy ns");
	for (z = 0; z < 2; z++) {
		for (th = 1; th <= 2; th++) {
			b.memcpy_ns[z][th - 1] = measure(d, NULL, sizes[z], th,
							 b.secs);
			for (i = 0; i < b.nbe; i++) {
				struct duet_dma_dev *dev;

				b.map_ns[i][z][th - 1] = -1;
				if (dev_open(&b, d, i, &dev) == 0) {
					b.map_ns[i][z][th - 1] =
						measure(d, dev, sizes[z], th,
							b.secs);
					duet_dma_dev_destroy(dev);
				}
				printf("%-12s %-18s %6zu %7u", b.be[i],
				       b.opts[i][0] ? b.opts[i] : "-",
				       sizes[z], th);
				print_val(b.map_ns[i][z][th - 1], " %10.1f");
				print_val(b.memcpy_ns[z][th - 1], " %10.1f");
				printf("\n");
				fflush(stdout);
			}
		}
	}
	fd = bench_file();
	if (fd < 0) {
		fprintf(stderr, "duet bench dma: no temporary file\n");
		goto out;
	}
	printf("\n# device throughput: block controller reads (map, sg table, "
	       "run, unmap per\n# request), MB/s, 1 thread; memcpy of the "
	       "same size for scale\n");
	printf("%-12s %6s %10s %12s %10s\n", "backend", "size", "MB/s",
	       "% no-IOMMU", "memcpy");
	for (z = 0; z < 2; z++)
		for (i = 0; i < b.nbe; i++) {
			struct duet_dma_dev *dev;
			int no = be_index(&b, "direct");

			b.mbs[i][z] = -1;
			if (dev_open(&b, d, i, &dev) == 0) {
				b.mbs[i][z] = device_mbs(d, dev, fd, sizes[z],
							 b.secs);
				duet_dma_dev_destroy(dev);
			}
			printf("%-12s %6zu", b.be[i], sizes[z]);
			print_val(b.mbs[i][z], " %10.0f");
			if (no >= 0 && b.mbs[i][z] >= 0 && b.mbs[no][z] > 0)
				printf(" %11.0f%%", pct(b.mbs[i][z],
							b.mbs[no][z]));
			else
				printf(" %12s", "n/a");
			print_val(b.memcpy_ns[z][0] > 0 ?
				  (double)sizes[z] * 1e3 / b.memcpy_ns[z][0] :
				  -1, " %10.0f");
			printf("\n");
			fflush(stdout);
		}
	close(fd);
	print_literature(&b);
	ret = CLI_EXIT_OK;
	if (csv) {
		rc = write_csv(&b, csv);
		if (rc < 0) {
			fprintf(stderr, "duet bench dma: %s: %s\n", csv,
				strerror(-rc));
			ret = CLI_EXIT_FAIL;
		} else {
			printf("\nCSV: %s\n", csv);
		}
	}
	if (png && !have_gnuplot()) {
		printf("gnuplot not found (make deps installs gnuplot-nox): "
		       "no PNG\n");
		if (ret == CLI_EXIT_OK)
			ret = CLI_EXIT_SKIP;
	} else if (png) {
		rc = write_png(&b, png);
		if (rc < 0) {
			fprintf(stderr, "duet bench dma: gnuplot failed (%s)\n",
				strerror(-rc));
			ret = CLI_EXIT_FAIL;
		} else {
			printf("PNG: %s\n", png);
		}
	}
out:
	fflush(stdout);
	duet_dma_domain_destroy(d);
	duet_dma_mem_destroy(mem);
	return ret;
}

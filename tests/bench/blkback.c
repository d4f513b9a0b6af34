/* SPDX-License-Identifier: MIT */
/*
 * blkback.c - blkback's throughput on the simulator, through the test
 * frontend (tests/lib/tfront.c), against a RAM-backed file
 * (/dev/shm): 4 KiB random reads at queue depth 32 and 1 MiB sequential
 * reads and writes at queue depth 4 (both spread over the queues; 4 x 256
 * pages stay within the 1056 persistent grants of one queue), for
 * grant copy vs persistent grants and 1 vs 4 queues, next to this
 * machine's memcpy bandwidth measured in the same run (the physical
 * limit).  Prints IOPS and MB/s; asserts nothing.
 *
 * Next to each rate it prints the CPU time spent per request by every
 * party (this process: frontend, blkback's threads, io_uring's workers;
 * and the simulator daemon), which a busy machine disturbs far less than
 * the rate: 2 cores / (CPU per request) is the rate this machine could
 * reach idle if the parties never waited for each other.
 *
 * BENCH_SECONDS (default 1.5) sets the time per measurement; BENCH_ONLY
 * (e.g. "persistent, 1 queue") runs only the configurations whose name
 * contains it (for profiling); BENCH_DMA=<backend> runs the disks through
 * that DMA backend (the backend node "dma", duet/blkif.h).
 * `blkback memcpy` prints the memcpy bandwidth alone (MB/s), for
 * tests/bench/blk-nbd.sh.  `blkback TARGET` measures a network disk
 * instead (an NBD URI or an RBD target, served by blkback's engine for
 * it, backendtype qdisk) and prints one line per configuration,
 * "NAME;IOPS;READ MB/s;WRITE MB/s", for tests/bench/blk-nbd.sh's table
 * next to the server reached directly.
 */
#include <math.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include "lib/tbsetup.h"

#define DISK (512ull << 20)

static double secs(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double memcpy_mbs(void)
{
	size_t len = 64u << 20;
	char *a = malloc(len), *b = malloc(len);
	double t0, t;
	unsigned n = 0;

	if (!a || !b)
		return 0;
	memset(a, 1, len);
	memset(b, 2, len);
	t0 = secs();
	do {
		memcpy(n & 1 ? a : b, n & 1 ? b : a, len);
		n++;
		t = secs();
	} while (t - t0 < 1.0);
	free(a);
	free(b);
	return (double)n * (double)len / (t - t0) / 1e6;
}

/* CPU seconds used so far by this process and the simulator daemon. */
static double cpu_secs(void)
{
	unsigned long ut = 0, st = 0;
	struct rusage ru;
	char path[64];
	double t = 0;
	FILE *f;

	if (!getrusage(RUSAGE_SELF, &ru))
		t = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
		    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)simtest_pid);
	f = fopen(path, "r");
	/* Fields 14 and 15 (utime, stime) in clock ticks; the name in
	 * field 2 has no spaces ("(blkback)"). */
	if (f && fscanf(f, "%*d %*s %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u "
			"%*u %lu %lu", &ut, &st) == 2)
		t += (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
	if (f)
		fclose(f);
	return t;
}

/* CPU microseconds per request of the last run(). */
static double cpu_per_req;

static uint64_t rnd_state = 88172645463325252ull;
static unsigned stalls;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

/*
 * Keep @depth requests of @nsect sectors in flight over all queues for
 * @dur seconds; sequential or random.  Returns completed requests/s, or
 * -1 on an error response.
 */
static double run(struct tfront *f, int write, unsigned nsect, int seq,
		  unsigned depth, double dur)
{
	uint64_t next = 0, done = 0, span = DISK / 512 - nsect;
	unsigned per_q = depth / f->nq ? depth / f->nq : 1, q;
	struct pollfd pfd[TF_MAX_QUEUES];
	double t0 = secs(), t = t0, c0 = cpu_secs();
	int failed = 0, stopping = 0;

	for (q = 0; q < f->nq; q++) {
		pfd[q].fd = duet_evtchn_fd(f->q[q]->ev);
		pfd[q].events = POLLIN;
	}
	for (;;) {
		unsigned outstanding = 0, got = 0;

		for (q = 0; q < f->nq; q++) {
			struct tf_queue *tq = f->q[q];
			struct blkif_response rsp;

			while (!stopping && tq->outstanding < per_q) {
				uint64_t s;

				if (seq) {
					s = next;
					next = (next + nsect) % span;
				} else {
					s = (rnd() % span) & ~7ull;
				}
				if (tf_start_rw(f, q, write, s, NULL, nsect) < 0)
					break;
			}
			while (duet_ring_front_get_rsp(tq->ring, &rsp) == 1) {
				if (rsp.status)
					failed = 1;
				tf_release(tq, rsp.id);
				done++;
				got++;
			}
			outstanding += tq->outstanding;
		}
		t = secs();
		if (t - t0 > dur)
			stopping = 1;
		if (stopping && !outstanding)
			break;
		if (got)
			continue;
		for (q = 0; q < f->nq; q++)
			if (duet_ring_front_final_check(f->q[q]->ring) > 0)
				got++;
		if (got)
			continue;
		if (poll(pfd, f->nq, 1000) <= 0) {
			/* A second without any event: a lost wake-up. */
			stalls++;
			if (t - t0 > dur + 5)
				break;
		}
		for (q = 0; q < f->nq; q++) {
			int port;

			while ((port = duet_evtchn_pending(f->q[q]->ev)) >= 0)
				duet_evtchn_unmask(f->q[q]->ev,
						   (duet_evtchn_port_t)port);
		}
	}
	cpu_per_req = done ? (cpu_secs() - c0) * 1e6 / (double)done : 0;
	return failed ? -1 : (double)done / (t - t0);
}

int main(int argc, char **argv)
{
	const char *dur_env = getenv("BENCH_SECONDS");
	const char *only = getenv("BENCH_ONLY");
	const char *dma = getenv("BENCH_DMA");
	double dur = dur_env ? atof(dur_env) : 1.5, mc = 0;
	char path[4096];
	const char *target = argc > 1 ? argv[1] : NULL;
	int fd, persistent, devn = 0;
	unsigned nq;

	if (dur <= 0)
		dur = 1.5;
	if (argc > 1 && !strcmp(argv[1], "memcpy")) {
		/* For tests/bench/blk-nbd.sh: the limit alone, in MB/s. */
		printf("%.0f\n", memcpy_mbs());
		return 0;
	}
	tb_init();
	if (target) {
		snprintf(path, sizeof(path), "%s", target);
		goto measure;
	}
	snprintf(path, sizeof(path), "/dev/shm/duet-bench-blkback.%d",
		 (int)getpid());
	fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0600);
	if (fd < 0 || ftruncate(fd, (off_t)DISK) ||
	    posix_fallocate(fd, 0, (off_t)DISK)) {
		printf("# cannot make a RAM-backed file in /dev/shm\n");
		return 0;
	}
	close(fd);
	mc = memcpy_mbs();
	printf("memcpy bandwidth: %.0f MB/s (the physical limit)\n", mc);
	printf("%-22s %26s %29s %18s\n", "", "4K rand read QD32",
	       "1M seq read QD4", "1M seq write QD4");
	printf("%-22s %9s %9s %6s %9s %6s %6s %9s %8s\n", "blkback (sim)",
	       "IOPS", "CPU us/IO", "2-core", "MB/s", "memcpy", "CPU ms",
	       "MB/s", "CPU ms");
measure:
	for (persistent = 0; persistent <= 1; persistent++) {
		for (nq = 1; nq <= 4; nq += 3) {
			struct tf_opts o = { .order = 4, .nqueues = nq,
					     .persistent = persistent,
					     .indirect = 1 };
			double iops, rd, wr, c4k, crd, cwr;
			char vdev[16], name[40];
			struct tb_disk d;

			snprintf(name, sizeof(name), "%s, %u queue%s",
				 persistent ? "persistent" : "grant copy", nq,
				 nq > 1 ? "s" : "");
			if (only && !strstr(name, only))
				continue;
			snprintf(vdev, sizeof(vdev), "xvd%c", 'a' + devn++);
			if (tb_disk_up_opt(&d, vdev, path, NULL, &o,
					   dma ? "dma" : NULL, dma)) {
				printf("# could not connect\n");
				continue;
			}
			/* Warm up: map persistent grants, fault pages. */
			run(&d.f, 0, 2048, 1, 4, 0.2);
			run(&d.f, 0, 8, 0, 32, 0.2);
			iops = run(&d.f, 0, 8, 0, 32, dur);
			c4k = cpu_per_req;
			rd = run(&d.f, 0, 2048, 1, 4, dur) * 1.048576;
			crd = cpu_per_req / 1e3;
			wr = run(&d.f, 1, 2048, 1, 4, dur) * 1.048576;
			cwr = cpu_per_req / 1e3;
			if (target) {
				printf("%s;%.0f;%.0f;%.0f\n", name, iops, rd,
				       wr);
				fflush(stdout);
				tb_disk_down(&d);
				continue;
			}
			/* 2-core: the IOPS two idle cores would reach at this
			 * CPU cost; CPU ms: per MiB. */
			printf("%-22s %9.0f %9.1f %5.0fK %9.0f %5.2fx %6.3f "
			       "%9.0f %8.3f\n", name, iops, c4k,
			       c4k > 0 ? 2e6 / c4k / 1e3 : 0, rd,
			       mc > 0 ? rd / mc : 0, crd, wr, cwr);
			if (stalls)
				printf("   ^ %u stall(s) of 1 s without an "
				       "event\n", stalls);
			stalls = 0;
			fflush(stdout);
			tb_disk_down(&d);
		}
	}
	if (!target)
		unlink(path);
	tb_cleanup();
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * Synchronous I/O from many threads at once (as nbdkit's parallel thread
 * model does): every thread's writes read back, nobody waits forever
 * (the poller's turn passes between waiting threads).
 */
#include "tap.h"
#include "lib/sback.h"

#define THREADS 12
#define ROUNDS 40
#define SLICE (64u * 1024)

static struct duet_blkfront *bf;
static atomic_int failures;

static void *worker(void *arg)
{
	unsigned id = (unsigned)(uintptr_t)arg, r, i;
	uint8_t w[SLICE], rd[SLICE];
	uint64_t off = (uint64_t)id * SLICE;

	for (r = 0; r < ROUNDS; r++) {
		for (i = 0; i < SLICE; i++)
			w[i] = (uint8_t)(id * 13 + r * 7 + i);
		if (duet_blkfront_pwrite(bf, w, (r % 4 + 1) * 4096, off) ||
		    duet_blkfront_pread(bf, rd, (r % 4 + 1) * 4096, off) ||
		    memcmp(w, rd, (r % 4 + 1) * 4096))
			atomic_fetch_add(&failures, 1);
	}
	return NULL;
}

int main(void)
{
	struct duet_platform *p0, *p1;
	pthread_t th[THREADS];
	struct sback sb;
	unsigned d1, i;

	simtest_start(0);
	p0 = simtest_open(0);
	d1 = simtest_domain("fe");
	p1 = simtest_open(d1);
	sb_defaults(&sb);
	sb.max_order = 0; /* 32 slots per queue: requests wait for room */
	sb_start(&sb, p0, d1, THREADS * SLICE);
	is_int(duet_blkfront_open(p1, sb.fe, NULL, &bf), 0, "open");
	for (i = 0; i < THREADS; i++)
		pthread_create(&th[i], NULL, worker, (void *)(uintptr_t)i);
	for (i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	is_int(atomic_load(&failures), 0,
	       "%d threads x %d write+read rounds, all data back", THREADS,
	       ROUNDS);
	duet_blkfront_close(bf);
	sb_stop(&sb);
	duet_platform_close(p1);
	duet_platform_close(p0);
	return done_testing();
}

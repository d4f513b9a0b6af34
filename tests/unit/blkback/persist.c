/* SPDX-License-Identifier: MIT */
/*
 * persist.c - persistent grants beyond the cache: a frontend that uses
 * 1799 distinct pages (more than the 1056 persistent grants a queue
 * keeps) makes blkback evict least recently used mappings and map new
 * ones while requests are in flight; every 1 MiB write still lands in
 * the file and reads back bit-identical.
 */
#include "lib/tbsetup.h"

#define DISK (16u << 20)
#define MB (1u << 20)

static char wbuf[MB], rbuf[MB];

int main(void)
{
	struct tf_opts o = { .order = 2, .nqueues = 1, .persistent = 1,
			     .indirect = 1 };
	unsigned held[TF_POOL_PAGES], nheld, round, bad = 0, i;
	const char *path;
	struct tb_disk d;
	struct tf_queue *q;

	tb_init();
	path = tb_file("persist", DISK);
	if (!ok(!tb_disk_up(&d, "xvda", path, NULL, &o), "persistent disk "
		"up"))
		return done_testing();
	q = d.f.q[0];
	for (round = 0; round < 24; round++) {
		uint64_t sector = (uint64_t)(round % 16) * (MB / 512);
		int rc;

		/* Hold a window of pages aside so that this request uses
		 * pages deeper in the pool (the pool is a LIFO stack). */
		nheld = (round % 7) * 257;
		for (i = 0; i < nheld; i++)
			held[i] = (unsigned)tf_page_get(q);
		tb_fill(wbuf, MB, round);
		rc = tf_rw(&d.f, 0, 1, sector, wbuf, MB / 512);
		if (rc || !tb_file_equals(path, sector * 512, wbuf, MB)) {
			diag("round %u: write %d", round, rc);
			bad++;
		}
		rc = tf_rw(&d.f, 0, 0, sector, rbuf, MB / 512);
		if (rc || memcmp(rbuf, wbuf, MB)) {
			diag("round %u: read %d", round, rc);
			bad++;
		}
		while (nheld)
			tf_page_put(q, held[--nheld]);
	}
	ok(!bad, "24 x 1 MiB over 1799 distinct pages: every write in the "
	   "file, every read identical");
	tb_disk_down(&d);
	tb_cleanup();
	return done_testing();
}

/* SPDX-License-Identifier: MIT */
/*
 * blk-hostile-ro - a hostile blkfront for tests/sim/blk-dma.sh: it
 * connects to its disk like Linux's blkfront (tests/lib/tfront.c), then
 * asks for a READ into a page it granted read-only, the one request a
 * device must not be able to carry out (the disk would write into it).
 * Around it, a write and a read-back of a pattern check that the device
 * works before and still works after.
 *
 *   blk-hostile-ro DEVID SECTOR
 *
 * The platform comes from the environment (duet sim env of the guest).
 * Prints one line per step ("good-write 0", "ro-read -1", "good-read 0",
 * "data ok"), the BLKIF_RSP_* status of each request; exit 0 when every
 * step gave what a correct backend gives (OKAY, ERROR, OKAY, same data),
 * 1 otherwise, 2 on a local failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/tfront.h"

int main(int argc, char **argv)
{
	static char w[4096], r[4096];
	/* Two queues and order 1, so that every ring node is rewritten over
	 * what an earlier frontend of the device left (tfront writes
	 * multi-queue-num-queues and ring-page-order only then). */
	struct tf_opts o = { .order = 1, .nqueues = 2 };
	struct blkif_request req;
	struct blkif_response rsp;
	struct duet_platform *p;
	struct tfront f;
	struct duet_xs *xs;
	duet_grant_ref_t ref;
	void *page;
	unsigned long sector;
	int devid, self, st1, st2, st3, rc, i;

	if (argc != 3) {
		fprintf(stderr, "usage: blk-hostile-ro DEVID SECTOR\n");
		return 2;
	}
	devid = atoi(argv[1]);
	sector = strtoul(argv[2], NULL, 0);
	rc = duet_platform_open(NULL, &p);
	if (!rc)
		rc = duet_xs_open(p, &xs);
	if (rc < 0) {
		fprintf(stderr, "blk-hostile-ro: %s\n", strerror(-rc));
		return 2;
	}
	self = duet_platform_domid(p);
	memset(&f, 0, sizeof(f));
	if (self < 0 || tf_open(&f, p, xs, (unsigned)self, devid, &o)) {
		fprintf(stderr, "blk-hostile-ro: cannot connect\n");
		return 2;
	}
	for (i = 0; i < (int)sizeof(w); i++)
		w[i] = (char)(i * 7 + 3);
	st1 = tf_rw(&f, 0, 1, sector, w, 8);
	printf("good-write %d\n", st1);

	if (duet_gnt_share(p, (duet_domid_t)f.be_domid, 1, DUET_GNT_READONLY,
			   &ref, &page)) {
		fprintf(stderr, "blk-hostile-ro: cannot share a page\n");
		return 2;
	}
	memset(page, 0xee, 4096);
	memset(&req, 0, sizeof(req));
	req.operation = BLKIF_OP_READ;
	req.nr_segments = 1;
	req.id = 4242;
	req.sector_number = sector;
	req.seg[0].gref = ref;
	req.seg[0].first_sect = 0;
	req.seg[0].last_sect = 7;
	st2 = -1000;
	if (!tf_put_raw(&f, 0, &req) && tf_get_rsp(&f, 0, &rsp, 10000) == 1 &&
	    rsp.id == 4242)
		st2 = rsp.status;
	printf("ro-read %d\n", st2);
	for (i = 0; i < 4096 && ((unsigned char *)page)[i] == 0xee; i++)
		;
	printf("ro-page %s\n", i == 4096 ? "untouched" : "written");

	st3 = tf_rw(&f, 0, 0, sector, r, 8);
	printf("good-read %d\n", st3);
	printf("data %s\n", memcmp(w, r, sizeof(w)) ? "differs" : "ok");
	tf_close(&f);
	return st1 == BLKIF_RSP_OKAY && st2 == BLKIF_RSP_ERROR &&
			       i == 4096 && st3 == BLKIF_RSP_OKAY &&
			       !memcmp(w, r, sizeof(w)) ?
		       0 :
		       1;
}

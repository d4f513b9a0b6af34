/* SPDX-License-Identifier: MIT */
/*
 * purge.c - persistent grants that stay unused are unmapped, busy ones
 * stay: with the backend option persistent-grant-unused-seconds = 1, a
 * page used once is unmapped by blkback within a few seconds (its granter
 * can then end the share), while a page used every 200 ms stays mapped
 * (ending its share is refused, -EBUSY); a disk left at the default (60
 * s) keeps its idle page mapped over the same time.
 */
#include "lib/tbsetup.h"

#define DISK (1u << 20)

/* One 4 KiB request on queue 0 whose one segment is @ref; its status. */
static int one_page(struct tb_disk *d, int write, uint32_t ref)
{
	struct blkif_response rsp;
	struct blkif_request r;

	memset(&r, 0, sizeof(r));
	r.operation = write ? BLKIF_OP_WRITE : BLKIF_OP_READ;
	r.nr_segments = 1;
	r.id = 77;
	r.sector_number = 8;
	r.seg[0].gref = ref;
	r.seg[0].last_sect = 7;
	if (tf_put_raw(&d->f, 0, &r) || tf_get_rsp(&d->f, 0, &rsp, 5000) != 1)
		return -1000;
	return rsp.id == 77 ? rsp.status : -1001;
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(void)
{
	struct tf_opts o = { .nqueues = 1, .persistent = 1 };
	duet_grant_ref_t ref[3];
	struct tb_disk d1, d2;
	void *page[3];
	const char *path;
	unsigned i;
	double t0;
	double idle_gone = 0;
	int rc, busy_stays = 1;

	tb_init();
	path = tb_file("purge", DISK);
	for (i = 0; i < 3; i++)
		if (duet_gnt_share(tb_p1, 0, 1, 0, &ref[i], &page[i]))
			skip_all("cannot share pages");
	if (!ok(!tb_disk_up_opt(&d1, "xvda", path, NULL, &o,
				"persistent-grant-unused-seconds", "1"),
		"disk with persistent-grant-unused-seconds=1 up") ||
	    !ok(!tb_disk_up(&d2, "xvdb", path, NULL, &o),
		"disk with the default up"))
		return done_testing();
	is_int(one_page(&d1, 1, ref[0]), BLKIF_RSP_OKAY,
	       "a write through page A (then left idle)");
	is_int(one_page(&d1, 0, ref[1]), BLKIF_RSP_OKAY,
	       "a read through page B (then kept busy)");
	is_int(one_page(&d2, 0, ref[2]), BLKIF_RSP_OKAY,
	       "a read through page C on the default disk");
	is_int(duet_gnt_unshare(tb_p1, page[0], 1), -EBUSY,
	       "page A is mapped by blkback at first");

	/* At least 2.5 s (two purges and more), at most 6: B used every
	 * 200 ms; A's share ended as soon as blkback unmapped it. */
	t0 = now_s();
	while (now_s() - t0 < 6 && !(idle_gone && now_s() - t0 >= 2.5)) {
		if (one_page(&d1, 0, ref[1]) != BLKIF_RSP_OKAY)
			busy_stays = 0;
		usleep(200000);
		if (idle_gone)
			continue;
		rc = duet_gnt_unshare(tb_p1, page[0], 1);
		if (!rc)
			idle_gone = now_s() - t0;
		else if (rc != -EBUSY)
			break;
	}
	ok(idle_gone > 0, "idle page A was unmapped (after %.1f s)",
	   idle_gone);
	ok(idle_gone >= 0.8, "  not before its second was up");
	is_int(duet_gnt_unshare(tb_p1, page[1], 1), -EBUSY,
	       "busy page B is still mapped");
	ok(busy_stays, "  and its requests kept working");
	is_int(duet_gnt_unshare(tb_p1, page[2], 1), -EBUSY,
	       "idle page C of the default (60 s) disk is still mapped");
	tb_disk_down(&d1);
	tb_disk_down(&d2);
	is_int(duet_gnt_unshare(tb_p1, page[1], 1), 0,
	       "page B is released when the disk goes");
	is_int(duet_gnt_unshare(tb_p1, page[2], 1), 0,
	       "page C as well");
	tb_cleanup();
	return done_testing();
}

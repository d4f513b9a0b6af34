/* SPDX-License-Identifier: MIT */
/*
 * The backend goes away with requests unanswered and a new instance comes
 * up (Closing -> Closed -> InitWait) with other limits: blkfront
 * reconnects on new rings, renegotiates, cuts the kept requests to the
 * new limits and issues them again; the write completes and everything
 * acknowledged reads back.
 */
#include "tap.h"
#include "lib/sback.h"

#define DISK (8u << 20)
#define IO (1u << 20)

static const unsigned limits[][3] = {
	/* order, queues, indirect */
	{ 0, 1, 0 }, { 4, 4, 256 }, { 2, 2, 32 }, { 0, 1, 0 }, { 4, 4, 256 },
};

int main(void)
{
	struct duet_platform *p0, *p1;
	struct duet_blkfront_info in;
	struct duet_blkfront *bf;
	struct sback sb;
	uint8_t *buf = malloc(IO), *rd = malloc(IO);
	unsigned d1, round, i;
	int rc;

	simtest_start(0);
	p0 = simtest_open(0);
	d1 = simtest_domain("fe");
	p1 = simtest_open(d1);
	duet_log_set_level(DUET_LOG_ERR);

	sb_defaults(&sb);
	sb_start(&sb, p0, d1, DISK);
	rc = duet_blkfront_open(p1, sb.fe, NULL, &bf);
	is_int(rc, 0, "open");
	if (rc < 0)
		return done_testing();
	for (round = 0; round < 5; round++) {
		for (i = 0; i < IO; i++)
			buf[i] = (uint8_t)(i * 31 + round * 7 + (i >> 12));
		sb.next_order = limits[round][0];
		sb.next_queues = limits[round][1];
		sb.next_indirect = limits[round][2];
		atomic_store(&sb.hostile, SB_RESTART);
		rc = duet_blkfront_pwrite(bf, buf, IO, (uint64_t)round * IO);
		is_int(rc, 0, "round %u: the write through a restart completes",
		       round);
		duet_blkfront_get_info(bf, &in);
		ok(in.connects == round + 2 && in.connected &&
		   in.ring_order == limits[round][0] &&
		   in.queues == limits[round][1] &&
		   in.max_segments == (limits[round][2] > 11 ?
					       limits[round][2] : 11),
		   "round %u: reconnected with the new limits (order %u, "
		   "%u queues, %u segments)", round, in.ring_order, in.queues,
		   in.max_segments);
		ok(!memcmp(sb.disk + (uint64_t)round * IO, buf, IO),
		   "round %u: the backend's disk holds the write", round);
	}
	for (round = 0; round < 5; round++) {
		for (i = 0; i < IO; i++)
			buf[i] = (uint8_t)(i * 31 + round * 7 + (i >> 12));
		rc = duet_blkfront_pread(bf, rd, IO, (uint64_t)round * IO);
		ok(rc == 0 && !memcmp(rd, buf, IO),
		   "acknowledged write %u reads back", round);
	}
	duet_blkfront_close(bf);
	sb_stop(&sb);
	duet_platform_close(p1);
	duet_platform_close(p0);
	free(buf);
	free(rd);
	return done_testing();
}

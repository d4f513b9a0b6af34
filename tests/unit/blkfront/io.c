/* SPDX-License-Identifier: MIT */
/*
 * blkfront against a scripted backend: for each combination of the
 * backend's limits (ring order 0/4, queues 1/4, indirect off/256,
 * persistent off/on) the negotiated values are the most both ends allow,
 * and data written reads back bit-identical, also on the backend's disk;
 * flush, discard, alignment and range errors.
 */
#include "tap.h"
#include "lib/sback.h"

#define DISK (8u << 20)

static void fill(uint8_t *b, size_t n, unsigned seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		b[i] = (uint8_t)((i * 2654435761u + seed) >> 7);
}

static void one_combo(struct duet_platform *p0, struct duet_platform *p1,
		      unsigned fe_domid, unsigned order, unsigned queues,
		      unsigned indirect, int persistent)
{
	struct duet_blkfront_info in;
	struct duet_blkfront *bf;
	struct sback sb;
	uint8_t *w = malloc(2 << 20), *r = malloc(2 << 20);
	char name[96];
	int rc;

	snprintf(name, sizeof(name), "order %u, %u queue(s), indirect %u, "
		 "persistent %d", order, queues, indirect, persistent);
	sb_defaults(&sb);
	sb.max_order = order;
	sb.max_queues = queues;
	sb.max_indirect = indirect;
	sb.persistent = persistent;
	sb_start(&sb, p0, fe_domid, DISK);
	rc = duet_blkfront_open(p1, sb.fe, NULL, &bf);
	is_int(rc, 0, "%s: open connects", name);
	if (rc < 0) {
		sb_stop(&sb);
		free(w);
		free(r);
		return;
	}
	duet_blkfront_get_info(bf, &in);
	ok(in.ring_order == order && in.queues == queues &&
	   in.indirect == (indirect > 11) &&
	   in.max_segments == (indirect > 11 ? indirect : 11) &&
	   in.persistent == persistent && in.size == DISK &&
	   in.sector_size == 512 && in.flush && in.discard &&
	   sb.fe_persistent == 1,
	   "%s: negotiated the most both ends allow", name);
	fill(w, 2 << 20, order * 7 + queues);
	rc = duet_blkfront_pwrite(bf, w, 2 << 20, 1 << 20);
	rc |= duet_blkfront_pwrite(bf, w + 4096, 3 * 512, 512);
	rc |= duet_blkfront_pread(bf, r, 2 << 20, 1 << 20);
	ok(rc == 0 && !memcmp(r, w, 2 << 20),
	   "%s: 2 MiB written read back identical", name);
	ok(!memcmp(sb.disk + (1 << 20), w, 2 << 20) &&
	   !memcmp(sb.disk + 512, w + 4096, 3 * 512),
	   "%s: the backend's disk holds the data", name);
	is_int(duet_blkfront_flush(bf), 0, "%s: flush", name);
	rc = duet_blkfront_discard(bf, 1 << 20, 8192);
	memset(w, 0, 8192);
	ok(rc == 0 && !memcmp(sb.disk + (1 << 20), w, 8192),
	   "%s: discard reaches the backend", name);
	duet_blkfront_close(bf);
	ok(sb_fe_state(&sb) == DUET_XENBUS_CLOSED, "%s: closed", name);
	sb_stop(&sb);
	free(w);
	free(r);
}

int main(void)
{
	struct duet_platform *p0, *p1;
	struct duet_blkfront_opts o;
	struct duet_blkfront_info in;
	struct duet_blkfront *bf;
	struct sback sb;
	unsigned d1, order, q, ind, pers;
	char buf[4096];

	simtest_start(0);
	p0 = simtest_open(0);
	d1 = simtest_domain("fe");
	p1 = simtest_open(d1);
	for (order = 0; order <= 4; order += 4)
		for (q = 1; q <= 4; q += 3)
			for (ind = 0; ind <= 256; ind += 256)
				for (pers = 0; pers <= 1; pers++)
					one_combo(p0, p1, d1, order, q, ind,
						  (int)pers);

	/* The frontend's own limits win when lower; untrusted means no
	 * persistent grants. */
	sb_defaults(&sb);
	sb_start(&sb, p0, d1, DISK);
	duet_blkfront_opts_init(&o);
	o.max_ring_order = 1;
	o.max_queues = 2;
	o.max_indirect = 32;
	o.flags = DUET_BLKFRONT_UNTRUSTED;
	is_int(duet_blkfront_open(p1, sb.fe, &o, &bf), 0, "open with limits");
	duet_blkfront_get_info(bf, &in);
	ok(in.ring_order == 1 && in.queues == 2 && in.max_segments == 32 &&
	   !in.persistent && !in.trusted && sb.fe_persistent == 0,
	   "own limits respected; untrusted: no persistent grants");
	is_int(duet_blkfront_pread(bf, buf, 100, 0), -EINVAL,
	       "unaligned length is -EINVAL");
	is_int(duet_blkfront_pread(bf, buf, 512, 3), -EINVAL,
	       "unaligned offset is -EINVAL");
	is_int(duet_blkfront_pread(bf, buf, 1024, DISK - 512), -EINVAL,
	       "past the end is -EINVAL");
	memset(buf, 0xab, sizeof(buf));
	ok(duet_blkfront_pwrite(bf, buf, 4096, DISK - 4096) == 0 &&
	   sb.disk[DISK - 1] == 0xab, "the last sector is writable");
	duet_blkfront_close(bf);
	sb_stop(&sb);

	/* Read-only option. */
	sb_defaults(&sb);
	sb_start(&sb, p0, d1, DISK);
	duet_blkfront_opts_init(&o);
	o.flags = DUET_BLKFRONT_READ_ONLY;
	is_int(duet_blkfront_open(p1, sb.fe, &o, &bf), 0, "open read-only");
	is_int(duet_blkfront_pwrite(bf, buf, 512, 0), -EROFS,
	       "a write to a read-only disk is -EROFS");
	is_int(duet_blkfront_discard(bf, 0, 512), -EROFS,
	       "a discard too");
	is_int(duet_blkfront_pread(bf, buf, 512, 0), 0, "reads work");
	duet_blkfront_close(bf);
	sb_stop(&sb);

	duet_platform_close(p1);
	duet_platform_close(p0);
	return done_testing();
}

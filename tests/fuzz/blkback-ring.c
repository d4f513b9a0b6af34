/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: arbitrary request rings fed to blkback's request path.
 *
 * The input is the disk's limits (size, sector size, read-only, offered
 * features, indirect maximum), a ring page order, a producer index, the
 * ring pages' contents and the contents of indirect pages.  blkback's
 * backend end of the ring takes requests off it exactly as a queue does
 * (duet_ring_back_get_reqs()), validates each (bb_parse_req(), and
 * bb_parse_indirect() with segments from the input), answers it
 * (bb_rsp_status()) and pushes.  No xenstore, no I/O.
 *
 * Whatever the ring holds, a request that validates must be safe to run:
 * a known kind, 1..11 direct or 1..max indirect segments, each within one
 * page (first_sect <= last_sect <= 7), the sector range inside the disk
 * and aligned to the sector size, nothing written to a read-only disk;
 * and the ring never hands out more requests than it holds.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "backends/blkback/common.h"

static uint64_t take(const uint8_t **d, size_t *n, unsigned bytes)
{
	uint64_t v = 0;
	unsigned k = *n < bytes ? (unsigned)*n : bytes;

	memcpy(&v, *d, k);
	*d += k;
	*n -= k;
	return v;
}

static void check(const struct bb_limits *lim,
		  const struct bb_parsed *p)
{
	unsigned i, max;
	uint64_t sum = 0;

	if (p->kind > BB_DISCARD)
		abort();
	if (p->nr_sectors > lim->sectors ||
	    p->sector > lim->sectors - p->nr_sectors)
		abort();
	if ((lim->sector_size == 4096) && ((p->sector | p->nr_sectors) & 7))
		abort();
	if (lim->readonly && (p->write_data || p->kind == BB_DISCARD))
		abort();
	if (p->kind == BB_DISCARD)
		return;
	max = p->nindirect ? lim->max_indirect : BLKIF_MAX_SEGMENTS_PER_REQUEST;
	if (p->nseg > max)
		abort();
	if (!p->nseg && (p->kind == BB_READ || p->kind == BB_WRITE))
		abort();
	for (i = 0; i < p->nseg; i++) {
		if (p->seg[i].first_sect > p->seg[i].last_sect ||
		    p->seg[i].last_sect > 7)
			abort();
		sum += p->seg[i].last_sect - p->seg[i].first_sect + 1u;
	}
	if (sum != p->nr_sectors)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char mem[DUET_RING_PAGE_BYTES << DUET_RING_MAX_ORDER]
		__attribute__((aligned(4096)));
	static struct blkif_request_segment ind[BB_MAX_SEGS];
	static struct bb_parsed p;
	struct blkif_request reqs[8];
	struct bb_limits lim;
	struct duet_ring *ring = NULL;
	unsigned order, taken = 0, ents;
	uint64_t flags;
	size_t len, k;
	int n, i;

	memset(&lim, 0, sizeof(lim));
	lim.sectors = take(&data, &size, 5);
	flags = take(&data, &size, 2);
	lim.sector_size = (flags & 1) ? 4096 : 512;
	lim.sectors &= ~(uint64_t)((lim.sector_size / 512) - 1);
	lim.readonly = !!(flags & 2);
	lim.flush = !!(flags & 4);
	lim.barrier = !!(flags & 8);
	lim.discard = !!(flags & 16);
	lim.discard_secure = !!(flags & 32);
	lim.max_indirect = (flags & 64) ? (unsigned)(flags >> 7) % 300 : 0;
	if (lim.max_indirect > BB_MAX_INDIRECT_SEGS)
		lim.max_indirect = BB_MAX_INDIRECT_SEGS;
	order = (unsigned)take(&data, &size, 1) % (DUET_RING_MAX_ORDER + 1);
	len = (size_t)DUET_RING_PAGE_BYTES << order;
	memset(mem, 0, len);
	k = size < len ? size : len;
	memcpy(mem, data, k);
	data += k;
	size -= k;
	/* What the indirect pages hold. */
	memset(ind, 0, sizeof(ind));
	k = size < sizeof(ind) ? size : sizeof(ind);
	memcpy(ind, data, k);

	if (duet_ring_attach(duet_ring_desc_get(DUET_RING_BLKIF), DUET_RING_BACK,
			     mem, order, &ring))
		abort();
	ents = duet_ring_size(ring);
	for (;;) {
		n = duet_ring_back_get_reqs(ring, reqs, 8);
		if (n <= 0)
			break;
		taken += (unsigned)n;
		if (taken > ents)
			abort(); /* never more than a ring's worth unanswered */
		for (i = 0; i < n; i++) {
			struct blkif_response rsp;
			int rc = bb_parse_req(&lim, &reqs[i], &p);

			if (!rc && p.nindirect) {
				if (p.nindirect > BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST)
					abort();
				rc = bb_parse_indirect(&lim, ind, &p);
			}
			if (!rc)
				check(&lim, &p);
			memset(&rsp, 0, sizeof(rsp));
			rsp.id = p.id;
			rsp.operation = p.operation;
			rsp.status = bb_rsp_status(rc);
			if (rc && rsp.status == BLKIF_RSP_OKAY)
				abort();
			if (duet_ring_back_put_rsp(ring, &rsp))
				abort();
			taken--;
		}
		if (duet_ring_back_push(ring) < 0)
			abort();
	}
	duet_ring_detach(ring);
	return 0;
}

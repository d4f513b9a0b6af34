/* SPDX-License-Identifier: MIT */
/*
 * mapcopy.c - a grant-copy batch carried out by grant map: the "shared
 * page" way of the Xen I/O papers, used by tx (duet-tx-mode=map: the
 * frontend's tx pages are mapped read-only and copied out) and by rx
 * (duet-rx-mode=map: the frontend's rx pages are mapped writable and the
 * frame is copied in).
 *
 * The segments are the ones a grant copy would take (struct
 * duet_gnt_copy_seg), one foreign side each: DUET_GNT_COPY_SRC_GREF (read
 * from the frontend) or DUET_GNT_COPY_DST_GREF (write to it).  Pages are
 * mapped NB_MAP_CHUNK at a time with one duet_gnt_map() per chunk (well
 * under a platform's per-call limit, and a bound on the retry below),
 * copied with memcpy() and unmapped.  When a chunk's map fails (a bad ref somewhere in it), each of
 * its segments is mapped on its own so that only the segments with a bad
 * ref fail.  Offsets and lengths were checked against the page by the
 * callers (tx_feed()/tx_complete(), rx_take()).
 */
#include <errno.h>
#include <string.h>

#include "backends/netback/common.h"

/* Refs per duet_gnt_map() call. */
#define NB_MAP_CHUNK 128u

/* The foreign side of @g: its ref, offset and whether it is written. */
static void seg_foreign(const struct duet_gnt_copy_seg *g,
			duet_grant_ref_t *ref, unsigned *off, int *write)
{
	*write = !!(g->flags & DUET_GNT_COPY_DST_GREF);
	*ref = *write ? g->dst.foreign.ref : g->src.foreign.ref;
	*off = *write ? g->dst.foreign.offset : g->src.foreign.offset;
}

/* Copy between the mapped page @page and @g's local side. */
static void seg_memcpy(struct duet_gnt_copy_seg *g, uint8_t *page)
{
	duet_grant_ref_t ref;
	unsigned off;
	int write;

	seg_foreign(g, &ref, &off, &write);
	if (write)
		memcpy(page + off, g->src.virt, g->len);
	else
		memcpy(g->dst.virt, page + off, g->len);
}

/* One chunk of @n segments, all in the same direction. */
static int map_chunk(struct nb_vif *vif, struct duet_gnt_copy_seg *seg,
		     unsigned n, int write)
{
	duet_grant_ref_t refs[NB_MAP_CHUNK];
	duet_domid_t fe = (duet_domid_t)vif->fe_domid;
	unsigned flags = write ? 0 : DUET_GNT_READONLY, i, off;
	uint8_t *map;
	int w;

	for (i = 0; i < n; i++)
		seg_foreign(&seg[i], &refs[i], &off, &w);
	if (duet_gnt_map(vif->p, fe, n, refs, flags, (void **)&map) == 0) {
		for (i = 0; i < n; i++)
			seg_memcpy(&seg[i], map + (size_t)i * DUET_PAGE_SIZE);
		return duet_gnt_unmap(vif->p, map, n);
	}
	for (i = 0; i < n; i++) {
		if (duet_gnt_map(vif->p, fe, 1, &refs[i], flags,
				 (void **)&map) < 0) {
			seg[i].status = -EINVAL;
			continue;
		}
		seg_memcpy(&seg[i], map);
		duet_gnt_unmap(vif->p, map, 1);
	}
	return 0;
}

int nb_map_copy(struct nb_vif *vif, struct duet_gnt_copy_seg *seg,
		unsigned count)
{
	unsigned i, n;
	int rc, write;

	for (i = 0; i < count; i++)
		seg[i].status = 0;
	for (i = 0; i < count; i += n) {
		write = !!(seg[i].flags & DUET_GNT_COPY_DST_GREF);
		for (n = 1; i + n < count && n < NB_MAP_CHUNK &&
			    !!(seg[i + n].flags & DUET_GNT_COPY_DST_GREF) ==
				    write;
		     n++)
			;
		rc = map_chunk(vif, &seg[i], n, write);
		if (rc < 0)
			return rc;
	}
	return 0;
}

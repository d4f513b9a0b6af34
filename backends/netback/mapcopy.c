/* SPDX-License-Identifier: MIT */
/*
 * mapcopy.c - a grant-copy batch carried out by grant map: the "shared
 * page" way of the Xen I/O papers, used by rx (duet-rx-mode=map: the
 * frontend's rx pages are mapped writable and the frame is copied in).
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
 *
 * Transmit (duet-tx-mode=map) keeps the batch mapped instead
 * (nb_tx_map()): the TAP write reads the frame straight out of the mapped
 * pages, so the only copy of the data in dom0 is the kernel's into its
 * socket buffer, as with Linux's netback, which also maps the guest's tx
 * pages.  In the Xen lab under TCG the mmap/munmap of a batch cost about
 * a millisecond each, so copy stays the default.
 */
#include <errno.h>
#include <stdlib.h>
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

/*
 * Zero-copy transmit (tx map mode): map the batch's pages and leave them
 * mapped so that the TAP write gathers straight from them; nb_tx_unmap()
 * ends every mapping once the writes are done, before the slots are
 * answered.  A segment whose page cannot be mapped gets status -EINVAL and
 * a NULL page.  Mappings are recorded in q->txmap (chunks, or single pages
 * after a failed chunk).
 */
int nb_tx_map(struct nb_queue *q)
{
	struct nb_vif *vif = q->vif;
	duet_grant_ref_t refs[NB_MAP_CHUNK];
	duet_domid_t fe = (duet_domid_t)vif->fe_domid;
	unsigned i, k, n, off;
	uint8_t *map;
	int w;

	q->ntxmap = 0;
	for (i = 0; i < q->ntxseg; i += n) {
		n = q->ntxseg - i < NB_MAP_CHUNK ? q->ntxseg - i : NB_MAP_CHUNK;
		for (k = 0; k < n; k++) {
			q->txseg[i + k].status = 0;
			seg_foreign(&q->txseg[i + k], &refs[k], &off, &w);
		}
		if (duet_gnt_map(vif->p, fe, n, refs, DUET_GNT_READONLY,
				 (void **)&map) == 0) {
			q->txmap[q->ntxmap].addr = map;
			q->txmap[q->ntxmap++].count = n;
			for (k = 0; k < n; k++)
				q->txpage[i + k] = map + (size_t)k * DUET_PAGE_SIZE;
			continue;
		}
		for (k = 0; k < n; k++) {
			q->txpage[i + k] = NULL;
			if (duet_gnt_map(vif->p, fe, 1, &refs[k],
					 DUET_GNT_READONLY, (void **)&map) < 0) {
				q->txseg[i + k].status = -EINVAL;
				continue;
			}
			q->txmap[q->ntxmap].addr = map;
			q->txmap[q->ntxmap++].count = 1;
			q->txpage[i + k] = map;
		}
	}
	return 0;
}

int nb_tx_unmap(struct nb_queue *q)
{
	unsigned i;
	int rc = 0, r;

	for (i = 0; i < q->ntxmap; i++) {
		r = duet_gnt_unmap(q->vif->p, q->txmap[i].addr,
				   q->txmap[i].count);
		if (r < 0 && !rc)
			rc = r;
	}
	q->ntxmap = 0;
	return rc;
}

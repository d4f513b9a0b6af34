/* SPDX-License-Identifier: MIT */
/*
 * Ring sizes per page order equal Xen's __CONST_RING_SIZE for every ring
 * type (blkif 1 page = 32 entries, netif tx 1 page = 256, ...), and attach
 * reports them.
 */
#include "ring-test.h"

#define XEN_SIZE(tag, order) \
	((int)__CONST_RING_SIZE(tag, (size_t)DUET_RING_PAGE_BYTES << (order)))

int main(void)
{
	unsigned o;

	is_int(duet_ring_entries(duet_ring_desc_get(DUET_RING_BLKIF), 0), 32,
	       "blkif, 1 page: 32 entries");
	is_int(duet_ring_entries(duet_ring_desc_get(DUET_RING_NETIF_TX), 0),
	       256, "netif tx, 1 page: 256 entries");
	is_int(duet_ring_entries(duet_ring_desc_get(DUET_RING_NETIF_RX), 0),
	       256, "netif rx, 1 page: 256 entries");
	is_int(duet_ring_entries(duet_ring_desc_get(DUET_RING_BLKIF), 4), 512,
	       "blkif, 16 pages: 512 entries");

	for (o = 0; o <= DUET_RING_MAX_ORDER; o++) {
		is_int(duet_ring_entries(duet_ring_desc_get(DUET_RING_BLKIF),
					 o),
		       XEN_SIZE(blkif, o), "blkif order %u matches Xen", o);
		is_int(duet_ring_entries(
			       duet_ring_desc_get(DUET_RING_NETIF_TX), o),
		       XEN_SIZE(netif_tx, o), "netif tx order %u matches Xen",
		       o);
		is_int(duet_ring_entries(
			       duet_ring_desc_get(DUET_RING_NETIF_RX), o),
		       XEN_SIZE(netif_rx, o), "netif rx order %u matches Xen",
		       o);
		is_int(duet_ring_entries(
			       duet_ring_desc_get(DUET_RING_NETIF_CTRL), o),
		       XEN_SIZE(xen_netif_ctrl, o),
		       "netif ctrl order %u matches Xen", o);
	}

	for (o = 0; o <= DUET_RING_MAX_ORDER; o++) {
		struct pair p;

		pair_open(&p, DUET_RING_BLKIF, o);
		is_int(duet_ring_size(p.front), XEN_SIZE(blkif, o),
		       "attached blkif ring of order %u reports its size", o);
		is_int(duet_ring_front_free(p.front), XEN_SIZE(blkif, o),
		       "a fresh ring of order %u is all free", o);
		pair_close(&p);
	}

	is_int(duet_ring_entries(duet_ring_desc_get(DUET_RING_BLKIF), 5),
	       -EINVAL, "order 5 is refused");
	ok(duet_ring_desc_get((enum duet_ring_type)99) == NULL,
	   "unknown ring type has no descriptor");
	{
		void *mem = NULL;
		struct duet_ring *r;

		if (posix_memalign(&mem, 4096, 8192))
			abort();
		is_int(duet_ring_attach(duet_ring_desc_get(DUET_RING_BLKIF),
					DUET_RING_FRONT, (char *)mem + 64, 0,
					&r),
		       -EINVAL, "an unaligned ring is refused");
		free(mem);
	}
	return done_testing();
}

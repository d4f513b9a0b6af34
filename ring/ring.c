/* SPDX-License-Identifier: MIT */
/*
 * ring.c - shared rings on Xen's io/ring.h ABI, for both ends.
 *
 * The layout is io/ring.h's (checked at compile time against the structs
 * DEFINE_RING_TYPES produces for blkif and netif); the index discipline is
 * that of its RING_* macros, written with C11 atomics so that each memory
 * ordering point says what it orders and what it pairs with.  The peer is
 * hostile: its indexes are read once per decision and range-checked, its
 * entries are copied out exactly once.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The Xen public headers expect the standard integer types first. */
#include <xen/io/blkif.h>
#include <xen/io/netif.h>

#include "duet/ring.h"
#include "gnttab/log-internal.h"

/* ------------------------------------------------------------------ */
/* Layout                                                              */
/* ------------------------------------------------------------------ */

/* The shared header of every io/ring.h ring (see DEFINE_RING_TYPES). */
struct sring_hdr {
	uint32_t req_prod;  /* written by the frontend */
	uint32_t req_event; /* written by the backend */
	uint32_t rsp_prod;  /* written by the backend */
	uint32_t rsp_event; /* written by the frontend */
	uint8_t pvt[4];
	uint8_t pad[44];
};

_Static_assert(sizeof(struct sring_hdr) == DUET_RING_HDR_SIZE,
	       "ring header is 64 bytes");
_Static_assert(offsetof(struct blkif_sring, ring) == DUET_RING_HDR_SIZE,
	       "blkif entries start after the header");
_Static_assert(offsetof(struct netif_tx_sring, ring) == DUET_RING_HDR_SIZE,
	       "netif tx entries start after the header");
_Static_assert(offsetof(struct blkif_sring, req_event) ==
		       offsetof(struct sring_hdr, req_event) &&
	       offsetof(struct blkif_sring, rsp_prod) ==
		       offsetof(struct sring_hdr, rsp_prod) &&
	       offsetof(struct blkif_sring, rsp_event) ==
		       offsetof(struct sring_hdr, rsp_event),
	       "header fields where io/ring.h puts them");

static const struct duet_ring_desc builtin_desc[] = {
	[DUET_RING_BLKIF] = {
		.entry_size = sizeof(union blkif_sring_entry),
		.req_size = sizeof(struct blkif_request),
		.rsp_size = sizeof(struct blkif_response),
	},
	[DUET_RING_BLKIF_X86_32] = {
		/* i386's union of a 108-byte request and a 12-byte
		 * response (duet/blkif.h) */
		.entry_size = 108,
		.req_size = 108,
		.rsp_size = 12,
	},
	[DUET_RING_BLKIF_X86_64] = {
		.entry_size = sizeof(union blkif_sring_entry),
		.req_size = sizeof(struct blkif_request),
		.rsp_size = sizeof(struct blkif_response),
	},
	[DUET_RING_NETIF_TX] = {
		.entry_size = sizeof(union netif_tx_sring_entry),
		.req_size = sizeof(struct netif_tx_request),
		.rsp_size = sizeof(struct netif_tx_response),
	},
	[DUET_RING_NETIF_RX] = {
		.entry_size = sizeof(union netif_rx_sring_entry),
		.req_size = sizeof(struct netif_rx_request),
		.rsp_size = sizeof(struct netif_rx_response),
	},
	[DUET_RING_NETIF_CTRL] = {
		.entry_size = sizeof(union xen_netif_ctrl_sring_entry),
		.req_size = sizeof(struct xen_netif_ctrl_request),
		.rsp_size = sizeof(struct xen_netif_ctrl_response),
	},
};

const struct duet_ring_desc *duet_ring_desc_get(enum duet_ring_type type)
{
	if ((unsigned)type >= sizeof(builtin_desc) / sizeof(builtin_desc[0]))
		return NULL;
	return &builtin_desc[type];
}

static int desc_ok(const struct duet_ring_desc *d)
{
	return d && d->entry_size && d->req_size <= d->entry_size &&
	       d->rsp_size <= d->entry_size &&
	       d->entry_size <= DUET_RING_PAGE_BYTES - DUET_RING_HDR_SIZE;
}

int duet_ring_entries(const struct duet_ring_desc *desc, unsigned order)
{
	size_t n;
	unsigned p = 1;

	if (!desc_ok(desc) || order > DUET_RING_MAX_ORDER)
		return -EINVAL;
	n = (((size_t)DUET_RING_PAGE_BYTES << order) - DUET_RING_HDR_SIZE) /
	    desc->entry_size;
	/* Round down to a power of two, like io/ring.h's __RD32(). */
	while ((size_t)p * 2 <= n)
		p *= 2;
	return (int)p;
}

/* ------------------------------------------------------------------ */
/* Ring object                                                         */
/* ------------------------------------------------------------------ */

/**
 * struct duet_ring - one end of a shared ring.
 * @desc:      entry shape (copied).
 * @end:       which end we drive.
 * @hdr:       the shared header (peer-writable memory).
 * @slots:     entry 0 in shared memory.
 * @nr_ents:   ring size in entries, a power of two.
 * @prod_pvt:  frontend: req_prod_pvt; backend: rsp_prod_pvt.
 * @cons:      frontend: rsp_cons; backend: req_cons.
 * @pushed:    the producer index we last published.
 * @broken:    a protocol violation was seen; every call fails -EPROTO.
 */
struct duet_ring {
	struct duet_ring_desc desc;
	enum duet_ring_end end;
	struct sring_hdr *hdr;
	unsigned char *slots;
	uint32_t nr_ents;
	uint32_t prod_pvt;
	uint32_t cons;
	uint32_t pushed;
	int broken;
};

int duet_ring_attach(const struct duet_ring_desc *desc,
		     enum duet_ring_end end, void *sring, unsigned order,
		     struct duet_ring **out)
{
	struct duet_ring *r;
	int n;

	if (!out || !sring || ((uintptr_t)sring & (DUET_RING_PAGE_BYTES - 1)) ||
	    (end != DUET_RING_FRONT && end != DUET_RING_BACK))
		return -EINVAL;
	n = duet_ring_entries(desc, order);
	if (n < 0)
		return n;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->desc = *desc;
	r->end = end;
	r->hdr = sring;
	r->slots = (unsigned char *)sring + DUET_RING_HDR_SIZE;
	r->nr_ents = (uint32_t)n;
	if (end == DUET_RING_FRONT) {
		/*
		 * SHARED_RING_INIT: the frontend owns the page before it
		 * grants it, so plain stores suffice; the grant and the
		 * xenstore write that follow order them for the backend.
		 */
		memset(sring, 0, DUET_RING_HDR_SIZE);
		r->hdr->req_event = 1;
		r->hdr->rsp_event = 1;
	} else {
		/*
		 * BACK_RING_ATTACH: start where the frontend's ring is.  A
		 * hostile start value is harmless: the overflow checks are
		 * relative to it.
		 */
		uint32_t start = __atomic_load_n(&r->hdr->rsp_prod,
						 __ATOMIC_ACQUIRE);

		r->prod_pvt = r->cons = r->pushed = start;
	}
	*out = r;
	return 0;
}

void duet_ring_detach(struct duet_ring *r)
{
	free(r);
}

unsigned duet_ring_size(const struct duet_ring *r)
{
	return r->nr_ents;
}

int duet_ring_broken(const struct duet_ring *r)
{
	return r->broken;
}

static void *slot(const struct duet_ring *r, uint32_t idx)
{
	return r->slots + (size_t)(idx & (r->nr_ents - 1)) * r->desc.entry_size;
}

/*
 * Copy one entry out of shared memory exactly once.  The compiler barrier
 * after memcpy() keeps the compiler from re-reading the shared slot in
 * place of the private copy (RING_COPY_REQUEST's discipline).
 */
static void copy_out(void *dst, const void *src, size_t n)
{
	memcpy(dst, src, n);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
}

static int violation(struct duet_ring *r, const char *what, uint32_t prod,
		     uint32_t base)
{
	if (!r->broken)
		duet_log(DUET_LOG_DEBUG,
			 "ring %p: %s (producer %u, base %u, size %u)",
			 (void *)r, what, prod, base, r->nr_ents);
	r->broken = 1;
	return -EPROTO;
}

/*
 * The hold-off test of RING_PUSH_*_AND_CHECK_NOTIFY: notify when the
 * peer's event index lies in (old, new], computed in wrapping arithmetic.
 */
static int need_notify(uint32_t old, uint32_t new, uint32_t event)
{
	return (uint32_t)(new - event) < (uint32_t)(new - old);
}

/*
 * Publish a producer index and decide on notification.
 * Release store: our entries (written before this call) are visible to
 * the peer before the index that covers them; pairs with the peer's
 * acquire load of the index (peek_prod() on our side of the protocol, an
 * rmb() after reading the index in Linux).
 * Full fence: the index store is globally visible before we read the
 * peer's event index; pairs with the fence in the peer's final check
 * between its event store and its re-read of our index, so that either
 * we see its new event or it sees our new index (no lost wake-up).
 */
static int publish(struct duet_ring *r, uint32_t *prod_field,
		   uint32_t *event_field)
{
	uint32_t old = r->pushed, new = r->prod_pvt, event;

	__atomic_store_n(prod_field, new, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	event = __atomic_load_n(event_field, __ATOMIC_RELAXED);
	r->pushed = new;
	return need_notify(old, new, event);
}

/*
 * Read the peer's producer index.  Acquire: entries the index covers are
 * read after it; pairs with the release store in the peer's publish().
 */
static uint32_t peek_prod(uint32_t *prod_field)
{
	return __atomic_load_n(prod_field, __ATOMIC_ACQUIRE);
}

/*
 * Arm the event index and re-check (RING_FINAL_CHECK_FOR_*).
 * Full fence: our event store is visible before we re-read the peer's
 * producer index; pairs with the fence in the peer's publish().
 */
static void arm_event(uint32_t *event_field, uint32_t value)
{
	__atomic_store_n(event_field, value, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* ------------------------------------------------------------------ */
/* Frontend                                                            */
/* ------------------------------------------------------------------ */

unsigned duet_ring_front_free(const struct duet_ring *r)
{
	return r->nr_ents - (r->prod_pvt - r->cons);
}

unsigned duet_ring_front_slot(const struct duet_ring *r)
{
	return r->prod_pvt & (r->nr_ents - 1);
}

int duet_ring_front_put_req(struct duet_ring *r, const void *req)
{
	if (r->broken)
		return -EPROTO;
	if (r->prod_pvt - r->cons >= r->nr_ents)
		return -ENOSPC;
	memcpy(slot(r, r->prod_pvt), req, r->desc.req_size);
	r->prod_pvt++;
	return 0;
}

int duet_ring_front_push(struct duet_ring *r)
{
	if (r->broken)
		return -EPROTO;
	return publish(r, &r->hdr->req_prod, &r->hdr->req_event);
}

/*
 * Responses available, or -EPROTO when the backend claims responses to
 * requests we never published (RING_RESPONSE_PROD_OVERFLOW, tightened to
 * the requests actually outstanding).
 */
static int front_avail(struct duet_ring *r, uint32_t *prod)
{
	*prod = peek_prod(&r->hdr->rsp_prod);
	if (*prod - r->cons > r->pushed - r->cons)
		return violation(r, "response producer beyond requests",
				 *prod, r->cons);
	return (int)(*prod - r->cons);
}

int duet_ring_front_get_rsp(struct duet_ring *r, void *rsp)
{
	uint32_t prod;
	int n;

	if (r->broken)
		return -EPROTO;
	n = front_avail(r, &prod);
	if (n <= 0)
		return n;
	copy_out(rsp, slot(r, r->cons), r->desc.rsp_size);
	r->cons++;
	return 1;
}

int duet_ring_front_final_check(struct duet_ring *r)
{
	uint32_t prod;
	int n;

	if (r->broken)
		return -EPROTO;
	n = front_avail(r, &prod);
	if (n)
		return n;
	arm_event(&r->hdr->rsp_event, r->cons + 1);
	return front_avail(r, &prod);
}

/* ------------------------------------------------------------------ */
/* Backend                                                             */
/* ------------------------------------------------------------------ */

unsigned duet_ring_back_pending(const struct duet_ring *r)
{
	return r->cons - r->prod_pvt;
}

/*
 * Requests we may consume now, or -EPROTO when the frontend claims more
 * outstanding requests than the ring holds (RING_REQUEST_PROD_OVERFLOW).
 * Bounded by free response slots (RING_REQUEST_CONS_OVERFLOW), so a
 * backend can never be made to hold more than a ring's worth.
 */
static int back_avail(struct duet_ring *r)
{
	uint32_t prod = peek_prod(&r->hdr->req_prod);
	uint32_t unconsumed, room;

	if (prod - r->prod_pvt > r->nr_ents)
		return violation(r, "request producer overflow", prod,
				 r->prod_pvt);
	unconsumed = prod - r->cons;
	/* prod - prod_pvt <= nr_ents and cons is between them. */
	room = r->nr_ents - (r->cons - r->prod_pvt);
	return (int)(unconsumed < room ? unconsumed : room);
}

int duet_ring_back_get_req(struct duet_ring *r, void *req)
{
	return duet_ring_back_get_reqs(r, req, 1);
}

int duet_ring_back_get_reqs(struct duet_ring *r, void *reqs, unsigned max)
{
	unsigned char *dst = reqs;
	int n, i;

	if (r->broken)
		return -EPROTO;
	n = back_avail(r);
	if (n <= 0)
		return n;
	if ((unsigned)n > max)
		n = (int)max;
	for (i = 0; i < n; i++) {
		copy_out(dst, slot(r, r->cons), r->desc.req_size);
		dst += r->desc.req_size;
		r->cons++;
	}
	return n;
}

int duet_ring_back_put_rsp(struct duet_ring *r, const void *rsp)
{
	if (r->broken)
		return -EPROTO;
	if (r->prod_pvt == r->cons)
		return -ENOSPC;
	memcpy(slot(r, r->prod_pvt), rsp, r->desc.rsp_size);
	r->prod_pvt++;
	return 0;
}

int duet_ring_back_push(struct duet_ring *r)
{
	if (r->broken)
		return -EPROTO;
	return publish(r, &r->hdr->rsp_prod, &r->hdr->rsp_event);
}

int duet_ring_back_unconsumed(struct duet_ring *r)
{
	return r->broken ? -EPROTO : back_avail(r);
}

int duet_ring_back_final_check(struct duet_ring *r)
{
	int n = duet_ring_back_unconsumed(r);

	if (n)
		return n;
	arm_event(&r->hdr->req_event, r->cons + 1);
	return back_avail(r);
}

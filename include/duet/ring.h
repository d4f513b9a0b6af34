/* SPDX-License-Identifier: MIT */
/*
 * duet/ring.h - shared rings on Xen's io/ring.h ABI.
 *
 * A shared ring is the layout DEFINE_RING_TYPES() produces in Xen's public
 * io/ring.h: a 64-byte header (req_prod, req_event, rsp_prod, rsp_event,
 * padding) followed by 2^k entries, each the union of one request and one
 * response.  It may span 1 << order contiguous pages (multi-page rings,
 * order 0..DUET_RING_MAX_ORDER as Linux allows).
 *
 * Who writes what (io/ring.h):
 *   req_prod   frontend, after the requests it covers are written
 *   rsp_prod   backend, after the responses it covers are written
 *   req_event  backend: "notify me when req_prod passes this"
 *   rsp_event  frontend: "notify me when rsp_prod passes this"
 *
 * The peer is not trusted.  Every entry is copied out of the shared page
 * exactly once into the caller's buffer before anything looks at it (the
 * double-fetch class of bugs, XSA-155), and a producer index that runs
 * more than a ring's size ahead of our consumer index is a protocol
 * violation reported as -EPROTO: the ring then stays broken (every later
 * call returns -EPROTO) and the caller disconnects the peer.
 *
 * A struct duet_ring is not thread-safe; one thread drives one end.
 */
#ifndef DUET_RING_H
#define DUET_RING_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Largest ring-page-order: 16 pages, as Linux's blkback/blkfront allow. */
#define DUET_RING_MAX_ORDER 4u
/** Bytes of one ring page (Xen pages are 4 KiB). */
#define DUET_RING_PAGE_BYTES 4096u
/** Bytes of the shared header before entry 0 (io/ring.h layout). */
#define DUET_RING_HDR_SIZE 64u

/** The ring types of Xen's block and network protocols. */
enum duet_ring_type {
	DUET_RING_BLKIF = 0,    /* blkif.h native: 112-byte entries */
	DUET_RING_NETIF_TX = 1, /* netif.h tx: 12-byte entries */
	DUET_RING_NETIF_RX = 2, /* netif.h rx: 8-byte entries */
	DUET_RING_NETIF_CTRL = 3, /* netif.h control ring */
	DUET_RING_BLKIF_X86_32 = 4, /* blkif "x86_32-abi": 108-byte
				     * requests, 12-byte responses */
	DUET_RING_BLKIF_X86_64 = 5, /* blkif "x86_64-abi" (and "arm-abi"):
				     * the native layout of 64-bit hosts */
};

/** Which end of the ring this process drives. */
enum duet_ring_end {
	DUET_RING_FRONT = 0, /* produces requests, consumes responses */
	DUET_RING_BACK = 1,  /* consumes requests, produces responses */
};

/**
 * struct duet_ring_desc - the shape of a ring type.
 * @entry_size: size of one slot (the request/response union).
 * @req_size:   bytes of a request copied in/out of a slot.
 * @rsp_size:   bytes of a response copied in/out of a slot.
 */
struct duet_ring_desc {
	size_t entry_size;
	size_t req_size;
	size_t rsp_size;
};

struct duet_ring;

/**
 * duet_ring_desc_get() - the descriptor of a built-in ring type.
 * Returns NULL for an unknown type.
 */
const struct duet_ring_desc *duet_ring_desc_get(enum duet_ring_type type);

/**
 * duet_ring_entries() - entries of a ring of @desc spanning 1 << @order
 * pages: (pages * 4096 - 64) / entry_size rounded down to a power of two,
 * exactly as io/ring.h's __CONST_RING_SIZE().  Returns the count, or
 * -EINVAL for an order above DUET_RING_MAX_ORDER or a bad descriptor.
 */
int duet_ring_entries(const struct duet_ring_desc *desc, unsigned order);

/**
 * duet_ring_attach() - drive one end of a shared ring.
 * @desc:  ring shape (duet_ring_desc_get() or the caller's own).
 * @end:   DUET_RING_FRONT or DUET_RING_BACK.
 * @sring: the shared pages, page aligned, 1 << @order pages, mapped
 *         read-write for the whole lifetime of the ring object.
 * @order: ring-page-order, 0..DUET_RING_MAX_ORDER.
 * @out:   receives the ring.
 *
 * The frontend initialises the shared header (indexes 0, events 1) as
 * SHARED_RING_INIT does; the backend takes the header as it finds it and
 * starts consuming at the frontend's current rsp_prod (a fresh ring has
 * 0).  Does not block.  Returns 0, -EINVAL, or -ENOMEM.
 */
int duet_ring_attach(const struct duet_ring_desc *desc,
		     enum duet_ring_end end, void *sring, unsigned order,
		     struct duet_ring **out);

/** duet_ring_detach() - free the ring object (not the pages); NULL ok. */
void duet_ring_detach(struct duet_ring *r);

/** duet_ring_size() - entries in the ring. */
unsigned duet_ring_size(const struct duet_ring *r);

/** duet_ring_broken() - 1 once a protocol violation was seen, else 0. */
int duet_ring_broken(const struct duet_ring *r);

/* ------------------------------------------------------------------ */
/* Frontend                                                            */
/* ------------------------------------------------------------------ */

/** duet_ring_front_free() - slots free for new requests (private view:
 *  includes requests queued but not yet pushed). */
unsigned duet_ring_front_free(const struct duet_ring *r);

/**
 * duet_ring_front_put_req() - queue one request (desc->req_size bytes
 * from @req) in the next free slot; the backend sees it after the next
 * duet_ring_front_push().  Returns 0, -ENOSPC when the ring is full, or
 * -EPROTO when the ring is broken.
 */
int duet_ring_front_put_req(struct duet_ring *r, const void *req);

/**
 * duet_ring_front_slot() - the slot index (0..size-1) the next
 * duet_ring_front_put_req() will use.  Protocols that expect a response in
 * the slot of its request (netif rx) use it to pick ids.
 */
unsigned duet_ring_front_slot(const struct duet_ring *r);

/**
 * duet_ring_front_push() - publish every queued request.
 * Returns 1 when the backend asked to be notified (its req_event lies in
 * the range just published: RING_PUSH_REQUESTS_AND_CHECK_NOTIFY), 0 when
 * no notification is needed (hold-off), -EPROTO when broken.
 */
int duet_ring_front_push(struct duet_ring *r);

/**
 * duet_ring_front_get_rsp() - copy the next response out of the ring into
 * @rsp (desc->rsp_size bytes), reading the shared slot exactly once.
 * Returns 1 with a response, 0 when none is available, -EPROTO when the
 * backend's rsp_prod claims more responses than requests outstanding (the
 * ring is then broken).
 */
int duet_ring_front_get_rsp(struct duet_ring *r, void *rsp);

/**
 * duet_ring_front_final_check() - RING_FINAL_CHECK_FOR_RESPONSES: returns
 * the number of responses available (> 0: keep consuming); when none is,
 * asks to be notified on the next one (rsp_event = rsp_cons + 1), checks
 * once more, and returns 0 only when the ring is really idle.  -EPROTO
 * when broken.
 */
int duet_ring_front_final_check(struct duet_ring *r);

/* ------------------------------------------------------------------ */
/* Backend                                                             */
/* ------------------------------------------------------------------ */

/**
 * duet_ring_back_get_req() - copy the next request into @req (req_size
 * bytes), reading the shared slot exactly once.
 * Returns 1 with a request, 0 when none is available or when every slot
 * is taken by a request still awaiting its response (the backend must
 * respond first: RING_REQUEST_CONS_OVERFLOW), -EPROTO when the frontend's
 * req_prod runs more than a ring's size ahead (the ring is then broken).
 */
int duet_ring_back_get_req(struct duet_ring *r, void *req);

/**
 * duet_ring_back_get_reqs() - up to @max requests into @reqs (an array of
 * req_size-byte elements).  Returns the count (0..max) or -EPROTO; the
 * requests copied before a violation are returned first, the violation on
 * the next call.
 */
int duet_ring_back_get_reqs(struct duet_ring *r, void *reqs, unsigned max);

/**
 * duet_ring_back_put_rsp() - queue one response (rsp_size bytes) in the
 * next response slot.  Returns 0, -ENOSPC when there is no consumed request
 * left to answer (a local bug), -EPROTO when broken.
 */
int duet_ring_back_put_rsp(struct duet_ring *r, const void *rsp);

/**
 * duet_ring_back_push() - publish queued responses.
 * Returns 1 when the frontend must be notified (RING_PUSH_RESPONSES_AND_
 * CHECK_NOTIFY), 0 for hold-off, -EPROTO when broken.
 */
int duet_ring_back_push(struct duet_ring *r);

/**
 * duet_ring_back_final_check() - RING_FINAL_CHECK_FOR_REQUESTS: the
 * number of unconsumed requests (> 0), or 0 after arming req_event and
 * re-checking; -EPROTO on a runaway req_prod.
 */
int duet_ring_back_final_check(struct duet_ring *r);

/**
 * duet_ring_back_unconsumed() - RING_HAS_UNCONSUMED_REQUESTS: requests the
 * backend may take now (>= 0) without arming req_event, for a backend that
 * polls; -EPROTO on a runaway req_prod.
 */
int duet_ring_back_unconsumed(struct duet_ring *r);

/** duet_ring_back_pending() - requests consumed but not yet answered. */
unsigned duet_ring_back_pending(const struct duet_ring *r);

#ifdef __cplusplus
}
#endif

#endif /* DUET_RING_H */

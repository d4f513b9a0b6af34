/* SPDX-License-Identifier: MIT */
/*
 * duet/blkif.h - blkif's per-guest ABIs.
 *
 * A blkfront writes <fe>/protocol ("x86_32-abi", "x86_64-abi",
 * "arm-abi"; absent means the backend's native ABI, xen/io/protocols.h).
 * The three differ only in alignment: a 32-bit x86 guest packs requests
 * to 4 bytes (id at offset 4, 108-byte requests, 12-byte responses),
 * while x86_64 and arm align id to 8 (offset 8, 112-byte requests,
 * 16-byte responses) — the native layout of every 64-bit host duet runs
 * on.  A backend attaches its ring with the descriptor of the frontend's
 * ABI, converts each request it copies out with duet_blkif_req_native(),
 * and may put native struct blkif_response values into any of the rings:
 * the first 12 bytes (id, operation, status) are laid out the same in
 * every ABI and the ring copies only its ABI's response size.
 */
#ifndef DUET_BLKIF_H
#define DUET_BLKIF_H

#include "duet/ring.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * duet_blkif_ring_type() - the ring type for a frontend's "protocol"
 * node; NULL (node absent) means native.  Returns DUET_RING_BLKIF,
 * DUET_RING_BLKIF_X86_32 or DUET_RING_BLKIF_X86_64, or -EINVAL for a
 * protocol this host cannot serve.
 */
int duet_blkif_ring_type(const char *protocol);

/**
 * duet_blkif_req_native() - convert a request copied out of a ring of
 * @type (the ring's req_size bytes at @in) into a native struct
 * blkif_request at @out (sizeof(struct blkif_request) bytes, zeroed
 * first).  Read/write/barrier/flush requests keep their segments,
 * discard its sector range and flag, indirect its grant refs; any other
 * operation keeps only operation and id so that the backend can answer
 * BLKIF_RSP_EOPNOTSUPP.  Pure function, no validation of the values.
 * Returns 0, or -EINVAL for a @type that is not a blkif ring.
 */
int duet_blkif_req_native(enum duet_ring_type type, const void *in,
			  void *out);

#ifdef __cplusplus
}
#endif

#endif /* DUET_BLKIF_H */

/* SPDX-License-Identifier: MIT */
/*
 * blkif-abi.c - blkif requests of 32-bit x86 guests ("x86_32-abi").
 *
 * Layouts are the facts of xen/io/blkif.h compiled by an i386 guest: the
 * same fields as the native structs, packed to 4 bytes.  The static
 * asserts pin every offset a 32-bit guest uses.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <xen/io/blkif.h>
#include <xen/io/protocols.h>

#include "duet/blkif.h"

#pragma pack(push, 4)
struct x86_32_req_rw {
	uint8_t operation;
	uint8_t nr_segments;
	uint16_t handle;
	uint64_t id;
	uint64_t sector_number;
	struct blkif_request_segment seg[BLKIF_MAX_SEGMENTS_PER_REQUEST];
};

struct x86_32_req_discard {
	uint8_t operation;
	uint8_t flag;
	uint16_t handle;
	uint64_t id;
	uint64_t sector_number;
	uint64_t nr_sectors;
};

struct x86_32_req_indirect {
	uint8_t operation;
	uint8_t indirect_op;
	uint16_t nr_segments;
	uint64_t id;
	uint64_t sector_number;
	uint16_t handle;
	uint16_t pad1;
	uint32_t indirect_grefs[BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST];
	uint64_t pad2;
};

struct x86_32_rsp {
	uint64_t id;
	uint8_t operation;
	int16_t status;
};
#pragma pack(pop)

_Static_assert(sizeof(struct x86_32_req_rw) == 108 &&
		       offsetof(struct x86_32_req_rw, id) == 4 &&
		       offsetof(struct x86_32_req_rw, sector_number) == 12 &&
		       offsetof(struct x86_32_req_rw, seg) == 20,
	       "x86_32 read/write request layout");
_Static_assert(offsetof(struct x86_32_req_discard, nr_sectors) == 20,
	       "x86_32 discard request layout");
_Static_assert(sizeof(struct x86_32_req_indirect) == 64 &&
		       offsetof(struct x86_32_req_indirect, handle) == 20 &&
		       offsetof(struct x86_32_req_indirect,
				indirect_grefs) == 24,
	       "x86_32 indirect request layout");
_Static_assert(sizeof(struct x86_32_rsp) == 12 &&
		       offsetof(struct x86_32_rsp, status) ==
			       offsetof(struct blkif_response, status) &&
		       offsetof(struct x86_32_rsp, operation) ==
			       offsetof(struct blkif_response, operation),
	       "a native response's first 12 bytes are an x86_32 response");
_Static_assert(sizeof(struct blkif_request) == 112 &&
		       offsetof(struct blkif_request, id) == 8,
	       "duet runs on 64-bit hosts: native is the x86_64 layout");

int duet_blkif_ring_type(const char *protocol)
{
	if (!protocol || !strcmp(protocol, XEN_IO_PROTO_ABI_NATIVE))
		return DUET_RING_BLKIF;
	if (!strcmp(protocol, XEN_IO_PROTO_ABI_X86_32))
		return DUET_RING_BLKIF_X86_32;
	if (!strcmp(protocol, XEN_IO_PROTO_ABI_X86_64) ||
	    !strcmp(protocol, XEN_IO_PROTO_ABI_ARM))
		return DUET_RING_BLKIF_X86_64;
	return -EINVAL;
}

static void from_x86_32(const void *in, struct blkif_request *out)
{
	const struct x86_32_req_rw *rw = in;
	const struct x86_32_req_discard *d = in;
	const struct x86_32_req_indirect *ind = in;
	struct blkif_request_discard *nd = (void *)out;
	struct blkif_request_indirect *ni = (void *)out;

	out->operation = rw->operation;
	switch (rw->operation) {
	case BLKIF_OP_READ:
	case BLKIF_OP_WRITE:
	case BLKIF_OP_WRITE_BARRIER:
	case BLKIF_OP_FLUSH_DISKCACHE:
		out->nr_segments = rw->nr_segments;
		out->handle = rw->handle;
		out->id = rw->id;
		out->sector_number = rw->sector_number;
		memcpy(out->seg, rw->seg, sizeof(out->seg));
		break;
	case BLKIF_OP_DISCARD:
		nd->flag = d->flag;
		nd->handle = d->handle;
		nd->id = d->id;
		nd->sector_number = d->sector_number;
		nd->nr_sectors = d->nr_sectors;
		break;
	case BLKIF_OP_INDIRECT:
		ni->indirect_op = ind->indirect_op;
		ni->nr_segments = ind->nr_segments;
		ni->id = ind->id;
		ni->sector_number = ind->sector_number;
		ni->handle = ind->handle;
		memcpy(ni->indirect_grefs, ind->indirect_grefs,
		       sizeof(ni->indirect_grefs));
		break;
	default:
		out->id = rw->id;
		break;
	}
}

int duet_blkif_req_native(enum duet_ring_type type, const void *in,
			  void *out)
{
	if (!in || !out)
		return -EINVAL;
	switch (type) {
	case DUET_RING_BLKIF:
	case DUET_RING_BLKIF_X86_64:
		memcpy(out, in, sizeof(struct blkif_request));
		return 0;
	case DUET_RING_BLKIF_X86_32:
		memset(out, 0, sizeof(struct blkif_request));
		from_x86_32(in, out);
		return 0;
	default:
		return -EINVAL;
	}
}

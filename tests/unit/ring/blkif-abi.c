/* SPDX-License-Identifier: MIT */
/*
 * blkif's guest ABIs: the "protocol" node maps to a ring type, a 32-bit
 * guest's ring has 108-byte slots (32 per page), and its requests, built
 * here byte by byte at the offsets an i386 compiler uses, convert to the
 * native layout for read/write, discard, indirect and unknown operations;
 * a native response lands in an x86_32 slot where an i386 guest reads it.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <xen/io/blkif.h>

#include "duet/blkif.h"
#include "ring-test.h"

static void put16(uint8_t *b, size_t off, uint16_t v)
{
	memcpy(b + off, &v, 2);
}

static void put32(uint8_t *b, size_t off, uint32_t v)
{
	memcpy(b + off, &v, 4);
}

static void put64(uint8_t *b, size_t off, uint64_t v)
{
	memcpy(b + off, &v, 8);
}

static void protocols(void)
{
	is_int(duet_blkif_ring_type(NULL), DUET_RING_BLKIF, "absent: native");
	is_int(duet_blkif_ring_type("x86_32-abi"), DUET_RING_BLKIF_X86_32,
	       "x86_32-abi");
	is_int(duet_blkif_ring_type("x86_64-abi"), DUET_RING_BLKIF,
	       "x86_64-abi is native here");
	is_int(duet_blkif_ring_type("arm-abi"), DUET_RING_BLKIF_X86_64,
	       "arm-abi has the 64-bit layout");
	is_int(duet_blkif_ring_type("x86_32-abi "), -EINVAL,
	       "trailing space refused");
	is_int(duet_blkif_ring_type("ia64-abi"), -EINVAL, "ia64 refused");
	is_int(duet_ring_entries(duet_ring_desc_get(DUET_RING_BLKIF_X86_32), 0),
	       32, "x86_32: 32 entries per page");
	is_int(duet_ring_entries(duet_ring_desc_get(DUET_RING_BLKIF_X86_32), 4),
	       512, "x86_32: 512 entries in 16 pages");
	is_int(duet_blkif_req_native(DUET_RING_NETIF_TX, "", (char[112]){ 0 }),
	       -EINVAL, "a netif ring type is refused");
}

static void read_write(void)
{
	struct blkif_request n;
	uint8_t b[108];
	int i, good = 1;

	memset(b, 0xee, sizeof(b));
	b[0] = BLKIF_OP_WRITE;
	b[1] = 11;
	put16(b, 2, 0x1234);
	put64(b, 4, 0x1122334455667788ull);
	put64(b, 12, 0x0102030405060708ull);
	for (i = 0; i < 11; i++) {
		put32(b, 20 + 8 * i, 1000 + i);
		b[24 + 8 * i] = i % 8;
		b[25 + 8 * i] = 7;
	}
	is_int(duet_blkif_req_native(DUET_RING_BLKIF_X86_32, b, &n), 0,
	       "x86_32 write converts");
	ok(n.operation == BLKIF_OP_WRITE && n.nr_segments == 11 &&
		   n.handle == 0x1234,
	   "operation, segment count, handle");
	ok(n.id == 0x1122334455667788ull, "id from offset 4");
	ok(n.sector_number == 0x0102030405060708ull, "sector from offset 12");
	for (i = 0; i < 11; i++)
		good &= n.seg[i].gref == (grant_ref_t)(1000 + i) &&
			n.seg[i].first_sect == i % 8 && n.seg[i].last_sect == 7;
	ok(good, "all 11 segments");
}

static void discard_indirect_other(void)
{
	struct blkif_request n;
	struct blkif_request_discard *d = (void *)&n;
	struct blkif_request_indirect *ind = (void *)&n;
	uint8_t b[108];
	int i, good = 1;

	memset(b, 0, sizeof(b));
	b[0] = BLKIF_OP_DISCARD;
	b[1] = BLKIF_DISCARD_SECURE;
	put64(b, 4, 77);
	put64(b, 12, 4096);
	put64(b, 20, 1u << 20);
	duet_blkif_req_native(DUET_RING_BLKIF_X86_32, b, &n);
	ok(d->operation == BLKIF_OP_DISCARD && d->flag == BLKIF_DISCARD_SECURE &&
		   d->id == 77 && d->sector_number == 4096 &&
		   d->nr_sectors == 1u << 20,
	   "x86_32 discard: flag, id, sector, count");

	memset(b, 0, sizeof(b));
	b[0] = BLKIF_OP_INDIRECT;
	b[1] = BLKIF_OP_READ;
	put16(b, 2, 256);
	put64(b, 4, 99);
	put64(b, 12, 8);
	put16(b, 20, 51712);
	for (i = 0; i < 8; i++)
		put32(b, 24 + 4 * i, 500 + i);
	duet_blkif_req_native(DUET_RING_BLKIF_X86_32, b, &n);
	for (i = 0; i < 8; i++)
		good &= ind->indirect_grefs[i] == (grant_ref_t)(500 + i);
	ok(ind->operation == BLKIF_OP_INDIRECT &&
		   ind->indirect_op == BLKIF_OP_READ &&
		   ind->nr_segments == 256 && ind->id == 99 &&
		   ind->sector_number == 8 && ind->handle == 51712 && good,
	   "x86_32 indirect: op, segments, id, sector, handle, 8 refs");

	memset(b, 0x5a, sizeof(b));
	b[0] = 4;
	put64(b, 4, 42);
	duet_blkif_req_native(DUET_RING_BLKIF_X86_32, b, &n);
	ok(n.operation == 4 && n.id == 42 && n.nr_segments == 0 &&
		   n.sector_number == 0,
	   "unknown op: only operation and id survive");
}

static void through_a_ring(void)
{
	struct blkif_response rsp = { .id = 0xabcdef, .operation = 1,
				      .status = BLKIF_RSP_EOPNOTSUPP };
	struct pair p;
	uint8_t req[108], got[108], back[16];
	int16_t st;

	pair_open(&p, DUET_RING_BLKIF_X86_32, 0);
	memset(req, 0x3c, sizeof(req));
	duet_ring_front_put_req(p.front, req);
	duet_ring_front_put_req(p.front, req);
	duet_ring_front_push(p.front);
	ok(duet_ring_back_get_req(p.back, got) == 1 &&
		   !memcmp(got, req, sizeof(req)),
	   "a 108-byte request crosses the ring");
	ok(!memcmp((uint8_t *)p.mem + 64 + 108, req, sizeof(req)),
	   "the second request sits 108 bytes after the first");
	duet_ring_back_put_rsp(p.back, &rsp);
	duet_ring_back_push(p.back);
	memset(back, 0, sizeof(back));
	memcpy(back, (uint8_t *)p.mem + 64, 12);
	memcpy(&st, back + 10, 2);
	ok(back[8] == 1 && st == BLKIF_RSP_EOPNOTSUPP,
	   "a native response reads right at i386 offsets");
	ok(((uint8_t *)p.mem)[64 + 12] == 0x3c,
	   "the response writes only 12 bytes of the slot");
	pair_close(&p);
}

int main(void)
{
	protocols();
	read_write();
	discard_indirect_other();
	through_a_ring();
	return done_testing();
}

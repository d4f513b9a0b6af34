/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: a hostile peer on both ends of a shared ring.
 *
 * The input is a program: each byte picks an action of the peer (rewrite a
 * producer or event index, scribble over slots) or of our end (consume,
 * respond, push, final check), on a ring whose type and page order come
 * from the first two bytes.  Whatever the peer does, the ring code must
 * not crash, read or write outside the ring, hand out more requests than
 * the ring holds, or recover from -EPROTO once broken.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "duet/ring.h"

static uint32_t take32(const uint8_t **d, size_t *n)
{
	uint32_t v = 0;
	size_t k = *n < 4 ? *n : 4;

	memcpy(&v, *d, k);
	*d += k;
	*n -= k;
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char mem[DUET_RING_PAGE_BYTES << DUET_RING_MAX_ORDER]
		__attribute__((aligned(4096)));
	unsigned char reqs[16][128], one[128];
	struct duet_ring *back = NULL, *front = NULL;
	uint32_t *hdr = (uint32_t *)mem;
	unsigned order, type, size_ents;
	int back_broken = 0, front_broken = 0;
	size_t len;

	if (size < 2)
		return 0;
	type = data[0] % 4;
	order = data[1] % (DUET_RING_MAX_ORDER + 1);
	data += 2;
	size -= 2;
	len = (size_t)DUET_RING_PAGE_BYTES << order;
	memset(mem, 0, len);
	if (duet_ring_attach(duet_ring_desc_get(type), DUET_RING_FRONT, mem,
			     order, &front) ||
	    duet_ring_attach(duet_ring_desc_get(type), DUET_RING_BACK, mem,
			     order, &back))
		abort();
	size_ents = duet_ring_size(back);

	while (size) {
		uint8_t op = *data++;
		int rc;

		size--;
		switch (op % 10) {
		case 0: /* peer frontend moves req_prod anywhere */
			hdr[0] = take32(&data, &size);
			break;
		case 1: /* peer backend moves rsp_prod anywhere */
			hdr[2] = take32(&data, &size);
			break;
		case 2: /* peer rewrites event indexes */
			hdr[1] = take32(&data, &size);
			hdr[3] = take32(&data, &size);
			break;
		case 3: { /* peer scribbles over a slot */
			uint32_t off = take32(&data, &size) % (uint32_t)len;
			size_t k = size < 64 ? size : 64;

			if (off + k > len)
				k = len - off;
			memcpy(mem + off, data, k);
			data += k;
			size -= k;
			break;
		}
		case 4: /* backend consumes a batch */
			rc = duet_ring_back_get_reqs(back, reqs, 16);
			if (back_broken && rc != -EPROTO)
				abort();
			if (rc > 16 || duet_ring_back_pending(back) > size_ents)
				abort();
			if (rc == -EPROTO)
				back_broken = 1;
			break;
		case 5: /* backend answers everything and pushes */
			while (duet_ring_back_pending(back) &&
			       duet_ring_back_put_rsp(back, one) == 0)
				;
			rc = duet_ring_back_push(back);
			if (back_broken && rc != -EPROTO)
				abort();
			break;
		case 6:
			rc = duet_ring_back_final_check(back);
			if (rc > (int)size_ents || (back_broken && rc != -EPROTO))
				abort();
			if (rc == -EPROTO)
				back_broken = 1;
			break;
		case 7: /* frontend queues and pushes a request */
			memset(one, op, sizeof(one));
			duet_ring_front_put_req(front, one);
			rc = duet_ring_front_push(front);
			if (front_broken && rc != -EPROTO)
				abort();
			break;
		case 8: { /* frontend drains responses: bounded */
			unsigned k = 0;

			while ((rc = duet_ring_front_get_rsp(front, one)) == 1)
				if (++k > size_ents)
					abort();
			if (front_broken && rc != -EPROTO)
				abort();
			if (rc == -EPROTO)
				front_broken = 1;
			break;
		}
		case 9:
			rc = duet_ring_front_final_check(front);
			if (rc > (int)size_ents ||
			    (front_broken && rc != -EPROTO))
				abort();
			if (rc == -EPROTO)
				front_broken = 1;
			break;
		}
		if (duet_ring_front_free(front) > size_ents)
			abort();
	}
	duet_ring_detach(front);
	duet_ring_detach(back);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * copy.c - duet_copy_bytes(), the simulator's grant-copy memmove (its
 * daemon's and its clients' copy-area staging).
 */
#include <stdint.h>
#include <string.h>

#include "gnttab/private.h"

/*
 * glibc's memmove() uses rep movsb from 4 KiB up (one page, every full
 * segment); on the AMD EPYC guest of issue #16 that ran at a quarter of
 * the speed of vector loads and stores where source and destination were
 * last touched on another core (the daemon's copy per 64 KiB frame:
 * 33-39 us with rep movsb, 8-16 us without; a client's 32 x 4 KiB copy
 * from grants: 2.6 us per page).  The fixed-size memcpy() compiles to
 * vector moves; the loop is kept from turning back into a memcpy() call.
 */
#ifdef __clang__
#define NO_MEMCPY_IDIOM
#else
#define NO_MEMCPY_IDIOM \
	__attribute__((optimize("no-tree-loop-distribute-patterns")))
#endif
NO_MEMCPY_IDIOM
void duet_copy_bytes(void *dst, const void *src, size_t len)
{
	uint8_t *to = dst;
	const uint8_t *from = src;

	if ((to < from + len && from < to + len) || len < 256) {
		memmove(to, from, len);
		return;
	}
	for (; len >= 64; len -= 64, to += 64, from += 64)
		memcpy(to, from, 64);
	memcpy(to, from, len);
}

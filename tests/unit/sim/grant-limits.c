/* SPDX-License-Identifier: MIT */
/*
 * grant-limits.c - sim grants: the limits of one call answer what the
 * kernel drivers answer on Xen.  A share of more than 1024 pages is
 * -ENOSPC and shares nothing (gntalloc's default limit); a map of more
 * refs than one MAP request carries is sent in chunks and lands as one
 * contiguous mapping; a bad ref in a later chunk fails the whole map with
 * -EINVAL and leaves nothing mapped; more than 65536 refs is -EINVAL
 * (gntdev's default limit).
 */
#include "tap.h"
#include "lib/simtest.h"

#define NMAP 300 /* three MAP requests: 128 + 128 + 44 */

int main(void)
{
	static duet_grant_ref_t refs[1025], mix[NMAP], many[65537];
	struct duet_platform *p1, *p2;
	unsigned d1, d2, i, right;
	char *a, *b, *m = NULL;
	void *x = NULL;

	simtest_pair(0, &d1, &p1, &d2, &p2);

	is_int(duet_gnt_share(p1, d2, 1025, 0, refs, (void **)&a), -ENOSPC,
	       "share of 1025 pages: -ENOSPC (gntalloc's limit)");
	is_int(duet_gnt_share(p1, d2, 1024, 0, refs, (void **)&a), 0,
	       "share of 1024 pages");
	is_int(duet_gnt_share(p1, d2, 1, 0, &refs[1024], (void **)&b), 0,
	       "one more page");
	ok(refs[1024] == refs[1023] + 1,
	   "the refused share took no entry (next ref %u after %u)",
	   refs[1024], refs[1023]);

	for (i = 0; i < NMAP; i++)
		snprintf(a + (size_t)i * DUET_PAGE_SIZE, 32, "page %u", i);
	is_int(duet_gnt_map(p2, d1, NMAP, refs, 0, (void **)&m), 0,
	       "map of %d refs (more than one MAP request)", NMAP);
	for (right = 0, i = 0; m && i < NMAP; i++) {
		char want[32];

		snprintf(want, sizeof(want), "page %u", i);
		right += !strcmp(m + (size_t)i * DUET_PAGE_SIZE, want);
	}
	is_int(right, NMAP, "every page in its place, contiguous");
	strcpy(m + 299 * (size_t)DUET_PAGE_SIZE, "written");
	is_str(a + 299 * (size_t)DUET_PAGE_SIZE, "written",
	       "a write in the last chunk reaches the granter");
	is_int(duet_gnt_unshare(p1, a, 1024), -EBUSY,
	       "end of access while mapped: -EBUSY");
	is_int(duet_gnt_unmap(p2, m, NMAP), 0, "unmap all chunks");
	is_int(duet_gnt_unmap(p2, m, NMAP), -EINVAL, "second unmap: -EINVAL");

	memcpy(mix, refs, sizeof(mix));
	mix[280] = refs[1024] + 100;
	is_int(duet_gnt_map(p2, d1, NMAP, mix, 0, &x), -EINVAL,
	       "a bad ref in the third chunk: -EINVAL");
	ok(x == NULL, "  no address handed out");
	is_int(duet_gnt_unshare(p1, a, 1024), 0,
	       "  the first two chunks were let go (end of access works)");
	memcpy(many, refs, sizeof(refs));
	is_int(duet_gnt_map(p2, d1, 65537, many, 0, &x), -EINVAL,
	       "map of 65537 refs: -EINVAL (gntdev's limit)");
	is_int(duet_gnt_unshare(p1, b, 1), 0, "unshare the last page");

	duet_platform_close(p2);
	duet_platform_close(p1);
	return done_testing();
}

/* SPDX-License-Identifier: MIT */
/*
 * grant-busy.c - sim grants: a mapped grant is in use, so ending access
 * answers -EBUSY (and the pages stay valid) until the grantee unmaps.
 */
#include "tap.h"
#include "lib/simtest.h"

int main(void)
{
	struct duet_platform *p1, *p2;
	duet_grant_ref_t refs[2];
	unsigned d1, d2;
	char *a, *m1, *m2;
	void *x;

	simtest_pair(0, &d1, &p1, &d2, &p2);

	is_int(duet_gnt_share(p1, d2, 2, 0, refs, (void **)&a), 0, "share");
	is_int(duet_gnt_map(p2, d1, 1, &refs[1], 0, (void **)&m1), 0,
	       "map page 1");
	is_int(duet_gnt_map(p2, d1, 1, &refs[1], 0, (void **)&m2), 0,
	       "map page 1 a second time");
	is_int(duet_gnt_unshare(p1, a, 2), -EBUSY, "unshare while mapped: "
	       "-EBUSY");
	strcpy(a + DUET_PAGE_SIZE, "still shared");
	is_str(m1, "still shared", "pages stay valid after -EBUSY");
	is_int(duet_gnt_unmap(p2, m1, 1), 0, "unmap the first mapping");
	is_int(duet_gnt_unshare(p1, a, 2), -EBUSY,
	       "still -EBUSY while the second mapping exists");
	is_int(duet_gnt_unmap(p2, m2, 1), 0, "unmap the second mapping");
	is_int(duet_gnt_unshare(p1, a, 2), 0, "unshare after unmap");
	is_int(duet_gnt_map(p2, d1, 1, &refs[0], 0, &x), -EINVAL,
	       "the refs are free again: map -EINVAL");
	is_int(duet_gnt_unshare(p1, a, 1), -EINVAL,
	       "unshare of an unknown range: -EINVAL");
	duet_platform_close(p2);
	duet_platform_close(p1);
	return done_testing();
}

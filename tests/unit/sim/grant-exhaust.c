/* SPDX-License-Identifier: MIT */
/*
 * grant-exhaust.c - sim grants: the table is bounded (here 1 frame = 512
 * entries, 8 reserved); running out answers -ENOSPC, shares nothing, and
 * corrupts nothing that was already granted.
 */
#include "tap.h"
#include "lib/simtest.h"

#define USABLE (512 - 8)

int main(void)
{
	struct duet_platform *p1, *p2;
	static duet_grant_ref_t refs[USABLE + 2];
	duet_grant_ref_t r2[2], one;
	unsigned d1, d2, i, distinct = 1;
	char *a, *b, *c, *m;

	simtest_pair(1, &d1, &p1, &d2, &p2);

	is_int(duet_gnt_share(p1, d2, USABLE - 1, 0, refs, (void **)&a), 0,
	       "share all but one entry");
	for (i = 1; i < USABLE - 1; i++)
		distinct &= refs[i] != refs[i - 1] && refs[i] >= 8 &&
			    refs[i] < 512;
	ok(distinct, "refs are distinct and in range");
	is_int(duet_gnt_share(p1, d2, 2, 0, r2, (void **)&b), -ENOSPC,
	       "two more pages: -ENOSPC");
	is_int(duet_gnt_share(p1, d2, 1, 0, &one, (void **)&c), 0,
	       "the last entry is still free after the refused share");
	is_int(duet_gnt_share(p1, d2, 1, 0, r2, (void **)&b), -ENOSPC,
	       "table full: -ENOSPC");
	is_int(duet_gnt_transfer_offer(p1, d2, 1, r2), -ENOSPC,
	       "accept-transfer grants come from the same table: -ENOSPC");
	strcpy(a + 100 * DUET_PAGE_SIZE, "intact");
	is_int(duet_gnt_map(p2, d1, 1, &refs[100], 0, (void **)&m), 0,
	       "existing grants still map");
	is_str(m, "intact", "with the right contents");
	is_int(duet_gnt_unmap(p2, m, 1), 0, "unmap");
	is_int(duet_gnt_unshare(p1, c, 1), 0, "free one entry");
	is_int(duet_gnt_share(p1, d2, 1, 0, &one, (void **)&c), 0,
	       "and it can be granted again");
	is_int(duet_gnt_unshare(p1, c, 1), 0, "unshare");
	is_int(duet_gnt_unshare(p1, a, USABLE - 1), 0, "unshare the rest");
	duet_platform_close(p2);
	duet_platform_close(p1);
	return done_testing();
}

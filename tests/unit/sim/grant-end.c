/* SPDX-License-Identifier: MIT */
/*
 * grant-end.c - duet_gnt_end_share(): a share nobody maps ends at once; a
 * share the grantee still maps is deferred (1), kept alive, retried by
 * later calls and duet_gnt_reap(), and ends once the grantee unmaps;
 * platform close drops what is still waiting (the ASan build checks
 * that nothing leaks).
 */
#include "tap.h"
#include "lib/simtest.h"

int main(void)
{
	struct duet_platform *p1, *p2;
	duet_grant_ref_t r1, r2, r3;
	unsigned d1, d2;
	char *a, *b, *c, *m, *mc;
	void *x;

	simtest_pair(0, &d1, &p1, &d2, &p2);

	duet_gnt_share(p1, d2, 1, 0, &r1, (void **)&a);
	is_int(duet_gnt_end_share(p1, a, 1), 0, "unmapped share: ended (0)");
	is_int(duet_gnt_map(p2, d1, 1, &r1, 0, &x), -EINVAL,
	       "  its ref is free: map -EINVAL");

	duet_gnt_share(p1, d2, 1, 0, &r2, (void **)&b);
	is_int(duet_gnt_map(p2, d1, 1, &r2, 0, (void **)&m), 0, "map");
	strcpy(b, "granted");
	is_int(duet_gnt_end_share(p1, b, 1), 1, "mapped share: deferred (1)");
	is_str(m, "granted", "  the grantee's mapping stays valid");
	is_int(duet_gnt_reap(p1), 1, "reap: one still waits");
	duet_gnt_share(p1, d2, 1, 0, &r3, (void **)&c);
	is_int(duet_gnt_map(p2, d1, 1, &r3, 0, (void **)&mc), 0,
	       "map a second share");
	is_int(duet_gnt_end_share(p1, c, 1), 1, "  deferred too");
	is_int(duet_gnt_unmap(p2, m, 1), 0, "the grantee unmaps the first");
	is_int(duet_gnt_reap(p1), 1, "reap ends it; the second still waits");
	is_int(duet_gnt_map(p2, d1, 1, &r2, 0, &x), -EINVAL,
	       "  the first ref is free: map -EINVAL");
	is_int(duet_gnt_end_share(p1, NULL, 1), -EINVAL, "NULL address");
	is_int(duet_gnt_reap(NULL), -EINVAL, "reap(NULL)");
	duet_platform_close(p1);
	is_int(duet_gnt_unmap(p2, mc, 1), 0, "the grantee unmaps the second");
	duet_platform_close(p2);
	return done_testing();
}

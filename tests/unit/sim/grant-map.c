/* SPDX-License-Identifier: MIT */
/*
 * grant-map.c - sim grants: a granted page maps in the grantee and every
 * refusal rule of map (wrong domain, ref out of range, unused ref, no such
 * domain) maps nothing and answers -EINVAL, as Linux's gntdev does on Xen
 * for any grant the hypervisor refuses.
 */
#include "tap.h"
#include "lib/simtest.h"

int main(void)
{
	struct duet_platform *p1, *p2, *p3;
	duet_grant_ref_t refs[3], bad;
	unsigned d1, d2, d3;
	char *a, *m = NULL;
	void *x = NULL;

	simtest_start(0);
	d1 = simtest_domain("granter");
	d2 = simtest_domain("grantee");
	d3 = simtest_domain("bystander");
	p1 = simtest_open(d1);
	p2 = simtest_open(d2);
	p3 = simtest_open(d3);
	is_int(duet_platform_domid(p2), d2, "platform knows its domid");
	ok(duet_platform_caps(p1) & DUET_PLATFORM_CAP_TRANSFER,
	   "sim offers transfer");

	is_int(duet_gnt_share(p1, d2, 3, 0, refs, (void **)&a), 0,
	       "share 3 pages with the grantee");
	ok(refs[0] >= 8, "refs 0..7 are reserved (got %u)", refs[0]);
	strcpy(a, "page0");
	strcpy(a + 2 * DUET_PAGE_SIZE, "page2");

	is_int(duet_gnt_map(p2, d1, 3, refs, 0, (void **)&m), 0,
	       "grantee maps all three");
	is_str(m, "page0", "grantee sees page 0");
	is_str(m + 2 * DUET_PAGE_SIZE, "page2", "grantee sees page 2");
	strcpy(m + DUET_PAGE_SIZE, "from grantee");
	is_str(a + DUET_PAGE_SIZE, "from grantee",
	       "granter sees the grantee's write (same pages)");
	is_int(duet_gnt_unmap(p2, m, 3), 0, "unmap");
	is_int(duet_gnt_unmap(p2, m, 3), -EINVAL, "second unmap: -EINVAL");

	is_int(duet_gnt_map(p3, d1, 1, refs, 0, &x), -EINVAL,
	       "another domain maps it: -EINVAL");
	is_int(duet_gnt_map(p1, d1, 1, refs, 0, &x), -EINVAL,
	       "the granter itself maps it: -EINVAL (granted to d2 only)");
	bad = 64 * 512;
	is_int(duet_gnt_map(p2, d1, 1, &bad, 0, &x), -EINVAL,
	       "ref past the table: -EINVAL");
	bad = 0xffffffffu;
	is_int(duet_gnt_map(p2, d1, 1, &bad, 0, &x), -EINVAL,
	       "ref 0xffffffff: -EINVAL");
	bad = 3;
	is_int(duet_gnt_map(p2, d1, 1, &bad, 0, &x), -EINVAL,
	       "reserved ref: -EINVAL");
	bad = refs[2] + 100;
	is_int(duet_gnt_map(p2, d1, 1, &bad, 0, &x), -EINVAL,
	       "unused ref: -EINVAL");
	is_int(duet_gnt_map(p2, 999, 1, refs, 0, &x), -EINVAL,
	       "no such granter domain: -EINVAL");
	{
		duet_grant_ref_t mix[2] = { refs[0], refs[2] + 100 };

		is_int(duet_gnt_map(p2, d1, 2, mix, 0, &x), -EINVAL,
		       "one bad ref fails the whole map");
		is_int(duet_gnt_unshare(p1, a, 3), 0,
		       "nothing stayed mapped after the failed map");
	}
	is_int(duet_gnt_map(p2, d1, 1, refs, 0, &x), -EINVAL,
	       "map after end of access: -EINVAL");
	is_int(duet_gnt_unshare(p1, a, 3), -EINVAL,
	       "second unshare: -EINVAL");
	ok(x == NULL, "no address was handed out by any refused map");

	duet_platform_close(p3);
	duet_platform_close(p2);
	duet_platform_close(p1);
	return done_testing();
}

/* SPDX-License-Identifier: MIT */
/*
 * The platform interface's own checks, over a stand-in platform whose
 * "grants" are plain local memory: platform selection and its errors,
 * argument checks before any hook runs, per-segment copy status (a bad
 * segment fails alone, the rest of the batch runs), the GNTST_* table, and
 * -EOPNOTSUPP for hooks a platform lacks (transfer on Xen).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gnttab/core.c"
#include "tap.h"

static unsigned char pages[4][DUET_PAGE_SIZE] __attribute__((aligned(4096)));
static int hook_calls;

static int local_open(struct duet_platform *p, const char *arg)
{
	return 0;
}

static void local_close(struct duet_platform *p)
{
}

static int local_domid(struct duet_platform *p)
{
	return 3;
}

/* Grant refs are indexes into pages[]; domid 1 is the only granter. */
static int local_copy(struct duet_platform *p, struct duet_gnt_copy_seg *segs,
		      unsigned count)
{
	unsigned i;

	hook_calls++;
	for (i = 0; i < count; i++) {
		struct duet_gnt_copy_seg *s = &segs[i];
		unsigned char *src, *dst;

		if (s->status)
			continue;
		if (s->flags & DUET_GNT_COPY_SRC_GREF) {
			if (s->src.foreign.domid != 1 ||
			    s->src.foreign.ref >= 4) {
				s->status = (int16_t)duet_gnttab_status_to_errno(
					GNTST_bad_gntref);
				continue;
			}
			src = pages[s->src.foreign.ref] + s->src.foreign.offset;
		} else {
			src = s->src.virt;
		}
		if (s->flags & DUET_GNT_COPY_DST_GREF) {
			if (s->dst.foreign.domid != 1 ||
			    s->dst.foreign.ref >= 4) {
				s->status = (int16_t)duet_gnttab_status_to_errno(
					GNTST_bad_gntref);
				continue;
			}
			dst = pages[s->dst.foreign.ref] + s->dst.foreign.offset;
		} else {
			dst = s->dst.virt;
		}
		memcpy(dst, src, s->len);
	}
	return 0;
}

static const struct duet_platform_ops local_ops = {
	.name = "local",
	.open = local_open,
	.close = local_close,
	.domid = local_domid,
	.copy = local_copy,
};

int main(void)
{
	struct duet_gnt_copy_seg seg[4];
	struct duet_platform *p = NULL;
	struct duet_platform local = { .ops = &local_ops, .domid = -1 };
	unsigned char buf[64];
	duet_grant_ref_t ref;
	void *addr;

	is_int(duet_platform_open("bogus", &p), -EINVAL,
	       "an unknown platform name is -EINVAL");
	is_int(duet_platform_open("sim:", &p), -EINVAL,
	       "sim without a directory is -EINVAL");
	is_int(duet_platform_open("xen:extra", &p), -EINVAL,
	       "xen takes no argument");
	if (access(PRIVCMD_PATH, F_OK) != 0) {
		unsetenv("DUET_PLATFORM");
		is_int(duet_platform_open(NULL, &p), -ENODEV,
		       "no Xen and no DUET_PLATFORM is -ENODEV");
		is_int(duet_platform_open("xen", &p), -ENODEV,
		       "asking for xen without Xen is -ENODEV");
	}
	ok(p == NULL, "failed opens leave the handle untouched");

	is_int(duet_platform_domid(&local), 3, "domid comes from the hook");
	is_int(duet_platform_restrict(&local, 1), -EOPNOTSUPP,
	       "restrict without a hook is -EOPNOTSUPP");
	is_int(duet_gnt_transfer_offer(&local, 1, 1, &ref), -EOPNOTSUPP,
	       "transfer without a hook is -EOPNOTSUPP");
	is_int(duet_gnt_transfer_page_alloc(&local, &addr), -EOPNOTSUPP,
	       "owned pages without a hook are -EOPNOTSUPP");
	is_int(duet_gnt_share(&local, 1, 0, 0, &ref, &addr), -EINVAL,
	       "sharing zero pages is -EINVAL");
	is_int(duet_gnt_share(&local, 1, 1, 0x80, &ref, &addr), -EINVAL,
	       "unknown share flags are -EINVAL");
	is_int(duet_gnt_map(&local, 1, 1, NULL, 0, &addr), -EINVAL,
	       "mapping without refs is -EINVAL");
	is_int(duet_gnt_unmap(&local, buf + 1, 1), -EINVAL,
	       "unmapping an unaligned address is -EINVAL");
	is_int(duet_gnt_copy(&local, NULL, 0), 0, "an empty batch is a no-op");
	is_int(hook_calls, 0, "no hook ran for refused calls");

	memset(pages, 0, sizeof(pages));
	memset(buf, 0x5a, sizeof(buf));
	memset(seg, 0, sizeof(seg));
	seg[0].src.virt = buf;
	seg[0].dst.foreign.ref = 2;
	seg[0].dst.foreign.offset = 100;
	seg[0].dst.foreign.domid = 1;
	seg[0].len = 64;
	seg[0].flags = DUET_GNT_COPY_DST_GREF;
	seg[1] = seg[0];
	seg[1].dst.foreign.offset = DUET_PAGE_SIZE - 10;
	seg[2] = seg[0];
	seg[2].dst.foreign.ref = 9;
	seg[3] = seg[0];
	seg[3].flags = 0;
	is_int(duet_gnt_copy(&local, seg, 4), 0, "the batch is carried out");
	is_int(seg[0].status, 0, "a good segment copies");
	ok(pages[2][100] == 0x5a && pages[2][163] == 0x5a &&
		   pages[2][164] == 0,
	   "exactly its 64 bytes landed at the offset");
	is_int(seg[1].status, -EINVAL,
	       "a segment crossing the page end fails alone");
	ok(pages[2][DUET_PAGE_SIZE - 10] == 0,
	   "and nothing of it was copied");
	is_int(seg[2].status, -EINVAL, "a bad ref fails alone");
	is_int(seg[3].status, -EINVAL, "a segment with no grant side fails");

	is_int(duet_gnttab_status_to_errno(GNTST_okay), 0, "GNTST_okay is 0");
	is_int(duet_gnttab_status_to_errno(GNTST_permission_denied), -EACCES,
	       "GNTST_permission_denied is -EACCES");
	is_int(duet_gnttab_status_to_errno(GNTST_bad_domain), -ESRCH,
	       "GNTST_bad_domain is -ESRCH");
	is_int(duet_gnttab_status_to_errno(GNTST_no_space), -ENOSPC,
	       "GNTST_no_space is -ENOSPC");
	is_int(duet_gnttab_status_to_errno(-99), -EIO,
	       "an unknown status is -EIO");
	is_int(duet_gnttab_status_to_errno(5), -EIO,
	       "a positive status is -EIO");
	return done_testing();
}

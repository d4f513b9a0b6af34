/* SPDX-License-Identifier: MIT */
/*
 * grant-copy.c - sim grant copy: batched, each segment checked on its own
 * (wrong domain, bad ref, write to a read-only grant, page crossing) with
 * the status Xen's gnttab_copy gives (GNTST_* through core.c's table),
 * good segments carried out around bad ones, failed local destinations
 * left untouched, batches larger than one daemon message, and refs whose
 * access the granter ended reading and writing nothing.
 */
#include "tap.h"
#include "lib/simtest.h"

#define NBIG 300

static void seg_to(struct duet_gnt_copy_seg *s, void *src, unsigned dom,
		   duet_grant_ref_t ref, unsigned off, unsigned len)
{
	simtest_copy_seg(s, 1, src, dom, ref, off, len);
}

static void seg_from(struct duet_gnt_copy_seg *s, void *dst, unsigned dom,
		     duet_grant_ref_t ref, unsigned off, unsigned len)
{
	simtest_copy_seg(s, 0, dst, dom, ref, off, len);
}

int main(void)
{
	struct duet_platform *p1, *p2, *p3;
	duet_grant_ref_t refs[4], roref, big[NBIG];
	struct duet_gnt_copy_seg seg[8];
	static struct duet_gnt_copy_seg bs[NBIG];
	static char bufs[NBIG][64];
	unsigned d1, d2, d3, i, good;
	char *a, *ro, *bg, local[64], out[64];

	simtest_start(0);
	d1 = simtest_domain("frontend");
	d2 = simtest_domain("backend");
	d3 = simtest_domain("other");
	p1 = simtest_open(d1);
	p2 = simtest_open(d2);
	p3 = simtest_open(d3);
	is_int(duet_gnt_share(p1, d2, 4, 0, refs, (void **)&a), 0, "share 4");
	is_int(duet_gnt_share(p1, d2, 1, DUET_GNT_READONLY, &roref,
			      (void **)&ro), 0, "share 1 read-only");
	strcpy(ro, "ro data");
	strcpy(a + 3 * DUET_PAGE_SIZE + 100, "granted data");

	strcpy(local, "hello grant");
	memset(out, 'Z', sizeof(out));
	seg_to(&seg[0], local, d1, refs[1], 10, 12);
	seg_from(&seg[1], out, d1, refs[3], 100, 13);
	seg_to(&seg[2], local, d1, roref, 0, 4);        /* write ro */
	seg_to(&seg[3], local, d1, refs[2] + 500, 0, 4); /* unused ref */
	seg_to(&seg[4], local, 77, refs[0], 0, 4);      /* no domain */
	seg_to(&seg[5], local, d1, refs[0], 4090, 10);  /* crosses page */
	seg_from(&seg[6], out + 20, d1, roref, 0, 8);   /* read ro: ok */
	seg_from(&seg[7], out + 40, d1, 64 * 512, 0, 8);    /* past table */
	is_int(duet_gnt_copy(p2, seg, 8), 0, "batch of 8 submitted");
	is_int(seg[0].status, 0, "local -> granted page: ok");
	is_str(a + DUET_PAGE_SIZE + 10, "hello grant", "data landed");
	is_int(seg[1].status, 0, "granted page -> local: ok");
	is_str(out, "granted data", "data read");
	is_int(seg[2].status, -EIO, "write into a read-only grant: "
	       "-EIO (GNTST_general_error)");
	is_int(seg[3].status, -EIO, "unused ref: -EIO (GNTST_general_error)");
	is_int(seg[4].status, -ESRCH, "no such domain: -ESRCH "
	       "(GNTST_bad_domain)");
	is_int(seg[5].status, -EINVAL, "segment crossing the page: -EINVAL");
	is_int(seg[6].status, 0, "read from a read-only grant: ok");
	is_str(out + 20, "ro data", "read-only data read");
	is_int(seg[7].status, -EINVAL, "ref out of range: -EINVAL "
	       "(GNTST_bad_gntref)");
	ok(out[40] == 'Z', "a failed segment leaves the local buffer alone");

	seg_to(&seg[0], local, d1, refs[0], 0, 4);
	is_int(duet_gnt_copy(p3, seg, 1), 0, "copy by another domain "
	       "submitted");
	is_int(seg[0].status, -EIO, "granted to someone else: -EIO");
	is_int(duet_gnt_copy(p1, seg, 1), 0, "copy by the granter submitted");
	is_int(seg[0].status, -EIO, "the granter is not the grantee: -EIO");

	/* Foreign to foreign: from d1's page into d1's other page. */
	memset(&seg[0], 0, sizeof(seg[0]));
	seg[0].flags = DUET_GNT_COPY_SRC_GREF | DUET_GNT_COPY_DST_GREF;
	seg[0].src.foreign.domid = (duet_domid_t)d1;
	seg[0].src.foreign.ref = refs[3];
	seg[0].src.foreign.offset = 100;
	seg[0].dst.foreign.domid = (duet_domid_t)d1;
	seg[0].dst.foreign.ref = refs[2];
	seg[0].dst.foreign.offset = 0;
	seg[0].len = 13;
	is_int(duet_gnt_copy(p2, seg, 1), 0, "grant -> grant submitted");
	is_int(seg[0].status, 0, "grant -> grant ok");
	is_str(a + 2 * DUET_PAGE_SIZE, "granted data", "grant -> grant data");

	/* A batch bigger than one message: 300 segments of full pages. */
	is_int(duet_gnt_share(p1, d2, NBIG, 0, big, (void **)&bg), 0,
	       "share %d pages", NBIG);
	for (i = 0; i < NBIG; i++) {
		snprintf(bufs[i], sizeof(bufs[i]), "segment %u", i);
		seg_to(&bs[i], bufs[i], d1, big[i], 0, sizeof(bufs[i]));
	}
	bs[150].dst.foreign.ref = roref;
	is_int(duet_gnt_copy(p2, bs, NBIG), 0, "batch of %d submitted", NBIG);
	for (good = 0, i = 0; i < NBIG; i++)
		good += !bs[i].status &&
			!strcmp(bg + (size_t)i * DUET_PAGE_SIZE, bufs[i]);
	is_int(good, NBIG - 1, "all but the bad one copied");
	is_int(bs[150].status, -EIO, "the bad one in the middle failed");
	is_int(duet_gnt_unshare(p1, bg, NBIG), 0, "unshare big");
	is_int(duet_gnt_unshare(p1, ro, 1), 0, "unshare ro");
	is_int(duet_gnt_unshare(p1, a, 4), 0, "unshare");

	/* End of access on the fast path (the copy area): a ref the granter
	 * ended reads and writes nothing, in a batch as alone. */
	memset(out, 'Q', sizeof(out));
	memset(local, 'L', sizeof(local));
	for (i = 0; i < 4; i++)
		seg_from(&seg[i], out, d1, refs[i], 0, sizeof(out));
	seg_to(&seg[4], local, d1, refs[1], 0, sizeof(local));
	is_int(duet_gnt_copy(p2, seg, 5), 0,
	       "copy from and to ended refs submitted");
	for (good = 0, i = 0; i < 5; i++)
		good += seg[i].status == -EIO;
	is_int(good, 5, "every segment on an ended ref: -EIO");
	for (good = 0, i = 0; i < sizeof(out); i++)
		good += out[i] == 'Q';
	is_int(good, (int)sizeof(out), "  nothing read into the local buffer");
	seg_from(&seg[0], out, d1, big[7], 0, sizeof(out));
	is_int(duet_gnt_copy(p2, seg, 1), 0, "one ended ref alone submitted");
	is_int(seg[0].status, -EIO, "  -EIO");
	ok(out[0] == 'Q', "  nothing read");
	duet_platform_close(p3);
	duet_platform_close(p2);
	duet_platform_close(p1);
	return done_testing();
}

/* SPDX-License-Identifier: MIT */
/*
 * sim-grants.c - simulator grant costs, printed (never asserted):
 * grant copy of 4 KiB next to a plain memcpy of 4 KiB measured in the same
 * run, map+unmap of one page, and page transfer (flip) per page.
 * The daemon runs in a child process, as with "duet sim start".
 */
#include <time.h>

#include "lib/simtest.h"

#define PAGE DUET_PAGE_SIZE

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void bench_memcpy(void)
{
	static char a[PAGE], b[PAGE];
	unsigned i, n = 1000000;
	double t0;

	memset(a, 1, sizeof(a));
	t0 = now_ns();
	for (i = 0; i < n; i++) {
		a[i & (PAGE - 1)] = (char)i;
		memcpy(b, a, PAGE);
		__asm__ volatile("" : : "r"(b) : "memory");
	}
	printf("memcpy 4 KiB:                %10.0f ns/op\n",
	       (now_ns() - t0) / n);
}

static void bench_copy(struct duet_platform *p2, unsigned d1,
		       duet_grant_ref_t ref, int to_foreign)
{
	static char local[PAGE];
	struct duet_gnt_copy_seg seg;
	unsigned i, n = 20000, bad = 0;
	double t0;

	memset(&seg, 0, sizeof(seg));
	seg.len = PAGE;
	if (to_foreign) {
		seg.flags = DUET_GNT_COPY_DST_GREF;
		seg.src.virt = local;
		seg.dst.foreign.domid = (duet_domid_t)d1;
		seg.dst.foreign.ref = ref;
	} else {
		seg.flags = DUET_GNT_COPY_SRC_GREF;
		seg.dst.virt = local;
		seg.src.foreign.domid = (duet_domid_t)d1;
		seg.src.foreign.ref = ref;
	}
	t0 = now_ns();
	for (i = 0; i < n; i++)
		bad += duet_gnt_copy(p2, &seg, 1) < 0 || seg.status;
	printf("grant copy 4 KiB %-11s %10.0f ns/op%s\n",
	       to_foreign ? "(to gref):" : "(from gref):",
	       (now_ns() - t0) / n, bad ? "  (ERRORS)" : "");
}

static void bench_copy_batch(struct duet_platform *p2, unsigned d1,
			     const duet_grant_ref_t *refs)
{
	static char local[16][PAGE];
	struct duet_gnt_copy_seg seg[16];
	unsigned i, k, n = 2000, bad = 0;
	double t0;

	memset(seg, 0, sizeof(seg));
	for (k = 0; k < 16; k++) {
		seg[k].len = PAGE;
		seg[k].flags = DUET_GNT_COPY_DST_GREF;
		seg[k].src.virt = local[k];
		seg[k].dst.foreign.domid = (duet_domid_t)d1;
		seg[k].dst.foreign.ref = refs[k];
	}
	t0 = now_ns();
	for (i = 0; i < n; i++) {
		bad += duet_gnt_copy(p2, seg, 16) < 0;
		for (k = 0; k < 16; k++)
			bad += !!seg[k].status;
	}
	printf("grant copy 16 x 4 KiB batch: %10.0f ns/page\n",
	       (now_ns() - t0) / n / 16);
	if (bad)
		printf("  (%u ERRORS)\n", bad);
}

static void bench_map(struct duet_platform *p2, unsigned d1,
		      duet_grant_ref_t ref)
{
	unsigned i, n = 10000, bad = 0;
	double t0;
	void *m;

	t0 = now_ns();
	for (i = 0; i < n; i++) {
		if (duet_gnt_map(p2, (duet_domid_t)d1, 1, &ref, 0, &m) < 0) {
			bad++;
			continue;
		}
		*(volatile char *)m = 1;
		bad += duet_gnt_unmap(p2, m, 1) < 0;
	}
	printf("map + unmap 1 page:          %10.0f ns/op%s\n",
	       (now_ns() - t0) / n, bad ? "  (ERRORS)" : "");
}

static void bench_transfer(struct duet_platform *p1, struct duet_platform *p2,
			   unsigned d1, unsigned d2)
{
	enum { N = 1000 };
	static duet_grant_ref_t refs[N];
	static void *pages[N];
	unsigned i, bad = 0;
	double t0, t1;
	void *got;

	if (duet_gnt_transfer_offer(p2, (duet_domid_t)d1, N, refs) < 0) {
		printf("transfer: offer failed\n");
		return;
	}
	for (i = 0; i < N; i++) {
		bad += duet_gnt_transfer_page_alloc(p1, &pages[i]) < 0;
		memset(pages[i], (int)i, 64);
	}
	t0 = now_ns();
	for (i = 0; i < N; i++) {
		bad += duet_gnt_transfer(p1, pages[i], (duet_domid_t)d2,
					 refs[i]) < 0;
		if (duet_gnt_transfer_accept(p2, refs[i], &got) < 0) {
			bad++;
			continue;
		}
		*(volatile char *)got = 1; /* fault the page in */
		pages[i] = got;
	}
	t1 = now_ns();
	for (i = 0; i < N; i++)
		duet_gnt_transfer_page_free(p2, pages[i]);
	printf("transfer (flip) 1 page:      %10.0f ns/op  (give + accept "
	       "+ map)%s\n", (t1 - t0) / N, bad ? "  (ERRORS)" : "");
}

int main(void)
{
	struct duet_platform *p1, *p2;
	duet_grant_ref_t refs[16];
	unsigned d1, d2;
	void *a;

	simtest_start(0);
	d1 = simtest_domain("granter");
	d2 = simtest_domain("copier");
	p1 = simtest_open(d1);
	p2 = simtest_open(d2);
	if (duet_gnt_share(p1, (duet_domid_t)d2, 16, 0, refs, &a) < 0) {
		printf("share failed\n");
		return 1;
	}
	printf("simulator grants (daemon in another process):\n");
	bench_memcpy();
	bench_copy(p2, d1, refs[0], 1);
	bench_copy(p2, d1, refs[0], 0);
	bench_copy_batch(p2, d1, refs);
	bench_map(p2, d1, refs[1]);
	bench_transfer(p1, p2, d1, d2);
	duet_gnt_unshare(p1, a, 16);
	duet_platform_close(p2);
	duet_platform_close(p1);
	return 0;
}

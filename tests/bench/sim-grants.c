/* SPDX-License-Identifier: MIT */
/*
 * sim-grants.c - simulator grant costs, printed (never asserted):
 * grant copy of 4 KiB, alone and in batches of 32 (issue 16's goal: at most
 * 2 us per page), next to a plain memcpy of 4 KiB and a bare eventfd
 * ping-pong measured in the same run, map+unmap of one page, transfer page
 * allocation, and page transfer (flip) per page.
 * The daemon runs in a child process, as with "duet sim start".
 */
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

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

#define BATCH 32

static void bench_copy_batch(struct duet_platform *p2, unsigned d1,
			     const duet_grant_ref_t *refs, int to_foreign)
{
	static char local[BATCH][PAGE];
	struct duet_gnt_copy_seg seg[BATCH];
	unsigned i, k, n = 2000, bad = 0;
	double t0;

	memset(seg, 0, sizeof(seg));
	for (k = 0; k < BATCH; k++) {
		seg[k].len = PAGE;
		if (to_foreign) {
			seg[k].flags = DUET_GNT_COPY_DST_GREF;
			seg[k].src.virt = local[k];
			seg[k].dst.foreign.domid = (duet_domid_t)d1;
			seg[k].dst.foreign.ref = refs[k];
		} else {
			seg[k].flags = DUET_GNT_COPY_SRC_GREF;
			seg[k].dst.virt = local[k];
			seg[k].src.foreign.domid = (duet_domid_t)d1;
			seg[k].src.foreign.ref = refs[k];
		}
	}
	t0 = now_ns();
	for (i = 0; i < n; i++) {
		bad += duet_gnt_copy(p2, seg, BATCH) < 0;
		for (k = 0; k < BATCH; k++)
			bad += !!seg[k].status;
	}
	printf("grant copy %u x 4 KiB %-6s %8.0f ns/page  (goal <= 2000)%s\n",
	       BATCH, to_foreign ? "(to):" : "(from):",
	       (now_ns() - t0) / n / BATCH, bad ? "  (ERRORS)" : "");
}

/* A bare eventfd ping-pong between two processes: the floor of any
 * request/reply with the daemon. */
static void bench_eventfd_rtt(void)
{
	int a = eventfd(0, EFD_CLOEXEC), b = eventfd(0, EFD_CLOEXEC);
	unsigned i, n = 20000;
	uint64_t v = 1;
	double t0;
	pid_t pid;

	if (a < 0 || b < 0)
		return;
	pid = fork();
	if (!pid) {
		for (i = 0; i < n; i++)
			if (read(a, &v, sizeof(v)) != sizeof(v) ||
			    write(b, &v, sizeof(v)) != sizeof(v))
				_exit(1);
		_exit(0);
	}
	t0 = now_ns();
	for (i = 0; i < n; i++)
		if (write(a, &v, sizeof(v)) != sizeof(v) ||
		    read(b, &v, sizeof(v)) != sizeof(v))
			break;
	printf("eventfd ping-pong:           %10.0f ns/op  (the floor of one "
	       "daemon round trip)\n", (now_ns() - t0) / n);
	waitpid(pid, NULL, 0);
	close(a);
	close(b);
}

static void bench_page_alloc(struct duet_platform *p)
{
	enum { N = 64 };
	void *pg[N];
	unsigned i, k, n = 500, bad = 0;
	double t0;

	t0 = now_ns();
	for (i = 0; i < n; i++) {
		for (k = 0; k < N; k++)
			bad += duet_gnt_transfer_page_alloc(p, &pg[k]) < 0;
		for (k = 0; k < N; k++)
			bad += duet_gnt_transfer_page_free(p, pg[k]) < 0;
	}
	printf("transfer page alloc + free:  %10.0f ns/op  (pooled)%s\n",
	       (now_ns() - t0) / n / N, bad ? "  (ERRORS)" : "");
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
	duet_grant_ref_t refs[BATCH];
	unsigned d1, d2;
	void *a;

	simtest_start(0);
	d1 = simtest_domain("granter");
	d2 = simtest_domain("copier");
	p1 = simtest_open(d1);
	p2 = simtest_open(d2);
	if (duet_gnt_share(p1, (duet_domid_t)d2, BATCH, 0, refs, &a) < 0) {
		printf("share failed\n");
		return 1;
	}
	printf("simulator grants (daemon in another process):\n");
	bench_memcpy();
	bench_copy(p2, d1, refs[0], 1);
	bench_copy(p2, d1, refs[0], 0);
	bench_eventfd_rtt();
	bench_copy_batch(p2, d1, refs, 1);
	bench_copy_batch(p2, d1, refs, 0);
	bench_map(p2, d1, refs[1]);
	bench_page_alloc(p1);
	bench_transfer(p1, p2, d1, d2);
	duet_gnt_unshare(p1, a, BATCH);
	duet_platform_close(p2);
	duet_platform_close(p1);
	return 0;
}

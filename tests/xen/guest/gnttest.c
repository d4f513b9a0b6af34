/* SPDX-License-Identifier: MIT */
/*
 * gnttest.c - raw libxen userspace grants and event channels in dom0,
 * without libduet: the lab's own sanity check (matrix entry "lab").
 *   1. gntalloc (xengntshr_share_pages): grant a page to domid 0 (self);
 *   2. gntdev (xengnttab_map_grant_ref): map it back, data visible both ways;
 *   3. gntdev (xengnttab_grant_copy): copy bytes into the grant by ref;
 *   4. evtchn: an unbound port, a loopback interdomain bind, a notify, the
 *      event arrives (Xen also marks the new local port pending at bind
 *      time, so drain until the expected port shows up).
 * Exit 0 only when all four worked.
 */
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include <xenevtchn.h>
#include <xengnttab.h>

#define FAIL(...)                                                       \
	do {                                                            \
		printf("GNTTEST FAIL: " __VA_ARGS__);                   \
		printf("\n");                                           \
		return 1;                                               \
	} while (0)

static int grants(void)
{
	static char src[64] = "written-via-grant-copy";
	xengnttab_grant_copy_segment_t seg;
	xengntshr_handle *shr;
	xengnttab_handle *gt;
	uint32_t ref;
	char *p, *q;

	shr = xengntshr_open(NULL, 0);
	if (!shr)
		FAIL("xengntshr_open (/dev/xen/gntalloc)");
	p = xengntshr_share_pages(shr, 0, 1, &ref, 1);
	if (!p)
		FAIL("xengntshr_share_pages");
	strcpy(p, "written-via-gntalloc");
	gt = xengnttab_open(NULL, 0);
	if (!gt)
		FAIL("xengnttab_open (/dev/xen/gntdev)");
	q = xengnttab_map_grant_ref(gt, 0, ref, PROT_READ | PROT_WRITE);
	if (!q)
		FAIL("xengnttab_map_grant_ref(0, %u)", ref);
	if (strcmp(q, "written-via-gntalloc"))
		FAIL("gntdev mapping reads '%.32s'", q);
	strcpy(q, "written-via-gntdev");
	if (strcmp(p, "written-via-gntdev"))
		FAIL("write through the gntdev mapping not visible");
	printf("GNTTEST: gntalloc ref %u mapped by gntdev, both ways\n", ref);
	xengnttab_unmap(gt, q, 1);

	memset(&seg, 0, sizeof(seg));
	seg.flags = GNTCOPY_dest_gref;
	seg.len = strlen(src) + 1;
	seg.source.virt = src;
	seg.dest.foreign.ref = ref;
	seg.dest.foreign.domid = 0;
	if (xengnttab_grant_copy(gt, 1, &seg) || seg.status != GNTST_okay)
		FAIL("grant copy status %d", seg.status);
	if (strcmp(p, src))
		FAIL("grant copy reported success but the data differs");
	printf("GNTTEST: grant copy into ref %u\n", ref);
	xengntshr_unshare(shr, p, 1);
	xengnttab_close(gt);
	xengntshr_close(shr);
	return 0;
}

static int events(void)
{
	xenevtchn_port_or_error_t a, b, got;
	struct pollfd pfd;
	xenevtchn_handle *xe;
	int i, seen = 0;

	xe = xenevtchn_open(NULL, 0);
	if (!xe)
		FAIL("xenevtchn_open (/dev/xen/evtchn)");
	a = xenevtchn_bind_unbound_port(xe, 0);
	if (a < 0)
		FAIL("bind_unbound_port");
	b = xenevtchn_bind_interdomain(xe, 0, a);
	if (b < 0)
		FAIL("bind_interdomain(0, %d)", a);
	if (xenevtchn_notify(xe, b))
		FAIL("notify");
	pfd.fd = xenevtchn_fd(xe);
	pfd.events = POLLIN;
	for (i = 0; i < 4 && !seen; i++) {
		if (poll(&pfd, 1, 5000) != 1)
			FAIL("no event within 5 s (waiting for port %d)", a);
		got = xenevtchn_pending(xe);
		if (got < 0)
			FAIL("xenevtchn_pending");
		xenevtchn_unmask(xe, got);
		seen = got == a;
	}
	if (!seen)
		FAIL("notify on port %d never reached port %d", b, a);
	printf("GNTTEST: evtchn loopback %d -> %d\n", b, a);
	xenevtchn_close(xe);
	return 0;
}

int main(void)
{
	if (grants() || events())
		return 1;
	printf("GNTTEST PASS\n");
	return 0;
}

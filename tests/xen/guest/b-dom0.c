/* SPDX-License-Identifier: MIT */
/*
 * b-dom0.c - matrix entry b, dom0 side.
 *
 *   b-dom0 DOMID PORT PORT2 RO-REF REF0 REF1
 *
 * Uses the grants and the port that b-domu published (the entry script
 * reads them from xenstore) through libduet's xen platform only:
 *   1. map both read-write grants (gntdev) and see the domU's data;
 *   2. a read-only grant cannot be mapped writable, but maps read-only;
 *      a bogus ref does not map;
 *   3. grant copy into page 1 and out of page 0, each segment checked,
 *      and a segment with a bad ref fails on its own;
 *   4. bind to the domU's first port, notify, and wait for the domU's
 *      acknowledgement, written into page 0 and signalled by an event;
 *      unmap;
 *   5. duet_platform_restrict(DOMID) (xentoolcore_restrict_all): the
 *      evtchn handle no longer allocates ports for dom0 itself and the
 *      gntdev handle no longer maps a grant of another domain (a self-grant
 *      made before restricting), but the evtchn handle still binds the
 *      domU's second port and notifies it (the domU waits for that);
 *   6. what a notify returns once the domU has closed its end (printed).
 * TAP on stdout; exit 0 only when every check passed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <duet/platform.h>

#include "tap.h"
#include "lab-wait.h"

#define ACK_OFFSET 2048
#define BAD_REF    100000u

static int domu_acked(void *arg)
{
	const char *page0 = arg;

	return !strcmp(page0 + ACK_OFFSET, "domU-ack");
}

static unsigned long arg_num(const char *s, unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || end == s || *end || v > max) {
		fprintf(stderr, "b-dom0: bad number '%s'\n", s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	struct duet_gnt_copy_seg seg[3];
	struct duet_platform *p = NULL;
	struct duet_evtchn *e = NULL;
	duet_grant_ref_t refs[2], roref, selfref;
	char want[64], out[64], *map = NULL;
	char *romap = NULL, *self = NULL;
	void *tmp = NULL;
	unsigned domid, rport, rport2;
	int rc, lport, lport2, i;

	if (argc != 7) {
		fprintf(stderr,
			"usage: b-dom0 DOMID PORT PORT2 RO-REF REF0 REF1\n");
		return 2;
	}
	domid = arg_num(argv[1], 0x7fef);
	rport = arg_num(argv[2], 0xffffffffu);
	rport2 = arg_num(argv[3], 0xffffffffu);
	roref = arg_num(argv[4], 0xffffffffu);
	refs[0] = arg_num(argv[5], 0xffffffffu);
	refs[1] = arg_num(argv[6], 0xffffffffu);
	setvbuf(stdout, NULL, _IOLBF, 0);

	rc = duet_platform_open("xen", &p);
	if (!ok(rc == 0, "duet_platform_open(\"xen\") in dom0 (rc %d)", rc))
		return done_testing();
	is_int(duet_platform_domid(p), 0, "duet_platform_domid() is 0");
	ok(duet_platform_caps(p) & DUET_PLATFORM_CAP_COPY,
	   "xen platform offers grant copy");

	/* 1. map */
	rc = duet_gnt_map(p, domid, 2, refs, 0, (void **)&map);
	if (!ok(rc == 0, "map the domU's 2 read-write grants (rc %d)", rc))
		goto out;
	snprintf(want, sizeof(want), "domU-%u-page0", domid);
	is_str(map, want, "page 0 has the domU's data");
	snprintf(want, sizeof(want), "domU-%u-page1", domid);
	is_str(map + DUET_PAGE_SIZE, want, "page 1 has the domU's data");

	/* 2. read-only and bogus grants */
	rc = duet_gnt_map(p, domid, 1, &roref, 0, &tmp);
	ok(rc < 0, "read-only grant does not map writable (rc %d)", rc);
	if (rc == 0)
		duet_gnt_unmap(p, tmp, 1);
	rc = duet_gnt_map(p, domid, 1, &roref, DUET_GNT_READONLY,
			  (void **)&romap);
	ok(rc == 0, "read-only grant maps read-only (rc %d)", rc);
	if (rc == 0) {
		snprintf(want, sizeof(want), "domU-%u-readonly", domid);
		is_str(romap, want, "read-only page has the domU's data");
		ok(duet_gnt_unmap(p, romap, 1) == 0, "unmap read-only page");
	}
	rc = duet_gnt_map(p, domid, 1, (duet_grant_ref_t[]){ BAD_REF }, 0,
			  &tmp);
	ok(rc < 0, "bogus grant ref %u does not map (rc %d)", BAD_REF, rc);
	if (rc == 0)
		duet_gnt_unmap(p, tmp, 1);

	/* 3. grant copy */
	memset(seg, 0, sizeof(seg));
	memset(out, 0, sizeof(out));
	seg[0].src.virt = "dom0-wrote-via-copy";
	seg[0].dst.foreign.ref = refs[1];
	seg[0].dst.foreign.domid = domid;
	seg[0].len = sizeof("dom0-wrote-via-copy");
	seg[0].flags = DUET_GNT_COPY_DST_GREF;
	seg[1].src.foreign.ref = refs[0];
	seg[1].src.foreign.domid = domid;
	seg[1].dst.virt = out;
	seg[1].len = sizeof(out);
	seg[1].flags = DUET_GNT_COPY_SRC_GREF;
	seg[2].src.virt = "x";
	seg[2].dst.foreign.ref = BAD_REF;
	seg[2].dst.foreign.domid = domid;
	seg[2].len = 1;
	seg[2].flags = DUET_GNT_COPY_DST_GREF;
	rc = duet_gnt_copy(p, seg, 3);
	ok(rc == 0, "grant copy batch submitted (rc %d)", rc);
	is_int(seg[0].status, 0, "copy into the domU's page 1: status");
	is_str(map + DUET_PAGE_SIZE, "dom0-wrote-via-copy",
	       "copied data visible through the mapping");
	is_int(seg[1].status, 0, "copy out of the domU's page 0: status");
	snprintf(want, sizeof(want), "domU-%u-page0", domid);
	is_str(out, want, "copied-out data is the domU's page 0");
	ok(seg[2].status < 0, "segment with a bogus ref fails alone (%d)",
	   seg[2].status);

	strcpy(map, "dom0-wrote-via-map");

	/* 4. events both ways, unrestricted */
	rc = duet_evtchn_open(p, &e);
	if (!ok(rc == 0, "duet_evtchn_open (rc %d)", rc))
		goto out;
	lport = duet_evtchn_bind(e, domid, rport);
	if (!ok(lport > 0, "bind to the domU's port %u (local %d)", rport,
		lport))
		goto out;
	rc = duet_evtchn_notify(e, (duet_evtchn_port_t)lport);
	ok(rc == 0, "notify the domU (rc %d)", rc);
	rc = lab_wait_event(e, lport, domu_acked, map, 120000);
	ok(rc > 0, "domU's ack arrived by event and shared page (rc %d)", rc);
	rc = duet_gnt_unmap(p, map, 2);
	ok(rc == 0, "unmap the domU's pages (rc %d)", rc);
	map = NULL;

	/* 5. restriction */
	rc = duet_gnt_share(p, 0, 1, 0, &selfref, (void **)&self);
	ok(rc == 0, "self-grant to dom0 before restricting (rc %d)", rc);
	rc = duet_platform_restrict(p, domid);
	if (!ok(rc == 0, "duet_platform_restrict(%u) (rc %d)", domid, rc))
		goto out;
	rc = duet_evtchn_alloc_unbound(e, 0);
	ok(rc < 0, "restricted: no unbound port for dom0 any more (rc %d)",
	   rc);
	if (self) {
		rc = duet_gnt_map(p, 0, 1, &selfref, 0, &tmp);
		ok(rc < 0, "restricted: dom0's own grant no longer maps (rc %d)",
		   rc);
		if (rc == 0)
			duet_gnt_unmap(p, tmp, 1);
	}
	rc = duet_gnt_map(p, domid, 1, refs, 0, &tmp);
	diag("restricted: mapping a grant of domain %u gives rc %d%s", domid,
	     rc, rc < 0 ? " (libxengnttab 4.17 turns gntdev handles into "
			  "/dev/null on restrict)" : "");
	if (rc == 0)
		duet_gnt_unmap(p, tmp, 1);
	lport2 = duet_evtchn_bind(e, domid, rport2);
	if (!ok(lport2 > 0, "restricted: bind to the domU's port %u (local %d)",
		rport2, lport2))
		goto out;
	rc = duet_evtchn_notify(e, (duet_evtchn_port_t)lport2);
	ok(rc == 0, "restricted: notify the domU (rc %d)", rc);

	/*
	 * The domU unbinds both ports once it saw that event.  Xen's
	 * EVTCHNOP_send drops events on a port whose peer went away and
	 * answers 0, and platform.h promises the same on every platform
	 * (the simulator too): a peer's end is found out through xenstore.
	 */
	for (i = 0; i < 8; i++) {
		rc = duet_evtchn_notify(e, (duet_evtchn_port_t)lport);
		if (rc)
			break;
		usleep(250000);
	}
	ok(rc == 0, "notify while and after the domU unbinds its end: 0 "
	   "(rc %d)", rc);
out:
	duet_evtchn_close(e);
	duet_platform_close(p);
	return done_testing();
}

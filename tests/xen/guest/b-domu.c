/* SPDX-License-Identifier: MIT */
/*
 * b-domu.c - matrix entry b, domU side (runs as the domU's test program).
 *
 * Through libduet's xen platform only: share two read-write pages and one
 * read-only page with dom0 (gntalloc), allocate an unbound event channel
 * for dom0, publish refs and port under the domain's own xenstore "data"
 * directory, then check what b-dom0 did: its writes through the mapping and
 * through grant copy are visible here, the read-only page is untouched,
 * events travel both ways, and a dom0 process restricted to this domain
 * (xentoolcore_restrict_all) still binds and notifies our second port.
 * Finally every share is ended.
 *
 * xenstore layout (relative to /local/domain/<domid>):
 *   data/duet-b/refs     "<ref0> <ref1>"   read-write grants
 *   data/duet-b/ro-ref   "<ref>"           read-only grant
 *   data/duet-b/port     "<port> <port2>"  unbound ports for dom0; dom0
 *                                          binds the second one only after
 *                                          restricting itself to this domU
 *   data/duet-b/ready    "1"               written last
 * TAP on stdout; exit 0 only when every check passed.
 */
#include <stdio.h>
#include <string.h>

#include <xenstore.h>

#include <duet/platform.h>

#include "tap.h"
#include "lab-wait.h"

#define ACK_OFFSET 2048

static const char *const ack = "domU-ack";

struct pages {
	char *rw;       /* two read-write pages */
	char *ro;       /* one read-only page */
};

static int dom0_wrote(void *arg)
{
	struct pages *pg = arg;

	return !strcmp(pg->rw, "dom0-wrote-via-map") &&
	       !strcmp(pg->rw + DUET_PAGE_SIZE, "dom0-wrote-via-copy");
}

static int always(void *arg)
{
	return 1;
}

static int publish(struct xs_handle *xs, const char *node, const char *val)
{
	char path[64];

	snprintf(path, sizeof(path), "data/duet-b/%s", node);
	return xs_write(xs, XBT_NULL, path, val, strlen(val)) ? 0 : -1;
}

int main(void)
{
	char ro_pattern[64], page0[64], page1[64], buf[64];
	duet_grant_ref_t refs[2], roref;
	struct duet_platform *p = NULL;
	struct duet_evtchn *e = NULL;
	struct pages pg = { 0 };
	struct xs_handle *xs;
	int rc, domid, port, port2;

	setvbuf(stdout, NULL, _IOLBF, 0);
	rc = duet_platform_open("xen", &p);
	if (!ok(rc == 0, "duet_platform_open(\"xen\") in the domU (rc %d)", rc))
		return done_testing();
	is_str(duet_platform_name(p), "xen", "platform name is xen");
	domid = duet_platform_domid(p);
	ok(domid > 0, "duet_platform_domid() is a domU id (%d)", domid);

	rc = duet_gnt_share(p, 0, 2, 0, refs, (void **)&pg.rw);
	if (!ok(rc == 0, "share 2 read-write pages with dom0 (rc %d)", rc))
		goto out;
	rc = duet_gnt_share(p, 0, 1, DUET_GNT_READONLY, &roref,
			    (void **)&pg.ro);
	if (!ok(rc == 0, "share 1 read-only page with dom0 (rc %d)", rc))
		goto out;
	ok(pg.rw[0] == 0 && pg.rw[2 * DUET_PAGE_SIZE - 1] == 0 &&
	   pg.ro[DUET_PAGE_SIZE - 1] == 0, "shared pages start zeroed");
	snprintf(page0, sizeof(page0), "domU-%d-page0", domid);
	snprintf(page1, sizeof(page1), "domU-%d-page1", domid);
	snprintf(ro_pattern, sizeof(ro_pattern), "domU-%d-readonly", domid);
	strcpy(pg.rw, page0);
	strcpy(pg.rw + DUET_PAGE_SIZE, page1);
	strcpy(pg.ro, ro_pattern);

	rc = duet_evtchn_open(p, &e);
	if (!ok(rc == 0, "duet_evtchn_open (rc %d)", rc))
		goto out;
	port = duet_evtchn_alloc_unbound(e, 0);
	if (!ok(port > 0, "alloc unbound port for dom0 (%d)", port))
		goto out;
	port2 = duet_evtchn_alloc_unbound(e, 0);
	if (!ok(port2 > 0 && port2 != port, "second unbound port (%d)", port2))
		goto out;

	xs = xs_open(0);
	if (!ok(xs != NULL, "xs_open for the rendezvous"))
		goto out;
	snprintf(buf, sizeof(buf), "%u %u", refs[0], refs[1]);
	rc = publish(xs, "refs", buf);
	snprintf(buf, sizeof(buf), "%u", roref);
	rc |= publish(xs, "ro-ref", buf);
	snprintf(buf, sizeof(buf), "%d %d", port, port2);
	rc |= publish(xs, "port", buf);
	rc |= publish(xs, "ready", "1");
	xs_close(xs);
	if (!ok(rc == 0, "published refs %u %u, ro-ref %u, ports %d %d",
		refs[0], refs[1], roref, port, port2))
		goto out;

	rc = lab_wait_event(e, port, dom0_wrote, &pg, 180000);
	ok(rc > 0, "event from dom0 after its writes (rc %d)", rc);
	is_str(pg.rw, "dom0-wrote-via-map",
	       "dom0's write through its grant mapping is visible");
	is_str(pg.rw + DUET_PAGE_SIZE, "dom0-wrote-via-copy",
	       "dom0's grant copy into page 1 is visible");
	is_str(pg.ro, ro_pattern, "read-only page is unchanged");

	strcpy(pg.rw + ACK_OFFSET, ack);
	rc = duet_evtchn_notify(e, (duet_evtchn_port_t)port);
	ok(rc == 0, "notify dom0 (rc %d)", rc);

	rc = lab_wait_event(e, port2, always, NULL, 120000);
	ok(rc > 0, "event on port %d from restricted dom0 (rc %d)", port2, rc);

	rc = duet_gnt_unshare(p, pg.rw, 2);
	ok(rc == 0, "unshare the read-write pages (rc %d)", rc);
	pg.rw = NULL;
	rc = duet_gnt_unshare(p, pg.ro, 1);
	ok(rc == 0, "unshare the read-only page (rc %d)", rc);
	pg.ro = NULL;
	rc = duet_evtchn_unbind(e, (duet_evtchn_port_t)port);
	ok(rc == 0, "unbind port %d (rc %d)", port, rc);
	rc = duet_evtchn_unbind(e, (duet_evtchn_port_t)port2);
	ok(rc == 0, "unbind port %d (rc %d)", port2, rc);
out:
	duet_evtchn_close(e);
	duet_platform_close(p);
	return done_testing();
}

/* SPDX-License-Identifier: MIT */
/*
 * restrict.c - sim: after duet_platform_restrict(domid) a handle may map
 * and copy only grants of that domain (and its own), grant only to it,
 * and bind or allocate event channels only towards it; everything else
 * answers -EPERM.  Event-channel handles opened before and after the call
 * are both restricted; restricting again to another domain is -EPERM; an
 * unrestricted handle of the same domain is not affected.
 */
#include "tap.h"
#include "lib/simtest.h"

int main(void)
{
	struct duet_platform *fe, *other, *be, *be2;
	struct duet_evtchn *e_before, *e_after, *e_fe, *e_other;
	duet_grant_ref_t rfe, rother;
	struct duet_gnt_copy_seg seg[2];
	char *afe, *aother, buf[16];
	unsigned dfe, dother, dbe;
	void *m = NULL;
	int pfe, pother, rc;

	simtest_start(0);
	dfe = simtest_domain("frontend");
	dother = simtest_domain("other");
	dbe = simtest_domain("backend");
	fe = simtest_open(dfe);
	other = simtest_open(dother);
	be = simtest_open(dbe);
	be2 = simtest_open(dbe);

	is_int(duet_gnt_share(fe, dbe, 1, 0, &rfe, (void **)&afe), 0,
	       "the frontend grants a page to the backend");
	is_int(duet_gnt_share(other, dbe, 1, 0, &rother, (void **)&aother), 0,
	       "another domain grants a page to the backend");
	strcpy(afe, "fe-page");
	strcpy(aother, "other-page");
	is_int(duet_evtchn_open(fe, &e_fe), 0, "frontend evtchn handle");
	is_int(duet_evtchn_open(other, &e_other), 0, "other evtchn handle");
	pfe = duet_evtchn_alloc_unbound(e_fe, (duet_domid_t)dbe);
	pother = duet_evtchn_alloc_unbound(e_other, (duet_domid_t)dbe);
	ok(pfe > 0 && pother > 0, "both offer an unbound port to the backend");

	is_int(duet_evtchn_open(be, &e_before), 0,
	       "backend evtchn handle opened before restrict");
	is_int(duet_platform_restrict(be, (duet_domid_t)dfe), 0,
	       "restrict the backend handle to the frontend's domain");
	is_int(duet_platform_restrict(be, (duet_domid_t)dfe), 0,
	       "restricting again to the same domain: 0");
	is_int(duet_platform_restrict(be, (duet_domid_t)dother), -EPERM,
	       "restricting again to another domain: -EPERM");
	is_int(duet_evtchn_open(be, &e_after), 0,
	       "backend evtchn handle opened after restrict");

	/* map */
	is_int(duet_gnt_map(be, (duet_domid_t)dfe, 1, &rfe, 0, &m), 0,
	       "map the frontend's grant: allowed");
	ok(m && !strcmp(m, "fe-page"), "  and it is the frontend's page");
	if (m)
		is_int(duet_gnt_unmap(be, m, 1), 0, "  unmap");
	m = NULL;
	is_int(duet_gnt_map(be, (duet_domid_t)dother, 1, &rother, 0, &m),
	       -EPERM, "map another domain's grant: -EPERM");
	ok(m == NULL, "  nothing mapped");
	is_int(duet_gnt_map(be2, (duet_domid_t)dother, 1, &rother, 0, &m), 0,
	       "an unrestricted handle of the same domain still maps it");
	if (m)
		duet_gnt_unmap(be2, m, 1);

	/* copy: one allowed segment and one refused, in one batch */
	memset(seg, 0, sizeof(seg));
	memset(buf, 0, sizeof(buf));
	seg[0].src.foreign.ref = rfe;
	seg[0].src.foreign.domid = (duet_domid_t)dfe;
	seg[0].dst.virt = buf;
	seg[0].len = 8;
	seg[0].flags = DUET_GNT_COPY_SRC_GREF;
	seg[1] = seg[0];
	seg[1].src.foreign.ref = rother;
	seg[1].src.foreign.domid = (duet_domid_t)dother;
	seg[1].dst.virt = buf + 8;
	is_int(duet_gnt_copy(be, seg, 2), 0, "copy batch submitted");
	is_int(seg[0].status, 0, "  copy from the frontend's grant: 0");
	is_str(buf, "fe-page", "  with the frontend's bytes");
	is_int(seg[1].status, -EPERM, "  copy from another domain: -EPERM");
	seg[0].flags = DUET_GNT_COPY_DST_GREF;
	seg[0].dst.foreign.ref = rother;
	seg[0].dst.foreign.domid = (duet_domid_t)dother;
	seg[0].dst.foreign.offset = 0;
	seg[0].src.virt = buf;
	is_int(duet_gnt_copy(be, seg, 1), 0, "copy to another domain");
	is_int(seg[0].status, -EPERM, "  refused with -EPERM");
	is_str(aother, "other-page", "  its page is untouched");

	/* grant */
	{
		duet_grant_ref_t r;
		void *a;

		is_int(duet_gnt_share(be, (duet_domid_t)dother, 1, 0, &r, &a),
		       -EPERM, "grant to another domain: -EPERM");
		is_int(duet_gnt_share(be, (duet_domid_t)dfe, 1, 0, &r, &a), 0,
		       "grant to the frontend: allowed");
		duet_gnt_unshare(be, a, 1);
	}

	/* event channels, on both handles */
	is_int(duet_evtchn_bind(e_before, (duet_domid_t)dother,
				(duet_evtchn_port_t)pother),
	       -EPERM, "bind to another domain (handle from before): -EPERM");
	is_int(duet_evtchn_bind(e_after, (duet_domid_t)dother,
				(duet_evtchn_port_t)pother),
	       -EPERM, "bind to another domain (handle from after): -EPERM");
	is_int(duet_evtchn_alloc_unbound(e_after, (duet_domid_t)dother), -EPERM,
	       "alloc-unbound for another domain: -EPERM");
	rc = duet_evtchn_bind(e_after, (duet_domid_t)dfe,
			      (duet_evtchn_port_t)pfe);
	ok(rc > 0, "bind to the frontend's port: allowed (%d)", rc);
	if (rc > 0) {
		is_int(duet_evtchn_notify(e_after, (duet_evtchn_port_t)rc), 0,
		       "  notify it");
		is_int(simtest_wait_event(e_fe, 2000), pfe,
		       "  the frontend gets the event");
	}
	rc = duet_evtchn_alloc_unbound(e_before, (duet_domid_t)dfe);
	ok(rc > 0, "alloc-unbound for the frontend: allowed (%d)", rc);

	duet_evtchn_close(e_after);
	duet_evtchn_close(e_before);
	duet_evtchn_close(e_other);
	duet_evtchn_close(e_fe);
	duet_platform_close(be2);
	duet_platform_close(be);
	duet_platform_close(other);
	duet_platform_close(fe);
	return done_testing();
}

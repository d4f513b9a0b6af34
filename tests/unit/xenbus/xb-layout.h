/* SPDX-License-Identifier: MIT */
/*
 * xb-layout.h - the part of libxl's device layout the handshake reads,
 * written as "the toolstack" (domain 0) for a frontend in domain 1.
 */
#ifndef DUET_TESTS_XB_LAYOUT_H
#define DUET_TESTS_XB_LAYOUT_H

#include <stdio.h>

#include "duet/xs.h"

static inline void xb_attach(struct duet_xs *xs0, const char *fe,
			     const char *be)
{
	struct duet_xs_perm fe_perms[] = { { 1, 0 }, { 0, 1 } };
	struct duet_xs_perm be_perms[] = { { 0, 0 }, { 1, 1 } };
	char p[256];

	duet_xs_rm(xs0, 0, fe);
	duet_xs_rm(xs0, 0, be);
#define XB_W(dir, node, val)                                           \
	do {                                                           \
		snprintf(p, sizeof(p), "%s/%s", dir, node);            \
		duet_xs_write(xs0, 0, p, val);                         \
	} while (0)
	XB_W(fe, "backend", be);
	XB_W(fe, "backend-id", "0");
	XB_W(fe, "state", "1");
	XB_W(be, "frontend", fe);
	XB_W(be, "frontend-id", "1");
	XB_W(be, "online", "1");
	XB_W(be, "state", "1");
#undef XB_W
	duet_xs_set_perms(xs0, 0, fe, fe_perms, 2);
	snprintf(p, sizeof(p), "%s/state", fe);
	duet_xs_set_perms(xs0, 0, p, fe_perms, 2);
	duet_xs_set_perms(xs0, 0, be, be_perms, 2);
	snprintf(p, sizeof(p), "%s/state", be);
	duet_xs_set_perms(xs0, 0, p, be_perms, 2);
}

#endif /* DUET_TESTS_XB_LAYOUT_H */

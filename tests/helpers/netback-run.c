/* SPDX-License-Identifier: MIT */
/*
 * netback-run.c - run duet_netback_serve() for one vif, as one instance
 * of the backend daemon would (duet/backend.h), for the tests of issue 7
 * until the tests move to `duet backend`:
 *
 *   netback-run FE-DOMID DEVID
 *
 * in the backend domain's environment (`duet sim exec`); serves
 * <domain path>/backend/vif/FE-DOMID/DEVID until SIGTERM/SIGINT (which
 * makes stop_fd readable).  Exit 0 on a clean end, 1 on failure.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "duet/netback.h"

int main(int argc, char **argv)
{
	struct duet_backend_ctx ctx;
	struct duet_platform *p;
	struct duet_xs *xs;
	char dir[128];
	sigset_t set;
	int rc, domid;

	if (argc != 3) {
		fprintf(stderr, "usage: netback-run FE-DOMID DEVID\n");
		return 2;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	memset(&ctx, 0, sizeof(ctx));
	ctx.stop_fd = signalfd(-1, &set, SFD_CLOEXEC);
	if (duet_platform_open(NULL, &p) < 0 || duet_xs_open(p, &xs) < 0) {
		fprintf(stderr, "netback-run: no platform/xenstore\n");
		return 1;
	}
	domid = duet_platform_domid(p);
	ctx.platform = p;
	ctx.xs = xs;
	ctx.type = "vif";
	ctx.self_domid = (unsigned)domid;
	ctx.frontend_domid = (unsigned)atoi(argv[1]);
	ctx.devid = (unsigned)atoi(argv[2]);
	snprintf(dir, sizeof(dir), "/local/domain/%d/backend/vif/%u/%u", domid,
		 ctx.frontend_domid, ctx.devid);
	ctx.dir = dir;
	rc = duet_netback_serve(&ctx);
	if (rc < 0)
		fprintf(stderr, "netback-run: %s: %s\n", dir, strerror(-rc));
	duet_xs_close(xs);
	duet_platform_close(p);
	return rc < 0 ? 1 : 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * blkback-serve - run one blkback instance for one vbd, as the backend
 * daemon would, without the daemon's restart back-off, so that a test
 * can kill -9 it and start the next instance at once.
 *
 *   blkback-serve BACKEND_DIR [RESTARTS]
 *
 * The platform comes from the environment (duet sim env).  SIGTERM ends
 * it through ctx->stop_fd.  Exit status: 0, or 1 when serve() failed.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "duet/backend.h"
#include "duet/blkback.h"
#include "duet/platform.h"
#include "duet/xs.h"

static int stop_pipe[2];

static void on_term(int sig)
{
	char c = 0;

	(void)sig;
	if (write(stop_pipe[1], &c, 1) < 0)
		_exit(1);
}

int main(int argc, char **argv)
{
	struct duet_backend_ctx ctx = { 0 };
	struct duet_platform *p;
	unsigned self, fe, devid;
	struct duet_xs *xs;
	int rc;

	if (argc < 2 || argc > 3 ||
	    sscanf(argv[1], "/local/domain/%u/backend/vbd/%u/%u", &self, &fe,
		   &devid) != 3) {
		fprintf(stderr, "usage: blkback-serve "
				"/local/domain/D/backend/vbd/FE/DEVID "
				"[RESTARTS]\n");
		return 2;
	}
	if (pipe(stop_pipe) < 0)
		return 1;
	signal(SIGTERM, on_term);
	rc = duet_platform_open(NULL, &p);
	if (rc == 0)
		rc = duet_xs_open(p, &xs);
	if (rc < 0) {
		fprintf(stderr, "blkback-serve: %s\n", strerror(-rc));
		return 1;
	}
	ctx.platform = p;
	ctx.xs = xs;
	ctx.type = "vbd";
	ctx.dir = argv[1];
	ctx.self_domid = self;
	ctx.frontend_domid = fe;
	ctx.devid = devid;
	ctx.restarts = argc > 2 ? (unsigned)atoi(argv[2]) : 0;
	ctx.stop_fd = stop_pipe[0];
	rc = duet_blkback_serve(&ctx);
	duet_xs_close(xs);
	duet_platform_close(p);
	if (rc < 0)
		fprintf(stderr, "blkback-serve: %s\n", strerror(-rc));
	return rc < 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * backend-testd.c - `duet backend` with a test device type, for the
 * daemon's lifecycle tests (tests/sim/backend-*.sh).
 *
 *   backend-testd [--test-types NAME,NAME...] [duet backend args...]
 *
 * Each NAME (default "duet-test") becomes a device type served by
 * test_serve(), with DUET_BACKEND_RESTRICT.  The instance drives the real
 * XenBus backend steps (duet_xenbus_backend_start/step) without rings:
 * CONNECT just switches to Connected.  Nodes in the backend directory:
 *   written by the instance (and, through duet_backend_stats_write(),
 *   the counters test-restarts and test-pid for `duet status`):
 *     duet-test-pid        its pid
 *     duet-test-restarts   ctx->restarts
 *     duet-test-restrict   what alloc-unbound towards a third domain
 *                          answered after the daemon's restriction
 *                          (-1 = -EPERM: restricted)
 *     duet-test-fe-evtchn  1 when alloc-unbound towards the frontend
 *                          worked
 *     duet-test-connects   how many times it connected
 *     duet-test-hanging    1 once it hangs (duet-test-stubborn)
 *   read by the instance (knobs written by the test):
 *     duet-test-crash N    die from SIGSEGV when restarts == N
 *     duet-test-fail N     return -EIO when restarts == N
 *     duet-test-stubborn   "1": hang with SIGTERM blocked, ignoring
 *                          stop_fd and everything else (the daemon
 *                          must SIGKILL it)
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "duet/backend.h"
#include "duet/platform.h"
#include "duet/xenbus.h"
#include "duet/xs.h"
#include "toolstack/cli/cmd-backend.h"

#define MAX_TEST_TYPES 8

static void put(const struct duet_backend_ctx *ctx, const char *node, long val)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", ctx->dir, node);
	duet_xs_printf(ctx->xs, DUET_XS_NO_TX, path, "%ld", val);
}

/* A knob: its value, or -1 when absent or not a number. */
static long knob(const struct duet_backend_ctx *ctx, const char *node)
{
	char path[256], *val, *end;
	long v;

	snprintf(path, sizeof(path), "%s/%s", ctx->dir, node);
	if (duet_xs_read(ctx->xs, DUET_XS_NO_TX, path, &val) < 0)
		return -1;
	v = strtol(val, &end, 10);
	if (*end || end == val)
		v = -1;
	free(val);
	return v;
}

/* Crash or fail as the knobs say; returns -EIO to fail, else 0. */
static int knobs(const struct duet_backend_ctx *ctx)
{
	struct rlimit no_core = {0, 0};

	if (knob(ctx, "duet-test-crash") == (long)ctx->restarts) {
		setrlimit(RLIMIT_CORE, &no_core);
		signal(SIGSEGV, SIG_DFL);
		raise(SIGSEGV);
	}
	if (knob(ctx, "duet-test-fail") == (long)ctx->restarts)
		return -EIO;
	if (knob(ctx, "duet-test-stubborn") == 1) {
		put(ctx, "duet-test-hanging", 1);
		for (;;)
			pause();
	}
	return 0;
}

/* Is the restriction in force?  Publish what the platform answered. */
static void probe_restrict(const struct duet_backend_ctx *ctx)
{
	struct duet_evtchn *e;
	unsigned third = ctx->frontend_domid + 1;
	int rc;

	if (third == ctx->self_domid)
		third++;
	if (duet_evtchn_open(ctx->platform, &e) < 0)
		return;
	rc = duet_evtchn_alloc_unbound(e, (duet_domid_t)third);
	put(ctx, "duet-test-restrict", rc == -EPERM ? -1 : rc < 0 ? rc : 1);
	rc = duet_evtchn_alloc_unbound(e, (duet_domid_t)ctx->frontend_domid);
	put(ctx, "duet-test-fe-evtchn", rc > 0 ? 1 : rc);
	duet_evtchn_close(e);
}

static int test_serve(const struct duet_backend_ctx *ctx)
{
	struct duet_xenbus_dev *dev;
	struct pollfd pfd[2];
	struct signalfd_siginfo si;
	char *path, *token;
	int rc, act, connected = 0, connects = 0;

	put(ctx, "duet-test-pid", (long)getpid());
	put(ctx, "duet-test-restarts", (long)ctx->restarts);
	{
		struct duet_backend_stat st[] = {
			{ "test-restarts", ctx->restarts },
			{ "test-pid", (unsigned long long)getpid() },
		};

		duet_backend_stats_write(ctx, st, 2);
	}
	probe_restrict(ctx);
	rc = knobs(ctx);
	if (rc < 0)
		return rc;
	rc = duet_xenbus_open(ctx->xs, DUET_XENBUS_BACKEND, ctx->dir, &dev);
	if (rc < 0)
		return rc;
	rc = duet_xs_watch(ctx->xs, ctx->dir, "own");
	if (!rc)
		rc = duet_xenbus_backend_start(dev);
	if (rc < 0)
		goto out;
	pfd[0].fd = ctx->stop_fd;
	pfd[0].events = POLLIN;
	pfd[1].fd = duet_xs_fd(ctx->xs);
	pfd[1].events = POLLIN;
	for (;;) {
		do {
			act = duet_xenbus_backend_step(dev, connected);
			if (act == DUET_XENBUS_ACT_CONNECT) {
				connected = 1;
				put(ctx, "duet-test-connects", ++connects);
				rc = duet_xenbus_switch(dev,
							DUET_XENBUS_CONNECTED);
				if (rc < 0)
					goto out;
			} else if (act == DUET_XENBUS_ACT_DISCONNECT) {
				connected = 0;
			} else if (act == DUET_XENBUS_ACT_DONE) {
				rc = 0;
				goto out;
			} else if (act < 0) {
				rc = act;
				goto out;
			}
		} while (act != DUET_XENBUS_ACT_NONE);
		if (poll(pfd, 2, -1) < 0 && errno != EINTR) {
			rc = -errno;
			goto out;
		}
		if (pfd[0].revents & POLLIN) {
			while (read(ctx->stop_fd, &si, sizeof(si)) > 0)
				;
			rc = 0;
			goto out;
		}
		while ((rc = duet_xs_read_watch(ctx->xs, &path, &token)) > 0)
			free(path);
		if (rc < 0)
			goto out;
		rc = knobs(ctx);
		if (rc < 0)
			goto out;
	}
out:
	duet_xenbus_close(dev);
	return rc;
}

int main(int argc, char **argv)
{
	static struct duet_backend_type types[MAX_TEST_TYPES];
	const struct duet_backend_type *list[MAX_TEST_TYPES + 1];
	char *names = strdup("duet-test"), *name, *save = NULL;
	unsigned n = 0;

	if (argc > 2 && !strcmp(argv[1], "--test-types")) {
		free(names);
		names = strdup(argv[2]);
		argv[2] = argv[0];
		argc -= 2;
		argv += 2;
	}
	if (!names)
		return 1;
	for (name = strtok_r(names, ",", &save); name && n < MAX_TEST_TYPES;
	     name = strtok_r(NULL, ",", &save)) {
		types[n].name = name;
		types[n].flags = DUET_BACKEND_RESTRICT;
		types[n].serve = test_serve;
		list[n] = &types[n];
		n++;
	}
	list[n] = NULL;
	argv[0] = "backend";
	return backendd_main(argc, argv, list);
}

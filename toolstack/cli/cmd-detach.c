/* SPDX-License-Identifier: MIT */
/*
 * cmd-detach.c - "duet detach": the XenBus close handshake, then removal of
 * the device's nodes, as libxl's device remove does.
 *
 *   duet detach [--force] [--timeout S] DOMID DEVICE
 *
 * Nodes (libxl's layout, see duet/xlspec.h):
 *   /libxl/<domid>/device/<kind>/<devid>/backend
 *       read: where the backend directory is (the toolstack's own record;
 *       the guest-writable frontend "backend" node is not trusted).
 *   <backend>/online    written "0": the device is going away, so that
 *       the backend does not reconnect (Linux's xenbus backend, and duet's
 *       daemon, end the device once it is Closed and offline).
 *   <backend>/state     written "5" (XenbusStateClosing): asks the backend
 *       to close; the backend moves the frontend to Closed and then
 *       itself to Closed (6).  Read while waiting.
 *   <frontend>/state    read while waiting: done when Closed (6), not
 *       past Initialising (it never connected), or gone (the frontend
 *       domain was destroyed).
 *
 * Steps:
 *   1. Nothing uses the device (backend state missing, Unknown,
 *      Initialising or Closed, and the frontend's not connecting or
 *      connected): remove at once.
 *   2. Otherwise, in one transaction, write online=0 and, unless the
 *      backend is already Closed, state=5.
 *   3. Wait (watching both state nodes, at most --timeout seconds,
 *      default 10 as libxl's LIBXL_DESTROY_TIMEOUT) for the backend to
 *      reach Closed and the frontend to be done (above).
 *   4. Remove the frontend, backend and /libxl directories in one
 *      transaction (duet_xl_detach(), run again on EAGAIN), checking the
 *      states again inside it.
 * On timeout the nodes stay (with online=0, state=5): exit status 1 and a
 * message naming both states; --force removes them.  --force skips steps
 * 1-3: for dead peers.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "duet/parse.h"
#include "duet/platform.h"
#include "duet/xenbus.h"
#include "duet/xlspec.h"
#include "duet/xs.h"
#include "toolstack/cli/cli.h"
#include "toolstack/lib/xlspec-int.h"

/* libxl's LIBXL_DESTROY_TIMEOUT, in seconds. */
#define DETACH_TIMEOUT_DEFAULT 10.0
#define DETACH_TIMEOUT_MAX 3600.0

/* XenBus states (xen/io/xenbus.h) used here. */
#define ST_INITIALISING 1
#define ST_CLOSING 5
#define ST_CLOSED 6

static void detach_usage(FILE *f)
{
	fprintf(f,
		"usage: duet detach [--force] [--timeout S] DOMID DEVICE\n"
		"DEVICE is a vdev (xvda, hdc, sdb1), vbd:DEVID, vif:DEVID, or "
		"a\n"
		"bare DEVID when only one of the domain's vbd and vif has it.\n"
		"Performs the XenBus close handshake as libxl does: writes\n"
		"online=0 and state=5 (Closing) in the backend directory, "
		"waits\n"
		"up to S seconds (default 10) for the backend to reach Closed\n"
		"(and the frontend to be Closed or gone), then removes the\n"
		"frontend, backend and /libxl nodes in one transaction.  A\n"
		"device nobody serves is removed at once.  On timeout the "
		"nodes\n"
		"stay and the exit status is 1.  --force removes them without\n"
		"waiting (dead peers).\n");
}

/* 1 if /libxl/<domid>/device/<kind>/<devid> exists, 0 if not, -errno. */
static int has_device(struct duet_xs *xs, int domid, const char *kind,
		      int devid)
{
	char path[96], *val;
	int rc;

	snprintf(path, sizeof(path), "/libxl/%d/device/%s/%d/backend", domid,
		 kind, devid);
	rc = duet_xs_read(xs, DUET_XS_NO_TX, path, &val);
	if (rc == -ENOENT)
		return 0;
	if (rc < 0)
		return rc;
	free(val);
	return 1;
}

/* A frontend in this state holds (or is setting up) rings. */
static int fe_busy(int st)
{
	return st > ST_INITIALISING && st != ST_CLOSED;
}

/* A backend in this state is served by a driver. */
static int be_served(int st)
{
	return st > ST_INITIALISING && st != ST_CLOSED;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct handshake {
	char *fe, *be;
	int fst, bst;
};

/*
 * begin() - step 1 and 2 in one transaction.  Returns 1 when the handshake
 * was started, 0 when nothing uses the device, -errno.
 */
static int begin(struct duet_xs *xs, int domid, const char *kind, int devid,
		 struct handshake *h)
{
	duet_xs_tx_t tx;
	char *path;
	int rc, tries;

	for (tries = 0; tries < 32; tries++) {
		free(h->fe);
		free(h->be);
		h->fe = h->be = NULL;
		rc = duet_xs_tx_start(xs, &tx);
		if (rc < 0)
			return rc;
		rc = duet_xl_device_dirs(xs, tx, (unsigned)domid, kind, devid,
					 &h->fe, &h->be);
		if (!rc) {
			h->fst = duet_xl_device_state(xs, tx, h->fe);
			h->bst = duet_xl_device_state(xs, tx, h->be);
			rc = h->fst < 0 ? h->fst : h->bst < 0 ? h->bst : 0;
		}
		if (!rc && !be_served(h->bst) && !fe_busy(h->fst)) {
			duet_xs_tx_end(xs, tx, 1);
			return 0;
		}
		if (!rc) {
			if (asprintf(&path, "%s/online", h->be) < 0)
				rc = -ENOMEM;
			else {
				rc = duet_xs_write(xs, tx, path, "0");
				free(path);
			}
		}
		if (!rc && h->bst != ST_CLOSED) {
			if (asprintf(&path, "%s/state", h->be) < 0)
				rc = -ENOMEM;
			else {
				rc = duet_xs_printf(xs, tx, path, "%d",
						    ST_CLOSING);
				free(path);
			}
		}
		if (rc < 0) {
			duet_xs_tx_end(xs, tx, 1);
			return rc;
		}
		rc = duet_xs_tx_end(xs, tx, 0);
		if (rc != -EAGAIN)
			return rc < 0 ? rc : 1;
	}
	return -EAGAIN;
}

/*
 * wait_closed() - step 3.  Returns 0 when both ends are done, -ETIMEDOUT,
 * or -errno.  h->fst and h->bst hold the last states seen.
 */
static int wait_closed(struct duet_xs *xs, struct handshake *h, double timeout)
{
	struct pollfd pfd;
	double deadline = now_s() + timeout, left;
	char *path, *tok;
	int rc, ms;

	rc = duet_xs_watch(xs, h->be, "detach-be");
	if (!rc)
		rc = duet_xs_watch(xs, h->fe, "detach-fe");
	if (rc < 0)
		return rc;
	pfd.fd = duet_xs_fd(xs);
	pfd.events = POLLIN;
	for (;;) {
		/* Events coalesce and may be spurious: re-read both. */
		while ((rc = duet_xs_read_watch(xs, &path, &tok)) > 0)
			free(path);
		if (rc < 0)
			return rc;
		h->bst = duet_xl_device_state(xs, DUET_XS_NO_TX, h->be);
		h->fst = duet_xl_device_state(xs, DUET_XS_NO_TX, h->fe);
		if (h->bst < 0 || h->fst < 0)
			return h->bst < 0 ? h->bst : h->fst;
		if (h->bst == ST_CLOSED && !fe_busy(h->fst))
			return 0;
		left = deadline - now_s();
		if (left <= 0)
			return -ETIMEDOUT;
		ms = (int)(left * 1000) + 1;
		rc = poll(&pfd, 1, ms > 250 ? 250 : ms);
		if (rc < 0 && errno != EINTR)
			return -errno;
	}
}

/* What a state number is called, for messages. */
static const char *st_name(int st)
{
	return st ? duet_xenbus_state_name(st) : "gone or Unknown";
}

static int bad_timeout(void)
{
	return cli_usage_error("detach", "--timeout takes seconds "
				"(0 < S <= %.0f)", DETACH_TIMEOUT_MAX);
}

static const struct option detach_opts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "force", no_argument, NULL, 'f' },
	{ "timeout", required_argument, NULL, 't' },
	{ NULL, 0, NULL, 0 },
};

int cli_detach(int argc, char **argv)
{
	struct handshake h = {NULL, NULL, 0, 0};
	struct duet_platform *p;
	struct duet_xs *xs;
	const char *kind = NULL, *dev;
	int force = 0, domid, devid = -1, rc, a, b, i, c;
	double timeout = DETACH_TIMEOUT_DEFAULT;
	uint64_t n;

	cli_getopt_init();
	while ((c = getopt_long(argc, argv, "+:h", detach_opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			detach_usage(stdout);
			return CLI_EXIT_OK;
		case 'f':
			force = 1;
			break;
		case 't':
			if (cli_parse_seconds(optarg, DETACH_TIMEOUT_MAX,
					      &timeout))
				return bad_timeout();
			break;
		case ':':
			if (optopt == 't')
				return bad_timeout();
			return cli_option_error("detach", c, argv);
		default:
			return cli_option_error("detach", c, argv);
		}
	}
	i = optind;
	if (argc - i != 2)
		return cli_usage_error("detach", "expected DOMID and DEVICE");
	domid = cli_parse_domid(argv[i]);
	if (domid < 0)
		return cli_usage_error("detach", "bad domain id (0..%u)",
				       DUET_XL_DOMID_MAX - 1);
	dev = argv[i + 1];
	if (!strncmp(dev, "vbd:", 4) || !strncmp(dev, "vif:", 4)) {
		kind = !strncmp(dev, "vbd:", 4) ? "vbd" : "vif";
		dev += 4;
	}
	if (!duet_parse_uint(dev, 0x7fffffff, &n)) {
		devid = (int)n;
	} else if (!kind) {
		devid = duet_xl_vdev_encode(dev, NULL, NULL);
		kind = "vbd";
	}
	if (devid < 0)
		return cli_usage_error("detach",
				       "DEVICE is not a vdev, vbd:N, vif:N "
				       "or N");

	rc = cli_open_xs("detach", &p, &xs);
	if (rc)
		return rc;
	if (!kind) {
		a = has_device(xs, domid, "vbd", devid);
		b = has_device(xs, domid, "vif", devid);
		if (a > 0 && b > 0) {
			fprintf(stderr,
				"duet detach: domain %d has vbd %d and vif %d: "
				"say vbd:%d or vif:%d\n",
				domid, devid, devid, devid, devid);
			rc = CLI_EXIT_USAGE;
			goto out;
		}
		kind = b > 0 ? "vif" : "vbd";
	}
	rc = force ? 0 : begin(xs, domid, kind, devid, &h);
	if (rc > 0)
		rc = wait_closed(xs, &h, timeout);
	if (!rc)
		rc = duet_xl_detach(xs, (unsigned)domid, kind, devid, force);
	switch (rc) {
	case 0:
		printf("detached %s %d from domain %d\n", kind, devid, domid);
		rc = CLI_EXIT_OK;
		break;
	case -ENOENT:
		fprintf(stderr, "duet detach: domain %d has no %s %d\n", domid,
			kind, devid);
		rc = CLI_EXIT_FAIL;
		break;
	case -ETIMEDOUT:
		fprintf(stderr,
			"duet detach: %s %d of domain %d: the backend did not "
			"reach Closed within %g s (backend %s, frontend %s); "
			"nodes left in place, --force removes them\n",
			kind, devid, domid, timeout, st_name(h.bst),
			st_name(h.fst));
		rc = CLI_EXIT_FAIL;
		break;
	case -EBUSY:
		fprintf(stderr,
			"duet detach: %s %d of domain %d is in use again "
			"(it reconnected during the handshake)\n",
			kind, devid, domid);
		rc = CLI_EXIT_FAIL;
		break;
	case -EPROTO:
		fprintf(stderr,
			"duet detach: /libxl/%d/device/%s/%d/backend is "
			"malformed\n",
			domid, kind, devid);
		rc = CLI_EXIT_FAIL;
		break;
	default:
		fprintf(stderr, "duet detach: xenstore: %s\n", strerror(-rc));
		rc = CLI_EXIT_FAIL;
	}
out:
	free(h.fe);
	free(h.be);
	duet_xs_close(xs);
	duet_platform_close(p);
	return rc;
}

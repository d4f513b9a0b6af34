/* SPDX-License-Identifier: MIT */
/*
 * cmd-sim-tools.c - hidden "duet sim" subcommands that exercise the
 * platform interface from the shell, for "make demo" and tests/sim/.
 * Each runs in the domain its environment names (duet sim exec DOMID --).
 *
 *   share-page DOMID TEXT [--ro]  share one page holding TEXT with DOMID,
 *                                 print its grant ref, hold it until
 *                                 SIGTERM/SIGINT, print the text the page
 *                                 then holds, end access
 *   map-page DOMID REF [TEXT] [--ro]
 *                                 map DOMID's grant REF, print the text in
 *                                 it, write TEXT into it if given, unmap
 *   evtchn-ping REMOTE COUNT      allocate a port for REMOTE, print it, wait
 *                                 for REMOTE to bind and say hello, then
 *                                 COUNT notify/answer round trips; fails
 *                                 (-ETIMEDOUT) when an answer does not come
 *                                 within 10 s
 *   evtchn-pong REMOTE PORT [COUNT]
 *                                 bind to REMOTE's PORT, say hello, answer
 *                                 COUNT events (without COUNT: every event
 *                                 until none came for 10 s)
 *
 * A peer that closed its end is not seen through the event channel: as on
 * Xen, a notify to it is dropped and answers 0.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "duet/parse.h"
#include "duet/platform.h"
#include "toolstack/cli/cmd-sim.h"
#include "toolstack/cli/cli.h"

#define WAIT_MS 10000

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

static int tool_fail(const char *tool, const char *what, int err)
{
	fprintf(stderr, "duet sim %s: %s: %s (%d)\n", tool, what,
		strerror(-err), err);
	return CLI_EXIT_FAIL;
}

static int open_platform(const char *tool, struct duet_platform **p)
{
	int rc = duet_platform_open(NULL, p);

	return rc < 0 ? tool_fail(tool, "open platform", rc) : 0;
}

static int parse_u32(const char *s, unsigned long max, unsigned *out)
{
	uint64_t v;

	if (duet_parse_uint(s, max, &v))
		return -1;
	*out = (unsigned)v;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Grants                                                              */
/* ------------------------------------------------------------------ */

static int tool_share(int npos, char **pos, int ro)
{
	struct duet_platform *p;
	duet_grant_ref_t ref;
	struct sigaction sa;
	int domid, rc, tries;
	void *addr;

	if (npos != 3 || (domid = cli_sim_parse_domid(pos[1])) < 0)
		return cli_usage_error("sim", "share-page needs DOMID TEXT");
	if (open_platform("share-page", &p))
		return CLI_EXIT_FAIL;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	rc = duet_gnt_share(p, (duet_domid_t)domid, 1,
			    ro ? DUET_GNT_READONLY : 0, &ref, &addr);
	if (rc < 0) {
		duet_platform_close(p);
		return tool_fail("share-page", "share", rc);
	}
	snprintf(addr, DUET_PAGE_SIZE, "%s", pos[2]);
	printf("%u\n", ref);
	fflush(stdout);
	while (!got_signal)
		pause();
	printf("%.*s\n", 200, (char *)addr);
	fflush(stdout);
	for (tries = 0; tries < 500; tries++) {
		rc = duet_gnt_unshare(p, addr, 1);
		if (rc != -EBUSY)
			break;
		usleep(10000);
	}
	duet_platform_close(p);
	return rc < 0 ? tool_fail("share-page", "end access", rc) : 0;
}

static int tool_map(int npos, char **pos, int ro)
{
	struct duet_platform *p;
	unsigned ref;
	int domid, rc;
	char *addr;

	if (npos < 3 || npos > 4 || (domid = cli_sim_parse_domid(pos[1])) < 0 ||
	    parse_u32(pos[2], 0xffffffffu, &ref) < 0)
		return cli_usage_error("sim", "map-page needs DOMID REF [TEXT]");
	if (open_platform("map-page", &p))
		return CLI_EXIT_FAIL;
	rc = duet_gnt_map(p, (duet_domid_t)domid, 1, &ref,
			  ro ? DUET_GNT_READONLY : 0, (void **)&addr);
	if (rc < 0) {
		duet_platform_close(p);
		return tool_fail("map-page", "map", rc);
	}
	printf("%.*s\n", 200, addr);
	fflush(stdout);
	if (npos == 4)
		snprintf(addr, DUET_PAGE_SIZE, "%s", pos[3]);
	rc = duet_gnt_unmap(p, addr, 1);
	duet_platform_close(p);
	return rc < 0 ? tool_fail("map-page", "unmap", rc) : 0;
}

/* ------------------------------------------------------------------ */
/* Event channels                                                      */
/* ------------------------------------------------------------------ */

/* Wait for the next event; return its port or -errno (-ETIMEDOUT). */
static int wait_event(struct duet_evtchn *e)
{
	struct pollfd pfd = { .fd = duet_evtchn_fd(e), .events = POLLIN };
	int rc;

	for (;;) {
		rc = duet_evtchn_pending(e);
		if (rc != -EAGAIN)
			return rc;
		rc = poll(&pfd, 1, WAIT_MS);
		if (rc == 0)
			return -ETIMEDOUT;
		if (rc < 0 && errno != EINTR)
			return -errno;
	}
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int tool_ping(int npos, char **pos)
{
	struct duet_platform *p;
	struct duet_evtchn *e;
	unsigned count, i;
	int remote, port, rc;
	double t0;

	if (npos != 3 || (remote = cli_sim_parse_domid(pos[1])) < 0 ||
	    parse_u32(pos[2], 100000000, &count) < 0)
		return cli_usage_error("sim", "evtchn-ping needs REMOTE COUNT");
	if (open_platform("evtchn-ping", &p))
		return CLI_EXIT_FAIL;
	rc = duet_evtchn_open(p, &e);
	if (rc < 0)
		goto err;
	port = duet_evtchn_alloc_unbound(e, (duet_domid_t)remote);
	if (port < 0) {
		rc = port;
		goto err;
	}
	printf("%d\n", port);
	fflush(stdout);
	rc = wait_event(e); /* the peer's hello */
	if (rc >= 0)
		rc = duet_evtchn_unmask(e, (duet_evtchn_port_t)port);
	if (rc < 0)
		goto err;
	t0 = now_us();
	for (i = 0; i < count; i++) {
		rc = duet_evtchn_notify(e, (duet_evtchn_port_t)port);
		if (rc >= 0)
			rc = wait_event(e);
		if (rc >= 0)
			rc = duet_evtchn_unmask(e, (duet_evtchn_port_t)port);
		if (rc < 0)
			goto err;
	}
	printf("%u round trips, %.1f us each\n", count,
	       count ? (now_us() - t0) / count : 0.0);
	duet_evtchn_close(e);
	duet_platform_close(p);
	return CLI_EXIT_OK;
err:
	duet_platform_close(p);
	return tool_fail("evtchn-ping", "event channel", rc);
}

static int tool_pong(int npos, char **pos)
{
	unsigned rport, n = 0, count = UINT_MAX;
	struct duet_platform *p;
	struct duet_evtchn *e;
	int remote, port, rc;

	if ((npos != 3 && npos != 4) ||
	    (remote = cli_sim_parse_domid(pos[1])) < 0 ||
	    parse_u32(pos[2], 0xffffffffu, &rport) < 0 ||
	    (npos == 4 && parse_u32(pos[3], 100000000, &count) < 0))
		return cli_usage_error("sim",
				       "evtchn-pong needs REMOTE PORT [COUNT]");
	if (open_platform("evtchn-pong", &p))
		return CLI_EXIT_FAIL;
	rc = duet_evtchn_open(p, &e);
	if (rc < 0)
		goto err;
	port = duet_evtchn_bind(e, (duet_domid_t)remote, rport);
	if (port < 0) {
		rc = port;
		goto err;
	}
	rc = duet_evtchn_notify(e, (duet_evtchn_port_t)port);
	while (rc >= 0 && n < count) {
		rc = wait_event(e);
		if (rc >= 0)
			rc = duet_evtchn_unmask(e, (duet_evtchn_port_t)port);
		if (rc >= 0)
			rc = duet_evtchn_notify(e, (duet_evtchn_port_t)port);
		if (rc >= 0)
			n++;
	}
	if (rc >= 0 || (rc == -ETIMEDOUT && count == UINT_MAX)) {
		printf("answered %u events%s\n", n,
		       rc < 0 ? "; then none came for 10 s" : "");
		duet_evtchn_close(e);
		duet_platform_close(p);
		return CLI_EXIT_OK;
	}
err:
	duet_platform_close(p);
	return tool_fail("evtchn-pong", "event channel", rc);
}

int cli_sim_tool(const char *name, int npos, char **pos, int ro)
{
	if (!strcmp(name, "share-page"))
		return tool_share(npos, pos, ro);
	if (!strcmp(name, "map-page"))
		return tool_map(npos, pos, ro);
	if (!strcmp(name, "evtchn-ping"))
		return tool_ping(npos, pos);
	if (!strcmp(name, "evtchn-pong"))
		return tool_pong(npos, pos);
	return -1;
}

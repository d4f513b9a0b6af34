/* SPDX-License-Identifier: MIT */
/*
 * xsd-standalone - run the simulator's xenstore server on its own, for the
 * script tests (tests/sim/xenstore-*.sh) until `duet sim start` embeds it.
 *
 *   xsd-standalone [-n NODES] [-w WATCHES] [-t TRANSACTIONS] [-v VALUE]
 *                  DIR [DOMID...]
 *
 * Listens on DIR/xs-<domid>.sock for each DOMID (default: 0 and 1), then
 * creates DIR/ready and serves until SIGTERM or SIGINT.  Exit 0 on a signal,
 * 1 on a setup error, 2 on bad arguments.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/xsd.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static unsigned int num_arg(const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (end == s || *end || v > 1000000) {
		fprintf(stderr, "xsd-standalone: bad number '%s'\n", s);
		exit(2);
	}
	return (unsigned int)v;
}

static int add_domain(struct simxsd *xsd, const char *dir, unsigned int id)
{
	char path[4096];
	int r;

	snprintf(path, sizeof(path), "%s/xs-%u.sock", dir, id);
	r = simxsd_domain_add(xsd, id, path);
	if (r)
		fprintf(stderr, "xsd-standalone: domain %u at %s: %s\n", id,
			path, strerror(-r));
	return r;
}

int main(int argc, char **argv)
{
	struct simxsd_limits lim = { 0 };
	struct sigaction sa = { .sa_handler = on_signal };
	struct simxsd *xsd;
	struct pollfd pfd;
	char ready[4096];
	const char *dir;
	FILE *f;
	int opt, r, i;

	while ((opt = getopt(argc, argv, "n:w:t:v:")) != -1) {
		switch (opt) {
		case 'n':
			lim.nodes = num_arg(optarg);
			break;
		case 'w':
			lim.watches = num_arg(optarg);
			break;
		case 't':
			lim.transactions = num_arg(optarg);
			break;
		case 'v':
			lim.value_size = num_arg(optarg);
			break;
		default:
			fprintf(stderr, "usage: xsd-standalone [-n N] [-w N] "
					"[-t N] [-v N] DIR [DOMID...]\n");
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "xsd-standalone: missing DIR\n");
		return 2;
	}
	dir = argv[optind++];
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	r = simxsd_create(&lim, &xsd);
	if (r) {
		fprintf(stderr, "xsd-standalone: %s\n", strerror(-r));
		return 1;
	}
	if (optind == argc) {
		if (add_domain(xsd, dir, 0) || add_domain(xsd, dir, 1))
			goto err;
	} else {
		for (i = optind; i < argc; i++)
			if (add_domain(xsd, dir, num_arg(argv[i])))
				goto err;
	}
	snprintf(ready, sizeof(ready), "%s/ready", dir);
	f = fopen(ready, "w");
	if (!f) {
		fprintf(stderr, "xsd-standalone: %s: %s\n", ready,
			strerror(errno));
		goto err;
	}
	fprintf(f, "%d\n", (int)getpid());
	fclose(f);

	pfd.fd = simxsd_fd(xsd);
	pfd.events = POLLIN;
	while (!stop) {
		r = poll(&pfd, 1, -1);
		if (r < 0 && errno != EINTR)
			break;
		if (r > 0 && simxsd_dispatch(xsd) < 0)
			break;
	}
	simxsd_destroy(xsd);
	unlink(ready);
	return 0;
err:
	simxsd_destroy(xsd);
	return 1;
}

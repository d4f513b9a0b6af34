/* SPDX-License-Identifier: MIT */
/*
 * cmd-netfront.c - "duet netfront": run the userspace network frontend of one
 * vif of the current domain (duet/netfront.h) until SIGINT/SIGTERM.
 *
 *   duet netfront [--ifname NAME] [--queues N] [--no-sg] [--no-gso]
 *                 [--no-csum] [--no-split] [--rx-flip] [--ctrl-ring]
 *                 [--hash-mapping Q,Q,...] DEVID
 *
 * The TAP device appears in the caller's network namespace (run it with
 * `duet sim exec DOMID -- duet netfront 0` to put it in the domain's).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "duet/netfront.h"
#include "duet/parse.h"
#include "duet/platform.h"
#include "duet/xenbus.h"
#include "duet/xs.h"
#include "toolstack/cli/cli.h"

static void netfront_usage(FILE *f)
{
	fprintf(f,
		"usage: duet netfront [options] DEVID\n"
		"Run the network frontend of vif DEVID of this domain\n"
		"(/local/domain/<self>/device/vif/DEVID) as a TAP device in\n"
		"this network namespace, until SIGINT or SIGTERM.\n"
		"  --ifname NAME   TAP name (default eth<DEVID>)\n"
		"  --queues N      ask for N queues (1..4; the backend may "
		"offer fewer,\n"
		"                  and a queue the grant table has no room "
		"for is dropped:\n"
		"                  each takes 514 granted pages; on Xen "
		"raise\n"
		"                  /sys/module/xen_gntalloc/parameters/limit "
		"(1024) for 2+)\n"
		"  --no-sg         no scatter-gather (and so no GSO; MTU "
		"<= 1500)\n"
		"  --no-gso        no TCP segmentation offload\n"
		"  --no-csum       no checksum offload "
		"(feature-no-csum-offload=1)\n"
		"  --no-split      one event channel for tx and rx\n"
		"  --rx-flip       receive by page transfer when the backend "
		"offers it\n"
		"  --ctrl-ring     give the backend a control ring and select "
		"Toeplitz\n"
		"                  hashing of received packets onto queues "
		"(off by default)\n"
		"  --hash-mapping Q,Q,...  the hash -> queue table (implies "
		"--ctrl-ring;\n"
		"                  default: hash modulo the queue count)\n");
}

static void on_connected(void *opaque)
{
	const struct duet_netfront_opts *o = opaque;

	printf("netfront: vif %u connected\n", o->devid);
	fflush(stdout);
}

static const struct option nf_opts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "ifname", required_argument, NULL, 'i' },
	{ "queues", required_argument, NULL, 'q' },
	{ "no-sg", no_argument, NULL, 'S' },
	{ "no-gso", no_argument, NULL, 'G' },
	{ "no-csum", no_argument, NULL, 'C' },
	{ "no-split", no_argument, NULL, 'P' },
	{ "rx-flip", no_argument, NULL, 'f' },
	{ "ctrl-ring", no_argument, NULL, 'c' },
	{ "hash-mapping", required_argument, NULL, 'm' },
	{ NULL, 0, NULL, 0 },
};

/* "Q,Q,...": up to 128 queue numbers 0..3 into @map; turns the control
 * ring on.  Returns 0 or -1. */
static int parse_hash_mapping(const char *arg, uint32_t *map,
			      struct duet_netfront_opts *o)
{
	const char *s = arg;
	unsigned long v;
	char *end;

	o->ctrl_ring = 1;
	o->hash_mapping = map;
	o->hash_mapping_size = 0;
	do {
		errno = 0;
		v = strtoul(s, &end, 10);
		if (errno || end == s || v > 3 || (*end && *end != ',') ||
		    o->hash_mapping_size == 128)
			return -1;
		map[o->hash_mapping_size++] = (uint32_t)v;
		s = end + 1;
	} while (*end);
	return 0;
}

int cli_netfront(int argc, char **argv)
{
	static uint32_t map[128];
	struct duet_netfront_opts o;
	struct duet_platform *p;
	struct duet_xs *xs;
	uint64_t v;
	sigset_t set;
	int c, rc, sfd;

	memset(&o, 0, sizeof(o));
	cli_getopt_init();
	/* Options and DEVID in any order (getopt_long() permutes). */
	while ((c = getopt_long(argc, argv, ":h", nf_opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			netfront_usage(stdout);
			return CLI_EXIT_OK;
		case 'i':
			o.ifname = optarg;
			if (!o.ifname[0] || strlen(o.ifname) >= 16)
				return cli_usage_error("netfront",
						       "bad --ifname '%s'",
						       o.ifname);
			break;
		case 'q':
			if (duet_parse_uint(optarg, 4, &v) || v < 1)
				return cli_usage_error("netfront",
						       "bad --queues '%s'",
						       optarg);
			o.queues = (unsigned)v;
			break;
		case 'S':
			o.no_sg = 1;
			break;
		case 'G':
			o.no_gso = 1;
			break;
		case 'C':
			o.no_csum = 1;
			break;
		case 'P':
			o.no_split = 1;
			break;
		case 'f':
			o.rx_flip = 1;
			break;
		case 'c':
			o.ctrl_ring = 1;
			break;
		case 'm':
			if (parse_hash_mapping(optarg, map, &o) < 0)
				return cli_usage_error(
					"netfront", "bad --hash-mapping '%s'",
					optarg);
			break;
		default:
			return cli_option_error("netfront", c, argv);
		}
	}
	if (optind == argc)
		return cli_usage_error("netfront", "needs %s", "DEVID");
	if (duet_parse_uint(argv[optind], 0xffff, &v))
		return cli_usage_error("netfront", "bad DEVID '%s'",
				       argv[optind]);
	o.devid = (unsigned)v;
	if (optind + 1 < argc)
		return cli_usage_error("netfront", "unexpected argument '%s'",
				       argv[optind + 1]);

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (sfd < 0) {
		perror("duet netfront: signalfd");
		return CLI_EXIT_FAIL;
	}
	rc = duet_platform_open(NULL, &p);
	if (rc < 0) {
		fprintf(stderr, "duet netfront: no platform: %s\n",
			strerror(-rc));
		return CLI_EXIT_FAIL;
	}
	rc = duet_xs_open(p, &xs);
	if (rc < 0) {
		fprintf(stderr, "duet netfront: no xenstore: %s\n",
			strerror(-rc));
		duet_platform_close(p);
		return CLI_EXIT_FAIL;
	}
	o.stop_fd = sfd;
	o.connected = on_connected;
	o.opaque = &o;
	rc = duet_netfront_run(p, xs, &o);
	if (rc < 0)
		fprintf(stderr, "duet netfront: vif %u: %s\n", o.devid,
			strerror(-rc));
	duet_xs_close(xs);
	duet_platform_close(p);
	close(sfd);
	return rc < 0 ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

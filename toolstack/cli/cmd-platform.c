/* SPDX-License-Identifier: MIT */
/*
 * cmd-platform.c - "duet platform": open the platform this process would use
 * and say which one it is and which domain we are.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "duet/platform.h"
#include "toolstack/cli/cli.h"

static const struct option platform_opts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int cli_platform(int argc, char **argv)
{
	struct duet_platform *p;
	int rc, domid, c;

	cli_getopt_init();
	while ((c = getopt_long(argc, argv, "+:h", platform_opts,
				NULL)) != -1) {
		if (c != 'h')
			return cli_option_error("platform", c, argv);
		printf("usage: duet platform\n"
		       "Opens the platform selected by DUET_PLATFORM "
		       "(xen | sim:<dir>) and prints its name and our "
		       "domid.\n");
		return CLI_EXIT_OK;
	}
	if (optind < argc)
		return cli_usage_error("platform", "unexpected argument '%s'",
				       argv[optind]);
	rc = duet_platform_open(NULL, &p);
	if (rc < 0) {
		fprintf(stderr, "duet platform: cannot open: %s\n",
			strerror(-rc));
		return CLI_EXIT_FAIL;
	}
	domid = duet_platform_domid(p);
	if (domid < 0)
		printf("platform %s, domid unknown (%s)\n",
		       duet_platform_name(p), strerror(-domid));
	else
		printf("platform %s, domid %d\n", duet_platform_name(p), domid);
	duet_platform_close(p);
	return CLI_EXIT_OK;
}

/* SPDX-License-Identifier: MIT */
/*
 * cmd-platform.c - "duet platform": open the platform this process would use
 * and say which one it is and which domain we are.
 */
#include <stdio.h>
#include <string.h>

#include "duet/platform.h"
#include "toolstack/cli/cli.h"

int cli_platform(int argc, char **argv)
{
	struct duet_platform *p;
	int rc, domid;

	if (argc > 1 && !strcmp(argv[1], "--help")) {
		printf("usage: duet platform\n"
		       "Opens the platform selected by DUET_PLATFORM "
		       "(xen | sim:<dir>) and prints its name and our "
		       "domid.\n");
		return CLI_EXIT_OK;
	}
	if (argc > 1)
		return cli_usage_error("platform", "unexpected argument '%s'",
				       argv[1]);
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

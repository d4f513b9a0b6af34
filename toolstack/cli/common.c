/* SPDX-License-Identifier: MIT */
/*
 * common.c - helpers shared by the duet subcommands.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "duet/parse.h"
#include "duet/platform.h"
#include "duet/xlspec.h"
#include "duet/xs.h"
#include "toolstack/cli/cli.h"

int cli_parse_domid(const char *arg)
{
	uint64_t v;

	return duet_parse_uint(arg, DUET_XL_DOMID_MAX - 1, &v) ? -1 : (int)v;
}

int cli_open_xs(const char *cmd, struct duet_platform **p, struct duet_xs **xs)
{
	int rc;

	rc = duet_platform_open(NULL, p);
	if (rc < 0) {
		fprintf(stderr, "duet %s: cannot open the platform: %s\n", cmd,
			strerror(-rc));
		return CLI_EXIT_FAIL;
	}
	rc = duet_xs_open(*p, xs);
	if (rc < 0) {
		fprintf(stderr, "duet %s: cannot connect to xenstore: %s\n",
			cmd, strerror(-rc));
		duet_platform_close(*p);
		return CLI_EXIT_FAIL;
	}
	return 0;
}

int cli_parse_seconds(const char *arg, double max, double *out)
{
	char *end;
	double v;

	if (!*arg || *arg == '-' || *arg == '+' || *arg == ' ')
		return -1;
	errno = 0;
	v = strtod(arg, &end);
	if (errno || *end || !(v > 0) || v > max)
		return -1;
	*out = v;
	return 0;
}

int cli_run_dir(char *buf, size_t len)
{
	const char *s = getenv("DUET_RUN_DIR"), *plat;
	int n;

	if (s && *s) {
		n = snprintf(buf, len, "%s", s);
	} else {
		plat = duet_platform_sim_dir(getenv("DUET_PLATFORM"));
		if (plat)
			n = snprintf(buf, len, "%s", plat);
		else
			n = snprintf(buf, len, "/run/duet");
	}
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int cli_stats_path(char *buf, size_t len, unsigned self, const char *type,
		   unsigned fe, unsigned devid)
{
	char dir[PATH_MAX];
	int rc = cli_run_dir(dir, sizeof(dir));

	if (rc < 0)
		return rc;
	if (snprintf(buf, len, CLI_BACKEND_STATS_FMT, dir, self, type, fe,
		     devid) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * usage.c - the one way a duet subcommand reports bad arguments.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>

#include "toolstack/cli/cli.h"

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "duet %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see 'duet %s --help')\n", cmd);
	return CLI_EXIT_USAGE;
}

void cli_getopt_init(void)
{
	optind = 0;
	opterr = 0;
}

int cli_option_error(const char *cmd, int c, char **argv)
{
	const char *arg = argv[optind - 1];

	if (c == ':')
		return cli_usage_error(cmd, "%s needs a value", arg);
	return cli_usage_error(cmd, "unknown option '%s'", arg);
}

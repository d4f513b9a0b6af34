/* SPDX-License-Identifier: MIT */
/*
 * cli-sim.c - "duet sim": placeholder until the simulator (issue #3).
 */
#include <stdio.h>

#include "toolstack/cli/cli.h"

int cli_sim(int argc, char **argv)
{
	fprintf(stderr, "duet sim: not available yet (arrives with issue #3)\n");
	return CLI_EXIT_FAIL;
}

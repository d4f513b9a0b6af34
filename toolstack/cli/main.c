/* SPDX-License-Identifier: MIT */
/*
 * main.c - the duet command: dispatch to subcommands.
 */
#include <stdio.h>
#include <string.h>

#include "toolstack/cli/cli.h"

struct subcommand {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct subcommand subcommands[] = {
	{ "sim", cli_sim,
	  "the simulator: start|stop|status|env|exec|domain create|destroy" },
	{ "platform", cli_platform,
	  "show which platform (xen | sim) this process would use" },
	{ "attach", cli_attach, "attach an xl-syntax disk= or vif= device" },
	{ "detach", cli_detach, "detach a device" },
	{ "backend", cli_backend, "the backend daemon (like xl devd)" },
	{ "blkfront", cli_blkfront, "userspace block frontend" },
	{ "netfront", cli_netfront, "userspace network frontend" },
	{ "status", cli_status, "devices, states, features, rings" },
	{ "bench", cli_bench,
	  "benchmarks: net (netback's receive strategies on the simulator), "
	  "dma (map+unmap cost per DMA backend)" },
};

#define N_SUBCOMMANDS (sizeof(subcommands) / sizeof(subcommands[0]))

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: duet <command> [args...]\n"
		   "       duet <command> --help\n\ncommands:\n");
	for (i = 0; i < N_SUBCOMMANDS; i++)
		fprintf(f, "  %-10s %s\n", subcommands[i].name,
			subcommands[i].summary);
	fprintf(f, "\nenvironment: DUET_PLATFORM=xen | sim:<dir>, "
		   "DUET_DOMID=<domid> (sim), DUET_LOG_LEVEL=0..3\n");
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("duet %s\n", DUET_VERSION);
		return CLI_EXIT_OK;
	}
	for (i = 0; i < N_SUBCOMMANDS; i++) {
		const struct subcommand *s = &subcommands[i];

		if (!strcmp(argv[1], s->name))
			return s->fn(argc - 1, argv + 1);
	}
	fprintf(stderr, "duet: unknown command '%s' (see 'duet --help')\n",
		argv[1]);
	return CLI_EXIT_USAGE;
}

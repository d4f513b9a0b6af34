/* SPDX-License-Identifier: MIT */
/*
 * cli-dma.c - the DMA backend names the CLI offers: always the registry's
 * (duet_dma_backend_at()), so that a backend registered with
 * duet_dma_backend_register() is a valid choice without a CLI change.
 */
#include <stdio.h>
#include <string.h>

#include "duet/dma.h"
#include "toolstack/cli/cli.h"

void cli_dma_list(FILE *f, const char *sep)
{
	const struct duet_dma_ops *o;
	unsigned i;

	for (i = 0; (o = duet_dma_backend_at(i)); i++)
		fprintf(f, "%s%s", i ? sep : "", o->name);
}

int cli_dma_check(const char *cmd, const char *name)
{
	const struct duet_dma_ops *o;
	char known[512];
	size_t used = 0;
	unsigned i;

	if (name && duet_dma_backend_find(name))
		return 0;
	known[0] = '\0';
	for (i = 0; (o = duet_dma_backend_at(i)) && used < sizeof(known); i++)
		used += (size_t)snprintf(known + used, sizeof(known) - used,
					 "%s%s", i ? ", " : "", o->name);
	return cli_usage_error(cmd, "unknown DMA backend '%s' (known: %s)",
			       name ? name : "", known);
}

/* SPDX-License-Identifier: MIT */
/*
 * platform-sim.c - duet/platform.h on the duet simulator.
 *
 * The client side of the simulator arrives with the simulator issue (#3);
 * until then opening "sim:<dir>" fails with -ENODEV and says so.
 */
#include <errno.h>

#include "gnttab/private.h"

static int sim_open(struct duet_platform *p, const char *arg)
{
	duet_log(DUET_LOG_ERR,
		 "platform 'sim:%s': simulator client not built in this "
		 "version (issue #3)", arg);
	return -ENODEV;
}

static void sim_close(struct duet_platform *p)
{
}

const struct duet_platform_ops duet_platform_sim = {
	.name = "sim",
	.open = sim_open,
	.close = sim_close,
};

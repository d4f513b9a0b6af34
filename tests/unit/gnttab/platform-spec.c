/* SPDX-License-Identifier: MIT */
/*
 * duet_platform_sim_dir() is the one reading of DUET_PLATFORM=sim:<dir>:
 * the directory for "sim:<dir>", NULL for every other spec.
 */
#include <stddef.h>

#include "duet/platform.h"
#include "tap.h"

int main(void)
{
	const char *spec = "sim:/tmp/x";

	ok(duet_platform_sim_dir(spec) == spec + 4,
	   "sim:/tmp/x names /tmp/x (inside the spec)");
	is_str(duet_platform_sim_dir("sim:rel/dir"), "rel/dir",
	       "a relative directory is kept as given");
	ok(!duet_platform_sim_dir("sim:"), "sim: without a directory: none");
	ok(!duet_platform_sim_dir("xen"), "xen: none");
	ok(!duet_platform_sim_dir("sim"), "sim without a colon: none");
	ok(!duet_platform_sim_dir("SIM:/x"), "the prefix is case-sensitive");
	ok(!duet_platform_sim_dir(""), "empty: none");
	ok(!duet_platform_sim_dir(NULL), "NULL: none");
	return done_testing();
}

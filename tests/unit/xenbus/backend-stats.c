/* SPDX-License-Identifier: MIT */
/*
 * duet_backend_stats_write(): the file `duet status` reads, replaced as a
 * whole; bad keys refused; no path is not an error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "duet/backend.h"
#include "tap.h"

static char *slurp(const char *path)
{
	static char buf[256];
	FILE *f = fopen(path, "r");
	size_t n = 0;

	if (f) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	return buf;
}

int main(void)
{
	char dir[] = "/tmp/duet-stats-XXXXXX", path[64], tmp[80];
	struct duet_backend_ctx ctx = { .stats_path = NULL };
	struct duet_backend_stat a[] = { { "grants-mapped", 12 },
					 { "requests", 18446744073709551615ull } };
	struct duet_backend_stat bad[] = { { "Grants mapped", 1 } };

	if (!mkdtemp(dir))
		skip_all("cannot make a temporary directory");
	is_int(duet_backend_stats_write(&ctx, a, 2), 0,
	       "no stats path: nothing to do");
	snprintf(path, sizeof(path), "%s/x.stats", dir);
	ctx.stats_path = path;
	is_int(duet_backend_stats_write(&ctx, a, 2), 0, "write two counters");
	is_str(slurp(path), "grants-mapped 12\nrequests 18446744073709551615\n",
	       "one 'key value' line each, in order");
	is_int(duet_backend_stats_write(&ctx, a, 1), 0, "write one");
	is_str(slurp(path), "grants-mapped 12\n", "the file is replaced");
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	ok(access(tmp, F_OK) < 0, "no temporary file left");
	is_int(duet_backend_stats_write(&ctx, bad, 1), -EINVAL,
	       "a key with capitals and a space: -EINVAL");
	is_str(slurp(path), "grants-mapped 12\n", "  the old file stays");
	is_int(duet_backend_stats_write(NULL, a, 1), -EINVAL, "NULL ctx");
	snprintf(path, sizeof(path), "%s/no/such/dir/x", dir);
	is_int(duet_backend_stats_write(&ctx, a, 1), -ENOENT,
	       "a missing directory: -ENOENT");
	snprintf(path, sizeof(path), "%s/x.stats", dir);
	unlink(path);
	rmdir(dir);
	return done_testing();
}

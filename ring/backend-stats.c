/* SPDX-License-Identifier: MIT */
/*
 * backend-stats.c - an instance's counters for `duet status`.
 *
 * File format (one line per counter, the order the instance gives):
 *   <key> <decimal value>
 * Written to "<stats_path>.tmp" and renamed over <stats_path>.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "duet/backend.h"

static int key_ok(const char *k)
{
	if (!k || !*k || strlen(k) > 64)
		return 0;
	for (; *k; k++)
		if (!((*k >= 'a' && *k <= 'z') || (*k >= '0' && *k <= '9') ||
		      *k == '-'))
			return 0;
	return 1;
}

int duet_backend_stats_write(const struct duet_backend_ctx *ctx,
			     const struct duet_backend_stat *stats,
			     unsigned n)
{
	char tmp[4200];
	unsigned i;
	FILE *f;
	int rc = 0;

	if (!ctx || (n && !stats))
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (!key_ok(stats[i].key))
			return -EINVAL;
	if (!ctx->stats_path)
		return 0;
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", ctx->stats_path) >=
	    (int)sizeof(tmp))
		return -ENAMETOOLONG;
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	for (i = 0; i < n; i++)
		fprintf(f, "%s %llu\n", stats[i].key, stats[i].value);
	if (fflush(f) != 0 || ferror(f))
		rc = -EIO;
	if (fclose(f) != 0 && !rc)
		rc = -errno;
	if (!rc && rename(tmp, ctx->stats_path) < 0)
		rc = -errno;
	if (rc)
		unlink(tmp);
	return rc;
}

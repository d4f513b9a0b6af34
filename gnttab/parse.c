/* SPDX-License-Identifier: MIT */
/*
 * parse.c - duet_parse_uint(), the decimal parser, and
 * duet_parse_env_uint() (duet/parse.h).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "duet/log.h"
#include "duet/parse.h"

int duet_parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	const char *c;

	if (!s || !*s || !out || (s[0] == '0' && s[1]))
		return -EINVAL;
	for (c = s; *c; c++) {
		unsigned d;

		if (*c < '0' || *c > '9')
			return -EINVAL;
		d = (unsigned)(*c - '0');
		if (d > max || v > (max - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int duet_parse_env_uint(const char *name, uint64_t max, uint64_t *out)
{
	const char *e = getenv(name);

	*out = 0;
	if (!e || !*e)
		return 0;
	if (duet_parse_uint(e, max, out) < 0) {
		duet_log(DUET_LOG_ERR, "%s='%s' is not a number from 0 to %llu",
			 name, e, (unsigned long long)max);
		return -EINVAL;
	}
	return 0;
}

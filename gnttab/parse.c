/* SPDX-License-Identifier: MIT */
/*
 * parse.c - duet_parse_uint(), the decimal parser (duet/parse.h).
 */
#include <errno.h>
#include <stdint.h>

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

/* SPDX-License-Identifier: MIT */
/*
 * xlspec-common.c - error reporting and number/domain checks shared by
 * the xl disk and network spec parsers.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "duet/xlspec.h"
#include "toolstack/lib/xlspec-int.h"

const char *duet_xlspec_quote(struct xl_quoted *q, const char *p, size_t n)
{
	size_t i, k = 0;

	q->s[k++] = '"';
	for (i = 0; i < n && i < XL_QUOTE_MAX; i++) {
		unsigned char c = (unsigned char)p[i];

		q->s[k++] = (c < 0x20 || c >= 0x7f) ? '?' : (char)c;
	}
	if (i < n) {
		/* cut: the last three shown bytes become "..." */
		memcpy(&q->s[k - 3], "...", 3);
	}
	q->s[k++] = '"';
	q->s[k] = '\0';
	return q->s;
}

const char *duet_xlspec_quote_str(struct xl_quoted *q, const char *s)
{
	return duet_xlspec_quote(q, s, strlen(s));
}

int duet_xlspec_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

int duet_xlspec_has_ctl(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
			return 1;
	return 0;
}

int duet_xlspec_parse_backend(const char *val, int *domid, char *err,
			      size_t errlen)
{
	struct xl_quoted q;
	uint64_t id;
	size_t n = strlen(val);

	if (!n)
		return duet_xlspec_err(err, errlen,
				       "backend: empty domain name or id");
	if (val[0] >= '0' && val[0] <= '9') {
		if (duet_parse_uint(val, DUET_XL_DOMID_MAX - 1, &id))
			return duet_xlspec_err(
				err, errlen,
				"backend=%s: not a domain id (0..%u)",
				duet_xlspec_quote_str(&q, val),
				DUET_XL_DOMID_MAX - 1);
		*domid = (int)id;
		return 0;
	}
	if (n > 64 || strchr(val, '/') || duet_xlspec_has_ctl(val, n))
		return duet_xlspec_err(err, errlen,
				       "backend=%s: not a domain name",
				       duet_xlspec_quote_str(&q, val));
	*domid = -1;
	return 0;
}

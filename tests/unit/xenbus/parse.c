/* SPDX-License-Identifier: MIT */
/*
 * Feature-node values are parsed strictly: malformed values ("12abc",
 * overflow, signs, spaces, empty) are -EINVAL, never a partial number; the
 * other helpers refuse what does not fit.
 */
#include <errno.h>

#include "duet/parse.h"
#include "duet/xenbus.h"
#include "tap.h"

static void bad(const char *s, uint64_t max)
{
	uint64_t v = 77;
	char name[64];
	size_t i;

	/* Keep control characters out of the TAP line. */
	for (i = 0; s[i] && i < sizeof(name) - 1; i++)
		name[i] = (s[i] < ' ') ? '?' : s[i];
	name[i] = '\0';
	is_int(duet_parse_uint(s, max, &v), -EINVAL, "'%s' rejected",
	       name);
	is_int(v, 77, "'%s' leaves the output untouched", name);
}

static void good(const char *s, uint64_t max, uint64_t want)
{
	uint64_t v = 0;

	is_int(duet_parse_uint(s, max, &v), 0, "'%s' accepted", s);
	ok(v == want, "'%s' = %llu", s, (unsigned long long)want);
}

int main(void)
{
	char buf[64];

	good("0", 10, 0);
	good("1", 1, 1);
	good("4", 4, 4);
	good("007", 10, 7);
	good("18446744073709551615", UINT64_MAX, UINT64_MAX);
	good("4294967295", UINT32_MAX, UINT32_MAX);
	bad("12abc", UINT64_MAX);
	bad("abc", UINT64_MAX);
	bad("", UINT64_MAX);
	bad("-1", UINT64_MAX);
	bad("+1", UINT64_MAX);
	bad(" 1", UINT64_MAX);
	bad("1 ", UINT64_MAX);
	bad("1\n", UINT64_MAX);
	bad("0x10", UINT64_MAX);
	bad("1.5", UINT64_MAX);
	bad("18446744073709551616", UINT64_MAX);
	bad("99999999999999999999999", UINT64_MAX);
	bad("4294967296", UINT32_MAX);
	bad("5", 4);
	bad("2", 1);
	is_int(duet_parse_uint(NULL, 1, NULL), -EINVAL, "NULL refused");

	is_int(duet_xenbus_queue_dir(buf, sizeof(buf), "/a/b", 1, 0), 4,
	       "one queue: the device directory itself");
	is_str(buf, "/a/b", "one queue path");
	is_int(duet_xenbus_queue_dir(buf, sizeof(buf), "/a/b", 4, 3), 12,
	       "four queues: queue-3 below the device");
	is_str(buf, "/a/b/queue-3", "queue-3 path");
	is_int(duet_xenbus_queue_dir(buf, sizeof(buf), "/a/b", 4, 4), -EINVAL,
	       "queue index beyond the count is refused");
	is_int(duet_xenbus_queue_dir(buf, 6, "/a/b", 4, 0), -E2BIG,
	       "a too-small buffer is -E2BIG");
	return done_testing();
}

/* SPDX-License-Identifier: MIT */
/*
 * duet_parse_uint() accepts exactly the canonical decimals up to @max:
 * empty strings, leading zeros, signs, spaces, trailing bytes, values
 * above @max and overflow (at any length) are -EINVAL with the output
 * untouched.  duet_parse_env_uint() reads an environment variable the
 * same way: unset or empty is 0.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "duet/parse.h"
#include "tap.h"

static void bad(const char *s, uint64_t max, const char *why)
{
	uint64_t v = 77;

	is_int(duet_parse_uint(s, max, &v), -EINVAL, "%s: refused", why);
	ok(v == 77, "%s: output untouched", why);
}

static void good(const char *s, uint64_t max, uint64_t want)
{
	uint64_t v = 77;

	is_int(duet_parse_uint(s, max, &v), 0, "'%s' accepted", s);
	ok(v == want, "'%s' = %llu", s, (unsigned long long)want);
}

int main(void)
{
	char big[4097];
	uint64_t v;

	good("0", 0, 0);
	good("0", UINT64_MAX, 0);
	good("1", 1, 1);
	good("10", 10, 10);
	good("4294967295", UINT32_MAX, UINT32_MAX);
	good("18446744073709551615", UINT64_MAX, UINT64_MAX);

	bad("", UINT64_MAX, "empty");
	bad("00", UINT64_MAX, "'00' (leading zero)");
	bad("01", UINT64_MAX, "'01' (leading zero)");
	bad("010", UINT64_MAX, "'010' (leading zero)");
	bad("007", 10, "'007' from a peer (leading zeros; was accepted "
	    "before there was one parser)");
	good("4", 4, 4);
	bad("abc", UINT64_MAX, "'abc' (no digits)");
	bad("5", 4, "max + 1 (4)");
	bad("2", 1, "max + 1 (1)");
	bad("+1", UINT64_MAX, "'+1' (sign)");
	bad("-1", UINT64_MAX, "'-1' (sign)");
	bad("-0", UINT64_MAX, "'-0' (sign)");
	bad(" 1", UINT64_MAX, "' 1' (leading space)");
	bad("1 ", UINT64_MAX, "'1 ' (trailing space)");
	bad("1\n", UINT64_MAX, "'1\\n' (trailing newline)");
	bad("12abc", UINT64_MAX, "'12abc' (trailing bytes)");
	bad("0x10", UINT64_MAX, "'0x10' (hex)");
	bad("1.5", UINT64_MAX, "'1.5' (fraction)");
	bad("11", 10, "max + 1");
	bad("1", 0, "'1' with max 0");
	bad("4294967296", UINT32_MAX, "UINT32_MAX + 1");
	bad("18446744073709551616", UINT64_MAX, "2^64 (overflow)");
	bad("36893488147419103232", UINT64_MAX, "2^65 (overflow)");
	bad("99999999999999999999999", UINT64_MAX, "23 digits (overflow)");

	memset(big, '9', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	bad(big, UINT64_MAX, "4096 nines (overflow)");
	memset(big, '0', sizeof(big) - 1);
	big[sizeof(big) - 2] = '7';
	bad(big, UINT64_MAX, "4095 zeros then 7 (leading zeros)");

	is_int(duet_parse_uint(NULL, 1, &v), -EINVAL, "NULL string refused");
	is_int(duet_parse_uint("1", 1, NULL), -EINVAL, "NULL output refused");

	unsetenv("DUET_TEST_KNOB");
	v = 9;
	ok(duet_parse_env_uint("DUET_TEST_KNOB", 10, &v) == 0 && v == 0,
	   "env: unset is 0");
	setenv("DUET_TEST_KNOB", "", 1);
	v = 9;
	ok(duet_parse_env_uint("DUET_TEST_KNOB", 10, &v) == 0 && v == 0,
	   "env: empty is 0");
	setenv("DUET_TEST_KNOB", "10", 1);
	ok(duet_parse_env_uint("DUET_TEST_KNOB", 10, &v) == 0 && v == 10,
	   "env: '10' with max 10 is 10");
	setenv("DUET_TEST_KNOB", "11", 1);
	is_int(duet_parse_env_uint("DUET_TEST_KNOB", 10, &v), -EINVAL,
	       "env: '11' with max 10 refused");
	setenv("DUET_TEST_KNOB", "07", 1);
	is_int(duet_parse_env_uint("DUET_TEST_KNOB", 10, &v), -EINVAL,
	       "env: '07' refused");
	return done_testing();
}

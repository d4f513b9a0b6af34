/* SPDX-License-Identifier: MIT */
/*
 * duet_xenbus_queue_dir(): the device directory for one queue, queue-N/
 * below it for several, refusals for what does not fit.  (Node values
 * are duet_parse_uint()'s: tests/unit/gnttab/parse.c.)
 */
#include <errno.h>

#include "duet/xenbus.h"
#include "tap.h"

int main(void)
{
	char buf[64];

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

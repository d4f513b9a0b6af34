/* SPDX-License-Identifier: MIT */
/*
 * xsd-ops - xenstore read and write operations per second against the
 * simulator's xenstore server (in a thread of this process), through the
 * stock libxenstore over its unix socket: one request in flight at a time,
 * as libxenstore issues them.  Printed, never asserted.
 */
#include <time.h>

#include "lib/xsd-harness.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 20000, i;
	struct xs_handle *xs;
	xs_transaction_t t;
	char path[64], val[16];
	unsigned int len;
	double t0, dt;
	char *v;

	if (n <= 0)
		n = 20000;
	h_start(NULL);
	xs = h_xs(0);

	t0 = now();
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "/bench/k%d", i % 256);
		snprintf(val, sizeof(val), "%d", i);
		if (!xs_write(xs, XBT_NULL, path, val, strlen(val)))
			break;
	}
	dt = now() - t0;
	printf("xenstore write: %d ops in %.3f s = %.0f ops/s\n", i, dt,
	       i / dt);

	t0 = now();
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "/bench/k%d", i % 256);
		v = xs_read(xs, XBT_NULL, path, &len);
		if (!v)
			break;
		free(v);
	}
	dt = now() - t0;
	printf("xenstore read:  %d ops in %.3f s = %.0f ops/s\n", i, dt,
	       i / dt);

	t0 = now();
	for (i = 0; i < n / 4; i++) {
		t = xs_transaction_start(xs);
		snprintf(path, sizeof(path), "/bench/t%d", i % 64);
		xs_write(xs, t, path, "x", 1);
		if (!xs_transaction_end(xs, t, false))
			break;
	}
	dt = now() - t0;
	printf("xenstore transaction (start + write + commit): %d in %.3f s "
	       "= %.0f txn/s\n", i, dt, i / dt);

	xs_close(xs);
	h_stop();
	return 0;
}

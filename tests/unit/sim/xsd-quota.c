/* SPDX-License-Identifier: MIT */
/*
 * Per-domain quotas, as the C xenstored answers them: nodes owned (ENOSPC),
 * watches (E2BIG), open transactions (ENOSPC), value size (ENOSPC); dom0 is
 * exempt from all of them.
 */
#include "xsd-harness.h"

static const struct simxsd_limits lim = {
	.nodes = 5, .watches = 3, .transactions = 2, .value_size = 16,
};

static void node_quota(void)
{
	struct xs_handle *d0 = h_xs(0), *d1 = h_xs(1);
	char path[32];
	int i, made = 0;

	/* dom1 owns /local/domain/1 already */
	for (i = 0; i < 10; i++) {
		snprintf(path, sizeof(path), "n%d", i);
		if (!h_write(d1, path, "v"))
			break;
		made++;
	}
	is_int(made, 4, "a domU creates nodes up to its quota");
	ok(!h_write(d1, "n99", "v") && errno == ENOSPC,
	   "the next node is refused with ENOSPC");
	ok(!h_write(d1, "x/y/z", "v") && errno == ENOSPC,
	   "an implicit creation past the quota is refused whole");
	ok(!h_read(d1, "x") && errno == ENOENT, "and leaves no parent behind");
	ok(h_write(d1, "n0", "rewrite"), "rewriting an existing node is fine");
	ok(xs_rm(d1, XBT_NULL, "n0") && h_write(d1, "again", "v"),
	   "removing a node frees quota");
	for (i = 0; i < 10; i++) {
		snprintf(path, sizeof(path), "/d0/n%d", i);
		if (!h_write(d0, path, "v"))
			break;
	}
	is_int(i, 10, "dom0 is exempt from the node quota");
	xs_close(d0);
	xs_close(d1);
}

static void value_quota(void)
{
	struct xs_handle *d0 = h_xs(0), *d1 = h_xs(1);
	const char *big = "0123456789abcdefX";

	ok(h_write(d1, "n1", "0123456789abcdef"), "a 16-byte value is fine");
	ok(!h_write(d1, "n1", big) && errno == ENOSPC,
	   "a 17-byte value from a domU is refused with ENOSPC");
	ok(h_write(d0, "/d0/n1", big), "dom0 is exempt from the value quota");
	xs_close(d0);
	xs_close(d1);
}

static void watch_quota(void)
{
	struct xs_handle *d0 = h_xs(0), *d1 = h_xs(1);
	char tok[16];
	int i, n = 0;

	for (i = 0; i < 5; i++) {
		snprintf(tok, sizeof(tok), "t%d", i);
		if (!xs_watch(d1, "n1", tok))
			break;
		n++;
	}
	is_int(n, 3, "a domU sets watches up to its quota");
	ok(!xs_watch(d1, "n1", "more") && errno == E2BIG,
	   "the next watch is refused with E2BIG");
	ok(xs_unwatch(d1, "n1", "t0") && xs_watch(d1, "n1", "more"),
	   "unwatching frees quota");
	for (i = 0; i < 5; i++) {
		snprintf(tok, sizeof(tok), "t%d", i);
		if (!xs_watch(d0, "/d0", tok))
			break;
	}
	is_int(i, 5, "dom0 is exempt from the watch quota");
	xs_close(d0);
	xs_close(d1);
}

static void transaction_quota(void)
{
	struct xs_handle *d0 = h_xs(0), *d1 = h_xs(1);
	xs_transaction_t t[4];
	int i;

	t[0] = xs_transaction_start(d1);
	t[1] = xs_transaction_start(d1);
	ok(t[0] != XBT_NULL && t[1] != XBT_NULL, "two transactions open");
	t[2] = xs_transaction_start(d1);
	ok(t[2] == XBT_NULL && errno == ENOSPC,
	   "the third is refused with ENOSPC");
	xs_transaction_end(d1, t[0], true);
	t[2] = xs_transaction_start(d1);
	ok(t[2] != XBT_NULL, "ending one frees quota");
	xs_transaction_end(d1, t[1], true);
	xs_transaction_end(d1, t[2], true);
	for (i = 0; i < 4; i++)
		t[i] = xs_transaction_start(d0);
	ok(t[3] != XBT_NULL, "dom0 is exempt from the transaction quota");
	for (i = 0; i < 4; i++)
		xs_transaction_end(d0, t[i], true);
	xs_close(d0);
	xs_close(d1);
}

static void closing_frees_quota(void)
{
	struct xs_handle *d1 = h_xs(1);
	xs_transaction_t t;
	int i;

	for (i = 0; i < 3; i++) {
		char tok[16];

		snprintf(tok, sizeof(tok), "c%d", i);
		xs_watch(d1, "n1", tok);
	}
	xs_transaction_start(d1);
	xs_transaction_start(d1);
	xs_close(d1);
	usleep(100000);
	d1 = h_xs(1);
	ok(xs_watch(d1, "n1", "after"), "a closed connection's watches no "
					 "longer count");
	t = xs_transaction_start(d1);
	ok(t != XBT_NULL, "nor its transactions");
	xs_transaction_end(d1, t, true);
	xs_close(d1);
}

int main(void)
{
	h_start(&lim);
	node_quota();
	value_quota();
	watch_quota();
	transaction_quota();
	closing_frees_quota();
	h_stop();
	return done_testing();
}

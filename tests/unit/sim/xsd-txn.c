/* SPDX-License-Identifier: MIT */
/*
 * Transactions through the stock libxenstore: a transaction whose node was
 * changed meanwhile ends with EAGAIN and changes nothing; one that touches
 * nothing changed commits; an aborted one leaves the store alone; reads
 * inside see the transaction's own writes and others do not.
 */
#include "lib/xsd-harness.h"

static void conflicting_write_gives_eagain(void)
{
	struct xs_handle *a = h_xs(0), *b = h_xs(0);
	xs_transaction_t t;
	char *v;
	bool okc;

	h_write(a, "/t/x", "0");
	t = xs_transaction_start(a);
	ok(t != XBT_NULL, "transaction starts");
	v = xs_read(a, t, "/t/x", NULL);
	is_str(v, "0", "read inside the transaction");
	free(v);
	xs_write(a, t, "/t/x", "1", 1);
	ok(h_write(b, "/t/x", "2"), "another client writes the same node");
	okc = xs_transaction_end(a, t, false);
	ok(!okc && errno == EAGAIN, "commit of the conflicting transaction "
				    "fails with EAGAIN (errno %d)", errno);
	v = h_read(a, "/t/x");
	is_str(v, "2", "the conflicting transaction changed nothing");
	free(v);
	xs_close(a);
	xs_close(b);
}

static void unrelated_write_commits(void)
{
	struct xs_handle *a = h_xs(0), *b = h_xs(1);
	xs_transaction_t t;
	char *v;

	h_write(a, "/u/x", "0");
	t = xs_transaction_start(a);
	xs_write(a, t, "/u/x", "1", 1);
	ok(h_write(b, "data", "elsewhere"), "a domU writes an unrelated node");
	ok(xs_transaction_end(a, t, false), "non-conflicting commit succeeds");
	v = h_read(a, "/u/x");
	is_str(v, "1", "its write is visible after commit");
	free(v);
	xs_close(a);
	xs_close(b);
}

static void isolation_and_abort(void)
{
	struct xs_handle *a = h_xs(0), *b = h_xs(0);
	xs_transaction_t t;
	char *v;

	t = xs_transaction_start(a);
	xs_write(a, t, "/iso/new/deep", "v", 1);
	v = xs_read(a, t, "/iso/new/deep", NULL);
	is_str(v, "v", "the transaction sees its own write");
	free(v);
	v = h_read(b, "/iso/new/deep");
	ok(!v && errno == ENOENT, "others do not see it before commit");
	free(v);
	ok(xs_transaction_end(a, t, true), "abort succeeds");
	v = h_read(a, "/iso");
	ok(!v && errno == ENOENT, "an aborted transaction leaves no node");
	free(v);
	xs_close(a);
	xs_close(b);
}

static void rm_inside_transaction(void)
{
	struct xs_handle *a = h_xs(0);
	xs_transaction_t t;
	unsigned int n;
	char **d;

	h_write(a, "/r/a/b", "1");
	h_write(a, "/r/c", "2");
	t = xs_transaction_start(a);
	ok(xs_rm(a, t, "/r/a"), "rm of a subtree inside a transaction");
	d = xs_directory(a, t, "/r", &n);
	ok(d && n == 1 && !strcmp(d[0], "c"),
	   "the directory inside the transaction lost the child");
	free(d);
	ok(xs_transaction_end(a, t, false), "commit");
	ok(!h_read(a, "/r/a/b") && errno == ENOENT,
	   "the subtree is gone after commit");
	xs_close(a);
}

static void unknown_transaction_is_enoent(void)
{
	struct xs_handle *a = h_xs(0);

	ok(!xs_read(a, 12345, "/", NULL) && errno == ENOENT,
	   "a request with an unknown transaction id gets ENOENT");
	ok(!xs_transaction_end(a, 12345, false) && errno == ENOENT,
	   "ending an unknown transaction gets ENOENT");
	xs_close(a);
}

int main(void)
{
	h_start(NULL);
	conflicting_write_gives_eagain();
	unrelated_write_commits();
	isolation_and_abort();
	rm_inside_transaction();
	unknown_transaction_is_enoent();
	h_stop();
	return done_testing();
}

/* SPDX-License-Identifier: MIT */
/*
 * Per-domain quotas under both flavours.  [C] nodes owned (ENOSPC), watches
 * (E2BIG), open transactions (ENOSPC), value size (ENOSPC); dom0 is exempt
 * from all of them.  [ox] nodes, watches and transactions answer "EQUOTA"
 * (libxenstore: EINVAL), a node counts against its owner, which is the
 * parent's, and the value size binds dom0 too, answering E2BIG.
 */
#include "lib/xsd-harness.h"

/* libxenstore's errno for a quota: [ox] "EQUOTA" is not in its table */
#define QUOTA_ERR(c_err) (OX ? EINVAL : (c_err))

static const struct simxsd_limits lim = {
	.nodes = 5, .watches = 3, .transactions = 2, .value_size = 16,
};

static void node_quota(void)
{
	static struct xs_permissions share[2] = {
		{ 0, XS_PERM_NONE }, { 1, XS_PERM_READ | XS_PERM_WRITE } };
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
	is_int(made, 4, "%s: a domU creates nodes up to its quota", FN);
	ok(!h_write(d1, "n99", "v") && errno == QUOTA_ERR(ENOSPC),
	   "%s: the next node is refused (%s)", FN,
	   OX ? "EQUOTA" : "ENOSPC");
	ok(!h_write(d1, "x/y/z", "v") && errno == QUOTA_ERR(ENOSPC),
	   "%s: an implicit creation past the quota is refused whole", FN);
	ok(!h_read(d1, "x") && errno == ENOENT,
	   "%s: and leaves no parent behind", FN);
	ok(h_write(d1, "n0", "rewrite"),
	   "%s: rewriting an existing node is fine", FN);
	ok(xs_rm(d1, XBT_NULL, "n0") && h_write(d1, "again", "v"),
	   "%s: removing a node frees quota", FN);
	for (i = 0; i < 10; i++) {
		snprintf(path, sizeof(path), "/d0/n%d", i);
		if (!h_write(d0, path, "v"))
			break;
	}
	is_int(i, 10, "%s: dom0 is exempt from the node quota", FN);
	/* a dom0 directory the domU may write: who pays for its nodes? */
	xs_mkdir(d0, XBT_NULL, "/shared");
	xs_set_permissions(d0, XBT_NULL, "/shared", share, 2);
	for (i = 0; i < 10; i++) {
		snprintf(path, sizeof(path), "/shared/n%d", i);
		if (!h_write(d1, path, "v"))
			break;
	}
	if (OX)
		is_int(i, 10, "%s: a domU's nodes below a dom0 node are dom0's "
		       "and count against no quota", FN);
	else
		ok(i == 0 && errno == ENOSPC, "%s: a domU's nodes below a dom0 "
		   "node are its own and count against its quota", FN);
	xs_close(d0);
	xs_close(d1);
}

/* The reply's error string on the wire, where libxenstore loses it. */
static void equota_on_the_wire(void)
{
	static const char req[] = "/local/domain/1/wire\0v";
	struct xsd_sockmsg m;
	char buf[64];
	int fd = h_raw(1);

	h_send(fd, XS_WRITE, 7, 0, req, sizeof(req) - 1);
	if (h_recv(fd, &m, buf, sizeof(buf), 2000))
		buf[0] = '\0';
	ok(m.type == XS_ERROR && !strcmp(buf, OX ? "EQUOTA" : "ENOSPC"),
	   "%s: the node quota answers %s on the wire", FN,
	   OX ? "EQUOTA" : "ENOSPC");
	close(fd);
}

static void value_quota(void)
{
	struct xs_handle *d0 = h_xs(0), *d1 = h_xs(1);
	const char *big = "0123456789abcdefX";

	ok(h_write(d1, "n1", "0123456789abcdef"),
	   "%s: a 16-byte value is fine", FN);
	ok(!h_write(d1, "n1", big) && errno == (OX ? E2BIG : ENOSPC),
	   "%s: a 17-byte value from a domU is refused with %s", FN,
	   OX ? "E2BIG" : "ENOSPC");
	if (OX)
		ok(!h_write(d0, "/d0/n1", big) && errno == E2BIG,
		   "%s: so is dom0's", FN);
	else
		ok(h_write(d0, "/d0/n1", big),
		   "%s: dom0 is exempt from the value quota", FN);
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
	is_int(n, 3, "%s: a domU sets watches up to its quota", FN);
	ok(!xs_watch(d1, "n1", "more") && errno == QUOTA_ERR(E2BIG),
	   "%s: the next watch is refused (%s)", FN, OX ? "EQUOTA" : "E2BIG");
	ok(xs_unwatch(d1, "n1", "t0") && xs_watch(d1, "n1", "more"),
	   "%s: unwatching frees quota", FN);
	for (i = 0; i < 5; i++) {
		snprintf(tok, sizeof(tok), "t%d", i);
		if (!xs_watch(d0, "/d0", tok))
			break;
	}
	is_int(i, 5, "%s: dom0 is exempt from the watch quota", FN);
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
	ok(t[0] != XBT_NULL && t[1] != XBT_NULL, "%s: two transactions open",
	   FN);
	t[2] = xs_transaction_start(d1);
	ok(t[2] == XBT_NULL && errno == QUOTA_ERR(ENOSPC),
	   "%s: the third is refused (%s)", FN, OX ? "EQUOTA" : "ENOSPC");
	xs_transaction_end(d1, t[0], true);
	t[2] = xs_transaction_start(d1);
	ok(t[2] != XBT_NULL, "%s: ending one frees quota", FN);
	xs_transaction_end(d1, t[1], true);
	xs_transaction_end(d1, t[2], true);
	for (i = 0; i < 4; i++)
		t[i] = xs_transaction_start(d0);
	ok(t[3] != XBT_NULL, "%s: dom0 is exempt from the transaction quota",
	   FN);
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
	ok(xs_watch(d1, "n1", "after"),
	   "%s: a closed connection's watches no longer count", FN);
	t = xs_transaction_start(d1);
	ok(t != XBT_NULL, "%s: nor its transactions", FN);
	xs_transaction_end(d1, t, true);
	xs_close(d1);
}

static void cases(void)
{
	node_quota();
	equota_on_the_wire();
	value_quota();
	watch_quota();
	transaction_quota();
	closing_frees_quota();
}

int main(void)
{
	h_each_flavour(&lim, cases);
	return done_testing();
}

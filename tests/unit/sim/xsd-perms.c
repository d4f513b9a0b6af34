/* SPDX-License-Identifier: MIT */
/*
 * Permissions as Xen's xenstore documents them, through libxenstore, under
 * both flavours (sim/xsd.h): the first entry is the owner and the default
 * for others, the owner and dom0 have full access, new nodes copy their
 * parent's permissions, only the owner may change them and a domU may not
 * give a node away.  Where the daemons differ: who owns what a domU
 * creates ([C] the domU, [ox] the parent's owner), a missing node under an
 * unreadable parent ([C] EACCES, [ox] ENOENT), removing one ([C] EACCES,
 * [ox] OK), entries naming a domain that does not exist ([C] owner:
 * ENOENT, others kept but granting nothing; [ox] accepted); and a domU's
 * UNWATCH of a watch it never set (OK: Linux's xenbus device answers it).
 */
#include "lib/xsd-harness.h"


static void owner_and_default(void)
{
	struct xs_handle *d0 = h_xs(0), *d1 = h_xs(1);
	char *v;

	h_write(d0, "/p/ro", "x");
	h_set_perms(d0, "/p/ro", 2, 0, XS_PERM_NONE, 1, XS_PERM_READ);
	v = h_read(d1, "/p/ro");
	is_str(v, "x", "%s: a domU reads a node that grants it r", FN);
	free(v);
	ok(!h_write(d1, "/p/ro", "y") && errno == EACCES,
	   "%s: a domU cannot write a node that grants it only r", FN);
	h_set_perms(d0, "/p/ro", 1, 0, XS_PERM_READ, 0, 0);
	v = h_read(d1, "/p/ro");
	is_str(v, "x", "%s: the first entry is the default for other domains",
	       FN);
	free(v);
	h_set_perms(d0, "/p/ro", 1, 1, XS_PERM_NONE, 0, 0);
	ok(h_write(d1, "/p/ro", "mine"),
	   "%s: the owner has full access even with n", FN);
	v = h_read(d0, "/p/ro");
	is_str(v, "mine", "%s: dom0 is privileged: reads a node owned by a "
	       "domU", FN);
	free(v);
	xs_close(d0);
	xs_close(d1);
}

static void creation_rules(void)
{
	struct xs_handle *d0 = h_xs(0), *d1 = h_xs(1);
	struct xs_permissions *p;
	unsigned int n;

	h_write(d0, "/c", "");
	h_set_perms(d0, "/c", 2, 0, XS_PERM_NONE, 1,
		    XS_PERM_WRITE | XS_PERM_READ);
	ok(h_write(d1, "/c/by1/deep", "v"), "%s: a domU creates below a node "
	   "that grants it w, parents included", FN);
	p = xs_get_permissions(d0, XBT_NULL, "/c/by1/deep", &n);
	if (OX)
		ok(p && n == 2 && p[0].id == 0 &&
			   p[0].perms == XS_PERM_NONE && p[1].id == 1,
		   "%s: its node copies the parent's perms, owner included",
		   FN);
	else
		ok(p && n == 2 && p[0].id == 1 &&
			   p[0].perms == XS_PERM_NONE && p[1].id == 1,
		   "%s: its node copies the parent's perms with the domU as "
		   "owner", FN);
	free(p);
	p = xs_get_permissions(d0, XBT_NULL, "/c/by1", &n);
	ok(p && n == 2 && p[0].id == (OX ? 0u : 1u),
	   "%s: an implicitly created parent has the same owner (%s)", FN,
	   OX ? "dom0" : "the domU");
	free(p);
	h_write(d0, "/c/by0", "v");
	p = xs_get_permissions(d0, XBT_NULL, "/c/by0", &n);
	ok(p && n == 2 && p[0].id == 0 && p[1].id == 1 &&
		   p[1].perms == (XS_PERM_READ | XS_PERM_WRITE),
	   "%s: a node created by dom0 keeps the parent's owner and entries",
	   FN);
	free(p);
	ok(!h_write(d1, "/nope/x", "v") && errno == EACCES,
	   "%s: a domU cannot create under a node it may not write", FN);
	ok(!xs_mkdir(d1, XBT_NULL, "/nope/d") && errno == EACCES,
	   "%s: nor make a directory there", FN);
	xs_close(d0);
	xs_close(d1);
}

static void changing_perms(void)
{
	struct xs_handle *d0 = h_xs(0), *d1 = h_xs(1);
	struct xs_permissions give[1] = { { 0, XS_PERM_NONE } };
	struct xs_permissions keep[2] = { { 1, XS_PERM_NONE },
					  { 2, XS_PERM_READ } };

	h_write(d1, "mine", "v");
	ok(!xs_set_permissions(d1, XBT_NULL, "mine", give, 1) &&
		   errno == EPERM,
	   "%s: a domU may not give its node to another owner (EPERM)", FN);
	ok(xs_set_permissions(d1, XBT_NULL, "mine", keep, 2),
	   "%s: the owner may change the other entries", FN);
	h_write(d0, "/dom0node", "v");
	h_set_perms(d0, "/dom0node", 2, 0, XS_PERM_NONE, 1,
	    XS_PERM_READ | XS_PERM_WRITE);
	ok(!xs_set_permissions(d1, XBT_NULL, "/dom0node", keep, 2) &&
		   errno == EACCES,
	   "%s: a non-owner with b may not change permissions (EACCES)", FN);
	xs_close(d0);
	xs_close(d1);
}

static void no_existence_leak(void)
{
	struct xs_handle *d0 = h_xs(0), *d1 = h_xs(1);
	char *v;

	unsigned int n;
	void *p;

	h_write(d0, "/hidden/x", "v");
	v = h_read(d1, "/hidden/missing");
	ok(!v && errno == (OX ? ENOENT : EACCES), "%s: a missing node under "
	   "an unreadable parent answers %s", FN, OX ? "ENOENT" : "EACCES");
	free(v);
	p = xs_directory(d1, XBT_NULL, "/hidden/missing", &n);
	ok(!p && errno == (OX ? ENOENT : EACCES), "%s: so does listing it",
	   FN);
	free(p);
	p = xs_get_permissions(d1, XBT_NULL, "/hidden/missing", &n);
	ok(!p && errno == (OX ? ENOENT : EACCES),
	   "%s: and getting its permissions", FN);
	free(p);
	if (OX)
		ok(xs_rm(d1, XBT_NULL, "/hidden/missing"), "%s: removing it "
		   "succeeds (oxenstored checks nothing for a missing node)",
		   FN);
	else
		ok(!xs_rm(d1, XBT_NULL, "/hidden/missing") && errno == EACCES,
		   "%s: removing it answers EACCES", FN);
	ok(!xs_rm(d1, XBT_NULL, "/hidden/gone/missing") && errno ==
	   (OX ? ENOENT : EACCES), "%s: removing one whose parent is missing "
	   "too answers %s", FN, OX ? "ENOENT" : "EACCES");
	v = h_read(d1, "missing");
	ok(!v && errno == ENOENT, "%s: a missing node under a readable parent "
	   "answers ENOENT", FN);
	free(v);
	ok(!xs_rm(d1, XBT_NULL, "/hidden/x") && errno == EACCES,
	   "%s: a domU cannot remove a node it may not write", FN);
	xs_close(d0);
	xs_close(d1);
}

static void domain_paths(void)
{
	struct xs_handle *d0 = h_xs(0), *d1 = h_xs(1);
	struct xs_permissions *p;
	unsigned int n;
	char *v;

	p = xs_get_permissions(d0, XBT_NULL, "/local/domain/1", &n);
	ok(p && n == 1 && p[0].id == 1 && p[0].perms == XS_PERM_NONE,
	   "%s: /local/domain/1 exists, owned by dom1", FN);
	free(p);
	v = xs_get_domain_path(d1, 1);
	is_str(v, "/local/domain/1", "%s: GET_DOMAIN_PATH", FN);
	free(v);
	ok(xs_is_domain_introduced(d0, 1), "%s: dom1 is introduced", FN);
	ok(!xs_is_domain_introduced(d0, 9), "%s: dom9 is not", FN);
	ok(!xs_introduce_domain(d1, 9, 0, 0) && errno == EACCES,
	   "%s: a domU may not INTRODUCE", FN);
	ok(!xs_release_domain(d0, 9) && errno == ENOENT,
	   "%s: RELEASE of an unknown domain gives ENOENT", FN);
	xs_close(d0);
	xs_close(d1);
}

/* Entries naming domains that do not exist (5 does not; 3 comes later). */
static void unknown_domains(void)
{
	struct xs_permissions to7 = { .id = 7,
				      .perms = XS_PERM_READ | XS_PERM_WRITE };
	struct xs_handle *d0 = h_xs(0), *d3;
	struct xs_permissions *p;
	unsigned int n;
	bool r;
	char *v;

	h_write(d0, "/u/a", "secret");
	h_set_perms(d0, "/u/a", 2, 0, XS_PERM_NONE, 3, XS_PERM_READ);
	p = xs_get_permissions(d0, XBT_NULL, "/u/a", &n);
	ok(p && n == 2 && p[1].id == 3 && p[1].perms == XS_PERM_READ,
	   "%s: an entry for a domain that does not exist is kept and shown",
	   FN);
	free(p);
	r = xs_set_permissions(d0, XBT_NULL, "/u/a", &to7, 1);
	if (OX)
		ok(r, "%s: an owner that does not exist is accepted", FN);
	else
		ok(!r && errno == ENOENT, "%s: an owner that does not exist "
		   "answers ENOENT", FN);
	p = xs_get_permissions(d0, XBT_NULL, "/u/a", &n);
	ok(p && n == (OX ? 1u : 2u) && p[0].id == (OX ? 7u : 0u),
	   "%s: %s", FN, OX ? "and set" : "and nothing changes");
	free(p);
	h_set_perms(d0, "/u/a", 2, 0, XS_PERM_NONE, 3, XS_PERM_READ);
	h_lock();
	is_int(simxsd_domain_add(xsd, 3, h_sock(3)), 0, "%s: dom3 appears",
	       FN);
	h_unlock();
	d3 = h_xs(3);
	v = h_read(d3, "/u/a");
	if (OX)
		is_str(v, "secret", "%s: and the entry set before lets it read",
		       FN);
	else
		ok(!v && errno == EACCES, "%s: but the entry set before it "
		   "existed grants it nothing", FN);
	free(v);
	h_set_perms(d0, "/u/a", 2, 0, XS_PERM_NONE, 3, XS_PERM_READ);
	v = h_read(d3, "/u/a");
	is_str(v, "secret", "%s: an entry set while it exists does", FN);
	free(v);
	xs_close(d3);
	h_lock();
	simxsd_domain_remove(xsd, 3);
	h_unlock();
	xs_close(d0);
}

/* A domU's UNWATCH of a watch that is not set: Linux's xenbus device. */
static void unwatch_unknown(void)
{
	struct xs_handle *d0 = h_xs(0), *d1 = h_xs(1);

	ok(xs_unwatch(d1, "/nowhere", "tok"), "%s: a domU's UNWATCH of an "
	   "unknown watch answers OK (as /dev/xen/xenbus does)", FN);
	ok(!xs_unwatch(d0, "/nowhere", "tok") && errno == ENOENT,
	   "%s: dom0's answers ENOENT (xenstored's socket)", FN);
	xs_close(d0);
	xs_close(d1);
}

static void cases(void)
{
	owner_and_default();
	creation_rules();
	changing_perms();
	no_existence_leak();
	domain_paths();
	unknown_domains();
	unwatch_unknown();
}

int main(void)
{
	h_each_flavour(NULL, cases);
	return done_testing();
}

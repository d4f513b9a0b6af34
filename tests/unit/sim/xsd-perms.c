/* SPDX-License-Identifier: MIT */
/*
 * Permissions as Xen's xenstore documents them, through libxenstore: the
 * first entry is the owner and the default for others, the owner and dom0
 * have full access, a domU owns what it creates, new nodes copy their
 * parent's permissions, only the owner may change them and a domU may not
 * give a node away, and a missing node under an unreadable parent answers
 * EACCES rather than ENOENT.
 */
#include "xsd-harness.h"

static void set(struct xs_handle *xs, const char *path, int n,
		unsigned int id0, int p0, unsigned int id1, int p1)
{
	struct xs_permissions p[2] = { { id0, p0 }, { id1, p1 } };

	if (!xs_set_permissions(xs, XBT_NULL, path, p, n))
		diag("set perms %s: %s", path, strerror(errno));
}

static void owner_and_default(void)
{
	struct xs_handle *d0 = h_xs(0), *d1 = h_xs(1);
	char *v;

	h_write(d0, "/p/ro", "x");
	set(d0, "/p/ro", 2, 0, XS_PERM_NONE, 1, XS_PERM_READ);
	v = h_read(d1, "/p/ro");
	is_str(v, "x", "a domU reads a node that grants it r");
	free(v);
	ok(!h_write(d1, "/p/ro", "y") && errno == EACCES,
	   "a domU cannot write a node that grants it only r");
	set(d0, "/p/ro", 1, 0, XS_PERM_READ, 0, 0);
	v = h_read(d1, "/p/ro");
	is_str(v, "x", "the first entry is the default for other domains");
	free(v);
	set(d0, "/p/ro", 1, 1, XS_PERM_NONE, 0, 0);
	ok(h_write(d1, "/p/ro", "mine"), "the owner has full access even "
					 "with n");
	v = h_read(d0, "/p/ro");
	is_str(v, "mine", "dom0 is privileged: reads a node owned by a domU");
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
	set(d0, "/c", 2, 0, XS_PERM_NONE, 1, XS_PERM_WRITE | XS_PERM_READ);
	ok(h_write(d1, "/c/by1/deep", "v"), "a domU creates below a node that "
					     "grants it w, parents included");
	p = xs_get_permissions(d0, XBT_NULL, "/c/by1/deep", &n);
	ok(p && n == 2 && p[0].id == 1 && p[0].perms == XS_PERM_NONE &&
		   p[1].id == 1,
	   "its node copies the parent's perms with the domU as owner");
	free(p);
	p = xs_get_permissions(d0, XBT_NULL, "/c/by1", &n);
	ok(p && n == 2 && p[0].id == 1,
	   "an implicitly created parent is owned by the domU too");
	free(p);
	h_write(d0, "/c/by0", "v");
	p = xs_get_permissions(d0, XBT_NULL, "/c/by0", &n);
	ok(p && n == 2 && p[0].id == 0 && p[1].id == 1 &&
		   p[1].perms == (XS_PERM_READ | XS_PERM_WRITE),
	   "a node created by dom0 keeps the parent's owner and entries");
	free(p);
	ok(!h_write(d1, "/nope/x", "v") && errno == EACCES,
	   "a domU cannot create under a node it may not write");
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
	   "a domU may not give its node to another owner (EPERM)");
	ok(xs_set_permissions(d1, XBT_NULL, "mine", keep, 2),
	   "the owner may change the other entries");
	h_write(d0, "/dom0node", "v");
	set(d0, "/dom0node", 2, 0, XS_PERM_NONE, 1,
	    XS_PERM_READ | XS_PERM_WRITE);
	ok(!xs_set_permissions(d1, XBT_NULL, "/dom0node", keep, 2) &&
		   errno == EACCES,
	   "a non-owner with b may not change permissions (EACCES)");
	xs_close(d0);
	xs_close(d1);
}

static void no_existence_leak(void)
{
	struct xs_handle *d0 = h_xs(0), *d1 = h_xs(1);
	char *v;

	h_write(d0, "/hidden/x", "v");
	v = h_read(d1, "/hidden/missing");
	ok(!v && errno == EACCES, "a missing node under an unreadable parent "
				  "answers EACCES");
	free(v);
	v = h_read(d1, "missing");
	ok(!v && errno == ENOENT, "a missing node under a readable parent "
				  "answers ENOENT");
	free(v);
	ok(!xs_rm(d1, XBT_NULL, "/hidden/x") && errno == EACCES,
	   "a domU cannot remove a node it may not write");
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
	   "/local/domain/1 exists, owned by dom1");
	free(p);
	v = xs_get_domain_path(d1, 1);
	is_str(v, "/local/domain/1", "GET_DOMAIN_PATH");
	free(v);
	ok(xs_is_domain_introduced(d0, 1), "dom1 is introduced");
	ok(!xs_is_domain_introduced(d0, 9), "dom9 is not");
	ok(!xs_introduce_domain(d1, 9, 0, 0) && errno == EACCES,
	   "a domU may not INTRODUCE");
	ok(!xs_release_domain(d0, 9) && errno == ENOENT,
	   "RELEASE of an unknown domain gives ENOENT");
	xs_close(d0);
	xs_close(d1);
}

int main(void)
{
	h_start(NULL);
	owner_and_default();
	creation_rules();
	changing_perms();
	no_existence_leak();
	domain_paths();
	h_stop();
	return done_testing();
}

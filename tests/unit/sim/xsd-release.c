/* SPDX-License-Identifier: MIT */
/*
 * A domain going away (simxsd_domain_remove(), XS_RELEASE), under both
 * flavours, as the lab's entry h saw the real daemons do it: the nodes the
 * domain owns go with their subtrees; [ox] silently, and its entries in
 * other nodes' permissions are dropped; [C] with watch events, and its
 * entries stay (shown) but grant nothing when the domid comes back.  Both
 * drop its entries from @releaseDomain's permissions.
 */
#include "lib/xsd-harness.h"


/* The permissions of @path as "n0 r3", or the errno's name. */
static char *perms(struct xs_handle *xs, const char *path)
{
	static const char letters[] = "nrwb";
	static char buf[128];
	struct xs_permissions *p;
	unsigned int n, i;
	size_t off = 0;

	p = xs_get_permissions(xs, XBT_NULL, path, &n);
	if (!p) {
		snprintf(buf, sizeof(buf), "%s", strerrorname_np(errno));
		return buf;
	}
	buf[0] = '\0';
	for (i = 0; i < n && off < sizeof(buf) - 16; i++)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%c%u",
					i ? " " : "", letters[p[i].perms & 3],
					p[i].id);
	free(p);
	return buf;
}

/* Count the events within 300 ms; *saw_owned if /r/owned was one. */
static int events(struct xs_handle *xs, bool *saw_owned)
{
	char **v;
	int n = 0;

	*saw_owned = false;
	while ((v = h_event(xs, 300))) {
		if (!strcmp(v[XS_WATCH_PATH], "/r/owned"))
			*saw_owned = true;
		free(v);
		n++;
	}
	return n;
}

static void remove_domain(void)
{
	struct simxsd_perm rel[2] = { { 0, 0 }, { 3, SIMXSD_PERM_READ } };
	struct xs_handle *d0 = h_xs(0), *w = h_xs(0), *d3;
	bool saw_owned;
	char *v;
	int r;

	h_lock();
	r = simxsd_domain_add(xsd, 3, h_sock(3));
	if (!r)
		r = simxsd_set_perms(xsd, "@releaseDomain", rel, 2);
	h_unlock();
	is_int(r, 0, "%s: dom3 added, with r on @releaseDomain", FN);
	d3 = h_xs(3);
	h_write(d0, "/r/readable", "r");
	h_set_perms(d0, "/r/readable", 2, 0, XS_PERM_NONE, 3, XS_PERM_READ);
	xs_mkdir(d0, XBT_NULL, "/r/dir");
	h_set_perms(d0, "/r/dir", 2, 0, XS_PERM_NONE, 3,
	    XS_PERM_READ | XS_PERM_WRITE);
	h_write(d0, "/r/owned/kid", "k");
	h_set_perms(d0, "/r/owned", 1, 3, XS_PERM_NONE, 0, 0);
	ok(h_write(d3, "/r/dir/child", "c"), "%s: dom3 writes a node", FN);
	is_str(perms(d0, "/r/dir/child"), OX ? "n0 b3" : "n3 b3",
	       "%s: owned by %s", FN, OX ? "dom0" : "dom3");
	xs_close(d3);
	ok(xs_watch(w, "/r", "tok"), "%s: dom0 watches /r", FN);
	h_drain(w, 300);

	h_lock();
	r = simxsd_domain_remove(xsd, 3);
	h_unlock();
	is_int(r, 0, "%s: dom3 removed", FN);
	v = h_read(d0, "/r/owned");
	ok(!v && errno == ENOENT, "%s: the node it owned is gone", FN);
	free(v);
	v = h_read(d0, "/r/owned/kid");
	ok(!v && errno == ENOENT, "%s: with the dom0 node below it", FN);
	free(v);
	is_str(perms(d0, "/r/readable"), OX ? "n0" : "n0 r3",
	       "%s: its entry in another node's permissions is %s", FN,
	       OX ? "dropped" : "kept");
	is_str(perms(d0, "/r/dir"), OX ? "n0" : "n0 b3",
	       "%s: the same on the directory it wrote in", FN);
	is_str(perms(d0, "/r/dir/child"), OX ? "n0" : "ENOENT",
	       "%s: the node it created %s", FN,
	       OX ? "stays, its entry dropped" : "is gone (it owned it)");
	is_str(perms(d0, "@releaseDomain"), "n0",
	       "%s: its entry on @releaseDomain is dropped", FN);
	r = events(w, &saw_owned);
	if (OX)
		is_int(r, 0, "%s: no watch fires for the removed nodes", FN);
	else
		ok(saw_owned, "%s: the removal fires watches (%d events)", FN,
		   r);

	h_lock();
	r = simxsd_domain_add(xsd, 3, h_sock(3));
	h_unlock();
	is_int(r, 0, "%s: a new dom3", FN);
	d3 = h_xs(3);
	v = h_read(d3, "/r/readable");
	ok(!v && errno == EACCES, "%s: cannot read what the old one could",
	   FN);
	free(v);
	xs_close(d3);
	h_lock();
	simxsd_domain_remove(xsd, 3);
	h_unlock();
	xs_close(w);
	xs_close(d0);
}

static void release_on_the_wire(void)
{
	struct xs_handle *d0 = h_xs(0);
	char *v;

	ok(xs_introduce_domain(d0, 4, 0, 0), "%s: INTRODUCE dom4", FN);
	h_write(d0, "/r4/mine", "m");
	h_set_perms(d0, "/r4/mine", 1, 4, XS_PERM_NONE, 0, 0);
	h_write(d0, "/r4/shared", "s");
	h_set_perms(d0, "/r4/shared", 2, 0, XS_PERM_NONE, 4, XS_PERM_READ);
	ok(xs_release_domain(d0, 4), "%s: RELEASE dom4", FN);
	v = h_read(d0, "/r4/mine");
	ok(!v && errno == ENOENT, "%s: RELEASE removes the nodes it owned",
	   FN);
	free(v);
	v = h_read(d0, "/local/domain/4");
	ok(!v && errno == ENOENT, "%s: its home too (the toolstack had not)",
	   FN);
	free(v);
	is_str(perms(d0, "/r4/shared"), OX ? "n0" : "n0 r4",
	       "%s: and %s its entries", FN, OX ? "drops" : "keeps");
	xs_close(d0);
}

static void cases(void)
{
	remove_domain();
	release_on_the_wire();
}

int main(void)
{
	h_each_flavour(NULL, cases);
	return done_testing();
}

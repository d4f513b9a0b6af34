/* SPDX-License-Identifier: MIT */
/*
 * Watch semantics through the stock libxenstore: the first event when set,
 * events for the node and its descendants but not siblings, the watched
 * path itself when an ancestor is removed, relative watch paths, events
 * from a transaction only at commit, no events for nodes the watcher cannot
 * read, unwatch, and @introduceDomain / @releaseDomain.
 */
#include "lib/xsd-harness.h"

/* Expect the next event to be @path with @token. */
static void expect(struct xs_handle *xs, const char *path, const char *token,
		   const char *what)
{
	char **v = h_event(xs, 2000);

	ok(v && !strcmp(v[XS_WATCH_PATH], path) &&
		   !strcmp(v[XS_WATCH_TOKEN], token),
	   "%s", what);
	if (v && (strcmp(v[XS_WATCH_PATH], path) ||
		  strcmp(v[XS_WATCH_TOKEN], token)))
		diag("got '%s' '%s', want '%s' '%s'", v[XS_WATCH_PATH],
		     v[XS_WATCH_TOKEN], path, token);
	free(v);
}

static void expect_none(struct xs_handle *xs, const char *what)
{
	char **v = h_event(xs, 200);

	ok(!v, "%s", what);
	if (v)
		diag("unexpected event '%s'", v[XS_WATCH_PATH]);
	free(v);
}

static void first_event_and_subtree(void)
{
	struct xs_handle *w = h_xs(0), *c = h_xs(0);

	ok(xs_watch(w, "/w/a", "tok"), "watch is set");
	expect(w, "/w/a", "tok", "the first event fires at once, on the "
				  "watched path");
	h_write(c, "/w/a", "1");
	expect(w, "/w/a", "tok", "a write of the node fires");
	h_write(c, "/w/a/b/c", "1");
	expect(w, "/w/a/b/c", "tok", "a write below the node fires with the "
				      "changed path");
	h_write(c, "/w/ab", "1");
	expect_none(w, "a sibling with a common prefix does not fire");
	xs_rm(c, XBT_NULL, "/w");
	expect(w, "/w/a", "tok", "removing an ancestor fires with the "
				  "watched path");
	ok(xs_unwatch(w, "/w/a", "tok"), "unwatch");
	h_write(c, "/w/a", "2");
	expect_none(w, "no event after unwatch");
	xs_close(w);
	xs_close(c);
}

static void mkdir_chmod_fire(void)
{
	struct xs_handle *w = h_xs(0), *c = h_xs(0);
	struct xs_permissions p[1] = { { .id = 0, .perms = XS_PERM_READ } };

	xs_watch(w, "/m", "t");
	h_drain(w, 100);
	xs_mkdir(c, XBT_NULL, "/m/d");
	expect(w, "/m/d", "t", "mkdir fires");
	xs_set_permissions(c, XBT_NULL, "/m/d", p, 1);
	expect(w, "/m/d", "t", "set perms fires");
	xs_close(w);
	xs_close(c);
}

static void transaction_events_at_commit(void)
{
	struct xs_handle *w = h_xs(0), *c = h_xs(0);
	xs_transaction_t t;

	xs_watch(w, "/tx", "t");
	h_drain(w, 100);
	t = xs_transaction_start(c);
	xs_write(c, t, "/tx/a", "1", 1);
	expect_none(w, "a write inside a transaction does not fire yet");
	ok(xs_transaction_end(c, t, false), "commit");
	expect(w, "/tx/a", "t", "the write fires at commit");
	t = xs_transaction_start(c);
	xs_write(c, t, "/tx/b", "1", 1);
	xs_transaction_end(c, t, true);
	expect_none(w, "an aborted transaction fires nothing");
	xs_close(w);
	xs_close(c);
}

static void relative_watch(void)
{
	struct xs_handle *w = h_xs(1), *c = h_xs(1);

	ok(xs_watch(w, "dev", "rel"), "a domU sets a relative watch");
	expect(w, "dev", "rel", "its first event is relative");
	h_write(c, "/local/domain/1/dev/x", "1");
	expect(w, "dev/x", "rel", "events under it are reported relative");
	xs_close(w);
	xs_close(c);
}

static void unreadable_nodes_do_not_fire(void)
{
	struct xs_handle *w = h_xs(1), *c = h_xs(0);
	struct xs_permissions p[2] = { { .id = 0, .perms = XS_PERM_NONE },
				       { .id = 1, .perms = XS_PERM_READ } };

	h_write(c, "/priv/open", "");
	xs_set_permissions(c, XBT_NULL, "/priv/open", p, 2);
	ok(xs_watch(w, "/priv", "p"), "a domU may watch a node it cannot read");
	h_drain(w, 100);
	h_write(c, "/priv/secret/x", "1");
	expect_none(w, "no event for a node the watcher cannot read");
	h_write(c, "/priv/open", "1");
	expect(w, "/priv/open", "p", "an event for a node it can read");
	xs_close(w);
	xs_close(c);
}

static void domain_specials(void)
{
	struct xs_handle *w = h_xs(0), *u = h_xs(1);
	int r;

	ok(xs_watch(w, "@introduceDomain", "i"), "watch @introduceDomain");
	ok(xs_watch(w, "@releaseDomain", "r"), "watch @releaseDomain");
	ok(xs_watch(u, "@releaseDomain", "u"), "a domU watches @releaseDomain");
	h_drain(w, 100);
	h_drain(u, 100);
	h_lock();
	r = simxsd_domain_add(xsd, 5, NULL);
	h_unlock();
	is_int(r, 0, "add domain 5");
	expect(w, "@introduceDomain", "i", "adding a domain fires "
					    "@introduceDomain");
	h_lock();
	r = simxsd_domain_remove(xsd, 5);
	h_unlock();
	is_int(r, 0, "remove domain 5");
	expect(w, "@releaseDomain", "r", "removing it fires @releaseDomain");
	expect_none(u, "a domU without read permission on @releaseDomain "
		       "gets no event");
	{
		struct simxsd_perm sp[2] = { { 0, 0 }, { 1, SIMXSD_PERM_READ } };

		h_lock();
		r = simxsd_set_perms(xsd, "@releaseDomain", sp, 2);
		r = r ? r : simxsd_domain_add(xsd, 6, NULL);
		r = r ? r : simxsd_domain_remove(xsd, 6);
		h_unlock();
		is_int(r, 0, "grant dom1 r on @releaseDomain, add and remove "
			     "dom6");
		expect(u, "@releaseDomain", "u", "then the domU gets "
						 "@releaseDomain");
		h_drain(w, 100);
	}
	ok(xs_introduce_domain(w, 7, 0, 0), "XS_INTRODUCE from dom0");
	expect(w, "@introduceDomain", "i", "which fires @introduceDomain");
	ok(xs_release_domain(w, 7), "XS_RELEASE from dom0");
	expect(w, "@releaseDomain", "r", "which fires @releaseDomain");
	xs_close(w);
	xs_close(u);
}

int main(void)
{
	h_start(NULL);
	first_event_and_subtree();
	mkdir_chmod_fire();
	transaction_events_at_commit();
	relative_watch();
	unreadable_nodes_do_not_fire();
	domain_specials();
	h_stop();
	return done_testing();
}

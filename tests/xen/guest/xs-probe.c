/* SPDX-License-Identifier: MIT */
/*
 * xs-probe.c - the xenstore operations of matrix entry h that the stock
 * xenstore-* tools cannot express: exact error names, transactions and
 * watch event sequences.  Uses stock libxenstore, so it talks to whatever
 * xs_open() finds: $XENSTORED_PATH, the xenstored socket, or
 * /dev/xen/xenbus.
 *
 *   xs-probe read PATH          value, or "error E<NAME>"
 *   xs-probe write PATH VALUE   "ok" or "error E<NAME>"
 *   xs-probe write-size PATH N  write N bytes of 'x'
 *   xs-probe mkdir|rm PATH
 *   xs-probe dir PATH           sorted entries
 *   xs-probe getperms PATH      "<perm> ..." as in xenstore-chmod (n0 r5)
 *   xs-probe setperms PATH PERM...
 *   xs-probe domain-path DOMID
 *   xs-probe txn BASE           commit, abort, read-own-write, conflict
 *   xs-probe watch BASE         a watch's first event and what fires it
 *
 * Every line printed is canonical: no timings, and when $XS_PROBE_DOMU
 * names a domid (the domU side of entry h), that domid is written "DOMU"
 * in paths and permissions, in the arguments as in the output.
 * Exit status 0 unless the arguments or the connection were bad.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xenstore.h>

/* The domid written as "DOMU", or -1. */
static long domu = -1;

/* @s with "DOMU" replaced by the domid (arguments); caller frees. */
static char *from_canon(const char *s)
{
	const char *at = domu >= 0 ? strstr(s, "DOMU") : NULL;
	char *out;

	if (!at)
		return strdup(s);
	if (asprintf(&out, "%.*s%ld%s", (int)(at - s), s, domu, at + 4) < 0)
		return NULL;
	return out;
}

/* Print @path with "/local/domain/<domu>" written canonically. */
static void put_path(const char *path)
{
	char pre[64];
	size_t n;

	if (domu >= 0) {
		n = snprintf(pre, sizeof(pre), "/local/domain/%ld", domu);
		if (!strncmp(path, pre, n) &&
		    (path[n] == '/' || path[n] == '\0')) {
			printf("/local/domain/DOMU%s", path + n);
			return;
		}
	}
	printf("%s", path);
}

static const char *ename(int err)
{
	const char *n = strerrorname_np(err);

	return n ? n : "E?";
}

static void put_err(const char *what)
{
	printf("%s%serror %s\n", what, *what ? ": " : "", ename(errno));
}

static void do_read(struct xs_handle *xs, xs_transaction_t t,
		    const char *what, const char *path)
{
	unsigned int len;
	char *v = xs_read(xs, t, path, &len);

	if (!v) {
		put_err(what);
		return;
	}
	printf("%s%s\"%.*s\"\n", what, *what ? ": " : "", (int)len, v);
	free(v);
}

static void do_write(struct xs_handle *xs, xs_transaction_t t,
		     const char *what, const char *path, const char *val,
		     size_t len)
{
	if (xs_write(xs, t, path, val, len))
		printf("%s%sok\n", what, *what ? ": " : "");
	else
		put_err(what);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void do_dir(struct xs_handle *xs, const char *path)
{
	unsigned int n, i;
	char **d = xs_directory(xs, XBT_NULL, path, &n);

	if (!d) {
		put_err("");
		return;
	}
	qsort(d, n, sizeof(*d), cmp_str);
	printf("%u entries:", n);
	for (i = 0; i < n; i++)
		printf(" %s", d[i]);
	printf("\n");
	free(d);
}

static void do_getperms(struct xs_handle *xs, const char *path)
{
	static const char letters[] = "nrwb";
	struct xs_permissions *p;
	unsigned int n, i;

	p = xs_get_permissions(xs, XBT_NULL, path, &n);
	if (!p) {
		put_err("");
		return;
	}
	for (i = 0; i < n; i++) {
		printf("%s%c", i ? " " : "", letters[p[i].perms & 3]);
		if (domu >= 0 && p[i].id == domu)
			printf("DOMU");
		else
			printf("%u", p[i].id);
	}
	printf("\n");
	free(p);
}

static void do_setperms(struct xs_handle *xs, const char *path, int n,
			char **args)
{
	struct xs_permissions *p = calloc(n, sizeof(*p));
	int i;

	if (!p)
		return;
	for (i = 0; i < n; i++) {
		if (!xs_strings_to_perms(&p[i], 1, args[i])) {
			put_err("bad permission");
			free(p);
			return;
		}
	}
	if (xs_set_permissions(xs, XBT_NULL, path, p, n))
		printf("ok\n");
	else
		put_err("");
	free(p);
}

/*
 * Transactions: what a committed, an aborted and a conflicting transaction
 * leave behind, and whether reads inside one see its own writes.
 */
static void do_txn(struct xs_handle *xs, const char *base)
{
	char a[256], b[256], c[256];
	xs_transaction_t t;

	snprintf(a, sizeof(a), "%s/txn-a", base);
	snprintf(b, sizeof(b), "%s/txn-b", base);
	snprintf(c, sizeof(c), "%s/txn-c", base);

	t = xs_transaction_start(xs);
	if (!t) {
		put_err("commit: start");
		return;
	}
	do_write(xs, t, "commit: write a in t", a, "1", 1);
	do_write(xs, t, "commit: write b in t", b, "2", 1);
	do_read(xs, t, "commit: read a in t", a);
	do_read(xs, XBT_NULL, "commit: read a outside t", a);
	if (xs_transaction_end(xs, t, false))
		printf("commit: end ok\n");
	else
		put_err("commit: end");
	do_read(xs, XBT_NULL, "commit: read a after", a);
	do_read(xs, XBT_NULL, "commit: read b after", b);

	t = xs_transaction_start(xs);
	if (!t) {
		put_err("abort: start");
		return;
	}
	do_write(xs, t, "abort: write c in t", c, "3", 1);
	if (xs_transaction_end(xs, t, true))
		printf("abort: end ok\n");
	else
		put_err("abort: end");
	do_read(xs, XBT_NULL, "abort: read c after", c);

	t = xs_transaction_start(xs);
	if (!t) {
		put_err("conflict: start");
		return;
	}
	do_read(xs, t, "conflict: read a in t", a);
	do_write(xs, XBT_NULL, "conflict: write a outside t", a, "outside", 7);
	do_write(xs, t, "conflict: write a in t", a, "inside", 6);
	if (xs_transaction_end(xs, t, false))
		printf("conflict: end ok\n");
	else
		put_err("conflict: end");
	do_read(xs, XBT_NULL, "conflict: read a after", a);
}

/*
 * Print the watch events that arrive, in order: wait up to @first_ms for
 * the first one (long where an event is due, so that a slow lab does not
 * shift it to the next step), then up to 500 ms for each further one.
 */
static void drain_events(struct xs_handle *xs, const char *label,
			 int first_ms)
{
	struct pollfd pfd = { .fd = xs_fileno(xs), .events = POLLIN };
	unsigned int n;
	char **ev;
	int seen = 0;

	while (poll(&pfd, 1, seen ? 500 : first_ms) == 1) {
		ev = xs_read_watch(xs, &n);
		if (!ev)
			break;
		printf("%s: event ", label);
		put_path(ev[XS_WATCH_PATH]);
		printf(" token %s\n", ev[XS_WATCH_TOKEN]);
		free(ev);
		seen++;
	}
	if (!seen)
		printf("%s: no event\n", label);
}

static void do_watch(struct xs_handle *xs, struct xs_handle *w,
		     const char *base)
{
	char wp[256], child[256], other[256];

	snprintf(wp, sizeof(wp), "%s/w", base);
	snprintf(child, sizeof(child), "%s/w/child", base);
	snprintf(other, sizeof(other), "%s/other", base);

	if (!xs_watch(w, wp, "tok-w")) {
		put_err("watch");
		return;
	}
	printf("watch %s: ok\n", wp);
	drain_events(w, "after setting the watch", 5000);
	do_write(xs, XBT_NULL, "write w", wp, "v", 1);
	drain_events(w, "after write w", 5000);
	do_write(xs, XBT_NULL, "write w/child", child, "c", 1);
	drain_events(w, "after write w/child", 5000);
	do_write(xs, XBT_NULL, "write other", other, "o", 1);
	drain_events(w, "after write other", 1000);
	if (xs_rm(xs, XBT_NULL, wp))
		printf("rm w: ok\n");
	else
		put_err("rm w");
	drain_events(w, "after rm w", 5000);
	if (xs_unwatch(w, wp, "tok-w"))
		printf("unwatch: ok\n");
	else
		put_err("unwatch");
	do_write(xs, XBT_NULL, "write w after unwatch", wp, "v", 1);
	drain_events(w, "after unwatch", 1000);
	if (!xs_unwatch(w, wp, "tok-w"))
		put_err("unwatch again");
	else
		printf("unwatch again: ok\n");
}

static int usage(void)
{
	fprintf(stderr, "usage: xs-probe read|write|write-size|mkdir|rm|dir|"
		"getperms|setperms|domain-path|txn|watch ARGS...\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct xs_handle *xs, *w = NULL;
	const char *op, *env;
	char *buf;
	long n;
	int i;

	if (argc < 3)
		return usage();
	op = argv[1];
	env = getenv("XS_PROBE_DOMU");
	if (env && *env)
		domu = strtol(env, NULL, 10);
	for (i = 2; i < argc; i++) {
		argv[i] = from_canon(argv[i]);
		if (!argv[i])
			return 1;
	}
	xs = xs_open(0);
	if (!xs) {
		fprintf(stderr, "xs-probe: xs_open: %s\n", strerror(errno));
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(op, "read") && argc == 3) {
		do_read(xs, XBT_NULL, "", argv[2]);
	} else if (!strcmp(op, "write") && argc == 4) {
		do_write(xs, XBT_NULL, "", argv[2], argv[3], strlen(argv[3]));
	} else if (!strcmp(op, "write-size") && argc == 4) {
		n = strtol(argv[3], NULL, 10);
		if (n < 0 || n > 65536)
			return usage();
		buf = malloc(n + 1);
		if (!buf)
			return 1;
		memset(buf, 'x', n);
		do_write(xs, XBT_NULL, "", argv[2], buf, n);
		free(buf);
	} else if (!strcmp(op, "mkdir") && argc == 3) {
		if (xs_mkdir(xs, XBT_NULL, argv[2]))
			printf("ok\n");
		else
			put_err("");
	} else if (!strcmp(op, "rm") && argc == 3) {
		if (xs_rm(xs, XBT_NULL, argv[2]))
			printf("ok\n");
		else
			put_err("");
	} else if (!strcmp(op, "dir") && argc == 3) {
		do_dir(xs, argv[2]);
	} else if (!strcmp(op, "getperms") && argc == 3) {
		do_getperms(xs, argv[2]);
	} else if (!strcmp(op, "setperms") && argc >= 4) {
		do_setperms(xs, argv[2], argc - 3, argv + 3);
	} else if (!strcmp(op, "domain-path") && argc == 3) {
		buf = xs_get_domain_path(xs, atoi(argv[2]));
		if (buf) {
			put_path(buf);
			printf("\n");
		} else
			put_err("");
		free(buf);
	} else if (!strcmp(op, "txn") && argc == 3) {
		do_txn(xs, argv[2]);
	} else if (!strcmp(op, "watch") && argc == 3) {
		w = xs_open(0);
		if (!w) {
			fprintf(stderr, "xs-probe: second xs_open: %s\n",
				strerror(errno));
			return 1;
		}
		do_watch(xs, w, argv[2]);
		xs_close(w);
	} else {
		xs_close(xs);
		return usage();
	}
	xs_close(xs);
	return 0;
}

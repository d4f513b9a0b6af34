/* SPDX-License-Identifier: MIT */
/*
 * cmd-status.c - "duet status": the split devices of this domain (or of every
 * domain with --all, which needs dom0's view of xenstore), from xenstore
 * and the backend daemons' status files.
 *
 *   duet status [--all]
 *
 * Output: one line per device, sorted by backend domain, type, frontend
 * domain and device id; fields separated by one space, always in this
 * order, "-" for a value that does not exist:
 *   <type> be=<domid> fe=<domid> devid=<n>
 *     be-state=<name> fe-state=<name>       XenbusState names
 *                                           (duet_xenbus_state_name()),
 *                                           "gone" when the node is missing
 *     be-features=<a,b,...> fe-features=<...> the feature-* nodes of each
 *                                           end whose value is not "0",
 *                                           without the "feature-" prefix
 *     queues=<n>                            multi-queue-num-queues
 *                                           (frontend; 1 when absent)
 *     ring-pages=<n>                        pages per ring: 2^ring-page-order
 *                                           or num-ring-pages, 1 with a
 *                                           lone ring-ref
 *     ring-refs=<n>                         grant refs of rings published
 *                                           (ring-ref*, tx-/rx-/ctrl-ring-ref,
 *                                           in every queue-N/)
 *     evtchns=<p,q,...>                     event-channel* of every queue
 *     dma=<backend>                         the backend node "dma": the
 *                                           DMA backend the device's I/O
 *                                           goes through (duet/blkif.h);
 *                                           "-" when none.  Its counters
 *                                           are in stats: dma-live
 *                                           (mappings live), dma-maps,
 *                                           dma-faults (device faults),
 *                                           dma-grants (grants mapped
 *                                           for the device),
 *                                           dma-refused (grants refused
 *                                           for the device),
 *                                           dma-bounce-used/-total
 *                                           (swiotlb slots)
 *     instance=<pid> restarts=<n> daemon=<state>  from the backend
 *                                           daemon's status file when a
 *                                           live daemon serves the device
 *     stats=<key>:<n>,...                   the instance's counters
 *                                           (duet_backend_stats_write():
 *                                           grants mapped, requests, ...)
 *                                           while it runs; "-" otherwise
 * <type> is the backend's directory class (vbd, qdisk, vif; for a
 * frontend whose backend cannot be found, its own class).  Values taken
 * from xenstore are printed only when they are plain decimals or names
 * ([A-Za-z0-9_.-]); anything else prints as "?".
 *
 * Nodes read (none written): /local/domain/<d>/backend/<type>/<fe>/<devid>/
 * {frontend,state,feature-*,dma}, /local/domain/<d>/device/<type>/<devid>/
 * {backend,state,feature-*,multi-queue-num-queues,ring-page-order,
 * num-ring-pages,ring-ref*,tx-ring-ref,rx-ring-ref,ctrl-ring-ref,
 * event-channel*,queue-N/...}; with --all, the list of /local/domain.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "duet/parse.h"
#include "duet/platform.h"
#include "duet/xenbus.h"
#include "duet/xlspec.h"
#include "duet/xs.h"
#include "toolstack/cli/cli.h"

#define ST_QUEUES_MAX 64u

struct sdev {
	unsigned bdom, fe, devid;
	int has_bdom;
	char type[16];
	char *be, *fedir;
};

struct slist {
	struct sdev *v;
	size_t n, cap;
};

static void status_usage(FILE *f)
{
	fprintf(f, "usage: duet status [--all]\n"
		   "Lists the split devices whose frontend or backend is this "
		   "domain\n"
		   "(every domain with --all, from dom0), one line each:\n"
		   "  <type> be=<domid> fe=<domid> devid=<n> be-state=<name> "
		   "fe-state=<name>\n"
		   "  be-features=<a,b> fe-features=<a,b> queues=<n> "
		   "ring-pages=<n>\n"
		   "  ring-refs=<n> evtchns=<p,q> dma=<backend> "
		   "instance=<pid> restarts=<n>\n"
		   "  daemon=<state> stats=<key>:<n>,...\n"
		   "(all on one line; '-' where a value does not exist).  "
		   "instance,\n"
		   "restarts and daemon come from a running 'duet backend'; "
		   "with a DMA\nbackend, stats has dma-live, dma-faults, "
		   "dma-bounce-used, ...\n");
}

/* A decimal <= @max (duet_parse_uint()); -1 if not. */
static long dec(const char *s, unsigned long max)
{
	uint64_t v;

	return duet_parse_uint(s, max, &v) ? -1 : (long)v;
}

/* Printable as is: a short name of [A-Za-z0-9_.-]. */
static int plain(const char *s)
{
	const char *c;

	if (!*s || strlen(s) > 64)
		return 0;
	for (c = s; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '_' || *c == '.' ||
		      *c == '-'))
			return 0;
	return 1;
}

static char *rd(struct duet_xs *xs, const char *dir, const char *node)
{
	char *path, *val = NULL;

	if (asprintf(&path, "%s/%s", dir, node) < 0)
		return NULL;
	if (duet_xs_read(xs, DUET_XS_NO_TX, path, &val) < 0)
		val = NULL;
	free(path);
	return val;
}

static int add(struct slist *l, const struct sdev *d)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct sdev *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *d;
	return 0;
}

/* The backend dirs of domain @dom. */
static void scan_backends(struct duet_xs *xs, unsigned dom, struct slist *l)
{
	char base[64], *tdir, *fdir, **types, **fes, **ids;
	int nt, nf, ni, i, j, k;
	struct sdev d;
	long fe, id;

	snprintf(base, sizeof(base), "/local/domain/%u/backend", dom);
	nt = duet_xs_directory(xs, DUET_XS_NO_TX, base, &types);
	for (i = 0; i < nt; i++) {
		if (!plain(types[i]) || strlen(types[i]) >= sizeof(d.type) ||
		    asprintf(&tdir, "%s/%s", base, types[i]) < 0)
			continue;
		nf = duet_xs_directory(xs, DUET_XS_NO_TX, tdir, &fes);
		for (j = 0; j < nf; j++) {
			fe = dec(fes[j], DUET_XL_DOMID_MAX - 1);
			if (fe < 0 ||
			    asprintf(&fdir, "%s/%s", tdir, fes[j]) < 0)
				continue;
			ni = duet_xs_directory(xs, DUET_XS_NO_TX, fdir, &ids);
			for (k = 0; k < ni; k++) {
				id = dec(ids[k], 0x7fffffffUL);
				if (id < 0)
					continue;
				memset(&d, 0, sizeof(d));
				d.bdom = dom;
				d.has_bdom = 1;
				d.fe = (unsigned)fe;
				d.devid = (unsigned)id;
				snprintf(d.type, sizeof(d.type), "%s",
					 types[i]);
				if (asprintf(&d.be, "%s/%s", fdir, ids[k]) < 0)
					continue;
				d.fedir = rd(xs, d.be, "frontend");
				if (add(l, &d) < 0) {
					free(d.be);
					free(d.fedir);
				}
			}
			if (ni > 0)
				free(ids);
			free(fdir);
		}
		if (nf > 0)
			free(fes);
		free(tdir);
	}
	if (nt > 0)
		free(types);
}

/* Is @fedir the frontend of a device already listed? */
static int listed(const struct slist *l, const char *fedir)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->v[i].fedir && !strcmp(l->v[i].fedir, fedir))
			return 1;
	return 0;
}

/* The frontend dirs of domain @dom not yet listed through a backend. */
static void scan_frontends(struct duet_xs *xs, unsigned dom, struct slist *l)
{
	char base[64], *tdir, **types, **ids, kind[16];
	unsigned bdom, fe, devid;
	int nt, ni, i, k, n;
	struct sdev d;
	long id;

	snprintf(base, sizeof(base), "/local/domain/%u/device", dom);
	nt = duet_xs_directory(xs, DUET_XS_NO_TX, base, &types);
	for (i = 0; i < nt; i++) {
		if (!plain(types[i]) || strlen(types[i]) >= sizeof(d.type) ||
		    asprintf(&tdir, "%s/%s", base, types[i]) < 0)
			continue;
		ni = duet_xs_directory(xs, DUET_XS_NO_TX, tdir, &ids);
		for (k = 0; k < ni; k++) {
			id = dec(ids[k], 0x7fffffffUL);
			if (id < 0)
				continue;
			memset(&d, 0, sizeof(d));
			if (asprintf(&d.fedir, "%s/%s", tdir, ids[k]) < 0)
				continue;
			if (listed(l, d.fedir)) {
				free(d.fedir);
				continue;
			}
			d.fe = dom;
			d.devid = (unsigned)id;
			snprintf(d.type, sizeof(d.type), "%s", types[i]);
			/* The guest writes "backend": check its shape. */
			d.be = rd(xs, d.fedir, "backend");
			n = 0;
			if (d.be &&
			    sscanf(d.be,
				   "/local/domain/%u/backend/%15[^/]/%u/%u%n",
				   &bdom, kind, &fe, &devid, &n) == 4 &&
			    !d.be[n] && fe == dom && devid == d.devid &&
			    plain(kind)) {
				d.bdom = bdom;
				d.has_bdom = 1;
				snprintf(d.type, sizeof(d.type), "%s", kind);
			} else {
				free(d.be);
				d.be = NULL;
			}
			if (add(l, &d) < 0) {
				free(d.be);
				free(d.fedir);
			}
		}
		if (ni > 0)
			free(ids);
		free(tdir);
	}
	if (nt > 0)
		free(types);
}

static int cmp_dev(const void *a, const void *b)
{
	const struct sdev *x = a, *y = b;
	int c;

	if (x->has_bdom != y->has_bdom)
		return x->has_bdom ? -1 : 1;
	if (x->bdom != y->bdom)
		return x->bdom < y->bdom ? -1 : 1;
	c = strcmp(x->type, y->type);
	if (c)
		return c;
	if (x->fe != y->fe)
		return x->fe < y->fe ? -1 : 1;
	if (x->devid != y->devid)
		return x->devid < y->devid ? -1 : 1;
	return 0;
}

static void put_state(struct duet_xs *xs, const char *key, const char *dir)
{
	char *v = dir ? rd(xs, dir, "state") : NULL;
	long st = dec(v, 8);

	printf(" %s=%s", key,
	       !v	? "gone"
	       : st < 0 ? "?"
			: duet_xenbus_state_name((int)st));
	free(v);
}

static void put_features(struct duet_xs *xs, const char *key, const char *dir)
{
	char **names, *v;
	int n, i, any = 0;

	printf(" %s=", key);
	n = dir ? duet_xs_directory(xs, DUET_XS_NO_TX, dir, &names) : -ENOENT;
	for (i = 0; i < n; i++) {
		if (strncmp(names[i], "feature-", 8) || !plain(names[i] + 8))
			continue;
		v = rd(xs, dir, names[i]);
		if (v && strcmp(v, "0") && *v) {
			printf("%s%s", any ? "," : "", names[i] + 8);
			any = 1;
		}
		free(v);
	}
	if (n > 0)
		free(names);
	if (!any)
		printf("-");
}

/* Rings, refs and event channels published in one queue directory. */
struct rings {
	long pages;
	unsigned refs;
	char evt[256];
	size_t evt_len;
};

static void scan_queue(struct duet_xs *xs, const char *dir, struct rings *r)
{
	char **names, *v;
	long x;
	int n, i;

	n = duet_xs_directory(xs, DUET_XS_NO_TX, dir, &names);
	for (i = 0; i < n; i++) {
		const char *nm = names[i];

		if (!strncmp(nm, "ring-ref", 8) || !strcmp(nm, "tx-ring-ref") ||
		    !strcmp(nm, "rx-ring-ref") ||
		    !strcmp(nm, "ctrl-ring-ref")) {
			r->refs++;
			if (r->pages < 1)
				r->pages = 1;
		} else if (!strcmp(nm, "ring-page-order")) {
			v = rd(xs, dir, nm);
			x = dec(v, DUET_XENBUS_MAX_RING_ORDER);
			if (x >= 0)
				r->pages = 1L << x;
			free(v);
		} else if (!strcmp(nm, "num-ring-pages") && r->pages < 2) {
			v = rd(xs, dir, nm);
			x = dec(v, DUET_XENBUS_MAX_RING_PAGES);
			if (x > 0)
				r->pages = x;
			free(v);
		} else if (!strncmp(nm, "event-channel", 13)) {
			v = rd(xs, dir, nm);
			x = dec(v, 0xffffffffUL);
			if (r->evt_len + 16 < sizeof(r->evt)) {
				if (x >= 0)
					r->evt_len += (size_t)snprintf(
						r->evt + r->evt_len, 16,
						"%s%ld", r->evt_len ? "," : "",
						x);
				else
					r->evt_len += (size_t)snprintf(
						r->evt + r->evt_len, 16, "%s?",
						r->evt_len ? "," : "");
			}
			free(v);
		}
	}
	if (n > 0)
		free(names);
}

static void put_rings(struct duet_xs *xs, const char *fedir)
{
	struct rings r = {.pages = -1};
	char *v, *q;
	long nq = 1, i;

	if (fedir) {
		v = rd(xs, fedir, "multi-queue-num-queues");
		if (v) {
			nq = dec(v, ST_QUEUES_MAX);
			if (nq < 1)
				nq = -1;
		}
		free(v);
		scan_queue(xs, fedir, &r);
		for (i = 0; nq > 1 && i < nq; i++) {
			if (asprintf(&q, "%s/queue-%ld", fedir, i) < 0)
				break;
			scan_queue(xs, q, &r);
			free(q);
		}
	}
	if (nq < 0)
		printf(" queues=?");
	else
		printf(" queues=%ld", nq);
	if (r.pages < 0)
		printf(" ring-pages=-");
	else
		printf(" ring-pages=%ld", r.pages);
	printf(" ring-refs=%u evtchns=%s", r.refs, r.evt_len ? r.evt : "-");
}

/* The DMA backend named by the backend node "dma". */
static void put_dma(struct duet_xs *xs, const char *be)
{
	char *v = be ? rd(xs, be, "dma") : NULL;

	printf(" dma=%s", !v || !*v ? "-" : plain(v) ? v : "?");
	free(v);
}

/* The counters a running instance of @d published ("key value" lines). */
static void put_stats(const struct sdev *d, int running)
{
	char path[PATH_MAX], key[72];
	unsigned long long v;
	const char *sep = "";
	FILE *f = NULL;

	if (running && !cli_stats_path(path, sizeof(path), d->bdom, d->type,
				       d->fe, d->devid))
		f = fopen(path, "re");
	printf(" stats=");
	while (f && fscanf(f, "%71[a-z0-9-] %llu\n", key, &v) == 2) {
		printf("%s%s:%llu", sep, key, v);
		sep = ",";
	}
	if (!*sep)
		printf("-");
	if (f)
		fclose(f);
}

/* The daemon's line for @d in its status file, if a live daemon has one. */
static void put_instance(const struct sdev *d)
{
	char dir[4000], path[4096], line[256], type[32], pid[16], st[16];
	unsigned fe, devid, restarts;
	int dpid = 0, found = 0;
	FILE *f;

	if (d->has_bdom && !cli_run_dir(dir, sizeof(dir))) {
		snprintf(path, sizeof(path), CLI_BACKEND_STATUS_FMT, dir,
			 d->bdom);
		f = fopen(path, "r");
		while (f && fgets(line, sizeof(line), f)) {
			if (sscanf(line, "daemon %d", &dpid) == 1)
				continue;
			if (sscanf(line, "device %31s %u %u %15s %u %15s", type,
				   &fe, &devid, pid, &restarts, st) == 6 &&
			    !strcmp(type, d->type) && fe == d->fe &&
			    devid == d->devid) {
				found = 1;
				break;
			}
		}
		if (f)
			fclose(f);
		if (found &&
		    (dpid <= 0 || (kill(dpid, 0) < 0 && errno != EPERM)))
			found = 0; /* a stale file */
	}
	if (found)
		printf(" instance=%s restarts=%u daemon=%s", pid, restarts, st);
	else
		printf(" instance=- restarts=- daemon=-");
	put_stats(d, found && strcmp(pid, "-"));
}

static const struct option status_opts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "all", no_argument, NULL, 'a' },
	{ NULL, 0, NULL, 0 },
};

int cli_status(int argc, char **argv)
{
	struct duet_platform *p;
	struct slist l = {NULL, 0, 0};
	struct duet_xs *xs;
	char **doms;
	int all = 0, self, n, i, rc;
	size_t k;
	long dom;

	cli_getopt_init();
	while ((i = getopt_long(argc, argv, "+:h", status_opts, NULL)) != -1) {
		switch (i) {
		case 'h':
			status_usage(stdout);
			return CLI_EXIT_OK;
		case 'a':
			all = 1;
			break;
		default:
			return cli_option_error("status", i, argv);
		}
	}
	if (optind < argc)
		return cli_usage_error("status", "unexpected argument '%s'",
				       argv[optind]);
	rc = cli_open_xs("status", &p, &xs);
	if (rc)
		return rc;
	self = duet_platform_domid(p);
	if (self < 0) {
		fprintf(stderr, "duet status: which domain is this? %s\n",
			strerror(-self));
		rc = CLI_EXIT_FAIL;
		goto out;
	}
	if (all) {
		n = duet_xs_directory(xs, DUET_XS_NO_TX, "/local/domain",
				      &doms);
		if (n < 0) {
			fprintf(stderr, "duet status: /local/domain: %s%s\n",
				strerror(-n),
				n == -EACCES ? " (--all needs dom0)" : "");
			rc = CLI_EXIT_FAIL;
			goto out;
		}
		for (i = 0; i < n; i++) {
			dom = dec(doms[i], DUET_XL_DOMID_MAX - 1);
			if (dom >= 0)
				scan_backends(xs, (unsigned)dom, &l);
		}
		for (i = 0; i < n; i++) {
			dom = dec(doms[i], DUET_XL_DOMID_MAX - 1);
			if (dom >= 0)
				scan_frontends(xs, (unsigned)dom, &l);
		}
		if (n > 0)
			free(doms);
	} else {
		scan_backends(xs, (unsigned)self, &l);
		scan_frontends(xs, (unsigned)self, &l);
	}
	qsort(l.v, l.n, sizeof(*l.v), cmp_dev);
	for (k = 0; k < l.n; k++) {
		const struct sdev *d = &l.v[k];

		printf("%s", d->type);
		if (d->has_bdom)
			printf(" be=%u", d->bdom);
		else
			printf(" be=-");
		printf(" fe=%u devid=%u", d->fe, d->devid);
		put_state(xs, "be-state", d->be);
		put_state(xs, "fe-state", d->fedir);
		put_features(xs, "be-features", d->be);
		put_features(xs, "fe-features", d->fedir);
		put_rings(xs, d->fedir);
		put_dma(xs, d->be);
		put_instance(d);
		printf("\n");
	}
	rc = CLI_EXIT_OK;
out:
	for (k = 0; k < l.n; k++) {
		free(l.v[k].be);
		free(l.v[k].fedir);
	}
	free(l.v);
	duet_xs_close(xs);
	duet_platform_close(p);
	return rc;
}

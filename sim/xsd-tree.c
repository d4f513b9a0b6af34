/* SPDX-License-Identifier: MIT */
/*
 * sim/xsd-tree.c - the xenstore node store: paths, permissions, implicit
 * creation, recursive removal, transactions and node quotas.
 *
 * Design: like the C xenstored's TDB, the store is a flat map from full
 * path to node record, and each record lists its children's leaf names.
 * A transaction is a second map of private copies: the first access to a
 * path (even to a missing one) copies the store's record and remembers its
 * generation; reads and writes then use the copy.  A commit fails with
 * EAGAIN if any remembered generation differs from the store's, otherwise
 * it moves the changed copies into the store.  That is exactly xenstored's
 * "only conflicting writes cause EAGAIN" rule, and every operation is
 * written once against a view (store or transaction).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/xsd-int.h"

const char *const simxsd_special_names[2] = {
	"@introduceDomain",
	"@releaseDomain",
};

/* ------------------------------------------------------------------ */
/* Hash table                                                          */
/* ------------------------------------------------------------------ */

static size_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	while (*s) {
		h ^= (unsigned char)*s++;
		h *= 1099511628211ull;
	}
	return (size_t)h;
}

static int tbl_init(struct simxsd_table *t, size_t nb)
{
	t->b = calloc(nb, sizeof(*t->b));
	if (!t->b)
		return -ENOMEM;
	t->nb = nb;
	t->n = 0;
	return 0;
}

static struct simxsd_node *tbl_find(const struct simxsd_table *t,
				    const char *path)
{
	struct simxsd_node *n;

	for (n = t->b[hash_str(path) & (t->nb - 1)]; n; n = n->hnext)
		if (!strcmp(n->path, path))
			return n;
	return NULL;
}

/* Double the buckets when the load passes 1; on ENOMEM keep the old. */
static void tbl_grow(struct simxsd_table *t)
{
	struct simxsd_node **nb, *n, *next;
	size_t i, sz = t->nb * 2, h;

	nb = calloc(sz, sizeof(*nb));
	if (!nb)
		return;
	for (i = 0; i < t->nb; i++) {
		for (n = t->b[i]; n; n = next) {
			next = n->hnext;
			h = hash_str(n->path) & (sz - 1);
			n->hnext = nb[h];
			nb[h] = n;
		}
	}
	free(t->b);
	t->b = nb;
	t->nb = sz;
}

/* Never fails: growing is best effort. */
static void tbl_insert(struct simxsd_table *t, struct simxsd_node *n)
{
	size_t h;

	if (t->n >= t->nb)
		tbl_grow(t);
	h = hash_str(n->path) & (t->nb - 1);
	n->hnext = t->b[h];
	t->b[h] = n;
	t->n++;
}

static void tbl_unlink(struct simxsd_table *t, struct simxsd_node *n)
{
	struct simxsd_node **pp;

	for (pp = &t->b[hash_str(n->path) & (t->nb - 1)]; *pp;
	     pp = &(*pp)->hnext) {
		if (*pp == n) {
			*pp = n->hnext;
			n->hnext = NULL;
			t->n--;
			return;
		}
	}
}

static void node_free(struct simxsd_node *n)
{
	if (!n)
		return;
	free(n->path);
	free(n->value);
	free(n->children);
	free(n->perms);
	free(n);
}

static void tbl_fini(struct simxsd_table *t)
{
	struct simxsd_node *n, *next;
	size_t i;

	if (!t->b)
		return;
	for (i = 0; i < t->nb; i++)
		for (n = t->b[i]; n; n = next) {
			next = n->hnext;
			node_free(n);
		}
	free(t->b);
	t->b = NULL;
	t->nb = t->n = 0;
}

/* ------------------------------------------------------------------ */
/* Nodes, permissions, paths                                           */
/* ------------------------------------------------------------------ */

static void *memdup(const void *p, size_t len)
{
	void *q = malloc(len ? len : 1);

	if (q && len)
		memcpy(q, p, len);
	return q;
}

static struct simxsd_node *node_new(const char *path)
{
	struct simxsd_node *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->path = strdup(path);
	if (!n->path) {
		free(n);
		return NULL;
	}
	return n;
}

static struct simxsd_node *node_clone(const struct simxsd_node *m)
{
	struct simxsd_node *n = node_new(m->path);

	if (!n)
		return NULL;
	n->value = memdup(m->value, m->vlen);
	n->children = memdup(m->children, m->clen);
	n->perms = memdup(m->perms, m->nperms * sizeof(*m->perms));
	if (!n->value || !n->children || !n->perms) {
		node_free(n);
		return NULL;
	}
	n->vlen = m->vlen;
	n->clen = m->clen;
	n->nperms = m->nperms;
	return n;
}

static unsigned int owner(const struct simxsd_node *n)
{
	return n->perms[0].domid;
}

unsigned int simxsd_perm_for(unsigned int domid, const struct simxsd_perm *p,
			     uint32_t n)
{
	const unsigned int rw = SIMXSD_PERM_READ | SIMXSD_PERM_WRITE;
	uint32_t i;

	if (domid == 0 || p[0].domid == domid)
		return rw | SIMXSD_PERM_OWNER;
	for (i = 1; i < n; i++)
		if (p[i].domid == domid && !(p[i].access & SIMXSD_PERM_IGNORE))
			return p[i].access & rw;
	return p[0].access & rw;
}

bool simxsd_is_ox(const struct simxsd *xsd)
{
	return xsd->flavour == SIMXSD_OXENSTORED;
}

int simxsd_flavour_parse(const char *name)
{
	if (name && !strcmp(name, "oxenstored"))
		return SIMXSD_OXENSTORED;
	if (name && !strcmp(name, "xenstored"))
		return SIMXSD_XENSTORED;
	return -EINVAL;
}

const char *simxsd_flavour_name(enum simxsd_flavour f)
{
	switch (f) {
	case SIMXSD_OXENSTORED:
		return "oxenstored";
	case SIMXSD_XENSTORED:
		return "xenstored";
	}
	return "?";
}

int simxsd_set_flavour(struct simxsd *xsd, enum simxsd_flavour f)
{
	if (f != SIMXSD_OXENSTORED && f != SIMXSD_XENSTORED)
		return -EINVAL;
	xsd->flavour = f;
	return 0;
}

static unsigned int perm_node(const struct simxsd_ctx *c,
			      const struct simxsd_node *n)
{
	return simxsd_perm_for(c->domid, n->perms, n->nperms);
}

static bool valid_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch == '-' || ch == '/' ||
	       ch == '_' || ch == '@';
}

int simxsd_path_canon(unsigned int domid, const char *in, bool allow_special,
		      char *out)
{
	size_t len = strlen(in), i, off = 0;
	unsigned int id;
	int pre, consumed = 0;

	if (len == 0)
		return -EINVAL;
	if (in[0] == '@') {
		if (!allow_special || len > XENSTORE_ABS_PATH_MAX)
			return -EINVAL;
		memcpy(out, in, len + 1);
	} else if (in[0] == '/') {
		if (len > XENSTORE_ABS_PATH_MAX)
			return -EINVAL;
		memcpy(out, in, len + 1);
	} else {
		pre = snprintf(out, SIMXSD_PATH_BUF, "/local/domain/%u/",
			       domid);
		if (pre < 0 || (size_t)pre + len > XENSTORE_ABS_PATH_MAX)
			return -EINVAL;
		memcpy(out + pre, in, len + 1);
		len += (size_t)pre;
	}
	for (i = 0; i < len; i++)
		if (!valid_char(out[i]))
			return -EINVAL;
	if (out[0] == '@')
		return 0;
	if (len > 1 && out[len - 1] == '/')
		return -EINVAL;
	if (strstr(out, "//"))
		return -EINVAL;
	/* Unprivileged domains: relative part within XENSTORE_REL_PATH_MAX */
	if (domid != 0) {
		if (sscanf(out, "/local/domain/%5u/%n", &id, &consumed) == 1 &&
		    consumed > 0)
			off = (size_t)consumed;
		if (len - off > XENSTORE_REL_PATH_MAX)
			return -EINVAL;
	}
	return 0;
}

/* Cut @buf to its parent path ("/a/b" -> "/a", "/a" -> "/"). */
static void parent_of(char *buf)
{
	char *slash = strrchr(buf, '/');

	if (!slash)
		return;
	if (slash == buf)
		buf[1] = '\0';
	else
		*slash = '\0';
}

static const char *leaf_of(const char *path)
{
	return strrchr(path, '/') + 1;
}

static int children_add(struct simxsd_node *p, const char *name)
{
	size_t l = strlen(name) + 1;
	char *c = realloc(p->children, p->clen + l);

	if (!c)
		return -ENOMEM;
	memcpy(c + p->clen, name, l);
	p->children = c;
	p->clen += (uint32_t)l;
	return 0;
}

static void children_del(struct simxsd_node *p, const char *name)
{
	uint32_t off = 0, l;

	while (off < p->clen) {
		l = (uint32_t)strlen(p->children + off) + 1;
		if (!strcmp(p->children + off, name)) {
			memmove(p->children + off, p->children + off + l,
				p->clen - off - l);
			p->clen -= l;
			return;
		}
		off += l;
	}
}

/* ------------------------------------------------------------------ */
/* Views: the store itself, or a transaction's copies                  */
/* ------------------------------------------------------------------ */

/* Look @path up; *out = NULL if it does not exist in the view. */
static int view_get(struct simxsd_ctx *c, const char *path,
		    struct simxsd_node **out)
{
	struct simxsd_node *m, *t;

	if (!c->txn) {
		*out = tbl_find(&c->xsd->nodes, path);
		return 0;
	}
	t = tbl_find(&c->txn->nodes, path);
	if (!t) {
		m = tbl_find(&c->xsd->nodes, path);
		t = m ? node_clone(m) : node_new(path);
		if (!t)
			return -ENOMEM;
		t->base_gen = m ? m->gen : 0;
		t->absent = !m;
		tbl_insert(&c->txn->nodes, t);
	}
	*out = t->absent ? NULL : t;
	return 0;
}

/* Look @path up without recording an access (for event permissions). */
static struct simxsd_node *view_peek(struct simxsd_ctx *c, const char *path)
{
	struct simxsd_node *t;

	if (c->txn) {
		t = tbl_find(&c->txn->nodes, path);
		if (t)
			return t->absent ? NULL : t;
	}
	return tbl_find(&c->xsd->nodes, path);
}

/* @n (from view_get) changed. */
static void view_touch(struct simxsd_ctx *c, struct simxsd_node *n)
{
	if (c->txn)
		n->dirty = true;
	else
		n->gen = ++c->xsd->gen;
}

static void acct_add(struct simxsd_ctx *c, unsigned int domid, int d)
{
	struct simxsd_acct *a = &c->xsd->acct[domid & 0xffff];

	if (c->txn) {
		if (domid == c->domid)
			c->txn->node_delta += d;
		return;
	}
	if (d < 0 && a->nodes == 0)
		return;
	a->nodes += (uint32_t)d;
}

/*
 * Create @path under @parent (which exists in the view): perms copied from
 * the parent, owned by the creator if unprivileged.
 */
static int view_create(struct simxsd_ctx *c, const char *path,
		       struct simxsd_node *parent, struct simxsd_node **out)
{
	struct simxsd_node *n = NULL;
	struct simxsd_perm *perms;
	bool fresh = false;

	perms = memdup(parent->perms, parent->nperms * sizeof(*perms));
	if (!perms)
		return -ENOMEM;
	/* [C] the creator owns the node; [ox] the parent's owner does */
	if (c->domid != 0 && !simxsd_is_ox(c->xsd))
		perms[0].domid = c->domid;
	if (children_add(parent, leaf_of(path))) {
		free(perms);
		return -ENOMEM;
	}
	if (c->txn)
		n = tbl_find(&c->txn->nodes, path);
	if (!n) {
		n = node_new(path);
		if (!n) {
			children_del(parent, leaf_of(path));
			free(perms);
			return -ENOMEM;
		}
		fresh = true;
	}
	n->perms = perms;
	n->nperms = parent->nperms;
	n->absent = false;
	view_touch(c, parent);
	view_touch(c, n);
	if (fresh) {
		if (c->txn) {
			/* not looked up before: remember the store's state */
			struct simxsd_node *m = tbl_find(&c->xsd->nodes, path);

			n->base_gen = m ? m->gen : 0;
			tbl_insert(&c->txn->nodes, n);
		} else {
			tbl_insert(&c->xsd->nodes, n);
		}
	}
	acct_add(c, owner(n), 1);
	*out = n;
	return 0;
}

/* Remove the single node @n (its children are gone already). */
static void view_delete_one(struct simxsd_ctx *c, struct simxsd_node *n)
{
	acct_add(c, owner(n), -1);
	if (!c->txn) {
		tbl_unlink(&c->xsd->nodes, n);
		node_free(n);
		return;
	}
	free(n->value);
	free(n->children);
	free(n->perms);
	n->value = n->children = NULL;
	n->perms = NULL;
	n->vlen = n->clen = n->nperms = 0;
	n->absent = true;
	n->dirty = true;
}

static int delete_tree(struct simxsd_ctx *c, struct simxsd_node *n)
{
	struct simxsd_node *child;
	uint32_t off = 0;
	size_t plen = strlen(n->path);
	char *cp;
	int r = 0;

	while (off < n->clen && !r) {
		const char *name = n->children + off;
		size_t l = strlen(name);

		off += (uint32_t)l + 1;
		cp = malloc(plen + l + 2);
		if (!cp)
			return -ENOMEM;
		sprintf(cp, "%s/%s", plen == 1 ? "" : n->path, name);
		r = view_get(c, cp, &child);
		if (!r && child)
			r = delete_tree(c, child);
		free(cp);
	}
	if (!r)
		view_delete_one(c, n);
	return r;
}

/* ------------------------------------------------------------------ */
/* Events                                                              */
/* ------------------------------------------------------------------ */

void simxsd_ev_free(struct simxsd_ev *ev)
{
	int i;

	if (!ev)
		return;
	for (i = 0; i < 3; i++)
		free(ev->ps[i].p);
	free(ev->path);
	free(ev);
}

static int ps_copy(struct simxsd_permset *dst, const struct simxsd_perm *p,
		   uint32_t n)
{
	if (!n)
		return 0;
	dst->p = memdup(p, n * sizeof(*p));
	if (!dst->p)
		return -ENOMEM;
	dst->n = n;
	return 0;
}

static struct simxsd_ev *ev_new(const char *path, bool rm)
{
	struct simxsd_ev *ev = calloc(1, sizeof(*ev));

	if (!ev)
		return NULL;
	ev->path = strdup(path);
	if (!ev->path) {
		free(ev);
		return NULL;
	}
	ev->rm = rm;
	return ev;
}

/* Fire now, or queue for the commit. Takes @ev. */
static void ev_emit(struct simxsd_ctx *c, struct simxsd_ev *ev)
{
	if (!ev)
		return;
	if (c->quiet) {
		simxsd_ev_free(ev);
		return;
	}
	if (c->txn) {
		*c->txn->ev_tail = ev;
		c->txn->ev_tail = &ev->next;
		return;
	}
	simxsd_fire(c->xsd, ev);
	simxsd_ev_free(ev);
}

/*
 * An event for a change of @path whose node has permissions @now (NULL
 * if removed) and had @before; the parent's permissions are added.
 * Memory shortage loses the event (watches may miss changes anyway).
 */
static struct simxsd_ev *ev_make(struct simxsd_ctx *c, const char *path,
				 bool rm, const struct simxsd_permset *now,
				 const struct simxsd_permset *before)
{
	struct simxsd_ev *ev = ev_new(path, rm);
	struct simxsd_node *parent = NULL;
	char *pp;

	if (!ev)
		return NULL;
	if ((now && ps_copy(&ev->ps[0], now->p, now->n)) ||
	    (before && ps_copy(&ev->ps[1], before->p, before->n)))
		goto fail;
	if (strcmp(path, "/")) {
		pp = strdup(path);
		if (!pp)
			goto fail;
		parent_of(pp);
		parent = view_peek(c, pp);
		if (parent &&
		    ps_copy(&ev->ps[2], parent->perms, parent->nperms)) {
			free(pp);
			goto fail;
		}
		free(pp);
	}
	return ev;
fail:
	simxsd_ev_free(ev);
	return NULL;
}

void simxsd_fire_special(struct simxsd *xsd, int which)
{
	struct simxsd_ev *ev = ev_new(simxsd_special_names[which], false);

	if (!ev)
		return;
	if (ps_copy(&ev->ps[0], xsd->special[which].p,
		    xsd->special[which].n) == 0)
		simxsd_fire(xsd, ev);
	simxsd_ev_free(ev);
}

/* ------------------------------------------------------------------ */
/* Operations                                                          */
/* ------------------------------------------------------------------ */

/*
 * A missing node: [C] ENOENT if the closest existing ancestor grants any of
 * @want, EACCES otherwise, so that probing reveals nothing; [ox] ENOENT
 * (oxenstored looks the path up before it checks any permission).
 */
static int from_parents(struct simxsd_ctx *c, const char *path,
			unsigned int want)
{
	struct simxsd_node *anc = NULL;
	char *buf;
	int r = 0;

	if (simxsd_is_ox(c->xsd))
		return -ENOENT;
	buf = strdup(path);
	if (!buf)
		return -ENOMEM;
	while (!anc && !r && strcmp(buf, "/")) {
		parent_of(buf);
		r = view_get(c, buf, &anc);
	}
	free(buf);
	if (r)
		return r;
	if (!anc || !(perm_node(c, anc) & want))
		return -EACCES;
	return -ENOENT;
}

static int get_node(struct simxsd_ctx *c, const char *path,
		    unsigned int want, struct simxsd_node **out)
{
	struct simxsd_node *n;
	int r = view_get(c, path, &n);

	if (r)
		return r;
	if (!n)
		return from_parents(c, path, want);
	if ((perm_node(c, n) & want) != want)
		return -EACCES;
	*out = n;
	return 0;
}

/* Create @path and its missing parents; the caller checked it is absent. */
static int create_path(struct simxsd_ctx *c, const char *path,
		       struct simxsd_node **out)
{
	struct simxsd_node *anc = NULL, *cur;
	unsigned int payer = c->domid;
	char *buf = strdup(path);
	size_t need = 0, pos;
	long have;
	int r = 0;

	if (!buf)
		return -ENOMEM;
	while (!anc && !r) {
		parent_of(buf);
		need++;
		r = view_get(c, buf, &anc);
	}
	if (r || !anc) {
		free(buf);
		return r ? r : -ENOENT;
	}
	if (!(perm_node(c, anc) & SIMXSD_PERM_WRITE)) {
		free(buf);
		return -EACCES;
	}
	/* [ox] the new nodes belong to, and count against, the ancestor's
	 * owner */
	if (simxsd_is_ox(c->xsd))
		payer = owner(anc);
	have = (long)c->xsd->acct[payer].nodes;
	if (c->txn && payer == c->domid)
		have += c->txn->node_delta;
	if (c->domid != 0 && payer != 0 &&
	    have + (long)need > (long)c->xsd->lim.nodes) {
		free(buf);
		return simxsd_is_ox(c->xsd) ? -SIMXSD_EQUOTA : -ENOSPC;
	}
	/* Walk down from the ancestor, creating each missing level. */
	cur = anc;
	pos = strcmp(buf, "/") ? strlen(buf) : 0;
	while (need--) {
		const char *slash = strchr(path + pos + 1, '/');

		pos = slash ? (size_t)(slash - path) : strlen(path);
		memcpy(buf, path, pos);
		buf[pos] = '\0';
		r = view_create(c, buf, cur, &cur);
		if (r)
			break;
	}
	free(buf);
	if (!r)
		*out = cur;
	return r;
}

static void emit_change(struct simxsd_ctx *c, const char *path,
			const struct simxsd_node *n,
			const struct simxsd_permset *before)
{
	struct simxsd_permset now = { n->perms, n->nperms };

	ev_emit(c, ev_make(c, path, false, &now, before));
}

int simxsd_op_read(struct simxsd_ctx *c, const char *path,
		   const struct simxsd_node **node)
{
	struct simxsd_node *n;
	int r = get_node(c, path, SIMXSD_PERM_READ, &n);

	if (!r)
		*node = n;
	return r;
}

int simxsd_op_write(struct simxsd_ctx *c, const char *path, const void *val,
		    uint32_t len)
{
	struct simxsd_node *n;
	char *v;
	int r;

	/* [ox] the size limit binds dom0 too, and answers E2BIG */
	if (simxsd_is_ox(c->xsd) && len > c->xsd->lim.value_size)
		return -E2BIG;
	if (c->domid != 0 && len > c->xsd->lim.value_size)
		return -ENOSPC;
	v = memdup(val, len);
	if (!v)
		return -ENOMEM;
	r = get_node(c, path, SIMXSD_PERM_WRITE, &n);
	if (r == -ENOENT)
		r = create_path(c, path, &n);
	if (r) {
		free(v);
		return r;
	}
	free(n->value);
	n->value = v;
	n->vlen = len;
	view_touch(c, n);
	emit_change(c, path, n, NULL);
	return 0;
}

int simxsd_op_mkdir(struct simxsd_ctx *c, const char *path)
{
	struct simxsd_node *n;
	int r = get_node(c, path, SIMXSD_PERM_WRITE, &n);

	if (r != -ENOENT)
		return r;
	r = create_path(c, path, &n);
	if (!r)
		emit_change(c, path, n, NULL);
	return r;
}

int simxsd_op_rm(struct simxsd_ctx *c, const char *path)
{
	struct simxsd_node *n, *parent = NULL;
	struct simxsd_permset now;
	struct simxsd_ev *ev;
	char *pp;
	int r;

	if (!strcmp(path, "/"))
		return -EINVAL;
	pp = strdup(path);
	if (!pp)
		return -ENOMEM;
	parent_of(pp);
	r = get_node(c, path, SIMXSD_PERM_WRITE, &n);
	if (r == -ENOENT) {
		/* Fine if the parent exists. */
		r = view_get(c, pp, &parent);
		free(pp);
		if (r)
			return r;
		return parent ? 0 : -ENOENT;
	}
	if (!r)
		r = view_get(c, pp, &parent);
	free(pp);
	if (r)
		return r;
	now.p = n->perms;
	now.n = n->nperms;
	ev = ev_make(c, path, true, &now, NULL);
	r = delete_tree(c, n);
	if (r) {
		simxsd_ev_free(ev);
		return r;
	}
	children_del(parent, leaf_of(path));
	view_touch(c, parent);
	ev_emit(c, ev);
	return 0;
}

int simxsd_perms_check_domains(struct simxsd *xsd, struct simxsd_perm *p,
				uint32_t n)
{
	uint32_t i;

	if (simxsd_is_ox(xsd))
		return 0;
	if (!xsd->acct[p[0].domid & 0xffff].introduced)
		return -ENOENT;
	for (i = 1; i < n; i++)
		if (!xsd->acct[p[i].domid & 0xffff].introduced)
			p[i].access |= SIMXSD_PERM_IGNORE;
	return 0;
}

int simxsd_op_set_perms(struct simxsd_ctx *c, const char *path,
			const struct simxsd_perm *perms, uint32_t np)
{
	struct simxsd_permset before;
	struct simxsd_node *n;
	struct simxsd_perm *p;
	int r;

	if (np == 0)
		return -EINVAL;
	if (c->domid != 0 && np > c->xsd->lim.perms)
		return -ENOSPC;
	r = get_node(c, path, SIMXSD_PERM_WRITE | SIMXSD_PERM_OWNER, &n);
	if (r)
		return r;
	/* Unprivileged domains may not give their nodes away. */
	if (c->domid != 0 && perms[0].domid != owner(n))
		return -EPERM;
	p = memdup(perms, np * sizeof(*p));
	if (!p)
		return -ENOMEM;
	r = simxsd_perms_check_domains(c->xsd, p, np);
	if (r) {
		free(p);
		return r;
	}
	acct_add(c, owner(n), -1);
	acct_add(c, perms[0].domid, 1);
	before.p = n->perms;
	before.n = n->nperms;
	n->perms = p;
	n->nperms = np;
	view_touch(c, n);
	emit_change(c, path, n, &before);
	free(before.p);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Release of a domain                                                 */
/* ------------------------------------------------------------------ */

static int cmp_path_len(const void *a, const void *b)
{
	size_t la = strlen(*(char *const *)a), lb = strlen(*(char *const *)b);

	return la < lb ? -1 : la > lb;
}

/*
 * Remove every node @domid owns, ancestors first so that a subtree goes in
 * one removal (as the C xenstored's walk, which skips the children of a
 * node it removed, and oxenstored's).  Memory shortage leaves nodes
 * behind, as a failing rm_node() does in xenstored.
 */
static void release_nodes(struct simxsd *xsd, unsigned int domid)
{
	struct simxsd_ctx c = { .xsd = xsd, .domid = 0, .txn = NULL,
				.quiet = simxsd_is_ox(xsd) };
	struct simxsd_node *n;
	char **paths;
	size_t i, k = 0;

	paths = calloc(xsd->nodes.n + 1, sizeof(*paths));
	if (!paths)
		return;
	for (i = 0; i < xsd->nodes.nb; i++)
		for (n = xsd->nodes.b[i]; n; n = n->hnext)
			if (owner(n) == domid && strcmp(n->path, "/") &&
			    k < xsd->nodes.n && (paths[k] = strdup(n->path)))
				k++;
	qsort(paths, k, sizeof(*paths), cmp_path_len);
	for (i = 0; i < k; i++) {
		if (tbl_find(&xsd->nodes, paths[i]))
			simxsd_op_rm(&c, paths[i]);
		free(paths[i]);
	}
	free(paths);
}

/* Drop the entries i >= 1 of @ps that name @domid; true if any. */
static bool drop_entries(struct simxsd_perm *p, uint32_t *n,
			 unsigned int domid)
{
	uint32_t i, k = 1;

	for (i = 1; i < *n; i++)
		if (p[i].domid != domid)
			p[k++] = p[i];
	if (k == *n)
		return false;
	*n = k;
	return true;
}

void simxsd_store_release(struct simxsd *xsd, unsigned int domid)
{
	struct simxsd_node *n;
	uint32_t j;
	size_t i;
	int s;

	if (domid == 0)
		return;
	release_nodes(xsd, domid);
	for (i = 0; i < xsd->nodes.nb; i++) {
		for (n = xsd->nodes.b[i]; n; n = n->hnext) {
			if (simxsd_is_ox(xsd)) {
				/* oxenstored's reset_permissions */
				if (drop_entries(n->perms, &n->nperms, domid))
					n->gen = ++xsd->gen;
				continue;
			}
			/* the C xenstored's generation check, made once */
			for (j = 1; j < n->nperms; j++)
				if (n->perms[j].domid == domid)
					n->perms[j].access |=
						SIMXSD_PERM_IGNORE;
		}
	}
	for (s = 0; s < 2; s++)
		drop_entries(xsd->special[s].p, &xsd->special[s].n, domid);
}

/* ------------------------------------------------------------------ */
/* Transactions                                                        */
/* ------------------------------------------------------------------ */

int simxsd_txn_new(struct simxsd *xsd, unsigned int domid, uint32_t id,
		   struct simxsd_txn **out)
{
	struct simxsd_txn *t = calloc(1, sizeof(*t));

	(void)xsd;
	if (!t)
		return -ENOMEM;
	if (tbl_init(&t->nodes, 16)) {
		free(t);
		return -ENOMEM;
	}
	t->id = id;
	t->domid = domid;
	t->ev_tail = &t->ev_head;
	*out = t;
	return 0;
}

void simxsd_txn_free(struct simxsd_txn *txn)
{
	struct simxsd_ev *ev, *next;

	if (!txn)
		return;
	tbl_fini(&txn->nodes);
	for (ev = txn->ev_head; ev; ev = next) {
		next = ev->next;
		simxsd_ev_free(ev);
	}
	free(txn);
}

int simxsd_txn_commit(struct simxsd *xsd, struct simxsd_txn *txn)
{
	struct simxsd_node *t, *m, *next;
	struct simxsd_ev *ev;
	size_t i;

	for (i = 0; i < txn->nodes.nb; i++)
		for (t = txn->nodes.b[i]; t; t = t->hnext) {
			m = tbl_find(&xsd->nodes, t->path);
			if ((m ? m->gen : 0) != t->base_gen) {
				simxsd_txn_free(txn);
				return -EAGAIN;
			}
		}
	/* No conflict: move the changed copies into the store. */
	for (i = 0; i < txn->nodes.nb; i++) {
		for (t = txn->nodes.b[i]; t; t = next) {
			next = t->hnext;
			t->hnext = NULL;
			if (!t->dirty) {
				node_free(t);
				continue;
			}
			m = tbl_find(&xsd->nodes, t->path);
			if (m) {
				if (xsd->acct[owner(m)].nodes)
					xsd->acct[owner(m)].nodes--;
				tbl_unlink(&xsd->nodes, m);
				node_free(m);
			}
			if (t->absent) {
				node_free(t);
				continue;
			}
			t->gen = ++xsd->gen;
			t->base_gen = 0;
			t->dirty = false;
			tbl_insert(&xsd->nodes, t);
			xsd->acct[owner(t)].nodes++;
		}
		txn->nodes.b[i] = NULL;
	}
	txn->nodes.n = 0;
	for (ev = txn->ev_head; ev; ev = ev->next)
		simxsd_fire(xsd, ev);
	simxsd_txn_free(txn);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Setup                                                               */
/* ------------------------------------------------------------------ */

int simxsd_store_init(struct simxsd *xsd)
{
	static const char *const base[] = { "/", "/local", "/local/domain" };
	struct simxsd_node *n, *parent = NULL;
	struct simxsd_ctx c = { .xsd = xsd, .domid = 0, .txn = NULL };
	int i;

	xsd->acct = calloc(65536, sizeof(*xsd->acct));
	if (!xsd->acct)
		return -ENOMEM;
	if (tbl_init(&xsd->nodes, 1024))
		return -ENOMEM;
	for (i = 0; i < 2; i++) {
		xsd->special[i].p = calloc(1, sizeof(struct simxsd_perm));
		if (!xsd->special[i].p)
			return -ENOMEM;
		xsd->special[i].n = 1;
	}
	for (i = 0; i < 3; i++) {
		if (!parent) {
			n = node_new(base[i]);
			if (!n)
				return -ENOMEM;
			n->perms = calloc(1, sizeof(*n->perms));
			if (!n->perms) {
				node_free(n);
				return -ENOMEM;
			}
			n->nperms = 1;
			n->gen = ++xsd->gen;
			tbl_insert(&xsd->nodes, n);
			xsd->acct[0].nodes++;
		} else if (view_create(&c, base[i], parent, &n)) {
			return -ENOMEM;
		}
		parent = n;
	}
	return 0;
}

void simxsd_store_fini(struct simxsd *xsd)
{
	int i;

	tbl_fini(&xsd->nodes);
	for (i = 0; i < 2; i++) {
		free(xsd->special[i].p);
		xsd->special[i].p = NULL;
	}
	free(xsd->acct);
	xsd->acct = NULL;
}

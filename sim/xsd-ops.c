/* SPDX-License-Identifier: MIT */
/*
 * sim/xsd-ops.c - one handler per xs_wire request type.
 *
 * Each handler gets a parsed request (xsd-wire.c), works on the store
 * (xsd-tree.c) and queues exactly one reply: the request's type with its
 * payload, or XS_ERROR with an E<NAME> string.  Reply payload formats are
 * docs/misc/xenstore.txt's; "OK|" where none is given.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/xsd-int.h"

/* ------------------------------------------------------------------ */
/* Replies                                                             */
/* ------------------------------------------------------------------ */

static void reply_err(struct simxsd_conn *conn, const struct simxsd_req *req,
		      int err)
{
	const char *s = simxsd_wire_errstr(err < 0 ? -err : err);

	simxsd_conn_send(conn, XS_ERROR, req->req_id, req->tx_id, s,
			 strlen(s) + 1, NULL, 0);
}

static void reply(struct simxsd_conn *conn, const struct simxsd_req *req,
		  const void *a, size_t alen, const void *b, size_t blen)
{
	if (alen + blen > XENSTORE_PAYLOAD_MAX) {
		reply_err(conn, req, E2BIG);
		return;
	}
	simxsd_conn_send(conn, req->type, req->req_id, req->tx_id, a, alen, b,
			 blen);
}

static void reply_ok(struct simxsd_conn *conn, const struct simxsd_req *req)
{
	reply(conn, req, "OK", 3, NULL, 0);
}

/* OK, or the error of @r. */
static void reply_rc(struct simxsd_conn *conn, const struct simxsd_req *req,
		     int r)
{
	if (r)
		reply_err(conn, req, r);
	else
		reply_ok(conn, req);
}

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

/* The context of a store operation: the request's transaction, if any. */
static int req_ctx(struct simxsd_conn *conn, const struct simxsd_req *req,
		   struct simxsd_ctx *c)
{
	struct simxsd_txn *t;

	c->xsd = conn->xsd;
	c->domid = conn->domid;
	c->txn = NULL;
	c->quiet = false;
	if (!req->tx_id)
		return 0;
	for (t = conn->txns; t; t = t->next)
		if (t->id == req->tx_id) {
			c->txn = t;
			return 0;
		}
	return -ENOENT;
}

static int special_index(const char *path)
{
	int i;

	for (i = 0; i < 2; i++)
		if (!strcmp(path, simxsd_special_names[i]))
			return i;
	return -1;
}

static bool is_privileged(const struct simxsd_conn *conn)
{
	return conn->domid == 0;
}

/* Format permissions as "<letter><domid>|" strings; malloc'd. */
static char *perms_str(const struct simxsd_perm *p, uint32_t n, size_t *len)
{
	static const char letter[4] = { 'n', 'r', 'w', 'b' };
	char *s = malloc((size_t)n * 8 + 1), *q;
	uint32_t i;

	if (!s)
		return NULL;
	q = s;
	for (i = 0; i < n; i++)
		q += sprintf(q, "%c%u", letter[p[i].access & 3],
			     (unsigned int)(p[i].domid & 0xffff)) + 1;
	*len = (size_t)(q - s);
	return s;
}

/* ------------------------------------------------------------------ */
/* Node operations                                                     */
/* ------------------------------------------------------------------ */

/* READ DIRECTORY DIRECTORY_PART GET_PERMS WRITE MKDIR RM SET_PERMS on a
 * regular path */
static void do_node_op(struct simxsd_conn *conn, const struct simxsd_req *req)
{
	char path[SIMXSD_PATH_BUF];
	const struct simxsd_node *n;
	struct simxsd_ctx c;
	int r;

	r = req_ctx(conn, req, &c);
	if (!r)
		r = simxsd_path_canon(conn->domid, req->arg[0], false, path);
	if (r) {
		reply_err(conn, req, r);
		return;
	}
	switch (req->type) {
	case XS_WRITE:
		reply_rc(conn, req, simxsd_op_write(&c, path, req->data,
						    req->dlen));
		return;
	case XS_MKDIR:
		reply_rc(conn, req, simxsd_op_mkdir(&c, path));
		return;
	case XS_RM:
		reply_rc(conn, req, simxsd_op_rm(&c, path));
		return;
	}
	r = simxsd_op_read(&c, path, &n);
	if (r) {
		reply_err(conn, req, r);
		return;
	}
	if (req->type == XS_READ) {
		reply(conn, req, n->value, n->vlen, NULL, 0);
	} else if (req->type == XS_DIRECTORY) {
		reply(conn, req, n->children, n->clen, NULL, 0);
	} else {
		size_t len;
		char *s = perms_str(n->perms, n->nperms, &len);

		if (!s) {
			reply_err(conn, req, ENOMEM);
			return;
		}
		reply(conn, req, s, len, NULL, 0);
		free(s);
	}
}

/*
 * DIRECTORY_PART <path>|<offset>| -> <gencnt>|<child>|*, with a final
 * empty string once the list is complete (xenstored's format).
 */
static void do_directory_part(struct simxsd_conn *conn,
			      const struct simxsd_req *req)
{
	char path[SIMXSD_PATH_BUF], gen[24];
	const struct simxsd_node *n;
	struct simxsd_ctx c;
	unsigned long off;
	uint32_t len = 0, l, maxlen;
	char *end, *data;
	int r, glen;

	r = req_ctx(conn, req, &c);
	if (!r)
		r = simxsd_path_canon(conn->domid, req->arg[0], false, path);
	if (!r) {
		off = strtoul(req->arg[1], &end, 10);
		if (end == req->arg[1] || *end)
			r = -EINVAL;
	}
	if (!r)
		r = simxsd_op_read(&c, path, &n);
	if (r) {
		reply_err(conn, req, r);
		return;
	}
	glen = snprintf(gen, sizeof(gen), "%llu",
			(unsigned long long)(n->gen ? n->gen : n->base_gen)) +
	       1;
	if (off >= n->clen) {
		reply(conn, req, gen, (size_t)glen, "", 1);
		return;
	}
	maxlen = XENSTORE_PAYLOAD_MAX - (uint32_t)glen - 1;
	while (off + len < n->clen) {
		l = (uint32_t)strlen(n->children + off + len) + 1;
		if (len + l > maxlen)
			break;
		len += l;
	}
	data = malloc(len + 1);
	if (!data) {
		reply_err(conn, req, ENOMEM);
		return;
	}
	memcpy(data, n->children + off, len);
	if (off + len == n->clen)
		data[len++] = '\0';
	reply(conn, req, gen, (size_t)glen, data, len);
	free(data);
}

static void do_get_perms(struct simxsd_conn *conn,
			 const struct simxsd_req *req)
{
	const struct simxsd_permset *ps;
	size_t len;
	char *s;
	int i;

	if (req->arg[0][0] != '@') {
		do_node_op(conn, req);
		return;
	}
	i = special_index(req->arg[0]);
	if (i < 0) {
		reply_err(conn, req, ENOENT);
		return;
	}
	ps = &conn->xsd->special[i];
	if (!(simxsd_perm_for(conn->domid, ps->p, ps->n) & SIMXSD_PERM_READ)) {
		reply_err(conn, req, EACCES);
		return;
	}
	s = perms_str(ps->p, ps->n, &len);
	if (!s) {
		reply_err(conn, req, ENOMEM);
		return;
	}
	reply(conn, req, s, len, NULL, 0);
	free(s);
}

static void do_set_perms(struct simxsd_conn *conn,
			 const struct simxsd_req *req)
{
	char path[SIMXSD_PATH_BUF];
	struct simxsd_permset *sp;
	struct simxsd_perm *p;
	struct simxsd_ctx c;
	uint32_t n = 0, off;
	int r = 0, i;

	/* data holds one or more NUL-terminated strings (wire parser) */
	for (off = 0; off < req->dlen;
	     off += (uint32_t)strlen(req->data + off) + 1)
		n++;
	p = calloc(n, sizeof(*p));
	if (!p) {
		reply_err(conn, req, ENOMEM);
		return;
	}
	for (off = 0, i = 0; off < req->dlen && !r; i++) {
		r = simxsd_wire_parse_perm(req->data + off, &p[i]);
		off += (uint32_t)strlen(req->data + off) + 1;
	}
	if (!r && req->arg[0][0] == '@') {
		i = special_index(req->arg[0]);
		sp = i >= 0 ? &conn->xsd->special[i] : NULL;
		if (!sp)
			r = -ENOENT;
		else if (!(simxsd_perm_for(conn->domid, sp->p, sp->n) &
			   SIMXSD_PERM_OWNER))
			r = -EACCES;
		else if (!is_privileged(conn) && p[0].domid != sp->p[0].domid)
			r = -EPERM;
		if (!r)
			r = simxsd_perms_check_domains(conn->xsd, p, n);
		if (!r) {
			free(sp->p);
			sp->p = p;
			sp->n = n;
			p = NULL;
		}
	} else if (!r) {
		r = req_ctx(conn, req, &c);
		if (!r)
			r = simxsd_path_canon(conn->domid, req->arg[0], false,
					      path);
		if (!r)
			r = simxsd_op_set_perms(&c, path, p, n);
	}
	free(p);
	reply_rc(conn, req, r);
}

/* ------------------------------------------------------------------ */
/* Watches                                                             */
/* ------------------------------------------------------------------ */

static void do_watch(struct simxsd_conn *conn, const struct simxsd_req *req)
{
	struct simxsd_acct *a = &conn->xsd->acct[conn->domid];
	char path[SIMXSD_PATH_BUF];
	struct simxsd_watch *w;
	const char *in = req->arg[0], *token = req->arg[1];
	bool relative = in[0] != '/' && in[0] != '@';
	int r = simxsd_path_canon(conn->domid, in, true, path);

	if (r) {
		reply_err(conn, req, r);
		return;
	}
	for (w = conn->watches; w; w = w->next)
		if (!strcmp(w->path, path) && !strcmp(w->token, token)) {
			reply_err(conn, req, EEXIST);
			return;
		}
	if (!is_privileged(conn) && a->watches >= conn->xsd->lim.watches) {
		reply_err(conn, req, simxsd_is_ox(conn->xsd) ? SIMXSD_EQUOTA :
							       E2BIG);
		return;
	}
	w = calloc(1, sizeof(*w));
	if (w) {
		w->path = strdup(path);
		w->token = strdup(token);
	}
	if (!w || !w->path || !w->token) {
		if (w) {
			free(w->path);
			free(w->token);
		}
		free(w);
		reply_err(conn, req, ENOMEM);
		return;
	}
	w->prefix_len = relative ? (uint32_t)(strlen(path) - strlen(in)) : 0;
	w->next = conn->watches;
	conn->watches = w;
	a->watches++;
	reply_ok(conn, req);
	/* The first event, straight away, with the path as given. */
	if (strlen(in) + strlen(token) + 2 <= XENSTORE_PAYLOAD_MAX)
		simxsd_conn_send(conn, XS_WATCH_EVENT, 0, 0, in,
				 strlen(in) + 1, token, strlen(token) + 1);
}

static void do_unwatch(struct simxsd_conn *conn, const struct simxsd_req *req)
{
	struct simxsd_acct *a = &conn->xsd->acct[conn->domid];
	char path[SIMXSD_PATH_BUF];
	struct simxsd_watch **pp, *w;
	int r = simxsd_path_canon(conn->domid, req->arg[0], true, path);

	if (r) {
		reply_err(conn, req, r);
		return;
	}
	for (pp = &conn->watches; (w = *pp); pp = &w->next) {
		if (!strcmp(w->path, path) && !strcmp(w->token, req->arg[1])) {
			*pp = w->next;
			free(w->path);
			free(w->token);
			free(w);
			if (a->watches)
				a->watches--;
			reply_ok(conn, req);
			return;
		}
	}
	/*
	 * A domU's libxenstore talks to Linux's /dev/xen/xenbus, which
	 * answers OK whether or not it found the watch
	 * (drivers/xen/xenbus/xenbus_dev_frontend.c); dom0's tools talk to
	 * xenstored's socket, which answers ENOENT.
	 */
	if (is_privileged(conn))
		reply_err(conn, req, ENOENT);
	else
		reply_ok(conn, req);
}

/* ------------------------------------------------------------------ */
/* Transactions                                                        */
/* ------------------------------------------------------------------ */

static bool txid_used(const struct simxsd_conn *conn, uint32_t id)
{
	const struct simxsd_txn *t;

	for (t = conn->txns; t; t = t->next)
		if (t->id == id)
			return true;
	return false;
}

static void do_transaction_start(struct simxsd_conn *conn,
				 const struct simxsd_req *req)
{
	struct simxsd_acct *a = &conn->xsd->acct[conn->domid];
	struct simxsd *xsd = conn->xsd;
	struct simxsd_txn *t;
	char buf[16];
	uint32_t id;
	int len;

	if (req->tx_id) {
		/* no nested transactions */
		reply_err(conn, req, EBUSY);
		return;
	}
	if (!is_privileged(conn) && a->txns >= xsd->lim.transactions) {
		reply_err(conn, req,
			  simxsd_is_ox(xsd) ? SIMXSD_EQUOTA : ENOSPC);
		return;
	}
	do {
		id = xsd->next_txid++;
	} while (id == 0 || txid_used(conn, id));
	if (simxsd_txn_new(xsd, conn->domid, id, &t)) {
		reply_err(conn, req, ENOMEM);
		return;
	}
	t->next = conn->txns;
	conn->txns = t;
	a->txns++;
	len = snprintf(buf, sizeof(buf), "%u", id);
	reply(conn, req, buf, (size_t)len + 1, NULL, 0);
}

static void do_transaction_end(struct simxsd_conn *conn,
			       const struct simxsd_req *req)
{
	struct simxsd_acct *a = &conn->xsd->acct[conn->domid];
	struct simxsd_txn **pp, *t;
	const char *arg = req->arg[0];

	if (strcmp(arg, "T") && strcmp(arg, "F")) {
		reply_err(conn, req, EINVAL);
		return;
	}
	for (pp = &conn->txns; (t = *pp); pp = &t->next)
		if (req->tx_id && t->id == req->tx_id)
			break;
	if (!t) {
		reply_err(conn, req, ENOENT);
		return;
	}
	*pp = t->next;
	if (a->txns)
		a->txns--;
	if (arg[0] == 'F') {
		simxsd_txn_free(t);
		reply_ok(conn, req);
		return;
	}
	reply_rc(conn, req, simxsd_txn_commit(conn->xsd, t));
}

/* ------------------------------------------------------------------ */
/* Domains                                                             */
/* ------------------------------------------------------------------ */

static void do_domain(struct simxsd_conn *conn, const struct simxsd_req *req)
{
	struct simxsd *xsd = conn->xsd;
	int id = simxsd_wire_parse_domid(req->arg[0]);
	char buf[32];
	int len;

	if (id < 0) {
		reply_err(conn, req, EINVAL);
		return;
	}
	switch (req->type) {
	case XS_GET_DOMAIN_PATH:
		len = snprintf(buf, sizeof(buf), "/local/domain/%d", id);
		reply(conn, req, buf, (size_t)len + 1, NULL, 0);
		return;
	case XS_IS_DOMAIN_INTRODUCED:
		/* DOMID_SELF asks about the caller, which is connected */
		if ((unsigned int)id == SIMXSD_DOMID_MAX ||
		    xsd->acct[id].introduced)
			reply(conn, req, "T", 2, NULL, 0);
		else
			reply(conn, req, "F", 2, NULL, 0);
		return;
	}
	if (!is_privileged(conn)) {
		reply_err(conn, req, EACCES);
		return;
	}
	switch (req->type) {
	case XS_INTRODUCE:
		if (id == 0 || (unsigned int)id >= SIMXSD_DOMID_MAX)
			reply_err(conn, req, EINVAL);
		else
			reply_rc(conn, req, simxsd_domain_introduce(xsd, id));
		return;
	case XS_RELEASE:
		if (!xsd->acct[id].introduced) {
			reply_err(conn, req, ENOENT);
			return;
		}
		xsd->acct[id].introduced = false;
		reply_ok(conn, req);
		simxsd_store_release(xsd, (unsigned int)id);
		simxsd_fire_special(xsd, SIMXSD_SPECIAL_RELEASE);
		return;
	case XS_RESUME:
		reply_rc(conn, req, xsd->acct[id].introduced ? 0 : -ENOENT);
		return;
	}
}

/* ------------------------------------------------------------------ */
/* Entry point                                                         */
/* ------------------------------------------------------------------ */

int simxsd_handle(struct simxsd_conn *conn, const struct xsd_sockmsg *hdr,
		  const char *payload)
{
	struct simxsd_req req;
	int r = simxsd_wire_parse(hdr, payload, &req);

	if (r) {
		reply_err(conn, &req, r);
		return 0;
	}
	switch (req.type) {
	case XS_READ:
	case XS_DIRECTORY:
	case XS_WRITE:
	case XS_MKDIR:
	case XS_RM:
		do_node_op(conn, &req);
		break;
	case XS_DIRECTORY_PART:
		do_directory_part(conn, &req);
		break;
	case XS_GET_PERMS:
		do_get_perms(conn, &req);
		break;
	case XS_SET_PERMS:
		do_set_perms(conn, &req);
		break;
	case XS_WATCH:
		do_watch(conn, &req);
		break;
	case XS_UNWATCH:
		do_unwatch(conn, &req);
		break;
	case XS_TRANSACTION_START:
		do_transaction_start(conn, &req);
		break;
	case XS_TRANSACTION_END:
		do_transaction_end(conn, &req);
		break;
	case XS_INTRODUCE:
	case XS_RELEASE:
	case XS_RESUME:
	case XS_GET_DOMAIN_PATH:
	case XS_IS_DOMAIN_INTRODUCED:
		do_domain(conn, &req);
		break;
	case XS_RESET_WATCHES:
		simxsd_conn_reset(conn);
		reply_ok(conn, &req);
		break;
	default:
		/* CONTROL, SET_TARGET: not modelled */
		reply_err(conn, &req, ENOSYS);
		break;
	}
	return 0;
}

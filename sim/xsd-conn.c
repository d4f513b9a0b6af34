/* SPDX-License-Identifier: MIT */
/*
 * sim/xsd-conn.c - the server object: per-domain listening sockets,
 * connections, the epoll set the embedder polls, output queues and watch
 * event delivery.
 *
 * Lifetime rule: a connection that fails (EOF, write error, protocol
 * violation, stuck output) is only marked dead while events are being
 * handled, because watch delivery may touch any connection in the middle
 * of another one's request; dead connections are closed at the end of
 * simxsd_dispatch() (or at once by simxsd_domain_remove(), which never
 * runs inside a dispatch).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "sim/xsd-int.h"

/* ------------------------------------------------------------------ */
/* Output                                                              */
/* ------------------------------------------------------------------ */

static void conn_arm_out(struct simxsd_conn *conn, bool on)
{
	struct epoll_event ev = { .events = EPOLLIN | (on ? EPOLLOUT : 0),
				  .data.ptr = conn };

	if (conn->want_out == on)
		return;
	if (epoll_ctl(conn->xsd->epfd, EPOLL_CTL_MOD, conn->fd, &ev) == 0)
		conn->want_out = on;
	else
		conn->dead = true;
}

static void conn_flush(struct simxsd_conn *conn)
{
	ssize_t n;

	while (!conn->dead && conn->outoff < conn->outlen) {
		n = send(conn->fd, conn->out + conn->outoff,
			 conn->outlen - conn->outoff,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			conn->outoff += (size_t)n;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			conn_arm_out(conn, true);
			return;
		} else {
			conn->dead = true;
			return;
		}
	}
	conn->outoff = conn->outlen = 0;
	if (conn->want_out)
		conn_arm_out(conn, false);
}

void simxsd_conn_send(struct simxsd_conn *conn, uint32_t type,
		      uint32_t req_id, uint32_t tx_id, const void *a,
		      size_t alen, const void *b, size_t blen)
{
	struct xsd_sockmsg h = { .type = type, .req_id = req_id,
				 .tx_id = tx_id,
				 .len = (uint32_t)(alen + blen) };
	size_t total = sizeof(h) + alen + blen;
	size_t pending = conn->outlen - conn->outoff, cap;
	char *p;

	if (conn->dead)
		return;
	if (pending + total > conn->xsd->lim.out_max) {
		/* the peer does not read: drop it rather than grow */
		conn->dead = true;
		return;
	}
	if (conn->outlen + total > conn->outcap) {
		if (conn->outoff) {
			memmove(conn->out, conn->out + conn->outoff, pending);
			conn->outoff = 0;
			conn->outlen = pending;
		}
		if (pending + total > conn->outcap) {
			cap = conn->outcap ? conn->outcap * 2 : 8192;
			while (cap < pending + total)
				cap *= 2;
			p = realloc(conn->out, cap);
			if (!p) {
				conn->dead = true;
				return;
			}
			conn->out = p;
			conn->outcap = cap;
		}
	}
	p = conn->out + conn->outlen;
	memcpy(p, &h, sizeof(h));
	if (alen)
		memcpy(p + sizeof(h), a, alen);
	if (blen)
		memcpy(p + sizeof(h) + alen, b, blen);
	conn->outlen += total;
	if (!conn->want_out)
		conn_flush(conn);
}

/* ------------------------------------------------------------------ */
/* Watches                                                             */
/* ------------------------------------------------------------------ */

/* Is @child equal to or below @parent? */
static bool is_child(const char *child, const char *parent)
{
	size_t len = strlen(parent);

	if (!strcmp(parent, "/"))
		return true;
	return !strncmp(child, parent, len) &&
	       (child[len] == '/' || child[len] == '\0');
}

static bool ev_permitted(const struct simxsd_ev *ev, unsigned int domid)
{
	int i;

	if (domid == 0)
		return true;
	for (i = 0; i < 3; i++)
		if (ev->ps[i].n && (simxsd_perm_for(domid, ev->ps[i].p,
						    ev->ps[i].n) &
				    SIMXSD_PERM_READ))
			return true;
	return false;
}

void simxsd_fire(struct simxsd *xsd, const struct simxsd_ev *ev)
{
	bool special = ev->path[0] == '@';
	struct simxsd_conn *conn;
	struct simxsd_watch *w;
	const char *epath;
	size_t plen, tlen;

	for (conn = xsd->conns; conn; conn = conn->next) {
		if (conn->dead || !ev_permitted(ev, conn->domid))
			continue;
		for (w = conn->watches; w; w = w->next) {
			if (special != (w->path[0] == '@'))
				continue;
			if (special)
				epath = strcmp(w->path, ev->path) ? NULL :
								    ev->path;
			else if (is_child(ev->path, w->path))
				epath = ev->path;
			else if (ev->rm && is_child(w->path, ev->path))
				epath = w->path;
			else
				epath = NULL;
			if (!epath)
				continue;
			plen = strlen(epath);
			if (w->prefix_len > plen)
				continue;
			epath += w->prefix_len;
			plen -= w->prefix_len;
			tlen = strlen(w->token);
			if (plen + tlen + 2 > XENSTORE_PAYLOAD_MAX)
				continue;
			simxsd_conn_send(conn, XS_WATCH_EVENT, 0, 0, epath,
					 plen + 1, w->token, tlen + 1);
		}
	}
}

void simxsd_conn_reset(struct simxsd_conn *conn)
{
	struct simxsd_acct *a = &conn->xsd->acct[conn->domid];
	struct simxsd_watch *w;
	struct simxsd_txn *t;

	while ((w = conn->watches)) {
		conn->watches = w->next;
		free(w->path);
		free(w->token);
		free(w);
		if (a->watches)
			a->watches--;
	}
	while ((t = conn->txns)) {
		conn->txns = t->next;
		simxsd_txn_free(t);
		if (a->txns)
			a->txns--;
	}
}

/* ------------------------------------------------------------------ */
/* Connections                                                         */
/* ------------------------------------------------------------------ */

static int conn_new(struct simxsd *xsd, unsigned int domid, int fd)
{
	struct simxsd_conn *conn = calloc(1, sizeof(*conn));
	struct epoll_event ev = { .events = EPOLLIN };
	int fl;

	if (!conn)
		return -ENOMEM;
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		free(conn);
		return -errno;
	}
	conn->kind = SIMXSD_EP_CONN;
	conn->fd = fd;
	conn->domid = domid;
	conn->xsd = xsd;
	ev.data.ptr = conn;
	if (epoll_ctl(xsd->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int err = -errno;

		free(conn);
		return err;
	}
	conn->next = xsd->conns;
	xsd->conns = conn;
	return 0;
}

static void conn_free(struct simxsd *xsd, struct simxsd_conn *conn)
{
	epoll_ctl(xsd->epfd, EPOLL_CTL_DEL, conn->fd, NULL);
	close(conn->fd);
	simxsd_conn_reset(conn);
	free(conn->out);
	free(conn);
}

/* Close every dead connection. */
static void reap(struct simxsd *xsd)
{
	struct simxsd_conn **pp = &xsd->conns, *conn;

	while ((conn = *pp)) {
		if (conn->dead) {
			*pp = conn->next;
			conn_free(xsd, conn);
		} else {
			pp = &conn->next;
		}
	}
}

/* Handle every complete message in the input buffer. */
static void conn_process(struct simxsd_conn *conn)
{
	struct xsd_sockmsg hdr;
	size_t off = 0;
	int r;

	while (!conn->dead) {
		r = simxsd_wire_frame(conn->in + off, conn->inlen - off, &hdr);
		if (r < 0) {
			/* oversized payload: xenstored drops the peer */
			conn->dead = true;
			return;
		}
		if (r == 0)
			break;
		simxsd_handle(conn, &hdr, conn->in + off + SIMXSD_HDR_LEN);
		off += (size_t)r;
	}
	if (off) {
		memmove(conn->in, conn->in + off, conn->inlen - off);
		conn->inlen -= off;
	}
}

static void conn_read(struct simxsd_conn *conn)
{
	ssize_t n;

	n = recv(conn->fd, conn->in + conn->inlen,
		 sizeof(conn->in) - conn->inlen, MSG_DONTWAIT);
	if (n > 0) {
		conn->inlen += (size_t)n;
		conn_process(conn);
	} else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK &&
				errno != EINTR)) {
		conn->dead = true;
	}
}

static void listener_accept(struct simxsd *xsd, struct simxsd_domain *dom)
{
	int fd, i;

	for (i = 0; i < 64; i++) {
		fd = accept4(dom->lfd, NULL, NULL,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		if (conn_new(xsd, dom->domid, fd))
			close(fd);
	}
}

/* ------------------------------------------------------------------ */
/* Domains                                                             */
/* ------------------------------------------------------------------ */

static struct simxsd_domain *domain_find(struct simxsd *xsd,
					 unsigned int domid)
{
	struct simxsd_domain *d;

	for (d = xsd->domains; d; d = d->next)
		if (d->domid == domid)
			return d;
	return NULL;
}

int simxsd_domain_introduce(struct simxsd *xsd, unsigned int domid)
{
	struct simxsd_ctx c = { .xsd = xsd, .domid = 0, .txn = NULL };
	struct simxsd_perm perm = { .domid = domid, .access = 0 };
	const struct simxsd_node *n;
	char path[32];
	bool was;
	int r;

	snprintf(path, sizeof(path), "/local/domain/%u", domid);
	/* introduced first: [C] the owner of a node must exist */
	was = xsd->acct[domid].introduced;
	xsd->acct[domid].introduced = true;
	if (simxsd_op_read(&c, path, &n) == -ENOENT) {
		r = simxsd_op_mkdir(&c, path);
		if (!r)
			r = simxsd_op_set_perms(&c, path, &perm, 1);
		if (r) {
			xsd->acct[domid].introduced = was;
			return r;
		}
	}
	if (!was && domid != 0)
		simxsd_fire_special(xsd, SIMXSD_SPECIAL_INTRODUCE);
	return 0;
}

static void domain_free(struct simxsd *xsd, struct simxsd_domain *dom)
{
	if (dom->lfd >= 0) {
		epoll_ctl(xsd->epfd, EPOLL_CTL_DEL, dom->lfd, NULL);
		close(dom->lfd);
	}
	if (dom->sock_path)
		unlink(dom->sock_path);
	free(dom->sock_path);
	free(dom);
}

static int domain_listen(struct simxsd *xsd, struct simxsd_domain *dom,
			 const char *sock_path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = dom };
	struct stat st;

	if (strlen(sock_path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, sock_path);
	if (lstat(sock_path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return -EEXIST;
		unlink(sock_path);
	}
	dom->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			  0);
	if (dom->lfd < 0)
		return -errno;
	if (bind(dom->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	dom->sock_path = strdup(sock_path);
	if (!dom->sock_path) {
		unlink(sock_path);
		return -ENOMEM;
	}
	if (listen(dom->lfd, 128) < 0 ||
	    epoll_ctl(xsd->epfd, EPOLL_CTL_ADD, dom->lfd, &ev) < 0)
		return -errno;
	return 0;
}

int simxsd_domain_add(struct simxsd *xsd, unsigned int domid,
		      const char *sock_path)
{
	struct simxsd_domain *dom;
	int r;

	if (domid >= SIMXSD_DOMID_MAX)
		return -EINVAL;
	if (domain_find(xsd, domid))
		return -EEXIST;
	dom = calloc(1, sizeof(*dom));
	if (!dom)
		return -ENOMEM;
	dom->kind = SIMXSD_EP_LISTEN;
	dom->domid = domid;
	dom->lfd = -1;
	if (sock_path) {
		r = domain_listen(xsd, dom, sock_path);
		if (r)
			goto err_dom;
	}
	r = simxsd_domain_introduce(xsd, domid);
	if (r)
		goto err_dom;
	dom->next = xsd->domains;
	xsd->domains = dom;
	return 0;

err_dom:
	domain_free(xsd, dom);
	return r;
}

int simxsd_domain_remove(struct simxsd *xsd, unsigned int domid)
{
	struct simxsd_domain **pp, *dom;
	struct simxsd_conn *conn;

	for (pp = &xsd->domains; (dom = *pp); pp = &dom->next)
		if (dom->domid == domid)
			break;
	if (!dom)
		return -ENOENT;
	*pp = dom->next;
	domain_free(xsd, dom);
	for (conn = xsd->conns; conn; conn = conn->next)
		if (conn->domid == domid)
			conn->dead = true;
	reap(xsd);
	xsd->acct[domid].introduced = false;
	simxsd_store_release(xsd, domid);
	simxsd_fire_special(xsd, SIMXSD_SPECIAL_RELEASE);
	return 0;
}

int simxsd_conn_add(struct simxsd *xsd, unsigned int domid, int fd)
{
	if (!domain_find(xsd, domid))
		return -ENOENT;
	return conn_new(xsd, domid, fd);
}

/* ------------------------------------------------------------------ */
/* Server                                                              */
/* ------------------------------------------------------------------ */

int simxsd_create(const struct simxsd_limits *lim, struct simxsd **out)
{
	struct simxsd *xsd = calloc(1, sizeof(*xsd));
	int r;

	if (!xsd)
		return -ENOMEM;
	if (lim)
		xsd->lim = *lim;
	if (!xsd->lim.nodes)
		xsd->lim.nodes = SIMXSD_DEF_NODES;
	if (!xsd->lim.watches)
		xsd->lim.watches = SIMXSD_DEF_WATCHES;
	if (!xsd->lim.transactions)
		xsd->lim.transactions = SIMXSD_DEF_TRANSACTIONS;
	if (!xsd->lim.value_size)
		xsd->lim.value_size = SIMXSD_DEF_VALUE_SIZE;
	if (!xsd->lim.perms)
		xsd->lim.perms = SIMXSD_DEF_PERMS;
	if (!xsd->lim.out_max)
		xsd->lim.out_max = SIMXSD_DEF_OUT_MAX;
	xsd->next_txid = 1;
	xsd->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (xsd->epfd < 0) {
		r = -errno;
		free(xsd);
		return r;
	}
	r = simxsd_store_init(xsd);
	if (r) {
		simxsd_destroy(xsd);
		return r;
	}
	*out = xsd;
	return 0;
}

void simxsd_destroy(struct simxsd *xsd)
{
	struct simxsd_domain *dom;
	struct simxsd_conn *conn;

	if (!xsd)
		return;
	while ((conn = xsd->conns)) {
		xsd->conns = conn->next;
		conn_free(xsd, conn);
	}
	while ((dom = xsd->domains)) {
		xsd->domains = dom->next;
		domain_free(xsd, dom);
	}
	simxsd_store_fini(xsd);
	if (xsd->epfd >= 0)
		close(xsd->epfd);
	free(xsd);
}

int simxsd_fd(struct simxsd *xsd)
{
	return xsd->epfd;
}

int simxsd_dispatch(struct simxsd *xsd)
{
	struct epoll_event evs[64];
	struct simxsd_conn *conn;
	int n, i;

	n = epoll_wait(xsd->epfd, evs, 64, 0);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (i = 0; i < n; i++) {
		int kind = *(int *)evs[i].data.ptr;

		if (kind == SIMXSD_EP_LISTEN) {
			listener_accept(xsd, evs[i].data.ptr);
			continue;
		}
		conn = evs[i].data.ptr;
		if (!conn->dead && (evs[i].events & EPOLLOUT))
			conn_flush(conn);
		if (!conn->dead &&
		    (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
			conn_read(conn);
	}
	reap(xsd);
	return n;
}

/* ------------------------------------------------------------------ */
/* Direct access for the embedder                                      */
/* ------------------------------------------------------------------ */

static int direct_path(const char *in, char *out)
{
	if (!in || in[0] != '/')
		return -EINVAL;
	return simxsd_path_canon(0, in, false, out);
}

int simxsd_write(struct simxsd *xsd, const char *path, const void *val,
		 size_t len)
{
	struct simxsd_ctx c = { .xsd = xsd, .domid = 0, .txn = NULL };
	char p[SIMXSD_PATH_BUF];
	int r = direct_path(path, p);

	if (r)
		return r;
	if (len > UINT32_MAX)
		return -E2BIG;
	return simxsd_op_write(&c, p, val, (uint32_t)len);
}

int simxsd_read(struct simxsd *xsd, const char *path, char **val,
		size_t *len)
{
	struct simxsd_ctx c = { .xsd = xsd, .domid = 0, .txn = NULL };
	const struct simxsd_node *n;
	char p[SIMXSD_PATH_BUF];
	char *v;
	int r = direct_path(path, p);

	if (!r)
		r = simxsd_op_read(&c, p, &n);
	if (r)
		return r;
	v = malloc(n->vlen + 1);
	if (!v)
		return -ENOMEM;
	memcpy(v, n->value ? n->value : "", n->vlen);
	v[n->vlen] = '\0';
	*val = v;
	if (len)
		*len = n->vlen;
	return 0;
}

int simxsd_rm(struct simxsd *xsd, const char *path)
{
	struct simxsd_ctx c = { .xsd = xsd, .domid = 0, .txn = NULL };
	char p[SIMXSD_PATH_BUF];
	int r = direct_path(path, p);

	return r ? r : simxsd_op_rm(&c, p);
}

int simxsd_set_perms(struct simxsd *xsd, const char *path,
		     const struct simxsd_perm *perms, unsigned int n)
{
	struct simxsd_ctx c = { .xsd = xsd, .domid = 0, .txn = NULL };
	struct simxsd_permset *sp;
	struct simxsd_perm *copy;
	char p[SIMXSD_PATH_BUF];
	unsigned int i;
	int r;

	if (!perms || n == 0)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (perms[i].domid > 65535 ||
		    perms[i].access & ~(SIMXSD_PERM_READ | SIMXSD_PERM_WRITE))
			return -EINVAL;
	for (i = 0; i < 2; i++) {
		if (path && !strcmp(path, simxsd_special_names[i])) {
			sp = &xsd->special[i];
			copy = malloc(n * sizeof(*copy));
			if (!copy)
				return -ENOMEM;
			memcpy(copy, perms, n * sizeof(*copy));
			free(sp->p);
			sp->p = copy;
			sp->n = n;
			return 0;
		}
	}
	r = direct_path(path, p);
	return r ? r : simxsd_op_set_perms(&c, p, perms, n);
}

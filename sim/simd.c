/* SPDX-License-Identifier: MIT */
/*
 * sim/simd.c - the simulator daemon's loop, connections, domains and
 * admin operations.  Grants live in simd-gnt.c, event channels in
 * simd-evt.c, xenstore in xsd*.c.
 *
 * One epoll loop serves: each domain's listening control socket
 * (<dir>/ctl-<domid>.sock), every client connection, the xenstore server's
 * epoll fd and a signalfd.  epoll_wait() returns one event at a time, so
 * that a handler may free any object (a destroyed domain, a hung-up
 * connection) without a later event of the same batch pointing at it.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sim/simd-int.h"
#include "sim/xsd.h"

/* Connections over all domains, so a client cannot exhaust our fds. */
#define SIMD_MAX_CONNS 4096u

static unsigned nconns;

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

/*
 * simd_conn_warn() - log a rate-limited warning about client @c (a
 * misbehaving client is not a daemon failure).
 */
void simd_conn_warn(struct simd_conn *c, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (!duet_ratelimit_ok(&c->rl))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	duet_log(DUET_LOG_WARN, "sim: domain %u client: %s", c->dom->domid,
		 msg);
}

/* simd_dom_get() - the domain @domid, or NULL when it does not exist. */
struct simd_dom *simd_dom_get(struct simd *d, unsigned domid)
{
	return domid < SIMD_MAX_DOMS ? d->doms[domid] : NULL;
}

/* simd_new_id() - a fresh share/map id (never 0). */
uint64_t simd_new_id(struct simd *d)
{
	return ++d->next_id;
}

static int sock_path(const struct simd *d, const char *fmt, unsigned domid,
		     char *out, size_t size)
{
	int n = snprintf(out, size, fmt, d->dir, domid);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* Run "ip netns add|del NAME"; 0 or -EIO. */
static int netns_cmd(const char *verb, const char *name)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -errno;
	if (!pid) {
		int null = open("/dev/null", O_RDWR);
		sigset_t all;

		/* simd_create() blocked these for its signalfd. */
		sigfillset(&all);
		sigprocmask(SIG_UNBLOCK, &all, NULL);

		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
		}
		execlp("ip", "ip", "netns", verb, name, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(st) && !WEXITSTATUS(st) ? 0 : -EIO;
}

/* ------------------------------------------------------------------ */
/* Domains                                                             */
/* ------------------------------------------------------------------ */

static void xs_introduce(struct simd *d, struct simd_dom *dom)
{
	char path[64], val[16];

	snprintf(path, sizeof(path), "/local/domain/%u/name", dom->domid);
	simxsd_write(d->xsd, path, dom->name, strlen(dom->name));
	snprintf(path, sizeof(path), "/local/domain/%u/domid", dom->domid);
	snprintf(val, sizeof(val), "%u", dom->domid);
	simxsd_write(d->xsd, path, val, strlen(val));
}

/*
 * Create domain @domid: control socket, tables, xenstore socket,
 * network namespace when @netns.  Return: 0 or -errno (nothing left).
 */
static int dom_create(struct simd *d, unsigned domid, const char *name,
		      int netns)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct epoll_event ev = { .events = EPOLLIN };
	char xs[sizeof(sa.sun_path)];
	struct simd_dom *dom;
	int rc;

	dom = calloc(1, sizeof(*dom));
	if (!dom)
		return -ENOMEM;
	dom->ev.type = SIMD_EV_LISTEN;
	dom->domid = domid;
	dom->lfd = -1;
	dom->evt_gen_fd = -1;
	snprintf(dom->name, sizeof(dom->name), "%s", name);
	rc = sock_path(d, DUET_SIM_CTL_FMT, domid, sa.sun_path,
		       sizeof(sa.sun_path));
	if (!rc)
		rc = sock_path(d, DUET_SIM_XS_FMT, domid, xs, sizeof(xs));
	if (rc < 0)
		goto err;
	rc = simd_gnt_init(d, dom);
	if (!rc)
		rc = simd_evt_init(d, dom);
	if (rc < 0)
		goto err;
	dom->lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC |
			  SOCK_NONBLOCK, 0);
	if (dom->lfd < 0) {
		rc = -errno;
		goto err;
	}
	unlink(sa.sun_path);
	if (bind(dom->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(dom->lfd, 64) < 0) {
		rc = -errno;
		goto err;
	}
	ev.data.ptr = &dom->ev;
	if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, dom->lfd, &ev) < 0) {
		rc = -errno;
		goto err_unlink;
	}
	if (netns) {
		snprintf(dom->netns, sizeof(dom->netns), "duet-%d-%u",
			 (int)getpid(), domid);
		netns_cmd("del", dom->netns);
		rc = netns_cmd("add", dom->netns);
		if (rc < 0) {
			duet_log(DUET_LOG_ERR,
				 "sim: 'ip netns add %s' failed (root?)",
				 dom->netns);
			dom->netns[0] = '\0';
			goto err_unlink;
		}
	}
	rc = simxsd_domain_add(d->xsd, domid, xs);
	if (rc < 0) {
		duet_log(DUET_LOG_ERR, "sim: xenstore for domain %u: %s",
			 domid, strerror(-rc));
		goto err_netns;
	}
	d->doms[domid] = dom;
	xs_introduce(d, dom);
	duet_log(DUET_LOG_INFO, "sim: domain %u (%s) created%s%s", domid,
		 dom->name, dom->netns[0] ? ", netns " : "", dom->netns);
	return 0;
err_netns:
	if (dom->netns[0])
		netns_cmd("del", dom->netns);
err_unlink:
	unlink(sa.sun_path);
err:
	if (dom->lfd >= 0)
		close(dom->lfd);
	simd_evt_dom_gone(dom);
	simd_gnt_dom_gone(dom);
	free(dom);
	return rc;
}

static void conn_close(struct simd_conn *c);

/* Destroy @dom: its clients, tables, sockets, xenstore, namespace. */
static void dom_free(struct simd *d, struct simd_dom *dom)
{
	char path[108];

	while (dom->conns)
		conn_close(dom->conns);
	simd_evt_dom_gone(dom);
	simd_gnt_dom_gone(dom);
	close(dom->lfd);
	if (!sock_path(d, DUET_SIM_CTL_FMT, dom->domid, path, sizeof(path)))
		unlink(path);
	snprintf(path, sizeof(path), "/local/domain/%u", dom->domid);
	if (dom->domid)
		simxsd_rm(d->xsd, path);
	simxsd_domain_remove(d->xsd, dom->domid);
	if (dom->netns[0] && netns_cmd("del", dom->netns) < 0)
		duet_log(DUET_LOG_WARN, "sim: 'ip netns del %s' failed",
			 dom->netns);
	d->doms[dom->domid] = NULL;
	duet_log(DUET_LOG_INFO, "sim: domain %u (%s) destroyed", dom->domid,
		 dom->name);
	free(dom);
}

/* ------------------------------------------------------------------ */
/* Connections                                                         */
/* ------------------------------------------------------------------ */

static void conn_accept(struct simd *d, struct simd_dom *dom)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct simd_conn *c;
	int fd;

	fd = accept4(dom->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	if (nconns >= SIMD_MAX_CONNS) {
		if (duet_ratelimit_ok(&d->rl))
			duet_log(DUET_LOG_WARN, "sim: too many clients");
		close(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return;
	}
	c->ev.type = SIMD_EV_CONN;
	c->d = d;
	c->dom = dom;
	c->fd = fd;
	c->evt = 0;
	ev.data.ptr = &c->ev;
	if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		close(fd);
		free(c);
		return;
	}
	c->next = dom->conns;
	dom->conns = c;
	nconns++;
}

/*
 * A client is gone (hang-up, crash, protocol violation, or its domain is
 * being destroyed): close its ports, drop its mappings, revoke its grants.
 */
static void conn_close(struct simd_conn *c)
{
	struct simd_conn **pp = &c->dom->conns;

	simd_evt_conn_gone(c);
	simd_gnt_conn_gone(c);
	while (*pp && *pp != c)
		pp = &(*pp)->next;
	if (*pp)
		*pp = c->next;
	close(c->fd);
	nconns--;
	free(c);
}

/* ------------------------------------------------------------------ */
/* Admin operations (dom0 only)                                        */
/* ------------------------------------------------------------------ */

static int valid_name(const uint8_t *s, size_t len)
{
	size_t i;

	if (!len || len >= DUET_SIM_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
		      s[i] == '_' || s[i] == '.'))
			return 0;
	return 1;
}

static void admin_dom_create(struct simd *d, struct simd_msg *m)
{
	char name[DUET_SIM_NAME_MAX];
	unsigned id;
	int rc;

	if (!valid_name(m->data, m->len) ||
	    (m->req.flags & ~DUET_SIM_DOM_NETNS)) {
		m->rep.rc = -EINVAL;
		return;
	}
	memcpy(name, m->data, m->len);
	name[m->len] = '\0';
	for (id = 1; id < SIMD_MAX_DOMS && d->doms[id]; id++)
		;
	if (id == SIMD_MAX_DOMS) {
		m->rep.rc = -ENOSPC;
		return;
	}
	rc = dom_create(d, id, name, m->req.flags & DUET_SIM_DOM_NETNS);
	m->rep.rc = rc < 0 ? rc : (int)id;
}

static void admin_dom_destroy(struct simd *d, struct simd_msg *m)
{
	struct simd_dom *dom = simd_dom_get(d, m->req.domid);

	if (!dom) {
		m->rep.rc = -ESRCH;
		return;
	}
	if (!dom->domid) {
		m->rep.rc = -EPERM;
		return;
	}
	dom_free(d, dom);
	m->rep.rc = 0;
}

static void admin_dom_info(struct simd *d, struct simd_msg *m)
{
	struct simd_dom *dom = simd_dom_get(d, m->req.domid);
	struct duet_sim_dom_info *info = (struct duet_sim_dom_info *)m->out;

	if (!dom) {
		m->rep.rc = -ESRCH;
		return;
	}
	memset(info, 0, sizeof(*info));
	info->domid = dom->domid;
	memcpy(info->name, dom->name, sizeof(info->name));
	memcpy(info->netns, dom->netns, sizeof(info->netns));
	m->out_len = sizeof(*info);
	m->rep.rc = 0;
}

static void admin_status(struct simd *d, struct simd_msg *m)
{
	size_t off = 0;
	unsigned i;

	for (i = 0; i < SIMD_MAX_DOMS; i++) {
		struct simd_dom *dom = d->doms[i];
		struct simd_conn *c;
		unsigned nc = 0;
		int n;

		if (!dom)
			continue;
		for (c = dom->conns; c; c = c->next)
			nc++;
		n = snprintf((char *)m->out + off, m->out_max - off,
			     "%-5u %-16s %-20s %7u %7u/%-7u %5u %5u\n", i,
			     dom->name, dom->netns[0] ? dom->netns : "-", nc,
			     simd_gnt_in_use(dom),
			     dom->ngnt - SIMD_GNT_RESERVED,
			     simd_evt_in_use(dom), simd_evt_bound(dom));
		if (n < 0 || (size_t)n >= m->out_max - off)
			break;
		off += (size_t)n;
	}
	m->out_len = off;
	m->rep.rc = 0;
}

/* ------------------------------------------------------------------ */
/* Requests                                                            */
/* ------------------------------------------------------------------ */

/*
 * RESTRICT: from now on @c may act only on its own domain and
 * m->req.domid, like a libxen* handle after xentoolcore_restrict_all().
 * The restriction is per connection (the client restricts each of its
 * connections); it guards against a driver touching another domain by
 * mistake, it is no sandbox: a process can always open a new connection.
 */
static void conn_restrict(struct simd_conn *c, struct simd_msg *m)
{
	if (m->req.domid > 0xffff || m->len) {
		m->rep.rc = -EINVAL;
		return;
	}
	if (c->restricted && c->rdomid != m->req.domid) {
		m->rep.rc = -EPERM;
		return;
	}
	c->restricted = 1;
	c->rdomid = m->req.domid;
	m->rep.rc = 0;
}

/* 1 when @op names another domain in req.domid that a restricted
 * connection must be allowed to act on. */
static int op_names_domain(uint32_t op)
{
	switch (op) {
	case DUET_SIM_OP_SHARE:
	case DUET_SIM_OP_MAP:
	case DUET_SIM_OP_XFER_OFFER:
	case DUET_SIM_OP_XFER:
	case DUET_SIM_OP_EVT_ALLOC:
	case DUET_SIM_OP_EVT_BIND:
		return 1;
	default:
		return 0;
	}
}

static void dispatch(struct simd_conn *c, struct simd_msg *m)
{
	struct simd *d = c->d;
	int admin = m->req.op >= DUET_SIM_OP_DOM_CREATE &&
		    m->req.op <= DUET_SIM_OP_STOP;

	m->rep.rc = -EINVAL;
	if (admin && (c->dom->domid || c->restricted)) {
		m->rep.rc = -EPERM;
		return;
	}
	/* COPY segments are checked one by one (check_ref()). */
	if (op_names_domain(m->req.op) && !simd_conn_may(c, m->req.domid)) {
		m->rep.rc = -EPERM;
		return;
	}
	switch (m->req.op) {
	case DUET_SIM_OP_HELLO:
		m->rep.rc = m->req.count == DUET_SIM_WIRE_VERSION ?
				    (int)c->dom->domid : -EPROTO;
		break;
	case DUET_SIM_OP_SHARE:
		simd_gnt_share(c, m);
		break;
	case DUET_SIM_OP_UNSHARE:
		simd_gnt_unshare(c, m);
		break;
	case DUET_SIM_OP_MAP:
		simd_gnt_map(c, m);
		break;
	case DUET_SIM_OP_UNMAP:
		simd_gnt_unmap(c, m);
		break;
	case DUET_SIM_OP_COPY:
		simd_gnt_copy(c, m);
		break;
	case DUET_SIM_OP_COPY_AREA:
		simd_gnt_copy_area(c, m);
		break;
	case DUET_SIM_OP_COPY_BUF:
		simd_gnt_copy_buf(c, m);
		break;
	case DUET_SIM_OP_COPY_BUF_FREE:
		simd_gnt_copy_buf_free(c, m);
		break;
	case DUET_SIM_OP_XFER_OFFER:
		simd_gnt_xfer_offer(c, m);
		break;
	case DUET_SIM_OP_XFER:
		simd_gnt_xfer(c, m);
		break;
	case DUET_SIM_OP_XFER_ACCEPT:
		simd_gnt_xfer_accept(c, m);
		break;
	case DUET_SIM_OP_EVT_OPEN:
		simd_evt_open(c, m);
		break;
	case DUET_SIM_OP_EVT_ALLOC:
		simd_evt_alloc(c, m);
		break;
	case DUET_SIM_OP_EVT_BIND:
		simd_evt_bind(c, m);
		break;
	case DUET_SIM_OP_EVT_NOTIFY:
		simd_evt_notify(c, m);
		break;
	case DUET_SIM_OP_EVT_UNBIND:
		simd_evt_unbind(c, m);
		break;
	case DUET_SIM_OP_DOM_CREATE:
		admin_dom_create(d, m);
		break;
	case DUET_SIM_OP_DOM_DESTROY:
		admin_dom_destroy(d, m);
		break;
	case DUET_SIM_OP_DOM_INFO:
		admin_dom_info(d, m);
		break;
	case DUET_SIM_OP_STATUS:
		admin_status(d, m);
		break;
	case DUET_SIM_OP_STOP:
		d->stop = 1;
		m->rep.rc = 0;
		break;
	case DUET_SIM_OP_RESTRICT:
		conn_restrict(c, m);
		break;
	default:
		simd_conn_warn(c, "unknown op %u", m->req.op);
		m->rep.rc = -EOPNOTSUPP;
		break;
	}
}

static int send_reply(struct simd_conn *c, struct simd_msg *m)
{
	char cbuf[CMSG_SPACE(sizeof(int) * DUET_SIM_MAP_MAX)];
	struct iovec iov[2] = {
		{ .iov_base = &m->rep, .iov_len = sizeof(m->rep) },
		{ .iov_base = m->out, .iov_len = m->out_len },
	};
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };
	ssize_t n;

	if (m->nfds) {
		struct cmsghdr *cm;

		memset(cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * m->nfds);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * m->nfds);
		memcpy(CMSG_DATA(cm), m->fds, sizeof(int) * m->nfds);
	}
	n = sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
	return n < 0 ? -errno : 0;
}

/*
 * Read one request from @c, handle it, answer it.  Return: 0, or -errno
 * when the connection must be closed (hang-up, or a client that does not
 * read its replies).
 */
static int conn_request(struct simd_conn *c)
{
	char cbuf[CMSG_SPACE(sizeof(int) * 4)];
	struct iovec iov = { .iov_base = c->d->buf,
			     .iov_len = DUET_SIM_MSG_MAX };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf) };
	struct simd_msg m = { .fd = -1 };
	unsigned i, nfd, kept = 0;
	ssize_t n;
	int rc;

	n = recvmsg(c->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	if (n == 0)
		return -EPIPE;
	nfd = duet_sim_take_fds(&mh, &m.fd, 1, &kept);
	m.out = c->d->rbuf;
	m.out_max = DUET_SIM_MSG_MAX;
	if ((size_t)n < sizeof(m.req) || (mh.msg_flags & MSG_TRUNC) ||
	    (mh.msg_flags & MSG_CTRUNC) || nfd > 1) {
		simd_conn_warn(c, "malformed message (%zd bytes, %u fds)", n,
			       nfd);
		m.rep.rc = (mh.msg_flags & MSG_TRUNC) ? -E2BIG : -EINVAL;
	} else {
		memcpy(&m.req, c->d->buf, sizeof(m.req));
		m.data = c->d->buf + sizeof(m.req);
		m.len = (size_t)n - sizeof(m.req);
		dispatch(c, &m);
	}
	if (m.fd >= 0)
		close(m.fd);
	if (m.rep.rc < 0) {
		m.out_len = 0;
		m.nfds = 0;
	}
	rc = send_reply(c, &m);
	if (m.close_fds)
		for (i = 0; i < m.nfds; i++)
			close(m.fds[i]);
	if (rc < 0)
		simd_conn_warn(c, "cannot send reply: %s", strerror(-rc));
	return rc;
}

/* ------------------------------------------------------------------ */
/* Lifecycle                                                           */
/* ------------------------------------------------------------------ */

int simd_create(const struct simd_opts *o, struct simd **out)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct simd *d;
	sigset_t set;
	int rc;

	if (!o || !o->dir || strlen(o->dir) + 16 > 100)
		return -ENAMETOOLONG;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	snprintf(d->dir, sizeof(d->dir), "%s", o->dir);
	d->gnt_frames = o->grant_frames ? o->grant_frames :
					  SIMD_DEF_GRANT_FRAMES;
	d->nports = o->ports ? o->ports : SIMD_DEF_PORTS;
	d->epfd = -1;
	d->sigfd = -1;
	d->buf = malloc(DUET_SIM_MSG_MAX);
	d->rbuf = malloc(DUET_SIM_MSG_MAX);
	if (!d->buf || !d->rbuf) {
		rc = -ENOMEM;
		goto err;
	}
	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (d->epfd < 0) {
		rc = -errno;
		goto err;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	d->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	d->ev_sig.type = SIMD_EV_SIGNAL;
	ev.data.ptr = &d->ev_sig;
	if (d->sigfd < 0 ||
	    epoll_ctl(d->epfd, EPOLL_CTL_ADD, d->sigfd, &ev) < 0) {
		rc = -errno;
		goto err;
	}
	rc = simxsd_create(NULL, &d->xsd);
	if (!rc)
		rc = simxsd_set_flavour(d->xsd, o->xenstored);
	if (rc < 0)
		goto err;
	d->ev_xsd.type = SIMD_EV_XSD;
	ev.data.ptr = &d->ev_xsd;
	if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, simxsd_fd(d->xsd), &ev) < 0) {
		rc = -errno;
		goto err;
	}
	rc = dom_create(d, 0, "Domain-0", 0);
	if (rc < 0)
		goto err;
	*out = d;
	return 0;
err:
	simd_destroy(d);
	return rc;
}

int simd_run(struct simd *d)
{
	while (!d->stop) {
		struct epoll_event ev;
		struct signalfd_siginfo si;
		struct simd_ev *tag;
		int n = epoll_wait(d->epfd, &ev, 1, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (!n)
			continue;
		tag = ev.data.ptr;
		switch (tag->type) {
		case SIMD_EV_LISTEN:
			conn_accept(d, (struct simd_dom *)tag);
			break;
		case SIMD_EV_CONN: {
			struct simd_conn *c = (struct simd_conn *)tag;

			if (!(ev.events & EPOLLIN) || conn_request(c) < 0)
				conn_close(c);
			break;
		}
		case SIMD_EV_XSD:
			simxsd_dispatch(d->xsd);
			break;
		case SIMD_EV_SIGNAL:
			if (read(d->sigfd, &si, sizeof(si)) == sizeof(si))
				d->stop = 1;
			break;
		}
	}
	return 0;
}

void simd_destroy(struct simd *d)
{
	unsigned i;

	if (!d)
		return;
	for (i = SIMD_MAX_DOMS; i-- > 0;)
		if (d->doms[i])
			dom_free(d, d->doms[i]);
	if (d->xsd)
		simxsd_destroy(d->xsd);
	if (d->sigfd >= 0)
		close(d->sigfd);
	if (d->epfd >= 0)
		close(d->epfd);
	free(d->buf);
	free(d->rbuf);
	free(d);
}

/* SPDX-License-Identifier: MIT */
/*
 * engine-nbd.c - the NBD engine: a disk served from an NBD export through
 * libnbd's asynchronous API.
 *
 * params is an NBD URI (the NBD URI standard, as libnbd parses it):
 *   nbd://HOST[:PORT]/EXPORT             TCP (port 10809 by default)
 *   nbds://HOST[:PORT]/EXPORT            TCP with TLS required
 *   nbd+unix:///EXPORT?socket=PATH       a Unix socket (nbds+unix: TLS)
 *   nbd+vsock://CID[:PORT]/EXPORT        AF_VSOCK
 * TLS settings (tls-certificates=DIR, tls-psk-file=FILE, tls-verify-peer=)
 * are the URI's query parameters; libnbd reads them.  QEMU's older
 * nbd:HOST:PORT[:exportname=NAME] and nbd:unix:PATH[:exportname=NAME]
 * are taken too, made into the URI they mean.
 *
 * Connections.  open() connects once to learn the export's size and
 * flags, then closes.  Each queue has its own connection, made by
 * queue_open() and driven by the queue's thread (libnbd's fd in the
 * queue's poll()).  An export without multi-conn gets one queue
 * (caps.max_queues = 1): NBD promises a flush covers only writes made on
 * its own connection.  A read-only export needs no such promise.
 *
 * Requests.  libnbd takes one buffer per command, not an iovec: a request
 * whose data is one extent (the grant-copy path, where the segments sit
 * back to back in the bounce buffer, or a single page) goes as one
 * command straight from it; a request scattered over several mappings
 * (persistent grants) is gathered into its bounce buffer, which has the
 * request's layout, and read data scattered back, one memcpy each way,
 * rather than one NBD command per 4 KiB page.
 *   READ / WRITE     pread / pwrite
 *   FLUSH            flush; with data: pwrite with FUA where the export
 *                    offers FUA, else pwrite then flush (a flush covers
 *                    only writes completed before it)
 *   DISCARD          trim, in pieces of at most 1 GiB (NBD lengths are
 *                    32-bit)
 *   BARRIER          not offered (feature-barrier 0): Linux's blkfront
 *                    uses flush-cache
 * blkif has no write-zeroes operation, so NBD's zero is never needed.
 *
 * libnbd is loaded when the first NBD disk is opened (engine-lib.h:
 * DUET_LIBNBD); duet does not link it.  Where it is missing the disk is
 * refused with one line naming the package (libnbd0).
 *
 * Storage going away.  A connection that dies (the server stopped, a
 * reset) fails its commands inside libnbd; their requests wait, and the
 * queue reconnects with a backoff of 100 ms doubling to 5 s.  When the
 * connection is back (same size, else it is refused), waiting requests
 * are sent again (reads, writes, trims and flushes may all be repeated).
 * A request that has waited BB_NBD_STALL_S (or DUET_BLKBACK_STALL_S in
 * the backend's environment, 1..3600) since it was first submitted is
 * answered BLKIF_RSP_ERROR instead; a connection whose oldest command is
 * that old is shut down (a hung server).  So the frontend sees either its
 * I/O complete late or an error, never a hung queue, and a write is
 * acknowledged only after the server acknowledged it.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "backends/blkback/common.h"
#include "duet/log.h"

int bb_nbd_is_uri(const char *s)
{
	static const char *const schemes[] = {
		"nbd://", "nbds://", "nbd+unix://", "nbds+unix://",
		"nbd+vsock://", "nbds+vsock://",
	};
	unsigned i;

	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (!strncmp(s, schemes[i], strlen(schemes[i])))
			return 1;
	return !strncmp(s, "nbd:", 4);
}

#ifndef DUET_HAVE_LIBNBD

static int nonbd_open(struct bb_dev *dev, const char *params, int readonly,
		      struct bb_engine_caps *caps, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s: duet was built without libnbd "
		 "(libnbd-dev)", params);
	return -EOPNOTSUPP;
}

const struct bb_engine_ops bb_engine_nbd = {
	.name = "nbd",
	.open = nonbd_open,
};

#else /* DUET_HAVE_LIBNBD */

#include <pthread.h>
#include <stddef.h>

#include <libnbd.h>

#include "backends/blkback/engine-lib.h"

/* ------------------------------------------------------------------ */
/* libnbd, loaded at run time (engine-lib.h)                           */
/* ------------------------------------------------------------------ */

#define NBD_FNS(X) \
	X(nbd_create) X(nbd_close) X(nbd_get_error) X(nbd_get_errno) \
	X(nbd_set_debug) X(nbd_set_uri_allow_local_file) \
	X(nbd_aio_connect_uri) X(nbd_aio_notify_read) X(nbd_aio_notify_write) \
	X(nbd_aio_get_direction) X(nbd_aio_is_ready) X(nbd_aio_is_dead) \
	X(nbd_aio_is_closed) X(nbd_aio_get_fd) X(nbd_is_read_only) \
	X(nbd_get_size) X(nbd_can_fua) X(nbd_get_block_size) X(nbd_can_flush) \
	X(nbd_can_trim) X(nbd_can_multi_conn) X(nbd_shutdown) \
	X(nbd_aio_pread) X(nbd_aio_pwrite) X(nbd_aio_flush) X(nbd_aio_trim)

/**
 * struct nbd_api - the functions the engine calls, each typed from its
 * prototype in libnbd.h.  Filled once by nbd_lib_init(); read-only after
 * (pthread_once() orders the writes before every caller's reads).
 */
struct nbd_api {
#define X(f) __typeof__(f) *f;
	NBD_FNS(X)
#undef X
};

static struct nbd_api lib;

#define X(f) { #f, offsetof(struct nbd_api, f) },
static const struct bb_lib_sym nbd_syms[] = { NBD_FNS(X) };
#undef X

static struct bb_lib nbd_lib = {
	.file = "libnbd.so.0", .env = "DUET_LIBNBD", .package = "libnbd0",
	.syms = nbd_syms, .nsyms = sizeof(nbd_syms) / sizeof(nbd_syms[0]),
};
static pthread_once_t nbd_once = PTHREAD_ONCE_INIT;

static void nbd_lib_init(void)
{
	bb_lib_load(&nbd_lib, &lib);
}

/* Load libnbd once per process; 0 or -errno with the one-line reason
 * in @err. */
static int nbd_lib_get(const char *params, char *err, size_t errlen)
{
	pthread_once(&nbd_once, nbd_lib_init);
	if (nbd_lib.err)
		return bb_lib_error(&nbd_lib, params, err, errlen);
	return 0;
}

/** Default bound on a request's wait for its storage, seconds. */
#define BB_NBD_STALL_S 30u
/** Reconnection backoff, ms. */
#define BB_NBD_BACKOFF_MIN_MS 100u
#define BB_NBD_BACKOFF_MAX_MS 5000u
/** open()'s connection attempt, ms. */
#define BB_NBD_OPEN_MS 10000u
/** Largest trim sent in one command. */
#define BB_NBD_TRIM_MAX (1ull << 30)
/** How often the in-flight deadlines are looked at, ns. */
#define BB_NBD_SCAN_NS 100000000ull

/* bb_req.eng_flags */
#define RF_RETRY 1u	/* a command failed with the connection: resend */
#define RF_LINEAR 2u	/* the data goes through the bounce buffer */

/**
 * struct nbd_dev - the device's engine state (dev->eng_priv): written by
 * open() on the main thread before any queue thread is created
 * (pthread_create() orders it), only read by the queues after.
 * @uri:      params.
 * @readonly: opened for reading only.
 * @size:     the export's size, checked again at each reconnection.
 * @fua:      the export takes FUA writes.
 * @stall_ns: the bound on a request's wait.
 */
struct nbd_dev {
	char *uri;
	int readonly;
	int64_t size;
	int fua;
	uint64_t stall_ns;
};

/**
 * struct nbd_q - a queue's connection (q->eng_priv); the queue's thread
 * alone uses it and its handle (libnbd calls the callbacks on the thread
 * that drives the handle), so nothing here needs ordering.
 * @h:         the handle; NULL while down.
 * @ready:     @h finished its handshake.
 * @conn_deadline: when a connection attempt in progress is given up.
 * @retry_at:  when to try again while down (0: now).
 * @backoff_ms: the next wait between attempts.
 * @wait_head, @wait_tail: requests waiting for a connection.
 * @cq:        requests whose commands all completed (libnbd's callbacks
 *             push them; reap() takes them), linked by eng_next.
 * @down_since: when the connection was lost (0: up or never lost).
 * @last_scan: when the in-flight deadlines were last looked at.
 * @ctx:       per request slot, the callbacks' user_data.
 */
struct nbd_q;
struct nbd_ctx {
	struct nbd_q *nq;
	struct bb_req *r;
};

struct nbd_q {
	struct nbd_dev *nd;
	struct nbd_handle *h;
	int ready;
	uint64_t conn_deadline;
	uint64_t retry_at;
	unsigned backoff_ms;
	struct bb_req *wait_head, *wait_tail;
	struct bb_req *cq;
	uint64_t down_since;
	uint64_t last_scan;
	struct nbd_ctx *ctx;
};

/* Append @s to @out (@len bytes, at *@n) percent-encoded; -E2BIG. */
static int uri_put(char *out, size_t len, size_t *n, const char *s,
		   size_t slen, const char *keep)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < slen; i++) {
		unsigned char c = (unsigned char)s[i];

		if (*n + 4 > len)
			return -E2BIG;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-._~", c) ||
		    (c && strchr(keep, c))) {
			out[(*n)++] = (char)c;
		} else {
			out[(*n)++] = '%';
			out[(*n)++] = hex[c >> 4];
			out[(*n)++] = hex[c & 15];
		}
	}
	out[*n] = '\0';
	return 0;
}

/*
 * @params as an NBD URI in @out: itself, or the URI of QEMU's older
 * nbd:HOST:PORT[:exportname=NAME] / nbd:unix:PATH[:exportname=NAME].
 */
static int to_uri(const char *params, char *out, size_t len)
{
	const char *p = params + 4, *exp, *port;
	size_t n = 0;
	int rc;

	if (strncmp(params, "nbd:", 4) || !strncmp(params, "nbd://", 6)) {
		if (strlen(params) >= len)
			return -E2BIG;
		strcpy(out, params);
		return 0;
	}
	exp = strstr(p, ":exportname=");
	if (!strncmp(p, "unix:", 5)) {
		p += 5;
		rc = uri_put(out, len, &n, "nbd+unix:///", 12, "+:/");
		if (!rc && exp)
			rc = uri_put(out, len, &n, exp + 12,
				     strlen(exp + 12), "");
		if (!rc)
			rc = uri_put(out, len, &n, "?socket=", 8, "?=");
		if (!rc)
			rc = uri_put(out, len, &n, p,
				     exp ? (size_t)(exp - p) : strlen(p), "/");
		return rc;
	}
	port = strchr(p, ':');
	if (!port || port == p)
		return -EINVAL;
	rc = uri_put(out, len, &n, "nbd://", 6, ":/");
	if (!rc)
		rc = uri_put(out, len, &n, p,
			     exp ? (size_t)(exp - p) : strlen(p), ":[]");
	if (!rc)
		rc = uri_put(out, len, &n, "/", 1, "/");
	if (!rc && exp)
		rc = uri_put(out, len, &n, exp + 12, strlen(exp + 12), "");
	return rc;
}

/* libnbd's last error as one line. */
static const char *nbd_errline(char *buf, size_t len)
{
	const char *e = lib.nbd_get_error();
	char *p;

	snprintf(buf, len, "%s", e ? e : "unknown error");
	for (p = buf; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	return buf;
}

/*
 * Start connecting a new handle to @uri; NULL with a reason in @err when
 * the URI is refused at once.
 */
static struct nbd_handle *conn_start(const char *uri, char *err,
				     size_t errlen)
{
	struct nbd_handle *h = lib.nbd_create();

	if (!h) {
		nbd_errline(err, errlen);
		return NULL;
	}
	/* One line per failure in our log, not libnbd's own debug. */
	lib.nbd_set_debug(h, false);
	/* params is the toolstack's (the frontend cannot write it): its
	 * tls-certificates= / tls-psk-file= may name local files. */
	lib.nbd_set_uri_allow_local_file(h, true);
	if (lib.nbd_aio_connect_uri(h, uri) < 0) {
		nbd_errline(err, errlen);
		lib.nbd_close(h);
		return NULL;
	}
	return h;
}

/* Move @h's state machine along after poll() said @revents. */
static void conn_notify(struct nbd_handle *h, short revents)
{
	if (revents & (POLLIN | POLLHUP | POLLERR))
		lib.nbd_aio_notify_read(h);
	if (revents & POLLOUT)
		lib.nbd_aio_notify_write(h);
}

static short conn_events(struct nbd_handle *h)
{
	unsigned dir = lib.nbd_aio_get_direction(h);
	short ev = 0;

	if (dir & LIBNBD_AIO_DIRECTION_READ)
		ev |= POLLIN;
	if (dir & LIBNBD_AIO_DIRECTION_WRITE)
		ev |= POLLOUT;
	return ev;
}

/*
 * Drive @h until its handshake is done, it failed or @ms passed.
 * Returns 0 (ready) or -errno with the reason in @err.
 */
static int conn_wait_ready(struct nbd_handle *h, unsigned ms, char *err,
			   size_t errlen)
{
	uint64_t end = bb_now() + (uint64_t)ms * 1000000ull;

	while (!lib.nbd_aio_is_ready(h)) {
		struct pollfd pfd;
		uint64_t now = bb_now();
		int rc;

		if (lib.nbd_aio_is_dead(h) || lib.nbd_aio_is_closed(h)) {
			nbd_errline(err, errlen);
			return -ENOTCONN;
		}
		if (now >= end) {
			snprintf(err, errlen, "no answer in %u ms", ms);
			return -ETIMEDOUT;
		}
		pfd.fd = lib.nbd_aio_get_fd(h);
		pfd.events = conn_events(h);
		pfd.revents = 0;
		if (pfd.fd < 0) {
			nbd_errline(err, errlen);
			return -ENOTCONN;
		}
		rc = poll(&pfd, 1, (int)((end - now) / 1000000ull) + 1);
		if (rc > 0)
			conn_notify(h, pfd.revents);
	}
	return 0;
}

static uint64_t stall_ns(void)
{
	const char *s = getenv("DUET_BLKBACK_STALL_S");
	unsigned long v;
	char *end;

	if (s && *s) {
		errno = 0;
		v = strtoul(s, &end, 10);
		if (!errno && !*end && v >= 1 && v <= 3600)
			return v * 1000000000ull;
		duet_log(DUET_LOG_WARN, "blkback: nbd: bad DUET_BLKBACK_STALL_S"
			 " '%s', using %u", s, BB_NBD_STALL_S);
	}
	return BB_NBD_STALL_S * 1000000000ull;
}

static int nbd_open(struct bb_dev *dev, const char *params, int readonly,
		    struct bb_engine_caps *caps, char *err, size_t errlen)
{
	struct nbd_handle *h;
	struct nbd_dev *nd;
	char why[400], uri[4096];
	int64_t pref;
	int rc;

	if (to_uri(params, uri, sizeof(uri))) {
		snprintf(err, errlen, "%s: not an NBD URI (nbd://HOST[:PORT]"
			 "/EXPORT, nbd+unix:///EXPORT?socket=PATH) nor "
			 "nbd:HOST:PORT", params);
		return -EINVAL;
	}
	rc = nbd_lib_get(params, err, errlen);
	if (rc)
		return rc;
	h = conn_start(uri, why, sizeof(why));
	if (!h) {
		rc = lib.nbd_get_errno();
		snprintf(err, errlen, "%s: %s", params, why);
		return rc > 0 ? -rc : -EINVAL;
	}
	rc = conn_wait_ready(h, BB_NBD_OPEN_MS, why, sizeof(why));
	if (rc) {
		snprintf(err, errlen, "%s: %s", params, why);
		lib.nbd_close(h);
		return rc;
	}
	nd = calloc(1, sizeof(*nd));
	if (!nd || !(nd->uri = strdup(uri))) {
		free(nd);
		lib.nbd_close(h);
		return -ENOMEM;
	}
	nd->readonly = readonly || lib.nbd_is_read_only(h) == 1;
	nd->size = lib.nbd_get_size(h);
	nd->fua = lib.nbd_can_fua(h) == 1;
	nd->stall_ns = stall_ns();
	if (nd->size < 0) {
		snprintf(err, errlen, "%s: %s", params,
			 nbd_errline(why, sizeof(why)));
		lib.nbd_close(h);
		free(nd->uri);
		free(nd);
		return -EIO;
	}
	memset(caps, 0, sizeof(*caps));
	caps->size = (uint64_t)nd->size;
	caps->sector_size = 512;
	caps->phys_sector_size = 512;
	pref = lib.nbd_get_block_size(h, LIBNBD_SIZE_PREFERRED);
	if (pref >= 512 && pref <= 4096 && !(pref & (pref - 1)))
		caps->phys_sector_size = (unsigned)pref;
	caps->readonly = lib.nbd_is_read_only(h) == 1;
	caps->flush = lib.nbd_can_flush(h) == 1;
	caps->discard = lib.nbd_can_trim(h) == 1;
	caps->discard_granularity = caps->phys_sector_size;
	caps->max_queues =
		nd->readonly || lib.nbd_can_multi_conn(h) == 1 ? 0 : 1;
	lib.nbd_shutdown(h, 0);
	lib.nbd_close(h);
	dev->eng_priv = nd;
	duet_log(DUET_LOG_INFO, "blkback: %s: nbd %s: %lld bytes%s%s%s%s%s",
		 dev->ctx->dir, params, (long long)nd->size,
		 caps->readonly ? ", read-only" : "",
		 caps->flush ? ", flush" : "", nd->fua ? ", fua" : "",
		 caps->discard ? ", trim" : "",
		 caps->max_queues ? ", one connection" : ", multi-conn");
	return 0;
}

static void nbd_dev_close(struct bb_dev *dev)
{
	struct nbd_dev *nd = dev->eng_priv;

	if (!nd)
		return;
	free(nd->uri);
	free(nd);
	dev->eng_priv = NULL;
}

/* ------------------------------------------------------------------ */
/* Requests                                                            */
/* ------------------------------------------------------------------ */

/*
 * libnbd's completion callback, run inside a libnbd call on the queue's
 * thread with the handle's lock held: it only records; reap() acts (a
 * callback may not call libnbd on its own handle).
 */
static int cmd_done(void *user_data, int *error)
{
	struct nbd_ctx *c = user_data;
	struct bb_req *r = c->r;

	if (*error) {
		/* A dead connection fails its commands with ENOTCONN (or
		 * the socket's error); anything else is the server's
		 * answer. */
		if (*error == ENOTCONN || *error == ECONNRESET ||
		    *error == EPIPE || *error == ESHUTDOWN)
			r->eng_flags |= RF_RETRY;
		else if (!r->eng_err)
			r->eng_err = *error == EOPNOTSUPP ? -EOPNOTSUPP : -EIO;
	}
	if (r->eng_cmds && !--r->eng_cmds) {
		r->eng_next = c->nq->cq;
		c->nq->cq = r;
	}
	return 1;
}

static void wait_add(struct nbd_q *nq, struct bb_req *r)
{
	r->eng_flags &= (uint8_t)~RF_RETRY;
	r->eng_next = NULL;
	if (nq->wait_tail)
		nq->wait_tail->eng_next = r;
	else
		nq->wait_head = r;
	nq->wait_tail = r;
}

/* The request's data as one buffer (gathered when scattered). */
static void *req_buf(struct bb_req *r)
{
	size_t off = 0;
	unsigned i;

	if (r->niov == 1)
		return r->iov[0].iov_base;
	r->eng_flags |= RF_LINEAR;
	if (r->p.write_data)
		for (i = 0; i < r->niov; i++) {
			char *dst = (char *)r->bounce + off;

			if (r->iov[i].iov_base != dst)
				memcpy(dst, r->iov[i].iov_base,
				       r->iov[i].iov_len);
			off += r->iov[i].iov_len;
		}
	return r->bounce;
}

/* Reads through the bounce buffer: data to the segments' mappings. */
static void req_scatter(struct bb_req *r)
{
	size_t off = 0;
	unsigned i;

	for (i = 0; i < r->niov; i++) {
		const char *src = (const char *)r->bounce + off;

		if (r->iov[i].iov_base != src)
			memcpy(r->iov[i].iov_base, src, r->iov[i].iov_len);
		off += r->iov[i].iov_len;
	}
}

/* One command sent (1) or not (0, the reason noted in @r). */
static int sent(struct nbd_q *nq, struct bb_req *r, int64_t cookie)
{
	if (cookie >= 0)
		return 1;
	r->eng_cmds--; /* a command not sent never calls back */
	if (errno == ENOTCONN || lib.nbd_aio_is_dead(nq->h) ||
	    lib.nbd_aio_is_closed(nq->h))
		r->eng_flags |= RF_RETRY;
	else if (!r->eng_err)
		r->eng_err = -EIO;
	return 0;
}

/*
 * Send the commands of @r's current stage on the ready connection.  When
 * the last one completes (or none could be sent) @r is on nq->cq.
 */
static void issue(struct nbd_q *nq, struct bb_req *r)
{
	nbd_completion_callback cb = {
		.callback = cmd_done,
		.user_data = &nq->ctx[r->slot],
	};
	struct nbd_handle *h = nq->h;
	uint64_t off = r->p.sector * 512, left, n;
	uint32_t fua = nq->nd->fua ? LIBNBD_CMD_FLAG_FUA : 0;

	nq->ctx[r->slot].r = r;
	/* One extra count while sending, so that a callback run inside a
	 * send cannot finish the request before its last command. */
	r->eng_cmds = 2;
	switch (r->p.kind) {
	case BB_READ:
		sent(nq, r, lib.nbd_aio_pread(h, req_buf(r), r->len, off, cb,
					      0));
		break;
	case BB_WRITE:
		sent(nq, r, lib.nbd_aio_pwrite(h, req_buf(r), r->len, off, cb,
					       0));
		break;
	case BB_FLUSH:
		if (r->p.nseg && !r->eng_stage)
			sent(nq, r, lib.nbd_aio_pwrite(h, req_buf(r), r->len,
						       off, cb, fua));
		else
			sent(nq, r, lib.nbd_aio_flush(h, cb, 0));
		break;
	case BB_DISCARD:
		r->eng_cmds--;
		for (left = r->p.nr_sectors * 512; left; off += n, left -= n) {
			n = left < BB_NBD_TRIM_MAX ? left : BB_NBD_TRIM_MAX;
			r->eng_cmds++;
			if (!sent(nq, r, lib.nbd_aio_trim(h, n, off, cb, 0)))
				break;
		}
		break;
	default:
		r->eng_cmds--;
		r->eng_err = -EOPNOTSUPP;
		break;
	}
	if (!--r->eng_cmds) {
		r->eng_next = nq->cq;
		nq->cq = r;
	}
}

/* ------------------------------------------------------------------ */
/* The connection                                                      */
/* ------------------------------------------------------------------ */

static void fail_expired_waiters(struct nbd_q *nq, uint64_t now)
{
	struct bb_req **link = &nq->wait_head, *r;

	nq->wait_tail = NULL;
	while ((r = *link)) {
		if (now - r->eng_t0 < nq->nd->stall_ns) {
			nq->wait_tail = r;
			link = &r->eng_next;
			continue;
		}
		*link = r->eng_next;
		if (!r->eng_err)
			r->eng_err = -EIO;
		r->eng_next = nq->cq;
		nq->cq = r;
	}
}

/* Send every waiting request on the (ready) connection. */
static void wait_flush(struct nbd_q *nq)
{
	struct bb_req *r = nq->wait_head;

	nq->wait_head = nq->wait_tail = NULL;
	while (r) {
		struct bb_req *next = r->eng_next;

		issue(nq, r);
		r = next;
	}
}

/*
 * Drop the connection (lost, refused, or too slow): every command still
 * counted is retried; the next attempt after the backoff.
 */
static void conn_drop(struct bb_queue *q, const char *why)
{
	struct nbd_q *nq = q->eng_priv;
	uint64_t now = bb_now();
	unsigned i;

	if (nq->h)
		lib.nbd_close(nq->h);
	nq->h = NULL;
	nq->ready = 0;
	for (i = 0; i < q->nreqs; i++) {
		struct bb_req *r = &q->reqs[i];

		if (!r->eng_cmds)
			continue;
		r->eng_cmds = 0;
		r->eng_flags |= RF_RETRY;
		r->eng_next = nq->cq;
		nq->cq = r;
	}
	if (!nq->down_since) {
		nq->down_since = now;
		duet_log(DUET_LOG_WARN, "blkback: %s: queue %u: nbd "
			 "connection lost (%s); reconnecting",
			 q->dev->ctx->dir, q->index, why);
	}
	nq->retry_at = now + (uint64_t)nq->backoff_ms * 1000000ull;
	nq->backoff_ms *= 2;
	if (nq->backoff_ms > BB_NBD_BACKOFF_MAX_MS)
		nq->backoff_ms = BB_NBD_BACKOFF_MAX_MS;
}

/* The handshake of a new connection finished. */
static void conn_up(struct bb_queue *q)
{
	struct nbd_q *nq = q->eng_priv;
	char why[200];
	int64_t size = lib.nbd_get_size(nq->h);

	if (size != nq->nd->size) {
		snprintf(why, sizeof(why), "the export's size is now %lld, "
			 "was %lld", (long long)size,
			 (long long)nq->nd->size);
		conn_drop(q, why);
		return;
	}
	nq->ready = 1;
	nq->backoff_ms = BB_NBD_BACKOFF_MIN_MS;
	if (nq->down_since) {
		duet_log(DUET_LOG_INFO, "blkback: %s: queue %u: nbd "
			 "reconnected after %llu ms", q->dev->ctx->dir,
			 q->index, (unsigned long long)((bb_now() -
							 nq->down_since) /
							1000000ull));
		nq->down_since = 0;
	}
	wait_flush(nq);
}

/* A command older than the bound: the server hangs; cut the connection
 * (libnbd then fails its commands, and they are retried or failed). */
static void scan_inflight(struct bb_queue *q, uint64_t now)
{
	struct nbd_q *nq = q->eng_priv;
	unsigned i;
	int fd;

	nq->last_scan = now;
	if (!nq->ready)
		return;
	for (i = 0; i < q->nreqs; i++) {
		struct bb_req *r = &q->reqs[i];

		if (!r->eng_cmds || now - r->eng_t0 < nq->nd->stall_ns)
			continue;
		fd = lib.nbd_aio_get_fd(nq->h);
		if (fd >= 0)
			shutdown(fd, SHUT_RDWR);
		conn_drop(q, "no answer within the stall bound");
		return;
	}
}

/* Drive the connection after poll() said @revents (0: nothing). */
static void service(struct bb_queue *q, short revents)
{
	struct nbd_q *nq = q->eng_priv;
	uint64_t now = bb_now();
	char why[400];

	if (nq->h) {
		if (revents)
			conn_notify(nq->h, revents);
		if (lib.nbd_aio_is_dead(nq->h) || lib.nbd_aio_is_closed(nq->h))
			conn_drop(q, nbd_errline(why, sizeof(why)));
		else if (!nq->ready && lib.nbd_aio_is_ready(nq->h))
			conn_up(q);
		else if (!nq->ready && now >= nq->conn_deadline)
			conn_drop(q, "connection attempt timed out");
	} else if (now >= nq->retry_at) {
		nq->h = conn_start(nq->nd->uri, why, sizeof(why));
		if (!nq->h)
			conn_drop(q, why);
		else
			nq->conn_deadline = now + BB_NBD_OPEN_MS * 1000000ull;
	}
	if (nq->wait_head && !nq->ready)
		fail_expired_waiters(nq, now);
	if (now - nq->last_scan >= BB_NBD_SCAN_NS)
		scan_inflight(q, now);
}

/* ------------------------------------------------------------------ */
/* The queue ops                                                       */
/* ------------------------------------------------------------------ */

static int nbd_queue_open(struct bb_queue *q)
{
	struct nbd_q *nq = calloc(1, sizeof(*nq));
	unsigned i;

	if (!nq)
		return -ENOMEM;
	nq->ctx = calloc(q->nreqs, sizeof(*nq->ctx));
	if (!nq->ctx) {
		free(nq);
		return -ENOMEM;
	}
	for (i = 0; i < q->nreqs; i++)
		nq->ctx[i].nq = nq;
	nq->nd = q->dev->eng_priv;
	nq->backoff_ms = BB_NBD_BACKOFF_MIN_MS;
	nq->last_scan = bb_now();
	q->eng_priv = nq;
	/* Connect now; the queue's thread finishes the handshake. */
	service(q, 0);
	return 0;
}

static void nbd_queue_close(struct bb_queue *q)
{
	struct nbd_q *nq = q->eng_priv;
	unsigned i;

	if (!nq)
		return;
	if (nq->h) {
		if (nq->ready)
			lib.nbd_shutdown(nq->h, 0);
		lib.nbd_close(nq->h);
	}
	/* Nothing may point at the requests any more. */
	for (i = 0; i < q->nreqs; i++)
		q->reqs[i].eng_cmds = 0;
	free(nq->ctx);
	free(nq);
	q->eng_priv = NULL;
}

static int nbd_submit(struct bb_queue *q, struct bb_req *r)
{
	struct nbd_q *nq = q->eng_priv;

	r->cqes = 1; /* the engine's until reap() hands it back */
	r->eng_t0 = bb_now();
	r->eng_stage = 0;
	r->eng_flags = 0;
	r->eng_err = 0;
	r->eng_cmds = 0;
	if (nq->ready)
		issue(nq, r);
	else
		wait_add(nq, r);
	return 0;
}

static void nbd_kick(struct bb_queue *q)
{
}

static unsigned nbd_reap(struct bb_queue *q, struct bb_req **done,
			 unsigned max)
{
	struct nbd_q *nq = q->eng_priv;
	struct pollfd pfd;
	unsigned n = 0;
	uint64_t now;

	/* Replies that arrived while the ring kept the thread busy. */
	if (nq->h && (pfd.fd = lib.nbd_aio_get_fd(nq->h)) >= 0) {
		pfd.events = conn_events(nq->h);
		pfd.revents = 0;
		if (poll(&pfd, 1, 0) > 0)
			service(q, pfd.revents);
	}
	now = bb_now();
	while (nq->cq && n < max) {
		struct bb_req *r = nq->cq;

		nq->cq = r->eng_next;
		if (r->eng_flags & RF_RETRY) {
			r->eng_stage = 0;
			if (now - r->eng_t0 >= nq->nd->stall_ns) {
				r->eng_err = -EIO;
			} else if (nq->ready) {
				r->eng_flags &= (uint8_t)~RF_RETRY;
				issue(nq, r);
				continue;
			} else {
				wait_add(nq, r);
				continue;
			}
		} else if (!r->eng_err && r->p.kind == BB_FLUSH &&
			   r->p.nseg && !nq->nd->fua && !r->eng_stage) {
			/* The data is written: now the flush. */
			r->eng_stage = 1;
			if (nq->ready)
				issue(nq, r);
			else
				wait_add(nq, r);
			continue;
		}
		if (!r->eng_err && r->p.kind == BB_READ &&
		    (r->eng_flags & RF_LINEAR))
			req_scatter(r);
		r->err = r->eng_err;
		r->cqes = 0;
		done[n++] = r;
	}
	return n;
}

static int nbd_ready(struct bb_queue *q)
{
	struct nbd_q *nq = q->eng_priv;

	return nq->cq != NULL;
}

static int nbd_poll_fd(struct bb_queue *q, short *events)
{
	struct nbd_q *nq = q->eng_priv;

	*events = 0;
	if (!nq->h)
		return -1;
	*events = conn_events(nq->h);
	return lib.nbd_aio_get_fd(nq->h);
}

static void nbd_poll_done(struct bb_queue *q, short revents)
{
	service(q, revents);
}

static int nbd_timeout_ms(struct bb_queue *q)
{
	struct nbd_q *nq = q->eng_priv;
	uint64_t now = bb_now(), until = 0;

	if (!nq->h)
		until = nq->retry_at;
	else if (!nq->ready)
		until = nq->conn_deadline;
	if (nq->wait_head || q->inflight) {
		uint64_t scan = now + BB_NBD_SCAN_NS;

		if (!until || scan < until)
			until = scan;
	}
	if (!until)
		return -1;
	return until <= now ? 0 : (int)((until - now) / 1000000ull) + 1;
}

/*
 * Drain at stop: requests still waiting for a connection are failed now
 * (the frontend is going); those in flight get up to the stall bound.
 */
static int nbd_wait(struct bb_queue *q)
{
	struct nbd_q *nq = q->eng_priv;
	struct pollfd pfd;
	int t;

	while (nq->wait_head) {
		struct bb_req *r = nq->wait_head;

		nq->wait_head = r->eng_next;
		r->eng_err = -EIO;
		r->eng_next = nq->cq;
		nq->cq = r;
	}
	nq->wait_tail = NULL;
	while (!nq->cq) {
		if (!nq->h)
			return -ENOTCONN;
		pfd.fd = nbd_poll_fd(q, &pfd.events);
		pfd.revents = 0;
		t = nbd_timeout_ms(q);
		if (pfd.fd < 0)
			return -ENOTCONN;
		if (poll(&pfd, 1, t < 0 ? 1000 : t) < 0)
			return -errno;
		service(q, pfd.revents);
		/* Never reconnect only to drain: what waits has failed. */
		if (!nq->ready)
			while (nq->wait_head) {
				struct bb_req *r = nq->wait_head;

				nq->wait_head = r->eng_next;
				r->eng_err = -EIO;
				r->eng_next = nq->cq;
				nq->cq = r;
			}
	}
	return 0;
}

const struct bb_engine_ops bb_engine_nbd = {
	.name = "nbd",
	.open = nbd_open,
	.close = nbd_dev_close,
	.queue_open = nbd_queue_open,
	.queue_close = nbd_queue_close,
	.submit = nbd_submit,
	.kick = nbd_kick,
	.reap = nbd_reap,
	.ready = nbd_ready,
	.poll_fd = nbd_poll_fd,
	.poll_done = nbd_poll_done,
	.timeout_ms = nbd_timeout_ms,
	.wait = nbd_wait,
};

#endif /* DUET_HAVE_LIBNBD */

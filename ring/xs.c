/* SPDX-License-Identifier: MIT */
/*
 * xs.c - duet/xs.h on libxenstore.
 *
 * libxenstore reports failures as NULL/false with errno set; this file
 * turns each into a negative errno and nothing else.  The connection goes
 * to the platform's xenstore: on the simulator the platform names a unix
 * socket, which libxenstore takes from $XENSTORED_PATH.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xenstore.h>

#include "duet/xs.h"
#include "gnttab/xs-socket.h"

struct duet_xs {
	struct xs_handle *h;
	int fd;
};

static int neg_errno(int fallback)
{
	return errno > 0 ? -errno : -fallback;
}

int duet_xs_open(struct duet_platform *p, struct duet_xs **out)
{
	const char *sock;
	struct duet_xs *xs;

	if (!p || !out)
		return -EINVAL;
	xs = calloc(1, sizeof(*xs));
	if (!xs)
		return -ENOMEM;
	sock = duet_platform_xs_socket(p);
	errno = 0;
	if (sock) {
		if (setenv("XENSTORED_PATH", sock, 1) < 0) {
			free(xs);
			return -errno;
		}
		xs->h = xs_open(XS_OPEN_SOCKETONLY);
	} else {
		xs->h = xs_open(0);
	}
	if (!xs->h) {
		int rc = neg_errno(ENOENT);

		duet_log(DUET_LOG_ERR, "cannot connect to xenstore%s%s: %s",
			 sock ? " at " : "", sock ? sock : "", strerror(-rc));
		free(xs);
		return rc;
	}
	xs->fd = xs_fileno(xs->h);
	if (xs->fd < 0) {
		int rc = neg_errno(EIO);

		xs_close(xs->h);
		free(xs);
		return rc;
	}
	*out = xs;
	return 0;
}

void duet_xs_close(struct duet_xs *xs)
{
	if (!xs)
		return;
	xs_close(xs->h);
	free(xs);
}

int duet_xs_read(struct duet_xs *xs, duet_xs_tx_t tx, const char *path,
		 char **val)
{
	unsigned int len;
	char *v;

	if (!xs || !path || !val)
		return -EINVAL;
	errno = 0;
	v = xs_read(xs->h, tx, path, &len);
	if (!v)
		return neg_errno(EIO);
	*val = v;
	return (int)len;
}

int duet_xs_write(struct duet_xs *xs, duet_xs_tx_t tx, const char *path,
		  const char *val)
{
	if (!xs || !path || !val)
		return -EINVAL;
	errno = 0;
	if (!xs_write(xs->h, tx, path, val, (unsigned)strlen(val)))
		return neg_errno(EIO);
	return 0;
}

int duet_xs_printf(struct duet_xs *xs, duet_xs_tx_t tx, const char *path,
		   const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -E2BIG;
	return duet_xs_write(xs, tx, path, buf);
}

int duet_xs_mkdir(struct duet_xs *xs, duet_xs_tx_t tx, const char *path)
{
	if (!xs || !path)
		return -EINVAL;
	errno = 0;
	if (!xs_mkdir(xs->h, tx, path))
		return neg_errno(EIO);
	return 0;
}

int duet_xs_rm(struct duet_xs *xs, duet_xs_tx_t tx, const char *path)
{
	if (!xs || !path)
		return -EINVAL;
	errno = 0;
	if (!xs_rm(xs->h, tx, path))
		return errno == ENOENT ? 0 : neg_errno(EIO);
	return 0;
}

int duet_xs_directory(struct duet_xs *xs, duet_xs_tx_t tx, const char *path,
		      char ***names)
{
	unsigned int n;
	char **v;

	if (!xs || !path || !names)
		return -EINVAL;
	errno = 0;
	v = xs_directory(xs->h, tx, path, &n);
	if (!v)
		return neg_errno(EIO);
	*names = v;
	return (int)n;
}

static unsigned from_xs_perm(unsigned p)
{
	return ((p & XS_PERM_READ) ? DUET_XS_PERM_READ : 0) |
	       ((p & XS_PERM_WRITE) ? DUET_XS_PERM_WRITE : 0);
}

static unsigned to_xs_perm(unsigned p)
{
	return ((p & DUET_XS_PERM_READ) ? XS_PERM_READ : 0) |
	       ((p & DUET_XS_PERM_WRITE) ? XS_PERM_WRITE : 0);
}

int duet_xs_set_perms(struct duet_xs *xs, duet_xs_tx_t tx, const char *path,
		      const struct duet_xs_perm *perms, unsigned count)
{
	struct xs_permissions *xp;
	unsigned i;
	bool ok;

	if (!xs || !path || !perms || !count || count > 1024)
		return -EINVAL;
	xp = calloc(count, sizeof(*xp));
	if (!xp)
		return -ENOMEM;
	for (i = 0; i < count; i++) {
		xp[i].id = perms[i].domid;
		xp[i].perms = to_xs_perm(perms[i].perms);
	}
	errno = 0;
	ok = xs_set_permissions(xs->h, tx, path, xp, count);
	free(xp);
	return ok ? 0 : neg_errno(EIO);
}

int duet_xs_get_perms(struct duet_xs *xs, duet_xs_tx_t tx, const char *path,
		      struct duet_xs_perm *perms, unsigned max)
{
	struct xs_permissions *xp;
	unsigned int n, i;

	if (!xs || !path || (max && !perms))
		return -EINVAL;
	errno = 0;
	xp = xs_get_permissions(xs->h, tx, path, &n);
	if (!xp)
		return neg_errno(EIO);
	for (i = 0; i < n && i < max; i++) {
		perms[i].domid = xp[i].id;
		perms[i].perms = from_xs_perm(xp[i].perms);
	}
	free(xp);
	return (int)n;
}

int duet_xs_tx_start(struct duet_xs *xs, duet_xs_tx_t *tx)
{
	xs_transaction_t t;

	if (!xs || !tx)
		return -EINVAL;
	errno = 0;
	t = xs_transaction_start(xs->h);
	if (t == XBT_NULL)
		return neg_errno(EIO);
	*tx = t;
	return 0;
}

int duet_xs_tx_end(struct duet_xs *xs, duet_xs_tx_t tx, int abort)
{
	if (!xs || tx == DUET_XS_NO_TX)
		return -EINVAL;
	errno = 0;
	if (!xs_transaction_end(xs->h, tx, abort ? true : false))
		return neg_errno(EIO);
	return 0;
}

int duet_xs_watch(struct duet_xs *xs, const char *path, const char *token)
{
	if (!xs || !path || !token)
		return -EINVAL;
	errno = 0;
	if (!xs_watch(xs->h, path, token))
		return neg_errno(EIO);
	return 0;
}

int duet_xs_unwatch(struct duet_xs *xs, const char *path, const char *token)
{
	if (!xs || !path || !token)
		return -EINVAL;
	errno = 0;
	if (!xs_unwatch(xs->h, path, token))
		return neg_errno(EIO);
	return 0;
}

int duet_xs_fd(struct duet_xs *xs)
{
	return xs ? xs->fd : -EINVAL;
}

int duet_xs_read_watch(struct duet_xs *xs, char **path, char **token)
{
	char **v;

	if (!xs || !path || !token)
		return -EINVAL;
	errno = 0;
	v = xs_check_watch(xs->h);
	if (!v)
		return (errno == EAGAIN || errno == 0) ? 0 : neg_errno(EIO);
	/*
	 * libxenstore returns the vector and both strings in one block;
	 * hand the caller the block through *path so free(*path) frees
	 * everything.
	 */
	*token = v[XS_WATCH_TOKEN];
	*path = v[XS_WATCH_PATH];
	if ((void *)*path != (void *)v) {
		size_t pl = strlen(*path) + 1, tl = strlen(*token) + 1;
		char *blk = malloc(pl + tl);

		if (!blk) {
			free(v);
			return -ENOMEM;
		}
		memcpy(blk, *path, pl);
		memcpy(blk + pl, *token, tl);
		free(v);
		*path = blk;
		*token = blk + pl;
	}
	return 1;
}

int duet_xs_domain_path(struct duet_xs *xs, unsigned domid, char **path)
{
	char *v;

	if (!xs || !path)
		return -EINVAL;
	errno = 0;
	v = xs_get_domain_path(xs->h, domid);
	if (!v)
		return neg_errno(EIO);
	*path = v;
	return (int)strlen(v);
}

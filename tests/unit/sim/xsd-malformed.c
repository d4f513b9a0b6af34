/* SPDX-License-Identifier: MIT */
/*
 * Hostile and malformed messages over a raw socket: each gets an error reply
 * (with the request's req_id) or a closed connection, and the server keeps
 * serving everybody else.
 */
#include "lib/xsd-harness.h"

static char buf[XENSTORE_PAYLOAD_MAX + 1];

/* Send one request; expect an XS_ERROR with @err. */
static void expect_error(int fd, uint32_t type, const void *p, uint32_t len,
			 const char *err, const char *what)
{
	static uint32_t req_id = 100;
	struct xsd_sockmsg m;
	int r;

	req_id++;
	h_send(fd, type, req_id, 0, p, len);
	r = h_recv(fd, &m, buf, sizeof(buf), 2000);
	ok(r == 0 && m.type == XS_ERROR && m.req_id == req_id &&
		   !strcmp(buf, err),
	   "%s: %s", what, err);
	if (r)
		diag("recv: %d", r);
	else if (m.type != XS_ERROR || strcmp(buf, err))
		diag("got type %u '%s'", m.type, buf);
}

/* The server still answers a fresh connection. */
static void still_serving(const char *what)
{
	struct xs_handle *xs = h_xs(0);
	char *v;

	h_write(xs, "/alive", "yes");
	v = h_read(xs, "/alive");
	is_str(v, "yes", "%s", what);
	free(v);
	xs_close(xs);
}

static void error_replies(void)
{
	int fd = h_raw(0);
	char longpath[XENSTORE_ABS_PATH_MAX + 8];

	expect_error(fd, XS_READ, "/local", 6, "EINVAL",
		     "a path without its NUL");
	expect_error(fd, XS_READ, "/local\0x", 8, "EINVAL",
		     "trailing bytes after a single argument");
	expect_error(fd, XS_READ, "", 0, "EINVAL", "an empty payload");
	expect_error(fd, 9999, "x", 2, "ENOSYS", "an unknown type");
	expect_error(fd, XS_WATCH_EVENT, "/a\0t", 5, "ENOSYS",
		     "a WATCH_EVENT sent by a client");
	expect_error(fd, XS_ERROR, "EINVAL", 7, "ENOSYS",
		     "an ERROR sent by a client");
	expect_error(fd, XS_READ, "/a b", 5, "EINVAL", "a bad character");
	expect_error(fd, XS_READ, "/a//b", 6, "EINVAL", "a double slash");
	expect_error(fd, XS_READ, "/a/", 4, "EINVAL", "a trailing slash");
	expect_error(fd, XS_READ, "", 1, "EINVAL", "an empty path");
	memset(longpath, 'a', sizeof(longpath));
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	expect_error(fd, XS_WRITE, longpath, sizeof(longpath), "EINVAL",
		     "a path over XENSTORE_ABS_PATH_MAX");
	expect_error(fd, XS_WRITE, "/nonul", 6, "EINVAL",
		     "a WRITE without the path's NUL");
	expect_error(fd, XS_SET_PERMS, "/local\0x0", 10, "EINVAL",
		     "a bad permission letter");
	expect_error(fd, XS_SET_PERMS, "/local\0r99999", 14, "EINVAL",
		     "a permission domid over 65535");
	expect_error(fd, XS_SET_PERMS, "/local", 7, "EINVAL",
		     "SET_PERMS without any permission");
	expect_error(fd, XS_WATCH, "/a", 3, "EINVAL", "a WATCH without token");
	expect_error(fd, XS_TRANSACTION_END, "X", 2, "EINVAL",
		     "TRANSACTION_END neither T nor F");
	expect_error(fd, XS_GET_DOMAIN_PATH, "abc", 4, "EINVAL",
		     "a non-numeric domid");
	expect_error(fd, XS_RM, "/", 2, "EINVAL", "removing the root");
	expect_error(fd, XS_INTRODUCE, "0\0" "1\0" "2", 6, "EINVAL",
		     "introducing dom0");
	close(fd);
	still_serving("the server still serves after the error replies");
}

static void oversized_closes(void)
{
	int fd = h_raw(0);
	struct xsd_sockmsg m;
	int r;

	h_send(fd, XS_READ, 1, 0, NULL, 0);
	/* a header announcing XENSTORE_PAYLOAD_MAX + 1 bytes */
	m = (struct xsd_sockmsg){ XS_WRITE, 2, 0, XENSTORE_PAYLOAD_MAX + 1 };
	(void)!write(fd, &m, sizeof(m));
	r = h_recv(fd, &m, buf, sizeof(buf), 2000);
	ok(r == 0 && m.req_id == 1, "the request before it is answered");
	r = h_recv(fd, &m, buf, sizeof(buf), 2000);
	is_int(r, -1, "a payload over XENSTORE_PAYLOAD_MAX closes the "
		      "connection");
	close(fd);
	still_serving("the server still serves after an oversized message");
}

static void truncated_and_garbage(void)
{
	int fd = h_raw(1);
	char junk[512];
	unsigned int i;

	for (i = 0; i < sizeof(junk); i++)
		junk[i] = (char)(i * 37 + 11);
	(void)!write(fd, "\x02\x00\x00", 3);
	close(fd);
	fd = h_raw(1);
	(void)!write(fd, junk, sizeof(junk));
	usleep(50000);
	close(fd);
	still_serving("a truncated header and random bytes do not hurt the "
		      "server");
}

static void partial_writes(void)
{
	int fd = h_raw(0);
	struct xsd_sockmsg m = { XS_READ, 77, 0, 7 };
	const char *p = (const char *)&m;
	int r;
	size_t i;

	for (i = 0; i < sizeof(m); i++) {
		(void)!write(fd, p + i, 1);
		usleep(1000);
	}
	(void)!write(fd, "/lo", 3);
	usleep(5000);
	(void)!write(fd, "cal", 4);
	r = h_recv(fd, &m, buf, sizeof(buf), 2000);
	ok(r == 0 && m.type == XS_READ && m.req_id == 77,
	   "a request split into single bytes is reassembled");
	close(fd);
}

static void big_directory(void)
{
	struct xs_handle *xs = h_xs(0);
	char path[64];
	unsigned int n, i;
	char **d;

	for (i = 0; i < 300; i++) {
		snprintf(path, sizeof(path), "/big/child-with-long-name-%04u",
			 i);
		h_write(xs, path, "");
	}
	d = xs_directory(xs, XBT_NULL, "/big", &n);
	ok(d && n == 300, "a directory over XENSTORE_PAYLOAD_MAX is listed "
			  "whole (E2BIG, then DIRECTORY_PART)");
	free(d);
	xs_close(xs);
}

int main(void)
{
	h_start(NULL);
	error_replies();
	oversized_closes();
	truncated_and_garbage();
	partial_writes();
	big_directory();
	h_stop();
	return done_testing();
}

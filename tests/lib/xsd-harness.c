/* SPDX-License-Identifier: MIT */
/*
 * xsd-harness.c - the test code declared in xsd-harness.h, built once into
 * libduet-test.a.
 */
#include "lib/xsd-harness.h"

void h_lock(void)
{
	xsh_lock();
}

void h_unlock(void)
{
	xsh_unlock();
}

const char *h_sock(unsigned int domid)
{
	static char path[2][sizeof(xsh_dir) + 32];
	static int i;

	i ^= 1;
	snprintf(path[i], sizeof(path[i]), "%s/xs-%u.sock", xsh_dir, domid);
	return path[i];
}

/*
 * Start a server with @lim (NULL = defaults) behaving like @f, with
 * domains 0 and 1.  h_stop() ends it; another may be started after.
 */
static void h_start_as(const struct simxsd_limits *lim,
		       enum simxsd_flavour f)
{
	signal(SIGPIPE, SIG_IGN);
	xsh_create_as("xsd", lim, f);
	xsh_serve();
}

void h_start(const struct simxsd_limits *lim)
{
	h_start_as(lim, SIMXSD_OXENSTORED);
}

void h_stop(void)
{
	xsh_destroy();
}

enum simxsd_flavour h_flavour;

void h_each_flavour(const struct simxsd_limits *lim,
		    void (*cases)(void))
{
	static const enum simxsd_flavour all[] = { SIMXSD_OXENSTORED,
						   SIMXSD_XENSTORED };
	unsigned int i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		h_flavour = all[i];
		h_start_as(lim, h_flavour);
		cases();
		h_stop();
	}
}

void h_set_perms(struct xs_handle *xs, const char *path, int n,
		 unsigned int id0, int p0, unsigned int id1,
		 int p1)
{
	struct xs_permissions p[2] = { { id0, p0 }, { id1, p1 } };

	if (!xs_set_permissions(xs, XBT_NULL, path, p, n))
		diag("set perms %s: %s", path, strerror(errno));
}

struct xs_handle *h_xs(unsigned int domid)
{
	struct xs_handle *xs;

	setenv("XENSTORED_PATH", h_sock(domid), 1);
	xs = xs_open(0);
	if (!xs) {
		printf("Bail out! xs_open as dom%u: %s\n", domid,
		       strerror(errno));
		exit(1);
	}
	return xs;
}

char **h_event(struct xs_handle *xs, int ms)
{
	struct pollfd pfd = { .fd = xs_fileno(xs), .events = POLLIN };
	char **v = xs_check_watch(xs);

	if (v)
		return v;
	if (poll(&pfd, 1, ms) <= 0)
		return NULL;
	return xs_check_watch(xs);
}

int h_drain(struct xs_handle *xs, int ms)
{
	char **v;
	int n = 0;

	while ((v = h_event(xs, ms))) {
		free(v);
		n++;
	}
	return n;
}

char *h_read(struct xs_handle *xs, const char *path)
{
	unsigned int len;

	return xs_read(xs, XBT_NULL, path, &len);
}

bool h_write(struct xs_handle *xs, const char *path,
	     const char *val)
{
	return xs_write(xs, XBT_NULL, path, val, strlen(val));
}

int h_raw(unsigned int domid)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	strcpy(sa.sun_path, h_sock(domid));
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		printf("Bail out! raw connect: %s\n", strerror(errno));
		exit(1);
	}
	return fd;
}

int h_send(int fd, uint32_t type, uint32_t req_id,
	   uint32_t tx_id, const void *p, uint32_t len)
{
	struct xsd_sockmsg m = { type, req_id, tx_id, len };

	if (write(fd, &m, sizeof(m)) != (ssize_t)sizeof(m))
		return -1;
	if (len && write(fd, p, len) != (ssize_t)len)
		return -1;
	return 0;
}

/* Read exactly @len bytes within @ms; 0, -1 on EOF/error, -2 on timeout */
static int h_recv_all(int fd, void *buf, size_t len, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		if (poll(&pfd, 1, ms) <= 0)
			return -2;
		n = read(fd, (char *)buf + got, len - got);
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	return 0;
}

int h_recv(int fd, struct xsd_sockmsg *m, char *buf,
	   size_t size, int ms)
{
	int r = h_recv_all(fd, m, sizeof(*m), ms);

	if (r)
		return r;
	if (m->len >= size)
		return -3;
	r = h_recv_all(fd, buf, m->len, ms);
	if (r)
		return r;
	buf[m->len] = '\0';
	return 0;
}

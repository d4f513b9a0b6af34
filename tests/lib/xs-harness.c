/* SPDX-License-Identifier: MIT */
/*
 * xs-harness.c - the test code declared in xs-harness.h, built once into
 * libduet-test.a.
 */
#include "lib/xs-harness.h"

char xsh_dir[256], xsh_sock0[300], xsh_sock1[300];

static volatile int xsh_stop;

struct simxsd *xsd;

static pthread_t xsh_thread;

static pthread_mutex_t xsh_mutex = PTHREAD_MUTEX_INITIALIZER;

static void *xsh_loop(void *arg)
{
	struct pollfd pfd = { .fd = simxsd_fd(xsd), .events = POLLIN };

	while (!xsh_stop) {
		if (poll(&pfd, 1, 50) > 0) {
			pthread_mutex_lock(&xsh_mutex);
			simxsd_dispatch(xsd);
			pthread_mutex_unlock(&xsh_mutex);
		}
	}
	return NULL;
}

void xsh_lock(void)
{
	pthread_mutex_lock(&xsh_mutex);
}

void xsh_unlock(void)
{
	pthread_mutex_unlock(&xsh_mutex);
}

void xsh_create_as(const char *name,
		   const struct simxsd_limits *lim,
		   enum simxsd_flavour flavour)
{
	xsh_stop = 0;
	snprintf(xsh_dir, sizeof(xsh_dir), "/tmp/duet-%s-XXXXXX", name);
	if (!mkdtemp(xsh_dir))
		skip_all("cannot make a temporary directory");
	snprintf(xsh_sock0, sizeof(xsh_sock0), "%s/xs-0.sock", xsh_dir);
	snprintf(xsh_sock1, sizeof(xsh_sock1), "%s/xs-1.sock", xsh_dir);
	if (simxsd_create(lim, &xsd) || simxsd_set_flavour(xsd, flavour) ||
	    simxsd_domain_add(xsd, 0, xsh_sock0) ||
	    simxsd_domain_add(xsd, 1, xsh_sock1)) {
		printf("Bail out! cannot start the xenstore server\n");
		exit(1);
	}
}

void xsh_create(const char *name)
{
	xsh_create_as(name, NULL, SIMXSD_OXENSTORED);
}

void xsh_serve(void)
{
	pthread_create(&xsh_thread, NULL, xsh_loop, NULL);
}

static const char *xsh_sock_of(struct duet_platform *p)
{
	return p->priv;
}

static const struct duet_platform_ops xsh_ops = {
	.name = "test",
	.xs_socket = xsh_sock_of,
};

struct duet_xs *xsh_xs(const char *sock)
{
	static struct duet_platform plat[4];
	static int n;
	struct duet_platform *p = &plat[n++ % 4];
	struct duet_xs *xs;

	p->ops = &xsh_ops;
	p->priv = (void *)sock;
	if (duet_xs_open(p, &xs)) {
		printf("Bail out! cannot connect to %s\n", sock);
		exit(1);
	}
	return xs;
}

void xsh_destroy(void)
{
	xsh_stop = 1;
	pthread_join(xsh_thread, NULL);
	simxsd_destroy(xsd);
	xsd = NULL;
	rmdir(xsh_dir);
}

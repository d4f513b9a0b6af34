/* SPDX-License-Identifier: MIT */
/*
 * xs-harness.h - the simulator's xs_wire server in a thread of a test, and
 * duet_xs handles connected to it through a stand-in platform that only
 * knows its xenstore socket.
 *
 *   xsh_create("name")   temp dir, server, domains 0 and 1 with sockets
 *   xsh_create_as("name", lim, flavour)  the same with quotas (NULL: the
 *                        defaults) and a flavour (sim/xsd.h)
 *   ... seed the store with simxsd_* calls (not thread-safe: before serve)
 *   xsh_serve()          start serving in a thread
 *   xsh_lock()/xsh_unlock()  while serving, around direct simxsd_* calls
 *   xsh_xs(xsh_sock0)    a duet_xs acting as domain 0 (xsh_sock1: domain 1)
 *   xsh_destroy()        stop the thread, free the server, remove the dir;
 *                        another xsh_create*() may follow
 *
 * Sockets are <xsh_dir>/xs-<domid>.sock.
 */
#ifndef DUET_TESTS_XS_HARNESS_H
#define DUET_TESTS_XS_HARNESS_H

#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "duet/xs.h"
#include "gnttab/private.h"
#include "sim/xsd.h"
#include "tap.h"

static char xsh_dir[256], xsh_sock0[300], xsh_sock1[300];
static volatile int xsh_stop;
static struct simxsd *xsd;
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

static inline void xsh_lock(void)
{
	pthread_mutex_lock(&xsh_mutex);
}

static inline void xsh_unlock(void)
{
	pthread_mutex_unlock(&xsh_mutex);
}

static inline void xsh_create_as(const char *name,
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

static inline void xsh_create(const char *name)
{
	xsh_create_as(name, NULL, SIMXSD_OXENSTORED);
}

static inline void xsh_serve(void)
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

static inline struct duet_xs *xsh_xs(const char *sock)
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

static inline void xsh_destroy(void)
{
	xsh_stop = 1;
	pthread_join(xsh_thread, NULL);
	simxsd_destroy(xsd);
	xsd = NULL;
	rmdir(xsh_dir);
}

#endif /* DUET_TESTS_XS_HARNESS_H */

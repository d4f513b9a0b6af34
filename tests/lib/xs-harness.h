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
#ifndef DUET_TESTS_LIB_XS_HARNESS_H
#define DUET_TESTS_LIB_XS_HARNESS_H

#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "duet/xs.h"
#include "gnttab/private.h"
#include "sim/xsd.h"
#include "tap.h"

extern char xsh_dir[256], xsh_sock0[300], xsh_sock1[300];
extern struct simxsd *xsd;

void xsh_lock(void);

void xsh_unlock(void);

void xsh_create_as(const char *name,
		   const struct simxsd_limits *lim,
		   enum simxsd_flavour flavour);

void xsh_create(const char *name);

void xsh_serve(void);

struct duet_xs *xsh_xs(const char *sock);

void xsh_destroy(void);

#endif /* DUET_TESTS_LIB_XS_HARNESS_H */

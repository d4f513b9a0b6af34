/* SPDX-License-Identifier: MIT */
/*
 * xsd-harness.h - the simulator's xenstore server in a thread of a test
 * program (tests/lib/xs-harness.h: a fresh temporary directory, sockets for
 * dom0 and dom1), talked to with the stock libxenstore or a raw socket.
 *
 * The server is single-threaded by contract: the thread holds a lock
 * around simxsd_dispatch(), and a test that calls simxsd_* on xsd directly
 * takes the lock too (h_lock()/h_unlock()).
 */
#ifndef DUET_TESTS_LIB_XSD_HARNESS_H
#define DUET_TESTS_LIB_XSD_HARNESS_H

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <xenstore.h>
#include <xen/io/xs_wire.h>

#include "lib/xs-harness.h"

void h_lock(void);

void h_unlock(void);

/* The socket of @domid (domains added later use the same naming). */
const char *h_sock(unsigned int domid);

/* The default flavour (oxenstored). */
void h_start(const struct simxsd_limits *lim);

void h_stop(void);

/*
 * The flavour the cases of h_each_flavour() run against: OX is true under
 * oxenstored, FN names it for test descriptions.
 */
extern enum simxsd_flavour h_flavour;
#define OX (h_flavour == SIMXSD_OXENSTORED)
#define FN simxsd_flavour_name(h_flavour)

/*
 * h_each_flavour() - for each xenstored flavour: start a server of it
 * (limits @lim, NULL for the defaults) with h_flavour set to it, run
 * @cases, stop the server.
 */
void h_each_flavour(const struct simxsd_limits *lim,
		    void (*cases)(void));

/* h_set_perms() - give @path the first @n of two permission entries. */
void h_set_perms(struct xs_handle *xs, const char *path, int n,
		 unsigned int id0, int p0, unsigned int id1,
		 int p1);

/* A libxenstore handle connected as @domid. */
struct xs_handle *h_xs(unsigned int domid);

/* Read the next watch event within @ms; NULL on timeout.  Free the
 * result with free(). */
char **h_event(struct xs_handle *xs, int ms);

/* Drain events for @ms; return how many arrived. */
int h_drain(struct xs_handle *xs, int ms);

/* xs_read() as a malloc'd string, or NULL with errno. */
char *h_read(struct xs_handle *xs, const char *path);

bool h_write(struct xs_handle *xs, const char *path,
	     const char *val);

/* ---- raw sockets ---- */

int h_raw(unsigned int domid);

int h_send(int fd, uint32_t type, uint32_t req_id,
	   uint32_t tx_id, const void *p, uint32_t len);

/*
 * Receive one message: header into *m, payload (NUL-terminated) into
 * @buf of @size bytes.  Return 0, -1 on EOF, -2 on timeout, -3 too big.
 */
int h_recv(int fd, struct xsd_sockmsg *m, char *buf,
	   size_t size, int ms);

#endif /* DUET_TESTS_LIB_XSD_HARNESS_H */

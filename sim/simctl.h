/* SPDX-License-Identifier: MIT */
/*
 * sim/simctl.h - the toolstack side of the simulator: admin requests to a
 * running daemon over dom0's control socket, and the simulator directory's
 * lock and pid files.  Used by "duet sim" and by the tests.
 */
#ifndef DUET_SIM_SIMCTL_H
#define DUET_SIM_SIMCTL_H

#include <stddef.h>
#include <stdint.h>

#include "gnttab/platform-sim-wire.h"

/* Files inside the simulator directory. */
#define SIMCTL_LOCK "sim.lock"
#define SIMCTL_PID "sim.pid"
#define SIMCTL_LOG "sim.log"

/*
 * simctl_connect() - connect to dom0's control socket in @dir.
 * Return: the socket (caller closes it), or -errno (-ENOENT /
 * -ECONNREFUSED: no simulator there).  Does not block beyond connect().
 */
int simctl_connect(const char *dir);

/*
 * simctl_call() - one admin request on @fd, blocking for the answer.
 * @op, @domid, @flags: the request head fields.
 * @data, @len:  the request array (may be NULL/0).
 * @out, @out_max: where the reply array goes (may be NULL/0); *@out_len
 *               receives its length when @out_len is not NULL.
 * Return: the reply's rc (>= 0) or -errno.
 */
int simctl_call(int fd, uint32_t op, uint32_t domid, uint32_t flags,
		const void *data, size_t len, void *out, size_t out_max,
		size_t *out_len);

/*
 * simctl_running() - is a daemon holding @dir's lock?
 * Return: its pid (> 0; 0 when the pid file is unreadable yet), or
 * -ESRCH when none runs, or -errno.
 */
int simctl_running(const char *dir);

/*
 * simctl_domain_create() / simctl_domain_destroy() - connect, ask, close.
 * Return: the new domid / 0, or -errno from the daemon or the transport.
 */
int simctl_domain_create(const char *dir, const char *name, int netns);
int simctl_domain_destroy(const char *dir, unsigned domid);

#endif /* DUET_SIM_SIMCTL_H */

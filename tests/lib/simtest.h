/* SPDX-License-Identifier: MIT */
/*
 * simtest.h - run a private simulator daemon for a test program.
 *
 * simtest_start() forks a child that runs the real daemon (sim/simd.c) in
 * a fresh temporary directory; the daemon is stopped and the directory
 * removed at exit.  simtest_open() opens the platform as any domain of it
 * (DUET_DOMID is read at open time, so one process can hold handles of
 * several domains).
 */
#ifndef DUET_TESTS_LIB_SIMTEST_H
#define DUET_TESTS_LIB_SIMTEST_H

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "duet/log.h"
#include "duet/platform.h"
#include "sim/simctl.h"
#include "sim/simd.h"

extern char simtest_dir[64];
extern pid_t simtest_pid;

/* Start a daemon with @frames grant frames per domain (0: default). */
const char *simtest_start(unsigned frames);

/*
 * Restore the default SIGSEGV action with the raw system call, so that a
 * sanitizer's interceptor cannot keep its own handler: a fault then kills
 * the process with SIGSEGV, which is what a test wants to see.
 */
void simtest_default_segv(void);

/* Open the platform as domain @domid; bails out on failure. */
struct duet_platform *simtest_open(unsigned domid);

/* Create a domain; returns its domid, bails out on failure. */
unsigned simtest_domain(const char *name);

/*
 * simtest_pair() - start a simulator with @frames grant frames per domain
 * (0: the default) holding a domain "granter" (*@d1, opened as *@p1) and
 * a domain "grantee" (*@d2, opened as *@p2); bails out on failure.
 */
void simtest_pair(unsigned frames, unsigned *d1,
		  struct duet_platform **p1, unsigned *d2,
		  struct duet_platform **p2);

/* Wait up to @ms for an event on @e; the port or -errno (-ETIMEDOUT). */
int simtest_wait_event(struct duet_evtchn *e, int ms);

/*
 * The peer side of a ping-pong, in its own process: open the platform as
 * domain @me (*@p) and an event-channel handle (*@e), bind to @port of
 * @peer and notify it once to say so.  The local port, or -errno.
 */
int simtest_bind_peer(unsigned me, unsigned peer, unsigned port,
		      struct duet_platform **p, struct duet_evtchn **e);

/* Make @s a grant-copy segment between local @local and grant (@dom,
 * @ref, @off) of @len bytes, towards the grant if @to. */
void simtest_copy_seg(struct duet_gnt_copy_seg *s, int to, void *local,
		      unsigned dom, duet_grant_ref_t ref, unsigned off,
		      unsigned len);

#endif /* DUET_TESTS_LIB_SIMTEST_H */

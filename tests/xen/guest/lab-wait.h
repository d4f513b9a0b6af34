/* SPDX-License-Identifier: MIT */
/*
 * lab-wait.h - event-channel waiting shared by the entry-b test programs.
 *
 * Xen marks a freshly bound interdomain port pending at bind time, and
 * events coalesce, so an event alone says nothing: the caller passes a
 * predicate on shared memory and this loop re-checks it after every batch
 * of events.  The predicate is only looked at after an event arrived, so a
 * lost notification shows up as a time-out, never as a pass.
 */
#ifndef DUET_TESTS_XEN_LAB_WAIT_H
#define DUET_TESTS_XEN_LAB_WAIT_H

#include <errno.h>
#include <poll.h>
#include <time.h>

#include <duet/platform.h>

/**
 * lab_wait_event() - wait for an event on @port (any port when negative)
 * after which @done(@arg) holds, handling every event on @e meanwhile.
 * @timeout_ms: overall limit.
 *
 * Returns the number of events consumed (> 0) once @done holds after an
 * event, -ETIMEDOUT
 * when it did not within @timeout_ms, or another -errno from libduet.
 */
static inline int lab_wait_event(struct duet_evtchn *e, int port,
				 int (*done)(void *arg), void *arg,
				 int timeout_ms)
{
	struct timespec t0, now;
	int events = 0, got, left;
	struct pollfd pfd;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	pfd.fd = duet_evtchn_fd(e);
	pfd.events = POLLIN;
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		left = timeout_ms - (int)((now.tv_sec - t0.tv_sec) * 1000 +
					  (now.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0)
			return -ETIMEDOUT;
		if (poll(&pfd, 1, left > 200 ? 200 : left) < 0 &&
		    errno != EINTR)
			return -errno;
		while ((got = duet_evtchn_pending(e)) >= 0) {
			if (port < 0 || got == port)
				events++;
			duet_evtchn_unmask(e, (duet_evtchn_port_t)got);
		}
		if (got != -EAGAIN)
			return got;
		if (events && done(arg))
			return events;
	}
}

#endif /* DUET_TESTS_XEN_LAB_WAIT_H */

/* SPDX-License-Identifier: MIT */
/*
 * log-internal.h - libduet's internal logging and rate limiting.
 * Not installed; symbols are hidden from the shared library by the
 * version script (they are not part of the API even though they start
 * with duet_).
 */
#ifndef DUET_GNTTAB_LOG_INTERNAL_H
#define DUET_GNTTAB_LOG_INTERNAL_H

#include <stdarg.h>
#include <stdint.h>

#include "duet/log.h"

#define DUET_INTERNAL __attribute__((visibility("hidden")))

DUET_INTERNAL void duet_logv(int level, const char *fmt, va_list ap);

/* At most DUET_RATELIMIT_BURST messages per interval per limiter. */
#define DUET_RATELIMIT_INTERVAL_NS 5000000000ull
#define DUET_RATELIMIT_BURST 5u

/**
 * struct duet_ratelimit - one limiter, usually per connection.
 * @window_start: CLOCK_MONOTONIC ns when the current interval began (0:
 *                never used; zero-initialise the struct).
 * @used:         messages let through in this interval.
 * @suppressed:   messages dropped in this interval (reported when the
 *                next interval starts).
 */
struct duet_ratelimit {
	uint64_t window_start;
	unsigned used;
	unsigned suppressed;
};

/** duet_ratelimit_ok() - 1 if a message may be logged now, else 0. */
DUET_INTERNAL int duet_ratelimit_ok(struct duet_ratelimit *rl);

#endif /* DUET_GNTTAB_LOG_INTERNAL_H */

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

/* The limiter of duet_log_limited() (duet/log.h), for the library's own
 * messages about misbehaving peers. */
/** duet_ratelimit_ok() - 1 if a message may be logged now, else 0. */
DUET_INTERNAL int duet_ratelimit_ok(struct duet_log_limit *rl);

#endif /* DUET_GNTTAB_LOG_INTERNAL_H */

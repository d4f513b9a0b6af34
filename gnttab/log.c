/* SPDX-License-Identifier: MIT */
/*
 * log.c - libduet's message sink and rate limiter.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "duet/log.h"
#include "gnttab/log-internal.h"

static duet_log_fn log_fn;
static void *log_opaque;
static int log_level = -1;

void duet_log_set_handler(duet_log_fn fn, void *opaque)
{
	log_fn = fn;
	log_opaque = opaque;
}

void duet_log_set_level(int level)
{
	log_level = level;
}

static int current_level(void)
{
	const char *s;

	if (log_level >= 0)
		return log_level;
	s = getenv("DUET_LOG_LEVEL");
	if (s && s[0] >= '0' && s[0] <= '3' && !s[1])
		log_level = s[0] - '0';
	else
		log_level = DUET_LOG_INFO;
	return log_level;
}

void duet_logv(int level, const char *fmt, va_list ap)
{
	char msg[512];

	if (level > current_level())
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_fn) {
		log_fn(log_opaque, level, msg);
		return;
	}
	fprintf(stderr, "duet: %s\n", msg);
}

void duet_log(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	duet_logv(level, fmt, ap);
	va_end(ap);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int duet_ratelimit_ok(struct duet_log_limit *rl)
{
	uint64_t t = now_ns();

	if (!rl->window_start ||
	    t - rl->window_start >=
		    DUET_LOG_LIMIT_SECONDS * 1000000000ull) {
		if (rl->suppressed)
			duet_log(DUET_LOG_WARN, "%u messages suppressed",
				 rl->suppressed);
		rl->window_start = t;
		rl->used = 0;
		rl->suppressed = 0;
	}
	if (rl->used < DUET_LOG_LIMIT_BURST) {
		rl->used++;
		return 1;
	}
	rl->suppressed++;
	return 0;
}

void duet_log_limited(struct duet_log_limit *l, int level, const char *fmt,
		      ...)
{
	va_list ap;

	if (!duet_ratelimit_ok(l))
		return;
	va_start(ap, fmt);
	duet_logv(level, fmt, ap);
	va_end(ap);
}

/* SPDX-License-Identifier: MIT */
/*
 * duet/log.h - where libduet's messages go.
 *
 * libduet never prints on its own behalf except through this sink.  The
 * default sink writes "duet: <message>" lines to stderr for messages at or
 * above the current level.  Messages about a misbehaving peer are
 * rate-limited by the library before they reach the sink.
 */
#ifndef DUET_LOG_H
#define DUET_LOG_H

#ifdef __cplusplus
extern "C" {
#endif

/** Message levels, most severe first. */
enum duet_log_level {
	DUET_LOG_ERR = 0,
	DUET_LOG_WARN = 1,
	DUET_LOG_INFO = 2,
	DUET_LOG_DEBUG = 3,
};

/** A log sink: @level is a duet_log_level, @msg has no trailing newline. */
typedef void (*duet_log_fn)(void *opaque, int level, const char *msg);

/**
 * duet_log_set_handler() - route messages to @fn (NULL: back to stderr).
 * Not thread-safe against concurrent logging: call it at start-up.
 */
void duet_log_set_handler(duet_log_fn fn, void *opaque);

/** duet_log_set_level() - drop messages less severe than @level.
 *  The default is DUET_LOG_INFO, or $DUET_LOG_LEVEL (0..3) when set. */
void duet_log_set_level(int level);

/**
 * duet_log() - emit a message through the handler (stderr by default)
 * when @level passes duet_log_set_level().  For local conditions a user
 * should see (a backing store that cannot be opened, a TAP that cannot be
 * made); a peer's protocol violations go through duet_xenbus_broken(),
 * which rate-limits them per device.  Thread-safe.
 */
void duet_log(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/**
 * struct duet_log_limit - one source of messages that must not flood the
 * log (a device's faults, say).  Zero-initialise it; its fields belong to
 * duet_log_limited().
 */
struct duet_log_limit {
	unsigned long long window_start;
	unsigned used;
	unsigned suppressed;
};

/** At most DUET_LOG_LIMIT_BURST messages per DUET_LOG_LIMIT_SECONDS. */
#define DUET_LOG_LIMIT_BURST 5u
#define DUET_LOG_LIMIT_SECONDS 5u

/**
 * duet_log_limited() - duet_log() through limit @l: at most
 * DUET_LOG_LIMIT_BURST messages per DUET_LOG_LIMIT_SECONDS; how many were
 * dropped is logged when the next window opens.  Not thread-safe per
 * @l (callers that share one lock it).
 */
void duet_log_limited(struct duet_log_limit *l, int level, const char *fmt,
		      ...) __attribute__((format(printf, 3, 4)));

#ifdef __cplusplus
}
#endif

#endif /* DUET_LOG_H */

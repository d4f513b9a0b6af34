/* SPDX-License-Identifier: MIT */
/*
 * duet/parse.h - the one decimal parser of libduet.
 *
 * Every decimal that duet reads from a peer, from xenstore, from an xl
 * device specification or from the command line goes through
 * duet_parse_uint(), so that all readers agree on what a string means.
 */
#ifndef DUET_PARSE_H
#define DUET_PARSE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * duet_parse_uint() - a canonical decimal: one or more digits, no sign,
 * no spaces, no trailing bytes, no leading zero except "0" itself, and a
 * value <= @max (no overflow, whatever the length).
 *
 * Leading zeros are refused so that a number has one spelling and no two
 * readers can disagree: "010" is 10 to a strict parser but 8 to
 * strtoul(.., 0), which xl-style tools use, and "vif/099" would name
 * another xenstore directory than the "vif/99" it parses to.  Linux and
 * libxl write canonical decimal, so no real peer is refused; a peer
 * node of "007" is malformed like any other.
 *
 * Pure function, thread-safe.  Returns 0 with *@out set, or -EINVAL
 * (also for a NULL @s or @out) with *@out untouched.
 */
int duet_parse_uint(const char *s, uint64_t max, uint64_t *out);

/**
 * duet_parse_env_uint() - the environment variable @name as a decimal
 * (duet_parse_uint()) up to @max: 0 with *@out set, 0 for the variable
 * unset or empty, or -EINVAL, logged once as "<name>='<value>' is not a
 * number from 0 to <max>" (the knobs: DUET_SIM_EVTCHN_SPIN_US,
 * DUET_NETBACK_POLL_US).
 */
int duet_parse_env_uint(const char *name, uint64_t max, uint64_t *out);

#ifdef __cplusplus
}
#endif

#endif /* DUET_PARSE_H */

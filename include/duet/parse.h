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
 * duet_parse_uint() - a decimal: one or more digits ("007" is 7), no
 * sign, no spaces, no trailing bytes, and a value <= @max (no overflow,
 * whatever the length).
 *
 * Leading zeros are accepted because that is how the peers duet must
 * agree with read a decimal node: Linux's xenbus (kstrtouint(), sscanf's
 * "%u") and libxl both read "007" as 7, so a value a Linux frontend or a
 * toolstack writes never means something else to duet.  Everything else
 * a lenient reader would take (a sign, spaces, "0x", a suffix) is refused,
 * never read as a partial number.  duet itself writes plain "%u".  (Where
 * xl reads a number with strtoul(.., 0), so that "010" is octal -- a
 * device name for xl block-detach -- duet detach does the same before it
 * gets here.)
 *
 * Pure function, thread-safe.  Returns 0 with *@out set, or -EINVAL
 * (also for a NULL @s or @out) with *@out untouched.
 */
int duet_parse_uint(const char *s, uint64_t max, uint64_t *out);

#ifdef __cplusplus
}
#endif

#endif /* DUET_PARSE_H */

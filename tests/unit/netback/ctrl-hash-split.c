/* SPDX-License-Identifier: MIT */
/*
 * ctrl-hash-split.c - ctrl-hash.c's checks with split event channels:
 * the control ring and the hashing of received frames on netback's rx
 * thread.
 */
#define NBT_SPLIT 1
#include "ctrl-hash.c"

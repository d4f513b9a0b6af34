/* SPDX-License-Identifier: MIT */
/*
 * rx-slots-split.c - rx-slots.c's checks with split event channels, so
 * that netback's rx thread does the receiving (and its bad-ref answer).
 */
#define NBT_SPLIT 1
#include "rx-slots.c"

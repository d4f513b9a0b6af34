/* SPDX-License-Identifier: MIT */
/*
 * mcast-split.c - mcast.c's checks with split event channels: the filter
 * is updated by the transmit path (main thread) and consulted by the
 * receive path (netback's rx thread).
 */
#define NBT_SPLIT 1
#include "mcast.c"

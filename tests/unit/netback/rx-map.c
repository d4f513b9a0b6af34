/* SPDX-License-Identifier: MIT */
/*
 * rx-map.c - rx-slots.c's checks with netback receiving by grant map
 * (backend node duet-rx-mode=map): a 9000-byte frame lands in three
 * mapped pages with the right slots, sizes, flags and bytes, and an rx
 * request with a bad grant ref (its map fails, the batch falls back to
 * mapping page by page) gets an error status in its slot while the next
 * frame is delivered.
 */
#define NBT_RX_MODE "map"
#include "rx-slots.c"

/* SPDX-License-Identifier: MIT */
/*
 * tx-map.c - tx-gather.c's checks with netback transmitting by grant map
 * (backend node duet-tx-mode=map): the TAP write gathers the three slots
 * straight from the mapped pages.
 */
#define NBT_TX_MODE "map"
#include "tx-gather.c"

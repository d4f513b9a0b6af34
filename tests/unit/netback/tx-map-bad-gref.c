/* SPDX-License-Identifier: MIT */
/*
 * tx-map-bad-gref.c - tx-bad-gref.c's checks with netback transmitting by
 * grant map (duet-tx-mode=map): a ref that cannot be mapped (its batch
 * falls back to mapping page by page) drops only its packet.
 */
#define NBT_TX_MODE "map"
#include "tx-bad-gref.c"

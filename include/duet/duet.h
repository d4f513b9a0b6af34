/* SPDX-License-Identifier: MIT */
/*
 * duet/duet.h - the umbrella header of libduet.
 *
 * Layers (DESIGN.md): drivers use ring.h (shared rings), xenbus.h and
 * xs.h (XenBus and xenstore) and platform.h (grants, event channels);
 * the platform (real Xen or the simulator) is chosen at run time.
 * xlspec.h parses xl's disk and network device specifications;
 * blkback.h, blkfront.h, netback.h and netfront.h are the drivers, and
 * parse.h the decimal parser everything uses.  It includes every public
 * header (tests/unit/headers.sh checks).
 */
#ifndef DUET_DUET_H
#define DUET_DUET_H

#include "duet/backend.h"
#include "duet/blkback.h"
#include "duet/blkfront.h"
#include "duet/blkif.h"
#include "duet/dma.h"
#include "duet/dma-dev.h"
#include "duet/log.h"
#include "duet/netback.h"
#include "duet/netfront.h"
#include "duet/netif.h"
#include "duet/parse.h"
#include "duet/platform.h"
#include "duet/ring.h"
#include "duet/toeplitz.h"
#include "duet/xenbus.h"
#include "duet/xlspec.h"
#include "duet/xs.h"

#endif /* DUET_DUET_H */

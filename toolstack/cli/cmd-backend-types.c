/* SPDX-License-Identifier: MIT */
/*
 * cmd-backend-types.c - the device types `duet backend` serves by default.
 *
 * One line per type, NULL last.  A driver adds its struct
 * duet_backend_type here (and includes its public header above):
 *   vbd and qdisk: duet_blkback_type_vbd, duet_blkback_type_qdisk (#6)
 *   vif:           duet_netback_type_vif (#7)
 */
#include <stddef.h>

#include "duet/blkback.h"
#include "duet/netback.h"
#include "toolstack/cli/cmd-backend.h"

const struct duet_backend_type *const duet_backend_builtin_types[] = {
	&duet_blkback_type_vbd,
	&duet_blkback_type_qdisk,
	&duet_netback_type_vif,
	NULL,
};

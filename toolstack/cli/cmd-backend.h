/* SPDX-License-Identifier: MIT */
/*
 * cmd-backend.h - the backend daemon (`duet backend`), toolstack-internal.
 *
 * The daemon itself is described in cmd-backend.c; device types are
 * struct duet_backend_type (duet/backend.h).  The built-in types are the
 * NULL-terminated duet_backend_builtin_types[] of cmd-backend-types.c, where
 * each driver adds its entry.  Test programs run the same daemon with
 * extra types of their own (tests/helpers/backend-testd.c).
 */
#ifndef DUET_TOOLSTACK_CLI_CMD_BACKEND_H
#define DUET_TOOLSTACK_CLI_CMD_BACKEND_H

#include "duet/backend.h"

/** The built-in device types, NULL-terminated (cmd-backend-types.c). */
extern const struct duet_backend_type *const duet_backend_builtin_types[];

/**
 * backendd_main() - `duet backend` with its arguments (@argv[0] is the
 * subcommand's name).
 * @extra: NULL, or NULL-terminated types offered besides the built-in
 *         ones; an extra type hides a built-in type of the same name.
 * Runs until SIGTERM/SIGINT (then ends every instance) or until xenstore
 * fails.  Returns the exit status: 0, 1 on failure, 2 on bad arguments.
 */
int backendd_main(int argc, char **argv,
		  const struct duet_backend_type *const *extra);

#endif /* DUET_TOOLSTACK_CLI_CMD_BACKEND_H */

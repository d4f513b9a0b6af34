/* SPDX-License-Identifier: MIT */
/*
 * xs-socket.h - the one platform fact ring/xs.c needs: where the
 * platform's xenstore listens.  Not installed; the rest of gnttab's
 * internals (private.h) stay private to gnttab/.
 */
#ifndef DUET_GNTTAB_XS_SOCKET_H
#define DUET_GNTTAB_XS_SOCKET_H

#include "duet/platform.h"
#include "gnttab/log-internal.h"

/**
 * duet_platform_xs_socket() - the xenstore socket path for @p, or NULL
 * for libxenstore's default.  Used by ring/xs.c to open the xenstore
 * connection of the same platform.
 */
DUET_INTERNAL const char *duet_platform_xs_socket(struct duet_platform *p);

#endif /* DUET_GNTTAB_XS_SOCKET_H */

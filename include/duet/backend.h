/* SPDX-License-Identifier: MIT */
/*
 * duet/backend.h - device types served by the backend daemon.
 *
 * `duet backend` (toolstack/) is the userspace equivalent of `xl devd` plus
 * the kernel's xenbus backend core: it watches
 *   /local/domain/<self>/backend/<type>/<fe-domid>/<devid>/
 * for every registered type and, for each device whose "online" node is
 * "1", forks one instance process.  The instance opens its own platform
 * and xenstore handles, optionally restricts itself to the frontend's
 * domain (DUET_BACKEND_RESTRICT), and calls type->serve().
 *
 * serve() owns the device's XenBus end from then on: it publishes its
 * features, calls duet_xenbus_backend_start() and then drives
 * duet_xenbus_backend_step() (duet/xenbus.h) from its own poll loop until
 * the step says DUET_XENBUS_ACT_DONE or ctx->stop_fd turns readable.
 *
 * The daemon
 *   - ends an instance (SIGTERM, which makes stop_fd readable; SIGKILL
 *     after a grace period) when the backend directory disappears;
 *   - restarts an instance that died from a signal or returned a negative
 *     errno while the device is still online, with back-off.  A restarted
 *     instance (ctx->restarts > 0) finds the frontend in whatever state the
 *     previous one left it; duet_xenbus_backend_start() resets such a
 *     device through Closing so that the frontend reconnects;
 *   - never runs driver code itself, so a crashing device cannot take the
 *     daemon or the other devices down.
 *
 * Drivers export their types (e.g. duet/blkback.h) and never call into
 * the daemon: everything an instance needs is in struct duet_backend_ctx.
 */
#ifndef DUET_BACKEND_H
#define DUET_BACKEND_H

#include "duet/platform.h"
#include "duet/xs.h"

#ifdef __cplusplus
extern "C" {
#endif

/** What an instance is given; valid for the whole serve() call. */
struct duet_backend_ctx {
	/** This instance's platform handle (grants, event channels). */
	struct duet_platform *platform;
	/** This instance's own xenstore connection (not shared). */
	struct duet_xs *xs;
	/** The type directory name: "vbd", "qdisk", "vif", ... */
	const char *type;
	/** The backend directory: /local/domain/<self>/backend/<type>/<fe>/<devid> */
	const char *dir;
	/** The domain the daemon (and this instance) runs in. */
	unsigned self_domid;
	/** The frontend's domain, from the directory name. */
	unsigned frontend_domid;
	/** The device id, from the directory name. */
	unsigned devid;
	/** 0 on the first start, then how many times it was restarted. */
	unsigned restarts;
	/** Turns readable when the daemon asks the instance to end. */
	int stop_fd;
	/**
	 * Where duet_backend_stats_write() publishes the instance's counters
	 * for `duet status` (a file in the daemon's run directory), or NULL.
	 */
	const char *stats_path;
	/**
	 * 1: the toolstack of this domain runs the device's hotplug script
	 * once the backend is in InitWait, and waits for hotplug-status
	 * (libxl: xl create in dom0); the backend leaves it to it.  0: the
	 * backend runs it (a driver domain without xl devd, duet's own
	 * toolstack).  `duet backend --hotplug toolstack|self`; the default
	 * is 1 in domain 0, 0 elsewhere.
	 */
	int toolstack_hotplug;
	/**
	 * The DMA backend (duet/dma.h) the device's I/O goes through by
	 * default: `duet backend --dma NAME`; NULL: none, the driver's own
	 * I/O path.  A device's backend node "dma" (duet/blkif.h,
	 * duet/netif.h) overrides it.  Drivers without DMA support ignore it.
	 */
	const char *dma;
};

/** One counter of an instance ("grants-mapped", 12). */
struct duet_backend_stat {
	const char *key;   /* [a-z0-9-]+ */
	unsigned long long value;
};

/**
 * duet_backend_stats_write() - replace the instance's published counters
 * (write a temporary file and rename it over ctx->stats_path, so a reader
 * sees the old set or the new one).  Cheap enough for every connect and
 * disconnect and a few times a second, not per request.  Returns 0 (also
 * when ctx->stats_path is NULL), -EINVAL for a bad key, or -errno.
 */
int duet_backend_stats_write(const struct duet_backend_ctx *ctx,
			     const struct duet_backend_stat *stats,
			     unsigned n);

/** Flags of struct duet_backend_type. */
#define DUET_BACKEND_RESTRICT 0x1u /* restrict to the frontend's domain
				    * before serve() (Xen only: see
				    * duet_platform_restrict()) */

/*
 * DUET_BACKEND_RESTRICT is a request, not a guarantee: where the platform
 * cannot restrict (-EOPNOTSUPP) the daemon logs it once and runs the
 * instance unrestricted.  The simulator restricts each connection of the
 * handle (grant, map, copy, alloc-unbound and bind only towards the
 * frontend's domain and our own; everything else -EPERM).  On Xen 4.17,
 * xentoolcore_restrict_all() also disables gntdev/gntalloc (map, unmap
 * and copy then fail with -ENOTTY), so a type that maps or copies grants
 * must not set the flag there; only event channels keep working.
 *
 * The daemon itself (toolstack/cli/cmd-backend.c) is not part of
 * libduet: drivers only export their struct duet_backend_type, listed in
 * toolstack/cli/cmd-backend-types.c.
 */

/** A device type the daemon can serve. */
struct duet_backend_type {
	/** The xenstore type directory this type serves ("vbd"). */
	const char *name;
	/** DUET_BACKEND_* flags. */
	unsigned flags;
	/**
	 * serve() - serve one device until it is closed for good.
	 * Runs in the instance process; may block.  Returns 0 when the
	 * device reached Closed while offline, or stop_fd fired (the daemon
	 * does not restart it), or -errno on failure (the daemon restarts
	 * it while the device is online).
	 */
	int (*serve)(const struct duet_backend_ctx *ctx);
};

#ifdef __cplusplus
}
#endif

#endif /* DUET_BACKEND_H */

/* SPDX-License-Identifier: MIT */
/*
 * duet/netback.h - the network backend (netif.h "vif" devices).
 *
 * One instance serves one vif: a TAP device named vif<fe-domid>.<devid>
 * (or the backend's "vifname" node) in the instance's network namespace,
 * attached to the bridge the "bridge" node names (through the "script"
 * node's hotplug script when it exists, like xl's vif-bridge, else
 * directly), opened with IFF_VNET_HDR so that checksum and GSO offloads
 * cross without software checksums.  It is wire-compatible with Linux's
 * xen-netfront.
 *
 * The XenStore nodes it reads and writes: duet/netif.h.
 *
 * Control ring (netif.h): the frontend may select Toeplitz hashing, its
 * flags (IPv4, IPv4+TCP, IPv6, IPv6+TCP), a key of up to 40 bytes and a
 * mapping table of up to 128 entries; received frames then go to the rx
 * ring of the queue the table names for their hash, and carry the hash in
 * a XEN_NETIF_EXTRA_TYPE_HASH extra-info slot, as with Linux's netback.
 *
 * A frontend that violates the protocol (netif.h's fatal cases, as Linux's
 * netback treats them: more than 20 slots in a packet, a slot crossing its
 * page, bad extra-info) disables only its own vif, which moves to Closing.
 */
#ifndef DUET_NETBACK_H
#define DUET_NETBACK_H

#include "duet/backend.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The largest DUET_NETBACK_POLL_US (duet_netback_serve()), in µs. */
#define DUET_NETBACK_POLL_US_MAX 10000u

/** The "vif" device type for the backend daemon (duet/backend.h). */
extern const struct duet_backend_type duet_netback_type_vif;

/**
 * duet_netback_serve() - serve the vif at @ctx->dir until it is closed for
 * good (XenBus DONE) or @ctx->stop_fd turns readable.  Blocks; runs the
 * instance's own poll loop on the caller's thread.  Needs the rights to
 * create TAP devices (CAP_NET_ADMIN) in the current network namespace.
 *
 * DUET_NETBACK_POLL_US (environment, microseconds 0-10000, unset: 0) is
 * the transmit path's busy-poll budget (README, backends/netback/tx.c).
 *
 * Returns 0 when the device closed or stop_fd fired, or -errno: the TAP
 * device could not be made, xenstore or the platform failed; -EINVAL for
 * a DUET_NETBACK_POLL_US that is not a number in range.  The TAP
 * device is removed on return.
 */
int duet_netback_serve(const struct duet_backend_ctx *ctx);

#ifdef __cplusplus
}
#endif

#endif /* DUET_NETBACK_H */

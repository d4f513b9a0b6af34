/* SPDX-License-Identifier: MIT */
/*
 * duet/netif.h - the vif XenStore protocol as duet speaks it, documented
 * here once; netback, netfront and the toolstack point here.  Facts of
 * xen/io/netif.h are not repeated, only what duet writes, reads and
 * chooses.  <be> = /local/domain/<be-domid>/backend/vif/<fe-domid>/<id>,
 * <fe> = /local/domain/<fe-domid>/device/vif/<id> (libxl's layout).  The
 * XenBus nodes (backend, frontend, *-id, state, online) are duet/xenbus.h's;
 * the control ring's requests are backends/netback/ctrl.c's.
 *
 * Backend directory, written by the toolstack (xl, libxl, duet attach)
 * --------------------------------------------------------------------
 * vifname
 *      Values:  an interface name
 *      Default: "vif<fe-domid>.<id>"
 *      Notes:   netback's TAP device, in its own network namespace.
 * mtu
 *      Values:  68..65535
 *      Default: 1500; a malformed or smaller value counts as absent
 *      Notes:   the TAP's MTU; also netfront's when <fe>/mtu is absent.
 * bridge
 *      Values:  a bridge name
 *      Notes:   optional; the TAP joins it (through the script, or here).
 * script
 *      Values:  a hotplug script path (xl's vif-bridge)
 *      Notes:   when netback runs hotplug itself ("duet backend --hotplug
 *               self", the default in a driver domain): run before
 *               InitWait as "<script> online type_if=vif" with
 *               XENBUS_PATH, XENBUS_TYPE, XENBUS_BASE_PATH and vif set,
 *               when it exists; otherwise netback joins the bridge itself.
 * hotplug-status
 *      Values:  "" | "connected"
 *      Notes:   libxl (xl create in dom0) writes "" and runs the script
 *               itself once the backend is in InitWait; netback then goes
 *               to InitWait with the TAP made and connects only once it
 *               reads "connected", as Linux's netback.  Without libxl
 *               netback writes "connected" itself once the TAP is up.
 * duet-tx-mode                             (duet's own node)
 *      Values:  "copy" | "map"
 *      Default: "copy"
 *      Notes:   how transmitted data leaves the frontend's pages: grant
 *               copy, or grant map of the batch with the TAP write
 *               gathering from the mapped pages (zero-copy in netback;
 *               the slots are answered once unmapped).  Read at each
 *               connect.
 * duet-rx-mode                             (duet's own node)
 *      Values:  "copy" | "map"
 *      Default: "copy"
 *      Notes:   how received data enters the frontend's pages: grant copy,
 *               or map + memcpy + unmap.  Read at each connect; ignored
 *               when the frontend asked for page transfer.
 * duet-rx-thread                           (duet's own node)
 *      Values:  "0" | "1"
 *      Default: "1"
 *      Notes:   "1": with split event channels, the receive path and the
 *               control ring run on a thread of their own next to the
 *               transmit path, as Linux's netback splits NAPI and its
 *               guest-rx kthread; "0": one thread does all.  Read at each
 *               connect; ignored with dma.
 * dma                                      (duet's own node)
 *      Notes:   as duet/blkif.h's dma: the vif's frames go through the
 *               emulated NIC behind that DMA backend; duet-tx-mode and
 *               duet-rx-mode are then ignored (copy-mode frontends; a
 *               page-transfer frontend keeps its own path).
 *
 * Backend directory, written by netback before InitWait
 * -----------------------------------------------------
 *   feature-rx-copy, feature-sg, feature-gso-tcpv4, feature-gso-tcpv6,
 *   feature-ipv6-csum-offload, feature-split-event-channels,
 *   feature-multicast-control, feature-ctrl-ring     "1"
 *   feature-rx-flip          "1" where the platform transfers pages (the
 *                            simulator), else "0" (Linux's netback: "0")
 *   multi-queue-max-queues   4
 *
 * Frontend directory, written by the frontend at connect
 * ------------------------------------------------------
 * (duet's netfront writes them in one transaction and goes straight to
 * Connected, as Linux's netfront; netback reads them at CONNECT.)
 * multi-queue-num-queues
 *      Values:  1..multi-queue-max-queues
 *      Default: 1
 *      Notes:   with more than one, the ring and event-channel nodes go in
 *               <fe>/queue-<n>/ for each queue.
 * tx-ring-ref, rx-ring-ref, event-channel | event-channel-tx +
 * event-channel-rx
 *      Notes:   per queue; split event channels when the backend offers
 *               them (duet's netfront: unless opts.no_split).
 * ctrl-ring-ref, event-channel-ctrl
 *      Notes:   optional (duet's netfront: opts.ctrl_ring); with
 *               ctrl-ring-ref, event-channel-ctrl is required, else the
 *               connection fails (as Linux's netback).
 * request-rx-copy
 *      Values:  "0" | "1"
 *      Default: "0"
 *      Notes:   "1" is required unless netback offered feature-rx-flip=1;
 *               "0" without it is a protocol violation.  duet's netfront
 *               writes "0" only with opts.rx_flip and feature-rx-flip=1.
 * feature-rx-notify, feature-sg, feature-gso-tcpv4, feature-gso-tcpv6,
 * feature-ipv6-csum-offload, feature-no-csum-offload,
 * request-multicast-control
 *      Values:  "0" | "1"
 *      Default: "0"
 *      Notes:   netback uses GSO only with feature-sg and the matching
 *               checksum offload; with request-multicast-control it
 *               filters received multicast by the MCAST_ADD/DEL extras the
 *               frontend sends (at most 64 addresses).  duet's netfront
 *               writes feature-rx-notify=1 and the rest from its options.
 *
 * Frontend directory, written by the toolstack, read by duet's netfront
 * ---------------------------------------------------------------------
 * mac
 *      Values:  "xx:xx:xx:xx:xx:xx"
 *      Notes:   required: the TAP's address.
 * mtu
 *      Values:  68..65535
 *      Default: <be>/mtu, else 1500; at most 1500 without feature-sg
 *
 * What duet's netfront takes of the backend's nodes
 * -------------------------------------------------
 * feature-rx-copy is required; the queues are min(opts.queues,
 * multi-queue-max-queues, 4); every other feature-* is used when both the
 * backend offers it and the options allow it.
 */
#ifndef DUET_NETIF_H
#define DUET_NETIF_H

/* duet's own backend nodes (above) and their values. */
#define DUET_NETIF_NODE_TX_MODE "duet-tx-mode"
#define DUET_NETIF_NODE_RX_MODE "duet-rx-mode"
#define DUET_NETIF_NODE_RX_THREAD "duet-rx-thread"

enum duet_netif_data_mode {
	DUET_NETIF_DATA_COPY = 0, /* "copy": grant copy (the default) */
	DUET_NETIF_DATA_MAP = 1,  /* "map": grant map, memcpy, unmap */
};

/* The most queues either duet network driver uses. */
#define DUET_NETIF_MAX_QUEUES 4u

/* The most multicast addresses netback's filter holds (as Linux's). */
#define DUET_NETIF_MCAST_MAX 64u

#endif /* DUET_NETIF_H */

/* SPDX-License-Identifier: MIT */
/*
 * duet/netfront.h - the network frontend (netif.h "vif" devices) in
 * userspace: a TAP device in the caller's network namespace whose frames
 * travel over the vif's shared rings to the backend (duet's netback or
 * Linux's xen-netback).
 *
 * The XenStore nodes it reads and writes: duet/netif.h.
 *
 * The backend is not trusted: a response with a bad id, a size past its
 * page, too many slots or garbage extra-info drops that packet (and a
 * protocol violation closes the connection, which is then set up again),
 * never more.
 */
#ifndef DUET_NETFRONT_H
#define DUET_NETFRONT_H

#include "duet/platform.h"
#include "duet/xs.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Options of duet_netfront_run(); zero-initialise, then set. */
struct duet_netfront_opts {
	/** The vif's device id (<domain path>/device/vif/<devid>). */
	unsigned devid;
	/** TAP name; NULL: "eth<devid>". */
	const char *ifname;
	/** Queues to ask for (0 or 1: one; capped by the backend's max). */
	unsigned queues;
	/** Turn off what we offer: scatter-gather (also turns off GSO), GSO,
	 *  checksum offload (feature-no-csum-offload=1), split event
	 *  channels.  0 keeps the feature. */
	int no_sg, no_gso, no_csum, no_split;
	/** 1: receive by page transfer (request-rx-copy=0) when the backend
	 *  offers feature-rx-flip=1 (duet's netback on the simulator). */
	int rx_flip;
	/** 1: when the backend offers feature-ctrl-ring, give it a control
	 *  ring (ctrl-ring-ref, event-channel-ctrl) and select Toeplitz
	 *  hashing of received packets over IPv4, IPv4+TCP, IPv6 and
	 *  IPv6+TCP.  0 (the default, as Linux's netfront): no control
	 *  ring. */
	int ctrl_ring;
	/** The Toeplitz key (at most 40 bytes); NULL: Microsoft's RSS key. */
	const uint8_t *hash_key;
	unsigned hash_key_size;
	/** The mapping table hash -> queue (entries < the queues in use, at
	 *  most 1024 of them); size 0: the backend hashes modulo the number
	 *  of queues. */
	const uint32_t *hash_mapping;
	unsigned hash_mapping_size;
	/** Readable fd that makes duet_netfront_run() close and return; -1
	 *  for none. */
	int stop_fd;
	/** Called (if set) each time the vif reaches Connected. */
	void (*connected)(void *opaque);
	void *opaque;
};

/**
 * duet_netfront_run() - run the frontend of vif @o->devid of the domain
 * @p runs in, until @o->stop_fd turns readable or the device goes away.
 * Creates the TAP device first (CAP_NET_ADMIN needed), connects, and
 * reconnects whenever the backend restarts.  Blocks on the caller's
 * thread.
 *
 * Returns 0 on a requested stop or when the device directory is gone, or
 * -errno (-ENOENT: no such vif; TAP creation failed; xenstore failed).
 */
int duet_netfront_run(struct duet_platform *p, struct duet_xs *xs,
		      const struct duet_netfront_opts *o);

#ifdef __cplusplus
}
#endif

#endif /* DUET_NETFRONT_H */

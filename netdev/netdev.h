/* SPDX-License-Identifier: MIT */
/*
 * netdev.h - the host side of a virtual NIC, shared by netback and
 * netfront (netdev/ is the library folder both depend on; the Toeplitz
 * hash, public as duet/toeplitz.h, lives here too): TAP devices with
 * IFF_VNET_HDR, interface configuration, bridges, and the packet header
 * parsing that turns netif's "checksum blank" flag into the checksum
 * start/offset a virtio_net_hdr needs (netif does not carry them).
 *
 * Internal to libduet (not exported).
 * Every function returns 0 or a count on success and -errno on failure.
 * None of them keeps state; all may be called from any thread.
 */
#ifndef DUET_NETDEV_NETDEV_H
#define DUET_NETDEV_NETDEV_H

#include <net/if.h>
#include <stddef.h>
#include <stdint.h>

#include "duet/log.h"

/* Largest frame either end handles: a 64 KiB GSO packet plus headers. */
#define NETDEV_MAX_FRAME 65536u

/* Offload bits for netdev_tap_set_offload() (linux/if_tun.h TUN_F_*). */
#define NETDEV_OFF_CSUM 0x01u
#define NETDEV_OFF_TSO4 0x02u
#define NETDEV_OFF_TSO6 0x04u

/**
 * struct netdev_vnet_hdr - struct virtio_net_hdr, as IFF_VNET_HDR puts in
 * front of every frame (10 bytes, little-endian fields on x86).
 */
struct netdev_vnet_hdr {
	uint8_t flags;       /* VIRTIO_NET_HDR_F_NEEDS_CSUM 1, _DATA_VALID 2 */
	uint8_t gso_type;    /* VIRTIO_NET_HDR_GSO_NONE 0, TCPV4 1, TCPV6 4 */
	uint16_t hdr_len;    /* bytes of headers (a hint) */
	uint16_t gso_size;   /* payload bytes per segment */
	uint16_t csum_start; /* where the checksum starts */
	uint16_t csum_offset; /* where it goes, from csum_start */
};

#define NETDEV_HDR_F_NEEDS_CSUM 1u
#define NETDEV_HDR_F_DATA_VALID 2u
#define NETDEV_GSO_NONE 0u
#define NETDEV_GSO_TCPV4 1u
#define NETDEV_GSO_TCPV6 4u

/**
 * netdev_tap_open() - create (or attach to) TAP device @name with
 * IFF_TAP | IFF_NO_PI | IFF_VNET_HDR, non-blocking, close-on-exec.
 * @queues: 1, or the number of IFF_MULTI_QUEUE queues to open; @fds
 *          receives one fd per queue.
 * Returns 0 or -errno (nothing left open).
 */
int netdev_tap_open(const char *name, unsigned queues, int *fds);

/** netdev_tap_queue() - attach (1) or detach (0) one queue fd of a
 *  multi-queue TAP (TUNSETQUEUE), so that the kernel steers frames only
 *  to queues in use. */
int netdev_tap_queue(int fd, int attach);

/** netdev_tap_set_offload() - TUNSETOFFLOAD with NETDEV_OFF_* bits: what the
 *  kernel may hand us (partial checksums, TSO frames). */
int netdev_tap_set_offload(int fd, unsigned off);

/**
 * netdev_if_config() - set @name's MTU (0: leave), MAC (NULL: leave) and
 * bring it up (@up) or down.
 */
int netdev_if_config(const char *name, unsigned mtu, const uint8_t *mac,
		   int up);

/** netdev_if_carrier() - TUNSETCARRIER on @fd (kernels >= 5.0; -ENOTTY
 *  earlier, which callers may ignore). */
int netdev_if_carrier(int fd, int on);

/** netdev_bridge_attach() - add @ifname to bridge @bridge (SIOCBRADDIF). */
int netdev_bridge_attach(const char *ifname, const char *bridge);

/**
 * netdev_parse_mac() - "aa:bb:cc:dd:ee:ff" into @mac.  -EINVAL otherwise.
 */
int netdev_parse_mac(const char *s, uint8_t mac[6]);

/**
 * struct netdev_l4 - where a frame's layer-4 header is.
 * @l3:     offset of the IP header (after Ethernet and VLAN tags).
 * @l4:     offset of the TCP/UDP header.
 * @proto:  IPPROTO_TCP or IPPROTO_UDP.
 * @ipv6:   1 for IPv6, 0 for IPv4.
 * @hdrlen: bytes up to the end of the TCP header (TCP only, else l4 + 8).
 */
struct netdev_l4 {
	uint16_t l3, l4;
	uint8_t proto, ipv6;
	uint16_t hdrlen;
};

/**
 * netdev_parse_l4() - find the TCP/UDP header of an Ethernet frame.
 * Returns 0, or -EPROTONOSUPPORT (not TCP/UDP over IPv4/IPv6, or an IPv4
 * fragment), or -EINVAL (truncated or malformed headers).
 */
int netdev_parse_l4(const uint8_t *frame, size_t len, struct netdev_l4 *out);

/**
 * netdev_csum_offset() - the offset of the checksum field inside the L4
 * header: 16 for TCP, 6 for UDP.
 */
unsigned netdev_csum_offset(unsigned proto);

/**
 * netdev_csum_finish() - complete a partial checksum in software: the field
 * at @start + @offset holds the pseudo-header sum (the CHECKSUM_PARTIAL
 * convention); fold the bytes from @start to the end and store the result.
 * Returns 0 or -EINVAL when the field lies outside the frame.
 */
int netdev_csum_finish(uint8_t *frame, size_t len, unsigned start,
		     unsigned offset);

#endif /* DUET_NETDEV_NETDEV_H */

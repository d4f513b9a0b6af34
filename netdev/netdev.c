/* SPDX-License-Identifier: MIT */
/*
 * netdev.c - TAP devices, interface configuration, bridges and packet
 * header parsing shared by netback and netfront (see netdev.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netdev/netdev.h"

_Static_assert(sizeof(struct netdev_vnet_hdr) == 10,
	       "struct virtio_net_hdr is 10 bytes");

/* ------------------------------------------------------------------ */
/* TAP devices                                                         */
/* ------------------------------------------------------------------ */

int netdev_tap_open(const char *name, unsigned queues, int *fds)
{
	struct ifreq ifr;
	unsigned i;
	int rc;

	if (!name || strlen(name) >= IFNAMSIZ || !queues || queues > 64)
		return -EINVAL;
	for (i = 0; i < queues; i++) {
		fds[i] = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (fds[i] < 0) {
			rc = -errno;
			goto err;
		}
		memset(&ifr, 0, sizeof(ifr));
		ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
		if (queues > 1)
			ifr.ifr_flags |= IFF_MULTI_QUEUE;
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
		if (ioctl(fds[i], TUNSETIFF, &ifr) < 0) {
			rc = -errno;
			close(fds[i]);
			goto err;
		}
	}
	return 0;
err:
	while (i--)
		close(fds[i]);
	return rc;
}

int netdev_tap_queue(int fd, int attach)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = attach ? IFF_ATTACH_QUEUE : IFF_DETACH_QUEUE;
	if (ioctl(fd, TUNSETQUEUE, &ifr) < 0)
		return errno == EINVAL && attach ? 0 : -errno;
	return 0;
}

int netdev_tap_set_offload(int fd, unsigned off)
{
	unsigned long f = 0;

	if (off & NETDEV_OFF_CSUM)
		f |= TUN_F_CSUM;
	/* TSO needs checksum offload (tun refuses TSO without it). */
	if ((off & NETDEV_OFF_TSO4) && (off & NETDEV_OFF_CSUM))
		f |= TUN_F_TSO4;
	if ((off & NETDEV_OFF_TSO6) && (off & NETDEV_OFF_CSUM))
		f |= TUN_F_TSO6;
	return ioctl(fd, TUNSETOFFLOAD, f) < 0 ? -errno : 0;
}

int netdev_if_carrier(int fd, int on)
{
#ifdef TUNSETCARRIER
	int v = !!on;

	return ioctl(fd, TUNSETCARRIER, &v) < 0 ? -errno : 0;
#else
	return -ENOTTY;
#endif
}

int netdev_if_config(const char *name, unsigned mtu, const uint8_t *mac,
		   int up)
{
	struct ifreq ifr;
	int s, rc = 0;

	if (!name || strlen(name) >= IFNAMSIZ)
		return -EINVAL;
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (mtu) {
		ifr.ifr_mtu = (int)mtu;
		if (ioctl(s, SIOCSIFMTU, &ifr) < 0) {
			rc = -errno;
			goto out;
		}
	}
	if (mac) {
		ifr.ifr_hwaddr.sa_family = 1; /* ARPHRD_ETHER */
		memcpy(ifr.ifr_hwaddr.sa_data, mac, 6);
		if (ioctl(s, SIOCSIFHWADDR, &ifr) < 0) {
			rc = -errno;
			goto out;
		}
	}
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) {
		rc = -errno;
		goto out;
	}
	if (up)
		ifr.ifr_flags |= IFF_UP;
	else
		ifr.ifr_flags &= ~IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		rc = -errno;
out:
	close(s);
	return rc;
}

int netdev_bridge_attach(const char *ifname, const char *bridge)
{
	struct ifreq ifr;
	int s, idx, rc = 0;

	if (!bridge || strlen(bridge) >= IFNAMSIZ)
		return -EINVAL;
	idx = (int)if_nametoindex(ifname);
	if (!idx)
		return -ENODEV;
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", bridge);
	ifr.ifr_ifindex = idx;
	if (ioctl(s, SIOCBRADDIF, &ifr) < 0)
		rc = -errno;
	close(s);
	return rc;
}

int netdev_parse_mac(const char *s, uint8_t mac[6])
{
	unsigned v[6], i;
	char end;

	if (!s || strlen(s) != 17 ||
	    sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3],
		   &v[4], &v[5], &end) != 6)
		return -EINVAL;
	for (i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	return 0;
}

/* ------------------------------------------------------------------ */
/* Headers and checksums                                               */
/* ------------------------------------------------------------------ */

#define ETH_HLEN_ 14u
#define ETH_P_IP_ 0x0800u
#define ETH_P_IPV6_ 0x86ddu
#define ETH_P_8021Q_ 0x8100u
#define ETH_P_8021AD_ 0x88a8u

static unsigned be16(const uint8_t *p)
{
	return ((unsigned)p[0] << 8) | p[1];
}

int netdev_parse_l4(const uint8_t *f, size_t len, struct netdev_l4 *out)
{
	unsigned off = ETH_HLEN_, proto, nh, hl;

	if (len < ETH_HLEN_)
		return -EINVAL;
	proto = be16(f + 12);
	while (proto == ETH_P_8021Q_ || proto == ETH_P_8021AD_) {
		if (len < off + 4)
			return -EINVAL;
		proto = be16(f + off + 2);
		off += 4;
	}
	memset(out, 0, sizeof(*out));
	out->l3 = (uint16_t)off;
	if (proto == ETH_P_IP_) {
		if (len < off + 20 || (f[off] >> 4) != 4)
			return -EINVAL;
		hl = (f[off] & 0xfu) * 4u;
		if (hl < 20 || len < off + hl)
			return -EINVAL;
		/* A fragment (MF set or an offset) has no L4 header to fix. */
		if (be16(f + off + 6) & 0x3fffu)
			return -EPROTONOSUPPORT;
		nh = f[off + 9];
		off += hl;
	} else if (proto == ETH_P_IPV6_) {
		if (len < off + 40 || (f[off] >> 4) != 6)
			return -EINVAL;
		out->ipv6 = 1;
		nh = f[off + 6];
		off += 40;
		/* Hop-by-hop, routing and destination options may precede. */
		while (nh == 0 || nh == 43 || nh == 60) {
			if (len < off + 8)
				return -EINVAL;
			nh = f[off];
			off += (f[off + 1] + 1u) * 8u;
		}
		if (nh == 44)
			return -EPROTONOSUPPORT; /* fragment header */
	} else {
		return -EPROTONOSUPPORT;
	}
	if (nh != IPPROTO_TCP && nh != IPPROTO_UDP)
		return -EPROTONOSUPPORT;
	if (off > 0xffffu - 60)
		return -EINVAL;
	out->l4 = (uint16_t)off;
	out->proto = (uint8_t)nh;
	if (nh == IPPROTO_TCP) {
		if (len < off + 20)
			return -EINVAL;
		hl = (f[off + 12] >> 4) * 4u;
		if (hl < 20 || len < off + hl)
			return -EINVAL;
		out->hdrlen = (uint16_t)(off + hl);
	} else {
		if (len < off + 8)
			return -EINVAL;
		out->hdrlen = (uint16_t)(off + 8);
	}
	return 0;
}

unsigned netdev_csum_offset(unsigned proto)
{
	return proto == IPPROTO_TCP ? 16u : 6u;
}

int netdev_csum_finish(uint8_t *f, size_t len, unsigned start, unsigned offset)
{
	uint64_t sum = 0;
	size_t i;
	unsigned c;

	if (start >= len || offset + 2 > len - start)
		return -EINVAL;
	for (i = start; i + 1 < len; i += 2)
		sum += be16(f + i);
	if (i < len)
		sum += (unsigned)f[i] << 8;
	while (sum >> 16)
		sum = (sum & 0xffffu) + (sum >> 16);
	c = ~(unsigned)sum & 0xffffu;
	/* UDP sends "no checksum" as 0, so a computed 0 goes out as 0xffff;
	 * for TCP 0 and 0xffff are the same ones' complement value. */
	if (!c)
		c = 0xffffu;
	f[start + offset] = (uint8_t)(c >> 8);
	f[start + offset + 1] = (uint8_t)c;
	return 0;
}

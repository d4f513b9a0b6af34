/* SPDX-License-Identifier: MIT */
/*
 * ethstats.c - `ethtool -S IFNAME` for the lab (neither dom0's image nor
 * the domUs' initramfs has ethtool): a driver's own statistics through
 * SIOCETHTOOL (ETHTOOL_GSSET_INFO, ETHTOOL_GSTRINGS, ETHTOOL_GSTATS).
 *
 *   ethstats IFNAME [PREFIX]   "name value" per statistic (those starting
 *                              with PREFIX only)
 *
 * Exit status 0, or 1 when the interface or its statistics are missing.
 */
#include <errno.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static int eth_ioctl(int s, const char *ifname, void *data)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = data;
	return ioctl(s, SIOCETHTOOL, &ifr);
}

int main(int argc, char **argv)
{
	struct {
		struct ethtool_sset_info hdr;
		__u32 len;
	} sset;
	struct ethtool_gstrings *strs;
	struct ethtool_stats *st;
	const char *prefix = argc > 2 ? argv[2] : "";
	unsigned int i, n;
	int s;

	if (argc < 2) {
		fprintf(stderr, "usage: ethstats IFNAME [PREFIX]\n");
		return 2;
	}
	s = socket(AF_INET, SOCK_DGRAM, 0);
	if (s < 0) {
		perror("socket");
		return 1;
	}
	memset(&sset, 0, sizeof(sset));
	sset.hdr.cmd = ETHTOOL_GSSET_INFO;
	sset.hdr.sset_mask = 1ULL << ETH_SS_STATS;
	if (eth_ioctl(s, argv[1], &sset) < 0) {
		fprintf(stderr, "%s: ETHTOOL_GSSET_INFO: %s\n", argv[1],
			strerror(errno));
		return 1;
	}
	n = sset.hdr.sset_mask ? sset.len : 0;
	strs = calloc(1, sizeof(*strs) + (size_t)n * ETH_GSTRING_LEN);
	st = calloc(1, sizeof(*st) + (size_t)n * sizeof(__u64));
	if (!strs || !st)
		return 1;
	strs->cmd = ETHTOOL_GSTRINGS;
	strs->string_set = ETH_SS_STATS;
	strs->len = n;
	st->cmd = ETHTOOL_GSTATS;
	st->n_stats = n;
	if (eth_ioctl(s, argv[1], strs) < 0 || eth_ioctl(s, argv[1], st) < 0) {
		fprintf(stderr, "%s: ETHTOOL_GSTRINGS/GSTATS: %s\n", argv[1],
			strerror(errno));
		return 1;
	}
	for (i = 0; i < n; i++) {
		char name[ETH_GSTRING_LEN + 1];

		memcpy(name, strs->data + (size_t)i * ETH_GSTRING_LEN,
		       ETH_GSTRING_LEN);
		name[ETH_GSTRING_LEN] = '\0';
		if (!strncmp(name, prefix, strlen(prefix)))
			printf("%s %llu\n", name, (unsigned long long)st->data[i]);
	}
	close(s);
	return 0;
}

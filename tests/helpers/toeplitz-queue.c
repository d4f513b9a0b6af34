/* SPDX-License-Identifier: MIT */
/*
 * toeplitz-queue - the queue a netif backend with Toeplitz hashing picks
 * for an IPv4 TCP segment (netif.h XEN_NETIF_CTRL_HASH_TYPE_IPV4_TCP),
 * for tests/sim/net-ctrl.sh:
 *   toeplitz-queue SRC-IP DST-IP SRC-PORT DST-PORT Q,Q,...
 * hashes with Microsoft's RSS key (what `duet netfront --ctrl-ring` sets)
 * and prints "<hash in hex> <queue>", the queue being entry
 * hash % entries of the mapping table.  Exit 2 on bad arguments.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "duet/toeplitz.h"

static const uint8_t rss_key[DUET_TOEPLITZ_KEY_SIZE] = DUET_TOEPLITZ_RSS_KEY;

int main(int argc, char **argv)
{
	unsigned long map[128], n = 0, sp, dp;
	uint8_t in[12];
	uint16_t p16;
	uint32_t h;
	char *s, *end;

	if (argc != 6 || inet_pton(AF_INET, argv[1], in) != 1 ||
	    inet_pton(AF_INET, argv[2], in + 4) != 1) {
		fprintf(stderr, "usage: toeplitz-queue SRC DST SPORT DPORT "
			"Q,Q,...\n");
		return 2;
	}
	sp = strtoul(argv[3], &end, 10);
	if (*end || sp > 65535)
		return 2;
	dp = strtoul(argv[4], &end, 10);
	if (*end || dp > 65535)
		return 2;
	for (s = argv[5]; n < 128; s = end + 1) {
		map[n++] = strtoul(s, &end, 10);
		if (end == s || (*end && *end != ','))
			return 2;
		if (!*end)
			break;
	}
	p16 = htons((uint16_t)sp);
	memcpy(in + 8, &p16, 2);
	p16 = htons((uint16_t)dp);
	memcpy(in + 10, &p16, 2);
	h = duet_toeplitz_hash(rss_key, sizeof(rss_key), in, sizeof(in));
	printf("%08x %lu\n", h, map[h % n]);
	return 0;
}

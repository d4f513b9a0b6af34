/* SPDX-License-Identifier: MIT */
/*
 * duet_toeplitz_hash() against Microsoft's published RSS verification
 * suite ("Verifying the RSS Hash Calculation"; the same table is in
 * Intel's 82599 datasheet, 7.1.2.8.3): the standard 40-byte key, five
 * IPv4 flows and three IPv6 flows, each hashed over the addresses alone
 * and over addresses plus TCP ports, in the netif.h input order (source
 * address, destination address, source port, destination port).
 */
#include <arpa/inet.h>

#include "duet/toeplitz.h"
#include "tap.h"

static const uint8_t ms_key[DUET_TOEPLITZ_KEY_SIZE] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67,
	0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb,
	0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30,
	0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

struct vec {
	const char *dst;
	unsigned dport;
	const char *src;
	unsigned sport;
	uint32_t ip, tcp;
};

static const struct vec v4[] = {
	{"161.142.100.80", 1766, "66.9.149.187", 2794, 0x323e8fc2,
	 0x51ccc178},
	{"65.69.140.83", 4739, "199.92.111.2", 14230, 0xd718262a,
	 0xc626b0ea},
	{"12.22.207.184", 38024, "24.19.198.95", 12898, 0xd2d0a5de,
	 0x5c2b394a},
	{"209.142.163.6", 2217, "38.27.205.30", 48228, 0x82989176,
	 0xafc7327f},
	{"202.188.127.2", 1303, "153.39.163.191", 44251, 0x5d1809c5,
	 0x10e828a2},
};

static const struct vec v6[] = {
	{"3ffe:2501:200:3::1", 1766, "3ffe:2501:200:1fff::7", 2794,
	 0x2cc18cd5, 0x40207d3d},
	{"ff02::1", 4739, "3ffe:501:8::260:97ff:fe40:efab", 14230, 0x0f0c461c,
	 0xdde51bbf},
	{"fe80::200:f8ff:fe21:67cf", 38024,
	 "3ffe:1900:4545:3:200:f8ff:fe21:67cf", 44251, 0x4b61e985,
	 0x02d1feef},
};

/* The netif.h input: addresses (alen bytes each), then the ports. */
static size_t tuple(int af, const struct vec *v, uint8_t *buf)
{
	size_t alen = af == AF_INET ? 4 : 16;
	uint16_t sp = htons((uint16_t)v->sport), dp = htons((uint16_t)v->dport);

	inet_pton(af, v->src, buf);
	inet_pton(af, v->dst, buf + alen);
	memcpy(buf + 2 * alen, &sp, 2);
	memcpy(buf + 2 * alen + 2, &dp, 2);
	return 2 * alen;
}

int main(void)
{
	uint8_t buf[36];
	size_t n, i;

	for (i = 0; i < sizeof(v4) / sizeof(v4[0]); i++) {
		n = tuple(AF_INET, &v4[i], buf);
		is_int(duet_toeplitz_hash(ms_key, sizeof(ms_key), buf, n),
		       v4[i].ip, "IPv4 %s -> %s", v4[i].src, v4[i].dst);
		is_int(duet_toeplitz_hash(ms_key, sizeof(ms_key), buf, n + 4),
		       v4[i].tcp, "IPv4+TCP %s:%u -> %s:%u", v4[i].src,
		       v4[i].sport, v4[i].dst, v4[i].dport);
	}
	for (i = 0; i < sizeof(v6) / sizeof(v6[0]); i++) {
		n = tuple(AF_INET6, &v6[i], buf);
		is_int(duet_toeplitz_hash(ms_key, sizeof(ms_key), buf, n),
		       v6[i].ip, "IPv6 %s -> %s", v6[i].src, v6[i].dst);
		is_int(duet_toeplitz_hash(ms_key, sizeof(ms_key), buf, n + 4),
		       v6[i].tcp, "IPv6+TCP [%s]:%u -> [%s]:%u", v6[i].src,
		       v6[i].sport, v6[i].dst, v6[i].dport);
	}
	n = tuple(AF_INET, &v4[0], buf);
	is_int(duet_toeplitz_hash(ms_key, 0, buf, n + 4), 0,
	       "an empty key hashes everything to 0");
	is_int(duet_toeplitz_hash(ms_key, sizeof(ms_key), buf, 0), 0,
	       "no input hashes to 0");
	{
		static const uint8_t k[DUET_TOEPLITZ_KEY_SIZE] =
			DUET_TOEPLITZ_RSS_KEY;

		ok(!memcmp(k, ms_key, sizeof(k)),
		   "DUET_TOEPLITZ_RSS_KEY is the published key");
	}
	/* A short key is the long key with zero bytes after it. */
	{
		uint8_t k12[DUET_TOEPLITZ_KEY_SIZE] = {0};

		memcpy(k12, ms_key, 12);
		is_int(duet_toeplitz_hash(ms_key, 12, buf, n + 4),
		       duet_toeplitz_hash(k12, sizeof(k12), buf, n + 4),
		       "key octets past its size count as zero");
	}
	return done_testing();
}

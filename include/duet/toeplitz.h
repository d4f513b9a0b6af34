/* SPDX-License-Identifier: MIT */
/*
 * duet/toeplitz.h - the Toeplitz hash (Microsoft RSS), as netif.h's
 * XEN_NETIF_CTRL_HASH_ALGORITHM_TOEPLITZ defines it: the key and the
 * input are shift registers, most significant bit of byte 0 leftmost; for
 * every set bit of the input the leftmost 32 bits of the key (shifted
 * left once per input bit) are XORed into the result.
 *
 * The input a netif backend hashes (netif.h "Hash types"), all fields in
 * network byte order as they appear in the packet:
 *   IPv4       source address, destination address               (8)
 *   IPv4+TCP   the same, then source port, destination port      (12)
 *   IPv6       source address, destination address               (32)
 *   IPv6+TCP   the same, then source port, destination port      (36)
 */
#ifndef DUET_TOEPLITZ_H
#define DUET_TOEPLITZ_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Key size of Microsoft RSS and of Linux's netback (bytes). */
#define DUET_TOEPLITZ_KEY_SIZE 40u

/**
 * DUET_TOEPLITZ_RSS_KEY - an initializer for Microsoft's 40-byte RSS
 * verification key ("Verifying the RSS Hash Calculation"), a well-spread
 * key that `duet netfront --ctrl-ring` sets by default:
 *   static const uint8_t key[DUET_TOEPLITZ_KEY_SIZE] = DUET_TOEPLITZ_RSS_KEY;
 */
#define DUET_TOEPLITZ_RSS_KEY                                              \
	{                                                                  \
		0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, \
		0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, \
		0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, \
		0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa, \
	}

/**
 * duet_toeplitz_hash() - the Toeplitz hash of @len bytes at @data under
 * the @keylen-byte @key.  Key bits past @keylen count as zero (netif.h:
 * "any key octets not specified are assumed to be zero"), so an empty key
 * hashes everything to 0.  Pure function: no state, any thread.
 * Returns the 32-bit hash.
 */
uint32_t duet_toeplitz_hash(const uint8_t *key, size_t keylen,
			    const void *data, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* DUET_TOEPLITZ_H */

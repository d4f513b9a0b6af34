/* SPDX-License-Identifier: MIT */
/*
 * toeplitz.c - the Toeplitz hash (duet/toeplitz.h).
 *
 * A 64-bit window holds the key bits still to be used: its top 32 bits
 * are the part XORed in for the current input bit, the low 32 the bits
 * that shift in behind them.  After each input byte the window has moved
 * 8 bits, so the next key byte is ORed into its bottom.
 */
#include "duet/toeplitz.h"

static uint8_t key_byte(const uint8_t *key, size_t keylen, size_t i)
{
	return i < keylen ? key[i] : 0;
}

uint32_t duet_toeplitz_hash(const uint8_t *key, size_t keylen,
			    const void *data, size_t len)
{
	const uint8_t *in = data;
	uint64_t window = 0, hash = 0;
	size_t i, k;
	unsigned bit;

	for (k = 0; k < 8; k++)
		window = window << 8 | key_byte(key, keylen, k);
	for (i = 0; i < len; i++, k++) {
		for (bit = 0; bit < 8; bit++) {
			if (in[i] & (0x80u >> bit))
				hash ^= window;
			window <<= 1;
		}
		window |= key_byte(key, keylen, k);
	}
	return (uint32_t)(hash >> 32);
}

/* SPDX-License-Identifier: MIT */
/*
 * ctrl-status.c - every control ring request (netif.h "Control
 * messages") answered with the status Linux's netback gives, bad input
 * included: flags before an algorithm, unknown algorithms and flag bits,
 * a key longer than 40 bytes or behind a bad grant, a mapping table over
 * 128 entries, a sub-table outside the table or behind a bad grant, a
 * queue number >= multi-queue-num-queues, unknown request types; the
 * vif stays Connected and keeps moving packets throughout.
 */
#include "lib/nbctrl.h"

#define INVAL XEN_NETIF_CTRL_STATUS_INVALID_PARAMETER
#define NOSUP XEN_NETIF_CTRL_STATUS_NOT_SUPPORTED
#define OK XEN_NETIF_CTRL_STATUS_SUCCESS
#define BAD_GREF 0x7ffffu

int main(void)
{
	struct nbt_vif a;
	uint32_t d = 0, *tab;

	nbt_start();
	nbt_fe_hook = nbc_hook;
	nbt_vif(&a, 0);
	is_str(nbt_read("/local/domain/2/backend/vif/1/0/feature-ctrl-ring"),
	       "1", "netback offers feature-ctrl-ring");

	is_int(nbc_call(&a, XEN_NETIF_CTRL_TYPE_GET_HASH_FLAGS, 0, 0, 0, &d),
	       NOSUP, "GET_HASH_FLAGS before an algorithm: NOT_SUPPORTED");
	is_int(nbc_call(&a, XEN_NETIF_CTRL_TYPE_SET_HASH_FLAGS,
			XEN_NETIF_CTRL_HASH_TYPE_IPV4, 0, 0, NULL),
	       INVAL, "SET_HASH_FLAGS before an algorithm: INVALID_PARAMETER");
	is_int(nbc_call(&a, XEN_NETIF_CTRL_TYPE_SET_HASH_ALGORITHM, 7, 0, 0,
			NULL),
	       INVAL, "SET_HASH_ALGORITHM 7: INVALID_PARAMETER");
	is_int(nbc_call(&a, XEN_NETIF_CTRL_TYPE_SET_HASH_ALGORITHM,
			XEN_NETIF_CTRL_HASH_ALGORITHM_TOEPLITZ, 0, 0, NULL),
	       OK, "SET_HASH_ALGORITHM TOEPLITZ: SUCCESS");
	d = 0;
	is_int(nbc_call(&a, XEN_NETIF_CTRL_TYPE_GET_HASH_FLAGS, 0, 0, 0, &d),
	       OK, "GET_HASH_FLAGS: SUCCESS");
	is_int(d, 0xf, "  IPv4, IPv4+TCP, IPv6, IPv6+TCP");
	is_int(nbc_call(&a, XEN_NETIF_CTRL_TYPE_SET_HASH_FLAGS, 0x10, 0, 0,
			NULL),
	       INVAL, "SET_HASH_FLAGS with an unknown bit: INVALID_PARAMETER");
	is_int(nbc_call(&a, XEN_NETIF_CTRL_TYPE_SET_HASH_FLAGS, 0xf, 0, 0,
			NULL),
	       OK, "SET_HASH_FLAGS all four: SUCCESS");

	memset(nbc_page, 0x6d, 64);
	is_int(nbc_call(&a, XEN_NETIF_CTRL_TYPE_SET_HASH_KEY, nbc_page_ref, 41,
			0, NULL),
	       INVAL, "SET_HASH_KEY of 41 bytes: INVALID_PARAMETER");
	is_int(nbc_call(&a, XEN_NETIF_CTRL_TYPE_SET_HASH_KEY, BAD_GREF, 40, 0,
			NULL),
	       INVAL, "SET_HASH_KEY behind a bad grant: INVALID_PARAMETER");
	is_int(nbc_call(&a, XEN_NETIF_CTRL_TYPE_SET_HASH_KEY, nbc_page_ref, 40,
			0, NULL),
	       OK, "SET_HASH_KEY of 40 bytes: SUCCESS");
	is_int(nbc_call(&a, XEN_NETIF_CTRL_TYPE_SET_HASH_KEY, BAD_GREF, 0, 0,
			NULL),
	       OK, "SET_HASH_KEY of 0 bytes (clears the key): SUCCESS");

	d = 0;
	is_int(nbc_call(&a, XEN_NETIF_CTRL_TYPE_GET_HASH_MAPPING_SIZE, 0, 0, 0,
			&d),
	       OK, "GET_HASH_MAPPING_SIZE: SUCCESS");
	is_int(d, 128, "  128 entries, as Linux");
	is_int(nbc_call(&a, XEN_NETIF_CTRL_TYPE_SET_HASH_MAPPING_SIZE, 129, 0,
			0, NULL),
	       INVAL, "SET_HASH_MAPPING_SIZE 129: INVALID_PARAMETER");
	is_int(nbc_call(&a, XEN_NETIF_CTRL_TYPE_SET_HASH_MAPPING_SIZE, 8, 0, 0,
			NULL),
	       OK, "SET_HASH_MAPPING_SIZE 8: SUCCESS");

	tab = (uint32_t *)nbc_page;
	memset(tab, 0, 64);
	is_int(nbc_call(&a, XEN_NETIF_CTRL_TYPE_SET_HASH_MAPPING, nbc_page_ref,
			5, 4, NULL),
	       INVAL, "SET_HASH_MAPPING past the table: INVALID_PARAMETER");
	is_int(nbc_call(&a, XEN_NETIF_CTRL_TYPE_SET_HASH_MAPPING, nbc_page_ref,
			0xffffffffu, 1, NULL),
	       INVAL, "SET_HASH_MAPPING whose end wraps: INVALID_PARAMETER");
	is_int(nbc_call(&a, XEN_NETIF_CTRL_TYPE_SET_HASH_MAPPING, nbc_page_ref,
			1, 9, NULL),
	       INVAL, "SET_HASH_MAPPING at an offset past the table: "
	       "INVALID_PARAMETER");
	is_int(nbc_call(&a, XEN_NETIF_CTRL_TYPE_SET_HASH_MAPPING, BAD_GREF, 8,
			0, NULL),
	       INVAL, "SET_HASH_MAPPING behind a bad grant: INVALID_PARAMETER");
	tab[2] = 1;
	is_int(nbc_call(&a, XEN_NETIF_CTRL_TYPE_SET_HASH_MAPPING, nbc_page_ref,
			8, 0, NULL),
	       INVAL, "SET_HASH_MAPPING naming queue 1 of 1: "
	       "INVALID_PARAMETER");
	tab[2] = 0;
	is_int(nbc_call(&a, XEN_NETIF_CTRL_TYPE_SET_HASH_MAPPING, nbc_page_ref,
			8, 0, NULL),
	       OK, "SET_HASH_MAPPING of 8 entries: SUCCESS");
	is_int(nbc_call(&a, XEN_NETIF_CTRL_TYPE_SET_HASH_MAPPING, nbc_page_ref,
			0, 8, NULL),
	       OK, "SET_HASH_MAPPING of 0 entries at the end: SUCCESS");

	is_int(nbc_call(&a, XEN_NETIF_CTRL_TYPE_INVALID, 0, 0, 0, NULL), NOSUP,
	       "type INVALID: NOT_SUPPORTED");
	is_int(nbc_call(&a, XEN_NETIF_CTRL_TYPE_GET_GREF_MAPPING_SIZE, 0, 0, 0,
			NULL),
	       NOSUP, "GET_GREF_MAPPING_SIZE: NOT_SUPPORTED");
	is_int(nbc_call(&a, 999, 0, 0, 0, NULL), NOSUP,
	       "an unknown type: NOT_SUPPORTED");
	is_int(nbc_call(&a, XEN_NETIF_CTRL_TYPE_SET_HASH_ALGORITHM,
			XEN_NETIF_CTRL_HASH_ALGORITHM_NONE, 0, 0, NULL),
	       OK, "SET_HASH_ALGORITHM NONE: SUCCESS");
	is_int(nbc_call(&a, XEN_NETIF_CTRL_TYPE_GET_HASH_FLAGS, 0, 0, 0, &d),
	       NOSUP, "  then GET_HASH_FLAGS: NOT_SUPPORTED again");

	ok(nbt_wait(a.be, "state", "4", 100), "the vif stays Connected");
	ok(nbt_alive(&a), "netback still runs");
	ok(nbt_good_packet(&a, 3), "and still transmits");
	nbt_stop(&a);
	return done_testing();
}

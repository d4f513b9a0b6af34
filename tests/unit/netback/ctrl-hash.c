/* SPDX-License-Identifier: MIT */
/*
 * ctrl-hash.c - with Toeplitz hashing set over the control ring, a
 * received frame carries its hash in a XEN_NETIF_EXTRA_TYPE_HASH
 * extra-info slot right after its first data slot (NETRXF_extra_info on
 * that slot): the Microsoft RSS key and the first flow of its
 * verification suite give 0x51ccc178 with IPV4_TCP and 0x323e8fc2 with
 * IPV4 only; flags that do not cover the frame (IPV6 only) send no
 * extra; neither does algorithm NONE.
 */
#include "duet/toeplitz.h"
#include "lib/nbctrl.h"

static const uint8_t ms_key[DUET_TOEPLITZ_KEY_SIZE] = DUET_TOEPLITZ_RSS_KEY;

/* 66.9.149.187:2794 -> 161.142.100.80:1766, a TCP SYN (checksums are
 * not looked at on this path). */
static void send_tcp(struct nbt_vif *v)
{
	static const uint8_t ip[20] = {
		0x45, 0, 0, 40, 0, 1, 0x40, 0, 64, 6, 0, 0,
		66, 9, 149, 187, 161, 142, 100, 80,
	};
	static const uint8_t tcp[20] = {
		2794 >> 8, 2794 & 0xff, 1766 >> 8, 1766 & 0xff, 0, 0, 0, 1,
		0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0,
	};
	uint8_t f[60];

	memset(f, 0, sizeof(f));
	memcpy(f, "\x00\x16\x3e\x00\x00\x01", 6);
	memcpy(f + 6, "\x00\x16\x3e\x00\x00\x05", 6);
	f[12] = 0x08;
	memcpy(f + 14, ip, sizeof(ip));
	memcpy(f + 34, tcp, sizeof(tcp));
	nbt_send_raw(v, f, sizeof(f));
}

/*
 * Send the frame and find it among the rx responses: 1 with its extra
 * in *@ex (type 0 when it came without one), 0 when it did not arrive.
 */
static int receive(struct nbt_vif *v, struct netif_extra_info *ex)
{
	struct netif_rx_response rsp, first;
	int ms = 2000, in_pkt = 0, want_extra = 0, ours = 0;

	nbt_post_rx(v, -1u);
	send_tcp(v);
	memset(ex, 0, sizeof(*ex));
	while (ms > 0) {
		while (duet_ring_front_get_rsp(v->rx, &rsp) == 1) {
			if (want_extra) {
				struct netif_extra_info e;

				memcpy(&e, &rsp, sizeof(e));
				if (ours)
					*ex = e;
				want_extra = !!(e.flags &
						XEN_NETIF_EXTRA_FLAG_MORE);
			} else {
				if (!in_pkt) {
					const uint8_t *pg =
						v->rx_pages +
						(size_t)(rsp.id % NBT_PAGES) *
							DUET_PAGE_SIZE;

					first = rsp;
					ours = rsp.status >= 60 &&
					       !memcmp(pg + 26,
						       "\x42\x09\x95\xbb", 4);
					want_extra = !!(rsp.flags &
							NETRXF_extra_info);
				}
				in_pkt = !!(rsp.flags & NETRXF_more_data);
			}
			if (!want_extra && !in_pkt && ours)
				return first.status > 0;
		}
		nbt_post_rx(v, -1u);
		nbt_wait_event(v);
		ms -= 50;
	}
	return 0;
}

static uint32_t ex_value(const struct netif_extra_info *ex)
{
	const uint8_t *b = ex->u.hash.value;

	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	       (uint32_t)b[3] << 24;
}

int main(void)
{
	struct netif_extra_info ex;
	struct nbt_vif a;

	nbt_start();
#ifdef NBT_SPLIT
	nbt_split = 1;
	diag("split event channels: netback's rx thread");
#endif
	nbt_fe_hook = nbc_hook;
	nbt_vif(&a, 0);
	nbt_no_ipv6(&a);
	ok(receive(&a, &ex) && ex.type == 0,
	   "without hashing a frame arrives without extra-info");

	memcpy(nbc_page, ms_key, sizeof(ms_key));
	ok(nbc_call(&a, XEN_NETIF_CTRL_TYPE_SET_HASH_ALGORITHM,
		    XEN_NETIF_CTRL_HASH_ALGORITHM_TOEPLITZ, 0, 0, NULL) == 0 &&
	   nbc_call(&a, XEN_NETIF_CTRL_TYPE_SET_HASH_KEY, nbc_page_ref,
		    sizeof(ms_key), 0, NULL) == 0 &&
	   nbc_call(&a, XEN_NETIF_CTRL_TYPE_SET_HASH_FLAGS,
		    XEN_NETIF_CTRL_HASH_TYPE_IPV4 |
			    XEN_NETIF_CTRL_HASH_TYPE_IPV4_TCP,
		    0, 0, NULL) == 0,
	   "Toeplitz, the RSS key, IPV4 | IPV4_TCP set");
	ok(receive(&a, &ex), "the TCP frame arrives");
	is_int(ex.type, XEN_NETIF_EXTRA_TYPE_HASH, "  with a HASH extra");
	is_int(ex.u.hash.algorithm, XEN_NETIF_CTRL_HASH_ALGORITHM_TOEPLITZ,
	       "  algorithm TOEPLITZ");
	is_int(ex.u.hash.type, _XEN_NETIF_CTRL_HASH_TYPE_IPV4_TCP,
	       "  type IPV4_TCP (the maximal type)");
	is_int(ex_value(&ex), 0x51ccc178, "  value 0x51ccc178 (RSS suite)");

	nbc_call(&a, XEN_NETIF_CTRL_TYPE_SET_HASH_FLAGS,
		 XEN_NETIF_CTRL_HASH_TYPE_IPV4, 0, 0, NULL);
	ok(receive(&a, &ex) && ex.type == XEN_NETIF_EXTRA_TYPE_HASH &&
		   ex.u.hash.type == _XEN_NETIF_CTRL_HASH_TYPE_IPV4,
	   "IPV4 only: type IPV4");
	is_int(ex_value(&ex), 0x323e8fc2, "  value 0x323e8fc2 (RSS suite)");

	nbc_call(&a, XEN_NETIF_CTRL_TYPE_SET_HASH_FLAGS,
		 XEN_NETIF_CTRL_HASH_TYPE_IPV6, 0, 0, NULL);
	ok(receive(&a, &ex) && ex.type == 0,
	   "IPV6 only: an IPv4 frame comes without a hash");
	nbc_call(&a, XEN_NETIF_CTRL_TYPE_SET_HASH_FLAGS, 0xf, 0, 0, NULL);
	nbc_call(&a, XEN_NETIF_CTRL_TYPE_SET_HASH_ALGORITHM,
		 XEN_NETIF_CTRL_HASH_ALGORITHM_NONE, 0, 0, NULL);
	ok(receive(&a, &ex) && ex.type == 0,
	   "algorithm NONE: no hash again");
	ok(nbt_wait(a.be, "state", "4", 100), "the vif stays Connected");
	nbt_stop(&a);
	return done_testing();
}

/* SPDX-License-Identifier: MIT */
/*
 * tx-gather.c - a packet of three slots on three pages (a frame head, a
 * full page, 100 bytes at an offset) reaches the TAP byte for byte, seen
 * on an AF_PACKET socket bound to the TAP device, every slot answered
 * OKAY.  tx-map.c runs it with netback transmitting by grant map
 * (NBT_TX_MODE "map": the TAP write gathers from the mapped pages).
 */
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "lib/nbtest.h"

/* A packet socket that sees every frame entering the TAP device. */
static int capture(const char *ifname)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	struct timeval tv = { .tv_sec = 0, .tv_usec = 100000 };
	int s = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));

	if (s < 0)
		return -1;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = (int)if_nametoindex(ifname);
	if (!sll.sll_ifindex ||
	    bind(s, (struct sockaddr *)&sll, sizeof(sll)) < 0 ||
	    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		close(s);
		return -1;
	}
	return s;
}

/* The next frame of @len bytes that starts like @want (other traffic,
 * IPv6 router solicitations and the like, is skipped). */
static int frame_seen(int s, const uint8_t *want, size_t len)
{
	static uint8_t got[8192];
	int i;

	for (i = 0; i < 50; i++) {
		ssize_t n = recv(s, got, sizeof(got), 0);

		if (n < 0)
			continue;
		if ((size_t)n == len && !memcmp(got, want, 14))
			return !memcmp(got, want, len);
	}
	return 0;
}

int main(void)
{
	static uint8_t want[60 + 4096 + 100];
	struct netif_tx_response rsp[4];
	struct nbt_vif a;
	unsigned i;
	int n, s;

	nbt_start_tx();
	nbt_vif(&a, 0);
	s = capture(a.ifname);
	ok(s >= 0, "packet socket on %s", a.ifname);

	nbt_frame(&a, 4, 0, 60);
	for (i = 0; i < 4096; i++)
		a.pages[5 * DUET_PAGE_SIZE + i] = (uint8_t)(i * 7 + 1);
	for (i = 0; i < 100; i++)
		a.pages[6 * DUET_PAGE_SIZE + 200 + i] = (uint8_t)(0xa0 + i);
	memcpy(want, a.pages + 4 * DUET_PAGE_SIZE, 60);
	memcpy(want + 60, a.pages + 5 * DUET_PAGE_SIZE, 4096);
	memcpy(want + 60 + 4096, a.pages + 6 * DUET_PAGE_SIZE + 200, 100);
	nbt_put(&a, 1, 4, 0, sizeof(want), NETTXF_more_data);
	nbt_put(&a, 2, 5, 0, 4096, NETTXF_more_data);
	nbt_put(&a, 3, 6, 200, 100, 0);
	nbt_push(&a);
	n = nbt_responses(&a, rsp, 3, 3000);
	is_int(n, 3, "three slots answered");
	ok(n == 3 && rsp[0].status == NETIF_RSP_OKAY &&
	   rsp[1].status == NETIF_RSP_OKAY && rsp[2].status == NETIF_RSP_OKAY,
	   "all OKAY");
	ok(s >= 0 && frame_seen(s, want, sizeof(want)),
	   "the TAP got the three slots' bytes, in order");
	ok(nbt_wait(a.be, "state", "4", 100), "the vif stays Connected");
	if (s >= 0)
		close(s);
	nbt_stop(&a);
	return done_testing();
}

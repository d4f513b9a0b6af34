/* SPDX-License-Identifier: MIT */
/*
 * dma.c - netback's frames through the emulated NIC behind each DMA
 * backend of the registry (backend node "dma"), one vif each: a packet of
 * three tx slots at odd offsets and a one-slot packet reach the TAP and
 * are answered OKAY, one from a bad grant ref is answered
 * XEN_NETIF_RSP_ERROR; a 9000-byte frame sent into the TAP comes back in
 * three rx responses (4096, 4096, 808) whose pages hold its bytes; an rx
 * request with a bad grant ref gets XEN_NETIF_RSP_ERROR in its slot and
 * the next frame is delivered; the vif stays Connected throughout.  Last,
 * over a backend the test registers (duet_dma_backend_register()) that
 * refuses every device write: tx works, a received frame is a device
 * fault answered XEN_NETIF_RSP_ERROR, and the vif stays Connected.
 */
#include "lib/nbtest.h"

#include "duet/dma.h"

#define FRAME 9000u
#define MAX_VIFS 16u

static uint8_t frame[FRAME];

static void tx(struct nbt_vif *v, const char *be)
{
	struct netif_tx_response rsp[5];
	long before = nbt_tap_frames(v);
	int n, i;

	/* Three slots: 100 bytes at 100 of page 4, 1000 at 3000 of page 5,
	 * 400 at 7 of page 6 (1500 in all, claimed by the first slot). */
	nbt_frame(v, 4, 100, 100);
	nbt_put(v, 1, 4, 100, 1500, NETTXF_more_data);
	nbt_put(v, 2, 5, 3000, 1000, NETTXF_more_data);
	nbt_put(v, 3, 6, 7, 400, 0);
	nbt_put(v, 4, 99999, 0, 60, 0);
	nbt_frame(v, 0, 0, 60);
	nbt_put(v, 5, 0, 0, 60, 0);
	nbt_push(v);
	n = nbt_responses(v, rsp, 5, 3000);
	is_int(n, 5, "%s: five tx slots answered", be);
	ok(n == 5 && rsp[0].status == NETIF_RSP_OKAY &&
	   rsp[1].status == NETIF_RSP_OKAY && rsp[2].status == NETIF_RSP_OKAY,
	   "%s: the three-slot packet: OKAY", be);
	ok(n == 5 && rsp[3].id == 4 && rsp[3].status == NETIF_RSP_ERROR,
	   "%s: a bad grant ref: XEN_NETIF_RSP_ERROR", be);
	ok(n == 5 && rsp[4].id == 5 && rsp[4].status == NETIF_RSP_OKAY,
	   "%s: the next packet: OKAY", be);
	for (i = 0; i < 100 && nbt_tap_frames(v) < before + 2; i++)
		usleep(10000);
	is_int(nbt_tap_frames(v), before + 2, "%s: two frames on the TAP", be);
}

static void rx(struct nbt_vif *v, const char *be)
{
	struct netif_rx_response rsp[8];
	unsigned i, pos, base = nbt_rx_drain(v);
	int n, same = 1;

	nbt_post_rx_ids(v, 3, -1);
	ok(nbt_send_raw(v, frame, FRAME) == 0, "%s: a 9000-byte frame in",
	   be);
	n = nbt_rx_responses(v, rsp, 3, 3000);
	ok(n == 3 && rsp[0].status == 4096 && rsp[1].status == 4096 &&
	   rsp[2].status == FRAME - 8192 && rsp[0].id == 100 + base,
	   "%s:   three rx responses, 4096, 4096, %u", be, FRAME - 8192);
	for (i = 0, pos = 0; n == 3 && i < 3; i++) {
		same &= !memcmp(v->rx_pages +
					(size_t)(base + i) * DUET_PAGE_SIZE,
				frame + pos, (size_t)rsp[i].status);
		pos += (unsigned)rsp[i].status;
	}
	ok(n == 3 && same, "%s:   the pages hold the frame's bytes", be);
	for (i = base + 3; i < 11; i++) {
		nbt_send_raw(v, frame, 60);
		nbt_rx_responses(v, rsp, 1, 2000);
	}
	base = duet_ring_front_slot(v->rx);
	nbt_post_rx_ids(v, 2, (int)base);
	nbt_send_raw(v, frame, 60);
	n = nbt_rx_responses(v, rsp, 1, 3000);
	ok(n == 1 && rsp[0].id == 100 + base &&
	   rsp[0].status == NETIF_RSP_ERROR,
	   "%s: an rx request with a bad grant ref: XEN_NETIF_RSP_ERROR", be);
	nbt_send_raw(v, frame, 60);
	n = nbt_rx_responses(v, rsp, 1, 3000);
	ok(n == 1 && rsp[0].id == 101 + base && rsp[0].status == 60 &&
	   !memcmp(v->rx_pages +
			   (size_t)((base + 1) % NBT_PAGES) * DUET_PAGE_SIZE,
		   frame, 60),
	   "%s:   the next frame lands in the next slot", be);
}

/* "test-no-write": pv-identity whose device may never write memory. */
static const struct duet_dma_ops *pvid;
static struct duet_dma_ops no_write;

static int no_write_translate(void *priv, duet_dma_addr_t addr, int write,
			      uint64_t *maddr)
{
	return write ? -EACCES : pvid->translate(priv, addr, write, maddr);
}

static void faulty(struct nbt_vif *v, unsigned devid)
{
	struct netif_rx_response rsp[1];
	int n;

	pvid = duet_dma_backend_find("pv-identity");
	no_write = *pvid;
	no_write.name = "test-no-write";
	no_write.translate = no_write_translate;
	is_int(duet_dma_backend_register(&no_write), 0,
	       "a backend registered by the test");
	nbt_be_nodes[0] = "dma=test-no-write";
	nbt_vif_spec(v, devid, "mtu=9000");
	nbt_no_ipv6(v);
	ok(nbt_good_packet(v, 9), "test-no-write: tx works (the device "
				  "reads)");
	nbt_rx_drain(v);
	nbt_post_rx_ids(v, 1, -1);
	nbt_send_raw(v, frame, 60);
	n = nbt_rx_responses(v, rsp, 1, 3000);
	ok(n == 1 && rsp[0].status == NETIF_RSP_ERROR,
	   "test-no-write: a received frame is a device fault: "
	   "XEN_NETIF_RSP_ERROR");
	ok(nbt_wait(v->be, "state", "4", 100),
	   "test-no-write: the vif stays Connected");
	nbt_stop(v);
}

int main(void)
{
	static char node[MAX_VIFS][48];
	struct nbt_vif v[MAX_VIFS];
	const char *be;
	unsigned i;

	nbt_start();
	memset(frame, 0xff, 6);
	memcpy(frame + 6, "\x00\x16\x3e\x00\x00\x07", 6);
	frame[12] = 0x88;
	frame[13] = 0xb5;
	for (i = 14; i < FRAME; i++)
		frame[i] = (uint8_t)(i * 7);
	for (i = 0; i < MAX_VIFS && duet_dma_backend_at(i); i++) {
		be = duet_dma_backend_at(i)->name;
		snprintf(node[i], sizeof(node[i]), "dma=%s", be);
		nbt_be_nodes[0] = node[i];
		nbt_vif_spec(&v[i], i, "mtu=9000");
		nbt_no_ipv6(&v[i]);
		tx(&v[i], be);
		rx(&v[i], be);
		ok(nbt_wait(v[i].be, "state", "4", 100),
		   "%s: the vif stays Connected", be);
		nbt_stop(&v[i]);
	}
	if (i < MAX_VIFS)
		faulty(&v[i], i);
	return done_testing();
}

/* SPDX-License-Identifier: MIT */
/*
 * rx-thread.c - netback's rx thread (split event channels): the instance
 * runs two threads with it and one with duet-rx-thread=0, and both carry
 * frames each way.  A frontend whose rx ring producer runs away is a
 * violation the rx thread finds: the vif goes to Closing (written by the
 * main thread), the instance lives on, and another vif is not disturbed.
 */
#include <dirent.h>

#include "lib/nbtest.h"

/* Threads of process @pid, or -1. */
static int threads(pid_t pid)
{
	char path[64];
	struct dirent *d;
	DIR *dir;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	dir = opendir(path);
	if (!dir)
		return -1;
	while ((d = readdir(dir)))
		n += d->d_name[0] != '.';
	closedir(dir);
	return n;
}

/* Send a 60-byte frame into @v's TAP (out towards the frontend). */
static int send60(struct nbt_vif *v)
{
	uint8_t f[60];

	memset(f, 0x44, sizeof(f));
	memcpy(f, "\xff\xff\xff\xff\xff\xff\x00\x16\x3e\x00\x00\x0b", 12);
	f[12] = 0x88;
	f[13] = 0xb5;
	return nbt_send_raw(v, f, sizeof(f));
}

/* A 60-byte frame into @v's TAP arrives in the rx request just posted. */
static int receives(struct nbt_vif *v)
{
	struct netif_rx_response rsp;

	nbt_post_rx(v, 1);
	if (send60(v) < 0)
		return 0;
	return nbt_rx_responses(v, &rsp, 1, 5000) == 1 && rsp.status == 60;
}

int main(void)
{
	struct netif_rx_sring *sring;
	struct nbt_vif a, b;

	nbt_start();
	nbt_split = 1;
	nbt_vif(&a, 0);
	nbt_no_ipv6(&a);
	nbt_rx_drain(&a);
	nbt_be_nodes[0] = "duet-rx-thread=0";
	nbt_vif(&b, 1);
	nbt_be_nodes[0] = NULL;
	nbt_no_ipv6(&b);
	nbt_rx_drain(&b);

	/* The instances share every other thread (libxenstore's reader). */
	ok(threads(b.pid) > 0 && threads(a.pid) == threads(b.pid) + 1,
	   "split channels: netback runs one thread more than with "
	   "duet-rx-thread=0 (%d, %d)", threads(a.pid), threads(b.pid));
	ok(nbt_good_packet(&a, 1), "two threads: a tx packet reaches the TAP");
	ok(receives(&a), "two threads: a frame reaches the rx ring");
	ok(nbt_good_packet(&b, 1), "one thread: a tx packet reaches the TAP");
	ok(receives(&b), "one thread: a frame reaches the rx ring");

	/* The rx ring's producer jumps past a whole ring of requests, and
	 * a frame makes netback look. */
	sring = a.rx_sring;
	__atomic_store_n(&sring->req_prod, sring->req_prod + 1000,
			 __ATOMIC_RELEASE);
	duet_evtchn_notify(a.evt, (duet_evtchn_port_t)a.rx_port);
	send60(&a);
	ok(nbt_wait(a.be, "state", "5", 5000),
	   "a runaway rx producer: the vif goes to Closing");
	ok(nbt_alive(&a), "  the instance lives");
	ok(nbt_wait(b.be, "state", "4", 100) && receives(&b) &&
		   nbt_good_packet(&b, 2),
	   "  the other vif stays Connected and carries frames");
	nbt_stop(&a);
	nbt_stop(&b);
	return done_testing();
}

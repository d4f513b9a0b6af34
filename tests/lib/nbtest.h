/* SPDX-License-Identifier: MIT */
/*
 * nbtest.h - a test frontend for netback, built from the ring API, shared
 * by the tests in tests/unit/netback/.
 *
 * nbt_start() starts a private simulator with a frontend domain and a
 * backend domain.  nbt_vif() attaches a vif (libxl's layout, TAP name
 * "nbt<pid>.<devid>" in this network namespace), forks a process that
 * runs duet_netback_serve() for it as the backend domain, and connects to
 * it as the frontend: tx and rx rings, one event channel (two with
 * nbt_split), 32 data pages
 * granted read-only.  The tests then put raw tx requests on the ring --
 * well-formed or not -- and look at the responses, the backend's XenBus
 * state, the TAP's counters, and whether the backend process lives.
 * Needs root (TAP devices); skips otherwise.
 */
#ifndef DUET_TESTS_LIB_NBTEST_H
#define DUET_TESTS_LIB_NBTEST_H

#include <errno.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <xen/io/netif.h>

#include "duet/netback.h"
#include "duet/ring.h"
#include "duet/xenbus.h"
#include "duet/xlspec.h"
#include "duet/xs.h"
#include "lib/simtest.h"
#include "tap.h"

#define NBT_PAGES 32u

struct nbt_vif {
	unsigned devid;
	char ifname[IFNAMSIZ];
	char fe[96], be[96];
	pid_t pid;                 /* the netback instance */
	struct duet_evtchn *evt;
	int port;                  /* the tx port (the only one unsplit) */
	int rx_port;               /* the rx port (= port unless split) */
	void *tx_sring, *rx_sring;
	struct duet_ring *tx, *rx;
	duet_grant_ref_t refs[NBT_PAGES];
	uint8_t *pages;
	duet_grant_ref_t rx_refs[NBT_PAGES]; /* granted read-write */
	uint8_t *rx_pages;
};

extern unsigned nbt_fe_dom, nbt_be_dom;
/* Extra frontend flags ("request-multicast-control") nbt_vif() writes as
 * "1" before connecting; NULL-terminated. */
extern const char *nbt_fe_flags[4];
/* Called (if set) after the rings and features are written and before
 * the frontend goes Initialised: a test adds nodes (the control ring). */
extern void (*nbt_fe_hook)(struct nbt_vif *v);

/* Extra backend nodes ("duet-rx-mode=map") nbt_vif() writes before it
 * starts netback; NULL-terminated. */
extern const char *nbt_be_nodes[4];
/* 1: nbt_vif() writes split event channels (event-channel-tx and -rx),
 * which run netback's receive path on its rx thread. */
extern int nbt_split;
extern struct duet_platform *nbt_p0, *nbt_pfe;
extern struct duet_xs *nbt_xs0, *nbt_xsfe;

void nbt_start(void);

/* nbt_start(), after setting the backend node duet-tx-mode=NBT_TX_MODE
 * when the test defines NBT_TX_MODE (tx-map.c, tx-map-bad-gref.c). */
static inline void nbt_start_tx(void)
{
#ifdef NBT_TX_MODE
	nbt_be_nodes[0] = "duet-tx-mode=" NBT_TX_MODE;
	diag("tx by %s (duet-tx-mode)", NBT_TX_MODE);
#endif
	nbt_start();
}

/* The value of @path, or "" (static buffer). */
const char *nbt_read(const char *path);

/* Wait up to @ms for <dir>/<node> to read @want. */
int nbt_wait(const char *dir, const char *node,
	     const char *want, int ms);

int nbt_fe_write(struct nbt_vif *v, const char *node,
		 unsigned val);

/* Attach vif @devid (extra xl vif keys in @spec_extra, may be ""), start
 * its netback, connect as the frontend. */
void nbt_vif_spec(struct nbt_vif *v, unsigned devid,
		  const char *spec_extra);

void nbt_vif(struct nbt_vif *v, unsigned devid);

/* Stop the backend instance (SIGKILL: a daemon's last word) and drop the
 * frontend's ring objects and event channel. */
void nbt_stop(struct nbt_vif *v);

/* Is the netback instance still running? */
int nbt_alive(struct nbt_vif *v);

/* Put a raw request (a tx request or an extra-info slot). */
void nbt_put(struct nbt_vif *v, uint16_t id, unsigned page,
	     uint16_t offset, uint16_t size, uint16_t flags);

void nbt_put_extra(struct nbt_vif *v,
		   const struct netif_extra_info *ex);

/* Publish and kick. */
void nbt_push(struct nbt_vif *v);

/* Wait up to 50 ms for an event on @v and unmask the port it came on. */
void nbt_wait_event(struct nbt_vif *v);

/*
 * Collect up to @max responses of @size bytes each from ring @r into @rsp,
 * waiting up to @ms for them; returns how many arrived.
 */
int nbt_collect(struct nbt_vif *v, struct duet_ring *r,
		void *rsp, size_t size, int max, int ms);

/* Up to @max tx responses, waiting up to @ms (nbt_collect()). */
int nbt_responses(struct nbt_vif *v,
		  struct netif_tx_response *rsp, int max, int ms);

/* A 60-byte Ethernet broadcast frame (an ARP-sized filler) in @page. */
void nbt_frame(struct nbt_vif *v, unsigned page, unsigned off,
	       unsigned len);

/* Send @len bytes of @f out of the TAP, i.e. into netback (AF_PACKET).
 * 0 or -errno. */
int nbt_send_raw(struct nbt_vif *v, const void *f, size_t len);

/* Post up to @n rx requests (as many as are free), each with id = its
 * ring slot and page slot % NBT_PAGES, then publish and kick. */
void nbt_post_rx(struct nbt_vif *v, unsigned n);

/* Post @n rx requests with ids 100 + slot; the one in slot @bad_slot
 * (-1: none) carries a bogus grant ref.  Then publish and kick. */
void nbt_post_rx_ids(struct nbt_vif *v, unsigned n, int bad_slot);

/* Up to @max rx responses, waiting up to @ms (nbt_collect()). */
int nbt_rx_responses(struct nbt_vif *v, struct netif_rx_response *rsp,
		     int max, int ms);

/* Drain what the kernel sent on its own when the TAP came up (rx
 * requests posted 8 at a time); returns how many frames came. */
unsigned nbt_rx_drain(struct nbt_vif *v);

/* No IPv6 autoconfiguration chatter on the TAP (only the frames a test
 * sends reach netback). */
void nbt_no_ipv6(struct nbt_vif *v);

/* The TAP's rx_packets: frames netback wrote into it. */
long nbt_tap_frames(struct nbt_vif *v);

/*
 * One good packet on @v: answered OKAY and written to the TAP.
 * Returns 1 when both happened.
 */
int nbt_good_packet(struct nbt_vif *v, uint16_t id);

#endif /* DUET_TESTS_LIB_NBTEST_H */

/* SPDX-License-Identifier: MIT */
/*
 * common.h - netfront's internal state, shared by its files:
 *   xenbus.c  duet_netfront_run(): features, the XenBus handshake,
 *             connect/disconnect, the poll loop
 *   tx.c      TAP frames -> tx requests (data copied into granted pages)
 *   rx.c      rx responses -> TAP frames
 *   ctrl.c    the optional control ring (Toeplitz hash settings)
 * One thread drives every queue; nothing is locked.
 */
#ifndef DUET_NETFRONT_COMMON_H
#define DUET_NETFRONT_COMMON_H

#include <net/if.h>
#include <stdint.h>
#include <sys/uio.h>

#include <xen/io/netif.h>

#include "netdev/netdev.h"
#include "duet/netfront.h"
#include "duet/netif.h"
#include "duet/platform.h"
#include "duet/ring.h"
#include "duet/xenbus.h"

#define NF_MAX_QUEUES DUET_NETIF_MAX_QUEUES
/* Entries of a one-page netif tx / rx ring. */
#define NF_RING 256u
/* Slots of one packet we send or accept (XEN_NETIF_NR_SLOTS_MIN). */
#define NF_MAX_SLOTS XEN_NETIF_NR_SLOTS_MIN
/* Toeplitz key we set over the control ring (netback's maximum). */
#define NF_HASH_KEY_SIZE 40u
/* Control requests we send per connection. */
#define NF_CTRL_REQS 5u

struct nf_vif;

/**
 * struct nf_queue - one queue: tx and rx rings, their pages and ports.
 * @tx_pages:  NF_RING granted pages; tx id i always uses page i.
 * @tx_inuse:  1 while id i is with the backend.
 * @tx_free:   stack of free tx ids.
 * @rx_pages:  NF_RING granted pages; the request in ring slot s always
 *             carries id s and page s (responses come in that slot).
 * @rx_buf:    the packet being gathered from rx responses.
 */
struct nf_queue {
	struct nf_vif *vif;
	unsigned id;
	int tapfd;
	void *tx_sring, *rx_sring;
	duet_grant_ref_t tx_sref, rx_sref;
	struct duet_ring *tx, *rx;
	uint8_t *tx_pages, *rx_pages;
	duet_grant_ref_t tx_refs[NF_RING], rx_refs[NF_RING];
	uint8_t tx_inuse[NF_RING];
	uint8_t rx_ref_used[NF_RING]; /* flip: slot's offer was consumed */
	uint16_t tx_free[NF_RING];
	unsigned ntx_free;
	int tx_port, rx_port;
	int tx_full; /* not enough free ids: the TAP is not polled */
	/* rx gathering */
	unsigned rx_cons;       /* responses taken (slot = rx_cons % NF_RING) */
	uint8_t *rx_buf;
	unsigned rx_len, rx_slots, rx_extras;
	int rx_active, rx_want_extra, rx_more, rx_bad;
	uint16_t rx_flags;
	struct netif_extra_info rx_gso;
	int rx_has_gso;
	unsigned rx_posted;     /* requests outstanding */
	/* Copy mode: the packet's bytes stay in its rx pages, written to the
	 * TAP from there; its slots are not reposted until then. */
	struct iovec rx_iov[NF_MAX_SLOTS + 1]; /* [0]: the vnet header */
	unsigned rx_niov;
	unsigned rx_pkt_cons;   /* rx_cons of the packet's first slot */
	uint8_t *tx_frame;      /* vnet header + frame read from the TAP */
};

struct nf_stats {
	uint64_t tx_packets, tx_dropped, rx_packets, rx_dropped;
};

struct nf_vif {
	const struct duet_netfront_opts *o;
	struct duet_platform *p;
	struct duet_xs *xs;
	struct duet_xenbus_dev *dev;
	struct duet_evtchn *evt;
	unsigned be_domid;
	char dir[128];
	char ifname[IFNAMSIZ];
	unsigned mtu;
	uint8_t mac[6];
	int tapfd[NF_MAX_QUEUES];
	unsigned ntapq;
	int connected;
	int want; /* 1 to stay connected, 0 once asked to stop */
	unsigned nqueues;
	struct nf_queue q[NF_MAX_QUEUES];
	/* Negotiated. */
	int be_sg, be_gso4, be_gso6, be_csum6, split;
	int flip; /* rx by page transfer: rx refs are accept-transfer grants */
	/* The control ring (ctrl.c): backend offers it; ours when ctrl. */
	int be_ctrl;
	void *ctrl_sring;
	duet_grant_ref_t ctrl_sref, ctrl_key_ref, ctrl_map_ref;
	struct duet_ring *ctrl;
	uint8_t *ctrl_pages; /* key page, then mapping page */
	int ctrl_port;
	unsigned ctrl_sent, ctrl_done, ctrl_failed;
	uint16_t ctrl_type[NF_CTRL_REQS];
	struct nf_stats st;
};

/* xenbus.c */
/*
 * nf_broken() - the backend broke the protocol: log (rate-limited) and
 * move to Closing; the caller stops and returns -EPROTO.
 */
void nf_broken(struct nf_vif *vif, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* tx.c */
int nf_tx_init(struct nf_queue *q);
void nf_tx_fini(struct nf_queue *q);
int nf_tx_from_tap(struct nf_queue *q);
int nf_tx_responses(struct nf_queue *q);

/* ctrl.c */
int nf_ctrl_setup(struct nf_vif *vif);
void nf_ctrl_teardown(struct nf_vif *vif);
int nf_ctrl_start(struct nf_vif *vif);
int nf_ctrl_kick(struct nf_vif *vif);
int nf_ctrl_responses(struct nf_vif *vif);

/* rx.c */
int nf_rx_init(struct nf_queue *q);
void nf_rx_fini(struct nf_queue *q);
int nf_rx_fill(struct nf_queue *q);
int nf_rx_responses(struct nf_queue *q);

#endif /* DUET_NETFRONT_COMMON_H */

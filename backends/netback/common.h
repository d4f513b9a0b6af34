/* SPDX-License-Identifier: MIT */
/*
 * common.h - netback's internal state, shared by its files:
 *   xenbus.c  serve(): features, the XenBus handshake, connect/disconnect,
 *             the poll loop
 *   tx.c      the transmit path: frontend tx requests -> the TAP device
 *   rx.c      the receive path: the TAP device -> frontend rx requests
 *   ctrl.c    the control ring (feature-ctrl-ring) and Toeplitz hashing
 *             of received frames onto queues
 *   mapcopy.c grant-copy segments carried out by grant map (tx and rx
 *             "map" modes)
 *   dma.c     the batches through an emulated NIC behind a DMA backend
 *             (backend node "dma" or `duet backend --dma`)
 *   netdev.c TAP devices, bridges, header parsing (shared with netfront)
 *
 * One instance process serves one vif with two threads, as Linux's netback
 * splits its NAPI (tx) and guest-rx kthread work: the main thread runs
 * the XenBus end, the poll loop and every queue's transmit path; the rx
 * thread (xenbus.c rx_main(), while connected with split event channels
 * and duet-rx-thread not "0") runs every queue's receive path and the
 * control ring.  Each owns its event-channel handle and the ports bound
 * on it.  What both touch: the multicast filter (mcast_lock), the
 * counters (single writer each, nb_count()), @disabled (nb_disabled())
 * and a fatal error found on the rx thread, which it hands to the main
 * thread to write to xenstore (nb_broken()).  Without the rx thread the
 * main thread does it all from one loop.
 *
 * TAP I/O is plain read()/writev(), one frame per call.  io_uring was
 * tried to cut the system calls per frame (a tx batch's writes in one
 * io_uring_enter(); reads posted ahead on the rx thread): correct, and no
 * slower on the simulator, but in the Xen lab's PV dom0 (Linux 6.1 under
 * TCG) iperf3 through entry d fell from 113-151 Mbit/s to 0.4-5.5 with
 * the batched writes, and dom0 -> domU to 67 with the reads.
 */
#ifndef DUET_NETBACK_COMMON_H
#define DUET_NETBACK_COMMON_H

#include <net/if.h>
#include <pthread.h>
#include <stdint.h>

#include <xen/io/netif.h>

#include "netdev/netdev.h"
#include "duet/backend.h"
#include "duet/netback.h"
#include "duet/netif.h"
#include "duet/platform.h"
#include "duet/ring.h"
#include "duet/xenbus.h"

/*
 * Slot limits, as Linux's netback (drivers/net/xen-netback/netback.c):
 * a packet of more than NB_LEGACY_SLOTS data slots is dropped; one that
 * reaches NB_FATAL_SLOTS (fatal_skb_slots) disables the vif.
 */
#define NB_LEGACY_SLOTS XEN_NETIF_NR_SLOTS_MIN /* 18 */
#define NB_FATAL_SLOTS 20u
/* Extra-info slots a packet may carry: one of each type at most. */
#define NB_MAX_EXTRAS (XEN_NETIF_EXTRA_TYPE_MAX - 1)
/* Packets gathered before one grant-copy batch (each direction). */
#define NB_BATCH 32u
/* Queues this backend offers (multi-queue-max-queues). */
#define NB_MAX_QUEUES DUET_NETIF_MAX_QUEUES
#define NB_HOTPLUG_TOKEN "duet-netback-hotplug" /* watch on hotplug-status */
/* Multicast addresses a frontend may subscribe (Linux: XEN_NETBK_MCAST_MAX). */
#define NB_MCAST_MAX DUET_NETIF_MCAST_MAX
/* Pages of an rx packet: 64 KiB of data plus a partial first page. */
#define NB_RX_MAX_SLOTS 18u
/* Extra-info slots of an rx packet: GSO, then HASH (Linux's order). */
#define NB_RX_MAX_EXTRAS 2u
/* Hash key and mapping table limits (Linux: XEN_NETBK_MAX_HASH_KEY_SIZE,
 * XEN_NETBK_MAX_HASH_MAPPING_SIZE). */
#define NB_HASH_KEY_SIZE 40u
#define NB_HASH_MAPPING_MAX 128u

struct nb_vif;

/**
 * struct nb_txslot - one ring slot of a packet being assembled, in ring
 * order, so that responses go out in the order the requests came.
 * @id:   the request's id (echoed in the response).
 * @null: 1 for an extra-info slot (answered XEN_NETIF_RSP_NULL).
 */
struct nb_txslot {
	uint16_t id;
	uint8_t null;
};

/**
 * struct nb_txpkt - a packet gathered from the tx ring.
 * @req:     its data slots (copied out of the ring once); req[0].size
 *           is the whole packet's length as the frontend claimed it.
 * @nreq:    data slots seen (including dropped ones past the limit).
 * @slot:    every slot in ring order, for the responses.
 * @nslot:   entries of @slot.
 * @gso:     the GSO extra-info, when @has_gso.
 * @first_len: bytes in the first slot (req[0].size minus the others).
 * @status:  XEN_NETIF_RSP_OKAY, or the error every slot is answered with.
 * @mem:     page-aligned, NB_TX_BUF_SIZE bytes.
 * @buf:     the packet's bytes after the grant copy, in @mem where the
 *           first slot's bytes end on a page boundary (tx_complete()).
 * @vh:      its virtio-net header for the TAP, once the copy is done.
 */
struct nb_txpkt {
	struct netif_tx_request req[NB_FATAL_SLOTS];
	unsigned nreq;
	struct nb_txslot slot[NB_FATAL_SLOTS + NB_MAX_EXTRAS];
	unsigned nslot;
	struct netif_extra_info gso;
	int has_gso;
	int has_mcast; /* carried MCAST_ADD/DEL: a control request only */
	unsigned first_len;
	unsigned len;
	int status;
	unsigned seg0, nseg;
	uint8_t *mem, *buf;
	struct netdev_vnet_hdr vh;
};

/* A tx packet's buffer: the largest frame, and room to shift it in a page. */
#define NB_TX_BUF_SIZE (NETDEV_MAX_FRAME + DUET_PAGE_SIZE)
/* The tx buffers' stride in their copy buffer: whole pages. */
#define NB_TX_STRIDE ((NB_TX_BUF_SIZE + DUET_PAGE_SIZE - 1) & \
		      ~(size_t)(DUET_PAGE_SIZE - 1))
/* An rx buffer: a vnet header and the largest frame; 64-byte stride. */
#define NB_RX_STRIDE ((NETDEV_MAX_FRAME + sizeof(struct netdev_vnet_hdr) + \
		       63) & ~(size_t)63)

/**
 * struct nb_txstate - the packet being assembled across ring slots.
 * @active:    a first slot was seen and the packet is not complete.
 * @want_extra: the next slot is an extra-info slot.
 * @more:      the next data slot belongs to this packet.
 * @remaining: the first slot's size minus the sizes of later slots.
 * @nextra:    extra-info slots seen.
 */
struct nb_txstate {
	int active, want_extra, more;
	unsigned remaining, nextra;
};

/**
 * struct nb_rxpkt - a packet of the rx batch and the rx requests taken
 * for it.
 */
struct nb_rxpkt {
	struct netif_rx_request req[NB_RX_MAX_SLOTS + NB_RX_MAX_EXTRAS];
	unsigned nreq;       /* requests taken (data slots + extras) */
	unsigned ndata;      /* data slots */
	unsigned len;
	uint16_t flags;      /* NETRXF_* of the first response */
	/* Extra-info slots, answered right after the first data slot. */
	struct netif_extra_info extra[NB_RX_MAX_EXTRAS];
	unsigned nextra;
	unsigned seg0, nseg;
	uint8_t *buf;
	/* rx-flip: pages handed over, by request slot */
	void *flip_page[NB_RX_MAX_SLOTS + NB_RX_MAX_EXTRAS];
};

/**
 * struct nb_hash - what the frontend set over the control ring.
 * @alg:     XEN_NETIF_CTRL_HASH_ALGORITHM_* (NONE: the TAP queue a frame
 *           came from picks its rx ring, as without a control ring).
 * @flags:   XEN_NETIF_CTRL_HASH_TYPE_* to hash.
 * @key:     the Toeplitz key; octets past what was set are zero.
 * @size:    entries of @mapping in use (0: hash modulo the queues).
 * @mapping: hash % size -> queue; every entry < the vif's nqueues.
 */
struct nb_hash {
	uint32_t alg, flags;
	uint8_t key[NB_HASH_KEY_SIZE];
	uint32_t size;
	uint32_t mapping[NB_HASH_MAPPING_MAX];
};

/**
 * struct nb_queue - one queue: a tx ring, an rx ring, their event
 * channel(s) and the TAP queue fd they use.
 */
struct nb_queue {
	struct nb_vif *vif;
	unsigned id;
	int tapfd;
	/* Mapped rings (duet_gnt_map) and their ring objects. */
	void *tx_sring, *rx_sring;
	struct duet_ring *tx, *rx;
	/* Local ports; equal unless split event channels are in use. */
	int tx_port, rx_port;
	/* The handles that bound them (notify through the binder). */
	struct duet_evtchn *tx_evt, *rx_evt;
	/* Transmit side. */
	struct nb_txstate txs;
	struct nb_txpkt txp[NB_BATCH];
	unsigned ntxp;
	/* The tx and rx buffers, in one copy buffer each
	 * (duet_gnt_copy_buf_alloc()): the local sides of the grant copies. */
	uint8_t *tx_mem, *rx_mem;
	struct duet_gnt_copy_seg txseg[NB_BATCH * NB_FATAL_SLOTS];
	unsigned ntxseg;
	/* tx map mode: each segment's mapped page (NULL: not mapped) and the
	 * mappings to end (nb_tx_map()). */
	uint8_t *txpage[NB_BATCH * NB_FATAL_SLOTS];
	struct {
		void *addr;
		unsigned count;
	} txmap[NB_BATCH * NB_FATAL_SLOTS];
	unsigned ntxmap;
	/* Receive side: a frame read from the TAP waiting for rx requests. */
	uint8_t *rx_pending;
	size_t rx_pending_len;
	struct nb_rxpkt rxp[NB_BATCH];
	unsigned nrxp;
	struct duet_gnt_copy_seg rxseg[NB_BATCH * NB_RX_MAX_SLOTS];
	unsigned nrxseg;
	int rx_stalled; /* waiting for rx requests: TAP not polled */
	/* Frames this queue carried (published as q<N>-tx / q<N>-rx). */
	uint64_t tx_frames, rx_frames;
};

/** Counters (also published by tests through the test hooks). */
struct nb_stats {
	uint64_t tx_packets, tx_bytes, tx_dropped, tx_errors;
	uint64_t rx_packets, rx_bytes, rx_dropped;
	uint64_t fatal;   /* fatal violations (the vif was disabled) */
	uint64_t connects;
};

/**
 * struct nb_vif - one vif: the XenBus end, the TAP device, the queues.
 */
struct nb_vif {
	const struct duet_backend_ctx *ctx;
	struct duet_platform *p;
	struct duet_xs *xs;
	struct duet_xenbus_dev *dev;
	struct duet_evtchn *evt;
	/* The rx thread's handle: split rx ports and the control port; NULL
	 * when duet-rx-thread is "0" or with a DMA device. */
	struct duet_evtchn *rx_evt;
	/* Binds the control port: rx_evt when threaded, else evt. */
	struct duet_evtchn *ctrl_evt;
	int threaded;      /* the rx thread runs (started at connect) */
	pthread_t main_thread, rx_thread;
	int rx_stop_fd;    /* eventfd: main -> rx thread, stop */
	int wake_fd;       /* eventfd: rx thread -> main, see below */
	int rx_err;        /* the rx thread's local failure (-errno) */
	/* A fatal violation the rx thread found, for the main thread to
	 * write (nb_broken()): @broken_ready set with release after
	 * @broken_msg, taken with acquire. */
	int broken_ready;
	char broken_msg[192];
	pthread_mutex_t mcast_lock; /* mcast[] and nmcast */
	char ifname[IFNAMSIZ];
	unsigned fe_domid;
	unsigned mtu;
	int connected;
	int disabled; /* a fatal violation: rings no longer served */
	int hotplug_wait; /* libxl runs the script: Connected waits for it */
	int tapfd[NB_MAX_QUEUES];
	unsigned ntapq;
	/* Negotiated at connect. */
	unsigned nqueues;
	struct nb_queue q[NB_MAX_QUEUES];
	int fe_sg, fe_gso4, fe_gso6, fe_csum4, fe_csum6, fe_rx_notify;
	int split;
	int flip_offered; /* feature-rx-flip=1 was written */
	int rx_flip;   /* 1: receive by page transfer (sim only) */
	int tx_map;    /* 1: transmit by grant map instead of copy */
	int rx_map;    /* 1: receive by grant map instead of copy */
	struct nb_dma *dma; /* NULL: no DMA device (dma.c) */
	struct nb_stats st;
	/* request-multicast-control: rx multicast is filtered by mcast[]. */
	int mcast_ctrl;
	uint8_t mcast[NB_MCAST_MAX][6];
	unsigned nmcast;
	/* The control ring (ctrl.c); ctrl_port -1 without one. */
	void *ctrl_sring;
	struct duet_ring *ctrl;
	int ctrl_port;
	struct nb_hash hash;
	uint64_t st_published_ms; /* when the counters were last published */
	/* Busy-poll budget of the tx path in ns (DUET_NETBACK_POLL_US; 0:
	 * off), see nb_tx_process(). */
	uint64_t poll_ns;
	/* tx passes that found the next request by busy-polling, and those
	 * whose budget ran out (published as tx-poll-hit / tx-poll-miss). */
	uint64_t poll_hit, poll_miss;
};

/*
 * A counter of struct nb_stats or struct nb_queue: each has one writer
 * thread (tx ones the main thread, rx ones the rx thread; fatal both,
 * nb_broken() adds atomically) and publish_stats() reads them from the
 * main thread.  Relaxed: a reader needs each value whole, not ordered.
 */
static inline void nb_count(uint64_t *c, uint64_t n)
{
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + n,
			 __ATOMIC_RELAXED);
}

static inline uint64_t nb_counter(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

/* The vif is disabled (a fatal violation); relaxed: a thread that misses
 * it serves one more batch, which nb_broken()'s caller already stopped. */
static inline int nb_disabled(const struct nb_vif *vif)
{
	return __atomic_load_n(&vif->disabled, __ATOMIC_RELAXED);
}

/* xenbus.c */
/* A fatal protocol violation: disable the vif and go to Closing with a
 * rate-limited log (on the rx thread, the main thread writes it). */
void nb_broken(struct nb_vif *vif, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* tx.c */
int nb_tx_init(struct nb_queue *q);
void nb_tx_fini(struct nb_queue *q);
int nb_tx_process(struct nb_queue *q);

/* ctrl.c */
/* Multicast control: tx.c applies a frame's MCAST_ADD/DEL extra (0, or
 * -ENOSPC when the filter is full), rx.c asks whether a destination was
 * subscribed (1 or 0). */
int nb_mcast_update(struct nb_vif *vif, const struct netif_extra_info *ex);
int nb_mcast_match(struct nb_vif *vif, const uint8_t *dst);
int nb_ctrl_connect(struct nb_vif *vif);
void nb_ctrl_disconnect(struct nb_vif *vif);
int nb_ctrl_process(struct nb_vif *vif);
/* 1 with the hash and its _XEN_NETIF_CTRL_HASH_TYPE_* when the flags ask
 * for one for this frame, else 0. */
int nb_hash_frame(const struct nb_vif *vif, const uint8_t *f, size_t len,
		  uint32_t *hash, uint8_t *type);
/* The queue whose rx ring gets frame @f (@dflt when hashing is off); @ex
 * receives the HASH extra-info (type 0 when the frame was not hashed). */
unsigned nb_hash_select(const struct nb_vif *vif, const uint8_t *f,
			size_t len, unsigned dflt, struct netif_extra_info *ex);

/*
 * mapcopy.c: carry out @count grant-copy segments (one foreign side each,
 * the frontend's) by mapping the pages, memcpy() and unmapping.  Sets
 * every segment's status (0, or -EINVAL for a ref that cannot be mapped).
 * Returns 0, or -errno when an unmap fails.
 */
int nb_map_copy(struct nb_vif *vif, struct duet_gnt_copy_seg *seg,
		unsigned count);
/* mapcopy.c: map @q's tx batch read-only and keep it mapped (segment i's
 * page in q->txpage[i], status -EINVAL and NULL when its ref cannot be
 * mapped); nb_tx_unmap() ends the mappings.  0 or -errno. */
int nb_tx_map(struct nb_queue *q);
int nb_tx_unmap(struct nb_queue *q);

/* dma.c */
struct nb_dma;
/* nb_dma_open() - at connect: set up vif->dma when the node "dma" or
 * ctx->dma names a backend.  0 (also for none) or -errno (logged). */
int nb_dma_open(struct nb_vif *vif);
/* nb_dma_close() - undo it (NULL dma is fine). */
void nb_dma_close(struct nb_vif *vif);
/* nb_dma_tx() / nb_dma_rx() - carry out q's tx or rx batch segments
 * through the NIC, setting each segment's status as a grant copy would.
 * Return 0. */
int nb_dma_tx(struct nb_queue *q);
int nb_dma_rx(struct nb_queue *q);
/* nb_dma_stats() - append the dma-* counters (NB_DMA_NSTATS at most). */
void nb_dma_stats(struct nb_vif *vif, struct duet_backend_stat *st,
		  unsigned *n);
#define NB_DMA_NSTATS 7u

/* rx.c */
int nb_rx_init(struct nb_queue *q);
void nb_rx_fini(struct nb_queue *q);
int nb_rx_process(struct nb_queue *q);
/* With hashing on: retry the frames of queues waiting for another queue's
 * rx requests. */
int nb_rx_retry_stalled(struct nb_vif *vif);

#endif /* DUET_NETBACK_COMMON_H */

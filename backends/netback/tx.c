/* SPDX-License-Identifier: MIT */
/*
 * tx.c - netback's transmit path: the frontend's tx requests become
 * frames written to the TAP device.
 *
 * A packet on the tx ring (netif.h):
 *   slot 0      netif_tx_request: gref/offset of the first chunk, size =
 *               the WHOLE packet's length, flags NETTXF_*
 *   extras      when slot 0 has NETTXF_extra_info: netif_extra_info slots
 *               (GSO, multicast add/del, hash), chained by
 *               XEN_NETIF_EXTRA_FLAG_MORE
 *   slots 1..n  when the previous data slot has NETTXF_more_data: further
 *               chunks, size = that chunk's length
 * Every slot is answered once, in order: data slots with the packet's
 * status and their id, extra slots with XEN_NETIF_RSP_NULL.
 *
 * Checks, as Linux's netback (xenvif_count_requests, xenvif_get_extras,
 * xenvif_set_skb_gso, xenvif_tx_build_gops) does them:
 *   drop the packet (XEN_NETIF_RSP_ERROR):
 *     - more than NB_LEGACY_SLOTS (18) data slots
 *     - a later slot larger than what remains of the claimed size
 *     - a packet shorter than an Ethernet header
 *     - a grant copy that fails (bad grant ref, wrong domain)
 *     - NETTXF_csum_blank on a frame whose TCP/UDP header is not found
 *   fatal (nb_broken(): the vif is disabled and goes to Closing):
 *     - NB_FATAL_SLOTS (20, fatal_skb_slots) data slots exceeded
 *     - a slot whose offset + size crosses its page
 *     - an extra-info slot of type 0 or >= XEN_NETIF_EXTRA_TYPE_MAX, or
 *       more extra slots than there are types
 *     - a GSO extra with size 0 or a type other than TCPV4/TCPV6
 * Multicast control (feature-multicast-control): a request carrying
 * XEN_NETIF_EXTRA_TYPE_MCAST_ADD/DEL extras is a control request, not a
 * packet (as in Linux's netback): the address is added to or removed from
 * the vif's filter and every slot is answered OKAY (ERROR when the filter
 * is full).
 * Every request is copied out of the ring once by duet_ring_back_get_req()
 * before any of this looks at it.
 */
#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "backends/netback/common.h"

int nb_tx_init(struct nb_queue *q)
{
	unsigned i;

	memset(&q->txs, 0, sizeof(q->txs));
	q->ntxp = 0;
	q->ntxseg = 0;
	if (!q->tx_mem) {
		void *m;
		int rc = duet_gnt_copy_buf_alloc(q->vif->p,
						 NB_BATCH * NB_TX_STRIDE, &m);

		if (rc < 0)
			return rc;
		q->tx_mem = m;
	}
	for (i = 0; i < NB_BATCH; i++)
		q->txp[i].mem = q->tx_mem + i * NB_TX_STRIDE;
	return 0;
}

void nb_tx_fini(struct nb_queue *q)
{
	unsigned i;

	if (q->tx_mem)
		duet_gnt_copy_buf_free(q->vif->p, q->tx_mem,
				       NB_BATCH * NB_TX_STRIDE);
	q->tx_mem = NULL;
	for (i = 0; i < NB_BATCH; i++)
		q->txp[i].mem = q->txp[i].buf = NULL;
}

/* Answer every slot of @pkt and forget it. */
static int tx_respond(struct nb_queue *q, const struct nb_txpkt *pkt)
{
	struct netif_tx_response rsp;
	unsigned i;
	int rc;

	for (i = 0; i < pkt->nslot; i++) {
		rsp.id = pkt->slot[i].id;
		rsp.status = pkt->slot[i].null ? NETIF_RSP_NULL :
						 (int16_t)pkt->status;
		rc = duet_ring_back_put_rsp(q->tx, &rsp);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Fill the virtio_net_hdr for a copied packet; -errno drops it. */
static int tx_vnet_hdr(struct nb_vif *vif, struct nb_txpkt *pkt,
		       unsigned have, struct netdev_vnet_hdr *h)
{
	uint16_t flags = pkt->req[0].flags;
	struct netdev_l4 l4;
	int rc;

	memset(h, 0, sizeof(*h));
	if (!(flags & NETTXF_csum_blank) && !pkt->has_gso) {
		if (flags & NETTXF_data_validated)
			h->flags = NETDEV_HDR_F_DATA_VALID;
		return 0;
	}
	/*
	 * netif carries no checksum start/offset: find the L4 header as
	 * Linux's skb_checksum_setup() does.  The checksum field holds the
	 * pseudo-header sum (CHECKSUM_PARTIAL), as virtio's NEEDS_CSUM wants.
	 */
	rc = netdev_parse_l4(pkt->buf, have, &l4);
	if (rc < 0)
		return rc;
	h->flags = NETDEV_HDR_F_NEEDS_CSUM;
	h->csum_start = l4.l4;
	h->csum_offset = (uint16_t)netdev_csum_offset(l4.proto);
	if (!pkt->has_gso)
		return 0;
	if (l4.proto != IPPROTO_TCP)
		return -EPROTONOSUPPORT;
	if (pkt->gso.u.gso.type == XEN_NETIF_GSO_TYPE_TCPV4) {
		if (l4.ipv6)
			return -EPROTO;
		h->gso_type = NETDEV_GSO_TCPV4;
	} else {
		if (!l4.ipv6)
			return -EPROTO;
		h->gso_type = NETDEV_GSO_TCPV6;
	}
	h->gso_size = pkt->gso.u.gso.size;
	h->hdr_len = l4.hdrlen;
	return 0;
}

/* A segment that failed (copy or map) fails its packet. */
static void tx_seg_status(const struct nb_queue *q, struct nb_txpkt *pkt)
{
	unsigned s;

	for (s = 0; s < pkt->nseg && pkt->status == NETIF_RSP_OKAY; s++)
		if (q->txseg[pkt->seg0 + s].status)
			pkt->status = NETIF_RSP_ERROR;
}

/* Answer every packet of the batch and notify. */
static int tx_respond_all(struct nb_queue *q)
{
	unsigned i;
	int rc;

	for (i = 0; i < q->ntxp; i++) {
		rc = tx_respond(q, &q->txp[i]);
		if (rc < 0)
			return rc;
	}
	rc = duet_ring_back_push(q->tx);
	if (rc > 0)
		duet_evtchn_notify(q->tx_evt,
				   (duet_evtchn_port_t)q->tx_port);
	return rc < 0 ? rc : 0;
}

/* Write @pkt to the TAP: its vnet header, then @n more iovecs. */
static void tx_write(struct nb_queue *q, struct nb_txpkt *pkt,
		     struct iovec *iov, unsigned n)
{
	struct nb_vif *vif = q->vif;

	iov[0].iov_base = &pkt->vh;
	iov[0].iov_len = sizeof(pkt->vh);
	/* A full TAP queue drops, as a full qdisc would. */
	if (writev(q->tapfd, iov, (int)n + 1) < 0)
		nb_count(&vif->st.tx_dropped, 1);
	nb_count(&vif->st.tx_packets, 1);
	nb_count(&vif->st.tx_bytes, pkt->len);
	nb_count(&q->tx_frames, 1);
}

/*
 * Map mode: the first slot (the frontend's linear part, where the headers
 * are) is copied into pkt->buf to be parsed; the other slots go to the
 * TAP straight from their mapped pages.  A packet whose headers run past
 * its first slot is copied whole first.  The slots are answered once the
 * pages are unmapped: the frontend may reuse a page as soon as it sees its
 * answer.
 */
static int tx_flush_map(struct nb_queue *q)
{
	struct nb_vif *vif = q->vif;
	struct iovec iov[1 + NB_FATAL_SLOTS];
	unsigned i, s, n, have;
	int rc;

	rc = nb_tx_map(q);
	if (rc < 0)
		return rc;
	for (i = 0; i < q->ntxp; i++) {
		struct nb_txpkt *pkt = &q->txp[i];
		struct duet_gnt_copy_seg *g = &q->txseg[pkt->seg0];

		tx_seg_status(q, pkt);
		if (pkt->has_mcast)
			continue;
		if (pkt->status != NETIF_RSP_OKAY) {
			nb_count(&vif->st.tx_errors, 1);
			continue;
		}
		memcpy(pkt->buf, q->txpage[pkt->seg0] + g[0].src.foreign.offset,
		       g[0].len);
		have = g[0].len;
		rc = tx_vnet_hdr(vif, pkt, have, &pkt->vh);
		if (rc == -EINVAL && have < pkt->len) {
			for (s = 1; s < pkt->nseg; s++) {
				memcpy(pkt->buf + have,
				       q->txpage[pkt->seg0 + s] +
					       g[s].src.foreign.offset,
				       g[s].len);
				have += g[s].len;
			}
			rc = tx_vnet_hdr(vif, pkt, have, &pkt->vh);
		}
		if (rc < 0) {
			pkt->status = NETIF_RSP_ERROR;
			nb_count(&vif->st.tx_errors, 1);
			continue;
		}
		iov[1].iov_base = pkt->buf;
		iov[1].iov_len = have;
		n = 1;
		for (s = 1; have < pkt->len && s < pkt->nseg; s++) {
			iov[1 + n].iov_base = q->txpage[pkt->seg0 + s] +
					      g[s].src.foreign.offset;
			iov[1 + n++].iov_len = g[s].len;
		}
		tx_write(q, pkt, iov, n);
	}
	rc = nb_tx_unmap(q);
	if (rc < 0)
		return rc;
	return tx_respond_all(q);
}

/*
 * Copy every gathered packet out of the frontend's pages in one grant-copy
 * batch, answer every slot and notify, then write the good packets to the
 * TAP.  The answers go first, as Linux's netback answers a copied slot
 * before the stack sees the packet: the frontend's pages are free once
 * the copy is done, and a TAP write runs the whole receive path (bridge,
 * TCP) of the frame before it returns, which the frontend, short of tx
 * slots meanwhile, would otherwise wait for.
 * Transmit by grant map (backend node duet-tx-mode = "map"): the batch's
 * pages are mapped read-only and the TAP writes gather from them
 * (tx_flush_map()) -- the way Linux's netback takes tx data (it maps the
 * guest's pages).  With a DMA backend the emulated NIC gathers each packet
 * from its granted pages into the packet's buffer instead (nb_dma_tx(),
 * dma.c).
 */
static int tx_flush(struct nb_queue *q)
{
	struct nb_vif *vif = q->vif;
	struct iovec iov[2];
	unsigned i;
	int rc;

	if (!q->ntxp)
		return 0;
	if (vif->tx_map && !vif->dma) {
		rc = tx_flush_map(q);
		if (rc < 0)
			return rc;
		goto done;
	}
	if (q->ntxseg) {
		rc = vif->dma ? nb_dma_tx(q) :
				duet_gnt_copy(vif->p, q->txseg, q->ntxseg);
		if (rc < 0)
			return rc;
	}
	for (i = 0; i < q->ntxp; i++) {
		struct nb_txpkt *pkt = &q->txp[i];

		tx_seg_status(q, pkt);
		if (!pkt->has_mcast && pkt->status == NETIF_RSP_OKAY &&
		    tx_vnet_hdr(vif, pkt, pkt->len, &pkt->vh) < 0)
			pkt->status = NETIF_RSP_ERROR;
	}
	rc = tx_respond_all(q);
	if (rc < 0)
		return rc;
	for (i = 0; i < q->ntxp; i++) {
		struct nb_txpkt *pkt = &q->txp[i];

		if (pkt->has_mcast)
			continue;
		if (pkt->status != NETIF_RSP_OKAY) {
			nb_count(&vif->st.tx_errors, 1);
			continue;
		}
		iov[1].iov_base = pkt->buf;
		iov[1].iov_len = pkt->len;
		tx_write(q, pkt, iov, 1);
	}
done:
	/* A packet still being gathered (its later slots not produced yet)
	 * sits at txp[ntxp]: keep it, as the batch's first entry. */
	if (q->txs.active && q->ntxp) {
		struct nb_txpkt tmp = q->txp[0];

		q->txp[0] = q->txp[q->ntxp];
		q->txp[q->ntxp] = tmp;
	}
	q->ntxp = 0;
	q->ntxseg = 0;
	return 0;
}

/* The packet in q->txp[q->ntxp] is complete: validate, plan its copy. */
static int tx_complete(struct nb_queue *q)
{
	struct nb_vif *vif = q->vif;
	struct nb_txpkt *pkt = &q->txp[q->ntxp];
	unsigned i, pos = 0;

	memset(&q->txs, 0, sizeof(q->txs));
	pkt->first_len = pkt->req[0].size;
	for (i = 1; i < pkt->nreq && i < NB_FATAL_SLOTS; i++)
		pkt->first_len -= pkt->req[i].size;
	/*
	 * The first slot's bytes end on a page boundary of ours, so that the
	 * page-sized slots after it (Linux's netfront: one per page of a
	 * frag) are each copied into one page: on Xen, gntdev splits a
	 * segment whose local side crosses a page into two hypercall ops.
	 */
	pkt->buf = pkt->mem + (DUET_PAGE_SIZE - pkt->first_len % DUET_PAGE_SIZE) %
				      DUET_PAGE_SIZE;
	if (pkt->status == NETIF_RSP_OKAY &&
	    pkt->req[0].offset + pkt->first_len > DUET_PAGE_SIZE) {
		nb_broken(vif, "tx: first slot offset %u + size %u crosses "
			  "the page", pkt->req[0].offset, pkt->first_len);
		return -EPROTO;
	}
	if (pkt->has_gso) {
		if (!pkt->gso.u.gso.size) {
			nb_broken(vif, "tx: GSO size must not be zero");
			return -EPROTO;
		}
		if (pkt->gso.u.gso.type != XEN_NETIF_GSO_TYPE_TCPV4 &&
		    pkt->gso.u.gso.type != XEN_NETIF_GSO_TYPE_TCPV6) {
			nb_broken(vif, "tx: bad GSO type %u",
				  pkt->gso.u.gso.type);
			return -EPROTO;
		}
	}
	if (pkt->has_mcast) {
		/* A control request: answered, not transmitted. */
		pkt->nseg = 0;
		pkt->seg0 = q->ntxseg;
		pkt->len = 0;
		q->ntxp++;
		return q->ntxp == NB_BATCH ? tx_flush(q) : 0;
	}
	if (pkt->req[0].size < 14)
		pkt->status = NETIF_RSP_ERROR; /* shorter than Ethernet */
	pkt->len = pkt->req[0].size;
	pkt->seg0 = q->ntxseg;
	pkt->nseg = 0;
	if (pkt->status == NETIF_RSP_OKAY) {
		for (i = 0; i < pkt->nreq; i++) {
			struct duet_gnt_copy_seg *g = &q->txseg[q->ntxseg++];
			unsigned len = i ? pkt->req[i].size : pkt->first_len;

			memset(g, 0, sizeof(*g));
			g->flags = DUET_GNT_COPY_SRC_GREF;
			g->src.foreign.ref = pkt->req[i].gref;
			g->src.foreign.offset = pkt->req[i].offset;
			g->src.foreign.domid = (duet_domid_t)vif->fe_domid;
			g->dst.virt = pkt->buf + pos;
			g->len = (uint16_t)len;
			pos += len;
			pkt->nseg++;
		}
	}
	q->ntxp++;
	if (q->ntxp == NB_BATCH)
		return tx_flush(q);
	return 0;
}

/* Feed one request (copied out of the ring) to the packet assembler. */
static int tx_feed(struct nb_queue *q, const struct netif_tx_request *req)
{
	struct nb_vif *vif = q->vif;
	struct nb_txstate *s = &q->txs;
	struct nb_txpkt *pkt = &q->txp[q->ntxp];

	if (!s->active) {
		memset(s, 0, sizeof(*s));
		pkt->nreq = 1;
		pkt->req[0] = *req;
		pkt->nslot = 1;
		pkt->slot[0].id = req->id;
		pkt->slot[0].null = 0;
		pkt->has_gso = 0;
		pkt->has_mcast = 0;
		pkt->status = NETIF_RSP_OKAY;
		s->active = 1;
		s->remaining = req->size;
		s->want_extra = !!(req->flags & NETTXF_extra_info);
		s->more = !!(req->flags & NETTXF_more_data);
		if (req->offset >= DUET_PAGE_SIZE) {
			nb_broken(vif, "tx: offset %u past the page",
				  req->offset);
			return -EPROTO;
		}
		goto check_done;
	}
	if (s->want_extra) {
		struct netif_extra_info ex;

		memcpy(&ex, req, sizeof(ex));
		if (s->nextra++ >= NB_MAX_EXTRAS) {
			nb_broken(vif, "tx: more than %u extra-info slots",
				  NB_MAX_EXTRAS);
			return -EPROTO;
		}
		if (!ex.type || ex.type >= XEN_NETIF_EXTRA_TYPE_MAX) {
			nb_broken(vif, "tx: invalid extra type %u", ex.type);
			return -EPROTO;
		}
		if (ex.type == XEN_NETIF_EXTRA_TYPE_GSO) {
			pkt->gso = ex;
			pkt->has_gso = 1;
		}
		if (ex.type == XEN_NETIF_EXTRA_TYPE_MCAST_ADD ||
		    ex.type == XEN_NETIF_EXTRA_TYPE_MCAST_DEL) {
			pkt->has_mcast = 1;
			if (nb_mcast_update(vif, &ex) < 0)
				pkt->status = NETIF_RSP_ERROR;
		}
		/* HASH extras are accepted and ignored (netif.h: a backend
		 * that hashes accepts them): a TAP frame has no field to
		 * carry a hash to the kernel. */
		pkt->slot[pkt->nslot].id = 0;
		pkt->slot[pkt->nslot].null = 1;
		pkt->nslot++;
		s->want_extra = !!(ex.flags & XEN_NETIF_EXTRA_FLAG_MORE);
		goto check_done;
	}
	/* A further data slot. */
	if (pkt->nreq >= NB_FATAL_SLOTS) {
		nb_broken(vif, "tx: too many slots (more than %u)",
			  NB_FATAL_SLOTS);
		return -EPROTO;
	}
	if (req->offset + req->size > DUET_PAGE_SIZE) {
		nb_broken(vif, "tx: slot offset %u + size %u crosses the page",
			  req->offset, req->size);
		return -EPROTO;
	}
	if (pkt->nreq >= NB_LEGACY_SLOTS)
		pkt->status = NETIF_RSP_ERROR;
	if (req->size > s->remaining) {
		pkt->status = NETIF_RSP_ERROR;
		s->remaining = 0;
	} else {
		s->remaining -= req->size;
	}
	pkt->req[pkt->nreq++] = *req;
	pkt->slot[pkt->nslot].id = req->id;
	pkt->slot[pkt->nslot].null = 0;
	pkt->nslot++;
	s->more = !!(req->flags & NETTXF_more_data);
check_done:
	if (s->want_extra || s->more)
		return 0;
	if (pkt->status != NETIF_RSP_OKAY)
		pkt->nreq = pkt->nreq < NB_FATAL_SLOTS ? pkt->nreq :
							 NB_FATAL_SLOTS;
	return tx_complete(q);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * Busy-poll (DUET_NETBACK_POLL_US, off by default): before going to sleep,
 * watch the ring for the frontend's next request for up to vif->poll_ns.
 * req_event is not armed meanwhile, so a frontend that produces in that
 * window sends no event (no hypercall on its side, no interrupt and no
 * wake-up on ours), and the port stays masked until do_events() unmasks
 * it.  It buys latency with a core's time while it spins: Linux's NAPI
 * keeps polling the same way while work keeps coming.  1: a request is
 * there; 0: the budget ran out.
 */
static int tx_busy_poll(struct nb_queue *q)
{
	struct nb_vif *vif = q->vif;
	uint64_t end = now_ns() + vif->poll_ns;
	unsigned spins = 0;

	do {
		/* A broken ring (< 0) is reported by the caller's get. */
		if (duet_ring_back_unconsumed(q->tx)) {
			nb_count(&vif->poll_hit, 1);
			return 1;
		}
		if (++spins % 32) {
			__builtin_ia32_pause();
			continue;
		}
		/* Now and then a yield: the task that produces our next
		 * packet (a local sender) may be waiting for this CPU.  The
		 * clock is read as seldom: where the vDSO cannot read it (a
		 * PV guest without a stable TSC) it is a system call. */
		sched_yield();
		if (now_ns() >= end)
			break;
	} while (1);
	nb_count(&vif->poll_miss, 1);
	return 0;
}

int nb_tx_process(struct nb_queue *q)
{
	struct netif_tx_request req;
	int rc;

	for (;;) {
		rc = duet_ring_back_get_req(q->tx, &req);
		if (rc < 0) {
			nb_broken(q->vif, "tx: ring producer index runs away");
			return rc;
		}
		if (rc == 0) {
			rc = tx_flush(q);
			if (rc < 0)
				return rc;
			if (q->vif->poll_ns && tx_busy_poll(q))
				continue;
			/* Arm req_event and look once more (pairs with the
			 * frontend's RING_PUSH_REQUESTS_AND_CHECK_NOTIFY). */
			rc = duet_ring_back_final_check(q->tx);
			if (rc < 0) {
				nb_broken(q->vif,
					  "tx: ring producer index runs away");
				return rc;
			}
			if (rc == 0)
				return 0;
			continue;
		}
		rc = tx_feed(q, &req);
		if (rc < 0)
			return rc;
	}
}

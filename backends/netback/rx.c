/* SPDX-License-Identifier: MIT */
/*
 * rx.c - netback's receive path: frames read from the TAP device are
 * copied into the pages the frontend posted on its rx ring.
 *
 * A packet on the rx ring (netif.h), one response per request, each in
 * the slot of its request (Linux's netfront relies on it):
 *   slot 0   netif_rx_response: id, offset 0, status = bytes in this page,
 *            flags NETRXF_* (csum_blank, data_validated, more_data,
 *            extra_info)
 *   slot 1.. when slot 0 has NETRXF_extra_info: netif_extra_info slots
 *            (GSO type and size; the HASH value); their requests' pages
 *            are not used
 *   then     further pages, NETRXF_more_data on every one but the last
 * A packet needs ceil(len / 4096) data slots (one unless the frontend
 * wrote feature-sg=1) plus one per extra-info slot.  A frame that needs more
 * than NB_RX_MAX_SLOTS, or more than one page without feature-sg, or a GSO
 * type the frontend did not ask for, is dropped.
 *
 * Checksums: a frame the kernel hands over with a partial checksum
 * (VIRTIO_NET_HDR_F_NEEDS_CSUM) goes out with csum_blank | data_validated
 * when the frontend accepts that for the protocol (IPv4 unless
 * feature-no-csum-offload=1, IPv6 when feature-ipv6-csum-offload=1);
 * otherwise the checksum is completed here first.
 *
 * Grant map (backend node duet-rx-mode = "map", for a frontend that asked
 * for rx-copy): the same segments, but the frontend's pages are mapped
 * writable, the frame is copied in with memcpy() and the pages are
 * unmapped (nb_map_copy()) -- the shared-page receive path of the Xen I/O
 * papers, instead of the hypervisor's grant copy.
 *
 * DMA (backend node "dma"): the emulated NIC writes each frame into the
 * same pages through DMA instead (nb_dma_rx(), dma.c).
 *
 * Page transfer (feature-rx-flip, offered only where the platform can
 * transfer pages: the simulator): when the frontend wrote
 * request-rx-copy=0, its rx requests carry accept-transfer grants; each
 * data slot's bytes go into a page this domain owns, which is then handed
 * over (duet_gnt_transfer()) instead of copied into the frontend's page.
 *
 * Steering (ctrl.c): without hashing a frame goes to the rx ring of the
 * queue whose TAP queue it came from.  With Toeplitz hashing set over the
 * control ring, the hash and mapping table pick the rx ring, and the
 * packet carries a XEN_NETIF_EXTRA_TYPE_HASH extra-info slot (after the
 * GSO one when both are there, XEN_NETIF_EXTRA_FLAG_MORE chaining them).
 *
 * Flow control: when fewer rx requests are posted than the frame needs,
 * the frame waits in q->rx_pending of the queue it was read from, that
 * queue's TAP is not polled, and req_event is set on the ring it waits for
 * so that the frontend's next request notifies us (a frontend without
 * feature-rx-notify is polled by the main loop instead).
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "backends/netback/common.h"

int nb_rx_init(struct nb_queue *q)
{
	unsigned i;
	void *m;
	int rc;

	q->nrxp = 0;
	q->nrxseg = 0;
	q->rx_pending_len = 0;
	q->rx_stalled = 0;
	if (q->rx_mem)
		return 0;
	rc = duet_gnt_copy_buf_alloc(q->vif->p, (NB_BATCH + 1) * NB_RX_STRIDE,
				     &m);
	if (rc < 0)
		return rc;
	/* The buffers change hands (rx_take()) but stay in rx_mem. */
	q->rx_mem = m;
	q->rx_pending = q->rx_mem + NB_BATCH * NB_RX_STRIDE;
	for (i = 0; i < NB_BATCH; i++)
		q->rxp[i].buf = q->rx_mem + i * NB_RX_STRIDE;
	return 0;
}

void nb_rx_fini(struct nb_queue *q)
{
	unsigned i;

	if (q->rx_mem)
		duet_gnt_copy_buf_free(q->vif->p, q->rx_mem,
				       (NB_BATCH + 1) * NB_RX_STRIDE);
	q->rx_mem = NULL;
	q->rx_pending = NULL;
	for (i = 0; i < NB_BATCH; i++)
		q->rxp[i].buf = NULL;
}

/* The buffers hold the vnet header first, the frame after it. */
#define RX_HDR(b) ((struct netdev_vnet_hdr *)(b))
#define RX_FRAME(b) ((b) + sizeof(struct netdev_vnet_hdr))

/* Copy (or map and copy) the batch into the frontend's pages, answer,
 * notify. */
static int rx_flush(struct nb_queue *q)
{
	struct nb_vif *vif = q->vif;
	struct netif_rx_response rsp;
	unsigned i, s, d, left;
	int rc, err;

	if (!q->nrxp)
		return 0;
	if (q->nrxseg) {
		rc = vif->dma    ? nb_dma_rx(q) :
		     vif->rx_map ? nb_map_copy(vif, q->rxseg, q->nrxseg) :
				   duet_gnt_copy(vif->p, q->rxseg, q->nrxseg);
		if (rc < 0)
			return rc;
	}
	for (i = 0; i < q->nrxp; i++) {
		struct nb_rxpkt *pkt = &q->rxp[i];

		err = 0;
		for (s = 0; s < pkt->nseg; s++)
			if (q->rxseg[pkt->seg0 + s].status)
				err = 1;
		for (s = 0; vif->rx_flip && s < pkt->nreq; s++) {
			if (s >= 1 && s <= pkt->nextra)
				continue;
			if (!pkt->flip_page[s] ||
			    duet_gnt_transfer(vif->p, pkt->flip_page[s],
					      (duet_domid_t)vif->fe_domid,
					      pkt->req[s].gref) < 0) {
				if (pkt->flip_page[s])
					duet_gnt_transfer_page_free(
						vif->p, pkt->flip_page[s]);
				err = 1;
			}
			pkt->flip_page[s] = NULL;
		}
		if (err)
			nb_count(&vif->st.rx_dropped, 1);
		else {
			nb_count(&vif->st.rx_packets, 1);
			nb_count(&vif->st.rx_bytes, pkt->len);
			nb_count(&q->rx_frames, 1);
		}
		left = pkt->len;
		for (s = 0, d = 0; s < pkt->nreq; s++) {
			unsigned chunk;

			if (s >= 1 && s <= pkt->nextra) {
				struct netif_extra_info ex = pkt->extra[s - 1];

				/* Chained: MORE on all but the last extra. */
				if (s < pkt->nextra)
					ex.flags |= XEN_NETIF_EXTRA_FLAG_MORE;
				memcpy(&rsp, &ex, sizeof(rsp));
				rc = duet_ring_back_put_rsp(q->rx, &rsp);
				if (rc < 0)
					return rc;
				continue;
			}
			chunk = left < DUET_PAGE_SIZE ? left : DUET_PAGE_SIZE;
			left -= chunk;
			memset(&rsp, 0, sizeof(rsp));
			rsp.id = pkt->req[s].id;
			rsp.offset = 0;
			rsp.flags = d == 0 ? pkt->flags : 0;
			if (d + 1 < pkt->ndata)
				rsp.flags |= NETRXF_more_data;
			rsp.status = err ? NETIF_RSP_ERROR : (int16_t)chunk;
			rc = duet_ring_back_put_rsp(q->rx, &rsp);
			if (rc < 0)
				return rc;
			d++;
		}
	}
	q->nrxp = 0;
	q->nrxseg = 0;
	rc = duet_ring_back_push(q->rx);
	if (rc > 0)
		duet_evtchn_notify(q->rx_evt, (duet_evtchn_port_t)q->rx_port);
	return rc < 0 ? rc : 0;
}

/*
 * Rx requests the frontend has posted and we have not taken, asking to be
 * notified on the next one when fewer than @need are there.
 */
static int rx_slots(struct nb_queue *q, unsigned need)
{
	struct netif_rx_sring *sring = q->rx_sring;
	int avail;

	avail = duet_ring_back_final_check(q->rx);
	if (avail >= 0 && (unsigned)avail < need) {
		/*
		 * Ask for an event on the very next request, as Linux's
		 * xenvif_rx_ring_slots_available() does; req_event is the
		 * backend's field of the shared header.  The fence orders
		 * this store before the re-read of req_prod in final_check
		 * below, and pairs with the frontend's full barrier between
		 * its req_prod store and its req_event load
		 * (RING_PUSH_REQUESTS_AND_CHECK_NOTIFY).
		 */
		__atomic_store_n(&sring->req_event,
				 __atomic_load_n(&sring->req_prod,
						 __ATOMIC_RELAXED) + 1,
				 __ATOMIC_RELAXED);
		atomic_thread_fence(memory_order_seq_cst);
		avail = duet_ring_back_final_check(q->rx);
	}
	if (avail < 0)
		nb_broken(q->vif, "rx: ring producer index runs away");
	return avail;
}

/*
 * Plan the frame in @src->rx_pending into @q's batch (@q is @src unless
 * hashing sent the frame to another queue's rx ring); @hash is its HASH
 * extra-info (type 0: none).  1 taken or dropped, 0 stalled (@q has too
 * few rx requests; the frame stays in @src), -errno.
 */
static int rx_take(struct nb_queue *src, struct nb_queue *q,
		   const struct netif_extra_info *hash)
{
	struct nb_vif *vif = q->vif;
	struct nb_rxpkt *pkt = &q->rxp[q->nrxp];
	uint8_t *b = src->rx_pending;
	struct netdev_vnet_hdr *h = RX_HDR(b);
	unsigned len = (unsigned)src->rx_pending_len, ndata, need, i, pos;
	int ipv6 = 0, rc, has_gso = 0;
	struct netdev_l4 l4;

	/* request-multicast-control: multicast the frontend did not
	 * subscribe to is dropped; broadcast always passes. */
	if (vif->mcast_ctrl && len >= 6 && (RX_FRAME(b)[0] & 1) &&
	    memcmp(RX_FRAME(b), "\xff\xff\xff\xff\xff\xff", 6) &&
	    !nb_mcast_match(vif, RX_FRAME(b)))
		goto drop;
	ndata = (len + DUET_PAGE_SIZE - 1) / DUET_PAGE_SIZE;
	if (!ndata)
		ndata = 1;
	if (h->gso_type != NETDEV_GSO_NONE) {
		if (!((h->gso_type == NETDEV_GSO_TCPV4 && vif->fe_gso4) ||
		      (h->gso_type == NETDEV_GSO_TCPV6 && vif->fe_gso6)))
			goto drop;
		has_gso = 1;
	}
	if (ndata > (vif->fe_sg ? NB_RX_MAX_SLOTS - 1 : 1))
		goto drop;
	pkt->flags = 0;
	if (h->flags & NETDEV_HDR_F_NEEDS_CSUM) {
		if (netdev_parse_l4(RX_FRAME(b), len, &l4) == 0)
			ipv6 = l4.ipv6;
		if ((ipv6 && vif->fe_csum6) || (!ipv6 && vif->fe_csum4)) {
			pkt->flags = NETRXF_csum_blank | NETRXF_data_validated;
		} else if (has_gso) {
			goto drop;
		} else {
			if (netdev_csum_finish(RX_FRAME(b), len, h->csum_start,
					     h->csum_offset) < 0)
				goto drop;
			pkt->flags = NETRXF_data_validated;
		}
	} else if (h->flags & NETDEV_HDR_F_DATA_VALID) {
		pkt->flags = NETRXF_data_validated;
	}
	/* Extras in type order, as Linux's netback sends them: GSO, HASH. */
	pkt->nextra = 0;
	if (has_gso) {
		struct netif_extra_info *ex = &pkt->extra[pkt->nextra++];

		memset(ex, 0, sizeof(*ex));
		ex->type = XEN_NETIF_EXTRA_TYPE_GSO;
		ex->u.gso.size = h->gso_size;
		ex->u.gso.type = h->gso_type == NETDEV_GSO_TCPV4 ?
					 XEN_NETIF_GSO_TYPE_TCPV4 :
					 XEN_NETIF_GSO_TYPE_TCPV6;
	}
	if (hash->type == XEN_NETIF_EXTRA_TYPE_HASH)
		pkt->extra[pkt->nextra++] = *hash;
	need = ndata + pkt->nextra;
	rc = rx_slots(q, need);
	if (rc < 0)
		return rc;
	if ((unsigned)rc < need)
		return 0;
	pkt->nreq = 0;
	for (i = 0; i < need; i++) {
		rc = duet_ring_back_get_req(q->rx, &pkt->req[i]);
		if (rc <= 0) {
			nb_broken(vif, "rx: ring producer index runs away");
			return rc < 0 ? rc : -EPROTO;
		}
		pkt->nreq++;
	}
	if (pkt->nextra)
		pkt->flags |= NETRXF_extra_info;
	pkt->ndata = ndata;
	pkt->len = len;
	pkt->seg0 = q->nrxseg;
	pkt->nseg = 0;
	for (i = 0, pos = 0; i < need; i++) {
		struct duet_gnt_copy_seg *g;
		unsigned chunk;

		pkt->flip_page[i] = NULL;
		if (i >= 1 && i <= pkt->nextra)
			continue;
		chunk = len - pos < DUET_PAGE_SIZE ? len - pos : DUET_PAGE_SIZE;
		if (vif->rx_flip) {
			/* A page of our own, given away at flush time. */
			if (duet_gnt_transfer_page_alloc(vif->p,
							 &pkt->flip_page[i]) == 0)
				memcpy(pkt->flip_page[i], RX_FRAME(b) + pos,
				       chunk);
			else
				pkt->flip_page[i] = NULL;
			pos += chunk;
			continue;
		}
		g = &q->rxseg[q->nrxseg++];
		memset(g, 0, sizeof(*g));
		g->flags = DUET_GNT_COPY_DST_GREF;
		g->src.virt = RX_FRAME(b) + pos;
		g->dst.foreign.ref = pkt->req[i].gref;
		g->dst.foreign.offset = 0;
		g->dst.foreign.domid = (duet_domid_t)vif->fe_domid;
		g->len = (uint16_t)chunk;
		pos += chunk;
		pkt->nseg++;
	}
	/* The frame's buffer moves to the batch; the batch's spare buffer
	 * becomes the source queue's next pending one (all buffers have the
	 * same size, so they may change queues). */
	src->rx_pending = pkt->buf;
	pkt->buf = b;
	src->rx_pending_len = 0;
	q->nrxp++;
	return 1;
drop:
	nb_count(&vif->st.rx_dropped, 1);
	src->rx_pending_len = 0;
	return 1;
}

/* Flush every queue with packets in its batch. */
static int rx_flush_all(struct nb_vif *vif)
{
	unsigned i;
	int rc;

	for (i = 0; i < vif->nqueues; i++) {
		rc = rx_flush(&vif->q[i]);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int nb_rx_process(struct nb_queue *q)
{
	struct nb_vif *vif = q->vif;
	int hashing = vif->hash.alg != XEN_NETIF_CTRL_HASH_ALGORITHM_NONE;
	struct netif_extra_info hash;
	struct netdev_vnet_hdr *h;
	struct nb_queue *t;
	ssize_t n;
	int rc;

	q->rx_stalled = 0;
	for (;;) {
		if (!q->rx_pending_len) {
			n = read(q->tapfd, q->rx_pending,
				 NETDEV_MAX_FRAME + sizeof(*h));
			if (n < 0) {
				if (errno == EAGAIN || errno == EINTR)
					break;
				return -errno;
			}
			if ((size_t)n <= sizeof(*h))
				continue;
			q->rx_pending_len = (size_t)n - sizeof(*h);
		}
		/* The control ring's hash and mapping pick the rx ring; the
		 * TAP queue the kernel chose otherwise (ctrl.c). */
		t = &vif->q[nb_hash_select(vif, RX_FRAME(q->rx_pending),
					   q->rx_pending_len, q->id, &hash)];
		rc = rx_take(q, t, &hash);
		if (rc < 0)
			return rc;
		if (rc == 0) {
			q->rx_stalled = 1;
			break;
		}
		if (t->nrxp == NB_BATCH) {
			rc = rx_flush(t);
			if (rc < 0)
				return rc;
		}
	}
	return hashing ? rx_flush_all(vif) : rx_flush(q);
}

int nb_rx_retry_stalled(struct nb_vif *vif)
{
	unsigned i;
	int rc;

	if (vif->hash.alg == XEN_NETIF_CTRL_HASH_ALGORITHM_NONE)
		return 0;
	for (i = 0; i < vif->nqueues && !nb_disabled(vif); i++) {
		if (!vif->q[i].rx_stalled)
			continue;
		rc = nb_rx_process(&vif->q[i]);
		if (rc < 0)
			return rc;
	}
	return 0;
}

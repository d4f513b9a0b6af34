/* SPDX-License-Identifier: MIT */
/*
 * tx.c - netfront's transmit path: frames read from the TAP device go to
 * the backend as tx requests.
 *
 * Pages: NF_RING pages are granted read-only to the backend once per
 * connection; tx id i always carries page i, so a request names a page
 * this queue owns and the data is copied into it (userspace cannot grant
 * the kernel's socket buffers).  A frame of n bytes takes ceil(n / 4096)
 * data slots (one without the backend's feature-sg) and one more for a
 * GSO extra-info slot:
 *   slot 0   gref/offset 0, size = the whole frame, flags csum_blank |
 *            data_validated for a partial checksum, extra_info for GSO,
 *            more_data when more data slots follow
 *   slot 1   the GSO netif_extra_info (when GSO)
 *   then     the other pages, size = their chunk
 * Responses are matched by id; an id not in flight is a protocol violation
 * (the backend is not trusted).
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "frontends/netfront/common.h"

int nf_tx_init(struct nf_queue *q)
{
	struct nf_vif *vif = q->vif;
	void *pages;
	unsigned i;
	int rc;

	rc = duet_gnt_share(vif->p, (duet_domid_t)vif->be_domid, NF_RING,
			    DUET_GNT_READONLY, q->tx_refs, &pages);
	if (rc < 0)
		return rc;
	q->tx_pages = pages;
	q->ntx_free = 0;
	for (i = 0; i < NF_RING; i++) {
		q->tx_inuse[i] = 0;
		q->tx_free[q->ntx_free++] = (uint16_t)(NF_RING - 1 - i);
	}
	q->tx_full = 0;
	if (!q->tx_frame)
		q->tx_frame = malloc(NETDEV_MAX_FRAME +
				     sizeof(struct netdev_vnet_hdr));
	return q->tx_frame ? 0 : -ENOMEM;
}

void nf_tx_fini(struct nf_queue *q)
{
	/* A backend still mapping a page keeps the share alive until it
	 * unmaps; we never touch these pages again. */
	if (q->tx_pages)
		duet_gnt_end_share(q->vif->p, q->tx_pages, NF_RING);
	q->tx_pages = NULL;
	free(q->tx_frame);
	q->tx_frame = NULL;
}

/* Queue the frame in q->tx_frame (@len bytes after the header). */
static int tx_put(struct nf_queue *q, size_t len)
{
	struct nf_vif *vif = q->vif;
	struct netdev_vnet_hdr *h = (struct netdev_vnet_hdr *)q->tx_frame;
	uint8_t *f = q->tx_frame + sizeof(*h);
	unsigned nslots, k, pos = 0, gso = 0;
	uint16_t flags = 0;
	struct netdev_l4 l4;
	int rc;

	if (h->gso_type != NETDEV_GSO_NONE) {
		if ((h->gso_type == NETDEV_GSO_TCPV4 && vif->be_gso4) ||
		    (h->gso_type == NETDEV_GSO_TCPV6 && vif->be_gso6))
			gso = h->gso_type == NETDEV_GSO_TCPV4 ?
				      XEN_NETIF_GSO_TYPE_TCPV4 :
				      XEN_NETIF_GSO_TYPE_TCPV6;
		else
			return -EPROTONOSUPPORT;
	}
	if (h->flags & NETDEV_HDR_F_NEEDS_CSUM) {
		/* IPv4 csum_blank is always fine (netif.h); IPv6 only with
		 * the backend's feature-ipv6-csum-offload. */
		rc = netdev_parse_l4(f, len, &l4);
		if (!rc && l4.ipv6 && !vif->be_csum6) {
			if (gso)
				return -EPROTONOSUPPORT;
			netdev_csum_finish(f, len, h->csum_start,
					 h->csum_offset);
			flags = NETTXF_data_validated;
		} else {
			flags = NETTXF_csum_blank | NETTXF_data_validated;
		}
	} else if (h->flags & NETDEV_HDR_F_DATA_VALID) {
		flags = NETTXF_data_validated;
	}
	nslots = (unsigned)((len + DUET_PAGE_SIZE - 1) / DUET_PAGE_SIZE);
	if (len < 14 || len > XEN_NETIF_MAX_TX_SIZE || nslots > NF_MAX_SLOTS ||
	    (nslots > 1 && !vif->be_sg))
		return -EMSGSIZE;
	for (k = 0; k < nslots; k++) {
		struct netif_tx_request req;
		unsigned chunk = len - pos < DUET_PAGE_SIZE ?
					 (unsigned)(len - pos) :
					 DUET_PAGE_SIZE;
		uint16_t id = q->tx_free[--q->ntx_free];

		q->tx_inuse[id] = 1;
		memcpy(q->tx_pages + (size_t)id * DUET_PAGE_SIZE, f + pos,
		       chunk);
		memset(&req, 0, sizeof(req));
		req.gref = q->tx_refs[id];
		req.offset = 0;
		req.id = id;
		req.size = (uint16_t)(k == 0 ? len : chunk);
		req.flags = k == 0 ? flags : 0;
		if (k + 1 < nslots)
			req.flags |= NETTXF_more_data;
		if (k == 0 && gso)
			req.flags |= NETTXF_extra_info;
		duet_ring_front_put_req(q->tx, &req);
		pos += chunk;
		if (k == 0 && gso) {
			struct netif_extra_info ex;
			struct netif_tx_request slot;

			memset(&ex, 0, sizeof(ex));
			ex.type = XEN_NETIF_EXTRA_TYPE_GSO;
			ex.u.gso.size = h->gso_size;
			ex.u.gso.type = (uint8_t)gso;
			memset(&slot, 0, sizeof(slot));
			memcpy(&slot, &ex, sizeof(ex));
			duet_ring_front_put_req(q->tx, &slot);
		}
	}
	return 0;
}

int nf_tx_from_tap(struct nf_queue *q)
{
	struct nf_vif *vif = q->vif;
	ssize_t n;
	int rc, sent = 0;

	q->tx_full = 0;
	for (;;) {
		/* Room for the largest packet: its ids and its ring slots. */
		if (q->ntx_free < NF_MAX_SLOTS ||
		    duet_ring_front_free(q->tx) < NF_MAX_SLOTS + 1) {
			q->tx_full = 1;
			break;
		}
		n = read(q->tapfd, q->tx_frame,
			 NETDEV_MAX_FRAME + sizeof(struct netdev_vnet_hdr));
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			return -errno;
		}
		if ((size_t)n <= sizeof(struct netdev_vnet_hdr))
			continue;
		rc = tx_put(q, (size_t)n - sizeof(struct netdev_vnet_hdr));
		if (rc < 0) {
			vif->st.tx_dropped++;
			continue;
		}
		vif->st.tx_packets++;
		sent = 1;
		/* Publish in batches of a few packets. */
		if (NF_RING - duet_ring_front_free(q->tx) >= 64) {
			rc = duet_ring_front_push(q->tx);
			if (rc > 0)
				duet_evtchn_notify(vif->evt,
						   (duet_evtchn_port_t)q->tx_port);
		}
	}
	if (!sent)
		return 0;
	rc = duet_ring_front_push(q->tx);
	if (rc > 0)
		duet_evtchn_notify(vif->evt, (duet_evtchn_port_t)q->tx_port);
	return rc < 0 ? rc : 0;
}

int nf_tx_responses(struct nf_queue *q)
{
	struct nf_vif *vif = q->vif;
	struct netif_tx_response rsp;
	int rc;

	for (;;) {
		rc = duet_ring_front_get_rsp(q->tx, &rsp);
		if (rc < 0) {
			nf_broken(vif, "tx: bad rsp_prod");
			return -EPROTO;
		}
		if (rc == 0) {
			rc = duet_ring_front_final_check(q->tx);
			if (rc < 0)
				return -EPROTO;
			if (rc == 0)
				break;
			continue;
		}
		if (rsp.status == NETIF_RSP_NULL)
			continue;
		if (rsp.id >= NF_RING || !q->tx_inuse[rsp.id]) {
			nf_broken(vif,
				  "tx: response for id %u not in "
				  "flight",
				  rsp.id);
			return -EPROTO;
		}
		q->tx_inuse[rsp.id] = 0;
		q->tx_free[q->ntx_free++] = rsp.id;
		if (rsp.status != NETIF_RSP_OKAY)
			vif->st.tx_dropped++;
	}
	return 0;
}

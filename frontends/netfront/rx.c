/* SPDX-License-Identifier: MIT */
/*
 * rx.c - netfront's receive path: rx responses become TAP frames.
 *
 * NF_RING pages are granted read-write to the backend once per
 * connection.  The request in ring slot s always carries id s and page s,
 * and the backend answers in the slot of the request (netif.h; Linux's
 * netfront relies on it too), so a response is found by its slot, and an
 * id that is not its slot is a hostile backend.
 *
 * A packet: a data response (status = bytes at offset in this page,
 * NETRXF_* flags), then netif_extra_info slots when NETRXF_extra_info is
 * set (GSO, HASH -- the hash is not used: a TAP frame has no field for
 * it), then more data responses while NETRXF_more_data is set.
 * A response with a negative status, offset + status past the page, a
 * wrong id, more than NF_MAX_SLOTS data slots, more extra-info slots than
 * there are types, or extra-info of an unknown type drops the packet; the
 * slots are reused either way.
 *
 * Copy mode writes a packet to the TAP with writev() straight from its rx
 * pages (no assembly into a buffer of ours); its slots are reposted only
 * after that.  The headers are parsed in the first page; a packet whose
 * headers run past it is assembled in rx_buf first, as flip mode's always
 * is.  The kernel checks the vnet header against the frame (tun's
 * virtio_net_hdr_to_skb()), so a backend that rewrites a page it still
 * holds a grant on between our parse and the write gains nothing it could
 * not send anyway.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "frontends/netfront/common.h"

int nf_rx_init(struct nf_queue *q)
{
	struct nf_vif *vif = q->vif;
	void *pages;
	int rc;

	memset(q->rx_ref_used, 0, sizeof(q->rx_ref_used));
	if (vif->flip) {
		/* One accept-transfer grant per slot, renewed once used. */
		rc = duet_gnt_transfer_offer(vif->p,
					     (duet_domid_t)vif->be_domid,
					     NF_RING, q->rx_refs);
		pages = NULL;
	} else {
		rc = duet_gnt_share(vif->p, (duet_domid_t)vif->be_domid,
				    NF_RING, 0, q->rx_refs, &pages);
	}
	if (rc < 0)
		return rc;
	q->rx_pages = pages;
	q->rx_cons = 0;
	q->rx_posted = 0;
	q->rx_active = 0;
	if (!q->rx_buf)
		q->rx_buf = malloc(NETDEV_MAX_FRAME +
				   sizeof(struct netdev_vnet_hdr));
	return q->rx_buf ? 0 : -ENOMEM;
}

void nf_rx_fini(struct nf_queue *q)
{
	/* As for tx: ended once a backend no longer maps them.  Flip: open
	 * accept-transfer offers cannot be withdrawn; they die with the
	 * connection's grant table entries. */
	if (q->rx_pages)
		duet_gnt_end_share(q->vif->p, q->rx_pages, NF_RING);
	q->rx_pages = NULL;
	free(q->rx_buf);
	q->rx_buf = NULL;
}

int nf_rx_fill(struct nf_queue *q)
{
	struct netif_rx_request req;
	int rc, n = 0;

	while (duet_ring_front_free(q->rx) > 0) {
		unsigned slot = duet_ring_front_slot(q->rx);

		/* Request rx_cons + rx_posted reuses the slot of the response
		 * NF_RING before it: not one of a packet still gathered. */
		if (q->rx_active &&
		    q->rx_cons + q->rx_posted - q->rx_pkt_cons >= NF_RING)
			break;

		if (q->rx_ref_used[slot]) {
			rc = duet_gnt_transfer_offer(
				q->vif->p, (duet_domid_t)q->vif->be_domid, 1,
				&q->rx_refs[slot]);
			if (rc < 0)
				return rc;
			q->rx_ref_used[slot] = 0;
		}
		memset(&req, 0, sizeof(req));
		req.id = (uint16_t)slot;
		req.gref = q->rx_refs[slot];
		rc = duet_ring_front_put_req(q->rx, &req);
		if (rc < 0)
			return rc;
		q->rx_posted++;
		n++;
	}
	if (!n)
		return 0;
	/* feature-rx-notify: we kick the backend when it asked for it. */
	rc = duet_ring_front_push(q->rx);
	if (rc > 0)
		duet_evtchn_notify(q->vif->evt, (duet_evtchn_port_t)q->rx_port);
	return rc < 0 ? rc : 0;
}

/* Copy the packet's pages after rx_iov[0] into rx_buf, which becomes its
 * one iovec after the header. */
static void rx_linearize(struct nf_queue *q)
{
	uint8_t *f = q->rx_buf + sizeof(struct netdev_vnet_hdr);
	unsigned i;

	for (i = 1; i < q->rx_niov; i++) {
		memcpy(f, q->rx_iov[i].iov_base, q->rx_iov[i].iov_len);
		f += q->rx_iov[i].iov_len;
	}
	q->rx_iov[1].iov_base = q->rx_buf + sizeof(struct netdev_vnet_hdr);
	q->rx_iov[1].iov_len = q->rx_len;
	q->rx_niov = 2;
}

/* The gathered packet is complete: hand it to the TAP, or drop it. */
static void rx_deliver(struct nf_queue *q)
{
	struct nf_vif *vif = q->vif;
	struct netdev_vnet_hdr *h = (struct netdev_vnet_hdr *)q->rx_buf;
	struct netdev_l4 l4;
	int rc;

	q->rx_active = 0;
	if (q->rx_bad || q->rx_len < 14)
		goto drop;
	memset(h, 0, sizeof(*h));
	if (q->rx_iov[1].iov_len < 14)
		rx_linearize(q);
	if (q->rx_flags & NETRXF_csum_blank) {
		rc = netdev_parse_l4(q->rx_iov[1].iov_base,
				     q->rx_iov[1].iov_len, &l4);
		if (rc == -EINVAL && q->rx_iov[1].iov_len < q->rx_len) {
			rx_linearize(q);
			rc = netdev_parse_l4(q->rx_iov[1].iov_base,
					     q->rx_len, &l4);
		}
		if (rc < 0)
			goto drop;
		h->flags = NETDEV_HDR_F_NEEDS_CSUM;
		h->csum_start = l4.l4;
		h->csum_offset = (uint16_t)netdev_csum_offset(l4.proto);
		if (q->rx_has_gso) {
			if (l4.proto != IPPROTO_TCP)
				goto drop;
			h->gso_type = l4.ipv6 ? NETDEV_GSO_TCPV6 : NETDEV_GSO_TCPV4;
			h->gso_size = q->rx_gso.u.gso.size;
			h->hdr_len = l4.hdrlen;
		}
	} else if (q->rx_has_gso) {
		goto drop; /* GSO without a partial checksum */
	} else if (q->rx_flags & NETRXF_data_validated) {
		h->flags = NETDEV_HDR_F_DATA_VALID;
	}
	if (writev(q->tapfd, q->rx_iov, (int)q->rx_niov) < 0)
		goto drop;
	vif->st.rx_packets++;
	return;
drop:
	vif->st.rx_dropped++;
}

/* One response in ring slot @slot. */
static void rx_one(struct nf_queue *q, unsigned slot,
		   const struct netif_rx_response *rsp)
{
	if (q->rx_active && q->rx_want_extra) {
		struct netif_extra_info ex;

		memcpy(&ex, rsp, sizeof(ex));
		if (ex.type == XEN_NETIF_EXTRA_TYPE_GSO) {
			q->rx_gso = ex;
			q->rx_has_gso = 1;
			if (!ex.u.gso.size ||
			    (ex.u.gso.type != XEN_NETIF_GSO_TYPE_TCPV4 &&
			     ex.u.gso.type != XEN_NETIF_GSO_TYPE_TCPV6))
				q->rx_bad = 1;
		} else if (!ex.type || ex.type >= XEN_NETIF_EXTRA_TYPE_MAX) {
			q->rx_bad = 1;
		}
		/* Extras are counted apart from data slots: 17 pages + GSO +
		 * HASH is a legitimate packet. */
		if (++q->rx_extras >= XEN_NETIF_EXTRA_TYPE_MAX)
			q->rx_bad = 1;
		q->rx_want_extra = !!(ex.flags & XEN_NETIF_EXTRA_FLAG_MORE) &&
				   !q->rx_bad;
		goto check_done;
	}
	if (!q->rx_active) {
		q->rx_active = 1;
		q->rx_len = 0;
		q->rx_slots = 0;
		q->rx_extras = 0;
		q->rx_bad = 0;
		q->rx_has_gso = 0;
		q->rx_flags = rsp->flags;
		q->rx_want_extra = !!(rsp->flags & NETRXF_extra_info);
		q->rx_pkt_cons = q->rx_cons - 1;
		q->rx_iov[0].iov_base = q->rx_buf;
		q->rx_iov[0].iov_len = sizeof(struct netdev_vnet_hdr);
		q->rx_niov = 1;
	}
	if (rsp->id != slot || rsp->status < 0 ||
	    rsp->offset + (unsigned)rsp->status > DUET_PAGE_SIZE ||
	    ++q->rx_slots > NF_MAX_SLOTS ||
	    q->rx_len + (unsigned)rsp->status > NETDEV_MAX_FRAME)
		q->rx_bad = 1;
	if (q->vif->flip) {
		void *page = NULL;

		/* Take the page if one arrived (also for a bad packet, so
		 * that the offer is renewed); -EAGAIN: none was sent. */
		if (duet_gnt_transfer_accept(q->vif->p, q->rx_refs[slot],
					     &page) == 0) {
			q->rx_ref_used[slot] = 1;
			if (!q->rx_bad)
				memcpy(q->rx_buf + sizeof(struct netdev_vnet_hdr) +
					       q->rx_len,
				       (uint8_t *)page + rsp->offset,
				       (size_t)rsp->status);
			duet_gnt_transfer_page_free(q->vif->p, page);
		} else {
			q->rx_bad = 1;
		}
		if (!q->rx_bad) {
			q->rx_len += (unsigned)rsp->status;
			q->rx_iov[1].iov_base = q->rx_buf +
						sizeof(struct netdev_vnet_hdr);
			q->rx_iov[1].iov_len = q->rx_len;
			q->rx_niov = 2;
		}
	} else if (!q->rx_bad && rsp->status) {
		struct iovec *v = &q->rx_iov[q->rx_niov++];

		v->iov_base = q->rx_pages + (size_t)slot * DUET_PAGE_SIZE +
			      rsp->offset;
		v->iov_len = (size_t)rsp->status;
		q->rx_len += (unsigned)rsp->status;
	}
	q->rx_more = !!(rsp->flags & NETRXF_more_data);
check_done:
	if (!q->rx_want_extra && !q->rx_more)
		rx_deliver(q);
}

int nf_rx_responses(struct nf_queue *q)
{
	struct netif_rx_response rsp;
	unsigned slot;
	int rc;

	for (;;) {
		rc = duet_ring_front_get_rsp(q->rx, &rsp);
		if (rc < 0) {
			nf_broken(q->vif, "rx: bad rsp_prod");
			return -EPROTO;
		}
		if (rc == 0) {
			rc = nf_rx_fill(q);
			if (rc < 0)
				return rc;
			rc = duet_ring_front_final_check(q->rx);
			if (rc < 0)
				return -EPROTO;
			if (rc == 0)
				return 0;
			continue;
		}
		slot = q->rx_cons++ % NF_RING;
		q->rx_posted--;
		rx_one(q, slot, &rsp);
	}
}

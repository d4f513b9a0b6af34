/* SPDX-License-Identifier: MIT */
/*
 * nftest.c - the test code declared in nftest.h, built once into
 * libduet-test.a.
 */
#include "lib/nftest.h"

static int nft_notify(struct duet_evtchn *e, duet_evtchn_port_t port)
{
	(void)e;
	(void)port;
	return 0;
}

static const struct duet_platform_ops nft_ops = {
	.name = "nftest",
	.evtchn_notify = nft_notify,
};

/* Take every request the frontend published (backend side). */
static void nft_drain(struct duet_ring *r, void *req)
{
	while (duet_ring_back_get_req(r, req) == 1)
		;
}

int nft_init(struct nft *t)
{
	struct netif_rx_request rq;
	struct nf_queue *q;
	unsigned i;

	memset(t, 0, sizeof(*t));
	t->plat.ops = &nft_ops;
	t->evt.p = &t->plat;
	t->vif = calloc(1, sizeof(*t->vif));
	t->tx_sring = aligned_alloc(DUET_PAGE_SIZE, DUET_PAGE_SIZE);
	t->rx_sring = aligned_alloc(DUET_PAGE_SIZE, DUET_PAGE_SIZE);
	if (!t->vif || !t->tx_sring || !t->rx_sring ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC,
		       0, t->sp) < 0)
		return -ENOMEM;
	memset(t->tx_sring, 0, DUET_PAGE_SIZE);
	memset(t->rx_sring, 0, DUET_PAGE_SIZE);
	q = t->q = &t->vif->q[0];
	t->vif->p = &t->plat;
	t->vif->evt = &t->evt;
	t->vif->dev = NULL; /* duet_xenbus_broken() then only logs */
	t->vif->nqueues = 1;
	t->vif->connected = 1;
	t->vif->ctrl_port = -1;
	snprintf(t->vif->dir, sizeof(t->vif->dir), "nftest");
	q->vif = t->vif;
	q->tapfd = t->sp[0];
	q->rx_pages = calloc(NF_RING, DUET_PAGE_SIZE);
	q->rx_buf = malloc(NETDEV_MAX_FRAME + sizeof(struct netdev_vnet_hdr));
	if (!q->rx_pages || !q->rx_buf)
		return -ENOMEM;
	for (i = 0; i < NF_RING; i++)
		q->rx_refs[i] = i;
	if (duet_ring_attach(duet_ring_desc_get(DUET_RING_NETIF_TX),
			     DUET_RING_FRONT, t->tx_sring, 0, &q->tx) ||
	    duet_ring_attach(duet_ring_desc_get(DUET_RING_NETIF_TX),
			     DUET_RING_BACK, t->tx_sring, 0, &t->btx) ||
	    duet_ring_attach(duet_ring_desc_get(DUET_RING_NETIF_RX),
			     DUET_RING_FRONT, t->rx_sring, 0, &q->rx) ||
	    duet_ring_attach(duet_ring_desc_get(DUET_RING_NETIF_RX),
			     DUET_RING_BACK, t->rx_sring, 0, &t->brx))
		return -EINVAL;
	/* Every tx id starts free; nft_tx_send() takes them. */
	q->ntx_free = 0;
	for (i = 0; i < NF_RING; i++)
		q->tx_free[q->ntx_free++] = (uint16_t)(NF_RING - 1 - i);
	if (nf_rx_fill(q) < 0)
		return -EIO;
	nft_drain(t->brx, &rq);
	return 0;
}

void nft_fini(struct nft *t)
{
	duet_ring_detach(t->q->tx);
	duet_ring_detach(t->q->rx);
	duet_ring_detach(t->btx);
	duet_ring_detach(t->brx);
	free(t->q->rx_pages);
	free(t->q->rx_buf);
	free(t->vif);
	free(t->tx_sring);
	free(t->rx_sring);
	close(t->sp[0]);
	close(t->sp[1]);
}

int nft_delivered(struct nft *t)
{
	uint8_t buf[NETDEV_MAX_FRAME + 64];
	int n = 0;

	while (recv(t->sp[1], buf, sizeof(buf), 0) > 0)
		n++;
	return n;
}

void nft_frame(struct nft *t, unsigned slot)
{
	uint8_t *f = t->q->rx_pages + (size_t)(slot % NF_RING) *
					      DUET_PAGE_SIZE;

	memset(f, 0xff, 6);
	memcpy(f + 6, "\x00\x16\x3e\x00\x00\x09", 6);
	f[12] = 0x88;
	f[13] = 0xb5;
	memset(f + 14, 0x5a, 46);
}

void nft_rx_put(struct nft *t, uint16_t id, uint16_t offset,
		uint16_t flags, int16_t status)
{
	struct netif_rx_response r;

	memset(&r, 0, sizeof(r));
	r.id = id;
	r.offset = offset;
	r.flags = flags;
	r.status = status;
	duet_ring_back_put_rsp(t->brx, &r);
	t->rx_next++;
}

void nft_rx_put_extra(struct nft *t,
		      const struct netif_extra_info *ex)
{
	struct netif_rx_response r;

	memset(&r, 0, sizeof(r));
	memcpy(&r, ex, sizeof(*ex));
	duet_ring_back_put_rsp(t->brx, &r);
	t->rx_next++;
}

int nft_rx_run(struct nft *t)
{
	struct netif_rx_request rq;
	int rc;

	duet_ring_back_push(t->brx);
	rc = nf_rx_responses(t->q);
	nft_drain(t->brx, &rq);
	return rc;
}

void nft_rx_good(struct nft *t)
{
	unsigned slot = t->rx_next % NF_RING;

	nft_frame(t, slot);
	nft_rx_put(t, (uint16_t)slot, 0, 0, 60);
}

void nft_tx_send(struct nft *t, uint16_t id)
{
	struct netif_tx_request r;
	struct nf_queue *q = t->q;
	unsigned i;

	for (i = 0; i < q->ntx_free && q->tx_free[i] != id; i++)
		;
	if (i < q->ntx_free) {
		q->tx_free[i] = q->tx_free[--q->ntx_free];
		q->tx_inuse[id] = 1;
	}
	memset(&r, 0, sizeof(r));
	r.id = id;
	r.size = 60;
	duet_ring_front_put_req(q->tx, &r);
	duet_ring_front_push(q->tx);
	nft_drain(t->btx, &r);
}

void nft_tx_put(struct nft *t, uint16_t id, int16_t status)
{
	struct netif_tx_response r;

	memset(&r, 0, sizeof(r));
	r.id = id;
	r.status = status;
	duet_ring_back_put_rsp(t->btx, &r);
}

int nft_tx_run(struct nft *t)
{
	duet_ring_back_push(t->btx);
	return nf_tx_responses(t->q);
}

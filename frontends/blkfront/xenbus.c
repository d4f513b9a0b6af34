/* SPDX-License-Identifier: MIT */
/*
 * xenbus.c - blkfront's side of the XenBus handshake and negotiation.
 *
 * The state machine is duet_xenbus_frontend_step()'s (duet/xenbus.h);
 * this file does what it asks: CONNECT (share rings, publish them),
 * CONNECTED (read what the backend publishes at connect), DISCONNECT
 * (drop rings, keep unanswered requests), DONE.
 *
 * The nodes read and written (who writes each, values, defaults):
 * duet/blkif.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xen/io/protocols.h>

#include "frontends/blkfront/common.h"

/* Every node a connection may leave in <fe>, removed before a new one. */
static int remove_stale(struct duet_blkfront *bf, duet_xs_tx_t tx)
{
	static const char *const nodes[] = { "ring-ref",
					     "ring-page-order",
					     "num-ring-pages",
					     "event-channel",
					     "multi-queue-num-queues" };
	const char *fe = duet_xenbus_own_dir(bf->dev);
	char path[600];
	unsigned i;
	int rc;

	for (i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", fe, nodes[i]);
		rc = duet_xs_rm(bf->xs, tx, path);
		if (rc < 0 && rc != -ENOENT)
			return rc;
	}
	for (i = 0; i < DUET_XENBUS_MAX_RING_PAGES; i++) {
		snprintf(path, sizeof(path), "%s/ring-ref%u", fe, i);
		rc = duet_xs_rm(bf->xs, tx, path);
		if (rc < 0 && rc != -ENOENT)
			return rc;
		snprintf(path, sizeof(path), "%s/queue-%u", fe, i);
		rc = duet_xs_rm(bf->xs, tx, path);
		if (rc < 0 && rc != -ENOENT)
			return rc;
	}
	return 0;
}

static int publish(struct duet_blkfront *bf, unsigned order)
{
	const char *fe = duet_xenbus_own_dir(bf->dev);
	char dir[600];
	duet_xs_tx_t tx;
	unsigned qi;
	int rc;

again:
	rc = duet_xs_tx_start(bf->xs, &tx);
	if (rc < 0)
		return rc;
	rc = remove_stale(bf, tx);
	for (qi = 0; rc >= 0 && qi < bf->nq; qi++) {
		rc = duet_xenbus_queue_dir(dir, sizeof(dir), fe, bf->nq, qi);
		if (rc < 0)
			break;
		rc = duet_xenbus_write_ring_refs(bf->xs, tx, dir,
						 bf->q[qi].refs, order);
		if (rc < 0)
			break;
		rc = duet_xenbus_printf(bf->xs, tx, dir, "event-channel", "%d",
					bf->q[qi].port);
	}
	if (rc >= 0 && bf->nq > 1)
		rc = duet_xenbus_printf(bf->xs, tx, fe,
					"multi-queue-num-queues", "%u", bf->nq);
	if (rc >= 0 && bf->nq > 1 && order > 0)
		rc = duet_xenbus_printf(bf->xs, tx, fe, "ring-page-order",
					"%u", order);
	if (rc >= 0)
		rc = duet_xenbus_printf(bf->xs, tx, fe, "protocol", "%s",
					XEN_IO_PROTO_ABI_NATIVE);
	if (rc >= 0)
		rc = duet_xenbus_printf(bf->xs, tx, fe, "feature-persistent",
					"%d", bf->persistent_offered);
	if (rc < 0) {
		duet_xs_tx_end(bf->xs, tx, 1);
		return rc;
	}
	rc = duet_xs_tx_end(bf->xs, tx, 0);
	if (rc == -EAGAIN)
		goto again;
	return rc;
}

void bf_disconnect(struct duet_blkfront *bf)
{
	struct bf_queue *q;
	unsigned qi, s;

	bf_requeue_all(bf);
	for (qi = 0; qi < bf->nq; qi++) {
		q = &bf->q[qi];
		if (q->port >= 0)
			duet_evtchn_unbind(bf->ev, (duet_evtchn_port_t)q->port);
		duet_ring_detach(q->ring);
		bf_unshare(bf, q->sring, 1u << bf->info.ring_order);
		bf_pool_destroy(bf, &q->pool);
		if (q->shadow) {
			for (s = 0; s < bf->info.ring_entries; s++) {
				free(q->shadow[s].pages);
				free(q->shadow[s].refs);
			}
		}
		free(q->shadow);
		free(q->free);
		memset(q, 0, sizeof(*q));
		q->port = -1;
	}
	duet_gnt_reap(bf->p);
	bf->nq = 0;
	bf->rings = 0;
	bf->live = 0;
	bf->info.connected = 0;
}

void bf_broken(struct duet_blkfront *bf, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	duet_xenbus_vbroken(bf->dev, fmt, ap);
	va_end(ap);
	bf->broken = 1;
	bf->want = 0;
	bf_fail_all(bf, -EPROTO);
	bf_disconnect(bf);
	bf->need_step = 1;
}

static int read_u(struct duet_blkfront *bf, const char *node, uint64_t def,
		  uint64_t max, uint64_t *out)
{
	return duet_xenbus_read_uint(bf->xs, duet_xenbus_peer_dir(bf->dev),
				     node, def, max, out);
}

static int read_b(struct duet_blkfront *bf, const char *node, int *out)
{
	return duet_xenbus_read_bool(bf->xs, duet_xenbus_peer_dir(bf->dev),
				     node, 0, out);
}

static int setup_queue(struct duet_blkfront *bf, struct bf_queue *q,
		       unsigned order, unsigned entries)
{
	const struct duet_ring_desc *desc = duet_ring_desc_get(DUET_RING_BLKIF);
	duet_domid_t dom = (duet_domid_t)bf->be_domid;
	unsigned s;
	int rc;

	q->port = -1;
	rc = duet_gnt_share(bf->p, dom, 1u << order, 0, q->refs, &q->sring);
	if (rc < 0)
		return rc;
	rc = duet_ring_attach(desc, DUET_RING_FRONT, q->sring, order,
			      &q->ring);
	if (rc < 0)
		return rc;
	rc = duet_evtchn_alloc_unbound(bf->ev, dom);
	if (rc < 0)
		return rc;
	q->port = rc;
	q->shadow = calloc(entries, sizeof(*q->shadow));
	q->free = calloc(entries, sizeof(*q->free));
	if (!q->shadow || !q->free)
		return -ENOMEM;
	for (s = 0; s < entries; s++)
		q->free[s] = entries - 1 - s;
	q->nfree = entries;
	return 0;
}

/* CONNECT: the backend waits in InitWait for our rings. */
static int do_connect(struct duet_blkfront *bf)
{
	const struct duet_ring_desc *desc = duet_ring_desc_get(DUET_RING_BLKIF);
	uint64_t order, pages, queues;
	unsigned qi;
	int rc;

	rc = read_u(bf, "max-ring-page-order", 0, 64, &order);
	if (rc == 0) {
		rc = read_u(bf, "max-ring-pages", 1, 1u << 16, &pages);
		if (rc >= 0 && (pages == 0 || (pages & (pages - 1))))
			rc = -EINVAL;
		for (order = 0; rc >= 0 && (1ull << order) < pages; order++)
			;
	}
	if (rc < 0)
		return rc;
	rc = read_u(bf, "multi-queue-max-queues", 1, 1u << 16, &queues);
	if (rc < 0)
		return rc;
	if (order > bf->opts.max_ring_order)
		order = bf->opts.max_ring_order;
	if (queues > bf->opts.max_queues)
		queues = bf->opts.max_queues;
	if (queues == 0)
		queues = 1;
	bf->info.ring_order = (unsigned)order;
	bf->info.ring_entries = (unsigned)duet_ring_entries(desc,
							    (unsigned)order);
	bf->nq = (unsigned)queues;
	bf->rings = 1;
	for (qi = 0; qi < bf->nq; qi++)
		bf->q[qi].port = -1;
	for (qi = 0; qi < bf->nq; qi++) {
		rc = setup_queue(bf, &bf->q[qi], (unsigned)order,
				 bf->info.ring_entries);
		if (rc < 0)
			return rc;
	}
	bf->persistent_offered = bf->trusted &&
				 !(bf->opts.flags & DUET_BLKFRONT_NO_PERSISTENT);
	bf->info.queues = bf->nq;
	return publish(bf, (unsigned)order);
}

static int pow2_between(uint64_t v, uint64_t lo, uint64_t hi)
{
	return v >= lo && v <= hi && !(v & (v - 1));
}

/* CONNECTED: the backend published the disk. */
static int do_connected(struct duet_blkfront *bf)
{
	struct duet_blkfront_info *in = &bf->info;
	uint64_t sectors, ssize, pssize, vinfo, gran, align, maxind;
	int flush, barrier, discard, secure, pers, rc;
	unsigned qi, s, segs;
	char mode[8];

	rc = read_u(bf, "sectors", 0, UINT64_MAX / BF_SECTOR, &sectors);
	if (rc == 0)
		rc = -EINVAL; /* a Connected backend must say its size */
	if (rc >= 0)
		rc = read_u(bf, "sector-size", BF_SECTOR, 1u << 16, &ssize);
	if (rc >= 0 && !pow2_between(ssize, BF_SECTOR, 1u << 16))
		rc = -EINVAL;
	if (rc >= 0)
		rc = read_u(bf, "physical-sector-size", ssize, 1u << 20,
			    &pssize);
	if (rc >= 0 && !pow2_between(pssize, BF_SECTOR, 1u << 20))
		rc = -EINVAL;
	if (rc >= 0)
		rc = read_u(bf, "info", 0, UINT32_MAX, &vinfo);
	if (rc >= 0)
		rc = read_b(bf, "feature-flush-cache", &flush);
	if (rc >= 0)
		rc = read_b(bf, "feature-barrier", &barrier);
	if (rc >= 0)
		rc = read_b(bf, "feature-discard", &discard);
	if (rc >= 0)
		rc = read_u(bf, "discard-granularity", 0, UINT32_MAX, &gran);
	if (rc >= 0)
		rc = read_u(bf, "discard-alignment", 0, UINT32_MAX, &align);
	if (rc >= 0)
		rc = read_b(bf, "discard-secure", &secure);
	if (rc >= 0)
		rc = read_b(bf, "feature-persistent", &pers);
	if (rc >= 0)
		rc = read_u(bf, "feature-max-indirect-segments", 0, UINT32_MAX,
			    &maxind);
	if (rc < 0)
		return rc;
	if (sectors * BF_SECTOR % ssize)
		return -EINVAL;
	mode[0] = '\0';
	if (duet_xenbus_read_str(bf->xs, duet_xenbus_peer_dir(bf->dev),
				 "mode", mode, sizeof(mode)) < 0)
		mode[0] = '\0';

	in->size = sectors * BF_SECTOR;
	in->sector_size = (unsigned)ssize;
	in->physical_sector_size = (unsigned)pssize;
	in->vdisk_info = (unsigned)vinfo;
	in->read_only = (vinfo & VDISK_READONLY) || !strcmp(mode, "r") ||
			(bf->opts.flags & DUET_BLKFRONT_READ_ONLY);
	in->trusted = bf->trusted;
	in->flush = flush;
	in->barrier = barrier;
	in->discard = discard;
	in->discard_granularity = (unsigned)gran;
	in->discard_alignment = (unsigned)align;
	in->discard_secure = secure;
	in->persistent = bf->persistent_offered && pers;
	segs = BLKIF_MAX_SEGMENTS_PER_REQUEST;
	if (!(bf->opts.flags & DUET_BLKFRONT_NO_INDIRECT) && maxind > segs) {
		segs = (unsigned)(maxind < bf->opts.max_indirect ?
					  maxind :
					  bf->opts.max_indirect);
		if (segs > BF_MAX_INDIRECT)
			segs = BF_MAX_INDIRECT;
	}
	in->max_segments = segs;
	in->indirect = segs > BLKIF_MAX_SEGMENTS_PER_REQUEST;
	for (qi = 0; qi < bf->nq; qi++) {
		for (s = 0; s < in->ring_entries; s++) {
			struct bf_req *r = &bf->q[qi].shadow[s];

			r->pages = calloc(segs + BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST,
					  sizeof(*r->pages));
			r->refs = calloc(segs + BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST,
					 sizeof(*r->refs));
			if (!r->pages || !r->refs)
				return -ENOMEM;
		}
	}
	in->connects++;
	in->connected = 1;
	bf->live = 1;
	return 0;
}

/* A connect step failed: malformed backend nodes are a violation, a
 * local failure closes the device with that error. */
static void connect_failed(struct duet_blkfront *bf, int rc)
{
	if (rc == -EINVAL) {
		bf_broken(bf, "malformed backend node at connect");
		return;
	}
	bf->want = 0;
	bf_fail_all(bf, rc);
	bf_disconnect(bf);
	duet_xenbus_switch(bf->dev, DUET_XENBUS_CLOSING);
}

/* The handshake's callbacks (duet_xenbus_run()). */
static int xb_connect(void *arg)
{
	struct duet_blkfront *bf = arg;
	int rc = do_connect(bf);

	if (rc >= 0)
		rc = duet_xenbus_switch(bf->dev, DUET_XENBUS_INITIALISED);
	if (rc < 0)
		connect_failed(bf, rc);
	return 0;
}

static int xb_connected(void *arg)
{
	struct duet_blkfront *bf = arg;
	int rc = do_connected(bf);

	if (rc >= 0)
		rc = duet_xenbus_switch(bf->dev, DUET_XENBUS_CONNECTED);
	if (rc < 0) {
		bf->live = 0;
		connect_failed(bf, rc);
	}
	return 0;
}

static void xb_disconnect(void *arg, int gone)
{
	struct duet_blkfront *bf = arg;

	if (gone) {
		bf_disconnect(bf);
		bf->gone = 1;
		bf_fail_all(bf, -ESHUTDOWN);
		return;
	}
	if (bf->opts.flags & DUET_BLKFRONT_NO_RECONNECT) {
		bf->want = 0;
		bf_fail_all(bf, -EIO);
	}
	bf_disconnect(bf);
}

static const struct duet_xenbus_ops xb_ops = {
	.connect = xb_connect,
	.connected = xb_connected,
	.disconnect = xb_disconnect,
};

int bf_step(struct duet_blkfront *bf)
{
	int rc;

	bf->need_step = 0;
	rc = duet_xenbus_run(bf->dev, &xb_ops, bf, &bf->rings, &bf->want);
	return rc < 0 ? rc : 0;
}

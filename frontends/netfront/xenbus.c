/* SPDX-License-Identifier: MIT */
/*
 * xenbus.c - duet_netfront_run(): the TAP device, the XenBus handshake
 * (duet_xenbus_run()), connect/disconnect and the poll loop.
 *
 * XenStore nodes: duet/netif.h.  Our directory is
 * <domain path>/device/vif/<devid>; the backend's is read from its
 * "backend" node by duet_xenbus_open().
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "frontends/netfront/common.h"
#include "duet/log.h"

/* ------------------------------------------------------------------ */
/* Connect and disconnect                                              */
/* ------------------------------------------------------------------ */

/* Detach a queue's rings and end its shares. */
static void queue_fini(struct nf_vif *vif, struct nf_queue *q)
{
	duet_ring_detach(q->tx);
	duet_ring_detach(q->rx);
	q->tx = q->rx = NULL;
	/* Ended once the backend unmaps them (it may still map them while
	 * it closes). */
	if (q->tx_sring)
		duet_gnt_end_share(vif->p, q->tx_sring, 1);
	if (q->rx_sring)
		duet_gnt_end_share(vif->p, q->rx_sring, 1);
	q->tx_sring = q->rx_sring = NULL;
	nf_tx_fini(q);
	nf_rx_fini(q);
}

static void disconnect(struct nf_vif *vif)
{
	unsigned i;

	netdev_if_carrier(vif->tapfd[0], 0);
	for (i = 0; i < vif->nqueues; i++)
		queue_fini(vif, &vif->q[i]);
	nf_ctrl_teardown(vif);
	duet_evtchn_close(vif->evt);
	vif->evt = NULL;
	vif->nqueues = 0;
	vif->connected = 0;
}

void nf_broken(struct nf_vif *vif, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	duet_xenbus_vbroken(vif->dev, fmt, ap);
	va_end(ap);
}

static int be_flag(struct nf_vif *vif, const char *node, int def)
{
	int v = def;

	if (duet_xenbus_read_bool(vif->xs, duet_xenbus_peer_dir(vif->dev),
				  node, def, &v) < 0)
		return def;
	return v;
}

/* Share a queue's rings and buffers. */
static int queue_share(struct nf_vif *vif, struct nf_queue *q)
{
	int rc;

	rc = duet_gnt_share(vif->p, (duet_domid_t)vif->be_domid, 1, 0,
			    &q->tx_sref, &q->tx_sring);
	if (!rc)
		rc = duet_gnt_share(vif->p, (duet_domid_t)vif->be_domid, 1, 0,
				    &q->rx_sref, &q->rx_sring);
	if (!rc)
		rc = duet_ring_attach(duet_ring_desc_get(DUET_RING_NETIF_TX),
				      DUET_RING_FRONT, q->tx_sring, 0, &q->tx);
	if (!rc)
		rc = duet_ring_attach(duet_ring_desc_get(DUET_RING_NETIF_RX),
				      DUET_RING_FRONT, q->rx_sring, 0, &q->rx);
	if (!rc)
		rc = nf_tx_init(q);
	if (!rc)
		rc = nf_rx_init(q);
	return rc;
}

/*
 * Share the control ring and the rings of every queue, and allocate their
 * ports.  A queue after the first that finds the grant table full
 * (-ENOSPC: on Xen, Linux's gntalloc allows 1024 pages in all unless its
 * "limit" parameter is raised, and a queue takes 2 * 256 + 2) is given
 * up, as Linux's netfront gives up queues it cannot create: the vif runs
 * with the queues it has.
 */
static int setup_queues(struct nf_vif *vif)
{
	unsigned i, want = vif->nqueues;
	int rc;

	rc = duet_evtchn_open(vif->p, &vif->evt);
	if (!rc)
		rc = nf_ctrl_setup(vif);
	if (rc < 0)
		return rc;
	for (i = 0; i < want; i++) {
		struct nf_queue *q = &vif->q[i];

		q->vif = vif;
		q->id = i;
		q->tapfd = vif->tapfd[i];
		rc = queue_share(vif, q);
		if (rc == -ENOSPC && i > 0) {
			queue_fini(vif, q);
			vif->nqueues = i;
			duet_log(DUET_LOG_WARN, "netfront: %s: grant table "
				 "full: %u of %u queues", vif->dir, i, want);
			return 0;
		}
		if (rc < 0)
			return rc;
		rc = duet_evtchn_alloc_unbound(vif->evt,
					       (duet_domid_t)vif->be_domid);
		if (rc < 0)
			return rc;
		q->tx_port = q->rx_port = rc;
		if (vif->split) {
			rc = duet_evtchn_alloc_unbound(
				vif->evt, (duet_domid_t)vif->be_domid);
			if (rc < 0)
				return rc;
			q->rx_port = rc;
		}
	}
	return 0;
}

/* Publish rings, ports and features in one transaction. */
static int publish(struct nf_vif *vif, duet_xs_tx_t tx)
{
	const struct duet_netfront_opts *o = vif->o;
	int gso = !o->no_sg && !o->no_gso && !o->no_csum;
	const struct {
		const char *node;
		int val;
	} flags[] = {
		{ "request-rx-copy", !vif->flip },
		{ "feature-rx-notify", 1 },
		{ "feature-sg", !o->no_sg },
		{ "feature-gso-tcpv4", gso },
		{ "feature-gso-tcpv6", gso },
		{ "feature-ipv6-csum-offload", !o->no_csum },
		{ "feature-no-csum-offload", !!o->no_csum },
	};
	struct duet_xs *xs = vif->xs;
	char qdir[512];
	unsigned i;
	int rc = 0;

	for (i = 0; i < vif->nqueues && !rc; i++) {
		struct nf_queue *q = &vif->q[i];

		rc = duet_xenbus_queue_dir(qdir, sizeof(qdir), vif->dir,
					   vif->nqueues, i);
		if (rc < 0)
			return rc;
		rc = duet_xenbus_printf(xs, tx, qdir, "tx-ring-ref", "%u",
					q->tx_sref);
		if (!rc)
			rc = duet_xenbus_printf(xs, tx, qdir, "rx-ring-ref",
						"%u", q->rx_sref);
		if (!rc && vif->split) {
			rc = duet_xenbus_printf(xs, tx, qdir,
						"event-channel-tx", "%d",
						q->tx_port);
			if (!rc)
				rc = duet_xenbus_printf(xs, tx, qdir,
							"event-channel-rx",
							"%d", q->rx_port);
		} else if (!rc) {
			rc = duet_xenbus_printf(xs, tx, qdir, "event-channel",
						"%d", q->tx_port);
		}
	}
	if (!rc && vif->ctrl) {
		rc = duet_xenbus_printf(xs, tx, vif->dir, "ctrl-ring-ref", "%u",
					vif->ctrl_sref);
		if (!rc)
			rc = duet_xenbus_printf(xs, tx, vif->dir,
						"event-channel-ctrl", "%d",
						vif->ctrl_port);
	}
	if (!rc && vif->nqueues > 1)
		rc = duet_xenbus_printf(xs, tx, vif->dir,
					"multi-queue-num-queues", "%u",
					vif->nqueues);
	for (i = 0; i < sizeof(flags) / sizeof(flags[0]) && !rc; i++)
		rc = duet_xenbus_printf(xs, tx, vif->dir, flags[i].node, "%d",
					flags[i].val);
	return rc;
}

static int start_traffic(struct nf_vif *vif);

/*
 * CONNECT: read the backend's features, share rings, publish them, and
 * start traffic at once (start_traffic()).
 * Backend nodes read: feature-rx-copy (required), feature-sg,
 * feature-gso-tcpv4/tcpv6, feature-ipv6-csum-offload,
 * feature-split-event-channels, multi-queue-max-queues,
 * feature-ctrl-ring (used only with the ctrl_ring option; ctrl.c).
 */
static int connect_vif(struct nf_vif *vif)
{
	const struct duet_netfront_opts *o = vif->o;
	const char *be = duet_xenbus_peer_dir(vif->dev);
	duet_xs_tx_t tx;
	uint64_t maxq;
	unsigned want;
	int rc;

	if (!be_flag(vif, "feature-rx-copy", 0)) {
		duet_log(DUET_LOG_ERR, "netfront: %s: the backend does not "
			 "offer feature-rx-copy", vif->dir);
		return -EOPNOTSUPP;
	}
	vif->be_sg = !o->no_sg && be_flag(vif, "feature-sg", 0);
	vif->be_gso4 = vif->be_sg && !o->no_gso && !o->no_csum &&
		       be_flag(vif, "feature-gso-tcpv4", 0);
	vif->be_gso6 = vif->be_sg && !o->no_gso && !o->no_csum &&
		       be_flag(vif, "feature-gso-tcpv6", 0);
	vif->be_csum6 = be_flag(vif, "feature-ipv6-csum-offload", 0);
	vif->flip = o->rx_flip && be_flag(vif, "feature-rx-flip", 0);
	vif->split = !o->no_split &&
		     be_flag(vif, "feature-split-event-channels", 0);
	vif->be_ctrl = be_flag(vif, "feature-ctrl-ring", 0);
	if (duet_xenbus_read_uint(vif->xs, be, "multi-queue-max-queues", 1,
				  1024, &maxq) < 0)
		maxq = 1;
	want = o->queues ? o->queues : 1;
	if (want > maxq)
		want = (unsigned)maxq;
	if (want > vif->ntapq)
		want = vif->ntapq;
	if (!want)
		want = 1;
	vif->nqueues = want;
	rc = setup_queues(vif);
	if (rc < 0)
		return rc;
	do {
		rc = duet_xs_tx_start(vif->xs, &tx);
		if (rc < 0)
			return rc;
		rc = publish(vif, tx);
		rc = duet_xs_tx_end(vif->xs, tx, rc < 0) ?: rc;
	} while (rc == -EAGAIN);
	if (rc < 0)
		return rc;
	vif->connected = 1;
	return start_traffic(vif);
}

/*
 * Offloads, rx requests, carrier, then Connected: as Linux's netfront
 * does, straight after publishing the rings, not through Initialised
 * (Linux's netback connects only to a Connected frontend; duet/xenbus.h
 * lets a Connected frontend wait for a backend still in InitWait).
 */
static int start_traffic(struct nf_vif *vif)
{
	unsigned i, off = 0;
	int rc;

	/* What the kernel may hand us is what the backend accepts. */
	if (!vif->o->no_csum)
		off |= NETDEV_OFF_CSUM;
	if (vif->be_gso4)
		off |= NETDEV_OFF_TSO4;
	if (vif->be_gso6)
		off |= NETDEV_OFF_TSO6;
	rc = netdev_tap_set_offload(vif->tapfd[0], off);
	if (rc < 0)
		return rc;
	for (i = 0; i < vif->ntapq; i++)
		netdev_tap_queue(vif->tapfd[i], i < vif->nqueues);
	for (i = 0; i < vif->nqueues; i++) {
		rc = nf_rx_fill(&vif->q[i]);
		if (rc < 0)
			return rc;
	}
	netdev_if_carrier(vif->tapfd[0], 1);
	rc = nf_ctrl_start(vif);
	if (rc < 0)
		return rc;
	rc = duet_xenbus_switch(vif->dev, DUET_XENBUS_CONNECTED);
	if (!rc && vif->o->connected)
		vif->o->connected(vif->o->opaque);
	return rc;
}

/* ------------------------------------------------------------------ */
/* The loop                                                            */
/* ------------------------------------------------------------------ */

/* How long a stopping frontend waits for the backend to close. */
#define NF_CLOSE_WAIT_MS 3000

/* The handshake's callbacks (duet_xenbus_run()). */
static int xb_connect(void *arg)
{
	struct nf_vif *vif = arg;
	int rc = connect_vif(vif);

	if (rc < 0)
		disconnect(vif);
	return rc < 0 ? rc : 0;
}

static int xb_connected(void *arg)
{
	struct nf_vif *vif = arg;
	int rc = 0;

	if (duet_xenbus_state(vif->dev) != DUET_XENBUS_CONNECTED)
		rc = start_traffic(vif);
	return rc < 0 ? rc : 0;
}

static void xb_disconnect(void *arg, int gone)
{
	disconnect(arg);
}

static const struct duet_xenbus_ops xb_ops = {
	.connect = xb_connect,
	.connected = xb_connected,
	.disconnect = xb_disconnect,
};

/* Run the handshake until idle; 1 when DONE. */
static int handshake(struct nf_vif *vif)
{
	return duet_xenbus_run(vif->dev, &xb_ops, vif, &vif->connected,
			       &vif->want);
}

static int do_xs(struct nf_vif *vif)
{
	char *path, *token;
	int rc, ours = 0;

	while ((rc = duet_xs_read_watch(vif->xs, &path, &token)) > 0) {
		ours |= duet_xenbus_watch_is_ours(vif->dev, token);
		free(path);
	}
	if (rc < 0)
		return rc;
	if (!ours)
		return 0;
	rc = handshake(vif);
	/* The backend's state moved: it may serve the control ring now. */
	if (!rc && vif->connected)
		rc = nf_ctrl_kick(vif);
	return rc;
}

static int do_events(struct nf_vif *vif)
{
	unsigned i;
	int port, rc = 0;

	while ((port = duet_evtchn_pending(vif->evt)) >= 0) {
		if (port == vif->ctrl_port)
			rc = nf_ctrl_responses(vif);
		for (i = 0; i < vif->nqueues && rc >= 0; i++) {
			struct nf_queue *q = &vif->q[i];

			if (q->tx_port == port) {
				rc = nf_tx_responses(q);
				if (rc >= 0 && q->tx_full)
					rc = nf_tx_from_tap(q);
			}
			if (q->rx_port == port && rc >= 0)
				rc = nf_rx_responses(q);
		}
		duet_evtchn_unmask(vif->evt, (duet_evtchn_port_t)port);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int loop(struct nf_vif *vif)
{
	const struct duet_netfront_opts *o = vif->o;
	struct pollfd pfd[3 + NF_MAX_QUEUES];
	struct nf_queue *qmap[NF_MAX_QUEUES];
	unsigned i, n, nq;
	int rc;

	rc = handshake(vif);
	while (rc == 0) {
		n = 0;
		pfd[n].fd = duet_xs_fd(vif->xs);
		pfd[n++].events = POLLIN;
		pfd[n].fd = vif->want ? o->stop_fd : -1;
		pfd[n++].events = POLLIN;
		pfd[n].fd = vif->evt ? duet_evtchn_fd(vif->evt) : -1;
		pfd[n++].events = POLLIN;
		nq = 0;
		for (i = 0; vif->connected &&
			    duet_xenbus_state(vif->dev) == DUET_XENBUS_CONNECTED &&
			    i < vif->nqueues;
		     i++) {
			if (vif->q[i].tx_full)
				continue;
			qmap[nq++] = &vif->q[i];
			pfd[n].fd = vif->q[i].tapfd;
			pfd[n++].events = POLLIN;
		}
		rc = poll(pfd, n, vif->want ? -1 : NF_CLOSE_WAIT_MS);
		if (rc < 0) {
			if (errno == EINTR) {
				rc = 0;
				continue;
			}
			return -errno;
		}
		if (rc == 0)
			return 0; /* the backend did not close in time */
		rc = 0;
		if (pfd[1].revents) {
			/* Close as Linux's netfront does on removal: Closing,
			 * then Closed once the backend let go of the rings. */
			vif->want = 0;
			rc = handshake(vif);
			continue;
		}
		/* xenstore or the platform went away (the simulator
		 * stopped, the daemon died): nothing left to serve, and a
		 * hung-up fd would keep poll() spinning. */
		if ((pfd[0].revents | pfd[2].revents) &
		    (POLLHUP | POLLERR | POLLNVAL))
			return -ECONNRESET;
		if (pfd[0].revents) {
			rc = do_xs(vif);
			if (rc)
				break;
		}
		if (vif->evt && pfd[2].revents) {
			rc = do_events(vif);
			if (rc == -EPROTO)
				rc = handshake(vif);
			if (rc)
				break;
		}
		for (i = 0; i < nq; i++) {
			if (!pfd[3 + i].revents || !vif->connected)
				continue;
			rc = nf_tx_from_tap(qmap[i]);
			if (rc == -EPROTO)
				rc = handshake(vif);
			if (rc)
				break;
		}
	}
	return rc > 0 ? 0 : rc;
}

/* The TAP: name, MAC from our "mac" node, MTU from "mtu". */
static int tap_setup(struct nf_vif *vif)
{
	char mac[32];
	uint64_t mtu;
	int rc;

	if (vif->o->ifname)
		snprintf(vif->ifname, sizeof(vif->ifname), "%s",
			 vif->o->ifname);
	else
		snprintf(vif->ifname, sizeof(vif->ifname), "eth%u",
			 vif->o->devid);
	rc = duet_xenbus_read_uint(vif->xs, vif->dir, "mtu", 0, 65535, &mtu);
	if (rc <= 0)
		rc = duet_xenbus_read_uint(vif->xs,
					   duet_xenbus_peer_dir(vif->dev),
					   "mtu", 1500, 65535, &mtu);
	if (rc < 0 || mtu < 68)
		mtu = 1500;
	/* Without scatter-gather a frame must fit one page. */
	if (vif->o->no_sg && mtu > 1500)
		mtu = 1500;
	vif->mtu = (unsigned)mtu;
	rc = duet_xenbus_read_str(vif->xs, vif->dir, "mac", mac, sizeof(mac));
	if (rc < 0 || netdev_parse_mac(mac, vif->mac) < 0) {
		duet_log(DUET_LOG_ERR, "netfront: %s: no valid mac node",
			 vif->dir);
		return -EINVAL;
	}
	vif->ntapq = NF_MAX_QUEUES;
	rc = netdev_tap_open(vif->ifname, vif->ntapq, vif->tapfd);
	if (rc < 0) {
		duet_log(DUET_LOG_ERR, "netfront: cannot create TAP %s: %s",
			 vif->ifname, strerror(-rc));
		return rc;
	}
	netdev_if_carrier(vif->tapfd[0], 0);
	return netdev_if_config(vif->ifname, vif->mtu, vif->mac, 1);
}

int duet_netfront_run(struct duet_platform *p, struct duet_xs *xs,
		      const struct duet_netfront_opts *o)
{
	struct nf_vif *vif;
	unsigned i;
	int rc, domid;

	if (!p || !xs || !o)
		return -EINVAL;
	domid = duet_platform_domid(p);
	if (domid < 0)
		return domid;
	vif = calloc(1, sizeof(*vif));
	if (!vif)
		return -ENOMEM;
	vif->o = o;
	vif->want = 1;
	vif->ctrl_port = -1;
	vif->p = p;
	vif->xs = xs;
	for (i = 0; i < NF_MAX_QUEUES; i++)
		vif->tapfd[i] = -1;
	snprintf(vif->dir, sizeof(vif->dir), "/local/domain/%d/device/vif/%u",
		 domid, o->devid);
	rc = duet_xenbus_open(xs, DUET_XENBUS_FRONTEND, vif->dir, &vif->dev);
	if (rc < 0)
		goto out_free;
	vif->be_domid = duet_xenbus_peer_domid(vif->dev);
	rc = tap_setup(vif);
	if (!rc)
		rc = loop(vif);
	if (vif->connected)
		disconnect(vif);
	duet_xenbus_close(vif->dev);
	for (i = 0; i < NF_MAX_QUEUES; i++)
		if (vif->tapfd[i] >= 0)
			close(vif->tapfd[i]);
out_free:
	free(vif);
	return rc;
}

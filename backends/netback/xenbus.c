/* SPDX-License-Identifier: MIT */
/*
 * xenbus.c - netback's serve(): the TAP device, the features it offers,
 * the XenBus handshake (duet_xenbus_run()), connect and
 * disconnect, and the instance's poll loop.
 *
 * The XenStore nodes (who writes each, values, defaults): duet/netif.h.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "backends/netback/common.h"
#include "duet/log.h"
#include "duet/parse.h"

/* Backend features, written before InitWait; value "1" unless noted. */
static const char *const be_features[] = {
	"feature-rx-copy",
	"feature-sg",
	"feature-gso-tcpv4",
	"feature-gso-tcpv6",
	"feature-ipv6-csum-offload",
	"feature-split-event-channels",
	"feature-multicast-control",
	"feature-ctrl-ring", /* ctrl.c: the control ring and hashing */
};

static void publish_stats(struct nb_vif *vif, int force);

/* Wake the main thread's poll() (the rx thread has news for it). */
static void wake_main(struct nb_vif *vif)
{
	uint64_t one = 1;

	if (write(vif->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		duet_log(DUET_LOG_WARN, "vif %s: wake: %s", vif->ifname,
			 strerror(errno));
}

void nb_broken(struct nb_vif *vif, const char *fmt, ...)
{
	va_list ap;

	/* Linux's xenvif_fatal_tx_err(): stop serving this vif; the
	 * frontend sees Closing and tears down. */
	__atomic_store_n(&vif->disabled, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&vif->st.fatal, 1, __ATOMIC_RELAXED);
	va_start(ap, fmt);
	if (!pthread_equal(pthread_self(), vif->main_thread)) {
		/* The rx thread: xenstore is the main thread's.  Acquire
		 * pairs with take_broken()'s release: the buffer is ours
		 * once the main thread is done with the last message. */
		if (!__atomic_load_n(&vif->broken_ready, __ATOMIC_ACQUIRE)) {
			vsnprintf(vif->broken_msg, sizeof(vif->broken_msg),
				  fmt, ap);
			/* Release: the message before the flag (pairs with
			 * take_broken()'s acquire). */
			__atomic_store_n(&vif->broken_ready, 1,
					 __ATOMIC_RELEASE);
			wake_main(vif);
		}
		va_end(ap);
		return;
	}
	duet_xenbus_vbroken(vif->dev, fmt, ap);
	va_end(ap);
	publish_stats(vif, 1);
}

/* Main thread: write the rx thread's fatal violation, if it found one. */
static void take_broken(struct nb_vif *vif)
{
	if (!__atomic_load_n(&vif->broken_ready, __ATOMIC_ACQUIRE))
		return;
	duet_xenbus_broken(vif->dev, "%s", vif->broken_msg);
	__atomic_store_n(&vif->broken_ready, 0, __ATOMIC_RELEASE);
	publish_stats(vif, 1);
}

/* ------------------------------------------------------------------ */
/* The TAP device and the hotplug script                               */
/* ------------------------------------------------------------------ */

static int run_script(struct nb_vif *vif, const char *script)
{
	const char *dir = vif->ctx->dir;
	pid_t pid;
	int st;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		setenv("XENBUS_PATH", dir, 1);
		setenv("XENBUS_TYPE", "vif", 1);
		setenv("XENBUS_BASE_PATH", "backend", 1);
		setenv("vif", vif->ifname, 1);
		execl(script, script, "online", "type_if=vif", (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0)
		return -errno;
	return WIFEXITED(st) && !WEXITSTATUS(st) ? 0 : -EIO;
}

/* Make the TAP device (down carrier, extra queues detached). */
static int tap_create(struct nb_vif *vif)
{
	/* Linux's netback gives the backend side this MAC, so that bridges
	 * never pick it as their own address. */
	static const uint8_t be_mac[6] = {0xfe, 0xff, 0xff, 0xff, 0xff, 0xff};
	const char *dir = vif->ctx->dir;
	uint64_t mtu;
	unsigned i;
	int rc;

	rc = duet_xenbus_read_str(vif->xs, dir, "vifname", vif->ifname,
				  sizeof(vif->ifname));
	if (rc == -ENOENT || rc == 0)
		snprintf(vif->ifname, sizeof(vif->ifname), "vif%u.%u",
			 vif->fe_domid, vif->ctx->devid);
	else if (rc < 0)
		return rc;
	rc = duet_xenbus_read_uint(vif->xs, dir, "mtu", 1500, 65535, &mtu);
	if (rc < 0 || mtu < 68)
		mtu = 1500;
	vif->mtu = (unsigned)mtu;
	vif->ntapq = NB_MAX_QUEUES;
	rc = netdev_tap_open(vif->ifname, vif->ntapq, vif->tapfd);
	if (rc < 0) {
		duet_log(DUET_LOG_ERR, "netback: cannot create TAP %s: %s",
			 vif->ifname, strerror(-rc));
		return rc;
	}
	for (i = 1; i < vif->ntapq; i++)
		netdev_tap_queue(vif->tapfd[i], 0);
	netdev_if_carrier(vif->tapfd[0], 0);
	return netdev_if_config(vif->ifname, vif->mtu, be_mac, 1);
}

/* Without libxl: run the hotplug script or join the bridge ourselves. */
static int tap_attach(struct nb_vif *vif)
{
	const char *dir = vif->ctx->dir;
	char bridge[IFNAMSIZ + 1], script[256];
	struct stat sb;
	int rc;

	rc = duet_xenbus_read_str(vif->xs, dir, "script", script,
				  sizeof(script));
	if (rc > 0 && !stat(script, &sb) && (sb.st_mode & S_IXUSR)) {
		rc = run_script(vif, script);
		if (rc < 0)
			duet_log(DUET_LOG_WARN, "netback: %s: hotplug script "
				 "%s failed", vif->ifname, script);
		return rc;
	}
	rc = duet_xenbus_read_str(vif->xs, dir, "bridge", bridge,
				  sizeof(bridge));
	if (rc > 0) {
		rc = netdev_bridge_attach(vif->ifname, bridge);
		if (rc < 0)
			duet_log(DUET_LOG_WARN,
				 "netback: %s: not attached to bridge %s: %s",
				 vif->ifname, bridge, strerror(-rc));
	}
	return duet_xenbus_printf(vif->xs, DUET_XS_NO_TX, vif->ctx->dir,
				  "hotplug-status", "connected");
}

/* ------------------------------------------------------------------ */
/* Connect and disconnect                                              */
/* ------------------------------------------------------------------ */

static int rx_thread_start(struct nb_vif *vif);
static void rx_thread_stop(struct nb_vif *vif);

static void disconnect(struct nb_vif *vif)
{
	unsigned i;

	rx_thread_stop(vif);
	netdev_if_carrier(vif->tapfd[0], 0);
	for (i = 0; i < vif->nqueues; i++) {
		struct nb_queue *q = &vif->q[i];

		duet_ring_detach(q->tx);
		duet_ring_detach(q->rx);
		q->tx = q->rx = NULL;
		if (q->tx_sring)
			duet_gnt_unmap(vif->p, q->tx_sring, 1);
		if (q->rx_sring)
			duet_gnt_unmap(vif->p, q->rx_sring, 1);
		q->tx_sring = q->rx_sring = NULL;
		nb_tx_fini(q);
		nb_rx_fini(q);
	}
	nb_ctrl_disconnect(vif);
	nb_dma_close(vif);
	for (i = 1; i < vif->ntapq; i++)
		netdev_tap_queue(vif->tapfd[i], 0);
	duet_evtchn_close(vif->evt);
	duet_evtchn_close(vif->rx_evt);
	vif->evt = vif->rx_evt = vif->ctrl_evt = NULL;
	vif->nqueues = 0;
	vif->connected = 0;
	__atomic_store_n(&vif->disabled, 0, __ATOMIC_RELAXED);
}

static int read_flag(struct nb_vif *vif, const char *node, int def, int *out)
{
	int rc = duet_xenbus_read_bool(vif->xs, duet_xenbus_peer_dir(vif->dev),
				       node, def, out);

	if (rc == -EINVAL)
		nb_broken(vif, "malformed %s", node);
	return rc < 0 ? rc : 0;
}

/* Bind the port the frontend wrote at @qdir/@node on @evt. */
static int read_port(struct nb_vif *vif, struct duet_evtchn *evt,
		     const char *qdir, const char *node, int *port)
{
	uint64_t v;
	int rc;

	rc = duet_xenbus_read_uint(vif->xs, qdir, node, 0, UINT32_MAX, &v);
	if (rc <= 0) {
		nb_broken(vif, "%s/%s missing or malformed",
			  qdir, node);
		return rc < 0 ? rc : -ENOENT;
	}
	rc = duet_evtchn_bind(evt, (duet_domid_t)vif->fe_domid,
			      (duet_evtchn_port_t)v);
	if (rc < 0) {
		nb_broken(vif, "cannot bind %s %llu: %s", node,
			  (unsigned long long)v, strerror(-rc));
		return rc;
	}
	*port = rc;
	return 0;
}

static int map_ring(struct nb_vif *vif, const char *qdir, const char *node,
		    enum duet_ring_type type, void **sring,
		    struct duet_ring **ring)
{
	duet_grant_ref_t ref;
	uint64_t v;
	int rc;

	rc = duet_xenbus_read_uint(vif->xs, qdir, node, 0, UINT32_MAX, &v);
	if (rc <= 0) {
		nb_broken(vif, "%s/%s missing or malformed",
			  qdir, node);
		return rc < 0 ? rc : -ENOENT;
	}
	ref = (duet_grant_ref_t)v;
	rc = duet_gnt_map(vif->p, (duet_domid_t)vif->fe_domid, 1, &ref, 0,
			  sring);
	if (rc < 0) {
		*sring = NULL;
		nb_broken(vif, "cannot map %s %u: %s", node, ref,
			  strerror(-rc));
		return rc;
	}
	rc = duet_ring_attach(duet_ring_desc_get(type), DUET_RING_BACK, *sring,
			      0, ring);
	return rc;
}

/*
 * CONNECT: read what the frontend wrote (duet/netif.h), map the rings,
 * bind the event channels.
 */
static int connect_vif(struct nb_vif *vif)
{
	const char *fe = duet_xenbus_peer_dir(vif->dev);
	char qdir[512], mode[8];
	uint64_t nq;
	unsigned i, off = 0;
	int rc, rx_copy, no_csum, split, all_split = 1;

	rc = duet_xenbus_read_uint(vif->xs, fe, "multi-queue-num-queues", 1,
				   NB_MAX_QUEUES, &nq);
	if (rc < 0 || nq == 0) {
		nb_broken(vif, "bad multi-queue-num-queues");
		return -EINVAL;
	}
	rc = read_flag(vif, "request-rx-copy", 0, &rx_copy);
	vif->rx_flip = 0;
	if (!rc && !rx_copy) {
		/* request-rx-copy=0: the frontend wants pages flipped. */
		if (vif->flip_offered) {
			vif->rx_flip = 1;
		} else {
			nb_broken(vif,
				  "frontend does not do rx-copy");
			rc = -EOPNOTSUPP;
		}
	}
	if (!rc)
		rc = read_flag(vif, "feature-sg", 0, &vif->fe_sg);
	if (!rc)
		rc = read_flag(vif, "feature-gso-tcpv4", 0, &vif->fe_gso4);
	if (!rc)
		rc = read_flag(vif, "feature-gso-tcpv6", 0, &vif->fe_gso6);
	if (!rc)
		rc = read_flag(vif, "feature-no-csum-offload", 0, &no_csum);
	if (!rc)
		rc = read_flag(vif, "feature-ipv6-csum-offload", 0,
			       &vif->fe_csum6);
	if (!rc)
		rc = read_flag(vif, "feature-rx-notify", 0,
			       &vif->fe_rx_notify);
	if (!rc)
		rc = read_flag(vif, "request-multicast-control", 0,
			       &vif->mcast_ctrl);
	vif->nmcast = 0;
	if (rc < 0)
		return rc;
	vif->fe_csum4 = !no_csum;
	vif->tx_map = duet_xenbus_read_str(vif->xs, vif->ctx->dir,
					   DUET_NETIF_NODE_TX_MODE, mode,
					   sizeof(mode)) > 0 &&
		      !strcmp(mode, "map");
	vif->rx_map = !vif->rx_flip &&
		      duet_xenbus_read_str(vif->xs, vif->ctx->dir,
					   DUET_NETIF_NODE_RX_MODE, mode,
					   sizeof(mode)) > 0 &&
		      !strcmp(mode, "map");
	rc = nb_dma_open(vif);
	if (rc < 0) {
		nb_broken(vif, "DMA backend: %s", strerror(-rc));
		return rc;
	}
	/* GSO needs scatter-gather (a 64 KiB frame spans pages). */
	vif->fe_gso4 = vif->fe_gso4 && vif->fe_sg && vif->fe_csum4;
	vif->fe_gso6 = vif->fe_gso6 && vif->fe_sg && vif->fe_csum6;

	rc = duet_evtchn_open(vif->p, &vif->evt);
	if (rc < 0)
		return rc;
	/* The rx thread's handle, unless turned off or a DMA device (its
	 * model serves both directions from one thread). */
	if (!vif->dma &&
	    !(duet_xenbus_read_str(vif->xs, vif->ctx->dir,
				   DUET_NETIF_NODE_RX_THREAD, mode,
				   sizeof(mode)) > 0 &&
	      !strcmp(mode, "0"))) {
		rc = duet_evtchn_open(vif->p, &vif->rx_evt);
		if (rc < 0)
			return rc;
	}
	vif->nqueues = (unsigned)nq;
	for (i = 0; i < vif->nqueues; i++) {
		struct nb_queue *q = &vif->q[i];

		q->vif = vif;
		q->id = i;
		q->tapfd = vif->tapfd[i];
		rc = duet_xenbus_queue_dir(qdir, sizeof(qdir), fe,
					   vif->nqueues, i);
		if (rc < 0)
			return rc;
		rc = nb_tx_init(q);
		if (!rc)
			rc = nb_rx_init(q);
		if (!rc)
			rc = map_ring(vif, qdir, "tx-ring-ref",
				      DUET_RING_NETIF_TX, &q->tx_sring, &q->tx);
		if (!rc)
			rc = map_ring(vif, qdir, "rx-ring-ref",
				      DUET_RING_NETIF_RX, &q->rx_sring, &q->rx);
		if (rc < 0)
			return rc;
		rc = duet_xenbus_read_uint(vif->xs, qdir, "event-channel-tx",
					   0, UINT32_MAX, &nq);
		split = rc > 0;
		all_split &= split;
		q->tx_evt = vif->evt;
		q->rx_evt = split && vif->rx_evt ? vif->rx_evt : vif->evt;
		if (split) {
			rc = read_port(vif, q->tx_evt, qdir,
				       "event-channel-tx", &q->tx_port);
			if (!rc)
				rc = read_port(vif, q->rx_evt, qdir,
					       "event-channel-rx", &q->rx_port);
		} else {
			rc = read_port(vif, q->tx_evt, qdir, "event-channel",
				       &q->tx_port);
			q->rx_port = q->tx_port;
		}
		if (rc < 0)
			return rc;
		if (i)
			netdev_tap_queue(vif->tapfd[i], 1);
	}
	/* Every rx port on the rx thread's handle: the thread takes the
	 * receive path and the control ring.  Otherwise the main thread
	 * serves both handles. */
	vif->threaded = vif->rx_evt && all_split;
	vif->ctrl_evt = vif->threaded ? vif->rx_evt : vif->evt;
	rc = nb_ctrl_connect(vif);
	if (rc < 0)
		return rc;
	if (vif->fe_csum4 || vif->fe_csum6)
		off |= NETDEV_OFF_CSUM;
	if (vif->fe_gso4)
		off |= NETDEV_OFF_TSO4;
	if (vif->fe_gso6)
		off |= NETDEV_OFF_TSO6;
	rc = netdev_tap_set_offload(vif->tapfd[0], off);
	if (rc < 0)
		return rc;
	netdev_if_carrier(vif->tapfd[0], 1);
	vif->connected = 1;
	vif->st.connects++;
	for (i = 0; i < vif->nqueues; i++)
		vif->q[i].tx_frames = vif->q[i].rx_frames = 0;
	publish_stats(vif, 1);
	return duet_xenbus_switch(vif->dev, DUET_XENBUS_CONNECTED);
}

/* ------------------------------------------------------------------ */
/* Counters                                                            */
/* ------------------------------------------------------------------ */

/* Publish at most this often while traffic flows. */
#define NB_STATS_PERIOD_MS 500

/*
 * The coarse clock (the kernel's tick, a few ms) is enough for the stats
 * period, and the vDSO always answers it without a system call; the
 * precise one is a system call where the vDSO has no clocksource to read,
 * as in a Xen PV domain whose TSC is not stable (the lab's dom0 under TCG).
 */
static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/*
 * Publish the counters for `duet status` (duet_backend_stats_write()):
 * totals, and per queue q<N>-tx / q<N>-rx frames (what multi-queue
 * spreads; q<N>-rx counts frames put on queue N's rx ring, which the
 * hash mapping picks when hashing is on); ctrl-ring 1 when the frontend
 * gave one, hash-alg the XEN_NETIF_CTRL_HASH_ALGORITHM_* in use;
 * tx-poll-hit / tx-poll-miss the busy-poll's outcomes (nb_tx_process()).
 * @force: now, else only once per NB_STATS_PERIOD_MS.
 */
static void publish_stats(struct nb_vif *vif, int force)
{
	struct duet_backend_stat s[15 + 2 * NB_MAX_QUEUES + NB_DMA_NSTATS];
	static char keys[2 * NB_MAX_QUEUES][16];
	uint64_t now = now_ms();
	unsigned n = 0, i;

	if (!force && now - vif->st_published_ms < NB_STATS_PERIOD_MS)
		return;
	vif->st_published_ms = now;
	s[n++] = (struct duet_backend_stat){"queues", vif->nqueues};
	s[n++] = (struct duet_backend_stat){
		"connects", nb_counter(&vif->st.connects)};
	s[n++] = (struct duet_backend_stat){
		"tx-packets", nb_counter(&vif->st.tx_packets)};
	s[n++] = (struct duet_backend_stat){
		"tx-errors", nb_counter(&vif->st.tx_errors)};
	s[n++] = (struct duet_backend_stat){
		"rx-packets", nb_counter(&vif->st.rx_packets)};
	s[n++] = (struct duet_backend_stat){
		"rx-dropped", nb_counter(&vif->st.rx_dropped)};
	s[n++] = (struct duet_backend_stat){
		"fatal", nb_counter(&vif->st.fatal)};
	s[n++] = (struct duet_backend_stat){"tx-map", (unsigned)vif->tx_map};
	s[n++] = (struct duet_backend_stat){"rx-flip", (unsigned)vif->rx_flip};
	s[n++] = (struct duet_backend_stat){"ctrl-ring", vif->ctrl != NULL};
	s[n++] = (struct duet_backend_stat){
		"hash-alg", __atomic_load_n(&vif->hash.alg, __ATOMIC_RELAXED)};
	s[n++] = (struct duet_backend_stat){"rx-map", (unsigned)vif->rx_map};
	s[n++] = (struct duet_backend_stat){
		"tx-poll-hit", nb_counter(&vif->poll_hit)};
	s[n++] = (struct duet_backend_stat){
		"tx-poll-miss", nb_counter(&vif->poll_miss)};
	for (i = 0; i < vif->nqueues; i++) {
		snprintf(keys[2 * i], sizeof(keys[0]), "q%u-tx", i);
		snprintf(keys[2 * i + 1], sizeof(keys[0]), "q%u-rx", i);
		s[n++] = (struct duet_backend_stat){
			keys[2 * i], nb_counter(&vif->q[i].tx_frames)};
		s[n++] = (struct duet_backend_stat){
			keys[2 * i + 1], nb_counter(&vif->q[i].rx_frames)};
	}
	nb_dma_stats(vif, s, &n);
	duet_backend_stats_write(vif->ctx, s, n);
}

/* ------------------------------------------------------------------ */
/* The loop                                                            */
/* ------------------------------------------------------------------ */

/* libxl's hotplug script wrote hotplug-status "connected". */
static int hotplug_done(struct nb_vif *vif)
{
	char st[16];

	if (duet_xenbus_read_str(vif->xs, vif->ctx->dir, "hotplug-status", st,
				 sizeof(st)) <= 0)
		return 0;
	if (strcmp(st, "connected"))
		return 0;
	vif->hotplug_wait = 0;
	return 1;
}

/* The handshake's callbacks (duet_xenbus_run()). */
static int xb_connect(void *arg)
{
	struct nb_vif *vif = arg;
	int rc;

	/* libxl's hotplug script has not run yet: our watch on
	 * hotplug-status brings us back here. */
	if (vif->hotplug_wait && !hotplug_done(vif))
		return 1;
	rc = connect_vif(vif);
	if (rc < 0) {
		disconnect(vif);
		if (!duet_xenbus_is_broken(vif->dev))
			nb_broken(vif, "connect failed: %s", strerror(-rc));
		return 0;
	}
	/* A frontend that went Connected before us may have queued
	 * requests already: serve them now, control requests first, so
	 * that the hash settings they make steer the first frames too
	 * (the rx thread does its part as it starts). */
	if (vif->threaded) {
		rc = rx_thread_start(vif);
		if (rc < 0) {
			duet_log(DUET_LOG_ERR, "vif %s: rx thread: %s",
				 vif->ifname, strerror(-rc));
			vif->threaded = 0;
			disconnect(vif);
			return rc;
		}
	} else {
		nb_ctrl_process(vif);
	}
	for (unsigned i = 0; i < vif->nqueues; i++) {
		nb_tx_process(&vif->q[i]);
		if (!vif->threaded)
			nb_rx_process(&vif->q[i]);
	}
	return 0;
}

static void xb_disconnect(void *arg, int gone)
{
	disconnect(arg);
}

static const struct duet_xenbus_ops xb_ops = {
	.connect = xb_connect,
	.disconnect = xb_disconnect,
};

/* Run the handshake until it has nothing to do.  1: DONE. */
static int handshake(struct nb_vif *vif)
{
	return duet_xenbus_run(vif->dev, &xb_ops, vif, &vif->connected, NULL);
}

/* The queue whose tx or rx port @port of handle @evt is. */
static struct nb_queue *port_queue(struct nb_vif *vif,
				   struct duet_evtchn *evt, int port, int *rx,
				   int *tx)
{
	unsigned i;

	for (i = 0; i < vif->nqueues; i++) {
		struct nb_queue *q = &vif->q[i];

		*tx = q->tx_evt == evt && q->tx_port == port;
		*rx = q->rx_evt == evt && q->rx_port == port;
		if (*tx || *rx)
			return q;
	}
	return NULL;
}

/* Serve the notifications pending on @evt; -errno on a local failure. */
static int do_events(struct nb_vif *vif, struct duet_evtchn *evt)
{
	struct nb_queue *q;
	int port, rx, tx, rc = 0;

	while ((port = duet_evtchn_pending(evt)) >= 0) {
		if (evt == vif->ctrl_evt && port == vif->ctrl_port) {
			if (!nb_disabled(vif))
				rc = nb_ctrl_process(vif);
			duet_evtchn_unmask(evt, (duet_evtchn_port_t)port);
			if (rc == -EPROTO)
				rc = 0;
			if (rc < 0)
				return rc;
			continue;
		}
		q = port_queue(vif, evt, port, &rx, &tx);
		if (q && !nb_disabled(vif) && tx)
			rc = nb_tx_process(q);
		if (q && !nb_disabled(vif) && rx && rc >= 0)
			rc = nb_rx_process(q);
		/* Hashing: frames of other queues may wait for this ring. */
		if (q && !nb_disabled(vif) && rx && rc >= 0)
			rc = nb_rx_retry_stalled(vif);
		duet_evtchn_unmask(evt, (duet_evtchn_port_t)port);
		if (rc == -EPROTO)
			rc = 0; /* the vif is disabled; others keep going */
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int do_xs(struct nb_vif *vif)
{
	char *path, *token;
	int rc, ours = 0;

	while ((rc = duet_xs_read_watch(vif->xs, &path, &token)) > 0) {
		ours |= duet_xenbus_watch_is_ours(vif->dev, token) ||
			!strcmp(token, NB_HOTPLUG_TOKEN);
		free(path);
	}
	if (rc < 0)
		return rc;
	return ours ? handshake(vif) : 0;
}

/*
 * The receive half of a poll loop (the rx thread's, or the main thread's
 * without it): rx_fds() adds the TAP fds of the queues that can take
 * frames to @pfd (their queues in @qmap) and returns how many; *@rx_poll
 * says a queue waits for rx requests from a frontend that does not notify
 * (without feature-rx-notify): poll with a 10 ms timeout then.  rx_ready()
 * receives on what poll() found.
 */
static unsigned rx_fds(struct nb_vif *vif, struct pollfd *pfd,
		       struct nb_queue **qmap, int *rx_poll)
{
	unsigned i, nq = 0;

	*rx_poll = 0;
	for (i = 0; vif->connected && !nb_disabled(vif) && i < vif->nqueues;
	     i++) {
		if (vif->q[i].rx_stalled) {
			if (!vif->fe_rx_notify)
				*rx_poll = 1;
			continue;
		}
		qmap[nq] = &vif->q[i];
		pfd[nq].fd = vif->q[i].tapfd;
		pfd[nq].events = POLLIN;
		pfd[nq++].revents = 0;
	}
	return nq;
}

static int rx_ready(struct nb_vif *vif, const struct pollfd *pfd,
		    struct nb_queue **qmap, unsigned nq, int rx_poll)
{
	unsigned i;
	int rc;

	for (i = 0; i < nq; i++) {
		if (!pfd[i].revents || !vif->connected || nb_disabled(vif))
			continue;
		rc = nb_rx_process(qmap[i]);
		if (rc < 0 && rc != -EPROTO)
			return rc;
	}
	for (i = 0; rx_poll && vif->connected && !nb_disabled(vif) &&
		    i < vif->nqueues;
	     i++)
		if (vif->q[i].rx_stalled) {
			rc = nb_rx_process(&vif->q[i]);
			if (rc < 0 && rc != -EPROTO)
				return rc;
		}
	return 0;
}

/*
 * The rx thread: every queue's receive path (TAP -> rx ring) and the
 * control ring, from its own handle, until rx_thread_stop().  A local
 * failure ends it and is handed to the main thread (rx_err), which ends
 * the instance as its own failures do.
 */
static void *rx_main(void *arg)
{
	struct nb_vif *vif = arg;
	struct pollfd pfd[2 + NB_MAX_QUEUES];
	struct nb_queue *qmap[NB_MAX_QUEUES];
	unsigned i, nq;
	int rc, rx_poll;

	/* What the frontend queued before we ran: control requests first,
	 * so that the hash settings they make steer the first frames. */
	rc = nb_ctrl_process(vif);
	for (i = 0; i < vif->nqueues && rc >= 0; i++)
		rc = nb_rx_process(&vif->q[i]);
	if (rc == -EPROTO)
		rc = 0;
	while (rc >= 0) {
		pfd[0].fd = vif->rx_stop_fd;
		pfd[0].events = POLLIN;
		pfd[1].fd = duet_evtchn_fd(vif->rx_evt);
		pfd[1].events = POLLIN;
		nq = rx_fds(vif, pfd + 2, qmap, &rx_poll);
		if (poll(pfd, 2 + nq, rx_poll ? 10 : -1) < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		if (pfd[0].revents)
			return NULL;
		if (pfd[1].revents & (POLLHUP | POLLERR | POLLNVAL)) {
			rc = -ECONNRESET;
			break;
		}
		if (pfd[1].revents)
			rc = do_events(vif, vif->rx_evt);
		if (rc >= 0)
			rc = rx_ready(vif, pfd + 2, qmap, nq, rx_poll);
	}
	/* Release: pairs with the main thread's acquire of rx_err. */
	__atomic_store_n(&vif->rx_err, rc, __ATOMIC_RELEASE);
	wake_main(vif);
	return NULL;
}

/* Start the rx thread (vif->threaded); every signal stays the main
 * thread's.  0 or -errno. */
static int rx_thread_start(struct nb_vif *vif)
{
	sigset_t all, old;
	int rc;

	vif->rx_stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vif->rx_stop_fd < 0)
		return -errno;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&vif->rx_thread, NULL, rx_main, vif);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		close(vif->rx_stop_fd);
		vif->rx_stop_fd = -1;
		return -rc;
	}
	return 0;
}

/* Stop and join the rx thread if it runs; what it left for the main
 * thread (a violation, a failure) goes with the connection. */
static void rx_thread_stop(struct nb_vif *vif)
{
	uint64_t one = 1;

	if (vif->rx_stop_fd < 0)
		return;
	if (write(vif->rx_stop_fd, &one, sizeof(one)) < 0)
		duet_log(DUET_LOG_ERR, "vif %s: stopping the rx thread: %s",
			 vif->ifname, strerror(errno));
	pthread_join(vif->rx_thread, NULL);
	close(vif->rx_stop_fd);
	vif->rx_stop_fd = -1;
	vif->threaded = 0;
	if (vif->broken_ready)
		duet_log(DUET_LOG_WARN, "vif %s: %s (while disconnecting)",
			 vif->ifname, vif->broken_msg);
	vif->broken_ready = 0;
	vif->rx_err = 0;
}

static int loop(struct nb_vif *vif)
{
	struct pollfd pfd[5 + NB_MAX_QUEUES];
	struct nb_queue *qmap[NB_MAX_QUEUES];
	unsigned n, nq = 0;
	int rc, timeout, rx_poll = 0, rx_evt_fd;
	uint64_t cnt;

	rc = handshake(vif);
	while (rc == 0) {
		n = 0;
		pfd[n].fd = duet_xs_fd(vif->xs);
		pfd[n++].events = POLLIN;
		pfd[n].fd = vif->ctx->stop_fd;
		pfd[n++].events = POLLIN;
		pfd[n].fd = vif->evt ? duet_evtchn_fd(vif->evt) : -1;
		pfd[n++].events = POLLIN;
		pfd[n].fd = vif->wake_fd;
		pfd[n++].events = POLLIN;
		/* Without the rx thread, its handle is ours to serve. */
		rx_evt_fd = vif->rx_evt && !vif->threaded ?
				    duet_evtchn_fd(vif->rx_evt) : -1;
		pfd[n].fd = rx_evt_fd;
		pfd[n++].events = POLLIN;
		timeout = vif->connected ? NB_STATS_PERIOD_MS : -1;
		nq = 0;
		rx_poll = 0;
		if (!vif->threaded)
			nq = rx_fds(vif, pfd + n, qmap, &rx_poll);
		if (rx_poll)
			timeout = 10;
		if (poll(pfd, n + nq, timeout) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (pfd[1].revents)
			return 0;
		/* xenstore or the platform went away (the simulator
		 * stopped, the daemon died): nothing left to serve, and a
		 * hung-up fd would keep poll() spinning. */
		if ((pfd[0].revents | pfd[2].revents | pfd[4].revents) &
		    (POLLHUP | POLLERR | POLLNVAL))
			return -ECONNRESET;
		if (pfd[3].revents) {
			if (read(vif->wake_fd, &cnt, sizeof(cnt)) < 0 &&
			    errno != EAGAIN)
				return -errno;
			take_broken(vif);
			/* Acquire: pairs with rx_main()'s release. */
			rc = __atomic_load_n(&vif->rx_err, __ATOMIC_ACQUIRE);
			if (rc < 0) {
				duet_log(DUET_LOG_ERR, "vif %s: rx thread: %s",
					 vif->ifname, strerror(-rc));
				break;
			}
		}
		if (pfd[0].revents) {
			rc = do_xs(vif);
			if (rc)
				break;
		}
		if (vif->evt && pfd[2].revents) {
			rc = do_events(vif, vif->evt);
			if (rc < 0)
				break;
		}
		if (rx_evt_fd >= 0 && pfd[4].revents && vif->rx_evt) {
			rc = do_events(vif, vif->rx_evt);
			if (rc < 0)
				break;
		}
		if (!vif->threaded) {
			rc = rx_ready(vif, pfd + 5, qmap, nq, rx_poll);
			if (rc < 0)
				return rc;
		}
		if (vif->connected)
			publish_stats(vif, 0);
		/* Our own state may have changed (broken): let the handshake
		 * see it. */
		if (duet_xenbus_is_broken(vif->dev)) {
			rc = handshake(vif);
			if (rc)
				break;
		}
	}
	return rc > 0 ? 0 : rc;
}

/*
 * The busy-poll knob: DUET_NETBACK_POLL_US, microseconds the tx path
 * watches its ring before it sleeps (0 or unset: never; at most
 * DUET_NETBACK_POLL_US_MAX).
 * The budget in ns, or -EINVAL for a value that is not a number in range.
 */
static int64_t poll_knob(void)
{
	uint64_t us;

	if (duet_parse_env_uint("DUET_NETBACK_POLL_US",
				DUET_NETBACK_POLL_US_MAX, &us) < 0)
		return -EINVAL;
	return (int64_t)us * 1000;
}

int duet_netback_serve(const struct duet_backend_ctx *ctx)
{
	int64_t poll_ns = poll_knob();
	char hp[16];
	struct nb_vif *vif;
	unsigned i;
	int rc;

	if (!ctx || !ctx->platform || !ctx->xs || !ctx->dir || poll_ns < 0)
		return -EINVAL;
	vif = calloc(1, sizeof(*vif));
	if (!vif)
		return -ENOMEM;
	vif->poll_ns = (uint64_t)poll_ns;
	vif->ctx = ctx;
	vif->p = ctx->platform;
	vif->xs = ctx->xs;
	vif->fe_domid = ctx->frontend_domid;
	vif->ctrl_port = -1;
	vif->main_thread = pthread_self();
	vif->rx_stop_fd = -1;
	pthread_mutex_init(&vif->mcast_lock, NULL);
	for (i = 0; i < NB_MAX_QUEUES; i++)
		vif->tapfd[i] = -1;
	vif->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vif->wake_fd < 0) {
		rc = -errno;
		goto out_free;
	}
	rc = duet_xenbus_open(vif->xs, DUET_XENBUS_BACKEND, ctx->dir,
			      &vif->dev);
	if (rc < 0)
		goto out_free;
	vif->fe_domid = duet_xenbus_peer_domid(vif->dev);
	rc = tap_create(vif);
	if (rc < 0)
		goto out_close;
	/* Empty hotplug-status: libxl will run the script.  Absent (duet's
	 * toolstack) or "connected" (it ran for an instance before us, whose
	 * TAP died with it): the new TAP is joined here. */
	vif->hotplug_wait = ctx->toolstack_hotplug &&
			    duet_xenbus_read_str(vif->xs, ctx->dir,
						 "hotplug-status", hp,
						 sizeof(hp)) == 0;
	if (vif->hotplug_wait)
		rc = duet_xs_watch(vif->xs, ctx->dir, NB_HOTPLUG_TOKEN);
	else
		rc = tap_attach(vif);
	if (rc < 0)
		goto out_close;
	for (i = 0; i < sizeof(be_features) / sizeof(be_features[0]); i++) {
		rc = duet_xenbus_printf(vif->xs, DUET_XS_NO_TX, ctx->dir,
					be_features[i], "1");
		if (rc < 0)
			goto out_close;
	}
	/* Page transfer only where the platform really does it (the
	 * simulator); Linux's netback writes feature-rx-flip=0. */
	vif->flip_offered = !!(duet_platform_caps(vif->p) &
			       DUET_PLATFORM_CAP_TRANSFER);
	rc = duet_xenbus_printf(vif->xs, DUET_XS_NO_TX, ctx->dir,
				"feature-rx-flip", "%d", vif->flip_offered);
	if (!rc)
		rc = duet_xenbus_printf(vif->xs, DUET_XS_NO_TX, ctx->dir,
					"multi-queue-max-queues", "%u",
					NB_MAX_QUEUES);
	if (rc < 0)
		goto out_close;
	rc = duet_xenbus_backend_start(vif->dev);
	if (rc < 0)
		goto out_close;
	rc = loop(vif);
	if (vif->connected)
		disconnect(vif);
out_close:
	duet_xenbus_close(vif->dev);
	for (i = 0; i < NB_MAX_QUEUES; i++)
		if (vif->tapfd[i] >= 0)
			close(vif->tapfd[i]);
out_free:
	if (vif->wake_fd >= 0)
		close(vif->wake_fd);
	pthread_mutex_destroy(&vif->mcast_lock);
	free(vif);
	return rc;
}

const struct duet_backend_type duet_netback_type_vif = {
	.name = "vif",
	.flags = 0,
	.serve = duet_netback_serve,
};

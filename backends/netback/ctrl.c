/* SPDX-License-Identifier: MIT */
/*
 * ctrl.c - netback's control ring, receive-side hashing (netif.h
 * "Control ring", "Hash types", "Control messages") and the multicast
 * filter (request-multicast-control), as Linux's xen-netback (hash.c,
 * netback.c's ctrl and mcast handling) does them.
 *
 * Its XenStore nodes (feature-ctrl-ring, ctrl-ring-ref,
 * event-channel-ctrl): duet/netif.h.  Both are read at connect (they must
 * be written before the frontend is Connected, netif.h says); the hash
 * state starts from scratch at every connect: algorithm NONE, no flags,
 * an all-zero key, no mapping table.
 *
 * Requests served (each answered once with its id and type echoed):
 *   SET_HASH_ALGORITHM     NONE or TOEPLITZ, else INVALID_PARAMETER
 *   GET_HASH_FLAGS         NOT_SUPPORTED until an algorithm is set, then
 *                          data = IPV4 | IPV4_TCP | IPV6 | IPV6_TCP
 *   SET_HASH_FLAGS         unknown bits or no algorithm: INVALID_PARAMETER
 *   SET_HASH_KEY           data[0] gref, data[1] size: size above
 *                          NB_HASH_KEY_SIZE (40) or a grant we cannot
 *                          copy: INVALID_PARAMETER; octets past the size
 *                          become zero
 *   GET_HASH_MAPPING_SIZE  data = NB_HASH_MAPPING_MAX (128)
 *   SET_HASH_MAPPING_SIZE  above 128: INVALID_PARAMETER; the table is
 *                          zeroed (0 = hash modulo the number of queues)
 *   SET_HASH_MAPPING       data[0] gref, data[1] entries, data[2] offset:
 *                          a sub-table outside the table size, more than
 *                          a page of entries, a grant we cannot copy, or
 *                          an entry >= multi-queue-num-queues:
 *                          INVALID_PARAMETER, and the table is unchanged
 *   anything else          NOT_SUPPORTED (the static grant mapping
 *                          requests included)
 * A control ring whose producer runs away (more requests than slots) is
 * a fatal violation (nb_broken()).
 *
 * Hashing (with TOEPLITZ selected): a frame from the TAP device is hashed
 * over the fields its flags ask for -- IPv4+TCP or IPv6+TCP for an
 * unfragmented TCP segment when that flag is set, else IPv4 or IPv6
 * addresses when that flag is set, else not at all (hash 0) -- and goes
 * to the rx ring of queue mapping[hash % size] (hash % queues without a
 * table).  A hashed frame carries its hash to the frontend in an
 * XEN_NETIF_EXTRA_TYPE_HASH extra-info slot (rx.c).
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "backends/netback/common.h"
#include "duet/log.h"
#include "duet/toeplitz.h"

#define ALL_HASH_TYPES                                                    \
	(XEN_NETIF_CTRL_HASH_TYPE_IPV4 | XEN_NETIF_CTRL_HASH_TYPE_IPV4_TCP | \
	 XEN_NETIF_CTRL_HASH_TYPE_IPV6 | XEN_NETIF_CTRL_HASH_TYPE_IPV6_TCP)

static void hash_reset(struct nb_vif *vif)
{
	memset(&vif->hash, 0, sizeof(vif->hash));
	vif->hash.alg = XEN_NETIF_CTRL_HASH_ALGORITHM_NONE;
}

int nb_ctrl_connect(struct nb_vif *vif)
{
	const char *fe = duet_xenbus_peer_dir(vif->dev);
	duet_grant_ref_t ref;
	uint64_t v;
	int rc;

	hash_reset(vif);
	vif->ctrl_port = -1;
	rc = duet_xenbus_read_uint(vif->xs, fe, "ctrl-ring-ref", 0,
				   UINT32_MAX, &v);
	if (rc == 0 || rc == -ENOENT)
		return 0;
	if (rc < 0) {
		nb_broken(vif, "malformed ctrl-ring-ref");
		return rc;
	}
	ref = (duet_grant_ref_t)v;
	rc = duet_xenbus_read_uint(vif->xs, fe, "event-channel-ctrl", 0,
				   UINT32_MAX, &v);
	if (rc <= 0) {
		nb_broken(vif,
			  "event-channel-ctrl missing or malformed");
		return rc < 0 ? rc : -ENOENT;
	}
	rc = duet_gnt_map(vif->p, (duet_domid_t)vif->fe_domid, 1, &ref, 0,
			  &vif->ctrl_sring);
	if (rc < 0) {
		vif->ctrl_sring = NULL;
		nb_broken(vif, "cannot map ctrl-ring-ref %u: %s",
			  ref, strerror(-rc));
		return rc;
	}
	rc = duet_ring_attach(duet_ring_desc_get(DUET_RING_NETIF_CTRL),
			      DUET_RING_BACK, vif->ctrl_sring, 0, &vif->ctrl);
	if (rc < 0)
		return rc;
	rc = duet_evtchn_bind(vif->ctrl_evt, (duet_domid_t)vif->fe_domid,
			      (duet_evtchn_port_t)v);
	if (rc < 0) {
		nb_broken(vif, "cannot bind event-channel-ctrl "
			  "%llu: %s", (unsigned long long)v,
			  strerror(-rc));
		return rc;
	}
	vif->ctrl_port = rc;
	return 0;
}

void nb_ctrl_disconnect(struct nb_vif *vif)
{
	duet_ring_detach(vif->ctrl);
	vif->ctrl = NULL;
	if (vif->ctrl_sring)
		duet_gnt_unmap(vif->p, vif->ctrl_sring, 1);
	vif->ctrl_sring = NULL;
	vif->ctrl_port = -1;
	hash_reset(vif);
}

/* Copy @len bytes from the start of the frontend's grant @gref; 0 or -errno. */
static int copy_from_gref(struct nb_vif *vif, uint32_t gref, void *dst,
			  unsigned len)
{
	struct duet_gnt_copy_seg seg;
	int rc;

	if (!len)
		return 0;
	memset(&seg, 0, sizeof(seg));
	seg.flags = DUET_GNT_COPY_SRC_GREF;
	seg.src.foreign.ref = gref;
	seg.src.foreign.offset = 0;
	seg.src.foreign.domid = (duet_domid_t)vif->fe_domid;
	seg.dst.virt = dst;
	seg.len = (uint16_t)len;
	rc = duet_gnt_copy(vif->p, &seg, 1);
	return rc < 0 ? rc : seg.status;
}

static uint32_t set_key(struct nb_vif *vif, uint32_t gref, uint32_t len)
{
	uint8_t key[NB_HASH_KEY_SIZE];

	if (len > NB_HASH_KEY_SIZE)
		return XEN_NETIF_CTRL_STATUS_INVALID_PARAMETER;
	memset(key, 0, sizeof(key));
	if (copy_from_gref(vif, gref, key, len) < 0)
		return XEN_NETIF_CTRL_STATUS_INVALID_PARAMETER;
	memcpy(vif->hash.key, key, sizeof(key));
	return XEN_NETIF_CTRL_STATUS_SUCCESS;
}

static uint32_t set_mapping(struct nb_vif *vif, uint32_t gref, uint32_t len,
			    uint32_t off)
{
	uint32_t tab[NB_HASH_MAPPING_MAX];
	uint32_t i;

	/* Copy first, then check what was copied: the frontend may change
	 * its page at any time, so only our copy is validated and used. */
	if (off > vif->hash.size || len > vif->hash.size - off ||
	    len > DUET_PAGE_SIZE / sizeof(uint32_t))
		return XEN_NETIF_CTRL_STATUS_INVALID_PARAMETER;
	if (copy_from_gref(vif, gref, tab, len * sizeof(uint32_t)) < 0)
		return XEN_NETIF_CTRL_STATUS_INVALID_PARAMETER;
	for (i = 0; i < len; i++)
		if (tab[i] >= vif->nqueues)
			return XEN_NETIF_CTRL_STATUS_INVALID_PARAMETER;
	memcpy(&vif->hash.mapping[off], tab, len * sizeof(uint32_t));
	return XEN_NETIF_CTRL_STATUS_SUCCESS;
}

/* Serve one request (already copied out of the ring) into @rsp. */
static void ctrl_one(struct nb_vif *vif,
		     const struct xen_netif_ctrl_request *req,
		     struct xen_netif_ctrl_response *rsp)
{
	struct nb_hash *h = &vif->hash;
	uint32_t st = XEN_NETIF_CTRL_STATUS_NOT_SUPPORTED;

	memset(rsp, 0, sizeof(*rsp));
	rsp->id = req->id;
	rsp->type = req->type;
	switch (req->type) {
	case XEN_NETIF_CTRL_TYPE_SET_HASH_ALGORITHM:
		st = XEN_NETIF_CTRL_STATUS_INVALID_PARAMETER;
		if (req->data[0] == XEN_NETIF_CTRL_HASH_ALGORITHM_NONE ||
		    req->data[0] == XEN_NETIF_CTRL_HASH_ALGORITHM_TOEPLITZ) {
			/* Relaxed: publish_stats() reads it from the main
			 * thread, for show. */
			__atomic_store_n(&h->alg, req->data[0],
					 __ATOMIC_RELAXED);
			st = XEN_NETIF_CTRL_STATUS_SUCCESS;
		}
		break;
	case XEN_NETIF_CTRL_TYPE_GET_HASH_FLAGS:
		if (h->alg != XEN_NETIF_CTRL_HASH_ALGORITHM_NONE) {
			rsp->data = ALL_HASH_TYPES;
			st = XEN_NETIF_CTRL_STATUS_SUCCESS;
		}
		break;
	case XEN_NETIF_CTRL_TYPE_SET_HASH_FLAGS:
		st = XEN_NETIF_CTRL_STATUS_INVALID_PARAMETER;
		if (!(req->data[0] & ~ALL_HASH_TYPES) &&
		    h->alg != XEN_NETIF_CTRL_HASH_ALGORITHM_NONE) {
			h->flags = req->data[0];
			st = XEN_NETIF_CTRL_STATUS_SUCCESS;
		}
		break;
	case XEN_NETIF_CTRL_TYPE_SET_HASH_KEY:
		st = set_key(vif, req->data[0], req->data[1]);
		break;
	case XEN_NETIF_CTRL_TYPE_GET_HASH_MAPPING_SIZE:
		rsp->data = NB_HASH_MAPPING_MAX;
		st = XEN_NETIF_CTRL_STATUS_SUCCESS;
		break;
	case XEN_NETIF_CTRL_TYPE_SET_HASH_MAPPING_SIZE:
		st = XEN_NETIF_CTRL_STATUS_INVALID_PARAMETER;
		if (req->data[0] <= NB_HASH_MAPPING_MAX) {
			h->size = req->data[0];
			memset(h->mapping, 0, sizeof(h->mapping));
			st = XEN_NETIF_CTRL_STATUS_SUCCESS;
		}
		break;
	case XEN_NETIF_CTRL_TYPE_SET_HASH_MAPPING:
		st = set_mapping(vif, req->data[0], req->data[1],
				 req->data[2]);
		break;
	default:
		break;
	}
	rsp->status = st;
}

int nb_ctrl_process(struct nb_vif *vif)
{
	struct xen_netif_ctrl_request req;
	struct xen_netif_ctrl_response rsp;
	int rc, n = 0;

	if (!vif->ctrl)
		return 0;
	for (;;) {
		rc = duet_ring_back_get_req(vif->ctrl, &req);
		if (rc < 0) {
			nb_broken(vif, "ctrl: ring producer index runs away");
			return -EPROTO;
		}
		if (rc == 0) {
			rc = duet_ring_back_final_check(vif->ctrl);
			if (rc < 0) {
				nb_broken(vif, "ctrl: ring producer index "
					  "runs away");
				return -EPROTO;
			}
			if (rc == 0)
				break;
			continue;
		}
		ctrl_one(vif, &req, &rsp);
		rc = duet_ring_back_put_rsp(vif->ctrl, &rsp);
		if (rc < 0)
			return rc;
		n++;
	}
	if (!n)
		return 0;
	rc = duet_ring_back_push(vif->ctrl);
	if (rc > 0)
		duet_evtchn_notify(vif->ctrl_evt,
				   (duet_evtchn_port_t)vif->ctrl_port);
	return rc < 0 ? rc : 0;
}

/* Offset of the IP header after Ethernet and VLAN tags; 0 if neither
 * IPv4 nor IPv6. */
static unsigned ip_offset(const uint8_t *f, size_t len, int *ipv6)
{
	unsigned off = 14, et;

	if (len < 14)
		return 0;
	et = (unsigned)f[12] << 8 | f[13];
	while ((et == 0x8100 || et == 0x88a8) && len >= off + 4) {
		et = (unsigned)f[off + 2] << 8 | f[off + 3];
		off += 4;
	}
	*ipv6 = et == 0x86dd;
	if (et == 0x0800 && len >= off + 20 && (f[off] >> 4) == 4)
		return off;
	if (et == 0x86dd && len >= off + 40 && (f[off] >> 4) == 6)
		return off;
	return 0;
}

int nb_hash_frame(const struct nb_vif *vif, const uint8_t *f, size_t len,
		  uint32_t *hash, uint8_t *type)
{
	uint32_t fl = vif->hash.flags;
	uint8_t in[36];
	struct netdev_l4 l4;
	unsigned l3, alen, n;
	int ipv6 = 0, tcp, want_tcp, want_ip;

	l3 = ip_offset(f, len, &ipv6);
	if (!l3)
		return 0;
	want_tcp = fl & (ipv6 ? XEN_NETIF_CTRL_HASH_TYPE_IPV6_TCP :
				XEN_NETIF_CTRL_HASH_TYPE_IPV4_TCP);
	want_ip = fl & (ipv6 ? XEN_NETIF_CTRL_HASH_TYPE_IPV6 :
			       XEN_NETIF_CTRL_HASH_TYPE_IPV4);
	if (!want_tcp && !want_ip)
		return 0;
	/* netdev_parse_l4() refuses fragments: they have no ports. */
	tcp = netdev_parse_l4(f, len, &l4) == 0 && l4.proto == IPPROTO_TCP;
	alen = ipv6 ? 16 : 4;
	memcpy(in, f + l3 + (ipv6 ? 8 : 12), 2 * alen);
	n = 2 * alen;
	if (tcp && want_tcp) {
		memcpy(in + n, f + l4.l4, 4);
		n += 4;
		*type = ipv6 ? _XEN_NETIF_CTRL_HASH_TYPE_IPV6_TCP :
			       _XEN_NETIF_CTRL_HASH_TYPE_IPV4_TCP;
	} else if (want_ip) {
		*type = ipv6 ? _XEN_NETIF_CTRL_HASH_TYPE_IPV6 :
			       _XEN_NETIF_CTRL_HASH_TYPE_IPV4;
	} else {
		return 0;
	}
	*hash = duet_toeplitz_hash(vif->hash.key, sizeof(vif->hash.key), in,
				   n);
	return 1;
}

unsigned nb_hash_select(const struct nb_vif *vif, const uint8_t *f,
			size_t len, unsigned dflt, struct netif_extra_info *ex)
{
	uint32_t hash = 0;
	uint8_t type = 0;
	unsigned q;

	memset(ex, 0, sizeof(*ex));
	if (vif->hash.alg != XEN_NETIF_CTRL_HASH_ALGORITHM_TOEPLITZ ||
	    !vif->nqueues)
		return dflt;
	if (nb_hash_frame(vif, f, len, &hash, &type)) {
		ex->type = XEN_NETIF_EXTRA_TYPE_HASH;
		ex->u.hash.type = type;
		ex->u.hash.algorithm = XEN_NETIF_CTRL_HASH_ALGORITHM_TOEPLITZ;
		/* netif.h: the value is little-endian (LSB first). */
		ex->u.hash.value[0] = (uint8_t)hash;
		ex->u.hash.value[1] = (uint8_t)(hash >> 8);
		ex->u.hash.value[2] = (uint8_t)(hash >> 16);
		ex->u.hash.value[3] = (uint8_t)(hash >> 24);
	}
	/* An unhashed frame counts as hash 0, as in Linux (a cleared
	 * skb hash). */
	if (vif->hash.size)
		q = vif->hash.mapping[hash % vif->hash.size];
	else
		q = hash % vif->nqueues;
	return q < vif->nqueues ? q : dflt;
}

/* ------------------------------------------------------------------ */
/* Multicast control (request-multicast-control)                       */
/* ------------------------------------------------------------------ */

int nb_mcast_match(struct nb_vif *vif, const uint8_t *dst)
{
	unsigned i;
	int hit = 0;

	pthread_mutex_lock(&vif->mcast_lock);
	for (i = 0; i < vif->nmcast && !hit; i++)
		hit = !memcmp(vif->mcast[i], dst, 6);
	pthread_mutex_unlock(&vif->mcast_lock);
	return hit;
}

static int mcast_update(struct nb_vif *vif, const struct netif_extra_info *ex)
{
	const uint8_t *a = ex->u.mcast.addr;
	unsigned i;

	for (i = 0; i < vif->nmcast && memcmp(vif->mcast[i], a, 6); i++)
		;
	if (ex->type == XEN_NETIF_EXTRA_TYPE_MCAST_DEL) {
		if (i < vif->nmcast)
			memmove(vif->mcast[i], vif->mcast[i + 1],
				(vif->nmcast - i - 1) * sizeof(vif->mcast[0]));
		vif->nmcast -= i < vif->nmcast;
		return 0;
	}
	if (i < vif->nmcast)
		return 0;
	if (vif->nmcast == NB_MCAST_MAX)
		return -ENOSPC;
	memcpy(vif->mcast[vif->nmcast++], a, 6);
	return 0;
}

int nb_mcast_update(struct nb_vif *vif, const struct netif_extra_info *ex)
{
	int rc;

	pthread_mutex_lock(&vif->mcast_lock);
	rc = mcast_update(vif, ex);
	pthread_mutex_unlock(&vif->mcast_lock);
	return rc;
}

/* SPDX-License-Identifier: MIT */
/*
 * ctrl.c - netfront's side of netif.h's control ring (optional:
 * duet_netfront_opts.ctrl_ring, `duet netfront --ctrl-ring`; off by
 * default, as Linux's netfront never creates one).
 *
 * XenStore nodes:
 *   read  <be>/feature-ctrl-ring   the backend serves a control ring
 *   write <fe>/ctrl-ring-ref       grant of our one-page control ring
 *   write <fe>/event-channel-ctrl  its event channel
 * written with the other rings (xenbus.c's publish()), before Connected,
 * as netif.h asks.
 *
 * Once the rings are published the requests go out in this order, each
 * in its own slot (ids 0..4): SET_HASH_ALGORITHM TOEPLITZ,
 * SET_HASH_FLAGS IPV4 | IPV4_TCP | IPV6 | IPV6_TCP, SET_HASH_KEY (the
 * key page: the caller's key or Microsoft's RSS key), and, with a mapping
 * table, SET_HASH_MAPPING_SIZE and SET_HASH_MAPPING (the table page).
 * The key and table pages are granted read-only and stay granted for the
 * connection (netif.h: valid until the response is processed).  The
 * backend (duet's netback) serves requests queued before it connected at
 * connect; the ring is kicked again on every XenBus event until all are
 * answered.  A failed request is logged; hashing is then whatever the
 * backend was left with.  Responses are not trusted: one whose id is not
 * an outstanding request is ignored.
 */
#include <errno.h>
#include <string.h>

#include "frontends/netfront/common.h"
#include "duet/log.h"
#include "duet/toeplitz.h"

/* Microsoft's RSS verification key: a well-spread default. */
static const uint8_t rss_key[NF_HASH_KEY_SIZE] = DUET_TOEPLITZ_RSS_KEY;

int nf_ctrl_setup(struct nf_vif *vif)
{
	const struct duet_netfront_opts *o = vif->o;
	duet_grant_ref_t refs[2];
	void *pages;
	int rc;

	if (!o->ctrl_ring || !vif->be_ctrl)
		return 0;
	if (o->hash_key_size > NF_HASH_KEY_SIZE ||
	    o->hash_mapping_size > DUET_PAGE_SIZE / sizeof(uint32_t))
		return -EINVAL;
	rc = duet_gnt_share(vif->p, (duet_domid_t)vif->be_domid, 1, 0,
			    &vif->ctrl_sref, &vif->ctrl_sring);
	if (rc < 0)
		return rc;
	rc = duet_ring_attach(duet_ring_desc_get(DUET_RING_NETIF_CTRL),
			      DUET_RING_FRONT, vif->ctrl_sring, 0, &vif->ctrl);
	if (rc < 0)
		return rc;
	rc = duet_gnt_share(vif->p, (duet_domid_t)vif->be_domid, 2,
			    DUET_GNT_READONLY, refs, &pages);
	if (rc < 0)
		return rc;
	vif->ctrl_pages = pages;
	vif->ctrl_key_ref = refs[0];
	vif->ctrl_map_ref = refs[1];
	rc = duet_evtchn_alloc_unbound(vif->evt, (duet_domid_t)vif->be_domid);
	if (rc < 0)
		return rc;
	vif->ctrl_port = rc;
	return 0;
}

void nf_ctrl_teardown(struct nf_vif *vif)
{
	duet_ring_detach(vif->ctrl);
	vif->ctrl = NULL;
	/* Ended once the backend unmaps them. */
	if (vif->ctrl_sring)
		duet_gnt_end_share(vif->p, vif->ctrl_sring, 1);
	if (vif->ctrl_pages)
		duet_gnt_end_share(vif->p, vif->ctrl_pages, 2);
	vif->ctrl_sring = NULL;
	vif->ctrl_pages = NULL;
	vif->ctrl_port = -1;
	vif->ctrl_sent = vif->ctrl_done = vif->ctrl_failed = 0;
}

static int put(struct nf_vif *vif, uint16_t type, uint32_t d0, uint32_t d1,
	       uint32_t d2)
{
	struct xen_netif_ctrl_request req;

	memset(&req, 0, sizeof(req));
	req.id = (uint16_t)vif->ctrl_sent;
	req.type = type;
	req.data[0] = d0;
	req.data[1] = d1;
	req.data[2] = d2;
	vif->ctrl_type[vif->ctrl_sent++] = type;
	return duet_ring_front_put_req(vif->ctrl, &req);
}

int nf_ctrl_start(struct nf_vif *vif)
{
	const struct duet_netfront_opts *o = vif->o;
	uint8_t *key = vif->ctrl_pages;
	uint32_t *map = (uint32_t *)(vif->ctrl_pages + DUET_PAGE_SIZE);
	unsigned keylen = o->hash_key ? o->hash_key_size : NF_HASH_KEY_SIZE;
	int rc;

	if (!vif->ctrl || vif->ctrl_sent)
		return 0;
	memcpy(key, o->hash_key ? o->hash_key : rss_key, keylen);
	rc = put(vif, XEN_NETIF_CTRL_TYPE_SET_HASH_ALGORITHM,
		 XEN_NETIF_CTRL_HASH_ALGORITHM_TOEPLITZ, 0, 0);
	if (!rc)
		rc = put(vif, XEN_NETIF_CTRL_TYPE_SET_HASH_FLAGS,
			 XEN_NETIF_CTRL_HASH_TYPE_IPV4 |
				 XEN_NETIF_CTRL_HASH_TYPE_IPV4_TCP |
				 XEN_NETIF_CTRL_HASH_TYPE_IPV6 |
				 XEN_NETIF_CTRL_HASH_TYPE_IPV6_TCP,
			 0, 0);
	if (!rc)
		rc = put(vif, XEN_NETIF_CTRL_TYPE_SET_HASH_KEY,
			 vif->ctrl_key_ref, keylen, 0);
	if (!rc && o->hash_mapping_size) {
		memcpy(map, o->hash_mapping,
		       o->hash_mapping_size * sizeof(uint32_t));
		rc = put(vif, XEN_NETIF_CTRL_TYPE_SET_HASH_MAPPING_SIZE,
			 o->hash_mapping_size, 0, 0);
		if (!rc)
			rc = put(vif, XEN_NETIF_CTRL_TYPE_SET_HASH_MAPPING,
				 vif->ctrl_map_ref, o->hash_mapping_size, 0);
	}
	if (rc < 0)
		return rc;
	return nf_ctrl_kick(vif);
}

int nf_ctrl_kick(struct nf_vif *vif)
{
	int rc;

	if (!vif->ctrl || vif->ctrl_done == vif->ctrl_sent)
		return 0;
	rc = duet_ring_front_push(vif->ctrl);
	if (rc < 0)
		return rc;
	/* Notified unconditionally: the backend may have bound the port
	 * only after the requests were pushed. */
	duet_evtchn_notify(vif->evt, (duet_evtchn_port_t)vif->ctrl_port);
	return 0;
}

int nf_ctrl_responses(struct nf_vif *vif)
{
	struct xen_netif_ctrl_response rsp;
	int rc;

	if (!vif->ctrl)
		return 0;
	for (;;) {
		rc = duet_ring_front_get_rsp(vif->ctrl, &rsp);
		if (rc < 0) {
			nf_broken(vif, "ctrl: bad rsp_prod");
			return -EPROTO;
		}
		if (rc == 0) {
			rc = duet_ring_front_final_check(vif->ctrl);
			if (rc < 0)
				return -EPROTO;
			if (rc == 0)
				return 0;
			continue;
		}
		if (rsp.id >= vif->ctrl_sent ||
		    rsp.type != vif->ctrl_type[rsp.id]) {
			duet_log(DUET_LOG_WARN, "netfront: %s: ctrl response "
				 "for unknown id %u ignored", vif->dir,
				 rsp.id);
			continue;
		}
		vif->ctrl_done++;
		if (rsp.status != XEN_NETIF_CTRL_STATUS_SUCCESS) {
			vif->ctrl_failed++;
			duet_log(DUET_LOG_WARN, "netfront: %s: ctrl request "
				 "type %u failed with status %u", vif->dir,
				 rsp.type, rsp.status);
		}
		if (vif->ctrl_done == vif->ctrl_sent)
			duet_log(DUET_LOG_INFO, "netfront: %s: control ring: "
				 "%u requests answered, %u failed", vif->dir,
				 vif->ctrl_done, vif->ctrl_failed);
	}
}

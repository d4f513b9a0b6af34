/* SPDX-License-Identifier: MIT */
/*
 * nbctrl.c - the test code declared in nbctrl.h, built once into
 * libduet-test.a.
 */
#include "lib/nbctrl.h"

struct duet_ring *nbc_ring;

int nbc_port = -1;

duet_grant_ref_t nbc_page_ref;

uint8_t *nbc_page;

uint16_t nbc_next_id = 100;

void nbc_hook(struct nbt_vif *v)
{
	duet_grant_ref_t ref;
	void *sring;
	int rc;

	rc = duet_gnt_share(nbt_pfe, (duet_domid_t)nbt_be_dom, 1, 0, &ref,
			    &sring);
	rc = rc ?: duet_ring_attach(duet_ring_desc_get(DUET_RING_NETIF_CTRL),
				    DUET_RING_FRONT, sring, 0, &nbc_ring);
	if (!rc) {
		nbc_port = duet_evtchn_alloc_unbound(v->evt,
						     (duet_domid_t)nbt_be_dom);
		rc = nbc_port < 0 ? nbc_port : 0;
	}
	rc = rc ?: nbt_fe_write(v, "ctrl-ring-ref", ref);
	rc = rc ?: nbt_fe_write(v, "event-channel-ctrl", (unsigned)nbc_port);
	rc = rc ?: duet_gnt_share(nbt_pfe, (duet_domid_t)nbt_be_dom, 1,
				  DUET_GNT_READONLY, &nbc_page_ref,
				  (void **)&nbc_page);
	if (rc < 0) {
		printf("Bail out! control ring setup: %d\n", rc);
		exit(1);
	}
}

long nbc_call(struct nbt_vif *v, uint16_t type, uint32_t d0,
	      uint32_t d1, uint32_t d2, uint32_t *data)
{
	struct xen_netif_ctrl_request req;
	struct xen_netif_ctrl_response rsp;
	uint16_t id = nbc_next_id++;
	int ms = 2000;

	memset(&req, 0, sizeof(req));
	req.id = id;
	req.type = type;
	req.data[0] = d0;
	req.data[1] = d1;
	req.data[2] = d2;
	duet_ring_front_put_req(nbc_ring, &req);
	duet_ring_front_push(nbc_ring);
	duet_evtchn_notify(v->evt, (duet_evtchn_port_t)nbc_port);
	while (ms > 0) {
		if (duet_ring_front_get_rsp(nbc_ring, &rsp) == 1) {
			if (rsp.id != id || rsp.type != type)
				return -1;
			if (data)
				*data = rsp.data;
			return rsp.status;
		}
		nbt_wait_event(v);
		ms -= 50;
	}
	return -1;
}

/* SPDX-License-Identifier: MIT */
/*
 * nbctrl.h - the frontend half of netif.h's control ring for the netback
 * tests: nbc_hook() (set as nbt_fe_hook) shares a one-page ctrl ring,
 * allocates its event channel on the vif's event channel handle and
 * writes ctrl-ring-ref / event-channel-ctrl; nbc_call() sends one request
 * and waits for its response; nbc_page() is a page granted to the
 * backend for keys and mapping tables.
 */
#ifndef DUET_TESTS_LIB_NBCTRL_H
#define DUET_TESTS_LIB_NBCTRL_H

#include "lib/nbtest.h"

extern struct duet_ring *nbc_ring;
extern int nbc_port;
extern duet_grant_ref_t nbc_page_ref;
extern uint8_t *nbc_page;
extern uint16_t nbc_next_id;

void nbc_hook(struct nbt_vif *v);

/*
 * Send request @type with @d0..@d2; the response's status (its data in
 * *@data when @data), or -1 when no response with our id and type came
 * within two seconds.
 */
long nbc_call(struct nbt_vif *v, uint16_t type, uint32_t d0,
	      uint32_t d1, uint32_t d2, uint32_t *data);

#endif /* DUET_TESTS_LIB_NBCTRL_H */

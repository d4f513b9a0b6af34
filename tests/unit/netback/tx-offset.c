/* SPDX-License-Identifier: MIT */
/*
 * tx-offset.c - a slot whose offset + size runs past its page is fatal
 * (Linux's netback: "Cross page boundary" / "txreq.offset ... end"), for
 * the first slot and for a later one: that vif moves to Closing, its
 * instance process survives, and another vif keeps passing packets.
 */
#include "lib/nbtest.h"

int main(void)
{
	struct nbt_vif a, b, c;

	nbt_start();
	nbt_vif(&a, 0);
	nbt_vif(&b, 1);
	nbt_vif(&c, 2);

	nbt_put(&a, 1, 0, 4000, 200, 0);
	nbt_push(&a);
	ok(nbt_wait(a.be, "state", "5", 3000),
	   "first slot at offset 4000 with 200 bytes: Closing");
	ok(nbt_alive(&a), "  the instance process survives");

	nbt_frame(&b, 0, 0, 60);
	nbt_put(&b, 1, 0, 0, 1000, NETTXF_more_data);
	nbt_put(&b, 2, 1, 3500, 900, 0);
	nbt_push(&b);
	ok(nbt_wait(b.be, "state", "5", 3000),
	   "later slot at offset 3500 with 900 bytes: Closing");
	ok(nbt_alive(&b), "  the instance process survives");

	ok(nbt_good_packet(&c, 7), "another vif still passes a good packet");
	ok(nbt_wait(c.be, "state", "4", 100), "  and stays Connected");
	nbt_stop(&a);
	nbt_stop(&b);
	nbt_stop(&c);
	return done_testing();
}

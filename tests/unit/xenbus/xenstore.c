/* SPDX-License-Identifier: MIT */
/*
 * XenBus helpers against a real xs_wire server (the simulator's, run in a
 * thread of this test) through libxenstore: typed reads of malformed
 * nodes, both ring-ref conventions, per-queue layout, the peer-state watch,
 * refused transitions, the broken-peer path with its rate limit, and a
 * transaction conflict.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "duet/xenbus.h"
#include "lib/xs-harness.h"

static int log_count;

static void count_log(void *opaque, int level, const char *msg)
{
	if (strstr(msg, "violated the protocol"))
		log_count++;
}

/* Wait up to 2 s for a watch event with @dev's token. */
static int wait_event(struct duet_xs *xs, struct duet_xenbus_dev *dev)
{
	struct pollfd pfd = { .fd = duet_xs_fd(xs), .events = POLLIN };
	char *path, *token;
	int i, mine = 0;

	for (i = 0; i < 40 && !mine; i++) {
		while (duet_xs_read_watch(xs, &path, &token) == 1) {
			mine |= duet_xenbus_watch_is_ours(dev, token);
			free(path);
		}
		if (!mine)
			poll(&pfd, 1, 50);
	}
	return mine;
}

static const char *fe = "/local/domain/1/device/vbd/51712";
static const char *be = "/local/domain/0/backend/vbd/1/51712";

static void toolstack_layout(void)
{
	struct simxsd_perm fe_perms[] = { { 1, 0 }, { 0, SIMXSD_PERM_READ } };
	struct simxsd_perm be_perms[] = { { 0, 0 }, { 1, SIMXSD_PERM_READ } };
	char path[256];

	snprintf(path, sizeof(path), "%s/backend", fe);
	simxsd_write(xsd, path, be, strlen(be));
	snprintf(path, sizeof(path), "%s/backend-id", fe);
	simxsd_write(xsd, path, "0", 1);
	snprintf(path, sizeof(path), "%s/state", fe);
	simxsd_write(xsd, path, "1", 1);
	snprintf(path, sizeof(path), "%s/frontend", be);
	simxsd_write(xsd, path, fe, strlen(fe));
	snprintf(path, sizeof(path), "%s/frontend-id", be);
	simxsd_write(xsd, path, "1", 1);
	snprintf(path, sizeof(path), "%s/state", be);
	simxsd_write(xsd, path, "1", 1);
	simxsd_set_perms(xsd, fe, fe_perms, 2);
	snprintf(path, sizeof(path), "%s/state", fe);
	simxsd_set_perms(xsd, path, fe_perms, 2);
	simxsd_set_perms(xsd, be, be_perms, 2);
	snprintf(path, sizeof(path), "%s/state", be);
	simxsd_set_perms(xsd, path, be_perms, 2);
}

static void typed_reads(struct duet_xs *xs)
{
	const char *d = "/test/typed";
	uint64_t v = 5;
	int b = 7;

	duet_xs_write(xs, 0, "/test/typed/junk", "12abc");
	duet_xs_write(xs, 0, "/test/typed/big", "4294967296");
	duet_xs_write(xs, 0, "/test/typed/neg", "-1");
	duet_xs_write(xs, 0, "/test/typed/ok", "42");
	duet_xs_write(xs, 0, "/test/typed/empty", "");
	duet_xs_write(xs, 0, "/test/typed/two", "2");
	is_int(duet_xenbus_read_uint(xs, d, "junk", 0, UINT32_MAX, &v),
	       -EINVAL, "'12abc' in xenstore is -EINVAL");
	is_int(duet_xenbus_read_uint(xs, d, "big", 0, UINT32_MAX, &v),
	       -EINVAL, "a value past 32 bits is -EINVAL for a u32 node");
	is_int(duet_xenbus_read_uint(xs, d, "neg", 0, UINT32_MAX, &v),
	       -EINVAL, "a negative value is -EINVAL");
	is_int(v, 5, "malformed values leave the output untouched");
	is_int(duet_xenbus_read_uint(xs, d, "ok", 0, 100, &v), 1,
	       "a good value reads as present");
	is_int(v, 42, "and its value");
	is_int(duet_xenbus_read_uint(xs, d, "missing", 9, 100, &v), 0,
	       "a missing node reads as absent");
	is_int(v, 9, "with the default");
	is_int(duet_xenbus_read_bool(xs, d, "two", 0, &b), -EINVAL,
	       "a feature flag of 2 is -EINVAL");
	is_int(duet_xenbus_read_bool(xs, d, "empty", 0, &b), -EINVAL,
	       "an empty feature flag is -EINVAL");
	is_int(duet_xenbus_read_bool(xs, d, "absent", 1, &b), 0,
	       "an absent flag takes its default");
	is_int(b, 1, "default 1");
}

static void ring_refs(struct duet_xs *xs)
{
	uint32_t refs[16] = { 8 }, got[16];
	unsigned order = 9, i;
	char *val;
	int same = 1;

	is_int(duet_xenbus_write_ring_refs(xs, 0, "/test/r0", refs, 0), 0,
	       "1-page ring refs written");
	ok(duet_xs_read(xs, 0, "/test/r0/ring-ref", &val) > 0 &&
		   !strcmp(val, "8"),
	   "as ring-ref");
	free(val);
	ok(duet_xs_read(xs, 0, "/test/r0/ring-page-order", &val) == -ENOENT,
	   "without ring-page-order");
	is_int(duet_xenbus_read_ring_refs(xs, "/test/r0", 4, got, &order), 0,
	       "and read back");
	ok(order == 0 && got[0] == 8, "as order 0, ref 8");

	for (i = 0; i < 16; i++)
		refs[i] = 100 + i * 3;
	is_int(duet_xenbus_write_ring_refs(xs, 0, "/test/r4", refs, 4), 0,
	       "16-page ring refs written");
	ok(duet_xs_read(xs, 0, "/test/r4/ring-page-order", &val) > 0 &&
		   !strcmp(val, "4"),
	   "ring-page-order = 4");
	free(val);
	ok(duet_xs_read(xs, 0, "/test/r4/ring-ref15", &val) > 0 &&
		   !strcmp(val, "145"),
	   "ring-ref15 = 145");
	free(val);
	is_int(duet_xenbus_read_ring_refs(xs, "/test/r4", 4, got, &order), 0,
	       "16-page refs read back");
	for (i = 0; i < 16; i++)
		same &= got[i] == refs[i];
	ok(order == 4 && same, "all 16 refs equal");
	is_int(duet_xenbus_read_ring_refs(xs, "/test/r4", 2, got, &order),
	       -EINVAL, "an order above the advertised maximum is -EINVAL");
	is_int(duet_xenbus_write_ring_refs(xs, 0, "/test/r5", refs, 5),
	       -EINVAL, "order 5 is never written");

	duet_xs_write(xs, 0, "/test/np/num-ring-pages", "4");
	for (i = 0; i < 4; i++) {
		char p[64];

		snprintf(p, sizeof(p), "/test/np/ring-ref%u", i);
		duet_xs_printf(xs, 0, p, "%u", 7 + i);
	}
	is_int(duet_xenbus_read_ring_refs(xs, "/test/np", 4, got, &order), 0,
	       "the num-ring-pages convention is accepted");
	ok(order == 2 && got[3] == 10, "4 pages = order 2, refs read");
	duet_xs_write(xs, 0, "/test/np/num-ring-pages", "3");
	is_int(duet_xenbus_read_ring_refs(xs, "/test/np", 4, got, &order),
	       -EINVAL, "num-ring-pages 3 (not a power of two) is -EINVAL");
	duet_xs_write(xs, 0, "/test/np/num-ring-pages", "2");
	duet_xs_rm(xs, 0, "/test/np/ring-ref1");
	is_int(duet_xenbus_read_ring_refs(xs, "/test/np", 4, got, &order),
	       -ENOENT, "a missing ring-ref1 is -ENOENT");
	duet_xs_write(xs, 0, "/test/np/ring-ref1", "x1");
	is_int(duet_xenbus_read_ring_refs(xs, "/test/np", 4, got, &order),
	       -EINVAL, "a malformed ring ref is -EINVAL");
	duet_xs_write(xs, 0, "/test/bad/ring-page-order", "1x");
	is_int(duet_xenbus_read_ring_refs(xs, "/test/bad", 4, got, &order),
	       -EINVAL, "a malformed ring-page-order is -EINVAL");
	is_int(duet_xenbus_read_ring_refs(xs, "/test/none", 4, got, &order),
	       -ENOENT, "no ring nodes at all is -ENOENT");
}

static void state_machine(struct duet_xs *xs0, struct duet_xs *xs1)
{
	struct duet_xenbus_dev *bdev, *fdev, *tmp;
	char *val, path[256];
	int i;

	is_int(duet_xenbus_open(xs0, DUET_XENBUS_BACKEND, be, &bdev), 0,
	       "backend end opened");
	is_int(duet_xenbus_open(xs1, DUET_XENBUS_FRONTEND, fe, &fdev), 0,
	       "frontend end opened from domain 1");
	is_int(duet_xenbus_peer_domid(fdev), 0, "frontend's peer is dom0");
	is_str(duet_xenbus_peer_dir(bdev), fe, "backend's peer dir");
	ok(wait_event(xs1, fdev), "the watch fires once when set");

	is_int(duet_xenbus_switch(bdev, DUET_XENBUS_INITWAIT), 0,
	       "backend -> InitWait");
	ok(wait_event(xs1, fdev), "frontend sees an event");
	is_int(duet_xenbus_peer_state(fdev), DUET_XENBUS_INITWAIT,
	       "and reads InitWait");
	is_int(duet_xenbus_switch(bdev, DUET_XENBUS_INITIALISED), -EINVAL,
	       "backend may not enter Initialised");
	snprintf(path, sizeof(path), "%s/state", be);
	ok(duet_xs_read(xs0, 0, path, &val) > 0 && !strcmp(val, "2"),
	   "the refused switch wrote nothing");
	free(val);
	is_int(duet_xenbus_switch(fdev, DUET_XENBUS_INITIALISED), 0,
	       "frontend -> Initialised (as domain 1)");
	ok(wait_event(xs0, bdev), "backend sees an event");
	is_int(duet_xenbus_peer_state(bdev), DUET_XENBUS_INITIALISED,
	       "and reads Initialised");

	snprintf(path, sizeof(path), "%s/state", fe);
	duet_xs_write(xs1, 0, path, "9x");
	is_int(duet_xenbus_peer_state(bdev), -EINVAL,
	       "a garbage peer state is -EINVAL");
	duet_xs_write(xs1, 0, path, "12");
	is_int(duet_xenbus_peer_state(bdev), -EINVAL,
	       "an out-of-range peer state is -EINVAL");

	duet_log_set_handler(count_log, NULL);
	for (i = 0; i < 20; i++)
		duet_xenbus_broken(bdev, "bad request %d", i);
	duet_log_set_handler(NULL, NULL);
	ok(duet_xenbus_is_broken(bdev), "the device is marked broken");
	is_int(duet_xenbus_state(bdev), DUET_XENBUS_CLOSING,
	       "and moved to Closing");
	snprintf(path, sizeof(path), "%s/state", be);
	ok(duet_xs_read(xs0, 0, path, &val) > 0 && !strcmp(val, "5"),
	   "Closing (5) is in xenstore");
	free(val);
	ok(log_count >= 1 && log_count <= (int)DUET_LOG_LIMIT_BURST,
	   "20 violations logged %d times (rate-limited)", log_count);
	is_int(duet_xenbus_switch(bdev, DUET_XENBUS_CLOSED), 0,
	       "Closing -> Closed");

	snprintf(path, sizeof(path), "%s/state", fe);
	duet_xs_rm(xs1, 0, path);
	is_int(duet_xenbus_peer_state(bdev), -ENOENT,
	       "a vanished peer state node is -ENOENT");

	duet_xs_write(xs0, 0, "/test/dev/backend", be);
	is_int(duet_xenbus_open(xs0, DUET_XENBUS_FRONTEND, "/test/dev", &tmp),
	       -ENOENT, "open without backend-id is -ENOENT");
	duet_xs_write(xs0, 0, "/test/dev/backend-id", "zero");
	is_int(duet_xenbus_open(xs0, DUET_XENBUS_FRONTEND, "/test/dev", &tmp),
	       -EINVAL, "open with a malformed backend-id is -EINVAL");
	duet_xs_write(xs0, 0, "/test/dev/backend", "relative/path");
	duet_xs_write(xs0, 0, "/test/dev/backend-id", "0");
	is_int(duet_xenbus_open(xs0, DUET_XENBUS_FRONTEND, "/test/dev", &tmp),
	       -EINVAL, "open with a relative backend link is -EINVAL");
	duet_xenbus_close(fdev);
	duet_xenbus_close(bdev);
}

static void transaction_conflict(struct duet_xs *a, struct duet_xs *b)
{
	duet_xs_tx_t t1, t2;
	char *val;

	duet_xs_write(a, 0, "/test/tx", "0");
	is_int(duet_xs_tx_start(a, &t1), 0, "transaction 1 started");
	is_int(duet_xs_tx_start(b, &t2), 0, "transaction 2 started");
	duet_xs_read(a, t1, "/test/tx", &val);
	free(val);
	duet_xs_read(b, t2, "/test/tx", &val);
	free(val);
	duet_xs_write(a, t1, "/test/tx", "1");
	duet_xs_write(b, t2, "/test/tx", "2");
	is_int(duet_xs_tx_end(a, t1, 0), 0, "the first commit wins");
	is_int(duet_xs_tx_end(b, t2, 0), -EAGAIN,
	       "the conflicting commit is -EAGAIN");
	ok(duet_xs_read(a, 0, "/test/tx", &val) > 0 && !strcmp(val, "1"),
	   "the loser wrote nothing");
	free(val);
}

int main(void)
{
	struct duet_xs *xs0, *xs0b, *xs1;

	xsh_create("xenbus");
	toolstack_layout();
	xsh_serve();
	xs0 = xsh_xs(xsh_sock0);
	xs0b = xsh_xs(xsh_sock0);
	xs1 = xsh_xs(xsh_sock1);

	typed_reads(xs0);
	ring_refs(xs0);
	state_machine(xs0, xs1);
	transaction_conflict(xs0, xs0b);

	duet_xs_close(xs1);
	duet_xs_close(xs0b);
	duet_xs_close(xs0);
	xsh_destroy();
	return done_testing();
}

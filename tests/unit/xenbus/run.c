/* SPDX-License-Identifier: MIT */
/*
 * duet_xenbus_run(), the one driver loop, against the simulator's xs_wire
 * server: a recording driver on each end connects, waits, fails, detaches
 * and finishes through the callbacks; a callback that never lets the
 * handshake settle is stopped by the documented bound.  Also
 * duet_xenbus_printf() and duet_xenbus_read_queue_ring_refs() (Linux
 * blkfront's multi-queue layout).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "duet/xenbus.h"
#include "lib/xs-harness.h"
#include "xb-layout.h"

#define FE "/local/domain/1/device/vbd/51712"
#define BE "/local/domain/0/backend/vbd/1/51712"

static struct duet_xs *xs0, *xs1;

/* A driver that records what the loop asked of it. */
struct drv {
	struct duet_xenbus_dev *dev;
	int backend;
	int rings, want;
	int connect_rc;	 /* what connect answers when it does not connect */
	int never_settle; /* connect neither connects nor switches */
	unsigned connects, connecteds, disconnects, gones;
};

static int d_connect(void *arg)
{
	struct drv *d = arg;

	d->connects++;
	if (d->connect_rc || d->never_settle)
		return d->connect_rc;
	d->rings = 1;
	return duet_xenbus_switch(d->dev, d->backend ? DUET_XENBUS_CONNECTED
						     : DUET_XENBUS_INITIALISED);
}

static int d_connected(void *arg)
{
	struct drv *d = arg;

	d->connecteds++;
	return duet_xenbus_switch(d->dev, DUET_XENBUS_CONNECTED);
}

static void d_disconnect(void *arg, int gone)
{
	struct drv *d = arg;

	d->disconnects++;
	d->gones += gone;
	d->rings = 0;
}

static const struct duet_xenbus_ops be_ops = {
	.connect = d_connect,
	.disconnect = d_disconnect,
};

static const struct duet_xenbus_ops fe_ops = {
	.connect = d_connect,
	.connected = d_connected,
	.disconnect = d_disconnect,
};

static int run_fe(struct drv *d)
{
	return duet_xenbus_run(d->dev, &fe_ops, d, &d->rings, &d->want);
}

static int run_be(struct drv *d)
{
	return duet_xenbus_run(d->dev, &be_ops, d, &d->rings, NULL);
}

static int node_state(const char *dir)
{
	uint64_t v;

	if (duet_xenbus_read_uint(xs0, dir, "state", 0, 8, &v) != 1)
		return -1;
	return (int)v;
}

static void open_pair(struct drv *be, struct drv *fe)
{
	memset(be, 0, sizeof(*be));
	memset(fe, 0, sizeof(*fe));
	fe->want = 1;
	be->backend = 1;
	xb_attach(xs0, FE, BE);
	if (duet_xenbus_open(xs0, DUET_XENBUS_BACKEND, BE, &be->dev) ||
	    duet_xenbus_open(xs1, DUET_XENBUS_FRONTEND, FE, &fe->dev) ||
	    duet_xenbus_backend_start(be->dev)) {
		printf("Bail out! cannot open the device\n");
		exit(1);
	}
}

static void close_pair(struct drv *be, struct drv *fe)
{
	duet_xenbus_close(fe->dev);
	duet_xenbus_close(be->dev);
}

static void connect_and_detach(void)
{
	struct drv be, fe;

	open_pair(&be, &fe);
	is_int(run_fe(&fe), 0,
	       "frontend run: waits for the backend");
	is_int(fe.connects, 1, "frontend connect called once");
	is_int(node_state(FE), DUET_XENBUS_INITIALISED,
	       "frontend Initialised by its connect callback");
	is_int(run_be(&be), 0, "backend run");
	is_int(be.connects, 1, "backend connect called once");
	is_int(node_state(BE), DUET_XENBUS_CONNECTED, "backend Connected");
	is_int(run_fe(&fe), 0,
	       "frontend run after the backend connected");
	is_int(fe.connecteds, 1, "frontend connected callback called once");
	is_int(node_state(FE), DUET_XENBUS_CONNECTED, "frontend Connected");
	ok(be.disconnects == 0 && fe.disconnects == 0, "nothing torn down");

	/* libxl's detach: online=0, backend Closing. */
	duet_xs_write(xs0, 0, BE "/online", "0");
	duet_xs_write(xs0, 0, BE "/state", "5");
	is_int(run_fe(&fe), 0, "detach: frontend");
	ok(fe.disconnects == 1 && fe.gones == 0 && !fe.rings,
	   "detach: the frontend disconnects (not gone: it may reconnect)");
	is_int(run_be(&be), 1,
	       "detach: the backend's run says the device is done");
	ok(be.gones == 1 && !be.rings, "detach: disconnect(gone) on DONE");
	is_int(node_state(BE), DUET_XENBUS_CLOSED, "detach: backend Closed");
	close_pair(&be, &fe);
}

static void waits_and_failures(void)
{
	struct drv be, fe;

	open_pair(&be, &fe);
	run_fe(&fe);
	be.connect_rc = 1;
	is_int(run_be(&be), 0,
	       "connect answering 1 (not ready) ends the run with 0");
	ok(be.connects == 1 && node_state(BE) == DUET_XENBUS_INITWAIT,
	   "and the backend stays in InitWait, asked once");
	be.connect_rc = 0;
	is_int(run_be(&be), 0,
	       "the next event's run connects");
	is_int(node_state(BE), DUET_XENBUS_CONNECTED, "backend Connected");
	close_pair(&be, &fe);

	open_pair(&be, &fe);
	fe.connect_rc = -EIO;
	is_int(run_fe(&fe), -EIO,
	       "connect's -errno is the run's result");
	close_pair(&be, &fe);
}

static void bounded(void)
{
	struct drv be, fe;

	open_pair(&be, &fe);
	run_fe(&fe);
	be.never_settle = 1;
	is_int(run_be(&be), 0,
	       "a handshake that never settles: the run returns 0");
	is_int(be.connects, DUET_XENBUS_RUN_MAX_ANSWERS,
	       "after DUET_XENBUS_RUN_MAX_ANSWERS answers");
	close_pair(&be, &fe);
}

static void bad_ops(void)
{
	struct duet_xenbus_ops no_connected = fe_ops;
	struct drv be, fe;

	no_connected.connected = NULL;
	open_pair(&be, &fe);
	is_int(duet_xenbus_run(fe.dev, &fe_ops, &fe, &fe.rings, NULL), -EINVAL,
	       "a frontend without a want flag is -EINVAL");
	is_int(duet_xenbus_run(fe.dev, &no_connected, &fe, &fe.rings,
			       &fe.want),
	       -EINVAL, "a frontend without connected() is -EINVAL");
	is_int(duet_xenbus_run(be.dev, &be_ops, &be, NULL, NULL), -EINVAL,
	       "no rings flag is -EINVAL");
	is_int(duet_xenbus_run(be.dev, NULL, &be, &be.rings, NULL), -EINVAL,
	       "no ops is -EINVAL");
	is_int(fe.connects + be.connects, 0, "and nothing was called");
	close_pair(&be, &fe);
}

static void printf_node(void)
{
	char big[200], *val = NULL;

	is_int(duet_xenbus_printf(xs0, DUET_XS_NO_TX, "/test/pf", "n", "%u-%s",
				  7u, "x"),
	       0, "duet_xenbus_printf writes <dir>/<node>");
	ok(duet_xs_read(xs0, 0, "/test/pf/n", &val) > 0 && !strcmp(val, "7-x"),
	   "with the formatted value");
	free(val);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	is_int(duet_xenbus_printf(xs0, DUET_XS_NO_TX, "/test/pf", "big", "%s",
				  big),
	       -E2BIG, "a value over 127 bytes is -E2BIG, not truncated");
	ok(duet_xs_read(xs0, 0, "/test/pf/big", &val) == -ENOENT,
	   "and nothing is written");
}

static void queue_refs(void)
{
	uint32_t got[DUET_XENBUS_MAX_RING_PAGES];
	unsigned order = 9;

	/* Linux's blkfront, 2 queues of 4 pages. */
	duet_xs_write(xs0, 0, "/test/mq/ring-page-order", "2");
	duet_xs_write(xs0, 0, "/test/mq/queue-1/ring-ref0", "40");
	duet_xs_write(xs0, 0, "/test/mq/queue-1/ring-ref1", "41");
	duet_xs_write(xs0, 0, "/test/mq/queue-1/ring-ref2", "42");
	duet_xs_write(xs0, 0, "/test/mq/queue-1/ring-ref3", "43");
	is_int(duet_xenbus_read_queue_ring_refs(xs0, "/test/mq",
						"/test/mq/queue-1", 4, got,
						&order),
	       0, "order at the top, refs per queue");
	ok(order == 2 && got[0] == 40 && got[3] == 43, "order 2, refs 40..43");
	is_int(duet_xenbus_read_queue_ring_refs(xs0, "/test/mq",
						"/test/mq/queue-1", 1, got,
						&order),
	       -EINVAL, "an order above the maximum is -EINVAL");
	duet_xs_rm(xs0, 0, "/test/mq/queue-1/ring-ref3");
	is_int(duet_xenbus_read_queue_ring_refs(xs0, "/test/mq",
						"/test/mq/queue-1", 4, got,
						&order),
	       -ENOENT, "a missing per-queue ref is -ENOENT");
	duet_xs_write(xs0, 0, "/test/mq/queue-0/ring-ref", "9");
	duet_xs_write(xs0, 0, "/test/mq/ring-page-order", "0");
	is_int(duet_xenbus_read_queue_ring_refs(xs0, "/test/mq",
						"/test/mq/queue-0", 4, got,
						&order),
	       0, "a lone ring-ref per queue");
	ok(order == 0 && got[0] == 9, "order 0, ref 9");
	is_int(duet_xenbus_read_queue_ring_refs(xs0, "/test/mq", "/test/mq",
						4, got, &order),
	       -ENOENT, "qdir == top: exactly duet_xenbus_read_ring_refs()");
}

int main(void)
{
	xsh_create("run");
	xsh_serve();
	xs0 = xsh_xs(xsh_sock0);
	xs1 = xsh_xs(xsh_sock1);

	connect_and_detach();
	waits_and_failures();
	bounded();
	bad_ops();
	printf_node();
	queue_refs();

	duet_xs_close(xs1);
	duet_xs_close(xs0);
	xsh_destroy();
	return done_testing();
}

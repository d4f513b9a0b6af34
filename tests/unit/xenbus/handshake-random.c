/* SPDX-License-Identifier: MIT */
/*
 * The handshake under random schedules: a backend and a frontend driver
 * that act faithfully on every answer of their step function, run in a
 * random order with random restarts of either end (the process dies: its
 * rings are gone, a new instance opens the device) and spurious steps.
 * After each schedule both ends are stepped alternately until quiet, and
 * must then be Connected with rings on both sides; no step may fail and
 * a driver must never be told to connect while it holds rings.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "duet/xenbus.h"
#include "lib/xs-harness.h"
#include "xb-layout.h"

#define FE "/local/domain/1/device/vif/0"
#define BE "/local/domain/0/backend/vif/1/0"

static struct duet_xs *xs0, *xs1;

struct end {
	struct duet_xenbus_dev *dev;
	int connected;
	int backend;
	int netfront_style;
	int errors;
};

static void attach(void)
{
	xb_attach(xs0, FE, BE);
}

static void open_end(struct end *e)
{
	int rc = e->backend ? duet_xenbus_open(xs0, DUET_XENBUS_BACKEND, BE,
					       &e->dev)
			    : duet_xenbus_open(xs1, DUET_XENBUS_FRONTEND, FE,
					       &e->dev);

	if (rc) {
		printf("Bail out! open: %d\n", rc);
		exit(1);
	}
	e->connected = 0;
	if (e->backend && duet_xenbus_backend_start(e->dev) < 0)
		e->errors++;
}

static void restart(struct end *e)
{
	duet_xenbus_close(e->dev);
	open_end(e);
}

/* One step and the driver's faithful reaction.  Returns the answer. */
static int step(struct end *e)
{
	int a = e->backend ? duet_xenbus_backend_step(e->dev, e->connected)
			   : duet_xenbus_frontend_step(e->dev, e->connected, 1);

	if (getenv("TRACE"))
		diag("%s step -> %d (be %d fe %d)", e->backend ? "be" : "fe", a,
		     e->backend ? duet_xenbus_state(e->dev) : -1,
		     e->backend ? -1 : duet_xenbus_state(e->dev));
	switch (a) {
	case DUET_XENBUS_ACT_CONNECT:
		if (e->connected)
			e->errors++;
		e->connected = 1;
		if (duet_xenbus_switch(e->dev,
				       e->backend || e->netfront_style
					       ? DUET_XENBUS_CONNECTED
					       : DUET_XENBUS_INITIALISED) < 0)
			e->errors++;
		break;
	case DUET_XENBUS_ACT_CONNECTED:
		if (e->backend || !e->connected ||
		    duet_xenbus_switch(e->dev, DUET_XENBUS_CONNECTED) < 0)
			e->errors++;
		break;
	case DUET_XENBUS_ACT_DISCONNECT:
		e->connected = 0;
		break;
	case DUET_XENBUS_ACT_NONE:
		break;
	default:
		/* DONE (nothing is removed or offline here) or -errno */
		if (!e->errors)
			diag("%s step answered %d",
			     e->backend ? "backend" : "frontend", a);
		e->errors++;
		break;
	}
	return a;
}

/* Step both ends until neither has anything to do and neither state
 * changed (a change would fire the other end's watch). */
static int quiesce(struct end *be, struct end *fe)
{
	int i, a, b, sb, sf;

	for (i = 0; i < 40; i++) {
		sb = duet_xenbus_state(be->dev);
		sf = duet_xenbus_state(fe->dev);
		a = step(be);
		b = step(fe);
		if (a == DUET_XENBUS_ACT_NONE && b == DUET_XENBUS_ACT_NONE &&
		    sb == duet_xenbus_state(be->dev) &&
		    sf == duet_xenbus_state(fe->dev))
			return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	unsigned seed = argc > 1 ? (unsigned)atoi(argv[1]) : 20261121u;
	int round, i, settled = 0, connected = 0, errors = 0;
	struct end be = { .backend = 1 }, fe = { 0 };

	xsh_create("handshake-random");
	xsh_serve();
	xs0 = xsh_xs(xsh_sock0);
	xs1 = xsh_xs(xsh_sock1);
	srand(seed);
	diag("seed %u", seed);

	for (round = 0; round < 60; round++) {
		attach();
		fe.netfront_style = round & 1;
		open_end(&be);
		open_end(&fe);
		for (i = 0; i < 30; i++) {
			switch (rand() % 10) {
			case 0:
				restart(&be);
				break;
			case 1:
				restart(&fe);
				break;
			case 2:
			case 3:
			case 4:
			case 5:
				step(&be);
				break;
			default:
				step(&fe);
				break;
			}
		}
		if (quiesce(&be, &fe))
			settled++;
		if (be.connected && fe.connected &&
		    duet_xenbus_state(be.dev) == DUET_XENBUS_CONNECTED &&
		    duet_xenbus_state(fe.dev) == DUET_XENBUS_CONNECTED)
			connected++;
		else
			diag("round %d ends be %s/%d fe %s/%d", round,
			     duet_xenbus_state_name(duet_xenbus_state(be.dev)),
			     be.connected,
			     duet_xenbus_state_name(duet_xenbus_state(fe.dev)),
			     fe.connected);
		duet_xenbus_close(be.dev);
		duet_xenbus_close(fe.dev);
	}
	errors = be.errors + fe.errors;
	is_int(settled, 60, "every schedule goes quiet");
	is_int(connected, 60, "and ends with both ends Connected");
	is_int(errors, 0, "no failed step, no double connect");

	duet_xs_close(xs1);
	duet_xs_close(xs0);
	xsh_destroy();
	return done_testing();
}

/* SPDX-License-Identifier: MIT */
/*
 * The connection handshake (duet_xenbus_backend_start/_step,
 * duet_xenbus_frontend_step) between a backend in domain 0 and a frontend
 * in domain 1, against the simulator's xs_wire server: the normal
 * blkfront-style and netfront-style connects, libxl's detach, a backend
 * restart, a frontend restart, a frontend that closes, coalesced events,
 * a malformed peer state, and a frontend directory that vanishes.
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

enum { NONE = DUET_XENBUS_ACT_NONE, CONNECT = DUET_XENBUS_ACT_CONNECT,
       CONNECTED = DUET_XENBUS_ACT_CONNECTED,
       DISCONNECT = DUET_XENBUS_ACT_DISCONNECT, DONE = DUET_XENBUS_ACT_DONE };

static struct duet_xs *xs0, *xs1;

static void toolstack_attach(void)
{
	xb_attach(xs0, FE, BE);
}

static int node_state(const char *dir)
{
	char path[256];
	uint64_t v;

	snprintf(path, sizeof(path), "%s", dir);
	if (duet_xenbus_read_uint(xs0, path, "state", 0, 8, &v) != 1)
		return -1;
	return (int)v;
}

static struct duet_xenbus_dev *open_end(enum duet_xenbus_role role)
{
	struct duet_xenbus_dev *d = NULL;
	int rc = role == DUET_XENBUS_BACKEND
			 ? duet_xenbus_open(xs0, role, BE, &d)
			 : duet_xenbus_open(xs1, role, FE, &d);

	if (rc) {
		printf("Bail out! duet_xenbus_open: %d\n", rc);
		exit(1);
	}
	return d;
}

/* Both ends from the backend's InitWait to Connected, blkfront style (Initialised) or
 * netfront style (straight to Connected).  Returns 1 when every step
 * answered as expected. */
static int connect_both(struct duet_xenbus_dev *be, struct duet_xenbus_dev *fe,
			int netfront_style)
{
	int ok = 1;

	ok &= duet_xenbus_backend_step(be, 0) == NONE;
	ok &= node_state(BE) == DUET_XENBUS_INITWAIT;
	ok &= duet_xenbus_frontend_step(fe, 0, 1) == CONNECT;
	if (netfront_style) {
		ok &= duet_xenbus_switch(fe, DUET_XENBUS_CONNECTED) == 0;
		/* the backend has not connected yet: not a restart */
		ok &= duet_xenbus_frontend_step(fe, 1, 1) == NONE;
		ok &= duet_xenbus_backend_step(be, 0) == CONNECT;
		ok &= duet_xenbus_switch(be, DUET_XENBUS_CONNECTED) == 0;
		ok &= duet_xenbus_frontend_step(fe, 1, 1) == NONE;
	} else {
		ok &= duet_xenbus_switch(fe, DUET_XENBUS_INITIALISED) == 0;
		ok &= duet_xenbus_frontend_step(fe, 1, 1) == NONE;
		ok &= duet_xenbus_backend_step(be, 0) == CONNECT;
		ok &= duet_xenbus_switch(be, DUET_XENBUS_CONNECTED) == 0;
		ok &= duet_xenbus_frontend_step(fe, 1, 1) == CONNECTED;
		ok &= duet_xenbus_switch(fe, DUET_XENBUS_CONNECTED) == 0;
	}
	ok &= duet_xenbus_frontend_step(fe, 1, 1) == NONE;
	ok &= duet_xenbus_backend_step(be, 1) == NONE;
	ok &= node_state(FE) == DUET_XENBUS_CONNECTED;
	ok &= node_state(BE) == DUET_XENBUS_CONNECTED;
	return ok;
}

/* A fresh device, both ends open, connected blkfront style. */
static void setup_connected(struct duet_xenbus_dev **be,
			    struct duet_xenbus_dev **fe)
{
	toolstack_attach();
	*be = open_end(DUET_XENBUS_BACKEND);
	*fe = open_end(DUET_XENBUS_FRONTEND);
	duet_xenbus_backend_start(*be);
	if (!connect_both(*be, *fe, 0)) {
		printf("Bail out! the handshake does not connect\n");
		exit(1);
	}
}

static void blkfront_style(void)
{
	struct duet_xenbus_dev *be, *fe;

	toolstack_attach();
	be = open_end(DUET_XENBUS_BACKEND);
	fe = open_end(DUET_XENBUS_FRONTEND);
	is_int(duet_xenbus_backend_step(be, 0), NONE,
	       "backend waits for start() before InitWait");
	is_int(duet_xenbus_backend_start(be), 0, "backend start");
	is_int(node_state(BE), DUET_XENBUS_INITWAIT, "backend in InitWait");
	ok(connect_both(be, fe, 0), "blkfront-style connect: both Connected");
	duet_xenbus_close(fe);
	duet_xenbus_close(be);
}

static void netfront_style_and_detach(void)
{
	struct duet_xenbus_dev *be, *fe;

	toolstack_attach();
	be = open_end(DUET_XENBUS_BACKEND);
	fe = open_end(DUET_XENBUS_FRONTEND);
	duet_xenbus_backend_start(be);
	ok(connect_both(be, fe, 1), "netfront-style connect: both Connected");

	/* libxl's detach: online=0, backend state Closing. */
	duet_xs_write(xs0, 0, BE "/online", "0");
	duet_xs_write(xs0, 0, BE "/state", "5");
	is_int(duet_xenbus_backend_step(be, 1), NONE,
	       "detach: backend keeps serving while the frontend is up");
	is_int(duet_xenbus_frontend_step(fe, 1, 1), DISCONNECT,
	       "detach: frontend disconnects");
	is_int(node_state(FE), DUET_XENBUS_CLOSED, "detach: frontend Closed");
	is_int(duet_xenbus_backend_step(be, 1), DISCONNECT,
	       "detach: backend disconnects");
	is_int(node_state(BE), DUET_XENBUS_CLOSED, "detach: backend Closed");
	is_int(duet_xenbus_backend_step(be, 0), DONE,
	       "detach: offline backend is done");
	duet_xenbus_close(fe);
	duet_xenbus_close(be);
}

static void backend_restart(void)
{
	struct duet_xenbus_dev *be, *fe;

	setup_connected(&be, &fe);
	/* The instance dies; a new one opens the device. */
	duet_xenbus_close(be);
	be = open_end(DUET_XENBUS_BACKEND);
	is_int(duet_xenbus_backend_start(be), 0, "restart: start");
	is_int(node_state(BE), DUET_XENBUS_CLOSING,
	       "restart: a stale Connected is reset through Closing");
	is_int(duet_xenbus_frontend_step(fe, 1, 1), DISCONNECT,
	       "restart: frontend drops its rings");
	is_int(node_state(FE), DUET_XENBUS_CLOSED, "restart: frontend Closed");
	is_int(duet_xenbus_frontend_step(fe, 0, 1), NONE,
	       "restart: frontend waits for the backend to let go");
	is_int(duet_xenbus_backend_step(be, 0), NONE,
	       "restart: backend Closed, still online");
	is_int(node_state(BE), DUET_XENBUS_CLOSED, "restart: backend Closed");
	is_int(duet_xenbus_frontend_step(fe, 0, 1), NONE,
	       "restart: frontend starts over");
	is_int(node_state(FE), DUET_XENBUS_INITIALISING,
	       "restart: frontend Initialising");
	is_int(duet_xenbus_backend_step(be, 0), NONE, "restart: backend step");
	is_int(node_state(BE), DUET_XENBUS_INITWAIT, "restart: InitWait");
	is_int(duet_xenbus_frontend_step(fe, 0, 1), CONNECT,
	       "restart: frontend connects again");
	duet_xenbus_switch(fe, DUET_XENBUS_INITIALISED);
	is_int(duet_xenbus_backend_step(be, 0), CONNECT,
	       "restart: backend maps the new rings");
	duet_xenbus_close(fe);
	duet_xenbus_close(be);
}

static void frontend_restart_coalesced(void)
{
	struct duet_xenbus_dev *be, *fe;

	setup_connected(&be, &fe);
	duet_xenbus_close(fe);
	fe = open_end(DUET_XENBUS_FRONTEND);
	is_int(duet_xenbus_frontend_step(fe, 0, 1), NONE,
	       "fe restart: a stale Connected goes to Closing");
	is_int(node_state(FE), DUET_XENBUS_CLOSING, "fe restart: Closing");
	is_int(duet_xenbus_backend_step(be, 1), NONE,
	       "fe restart: backend follows to Closing");
	is_int(node_state(BE), DUET_XENBUS_CLOSING, "fe restart: be Closing");
	is_int(duet_xenbus_frontend_step(fe, 0, 1), NONE,
	       "fe restart: frontend Closed, waits");
	is_int(node_state(FE), DUET_XENBUS_CLOSED, "fe restart: fe Closed");
	/* Coalesced: the frontend moves on to Initialising before the
	 * backend sees its Closed. */
	duet_xs_write(xs1, 0, FE "/state", "1");
	is_int(duet_xenbus_backend_step(be, 1), DISCONNECT,
	       "coalesced: backend still disconnects");
	is_int(duet_xenbus_backend_step(be, 0), NONE, "coalesced: then waits");
	is_int(node_state(BE), DUET_XENBUS_INITWAIT,
	       "coalesced: backend back in InitWait");
	duet_xenbus_close(fe);
	duet_xenbus_close(be);
}

static void frontend_closes(void)
{
	struct duet_xenbus_dev *be, *fe;

	setup_connected(&be, &fe);
	is_int(duet_xenbus_frontend_step(fe, 1, 0), NONE,
	       "close: frontend goes Closing and waits");
	is_int(node_state(FE), DUET_XENBUS_CLOSING, "close: fe Closing");
	is_int(duet_xenbus_backend_step(be, 1), NONE, "close: be Closing");
	is_int(duet_xenbus_frontend_step(fe, 1, 0), DISCONNECT,
	       "close: frontend disconnects once the backend closes");
	is_int(duet_xenbus_frontend_step(fe, 0, 0), DONE, "close: fe done");
	is_int(duet_xenbus_backend_step(be, 1), DISCONNECT,
	       "close: backend disconnects");
	is_int(duet_xenbus_backend_step(be, 0), NONE,
	       "close: backend stays while online");
	is_int(node_state(BE), DUET_XENBUS_CLOSED, "close: be Closed");
	duet_xenbus_close(fe);
	duet_xenbus_close(be);
}

static void hostile_and_gone(void)
{
	struct duet_xenbus_dev *be, *fe;

	setup_connected(&be, &fe);
	duet_xs_write(xs1, 0, FE "/state", "4junk");
	is_int(duet_xenbus_backend_step(be, 1), DISCONNECT,
	       "malformed frontend state: disconnect");
	ok(duet_xenbus_is_broken(be), "malformed frontend state: broken");
	is_int(node_state(BE), DUET_XENBUS_CLOSING,
	       "malformed frontend state: Closing");
	duet_xs_write(xs0, 0, BE "/state", "99");
	ok(duet_xenbus_backend_step(be, 0) < 0,
	   "garbage in our own state is an error, not a guess");
	duet_xs_write(xs0, 0, BE "/state", "5");
	duet_xs_rm(xs0, 0, FE);
	is_int(duet_xenbus_backend_step(be, 0), DONE,
	       "frontend directory gone: done");
	is_int(duet_xenbus_frontend_step(fe, 0, 1), DONE,
	       "own directory gone: done");
	duet_xs_rm(xs0, 0, BE);
	duet_xenbus_close(fe);
	duet_xenbus_close(be);
}

static void wrong_role(void)
{
	struct duet_xenbus_dev *be, *fe;

	toolstack_attach();
	be = open_end(DUET_XENBUS_BACKEND);
	fe = open_end(DUET_XENBUS_FRONTEND);
	is_int(duet_xenbus_backend_step(fe, 0), -EINVAL,
	       "backend step on a frontend: -EINVAL");
	is_int(duet_xenbus_frontend_step(be, 0, 1), -EINVAL,
	       "frontend step on a backend: -EINVAL");
	is_int(duet_xenbus_backend_start(NULL), -EINVAL, "start(NULL)");
	duet_xenbus_close(fe);
	duet_xenbus_close(be);
}

int main(void)
{
	xsh_create("handshake");
	xsh_serve();
	xs0 = xsh_xs(xsh_sock0);
	xs1 = xsh_xs(xsh_sock1);

	blkfront_style();
	netfront_style_and_detach();
	backend_restart();
	frontend_restart_coalesced();
	frontend_closes();
	hostile_and_gone();
	wrong_role();

	duet_xs_close(xs1);
	duet_xs_close(xs0);
	xsh_destroy();
	return done_testing();
}

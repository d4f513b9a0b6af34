/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: hostile xs_wire input to the simulator's xenstore
 * server.  Each input goes twice through the server's code:
 *  1. the pure framing and argument parser (simxsd_wire_frame/parse) on
 *     every message the bytes contain;
 *  2. a fresh server, the bytes fed to it over a socketpair as dom0 or
 *     dom1 (bit 0 of the first byte), until it has answered everything
 *     and closed the connection.  With bit 1 of the first byte set, the
 *     rest is first turned into well-framed messages (records of type,
 *     transaction id, length, payload) so that the fuzzer spends its time
 *     in the request handlers rather than in the framing.
 * Anything but a clean run (crash, sanitizer report, leak, hang) is a bug.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sim/xsd-int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void parse_all(const uint8_t *data, size_t size)
{
	struct xsd_sockmsg hdr;
	struct simxsd_req req;
	struct simxsd_perm perm;
	size_t off = 0;
	unsigned int i;
	int r;

	while (off < size) {
		r = simxsd_wire_frame(data + off, size - off, &hdr);
		if (r <= 0)
			break;
		if (simxsd_wire_parse(&hdr, (const char *)data + off +
						    SIMXSD_HDR_LEN,
				      &req) == 0)
			for (i = 0; i < req.nargs; i++) {
				simxsd_wire_parse_perm(req.arg[i], &perm);
				simxsd_wire_parse_domid(req.arg[i]);
			}
		off += (size_t)r;
	}
}

static void serve_as(const uint8_t *data, size_t size, unsigned int domid)
{
	struct simxsd_limits lim = { .nodes = 50, .watches = 8,
				     .transactions = 4, .value_size = 64,
				     .out_max = 1 << 20 };
	struct simxsd *xsd;
	char sink[8192];
	size_t off = 0;
	ssize_t n;
	int sv[2], i;

	if (simxsd_create(&lim, &xsd))
		return;
	if (simxsd_domain_add(xsd, 0, NULL) ||
	    simxsd_domain_add(xsd, 1, NULL) ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) {
		simxsd_destroy(xsd);
		return;
	}
	if (simxsd_conn_add(xsd, domid, sv[0])) {
		close(sv[0]);
		close(sv[1]);
		simxsd_destroy(xsd);
		return;
	}
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	for (i = 0; i < 100000; i++) {
		if (off < size) {
			n = write(sv[1], data + off, size - off);
			if (n > 0)
				off += (size_t)n;
			if (off == size)
				shutdown(sv[1], SHUT_WR);
		}
		while (read(sv[1], sink, sizeof(sink)) > 0)
			;
		if (simxsd_dispatch(xsd) <= 0 && off == size)
			break;
	}
	close(sv[1]);
	simxsd_dispatch(xsd);
	simxsd_destroy(xsd);
}

/*
 * Records: type (mod XS_TYPE_COUNT + 1), tx_id (mod 4: ids 1..3 are the
 * first transactions a fresh server hands out), payload length, payload.
 */
static uint8_t *structure(const uint8_t *data, size_t size, size_t *outlen)
{
	uint8_t *out = malloc(size / 3 * SIMXSD_HDR_LEN + size + 1);
	struct xsd_sockmsg m;
	size_t off = 1, o = 0, len;

	if (!out)
		return NULL;
	while (off + 3 <= size) {
		m.type = data[off] % (XS_TYPE_COUNT + 1);
		m.req_id = (uint32_t)off;
		m.tx_id = data[off + 1] % 4;
		len = data[off + 2];
		off += 3;
		if (len > size - off)
			len = size - off;
		m.len = (uint32_t)len;
		memcpy(out + o, &m, sizeof(m));
		memcpy(out + o + sizeof(m), data + off, len);
		o += sizeof(m) + len;
		off += len;
	}
	*outlen = o;
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int once;
	uint8_t *s;
	size_t len;

	if (!once) {
		signal(SIGPIPE, SIG_IGN);
		once = 1;
	}
	parse_all(data, size);
	if (size && (data[0] & 2)) {
		s = structure(data, size, &len);
		if (!s)
			return 0;
		/* keep the domain choice of the first byte */
		parse_all(s, len);
		serve_as(s, len, data[0] & 1);
		free(s);
	} else {
		serve_as(data, size, size && (data[0] & 1));
	}
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * sim/xsd-wire.c - xs_wire message framing and argument parsing.
 *
 * Everything here is a pure function of its arguments, so that the fuzz
 * target (tests/fuzz/xs-wire.c) can drive it with arbitrary bytes.  The
 * payload grammar per type is docs/misc/xenstore.txt's:
 *   <path>|                   DIRECTORY READ GET_PERMS MKDIR RM
 *                             GET_DOMAIN_PATH IS_DOMAIN_INTRODUCED
 *                             RELEASE RESUME TRANSACTION_END
 *   <path>|<value|>           WRITE
 *   <path>|<perm>|+           SET_PERMS
 *   <wpath>|<token>|?         WATCH UNWATCH
 *   <path>|<offset>|          DIRECTORY_PART
 *   <domid>|<tdomid>|         SET_TARGET
 *   <domid>|<mfn>|<port>|?    INTRODUCE
 *   anything                  TRANSACTION_START RESET_WATCHES CONTROL
 * Single-argument requests must be exactly one NUL-terminated string, as
 * xenstored's onearg() demands.
 */
#include <errno.h>
#include <string.h>

#include "sim/xsd-int.h"

int simxsd_wire_frame(const void *buf, size_t len, struct xsd_sockmsg *hdr)
{
	if (len < SIMXSD_HDR_LEN)
		return 0;
	memcpy(hdr, buf, sizeof(*hdr));
	if (hdr->len > XENSTORE_PAYLOAD_MAX)
		return -EMSGSIZE;
	if (len < SIMXSD_HDR_LEN + hdr->len)
		return 0;
	return (int)(SIMXSD_HDR_LEN + hdr->len);
}

/*
 * Collect up to @max NUL-terminated strings from the start of @p.
 * Return: how many were found; *@end is the offset after the last one.
 */
static unsigned int get_strings(const char *p, uint32_t len,
				const char **v, unsigned int max,
				uint32_t *end)
{
	uint32_t off = 0;
	unsigned int n = 0;
	const char *nul;

	while (n < max && off < len) {
		nul = memchr(p + off, '\0', len - off);
		if (!nul)
			break;
		v[n++] = p + off;
		off = (uint32_t)(nul - p) + 1;
	}
	*end = off;
	return n;
}

int simxsd_wire_parse(const struct xsd_sockmsg *hdr, const char *payload,
		      struct simxsd_req *req)
{
	uint32_t len = hdr->len, end;
	unsigned int n;

	memset(req, 0, sizeof(*req));
	req->type = hdr->type;
	req->req_id = hdr->req_id;
	req->tx_id = hdr->tx_id;
	if (len > XENSTORE_PAYLOAD_MAX)
		return -EINVAL;

	switch (hdr->type) {
	case XS_DIRECTORY:
	case XS_READ:
	case XS_GET_PERMS:
	case XS_MKDIR:
	case XS_RM:
	case XS_GET_DOMAIN_PATH:
	case XS_IS_DOMAIN_INTRODUCED:
	case XS_RELEASE:
	case XS_RESUME:
	case XS_TRANSACTION_END:
		n = get_strings(payload, len, req->arg, 1, &end);
		if (n != 1 || end != len)
			return -EINVAL;
		break;
	case XS_WRITE:
		n = get_strings(payload, len, req->arg, 1, &end);
		if (n != 1)
			return -EINVAL;
		req->data = payload + end;
		req->dlen = len - end;
		break;
	case XS_SET_PERMS:
		n = get_strings(payload, len, req->arg, 1, &end);
		if (n != 1 || end == len || payload[len - 1] != '\0')
			return -EINVAL;
		req->data = payload + end;
		req->dlen = len - end;
		break;
	case XS_WATCH:
	case XS_UNWATCH:
	case XS_DIRECTORY_PART:
	case XS_SET_TARGET:
		n = get_strings(payload, len, req->arg, 2, &end);
		if (n != 2)
			return -EINVAL;
		break;
	case XS_INTRODUCE:
		n = get_strings(payload, len, req->arg, 3, &end);
		if (n != 3)
			return -EINVAL;
		break;
	case XS_TRANSACTION_START:
	case XS_RESET_WATCHES:
	case XS_CONTROL:
		n = 0;
		req->data = payload;
		req->dlen = len;
		break;
	default:
		/* XS_WATCH_EVENT, XS_ERROR, removed and unknown types */
		return -ENOSYS;
	}
	req->nargs = n;
	return 0;
}

const char *simxsd_wire_errstr(int err)
{
	size_t i;

	if (err == SIMXSD_EQUOTA)
		return "EQUOTA";
	for (i = 0; i < sizeof(xsd_errors) / sizeof(xsd_errors[0]); i++)
		if (xsd_errors[i].errnum == err)
			return xsd_errors[i].errstring;
	return "EIO";
}

/* Parse 1-5 decimal digits, value <= 65535, nothing after. */
static int parse_dec16(const char *s)
{
	unsigned int v = 0;
	int i;

	for (i = 0; s[i]; i++) {
		if (s[i] < '0' || s[i] > '9' || i >= 5)
			return -EINVAL;
		v = v * 10 + (unsigned int)(s[i] - '0');
	}
	if (i == 0 || v > 65535)
		return -EINVAL;
	return (int)v;
}

int simxsd_wire_parse_domid(const char *s)
{
	return parse_dec16(s);
}

int simxsd_wire_parse_perm(const char *s, struct simxsd_perm *perm)
{
	int id;

	switch (s[0]) {
	case 'n':
		perm->access = 0;
		break;
	case 'r':
		perm->access = SIMXSD_PERM_READ;
		break;
	case 'w':
		perm->access = SIMXSD_PERM_WRITE;
		break;
	case 'b':
		perm->access = SIMXSD_PERM_READ | SIMXSD_PERM_WRITE;
		break;
	default:
		return -EINVAL;
	}
	id = parse_dec16(s + 1);
	if (id < 0)
		return id;
	perm->domid = (uint32_t)id;
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * xlspec-target.c - what a disk's target names: a path, an NBD export or
 * a Ceph RBD image.
 *
 * Network targets are written the way QEMU's qdisk (the backend libxl
 * uses for backendtype=qdisk) takes them, so that one xl config serves
 * with either backend:
 *   NBD, the NBD URI standard:
 *     nbd://HOST[:PORT][/EXPORT]           nbds://... (TLS)
 *     nbd+unix:///[EXPORT]?socket=PATH     nbds+unix:///...
 *     nbd+vsock://CID[:PORT][/EXPORT]      nbds+vsock://...
 *   NBD, QEMU's older form:
 *     nbd:HOST:PORT[:exportname=EXPORT]
 *     nbd:unix:PATH[:exportname=EXPORT]
 *   RBD, QEMU's rbd: form:
 *     rbd:[POOL/[NAMESPACE/]]IMAGE[@SNAP][:KEY=VALUE]...
 *     keys: id (the Ceph user, "client." implied), conf (a ceph.conf),
 *     keyring, mon_host, and any other Ceph option; "\:" is a colon in a
 *     value.
 * Only the shape is checked here (what the backend would refuse at once);
 * whether the server or image exists is the backend's to find out.
 */
#include <errno.h>
#include <string.h>

#include "duet/xlspec.h"
#include "toolstack/lib/xlspec-int.h"

static const char *const nbd_schemes[] = {
	"nbd", "nbds", "nbd+unix", "nbds+unix", "nbd+vsock", "nbds+vsock",
};

/* A port: 1..65535 in decimal digits. */
static int port_ok(const char *p, size_t n)
{
	unsigned long v = 0;
	size_t i;

	if (!n || n > 5)
		return 0;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return 0;
		v = v * 10 + (unsigned long)(p[i] - '0');
	}
	return v >= 1 && v <= 65535;
}

/* Characters an URI may hold (RFC 3986, percent-escapes included). */
static int uri_chars_ok(const char *p)
{
	for (; *p; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f ||
		    strchr("\"<>\\^`{|}", *p))
			return 0;
	return 1;
}

static int check_nbd_uri(const char *t, size_t slen, char *err,
			 size_t errlen)
{
	const char *auth = t + slen + 3, *path, *query, *colon;
	int is_unix = slen > 5 && !strncmp(t + slen - 5, "+unix", 5);
	int is_vsock = slen > 6 && !strncmp(t + slen - 6, "+vsock", 6);
	struct xl_quoted q;
	size_t alen;

	if (!uri_chars_ok(t))
		return duet_xlspec_err(err, errlen,
				       "NBD URI %s: a space or a character "
				       "an URI cannot hold",
				       duet_xlspec_quote_str(&q, t));
	path = auth + strcspn(auth, "/?#");
	alen = (size_t)(path - auth);
	query = strchr(path, '?');
	if (is_unix) {
		if (alen)
			return duet_xlspec_err(
				err, errlen,
				"NBD URI %s: a unix URI has no host "
				"(nbd+unix:///EXPORT?socket=PATH)",
				duet_xlspec_quote_str(&q, t));
		if (!query || (strncmp(query, "?socket=", 8) &&
			       !strstr(query, "&socket=")))
			return duet_xlspec_err(
				err, errlen,
				"NBD URI %s: no socket= "
				"(nbd+unix:///EXPORT?socket=PATH)",
				duet_xlspec_quote_str(&q, t));
		return DUET_XL_TARGET_NBD;
	}
	if (!alen)
		return duet_xlspec_err(err, errlen,
				       "NBD URI %s: no host (nbd://HOST[:PORT]"
				       "/EXPORT)",
				       duet_xlspec_quote_str(&q, t));
	if (auth[0] == '[') {
		const char *close = memchr(auth, ']', alen);

		if (!close)
			return duet_xlspec_err(err, errlen,
					       "NBD URI %s: unclosed [",
					       duet_xlspec_quote_str(&q, t));
		colon = close + 1 < path ? close + 1 : NULL;
		if (colon && *colon != ':')
			return duet_xlspec_err(err, errlen,
					       "NBD URI %s: bad host",
					       duet_xlspec_quote_str(&q, t));
	} else {
		colon = memchr(auth, ':', alen);
		if (colon == auth)
			return duet_xlspec_err(err, errlen,
					       "NBD URI %s: no host",
					       duet_xlspec_quote_str(&q, t));
	}
	if (colon && !port_ok(colon + 1, (size_t)(path - colon - 1)))
		return duet_xlspec_err(err, errlen,
				       "NBD URI %s: bad port (1..65535)",
				       duet_xlspec_quote_str(&q, t));
	if (is_vsock) {
		const char *c = auth, *e = colon ? colon : path;

		for (; c < e; c++)
			if (*c < '0' || *c > '9')
				return duet_xlspec_err(
					err, errlen,
					"NBD URI %s: a vsock host is a CID "
					"(a number)",
					duet_xlspec_quote_str(&q, t));
	}
	return DUET_XL_TARGET_NBD;
}

/* QEMU's nbd:HOST:PORT[:exportname=X] and nbd:unix:PATH[:exportname=X]. */
static int check_nbd_legacy(const char *t, char *err, size_t errlen)
{
	const char *p = t + 4, *c;
	struct xl_quoted q;

	if (!strncmp(p, "unix:", 5)) {
		p += 5;
		c = strstr(p, ":exportname=");
		if (!*p || p[0] == ':' || (c && !c[12]))
			return duet_xlspec_err(
				err, errlen,
				"NBD target %s: expected nbd:unix:PATH"
				"[:exportname=NAME]",
				duet_xlspec_quote_str(&q, t));
		return DUET_XL_TARGET_NBD;
	}
	c = strchr(p, ':');
	if (!c || c == p)
		return duet_xlspec_err(err, errlen,
				       "NBD target %s: expected nbd:HOST:PORT"
				       "[:exportname=NAME] or an NBD URI",
				       duet_xlspec_quote_str(&q, t));
	p = c + 1;
	c = strchr(p, ':');
	if (!port_ok(p, c ? (size_t)(c - p) : strlen(p)))
		return duet_xlspec_err(err, errlen,
				       "NBD target %s: bad port (1..65535)",
				       duet_xlspec_quote_str(&q, t));
	if (c && (strncmp(c, ":exportname=", 12) || !c[12]))
		return duet_xlspec_err(err, errlen,
				       "NBD target %s: after the port only "
				       ":exportname=NAME",
				       duet_xlspec_quote_str(&q, t));
	return DUET_XL_TARGET_NBD;
}

/* rbd:[POOL/[NS/]]IMAGE[@SNAP][:KEY=VALUE]... */
static int check_rbd(const char *t, char *err, size_t errlen)
{
	const char *p = t + 4, *e;
	struct xl_quoted q;
	size_t n;

	/* The image spec runs to the first unescaped ':'. */
	for (e = p; *e && *e != ':'; e++)
		if (*e == '\\' && e[1])
			e++;
	n = (size_t)(e - p);
	if (!n || p[n - 1] == '/' || p[0] == '/' || p[0] == '@' ||
	    p[n - 1] == '@' || duet_xlspec_has_ctl(p, n) ||
	    memchr(p, ' ', n))
		return duet_xlspec_err(err, errlen,
				       "RBD target %s: expected rbd:POOL/IMAGE"
				       "[@SNAP][:id=USER][:conf=FILE]",
				       duet_xlspec_quote_str(&q, t));
	while (*e == ':') {
		const char *k = ++e, *eq = NULL;

		for (; *e && *e != ':'; e++) {
			if (*e == '\\' && e[1]) {
				e++;
				continue;
			}
			if (*e == '=' && !eq)
				eq = e;
		}
		if (!eq || eq == k || duet_xlspec_has_ctl(k, (size_t)(e - k)))
			return duet_xlspec_err(
				err, errlen,
				"RBD target %s: options are :KEY=VALUE",
				duet_xlspec_quote_str(&q, t));
	}
	return DUET_XL_TARGET_RBD;
}

int duet_xl_disk_target_kind(const char *target, char *err, size_t errlen)
{
	unsigned i;

	if (err && errlen)
		err[0] = '\0';
	if (!target)
		return duet_xlspec_err(err, errlen, "no target");
	for (i = 0; i < sizeof(nbd_schemes) / sizeof(nbd_schemes[0]); i++) {
		size_t n = strlen(nbd_schemes[i]);

		if (!strncmp(target, nbd_schemes[i], n) &&
		    !strncmp(target + n, "://", 3))
			return check_nbd_uri(target, n, err, errlen);
	}
	if (!strncmp(target, "nbd:", 4))
		return check_nbd_legacy(target, err, errlen);
	if (!strncmp(target, "rbd:", 4))
		return check_rbd(target, err, errlen);
	return DUET_XL_TARGET_PATH;
}

const char *duet_xl_disk_target_name(enum duet_xl_disk_target k)
{
	switch (k) {
	case DUET_XL_TARGET_PATH:
		return "path";
	case DUET_XL_TARGET_NBD:
		return "nbd";
	case DUET_XL_TARGET_RBD:
		return "rbd";
	}
	return "?";
}

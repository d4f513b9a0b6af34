/* SPDX-License-Identifier: MIT */
/*
 * xlspec-vif.c - the xl network specification, xl-network-configuration(5).
 *
 * A vifspec is a comma-separated series of key=value pairs, all optional;
 * "" is a valid spec (every default).  As in xl, spaces before a pair are
 * skipped and empty pairs (",,") are ignored.  Unlike xl, which keeps the
 * last of repeated keys and reads a MAC leniently, we refuse a repeated
 * key and check each value, so a typo is reported rather than guessed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "duet/xlspec.h"
#include "toolstack/lib/xlspec-int.h"

/* Linux's IFNAMSIZ - 1: the longest interface name. */
#define IFNAME_MAX 15

const char *duet_xl_vif_type_name(enum duet_xl_vif_type t)
{
	switch (t) {
	case DUET_XL_VIF_TYPE_DEFAULT:
		return "default";
	case DUET_XL_VIF_TYPE_VIF:
		return "vif";
	case DUET_XL_VIF_TYPE_IOEMU:
		return "ioemu";
	}
	return "?";
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Six groups of one or two hex digits separated by ':'. */
static int parse_mac(const char *s, uint8_t mac[6], char *err, size_t errlen)
{
	struct xl_quoted q;
	const char *p = s;
	int i, h, v;

	for (i = 0; i < 6; i++) {
		v = hexval(*p);
		if (v < 0)
			goto bad;
		p++;
		h = hexval(*p);
		if (h >= 0) {
			v = v * 16 + h;
			p++;
		}
		mac[i] = (uint8_t)v;
		if (i < 5) {
			if (*p != ':')
				goto bad;
			p++;
		}
	}
	if (*p)
		goto bad;
	if (mac[0] & 1)
		return duet_xlspec_err(
			err, errlen,
			"mac=%s: a multicast address (bit 0 of the first "
			"byte is set)",
			duet_xlspec_quote_str(&q, s));
	return 0;
bad:
	return duet_xlspec_err(
		err, errlen,
		"mac=%s: not a MAC address (six hex bytes separated by "
		"':', e.g. 00:16:3e:74:3d:76)",
		duet_xlspec_quote_str(&q, s));
}

/* Space-separated IPv4/IPv6 addresses, each with an optional /prefix. */
static int check_ip(const char *s, char *err, size_t errlen)
{
	struct xl_quoted q;
	unsigned char buf[16];
	char word[64];
	const char *p = s, *e, *slash;
	uint64_t plen;
	size_t n;
	int any = 0, v6;

	for (;;) {
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		e = strchr(p, ' ');
		n = e ? (size_t)(e - p) : strlen(p);
		if (n >= sizeof(word))
			return duet_xlspec_err(err, errlen,
					       "ip=: address %s is too long",
					       duet_xlspec_quote(&q, p, n));
		memcpy(word, p, n);
		word[n] = '\0';
		slash = strchr(word, '/');
		if (slash)
			word[slash - word] = '\0';
		v6 = !!strchr(word, ':');
		if (inet_pton(v6 ? AF_INET6 : AF_INET, word, buf) != 1 ||
		    (slash &&
		     duet_parse_uint(slash + 1, v6 ? 128 : 32, &plen)))
			return duet_xlspec_err(
				err, errlen,
				"ip=: %s is not an IPv4 or IPv6 address",
				duet_xlspec_quote(&q, p, n));
		any = 1;
		p += n;
	}
	if (!any)
		return duet_xlspec_err(err, errlen, "ip=: no address");
	return 0;
}

/* An interface name as Linux takes it: 1..15 bytes, no '/', ':' or
 * whitespace. */
static int check_ifname(const char *key, const char *s, char *err,
			size_t errlen)
{
	struct xl_quoted q;
	size_t n = strlen(s);

	if (!n || n > IFNAME_MAX || strpbrk(s, "/: \t"))
		return duet_xlspec_err(err, errlen,
				       "%s=%s: not an interface name (1 to %d "
				       "characters, no '/', ':' or spaces)",
				       key, duet_xlspec_quote_str(&q, s),
				       IFNAME_MAX);
	return 0;
}

/* The decimal number at *@p with an optional unit, as libxl's regexes
 * "^[0-9]+" take it; advances *@p. */
static int rate_number(const char **p, uint64_t *v)
{
	uint64_t n = 0;
	const char *s = *p;

	if (!(*s >= '0' && *s <= '9'))
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		n = n * 10 + (uint64_t)(*s - '0');
		if (n > UINT32_MAX)
			return -2;
	}
	*p = s;
	*v = n;
	return 0;
}

int duet_xl_vif_parse_rate(const char *rate, uint64_t *bytes_per_interval,
			   uint32_t *interval_usecs, char *err, size_t errlen)
{
	struct xl_quoted q;
	const char *p = rate, *at;
	uint64_t bps, usecs = DUET_XL_VIF_RATE_INTERVAL_DEFAULT;
	int rc;

	if (err && errlen)
		err[0] = '\0';
	at = strchr(rate, '@');
	if (at == rate || !*rate)
		return duet_xlspec_err(err, errlen, "rate=%s: no rate given",
				       duet_xlspec_quote_str(&q, rate));
	/* RATE: ^[0-9]+[GMK]?[Bb]/s$ */
	rc = rate_number(&p, &bps);
	if (rc == -2 || (!rc && bps == 0))
		return duet_xlspec_err(
			err, errlen,
			"rate=%s: rate out of range (1..%u per unit)",
			duet_xlspec_quote_str(&q, rate), UINT32_MAX);
	if (rc)
		goto bad_rate;
	if (*p == 'G' || *p == 'M' || *p == 'K') {
		bps *= *p == 'G'   ? 1000000000ull
		       : *p == 'M' ? 1000000ull
				   : 1000ull;
		p++;
	}
	if (*p == 'b')
		bps /= 8;
	else if (*p != 'B')
		goto bad_rate;
	p++;
	if (strncmp(p, "/s", 2) || (p[2] && p + 2 != at))
		goto bad_rate;
	if (at) {
		/* INTERVAL: ^[0-9]+[mu]?s?$, seconds without a unit */
		p = at + 1;
		rc = rate_number(&p, &usecs);
		if (rc == -2 || (!rc && usecs == 0))
			return duet_xlspec_err(err, errlen,
					       "rate=%s: interval out of range",
					       duet_xlspec_quote_str(&q, rate));
		if (rc)
			goto bad_interval;
		if (*p == 'm') {
			usecs *= 1000;
			p++;
		} else if (*p == 'u') {
			p++;
		} else {
			usecs *= 1000 * 1000;
		}
		if (*p == 's')
			p++;
		if (*p)
			goto bad_interval;
		if (usecs > UINT32_MAX)
			return duet_xlspec_err(
				err, errlen,
				"rate=%s: interval out of range (at most "
				"%u us)",
				duet_xlspec_quote_str(&q, rate), UINT32_MAX);
	}
	if (bps > UINT64_MAX / usecs)
		return duet_xlspec_err(err, errlen, "rate=%s: rate overflow",
				       duet_xlspec_quote_str(&q, rate));
	*bytes_per_interval = bps * usecs / 1000000u;
	*interval_usecs = (uint32_t)usecs;
	return 0;
bad_rate:
	return duet_xlspec_err(
		err, errlen,
		"rate=%s: bad rate (RATE[GMK](B|b)/s[@INTERVAL[s|ms|us]],"
		" e.g. 10Mb/s or 1MB/s@20ms)",
		duet_xlspec_quote_str(&q, rate));
bad_interval:
	return duet_xlspec_err(
		err, errlen,
		"rate=%s: bad interval (a number with s, ms or us)",
		duet_xlspec_quote_str(&q, rate));
}

static const char *const colo_prefixes[] = {"colo_", "forwarddev"};

/* Keys that set a string once; the index is the struct slot below. */
enum {
	K_BRIDGE,
	K_IP,
	K_BACKEND,
	K_VIFNAME,
	K_SCRIPT,
	K_GATEWAYDEV,
	K_MODEL,
	K_ACCEL,
	K_TYPE,
	K_MAC,
	K_MTU,
	K_RATE,
	K_DEVID,
	K_NKEYS
};

static const char *const keys[K_NKEYS] = {
	[K_BRIDGE] = "bridge",	 [K_IP] = "ip",
	[K_BACKEND] = "backend", [K_VIFNAME] = "vifname",
	[K_SCRIPT] = "script",	 [K_GATEWAYDEV] = "gatewaydev",
	[K_MODEL] = "model",	 [K_ACCEL] = "accel",
	[K_TYPE] = "type",	 [K_MAC] = "mac",
	[K_MTU] = "mtu",	 [K_RATE] = "rate",
	[K_DEVID] = "devid",
};

static int pair(struct duet_xl_vif *v, unsigned *seen, char *key, char *val,
		char *err, size_t errlen)
{
	struct xl_quoted q;
	uint64_t n;
	unsigned i;
	int k = -1;

	if (!strcmp(key, "netdev"))
		key = (char *)"gatewaydev"; /* deprecated alias */
	for (i = 0; i < K_NKEYS; i++)
		if (!strcmp(key, keys[i]))
			k = (int)i;
	if (k < 0) {
		for (i = 0;
		     i < sizeof(colo_prefixes) / sizeof(colo_prefixes[0]); i++)
			if (!strncmp(key, colo_prefixes[i],
				     strlen(colo_prefixes[i])))
				return duet_xlspec_err(
					err, errlen,
					"%s: COLO is not supported by "
					"duet",
					duet_xlspec_quote_str(&q, key));
		return duet_xlspec_err(err, errlen, "unknown parameter %s",
				       duet_xlspec_quote_str(&q, key));
	}
	if (*seen & (1u << k))
		return duet_xlspec_err(err, errlen, "%s respecified", keys[k]);
	*seen |= 1u << k;
	switch (k) {
	case K_BRIDGE:
		v->bridge = val;
		return check_ifname("bridge", val, err, errlen);
	case K_VIFNAME:
		v->vifname = val;
		return check_ifname("vifname", val, err, errlen);
	case K_GATEWAYDEV:
		v->gatewaydev = val;
		return check_ifname("gatewaydev", val, err, errlen);
	case K_IP:
		v->ip = val;
		return check_ip(val, err, errlen);
	case K_BACKEND:
		v->backend = val;
		return duet_xlspec_parse_backend(val, &v->backend_domid, err,
						 errlen);
	case K_SCRIPT:
		if (!*val)
			return duet_xlspec_err(err, errlen, "script=: empty");
		v->script = val;
		return 0;
	case K_MODEL:
	case K_ACCEL:
		return 0; /* emulated models and accel do not apply: ignored */
	case K_TYPE:
		if (!strcmp(val, "vif"))
			v->type = DUET_XL_VIF_TYPE_VIF;
		else if (!strcmp(val, "ioemu"))
			v->type = DUET_XL_VIF_TYPE_IOEMU;
		else
			return duet_xlspec_err(err, errlen,
					       "type=%s: unknown (vif, ioemu)",
					       duet_xlspec_quote_str(&q, val));
		return 0;
	case K_MAC:
		v->mac_set = 1;
		return parse_mac(val, v->mac, err, errlen);
	case K_MTU:
		if (duet_parse_uint(val, DUET_XL_VIF_MTU_MAX, &n) ||
		    n < DUET_XL_VIF_MTU_MIN)
			return duet_xlspec_err(
				err, errlen, "mtu=%s: out of range (%u..%u)",
				duet_xlspec_quote_str(&q, val),
				DUET_XL_VIF_MTU_MIN, DUET_XL_VIF_MTU_MAX);
		v->mtu = (unsigned)n;
		return 0;
	case K_RATE:
		return duet_xl_vif_parse_rate(val, &v->rate_bytes_per_interval,
					      &v->rate_interval_usecs, err,
					      errlen);
	case K_DEVID:
		if (duet_parse_uint(val, 0x7fffffff, &n))
			return duet_xlspec_err(
				err, errlen,
				"devid=%s: not a device id (0..%d)",
				duet_xlspec_quote_str(&q, val), 0x7fffffff);
		v->devid = (int)n;
		return 0;
	}
	return -EINVAL;
}

int duet_xl_vif_parse(const char *spec, struct duet_xl_vif *out, char *err,
		      size_t errlen)
{
	struct xl_quoted q;
	unsigned seen = 0;
	char *p, *end, *eq;
	size_t n;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	out->mtu = DUET_XL_VIF_MTU_DEFAULT;
	out->devid = -1;
	if (err && errlen)
		err[0] = '\0';
	if (!spec)
		return duet_xlspec_err(err, errlen, "no network spec");
	n = strnlen(spec, DUET_XL_SPEC_MAX + 1);
	if (n > DUET_XL_SPEC_MAX)
		return duet_xlspec_err(err, errlen,
				       "network spec longer than %d bytes",
				       DUET_XL_SPEC_MAX);
	out->storage_ = malloc(n + 1);
	if (!out->storage_)
		return -ENOMEM;
	memcpy(out->storage_, spec, n + 1);
	for (p = out->storage_; !rc; p = end + 1) {
		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		end = strchr(p, ',');
		n = end ? (size_t)(end - p) : strlen(p);
		if (n) {
			if (duet_xlspec_has_ctl(p, n)) {
				rc = duet_xlspec_err(
					err, errlen,
					"control character in parameter %s",
					duet_xlspec_quote(&q, p, n));
				break;
			}
			p[n] = '\0';
			eq = strchr(p, '=');
			if (!eq) {
				rc = duet_xlspec_err(
					err, errlen, "%s is not key=value",
					duet_xlspec_quote_str(&q, p));
				break;
			}
			*eq = '\0';
			rc = pair(out, &seen, p, eq + 1, err, errlen);
		}
		if (!end)
			break;
	}
	if (rc) {
		duet_xl_vif_release(out);
		out->devid = -1;
		return rc;
	}
	return 0;
}

void duet_xl_vif_release(struct duet_xl_vif *v)
{
	if (!v)
		return;
	free(v->storage_);
	memset(v, 0, sizeof(*v));
}
